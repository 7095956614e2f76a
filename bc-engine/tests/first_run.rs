//! A first run that cannot hurt the store (issue 19): configuration causes hold orders
//! instead of marking them, one order imported on purpose, refunds before the start date,
//! counters that agree with the connector log, progress and bulk retry.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use bc_core::{CatalogEntry, ErrorKind, Ledger, LedgerCatalog, OrderId, Settings, StatusId};
use bc_engine::testing::{
    sample_order, test_settings, test_settings_toml, Fault, FaultPlan, FaultyLedger,
};
use bc_engine::{
    EntityKind, ExceptionFilter, ExceptionStatus, Job, LogEntry, LogQuery, Outcome, ProblemGroup,
    Progress, RetryFilter, StateStore,
};
use chrono::{TimeZone, Utc};
use common::*;
use rust_decimal::Decimal;

/// The ledger methods that write.
const LEDGER_WRITES: &[&str] = &[
    "create_client",
    "create_item",
    "create_items",
    "post_sales_document",
    "update_sales_document",
    "post_receipt",
    "post_credit_memo",
    "post_journal",
    "set_document_status",
    "link_storefront_order",
];

fn ledger_writes(w: &World) -> u64 {
    w.ledger.with(|l| {
        l.calls
            .iter()
            .filter(|(k, _)| LEDGER_WRITES.contains(&k.as_str()))
            .map(|(_, n)| *n)
            .sum::<u64>()
            + l.batches.len() as u64
    })
}

fn storefront_writes(w: &World) -> usize {
    w.storefront.with(|d| {
        d.status_changes.len()
            + d.shipments.len()
            + d.inventory_calls.len()
            + d.created_orders.len()
    })
}

/// The test settings with `payment_map` replaced by `map` (TOML of `[payment_map…]` tables).
fn settings_with_payment_map(map: &str) -> Settings {
    let text = test_settings_toml("").replace(
        "[payment_map.credit_card]\nreceipt_type = \"Visa\"\ndeposit_account = \"1200\"\n",
        map,
    );
    Settings::from_toml_str(&text).unwrap()
}

#[tokio::test]
async fn a_wrong_payment_map_posts_nothing_marks_nothing_and_is_one_cause_then_the_fix_posts_all() {
    let w = World::with_orders(20);
    // The store's card payments are `credit_card`; the settings map `paypal` only.
    let wrong = settings_with_payment_map(
        "[payment_map.paypal]\nreceipt_type = \"PayPal\"\ndeposit_account = \"1250\"\n",
    );
    let engine = w.engine(wrong);
    let report = engine.sync_orders().await.unwrap();
    assert_eq!(report.seen, 20, "{report}");
    assert_eq!(report.held, 20, "{report}");
    assert!(report.failed.is_empty(), "{report}");
    assert_eq!(report.config_causes.len(), 1, "{report}");
    let cause = &report.config_causes[0];
    assert_eq!(cause.group, ProblemGroup::PaymentMethods);
    assert_eq!(cause.setting, "payment_map.\"credit_card\"");
    assert_eq!(cause.blocked, 20);
    assert_eq!(cause.orders.len(), 20);
    assert!(report.stopped_for_configuration(), "{report}");
    // Printed once, not once per order.
    assert_eq!(
        report
            .to_string()
            .matches("payment_map.\"credit_card\"")
            .count(),
        2, // the stop line and the cause line
        "{report}"
    );
    // Nothing written: no ledger write (not even a client), no storefront status, no
    // exception.
    assert_eq!(ledger_writes(&w), 0);
    assert_eq!(storefront_writes(&w), 0);
    assert!(w
        .state
        .exceptions(&ExceptionFilter::default())
        .await
        .unwrap()
        .is_empty());

    // Fixed: the next run posts every order (no retry to ask for).
    engine.set_settings(test_settings(""));
    let fixed = engine.sync_orders().await.unwrap();
    assert!(fixed.is_clean(), "{fixed}");
    assert_eq!(fixed.done, 20, "{fixed}");
    w.ledger.with(|l| {
        assert_eq!(l.documents.len(), 20);
        assert_eq!(l.receipts.len(), 20);
    });
    assert!(
        (1..=20).all(|i| w.storefront.status_of(&i.to_string()) == Some(StatusId::new(COMPLETED)))
    );
}

