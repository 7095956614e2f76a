//! The connector against the sandbox: keyset listing under concurrent changes, the Bearer
//! refusal, the state machine, shipments, ERP orders with commit-then-fail, bulk inventory,
//! malformed orders, currencies, refunds, and the request count per imported order.

mod common;

use std::collections::BTreeSet;

use bc_connector_magento::client::Search;
use bc_core::{
    Address, Currency, ErrorKind, InventoryLevel, NewOrder, NewOrderLine, OrderId, OrderQuery,
    RefundQuery, Shipment, ShipmentLine, Sku, StatusId, Storefront,
};
use bc_http::ApiRequest;
use bc_sandbox::faults::FaultPlan;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

#[tokio::test]
async fn keyset_listing_cannot_skip_an_order_that_changes_while_listed() {
    let sb = common::sandbox(60, 5);
    let sf = common::storefront(&sb);
    let all: BTreeSet<String> = sb.orders().iter().map(|o| o.id.to_string()).collect();
    let mut seen = BTreeSet::new();
    let mut q = OrderQuery {
        limit: Some(7),
        ..Default::default()
    };
    let mut pages = 0;
    loop {
        let page = sf.orders(&q).await.expect("page");
        pages += 1;
        assert!(page.failures.is_empty());
        for o in &page.items {
            seen.insert(o.id.to_string());
        }
        if pages == 2 {
            // Between pages: change one order already listed and two not yet listed.
            let unseen: Vec<u64> = sb
                .orders()
                .iter()
                .map(|o| o.id)
                .filter(|id| !seen.contains(&id.to_string()))
                .take(2)
                .collect();
            for id in unseen
                .iter()
                .chain(seen.iter().next().and_then(|s| s.parse().ok()).iter())
            {
                sb.add_comment(*id, "changed while listed")
                    .expect("comment");
            }
        }
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
        assert!(pages < 100, "listing does not end");
    }
    assert_eq!(seen, all, "every order listed at least once");

    // The same walk with offset paging (currentPage) misses orders: the test can fail.
    let sb = common::sandbox(60, 5);
    let sf = common::storefront(&sb);
    let mut naive = BTreeSet::new();
    for page in 1..=9u32 {
        let s = Search::new().sort_asc("updated_at").page(7, page);
        let v: Value = sf
            .client()
            .send(s.apply(ApiRequest::get("/V1/orders")))
            .await
            .unwrap()
            .json("orders")
            .unwrap();
        for o in v["items"].as_array().unwrap() {
            naive.insert(o["entity_id"].to_string());
        }
        if page == 2 {
            // An order already listed moves to the end: every later order shifts one place
            // forward, and the one at the page boundary is never read.
            let listed: u64 = naive.iter().next().and_then(|s| s.parse().ok()).unwrap();
            sb.add_comment(listed, "changed while listed").unwrap();
        }
    }
    assert!(
        naive.len() < 60,
        "offset paging should have skipped an order"
    );
}

#[tokio::test]
async fn integration_token_refusal_names_the_admin_setting() {
    let sb = common::sandbox(5, 1);
    let sf = common::token_storefront(&sb);
    let err = sf
        .orders(&OrderQuery::default())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    let text = err.to_string();
    assert!(
        text.contains("Stores > Configuration > Services > OAuth > Consumer Settings"),
        "{text}"
    );
    assert!(
        text.contains("Allow OAuth Access Tokens to be used as standalone Bearer tokens"),
        "{text}"
    );
    assert!(text.contains("Magento_Sales::actions_view"), "{text}");
}

#[tokio::test]
async fn admin_token_is_fetched_once_and_never_shown() {
    let sb = common::sandbox(5, 1);
    let sf = common::storefront(&sb);
    sf.orders(&OrderQuery::default()).await.unwrap();
    sf.orders(&OrderQuery::default()).await.unwrap();
    assert_eq!(
        sb.stats()
            .by_route
            .get("POST /rest/{store_code}/V1/integration/admin/token")
            .copied()
            .unwrap_or(0),
        1
    );
    let debug = format!("{:?} {:?}", sf, sf.config());
    assert!(!debug.contains("Sandbox-Admin-123"), "{debug}");
}

