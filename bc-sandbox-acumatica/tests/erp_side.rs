//! The ERP user's side (`/__sandbox/`'s functions): orders entered with a charge line, shipped
//! and invoiced as Acumatica does.

use std::collections::BTreeMap;

use bc_sandbox_acumatica::{AcumaticaSandbox, AcumaticaSandboxConfig, ErpLine, ErpOrder, Kind};
use rust_decimal::Decimal;
use serde_json::Value;

fn value<'a>(row: &'a Value, field: &str) -> &'a Value {
    &row[field]["value"]
}

/// A shipment carries the stock items only: a non-stock charge (here the seeded `SHIPPING`
/// item, which does not require shipment) never goes on it, and does not keep the order
/// from completing once its goods are shipped; the invoice is then released.
#[test]
fn charges_are_not_shipped_and_do_not_hold_the_order_open() {
    let sb = AcumaticaSandbox::new(AcumaticaSandboxConfig::seeded(7, 0.0, 0));
    let order = sb
        .create_erp_order(&ErpOrder {
            order_type: "SO".into(),
            customer_id: "ERPC0001".into(),
            customer_order: Some("PO-1".into()),
            ship_via: Some("UPSGROUND".into()),
            tax_zone: None,
            hold: false,
            flags: BTreeMap::new(),
            lines: vec![
                ErpLine {
                    inventory_id: "WIDGET-RED".into(),
                    quantity: Decimal::from(2),
                    unit_price: Decimal::new(1999, 2),
                },
                ErpLine {
                    inventory_id: "SHIPPING".into(),
                    quantity: Decimal::ONE,
                    unit_price: Decimal::new(995, 2),
                },
            ],
        })
        .expect("entered");
    // Both contacts default from the customer's.
    assert_eq!(
        value(&order["BillToContact"], "BusinessName"),
        "Northwind Traders"
    );
    assert_eq!(
        value(&order["ShipToContact"], "BusinessName"),
        "Northwind Traders"
    );
    let nbr = value(&order, "OrderNbr").as_str().unwrap().to_string();
    let shipment = sb
        .ship_order("SO", &nbr, Some("1ZTEST"), true)
        .expect("shipped");
    let lines = shipment["Details"].as_array().expect("lines");
    assert_eq!(lines.len(), 1, "{shipment}");
    assert_eq!(value(&lines[0], "InventoryID"), "WIDGET-RED");
    let so = sb.record(Kind::SalesOrder, &["SO", &nbr]).expect("order");
    assert_eq!(value(&so, "Status"), "Completed", "{so}");
    let invoice = sb.invoice_order("SO", &nbr).expect("invoiced");
    assert_eq!(value(&invoice, "Status"), "Open", "{invoice}");
}
