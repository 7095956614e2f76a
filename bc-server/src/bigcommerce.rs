//! BigCommerce deliveries: the lightweight payload and its scopes.
//!
//! BigCommerce signs nothing: a hook is authenticated by the custom `headers` registered with it
//! (`POST /v3/hooks {"headers": {...}}`, "which can be used to authenticate callbacks requests",
//! BigCommerce's Webhooks overview, *Security*), sent back verbatim on every delivery. The
//! receiver compares that header with the configured secret in constant time.
//!
//! The payload (Webhook Events, *Callback structure*): `scope`, `store_id`, `data` (varies by
//! scope; `{"type": "order", "id": 250}` for orders), `hash` (SHA-1 of the JSON-encoded `data`),
//! `created_at` (Unix seconds) and `producer` (`stores/{store_hash}`). `hash` alone does not
//! identify a delivery: two `store/order/updated` events of one order have the same `data` and
//! so the same hash. The de-duplication key is scope + data + hash + created_at.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::dedupe::{delivery_key, DeliveryKey};
use crate::events::{OrderChange, ShipmentChange, WebhookEvent};

/// A parsed delivery.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub key: DeliveryKey,
    pub scope: String,
    pub created_at: Option<DateTime<Utc>>,
    /// `None`: a scope bcsync does not act on (accepted and ignored).
    pub event: Option<WebhookEvent>,
}

/// Why a payload was refused. Names fields only: never a value from the body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Malformed(pub String);

/// An id as BigCommerce sends them: a whole number (as a JSON number, or digits in a string).
/// Anything else (`"250a"`, `-1`, `2.5`) is not an id BigCommerce ever sends.
fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.to_string())
        }
        _ => None,
    }
}

fn opt_id(v: Option<&Value>, field: &str) -> Result<Option<String>, Malformed> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(other) => id_text(Some(other))
            .map(Some)
            .ok_or_else(|| Malformed(format!("`{field}` is not an id"))),
    }
}

/// Parses a delivery body.
pub(crate) fn parse(body: &[u8]) -> Result<Delivery, Malformed> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        // The position only: serde_json's message may quote the body.
        Malformed(format!(
            "not JSON ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(map) = &v else {
        return Err(Malformed("the payload is not a JSON object".into()));
    };
    let scope = match map.get("scope") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(Malformed("`scope` is missing or not a string".into())),
    };
    let data = map
        .get("data")
        .ok_or_else(|| Malformed("`data` is missing".into()))?;
    let hash = match map.get("hash") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(Malformed("`hash` is not a string".into())),
    };
    let (created_text, created_at) = match map.get("created_at") {
        None | Some(Value::Null) => (String::new(), None),
        Some(Value::Number(n)) => {
            let text = n.to_string();
            let at = text
                .parse::<i64>()
                .ok()
                .and_then(|t| Utc.timestamp_opt(t, 0).single());
            (text, at)
        }
        Some(_) => return Err(Malformed("`created_at` is not a Unix timestamp".into())),
    };
    let data_text = data.to_string();
    let key = delivery_key(&[
        scope.as_bytes(),
        data_text.as_bytes(),
        hash.as_bytes(),
        created_text.as_bytes(),
    ]);
    let event = event_for(&scope, data)?;
    Ok(Delivery {
        key,
        scope,
        created_at,
        event,
    })
}

/// A record's id (an order, a shipment): a positive whole number, never `0` nor `007`.
fn positive_id(v: Option<&Value>) -> Option<String> {
    id_text(v).filter(|t| !t.starts_with('0'))
}

fn required_id(data: &Value, field: &str) -> Result<String, Malformed> {
    positive_id(data.get(field))
        .ok_or_else(|| Malformed(format!("`data.{field}` is missing or not an id")))
}

/// Parses a BigCommerce delivery body into the event it carries (`None`: a scope bcsync does
/// not act on); the error names fields only, never a value. For fuzzing and tests; the
/// route does the same after authenticating the delivery.
pub fn parse_delivery(body: &[u8]) -> Result<Option<WebhookEvent>, String> {
    parse(body).map(|d| d.event).map_err(|Malformed(why)| why)
}

