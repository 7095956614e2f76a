//! `Ledger::catalog` against the QBO sandbox: tax codes with their combined rates (US and
//! non-US companies), accounts and payment methods by name, ship vias unknown; one `/batch` of
//! queries, read to the end of every list, and nothing written. The codes are what posting
//! resolves: the demo's QBO settings name listed tax codes and accounts, and a receipt whose
//! type is a listed payment method carries it.

mod common;

#[path = "../../src/cli/demo/qbo_settings.rs"]
mod qbo_settings;

use bc_core::{CatalogEntry, Currency, Ledger, LedgerRef, Receipt, ReceiptState, Settings};
use bc_http::RouterTransport;
use bc_sandbox_qbo::{Company, EntityKind};
use common::{connect, document, sandbox, setup};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;

fn codes(list: &[CatalogEntry]) -> Vec<&str> {
    list.iter().map(|e| e.code.as_str()).collect()
}

fn entry<'a>(list: &'a [CatalogEntry], code: &str) -> &'a CatalogEntry {
    list.iter()
        .find(|e| e.code == code)
        .unwrap_or_else(|| panic!("`{code}` is not in {:?}", codes(list)))
}

/// Every entity the company holds, by kind.
fn books(sb: &bc_sandbox_qbo::QboSandbox) -> Vec<Vec<serde_json::Value>> {
    EntityKind::ALL.iter().map(|k| sb.documents(*k)).collect()
}

#[tokio::test]
async fn a_us_company_lists_its_tax_codes_accounts_and_payment_methods() {
    let sb = sandbox("3100", Company::Us);
    let ledger = connect(&sb).await;
    let before = books(&sb);
    sb.stats().reset();
    let cat = ledger.catalog().await.expect("catalog");

    // Tax codes: the transaction codes with their combined rate; not the line pseudo codes.
    assert_eq!(codes(&cat.tax_codes), ["California", "San Francisco"]);
    assert_eq!(entry(&cat.tax_codes, "California").rate, Some(dec!(7.25)));
    assert_eq!(
        entry(&cat.tax_codes, "San Francisco").rate,
        Some(dec!(8.625))
    );
    // Accounts by name, the number and type alongside.
    assert_eq!(
        entry(&cat.accounts, "Payments Clearing").name,
        "Payments Clearing (no. 1050, Other Current Asset)"
    );
    for a in ["Undeposited Funds", "Discounts given", "Sales Tax Payable"] {
        entry(&cat.accounts, a);
    }
    assert_eq!(
        codes(&cat.receipt_types),
        [
            "American Express",
            "Cash",
            "Check",
            "Diners Club",
            "Discover",
            "MasterCard",
            "Visa"
        ]
    );
    assert_eq!(entry(&cat.receipt_types, "Visa").name, "Visa (credit card)");
    // Ship via is free text on QBO forms: no list, and said so.
    assert!(cat.ship_vias.is_empty());
    assert_eq!(cat.unknown, ["ship_vias", "receipt_types"]);
    assert!(cat.knows("tax_codes") && cat.knows("accounts") && !cat.knows("receipt_types"));

    // One `/batch` request, nothing written.
    let snap = sb.stats().snapshot();
    assert_eq!(snap.total, 1, "{:?}", snap.by_route);
    assert_eq!(books(&sb), before);
}

#[tokio::test]
async fn a_non_us_company_lists_its_vat_codes_and_their_rates() {
    let sb = sandbox("3101", Company::NonUs);
    let ledger = connect(&sb).await;
    let cat = ledger.catalog().await.expect("catalog");
    let got: Vec<(&str, Option<Decimal>)> = cat
        .tax_codes
        .iter()
        .map(|e| (e.code.as_str(), e.rate))
        .collect();
    assert_eq!(
        got,
        [
            ("0.0% Z", Some(dec!(0))),
            ("20.0% S", Some(dec!(20))),
            ("5.0% R", Some(dec!(5))),
            ("No VAT", None),
        ]
    );
    assert!(codes(&cat.receipt_types).contains(&"Cheque"));
    entry(&cat.accounts, "VAT Control");
}

