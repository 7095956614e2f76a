//! `Ledger::catalog` against the Business Central sandbox: `AREA/GROUP` and `GROUP` tax codes,
//! the G/L accounts a sales line may name, payment and shipment methods; every list read to
//! its last page, nothing written; and the listed codes are what posting resolves.

mod common;

use bc_core::{CatalogEntry, Currency, ErrorKind, Ledger};
use bc_sandbox_bc365::{Bc365Sandbox, Bc365SandboxConfig};
use common::*;
use rust_decimal_macros::dec;

fn codes(list: &[CatalogEntry]) -> Vec<&str> {
    list.iter().map(|e| e.code.as_str()).collect()
}

fn name_of<'a>(list: &'a [CatalogEntry], code: &str) -> Option<&'a str> {
    list.iter()
        .find(|e| e.code == code)
        .map(|e| e.name.as_str())
}

/// Every row of the sets the catalog reads or could write.
fn books(sb: &Bc365Sandbox, co: Co) -> Vec<Vec<serde_json::Value>> {
    [
        "taxAreas",
        "taxGroups",
        "accounts",
        "paymentMethods",
        "shipmentMethods",
        "customers",
        "salesInvoices",
    ]
    .iter()
    .map(|s| sb.rows(co.id(), s))
    .collect()
}

#[tokio::test]
async fn a_vat_company_lists_its_codes_accounts_and_methods() {
    let sb = sandbox(701);
    let l = ledger(&sb, Co::Gb, true).await;
    let before = books(&sb, Co::Gb);
    let cat = l.catalog().await.expect("catalog");
    // 3 tax groups alone and with each of the 3 tax areas.
    assert_eq!(cat.tax_codes.len(), 12);
    for code in [
        "STANDARD",
        "ZERO",
        "DOMESTIC/STANDARD",
        "EU/ZERO",
        "EXPORT/REDUCED",
    ] {
        assert!(codes(&cat.tax_codes).contains(&code), "{code}");
    }
    assert_eq!(
        name_of(&cat.tax_codes, "DOMESTIC/STANDARD"),
        Some("Domestic customers / Standard VAT (20%)")
    );
    assert!(cat.tax_codes.iter().all(|t| t.rate.is_none()));
    // Posting accounts with direct posting; not Accounts Receivable (no direct posting).
    assert_eq!(name_of(&cat.accounts, "40200"), Some("Shipping income"));
    assert!(codes(&cat.accounts).contains(&"69100"));
    assert!(!codes(&cat.accounts).contains(&"13100"));
    assert_eq!(
        codes(&cat.receipt_types),
        ["BANK", "CARD", "CASH", "PAYPAL"]
    );
    assert_eq!(name_of(&cat.receipt_types, "CARD"), Some("Card payment"));
    assert_eq!(codes(&cat.ship_vias), ["EXP", "FOB", "PICKUP", "STD"]);
    assert!(cat.unknown.is_empty());
    assert_eq!(books(&sb, Co::Gb), before);
}

#[tokio::test]
async fn a_sales_tax_company_lists_its_areas_and_groups() {
    let sb = sandbox(702);
    let l = ledger(&sb, Co::Us, true).await;
    let cat = l.catalog().await.expect("catalog");
    for code in [
        "TAXABLE",
        "ATLANTA/TAXABLE",
        "CHICAGO/FURNITURE",
        "NOTAX/NONTAXABLE",
    ] {
        assert!(codes(&cat.tax_codes).contains(&code), "{code}");
    }
    assert!(!codes(&cat.tax_codes).contains(&"DOMESTIC/STANDARD"));
}

