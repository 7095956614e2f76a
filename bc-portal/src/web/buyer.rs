//! Buyers' pages (B6): their company's invoices only (another company's id is a 404), CSV,
//! details with payment history, and paying several invoices at once.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use secrecy::SecretString;

use super::seller::{filter_form, invoices_csv_rows, lines_view, query_string};
use super::{
    core_error, csrf_field, csv, csv_response, error_page, guard, guard_post, layout, parse_amount,
    Access,
};
use crate::gateway::CardDetails;
use crate::invoices::InvoiceFilter;
use crate::model::money;
use crate::users::random_token;
use crate::Portal;

fn filter_of(q: &BTreeMap<String, String>, company: i64) -> InvoiceFilter {
    InvoiceFilter {
        invoice: q.get("invoice").cloned(),
        customer: None,
        order: q.get("order").cloned(),
        status: q.get("status").cloned(),
        company_id: Some(company),
    }
}

/// `GET /buyer/invoices`: the list, filters, and the payment form.
pub async fn invoices(
    State(p): State<Portal>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let s = match guard(&p, &headers, Access::Buyer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let company = s.company().unwrap_or_default();
    let list = match p.invoices(&filter_of(&q, company)).await {
        Ok(l) => l,
        Err(e) => return core_error(&e),
    };
    let notice = p
        .setting("buyer_notice")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let key = random_token();
    layout(Some(&s), "My invoices", html! {
        @if !notice.is_empty() { p #notice { (notice) } }
        (filter_form("/buyer/invoices", &q, false))
        p { a #csv href={ "/buyer/invoices.csv?" (query_string(&q)) } { "Export CSV" } }
        form method="post" action="/buyer/checkout" #pay {
            (csrf_field(&s))
            input type="hidden" name="key" value=(key);
            table #invoices {
                tr { th { "Pay" } th { "Invoice" } th { "Order" } th { "Status" } th { "Total" } th { "Paid" } th { "Balance" } th { "Amount" } th {} }
                @for i in &list {
                    tr data-invoice=(i.number) {
                        td { @if i.balance() > rust_decimal::Decimal::ZERO { input type="checkbox" name="pay" value=(i.id) id={ "pay_" (i.number) }; } }
                        td { (i.number) } td { (i.order_id.clone().unwrap_or_default()) } td.status { (i.status.as_str()) }
                        td { (money(i.total, &i.currency)) " " (i.currency) } td { (money(i.paid, &i.currency)) } td.balance { (money(i.balance(), &i.currency)) }
                        td { @if i.balance() > rust_decimal::Decimal::ZERO { input type="text" name={ "amount_" (i.id) } id={ "amount_" (i.number) } value=(money(i.balance(), &i.currency)); } }
                        td { a href={ "/buyer/invoices/" (i.id) } { "Details" } }
                    }
                }
            }
            fieldset {
                legend { "Card" }
                label { "Number " input type="text" name="card_number" id="card_number" autocomplete="cc-number"; } " "
                label { "Name " input type="text" name="card_name" id="card_name" autocomplete="cc-name"; } " "
                label { "Month " input type="text" name="card_month" id="card_month"; } " "
                label { "Year " input type="text" name="card_year" id="card_year"; } " "
                label { "CVV " input type="text" name="card_cvv" id="card_cvv" autocomplete="cc-csc"; }
            }
            button type="submit" id="pay-button" { "Pay with BigCommerce" }
        }
    }).into_response()
}

/// `GET /buyer/invoices.csv`.
pub async fn invoices_csv(
    State(p): State<Portal>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let s = match guard(&p, &headers, Access::Buyer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match p
        .invoices(&filter_of(&q, s.company().unwrap_or_default()))
        .await
    {
        Ok(l) => csv_response("invoices.csv", csv(&invoices_csv_rows(&l))),
        Err(e) => core_error(&e),
    }
}

/// `GET /buyer/invoices/{id}`.
pub async fn invoice(State(p): State<Portal>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let s = match guard(&p, &headers, Access::Buyer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let inv = match p.invoice(id).await {
        Ok(Some(i)) if Some(i.company_id) == s.company() => i,
        Ok(_) => return error_page(StatusCode::NOT_FOUND, "Invoice not found."),
        Err(e) => return core_error(&e),
    };
    let (lines, history) = match (p.invoice_lines(id).await, p.invoice_payments(id).await) {
        (Ok(l), Ok(h)) => (l, h),
        (Err(e), _) | (_, Err(e)) => return core_error(&e),
    };
    layout(Some(&s), &format!("Invoice {}", inv.number), html! {
        p #summary { "Order " (inv.order_id.clone().unwrap_or_default()) " — status " span #status { (inv.status.as_str()) }
          " — total " (money(inv.total, &inv.currency)) " " (inv.currency) " — paid " (money(inv.paid, &inv.currency)) " — balance " span #balance { (money(inv.balance(), &inv.currency)) } }
        (lines_view(&s, &inv, &lines, false))
        h2 { "Payment history" }
        table #history { tr { th { "Payment" } th { "Method" } th { "Reference" } th { "Memo" } th { "Amount" } th { "Date" } }
            @for h in &history { tr { @for c in h { td { (c) } } } } }
    }).into_response()
}

/// `POST /buyer/checkout`: start (or find, on a double submit) the checkout, then pay.
pub async fn checkout(State(p): State<Portal>, headers: HeaderMap, body: Bytes) -> Response {
    let (s, form) = match guard_post(&p, &headers, Access::Buyer, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let company = s.company().unwrap_or_default();
    let mut allocations = Vec::new();
    for id in form.all("pay") {
        let Ok(id) = id.parse::<i64>() else {
            return error_page(StatusCode::NOT_FOUND, "Invoice not found.");
        };
        let raw = form.get(&format!("amount_{id}")).unwrap_or("");
        match parse_amount(raw) {
            Some(a) => allocations.push((id, a)),
            None => {
                return error_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("`{raw}` is not an amount."),
                )
            }
        }
    }
    let key = form.get("key").unwrap_or("");
    let id = match p
        .start_checkout(key, company, s.user.id, &allocations)
        .await
    {
        Ok(id) => id,
        Err(e) => return core_error(&e),
    };
    let num = |k: &str| {
        form.get(k)
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(0)
    };
    let card = CardDetails {
        number: SecretString::from(form.get("card_number").unwrap_or("").replace(' ', "")),
        holder: form.get("card_name").unwrap_or("").to_string(),
        expiry_month: num("card_month"),
        expiry_year: num("card_year"),
        cvv: SecretString::from(form.get("card_cvv").unwrap_or("").to_string()),
    };
    match p.pay_checkout(id, &s.user.email, &card).await {
        Ok(_) => Redirect::to(&format!("/buyer/checkouts/{id}")).into_response(),
        Err(e) => core_error(&e),
    }
}

/// `GET /buyer/checkouts/{id}`.
pub async fn checkout_page(
    State(p): State<Portal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let s = match guard(&p, &headers, Access::Buyer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let co = match p.checkout(id).await {
        Ok(Some(c)) if Some(c.company_id) == s.company() => c,
        Ok(_) => return error_page(StatusCode::NOT_FOUND, "Payment not found."),
        Err(e) => return core_error(&e),
    };
    layout(Some(&s), "Payment", html! {
        @match co.state.as_str() {
            "applied" => p.ok #result { "Payment of " (co.amount) " received. Thank you." },
            "failed" => p.error #result { "The payment failed: " (co.error.clone().unwrap_or_default()) },
            _ => p #result { "The payment is being confirmed (" (co.state) ")." },
        }
        @if co.state == "order_created" || co.state == "paid" {
            form method="post" action={ "/buyer/checkouts/" (co.id) "/complete" } { (csrf_field(&s)) button type="submit" id="check" { "Check again" } }
        }
        p { a href="/buyer/invoices" { "Back to my invoices" } }
    }).into_response()
}

/// `POST /buyer/checkouts/{id}/complete`: the (retriable) callback.
pub async fn complete(
    State(p): State<Portal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let s = match guard_post(&p, &headers, Access::Buyer, &body).await {
        Ok((s, _)) => s,
        Err(r) => return r,
    };
    match p.checkout(id).await {
        Ok(Some(c)) if Some(c.company_id) == s.company() => {}
        Ok(_) => return error_page(StatusCode::NOT_FOUND, "Payment not found."),
        Err(e) => return core_error(&e),
    }
    match p.complete_checkout(id).await {
        Ok(_) => Redirect::to(&format!("/buyer/checkouts/{id}")).into_response(),
        Err(e) => core_error(&e),
    }
}
