//! Magento's JSON, typed (admin schema definitions `sales-data-order-interface`,
//! `sales-data-order-item-interface`, `sales-data-creditmemo-interface`,
//! `sales-data-shipment-interface`, `asynchronous-operations-data-bulk-operations-status-interface`).
//!
//! Amounts are JSON numbers, read exactly (no float) through `bc_core::wire`; ids may come as
//! numbers or strings; dates are `Y-m-d H:i:s` in UTC. Unknown fields are ignored (Magento
//! adds extension attributes with every module), absent optional ones default.

use bc_core::wire::{decimal_or_zero, id_string, opt_decimal, opt_id_string, opt_string};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::Value;

/// Magento's date format.
pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Parses `2024-03-05 14:07:09` (UTC); RFC 3339 is accepted too.
pub fn parse_date(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    NaiveDateTime::parse_from_str(t, DATE_FORMAT)
        .map(|n| Utc.from_utc_datetime(&n))
        .or_else(|_| DateTime::parse_from_rfc3339(t).map(|d| d.with_timezone(&Utc)))
        .map_err(|_| format!("`{text}` is not a Magento date (Y-m-d H:i:s)"))
}

/// Formats a date for a searchCriteria value.
pub fn format_date(at: &DateTime<Utc>) -> String {
    at.format(DATE_FORMAT).to_string()
}

/// An amount as an exact JSON number (`12.50` → `12.5`).
pub fn num(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// An id as a JSON number when it is numeric, else as a string.
pub fn id_value(id: &str) -> Value {
    id.parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(id))
}

fn date<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    parse_date(&s).map_err(de::Error::custom)
}

/// A search result page: `items`, `total_count`.
#[derive(Clone, Debug, Deserialize)]
pub struct SearchResult<T> {
    /// Items.
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    /// Matches over all pages.
    #[serde(default)]
    pub total_count: u64,
}

/// An address.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WireAddress {
    /// First name.
    #[serde(default)]
    pub firstname: String,
    /// Last name.
    #[serde(default)]
    pub lastname: String,
    /// Company.
    #[serde(default, deserialize_with = "opt_string")]
    pub company: Option<String>,
    /// Street lines.
    #[serde(default)]
    pub street: Vec<String>,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Region name.
    #[serde(default, deserialize_with = "opt_string")]
    pub region: Option<String>,
    /// Postcode.
    #[serde(default, deserialize_with = "opt_string")]
    pub postcode: Option<String>,
    /// ISO country code.
    #[serde(default)]
    pub country_id: String,
    /// Telephone.
    #[serde(default, deserialize_with = "opt_string")]
    pub telephone: Option<String>,
    /// E-mail.
    #[serde(default, deserialize_with = "opt_string")]
    pub email: Option<String>,
    /// Address id.
    #[serde(default, deserialize_with = "opt_id_string")]
    pub entity_id: Option<String>,
}

/// A tax rate applied.
#[derive(Clone, Debug, Deserialize)]
pub struct WireAppliedTax {
    /// Rate code.
    #[serde(default)]
    pub code: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Percent.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub percent: Decimal,
    /// Amount (order currency).
    #[serde(deserialize_with = "bc_core::wire::decimal")]
    pub amount: Decimal,
}

/// `item_applied_taxes[]`: the rates of one item or of shipping.
#[derive(Clone, Debug, Deserialize)]
pub struct WireItemTaxes {
    /// `product`, `shipping`, `weee`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The item (for `product`).
    #[serde(default, deserialize_with = "opt_id_string")]
    pub item_id: Option<String>,
    /// Rates.
    #[serde(default)]
    pub applied_taxes: Vec<WireAppliedTax>,
}

/// A gift card redeemed.
#[derive(Clone, Debug, Deserialize)]
pub struct WireGiftCard {
    /// Code.
    #[serde(default)]
    pub code: String,
    /// Amount.
    #[serde(deserialize_with = "bc_core::wire::decimal")]
    pub amount: Decimal,
}

/// The shipping part of a shipping assignment.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WireShipping {
    /// Address.
    #[serde(default)]
    pub address: Option<WireAddress>,
    /// Method code.
    #[serde(default, deserialize_with = "opt_string")]
    pub method: Option<String>,
}

/// A shipping assignment.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WireShippingAssignment {
    /// Shipping.
    #[serde(default)]
    pub shipping: WireShipping,
}

/// B2B company of the order.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WireCompany {
    /// Company id.
    #[serde(default, deserialize_with = "opt_id_string")]
    pub company_id: Option<String>,
    /// Company name.
    #[serde(default, deserialize_with = "opt_string")]
    pub company_name: Option<String>,
}

