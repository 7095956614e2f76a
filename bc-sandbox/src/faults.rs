//! A seeded fault plan and the middleware that applies it.
//!
//! Every request that is not under `/__sandbox/` draws one [`Fault`] from the
//! [`FaultInjector`]. The draw uses its own deterministic stream (see [`crate::rng`]), and
//! always consumes the same amount of randomness, so the same seed and the same request
//! sequence give the same faults.
//!
//! # How a connection reset is simulated
//! A reset is answered with a response whose body stream yields an I/O error
//! (`ConnectionReset`) on its first poll. Over a socket, hyper then aborts the connection
//! without completing the response: a client sees the connection closed before a complete
//! message (an "incomplete message" / "connection reset" error). In-process (calling the
//! router with `tower::ServiceExt::oneshot`), the caller gets a response head with status 200
//! and a body that fails when read: **in-process clients must read the body to observe a
//! reset**, just as a socket client does.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use futures::future::BoxFuture;
use http::{Method, Request};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// What faults to inject and how often. Rates are probabilities in `[0, 1]` per request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    /// Seed of the fault stream.
    pub seed: u64,
    /// Probability of an error status (500, 502, 503 or 429) before the handler runs.
    pub error_rate: f64,
    /// Probability of a connection reset before the handler runs.
    pub reset_rate: f64,
    /// Probability, on writes (non-GET/HEAD/OPTIONS) only, that the handler runs (the write is
    /// applied) and the client gets a 502 or a reset, half each.
    pub commit_then_fail_rate: f64,
    /// Probability that the handler runs and the response is held back `hang_ms`.
    pub hang_rate: f64,
    /// Latency added before every request (milliseconds).
    pub latency_ms: u64,
    /// How long a hung response is held back (milliseconds).
    pub hang_ms: u64,
    /// Path prefixes whose answers are never lost: there the faults that apply a request and
    /// then lose its answer (commit-then-fail, commit-then-reset, hangs) are served normally,
    /// while error statuses and resets before the handler still apply. For an OAuth token
    /// endpoint with rotating refresh tokens: a lost answer there has rotated the token that
    /// was used and lost its successor, which no client can recover from (the account must
    /// be authorised again); a run that measures the rest needs those answers kept.
    pub answers_kept: Vec<String>,
}

impl FaultPlan {
    /// No faults at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// A total fault rate split over the kinds: 50 % error statuses, 20 % resets, 20 %
    /// commit-then-fail (writes only), 10 % hangs of 10 s; no added latency.
    pub fn uniform(seed: u64, rate: f64) -> Self {
        let rate = rate.clamp(0.0, 1.0);
        Self {
            seed,
            error_rate: rate * 0.5,
            reset_rate: rate * 0.2,
            commit_then_fail_rate: rate * 0.2,
            hang_rate: rate * 0.1,
            latency_ms: 0,
            hang_ms: 10_000,
            answers_kept: Vec::new(),
        }
    }
}

/// One request's fate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// Served normally.
    None,
    /// Answered with this status (500, 502, 503 or 429) before the handler runs.
    Status(u16),
    /// Connection reset before the handler runs (nothing is applied).
    Reset,
    /// The handler runs (the write is applied), then the client gets a 502.
    CommitThenFail,
    /// The handler runs (the write is applied), then the connection is reset.
    CommitThenReset,
    /// The handler runs, then the response is held back `hang_ms`.
    Hang,
}

impl Fault {
    /// A short stable name: `none`, `status_500`, `reset`, `commit_then_fail`,
    /// `commit_then_reset`, `hang`.
    pub fn name(&self) -> String {
        match self {
            Fault::None => "none".into(),
            Fault::Status(s) => format!("status_{s}"),
            Fault::Reset => "reset".into(),
            Fault::CommitThenFail => "commit_then_fail".into(),
            Fault::CommitThenReset => "commit_then_reset".into(),
            Fault::Hang => "hang".into(),
        }
    }
}

/// How many of each fault the injector has handed out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCounts {
    /// Requests that drew a fault or not.
    pub requests: u64,
    /// Error statuses injected.
    pub status: u64,
    /// Resets before the handler.
    pub reset: u64,
    /// Writes applied then answered 502.
    pub commit_then_fail: u64,
    /// Writes applied then reset.
    pub commit_then_reset: u64,
    /// Hung responses.
    pub hang: u64,
}

