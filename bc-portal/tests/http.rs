//! Over HTTP on loopback: the role × route × method matrix, buyers confined to their company,
//! CSRF, session fixation, sign-in throttling, the invoice rules, and payments exactly once.

mod common;

use bc_portal::perm::default_permissions;
use bc_portal::web::{Access, ROUTES};
use common::fixtures::fixture_invoice;
use common::{demo, signed_in, Client};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_route_method_matrix() {
    let (d, s) = demo(80).await;
    let buyer1 = d
        .logins
        .iter()
        .find(|l| l.role == "buyer")
        .unwrap()
        .company
        .clone()
        .unwrap()
        .0;
    let buyer2 = d
        .logins
        .iter()
        .filter(|l| l.role == "buyer")
        .nth(1)
        .unwrap()
        .company
        .clone()
        .unwrap()
        .0;
    let (order, invoice) = fixture_invoice(&d, buyer1).await;
    let subst = |path: &str| {
        path.replace("{order}", &order)
            .replace("{invoice}", &invoice.to_string())
            .replace("{user}", "999999")
            .replace("{checkout}", "999999")
    };
    let mut refused = 0;
    for role in ["sales", "finance", "admin"] {
        let mut c = signed_in(&s.url, &d, role, 0).await;
        let perms = default_permissions(role);
        for r in ROUTES {
            let path = subst(r.path);
            let lacks = match r.access {
                Access::Seller(p) => !perms.contains(&p),
                Access::Buyer => true,
                Access::Public | Access::SignedIn => false,
            };
            if !lacks {
                if r.method == "GET" {
                    let resp = c.get(&path).await;
                    assert!(resp.status < 400, "{role} GET {path}: {}", resp.status);
                }
                continue;
            }
            let resp = if r.method == "GET" {
                c.get(&path).await
            } else {
                c.post_csrf(&path, &[]).await
            };
            assert_eq!(
                resp.status, 403,
                "{role} {} {path} must be refused",
                r.method
            );
            refused += 1;
        }
    }
    // Buyers: every seller route refused; anonymous: sent to sign in.
    let mut b = signed_in(&s.url, &d, "buyer", 0).await;
    let mut anon = Client::new(&s.url);
    for r in ROUTES {
        let path = subst(r.path);
        if let Access::Seller(_) = r.access {
            let resp = if r.method == "GET" {
                b.get(&path).await
            } else {
                b.post_csrf(&path, &[]).await
            };
            assert_eq!(resp.status, 403, "buyer {} {path}", r.method);
            refused += 1;
        }
        if !matches!(r.access, Access::Public) {
            let resp = if r.method == "GET" {
                anon.get(&path).await
            } else {
                anon.post(&path, &[]).await
            };
            assert_eq!(resp.status, 303, "anonymous {} {path}", r.method);
            assert_eq!(resp.location.as_deref(), Some("/login"));
        }
    }
    assert!(refused > 40, "{refused}");
    // The invoice is still there: no refused POST did anything.
    assert!(d.portal.invoice(invoice).await.unwrap().is_some());

    // Another company's ids are 404 for a buyer, never the data.
    let mut b2 = signed_in(&s.url, &d, "buyer", 1).await;
    let r = b2.get(&format!("/buyer/invoices/{invoice}")).await;
    assert_eq!(r.status, 404);
    assert!(!r.body.contains("Part payment"));
    let key = "k".repeat(32);
    let inv_s = invoice.to_string();
    let r = b2
        .post_csrf(
            "/buyer/checkout",
            &[
                ("key", &key),
                ("pay", &inv_s),
                (&format!("amount_{invoice}"), "1.00"),
            ],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let csv = b2.get("/buyer/invoices.csv").await;
    let own = d
        .portal
        .invoices(&bc_portal::invoices::InvoiceFilter {
            company_id: Some(buyer2),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(csv.body.lines().count(), own.len() + 1);
    assert!(!csv
        .body
        .contains(&d.portal.invoice(invoice).await.unwrap().unwrap().number));
    // The first buyer sees it.
    let r = b.get(&format!("/buyer/invoices/{invoice}")).await;
    assert_eq!(r.status, 200);
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_fixation_and_throttling() {
    let (d, s) = demo(60).await;
    let buyer1 = d
        .logins
        .iter()
        .find(|l| l.role == "buyer")
        .unwrap()
        .company
        .clone()
        .unwrap()
        .0;
    let (_, invoice) = fixture_invoice(&d, buyer1).await;
    let mut admin = signed_in(&s.url, &d, "admin", 0).await;
    // No token, a wrong token: refused, nothing deleted.
    let r = admin
        .post(&format!("/invoices/{invoice}/delete"), &[])
        .await;
    assert_eq!(r.status, 403);
    let r = admin
        .post(
            &format!("/invoices/{invoice}/delete"),
            &[("csrf", "x".repeat(43).as_str())],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(d.portal.invoice(invoice).await.unwrap().is_some());
    // Sign-in without the login form's cookie: refused.
    let mut c = Client::new(&s.url);
    let l = &d.logins[0];
    let r = c
        .post(
            "/login",
            &[
                ("csrf", "abc"),
                ("email", &l.email),
                ("password", l.password.expose_secret()),
            ],
        )
        .await;
    assert_eq!(r.status, 403);

    // Session fixation: a planted session id is never adopted; a sign-in makes a fresh id.
    let mut v = Client::new(&s.url);
    v.cookies
        .push(("portal_session".into(), "planted-by-attacker".into()));
    let r = v.login(&l.email, l.password.expose_secret()).await;
    assert_eq!(r.status, 303);
    let sid = v
        .cookies
        .iter()
        .find(|(k, _)| k == "portal_session")
        .unwrap()
        .1
        .clone();
    assert_ne!(sid, "planted-by-attacker");
    assert!(sid.len() >= 43);
    let cookie = r
        .set_cookies
        .iter()
        .find(|c| c.starts_with("portal_session="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let mut attacker = Client::new(&s.url);
    attacker
        .cookies
        .push(("portal_session".into(), "planted-by-attacker".into()));
    assert_eq!(attacker.get("/invoices").await.status, 303);
    // Signing in again ends the previous session.
    let old = sid.clone();
    v.login(&l.email, l.password.expose_secret()).await;
    let mut stale = Client::new(&s.url);
    stale.cookies.push(("portal_session".into(), old));
    assert_eq!(stale.get("/").await.status, 303);

    // Throttling: 5 failures, then even the right password is refused for a while.
    let f = &d.logins[1];
    let mut t = Client::new(&s.url);
    for _ in 0..5 {
        assert_eq!(t.login(&f.email, "wrong-password-123").await.status, 401);
    }
    let r = t.login(&f.email, f.password.expose_secret()).await;
    assert_eq!(r.status, 429, "{}", r.body);
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_rules_payments_and_receipts_exactly_once() {
    let (d, s) = demo(80).await;
    let (company, _) = d
        .logins
        .iter()
        .find(|l| l.role == "buyer")
        .unwrap()
        .company
        .clone()
        .unwrap();
    let p = &d.portal;
    let order = p
        .orders()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.company_id == company && o.invoiced.is_zero() && o.total > Decimal::from(50))
        .unwrap();
    let mut sales = signed_in(&s.url, &d, "sales", 0).await;
    // Create an invoice from the order over HTTP: one unit of the first line.
    let page = sales.get(&format!("/orders/{}", order.id)).await;
    assert!(page.body.contains("Remaining to invoice"));
    let mut form: Vec<(String, String)> = Vec::new();
    for (n, l) in order.lines.iter().enumerate() {
        form.push((format!("oline_{n}"), l.line_id.clone()));
        form.push((
            format!("qty_{n}"),
            if n == 0 { "1".into() } else { "0".into() },
        ));
    }
    form.push(("cost".into(), "10.00".into()));
    let f: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = sales
        .post_csrf(&format!("/orders/{}/invoices", order.id), &f)
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let inv_id: i64 = r
        .location
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let inv = p.invoice(inv_id).await.unwrap().unwrap();
    let expected = bc_portal::model::round_money(order.lines[0].unit_price, &order.currency)
        + Decimal::from(10);
    assert_eq!(inv.total, expected);
    // Remaining to invoice went down by the invoice.
    assert_eq!(
        p.order(&order.id).await.unwrap().unwrap().remaining(),
        order.remaining() - expected
    );
    // Edit: add a cost line (allowed while open).
    sales.get(&format!("/invoices/{inv_id}")).await;
    let lines = p.invoice_lines(inv_id).await.unwrap();
    let mut ef: Vec<(String, String)> = Vec::new();
    for (n, l) in lines.iter().enumerate() {
        ef.extend([
            (format!("kind_{n}"), l.kind.as_str().to_string()),
            (format!("desc_{n}"), l.description.clone()),
            (format!("qty_{n}"), l.quantity.to_string()),
            (format!("price_{n}"), l.unit_price.to_string()),
            (
                format!("oline_{n}"),
                l.order_line.clone().unwrap_or_default(),
            ),
        ]);
    }
    let n = lines.len();
    ef.extend([
        (format!("kind_{n}"), "cost".into()),
        (format!("desc_{n}"), "Freight".into()),
        (format!("qty_{n}"), "1".into()),
        (format!("price_{n}"), "5.25".into()),
    ]);
    let f: Vec<(&str, &str)> = ef.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = sales.post_csrf(&format!("/invoices/{inv_id}"), &f).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let total = p.invoice(inv_id).await.unwrap().unwrap().total;
    assert_eq!(total, expected + Decimal::new(525, 2));

    // Partially paid offline: delete refused; edit below paid refused.
    let mut fin = signed_in(&s.url, &d, "finance", 0).await;
    let search = fin.get("/payments/new?q=bc%3A").await;
    assert_eq!(search.status, 200);
    fin.get(&format!("/payments/new?company={company}")).await;
    let r = fin
        .post_csrf(
            "/payments",
            &[
                ("company", &company.to_string()),
                (&format!("amount_{inv_id}"), "5.00"),
                ("reference", "CHK-1001"),
                ("memo", "Cheque 1001 received"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = sales
        .post_csrf(&format!("/invoices/{inv_id}/delete"), &[])
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("partially paid"));

    // The buyer pays the rest; a double submit with the same key pays once; the callback
    // retried twice applies once.
    let mut buyer = signed_in(&s.url, &d, "buyer", 0).await;
    let rest = (total - Decimal::from(5)).to_string();
    let key = "double-submit-key-0001";
    let inv_s = inv_id.to_string();
    let amount_field = format!("amount_{inv_id}");
    let form = [
        ("key", key),
        ("pay", inv_s.as_str()),
        (amount_field.as_str(), rest.as_str()),
        ("card_number", "4111111111111111"),
        ("card_name", "A Buyer"),
        ("card_month", "12"),
        ("card_year", "2039"),
        ("card_cvv", "123"),
    ];
    let r1 = buyer.post_csrf("/buyer/checkout", &form).await;
    let r2 = buyer.post_csrf("/buyer/checkout", &form).await;
    assert_eq!(r1.status, 303, "{}", r1.body);
    assert_eq!(r1.location, r2.location);
    let co: i64 = r1
        .location
        .clone()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            buyer
                .post_csrf(&format!("/buyer/checkouts/{co}/complete"), &[])
                .await
                .status,
            303
        );
    }
    let page = buyer.get(&format!("/buyer/checkouts/{co}")).await;
    assert!(page.body.contains("received"), "{}", page.body);
    let inv = p.invoice(inv_id).await.unwrap().unwrap();
    assert_eq!(inv.paid, total);
    assert_eq!(inv.status, bc_portal::model::InvoiceStatus::Completed);
    let pays = p.payments(&Default::default()).await.unwrap();
    assert_eq!(pays.iter().filter(|x| x.method == "card").count(), 1);
    let order_id: u64 = p
        .checkout(co)
        .await
        .unwrap()
        .unwrap()
        .storefront_order_id
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(d.sandbox.payments_of(order_id).len(), 1);
    // Completed: edit and delete refused on the server.
    let f: Vec<(&str, &str)> = ef.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        sales
            .post_csrf(&format!("/invoices/{inv_id}"), &f)
            .await
            .status,
        409
    );
    assert_eq!(
        sales
            .post_csrf(&format!("/invoices/{inv_id}/delete"), &[])
            .await
            .status,
        409
    );
    // The buyer sees the memo in the payment history.
    let h = buyer.get(&format!("/buyer/invoices/{inv_id}")).await;
    assert!(h.body.contains("Cheque 1001 received"));

    // Receipts: posted once even when run twice.
    let run1 = p.post_receipts().await.unwrap();
    let run2 = p.post_receipts().await.unwrap();
    let outbox = p.outbox().await.unwrap();
    assert_eq!(outbox.len(), 2);
    assert_eq!(run2.posted, 0, "{run1:?} {run2:?}");
    if outbox.iter().all(|o| o.3 == "posted") {
        let doc = d
            .erp
            .sales_orders(None)
            .await
            .unwrap()
            .into_iter()
            .find(|x| {
                x.import_id.as_ref().map(|i| i.order().to_string()) == Some(order.id.clone())
            });
        if let Some(doc) = doc {
            assert_eq!(
                doc.total - doc.balance_due,
                total,
                "ledger receipts equal the payments to the cent"
            );
        }
    } else {
        assert!(outbox.iter().all(|o| o.3 == "waiting"), "{outbox:?}");
    }
    s.task.abort();
}
