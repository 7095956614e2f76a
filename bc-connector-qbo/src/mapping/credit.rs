//! Credit memos and refund receipts.

use bc_core::{CreditKind, CreditMemo, DocNumber, Error, ErrorKind, PostingTarget, SalesLineKind};

use super::*;
use crate::error::PLATFORM;
use crate::wire::{Line, Ref, SalesForm, SalesItemLineDetail, TxnTaxDetail};

/// Every reference a credit memo needs.
pub fn credit_refs_needed(m: &CreditMemo) -> Vec<RefKey> {
    let mut out = Vec::new();
    for l in &m.lines {
        if !matches!(l.kind, SalesLineKind::Item { .. }) {
            match &l.target {
                Some(PostingTarget::Item(n)) => out.push(RefKey::Item(n.clone())),
                Some(PostingTarget::Account(a)) => out.push(RefKey::AccountItem(
                    account_item_label(&l.kind).to_string(),
                    a.clone(),
                )),
                None => {}
            }
        }
        if let Some(c) = &l.tax_code {
            out.push(RefKey::TaxCode(c.to_string()));
        }
    }
    if let Some(c) = &m.tax_code {
        out.push(RefKey::TaxCode(c.to_string()));
    }
    if let Some(a) = &m.refund_account {
        out.push(RefKey::Account(a.clone()));
    }
    out.sort();
    out.dedup();
    out
}

/// A QBO `CreditMemo` or `RefundReceipt` for a storefront refund.
pub fn credit_form(m: &CreditMemo, refs: &Refs) -> Result<SalesForm, Error> {
    let ctx = format!("refund {} of order {}", m.refund_id, m.import_id);
    let doc_number = match &m.number {
        DocNumber::Fixed(n) => Some(truncate(n, MAX_DOC_NUMBER)),
        DocNumber::Auto => None,
    };
    let mut lines = Vec::new();
    for (i, l) in m.lines.iter().enumerate() {
        let lctx = format!("{ctx} line {}", i + 1);
        let item = match (&l.kind, &l.target) {
            (SalesLineKind::Item { item, .. }, _) => Ref::id(item.id.clone()),
            (_, Some(PostingTarget::Item(n))) => refs.get(&RefKey::Item(n.clone()), &lctx)?,
            (k, Some(PostingTarget::Account(a))) => refs.get(
                &RefKey::AccountItem(account_item_label(k).to_string(), a.clone()),
                &lctx,
            )?,
            (_, None) => {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("{lctx}: the line has no item or account to post to"),
                )
                .with_platform(PLATFORM))
            }
        };
        let tax = match refs.style {
            TaxStyle::Us => Some(Ref::id(if l.tax_code.is_some() && !m.tax.is_zero() {
                "TAX"
            } else {
                "NON"
            })),
            TaxStyle::NonUs => match l.tax_code.as_deref().or(refs.default_tax_code.as_deref()) {
                Some(c) => Some(refs.tax_code(c, &lctx)?),
                None => None,
            },
        };
        let (qty, price) = unit_price_for(l.quantity, l.unit_price, l.amount);
        lines.push(Line {
            description: (!l.description.is_empty()).then(|| truncate(&l.description, 4000)),
            amount: Some(l.amount),
            detail_type: Some("SalesItemLineDetail".into()),
            sales_item_line_detail: Some(SalesItemLineDetail {
                item_ref: Some(item),
                unit_price: Some(price),
                qty: Some(qty),
                tax_code_ref: tax,
                ..SalesItemLineDetail::default()
            }),
            ..Line::default()
        });
    }
    let mut tax = TxnTaxDetail {
        total_tax: Some(m.tax),
        ..TxnTaxDetail::default()
    };
    if refs.style == TaxStyle::Us {
        if let Some(c) = &m.tax_code {
            tax.txn_tax_code_ref = Some(refs.tax_code(c, &ctx)?);
        }
    }
    let foreign = m.currency != refs.home_currency;
    let invoice_note = m
        .invoice
        .as_ref()
        .map(|i| format!("credits invoice {}", i.number.as_deref().unwrap_or(&i.id)));
    let note = [m.memo.clone(), invoice_note]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
    let mut form = SalesForm {
        doc_number,
        txn_date: Some(date(m.date)),
        customer_ref: Some(Ref::id(m.client.id.clone())),
        currency_ref: (foreign || refs.multicurrency).then(|| Ref::id(m.currency.code())),
        private_note: Some(note_with_marker(
            &credit_key(&m.import_id, &m.refund_id),
            Some(&note),
        )),
        line: lines,
        txn_tax_detail: Some(tax),
        global_tax_calculation: (refs.style == TaxStyle::NonUs).then(|| "TaxExcluded".into()),
        ..SalesForm::default()
    };
    if m.kind == CreditKind::RefundReceipt {
        let acct = m.refund_account.as_ref().ok_or_else(|| {
            Error::config(
                "refunds.refund_clearing_account",
                format!("{ctx}: a refund receipt needs the account the money leaves from"),
            )
        })?;
        form.deposit_to_account_ref = Some(refs.get(&RefKey::Account(acct.clone()), &ctx)?);
    }
    Ok(form)
}
