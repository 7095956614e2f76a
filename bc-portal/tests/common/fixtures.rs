//! Demo fixtures shared by the HTTP and browser tests: logins, buyer companies, invoices made
//! and paid on the server (as another clerk would, meanwhile).

use bc_portal::demo::Demo;
use bc_portal::model::{round_money, Invoice, InvoiceLine, LineKind};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;

/// (e-mail, password) of the `nth` demo login of `role`.
pub fn login(d: &Demo, role: &str, nth: usize) -> (String, String) {
    let l = d
        .logins
        .iter()
        .filter(|l| l.role == role)
        .nth(nth)
        .expect("demo login");
    (l.email.clone(), l.password.expose_secret().to_string())
}

/// The `nth` buyer company (id, name).
pub fn company(d: &Demo, nth: usize) -> (i64, String) {
    d.logins
        .iter()
        .filter_map(|l| l.company.clone())
        .nth(nth)
        .expect("buyer company")
}

/// A new open invoice from an uninvoiced order of `company` (one where this fits): one unit of
/// its first line and a 10.00 cost line.
pub async fn new_invoice(d: &Demo, company: i64) -> Invoice {
    let p = &d.portal;
    let cost = Decimal::new(1000, 2);
    let order = p
        .orders()
        .await
        .unwrap()
        .into_iter()
        .find(|o| {
            o.company_id == company
                && o.invoiced.is_zero()
                && !o.lines.is_empty()
                && round_money(o.lines[0].unit_price, &o.currency) + cost <= o.remaining()
                && o.lines[0].unit_price > Decimal::ONE
        })
        .expect("an uninvoiced order of the company");
    let l = &order.lines[0];
    let lines = [
        InvoiceLine {
            kind: LineKind::Item,
            sku: l.sku.clone(),
            order_line: Some(l.line_id.clone()),
            description: l.name.clone(),
            quantity: Decimal::ONE,
            unit_price: l.unit_price,
        },
        InvoiceLine {
            kind: LineKind::Cost,
            sku: None,
            order_line: None,
            description: "Freight".into(),
            quantity: Decimal::ONE,
            unit_price: cost,
        },
    ];
    p.create_invoice_from_order("fixture", &order.id, &lines)
        .await
        .unwrap()
}

/// An invoice that must exist.
pub async fn invoice(d: &Demo, id: i64) -> Invoice {
    d.portal.invoice(id).await.unwrap().expect("invoice exists")
}

/// A cheque recorded on the server (another clerk, meanwhile).
pub async fn pay_offline(d: &Demo, company: i64, invoice: i64, amount: Decimal) {
    d.portal
        .record_offline_payment(
            "another-clerk",
            company,
            "CHK-9",
            "Cheque 9",
            &[(invoice, amount)],
        )
        .await
        .unwrap();
}

/// A new open invoice of 40.00 (one cost line) from an uninvoiced order of `company` worth
/// more than 50: (order id, invoice id).
pub async fn fixture_invoice(d: &Demo, company: i64) -> (String, i64) {
    let p = &d.portal;
    let order = p
        .orders()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.company_id == company && o.invoiced.is_zero() && o.total > Decimal::from(50))
        .expect("an uninvoiced order of the company");
    let line = InvoiceLine {
        kind: LineKind::Cost,
        sku: None,
        order_line: None,
        description: "Part payment".into(),
        quantity: Decimal::ONE,
        unit_price: Decimal::from(40),
    };
    let inv = p
        .create_invoice_from_order("test", &order.id, &[line])
        .await
        .unwrap();
    (order.id, inv.id)
}

/// An amount shown on a page.
pub fn dec(s: &str) -> Decimal {
    s.trim()
        .parse()
        .unwrap_or_else(|_| panic!("`{s}` is no amount"))
}
