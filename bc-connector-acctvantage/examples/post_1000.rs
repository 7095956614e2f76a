//! Times posting sales orders into the ERP on a SQLite file, one by one and in batches.
//!
//! `cargo run --release -p bc-connector-acctvantage --example post_1000 -- [orders]`

use std::time::Instant;

use bc_connector_acctvantage::{Erp, ErpOptions};
use bc_core::{
    Client, Currency, DocNumber, DocumentKind, DocumentTax, ImportId, ItemRef, ItemType, Ledger,
    LedgerRef, NewItem, OrderId, PostingTarget, SalesDocument, SalesLine, SalesLineKind, Sku,
    SourceCode,
};
use rust_decimal::Decimal;

fn doc(n: usize, client: &LedgerRef, items: &[ItemRef], source: SourceCode) -> SalesDocument {
    let mut lines = Vec::new();
    for k in 0..3 {
        let it = &items[(n + k) % items.len()];
        let qty = Decimal::from(1 + (n + k) % 3);
        let price = Decimal::new(1999 + (n as i64 % 50) * 100, 2);
        lines.push(SalesLine {
            kind: SalesLineKind::Item {
                item: it.at.clone(),
                line_id: format!("{k}"),
            },
            target: None,
            description: it.name.clone(),
            sku: it.sku.clone(),
            quantity: qty,
            unit_price: price,
            amount: qty * price,
            tax_code: Some("TX".into()),
        });
    }
    let charge = |kind, target: &str, amount: Decimal| SalesLine {
        kind,
        target: Some(PostingTarget::Account(target.into())),
        description: "charge".into(),
        sku: None,
        quantity: Decimal::ONE,
        unit_price: amount,
        amount,
        tax_code: None,
    };
    lines.push(charge(
        SalesLineKind::Discount {
            code: Some("SAVE".into()),
        },
        "4900",
        Decimal::new(-500, 2),
    ));
    lines.push(charge(
        SalesLineKind::Shipping,
        "4100",
        Decimal::new(899, 2),
    ));
    let mut d = SalesDocument {
        kind: DocumentKind::SalesOrder,
        import_id: ImportId::new(source, OrderId::new(n.to_string())).expect("valid"),
        order_id: OrderId::new(n.to_string()),
        number: DocNumber::Fixed(format!("BC-{n}")),
        client: client.clone(),
        lines,
        taxes: vec![DocumentTax {
            tax_code: "TX".into(),
            zone: "Texas".into(),
            rate: Decimal::new(825, 2),
            line: None,
            taxable_amount: Decimal::ZERO,
            amount: Decimal::new(412, 2),
        }],
        currency: Currency::USD,
        exchange_rate: Decimal::ONE,
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date"),
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
    d.order_total = d.total();
    d
}

#[tokio::main]
async fn main() -> Result<(), bc_core::Error> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let dir = std::env::temp_dir().join(format!("bcsync-erp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| bc_core::Error::new(bc_core::ErrorKind::Internal, e.to_string()))?;
    for (label, batch) in [("one by one", 1usize), ("batches of 500", 500)] {
        let path = dir.join(format!("erp-{batch}.sqlite"));
        let _ = std::fs::remove_file(&path);
        let erp = Erp::open_with(
            &path,
            ErpOptions {
                auto_create_ship_via: true,
                ..ErpOptions::default()
            },
        )
        .await?;
        erp.add_tax_area("TX", "2100").await?;
        let client = erp
            .create_client(&Client {
                display_name: "Bench".into(),
                company: None,
                contact: None,
                email: None,
                phone: None,
                billing: None,
                shipping: None,
                import_id: None,
                storefront_customer: None,
                currency: None,
            })
            .await?
            .at;
        let mut items = Vec::new();
        for i in 0..50 {
            items.push(
                erp.create_item(&NewItem {
                    sku: Sku::new(format!("SKU-{i}")),
                    name: format!("Product {i}"),
                    item_type: ItemType::Inventory,
                    income_account: "4000".into(),
                    expense_account: None,
                    cogs_account: None,
                    asset_account: None,
                    product_class: None,
                    unit_price: None,
                })
                .await?,
            );
        }
        let source = SourceCode::new("BC1")?;
        let docs: Vec<_> = (0..n).map(|i| doc(i, &client, &items, source)).collect();
        let start = Instant::now();
        let mut refs = Vec::with_capacity(n);
        if batch == 1 {
            for d in &docs {
                refs.push(erp.post_sales_document(d).await?);
            }
        } else {
            for chunk in docs.chunks(batch) {
                for r in erp.post_sales_documents(chunk).await {
                    refs.push(r?);
                }
            }
        }
        let import = start.elapsed();
        let start = Instant::now();
        if batch == 1 {
            for r in &refs {
                erp.post(r).await?;
            }
        } else {
            for chunk in refs.chunks(batch) {
                for r in erp.post_many(chunk).await? {
                    r?;
                }
            }
        }
        let post = start.elapsed();
        let tb = erp.trial_balance().await?;
        let totals = erp.totals_by_source(&source).await?;
        println!(
            "{n} orders {label}: import {:.0} ms ({:.2} ms/order), GL posting {:.0} ms; trial balance balanced: {}; documents {} total {:?}",
            import.as_secs_f64() * 1000.0,
            import.as_secs_f64() * 1000.0 / n as f64,
            post.as_secs_f64() * 1000.0,
            tb.is_balanced(),
            totals.documents,
            totals.totals.get(&Currency::USD)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
