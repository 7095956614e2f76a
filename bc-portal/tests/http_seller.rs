//! Seller pages over HTTP on loopback: the "changed/cancelled after invoicing" flag, the CSV
//! export of the invoice dashboard, an Admin changing a role's permissions, and the security
//! headers of every kind of response.

mod common;

use bc_portal::perm::default_permissions;
use common::fixtures::fixture_invoice;
use common::{demo, signed_in, Client};
use rust_decimal::Decimal;

/// The text of the flag cell of an order's row on the order dashboard.
fn flag_of(html: &str, order: &str) -> String {
    let at = html
        .find(&format!("data-order=\"{order}\""))
        .unwrap_or_else(|| panic!("order {order} is not on the dashboard"));
    let row = &html[at..];
    let row = &row[..row.find("</tr>").unwrap_or(row.len())];
    let cell = row
        .split("<td class=\"flag\">")
        .nth(1)
        .expect("a flag cell");
    cell[..cell.find("</td>").unwrap_or(0)].trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_changed_or_cancelled_after_invoicing_are_flagged() {
    let (d, s) = demo(60).await;
    let p = &d.portal;
    let company = d.logins.iter().find_map(|l| l.company.clone()).unwrap().0;
    let (changed, _) = fixture_invoice(&d, company).await;
    let (cancelled, _) = fixture_invoice(&d, company).await;
    let never = p
        .orders()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.invoiced.is_zero() && o.status != "5")
        .expect("an order never invoiced");
    let mut sales = signed_in(&s.url, &d, "sales", 0).await;
    let page = sales.get("/orders").await;
    for o in [&changed, &cancelled, &never.id] {
        assert_eq!(flag_of(&page.body, o), "", "order {o} before any change");
    }
    // In the storefront: a line added to one, another cancelled, and one never invoiced
    // cancelled too (nothing to flag there).
    let id = |o: &str| o.parse::<u64>().unwrap();
    d.sandbox
        .add_custom_line(id(&changed), "Late surcharge", Decimal::from(12))
        .unwrap();
    d.sandbox.set_order_status(id(&cancelled), 5).unwrap();
    d.sandbox.set_order_status(id(&never.id), 5).unwrap();
    // The dashboard shows it once the orders are synced again.
    let r = sales.post_csrf("/orders/sync", &[]).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (303, Some("/orders")),
        "{}",
        r.body
    );
    let page = sales.get("/orders").await;
    assert_eq!(flag_of(&page.body, &changed), "changed after invoicing");
    assert_eq!(flag_of(&page.body, &cancelled), "cancelled after invoicing");
    assert_eq!(flag_of(&page.body, &never.id), "");
    let one = sales.get(&format!("/orders/{changed}")).await;
    assert!(one.body.contains("Flag: changed after invoicing"));
    assert_eq!(
        p.order(&cancelled).await.unwrap().unwrap().flag(),
        Some("cancelled after invoicing")
    );
    // Syncing again changes nothing: the flag stays until someone acts on it.
    sales.post_csrf("/orders/sync", &[]).await;
    let page = sales.get("/orders").await;
    assert_eq!(flag_of(&page.body, &changed), "changed after invoicing");
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seller_csv_export_follows_the_filter() {
    let (d, s) = demo(60).await;
    let p = &d.portal;
    let companies: Vec<(i64, String)> = d.logins.iter().filter_map(|l| l.company.clone()).collect();
    let (c0, name0) = companies[0].clone();
    let (_, open_id) = fixture_invoice(&d, c0).await;
    let (part_order, part_id) = fixture_invoice(&d, c0).await;
    let (_, other_id) = fixture_invoice(&d, companies[1].0).await;
    p.record_offline_payment("test", c0, "CHK-5", "", &[(part_id, Decimal::ONE)])
        .await
        .unwrap();
    let number = |id: i64| async move { p.invoice(id).await.unwrap().unwrap().number };
    let (open_n, part_n, other_n) = (
        number(open_id).await,
        number(part_id).await,
        number(other_id).await,
    );
    let mut sales = signed_in(&s.url, &d, "sales", 0).await;
    let header = "invoice,source,order,customer,status,currency,total,paid,balance,created";

    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("customer", &name0)
        .append_pair("status", "open")
        .finish();
    let r = sales.get(&format!("/invoices.csv?{q}")).await;
    assert_eq!(r.status, 200);
    let ct = r.headers.get("content-type").unwrap().to_str().unwrap();
    assert!(ct.starts_with("text/csv"), "{ct}");
    let cd = r
        .headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cd.starts_with("attachment"), "{cd}");
    let rows = common::parse_csv(&r.body);
    assert_eq!(rows[0].join(","), header);
    let expected = p
        .invoices(&bc_portal::invoices::InvoiceFilter {
            customer: Some(name0.clone()),
            status: Some("open".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), expected.len() + 1);
    for (row, inv) in rows[1..].iter().zip(&expected) {
        assert_eq!(row[0], inv.number);
        assert_eq!(row[2], inv.order_id.clone().unwrap_or_default());
        assert!(
            row[3].to_lowercase().contains(&name0.to_lowercase()),
            "{row:?}"
        );
        assert_eq!(row[4], "open");
        assert_eq!(row[6].parse::<Decimal>().unwrap(), inv.total);
        assert_eq!(row[8].parse::<Decimal>().unwrap(), inv.balance());
    }
    let numbers: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert!(numbers.contains(&open_n.as_str()));
    assert!(!numbers.contains(&part_n.as_str()) && !numbers.contains(&other_n.as_str()));

    // By order id: the partially paid one, with what was paid.
    let r = sales
        .get(&format!("/invoices.csv?order={part_order}"))
        .await;
    let rows = common::parse_csv(&r.body);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        (rows[1][0].as_str(), rows[1][4].as_str()),
        (part_n.as_str(), "partially_paid")
    );
    assert_eq!(rows[1][7].parse::<Decimal>().unwrap(), Decimal::ONE);
    // By invoice number; and everything without a filter.
    let r = sales.get(&format!("/invoices.csv?invoice={other_n}")).await;
    let rows = common::parse_csv(&r.body);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], other_n);
    let r = sales.get("/invoices.csv").await;
    let all = p.invoices(&Default::default()).await.unwrap();
    assert_eq!(common::parse_csv(&r.body).len(), all.len() + 1);
    // Each export is in the audit log.
    let log = p.audit_log(50).await.unwrap();
    assert!(
        log.iter()
            .filter(|r| r.iter().any(|c| c == "invoices.export"))
            .count()
            >= 4
    );
    s.task.abort();
}

