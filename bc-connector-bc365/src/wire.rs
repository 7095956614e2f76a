//! Typed API v2.0 JSON (field names as in `$metadata`); amounts parsed without floats.

use bc_core::wire::decimal_or_zero;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

/// `customer`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Customer {
    /// Id.
    pub id: String,
    /// Number.
    pub number: String,
    /// Name.
    pub display_name: String,
    /// E-mail.
    pub email: String,
    /// Tax area (VAT business posting group) id.
    pub tax_area_id: String,
    /// Subject to sales tax (US).
    pub tax_liable: bool,
    /// ETag.
    #[serde(rename = "@odata.etag")]
    pub etag: String,
}

/// `item`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Item {
    /// Id.
    pub id: String,
    /// Number (the SKU).
    pub number: String,
    /// Name.
    pub display_name: String,
    /// `Inventory`, `Service`, `Non_x002D_Inventory`.
    #[serde(rename = "type")]
    pub item_type: String,
    /// Stock on hand in all locations.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub inventory: Decimal,
}

/// A sales document header (`salesInvoice`, `salesOrder`, `salesCreditMemo`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Document {
    /// Id.
    pub id: String,
    /// Number (draft number, or the posted number after posting).
    pub number: String,
    /// The import id (or refund key).
    pub external_document_number: String,
    /// `Draft`, `Open`, `Paid`, …
    pub status: String,
    /// Currency code.
    pub currency_code: String,
    /// Customer id.
    pub customer_id: String,
    /// Total excluding tax.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub total_amount_excluding_tax: Decimal,
    /// Tax.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub total_tax_amount: Decimal,
    /// Total including tax.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub total_amount_including_tax: Decimal,
    /// Open amount of a posted invoice.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub remaining_amount: Decimal,
    /// The invoice a credit memo applies to.
    pub invoice_id: String,
    /// ETag.
    #[serde(rename = "@odata.etag")]
    pub etag: String,
    /// Lines of an invoice (`$expand`).
    pub sales_invoice_lines: Option<Vec<Line>>,
    /// Lines of an order (`$expand`).
    pub sales_order_lines: Option<Vec<Line>>,
    /// Lines of a credit memo (`$expand`).
    pub sales_credit_memo_lines: Option<Vec<Line>>,
}

impl Document {
    /// Whether it is still a draft.
    pub fn is_draft(&self) -> bool {
        self.status == "Draft"
    }

    /// Its lines, whichever document kind was expanded.
    pub fn lines(&self) -> &[Line] {
        self.sales_invoice_lines
            .as_deref()
            .or(self.sales_order_lines.as_deref())
            .or(self.sales_credit_memo_lines.as_deref())
            .unwrap_or(&[])
    }
}

/// A sales document line.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Line {
    /// Id.
    pub id: String,
    /// `Item`, `Account`, `Comment`.
    pub line_type: String,
    /// Item or account number.
    pub line_object_number: String,
    /// Second description (bcsync marks tender lines `tender:`).
    pub description2: String,
    /// Quantity.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub quantity: Decimal,
    /// Amount excluding tax.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub amount_excluding_tax: Decimal,
    /// Amount including tax.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub amount_including_tax: Decimal,
}

/// A journal or payment journal line (`journalLine`, `customerPayment`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JournalLine {
    /// Id.
    pub id: String,
    /// Document number.
    pub document_number: String,
    /// External document number (bcsync's key).
    pub external_document_number: String,
    /// Amount.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub amount: Decimal,
}

/// A posted sales shipment with its lines.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Shipment {
    /// Id.
    pub id: String,
    /// Number.
    pub number: String,
    /// The import id copied from the order/invoice.
    pub external_document_number: String,
    /// The order it shipped.
    pub order_number: String,
    /// Lines.
    pub sales_shipment_lines: Vec<ShipmentLine>,
}

/// A posted sales shipment line.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ShipmentLine {
    /// `Item`, …
    pub line_type: String,
    /// Item number (SKU).
    pub line_object_number: String,
    /// Quantity shipped.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub quantity: Decimal,
}

/// A row of the bcsync extension's `salesShipmentTracking` page.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Tracking {
    /// The posted shipment's id.
    pub id: String,
    /// Its number.
    pub number: String,
    /// The import id.
    pub external_document_number: String,
    /// The order number.
    pub order_number: String,
    /// `Package Tracking No.`
    pub package_tracking_no: String,
    /// `Shipping Agent Code`.
    pub shipping_agent_code: String,
    /// `Shipping Agent Service Code`.
    pub shipping_agent_service_code: String,
    /// Shipment date.
    pub shipment_date: String,
    /// Last change.
    pub last_modified_date_time: String,
}

/// A row of the bcsync extension's `itemAvailabilities` page.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Availability {
    /// Item number (SKU).
    pub item_number: String,
    /// Location code.
    pub location_code: String,
    /// Quantity on hand at the location.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub inventory: Decimal,
    /// Last change.
    pub last_modified_date_time: String,
}

/// A setup row with a code (`taxArea`, `taxGroup`, `currency`, `location`, journals).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Coded {
    /// Id.
    pub id: String,
    /// Code.
    pub code: String,
    /// Name.
    pub display_name: String,
    /// `VAT` or `Sales_x0020_Tax` (tax areas and groups).
    pub tax_type: String,
}

/// Parses one entity, naming it in errors.
pub fn parse<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> bc_core::Result<T> {
    serde_json::from_value(v).map_err(|e| {
        bc_core::Error::protocol(format!(
            "{what}: cannot read Business Central's answer: {e}"
        ))
        .with_platform(crate::PLATFORM)
    })
}