#[tokio::test]
async fn a_deposit_account_the_ledger_lacks_holds_the_orders_before_the_document_is_posted() {
    let w = World::with_orders(5);
    let mut cat = LedgerCatalog::new();
    cat.tax_codes = vec![CatalogEntry::new("TAX", "Tax")];
    cat.accounts = vec![
        CatalogEntry::new("1000", "Checking"),
        CatalogEntry::new("4000", "Sales"),
    ];
    cat.receipt_types = vec![CatalogEntry::new("Visa", "Visa")];
    cat.unknown = vec!["ship_vias".into()];
    w.ledger.with(|l| l.catalog = Some(cat));
    let engine = w.default_engine();
    let report = engine.sync_orders().await.unwrap();
    assert_eq!(report.held, 5, "{report}");
    assert_eq!(report.config_causes.len(), 1, "{report}");
    assert_eq!(
        report.config_causes[0].setting,
        "payment_map.\"credit_card\".deposit_account"
    );
    // Not "posted, the rest not done": nothing at all.
    assert_eq!(ledger_writes(&w), 0);
    assert_eq!(storefront_writes(&w), 0);

    w.ledger.with(|l| {
        if let Some(c) = l.catalog.as_mut() {
            c.accounts
                .push(CatalogEntry::new("1200", "Undeposited funds"));
        }
    });
    let fixed = engine.sync_orders().await.unwrap();
    assert!(fixed.is_clean(), "{fixed}");
    assert_eq!(fixed.done, 5, "{fixed}");
}

#[tokio::test]
async fn a_new_item_account_the_ledger_lacks_holds_orders_that_need_items_and_creates_nothing() {
    let w = World::with_orders(3);
    let mut cat = LedgerCatalog::new();
    cat.tax_codes = vec![CatalogEntry::new("TAX", "Tax")];
    cat.accounts = vec![CatalogEntry::new("1200", "Undeposited funds")];
    cat.receipt_types = vec![CatalogEntry::new("Visa", "Visa")];
    cat.unknown = vec!["ship_vias".into()];
    w.ledger.with(|l| l.catalog = Some(cat));
    let engine = w.default_engine();
    let report = engine.sync_orders().await.unwrap();
    assert_eq!(report.held, 3, "{report}");
    assert_eq!(report.config_causes.len(), 1, "{report}");
    assert_eq!(
        report.config_causes[0].setting,
        "orders.new_items.income_account"
    );
    // Not a client, not an item.
    assert_eq!(ledger_writes(&w), 0);
    assert_eq!(storefront_writes(&w), 0);
    let pre = engine.preflight().await.unwrap();
    let p = pre
        .problems
        .iter()
        .find(|p| p.setting == "orders.new_items.income_account")
        .unwrap_or_else(|| panic!("{pre}"));
    assert_eq!(p.orders.len(), 3, "{pre}");
}

/// The ledger itself refuses the document for a configuration cause (its currency turned
/// off): held like a planning cause, not one exception per order.
#[tokio::test]
async fn a_document_the_ledger_refuses_for_a_configuration_cause_holds_the_order() {
    let w = World::with_orders(4);
    w.ledger
        .with(|l| l.refuse_currencies = vec![bc_core::Currency::USD]);
    let engine = w.default_engine();
    let report = engine.sync_orders().await.unwrap();
    assert_eq!(report.held, 4, "{report}");
    assert!(report.failed.is_empty(), "{report}");
    assert_eq!(report.config_causes.len(), 1, "{report}");
    assert_eq!(report.config_causes[0].group, ProblemGroup::Currencies);
    assert_eq!(report.config_causes[0].orders.len(), 4);
    assert_eq!(w.ledger.with(|l| l.documents.len()), 0);
    assert!(w.storefront.with(|d| d.status_changes.is_empty()));
    assert!(w
        .state
        .exceptions(&ExceptionFilter::default())
        .await
        .unwrap()
        .is_empty());
    // Turned back on: the next run posts them, once.
    w.ledger.with(|l| l.refuse_currencies.clear());
    let fixed = engine.sync_orders().await.unwrap();
    assert_eq!(fixed.done, 4, "{fixed}");
    assert_eq!(w.ledger.with(|l| l.documents.len()), 4);
}

