//! Sales documents: invoices (`POST /V1/order/{id}/invoice`, `GET /V1/invoices`), shipments
//! with tracks (`POST /V1/order/{id}/ship`, `GET /V1/shipments`, `GET /V1/shipment/{id}`) and
//! offline credit memos (`POST /V1/order/{id}/refund`, `GET /V1/creditmemos`).
//!
//! Validation messages follow Magento's document validators
//! (`Magento\Sales\Model\Order\{Invoice,Shipment,Creditmemo}\...\Validation`): the
//! `ShipOrder`/`InvoiceOrder`/`RefundOrder` services prefix them with "Shipment Document
//! Validation Error(s):", "Invoice Document Validation Error(s):", "Creditmemo Document
//! Validation Error(s):" and answer 400.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::orders::{body_json, path_id};
use crate::state::{CreditMemo, Invoice, MemoItem, Order, Shipment, Store, Track};
use crate::{search, wire, App};

/// Filterable columns of `sales_shipment`.
pub const SHIPMENT_COLUMNS: &[&str] = &[
    "entity_id",
    "increment_id",
    "order_id",
    "created_at",
    "updated_at",
    "store_id",
    "total_qty",
    "customer_id",
];
/// Filterable columns of `sales_creditmemo`.
pub const MEMO_COLUMNS: &[&str] = &[
    "entity_id",
    "increment_id",
    "order_id",
    "created_at",
    "updated_at",
    "state",
    "grand_total",
    "store_id",
    "order_currency_code",
];
/// Filterable columns of `sales_invoice`.
pub const INVOICE_COLUMNS: &[&str] = &[
    "entity_id",
    "increment_id",
    "order_id",
    "created_at",
    "updated_at",
    "state",
    "grand_total",
    "store_id",
];

fn doc_error(kind: &str, message: &str) -> Response {
    wire::error(
        400,
        &format!("{kind} Document Validation Error(s):\n{message}"),
        &[],
    )
}

/// (order item id → qty) from a request's `items`; empty means "everything left".
fn requested(v: &Value) -> Result<Vec<(u64, Decimal)>, Response> {
    let mut out = Vec::new();
    for it in v
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = it.get("order_item_id").and_then(wire::id) else {
            return Err(wire::required("order_item_id"));
        };
        let Some(qty) = it.get("qty").and_then(wire::dec) else {
            return Err(wire::required("qty"));
        };
        out.push((id, qty));
    }
    Ok(out)
}

fn after_document(app: &App, o: &mut Order, now: chrono::DateTime<chrono::Utc>) {
    let state = if o.fully_invoiced() && o.fully_shipped() {
        "complete"
    } else {
        "processing"
    };
    if o.state != state {
        o.state = state.into();
        o.status = app.config.default_status(state);
    }
    o.updated_at = now;
}

