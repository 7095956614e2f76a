//! Orders: `GET /V1/orders`, `GET /V1/orders/{id}`, `PUT /V1/orders/create`, comments and the
//! status history, `cancel`, `hold`, `unhold`, rendered as the admin schema's
//! `sales-data-order-interface`.
//!
//! The state machine (Magento\Sales\Model\Order::canCancel / canHold / canUnhold, and the
//! document validators in `Magento\Sales\Model\Order\*\Validation`): `new` → `processing`
//! (first invoice or shipment) → `complete` (everything invoiced and shipped) or `closed`
//! (everything refunded); `canceled` from `new`/`processing` while something is uninvoiced;
//! `holded` from `new`/`processing` and back to the state it had. A comment may carry a status
//! only when that status is assigned to the order's current state (2.4.7+, magento/magento2
//! #38723 and commit fd879d4; unknown statuses refused, #32968).

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::state::{Address, AppliedTax, History, Item, Order, Store};
use crate::{search, wire, App};

/// The columns of `sales_order` a searchCriteria may filter and sort on.
pub const COLUMNS: &[&str] = &[
    "entity_id",
    "increment_id",
    "state",
    "status",
    "store_id",
    "created_at",
    "updated_at",
    "customer_id",
    "customer_email",
    "customer_firstname",
    "customer_lastname",
    "customer_group_id",
    "customer_is_guest",
    "base_currency_code",
    "order_currency_code",
    "grand_total",
    "base_grand_total",
    "subtotal",
    "tax_amount",
    "shipping_amount",
    "discount_amount",
    "total_paid",
    "total_refunded",
    "coupon_code",
    "ext_order_id",
    "shipping_method",
    "total_qty_ordered",
    "quote_id",
    "remote_ip",
];

fn address_json(a: &Address, kind: &str, id: u64, parent: u64) -> Value {
    json!({
        "address_type": kind, "entity_id": id, "parent_id": parent,
        "firstname": a.firstname, "lastname": a.lastname, "company": a.company,
        "street": a.street, "city": a.city, "region": a.region, "region_code": a.region_code,
        "postcode": a.postcode, "country_id": a.country_id, "telephone": a.telephone, "email": a.email,
    })
}

fn tax_json(t: &AppliedTax, o: &Order) -> Value {
    json!({ "code": t.code, "title": t.title, "percent": wire::num(t.percent),
            "amount": wire::num(t.amount), "base_amount": wire::num(o.base(t.amount)) })
}

/// One item as `sales-data-order-item-interface`.
pub fn item_json(i: &Item, o: &Order) -> Value {
    let row = i.row_total();
    let tax = i.tax_amount();
    let n = wire::num;
    json!({
        "item_id": i.item_id, "order_id": o.entity_id, "quote_item_id": i.item_id + 9000,
        "sku": i.sku, "name": i.name, "product_id": i.product_id, "product_type": "simple",
        "store_id": o.store_id, "is_virtual": 0, "is_qty_decimal": 0, "no_discount": 0,
        "created_at": wire::date(o.created_at), "updated_at": wire::date(o.updated_at),
        "qty_ordered": n(i.qty_ordered), "qty_invoiced": n(i.qty_invoiced),
        "qty_shipped": n(i.qty_shipped), "qty_refunded": n(i.qty_refunded),
        "qty_canceled": n(i.qty_canceled), "qty_backordered": null,
        "price": n(i.price), "base_price": n(o.base(i.price)),
        "original_price": n(i.price), "base_original_price": n(o.base(i.price)),
        "price_incl_tax": n(wire::round(i.price + tax / i.qty_ordered.max(Decimal::ONE), 2)),
        "row_total": n(row), "base_row_total": n(o.base(row)),
        "row_total_incl_tax": n(row + tax), "base_row_total_incl_tax": n(o.base(row + tax)),
        "tax_amount": n(tax), "base_tax_amount": n(o.base(tax)), "tax_percent": n(i.tax_percent()),
        "tax_invoiced": n(if i.qty_invoiced.is_zero() { Decimal::ZERO } else { tax }),
        "discount_amount": n(i.discount_amount), "base_discount_amount": n(o.base(i.discount_amount)),
        "discount_percent": 0, "discount_tax_compensation_amount": 0,
        "amount_refunded": 0, "applied_rule_ids": i.applied_rule_ids,
        "weight": 1, "row_weight": n(i.qty_ordered), "free_shipping": 0,
    })
}

