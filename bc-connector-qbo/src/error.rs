//! QBO `Fault` bodies → [`bc_core::Error`], keeping Intuit's code and message.
//!
//! | code | meaning | kind |
//! |---|---|---|
//! | 6140, 6210 | duplicate document number | `Conflict` |
//! | 6240 | duplicate name (customers, vendors, employees share one name space) | `Conflict` |
//! | 5010 | stale object (`SyncToken` behind) | `Conflict` (re-read and retry once) |
//! | 610 | object not found / made inactive | `NotFound` |
//! | 2020 | required parameter missing | `Invalid` |
//! | 2050 | string too long or too short | `Invalid` |
//! | 6000–6999 other | business validation (6070 amount ≠ qty × price, 6190 subscription) | `Invalid` (6190: `Forbidden`) |
//! | 3200, 100 | authentication failed | `Unauthenticated` |
//! | 3100, 120 | authorization failed | `Forbidden` |
//! | 3001 / 003001 | throttled (`ThrottleExceeded`, HTTP 429) | `RateLimited`, temporary |
//! | 10000, 500x with HTTP 5xx | system fault | `Unavailable`, temporary |

use bc_core::{Error, ErrorKind};

use crate::wire::{Envelope, Fault, FaultError, GatewayFault};

/// The platform name on every error of this crate.
pub const PLATFORM: &str = "qbo";

/// Duplicate document number.
pub const DUPLICATE_DOC_NUMBER: &str = "6140";
/// Duplicate name (customers, vendors, employees).
pub const DUPLICATE_NAME: &str = "6240";
/// Stale object: the `SyncToken` sent is behind.
pub const STALE_OBJECT: &str = "5010";
/// Object not found.
pub const OBJECT_NOT_FOUND: &str = "610";