/// Builds the platform's own error response for an injected status.
pub type ErrorBody = Arc<dyn Fn(u16) -> Response + Send + Sync>;

struct State {
    plan: FaultPlan,
    rng: ChaCha8Rng,
    counts: FaultCounts,
}

/// Draws faults from a [`FaultPlan`]. Cheap to clone (shared state inside).
#[derive(Clone)]
pub struct FaultInjector {
    state: Arc<Mutex<State>>,
    error_body: ErrorBody,
}

impl std::fmt::Debug for FaultInjector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultInjector")
            .field("plan", &self.plan())
            .finish()
    }
}

/// The marker the fault middleware puts in a response's extensions: which fault it injected.
/// [`crate::stats::layer`] counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InjectedFault(pub Fault);

const ERROR_STATUSES: [u16; 4] = [500, 502, 503, 429];

impl FaultInjector {
    /// An injector for `plan`; `error_body` renders the platform's error response for a status.
    pub fn new(plan: FaultPlan, error_body: ErrorBody) -> Self {
        let rng = crate::rng::seeded(plan.seed, "faults");
        Self {
            state: Arc::new(Mutex::new(State {
                plan,
                rng,
                counts: FaultCounts::default(),
            })),
            error_body,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the counters inconsistent in a way that
        // matters to a test double, so a poisoned lock is simply reused.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replace the plan and restart the fault stream from the plan's seed. Counts are kept.
    pub fn set_plan(&self, plan: FaultPlan) {
        let mut s = self.lock();
        s.rng = crate::rng::seeded(plan.seed, "faults");
        s.plan = plan;
    }

    /// The current plan.
    pub fn plan(&self) -> FaultPlan {
        self.lock().plan.clone()
    }

    /// Draw the fault for the next request with this method. Always consumes two draws, so the
    /// sequence depends only on the seed and the number of requests (and their methods).
    pub fn next(&self, method: &Method) -> Fault {
        let mut s = self.lock();
        let u: f64 = s.rng.gen();
        let pick: u32 = s.rng.gen();
        let p = s.plan.clone();
        let is_write = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        let e1 = p.error_rate.max(0.0);
        let e2 = e1 + p.reset_rate.max(0.0);
        let e3 = e2 + p.commit_then_fail_rate.max(0.0);
        let e4 = e3 + p.hang_rate.max(0.0);
        let fault = if u < e1 {
            Fault::Status(ERROR_STATUSES[(pick % 4) as usize])
        } else if u < e2 {
            Fault::Reset
        } else if u < e3 {
            match (is_write, pick % 2) {
                (false, _) => Fault::None,
                (true, 0) => Fault::CommitThenFail,
                (true, _) => Fault::CommitThenReset,
            }
        } else if u < e4 {
            Fault::Hang
        } else {
            Fault::None
        };
        s.counts.requests += 1;
        match fault {
            Fault::None => {}
            Fault::Status(_) => s.counts.status += 1,
            Fault::Reset => s.counts.reset += 1,
            Fault::CommitThenFail => s.counts.commit_then_fail += 1,
            Fault::CommitThenReset => s.counts.commit_then_reset += 1,
            Fault::Hang => s.counts.hang += 1,
        }
        fault
    }

    /// Counts so far.
    pub fn counts(&self) -> FaultCounts {
        self.lock().counts.clone()
    }

    /// Zero the counts (the stream position is kept).
    pub fn reset_counts(&self) {
        self.lock().counts = FaultCounts::default();
    }

    /// The platform's error response for `status`.
    pub fn error_response(&self, status: u16) -> Response {
        (self.error_body)(status)
    }
}

/// A response that simulates a connection reset: its body fails on the first read. See the
/// module docs for what a socket client and an in-process caller observe.
pub fn reset_response() -> Response {
    let stream = futures::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox: injected connection reset",
        ))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// The middleware as a tower layer: `router.layer(faults::layer(injector))`. Applies to every
/// route except `/__sandbox/*`.
pub fn layer(injector: FaultInjector) -> FaultLayer {
    FaultLayer { injector }
}

/// See [`layer`].
#[derive(Clone, Debug)]
pub struct FaultLayer {
    injector: FaultInjector,
}

impl<S> tower::Layer<S> for FaultLayer {
    type Service = FaultService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        FaultService {
            inner,
            injector: self.injector.clone(),
        }
    }
}

