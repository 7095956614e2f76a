//! Writes: creating, changing and deleting rows the way Business Central validates them.
//!
//! Rules and where they come from (`shared/api/bc365/`):
//! - unknown properties, read-only properties, `MaxLength` (`api-v2.0-metadata.edmx.xml`,
//!   `Application_StringExceededLength`), GUID format (`Application_InvalidGUID`);
//! - `If-Match` is required on `PATCH`/`DELETE`, a stale one is `412` (`Request_EntityChanged`,
//!   `dynamics-error-codes.md`);
//! - documents need a customer ("A customerNumber or a customerID must be provided.") and take
//!   their number from the No. Series ("You may not enter numbers manually…");
//! - only draft documents change; posted ones are read-only;
//! - sales lines on a G/L account need `Direct Posting` on the account; items, accounts, tax
//!   groups, locations and currencies must exist (`Internal_RecordNotFound`);
//! - amounts: line amount = round(quantity × unit price, 2) − line discount; tax per line from
//!   the VAT posting setup / tax detail; document totals are the sums.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Map, Value};

use crate::errors::BcError;
use crate::rules::{customer, doc_line, document, item, journal_line, payment};
use crate::schema::{EntitySet, Ty};
use crate::state::{dec, num, obj, text, touch, Company, Ctx, TaxKind};

/// The null GUID BC writes for an empty reference.
pub const NULL_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// `(parent set, foreign key)` of a child collection.
pub fn parent_of(child: &str) -> Option<(&'static str, &'static str)> {
    Some(match child {
        "salesInvoiceLines" => ("salesInvoices", "documentId"),
        "salesOrderLines" => ("salesOrders", "documentId"),
        "salesCreditMemoLines" => ("salesCreditMemos", "documentId"),
        "salesShipmentLines" => ("salesShipments", "documentId"),
        "customerPayments" => ("customerPaymentJournals", "journalId"),
        "journalLines" => ("journals", "journalId"),
        _ => return None,
    })
}

/// Whether `set` is a sales document header.
pub fn is_document(set: &str) -> bool {
    matches!(set, "salesInvoices" | "salesOrders" | "salesCreditMemos")
}

pub(crate) fn is_doc_line(set: &str) -> bool {
    matches!(
        set,
        "salesInvoiceLines" | "salesOrderLines" | "salesCreditMemoLines"
    )
}

/// Rounds an amount to the currency's precision (2 decimals for every seeded currency).
pub fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn is_guid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

/// Checks a write body against the entity type: known, writable properties of the right
/// type and length. Navigation properties named in `nav` (deep insert) are skipped.
pub fn validate(
    set: &EntitySet,
    body: &Map<String, Value>,
    nav: Option<&str>,
) -> Result<(), BcError> {
    for (k, v) in body {
        if k.starts_with("@odata") || Some(k.as_str()) == nav {
            continue;
        }
        let Some(f) = set.field(k) else {
            return Err(BcError::bad_request(format!(
                "The property '{k}' does not exist on type 'Microsoft.NAV.{}'. Make sure to only use property names that are defined by the type.",
                set.type_name
            )));
        };
        if set.read_only.contains(&k.as_str()) && !(k == "number" && set.name == "customers") {
            return Err(BcError::new(
                400,
                "BadRequest_InvalidOperation",
                format!(
                    "The property '{k}' of 'Microsoft.NAV.{}' is read-only.",
                    set.type_name
                ),
            ));
        }
        if v.is_null() {
            continue;
        }
        let ok = match f.ty {
            Ty::Str | Ty::Enum => v.is_string(),
            Ty::Guid => match v.as_str() {
                Some(s) if is_guid(s) => true,
                Some(_) => return Err(BcError::invalid_guid()),
                None => false,
            },
            Ty::Dec => v.is_number(),
            Ty::Int => v.is_i64(),
            Ty::Bool => v.is_boolean(),
            Ty::Date => v
                .as_str()
                .is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()),
            Ty::DateTime => v
                .as_str()
                .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        };
        if !ok {
            return Err(BcError::bad_request(format!(
                "Cannot convert the literal '{v}' to the expected type '{}' of property '{k}'.",
                match f.ty {
                    Ty::Str | Ty::Enum => "Edm.String",
                    Ty::Guid => "Edm.Guid",
                    Ty::Dec => "Edm.Decimal",
                    Ty::Int => "Edm.Int32",
                    Ty::Bool => "Edm.Boolean",
                    Ty::Date => "Edm.Date",
                    Ty::DateTime => "Edm.DateTimeOffset",
                }
            )));
        }
        if let (Some(max), Some(s)) = (f.max, v.as_str()) {
            if s.chars().count() > max {
                return Err(BcError::too_long(s, max));
            }
        }
    }
    Ok(())
}

