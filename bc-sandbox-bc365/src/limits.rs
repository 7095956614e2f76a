//! Per-user limits and request statistics, as middleware around the API.
//!
//! Operational limits of Business Central online (`shared/api/bc365/limits-and-protocol/
//! operational-limits-online.md`, "OData request limits (per user)"): 6,000 requests per
//! 5-minute sliding window and 5 processed at once; over either → `429` with `Retry-After`.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bc_sandbox::faults::InjectedFault;
use tokio::time::Instant;

use crate::errors::BcError;
use crate::sandbox::{lock, Bc365Sandbox};

#[derive(Default)]
pub(crate) struct Gate {
    pub(crate) window: HashMap<String, VecDeque<Instant>>,
    pub(crate) in_flight: HashMap<String, usize>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) per_window: u32,
    pub(crate) window: Duration,
    pub(crate) concurrent: usize,
    pub(crate) queue: usize,
    pub(crate) service: Duration,
}

/// Normalises a path to a route template for statistics: the tenant, the environment and
/// every `(key)` become placeholders.
pub fn route_template(method: &Method, path: &str) -> String {
    let mut out = String::new();
    for (i, s) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let s = match (i, s) {
            (2, _) if path.starts_with("/v2.0/") => "{tenant}".to_string(),
            (3, _) if path.starts_with("/v2.0/") => "{environment}".to_string(),
            (1, _) if path.contains("/oauth2/") => "{tenant}".to_string(),
            _ => match s.find('(') {
                Some(p) => format!("{}({{id}})", &s[..p]),
                None => s.to_string(),
            },
        };
        out.push_str(&s);
    }
    format!("{method} {out}")
}

pub(crate) async fn stats_mw(State(sb): State<Bc365Sandbox>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if bc_sandbox::is_sandbox_path(&path) {
        return next.run(req).await;
    }
    let route = route_template(req.method(), &path);
    let resp = next.run(req).await;
    let fault = resp.extensions().get::<InjectedFault>().map(|f| f.0);
    sb.shared
        .stats
        .record(&route, resp.status().as_u16(), fault);
    resp
}

/// Per-user limits (operational-limits-online.md, "OData request limits (per user)"):
/// requests per sliding window and requests in flight. Over either → `429` with
/// `Retry-After`.
pub(crate) async fn gate(State(sb): State<Bc365Sandbox>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if bc_sandbox::is_sandbox_path(&path) || path.contains("/oauth2/") {
        return next.run(req).await;
    }
    let Ok(user) = sb.check_token(req.headers()) else {
        return next.run(req).await; // the handler answers 401
    };
    let limits = *lock(&sb.shared.limits);
    let now = Instant::now();
    {
        let mut g = lock(&sb.shared.gate);
        let w = g.window.entry(user.clone()).or_default();
        while w
            .front()
            .is_some_and(|t| now.duration_since(*t) >= limits.window)
        {
            w.pop_front();
        }
        if w.len() >= limits.per_window as usize {
            let wait = w
                .front()
                .map(|t| limits.window.saturating_sub(now.duration_since(*t)))
                .unwrap_or(limits.window);
            drop(g);
            sb.shared.stats.record_rate_limited();
            return BcError::too_many_requests(
                wait.as_secs() + 1,
                "Rate limit is exceeded. Try again later.",
            )
            .into_response();
        }
        let in_flight = g.in_flight.entry(user.clone()).or_default();
        if *in_flight >= limits.concurrent + limits.queue {
            drop(g);
            sb.shared.stats.record_rate_limited();
            return BcError::too_many_requests(1, "Too many concurrent requests. Try again later.")
                .into_response();
        }
        *in_flight += 1;
        if let Some(w) = g.window.get_mut(&user) {
            w.push_back(now);
        }
    }
    let _slot = sb.shared.slots.acquire().await;
    if !limits.service.is_zero() {
        tokio::time::sleep(limits.service).await;
    }
    let resp = next.run(req).await;
    if let Some(n) = lock(&sb.shared.gate).in_flight.get_mut(&user) {
        *n = n.saturating_sub(1);
    }
    resp
}
