//! The connector against the QuickBooks Online sandbox (in-process, no sockets): the issue's
//! acceptance list and the Ledger conformance suite.

use std::sync::Arc;
use std::time::Duration;

use bc_connector_qbo::{QboLedger, QboOptions};
use bc_core::{
    ClientKey, Currency, DocNumber, ErrorKind, ImportId, ItemKey, Ledger, LedgerRef, PostingTarget,
    SalesDocument, SalesLineKind, Sku,
};
use bc_http::RouterTransport;
use bc_sandbox::faults::FaultPlan;
use bc_sandbox_qbo::{Company, QboConfig, QboSandbox};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use secrecy::SecretString;

mod common;

use common::{client, connect, document, import_id, options, sandbox, setup};

fn invoice_total(sb: &QboSandbox, id: &str) -> Decimal {
    let inv = sb
        .invoices()
        .into_iter()
        .find(|i| i["Id"].as_str() == Some(id))
        .expect("the invoice exists");
    let v: Decimal = serde_json::from_value(inv["TotalAmt"].clone()).expect("TotalAmt");
    v
}

#[tokio::test]
async fn us_company_totals_equal_the_planned_totals() {
    let sb = sandbox("1001", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    assert_eq!(ledger.company().home_currency, Currency::USD);
    let doc = document(1, &c, &widget, Company::Us, false);
    let at = ledger.post_sales_document(&doc).await.expect("post");
    assert_eq!(invoice_total(&sb, &at.id), doc.total());
    assert_eq!(doc.total(), dec!(82.61));
    let found = ledger
        .find_document(&doc.import_id)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.at.id, at.id);
    assert_eq!(found.total, doc.total());
    assert_eq!(found.at.number.as_deref(), Some("BC-1"));
}

#[tokio::test]
async fn non_us_company_totals_equal_the_planned_totals() {
    let sb = sandbox("1002", Company::NonUs);
    let (ledger, c, widget) = setup(&sb).await;
    assert_eq!(ledger.company().home_currency, Currency::GBP);
    let doc = document(2, &c, &widget, Company::NonUs, false);
    let at = ledger.post_sales_document(&doc).await.expect("post");
    assert_eq!(invoice_total(&sb, &at.id), doc.total());
    let inv = sb
        .invoices()
        .into_iter()
        .find(|i| i["Id"].as_str() == Some(at.id.as_str()))
        .expect("invoice");
    assert_eq!(inv["GlobalTaxCalculation"], "TaxExcluded");
}

#[tokio::test]
async fn gift_certificates_post_to_the_liability_not_revenue() {
    for (realm, company) in [("1003", Company::Us), ("1004", Company::NonUs)] {
        let sb = sandbox(realm, company);
        let (ledger, c, widget) = setup(&sb).await;
        let doc = document(3, &c, &widget, company, true);
        let at = ledger.post_sales_document(&doc).await.expect("post");
        // QBO nets the tender off TotalAmt (what remains to be paid) …
        assert_eq!(invoice_total(&sb, &at.id), doc.balance_due());
        // … while the document found is the order's total.
        let found = ledger
            .find_document(&doc.import_id)
            .await
            .expect("find")
            .expect("found");
        assert_eq!(found.total, doc.total());
        // The gift line's item credits the liability account.
        let inv = sb
            .invoices()
            .into_iter()
            .find(|i| i["Id"].as_str() == Some(at.id.as_str()))
            .expect("invoice");
        let gift_item = inv["Line"]
            .as_array()
            .and_then(|ls| {
                ls.iter().find(|l| {
                    serde_json::from_value::<Decimal>(l["Amount"].clone()).ok() == Some(dec!(-10))
                })
            })
            .map(|l| l["SalesItemLineDetail"]["ItemRef"]["value"].clone())
            .expect("a negative gift line");
        let item = sb
            .items()
            .into_iter()
            .find(|i| i["Id"] == gift_item)
            .expect("gift item");
        let account = item["IncomeAccountRef"]["value"].clone();
        let liability = sb
            .documents(bc_sandbox_qbo::EntityKind::Account)
            .into_iter()
            .find(|a| a["Name"] == "Gift Card Liability")
            .expect("liability account");
        assert_eq!(account, liability["Id"], "{realm}");
    }
}

