//! The ERP's "sandbox": every `Ledger` method against a fresh ERP (in memory), as the
//! sandboxes of the HTTP connectors serve theirs — clients, items, sales documents (batches,
//! updates, refusals), shipments, availability, statuses, the source-code search and
//! ERP-entered orders. Receipts, credit memos and journals are in `money.rs`.

mod common;

use bc_connector_acctvantage::{accounts, NewSalesOrder, NewSalesOrderLine, SalesOrderStatus};
use bc_core::{ClientKey, Cursor, ErrorKind, ItemKey, Ledger, ShipmentLine, Sku, SourceCode};
use common::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

#[tokio::test]
async fn capabilities_declare_everything_and_no_idempotency_keys() {
    let erp = erp().await;
    let c = erp.capabilities();
    assert_eq!(c.platform, "acctvantage");
    assert!(!c.idempotency_keys);
    assert!(c.create_items && c.credit_memos && c.journals && c.shipments);
    assert!(c.availability && c.document_statuses && c.set_document_status && c.new_orders);
    assert!(c.batch_size > 1);
}

#[tokio::test]
async fn clients_are_found_by_import_id_email_any_case_contact_email_and_name() {
    let erp = erp().await;
    let at = client(&erp, 7).await;
    for key in [
        ClientKey::ImportId("7".into()),
        ClientKey::Email("CLIENT7@example.COM".into()),
        ClientKey::Email("contact7@example.com".into()),
        ClientKey::DisplayName("Client 7".into()),
    ] {
        let found = erp.find_client(&key).await.unwrap();
        assert_eq!(found.map(|f| f.at.id), Some(at.id.clone()), "{key:?}");
    }
    assert!(erp
        .find_client(&ClientKey::ImportId("8".into()))
        .await
        .unwrap()
        .is_none());
    assert!(erp
        .find_client(&ClientKey::DisplayName("client 7".into()))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_taken_display_name_gets_a_stable_variant_and_an_import_id_only_once() {
    let erp = erp().await;
    let mut c = bc_core::Client {
        display_name: "Jane Doe".into(),
        company: None,
        contact: None,
        email: Some("jane@a.com".into()),
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some("1".into()),
        storefront_customer: None,
        currency: None,
    };
    let a = erp.create_client(&c).await.unwrap();
    assert_eq!(a.display_name, "Jane Doe");
    c.import_id = Some("2".into());
    let b = erp.create_client(&c).await.unwrap();
    assert_eq!(b.display_name, "Jane Doe (2)"); // names the import id
    c.import_id = None;
    c.email = None;
    let d = erp.create_client(&c).await.unwrap();
    assert_eq!(d.display_name, "Jane Doe (3)"); // numbered: "(2)" is taken
    assert_ne!(a.at.id, b.at.id);
    c.import_id = Some("1".into());
    let e = erp.create_client(&c).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn items_are_created_found_by_sku_and_name_and_unique() {
    let erp = erp().await;
    let it = item(&erp, "SKU-1", Decimal::ZERO).await;
    assert!(it.tracks_inventory);
    let found = erp
        .find_items(&[
            ItemKey::Sku(Sku::new("SKU-1")),
            ItemKey::Name("Product SKU-1".into()),
            ItemKey::Sku(Sku::new("nope")),
        ])
        .await
        .unwrap();
    assert_eq!(found[0].as_ref().unwrap().at.id, it.at.id);
    assert_eq!(found[1].as_ref().unwrap().at.id, it.at.id);
    assert!(found[2].is_none());
    let again = erp
        .create_item(&bc_core::NewItem {
            sku: Sku::new("SKU-1"),
            name: "Other".into(),
            item_type: bc_core::ItemType::Service,
            income_account: "Sales".into(),
            expense_account: None,
            cogs_account: None,
            asset_account: None,
            product_class: None,
            unit_price: None,
        })
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict);
    let bad = erp
        .create_item(&bc_core::NewItem {
            sku: Sku::new("SKU-2"),
            name: "Other".into(),
            item_type: bc_core::ItemType::Service,
            income_account: "No such account".into(),
            expense_account: None,
            cogs_account: None,
            asset_account: None,
            product_class: None,
            unit_price: None,
        })
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::Invalid);
    assert!(bad.to_string().contains("No such account"), "{bad}");
}

#[tokio::test]
async fn a_sales_order_is_imported_unposted_commits_stock_and_is_found_by_import_id() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let id = import_id(SOURCE, "1001");
    let doc = document(
        id.clone(),
        &cl,
        &[(&it, dec!(3), dec!(20))],
        dec!(5),
        dec!(7.5),
        dec!(0),
        dec!(4.5),
    );
    let at = erp.post_sales_document(&doc).await.unwrap();
    let found = erp.find_document(&id).await.unwrap().unwrap();
    assert_eq!(found.at.id, at.id);
    assert_eq!(found.total, dec!(67.00));
    assert!(found.editable);
    assert_eq!(found.status.as_deref(), Some("Open"));
    let s = erp.stock("A", "MAIN").await.unwrap();
    assert_eq!(
        (s.on_hand, s.committed, s.available),
        (dec!(10), dec!(3), dec!(7))
    );
    // Importing is not posting (T2): nothing in the GL yet.
    assert!(erp.trial_balance().await.unwrap().rows.is_empty());
    assert!(erp
        .find_document(&import_id(SOURCE, "9"))
        .await
        .unwrap()
        .is_none());
    // The ship via was auto-created with the default shipment product class.
    let vias = erp.ship_vias().await.unwrap();
    assert_eq!(vias[0].0, "UPS Ground");
    assert_eq!(vias[0].1, "SHIPPING");
}

