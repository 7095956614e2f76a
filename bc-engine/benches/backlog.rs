//! (b) A backlog import over loopback sockets with the sandboxes' real rate limits
//! (BigCommerce Standard: 150 requests per 30 s; QuickBooks Online: 500 per minute, 10 in
//! flight) and 20 ms of latency on every request. Reports orders/s, requests per order per
//! endpoint, and the ratio of the achieved throughput to the ceiling the rate limits allow.
//!
//! One sample must span several rate-limit windows, so this is one measured run rather than
//! criterion's repeated sampling (which would need hours). Size: `BCSYNC_BENCH_ORDERS`
//! (default 150). Run: `cargo bench -p bc-engine --bench backlog`.

#![allow(missing_docs)] // criterion's generated functions

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
use bc_connector_qbo::{QboLedger, QboOptions};
use bc_core::{Ledger, Settings, Storefront};
use bc_engine::Engine;
use bc_http::ReqwestTransport;
use bc_sandbox::faults::FaultPlan;
use bc_sandbox::stats::StatsSnapshot;
use bc_sandbox_bigcommerce::{BigCommerceConfig as BcSandboxConfig, BigCommerceSandbox};
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use bc_state::SqliteStateStore;
use secrecy::SecretString;

const SETTINGS: &str = include_str!("common/qbo_settings.toml");

const BC_QUOTA: f64 = 150.0;
const BC_WINDOW_S: f64 = 30.0;
const QBO_QUOTA: f64 = 500.0;
const QBO_WINDOW_S: f64 = 60.0;

fn latency() -> FaultPlan {
    FaultPlan {
        latency_ms: 20,
        ..FaultPlan::none()
    }
}

/// Requests per route between two snapshots, not counting those refused with 429 (they
/// consumed no quota).
fn diff(after: &StatsSnapshot, before: &StatsSnapshot) -> BTreeMap<String, u64> {
    let served = |s: &StatsSnapshot, k: &str| {
        let all = s.by_route.get(k).copied().unwrap_or(0);
        let refused = s
            .by_route_status
            .get(k)
            .and_then(|m| m.get("429"))
            .copied()
            .unwrap_or(0);
        all.saturating_sub(refused)
    };
    after
        .by_route
        .keys()
        .map(|k| {
            (
                k.clone(),
                served(after, k).saturating_sub(served(before, k)),
            )
        })
        .filter(|(_, v)| *v > 0)
        .collect()
}

fn main() {
    let n: u64 = std::env::var("BCSYNC_BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(n));
}

async fn run(n: u64) {
    let bc = BigCommerceSandbox::new(BcSandboxConfig {
        faults: latency(),
        ..BcSandboxConfig::default()
    });
    let mut wanted = 0;
    let mut round = 0;
    while wanted < n {
        for id in bc.seed_orders(n, 500 + round) {
            let usd = bc
                .order_json(id)
                .and_then(|o| o["currency_code"].as_str().map(|c| c == "USD"))
                .unwrap_or(false);
            let status = if usd && wanted < n {
                wanted += 1;
                11
            } else {
                5
            };
            let _ = bc.set_order_status(id, status);
        }
        round += 1;
    }
    let bc_served = bc_sandbox::serve::serve(bc.router(), 0)
        .await
        .expect("serve");
    let qbo = QboSandbox::new(QboConfig::default());
    qbo.set_fault_plan(latency());
    let qbo_served = qbo.serve(0).await.expect("serve");

    let token = bc.credentials_json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let transport = Arc::new(ReqwestTransport::new().expect("reqwest"));
    let storefront: Arc<dyn Storefront> = Arc::new(
        BigCommerce::with_transport(
            BigCommerceConfig::new(bc.store_hash(), SecretString::from(token))
                .with_api_base(bc_served.base_url.clone()),
            transport.clone(),
        )
        .expect("bigcommerce"),
    );
    let c = qbo.credentials_json();
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    let ledger: Arc<dyn Ledger> = Arc::new(
        QboLedger::connect(
            QboOptions::new(
                s("realm_id"),
                s("client_id"),
                SecretString::from(s("client_secret")),
                SecretString::from(s("refresh_token")),
            )
            .with_base_url(qbo_served.base_url.trim_end_matches('/'))
            .with_token_url(format!(
                "{}/oauth2/v1/tokens/bearer",
                qbo_served.base_url.trim_end_matches('/')
            ))
            .with_access_token(
                SecretString::from(s("access_token")),
                Duration::from_secs(3600),
            ),
            transport,
        )
        .await
        .expect("qbo"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let state = Arc::new(
        SqliteStateStore::open(dir.path().join("bench.sqlite"))
            .await
            .expect("sqlite"),
    );
    let engine = Engine::new(
        storefront,
        ledger,
        state,
        Settings::from_toml_str(SETTINGS).expect("settings"),
    );
    let (bc0, qbo0) = (bc.stats(), qbo.stats().snapshot());
    let start = Instant::now();
    let report = engine.sync_orders().await.expect("run");
    let secs = start.elapsed().as_secs_f64();
    let (bc_routes, qbo_routes) = (
        diff(&bc.stats(), &bc0),
        diff(&qbo.stats().snapshot(), &qbo0),
    );
    let bc_total: u64 = bc_routes.values().sum();
    let qbo_total: u64 = qbo_routes.values().sum();
    let orders = report.done as f64;
    let achieved = orders / secs;
    // The ceiling: with r requests per order on a platform whose limit is q per window w,
    // at most q/w/r orders per second in steady state. Over a run of T seconds a fresh window
    // also allows one burst of q, so the exact ceiling for this run is
    // q × (⌊T/w⌋ + 1) / r / T; both are reported.
    let per_order = |t: u64| t as f64 / orders.max(1.0);
    let steady = |q: f64, w: f64, t: u64| q / w / per_order(t).max(f64::EPSILON);
    let this_run = |q: f64, w: f64, t: u64| {
        q * ((secs / w).floor() + 1.0) / per_order(t).max(f64::EPSILON) / secs
    };
    let ceiling_steady =
        steady(BC_QUOTA, BC_WINDOW_S, bc_total).min(steady(QBO_QUOTA, QBO_WINDOW_S, qbo_total));
    let ceiling_run =
        this_run(BC_QUOTA, BC_WINDOW_S, bc_total).min(this_run(QBO_QUOTA, QBO_WINDOW_S, qbo_total));
    println!("backlog over loopback, real rate limits, 20 ms latency");
    println!("{report}");
    println!(
        "orders {} in {secs:.1} s = {achieved:.3} orders/s",
        report.done
    );
    println!(
        "bigcommerce: {bc_total} requests = {:.2} per order",
        per_order(bc_total)
    );
    for (route, count) in &bc_routes {
        println!("  {route}: {:.2} per order", per_order(*count));
    }
    println!(
        "qbo: {qbo_total} requests = {:.2} per order",
        per_order(qbo_total)
    );
    for (route, count) in &qbo_routes {
        println!("  {route}: {:.2} per order", per_order(*count));
    }
    println!(
        "ceiling (steady state) {ceiling_steady:.3} orders/s; achieved / ceiling = {:.2}",
        achieved / ceiling_steady
    );
    println!(
        "ceiling (this run, counting the first window's burst) {ceiling_run:.3} orders/s; achieved / ceiling = {:.2}",
        achieved / ceiling_run
    );
    println!(
        "429s: bigcommerce {}, qbo {}",
        bc.stats().rate_limited,
        qbo.stats().snapshot().rate_limited
    );
    let _ = bc_served.shutdown().await;
    let _ = qbo_served.shutdown().await;
}
