//! The sandbox's rules: auth and token rotation, SyncToken, duplicate checks, requestid replay,
//! batch limits, journals, amounts, tax, payments, stock, CDC, faults.

mod common;

use base64::Engine;
use bc_sandbox::faults::FaultPlan;
use bc_sandbox_qbo::{Company, EntityKind, QboConfig, QboSandbox, Shipment};
use common::{dec, Harness};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn invoice(doc: Option<&str>, amount: f64) -> Value {
    let mut v = json!({
        "CustomerRef": { "value": "1" },
        "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": amount,
                   "SalesItemLineDetail": { "ItemRef": { "value": "1" } } }]
    });
    if let Some(d) = doc {
        v["DocNumber"] = json!(d);
    }
    v
}

#[tokio::test]
async fn wrong_or_expired_token_is_a_401_with_the_qbo_body() {
    let h = Harness::us();
    let uri = h.path("companyinfo/1");
    let (s, headers, body) = h
        .send_raw(
            "GET",
            &uri,
            Some("not-a-token"),
            "application/json",
            Vec::new(),
        )
        .await;
    assert_eq!(s, 401);
    let body = body.unwrap_or_default();
    assert_eq!(body["fault"]["type"], "AUTHENTICATION");
    assert_eq!(body["fault"]["error"][0]["code"], "3200");
    assert_eq!(
        body["fault"]["error"][0]["message"],
        "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    );
    assert!(headers.get("www-authenticate").is_some());
    let (s, _, _) = h
        .send_raw("GET", &uri, None, "application/json", Vec::new())
        .await;
    assert_eq!(s, 401);

    let (s, _) = h.get("companyinfo/1").await;
    assert_eq!(s, 200);
    h.sandbox.expire_access_tokens();
    let (s, body) = h.get("companyinfo/1").await;
    assert_eq!(s, 401);
    assert_eq!(body["fault"]["error"][0]["detail"], "Token expired");
}

async fn token_call(h: &Harness, form: &str, secret: &str) -> (http::StatusCode, Value) {
    let creds = h.sandbox.credentials_json();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        creds["client_id"].as_str().unwrap_or_default(),
        secret
    ));
    let req = http::Request::builder()
        .method("POST")
        .uri("/oauth2/v1/tokens/bearer")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Basic {basic}"))
        .body(axum::body::Body::from(form.to_string()))
        .expect("request");
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let resp = h.router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn refresh_tokens_rotate_and_codes_are_single_use() {
    let h = Harness::us();
    let creds = h.sandbox.credentials_json();
    let secret = creds["client_secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let old = creds["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let form = format!("grant_type=refresh_token&refresh_token={old}");
    let (s, body) = token_call(&h, &form, &secret).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["x_refresh_token_expires_in"], 8726400);
    let new_refresh = body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_ne!(new_refresh, old);
    // The new access token works.
    let uri = h.path("companyinfo/1");
    let (s, _, _) = h
        .send_raw(
            "GET",
            &uri,
            body["access_token"].as_str(),
            "application/json",
            Vec::new(),
        )
        .await;
    assert_eq!(s, 200);
    // The old refresh token is spent.
    let (s, body) = token_call(&h, &form, &secret).await;
    assert_eq!(s, 400);
    assert_eq!(body, json!({ "error": "invalid_grant" }));
    // The new one works once more.
    let (s, _) = token_call(
        &h,
        &format!("grant_type=refresh_token&refresh_token={new_refresh}"),
        &secret,
    )
    .await;
    assert_eq!(s, 200);
    // Wrong client secret.
    let (s, body) = token_call(&h, &form, "wrong").await;
    assert_eq!(s, 401);
    assert_eq!(body["error"], "invalid_client");
    // Authorization code: once.
    let code = h.sandbox.authorization_code();
    let form =
        format!("grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2Flocalhost");
    let (s, body) = token_call(&h, &form, &secret).await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = token_call(&h, &form, &secret).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn stale_sync_token_is_5010_and_sparse_update_merges() {
    let h = Harness::us();
    let (_, c) = h.get("customer/1").await;
    assert_eq!(c["Customer"]["SyncToken"], "0");
    let (s, u) = h
        .post(
            "customer",
            json!({ "Id": "1", "SyncToken": "0", "sparse": true, "Notes": "VIP" }),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["Customer"]["SyncToken"], "1");
    assert_eq!(u["Customer"]["Notes"], "VIP");
    assert_eq!(u["Customer"]["DisplayName"], "Amy's Bird Sanctuary");
    let (s, body) = h
        .post(
            "customer",
            json!({ "Id": "1", "SyncToken": "0", "sparse": true, "Notes": "late" }),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["Fault"]["Error"][0]["code"], "5010");
    assert_eq!(body["Fault"]["Error"][0]["Message"], "Stale Object Error");
    let (s, body) = h
        .post("customer", json!({ "Id": "1", "sparse": true }))
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["Fault"]["Error"][0]["code"], "2020");
}

