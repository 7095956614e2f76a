//! Bounded loopback load test: 200 buyers pay concurrently; every payment is applied exactly
//! once and balances equal the payments to the cent. Prints the p95 page time.

mod common;

use std::time::{Duration, Instant};

use bc_portal::invoices::InvoiceFilter;
use bc_portal::model::{InvoiceLine, LineKind};
use bc_portal::UserKind;
use common::{demo, Client};
use rust_decimal::Decimal;
use secrecy::SecretString;

const BUYERS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_buyers_pay_concurrently() {
    let (d, s) = demo(120).await;
    let p = d.portal.clone();
    // One invoice per company order not yet invoiced, for the two demo companies.
    let companies: Vec<i64> = d
        .logins
        .iter()
        .filter_map(|l| l.company.as_ref().map(|c| c.0))
        .collect();
    // Invoices imported from the ledger (their receipts reach the ERP), else new ones.
    let mut invoices: Vec<(i64, i64)> = p
        .invoices(&InvoiceFilter::default())
        .await
        .unwrap()
        .iter()
        .filter(|i| {
            i.source == "ledger"
                && companies.contains(&i.company_id)
                && i.balance() >= Decimal::from(120)
        })
        .map(|i| (i.company_id, i.id))
        .collect();
    for o in p.orders().await.unwrap() {
        if companies.iter().all(|c| invoices.iter().any(|i| i.0 == *c)) {
            break;
        }
        if companies.contains(&o.company_id) && o.invoiced.is_zero() && o.total >= Decimal::from(30)
        {
            let line = InvoiceLine {
                kind: LineKind::Cost,
                sku: None,
                order_line: None,
                description: "Load".into(),
                quantity: Decimal::ONE,
                unit_price: o.remaining(),
            };
            let inv = p
                .create_invoice_from_order("load", &o.id, &[line])
                .await
                .unwrap();
            invoices.push((o.company_id, inv.id));
        }
    }
    assert!(
        invoices.iter().any(|i| i.0 == companies[0])
            && invoices.iter().any(|i| i.0 == companies[1])
    );
    let before: Decimal = p
        .invoices(&InvoiceFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|i| i.paid)
        .sum();
    let pw = "load-test-password-1";
    let mut users = Vec::new();
    for n in 0..BUYERS {
        let company = companies[n % 2];
        let email = format!("load{n}@buyer.example");
        p.add_user(
            &email,
            "Load buyer",
            &SecretString::from(pw.to_string()),
            &UserKind::Buyer {
                company_id: company,
            },
        )
        .await
        .unwrap();
        let own: Vec<i64> = invoices
            .iter()
            .filter(|i| i.0 == company)
            .map(|i| i.1)
            .collect();
        users.push((email, own[(n / 2) % own.len()]));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, (email, invoice)) in users.into_iter().enumerate() {
        let base = s.url.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut c = Client::new(&base);
            let t = Instant::now();
            let r = c.login(&email, pw).await;
            assert_eq!(r.status, 303);
            times.push(t.elapsed());
            let t = Instant::now();
            let page = c.get("/buyer/invoices").await;
            times.push(t.elapsed());
            assert_eq!(page.status, 200);
            let key = format!("load-checkout-key-{n:04}");
            let inv = invoice.to_string();
            let field = format!("amount_{invoice}");
            let form = [
                ("key", key.as_str()),
                ("pay", inv.as_str()),
                (field.as_str(), "1.01"),
                ("card_number", "4111111111111111"),
                ("card_name", "Load"),
                ("card_month", "12"),
                ("card_year", "2039"),
                ("card_cvv", "123"),
            ];
            let t = Instant::now();
            let r = c.post_csrf("/buyer/checkout", &form).await;
            times.push(t.elapsed());
            // A double submit of each checkout, concurrently with everyone else's.
            let r2 = c.post_csrf("/buyer/checkout", &form).await;
            assert_eq!(r.location, r2.location);
            (r.status, times)
        }));
    }
    let mut times: Vec<Duration> = Vec::new();
    let mut pages: Vec<Duration> = Vec::new();
    let mut ok = 0;
    for t in tasks {
        let (status, ts) = t.await.unwrap();
        if status == 303 {
            ok += 1;
        }
        pages.push(ts[1]);
        times.extend(ts);
    }
    pages.sort();
    println!(
        "load: invoice list page p95 {:?}",
        pages[pages.len() * 95 / 100]
    );
    let wall = started.elapsed();
    times.sort();
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    let p50 = times[times.len() / 2];
    println!("load: {BUYERS} buyers, {ok} checkouts answered 303, wall {wall:?}, page p50 {p50:?}, p95 {p95:?}");
    assert_eq!(ok, BUYERS);
    // Exactly once: one card payment per buyer, and the invoices' paid amounts grew by exactly
    // 1.01 per payment.
    let pays = p.payments(&Default::default()).await.unwrap();
    let card: Vec<_> = pays.iter().filter(|x| x.method == "card").collect();
    assert_eq!(card.len(), BUYERS);
    let after: Decimal = p
        .invoices(&InvoiceFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|i| i.paid)
        .sum();
    assert_eq!(
        after - before,
        Decimal::new(101, 2) * Decimal::from(BUYERS as u64)
    );
    for i in p.invoices(&InvoiceFilter::default()).await.unwrap() {
        let allocated: Decimal = p
            .invoice_payments(i.id)
            .await
            .unwrap()
            .iter()
            .map(|h| h[4].parse::<Decimal>().unwrap())
            .sum();
        assert_eq!(allocated, i.paid, "invoice {}", i.number);
    }
    // The storefront took each payment once.
    let mut taken = 0;
    for pm in &card {
        let order: u64 = pm
            .reference
            .trim_start_matches("storefront order ")
            .parse()
            .unwrap();
        taken += d.sandbox.payments_of(order).len();
    }
    assert_eq!(taken, BUYERS);
    // Receipts reach the ledger once each.
    let run = p.post_receipts().await.unwrap();
    let again = p.post_receipts().await.unwrap();
    println!("receipts: {run:?}, second run {again:?}");
    assert_eq!(again.posted, 0);
    assert!(d.erp.duplicates().await.unwrap().is_empty());
    s.task.abort();
}
