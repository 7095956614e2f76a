//! The order dashboard and the invoice dashboard (sellers).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use rust_decimal::Decimal;

use super::{
    core_error, csrf_field, csv, csv_response, error_page, guard, guard_post, layout, parse_amount,
    Access, Form,
};
use crate::invoices::InvoiceFilter;
use crate::model::{money, Invoice, InvoiceLine, InvoiceStatus, LineKind};
use crate::perm::Permission as P;
use crate::users::Session;
use crate::Portal;

/// `GET /orders`.
pub async fn orders(State(p): State<Portal>, headers: HeaderMap) -> Response {
    let s = match guard(&p, &headers, Access::Seller(P::OrdersView)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let orders = match p.orders().await {
        Ok(o) => o,
        Err(e) => return core_error(&e),
    };
    layout(Some(&s), "Orders", html! {
        form method="post" action="/orders/sync" { (csrf_field(&s)) button type="submit" id="sync" { "Sync orders from the storefront" } }
        table #orders {
            tr { th { "Order" } th { "Company" } th { "Buyer" } th { "Status" } th { "Total" } th { "Invoiced" } th { "Remaining to invoice" } th { "Flag" } th {} }
            @for o in &orders {
                tr data-order=(o.id) {
                    td { (o.number) } td { (o.company_name) } td { (o.customer_name) } td { (o.status_label) }
                    td { (money(o.total, &o.currency)) " " (o.currency) } td { (money(o.invoiced, &o.currency)) } td.remaining { (money(o.remaining(), &o.currency)) }
                    td.flag { @if let Some(f) = o.flag() { (f) } }
                    td { a href={ "/orders/" (o.id) } { "Create invoice" } }
                }
            }
        }
    }).into_response()
}

/// `POST /orders/sync`.
pub async fn sync(State(p): State<Portal>, headers: HeaderMap, body: Bytes) -> Response {
    let s = match guard_post(&p, &headers, Access::Seller(P::OrdersView), &body).await {
        Ok((s, _)) => s,
        Err(r) => return r,
    };
    match p.sync_orders().await {
        Ok(n) => {
            let _ = p
                .audit(
                    &s.user.email,
                    "orders.sync",
                    "storefront",
                    &format!("{n} orders"),
                )
                .await;
            Redirect::to("/orders").into_response()
        }
        Err(e) => core_error(&e),
    }
}

/// `GET /orders/{id}`: the order's lines and the "create invoice" form.
pub async fn order(
    State(p): State<Portal>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let s = match guard(&p, &headers, Access::Seller(P::OrdersView)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (o, done) = match (p.order(&id).await, p.invoiced_quantities(&id).await) {
        (Ok(Some(o)), Ok(d)) => (o, d),
        (Ok(None), _) => {
            return error_page(
                StatusCode::NOT_FOUND,
                &format!("Order {id} is not in the portal."),
            )
        }
        (Err(e), _) | (_, Err(e)) => return core_error(&e),
    };
    let lines_total: Decimal = o
        .lines
        .iter()
        .map(|l| crate::model::round_money(l.quantity * l.unit_price, &o.currency))
        .sum();
    let first = o.invoiced.is_zero();
    let adjustment = crate::model::round_money(o.total, &o.currency) - lines_total;
    let can_create = s.can(P::InvoicesCreate);
    layout(Some(&s), &format!("Order {}", o.number), html! {
        p { (o.company_name) " — " (o.customer_name) " — " (o.status_label) " — total " (money(o.total, &o.currency)) " " (o.currency) }
        p #remaining { "Remaining to invoice: " strong { (money(o.remaining(), &o.currency)) } }
        @if let Some(f) = o.flag() { p.flag { "Flag: " (f) } }
        @if can_create {
            form method="post" action={ "/orders/" (o.id) "/invoices" } #create-invoice {
                (csrf_field(&s))
                table {
                    tr { th { "Line" } th { "SKU" } th { "Ordered" } th { "Invoiced" } th { "Quantity to invoice" } th { "Unit price" } }
                    @for (n, l) in o.lines.iter().enumerate() {
                        @let invoiced = done.get(&l.line_id).copied().unwrap_or_default();
                        tr {
                            td { (l.name) } td { (l.sku.clone().unwrap_or_default()) } td { (l.quantity) } td { (invoiced) }
                            td {
                                input type="hidden" name={ "oline_" (n) } value=(l.line_id);
                                input type="text" name={ "qty_" (n) } value=((l.quantity - invoiced).max(Decimal::ZERO));
                            }
                            td { (l.unit_price) }
                        }
                    }
                }
                p { label { "Cost line (shipping, handling, tax, discounts) " input type="text" name="cost" id="cost" value=(if first { adjustment } else { Decimal::ZERO }); } }
                button type="submit" id="create" { "Create invoice" }
            }
        }
    }).into_response()
}