#[tokio::test]
async fn duplicate_doc_number_is_6140_unless_allowed() {
    let h = Harness::us();
    h.sandbox.set_duplicate_doc_number_check(true);
    let (s, first) = h.post("invoice", invoice(Some("ORD-1"), 10.0)).await;
    assert_eq!(s, 200);
    let id = first["Invoice"]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (s, body) = h.post("invoice", invoice(Some("ORD-1"), 10.0)).await;
    assert_eq!(s, 400);
    let e = &body["Fault"]["Error"][0];
    assert_eq!(e["code"], "6140");
    assert_eq!(e["Message"], "Duplicate Document Number Error");
    assert_eq!(
        e["Detail"],
        format!("Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=ORD-1 is assigned to TxnType=Invoice with TxnId={id}")
    );
    let (s, _) = h
        .post(
            "invoice?include=allowduplicatedocnum",
            invoice(Some("ORD-1"), 10.0),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(h.sandbox.duplicates().extra_documents(), 1);
    // Without a DocNumber one is assigned.
    let (_, auto) = h.post("invoice", invoice(None, 1.0)).await;
    assert_eq!(auto["Invoice"]["DocNumber"], "1001");
}

#[tokio::test]
async fn duplicate_display_name_is_6240_across_customers_and_vendors() {
    let h = Harness::us();
    let (s, body) = h
        .post("customer", json!({ "DisplayName": "books by bessie" }))
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["Fault"]["Error"][0]["code"], "6240");
    assert_eq!(
        body["Fault"]["Error"][0]["Message"],
        "Duplicate Name Exists Error"
    );
    let (s, _) = h
        .post("customer", json!({ "DisplayName": "New Shopper" }))
        .await;
    assert_eq!(s, 200);
    let (s, _) = h
        .post("vendor", json!({ "DisplayName": "New Shopper" }))
        .await;
    assert_eq!(s, 400);
    let (s, body) = h
        .post(
            "item",
            json!({ "Name": "Widget", "Type": "Service", "IncomeAccountRef": {"value": "1"} }),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["Fault"]["Error"][0]["code"], "6240");
}

#[tokio::test]
async fn requestid_replays_the_first_response_and_writes_once() {
    let h = Harness::us();
    let (s1, b1) = h
        .post(
            "invoice?requestid=abc-123&minorversion=75",
            invoice(Some("R-1"), 5.0),
        )
        .await;
    let (s2, b2) = h
        .post(
            "invoice?requestid=abc-123&minorversion=75",
            invoice(Some("R-1"), 5.0),
        )
        .await;
    assert_eq!((s1.as_u16(), s2.as_u16()), (200, 200));
    assert_eq!(b1, b2);
    assert_eq!(h.sandbox.invoices().len(), 1);
    // A different id is a different request: a new company does not check numbers, so this
    // is a second invoice with the same number.
    let (s3, _) = h
        .post("invoice?requestid=abc-124", invoice(Some("R-1"), 5.0))
        .await;
    assert_eq!(s3, 200);
    assert_eq!(h.sandbox.invoices().len(), 2);
}

