//! Every job besides orders, against the in-memory fakes (FEATURES S, T, I, R, Y, E).

mod common;

use std::sync::Arc;

use bc_core::{
    Currency, DocumentStatus, InventoryLevel, Ledger, LedgerOrder, LedgerRef, LedgerShipment,
    NewOrder, NewOrderLine, OrderId, Payout, PayoutEntry, PayoutId, Refund, RefundId, RefundLine,
    SalesLineKind, Shipment, ShipmentLine, Sku, StatusId,
};
use bc_engine::testing::{test_settings, Fault, FaultPlan, FaultyLedger};
use bc_engine::{EntityKind, Finding, StateStore};
use chrono::{TimeZone, Utc};
use common::*;
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn shipment(at: &str, doc: &LedgerRef, order: &str, tracking: &str) -> LedgerShipment {
    LedgerShipment {
        at: LedgerRef::new(at),
        document: doc.clone(),
        import_id: Some(format!("BC1{order}").parse().unwrap()),
        shipment: Shipment {
            tracking_number: Some(tracking.into()),
            carrier: Some("ups".into()),
            ship_via: None,
            comments: None,
            lines: vec![ShipmentLine {
                line_id: Some(format!("{order}-1")),
                sku: None,
                quantity: Decimal::ONE,
            }],
            shipped_at: None,
        },
    }
}

#[tokio::test]
async fn shipments_with_tracking_reach_the_storefront_once() {
    let w = World::with_orders(2);
    let engine = w.engine(test_settings(
        "[shipping]\ndefault_ship_via = \"UPS Ground\"",
    ));
    engine.sync_orders().await.unwrap();
    let doc1 = w.ledger.with(|l| l.documents_for("BC11")[0].at.clone());
    let doc2 = w.ledger.with(|l| l.documents_for("BC12")[0].at.clone());
    w.ledger.with(|l| {
        l.shipments.push(shipment("SH1", &doc1, "1", "1Z999"));
        // No import id: found through the cross-reference of the document.
        let mut s = shipment("SH2", &doc2, "2", "1Z888");
        s.import_id = None;
        l.shipments.push(s);
    });
    let report = engine.sync_shipments().await.unwrap();
    assert_eq!(report.done, 2, "{report}");
    w.storefront.with(|d| {
        assert_eq!(d.shipments.len(), 2);
        let (order, s, _) = &d.shipments[0];
        assert_eq!(order, &OrderId::new("1"));
        assert_eq!(s.tracking_number.as_deref(), Some("1Z999"));
        assert_eq!(s.carrier.as_deref(), Some("ups"));
        assert_eq!(
            s.ship_via.as_deref(),
            Some("UPS Ground"),
            "S2 default ship via"
        );
        assert_eq!(d.shipments[1].0, OrderId::new("2"));
    });
    // Again, and from the start of the feed: de-duplicated by the ledger shipment id.
    w.state.set_cursor("shipments", "").await.unwrap();
    let again = engine.sync_shipments().await.unwrap();
    assert_eq!(again.done, 0, "{again}");
    assert_eq!(again.skipped, 2, "{again}");
    assert_eq!(w.storefront.with(|d| d.shipments.len()), 2);

    // A feed listed again is settled with one state read per page: even a state store that
    // refuses every single cross-reference read ("busy") leaves nothing deferred, so the
    // cursor can pass the page (before, a long feed never settled under busy faults).
    w.state.set_cursor("shipments", "").await.unwrap();
    let busy: Arc<dyn StateStore> =
        Arc::new(bc_engine::FaultyStateStore::new(w.state.clone(), 3, 1.0).only(&["xref"]));
    let flaky = bc_engine::Engine::with_options(
        w.storefront.clone(),
        w.ledger.clone(),
        busy,
        test_settings("[shipping]\ndefault_ship_via = \"UPS Ground\""),
        bc_engine::EngineOptions::default(),
    );
    let third = flaky.sync_shipments().await.unwrap();
    assert_eq!(third.skipped, 2, "{third}");
    assert!(third.failed.is_empty(), "{third}");
    assert_eq!(w.storefront.with(|d| d.shipments.len()), 2);
}