/// An order as `sales-data-order-interface` (what `GET /V1/orders/{id}` and every item of
/// `GET /V1/orders` answer). Null fields are left out, as Magento's REST renderer does.
pub fn order_json(o: &Order, store_name: &str) -> Value {
    if let Some(raw) = &o.raw_override {
        return raw.clone();
    }
    let n = wire::num;
    let b = |d: Decimal| n(o.base(d));
    let subtotal = o.subtotal();
    let tax = o.tax_amount();
    let ship_tax = o.shipping_tax();
    let grand = o.grand_total();
    let items: Vec<Value> = o.items.iter().map(|i| item_json(i, o)).collect();
    // applied_taxes: one row per rate code over items and shipping.
    let mut by_code: BTreeMap<String, AppliedTax> = BTreeMap::new();
    for t in o
        .items
        .iter()
        .flat_map(|i| i.taxes.iter())
        .chain(o.shipping_taxes.iter())
    {
        by_code
            .entry(t.code.clone())
            .and_modify(|x| x.amount += t.amount)
            .or_insert_with(|| t.clone());
    }
    let mut item_taxes: Vec<Value> = o
        .items
        .iter()
        .filter(|i| !i.taxes.is_empty())
        .map(|i| json!({ "type": "product", "item_id": i.item_id, "applied_taxes": i.taxes.iter().map(|t| tax_json(t, o)).collect::<Vec<_>>() }))
        .collect();
    if !o.shipping_taxes.is_empty() {
        item_taxes.push(json!({ "type": "shipping", "applied_taxes": o.shipping_taxes.iter().map(|t| tax_json(t, o)).collect::<Vec<_>>() }));
    }
    let invoiced = o.items.iter().any(|i| !i.qty_invoiced.is_zero());
    let mut ext = json!({
        "applied_taxes": by_code.values().map(|t| tax_json(t, o)).collect::<Vec<_>>(),
        "item_applied_taxes": item_taxes,
        "converting_from_quote": false,
        "payment_additional_info": [{ "key": "method_title", "value": o.payment_method }],
        "gift_cards": o.gift_cards.iter().map(|g| json!({"id": g.id, "code": g.code, "amount": n(g.amount), "base_amount": b(g.amount)})).collect::<Vec<_>>(),
        "gift_cards_amount": n(o.gift_cards_amount()),
        "base_gift_cards_amount": b(o.gift_cards_amount()),
        "customer_balance_amount": n(o.customer_balance),
        "base_customer_balance_amount": b(o.customer_balance),
    });
    if let Some(ship) = &o.shipping {
        ext["shipping_assignments"] = json!([{
            "shipping": {
                "address": address_json(ship, "shipping", o.entity_id * 2, o.entity_id),
                "method": o.shipping_method,
                "total": {
                    "shipping_amount": n(o.shipping_amount), "base_shipping_amount": b(o.shipping_amount),
                    "shipping_tax_amount": n(ship_tax), "base_shipping_tax_amount": b(ship_tax),
                    "shipping_incl_tax": n(o.shipping_amount + ship_tax), "base_shipping_incl_tax": b(o.shipping_amount + ship_tax),
                    "shipping_discount_amount": 0, "base_shipping_discount_amount": 0,
                },
            },
            "items": items.clone(),
        }]);
    }
    if let Some((id, name)) = &o.company {
        ext["company_order_attributes"] =
            json!({ "order_id": o.entity_id, "company_id": id, "company_name": name });
    }
    if !o.discount().is_zero() {
        ext["coupon_codes"] = json!(o.coupon_code.iter().collect::<Vec<_>>());
    }
    let mut v = json!({
        "entity_id": o.entity_id, "increment_id": o.increment_id,
        "state": o.state, "status": o.status,
        "store_id": o.store_id, "store_name": store_name,
        "created_at": wire::date(o.created_at), "updated_at": wire::date(o.updated_at),
        "customer_email": o.customer_email, "customer_firstname": o.customer_firstname,
        "customer_lastname": o.customer_lastname, "customer_group_id": o.customer_group_id,
        "customer_is_guest": if o.customer_id.is_some() { 0 } else { 1 },
        "customer_note_notify": 1,
        "base_currency_code": o.base_currency, "global_currency_code": o.base_currency,
        "store_currency_code": o.base_currency, "order_currency_code": o.order_currency,
        "base_to_global_rate": 1, "base_to_order_rate": n(o.base_to_order_rate),
        "store_to_base_rate": 0, "store_to_order_rate": 0,
        "subtotal": n(subtotal), "base_subtotal": b(subtotal),
        "subtotal_incl_tax": n(subtotal + tax - ship_tax), "base_subtotal_incl_tax": b(subtotal + tax - ship_tax),
        "discount_amount": n(-o.discount()), "base_discount_amount": b(-o.discount()),
        "shipping_amount": n(o.shipping_amount), "base_shipping_amount": b(o.shipping_amount),
        "shipping_tax_amount": n(ship_tax), "base_shipping_tax_amount": b(ship_tax),
        "shipping_incl_tax": n(o.shipping_amount + ship_tax), "base_shipping_incl_tax": b(o.shipping_amount + ship_tax),
        "shipping_discount_amount": 0, "base_shipping_discount_amount": 0,
        "shipping_description": o.shipping_description,
        "tax_amount": n(tax), "base_tax_amount": b(tax),
        "discount_tax_compensation_amount": 0, "base_discount_tax_compensation_amount": 0,
        "grand_total": n(grand), "base_grand_total": b(grand),
        "total_paid": n(o.total_paid), "base_total_paid": b(o.total_paid),
        "total_due": n(grand - o.total_paid), "base_total_due": b(grand - o.total_paid),
        "total_refunded": n(o.total_offline_refunded), "base_total_refunded": b(o.total_offline_refunded),
        "total_offline_refunded": n(o.total_offline_refunded), "base_total_offline_refunded": b(o.total_offline_refunded),
        "total_invoiced": n(if invoiced { o.total_paid } else { Decimal::ZERO }),
        "total_qty_ordered": n(o.items.iter().map(|i| i.qty_ordered).sum()),
        "total_item_count": o.items.len(),
        "is_virtual": if o.shipping.is_some() { 0 } else { 1 },
        "email_sent": 1, "quote_id": o.entity_id + 5000, "weight": n(o.items.iter().map(|i| i.qty_ordered).sum()),
        "billing_address_id": o.entity_id * 2 - 1,
        "items": items,
        "billing_address": address_json(&o.billing, "billing", o.entity_id * 2 - 1, o.entity_id),
        "payment": {
            "entity_id": o.entity_id, "parent_id": o.entity_id, "method": o.payment_method,
            "amount_ordered": n(grand), "base_amount_ordered": b(grand),
            "amount_paid": n(o.total_paid), "base_amount_paid": b(o.total_paid),
            "shipping_amount": n(o.shipping_amount), "base_shipping_amount": b(o.shipping_amount),
            "account_status": null, "additional_information": [o.payment_method.clone()], "cc_last4": null,
        },
        "status_histories": o.histories.iter().rev().map(|h| history_json(h, o.entity_id)).collect::<Vec<_>>(),
        "extension_attributes": ext,
    });
    let obj = v.as_object_mut();
    if let Some(m) = obj {
        if let Some(id) = o.customer_id {
            m.insert("customer_id".into(), json!(id));
        }
        if let Some(c) = &o.coupon_code {
            m.insert("coupon_code".into(), json!(c));
        }
        if let Some(d) = &o.discount_description {
            m.insert("discount_description".into(), json!(d));
        }
        if let Some(x) = &o.ext_order_id {
            m.insert("ext_order_id".into(), json!(x));
        }
        if let Some(t) = &o.last_trans_id {
            m["payment"]["last_trans_id"] = json!(t);
        }
        if o.shipping.is_some() {
            m.insert("shipping_method".into(), json!(o.shipping_method));
        }
        if let (Some(s), Some(t)) = (&o.hold_before_state, &o.hold_before_status) {
            m.insert("hold_before_state".into(), json!(s));
            m.insert("hold_before_status".into(), json!(t));
        }
        m.retain(|_, v| !v.is_null());
    }
    v
}

