//! The connector against the sandbox: VAT and sales tax, gift cards, currencies, refunds,
//! payouts, stale ETags, receipts, and the ledger requests per order through `$batch`
//! (faults are in `faults.rs`, shipments and availability in `shipments.rs`).

mod common;

use bc_core::{
    CreditKind, CreditLine, CreditMemo, Currency, Cursor, DocNumber, DocumentKind, ErrorKind,
    ImportId, JournalEntry, JournalLine, Ledger, PostingTarget, SalesDocument, SalesLineKind,
};
use bc_sandbox_bc365::Tracking;
use chrono::NaiveDate;
use common::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;

/// VAT: each line's tax group, BC's computed VAT equal to the storefront's, currency on the
/// document, posted; the invoice has every property of Microsoft's example.
#[tokio::test]
async fn vat_invoice_posts_with_the_storefronts_tax() {
    let sb = sandbox(301);
    let l = ledger(&sb, Co::Gb, true).await;
    let c = client(&l, "vat1").await;
    let chair = item(&l, "1900-S").await;
    let book = item(&l, "BOOK-01").await;
    let id = import("5001");
    let doc = document(
        &id,
        &c,
        Currency::GBP,
        vec![
            item_line(&chair, dec!(2), dec!(200.00), Some("DOMESTIC/STANDARD")),
            item_line(&book, dec!(1), dec!(12.00), Some("DOMESTIC/ZERO")),
            line(
                SalesLineKind::Shipping,
                Some("40200"),
                dec!(1),
                dec!(10.00),
                Some("DOMESTIC/STANDARD"),
            ),
        ],
        vec![
            tax("DOMESTIC/STANDARD", "UK VAT", 0, dec!(40.00)),
            tax("DOMESTIC/STANDARD", "UK VAT", 2, dec!(2.00)),
        ],
    );
    let at = l.post_sales_document(&doc).await.expect("post");
    let rows = invoices_with(&sb, Co::Gb, "BC15001");
    assert_eq!(rows.len(), 1);
    let inv = &rows[0];
    assert_eq!(inv["id"], at.id.as_str());
    assert_eq!(inv["status"], "Open");
    assert_eq!(inv["currencyCode"], "GBP");
    assert_eq!(inv["customerPurchaseOrderReference"], "BC-5001");
    assert_eq!(d(&inv["totalTaxAmount"]), dec!(42.00));
    assert_eq!(d(&inv["totalAmountIncludingTax"]), doc.total());
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/fixtures/salesinvoice_get.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture"),
    )
    .expect("json");
    for key in example.as_object().expect("object").keys() {
        assert!(
            inv.get(key).is_some(),
            "the sandbox's invoice lacks `{key}`"
        );
    }
    // Stock left the MAIN location.
    assert_eq!(sb.stock(Co::Gb.id(), "1900-S", "MAIN"), dec!(298));
}

/// The seed's first failure: an unpostable VAT combination is a mapping error naming both
/// posting groups, and nothing is left half-posted; an unknown tax area is refused before
/// anything is written.
#[tokio::test]
async fn unmapped_vat_zone_names_both_groups_and_leaves_nothing() {
    let sb = sandbox(302);
    let l = ledger(&sb, Co::Gb, true).await;
    let c = client(&l, "vat2").await;
    let seat = item(&l, "BABY-01").await;
    let id = import("5002");
    let doc = document(
        &id,
        &c,
        Currency::GBP,
        vec![item_line(&seat, dec!(1), dec!(89.00), Some("EU/REDUCED"))],
        vec![tax("EU/REDUCED", "EU reduced", 0, dec!(4.45))],
    );
    let err = l
        .post_sales_document(&doc)
        .await
        .expect_err("EU/REDUCED has no VAT posting setup");
    assert_eq!(err.kind(), ErrorKind::Mapping, "{err}");
    let issue = err.issues().first().expect("an issue").to_string();
    assert!(
        issue.contains("`EU`") && issue.contains("`REDUCED`") && issue.contains("EU reduced"),
        "{issue}"
    );
    assert!(
        invoices_with(&sb, Co::Gb, "BC15002").is_empty(),
        "the draft was deleted"
    );
    assert_eq!(sb.reconciliation(Co::Gb.id()).drafts, 0);

    let before = sb.stats().snapshot().total;
    let id = import("5003");
    let doc = document(
        &id,
        &c,
        Currency::GBP,
        vec![item_line(
            &seat,
            dec!(1),
            dec!(89.00),
            Some("MARS/STANDARD"),
        )],
        vec![],
    );
    let err = l
        .post_sales_document(&doc)
        .await
        .expect_err("no tax area MARS");
    assert_eq!(err.kind(), ErrorKind::Mapping);
    assert!(err.to_string().contains("MARS"));
    assert_eq!(sb.stats().snapshot().total, before, "nothing was sent");
}

