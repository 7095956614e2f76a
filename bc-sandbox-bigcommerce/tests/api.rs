//! Behaviour of the BigCommerce sandbox over its HTTP API (in-process and on loopback).

mod common;

use std::str::FromStr;
use std::time::Duration;

use bc_sandbox::faults::FaultPlan;
use bc_sandbox_bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
use common::*;
use http::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn wrong_or_missing_token_is_a_401_with_bigcommerce_bodies() {
    let (_sb, r) = sandbox(3);
    let wrong = call_with(
        &r,
        Method::GET,
        "/stores/sbx4k2q9zt/v2/orders",
        None,
        Some("nope"),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json(),
        json!([{ "status": 401, "message": "No valid credential was supplied." }])
    );
    let missing = call_with(
        &r,
        Method::GET,
        "/stores/sbx4k2q9zt/v3/customers",
        None,
        None,
    )
    .await;
    assert_eq!(missing.status, 401);
    let v = missing.json();
    assert_eq!(
        (v["status"].clone(), v["title"].clone()),
        (
            json!(401),
            json!("No credentials were supplied in the request.")
        )
    );
    let other_store = call_with(
        &r,
        Method::GET,
        "/stores/otherstore/v2/orders",
        None,
        Some(TOKEN),
    )
    .await;
    assert_eq!(other_store.status, 401);
    let ok = call(&r, Method::GET, "/v2/orders", None).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn empty_pages_are_204_and_paging_and_filters_work() {
    let (sb, r) = sandbox(120);
    let empty = call(&r, Method::GET, "/v2/orders?min_id=999999", None).await;
    assert_eq!(empty.status, 204);
    assert!(empty.body.is_empty());
    let beyond = call(&r, Method::GET, "/v2/orders?page=4&limit=50", None).await;
    assert_eq!(beyond.status, 204);

    let p1 = call(&r, Method::GET, "/v2/orders?limit=50&page=1", None)
        .await
        .json();
    let p3 = call(&r, Method::GET, "/v2/orders?limit=50&page=3", None)
        .await
        .json();
    assert_eq!(p1.as_array().map(Vec::len), Some(50));
    assert_eq!(p3.as_array().map(Vec::len), Some(20));
    assert_eq!(p1[0]["id"], json!(100), "default sort is id ascending");
    let big = call(&r, Method::GET, "/v2/orders?limit=1000", None)
        .await
        .json();
    assert_eq!(
        big.as_array().map(Vec::len),
        Some(120),
        "limit is capped at 250, all 120 fit"
    );
    let desc = call(&r, Method::GET, "/v2/orders?sort=id:desc&limit=1", None)
        .await
        .json();
    assert_eq!(desc[0]["id"], json!(219));

    // min_date_modified with an RFC 2822 date, as a connector would page forward.
    let all = sb.orders();
    let pivot = all[60].date_modified;
    let since = pivot.format("%a, %d %b %Y %H:%M:%S +0000").to_string();
    let url = format!(
        "/v2/orders?min_date_modified={}&limit=250",
        since
            .replace(' ', "%20")
            .replace('+', "%2B")
            .replace(',', "%2C")
    );
    let newer = call(&r, Method::GET, &url, None).await;
    let expected = all.iter().filter(|o| o.date_modified >= pivot).count();
    assert_eq!(newer.json().as_array().map(Vec::len), Some(expected));
    let bad = call(
        &r,
        Method::GET,
        "/v2/orders?min_date_modified=yesterday",
        None,
    )
    .await;
    assert_eq!(bad.status, 400);

    let status11 = call(&r, Method::GET, "/v2/orders?status_id=11&limit=250", None)
        .await
        .json();
    assert!(status11
        .as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(|o| o["status_id"] == 11)));
    let count = call(&r, Method::GET, "/v2/orders/count?status_id=11", None)
        .await
        .json();
    assert_eq!(
        count["count"].as_u64(),
        status11.as_array().map(|a| a.len() as u64)
    );

    let guest_free = call(
        &r,
        Method::GET,
        "/v2/orders/100/products?limit=1&page=99",
        None,
    )
    .await;
    assert_eq!(guest_free.status, 204);
}

