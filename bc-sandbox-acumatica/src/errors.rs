//! Acumatica's error answers.
//!
//! - Most failures carry the endpoint's `HttpError` body (`message`, `exceptionMessage`,
//!   `exceptionType`, `stackTrace`; OpenAPI components/schemas/HttpError): 400 bad request,
//!   401 not signed in, 404 no record, 412 insert/update precondition, 429 license limits,
//!   500 server errors (the "API Login Limit" refusal at sign-in among them).
//! - 422 "The data specified in the request is invalid" answers the **entity itself**, with an
//!   `"error"` inside each field object that is wrong and a summary `"error"` on the entity
//!   (OpenAPI: `PutEntity` 422 and `InvokeAction` 422 return the entity schema).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// A failure the sandbox answers with.
#[derive(Clone, Debug)]
pub enum AcuError {
    /// An `HttpError` body with this status.
    Http {
        /// Status.
        status: StatusCode,
        /// `message`.
        message: String,
        /// `exceptionMessage`, when the platform gives one.
        exception: Option<String>,
        /// `exceptionType`.
        exception_type: Option<String>,
    },
    /// 422 with the entity and its field errors.
    Invalid(Value),
}

impl AcuError {
    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        AcuError::Http {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            exception: None,
            exception_type: None,
        }
    }

    /// 401: no session, an ended session or an expired token.
    pub fn not_logged_in() -> Self {
        AcuError::Http {
            status: StatusCode::UNAUTHORIZED,
            message: "You are not logged in.".into(),
            exception: None,
            exception_type: None,
        }
    }

    /// 404: no record with these keys.
    pub fn not_found() -> Self {
        AcuError::Http {
            status: StatusCode::NOT_FOUND,
            message: "No entity satisfies the condition.".into(),
            exception: None,
            exception_type: None,
        }
    }

    /// 412: `If-None-Match: *` on a record that exists, or `If-Match: *` on one that does not.
    pub fn precondition(message: impl Into<String>) -> Self {
        AcuError::Http {
            status: StatusCode::PRECONDITION_FAILED,
            message: message.into(),
            exception: None,
            exception_type: None,
        }
    }

    /// 429: over the license's requests per minute or concurrent requests.
    pub fn too_many(message: impl Into<String>) -> Self {
        AcuError::Http {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: message.into(),
            exception: None,
            exception_type: None,
        }
    }

    /// 500 with a `PXException`, as Acumatica reports business exceptions outside an entity
    /// (sign-in refusals: "API Login Limit", "Invalid credentials. Please try again.").
    pub fn px(exception: impl Into<String>) -> Self {
        AcuError::Http {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "An error has occurred.".into(),
            exception: Some(exception.into()),
            exception_type: Some("PX.Data.PXException".into()),
        }
    }

    /// 422 for `entity` with `error` on `field` and the summary Acumatica puts on the entity.
    pub fn field(mut entity: Value, field: &str, error: &str) -> Self {
        crate::values::set_error(&mut entity, field, error);
        AcuError::invalid(entity)
    }

    /// 422 for an entity whose fields already carry their errors.
    pub fn invalid(mut entity: Value) -> Self {
        if let Value::Object(m) = &mut entity {
            m.entry("error").or_insert_with(|| {
                json!("Inserting or updating the record raised at least one error. Please review the errors.")
            });
        }
        AcuError::Invalid(entity)
    }

    /// The status of this answer.
    pub fn status(&self) -> StatusCode {
        match self {
            AcuError::Http { status, .. } => *status,
            AcuError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl IntoResponse for AcuError {
    fn into_response(self) -> Response {
        match self {
            AcuError::Http {
                status,
                message,
                exception,
                exception_type,
            } => {
                let mut body = json!({ "message": message });
                if let Some(e) = exception {
                    body["exceptionMessage"] = json!(e);
                    body["exceptionType"] = json!(exception_type.unwrap_or_default());
                    body["stackTrace"] = json!("");
                }
                (status, Json(body)).into_response()
            }
            AcuError::Invalid(entity) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(entity)).into_response()
            }
        }
    }
}

/// What the fault plan's injected statuses look like (an `HttpError`, as IIS/Acumatica send).
pub fn injected(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match status {
        429 => AcuError::too_many(
            "The number of requests has exceeded the limit imposed by the license.",
        )
        .into_response(),
        _ => (
            code,
            Json(json!({ "message": "An error has occurred.", "exceptionMessage": "Service temporarily unavailable (sandbox fault)" })),
        )
            .into_response(),
    };
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}