#[tokio::test]
async fn lists_longer_than_a_page_are_read_to_the_end() {
    let mut config = Bc365SandboxConfig::seeded(703, 0.0);
    config.client_id = "9a8b7c6d-5e4f-4a3b-2c1d-0000000002bf".into();
    config.max_page_size = 2;
    let paged = Bc365Sandbox::new(config);
    let whole = sandbox(704);
    let a = ledger(&paged, Co::Gb, true)
        .await
        .catalog()
        .await
        .expect("paged");
    let b = ledger(&whole, Co::Gb, true)
        .await
        .catalog()
        .await
        .expect("whole");
    assert_eq!(a, b);
    assert_eq!(a.receipt_types.len(), 4);
    // The paged company answered in more requests (pages of 2 rows).
    assert!(
        paged.stats().snapshot().total >= whole.stats().snapshot().total + 5,
        "{} vs {}",
        paged.stats().snapshot().total,
        whole.stats().snapshot().total
    );
}

#[tokio::test]
async fn posting_resolves_the_listed_codes_and_refuses_others() {
    let sb = sandbox(705);
    let l = ledger(&sb, Co::Gb, true).await;
    let cat = l.catalog().await.expect("catalog");
    let c = client(&l, "cat1").await;
    let chair = item(&l, "1900-S").await;
    let listed = "DOMESTIC/STANDARD";
    assert!(codes(&cat.tax_codes).contains(&listed));
    let shipping = "40200";
    assert!(codes(&cat.accounts).contains(&shipping));
    let doc = document(
        &import("7051"),
        &c,
        Currency::GBP,
        vec![
            item_line(&chair, dec!(1), dec!(100.00), Some(listed)),
            line(
                bc_core::SalesLineKind::Shipping,
                Some(shipping),
                dec!(1),
                dec!(10.00),
                Some(listed),
            ),
        ],
        vec![
            tax(listed, "UK VAT", 0, dec!(20.00)),
            tax(listed, "UK VAT", 1, dec!(2.00)),
        ],
    );
    l.post_sales_document(&doc).await.expect("posted");
    // A tax area the catalog does not list is refused before anything is written.
    let unlisted = "NORTHERN/STANDARD";
    assert!(!codes(&cat.tax_codes).contains(&unlisted));
    let doc = document(
        &import("7052"),
        &c,
        Currency::GBP,
        vec![item_line(&chair, dec!(1), dec!(100.00), Some(unlisted))],
        vec![tax(unlisted, "NI VAT", 0, dec!(20.00))],
    );
    let e = l.post_sales_document(&doc).await.expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Mapping, "{e}");
    assert!(invoices_with(&sb, Co::Gb, "BC17052").is_empty());
}

/// The catalog is one `$batch` (its five lists), and it reads the company's setup with it when
/// that is not read yet: the first write after it needs no request of its own for the setup.
#[tokio::test]
async fn the_catalog_and_the_setup_are_one_request() {
    let sb = sandbox(705);
    let l = ledger(&sb, Co::Gb, true).await;
    // The token first (not a ledger read).
    let _ = l
        .find_client(&bc_core::ClientKey::Email("nobody@example.com".into()))
        .await
        .expect("search");
    let before = sb.stats().snapshot().total;
    let cat = l.catalog().await.expect("catalog");
    assert!(!cat.tax_codes.is_empty());
    assert_eq!(sb.stats().snapshot().total - before, 1, "one $batch");
    // The setup came with it: creating a customer (which needs the default tax area) is one
    // request.
    let before = sb.stats().snapshot().total;
    let _ = l
        .create_clients(&[bc_core::Client {
            display_name: "Catalog shopper".into(),
            company: None,
            contact: None,
            email: Some("catalog@example.com".into()),
            phone: None,
            billing: None,
            shipping: None,
            import_id: Some("cat1".into()),
            storefront_customer: None,
            currency: None,
        }])
        .await
        .pop()
        .expect("one")
        .expect("created");
    assert_eq!(sb.stats().snapshot().total - before, 1, "no setup request");
    // Read again (another run): the lists only.
    let before = sb.stats().snapshot().total;
    let _ = l.catalog().await.expect("catalog");
    assert_eq!(sb.stats().snapshot().total - before, 1);
}