/// The service [`FaultLayer`] wraps around each route.
#[derive(Clone, Debug)]
pub struct FaultService<S> {
    inner: S,
    injector: FaultInjector,
}

impl<S> tower::Service<Request<Body>> for FaultService<S>
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
        // The clone that was polled ready is the one we call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let injector = self.injector.clone();
        Box::pin(async move {
            if crate::is_sandbox_path(req.uri().path()) {
                return inner.call(req).await;
            }
            let mut fault = injector.next(req.method());
            if matches!(
                fault,
                Fault::CommitThenFail | Fault::CommitThenReset | Fault::Hang
            ) && injector
                .plan()
                .answers_kept
                .iter()
                .any(|p| req.uri().path().starts_with(p.as_str()))
            {
                fault = Fault::None;
            }
            let latency = injector.plan().latency_ms;
            if latency > 0 {
                tokio::time::sleep(Duration::from_millis(latency)).await;
            }
            let mut resp = match fault {
                Fault::None => return inner.call(req).await,
                Fault::Status(code) => injector.error_response(code),
                Fault::Reset => reset_response(),
                Fault::CommitThenFail => {
                    let _applied = inner.call(req).await;
                    injector.error_response(502)
                }
                Fault::CommitThenReset => {
                    let _applied = inner.call(req).await;
                    reset_response()
                }
                Fault::Hang => {
                    let resp = inner.call(req).await?;
                    let hang = injector.plan().hang_ms;
                    tokio::time::sleep(Duration::from_millis(hang)).await;
                    resp
                }
            };
            resp.extensions_mut().insert(InjectedFault(fault));
            Ok(resp)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn injector(plan: FaultPlan) -> FaultInjector {
        FaultInjector::new(
            plan,
            Arc::new(|s| {
                let mut r = Response::new(Body::from(format!("{{\"status\":{s}}}")));
                *r.status_mut() = http::StatusCode::from_u16(s).unwrap_or_default();
                r
            }),
        )
    }

    #[test]
    fn same_seed_same_sequence() {
        let methods = [Method::GET, Method::POST, Method::PUT, Method::GET];
        let run = |seed| -> Vec<Fault> {
            let inj = injector(FaultPlan::uniform(seed, 0.6));
            (0..400).map(|i| inj.next(&methods[i % 4])).collect()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }

    #[test]
    fn set_plan_restarts_the_stream() {
        let inj = injector(FaultPlan::uniform(5, 0.5));
        let a: Vec<Fault> = (0..100).map(|_| inj.next(&Method::POST)).collect();
        inj.set_plan(FaultPlan::uniform(5, 0.5));
        let b: Vec<Fault> = (0..100).map(|_| inj.next(&Method::POST)).collect();
        assert_eq!(a, b);
        assert_eq!(inj.counts().requests, 200);
    }

    #[test]
    fn every_kind_appears_and_reads_never_commit_then_fail() {
        let inj = injector(FaultPlan::uniform(9, 1.0));
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2000 {
            seen.insert(inj.next(&Method::POST).name());
        }
        for kind in [
            "status_500",
            "status_502",
            "status_503",
            "status_429",
            "reset",
            "commit_then_fail",
            "commit_then_reset",
            "hang",
        ] {
            assert!(seen.contains(kind), "{kind} never drawn: {seen:?}");
        }
        for _ in 0..2000 {
            let f = inj.next(&Method::GET);
            assert!(!matches!(f, Fault::CommitThenFail | Fault::CommitThenReset));
        }
    }

    #[test]
    fn none_plan_never_faults() {
        let inj = injector(FaultPlan::none());
        assert!((0..1000).all(|_| inj.next(&Method::POST) == Fault::None));
        let c = inj.counts();
        assert_eq!((c.requests, c.status, c.reset), (1000, 0, 0));
    }
}
