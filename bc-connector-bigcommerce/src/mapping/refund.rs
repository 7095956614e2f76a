//! A v3 refund (`GET /v3/orders/payment_actions/refunds`) → [`bc_core::Refund`].

use bc_core::{Currency, Error, OrderId, Refund, RefundId, RefundLine};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::wire::{entity_id, Obj};

/// A v3 refund; `currency` is its order's.
pub fn parse_refund(v: &Value, currency: Currency) -> Result<Refund, Error> {
    let (id, what) = entity_id(v, "refund")?;
    let r = Obj::of(v, &what, "")?;
    let order_id = r.id("order_id")?;
    let total = r.money("total_amount")?;
    let tax = r.money_or_zero("total_tax")?;
    let mut lines = Vec::new();
    let (mut shipping, mut handling, mut other) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut unpriced = Vec::new();
    for (i, item) in r.array("items")?.iter().enumerate() {
        let path = format!("items[{i}]");
        let it = Obj::of(item, &what, &path)?;
        let amount = it.opt_money("requested_amount")?;
        let kind = it.text("item_type")?.to_ascii_uppercase();
        match kind.as_str() {
            "PRODUCT" => {
                if amount.is_none() {
                    unpriced.push(lines.len());
                }
                lines.push(RefundLine {
                    line_id: it.id("item_id")?,
                    sku: None,
                    quantity: it.money_or_zero("quantity")?,
                    amount_ex_tax: amount.unwrap_or(Decimal::ZERO),
                    restock: false,
                });
            }
            "SHIPPING" => shipping += amount.unwrap_or(Decimal::ZERO),
            "HANDLING" => handling += amount.unwrap_or(Decimal::ZERO),
            _ => other += amount.unwrap_or(Decimal::ZERO),
        }
    }
    let mut refund = Refund {
        id: RefundId::new(id),
        order_id: OrderId::new(order_id),
        created_at: r.date("created")?,
        lines,
        shipping_ex_tax: shipping,
        handling_ex_tax: handling,
        tax,
        other_amount: other,
        total,
        method: String::new(),
        currency,
        reason: r.opt_text("reason")?,
    };
    // Quantity-only product lines carry no amount: the rest of the total is theirs when
    // there is one such line, otherwise it stays "other".
    let rest = total - refund.computed_total();
    if !rest.is_zero() {
        match unpriced.as_slice() {
            [one] => refund.lines[*one].amount_ex_tax += rest,
            _ => refund.other_amount += rest,
        }
    }
    let mut best: Option<(Decimal, String)> = None;
    for (i, p) in r.array("payments")?.iter().enumerate() {
        let path = format!("payments[{i}]");
        let po = Obj::of(p, &what, &path)?;
        let amount = po.money_or_zero("amount")?;
        let provider = po.text("provider_id")?;
        if best.as_ref().is_none_or(|(a, _)| amount > *a) {
            best = Some((amount, provider));
        }
    }
    refund.method = match best.map(|(_, p)| p).as_deref() {
        Some("storecredit") => "store_credit".into(),
        Some("giftcertificate") => "gift_certificate".into(),
        Some("") | None => "custom".into(),
        Some(p) => p.to_string(),
    };
    Ok(refund)
}
