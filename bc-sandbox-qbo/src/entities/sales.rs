//! Sales forms: Invoice, SalesReceipt, CreditMemo, RefundReceipt. Lines, discounts, sales tax
//! (US: one transaction tax code over `TAX` lines; non-US: a VAT code per line), totals,
//! document numbers, currency.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::config::currency_name;
use crate::entities::effects;
use crate::entities::names::{display_name, require_ref, resolve_ref};
use crate::entities::WriteOptions;
use crate::errors::QboError;
use crate::json::{boolean, dec, id_text, num, obj_mut, ref_value, reference, round2, text};
use crate::state::{Books, EntityKind};

/// The first account with this `AccountSubType`, as a reference.
pub(crate) fn account_by_subtype(books: &Books, subtype: &str) -> Option<Value> {
    books
        .rows(EntityKind::Account)
        .find(|a| text(a, "AccountSubType") == Some(subtype))
        .and_then(|a| {
            let id = id_text(a.get("Id"))?;
            Some(reference(&id, display_name(a)))
        })
}

fn decimal_field(v: &Value, key: &str) -> Result<Option<Decimal>, QboError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => dec(Some(x))
            .map(Some)
            .ok_or_else(|| QboError::invalid_value(key, "not a number")),
    }
}

/// One tax code's rates: `(TaxRate id, percent)`.
fn code_rates(books: &Books, code: &Value) -> Vec<(String, Decimal)> {
    code.pointer("/SalesTaxRateList/TaxRateDetail")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let rid = ref_value(d, "TaxRateRef")?;
            let rate = books.get_str(EntityKind::TaxRate, &rid)?;
            Some((rid, dec(rate.get("RateValue")).unwrap_or_default()))
        })
        .collect()
}

