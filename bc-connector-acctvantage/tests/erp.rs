//! The ERP's own operations, what a person does in it or what its file must guarantee:
//! posting (one order, many), the database file (WAL, reopening, two processes on one file,
//! a path that cannot be opened).

mod common;

use bc_connector_acctvantage::accounts;
use bc_core::{ClientKey, ErrorKind, Ledger};
use common::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

#[tokio::test]
async fn posting_writes_a_balanced_sales_journal_with_each_line_on_its_account() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let doc = document(
        import_id(SOURCE, "1"),
        &cl,
        &[(&it, dec!(2), dec!(50))],
        dec!(10),
        dec!(8),
        dec!(25),
        dec!(7.43),
    );
    let at = erp.post_sales_document(&doc).await.unwrap();
    erp.post(&at).await.unwrap();
    let tb = erp.trial_balance().await.unwrap();
    assert!(tb.is_balanced(), "{tb:?}");
    let usd = bc_core::Currency::USD;
    assert_eq!(tb.balance(accounts::AR, usd), doc.balance_due()); // 100 − 10 + 8 + 7.43 − 25
    assert_eq!(tb.balance(accounts::AR, usd), dec!(80.43));
    assert_eq!(tb.balance(accounts::SALES, usd), dec!(-100));
    assert_eq!(tb.balance(accounts::DISCOUNTS, usd), dec!(10));
    assert_eq!(tb.balance(accounts::SHIPPING_INCOME, usd), dec!(-8));
    assert_eq!(tb.balance(accounts::SALES_TAX_PAYABLE, usd), dec!(-7.43));
    assert_eq!(tb.balance(accounts::GIFT_CARD_LIABILITY, usd), dec!(25)); // never revenue
    let found = erp.find_document(&doc.import_id).await.unwrap().unwrap();
    assert_eq!(found.status.as_deref(), Some("Posted"));
    assert!(!found.editable);
    assert_eq!(erp.post(&at).await.unwrap_err().kind(), ErrorKind::Conflict);
    let journals = erp
        .journals_of("sales", at.id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(journals.len(), 1);
    let debits: Decimal = journals[0].lines.iter().map(|l| l.1).sum();
    let credits: Decimal = journals[0].lines.iter().map(|l| l.2).sum();
    assert_eq!(debits, credits);
    assert_eq!(debits, dec!(80.43) + dec!(10) + dec!(25));
}

#[tokio::test]
async fn the_database_file_is_wal_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("erp.sqlite");
    {
        let erp = bc_connector_acctvantage::Erp::open(&path).await.unwrap();
        client(&erp, 1).await;
        erp.add_account(
            "4010",
            "Wholesale",
            bc_connector_acctvantage::AccountKind::Income,
        )
        .await
        .unwrap();
    }
    let erp = bc_connector_acctvantage::Erp::open(&path).await.unwrap();
    assert!(erp
        .find_client(&ClientKey::ImportId("1".into()))
        .await
        .unwrap()
        .is_some());
    assert!(erp
        .accounts()
        .await
        .unwrap()
        .iter()
        .any(|a| a.code == "4010"));
    assert!(dir.path().join("erp.sqlite-wal").exists());
}

#[tokio::test]
async fn post_many_posts_each_order_once_and_reports_each_refusal() {
    let erp = erp().await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let mut refs = Vec::new();
    for n in ["1", "2", "3"] {
        let doc = document(
            import_id(SOURCE, n),
            &cl,
            &[(&it, dec!(1), dec!(10))],
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
        );
        refs.push(erp.post_sales_document(&doc).await.unwrap());
    }
    erp.set_document_status(&refs[1], "On Hold").await.unwrap();
    let results = erp
        .post_many(&[
            refs[0].clone(),
            refs[1].clone(),
            refs[2].clone(),
            refs[0].clone(),
        ])
        .await
        .unwrap();
    assert!(results[0].is_ok() && results[2].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().kind(), ErrorKind::Invalid);
    assert_eq!(results[3].as_ref().unwrap_err().kind(), ErrorKind::Conflict);
    let tb = erp.trial_balance().await.unwrap();
    assert!(tb.is_balanced());
    assert_eq!(tb.balance(accounts::AR, bc_core::Currency::USD), dec!(20));
}

#[tokio::test]
async fn two_processes_on_one_file_never_import_an_import_id_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("erp.sqlite");
    let opts = bc_connector_acctvantage::ErpOptions {
        auto_create_ship_via: true,
        ..Default::default()
    };
    let a = bc_connector_acctvantage::Erp::open_with(&path, opts.clone())
        .await
        .unwrap();
    let b = bc_connector_acctvantage::Erp::open_with(&path, opts)
        .await
        .unwrap();
    a.add_tax_area("TX-STATE", "2100").await.unwrap();
    let cl = client(&a, 1).await;
    let it = item(&a, "A", dec!(100)).await;
    let docs: Vec<_> = (0..30)
        .map(|n| {
            document(
                import_id(SOURCE, &n.to_string()),
                &cl,
                &[(&it, dec!(1), dec!(10))],
                dec!(0),
                dec!(0),
                dec!(0),
                dec!(0),
            )
        })
        .collect();
    // Both post every document, in opposite orders.
    async fn run(erp: &bc_connector_acctvantage::Erp, docs: Vec<&bc_core::SalesDocument>) -> usize {
        let mut ok = 0;
        for d in docs {
            match erp.post_sales_document(d).await {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(e.kind(), ErrorKind::Conflict, "{e}"),
            }
        }
        ok
    }
    let forward: Vec<_> = docs.iter().collect();
    let backward: Vec<_> = docs.iter().rev().collect();
    let (x, y) = tokio::join!(run(&a, forward), run(&b, backward));
    assert_eq!(x + y, 30);
    assert_eq!(a.sales_orders(None).await.unwrap().len(), 30);
    assert!(b.duplicates().await.unwrap().is_empty());
    assert_eq!(b.stock("A", "MAIN").await.unwrap().committed, dec!(30));
}

#[tokio::test]
async fn an_unopenable_database_path_is_a_config_error_naming_it() {
    let e = bc_connector_acctvantage::Erp::open("/nonexistent-dir-for-bcsync/erp.sqlite")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(
        e.to_string()
            .contains("/nonexistent-dir-for-bcsync/erp.sqlite"),
        "{e}"
    );
}
