//! Name lists: Customer, Vendor, Employee (one shared name space, 6240 on a reused
//! `DisplayName`), Item (unique `Name`), Account, Class, Department; and the references
//! transactions make to them.

use serde_json::{json, Value};

use crate::config::currency_name;
use crate::errors::QboError;
use crate::json::{boolean, obj_mut, ref_value, reference, text};
use crate::state::{Books, EntityKind};

/// The display name of a stored entity (what QBO puts in a reference's `name`).
pub(crate) fn display_name(row: &Value) -> Option<&str> {
    text(row, "DisplayName")
        .or_else(|| text(row, "FullyQualifiedName"))
        .or_else(|| text(row, "Name"))
}

/// Checks that `row[key]` (a reference) points at an existing entity of `kind`, fills its
/// `name`, and returns the id. `Ok(None)` when the reference is absent.
pub(crate) fn resolve_ref(
    books: &Books,
    row: &mut Value,
    key: &str,
    kind: EntityKind,
) -> Result<Option<u64>, QboError> {
    let Some(value) = ref_value(row, key) else {
        return Ok(None);
    };
    let target = value
        .parse::<u64>()
        .ok()
        .and_then(|id| books.get(kind, id).map(|r| (id, r)));
    let Some((id, target)) = target else {
        return Err(QboError::invalid_reference(kind.name(), &value));
    };
    let name = display_name(target).map(str::to_string);
    obj_mut(row).insert(key.to_string(), reference(&value, name.as_deref()));
    Ok(Some(id))
}

/// Like [`resolve_ref`] but the reference must be there.
pub(crate) fn require_ref(
    books: &Books,
    row: &mut Value,
    key: &str,
    kind: EntityKind,
) -> Result<u64, QboError> {
    resolve_ref(books, row, key, kind)?.ok_or_else(|| QboError::required(key))
}

/// Copies server-owned running totals from the stored version on update.
fn keep(row: &mut Value, existing: Option<&Value>, fields: &[&str], defaults: Value) {
    let m = obj_mut(row);
    for f in fields {
        let v = existing
            .and_then(|e| e.get(*f))
            .cloned()
            .unwrap_or_else(|| defaults.clone());
        m.insert((*f).to_string(), v);
    }
}

fn default_field(row: &mut Value, key: &str, v: Value) {
    let m = obj_mut(row);
    let empty = match m.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    };
    if empty {
        m.insert(key.to_string(), v);
    }
}

/// Customer, Vendor, Employee.
pub(crate) fn complete_person(
    books: &mut Books,
    kind: EntityKind,
    row: &mut Value,
    existing: Option<&Value>,
    id: u64,
) -> Result<(), QboError> {
    let display = match text(row, "DisplayName") {
        Some(d) => d.to_string(),
        None => {
            let parts: Vec<&str> = ["Title", "GivenName", "MiddleName", "FamilyName", "Suffix"]
                .iter()
                .filter_map(|k| text(row, k))
                .collect();
            if parts.is_empty() {
                match text(row, "CompanyName") {
                    Some(c) => c.to_string(),
                    None => return Err(QboError::required("DisplayName")),
                }
            } else {
                parts.join(" ")
            }
        }
    };
    if display.contains(':') || display.contains('\t') || display.contains('\n') {
        return Err(QboError::invalid_value(
            "DisplayName",
            "colon, tab and newline are not allowed",
        ));
    }
    let folded = display.to_lowercase();
    for other in [
        EntityKind::Customer,
        EntityKind::Vendor,
        EntityKind::Employee,
    ] {
        let clash = books
            .table(other)
            .into_iter()
            .flat_map(|t| t.rows.iter())
            .any(|(oid, r)| {
                !(other == kind && *oid == id)
                    && text(r, "DisplayName").map(str::to_lowercase).as_deref() == Some(&folded)
            });
        if clash {
            return Err(QboError::duplicate_name("customer, vendor or employee"));
        }
    }
    let m = obj_mut(row);
    m.insert("DisplayName".into(), json!(display));
    let check_name = text(row, "CompanyName").unwrap_or(&display).to_string();
    default_field(row, "PrintOnCheckName", json!(check_name));
    default_field(row, "Active", json!(true));
    let home = books.home_currency.clone();
    default_field(
        row,
        "CurrencyRef",
        reference(&home, Some(currency_name(&home))),
    );
    match kind {
        EntityKind::Customer => {
            obj_mut(row).insert("FullyQualifiedName".into(), json!(display));
            for key in ["BillAddr", "ShipAddr"] {
                let needs_id = row
                    .get(key)
                    .and_then(Value::as_object)
                    .is_some_and(|a| !a.contains_key("Id"));
                if needs_id {
                    books.address_seq += 1;
                    let id = books.address_seq.to_string();
                    if let Some(a) = row.get_mut(key).and_then(Value::as_object_mut) {
                        a.insert("Id".into(), json!(id));
                    }
                }
            }
            if books.is_us() {
                default_field(row, "Taxable", json!(true));
            }
            default_field(row, "Job", json!(false));
            default_field(row, "BillWithParent", json!(false));
            default_field(row, "PreferredDeliveryMethod", json!("Print"));
            default_field(row, "IsProject", json!(false));
            keep(row, existing, &["Balance", "BalanceWithJobs"], json!(0));
        }
        EntityKind::Vendor => {
            default_field(row, "Vendor1099", json!(false));
            keep(row, existing, &["Balance"], json!(0));
        }
        _ => {}
    }
    Ok(())
}

