//! Currencies as Acumatica enforces them: only those the company has set up (the base currency
//! alone when multi-currency is off), and only the customer's own unless the customer has
//! "Enable Currency Override"; a refusal is a 422 with the error on the field.

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use bc_sandbox_acumatica::{AcumaticaSandbox, AcumaticaSandboxConfig};

const E: &str = "/entity/Default/24.200.001";

async fn call(
    sb: &AcumaticaSandbox,
    method: &str,
    path: &str,
    cookie: &str,
    body: Value,
) -> (StatusCode, Value, Vec<String>) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("cookie", cookie)
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = sb.router().oneshot(req).await.unwrap();
    let status = resp.status();
    let cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .collect();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        cookies,
    )
}

async fn login(sb: &AcumaticaSandbox) -> String {
    let (status, _, cookies) = call(
        sb,
        "POST",
        "/entity/auth/login",
        "",
        json!({"name": "api.user", "password": "sandbox-password-0000", "company": "SandboxCompany"}),
    )
    .await;
    assert!(status.is_success(), "{status}");
    cookies.join("; ")
}

fn order(customer: &str, currency: &str) -> Value {
    json!({
        "OrderType": {"value": "SO"},
        "CustomerID": {"value": customer},
        "CurrencyID": {"value": currency},
        "Details": [{"InventoryID": {"value": "WIDGET-RED"}, "OrderQty": {"value": 1}, "UnitPrice": {"value": 19.99}}],
    })
}

#[tokio::test]
async fn only_currencies_set_up_and_the_customers_own_are_accepted() {
    // Multi-currency off: the base currency only.
    let sb = AcumaticaSandbox::new(AcumaticaSandboxConfig {
        currencies: Vec::new(),
        ..AcumaticaSandboxConfig::default()
    });
    let cookie = login(&sb).await;
    let put = format!("{E}/SalesOrder");
    let (status, body, _) = call(&sb, "PUT", &put, &cookie, order("ERPC0001", "EUR")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["CurrencyID"]["error"], "'Currency' cannot be found in the system.",
        "{body}"
    );
    let (status, body, _) = call(&sb, "PUT", &put, &cookie, order("ERPC0001", "USD")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // No currency given: the customer's (the base currency).
    let mut none = order("ERPC0001", "USD");
    none.as_object_mut().unwrap().remove("CurrencyID");
    let (status, body, _) = call(&sb, "PUT", &put, &cookie, none).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["CurrencyID"]["value"], "USD", "{body}");
    let customer = json!({"CustomerID": {"value": "EURO1"}, "CustomerName": {"value": "Euro"}, "CurrencyID": {"value": "EUR"}});
    let (status, body, _) = call(&sb, "PUT", &format!("{E}/Customer"), &cookie, customer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["CurrencyID"]["error"].is_string(), "{body}");

    // Multi-currency on (EUR set up): another currency than the customer's needs the
    // customer's currency override.
    let sb = AcumaticaSandbox::new(AcumaticaSandboxConfig::default());
    let cookie = login(&sb).await;
    let (status, body, _) = call(&sb, "PUT", &put, &cookie, order("ERPC0001", "EUR")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["CurrencyID"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("currency override")),
        "{body}"
    );
    let (status, body, _) = call(&sb, "PUT", &put, &cookie, order("ERPC0001", "JPY")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["CurrencyID"]["error"],
        "'Currency' cannot be found in the system."
    );
    let customer = json!({"CustomerID": {"value": "MULTI1"}, "CustomerName": {"value": "Multi"}, "EnableCurrencyOverride": {"value": true}});
    let (status, body, _) = call(&sb, "PUT", &format!("{E}/Customer"), &cookie, customer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body, _) = call(&sb, "PUT", &put, &cookie, order("MULTI1", "EUR")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["CurrencyID"]["value"], "EUR");
}