/// Invoices `lines` (all that is left when empty) of an order; the control panel and the
/// generator use it too. Returns the invoice id.
pub fn invoice(
    app: &App,
    store: &mut Store,
    order_id: u64,
    lines: &[(u64, Decimal)],
) -> Result<u64, Response> {
    let now = store.now();
    let inv_id = store.next_id("invoice");
    let o = store
        .orders
        .get_mut(&order_id)
        .ok_or_else(wire::not_found)?;
    if matches!(
        o.state.as_str(),
        "canceled" | "holded" | "payment_review" | "complete" | "closed"
    ) || o.fully_invoiced()
    {
        return Err(doc_error(
            "Invoice",
            "The order does not allow an invoice to be created.",
        ));
    }
    let wanted: Vec<(u64, Decimal)> = if lines.is_empty() {
        o.items
            .iter()
            .map(|i| (i.item_id, i.qty_to_invoice()))
            .filter(|(_, q)| *q > Decimal::ZERO)
            .collect()
    } else {
        lines.to_vec()
    };
    let mut rows = Vec::new();
    for (id, qty) in &wanted {
        let Some(item) = o.items.iter().find(|i| i.item_id == *id) else {
            return Err(doc_error(
                "Invoice",
                "The invoice can't be created without products. Add products and try again.",
            ));
        };
        if *qty > item.qty_to_invoice() || *qty <= Decimal::ZERO {
            return Err(doc_error("Invoice", &format!("The quantity to invoice must not be greater than the uninvoiced quantity for product SKU \"{}\".", item.sku)));
        }
        let share = *qty / item.qty_ordered;
        rows.push((
            *id,
            *qty,
            wire::round(item.row_total() * share, 2),
            wire::round(item.tax_amount() * share, 2),
            wire::round(item.discount_amount * share, 2),
        ));
    }
    let first = store.invoices.values().all(|i| i.order_id != order_id);
    let o = store
        .orders
        .get_mut(&order_id)
        .ok_or_else(wire::not_found)?;
    let (ship, ship_tax) = if first {
        (o.shipping_amount, o.shipping_tax())
    } else {
        (Decimal::ZERO, Decimal::ZERO)
    };
    let mut grand: Decimal =
        rows.iter().map(|r| r.2 + r.3 - r.4).sum::<Decimal>() + ship + ship_tax;
    if first {
        grand -= o.gift_cards_amount() + o.customer_balance;
    }
    for (id, qty, ..) in &rows {
        if let Some(i) = o.items.iter_mut().find(|i| i.item_id == *id) {
            i.qty_invoiced += *qty;
        }
    }
    if o.fully_invoiced() {
        grand = o.grand_total() - o.total_paid;
    }
    o.total_paid += grand;
    after_document(app, o, now);
    let increment = crate::increment_id(o.store_id, inv_id);
    store.invoices.insert(
        inv_id,
        Invoice {
            entity_id: inv_id,
            increment_id: increment,
            order_id,
            created_at: now,
            items: rows,
            shipping_amount: ship,
            shipping_tax: ship_tax,
            grand_total: grand,
        },
    );
    Ok(inv_id)
}

/// Ships `lines` (all that is left when empty) with `tracks`. Returns the shipment id.
pub fn ship(
    app: &App,
    store: &mut Store,
    order_id: u64,
    lines: &[(u64, Decimal)],
    tracks: Vec<(String, String, String)>,
    comment: Option<String>,
) -> Result<u64, Response> {
    let now = store.now();
    let ship_id = store.next_id("shipment");
    let o = store
        .orders
        .get_mut(&order_id)
        .ok_or_else(wire::not_found)?;
    if matches!(
        o.state.as_str(),
        "canceled" | "holded" | "payment_review" | "complete" | "closed"
    ) || o.fully_shipped()
        || o.shipping.is_none()
    {
        return Err(doc_error(
            "Shipment",
            "The order does not allow a shipment to be created.",
        ));
    }
    let wanted: Vec<(u64, Decimal)> = if lines.is_empty() {
        o.items
            .iter()
            .map(|i| (i.item_id, i.qty_to_ship()))
            .filter(|(_, q)| *q > Decimal::ZERO)
            .collect()
    } else {
        lines.to_vec()
    };
    let mut rows = Vec::new();
    for (id, qty) in &wanted {
        let Some(item) = o.items.iter().find(|i| i.item_id == *id) else {
            return Err(doc_error(
                "Shipment",
                "You can't create a shipment without products.",
            ));
        };
        if *qty > item.qty_to_ship() || *qty <= Decimal::ZERO {
            return Err(doc_error("Shipment", &format!("The quantity to ship must not be greater than the unshipped quantity for product SKU \"{}\".", item.sku)));
        }
        rows.push((*id, item.sku.clone(), item.name.clone(), *qty));
    }
    for (id, _, _, qty) in &rows {
        if let Some(i) = o.items.iter_mut().find(|i| i.item_id == *id) {
            i.qty_shipped += *qty;
        }
    }
    after_document(app, o, now);
    let increment = crate::increment_id(o.store_id, ship_id);
    let mut t = Vec::new();
    for (number, title, carrier) in tracks {
        let tid = store.next_id("track");
        t.push(Track {
            entity_id: tid,
            track_number: number,
            title,
            carrier_code: carrier,
            created_at: now,
        });
    }
    store.shipments.insert(
        ship_id,
        Shipment {
            entity_id: ship_id,
            increment_id: increment,
            order_id,
            created_at: now,
            items: rows,
            tracks: t,
            comments: comment.into_iter().collect(),
        },
    );
    Ok(ship_id)
}

