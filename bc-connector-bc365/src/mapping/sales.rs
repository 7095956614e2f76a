//! Sales documents → `salesInvoices` / `salesOrders` with their lines deep-inserted.
//!
//! - The import id goes to `externalDocumentNumber` (Text[35]): the key of exactly-once.
//! - A fixed document number goes to `customerPurchaseOrderReference` (BC numbers documents
//!   from its No. Series; manual numbers are refused).
//! - Item lines post through their item; discounts, shipping, handling, wrapping and rounding
//!   to the G/L account or item the settings name; **gift certificates and store credit to a
//!   liability G/L account** as negative lines marked `tender:` in `description2` (they are
//!   tenders, never a discount, and [`bc_core::SalesDocument::total`] leaves them out).
//! - Tax: each line's ledger tax code is `AREA/GROUP` (tax area = VAT business posting group
//!   or US tax area, tax group = VAT product posting group or US tax group) or just `GROUP`.
//!   A BC document has one tax area (the customer's): the mapping refuses a document whose
//!   lines need two, and codes the company does not have. Lines the storefront did not tax
//!   get `untaxed_tax_code`.
//! - Every problem is a [`MappingIssue`] naming the order and the setting; nothing is sent.

use bc_core::{
    Currency, DocumentKind, IssueCode, MappingIssue, PostingTarget, SalesDocument, SalesLine,
    SalesLineKind,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{fit, num, price, split_tax_code, Setup};
use crate::config::PostingChoices;

/// A document ready to send.
#[derive(Clone, Debug)]
pub struct Planned {
    /// Entity set (`salesInvoices`, `salesOrders`, `salesCreditMemos`).
    pub set: &'static str,
    /// The `POST` body with its lines.
    pub body: Value,
    /// The tax area the customer must have (`None`: keep the customer's).
    pub tax_area: Option<String>,
    /// What Business Central's `totalAmountIncludingTax` must come to.
    pub expected_total: Decimal,
    /// `externalDocumentNumber`.
    pub key: String,
}

/// The settings key of a line kind's posting target.
pub fn target_setting(kind: &SalesLineKind) -> &'static str {
    match kind {
        SalesLineKind::Discount { .. } => "posting.discount_gl",
        SalesLineKind::Shipping => "posting.shipping_gl",
        SalesLineKind::Handling => "posting.handling_gl",
        SalesLineKind::Wrapping => "posting.wrapping_gl",
        SalesLineKind::GiftCertificate { .. } => "posting.gift_card_liability_gl",
        SalesLineKind::StoreCredit => "posting.store_credit_gl",
        SalesLineKind::Rounding => "posting.rounding_gl",
        SalesLineKind::Item { .. } => "product_match",
    }
}

/// One line as `(kind, target, description, quantity, amount, tax code)`, shared with
/// credit memos.
pub struct LineSpec<'a> {
    /// What it is.
    pub kind: &'a SalesLineKind,
    /// Where it posts.
    pub target: Option<&'a PostingTarget>,
    /// Description.
    pub description: &'a str,
    /// Quantity.
    pub quantity: Decimal,
    /// Amount excluding tax (negative for credits on invoices).
    pub amount: Decimal,
    /// Ledger tax code.
    pub tax_code: Option<&'a str>,
    /// Item location.
    pub location: Option<&'a str>,
}

/// Checks tax codes and builds the line JSON; appends problems to `issues`. `areas`
/// collects the tax areas the lines need.
pub fn line_json(
    spec: &LineSpec<'_>,
    order: &bc_core::OrderId,
    zones: &str,
    setup: &Setup,
    choices: &PostingChoices,
    areas: &mut Vec<String>,
    issues: &mut Vec<MappingIssue>,
) -> Option<Value> {
    let (qty, unit, discount) = price(spec.quantity, spec.amount);
    let mut v = json!({
        "description": fit(spec.description, 100),
        "quantity": num(qty),
        "unitPrice": num(unit),
    });
    if !discount.is_zero() {
        v["discountAmount"] = num(discount);
    }
    match (spec.kind, spec.target) {
        (SalesLineKind::Item { item, .. }, _) => {
            v["lineType"] = json!("Item");
            v["itemId"] = json!(item.id);
        }
        (_, Some(PostingTarget::Account(acc))) => {
            v["lineType"] = json!("Account");
            v["lineObjectNumber"] = json!(acc);
        }
        (_, Some(PostingTarget::Item(no))) => {
            v["lineType"] = json!("Item");
            v["lineObjectNumber"] = json!(no);
        }
        (kind, None) => {
            issues.push(MappingIssue::new(
                Some(order),
                IssueCode::MissingPostingTarget,
                Some(target_setting(kind)),
                format!(
                    "no G/L account or item is configured for the line `{}`",
                    spec.description
                ),
            ));
            return None;
        }
    }
    match spec.kind {
        SalesLineKind::GiftCertificate { code } => {
            v["description2"] = json!(fit(&format!("tender:gift {code}"), 50))
        }
        SalesLineKind::StoreCredit => v["description2"] = json!("tender:store credit"),
        _ => {}
    }
    let code = spec.tax_code.or(choices.untaxed_tax_code.as_deref());
    if let Some(code) = code {
        let (area, group) = split_tax_code(code);
        if let Some(area) = area {
            if !setup.areas.contains_key(area) {
                issues.push(MappingIssue::new(
                    Some(order),
                    IssueCode::UnmappedTaxZone,
                    Some("tax_map"),
                    format!("tax zone {zones} maps to tax area `{area}` (with tax group `{group}`), which Business Central does not have"),
                ));
            } else if !areas.iter().any(|a| a == area) {
                areas.push(area.to_string());
            }
        }
        if !group.is_empty() {
            if !setup.groups.contains(group) {
                issues.push(MappingIssue::new(
                    Some(order),
                    IssueCode::UnmappedTaxZone,
                    Some("tax_map"),
                    format!("tax zone {zones} maps to tax group `{group}` (tax area `{}`), which Business Central does not have", area.unwrap_or("of the customer")),
                ));
            }
            v["taxCode"] = json!(group);
        }
    }
    if let (SalesLineKind::Item { .. }, Some(loc)) = (spec.kind, spec.location) {
        v["locationId"] = json!(loc);
    }
    Some(v)
}