/// Completes a sales form: validates references and lines, computes tax and totals.
pub(crate) fn complete(
    books: &Books,
    kind: EntityKind,
    row: &mut Value,
    existing: Option<&Value>,
    id: u64,
    opts: WriteOptions,
) -> Result<(), QboError> {
    let customer_id = match kind {
        EntityKind::Invoice | EntityKind::CreditMemo => Some(require_ref(
            books,
            row,
            "CustomerRef",
            EntityKind::Customer,
        )?),
        _ => resolve_ref(books, row, "CustomerRef", EntityKind::Customer)?,
    };
    let customer = customer_id.and_then(|c| books.get(EntityKind::Customer, c).cloned());
    if let Some(c) = &customer {
        let m = obj_mut(row);
        for (field, from) in [
            ("BillAddr", "BillAddr"),
            ("ShipAddr", "ShipAddr"),
            ("BillEmail", "PrimaryEmailAddr"),
        ] {
            if m.get(field).is_none_or(Value::is_null) {
                if let Some(v) = c.get(from) {
                    m.insert(field.into(), v.clone());
                }
            }
        }
    }
    resolve_ref(books, row, "ClassRef", EntityKind::Class)?;
    resolve_ref(books, row, "DepartmentRef", EntityKind::Department)?;

    // Dates.
    let txn_date = match text(row, "TxnDate").or_else(|| existing.and_then(|e| text(e, "TxnDate")))
    {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| QboError::invalid_value("TxnDate", "expected yyyy-MM-dd"))?,
        None => books.clock.today(),
    };
    obj_mut(row).insert(
        "TxnDate".into(),
        json!(txn_date.format("%Y-%m-%d").to_string()),
    );
    if kind == EntityKind::Invoice && text(row, "DueDate").is_none() {
        let due = txn_date + Duration::days(30);
        obj_mut(row).insert("DueDate".into(), json!(due.format("%Y-%m-%d").to_string()));
    }

    // Currency.
    let home = books.home_currency.clone();
    let currency = ref_value(row, "CurrencyRef").unwrap_or_else(|| home.clone());
    if currency != home && !books.multicurrency {
        return Err(QboError::business(&format!(
            "Multicurrency is not enabled for this company: a transaction in {currency} cannot be saved."
        )));
    }
    if let Some(c) = &customer {
        let cust_currency = ref_value(c, "CurrencyRef").unwrap_or_else(|| home.clone());
        if cust_currency != currency {
            return Err(QboError::business(
                "The currency of the transaction must match the currency of the customer.",
            ));
        }
    }
    obj_mut(row).insert(
        "CurrencyRef".into(),
        reference(&currency, Some(currency_name(&currency))),
    );
    let rate = decimal_field(row, "ExchangeRate")?.unwrap_or(Decimal::ONE);
    if books.multicurrency {
        obj_mut(row).insert("ExchangeRate".into(), num(rate));
    }

    // Lines.
    let lines = match row.get("Line") {
        Some(Value::Array(l)) if !l.is_empty() => l.clone(),
        _ => return Err(QboError::required("Line")),
    };
    let us = books.is_us();
    let global_calc = if us {
        None
    } else {
        let g = text(row, "GlobalTaxCalculation")
            .unwrap_or("TaxExcluded")
            .to_string();
        if !matches!(g.as_str(), "TaxExcluded" | "TaxInclusive" | "NotApplicable") {
            return Err(QboError::invalid_value(
                "GlobalTaxCalculation",
                "expected TaxExcluded, TaxInclusive or NotApplicable",
            ));
        }
        obj_mut(row).insert("GlobalTaxCalculation".into(), json!(g));
        Some(g)
    };
    let mut out: Vec<Value> = Vec::new();
    let mut subtotal = Decimal::ZERO;
    let mut discount = Decimal::ZERO;
    // Net amount per tax code (US: "TAX"/"NON"; non-US: the code's id).
    let mut by_code: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut line_num = 1u32;
    for (index, raw) in lines.into_iter().enumerate() {
        let mut line = raw;
        if !line.is_object() {
            return Err(QboError::invalid_value(
                "Line",
                "each line must be an object",
            ));
        }
        let detail_type = match text(&line, "DetailType") {
            Some(d) => d.to_string(),
            None => [
                "SalesItemLineDetail",
                "DiscountLineDetail",
                "SubTotalLineDetail",
                "DescriptionLineDetail",
            ]
            .into_iter()
            .find(|k| line.get(*k).is_some())
            .map(str::to_string)
            .ok_or_else(|| QboError::required("Line.DetailType"))?,
        };
        match detail_type.as_str() {
            "SubTotalLineDetail" => continue,
            "SalesItemLineDetail" => {
                let mut detail = line
                    .get("SalesItemLineDetail")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                let item = match ref_value(&detail, "ItemRef") {
                    Some(v) if v == "SHIPPING_ITEM_ID" => None,
                    Some(_) => {
                        let item_id = require_ref(books, &mut detail, "ItemRef", EntityKind::Item)?;
                        books.get(EntityKind::Item, item_id).cloned()
                    }
                    None => None,
                };
                resolve_ref(books, &mut detail, "ClassRef", EntityKind::Class)?;
                let qty = decimal_field(&detail, "Qty")?;
                let price = decimal_field(&detail, "UnitPrice")?;
                // Tax code of the line.
                let code = if us {
                    let c = ref_value(&detail, "TaxCodeRef").unwrap_or_else(|| {
                        let taxable = item
                            .as_ref()
                            .and_then(|i| boolean(i, "Taxable"))
                            .unwrap_or(false);
                        if taxable { "TAX" } else { "NON" }.to_string()
                    });
                    if c != "TAX" && c != "NON" {
                        return Err(QboError::invalid_reference("TaxCode", &c));
                    }
                    obj_mut(&mut detail).insert("TaxCodeRef".into(), json!({ "value": c }));
                    Some(c)
                } else {
                    let c = ref_value(&detail, "TaxCodeRef")
                        .or_else(|| item.as_ref().and_then(|i| ref_value(i, "SalesTaxCodeRef")));
                    match c {
                        Some(c) => {
                            if books.get_str(EntityKind::TaxCode, &c).is_none() {
                                return Err(QboError::invalid_reference("TaxCode", &c));
                            }
                            obj_mut(&mut detail).insert("TaxCodeRef".into(), json!({ "value": c }));
                            Some(c)
                        }
                        None if global_calc.as_deref() == Some("NotApplicable") => None,
                        None => {
                            return Err(QboError::business(
                                "Make sure all your transactions have a VAT rate before you save.",
                            ))
                        }
                    }
                };
                let mut amount = decimal_field(&line, "Amount")?;
                if amount.is_none() && global_calc.as_deref() == Some("TaxInclusive") {
                    // Only the tax-inclusive amount was sent: the net is backed out of it.
                    if let (Some(gross), Some(c)) =
                        (decimal_field(&detail, "TaxInclusiveAmt")?, code.as_deref())
                    {
                        let pct: Decimal = books
                            .get_str(EntityKind::TaxCode, c)
                            .map(|tc| code_rates(books, tc).iter().map(|r| r.1).sum())
                            .unwrap_or_default();
                        amount = Some(round2(gross / (Decimal::ONE + pct / Decimal::ONE_HUNDRED)));
                    }
                }
                let amount = match (amount, qty, price) {
                    (Some(a), _, _) => a,
                    (None, Some(q), Some(p)) => round2(q * p),
                    _ => return Err(QboError::required("Line.Amount")),
                };
                // Clients that always send `Qty: 0, UnitPrice: 0` (python-quickbooks does) are
                // not refused: QBO checks the product only when both are given.
                if let (Some(q), Some(p)) = (qty, price) {
                    if !q.is_zero() && !p.is_zero() && round2(q * p) != round2(amount) {
                        return Err(QboError::amount_calculation(&amount.to_string()));
                    }
                }
                if !us {
                    if let Some(c) = code.as_deref() {
                        let pct: Decimal = books
                            .get_str(EntityKind::TaxCode, c)
                            .map(|tc| code_rates(books, tc).iter().map(|r| r.1).sum())
                            .unwrap_or_default();
                        let gross = amount + round2(amount * pct / Decimal::ONE_HUNDRED);
                        obj_mut(&mut detail).insert("TaxInclusiveAmt".into(), num(gross));
                    }
                }
                subtotal += amount;
                if let Some(c) = code {
                    *by_code.entry(c).or_default() += amount;
                }
                let m = obj_mut(&mut line);
                m.insert("Id".into(), json!((index + 1).to_string()));
                m.insert("LineNum".into(), json!(line_num));
                line_num += 1;
                m.insert("Amount".into(), num(amount));
                m.insert("DetailType".into(), json!("SalesItemLineDetail"));
                m.insert("SalesItemLineDetail".into(), detail);
            }
            "DiscountLineDetail" => {
                let mut detail = line
                    .get("DiscountLineDetail")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                let percent_based = boolean(&detail, "PercentBased").unwrap_or(false);
                let amount = match (percent_based, decimal_field(&detail, "DiscountPercent")?) {
                    (true, Some(p)) => round2(subtotal * p / Decimal::ONE_HUNDRED),
                    _ => decimal_field(&line, "Amount")?
                        .ok_or_else(|| QboError::required("Line.Amount"))?,
                };
                if detail.get("DiscountAccountRef").is_none() {
                    if let Some(acct) = account_by_subtype(books, "DiscountsRefundsGiven") {
                        obj_mut(&mut detail).insert("DiscountAccountRef".into(), acct);
                    }
                } else {
                    resolve_ref(
                        books,
                        &mut detail,
                        "DiscountAccountRef",
                        EntityKind::Account,
                    )?;
                }
                obj_mut(&mut detail).insert("PercentBased".into(), json!(percent_based));
                discount += amount;
                let m = obj_mut(&mut line);
                m.insert("Id".into(), json!((index + 1).to_string()));
                m.insert("Amount".into(), num(amount));
                m.insert("DetailType".into(), json!("DiscountLineDetail"));
                m.insert("DiscountLineDetail".into(), detail);
            }
            "DescriptionOnly" | "DescriptionLineDetail" => {
                let m = obj_mut(&mut line);
                m.insert("Id".into(), json!((index + 1).to_string()));
                m.insert("DetailType".into(), json!("DescriptionOnly"));
                m.remove("Amount");
            }
            "GroupLineDetail" => return Err(QboError::unsupported_property("GroupLineDetail")),
            other => {
                return Err(QboError::invalid_value(
                    "Line.DetailType",
                    &format!("{other} is not a sales line type"),
                ))
            }
        }
        out.push(line);
    }
    out.push(json!({
        "Amount": num(subtotal),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {}
    }));
    obj_mut(row).insert("Line".into(), Value::Array(out));

    // Tax.
    let apply_after = boolean(row, "ApplyTaxAfterDiscount").unwrap_or(false);
    if us {
        obj_mut(row).insert("ApplyTaxAfterDiscount".into(), json!(apply_after));
    }
    let supplied_tax = row
        .pointer("/TxnTaxDetail/TotalTax")
        .and_then(|v| dec(Some(v)));
    let mut tax_detail = Map::new();
    let mut tax_lines = Vec::new();
    let mut total_tax = Decimal::ZERO;
    let prorate = |base: Decimal| -> Decimal {
        if discount.is_zero() || subtotal.is_zero() || (us && !apply_after) {
            base
        } else {
            base - round2(discount * base / subtotal)
        }
    };
    if us {
        let mut td = row
            .get("TxnTaxDetail")
            .cloned()
            .unwrap_or_else(|| json!({}));
        if let Some(code_id) = resolve_ref(books, &mut td, "TxnTaxCodeRef", EntityKind::TaxCode)? {
            let base = prorate(by_code.get("TAX").copied().unwrap_or_default());
            if let Some(code) = books.get(EntityKind::TaxCode, code_id) {
                for (rid, pct) in code_rates(books, code) {
                    let tax = round2(base * pct / Decimal::ONE_HUNDRED);
                    total_tax += tax;
                    tax_lines.push(tax_line(&rid, pct, base, tax));
                }
            }
            if let Some(t) = td.get("TxnTaxCodeRef") {
                tax_detail.insert("TxnTaxCodeRef".into(), t.clone());
            }
        }
    } else {
        let mut per_rate: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        let mut pct_of: BTreeMap<String, Decimal> = BTreeMap::new();
        if global_calc.as_deref() != Some("NotApplicable") {
            for (code_id, net) in &by_code {
                if let Some(code) = books.get_str(EntityKind::TaxCode, code_id) {
                    for (rid, pct) in code_rates(books, code) {
                        *per_rate.entry((rid.clone(), code_id.clone())).or_default() += *net;
                        pct_of.insert(rid, pct);
                    }
                }
            }
        }
        let mut merged: BTreeMap<String, Decimal> = BTreeMap::new();
        for ((rid, _), net) in per_rate {
            *merged.entry(rid).or_default() += net;
        }
        for (rid, net) in merged {
            let pct = pct_of.get(&rid).copied().unwrap_or_default();
            let base = prorate(net);
            let tax = round2(base * pct / Decimal::ONE_HUNDRED);
            total_tax += tax;
            tax_lines.push(tax_line(&rid, pct, base, tax));
        }
    }
    // A client may override the computed tax (QBO keeps an explicit TotalTax); the difference
    // goes on the first tax line.
    if let Some(s) = supplied_tax {
        if !tax_lines.is_empty() && s != total_tax {
            let diff = s - total_tax;
            if let Some(first) = tax_lines.first_mut() {
                let a = dec(first.get("Amount")).unwrap_or_default() + diff;
                obj_mut(first).insert("Amount".into(), num(a));
            }
            total_tax = s;
        }
    }
    tax_detail.insert("TotalTax".into(), num(total_tax));
    if !tax_lines.is_empty() {
        tax_detail.insert("TaxLine".into(), Value::Array(tax_lines));
    }
    obj_mut(row).insert("TxnTaxDetail".into(), Value::Object(tax_detail));

    // Totals.
    let total = subtotal - discount + total_tax;
    let m = obj_mut(row);
    m.insert("TotalAmt".into(), num(total));
    if books.multicurrency {
        m.insert("HomeTotalAmt".into(), num(round2(total * rate)));
    }
    match kind {
        EntityKind::Invoice | EntityKind::CreditMemo => {
            let deposit = decimal_field(row, "Deposit")?.unwrap_or_default();
            let (applied, payers) = effects::applied_to(books, (kind, id));
            let balance = total - deposit - applied;
            let m = obj_mut(row);
            m.insert("Balance".into(), num(balance));
            if kind == EntityKind::Invoice {
                m.insert("Deposit".into(), num(deposit));
                let mut links: Vec<Value> = existing
                    .and_then(|e| e.get("LinkedTxn"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|l| l.get("TxnType").and_then(Value::as_str) != Some("Payment"))
                    .cloned()
                    .collect();
                links.extend(
                    payers
                        .iter()
                        .map(|p| json!({"TxnId": p, "TxnType": "Payment"})),
                );
                m.insert("LinkedTxn".into(), Value::Array(links));
                if m.get("PrintStatus").is_none() {
                    m.insert("PrintStatus".into(), json!("NeedToPrint"));
                }
            } else {
                m.insert("RemainingCredit".into(), num(balance));
            }
        }
        EntityKind::SalesReceipt | EntityKind::RefundReceipt => {
            m.insert("Balance".into(), json!(0));
            if kind == EntityKind::RefundReceipt {
                require_ref(books, row, "DepositToAccountRef", EntityKind::Account)?;
            } else if row.get("DepositToAccountRef").is_none() {
                if let Some(acct) = account_by_subtype(books, "UndepositedFunds") {
                    obj_mut(row).insert("DepositToAccountRef".into(), acct);
                }
            } else {
                resolve_ref(books, row, "DepositToAccountRef", EntityKind::Account)?;
            }
            resolve_ref(books, row, "PaymentMethodRef", EntityKind::PaymentMethod)?;
        }
        _ => {}
    }
    let m = obj_mut(row);
    if m.get("PrintStatus").is_none() {
        m.insert("PrintStatus".into(), json!("NotSet"));
    }
    if m.get("EmailStatus").is_none() {
        m.insert("EmailStatus".into(), json!("NotSet"));
    }
    doc_number(books, kind, row, existing, id, opts)
}

