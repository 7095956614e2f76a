//! Tenants: two connections on one database (SQLite file, PostgreSQL) never see nor change
//! each other's rows, through every StateStore method.

mod common;

use std::time::Duration;

use bc_core::{IssueCode, LedgerRef, MappingIssue, Sku};
use bc_engine::state::{is_lease_lost, Intent, StateOp};
use bc_engine::{
    CrossRef, Direction, EntityKind, ExceptionFilter, ExceptionReason, LogEntry, LogQuery, Outcome,
    StateStore, WriteKey,
};
use bc_state::{LeaseClock, SqliteStateStore};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
}

fn xref(key: &str, ledger: &str) -> CrossRef {
    CrossRef {
        kind: EntityKind::Order,
        key: key.into(),
        ledger: LedgerRef::new(ledger),
        payload_hash: format!("h-{ledger}"),
        revision: 0,
        updated_at: t(0),
    }
}

/// Writes through `a` with every write method, then checks that `b` reads nothing of it and
/// that `b`'s writes to the same keys leave `a`'s rows as they were.
async fn isolated(a: &dyn StateStore, b: &dyn StateStore) {
    let ttl = Duration::from_secs(3600);
    let key = WriteKey::new(EntityKind::Order, "post", "T-1", 0);
    // --- a writes everything ---
    a.put_xref(&xref("T-1", "A-77")).await.unwrap();
    a.set_cursor("orders", "a-cursor").await.unwrap();
    let fa = a
        .acquire_lease("job:orders", "worker-a", t(0), ttl)
        .await
        .unwrap()
        .expect("a takes its lease");
    a.journal_intents(
        Some(&fa),
        &[Intent {
            key: key.clone(),
            payload_hash: "ha".into(),
        }],
        t(1),
    )
    .await
    .unwrap();
    let k2 = WriteKey::new(EntityKind::Refund, "credit_memo", "T-2", 0);
    a.journal_intent(&k2, "ha2", t(1)).await.unwrap();
    let reasons = [ExceptionReason::Mapping {
        issue: MappingIssue::new(None, IssueCode::UnknownItem, Some("items"), "no item"),
    }];
    a.record_exception(EntityKind::Order, "T-1", &reasons, t(2))
        .await
        .unwrap();
    a.commit(
        Some(&fa),
        &[
            StateOp::Log(LogEntry {
                at: t(3),
                job: "orders".into(),
                entity: EntityKind::Order,
                key: "T-1".into(),
                direction: Direction::ToLedger,
                outcome: Outcome::Done,
                message: "a".into(),
            }),
            StateOp::SetCursor {
                job: "refunds".into(),
                value: "a-r".into(),
            },
        ],
        t(3),
    )
    .await
    .unwrap();
    a.set_last_pushed(&[(Sku::new("SKU-T"), Decimal::new(5, 0))])
        .await
        .unwrap();

    // --- b reads nothing of it ---
    assert_eq!(b.xref(EntityKind::Order, "T-1").await.unwrap(), None);
    assert_eq!(
        b.xref_by_ledger(EntityKind::Order, "A-77").await.unwrap(),
        None
    );
    assert!(b.xrefs(EntityKind::Order).await.unwrap().is_empty());
    assert_eq!(b.cursor("orders").await.unwrap(), None);
    assert_eq!(b.cursor("refunds").await.unwrap(), None);
    assert_eq!(b.journal(&key).await.unwrap(), None);
    assert!(b.journal_pending().await.unwrap().is_empty());
    assert_eq!(b.exception(EntityKind::Order, "T-1").await.unwrap(), None);
    assert!(b
        .exceptions(&ExceptionFilter::default())
        .await
        .unwrap()
        .is_empty());
    assert!(b.search_log(&LogQuery::default()).await.unwrap().is_empty());
    assert!(b.last_pushed().await.unwrap().is_empty());
    assert_eq!(b.lease("job:orders").await.unwrap(), None);
    assert!(b.leases().await.unwrap().is_empty());

    // --- b cannot change a's rows through a's names ---
    assert!(!b.resolve_exception(EntityKind::Order, "T-1").await.unwrap());
    assert!(!b.request_retry(EntityKind::Order, "T-1").await.unwrap());
    assert!(!b.release_lease(&fa).await.unwrap());
    assert!(!b.renew_lease(&fa, t(4), ttl).await.unwrap());
    assert_eq!(
        b.take_over_lease("job:orders", "worker-a", "worker-b", t(4), ttl)
            .await
            .unwrap(),
        None
    );
    let refused = b
        .commit(
            Some(&fa),
            &[StateOp::SetCursor {
                job: "orders".into(),
                value: "stolen".into(),
            }],
            t(4),
        )
        .await
        .expect_err("a's fence means nothing in b");
    assert!(is_lease_lost(&refused), "{refused}");
    let refused = b
        .journal_intents(
            Some(&fa),
            &[Intent {
                key: key.clone(),
                payload_hash: "hb".into(),
            }],
            t(4),
        )
        .await
        .expect_err("a's fence means nothing in b");
    assert!(is_lease_lost(&refused));

    // --- b writes the same keys: its own rows ---
    b.put_xref(&xref("T-1", "B-88")).await.unwrap();
    b.set_cursor("orders", "b-cursor").await.unwrap();
    let fb = b
        .acquire_lease("job:orders", "worker-b", t(5), ttl)
        .await
        .unwrap()
        .expect("b's lease is its own, free although a holds its namesake");
    assert!(b.journal_intent(&key, "hb", t(5)).await.unwrap().is_none());
    b.journal_done(&key, &LedgerRef::new("B-88"), t(6))
        .await
        .unwrap();
    b.journal_failed(&k2, "b refused", t(6)).await.unwrap();
    b.record_exception(EntityKind::Order, "T-1", &reasons, t(6))
        .await
        .unwrap();
    b.resolve_exception(EntityKind::Order, "T-1").await.unwrap();
    b.set_last_pushed(&[(Sku::new("SKU-T"), Decimal::new(9, 0))])
        .await
        .unwrap();
    b.commit(
        Some(&fb),
        &[StateOp::ResolveException {
            entity: EntityKind::Order,
            key: "T-1".into(),
        }],
        t(7),
    )
    .await
    .unwrap();

    // --- a's rows are as a left them ---
    assert_eq!(
        a.xref(EntityKind::Order, "T-1")
            .await
            .unwrap()
            .unwrap()
            .ledger,
        LedgerRef::new("A-77")
    );
    assert_eq!(
        a.xref_by_ledger(EntityKind::Order, "B-88").await.unwrap(),
        None
    );
    assert_eq!(
        a.cursor("orders").await.unwrap().as_deref(),
        Some("a-cursor")
    );
    assert_eq!(
        a.journal(&key).await.unwrap().unwrap().state,
        bc_engine::WriteState::Intent
    );
    assert_eq!(
        a.journal(&k2).await.unwrap().unwrap().state,
        bc_engine::WriteState::Intent
    );
    assert_eq!(a.journal_pending().await.unwrap().len(), 2);
    let e = a
        .exception(EntityKind::Order, "T-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.status, bc_engine::ExceptionStatus::Open);
    assert_eq!(e.attempts, 1);
    assert_eq!(
        a.last_pushed().await.unwrap().get(&Sku::new("SKU-T")),
        Some(&Decimal::new(5, 0))
    );
    let la = a.lease("job:orders").await.unwrap().unwrap();
    assert_eq!((la.owner.as_str(), la.token), ("worker-a", fa.token));
    assert_eq!(a.search_log(&LogQuery::default()).await.unwrap().len(), 1);
    assert_eq!(b.search_log(&LogQuery::default()).await.unwrap().len(), 0);
    assert_eq!(b.leases().await.unwrap().len(), 1);
}

#[tokio::test]
async fn two_connections_on_one_sqlite_file_are_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStateStore::open(dir.path().join("state.sqlite"))
        .await
        .unwrap();
    let acme = db.for_connection("acme").unwrap();
    let globex = db.for_connection("globex").unwrap();
    isolated(&acme, &globex).await;
    // Both ways round, on fresh names.
    let a2 = db.for_connection("a2").unwrap();
    let b2 = db.for_connection("b2").unwrap();
    isolated(&b2, &a2).await;
    let mut names = db.connections().await.unwrap();
    names.sort();
    assert_eq!(names, vec!["a2", "acme", "b2", "globex"]);
    // The default connection saw nothing.
    assert!(db.xrefs(EntityKind::Order).await.unwrap().is_empty());
    assert!(db.for_connection("bad name").is_err());
}

#[tokio::test]
async fn two_connections_on_one_postgres_database_are_isolated() {
    let Some(db) = common::pg_store("tenants", LeaseClock::Caller).await else {
        return;
    };
    let acme = db.for_connection("acme").unwrap();
    let globex = db.for_connection("globex").unwrap();
    isolated(&acme, &globex).await;
    let a2 = db.for_connection("a2").unwrap();
    let b2 = db.for_connection("b2").unwrap();
    isolated(&b2, &a2).await;
    let names = db.connections().await.unwrap();
    assert_eq!(names, vec!["a2", "acme", "b2", "globex"]);
    assert!(db.xrefs(EntityKind::Order).await.unwrap().is_empty());
    // Through bc_state::connect_as as well (the database clock this time).
    let url = common::pg_url().unwrap();
    let schema = common::schema_for("tenants_url");
    let base = bc_state::PostgresStateStore::connect_with(
        &url,
        &common::pg_options(&schema, LeaseClock::Database),
    )
    .await
    .unwrap();
    isolated(
        &base.for_connection("x").unwrap(),
        &base.for_connection("y").unwrap(),
    )
    .await;
}
