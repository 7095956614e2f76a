//! Turning a platform's error response into a [`bc_core::Error`].
//!
//! The status decides the default kind; a connector's [`ErrorClassifier`] reads the body
//! (QBO `Fault` codes, BigCommerce `title`/`errors`, BC365 `error.code`) and may override the
//! kind, and keeps the platform's code and message.

use std::sync::Arc;

use bc_core::{Error, ErrorKind};
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::retry::parse_wait_headers;

/// What a classifier read from an error response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlatformErrorDetail {
    /// Overrides the kind the status implies (QBO answers `400` to a duplicate name: Conflict).
    pub kind: Option<ErrorKind>,
    /// The platform's own code (`"6240"`, `"invalid_grant"`).
    pub code: Option<String>,
    /// The platform's own message.
    pub message: Option<String>,
    /// Overrides whether retrying may help.
    pub temporary: Option<bool>,
}

/// Reads a platform error body: `(status, headers, body) → detail`.
pub type ErrorClassifier =
    Arc<dyn Fn(StatusCode, &HeaderMap, &[u8]) -> PlatformErrorDetail + Send + Sync>;

/// The kind an HTTP status implies.
pub fn kind_for_status(status: StatusCode) -> ErrorKind {
    match status.as_u16() {
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::Forbidden,
        404 | 410 => ErrorKind::NotFound,
        409 | 412 => ErrorKind::Conflict,
        429 => ErrorKind::RateLimited,
        408 | 500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Invalid,
    }
}

const MAX_MESSAGE: usize = 500;

fn clip(s: &str) -> String {
    let s = s.trim();
    if s.len() <= MAX_MESSAGE {
        return s.to_string();
    }
    let mut end = MAX_MESSAGE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(clip(s)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads the common shapes: `{"title"|"message"|"error_description"|"detail"|"error": …,
/// "code"|"status"|"error": …}`, BigCommerce v2's `[{"status":400,"message":"…"}]`, and
/// v3's `{"errors": {"field": "problem"}}`. Unknown bodies give no detail (the body is never
/// copied whole: it may hold personal data).
pub fn default_classifier() -> ErrorClassifier {
    Arc::new(|_status, _headers, body| read_common_body(body))
}

/// The reading behind [`default_classifier`], usable inside a connector's own classifier.
pub fn read_common_body(body: &[u8]) -> PlatformErrorDetail {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return PlatformErrorDetail::default();
    };
    let obj = match &v {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let Value::Object(map) = obj else {
        return PlatformErrorDetail::default();
    };
    let mut message = ["title", "message", "error_description", "detail"]
        .iter()
        .find_map(|k| map.get(*k).and_then(text));
    if let Some(Value::Object(errors)) = map.get("errors") {
        let parts: Vec<String> = errors
            .iter()
            .filter_map(|(k, v)| text(v).map(|t| format!("{k}: {t}")))
            .collect();
        if !parts.is_empty() {
            let joined = clip(&parts.join("; "));
            message = Some(match message {
                Some(m) => format!("{m} ({joined})"),
                None => joined,
            });
        }
    }
    let code = ["code", "error", "status"]
        .iter()
        .find_map(|k| map.get(*k).and_then(text));
    if message.is_none() {
        message = map.get("error").and_then(text);
    }
    PlatformErrorDetail {
        kind: None,
        code,
        message,
        temporary: None,
    }
}

/// Builds the error for a non-success response.
pub fn error_from_response(
    platform: &str,
    operation: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    classifier: &ErrorClassifier,
) -> Error {
    let detail = classifier(status, headers, body);
    let kind = detail.kind.unwrap_or_else(|| kind_for_status(status));
    let mut err = Error::new(kind, format!("HTTP {status}"))
        .with_platform(platform.to_string())
        .with_operation(operation.to_string());
    if let Some(t) = detail.temporary {
        err = err.with_temporary(t);
    }
    if let Some(c) = detail.code {
        err = err.with_platform_code(c);
    }
    if let Some(m) = detail.message {
        err = err.with_platform_message(m);
    }
    if let Some(w) = parse_wait_headers(headers) {
        err = err.with_retry_after(w);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bigcommerce_v2_and_v3_bodies() {
        let d =
            read_common_body(br#"[{"status":400,"message":"The field 'status_id' is invalid."}]"#);
        assert_eq!(d.code.as_deref(), Some("400"));
        assert_eq!(
            d.message.as_deref(),
            Some("The field 'status_id' is invalid.")
        );
        let d = read_common_body(
            br#"{"status":422,"title":"JSON data is missing or invalid","type":"x","errors":{"sku":"required"}}"#,
        );
        assert_eq!(
            d.message.as_deref(),
            Some("JSON data is missing or invalid (sku: required)")
        );
        let d = read_common_body(br#"{"error":"invalid_grant"}"#);
        assert_eq!(d.code.as_deref(), Some("invalid_grant"));
        assert_eq!(
            read_common_body(b"<html>oops</html>"),
            PlatformErrorDetail::default()
        );
    }

    #[test]
    fn status_kinds() {
        let c = default_classifier();
        let e = error_from_response(
            "x",
            "GET /a",
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            b"",
            &c,
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(!e.is_temporary());
        let e = error_from_response(
            "x",
            "GET /a",
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"",
            &c,
        );
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert!(e.is_temporary());
    }
}
