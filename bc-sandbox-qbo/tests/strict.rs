//! The strict sandbox: filters only on filterable fields (4001 otherwise), `requestid`s
//! remembered for a bounded window, the duplicate-number preference off in a new company,
//! Intuit's consent redirect, and credentials that name every URL.

mod common;

use bc_sandbox_qbo::{QboConfig, QboSandbox};
use common::Harness;
use serde_json::{json, Value};

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
async fn duplicate_numbers_pass_in_a_new_company_and_the_check_can_be_switched_on() {
    let h = Harness::us();
    assert!(
        !h.sandbox.duplicate_doc_number_check(),
        "off in a new company"
    );
    let (s, prefs) = h.get("preferences").await;
    assert_eq!(s, 200);
    let flag = |prefs: &serde_json::Value| {
        prefs["Preferences"]["OtherPrefs"]["NameValue"]
            .as_array()
            .and_then(|l| {
                l.iter()
                    .find(|nv| nv["Name"] == "SalesFormsPrefs.WarnDuplicateDocNum")
                    .map(|nv| nv["Value"].clone())
            })
            .unwrap_or_default()
    };
    assert_eq!(flag(&prefs), "false");
    for _ in 0..2 {
        let (s, _) = h.post("invoice", invoice(Some("SAME-1"), 1.0)).await;
        assert_eq!(s, 200);
    }
    // On through introspection, as a user would tick the preference.
    let (s, _, _) = h
        .send_raw(
            "POST",
            "/__sandbox/qbo/preferences",
            None,
            "application/json",
            br#"{"duplicate_doc_number_check": true}"#.to_vec(),
        )
        .await;
    assert_eq!(s, 200);
    assert!(h.sandbox.duplicate_doc_number_check());
    let (_, prefs) = h.get("preferences").await;
    assert_eq!(flag(&prefs), "true");
    let (s, body) = h.post("invoice", invoice(Some("SAME-1"), 1.0)).await;
    assert_eq!(s, 400);
    assert_eq!(body["Fault"]["Error"][0]["code"], "6140");
    assert_eq!(h.sandbox.invoices().len(), 2);
}

#[tokio::test]
async fn requestid_replay_is_forgotten_after_its_window() {
    let h = Harness::new(QboConfig {
        request_id_ttl_secs: 600,
        token_ttl_secs: 100_000,
        ..QboConfig::default()
    });
    let path = "invoice?requestid=window-1";
    let (s, _) = h.post(path, invoice(Some("W-1"), 5.0)).await;
    assert_eq!(s, 200);
    h.sandbox.advance_clock(chrono::Duration::seconds(599));
    let _ = h.post(path, invoice(Some("W-1"), 5.0)).await;
    assert_eq!(h.sandbox.invoices().len(), 1, "replayed inside the window");
    h.sandbox.advance_clock(chrono::Duration::seconds(2));
    let (s, _) = h.post(path, invoice(Some("W-1"), 5.0)).await;
    assert_eq!(s, 200);
    assert_eq!(h.sandbox.invoices().len(), 2, "forgotten after the window");
}

#[tokio::test]
async fn filters_on_fields_qbo_does_not_filter_are_refused_with_4001() {
    let h = Harness::us();
    for (entity, field) in [
        ("Invoice", "PrivateNote"),
        ("SalesReceipt", "PrivateNote"),
        ("Payment", "PrivateNote"),
        ("Payment", "DocNumber"),
        ("CreditMemo", "PrivateNote"),
        ("RefundReceipt", "PrivateNote"),
        ("JournalEntry", "PrivateNote"),
        ("Customer", "Notes"),
        ("Invoice", "TrackingNum"),
    ] {
        let (s, body) = h
            .query(&format!(
                "select * from {entity} where {field} LIKE '%[bcsync:BC11001]%'"
            ))
            .await;
        assert_eq!(s, 400, "{entity}.{field}");
        let e = &body["Fault"]["Error"][0];
        assert_eq!(e["code"], "4001");
        assert_eq!(e["Message"], "Invalid query");
        assert_eq!(
            e["Detail"],
            format!("QueryValidationError: property '{field}' is not queryable")
        );
        assert_eq!(body["Fault"]["type"], "ValidationFault");
    }
    for ok in [
        "select * from Invoice where DocNumber IN ('1001', '1002')",
        "select * from Invoice where CustomerRef = '1' AND TxnDate = '2026-01-01'",
        "select * from Payment where CustomerRef IN ('1', '2') AND TxnDate >= '2026-01-01'",
        "select * from JournalEntry where TxnDate = '2026-01-01'",
        "select * from Customer where MetaData.LastUpdatedTime >= '2026-01-01T00:00:00Z'",
    ] {
        let (s, _) = h.query(ok).await;
        assert_eq!(s, 200, "{ok}");
    }
}

