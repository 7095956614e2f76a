//! Retries have one owner (bc-http) and a run has a circuit breaker: a ledger that refuses
//! every request, or credentials that no longer work, stop the run after a bounded number of
//! requests, with one clear error; no exception is filed and no storefront status changes.

mod common;

use std::sync::Arc;

use bc_core::Settings;
use bc_engine::{Engine, EngineOptions, ExceptionFilter, Job, MemoryStateStore, StateStore};
use bc_http::RetryPolicy;
use bc_sandbox::faults::FaultPlan;
use bc_sandbox_bigcommerce::{BigCommerceConfig as BcSandboxConfig, BigCommerceSandbox};
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use common::sandboxes::{connect, SETTINGS};

/// A store with `n` USD orders awaiting fulfilment (the rest cancelled).
fn store(n: usize) -> (BigCommerceSandbox, Vec<u64>) {
    let bc = BigCommerceSandbox::new(BcSandboxConfig {
        quota: 0,
        ..BcSandboxConfig::default()
    });
    let mut chosen = Vec::new();
    for id in bc.seed_orders(60, 7) {
        let usd = bc
            .order_json(id)
            .and_then(|o| o["currency_code"].as_str().map(|c| c == "USD"))
            .unwrap_or(false);
        let status = if usd && chosen.len() < n {
            chosen.push(id);
            11
        } else {
            5
        };
        bc.set_order_status(id, status).unwrap();
    }
    assert_eq!(chosen.len(), n, "the seeded store has {n} USD orders");
    (bc, chosen)
}

/// What a run must leave: no exception, every order still awaiting fulfilment.
async fn nothing_touched(bc: &BigCommerceSandbox, orders: &[u64], state: &MemoryStateStore) {
    for id in orders {
        assert_eq!(bc.order_status(*id), Some(11), "order {id} untouched");
    }
    let exceptions = state.exceptions(&ExceptionFilter::default()).await.unwrap();
    assert!(exceptions.is_empty(), "{exceptions:?}");
}

#[tokio::test(start_paused = true)]
async fn a_dead_ledger_costs_at_most_ten_requests_and_touches_nothing() {
    let (bc, orders) = store(12);
    let qbo = QboSandbox::new(QboConfig::default());
    // bc-http's own retries, as in production (5 attempts per request).
    let (storefront, ledger) = connect(&bc, &qbo, RetryPolicy::default()).await;
    // The ledger dies after the connection was made: every request is refused.
    qbo.set_fault_plan(FaultPlan {
        seed: 9,
        error_rate: 1.0,
        ..FaultPlan::none()
    });
    qbo.faults().reset_counts();
    let state = Arc::new(MemoryStateStore::new());
    let engine = Engine::with_options(
        storefront,
        ledger,
        state.clone() as Arc<dyn StateStore>,
        Settings::from_toml_str(SETTINGS).unwrap(),
        EngineOptions::default(),
    );
    let report = engine.run(Job::Orders).await.unwrap();
    let requests = qbo.faults().counts().requests;
    println!("dead ledger: {requests} ledger requests; {report}");
    assert!(requests <= 10, "{requests} requests to a dead ledger");
    assert!(requests > 0);
    let why = report.stopped.as_deref().expect("the run stopped");
    assert!(why.contains("ledger"), "{why}");
    assert_eq!(report.done, 0);
    assert!(report.failed.is_empty(), "{report}");
    nothing_touched(&bc, &orders, &state).await;
}

#[tokio::test(start_paused = true)]
async fn an_expired_refresh_token_stops_the_run_with_one_error_naming_the_setting() {
    let (bc, orders) = store(5);
    let qbo = QboSandbox::new(QboConfig::default());
    let (storefront, ledger) = connect(&bc, &qbo, RetryPolicy::default()).await;
    // The refresh token lapses (QBO keeps one 100 days) and the access token is expired.
    qbo.advance_clock(chrono::Duration::days(101));
    qbo.expire_access_tokens();
    qbo.faults().reset_counts();
    let state = Arc::new(MemoryStateStore::new());
    let engine = Engine::with_options(
        storefront,
        ledger,
        state.clone() as Arc<dyn StateStore>,
        Settings::from_toml_str(SETTINGS).unwrap(),
        EngineOptions::default(),
    );
    let report = engine.run(Job::Orders).await.unwrap();
    let requests = qbo.faults().counts().requests;
    println!("expired refresh token: {requests} QBO requests; {report}");
    assert!(requests <= 10, "{requests} requests");
    let why = report.stopped.as_deref().expect("the run stopped");
    assert!(why.contains("refresh_token"), "names the setting: {why}");
    assert!(report.failed.is_empty(), "{report}");
    nothing_touched(&bc, &orders, &state).await;
}
