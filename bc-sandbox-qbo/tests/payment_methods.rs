//! PaymentMethod: the list a new company starts with, queries on filterable fields only, QBO's
//! rules on create (name required, unique, 31 characters, `Type`), and `PaymentMethodRef` on
//! payments and sales receipts checked like every other reference.

mod common;

use common::Harness;
use http::StatusCode;
use serde_json::{json, Value};

fn names(body: &Value) -> Vec<String> {
    body["QueryResponse"]["PaymentMethod"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["Name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn code(body: &Value) -> &str {
    body["Fault"]["Error"][0]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_new_company_has_the_usual_payment_methods() {
    let h = Harness::us();
    let (s, body) = h.query("select * from PaymentMethod").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        names(&body),
        [
            "Cash",
            "Check",
            "Visa",
            "MasterCard",
            "Discover",
            "American Express",
            "Diners Club"
        ]
    );
    let visa = &body["QueryResponse"]["PaymentMethod"][2];
    assert_eq!(visa["Type"], "CREDIT_CARD");
    assert_eq!(visa["Active"], true);
    assert!(visa["Id"].as_str().is_some() && visa["SyncToken"] == "0");
    let (s, one) = h
        .query("SELECT * FROM PaymentMethod WHERE Name = 'Visa'")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(names(&one), ["Visa"]);
    let (s, read) = h
        .get(&format!(
            "paymentmethod/{}",
            visa["Id"].as_str().unwrap_or("")
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(read["PaymentMethod"]["Name"], "Visa");
}

#[tokio::test]
async fn only_name_and_id_are_filterable_and_queries_page() {
    let h = Harness::us();
    for q in [
        "select * from PaymentMethod where Type = 'CREDIT_CARD'",
        "select * from PaymentMethod where Active = true",
    ] {
        let (s, body) = h.query(q).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(code(&body), "4001", "{q}: {body}");
    }
    let (_, page) = h
        .query("select * from PaymentMethod STARTPOSITION 3 MAXRESULTS 2")
        .await;
    assert_eq!(names(&page), ["Visa", "MasterCard"]);
    assert_eq!(page["QueryResponse"]["startPosition"], 3);
}

#[tokio::test]
async fn create_follows_qbo_rules_and_an_inactive_method_is_not_listed() {
    let h = Harness::us();
    let (s, made) = h
        .post(
            "paymentmethod",
            json!({ "Name": "PayPal", "Type": "NON_CREDIT_CARD" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{made}");
    assert_eq!(made["PaymentMethod"]["Active"], true);
    for (body, want) in [
        (json!({ "Type": "CREDIT_CARD" }), "2020"),
        (json!({ "Name": "paypal" }), "6240"),
        (
            json!({ "Name": "A name longer than thirty-one chars" }),
            "2050",
        ),
        (json!({ "Name": "Wire", "Type": "BANK" }), "2050"),
    ] {
        let (s, e) = h.post("paymentmethod", body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&e), want, "{body}: {e}");
    }
    let mut inactive = made["PaymentMethod"].clone();
    inactive["Active"] = json!(false);
    let (s, _) = h.post("paymentmethod", inactive).await;
    assert_eq!(s, StatusCode::OK);
    let (_, all) = h.query("select * from PaymentMethod").await;
    assert!(!names(&all).contains(&"PayPal".to_string()));
}

#[tokio::test]
async fn payments_and_sales_receipts_must_name_an_existing_method() {
    let h = Harness::us();
    let receipt = |method: &str| {
        json!({
            "CustomerRef": { "value": "1" },
            "PaymentMethodRef": { "value": method },
            "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 25,
                       "SalesItemLineDetail": { "ItemRef": { "value": "2" }, "Qty": 1, "UnitPrice": 25,
                                                "TaxCodeRef": { "value": "NON" } } }]
        })
    };
    let (s, e) = h.post("salesreceipt", receipt("999")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(code(&e), "2500", "{e}");
    let (_, visa) = h
        .query("select * from PaymentMethod where Name = 'Visa'")
        .await;
    let visa_id = visa["QueryResponse"]["PaymentMethod"][0]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (s, ok) = h.post("salesreceipt", receipt(&visa_id)).await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    assert_eq!(ok["SalesReceipt"]["PaymentMethodRef"]["name"], "Visa");

    let (s, inv) = h
        .post(
            "invoice",
            json!({ "CustomerRef": { "value": "1" },
                    "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 25,
                               "SalesItemLineDetail": { "ItemRef": { "value": "2" }, "Qty": 1, "UnitPrice": 25,
                                                        "TaxCodeRef": { "value": "NON" } } }] }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{inv}");
    let inv_id = inv["Invoice"]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let payment = |method: &str| {
        json!({ "CustomerRef": { "value": "1" }, "TotalAmt": 25,
                "PaymentMethodRef": { "value": method },
                "Line": [{ "Amount": 25, "LinkedTxn": [{ "TxnId": inv_id, "TxnType": "Invoice" }] }] })
    };
    let (s, e) = h.post("payment", payment("999")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(code(&e), "2500", "{e}");
    let (s, ok) = h.post("payment", payment(&visa_id)).await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    assert_eq!(ok["Payment"]["PaymentMethodRef"]["value"], visa_id);
}
