//! Magento's wire formats: amounts as JSON numbers, dates `Y-m-d H:i:s` in UTC, error bodies
//! `{"message": "… %1 …", "parameters": […]}`.
//!
//! Sources: the admin schema (`shared/api/magento/admin-schema-2.4.9.yaml`, definition
//! `error-response`: `message`, `errors`, `code`, `parameters`, `trace`); Adobe's "REST API
//! error codes" / "Use the REST API" pages (developer.adobe.com/commerce/webapi/rest/use-rest/)
//! for the placeholder style (`%1` positional, `%fieldName` named).

use std::str::FromStr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

/// Magento's date format in API payloads (`sales_order.created_at`, always UTC).
pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// A date as Magento writes it: `"2024-03-05 14:07:09"` (UTC, no offset).
pub fn date(dt: DateTime<Utc>) -> String {
    dt.format(DATE_FORMAT).to_string()
}

/// Parses a date the way a searchCriteria value is compared (`Y-m-d H:i:s`, or `Y-m-d`).
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(n) = NaiveDateTime::parse_from_str(s, DATE_FORMAT) {
        return Some(Utc.from_utc_datetime(&n));
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| Utc.from_utc_datetime(&n))
}

/// Round half away from zero to `dp` decimals (Magento's `PriceCurrency::round`).
pub fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// An amount as a JSON number, exact (`12.50` → `12.5`, `3` → `3`): Magento's PHP floats
/// are encoded without trailing zeros.
pub fn num(d: Decimal) -> Value {
    let text = d.normalize().to_string();
    match serde_json::Number::from_str(&text) {
        Ok(n) => Value::Number(n),
        Err(_) => Value::String(text),
    }
}

/// The error body with positional parameters (`%1`, `%2`).
pub fn error(status: u16, message: &str, parameters: &[&str]) -> Response {
    let mut body = json!({ "message": message });
    if !parameters.is_empty() {
        body["parameters"] = json!(parameters);
    }
    respond(status, body)
}

/// The error body with named parameters (`%fieldName`).
pub fn error_named(status: u16, message: &str, parameters: Value) -> Response {
    respond(
        status,
        json!({ "message": message, "parameters": parameters }),
    )
}

fn respond(status: u16, body: Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (code, Json(body)).into_response()
}

/// `404` for an entity id that does not exist (`NoSuchEntityException`).
pub fn not_found() -> Response {
    error(
        404,
        "The entity that was requested doesn't exist. Verify the entity and try again.",
        &[],
    )
}

/// `400` for a required field that is missing (`InputException::requiredField`).
pub fn required(field: &str) -> Response {
    error_named(
        400,
        "\"%fieldName\" is required. Enter and try again.",
        json!({ "fieldName": field }),
    )
}

/// `404` for a path Magento's REST router does not know.
pub fn no_route() -> Response {
    error(404, "Request does not match any route.", &[])
}

/// The body of an injected (or real) server error.
pub fn server_error(status: u16) -> Response {
    match status {
        // Magento in production mode hides the exception behind a report id.
        500 => error(
            500,
            "Internal Error. Details are available in Magento log file. Report ID: %1",
            &["webapi-5f1e2d3c4b5a6"],
        ),
        503 => error(503, "Service Temporarily Unavailable", &[]),
        429 => error(429, "Too Many Requests", &[]),
        s => error(s, "Bad Gateway", &[]),
    }
}

/// `200` with a JSON body.
pub fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}

/// A JSON number from the payload as a decimal (numbers or numeric strings).
pub fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => {
            let t = n.to_string();
            Decimal::from_str(&t)
                .ok()
                .or_else(|| Decimal::from_scientific(&t).ok())
        }
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

/// An id from the payload (number or numeric string).
pub fn id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
