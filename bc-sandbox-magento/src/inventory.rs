//! Catalog, customers and stock: `GET /V1/products`, `GET /V1/customers/search`, MSI source
//! items (`GET`/`POST /V1/inventory/source-items`), the legacy stock item
//! (`GET /V1/stockItems/{sku}`, `PUT /V1/products/{sku}/stockItems/{itemId}`) and the
//! asynchronous bulk API (`POST /rest/async/bulk/V1/inventory/source-items`,
//! `GET /V1/bulk/{bulkUuid}/status`).
//!
//! Rules and where they come from:
//! - Synchronous arrays are capped by the Web API input limits (2.4.7+, Stores >
//!   Configuration > Services > Web API Input Limits, "Input List Limit" default 20):
//!   "Maximum items of type \"%type\" is %max". Large catalogues go through the async bulk
//!   API (Adobe, "Bulk endpoints", developer.adobe.com/commerce/webapi/rest/use-rest/bulk-endpoints/).
//! - A bulk request is an array; each element becomes one operation, answered `202` with
//!   `bulk_uuid` and `request_items[{id, data_hash, status: "accepted"}]`. The consumer
//!   (`async.operations.all`) processes them later; `GET /V1/bulk/{uuid}/status` lists each
//!   operation's status: 1 complete, 2 retriably failed, 3 not retriably failed, 4 open,
//!   5 rejected (admin schema, `asynchronous-operations-data-bulk-operations-status-interface`;
//!   Adobe, "Bulk operation status endpoints"). The sandbox caps a bulk at
//!   [`crate::MagentoConfig::max_bulk_operations`] operations (stricter than Magento, which
//!   has no documented cap).
//! - A source item's `source_code` must exist ("Validation Failed"); the sandbox also refuses
//!   SKUs of no product (MSI saves them silently; stricter).

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::Rng;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::orders::body_json;
use crate::state::{Bulk, Operation, Store};
use crate::{search, wire, App};

/// Filterable columns of `inventory_source_item`.
pub const SOURCE_ITEM_COLUMNS: &[&str] =
    &["source_item_id", "sku", "source_code", "quantity", "status"];
/// Filterable columns of products.
pub const PRODUCT_COLUMNS: &[&str] = &[
    "entity_id",
    "id",
    "sku",
    "name",
    "price",
    "status",
    "type_id",
    "created_at",
    "updated_at",
];
/// Filterable columns of customers.
pub const CUSTOMER_COLUMNS: &[&str] = &[
    "entity_id",
    "id",
    "email",
    "firstname",
    "lastname",
    "group_id",
    "website_id",
    "store_id",
    "created_at",
    "updated_at",
];

/// The topic of inventory source-item bulks.
pub const SOURCE_ITEMS_TOPIC: &str =
    "async.magento.inventoryapi.api.sourceitemssaveinterface.execute.post";

/// `GET /V1/products`.
pub async fn products(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Catalog::products")?;
    let sc = search::parse(q.as_deref().unwrap_or(""), app.config.max_page_size)?;
    let store = app.shared.lock();
    let all = store.products.values().map(|p| json!({
        "id": p.id, "sku": p.sku, "name": p.name, "price": wire::num(p.price), "status": 1, "visibility": 4,
        "type_id": "simple", "attribute_set_id": 4, "weight": 1,
        "created_at": wire::date(p.created_at), "updated_at": wire::date(p.created_at),
        "custom_attributes": [{"attribute_code": "tax_class_id", "value": p.tax_class_id.to_string()}],
    })).collect();
    Ok(wire::ok(search::apply(&sc, all, PRODUCT_COLUMNS)?))
}

/// `GET /V1/customers/search`.
pub async fn customers(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_Customer::customer")?;
    let sc = search::parse(q.as_deref().unwrap_or(""), app.config.max_page_size)?;
    let store = app.shared.lock();
    let all = store.customers.values().map(|c| {
        let mut v = json!({
            "id": c.id, "email": c.email, "firstname": c.firstname, "lastname": c.lastname,
            "group_id": c.group_id, "website_id": c.website_id, "store_id": c.store_id,
            "created_at": wire::date(c.created_at), "updated_at": wire::date(c.created_at), "created_in": "Default Store View",
            "addresses": [{ "firstname": c.address.firstname, "lastname": c.address.lastname, "street": c.address.street,
                "city": c.address.city, "region": { "region": c.address.region, "region_code": c.address.region_code },
                "postcode": c.address.postcode, "country_id": c.address.country_id, "telephone": c.address.telephone,
                "default_billing": true, "default_shipping": true }],
        });
        if let Some((id, name)) = &c.company {
            v["extension_attributes"] = json!({ "company_attributes": { "customer_id": c.id, "company_id": id, "status": 1, "job_title": "Buyer" }, "company_name": name });
        }
        v
    }).collect();
    Ok(wire::ok(search::apply(&sc, all, CUSTOMER_COLUMNS)?))
}

