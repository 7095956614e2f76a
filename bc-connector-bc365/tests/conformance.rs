//! The Ledger conformance suite (bc_core::testkit) against the sandbox: the VAT company
//! posting documents, and the US sales-tax company leaving drafts (so that O14 updates run).

mod common;

use bc_core::testkit::ledger::run_all;
use common::{fixture, ledger, sandbox, Co};

#[tokio::test]
async fn vat_company_posting_documents() {
    let sb = sandbox(101);
    let l = ledger(&sb, Co::Gb, true).await;
    run_all(&l, &fixture(Co::Gb))
        .await
        .expect("conformance (GB VAT company)");
    assert_eq!(sb.reconciliation(Co::Gb.id()).extra_documents(), 0);
}

#[tokio::test]
async fn us_sales_tax_company_leaving_drafts() {
    let sb = sandbox(102);
    let l = ledger(&sb, Co::Us, false).await;
    run_all(&l, &fixture(Co::Us))
        .await
        .expect("conformance (US sales-tax company)");
    assert_eq!(sb.reconciliation(Co::Us.id()).extra_documents(), 0);
}
