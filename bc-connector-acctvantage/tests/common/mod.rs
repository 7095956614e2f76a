//! Fixtures shared by the ERP's tests.
#![allow(dead_code, missing_docs)]

use bc_connector_acctvantage::{Erp, ErpOptions};
use bc_core::{
    Client, Contact, Currency, DocNumber, DocumentKind, DocumentTax, ImportId, ItemRef, ItemType,
    Ledger, LedgerRef, NewItem, OrderId, PostingTarget, SalesDocument, SalesLine, SalesLineKind,
    Sku, SourceCode,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

pub const SOURCE: &str = "BC1";

pub async fn erp() -> Erp {
    let erp = Erp::in_memory_with(ErpOptions {
        auto_create_ship_via: true,
        import_source_code: Some(SourceCode::new(SOURCE).unwrap()),
        ..ErpOptions::default()
    })
    .await
    .unwrap();
    erp.add_tax_area("TX-STATE", "2100").await.unwrap();
    erp
}

pub fn import_id(source: &str, order: &str) -> ImportId {
    ImportId::new(SourceCode::new(source).unwrap(), OrderId::new(order)).unwrap()
}

pub async fn client(erp: &Erp, n: u32) -> LedgerRef {
    erp.create_client(&Client {
        display_name: format!("Client {n}"),
        company: None,
        contact: Some(Contact {
            first_name: "Ann".into(),
            last_name: format!("Buyer{n}"),
            email: Some(format!("Contact{n}@Example.com")),
            phone: None,
        }),
        email: Some(format!("client{n}@example.com")),
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some(format!("{n}")),
        storefront_customer: None,
        currency: None,
    })
    .await
    .unwrap()
    .at
}

/// An inventory item with `stock` on hand in MAIN.
pub async fn item(erp: &Erp, sku: &str, stock: Decimal) -> ItemRef {
    let r = erp
        .create_item(&NewItem {
            sku: Sku::new(sku),
            name: format!("Product {sku}"),
            item_type: ItemType::Inventory,
            income_account: "4000".into(),
            expense_account: None,
            cogs_account: Some("5000".into()),
            asset_account: Some("1200".into()),
            product_class: None,
            unit_price: Some(dec!(10)),
        })
        .await
        .unwrap();
    if !stock.is_zero() {
        erp.adjust_stock(sku, "MAIN", stock).await.unwrap();
    }
    r
}

fn line(kind: SalesLineKind, target: Option<PostingTarget>, amount: Decimal) -> SalesLine {
    SalesLine {
        kind,
        target,
        description: "line".into(),
        sku: None,
        quantity: Decimal::ONE,
        unit_price: amount,
        amount,
        tax_code: None,
    }
}

/// A sales order: items (item, qty, unit price), a discount, shipping, a gift certificate and
/// tax, all optional; the order total is what the lines add up to.
pub fn document(
    id: ImportId,
    client: &LedgerRef,
    items: &[(&ItemRef, Decimal, Decimal)],
    discount: Decimal,
    shipping: Decimal,
    gift: Decimal,
    tax: Decimal,
) -> SalesDocument {
    let mut lines = Vec::new();
    for (i, (it, qty, price)) in items.iter().enumerate() {
        lines.push(SalesLine {
            kind: SalesLineKind::Item {
                item: it.at.clone(),
                line_id: format!("{}", i + 1),
            },
            target: None,
            description: it.name.clone(),
            sku: it.sku.clone(),
            quantity: *qty,
            unit_price: *price,
            amount: (*qty * *price).round_dp(2),
            tax_code: Some("TX-STATE".into()),
        });
    }
    if !discount.is_zero() {
        lines.push(line(
            SalesLineKind::Discount {
                code: Some("SAVE".into()),
            },
            Some(PostingTarget::Account("4900".into())),
            -discount,
        ));
    }
    if !shipping.is_zero() {
        lines.push(line(SalesLineKind::Shipping, None, shipping));
    }
    if !gift.is_zero() {
        lines.push(line(
            SalesLineKind::GiftCertificate { code: "GC".into() },
            Some(PostingTarget::Account("Gift card liability".into())),
            -gift,
        ));
    }
    let taxes = if tax.is_zero() {
        vec![]
    } else {
        vec![DocumentTax {
            tax_code: "TX-STATE".into(),
            zone: "Texas".into(),
            rate: dec!(8.25),
            line: None,
            taxable_amount: Decimal::ZERO,
            amount: tax,
        }]
    };
    let mut doc = SalesDocument {
        kind: DocumentKind::SalesOrder,
        order_id: id.order().clone(),
        import_id: id,
        number: DocNumber::Auto,
        client: client.clone(),
        lines,
        taxes,
        currency: Currency::USD,
        exchange_rate: Decimal::ONE,
        date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        due_date: None,
        customer_memo: None,
        private_note: None,
        class: None,
        location: None,
        warehouse: None,
        ship_via: Some("UPS Ground".into()),
        billing: None,
        shipping: None,
        order_total: Decimal::ZERO,
        payment: None,
        custom: Default::default(),
    };
    doc.order_total = doc.total();
    doc
}