/// The order's extension attributes this connector reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WireOrderExtension {
    /// Shipping assignments.
    #[serde(default)]
    pub shipping_assignments: Vec<WireShippingAssignment>,
    /// Rates over the order.
    #[serde(default)]
    pub applied_taxes: Vec<WireAppliedTax>,
    /// Rates per item and shipping.
    #[serde(default)]
    pub item_applied_taxes: Vec<WireItemTaxes>,
    /// Gift cards (Adobe Commerce).
    #[serde(default)]
    pub gift_cards: Vec<WireGiftCard>,
    /// Σ gift cards.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub gift_cards_amount: Decimal,
    /// Store credit used.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub customer_balance_amount: Decimal,
    /// B2B company.
    #[serde(default)]
    pub company_order_attributes: Option<WireCompany>,
}

/// The payment.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WirePayment {
    /// Method code.
    #[serde(default)]
    pub method: String,
    /// Ordered.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub amount_ordered: Decimal,
    /// Paid.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub amount_paid: Decimal,
    /// Authorised.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub amount_authorized: Decimal,
    /// Gateway transaction.
    #[serde(default, deserialize_with = "opt_string")]
    pub last_trans_id: Option<String>,
}

/// An order item.
#[derive(Clone, Debug, Deserialize)]
pub struct WireItem {
    /// Item id.
    #[serde(deserialize_with = "id_string")]
    pub item_id: String,
    /// Parent item (children of configurable/bundle items carry no price).
    #[serde(default, deserialize_with = "opt_id_string")]
    pub parent_item_id: Option<String>,
    /// SKU.
    #[serde(default, deserialize_with = "opt_string")]
    pub sku: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Product id.
    #[serde(default, deserialize_with = "opt_id_string")]
    pub product_id: Option<String>,
    /// `simple`, `virtual`, `downloadable`…
    #[serde(default)]
    pub product_type: String,
    /// Ordered.
    #[serde(deserialize_with = "bc_core::wire::decimal")]
    pub qty_ordered: Decimal,
    /// Shipped.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty_shipped: Decimal,
    /// Refunded.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty_refunded: Decimal,
    /// Unit price ex tax.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub price: Decimal,
    /// Unit price inc tax.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub price_incl_tax: Option<Decimal>,
    /// Row total ex tax.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub row_total: Decimal,
    /// Row tax.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_amount: Decimal,
    /// Row discount (positive).
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_amount: Decimal,
    /// Virtual (not shipped).
    #[serde(default)]
    pub is_virtual: Option<Value>,
}

/// A status history comment.
#[derive(Clone, Debug, Deserialize)]
pub struct WireHistory {
    /// Comment.
    #[serde(default, deserialize_with = "opt_string")]
    pub comment: Option<String>,
}

/// An order.
#[derive(Clone, Debug, Deserialize)]
pub struct WireOrder {
    /// `entity_id`.
    #[serde(deserialize_with = "id_string")]
    pub entity_id: String,
    /// `increment_id`.
    #[serde(default)]
    pub increment_id: String,
    /// State.
    #[serde(default)]
    pub state: String,
    /// Status.
    pub status: String,
    /// Created.
    #[serde(deserialize_with = "date")]
    pub created_at: DateTime<Utc>,
    /// Updated.
    #[serde(deserialize_with = "date")]
    pub updated_at: DateTime<Utc>,
    /// Customer id (absent for guests).
    #[serde(default, deserialize_with = "opt_id_string")]
    pub customer_id: Option<String>,
    /// 1 for guests.
    #[serde(default)]
    pub customer_is_guest: Option<Value>,
    /// E-mail.
    #[serde(default, deserialize_with = "opt_string")]
    pub customer_email: Option<String>,
    /// Customer group.
    #[serde(default, deserialize_with = "opt_id_string")]
    pub customer_group_id: Option<String>,
    /// Shopper's note.
    #[serde(default, deserialize_with = "opt_string")]
    pub customer_note: Option<String>,
    /// Base currency.
    pub base_currency_code: String,
    /// Order currency.
    pub order_currency_code: String,
    /// Order units per base unit.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub base_to_order_rate: Option<Decimal>,
    /// Subtotal ex tax.
    #[serde(deserialize_with = "bc_core::wire::decimal")]
    pub subtotal: Decimal,
    /// Discount (negative).
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_amount: Decimal,
    /// Discount label.
    #[serde(default, deserialize_with = "opt_string")]
    pub discount_description: Option<String>,
    /// Coupon.
    #[serde(default, deserialize_with = "opt_string")]
    pub coupon_code: Option<String>,
    /// Shipping ex tax.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_amount: Decimal,
    /// Shipping discount (positive).
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_discount_amount: Decimal,
    /// Shipping tax.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_tax_amount: Decimal,
    /// Shipping description.
    #[serde(default, deserialize_with = "opt_string")]
    pub shipping_description: Option<String>,
    /// Tax.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_amount: Decimal,
    /// Grand total (after gift cards and store credit).
    #[serde(deserialize_with = "bc_core::wire::decimal")]
    pub grand_total: Decimal,
    /// Base grand total.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub base_grand_total: Option<Decimal>,
    /// External order id (the ERP's number on ERP-originated orders).
    #[serde(default, deserialize_with = "opt_string")]
    pub ext_order_id: Option<String>,
    /// Store view.
    #[serde(default, deserialize_with = "opt_id_string")]
    pub store_id: Option<String>,
    /// Items.
    pub items: Vec<WireItem>,
    /// Billing address.
    #[serde(default)]
    pub billing_address: Option<WireAddress>,
    /// Payment.
    #[serde(default)]
    pub payment: Option<WirePayment>,
    /// Status history, newest first.
    #[serde(default)]
    pub status_histories: Vec<WireHistory>,
    /// Extension attributes.
    #[serde(default)]
    pub extension_attributes: WireOrderExtension,
}

