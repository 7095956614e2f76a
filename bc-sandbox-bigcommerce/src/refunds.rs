//! v3 payments: order transactions, refund quotes and refunds (per order and store-wide).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::state::*;
use crate::wire::{self, num, round, Page, Params};
use crate::App;

fn parse_dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A transaction on the wire.
pub fn transaction_json(t: &Transaction) -> Value {
    json!({
        "id": t.id,
        "order_id": t.order_id.to_string(),
        "event": t.event,
        "method": t.method,
        "amount": num(t.amount),
        "currency": t.currency,
        "gateway": t.gateway,
        "gateway_transaction_id": t.gateway_transaction_id,
        "payment_method_id": t.gateway,
        "date_created": wire::rfc3339(t.date_created),
        "test": false,
        "status": "ok",
        "fraud_review": false,
        "reference_transaction_id": t.reference_transaction_id,
        "offline": t.offline_display_name.as_ref().map(|n| json!({ "display_name": n })),
        "custom": null,
        "payment_instrument_token": null,
        "avs_result": if t.card.is_some() {
            json!({ "code": "M", "message": "Street address and postal code match", "street_match": "M", "postal_match": "M" })
        } else { json!({ "code": "", "message": "", "street_match": "", "postal_match": "" }) },
        "cvv_result": if t.card.is_some() { json!({ "code": "M", "message": "CVV matches" }) } else { json!({ "code": "", "message": "" }) },
        "credit_card": t.card.as_ref().map(|c| json!({
            "card_type": c.card_type, "card_iin": c.card_iin, "card_last4": c.card_last4,
            "card_expiry_month": c.card_expiry_month, "card_expiry_year": c.card_expiry_year,
        })),
        "gift_certificate": t.gift_certificate.as_ref().map(|(code, original, starting, remaining)| json!({
            "code": code, "original_balance": num(*original), "starting_balance": num(*starting),
            "remaining_balance": num(*remaining), "status": "active",
        })),
        "store_credit": t.store_credit_remaining.map(|r| json!({ "remaining_balance": num(r) })),
    })
}

/// A refund on the wire.
pub fn refund_json(r: &Refund) -> Value {
    json!({
        "id": r.id,
        "order_id": r.order_id,
        "user_id": r.user_id,
        "created": wire::rfc3339(r.created),
        "reason": r.reason,
        "total_amount": num(r.total_amount),
        "total_tax": num(r.total_tax),
        "uses_merchant_override_values": false,
        "items": r.items.iter().map(|i| json!({
            "item_type": i.item_type,
            "item_id": i.item_id,
            "quantity": i.quantity,
            "requested_amount": i.requested_amount.map(|a| { let mut a = round(a, 2); a.rescale(2); a.to_string() }),
            "reason": i.reason,
        })).collect::<Vec<_>>(),
        "payments": r.payments.iter().map(|p| json!({
            "id": p.id, "provider_id": p.provider_id, "amount": num(p.amount),
            "offline": p.offline, "is_declined": false, "declined_message": "",
        })).collect::<Vec<_>>(),
    })
}

/// `GET /v3/orders/{id}/transactions`.
pub async fn transactions(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
) -> Response {
    let store = app.shared.lock();
    let Some(order) = id.parse::<u64>().ok().and_then(|id| store.orders.get(&id)) else {
        return wire::v3_error(404, "The requested resource was not found.");
    };
    if order.transactions.is_empty() {
        return wire::no_content();
    }
    let data: Vec<Value> = order.transactions.iter().map(transaction_json).collect();
    let page = Page {
        page: 1,
        limit: data.len().max(1),
    };
    Json(json!({ "data": data, "meta": page.meta(data.len(), data.len()) })).into_response()
}

/// A priced refund request.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    /// Items as requested.
    pub items: Vec<RefundItem>,
    /// Total (2 decimals).
    pub total: Decimal,
    /// Tax part.
    pub tax: Decimal,
}

/// What can still be refunded on an order (2 decimals).
pub fn refundable(order: &Order) -> Decimal {
    round(order.total_inc_tax(), 2) - order.refunded_amount
}

