//! The behaviour every [`StateStore`] must have, as plain async test functions (the way
//! object_store's `integration` module works): call [`run_all`] from your store's tests.
//!
//! The functions panic (with `assert!`) on a failure, like any test. Each uses keys of its own,
//! so they may run against one store, but the store should start empty.

use std::time::Duration;

use bc_core::{IssueCode, LedgerRef, MappingIssue, OrderId, Sku};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::state::{
    is_lease_lost, CrossRef, Direction, EntityKind, ExceptionFilter, ExceptionReason,
    ExceptionStatus, Intent, LogEntry, LogQuery, Outcome, StateOp, StateStore, WriteKey,
    WriteState,
};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Runs every check.
pub async fn run_all(store: &dyn StateStore) {
    xrefs(store).await;
    cursors(store).await;
    journal(store).await;
    batches(store).await;
    exceptions(store).await;
    connector_log(store).await;
    inventory(store).await;
    leases(store).await;
    fencing(store).await;
    credentials(store).await;
}

/// Credentials: nothing stored at first; compare-and-swap from generation 0; a stale
/// generation is refused and stores nothing; accounts are independent.
pub async fn credentials(store: &dyn StateStore) {
    use secrecy::{ExposeSecret, SecretString};
    let account = "conformance:tokens";
    assert!(store.credentials(account).await.unwrap().is_none());
    let first = SecretString::from("first-set".to_string());
    assert!(!store.swap_credentials(account, 3, &first).await.unwrap());
    assert!(store.credentials(account).await.unwrap().is_none());
    assert!(store.swap_credentials(account, 0, &first).await.unwrap());
    let got = store.credentials(account).await.unwrap().unwrap();
    assert_eq!(got.generation, 1);
    assert_eq!(got.value.expose_secret(), "first-set");
    assert!(!format!("{got:?}").contains("first-set"));
    let second = SecretString::from("second-set".to_string());
    assert!(!store.swap_credentials(account, 0, &second).await.unwrap());
    assert!(store.swap_credentials(account, 1, &second).await.unwrap());
    let got = store.credentials(account).await.unwrap().unwrap();
    assert_eq!(
        (got.generation, got.value.expose_secret()),
        (2, "second-set")
    );
    assert!(store
        .credentials("conformance:other")
        .await
        .unwrap()
        .is_none());
}

/// Cross-references: put, get, replace, find by ledger id, list by kind.
pub async fn xrefs(store: &dyn StateStore) {
    let x = CrossRef {
        kind: EntityKind::Order,
        key: "x-1001".into(),
        ledger: LedgerRef::new("77")
            .with_number("BC-1001")
            .with_version("0"),
        payload_hash: "h1".into(),
        revision: 0,
        updated_at: t(0),
    };
    assert_eq!(store.xref(EntityKind::Order, "x-1001").await.unwrap(), None);
    store.put_xref(&x).await.unwrap();
    assert_eq!(
        store.xref(EntityKind::Order, "x-1001").await.unwrap(),
        Some(x.clone())
    );
    // Same key, other kind: distinct.
    assert_eq!(
        store.xref(EntityKind::Refund, "x-1001").await.unwrap(),
        None
    );
    let mut y = x.clone();
    y.payload_hash = "h2".into();
    y.revision = 1;
    y.ledger.version = Some("1".into());
    y.updated_at = t(10);
    store.put_xref(&y).await.unwrap();
    assert_eq!(
        store.xref(EntityKind::Order, "x-1001").await.unwrap(),
        Some(y.clone())
    );
    assert_eq!(
        store
            .xref_by_ledger(EntityKind::Order, "77")
            .await
            .unwrap()
            .map(|x| x.key),
        Some("x-1001".to_string())
    );
    assert_eq!(
        store.xref_by_ledger(EntityKind::Order, "78").await.unwrap(),
        None
    );
    let z = CrossRef {
        kind: EntityKind::Shipment,
        key: "x-ship-1".into(),
        ledger: LedgerRef::new("s1"),
        payload_hash: String::new(),
        revision: 0,
        updated_at: t(0),
    };
    store.put_xref(&z).await.unwrap();
    let ships = store.xrefs(EntityKind::Shipment).await.unwrap();
    assert!(ships.iter().any(|s| s.key == "x-ship-1"));
    assert!(ships.iter().all(|s| s.kind == EntityKind::Shipment));
}

