//! Rate budget snapshots (`bcsync status`) per connection, and workers that claim only the
//! connections they serve (`bcsync run --workers N` with some settings files). PostgreSQL
//! tests are skipped with a notice without a server.

mod common;

use std::time::Duration;

use bc_state::{AccountBudget, LeaseClock, StateDatabase};
use chrono::{TimeZone, Utc};

fn budget(account: &str, left: u32) -> AccountBudget {
    let at = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    AccountBudget {
        connection: String::new(),
        account: account.into(),
        worker: "host-w1#42".into(),
        window_limit: Some(150),
        window_ms: 30_000,
        requests_left: Some(left),
        resets_at: Some(at + chrono::Duration::seconds(12)),
        paused_until: None,
        last_429_at: Some(at - chrono::Duration::seconds(40)),
        last_429_wait_ms: Some(3_000),
        observed_at: at,
    }
}

/// Budgets are per connection, and a newer snapshot replaces an account's row.
async fn budgets_are_per_connection_and_replaced(db: StateDatabase) {
    let a = db.for_connection("A").unwrap();
    let b = db.for_connection("B").unwrap();
    assert!(
        a.budgets().await.unwrap().is_empty(),
        "none before a worker ran"
    );
    a.record_budgets(&[budget("bigcommerce:aaa", 120), budget("qbo:1", 400)])
        .await
        .unwrap();
    b.record_budgets(&[budget("bigcommerce:bbb", 7)])
        .await
        .unwrap();
    let got = a.budgets().await.unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].connection, "A");
    assert_eq!(got[0].account, "bigcommerce:aaa");
    assert_eq!(got[0].requests_left, Some(120));
    let mut want = budget("bigcommerce:aaa", 120);
    want.connection = "A".into();
    assert_eq!(got[0], want);
    // A newer snapshot replaces the account's row; B's rows are B's.
    a.record_budgets(&[budget("bigcommerce:aaa", 3)])
        .await
        .unwrap();
    let got = a.budgets().await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].requests_left, Some(3));
    let got_b = b.budgets().await.unwrap();
    assert_eq!(got_b.len(), 1);
    assert_eq!(got_b[0].account, "bigcommerce:bbb");
    assert_eq!(got_b[0].requests_left, Some(7));
    db.close().await;
}

#[tokio::test]
async fn budgets_are_per_connection_and_replaced_on_postgres() {
    let Some(store) = common::pg_store("budgets", LeaseClock::Database).await else {
        return;
    };
    budgets_are_per_connection_and_replaced(StateDatabase::Postgres(store)).await;
}

#[tokio::test]
async fn budgets_are_per_connection_and_replaced_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.sqlite").display());
    budgets_are_per_connection_and_replaced(StateDatabase::open(&url).await.unwrap()).await;
}

#[tokio::test]
async fn a_worker_claims_only_the_connections_it_serves() {
    let Some(store) = common::pg_store("claim_among", LeaseClock::Database).await else {
        return;
    };
    for c in ["A", "B", "C"] {
        store
            .for_connection(c)
            .unwrap()
            .register_units(&["orders", "refunds"])
            .await
            .unwrap();
    }
    let ttl = Duration::from_secs(60);
    let mine = vec!["A".to_string(), "C".to_string()];
    let mut claimed = Vec::new();
    while let Some(u) = store
        .claim_unit_among("w#1", ttl, Some(&mine))
        .await
        .unwrap()
    {
        claimed.push((u.connection, u.job));
    }
    claimed.sort();
    assert_eq!(
        claimed,
        vec![
            ("A".to_string(), "orders".to_string()),
            ("A".to_string(), "refunds".to_string()),
            ("C".to_string(), "orders".to_string()),
            ("C".to_string(), "refunds".to_string()),
        ]
    );
    // B's units are still there for a worker that serves B.
    let u = store
        .claim_unit("w#2", ttl)
        .await
        .unwrap()
        .expect("a unit of B");
    assert_eq!(u.connection, "B");
    store.close().await;
}

/// Units of one connection that start at once share one engine: the worker makes it once
/// (each engine holds HTTP clients, caches and a state handle; duplicates cost memory).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connections_engine_is_made_once_when_its_units_start_together() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use bc_core::{Ledger, Storefront};
    use bc_engine::testing::{test_settings, MemoryLedger, MemoryStorefront};
    use bc_engine::{Engine, EngineOptions, Job, StateStore};
    use bc_state::worker::{run_worker, WorkerOptions};

    let Some(db) = common::pg_store("engine_once", LeaseClock::Database).await else {
        return;
    };
    let jobs: Vec<&str> = Job::ALL.iter().map(|j| j.as_str()).collect();
    db.for_connection("solo")
        .unwrap()
        .register_units(&jobs)
        .await
        .unwrap();
    let made = Arc::new(AtomicUsize::new(0));
    let mut o = WorkerOptions::new("once");
    o.lease_ttl = Duration::from_secs(5);
    o.interval = Duration::from_secs(3600);
    o.retry_in = Duration::from_secs(3600);
    o.poll = Duration::from_millis(20);
    o.max_units = jobs.len();
    o.connections = Some(vec!["solo".into()]);
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let counter = Arc::clone(&made);
    let worker = tokio::spawn(run_worker(
        db.clone(),
        o,
        move |tenant| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                // Slow to connect, as a real platform is: the other units arrive meanwhile.
                tokio::time::sleep(Duration::from_millis(200)).await;
                Ok(Arc::new(Engine::with_options(
                    Arc::new(MemoryStorefront::new()) as Arc<dyn Storefront>,
                    Arc::new(MemoryLedger::new()) as Arc<dyn Ledger>,
                    Arc::new(tenant) as Arc<dyn StateStore>,
                    test_settings(""),
                    EngineOptions {
                        owner: "once".into(),
                        lease_ttl: Duration::from_secs(5),
                        ..EngineOptions::default()
                    },
                )))
            }
        },
        async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        },
    ));
    let solo = StateDatabase::Postgres(db.clone())
        .for_connection("solo")
        .unwrap();
    for _ in 0..500 {
        let s = solo.status().await.unwrap();
        if s.iter().all(|j| j.last_ok.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop_tx.send(true).unwrap();
    let summary = tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("stops")
        .unwrap()
        .unwrap();
    assert_eq!(summary.claimed, jobs.len() as u64, "{summary:?}");
    assert_eq!(made.load(Ordering::SeqCst), 1, "{summary:?}");
    assert_eq!(summary.connected, 1, "{summary:?}");
    db.close().await;
}