/// Price refund `items` (the `items` array of a quote or refund request) against `order`.
pub fn quote(order: &Order, items: &Value) -> Result<Quote, String> {
    let Some(list) = items.as_array().filter(|l| !l.is_empty()) else {
        return Err("items: at least one item is required".into());
    };
    let mut out = Vec::new();
    let (mut total, mut tax) = (Decimal::ZERO, Decimal::ZERO);
    for (n, it) in list.iter().enumerate() {
        let kind = it
            .get("item_type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let item_id = it
            .get("item_id")
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| parse_dec(v).and_then(|d| d.to_string().parse().ok()))
            })
            .ok_or(format!("items.{n}.item_id is required"))?;
        let qty = it.get("quantity").and_then(Value::as_u64).map(|q| q as u32);
        let amount = it.get("amount").and_then(parse_dec);
        let reason = it
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let (a, t) = match kind.as_str() {
            "PRODUCT" => {
                let p = order.products.iter().find(|p| p.id == item_id).ok_or(format!("items.{n}: order product {item_id} not found"))?;
                let per_unit = |d: Decimal| if p.quantity == 0 { Decimal::ZERO } else { d / Decimal::from(p.quantity) };
                match (qty, amount) {
                    (Some(q), _) => {
                        if q + p.quantity_refunded > p.quantity {
                            return Err(format!("items.{n}: quantity {q} exceeds the refundable quantity of order product {item_id}"));
                        }
                        let qd = Decimal::from(q);
                        (round(per_unit(p.discounted_total_inc_tax()) * qd, 2), round(per_unit(p.total_tax) * qd, 2))
                    }
                    (None, Some(a)) => {
                        let paid = p.discounted_total_inc_tax();
                        if a > round(paid, 2) { return Err(format!("items.{n}: amount exceeds the line total")); }
                        let t = if paid.is_zero() { Decimal::ZERO } else { round(a * p.total_tax / paid, 2) };
                        (round(a, 2), t)
                    }
                    (None, None) => return Err(format!("items.{n}: quantity or amount is required")),
                }
            }
            "SHIPPING" | "HANDLING" => {
                let ad = order.shipping_addresses.iter().find(|a| a.id == item_id).ok_or(format!("items.{n}: order address {item_id} not found"))?;
                let (ex, tx) = if kind == "SHIPPING" { (ad.cost_ex_tax, ad.cost_tax) } else { (ad.handling_cost_ex_tax, ad.handling_cost_tax) };
                let inc = ex + tx;
                let a = amount.unwrap_or(inc);
                if a > round(inc, 2) { return Err(format!("items.{n}: amount exceeds the {} cost", kind.to_lowercase())); }
                (round(a, 2), if inc.is_zero() { Decimal::ZERO } else { round(a * tx / inc, 2) })
            }
            "GIFT_WRAPPING" => {
                let p = order.products.iter().find(|p| p.id == item_id).ok_or(format!("items.{n}: order product {item_id} not found"))?;
                let inc = p.wrapping_cost_inc_tax();
                let a = amount.unwrap_or(inc);
                (round(a, 2), if inc.is_zero() { Decimal::ZERO } else { round(a * p.wrapping_cost_tax / inc, 2) })
            }
            "ORDER" => (round(amount.ok_or(format!("items.{n}.amount is required"))?, 2), Decimal::ZERO),
            "TAX" => { let a = round(amount.ok_or(format!("items.{n}.amount is required"))?, 2); (a, a) }
            other => return Err(format!("items.{n}.item_type '{other}' is not one of PRODUCT, SHIPPING, HANDLING, GIFT_WRAPPING, ORDER, TAX")),
        };
        if a < Decimal::ZERO {
            return Err(format!("items.{n}.amount must not be negative"));
        }
        total += a;
        tax += t;
        out.push(RefundItem {
            item_type: kind,
            item_id,
            quantity: qty,
            requested_amount: amount.map(|a| round(a, 2)),
            reason,
        });
    }
    if total > refundable(order) {
        return Err("Refund amount is greater than remaining amount".into());
    }
    Ok(Quote {
        items: out,
        total,
        tax,
    })
}

