//! The connector against the Acumatica sandbox, in-process (no sockets).

use std::time::Duration;

use bc_core::{Client, ClientKey, ErrorKind, Ledger};
use bc_http::RouterTransport;
use bc_sandbox_acumatica::{AcumaticaSandbox, AcumaticaSandboxConfig, ErpLine, ErpOrder, Kind};
use rust_decimal::Decimal;

mod common;
use common::{config, fixture, ledger, sandbox};

#[tokio::test]
async fn a_client_that_never_signs_out_hits_the_login_limit_the_connector_never_does() {
    let sb = sandbox();
    // A careless client: signs in for every unit of work, never signs out.
    let router = sb.router();
    let mut refused = None;
    for i in 0..3 {
        let t = RouterTransport::new(router.clone());
        let req = http::Request::post("http://127.0.0.1/entity/auth/login")
            .header("content-type", "application/json")
            .body(bytes::Bytes::from(r#"{"name":"api.user","password":"sandbox-password-0000","company":"SandboxCompany"}"#))
            .unwrap();
        let resp = bc_http::HttpTransport::send(&t, req).await.unwrap();
        if resp.status() != 204 {
            refused = Some((
                i,
                resp.status().as_u16(),
                String::from_utf8_lossy(resp.body()).to_string(),
            ));
            break;
        }
    }
    let (at, status, body) = refused.expect("the third sign-in is refused");
    assert_eq!((at, status), (2, 500));
    assert!(body.contains("API Login Limit"), "{body}");
    assert_eq!(sb.session_counts().2, 1);

    // The connector: 1,000 calls, one session, signed out at the end.
    sb.end_all_sessions();
    let l = ledger(&sb, &config("limit"));
    for i in 0..1000 {
        let found = l
            .find_client(&ClientKey::Email(format!("nobody{i}@example.com")))
            .await
            .unwrap();
        assert!(found.is_none());
        assert!(sb.open_sessions() <= 1);
    }
    l.logout().await.unwrap();
    assert_eq!(sb.open_sessions(), 0);
    assert_eq!(l.client().session().counts(), (1, 1));
    assert_eq!(sb.session_counts().2, 1, "no new refusal");
}

#[tokio::test(start_paused = true)]
async fn an_action_is_polled_to_completion_and_one_that_hangs_times_out() {
    let sb = sandbox();
    sb.set_action_polls(3);
    let mut cfg = config("actions");
    cfg.action_timeout_secs = 30;
    let l = ledger(&sb, &cfg);
    let c = Client {
        display_name: "Polly".into(),
        company: None,
        contact: None,
        email: Some("polly@example.com".into()),
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some("p1".into()),
        storefront_customer: None,
        currency: None,
    };
    let customer = l.create_client(&c).await.unwrap();
    let body = serde_json::json!({"Type": {"value": "Invoice"}, "CustomerID": {"value": customer.at.id}, "Details": [{"InventoryID": {"value": "WIDGET-RED"}, "Qty": {"value": 1}, "UnitPrice": {"value": 10}}]});
    let inv = l
        .client()
        .put("SalesInvoice", &body, "", true)
        .await
        .unwrap();
    let nbr = inv["ReferenceNbr"]["value"].as_str().unwrap().to_string();
    let keys = serde_json::json!({"Type": {"value": "Invoice"}, "ReferenceNbr": {"value": nbr}});
    l.client()
        .action(
            "SalesInvoice",
            "ReleaseSalesInvoice",
            keys,
            serde_json::json!({}),
        )
        .await
        .unwrap();
    let rec = sb.record(Kind::SalesInvoice, &["Invoice", &nbr]).unwrap();
    assert_eq!(rec["Status"]["value"], "Open");
    let polls = sb
        .stats()
        .snapshot()
        .by_route
        .iter()
        .filter(|(k, _)| k.starts_with("GET") && k.contains("{entity}/{*rest}"))
        .map(|(_, n)| *n)
        .sum::<u64>();
    assert!(polls >= 4, "polled {polls} times");

    // A hung operation: the deadline lapses with a clear error.
    sb.set_action_polls(u32::MAX);
    let inv2 = l
        .client()
        .put("SalesInvoice", &body, "", true)
        .await
        .unwrap();
    let nbr2 = inv2["ReferenceNbr"]["value"].as_str().unwrap().to_string();
    let keys2 = serde_json::json!({"Type": {"value": "Invoice"}, "ReferenceNbr": {"value": nbr2}});
    let started = tokio::time::Instant::now();
    let err = l
        .client()
        .action(
            "SalesInvoice",
            "ReleaseSalesInvoice",
            keys2,
            serde_json::json!({}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert!(
        err.to_string().contains("ReleaseSalesInvoice") && err.to_string().contains("30 s"),
        "{err}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(30) && started.elapsed() < Duration::from_secs(40)
    );
    assert_eq!(
        sb.record(Kind::SalesInvoice, &["Invoice", &nbr2]).unwrap()["Status"]["value"],
        "Balanced"
    );
}

#[tokio::test]
async fn a_422_field_error_names_the_field() {
    let sb = sandbox();
    let l = ledger(&sb, &config("422"));
    let body = serde_json::json!({"Type": {"value": "Invoice"}, "CustomerID": {"value": "NOSUCHCUST"}, "Details": [{"InventoryID": {"value": "NOSUCHITEM"}, "Qty": {"value": 1}, "UnitPrice": {"value": 1}}]});
    let err = l
        .client()
        .put("SalesInvoice", &body, "", true)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert_eq!(err.platform_code(), Some("422"));
    let text = err.to_string();
    assert!(
        text.contains("CustomerID: 'Customer' cannot be found in the system."),
        "{text}"
    );
    assert!(text.contains("Details[0].InventoryID"), "{text}");
}

#[tokio::test]
async fn erp_orders_qualify_after_payment_and_are_linked_once() {
    let sb = sandbox();
    let l = ledger(&sb, &config("erp"));
    let order = |ty: &str, via: &str| ErpOrder {
        order_type: ty.into(),
        customer_id: "ERPC0002".into(),
        customer_order: Some("PO-77".into()),
        ship_via: Some(via.into()),
        lines: vec![ErpLine {
            inventory_id: "WIDGET-RED".into(),
            quantity: Decimal::from(2),
            unit_price: Decimal::new(1999, 2),
        }],
        ..Default::default()
    };
    let wo = sb.create_erp_order(&order("WO", "UPSGROUND")).unwrap();
    let wo_nbr = wo["OrderNbr"]["value"].as_str().unwrap().to_string();
    sb.create_erp_order(&order("SO", "UPSGROUND")).unwrap(); // RETAIL customer, SO type: never
    sb.create_erp_order(&order("WO", "PICKUP")).unwrap(); // ship via unmapped
    let page = l.new_orders(&bc_core::Cursor::start()).await.unwrap();
    assert!(page.items.is_empty(), "unpaid: nothing yet");
    let cursor = page.next.unwrap();
    sb.record_payment("WO", &wo_nbr, None).unwrap();
    let page = l.new_orders(&cursor).await.unwrap();
    assert_eq!(
        page.items.len(),
        1,
        "the paid WO order qualifies, re-checked from the cursor"
    );
    let lo = &page.items[0];
    assert_eq!(lo.order.shipping_method.as_deref(), Some("UPS Ground"));
    assert!(lo.unpaid_balance.is_zero());
    l.link_storefront_order(&lo.at, &bc_core::OrderId::new("100000123"))
        .await
        .unwrap();
    let page2 = l.new_orders(page.next.as_ref().unwrap()).await.unwrap();
    assert!(
        page2.items.is_empty(),
        "linked orders are not offered again"
    );
    let views = sb.erp_orders();
    assert_eq!(
        views
            .iter()
            .filter(|v| v.external_ref.as_deref() == Some("100000123"))
            .count(),
        1
    );

    // E2: shipment with tracking, released invoice.
    sb.ship_order("WO", &wo_nbr, Some("1Z999"), true).unwrap();
    let ships = l.shipments(&bc_core::Cursor::start()).await.unwrap();
    let s = ships
        .items
        .iter()
        .find(|s| s.document.id == format!("WO/{wo_nbr}"))
        .expect("shipment");
    assert_eq!(s.shipment.tracking_number.as_deref(), Some("1Z999"));
    sb.invoice_order("WO", &wo_nbr).unwrap();
    let st = l
        .document_statuses(&bc_core::Cursor::start())
        .await
        .unwrap();
    assert!(st
        .items
        .iter()
        .any(|d| d.at.id == format!("WO/{wo_nbr}") && d.status == "Open"));
    l.logout().await.unwrap();
}

/// Commit-then-fail on every write kind (the write lands, the answer is a 502 or a reset):
/// retrying each operation until it succeeds leaves exactly one record per key.
#[tokio::test]
async fn commit_then_fail_on_each_write_kind_leaves_exactly_one_record() {
    use bc_core::testkit::ledger::sample_document;
    use bc_core::{
        CreditKind, CreditLine, CreditMemo, DocNumber, ImportId, JournalEntry, JournalLine,
        NewItem, OrderId, Receipt, ReceiptState, SalesLineKind, Sku, SourceCode,
    };
    let sb = AcumaticaSandbox::new(AcumaticaSandboxConfig {
        max_api_sessions: 1000,
        ..Default::default()
    });
    let l = ledger(&sb, &config("ctf"));
    let fx = fixture();
    macro_rules! retry {
        ($e:expr) => {{
            let mut last = None;
            for _ in 0..30 {
                match $e.await {
                    Ok(v) => {
                        last = Some(v);
                        break;
                    }
                    Err(err) => assert!(
                        err.is_temporary() || err.kind() == ErrorKind::OutcomeUnknown,
                        "{err}"
                    ),
                }
            }
            last.expect("succeeds within 30 attempts")
        }};
    }
    let client = Client {
        display_name: "Faulty".into(),
        company: None,
        contact: None,
        email: Some("f@example.com".into()),
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some("f1".into()),
        storefront_customer: None,
        currency: None,
    };
    let item_def = NewItem {
        sku: Sku::new("CTF-1"),
        name: "Commit then fail".into(),
        item_type: bc_core::ItemType::NonInventory,
        income_account: "40000".into(),
        expense_account: Some("50000".into()),
        cogs_account: None,
        asset_account: None,
        product_class: None,
        unit_price: Some(Decimal::new(2500, 2)),
    };
    sb.set_fault_plan(bc_sandbox::faults::FaultPlan {
        seed: 11,
        commit_then_fail_rate: 0.5,
        ..Default::default()
    });
    let c = retry!(l.create_client(&client));
    let item = retry!(l.create_item(&item_def));
    let mut refs = Vec::new();
    for n in 0..4 {
        let id = ImportId::new(
            SourceCode::new("CTF").unwrap(),
            OrderId::new(format!("{n}")),
        )
        .unwrap();
        let doc = sample_document(
            &fx,
            &c.at,
            &item,
            id.clone(),
            DocNumber::Fixed(format!("CTF-{n}")),
        );
        let at = retry!(l.post_sales_document(&doc));
        let receipt = Receipt {
            import_id: id.clone(),
            sequence: 0,
            document: at.clone(),
            client: c.at.clone(),
            receipt_type: "CARD".into(),
            deposit_account: "10200".into(),
            amount: Decimal::new(5000, 2),
            currency: bc_core::Currency::USD,
            state: ReceiptState::Captured,
            date: doc.date,
            reference: None,
        };
        retry!(l.post_receipt(&receipt));
        let memo = CreditMemo {
            kind: CreditKind::CreditMemo,
            import_id: id.clone(),
            refund_id: format!("R{n}"),
            number: DocNumber::Auto,
            client: c.at.clone(),
            invoice: Some(at.clone()),
            lines: vec![CreditLine {
                kind: SalesLineKind::Item {
                    item: item.at.clone(),
                    line_id: "1".into(),
                },
                target: None,
                description: "refund".into(),
                sku: item.sku.clone(),
                quantity: Decimal::ONE,
                unit_price: Decimal::new(2500, 2),
                amount: Decimal::new(2500, 2),
                tax_code: None,
                restock: false,
            }],
            tax: Decimal::ZERO,
            tax_code: None,
            total: Decimal::new(2500, 2),
            refund_account: None,
            currency: bc_core::Currency::USD,
            date: doc.date,
            memo: None,
            warehouse: None,
        };
        retry!(l.post_credit_memo(&memo));
        let j = JournalEntry {
            key: format!("CTF-PAYOUT-{n}").into(),
            number: DocNumber::Auto,
            date: doc.date,
            currency: bc_core::Currency::USD,
            lines: vec![
                JournalLine {
                    account: "10100".into(),
                    debit: Decimal::TEN,
                    credit: Decimal::ZERO,
                    description: "d".into(),
                },
                JournalLine {
                    account: "10200".into(),
                    debit: Decimal::ZERO,
                    credit: Decimal::TEN,
                    description: "c".into(),
                },
            ],
            memo: None,
        };
        retry!(l.post_journal(&j));
        refs.push(at);
    }
    sb.set_fault_plan(bc_sandbox::faults::FaultPlan::none());
    let faults = sb.faults().counts();
    assert!(
        faults.commit_then_fail + faults.commit_then_reset >= 8,
        "{faults:?}"
    );
    assert!(sb.duplicates().is_empty(), "{:?}", sb.duplicates());
    let count = |kind: Kind, pred: &dyn Fn(&serde_json::Value) -> bool| {
        sb.documents(kind).iter().filter(|r| pred(r)).count()
    };
    let ext = |r: &serde_json::Value| r["ExternalRef"]["value"].as_str().unwrap_or("").to_string();
    assert_eq!(
        count(Kind::SalesInvoice, &|r| ext(r).starts_with("CTF")
            && r["Type"]["value"] == "Invoice"),
        4
    );
    assert_eq!(
        count(Kind::SalesInvoice, &|r| ext(r).starts_with("CTF")
            && r["Type"]["value"] == "Credit Memo"),
        4
    );
    assert_eq!(
        count(Kind::Payment, &|r| ext(r).starts_with("CTF")
            && ext(r).contains("/P")),
        4
    );
    assert_eq!(
        count(Kind::Payment, &|r| ext(r).starts_with("CTF")
            && ext(r).contains("/G")),
        4
    );
    assert_eq!(
        count(Kind::JournalTransaction, &|r| r["Description"]["value"]
            .as_str()
            .unwrap_or("")
            .starts_with("[CTF-PAYOUT")),
        4
    );
    assert_eq!(
        count(Kind::Customer, &|r| r["AccountRef"]["value"] == "f1"),
        1
    );
}

/// Ledger requests for one storefront order posted as an invoice with a gift certificate and
/// a captured payment (figures for the report; the bound keeps them from creeping up).
#[tokio::test]
async fn requests_per_order() {
    use bc_core::testkit::ledger::sample_document;
    use bc_core::{DocNumber, ImportId, ItemKey, OrderId, Receipt, ReceiptState, Sku, SourceCode};
    let sb = sandbox();
    let l = ledger(&sb, &config("rpo"));
    let fx = fixture();
    let client = Client {
        display_name: "Counted".into(),
        company: None,
        contact: None,
        email: Some("c@example.com".into()),
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some("c1".into()),
        storefront_customer: None,
        currency: None,
    };
    sb.stats().reset();
    let found = l
        .find_client(&ClientKey::ImportId("c1".into()))
        .await
        .unwrap();
    assert!(found.is_none());
    let c = l.create_client(&client).await.unwrap();
    let item = l
        .find_items(&[ItemKey::Sku(Sku::new("WIDGET-RED"))])
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    let id = ImportId::new(SourceCode::new("RPO").unwrap(), OrderId::new("1")).unwrap();
    let doc = sample_document(
        &fx,
        &c.at,
        &item,
        id.clone(),
        DocNumber::Fixed("RPO-1".into()),
    );
    let at = l.post_sales_document(&doc).await.unwrap();
    let receipt = Receipt {
        import_id: id,
        sequence: 0,
        document: at,
        client: c.at,
        receipt_type: "CARD".into(),
        deposit_account: "10200".into(),
        amount: doc.balance_due(),
        currency: bc_core::Currency::USD,
        state: ReceiptState::Captured,
        date: doc.date,
        reference: None,
    };
    l.post_receipt(&receipt).await.unwrap();
    let total = sb.stats().snapshot().total;
    println!(
        "ledger requests for one new order (client, item, invoice, gift card, payment): {total}"
    );
    println!("{:#?}", sb.stats().snapshot().by_route);
    assert!(total <= 20, "{total} requests");
}
