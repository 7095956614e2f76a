//! [`HttpClient`]: one platform account's requests, with retries, rate budget, auth and
//! tracing.
//!
//! The retry classifier: connect errors, `408`, `429` and `5xx` are temporary. `429` means
//! the platform refused the request without processing it, so any request is retried after
//! the wait it asks for. A failure after the request may have reached the server (a `5xx`,
//! `408`, a reset, a timeout) is retried only when the request is safe, idempotent or keyed
//! ([`crate::Idempotency`]); otherwise the client stops and returns [`ErrorKind::OutcomeUnknown`] so
//! that the caller searches before writing again.
//!
//! Guards: a response body larger than [`HttpClientBuilder::max_response_bytes`] (32 MiB by
//! default) is an error naming the platform and the endpoint template, read no further than the
//! limit; a wait a platform asks for (`Retry-After`, `X-Rate-Limit-Time-Reset-Ms`, …) is honoured
//! up to [`HttpClientBuilder::max_rate_limit_wait`] (2 minutes by default) and logged at info
//! as "waiting 27 s for bigcommerce's rate limit"; a longer one ends the retries (the error
//! carries the wait) and is logged at warn.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bc_core::{Error, ErrorKind, Result};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Request, StatusCode};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::{field, Instrument};

use crate::auth::AuthProvider;
use crate::classify::{default_classifier, error_from_response, ErrorClassifier};
use crate::rate::{RateBudget, RateLimits};
use crate::request::{ApiRequest, ApiResponse};
use crate::retry::{parse_wait_headers, RetryPolicy, WaitHook};
use crate::telemetry::{self, endpoint_label, remaining_from_headers};
use crate::transport::{
    HttpTransport, MaxResponseBytes, ReqwestTransport, TransportError, TransportErrorKind,
    DEFAULT_MAX_RESPONSE_BYTES,
};

/// A client for one platform account. Cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    platform: String,
    base_url: String,
    transport: Arc<dyn HttpTransport>,
    retry: RetryPolicy,
    budget: Arc<RateBudget>,
    in_flight: Option<Arc<Semaphore>>,
    auth: Option<Arc<dyn AuthProvider>>,
    classifier: ErrorClassifier,
    wait_hook: Option<WaitHook>,
    throttle_wait: Option<Duration>,
    default_headers: HeaderMap,
    max_response_bytes: usize,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("platform", &self.inner.platform)
            .field("base_url", &self.inner.base_url)
            .field("transport", &self.inner.transport)
            .field("retry", &self.inner.retry)
            .field("budget", &self.inner.budget)
            .field("auth", &self.inner.auth)
            .finish()
    }
}

/// Builds an [`HttpClient`].
pub struct HttpClientBuilder {
    platform: String,
    base_url: String,
    transport: Option<Arc<dyn HttpTransport>>,
    retry: RetryPolicy,
    budget: Option<Arc<RateBudget>>,
    max_in_flight: Option<usize>,
    auth: Option<Arc<dyn AuthProvider>>,
    classifier: ErrorClassifier,
    wait_hook: Option<WaitHook>,
    throttle_wait: Option<Duration>,
    default_headers: HeaderMap,
    max_response_bytes: usize,
    max_rate_limit_wait: Option<Duration>,
}

impl fmt::Debug for HttpClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("platform", &self.platform)
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .finish()
    }
}

impl HttpClientBuilder {
    /// The transport (default: [`ReqwestTransport`] with its defaults).
    pub fn transport(mut self, transport: Arc<dyn HttpTransport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Shares the process-wide budget of `account` (see [`RateBudget::shared`]).
    pub fn account(mut self, account: &str, limits: RateLimits) -> Self {
        self.budget = Some(RateBudget::shared(account, limits));
        self
    }

    /// Uses this budget (default: an unlimited budget of the client's own).
    pub fn rate_budget(mut self, budget: Arc<RateBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Caps this client's requests in flight (on top of the account budget's cap).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = Some(n.max(1));
        self
    }

