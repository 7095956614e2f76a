//! (a) The engine's own cost per imported order: planning, look-ups and state writes.
//!
//! - `memory`: in-memory storefront, ledger and state — the engine alone;
//! - `sqlite`: the same with the SQLite state store on a temporary file, as `bcsync` opens it
//!   (WAL, `synchronous=FULL`: every commit is an fsync, durable across an OS crash).
//!   `sqlite − memory` is the state store's cost per order (issue 10: at most 200 µs);
//! - `memory_batch_30`, `sqlite_batch_30`: the same with the batch size of QuickBooks Online.
//!
//! The in-memory ledger declares the batch size of a real batching connector — 100 documents
//! per request as Business Central's `$batch` (30 as QuickBooks Online's `/batch` in the
//! `_batch_30` pair) — so that a chunk carries as many orders as it does against those
//! platforms, and the state's group commits amortize as they do there: three durable commits
//! per chunk (the documents' intents; their dones with the receipts' intents; the receipts'
//! dones with the orders' finish markers, log lines and resolutions), plus a few per run (the
//! cursor; the clients and items the first orders need, each batch in two). A chunk is also at
//! most one storefront page, 50 orders with the in-memory storefront, so `sqlite` posts chunks
//! of 50 and `sqlite_batch_30` chunks of 30 and 20. A ledger of batch size 1 would pay the
//! three commits for every order.
//! - `in_process_sandboxes`: the BigCommerce and QuickBooks Online connectors against their
//!   sandboxes over the in-process transport (no sockets, no faults, no rate limits), SQLite
//!   state: what one order costs end to end when the platforms answer at once.
//!
//! Each measured iteration imports one order; the setup of each sample's backlog is not timed.
//! Run: `cargo bench -p bc-engine --bench engine`.

#![allow(missing_docs)] // criterion's generated functions

use std::sync::Arc;
use std::time::{Duration, Instant};

use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
use bc_connector_qbo::{QboLedger, QboOptions};
use bc_core::{Ledger, Settings, Storefront};
use bc_engine::testing::{sample_order, test_settings, MemoryLedger, MemoryStorefront};
use bc_engine::{Engine, EngineOptions, MemoryStateStore, StateStore};
use bc_http::{RateLimits, RetryPolicy, RouterTransport};
use bc_sandbox_bigcommerce::{BigCommerceConfig as BcSandboxConfig, BigCommerceSandbox};
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use bc_state::SqliteStateStore;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use secrecy::SecretString;

/// Documents per request of Business Central's `$batch`.
const BC_BATCH: usize = 100;
/// Documents per request of QuickBooks Online's `/batch`.
const QBO_BATCH: usize = 30;

const SANDBOX_SETTINGS: &str = include_str!("common/qbo_settings.toml");

fn options() -> EngineOptions {
    EngineOptions {
        concurrency: 8,
        ..EngineOptions::default()
    }
}

async fn memory_run(iters: u64, sqlite: bool, batch: usize) -> Duration {
    let storefront = Arc::new(MemoryStorefront::new());
    storefront.add_orders((1..=iters).map(|i| sample_order(i, "11", "CA State Tax")));
    let dir = tempfile::tempdir().expect("tempdir");
    let state: Arc<dyn StateStore> = if sqlite {
        Arc::new(
            SqliteStateStore::open(dir.path().join("bench.sqlite"))
                .await
                .expect("sqlite"),
        )
    } else {
        Arc::new(MemoryStateStore::new())
    };
    let ledger = MemoryLedger::new();
    ledger.set_capabilities(|c| c.batch_size = batch);
    let engine = Engine::with_options(
        storefront,
        Arc::new(ledger),
        state,
        test_settings(""),
        options(),
    );
    let start = Instant::now();
    let r = engine.sync_orders().await.expect("run");
    let took = start.elapsed();
    assert_eq!(r.done as u64, iters, "{r}");
    took
}

async fn sandbox_run(iters: u64) -> Duration {
    let bc = BigCommerceSandbox::new(BcSandboxConfig {
        quota: 0,
        ..BcSandboxConfig::default()
    });
    // USD orders only (the zones the settings map), made importable.
    let mut wanted = 0;
    let mut seed_from = 0;
    while wanted < iters {
        for id in bc.seed_orders(iters.max(16), 99 + seed_from) {
            let usd = bc
                .order_json(id)
                .and_then(|o| o["currency_code"].as_str().map(|c| c == "USD"))
                .unwrap_or(false);
            let status = if usd && wanted < iters {
                wanted += 1;
                11
            } else {
                5
            };
            let _ = bc.set_order_status(id, status);
        }
        seed_from += 1;
    }
    let qbo = QboSandbox::new(QboConfig {
        quota_per_min: 10_000_000,
        max_concurrent: 1000,
        batch_per_min: 10_000_000,
        ..QboConfig::default()
    });
    let token = bc.credentials_json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let storefront: Arc<dyn Storefront> = Arc::new(
        BigCommerce::with_transport(
            BigCommerceConfig::new(bc.store_hash(), SecretString::from(token))
                .with_api_base("http://sandbox.invalid")
                .with_limits(RateLimits::unlimited())
                .with_retry(RetryPolicy::none()),
            Arc::new(RouterTransport::new(bc.router())),
        )
        .expect("bigcommerce"),
    );
    let c = qbo.credentials_json();
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    let ledger: Arc<dyn Ledger> = Arc::new(
        QboLedger::connect(
            QboOptions {
                batch_limits: RateLimits::unlimited(),
                ..QboOptions::new(
                    s("realm_id"),
                    s("client_id"),
                    SecretString::from(s("client_secret")),
                    SecretString::from(s("refresh_token")),
                )
            }
            .with_base_url("http://127.0.0.1:9")
            .with_token_url("http://127.0.0.1:9/oauth2/v1/tokens/bearer")
            .with_access_token(
                SecretString::from(s("access_token")),
                Duration::from_secs(3600),
            )
            .with_rate_limits(RateLimits::unlimited())
            .with_retry(RetryPolicy::none()),
            Arc::new(RouterTransport::new(qbo.router())),
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
    let engine = Engine::with_options(
        storefront,
        ledger,
        state,
        Settings::from_toml_str(SANDBOX_SETTINGS).expect("settings"),
        options(),
    );
    let start = Instant::now();
    let r = engine.sync_orders().await.expect("run");
    let took = start.elapsed();
    assert_eq!(r.done as u64, iters, "{r}");
    took
}

fn engine_cost(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("engine_cost_per_order");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    for (name, sqlite, batch) in [
        ("memory", false, BC_BATCH),
        ("sqlite", true, BC_BATCH),
        ("memory_batch_30", false, QBO_BATCH),
        ("sqlite_batch_30", true, QBO_BATCH),
    ] {
        g.bench_function(name, |b| {
            b.to_async(&rt)
                .iter_custom(|iters| memory_run(iters, sqlite, batch))
        });
    }
    g.bench_function("in_process_sandboxes", |b| {
        b.to_async(&rt).iter_custom(sandbox_run)
    });
    g.finish();
}

criterion_group!(benches, engine_cost);
criterion_main!(benches);
