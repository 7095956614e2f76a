//! The orders job (O1–O15, P1–P3) against the in-memory fakes.

mod common;

use bc_core::{ErrorKind, IssueCode, OrderId, StatusId};
use bc_engine::testing::{sample_order, test_settings};
use bc_engine::{
    Direction, EntityKind, ExceptionFilter, ExceptionReason, ExceptionStatus, LogQuery, Outcome,
    ProblemGroup, StateStore,
};
use common::*;

#[tokio::test]
async fn imports_orders_once_with_receipts_and_downloaded_status() {
    let w = World::with_orders(12);
    let engine = w.default_engine();
    let report = engine.sync_orders().await.unwrap();
    assert_eq!(report.seen, 12, "{report}");
    assert_eq!(report.done, 12, "{report}");
    assert!(report.is_clean(), "{report}");
    assert!(report.requests.ledger > 0 && report.requests.storefront > 0);

    w.ledger.with(|l| {
        assert_eq!(l.documents.len(), 12);
        for i in 1..=12u64 {
            let docs = l.documents_for(&format!("BC1{i}"));
            assert_eq!(docs.len(), 1, "order {i}");
            let order = sample_order(i, AWAITING_FULFILLMENT, "CA State Tax");
            // O3/O6: import id and number; the total equals the storefront total.
            assert_eq!(docs[0].doc.total(), order.total_inc_tax, "order {i}");
            assert_eq!(
                docs[0].doc.number,
                bc_core::DocNumber::Fixed(format!("BC-{i}"))
            );
        }
        // P1: one captured card receipt per order.
        assert_eq!(l.receipts.len(), 12);
        // O4: 7 distinct shoppers by e-mail; clients matched, not duplicated.
        assert_eq!(l.clients.len(), 7, "{:?}", l.clients);
        // O7: items created once per SKU (5 widgets + gift box).
        assert_eq!(l.items.len(), 6);
    });
    // O2: downloaded status after the import.
    for i in 1..=12 {
        assert_eq!(
            w.storefront.status_of(&i.to_string()),
            Some(StatusId::new(COMPLETED))
        );
    }
    // L1: the connector log has one "done" per order.
    let log = w
        .state
        .search_log(&LogQuery {
            entity: Some(EntityKind::Order),
            outcome: Some(Outcome::Done),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 12);
    assert!(log.iter().all(|e| e.direction == Direction::ToLedger));

    // A second run finds nothing new and posts nothing.
    let again = engine.sync_orders().await.unwrap();
    assert_eq!(again.done, 0, "{again}");
    assert_eq!(w.ledger.with(|l| l.documents.len()), 12);
}

#[tokio::test]
async fn batches_posts_in_the_ledgers_batch_size() {
    let w = World::with_orders(65);
    w.ledger.set_capabilities(|c| c.batch_size = 30);
    let report = w.default_engine().sync_orders().await.unwrap();
    assert_eq!(report.done, 65, "{report}");
    // 65 orders in chunks of at most 30: three batch calls.
    let mut batches = w.ledger.with(|l| l.batches.clone());
    batches.sort_unstable();
    assert_eq!(batches, vec![5, 30, 30]);
    assert_eq!(w.ledger.with(|l| l.documents.len()), 65);
}

/// A ledger whose look-ups take more keys per request than a write batch holds documents asks
/// for bigger chunks (`chunk_size`): a chunk's documents reach the ledger in one call (the
/// connector splits it into its own requests), not in `batch_size` slices.
#[tokio::test]
async fn chunks_follow_the_ledgers_chunk_size() {
    let w = World::with_orders(65);
    w.ledger.set_capabilities(|c| {
        c.batch_size = 10;
        c.chunk_size = 40;
    });
    let report = w.default_engine().sync_orders().await.unwrap();
    assert_eq!(report.done, 65, "{report}");
    // 65 orders in chunks of 40, each one call: 40 and 25 (not slices of 10).
    let mut batches = w.ledger.with(|l| l.batches.clone());
    batches.sort_unstable();
    assert_eq!(batches, vec![25, 40]);
    assert_eq!(w.ledger.with(|l| l.documents.len()), 65);
}

/// An order whose only problem is a setting (an unmapped tax zone) is held, not failed: no
/// exception, no `import_error_status`, nothing written; the run names the cause once. It is
/// met again by every run until the setting is fixed, then posted without a retry request.
#[tokio::test]
async fn an_unmapped_tax_zone_holds_the_order_without_marking_it_then_the_fix_posts_it() {
    let w = World::new();
    w.storefront
        .add_orders([sample_order(40, AWAITING_FULFILLMENT, "Mars Colony Tax")]);
    let engine = w.default_engine();
    let report = engine.sync_orders().await.unwrap();
    assert!(report.failed.is_empty(), "{report}");
    assert_eq!(report.held, 1, "{report}");
    assert_eq!(report.config_causes.len(), 1, "{report}");
    let cause = &report.config_causes[0];
    assert_eq!(cause.group, ProblemGroup::TaxZones);
    assert_eq!(cause.value, "Mars Colony Tax");
    assert_eq!(cause.setting, "tax_map.\"Mars Colony Tax\"");
    assert_eq!(cause.orders, vec![OrderId::new("40")]);
    assert!(report.stopped_for_configuration(), "{report}");
    assert!(!report.is_clean());
    assert!(
        report.to_string().contains("tax_map.\"Mars Colony Tax\""),
        "{report}"
    );

    // Nothing was written to the ledger: no document, no client, no item.
    w.ledger.with(|l| {
        assert_eq!(l.postings(), 0);
        assert!(l.clients.is_empty());
        assert!(l.items.is_empty());
    });
    // No storefront status change, no exception.
    assert_eq!(
        w.storefront.status_of("40"),
        Some(StatusId::new(AWAITING_FULFILLMENT))
    );
    assert!(w.storefront.with(|d| d.status_changes.is_empty()));
    assert!(w
        .state
        .exception(EntityKind::Order, "40")
        .await
        .unwrap()
        .is_none());

    // The cursor did not pass it: the next run meets it again, held again.
    let again = engine.sync_orders().await.unwrap();
    assert_eq!(again.seen, 1, "{again}");
    assert_eq!(again.held, 1, "{again}");

    // Fix the settings: the next run posts it, no retry needed.
    let fixed =
        bc_core::Settings::from_toml_str(&bc_engine::testing::test_settings_toml("").replace(
            "\"CA State Tax\" = \"TAX\"",
            "\"CA State Tax\" = \"TAX\"\n\"Mars Colony Tax\" = \"MARS\"",
        ))
        .unwrap();
    engine.set_settings(fixed);
    let fixed_run = engine.sync_orders().await.unwrap();
    assert_eq!(fixed_run.done, 1, "{fixed_run}");
    assert!(fixed_run.is_clean(), "{fixed_run}");
    assert_eq!(w.ledger.with(|l| l.documents_for("BC140").len()), 1);
    assert_eq!(w.storefront.status_of("40"), Some(StatusId::new(COMPLETED)));
}

/// An order with a problem of its own (a line of quantity 0) still goes to the exception
/// queue with `import_error_status`; fixed in the storefront and retried, it is posted.
#[tokio::test]
async fn a_per_order_problem_goes_to_the_exception_queue_and_posts_nothing_then_retry_posts_it() {
    let w = World::new();
    let mut bad = sample_order(40, AWAITING_FULFILLMENT, "CA State Tax");
    bad.lines[1].quantity = rust_decimal::Decimal::ZERO;
    w.storefront.add_orders([bad]);
    let engine = w.default_engine();
    let report = engine.sync_orders().await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report}");
    assert_eq!(report.held, 0, "{report}");
    assert!(!report.failed[0].temporary);
    w.ledger.with(|l| {
        assert_eq!(l.postings(), 0);
        assert!(l.clients.is_empty());
        assert!(l.items.is_empty());
    });
    // O2: import_error_status, with the reason kept.
    assert_eq!(
        w.storefront.status_of("40"),
        Some(StatusId::new(MANUAL_VERIFICATION))
    );
    let ex = w
        .state
        .exception(EntityKind::Order, "40")
        .await
        .unwrap()
        .expect("an exception");
    assert_eq!(ex.status, ExceptionStatus::Open);
    assert!(ex.reasons.iter().any(|r| matches!(
        r,
        ExceptionReason::Mapping { issue } if issue.code == IssueCode::InvalidAmount
            && issue.order == Some(OrderId::new("40"))
    )));

    // The order is no longer importable: a plain second run leaves it alone.
    let again = engine.sync_orders().await.unwrap();
    assert_eq!(again.seen, 0, "{again}");

    // Fix the order, ask for a retry: it is posted, set downloaded, exception resolved.
    w.storefront.with(|d| {
        let o = d.orders.get_mut(&OrderId::new("40")).unwrap();
        o.lines[1].quantity = rust_decimal::Decimal::ONE;
    });
    assert!(w
        .state
        .request_retry(EntityKind::Order, "40")
        .await
        .unwrap());
    let retry = engine.sync_orders().await.unwrap();
    assert_eq!(retry.done, 1, "{retry}");
    assert_eq!(w.ledger.with(|l| l.documents_for("BC140").len()), 1);
    assert_eq!(w.storefront.status_of("40"), Some(StatusId::new(COMPLETED)));
    let ex = w
        .state
        .exception(EntityKind::Order, "40")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ex.status, ExceptionStatus::Resolved);
    assert!(w
        .state
        .exceptions(&ExceptionFilter::open(EntityKind::Order))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_unknown_status_in_the_settings_fails_at_start_naming_the_key() {
    let w = World::with_orders(2);
    let settings =
        bc_core::Settings::from_toml_str(&bc_engine::testing::test_settings_toml("").replace(
            "downloaded_status = \"Completed\"",
            "downloaded_status = \"Dowloaded\"",
        ))
        .unwrap();
    let err = w.engine(settings).sync_orders().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.to_string().contains("orders.downloaded_status"),
        "{err}"
    );
    assert_eq!(w.ledger.with(|l| l.postings()), 0);
}

