//! The Payments API: `POST /v3/payments/access_tokens` (X-Auth-Token), `GET
//! /v3/payments/methods?order_id=` and the payments host's `POST /stores/{store_hash}/payments`
//! (`Authorization: PAT {token}`), served on the same loopback host as the rest of the store.
//!
//! Rules, from bigcommerce/docs (`reference/payments/access-tokens_payments.v3.yml`,
//! `reference/payments/process_payments.yml`, `docs/store-operations/payments/index.mdx`):
//! - a PAT is made for one order that must be in status 0 (Incomplete), else error 30101;
//!   an unknown order is 30003 (index.mdx "Error codes");
//! - the PAT is single use and expires after one hour (index.mdx, "The token expires after one
//!   hour"; access-tokens spec: "a single use BigCommerce-generated JWT");
//! - the process request needs `Accept: application/vnd.bc.v1+json` (process_payments.yml,
//!   `AcceptPaymentResponse`, required) and `Authorization: PAT {token}` with a space
//!   (index.mdx callout);
//! - `payment.instrument` and `payment.payment_method_id` are required (process_payments.yml);
//!   the method must be one the store accepts (`GET /v3/payments/methods`);
//! - the whole order total is charged; on success the order moves to Awaiting Fulfillment
//!   (status 11) and the response is `201 {"data": {"id", "transaction_type", "status"}}`;
//! - errors are `{"status", "title", "type", "code", "errors"}` (process_payments.yml
//!   "Error Payment Response"); codes 10001 (invalid data), 30101 (order not incomplete),
//!   30102 (card details / token incorrect), 30103 (card expired), 30104 (declined);
//! - at most 50 payment requests per 4 seconds (index.mdx "Rate limits"); more answer 429.
//!
//! Test cards: any Luhn-valid number pays, except `4000000000000002` (declined, 30104).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Datelike, Duration, Utc};
use rand::RngCore;
use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::state::{Card, Event, Transaction};
use crate::{wire, App};

/// The one payment method the sandbox store accepts.
pub const CARD_METHOD: &str = "braintree.card";
/// A card number the gateway declines.
pub const DECLINED_CARD: &str = "4000000000000002";
/// Payment requests allowed per window (index.mdx "Rate limits": 50 per 4 seconds).
pub const PAYMENTS_PER_WINDOW: u32 = 50;

/// A payment access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentToken {
    /// The order it pays.
    pub order_id: u64,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Whether a payment used it already.
    pub used: bool,
}

const ERROR_TYPE: &str =
    "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

/// A Payments API error body.
pub fn payment_error(status: u16, code: u32, title: &str) -> Response {
    let s = axum::http::StatusCode::from_u16(status)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    (
        s,
        Json(json!({ "status": status, "title": title, "type": ERROR_TYPE, "code": code, "errors": {} })),
    )
        .into_response()
}

fn new_token() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("eyJwYXQiOiJzYW5kYm94In0.{hex}")
}

/// `POST /v3/payments/access_tokens`.
pub async fn create_token(State(app): State<App>, body: Option<Json<Value>>) -> Response {
    let Some(Json(body)) = body else {
        return wire::v3_error(400, "The request body is not valid JSON.");
    };
    let Some(order_id) = body
        .get("order")
        .and_then(|o| o.get("id"))
        .and_then(Value::as_u64)
    else {
        return wire::v3_error_with(
            422,
            "The field 'order.id' is required.",
            json!({ "order.id": "required" }),
        );
    };
    let mut store = app.shared.lock();
    match store.orders.get(&order_id).map(|o| o.status_id) {
        None => return payment_error(422, 30003, "Order could not be found."),
        Some(0) => {}
        Some(_) => return payment_error(422, 30101, "Order is invalid."),
    }
    let now = store.now();
    let token = new_token();
    store.payment_tokens.insert(
        token.clone(),
        PaymentToken {
            order_id,
            expires_at: now + Duration::hours(1),
            used: false,
        },
    );
    (
        axum::http::StatusCode::CREATED,
        Json(json!({ "data": { "id": token }, "meta": {} })),
    )
        .into_response()
}

/// `GET /v3/payments/methods?order_id=`.
pub async fn methods(
    State(app): State<App>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(order_id) = q.get("order_id").and_then(|s| s.parse::<u64>().ok()) else {
        return wire::v3_error_with(
            422,
            "The field 'order_id' or 'checkout_id' is required.",
            json!({ "order_id": "required" }),
        );
    };
    if !app.shared.lock().orders.contains_key(&order_id) {
        return payment_error(422, 30003, "Order could not be found.");
    }
    Json(json!({ "data": [{
        "id": CARD_METHOD, "name": "Braintree (Credit Card)", "test_mode": true, "type": "card",
        "supported_instruments": [
            { "instrument_type": "VISA", "verification_value_required": true },
            { "instrument_type": "MASTERCARD", "verification_value_required": true },
        ],
        "stored_instruments": [],
    }], "meta": {} }))
    .into_response()
}

