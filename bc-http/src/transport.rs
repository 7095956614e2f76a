//! Transports: how a request reaches a platform.
//!
//! [`HttpTransport`] is deliberately tiny (one request in, one response out) so that tests and
//! benches can swap the network for an in-process axum router (`RouterTransport`, feature
//! `router`) and so that wrappers (fault injection, recording) are transports themselves.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{Request, Response};
#[cfg(feature = "router")]
use http_body_util::BodyExt;

/// What went wrong below HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made (refused, DNS, TLS handshake): the request never left.
    Connect,
    /// No response in time.
    Timeout,
    /// The connection broke while sending the request or reading the response.
    Reset,
    /// The request was refused before sending (bad URL, plain `http` to a remote host).
    Refused,
    /// The response body is larger than the request's [`MaxResponseBytes`]: reading stopped
    /// there (the request reached the server).
    TooLarge,
    /// Anything else.
    Other,
}

/// The largest response body read when a request names no [`MaxResponseBytes`]: 32 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// A request extension: the largest response body a transport reads. Past it the transport
/// stops reading (it never buffers the rest) and fails with [`TransportErrorKind::TooLarge`].
/// [`crate::HttpClient`] sets it on every request (see
/// [`crate::HttpClientBuilder::max_response_bytes`]); transports that read bodies should honour
/// it (the client checks the length again after the transport as a backstop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxResponseBytes(pub usize);

impl MaxResponseBytes {
    /// The limit a request carries, or [`DEFAULT_MAX_RESPONSE_BYTES`].
    pub fn of<B>(request: &Request<B>) -> usize {
        request
            .extensions()
            .get::<MaxResponseBytes>()
            .map_or(DEFAULT_MAX_RESPONSE_BYTES, |m| m.0)
    }
}

/// A failure below HTTP. [`TransportError::may_have_reached_server`] tells the retry layer
/// whether a non-idempotent request might have been applied.
#[derive(Clone)]
pub struct TransportError {
    kind: TransportErrorKind,
    may_have_reached_server: bool,
    message: String,
}

impl TransportError {
    /// A new transport error. `message` must not contain secrets (never put a URL with a
    /// query string or a header value in it).
    pub fn new(
        kind: TransportErrorKind,
        may_have_reached_server: bool,
        message: impl Into<String>,
    ) -> Self {
        TransportError {
            kind,
            may_have_reached_server,
            message: message.into(),
        }
    }

    /// A connection that could not be made: the request surely did not reach the server.
    pub fn connect(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Connect, false, message)
    }

    /// A connection reset after the request was (maybe) sent.
    pub fn reset(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Reset, true, message)
    }

    /// A timeout after the request was (maybe) sent.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Timeout, true, message)
    }

    /// A response body over `limit` bytes (the request reached the server).
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            TransportErrorKind::TooLarge,
            true,
            format!("the response body is larger than the {limit}-byte limit"),
        )
    }

    /// What went wrong.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// Whether the server may have received (and applied) the request.
    pub fn may_have_reached_server(&self) -> bool {
        self.may_have_reached_server
    }

    /// The description.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("may_have_reached_server", &self.may_have_reached_server)
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            TransportErrorKind::Connect => "connect error",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Reset => "connection reset",
            TransportErrorKind::Refused => "request refused",
            TransportErrorKind::TooLarge => "response too large",
            TransportErrorKind::Other => "transport error",
        };
        write!(f, "{kind}: {}", self.message)
    }
}

impl std::error::Error for TransportError {}

/// Sends one HTTP request and returns the whole response. Object safe
/// (`Arc<dyn HttpTransport>`); implementations do no retries (the client does).
#[async_trait]
pub trait HttpTransport: Send + Sync + fmt::Debug {
    /// Sends `request` (absolute URI) and collects the response body.
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError>;
}

#[async_trait]
impl<T: HttpTransport + ?Sized> HttpTransport for Arc<T> {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        (**self).send(request).await
    }
}

/// Whether `host` (from a URL) is a loopback address or `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// The network transport: reqwest with rustls. Plain `http` is refused unless the host is
/// loopback (tests against a local sandbox).
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    connect_timeout: Duration,
    timeout: Duration,
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Builds a [`ReqwestTransport`].
#[derive(Clone, Debug)]
pub struct ReqwestTransportBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    pool_idle_timeout: Duration,
    user_agent: String,
}

impl Default for ReqwestTransportBuilder {
    fn default() -> Self {
        ReqwestTransportBuilder {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            pool_idle_timeout: Duration::from_secs(90),
            user_agent: concat!("bcsync/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

impl ReqwestTransportBuilder {
    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Time allowed for a whole request and response (default 60 s).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s).
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.pool_idle_timeout = d;
        self
    }

    /// The `User-Agent` sent.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Builds the transport.
    pub fn build(self) -> Result<ReqwestTransport, bc_core::Error> {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .pool_idle_timeout(self.pool_idle_timeout)
            .user_agent(self.user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                bc_core::Error::new(bc_core::ErrorKind::Config, "cannot build the HTTP client")
                    .with_source(e.without_url())
            })?;
        Ok(ReqwestTransport {
            client,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
        })
    }
}

impl ReqwestTransport {
    /// A builder with the defaults.
    pub fn builder() -> ReqwestTransportBuilder {
        ReqwestTransportBuilder::default()
    }