/// One status-history comment.
pub fn history_json(h: &History, order_id: u64) -> Value {
    json!({
        "entity_id": h.entity_id, "parent_id": order_id, "comment": h.comment, "status": h.status,
        "created_at": wire::date(h.created_at), "entity_name": h.entity_name,
        "is_customer_notified": u8::from(h.is_customer_notified), "is_visible_on_front": u8::from(h.is_visible_on_front),
    })
}

/// Reads `{id}`-style path parameters.
pub fn path_id(p: &BTreeMap<String, String>, name: &str) -> Result<u64, Response> {
    p.get(name)
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(wire::not_found)
}

fn render(app: &App, o: &Order) -> Value {
    order_json(o, &app.config.store_name(o.store_id))
}

/// `GET /V1/orders`.
pub async fn list(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::actions_view")?;
    let sc = search::parse(q.as_deref().unwrap_or(""), app.config.max_page_size)?;
    let store = app.shared.lock();
    let all: Vec<Value> = store.orders.values().map(|o| render(&app, o)).collect();
    Ok(wire::ok(search::apply(&sc, all, COLUMNS)?))
}

/// `GET /V1/orders/{id}`.
pub async fn get(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::actions_view")?;
    let id = path_id(&p, "id")?;
    let store = app.shared.lock();
    let o = store.orders.get(&id).ok_or_else(wire::not_found)?;
    Ok(wire::ok(render(&app, o)))
}

