//! Payments recorded against invoices.

use bc_core::{Error, ErrorKind, Receipt, ReceiptState};
use rust_decimal::Decimal;

use super::*;
use crate::error::PLATFORM;
use crate::wire::{Line, LinkedTxn, Payment, Ref};

/// Every reference a receipt needs.
pub fn receipt_refs_needed(r: &Receipt) -> Vec<RefKey> {
    let mut v = Vec::new();
    if !r.deposit_account.is_empty() {
        v.push(RefKey::Account(r.deposit_account.clone()));
    }
    if !r.receipt_type.is_empty() {
        v.push(RefKey::PaymentMethod(r.receipt_type.clone()));
    }
    v
}

/// A QBO payment for a receipt, linked to the invoice it pays.
pub fn payment(r: &Receipt, refs: &Refs) -> Result<Payment, Error> {
    let ctx = format!("receipt {} of order {}", r.sequence, r.import_id);
    if r.amount <= Decimal::ZERO {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("{ctx}: a payment amount must be positive, not {}", r.amount),
        )
        .with_platform(PLATFORM));
    }
    let note = match r.state {
        ReceiptState::PreAuthorized => Some("pre-authorised card payment"),
        ReceiptState::Captured => None,
    };
    let foreign = r.currency != refs.home_currency;
    Ok(Payment {
        customer_ref: Some(Ref::id(r.client.id.clone())),
        total_amt: Some(r.amount),
        txn_date: Some(date(r.date)),
        currency_ref: (foreign || refs.multicurrency).then(|| Ref::id(r.currency.code())),
        deposit_to_account_ref: if r.deposit_account.is_empty() {
            None
        } else {
            Some(refs.get(&RefKey::Account(r.deposit_account.clone()), &ctx)?)
        },
        // Optional in QBO: a payment method that does not exist is left out.
        payment_method_ref: refs
            .ids
            .get(&RefKey::PaymentMethod(r.receipt_type.clone()))
            .cloned(),
        payment_ref_num: r.reference.as_ref().map(|s| truncate(s, MAX_PAYMENT_REF)),
        private_note: Some(note_with_marker(&receipt_key(r), note)),
        line: vec![Line {
            amount: Some(r.amount),
            linked_txn: vec![LinkedTxn {
                txn_id: r.document.id.clone(),
                txn_type: "Invoice".into(),
            }],
            ..Line::default()
        }],
        ..Payment::default()
    })
}