#[tokio::test]
async fn one_order_is_imported_on_purpose_whatever_its_status_and_start_date() {
    let w = World::new();
    // Placed on 2026-01-05, before the start date, and already completed in the store.
    w.storefront.add_orders([
        sample_order(7, COMPLETED, "CA State Tax"),
        sample_order(8, AWAITING_FULFILLMENT, "CA State Tax"),
    ]);
    let engine = w.engine(test_settings("").clone());
    let mut s = (*engine.settings()).clone();
    s.sync.start_date = chrono::NaiveDate::from_ymd_opt(2026, 2, 1);
    engine.set_settings(s);

    // A run leaves both alone (before the start date).
    let run = engine.sync_orders().await.unwrap();
    assert_eq!(run.seen, 0, "{run}");
    let cursor = w.state.cursor("orders").await.unwrap();

    let report = engine.import_order(&OrderId::new("7")).await.unwrap();
    assert_eq!(report.seen, 1, "{report}");
    assert_eq!(report.done, 1, "{report}");
    assert!(report.is_clean(), "{report}");
    w.ledger.with(|l| {
        assert_eq!(l.documents_for("BC17").len(), 1);
        assert!(l.documents_for("BC18").is_empty());
        assert_eq!(l.receipts.len(), 1);
    });
    assert_eq!(w.storefront.status_of("7"), Some(StatusId::new(COMPLETED)));
    // The job's cursor is not moved, and its lease is free again: a run takes it.
    assert_eq!(w.state.cursor("orders").await.unwrap(), cursor);
    let after = engine.run(Job::Orders).await.unwrap();
    assert!(after.notes.is_empty(), "{after}");

    // Again: exactly once.
    let again = engine.import_order(&OrderId::new("7")).await.unwrap();
    assert_eq!(again.done, 1, "{again}");
    assert_eq!(w.ledger.with(|l| l.documents_for("BC17").len()), 1);
    // An order that does not exist is an error naming it.
    let e = engine.import_order(&OrderId::new("404")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("404"), "{e}");
}

