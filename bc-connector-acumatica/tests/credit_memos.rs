//! Credit memos of posted sales orders, against the sandbox: Acumatica applies a credit memo
//! to an invoice (`OrigInvNbr`, `ApplicationsCreditMemo`), never to a sales order. A refund
//! before the order's invoice is released waits (a temporary error, nothing written); after
//! the ERP user released it, the credit memo references and is applied to that invoice.

use bc_core::testkit::ledger::sample_document;
use bc_core::{
    Client, CreditKind, CreditLine, CreditMemo, DocNumber, DocumentKind, ErrorKind, ImportId,
    ItemKey, Ledger, LedgerRef, OrderId, SalesLineKind, Sku, SourceCode,
};
use bc_sandbox_acumatica::Kind;
use rust_decimal::Decimal;
use serde_json::Value;

mod common;
use common::{config, fixture, ledger, sandbox};

fn val(row: &Value, field: &str) -> String {
    match &row[field]["value"] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        x => x.to_string(),
    }
}

fn memo_of(
    id: &ImportId,
    refund: &str,
    client: &LedgerRef,
    order: &LedgerRef,
    item: &bc_core::ItemRef,
) -> CreditMemo {
    CreditMemo {
        kind: CreditKind::CreditMemo,
        import_id: id.clone(),
        refund_id: refund.into(),
        number: DocNumber::Auto,
        client: client.clone(),
        invoice: Some(order.clone()),
        lines: vec![CreditLine {
            kind: SalesLineKind::Item {
                item: item.at.clone(),
                line_id: "1".into(),
            },
            target: None,
            description: "returned widget".into(),
            sku: item.sku.clone(),
            quantity: Decimal::ONE,
            unit_price: Decimal::new(2500, 2),
            amount: Decimal::new(2500, 2),
            tax_code: None,
            restock: false,
        }],
        tax: Decimal::ZERO,
        tax_code: None,
        total: Decimal::new(2500, 2),
        refund_account: None,
        currency: bc_core::Currency::USD,
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        memo: None,
        warehouse: None,
    }
}

#[tokio::test]
async fn a_refund_of_a_sales_order_waits_for_its_invoice_then_credits_it() {
    let sb = sandbox();
    let l = ledger(&sb, &config("credit-memo-order"));
    let fx = fixture();
    let client = l
        .create_client(&Client {
            display_name: "Refund Customer".into(),
            company: None,
            contact: None,
            email: Some("refund@example.com".into()),
            phone: None,
            billing: None,
            shipping: None,
            import_id: Some("cm1".into()),
            storefront_customer: None,
            currency: None,
        })
        .await
        .expect("client");
    let item = l
        .find_items(&[ItemKey::Sku(Sku::new("WIDGET-RED"))])
        .await
        .expect("items")
        .remove(0)
        .expect("the seeded stock item");
    let id = ImportId::new(SourceCode::new("CMO").unwrap(), OrderId::new("501")).unwrap();
    let mut doc = sample_document(&fx, &client.at, &item, id.clone(), DocNumber::Auto);
    doc.kind = DocumentKind::SalesOrder;
    let order = l.post_sales_document(&doc).await.expect("sales order");
    let (ty, nbr) = order.id.split_once('/').expect("Type/Nbr");
    assert_eq!(ty, "SO", "{order:?}");

    // Before the invoice: a temporary error naming the order, and no credit memo written.
    let before = memo_of(&id, "R1", &client.at, &order, &item);
    let e = l
        .post_credit_memo(&before)
        .await
        .expect_err("no invoice yet");
    assert!(e.is_temporary(), "{e}");
    assert_ne!(e.kind(), ErrorKind::Invalid, "{e}");
    assert!(
        e.to_string().contains("501") && e.to_string().contains("no invoice yet"),
        "{e}"
    );
    let memos = |sb: &bc_sandbox_acumatica::AcumaticaSandbox| {
        sb.documents(Kind::SalesInvoice)
            .into_iter()
            .filter(|r| val(r, "Type") == "Credit Memo")
            .collect::<Vec<_>>()
    };
    assert!(memos(&sb).is_empty(), "{:?}", memos(&sb));

    // Shipped, not invoiced yet: still waiting.
    sb.ship_order(ty, nbr, Some("1ZCM"), true).expect("shipped");
    let e = l
        .post_credit_memo(&before)
        .await
        .expect_err("no invoice yet");
    assert!(e.is_temporary(), "{e}");
    assert!(memos(&sb).is_empty());

    // The ERP user prepares and releases the invoice: the credit memo references it.
    let invoice = sb.invoice_order(ty, nbr).expect("invoiced");
    let inv_nbr = val(&invoice, "ReferenceNbr");
    let inv_balance: Decimal = val(&invoice, "Balance").parse().unwrap();
    let at = l.post_credit_memo(&before).await.expect("credit memo");
    assert!(at.id.starts_with("Credit Memo/"), "{at:?}");
    let all = memos(&sb);
    assert_eq!(all.len(), 1, "{all:?}");
    let memo = &all[0];
    for line in memo["Details"].as_array().expect("lines") {
        assert_eq!(val(line, "OrigInvNbr"), inv_nbr, "{memo}");
        assert_eq!(val(line, "OrigInvType"), "Invoice", "{memo}");
    }
    assert_eq!(val(memo, "Status"), "Closed", "applied in full: {memo}");
    let inv = sb
        .record(Kind::SalesInvoice, &["Invoice", &inv_nbr])
        .expect("invoice");
    let after: Decimal = val(&inv, "Balance").parse().unwrap();
    assert_eq!(after, inv_balance - Decimal::new(2500, 2), "{inv}");

    // Exactly once: the same refund again is found, not written twice.
    let again = l.post_credit_memo(&before).await.expect("found");
    assert_eq!(again, at);
    assert_eq!(memos(&sb).len(), 1);

    // A second refund after the invoice: straight to the invoice.
    let second = memo_of(&id, "R2", &client.at, &order, &item);
    l.post_credit_memo(&second)
        .await
        .expect("second credit memo");
    assert_eq!(memos(&sb).len(), 2);
    let inv = sb
        .record(Kind::SalesInvoice, &["Invoice", &inv_nbr])
        .expect("invoice");
    let last: Decimal = val(&inv, "Balance").parse().unwrap();
    assert_eq!(last, inv_balance - Decimal::new(5000, 2), "{inv}");
    l.logout().await.expect("signed out");
}
