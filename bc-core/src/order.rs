//! The storefront order, as every storefront connector hands it to the engine.
//!
//! All amounts are in the order's currency ([`Order::currency`]) at the storefront's own
//! precision (BigCommerce: 4 decimals). Amounts are **excluding tax**; tax is carried
//! separately in [`Order::taxes`], exactly as the storefront calculated it. The identity every
//! connector must make hold (and [`Order::check_totals`] verifies) is:
//!
//! ```text
//! total_inc_tax = Σ line.total_ex_tax − Σ line discounts − Σ order discounts
//!               + shipping + handling + wrapping (ex tax) + Σ taxes
//! ```
//!
//! Gift certificates and store credit are **tenders**, not discounts: they pay part of
//! `total_inc_tax` and are listed in [`Order::gift_certificates`] / [`Order::store_credit`],
//! never subtracted from the total (FEATURES O8).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, OrderId, Sku, StatusId};
use crate::money::Currency;

/// A postal address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Street, first line.
    pub street_1: String,
    /// Street, second line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_2: Option<String>,
    /// City.
    pub city: String,
    /// State or province name.
    #[serde(default)]
    pub state: String,
    /// Postal code.
    #[serde(default)]
    pub zip: String,
    /// Country name.
    #[serde(default)]
    pub country: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub country_iso2: String,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Address {
    /// "First Last", trimmed.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name.trim(), self.last_name.trim())
            .trim()
            .to_string()
    }
}

/// Who placed the order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrderCustomer {
    /// A registered storefront customer.
    Registered {
        /// The storefront's customer id (remembered as the client's import id, O4).
        id: CustomerId,
    },
    /// A guest checkout (no storefront customer record).
    Guest,
}

/// B2B context of an order: the buyer's company and customer group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct B2bInfo {
    /// The buyer's company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// The storefront's customer group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group_id: Option<String>,
    /// The customer group's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group_name: Option<String>,
}

/// A discount applied to one line (coupon or promotion), excluding tax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDiscount {
    /// What kind of discount.
    pub kind: DiscountKind,
    /// The coupon code, when it came from a coupon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The discount's name.
    #[serde(default)]
    pub name: String,
    /// The amount taken off the line (positive).
    pub amount: Decimal,
}

/// Where a discount came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountKind {
    /// A coupon code the shopper entered.
    Coupon,
    /// An automatic promotion.
    Promotion,
    /// A manual discount the merchant applied.
    Manual,
}

/// One product line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The storefront's id for this line (BigCommerce `order_product_id`).
    pub line_id: String,
    /// The product's SKU; `None` when the storefront has none (the plan then matches by name
    /// or raises an issue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// The product name as sold.
    pub name: String,
    /// The storefront product id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// The variant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<String>,
    /// Quantity ordered.
    pub quantity: Decimal,
    /// Unit price excluding tax.
    pub unit_price_ex_tax: Decimal,
    /// Unit price including tax (informational).
    pub unit_price_inc_tax: Decimal,
    /// Line total excluding tax, before line discounts, as the storefront computed it.
    pub total_ex_tax: Decimal,
    /// Discounts applied to this line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<LineDiscount>,
    /// The storefront's tax class of the product (used with the zone by `tax_map`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_class: Option<String>,
    /// Whether the product is physical (shipped) or digital.
    #[serde(default = "yes")]
    pub physical: bool,
    /// Which shipping address (consignment) this line ships to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address_id: Option<String>,
    /// Quantity already shipped.
    #[serde(default)]
    pub quantity_shipped: Decimal,
    /// Quantity already refunded.
    #[serde(default)]
    pub quantity_refunded: Decimal,
}

fn yes() -> bool {
    true
}

impl OrderLine {
    /// Σ of this line's discounts.
    pub fn discount_total(&self) -> Decimal {
        self.discounts.iter().map(|d| d.amount).sum()
    }
}

/// A charge of the order that is not a product: shipping, handling, gift wrapping.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// Amount excluding tax.
    pub amount_ex_tax: Decimal,
    /// Tax class of the charge, when the storefront gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_class: Option<String>,
}