/// Cursors: absent, set, replaced, per job.
pub async fn cursors(store: &dyn StateStore) {
    assert_eq!(store.cursor("conf-orders").await.unwrap(), None);
    store.set_cursor("conf-orders", "2024-01-01").await.unwrap();
    store.set_cursor("conf-refunds", "r9").await.unwrap();
    store.set_cursor("conf-orders", "2024-02-01").await.unwrap();
    assert_eq!(
        store.cursor("conf-orders").await.unwrap().as_deref(),
        Some("2024-02-01")
    );
    assert_eq!(
        store.cursor("conf-refunds").await.unwrap().as_deref(),
        Some("r9")
    );
}

/// The write journal: intent is idempotent and never overwrites done; pending lists intents.
pub async fn journal(store: &dyn StateStore) {
    let k = WriteKey::new(EntityKind::Order, "post", "CNF1001", 0);
    let k2 = WriteKey::new(EntityKind::Order, "post", "CNF1001", 1);
    let k3 = WriteKey::new(EntityKind::Refund, "credit_memo", "CNF1002", 0);
    assert_eq!(store.journal(&k).await.unwrap(), None);
    assert_eq!(
        store.journal_intent(&k, "hash-a", t(0)).await.unwrap(),
        None
    );
    let r = store.journal(&k).await.unwrap().unwrap();
    assert_eq!(r.state, WriteState::Intent);
    assert_eq!(r.payload_hash, "hash-a");
    // A second intent returns the first record (unknown outcome) and leaves it unchanged.
    let again = store
        .journal_intent(&k, "hash-b", t(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.state, WriteState::Intent);
    assert_eq!(again.payload_hash, "hash-a");
    assert_eq!(again.created_at, t(0));
    assert_eq!(
        store.journal(&k).await.unwrap().unwrap().payload_hash,
        "hash-a"
    );
    store.journal_intent(&k2, "hash-c", t(1)).await.unwrap();
    store.journal_intent(&k3, "hash-d", t(2)).await.unwrap();
    let pending: Vec<WriteKey> = store
        .journal_pending()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .filter(|k| k.key.starts_with("CNF"))
        .collect();
    assert_eq!(pending, vec![k.clone(), k2.clone(), k3.clone()]);
    let at = LedgerRef::new("D1").with_number("BC-1001");
    store.journal_done(&k, &at, t(3)).await.unwrap();
    let done = store.journal(&k).await.unwrap().unwrap();
    assert_eq!(done.state, WriteState::Done { at: at.clone() });
    assert_eq!(done.created_at, t(0));
    // An intent after done does not reopen it.
    let after = store
        .journal_intent(&k, "hash-z", t(9))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.state, WriteState::Done { at: at.clone() });
    assert_eq!(
        store.journal(&k).await.unwrap().unwrap().state,
        WriteState::Done { at: at.clone() }
    );
    // Failed does not overwrite done either.
    store
        .journal_failed(&k, "late failure", t(10))
        .await
        .unwrap();
    assert_eq!(
        store.journal(&k).await.unwrap().unwrap().state,
        WriteState::Done { at }
    );
    store.journal_failed(&k3, "refused", t(4)).await.unwrap();
    assert_eq!(
        store.journal(&k3).await.unwrap().unwrap().state,
        WriteState::Failed {
            reason: "refused".into()
        }
    );
    let pending: Vec<WriteKey> = store
        .journal_pending()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .filter(|k| k.key.starts_with("CNF"))
        .collect();
    assert_eq!(pending, vec![k2]);
    // A failed write may be tried again: the intent replaces the failure.
    let before = store
        .journal_intent(&k3, "hash-e", t(11))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(before.state, WriteState::Failed { .. }));
    let now = store.journal(&k3).await.unwrap().unwrap();
    assert_eq!(now.state, WriteState::Intent);
    assert_eq!(now.payload_hash, "hash-e");
}

