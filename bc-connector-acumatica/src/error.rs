//! Acumatica's error answers → [`bc_core::Error`], keeping Acumatica's own message.
//!
//! - 422: the entity comes back with `"error"` inside each invalid field (and on detail rows);
//!   the error names every field (`Details[0].InventoryID: 'Inventory ID' cannot be found in
//!   the system.`), kind [`ErrorKind::Invalid`], platform code `422`.
//! - `HttpError` bodies (`message`, `exceptionMessage`): 400 invalid, 401 unauthenticated,
//!   404 not found, 412 conflict, 429 rate limited, 500 unavailable — except the
//!   "API Login Limit" refusal, a temporary rate limit of sessions.

use bc_core::{Error, ErrorKind};
use serde_json::Value;

/// The platform name.
pub const PLATFORM: &str = "acumatica";

/// Field errors of a 422 entity: `(path, message)`.
pub fn field_errors(entity: &Value) -> Vec<(String, String)> {
    fn walk(v: &Value, path: &str, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "error" {
                        continue;
                    }
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    if let Some(e) = x.get("error").and_then(Value::as_str) {
                        if x.get("value").is_some() || x.as_object().is_some_and(|o| o.len() <= 2) {
                            out.push((p.clone(), e.to_string()));
                            continue;
                        }
                    }
                    walk(x, &p, out);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, &format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(entity, "", &mut out);
    out
}

/// The error for a non-success answer.
pub fn error_from_response(status: u16, body: &[u8], operation: &str) -> Error {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if status == 422 {
        let entity = parsed.unwrap_or(Value::Null);
        let fields = field_errors(&entity);
        let summary = entity
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("The data is invalid.");
        let listed = if fields.is_empty() {
            summary.to_string()
        } else {
            fields
                .iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        return Error::new(
            ErrorKind::Invalid,
            format!("Acumatica refused the record: {listed}"),
        )
        .with_platform(PLATFORM)
        .with_operation(operation.to_string())
        .with_platform_code("422")
        .with_platform_message(
            fields
                .first()
                .map(|(f, m)| format!("{f}: {m}"))
                .unwrap_or_else(|| summary.to_string()),
        );
    }
    let message = parsed
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let exception = parsed
        .as_ref()
        .and_then(|v| v.get("exceptionMessage"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let text = exception.clone().unwrap_or_else(|| message.clone());
    let (kind, temporary) = match status {
        400 => (ErrorKind::Invalid, false),
        401 => (ErrorKind::Unauthenticated, false),
        403 => (ErrorKind::Forbidden, false),
        404 => (ErrorKind::NotFound, false),
        412 => (ErrorKind::Conflict, false),
        429 => (ErrorKind::RateLimited, true),
        500 if text.contains("API Login Limit") => (ErrorKind::RateLimited, true),
        500 if text.contains("Invalid credentials") => (ErrorKind::Unauthenticated, false),
        s if s >= 500 => (ErrorKind::Unavailable, true),
        _ => (ErrorKind::Protocol, false),
    };
    Error::new(kind, format!("Acumatica answered {status}: {text}"))
        .with_temporary(temporary)
        .with_platform(PLATFORM)
        .with_operation(operation.to_string())
        .with_platform_code(status.to_string())
        .with_platform_message(text)
}

/// A classifier for `bc-http` (429/5xx it turns into errors itself).
pub fn classifier() -> bc_http::ErrorClassifier {
    std::sync::Arc::new(|status, _headers, body| {
        let e = error_from_response(status.as_u16(), body, "");
        bc_http::PlatformErrorDetail {
            kind: Some(e.kind()),
            code: e.platform_code().map(str::to_string),
            message: e.platform_message().map(str::to_string),
            temporary: Some(e.is_temporary()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_name_the_field() {
        let body = br#"{"id":"x","error":"Inserting raised errors","CustomerID":{"value":"NOPE","error":"'Customer' cannot be found in the system."},"Details":[{"id":"d","InventoryID":{"value":"Z","error":"'Inventory ID' cannot be found in the system."}}]}"#;
        let e = error_from_response(422, body, "put SalesInvoice");
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(
            e.to_string()
                .contains("CustomerID: 'Customer' cannot be found"),
            "{e}"
        );
        assert!(e.to_string().contains("Details[0].InventoryID"), "{e}");
        let limit = error_from_response(
            500,
            br#"{"message":"An error has occurred.","exceptionMessage":"API Login Limit"}"#,
            "login",
        );
        assert_eq!(limit.kind(), ErrorKind::RateLimited);
        assert!(limit.is_temporary());
    }
}