#[tokio::test]
async fn unknown_items_go_to_the_exception_queue_when_not_created() {
    let w = World::with_orders(1);
    let settings =
        bc_core::Settings::from_toml_str(&bc_engine::testing::test_settings_toml("").replace(
            "create_missing_items = true",
            "create_missing_items = false",
        ))
        .unwrap();
    let report = w.engine(settings).sync_orders().await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report}");
    let ex = w
        .state
        .exception(EntityKind::Order, "1")
        .await
        .unwrap()
        .unwrap();
    assert!(ex.reasons.iter().any(|r| matches!(r,
        ExceptionReason::Mapping { issue } if issue.code == IssueCode::UnknownItem)));
    assert_eq!(w.ledger.with(|l| l.postings()), 0);
}

#[tokio::test]
async fn an_order_put_back_to_new_updates_the_same_document() {
    let w = World::with_orders(3);
    let engine = w.default_engine();
    engine.sync_orders().await.unwrap();
    let before = w.ledger.with(|l| l.documents_for("BC12")[0].at.clone());

    // The merchant changes the order (another quantity) and puts it back to "new" (O14).
    w.storefront.with(|d| {
        let o = d.orders.get_mut(&OrderId::new("2")).unwrap();
        let extra = o.lines[1].unit_price_ex_tax;
        o.lines[1].quantity += rust_decimal::Decimal::ONE;
        o.lines[1].total_ex_tax += extra;
        o.total_ex_tax += extra;
        o.total_inc_tax += extra;
        o.taxes
            .retain(|t| t.target != bc_core::TaxTarget::Line("2-2".into()));
        let tax: rust_decimal::Decimal = o.taxes.iter().map(|t| t.amount).sum();
        o.total_inc_tax = o.total_ex_tax + tax;
        o.total_tax = tax;
        o.payments[0].amount = o.total_inc_tax;
    });
    w.storefront.set_status("2", AWAITING_FULFILLMENT);
    let report = engine.sync_orders().await.unwrap();
    assert_eq!(report.done, 1, "{report}");
    w.ledger.with(|l| {
        let docs = l.documents_for("BC12");
        assert_eq!(docs.len(), 1, "never a second document");
        assert_eq!(docs[0].at.id, before.id);
        assert_eq!(docs[0].updates, 1);
        assert_eq!(l.documents.len(), 3);
    });
    assert_eq!(w.storefront.status_of("2"), Some(StatusId::new(COMPLETED)));

    // Put back again with no change: no document is written, the status is set again (the
    // order is counted done, as the log says: "already posted …; receipts and status done").
    w.storefront.set_status("2", AWAITING_FULFILLMENT);
    let report = engine.sync_orders().await.unwrap();
    assert_eq!(report.done, 1, "{report}");
    assert_eq!(report.skipped, 0, "{report}");
    assert_eq!(w.ledger.with(|l| l.documents_for("BC12")[0].updates), 1);
    assert_eq!(w.storefront.status_of("2"), Some(StatusId::new(COMPLETED)));
}

