//! The Ledger conformance suite of bc-core (`testkit`) against the embedded ERP.

use bc_connector_acctvantage::{Erp, ErpOptions, NewProduct};
use bc_core::testkit::ledger::{run_all, LedgerFixture};
use bc_core::{PostingTarget, SourceCode};
use rust_decimal::Decimal;

/// The suite's default fixture names QuickBooks-style accounts and items; the ERP's seeded
/// chart answers to those names, and the two posting items are products.
#[tokio::test]
async fn the_erp_passes_the_ledger_conformance_suite_with_the_default_fixture() {
    let erp = Erp::in_memory().await.unwrap();
    for (sku, name) in [("SHIP", "Shipping"), ("ROUND", "Rounding")] {
        erp.add_product(&NewProduct {
            sku: sku.into(),
            name: name.into(),
            product_class: Some("SHIPPING".into()),
            tracks_inventory: false,
            unit_price: Decimal::ZERO,
            unit_cost: Decimal::ZERO,
        })
        .await
        .unwrap();
    }
    run_all(&erp, &LedgerFixture::default()).await.unwrap();
    assert!(erp.trial_balance().await.unwrap().is_balanced());
    assert!(erp.duplicates().await.unwrap().is_empty());
}

/// The same with the ERP's own account codes and a tax area.
#[tokio::test]
async fn the_erp_passes_the_ledger_conformance_suite_with_its_own_codes_and_tax() {
    let erp = Erp::in_memory_with(ErpOptions {
        import_source_code: Some(SourceCode::new("TST").unwrap()),
        ..ErpOptions::default()
    })
    .await
    .unwrap();
    erp.add_tax_area("AVATAX", "2100").await.unwrap();
    let fx = LedgerFixture {
        discount: PostingTarget::Account("4900".into()),
        shipping: PostingTarget::Account("4100".into()),
        gift_card: PostingTarget::Account("2300".into()),
        rounding: PostingTarget::Account("6990".into()),
        tax_code: Some("AVATAX".into()),
        non_taxable_code: None,
        income_account: "4000".into(),
        expense_account: "5000".into(),
        receipt_type: "CREDIT CARD".into(),
        deposit_account: "1050".into(),
        journal_accounts: ("1000".into(), "1050".into()),
        ..LedgerFixture::default()
    };
    run_all(&erp, &fx).await.unwrap();
    let tb = erp.trial_balance().await.unwrap();
    assert!(tb.is_balanced(), "{tb:?}");
}
