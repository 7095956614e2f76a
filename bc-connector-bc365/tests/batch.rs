//! The batch methods' `$batch` requests: split at 100 operations, one failed operation fails
//! only its item, a throttled `$batch` fails every item temporarily, a timed-out write
//! `$batch` is `OutcomeUnknown` for each write; and look-ups of many keys in one request.

mod common;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bc_core::{Client, ClientKey, Currency, ErrorKind, ItemKey, Ledger, Sku};
use bc_http::{HttpTransport, RouterTransport, TransportError};
use bytes::Bytes;
use common::*;
use http::{Request, Response};
use rust_decimal_macros::dec;
use serde_json::Value;

/// What the transport does to `$batch` requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Passed to the sandbox.
    Pass,
    /// Answered `429` with `Retry-After: 1` (never reaching the sandbox).
    Throttle,
    /// Write batches reach the sandbox (their writes are applied), then the client times out.
    TimeoutWrites,
}

/// The sandbox behind a transport that records the operations of every `$batch`.
#[derive(Debug)]
struct Recorder {
    inner: RouterTransport,
    /// Per `$batch`: (operations, whether any is a write).
    batches: Mutex<Vec<(usize, bool)>>,
    mode: Mutex<Mode>,
}

impl Recorder {
    fn new(sb: &bc_sandbox_bc365::Bc365Sandbox) -> Arc<Self> {
        Arc::new(Recorder {
            inner: RouterTransport::new(sb.router()),
            batches: Mutex::new(Vec::new()),
            mode: Mutex::new(Mode::Pass),
        })
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().expect("mode") = mode;
    }

    fn take(&self) -> Vec<(usize, bool)> {
        std::mem::take(&mut *self.batches.lock().expect("batches"))
    }
}

#[async_trait]
impl HttpTransport for Recorder {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        let is_batch =
            request.method() == http::Method::POST && request.uri().path().ends_with("/$batch");
        if !is_batch {
            return self.inner.send(request).await;
        }
        let body: Value = serde_json::from_slice(request.body()).unwrap_or(Value::Null);
        let ops = body["requests"].as_array().cloned().unwrap_or_default();
        let writes = ops.iter().any(|o| o["method"] != "GET");
        self.batches
            .lock()
            .expect("batches")
            .push((ops.len(), writes));
        let mode = *self.mode.lock().expect("mode");
        match mode {
            Mode::Throttle => Ok(Response::builder()
                .status(429)
                .header("retry-after", "1")
                .header("content-type", "application/json")
                .body(Bytes::from_static(
                    br#"{"error":{"code":"Application_TooManyRequests","message":"Rate limit is exceeded."}}"#,
                ))
                .expect("response")),
            Mode::TimeoutWrites if writes => {
                let _applied = self.inner.send(request).await;
                Err(TransportError::timeout("no answer in time"))
            }
            _ => self.inner.send(request).await,
        }
    }
}

async fn ledger_over(
    sb: &bc_sandbox_bc365::Bc365Sandbox,
    t: Arc<Recorder>,
) -> bc_connector_bc365::Bc365Ledger {
    let l = bc_connector_bc365::connect(&config(sb, Co::Gb, true), Some(t))
        .await
        .expect("connect");
    l.setup().await.expect("setup");
    l
}

fn shopper(n: usize) -> Client {
    Client {
        display_name: format!("Batch shopper {n}"),
        company: None,
        contact: None,
        email: Some(format!("batch{n}@example.com")),
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some(format!("b{n}")),
        storefront_customer: None,
        currency: None,
    }
}

fn customers_named(sb: &bc_sandbox_bc365::Bc365Sandbox, prefix: &str) -> usize {
    sb.rows(Co::Gb.id(), "customers")
        .iter()
        .filter(|r| {
            r["displayName"]
                .as_str()
                .is_some_and(|n| n.starts_with(prefix))
        })
        .count()
}