#[tokio::test]
async fn a_burst_above_the_quota_gets_429s_with_the_headers_and_is_counted() {
    let sb = BigCommerceSandbox::new(BigCommerceConfig {
        quota: 5,
        window_ms: 60_000,
        ..BigCommerceConfig::default()
    });
    sb.seed_orders(2, 1);
    let r = sb.router();
    let mut lefts = Vec::new();
    for _ in 0..5 {
        let resp = call(&r, Method::GET, "/v2/orders/100", None).await;
        assert_eq!(resp.status, 200);
        assert_eq!(
            resp.header("x-rate-limit-requests-quota").as_deref(),
            Some("5")
        );
        assert_eq!(
            resp.header("x-rate-limit-time-window-ms").as_deref(),
            Some("60000")
        );
        lefts.push(
            resp.header("x-rate-limit-requests-left")
                .unwrap_or_default(),
        );
    }
    assert_eq!(lefts, ["4", "3", "2", "1", "0"]);
    for _ in 0..3 {
        let resp = call(&r, Method::GET, "/v2/orders/100", None).await;
        assert_eq!(resp.status, 429);
        assert_eq!(
            resp.header("x-rate-limit-requests-left").as_deref(),
            Some("0")
        );
        assert_eq!(
            resp.header("x-rate-limit-requests-quota").as_deref(),
            Some("5")
        );
        assert_eq!(
            resp.header("x-rate-limit-time-window-ms").as_deref(),
            Some("60000")
        );
        let reset: u64 = resp
            .header("x-rate-limit-time-reset-ms")
            .and_then(|s| s.parse().ok())
            .expect("reset header");
        assert!(reset <= 60_000);
        assert_eq!(resp.json()["status"], json!(429));
    }
    let stats = sb.stats();
    assert_eq!(stats.rate_limited, 3);
    assert_eq!(stats.by_status.get("429"), Some(&3));
    assert_eq!(
        stats
            .by_route
            .get("GET /stores/{store_hash}/v2/orders/{order_id}"),
        Some(&8)
    );
    // Introspection is never limited and reports the same.
    let intro = call_with(&r, Method::GET, "/__sandbox/requests", None, None)
        .await
        .json();
    assert_eq!(intro["rate_limited"], json!(3));
    sb.reset_rate_limit();
    assert_eq!(
        call(&r, Method::GET, "/v2/orders/100", None).await.status,
        200
    );
}

/// A tiny webhook receiver: returns its URL and a channel of raw requests.
async fn receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hooks", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while let Ok(n) = sock.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= len {
                            let _ = sock
                                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                                .await;
                            let _ = tx.send(text);
                            break;
                        }
                    }
                }
            });
        }
    });
    (url, rx)
}