#[tokio::test]
async fn a_changed_order_whose_document_is_closed_goes_to_the_exception_queue() {
    let w = World::with_orders(1);
    let engine = w.default_engine();
    engine.sync_orders().await.unwrap();
    w.ledger.with(|l| l.documents[0].editable = false);
    w.storefront.with(|d| {
        let o = d.orders.get_mut(&OrderId::new("1")).unwrap();
        o.customer_message = Some("please gift wrap".into());
    });
    w.storefront.set_status("1", AWAITING_FULFILLMENT);
    let report = engine.sync_orders().await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report}");
    assert!(report.failed[0].reasons[0].contains("can no longer be changed"));
    assert_eq!(w.ledger.with(|l| l.documents.len()), 1);
    assert_eq!(w.ledger.with(|l| l.documents[0].updates), 0);
    assert_eq!(
        w.storefront.status_of("1"),
        Some(StatusId::new(MANUAL_VERIFICATION))
    );
}

#[tokio::test]
async fn start_date_and_several_importable_statuses() {
    let w = World::new();
    // Order 1 pending (id 1), order 2 awaiting fulfilment, order 3 shipped: 1 and 2 import.
    w.storefront.add_orders([
        sample_order(1, "1", "CA State Tax"),
        sample_order(2, AWAITING_FULFILLMENT, "CA State Tax"),
        sample_order(3, "2", "CA State Tax"),
    ]);
    let settings =
        bc_core::Settings::from_toml_str(&bc_engine::testing::test_settings_toml("").replace(
            "new_order_status = [\"Awaiting Fulfillment\"]",
            "new_order_status = [\"Awaiting Fulfillment\", \"Pending\"]",
        ))
        .unwrap();
    let report = w.engine(settings).sync_orders().await.unwrap();
    assert_eq!(report.done, 2, "{report}");
    assert_eq!(w.ledger.with(|l| l.documents_for("BC13").len()), 0);

    // start_date after every order: nothing is listed.
    let w = World::with_orders(3);
    let late = test_settings("").sync.clone();
    assert!(late.start_date.is_none());
    let settings =
        bc_core::Settings::from_toml_str(&bc_engine::testing::test_settings_toml("").replace(
            "import_source_code = \"BC1\"",
            "import_source_code = \"BC1\"\nstart_date = \"2027-01-01\"",
        ))
        .unwrap();
    let report = w.engine(settings).sync_orders().await.unwrap();
    assert_eq!(report.seen, 0, "{report}");
}