fn tax_line(rate_id: &str, pct: Decimal, base: Decimal, tax: Decimal) -> Value {
    json!({
        "Amount": num(tax),
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": {
            "TaxRateRef": { "value": rate_id },
            "PercentBased": true,
            "TaxPercent": num(pct),
            "NetAmountTaxable": num(base)
        }
    })
}

/// Assigns the next number when none is given; refuses a number already used by another
/// document of the same type (6140) unless duplicates are allowed.
pub(crate) fn doc_number(
    books: &Books,
    kind: EntityKind,
    row: &mut Value,
    existing: Option<&Value>,
    id: u64,
    opts: WriteOptions,
) -> Result<(), QboError> {
    match text(row, "DocNumber").map(str::to_string) {
        Some(doc) => {
            if doc.chars().count() > 21 {
                return Err(QboError::invalid_value(
                    "DocNumber",
                    "longer than 21 characters",
                ));
            }
            if books.reject_duplicate_doc_numbers && !opts.allow_duplicate_doc_number {
                if let Some(other) = books
                    .with_doc_number(kind, &doc)
                    .into_iter()
                    .find(|o| *o != id)
                {
                    return Err(QboError::duplicate_doc_number(
                        &doc,
                        kind.txn_type_label(),
                        &other.to_string(),
                    ));
                }
            }
        }
        None => {
            // An update that leaves the number out keeps it.
            if let Some(doc) = existing.and_then(|e| text(e, "DocNumber")) {
                obj_mut(row).insert("DocNumber".into(), json!(doc));
            } else if kind != EntityKind::JournalEntry && kind != EntityKind::Deposit {
                let next = books.max_doc_number(kind).map(|n| n + 1).unwrap_or(1001);
                obj_mut(row).insert("DocNumber".into(), json!(next.to_string()));
            }
        }
    }
    Ok(())
}

