//! Currencies as Acumatica enforces them: only those the company has set up (the base currency
//! alone when multi-currency is off), and only the customer's own unless the customer has
//! "Enable Currency Override"; a refusal is a 422 with the error on the field.

mod common;
use common::{call, login, E};

use http::StatusCode;
use serde_json::{json, Value};

use bc_sandbox_acumatica::{AcumaticaSandbox, AcumaticaSandboxConfig};

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
