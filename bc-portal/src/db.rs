//! The portal's database: schema and connection.
//!
//! SQLite by default. Every query is plain SQL-92 with `?` placeholders, amounts are decimal
//! strings summed in Rust (never in SQL floats), ids are integers the database assigns with
//! `RETURNING id`, and timestamps are RFC 3339 text, so that a PostgreSQL backend is the same
//! statements with `$n` placeholders (sqlx `Any`-style) and `BIGSERIAL` keys. Writes are
//! serialised by one lock per portal (SQLite has one writer anyway); on PostgreSQL the same
//! critical sections become `SELECT … FOR UPDATE` transactions.

use std::str::FromStr;

use bc_core::{Error, ErrorKind, Result};
use rust_decimal::Decimal;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow};
use sqlx::{Row, SqlitePool};
use tokio::sync::{Mutex, MutexGuard};

/// The schema, applied at start (idempotent).
pub const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS companies (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
       external_id TEXT NOT NULL UNIQUE, storefront_customer_id TEXT)",
    "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
       name TEXT NOT NULL, password_hash TEXT NOT NULL, kind TEXT NOT NULL, role TEXT,
       company_id INTEGER REFERENCES companies(id), created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS role_permissions (role TEXT NOT NULL, permission TEXT NOT NULL,
       PRIMARY KEY (role, permission))",
    "CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL
       REFERENCES users(id) ON DELETE CASCADE, csrf TEXT NOT NULL, created_at TEXT NOT NULL,
       expires_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS login_failures (id INTEGER PRIMARY KEY, key TEXT NOT NULL,
       at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at)",
    "CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, number TEXT NOT NULL,
       company_id INTEGER NOT NULL REFERENCES companies(id), customer_name TEXT NOT NULL,
       status TEXT NOT NULL, status_label TEXT NOT NULL, currency TEXT NOT NULL,
       total TEXT NOT NULL, lines_json TEXT NOT NULL, fingerprint TEXT NOT NULL,
       invoiced_fingerprint TEXT, created_at TEXT NOT NULL, synced_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS invoices (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE,
       source TEXT NOT NULL, order_id TEXT, company_id INTEGER NOT NULL REFERENCES companies(id),
       currency TEXT NOT NULL, total TEXT NOT NULL, paid TEXT NOT NULL, status TEXT NOT NULL,
       ledger_ref TEXT, import_id TEXT, created_at TEXT NOT NULL, created_by TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS invoices_ledger ON invoices(ledger_ref)",
    "CREATE TABLE IF NOT EXISTS invoice_lines (id INTEGER PRIMARY KEY, invoice_id INTEGER NOT NULL
       REFERENCES invoices(id) ON DELETE CASCADE, position INTEGER NOT NULL, kind TEXT NOT NULL,
       sku TEXT, order_line TEXT, description TEXT NOT NULL, quantity TEXT NOT NULL,
       unit_price TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS payments (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE,
       company_id INTEGER NOT NULL REFERENCES companies(id), method TEXT NOT NULL,
       reference TEXT NOT NULL, memo TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL,
       status TEXT NOT NULL, checkout_id INTEGER UNIQUE, created_at TEXT NOT NULL,
       created_by TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS payment_allocations (payment_id INTEGER NOT NULL
       REFERENCES payments(id), invoice_id INTEGER NOT NULL REFERENCES invoices(id),
       amount TEXT NOT NULL, PRIMARY KEY (payment_id, invoice_id))",
    "CREATE TABLE IF NOT EXISTS receipt_outbox (id INTEGER PRIMARY KEY, payment_id INTEGER NOT NULL,
       invoice_id INTEGER NOT NULL, amount TEXT NOT NULL, state TEXT NOT NULL, ledger_ref TEXT,
       attempts INTEGER NOT NULL, last_error TEXT, UNIQUE (payment_id, invoice_id))",
    "CREATE TABLE IF NOT EXISTS checkouts (id INTEGER PRIMARY KEY, idempotency_key TEXT NOT NULL
       UNIQUE, company_id INTEGER NOT NULL, user_id INTEGER NOT NULL, state TEXT NOT NULL,
       amount TEXT NOT NULL, currency TEXT NOT NULL, storefront_order_id TEXT, error TEXT,
       created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS checkout_allocations (checkout_id INTEGER NOT NULL
       REFERENCES checkouts(id), invoice_id INTEGER NOT NULL, amount TEXT NOT NULL,
       PRIMARY KEY (checkout_id, invoice_id))",
    "CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY, at TEXT NOT NULL,
       actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
];

/// The database: a pool and the write lock.
#[derive(Debug)]
pub struct Db {
    /// The pool.
    pub pool: SqlitePool,
    write: Mutex<()>,
}

/// A database error as a `bc_core::Error`.
pub fn db_err(what: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| {
        Error::new(
            ErrorKind::Unavailable,
            format!("portal database: {what}: {e}"),
        )
    }
}

impl Db {
    /// Opens (and creates) the database and applies the schema.
    pub async fn open(url: &str) -> Result<Db> {
        let memory = url.contains(":memory:");
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::new(ErrorKind::Config, format!("portal.database_url: {e}")))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10))
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            });
        // An in-memory database lives in one connection.
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 8 })
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await
            .map_err(db_err("open"))?;
        for stmt in SCHEMA {
            sqlx::query(stmt)
                .execute(&pool)
                .await
                .map_err(db_err("apply schema"))?;
        }
        Ok(Db {
            pool,
            write: Mutex::new(()),
        })
    }

    /// Takes the write lock (held across one transaction).
    pub async fn writer(&self) -> MutexGuard<'_, ()> {
        self.write.lock().await
    }
}

/// Now as RFC 3339 text.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A decimal column.
pub fn dec(row: &SqliteRow, col: &str) -> Result<Decimal> {
    let s: String = row.try_get(col).map_err(db_err("read decimal"))?;
    Decimal::from_str_exact(&s).map_err(|e| {
        Error::new(
            ErrorKind::Invalid,
            format!("portal database: column {col}: `{s}` is not a decimal: {e}"),
        )
    })
}

/// A column.
pub fn col<'r, T>(row: &'r SqliteRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(name).map_err(db_err("read column"))
}

/// The next value of a named counter (invoice and payment numbers), inside a transaction.
pub async fn next_counter(conn: &mut sqlx::SqliteConnection, name: &str) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO counters(name, value) VALUES (?, 1)
         ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
    )
    .bind(name)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err("next number"))?;
    col(&row, "value")
}