fn defaults(set: &EntitySet, m: &mut Map<String, Value>) {
    for f in set.fields {
        if m.contains_key(f.name) {
            continue;
        }
        let v = match f.ty {
            Ty::Str | Ty::Enum => json!(""),
            Ty::Guid => json!(NULL_GUID),
            Ty::Dec | Ty::Int => json!(0),
            Ty::Bool => json!(false),
            Ty::Date => json!("0001-01-01"),
            Ty::DateTime => json!("0001-01-01T00:00:00Z"),
        };
        m.insert(f.name.to_string(), v);
    }
}

fn check_etag(row: &Value, if_match: Option<&str>) -> Result<(), BcError> {
    match if_match {
        None => Err(BcError::missing_etag()),
        Some("*") => Ok(()),
        Some(tag) if tag == crate::state::etag(row) => Ok(()),
        Some(_) => Err(BcError::stale_etag()),
    }
}

pub(crate) fn lookup<'a>(
    c: &'a Company,
    set: &str,
    id: &str,
    number_field: &str,
    number: &str,
) -> Option<&'a Value> {
    if !id.is_empty() && id != NULL_GUID {
        c.get(set, id)
    } else if !number.is_empty() {
        c.by(set, number_field, number)
    } else {
        None
    }
}

/// The VAT or sales-tax percentage of a line with tax group `code` sold to `customer`,
/// `None` when the setup is missing (posting then fails with BC's error).
pub fn tax_rate(c: &Company, customer: &Value, code: &str) -> Option<Decimal> {
    let area = text(customer, "_taxAreaCode");
    match c.tax {
        TaxKind::Vat => c
            .vat_setup
            .get(&(area.to_string(), code.to_string()))
            .copied(),
        TaxKind::SalesTax => {
            if customer.get("taxLiable") != Some(&Value::Bool(true)) || code.is_empty() {
                Some(Decimal::ZERO)
            } else {
                c.tax_details
                    .get(&(area.to_string(), code.to_string()))
                    .copied()
            }
        }
    }
}

/// Recomputes one line's amounts and its document's totals.
pub fn recalc(c: &mut Company, doc_set: &str, doc_id: &str) {
    let Some(lines_set) = crate::schema::set(doc_set).and_then(|s| s.lines) else {
        return;
    };
    let customer = c
        .get(doc_set, doc_id)
        .map(|d| text(d, "customerId").to_string())
        .and_then(|cid| c.get("customers", &cid).cloned())
        .unwrap_or(json!({}));
    let rates: Vec<(String, Decimal)> = c
        .rows(lines_set)
        .iter()
        .filter(|l| text(l, "documentId").eq_ignore_ascii_case(doc_id))
        .map(|l| {
            let id = text(l, "id").to_string();
            (
                id,
                tax_rate(c, &customer, text(l, "taxCode")).unwrap_or_default(),
            )
        })
        .collect();
    let (mut net, mut tax) = (Decimal::ZERO, Decimal::ZERO);
    for line in c.rows_mut(lines_set) {
        if !text(line, "documentId").eq_ignore_ascii_case(doc_id) {
            continue;
        }
        let id = text(line, "id").to_string();
        let pct = rates
            .iter()
            .find(|(i, _)| *i == id)
            .map(|r| r.1)
            .unwrap_or_default();
        let comment = text(line, "lineType") == "Comment";
        let gross = round2(dec(line, "quantity") * dec(line, "unitPrice"));
        let amount = if comment {
            Decimal::ZERO
        } else {
            gross - dec(line, "discountAmount")
        };
        let t = round2(amount * pct / Decimal::ONE_HUNDRED);
        let m = obj(line);
        for (k, v) in [
            ("amountExcludingTax", amount),
            ("taxPercent", pct),
            ("totalTaxAmount", t),
            ("amountIncludingTax", amount + t),
            ("netAmount", amount),
            ("netTaxAmount", t),
            ("netAmountIncludingTax", amount + t),
        ] {
            m.insert(k.into(), num(v));
        }
        net += amount;
        tax += t;
    }
    if let Some(doc) = c.get_mut(doc_set, doc_id) {
        let m = obj(doc);
        m.insert("totalAmountExcludingTax".into(), num(net));
        m.insert("totalTaxAmount".into(), num(tax));
        m.insert("totalAmountIncludingTax".into(), num(net + tax));
    }
}