/// The storefront zones taxed on line `index` (or all zones of the document), for messages.
pub fn zones_of(doc: &SalesDocument, index: usize, code: Option<&str>) -> String {
    let mut zones: Vec<&str> = doc
        .taxes
        .iter()
        .filter(|t| {
            t.line == Some(index) || (t.line.is_none() && Some(t.tax_code.as_str()) == code)
        })
        .map(|t| t.zone.as_str())
        .collect();
    zones.dedup();
    if zones.is_empty() {
        "(untaxed)".into()
    } else {
        zones
            .iter()
            .map(|z| format!("`{z}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Maps a sales document.
pub fn sales_document(
    doc: &SalesDocument,
    setup: &Setup,
    choices: &PostingChoices,
    home: Currency,
    accepted: &[Currency],
) -> Result<Planned, Vec<MappingIssue>> {
    let order = &doc.order_id;
    let mut issues = Vec::new();
    let key = doc.import_id.to_string();
    if key.chars().count() > 35 {
        issues.push(MappingIssue::new(
            Some(order),
            IssueCode::DocNumberTooLong,
            Some("orders.import_source_code"),
            format!(
                "import id `{key}` is longer than Business Central's External Document No. (35)"
            ),
        ));
    }
    if doc.currency != home
        && !accepted.contains(&doc.currency)
        && !setup.currencies.contains(&doc.currency.to_string())
    {
        issues.push(MappingIssue::new(
            Some(order),
            IssueCode::CurrencyNotEnabled,
            Some("ledger.currencies"),
            format!(
                "currency {} is not set up in Business Central (Currencies and exchange rates)",
                doc.currency
            ),
        ));
    }
    let location = match doc.warehouse.as_deref() {
        Some(w) => match setup.locations.get(w) {
            Some(id) => Some(id.as_str()),
            None => {
                issues.push(MappingIssue::new(
                    Some(order),
                    IssueCode::MissingPostingTarget,
                    Some("shipping.warehouse"),
                    format!("location `{w}` does not exist in Business Central"),
                ));
                None
            }
        },
        None => None,
    };
    let mut areas = Vec::new();
    let mut lines = Vec::new();
    for (i, l) in doc.lines.iter().enumerate() {
        let SalesLine {
            kind,
            target,
            description,
            quantity,
            amount,
            tax_code,
            ..
        } = l;
        let zones = zones_of(doc, i, tax_code.as_deref());
        let spec = LineSpec {
            kind,
            target: target.as_ref(),
            description,
            quantity: *quantity,
            amount: *amount,
            tax_code: tax_code.as_deref(),
            location,
        };
        if let Some(v) = line_json(
            &spec,
            order,
            &zones,
            setup,
            choices,
            &mut areas,
            &mut issues,
        ) {
            lines.push(v);
        }
    }
    if areas.len() > 1 {
        issues.push(MappingIssue::new(
            Some(order),
            IssueCode::UnmappedTaxZone,
            Some("tax_map"),
            format!("the lines map to tax areas `{}`, but a Business Central document has one tax area (the customer's VAT business posting group)", areas.join("`, `")),
        ));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let (set, date_field, lines_field) = match doc.kind {
        DocumentKind::SalesOrder => ("salesOrders", "orderDate", "salesOrderLines"),
        _ => ("salesInvoices", "invoiceDate", "salesInvoiceLines"),
    };
    let date = doc.date.format("%Y-%m-%d").to_string();
    let mut body = json!({
        "customerId": doc.client.id,
        "externalDocumentNumber": key,
        date_field: date,
        "postingDate": date,
        "currencyCode": doc.currency.to_string(),
    });
    if set == "salesInvoices" {
        body["dueDate"] = json!(doc
            .due_date
            .unwrap_or(doc.date)
            .format("%Y-%m-%d")
            .to_string());
    }
    // salesOrder has no customerPurchaseOrderReference in $metadata: the storefront number
    // of an order shows through its externalDocumentNumber only.
    if let (bc_core::DocNumber::Fixed(n), "salesInvoices") = (&doc.number, set) {
        body["customerPurchaseOrderReference"] = json!(fit(n, 35));
    }
    if let Some(a) = &doc.shipping {
        body["shipToName"] = json!(fit(&format!("{} {}", a.first_name, a.last_name), 100));
        body["shipToAddressLine1"] = json!(fit(&a.street_1, 100));
        body["shipToAddressLine2"] = json!(fit(a.street_2.as_deref().unwrap_or(""), 50));
        body["shipToCity"] = json!(fit(&a.city, 30));
        body["shipToState"] = json!(fit(&a.state, 30));
        body["shipToCountry"] = json!(fit(&a.country_iso2, 10));
        body["shipToPostCode"] = json!(fit(&a.zip, 20));
    }
    body[lines_field] = Value::Array(lines);
    Ok(Planned {
        set,
        body,
        tax_area: areas.pop(),
        expected_total: doc.balance_due(),
        key,
    })
}