/// `GET /V1/orders/{id}/comments`.
pub async fn comments(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::actions_view")?;
    let id = path_id(&p, "id")?;
    let store = app.shared.lock();
    let o = store.orders.get(&id).ok_or_else(wire::not_found)?;
    let items: Vec<Value> = o.histories.iter().map(|h| history_json(h, id)).collect();
    Ok(wire::ok(
        json!({ "items": items, "search_criteria": { "filter_groups": [] }, "total_count": items.len() }),
    ))
}

/// Parses a JSON request body; Magento's answer to one that is not JSON.
pub fn body_json(body: &[u8]) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|_| {
        wire::error(
            400,
            "Decoding error: the request body is not valid JSON.",
            &[],
        )
    })
}

/// `POST /V1/orders/{id}/comments`: adds a comment, changing the status only to one of the
/// current state's statuses.
pub async fn add_comment(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::comment")?;
    let id = path_id(&p, "id")?;
    let v = body_json(&body)?;
    let Some(h) = v.get("statusHistory").filter(|h| h.is_object()) else {
        return Err(wire::required("statusHistory"));
    };
    let comment = h
        .get("comment")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let status = h.get("status").and_then(Value::as_str).map(str::to_string);
    let mut store = app.shared.lock();
    let now = store.now();
    let hid = store.next_id("history");
    let o = store.orders.get_mut(&id).ok_or_else(wire::not_found)?;
    let new_status = match status.filter(|s| !s.is_empty()) {
        None => o.status.clone(),
        Some(s) if s == o.status => s,
        Some(s) => {
            let Some(state) = app.config.state_of(&s) else {
                return Err(wire::error(
                    400,
                    "The order status \"%1\" does not exist.",
                    &[&s],
                ));
            };
            if state != o.state {
                return Err(wire::error(
                    400,
                    "The status \"%1\" is not assigned to the order's state \"%2\". Change the state with an invoice, shipment, credit memo, hold or cancel.",
                    &[&s, &o.state],
                ));
            }
            s
        }
    };
    o.status = new_status.clone();
    o.histories.push(History {
        entity_id: hid,
        comment,
        status: new_status,
        created_at: now,
        is_customer_notified: h
            .get("is_customer_notified")
            .and_then(wire::id)
            .unwrap_or(0)
            == 1,
        is_visible_on_front: h.get("is_visible_on_front").and_then(wire::id).unwrap_or(0) == 1,
        entity_name: "order".into(),
    });
    o.updated_at = now;
    Ok(wire::ok(json!(true)))
}

/// Whether Magento's `canCancel` holds.
pub fn can_cancel(o: &Order) -> bool {
    !matches!(
        o.state.as_str(),
        "canceled" | "complete" | "closed" | "holded" | "payment_review"
    ) && !o.fully_invoiced()
}

