//! `bc_state::worker::run_worker` on PostgreSQL with the engine's in-memory platforms: it
//! claims every connection's units, runs them on their engines under the claimed fence,
//! records each run's outcome for `bcsync status`, refuses an engine built with another
//! lease owner, and stops when asked. (The same loop in killed processes against real
//! connectors and sandboxes: tests/workers_killed.rs.)

mod common;

use std::sync::Arc;
use std::time::Duration;

use bc_core::{Ledger, Storefront};
use bc_engine::testing::{sample_order, test_settings, MemoryLedger, MemoryStorefront};
use bc_engine::{Engine, EngineOptions, Job, StateStore};
use bc_state::worker::{run_worker, WorkerOptions};
use bc_state::{LeaseClock, PostgresStateStore};
use chrono::Utc;

const ORDERS: u64 = 12;

struct Shop {
    storefront: Arc<MemoryStorefront>,
    ledger: Arc<MemoryLedger>,
}

fn shops(n: usize) -> Arc<Vec<Shop>> {
    Arc::new(
        (0..n)
            .map(|_| {
                let storefront = Arc::new(MemoryStorefront::new());
                storefront.add_orders((1..=ORDERS).map(|i| sample_order(i, "11", "CA State Tax")));
                Shop {
                    storefront,
                    ledger: Arc::new(MemoryLedger::new()),
                }
            })
            .collect(),
    )
}

fn options(identity: &str) -> WorkerOptions {
    let mut o = WorkerOptions::new(identity);
    o.lease_ttl = Duration::from_secs(5);
    o.interval = Duration::from_secs(3600);
    o.retry_in = Duration::from_secs(3600);
    o.poll = Duration::from_millis(20);
    o
}

/// An engine on `tenant` for shop `shopN`, its lease owner `owner`.
fn engine(shops: &[Shop], tenant: PostgresStateStore, owner: &str) -> Arc<Engine> {
    let c: usize = tenant.connection()["shop".len()..].parse().unwrap();
    Arc::new(Engine::with_options(
        shops[c].storefront.clone() as Arc<dyn Storefront>,
        shops[c].ledger.clone() as Arc<dyn Ledger>,
        Arc::new(tenant) as Arc<dyn StateStore>,
        test_settings(""),
        EngineOptions {
            owner: owner.to_string(),
            lease_ttl: Duration::from_secs(5),
            ..EngineOptions::default()
        },
    ))
}