/// The payment providers an order can be refunded to, with how much each.
fn refund_methods(order: &Order, total: Decimal) -> Value {
    let mut methods = Vec::new();
    let online: Vec<&Transaction> = order
        .transactions
        .iter()
        .filter(|t| matches!(t.event.as_str(), "purchase" | "capture"))
        .collect();
    for t in &online {
        let refunded: Decimal = order
            .transactions
            .iter()
            .filter(|r| r.event == "refund" && r.gateway == t.gateway)
            .map(|r| r.amount)
            .sum();
        let left = (t.amount - refunded).max(Decimal::ZERO).min(total);
        if left > Decimal::ZERO {
            methods.push(json!([{ "provider_id": t.gateway, "provider_description": provider_description(&t.gateway), "amount": num(round(left, 2)), "offline": false, "offline_provider": false, "offline_reason": "" }]));
        }
    }
    if order.customer_id != 0 {
        methods.push(json!([{ "provider_id": "storecredit", "provider_description": "Store Credit", "amount": num(total), "offline": false, "offline_provider": false, "offline_reason": "" }]));
    }
    methods.push(json!([{ "provider_id": "custom", "provider_description": "Custom", "amount": num(total), "offline": true, "offline_provider": true, "offline_reason": "This is an offline payment provider." }]));
    Value::Array(methods)
}

fn provider_description(gateway: &str) -> &'static str {
    match gateway {
        "braintree" => "Braintree",
        "paypalexpress" => "PayPal Express",
        "giftcertificate" => "Gift Certificate",
        "storecredit" => "Store Credit",
        _ => "Custom",
    }
}

/// `POST /v3/orders/{id}/payment_actions/refund_quotes`.
pub async fn create_quote(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return wire::v3_error(400, "Input is invalid.");
    };
    let store = app.shared.lock();
    let Some(order) = id.parse::<u64>().ok().and_then(|id| store.orders.get(&id)) else {
        return wire::v3_error(404, "The requested resource was not found.");
    };
    match quote(order, body.get("items").unwrap_or(&Value::Null)) {
        Err(e) => wire::v3_error(422, &e),
        Ok(q) => (StatusCode::CREATED, Json(json!({ "data": {
            "order_id": order.id,
            "total_refund_amount": num(q.total),
            "total_refund_tax_amount": num(q.tax),
            "order_level_refund_amount": num(q.items.iter().filter(|i| i.item_type == "ORDER").filter_map(|i| i.requested_amount).sum::<Decimal>()),
            "rounding": 0,
            "adjustment": 0,
            "tax_inclusive": true,
            "refund_methods": refund_methods(order, q.total),
        }, "meta": {} }))).into_response(),
    }
}

/// Record a refund on an order: refund row, refund transactions, refunded quantities, amount,
/// payment status and order status. Returns the refund id and the status change, if any.
pub fn apply_refund(
    store: &mut Store,
    order_id: u64,
    q: Quote,
    payments: Vec<(String, Decimal, bool)>,
    reason: String,
    at: DateTime<Utc>,
) -> Option<(u64, Option<(u8, u8)>)> {
    let refund_id = store.next_id("refund");
    let mut rp = Vec::new();
    for (provider, amount, offline) in payments {
        let pid = store.next_id("refund_payment");
        rp.push(RefundPayment {
            id: pid,
            provider_id: provider,
            amount,
            offline,
        });
    }
    let mut txn_ids = Vec::new();
    for _ in &rp {
        txn_ids.push(store.next_id("transaction"));
    }
    let order = store.orders.get_mut(&order_id)?;
    for it in &q.items {
        if it.item_type == "PRODUCT" {
            if let (Some(qty), Some(p)) = (
                it.quantity,
                order.products.iter_mut().find(|p| p.id == it.item_id),
            ) {
                p.quantity_refunded += qty;
            }
        }
    }
    for (p, tid) in rp.iter().zip(txn_ids) {
        let original = order
            .transactions
            .iter()
            .find(|t| {
                t.gateway == p.provider_id && matches!(t.event.as_str(), "purchase" | "capture")
            })
            .map(|t| t.id);
        order.transactions.push(Transaction {
            id: tid,
            order_id,
            event: "refund".into(),
            method: match p.provider_id.as_str() {
                "storecredit" => "store_credit",
                "giftcertificate" => "gift_certificate",
                "braintree" => "credit_card",
                "paypalexpress" => "offsite",
                _ => "custom",
            }
            .into(),
            amount: p.amount,
            currency: order.currency_code.clone(),
            gateway: p.provider_id.clone(),
            gateway_transaction_id: String::new(),
            date_created: at,
            reference_transaction_id: original,
            card: None,
            gift_certificate: None,
            store_credit_remaining: None,
            offline_display_name: None,
        });
    }
    order.refunded_amount += q.total;
    let full = refundable(order) <= Decimal::ZERO;
    order.payment_status = if full {
        "refunded".into()
    } else {
        "partially refunded".into()
    };
    let before = order.status_id;
    order.status_id = if full { 4 } else { 14 };
    let change = (before != order.status_id).then_some((before, order.status_id));
    store.refunds.insert(
        refund_id,
        Refund {
            id: refund_id,
            order_id,
            user_id: 0,
            created: at,
            reason,
            total_amount: q.total,
            total_tax: q.tax,
            items: q.items,
            payments: rp,
        },
    );
    store.touch(order_id);
    Some((refund_id, change))
}