/// Batches as the engine's group commits make them: one `journal_intents` of many keys
/// answers each key's prior record as if they were journalled one after the other (a key
/// repeated in the batch finds its first occurrence's intent); one `commit` of many
/// operations applies them in order (a `failed` after a `done` of the same key leaves it
/// done, a `done` after a `failed` makes it done), with every cross-reference, resolution and
/// log line of the batch.
pub async fn batches(store: &dyn StateStore) {
    let key = |k: &str| WriteKey::new(EntityKind::Order, "post", k, 0);
    let (a, b, c, d) = (key("BAT-A"), key("BAT-B"), key("BAT-C"), key("BAT-D"));
    let at = |id: &str| LedgerRef::new(id).with_number(format!("N-{id}"));
    store.journal_intent(&b, "hash-b", t(0)).await.unwrap();
    store.journal_done(&b, &at("DB"), t(1)).await.unwrap();
    store.journal_intent(&c, "hash-c", t(0)).await.unwrap();
    store.journal_failed(&c, "refused", t(1)).await.unwrap();
    let intent = |k: &WriteKey, h: &str| Intent {
        key: k.clone(),
        payload_hash: h.into(),
    };
    let before = store
        .journal_intents(
            None,
            &[
                intent(&a, "hash-a"),
                intent(&b, "hash-b2"),
                intent(&a, "hash-a2"),
                intent(&c, "hash-c2"),
                intent(&d, "hash-d"),
            ],
            t(2),
        )
        .await
        .unwrap();
    assert_eq!(before.len(), 5);
    assert_eq!(before[0], None);
    assert_eq!(
        before[1].as_ref().map(|r| r.state.clone()),
        Some(WriteState::Done { at: at("DB") })
    );
    let repeated = before[2]
        .as_ref()
        .map(|r| (r.state.clone(), r.payload_hash.as_str()));
    assert_eq!(repeated, Some((WriteState::Intent, "hash-a")));
    assert!(matches!(
        before[3].as_ref().map(|r| &r.state),
        Some(WriteState::Failed { .. })
    ));
    assert_eq!(before[4], None);
    let rec = |k: WriteKey| async move { store.journal(&k).await.unwrap().unwrap() };
    assert_eq!(rec(a.clone()).await.payload_hash, "hash-a");
    assert_eq!(
        rec(b.clone()).await.state,
        WriteState::Done { at: at("DB") }
    );
    let c_now = rec(c.clone()).await;
    assert_eq!(
        (c_now.state, c_now.payload_hash.as_str()),
        (WriteState::Intent, "hash-c2")
    );

    // Two exceptions to resolve, and a group commit of everything at once.
    for k in ["BAT-X1", "BAT-X2"] {
        store
            .record_exception(EntityKind::Order, k, &[], t(3))
            .await
            .unwrap();
    }
    let done = |k: &WriteKey, id: &str| StateOp::Done {
        key: k.clone(),
        at: at(id),
        payload_hash: "h".into(),
    };
    let failed = |k: &WriteKey| StateOp::Failed {
        key: k.clone(),
        reason: "late".into(),
    };
    let xref = |k: &str, id: &str| {
        StateOp::PutXref(CrossRef {
            kind: EntityKind::Order,
            key: k.into(),
            ledger: at(id),
            payload_hash: format!("x-{k}"),
            revision: 0,
            updated_at: t(4),
        })
    };
    let log = |k: &str, secs: i64| {
        StateOp::Log(LogEntry {
            at: t(secs),
            job: "orders".into(),
            entity: EntityKind::Order,
            key: "BAT-LOG".into(),
            direction: Direction::ToLedger,
            outcome: Outcome::Done,
            message: k.into(),
        })
    };
    let resolve = |k: &str| StateOp::ResolveException {
        entity: EntityKind::Order,
        key: k.into(),
    };
    store
        .commit(
            None,
            &[
                failed(&c),
                done(&a, "DA"),
                xref("BAT-A", "DA"),
                log("first", 100),
                resolve("BAT-X1"),
                failed(&a),
                done(&c, "DC"),
                xref("BAT-C", "DC"),
                log("second", 100),
                resolve("BAT-X2"),
                done(&d, "DD"),
                failed(&d),
            ],
            t(5),
        )
        .await
        .unwrap();
    assert_eq!(
        rec(a.clone()).await.state,
        WriteState::Done { at: at("DA") }
    );
    assert_eq!(
        rec(c.clone()).await.state,
        WriteState::Done { at: at("DC") }
    );
    assert_eq!(
        rec(d.clone()).await.state,
        WriteState::Done { at: at("DD") }
    );
    for (k, id) in [("BAT-A", "DA"), ("BAT-C", "DC")] {
        let x = store.xref(EntityKind::Order, k).await.unwrap().unwrap();
        assert_eq!(x.ledger, at(id));
        assert_eq!(x.payload_hash, format!("x-{k}"));
    }
    for k in ["BAT-X1", "BAT-X2"] {
        let e = store
            .exception(EntityKind::Order, k)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(e.status, ExceptionStatus::Resolved, "{k}");
    }
    // Log lines of the same instant: the newest (the later in the commit) first.
    let lines: Vec<String> = store
        .search_log(&LogQuery {
            key: Some("BAT-LOG".into()),
            ..LogQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.message)
        .collect();
    assert_eq!(lines, vec!["second", "first"]);
    let pending = store.journal_pending().await.unwrap();
    assert!(
        pending.iter().all(|r| !r.key.key.starts_with("BAT-")),
        "{pending:?}"
    );
}

/// The exception queue: record, attempts, reasons kept with their settings, retry, resolve,
/// reopen, filters.
pub async fn exceptions(store: &dyn StateStore) {
    let issue = MappingIssue::new(
        Some(&OrderId::new("cx-1")),
        IssueCode::UnmappedTaxZone,
        Some("tax_map"),
        "tax zone `Mars` has no ledger tax code",
    );
    let reasons = vec![
        ExceptionReason::Mapping {
            issue: issue.clone(),
        },
        ExceptionReason::Error {
            kind: "invalid".into(),
            temporary: false,
            message: "bad field".into(),
        },
    ];
    let r = store
        .record_exception(EntityKind::Order, "cx-1", &reasons, t(0))
        .await
        .unwrap();
    assert_eq!(r.attempts, 1);
    assert_eq!(r.status, ExceptionStatus::Open);
    assert_eq!(r.reasons, reasons);
    let r = store
        .record_exception(EntityKind::Order, "cx-1", &reasons[..1], t(60))
        .await
        .unwrap();
    assert_eq!(r.attempts, 2);
    assert_eq!(r.first_seen, t(0));
    assert_eq!(r.last_seen, t(60));
    assert_eq!(r.reasons.len(), 1);
    match &r.reasons[0] {
        ExceptionReason::Mapping { issue: i } => {
            assert_eq!(i.setting.as_deref(), Some("tax_map"));
            assert_eq!(i.code, IssueCode::UnmappedTaxZone);
        }
        other => panic!("expected a mapping issue, got {other:?}"),
    }
    assert!(store
        .request_retry(EntityKind::Order, "cx-1")
        .await
        .unwrap());
    assert!(!store
        .request_retry(EntityKind::Order, "cx-none")
        .await
        .unwrap());
    let retry = store
        .exceptions(&ExceptionFilter {
            entity: Some(EntityKind::Order),
            status: Some(ExceptionStatus::Open),
            retry_requested: Some(true),
        })
        .await
        .unwrap();
    assert!(retry.iter().any(|e| e.key == "cx-1"));
    store
        .record_exception(
            EntityKind::Refund,
            "cx-r1",
            &[ExceptionReason::Error {
                kind: "unavailable".into(),
                temporary: true,
                message: "502".into(),
            }],
            t(70),
        )
        .await
        .unwrap();
    let refunds = store
        .exceptions(&ExceptionFilter::open(EntityKind::Refund))
        .await
        .unwrap();
    assert!(refunds.iter().any(|e| e.key == "cx-r1" && e.is_temporary()));
    assert!(refunds.iter().all(|e| e.entity == EntityKind::Refund));
    assert!(store
        .resolve_exception(EntityKind::Order, "cx-1")
        .await
        .unwrap());
    let e = store
        .exception(EntityKind::Order, "cx-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.status, ExceptionStatus::Resolved);
    assert!(!e.retry_requested);
    let open = store
        .exceptions(&ExceptionFilter::open(EntityKind::Order))
        .await
        .unwrap();
    assert!(open.iter().all(|e| e.key != "cx-1"));
    // A new failure reopens it, counting afresh.
    let e = store
        .record_exception(EntityKind::Order, "cx-1", &reasons, t(100))
        .await
        .unwrap();
    assert_eq!(e.status, ExceptionStatus::Open);
    assert_eq!(e.attempts, 1);
    assert!(!store
        .resolve_exception(EntityKind::Order, "cx-none")
        .await
        .unwrap());
}

/// The connector log: append, search by entity, key, outcome and time, newest first, limit.
pub async fn connector_log(store: &dyn StateStore) {
    let entry = |secs: i64, entity, key: &str, outcome| LogEntry {
        at: t(secs),
        job: "orders".into(),
        entity,
        key: key.into(),
        direction: Direction::ToLedger,
        outcome,
        message: format!("{key} {secs}"),
    };
    store
        .log(&entry(1, EntityKind::Order, "lg-1", Outcome::Done))
        .await
        .unwrap();
    store
        .log(&entry(2, EntityKind::Order, "lg-2", Outcome::Failed))
        .await
        .unwrap();
    store
        .log(&entry(3, EntityKind::Refund, "lg-3", Outcome::Done))
        .await
        .unwrap();
    store
        .log(&entry(4, EntityKind::Order, "lg-1", Outcome::Skipped))
        .await
        .unwrap();
    let by_key = store
        .search_log(&LogQuery {
            key: Some("lg-1".into()),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        by_key.iter().map(|e| e.at).collect::<Vec<_>>(),
        vec![t(4), t(1)]
    );
    let failed = store
        .search_log(&LogQuery {
            outcome: Some(Outcome::Failed),
            since: Some(t(0)),
            until: Some(t(10)),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].key, "lg-2");
    assert_eq!(failed[0].direction, Direction::ToLedger);
    let refunds = store
        .search_log(&LogQuery {
            entity: Some(EntityKind::Refund),
            since: Some(t(0)),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert!(refunds.iter().any(|e| e.key == "lg-3"));
    let window = store
        .search_log(&LogQuery {
            since: Some(t(2)),
            until: Some(t(4)),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    let keys: Vec<&str> = window
        .iter()
        .filter(|e| e.key.starts_with("lg-"))
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(keys, vec!["lg-3", "lg-2"]);
    let limited = store
        .search_log(&LogQuery {
            entity: Some(EntityKind::Order),
            since: Some(t(0)),
            until: Some(t(10)),
            limit: Some(1),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].at, t(4));
}

/// Last-pushed inventory: exact decimals, replaced per SKU.
pub async fn inventory(store: &dyn StateStore) {
    let a = Sku::new("CNF-A");
    let b = Sku::new("CNF-B");
    store
        .set_last_pushed(&[
            (a.clone(), Decimal::new(125, 1)),
            (b.clone(), Decimal::ZERO),
        ])
        .await
        .unwrap();
    store
        .set_last_pushed(&[(a.clone(), Decimal::new(7, 0))])
        .await
        .unwrap();
    let all = store.last_pushed().await.unwrap();
    assert_eq!(all.get(&a), Some(&Decimal::new(7, 0)));
    assert_eq!(all.get(&b), Some(&Decimal::ZERO));
}

/// Leases: exclusive while live, renewable by the owner (same token), taken over once
/// expired (a larger token), released (the token is never reused), taken over from a named
/// owner.
pub async fn leases(store: &dyn StateStore) {
    let ttl = Duration::from_secs(30);
    let f1 = store
        .acquire_lease("cnf:orders", "w1", t(0), ttl)
        .await
        .unwrap()
        .expect("a free lease is taken");
    assert!(store
        .acquire_lease("cnf:orders", "w2", t(10), ttl)
        .await
        .unwrap()
        .is_none());
    // The owner renews: same token.
    let renewed = store
        .acquire_lease("cnf:orders", "w1", t(20), ttl)
        .await
        .unwrap()
        .expect("the owner renews");
    assert_eq!(renewed.token, f1.token);
    assert!(store
        .acquire_lease("cnf:orders", "w2", t(45), ttl)
        .await
        .unwrap()
        .is_none());
    // w1 died: its lease expires and w2 takes it, with a larger token.
    let f2 = store
        .acquire_lease("cnf:orders", "w2", t(51), ttl)
        .await
        .unwrap()
        .expect("an expired lease is taken");
    assert!(f2.token > f1.token);
    let l = store.lease("cnf:orders").await.unwrap().unwrap();
    assert_eq!(l.owner, "w2");
    assert_eq!(l.expires_at, t(81));
    assert_eq!(l.token, f2.token);
    // Renewing needs the live token; a stale fence renews nothing.
    assert!(!store.renew_lease(&f1, t(52), ttl).await.unwrap());
    assert!(store.renew_lease(&f2, t(52), ttl).await.unwrap());
    assert_eq!(
        store.lease("cnf:orders").await.unwrap().unwrap().expires_at,
        t(82)
    );
    assert!(!store.release_lease(&f1).await.unwrap());
    assert!(store.release_lease(&f2).await.unwrap());
    let f3 = store
        .acquire_lease("cnf:orders", "w3", t(52), ttl)
        .await
        .unwrap()
        .expect("a released lease is free");
    assert!(f3.token > f2.token, "tokens never repeat after a release");
    // A restarted worker takes over the lease of its dead predecessor by name.
    assert!(store
        .take_over_lease("cnf:orders", "w1", "w4", t(53), ttl)
        .await
        .unwrap()
        .is_none());
    let f4 = store
        .take_over_lease("cnf:orders", "w3", "w4", t(53), ttl)
        .await
        .unwrap()
        .expect("taken over from its holder");
    assert!(f4.token > f3.token);
    assert!(store
        .leases()
        .await
        .unwrap()
        .iter()
        .any(|l| l.name == "cnf:orders" && l.owner == "w4"));
}

/// Fencing: a write under a fence whose lease was taken over is refused whole, and nothing
/// of it is applied; under the live fence it is applied in one piece (group commit).
pub async fn fencing(store: &dyn StateStore) {
    let ttl = Duration::from_secs(30);
    let old = store
        .acquire_lease("cnf:fenced", "w1", t(0), ttl)
        .await
        .unwrap()
        .unwrap();
    // w1 is paused past its lease; w2 takes over.
    let new = store
        .acquire_lease("cnf:fenced", "w2", t(31), ttl)
        .await
        .unwrap()
        .unwrap();
    let k = WriteKey::new(EntityKind::Order, "post", "FEN-1", 0);
    let intent = Intent {
        key: k.clone(),
        payload_hash: "h".into(),
    };
    let refused = store
        .journal_intents(Some(&old), std::slice::from_ref(&intent), t(32))
        .await
        .expect_err("a stale fence is refused");
    assert!(is_lease_lost(&refused), "{refused}");
    assert_eq!(store.journal(&k).await.unwrap(), None, "nothing written");
    let ops = [
        StateOp::SetCursor {
            job: "cnf:fenced".into(),
            value: "stale".into(),
        },
        StateOp::Done {
            key: k.clone(),
            at: LedgerRef::new("1"),
            payload_hash: "h".into(),
        },
    ];
    let refused = store
        .commit(Some(&old), &ops, t(32))
        .await
        .expect_err("a stale fence is refused");
    assert!(is_lease_lost(&refused));
    assert_eq!(store.cursor("cnf:fenced").await.unwrap(), None);
    assert_eq!(store.journal(&k).await.unwrap(), None);
    // The live holder writes, all at once.
    let before = store
        .journal_intents(Some(&new), &[intent], t(33))
        .await
        .unwrap();
    assert_eq!(before, vec![None]);
    store.commit(Some(&new), &ops, t(34)).await.unwrap();
    assert_eq!(
        store.cursor("cnf:fenced").await.unwrap().as_deref(),
        Some("stale")
    );
    let rec = store.journal(&k).await.unwrap().unwrap();
    assert_eq!(
        rec.state,
        WriteState::Done {
            at: LedgerRef::new("1")
        }
    );
    assert!(store
        .journal_pending()
        .await
        .unwrap()
        .iter()
        .all(|r| r.key != k));
}
