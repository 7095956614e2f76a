//! The sandbox over HTTP (in-process): auth, searchCriteria, the state machine, async bulk.

use axum::body::Body;
use bc_sandbox_magento::{Clock, MagentoConfig, MagentoSandbox};
use http::{Method, Request};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn call(
    sb: &MagentoSandbox,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req
        .body(
            body.map(|b| Body::from(b.to_string()))
                .unwrap_or_else(Body::empty),
        )
        .unwrap();
    let resp = sb.router().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn sandbox() -> MagentoSandbox {
    let cfg = MagentoConfig {
        clock: Clock::Fixed(bc_sandbox_magento::generator::default_start()),
        ..Default::default()
    };
    let sb = MagentoSandbox::new(cfg);
    sb.seed_orders(60, 3);
    sb
}

async fn admin(sb: &MagentoSandbox) -> String {
    let (s, v) = call(
        sb,
        Method::POST,
        "/rest/V1/integration/admin/token",
        None,
        Some(json!({"username": "bcsync", "password": "Sandbox-Admin-123"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v.as_str().unwrap().to_string()
}

#[tokio::test]
async fn integration_token_as_bearer_is_refused_unless_allowed() {
    let sb = sandbox();
    let (s, v) = call(
        &sb,
        Method::GET,
        "/rest/V1/orders?searchCriteria[pageSize]=1",
        Some("sbxintegration0123456789abcdefgh"),
        None,
    )
    .await;
    assert_eq!(s, 401);
    assert_eq!(
        v["message"],
        "The consumer isn't authorized to access %resources."
    );
    assert_eq!(v["parameters"]["resources"], "Magento_Sales::actions_view");
    let allowed = MagentoSandbox::new(MagentoConfig {
        bearer_tokens_allowed: true,
        ..Default::default()
    });
    let (s, _) = call(
        &allowed,
        Method::GET,
        "/rest/default/V1/orders",
        Some("sbxintegration0123456789abcdefgh"),
        None,
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn admin_login_locks_after_six_failures() {
    let sb = sandbox();
    for _ in 0..6 {
        let (s, v) = call(
            &sb,
            Method::POST,
            "/rest/V1/integration/admin/token",
            None,
            Some(json!({"username": "bcsync", "password": "wrong"})),
        )
        .await;
        assert_eq!(s, 401);
        assert!(v["message"]
            .as_str()
            .unwrap()
            .contains("disabled temporarily"));
    }
    let (s, _) = call(
        &sb,
        Method::POST,
        "/rest/V1/integration/admin/token",
        None,
        Some(json!({"username": "bcsync", "password": "Sandbox-Admin-123"})),
    )
    .await;
    assert_eq!(s, 401, "locked: the right password is refused too");
}

#[tokio::test]
async fn filter_groups_or_inside_and_across() {
    let sb = sandbox();
    let t = admin(&sb).await;
    let q = "/rest/V1/orders?searchCriteria[filter_groups][0][filters][0][field]=status&searchCriteria[filter_groups][0][filters][0][value]=pending\
&searchCriteria[filter_groups][0][filters][1][field]=status&searchCriteria[filter_groups][0][filters][1][value]=complete\
&searchCriteria[filter_groups][1][filters][0][field]=order_currency_code&searchCriteria[filter_groups][1][filters][0][value]=USD\
&searchCriteria[pageSize]=300";
    let (s, v) = call(&sb, Method::GET, q, Some(&t), None).await;
    assert_eq!(s, 200, "{v}");
    let expect = sb
        .orders()
        .iter()
        .filter(|o| (o.status == "pending" || o.status == "complete") && o.currency == "USD")
        .count();
    assert!(expect > 0);
    assert_eq!(v["total_count"], expect);
    for o in v["items"].as_array().unwrap() {
        assert!(o["status"] == "pending" || o["status"] == "complete");
        assert_eq!(o["order_currency_code"], "USD");
    }
    assert_eq!(
        v["search_criteria"]["filter_groups"][0]["filters"][1]["value"],
        "complete"
    );
    let bad = "/rest/V1/orders?searchCriteria[filter_groups][0][filters][0][field]=status&searchCriteria[filter_groups][0][filters][0][value]=x&searchCriteria[filter_groups][0][filters][0][condition_type]=equals";
    let (s, v) = call(&sb, Method::GET, bad, Some(&t), None).await;
    assert_eq!(s, 400);
    assert_eq!(v["parameters"][0], "equals");
}

#[tokio::test]
async fn shipping_a_canceled_order_is_refused() {
    let sb = sandbox();
    let t = admin(&sb).await;
    let id = sb.orders().iter().find(|o| o.state == "new").unwrap().id;
    let (s, v) = call(
        &sb,
        Method::POST,
        &format!("/rest/V1/orders/{id}/cancel"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!((s, v), (200, json!(true)));
    let (s, v) = call(
        &sb,
        Method::POST,
        &format!("/rest/V1/order/{id}/ship"),
        Some(&t),
        Some(json!({"tracks": [{"track_number": "1Z1", "title": "UPS", "carrier_code": "ups"}]})),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(v["message"], "Shipment Document Validation Error(s):\nThe order does not allow a shipment to be created.");
    let (s, v) = call(
        &sb,
        Method::POST,
        &format!("/rest/V1/orders/{id}/cancel"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(
        (s, v),
        (200, json!(false)),
        "cancel twice answers false, not an error"
    );
}

#[tokio::test]
async fn status_comments_stay_inside_the_state() {
    let sb = sandbox();
    let t = admin(&sb).await;
    let id = sb
        .orders()
        .iter()
        .find(|o| o.state == "processing")
        .unwrap()
        .id;
    let (s, _) = call(&sb, Method::POST, &format!("/rest/V1/orders/{id}/comments"), Some(&t), Some(json!({"statusHistory": {"comment": "to ERP", "status": "erp_exported", "is_customer_notified": 0, "is_visible_on_front": 0, "parent_id": id}}))).await;
    assert_eq!(s, 200);
    assert_eq!(sb.order_json(id).unwrap()["status"], "erp_exported");
    let (s, v) = call(
        &sb,
        Method::POST,
        &format!("/rest/V1/orders/{id}/comments"),
        Some(&t),
        Some(json!({"statusHistory": {"comment": "x", "status": "complete"}})),
    )
    .await;
    assert_eq!(s, 400, "{v}");
}

#[tokio::test]
async fn async_bulk_source_items_reports_each_operation() {
    let sb = sandbox();
    let t = admin(&sb).await;
    let body = json!([
        {"sourceItems": [{"sku": "MB-1001", "source_code": "default", "quantity": 11, "status": 1}]},
        {"sourceItems": [{"sku": "NOPE-1", "source_code": "default", "quantity": 3, "status": 1}]},
        {"sourceItems": [{"sku": "MB-1002", "source_code": "nowhere", "quantity": 3, "status": 1}]},
    ]);
    let (s, v) = call(
        &sb,
        Method::POST,
        "/rest/async/bulk/V1/inventory/source-items",
        Some(&t),
        Some(body),
    )
    .await;
    assert_eq!(s, 202, "{v}");
    let uuid = v["bulk_uuid"].as_str().unwrap().to_string();
    let (_, first) = call(
        &sb,
        Method::GET,
        &format!("/rest/V1/bulk/{uuid}/status"),
        Some(&t),
        None,
    )
    .await;
    assert!(
        first["operations_list"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == 4),
        "open until the consumer ran: {first}"
    );
    let (_, done) = call(
        &sb,
        Method::GET,
        &format!("/rest/V1/bulk/{uuid}/status"),
        Some(&t),
        None,
    )
    .await;
    let statuses: Vec<u64> = done["operations_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![1, 3, 3]);
    assert_eq!(sb.source_quantity("MB-1001", "default"), Some(11.into()));
    let (s, v) = call(&sb, Method::POST, "/rest/V1/inventory/source-items", Some(&t), Some(json!({"sourceItems": (0..21).map(|_| json!({"sku": "MB-1001", "source_code": "default", "quantity": 1, "status": 1})).collect::<Vec<_>>()}))).await;
    assert_eq!(s, 400, "{v}");
}

#[tokio::test]
async fn amounts_are_numbers_and_dates_magento_style() {
    let sb = sandbox();
    for o in sb.orders() {
        let v = sb.order_json(o.id).unwrap();
        assert!(v["grand_total"].is_number());
        let created = v["created_at"].as_str().unwrap();
        assert!(
            bc_sandbox_magento::wire::parse_date(created).is_some(),
            "{created}"
        );
        let tax: rust_decimal::Decimal = v["extension_attributes"]["item_applied_taxes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["applied_taxes"].as_array().unwrap().iter())
            .map(|a| bc_sandbox_magento::wire::dec(&a["amount"]).unwrap())
            .sum();
        assert_eq!(
            tax,
            bc_sandbox_magento::wire::dec(&v["tax_amount"]).unwrap(),
            "order {}",
            o.id
        );
    }
    assert!(sb.orders().iter().any(|o| o.currency == "EUR"));
    assert!(sb.orders().iter().any(|o| o.state == "closed"));
}