/// Item (product or service).
pub(crate) fn complete_item(
    books: &Books,
    row: &mut Value,
    existing: Option<&Value>,
    id: u64,
) -> Result<(), QboError> {
    let name = text(row, "Name")
        .ok_or_else(|| QboError::required("Name"))?
        .to_string();
    let folded = name.to_lowercase();
    let clash = books
        .table(EntityKind::Item)
        .into_iter()
        .flat_map(|t| t.rows.iter())
        .any(|(oid, r)| {
            *oid != id && text(r, "Name").map(str::to_lowercase).as_deref() == Some(&folded)
        });
    if clash {
        return Err(QboError::duplicate_name("product or service"));
    }
    let kind = text(row, "Type").unwrap_or("Service").to_string();
    if !matches!(
        kind.as_str(),
        "Service" | "Inventory" | "NonInventory" | "Group" | "Category"
    ) {
        return Err(QboError::invalid_value("Type", "unknown item type"));
    }
    let m = obj_mut(row);
    m.insert("Name".into(), json!(name));
    m.insert("Type".into(), json!(kind));
    m.insert("FullyQualifiedName".into(), json!(name));
    default_field(row, "Active", json!(true));
    default_field(row, "Taxable", json!(false));
    default_field(row, "UnitPrice", json!(0));
    default_field(row, "PurchaseCost", json!(0));
    if matches!(kind.as_str(), "Service" | "NonInventory" | "Inventory") {
        require_ref(books, row, "IncomeAccountRef", EntityKind::Account)?;
        resolve_ref(books, row, "ExpenseAccountRef", EntityKind::Account)?;
    }
    if kind == "Inventory" {
        require_ref(books, row, "AssetAccountRef", EntityKind::Account)?;
        require_ref(books, row, "ExpenseAccountRef", EntityKind::Account)?;
        if existing.is_none() && row.get("QtyOnHand").is_none_or(Value::is_null) {
            return Err(QboError::required("QtyOnHand"));
        }
        if text(row, "InvStartDate").is_none() {
            return Err(QboError::required("InvStartDate"));
        }
        obj_mut(row).insert("TrackQtyOnHand".into(), json!(true));
        if let Some(e) = existing {
            default_field(
                row,
                "QtyOnHand",
                e.get("QtyOnHand").cloned().unwrap_or(json!(0)),
            );
        }
    } else {
        obj_mut(row).insert("TrackQtyOnHand".into(), json!(false));
    }
    resolve_ref(books, row, "SalesTaxCodeRef", EntityKind::TaxCode)?;
    resolve_ref(books, row, "ClassRef", EntityKind::Class)?;
    Ok(())
}

/// Account, Class, Department.
pub(crate) fn complete_named(
    books: &Books,
    kind: EntityKind,
    row: &mut Value,
    existing: Option<&Value>,
    id: u64,
) -> Result<(), QboError> {
    let name = text(row, "Name")
        .ok_or_else(|| QboError::required("Name"))?
        .to_string();
    let folded = name.to_lowercase();
    let clash = books
        .table(kind)
        .into_iter()
        .flat_map(|t| t.rows.iter())
        .any(|(oid, r)| {
            *oid != id && text(r, "Name").map(str::to_lowercase).as_deref() == Some(&folded)
        });
    if clash {
        return Err(QboError::duplicate_name(&kind.name().to_lowercase()));
    }
    obj_mut(row).insert("FullyQualifiedName".into(), json!(name));
    default_field(row, "Active", json!(true));
    match kind {
        EntityKind::Account => {
            let account_type = text(row, "AccountType")
                .ok_or_else(|| QboError::required("AccountType"))?
                .to_string();
            let classification = classification(&account_type)
                .ok_or_else(|| QboError::invalid_value("AccountType", "unknown account type"))?;
            obj_mut(row).insert("Classification".into(), json!(classification));
            default_field(row, "SubAccount", json!(false));
            let home = books.home_currency.clone();
            default_field(
                row,
                "CurrencyRef",
                reference(&home, Some(currency_name(&home))),
            );
            keep(
                row,
                existing,
                &["CurrentBalance", "CurrentBalanceWithSubAccounts"],
                json!(0),
            );
        }
        EntityKind::Class => default_field(row, "SubClass", json!(false)),
        _ => default_field(row, "SubDepartment", json!(false)),
    }
    Ok(())
}

