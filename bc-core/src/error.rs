//! The one error type every crate of bcsync speaks.
//!
//! An [`Error`] says *what kind* of failure happened ([`ErrorKind`]), whether retrying may help
//! ([`Error::is_temporary`]), which platform and operation it concerns, and keeps the platform's
//! own code and message (a QuickBooks `Fault` code such as `6240`, a Business Central
//! `error.code`, a BigCommerce 4xx title) so that an operator reads what the platform said.
//!
//! Errors never carry secrets: connectors build them from response bodies and request
//! descriptions that have been redacted (see `bc-http`).

use std::fmt;
use std::time::Duration;

use crate::plan::MappingIssue;

/// A boxed error usable as a `source`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is. The engine decides what to do from the kind alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The entity asked for does not exist on the platform.
    NotFound,
    /// The write conflicts with the platform's state (duplicate number or name, stale version).
    Conflict,
    /// The platform rejected the request as invalid (validation error, bad field).
    Invalid,
    /// The credentials were refused or have expired.
    Unauthenticated,
    /// The credentials are valid but lack a permission.
    Forbidden,
    /// The platform's rate limit was hit; see [`Error::retry_after`].
    RateLimited,
    /// The platform (or the network to it) is unavailable: 5xx, connection refused, timeout.
    Unavailable,
    /// A write may or may not have been applied (timeout or reset after the request was sent,
    /// 5xx after a non-idempotent POST). The caller must search before writing again.
    OutcomeUnknown,
    /// The platform cannot do this at all.
    Unsupported,
    /// The settings are wrong (unknown key, bad value, missing mapping).
    Config,
    /// The storefront data cannot be mapped to a ledger document (see [`MappingIssue`]).
    Mapping,
    /// The platform sent something we could not understand (malformed payload).
    Protocol,
    /// A bug or an unexpected state in bcsync itself.
    Internal,
}

impl ErrorKind {
    /// Whether an error of this kind is, by default, worth retrying.
    pub fn default_temporary(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Unavailable | ErrorKind::OutcomeUnknown
        )
    }

    /// A short lowercase name, as used in logs and the exception queue.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::OutcomeUnknown => "outcome_unknown",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Config => "config",
            ErrorKind::Mapping => "mapping",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of every bcsync operation.
///
/// Build one with [`Error::new`] and the `with_*` methods:
///
/// ```
/// use bc_core::{Error, ErrorKind};
/// let err = Error::new(ErrorKind::Conflict, "customer display name already used")
///     .with_platform("qbo")
///     .with_operation("create customer")
///     .with_platform_code("6240")
///     .with_platform_message("Duplicate Name Exists Error");
/// assert!(!err.is_temporary());
/// assert_eq!(err.platform_code(), Some("6240"));
/// assert!(err.to_string().contains("6240"));
/// ```
pub struct Error {
    inner: Box<Inner>,
}

/// A copy keeps everything but the source's type: the source chain is kept as its text
/// (one error reported for every item of a failed batch, or kept by a circuit breaker).
impl Clone for Error {
    fn clone(&self) -> Self {
        let i = &self.inner;
        Error {
            inner: Box::new(Inner {
                kind: i.kind,
                temporary: i.temporary,
                message: i.message.clone(),
                platform: i.platform.clone(),
                operation: i.operation.clone(),
                platform_code: i.platform_code.clone(),
                platform_message: i.platform_message.clone(),
                retry_after: i.retry_after,
                issues: i.issues.clone(),
                source: i
                    .source
                    .as_ref()
                    .map(|s| Box::new(SourceText(s.to_string())) as BoxError),
            }),
        }
    }
}

/// The text of a source error, kept by [`Error::clone`].
#[derive(Debug)]
struct SourceText(String);

impl fmt::Display for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceText {}

// Boxed so that `Result<T, Error>` stays one pointer wide on the happy path.
struct Inner {
    kind: ErrorKind,
    temporary: bool,
    message: String,
    platform: Option<String>,
    operation: Option<String>,
    platform_code: Option<String>,
    platform_message: Option<String>,
    retry_after: Option<Duration>,
    issues: Vec<MappingIssue>,
    source: Option<BoxError>,
}

