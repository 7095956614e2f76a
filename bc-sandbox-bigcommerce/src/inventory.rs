//! Catalog variants (`GET /v3/catalog/variants`, `sku:in`, `id:in`, `product_id:in`) and
//! inventory: `PUT /v3/inventory/adjustments/absolute` (at most 2,000 items, by `sku`,
//! `variant_id` or `product_id` with a `location_id`; answers a `transaction_id`) and
//! `GET /v3/inventory/items`.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::state::*;
use crate::wire::{self, num, Page, Params};
use crate::App;

/// The largest adjustment payload BigCommerce accepts.
pub const MAX_ADJUSTMENT_ITEMS: usize = 2000;

/// A variant on the wire.
pub fn variant_json(store: &Store, v: &Variant) -> Value {
    json!({
        "id": v.id, "product_id": v.product_id, "sku": v.sku, "sku_id": null,
        "price": num(v.price), "calculated_price": num(v.price), "sale_price": null, "retail_price": null, "map_price": null,
        "weight": num(v.weight), "calculated_weight": num(v.weight), "width": 0, "height": 0, "depth": 0,
        "is_free_shipping": false, "fixed_cost_shipping_price": null,
        "purchasing_disabled": false, "purchasing_disabled_message": "", "image_url": "",
        "cost_price": num(v.cost_price), "upc": v.upc, "mpn": "", "gtin": "",
        "inventory_level": store.stock(v.id), "inventory_warning_level": 0, "bin_picking_number": "",
        "option_values": [{ "id": v.id * 10, "label": v.option_label.trim_start_matches("Size: "), "option_id": 1, "option_display_name": "Size" }],
    })
}

fn ids(params: &Params, k: &str) -> Option<Vec<u64>> {
    wire::list(params.get(k)).map(|l| l.iter().filter_map(|s| s.parse().ok()).collect())
}

/// `GET /v3/catalog/variants`.
pub async fn variants(State(app): State<App>, Query(params): Query<Params>) -> Response {
    let skus =
        wire::list(params.get("sku:in")).or_else(|| params.get("sku").map(|s| vec![s.clone()]));
    let (id_in, product_in) = (ids(&params, "id:in"), ids(&params, "product_id:in"));
    let store = app.shared.lock();
    let all: Vec<&Variant> = store
        .variants
        .iter()
        .filter(|v| skus.as_ref().is_none_or(|l| l.contains(&v.sku)))
        .filter(|v| id_in.as_ref().is_none_or(|l| l.contains(&v.id)))
        .filter(|v| {
            product_in
                .as_ref()
                .is_none_or(|l| l.contains(&v.product_id))
        })
        .collect();
    let page = Page::from(&params, 250);
    let slice = page.slice(&all);
    Json(json!({ "data": slice.iter().map(|v| variant_json(&store, v)).collect::<Vec<_>>(), "meta": page.meta(all.len(), slice.len()) })).into_response()
}

