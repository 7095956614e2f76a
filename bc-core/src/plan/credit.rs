//! `plan_credit_memo`: a storefront refund → a credit memo linked to the invoice (R1, R2).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::issue::{IssueCode, MappingIssue};
use super::sales::{import_id, item_key, missing_target, tax_code};
use crate::document::{CreditLine, CreditMemo, DocNumber, SalesLineKind};
use crate::ids::LedgerRef;
use crate::item::{ItemKey, ItemRef};
use crate::ledger::LedgerCapabilities;
use crate::money::round_dp;
use crate::order::{Order, TaxTarget};
use crate::refund::Refund;
use crate::settings::{Settings, TargetFor};

/// What the engine looked up before planning a credit memo.
#[derive(Clone, Debug)]
pub struct CreditLookups<'a> {
    /// The client of the original document.
    pub client: &'a LedgerRef,
    /// The invoice (or sales receipt) being credited; `None` when it was never posted.
    pub invoice: Option<&'a LedgerRef>,
    /// Items by key.
    pub items: &'a BTreeMap<ItemKey, ItemRef>,
    /// The ledger's capabilities.
    pub ledger: &'a LedgerCapabilities,
}

/// Plans the credit memo of `refund` on `order`: a line per refunded product (with its restock
/// flag, R2), shipping, handling, an amount-only line for the rest, the tax copied from the
/// storefront, and a rounding line within tolerance so that the memo's total equals the
/// refund's total at the ledger's precision.
pub fn plan_credit_memo(
    refund: &Refund,
    order: &Order,
    settings: &Settings,
    lookups: &CreditLookups<'_>,
) -> Result<CreditMemo, Vec<MappingIssue>> {
    let oid = &order.id;
    let dp = lookups.ledger.precision(refund.currency);
    let posting = &settings.posting;
    let mut issues = Vec::new();
    let import_id = import_id(order, settings).map_err(|i| vec![i])?;
    if lookups.invoice.is_none() {
        issues.push(MappingIssue::new(
            Some(oid),
            IssueCode::DocumentNotPosted,
            None,
            format!(
                "refund {} credits an order that has no ledger document yet; import the order first",
                refund.id
            ),
        ));
    }
    let number = if settings.orders.auto_number {
        DocNumber::Auto
    } else {
        let n = format!("{}{}", settings.refunds.refund_prefix, refund.id);
        if let Some(max) = lookups.ledger.max_doc_number_len {
            if n.chars().count() > max {
                issues.push(MappingIssue::new(
                    Some(oid),
                    IssueCode::DocNumberTooLong,
                    Some("refunds.refund_prefix"),
                    format!(
                        "credit memo number `{n}` is longer than the {max} characters {} allows",
                        lookups.ledger.platform
                    ),
                ));
            }
        }
        DocNumber::Fixed(n)
    };
    let line_tax = |line_id: &str| {
        order
            .taxes
            .iter()
            .find(|t| t.target == TaxTarget::Line(line_id.to_string()))
            .and_then(|t| tax_code(settings, t).cloned())
            .or_else(|| posting.non_taxable_code.clone())
    };
    let mut lines = Vec::new();
    for rl in &refund.lines {
        let Some(ol) = order.lines.iter().find(|l| l.line_id == rl.line_id) else {
            issues.push(MappingIssue::new(
                Some(oid),
                IssueCode::UnknownOrderLine,
                None,
                format!(
                    "refund {} names line `{}`, which the order does not have",
                    refund.id, rl.line_id
                ),
            ));
            continue;
        };
        let item = item_key(ol, settings).and_then(|k| lookups.items.get(&k));
        let Some(item) = item else {
            issues.push(MappingIssue::new(
                Some(oid),
                IssueCode::UnknownItem,
                Some("orders.create_missing_items"),
                format!(
                    "refund {} line `{}` ({}) has no ledger item",
                    refund.id, rl.line_id, ol.name
                ),
            ));
            continue;
        };
        if rl.quantity < Decimal::ZERO || rl.amount_ex_tax < Decimal::ZERO {
            issues.push(MappingIssue::new(
                Some(oid),
                IssueCode::InvalidAmount,
                None,
                format!(
                    "refund {} line `{}` has a negative quantity or amount",
                    refund.id, rl.line_id
                ),
            ));
            continue;
        }
        let amount = round_dp(rl.amount_ex_tax, dp);
        lines.push(CreditLine {
            kind: SalesLineKind::Item {
                item: item.at.clone(),
                line_id: rl.line_id.clone(),
            },
            target: None,
            description: ol.name.clone(),
            sku: ol.sku.clone(),
            quantity: rl.quantity,
            unit_price: if rl.quantity.is_zero() {
                amount
            } else {
                (rl.amount_ex_tax / rl.quantity).round_dp(6)
            },
            amount,
            tax_code: line_tax(&rl.line_id),
            restock: rl.restock,
        });
    }
    for (amount, what, kind, label) in [
        (
            refund.shipping_ex_tax,
            TargetFor::Shipping,
            SalesLineKind::Shipping,
            "Shipping refund",
        ),
        (
            refund.handling_ex_tax,
            TargetFor::Handling,
            SalesLineKind::Handling,
            "Handling refund",
        ),
        (
            refund.other_amount,
            TargetFor::Discount,
            SalesLineKind::Discount { code: None },
            "Refund",
        ),
    ] {
        if amount.is_zero() {
            continue;
        }
        let target = posting.target(what);
        if target.is_none() {
            issues.push(missing_target(oid, settings, what, &label.to_lowercase()));
        }
        lines.push(CreditLine {
            kind,
            target,
            description: label.to_string(),
            sku: None,
            quantity: Decimal::ONE,
            unit_price: amount,
            amount: round_dp(amount, dp),
            tax_code: posting.non_taxable_code.clone(),
            restock: false,
        });
    }
    let tax = round_dp(refund.tax, dp);
    let tax_code_refund = order
        .taxes
        .iter()
        .find_map(|t| tax_code(settings, t).cloned());
    if !tax.is_zero() && tax_code_refund.is_none() {
        issues.push(MappingIssue::new(
            Some(oid),
            IssueCode::UnmappedTaxZone,
            Some("tax_map"),
            format!(
                "refund {} refunds tax but none of the order's tax zones is in `tax_map`",
                refund.id
            ),
        ));
    }
    let total = round_dp(refund.total, dp);
    let diff = total - (lines.iter().map(|l| l.amount).sum::<Decimal>() + tax);
    if !diff.is_zero() && issues.is_empty() {
        if diff.abs() > posting.rounding_tolerance {
            issues.push(MappingIssue::new(
                Some(oid),
                IssueCode::RoundingBeyondTolerance,
                Some("posting.rounding_tolerance"),
                format!(
                    "refund {} parts add up to {} but its total is {total}: difference {diff}",
                    refund.id,
                    total - diff
                ),
            ));
        } else {
            let target = posting.target(TargetFor::Rounding);
            if target.is_none() {
                issues.push(missing_target(
                    oid,
                    settings,
                    TargetFor::Rounding,
                    "a rounding difference",
                ));
            }
            lines.push(CreditLine {
                kind: SalesLineKind::Rounding,
                target,
                description: "Rounding".to_string(),
                sku: None,
                quantity: Decimal::ONE,
                unit_price: diff,
                amount: diff,
                tax_code: posting.non_taxable_code.clone(),
                restock: false,
            });
        }
    }
    if !issues.is_empty() {
        issues.sort();
        issues.dedup();
        return Err(issues);
    }
    let date = refund
        .created_at
        .with_timezone(&settings.sync.timezone)
        .date_naive();
    Ok(CreditMemo {
        kind: settings.refunds.document,
        import_id,
        refund_id: refund.id.to_string(),
        number,
        client: lookups.client.clone(),
        invoice: lookups.invoice.cloned(),
        lines,
        tax,
        tax_code: tax_code_refund,
        total,
        refund_account: settings.refunds.refund_clearing_account.clone(),
        currency: refund.currency,
        date,
        memo: Some(match &refund.reason {
            Some(r) => format!("Refund {} of order {}: {r}", refund.id, order.number),
            None => format!("Refund {} of order {}", refund.id, order.number),
        }),
        warehouse: settings.shipping.warehouse.clone(),
    })
}
