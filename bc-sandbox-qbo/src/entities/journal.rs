//! Journal entry: lines posting debits and credits to accounts; they must balance.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::entities::names::{require_ref, resolve_ref};
use crate::entities::payment::common_txn_fields;
use crate::entities::sales::doc_number;
use crate::entities::WriteOptions;
use crate::errors::QboError;
use crate::json::{dec, num, obj_mut, text};
use crate::state::{Books, EntityKind};

/// Completes a journal entry; refuses one whose debits and credits differ.
pub(crate) fn complete(
    books: &Books,
    row: &mut Value,
    id: u64,
    opts: WriteOptions,
) -> Result<(), QboError> {
    common_txn_fields(books, row)?;
    let mut lines = match row.get("Line") {
        Some(Value::Array(l)) if !l.is_empty() => l.clone(),
        _ => return Err(QboError::required("Line")),
    };
    let mut debits = Decimal::ZERO;
    let mut credits = Decimal::ZERO;
    for (i, line) in lines.iter_mut().enumerate() {
        let amount = dec(line.get("Amount")).ok_or_else(|| QboError::required("Line.Amount"))?;
        if amount < Decimal::ZERO {
            return Err(QboError::invalid_value(
                "Line.Amount",
                "must not be negative",
            ));
        }
        let mut detail = line
            .get("JournalEntryLineDetail")
            .cloned()
            .ok_or_else(|| QboError::required("Line.JournalEntryLineDetail"))?;
        let posting = text(&detail, "PostingType")
            .ok_or_else(|| QboError::required("PostingType"))?
            .to_string();
        match posting.as_str() {
            "Debit" => debits += amount,
            "Credit" => credits += amount,
            _ => {
                return Err(QboError::invalid_value(
                    "PostingType",
                    "expected Debit or Credit",
                ))
            }
        }
        let account = require_ref(books, &mut detail, "AccountRef", EntityKind::Account)?;
        let is_ar = books
            .get(EntityKind::Account, account)
            .and_then(|a| text(a, "AccountType"))
            == Some("Accounts Receivable");
        let mut has_customer = false;
        if let Some(mut entity) = detail.get("Entity").cloned() {
            let kind = match text(&entity, "Type").unwrap_or("Customer") {
                "Vendor" => EntityKind::Vendor,
                "Employee" => EntityKind::Employee,
                _ => EntityKind::Customer,
            };
            let found = resolve_ref(books, &mut entity, "EntityRef", kind)?;
            has_customer = kind == EntityKind::Customer && found.is_some();
            obj_mut(&mut detail).insert("Entity".into(), entity);
        }
        if is_ar && !has_customer {
            return Err(QboError::business(
                "When you use Accounts Receivable, you must choose a customer in the Name field.",
            ));
        }
        resolve_ref(books, &mut detail, "ClassRef", EntityKind::Class)?;
        resolve_ref(books, &mut detail, "DepartmentRef", EntityKind::Department)?;
        let m = obj_mut(line);
        m.insert("Id".into(), json!(i.to_string()));
        m.insert("Amount".into(), num(amount));
        m.insert("DetailType".into(), json!("JournalEntryLineDetail"));
        m.insert("JournalEntryLineDetail".into(), detail);
    }
    if debits != credits {
        return Err(QboError::business(&format!(
            "Journal Entry is out of balance: debits ({debits}) must equal credits ({credits})."
        )));
    }
    let m = obj_mut(row);
    m.insert("Line".into(), Value::Array(lines));
    m.insert("TotalAmt".into(), num(debits));
    m.entry("Adjustment").or_insert(json!(false));
    if books.multicurrency {
        let rate = dec(m.get("ExchangeRate")).unwrap_or(Decimal::ONE);
        m.insert(
            "HomeTotalAmt".into(),
            num(crate::json::round2(debits * rate)),
        );
    }
    doc_number(books, EntityKind::JournalEntry, row, None, id, opts)
}
