//! `plan_receipts`: the payments of an order → receipts against its posted document (P1–P3).

use chrono::NaiveDate;

use super::issue::{IssueCode, MappingIssue};
use super::sales::{import_id, order_date};
use crate::document::{DocumentKind, Receipt, ReceiptState};
use crate::ids::LedgerRef;
use crate::ledger::LedgerCapabilities;
use crate::money::round_dp;
use crate::order::{Order, PaymentState};
use crate::settings::{PaymentLink, Settings};

/// Plans the receipts of `order` against the posted `document`.
///
/// - No receipts when payments are not recorded, for sales receipts (paid by themselves, P3),
///   and for methods mapped to `open_ar` (purchase orders stay open on A/R, P1).
/// - Captured payments become captured receipts; authorised-only payments become
///   pre-authorisations when `payments.card_preauthorized` is on, and are left for later
///   otherwise (P2); pending and void payments make no receipt.
/// - A method missing from `payment_map` is an issue naming it.
pub fn plan_receipts(
    order: &Order,
    settings: &Settings,
    ledger: &LedgerCapabilities,
    document: &LedgerRef,
    client: &LedgerRef,
) -> Result<Vec<Receipt>, Vec<MappingIssue>> {
    if !settings.payments.record_payments
        || settings.orders.document_kind == DocumentKind::SalesReceipt
        || settings.payments.link == PaymentLink::SalesReceipt
    {
        return Ok(Vec::new());
    }
    let import_id = import_id(order, settings).map_err(|i| vec![i])?;
    let dp = ledger.precision(order.currency);
    let mut issues = Vec::new();
    let mut out = Vec::new();
    for p in &order.payments {
        let state = match p.state {
            PaymentState::Captured => ReceiptState::Captured,
            PaymentState::Authorized if settings.payments.card_preauthorized => {
                ReceiptState::PreAuthorized
            }
            _ => continue,
        };
        let Some(m) = settings.payment_map.get(&p.method) else {
            issues.push(MappingIssue::new(
                Some(&order.id),
                IssueCode::UnmappedPaymentMethod,
                Some("payment_map"),
                format!(
                    "payment method `{}` is not in `payment_map`: map it to a receipt type and deposit account",
                    p.method
                ),
            ));
            continue;
        };
        if m.open_ar || p.amount.is_zero() {
            continue;
        }
        let date: NaiveDate =
            p.at.map(|at| at.with_timezone(&settings.sync.timezone).date_naive())
                .unwrap_or_else(|| order_date(order, settings));
        out.push(Receipt {
            import_id: import_id.clone(),
            sequence: u32::try_from(out.len()).unwrap_or(u32::MAX),
            document: document.clone(),
            client: client.clone(),
            receipt_type: m.receipt_type.clone().unwrap_or_default(),
            deposit_account: m.deposit_account.clone().unwrap_or_default(),
            amount: round_dp(p.amount, dp),
            currency: order.currency,
            state,
            date,
            reference: p.transaction_id.clone(),
        });
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}
