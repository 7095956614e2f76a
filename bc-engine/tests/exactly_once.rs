//! Exactly once (ARCHITECTURE §4): writes applied then reported as unknown, and crashes at
//! random await points, never post twice and never lose an order.

mod common;

use std::sync::Arc;

use bc_core::{Ledger, Storefront};
use bc_engine::testing::{test_settings, Fault, FaultPlan, FaultyLedger, FaultyStorefront};
use bc_engine::{Engine, EntityKind, ExceptionFilter, StateStore, WriteState};
use common::*;

#[tokio::test]
async fn a_post_applied_then_unknown_is_found_and_adopted() {
    let w = World::with_orders(5);
    let plan = FaultPlan::new(1, 0);
    plan.script(
        "post_sales_document",
        [Fault::AppliedThenUnknown, Fault::AppliedThenUnknown],
    );
    let ledger: Arc<dyn Ledger> = Arc::new(FaultyLedger::new(w.ledger.clone(), plan.clone()));
    let report = w
        .engine_on(ledger, test_settings(""))
        .sync_orders()
        .await
        .unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.adopted, 2, "{report}");
    assert_eq!(report.done, 5);
    w.ledger.with(|l| {
        assert_eq!(l.documents.len(), 5);
        for i in 1..=5 {
            assert_eq!(l.documents_for(&format!("BC1{i}")).len(), 1);
        }
    });
    assert_eq!(plan.injected(), 2);
}

#[tokio::test]
async fn a_batch_applied_then_unknown_is_searched_not_reposted() {
    let w = World::with_orders(30);
    w.ledger.set_capabilities(|c| c.batch_size = 10);
    let plan = FaultPlan::new(2, 0);
    plan.script("post_sales_documents", [Fault::AppliedThenUnknown]);
    let ledger: Arc<dyn Ledger> = Arc::new(FaultyLedger::new(w.ledger.clone(), plan));
    let report = w
        .engine_on(ledger, test_settings(""))
        .sync_orders()
        .await
        .unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.adopted, 10, "{report}");
    assert_eq!(w.ledger.with(|l| l.documents.len()), 30);
}

#[tokio::test]
async fn an_intent_left_by_a_crash_is_searched_before_writing_again() {
    let w = World::with_orders(1);
    let plan = FaultPlan::new(3, 0);
    plan.script("post_sales_document", [Fault::CrashAfter]);
    let ledger: Arc<dyn Ledger> = Arc::new(FaultyLedger::new(w.ledger.clone(), plan.clone()));
    let engine = w.engine_on(ledger, test_settings(""));
    tokio::select! {
        r = engine.sync_orders() => panic!("the run should have crashed: {r:?}"),
        _ = plan.crashed() => {}
    }
    drop(engine);
    // The write happened, the journal says "intent", the storefront status did not change.
    let pending = w.state.journal_pending().await.unwrap();
    assert!(pending
        .iter()
        .any(|r| r.key.entity == EntityKind::Order && r.state == WriteState::Intent));
    assert_eq!(w.ledger.with(|l| l.documents.len()), 1);
    assert_eq!(
        w.storefront.status_of("1"),
        Some(bc_core::StatusId::new(AWAITING_FULFILLMENT))
    );
    // A new engine on the same store searches, adopts, and only then sets the status.
    let report = w.default_engine().sync_orders().await.unwrap();
    assert_eq!(report.adopted, 1, "{report}");
    assert_eq!(w.ledger.with(|l| l.documents.len()), 1);
    assert_eq!(
        w.storefront.status_of("1"),
        Some(bc_core::StatusId::new(COMPLETED))
    );
    assert!(w
        .state
        .journal_pending()
        .await
        .unwrap()
        .iter()
        .all(|r| r.key.entity != EntityKind::Order));
}