fn one_line_shipment(line_id: &str, tracking: &str) -> Shipment {
    Shipment {
        tracking_number: Some(tracking.into()),
        carrier: Some("fedex".into()),
        ship_via: None,
        comments: Some("Shipped from the ERP".into()),
        lines: vec![ShipmentLine {
            line_id: Some(line_id.into()),
            sku: None,
            quantity: Decimal::ONE,
        }],
        shipped_at: None,
    }
}

#[tokio::test]
async fn shipment_on_a_canceled_order_is_refused_as_magento_refuses_it() {
    let sb = common::sandbox(40, 2);
    let sf = common::storefront(&sb);
    let id = sb.orders().iter().find(|o| o.state == "new").unwrap().id;
    sb.cancel_order(id).unwrap();
    let order = sf.order(&OrderId::new(id.to_string())).await.unwrap();
    let err = sf
        .create_shipment(
            &order.id,
            &one_line_shipment(&order.lines[0].line_id, "TRK-1"),
        )
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(
        err.to_string()
            .contains("The order does not allow a shipment to be created."),
        "{err}"
    );
    assert!(sb.shipments(id).is_empty());
}

#[tokio::test]
async fn shipment_carries_carrier_and_tracking_and_is_found_again_after_a_lost_answer() {
    let sb = common::sandbox(40, 2);
    let sf = common::storefront(&sb);
    let id = sb
        .orders()
        .iter()
        .find(|o| o.state == "processing")
        .unwrap()
        .id;
    let order = sf.order(&OrderId::new(id.to_string())).await.unwrap();
    let s = one_line_shipment(&order.lines[0].line_id, "7911-0001");
    sb.set_fault_plan(FaultPlan {
        commit_then_fail_rate: 1.0,
        ..FaultPlan::none()
    });
    let created = sf
        .create_shipment(&order.id, &s)
        .await
        .expect("adopted after commit-then-fail");
    sb.set_fault_plan(FaultPlan::none());
    let ships = sb.shipments(id);
    assert_eq!(ships.len(), 1, "exactly one shipment");
    assert_eq!(ships[0]["entity_id"].to_string(), created.id.to_string());
    assert_eq!(ships[0]["tracks"][0]["carrier_code"], "fedex");
    assert_eq!(ships[0]["tracks"][0]["title"], "Federal Express");
    assert_eq!(ships[0]["tracks"][0]["track_number"], "7911-0001");
    let found = sf.find_shipment(&order.id, &s).await.unwrap();
    assert_eq!(found, Some(created));
    let other = one_line_shipment(&order.lines[0].line_id, "nope");
    assert_eq!(sf.find_shipment(&order.id, &other).await.unwrap(), None);
}

fn erp_order(number: &str) -> NewOrder {
    let addr = Address {
        first_name: "Dana".into(),
        last_name: "Ortiz".into(),
        company: Some("Ortiz GmbH".into()),
        street_1: "1 Dock Road".into(),
        street_2: None,
        city: "Austin".into(),
        state: "Texas".into(),
        zip: "73301".into(),
        country: "US".into(),
        country_iso2: "US".into(),
        phone: Some("555-0100".into()),
        email: Some("dana@example.com".into()),
    };
    NewOrder {
        ledger_number: number.into(),
        customer_id: None,
        billing: addr.clone(),
        shipping: addr,
        shipping_method: Some("Flat Rate - Fixed".into()),
        lines: vec![NewOrderLine {
            sku: Sku::new("MB-1003"),
            name: "Bag".into(),
            quantity: dec!(2),
            unit_price_ex_tax: dec!(19.99),
        }],
        shipping_ex_tax: dec!(10),
        status: StatusId::new("pending"),
        currency: Currency::new("USD").unwrap(),
        staff_notes: Some("From Acumatica SO-1001".into()),
    }
}

