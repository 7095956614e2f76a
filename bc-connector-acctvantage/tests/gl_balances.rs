//! Property: whatever sequence of documents the ERP is given, the general ledger balances and
//! the trial balance agrees with the documents.

mod common;

use bc_connector_acctvantage::{accounts, NewProduct};
use bc_core::{
    CreditKind, CreditLine, CreditMemo, Currency, DocNumber, DocumentKind, ItemRef, JournalEntry,
    JournalLine, Ledger, LedgerRef, Receipt, ReceiptState, SalesLineKind,
};
use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

#[derive(Clone, Debug)]
enum Op {
    Import {
        qty: u8,
        cents: u32,
        discount: u32,
        shipping: u32,
        gift: u32,
        tax: u32,
        invoice: bool,
    },
    Post(usize),
    Receipt {
        order: usize,
        cents: u32,
        captured: bool,
    },
    Capture(usize),
    Ship(usize),
    Credit {
        order: usize,
        qty: u8,
        restock: bool,
        tax: u32,
    },
    Journal {
        cents: u32,
        balanced: bool,
    },
    Cancel(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u8..5, 1u32..20_000, 0u32..500, 0u32..2_000, 0u32..1_000, 0u32..900, any::<bool>())
            .prop_map(|(qty, cents, discount, shipping, gift, tax, invoice)| Op::Import { qty, cents, discount, shipping, gift, tax, invoice }),
        2 => (0usize..8).prop_map(Op::Post),
        2 => (0usize..8, 1u32..30_000, any::<bool>()).prop_map(|(order, cents, captured)| Op::Receipt { order, cents, captured }),
        1 => (0usize..8).prop_map(Op::Capture),
        2 => (0usize..8).prop_map(Op::Ship),
        2 => (0usize..8, 1u8..4, any::<bool>(), 0u32..300).prop_map(|(order, qty, restock, tax)| Op::Credit { order, qty, restock, tax }),
        1 => (1u32..50_000, any::<bool>()).prop_map(|(cents, balanced)| Op::Journal { cents, balanced }),
        1 => (0usize..8).prop_map(Op::Cancel),
    ]
}

fn cents(n: u32) -> Decimal {
    Decimal::new(i64::from(n), 2)
}

struct Order {
    at: LedgerRef,
    doc: bc_core::SalesDocument,
    item: ItemRef,
    unit: Decimal,
}