#[tokio::test]
async fn status_updates_and_new_orders_are_delivered_to_registered_hooks() {
    let (sb, r) = sandbox(20);
    let (url, mut rx) = receiver().await;
    let hook = call(&r, Method::POST, "/v3/hooks", Some(json!({ "scope": "store/order/statusUpdated", "destination": url, "is_active": true, "headers": { "X-Custom-Auth": "s3cr3t" } }))).await;
    assert_eq!(hook.status, 200);
    assert_eq!(hook.json()["data"]["scope"], "store/order/statusUpdated");
    let created_hook = call(
        &r,
        Method::POST,
        "/v3/hooks",
        Some(json!({ "scope": "store/order/created", "destination": url })),
    )
    .await;
    assert_eq!(created_hook.status, 200);
    let list = call(&r, Method::GET, "/v3/hooks", None).await.json();
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2));

    let id = sb
        .orders()
        .iter()
        .find(|o| o.status_id == 11)
        .expect("order")
        .id;
    let before = sb
        .orders()
        .into_iter()
        .find(|o| o.id == id)
        .expect("o")
        .date_modified;
    let put = call(
        &r,
        Method::PUT,
        &format!("/v2/orders/{id}"),
        Some(json!({ "status_id": 9 })),
    )
    .await;
    assert_eq!(put.status, 200);
    assert_eq!(put.json()["status_id"], json!(9));
    assert_eq!(put.json()["status"], "Awaiting Shipment");
    let after = sb
        .orders()
        .into_iter()
        .find(|o| o.id == id)
        .expect("o")
        .date_modified;
    assert!(after > before, "date_modified moves on a status change");

    let raw = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("delivered in time")
        .expect("a request");
    assert!(raw.starts_with("POST /hooks HTTP/1.1"));
    assert!(
        raw.to_lowercase().contains("x-custom-auth: s3cr3t"),
        "custom header: {raw}"
    );
    let body: Value = serde_json::from_str(raw.split_once("\r\n\r\n").map(|x| x.1).unwrap_or(""))
        .expect("json body");
    assert_eq!(body["scope"], "store/order/statusUpdated");
    assert_eq!(body["store_id"], "1001337");
    assert_eq!(body["producer"], "stores/sbx4k2q9zt");
    assert_eq!(
        body["data"],
        json!({ "type": "order", "id": id, "status": { "previous_status_id": 11, "new_status_id": 9 } })
    );
    let expect_hash =
        sha1_smol::Sha1::from(serde_json::to_string(&body["data"]).expect("s").as_bytes())
            .digest()
            .to_string();
    assert_eq!(body["hash"], json!(expect_hash));
    assert!(body["created_at"].is_i64());

    // A new order fires store/order/created.
    let created = call(&r, Method::POST, "/v2/orders", Some(json!({
        "billing_address": { "first_name": "Jane", "last_name": "Doe", "street_1": "123 Main Street", "city": "Austin", "state": "Texas", "zip": "78751", "country": "United States", "country_iso2": "US", "email": "janedoe@example.com" },
        "products": [{ "name": "BigCommerce Coffee Mug", "quantity": 1, "price_inc_tax": 50, "price_ex_tax": 45 }]
    }))).await;
    assert_eq!(
        created.status,
        200,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let raw = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("delivered")
        .expect("req");
    let body: Value =
        serde_json::from_str(raw.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("")).expect("json");
    assert_eq!(body["scope"], "store/order/created");
    assert_eq!(body["data"]["id"], created.json()["id"]);
    assert!(sb.settle_deliveries(Duration::from_secs(5)).await);
    assert!(sb.deliveries().iter().all(|d| d.status == Some(200)));
}