fn source_item_json(key: &(String, String), v: &(Decimal, u8)) -> Value {
    json!({ "sku": key.0, "source_code": key.1, "quantity": wire::num(v.0), "status": v.1 })
}

/// `GET /V1/inventory/source-items`.
pub async fn list_source_items(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_InventoryApi::source")?;
    let sc = search::parse(q.as_deref().unwrap_or(""), app.config.max_page_size)?;
    let store = app.shared.lock();
    let all = store
        .source_items
        .iter()
        .map(|(k, v)| source_item_json(k, v))
        .collect();
    Ok(wire::ok(search::apply(&sc, all, SOURCE_ITEM_COLUMNS)?))
}

/// Validates and applies a list of source items; `Err` is the reason, per item.
pub fn save_source_items(store: &mut Store, items: &[Value]) -> Result<(), String> {
    let mut parsed = Vec::new();
    for it in items {
        let sku = it
            .get("sku")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        if sku.is_empty() {
            return Err("\"sku\" can not be empty.".into());
        }
        let source = it
            .get("source_code")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !store.sources.contains(&source) {
            return Err(format!(
                "Validation Failed: source \"{source}\" does not exist (sku \"{sku}\")."
            ));
        }
        let Some(qty) = it.get("quantity").and_then(wire::dec) else {
            return Err(format!(
                "Validation Failed: \"quantity\" should be numeric (sku \"{sku}\")."
            ));
        };
        if !store.products.contains_key(&sku) {
            return Err(format!(
                "Could not save Source Item: product with SKU \"{sku}\" does not exist."
            ));
        }
        let status = it.get("status").and_then(wire::id).unwrap_or(1).min(1) as u8;
        parsed.push(((sku, source), (qty, status)));
    }
    for (k, v) in parsed {
        store.source_items.insert(k, v);
    }
    Ok(())
}

/// `POST /V1/inventory/source-items` (synchronous, `{"sourceItems": […]}`).
pub async fn post_source_items(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_InventoryApi::source_item")?;
    let v = body_json(&body)?;
    let Some(items) = v.get("sourceItems").and_then(Value::as_array) else {
        return Err(wire::required("sourceItems"));
    };
    if items.len() > app.config.input_list_limit {
        return Err(wire::error_named(
            400,
            "Maximum items of type \"%type\" is %max",
            json!({ "type": "\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface", "max": app.config.input_list_limit }),
        ));
    }
    let mut store = app.shared.lock();
    save_source_items(&mut store, items).map_err(|m| wire::error(400, &m, &[]))?;
    Ok(wire::ok(json!([])))
}

