//! BigCommerce's errors → [`bc_core::Error`].
//!
//! BigCommerce answers errors in two documented shapes: v2's `[{"status": 400, "message":
//! "…"}]` and v3's `{"status": 422, "title": "…", "type": "…", "errors": {"field":
//! "problem"}}`. Both are read by bc-http's common classifier ([`classifier`]), which keeps
//! the status as the kind (`404` NotFound, `409` Conflict, `422` Invalid, `429` RateLimited,
//! `5xx` temporary) and BigCommerce's own sentence as the message, never the whole body.
//!
//! Payloads the connector cannot read are protocol errors naming the entity and the field
//! ([`field_error`]); requests bcsync refuses to send are `Invalid` ([`invalid`]); an order
//! of a listed page that cannot be completed is a per-item failure ([`item_failure`]), never
//! a failure of the page.

use bc_core::{Error, ErrorKind, ItemFailure};
use bc_http::ErrorClassifier;
use serde_json::Value;

use crate::PLATFORM;

/// The classifier of BigCommerce's error bodies (bc-http's common reading, which knows both
/// of BigCommerce's shapes).
pub fn classifier() -> ErrorClassifier {
    bc_http::default_classifier()
}

/// A protocol error naming the entity and the field, as in ``order 7: field `sku`: …``.
pub fn field_error(what: &str, field: &str, problem: impl std::fmt::Display) -> Error {
    Error::protocol(format!("{what}: field `{field}`: {problem}")).with_platform(PLATFORM)
}

/// An `Invalid` error of this platform: a request bcsync refuses to send.
pub fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Invalid, message.into()).with_platform(PLATFORM)
}

/// The SKU a `422` of `PUT /v3/inventory/adjustments/absolute` names as unknown ("Item with
/// sku X does not exist"), among `skus`: its index.
pub fn unknown_sku<'a>(e: &Error, skus: impl Iterator<Item = &'a str>) -> Option<usize> {
    if e.kind() != ErrorKind::Invalid {
        return None;
    }
    let text = e.to_string();
    skus.into_iter()
        .position(|sku| text.contains(&format!("Item with sku {sku} does not exist")))
}

/// A listed item that could not be completed or parsed: its id when the payload has one
/// (else a key derived from the payload), the error, and the payload. Anything but a
/// temporary error marks the item malformed (retrying will not help).
pub fn item_failure(raw: &Value, e: &Error) -> ItemFailure {
    let key = match raw.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(raw.to_string().as_bytes());
            format!("raw:{}", hex::encode(&digest[..6]))
        }
    };
    let mut f = ItemFailure::from_error(key, e);
    f.raw = Some(raw.to_string());
    if !e.is_temporary() {
        f = ItemFailure::malformed(f.key, f.message, f.raw);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_carry_the_platform_and_name_the_field() {
        let e = field_error("order 7", "products[0].sku", "expected text");
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(e.to_string().contains("products[0].sku"), "{e}");
        assert_eq!(invalid("no").kind(), ErrorKind::Invalid);
    }

    #[test]
    fn unknown_skus_are_found_in_the_message() {
        let e = invalid("Item with sku B-2 does not exist");
        assert_eq!(unknown_sku(&e, ["A-1", "B-2"].into_iter()), Some(1));
        assert_eq!(unknown_sku(&e, ["A-1"].into_iter()), None);
        let other = Error::new(ErrorKind::Unavailable, "Item with sku A-1 does not exist");
        assert_eq!(unknown_sku(&other, ["A-1"].into_iter()), None);
    }

    #[test]
    fn item_failures_keep_the_payload_and_a_key() {
        let e = field_error("order 9", "total_inc_tax", "missing");
        let f = item_failure(&json!({"id": 9}), &e);
        assert_eq!(f.key, "9");
        assert!(f.raw.as_deref().is_some_and(|r| r.contains("9")));
        let g = item_failure(&json!({"id": "x"}), &e);
        assert!(g.key.starts_with("raw:"), "{}", g.key);
    }
}
