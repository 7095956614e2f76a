//! What `bcsync run --listen ADDR` serves: webhook receivers, `/healthz`, `/readyz`, `/metrics`.
//!
//! [`router`] builds the axum [`Router`]; [`serve`] binds it and returns a [`Server`] (the bound
//! address and a graceful shutdown).
//!
//! | route | what |
//! |---|---|
//! | `POST /webhooks/bigcommerce` | BigCommerce deliveries, authenticated by the secret header registered with the hook ([`BigCommerceWebhooks`]) |
//! | `POST /webhooks/qbo` | QuickBooks Online notifications, authenticated by `intuit-signature` (HMAC-SHA256 of the body with the verifier token) |
//! | `GET /healthz` | `200 ok` while the process serves |
//! | `GET /readyz` | `200 {"ready": true}` or `503 {"ready": false, "reasons": [...]}` from the program's [`Readiness`] probe |
//! | `GET /metrics` | Prometheus text from the [`PrometheusHandle`] (see [`install_metrics`]) |
//!
//! A webhook route exists only when its secret is configured (otherwise `404`): nothing is
//! ever accepted unauthenticated.
//!
//! # Authentication
//!
//! - **BigCommerce** signs nothing. Its Webhooks overview (*Security*) says a hook is created
//!   with an optional `headers` object "which can be used to authenticate callbacks requests"
//!   and that BigCommerce sends those headers with every callback. bcsync registers its hooks
//!   with a secret header ([`DEFAULT_BIGCOMMERCE_HEADER`] by default) and compares it here in
//!   constant time (`subtle`, over SHA-256 digests so that the length leaks nothing either).
//!   Deliveries come over HTTPS to port 443 only (BigCommerce supports no custom port): put a
//!   TLS-terminating proxy in front of a non-loopback listener.
//! - **QuickBooks Online** signs each notification: `intuit-signature` is the base64 of
//!   HMAC-SHA256(verifier token, raw body), checked with the `hmac` crate's constant-time
//!   `verify_slice`. Both payload formats are read: the original `eventNotifications[]` and the
//!   CloudEvents array Intuit moved to in 2025–2026 (same signature).
//!
//! # De-duplication
//!
//! BigCommerce: the key is scope + data + hash + created_at (the `hash` is the SHA-1 of
//! `data`, so two updates of one order share it; `created_at` separates them, to the second).
//! QuickBooks Online: per entity change (realm + entity + id + operation + lastUpdated, or the
//! CloudEvent's `source` + `id`). Keys are kept in a FIFO ring of
//! [`ServerConfig::dedupe_capacity`] per source (32-byte digests): a replay older than that is
//! handed on again, which is harmless since the consumer re-reads the record.
//!
//! Each receiver answers as soon as the delivery is verified, parsed and de-duplicated; it
//! never waits for a sync. A missing or wrong secret/signature is `401`, logged with the
//! reason only (never the body, never a header value); a body that is not the platform's
//! payload is `400`; a body over [`ServerConfig::max_body_bytes`] is `413`; a replay (same
//! delivery key among the last [`ServerConfig::dedupe_capacity`]) is `200` and dropped. New
//! deliveries become one [`WebhookEvent`] each (one per company for QuickBooks Online) on the
//! bounded channel of [`webhook_channel`]; a full channel coalesces (see [`events`]). Scopes
//! bcsync does not act on are `200` and ignored (debug log).
#![forbid(unsafe_code)]

mod bigcommerce;
pub mod dedupe;
pub mod events;
pub mod metrics;
mod qbo;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::bigcommerce::parse_delivery as parse_bigcommerce_delivery;
pub use crate::events::{
    webhook_channel, Job, LedgerEntity, LedgerOperation, OrderChange, SendOutcome, ShipmentChange,
    WebhookEvent, WebhookReceiver, WebhookSender,
};
pub use crate::metrics::install_metrics;
pub use metrics_exporter_prometheus::PrometheusHandle;

/// The header BigCommerce hooks are registered with by default.
pub const DEFAULT_BIGCOMMERCE_HEADER: &str = "x-bcsync-secret";

/// How BigCommerce deliveries are authenticated: `header` (registered with the hook's custom
/// `headers`) must carry `secret`.
#[derive(Clone)]
pub struct BigCommerceWebhooks {
    /// The header name (default [`DEFAULT_BIGCOMMERCE_HEADER`]).
    pub header: String,
    /// The shared secret.
    pub secret: SecretString,
}

impl BigCommerceWebhooks {
    /// Expects `secret` in [`DEFAULT_BIGCOMMERCE_HEADER`].
    pub fn new(secret: SecretString) -> Self {
        BigCommerceWebhooks {
            header: DEFAULT_BIGCOMMERCE_HEADER.to_string(),
            secret,
        }
    }

