//! The process's Prometheus recorder ([`install_metrics`]) and the server's own metrics.
//!
//! The server records, through the `metrics` facade:
//!
//! | name | type | labels | meaning |
//! |---|---|---|---|
//! | `bcsync_webhook_deliveries_total` | counter | `source`, `outcome` | deliveries answered `200`: `outcome` = `accepted` (handed on), `duplicate` (a replay, dropped), `ignored` (a scope bcsync does not act on) |
//! | `bcsync_webhook_refused_total` | counter | `source`, `reason` | deliveries refused: `reason` = `unauthenticated` (401), `malformed` (400), `too_large` (413), `stopping` (503) |
//! | `bcsync_webhook_coalesced_total` | counter | `source` | events not queued because the channel was full (their jobs are woken once, see [`crate::events`]) |
//! | `bcsync_webhook_lag_seconds` | histogram | `source` | now − the payload's `created_at` (BigCommerce) or `lastUpdated` / `time` (QuickBooks Online) |
//!
//! `source` is `bigcommerce` or `qbo`. Histograms use [`HISTOGRAM_BUCKETS`] (seconds).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Deliveries answered `200`, by `source` and `outcome`.
pub const WEBHOOK_DELIVERIES: &str = "bcsync_webhook_deliveries_total";
/// Deliveries refused, by `source` and `reason`.
pub const WEBHOOK_REFUSED: &str = "bcsync_webhook_refused_total";
/// Events coalesced because the channel was full, by `source`.
pub const WEBHOOK_COALESCED: &str = "bcsync_webhook_coalesced_total";
/// Webhook lag in seconds, by `source`.
pub const WEBHOOK_LAG: &str = "bcsync_webhook_lag_seconds";

/// The buckets of every histogram the recorder renders (seconds: from 5 ms to an hour), so
/// that webhook lag and job durations come out as Prometheus histograms rather than summaries.
pub const HISTOGRAM_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    1800.0, 3600.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide Prometheus recorder once and returns its handle; later calls
/// return the same handle. If another `metrics` recorder was installed first (not by this
/// function), a warning is logged and the handle returned renders only descriptions: the
/// facade allows one recorder per process.
///
/// Histogram samples are drained into buckets on every [`PrometheusHandle::render`] and by
/// [`crate::serve`]'s upkeep task; a program that renders without `serve` should call
/// [`PrometheusHandle::run_upkeep`] now and then.
pub fn install_metrics() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = match PrometheusBuilder::new().set_buckets(HISTOGRAM_BUCKETS) {
                Ok(b) => b,
                // Only an empty list is refused; HISTOGRAM_BUCKETS is not empty.
                Err(_) => PrometheusBuilder::new(),
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!(
                    "a metrics recorder was already installed: /metrics will not show bcsync's metrics"
                );
            } else {
                describe();
            }
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook deliveries answered 200, by source and outcome (accepted, duplicate, ignored)"
    );
    metrics::describe_counter!(
        WEBHOOK_REFUSED,
        "Webhook deliveries refused, by source and reason (unauthenticated, malformed, too_large, stopping)"
    );
    metrics::describe_counter!(
        WEBHOOK_COALESCED,
        "Webhook events coalesced into one job wake because the event channel was full"
    );
    metrics::describe_histogram!(
        WEBHOOK_LAG,
        metrics::Unit::Seconds,
        "Time from the platform's event timestamp to its delivery"
    );
}