/// S2: a ledger shipment that names its ship via but no carrier gets the carrier the
/// settings' `ship_via_map` names for that ship via; one that names its carrier keeps it.
#[tokio::test]
async fn the_ship_via_maps_carrier_fills_a_shipment_without_one() {
    let w = World::with_orders(2);
    let settings = "[shipping]\ndefault_ship_via = \"UPSGROUND\"\n[shipping.ship_via_map]\n\"Express\" = { method = \"FEDEX2DAY\", carrier = \"fedex\" }\n\"Flat Rate\" = { method = \"UPSGROUND\", carrier = \"ups\" }";
    let engine = w.engine(test_settings(settings));
    engine.sync_orders().await.unwrap();
    let doc1 = w.ledger.with(|l| l.documents_for("BC11")[0].at.clone());
    let doc2 = w.ledger.with(|l| l.documents_for("BC12")[0].at.clone());
    w.ledger.with(|l| {
        let mut a = shipment("SH1", &doc1, "1", "1Z1");
        a.shipment.carrier = None;
        a.shipment.ship_via = Some("fedex2day".into());
        l.shipments.push(a);
        let mut b = shipment("SH2", &doc2, "2", "1Z2");
        b.shipment.carrier = Some("dhl".into());
        b.shipment.ship_via = Some("FEDEX2DAY".into());
        l.shipments.push(b);
    });
    let report = engine.sync_shipments().await.unwrap();
    assert_eq!(report.done, 2, "{report}");
    w.storefront.with(|d| {
        assert_eq!(d.shipments[0].1.carrier.as_deref(), Some("fedex"));
        assert_eq!(d.shipments[1].1.carrier.as_deref(), Some("dhl"));
    });
}

#[tokio::test]
async fn inventory_pushes_only_changed_skus_with_the_buffer_applied_in_batches() {
    let w = World::new();
    w.storefront
        .set_capabilities(|c| c.inventory_batch_size = 2);
    w.ledger.with(|l| {
        let wh = l.availability.entry("MAIN".into()).or_default();
        wh.insert(Sku::new("A"), dec("10"));
        wh.insert(Sku::new("B"), dec("1"));
        wh.insert(Sku::new("C"), dec("7.5"));
        l.availability
            .entry("OTHER".into())
            .or_default()
            .insert(Sku::new("Z"), dec("99"));
    });
    let engine = w.engine(test_settings(
        "[shipping]\nwarehouse = \"MAIN\"\n[inventory]\nenabled = true\nstock_buffer = 2",
    ));
    let r = engine.sync_inventory().await.unwrap();
    assert_eq!(r.done, 3, "{r}");
    w.storefront.with(|d| {
        assert_eq!(d.inventory.get(&Sku::new("A")), Some(&dec("8")));
        assert_eq!(
            d.inventory.get(&Sku::new("B")),
            Some(&Decimal::ZERO),
            "floor 0"
        );
        assert_eq!(d.inventory.get(&Sku::new("C")), Some(&dec("5.5")));
        assert!(!d.inventory.contains_key(&Sku::new("Z")), "other warehouse");
        // I3: batches of the storefront's size.
        assert_eq!(
            d.inventory_calls.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![2, 1]
        );
    });
    // Nothing changed: nothing pushed.
    let r = engine.sync_inventory().await.unwrap();
    assert_eq!(r.done, 0, "{r}");
    assert_eq!(r.skipped, 3);
    assert_eq!(w.storefront.with(|d| d.inventory_calls.len()), 2);
    // One SKU changes: only it is pushed; B drops further but stays at 0 after the buffer.
    w.ledger.with(|l| {
        let wh = l.availability.get_mut("MAIN").unwrap();
        wh.insert(Sku::new("A"), dec("4"));
        wh.insert(Sku::new("B"), dec("0"));
    });
    let r = engine.sync_inventory().await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    w.storefront.with(|d| {
        assert_eq!(
            d.inventory_calls.last().unwrap(),
            &vec![InventoryLevel {
                sku: Sku::new("A"),
                available: dec("2"),
            }]
        );
    });
}

