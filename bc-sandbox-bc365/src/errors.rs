//! Business Central's error bodies: OData errors `{"error":{"code","message"}}` with the codes
//! of `shared/api/bc365/limits-and-protocol/dynamics-error-codes.md`, and Entra ID's token
//! endpoint errors (`{"error","error_description":"AADSTS…","error_codes":[…]}`).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// An OData error as Business Central answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BcError {
    /// HTTP status.
    pub status: u16,
    /// BC's `error.code` (`BadRequest_NotFound`, `Application_StringExceededLength`…).
    pub code: String,
    /// BC's message (without the `CorrelationId` suffix, added when rendered).
    pub message: String,
    /// `Retry-After` seconds (429 only).
    pub retry_after: Option<u64>,
}

static CORRELATION: AtomicU64 = AtomicU64::new(1);

fn correlation_id() -> String {
    let n = CORRELATION.fetch_add(1, Ordering::Relaxed);
    format!("5c2f1e0a-{:04x}-4b6e-9d1c-{:012x}", (n >> 48) & 0xffff, n)
}

impl BcError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        BcError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// `400 BadRequest`: malformed body or value.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// `400 BadRequest_NotFound`: the query syntax is wrong ("Bad Request - Error in query
    /// syntax", per the error-code table).
    pub fn query_syntax(detail: impl Into<String>) -> Self {
        Self::new(
            400,
            "BadRequest_NotFound",
            format!("Bad Request - Error in query syntax. {}", detail.into()),
        )
    }

    /// `501`-style refusal of an OData feature the sandbox does not implement (answered as BC
    /// answers an unsupported option: `400 BadRequest_MethodNotImplemented`).
    pub fn not_implemented(what: impl Into<String>) -> Self {
        Self::new(400, "BadRequest_MethodNotImplemented", what)
    }

    /// `404 BadRequest_ResourceNotFound`: no such segment.
    pub fn resource_not_found(segment: &str) -> Self {
        Self::new(
            404,
            "BadRequest_ResourceNotFound",
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    /// `404 Internal_RecordNotFound`: BC's "The X does not exist" with identification fields.
    pub fn record_not_found(table: &str, ident: &str) -> Self {
        Self::new(
            404,
            "Internal_RecordNotFound",
            format!("The {table} does not exist. Identification fields and values: {ident}"),
        )
    }

    /// `400 Internal_RecordNotFound` raised while posting (a setup record is missing).
    pub fn setup_missing(table: &str, ident: &str) -> Self {
        let mut e = Self::record_not_found(table, ident);
        e.status = 400;
        e
    }

    /// `400 Application_DialogException`: application logic refused the request.
    pub fn dialog(message: impl Into<String>) -> Self {
        Self::new(400, "Application_DialogException", message)
    }

    /// `400 Application_StringExceededLength`.
    pub fn too_long(value: &str, max: usize) -> Self {
        Self::new(
            400,
            "Application_StringExceededLength",
            format!(
                "The length of the string is {}, but it must be less than or equal to {max} characters. Value: {value}",
                value.chars().count()
            ),
        )
    }

    /// `400 Application_InvalidGUID`.
    pub fn invalid_guid() -> Self {
        Self::new(
            400,
            "Application_InvalidGUID",
            "Invalid format of GUID string. The correct format of the GUID string is: CDEF7890-ABCD-0123-1234-567890ABCDEF where 0-9, A-F symbolizes hexadecimal digits.",
        )
    }

    /// `400 BadRequest_InvalidToken`: a write without `If-Match`.
    pub fn missing_etag() -> Self {
        Self::new(
            400,
            "BadRequest_InvalidToken",
            "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.",
        )
    }

    /// `412 Request_EntityChanged`: `If-Match` names an older version.
    pub fn stale_etag() -> Self {
        Self::new(
            412,
            "Request_EntityChanged",
            "Another user has already changed the record.",
        )
    }

    /// `401 Authentication_InvalidCredentials`.
    pub fn unauthenticated() -> Self {
        Self::new(
            401,
            "Authentication_InvalidCredentials",
            "The server has rejected the client credentials.",
        )
    }

    /// `429` with `Retry-After`.
    pub fn too_many_requests(retry_after: u64, message: &str) -> Self {
        let mut e = Self::new(429, "Application_TooManyRequests", message);
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// The body: `{"error":{"code","message"}}`, the message ending in BC's
    /// `  CorrelationId:  …` suffix.
    pub fn body(&self) -> Value {
        json!({
            "error": {
                "code": self.code,
                "message": format!("{}  CorrelationId:  {}.", self.message, correlation_id()),
            }
        })
    }
}

impl IntoResponse for BcError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut resp = (status, Json(self.body())).into_response();
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
        }
        if self.status == 401 {
            resp.headers_mut().insert(
                "www-authenticate",
                HeaderValue::from_static(
                    "Bearer authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", resource_id=\"https://api.businesscentral.dynamics.com\"",
                ),
            );
        }
        resp
    }
}

/// The error an injected fault status gets (the kit's fault plan).
pub fn injected(status: u16) -> Response {
    match status {
        429 => BcError::too_many_requests(1, "Too many requests reached.").into_response(),
        503 => BcError::new(
            503,
            "Internal_ServiceUnavailable",
            "The service is temporarily unavailable.",
        )
        .into_response(),
        502 => BcError::new(502, "Internal_ServerError", "Bad gateway.").into_response(),
        s => BcError::new(
            s,
            "Internal_ServerError",
            "An unexpected error occurred on the server.",
        )
        .into_response(),
    }
}

/// An Entra ID (AAD v2.0) token endpoint error: `status`, OAuth `error`, AADSTS number and
/// text, as `login.microsoftonline.com` sends them.
pub fn entra_error(status: u16, error: &str, aadsts: u32, text: &str) -> Response {
    let ts = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let trace = correlation_id();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{aadsts}: {text} Trace ID: {trace} Correlation ID: {trace} Timestamp: {ts}"),
        "error_codes": [aadsts],
        "timestamp": ts,
        "trace_id": trace,
        "correlation_id": trace,
        "error_uri": format!("https://login.microsoftonline.com/error?code={aadsts}"),
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(body)).into_response()
}
