//! PaymentMethod (CA204000) as the Default endpoint serves it: the seeded methods with their
//! allowed cash accounts (only with `$expand`), filters on its key and `Active`, PUT rules
//! (ID length, cash accounts that exist), and a payment may name only an active AR method.

mod common;
use common::{call, login, E};

use http::StatusCode;
use serde_json::{json, Value};

use bc_sandbox_acumatica::{AcumaticaSandbox, AcumaticaSandboxConfig};

fn ids(rows: &Value) -> Vec<String> {
    rows.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["PaymentMethodID"]["value"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_seeded_methods_list_their_cash_accounts_when_expanded() {
    let sb = AcumaticaSandbox::new(AcumaticaSandboxConfig::default());
    let c = login(&sb).await;
    let (s, rows, _) = call(&sb, "GET", &format!("{E}/PaymentMethod"), &c, Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    let mut got = ids(&rows);
    got.sort();
    assert_eq!(got, ["CARD", "CASH", "CHECK", "GIFTCARD", "PAYPAL", "WIRE"]);
    assert!(rows[0].get("AllowedCashAccounts").is_none(), "{}", rows[0]);
    let (s, card, _) = call(
        &sb,
        "GET",
        &format!("{E}/PaymentMethod/CARD?$expand=AllowedCashAccounts"),
        &c,
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{card}");
    let cash: Vec<&str> = card["AllowedCashAccounts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d["CashAccount"]["value"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(cash, ["10200", "10100"]);
    let (s, one, _) = call(
        &sb,
        "GET",
        &format!("{E}/PaymentMethod?$filter=PaymentMethodID%20eq%20%27PAYPAL%27"),
        &c,
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&one), ["PAYPAL"]);
    let (s, _, _) = call(
        &sb,
        "GET",
        &format!("{E}/PaymentMethod?$filter=MeansOfPayment%20eq%20%27Cash%27"),
        &c,
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn put_checks_the_id_and_the_cash_accounts() {
    let sb = AcumaticaSandbox::new(AcumaticaSandboxConfig::default());
    let c = login(&sb).await;
    for body in [
        json!({"PaymentMethodID": {"value": "MUCHTOOLONGID"}}),
        json!({"PaymentMethodID": {"value": "ACH"},
               "AllowedCashAccounts": [{"CashAccount": {"value": "99999"}}]}),
    ] {
        let (s, e, _) = call(&sb, "PUT", &format!("{E}/PaymentMethod"), &c, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
    }
    let (s, made, _) = call(
        &sb,
        "PUT",
        &format!("{E}/PaymentMethod"),
        &c,
        json!({"PaymentMethodID": {"value": "ACH"},
               "AllowedCashAccounts": [{"CashAccount": {"value": "10100"}}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{made}");
    assert_eq!(made["Active"]["value"], true);
    assert_eq!(made["UseInAR"]["value"], true);
}

#[tokio::test]
async fn a_payment_names_an_active_ar_method() {
    let sb = AcumaticaSandbox::new(AcumaticaSandboxConfig::default());
    let c = login(&sb).await;
    let payment = |method: &str| {
        json!({"Type": {"value": "Payment"}, "CustomerID": {"value": "ERPC0004"},
               "PaymentMethod": {"value": method}, "CashAccount": {"value": "10100"},
               "PaymentAmount": {"value": 10}})
    };
    let (s, e, _) = call(&sb, "PUT", &format!("{E}/Payment"), &c, payment("ACH")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _, _) = call(
        &sb,
        "PUT",
        &format!("{E}/PaymentMethod"),
        &c,
        json!({"PaymentMethodID": {"value": "ACH"}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, ok, _) = call(&sb, "PUT", &format!("{E}/Payment"), &c, payment("ACH")).await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    // Made inactive: payments may no longer name it.
    let (s, _, _) = call(
        &sb,
        "PUT",
        &format!("{E}/PaymentMethod"),
        &c,
        json!({"PaymentMethodID": {"value": "ACH"}, "Active": {"value": false}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e, _) = call(&sb, "PUT", &format!("{E}/Payment"), &c, payment("ACH")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
}