/// Crashes at random await points (≥ 10) and 10% random faults on both sides, on one shared
/// state store: every order ends posted exactly once with the downloaded status.
#[tokio::test]
async fn random_crashes_and_faults_never_duplicate_or_lose_an_order() {
    const ORDERS: u64 = 150;
    let w = World::with_orders(ORDERS);
    w.ledger.set_capabilities(|c| c.batch_size = 5);
    let plan = FaultPlan::new(20_261_122, 100);
    let mut crashes = 0;
    let mut clean = false;
    for round in 0..400 {
        let ledger: Arc<dyn Ledger> = Arc::new(FaultyLedger::new(w.ledger.clone(), plan.clone()));
        let storefront: Arc<dyn Storefront> =
            Arc::new(FaultyStorefront::new(w.storefront.clone(), plan.clone()));
        let engine = Engine::with_options(
            storefront,
            ledger,
            w.state.clone() as Arc<dyn StateStore>,
            test_settings(""),
            fast(),
        );
        if crashes < 12 {
            plan.crash_after_calls(1 + plan.next_below(25));
        } else {
            plan.crash_after_calls(u64::MAX / 2);
        }
        tokio::select! {
            r = engine.sync_orders() => {
                if let Ok(report) = r {
                    let all_done = (1..=ORDERS).all(|i| {
                        w.storefront.status_of(&i.to_string())
                            == Some(bc_core::StatusId::new(COMPLETED))
                    });
                    if report.is_clean() && all_done && crashes >= 10 {
                        clean = true;
                        break;
                    }
                }
            }
            _ = plan.crashed() => { crashes += 1; }
        }
        assert!(round < 399, "never converged");
    }
    assert!(clean);
    assert!(crashes >= 10);
    let faults = plan.injected();
    assert!(faults >= 10, "{faults} faults");
    w.ledger.with(|l| {
        assert_eq!(l.documents.len() as u64, ORDERS, "duplicates or losses");
        for i in 1..=ORDERS {
            assert_eq!(l.documents_for(&format!("BC1{i}")).len(), 1, "order {i}");
        }
        assert_eq!(l.receipts.len() as u64, ORDERS);
        // Clients and items are created once even across crashes.
        assert_eq!(l.clients.len(), 7);
        assert_eq!(l.items.len(), 6);
    });
    let open = w
        .state
        .exceptions(&ExceptionFilter::open(EntityKind::Order))
        .await
        .unwrap();
    assert!(open.is_empty(), "{open:?}");
    println!(
        "orders {ORDERS}, faults {faults}, crashes {crashes}, posted {}, duplicated 0, lost 0",
        w.ledger.with(|l| l.documents.len())
    );
}

#[tokio::test]
async fn a_job_leased_by_another_worker_is_skipped_until_the_lease_expires() {
    let w = World::with_orders(2);
    let now = chrono::Utc::now();
    assert!(w
        .state
        .acquire_lease(
            "job:orders",
            "other-host:1",
            now,
            std::time::Duration::from_secs(600)
        )
        .await
        .unwrap()
        .is_some());
    let engine = w.default_engine();
    let r = engine.run(bc_engine::Job::Orders).await.unwrap();
    assert!(r.notes[0].contains("other-host:1"), "{r}");
    assert_eq!(w.ledger.with(|l| l.documents.len()), 0);
    // The other worker died: its lease lapses, and this engine takes over.
    assert!(w
        .state
        .acquire_lease(
            "job:orders",
            "other-host:1",
            now - chrono::Duration::hours(1),
            std::time::Duration::from_secs(1)
        )
        .await
        .unwrap()
        .is_some());
    let r = engine.run(bc_engine::Job::Orders).await.unwrap();
    assert_eq!(r.done, 2, "{r}");
    // Released after the run: no owner, lapsed (the row keeps the token counter).
    let l = w.state.lease("job:orders").await.unwrap().unwrap();
    assert!(
        l.owner.is_empty() && l.expires_at < chrono::Utc::now(),
        "{l:?}"
    );
}

