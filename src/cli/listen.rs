//! `bcsync run --listen ADDR`: the webhook receivers, `/healthz`, `/readyz` and `/metrics`
//! (bc-server) wired to the scheduler: a verified, de-duplicated delivery wakes the jobs its
//! event names within milliseconds, instead of waiting for the next poll.
//!
//! **Echo guard.** bcsync's own writes fire webhooks too (the Downloaded status it sets after
//! posting, the error status it sets on a failed order, the statuses the status map sets).
//! A `store/order/statusUpdated` delivery whose new status is one bcsync writes wakes nothing:
//! it would re-list an order the journal already settled and, on other connectors, has been
//! known to re-import it or clear its exception. Anything else wakes the jobs, whose journal
//! and finish markers make a needless run harmless.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bc_core::settings::PlatformSettings;
use bc_core::Settings;
use bc_engine::{Engine, Job, SchedulerHandle};
use bc_server::{BigCommerceWebhooks, Deps, OrderChange, ServerConfig, WebhookEvent};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::exit::{CliError, CliResult};

/// When each job last finished, and its interval: `/readyz` says a job is overdue when it has
/// not finished for three intervals (plus a minute).
#[derive(Default)]
pub struct Liveness {
    last: Mutex<BTreeMap<Job, DateTime<Utc>>>,
}

impl Liveness {
    /// Records that `job` finished a run now.
    pub fn finished(&self, job: Job) {
        if let Ok(mut m) = self.last.lock() {
            m.insert(job, Utc::now());
        }
    }

    fn overdue(&self, started: DateTime<Utc>, intervals: &BTreeMap<Job, Duration>) -> Vec<String> {
        let now = Utc::now();
        let last = self.last.lock().map(|m| m.clone()).unwrap_or_default();
        intervals
            .iter()
            .filter_map(|(job, iv)| {
                let since = last.get(job).copied().unwrap_or(started);
                let allowed = chrono::Duration::from_std(*iv * 3 + Duration::from_secs(60))
                    .unwrap_or(chrono::Duration::MAX);
                (now - since > allowed).then(|| {
                    format!(
                        "job {job} overdue: last finished {}",
                        since.format("%Y-%m-%dT%H:%M:%SZ")
                    )
                })
            })
            .collect()
    }
}

/// The statuses bcsync writes to the storefront (names from the settings, ids from the
/// storefront), for the echo guard.
fn own_status_ids(settings: &Settings, statuses: &[bc_core::OrderStatus]) -> BTreeSet<String> {
    let mut names: Vec<&str> = vec![
        settings.orders.downloaded_status.as_str(),
        settings.orders.import_error_status.as_str(),
    ];
    names.extend(
        settings
            .status
            .map
            .rows
            .iter()
            .map(|m| m.storefront.as_str()),
    );
    if let Some(s) = &settings.erp_orders.storefront_status {
        names.push(s);
    }
    statuses
        .iter()
        .filter(|st| names.iter().any(|n| st.matches(n)))
        .map(|st| st.id.to_string())
        .collect()
}

/// The server's configuration from the settings: the BigCommerce route when
/// `storefront.webhook_secret` is set, the QBO route when `ledger.webhook_verifier_token` is.
/// A non-loopback address needs every webhook secret of the settings' platforms.
pub fn server_config(settings: &Settings, addr: SocketAddr) -> CliResult<ServerConfig> {
    let mut cfg = ServerConfig::default();
    let secret = |section: &PlatformSettings, key: &str| -> CliResult<Option<SecretString>> {
        match section.table.get(key).and_then(|v| v.as_str()) {
            None => Ok(None),
            Some(raw) => bc_core::settings::Secret::new(raw)
                .resolve(&section.key(key))
                .map(Some)
                .map_err(|e| CliError::core("", &e)),
        }
    };
    let mut missing = Vec::new();
    if settings.storefront.platform == "bigcommerce" {
        match secret(&settings.storefront, "webhook_secret")? {
            Some(s) => cfg.bigcommerce = Some(BigCommerceWebhooks::new(s)),
            None => missing.push("storefront.webhook_secret"),
        }
    }
    if settings.ledger.platform == "qbo" {
        match secret(&settings.ledger, "webhook_verifier_token")? {
            Some(s) => cfg.qbo_verifier_token = Some(s),
            None => missing.push("ledger.webhook_verifier_token"),
        }
    }
    if !addr.ip().is_loopback() && !missing.is_empty() {
        return Err(CliError::config(format!(
            "--listen {addr} is reachable from other machines: set {} first (deliveries are authenticated with them), or listen on 127.0.0.1",
            missing.join(" and ")
        )));
    }
    for m in missing {
        tracing::info!(setting = m, "not set: that platform's webhook route is off");
    }
    Ok(cfg)
}