#[tokio::test]
async fn a_mapping_hook_carries_extra_storefront_fields_to_the_ledger() {
    let w = World::new();
    let mut order = sample_order(5, AWAITING_FULFILLMENT, "CA State Tax");
    order.custom.insert(
        "po_number".into(),
        serde_json::Value::String("PO-778".into()),
    );
    w.storefront.add_orders([order]);
    let engine = w.default_engine();
    engine.set_mapping_hook(Some(std::sync::Arc::new(
        |o: &bc_core::Order, d: &mut bc_core::SalesDocument| {
            if let Some(po) = o.custom.get("po_number").and_then(|v| v.as_str()) {
                d.custom.insert("PO".into(), po.to_string());
            }
        },
    )));
    let r = engine.sync_orders().await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    w.ledger.with(|l| {
        assert_eq!(
            l.documents[0].doc.custom.get("PO").map(String::as_str),
            Some("PO-778")
        );
    });
}

/// The state store refuses to record an order's exception (it is busy): the order must not
/// be left neither posted nor queued. The run stops without setting the storefront's error
/// status or passing the order with its cursor, and the next run queues it.
#[tokio::test]
async fn an_exception_that_cannot_be_recorded_is_recorded_by_the_next_run() {
    use std::sync::Arc;

    use bc_engine::{Engine, FaultyStateStore};

    let w = World::with_orders(3);
    // A problem of the order's own (a configuration cause would hold it, not queue it).
    let mut bad = sample_order(40, AWAITING_FULFILLMENT, "CA State Tax");
    bad.lines[1].quantity = rust_decimal::Decimal::ZERO;
    w.storefront.add_orders([bad]);
    let faulty = Arc::new(
        FaultyStateStore::new(w.state.clone() as Arc<dyn StateStore>, 3, 1.0)
            .only(&["record_exception"]),
    );
    let engine = Engine::with_options(
        w.storefront.clone(),
        w.ledger.clone(),
        faulty.clone() as Arc<dyn StateStore>,
        test_settings(""),
        fast(),
    );
    let first = engine.sync_orders().await;
    assert!(faulty.injected() >= 1);
    // Not queued, and still importable in the storefront.
    assert!(w
        .state
        .exception(EntityKind::Order, "40")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        w.storefront.status_of("40"),
        Some(StatusId::new(AWAITING_FULFILLMENT)),
        "{first:?}"
    );

    faulty.set_rate(0.0);
    let second = engine.sync_orders().await.unwrap();
    let ex = w
        .state
        .exception(EntityKind::Order, "40")
        .await
        .unwrap()
        .expect("queued by the next run");
    assert_eq!(ex.status, ExceptionStatus::Open);
    assert_eq!(
        w.storefront.status_of("40"),
        Some(StatusId::new(MANUAL_VERIFICATION)),
        "{second}"
    );
    // The other orders are posted once (document and receipt), whichever run posted them.
    w.ledger.with(|l| {
        assert_eq!(l.documents.len(), 3);
        assert_eq!(l.receipts.len(), 3);
    });
}

