//! Exactly once against the strict sandbox with duplicate-number checking OFF (as in a new
//! QBO company): for every write kind, a write committed whose answer is lost (commit then
//! fail, no retry), then Intuit forgetting the `requestid` (the sandbox's clock moved past its
//! replay window), then the search and a second post — exactly one document. The searches use
//! only filterable fields (the sandbox refuses `PrivateNote` filters with 4001).

mod common;

use std::sync::Arc;
use std::time::Duration;

use bc_connector_qbo::QboLedger;
use bc_core::{
    CreditKind, CreditLine, CreditMemo, Currency, DocNumber, DocumentKind, JournalEntry,
    JournalLine, Ledger, LedgerRef, Receipt, ReceiptState, RefundId, SalesDocument, SalesLineKind,
};
use bc_http::{RetryPolicy, RouterTransport};
use bc_sandbox::faults::FaultPlan;
use bc_sandbox_qbo::{Company, EntityKind, QboSandbox};
use common::{document, options, sandbox, setup};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;

/// A second connection that does not retry: the lost answer surfaces as an error. Its lists
/// (tax codes, accounts, payment methods) are read before the fault is set, so that the
/// answer lost is the write's, not that of the one `/batch` that reads them.
async fn no_retry(sb: &QboSandbox) -> QboLedger {
    let o = options(sb).with_retry(RetryPolicy::default().with_max_attempts(1));
    let ledger = QboLedger::connect(o, Arc::new(RouterTransport::new(sb.router())))
        .await
        .expect("connect");
    ledger.catalog().await.expect("lists");
    ledger
}

/// A new process: no memory of what the first one posted.
async fn restarted(sb: &QboSandbox) -> QboLedger {
    common::connect(sb).await
}

fn lose_the_next_answer(sb: &QboSandbox) {
    sb.set_fault_plan(FaultPlan {
        seed: 11,
        commit_then_fail_rate: 1.0,
        ..FaultPlan::none()
    });
}

/// Faults off, and the sandbox's clock past its `requestid` window (one hour).
fn forget_request_ids(sb: &QboSandbox) {
    sb.set_fault_plan(FaultPlan::none());
    sb.advance_clock(chrono::Duration::hours(2));
}

fn marked(rows: Vec<Value>, key: &str) -> usize {
    let m = format!("[bcsync:{key}]");
    rows.iter()
        .filter(|r| {
            r["PrivateNote"]
                .as_str()
                .is_some_and(|n| n == m || n.starts_with(&format!("{m} ")))
        })
        .count()
}

async fn sales_document_once(kind: DocumentKind, number: DocNumber, realm: &str) {
    let sb = sandbox(realm, Company::Us);
    assert!(!sb.duplicate_doc_number_check());
    let (ledger, c, widget) = setup(&sb).await;
    let mut doc = document(500, &c, &widget, Company::Us, false);
    doc.kind = kind;
    doc.number = number;
    let lossy = no_retry(&sb).await;
    lossy
        .prepare_documents(std::slice::from_ref(&doc))
        .await
        .expect("refs");
    lose_the_next_answer(&sb);
    let lost = lossy.post_sales_document(&doc).await;
    assert!(lost.is_err(), "the answer was lost: {lost:?}");
    forget_request_ids(&sb);
    let rows = |sb: &QboSandbox| match kind {
        DocumentKind::Invoice => sb.invoices(),
        _ => sb.sales_receipts(),
    };
    let key = doc.import_id.to_string();
    assert_eq!(marked(rows(&sb), &key), 1, "the write was committed");
    // The same process finds it by import id (it knows the number or customer and date) …
    let found = lossy
        .find_document(&doc.import_id)
        .await
        .expect("search")
        .expect("found");
    // … a restarted one too (a scan), and the document-aware search without scanning.
    let fresh = restarted(&sb).await;
    let again = fresh
        .find_document(&doc.import_id)
        .await
        .expect("search")
        .expect("found after a restart");
    assert_eq!(found.at.id, again.at.id);
    let by_doc = fresh
        .find_sales_documents(std::slice::from_ref(&doc))
        .await
        .pop()
        .expect("one answer")
        .expect("search")
        .expect("found");
    assert_eq!(by_doc.at.id, found.at.id);
    assert_eq!(by_doc.total, doc.total());
    // Posting again adopts it.
    let at = ledger.post_sales_document(&doc).await.expect("post again");
    assert_eq!(at.id, found.at.id);
    let at = fresh
        .post_sales_document(&doc)
        .await
        .expect("post after restart");
    assert_eq!(at.id, found.at.id);
    assert_eq!(marked(rows(&sb), &key), 1, "exactly one document");
    assert_eq!(sb.duplicates().extra_documents(), 0);
}