    /// A transport with the defaults.
    pub fn new() -> Result<Self, bc_core::Error> {
        Self::builder().build()
    }

    fn map_error(e: reqwest::Error) -> TransportError {
        // Never keep the URL: it may carry a query string with a key.
        let e = e.without_url();
        let text = e.to_string();
        if e.is_connect() {
            TransportError::connect(text)
        } else if e.is_timeout() {
            TransportError::timeout(text)
        } else if e.is_builder() {
            TransportError::new(TransportErrorKind::Refused, false, text)
        } else {
            TransportError::reset(text)
        }
    }
}

#[async_trait]
impl HttpTransport for ReqwestTransport {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        let uri = request.uri();
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if uri.host().is_some_and(is_loopback_host) => {}
            _ => {
                return Err(TransportError::new(
                    TransportErrorKind::Refused,
                    false,
                    "only https is allowed (plain http only to a loopback host)",
                ))
            }
        }
        let limit = MaxResponseBytes::of(&request);
        let (parts, body) = request.into_parts();
        let url = reqwest::Url::parse(&parts.uri.to_string()).map_err(|_| {
            TransportError::new(TransportErrorKind::Refused, false, "invalid request URL")
        })?;
        let mut rb = self.client.request(parts.method, url).body(body);
        for (name, value) in parts.headers.iter() {
            rb = rb.header(name, value);
        }
        let mut resp = rb.send().await.map_err(Self::map_error)?;
        let status = resp.status();
        let version = resp.version();
        let headers = resp.headers().clone();
        // Read incrementally and stop at the limit: a huge (or endless) body is an error, not
        // an allocation. A declared length over the limit fails before reading anything.
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(TransportError::too_large(limit));
        }
        let mut buf = bytes::BytesMut::new();
        loop {
            let chunk = resp.chunk().await.map_err(|e| {
                let mut err = Self::map_error(e);
                // The status line arrived: the request surely reached the server.
                err.may_have_reached_server = true;
                err
            })?;
            let Some(chunk) = chunk else { break };
            if buf.len() + chunk.len() > limit {
                return Err(TransportError::too_large(limit));
            }
            buf.extend_from_slice(&chunk);
        }
        let body = buf.freeze();
        let mut out = Response::new(body);
        *out.status_mut() = status;
        *out.version_mut() = version;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

/// An in-process transport calling an axum [`axum::Router`] through tower's `oneshot`: no
/// sockets, deterministic, works under a paused tokio clock. A response body that fails while
/// being collected is reported as a reset after the request reached the server.
///
/// Behind the `router` feature (off by default), so that an embedding program compiles no axum.
#[cfg(feature = "router")]
#[derive(Clone)]
pub struct RouterTransport {
    router: axum::Router,
}

#[cfg(feature = "router")]
impl fmt::Debug for RouterTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RouterTransport")
    }
}

#[cfg(feature = "router")]
impl RouterTransport {
    /// Wraps a router (its state already applied).
    pub fn new(router: axum::Router) -> Self {
        RouterTransport { router }
    }
}

#[cfg(feature = "router")]
#[async_trait]
impl HttpTransport for RouterTransport {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        use tower::ServiceExt;
        let limit = MaxResponseBytes::of(&request);
        let request = request.map(axum::body::Body::from);
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| match e {})?;
        let (parts, body) = response.into_parts();
        let collected = http_body_util::Limited::new(body, limit)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    TransportError::too_large(limit)
                } else {
                    TransportError::reset(format!("response body failed: {e}"))
                }
            })?;
        Ok(Response::from_parts(parts, collected.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in ["localhost", "127.0.0.1", "127.8.9.1", "[::1]", "::1"] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "example.com",
            "10.0.0.1",
            "api.bigcommerce.com",
            "localhost.evil.com",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[tokio::test]
    async fn reqwest_refuses_plain_http_to_remote_hosts() {
        let t = ReqwestTransport::new().unwrap();
        let req = Request::builder()
            .uri("http://api.bigcommerce.com/stores/x/v2/orders")
            .body(Bytes::new())
            .unwrap();
        let err = t.send(req).await.unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Refused);
        assert!(!err.may_have_reached_server());
    }

    #[tokio::test]
    async fn reqwest_connect_error_did_not_reach_server() {
        // Bind then drop a listener to get a port nobody listens on.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let t = ReqwestTransport::new().unwrap();
        let req = Request::builder()
            .uri(format!("http://127.0.0.1:{port}/x"))
            .body(Bytes::new())
            .unwrap();
        let err = t.send(req).await.unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
        assert!(!err.may_have_reached_server());
    }
}
