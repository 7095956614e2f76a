//! What an integrator's unit test looks like with the `mock` feature: `bcsync::core::MockLedger`
//! (a `mockall` mock of the `Ledger` trait) stands in for a real ledger, and the test asserts
//! the calls its own code makes — here "`post_receipt` called once, with 12.50 USD".

use std::str::FromStr;

use bcsync::core::{
    Currency, Decimal, ImportId, Ledger, LedgerRef, MockLedger, OrderId, Receipt, ReceiptState,
    SourceCode,
};

/// The integrator's own code under test: records a counter payment for a ledger invoice.
async fn record_counter_payment(
    ledger: &dyn Ledger,
    order: &str,
    invoice: &LedgerRef,
    client: &LedgerRef,
    amount: Decimal,
) -> bcsync::core::Result<LedgerRef> {
    let receipt = Receipt {
        import_id: ImportId::new(SourceCode::new("POS")?, OrderId::new(order))?,
        sequence: 0,
        document: invoice.clone(),
        client: client.clone(),
        receipt_type: "CASH".into(),
        deposit_account: "1010".into(),
        amount,
        currency: Currency::USD,
        state: ReceiptState::Captured,
        date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        reference: None,
    };
    ledger.post_receipt(&receipt).await
}

#[tokio::test]
async fn post_receipt_is_called_once_with_12_50() {
    let mut ledger = MockLedger::new();
    ledger
        .expect_post_receipt()
        .times(1)
        .withf(|r| {
            r.amount == Decimal::from_str("12.50").unwrap()
                && r.currency == Currency::USD
                && r.document.id == "INV-7"
        })
        .returning(|_| Ok(LedgerRef::new("RCPT-1")));

    let got = record_counter_payment(
        &ledger,
        "1042",
        &LedgerRef::new("INV-7"),
        &LedgerRef::new("C-1"),
        Decimal::from_str("12.50").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(got.id, "RCPT-1");
    // `ledger` checks `times(1)` when dropped: a second call, or none, fails the test.
}

#[tokio::test]
#[should_panic(expected = "No matching expectation found")]
async fn a_wrong_amount_fails_the_integrators_test() {
    let mut ledger = MockLedger::new();
    ledger
        .expect_post_receipt()
        .withf(|r| r.amount == Decimal::from_str("12.50").unwrap())
        .returning(|_| Ok(LedgerRef::new("RCPT-1")));
    let _ = record_counter_payment(
        &ledger,
        "1042",
        &LedgerRef::new("INV-7"),
        &LedgerRef::new("C-1"),
        Decimal::from_str("12.49").unwrap(),
    )
    .await;
}