/// Longest payment method `Name` QBO accepts (Intuit's PaymentMethod reference: 31
/// characters; the XSD's "QBO: 15" would refuse QBO's own "American Express").
pub(crate) const MAX_PAYMENT_METHOD_NAME: usize = 31;

/// PaymentMethod: `Name` required, unique (any case, inactive ones included), at most 31
/// characters; `Type` `CREDIT_CARD` or `NON_CREDIT_CARD` when given.
pub(crate) fn complete_payment_method(
    books: &Books,
    row: &mut Value,
    id: u64,
) -> Result<(), QboError> {
    let name = text(row, "Name")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| QboError::required("Name"))?
        .to_string();
    if name.chars().count() > MAX_PAYMENT_METHOD_NAME {
        return Err(QboError::invalid_value("Name", "longer than 31 characters"));
    }
    let folded = name.to_lowercase();
    let clash = books
        .table(EntityKind::PaymentMethod)
        .into_iter()
        .flat_map(|t| t.rows.iter())
        .any(|(oid, r)| {
            *oid != id && text(r, "Name").map(str::to_lowercase).as_deref() == Some(&folded)
        });
    if clash {
        return Err(QboError::duplicate_name("payment method"));
    }
    if let Some(t) = row.get("Type") {
        if !matches!(t.as_str(), Some("CREDIT_CARD" | "NON_CREDIT_CARD")) {
            return Err(QboError::invalid_value(
                "Type",
                "expected CREDIT_CARD or NON_CREDIT_CARD",
            ));
        }
    }
    obj_mut(row).insert("Name".into(), json!(name));
    default_field(row, "Active", json!(true));
    Ok(())
}

/// QBO's classification of an account type.
pub(crate) fn classification(account_type: &str) -> Option<&'static str> {
    Some(match account_type {
        "Bank" | "Other Current Asset" | "Fixed Asset" | "Other Asset" | "Accounts Receivable" => {
            "Asset"
        }
        "Equity" => "Equity",
        "Expense" | "Other Expense" | "Cost of Goods Sold" => "Expense",
        "Accounts Payable" | "Credit Card" | "Long Term Liability" | "Other Current Liability" => {
            "Liability"
        }
        "Income" | "Other Income" => "Revenue",
        _ => return None,
    })
}

/// What a delete does to a name-list entity: inactive, and renamed as QBO renames it.
pub(crate) fn deactivate(row: &mut Value) {
    let m = obj_mut(row);
    m.insert("Active".into(), json!(false));
    for key in [
        "DisplayName",
        "Name",
        "FullyQualifiedName",
        "PrintOnCheckName",
    ] {
        if let Some(Value::String(s)) = m.get_mut(key) {
            if !s.ends_with(" (deleted)") {
                s.push_str(" (deleted)");
            }
        }
    }
}

/// US companies answer for the pseudo tax codes `TAX` and `NON` that sales lines use.
pub(crate) fn pseudo_tax_code(books: &Books, id: &str) -> Option<Value> {
    if !books.is_us() {
        return None;
    }
    let taxable = match id.trim() {
        "TAX" => true,
        "NON" => false,
        _ => return None,
    };
    let name = id.trim();
    Some(json!({
        "Name": name,
        "Description": if taxable { "TAX" } else { "NON" },
        "Active": true,
        "Taxable": taxable,
        "TaxGroup": false,
        "SalesTaxRateList": { "TaxRateDetail": [] },
        "PurchaseTaxRateList": { "TaxRateDetail": [] },
        "domain": "QBO",
        "sparse": false,
        "Id": name,
        "SyncToken": "0",
        "MetaData": {
            "CreateTime": "2015-01-01T00:00:00-08:00",
            "LastUpdatedTime": "2015-01-01T00:00:00-08:00"
        }
    }))
}

/// Whether an entity is active (absent means active).
pub(crate) fn is_active(row: &Value) -> bool {
    boolean(row, "Active").unwrap_or(true)
}
