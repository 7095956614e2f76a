//! Payouts → `journalLines` of the payout journal, then `Microsoft.NAV.post`. Every line of
//! one payout carries the same document number (derived from the payout key, Code[20]) and
//! the key in `externalDocumentNumber`; posted entries are found again in
//! `generalLedgerEntries` by document number.

use bc_core::JournalEntry;
use serde_json::{json, Value};

use super::{fit, fit_key, num};

/// The document number of a payout journal: `PO` + 18 hex digits of a hash of its key.
pub fn document_number(key: &str) -> String {
    let h = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, key.as_bytes())
        .simple()
        .to_string()
        .to_uppercase();
    format!("PO{}", &h[..18])
}

/// The journal's `externalDocumentNumber`.
pub fn external_key(key: &str) -> String {
    fit_key(key, 35)
}

/// The `POST journalLines` bodies (amount > 0 debit, < 0 credit).
pub fn lines(e: &JournalEntry) -> Vec<Value> {
    let doc = document_number(&e.key);
    let ext = external_key(&e.key);
    e.lines
        .iter()
        .map(|l| {
            json!({
                "accountType": "G_x002F_L_x0020_Account",
                "accountNumber": l.account,
                "postingDate": e.date.format("%Y-%m-%d").to_string(),
                "documentNumber": doc,
                "externalDocumentNumber": ext,
                "amount": num(l.debit - l.credit),
                "description": fit(&l.description, 100),
            })
        })
        .collect()
}
