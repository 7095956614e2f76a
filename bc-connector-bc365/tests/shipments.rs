//! Shipments against the sandbox: tracking numbers with carrier and lines, availability by
//! location, and a feed that delivers every shipment once even when many share one
//! millisecond. The documents, money and requests per order are in `sandbox.rs`.

mod common;

use bc_core::{Currency, Cursor, Ledger, SalesDocument};
use bc_sandbox_bc365::Tracking;
use common::*;
use rust_decimal_macros::dec;

/// S1: the warehouse posts a shipment with a package tracking number; the connector reports
/// it with carrier and lines; availability per location follows inventory changes.
#[tokio::test]
async fn shipments_with_tracking_and_availability_by_location() {
    let sb = sandbox(311);
    let l = ledger(&sb, Co::Gb, true).await;
    let c = client(&l, "ship").await;
    let chair = item(&l, "1900-S").await;
    let id = import("9701");
    let doc = document(
        &id,
        &c,
        Currency::GBP,
        vec![item_line(&chair, dec!(3), dec!(30), Some("ZERO"))],
        vec![],
    );
    l.post_sales_document(&doc).await.expect("post");
    sb.ship(
        Co::Gb.id(),
        "BC19701",
        &Tracking {
            package_tracking_no: "1Z999AA10123456784".into(),
            shipping_agent_code: "UPS".into(),
            shipping_agent_service_code: "GROUND".into(),
        },
    )
    .expect("ship");
    let page = l.shipments(&Cursor::start()).await.expect("shipments");
    assert_eq!(page.items.len(), 1);
    let s = &page.items[0];
    assert_eq!(s.import_id.as_ref(), Some(&id));
    assert_eq!(
        s.shipment.tracking_number.as_deref(),
        Some("1Z999AA10123456784")
    );
    assert_eq!(s.shipment.carrier.as_deref(), Some("ups"));
    assert_eq!(s.shipment.lines.len(), 1);
    assert_eq!(s.shipment.lines[0].quantity, dec!(3));
    let next = page.next.expect("a cursor");
    assert!(l.shipments(&next).await.expect("after").items.is_empty());

    sb.adjust_stock(Co::Gb.id(), "1906-S", "OUTLET", dec!(5))
        .expect("adjust");
    let levels = l
        .availability("OUTLET", &Cursor::start())
        .await
        .expect("availability");
    let get = |sku: &str| {
        levels
            .items
            .iter()
            .find(|x| x.sku.as_str() == sku)
            .map(|x| x.available)
    };
    assert_eq!(get("1906-S"), Some(dec!(7)));
    assert_eq!(get("1896-S"), Some(dec!(4)));
    assert_eq!(get("1900-S"), None, "no chairs at the outlet");
}

/// Issue 13's lost shipment: Business Central stamps changes to the millisecond, so
/// shipments posted together share one `lastModifiedDateTime`. A `gt` cursor taken at the end
/// of a full page (100 rows) skipped the rest of such a group for good. With the clock held,
/// 150 shipments share one time: the feed must still deliver each of them, once.
#[tokio::test]
async fn shipments_sharing_one_timestamp_across_pages_are_all_delivered_once() {
    let sb = sandbox(315);
    let l = ledger(&sb, Co::Gb, true).await;
    let c = client(&l, "same-ms").await;
    let chair = item(&l, "1900-S").await;
    let n = 150;
    let docs: Vec<SalesDocument> = (0..n)
        .map(|i| {
            document(
                &import(&format!("S{i:04}")),
                &c,
                Currency::GBP,
                vec![item_line(&chair, dec!(1), dec!(10), Some("ZERO"))],
                vec![],
            )
        })
        .collect();
    for chunk in docs.chunks(100) {
        for r in l.post_sales_documents(chunk).await {
            r.expect("posted");
        }
    }
    sb.hold_clock(Some(chrono::Utc::now()));
    for i in 0..n {
        sb.ship(
            Co::Gb.id(),
            &format!("BC1S{i:04}"),
            &Tracking {
                package_tracking_no: format!("1Z{i:016}"),
                shipping_agent_code: "UPS".into(),
                shipping_agent_service_code: "GROUND".into(),
            },
        )
        .expect("ship");
    }
    sb.hold_clock(None);
    let stamps: std::collections::BTreeSet<String> = sb
        .rows(Co::Gb.id(), "salesShipmentTracking")
        .iter()
        .map(|r| r["lastModifiedDateTime"].to_string())
        .collect();
    assert_eq!(
        stamps.len(),
        1,
        "the held clock gives every shipment one time"
    );

    let mut cursor = Cursor::start();
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..10 {
        let page = l.shipments(&cursor).await.expect("shipments");
        assert!(page.failures.is_empty(), "{:?}", page.failures);
        assert!(page.items.len() <= 100, "a page at most");
        seen.extend(
            page.items
                .iter()
                .filter_map(|s| s.shipment.tracking_number.clone()),
        );
        match page.next {
            Some(next) if next != cursor => cursor = next,
            _ => break,
        }
    }
    let distinct: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "no shipment twice");
    assert_eq!(seen.len(), n, "every shipment once");
    // Caught up: the same cursor brings nothing; a new shipment comes next, alone.
    assert!(l.shipments(&cursor).await.expect("again").items.is_empty());
    l.post_sales_documents(&[document(
        &import("S9999"),
        &c,
        Currency::GBP,
        vec![item_line(&chair, dec!(1), dec!(10), Some("ZERO"))],
        vec![],
    )])
    .await
    .pop()
    .expect("one result")
    .expect("posted");
    sb.ship(
        Co::Gb.id(),
        "BC1S9999",
        &Tracking {
            package_tracking_no: "1ZLATE".into(),
            shipping_agent_code: "UPS".into(),
            shipping_agent_service_code: "GROUND".into(),
        },
    )
    .expect("ship");
    let late = l.shipments(&cursor).await.expect("late");
    let late: Vec<_> = late
        .items
        .iter()
        .filter_map(|s| s.shipment.tracking_number.as_deref())
        .collect();
    assert_eq!(late, vec!["1ZLATE"]);
}