/// Gift certificates and store credit go to liability accounts as tenders, never a discount.
#[tokio::test]
async fn gift_card_and_store_credit_go_to_the_liability_accounts() {
    let sb = sandbox(303);
    let l = ledger(&sb, Co::Gb, true).await;
    let c = client(&l, "gift").await;
    let chair = item(&l, "1900-S").await;
    let id = import("5004");
    let doc = document(
        &id,
        &c,
        Currency::GBP,
        vec![
            item_line(&chair, dec!(1), dec!(100.00), Some("DOMESTIC/STANDARD")),
            line(
                SalesLineKind::GiftCertificate {
                    code: "GC-1".into(),
                },
                Some("20500"),
                dec!(1),
                dec!(-30.00),
                Some("ZERO"),
            ),
            line(
                SalesLineKind::StoreCredit,
                Some("20600"),
                dec!(1),
                dec!(-5.00),
                Some("ZERO"),
            ),
        ],
        vec![tax("DOMESTIC/STANDARD", "UK VAT", 0, dec!(20.00))],
    );
    l.post_sales_document(&doc).await.expect("post");
    let inv = invoices_with(&sb, Co::Gb, "BC15004")
        .pop()
        .expect("invoice");
    assert_eq!(d(&inv["totalAmountIncludingTax"]), doc.balance_due());
    assert_eq!(doc.balance_due(), dec!(85.00));
    let lines: Vec<Value> = sb
        .rows(Co::Gb.id(), "salesInvoiceLines")
        .into_iter()
        .filter(|x| x["documentId"] == inv["id"])
        .collect();
    let on = |acc: &str| {
        lines
            .iter()
            .find(|x| x["lineObjectNumber"] == acc)
            .map(|x| d(&x["amountExcludingTax"]))
    };
    assert_eq!(on("20500"), Some(dec!(-30)));
    assert_eq!(on("20600"), Some(dec!(-5)));
    assert_eq!(on("40400"), None, "nothing on the discount account");
    let found = l.find_document(&id).await.expect("find").expect("found");
    assert_eq!(found.total, doc.total(), "tenders are not revenue");
    let r = sb.reconciliation(Co::Gb.id());
    assert_eq!(
        r.by_currency["GBP"].invoiced - r.by_currency["GBP"].tenders,
        doc.total()
    );
    assert!(!found.editable);
}

