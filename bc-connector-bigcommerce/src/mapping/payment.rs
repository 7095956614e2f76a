//! v3 transactions → the order's [`bc_core::Payment`]s and gift certificate redemptions.
//!
//! `purchase`, `authorization` and `pending` events open a payment; a `capture` (or
//! `settled`) completes the matching authorisation, a `void` voids it; failed events
//! (`error`, `declined`, `failed`) never take money. Gift certificate events name the
//! certificates; store credit is a tender of the order, not a payment. Refunds come through
//! `refunds()`.

use bc_core::{Error, GiftCertificateRedemption, Payment, PaymentState};
use serde_json::Value;

use crate::wire::Obj;

/// The v3 transaction events and what they mean for a payment.
pub(crate) fn payments_from_transactions(
    txs: &[Value],
    what: &str,
) -> Result<(Vec<Payment>, Vec<GiftCertificateRedemption>), Error> {
    let mut payments: Vec<Payment> = Vec::new();
    let mut gifts = Vec::new();
    for (i, v) in txs.iter().enumerate() {
        let path = format!("transactions[{i}]");
        let t = Obj::of(v, what, &path)?;
        let event = t.text("event")?.to_ascii_lowercase();
        let method = t.opt_text("method")?.unwrap_or_else(|| "custom".into());
        let amount = t.money("amount")?;
        let status = t.text("status")?.to_ascii_lowercase();
        let gateway = t.opt_text("gateway")?;
        let tx_id = t.opt_text("gateway_transaction_id")?.or(t.opt_id("id")?);
        let at = t.opt_date("date_created")?;
        if method == "gift_certificate" {
            if matches!(event.as_str(), "purchase" | "capture") {
                let code = match t.get("gift_certificate") {
                    Some(g @ Value::Object(_)) => {
                        let gpath = format!("{path}.gift_certificate");
                        Obj::of(g, what, &gpath)?.text("code")?
                    }
                    _ => String::new(),
                };
                gifts.push(GiftCertificateRedemption { code, amount });
            }
            continue;
        }
        if method == "store_credit" {
            continue;
        }
        let failed = matches!(status.as_str(), "error" | "declined" | "failed");
        match event.as_str() {
            "purchase" | "authorization" | "pending" => payments.push(Payment {
                method,
                gateway,
                transaction_id: tx_id,
                amount,
                state: if failed {
                    PaymentState::Void
                } else {
                    match event.as_str() {
                        "purchase" => PaymentState::Captured,
                        "authorization" => PaymentState::Authorized,
                        _ => PaymentState::Pending,
                    }
                },
                at,
            }),
            "capture" | "settled" if !failed => {
                // A capture completes the matching authorisation.
                match payments
                    .iter_mut()
                    .find(|p| p.state == PaymentState::Authorized && p.gateway == gateway)
                {
                    Some(p) => {
                        p.state = PaymentState::Captured;
                        p.amount = amount;
                        p.at = at.or(p.at);
                    }
                    None => payments.push(Payment {
                        method,
                        gateway,
                        transaction_id: tx_id,
                        amount,
                        state: PaymentState::Captured,
                        at,
                    }),
                }
            }
            "void" if !failed => {
                if let Some(p) = payments
                    .iter_mut()
                    .find(|p| p.state == PaymentState::Authorized && p.gateway == gateway)
                {
                    p.state = PaymentState::Void;
                }
            }
            // Refunds come through `refunds()`; failed captures change nothing.
            _ => {}
        }
    }
    Ok((payments, gifts))
}

/// The state an order's `payment_status` names, when no transaction was read.
pub(crate) fn payment_state_of(status: &str) -> PaymentState {
    match status.to_ascii_lowercase().as_str() {
        "captured" | "paid" | "partially refunded" | "refunded" => PaymentState::Captured,
        "authorized" | "authorised" => PaymentState::Authorized,
        "void" | "declined" | "failed" => PaymentState::Void,
        _ => PaymentState::Pending,
    }
}