    /// Expects the secret in `header` instead.
    pub fn with_header(mut self, header: impl Into<String>) -> Self {
        self.header = header.into();
        self
    }
}

impl fmt::Debug for BigCommerceWebhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BigCommerceWebhooks")
            .field("header", &self.header)
            .field("secret", &"******")
            .finish()
    }
}

/// What the server accepts.
#[derive(Clone)]
pub struct ServerConfig {
    /// BigCommerce deliveries; `None`: no `/webhooks/bigcommerce` route.
    pub bigcommerce: Option<BigCommerceWebhooks>,
    /// The QuickBooks Online app's webhook verifier token; `None`: no `/webhooks/qbo` route.
    pub qbo_verifier_token: Option<SecretString>,
    /// Delivery keys remembered per source for de-duplication (default 10 000, about 1 MB).
    pub dedupe_capacity: usize,
    /// The largest webhook body read (default 1 MiB; BigCommerce's and Intuit's payloads are a
    /// few hundred bytes to a few KiB).
    pub max_body_bytes: usize,
    /// How long `/readyz` waits for the probe before answering `503` (default 5 s).
    pub readiness_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bigcommerce: None,
            qbo_verifier_token: None,
            dedupe_capacity: 10_000,
            max_body_bytes: 1024 * 1024,
            readiness_timeout: Duration::from_secs(5),
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("bigcommerce", &self.bigcommerce)
            .field(
                "qbo_verifier_token",
                &self.qbo_verifier_token.as_ref().map(|_| "******"),
            )
            .field("dedupe_capacity", &self.dedupe_capacity)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("readiness_timeout", &self.readiness_timeout)
            .finish()
    }
}

/// The future a [`Readiness`] probe returns.
pub type ReadinessFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Vec<String>>> + Send + 'a>>;

/// The program's readiness check: `Ok(())`, or the reasons it is not ready ("state store
/// unreachable", "job orders overdue since 2026-12-02T08:00:00Z"). Implemented for any
/// `Fn() -> impl Future<Output = Result<(), Vec<String>>>`.
pub trait Readiness: Send + Sync + 'static {
    /// Runs the check.
    fn check(&self) -> ReadinessFuture<'_>;
}

impl<F, Fut> Readiness for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), Vec<String>>> + Send + 'static,
{
    fn check(&self) -> ReadinessFuture<'_> {
        Box::pin(self())
    }
}

/// What the server hands events to and asks.
#[derive(Clone)]
pub struct Deps {
    /// Where webhook events go.
    pub events: WebhookSender,
    /// The readiness probe; `None`: always ready.
    pub readiness: Option<Arc<dyn Readiness>>,
    /// The recorder's handle; `None`: no `/metrics` route.
    pub metrics: Option<PrometheusHandle>,
}

impl Deps {
    /// Events to `events`, always ready, no `/metrics`.
    pub fn new(events: WebhookSender) -> Self {
        Deps {
            events,
            readiness: None,
            metrics: None,
        }
    }

    /// Sets the readiness probe.
    pub fn with_readiness(mut self, probe: impl Readiness) -> Self {
        self.readiness = Some(Arc::new(probe));
        self
    }

    /// Serves `/metrics` from `handle` (usually [`install_metrics`]'s).
    pub fn with_metrics(mut self, handle: PrometheusHandle) -> Self {
        self.metrics = Some(handle);
        self
    }
}

impl fmt::Debug for Deps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deps")
            .field("events", &self.events)
            .field("readiness", &self.readiness.is_some())
            .field("metrics", &self.metrics.is_some())
            .finish()
    }
}

struct AppState {
    cfg: ServerConfig,
    deps: Deps,
    bc_seen: dedupe::Deduper,
    qbo_seen: dedupe::Deduper,
}

/// The routes (see the crate docs).
pub fn router(cfg: ServerConfig, deps: Deps) -> Router {
    let state = Arc::new(AppState {
        bc_seen: dedupe::Deduper::new(cfg.dedupe_capacity),
        qbo_seen: dedupe::Deduper::new(cfg.dedupe_capacity),
        cfg,
        deps,
    });
    let mut r = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz));
    if state.cfg.bigcommerce.is_some() {
        r = r.route("/webhooks/bigcommerce", post(bigcommerce_hook));
    }
    if state.cfg.qbo_verifier_token.is_some() {
        r = r.route("/webhooks/qbo", post(qbo_hook));
    }
    if state.deps.metrics.is_some() {
        r = r.route("/metrics", get(metrics_text));
    }
    r.with_state(state)
}

/// A running server: its address and its shutdown.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
    upkeep: Option<JoinHandle<()>>,
}

impl Server {
    /// The bound address (the actual port when `addr` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(u) = self.upkeep.take() {
            u.abort();
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(io::Error::other(format!("the server task failed: {e}"))),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(u) = self.upkeep.take() {
            u.abort();
        }
    }
}