/// Sets a state with its default status (and a history line, as Magento's state changes do).
pub fn set_state(app: &App, store: &mut Store, id: u64, state: &str) {
    let now = store.now();
    let hid = store.next_id("history");
    if let Some(o) = store.orders.get_mut(&id) {
        o.state = state.to_string();
        o.status = app.config.default_status(state);
        o.updated_at = now;
        let _ = hid;
    }
}

/// `POST /V1/orders/{id}/cancel`: `true`, or `false` (200) when the order cannot be canceled —
/// Magento's `OrderService::cancel` answers a boolean, not an error.
pub async fn cancel(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::cancel")?;
    let id = path_id(&p, "id")?;
    let mut store = app.shared.lock();
    let o = store.orders.get_mut(&id).ok_or_else(wire::not_found)?;
    if !can_cancel(o) {
        return Ok(wire::ok(json!(false)));
    }
    for i in &mut o.items {
        i.qty_canceled = i.qty_ordered - i.qty_invoiced;
    }
    set_state(&app, &mut store, id, "canceled");
    Ok(wire::ok(json!(true)))
}

/// `POST /V1/orders/{id}/hold`.
pub async fn hold(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::hold")?;
    let id = path_id(&p, "id")?;
    let mut store = app.shared.lock();
    let o = store.orders.get_mut(&id).ok_or_else(wire::not_found)?;
    if !matches!(o.state.as_str(), "new" | "processing") {
        return Err(wire::error(400, "A hold action is not available.", &[]));
    }
    o.hold_before_state = Some(o.state.clone());
    o.hold_before_status = Some(o.status.clone());
    set_state(&app, &mut store, id, "holded");
    Ok(wire::ok(json!(true)))
}

/// `POST /V1/orders/{id}/unhold`.
pub async fn unhold(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::unhold")?;
    let id = path_id(&p, "id")?;
    let mut store = app.shared.lock();
    let now = store.now();
    let o = store.orders.get_mut(&id).ok_or_else(wire::not_found)?;
    if o.state != "holded" {
        return Err(wire::error(400, "You cannot remove the hold.", &[]));
    }
    o.state = o.hold_before_state.take().unwrap_or_else(|| "new".into());
    o.status = o
        .hold_before_status
        .take()
        .unwrap_or_else(|| "pending".into());
    o.updated_at = now;
    Ok(wire::ok(json!(true)))
}

