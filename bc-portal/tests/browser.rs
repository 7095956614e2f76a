//! The portal in a real browser: headless Chromium over WebDriver, one test per flow of
//! issue 17, each on its own `bc_portal::demo::start` on 127.0.0.1. Every page visited is kept
//! as `target/portal-screenshots/<test>/NN-name.png`. Without Chromium or chromedriver each
//! test prints `SKIPPED: <why>` and returns.

mod common;
mod webdriver;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use bc_portal::demo::{Demo, DemoOptions};
use bc_portal::invoices::InvoiceFilter;
use bc_portal::model::{round_money, InvoiceLine, InvoiceStatus, LineKind};
use bc_portal::{CardDetails, PasswordCost, Served};
use common::fixtures::{company, dec, invoice, login, new_invoice, pay_offline};
use common::parse_csv;
use rust_decimal::Decimal;
use secrecy::SecretString;
use webdriver::Browser;

/// The demo on loopback, and a browser on it (`None`: skipped, the reason printed).
async fn setup(test: &str, orders: u64) -> Option<(Demo, Served, Browser)> {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let opts = DemoOptions {
        orders,
        seed: 42,
        port: 0,
        password_cost: PasswordCost::for_tests(),
        store_hash: format!("sbxbrowser{n}{}", std::process::id()),
    };
    let (demo, served) = bc_portal::demo::start(&opts).await.expect("demo starts");
    assert!(
        served.url.starts_with("http://127.0.0.1:"),
        "{}",
        served.url
    );
    match Browser::start(test, &served.url).await {
        Some(b) => Some((demo, served, b)),
        None => {
            served.task.abort();
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_as_each_role_and_as_a_buyer() {
    let Some((d, s, mut b)) = setup("sign_in_as_each_role_and_as_a_buyer", 60).await else {
        return;
    };
    let seller_links = [
        "/orders",
        "/invoices",
        "/payments",
        "/admin/users",
        "/admin/roles",
        "/admin/settings",
    ];
    for (role, allowed) in [
        ("sales", &seller_links[..2]),
        ("finance", &seller_links[..3]),
        ("admin", &seller_links[..]),
    ] {
        let (email, pw) = login(&d, role, 0);
        assert_eq!(b.sign_in(&email, &pw, role).await, "/");
        assert!(
            b.text("#welcome").await.contains(&format!("({role})")),
            "{role}"
        );
        for link in seller_links {
            let shown = b.has(&format!("nav a[href='{link}']")).await;
            assert_eq!(shown, allowed.contains(&link), "{role}: nav link {link}");
        }
        assert!(!b.has("nav a[href='/buyer/invoices']").await);
        // What the navigation hides is refused on the server too.
        if let Some(denied) = seller_links.iter().find(|l| !allowed.contains(l)) {
            b.open(denied, &format!("{role}-refused")).await;
            assert!(b.text("p.error").await.contains("permission"), "{role}");
            b.click_to("#home", &format!("{role}-home")).await;
        }
        b.sign_out(role).await;
    }
    // A buyer lands on their company's invoices, and only those.
    let (company_id, _) = company(&d, 0);
    let (email, pw) = login(&d, "buyer", 0);
    assert_eq!(b.sign_in(&email, &pw, "buyer").await, "/buyer/invoices");
    let own = d
        .portal
        .invoices(&InvoiceFilter {
            company_id: Some(company_id),
            ..Default::default()
        })
        .await
        .unwrap();
    let shown = b.row_numbers().await;
    assert_eq!(
        shown,
        own.iter().map(|i| i.number.clone()).collect::<Vec<_>>()
    );
    for link in seller_links {
        assert!(!b.has(&format!("nav a[href='{link}']")).await, "{link}");
    }
    b.open("/invoices", "buyer-refused").await;
    assert!(b.text("p.error").await.contains("permission"));
    b.click_to("#home", "buyer-home").await;
    assert_eq!(b.path().await, "/buyer/invoices");
    b.sign_out("buyer").await;
    // A wrong password: the form again, with the refusal.
    assert_eq!(
        b.sign_in(&email, "not-the-password", "wrong").await,
        "/login"
    );
    assert!(b.text("p.error").await.contains("Wrong e-mail or password"));
    b.close().await;
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_an_invoice_from_an_order() {
    let Some((d, s, mut b)) = setup("create_an_invoice_from_an_order", 60).await else {
        return;
    };
    let p = &d.portal;
    let (company_id, _) = company(&d, 0);
    let cost = Decimal::new(750, 2);
    let order = p
        .orders()
        .await
        .unwrap()
        .into_iter()
        .find(|o| {
            o.company_id == company_id
                && o.invoiced.is_zero()
                && !o.lines.is_empty()
                && round_money(o.lines[0].unit_price, &o.currency) + cost + Decimal::new(300, 2)
                    <= o.remaining()
        })
        .expect("an uninvoiced order");
    let (email, pw) = login(&d, "sales", 0);
    b.sign_in(&email, &pw, "sales").await;
    b.click_to("nav a[href='/orders']", "orders").await;
    let row = format!("tr[data-order='{}']", order.id);
    assert_eq!(
        dec(&b.text(&format!("{row} td.remaining")).await),
        order.remaining()
    );
    b.click_to(&format!("{row} a"), "order").await;
    assert_eq!(b.path().await, format!("/orders/{}", order.id));
    assert!(b
        .text("#remaining")
        .await
        .contains(&order.remaining().to_string()));
    for n in 0..order.lines.len() {
        let qty = if n == 0 { "1" } else { "0" };
        b.fill(&format!("input[name='qty_{n}']"), qty).await;
    }
    b.fill("#cost", "7.50").await;
    b.click_to("#create", "invoice-created").await;
    let path = b.path().await;
    let id: i64 = path
        .strip_prefix("/invoices/")
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("landed on {path}"));
    let expected = round_money(order.lines[0].unit_price, &order.currency) + cost;
    assert_eq!(dec(&b.text("#total").await), expected);
    assert_eq!(b.text("#status").await, "open");
    let inv = invoice(&d, id).await;
    assert_eq!(inv.total, expected);
    assert_eq!(inv.order_id.as_deref(), Some(order.id.as_str()));
    let lines = p.invoice_lines(id).await.unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0].order_line.as_ref(), Some(&order.lines[0].line_id));
    assert_eq!(lines[0].quantity, Decimal::ONE);
    assert_eq!((lines[1].kind, lines[1].unit_price), (LineKind::Cost, cost));

    // A second invoice of the same order; what remains goes down by both.
    b.open(&format!("/orders/{}", order.id), "order-after-first")
        .await;
    let after_first = order.remaining() - expected;
    assert!(b
        .text("#remaining")
        .await
        .contains(&after_first.to_string()));
    for n in 0..order.lines.len() {
        b.fill(&format!("input[name='qty_{n}']"), "0").await;
    }
    b.fill("#cost", "3.00").await;
    b.click_to("#create", "second-invoice-created").await;
    assert!(b.path().await.starts_with("/invoices/"));
    let now = p.order(&order.id).await.unwrap().unwrap();
    assert_eq!(now.remaining(), after_first - Decimal::new(300, 2));
    let of_order = p
        .invoices(&InvoiceFilter {
            order: Some(order.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(of_order.len(), 2);
    b.click_to("nav a[href='/orders']", "orders-after").await;
    assert_eq!(
        dec(&b.text(&format!("{row} td.remaining")).await),
        now.remaining()
    );
    b.close().await;
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_an_invoice_within_the_rules() {
    let Some((d, s, mut b)) = setup("edit_an_invoice_within_the_rules", 60).await else {
        return;
    };
    let p = &d.portal;
    let (company_id, _) = company(&d, 0);
    let inv = new_invoice(&d, company_id).await;
    let item = p.invoice_lines(inv.id).await.unwrap()[0].clone();
    let (email, pw) = login(&d, "sales", 0);
    b.sign_in(&email, &pw, "sales").await;
    b.click_to("nav a[href='/invoices']", "invoices").await;
    b.click_to(&format!("tr[data-invoice='{}'] a", inv.number), "invoice")
        .await;
    assert!(b.has("#delete").await);
    // Change a description and a price, add a cost line of two units.
    b.fill("input[name='desc_0']", "First line, as agreed by phone")
        .await;
    b.fill("input[name='price_1']", "12.34").await;
    b.choose("select[name='kind_2']", "cost").await;
    b.fill("input[name='desc_2']", "Handling").await;
    b.fill("input[name='qty_2']", "2").await;
    b.fill("input[name='price_2']", "5.25").await;
    b.click_to("#save", "invoice-edited").await;
    assert_eq!(b.path().await, format!("/invoices/{}", inv.id));
    let expected = item.amount(&inv.currency) + Decimal::new(1234, 2) + Decimal::new(1050, 2);
    assert_eq!(dec(&b.text("#total").await), expected);
    let lines = p.invoice_lines(inv.id).await.unwrap();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0].description, "First line, as agreed by phone");
    assert_eq!(lines[0].order_line, item.order_line);
    assert_eq!(lines[1].unit_price, Decimal::new(1234, 2));
    assert_eq!(
        (
            lines[2].kind,
            lines[2].description.as_str(),
            lines[2].quantity
        ),
        (LineKind::Cost, "Handling", Decimal::from(2))
    );
    assert_eq!(invoice(&d, inv.id).await.total, expected);

    // Partially paid: still editable (never below what was paid), no longer deletable.
    pay_offline(&d, company_id, inv.id, Decimal::from(5)).await;
    b.open(&format!("/invoices/{}", inv.id), "partially-paid")
        .await;
    assert_eq!(b.text("#status").await, "partially_paid");
    assert!(!b.has("#delete").await);
    b.fill("input[name='price_1']", "20.00").await;
    b.tick("input[name='remove_2']").await;
    b.click_to("#save", "partially-paid-edited").await;
    let expected = item.amount(&inv.currency) + Decimal::from(20);
    assert_eq!(dec(&b.text("#total").await), expected);
    assert_eq!(b.text("#status").await, "partially_paid");
    let now = invoice(&d, inv.id).await;
    assert_eq!((now.total, now.paid), (expected, Decimal::from(5)));
    assert_eq!(p.invoice_lines(inv.id).await.unwrap().len(), 2);
    b.close().await;
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_edits_and_deletes_are_refused() {
    let Some((d, s, mut b)) = setup("forbidden_edits_and_deletes_are_refused", 60).await else {
        return;
    };
    let p = &d.portal;
    let (company_id, _) = company(&d, 0);
    let inv = new_invoice(&d, company_id).await;
    let lines = p.invoice_lines(inv.id).await.unwrap();
    let (email, pw) = login(&d, "sales", 0);
    b.sign_in(&email, &pw, "sales").await;
    let page = format!("/invoices/{}", inv.id);

    // Partially paid while the page was open: the delete is refused.
    b.open(&page, "open-invoice").await;
    assert!(b.has("#delete").await);
    let half = round_money(inv.total / Decimal::from(2), &inv.currency);
    pay_offline(&d, company_id, inv.id, half).await;
    b.click_to("#delete", "delete-partially-paid-refused").await;
    let e = b.text("p.error").await;
    assert!(e.contains("partially paid: it cannot be deleted"), "{e}");
    let now = invoice(&d, inv.id).await;
    assert_eq!((now.total, now.paid), (inv.total, half));
    assert_eq!(p.invoice_lines(inv.id).await.unwrap(), lines);

    // An edit that takes the total below what was paid.
    b.open(&page, "partially-paid-invoice").await;
    assert!(!b.has("#delete").await);
    b.fill("input[name='qty_0']", "1").await;
    b.fill("input[name='price_0']", "0.01").await;
    b.tick("input[name='remove_1']").await;
    b.click_to("#save", "edit-below-paid-refused").await;
    let e = b.text("p.error").await;
    assert!(e.contains("less than") && e.contains("already paid"), "{e}");
    assert_eq!(invoice(&d, inv.id).await.total, inv.total);
    assert_eq!(p.invoice_lines(inv.id).await.unwrap(), lines);

    // Completed while the page was open: the edit is refused.
    b.open(&page, "before-completed").await;
    pay_offline(&d, company_id, inv.id, inv.total - half).await;
    b.fill("input[name='desc_1']", "Changed after payment")
        .await;
    b.click_to("#save", "edit-completed-refused").await;
    let e = b.text("p.error").await;
    assert!(
        e.contains("completed") && e.contains("cannot be edited"),
        "{e}"
    );
    assert_eq!(p.invoice_lines(inv.id).await.unwrap(), lines);

    // A completed invoice offers neither; forged forms are refused on the server.
    b.open(&page, "completed-invoice").await;
    assert_eq!(b.text("#status").await, "completed");
    assert!(!b.has("#delete").await && !b.has("#edit-invoice").await);
    b.forge_post(
        &format!("/invoices/{}/delete", inv.id),
        &[],
        "forged-delete-refused",
    )
    .await;
    let e = b.text("p.error").await;
    assert!(
        e.contains("completed") && e.contains("cannot be deleted"),
        "{e}"
    );
    b.open(&page, "completed-invoice-again").await;
    let edit = [
        ("kind_0", "cost".to_string()),
        ("desc_0", "Forged".to_string()),
        ("qty_0", "1".to_string()),
        ("price_0", inv.total.to_string()),
    ];
    b.forge_post(&page, &edit, "forged-edit-refused").await;
    let e = b.text("p.error").await;
    assert!(
        e.contains("completed") && e.contains("cannot be edited"),
        "{e}"
    );
    let now = invoice(&d, inv.id).await;
    assert_eq!(
        (now.total, now.paid, now.status),
        (inv.total, inv.total, InvoiceStatus::Completed)
    );
    assert_eq!(p.invoice_lines(inv.id).await.unwrap(), lines);
    b.close().await;
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_csv_of_the_filtered_invoices() {
    let Some((d, s, mut b)) = setup("export_csv_of_the_filtered_invoices", 60).await else {
        return;
    };
    let p = &d.portal;
    let (company_id, name) = company(&d, 0);
    let a = new_invoice(&d, company_id).await;
    let c = new_invoice(&d, company_id).await;
    pay_offline(&d, company_id, c.id, Decimal::ONE).await;
    let header = [
        "invoice", "source", "order", "customer", "status", "currency", "total", "paid", "balance",
        "created",
    ];

    let (email, pw) = login(&d, "sales", 0);
    b.sign_in(&email, &pw, "sales").await;
    b.click_to("nav a[href='/invoices']", "invoices").await;
    b.fill("#filters input[name='customer']", &name).await;
    b.choose("#filters select[name='status']", "open").await;
    b.click_to("#filter", "filtered").await;
    assert!(b.path().await.contains("status=open"));
    let shown = b.row_numbers().await;
    let expected = p
        .invoices(&InvoiceFilter {
            customer: Some(name.clone()),
            status: Some("open".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        shown,
        expected
            .iter()
            .map(|i| i.number.clone())
            .collect::<Vec<_>>()
    );
    assert!(shown.contains(&a.number) && !shown.contains(&c.number));
    let href = b.el("#csv").await.attr("href").await.unwrap().unwrap();
    let rows = parse_csv(&b.fetch_text(&href).await);
    assert_eq!(rows[0], header);
    assert_eq!(rows.len(), expected.len() + 1);
    for (row, inv) in rows[1..].iter().zip(&expected) {
        assert_eq!(row[0], inv.number);
        assert!(
            row[3].to_lowercase().contains(&name.to_lowercase()),
            "{row:?}"
        );
        assert_eq!(row[4], "open");
        assert_eq!((dec(&row[6]), dec(&row[8])), (inv.total, inv.balance()));
    }
    b.sign_out("sales").await;

    // The buyer's export: their company only, filtered by status.
    let (email, pw) = login(&d, "buyer", 0);
    b.sign_in(&email, &pw, "buyer").await;
    b.choose("#filters select[name='status']", "partially_paid")
        .await;
    b.click_to("#filter", "buyer-filtered").await;
    let shown = b.row_numbers().await;
    let href = b.el("#csv").await.attr("href").await.unwrap().unwrap();
    let rows = parse_csv(&b.fetch_text(&href).await);
    assert_eq!(rows[0], header);
    let numbers: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(numbers, shown);
    assert!(numbers.contains(&c.number) && !numbers.contains(&a.number));
    for row in &rows[1..] {
        assert_eq!(
            (row[3].as_str(), row[4].as_str()),
            (name.as_str(), "partially_paid")
        );
    }
    b.close().await;
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_payment_across_two_invoices_and_the_buyer_sees_the_memo() {
    let Some((d, s, mut b)) = setup("offline_payment_across_two_invoices", 60).await else {
        return;
    };
    let p = &d.portal;
    let (company_id, name) = company(&d, 0);
    let one = new_invoice(&d, company_id).await;
    let two = new_invoice(&d, company_id).await;
    let external = p.companies(&name).await.unwrap()[0].external_id.clone();
    let memo = "Cheque 118 received, thank you";

    let (email, pw) = login(&d, "finance", 0);
    b.sign_in(&email, &pw, "finance").await;
    b.click_to("nav a[href='/payments']", "payments").await;
    b.click_to("#new-payment", "offline-payment").await;
    // Found by the external company id, and by name.
    b.fill("#q", &external).await;
    b.click_to("#search", "found-by-external-id").await;
    assert!(b.text("#companies").await.contains(&name));
    b.fill("#q", &name).await;
    b.click_to("#search", "found-by-name").await;
    b.click_to(
        &format!("#companies a[href='/payments/new?company={company_id}']"),
        "open-invoices",
    )
    .await;
    b.fill(&format!("#amount_{}", one.number), "10.00").await;
    b.fill(&format!("#amount_{}", two.number), "15.50").await;
    b.fill("#reference", "CHQ-118").await;
    b.fill("#memo", memo).await;
    b.click_to("#record", "payment-recorded").await;
    assert!(b.path().await.starts_with("/payments?payment=PAY-"));
    let table = b.text("#payments").await;
    assert!(
        table.contains(memo) && table.contains("25.50") && table.contains("CHQ-118"),
        "{table}"
    );
    let pay = p
        .payments(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.memo == memo)
        .expect("the payment");
    assert_eq!(
        (pay.method.as_str(), pay.amount),
        ("offline", Decimal::new(2550, 2))
    );
    assert_eq!(pay.allocations.len(), 2);
    assert_eq!(invoice(&d, one.id).await.paid, Decimal::from(10));
    assert_eq!(invoice(&d, two.id).await.paid, Decimal::new(1550, 2));
    b.sign_out("finance").await;

    // The buyer sees the memo in both invoices' payment history.
    let (email, pw) = login(&d, "buyer", 0);
    b.sign_in(&email, &pw, "buyer").await;
    for (inv, amount) in [(&one, "10.00"), (&two, "15.50")] {
        b.click_to(
            &format!("tr[data-invoice='{}'] a", inv.number),
            &format!("buyer-{}", inv.number),
        )
        .await;
        let history = b.text("#history").await;
        assert!(
            history.contains(memo) && history.contains(amount),
            "{history}"
        );
        assert_eq!(b.text("#status").await, "partially_paid");
        b.click_to("nav a[href='/buyer/invoices']", "buyer-invoices")
            .await;
    }
    b.close().await;
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_pays_two_invoices() {
    let Some((d, s, mut b)) = setup("a_buyer_pays_two_invoices", 60).await else {
        return;
    };
    let p = &d.portal;
    let (company_id, _) = company(&d, 0);
    let one = new_invoice(&d, company_id).await;
    let two = new_invoice(&d, company_id).await;
    let (email, pw) = login(&d, "buyer", 0);
    b.sign_in(&email, &pw, "buyer").await;
    b.tick(&format!("#pay_{}", one.number)).await;
    b.tick(&format!("#pay_{}", two.number)).await;
    // The whole of the first (the amount offered), 5.00 of the second.
    assert_eq!(
        dec(&b
            .el(&format!("#amount_{}", one.number))
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap()),
        one.total
    );
    b.fill(&format!("#amount_{}", two.number), "5.00").await;
    b.fill("#card_number", "4111 1111 1111 1111").await;
    b.fill("#card_name", "Pat Buyer").await;
    b.fill("#card_month", "12").await;
    b.fill("#card_year", "2039").await;
    b.fill("#card_cvv", "123").await;
    b.shot("card-entered").await;
    b.click_to("#pay-button", "payment-result").await;
    let path = b.path().await;
    let co: i64 = path
        .strip_prefix("/buyer/checkouts/")
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("landed on {path}"));
    let sum = one.total + Decimal::from(5);
    let result = b.text("#result").await;
    assert!(
        result.contains("received") && result.contains(&sum.to_string()),
        "{result}"
    );
    b.click_to("a[href='/buyer/invoices']", "buyer-invoices-after")
        .await;
    let status = |n: &str| format!("tr[data-invoice='{n}'] td.status");
    assert_eq!(b.text(&status(&one.number)).await, "completed");
    assert_eq!(b.text(&status(&two.number)).await, "partially_paid");
    assert_eq!(
        dec(&b
            .text(&format!("tr[data-invoice='{}'] td.balance", two.number))
            .await),
        two.total - Decimal::from(5)
    );
    // On the server: one card payment over the two, once; one payment in the storefront.
    assert_eq!(invoice(&d, one.id).await.paid, one.total);
    assert_eq!(invoice(&d, two.id).await.paid, Decimal::from(5));
    let cards: Vec<_> = p
        .payments(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|x| x.method == "card")
        .collect();
    assert_eq!(cards.len(), 1);
    assert_eq!((cards[0].amount, cards[0].allocations.len()), (sum, 2));
    let order: u64 = p
        .checkout(co)
        .await
        .unwrap()
        .unwrap()
        .storefront_order_id
        .unwrap()
        .parse()
        .unwrap();
    let taken = d.sandbox.payments_of(order);
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(taken[0].0, sum);
    b.close().await;
    s.task.abort();
}

/// The ERP's deposit account balances, per currency.
async fn deposits(d: &Demo) -> BTreeMap<String, Decimal> {
    let account = &d.portal.config().deposit_account;
    let tb = d.erp.trial_balance().await.unwrap();
    assert!(tb.is_balanced(), "{tb:?}");
    tb.rows
        .iter()
        .filter(|r| &r.account == account)
        .map(|r| (r.currency.code().to_string(), r.balance()))
        .collect()
}

/// The amount of the ledger receipt `id`, from its journal (Dr deposit account).
async fn receipt_amount(d: &Demo, id: &str) -> Decimal {
    let journals = d
        .erp
        .journals_of("receipt", id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(journals.len(), 1, "receipt {id}: {journals:?}");
    journals[0].lines.iter().map(|l| l.1).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_reach_the_ledger_once() {
    let Some((d, s, mut b)) = setup("receipts_reach_the_ledger_once", 120).await else {
        return;
    };
    let p = &d.portal;
    // Each buyer company's invoice imported from the ledger, and one made from an order the
    // engine has not posted to the ledger (its receipt must wait, not be lost).
    let all = p.invoices(&InvoiceFilter::default()).await.unwrap();
    let ledger_invoice = |c: i64| {
        all.iter()
            .find(|i| i.source == "ledger" && i.company_id == c && i.total > Decimal::from(30))
            .cloned()
            .expect("a ledger invoice of the buyer company")
    };
    let (a, b_) = (company(&d, 0).0, company(&d, 1).0);
    let (inv_a, inv_b) = (ledger_invoice(a), ledger_invoice(b_));
    let docs = d.erp.sales_orders(None).await.unwrap();
    let not_in_ledger = p
        .orders()
        .await
        .unwrap()
        .into_iter()
        .find(|o| {
            o.company_id == a
                && o.invoiced.is_zero()
                && o.remaining() > Decimal::from(30)
                && !docs.iter().any(|x| {
                    x.import_id.as_ref().map(|i| i.order().to_string()) == Some(o.id.clone())
                })
        })
        .expect("an order not in the ledger");
    let line = InvoiceLine {
        kind: LineKind::Cost,
        sku: None,
        order_line: None,
        description: "Deposit".into(),
        quantity: Decimal::ONE,
        unit_price: Decimal::from(30),
    };
    let inv_w = p
        .create_invoice_from_order("fixture", &not_in_ledger.id, &[line])
        .await
        .unwrap();
    let before = deposits(&d).await;
    // A cheque over two invoices of the first company; a card payment by the second.
    p.record_offline_payment(
        "finance@seller.example",
        a,
        "CHQ-55",
        "Cheque 55",
        &[
            (inv_a.id, Decimal::new(1234, 2)),
            (inv_w.id, Decimal::from(10)),
        ],
    )
    .await
    .unwrap();
    let buyer = d
        .logins
        .iter()
        .find(|l| l.company.as_ref().map(|c| c.0) == Some(b_))
        .unwrap();
    let user = p
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == buyer.email)
        .unwrap();
    let co = p
        .start_checkout(
            "receipts-test-key-0001",
            b_,
            user.id,
            &[(inv_b.id, Decimal::new(1750, 2))],
        )
        .await
        .unwrap();
    let card = CardDetails {
        number: SecretString::from("4111111111111111".to_string()),
        holder: "Pat Buyer".into(),
        expiry_month: 12,
        expiry_year: 2039,
        cvv: SecretString::from("123".to_string()),
    };
    p.pay_checkout(co, &buyer.email, &card).await.unwrap();
    p.complete_checkout(co).await.unwrap();

    let (email, pw) = login(&d, "finance", 0);
    b.sign_in(&email, &pw, "finance").await;
    b.click_to("nav a[href='/payments']", "payments-before")
        .await;
    let states = b.texts("#outbox td.state").await;
    assert_eq!(states, ["pending", "pending", "pending"]);
    b.click_to("#post-receipts", "receipts-posted").await;
    // Outbox rows in order: cheque on A, cheque on the order not in the ledger, card on B.
    let states = b.texts("#outbox td.state").await;
    assert_eq!(states, ["posted", "waiting", "posted"]);
    // In the ledger: one receipt per posted row, of its amount, in the deposit account.
    let outbox = p.outbox().await.unwrap();
    let paid = [
        (0, Decimal::new(1234, 2), &inv_a),
        (2, Decimal::new(1750, 2), &inv_b),
    ];
    let mut expected = before.clone();
    for (row, amount, inv) in paid {
        let receipt = outbox[row].4.clone().expect("a ledger receipt");
        assert_eq!(outbox[row].1, inv.number);
        assert_eq!(receipt_amount(&d, &receipt).await, amount);
        *expected.entry(inv.currency.clone()).or_default() += amount;
    }
    assert!(outbox[1].4.is_none(), "{outbox:?}");
    assert_eq!(deposits(&d).await, expected);
    // Posting again posts nothing twice.
    b.click_to("#post-receipts", "receipts-posted-again").await;
    assert_eq!(
        b.texts("#outbox td.state").await,
        ["posted", "waiting", "posted"]
    );
    assert_eq!(deposits(&d).await, expected);
    let again = p.outbox().await.unwrap();
    assert_eq!(
        again.iter().map(|o| o.4.clone()).collect::<Vec<_>>(),
        outbox.iter().map(|o| o.4.clone()).collect::<Vec<_>>()
    );
    b.close().await;
    s.task.abort();
}