async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..1_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not done within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_run_every_unit_record_outcomes_and_stop() {
    let Some(db) = common::pg_store("worker_loop", LeaseClock::Database).await else {
        return;
    };
    const CONNECTIONS: usize = 4;
    let shops = shops(CONNECTIONS);
    for c in 0..CONNECTIONS {
        db.for_connection(&format!("shop{c}"))
            .unwrap()
            .register_units(&[Job::Orders.as_str()])
            .await
            .unwrap();
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let shops = shops.clone();
            let mut stop = stop_rx.clone();
            let identity = format!("worker{w}");
            let mut o = options(&identity);
            o.max_units = 1; // one unit at a time: the two workers share the four
            tokio::spawn(run_worker(
                db.clone(),
                o,
                move |tenant| {
                    let engine = engine(&shops, tenant, &identity);
                    async move { Ok(engine) }
                },
                async move {
                    let _ = stop.wait_for(|s| *s).await;
                },
            ))
        })
        .collect();
    let all_posted = || {
        shops
            .iter()
            .all(|s| s.ledger.with(|l| l.documents.len() as u64 == ORDERS))
    };
    until(all_posted).await;
    // The last runs' outcomes are recorded just after their writes: wait for them.
    let mut recorded = 0;
    for _ in 0..500 {
        recorded = 0;
        for c in 0..CONNECTIONS {
            let t = db.for_connection(&format!("shop{c}")).unwrap();
            let s = t.status().await.unwrap();
            if s.iter().any(|j| j.job == "orders" && j.last_ok.is_some()) {
                recorded += 1;
            }
        }
        if recorded == CONNECTIONS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(recorded, CONNECTIONS);
    stop_tx.send(true).unwrap();
    let mut claimed = 0;
    let mut ok = 0;
    for w in workers {
        let s = tokio::time::timeout(Duration::from_secs(10), w)
            .await
            .expect("stops when asked")
            .unwrap()
            .unwrap();
        assert_eq!((s.failed, s.lost), (0, 0), "{s:?}");
        claimed += s.claimed;
        ok += s.ok;
    }
    assert_eq!(
        claimed, CONNECTIONS as u64,
        "each unit once (not due again for an hour)"
    );
    assert_eq!(ok, CONNECTIONS as u64);
    for (c, shop) in shops.iter().enumerate() {
        shop.ledger.with(|l| {
            for i in 1..=ORDERS {
                assert_eq!(
                    l.documents_for(&format!("BC1{i}")).len(),
                    1,
                    "shop{c} order {i}"
                );
            }
        });
        let status = db
            .for_connection(&format!("shop{c}"))
            .unwrap()
            .status()
            .await
            .unwrap();
        let orders = status.iter().find(|j| j.job == "orders").unwrap();
        assert_eq!(orders.last_ok, Some(true));
        let line = orders.last_result.as_deref().unwrap();
        assert!(line.contains(&format!("done {ORDERS}")), "{line}");
        let worker = orders.last_worker.as_deref().unwrap();
        assert!(worker.starts_with("worker"), "{worker}");
        assert!(orders.last_run.is_some());
        assert!(orders.due_at > orders.last_run, "due again in an hour");
        assert_eq!(orders.lease_holder(Utc::now()), None, "released");
        // Jobs without a unit have no unit fields.
        let refunds = status.iter().find(|j| j.job == "refunds").unwrap();
        assert_eq!(
            (refunds.last_ok, refunds.due_at.is_none()),
            (None, true),
            "no unit"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_with_another_lease_owner_is_a_failed_run_that_writes_nothing() {
    let Some(db) = common::pg_store("worker_owner", LeaseClock::Database).await else {
        return;
    };
    let shops = shops(1);
    let tenant = db.for_connection("shop0").unwrap();
    tenant
        .register_units(&[Job::Orders.as_str()])
        .await
        .unwrap();
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let worker = {
        let shops = shops.clone();
        tokio::spawn(run_worker(
            db.clone(),
            options("right"),
            move |tenant| {
                let engine = engine(&shops, tenant, "wrong");
                async move { Ok(engine) }
            },
            async move {
                let _ = stop_rx.wait_for(|s| *s).await;
            },
        ))
    };
    let mut status = Vec::new();
    for _ in 0..500 {
        status = tenant.status().await.unwrap();
        if status
            .iter()
            .any(|j| j.job == "orders" && j.last_ok.is_some())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop_tx.send(true).unwrap();
    let summary = worker.await.unwrap().unwrap();
    assert_eq!((summary.claimed, summary.failed), (1, 1), "{summary:?}");
    let orders = status.iter().find(|j| j.job == "orders").unwrap();
    assert_eq!(orders.last_ok, Some(false));
    let line = orders.last_result.as_deref().unwrap();
    assert!(line.contains("EngineOptions::owner"), "{line}");
    shops[0]
        .ledger
        .with(|l| assert!(l.documents.is_empty(), "nothing written"));
}

#[tokio::test]
async fn unusable_options_are_refused() {
    let Some(db) = common::pg_store("worker_options", LeaseClock::Database).await else {
        return;
    };
    for identity in ["", "a#b"] {
        let e = run_worker(
            db.clone(),
            options(identity),
            |_tenant| async { Err::<Arc<Engine>, _>(bc_core::Error::config("x", "unused")) },
            async {},
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("identity"), "{e}");
    }
}
