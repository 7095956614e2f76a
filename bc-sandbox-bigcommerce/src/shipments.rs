//! v2 shipments: list, count, one, and create (which ships the items: quantities shipped,
//! `items_shipped`, status Shipped/Partially Shipped, `date_shipped` once everything shipped).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::orders::address_json;
use crate::state::*;
use crate::wire::{self, money, rfc2822, Page, Params};
use crate::App;

fn provider_name(p: &str) -> &str {
    match p {
        "usps" => "USPS",
        "ups" | "upsready" | "upsonline" => "UPS",
        "fedex" => "FedEx",
        "canadapost" => "Canada Post",
        "auspost" => "Australia Post",
        "royalmail" => "Royal Mail",
        "endicia" => "Endicia",
        "shipperhq" => "ShipperHQ",
        _ => "",
    }
}

/// A shipment on the wire.
pub fn shipment_json(store: &Store, s: &Shipment) -> Value {
    let order = store.orders.get(&s.order_id);
    let billing = order
        .map(|o| address_json(&o.billing_address))
        .unwrap_or_default();
    let shipping = order
        .and_then(|o| {
            o.shipping_addresses
                .iter()
                .find(|a| a.id == s.order_address_id)
        })
        .map(|a| address_json(&a.address))
        .unwrap_or_default();
    let generated = match s.shipping_provider.as_str() {
        "usps" if !s.tracking_number.is_empty() => format!(
            "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
            s.tracking_number
        ),
        "" if s.tracking_number.is_empty() || !s.tracking_link.is_empty() => String::new(),
        _ if !s.tracking_link.is_empty() => String::new(),
        _ => format!("https://track.aftership.com/{}", s.tracking_number),
    };
    json!({
        "id": s.id, "order_id": s.order_id, "customer_id": s.customer_id, "order_address_id": s.order_address_id,
        "date_created": rfc2822(s.date_created), "tracking_number": s.tracking_number,
        "merchant_shipping_cost": money(s.merchant_shipping_cost), "shipping_method": s.shipping_method,
        "comments": s.comments, "shipping_provider": s.shipping_provider, "tracking_carrier": s.tracking_carrier,
        "tracking_link": s.tracking_link, "billing_address": billing, "shipping_address": shipping,
        "items": s.items.iter().map(|(op, p, q)| json!({ "order_product_id": op, "product_id": p, "quantity": q })).collect::<Vec<_>>(),
        "shipping_provider_display_name": provider_name(&s.shipping_provider),
        "generated_tracking_link": generated,
    })
}

