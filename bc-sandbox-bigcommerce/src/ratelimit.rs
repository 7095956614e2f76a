//! BigCommerce's rate limit: a quota of requests per window, shared by every client of the store.
//!
//! Every response (the 429 included) carries BigCommerce's four headers:
//! `X-Rate-Limit-Requests-Left`, `X-Rate-Limit-Time-Reset-Ms`, `X-Rate-Limit-Requests-Quota`,
//! `X-Rate-Limit-Time-Window-Ms`. The window starts with the first request after the previous
//! one ended; once the quota is spent, requests get `429 Too Many Requests` until it resets.
//! The default is the Standard/Plus plan: 150 requests per 30,000 ms. A quota of 0 turns the
//! limit off (no headers).

use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tokio::time::Instant;

use crate::App;

/// The limiter's state.
#[derive(Debug)]
pub struct RateLimiter {
    quota: u32,
    window: Duration,
    state: Mutex<Option<(Instant, u32)>>,
}

/// The outcome of taking one unit of quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Requests left in the window after this one.
    pub left: u32,
    /// Milliseconds until the window resets.
    pub reset_ms: u64,
}

impl RateLimiter {
    /// `quota` requests per `window_ms` (0 = unlimited).
    pub fn new(quota: u32, window_ms: u64) -> Self {
        RateLimiter {
            quota,
            window: Duration::from_millis(window_ms.max(1)),
            state: Mutex::new(None),
        }
    }

    /// The quota (0 = unlimited).
    pub fn quota(&self) -> u32 {
        self.quota
    }

    /// The window in milliseconds.
    pub fn window_ms(&self) -> u64 {
        self.window.as_millis() as u64
    }

    /// Take one request's worth of quota.
    pub fn take(&self) -> Decision {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (start, used) = match *st {
            Some((start, used)) if now.duration_since(start) < self.window => (start, used),
            _ => (now, 0),
        };
        let reset_ms = self
            .window
            .saturating_sub(now.duration_since(start))
            .as_millis() as u64;
        if used >= self.quota {
            *st = Some((start, used));
            return Decision {
                allowed: false,
                left: 0,
                reset_ms,
            };
        }
        *st = Some((start, used + 1));
        Decision {
            allowed: true,
            left: self.quota - used - 1,
            reset_ms,
        }
    }

    /// Start a fresh window.
    pub fn reset(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Requests left now, without taking any.
    pub fn left(&self) -> u32 {
        let now = Instant::now();
        match *self.state.lock().unwrap_or_else(|e| e.into_inner()) {
            Some((start, used)) if now.duration_since(start) < self.window => {
                self.quota.saturating_sub(used)
            }
            _ => self.quota,
        }
    }
}

fn set_headers(resp: &mut Response, d: Decision, quota: u32, window_ms: u64) {
    let h = resp.headers_mut();
    h.insert("X-Rate-Limit-Requests-Left", HeaderValue::from(d.left));
    h.insert("X-Rate-Limit-Time-Reset-Ms", HeaderValue::from(d.reset_ms));
    h.insert("X-Rate-Limit-Requests-Quota", HeaderValue::from(quota));
    h.insert("X-Rate-Limit-Time-Window-Ms", HeaderValue::from(window_ms));
}

/// The middleware.
pub async fn middleware(State(app): State<App>, req: Request, next: Next) -> Response {
    let limiter = &app.limiter;
    if limiter.quota() == 0 || bc_sandbox::is_sandbox_path(req.uri().path()) {
        return next.run(req).await;
    }
    let d = limiter.take();
    let mut resp = if d.allowed {
        next.run(req).await
    } else {
        app.stats.record_rate_limited();
        crate::wire::v3_error(
            429,
            "Too many requests. Please retry after the rate limit window resets.",
        )
    };
    set_headers(&mut resp, d, limiter.quota(), limiter.window_ms());
    resp
}

/// The `X-Auth-Token` check: a missing or wrong token (or another store's hash) is a 401 with
/// BigCommerce's body, v2-shaped (`[{"status", "message"}]`) under `/v2/`, v3-shaped otherwise.
pub async fn auth(State(app): State<App>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if bc_sandbox::is_sandbox_path(path) {
        return next.run(req).await;
    }
    let v2 = path.contains("/v2/");
    let token = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok());
    let store_ok = path
        .strip_prefix("/stores/")
        .and_then(|r| r.split('/').next())
        == Some(app.store_hash.as_str());
    let reject = |msg: &str| {
        if v2 {
            crate::wire::v2_error(401, msg)
        } else {
            crate::wire::v3_error(401, msg)
        }
    };
    match token {
        None => reject("No credentials were supplied in the request."),
        Some(t) if !store_ok || !app.token_matches(t) => {
            reject("No valid credential was supplied.")
        }
        Some(_) => next.run(req).await,
    }
}