/// An order-level discount (coupon, promotion or manual), excluding tax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDiscount {
    /// Where it came from.
    pub kind: DiscountKind,
    /// The coupon code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The amount taken off the order (positive).
    pub amount: Decimal,
}

/// What a tax amount was charged on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "on", content = "line_id", rename_all = "snake_case")]
pub enum TaxTarget {
    /// A product line, by [`OrderLine::line_id`].
    Line(String),
    /// Shipping.
    Shipping,
    /// Handling.
    Handling,
    /// Gift wrapping.
    Wrapping,
    /// The order as a whole (the storefront gave no split).
    Order,
}

/// One tax amount as the storefront calculated it (copied to the ledger, never recomputed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    /// What it was charged on.
    pub target: TaxTarget,
    /// The storefront's tax zone / authority name (BigCommerce `name`, e.g. `"CA State Tax"`).
    pub zone: String,
    /// The storefront's tax class (BigCommerce `class`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The rate in percent (e.g. `7.25`).
    pub rate: Decimal,
    /// The tax amount.
    pub amount: Decimal,
}

/// A gift certificate redeemed on the order (a tender, FEATURES O8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiftCertificateRedemption {
    /// The certificate's code.
    pub code: String,
    /// The amount it paid.
    pub amount: Decimal,
}

/// How far a payment got at the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Authorised only (funds held, not captured).
    Authorized,
    /// Captured (money taken).
    Captured,
    /// Pending (offline methods: cheque, bank transfer, purchase order).
    Pending,
    /// Voided or failed.
    Void,
}

/// A payment made on the order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The storefront's payment method name (key of `payment_map`, e.g. `"credit_card"`,
    /// `"paypal"`, `"purchase_order"`).
    pub method: String,
    /// The gateway (`"braintree"`, `"authorize.net"`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// The gateway's transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// The amount.
    pub amount: Decimal,
    /// Authorised, captured…
    pub state: PaymentState,
    /// When it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
}

/// A shipping address (consignment) with the method the shopper chose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingAddress {
    /// The storefront's address id (BigCommerce `order_address_id`).
    pub id: String,
    /// The address.
    pub address: Address,
    /// The shipping method's name as the storefront shows it (mapped to a ship via, S2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<String>,
}

/// A storefront order, normalised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The storefront's order id.
    pub id: OrderId,
    /// The order number people see (often equal to the id).
    pub number: String,
    /// The current storefront status.
    pub status: StatusId,
    /// When the order was placed (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub modified_at: DateTime<Utc>,
    /// Who placed it.
    pub customer: OrderCustomer,
    /// The shopper's e-mail (billing e-mail for guests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Billing address.
    pub billing: Address,
    /// Shipping addresses (consignments).
    #[serde(default)]
    pub shipping_addresses: Vec<ShippingAddress>,
    /// Product lines.
    pub lines: Vec<OrderLine>,
    /// Shipping charged (ex tax).
    #[serde(default)]
    pub shipping: Charge,
    /// Handling charged (ex tax).
    #[serde(default)]
    pub handling: Charge,
    /// Gift wrapping charged (ex tax).
    #[serde(default)]
    pub wrapping: Charge,
    /// Order-level discounts (coupons applied to the order, manual discounts).
    #[serde(default)]
    pub discounts: Vec<OrderDiscount>,
    /// Gift certificates redeemed (tenders).
    #[serde(default)]
    pub gift_certificates: Vec<GiftCertificateRedemption>,
    /// Store credit redeemed (a tender).
    #[serde(default)]
    pub store_credit: Decimal,
    /// Taxes as calculated by the storefront.
    #[serde(default)]
    pub taxes: Vec<TaxLine>,
    /// Payments.
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// The order's (transactional) currency.
    pub currency: Currency,
    /// The store's default currency.
    pub default_currency: Currency,
    /// Units of the default currency per unit of the order currency (1 when equal).
    pub exchange_rate: Decimal,
    /// Total excluding tax.
    pub total_ex_tax: Decimal,
    /// Total tax.
    pub total_tax: Decimal,
    /// Total including tax: what the shopper owes.
    pub total_inc_tax: Decimal,
    /// B2B context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b2b: Option<B2bInfo>,
    /// The shopper's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_message: Option<String>,
    /// The merchant's notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_notes: Option<String>,
    /// Extra storefront fields, for the user mapping hook (O15).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, serde_json::Value>,
}