#[tokio::test]
async fn commit_then_fail_then_retry_with_the_same_requestid_posts_once() {
    let h = Harness::us();
    h.sandbox.set_fault_plan(FaultPlan {
        seed: 7,
        commit_then_fail_rate: 1.0,
        ..FaultPlan::none()
    });
    let uri = h.path("invoice?requestid=retry-1");
    let body = invoice(Some("CTF-1"), 12.5).to_string().into_bytes();
    let (s, _, read) = h
        .send_raw(
            "POST",
            &uri,
            Some(&h.token),
            "application/json",
            body.clone(),
        )
        .await;
    assert!(
        s == 502 || read.is_err(),
        "the client must not see a success"
    );
    assert_eq!(h.sandbox.invoices().len(), 1, "the write was applied");
    h.sandbox.set_fault_plan(FaultPlan::none());
    let (s, _, read) = h
        .send_raw("POST", &uri, Some(&h.token), "application/json", body)
        .await;
    assert_eq!(s, 200);
    assert_eq!(read.unwrap_or_default()["Invoice"]["DocNumber"], "CTF-1");
    assert_eq!(h.sandbox.invoices().len(), 1);
}

#[tokio::test]
async fn batch_of_31_is_refused() {
    let h = Harness::us();
    let items: Vec<Value> = (0..31)
        .map(|i| json!({ "bId": format!("b{i}"), "operation": "create", "Customer": { "DisplayName": format!("C{i}") } }))
        .collect();
    let (s, body) = h.post("batch", json!({ "BatchItemRequest": items })).await;
    assert_eq!(s, 400);
    assert!(body["Fault"]["Error"][0]["code"].is_string());
    assert_eq!(h.sandbox.customers().len(), 2);
    let items: Vec<Value> = (0..30)
        .map(|i| json!({ "bId": format!("b{i}"), "operation": "create", "Customer": { "DisplayName": format!("C{i}") } }))
        .collect();
    let (s, body) = h.post("batch", json!({ "BatchItemRequest": items })).await;
    assert_eq!(s, 200);
    assert_eq!(body["BatchItemResponse"].as_array().map(Vec::len), Some(30));
    assert_eq!(h.sandbox.customers().len(), 32);
}