/// Refunds offline. `shipping` `None` refunds the shipping not yet refunded.
pub fn refund(
    app: &App,
    store: &mut Store,
    order_id: u64,
    lines: &[(u64, Decimal)],
    shipping: Option<Decimal>,
    adjust: (Decimal, Decimal),
    back_to_stock: &[u64],
    comment: Option<String>,
) -> Result<u64, Response> {
    let now = store.now();
    let memo_id = store.next_id("creditmemo");
    let shipped_refunded: Decimal = store
        .creditmemos
        .values()
        .filter(|m| m.order_id == order_id)
        .map(|m| m.shipping_amount)
        .sum();
    let store_memos: Vec<CreditMemo> = store
        .creditmemos
        .values()
        .filter(|m| m.order_id == order_id)
        .cloned()
        .collect();
    let o = store
        .orders
        .get_mut(&order_id)
        .ok_or_else(wire::not_found)?;
    let refundable = o.total_paid - o.total_offline_refunded;
    if matches!(
        o.state.as_str(),
        "canceled" | "closed" | "holded" | "payment_review"
    ) || refundable <= Decimal::ZERO
    {
        return Err(doc_error(
            "Creditmemo",
            "The order does not allow a creditmemo to be created.",
        ));
    }
    let wanted: Vec<(u64, Decimal)> = if lines.is_empty() {
        o.items
            .iter()
            .map(|i| (i.item_id, i.qty_to_refund()))
            .filter(|(_, q)| *q > Decimal::ZERO)
            .collect()
    } else {
        lines.to_vec()
    };
    let mut items = Vec::new();
    for (id, qty) in &wanted {
        let Some(item) = o.items.iter().find(|i| i.item_id == *id) else {
            return Err(doc_error(
                "Creditmemo",
                "The creditmemo contains product item that is not part of the original order.",
            ));
        };
        if *qty > item.qty_to_refund() || *qty <= Decimal::ZERO {
            return Err(doc_error("Creditmemo", &format!("The quantity to creditmemo must not be greater than the unrefunded quantity for product SKU \"{}\".", item.sku)));
        }
        let share = *qty / item.qty_ordered;
        items.push(MemoItem {
            order_item_id: *id,
            sku: item.sku.clone(),
            name: item.name.clone(),
            qty: *qty,
            price: item.price,
            row_total: wire::round(item.row_total() * share, 2),
            tax_amount: wire::round(item.tax_amount() * share, 2),
            discount_amount: wire::round(item.discount_amount * share, 2),
            back_to_stock: back_to_stock.contains(id),
        });
    }
    let ship_left = o.shipping_amount - shipped_refunded;
    let ship = shipping.unwrap_or(ship_left);
    if ship > ship_left || ship < Decimal::ZERO {
        return Err(doc_error(
            "Creditmemo",
            &format!("Maximum shipping amount allowed to refund is: {ship_left}"),
        ));
    }
    let ship_tax = if o.shipping_amount.is_zero() {
        Decimal::ZERO
    } else {
        wire::round(o.shipping_tax() * ship / o.shipping_amount, 2)
    };
    let memo = CreditMemo {
        entity_id: memo_id,
        increment_id: crate::increment_id(o.store_id, memo_id),
        order_id,
        created_at: now,
        items,
        shipping_amount: ship,
        shipping_tax: ship_tax,
        adjustment_positive: adjust.0,
        adjustment_negative: adjust.1,
        comment,
        tenders_refunded: Decimal::ZERO,
    };
    // The last memo gives the gift cards and store credit back to their accounts (Adobe
    // Commerce's giftcardaccount / customerbalance credit-memo totals), outside grand_total.
    let mut memo = memo;
    let everything = o.items.iter().all(|i| {
        memo.items
            .iter()
            .find(|m| m.order_item_id == i.item_id)
            .map(|m| m.qty)
            .unwrap_or_default()
            >= i.qty_to_refund()
    });
    if everything && ship == ship_left {
        let given_back: Decimal = store_tenders_refunded(o, &store_memos);
        memo.tenders_refunded = o.gift_cards_amount() + o.customer_balance - given_back;
    }
    let total = memo.grand_total();
    if total > refundable {
        return Err(doc_error(
            "Creditmemo",
            &format!("The most money available to refund is {refundable}."),
        ));
    }
    if total <= Decimal::ZERO {
        return Err(doc_error(
            "Creditmemo",
            "The credit memo's total must be positive.",
        ));
    }
    for it in &memo.items {
        if let Some(i) = o.items.iter_mut().find(|i| i.item_id == it.order_item_id) {
            i.qty_refunded += it.qty;
        }
    }
    o.total_offline_refunded += total;
    if o.total_offline_refunded >= o.total_paid
        && o.items.iter().all(|i| i.qty_to_refund() <= Decimal::ZERO)
    {
        o.state = "closed".into();
        o.status = app.config.default_status("closed");
    }
    o.updated_at = now;
    for it in memo.items.iter().filter(|i| i.back_to_stock) {
        let e = store
            .source_items
            .entry((it.sku.clone(), "default".into()))
            .or_insert((Decimal::ZERO, 1));
        e.0 += it.qty;
    }
    store.creditmemos.insert(memo_id, memo);
    Ok(memo_id)
}