/// Serves on `addr` and forwards events to `handle` until the process stops; returns the
/// bound address (for `--listen 127.0.0.1:0`).
pub async fn start(
    addr: SocketAddr,
    settings: &Settings,
    engine: Arc<Engine>,
    handle: SchedulerHandle,
    liveness: Arc<Liveness>,
    intervals: BTreeMap<Job, Duration>,
) -> CliResult<bc_server::Server> {
    let cfg = server_config(settings, addr)?;
    let metrics = bc_server::install_metrics();
    bc_http::telemetry::describe_metrics();
    let statuses = engine
        .storefront()
        .statuses()
        .await
        .map_err(|e| CliError::core("storefront statuses", &e))?;
    let echo = own_status_ids(settings, &statuses);
    let (tx, mut rx) = bc_server::webhook_channel(1024);
    let started = Utc::now();
    let state = engine.state().clone();
    let probe_liveness = liveness.clone();
    let probe = move || {
        let state = state.clone();
        let liveness = probe_liveness.clone();
        let intervals = intervals.clone();
        async move {
            let mut reasons = Vec::new();
            if let Err(e) = state.cursor("orders").await {
                reasons.push(format!("state store unreachable: {e}"));
            }
            reasons.extend(liveness.overdue(started, &intervals));
            if reasons.is_empty() {
                Ok(())
            } else {
                Err(reasons)
            }
        }
    };
    let deps = Deps::new(tx).with_readiness(probe).with_metrics(metrics);
    let server = bc_server::serve(addr, cfg, deps)
        .await
        .map_err(|e| CliError::config(format!("--listen {addr}: {e}")))?;
    tracing::info!(addr = %server.local_addr(), "listening: /webhooks/bigcommerce, /webhooks/qbo, /healthz, /readyz, /metrics");
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let WebhookEvent::Order {
                change: OrderChange::StatusUpdated { to: Some(to), .. },
                id,
                ..
            } = &event
            {
                if echo.contains(to) {
                    metrics::counter!("bcsync_webhook_echoes_total").increment(1);
                    tracing::debug!(order = %id, status = %to, "webhook echo of bcsync's own status write: ignored");
                    continue;
                }
            }
            for job in event.jobs() {
                if let Ok(job) = job.as_str().parse::<Job>() {
                    tracing::debug!(%job, "woken by a webhook");
                    handle.wake(job);
                }
            }
        }
    });
    Ok(server)
}

/// Records a finished run in the metrics: runs by job and result, duration, orders posted,
/// and the open exceptions by reason.
pub async fn record_run(
    engine: &Engine,
    job: Job,
    result: &Result<bc_engine::RunReport, bc_core::Error>,
) {
    let name = job.to_string();
    match result {
        Ok(r) => {
            metrics::counter!("bcsync_job_runs_total", "job" => name.clone(), "result" => if r.failed.is_empty() { "ok" } else { "items_failed" }).increment(1);
            let secs = (r.finished_at - r.started_at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::histogram!("bcsync_job_duration_seconds", "job" => name.clone()).record(secs);
            if job == Job::Orders {
                metrics::counter!("bcsync_orders_posted_total")
                    .increment((r.done + r.adopted) as u64);
            }
        }
        Err(_) => {
            metrics::counter!("bcsync_job_runs_total", "job" => name, "result" => "error")
                .increment(1);
        }
    }
    if let Ok(open) = engine
        .state()
        .exceptions(&bc_engine::ExceptionFilter {
            status: Some(bc_engine::ExceptionStatus::Open),
            ..bc_engine::ExceptionFilter::default()
        })
        .await
    {
        static SEEN: std::sync::OnceLock<Mutex<BTreeSet<String>>> = std::sync::OnceLock::new();
        let mut by: BTreeMap<String, f64> = BTreeMap::new();
        if let Ok(seen) = SEEN.get_or_init(Default::default).lock() {
            // A reason with no open exception any more reads 0, not its last count.
            for r in seen.iter() {
                by.insert(r.clone(), 0.0);
            }
        }
        for x in &open {
            let reason = x
                .reasons
                .first()
                .map(super::report::reason_code)
                .unwrap_or_else(|| "unknown".into());
            *by.entry(reason).or_default() += 1.0;
        }
        if let Ok(mut seen) = SEEN.get_or_init(Default::default).lock() {
            seen.extend(by.keys().cloned());
        }
        for (reason, n) in by {
            metrics::gauge!("bcsync_open_exceptions", "reason" => reason).set(n);
        }
    }
}