fn luhn(number: &str) -> bool {
    if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let mut sum = 0u32;
    for (i, b) in number.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// `POST https://payments.bigcommerce.com/stores/{store_hash}/payments`.
pub async fn process(
    State(app): State<App>,
    Path(store_hash): Path<String>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if store_hash != app.store_hash {
        return payment_error(
            404,
            30000,
            "Merchant payment configuration could not be found.",
        );
    }
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !accept.contains("application/vnd.bc.v1+json") {
        return payment_error(
            406,
            10001,
            "The Accept header must be application/vnd.bc.v1+json.",
        );
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("PAT "))
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    let events;
    let resp;
    {
        let mut store = app.shared.lock();
        // 50 payment requests per 4 seconds (index.mdx "Rate limits").
        let now = store.now();
        let (start, count) = store.payments_window;
        if start.is_none_or(|s| now - s >= Duration::seconds(4)) {
            store.payments_window = (Some(now), 1);
        } else if count >= PAYMENTS_PER_WINDOW {
            let mut r = payment_error(429, 10000, "Too many payment requests.");
            let wait = start.map(|s| (s + Duration::seconds(4) - now).num_milliseconds().max(1));
            r.headers_mut().insert(
                "Retry-After",
                axum::http::HeaderValue::from((wait.unwrap_or(4000) + 999) / 1000),
            );
            return r;
        } else {
            store.payments_window.1 += 1;
        }
        let Some(pat) = store.payment_tokens.get(&token).cloned() else {
            return payment_error(401, 30102, "Valid authentication required.");
        };
        if pat.used || pat.expires_at <= now {
            return payment_error(401, 30102, "Valid authentication required.");
        }
        let Some(Json(body)) = body else {
            return payment_error(400, 10001, "The request body is not valid JSON.");
        };
        let payment = body.get("payment");
        let instrument = payment.and_then(|p| p.get("instrument"));
        let method = payment
            .and_then(|p| p.get("payment_method_id"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some(instrument) = instrument else {
            return payment_error(
                400,
                10001,
                "Unable to process the payment because invalid data was supplied with the transaction.",
            );
        };
        if method != CARD_METHOD {
            return payment_error(
                422,
                30000,
                "Merchant payment configuration could not be found.",
            );
        }
        let s = |k: &str| match instrument.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let number = s("number");
        let month: u32 = s("expiry_month").parse().unwrap_or(0);
        let year: u32 = s("expiry_year").parse().unwrap_or(0);
        let cvv = s("verification_value");
        if s("type") != "card"
            || !luhn(&number)
            || !(1..=12).contains(&month)
            || !(1000..=9999).contains(&year)
            || !(3..=4).contains(&cvv.len())
            || !cvv.bytes().all(|b| b.is_ascii_digit())
            || s("cardholder_name").trim().is_empty()
        {
            return payment_error(
                422,
                30102,
                "Your card details could not be verified. Please double check them and try again.",
            );
        }
        let today = now.date_naive();
        if (year, month) < (today.year() as u32, today.month()) {
            return payment_error(
                422,
                30103,
                "Your card has expired. Please try again with a valid card.",
            );
        }
        let order_status = store.orders.get(&pat.order_id).map(|o| o.status_id);
        match order_status {
            None => return payment_error(422, 30003, "Order could not be found."),
            Some(0) => {}
            Some(_) => return payment_error(422, 30101, "Order is invalid."),
        }
        if let Some(t) = store.payment_tokens.get_mut(&token) {
            t.used = true;
        }
        if number == DECLINED_CARD {
            return payment_error(
                422,
                30104,
                "There was a problem processing your card. Please contact your card issuer.",
            );
        }
        let tid = store.next_id("transaction");
        let (amount, currency) = match store.orders.get(&pat.order_id) {
            Some(o) => (o.total_inc_tax(), o.currency_code.clone()),
            None => return payment_error(422, 30003, "Order could not be found."),
        };
        let mut gw = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut gw);
        let gateway_id: String = gw.iter().map(|b| format!("{b:02x}")).collect();
        if let Some(o) = store.orders.get_mut(&pat.order_id) {
            o.transactions.push(Transaction {
                id: tid,
                order_id: pat.order_id,
                event: "purchase".into(),
                method: "credit_card".into(),
                amount,
                currency,
                gateway: "braintree".into(),
                gateway_transaction_id: gateway_id.clone(),
                date_created: now,
                reference_transaction_id: None,
                card: Some(Card {
                    card_type: if number.starts_with('5') {
                        "mastercard".into()
                    } else {
                        "visa".into()
                    },
                    card_iin: number.chars().take(6).collect(),
                    card_last4: number
                        .chars()
                        .rev()
                        .take(4)
                        .collect::<String>()
                        .chars()
                        .rev()
                        .collect(),
                    card_expiry_month: month,
                    card_expiry_year: year,
                }),
                gift_certificate: None,
                store_credit_remaining: None,
                offline_display_name: None,
            });
            o.payment_method = "Credit Card".into();
            o.payment_provider_id = gateway_id.clone();
            o.payment_status = "captured".into();
        }
        let mut ev = crate::orders::set_status(&mut store, pat.order_id, 11).unwrap_or_default();
        ev.push(Event {
            scope: "store/order/transaction/created".into(),
            data: json!({ "type": "order", "id": pat.order_id, "transaction": { "transaction_id": tid } }),
        });
        events = ev;
        resp = (
            axum::http::StatusCode::CREATED,
            Json(json!({ "data": { "id": format!("{gateway_id}-{tid}"), "transaction_type": "purchase", "status": "success" } })),
        )
            .into_response();
    }
    crate::hooks::dispatch(&app, events);
    resp
}
