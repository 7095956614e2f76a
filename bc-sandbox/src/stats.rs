//! Request statistics: counts per route template, per status, rate-limit rejections, faults.
//!
//! The [`layer`] middleware records every request except `/__sandbox/*`, keyed by
//! `"METHOD /matched/path/{template}"` (axum's [`axum::extract::MatchedPath`]; requests that
//! matched no route are keyed `"METHOD <unmatched>"`). Put it outermost so injected faults
//! (marked by [`crate::faults::InjectedFault`]) are counted too. A platform's own rate limiter
//! calls [`RequestStats::record_rate_limited`] when it answers 429.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::response::Response;
use futures::future::BoxFuture;
use http::Request;
use serde::{Deserialize, Serialize};

use crate::faults::{Fault, InjectedFault};

/// A snapshot of the counts, as served by `GET /__sandbox/requests`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// All requests recorded.
    pub total: u64,
    /// Requests per `"METHOD /route/{template}"`.
    pub by_route: BTreeMap<String, u64>,
    /// Requests per response status (as a string key, e.g. `"200"`).
    pub by_status: BTreeMap<String, u64>,
    /// Per route, per status.
    pub by_route_status: BTreeMap<String, BTreeMap<String, u64>>,
    /// 429s sent by the platform's own rate limiter (not injected faults).
    pub rate_limited: u64,
    /// Injected faults seen in responses, per [`Fault::name`].
    pub faults: BTreeMap<String, u64>,
}

/// Shared, cheaply cloned request counters.
#[derive(Clone, Default, Debug)]
pub struct RequestStats {
    inner: Arc<Mutex<StatsSnapshot>>,
}

impl RequestStats {
    fn lock(&self) -> MutexGuard<'_, StatsSnapshot> {
        // Counters stay usable after a panic elsewhere; a test double prefers that to poison.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the counts now.
    pub fn snapshot(&self) -> StatsSnapshot {
        self.lock().clone()
    }

    /// Count one 429 sent by the platform's own rate limiter.
    pub fn record_rate_limited(&self) {
        self.lock().rate_limited += 1;
    }

    /// Count one request on `route` answered with `status`, with an injected `fault` if any.
    pub fn record(&self, route: &str, status: u16, fault: Option<Fault>) {
        let mut s = self.lock();
        s.total += 1;
        *s.by_route.entry(route.to_string()).or_default() += 1;
        *s.by_status.entry(status.to_string()).or_default() += 1;
        *s.by_route_status
            .entry(route.to_string())
            .or_default()
            .entry(status.to_string())
            .or_default() += 1;
        if let Some(f) = fault.filter(|f| *f != Fault::None) {
            *s.faults.entry(f.name()).or_default() += 1;
        }
    }

    /// Requests counted for one route key, e.g. `"GET /stores/{store_hash}/v2/orders"`.
    pub fn route_count(&self, route: &str) -> u64 {
        self.lock().by_route.get(route).copied().unwrap_or(0)
    }

    /// Zero everything.
    pub fn reset(&self) {
        *self.lock() = StatsSnapshot::default();
    }
}

/// The statistics middleware: `router.layer(stats::layer(stats))`.
pub fn layer(stats: RequestStats) -> StatsLayer {
    StatsLayer { stats }
}

/// See [`layer`].
#[derive(Clone, Debug)]
pub struct StatsLayer {
    stats: RequestStats,
}

impl<S> tower::Layer<S> for StatsLayer {
    type Service = StatsService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        StatsService {
            inner,
            stats: self.stats.clone(),
        }
    }
}

/// The service [`StatsLayer`] wraps around each route.
#[derive(Clone, Debug)]
pub struct StatsService<S> {
    inner: S,
    stats: RequestStats,
}

impl<S> tower::Service<Request<Body>> for StatsService<S>
where
    S: tower::Service<Request<Body>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let stats = self.stats.clone();
        Box::pin(async move {
            if crate::is_sandbox_path(req.uri().path()) {
                return inner.call(req).await;
            }
            let route = match req.extensions().get::<MatchedPath>() {
                Some(p) => format!("{} {}", req.method(), p.as_str()),
                None => format!("{} <unmatched>", req.method()),
            };
            let resp = inner.call(req).await?;
            let fault = resp.extensions().get::<InjectedFault>().map(|f| f.0);
            stats.record(&route, resp.status().as_u16(), fault);
            Ok(resp)
        })
    }
}