/// 150 customers are created in two `$batch`es of 100 and 50; created again, each is found
/// by its number (Business Central's key) instead of duplicated; 150 keys of three kinds are
/// searched with one request.
#[tokio::test]
async fn batch_of_150_writes_is_split_100_and_50() {
    let sb = sandbox(401);
    let t = Recorder::new(&sb);
    let l = ledger_over(&sb, t.clone()).await;
    let clients: Vec<Client> = (0..150).map(shopper).collect();
    t.take();
    let made = l.create_clients(&clients).await;
    assert_eq!(t.take(), vec![(100, true), (50, true)]);
    let ids: Vec<String> = made
        .into_iter()
        .map(|r| r.expect("created").at.id)
        .collect();
    assert_eq!(customers_named(&sb, "Batch shopper "), 150);

    // Again: refused by the key, then found (one search request), never duplicated.
    let again = l.create_clients(&clients[..3]).await;
    let again: Vec<String> = again.into_iter().map(|r| r.expect("found").at.id).collect();
    assert_eq!(again, ids[..3].to_vec());
    assert_eq!(t.take(), vec![(3, true), (1, false)]);
    assert_eq!(customers_named(&sb, "Batch shopper "), 150);

    // 50 import ids, 50 e-mails, 50 names (one of them unknown): 8 GETs in one request.
    let mut keys: Vec<ClientKey> = (0..50)
        .map(|n| ClientKey::ImportId(format!("b{n}")))
        .collect();
    keys.extend((50..100).map(|n| ClientKey::Email(format!("batch{n}@example.com"))));
    keys.extend((100..149).map(|n| ClientKey::DisplayName(format!("Batch shopper {n}"))));
    keys.push(ClientKey::DisplayName("Nobody at all".into()));
    let found = l.find_clients(&keys).await;
    assert_eq!(t.take(), vec![(9, false)]);
    for (n, f) in found.iter().enumerate().take(149) {
        let f = f.as_ref().expect("searched").as_ref().expect("found");
        assert_eq!(f.at.id, ids[n], "key {n}");
    }
    assert!(found[149].as_ref().expect("searched").is_none());
}

/// One document that Business Central refuses (no VAT posting setup for EU/REDUCED) fails
/// alone, as a mapping error: the others of the same `$batch`es are posted, nothing of it
/// stays.
#[tokio::test]
async fn one_failed_operation_fails_only_its_order() {
    let sb = sandbox(402);
    let t = Recorder::new(&sb);
    let l = ledger_over(&sb, t.clone()).await;
    let c1 = client(&l, "one1").await;
    let c2 = client(&l, "one2").await;
    let chair = item(&l, "1900-S").await;
    let ok = |n: &str, c| {
        document(
            &import(n),
            c,
            Currency::GBP,
            vec![item_line(
                &chair,
                dec!(1),
                dec!(50),
                Some("DOMESTIC/STANDARD"),
            )],
            vec![tax("DOMESTIC/STANDARD", "UK VAT", 0, dec!(10))],
        )
    };
    let bad = document(
        &import("7102"),
        &c2,
        Currency::GBP,
        vec![item_line(&chair, dec!(1), dec!(89), Some("EU/REDUCED"))],
        vec![tax("EU/REDUCED", "EU reduced", 0, dec!(4.45))],
    );
    let docs = vec![ok("7101", &c1), bad, ok("7103", &c1)];
    t.take();
    let r = l.post_sales_documents(&docs).await;
    assert_eq!(r.len(), 3);
    let e = r[1].as_ref().expect_err("EU/REDUCED cannot post");
    assert_eq!(e.kind(), ErrorKind::Mapping, "{e}");
    for i in [0, 2] {
        r[i].as_ref().expect("posted");
    }
    assert_eq!(invoices_with(&sb, Co::Gb, "BC17101")[0]["status"], "Open");
    assert_eq!(invoices_with(&sb, Co::Gb, "BC17103")[0]["status"], "Open");
    assert!(
        invoices_with(&sb, Co::Gb, "BC17102").is_empty(),
        "nothing left"
    );
    // The customers are known (this connector created them, with their ETags): c2's patch
    // (EU) goes with the find (and c1, which seems to have DOMESTIC already, is read), then
    // three creates (the EU/REDUCED one refused), two posts + one read back.
    assert_eq!(t.take(), vec![(3, true), (3, true), (3, true)]);
    // A connector that does not know the customers reads them with the find and patches
    // with the creates.
    let fresh = ledger_over(&sb, t.clone()).await;
    let _ = fresh.setup().await.expect("setup");
    sb.rows(Co::Gb.id(), "customers")
        .iter()
        .find(|r| r["id"] == c2.at.id.as_str())
        .expect("c2");
    let again = vec![ok("7104", &c1), ok("7105", &c2)];
    t.take();
    for r in fresh.post_sales_documents(&again).await {
        r.expect("posted");
    }
    // Find + the two customers (c2 now has EU, needs DOMESTIC again), one patch + two
    // creates, two posts + one read back.
    assert_eq!(t.take(), vec![(2, false), (3, true), (3, true)]);
}

/// A `$batch` answered `429` until the retries give up fails every item with a temporary
/// error, and nothing is written.
#[tokio::test(start_paused = true)]
async fn a_throttled_batch_fails_every_item_temporarily() {
    let sb = sandbox(403);
    let t = Recorder::new(&sb);
    let l = ledger_over(&sb, t.clone()).await;
    t.set(Mode::Throttle);
    let r = l
        .create_clients(&[shopper(1), shopper(2), shopper(3)])
        .await;
    assert_eq!(r.len(), 3);
    for x in &r {
        let e = x.as_ref().expect_err("throttled");
        assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
        assert!(e.is_temporary());
    }
    assert!(t.take().len() > 1, "retried after Retry-After");
    assert_eq!(customers_named(&sb, "Batch shopper "), 0);
    let found = l
        .find_items(&[ItemKey::Sku(Sku::new("1900-S"))])
        .await
        .expect_err("throttled");
    assert!(found.is_temporary());
}