fn refund_of_order_1(total_line: Decimal, tax: Decimal) -> Refund {
    Refund {
        id: RefundId::new("R77"),
        order_id: OrderId::new("1"),
        created_at: Utc.with_ymd_and_hms(2026, 2, 1, 10, 0, 0).unwrap(),
        lines: vec![RefundLine {
            line_id: "1-1".into(),
            sku: Some(Sku::new("SKU-1")),
            quantity: Decimal::ONE,
            amount_ex_tax: total_line,
            restock: true,
        }],
        shipping_ex_tax: dec("8.00"),
        handling_ex_tax: Decimal::ZERO,
        tax,
        other_amount: Decimal::ZERO,
        total: total_line + dec("8.00") + tax,
        method: "credit_card".into(),
        currency: Currency::USD,
        reason: Some("damaged".into()),
    }
}

#[tokio::test]
async fn a_partial_refund_with_restock_makes_one_linked_credit_memo() {
    let w = World::with_orders(1);
    let settings = test_settings("[refunds]\nenabled = true\nrefund_prefix = \"CR-\"");
    let engine = w.engine(settings.clone());
    engine.sync_orders().await.unwrap();
    let invoice = w.ledger.with(|l| l.documents_for("BC11")[0].at.clone());
    let order = w
        .storefront
        .with(|d| d.orders.get(&OrderId::new("1")).cloned().unwrap());
    // Order 1: 2 × 20.99 on line 1-1; refund one of them, with its tax and the shipping.
    let refund = refund_of_order_1(dec("20.99"), dec("1.52"));
    assert!(refund.total < order.total_inc_tax, "partial");
    w.storefront.with(|d| d.refunds.push(refund.clone()));

    // The first attempt is applied but answers "unknown": the memo is found, not re-posted.
    let plan = FaultPlan::new(9, 0);
    plan.script("post_credit_memo", [Fault::AppliedThenUnknown]);
    let faulty: Arc<dyn Ledger> = Arc::new(FaultyLedger::new(w.ledger.clone(), plan));
    let r = w.engine_on(faulty, settings).sync_refunds().await.unwrap();
    assert!(r.is_clean(), "{r}");
    assert_eq!(r.done, 1, "{r}");
    w.ledger.with(|l| {
        assert_eq!(l.credit_memos.len(), 1);
        let memo = &l.credit_memos[0].1;
        assert_eq!(
            memo.invoice.as_ref().map(|i| &i.id),
            Some(&invoice.id),
            "linked"
        );
        assert_eq!(memo.total, refund.total);
        assert_eq!(memo.number, bc_core::DocNumber::Fixed("CR-R77".into()));
        let item = memo
            .lines
            .iter()
            .find(|l| matches!(l.kind, SalesLineKind::Item { .. }))
            .unwrap();
        assert!(item.restock, "R2: restocked");
        assert_eq!(item.quantity, Decimal::ONE);
        assert!(memo.lines.iter().any(|l| l.kind == SalesLineKind::Shipping));
        assert_eq!(memo.tax, dec("1.52"));
    });
    // Exactly once across runs.
    let again = engine.sync_refunds().await.unwrap();
    assert_eq!(again.done, 0, "{again}");
    assert_eq!(w.ledger.with(|l| l.credit_memos.len()), 1);
}

#[tokio::test]
async fn a_refund_of_an_order_never_posted_waits_in_the_exception_queue() {
    let w = World::with_orders(1);
    w.storefront
        .with(|d| d.refunds.push(refund_of_order_1(dec("20.99"), dec("1.52"))));
    let engine = w.engine(test_settings("[refunds]\nenabled = true"));
    let r = engine.sync_refunds().await.unwrap();
    assert_eq!(r.failed.len(), 1, "{r}");
    assert_eq!(w.ledger.with(|l| l.credit_memos.len()), 0);
    assert!(w
        .state
        .exception(EntityKind::Refund, "R77")
        .await
        .unwrap()
        .is_some());
    // Import the order, ask for a retry: the credit memo is posted and the exception resolved.
    engine.sync_orders().await.unwrap();
    assert!(w
        .state
        .request_retry(EntityKind::Refund, "R77")
        .await
        .unwrap());
    let r = engine.sync_refunds().await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    assert_eq!(w.ledger.with(|l| l.credit_memos.len()), 1);
    let ex = w
        .state
        .exception(EntityKind::Refund, "R77")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ex.status, bc_engine::ExceptionStatus::Resolved);
}