/// Currency code on every document, exact totals per currency; a currency without an
/// exchange rate is refused by posting and leaves no draft.
#[tokio::test]
async fn multi_currency_totals_reconcile_per_currency() {
    let sb = sandbox(304);
    let l = ledger(&sb, Co::Gb, true).await;
    let c = client(&l, "fx").await;
    let chair = item(&l, "1900-S").await;
    let mut expected = std::collections::BTreeMap::new();
    for (n, (cur, amount)) in [
        (Currency::GBP, dec!(10.01)),
        (Currency::EUR, dec!(33.33)),
        (Currency::USD, dec!(0.07)),
        (Currency::EUR, dec!(1234.56)),
    ]
    .into_iter()
    .enumerate()
    {
        let id = import(&format!("60{n}"));
        let doc = document(
            &id,
            &c,
            cur,
            vec![item_line(&chair, dec!(3), amount, Some("DOMESTIC/ZERO"))],
            vec![],
        );
        l.post_sales_document(&doc).await.expect("post");
        *expected.entry(cur.to_string()).or_insert(Decimal::ZERO) += doc.balance_due();
    }
    let r = sb.reconciliation(Co::Gb.id());
    for (cur, total) in &expected {
        assert_eq!(
            r.by_currency.get(cur).map(|t| t.invoiced),
            Some(*total),
            "{cur}"
        );
    }
    let mut l_chf = common::config(&sb, Co::Gb, true);
    l_chf.currencies.push(Currency::new("CHF").expect("CHF"));
    let transport = std::sync::Arc::new(bc_http::RouterTransport::new(sb.router()));
    let l_chf = bc_connector_bc365::connect(&l_chf, Some(transport))
        .await
        .expect("connect");
    let id = import("6099");
    let doc = document(
        &id,
        &c,
        Currency::new("CHF").expect("CHF"),
        vec![item_line(&chair, dec!(1), dec!(10), Some("DOMESTIC/ZERO"))],
        vec![],
    );
    let err = l_chf
        .post_sales_document(&doc)
        .await
        .expect_err("CHF has no exchange rate");
    assert_eq!(
        err.platform_code(),
        Some("Internal_DataNotFoundFilter"),
        "{err}"
    );
    assert!(invoices_with(&sb, Co::Gb, "BC16099").is_empty());
}

/// US sales tax: tax area on the customer, tax liable, tax group per line.
#[tokio::test]
async fn us_sales_tax_area_and_liable() {
    let sb = sandbox(305);
    let l = ledger(&sb, Co::Us, true).await;
    let c = client(&l, "us1").await;
    let chair = item(&l, "1900-S").await;
    let id = import("7001");
    let doc = document(
        &id,
        &c,
        Currency::USD,
        vec![
            item_line(&chair, dec!(1), dec!(100.00), Some("CHICAGO/TAXABLE")),
            line(
                SalesLineKind::Shipping,
                Some("40200"),
                dec!(1),
                dec!(5),
                Some("CHICAGO/NONTAXABLE"),
            ),
        ],
        vec![tax("CHICAGO/TAXABLE", "Chicago", 0, dec!(10.25))],
    );
    l.post_sales_document(&doc).await.expect("post");
    let inv = invoices_with(&sb, Co::Us, "BC17001")
        .pop()
        .expect("invoice");
    assert_eq!(d(&inv["totalTaxAmount"]), dec!(10.25));
    let cust = sb
        .rows(Co::Us.id(), "customers")
        .into_iter()
        .find(|r| r["id"] == c.at.id.as_str())
        .expect("customer");
    assert_eq!(cust["taxLiable"], true);
    assert_eq!(cust["taxAreaDisplayName"], "Chicago, IL");
    let id = import("7002");
    let doc = document(
        &id,
        &c,
        Currency::USD,
        vec![item_line(
            &chair,
            dec!(1),
            dec!(50),
            Some("CHICAGO/FURNITURE"),
        )],
        vec![tax("CHICAGO/FURNITURE", "Chicago", 0, dec!(5))],
    );
    let err = l
        .post_sales_document(&doc)
        .await
        .expect_err("no tax detail");
    assert!(
        err.to_string().contains("tax area `CHICAGO`")
            && err.to_string().contains("tax group `FURNITURE`"),
        "{err}"
    );
}

