//! PostgresStateStore against a real server (`BCSYNC_TEST_POSTGRES_URL`; skipped with a
//! notice without one): the conformance suite, the database clock for leases, work units
//! claimed with SKIP LOCKED, and `bcsync status`'s read.

mod common;

use std::time::{Duration, Instant};

use bc_core::{IssueCode, MappingIssue};
use bc_engine::state::{is_lease_lost, Intent, StateOp};
use bc_engine::{EntityKind, ExceptionReason, StateStore, WriteKey};
use bc_state::LeaseClock;
use chrono::{TimeZone, Utc};

#[tokio::test]
async fn postgres_store_passes_the_conformance_suite() {
    // The suite decides lease expiry with times of its own (2023): the caller's clock.
    let Some(store) = common::pg_store("conformance", LeaseClock::Caller).await else {
        return;
    };
    let started = Instant::now();
    bc_engine::state_conformance::run_all(&store).await;
    println!("postgres conformance: {:?}", started.elapsed());
    // The same suite on another connection of the same database: it starts empty there.
    bc_engine::state_conformance::run_all(&store.for_connection("second").unwrap()).await;
}

#[tokio::test]
async fn the_suite_without_leases_passes_on_the_database_clock() {
    let Some(store) = common::pg_store("conformance_db", LeaseClock::Database).await else {
        return;
    };
    use bc_engine::state_conformance as suite;
    suite::xrefs(&store).await;
    suite::cursors(&store).await;
    suite::journal(&store).await;
    suite::exceptions(&store).await;
    suite::connector_log(&store).await;
    suite::inventory(&store).await;
}

