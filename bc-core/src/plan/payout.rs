//! `plan_payout_journal`: a payout → one balanced, summarised journal entry (Y1).

use rust_decimal::Decimal;

use super::issue::{IssueCode, MappingIssue};
use crate::document::{DocNumber, JournalEntry, JournalLine};
use crate::ids::JournalKey;
use crate::ledger::LedgerCapabilities;
use crate::money::round_dp;
use crate::refund::Payout;
use crate::settings::Settings;

fn line(account: &str, signed: Decimal, description: &str) -> JournalLine {
    // Positive = debit, negative = credit.
    JournalLine {
        account: account.to_string(),
        debit: signed.max(Decimal::ZERO),
        credit: (-signed).max(Decimal::ZERO),
        description: description.to_string(),
    }
}

/// Plans the journal of `payout`: debit the bank with the net, debit fees, credit the clearing
/// account with sales less refunds, and adjustments to their account. The clearing line is
/// the balancing figure of the rounded amounts, so the entry always balances; a payout whose
/// parts do not add up to its net is an issue, not a journal.
pub fn plan_payout_journal(
    payout: &Payout,
    settings: &Settings,
    ledger: &LedgerCapabilities,
) -> Result<JournalEntry, Vec<MappingIssue>> {
    let mut issues = Vec::new();
    let p = &settings.payouts;
    let mut account = |key: &str, v: &Option<String>| -> String {
        match v {
            Some(a) => a.clone(),
            None => {
                issues.push(MappingIssue::new(
                    None,
                    IssueCode::MissingPostingTarget,
                    Some(key),
                    format!("payout {} needs `{key}`", payout.id),
                ));
                String::new()
            }
        }
    };
    let bank = account("payouts.bank_account", &p.bank_account);
    let clearing = account("payouts.clearing_account", &p.clearing_account);
    let fees_account = if payout.fees.is_zero() {
        String::new()
    } else {
        account("payouts.fees_account", &p.fees_account)
    };
    let adj_account = if payout.adjustments.is_zero() {
        String::new()
    } else {
        account("payouts.adjustments_account", &p.adjustments_account)
    };
    if payout.computed_net() != payout.net {
        issues.push(MappingIssue::new(
            None,
            IssueCode::PayoutDoesNotReconcile,
            None,
            format!(
                "payout {}: sales − refunds − fees + adjustments = {} but the net paid is {}",
                payout.id,
                payout.computed_net(),
                payout.net
            ),
        ));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let dp = ledger.precision(payout.currency);
    let net = round_dp(payout.net, dp);
    let fees = round_dp(payout.fees, dp);
    let adj = round_dp(payout.adjustments, dp);
    let mut lines = vec![line(&bank, net, &format!("Payout {}", payout.id))];
    if !fees.is_zero() {
        lines.push(line(&fees_account, fees, "Processor fees"));
    }
    if !adj.is_zero() {
        lines.push(line(&adj_account, -adj, "Payout adjustments"));
    }
    // Balancing figure: clearing = −(net + fees − adj).
    let clearing_amount = -(net + fees - adj);
    lines.push(line(
        &clearing,
        clearing_amount,
        &format!(
            "{} sales, {} refunds settled",
            payout.sales.len(),
            payout.refunds.len()
        ),
    ));
    lines.retain(|l| !(l.debit.is_zero() && l.credit.is_zero()));
    let key = JournalKey::new(format!(
        "{}-PAYOUT-{}",
        settings.sync.import_source_code, payout.id
    ));
    Ok(JournalEntry {
        key: key.clone(),
        number: DocNumber::Fixed(
            ledger
                .max_doc_number_len
                .map(|m| key.chars().take(m).collect())
                .unwrap_or_else(|| key.to_string()),
        ),
        date: payout
            .paid_at
            .with_timezone(&settings.sync.timezone)
            .date_naive(),
        currency: payout.currency,
        lines,
        memo: Some(format!(
            "Payout {} net {} {}",
            payout.id, net, payout.currency
        )),
    })
}