#[tokio::test]
async fn a_batch_of_thirty_invoices_costs_one_search_and_one_create() {
    let sb = sandbox("1005", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    // Warm the reference cache (items, accounts, tax codes) with one document.
    ledger
        .post_sales_document(&document(100, &c, &widget, Company::Us, true))
        .await
        .expect("first post");
    let docs: Vec<SalesDocument> = (1..=30)
        .map(|n| document(200 + n, &c, &widget, Company::Us, n % 2 == 0))
        .collect();
    sb.stats().reset();
    let results = ledger.post_sales_documents(&docs).await;
    let snap = sb.stats().snapshot();
    // One `DocNumber IN (…)` search (nothing posted twice), one `/batch` of 30 creates.
    assert_eq!(snap.total, 2, "{:?}", snap.by_route);
    assert_eq!(results.len(), 30);
    for (r, d) in results.iter().zip(&docs) {
        let at = r.as_ref().expect("posted");
        assert_eq!(invoice_total(&sb, &at.id), d.balance_due());
    }
    assert_eq!(sb.invoices().len(), 31);
    // Finding them back by import id: this process knows their numbers, one query for all.
    sb.stats().reset();
    let ids: Vec<ImportId> = docs.iter().map(|d| d.import_id.clone()).collect();
    let found = ledger.find_documents(&ids).await;
    assert_eq!(sb.stats().snapshot().total, 1);
    for (f, d) in found.iter().zip(&docs) {
        let f = f.as_ref().expect("find").as_ref().expect("found");
        assert_eq!(f.total, d.total());
    }
}

#[tokio::test]
async fn a_replayed_requestid_after_commit_then_fail_leaves_one_invoice() {
    let sb = sandbox("1006", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let doc = document(6, &c, &widget, Company::Us, false);
    ledger
        .prepare_documents(std::slice::from_ref(&doc))
        .await
        .expect("resolve references");
    sb.set_fault_plan(FaultPlan {
        seed: 3,
        commit_then_fail_rate: 1.0,
        ..FaultPlan::none()
    });
    let err = ledger
        .post_sales_document(&doc)
        .await
        .expect_err("every answer is lost");
    assert!(err.is_temporary(), "{err}");
    // Written once despite the retries (same requestid).
    assert_eq!(sb.invoices().len(), 1);
    sb.set_fault_plan(FaultPlan::none());
    let at = ledger.post_sales_document(&doc).await.expect("replayed");
    assert_eq!(sb.invoices().len(), 1);
    assert_eq!(sb.invoices()[0]["Id"].as_str(), Some(at.id.as_str()));
}

#[tokio::test]
async fn a_changed_retry_after_the_requestid_expired_adopts_the_document() {
    let sb = sandbox("1007", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let mut doc = document(7, &c, &widget, Company::Us, false);
    let first = ledger.post_sales_document(&doc).await.expect("post");
    // A different body: a new requestid, so QBO refuses the number (6140) and the connector
    // finds its own document by import id.
    doc.customer_memo = Some("changed".into());
    let second = ledger.post_sales_document(&doc).await.expect("adopted");
    assert_eq!(first.id, second.id);
    assert_eq!(sb.invoices().len(), 1);
}

#[tokio::test]
async fn a_duplicate_display_name_still_imports_the_order() {
    let sb = sandbox("1008", Company::Us);
    let ledger = connect(&sb).await;
    // "Books by Bessie" is a vendor: customers, vendors and employees share one name space.
    let cref = ledger
        .create_client(&client("Books by Bessie", "cust-42"))
        .await
        .expect("a stable variant");
    assert_ne!(cref.display_name, "Books by Bessie");
    assert!(cref.display_name.starts_with("Books by Bessie ("));
    // Stable: asked again, the same client comes back.
    let again = ledger
        .create_client(&client("Books by Bessie", "cust-42"))
        .await
        .expect("again");
    assert_eq!(again.at.id, cref.at.id);
    let found = ledger
        .find_client(&ClientKey::ImportId("cust-42".into()))
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.at.id, cref.at.id);
    let widget = ledger
        .find_items(&[ItemKey::Sku(Sku::new("WIDGET-1"))])
        .await
        .expect("items")
        .pop()
        .flatten()
        .expect("widget");
    let doc = document(8, &cref.at, &widget.at, Company::Us, false);
    ledger
        .post_sales_document(&doc)
        .await
        .expect("the order imports");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_under_ten_callers() {
    let sb = sandbox("1009", Company::Us);
    let rotated = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = rotated.clone();
    let o = options(&sb).with_refresh_token_callback(Arc::new(move |t: &SecretString| {
        use secrecy::ExposeSecret;
        if let Ok(mut v) = seen.lock() {
            v.push(t.expose_secret().to_string());
        }
    }));
    let first_refresh = sb.credentials_json()["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let ledger = Arc::new(
        QboLedger::connect(o, Arc::new(RouterTransport::new(sb.router())))
            .await
            .expect("connect"),
    );
    sb.expire_access_tokens();
    let mut tasks = Vec::new();
    for n in 0..10 {
        let l = ledger.clone();
        tasks.push(tokio::spawn(async move {
            l.find_client(&ClientKey::DisplayName(format!("Nobody {n}")))
                .await
        }));
    }
    for t in tasks {
        let r = t.await.expect("task");
        assert!(r.expect("answered after the refresh").is_none());
    }
    assert_eq!(ledger.api().tokens().refresh_count(), 1);
    // QBO rotated the refresh token: the host program was handed the new one, once.
    let rotated = rotated.lock().map(|v| v.clone()).unwrap_or_default();
    assert_eq!(rotated.len(), 1);
    assert_ne!(rotated[0], first_refresh);
}

#[tokio::test]
async fn faults_are_mapped() {
    let sb = sandbox("1010", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    // A referenced item that does not exist: QBO's invalid reference, not a panic.
    let mut doc = document(10, &c, &widget, Company::Us, false);
    doc.lines[0].kind = SalesLineKind::Item {
        item: LedgerRef::new("999999"),
        line_id: "1".into(),
    };
    let err = ledger.post_sales_document(&doc).await.expect_err("refused");
    assert_eq!(err.platform(), Some("qbo"));
    assert!(err.platform_code().is_some(), "{err}");
    assert!(!err.is_temporary());
    // A posting target that does not exist is a configuration error naming it.
    let mut doc = document(11, &c, &widget, Company::Us, false);
    doc.lines[2].target = Some(PostingTarget::Item("No such item".into()));
    let err = ledger.post_sales_document(&doc).await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("No such item"), "{err}");
}

#[tokio::test]
async fn shipments_and_availability_come_back() {
    let sb = sandbox("1013", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let doc = document(13, &c, &widget, Company::Us, false);
    let at = ledger.post_sales_document(&doc).await.expect("post");
    sb.record_shipment(
        &at.id,
        &bc_sandbox_qbo::Shipment {
            ship_date: "2026-11-21".into(),
            tracking_num: "1Z999".into(),
            ship_method: "UPS".into(),
        },
    )
    .expect("shipment");
    let page = ledger
        .shipments(&bc_core::Cursor::start())
        .await
        .expect("shipments");
    let s = page
        .items
        .iter()
        .find(|s| s.document.id == at.id)
        .expect("the shipment");
    assert_eq!(s.shipment.tracking_number.as_deref(), Some("1Z999"));
    assert_eq!(s.import_id.as_ref(), Some(&doc.import_id));
    let levels = ledger
        .availability("MAIN", &bc_core::Cursor::start())
        .await
        .expect("availability");
    let w = levels
        .items
        .iter()
        .find(|l| l.sku.as_str() == "WIDGET-1")
        .expect("widget level");
    assert!(w.available > Decimal::ZERO);
}

/// A transport that counts requests in flight (each held 10 ms).
#[derive(Debug)]
struct Counting {
    inner: RouterTransport,
    now: std::sync::atomic::AtomicUsize,
    max: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl bc_http::HttpTransport for Counting {
    async fn send(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, bc_http::TransportError> {
        use std::sync::atomic::Ordering::SeqCst;
        let n = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(n, SeqCst);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let r = self.inner.send(request).await;
        self.now.fetch_sub(1, SeqCst);
        r
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rate_budget_keeps_ten_in_flight() {
    let sb = sandbox("1014", Company::Us);
    let counting = Arc::new(Counting {
        inner: RouterTransport::new(sb.router()),
        now: Default::default(),
        max: Default::default(),
    });
    let ledger = Arc::new(
        QboLedger::connect(options(&sb), counting.clone())
            .await
            .expect("connect"),
    );
    let mut tasks = Vec::new();
    for n in 0..40 {
        let l = ledger.clone();
        tasks.push(tokio::spawn(async move {
            l.api()
                .query(&format!(
                    "SELECT * FROM Customer WHERE DisplayName = 'Nobody {n}'"
                ))
                .await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task").expect("answered").rows(), 0);
    }
    let max = counting.max.load(std::sync::atomic::Ordering::SeqCst);
    assert!(max <= 10, "{max} requests in flight");
    assert!(max >= 2, "the callers did run concurrently ({max})");
    assert_eq!(sb.stats().snapshot().rate_limited, 0);
}

#[test]
fn options_debug_hides_secrets() {
    let o = QboOptions::new(
        "123",
        "client",
        SecretString::from("the-client-secret"),
        SecretString::from("the-refresh-token"),
    )
    .with_access_token(
        SecretString::from("the-access-token"),
        Duration::from_secs(60),
    );
    let text = format!("{o:?}");
    for secret in ["the-client-secret", "the-refresh-token", "the-access-token"] {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(text.contains("123"));
}

#[tokio::test]
async fn a_payout_can_be_a_bank_deposit() {
    let sb = sandbox("1015", Company::Us);
    let ledger = connect(&sb).await;
    let line = |account: &str, debit: Decimal, credit: Decimal| bc_core::JournalLine {
        account: account.to_string(),
        debit,
        credit,
        description: account.to_string(),
    };
    let entry = bc_core::JournalEntry {
        key: "BC1-PAYOUT-9".into(),
        number: DocNumber::Auto,
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date"),
        currency: Currency::USD,
        lines: vec![
            line("Checking", dec!(97.00), Decimal::ZERO),
            line("Merchant Fees", dec!(3.00), Decimal::ZERO),
            line("Payments Clearing", Decimal::ZERO, dec!(100.00)),
        ],
        memo: Some("payout 9".into()),
    };
    let at = ledger
        .post_deposit(&entry, "Checking")
        .await
        .expect("deposit");
    let deposits = sb.documents(bc_sandbox_qbo::EntityKind::Deposit);
    assert_eq!(deposits.len(), 1);
    let total: Decimal = serde_json::from_value(deposits[0]["TotalAmt"].clone()).expect("total");
    assert_eq!(total, dec!(97.00));
    // Exactly once: asked again, the same deposit.
    let again = ledger
        .post_deposit(&entry, "Checking")
        .await
        .expect("again");
    assert_eq!(again.id, at.id);
    assert_eq!(sb.documents(bc_sandbox_qbo::EntityKind::Deposit).len(), 1);
}

#[tokio::test]
async fn a_credit_memo_is_applied_to_its_open_invoice() {
    let sb = sandbox("1016", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let doc = document(16, &c, &widget, Company::Us, false);
    let inv = ledger.post_sales_document(&doc).await.expect("post");
    let memo = bc_core::CreditMemo {
        kind: bc_core::CreditKind::CreditMemo,
        import_id: doc.import_id.clone(),
        refund_id: "77".into(),
        number: DocNumber::Fixed("RF-77".into()),
        client: c.clone(),
        invoice: Some(inv.clone()),
        lines: vec![bc_core::CreditLine {
            kind: SalesLineKind::Item {
                item: widget.clone(),
                line_id: "1".into(),
            },
            target: None,
            description: "Widget".into(),
            sku: None,
            quantity: dec!(1),
            unit_price: dec!(25),
            amount: dec!(25.00),
            tax_code: None,
            restock: true,
        }],
        tax: Decimal::ZERO,
        tax_code: None,
        total: dec!(25.00),
        refund_account: None,
        currency: Currency::USD,
        date: doc.date,
        memo: None,
        warehouse: None,
    };
    let at = ledger.post_credit_memo(&memo).await.expect("credit memo");
    assert_eq!(
        ledger
            .find_credit_memo(&doc.import_id, &bc_core::RefundId::new("77"))
            .await
            .expect("find")
            .map(|r| r.id),
        Some(at.id)
    );
    let invoice = sb
        .invoices()
        .into_iter()
        .find(|i| i["Id"].as_str() == Some(inv.id.as_str()))
        .expect("invoice");
    let balance: Decimal = serde_json::from_value(invoice["Balance"].clone()).expect("balance");
    assert_eq!(balance, doc.total() - dec!(25.00));
}

#[tokio::test]
async fn items_are_created_in_one_batch_and_names_taken_are_adopted() {
    let sb = sandbox("1017", Company::Us);
    let ledger = connect(&sb).await;
    let item = |sku: &str, name: &str, t: bc_core::ItemType| bc_core::NewItem {
        sku: Sku::new(sku),
        name: name.to_string(),
        item_type: t,
        income_account: "Sales of Product Income".into(),
        expense_account: Some("Cost of Goods Sold".into()),
        cogs_account: Some("Cost of Goods Sold".into()),
        asset_account: Some("Inventory Asset".into()),
        product_class: None,
        unit_price: Some(dec!(12.50)),
    };
    let items = [
        item("NEW-1", "New thing", bc_core::ItemType::Inventory),
        item("NEW-2", "Other thing", bc_core::ItemType::NonInventory),
        item("WIDGET-1", "Widget", bc_core::ItemType::NonInventory),
    ];
    // Warm the account lookups, then count.
    ledger
        .create_items(&items[..1])
        .await
        .pop()
        .expect("one")
        .expect("created");
    sb.stats().reset();
    let out = ledger.create_items(&items[1..]).await;
    let other = out[0].as_ref().expect("created");
    assert!(!other.tracks_inventory);
    let widget = out[1].as_ref().expect("adopted");
    assert_eq!(widget.name, "Widget");
    let snap = sb.stats().snapshot();
    // One batch, plus one query to adopt the taken name.
    assert_eq!(snap.total, 2, "{:?}", snap.by_route);
    let found = ledger
        .find_items(&[ItemKey::Sku(Sku::new("NEW-1"))])
        .await
        .expect("find")
        .pop()
        .flatten()
        .expect("NEW-1");
    assert!(found.tracks_inventory);
}

#[tokio::test]
async fn multicurrency_documents_carry_currency_and_rate() {
    let sb = QboSandbox::new(QboConfig {
        realm_id: "1018".into(),
        multicurrency: true,
        ..QboConfig::default()
    });
    let transport = Arc::new(RouterTransport::new(sb.router()));
    let mut o = options(&sb);
    o.currencies = vec![Currency::EUR];
    let ledger = QboLedger::connect(o, transport).await.expect("connect");
    let caps = ledger.capabilities();
    assert!(caps.accepts_currency(Currency::EUR));
    assert!(!caps.accepts_currency(Currency::JPY));
    let mut cl = client("Hans Euro", "cust-eur");
    cl.currency = Some(Currency::EUR);
    let c = ledger.create_client(&cl).await.expect("client");
    let widget = ledger
        .find_items(&[ItemKey::Sku(Sku::new("WIDGET-1"))])
        .await
        .expect("items")
        .pop()
        .flatten()
        .expect("widget");
    let mut doc = document(18, &c.at, &widget.at, Company::Us, false);
    doc.currency = Currency::EUR;
    doc.exchange_rate = dec!(1.0825);
    let at = ledger.post_sales_document(&doc).await.expect("post");
    let inv = sb
        .invoices()
        .into_iter()
        .find(|i| i["Id"].as_str() == Some(at.id.as_str()))
        .expect("invoice");
    assert_eq!(inv["CurrencyRef"]["value"], "EUR");
    let rate: Decimal = serde_json::from_value(inv["ExchangeRate"].clone()).expect("rate");
    assert_eq!(rate, dec!(1.0825));
    assert_eq!(invoice_total(&sb, &at.id), doc.total());
    let found = ledger
        .find_document(&doc.import_id)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.currency, Currency::EUR);
}

/// Refuses every query with `LIKE` the way QBO refuses a search on a field it does not index.
async fn refuse_like(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if req.uri().query().is_some_and(|q| q.contains("LIKE")) {
        let body = serde_json::json!({
            "Fault": {
                "Error": [{
                    "Message": "Error parsing query",
                    "Detail": "QueryParserError: Encountered LIKE on a property that does not support it",
                    "code": "4000"
                }],
                "type": "ValidationFault"
            },
            "time": "2026-11-22T03:00:00.000-08:00"
        });
        return (http::StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    next.run(req).await
}

#[tokio::test]
async fn marker_searches_fall_back_to_a_scan_when_like_is_refused() {
    let sb = sandbox("1019", Company::Us);
    let router = sb.router().layer(axum::middleware::from_fn(refuse_like));
    let ledger = QboLedger::connect(options(&sb), Arc::new(RouterTransport::new(router)))
        .await
        .expect("connect");
    let c = ledger
        .create_client(&client("Scan Me", "cust-scan"))
        .await
        .expect("client");
    let found = ledger
        .find_client(&ClientKey::ImportId("cust-scan".into()))
        .await
        .expect("find client")
        .expect("found by scanning");
    assert_eq!(found.at.id, c.at.id);
    let widget = ledger
        .find_items(&[ItemKey::Sku(Sku::new("WIDGET-1"))])
        .await
        .expect("items")
        .pop()
        .flatten()
        .expect("widget");
    let docs: Vec<SalesDocument> = (1..=3)
        .map(|n| document(1900 + n, &c.at, &widget.at, Company::Us, false))
        .collect();
    for r in ledger.post_sales_documents(&docs).await {
        r.expect("posted");
    }
    let one = ledger
        .find_document(&docs[0].import_id)
        .await
        .expect("find")
        .expect("found by scanning");
    assert_eq!(one.total, docs[0].total());
    let ids: Vec<ImportId> = docs.iter().map(|d| d.import_id.clone()).collect();
    for (f, d) in ledger.find_documents(&ids).await.iter().zip(&docs) {
        let f = f.as_ref().expect("find").as_ref().expect("found");
        assert_eq!(f.import_id, d.import_id);
    }
    assert!(ledger
        .find_document(&import_id(1999))
        .await
        .expect("find")
        .is_none());
}

#[tokio::test]
async fn receipts_are_linked_and_recorded_once() {
    let sb = sandbox("1020", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let docs: Vec<SalesDocument> = (1..=3)
        .map(|n| document(2000 + n, &c, &widget, Company::Us, false))
        .collect();
    let posted: Vec<LedgerRef> = ledger
        .post_sales_documents(&docs)
        .await
        .into_iter()
        .map(|r| r.expect("posted"))
        .collect();
    let receipts: Vec<bc_core::Receipt> = docs
        .iter()
        .zip(&posted)
        .map(|(d, at)| bc_core::Receipt {
            import_id: d.import_id.clone(),
            sequence: 0,
            document: at.clone(),
            client: c.clone(),
            receipt_type: "Visa".into(),
            deposit_account: "Undeposited Funds".into(),
            amount: d.balance_due(),
            currency: Currency::USD,
            state: bc_core::ReceiptState::Captured,
            date: d.date,
            reference: Some("txn-123".into()),
        })
        .collect();
    let first: Vec<LedgerRef> = ledger
        .post_receipts(&receipts)
        .await
        .into_iter()
        .map(|r| r.expect("recorded"))
        .collect();
    assert_eq!(sb.payments().len(), 3);
    for at in &posted {
        let inv = sb
            .invoices()
            .into_iter()
            .find(|i| i["Id"].as_str() == Some(at.id.as_str()))
            .expect("invoice");
        let balance: Decimal = serde_json::from_value(inv["Balance"].clone()).expect("balance");
        assert_eq!(balance, Decimal::ZERO);
    }
    // Asked again within Intuit's requestid window: the first answer, not recorded twice.
    let again = ledger.post_receipts(&receipts).await;
    for (a, b) in again.iter().zip(&first) {
        assert_eq!(a.as_ref().expect("adopted").id, b.id);
    }
    // After it, the engine's journal searches first: each receipt is found.
    for (r, b) in receipts.iter().zip(&first) {
        let found = Ledger::find_receipt(&ledger, r)
            .await
            .expect("search")
            .expect("found");
        assert_eq!(found.id, b.id);
    }
    assert!(ledger.capabilities().find_receipts);
    assert_eq!(sb.payments().len(), 3);
}

#[tokio::test]
async fn a_stale_sync_token_is_re_read_and_retried_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let sb = sandbox("1021", Company::Us);
    // Arms a 5010 for the next N invoice writes.
    let stale = Arc::new(AtomicUsize::new(0));
    let armed = stale.clone();
    let router = sb.router().layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let armed = armed.clone();
            async move {
                use axum::response::IntoResponse;
                let is_invoice_write =
                    req.method() == http::Method::POST && req.uri().path().ends_with("/invoice");
                if is_invoice_write
                    && armed
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                {
                    let body = serde_json::json!({
                        "Fault": {"Error": [{"Message": "Stale Object Error",
                            "Detail": "Stale Object Error : You and Jane were working on this at the same time.",
                            "code": "5010", "element": ""}], "type": "ValidationFault"},
                        "time": "2026-11-22T03:00:00.000-08:00"
                    });
                    return (http::StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
                }
                next.run(req).await
            }
        },
    ));
    let ledger = QboLedger::connect(options(&sb), Arc::new(RouterTransport::new(router)))
        .await
        .expect("connect");
    let c = ledger
        .create_client(&client("Stale Sam", "cust-stale"))
        .await
        .expect("client");
    let widget = ledger
        .find_items(&[ItemKey::Sku(Sku::new("WIDGET-1"))])
        .await
        .expect("items")
        .pop()
        .flatten()
        .expect("widget");
    let mut doc = document(21, &c.at, &widget.at, Company::Us, false);
    let at = ledger.post_sales_document(&doc).await.expect("post");
    doc.lines[0].quantity = dec!(4);
    doc.lines[0].amount = dec!(100.00);
    doc.order_total = doc.total();
    // One stale answer: re-read, retried, updated.
    stale.store(1, Ordering::SeqCst);
    let updated = ledger
        .update_sales_document(&at, &doc)
        .await
        .expect("updated after one retry");
    assert_eq!(updated.id, at.id);
    assert_eq!(invoice_total(&sb, &at.id), doc.total());
    // Two in a row: retried once only, then the Conflict comes back with its code.
    doc.lines[0].quantity = dec!(5);
    doc.lines[0].amount = dec!(125.00);
    stale.store(2, Ordering::SeqCst);
    let err = ledger
        .update_sales_document(&at, &doc)
        .await
        .expect_err("stale twice");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.platform_code(), Some("5010"));
}