#[tokio::test]
async fn invoice_with_our_number() {
    sales_document_once(
        DocumentKind::Invoice,
        DocNumber::Fixed("BC-500".into()),
        "2001",
    )
    .await;
}

#[tokio::test]
async fn invoice_numbered_by_qbo() {
    sales_document_once(DocumentKind::Invoice, DocNumber::Auto, "2002").await;
}

#[tokio::test]
async fn sales_receipt_numbered_by_qbo() {
    sales_document_once(DocumentKind::SalesReceipt, DocNumber::Auto, "2003").await;
}

#[tokio::test]
async fn sales_receipt_with_our_number() {
    sales_document_once(
        DocumentKind::SalesReceipt,
        DocNumber::Fixed("BC-500".into()),
        "2004",
    )
    .await;
}

fn receipt(doc: &SalesDocument, at: &LedgerRef, client: &LedgerRef) -> Receipt {
    Receipt {
        import_id: doc.import_id.clone(),
        sequence: 1,
        document: at.clone(),
        client: client.clone(),
        receipt_type: "Visa".into(),
        deposit_account: "Undeposited Funds".into(),
        amount: doc.balance_due(),
        currency: Currency::USD,
        state: ReceiptState::Captured,
        date: doc.date,
        reference: Some("txn-9".into()),
    }
}

