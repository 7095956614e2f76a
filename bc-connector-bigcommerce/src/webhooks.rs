//! Webhook deliveries: verification, `store/order/*` events, de-duplication.
//!
//! BigCommerce authenticates deliveries with the custom headers registered on the hook (see
//! [`crate::BigCommerce::register_webhooks`]): [`WebhookVerifier`] checks the shared-secret
//! header in constant time. Every payload carries a `hash` of its `data`; BigCommerce may
//! deliver an event more than once, so [`WebhookDeduper`] remembers recent hashes.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::Mutex;

use bc_core::{Error, ErrorKind, OrderId, RefundId, StatusId};
use chrono::{DateTime, TimeZone, Utc};
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::wire::Obj;

/// What happened to the order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderEventKind {
    /// `store/order/created`.
    Created,
    /// `store/order/updated`.
    Updated,
    /// `store/order/archived`.
    Archived,
    /// `store/order/statusUpdated`.
    StatusUpdated {
        /// The previous status.
        from: Option<StatusId>,
        /// The new status.
        to: Option<StatusId>,
    },
    /// `store/order/message/created`.
    MessageCreated,
    /// `store/order/refund/created`.
    RefundCreated {
        /// The refund, when the payload names it.
        refund_id: Option<RefundId>,
    },
    /// Another `store/order/*` scope.
    Other(String),
}

/// A `store/order/*` delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderEvent {
    /// What happened.
    pub kind: OrderEventKind,
    /// The order.
    pub order_id: OrderId,
    /// The delivery's hash (the de-duplication key).
    pub hash: String,
    /// When BigCommerce produced it.
    pub created_at: Option<DateTime<Utc>>,
    /// `stores/{store_hash}`.
    pub producer: String,
}

/// Checks the shared-secret header of deliveries and parses them.
#[derive(Clone)]
pub struct WebhookVerifier {
    header: String,
    secret: SecretString,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("header", &self.header)
            .field("secret", &"******")
            .finish()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

impl WebhookVerifier {
    /// Expects `secret` in header `header` (the one given to `register_webhooks`).
    pub fn new(header: impl Into<String>, secret: SecretString) -> Self {
        WebhookVerifier {
            header: header.into(),
            secret,
        }
    }

    /// Verifies a delivery's headers and parses its body. A missing or wrong secret is
    /// [`ErrorKind::Unauthenticated`]; a body that is not an order event is
    /// [`ErrorKind::Protocol`].
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<OrderEvent, Error> {
        let sent = headers
            .get(self.header.as_str())
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !constant_time_eq(sent, self.secret.expose_secret().as_bytes()) {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                format!(
                    "webhook delivery without the expected `{}` header",
                    self.header
                ),
            )
            .with_platform("bigcommerce"));
        }
        parse_event(body)
    }
}

/// Parses a delivery body (`{scope, store_id, data: {type, id, …}, hash, created_at,
/// producer}`).
pub fn parse_event(body: &[u8]) -> Result<OrderEvent, Error> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        Error::protocol(format!("webhook: not JSON: {e}")).with_platform("bigcommerce")
    })?;
    let o = Obj::of(&v, "webhook", "")?;
    let scope = o.text("scope")?;
    let Some(rest) = scope.strip_prefix("store/order/") else {
        return Err(o.err("scope", format!("`{scope}` is not a store/order/* event")));
    };
    let data_v = o.get("data").ok_or_else(|| o.err("data", "missing"))?;
    let data = Obj::of(data_v, "webhook", "data")?;
    let order_id = OrderId::new(data.id("id")?);
    let kind = match rest {
        "created" => OrderEventKind::Created,
        "updated" => OrderEventKind::Updated,
        "archived" => OrderEventKind::Archived,
        "statusUpdated" => {
            let (from, to) = match data.get("status") {
                Some(s @ Value::Object(_)) => {
                    let so = Obj::of(s, "webhook", "data.status")?;
                    (
                        so.opt_text("previous_status_id")?.map(StatusId::new),
                        so.opt_text("new_status_id")?.map(StatusId::new),
                    )
                }
                _ => (None, None),
            };
            OrderEventKind::StatusUpdated { from, to }
        }
        "message/created" => OrderEventKind::MessageCreated,
        "refund/created" => {
            let refund_id = match data.get("refund") {
                Some(r @ Value::Object(_)) => Obj::of(r, "webhook", "data.refund")?
                    .opt_id("refund_id")?
                    .map(RefundId::new),
                _ => None,
            };
            OrderEventKind::RefundCreated { refund_id }
        }
        other => OrderEventKind::Other(other.to_string()),
    };
    let created_at = match o.get("created_at") {
        Some(Value::Number(n)) => n
            .to_string()
            .parse::<i64>()
            .ok()
            .and_then(|t| Utc.timestamp_opt(t, 0).single()),
        _ => o.opt_date("created_at").ok().flatten(),
    };
    let hash = o.text("hash")?;
    if hash.is_empty() {
        return Err(o.err("hash", "missing"));
    }
    Ok(OrderEvent {
        kind,
        order_id,
        hash,
        created_at,
        producer: o.text("producer")?,
    })
}

/// Remembers the last `capacity` event hashes; [`WebhookDeduper::first_time`] is `false`
/// for a repeated delivery.
#[derive(Debug)]
pub struct WebhookDeduper {
    capacity: usize,
    seen: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl WebhookDeduper {
    /// Remembers up to `capacity` hashes.
    pub fn new(capacity: usize) -> Self {
        WebhookDeduper {
            capacity: capacity.max(1),
            seen: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    /// Whether this event is seen for the first time (and remembers it).
    pub fn first_time(&self, event: &OrderEvent) -> bool {
        let mut guard = match self.seen.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let (set, order) = &mut *guard;
        if !set.insert(event.hash.clone()) {
            return false;
        }
        order.push_back(event.hash.clone());
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"scope":"store/order/statusUpdated","store_id":"1025646","data":{"type":"order","id":250,"status":{"previous_status_id":0,"new_status_id":11}},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1561479335,"producer":"stores/{store_hash}"}"#;

    #[test]
    fn verifies_and_parses_status_updates() {
        let v = WebhookVerifier::new("x-bcsync-secret", SecretString::from("s3"));
        let mut h = HeaderMap::new();
        assert_eq!(
            v.verify(&h, BODY.as_bytes()).unwrap_err().kind(),
            ErrorKind::Unauthenticated
        );
        h.insert("x-bcsync-secret", "wrong".parse().unwrap());
        assert!(v.verify(&h, BODY.as_bytes()).is_err());
        h.insert("x-bcsync-secret", "s3".parse().unwrap());
        let e = v.verify(&h, BODY.as_bytes()).unwrap();
        assert_eq!(e.order_id.as_str(), "250");
        assert_eq!(
            e.kind,
            OrderEventKind::StatusUpdated {
                from: Some(StatusId::new("0")),
                to: Some(StatusId::new("11"))
            }
        );
        assert!(format!("{v:?}").contains("******"));
        let d = WebhookDeduper::new(2);
        assert!(d.first_time(&e));
        assert!(!d.first_time(&e));
    }

    #[test]
    fn refuses_other_scopes_and_garbage() {
        assert!(
            parse_event(br#"{"scope":"store/product/updated","data":{"id":1},"hash":"x"}"#)
                .is_err()
        );
        assert!(parse_event(b"nope").is_err());
        assert!(parse_event(br#"{"scope":"store/order/created","data":{},"hash":"x"}"#).is_err());
    }
}