#[tokio::test]
async fn created_orders_are_consistent_and_take_stock() {
    let (sb, r) = sandbox(0);
    let sku = sb.skus().into_iter().next().expect("sku");
    let variant = call(
        &r,
        Method::GET,
        &format!("/v3/catalog/variants?sku:in={sku}"),
        None,
    )
    .await
    .json();
    let vid = variant["data"][0]["id"].as_u64().expect("variant id");
    let stock_before = sb.stock_at(&sku, 1).expect("stock");
    let resp = call(&r, Method::POST, "/v2/orders", Some(json!({
        "status_id": 11, "customer_id": 0,
        "billing_address": { "first_name": "Jane", "last_name": "Doe", "street_1": "123 Main Street", "city": "Austin", "state": "Texas", "zip": "78751", "country": "United States", "country_iso2": "US", "email": "janedoe@example.com" },
        "products": [{ "product_id": variant["data"][0]["product_id"], "variant_id": vid, "quantity": 2 }, { "name": "BigCommerce Poster", "quantity": 1, "price_inc_tax": "10.98", "price_ex_tax": "10.00" }],
        "shipping_cost_ex_tax": "10.00", "discount_amount": "5.00"
    }))).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let o = resp.json();
    let d =
        |f: &str| Decimal::from_str(o[f].as_str().unwrap_or("x")).unwrap_or_else(|_| panic!("{f}"));
    assert_eq!(
        d("total_inc_tax"),
        d("subtotal_inc_tax")
            + d("shipping_cost_inc_tax")
            + d("handling_cost_inc_tax")
            + d("wrapping_cost_inc_tax")
            - d("discount_amount")
            - d("coupon_discount")
    );
    assert_eq!(d("total_ex_tax") + d("total_tax"), d("total_inc_tax"));
    assert_eq!(d("discount_amount"), Decimal::new(5, 0));
    assert_eq!(o["status_id"], json!(11));
    assert_eq!(sb.stock_at(&sku, 1), Some(stock_before - 2));
    let id = o["id"].as_u64().expect("id");
    let taxes = call(
        &r,
        Method::GET,
        &format!("/v2/orders/{id}/taxes?details=true"),
        None,
    )
    .await
    .json();
    let sum: Decimal = taxes
        .as_array()
        .expect("taxes")
        .iter()
        .map(|t| Decimal::from_str(t["line_amount"].as_str().unwrap_or("0")).unwrap_or_default())
        .sum();
    assert_eq!(sum, d("total_tax"));
    assert!(taxes
        .as_array()
        .expect("t")
        .iter()
        .any(|t| t["class"] == "API Tax Override"));

    let bad = call(
        &r,
        Method::POST,
        "/v2/orders",
        Some(json!({ "products": [] })),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("billing_address")));
    let unsupported = call(
        &r,
        Method::PUT,
        &format!("/v2/orders/{id}"),
        Some(json!({ "products": [] })),
    )
    .await;
    assert_eq!(unsupported.status, 400);
    let bad_status = call(
        &r,
        Method::PUT,
        &format!("/v2/orders/{id}"),
        Some(json!({ "status_id": 99 })),
    )
    .await;
    assert_eq!(bad_status.status, 400);
}

#[tokio::test]
async fn shipments_ship_items_and_move_the_status() {
    let (sb, r) = sandbox(80);
    let id = sb
        .orders()
        .iter()
        .find(|o| {
            o.status_id == 11
                && sb.order_bundle_json(o.id).is_some_and(|b| {
                    b["shipping_addresses"].as_array().map(Vec::len) == Some(1)
                        && b["order"]["items_total"].as_u64() > Some(1)
                })
        })
        .expect("order")
        .id;
    assert_eq!(
        call(&r, Method::GET, &format!("/v2/orders/{id}/shipments"), None)
            .await
            .status,
        204
    );
    let b = sb.order_bundle_json(id).expect("b");
    let addr = b["shipping_addresses"][0]["id"].as_u64().expect("addr");
    let lines = b["products"].as_array().expect("lines").clone();
    let first = &lines[0];
    let over = call(&r, Method::POST, &format!("/v2/orders/{id}/shipments"), Some(json!({ "order_address_id": addr, "items": [{ "order_product_id": first["id"], "quantity": first["quantity"].as_u64().unwrap_or(1) + 1 }] }))).await;
    assert_eq!(over.status, 400);
    let wrong_addr = call(&r, Method::POST, &format!("/v2/orders/{id}/shipments"), Some(json!({ "order_address_id": 1, "items": [{ "order_product_id": first["id"], "quantity": 1 }] }))).await;
    assert_eq!(wrong_addr.status, 400);

    // Ship one unit first: partially shipped.
    let s1 = call(&r, Method::POST, &format!("/v2/orders/{id}/shipments"), Some(json!({ "order_address_id": addr, "tracking_number": "1Z999", "shipping_provider": "ups", "items": [{ "order_product_id": first["id"], "quantity": 1 }] }))).await;
    assert_eq!(s1.status, 201);
    assert_eq!(sb.order_status(id), Some(3));
    // Then the rest: shipped, date_shipped set.
    let rest: Vec<Value> = lines
        .iter()
        .map(|p| {
            let q =
                p["quantity"].as_u64().unwrap_or(0) - if p["id"] == first["id"] { 1 } else { 0 };
            json!({ "order_product_id": p["id"], "quantity": q })
        })
        .filter(|i| i["quantity"].as_u64() > Some(0))
        .collect();
    let s2 = call(
        &r,
        Method::POST,
        &format!("/v2/orders/{id}/shipments"),
        Some(json!({ "order_address_id": addr, "items": rest })),
    )
    .await;
    assert_eq!(s2.status, 201, "{}", String::from_utf8_lossy(&s2.body));
    assert_eq!(sb.order_status(id), Some(2));
    let o = call(&r, Method::GET, &format!("/v2/orders/{id}"), None)
        .await
        .json();
    assert_eq!(o["items_shipped"], o["items_total"]);
    assert!(!o["date_shipped"].as_str().unwrap_or("").is_empty());
    let list = call(&r, Method::GET, &format!("/v2/orders/{id}/shipments"), None)
        .await
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(sb.shipments(id).len(), 2);
    assert_eq!(
        call(
            &r,
            Method::GET,
            &format!("/v2/orders/{id}/shipments/count"),
            None
        )
        .await
        .json()["count"],
        json!(2)
    );
}