/// The first run stops half-way through its listing (the ledger stops answering) after
/// deferring a page of orders. Listings page by id ("10" before "2") and the cursor is a time:
/// the cursor must not move to the oldest deferred order, or orders 2–4, older than it by more
/// than the overlap and never listed, would never be imported.
#[tokio::test]
async fn a_first_listing_cut_short_leaves_no_cursor_behind() {
    use bc_core::ErrorKind;
    use bc_engine::EngineOptions;

    let w = World::new();
    w.storefront.add_orders(
        (2..=20).map(|i| bc_engine::testing::sample_order(i, AWAITING_FULFILLMENT, "CA State Tax")),
    );
    w.ledger.set_capabilities(|c| c.batch_size = 7);
    let plan = FaultPlan::new(1, 0);
    plan.script(
        "post_sales_documents",
        [Fault::Fail(ErrorKind::Unavailable)],
    );
    let options = EngineOptions {
        concurrency: 1,
        breaker_threshold: 1,
        page_size: 7,
        ..EngineOptions::default()
    };
    let first = Engine::with_options(
        w.storefront.clone(),
        Arc::new(FaultyLedger::new(w.ledger.clone(), plan)) as Arc<dyn Ledger>,
        w.state.clone() as Arc<dyn StateStore>,
        test_settings(""),
        options.clone(),
    );
    let r = first.sync_orders().await.unwrap();
    assert!(r.stopped.is_some(), "{r}");
    assert_eq!(w.ledger.with(|l| l.documents.len()), 0, "{r}");

    let second = Engine::with_options(
        w.storefront.clone(),
        w.ledger.clone() as Arc<dyn Ledger>,
        w.state.clone() as Arc<dyn StateStore>,
        test_settings(""),
        options,
    );
    let r = second.sync_orders().await.unwrap();
    assert_eq!(w.ledger.with(|l| l.documents.len()), 19, "{r}");
}

/// A crash while the chunk's items are created (`when`: before or after the ledger applied
/// the batch), then a new engine on the same store: every item exists once and every order
/// is posted once.
async fn a_crash_in_the_item_batch_creates_each_item_once(when: Fault) {
    let w = World::with_orders(10);
    w.ledger.set_capabilities(|c| c.batch_size = 10);
    let plan = FaultPlan::new(4, 0);
    plan.script("create_items", [when.clone()]);
    let ledger: Arc<dyn Ledger> = Arc::new(FaultyLedger::new(w.ledger.clone(), plan.clone()));
    let engine = w.engine_on(ledger, test_settings(""));
    tokio::select! {
        r = engine.sync_orders() => panic!("the run should have crashed: {r:?}"),
        _ = plan.crashed() => {}
    }
    drop(engine);
    // The six intents are durable; the batch happened or not; no document was posted.
    let pending = w.state.journal_pending().await.unwrap();
    let item_intents = pending
        .iter()
        .filter(|r| r.key.entity == EntityKind::Item && r.state == WriteState::Intent)
        .count();
    assert_eq!(item_intents, 6, "{pending:?}");
    let created = if when == Fault::CrashAfter { 6 } else { 0 };
    assert_eq!(w.ledger.with(|l| l.items.len()), created);
    assert_eq!(w.ledger.with(|l| l.documents.len()), 0);

    let report = w.default_engine().sync_orders().await.unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.done, 10, "{report}");
    w.ledger.with(|l| {
        let mut skus: Vec<String> = l
            .items
            .iter()
            .filter_map(|i| i.sku.as_ref().map(ToString::to_string))
            .collect();
        skus.sort();
        assert_eq!(
            skus,
            ["SKU-0", "SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-GIFT"]
        );
        assert_eq!(l.documents.len(), 10);
        // One batch reached the ledger: the crashed one (the next run's search adopts its
        // items) or, when the crash came before it was sent, the next run's.
        assert_eq!(l.calls.get("create_items"), Some(&1));
        assert_eq!(l.calls.get("create_item"), None);
    });
}

#[tokio::test]
async fn a_crash_after_the_item_batch_is_applied_creates_each_item_once() {
    a_crash_in_the_item_batch_creates_each_item_once(Fault::CrashAfter).await;
}

#[tokio::test]
async fn a_crash_before_the_item_batch_is_sent_creates_each_item_once() {
    a_crash_in_the_item_batch_creates_each_item_once(Fault::CrashBefore).await;
}
