//! Shipments of an order with the same SKU on two lines, against the sandbox: a shipment line
//! known by SKU only ships from the order product that still has quantity left, split across
//! the lines when needed; in full at once, and in two parts.

use bc_core::{
    Address, Currency, NewOrder, NewOrderLine, OrderId, Shipment, ShipmentLine, Sku, StatusId,
    Storefront,
};
use rust_decimal::Decimal;
use serde_json::Value;

mod common;
use common::{connect, sandbox};

fn address() -> Address {
    Address {
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        company: None,
        street_1: "1 Compiler Way".into(),
        street_2: None,
        city: "Austin".into(),
        state: "Texas".into(),
        zip: "78701".into(),
        country: "United States".into(),
        country_iso2: "US".into(),
        phone: None,
        email: Some("grace@example.com".into()),
    }
}

/// An order with `sku` on two lines (2 at 10.00, 3 at 8.00: a price break, say).
async fn order_with_twice(
    bc: &bc_connector_bigcommerce::BigCommerce,
    sku: &str,
    n: &str,
) -> OrderId {
    let line = |q: i64, p: i64| NewOrderLine {
        sku: Sku::new(sku),
        name: "Widget".into(),
        quantity: Decimal::from(q),
        unit_price_ex_tax: Decimal::new(p, 2),
    };
    bc.create_order(&NewOrder {
        ledger_number: format!("SO-SAME-{n}"),
        customer_id: None,
        billing: address(),
        shipping: address(),
        shipping_method: Some("Flat Rate".into()),
        lines: vec![line(2, 1000), line(3, 800)],
        shipping_ex_tax: Decimal::ZERO,
        status: StatusId::new("11"),
        currency: Currency::USD,
        staff_notes: None,
    })
    .await
    .expect("order created")
}

fn by_sku(sku: &str, quantities: &[i64], tracking: &str) -> Shipment {
    Shipment {
        tracking_number: Some(tracking.into()),
        carrier: Some("UPS".into()),
        ship_via: None,
        comments: None,
        lines: quantities
            .iter()
            .map(|q| ShipmentLine {
                line_id: None,
                sku: Some(Sku::new(sku)),
                quantity: Decimal::from(*q),
            })
            .collect(),
        shipped_at: None,
    }
}

/// `(order_product_id, quantity)` of every item of the order's shipments, sorted.
fn shipped(sb: &bc_sandbox_bigcommerce::BigCommerceSandbox, id: u64) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = sb
        .shipments(id)
        .iter()
        .flat_map(|s| s["items"].as_array().cloned().unwrap_or_default())
        .map(|i: Value| {
            (
                i["order_product_id"].as_u64().unwrap(),
                i["quantity"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn the_same_sku_on_two_lines_ships_in_full_and_in_two_parts() {
    let sb = sandbox(2, 3);
    let bc = connect(&sb, "same-sku");
    let sku = sb.skus()[0].clone();

    // In full, the ledger shipping the SKU as two lines (2 and 3).
    let full = order_with_twice(&bc, &sku, "1").await;
    let o = bc.order(&full).await.unwrap();
    let same: Vec<_> = o
        .lines
        .iter()
        .filter(|l| l.sku.as_ref().map(|s| s.as_str()) == Some(sku.as_str()))
        .collect();
    assert_eq!(same.len(), 2, "{:?}", o.lines);
    let (p1, p2): (u64, u64) = (
        same[0].line_id.parse().unwrap(),
        same[1].line_id.parse().unwrap(),
    );
    let id: u64 = full.as_str().parse().unwrap();
    bc.create_shipment(&full, &by_sku(&sku, &[2, 3], "1ZSAME0001"))
        .await
        .expect("shipped in full");
    assert_eq!(shipped(&sb, id), vec![(p1, 2), (p2, 3)]);
    assert_eq!(sb.order_status(id), Some(2), "Shipped");

    // In full, as one line of 5: split across the two products.
    let one = order_with_twice(&bc, &sku, "2").await;
    let id1: u64 = one.as_str().parse().unwrap();
    bc.create_shipment(&one, &by_sku(&sku, &[5], "1ZSAME0002"))
        .await
        .expect("one line of 5 split");
    let o1 = bc.order(&one).await.unwrap();
    let q: Vec<Decimal> = o1.lines.iter().map(|l| l.quantity_shipped).collect();
    assert_eq!(q, vec![Decimal::from(2), Decimal::from(3)]);
    assert_eq!(sb.order_status(id1), Some(2), "Shipped");

    // In two parts: 3 first (2 from the first product, 1 from the second), then 2.
    let parts = order_with_twice(&bc, &sku, "3").await;
    let o2 = bc.order(&parts).await.unwrap();
    let (q1, q2): (u64, u64) = (
        o2.lines[0].line_id.parse().unwrap(),
        o2.lines[1].line_id.parse().unwrap(),
    );
    let id2: u64 = parts.as_str().parse().unwrap();
    bc.create_shipment(&parts, &by_sku(&sku, &[3], "1ZPART0001"))
        .await
        .expect("first part");
    assert_eq!(shipped(&sb, id2), vec![(q1, 2), (q2, 1)]);
    assert_eq!(sb.order_status(id2), Some(3), "Partially Shipped");
    let second = by_sku(&sku, &[2], "1ZPART0002");
    let first_ref = bc
        .create_shipment(&parts, &second)
        .await
        .expect("second part");
    assert_eq!(shipped(&sb, id2), vec![(q1, 2), (q2, 1), (q2, 2)]);
    assert_eq!(sb.order_status(id2), Some(2), "Shipped");
    // A repeat of the second part (a retry after a lost answer) ships nothing more.
    let again = bc.create_shipment(&parts, &second).await.expect("adopted");
    assert_eq!(again.id, first_ref.id);
    assert_eq!(sb.shipments(id2).len(), 2);

    // More than is left is refused with a clear error, nothing shipped.
    let e = bc
        .create_shipment(&parts, &by_sku(&sku, &[1], "1ZPART0003"))
        .await
        .expect_err("nothing left");
    assert!(e.to_string().contains("more than the quantity left"), "{e}");
    assert_eq!(sb.shipments(id2).len(), 2);
}