#[tokio::test]
async fn a_refund_parked_in_the_queue_is_not_fetched_again_until_its_order_is_imported() {
    let w = World::with_orders(1);
    w.storefront
        .with(|d| d.refunds.push(refund_of_order_1(dec("20.99"), dec("1.52"))));
    let engine = w.engine(test_settings("[refunds]\nenabled = true"));
    let r = engine.sync_refunds().await.unwrap();
    assert_eq!(r.failed.len(), 1, "{r}");
    let fetched = || {
        w.storefront
            .with(|d| d.calls.get("order").copied().unwrap_or(0))
    };
    let after_first = fetched();
    assert!(after_first >= 1, "the first run reads the refund's order");

    // A run that lists it again (no cursor passed yet, or a retry of another refund) leaves
    // it parked: nothing fetched, the exception not filed again.
    w.state.set_cursor("refunds", "").await.ok();
    let again = engine.sync_refunds().await.unwrap();
    assert!(again.failed.is_empty(), "{again}");
    assert_eq!(
        fetched(),
        after_first,
        "the parked refund's order is not read again"
    );
    let ex = w
        .state
        .exception(EntityKind::Refund, "R77")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ex.attempts, 1, "not filed again");

    // Its order imported: the next run posts the memo and resolves the exception by itself.
    engine.sync_orders().await.unwrap();
    w.state.set_cursor("refunds", "").await.ok();
    let r = engine.sync_refunds().await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    assert_eq!(w.ledger.with(|l| l.credit_memos.len()), 1);
    let ex = w
        .state
        .exception(EntityKind::Refund, "R77")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ex.status, bc_engine::ExceptionStatus::Resolved);
}

fn payout() -> Payout {
    Payout {
        id: PayoutId::new("PO-1"),
        paid_at: Utc.with_ymd_and_hms(2026, 2, 3, 0, 0, 0).unwrap(),
        currency: Currency::USD,
        sales: vec![
            PayoutEntry {
                order_id: OrderId::new("1"),
                amount: dec("100.00"),
            },
            PayoutEntry {
                order_id: OrderId::new("2"),
                amount: dec("50.25"),
            },
        ],
        refunds: vec![PayoutEntry {
            order_id: OrderId::new("1"),
            amount: dec("10.00"),
        }],
        fees: dec("4.66"),
        adjustments: Decimal::ZERO,
        net: dec("135.59"),
    }
}

const PAYOUTS: &str = "[payouts]\nenabled = true\nbank_account = \"1000\"\nclearing_account = \"1200\"\nfees_account = \"6100\"";

#[tokio::test]
async fn a_payout_makes_one_balanced_journal() {
    let w = World::new();
    w.storefront.with(|d| d.payouts.push(payout()));
    let engine = w.engine(test_settings(PAYOUTS));
    let r = engine.sync_payouts().await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    w.ledger.with(|l| {
        assert_eq!(l.journals.len(), 1);
        let j = &l.journals[0].1;
        assert!(j.is_balanced());
        let bank = j.lines.iter().find(|x| x.account == "1000").unwrap();
        assert_eq!(bank.debit, dec("135.59"), "the deposit reconciles exactly");
        let fees = j.lines.iter().find(|x| x.account == "6100").unwrap();
        assert_eq!(fees.debit, dec("4.66"));
        let clearing = j.lines.iter().find(|x| x.account == "1200").unwrap();
        assert_eq!(clearing.credit, dec("140.25"));
    });
    let again = engine.sync_payouts().await.unwrap();
    assert_eq!(again.done, 0, "{again}");
    assert_eq!(w.ledger.with(|l| l.journals.len()), 1);
}