/// `POST /orders/{id}/invoices`.
pub async fn create_invoice(
    State(p): State<Portal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (s, form) = match guard_post(&p, &headers, Access::Seller(P::InvoicesCreate), &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let o = match p.order(&id).await {
        Ok(Some(o)) => o,
        Ok(None) => {
            return error_page(
                StatusCode::NOT_FOUND,
                &format!("Order {id} is not in the portal."),
            )
        }
        Err(e) => return core_error(&e),
    };
    let mut lines = Vec::new();
    for (n, l) in o.lines.iter().enumerate() {
        let raw = form.get(&format!("qty_{n}")).unwrap_or("");
        let Some(qty) = parse_amount(raw).or(if raw.trim().is_empty() {
            Some(Decimal::ZERO)
        } else {
            None
        }) else {
            return error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Order {id}, line {}: `{raw}` is not a quantity.", l.name),
            );
        };
        if form.get(&format!("oline_{n}")) != Some(l.line_id.as_str()) {
            return error_page(
                StatusCode::CONFLICT,
                &format!("Order {id} changed while you were editing; reload it."),
            );
        }
        if qty.is_zero() {
            continue;
        }
        lines.push(InvoiceLine {
            kind: LineKind::Item,
            sku: l.sku.clone(),
            order_line: Some(l.line_id.clone()),
            description: l.name.clone(),
            quantity: qty,
            unit_price: l.unit_price,
        });
    }
    match form.get("cost").map(parse_amount) {
        Some(Some(c)) if !c.is_zero() => lines.push(InvoiceLine {
            kind: LineKind::Cost,
            sku: None,
            order_line: None,
            description: "Shipping, handling, tax and discounts".into(),
            quantity: Decimal::ONE,
            unit_price: c,
        }),
        Some(None) if !form.get("cost").unwrap_or("").trim().is_empty() => {
            return error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Order {id}: the cost line is not an amount."),
            );
        }
        _ => {}
    }
    match p
        .create_invoice_from_order(&s.user.email, &id, &lines)
        .await
    {
        Ok(inv) => Redirect::to(&format!("/invoices/{}", inv.id)).into_response(),
        Err(e) => core_error(&e),
    }
}

fn filter_of(q: &BTreeMap<String, String>) -> InvoiceFilter {
    InvoiceFilter {
        invoice: q.get("invoice").cloned(),
        customer: q.get("customer").cloned(),
        order: q.get("order").cloned(),
        status: q.get("status").cloned(),
        company_id: None,
    }
}

/// The filter form (GET, so the filtered view has a URL and its CSV a link).
pub fn filter_form(action: &str, q: &BTreeMap<String, String>, with_customer: bool) -> Markup {
    let v = |k: &str| q.get(k).cloned().unwrap_or_default();
    html! {
        form method="get" action=(action) #filters {
            label { "Invoice " input type="text" name="invoice" value=(v("invoice")); }
            @if with_customer { " " label { "Customer " input type="text" name="customer" value=(v("customer")); } }
            " " label { "Order " input type="text" name="order" value=(v("order")); }
            " " label { "Status " select name="status" {
                option value="" { "any" }
                @for st in ["open", "partially_paid", "completed"] { option value=(st) selected[v("status") == st] { (st) } }
            } }
            " " button type="submit" id="filter" { "Filter" }
        }
    }
}

/// The query string of the current filter (for the CSV link).
pub fn query_string(q: &BTreeMap<String, String>) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(q.iter())
        .finish()
}

/// CSV rows of invoices.
pub fn invoices_csv_rows(list: &[Invoice]) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "invoice", "source", "order", "customer", "status", "currency", "total", "paid", "balance",
        "created",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()];
    for i in list {
        rows.push(vec![
            i.number.clone(),
            i.source.clone(),
            i.order_id.clone().unwrap_or_default(),
            i.company_name.clone(),
            i.status.as_str().into(),
            i.currency.clone(),
            money(i.total, &i.currency),
            money(i.paid, &i.currency),
            money(i.balance(), &i.currency),
            i.created_at.clone(),
        ]);
    }
    rows
}