#[tokio::test]
async fn payment() {
    let sb = sandbox("2005", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let doc = document(501, &c, &widget, Company::Us, false);
    let at = ledger.post_sales_document(&doc).await.expect("invoice");
    // Another payment of the same customer on the same day: the search must tell them apart.
    let other = document(502, &c, &widget, Company::Us, false);
    let other_at = ledger.post_sales_document(&other).await.expect("invoice");
    ledger
        .post_receipt(&receipt(&other, &other_at, &c))
        .await
        .expect("other payment");
    let r = receipt(&doc, &at, &c);
    let lossy = no_retry(&sb).await;
    lose_the_next_answer(&sb);
    assert!(lossy.post_receipt(&r).await.is_err());
    sb.set_fault_plan(FaultPlan::none());
    let key = format!("{}#P1", doc.import_id);
    assert_eq!(marked(sb.payments(), &key), 1);
    // Within Intuit's window a repeat is answered with the first payment.
    let replayed = ledger.post_receipt(&r).await.expect("repeat");
    assert_eq!(marked(sb.payments(), &key), 1);
    forget_request_ids(&sb);
    // After it, the engine's journal searches before writing again (and adopts).
    let fresh = restarted(&sb).await;
    let found = Ledger::find_receipt(&fresh, &r)
        .await
        .expect("search")
        .expect("found");
    assert_eq!(found.id, replayed.id);
    assert_eq!(marked(sb.payments(), &key), 1, "exactly one payment");
    assert_eq!(sb.payments().len(), 2);
    // The other receipt of the same customer and day is told apart by its marker.
    let other_found = Ledger::find_receipt(&fresh, &receipt(&other, &other_at, &c))
        .await
        .expect("search")
        .expect("found");
    assert_ne!(other_found.id, found.id);
}

fn credit(
    doc: &SalesDocument,
    invoice: &LedgerRef,
    widget: &LedgerRef,
    kind: CreditKind,
) -> CreditMemo {
    CreditMemo {
        kind,
        import_id: doc.import_id.clone(),
        refund_id: "R9".into(),
        number: DocNumber::Auto,
        client: doc.client.clone(),
        invoice: Some(invoice.clone()),
        lines: vec![CreditLine {
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
        refund_account: Some("Checking".into()),
        currency: Currency::USD,
        date: doc.date,
        memo: None,
        warehouse: None,
    }
}

async fn credit_once(kind: CreditKind, realm: &str) {
    let sb = sandbox(realm, Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let doc = document(503, &c, &widget, Company::Us, false);
    let inv = ledger.post_sales_document(&doc).await.expect("invoice");
    let memo = credit(&doc, &inv, &widget, kind);
    let lossy = no_retry(&sb).await;
    lose_the_next_answer(&sb);
    assert!(lossy.post_credit_memo(&memo).await.is_err());
    forget_request_ids(&sb);
    let key = format!("{}#RR9", doc.import_id);
    let rows = |sb: &QboSandbox| match kind {
        CreditKind::CreditMemo => sb.credit_memos(),
        CreditKind::RefundReceipt => sb.refund_receipts(),
    };
    assert_eq!(marked(rows(&sb), &key), 1);
    let fresh = restarted(&sb).await;
    let found = fresh
        .find_credit_memo(&doc.import_id, &RefundId::new("R9"))
        .await
        .expect("search")
        .expect("found after a restart");
    let again = fresh.post_credit_memo(&memo).await.expect("post again");
    assert_eq!(again.id, found.id);
    assert_eq!(marked(rows(&sb), &key), 1, "exactly one credit");
    if kind == CreditKind::CreditMemo {
        // Applied once, by the second post (the first never got that far).
        let invoice = sb.entity(EntityKind::Invoice, &inv.id).expect("invoice");
        let balance: Decimal = serde_json::from_value(invoice["Balance"].clone()).expect("balance");
        assert_eq!(balance, doc.total() - dec!(25.00));
        let third = ledger.post_credit_memo(&memo).await.expect("third post");
        assert_eq!(third.id, found.id);
        let invoice = sb.entity(EntityKind::Invoice, &inv.id).expect("invoice");
        let after: Decimal = serde_json::from_value(invoice["Balance"].clone()).expect("balance");
        assert_eq!(after, balance, "never applied twice");
    }
}

#[tokio::test]
async fn credit_memo() {
    credit_once(CreditKind::CreditMemo, "2006").await;
}

#[tokio::test]
async fn refund_receipt() {
    credit_once(CreditKind::RefundReceipt, "2007").await;
}

#[tokio::test]
async fn journal() {
    let sb = sandbox("2008", Company::Us);
    let (ledger, _, _) = setup(&sb).await;
    let line = |account: &str, debit: Decimal, credit: Decimal| JournalLine {
        account: account.to_string(),
        debit,
        credit,
        description: account.to_string(),
    };
    let entry = JournalEntry {
        key: "BC1-PAYOUT-77".into(),
        number: DocNumber::Auto,
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date"),
        currency: Currency::USD,
        lines: vec![
            line("Checking", dec!(97.00), Decimal::ZERO),
            line("Merchant Fees", dec!(3.00), Decimal::ZERO),
            line("Payments Clearing", Decimal::ZERO, dec!(100.00)),
        ],
        memo: Some("payout 77".into()),
    };
    // Another journal the same day.
    let mut other = entry.clone();
    other.key = "BC1-PAYOUT-78".into();
    ledger.post_journal(&other).await.expect("other journal");
    let lossy = no_retry(&sb).await;
    lose_the_next_answer(&sb);
    assert!(lossy.post_journal(&entry).await.is_err());
    forget_request_ids(&sb);
    let key = "J#BC1-PAYOUT-77";
    assert_eq!(marked(sb.journal_entries(), key), 1);
    let fresh = restarted(&sb).await;
    let found = fresh
        .find_journal(&entry.key)
        .await
        .expect("search")
        .expect("found after a restart");
    let again = fresh.post_journal(&entry).await.expect("post again");
    assert_eq!(again.id, found.id);
    assert_eq!(marked(sb.journal_entries(), key), 1, "exactly one journal");
    assert_eq!(sb.journal_entries().len(), 2);
    // The deposit form of a payout too.
    let mut dep = entry.clone();
    dep.key = "BC1-PAYOUT-79".into();
    lose_the_next_answer(&sb);
    assert!(lossy.post_deposit(&dep, "Checking").await.is_err());
    forget_request_ids(&sb);
    let found = fresh
        .find_deposit_for(&dep)
        .await
        .expect("search")
        .expect("found");
    let again = fresh.post_deposit(&dep, "Checking").await.expect("again");
    assert_eq!(again.id, found.id);
    assert_eq!(sb.documents(EntityKind::Deposit).len(), 1);
    let _ = Duration::ZERO;
}

#[tokio::test]
async fn with_duplicate_number_checking_on_a_lost_answer_is_adopted_too() {
    let sb = sandbox("2009", Company::Us);
    sb.set_duplicate_doc_number_check(true);
    let (ledger, c, widget) = setup(&sb).await;
    let doc = document(504, &c, &widget, Company::Us, false);
    let lossy = no_retry(&sb).await;
    lossy
        .prepare_documents(std::slice::from_ref(&doc))
        .await
        .expect("refs");
    lose_the_next_answer(&sb);
    assert!(lossy.post_sales_document(&doc).await.is_err());
    forget_request_ids(&sb);
    let at = ledger.post_sales_document(&doc).await.expect("adopted");
    assert_eq!(
        sb.invoices()
            .iter()
            .filter(|i| i["Id"] == at.id.as_str())
            .count(),
        1
    );
    assert_eq!(marked(sb.invoices(), &doc.import_id.to_string()), 1);
}

#[tokio::test]
async fn a_total_that_differs_from_the_plan_is_an_error_with_both_figures() {
    let sb = sandbox("2010", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let doc = document(505, &c, &widget, Company::Us, false);
    ledger.post_sales_document(&doc).await.expect("posted");
    // The order changed (or someone edited the invoice in QBO): the plan is now one more.
    let mut replanned = doc.clone();
    replanned.lines[0].amount += dec!(1.00);
    replanned.lines[0].unit_price = replanned.lines[0].amount / replanned.lines[0].quantity;
    let err = ledger
        .post_sales_document(&replanned)
        .await
        .expect_err("QBO's total differs from the plan");
    assert_eq!(err.kind(), bc_core::ErrorKind::Invalid);
    let msg = err.to_string();
    assert!(msg.contains(&format!("is {}", doc.balance_due())), "{msg}");
    assert!(
        msg.contains(&format!("plan's is {}", replanned.balance_due())),
        "{msg}"
    );
    assert!(msg.contains("order 505"), "{msg}");
    assert_eq!(marked(sb.invoices(), &doc.import_id.to_string()), 1);
}

#[tokio::test]
async fn a_credit_memo_that_cannot_be_applied_in_full_is_an_error_with_both_figures() {
    let sb = sandbox("2011", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let doc = document(506, &c, &widget, Company::Us, false);
    let inv = ledger.post_sales_document(&doc).await.expect("invoice");
    // The invoice is paid in full: nothing of the credit can be applied to it.
    ledger
        .post_receipt(&receipt(&doc, &inv, &c))
        .await
        .expect("paid");
    let memo = credit(&doc, &inv, &widget, CreditKind::CreditMemo);
    let err = ledger
        .post_credit_memo(&memo)
        .await
        .expect_err("unapplied credit");
    assert_eq!(err.kind(), bc_core::ErrorKind::Invalid);
    let msg = err.to_string();
    assert!(msg.contains("25.00"), "{msg}");
    assert!(msg.contains("for 0"), "{msg}");
    // The credit memo exists once; a retry finds it and reports the same.
    assert_eq!(sb.credit_memos().len(), 1);
    assert!(ledger.post_credit_memo(&memo).await.is_err());
    assert_eq!(sb.credit_memos().len(), 1);
}
