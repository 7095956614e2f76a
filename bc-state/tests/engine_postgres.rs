//! The engine on PostgreSQL: its exactly-once protocol across crashes, and workers that claim
//! (connection, job) units and run the engine's job under the claimed lease.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bc_core::{Ledger, Storefront};
use bc_engine::testing::{
    sample_order, test_settings, FaultPlan, FaultyLedger, FaultyStorefront, MemoryLedger,
    MemoryStorefront,
};
use bc_engine::{Engine, EngineOptions, EntityKind, ExceptionFilter, Job, StateStore};
use bc_state::{LeaseClock, PostgresStateStore};

/// As the SQLite test of the same name: random faults on both sides, the engine dropped at a
/// random await point ten times, a new pool each time: every order posted exactly once.
#[tokio::test]
async fn crashes_on_postgres_never_duplicate_or_lose_an_order() {
    let Some(url) = common::pg_url() else { return };
    const ORDERS: u64 = 80;
    let schema = common::schema_for("engine_crash");
    let options = common::pg_options(&schema, LeaseClock::Database);
    let storefront = Arc::new(MemoryStorefront::new());
    storefront.add_orders((1..=ORDERS).map(|i| sample_order(i, "11", "CA State Tax")));
    let ledger = Arc::new(MemoryLedger::new());
    ledger.set_capabilities(|c| c.batch_size = 4);
    let plan = FaultPlan::new(91, 100);
    let mut crashes = 0;
    let mut finished = false;
    for _ in 0..300 {
        let state = Arc::new(
            PostgresStateStore::connect_with(&url, &options)
                .await
                .unwrap(),
        );
        let engine = Engine::with_options(
            Arc::new(FaultyStorefront::new(storefront.clone(), plan.clone()))
                as Arc<dyn Storefront>,
            Arc::new(FaultyLedger::new(ledger.clone(), plan.clone())) as Arc<dyn Ledger>,
            state.clone() as Arc<dyn StateStore>,
            test_settings(""),
            EngineOptions::default(),
        );
        if crashes < 10 {
            plan.crash_after_calls(1 + plan.next_below(25));
        } else {
            plan.crash_after_calls(u64::MAX / 2);
        }
        tokio::select! {
            r = engine.sync_orders() => {
                let all = (1..=ORDERS).all(|i| storefront.status_of(&i.to_string()).map(|s| s.0) == Some("10".into()));
                if matches!(r, Ok(ref rep) if rep.is_clean()) && all && crashes >= 10 {
                    finished = true;
                }
            }
            _ = plan.crashed() => crashes += 1,
        }
        drop(engine);
        state.close().await;
        if finished {
            break;
        }
    }
    assert!(finished, "did not converge");
    ledger.with(|l| {
        assert_eq!(l.documents.len() as u64, ORDERS);
        for i in 1..=ORDERS {
            assert_eq!(l.documents_for(&format!("BC1{i}")).len(), 1, "order {i}");
        }
    });
    let state = PostgresStateStore::connect_with(&url, &options)
        .await
        .unwrap();
    assert!(state
        .exceptions(&ExceptionFilter::open(EntityKind::Order))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        state.xrefs(EntityKind::Order).await.unwrap().len() as u64,
        ORDERS
    );
    println!(
        "postgres: orders {ORDERS}, faults {}, crashes {crashes}, duplicated 0, lost 0",
        plan.injected()
    );
}

/// Two workers share three connections' `orders` units: each claims a unit with its engine's
/// lease owner, runs the job under that lease (the engine renews it as its owner) and
/// completes the unit. Every connection's orders land in its own ledger, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_run_claimed_units_through_the_engine() {
    let Some(url) = common::pg_url() else { return };
    const CONNECTIONS: usize = 3;
    const ORDERS: u64 = 25;
    let schema = common::schema_for("engine_units");
    let options = common::pg_options(&schema, LeaseClock::Database);
    let db = PostgresStateStore::connect_with(&url, &options)
        .await
        .unwrap();
    let mut shops = Vec::new();
    for c in 0..CONNECTIONS {
        let storefront = Arc::new(MemoryStorefront::new());
        storefront.add_orders((1..=ORDERS).map(|i| sample_order(i, "11", "CA State Tax")));
        let ledger = Arc::new(MemoryLedger::new());
        db.for_connection(&format!("shop{c}"))
            .unwrap()
            .register_units(&[Job::Orders.as_str()])
            .await
            .unwrap();
        shops.push((storefront, ledger));
    }
    let shops = Arc::new(shops);
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let db = db.clone();
            let shops = shops.clone();
            tokio::spawn(async move {
                let mut ran = Vec::new();
                let mut idle = 0;
                while idle < 20 {
                    let identity = format!("worker{w}");
                    let owner = format!("{identity}#{}", std::process::id());
                    let Some(unit) = db
                        .claim_unit(&owner, Duration::from_secs(30))
                        .await
                        .unwrap()
                    else {
                        idle += 1;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    idle = 0;
                    let c: usize = unit.connection["shop".len()..].parse().unwrap();
                    let (storefront, ledger) = &shops[c];
                    let engine = Engine::with_options(
                        storefront.clone() as Arc<dyn Storefront>,
                        ledger.clone() as Arc<dyn Ledger>,
                        Arc::new(db.for_connection(&unit.connection).unwrap())
                            as Arc<dyn StateStore>,
                        test_settings(""),
                        EngineOptions {
                            owner: identity,
                            lease_ttl: Duration::from_secs(30),
                            ..EngineOptions::default()
                        },
                    );
                    assert_eq!(engine.lease_owner(), owner);
                    let report = engine.run(Job::Orders).await.unwrap();
                    assert!(report.is_clean(), "{report:?}");
                    assert!(db
                        .complete_unit(&unit, Duration::from_secs(3600))
                        .await
                        .unwrap());
                    ran.push((unit.connection, unit.fence.token));
                }
                ran
            })
        })
        .collect();
    let mut ran = Vec::new();
    for w in workers {
        ran.extend(w.await.unwrap());
    }
    ran.sort();
    assert_eq!(
        ran.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        vec!["shop0", "shop1", "shop2"],
        "each unit ran once (then it is not due for an hour)"
    );
    for (c, (_, ledger)) in shops.iter().enumerate() {
        ledger.with(|l| {
            assert_eq!(l.documents.len() as u64, ORDERS, "shop{c}");
        });
        let tenant = db.for_connection(&format!("shop{c}")).unwrap();
        assert_eq!(
            tenant.xrefs(EntityKind::Order).await.unwrap().len() as u64,
            ORDERS
        );
        let status = tenant.status().await.unwrap();
        let orders = status.iter().find(|s| s.job == "orders").unwrap();
        assert!(orders.last_run.is_some() && orders.lease.is_none());
    }
}