#[tokio::test]
async fn a_refund_of_an_order_before_the_start_date_is_skipped_then_synced_once_imported() {
    let w = World::new();
    w.storefront
        .add_orders([sample_order(1, COMPLETED, "CA State Tax")]);
    let order = sample_order(1, COMPLETED, "CA State Tax");
    let line = order.lines[0].total_ex_tax;
    w.storefront.with(|d| {
        d.refunds.push(bc_core::Refund {
            id: bc_core::RefundId::new("R1"),
            order_id: OrderId::new("1"),
            created_at: Utc.with_ymd_and_hms(2026, 2, 3, 10, 0, 0).unwrap(),
            lines: vec![bc_core::RefundLine {
                line_id: "1-1".into(),
                sku: order.lines[0].sku.clone(),
                quantity: order.lines[0].quantity,
                amount_ex_tax: line,
                restock: false,
            }],
            shipping_ex_tax: Decimal::ZERO,
            handling_ex_tax: Decimal::ZERO,
            tax: Decimal::ZERO,
            other_amount: Decimal::ZERO,
            total: line,
            method: "credit_card".into(),
            currency: bc_core::Currency::USD,
            reason: None,
        })
    });
    let mut s = test_settings("[refunds]\nenabled = true\nrefund_prefix = \"CR-\"");
    s.sync.start_date = chrono::NaiveDate::from_ymd_opt(2026, 2, 1);
    let engine = w.engine(s);
    let report = engine.sync_refunds().await.unwrap();
    assert_eq!(report.seen, 1, "{report}");
    assert_eq!(report.skipped, 1, "{report}");
    assert!(report.failed.is_empty(), "{report}");
    assert!(report.is_clean(), "{report}");
    assert!(w
        .state
        .exception(EntityKind::Refund, "R1")
        .await
        .unwrap()
        .is_none());
    let log = w
        .state
        .search_log(&LogQuery {
            entity: Some(EntityKind::Refund),
            key: Some("R1".into()),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, Outcome::Skipped);
    assert!(
        log[0].message.contains("order placed before start_date"),
        "{}",
        log[0].message
    );
    assert_eq!(w.ledger.with(|l| l.credit_memos.len()), 0);

    // The merchant imports the original on purpose; its refunds follow, once.
    engine.import_order(&OrderId::new("1")).await.unwrap();
    let r = engine.sync_refunds_of(&OrderId::new("1")).await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    let again = engine.sync_refunds_of(&OrderId::new("1")).await.unwrap();
    assert_eq!(again.done, 0, "{again}");
    assert_eq!(w.ledger.with(|l| l.credit_memos.len()), 1);
}

/// Every outcome in one run: posted, adopted after a search, already posted, a per-order
/// failure, held for configuration, deferred by an outage. Each counter equals the log.
#[tokio::test]
async fn the_counters_of_a_run_with_every_outcome_equal_its_log() {
    let w = World::with_orders(10);
    let engine = w.default_engine();
    // Order 1 is posted by an earlier run, then put back to "new" unchanged.
    w.storefront.with(|d| {
        for i in 2..=10 {
            d.orders.remove(&OrderId::new(i.to_string()));
        }
    });
    engine.sync_orders().await.unwrap();
    w.storefront
        .add_orders((2..=10).map(|i| sample_order(i, AWAITING_FULFILLMENT, "CA State Tax")));
    // Listed by id as text (1, 10, 11, 12, 2, …): order 10, the first document posted, has
    // no payment, so the first receipt is order 2's.
    w.storefront.with(|d| {
        if let Some(o) = d.orders.get_mut(&OrderId::new("10")) {
            o.payments.clear();
        }
    });
    w.storefront.set_status("1", AWAITING_FULFILLMENT);
    // 11: a per-order failure; 12: held (unmapped zone).
    let mut bad = sample_order(11, AWAITING_FULFILLMENT, "CA State Tax");
    bad.lines[1].quantity = Decimal::ZERO;
    w.storefront
        .add_orders([bad, sample_order(12, AWAITING_FULFILLMENT, "Nowhere Tax")]);
    // Placed after the first run (their modified time is now).
    for i in 2..=12 {
        w.storefront
            .set_status(&i.to_string(), AWAITING_FULFILLMENT);
    }

    // One post answered "unknown" (adopted after the search), one receipt refused by an
    // outage (that order deferred).
    let plan = FaultPlan::new(5, 0);
    plan.script("post_sales_document", [Fault::AppliedThenUnknown]);
    // Refused twice: the write and the journal's one recovery attempt.
    plan.script(
        "post_receipt",
        [
            Fault::Fail(ErrorKind::Unavailable),
            Fault::Fail(ErrorKind::Unavailable),
        ],
    );
    let ledger: Arc<dyn Ledger> = Arc::new(FaultyLedger::new(w.ledger.clone(), plan));
    // One order at a time, in listing order: order 10's document is adopted, both refusals
    // meet order 2's receipt.
    let engine = bc_engine::Engine::with_options(
        w.storefront.clone(),
        ledger,
        w.state.clone() as Arc<dyn StateStore>,
        test_settings(""),
        bc_engine::EngineOptions {
            concurrency: 1,
            ..fast()
        },
    );
    let since = Utc::now();
    let r = engine.sync_orders().await.unwrap();

    assert_eq!(r.seen, 12, "{r}");
    assert_eq!(r.adopted, 1, "{r}");
    assert_eq!(r.failed.len(), 1, "{r}");
    assert_eq!(r.held, 1, "{r}");
    assert_eq!(r.deferred, 1, "{r}");
    assert_eq!(r.skipped, 0, "{r}");
    // posted 8 (one adopted), already posted 1 → done 9 (adopted is counted in done).
    assert_eq!(r.done, 9, "{r}");
    assert_eq!(
        r.seen,
        r.done + r.skipped + r.failed.len() + r.deferred + r.held,
        "{r}"
    );

    let log: Vec<LogEntry> = w
        .state
        .search_log(&LogQuery {
            entity: Some(EntityKind::Order),
            since: Some(since),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    let count = |f: &dyn Fn(&LogEntry) -> bool| log.iter().filter(|e| f(e)).count();
    let done = count(&|e| e.outcome == Outcome::Done);
    let adopted = count(&|e| e.outcome == Outcome::Adopted);
    let failed = count(&|e| e.outcome == Outcome::Failed);
    let held = count(&|e| {
        e.outcome == Outcome::Skipped && e.message.starts_with("held for configuration")
    });
    let deferred = count(&|e| {
        e.outcome == Outcome::Skipped && e.message.starts_with("deferred to the next run")
    });
    let skipped = count(&|e| e.outcome == Outcome::Skipped) - held - deferred;
    assert_eq!(done + adopted, r.done, "{log:#?}");
    assert_eq!(adopted, r.adopted, "{log:#?}");
    assert_eq!(failed, r.failed.len(), "{log:#?}");
    assert_eq!(held, r.held, "{log:#?}");
    assert_eq!(deferred, r.deferred, "{log:#?}");
    assert_eq!(skipped, r.skipped, "{log:#?}");
    // One line per order seen: the log and `seen` agree too.
    let keys: BTreeSet<&str> = log.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys.len(), r.seen, "{log:#?}");
    assert_eq!(log.len(), r.seen, "{log:#?}");
    assert!(log
        .iter()
        .any(|e| e.key == "1" && e.message.starts_with("already posted")));
    // The error status went to the per-order failure only.
    assert_eq!(
        w.storefront.status_of("11"),
        Some(StatusId::new(MANUAL_VERIFICATION))
    );
    assert_eq!(
        w.storefront.status_of("12"),
        Some(StatusId::new(AWAITING_FULFILLMENT))
    );
}

#[tokio::test]
async fn a_bulk_retry_of_200_exceptions_reports_progress_and_syncs_them() {
    let w = World::new();
    let bad = |i: u64| {
        let mut o = sample_order(i, AWAITING_FULFILLMENT, "CA State Tax");
        o.lines[1].quantity = Decimal::ZERO;
        o
    };
    w.storefront.add_orders((1..=200).map(bad));
    // One more exception of another reason, which `--reason invalid_amount` leaves alone.
    let mut odd = sample_order(201, AWAITING_FULFILLMENT, "CA State Tax");
    odd.number = "X".repeat(40); // a document number too long
    w.storefront.add_orders([odd]);
    let engine = w.default_engine();
    let first = engine.sync_orders().await.unwrap();
    assert_eq!(first.failed.len(), 201, "{first}");

    // The merchant fixes the 200 orders in the store.
    w.storefront.with(|d| {
        for o in d.orders.values_mut() {
            o.lines[1].quantity = Decimal::ONE;
        }
    });
    let ticks = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let t = ticks.clone();
    engine.set_progress(Some(Arc::new(move |p| t.lock().unwrap().push(p))));
    let report = engine
        .retry_exceptions(&RetryFilter::Reason("invalid_amount".into()))
        .await
        .unwrap();
    assert_eq!(report.requested, 200, "{report:?}");
    assert_eq!(report.synced, 200, "{report:?}");
    assert_eq!(report.still_failing, 0, "{report:?}");
    assert_eq!(report.runs.len(), 1);
    assert_eq!(report.runs[0].job, Job::Orders);
    assert_eq!(w.ledger.with(|l| l.documents.len()), 200);
    // Progress: one tick per order finished, counting up to 200.
    let ticks = ticks.lock().unwrap().clone();
    assert_eq!(ticks.len(), 200);
    assert!(ticks.iter().all(|p| p.job == Job::Orders));
    assert_eq!(ticks.iter().map(|p| p.done).max(), Some(200));
    // The other exception was not asked for.
    let other = w
        .state
        .exception(EntityKind::Order, "201")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.status, ExceptionStatus::Open);
    assert!(!other.retry_requested);

    // `--all` takes it too; it still fails, and the report says so.
    let all = engine.retry_exceptions(&RetryFilter::All).await.unwrap();
    assert_eq!(all.requested, 1);
    assert_eq!(all.still_failing, 1);
    assert_eq!(all.still_open, vec![(EntityKind::Order, "201".to_string())]);
}
