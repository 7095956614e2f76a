//! QBO's error bodies: the `Fault` envelope (`{"Fault":{"Error":[…],"type":…},"time":…}`),
//! and the lower-case envelope the gateway sends with a 401.
//!
//! Messages and details follow what QBO sends (Intuit's error-code list and recorded
//! responses): 610 Object Not Found, 2020 required parameter missing, 2500 invalid reference,
//! 4000 query parse error, 5010 stale object, 6070 amount calculation, 6140 duplicate document
//! number, 6240 duplicate name, 3001 throttle (HTTP 429, type `SERVICE`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// One QBO error, ready to become a `Fault` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QboError {
    /// HTTP status the error is answered with (400 for validation faults).
    pub status: StatusCode,
    /// `Fault.type`: `ValidationFault`, `SystemFault`, `SERVICE`, …
    pub fault_type: &'static str,
    /// `Error.code` (a string of digits).
    pub code: String,
    /// `Error.Message`.
    pub message: String,
    /// `Error.Detail`.
    pub detail: String,
    /// `Error.element` (the field at fault, often empty).
    pub element: String,
}

impl QboError {
    fn validation(code: &str, message: &str, detail: String, element: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            fault_type: "ValidationFault",
            code: code.to_string(),
            message: message.to_string(),
            detail,
            element: element.to_string(),
        }
    }

    /// 2020: a required field is missing.
    pub fn required(param: &str) -> Self {
        Self::validation(
            "2020",
            "Required param missing, need to supply the required value for the API",
            format!("Required parameter {param} is missing in the request"),
            param,
        )
    }

    /// 2050: a field has a value QBO cannot accept (wrong type, unknown enumeration value).
    pub fn invalid_value(field: &str, why: &str) -> Self {
        Self::validation(
            "2050",
            "Invalid value",
            format!("Invalid value supplied for {field}: {why}"),
            field,
        )
    }

    /// 2010: a property QBO does not support in this request.
    pub fn unsupported_property(property: &str) -> Self {
        Self::validation(
            "2010",
            "Request has invalid or unsupported property",
            format!("Property Name:{property} specified is unsupported or invalid"),
            property,
        )
    }

    /// 2500: a reference (`CustomerRef`, `ItemRef`, …) points at nothing.
    pub fn invalid_reference(what: &str, id: &str) -> Self {
        Self::validation(
            "2500",
            "Invalid Reference Id",
            format!("Invalid Reference Id : {what} assigned to this transaction has been deleted or does not exist (Id={id})."),
            "",
        )
    }

    /// 610: the object asked for does not exist (or is inactive).
    pub fn not_found() -> Self {
        Self::validation(
            "610",
            "Object Not Found",
            "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.".to_string(),
            "",
        )
    }

    /// 5010: the `SyncToken` sent is not the current one.
    pub fn stale() -> Self {
        Self::validation(
            "5010",
            "Stale Object Error",
            "Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.".to_string(),
            "",
        )
    }

    /// 6070: a line's `Amount` is not `Qty × UnitPrice`.
    pub fn amount_calculation(supplied: &str) -> Self {
        Self::validation(
            "6070",
            "Amount calculation incorrect in the request.",
            format!("Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}"),
            "Line.Amount",
        )
    }

    /// 6140: the `DocNumber` is already used by another transaction of the same type.
    pub fn duplicate_doc_number(doc_number: &str, txn_type: &str, txn_id: &str) -> Self {
        Self::validation(
            "6140",
            "Duplicate Document Number Error",
            format!(
                "Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} with TxnId={txn_id}"
            ),
            "",
        )
    }

    /// 6240: the name is already used (customers, vendors and employees share one name space).
    pub fn duplicate_name(who: &str) -> Self {
        Self::validation(
            "6240",
            "Duplicate Name Exists Error",
            format!("The name supplied already exists. : Another {who} is already using this name. Please use a different name."),
            "",
        )
    }

    /// 6000: a business rule refused the request (unbalanced journal, overpaid invoice, …).
    pub fn business(detail: &str) -> Self {
        Self::validation(
            "6000",
            "A business validation error has occurred while processing your request",
            format!("Business Validation Error: {detail}"),
            "",
        )
    }

    /// 4000: the query does not parse.
    pub fn query_parse(detail: &str) -> Self {
        Self::validation(
            "4000",
            "Error parsing query",
            format!("QueryParserError: {detail}"),
            "",
        )
    }

    /// 4001: the query parses but asks for something that cannot be queried.
    pub fn query_invalid(detail: &str) -> Self {
        Self::validation(
            "4001",
            "Invalid query",
            format!("QueryValidationError: {detail}"),
            "",
        )
    }

    /// 500 (code): the operation is not supported for the entity.
    pub fn unsupported_operation(op: &str, entity: &str) -> Self {
        Self::validation(
            "500",
            "Unsupported Operation",
            format!("Operation {op} is not supported for {entity}."),
            "",
        )
    }

    /// 2030: the id in the path is malformed.
    pub fn invalid_id(id: &str) -> Self {
        Self::validation("2030", "Invalid ID", format!("Id {id} is not valid"), "Id")
    }

    /// 3001 with HTTP 429: the realm spent its request quota or its concurrency allowance.
    pub fn throttled() -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            fault_type: "SERVICE",
            code: "3001".to_string(),
            message: "message=ThrottleExceeded; errorCode=003001; statusCode=429".to_string(),
            detail: "The request limit was reached.  Try again later".to_string(),
            element: String::new(),
        }
    }

    /// A batch of more than 30 items.
    pub fn batch_too_large(max: usize) -> Self {
        Self::validation(
            "1040",
            "An application error has occurred while processing your request",
            format!("System Failure Error: Number of items in the batch request exceeds the maximum allowed ({max})"),
            "",
        )
    }

    /// The `Fault` object alone (as used inside batch items and CDC).
    pub fn fault_json(&self) -> Value {
        json!({
            "Error": [{
                "Message": self.message,
                "Detail": self.detail,
                "code": self.code,
                "element": self.element,
            }],
            "type": self.fault_type,
        })
    }

    /// The whole response body: `{"Fault": …, "time": …}`.
    pub fn body(&self, time: &str) -> Value {
        json!({ "Fault": self.fault_json(), "time": time })
    }

    /// As an axum response with the given response `time`.
    pub fn into_response_at(self, time: &str) -> Response {
        let body = self.body(time);
        (self.status, axum::Json(body)).into_response()
    }
}