fn store_tenders_refunded(_o: &Order, memos: &[CreditMemo]) -> Decimal {
    memos.iter().map(|m| m.tenders_refunded).sum()
}

// The three document endpoints answer the new id as a JSON *string* ("12"), although the
// schema says integer (observed by PyMagento, `Magento.ship_order`: "The documentation says
// this key is an int, but in JSON it's a string").

/// `POST /V1/order/{orderId}/invoice`.
pub async fn post_invoice(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::sales_invoice")?;
    let id = path_id(&p, "orderId")?;
    let v = if body.is_empty() {
        json!({})
    } else {
        body_json(&body)?
    };
    let lines = requested(&v)?;
    let mut store = app.shared.lock();
    let inv = invoice(&app, &mut store, id, &lines)?;
    Ok(wire::ok(json!(inv.to_string())))
}

/// `POST /V1/order/{orderId}/ship`.
pub async fn post_ship(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::ship")?;
    let id = path_id(&p, "orderId")?;
    let v = if body.is_empty() {
        json!({})
    } else {
        body_json(&body)?
    };
    let lines = requested(&v)?;
    let mut tracks = Vec::new();
    for t in v
        .get("tracks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mut parts = Vec::new();
        for f in ["track_number", "title", "carrier_code"] {
            match t
                .get(f)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
            {
                Some(s) => parts.push(s.to_string()),
                None => return Err(wire::required(f)),
            }
        }
        tracks.push((parts[0].clone(), parts[1].clone(), parts[2].clone()));
    }
    let comment = v["comment"]
        .get("comment")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut store = app.shared.lock();
    let sid = ship(&app, &mut store, id, &lines, tracks, comment)?;
    Ok(wire::ok(json!(sid.to_string())))
}