#[tokio::test]
async fn erp_orders_are_created_once_even_when_the_answer_is_lost() {
    let sb = common::sandbox(3, 4);
    let sf = common::storefront(&sb);
    assert_eq!(
        sf.find_order_by_reference("SO-1001").await.unwrap(),
        None,
        "and the admin token is fetched"
    );
    sb.set_fault_plan(FaultPlan {
        commit_then_fail_rate: 1.0,
        ..FaultPlan::none()
    });
    let id = sf
        .create_order(&erp_order("SO-1001"))
        .await
        .expect("adopted after commit-then-fail");
    sb.set_fault_plan(FaultPlan::none());
    let again = sf.create_order(&erp_order("SO-1001")).await.expect("retry");
    assert_eq!(id, again);
    let with_ref: Vec<_> = sb
        .orders()
        .into_iter()
        .filter(|o| o.ext_order_id.as_deref() == Some("SO-1001"))
        .collect();
    assert_eq!(with_ref.len(), 1, "a retry never creates a second order");
    assert_eq!(
        sf.find_order_by_reference("SO-1001").await.unwrap(),
        Some(id.clone())
    );
    assert_eq!(sf.find_order_by_reference("SO-9999").await.unwrap(), None);
    let o = sf.order(&id).await.unwrap();
    assert_eq!(o.total_inc_tax, dec!(49.98));
    assert_eq!(o.custom.get("ext_order_id"), Some(&json!("SO-1001")));
}

#[tokio::test]
async fn bulk_inventory_push_of_5000_skus_reports_failures_per_sku() {
    let sb = common::sandbox(1, 1);
    let sf = common::storefront(&sb);
    let skus: Vec<String> = (0..4990).map(|i| format!("BULK-{i:05}")).collect();
    sb.add_products(&skus, dec!(10));
    let mut levels: Vec<InventoryLevel> = skus
        .iter()
        .enumerate()
        .map(|(i, s)| InventoryLevel {
            sku: Sku::new(s.clone()),
            available: Decimal::from(i as i64 % 50),
        })
        .collect();
    let unknown: Vec<String> = (0..10).map(|i| format!("GHOST-{i}")).collect();
    levels.extend(unknown.iter().map(|s| InventoryLevel {
        sku: Sku::new(s.clone()),
        available: dec!(3),
    }));
    assert_eq!(levels.len(), 5000);
    let report = sf.push_inventory(&levels).await.expect("pushed");
    assert_eq!(report.bulks.len(), 5, "1,000 operations per bulk");
    assert_eq!(report.saved, 4990);
    let failed: BTreeSet<String> = report.failed.iter().map(|f| f.sku.to_string()).collect();
    assert_eq!(failed, unknown.iter().cloned().collect::<BTreeSet<_>>());
    assert!(report
        .failed
        .iter()
        .all(|f| f.message.contains(f.sku.as_str()) && !f.temporary));
    assert_eq!(sb.source_quantity("BULK-00049", "default"), Some(dec!(49)));
    let err = report.into_result().expect_err("failures reported");
    assert!(err.to_string().contains("GHOST-0"), "{err}");
    println!("bulk push of 5,000 SKUs: {} requests", sb.stats().total);
}

#[tokio::test]
async fn one_malformed_order_does_not_fail_its_page() {
    let sb = common::sandbox(12, 6);
    let sf = common::storefront(&sb);
    let bad = sb.orders()[3].id;
    let mut raw = sb.order_json(bad).unwrap();
    raw["grand_total"] = json!("twelve");
    sb.corrupt_order(bad, raw).unwrap();
    let page = sf
        .orders(&OrderQuery {
            limit: Some(50),
            ..Default::default()
        })
        .await
        .expect("page");
    assert_eq!(page.items.len(), 11);
    assert_eq!(page.failures.len(), 1);
    assert_eq!(page.failures[0].key, bad.to_string());
    assert!(
        page.failures[0].message.contains("twelve"),
        "{}",
        page.failures[0].message
    );
    assert!(page.failures[0].raw.is_some());
}