/// `GET /invoices`.
pub async fn invoices(
    State(p): State<Portal>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let s = match guard(&p, &headers, Access::Seller(P::InvoicesView)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let list = match p.invoices(&filter_of(&q)).await {
        Ok(l) => l,
        Err(e) => return core_error(&e),
    };
    layout(Some(&s), "Invoices", html! {
        (filter_form("/invoices", &q, true))
        p { a #csv href={ "/invoices.csv?" (query_string(&q)) } { "Export CSV" } }
        @if s.can(P::InvoicesCreate) && p.open_invoices().is_some() {
            form method="post" action="/invoices/import" { (csrf_field(&s)) button type="submit" id="import" { "Import open invoices from the ledger" } }
        }
        table #invoices {
            tr { th { "Invoice" } th { "Source" } th { "Order" } th { "Customer" } th { "Status" } th { "Total" } th { "Paid" } th { "Balance" } }
            @for i in &list {
                tr data-invoice=(i.number) {
                    td { a href={ "/invoices/" (i.id) } { (i.number) } } td { (i.source) } td { (i.order_id.clone().unwrap_or_default()) }
                    td { (i.company_name) } td.status { (i.status.as_str()) } td { (money(i.total, &i.currency)) " " (i.currency) } td { (money(i.paid, &i.currency)) } td { (money(i.balance(), &i.currency)) }
                }
            }
        }
    }).into_response()
}

/// `GET /invoices.csv`.
pub async fn invoices_csv(
    State(p): State<Portal>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let s = match guard(&p, &headers, Access::Seller(P::InvoicesView)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match p.invoices(&filter_of(&q)).await {
        Ok(l) => {
            let _ = p
                .audit(
                    &s.user.email,
                    "invoices.export",
                    "csv",
                    &format!("{} rows", l.len()),
                )
                .await;
            csv_response("invoices.csv", csv(&invoices_csv_rows(&l)))
        }
        Err(e) => core_error(&e),
    }
}

/// `POST /invoices/import`.
pub async fn import(State(p): State<Portal>, headers: HeaderMap, body: Bytes) -> Response {
    let s = match guard_post(&p, &headers, Access::Seller(P::InvoicesCreate), &body).await {
        Ok((s, _)) => s,
        Err(r) => return r,
    };
    match p.import_ledger_invoices(&s.user.email).await {
        Ok(_) => Redirect::to("/invoices").into_response(),
        Err(e) => core_error(&e),
    }
}

/// The lines table, editable when `edit`.
pub fn lines_view(s: &Session, inv: &Invoice, lines: &[InvoiceLine], edit: bool) -> Markup {
    html! {
        @if edit {
            form method="post" action={ "/invoices/" (inv.id) } #edit-invoice {
                (csrf_field(s))
                table #lines {
                    tr { th { "Kind" } th { "Description" } th { "Quantity" } th { "Unit price" } th { "Remove" } }
                    @for (n, l) in lines.iter().enumerate() { (line_row(n, Some(l))) }
                    @for n in lines.len()..lines.len() + 2 { (line_row(n, None)) }
                }
                button type="submit" id="save" { "Save invoice" }
            }
        } @else {
            table #lines {
                tr { th { "Kind" } th { "Description" } th { "Quantity" } th { "Unit price" } th { "Amount" } }
                @for l in lines { tr { td { (l.kind.as_str()) } td { (l.description) } td { (l.quantity) } td { (l.unit_price) } td { (money(l.amount(&inv.currency), &inv.currency)) } } }
            }
        }
    }
}

fn line_row(n: usize, l: Option<&InvoiceLine>) -> Markup {
    let kind = l.map(|l| l.kind).unwrap_or(LineKind::Cost);
    html! {
        tr {
            td {
                select name={ "kind_" (n) } {
                    option value="item" selected[kind == LineKind::Item] { "invoice line" }
                    option value="cost" selected[kind == LineKind::Cost] { "cost line" }
                }
                @if let Some(l) = l {
                    input type="hidden" name={ "sku_" (n) } value=(l.sku.clone().unwrap_or_default());
                    input type="hidden" name={ "oline_" (n) } value=(l.order_line.clone().unwrap_or_default());
                }
            }
            td { input type="text" name={ "desc_" (n) } value=(l.map(|l| l.description.clone()).unwrap_or_default()); }
            td { input type="text" name={ "qty_" (n) } value=(l.map(|l| l.quantity.to_string()).unwrap_or_default()); }
            td { input type="text" name={ "price_" (n) } value=(l.map(|l| l.unit_price.to_string()).unwrap_or_default()); }
            td { @if l.is_some() { input type="checkbox" name={ "remove_" (n) } value="1"; } }
        }
    }
}

