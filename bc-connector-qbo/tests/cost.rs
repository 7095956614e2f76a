//! What an imported order costs in QBO requests, measured on the connector alone: 1,000
//! generated orders (customers repeat: 4 in 5 orders are from 200 registered customers, the
//! rest guests) go through what the orders job asks of a ledger — clients found (one index
//! refresh per 30 orders) and created 30 per `/batch`, invoices searched (`DocNumber IN`) and
//! posted 30 per `/batch`, receipts searched (`CustomerRef IN` + `TxnDate`) and posted 30 per
//! `/batch` — and the sandbox counts the requests. With QBO's limits (500 requests and 40
//! `/batch` calls in any window, 10 in flight) no request may be answered 429.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bc_connector_qbo::QboLedger;
use bc_core::{
    Client, ClientKey, ClientRef, Currency, Ledger, LedgerRef, Receipt, ReceiptState, SalesDocument,
};
use bc_http::{RateLimits, RouterTransport};
use bc_sandbox_qbo::{Company, QboConfig, QboSandbox};
use common::{client, document, options, setup};

const ORDERS: u32 = 1000;
const CHUNK: usize = 30;

/// The client of order `n`: a registered customer (by import id) or a guest (by e-mail).
fn client_of(n: u32) -> (ClientKey, Client) {
    if n.is_multiple_of(5) {
        let mut c = client(&format!("Guest {n}"), "unused");
        c.import_id = None;
        c.email = Some(format!("guest{n}@example.com"));
        (ClientKey::Email(format!("guest{n}@example.com")), c)
    } else {
        let id = format!("cust-{}", (n * 37) % 200);
        let c = client(&format!("Customer {id}"), &id);
        (ClientKey::ImportId(id), c)
    }
}

struct Outcome {
    requests: u64,
    rate_limited: u64,
    posted: usize,
    elapsed: Duration,
}

async fn import(
    sb: &QboSandbox,
    ledger: &QboLedger,
    widget: &LedgerRef,
    c0: &LedgerRef,
) -> Outcome {
    // Warm the references (items, accounts, tax codes) as a first order would.
    let warm = document(1, c0, widget, Company::Us, true);
    ledger.prepare_documents(&[warm]).await.expect("references");
    sb.stats().reset();
    let started = std::time::Instant::now();
    let mut posted = 0;
    let numbers: Vec<u32> = (1000..1000 + ORDERS).collect();
    for chunk in numbers.chunks(CHUNK) {
        let wanted: Vec<(ClientKey, Client)> = chunk.iter().map(|n| client_of(*n)).collect();
        let keys: Vec<ClientKey> = wanted.iter().map(|(k, _)| k.clone()).collect();
        let found = ledger.find_clients(&keys).await.expect("find clients");
        let mut refs: HashMap<ClientKey, ClientRef> = HashMap::new();
        let mut missing: Vec<(ClientKey, Client)> = Vec::new();
        for ((k, c), f) in wanted.iter().zip(found) {
            match f {
                Some(r) => {
                    refs.insert(k.clone(), r);
                }
                None if !missing.iter().any(|(m, _)| m == k) => {
                    missing.push((k.clone(), c.clone()))
                }
                None => {}
            }
        }
        let to_create: Vec<Client> = missing.iter().map(|(_, c)| c.clone()).collect();
        for ((k, _), r) in missing.iter().zip(ledger.create_clients(&to_create).await) {
            refs.insert(k.clone(), r.expect("client created"));
        }
        let docs: Vec<SalesDocument> = chunk
            .iter()
            .zip(&wanted)
            .map(|(n, (k, _))| document(*n, &refs[k].at, widget, Company::Us, n % 3 == 0))
            .collect();
        let ats: Vec<LedgerRef> = ledger
            .post_sales_documents(&docs)
            .await
            .into_iter()
            .map(|r| r.expect("posted"))
            .collect();
        let receipts: Vec<Receipt> = docs
            .iter()
            .zip(&ats)
            .map(|(d, at)| Receipt {
                import_id: d.import_id.clone(),
                sequence: 1,
                document: at.clone(),
                client: d.client.clone(),
                receipt_type: "Visa".into(),
                deposit_account: "Undeposited Funds".into(),
                amount: d.balance_due(),
                currency: Currency::USD,
                state: ReceiptState::Captured,
                date: d.date,
                reference: None,
            })
            .collect();
        for r in ledger.post_receipts(&receipts).await {
            r.expect("receipt");
        }
        posted += ats.len();
    }
    let snap = sb.stats().snapshot();
    println!("{:?}", snap.by_route);
    if snap.rate_limited > 0 {
        println!("{:?}", snap.by_route_status);
    }
    Outcome {
        requests: snap.total,
        rate_limited: snap.rate_limited,
        posted,
        elapsed: started.elapsed(),
    }
}