fn text(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn address_from(v: &Value) -> Address {
    Address {
        firstname: text(v, "firstname"),
        lastname: text(v, "lastname"),
        company: text(v, "company"),
        street: v
            .get("street")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        city: text(v, "city"),
        region: text(v, "region"),
        region_code: text(v, "region_code"),
        postcode: text(v, "postcode"),
        country_id: text(v, "country_id"),
        telephone: text(v, "telephone"),
        email: text(v, "email"),
    }
}

/// `PUT /V1/orders/create`: persists an order as sent (the repository's `save`). Required by
/// the schema: `entity.base_grand_total`, `customer_email`, `grand_total`, `items[].sku`; the
/// sandbox also refuses a `grand_total` that does not add up and a status it does not know.
pub async fn create(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Sales::create")?;
    let v = body_json(&body)?;
    let Some(e) = v.get("entity").filter(|e| e.is_object()) else {
        return Err(wire::required("entity"));
    };
    for f in ["base_grand_total", "customer_email", "grand_total", "items"] {
        if e.get(f).is_none_or(Value::is_null) {
            return Err(wire::required(f));
        }
    }
    let Some(billing) = e.get("billing_address").filter(|b| b.is_object()) else {
        return Err(wire::required("billing_address"));
    };
    for f in [
        "city",
        "country_id",
        "firstname",
        "lastname",
        "postcode",
        "telephone",
    ] {
        if billing
            .get(f)
            .and_then(Value::as_str)
            .is_none_or(|s| s.trim().is_empty())
        {
            return Err(wire::required(f));
        }
    }
    let status = e
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("pending")
        .to_string();
    let Some(state) = app.config.state_of(&status) else {
        return Err(wire::error(
            400,
            "The order status \"%1\" does not exist.",
            &[&status],
        ));
    };
    let store_id = e.get("store_id").and_then(wire::id).unwrap_or(1) as u32;
    let Some(view) = app
        .config
        .store_views
        .iter()
        .find(|s| s.id == store_id)
        .cloned()
    else {
        return Err(wire::error(
            400,
            "The store that was requested wasn't found. Verify the store and try again.",
            &[],
        ));
    };
    let currency = e
        .get("order_currency_code")
        .and_then(Value::as_str)
        .unwrap_or(&view.currency)
        .to_string();
    let mut store = app.shared.lock();
    let mut items = Vec::new();
    for it in e["items"].as_array().into_iter().flatten() {
        let Some(sku) = it.get("sku").and_then(Value::as_str) else {
            return Err(wire::required("sku"));
        };
        let qty = it
            .get("qty_ordered")
            .and_then(wire::dec)
            .unwrap_or(Decimal::ONE);
        let price = it.get("price").and_then(wire::dec).unwrap_or_default();
        let product_id = store.products.get(sku).map(|p| p.id).unwrap_or(0);
        let item_id = store.next_id("item");
        items.push(Item {
            item_id,
            sku: sku.to_string(),
            name: it
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(sku)
                .to_string(),
            product_id,
            qty_ordered: qty,
            qty_invoiced: Decimal::ZERO,
            qty_shipped: Decimal::ZERO,
            qty_refunded: Decimal::ZERO,
            qty_canceled: Decimal::ZERO,
            price,
            discount_amount: Decimal::ZERO,
            applied_rule_ids: String::new(),
            taxes: Vec::new(),
        });
    }
    if items.is_empty() {
        return Err(wire::required("items"));
    }
    let shipping_node = &e["extension_attributes"]["shipping_assignments"][0]["shipping"];
    let shipping = shipping_node
        .get("address")
        .filter(|a| a.is_object())
        .map(address_from);
    let now = store.now();
    let id = store.next_id("order");
    let mut o = Order {
        entity_id: id,
        increment_id: crate::increment_id(store_id, id),
        store_id,
        state: state.clone(),
        status,
        hold_before_state: None,
        hold_before_status: None,
        created_at: now,
        updated_at: now,
        customer_id: e.get("customer_id").and_then(wire::id).filter(|c| *c > 0),
        customer_email: text(e, "customer_email"),
        customer_firstname: text(e, "customer_firstname"),
        customer_lastname: text(e, "customer_lastname"),
        customer_group_id: e.get("customer_group_id").and_then(wire::id).unwrap_or(0) as u32,
        company: None,
        base_currency: app.config.base_currency.clone(),
        order_currency: currency.clone(),
        base_to_order_rate: e
            .get("base_to_order_rate")
            .and_then(wire::dec)
            .unwrap_or(view.rate),
        items,
        billing: address_from(billing),
        shipping,
        shipping_method: shipping_node
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("flatrate_flatrate")
            .to_string(),
        shipping_description: text(e, "shipping_description"),
        shipping_amount: e
            .get("shipping_amount")
            .and_then(wire::dec)
            .unwrap_or_default(),
        shipping_taxes: Vec::new(),
        discount_description: None,
        coupon_code: None,
        gift_cards: Vec::new(),
        customer_balance: Decimal::ZERO,
        payment_method: e["payment"]
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("checkmo")
            .to_string(),
        last_trans_id: None,
        total_paid: Decimal::ZERO,
        total_offline_refunded: Decimal::ZERO,
        ext_order_id: e
            .get("ext_order_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        histories: Vec::new(),
        raw_override: None,
    };
    let stated = e.get("grand_total").and_then(wire::dec).unwrap_or_default();
    if stated != o.grand_total() {
        return Err(wire::error(
            400,
            "The order's grand_total %1 does not match its items, shipping and tax (%2).",
            &[&stated.to_string(), &o.grand_total().to_string()],
        ));
    }
    if let Some(c) = e
        .get("status_histories")
        .and_then(|h| h.get(0))
        .and_then(|h| h.get("comment"))
        .and_then(Value::as_str)
    {
        let hid = store.next_id("history");
        o.histories.push(History {
            entity_id: hid,
            comment: c.to_string(),
            status: o.status.clone(),
            created_at: now,
            is_customer_notified: false,
            is_visible_on_front: false,
            entity_name: "order".into(),
        });
    }
    let out = order_json(&o, &view.name);
    store.orders.insert(id, o);
    Ok(wire::ok(out))
}