/// `GET /v2/orders/{id}/shipments` (204 when none).
pub async fn list(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Response {
    let store = app.shared.lock();
    let Some(id) = id
        .parse::<u64>()
        .ok()
        .filter(|id| store.orders.contains_key(id))
    else {
        return wire::v2_not_found();
    };
    let all: Vec<&Shipment> = store
        .shipments
        .values()
        .filter(|s| s.order_id == id)
        .collect();
    let page = Page::from(&params, 250);
    let slice = page.slice(&all);
    if slice.is_empty() {
        return wire::no_content();
    }
    Json(
        slice
            .iter()
            .map(|s| shipment_json(&store, s))
            .collect::<Vec<_>>(),
    )
    .into_response()
}

/// `GET /v2/orders/{id}/shipments/count`.
pub async fn count(State(app): State<App>, Path((_h, id)): Path<(String, String)>) -> Response {
    let store = app.shared.lock();
    let Some(id) = id
        .parse::<u64>()
        .ok()
        .filter(|id| store.orders.contains_key(id))
    else {
        return wire::v2_not_found();
    };
    Json(json!({ "count": store.shipments.values().filter(|s| s.order_id == id).count() }))
        .into_response()
}

/// `GET /v2/orders/{id}/shipments/{shipment_id}`.
pub async fn one(
    State(app): State<App>,
    Path((_h, id, sid)): Path<(String, String, String)>,
) -> Response {
    let store = app.shared.lock();
    let s = sid
        .parse::<u64>()
        .ok()
        .and_then(|sid| store.shipments.get(&sid))
        .filter(|s| Some(s.order_id) == id.parse().ok());
    match s {
        Some(s) => Json(shipment_json(&store, s)).into_response(),
        None => wire::v2_not_found(),
    }
}

/// Ship items of an order; returns the shipment id and events. `Err` is a 400 message.
pub fn create_shipment(
    store: &mut Store,
    order_id: u64,
    body: &Value,
) -> Result<(u64, Vec<Event>), String> {
    let order = store
        .orders
        .get(&order_id)
        .ok_or("The requested resource was not found.")?;
    let addr = body
        .get("order_address_id")
        .and_then(Value::as_u64)
        .ok_or("The field 'order_address_id' is required.")?;
    if !order.shipping_addresses.iter().any(|a| a.id == addr) {
        return Err(format!(
            "The field 'order_address_id' is invalid: address {addr} is not on order {order_id}."
        ));
    }
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .filter(|i| !i.is_empty())
        .ok_or("The field 'items' is required.")?;
    let mut planned: Vec<(u64, u64, u32)> = Vec::new();
    for (n, it) in items.iter().enumerate() {
        let op = it
            .get("order_product_id")
            .and_then(Value::as_u64)
            .ok_or(format!(
                "The field 'items.{n}.order_product_id' is required."
            ))?;
        let q = it
            .get("quantity")
            .and_then(Value::as_u64)
            .filter(|q| *q >= 1)
            .ok_or(format!("The field 'items.{n}.quantity' is invalid."))? as u32;
        let p = order.products.iter().find(|p| p.id == op).ok_or(format!(
            "Order product {op} does not exist on order {order_id}."
        ))?;
        if p.order_address_id != addr {
            return Err(format!(
                "Order product {op} does not ship to address {addr}."
            ));
        }
        let already: u32 = planned.iter().filter(|x| x.0 == op).map(|x| x.2).sum();
        if p.quantity_shipped + already + q > p.quantity {
            return Err(format!("The quantity of order product {op} to ship ({q}) is more than the quantity left to ship ({}).", p.quantity - p.quantity_shipped - already));
        }
        planned.push((op, p.product_id, q));
    }
    let customer_id = order.customer_id;
    let before = order.status_id;
    let str_field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let sid = store.next_id("shipment");
    let now = store.now();
    let shipment = Shipment {
        id: sid,
        order_id,
        customer_id,
        order_address_id: addr,
        date_created: now,
        tracking_number: str_field("tracking_number"),
        shipping_method: str_field("shipping_method"),
        shipping_provider: str_field("shipping_provider"),
        tracking_carrier: str_field("tracking_carrier"),
        tracking_link: str_field("tracking_link"),
        comments: str_field("comments"),
        merchant_shipping_cost: body
            .get("merchant_shipping_cost")
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_number().map(|n| n.to_string()))
            })
            .and_then(|s| s.parse::<Decimal>().ok())
            .unwrap_or(Decimal::ZERO),
        items: planned.clone(),
    };
    store.shipments.insert(sid, shipment);
    let mut after = before;
    if let Some(o) = store.orders.get_mut(&order_id) {
        for (op, _, q) in &planned {
            if let Some(p) = o.products.iter_mut().find(|p| p.id == *op) {
                p.quantity_shipped += q;
            }
        }
        if o.items_shipped() >= o.items_total() {
            o.status_id = 2;
            o.date_shipped = Some(now);
        } else {
            o.status_id = 3;
        }
        after = o.status_id;
    }
    store.touch(order_id);
    let mut events = vec![
        Event {
            scope: "store/shipment/created".into(),
            data: json!({ "type": "shipment", "id": sid, "orderId": order_id }),
        },
        Event {
            scope: "store/order/updated".into(),
            data: json!({ "type": "order", "id": order_id }),
        },
    ];
    if after != before {
        events.push(Event { scope: "store/order/statusUpdated".into(), data: json!({ "type": "order", "id": order_id, "status": { "previous_status_id": before, "new_status_id": after } }) });
    }
    Ok((sid, events))
}

/// `POST /v2/orders/{id}/shipments`: 201 with the shipment.
pub async fn create(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return wire::v2_error(400, "The request body is not valid JSON.");
    };
    let (resp, events) = {
        let mut store = app.shared.lock();
        let Some(id) = id
            .parse::<u64>()
            .ok()
            .filter(|id| store.orders.contains_key(id))
        else {
            return wire::v2_not_found();
        };
        match create_shipment(&mut store, id, &body) {
            Err(e) => return wire::v2_error(400, &e),
            Ok((sid, events)) => match store.shipments.get(&sid) {
                Some(s) => (
                    (StatusCode::CREATED, Json(shipment_json(&store, s))).into_response(),
                    events,
                ),
                None => return wire::v2_not_found(),
            },
        }
    };
    crate::hooks::dispatch(&app, events);
    resp
}