#[derive(Default)]
struct Model {
    ar: Decimal,
    revenue: Decimal,
    tax: Decimal,
    clearing: Decimal,
    gift: Decimal,
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let tracked = item(&erp, "T", Decimal::from(6)).await;
    let costed = erp
        .add_product(&NewProduct {
            sku: "C".into(),
            name: "Costed".into(),
            product_class: None,
            tracks_inventory: true,
            unit_price: Decimal::from(20),
            unit_cost: Decimal::new(733, 2),
        })
        .await
        .unwrap();
    erp.adjust_stock("C", "MAIN", Decimal::from(3))
        .await
        .unwrap();
    let mut orders: Vec<Order> = Vec::new();
    let mut preauth: Vec<(LedgerRef, Decimal)> = Vec::new();
    let mut m = Model::default();
    let mut seq = 0u32;
    let pick = |orders: &Vec<Order>, i: usize| {
        if orders.is_empty() {
            None
        } else {
            Some(i % orders.len())
        }
    };
    for (n, op) in ops.into_iter().enumerate() {
        match op {
            Op::Import {
                qty,
                cents: c,
                discount,
                shipping,
                gift,
                tax,
                invoice,
            } => {
                let it = if n % 2 == 0 { &tracked } else { &costed };
                let unit = cents(c);
                let mut doc = document(
                    import_id(SOURCE, &format!("{n}")),
                    &cl,
                    &[(it, Decimal::from(qty), unit)],
                    cents(discount),
                    cents(shipping),
                    cents(gift).min(unit * Decimal::from(qty)),
                    cents(tax),
                );
                if invoice {
                    doc.kind = DocumentKind::Invoice;
                }
                if let Ok(at) = erp.post_sales_document(&doc).await {
                    if invoice {
                        m.ar += doc.balance_due();
                        m.revenue += doc.lines[0].amount;
                        m.tax += doc.tax_total();
                        m.gift -= doc.tender_total();
                    }
                    orders.push(Order {
                        at,
                        doc,
                        item: it.clone(),
                        unit,
                    });
                }
            }
            Op::Post(i) => {
                let Some(i) = pick(&orders, i) else { continue };
                let o = &orders[i];
                if erp.post(&LedgerRef::new(o.at.id.clone())).await.is_ok() {
                    m.ar += o.doc.balance_due();
                    m.revenue += o.doc.lines[0].amount;
                    m.tax += o.doc.tax_total();
                    m.gift -= o.doc.tender_total();
                }
            }
            Op::Receipt {
                order,
                cents: c,
                captured,
            } => {
                let Some(i) = pick(&orders, order) else {
                    continue;
                };
                let o = &orders[i];
                seq += 1;
                let r = Receipt {
                    import_id: o.doc.import_id.clone(),
                    sequence: seq,
                    document: o.at.clone(),
                    client: cl.clone(),
                    receipt_type: "CREDIT CARD".into(),
                    deposit_account: "1050".into(),
                    amount: cents(c),
                    currency: Currency::USD,
                    state: if captured {
                        ReceiptState::Captured
                    } else {
                        ReceiptState::PreAuthorized
                    },
                    date: o.doc.date,
                    reference: None,
                };
                if let Ok(at) = erp.post_receipt(&r).await {
                    if captured {
                        m.ar -= r.amount;
                        m.clearing += r.amount;
                    } else {
                        preauth.push((at, r.amount));
                    }
                }
            }
            Op::Capture(i) => {
                if preauth.is_empty() {
                    continue;
                }
                let (at, amount) = preauth[i % preauth.len()].clone();
                if erp.capture_receipt(&at).await.is_ok() {
                    m.ar -= amount;
                    m.clearing += amount;
                }
            }
            Op::Ship(i) => {
                let Some(i) = pick(&orders, i) else { continue };
                let _ = erp.process_shipment(&orders[i].at, "1Z", "ups", &[]).await;
            }
            Op::Credit {
                order,
                qty,
                restock,
                tax,
            } => {
                let Some(i) = pick(&orders, order) else {
                    continue;
                };
                let o = &orders[i];
                seq += 1;
                let amount = o.unit * Decimal::from(qty);
                let memo = CreditMemo {
                    kind: CreditKind::CreditMemo,
                    import_id: o.doc.import_id.clone(),
                    refund_id: format!("R{seq}"),
                    number: DocNumber::Auto,
                    client: cl.clone(),
                    invoice: Some(o.at.clone()),
                    lines: vec![CreditLine {
                        kind: SalesLineKind::Item {
                            item: o.item.at.clone(),
                            line_id: "1".into(),
                        },
                        target: None,
                        description: "refund".into(),
                        sku: o.item.sku.clone(),
                        quantity: Decimal::from(qty),
                        unit_price: o.unit,
                        amount,
                        tax_code: None,
                        restock,
                    }],
                    tax: cents(tax),
                    tax_code: None,
                    total: amount + cents(tax),
                    refund_account: None,
                    currency: Currency::USD,
                    date: o.doc.date,
                    memo: None,
                    warehouse: None,
                };
                if erp.post_credit_memo(&memo).await.is_ok() {
                    m.ar -= memo.total;
                    m.revenue -= amount;
                    m.tax -= memo.tax;
                }
            }
            Op::Journal { cents: c, balanced } => {
                seq += 1;
                let credit = if balanced {
                    cents(c)
                } else {
                    cents(c) + Decimal::new(1, 2)
                };
                let entry = JournalEntry {
                    key: format!("J{seq}").into(),
                    number: DocNumber::Auto,
                    date: chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
                    currency: Currency::USD,
                    lines: vec![
                        JournalLine {
                            account: "6100".into(),
                            debit: cents(c),
                            credit: Decimal::ZERO,
                            description: String::new(),
                        },
                        JournalLine {
                            account: "1000".into(),
                            debit: Decimal::ZERO,
                            credit,
                            description: String::new(),
                        },
                    ],
                    memo: None,
                };
                let r = erp.post_journal(&entry).await;
                prop_assert_eq!(r.is_ok(), balanced, "{:?}", r);
            }
            Op::Cancel(i) => {
                let Some(i) = pick(&orders, i) else { continue };
                let _ = erp
                    .set_status(
                        &orders[i].at,
                        bc_connector_acctvantage::SalesOrderStatus::Cancelled,
                    )
                    .await;
            }
        }
        let tb = erp.trial_balance().await.unwrap();
        prop_assert!(
            tb.is_balanced(),
            "unbalanced after op {}: {:?}",
            n,
            tb.differences()
        );
        let usd = Currency::USD;
        prop_assert_eq!(tb.balance(accounts::AR, usd), m.ar);
        prop_assert_eq!(tb.balance(accounts::SALES, usd), -m.revenue);
        prop_assert_eq!(tb.balance(accounts::SALES_TAX_PAYABLE, usd), -m.tax);
        prop_assert_eq!(tb.balance(accounts::CLEARING, usd), m.clearing);
        prop_assert_eq!(tb.balance(accounts::GIFT_CARD_LIABILITY, usd), m.gift);
        prop_assert_eq!(
            tb.balance(accounts::INVENTORY, usd) + tb.balance(accounts::COGS, usd),
            Decimal::ZERO
        );
        for sku in ["T", "C"] {
            let s = erp.stock(sku, "MAIN").await.unwrap();
            prop_assert!(s.committed >= Decimal::ZERO, "{:?}", s);
        }
    }
    prop_assert!(erp.duplicates().await.unwrap().is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn the_general_ledger_always_balances_and_agrees_with_the_documents(ops in prop::collection::vec(op(), 1..30)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(ops))?;
    }
}