/// A POST to the sandbox's API with the app's access token.
async fn create(sb: &bc_sandbox_qbo::QboSandbox, entity: &str, body: serde_json::Value) {
    use bc_http::HttpTransport;
    let c = sb.credentials_json();
    let token = c["access_token"].as_str().unwrap_or_default();
    let realm = c["realm_id"].as_str().unwrap_or_default();
    let transport = RouterTransport::new(sb.router());
    let req = http::Request::builder()
        .method("POST")
        .uri(format!(
            "http://127.0.0.1:9/v3/company/{realm}/{entity}?minorversion=75"
        ))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(bytes::Bytes::from(body.to_string()))
        .expect("request");
    let resp = transport.send(req).await.expect("sent");
    assert_eq!(resp.status(), 200, "{entity} {body}");
}

#[tokio::test]
async fn lists_longer_than_a_page_are_read_to_the_end() {
    let sb = sandbox("3102", Company::Us);
    sb.set_limits(100_000, 10);
    for n in 0..1000 {
        create(
            &sb,
            "paymentmethod",
            json!({ "Name": format!("Method {n:04}"), "Type": "NON_CREDIT_CARD" }),
        )
        .await;
    }
    let inactive = json!({ "Name": "Retired", "Active": false });
    create(&sb, "paymentmethod", inactive).await;
    let ledger = connect(&sb).await;
    sb.stats().reset();
    let cat = ledger.catalog().await.expect("catalog");
    // 7 seeded + 1000 made; the inactive one is not something a receipt can use.
    assert_eq!(cat.receipt_types.len(), 1007);
    assert!(codes(&cat.receipt_types).contains(&"Method 0999"));
    assert!(codes(&cat.receipt_types).contains(&"Visa"));
    assert!(!codes(&cat.receipt_types).contains(&"Retired"));
    // The batch, then the second page of payment methods.
    assert_eq!(sb.stats().snapshot().total, 2);
}

fn demo_qbo_settings() -> Settings {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/cli/demo_settings.toml");
    let demo = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let text = qbo_settings::qbo_text(&demo).unwrap_or_else(|e| panic!("{e}"));
    Settings::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn the_codes_are_what_posting_resolves() {
    let sb = sandbox("3103", Company::Us);
    let (ledger, c, widget) = setup(&sb).await;
    let cat = ledger.catalog().await.expect("catalog");

    // The demo's QBO settings name listed tax codes and deposit accounts…
    let settings = demo_qbo_settings();
    assert!(!settings.tax_map.is_empty());
    for code in settings.tax_map.values() {
        entry(&cat.tax_codes, code);
    }
    let mut receipt_types = Vec::new();
    for m in settings.payment_map.values() {
        if let Some(a) = &m.deposit_account {
            entry(&cat.accounts, a);
        }
        receipt_types.extend(m.receipt_type.clone());
    }
    // …but receipt types the company does not have (QBO posts the payment without a method).
    assert!(!receipt_types.is_empty());
    for rt in &receipt_types {
        assert!(!codes(&cat.receipt_types).contains(&rt.as_str()), "{rt}");
    }

    // A listed payment method and account, used as settings write them, reach the payment.
    let doc = document(4001, &c, &widget, Company::Us, false);
    let at: LedgerRef = ledger.post_sales_document(&doc).await.expect("posted");
    let visa = entry(&cat.receipt_types, "Visa").code.clone();
    let clearing = entry(&cat.accounts, "Payments Clearing").code.clone();
    ledger
        .post_receipt(&Receipt {
            import_id: doc.import_id.clone(),
            sequence: 0,
            document: at,
            client: c.clone(),
            receipt_type: visa,
            deposit_account: clearing,
            amount: doc.balance_due(),
            currency: Currency::USD,
            state: ReceiptState::Captured,
            date: doc.date,
            reference: None,
        })
        .await
        .expect("recorded");
    let payment = sb.payments().pop().expect("a payment");
    assert_eq!(payment["PaymentMethodRef"]["name"], "Visa");
    assert_eq!(payment["DepositToAccountRef"]["name"], "Payments Clearing");
}