#[tokio::test]
async fn refunds_are_findable_store_wide_and_limited_to_what_was_paid() {
    let (sb, r) = sandbox(150);
    let o = sb
        .orders()
        .into_iter()
        .find(|o| o.status_id == 10)
        .expect("completed order");
    let rid = sb
        .create_refund(o.id, Decimal::new(500, 2), "Goodwill")
        .expect("refund");
    assert_eq!(sb.order_status(o.id), Some(14));
    let too_much = sb.create_refund(o.id, o.total_inc_tax * Decimal::TWO, "x");
    assert!(too_much.is_err());
    let all = call(
        &r,
        Method::GET,
        "/v3/orders/payment_actions/refunds?limit=250",
        None,
    )
    .await
    .json();
    assert!(all["data"]
        .as_array()
        .is_some_and(|d| d.iter().any(|x| x["id"] == json!(rid))));
    assert!(all["meta"]["pagination"]["total"].as_u64() >= Some(1));
    let mine = call(
        &r,
        Method::GET,
        &format!("/v3/orders/payment_actions/refunds?order_id:in={}", o.id),
        None,
    )
    .await
    .json();
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine["data"][0]["total_amount"], json!(5));
    let since = call(
        &r,
        Method::GET,
        "/v3/orders/payment_actions/refunds?created:min=2026-06-01T00:00:00Z",
        None,
    )
    .await
    .json();
    assert!(since["data"].as_array().is_some_and(|d| d
        .iter()
        .all(|x| x["created"].as_str() >= Some("2026-06-01"))));
    assert!(since["data"]
        .as_array()
        .is_some_and(|d| d.iter().any(|x| x["id"] == json!(rid))));
    let bad = call(
        &r,
        Method::GET,
        "/v3/orders/payment_actions/refunds?created:min=notadate",
        None,
    )
    .await;
    assert_eq!(bad.status, 422);
    let page = call(
        &r,
        Method::GET,
        "/v3/orders/payment_actions/refunds?limit=1&page=1",
        None,
    )
    .await
    .json();
    assert_eq!(page["meta"]["pagination"]["per_page"], json!(1));
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1));

    // A quote above what is left is refused.
    let q = call(
        &r,
        Method::POST,
        &format!("/v3/orders/{}/payment_actions/refund_quotes", o.id),
        Some(json!({ "items": [{ "item_type": "ORDER", "item_id": o.id, "amount": 1_000_000 }] })),
    )
    .await;
    assert_eq!(q.status, 422);
    // Payments that do not add up are refused.
    let mismatch = call(&r, Method::POST, &format!("/v3/orders/{}/payment_actions/refunds", o.id), Some(json!({ "items": [{ "item_type": "ORDER", "item_id": o.id, "amount": 1 }], "payments": [{ "provider_id": "custom", "amount": 2, "offline": true }] }))).await;
    assert_eq!(mismatch.status, 422);
}