pub(crate) fn series(set: &str) -> (&'static str, &'static str, u64) {
    match set {
        "salesInvoices" => ("S-INV", "S-INV", 100_000),
        "salesOrders" => ("S-ORD", "S-ORD", 101_000),
        "salesCreditMemos" => ("S-CR", "S-CR", 104_000),
        "customers" => ("CUST", "C", 50_000),
        "items" => ("ITEM", "I", 70_000),
        _ => ("GJNL", "G", 10_000),
    }
}

/// Creates a row of `set` (under `parent` for a child collection) and returns it.
pub fn create(
    ctx: &mut Ctx,
    c: &mut Company,
    set: &'static EntitySet,
    body: Value,
    parent: Option<&str>,
) -> Result<Value, BcError> {
    let Value::Object(mut m) = body else {
        return Err(BcError::bad_request("Invalid Request Body"));
    };
    if !set.writable {
        return Err(BcError::new(
            405,
            "BadRequest_MethodNotAllowed",
            format!("'POST' requests for '{}' of EdmType 'Entity' are not allowed within Microsoft Dynamics NAV OData web services.", set.name),
        ));
    }
    validate(set, &m, set.lines)?;
    let deep = set.lines.and_then(|n| m.remove(n));
    if let Some((pset, fk)) = parent_of(set.name) {
        let Some(pid) = parent
            .map(str::to_string)
            .or_else(|| m.get(fk).and_then(Value::as_str).map(str::to_string))
        else {
            return Err(BcError::dialog(
                "You must specify an Id or a Document Id to create the line.",
            ));
        };
        if c.get(pset, &pid).is_none() {
            return Err(BcError::record_not_found(pset, &format!("Id='{pid}'")));
        }
        m.insert(fk.into(), json!(pid));
    }
    match set.name {
        "customers" => customer(c, &mut m, true)?,
        "items" => item(c, &mut m, true)?,
        s if is_document(s) => document(ctx, c, s, &mut m)?,
        s if is_doc_line(s) => doc_line(c, s, &mut m)?,
        "customerPayments" => payment(ctx, c, &mut m)?,
        "journalLines" => journal_line(ctx, c, &mut m)?,
        _ => {}
    }
    defaults(set, &mut m);
    let id = ctx.guid();
    m.insert("id".into(), json!(id));
    let mut row = Value::Object(m);
    touch(ctx, &mut row);
    c.rows_mut(set.name).push(row);
    if let Some(Value::Array(lines)) = deep {
        let lset = set
            .lines
            .and_then(crate::schema::set)
            .ok_or_else(|| BcError::bad_request("no lines"))?;
        for l in lines {
            if let Err(e) = create(ctx, c, lset, l, Some(&id)) {
                // A deep insert is one transaction: a bad line leaves no header behind.
                c.rows_mut(set.name).retain(|r| text(r, "id") != id);
                c.rows_mut(lset.name)
                    .retain(|r| text(r, "documentId") != id);
                return Err(e);
            }
        }
    } else if deep.is_some() {
        return Err(BcError::bad_request("Invalid Request Body"));
    }
    if let Some((pset, fk)) = parent_of(set.name) {
        if is_doc_line(set.name) {
            let pid = c
                .get(set.name, &id)
                .map(|r| text(r, fk).to_string())
                .unwrap_or_default();
            recalc(c, pset, &pid);
            if let Some(p) = c.get_mut(pset, &pid) {
                touch(ctx, p);
            }
        }
    }
    if is_document(set.name) {
        recalc(c, set.name, &id);
    }
    c.get(set.name, &id)
        .cloned()
        .ok_or_else(|| BcError::bad_request("lost row"))
}

