//! An offline credit memo → [`bc_core::Refund`].

use bc_core::{Currency, Error, OrderId, Refund, RefundId, RefundLine, Sku};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::wire::WireCreditMemo;
use crate::PLATFORM;

/// Maps a credit memo; `currency` is its order's currency when the memo does not say.
pub fn map_refund(
    m: &WireCreditMemo,
    fallback_currency: Option<Currency>,
) -> bc_core::Result<Refund> {
    let currency = match (&m.order_currency_code, fallback_currency) {
        (Some(c), _) => Currency::new(c).map_err(|e| {
            Error::protocol(format!("credit memo {}: {}", m.entity_id, e.message()))
                .with_platform(PLATFORM)
        })?,
        (None, Some(c)) => c,
        (None, None) => {
            return Err(Error::protocol(format!(
                "credit memo {}: no order_currency_code",
                m.entity_id
            ))
            .with_platform(PLATFORM))
        }
    };
    let lines: Vec<RefundLine> = m
        .items
        .iter()
        .filter(|i| i.qty > Decimal::ZERO)
        .map(|i| RefundLine {
            line_id: i.order_item_id.clone(),
            sku: i.sku.clone().map(Sku::new),
            quantity: i.qty,
            amount_ex_tax: i.row_total - i.discount_amount,
            restock: i
                .extension_attributes
                .as_ref()
                .and_then(|e| e.get("return_to_stock"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
        .collect();
    let tenders = m
        .extension_attributes
        .as_ref()
        .and_then(|e| e.get("gift_cards_amount"))
        .and_then(|v| bc_core::money::parse_decimal(&v.to_string()).ok())
        .unwrap_or_default();
    let lines_total: Decimal = lines.iter().map(|l| l.amount_ex_tax).sum();
    // Whatever the parts do not explain (adjustments, gift cards given back) is "other".
    let other = m.grand_total - lines_total - m.shipping_amount - m.tax_amount;
    let refund = Refund {
        id: RefundId::new(m.entity_id.clone()),
        order_id: OrderId::new(m.order_id.clone()),
        created_at: m.created_at,
        lines,
        shipping_ex_tax: m.shipping_amount,
        handling_ex_tax: Decimal::ZERO,
        tax: m.tax_amount,
        other_amount: other,
        total: m.grand_total,
        method: if tenders.is_zero() {
            "offline".into()
        } else {
            "offline+gift_card".into()
        },
        currency,
        reason: None,
    };
    Ok(refund)
}