/// `POST /rest/async/bulk/V1/inventory/source-items`: an array of `{"sourceItems": […]}`.
pub async fn bulk_source_items(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_InventoryApi::source_item")?;
    let v = body_json(&body)?;
    let Some(requests) = v.as_array() else {
        return Err(wire::error(
            400,
            "Request body must be an array of requests for a bulk endpoint.",
            &[],
        ));
    };
    if requests.len() > app.config.max_bulk_operations {
        return Err(wire::error_named(
            400,
            "Maximum items of type \"%type\" is %max",
            json!({ "type": "bulk operations", "max": app.config.max_bulk_operations }),
        ));
    }
    let mut store = app.shared.lock();
    let now = store.now();
    let mut rng = bc_sandbox::rng::seeded(app.config.token_salt ^ store.next_id("bulk"), "bulk");
    let bytes: [u8; 16] = rng.gen();
    let uuid = uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string();
    let mut ops = Vec::new();
    let mut accepted = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let ok = r.get("sourceItems").is_some_and(Value::is_array);
        ops.push(Operation {
            id: i as u64,
            status: if ok { 4 } else { 5 },
            result_message: (!ok)
                .then(|| "\"sourceItems\" is required. Enter and try again.".to_string()),
            error_code: (!ok).then_some(400),
            serialized_data: r.clone(),
        });
        accepted.push(json!({ "id": i, "data_hash": format!("{:x}", fnv(&r.to_string())), "status": if ok { "accepted" } else { "rejected" } }));
    }
    let errors = ops.iter().any(|o| o.status == 5);
    store.bulks.insert(
        uuid.clone(),
        Bulk {
            uuid: uuid.clone(),
            description: format!("Topic {SOURCE_ITEMS_TOPIC}"),
            start_time: now,
            user_id: 1,
            operations: ops,
            reads_until_processed: app.config.bulk_reads_until_processed,
        },
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "bulk_uuid": uuid, "request_items": accepted, "errors": errors })),
    )
        .into_response())
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs the consumer over a bulk's open operations.
pub fn process_bulk(store: &mut Store, uuid: &str) {
    let Some(mut bulk) = store.bulks.remove(uuid) else {
        return;
    };
    for op in bulk.operations.iter_mut().filter(|o| o.status == 4) {
        let items: Vec<Value> = op.serialized_data["sourceItems"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        match save_source_items(store, &items) {
            Ok(()) => op.status = 1,
            Err(m) => {
                op.status = 3;
                op.result_message = Some(m);
                op.error_code = Some(0);
            }
        }
    }
    bulk.reads_until_processed = 0;
    store.bulks.insert(uuid.to_string(), bulk);
}

/// `GET /V1/bulk/{bulkUuid}/status`.
pub async fn bulk_status(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    app.guard(
        &headers,
        &p,
        "Magento_Logging::system_magento_logging_bulk_operations",
    )?;
    let uuid = p.get("bulkUuid").cloned().unwrap_or_default();
    let mut store = app.shared.lock();
    let Some(bulk) = store.bulks.get_mut(&uuid) else {
        return Err(wire::error_named(
            404,
            "Bulk uuid %bulkUuid not exist",
            json!({ "bulkUuid": uuid }),
        ));
    };
    if bulk.reads_until_processed > 0 {
        bulk.reads_until_processed -= 1;
        if bulk.reads_until_processed == 0 {
            process_bulk(&mut store, &uuid);
        }
    }
    let Some(bulk) = store.bulks.get(&uuid) else {
        return Err(wire::not_found());
    };
    Ok(wire::ok(json!({
        "operations_list": bulk.operations.iter().map(|o| json!({ "id": o.id, "status": o.status, "result_message": o.result_message, "error_code": o.error_code })).collect::<Vec<_>>(),
        "user_type": 2, "bulk_id": bulk.uuid, "description": bulk.description,
        "start_time": wire::date(bulk.start_time), "user_id": bulk.user_id, "operation_count": bulk.operations.len(),
    })))
}

/// `GET /V1/stockItems/{productSku}` (legacy CatalogInventory: the default source).
pub async fn stock_item(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_CatalogInventory::cataloginventory")?;
    let sku = p.get("productSku").cloned().unwrap_or_default();
    let store = app.shared.lock();
    let Some(prod) = store.products.get(&sku) else {
        return Err(wire::error(
            404,
            "The product that was requested doesn't exist. Verify the product and try again.",
            &[],
        ));
    };
    let (qty, status) = store
        .source_items
        .get(&(sku.clone(), "default".into()))
        .copied()
        .unwrap_or((Decimal::ZERO, 0));
    Ok(wire::ok(json!({
        "item_id": prod.id, "product_id": prod.id, "stock_id": 1, "qty": wire::num(qty), "is_in_stock": status == 1 && qty > Decimal::ZERO,
        "is_qty_decimal": false, "show_default_notification_message": false, "use_config_min_qty": true, "min_qty": 0,
        "use_config_min_sale_qty": 1, "min_sale_qty": 1, "use_config_max_sale_qty": true, "max_sale_qty": 10000,
        "use_config_backorders": true, "backorders": 0, "use_config_notify_stock_qty": true, "notify_stock_qty": 1,
        "use_config_qty_increments": true, "qty_increments": 0, "use_config_enable_qty_inc": true, "enable_qty_increments": false,
        "use_config_manage_stock": true, "manage_stock": true, "low_stock_date": null, "is_decimal_divided": false, "stock_status_changed_auto": 0,
    })))
}

/// `PUT /V1/products/{productSku}/stockItems/{itemId}` with `{"stockItem": {"qty", "is_in_stock"}}`.
pub async fn put_stock_item(
    State(app): State<App>,
    Path(p): Path<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    app.guard(&headers, &p, "Magento_CatalogInventory::cataloginventory")?;
    let sku = p.get("productSku").cloned().unwrap_or_default();
    let v = body_json(&body)?;
    let Some(item) = v.get("stockItem").filter(|s| s.is_object()) else {
        return Err(wire::required("stockItem"));
    };
    let mut store = app.shared.lock();
    let Some(prod) = store.products.get(&sku).cloned() else {
        return Err(wire::error(
            404,
            "The product that was requested doesn't exist. Verify the product and try again.",
            &[],
        ));
    };
    let qty = item.get("qty").and_then(wire::dec).unwrap_or_default();
    let in_stock = item
        .get("is_in_stock")
        .and_then(Value::as_bool)
        .unwrap_or(qty > Decimal::ZERO);
    store
        .source_items
        .insert((sku, "default".into()), (qty, u8::from(in_stock)));
    Ok(wire::ok(json!(prod.id)))
}
