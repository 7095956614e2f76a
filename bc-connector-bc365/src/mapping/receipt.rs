//! Receipts → `customerPayments` in the payment journal, applied to the posted invoice
//! (`appliesToInvoiceId`); `externalDocumentNumber` = import id + `-P` + sequence, the key
//! [`bc_core::Ledger::find_receipt`] searches.

use bc_core::{Receipt, ReceiptState};
use serde_json::{json, Value};

use super::{fit, fit_key, num};

/// The receipt's key.
pub fn receipt_key(r: &Receipt) -> String {
    fit_key(&format!("{}-P{}", r.import_id, r.sequence), 35)
}

/// The `POST customerPayments` body; `applies_to` is the invoice when it is posted.
pub fn payment(r: &Receipt, applies_to: Option<&str>) -> Value {
    let state = match r.state {
        ReceiptState::PreAuthorized => "pre-authorised",
        ReceiptState::Captured => "captured",
    };
    let mut v = json!({
        "customerId": r.client.id,
        "postingDate": r.date.format("%Y-%m-%d").to_string(),
        "externalDocumentNumber": receipt_key(r),
        "amount": num(r.amount),
        "description": fit(&format!("{} {} {} {}", r.receipt_type, state, r.amount, r.currency), 100),
        "comment": fit(&format!("bcsync {} via {}{}", r.import_id, r.deposit_account, r.reference.as_deref().map(|x| format!(", transaction {x}")).unwrap_or_default()), 250),
    });
    if let Some(id) = applies_to {
        v["appliesToInvoiceId"] = json!(id);
    }
    v
}