/// Binds `addr` and serves [`router`] on it in a background task (inside a tokio runtime).
/// With `/metrics`, also drains histogram samples every 5 s.
pub async fn serve(addr: SocketAddr, cfg: ServerConfig, deps: Deps) -> io::Result<Server> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let upkeep = deps.metrics.clone().map(|h| {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                h.run_upkeep();
            }
        })
    });
    let app = router(cfg, deps).into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(%addr, "listening");
    Ok(Server {
        addr,
        stop: Some(stop),
        task,
        upkeep,
    })
}

// ---- handlers ----

type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

fn peer_text(peer: &Peer) -> String {
    match peer {
        Some(Extension(ConnectInfo(a))) => a.to_string(),
        None => "-".to_string(),
    }
}

fn refuse(source: &'static str, reason: &'static str, status: StatusCode) -> Response {
    ::metrics::counter!(metrics::WEBHOOK_REFUSED, "source" => source, "reason" => reason)
        .increment(1);
    (status, reason).into_response()
}

fn delivered(source: &'static str, outcome: &'static str) {
    ::metrics::counter!(metrics::WEBHOOK_DELIVERIES, "source" => source, "outcome" => outcome)
        .increment(1);
}

fn record_lag(source: &'static str, at: DateTime<Utc>) {
    let lag = (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0;
    ::metrics::histogram!(metrics::WEBHOOK_LAG, "source" => source).record(lag);
}

/// Reads the body up to the limit; `Err` is the response to give.
async fn read_body(
    source: &'static str,
    body: Body,
    limit: usize,
    peer: &Peer,
) -> Result<Bytes, Response> {
    match axum::body::to_bytes(body, limit).await {
        Ok(b) => Ok(b),
        Err(_) => {
            tracing::warn!(
                source,
                reason = "too_large",
                peer = %peer_text(peer),
                limit,
                "webhook delivery refused: body over the limit or unreadable"
            );
            Err(refuse(source, "too_large", StatusCode::PAYLOAD_TOO_LARGE))
        }
    }
}

/// Compares in constant time, lengths included (both sides are hashed first).
fn secret_matches(sent: Option<&[u8]>, secret: &SecretString) -> bool {
    let Some(sent) = sent else {
        return false;
    };
    let a = Sha256::digest(sent);
    let b = Sha256::digest(secret.expose_secret().as_bytes());
    bool::from(a.ct_eq(&b))
}

fn send_event(source: &'static str, state: &AppState, event: WebhookEvent) -> SendOutcome {
    let outcome = state.deps.events.send(event);
    if outcome == SendOutcome::Coalesced {
        ::metrics::counter!(metrics::WEBHOOK_COALESCED, "source" => source).increment(1);
        tracing::debug!(source, "event channel full: jobs coalesced");
    }
    outcome
}

async fn bigcommerce_hook(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    req: Request,
) -> Response {
    const SOURCE: &str = "bigcommerce";
    let Some(hook) = &state.cfg.bigcommerce else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (parts, body) = req.into_parts();
    // Authenticate before reading the body: an unauthenticated caller gets nothing buffered.
    let sent = parts
        .headers
        .get(hook.header.as_str())
        .map(|v| v.as_bytes());
    if !secret_matches(sent, &hook.secret) {
        tracing::warn!(
            source = SOURCE,
            reason = "unauthenticated",
            peer = %peer_text(&peer),
            header = %hook.header,
            present = sent.is_some(),
            "webhook delivery refused: the secret header is missing or wrong"
        );
        return refuse(SOURCE, "unauthenticated", StatusCode::UNAUTHORIZED);
    }
    let body = match read_body(SOURCE, body, state.cfg.max_body_bytes, &peer).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let delivery = match bigcommerce::parse(&body) {
        Ok(d) => d,
        Err(bigcommerce::Malformed(why)) => {
            tracing::warn!(
                source = SOURCE,
                reason = "malformed",
                peer = %peer_text(&peer),
                bytes = body.len(),
                "webhook delivery refused: {why}"
            );
            return refuse(SOURCE, "malformed", StatusCode::BAD_REQUEST);
        }
    };
    if !state.bc_seen.first_time(delivery.key) {
        tracing::debug!(source = SOURCE, scope = %delivery.scope, "duplicate delivery dropped");
        delivered(SOURCE, "duplicate");
        return StatusCode::OK.into_response();
    }
    if let Some(at) = delivery.created_at {
        record_lag(SOURCE, at);
    }
    let Some(event) = delivery.event else {
        tracing::debug!(source = SOURCE, scope = %delivery.scope, "scope not acted on: ignored");
        delivered(SOURCE, "ignored");
        return StatusCode::OK.into_response();
    };
    tracing::debug!(source = SOURCE, scope = %delivery.scope, ?event, "webhook accepted");
    if send_event(SOURCE, &state, event) == SendOutcome::Closed {
        // The program is stopping: let BigCommerce deliver it again later.
        state.bc_seen.forget(&delivery.key);
        return refuse(SOURCE, "stopping", StatusCode::SERVICE_UNAVAILABLE);
    }
    delivered(SOURCE, "accepted");
    StatusCode::OK.into_response()
}

async fn qbo_hook(State(state): State<Arc<AppState>>, peer: Peer, req: Request) -> Response {
    const SOURCE: &str = "qbo";
    let Some(token) = &state.cfg.qbo_verifier_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (parts, body) = req.into_parts();
    if !parts.headers.contains_key("intuit-signature") {
        tracing::warn!(
            source = SOURCE,
            reason = "unauthenticated",
            peer = %peer_text(&peer),
            "webhook delivery refused: no intuit-signature header"
        );
        return refuse(SOURCE, "unauthenticated", StatusCode::UNAUTHORIZED);
    }
    let body = match read_body(SOURCE, body, state.cfg.max_body_bytes, &peer).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let sig = parts.headers.get("intuit-signature").map(|v| v.as_bytes());
    if !qbo::signature_ok(token, sig, &body) {
        tracing::warn!(
            source = SOURCE,
            reason = "unauthenticated",
            peer = %peer_text(&peer),
            bytes = body.len(),
            "webhook delivery refused: intuit-signature does not match the body"
        );
        return refuse(SOURCE, "unauthenticated", StatusCode::UNAUTHORIZED);
    }
    let changes = match qbo::parse(&body) {
        Ok(c) => c,
        Err(bigcommerce::Malformed(why)) => {
            tracing::warn!(
                source = SOURCE,
                reason = "malformed",
                peer = %peer_text(&peer),
                bytes = body.len(),
                "webhook delivery refused: {why}"
            );
            return refuse(SOURCE, "malformed", StatusCode::BAD_REQUEST);
        }
    };
    // New changes, grouped by company in order of first appearance.
    let mut realms: Vec<String> = Vec::new();
    let mut by_realm: BTreeMap<String, (Vec<LedgerEntity>, Vec<dedupe::DeliveryKey>)> =
        BTreeMap::new();
    let mut duplicates = 0usize;
    for c in changes {
        if !state.qbo_seen.first_time(c.key) {
            duplicates += 1;
            continue;
        }
        if let Some(at) = c.entity.last_updated {
            record_lag(SOURCE, at);
        }
        let slot = by_realm.entry(c.realm.clone()).or_insert_with(|| {
            realms.push(c.realm.clone());
            (Vec::new(), Vec::new())
        });
        slot.0.push(c.entity);
        slot.1.push(c.key);
    }
    if realms.is_empty() {
        if duplicates > 0 {
            tracing::debug!(source = SOURCE, duplicates, "duplicate delivery dropped");
            delivered(SOURCE, "duplicate");
        } else {
            delivered(SOURCE, "ignored");
        }
        return StatusCode::OK.into_response();
    }
    let mut closed = false;
    for realm in realms {
        let Some((entities, keys)) = by_realm.remove(&realm) else {
            continue;
        };
        if closed {
            keys.iter().for_each(|k| state.qbo_seen.forget(k));
            continue;
        }
        tracing::debug!(source = SOURCE, realm = %realm, entities = entities.len(), "webhook accepted");
        let event = WebhookEvent::LedgerChange { realm, entities };
        if send_event(SOURCE, &state, event) == SendOutcome::Closed {
            keys.iter().for_each(|k| state.qbo_seen.forget(k));
            closed = true;
        }
    }
    if closed {
        return refuse(SOURCE, "stopping", StatusCode::SERVICE_UNAVAILABLE);
    }
    delivered(SOURCE, "accepted");
    StatusCode::OK.into_response()
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let Some(probe) = &state.deps.readiness else {
        return Json(json!({ "ready": true })).into_response();
    };
    let result = tokio::time::timeout(state.cfg.readiness_timeout, probe.check()).await;
    let reasons = match result {
        Ok(Ok(())) => return Json(json!({ "ready": true })).into_response(),
        Ok(Err(reasons)) if reasons.is_empty() => vec!["not ready".to_string()],
        Ok(Err(reasons)) => reasons,
        Err(_) => vec![format!(
            "readiness check timed out after {} ms",
            state.cfg.readiness_timeout.as_millis()
        )],
    };
    tracing::debug!(?reasons, "not ready");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "ready": false, "reasons": reasons })),
    )
        .into_response()
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> Response {
    let Some(handle) = &state.deps.metrics else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    (headers, handle.render()).into_response()
}