/// `POST /V1/order/{orderId}/refund` (offline).
pub async fn post_refund(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::sales_creditmemo")?;
    let id = path_id(&p, "orderId")?;
    let v = if body.is_empty() {
        json!({})
    } else {
        body_json(&body)?
    };
    let lines = requested(&v)?;
    let args = &v["arguments"];
    let shipping = args.get("shipping_amount").and_then(wire::dec);
    let adjust = (
        args.get("adjustment_positive")
            .and_then(wire::dec)
            .unwrap_or_default(),
        args.get("adjustment_negative")
            .and_then(wire::dec)
            .unwrap_or_default(),
    );
    let back: Vec<u64> = args["extension_attributes"]["return_to_stock_items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(wire::id)
        .collect();
    let comment = v["comment"]
        .get("comment")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut store = app.shared.lock();
    let mid = refund(
        &app, &mut store, id, &lines, shipping, adjust, &back, comment,
    )?;
    Ok(wire::ok(json!(mid.to_string())))
}

/// A shipment as `sales-data-shipment-interface`.
pub fn shipment_json(s: &Shipment, store: &Store) -> Value {
    let o = store.orders.get(&s.order_id);
    json!({
        "entity_id": s.entity_id, "increment_id": s.increment_id, "order_id": s.order_id,
        "store_id": o.map(|o| o.store_id).unwrap_or(1), "customer_id": o.and_then(|o| o.customer_id),
        "created_at": wire::date(s.created_at), "updated_at": wire::date(s.created_at),
        "total_qty": wire::num(s.items.iter().map(|i| i.3).sum()), "email_sent": null,
        "billing_address_id": s.order_id * 2 - 1, "shipping_address_id": s.order_id * 2,
        "packages": [],
        "items": s.items.iter().enumerate().map(|(n, (id, sku, name, qty))| json!({
            "entity_id": s.entity_id * 100 + n as u64, "parent_id": s.entity_id, "order_item_id": id,
            "sku": sku, "name": name, "qty": wire::num(*qty), "weight": 1,
            "price": o.and_then(|o| o.items.iter().find(|i| i.item_id == *id)).map(|i| wire::num(i.price)),
            "product_id": o.and_then(|o| o.items.iter().find(|i| i.item_id == *id)).map(|i| i.product_id),
        })).collect::<Vec<_>>(),
        "tracks": s.tracks.iter().map(|t| json!({
            "entity_id": t.entity_id, "parent_id": s.entity_id, "order_id": s.order_id,
            "track_number": t.track_number, "title": t.title, "carrier_code": t.carrier_code,
            "created_at": wire::date(t.created_at), "updated_at": wire::date(t.created_at),
            "weight": null, "qty": null, "description": null,
        })).collect::<Vec<_>>(),
        "comments": s.comments.iter().map(|c| json!({"comment": c, "parent_id": s.entity_id, "is_customer_notified": 0, "is_visible_on_front": 0})).collect::<Vec<_>>(),
    })
}

/// A credit memo as `sales-data-creditmemo-interface`.
pub fn memo_json(m: &CreditMemo, store: &Store) -> Value {
    let o = store.orders.get(&m.order_id);
    let rate = o.map(|o| o.base_to_order_rate).unwrap_or(Decimal::ONE);
    let b = |d: Decimal| {
        wire::num(if rate.is_zero() {
            d
        } else {
            wire::round(d / rate, 2)
        })
    };
    let n = wire::num;
    json!({
        "entity_id": m.entity_id, "increment_id": m.increment_id, "order_id": m.order_id,
        "store_id": o.map(|o| o.store_id).unwrap_or(1), "state": 2, "creditmemo_status": null,
        "created_at": wire::date(m.created_at), "updated_at": wire::date(m.created_at),
        "order_currency_code": o.map(|o| o.order_currency.clone()), "base_currency_code": o.map(|o| o.base_currency.clone()),
        "base_to_order_rate": o.map(|o| n(o.base_to_order_rate)),
        "subtotal": n(m.subtotal()), "base_subtotal": b(m.subtotal()),
        "discount_amount": n(-m.discount()), "base_discount_amount": b(-m.discount()),
        "tax_amount": n(m.tax_amount()), "base_tax_amount": b(m.tax_amount()),
        "shipping_amount": n(m.shipping_amount), "base_shipping_amount": b(m.shipping_amount),
        "shipping_tax_amount": n(m.shipping_tax), "shipping_incl_tax": n(m.shipping_amount + m.shipping_tax),
        "adjustment_positive": n(m.adjustment_positive), "adjustment_negative": n(m.adjustment_negative),
        "adjustment": n(m.adjustment_positive - m.adjustment_negative),
        "grand_total": n(m.grand_total()), "base_grand_total": b(m.grand_total()),
        "extension_attributes": { "gift_cards_amount": n(m.tenders_refunded), "customer_balance_amount": 0 },
        "items": m.items.iter().enumerate().map(|(k, i)| json!({
            "entity_id": m.entity_id * 100 + k as u64, "parent_id": m.entity_id, "order_item_id": i.order_item_id,
            "sku": i.sku, "name": i.name, "qty": n(i.qty), "price": n(i.price), "base_price": b(i.price), "base_cost": 0,
            "row_total": n(i.row_total), "base_row_total": b(i.row_total), "tax_amount": n(i.tax_amount),
            "discount_amount": n(i.discount_amount), "row_total_incl_tax": n(i.row_total + i.tax_amount),
            "extension_attributes": { "return_to_stock": i.back_to_stock },
        })).collect::<Vec<_>>(),
        "comments": m.comment.iter().map(|c| json!({"comment": c, "parent_id": m.entity_id, "is_customer_notified": 0, "is_visible_on_front": 0})).collect::<Vec<_>>(),
    })
}

/// An invoice as `sales-data-invoice-interface`.
pub fn invoice_json(i: &Invoice, store: &Store) -> Value {
    let o = store.orders.get(&i.order_id);
    let n = wire::num;
    json!({
        "entity_id": i.entity_id, "increment_id": i.increment_id, "order_id": i.order_id, "state": 2,
        "store_id": o.map(|o| o.store_id).unwrap_or(1),
        "created_at": wire::date(i.created_at), "updated_at": wire::date(i.created_at),
        "order_currency_code": o.map(|o| o.order_currency.clone()), "base_currency_code": o.map(|o| o.base_currency.clone()),
        "subtotal": n(i.items.iter().map(|r| r.2).sum()), "tax_amount": n(i.items.iter().map(|r| r.3).sum::<Decimal>() + i.shipping_tax),
        "discount_amount": n(-i.items.iter().map(|r| r.4).sum::<Decimal>()),
        "shipping_amount": n(i.shipping_amount), "shipping_tax_amount": n(i.shipping_tax),
        "grand_total": n(i.grand_total), "total_qty": n(i.items.iter().map(|r| r.1).sum()),
        "items": i.items.iter().map(|r| json!({"order_item_id": r.0, "qty": n(r.1), "row_total": n(r.2), "tax_amount": n(r.3), "discount_amount": n(r.4)})).collect::<Vec<_>>(),
        "comments": [],
    })
}

/// `GET /V1/shipments`.
pub async fn list_shipments(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::shipment")?;
    let sc = search::parse(q.as_deref().unwrap_or(""), app.config.max_page_size)?;
    let store = app.shared.lock();
    let all = store
        .shipments
        .values()
        .map(|s| shipment_json(s, &store))
        .collect();
    Ok(wire::ok(search::apply(&sc, all, SHIPMENT_COLUMNS)?))
}

/// `GET /V1/shipment/{id}`.
pub async fn get_shipment(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::shipment")?;
    let id = path_id(&p, "id")?;
    let store = app.shared.lock();
    let s = store.shipments.get(&id).ok_or_else(wire::not_found)?;
    Ok(wire::ok(shipment_json(s, &store)))
}

/// `GET /V1/creditmemos`.
pub async fn list_memos(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::sales_creditmemo")?;
    let sc = search::parse(q.as_deref().unwrap_or(""), app.config.max_page_size)?;
    let store = app.shared.lock();
    let all = store
        .creditmemos
        .values()
        .map(|m| memo_json(m, &store))
        .collect();
    Ok(wire::ok(search::apply(&sc, all, MEMO_COLUMNS)?))
}

/// `GET /V1/invoices`.
pub async fn list_invoices(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::sales_invoice")?;
    let sc = search::parse(q.as_deref().unwrap_or(""), app.config.max_page_size)?;
    let store = app.shared.lock();
    let all = store
        .invoices
        .values()
        .map(|i| invoice_json(i, &store))
        .collect();
    Ok(wire::ok(search::apply(&sc, all, INVOICE_COLUMNS)?))
}