/// The checkboxes of a role's form on the roles page that are ticked.
fn ticked(html: &str, role: &str) -> Vec<String> {
    let at = html
        .find(&format!("id=\"role-{role}\""))
        .expect("role form");
    let form = &html[at..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    form.split("<input")
        .filter(|i| i.contains("name=\"perm\"") && i.contains(" checked"))
        .filter_map(|i| i.split("value=\"").nth(1))
        .map(|v| v[..v.find('"').unwrap_or(0)].to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_changes_a_roles_permissions_and_it_takes_effect() {
    use bc_portal::Permission;
    let (d, s) = demo(60).await;
    let p = &d.portal;
    let company = d.logins.iter().find_map(|l| l.company.clone()).unwrap().0;
    let (_, invoice) = fixture_invoice(&d, company).await;
    let mut sales = signed_in(&s.url, &d, "sales", 0).await;
    let mut admin = signed_in(&s.url, &d, "admin", 0).await;
    assert_eq!(sales.get("/payments").await.status, 403);
    let page = admin.get("/admin/roles").await;
    assert_eq!(page.status, 200);
    let defaults: Vec<String> = default_permissions("sales")
        .iter()
        .map(|x| x.as_str().to_string())
        .collect();
    assert_eq!(ticked(&page.body, "sales"), defaults);

    // Sales may see payments, and may no longer delete invoices.
    let mut wanted: Vec<&str> = default_permissions("sales")
        .iter()
        .filter(|x| **x != Permission::InvoicesDelete)
        .map(|x| x.as_str())
        .collect();
    wanted.push("payments.view");
    let mut form = vec![("role", "sales")];
    form.extend(wanted.iter().map(|x| ("perm", *x)));
    let r = admin.post_csrf("/admin/roles", &form).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (303, Some("/admin/roles")),
        "{}",
        r.body
    );
    let now: Vec<&str> = p
        .role_permissions("sales")
        .await
        .unwrap()
        .iter()
        .map(|x| x.as_str())
        .collect();
    let mut sorted = wanted.clone();
    sorted.sort_by_key(|x| Permission::parse(x));
    assert_eq!(now, sorted);
    // At once, for the Sales user already signed in.
    assert_eq!(sales.get("/payments").await.status, 200);
    assert!(sales.get("/").await.body.contains("href=\"/payments\""));
    let page = sales.get(&format!("/invoices/{invoice}")).await;
    assert!(!page.body.contains("id=\"delete\""));
    let r = sales
        .post_csrf(&format!("/invoices/{invoice}/delete"), &[])
        .await;
    assert_eq!(r.status, 403);
    assert!(p.invoice(invoice).await.unwrap().is_some());
    let page = admin.get("/admin/roles").await;
    let mut shown = ticked(&page.body, "sales");
    shown.sort_by_key(|x| Permission::parse(x));
    assert_eq!(shown, sorted);
    assert!(p
        .audit_log(20)
        .await
        .unwrap()
        .iter()
        .any(|r| r.iter().any(|c| c == "role.permissions") && r.iter().any(|c| c == "sales")));

    // Refused: an unknown permission, an unknown role; nothing changes.
    let r = admin
        .post_csrf(
            "/admin/roles",
            &[("role", "sales"), ("perm", "invoices.launder")],
        )
        .await;
    assert_eq!(r.status, 422);
    let r = admin
        .post_csrf(
            "/admin/roles",
            &[("role", "intern"), ("perm", "orders.view")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(p.role_permissions("intern").await.unwrap().len(), 0);
    assert_eq!(
        p.role_permissions("sales").await.unwrap().len(),
        sorted.len()
    );
    // Admins cannot lock every admin out: roles.manage stays with the admin role.
    let r = admin
        .post_csrf(
            "/admin/roles",
            &[("role", "admin"), ("perm", "orders.view")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(admin.get("/admin/roles").await.status, 200);
    assert_eq!(admin.get("/admin/users").await.status, 403);

    // Given back, the delete works again.
    let mut form = vec![("role", "sales")];
    form.extend(defaults.iter().map(|x| ("perm", x.as_str())));
    assert_eq!(admin.post_csrf("/admin/roles", &form).await.status, 303);
    let r = sales
        .post_csrf(&format!("/invoices/{invoice}/delete"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(p.invoice(invoice).await.unwrap().is_none());
    s.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_kind_of_response() {
    let (d, s) = demo(60).await;
    let mut anon = Client::new(&s.url);
    let mut sales = signed_in(&s.url, &d, "sales", 0).await;
    let cases = vec![
        ("GET /login", 200, anon.get("/login").await),
        ("anonymous GET /invoices", 303, anon.get("/invoices").await),
        (
            "POST /login without its token",
            403,
            anon.post("/login", &[]).await,
        ),
        ("GET /nowhere", 404, anon.get("/nowhere").await),
        ("GET /invoices", 200, sales.get("/invoices").await),
        ("GET /invoices.csv", 200, sales.get("/invoices.csv").await),
        (
            "GET /admin/users (refused)",
            403,
            sales.get("/admin/users").await,
        ),
        (
            "GET /invoices/999999",
            404,
            sales.get("/invoices/999999").await,
        ),
        (
            "POST /orders/sync",
            303,
            sales.post_csrf("/orders/sync", &[]).await,
        ),
    ];
    for (what, status, r) in &cases {
        assert_eq!(r.status, *status, "{what}: {}", r.body);
        let h = |k: &str| {
            r.headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let csp = h("content-security-policy");
        for directive in [
            "default-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(
                csp.contains(directive),
                "{what}: CSP `{csp}` lacks {directive}"
            );
        }
        // Scripts only from the portal itself: no inline script, no eval.
        assert!(
            !csp.contains("script-src") && !csp.contains("unsafe-eval"),
            "{what}: {csp}"
        );
        assert_eq!(h("x-frame-options"), "DENY", "{what}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(h("referrer-policy"), "same-origin", "{what}");
        assert_eq!(h("cache-control"), "no-store", "{what}");
    }
    // HTML pages say their charset; the sign-in form's cookie is as guarded as the session's.
    let ct = cases[0]
        .2
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(ct, "text/html; charset=utf-8");
    let login_cookie = cases[0]
        .2
        .set_cookies
        .iter()
        .find(|c| c.starts_with("portal_login="))
        .expect("the sign-in form's cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/login"] {
        assert!(login_cookie.contains(attr), "{login_cookie}");
    }
    s.task.abort();
}