/// Lines from an edit form; blank new rows are skipped.
pub fn lines_from_form(form: &Form) -> Result<Vec<InvoiceLine>, String> {
    let mut out = Vec::new();
    for n in 0..500 {
        let Some(desc) = form.get(&format!("desc_{n}")) else {
            break;
        };
        let qty = form.get(&format!("qty_{n}")).unwrap_or("");
        let price = form.get(&format!("price_{n}")).unwrap_or("");
        if form.get(&format!("remove_{n}")).is_some()
            || (desc.trim().is_empty() && qty.trim().is_empty() && price.trim().is_empty())
        {
            continue;
        }
        let kind = LineKind::parse(form.get(&format!("kind_{n}")).unwrap_or(""))
            .ok_or(format!("line {}: unknown kind", n + 1))?;
        let quantity =
            parse_amount(qty).ok_or(format!("line {}: `{qty}` is not a quantity", n + 1))?;
        let unit_price =
            parse_amount(price).ok_or(format!("line {}: `{price}` is not a price", n + 1))?;
        let opt = |k: String| form.get(&k).filter(|v| !v.is_empty()).map(str::to_string);
        out.push(InvoiceLine {
            kind,
            sku: opt(format!("sku_{n}")),
            order_line: opt(format!("oline_{n}")),
            description: desc.to_string(),
            quantity,
            unit_price,
        });
    }
    Ok(out)
}

/// `GET /invoices/{id}`.
pub async fn invoice(State(p): State<Portal>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let s = match guard(&p, &headers, Access::Seller(P::InvoicesView)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (inv, lines, history) = match (
        p.invoice(id).await,
        p.invoice_lines(id).await,
        p.invoice_payments(id).await,
    ) {
        (Ok(Some(i)), Ok(l), Ok(h)) => (i, l, h),
        (Ok(None), _, _) => {
            return error_page(
                StatusCode::NOT_FOUND,
                &format!("Invoice {id} does not exist."),
            )
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return core_error(&e),
    };
    let editable = s.can(P::InvoicesEdit) && inv.status != InvoiceStatus::Completed;
    let deletable = s.can(P::InvoicesDelete) && inv.status == InvoiceStatus::Open;
    layout(Some(&s), &format!("Invoice {}", inv.number), html! {
        p #summary { (inv.company_name) " — source " (inv.source) " — order " (inv.order_id.clone().unwrap_or_default())
          " — status " span #status { (inv.status.as_str()) } " — total " span #total { (money(inv.total, &inv.currency)) } " " (inv.currency) " — paid " (money(inv.paid, &inv.currency)) }
        (lines_view(&s, &inv, &lines, editable))
        @if deletable {
            form method="post" action={ "/invoices/" (inv.id) "/delete" } { (csrf_field(&s)) button type="submit" id="delete" { "Delete invoice" } }
        }
        h2 { "Payments" }
        table #history { tr { th { "Payment" } th { "Method" } th { "Reference" } th { "Memo" } th { "Amount" } th { "Date" } }
            @for h in &history { tr { @for c in h { td { (c) } } } } }
    }).into_response()
}

/// `POST /invoices/{id}`: save edited lines.
pub async fn edit_invoice(
    State(p): State<Portal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let (s, form) = match guard_post(&p, &headers, Access::Seller(P::InvoicesEdit), &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lines = match lines_from_form(&form) {
        Ok(l) => l,
        Err(e) => {
            return error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Invoice {id}: {e}"),
            )
        }
    };
    match p.update_invoice(&s.user.email, id, &lines).await {
        Ok(_) => Redirect::to(&format!("/invoices/{id}")).into_response(),
        Err(e) => core_error(&e),
    }
}

/// `POST /invoices/{id}/delete`.
pub async fn delete_invoice(
    State(p): State<Portal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let s = match guard_post(&p, &headers, Access::Seller(P::InvoicesDelete), &body).await {
        Ok((s, _)) => s,
        Err(r) => return r,
    };
    match p.delete_invoice(&s.user.email, id).await {
        Ok(()) => Redirect::to("/invoices").into_response(),
        Err(e) => core_error(&e),
    }
}