/// Normalises a code: `"003001"` → `"3001"`, and digs the code out of a gateway message such as
/// `"message=ThrottleExceeded; errorCode=003001; statusCode=429"`.
pub fn normalize_code(code: &str, message: &str) -> String {
    let raw = if code.trim().is_empty() {
        message
            .split(';')
            .find_map(|part| part.trim().strip_prefix("errorCode="))
            .unwrap_or("")
    } else {
        code
    };
    let trimmed = raw.trim().trim_start_matches('0');
    if trimmed.is_empty() && !raw.trim().is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The kind and temporariness of a QBO error code, given the HTTP status (0 inside a batch).
pub fn classify(code: &str, status: u16, message: &str) -> (ErrorKind, bool) {
    let throttled = message.contains("ThrottleExceeded");
    let kind = match code {
        "6140" | "6210" | "6240" | "5010" => ErrorKind::Conflict,
        "610" => ErrorKind::NotFound,
        "3001" => ErrorKind::RateLimited,
        _ if throttled => ErrorKind::RateLimited,
        "3200" | "100" => ErrorKind::Unauthenticated,
        "3100" | "120" | "6190" => ErrorKind::Forbidden,
        "10000" => ErrorKind::Unavailable,
        "2020" | "2050" | "2030" | "2500" | "4000" | "4001" | "1040" => ErrorKind::Invalid,
        c if c.len() == 4 && c.starts_with('6') => ErrorKind::Invalid,
        _ => match status {
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            s if s >= 500 => ErrorKind::Unavailable,
            _ => ErrorKind::Invalid,
        },
    };
    (kind, kind.default_temporary())
}

/// One error of a fault as a [`bc_core::Error`].
pub fn error_from_fault_error(e: &FaultError, status: u16, operation: &str) -> Error {
    let code = normalize_code(&e.code, &e.message);
    let (kind, temporary) = classify(&code, status, &e.message);
    let detail = e.detail.clone().unwrap_or_default();
    let platform_message = if detail.is_empty() {
        e.message.clone()
    } else {
        format!("{}: {detail}", e.message)
    };
    let ours = match kind {
        ErrorKind::Conflict if code == DUPLICATE_NAME => "the name is already used",
        ErrorKind::Conflict if code == STALE_OBJECT => "the entity changed since it was read",
        ErrorKind::Conflict => "the document number is already used",
        ErrorKind::NotFound => "a referenced entity does not exist or is inactive",
        ErrorKind::RateLimited => "QuickBooks throttled the request",
        ErrorKind::Unauthenticated => "the access token was refused",
        ErrorKind::Forbidden => "the connection is not allowed to do this",
        ErrorKind::Unavailable => "QuickBooks failed to process the request",
        _ => "QuickBooks refused the request",
    };
    let mut err = Error::new(kind, ours)
        .with_temporary(temporary)
        .with_platform(PLATFORM)
        .with_operation(operation)
        .with_platform_code(code)
        .with_platform_message(platform_message);
    if kind == ErrorKind::RateLimited {
        err = err.with_retry_after(std::time::Duration::from_secs(60));
    }
    err
}

/// A `Fault` as an error: the first error decides the kind; the others are appended to the
/// platform message so nothing Intuit said is lost.
pub fn error_from_fault(fault: &Fault, status: u16, operation: &str) -> Error {
    match fault.errors.as_slice() {
        [] => Error::new(
            if status >= 500 {
                ErrorKind::Unavailable
            } else {
                ErrorKind::Invalid
            },
            format!(
                "QuickBooks answered a {} fault without errors",
                fault.fault_type.as_deref().unwrap_or("(untyped)")
            ),
        )
        .with_platform(PLATFORM)
        .with_operation(operation),
        [one] => error_from_fault_error(one, status, operation),
        [first, rest @ ..] => {
            let err = error_from_fault_error(first, status, operation);
            let mut msg = err.platform_message().unwrap_or_default().to_string();
            for e in rest {
                msg.push_str(&format!(
                    "; [{}] {}",
                    e.code,
                    e.detail.as_deref().unwrap_or(&e.message)
                ));
            }
            err.with_platform_message(msg)
        }
    }
}

/// The gateway's lowercase `fault` (401 / 403 / throttling) as an error.
pub fn error_from_gateway_fault(fault: &GatewayFault, status: u16, operation: &str) -> Error {
    let upper = Fault {
        errors: fault
            .errors
            .iter()
            .map(|e| FaultError {
                message: e.message.clone(),
                detail: e.detail.clone(),
                code: e.code.clone(),
                element: None,
            })
            .collect(),
        fault_type: fault.fault_type.clone(),
    };
    error_from_fault(&upper, status, operation)
}

/// The error carried by a response body, if any.
pub fn error_from_envelope(env: &Envelope, status: u16, operation: &str) -> Option<Error> {
    if let Some(f) = &env.fault {
        return Some(error_from_fault(f, status, operation));
    }
    env.gateway_fault
        .as_ref()
        .map(|f| error_from_gateway_fault(f, status, operation))
}

/// The error of a non-2xx response whose body may or may not be a fault. The body text is
/// never copied into the error unless it parsed as a fault (it could echo a request).
pub fn error_from_response(status: u16, body: &[u8], operation: &str) -> Error {
    if let Ok(env) = serde_json::from_slice::<Envelope>(body) {
        if let Some(err) = error_from_envelope(&env, status, operation) {
            return err;
        }
    }
    let kind = match status {
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::NotFound,
        429 => ErrorKind::RateLimited,
        s if s >= 500 => ErrorKind::Unavailable,
        _ => ErrorKind::Invalid,
    };
    Error::new(
        kind,
        format!("HTTP {status} without a QuickBooks fault body"),
    )
    .with_platform(PLATFORM)
    .with_operation(operation)
}

/// Whether `err` is QBO's "duplicate name" (6240).
pub fn is_duplicate_name(err: &Error) -> bool {
    err.platform_code() == Some(DUPLICATE_NAME)
}

/// Whether `err` is QBO's "stale object" (5010).
pub fn is_stale(err: &Error) -> bool {
    err.platform_code() == Some(STALE_OBJECT)
}

/// Whether `err` is QBO's "duplicate document number" (6140).
pub fn is_duplicate_doc_number(err: &Error) -> bool {
    matches!(err.platform_code(), Some("6140") | Some("6210"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalised() {
        assert_eq!(normalize_code("003001", ""), "3001");
        assert_eq!(
            normalize_code(
                "",
                "message=ThrottleExceeded; errorCode=003001; statusCode=429"
            ),
            "3001"
        );
        assert_eq!(normalize_code("6240", "x"), "6240");
    }

    #[test]
    fn kinds() {
        assert_eq!(classify("6240", 400, "").0, ErrorKind::Conflict);
        assert_eq!(classify("6140", 400, "").0, ErrorKind::Conflict);
        assert_eq!(classify("5010", 400, "").0, ErrorKind::Conflict);
        assert_eq!(classify("610", 400, "").0, ErrorKind::NotFound);
        assert_eq!(classify("2020", 400, "").0, ErrorKind::Invalid);
        assert_eq!(classify("2050", 400, "").0, ErrorKind::Invalid);
        assert_eq!(classify("6070", 400, "").0, ErrorKind::Invalid);
        assert_eq!(classify("6000", 400, "").0, ErrorKind::Invalid);
        assert_eq!(classify("6190", 400, "").0, ErrorKind::Forbidden);
        assert_eq!(classify("3200", 401, "").0, ErrorKind::Unauthenticated);
        assert_eq!(classify("3100", 403, "").0, ErrorKind::Forbidden);
        let (k, t) = classify("3001", 429, "");
        assert_eq!(k, ErrorKind::RateLimited);
        assert!(t);
        let (k, t) = classify("10000", 500, "");
        assert_eq!(k, ErrorKind::Unavailable);
        assert!(t);
        assert_eq!(classify("999", 503, "").0, ErrorKind::Unavailable);
    }
}