#[tokio::test]
async fn payouts_are_skipped_with_a_note_when_the_storefront_has_none() {
    let w = World::new();
    w.storefront.set_capabilities(|c| c.payouts = false);
    let r = w
        .engine(test_settings(PAYOUTS))
        .sync_payouts()
        .await
        .unwrap();
    assert_eq!(r.seen, 0);
    assert!(r.notes[0].contains("does not report payouts"), "{r}");
    assert_eq!(w.storefront.with(|d| d.calls.get("payouts").copied()), None);
}

const STATUS_MAP: &str = r#"
[status]
enabled = true
direction = "DIRECTION"
map = [
  { ledger = "Shipped", storefront = "Shipped" },
  { ledger = "Posted", storefront = "Completed" },
  { ledger = "On Hold", storefront = "Awaiting Payment" },
]
"#;

#[tokio::test]
async fn status_push_runs_ledger_to_storefront_only() {
    let w = World::with_orders(2);
    let engine = w.engine(test_settings(
        &STATUS_MAP.replace("DIRECTION", "push_ledger"),
    ));
    engine.sync_orders().await.unwrap();
    let doc = w.ledger.with(|l| l.documents_for("BC11")[0].at.clone());
    w.ledger.with(|l| {
        l.document_statuses.push(DocumentStatus {
            at: doc.clone(),
            import_id: Some("BC11".parse().unwrap()),
            status: "Shipped".into(),
            changed_at: Utc::now(),
        });
    });
    let r = engine.sync_statuses().await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    assert_eq!(w.storefront.status_of("1"), Some(StatusId::new("2")));
    // Push direction never writes ledger statuses.
    assert!(w.ledger.with(|l| l.statuses_set.is_empty()));
    // The feed cursor moved on: nothing is pushed twice.
    let r = engine.sync_statuses().await.unwrap();
    assert_eq!(r.done, 0, "{r}");
}

#[tokio::test]
async fn status_pull_never_posts_from_the_storefront() {
    let w = World::with_orders(3);
    let engine = w.engine(test_settings(
        &STATUS_MAP.replace("DIRECTION", "pull_storefront"),
    ));
    engine.sync_orders().await.unwrap();
    let postings = w.ledger.with(|l| l.postings());
    let calls_before = w.ledger.with(|l| l.calls.clone());
    // Order 1 is already "Completed" (downloaded status) — which maps to the posting status
    // "Posted": it must never be sent. Order 2 goes to Awaiting Payment → "On Hold".
    w.storefront.set_status("2", "7");
    let r = engine.sync_statuses().await.unwrap();
    assert!(r.is_clean(), "{r}");
    w.ledger.with(|l| {
        assert_eq!(l.statuses_set.len(), 1, "{:?}", l.statuses_set);
        assert_eq!(l.statuses_set[0].1, "On Hold");
        assert!(l.statuses_set.iter().all(|(_, s)| s != "Posted"));
        assert_eq!(l.postings(), postings, "nothing posted");
        for op in [
            "post_sales_document",
            "post_receipt",
            "post_credit_memo",
            "post_journal",
        ] {
            assert_eq!(l.calls.get(op), calls_before.get(op), "{op}");
        }
    });
    // Pull direction never changes storefront statuses.
    let changes = w.storefront.with(|d| d.status_changes.len());
    engine.sync_statuses().await.unwrap();
    assert_eq!(w.storefront.with(|d| d.status_changes.len()), changes);
}

fn ledger_order(id: &str, balance: &str) -> LedgerOrder {
    LedgerOrder {
        at: LedgerRef::new(id).with_number(format!("SO-{id}")),
        order: NewOrder {
            ledger_number: format!("SO-{id}"),
            customer_id: None,
            billing: Default::default(),
            shipping: Default::default(),
            shipping_method: Some("UPS".into()),
            lines: vec![NewOrderLine {
                sku: Sku::new("SKU-1"),
                name: "Widget".into(),
                quantity: Decimal::ONE,
                unit_price_ex_tax: dec("20.00"),
            }],
            shipping_ex_tax: Decimal::ZERO,
            status: StatusId::new("11"),
            currency: Currency::USD,
            staff_notes: None,
        },
        unpaid_balance: dec(balance),
        storefront_order: None,
    }
}