/// Apply absolute adjustments; `Err` is the 422 title. All or nothing.
pub fn adjust_absolute(store: &mut Store, body: &Value) -> Result<String, String> {
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or("items: required")?;
    if items.is_empty() {
        return Err("items: at least one item is required".into());
    }
    if items.len() > MAX_ADJUSTMENT_ITEMS {
        return Err(format!(
            "The payload has {} items: at most {MAX_ADJUSTMENT_ITEMS} are allowed",
            items.len()
        ));
    }
    let mut planned = Vec::new();
    for (n, it) in items.iter().enumerate() {
        let loc = it
            .get("location_id")
            .and_then(Value::as_u64)
            .ok_or(format!("items.{n}.location_id: required"))?;
        if !store.locations.iter().any(|l| l.id == loc) {
            return Err(format!("[Location with id {loc} does not exist]"));
        }
        let qty = it
            .get("quantity")
            .and_then(Value::as_i64)
            .ok_or(format!("items.{n}.quantity: required integer"))?;
        if qty < 0 {
            return Err(format!("items.{n}.quantity: must not be negative"));
        }
        let variant = if let Some(sku) = it.get("sku").and_then(Value::as_str) {
            store
                .variant_by_sku(sku)
                .ok_or(format!("[Item with sku {sku} does not exist]"))?
        } else if let Some(vid) = it.get("variant_id").and_then(Value::as_u64) {
            store
                .variants
                .iter()
                .find(|v| v.id == vid)
                .ok_or(format!("[Item with variant_id {vid} does not exist]"))?
        } else if let Some(pid) = it.get("product_id").and_then(Value::as_u64) {
            let vs: Vec<&Variant> = store
                .variants
                .iter()
                .filter(|v| v.product_id == pid)
                .collect();
            match vs.as_slice() {
                [one] => *one,
                [] => return Err(format!("[Item with product_id {pid} does not exist]")),
                _ => return Err(format!("[Item with product_id {pid} is tracked by variant, please update stock by variant id]")),
            }
        } else {
            return Err(format!(
                "items.{n}: one of sku, variant_id or product_id is required"
            ));
        };
        planned.push(((variant.id, loc), qty));
    }
    for (k, q) in planned {
        store.inventory.insert(k, q);
    }
    let n = store.inventory_transactions.len() as u64 + 1;
    let id = format!(
        "{:08x}-{:04x}-4000-8000-{:012x}",
        0x5a4d_b0c5u64 + n,
        n % 0xffff,
        n
    );
    let reason = body
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    store
        .inventory_transactions
        .push((id.clone(), reason, items.len()));
    Ok(id)
}

/// `PUT /v3/inventory/adjustments/absolute`.
pub async fn absolute(State(app): State<App>, body: Option<Json<Value>>) -> Response {
    let Some(Json(body)) = body else {
        return wire::v3_error(400, "Input is invalid.");
    };
    let mut store = app.shared.lock();
    match adjust_absolute(&mut store, &body) {
        Ok(id) => Json(json!({ "transaction_id": id })).into_response(),
        Err(e) => wire::v3_error(422, &e),
    }
}

/// `GET /v3/inventory/items` (`sku:in`, `variant_id:in`, `product_id:in`, `location_id:in`).
pub async fn items(State(app): State<App>, Query(params): Query<Params>) -> Response {
    let skus = wire::list(params.get("sku:in"));
    let (vin, pin, lin) = (
        ids(&params, "variant_id:in"),
        ids(&params, "product_id:in"),
        ids(&params, "location_id:in"),
    );
    let store = app.shared.lock();
    let all: Vec<&Variant> = store
        .variants
        .iter()
        .filter(|v| skus.as_ref().is_none_or(|l| l.contains(&v.sku)))
        .filter(|v| vin.as_ref().is_none_or(|l| l.contains(&v.id)))
        .filter(|v| pin.as_ref().is_none_or(|l| l.contains(&v.product_id)))
        .collect();
    let page = Page::from(&params, 1000);
    let slice = page.slice(&all);
    let data: Vec<Value> = slice
        .iter()
        .map(|v| json!({
            "identity": { "sku": v.sku, "variant_id": v.id, "product_id": v.product_id, "sku_id": null },
            "locations": store.locations.iter().filter(|l| lin.as_ref().is_none_or(|x| x.contains(&l.id))).map(|l| {
                let q = store.inventory.get(&(v.id, l.id)).copied().unwrap_or(0);
                json!({
                    "location_id": l.id, "location_code": l.code, "location_name": l.name,
                    "available_to_sell": q.max(0), "total_inventory_onhand": q, "location_enabled": true,
                    "settings": { "safety_stock": 0, "is_in_stock": q > 0, "warning_level": 0, "bin_picking_number": "" },
                })
            }).collect::<Vec<_>>(),
        }))
        .collect();
    Json(json!({ "data": data, "meta": page.meta(all.len(), slice.len()) })).into_response()
}