/// A credit memo item.
#[derive(Clone, Debug, Deserialize)]
pub struct WireMemoItem {
    /// Order item.
    #[serde(deserialize_with = "id_string")]
    pub order_item_id: String,
    /// SKU.
    #[serde(default, deserialize_with = "opt_string")]
    pub sku: Option<String>,
    /// Quantity.
    #[serde(deserialize_with = "bc_core::wire::decimal")]
    pub qty: Decimal,
    /// Row total ex tax.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub row_total: Decimal,
    /// Row discount.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_amount: Decimal,
    /// Extension attributes (`return_to_stock`).
    #[serde(default)]
    pub extension_attributes: Option<Value>,
}

/// A credit memo.
#[derive(Clone, Debug, Deserialize)]
pub struct WireCreditMemo {
    /// Id.
    #[serde(deserialize_with = "id_string")]
    pub entity_id: String,
    /// Order.
    #[serde(deserialize_with = "id_string")]
    pub order_id: String,
    /// Created.
    #[serde(deserialize_with = "date")]
    pub created_at: DateTime<Utc>,
    /// Order currency.
    #[serde(default, deserialize_with = "opt_string")]
    pub order_currency_code: Option<String>,
    /// Shipping ex tax.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_amount: Decimal,
    /// Tax.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_amount: Decimal,
    /// Adjustment refund.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub adjustment_positive: Decimal,
    /// Adjustment fee.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub adjustment_negative: Decimal,
    /// Grand total.
    #[serde(deserialize_with = "bc_core::wire::decimal")]
    pub grand_total: Decimal,
    /// Items.
    #[serde(default)]
    pub items: Vec<WireMemoItem>,
    /// Extension attributes (gift cards given back).
    #[serde(default)]
    pub extension_attributes: Option<Value>,
}

/// A shipment track.
#[derive(Clone, Debug, Deserialize)]
pub struct WireTrack {
    /// Tracking number.
    #[serde(default)]
    pub track_number: String,
}

/// A shipment item.
#[derive(Clone, Debug, Deserialize)]
pub struct WireShipmentItem {
    /// Order item.
    #[serde(deserialize_with = "id_string")]
    pub order_item_id: String,
    /// Quantity.
    #[serde(deserialize_with = "bc_core::wire::decimal")]
    pub qty: Decimal,
}

/// A shipment.
#[derive(Clone, Debug, Deserialize)]
pub struct WireShipment {
    /// Id.
    #[serde(deserialize_with = "id_string")]
    pub entity_id: String,
    /// Items.
    #[serde(default)]
    pub items: Vec<WireShipmentItem>,
    /// Tracks.
    #[serde(default)]
    pub tracks: Vec<WireTrack>,
}

/// One operation's status in a bulk.
#[derive(Clone, Debug, Deserialize)]
pub struct WireOperation {
    /// Index in the request.
    pub id: u64,
    /// 1 complete, 2 retriably failed, 3 failed, 4 open, 5 rejected.
    pub status: u8,
    /// Failure message.
    #[serde(default, deserialize_with = "opt_string")]
    pub result_message: Option<String>,
}

/// `GET /V1/bulk/{uuid}/status`.
#[derive(Clone, Debug, Deserialize)]
pub struct WireBulkStatus {
    /// Operations.
    #[serde(default)]
    pub operations_list: Vec<WireOperation>,
    /// Count.
    #[serde(default)]
    pub operation_count: u64,
}

/// The answer of an async bulk request.
#[derive(Clone, Debug, Deserialize)]
pub struct WireBulkAccepted {
    /// The bulk's uuid.
    pub bulk_uuid: String,
    /// Whether some request items were rejected at once.
    #[serde(default)]
    pub errors: bool,
}