/// A refund for a generated refunded (full) or partially refunded order; false if none could
/// be made.
pub fn generated_refund(store: &mut Store, order_id: u64, full: bool, at: DateTime<Utc>) -> bool {
    let Some(order) = store.orders.get(&order_id) else {
        return false;
    };
    let items = if full {
        json!([{ "item_type": "ORDER", "item_id": order_id, "amount": refundable(order).to_string(), "reason": "Order cancelled by customer" }])
    } else {
        match order.products.first() {
            Some(p) => {
                json!([{ "item_type": "PRODUCT", "item_id": p.id, "quantity": 1, "reason": "Damaged in transit" }])
            }
            None => return false,
        }
    };
    let Ok(q) = quote(order, &items) else {
        return false;
    };
    if q.total.is_zero() {
        return false;
    }
    let provider = order
        .transactions
        .iter()
        .rev()
        .find(|t| matches!(t.event.as_str(), "purchase" | "capture"))
        .map(|t| t.gateway.clone())
        .unwrap_or_else(|| "custom".into());
    let offline = provider == "custom";
    let reason = if full {
        "Order cancelled by customer"
    } else {
        "Damaged in transit"
    };
    let total = q.total;
    if let Some(o) = store.orders.get_mut(&order_id) {
        o.date_modified = at;
    }
    let done = apply_refund(
        store,
        order_id,
        q,
        vec![(provider, total, offline)],
        reason.into(),
        at,
    )
    .is_some();
    if let Some(o) = store.orders.get_mut(&order_id) {
        o.date_modified = at;
    }
    done
}

