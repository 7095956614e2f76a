//! `Ledger::catalog` of the ERP: what a fresh database holds (its seed), what the demo's
//! settings set up, and that each list's `code` is the value posting looks up.

mod common;

use bc_connector_acctvantage::{AccountKind, Erp};
use bc_core::{ErrorKind, Ledger, LedgerCatalog, Settings};
use common::*;
use rust_decimal_macros::dec;

fn codes(list: &[bc_core::CatalogEntry]) -> Vec<&str> {
    list.iter().map(|e| e.code.as_str()).collect()
}

fn name_of<'a>(list: &'a [bc_core::CatalogEntry], code: &str) -> Option<&'a str> {
    list.iter()
        .find(|e| e.code == code)
        .map(|e| e.name.as_str())
}

#[tokio::test]
async fn a_fresh_erp_lists_its_seed() {
    let erp = Erp::in_memory().await.unwrap();
    let cat = erp.catalog().await.unwrap();
    assert_eq!(
        codes(&cat.accounts),
        [
            "1000", "1050", "1100", "1200", "2100", "2300", "2310", "3000", "4000", "4100", "4110",
            "4120", "4900", "5000", "6100", "6200", "6990"
        ]
    );
    assert_eq!(name_of(&cat.accounts, "1050"), Some("Undeposited Funds"));
    assert_eq!(name_of(&cat.accounts, "4900"), Some("Discounts"));
    assert_eq!(
        codes(&cat.receipt_types),
        ["CASH", "CHECK", "CREDIT CARD", "PAYPAL"]
    );
    assert_eq!(
        name_of(&cat.receipt_types, "CASH"),
        Some("deposits to 1000 Checking")
    );
    assert_eq!(
        name_of(&cat.receipt_types, "PAYPAL"),
        Some("deposits to 1050 Undeposited Funds")
    );
    // No tax area and no ship via until someone sets them up; every list is known.
    assert!(cat.tax_codes.is_empty() && cat.ship_vias.is_empty());
    assert!(cat.unknown.is_empty());
    for list in ["tax_codes", "accounts", "receipt_types", "ship_vias"] {
        assert!(cat.knows(list), "{list}");
    }
    assert!(cat.tax_codes.iter().all(|t| t.rate.is_none()));
}

#[tokio::test]
async fn what_is_set_up_in_the_erp_appears_with_what_it_posts_to() {
    let erp = Erp::in_memory().await.unwrap();
    erp.add_account("2105", "Sales tax payable TX", AccountKind::Liability)
        .await
        .unwrap();
    erp.add_tax_area("TX", "2105").await.unwrap();
    erp.add_receipt_type("CARD", "Undeposited Funds")
        .await
        .unwrap();
    erp.add_ship_via("UPS Ground", None, Some("UPS"))
        .await
        .unwrap();
    erp.add_ship_via("Pickup", None, None).await.unwrap();
    let cat = erp.catalog().await.unwrap();
    assert_eq!(codes(&cat.tax_codes), ["TX"]);
    assert_eq!(
        name_of(&cat.tax_codes, "TX"),
        Some("posts to 2105 Sales tax payable TX")
    );
    assert_eq!(
        name_of(&cat.receipt_types, "CARD"),
        Some("deposits to 1050 Undeposited Funds")
    );
    assert!(codes(&cat.accounts).contains(&"2105"));
    assert_eq!(codes(&cat.ship_vias), ["Pickup", "UPS Ground"]);
    assert_eq!(
        name_of(&cat.ship_vias, "UPS Ground"),
        Some("UPS (product class SHIPPING)")
    );
    assert_eq!(
        name_of(&cat.ship_vias, "Pickup"),
        Some("product class SHIPPING")
    );
}

/// The demo's settings file, read from the program's sources.
fn demo_settings() -> Settings {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/cli/demo_settings.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Settings::from_toml_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every value the settings' `tax_map` and `payment_map` name that `cat` lacks.
fn missing(settings: &Settings, cat: &LedgerCatalog) -> Vec<String> {
    let mut out = Vec::new();
    for (zone, code) in &settings.tax_map {
        if !codes(&cat.tax_codes).contains(&code.as_str()) {
            out.push(format!("tax_map.{zone} = {code}"));
        }
    }
    for (method, m) in &settings.payment_map {
        if let Some(rt) = &m.receipt_type {
            if !codes(&cat.receipt_types).contains(&rt.as_str()) {
                out.push(format!("payment_map.{method}.receipt_type = {rt}"));
            }
        }
        if let Some(a) = &m.deposit_account {
            if !codes(&cat.accounts).contains(&a.as_str()) {
                out.push(format!("payment_map.{method}.deposit_account = {a}"));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_demo_settings_name_only_what_the_prepared_erp_lists() {
    let settings = demo_settings();
    assert!(settings.tax_map.len() >= 10 && !settings.payment_map.is_empty());
    let erp = Erp::in_memory().await.unwrap();
    // Before the integration setup the tax areas and the CARD receipt type are missing.
    let before = missing(&settings, &erp.catalog().await.unwrap());
    assert!(
        before.contains(&"tax_map.Texas State Tax = TX".to_string()),
        "{before:?}"
    );
    assert!(
        before.contains(&"payment_map.credit_card.receipt_type = CARD".to_string()),
        "{before:?}"
    );
    // What `bcsync demo` does when it opens the ERP with its settings.
    erp.prepare_for(&settings).await.unwrap();
    let cat = erp.catalog().await.unwrap();
    assert_eq!(missing(&settings, &cat), Vec::<String>::new());
    let via = settings.shipping.default_ship_via.as_deref().unwrap();
    assert!(codes(&cat.ship_vias).contains(&via), "{:?}", cat.ship_vias);
    // Each tax area on its own liability account.
    let tx = name_of(&cat.tax_codes, "TX").unwrap();
    assert!(
        tx.starts_with("posts to 21") && tx.ends_with("Sales tax payable TX"),
        "{tx}"
    );
}

#[tokio::test]
async fn posting_accepts_the_listed_codes_and_refuses_others() {
    let erp = erp().await; // tax area TX-STATE
    let cat = erp.catalog().await.unwrap();
    assert_eq!(codes(&cat.tax_codes), ["TX-STATE"]);
    let cl = client(&erp, 1).await;
    let it = item(&erp, "SKU-1", dec!(10)).await;
    // A listed tax code posts.
    let doc = document(
        import_id(SOURCE, "1"),
        &cl,
        &[(&it, dec!(1), dec!(50))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(4.13),
    );
    let code = &cat.tax_codes[0].code;
    assert_eq!(&doc.taxes[0].tax_code, code);
    erp.post_sales_document(&doc).await.unwrap();
    // One that is not listed is refused, naming it.
    let mut other = document(
        import_id(SOURCE, "2"),
        &cl,
        &[(&it, dec!(1), dec!(50))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(4.13),
    );
    other.taxes[0].tax_code = "TX-NOPE".into();
    let e = erp.post_sales_document(&other).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(e.to_string().contains("TX-NOPE"), "{e}");
    assert!(!codes(&erp.catalog().await.unwrap().tax_codes).contains(&"TX-NOPE"));
}
