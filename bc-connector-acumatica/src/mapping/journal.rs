//! GL journal transactions: the key leads the description (`[key] memo`), found again by a
//! `startswith` search.

use bc_core::{DocNumber, JournalEntry};
use serde_json::{json, Value};

use super::{num, v};

/// A journal transaction; the key leads its description: `[key] memo`.
pub fn journal(entry: &JournalEntry) -> Value {
    let lines: Vec<Value> = entry
        .lines
        .iter()
        .map(|l| json!({"Account": v(l.account.clone()), "DebitAmount": v(num(l.debit)), "CreditAmount": v(num(l.credit)), "TransactionDescription": v(l.description.clone())}))
        .collect();
    let number = match &entry.number {
        DocNumber::Fixed(n) => format!(" {n}"),
        DocNumber::Auto => String::new(),
    };
    json!({
        "Module": v("GL"),
        "TransactionDate": v(format!("{}T00:00:00+00:00", entry.date)),
        "CurrencyID": v(entry.currency.code()),
        "Description": v(format!("[{}]{number} {}", entry.key, entry.memo.clone().unwrap_or_default())),
        "Hold": v(false),
        "Details": lines,
    })
}