/// `POST /v3/orders/{id}/payment_actions/refunds`.
pub async fn create_refund(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return wire::v3_error(400, "Input is invalid.");
    };
    let events;
    let resp;
    {
        let mut store = app.shared.lock();
        let Some(order_id) = id
            .parse::<u64>()
            .ok()
            .filter(|id| store.orders.contains_key(id))
        else {
            return wire::v3_error(404, "The requested resource was not found.");
        };
        let Some(order) = store.orders.get(&order_id) else {
            return wire::v3_error(404, "The requested resource was not found.");
        };
        let q = match quote(order, body.get("items").unwrap_or(&Value::Null)) {
            Ok(q) => q,
            Err(e) => return wire::v3_error(422, &e),
        };
        let mut payments = Vec::new();
        for (n, p) in body
            .get("payments")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(provider) = p.get("provider_id").and_then(Value::as_str) else {
                return wire::v3_error(422, &format!("payments.{n}.provider_id is required"));
            };
            let Some(amount) = p.get("amount").and_then(parse_dec) else {
                return wire::v3_error(422, &format!("payments.{n}.amount is required"));
            };
            if provider == "storecredit" && order.customer_id == 0 {
                return wire::v3_error(422, "Unable to provide store credit for a guest customer.");
            }
            payments.push((
                provider.to_string(),
                round(amount, 2),
                p.get("offline").and_then(Value::as_bool).unwrap_or(false),
            ));
        }
        if payments.is_empty() {
            return wire::v3_error(422, "payments: at least one payment is required");
        }
        let paid: Decimal = payments.iter().map(|p| p.1).sum();
        let (total, tax) = match body.get("merchant_calculated_override") {
            Some(o) if o.is_object() => (
                o.get("total_amount")
                    .and_then(parse_dec)
                    .map(|d| round(d, 2))
                    .unwrap_or(q.total),
                o.get("total_tax").and_then(parse_dec).unwrap_or(q.tax),
            ),
            _ => (q.total, q.tax),
        };
        if paid != total {
            return wire::v3_error(
                422,
                &format!(
                    "The sum of payments ({paid}) does not match the refund amount ({total})."
                ),
            );
        }
        let reason = body
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| q.items.first().map(|i| i.reason.clone()))
            .unwrap_or_default();
        let now = store.now();
        let q = Quote { total, tax, ..q };
        let Some((refund_id, change)) =
            apply_refund(&mut store, order_id, q, payments, reason, now)
        else {
            return wire::v3_error(404, "The requested resource was not found.");
        };
        let mut ev = vec![Event {
            scope: "store/order/refund/created".into(),
            data: json!({ "type": "order", "id": order_id, "refund": { "refund_id": refund_id } }),
        }];
        ev.push(Event {
            scope: "store/order/updated".into(),
            data: json!({ "type": "order", "id": order_id }),
        });
        if let Some((from, to)) = change {
            ev.push(Event { scope: "store/order/statusUpdated".into(), data: json!({ "type": "order", "id": order_id, "status": { "previous_status_id": from, "new_status_id": to } }) });
        }
        events = ev;
        resp = match store.refunds.get(&refund_id) {
            Some(r) => (
                StatusCode::CREATED,
                Json(json!({ "data": refund_json(r), "meta": {} })),
            )
                .into_response(),
            None => wire::v3_error(500, "Internal Server Error"),
        };
    }
    crate::hooks::dispatch(&app, events);
    resp
}

/// `GET /v3/orders/{id}/payment_actions/refunds`.
pub async fn order_refunds(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
) -> Response {
    let store = app.shared.lock();
    let Some(order_id) = id
        .parse::<u64>()
        .ok()
        .filter(|id| store.orders.contains_key(id))
    else {
        return wire::v3_error(404, "The requested resource was not found.");
    };
    let data: Vec<Value> = store
        .refunds
        .values()
        .filter(|r| r.order_id == order_id)
        .map(refund_json)
        .collect();
    Json(json!({ "data": data, "meta": {} })).into_response()
}

/// `GET /v3/orders/payment_actions/refunds` (store-wide; `order_id:in`, `id:in`,
/// `created:min`, `created:max`, `page`, `limit`).
pub async fn all_refunds(State(app): State<App>, Query(params): Query<Params>) -> Response {
    let ids = |k: &str| {
        wire::list(params.get(k)).map(|l| {
            l.iter()
                .filter_map(|s| s.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
    };
    let (order_in, id_in) = (ids("order_id:in"), ids("id:in"));
    let mut bounds = [None, None];
    for (i, k) in ["created:min", "created:max"].iter().enumerate() {
        if let Some(v) = params.get(*k) {
            match wire::parse_date(v) {
                Some(d) => bounds[i] = Some(d),
                None => {
                    return wire::v3_error(
                        422,
                        &format!("The filter '{k}' must be an RFC 3339 date-time."),
                    )
                }
            }
        }
    }
    let store = app.shared.lock();
    let all: Vec<&Refund> = store
        .refunds
        .values()
        .filter(|r| order_in.as_ref().is_none_or(|l| l.contains(&r.order_id)))
        .filter(|r| id_in.as_ref().is_none_or(|l| l.contains(&r.id)))
        .filter(|r| bounds[0].is_none_or(|m| r.created >= m))
        .filter(|r| bounds[1].is_none_or(|m| r.created <= m))
        .collect();
    let page = Page::from(&params, 250);
    let slice = page.slice(&all);
    let data: Vec<Value> = slice.iter().map(|r| refund_json(r)).collect();
    Json(json!({ "data": data, "meta": page.meta(all.len(), slice.len()) })).into_response()
}