#[tokio::test]
async fn journal_entries_must_balance() {
    let h = Harness::us();
    let line = |amount: &str, posting: &str, account: &str| {
        json!({ "DetailType": "JournalEntryLineDetail", "Amount": amount.parse::<f64>().unwrap_or(0.0),
                "JournalEntryLineDetail": { "PostingType": posting, "AccountRef": { "value": account } } })
    };
    let (s, body) = h
        .post(
            "journalentry",
            json!({ "Line": [line("100.00", "Debit", "7"), line("99.99", "Credit", "1")] }),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["Fault"]["type"], "ValidationFault");
    assert_eq!(body["Fault"]["Error"][0]["code"], "6000");
    let (s, body) = h
        .post("journalentry", json!({ "DocNumber": "JE-1", "Line": [line("100.00", "Debit", "7"), line("100.00", "Credit", "1")] }))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(dec(&body["JournalEntry"]["TotalAmt"]), d("100"));
    assert_eq!(
        body["JournalEntry"]["Line"][0]["JournalEntryLineDetail"]["AccountRef"]["name"],
        "Checking"
    );
    // A/R needs a customer.
    let (s, _) = h
        .post(
            "journalentry",
            json!({ "Line": [line("5", "Debit", "5"), line("5", "Credit", "1")] }),
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn amount_must_equal_qty_times_unit_price() {
    let h = Harness::us();
    let (s, body) = h
        .post("invoice", json!({ "CustomerRef": { "value": "1" }, "Line": [{
            "DetailType": "SalesItemLineDetail", "Amount": 1000,
            "SalesItemLineDetail": { "ItemRef": { "value": "2" }, "Qty": 7, "UnitPrice": 225 } }] }))
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["Fault"]["Error"][0]["code"], "6070");
    assert_eq!(body["Fault"]["Error"][0]["element"], "Line.Amount");
    let (s, _) = h.post("invoice", json!({ "Line": [] })).await;
    assert_eq!(s, 400);
    let (s, body) = h.post("invoice", json!({ "CustomerRef": { "value": "77" }, "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 1, "SalesItemLineDetail": {}}] })).await;
    assert_eq!(s, 400);
    assert_eq!(body["Fault"]["Error"][0]["code"], "2500");
}

#[tokio::test]
async fn us_sales_tax_discount_and_exact_decimals() {
    let h = Harness::us();
    let (s, body) = h
        .post("invoice", json!({
            "CustomerRef": { "value": "1" },
            "TxnTaxDetail": { "TxnTaxCodeRef": { "value": "2" } },
            "Line": [
                { "DetailType": "SalesItemLineDetail", "Amount": 50.00,
                  "SalesItemLineDetail": { "ItemRef": { "value": "2" }, "Qty": 2, "UnitPrice": 25, "TaxCodeRef": { "value": "TAX" } } },
                { "DetailType": "SalesItemLineDetail", "Amount": 19.99,
                  "SalesItemLineDetail": { "ItemRef": { "value": "4" }, "TaxCodeRef": { "value": "NON" } } },
                { "DetailType": "DiscountLineDetail", "Amount": 5.00,
                  "DiscountLineDetail": { "PercentBased": false } }
            ]
        }))
        .await;
    assert_eq!(s, 200, "{body}");
    let inv = &body["Invoice"];
    // Taxable 50.00 at 7.25 % and 1.375 % (tax before discount): 3.63 + 0.69.
    assert_eq!(dec(&inv["TxnTaxDetail"]["TotalTax"]), d("4.32"));
    assert_eq!(
        inv["TxnTaxDetail"]["TaxLine"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(dec(&inv["TotalAmt"]), d("69.31"));
    assert_eq!(dec(&inv["Balance"]), d("69.31"));
    assert_eq!(
        inv["Line"][2]["DiscountLineDetail"]["DiscountAccountRef"]["name"],
        "Discounts given"
    );
    // Stock of the inventory item went down by 2.
    let widget = h.sandbox.entity(EntityKind::Item, "2").unwrap_or_default();
    assert_eq!(dec(&widget["QtyOnHand"]), d("98"));
}

#[tokio::test]
async fn non_us_vat_per_line() {
    let h = Harness::new(QboConfig {
        company: Company::NonUs,
        ..QboConfig::default()
    });
    let (_, codes) = h.query("select * from TaxCode").await;
    let standard = codes["QueryResponse"]["TaxCode"][0]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (s, body) = h
        .post("invoice", json!({
            "CustomerRef": { "value": "1" },
            "GlobalTaxCalculation": "TaxExcluded",
            "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 10.05,
                       "SalesItemLineDetail": { "ItemRef": { "value": "1" }, "TaxCodeRef": { "value": standard } } }]
        }))
        .await;
    assert_eq!(s, 200, "{body}");
    let inv = &body["Invoice"];
    assert_eq!(dec(&inv["TxnTaxDetail"]["TotalTax"]), d("2.01"));
    assert_eq!(dec(&inv["TotalAmt"]), d("12.06"));
    assert_eq!(inv["CurrencyRef"]["value"], "GBP");
    assert_eq!(inv["GlobalTaxCalculation"], "TaxExcluded");
}

#[tokio::test]
async fn payments_reduce_invoice_and_customer_balances_and_void_restores_them() {
    let h = Harness::us();
    let (_, inv) = h.post("invoice", invoice(Some("P-1"), 80.0)).await;
    let inv_id = inv["Invoice"]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (s, pay) = h
        .post("payment", json!({ "CustomerRef": { "value": "1" }, "TotalAmt": 50.0,
            "Line": [{ "Amount": 30.0, "LinkedTxn": [{ "TxnId": inv_id, "TxnType": "Invoice" }] }] }))
        .await;
    assert_eq!(s, 200, "{pay}");
    assert_eq!(dec(&pay["Payment"]["UnappliedAmt"]), d("20"));
    let (_, inv) = h.get(&format!("invoice/{inv_id}")).await;
    assert_eq!(dec(&inv["Invoice"]["Balance"]), d("50"));
    assert_eq!(inv["Invoice"]["LinkedTxn"][0]["TxnType"], "Payment");
    let (_, cust) = h.get("customer/1").await;
    assert_eq!(dec(&cust["Customer"]["Balance"]), d("30"));
    // Over-applying is refused.
    let (s, _) = h
        .post("payment", json!({ "CustomerRef": { "value": "1" }, "TotalAmt": 60.0,
            "Line": [{ "Amount": 60.0, "LinkedTxn": [{ "TxnId": inv_id, "TxnType": "Invoice" }] }] }))
        .await;
    assert_eq!(s, 400);
    let pay_id = pay["Payment"]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (s, voided) = h
        .post(
            "payment?operation=void",
            json!({ "Id": pay_id, "SyncToken": "0" }),
        )
        .await;
    assert_eq!(s, 200, "{voided}");
    assert_eq!(dec(&voided["Payment"]["TotalAmt"]), d("0"));
    let (_, inv) = h.get(&format!("invoice/{inv_id}")).await;
    assert_eq!(dec(&inv["Invoice"]["Balance"]), d("80"));
    let (_, cust) = h.get("customer/1").await;
    assert_eq!(dec(&cust["Customer"]["Balance"]), d("80"));
}

#[tokio::test]
async fn delete_shows_in_cdc_and_shipments_and_stock_are_visible() {
    let h = Harness::us();
    let since = "2000-01-01T00:00:00Z";
    let (_, a) = h.post("invoice", invoice(Some("C-1"), 1.0)).await;
    let (_, b) = h.post("invoice", invoice(Some("C-2"), 2.0)).await;
    let b_id = b["Invoice"]["Id"].as_str().unwrap_or_default().to_string();
    let (s, del) = h
        .post(
            "invoice?operation=delete",
            json!({ "Id": b_id, "SyncToken": "0" }),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(del["Invoice"]["status"], "Deleted");
    let a_id = a["Invoice"]["Id"].as_str().unwrap_or_default().to_string();
    let shipped = h
        .sandbox
        .record_shipment(
            &a_id,
            &Shipment {
                ship_date: "2026-01-05".into(),
                tracking_num: "1Z999".into(),
                ship_method: "UPS".into(),
            },
        )
        .unwrap_or_default();
    assert_eq!(shipped["SyncToken"], "1");
    h.sandbox.adjust_quantity("3", d("-4")).unwrap_or_default();
    let (s, cdc) = h
        .get(&format!("cdc?entities=Invoice,Item&changedSince={since}"))
        .await;
    assert_eq!(s, 200, "{cdc}");
    let blocks = cdc["CDCResponse"][0]["QueryResponse"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(blocks.len(), 2);
    let invoices = blocks[0]["Invoice"].as_array().cloned().unwrap_or_default();
    assert!(invoices
        .iter()
        .any(|i| i["TrackingNum"] == "1Z999" && i["ShipMethodRef"]["value"] == "UPS"));
    assert!(invoices
        .iter()
        .any(|i| i["status"] == "Deleted" && i["Id"] == b_id.as_str()));
    let items = blocks[1]["Item"].as_array().cloned().unwrap_or_default();
    assert!(items
        .iter()
        .any(|i| i["Id"] == "3" && dec(&i["QtyOnHand"]) == d("46")));
    // TrackingNum is not filterable: read the invoice instead.
    let (_, q) = h
        .query("select * from Invoice where TrackingNum = '1Z999'")
        .await;
    assert_eq!(q["Fault"]["Error"][0]["code"], "4001");
    let (s, bad) = h.get("cdc?entities=Invoice").await;
    assert_eq!(s, 400);
    assert_eq!(bad["Fault"]["Error"][0]["code"], "2020");
}

#[tokio::test]
async fn introspection_routes_answer() {
    let sb = QboSandbox::new(QboConfig::default());
    let h = Harness {
        router: sb.router(),
        realm: sb.config().realm_id.clone(),
        token: sb.credentials_json()["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        sandbox: sb,
    };
    let (_, _) = h.post("invoice", invoice(Some("S-1"), 3.0)).await;
    let (s, _, state) = h
        .send_raw(
            "GET",
            "/__sandbox/state",
            None,
            "application/json",
            Vec::new(),
        )
        .await;
    assert_eq!(s, 200);
    let state = state.unwrap_or_default();
    assert_eq!(state["counts"]["Invoice"], 1);
    assert_eq!(dec(&state["totals"]["Invoice"]["total"]), d("3"));
    let (s, _, req) = h
        .send_raw(
            "GET",
            "/__sandbox/requests",
            None,
            "application/json",
            Vec::new(),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        req.unwrap_or_default()["by_route"]["POST /v3/company/{realm_id}/{entity}"],
        1
    );
    let (s, _, docs) = h
        .send_raw(
            "GET",
            "/__sandbox/qbo/documents?entity=invoice",
            None,
            "application/json",
            Vec::new(),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        docs.unwrap_or_default()["Invoice"].as_array().map(Vec::len),
        Some(1)
    );
    let (s, _, _) = h
        .send_raw("POST", "/__sandbox/qbo/shipments", None, "application/json",
            json!({ "invoice_id": "1", "ShipDate": "2026-02-01", "TrackingNum": "T1", "ShipMethod": "FedEx" }).to_string().into_bytes())
        .await;
    assert_eq!(s, 200);
    let creds = h.sandbox.credentials_json();
    for key in [
        "realm_id",
        "client_id",
        "client_secret",
        "access_token",
        "refresh_token",
    ] {
        assert!(creds[key].is_string(), "{key}");
    }
    assert!(!format!("{:?}", h.sandbox.config())
        .contains(creds["client_secret"].as_str().unwrap_or("x")));
}

#[tokio::test]
async fn multicurrency_carries_currency_and_exchange_rate() {
    let h = Harness::new(QboConfig {
        multicurrency: true,
        ..QboConfig::default()
    });
    let (s, c) = h
        .post(
            "customer",
            json!({ "DisplayName": "Euro Shop", "CurrencyRef": { "value": "EUR" } }),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    let cid = c["Customer"]["Id"].as_str().unwrap_or_default().to_string();
    let line = json!([{ "DetailType": "SalesItemLineDetail", "Amount": 100,
                        "SalesItemLineDetail": { "ItemRef": { "value": "1" } } }]);
    // The customer's currency must match the transaction's.
    let (s, _) = h
        .post(
            "invoice",
            json!({ "CustomerRef": { "value": cid }, "Line": line }),
        )
        .await;
    assert_eq!(s, 400);
    let (s, body) = h
        .post(
            "invoice",
            json!({ "CustomerRef": { "value": cid }, "Line": line,
            "CurrencyRef": { "value": "EUR" }, "ExchangeRate": 1.0825 }),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let inv = &body["Invoice"];
    assert_eq!(
        inv["CurrencyRef"],
        json!({ "value": "EUR", "name": "Euro" })
    );
    assert_eq!(dec(&inv["ExchangeRate"]), d("1.0825"));
    assert_eq!(dec(&inv["HomeTotalAmt"]), d("108.25"));
    // Multicurrency off: a foreign currency is refused.
    let off = Harness::us();
    let (s, _) = off
        .post("invoice", json!({ "CustomerRef": { "value": "1" }, "Line": line, "CurrencyRef": { "value": "EUR" } }))
        .await;
    assert_eq!(s, 400);
    let (_, prefs) = h.get("preferences").await;
    assert_eq!(
        prefs["Preferences"]["CurrencyPrefs"]["MultiCurrencyEnabled"],
        true
    );
}

#[tokio::test]
async fn non_us_tax_inclusive_backs_out_the_net() {
    let h = Harness::new(QboConfig {
        company: Company::NonUs,
        ..QboConfig::default()
    });
    let (s, body) = h
        .post("salesreceipt", json!({
            "GlobalTaxCalculation": "TaxInclusive",
            "Line": [{ "DetailType": "SalesItemLineDetail",
                       "SalesItemLineDetail": { "ItemRef": { "value": "1" }, "TaxCodeRef": { "value": "1" }, "TaxInclusiveAmt": 12.00 } }]
        }))
        .await;
    assert_eq!(s, 200, "{body}");
    let r = &body["SalesReceipt"];
    assert_eq!(dec(&r["Line"][0]["Amount"]), d("10"));
    assert_eq!(dec(&r["TxnTaxDetail"]["TotalTax"]), d("2"));
    assert_eq!(dec(&r["TotalAmt"]), d("12"));
    // A line without any VAT code is refused in a VAT company.
    let (s, body) = h
        .post("salesreceipt", json!({ "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 5,
            "SalesItemLineDetail": { "ItemRef": { "value": "1" }, "TaxCodeRef": { "value": "99" } } }] }))
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["Fault"]["Error"][0]["code"], "2500");
    let (_, info) = h.get("companyinfo/1").await;
    assert_eq!(info["CompanyInfo"]["Country"], "GB");
}

#[tokio::test]
async fn long_requestid_paid_invoice_delete_batch_quota_and_tid() {
    let h = Harness::us();
    let long = "x".repeat(68);
    let (s, body) = h
        .post(&format!("invoice?requestid={long}"), invoice(None, 1.0))
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["Fault"]["Error"][0]["code"], "6000");
    assert!(h.sandbox.invoices().is_empty());

    let (_, inv) = h.post("invoice", invoice(Some("PD-1"), 20.0)).await;
    let id = inv["Invoice"]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (s, _) = h
        .post(
            "payment",
            json!({ "CustomerRef": { "value": "1" }, "TotalAmt": 20,
            "Line": [{ "Amount": 20, "LinkedTxn": [{ "TxnId": id, "TxnType": "Invoice" }] }] }),
        )
        .await;
    assert_eq!(s, 200);
    let (_, cur) = h.get(&format!("invoice/{id}")).await;
    assert_eq!(dec(&cur["Invoice"]["Balance"]), d("0"));
    let token = cur["Invoice"]["SyncToken"].clone();
    let (s, body) = h
        .post(
            "invoice?operation=delete",
            json!({ "Id": id, "SyncToken": token }),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(h.sandbox.invoices().len(), 1);

    h.sandbox.set_batch_limit(1);
    let batch = json!({ "BatchItemRequest": [{ "bId": "1", "Query": "select * from Item" }] });
    let (s, _) = h.post("batch", batch.clone()).await;
    assert_eq!(s, 200);
    let (s, body) = h.post("batch", batch).await;
    assert_eq!(s, 429);
    assert_eq!(body["Fault"]["Error"][0]["code"], "3001");

    let uri = h.path("companyinfo/1");
    let (_, headers, _) = h
        .send_raw("GET", &uri, Some(&h.token), "application/json", Vec::new())
        .await;
    assert!(headers.get("intuit_tid").is_some());
}

#[tokio::test]
async fn same_seed_same_credentials_and_cdc_window_moves_with_the_clock() {
    let a = QboSandbox::new(QboConfig::seeded(42, 0.0)).credentials_json();
    let b = QboSandbox::new(QboConfig::seeded(42, 0.0)).credentials_json();
    let c = QboSandbox::new(QboConfig::seeded(43, 0.0)).credentials_json();
    assert_eq!(a, b);
    assert_ne!(a["access_token"], c["access_token"]);

    let h = Harness::us();
    // Within the token's hour: the sandbox is 30 minutes ahead, the window starts 15 minutes ahead.
    h.sandbox.advance_clock(chrono::Duration::minutes(30));
    let since = chrono::Utc::now() + chrono::Duration::minutes(15);
    let (_, _) = h.post("invoice", invoice(Some("W-1"), 1.0)).await;
    let (s, cdc) = h
        .get(&format!(
            "cdc?entities=Invoice,Customer&changedSince={}",
            common::url_escape(&since.to_rfc3339())
        ))
        .await;
    assert_eq!(s, 200, "{cdc}");
    let blocks = &cdc["CDCResponse"][0]["QueryResponse"];
    assert_eq!(blocks[0]["Invoice"].as_array().map(Vec::len), Some(1));
    // The seeded customers were not changed since then; Amy's balance was (the new invoice).
    assert_eq!(blocks[1]["Customer"].as_array().map(Vec::len), Some(1));
    assert_eq!(blocks[1]["Customer"][0]["Id"], "1");
    // Another 31 minutes and the access token has expired.
    h.sandbox.advance_clock(chrono::Duration::minutes(31));
    let (s, _) = h.get("companyinfo/1").await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn query_filters_projection_and_inactive_rows() {
    let h = Harness::us();
    let (_, q) = h
        .query("select Id, DisplayName from Customer where PrimaryEmailAddr = 'birds@intuit.com'")
        .await;
    let row = &q["QueryResponse"]["Customer"][0];
    assert_eq!(row["DisplayName"], "Amy's Bird Sanctuary");
    assert!(row.get("BillAddr").is_none());
    let (_, q) = h
        .query("select * from Customer where DisplayName LIKE '%windsurf%'")
        .await;
    assert_eq!(q["QueryResponse"]["Customer"][0]["Id"], "2");
    let (_, q) = h
        .query("select * from Item where Sku IN ('WIDGET-1', 'GADGET-1') ORDERBY Sku")
        .await;
    let skus: Vec<&str> = q["QueryResponse"]["Item"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["Sku"].as_str())
        .collect();
    assert_eq!(skus, vec!["GADGET-1", "WIDGET-1"]);
    // "Delete" of a customer makes it inactive: gone from default queries, there with Active = false.
    let (s, _) = h
        .post(
            "customer?operation=delete",
            json!({ "Id": "2", "SyncToken": "0" }),
        )
        .await;
    assert_eq!(s, 200);
    let (_, q) = h.query("select count(*) from Customer").await;
    assert_eq!(q["QueryResponse"]["totalCount"], 1);
    let (_, q) = h.query("select * from Customer where Active = false").await;
    assert_eq!(
        q["QueryResponse"]["Customer"][0]["DisplayName"],
        "Bill's Windsurf Shop (deleted)"
    );
    let (_, q) = h
        .query("select * from TaxCode where Id IN ('TAX', 'NON')")
        .await;
    assert_eq!(q["QueryResponse"]["maxResults"], 2);
}

#[tokio::test]
async fn injected_faults_use_the_qbo_body_and_are_counted() {
    let h = Harness::us();
    h.sandbox.set_fault_plan(FaultPlan {
        seed: 3,
        error_rate: 1.0,
        ..FaultPlan::none()
    });
    let (s, body) = h.get("companyinfo/1").await;
    assert!([500, 502, 503, 429].contains(&s.as_u16()), "{s}");
    assert!(body["Fault"]["Error"][0]["code"].is_string(), "{body}");
    let stats = h.sandbox.stats().snapshot();
    assert_eq!(stats.faults.values().sum::<u64>(), 1);
    assert_eq!(
        stats.rate_limited, 0,
        "an injected 429 is not the platform's own throttle"
    );
}
