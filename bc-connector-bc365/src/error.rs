//! Business Central's error bodies → [`bc_core::Error`].
//!
//! BC answers `{"error":{"code":"…","message":"…  CorrelationId:  …"}}` with the codes of
//! `shared/api/bc365/limits-and-protocol/dynamics-error-codes.md`; Entra ID answers
//! `{"error":"invalid_client","error_description":"AADSTS7000215: …","error_codes":[…]}`.
//! The code decides the kind; the platform's code and message are kept (the correlation id
//! stripped).

use std::sync::Arc;

use bc_core::{Error, ErrorKind};
use bc_http::{ErrorClassifier, PlatformErrorDetail};
use http::StatusCode;
use serde_json::Value;

use crate::PLATFORM;

/// The kind an OData error code means, when it says more than the status.
pub fn kind_for_code(status: u16, code: &str) -> Option<ErrorKind> {
    Some(match code {
        "Request_EntityChanged" | "Internal_EntityWithSameKeyExists" => ErrorKind::Conflict,
        "BadRequest_InvalidToken" => ErrorKind::Invalid,
        c if c.starts_with("Authentication_") => ErrorKind::Unauthenticated,
        c if c.starts_with("Authorization_") => ErrorKind::Forbidden,
        "Application_TooManyRequests" => ErrorKind::RateLimited,
        "Internal_ServerError" | "Internal_ServiceUnavailable" | "Internal_TenantUnavailable" => {
            ErrorKind::Unavailable
        }
        "NoEnvironment" | "Internal_CompanyNotFound" => ErrorKind::Config,
        "Internal_RecordNotFound" | "BadRequest_ResourceNotFound" if status == 404 => {
            ErrorKind::NotFound
        }
        "BadRequest_MethodNotImplemented" | "BadRequest_MethodNotAllowed" => ErrorKind::Unsupported,
        _ => return None,
    })
}

/// Strips BC's `  CorrelationId:  …` suffix.
pub fn clean_message(m: &str) -> String {
    match m.find("CorrelationId:") {
        Some(i) => m[..i].trim_end().to_string(),
        None => m.trim().to_string(),
    }
}

/// Reads an OData or Entra error body.
pub fn read_body(status: u16, body: &Value) -> PlatformErrorDetail {
    if let Some(e) = body.get("error").filter(|e| e.is_object()) {
        let code = e
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("Unknown")
            .to_string();
        let message = e.get("message").and_then(Value::as_str).map(clean_message);
        return PlatformErrorDetail {
            kind: kind_for_code(status, &code),
            code: Some(code),
            message,
            temporary: None,
        };
    }
    if let Some(err) = body.get("error").and_then(Value::as_str) {
        // Entra ID: keep the AADSTS number as the code, the first sentence as the message.
        let desc = body
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or(err);
        let code = desc
            .split(':')
            .next()
            .filter(|c| c.starts_with("AADSTS"))
            .unwrap_or(err);
        let message = desc.split(" Trace ID:").next().unwrap_or(desc).to_string();
        let kind = match err {
            "invalid_client" | "unauthorized_client" => ErrorKind::Unauthenticated,
            "invalid_scope" | "invalid_resource" | "invalid_request" => ErrorKind::Config,
            _ => ErrorKind::Unauthenticated,
        };
        return PlatformErrorDetail {
            kind: Some(kind),
            code: Some(code.to_string()),
            message: Some(message),
            temporary: None,
        };
    }
    PlatformErrorDetail::default()
}

/// The classifier given to bc-http.
pub fn classifier() -> ErrorClassifier {
    Arc::new(|status: StatusCode, _headers, body: &[u8]| {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        read_body(status.as_u16(), &v)
    })
}

/// The error of one `$batch` operation (`status` + body), built like bc-http builds it for a
/// whole response.
pub fn from_batch(operation: &str, status: u16, body: &Value) -> Error {
    let d = read_body(status, body);
    let kind = d.kind.unwrap_or(match status {
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::NotFound,
        409 | 412 => ErrorKind::Conflict,
        429 => ErrorKind::RateLimited,
        408 | 500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Invalid,
    });
    let mut e = Error::new(kind, format!("HTTP {status}"))
        .with_platform(PLATFORM)
        .with_operation(operation.to_string());
    if let Some(c) = d.code {
        e = e.with_platform_code(c);
    }
    if let Some(m) = d.message {
        e = e.with_platform_message(m);
    }
    e
}

/// `(VAT bus. posting group, VAT prod. posting group)` (or `(tax area, tax group)`) named by
/// BC's "The VAT Posting Setup does not exist" / "The Tax Detail does not exist" error.
pub fn missing_tax_setup(err: &Error) -> Option<(String, String)> {
    let m = err.platform_message()?;
    let quoted = |key: &str| -> Option<String> {
        let i = m.find(key)? + key.len();
        let rest = &m[i..];
        let end = rest.find('\'')?;
        Some(rest[..end].to_string())
    };
    if m.contains("VAT Posting Setup does not exist") {
        return Some((
            quoted("VAT Bus. Posting Group='")?,
            quoted("VAT Prod. Posting Group='")?,
        ));
    }
    if m.contains("Tax Detail does not exist") {
        return Some((
            quoted("Tax Jurisdiction Code='")?,
            quoted("Tax Group Code='")?,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_odata_and_entra_bodies() {
        let d = read_body(
            412,
            &serde_json::json!({"error":{"code":"Request_EntityChanged","message":"Another user has already changed the record.  CorrelationId:  abc."}}),
        );
        assert_eq!(d.kind, Some(ErrorKind::Conflict));
        assert_eq!(
            d.message.as_deref(),
            Some("Another user has already changed the record.")
        );
        let d = read_body(
            401,
            &serde_json::json!({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Trace ID: x","error_codes":[7000215]}),
        );
        assert_eq!(d.code.as_deref(), Some("AADSTS7000215"));
        assert_eq!(d.kind, Some(ErrorKind::Unauthenticated));
        let e = from_batch(
            "POST x",
            400,
            &serde_json::json!({"error":{"code":"Internal_RecordNotFound","message":"The VAT Posting Setup does not exist. Identification fields and values: VAT Bus. Posting Group='EU',VAT Prod. Posting Group='REDUCED'  CorrelationId:  1."}}),
        );
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert_eq!(missing_tax_setup(&e), Some(("EU".into(), "REDUCED".into())));
    }
}