#[tokio::test]
async fn erp_orders_are_created_once_when_paid_and_cross_referenced() {
    let w = World::new();
    w.ledger.with(|l| {
        l.new_orders.push(ledger_order("SO1", "0"));
        l.new_orders.push(ledger_order("SO2", "15.00"));
    });
    let engine = w.engine(test_settings(
        "[shipping]\n[erp_orders]\nenabled = true\nstorefront_status = \"Awaiting Shipment\"",
    ));
    let r = engine.sync_erp_orders().await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    assert_eq!(r.skipped, 1, "unpaid balance waits");
    w.storefront.with(|d| {
        assert_eq!(d.created_orders.len(), 1);
        assert_eq!(d.created_orders[0].1.ledger_number, "SO-SO1");
        assert_eq!(d.created_orders[0].1.status, StatusId::new("9"));
    });
    w.ledger.with(|l| {
        assert_eq!(
            l.links,
            vec![(
                LedgerRef::new("SO1").with_number("SO-SO1"),
                "E1".to_string()
            )]
        )
    });
    // E2: a shipment of the ERP order reaches the storefront order made from it.
    w.ledger.with(|l| {
        let mut s = shipment("SHX", &LedgerRef::new("SO1"), "x", "1ZERP");
        s.import_id = None;
        l.shipments.push(s);
    });
    let s = engine.sync_shipments().await.unwrap();
    assert_eq!(s.done, 1, "{s}");
    assert_eq!(
        w.storefront.with(|d| d.shipments[0].0.clone()),
        OrderId::new("E1")
    );
    // From the start again: nothing created twice.
    w.state.set_cursor("erp-orders", "").await.unwrap();
    let again = engine.sync_erp_orders().await.unwrap();
    assert_eq!(again.done, 0, "{again}");
    assert_eq!(w.storefront.with(|d| d.created_orders.len()), 1);
}

#[tokio::test]
async fn the_audit_reports_gaps_a_finance_person_can_read() {
    let w = World::with_orders(3);
    let engine = w.engine(test_settings(
        "[shipping]\nwarehouse = \"MAIN\"\n[inventory]\nenabled = true\n[refunds]\nenabled = true",
    ));
    engine.sync_orders().await.unwrap();
    // A document deleted in the ledger; an order set "Completed" by hand, never imported;
    // a refund never synced; stock that changed since the last push.
    w.ledger.with(|l| {
        l.documents
            .retain(|d| d.doc.import_id.to_string() != "BC13")
    });
    w.storefront.add_orders([bc_engine::testing::sample_order(
        9,
        COMPLETED,
        "CA State Tax",
    )]);
    w.storefront
        .with(|d| d.refunds.push(refund_of_order_1(dec("20.99"), dec("1.52"))));
    w.ledger.with(|l| {
        l.availability
            .entry("MAIN".into())
            .or_default()
            .insert(Sku::new("SKU-1"), dec("5"));
    });
    let audit = engine.audit().await.unwrap();
    let f = &audit.findings;
    assert!(
        f.iter()
            .any(|x| matches!(x, Finding::DocumentMissing { order, .. } if order.as_str() == "3")),
        "{audit}"
    );
    assert!(
        f.iter().any(
            |x| matches!(x, Finding::OrderWithoutDocument { order, .. } if order.as_str() == "9")
        ),
        "{audit}"
    );
    assert!(
        f.iter().any(
            |x| matches!(x, Finding::RefundWithoutCreditMemo { refund, .. } if refund == "R77")
        ),
        "{audit}"
    );
    assert!(f.iter().any(|x| matches!(x, Finding::InventoryDrift { sku, pushed: None, .. } if sku.as_str() == "SKU-1")), "{audit}");
    // Orders 1 and 2 are fine.
    assert!(!f.iter().any(
        |x| matches!(x, Finding::OrderWithoutDocument { order, .. } if order.as_str() == "1")
    ));
    let text = audit.to_string();
    assert!(text.contains("Order 9"), "{text}");
    assert!(text.contains("no credit memo"), "{text}");
}