#[tokio::test]
async fn credentials_name_every_url_and_multicurrency_is_a_config_switch() {
    let sandbox = QboSandbox::new(QboConfig {
        multicurrency: true,
        ..QboConfig::default()
    });
    sandbox.set_base_url("http://127.0.0.1:4010/");
    let c = sandbox.credentials_json();
    assert_eq!(c["base_url"], "http://127.0.0.1:4010");
    assert_eq!(
        c["token_url"],
        "http://127.0.0.1:4010/oauth2/v1/tokens/bearer"
    );
    assert_eq!(c["authorize_url"], "http://127.0.0.1:4010/connect/oauth2");
    assert_eq!(
        c["api_base"],
        format!(
            "http://127.0.0.1:4010/v3/company/{}",
            c["realm_id"].as_str().unwrap_or("?")
        )
    );
    assert!(c["redirect_uris"]
        .as_str()
        .unwrap_or("")
        .contains("127.0.0.1"));
    assert_eq!(c["multicurrency"], true);
    let h = Harness::new(QboConfig {
        multicurrency: true,
        ..QboConfig::default()
    });
    let (_, prefs) = h.get("preferences").await;
    assert_eq!(
        prefs["Preferences"]["CurrencyPrefs"]["MultiCurrencyEnabled"],
        true
    );
}

#[tokio::test]
async fn the_consent_step_redirects_with_code_state_and_realm_and_the_code_works_once() {
    let h = Harness::us();
    let c = h.sandbox.credentials_json();
    let client_id = c["client_id"].as_str().unwrap_or_default().to_string();
    let redirect = "http://127.0.0.1:8765/callback";
    let q = serde_urlencoded::to_string([
        ("client_id", client_id.as_str()),
        ("response_type", "code"),
        ("scope", "com.intuit.quickbooks.accounting"),
        ("redirect_uri", redirect),
        ("state", "xyz"),
    ])
    .unwrap_or_default();
    let (s, headers) = h.get_raw(&format!("/connect/oauth2?{q}")).await;
    assert_eq!(s, 302);
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        location.starts_with("http://127.0.0.1:8765/callback?code="),
        "{location}"
    );
    let query = location.split_once('?').map(|x| x.1).unwrap_or_default();
    let params: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(query).unwrap_or_default();
    assert_eq!(params.get("state").map(String::as_str), Some("xyz"));
    assert_eq!(
        params.get("realmId").map(String::as_str),
        c["realm_id"].as_str()
    );
    let code = params.get("code").cloned().unwrap_or_default();
    let exchange = |redirect: &str| {
        serde_urlencoded::to_string([
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
        ])
        .unwrap_or_default()
        .into_bytes()
    };
    let (s, body) = h
        .token_request(exchange("http://127.0.0.1:9999/other"))
        .await;
    assert_eq!(
        (s.as_u16(), body["error"].as_str()),
        (400, Some("invalid_grant")),
        "another redirect"
    );
    // The code was spent by the failed attempt too (single use).
    let (s, _) = h.token_request(exchange(redirect)).await;
    assert_eq!(s, 400);
    // A fresh consent, then the right exchange.
    let (_, headers) = h.get_raw(&format!("/connect/oauth2?{q}")).await;
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let params: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(location.split_once('?').map(|x| x.1).unwrap_or_default())
            .unwrap_or_default();
    let code = params.get("code").cloned().unwrap_or_default();
    let body = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
    ])
    .unwrap_or_default()
    .into_bytes();
    let (s, tokens) = h.token_request(body).await;
    assert_eq!(s, 200);
    assert!(tokens["access_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert!(tokens["refresh_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    // Unregistered redirect: a 400 page, never a redirect.
    let bad = q.replace("127.0.0.1%3A8765", "evil.example");
    let (s, _) = h.get_raw(&format!("/connect/oauth2?{bad}")).await;
    assert_eq!(s, 400);
}