/// B6: the B2B portal's own card-payment orders (marked `external_source = "bcsync-portal"`)
/// pay ledger invoices that exist already; the orders job skips them, posting nothing.
#[tokio::test]
async fn the_portals_payment_orders_are_not_imported() {
    let w = World::with_orders(2);
    let mut payment = sample_order(50, AWAITING_FULFILLMENT, "CA State Tax");
    payment.custom.insert(
        "external_source".into(),
        serde_json::json!(bc_core::PORTAL_PAYMENT_SOURCE),
    );
    w.storefront.add_orders([payment]);
    let report = w.default_engine().sync_orders().await.unwrap();
    assert_eq!(report.seen, 3, "{report}");
    assert_eq!(report.skipped, 1, "{report}");
    w.ledger.with(|l| {
        assert_eq!(l.documents.len(), 2);
        assert!(l
            .documents
            .iter()
            .all(|d| !d.doc.import_id.to_string().ends_with("50")));
    });
    // Left as it is in the storefront, and never in the exception queue.
    assert_eq!(
        w.storefront.status_of("50"),
        Some(StatusId::new(AWAITING_FULFILLMENT))
    );
    assert!(w
        .state
        .exception(EntityKind::Order, "50")
        .await
        .unwrap()
        .is_none());
}

/// Calls of ledger method `name` so far.
fn ledger_calls(w: &World, name: &str) -> u64 {
    w.ledger
        .with(|l| l.calls.get(name).copied().unwrap_or_default())
}

#[tokio::test]
async fn a_chunks_missing_items_are_created_in_one_batch_call() {
    // 10 orders in one chunk need 6 distinct new items (SKU-0…SKU-4 and the gift box, which
    // every order has).
    let w = World::with_orders(10);
    w.ledger.set_capabilities(|c| c.batch_size = 10);
    let report = w.default_engine().sync_orders().await.unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.done, 10, "{report}");
    assert_eq!(ledger_calls(&w, "create_items"), 1);
    assert_eq!(ledger_calls(&w, "create_item"), 0);
    w.ledger.with(|l| {
        assert_eq!(l.item_batches, vec![6]);
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
        assert_eq!(l.batches, vec![10]);
    });
}