/// `If-Match` with an older ETag: 412 `Request_EntityChanged`, a Conflict.
#[tokio::test]
async fn stale_etag_is_a_conflict() {
    let sb = sandbox(306);
    let l = ledger(&sb, Co::Us, false).await;
    let c = client(&l, "etag").await;
    let chair = item(&l, "1900-S").await;
    let id = import("8001");
    let mut doc = document(
        &id,
        &c,
        Currency::USD,
        vec![item_line(
            &chair,
            dec!(1),
            dec!(10),
            Some("ATLANTA/NONTAXABLE"),
        )],
        vec![],
    );
    l.post_sales_document(&doc).await.expect("draft");
    let first = l.find_document(&id).await.expect("find").expect("found");
    assert!(first.editable);
    doc.lines[0].amount = dec!(20);
    doc.lines[0].quantity = dec!(2);
    l.update_sales_document(&first.at, &doc)
        .await
        .expect("update with the current ETag");
    let err = l
        .update_sales_document(&first.at, &doc)
        .await
        .expect_err("the ETag is stale now");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.platform_code(), Some("Request_EntityChanged"));
    assert_eq!(sb.stats().snapshot().by_status.get("412").copied(), Some(1));
}

/// A partial refund: a credit memo applied to the posted invoice, the restocked chair back
/// at MAIN, refunded shipping and tax included; found again by refund id, never twice.
#[tokio::test]
async fn credit_memo_is_applied_to_its_invoice() {
    let sb = sandbox(309);
    let l = ledger(&sb, Co::Gb, true).await;
    let c = client(&l, "refund").await;
    let desk = item(&l, "1896-S").await;
    let id = import("9601");
    let doc = document(
        &id,
        &c,
        Currency::GBP,
        vec![
            item_line(&desk, dec!(2), dec!(200.00), Some("DOMESTIC/STANDARD")),
            line(
                SalesLineKind::Shipping,
                Some("40200"),
                dec!(1),
                dec!(10.00),
                Some("DOMESTIC/STANDARD"),
            ),
        ],
        vec![
            tax("DOMESTIC/STANDARD", "UK VAT", 0, dec!(40)),
            tax("DOMESTIC/STANDARD", "UK VAT", 1, dec!(2)),
        ],
    );
    let inv = l.post_sales_document(&doc).await.expect("invoice");
    assert_eq!(sb.stock(Co::Gb.id(), "1896-S", "MAIN"), dec!(118));
    let memo = CreditMemo {
        kind: CreditKind::CreditMemo,
        import_id: id.clone(),
        refund_id: "77".into(),
        number: DocNumber::Auto,
        client: c.at.clone(),
        invoice: Some(inv.clone()),
        lines: vec![
            CreditLine {
                kind: SalesLineKind::Item {
                    item: desk.at.clone(),
                    line_id: "1".into(),
                },
                target: None,
                description: "ATHENS Desk".into(),
                sku: desk.sku.clone(),
                quantity: dec!(1),
                unit_price: dec!(100),
                amount: dec!(100),
                tax_code: Some("DOMESTIC/STANDARD".into()),
                restock: true,
            },
            CreditLine {
                kind: SalesLineKind::Shipping,
                target: Some(PostingTarget::Account("40200".into())),
                description: "Shipping refund".into(),
                sku: None,
                quantity: dec!(1),
                unit_price: dec!(10),
                amount: dec!(10),
                tax_code: Some("DOMESTIC/STANDARD".into()),
                restock: false,
            },
        ],
        tax: dec!(22),
        tax_code: Some("DOMESTIC/STANDARD".into()),
        total: dec!(132),
        refund_account: None,
        currency: Currency::GBP,
        date: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default(),
        memo: None,
        warehouse: Some("MAIN".into()),
    };
    let cm = l.post_credit_memo(&memo).await.expect("credit memo");
    let again = l.post_credit_memo(&memo).await.expect("second call adopts");
    assert_eq!(cm.id, again.id);
    let found = l
        .find_credit_memo(&id, &bc_core::RefundId::new("77"))
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.id, cm.id);
    let memos = sb.rows(Co::Gb.id(), "salesCreditMemos");
    assert_eq!(memos.len(), 1);
    assert_eq!(memos[0]["invoiceId"], inv.id.as_str());
    assert_eq!(d(&memos[0]["totalAmountIncludingTax"]), dec!(132));
    let invoice = invoices_with(&sb, Co::Gb, "BC19601")
        .pop()
        .expect("invoice");
    assert_eq!(d(&invoice["remainingAmount"]), dec!(252) - dec!(132));
    assert_eq!(
        sb.stock(Co::Gb.id(), "1896-S", "MAIN"),
        dec!(119),
        "the desk is back in stock"
    );
}

