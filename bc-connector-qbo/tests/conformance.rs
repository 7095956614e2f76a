//! The Ledger conformance suite (`bc_core::testkit`) against the strict QBO sandbox: a US and
//! a non-US company, with the company's duplicate-number check off (as a new company ships)
//! and on.

mod common;

use bc_core::testkit::ledger::{run_all, LedgerFixture};
use bc_core::{Currency, PostingTarget, SourceCode};
use bc_sandbox_qbo::Company;
use common::{connect, sandbox};

fn fixture(company: Company) -> LedgerFixture {
    let (tax, non, currency) = match company {
        Company::Us => ("California", "NON", Currency::USD),
        Company::NonUs => ("20.0% S", "0.0% Z", Currency::GBP),
    };
    LedgerFixture {
        discount: PostingTarget::Account("Discounts given".into()),
        shipping: PostingTarget::Item("Shipping".into()),
        gift_card: PostingTarget::Account("Gift Card Liability".into()),
        rounding: PostingTarget::Account("Sales of Product Income".into()),
        tax_code: Some(tax.into()),
        non_taxable_code: Some(non.into()),
        income_account: "Sales of Product Income".into(),
        expense_account: "Cost of Goods Sold".into(),
        receipt_type: "Credit Card".into(),
        deposit_account: "Undeposited Funds".into(),
        journal_accounts: ("Checking".into(), "Undeposited Funds".into()),
        currency,
        source: SourceCode::new("TST").expect("source"),
    }
}

async fn suite(realm: &str, company: Company, duplicate_check: bool) {
    let sb = sandbox(realm, company);
    sb.set_duplicate_doc_number_check(duplicate_check);
    let ledger = connect(&sb).await;
    if let Err(e) = run_all(&ledger, &fixture(company)).await {
        panic!("conformance ({company:?}, duplicate check {duplicate_check}): {e}");
    }
    assert_eq!(sb.duplicates().extra_documents(), 0);
}

#[tokio::test]
async fn conformance_suite_us() {
    suite("1011", Company::Us, false).await;
}

#[tokio::test]
async fn conformance_suite_non_us() {
    suite("1012", Company::NonUs, false).await;
}

#[tokio::test]
async fn conformance_suite_us_with_duplicate_number_check() {
    suite("1013", Company::Us, true).await;
}