#[tokio::test]
async fn items_beyond_the_batch_size_are_created_in_slices_of_it() {
    // 4 orders in one chunk need 6 items; the ledger takes at most 4 per call.
    let w = World::with_orders(4);
    w.ledger.set_capabilities(|c| c.batch_size = 4);
    w.storefront.with(|d| {
        for (n, o) in d.orders.values_mut().enumerate() {
            o.lines[1].sku = Some(bc_core::Sku::new(format!("SKU-EXTRA-{n}")));
        }
    });
    let report = w.default_engine().sync_orders().await.unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.done, 4, "{report}");
    assert_eq!(ledger_calls(&w, "create_item"), 0);
    w.ledger.with(|l| {
        // SKU-1…SKU-4 and 4 extras: 8 items, in two calls of 4.
        assert_eq!(l.item_batches, vec![4, 4]);
        assert_eq!(l.items.len(), 8);
    });
}

#[tokio::test]
async fn an_item_the_ledger_refuses_fails_only_the_orders_that_need_it() {
    let w = World::with_orders(10);
    w.ledger.set_capabilities(|c| c.batch_size = 10);
    w.ledger
        .with(|l| l.refuse_skus.push(bc_core::Sku::new("SKU-3")));
    let report = w.default_engine().sync_orders().await.unwrap();
    // Orders 3 and 8 have SKU-3; the 8 others post.
    assert_eq!(report.done, 8, "{report}");
    assert_eq!(report.failed.len(), 2, "{report}");
    assert_eq!(ledger_calls(&w, "create_items"), 1);
    assert_eq!(ledger_calls(&w, "create_item"), 0);
    for id in ["3", "8"] {
        let ex = w
            .state
            .exception(EntityKind::Order, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ex.status, ExceptionStatus::Open);
        let text: Vec<String> = ex.reasons.iter().map(ToString::to_string).collect();
        let text = text.join("; ");
        assert!(
            text.contains(&format!("creating item `SKU-3` for order {id}")),
            "{text}"
        );
        assert_eq!(
            w.storefront.status_of(id),
            Some(StatusId::new(MANUAL_VERIFICATION))
        );
    }
    w.ledger.with(|l| {
        assert_eq!(l.documents.len(), 8);
        assert!(l.documents_for("BC13").is_empty());
        assert!(l.documents_for("BC18").is_empty());
        assert_eq!(l.items.len(), 5);
    });
    assert_eq!(w.storefront.status_of("1"), Some(StatusId::new(COMPLETED)));
}

/// The state store's write transactions (in a durable store, one fsync each) of a run
/// importing `n` orders whose clients and items exist, `batch` orders per ledger batch.
async fn write_transactions(n: u64, batch: usize) -> u64 {
    let w = World::with_orders(n);
    w.ledger.set_capabilities(|c| c.batch_size = batch);
    // A first run makes the clients and items (their creation is per run, not per order).
    let first = w.default_engine().sync_orders().await.unwrap();
    assert_eq!(first.done as u64, n, "{first}");
    // The same orders again under new ids: new documents for known clients and items.
    w.storefront.with(|d| d.orders.clear());
    w.storefront.add_orders((1..=n).map(|i| {
        let mut o = sample_order(i, AWAITING_FULFILLMENT, "CA State Tax");
        o.id = bc_core::OrderId::new((1_000_000 + i).to_string());
        o.modified_at = chrono::Utc::now();
        o
    }));
    let before = w.state.write_transactions();
    let report = w.default_engine().sync_orders().await.unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.done as u64, n, "{report}");
    w.state.write_transactions() - before
}

#[tokio::test]
async fn the_state_commits_per_chunk_not_per_order() {
    // Per chunk: the documents' intents; their dones with the receipts' intents; the
    // receipts' dones with the finish markers. Per run: the cursor. (A chunk is at most a
    // ledger batch and at most a storefront page: 50 orders here.)
    assert_eq!(write_transactions(1, 1).await, 3 + 1);
    assert_eq!(write_transactions(10, 1).await, 10 * 3 + 1);
    assert_eq!(write_transactions(50, 50).await, 3 + 1);
    assert_eq!(write_transactions(200, 100).await, 4 * 3 + 1);
}