#[tokio::test]
async fn the_same_import_id_twice_is_a_conflict_and_never_a_second_document() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let doc = document(
        import_id(SOURCE, "1"),
        &cl,
        &[(&it, dec!(1), dec!(10))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    erp.post_sales_document(&doc).await.unwrap();
    let e = erp.post_sales_document(&doc).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.to_string().contains("BC11"), "{e}");
    assert_eq!(erp.sales_orders(None).await.unwrap().len(), 1);
    assert!(erp.duplicates().await.unwrap().is_empty());
    assert_eq!(erp.stock("A", "MAIN").await.unwrap().committed, dec!(1));
}

#[tokio::test]
async fn a_batch_is_one_transaction_where_a_refused_document_does_not_undo_the_others() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let d = |n: &str| {
        document(
            import_id(SOURCE, n),
            &cl,
            &[(&it, dec!(1), dec!(10))],
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
        )
    };
    let mut bad = d("3");
    bad.order_total += dec!(0.01); // does not add up
    let results = erp
        .post_sales_documents(&[d("1"), d("1"), bad, d("4")])
        .await;
    assert!(results[0].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().kind(), ErrorKind::Conflict);
    assert_eq!(results[2].as_ref().unwrap_err().kind(), ErrorKind::Invalid);
    assert!(results[3].is_ok());
    assert_eq!(erp.sales_orders(None).await.unwrap().len(), 2);
    assert_eq!(erp.stock("A", "MAIN").await.unwrap().committed, dec!(2));
    let found = erp
        .find_documents(&[import_id(SOURCE, "1"), import_id(SOURCE, "3")])
        .await;
    assert!(found[0].as_ref().unwrap().is_some());
    assert!(found[1].as_ref().unwrap().is_none());
}