/// Zeroes a document's amounts for a void and notes it, as QBO does.
pub(crate) fn void_amounts(row: &mut Value) {
    let m = obj_mut(row);
    for key in [
        "TotalAmt",
        "Balance",
        "HomeTotalAmt",
        "UnappliedAmt",
        "RemainingCredit",
    ] {
        if m.contains_key(key) {
            m.insert(key.into(), json!(0));
        }
    }
    if let Some(Value::Array(lines)) = m.get_mut("Line") {
        for line in lines.iter_mut() {
            let l = obj_mut(line);
            if l.contains_key("Amount") {
                l.insert("Amount".into(), json!(0));
            }
            if let Some(d) = l
                .get_mut("SalesItemLineDetail")
                .and_then(Value::as_object_mut)
            {
                if d.contains_key("Qty") {
                    d.insert("Qty".into(), json!(0));
                }
            }
        }
    }
    if let Some(td) = m.get_mut("TxnTaxDetail").and_then(Value::as_object_mut) {
        td.insert("TotalTax".into(), json!(0));
        if let Some(Value::Array(tl)) = td.get_mut("TaxLine") {
            for l in tl.iter_mut() {
                obj_mut(l).insert("Amount".into(), json!(0));
            }
        }
    }
    m.insert("PrivateNote".into(), json!("Voided"));
}