/// Y1: one journal per payout, posted, balancing; found again; an unbalanced one refused.
#[tokio::test]
async fn payout_journal_posts_once_and_balances() {
    let sb = sandbox(310);
    let l = ledger(&sb, Co::Gb, true).await;
    let entry = JournalEntry {
        key: "BC1-PAYOUT-po_123".into(),
        number: DocNumber::Auto,
        date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
        currency: Currency::GBP,
        lines: vec![
            JournalLine {
                account: "10100".into(),
                debit: dec!(95.10),
                credit: Decimal::ZERO,
                description: "Net deposit".into(),
            },
            JournalLine {
                account: "65100".into(),
                debit: dec!(4.90),
                credit: Decimal::ZERO,
                description: "Processor fees".into(),
            },
            JournalLine {
                account: "10200".into(),
                debit: Decimal::ZERO,
                credit: dec!(100.00),
                description: "Sales cleared".into(),
            },
        ],
        memo: None,
    };
    let at = l.post_journal(&entry).await.expect("post");
    assert_eq!(
        l.find_journal(&entry.key).await.expect("find"),
        Some(at.clone())
    );
    let again = l.post_journal(&entry).await.expect("again");
    assert_eq!(again, at);
    let gl = sb.rows(Co::Gb.id(), "generalLedgerEntries");
    assert_eq!(gl.len(), 3);
    let debit: Decimal = gl.iter().map(|e| d(&e["debitAmount"])).sum();
    let credit: Decimal = gl.iter().map(|e| d(&e["creditAmount"])).sum();
    assert_eq!((debit, credit), (dec!(100), dec!(100)));
    let mut bad = entry.clone();
    bad.key = "BC1-PAYOUT-po_124".into();
    bad.lines[0].debit = dec!(95.11);
    assert_eq!(
        l.post_journal(&bad).await.expect_err("unbalanced").kind(),
        ErrorKind::Invalid
    );
}

/// A wrong client secret is refused as Entra refuses it.
#[tokio::test]
async fn wrong_secret_is_refused_with_aadsts() {
    let sb = sandbox(312);
    let mut cfg = common::config(&sb, Co::Gb, true);
    cfg.client_secret = bc_core::settings::Secret::new("not-the-secret");
    let transport = std::sync::Arc::new(bc_http::RouterTransport::new(sb.router()));
    let l = bc_connector_bc365::connect(&cfg, Some(transport))
        .await
        .expect("connect is lazy");
    let err = l
        .find_client(&bc_core::ClientKey::Email("x@example.com".into()))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(err.platform_code(), Some("AADSTS7000215"));
    assert!(!format!("{err:?}").contains("not-the-secret"));
}

/// Ledger requests per order through `$batch` (target ≤ 0.1): the engine's look-up
/// (`find_documents`) and the post (`post_sales_documents`) for N orders.
#[tokio::test]
async fn requests_per_order_through_batch() {
    let sb = sandbox(313);
    let l = ledger(&sb, Co::Gb, true).await;
    let c = client(&l, "bulk").await;
    let chair = item(&l, "1900-S").await;
    let n = 200;
    let docs: Vec<SalesDocument> = (0..n)
        .map(|i| {
            document(
                &import(&format!("B{i:04}")),
                &c,
                Currency::GBP,
                vec![item_line(
                    &chair,
                    dec!(1),
                    dec!(9.99),
                    Some("DOMESTIC/STANDARD"),
                )],
                vec![tax("DOMESTIC/STANDARD", "UK VAT", 0, dec!(2.00))],
            )
        })
        .collect();
    let _ = l.setup().await.expect("setup");
    let before = sb.stats().snapshot().total;
    let ids: Vec<ImportId> = docs.iter().map(|d| d.import_id.clone()).collect();
    for chunk in docs.chunks(l.capabilities().batch_size) {
        let ids: Vec<ImportId> = chunk.iter().map(|d| d.import_id.clone()).collect();
        assert!(l
            .find_documents(&ids)
            .await
            .into_iter()
            .all(|f| matches!(f, Ok(None))));
        for r in l.post_sales_documents(chunk).await {
            r.expect("posted");
        }
    }
    let requests = sb.stats().snapshot().total - before;
    let per_order = requests as f64 / n as f64;
    println!("ledger requests per order through $batch: {requests} requests / {n} orders = {per_order:.3}");
    assert!(per_order <= 0.1, "{per_order}");
    let r = sb.reconciliation(Co::Gb.id());
    assert_eq!(r.by_currency["GBP"].invoices, n);
    assert_eq!(r.extra_documents(), 0);
    assert_eq!(
        l.documents_total(&ids).await.expect("total"),
        dec!(11.99) * Decimal::from(n)
    );
}

