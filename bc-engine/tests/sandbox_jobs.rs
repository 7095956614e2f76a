//! Jobs with the real connectors against the platforms' sandboxes (in-process, no faults):
//! a shipment recorded on a QuickBooks invoice reaches the BigCommerce order with its
//! tracking number, once.

mod common;

use std::sync::Arc;

use bc_core::Settings;
use bc_engine::{Engine, EngineOptions, MemoryStateStore, StateStore};
use bc_http::RetryPolicy;
use bc_sandbox_bigcommerce::{BigCommerceConfig as BcSandboxConfig, BigCommerceSandbox};
use bc_sandbox_qbo::{QboConfig, QboSandbox, Shipment};
use common::sandboxes::{connect, SETTINGS};

#[tokio::test]
async fn a_shipment_recorded_in_quickbooks_reaches_the_bigcommerce_order_once() {
    let bc = BigCommerceSandbox::new(BcSandboxConfig {
        quota: 0,
        ..BcSandboxConfig::default()
    });
    // One USD order awaiting fulfilment, the rest cancelled.
    let ids = bc.seed_orders(30, 5);
    let mut chosen = None;
    for id in ids {
        let usd = bc
            .order_json(id)
            .and_then(|o| o["currency_code"].as_str().map(|c| c == "USD"))
            .unwrap_or(false);
        let status = if usd && chosen.is_none() {
            chosen = Some(id);
            11
        } else {
            5
        };
        bc.set_order_status(id, status).unwrap();
    }
    let order = chosen.expect("a USD order");
    let qbo = QboSandbox::new(QboConfig::default());
    let (storefront, ledger) = connect(&bc, &qbo, RetryPolicy::none()).await;
    let engine = Engine::with_options(
        storefront,
        ledger,
        Arc::new(MemoryStateStore::new()) as Arc<dyn StateStore>,
        Settings::from_toml_str(SETTINGS).unwrap(),
        EngineOptions::default(),
    );
    let r = engine.sync_orders().await.unwrap();
    assert_eq!(r.done, 1, "{r}");
    assert_eq!(bc.order_status(order), Some(9));
    let invoice = qbo
        .invoices()
        .into_iter()
        .find(|i| {
            i["PrivateNote"]
                .as_str()
                .is_some_and(|n| n.starts_with(&format!("[bcsync:BC1{order}]")))
        })
        .expect("the invoice");
    let invoice_id = invoice["Id"].as_str().unwrap().to_string();
    qbo.record_shipment(
        &invoice_id,
        &Shipment {
            ship_date: "2026-02-02".into(),
            tracking_num: "1Z999AA10123456784".into(),
            ship_method: "UPS".into(),
        },
    )
    .unwrap();
    let r = engine.sync_shipments().await.unwrap();
    assert!(r.is_clean(), "{r}");
    assert!(r.done >= 1, "{r}");
    let shipments = bc.shipments(order);
    assert!(!shipments.is_empty());
    assert!(
        shipments
            .iter()
            .all(|s| s["tracking_number"].as_str() == Some("1Z999AA10123456784")),
        "{shipments:?}"
    );
    let count = shipments.len();
    // Again: nothing new.
    let r = engine.sync_shipments().await.unwrap();
    assert_eq!(r.done, 0, "{r}");
    assert_eq!(bc.shipments(order).len(), count);
}

#[tokio::test]
async fn a_bigcommerce_refund_becomes_one_quickbooks_credit_memo() {
    let bc = BigCommerceSandbox::new(BcSandboxConfig {
        quota: 0,
        ..BcSandboxConfig::default()
    });
    let ids = bc.seed_orders(30, 6);
    let mut chosen = None;
    for id in ids {
        let o = bc.order_json(id).unwrap();
        let usd = o["currency_code"].as_str() == Some("USD");
        let card = o["payment_method"].as_str() == Some("Credit Card")
            && o["payment_status"].as_str() == Some("captured");
        let status = if usd && card && chosen.is_none() {
            chosen = Some(id);
            11
        } else {
            5
        };
        bc.set_order_status(id, status).unwrap();
    }
    let order = chosen.expect("a USD card order");
    let qbo = QboSandbox::new(QboConfig::default());
    let (storefront, ledger) = connect(&bc, &qbo, RetryPolicy::none()).await;
    let settings = format!("{SETTINGS}\n[refunds]\nenabled = true\nrefund_prefix = \"CR-\"\n");
    let engine = Engine::with_options(
        storefront,
        ledger,
        Arc::new(MemoryStateStore::new()) as Arc<dyn StateStore>,
        Settings::from_toml_str(&settings).unwrap(),
        EngineOptions::default(),
    );
    assert_eq!(engine.sync_orders().await.unwrap().done, 1);
    let amount = rust_decimal::Decimal::new(1000, 2);
    bc.create_refund(order, amount, "damaged").unwrap();
    let r = engine.sync_refunds().await.unwrap();
    assert!(r.is_clean(), "{r}");
    assert_eq!(r.done, 1, "{r}");
    let memos = qbo.credit_memos();
    assert_eq!(memos.len(), 1, "{memos:?}");
    assert_eq!(
        memos[0]["TotalAmt"]
            .to_string()
            .parse::<rust_decimal::Decimal>()
            .unwrap(),
        amount
    );
    // Exactly once.
    let r = engine.sync_refunds().await.unwrap();
    assert_eq!(r.done, 0, "{r}");
    assert_eq!(qbo.credit_memos().len(), 1);
}
