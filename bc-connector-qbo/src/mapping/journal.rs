//! Journals (payouts) and bank deposits.

use bc_core::{DocNumber, Error, ErrorKind, JournalEntry};
use rust_decimal::Decimal;

use super::*;
use crate::error::PLATFORM;
use crate::wire::{self, JournalEntryLineDetail, Line, Ref};

/// Every reference a journal needs.
pub fn journal_refs_needed(j: &JournalEntry) -> Vec<RefKey> {
    let mut v: Vec<RefKey> = j
        .lines
        .iter()
        .map(|l| RefKey::Account(l.account.clone()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// A balanced QBO journal entry.
pub fn journal(j: &JournalEntry, refs: &Refs) -> Result<wire::JournalEntry, Error> {
    let ctx = format!("journal {}", j.key);
    if !j.is_balanced() {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!(
                "{ctx}: debits {} ≠ credits {}; QuickBooks only takes balanced journals",
                j.debits(),
                j.credits()
            ),
        )
        .with_platform(PLATFORM));
    }
    let mut lines = Vec::new();
    for l in &j.lines {
        let account = refs.get(&RefKey::Account(l.account.clone()), &ctx)?;
        for (amount, posting) in [(l.debit, "Debit"), (l.credit, "Credit")] {
            if amount.is_zero() {
                continue;
            }
            if amount < Decimal::ZERO {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("{ctx}: a negative {posting} of {amount} on `{}`", l.account),
                )
                .with_platform(PLATFORM));
            }
            lines.push(Line {
                description: (!l.description.is_empty()).then(|| truncate(&l.description, 4000)),
                amount: Some(amount),
                detail_type: Some("JournalEntryLineDetail".into()),
                journal_entry_line_detail: Some(JournalEntryLineDetail {
                    posting_type: posting.into(),
                    account_ref: account.clone(),
                }),
                ..Line::default()
            });
        }
    }
    Ok(wire::JournalEntry {
        doc_number: match &j.number {
            DocNumber::Fixed(n) => Some(truncate(n, MAX_DOC_NUMBER)),
            DocNumber::Auto => None,
        },
        txn_date: Some(date(j.date)),
        currency_ref: (j.currency != refs.home_currency || refs.multicurrency)
            .then(|| Ref::id(j.currency.code())),
        private_note: Some(note_with_marker(&journal_key(&j.key), j.memo.as_deref())),
        line: lines,
        ..wire::JournalEntry::default()
    })
}

/// A QBO `Deposit` for a payout that arrives in `bank_account` as a bank deposit: the
/// journal's lines on the bank account make the deposit's total; every other line becomes a
/// deposit line from its account (credits positive — the clearing account — and debits
/// negative — fees). A balanced journal gives a deposit whose lines add up to the money that
/// arrived.
pub fn deposit(j: &JournalEntry, bank_account: &str, refs: &Refs) -> Result<wire::Deposit, Error> {
    let ctx = format!("payout deposit {}", j.key);
    if !j.is_balanced() {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("{ctx}: debits {} ≠ credits {}", j.debits(), j.credits()),
        )
        .with_platform(PLATFORM));
    }
    let arrived: Decimal = j
        .lines
        .iter()
        .filter(|l| l.account == bank_account)
        .map(|l| l.debit - l.credit)
        .sum();
    if arrived <= Decimal::ZERO {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("{ctx}: nothing arrives in `{bank_account}` ({arrived}); post it as a journal"),
        )
        .with_platform(PLATFORM));
    }
    let mut lines = Vec::new();
    for l in j.lines.iter().filter(|l| l.account != bank_account) {
        let amount = l.credit - l.debit;
        if amount.is_zero() {
            continue;
        }
        lines.push(Line {
            description: (!l.description.is_empty()).then(|| truncate(&l.description, 4000)),
            amount: Some(amount),
            detail_type: Some("DepositLineDetail".into()),
            deposit_line_detail: Some(wire::DepositLineDetail {
                account_ref: Some(refs.get(&RefKey::Account(l.account.clone()), &ctx)?),
                payment_method_ref: None,
            }),
            ..Line::default()
        });
    }
    Ok(wire::Deposit {
        txn_date: Some(date(j.date)),
        deposit_to_account_ref: Some(refs.get(&RefKey::Account(bank_account.to_string()), &ctx)?),
        currency_ref: (j.currency != refs.home_currency || refs.multicurrency)
            .then(|| Ref::id(j.currency.code())),
        private_note: Some(note_with_marker(&journal_key(&j.key), j.memo.as_deref())),
        line: lines,
        ..wire::Deposit::default()
    })
}