fn event_for(scope: &str, data: &Value) -> Result<Option<WebhookEvent>, Malformed> {
    let order_change = match scope {
        "store/order/created" => Some(OrderChange::Created),
        "store/order/updated" => Some(OrderChange::Updated),
        "store/order/archived" => Some(OrderChange::Archived),
        "store/order/statusUpdated" => {
            let status = data.get("status");
            Some(OrderChange::StatusUpdated {
                from: opt_id(
                    status.and_then(|s| s.get("previous_status_id")),
                    "data.status.previous_status_id",
                )?,
                to: opt_id(
                    status.and_then(|s| s.get("new_status_id")),
                    "data.status.new_status_id",
                )?,
            })
        }
        _ => None,
    };
    if let Some(change) = order_change {
        return Ok(Some(WebhookEvent::Order {
            id: required_id(data, "id")?,
            change,
            scope: scope.to_string(),
        }));
    }
    let shipment_change = match scope {
        "store/shipment/created" => Some(ShipmentChange::Created),
        "store/shipment/updated" => Some(ShipmentChange::Updated),
        "store/shipment/deleted" => Some(ShipmentChange::Deleted),
        _ => None,
    };
    if let Some(change) = shipment_change {
        return Ok(Some(WebhookEvent::Shipment {
            id: required_id(data, "id")?,
            order_id: opt_id(data.get("orderId"), "data.orderId")?,
            change,
        }));
    }
    Ok(match scope {
        "store/order/refund/created" => Some(WebhookEvent::Refund {
            order_id: required_id(data, "id")?,
            refund_id: opt_id(
                data.get("refund").and_then(|r| r.get("refund_id")),
                "data.refund.refund_id",
            )?,
        }),
        "store/product/created" | "store/product/updated" | "store/product/deleted" => {
            Some(WebhookEvent::Product {
                id: required_id(data, "id")?,
                scope: scope.to_string(),
            })
        }
        "store/product/inventory/updated" | "store/product/inventory/order/updated" => {
            let inv = data.get("inventory");
            let product_id = match opt_id(
                inv.and_then(|i| i.get("product_id")),
                "data.inventory.product_id",
            )? {
                Some(p) => Some(p),
                None => Some(required_id(data, "id")?),
            };
            Some(WebhookEvent::Inventory {
                product_id,
                variant_id: None,
                scope: scope.to_string(),
            })
        }
        "store/sku/inventory/updated" | "store/sku/inventory/order/updated" => {
            let inv = data.get("inventory");
            Some(WebhookEvent::Inventory {
                product_id: opt_id(
                    inv.and_then(|i| i.get("product_id")),
                    "data.inventory.product_id",
                )?,
                variant_id: opt_id(
                    inv.and_then(|i| i.get("variant_id")),
                    "data.inventory.variant_id",
                )?,
                scope: scope.to_string(),
            })
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_payloads() {
        let d = parse(br#"{"scope":"store/order/statusUpdated","store_id":"1025646","data":{"type":"order","id":250,"status":{"previous_status_id":0,"new_status_id":11}},"hash":"7ee67cd1cf2ca60bc1aa9e5fe957d2de373be4ca","created_at":1561479335,"producer":"stores/{store_hash}"}"#).unwrap();
        assert_eq!(
            d.event,
            Some(WebhookEvent::Order {
                id: "250".into(),
                change: OrderChange::StatusUpdated {
                    from: Some("0".into()),
                    to: Some("11".into())
                },
                scope: "store/order/statusUpdated".into()
            })
        );
        assert_eq!(d.created_at.map(|t| t.timestamp()), Some(1561479335));
        // The overview's example has no created_at.
        let d = parse(br#"{"store_id":"11111","producer":"stores/abcde","scope":"store/order/statusUpdated","data":{"type":"order","id":173331},"hash":"3f9ea420af83450d7ef9f78b08c8af25b2213637"}"#).unwrap();
        assert!(d.created_at.is_none());
        let d = parse(br#"{"scope":"store/order/refund/created","store_id":"1","data":{"type":"order","id":250,"refund":{"refund_id":3}},"hash":"x","created_at":1,"producer":"stores/a"}"#).unwrap();
        assert_eq!(
            d.event,
            Some(WebhookEvent::Refund {
                order_id: "250".into(),
                refund_id: Some("3".into())
            })
        );
        let d = parse(br#"{"scope":"store/shipment/created","store_id":"1","data":{"type":"shipment","id":12,"orderId":251},"hash":"x","created_at":1,"producer":"stores/a"}"#).unwrap();
        assert_eq!(
            d.event,
            Some(WebhookEvent::Shipment {
                id: "12".into(),
                order_id: Some("251".into()),
                change: ShipmentChange::Created
            })
        );
        let d = parse(br#"{"scope":"store/sku/inventory/updated","store_id":"1","data":{"type":"sku","id":461,"inventory":{"product_id":206,"method":"absolute","value":5,"variant_id":509}},"hash":"x","created_at":1,"producer":"stores/a"}"#).unwrap();
        assert_eq!(
            d.event,
            Some(WebhookEvent::Inventory {
                product_id: Some("206".into()),
                variant_id: Some("509".into()),
                scope: "store/sku/inventory/updated".into()
            })
        );
        // Unknown scopes are accepted and carry no event.
        let d = parse(br#"{"scope":"store/cart/created","data":{"type":"cart","id":"0934"},"hash":"x","created_at":1}"#).unwrap();
        assert!(d.event.is_none());
    }

    /// The refund webhook as BigCommerce documents it (the connector's recorded fixture).
    #[test]
    fn the_documented_refund_delivery() {
        let body = include_str!(
            "../../bc-connector-bigcommerce/tests/fixtures/webhook_refund_created.json"
        );
        let d = parse(body.as_bytes()).unwrap();
        assert_eq!(
            d.event,
            Some(WebhookEvent::Refund {
                order_id: "250".into(),
                refund_id: Some("3".into())
            })
        );
        // An id BigCommerce never sends is refused, naming the field only.
        let mut v: Value = serde_json::from_str(body).unwrap();
        v["data"]["id"] = Value::String("250a".into());
        let e = parse(v.to_string().as_bytes()).unwrap_err();
        assert!(e.0.contains("data.id"), "{}", e.0);
        assert!(!e.0.contains("250a"), "{}", e.0);
    }

    #[test]
    fn same_hash_different_time_is_a_different_delivery() {
        let a = parse(br#"{"scope":"store/order/updated","data":{"type":"order","id":1},"hash":"h","created_at":1}"#).unwrap();
        let b = parse(br#"{"scope":"store/order/updated","data":{"type":"order","id":1},"hash":"h","created_at":2}"#).unwrap();
        let a2 = parse(br#"{"created_at":1,"hash":"h","data":{"id":1,"type":"order"},"scope":"store/order/updated"}"#).unwrap();
        assert_ne!(a.key, b.key);
        assert_eq!(a.key, a2.key, "key order in the JSON does not matter");
    }

    #[test]
    fn malformed_payloads_name_no_values() {
        for body in [
            &b"secret-ish not json"[..],
            br#"["a"]"#,
            br#"{"data":{}}"#,
            br#"{"scope":"store/order/created"}"#,
            br#"{"scope":"store/order/created","data":{"type":"order"}}"#,
            br#"{"scope":"store/order/created","data":{"id":{"x":"secret-ish"}}}"#,
            br#"{"scope":"store/order/created","data":{"id":1},"created_at":"secret-ish"}"#,
        ] {
            let e = parse(body).unwrap_err();
            assert!(!e.0.contains("secret-ish"), "{}", e.0);
        }
    }
}