/// A write `$batch` whose answer never comes (its writes applied) is `OutcomeUnknown` for
/// each document; the engine's next attempt finds the drafts and posts each exactly once.
#[tokio::test(start_paused = true)]
async fn a_timed_out_batch_post_is_outcome_unknown_for_each_write() {
    let sb = sandbox(404);
    let t = Recorder::new(&sb);
    let l = ledger_over(&sb, t.clone()).await;
    let c = client(&l, "late").await;
    let chair = item(&l, "1900-S").await;
    let docs: Vec<_> = (0..3)
        .map(|n| {
            document(
                &import(&format!("72{n:02}")),
                &c,
                Currency::GBP,
                vec![item_line(&chair, dec!(1), dec!(5), Some("ZERO"))],
                vec![],
            )
        })
        .collect();
    t.set(Mode::TimeoutWrites);
    for r in l.post_sales_documents(&docs).await {
        let e = r.expect_err("no answer");
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown, "{e}");
    }
    assert_eq!(
        sb.reconciliation(Co::Gb.id()).drafts,
        3,
        "the creates were applied"
    );
    // Customers and receipts: a lost answer is searched at once and found.
    let made = l.create_clients(&[shopper(7)]).await;
    assert!(made[0].is_ok(), "found after the lost answer");
    t.set(Mode::Pass);
    let ids: Vec<_> = docs.iter().map(|d| d.import_id.clone()).collect();
    for f in l.find_documents(&ids).await {
        assert!(
            f.expect("searched").is_none(),
            "a draft is not a posted document"
        );
    }
    for r in l.post_sales_documents(&docs).await {
        r.expect("posted on the second attempt");
    }
    for n in 0..3 {
        let rows = invoices_with(&sb, Co::Gb, &format!("BC172{n:02}"));
        assert_eq!(rows.len(), 1, "exactly one invoice");
        assert_eq!(rows[0]["status"], "Open");
    }
    assert_eq!(sb.reconciliation(Co::Gb.id()).extra_documents(), 0);
}

fn new_item(n: usize) -> bc_core::NewItem {
    bc_core::NewItem {
        sku: Sku::new(format!("BATCH-{n:03}")),
        name: format!("Batch item {n}"),
        item_type: bc_core::ItemType::Inventory,
        income_account: "40100".into(),
        expense_account: None,
        cogs_account: None,
        asset_account: None,
        product_class: None,
        unit_price: Some(dec!(9.5)),
    }
}

/// `create_items`: one `$batch` of creates; each caller gets its own item; created again
/// (one at a time, as the engine does), each is refused by its number and found, never
/// duplicated.
#[tokio::test]
async fn items_are_created_in_one_batch_and_never_twice() {
    let sb = sandbox(405);
    let t = Recorder::new(&sb);
    let l = ledger_over(&sb, t.clone()).await;
    t.take();
    let items: Vec<_> = (0..12).map(new_item).collect();
    let made = l.create_items(&items).await;
    for (n, r) in made.iter().enumerate() {
        let r = r.as_ref().expect("created");
        assert_eq!(
            r.sku.as_ref().map(Sku::as_str),
            Some(format!("BATCH-{n:03}").as_str())
        );
    }
    assert_eq!(t.take(), vec![(12, true)]);
    let mut again = Vec::new();
    for i in &items[..2] {
        again.push(l.create_item(i).await);
    }
    assert_eq!(t.take(), vec![(1, true), (1, false), (1, true), (1, false)]);
    for (a, m) in again.iter().zip(&made) {
        assert_eq!(
            a.as_ref().expect("found").at.id,
            m.as_ref().expect("created").at.id
        );
    }
    let skus = sb
        .rows(Co::Gb.id(), "items")
        .iter()
        .filter(|r| {
            r["number"]
                .as_str()
                .is_some_and(|n| n.starts_with("BATCH-"))
        })
        .count();
    assert_eq!(skus, 12, "never duplicated");
}