    /// Adds credentials to every request.
    pub fn auth(mut self, auth: Arc<dyn AuthProvider>) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Reads the platform's error bodies (default: [`default_classifier`]).
    pub fn classifier(mut self, classifier: ErrorClassifier) -> Self {
        self.classifier = classifier;
        self
    }

    /// Reads platform-specific wait headers, consulted before `Retry-After` /
    /// `X-Rate-Limit-Time-Reset-Ms`.
    pub fn wait_hook(mut self, hook: WaitHook) -> Self {
        self.wait_hook = Some(hook);
        self
    }

    /// How long the whole account pauses after a 429 that names no wait (QuickBooks Online
    /// sends none: its quota is per minute). Without it, such a 429 falls back to the backoff.
    pub fn throttle_wait(mut self, wait: Duration) -> Self {
        self.throttle_wait = Some(wait);
        self
    }

    /// The largest response body read (default [`DEFAULT_MAX_RESPONSE_BYTES`], 32 MiB): a
    /// larger one is an error (never retried; [`ErrorKind::OutcomeUnknown`] for a write that
    /// may not be repeated, [`ErrorKind::Protocol`] otherwise), and no more than the limit is
    /// ever buffered.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit.max(1);
        self
    }

    /// The longest wait a platform's rate-limit or retry header is honoured for (default 2
    /// minutes, [`RetryPolicy::max_wait_header`]; set here, it wins over the retry policy's).
    /// A longer requested wait ends the retries with an error carrying the wait, and a
    /// `Requests-Left: 0` pause is cut to it.
    pub fn max_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.max_rate_limit_wait = Some(wait);
        self
    }

    /// A non-secret header sent on every request.
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.default_headers.insert(name, value);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<HttpClient> {
        let base = url::Url::parse(&self.base_url)
            .map_err(|e| Error::config("base_url", format!("`{}`: {e}", self.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::config("base_url", "must be an http(s) URL"));
        }
        let transport = match self.transport {
            Some(t) => t,
            None => Arc::new(ReqwestTransport::new()?),
        };
        let budget = self
            .budget
            .unwrap_or_else(|| RateBudget::new(self.platform.clone(), RateLimits::unlimited()));
        let mut retry = self.retry;
        if let Some(w) = self.max_rate_limit_wait {
            retry.max_wait_header = w;
        }
        Ok(HttpClient {
            inner: Arc::new(Inner {
                platform: self.platform,
                base_url: self.base_url.trim_end_matches('/').to_string(),
                transport,
                retry,
                budget,
                in_flight: self.max_in_flight.map(|n| Arc::new(Semaphore::new(n))),
                auth: self.auth,
                classifier: self.classifier,
                wait_hook: self.wait_hook,
                throttle_wait: self.throttle_wait,
                default_headers: self.default_headers,
                max_response_bytes: self.max_response_bytes,
            }),
        })
    }
}

enum Attempt {
    Response(Box<(http::Response<bytes::Bytes>, HeaderMap)>),
    Transport(TransportError),
    Auth(Error),
}

impl HttpClient {
    /// A builder for `platform` (`"bigcommerce"`) at `base_url`
    /// (`https://api.bigcommerce.com/stores/{hash}`); request paths are appended to it.
    pub fn builder(platform: impl Into<String>, base_url: impl Into<String>) -> HttpClientBuilder {
        HttpClientBuilder {
            platform: platform.into(),
            base_url: base_url.into(),
            transport: None,
            retry: RetryPolicy::default(),
            budget: None,
            max_in_flight: None,
            auth: None,
            classifier: default_classifier(),
            wait_hook: None,
            throttle_wait: None,
            default_headers: HeaderMap::new(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_rate_limit_wait: None,
        }
    }

    /// The platform name.
    pub fn platform(&self) -> &str {
        &self.inner.platform
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The account's rate budget.
    pub fn budget(&self) -> &Arc<RateBudget> {
        &self.inner.budget
    }

    /// Sends `request`; a non-`2xx` final status is an error built by the classifier.
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        let op = request.operation();
        let resp = self.send_raw(request).await?;
        if resp.status.is_success() {
            Ok(resp)
        } else {
            Err(self.error_for(&op, &resp))
        }
    }

    /// Sends and parses the JSON body (`what` names the entity in errors: `"order 1042"`).
    pub async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        request: ApiRequest,
        what: &str,
    ) -> Result<T> {
        self.send(request)
            .await?
            .json(what)
            .map_err(|e| e.with_platform(self.inner.platform.clone()))
    }