#[tokio::test]
async fn inventory_customers_and_variants() {
    let (sb, r) = sandbox(0);
    let skus = sb.skus();
    let items: Vec<Value> = skus
        .iter()
        .take(3)
        .map(|s| json!({ "location_id": 1, "sku": s, "quantity": 42 }))
        .collect();
    let ok = call(
        &r,
        Method::PUT,
        "/v3/inventory/adjustments/absolute",
        Some(json!({ "reason": "count", "items": items })),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert!(ok.json()["transaction_id"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(sb.stock_at(&skus[0], 1), Some(42));
    let too_many: Vec<Value> = (0..2001)
        .map(|_| json!({ "location_id": 1, "sku": skus[0], "quantity": 1 }))
        .collect();
    let big = call(
        &r,
        Method::PUT,
        "/v3/inventory/adjustments/absolute",
        Some(json!({ "items": too_many })),
    )
    .await;
    assert_eq!(big.status, 422);
    assert_eq!(sb.stock_at(&skus[0], 1), Some(42), "nothing applied");
    let unknown = call(
        &r,
        Method::PUT,
        "/v3/inventory/adjustments/absolute",
        Some(json!({ "items": [{ "location_id": 1, "sku": "NOPE", "quantity": 1 }] })),
    )
    .await;
    assert_eq!(unknown.status, 422);
    let exactly: Vec<Value> = (0..2000)
        .map(|i| json!({ "location_id": 2, "sku": skus[i % skus.len()], "quantity": 7 }))
        .collect();
    assert_eq!(
        call(
            &r,
            Method::PUT,
            "/v3/inventory/adjustments/absolute",
            Some(json!({ "items": exactly }))
        )
        .await
        .status,
        200
    );
    let inv = call(
        &r,
        Method::GET,
        &format!("/v3/inventory/items?sku:in={}", skus[0]),
        None,
    )
    .await
    .json();
    assert_eq!(
        inv["data"][0]["locations"][0]["total_inventory_onhand"],
        json!(42)
    );
    assert_eq!(
        inv["data"][0]["locations"][1]["total_inventory_onhand"],
        json!(7)
    );
    let v = call(
        &r,
        Method::GET,
        &format!("/v3/catalog/variants?sku:in={},{}", skus[0], skus[1]),
        None,
    )
    .await
    .json();
    assert_eq!(v["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["data"][0]["inventory_level"], json!(49));
    sb.set_stock(&skus[0], 1, 3).expect("set stock");
    assert_eq!(sb.stock(&skus[0]), Some(10));

    let c = call(&r, Method::GET, "/v3/customers?id:in=1,2,3", None)
        .await
        .json();
    assert_eq!(c["data"].as_array().map(Vec::len), Some(3));
    let email = c["data"][1]["email"].as_str().expect("email").to_string();
    let by_email = call(
        &r,
        Method::GET,
        &format!(
            "/v3/customers?email:in={}&include=addresses,storecredit",
            email.to_uppercase()
        ),
        None,
    )
    .await
    .json();
    assert_eq!(by_email["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(by_email["data"][0]["id"], json!(2));
    assert!(by_email["data"][0]["store_credit_amounts"].is_array());
    assert_eq!(by_email["meta"]["pagination"]["total"], json!(1));
    let b2b = call(
        &r,
        Method::GET,
        "/v3/customers?customer_group_id:in=1&limit=250",
        None,
    )
    .await
    .json();
    assert!(b2b["data"].as_array().is_some_and(|d| !d.is_empty()
        && d.iter()
            .all(|c| !c["company"].as_str().unwrap_or("").is_empty())));
}

#[tokio::test]
async fn introspection_and_commit_then_fail() {
    let sb = BigCommerceSandbox::new(BigCommerceConfig {
        quota: 10_000,
        ..BigCommerceConfig::default()
    });
    sb.seed_orders(10, 1);
    let r = sb.router();
    let id = sb.orders()[0].id;
    sb.faults().set_plan(FaultPlan {
        seed: 1,
        commit_then_fail_rate: 1.0,
        ..FaultPlan::none()
    });
    let mut statuses = Vec::new();
    for s in [9u8, 11] {
        let resp = call(
            &r,
            Method::PUT,
            &format!("/v2/orders/{id}"),
            Some(json!({ "status_id": s })),
        )
        .await;
        statuses.push(resp.status);
        // The write happened whatever the client saw.
        assert_eq!(sb.order_status(id), Some(s));
    }
    sb.faults().set_plan(FaultPlan::none());
    let state = call_with(&r, Method::GET, "/__sandbox/state", None, None)
        .await
        .json();
    assert_eq!(state["platform"], "bigcommerce");
    assert_eq!(state["orders"].as_array().map(Vec::len), Some(10));
    let req = call_with(&r, Method::GET, "/__sandbox/requests", None, None)
        .await
        .json();
    assert_eq!(
        req["by_route"]["PUT /stores/{store_hash}/v2/orders/{order_id}"],
        json!(2)
    );
    let faults: u64 = req["faults"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    assert_eq!(faults, 2);
    assert!(
        statuses.iter().all(|s| *s == 502 || *s == 0),
        "commit-then-fail answers 502 or resets: {statuses:?}"
    );
    // Setting a plan over HTTP.
    let set = call_with(
        &r,
        Method::POST,
        "/__sandbox/faults",
        Some(json!({ "seed": 3, "error_rate": 1.0 })),
        None,
    )
    .await;
    assert_eq!(set.status, 200);
    let failed = call(&r, Method::GET, "/v2/orders", None).await;
    assert!([429, 500, 502, 503].contains(&failed.status));
    // An injected 429 carries BigCommerce's rate-limit headers like a real one.
    let mut saw_429 = false;
    for _ in 0..60 {
        let resp = call(&r, Method::GET, "/v2/orders", None).await;
        if resp.status == 429 {
            assert!(resp.header("x-rate-limit-time-reset-ms").is_some());
            assert_eq!(
                resp.header("x-rate-limit-requests-left").as_deref(),
                Some("0")
            );
            saw_429 = true;
            break;
        }
    }
    assert!(saw_429, "error_rate 1.0 never drew a 429 in 60 requests");
    assert_eq!(
        call_with(&r, Method::POST, "/__sandbox/reset-stats", None, None)
            .await
            .status,
        204
    );
    assert_eq!(sb.stats().total, 0);
}

#[tokio::test]
async fn serves_on_loopback_with_seeded_orders() {
    let (sb, served) = BigCommerceSandbox::serve_seeded(BigCommerceConfig::default(), 0, 5, 25)
        .await
        .expect("serve");
    let creds = sb.credentials_json();
    assert_eq!(creds["store_hash"], "sbx4k2q9zt");
    assert_eq!(creds["access_token"], TOKEN);
    let mut sock = tokio::net::TcpStream::connect(served.addr)
        .await
        .expect("connect");
    let req = format!("GET /stores/sbx4k2q9zt/v2/orders/count HTTP/1.1\r\nHost: {}\r\nX-Auth-Token: {TOKEN}\r\nAccept: application/json\r\nConnection: close\r\n\r\n", served.addr);
    sock.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    sock.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).to_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains("x-rate-limit-requests-left: 149"));
    assert!(text.contains("\"count\":25"));
    served.shutdown().await.expect("shutdown");
}
