//! The ERP's money side against a fresh ERP (in memory): receipts (captured and
//! pre-authorised), credit memos (restock, reversal of the sale) and balanced journals.
//! The documents, feeds and searches are in `sandbox.rs`.

mod common;

use bc_connector_acctvantage::accounts;
use bc_core::{
    CreditKind, CreditLine, CreditMemo, DocNumber, ErrorKind, JournalEntry, JournalLine, Ledger,
    Receipt, ReceiptState, SalesLineKind, ShipmentLine,
};
use chrono::NaiveDate;
use common::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

#[tokio::test]
async fn receipts_credit_ar_captured_at_once_or_when_a_preauthorisation_is_captured() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let id = import_id(SOURCE, "1");
    let doc = document(
        id.clone(),
        &cl,
        &[(&it, dec!(1), dec!(100))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    let at = erp.post_sales_document(&doc).await.unwrap();
    let mut r = Receipt {
        import_id: id.clone(),
        sequence: 0,
        document: at.clone(),
        client: cl.clone(),
        receipt_type: "PAYPAL".into(),
        deposit_account: "Undeposited Funds".into(),
        amount: dec!(60),
        currency: bc_core::Currency::USD,
        state: ReceiptState::Captured,
        date: date(),
        reference: Some("tx1".into()),
    };
    let r0 = erp.post_receipt(&r).await.unwrap();
    // The same receipt again (a retry) is the one recorded; another amount is a conflict.
    assert_eq!(erp.post_receipt(&r).await.unwrap().id, r0.id);
    r.amount = dec!(61);
    assert_eq!(
        erp.post_receipt(&r).await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    r.sequence = 1;
    r.amount = dec!(40);
    r.state = ReceiptState::PreAuthorized;
    let r1 = erp.post_receipt(&r).await.unwrap();
    let tb = erp.trial_balance().await.unwrap();
    assert!(tb.is_balanced());
    assert_eq!(
        tb.balance(accounts::CLEARING, bc_core::Currency::USD),
        dec!(60)
    );
    erp.capture_receipt(&r1).await.unwrap();
    assert_eq!(
        erp.capture_receipt(&r1).await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    erp.post(&at).await.unwrap();
    let tb = erp.trial_balance().await.unwrap();
    assert!(tb.is_balanced());
    assert_eq!(
        tb.balance(accounts::CLEARING, bc_core::Currency::USD),
        dec!(100)
    );
    assert_eq!(tb.balance(accounts::AR, bc_core::Currency::USD), dec!(0));
    // A receipt naming another order's import id is refused.
    r.import_id = import_id(SOURCE, "2");
    r.sequence = 5;
    assert_eq!(
        erp.post_receipt(&r).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
}

fn memo(
    id: bc_core::ImportId,
    refund: &str,
    cl: &bc_core::LedgerRef,
    inv: &bc_core::LedgerRef,
    it: &bc_core::ItemRef,
    qty: Decimal,
    restock: bool,
) -> CreditMemo {
    CreditMemo {
        kind: CreditKind::CreditMemo,
        import_id: id,
        refund_id: refund.into(),
        number: DocNumber::Auto,
        client: cl.clone(),
        invoice: Some(inv.clone()),
        lines: vec![CreditLine {
            kind: SalesLineKind::Item {
                item: it.at.clone(),
                line_id: "1".into(),
            },
            target: None,
            description: "return".into(),
            sku: it.sku.clone(),
            quantity: qty,
            unit_price: dec!(10),
            amount: qty * dec!(10),
            tax_code: None,
            restock,
        }],
        tax: dec!(1),
        tax_code: Some("TX-STATE".into()),
        total: qty * dec!(10) + dec!(1),
        refund_account: None,
        currency: bc_core::Currency::USD,
        date: date(),
        memo: None,
        warehouse: None,
    }
}

#[tokio::test]
async fn credit_memos_restock_returned_goods_and_reverse_the_sale() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let id = import_id(SOURCE, "1");
    let doc = document(
        id.clone(),
        &cl,
        &[(&it, dec!(4), dec!(10))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(2),
    );
    let at = erp.post_sales_document(&doc).await.unwrap();
    erp.process_shipment(
        &at,
        "T",
        "ups",
        &[ShipmentLine {
            line_id: Some("1".into()),
            sku: None,
            quantity: dec!(3),
        }],
    )
    .await
    .unwrap();
    // An order that is not posted cannot be credited: its revenue was never recognised.
    let e = erp
        .post_credit_memo(&memo(id.clone(), "R1", &cl, &at, &it, dec!(2), true))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.to_string().contains("post it in the ERP first"), "{e}");
    erp.post(&at).await.unwrap();
    // Return 2: the 1 still committed is released, 1 comes back to the shelf (R2).
    let m = memo(id.clone(), "R1", &cl, &at, &it, dec!(2), true);
    let cm = erp.post_credit_memo(&m).await.unwrap();
    let s = erp.stock("A", "MAIN").await.unwrap();
    assert_eq!((s.on_hand, s.committed), (dec!(8), dec!(0)));
    assert_eq!(
        erp.find_credit_memo(&id, &bc_core::RefundId::new("R1"))
            .await
            .unwrap()
            .unwrap()
            .id,
        cm.id
    );
    assert!(erp
        .find_credit_memo(&id, &bc_core::RefundId::new("R2"))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        erp.post_credit_memo(&m).await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    // Not restocked: stock does not move.
    erp.post_credit_memo(&memo(id.clone(), "R2", &cl, &at, &it, dec!(1), false))
        .await
        .unwrap();
    assert_eq!(erp.stock("A", "MAIN").await.unwrap().on_hand, dec!(8));
    let tb = erp.trial_balance().await.unwrap();
    assert!(tb.is_balanced());
    let usd = bc_core::Currency::USD;
    assert_eq!(
        tb.balance(accounts::AR, usd),
        dec!(42) - dec!(21) - dec!(11)
    );
    assert_eq!(tb.balance(accounts::SALES, usd), dec!(-40) + dec!(30));
    assert_eq!(
        tb.balance(accounts::SALES_TAX_PAYABLE, usd),
        dec!(-2) + dec!(2)
    );
    // A memo that does not add up is refused.
    let mut bad = memo(id.clone(), "R3", &cl, &at, &it, dec!(1), false);
    bad.total += dec!(0.01);
    assert_eq!(
        erp.post_credit_memo(&bad).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    assert!(erp.duplicates().await.unwrap().is_empty());
}

#[tokio::test]
async fn journals_must_balance_and_are_found_by_key() {
    let erp = erp().await;
    let entry = |key: &str, credit: Decimal| JournalEntry {
        key: key.into(),
        number: DocNumber::Auto,
        date: date(),
        currency: bc_core::Currency::USD,
        lines: vec![
            JournalLine {
                account: "1000".into(),
                debit: dec!(95),
                credit: dec!(0),
                description: "net".into(),
            },
            JournalLine {
                account: "Merchant fees".into(),
                debit: dec!(5),
                credit: dec!(0),
                description: "fees".into(),
            },
            JournalLine {
                account: "1050".into(),
                debit: dec!(0),
                credit,
                description: "clearing".into(),
            },
        ],
        memo: None,
    };
    let at = erp
        .post_journal(&entry("BC1-PAYOUT-1", dec!(100)))
        .await
        .unwrap();
    assert_eq!(
        erp.find_journal(&"BC1-PAYOUT-1".into())
            .await
            .unwrap()
            .unwrap()
            .id,
        at.id
    );
    assert!(erp
        .find_journal(&"BC1-PAYOUT-2".into())
        .await
        .unwrap()
        .is_none());
    let e = erp
        .post_journal(&entry("BC1-PAYOUT-2", dec!(99.99)))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(e.to_string().contains("unbalance"), "{e}");
    assert_eq!(
        erp.post_journal(&entry("BC1-PAYOUT-1", dec!(100)))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
    let e = erp
        .post_journal(&JournalEntry {
            lines: vec![
                JournalLine {
                    account: "9999".into(),
                    debit: dec!(1),
                    credit: dec!(0),
                    description: String::new(),
                },
                JournalLine {
                    account: "1000".into(),
                    debit: dec!(0),
                    credit: dec!(1),
                    description: String::new(),
                },
            ],
            ..entry("K3", dec!(100))
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("9999"), "{e}");
    let tb = erp.trial_balance().await.unwrap();
    assert!(tb.is_balanced());
    assert_eq!(tb.balance(accounts::FEES, bc_core::Currency::USD), dec!(5));
}