    /// The error for a non-success response, as [`HttpClient::send`] builds it.
    pub fn error_for(&self, operation: &str, resp: &ApiResponse) -> Error {
        error_from_response(
            &self.inner.platform,
            operation,
            resp.status,
            &resp.headers,
            &resp.body,
            &self.inner.classifier,
        )
    }

    /// Sends `request` with retries and returns the final response whatever its status.
    /// Transport failures, exhausted retries on temporary statuses and unknown outcomes are
    /// errors.
    pub async fn send_raw(&self, mut request: ApiRequest) -> Result<ApiResponse> {
        request.default_accept();
        let inner = &self.inner;
        let op = request.operation();
        let endpoint = endpoint_label(request.method.as_str(), &request.template);
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut auth_retried = false;
        loop {
            attempt += 1;
            let span = tracing::info_span!(
                "http_request",
                platform = %inner.platform,
                method = %request.method,
                path = %request.template,
                attempt,
                status = field::Empty,
                duration_ms = field::Empty,
            );
            let t0 = Instant::now();
            let outcome = self.attempt(&request).instrument(span.clone()).await;
            span.record("duration_ms", t0.elapsed().as_millis() as u64);
            let idem = request.idempotency;
            self.count(&endpoint, &outcome);

            // What went wrong, whether it may be retried, and the wait the platform asked for.
            let (err, retryable, wait) = match outcome {
                Attempt::Response(boxed) => {
                    let (resp, sent) = *boxed;
                    let status = resp.status();
                    span.record("status", status.as_u16());
                    let (parts, body) = resp.into_parts();
                    let api = ApiResponse {
                        status,
                        headers: parts.headers,
                        body,
                        attempts: attempt,
                    };
                    if status == StatusCode::UNAUTHORIZED && !auth_retried {
                        if let Some(auth) = &inner.auth {
                            auth_retried = true;
                            match auth.refresh_after_unauthorized(&sent).await {
                                Ok(true) => {
                                    tracing::debug!(parent: &span, "credentials refreshed after 401");
                                    attempt -= 1;
                                    continue;
                                }
                                Ok(false) => {}
                                Err(e) => {
                                    tracing::warn!(parent: &span, error = %e, "refresh after 401 failed");
                                    return Err(e);
                                }
                            }
                        }
                    }
                    let temporary = status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::REQUEST_TIMEOUT
                        || status.is_server_error();
                    if !temporary {
                        tracing::debug!(parent: &span, "response");
                        return Ok(api);
                    }
                    // A zero wait says nothing: fall back to the backoff.
                    let wait = inner
                        .wait_hook
                        .as_ref()
                        .and_then(|h| h(&api.headers))
                        .or_else(|| parse_wait_headers(&api.headers))
                        .filter(|w| !w.is_zero());
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let wait = wait.or(inner.throttle_wait);
                        inner.budget.note_rate_limited(wait);
                        if let Some(w) = wait {
                            inner.budget.pause_for(w.min(inner.retry.max_wait_header));
                        }
                        let err = self.error_for(&op, &api);
                        let err = match wait {
                            Some(w) => err.with_retry_after(w),
                            None => err,
                        };
                        (err, true, wait)
                    } else if idem.may_repeat() {
                        (self.error_for(&op, &api), true, wait)
                    } else {
                        let e = self.error_for(&op, &api);
                        let err = outcome_unknown(&inner.platform, &op, &e.to_string());
                        let err = match (e.platform_code(), e.platform_message()) {
                            (Some(c), _) => err.with_platform_code(c.to_string()),
                            _ => err,
                        };
                        let err = match e.platform_message() {
                            Some(m) => err.with_platform_message(m.to_string()),
                            None => err,
                        };
                        tracing::warn!(parent: &span, error = %err, "outcome unknown, not retried");
                        return Err(err);
                    }
                }
                Attempt::Transport(te) if te.kind() == TransportErrorKind::TooLarge => {
                    // Repeating would read the same huge body: never retried.
                    let limit = inner.max_response_bytes;
                    let err = if idem.may_repeat() {
                        Error::new(
                            ErrorKind::Protocol,
                            format!("the response body is larger than the {limit}-byte limit"),
                        )
                        .with_temporary(false)
                    } else {
                        Error::new(
                            ErrorKind::OutcomeUnknown,
                            format!(
                                "the request may have been applied but its response body is larger than the {limit}-byte limit; search before writing again"
                            ),
                        )
                    }
                    .with_platform(inner.platform.clone())
                    .with_operation(op.clone());
                    tracing::warn!(parent: &span, error = %err, "response too large");
                    return Err(err);
                }
                Attempt::Transport(te) => {
                    let reached = te.may_have_reached_server();
                    if reached && !idem.may_repeat() {
                        let err =
                            outcome_unknown(&inner.platform, &op, &te.to_string()).with_source(te);
                        tracing::warn!(parent: &span, error = %err, "outcome unknown, not retried");
                        return Err(err);
                    }
                    let err = Error::new(ErrorKind::Unavailable, te.to_string())
                        .with_platform(inner.platform.clone())
                        .with_operation(op.clone())
                        .with_source(te);
                    (err, true, None)
                }
                Attempt::Auth(e) => {
                    let temporary = e.is_temporary();
                    (e, temporary, None)
                }
            };
            if !retryable {
                return Err(err);
            }
            let cap = inner.retry.max_wait_header;
            let delay = match wait {
                Some(w) if w > cap => {
                    tracing::warn!(
                        parent: &span,
                        error = %err,
                        platform = %inner.platform,
                        wait_s = w.as_secs(),
                        cap_s = cap.as_secs(),
                        "{} asks to wait {}, more than the {} cap: giving up for now",
                        inner.platform,
                        fmt_wait(w),
                        fmt_wait(cap),
                    );
                    return Err(err);
                }
                Some(w) => w,
                None => inner.retry.backoff(attempt),
            };
            if attempt >= inner.retry.max_attempts
                || started.elapsed() + delay > inner.retry.max_elapsed
            {
                tracing::warn!(parent: &span, error = %err, "giving up after {attempt} attempts");
                return Err(err);
            }
            ::metrics::counter!(telemetry::HTTP_RETRIES, "platform" => inner.platform.clone())
                .increment(1);
            match wait {
                Some(w) if err.kind() == ErrorKind::RateLimited => tracing::info!(
                    parent: &span,
                    platform = %inner.platform,
                    wait_ms = w.as_millis() as u64,
                    "waiting {} for {}'s rate limit",
                    fmt_wait(w),
                    inner.platform,
                ),
                Some(w) => tracing::info!(
                    parent: &span,
                    error = %err,
                    platform = %inner.platform,
                    wait_ms = w.as_millis() as u64,
                    "waiting {} as {} asked before retrying",
                    fmt_wait(w),
                    inner.platform,
                ),
                None => tracing::info!(
                    parent: &span,
                    error = %err,
                    wait_ms = delay.as_millis() as u64,
                    "temporary failure, retrying"
                ),
            }
            // A 429's wait is held by the account's budget (every caller waits); other waits
            // are this request's own backoff.
            if !(err.kind() == ErrorKind::RateLimited && wait.is_some()) {
                tokio::time::sleep(delay).await;
            }
        }
    }

    fn count(&self, endpoint: &str, outcome: &Attempt) {
        let status: String = match outcome {
            Attempt::Response(boxed) => boxed.0.status().as_u16().to_string(),
            Attempt::Transport(te) => match te.kind() {
                TransportErrorKind::Connect => "connect",
                TransportErrorKind::Timeout => "timeout",
                TransportErrorKind::Reset => "reset",
                TransportErrorKind::Refused => "refused",
                TransportErrorKind::TooLarge => "too_large",
                _ => "error",
            }
            .to_string(),
            // Never sent.
            Attempt::Auth(_) => return,
        };
        let platform = self.inner.platform.clone();
        if status == "429" {
            ::metrics::counter!(telemetry::HTTP_RATE_LIMITED, "platform" => platform.clone())
                .increment(1);
        }
        ::metrics::counter!(
            telemetry::HTTP_REQUESTS,
            "platform" => platform,
            "endpoint" => endpoint.to_string(),
            "status" => status
        )
        .increment(1);
    }

    async fn attempt(&self, request: &ApiRequest) -> Attempt {
        let inner = &self.inner;
        let _client_slot = match &inner.in_flight {
            Some(sem) => sem.clone().acquire_owned().await.ok(),
            None => None,
        };
        let _permit = inner.budget.acquire().await;
        let mut headers = inner.default_headers.clone();
        for (name, value) in request.headers.iter() {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(auth) = &inner.auth {
            if let Err(e) = auth.authorize(&mut headers).await {
                return Attempt::Auth(e);
            }
        }
        let url = request.url(&inner.base_url);
        let mut http_request = match Request::builder()
            .method(request.method.clone())
            .uri(url.as_str())
            .body(request.body.clone())
        {
            Ok(r) => r,
            Err(_) => {
                return Attempt::Auth(
                    Error::new(ErrorKind::Internal, "cannot build the request URL")
                        .with_platform(inner.platform.clone())
                        .with_operation(request.operation()),
                )
            }
        };
        *http_request.headers_mut() = headers.clone();
        http_request
            .extensions_mut()
            .insert(MaxResponseBytes(inner.max_response_bytes));
        match inner.transport.send(http_request).await {
            // The backstop for a transport that ignores `MaxResponseBytes`.
            Ok(resp) if resp.body().len() > inner.max_response_bytes => {
                Attempt::Transport(TransportError::too_large(inner.max_response_bytes))
            }
            Ok(resp) => {
                let cap = inner.retry.max_wait_header;
                let paused = inner.budget.observe_capped(resp.headers(), cap);
                // A 429's wait is logged where it is retried.
                if resp.status() != StatusCode::TOO_MANY_REQUESTS {
                    match paused {
                        Some((w, false)) => tracing::info!(
                            platform = %inner.platform,
                            wait_ms = w.as_millis() as u64,
                            "waiting {} for {}'s rate limit (no requests left in its window)",
                            fmt_wait(w),
                            inner.platform,
                        ),
                        Some((w, true)) => tracing::warn!(
                            platform = %inner.platform,
                            wait_ms = w.as_millis() as u64,
                            "waiting {} for {}'s rate limit (it asked for longer; capped)",
                            fmt_wait(w),
                            inner.platform,
                        ),
                        None => {}
                    }
                }
                if let Some(left) = remaining_from_headers(resp.headers()) {
                    ::metrics::gauge!(
                        telemetry::RATE_BUDGET_REMAINING,
                        "platform" => inner.platform.clone()
                    )
                    .set(left);
                }
                Attempt::Response(Box::new((resp, headers)))
            }
            Err(e) => Attempt::Transport(e),
        }
    }
}

/// A wait for people: `27 s`, `1.5 s`.
fn fmt_wait(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

fn outcome_unknown(platform: &str, op: &str, cause: &str) -> Error {
    Error::new(
        ErrorKind::OutcomeUnknown,
        format!("the request may have been applied ({cause}); search before writing again"),
    )
    .with_platform(platform.to_string())
    .with_operation(op.to_string())
}