/// `PATCH`: changes a row (drafts only for documents), checking `If-Match`.
pub fn update(
    ctx: &mut Ctx,
    c: &mut Company,
    set: &'static EntitySet,
    id: &str,
    body: Value,
    if_match: Option<&str>,
) -> Result<Value, BcError> {
    let Value::Object(m) = body else {
        return Err(BcError::bad_request("Invalid Request Body"));
    };
    let row = c
        .get(set.name, id)
        .cloned()
        .ok_or_else(|| BcError::record_not_found(set.type_name, &format!("Id='{id}'")))?;
    check_etag(&row, if_match)?;
    if !set.writable {
        return Err(BcError::new(
            405,
            "BadRequest_MethodNotAllowed",
            format!("'PATCH' requests for '{}' are not allowed.", set.name),
        ));
    }
    validate(set, &m, None)?;
    editable(c, set.name, &row)?;
    let mut m = m;
    match set.name {
        "customers" => customer(c, &mut m, false)?,
        "items" => item(c, &mut m, false)?,
        _ => {}
    }
    if is_doc_line(set.name) {
        // Re-validate the changed line as a whole (item/account/tax group/location).
        let mut merged = row.as_object().cloned().unwrap_or_default();
        for (k, v) in &m {
            merged.insert(k.clone(), v.clone());
        }
        doc_line(c, set.name, &mut merged)?;
        m = merged;
        m.remove("sequence");
    }
    if let Some(r) = c.get_mut(set.name, id) {
        let o = obj(r);
        for (k, v) in m {
            o.insert(k, v);
        }
        touch(ctx, r);
    }
    if let Some((pset, fk)) = parent_of(set.name) {
        let pid = text(&row, fk).to_string();
        if is_doc_line(set.name) {
            recalc(c, pset, &pid);
            if let Some(p) = c.get_mut(pset, &pid) {
                touch(ctx, p);
            }
        }
    }
    if is_document(set.name) {
        recalc(c, set.name, id);
    }
    c.get(set.name, id)
        .cloned()
        .ok_or_else(|| BcError::bad_request("lost row"))
}

fn editable(c: &Company, set: &str, row: &Value) -> Result<(), BcError> {
    let doc = if is_document(set) {
        Some(row.clone())
    } else if is_doc_line(set) {
        parent_of(set).and_then(|(p, fk)| c.get(p, text(row, fk)).cloned())
    } else {
        None
    };
    match doc {
        Some(d) if text(&d, "status") != "Draft" => Err(BcError::dialog(format!(
            "The document {} has been posted and cannot be changed.",
            text(&d, "number")
        ))),
        _ => Ok(()),
    }
}

/// `DELETE`: removes a row (drafts only for documents, with their lines), checking `If-Match`.
pub fn delete(
    ctx: &mut Ctx,
    c: &mut Company,
    set: &'static EntitySet,
    id: &str,
    if_match: Option<&str>,
) -> Result<(), BcError> {
    let row = c
        .get(set.name, id)
        .cloned()
        .ok_or_else(|| BcError::record_not_found(set.type_name, &format!("Id='{id}'")))?;
    check_etag(&row, if_match)?;
    if !set.writable {
        return Err(BcError::new(
            405,
            "BadRequest_MethodNotAllowed",
            format!("'DELETE' requests for '{}' are not allowed.", set.name),
        ));
    }
    editable(c, set.name, &row)?;
    c.rows_mut(set.name)
        .retain(|r| !text(r, "id").eq_ignore_ascii_case(id));
    if let Some(lines) = set.lines {
        c.rows_mut(lines)
            .retain(|r| !text(r, "documentId").eq_ignore_ascii_case(id));
    }
    if let Some((pset, fk)) = parent_of(set.name) {
        if is_doc_line(set.name) {
            let pid = text(&row, fk).to_string();
            recalc(c, pset, &pid);
            if let Some(p) = c.get_mut(pset, &pid) {
                touch(ctx, p);
            }
        }
    }
    Ok(())
}