/// The 401 the gateway sends for a missing, wrong or expired access token. QBO sends this one
/// in lower-case keys (`fault.error[].message`), with `type` `AUTHENTICATION` and a
/// `WWW-Authenticate` header.
pub fn authentication_failed(detail: &str, epoch_millis: i64) -> Response {
    let body = json!({
        "warnings": null,
        "intuitObject": null,
        "fault": {
            "error": [{
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": detail,
                "code": "3200",
                "element": null,
            }],
            "type": "AUTHENTICATION",
        },
        "report": null,
        "queryResponse": null,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": null,
        "requestId": null,
        "time": epoch_millis,
        "status": null,
        "cdcresponse": [],
    });
    (
        StatusCode::UNAUTHORIZED,
        [(
            http::header::WWW_AUTHENTICATE,
            "Bearer realm=\"Intuit\", error=\"invalid_token\"",
        )],
        axum::Json(body),
    )
        .into_response()
}

/// The 403 for a valid token used on another company (realm).
pub fn authorization_failed(epoch_millis: i64) -> Response {
    let body = json!({
        "warnings": null,
        "intuitObject": null,
        "fault": {
            "error": [{
                "message": "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                "detail": "SignatureBaseString: the token is not authorized for this company",
                "code": "3100",
                "element": null,
            }],
            "type": "AUTHORIZATION",
        },
        "time": epoch_millis,
    });
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_shape_matches_qbo() {
        let body = QboError::stale().body("t");
        assert_eq!(body["Fault"]["type"], "ValidationFault");
        assert_eq!(body["Fault"]["Error"][0]["code"], "5010");
        assert_eq!(body["Fault"]["Error"][0]["Message"], "Stale Object Error");
        assert_eq!(body["time"], "t");
        let t = QboError::throttled();
        assert_eq!(t.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(t.fault_json()["type"], "SERVICE");
    }
}