/// Sales orders stay open for the warehouse; its shipment comes back with tracking; a receipt
/// is found again by its key.
#[tokio::test]
async fn sales_order_shipped_by_the_warehouse_and_receipts_found() {
    let sb = sandbox(314);
    let l = ledger(&sb, Co::Us, true).await;
    let c = client(&l, "order").await;
    let chair = item(&l, "1900-S").await;
    let id = import("9801");
    let mut doc = document(
        &id,
        &c,
        Currency::USD,
        vec![item_line(
            &chair,
            dec!(2),
            dec!(40),
            Some("ATLANTA/NONTAXABLE"),
        )],
        vec![],
    );
    doc.kind = DocumentKind::SalesOrder;
    let at = l.post_sales_document(&doc).await.expect("order");
    let found = l.find_document(&id).await.expect("find").expect("found");
    assert_eq!(
        (found.kind, found.at.id.as_str()),
        (DocumentKind::SalesOrder, at.id.as_str())
    );
    assert_eq!(
        sb.stock(Co::Us.id(), "1900-S", "MAIN"),
        dec!(200),
        "not shipped yet"
    );
    sb.ship(
        Co::Us.id(),
        "BC19801",
        &Tracking {
            package_tracking_no: "9400100000000000000000".into(),
            shipping_agent_code: "USPS".into(),
            shipping_agent_service_code: String::new(),
        },
    )
    .expect("ship");
    assert_eq!(sb.stock(Co::Us.id(), "1900-S", "MAIN"), dec!(198));
    let page = l.shipments(&Cursor::start()).await.expect("shipments");
    assert_eq!(page.items[0].shipment.carrier.as_deref(), Some("usps"));
    assert_eq!(
        page.items[0].document.id,
        at.number.clone().unwrap_or_default()
    );

    let inv = l
        .post_sales_document(&document(
            &import("9802"),
            &c,
            Currency::USD,
            vec![item_line(
                &chair,
                dec!(1),
                dec!(25),
                Some("ATLANTA/NONTAXABLE"),
            )],
            vec![],
        ))
        .await
        .expect("invoice");
    let receipt = bc_core::Receipt {
        import_id: import("9802"),
        sequence: 0,
        document: inv.clone(),
        client: c.at.clone(),
        receipt_type: "CARD".into(),
        deposit_account: "10200".into(),
        amount: dec!(25),
        currency: Currency::USD,
        state: bc_core::ReceiptState::Captured,
        date: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default(),
        reference: Some("ch_1".into()),
    };
    assert_eq!(l.find_receipt(&receipt).await.expect("find"), None);
    let r = l.post_receipt(&receipt).await.expect("receipt");
    assert_eq!(
        l.find_receipt(&receipt).await.expect("find").map(|x| x.id),
        Some(r.id.clone())
    );
    assert_eq!(
        l.post_receipt(&receipt).await.expect("again").id,
        r.id,
        "never twice"
    );
    let payments = sb.rows(Co::Us.id(), "customerPayments");
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["appliesToInvoiceId"], inv.id.as_str());
}