impl Error {
    /// A new error of `kind`; `temporary` defaults from the kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                temporary: kind.default_temporary(),
                message: message.into(),
                platform: None,
                operation: None,
                platform_code: None,
                platform_message: None,
                retry_after: None,
                issues: Vec::new(),
                source: None,
            }),
        }
    }

    /// The platform cannot do `operation` at all.
    pub fn unsupported(platform: &str, operation: &str) -> Self {
        Error::new(
            ErrorKind::Unsupported,
            format!("{platform} does not support {operation}"),
        )
        .with_platform(platform)
        .with_operation(operation)
    }

    /// A settings error naming the key and what is wrong with its value.
    pub fn config(key: &str, problem: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Config, format!("setting `{key}`: {problem}"))
    }

    /// A settings error naming the key, its value as written (`"150"`; `******` for a
    /// secret — see `settings::describe::show_value`) and what is wrong:
    ///
    /// ```
    /// use bc_core::Error;
    /// let e = Error::config_value("storefront.requests_per_window", "\"150\"", "expected a whole number");
    /// assert_eq!(
    ///     e.to_string(),
    ///     "setting `storefront.requests_per_window` = \"150\": expected a whole number"
    /// );
    /// ```
    pub fn config_value(key: &str, shown_value: &str, problem: impl fmt::Display) -> Self {
        Error::new(
            ErrorKind::Config,
            format!("setting `{key}` = {shown_value}: {problem}"),
        )
    }

    /// A payload from the platform could not be understood.
    pub fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message)
    }

    /// The order cannot be mapped; carries every reason.
    pub fn mapping(issues: Vec<MappingIssue>) -> Self {
        let message = match issues.as_slice() {
            [] => "the order cannot be mapped".to_string(),
            [one] => one.to_string(),
            [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
        };
        let mut err = Error::new(ErrorKind::Mapping, message);
        err.inner.issues = issues;
        err
    }

    /// The platform's rate limit was hit; wait `retry_after` if known.
    pub fn rate_limited(retry_after: Option<Duration>) -> Self {
        let mut err = Error::new(ErrorKind::RateLimited, "rate limit reached");
        err.inner.retry_after = retry_after;
        err
    }

    /// Names the platform (`"bigcommerce"`, `"qbo"`, …).
    pub fn with_platform(mut self, platform: impl Into<String>) -> Self {
        self.inner.platform = Some(platform.into());
        self
    }

    /// Names what was asked (`"create invoice BC-1001"`, `"GET /v2/orders"`).
    pub fn with_operation(mut self, operation: impl Into<String>) -> Self {
        self.inner.operation = Some(operation.into());
        self
    }

    /// Keeps the platform's own error code (`"6240"`, `"BadRequest_NotFound"`).
    pub fn with_platform_code(mut self, code: impl Into<String>) -> Self {
        self.inner.platform_code = Some(code.into());
        self
    }

    /// Keeps the platform's own error message.
    pub fn with_platform_message(mut self, message: impl Into<String>) -> Self {
        self.inner.platform_message = Some(message.into());
        self
    }

    /// Overrides whether retrying may help.
    pub fn with_temporary(mut self, temporary: bool) -> Self {
        self.inner.temporary = temporary;
        self
    }

    /// Sets how long the platform asked us to wait.
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.inner.retry_after = Some(retry_after);
        self
    }

    /// Chains the underlying cause.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Prefixes the message with context (`"order 1042: "`).
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.inner.message = format!("{context}: {}", self.inner.message);
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Whether retrying the same call may succeed.
    pub fn is_temporary(&self) -> bool {
        self.inner.temporary
    }

    /// Our own description of the failure.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The platform the error came from.
    pub fn platform(&self) -> Option<&str> {
        self.inner.platform.as_deref()
    }

    /// What was asked.
    pub fn operation(&self) -> Option<&str> {
        self.inner.operation.as_deref()
    }

    /// The platform's own error code.
    pub fn platform_code(&self) -> Option<&str> {
        self.inner.platform_code.as_deref()
    }

    /// The platform's own error message.
    pub fn platform_message(&self) -> Option<&str> {
        self.inner.platform_message.as_deref()
    }

    /// How long the platform asked us to wait before retrying.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The mapping issues of a [`ErrorKind::Mapping`] error.
    pub fn issues(&self) -> &[MappingIssue] {
        &self.inner.issues
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(platform) = &self.inner.platform {
            write!(f, "{platform}: ")?;
        }
        if let Some(operation) = &self.inner.operation {
            write!(f, "{operation}: ")?;
        }
        f.write_str(&self.inner.message)?;
        match (&self.inner.platform_code, &self.inner.platform_message) {
            (Some(code), Some(msg)) => write!(f, " [{code}: {msg}]")?,
            (Some(code), None) => write!(f, " [{code}]")?,
            (None, Some(msg)) => write!(f, " [{msg}]")?,
            (None, None) => {}
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("temporary", &self.inner.temporary)
            .field("message", &self.inner.message);
        if let Some(p) = &self.inner.platform {
            d.field("platform", p);
        }
        if let Some(o) = &self.inner.operation {
            d.field("operation", o);
        }
        if let Some(c) = &self.inner.platform_code {
            d.field("platform_code", c);
        }
        if let Some(m) = &self.inner.platform_message {
            d.field("platform_message", m);
        }
        if let Some(r) = &self.inner.retry_after {
            d.field("retry_after", r);
        }
        if !self.inner.issues.is_empty() {
            d.field("issues", &self.inner.issues);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_default_temporariness() {
        assert!(Error::new(ErrorKind::Unavailable, "x").is_temporary());
        assert!(Error::rate_limited(None).is_temporary());
        assert!(!Error::new(ErrorKind::Invalid, "x").is_temporary());
        assert!(!Error::unsupported("qbo", "payouts").is_temporary());
    }

    #[test]
    fn display_names_platform_operation_and_code() {
        let e = Error::new(ErrorKind::Conflict, "stale")
            .with_platform("qbo")
            .with_operation("update invoice 12")
            .with_platform_code("5010")
            .with_platform_message("Stale Object Error");
        assert_eq!(
            e.to_string(),
            "qbo: update invoice 12: stale [5010: Stale Object Error]"
        );
    }

    #[test]
    fn source_is_chained() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let e = Error::new(ErrorKind::Unavailable, "send failed").with_source(io);
        let src = std::error::Error::source(&e).map(|s| s.to_string());
        assert_eq!(src.as_deref(), Some("reset"));
    }
}