#[tokio::test]
async fn invoices_are_posted_when_imported_and_sales_receipts_are_paid() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let mut inv = document(
        import_id(SOURCE, "1"),
        &cl,
        &[(&it, dec!(1), dec!(10))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    inv.kind = bc_core::DocumentKind::Invoice;
    erp.post_sales_document(&inv).await.unwrap();
    let mut sr = document(
        import_id(SOURCE, "2"),
        &cl,
        &[(&it, dec!(1), dec!(10))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    sr.kind = bc_core::DocumentKind::SalesReceipt;
    sr.payment = Some(bc_core::DocumentPayment {
        receipt_type: "CREDIT CARD".into(),
        deposit_account: "1050".into(),
        reference: None,
    });
    erp.post_sales_document(&sr).await.unwrap();
    let tb = erp.trial_balance().await.unwrap();
    assert!(tb.is_balanced());
    assert_eq!(tb.balance(accounts::AR, bc_core::Currency::USD), dec!(10));
    assert_eq!(
        tb.balance(accounts::CLEARING, bc_core::Currency::USD),
        dec!(10)
    );
    assert_eq!(
        tb.balance(accounts::SALES, bc_core::Currency::USD),
        dec!(-20)
    );
}

#[tokio::test]
async fn unknown_tax_area_or_ship_via_is_refused_with_what_to_do() {
    let erp = bc_connector_acctvantage::Erp::in_memory().await.unwrap();
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let doc = document(
        import_id(SOURCE, "1"),
        &cl,
        &[(&it, dec!(1), dec!(10))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(1),
    );
    let e = erp.post_sales_document(&doc).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(e.to_string().contains("ship via `UPS Ground`"), "{e}");
    erp.add_ship_via("UPS Ground", None, Some("ups"))
        .await
        .unwrap();
    let e = erp.post_sales_document(&doc).await.unwrap_err();
    assert!(e.to_string().contains("tax area `TX-STATE`"), "{e}");
    assert!(e.to_string().contains("add_tax_area"), "{e}");
    assert!(erp.sales_orders(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_editable_order_is_updated_in_place_and_a_posted_one_is_refused() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let a = item(&erp, "A", dec!(10)).await;
    let b = item(&erp, "B", dec!(10)).await;
    let id = import_id(SOURCE, "1");
    let doc = document(
        id.clone(),
        &cl,
        &[(&a, dec!(3), dec!(10))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    let at = erp.post_sales_document(&doc).await.unwrap();
    let doc2 = document(
        id.clone(),
        &cl,
        &[(&b, dec!(2), dec!(10))],
        dec!(0),
        dec!(5),
        dec!(0),
        dec!(0),
    );
    let at2 = erp.update_sales_document(&at, &doc2).await.unwrap();
    assert_eq!(at2.id, at.id);
    assert_ne!(at2.version, at.version);
    let found = erp.find_document(&id).await.unwrap().unwrap();
    assert_eq!(found.total, dec!(25));
    assert_eq!(erp.stock("A", "MAIN").await.unwrap().committed, dec!(0));
    assert_eq!(erp.stock("B", "MAIN").await.unwrap().committed, dec!(2));
    // A stale version is refused.
    assert_eq!(
        erp.update_sales_document(&at, &doc2)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
    erp.post(&at2).await.unwrap();
    let e = erp
        .update_sales_document(&found.at, &doc)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.to_string().contains("Posted"), "{e}");
    assert_eq!(
        erp.find_document(&id).await.unwrap().unwrap().total,
        dec!(25)
    );
}

#[tokio::test]
async fn shipments_move_stock_and_appear_in_the_feed_once() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let a = item(&erp, "A", dec!(10)).await;
    let b = item(&erp, "B", dec!(10)).await;
    let id = import_id(SOURCE, "1");
    let doc = document(
        id.clone(),
        &cl,
        &[(&a, dec!(3), dec!(10)), (&b, dec!(1), dec!(5))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    let at = erp.post_sales_document(&doc).await.unwrap();
    let s1 = erp
        .process_shipment(
            &at,
            "1Z999",
            "ups",
            &[ShipmentLine {
                line_id: Some("1".into()),
                sku: None,
                quantity: dec!(2),
            }],
        )
        .await
        .unwrap();
    assert_eq!(
        erp.sales_order(&at).await.unwrap().status,
        SalesOrderStatus::PartiallyShipped
    );
    let sa = erp.stock("A", "MAIN").await.unwrap();
    assert_eq!((sa.on_hand, sa.committed), (dec!(8), dec!(1)));
    // More than is left to ship is refused.
    let e = erp
        .process_shipment(
            &at,
            "x",
            "ups",
            &[ShipmentLine {
                line_id: None,
                sku: Some(Sku::new("A")),
                quantity: dec!(2),
            }],
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    let page = erp.shipments(&Cursor::start()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let sh = &page.items[0];
    assert_eq!(sh.at.id, s1.id);
    assert_eq!(sh.import_id.as_ref(), Some(&id));
    assert_eq!(sh.shipment.tracking_number.as_deref(), Some("1Z999"));
    assert_eq!(sh.shipment.carrier.as_deref(), Some("ups"));
    assert_eq!(sh.shipment.ship_via.as_deref(), Some("UPS Ground"));
    assert_eq!(sh.shipment.lines[0].line_id.as_deref(), Some("1"));
    assert_eq!(sh.shipment.lines[0].quantity, dec!(2));
    let cursor = page.next.clone().unwrap();
    let none = erp.shipments(&cursor).await.unwrap();
    assert!(none.items.is_empty() && none.next.is_none());
    // The rest ships with no lines named.
    erp.process_shipment(&at, "1Z998", "ups", &[])
        .await
        .unwrap();
    assert_eq!(
        erp.sales_order(&at).await.unwrap().status,
        SalesOrderStatus::Shipped
    );
    let next = erp.shipments(&cursor).await.unwrap();
    assert_eq!(next.items.len(), 1);
    assert_eq!(next.items[0].shipment.lines.len(), 2);
    let sb = erp.stock("B", "MAIN").await.unwrap();
    assert_eq!((sb.on_hand, sb.committed), (dec!(9), dec!(0)));
    // Shipped goods make the order no longer editable.
    assert!(!erp.find_document(&id).await.unwrap().unwrap().editable);
    assert!(erp.shipments(&Cursor("x".into())).await.is_err());
}

#[tokio::test]
async fn availability_reports_changed_levels_since_the_cursor() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let a = item(&erp, "A", dec!(5)).await;
    item(&erp, "B", dec!(4)).await;
    let first = erp.availability("MAIN", &Cursor::start()).await.unwrap();
    let levels: Vec<_> = first
        .items
        .iter()
        .map(|l| (l.sku.as_str().to_string(), l.available))
        .collect();
    assert_eq!(levels, vec![("A".into(), dec!(5)), ("B".into(), dec!(4))]);
    let c1 = first.next.unwrap();
    assert!(erp
        .availability("MAIN", &c1)
        .await
        .unwrap()
        .items
        .is_empty());
    let doc = document(
        import_id(SOURCE, "1"),
        &cl,
        &[(&a, dec!(7), dec!(1))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    erp.post_sales_document(&doc).await.unwrap();
    let second = erp.availability("MAIN", &c1).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].sku.as_str(), "A");
    assert_eq!(second.items[0].available, dec!(0)); // 5 − 7, never negative
    assert_eq!(
        erp.availability("NOWHERE", &c1).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // A new tracked product is reported at zero, so the storefront's own figure does not stand.
    let c2 = second.next.unwrap();
    item(&erp, "Z", dec!(0)).await;
    let third = erp.availability("MAIN", &c2).await.unwrap();
    assert_eq!(third.items.len(), 1);
    assert_eq!(
        (third.items[0].sku.as_str(), third.items[0].available),
        ("Z", dec!(0))
    );
}

#[tokio::test]
async fn the_storefront_can_never_post_t2_and_status_changes_are_a_feed() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let id = import_id(SOURCE, "1");
    let doc = document(
        id.clone(),
        &cl,
        &[(&it, dec!(1), dec!(10))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    let at = erp.post_sales_document(&doc).await.unwrap();
    assert!(erp
        .document_statuses(&Cursor::start())
        .await
        .unwrap()
        .items
        .is_empty());
    for posting in ["Posted", "completed", "Invoiced"] {
        let e = erp.set_document_status(&at, posting).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{posting}");
        assert!(e.to_string().contains("T2"), "{e}");
    }
    assert!(erp.set_document_status(&at, "Shipped").await.is_err());
    assert!(erp.set_document_status(&at, "Teleported").await.is_err());
    assert!(erp.trial_balance().await.unwrap().rows.is_empty());
    erp.set_document_status(&at, "on hold").await.unwrap();
    assert_eq!(erp.post(&at).await.unwrap_err().kind(), ErrorKind::Invalid);
    erp.set_document_status(&at, "Released").await.unwrap();
    let page = erp.document_statuses(&Cursor::start()).await.unwrap();
    let statuses: Vec<_> = page.items.iter().map(|s| s.status.clone()).collect();
    assert_eq!(statuses, vec!["Released".to_string()]); // one row per document, its latest change
    assert_eq!(page.items[0].import_id.as_ref(), Some(&id));
    let c = page.next.unwrap();
    erp.set_status(&at, SalesOrderStatus::Posted).await.unwrap(); // inside the ERP it posts
    let page = erp.document_statuses(&c).await.unwrap();
    assert_eq!(page.items[0].status, "Posted");
    assert!(erp.set_document_status(&at, "Open").await.is_err());
    erp.set_status(&at, SalesOrderStatus::Completed)
        .await
        .unwrap();
}

#[tokio::test]
async fn cancelling_releases_committed_stock() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let doc = document(
        import_id(SOURCE, "1"),
        &cl,
        &[(&it, dec!(4), dec!(10))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    let at = erp.post_sales_document(&doc).await.unwrap();
    erp.set_document_status(&at, "Cancelled").await.unwrap();
    assert_eq!(erp.stock("A", "MAIN").await.unwrap().committed, dec!(0));
    assert!(erp.post(&at).await.is_err());
    assert!(erp.set_document_status(&at, "Open").await.is_err());
}

#[tokio::test]
async fn a_begins_with_search_on_the_source_code_finds_one_storefronts_orders() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    for (src, n, price) in [
        ("BC1", "1", dec!(10)),
        ("BC1", "22", dec!(5)),
        ("BC2", "1", dec!(7)),
        ("MG1", "1", dec!(3)),
    ] {
        let doc = document(
            import_id(src, n),
            &cl,
            &[(&it, dec!(1), price)],
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
        );
        erp.post_sales_document(&doc).await.unwrap();
    }
    let bc1 = SourceCode::new("BC1").unwrap();
    let list = erp.sales_orders(Some(&bc1)).await.unwrap();
    let ids: Vec<_> = list
        .iter()
        .map(|s| s.import_id.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec!["BC11", "BC122"]);
    let t = erp.totals_by_source(&bc1).await.unwrap();
    assert_eq!(t.documents, 2);
    assert_eq!(t.totals[&bc_core::Currency::USD], dec!(15));
    let ids = [
        import_id("BC1", "1"),
        import_id("MG1", "1"),
        import_id("BC1", "404"),
    ];
    assert_eq!(erp.documents_total(&ids).await.unwrap(), dec!(13));
    assert_eq!(erp.sales_orders(None).await.unwrap().len(), 4);
}

#[tokio::test]
async fn erp_orders_are_offered_until_linked_and_then_recognised() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    item(&erp, "A", dec!(10)).await;
    let at = erp
        .create_order(&NewSalesOrder {
            client: cl.clone(),
            number: None,
            lines: vec![NewSalesOrderLine {
                sku: "A".into(),
                quantity: dec!(2),
                unit_price: dec!(12.5),
            }],
            shipping: dec!(5),
            taxes: vec![("TX-STATE".into(), dec!(2.06))],
            ship_via: Some("UPS Ground".into()),
            warehouse: None,
            currency: None,
            date: None,
        })
        .await
        .unwrap();
    assert_eq!(erp.stock("A", "MAIN").await.unwrap().committed, dec!(2));
    let page = erp.new_orders(&Cursor::start()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let o = &page.items[0];
    assert_eq!(o.at.id, at.id);
    assert_eq!(o.unpaid_balance, dec!(32.06));
    assert_eq!(o.order.lines[0].sku.as_str(), "A");
    assert_eq!(o.order.shipping_ex_tax, dec!(5));
    assert_eq!(o.order.customer_id.as_ref().map(|c| c.as_str()), Some("1"));
    let c1 = page.next.unwrap();
    assert!(erp.new_orders(&c1).await.unwrap().items.is_empty());
    // Paying brings it back with no balance (E1: created when the balance is 0).
    erp.receive_payment(&at, "CREDIT CARD", dec!(32.06), None)
        .await
        .unwrap();
    let page = erp.new_orders(&c1).await.unwrap();
    assert_eq!(page.items[0].unpaid_balance, dec!(0));
    erp.link_storefront_order(&at, &bc_core::OrderId::new("5001"))
        .await
        .unwrap();
    erp.link_storefront_order(&at, &bc_core::OrderId::new("5001"))
        .await
        .unwrap(); // idempotent
    assert_eq!(
        erp.link_storefront_order(&at, &bc_core::OrderId::new("5002"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
    assert!(erp
        .new_orders(&Cursor::start())
        .await
        .unwrap()
        .items
        .is_empty());
    // The storefront order coming back is the same document (echo guard).
    let found = erp
        .find_document(&import_id(SOURCE, "5001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.at.id, at.id);
    assert!(erp.trial_balance().await.unwrap().is_balanced());
}

#[tokio::test]
async fn a_ship_via_created_by_a_refused_document_of_a_batch_is_undone_and_made_again() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let d = |n: &str| {
        let mut d = document(
            import_id(SOURCE, n),
            &cl,
            &[(&it, dec!(1), dec!(10))],
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(1),
        );
        d.ship_via = Some("Drone".into());
        d
    };
    let mut bad = d("1");
    bad.taxes[0].tax_code = "NOWHERE".into(); // refused after the ship via was created
    let results = erp.post_sales_documents(&[bad, d("2")]).await;
    assert_eq!(results[0].as_ref().unwrap_err().kind(), ErrorKind::Invalid);
    assert!(results[1].is_ok(), "{:?}", results[1]);
    assert_eq!(erp.ship_vias().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_invoice_posted_on_import_is_not_reported_as_a_status_change() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let mut inv = document(
        import_id(SOURCE, "1"),
        &cl,
        &[(&it, dec!(1), dec!(10))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    inv.kind = bc_core::DocumentKind::Invoice;
    let at = erp.post_sales_document(&inv).await.unwrap();
    assert!(erp
        .document_statuses(&Cursor::start())
        .await
        .unwrap()
        .items
        .is_empty());
    erp.set_status(&at, SalesOrderStatus::Completed)
        .await
        .unwrap();
    let page = erp.document_statuses(&Cursor::start()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].status, "Completed");
}