/// QBO's limits over a window of `window`: the sandbox's and the client's alike.
async fn run(realm: &str, window: Duration) -> (QboSandbox, Outcome) {
    let secs = window.as_secs().max(1);
    let sb = QboSandbox::new(QboConfig {
        realm_id: realm.to_string(),
        throttle_window_secs: secs,
        ..QboConfig::default()
    });
    let (_, c0, widget) = setup(&sb).await;
    let o = options(&sb)
        .with_rate_limits(
            RateLimits::new(460, window)
                .with_max_in_flight(6)
                .with_sliding_window(),
        )
        .with_batch_limits(
            RateLimits::new(40, window)
                .with_max_in_flight(4)
                .with_sliding_window(),
        );
    let ledger = QboLedger::connect(o, Arc::new(RouterTransport::new(sb.router())))
        .await
        .expect("connect");
    // The set-up above used other connections (other budgets, as another process would):
    // start from a fresh window so that this connection's budget is the only one spending.
    sb.set_limits(500, 10);
    let out = import(&sb, &ledger, &widget, &c0).await;
    (sb, out)
}

fn check(sb: &QboSandbox, out: &Outcome) {
    let per_order = out.requests as f64 / f64::from(ORDERS);
    println!(
        "{} orders: {} QBO requests ({per_order:.3} per order), {} answered 429, {:?}",
        out.posted, out.requests, out.rate_limited, out.elapsed
    );
    assert_eq!(out.posted, ORDERS as usize);
    assert!(per_order <= 0.25, "{per_order:.3} requests per order");
    assert_eq!(out.rate_limited, 0, "no 429 with QBO's limits");
    let totals = sb.totals();
    assert_eq!(
        totals.count(bc_sandbox_qbo::EntityKind::Invoice),
        ORDERS as usize
    );
    assert_eq!(
        totals.count(bc_sandbox_qbo::EntityKind::Payment),
        ORDERS as usize
    );
    assert_eq!(sb.duplicates().extra_documents(), 0);
    // Every distinct client once (registered customers by import id, guests by e-mail); the
    // fixture's `cust-1` existed already and was found by its import id.
    let distinct: std::collections::BTreeSet<String> = (1000..1000 + ORDERS)
        .map(|n| format!("{:?}", client_of(n).0))
        .filter(|k| !k.contains("\"cust-1\""))
        .collect();
    let ours = sb
        .customers()
        .iter()
        .filter(|c| {
            c["DisplayName"]
                .as_str()
                .is_some_and(|n| n.starts_with("Guest ") || n.starts_with("Customer cust-"))
        })
        .count();
    assert_eq!(ours, distinct.len());
}

/// QBO's limits with the window scaled from 60 s to 1 s (same counts), so the limiter is
/// exercised hard in seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_orders_cost_at_most_a_quarter_request_each_and_no_429() {
    let (sb, out) = run("3001", Duration::from_secs(1)).await;
    check(&sb, &out);
}

/// The same with QBO's real 60-second windows (about three minutes of wall time):
/// `cargo test -p bc-connector-qbo --test cost -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn a_thousand_orders_with_real_limits() {
    let (sb, out) = run("3002", Duration::from_secs(60)).await;
    check(&sb, &out);
}

/// The engine often writes one order at a time: a write of one goes to the entity's own
/// endpoint (the realm's 500 a minute), not to `/batch` (40 a minute).
#[tokio::test]
async fn one_order_at_a_time_does_not_spend_the_batch_quota() {
    let sb = common::sandbox("3004", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let doc = document(7, &c, &widget, Company::Us, false);
    ledger
        .prepare_documents(std::slice::from_ref(&doc))
        .await
        .expect("refs");
    sb.stats().reset();
    let at = ledger.post_sales_document(&doc).await.expect("posted");
    let r = Receipt {
        import_id: doc.import_id.clone(),
        sequence: 1,
        document: at,
        client: c.clone(),
        receipt_type: "Visa".into(),
        deposit_account: "Undeposited Funds".into(),
        amount: doc.balance_due(),
        currency: Currency::USD,
        state: ReceiptState::Captured,
        date: doc.date,
        reference: None,
    };
    ledger.post_receipt(&r).await.expect("receipt");
    let snap = sb.stats().snapshot();
    assert!(
        !snap.by_route.keys().any(|k| k.ends_with("/batch")),
        "{:?}",
        snap.by_route
    );
    // One search and one create for the invoice, one create for the payment (the payment
    // method comes from the lists `prepare_documents` read once).
    assert_eq!(snap.total, 3, "{:?}", snap.by_route);
}
