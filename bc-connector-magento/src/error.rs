//! Magento's error bodies → [`bc_core::Error`].
//!
//! Magento answers `{"message": "…%1…", "parameters": […]}` (positional) or
//! `{"message": "…%fieldName…", "parameters": {"fieldName": …}}` (named), sometimes with
//! `errors: [{message, parameters}]` (validation) and `trace` in developer mode (admin
//! schema, `error-response`). The classifier fills the placeholders so that the operator
//! reads Magento's sentence, and keeps the HTTP status as the platform code.

use std::sync::Arc;

use bc_core::ErrorKind;
use bc_http::{ErrorClassifier, PlatformErrorDetail};
use serde_json::Value;

/// The admin setting that lets an integration access token act as a Bearer token.
pub const BEARER_SETTING: &str = "Stores > Configuration > Services > OAuth > Consumer Settings > \"Allow OAuth Access Tokens to be used as standalone Bearer tokens\" (oauth/consumer/enable_integration_as_bearer)";

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Fills `%1`, `%2`… and `%name` placeholders with the parameters.
pub fn render_message(message: &str, parameters: Option<&Value>) -> String {
    let mut out = message.to_string();
    match parameters {
        Some(Value::Array(items)) => {
            // Highest index first so `%1` does not eat the start of `%10`.
            for (i, v) in items.iter().enumerate().rev() {
                out = out.replace(&format!("%{}", i + 1), &scalar(v));
            }
        }
        Some(Value::Object(map)) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
            for k in keys {
                out = out.replace(&format!("%{k}"), &scalar(&map[k]));
            }
        }
        _ => {}
    }
    out
}

/// Reads a Magento error body: the rendered message (with nested `errors` appended).
pub fn read_body(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let message = v.get("message").and_then(Value::as_str)?;
    let mut text = render_message(message, v.get("parameters"));
    if let Some(errors) = v.get("errors").and_then(Value::as_array) {
        let parts: Vec<String> = errors
            .iter()
            .filter_map(|e| {
                e.get("message")
                    .and_then(Value::as_str)
                    .map(|m| render_message(m, e.get("parameters")))
            })
            .collect();
        if !parts.is_empty() {
            text = format!("{text} ({})", parts.join("; "));
        }
    }
    let mut end = text.len().min(600);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(text[..end].to_string())
}

/// The classifier. With `integration_token` the 401 of an unrecognised Bearer token names the
/// admin setting to change, because that is why Magento 2.4.4+ refuses integration tokens.
pub fn classifier(integration_token: bool) -> ErrorClassifier {
    Arc::new(move |status, _headers, body| {
        let message = read_body(body);
        let mut detail = PlatformErrorDetail {
            code: Some(status.as_u16().to_string()),
            message: message.clone(),
            ..Default::default()
        };
        let text = message.unwrap_or_default();
        if status.as_u16() == 401 && text.contains("isn't authorized") && integration_token {
            detail.message = Some(format!(
                "{text} — Magento 2.4.4+ refuses integration access tokens as Bearer tokens unless {BEARER_SETTING} is set to Yes; set it, or configure admin_username/admin_password"
            ));
            detail.kind = Some(ErrorKind::Unauthenticated);
            detail.temporary = Some(false);
        } else if status.as_u16() == 400 && text.contains("Document Validation Error") {
            detail.kind = Some(ErrorKind::Conflict);
        } else if status.as_u16() == 400 && text.starts_with("SQLSTATE") {
            detail.kind = Some(ErrorKind::Invalid);
        }
        detail
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_positional_and_named_parameters() {
        assert_eq!(
            read_body(br#"{"message":"Invalid condition type \"%1\" for field \"%2\".","parameters":["equals","status"]}"#).as_deref(),
            Some("Invalid condition type \"equals\" for field \"status\".")
        );
        assert_eq!(
            read_body(br#"{"message":"The consumer isn't authorized to access %resources.","parameters":{"resources":"Magento_Sales::actions_view"}}"#).as_deref(),
            Some("The consumer isn't authorized to access Magento_Sales::actions_view.")
        );
        assert_eq!(read_body(b"<html>"), None);
        assert_eq!(
            render_message(
                "%1 and %10",
                Some(&serde_json::json!([
                    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"
                ]))
            ),
            "a and j"
        );
    }
}
