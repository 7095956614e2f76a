//! The ERP's "wire": what its tables hold, read back. Where an HTTP connector parses the
//! platform's JSON, this one reads SQLite rows (`src/wire.rs`): amounts are stored as exact
//! decimal text — never a float — and read back to the same `Decimal`; statuses and document
//! kinds are stored by name; a row holding something else is a clear error naming the column
//! and the value, never a panic or a silently wrong amount.
//!
//! The rows are written through the `Ledger` into a database file and read with a plain
//! SQLite connection beside the ERP, as another program (a report, a backup check) would.

mod common;

use std::path::Path;
use std::str::FromStr;

use bc_connector_acctvantage::{Erp, ErpOptions, SalesOrderStatus};
use bc_core::{ErrorKind, Ledger, SourceCode};
use common::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::Row;

async fn file_erp(path: &Path) -> Erp {
    let erp = Erp::open_with(
        path,
        ErpOptions {
            auto_create_ship_via: true,
            import_source_code: Some(SourceCode::new(SOURCE).unwrap()),
            ..ErpOptions::default()
        },
    )
    .await
    .unwrap();
    erp.add_tax_area("TX-STATE", "2100").await.unwrap();
    erp
}

/// A second connection to the same file.
async fn raw(path: &Path) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(std::time::Duration::from_secs(5));
    SqlitePool::connect_with(options).await.unwrap()
}

/// Plain decimal notation: digits, at most one point, an optional minus; no exponent, no
/// float artefacts.
fn is_decimal_text(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let mut parts = digits.split('.');
    let whole = parts.next().unwrap_or_default();
    let frac = parts.next();
    parts.next().is_none()
        && !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// The stored text of a column, checked to be plain decimal notation, and its value.
fn stored(row: &sqlx::sqlite::SqliteRow, col: &str) -> Decimal {
    let text: String = row.get(col);
    assert!(is_decimal_text(&text), "`{col}` holds `{text}`");
    Decimal::from_str(&text).unwrap()
}

#[tokio::test]
async fn amounts_are_stored_as_exact_decimal_text_and_read_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("erp.sqlite");
    let erp = file_erp(&path).await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    // Amounts whose binary floating-point forms are inexact (0.1, 33.33, 8.25).
    let id = import_id(SOURCE, "3001");
    let doc = document(
        id.clone(),
        &cl,
        &[(&it, dec!(3), dec!(33.33))],
        dec!(0.1),
        dec!(7.5),
        dec!(0),
        dec!(8.25),
    );
    let at = erp.post_sales_document(&doc).await.unwrap();
    erp.post(&at).await.unwrap();

    let db = raw(&path).await;
    let head = sqlx::query(
        "SELECT kind, status, currency, date, total, balance_due, exchange_rate, import_id
         FROM sales_orders WHERE import_id = ?",
    )
    .bind(id.to_string())
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(stored(&head, "total"), doc.total());
    assert_eq!(doc.total(), dec!(115.64));
    assert_eq!(stored(&head, "balance_due"), doc.total());
    assert_eq!(stored(&head, "exchange_rate"), Decimal::ONE);
    assert_eq!(head.get::<String, _>("kind"), "sales_order");
    assert_eq!(
        head.get::<String, _>("status"),
        SalesOrderStatus::Posted.as_str()
    );
    assert_eq!(head.get::<String, _>("currency"), "USD");
    assert_eq!(head.get::<String, _>("date"), "2026-11-20");

    let lines = sqlx::query(
        "SELECT l.quantity, l.unit_price, l.amount FROM sales_lines l
         JOIN sales_orders o ON o.id = l.order_id WHERE o.import_id = ? ORDER BY l.line_no",
    )
    .bind(id.to_string())
    .fetch_all(&db)
    .await
    .unwrap();
    let amounts: Vec<(Decimal, Decimal, Decimal)> = lines
        .iter()
        .map(|r| {
            (
                stored(r, "quantity"),
                stored(r, "unit_price"),
                stored(r, "amount"),
            )
        })
        .collect();
    assert_eq!(amounts[0], (dec!(3), dec!(33.33), dec!(99.99)));
    assert!(
        amounts.contains(&(dec!(1), dec!(-0.1), dec!(-0.1))),
        "{amounts:?}"
    );

    // The posting journal, line by line: exact text, debits equal credits.
    let journal = sqlx::query(
        "SELECT jl.debit, jl.credit FROM journal_lines jl
         JOIN sales_orders o ON o.journal_id = jl.journal_id WHERE o.import_id = ?",
    )
    .bind(id.to_string())
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(journal.len() >= 4, "{} journal lines", journal.len());
    let debits: Decimal = journal.iter().map(|r| stored(r, "debit")).sum();
    let credits: Decimal = journal.iter().map(|r| stored(r, "credit")).sum();
    assert_eq!(debits, credits);

    // Read back through the ERP: the same amounts.
    let found = erp.find_document(&id).await.unwrap().unwrap();
    assert_eq!(found.total, doc.total());
    assert_eq!(found.status.as_deref(), Some("Posted"));
    let summary = erp.sales_orders(None).await.unwrap();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].total, doc.total());
    assert_eq!(summary[0].status, SalesOrderStatus::Posted);
    assert!(erp.trial_balance().await.unwrap().is_balanced());
}

#[tokio::test]
async fn a_stored_row_the_erp_did_not_write_is_an_error_naming_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("erp.sqlite");
    let erp = file_erp(&path).await;
    let cl = client(&erp, 1).await;
    let it = item(&erp, "A", dec!(10)).await;
    let id = import_id(SOURCE, "3002");
    let doc = document(
        id.clone(),
        &cl,
        &[(&it, dec!(1), dec!(20))],
        dec!(0),
        dec!(0),
        dec!(0),
        dec!(0),
    );
    erp.post_sales_document(&doc).await.unwrap();
    let db = raw(&path).await;

    // An amount that is not decimal text: a word, a decimal comma (never read as 1250), empty.
    for bad in ["twelve", "12,50", ""] {
        sqlx::query("UPDATE sales_orders SET total = ? WHERE import_id = ?")
            .bind(bad)
            .bind(id.to_string())
            .execute(&db)
            .await
            .unwrap();
        let e = erp.find_document(&id).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
        let text = e.to_string();
        assert!(
            text.contains("total") && text.contains(&format!("`{bad}`")),
            "{text}"
        );
    }
    sqlx::query("UPDATE sales_orders SET total = '20' WHERE import_id = ?")
        .bind(id.to_string())
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        erp.find_document(&id).await.unwrap().unwrap().total,
        dec!(20)
    );

    // A status the ERP does not have.
    sqlx::query("UPDATE sales_orders SET status = 'Lost' WHERE import_id = ?")
        .bind(id.to_string())
        .execute(&db)
        .await
        .unwrap();
    let e = erp.find_document(&id).await.unwrap_err();
    assert!(e.to_string().contains("Lost"), "{e}");
}

#[test]
fn every_status_is_stored_by_a_name_that_reads_back() {
    for status in SalesOrderStatus::ALL {
        let name = status.as_str();
        assert_eq!(SalesOrderStatus::from_str(name).unwrap(), status, "{name}");
        assert_eq!(
            SalesOrderStatus::from_str(&name.to_uppercase().replace(' ', "_")).unwrap(),
            status
        );
    }
    assert_eq!(
        SalesOrderStatus::from_str("Invoiced").unwrap(),
        SalesOrderStatus::Posted
    );
    assert_eq!(
        SalesOrderStatus::from_str("Lost").unwrap_err().kind(),
        ErrorKind::Invalid
    );
}
