//! Payment: money received from a customer, applied by its lines to invoices (and credit
//! memos). Applying reduces the invoice's `Balance`; what is not applied is `UnappliedAmt`.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::config::currency_name;
use crate::entities::effects::{payment_links, Key};
use crate::entities::names::{require_ref, resolve_ref};
use crate::entities::sales::account_by_subtype;
use crate::errors::QboError;
use crate::json::{dec, num, obj_mut, ref_value, reference, text};
use crate::state::{Books, EntityKind};

/// Completes a payment: checks its lines against the invoices they pay.
pub(crate) fn complete(
    books: &Books,
    row: &mut Value,
    existing: Option<&Value>,
    _id: u64,
) -> Result<(), QboError> {
    let customer = require_ref(books, row, "CustomerRef", EntityKind::Customer)?;
    let total = match row.get("TotalAmt") {
        None | Some(Value::Null) => return Err(QboError::required("TotalAmt")),
        Some(v) => {
            dec(Some(v)).ok_or_else(|| QboError::invalid_value("TotalAmt", "not a number"))?
        }
    };
    common_txn_fields(books, row)?;
    if row.get("DepositToAccountRef").is_none() {
        if let Some(acct) = account_by_subtype(books, "UndepositedFunds") {
            obj_mut(row).insert("DepositToAccountRef".into(), acct);
        }
    } else {
        resolve_ref(books, row, "DepositToAccountRef", EntityKind::Account)?;
    }
    resolve_ref(books, row, "PaymentMethodRef", EntityKind::PaymentMethod)?;

    // What this payment applied before (on update) is available again.
    let mut previously: HashMap<Key, Decimal> = HashMap::new();
    if let Some(e) = existing {
        for (k, a) in payment_links(e) {
            *previously.entry(k).or_default() += a;
        }
    }
    let mut lines = row
        .get("Line")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut applied_invoices = Decimal::ZERO;
    let mut applied_credits = Decimal::ZERO;
    let mut wanted: HashMap<Key, Decimal> = HashMap::new();
    for (i, line) in lines.iter_mut().enumerate() {
        let amount = dec(line.get("Amount")).ok_or_else(|| QboError::required("Line.Amount"))?;
        let links = line
            .get("LinkedTxn")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if links.is_empty() {
            return Err(QboError::required("Line.LinkedTxn"));
        }
        for link in &links {
            let txn_type = link.get("TxnType").and_then(Value::as_str).unwrap_or("");
            let kind = match txn_type {
                "Invoice" => EntityKind::Invoice,
                "CreditMemo" => EntityKind::CreditMemo,
                "" => return Err(QboError::required("Line.LinkedTxn.TxnType")),
                other => {
                    return Err(QboError::invalid_value(
                        "Line.LinkedTxn.TxnType",
                        &format!("{other} cannot be paid by a Payment"),
                    ))
                }
            };
            let txn_id = crate::json::id_text(link.get("TxnId"))
                .ok_or_else(|| QboError::required("Line.LinkedTxn.TxnId"))?;
            let target_id: u64 = txn_id
                .parse()
                .map_err(|_| QboError::invalid_reference(txn_type, &txn_id))?;
            let target = books
                .get(kind, target_id)
                .ok_or_else(|| QboError::invalid_reference(txn_type, &txn_id))?;
            if ref_value(target, "CustomerRef").as_deref() != Some(&customer.to_string()) {
                return Err(QboError::business(&format!(
                    "The {txn_type} {txn_id} belongs to another customer and cannot be applied to this payment."
                )));
            }
            *wanted.entry((kind, target_id)).or_default() += amount;
            match kind {
                EntityKind::Invoice => applied_invoices += amount,
                _ => applied_credits += amount,
            }
        }
        obj_mut(line).insert("Amount".into(), num(amount));
        obj_mut(line)
            .entry("Id")
            .or_insert_with(|| json!((i + 1).to_string()));
    }
    for ((kind, target_id), amount) in &wanted {
        let open = books
            .get(*kind, *target_id)
            .and_then(|t| dec(t.get("Balance")))
            .unwrap_or_default()
            + previously
                .get(&(*kind, *target_id))
                .copied()
                .unwrap_or_default();
        if *amount > open {
            return Err(QboError::business(&format!(
                "The amount applied to {} {} ({}) is more than its open balance ({}).",
                kind.name(),
                target_id,
                amount,
                open
            )));
        }
    }
    let unapplied = total - applied_invoices + applied_credits;
    if unapplied < Decimal::ZERO {
        return Err(QboError::business(
            "The payment amount must be at least the total applied to its lines.",
        ));
    }
    let m = obj_mut(row);
    m.insert("Line".into(), Value::Array(lines));
    m.insert("TotalAmt".into(), num(total));
    m.insert("UnappliedAmt".into(), num(unapplied));
    m.entry("ProcessPayment").or_insert(json!(false));
    if books.multicurrency {
        let rate = dec(m.get("ExchangeRate")).unwrap_or(Decimal::ONE);
        m.insert(
            "HomeTotalAmt".into(),
            num(crate::json::round2(total * rate)),
        );
    }
    Ok(())
}

/// `TxnDate` (default today), `CurrencyRef` (default the home currency) and `ExchangeRate`.
pub(crate) fn common_txn_fields(books: &Books, row: &mut Value) -> Result<(), QboError> {
    let date = match text(row, "TxnDate") {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| QboError::invalid_value("TxnDate", "expected yyyy-MM-dd"))?,
        None => books.clock.today(),
    };
    let home = books.home_currency.clone();
    let currency = ref_value(row, "CurrencyRef").unwrap_or_else(|| home.clone());
    if currency != home && !books.multicurrency {
        return Err(QboError::business(&format!(
            "Multicurrency is not enabled for this company: a transaction in {currency} cannot be saved."
        )));
    }
    let m = obj_mut(row);
    m.insert("TxnDate".into(), json!(date.format("%Y-%m-%d").to_string()));
    m.insert(
        "CurrencyRef".into(),
        reference(&currency, Some(currency_name(&currency))),
    );
    if books.multicurrency {
        let rate = dec(m.get("ExchangeRate")).unwrap_or(Decimal::ONE);
        m.insert("ExchangeRate".into(), num(rate));
    }
    Ok(())
}
