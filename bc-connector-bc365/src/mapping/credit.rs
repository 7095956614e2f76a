//! Refunds → `salesCreditMemos`, applied to the posted invoice (`invoiceId`).
//!
//! Restocked item lines are item lines (posting them puts the goods back in stock at the
//! warehouse's location); goods not restocked are credited to `returns_account`; refunded
//! shipping and other charges go to their configured targets; tax is computed by BC from
//! each line's tax group and checked against the storefront's refunded tax.

use bc_core::{CreditMemo, IssueCode, MappingIssue, PostingTarget, SalesLineKind};
use serde_json::{json, Value};

use super::sales::{line_json, LineSpec, Planned};
use super::{fit, fit_key, Setup};
use crate::config::PostingChoices;

/// `externalDocumentNumber` of the credit memo of a refund: import id + refund id.
pub fn credit_key(import_id: &str, refund_id: &str) -> String {
    fit_key(&format!("{import_id}-R{refund_id}"), 35)
}

/// Maps a credit memo.
pub fn credit_memo(
    memo: &CreditMemo,
    setup: &Setup,
    choices: &PostingChoices,
) -> Result<Planned, Vec<MappingIssue>> {
    let order = memo.import_id.order();
    let mut issues = Vec::new();
    let mut areas = Vec::new();
    let mut lines = Vec::new();
    let location = memo
        .warehouse
        .as_deref()
        .and_then(|w| setup.locations.get(w))
        .map(String::as_str);
    let returns = choices.returns_account.clone().map(PostingTarget::Account);
    for l in &memo.lines {
        let not_restocked = matches!(l.kind, SalesLineKind::Item { .. }) && !l.restock;
        let (kind, target) = if not_restocked {
            (&SalesLineKind::Rounding, returns.as_ref())
        } else {
            (&l.kind, l.target.as_ref())
        };
        if not_restocked && returns.is_none() {
            issues.push(MappingIssue::new(
                Some(order),
                IssueCode::MissingPostingTarget,
                Some("ledger.posting.returns_account"),
                format!("refund {} credits `{}` without restocking it, and no returns G/L account is configured", memo.refund_id, l.description),
            ));
            continue;
        }
        let tax_code = l.tax_code.as_deref().or(if memo.tax.is_zero() {
            None
        } else {
            memo.tax_code.as_deref()
        });
        let zones = memo
            .tax_code
            .as_deref()
            .map(|z| format!("`{z}`"))
            .unwrap_or_else(|| "(refund)".into());
        let spec = LineSpec {
            kind,
            target,
            description: &l.description,
            quantity: l.quantity,
            amount: l.amount,
            tax_code,
            location,
        };
        if let Some(v) = line_json(
            &spec,
            order,
            &zones,
            setup,
            choices,
            &mut areas,
            &mut issues,
        ) {
            lines.push(v);
        }
    }
    if memo.invoice.is_none() {
        issues.push(MappingIssue::new(
            Some(order),
            IssueCode::DocumentNotPosted,
            None,
            format!(
                "refund {} has no posted invoice to apply its credit memo to",
                memo.refund_id
            ),
        ));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let key = credit_key(&memo.import_id.to_string(), &memo.refund_id);
    let date = memo.date.format("%Y-%m-%d").to_string();
    let mut body = json!({
        "customerId": memo.client.id,
        "externalDocumentNumber": key,
        "creditMemoDate": date,
        "postingDate": date,
        "currencyCode": memo.currency.to_string(),
        "salesCreditMemoLines": Value::Array(lines),
    });
    if let Some(inv) = &memo.invoice {
        body["invoiceId"] = json!(inv.id);
    }
    let _ = fit;
    Ok(Planned {
        set: "salesCreditMemos",
        body,
        tax_area: areas.pop(),
        expected_total: memo.total,
        key,
    })
}
