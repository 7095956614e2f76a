//! SqliteStateStore: the conformance suite, WAL, persistence across reopen, and the engine's
//! exactly-once protocol across crashes on one SQLite file.

use std::sync::Arc;

use bc_core::{Ledger, LedgerRef, Storefront};
use bc_engine::testing::{
    sample_order, test_settings, FaultPlan, FaultyLedger, FaultyStorefront, MemoryLedger,
    MemoryStorefront,
};
use bc_engine::{CrossRef, Engine, EngineOptions, EntityKind, ExceptionFilter, StateStore};
use bc_state::SqliteStateStore;
use chrono::Utc;

#[tokio::test]
async fn in_memory_store_passes_the_conformance_suite() {
    let store = SqliteStateStore::in_memory().await.unwrap();
    bc_engine::state_conformance::run_all(&store).await;
}

#[tokio::test]
async fn file_store_passes_the_conformance_suite_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStateStore::open(dir.path().join("state.sqlite"))
        .await
        .unwrap();
    assert_eq!(store.journal_mode().await.unwrap(), "wal");
    bc_engine::state_conformance::run_all(&store).await;
}

#[tokio::test]
async fn state_survives_a_reopen_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let url = format!("sqlite://{}", path.display());
    {
        let store = SqliteStateStore::connect(&url).await.unwrap();
        store
            .put_xref(&CrossRef {
                kind: EntityKind::Order,
                key: "1".into(),
                ledger: LedgerRef::new("D1").with_number("BC-1"),
                payload_hash: "h".into(),
                revision: 0,
                updated_at: Utc::now(),
            })
            .await
            .unwrap();
        store
            .set_cursor("orders", "2026-01-01T00:00:00Z")
            .await
            .unwrap();
        store.close().await;
    }
    let store = SqliteStateStore::connect(&url).await.unwrap();
    let x = store.xref(EntityKind::Order, "1").await.unwrap().unwrap();
    assert_eq!(x.ledger.number.as_deref(), Some("BC-1"));
    assert_eq!(
        store.cursor("orders").await.unwrap().as_deref(),
        Some("2026-01-01T00:00:00Z")
    );
    // A PostgreSQL URL is for bc_state::connect; the message hides the password.
    let e = SqliteStateStore::connect("postgres://u:secret@x/db")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), bc_core::ErrorKind::Config);
    assert!(!e.to_string().contains("secret"), "{e}");
    let e = SqliteStateStore::connect("mysql://x").await.unwrap_err();
    assert!(e.to_string().contains("state.url"), "{e}");
    // bc_state::connect opens the same file by URL, as a trait object.
    store_close_then_connect(&url).await;
}

/// The engine on a SQLite file, with random faults on both sides and crashes (the engine
/// future dropped at a random await point, a new engine and a new connection pool on the
/// same file): every order posted exactly once.
#[tokio::test]
async fn crashes_on_a_sqlite_file_never_duplicate_or_lose_an_order() {
    const ORDERS: u64 = 150;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let storefront = Arc::new(MemoryStorefront::new());
    storefront.add_orders((1..=ORDERS).map(|i| sample_order(i, "11", "CA State Tax")));
    let ledger = Arc::new(MemoryLedger::new());
    ledger.set_capabilities(|c| c.batch_size = 4);
    let plan = FaultPlan::new(77, 100);
    let mut crashes = 0;
    let mut finished = false;
    for _ in 0..300 {
        let state = Arc::new(SqliteStateStore::open(&path).await.unwrap());
        let engine = Engine::with_options(
            Arc::new(FaultyStorefront::new(storefront.clone(), plan.clone()))
                as Arc<dyn Storefront>,
            Arc::new(FaultyLedger::new(ledger.clone(), plan.clone())) as Arc<dyn Ledger>,
            state.clone() as Arc<dyn StateStore>,
            test_settings(""),
            EngineOptions {
                ..EngineOptions::default()
            },
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
    let state = SqliteStateStore::open(&path).await.unwrap();
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
        "sqlite: orders {ORDERS}, faults {}, crashes {crashes}, duplicated 0, lost 0",
        plan.injected()
    );
}

async fn store_close_then_connect(url: &str) {
    let store = bc_state::connect(url).await.unwrap();
    assert_eq!(
        store.cursor("orders").await.unwrap().as_deref(),
        Some("2026-01-01T00:00:00Z")
    );
    let other = bc_state::connect_as(url, "other").await.unwrap();
    assert_eq!(other.cursor("orders").await.unwrap(), None);
    assert!(bc_state::connect_as(url, "").await.is_err());
}

#[tokio::test]
async fn credentials_are_per_connection_and_swapped_once_per_generation() {
    use secrecy::{ExposeSecret, SecretString};
    let dir = tempfile::tempdir().unwrap();
    let a = SqliteStateStore::open(dir.path().join("state.sqlite"))
        .await
        .unwrap();
    // A second process's handle on the same file.
    let b = SqliteStateStore::open(dir.path().join("state.sqlite"))
        .await
        .unwrap();
    let account = "qbo:realm-1";
    assert!(a
        .swap_credentials(account, 0, &SecretString::from("g1".to_string()))
        .await
        .unwrap());
    assert!(!b
        .swap_credentials(account, 0, &SecretString::from("lost".to_string()))
        .await
        .unwrap());
    assert!(b
        .swap_credentials(account, 1, &SecretString::from("g2".to_string()))
        .await
        .unwrap());
    assert!(!a
        .swap_credentials(account, 1, &SecretString::from("stale".to_string()))
        .await
        .unwrap());
    let got = a.credentials(account).await.unwrap().unwrap();
    assert_eq!((got.generation, got.value.expose_secret()), (2, "g2"));
    let other = a.for_connection("acme").unwrap();
    assert!(other.credentials(account).await.unwrap().is_none());
}
