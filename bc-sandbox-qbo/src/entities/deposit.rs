//! Deposit: money moved into a bank account, from linked payments/sales receipts (out of
//! Undeposited Funds) or from other accounts.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::entities::names::{require_ref, resolve_ref};
use crate::entities::payment::common_txn_fields;
use crate::errors::QboError;
use crate::json::{dec, id_text, num, obj_mut};
use crate::state::{Books, EntityKind};

/// Completes a deposit: checks its account, lines and linked transactions; totals it.
pub(crate) fn complete(books: &Books, row: &mut Value) -> Result<(), QboError> {
    require_ref(books, row, "DepositToAccountRef", EntityKind::Account)?;
    common_txn_fields(books, row)?;
    let mut lines = match row.get("Line") {
        Some(Value::Array(l)) if !l.is_empty() => l.clone(),
        _ => return Err(QboError::required("Line")),
    };
    let mut total = Decimal::ZERO;
    for (i, line) in lines.iter_mut().enumerate() {
        let amount = dec(line.get("Amount")).ok_or_else(|| QboError::required("Line.Amount"))?;
        let links = line
            .get("LinkedTxn")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for link in &links {
            let txn_type = link.get("TxnType").and_then(Value::as_str).unwrap_or("");
            let kind = match txn_type {
                "Payment" => EntityKind::Payment,
                "SalesReceipt" => EntityKind::SalesReceipt,
                "RefundReceipt" => EntityKind::RefundReceipt,
                "JournalEntry" => EntityKind::JournalEntry,
                other => {
                    return Err(QboError::invalid_value(
                        "Line.LinkedTxn.TxnType",
                        &format!("{other} cannot be deposited"),
                    ))
                }
            };
            let txn_id = id_text(link.get("TxnId"))
                .ok_or_else(|| QboError::required("Line.LinkedTxn.TxnId"))?;
            if books.get_str(kind, &txn_id).is_none() {
                return Err(QboError::invalid_reference(txn_type, &txn_id));
            }
        }
        if links.is_empty() {
            let mut detail = line
                .get("DepositLineDetail")
                .cloned()
                .ok_or_else(|| QboError::required("Line.DepositLineDetail"))?;
            require_ref(books, &mut detail, "AccountRef", EntityKind::Account)?;
            resolve_ref(books, &mut detail, "ClassRef", EntityKind::Class)?;
            let m = obj_mut(line);
            m.insert("DetailType".into(), json!("DepositLineDetail"));
            m.insert("DepositLineDetail".into(), detail);
        }
        total += amount;
        let m = obj_mut(line);
        m.insert("Id".into(), json!((i + 1).to_string()));
        m.insert("LineNum".into(), json!(i + 1));
        m.insert("Amount".into(), num(amount));
    }
    let m = obj_mut(row);
    m.insert("Line".into(), Value::Array(lines));
    m.insert("TotalAmt".into(), num(total));
    Ok(())
}