#[tokio::test]
async fn order_and_base_currency_are_kept_apart() {
    let sb = common::sandbox(80, 8);
    let sf = common::storefront(&sb);
    let eur = sb
        .orders()
        .into_iter()
        .find(|o| o.currency == "EUR")
        .expect("an EUR order")
        .id;
    let o = sf.order(&OrderId::new(eur.to_string())).await.unwrap();
    assert_eq!(o.currency.code(), "EUR");
    assert_eq!(o.default_currency.code(), "USD");
    assert_eq!(
        o.exchange_rate,
        (Decimal::ONE / dec!(0.92)).round_dp(10).normalize()
    );
    o.check_totals().unwrap();
    // Every generated order maps and adds up; tenders and B2B show.
    let page = sf
        .orders(&OrderQuery {
            limit: Some(100),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 80);
    assert!(page.items.iter().any(|o| !o.gift_certificates.is_empty()));
    assert!(page.items.iter().any(|o| !o.store_credit.is_zero()));
    assert!(page
        .items
        .iter()
        .any(|o| o.b2b.as_ref().is_some_and(|b| b.company.is_some())));
    assert!(page.items.iter().any(|o| o
        .taxes
        .iter()
        .any(|t| t.target == bc_core::TaxTarget::Shipping)));
    for o in &page.items {
        let s = sb
            .orders()
            .into_iter()
            .find(|x| x.id.to_string() == o.id.as_str())
            .unwrap();
        assert_eq!(o.total_inc_tax, s.total_inc_tax, "order {}", o.id);
    }
}

#[tokio::test]
async fn credit_memos_are_refunds() {
    let sb = common::sandbox(60, 9);
    let sf = common::storefront(&sb);
    let id = sb
        .orders()
        .into_iter()
        .find(|o| o.state == "processing")
        .unwrap()
        .id;
    sb.refund_order(id).unwrap();
    let mut q = RefundQuery::default();
    let mut all = Vec::new();
    loop {
        let page = sf.refunds(&q).await.unwrap();
        all.extend(page.items);
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let total_memos: usize = sb.orders().iter().map(|o| sb.creditmemos(o.id).len()).sum();
    assert_eq!(all.len(), total_memos);
    let r = all
        .iter()
        .find(|r| r.order_id.as_str() == id.to_string())
        .unwrap();
    assert_eq!(r.computed_total(), r.total);
    let memo = &sb.creditmemos(id)[0];
    assert_eq!(r.total.to_string(), memo["grand_total"].to_string());
}

#[tokio::test]
async fn statuses_move_by_comment_inside_a_state_and_are_refused_across() {
    let sb = common::sandbox(40, 3);
    let sf = common::storefront(&sb);
    let pending = sb
        .orders()
        .into_iter()
        .find(|o| o.state == "new")
        .unwrap()
        .id;
    let id = OrderId::new(pending.to_string());
    sf.set_order_status(&id, &StatusId::new("erp_hold"))
        .await
        .unwrap();
    assert_eq!(sf.order(&id).await.unwrap().status.as_str(), "erp_hold");
    let err = sf
        .set_order_status(&id, &StatusId::new("complete"))
        .await
        .expect_err("needs documents");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("document"), "{err}");
    sf.set_order_status(&id, &StatusId::new("holded"))
        .await
        .unwrap();
    sf.set_order_status(&id, &StatusId::new("pending"))
        .await
        .unwrap();
    assert_eq!(sf.order(&id).await.unwrap().status.as_str(), "pending");
    sf.set_order_status(&id, &StatusId::new("canceled"))
        .await
        .unwrap();
    let err = sf.set_order_status(&id, &StatusId::new("canceled")).await;
    assert!(err.is_ok(), "already canceled: nothing to do");
    let err = sf
        .set_order_status(&id, &StatusId::new("no_such"))
        .await
        .expect_err("unknown");
    assert!(
        err.to_string().contains("storefront.magento.statuses"),
        "{err}"
    );
}

#[tokio::test]
async fn requests_per_imported_order() {
    let sb = common::sandbox(200, 12);
    let sf = common::storefront(&sb);
    sb.reset_stats();
    let mut q = OrderQuery {
        statuses: vec![StatusId::new("processing")],
        limit: Some(100),
        ..Default::default()
    };
    let mut imported = Vec::new();
    loop {
        let page = sf.orders(&q).await.unwrap();
        imported.extend(page.items.into_iter().map(|o| o.id));
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let listing = sb.stats().total;
    for id in &imported {
        sf.set_order_status(id, &StatusId::new("erp_exported"))
            .await
            .unwrap();
    }
    let total = sb.stats().total;
    let n = imported.len() as f64;
    println!(
        "orders imported: {} | listing requests: {listing} ({:.3}/order) | with downloaded status: {total} ({:.2}/order) | API minimum: {:.3}/order listing + 1 status comment = {:.2}/order",
        imported.len(), listing as f64 / n, total as f64 / n, (n / 100.0).ceil() / n, 1.0 + (n / 100.0).ceil() / n
    );
    assert!(!imported.is_empty());
    assert!(
        (total as f64) / n <= 2.1,
        "at most ~2 requests per imported order"
    );
}

/// E2: the ledger released the invoice of an ERP order that is in the store, shipped: the
/// status `complete` is reached through an (offline) invoice, Magento's only way there.
#[tokio::test]
async fn completing_a_shipped_uninvoiced_order_invoices_it() {
    let sb = common::sandbox(3, 4);
    let sf = common::storefront(&sb);
    let mut o = erp_order("SO-2001");
    o.status = StatusId::new("processing");
    let id = sf.create_order(&o).await.unwrap();
    let order = sf.order(&id).await.unwrap();
    sf.create_shipment(
        &id,
        &Shipment {
            lines: vec![ShipmentLine {
                line_id: Some(order.lines[0].line_id.clone()),
                sku: None,
                quantity: dec!(2),
            }],
            ..one_line_shipment(&order.lines[0].line_id, "1ZERP2001")
        },
    )
    .await
    .unwrap();
    let n: u64 = id.as_str().parse().unwrap();
    let before = sb.order_json(n).unwrap();
    assert_eq!(before["state"], "processing", "{before}");
    sf.set_order_status(&id, &StatusId::new("complete"))
        .await
        .expect("invoiced and completed");
    let after = sb.order_json(n).unwrap();
    assert_eq!(after["state"], "complete", "{after}");
    assert_eq!(after["status"], "complete", "{after}");
    assert_eq!(after["total_invoiced"], after["grand_total"], "{after}");
    // Once more: nothing to do, and no second invoice.
    sf.set_order_status(&id, &StatusId::new("complete"))
        .await
        .unwrap();
    assert_eq!(
        sb.order_json(n).unwrap()["total_invoiced"],
        after["total_invoiced"]
    );
}

/// The engine's inventory push (`set_inventory`) skips SKUs the store does not sell, as the
/// BigCommerce connector does; any other failure still fails the batch.
#[tokio::test]
async fn inventory_push_skips_skus_the_store_does_not_sell() {
    let sb = common::sandbox(1, 1);
    let sf = common::storefront(&sb);
    sb.add_products(&["SOLD-1".to_string()], dec!(10));
    let levels = vec![
        InventoryLevel {
            sku: Sku::new("SOLD-1"),
            available: dec!(7),
        },
        InventoryLevel {
            sku: Sku::new("ERP-ONLY-1"),
            available: dec!(3),
        },
    ];
    sf.set_inventory(&levels)
        .await
        .expect("the unknown SKU is skipped");
    assert_eq!(sb.source_quantity("SOLD-1", "default"), Some(dec!(7)));
    let report = sf.push_inventory(&levels).await.unwrap();
    assert_eq!(report.failed.len(), 1, "push_inventory still names it");
    assert_eq!(report.failed[0].sku, Sku::new("ERP-ONLY-1"));
}
