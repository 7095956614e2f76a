//! The payment dashboard and manual offline payments (sellers, B5).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::{core_error, csrf_field, error_page, guard, guard_post, layout, parse_amount, Access};
use crate::invoices::InvoiceFilter;
use crate::model::money;
use crate::payments::PaymentFilter;
use crate::perm::Permission as P;
use crate::Portal;

/// `GET /payments`.
pub async fn payments(
    State(p): State<Portal>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let s = match guard(&p, &headers, Access::Seller(P::PaymentsView)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = PaymentFilter {
        payment: q.get("payment").cloned(),
        customer: q.get("customer").cloned(),
        status: q.get("status").cloned(),
        company_id: None,
    };
    let (list, outbox) = match (p.payments(&f).await, p.outbox().await) {
        (Ok(l), Ok(o)) => (l, o),
        (Err(e), _) | (_, Err(e)) => return core_error(&e),
    };
    let v = |k: &str| q.get(k).cloned().unwrap_or_default();
    layout(Some(&s), "Payments", html! {
        form method="get" action="/payments" #filters {
            label { "Payment " input type="text" name="payment" value=(v("payment")); }
            " " label { "Customer " input type="text" name="customer" value=(v("customer")); }
            " " label { "Status " select name="status" { option value="" { "any" } option value="completed" selected[v("status") == "completed"] { "completed" } } }
            " " button type="submit" { "Filter" }
        }
        @if s.can(P::PaymentsManual) { p { a #new-payment href="/payments/new" { "Record an offline payment" } } }
        table #payments {
            tr { th { "Payment" } th { "Customer" } th { "Method" } th { "Reference" } th { "Memo" } th { "Amount" } th { "Status" } th { "Invoices" } }
            @for pm in &list {
                tr { td { (pm.number) } td { (pm.company_name) } td { (pm.method) } td { (pm.reference) } td { (pm.memo) }
                     td { (money(pm.amount, &pm.currency)) " " (pm.currency) } td { (pm.status) }
                     td { @for (_, n, a) in &pm.allocations { (n) ": " (money(*a, &pm.currency)) "; " } } }
            }
        }
        h2 { "Receipts to the ledger" }
        @if s.can(P::PaymentsManual) && p.ledger().is_some() {
            form method="post" action="/payments/post-receipts" { (csrf_field(&s)) button type="submit" id="post-receipts" { "Post receipts to the ledger now" } }
        }
        table #outbox {
            tr { th { "Payment" } th { "Invoice" } th { "Amount" } th { "State" } th { "Ledger receipt" } th { "Last error" } }
            @for (pn, inum, amount, state, at, err) in &outbox {
                tr { td { (pn) } td { (inum) } td { (amount) } td.state { (state) } td { (at.clone().unwrap_or_default()) } td { (err.clone().unwrap_or_default()) } }
            }
        }
    }).into_response()
}

/// `GET /payments/new?q=…&company=…`: find the customer, then its open invoices.
pub async fn new_payment(
    State(p): State<Portal>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let s = match guard(&p, &headers, Access::Seller(P::PaymentsManual)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let search = q.get("q").cloned().unwrap_or_default();
    let companies = if search.trim().is_empty() {
        Vec::new()
    } else {
        match p.companies(&search).await {
            Ok(c) => c,
            Err(e) => return core_error(&e),
        }
    };
    let company: Option<i64> = q.get("company").and_then(|c| c.parse().ok());
    let open = match company {
        Some(c) => match p
            .invoices(&InvoiceFilter {
                company_id: Some(c),
                ..Default::default()
            })
            .await
        {
            Ok(l) => l
                .into_iter()
                .filter(|i| i.balance() > rust_decimal::Decimal::ZERO)
                .collect(),
            Err(e) => return core_error(&e),
        },
        None => Vec::new(),
    };
    layout(Some(&s), "Offline payment", html! {
        form method="get" action="/payments/new" {
            label { "Customer name or external company id " input type="text" name="q" id="q" value=(search); }
            " " button type="submit" id="search" { "Search" }
        }
        @if !companies.is_empty() {
            ul #companies { @for c in &companies { li { a href={ "/payments/new?company=" (c.id) } { (c.name) " (" (c.external_id) ")" } } } }
        }
        @if let Some(c) = company {
            form method="post" action="/payments" #offline {
                (csrf_field(&s))
                input type="hidden" name="company" value=(c);
                table {
                    tr { th { "Invoice" } th { "Order" } th { "Balance" } th { "Amount to apply" } }
                    @for i in &open {
                        tr { td { (i.number) } td { (i.order_id.clone().unwrap_or_default()) } td { (money(i.balance(), &i.currency)) " " (i.currency) }
                             td { input type="text" name={ "amount_" (i.id) } id={ "amount_" (i.number) }; } }
                    }
                }
                p { label { "Check number or cash payment memo " input type="text" name="reference" id="reference" required; } }
                p { label { "Comment shown to the buyer " input type="text" name="memo" id="memo"; } }
                button type="submit" id="record" { "Record payment" }
            }
        }
    }).into_response()
}

/// `POST /payments`.
pub async fn record(State(p): State<Portal>, headers: HeaderMap, body: Bytes) -> Response {
    let (s, form) = match guard_post(&p, &headers, Access::Seller(P::PaymentsManual), &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(company) = form.get("company").and_then(|c| c.parse::<i64>().ok()) else {
        return error_page(StatusCode::UNPROCESSABLE_ENTITY, "Choose a customer first.");
    };
    let mut allocations = Vec::new();
    for (k, v) in &form.0 {
        if let Some(id) = k
            .strip_prefix("amount_")
            .and_then(|i| i.parse::<i64>().ok())
        {
            if v.trim().is_empty() {
                continue;
            }
            match parse_amount(v) {
                Some(a) => allocations.push((id, a)),
                None => {
                    return error_page(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &format!("`{v}` is not an amount."),
                    )
                }
            }
        }
    }
    let reference = form.get("reference").unwrap_or("");
    let memo = form.get("memo").unwrap_or("");
    let memo = if memo.trim().is_empty() {
        reference
    } else {
        memo
    };
    match p
        .record_offline_payment(&s.user.email, company, reference, memo, &allocations)
        .await
    {
        Ok(number) => Redirect::to(&format!("/payments?payment={number}")).into_response(),
        Err(e) => core_error(&e),
    }
}

/// `POST /payments/post-receipts`: run the outbox now (the engine runs it on its schedule).
pub async fn post_receipts(State(p): State<Portal>, headers: HeaderMap, body: Bytes) -> Response {
    let s = match guard_post(&p, &headers, Access::Seller(P::PaymentsManual), &body).await {
        Ok((s, _)) => s,
        Err(r) => return r,
    };
    match p.post_receipts().await {
        Ok(run) => {
            let _ = p
                .audit(
                    &s.user.email,
                    "receipts.post",
                    "ledger",
                    &format!("{run:?}"),
                )
                .await;
            Redirect::to("/payments").into_response()
        }
        Err(e) => core_error(&e),
    }
}