#[tokio::test]
async fn the_audit_reports_a_write_started_and_never_posted() {
    let w = World::with_orders(1);
    // A write was started (intent) and the process died before it reached the ledger.
    w.state
        .journal_intent(
            &bc_engine::WriteKey::new(EntityKind::Order, "post", "BC11", 0),
            "h",
            Utc::now(),
        )
        .await
        .unwrap();
    let engine = w.default_engine();
    let audit = engine.audit().await.unwrap();
    assert!(
        audit.findings.iter().any(|f| matches!(f,
            Finding::ImportedNotPosted { order, .. } if order.as_str() == "1")),
        "{audit}"
    );
    // The next order sync searches, finds nothing, posts it; the audit is then clean.
    let r = engine.sync_orders().await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    assert_eq!(w.ledger.with(|l| l.documents.len()), 1);
    let audit = engine.audit().await.unwrap();
    assert!(audit.findings.is_empty(), "{audit}");
    assert!(audit.to_string().contains("No gaps found"));
}

#[tokio::test]
async fn a_ledger_shipment_without_lines_ships_what_the_order_has_left() {
    let w = World::with_orders(1);
    let engine = w.engine(test_settings("[shipping]"));
    engine.sync_orders().await.unwrap();
    let doc = w.ledger.with(|l| l.documents_for("BC11")[0].at.clone());
    w.storefront.with(|d| {
        let o = d.orders.get_mut(&OrderId::new("1")).unwrap();
        o.lines[0].quantity_shipped = Decimal::ONE; // 2 ordered, 1 already shipped
        o.lines[1].physical = false; // the gift box is digital
    });
    w.ledger.with(|l| {
        let mut s = shipment("SHW", &doc, "1", "1ZWHOLE");
        s.shipment.lines.clear();
        l.shipments.push(s);
    });
    let r = engine.sync_shipments().await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    w.storefront.with(|d| {
        let lines = &d.shipments[0].1.lines;
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].line_id.as_deref(), Some("1-1"));
        assert_eq!(lines[0].quantity, Decimal::ONE);
    });
}

/// E1 under a crash: the storefront order is made, then the state store records nothing (the
/// process died between the storefront's answer and the journal's `done`). The next run finds
/// the journal's intent, searches the storefront, adopts the order it finds, and creates none.
#[tokio::test]
async fn an_erp_order_made_in_the_storefront_but_not_recorded_is_not_made_again() {
    use bc_engine::{Engine, FaultyStateStore};

    let w = World::new();
    w.ledger
        .with(|l| l.new_orders.push(ledger_order("SO1", "0")));
    let settings = test_settings(
        "[shipping]\n[erp_orders]\nenabled = true\nstorefront_status = \"Awaiting Shipment\"",
    );
    // Every group commit refused: intents are journalled, nothing after the write is.
    let dying = Arc::new(
        FaultyStateStore::new(w.state.clone() as Arc<dyn StateStore>, 1, 1.0).only(&["commit"]),
    );
    let first = Engine::with_options(
        w.storefront.clone(),
        w.ledger.clone(),
        dying.clone() as Arc<dyn StateStore>,
        settings.clone(),
        fast(),
    );
    let _ = first.sync_erp_orders().await;
    assert!(dying.injected() >= 1);
    assert_eq!(w.storefront.with(|d| d.created_orders.len()), 1);
    drop(first);

    let r = w.engine(settings).sync_erp_orders().await.unwrap();
    assert_eq!(
        w.storefront.with(|d| d.created_orders.len()),
        1,
        "made twice: {r}"
    );
    w.ledger.with(|l| {
        assert!(
            l.links.iter().any(|(_, order)| order == "E1"),
            "{:?}",
            l.links
        )
    });
}