/// Receipts of invoices this connector has just created and posted need no search (no
/// payment can be applied to them yet, and they are posted): one `$batch` of payments. The
/// same receipts again are searched, found, and not posted twice.
#[tokio::test]
async fn receipts_of_invoices_posted_here_are_not_searched_first() {
    let sb = sandbox(404);
    let t = Recorder::new(&sb);
    let l = ledger_over(&sb, t.clone()).await;
    let c = client(&l, "rcpt").await;
    let chair = item(&l, "1900-S").await;
    let docs: Vec<_> = (0..3)
        .map(|n| {
            document(
                &import(&format!("74{n:02}")),
                &c,
                Currency::GBP,
                vec![item_line(&chair, dec!(1), dec!(40), Some("ZERO"))],
                vec![],
            )
        })
        .collect();
    let posted: Vec<bc_core::LedgerRef> = l
        .post_sales_documents(&docs)
        .await
        .into_iter()
        .map(|r| r.expect("posted"))
        .collect();
    let receipt = |n: usize, seq: u32| bc_core::Receipt {
        import_id: docs[n].import_id.clone(),
        sequence: seq,
        document: posted[n].clone(),
        client: c.at.clone(),
        receipt_type: "CARD".into(),
        deposit_account: "10200".into(),
        amount: dec!(20),
        currency: Currency::GBP,
        state: bc_core::ReceiptState::Captured,
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default(),
        reference: Some(format!("ch_{n}_{seq}")),
    };
    // Two receipts for the first invoice (gift card and card), one for each other.
    let rs = vec![receipt(0, 0), receipt(0, 1), receipt(1, 0), receipt(2, 0)];
    t.take();
    let first: Vec<String> = l
        .post_receipts(&rs)
        .await
        .into_iter()
        .map(|r| r.expect("receipt").id)
        .collect();
    assert_eq!(t.take(), vec![(4, true)], "the payments only, applied");
    let payments = sb.rows(Co::Gb.id(), "customerPayments");
    assert_eq!(payments.len(), 4);
    assert!(payments
        .iter()
        .all(|p| !p["appliesToInvoiceId"].as_str().unwrap_or("").is_empty()));
    // Again (an engine retry): searched this time, found, nothing new.
    let again: Vec<String> = l
        .post_receipts(&rs)
        .await
        .into_iter()
        .map(|r| r.expect("receipt").id)
        .collect();
    assert_eq!(again, first);
    assert_eq!(t.take().len(), 1, "one search, no post");
    assert_eq!(sb.rows(Co::Gb.id(), "customerPayments").len(), 4);
}

/// A customer changed by someone else after the connector last saw it: the tax-area patch
/// with the remembered ETag gets 412 and the document fails temporarily (nothing written);
/// the next attempt reads the customer and posts. A customer that seems to have the right
/// area already is read all the same (here: it had been changed to another area).
#[tokio::test]
async fn a_remembered_customer_changed_elsewhere_is_read_again() {
    let sb = sandbox(405);
    let t = Recorder::new(&sb);
    let l = ledger_over(&sb, t.clone()).await;
    let other = ledger_over(&sb, t.clone()).await;
    let c = client(&l, "stale").await; // DOMESTIC, remembered by `l`
    let chair = item(&l, "1900-S").await;
    let doc = |n: &str, code: &str| {
        document(
            &import(n),
            &c,
            Currency::GBP,
            vec![item_line(&chair, dec!(1), dec!(50), Some(code))],
            vec![tax(code, "VAT", 0, dec!(10))],
        )
    };
    // Someone else gives the customer EU (another process posting an EU order).
    other
        .post_sales_documents(&[doc("7501", "EU/STANDARD")])
        .await
        .pop()
        .expect("one")
        .expect("posted by the other");
    let area = |sb: &bc_sandbox_bc365::Bc365Sandbox| {
        sb.rows(Co::Gb.id(), "customers")
            .into_iter()
            .find(|r| r["id"] == c.at.id.as_str())
            .map(|r| r["taxAreaId"].clone())
    };
    let eu = area(&sb);
    // `l` still believes DOMESTIC: a DOMESTIC order reads the customer, sees EU, patches.
    let r = l
        .post_sales_documents(&[doc("7502", "DOMESTIC/STANDARD")])
        .await
        .pop()
        .expect("one");
    r.expect("posted with DOMESTIC");
    assert_ne!(area(&sb), eu, "back to DOMESTIC");
    // The other one still believes EU (stale): its DOMESTIC order patches with the old
    // ETag, which fails with 412, temporarily, and writes nothing.
    let e = other
        .post_sales_documents(&[doc("7503", "DOMESTIC/STANDARD")])
        .await
        .pop()
        .expect("one")
        .expect_err("412 on a remembered ETag");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.is_temporary(), "{e}");
    assert!(
        invoices_with(&sb, Co::Gb, "BC17503").is_empty(),
        "nothing written"
    );
    // Again: the customer is read (DOMESTIC already), nothing to patch, posted.
    other
        .post_sales_documents(&[doc("7503", "DOMESTIC/STANDARD")])
        .await
        .pop()
        .expect("one")
        .expect("read again, posted");
    assert_ne!(area(&sb), eu);
    assert_eq!(invoices_with(&sb, Co::Gb, "BC17503")[0]["status"], "Open");
}