/// Why an order's amounts do not add up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotalsMismatch {
    /// Which identity failed.
    pub what: &'static str,
    /// What the parts add up to.
    pub computed: Decimal,
    /// What the storefront says.
    pub stated: Decimal,
}

/// `external_source` of the storefront orders the B2B portal creates to take a card payment of
/// ledger invoices (B6). Such an order sells nothing: the portal records its money as receipts
/// against the invoices, so the orders job never imports it ([`Order::is_portal_payment`]).
pub const PORTAL_PAYMENT_SOURCE: &str = "bcsync-portal";

impl Order {
    /// Whether this is one of the B2B portal's invoice-payment orders ([`PORTAL_PAYMENT_SOURCE`]).
    pub fn is_portal_payment(&self) -> bool {
        self.custom.get("external_source").and_then(|v| v.as_str()) == Some(PORTAL_PAYMENT_SOURCE)
    }

    /// Σ of order-level discounts.
    pub fn order_discount_total(&self) -> Decimal {
        self.discounts.iter().map(|d| d.amount).sum()
    }

    /// Σ of every discount (line and order level).
    pub fn discount_total(&self) -> Decimal {
        self.order_discount_total()
            + self
                .lines
                .iter()
                .map(OrderLine::discount_total)
                .sum::<Decimal>()
    }

    /// Σ of the tax lines.
    pub fn tax_total(&self) -> Decimal {
        self.taxes.iter().map(|t| t.amount).sum()
    }

    /// Σ of gift certificates redeemed.
    pub fn gift_certificate_total(&self) -> Decimal {
        self.gift_certificates.iter().map(|g| g.amount).sum()
    }

    /// The total excluding tax computed from the parts.
    pub fn computed_total_ex_tax(&self) -> Decimal {
        self.lines.iter().map(|l| l.total_ex_tax).sum::<Decimal>() - self.discount_total()
            + self.shipping.amount_ex_tax
            + self.handling.amount_ex_tax
            + self.wrapping.amount_ex_tax
    }

    /// Checks the identities of the module documentation, exactly (no tolerance): the
    /// connector's parse and the storefront's data agree.
    pub fn check_totals(&self) -> Result<(), TotalsMismatch> {
        let ex = self.computed_total_ex_tax();
        if ex != self.total_ex_tax {
            return Err(TotalsMismatch {
                what: "total_ex_tax",
                computed: ex,
                stated: self.total_ex_tax,
            });
        }
        let tax = self.tax_total();
        if tax != self.total_tax {
            return Err(TotalsMismatch {
                what: "total_tax",
                computed: tax,
                stated: self.total_tax,
            });
        }
        if ex + tax != self.total_inc_tax {
            return Err(TotalsMismatch {
                what: "total_inc_tax",
                computed: ex + tax,
                stated: self.total_inc_tax,
            });
        }
        Ok(())
    }

    /// The shipping method of the first consignment, if any.
    pub fn shipping_method(&self) -> Option<&str> {
        self.shipping_addresses
            .iter()
            .find_map(|s| s.shipping_method.as_deref())
    }
}

/// An order to create in the storefront from a ledger-originated order (FEATURES E1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    /// The ledger's order number, kept as the cross-reference.
    pub ledger_number: String,
    /// The storefront customer, when the ledger client is linked to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
    /// Billing address.
    pub billing: Address,
    /// Shipping address.
    pub shipping: Address,
    /// Shipping method name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<String>,
    /// Lines: SKU, name, quantity, unit price ex tax.
    pub lines: Vec<NewOrderLine>,
    /// Shipping charged (ex tax).
    #[serde(default)]
    pub shipping_ex_tax: Decimal,
    /// The storefront status to create it in.
    pub status: StatusId,
    /// Currency.
    pub currency: Currency,
    /// Message shown on the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_notes: Option<String>,
}

/// A line of a [`NewOrder`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrderLine {
    /// SKU.
    pub sku: Sku,
    /// Name.
    pub name: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit price excluding tax.
    pub unit_price_ex_tax: Decimal,
}