#[tokio::test]
async fn leases_follow_the_database_clock_not_the_workers() {
    let Some(store) = common::pg_store("db_clock", LeaseClock::Database).await else {
        return;
    };
    let past = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    let future = Utc.with_ymd_and_hms(3000, 1, 1, 0, 0, 0).unwrap();
    let db_now = store.database_now().await.unwrap();
    // A worker whose clock is 26 years slow still gets an hour by the database's clock.
    let f1 = store
        .acquire_lease("job:orders", "slow", past, Duration::from_secs(3600))
        .await
        .unwrap()
        .unwrap();
    let l = store.lease("job:orders").await.unwrap().unwrap();
    let hour = chrono::Duration::seconds(3600);
    assert!(l.expires_at >= db_now + hour && l.expires_at < db_now + hour * 2);
    // A worker whose clock is centuries fast cannot take it.
    assert!(store
        .acquire_lease("job:orders", "fast", future, Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .renew_lease(&f1, past, Duration::from_millis(200))
        .await
        .unwrap());
    // After 200 ms of the database's time it is free, whatever the caller says.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let f2 = store
        .acquire_lease("job:orders", "fast", past, Duration::from_secs(60))
        .await
        .unwrap()
        .expect("expired by the database's clock");
    assert_eq!(f2.token, f1.token + 1);
    assert!(!store
        .renew_lease(&f1, Utc::now(), Duration::from_secs(60))
        .await
        .unwrap());
    let refused = store
        .commit(
            Some(&f1),
            &[StateOp::SetCursor {
                job: "orders".into(),
                value: "stale".into(),
            }],
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert!(is_lease_lost(&refused));
    // A restarted worker takes over from its dead predecessor at once.
    let f3 = store
        .take_over_lease(
            "job:orders",
            "fast",
            "fast-2",
            past,
            Duration::from_secs(60),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f3.token, f2.token + 1);
    assert!(store.release_lease(&f3).await.unwrap());
    let f4 = store
        .acquire_lease("job:orders", "w", past, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f4.token, f3.token + 1, "a released lease keeps its token");
}

#[tokio::test]
async fn connect_picks_postgres_by_url() {
    let Some(url) = common::pg_url() else { return };
    // The default search_path (public) of the test database: use a connection name of its
    // own so that parallel runs do not meet.
    let name = format!("url-{}", std::process::id());
    let store = bc_state::connect_as(&url, &name).await.unwrap();
    store.set_cursor("orders", "by-url").await.unwrap();
    let again = bc_state::StateDatabase::open(&url)
        .await
        .unwrap()
        .for_connection(&name)
        .unwrap();
    assert!(matches!(again, bc_state::StateDatabase::Postgres(_)));
    assert_eq!(
        again.store().cursor("orders").await.unwrap().as_deref(),
        Some("by-url")
    );
    let e = bc_state::connect("postgres://nobody:secret@127.0.0.1:1/none")
        .await
        .err()
        .expect("no server there");
    assert!(!e.to_string().contains("secret"), "{e}");
}

#[tokio::test]
async fn units_are_claimed_once_and_come_back_when_their_worker_dies() {
    let Some(db) = common::pg_store("units", LeaseClock::Database).await else {
        return;
    };
    db.for_connection("acme")
        .unwrap()
        .register_units(&["orders"])
        .await
        .unwrap();
    let ttl = Duration::from_millis(300);
    let first = db.claim_unit("w1", ttl).await.unwrap().expect("a due unit");
    assert_eq!(
        (first.connection.as_str(), first.job.as_str()),
        ("acme", "orders")
    );
    assert_eq!(first.fence.lease, "job:orders");
    assert!(db.claim_unit("w2", ttl).await.unwrap().is_none(), "held");
    // w1 dies: at expiry (the database's clock) w2 gets the unit with a larger token.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let second = db.claim_unit("w2", ttl).await.unwrap().expect("expired");
    assert_eq!(second.fence.token, first.fence.token + 1);
    assert!(!db.complete_unit(&first, Duration::ZERO).await.unwrap());
    // w2 finishes: not due for an hour, lease released.
    assert!(db
        .complete_unit(&second, Duration::from_secs(3600))
        .await
        .unwrap());
    assert!(db.claim_unit("w3", ttl).await.unwrap().is_none(), "not due");
    let acme = db.for_connection("acme").unwrap();
    let l = acme.lease("job:orders").await.unwrap().unwrap();
    assert_eq!((l.owner.as_str(), l.token), ("", second.fence.token));
}

#[tokio::test]
async fn status_shows_each_job_of_a_connection() {
    let Some(db) = common::pg_store("status", LeaseClock::Database).await else {
        return;
    };
    let acme = db.for_connection("acme").unwrap();
    acme.register_units(&["orders", "refunds"]).await.unwrap();
    acme.set_cursor("orders", "2026-03-01T00:00:00Z")
        .await
        .unwrap();
    let unmapped = ExceptionReason::Mapping {
        issue: MappingIssue::new(None, IssueCode::UnmappedTaxZone, Some("tax_map"), "Mars"),
    };
    let http = ExceptionReason::Error {
        kind: "unavailable".into(),
        temporary: true,
        message: "502".into(),
    };
    acme.record_exception(
        EntityKind::Order,
        "1",
        std::slice::from_ref(&unmapped),
        Utc::now(),
    )
    .await
    .unwrap();
    acme.record_exception(
        EntityKind::Order,
        "2",
        &[unmapped, http.clone()],
        Utc::now(),
    )
    .await
    .unwrap();
    acme.record_exception(EntityKind::Refund, "r1", &[http], Utc::now())
        .await
        .unwrap();
    let globex = db.for_connection("globex").unwrap();
    globex.register_units(&["orders"]).await.unwrap();
    let mut claimed = Vec::new();
    while let Some(u) = db.claim_unit("w1", Duration::from_secs(60)).await.unwrap() {
        claimed.push(u);
    }
    assert_eq!(claimed.len(), 3);
    let refunds = claimed
        .iter()
        .find(|u| u.connection == "acme" && u.job == "refunds")
        .unwrap();
    assert!(db
        .complete_unit(refunds, Duration::from_secs(600))
        .await
        .unwrap());
    let status = acme.status().await.unwrap();
    assert_eq!(status.len(), bc_engine::Job::ALL.len());
    let orders = status.iter().find(|s| s.job == "orders").unwrap();
    assert_eq!(orders.connection, "acme");
    assert_eq!(orders.cursor.as_deref(), Some("2026-03-01T00:00:00Z"));
    assert_eq!(orders.lease.as_ref().map(|l| l.owner.as_str()), Some("w1"));
    assert_eq!(orders.last_run, None);
    assert_eq!(orders.open_exceptions.get("unmapped_tax_zone"), Some(&2));
    assert_eq!(orders.open_exceptions.get("unavailable"), Some(&1));
    let refunds = status.iter().find(|s| s.job == "refunds").unwrap();
    assert!(refunds.lease.is_none(), "released");
    assert!(refunds.last_run.is_some());
    assert!(refunds.due_at > refunds.last_run);
    assert_eq!(refunds.open_exceptions.get("unavailable"), Some(&1));
    let all = db.status_all().await.unwrap();
    assert_eq!(all.len(), 2 * bc_engine::Job::ALL.len());
    let g = all
        .iter()
        .find(|s| s.connection == "globex" && s.job == "orders")
        .unwrap();
    assert!(g.open_exceptions.is_empty() && g.cursor.is_none());
}

/// Figures: batched fenced intents and group commits per second on loopback.
#[tokio::test]
async fn journal_throughput_figures() {
    let Some(store) = common::pg_store("throughput", LeaseClock::Database).await else {
        return;
    };
    let fence = store
        .acquire_lease("job:orders", "bench", Utc::now(), Duration::from_secs(600))
        .await
        .unwrap()
        .unwrap();
    const N: u32 = 2_000;
    const BATCH: u32 = 50;
    let started = Instant::now();
    for b in 0..N / BATCH {
        let intents: Vec<Intent> = (0..BATCH)
            .map(|i| Intent {
                key: WriteKey::new(EntityKind::Order, "post", format!("P{}", b * BATCH + i), 0),
                payload_hash: "h".into(),
            })
            .collect();
        store
            .journal_intents(Some(&fence), &intents, Utc::now())
            .await
            .unwrap();
        let ops: Vec<StateOp> = intents
            .iter()
            .map(|i| StateOp::Done {
                key: i.key.clone(),
                at: bc_core::LedgerRef::new(i.key.key.clone()),
                payload_hash: "h".into(),
            })
            .collect();
        store.commit(Some(&fence), &ops, Utc::now()).await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "postgres journal: {N} writes (intent + done) in batches of {BATCH}: {:.0} writes/s",
        f64::from(N) / secs
    );
    assert!(store.journal_pending().await.unwrap().is_empty());
}

#[tokio::test]
async fn credentials_swap_has_one_winner_among_racing_workers() {
    use secrecy::{ExposeSecret, SecretString};
    let Some(store) = common::pg_store("creds", LeaseClock::Database).await else {
        return;
    };
    let account = "bigcommerce:store-1";
    assert!(store
        .swap_credentials(account, 0, &SecretString::from("g1".to_string()))
        .await
        .unwrap());
    // Eight workers read generation 1 and all try to store their refreshed set.
    let mut tasks = Vec::new();
    for w in 0..8 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let v = SecretString::from(format!("from-{w}"));
            s.swap_credentials(account, 1, &v).await.unwrap()
        }));
    }
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.unwrap());
    }
    assert_eq!(winners, 1);
    let got = store.credentials(account).await.unwrap().unwrap();
    assert_eq!(got.generation, 2);
    assert!(got.value.expose_secret().starts_with("from-"));
    // Another connection of the same database sees nothing and cannot swap this one's.
    let other = store.for_connection("other").unwrap();
    assert!(other.credentials(account).await.unwrap().is_none());
    assert!(!other
        .swap_credentials(account, 2, &SecretString::from("x".to_string()))
        .await
        .unwrap());
    assert_eq!(
        store
            .credentials(account)
            .await
            .unwrap()
            .unwrap()
            .generation,
        2
    );
}
