//! The database the ERP lives in, where an HTTP connector has its `client.rs`: the [`Erp`]
//! handle (a SQLite pool in WAL mode and the in-process writer lock), its read connections
//! and write transactions, the counters behind document numbers and feed cursors, and the
//! stock table every movement goes through.
//!
//! - [`schema`]: the tables, applied at open, and the seeded chart of accounts;
//! - [`orders`]: reading stored sales orders and their item lines.

pub(crate) mod orders;
pub(crate) mod schema;

use std::str::FromStr;
use std::time::Duration;

use bc_core::{Cursor, Decimal, ErrorKind, Result};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use tokio::sync::{Mutex, MutexGuard};

use crate::config::ErpOptions;
use crate::error::{db_err, err};
use crate::wire::{dec, get};

/// Most items one page of a change feed holds.
pub(crate) const PAGE_SIZE: i64 = 500;

/// SQLite's page cache per pooled connection, KiB (SQLite's default is 2,000 KiB). Each
/// connection fills its cache as the database grows, and a worker holds a pool per ERP it
/// syncs: at SQLite's default, ten ERPs of four connections each could keep 80 MB of pages
/// the operating system caches anyway (the file is read through it).
pub(crate) const PAGE_CACHE_KIB: i64 = 512;

/// How long a pooled connection (and its page cache) is kept while nothing uses it.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection inside a read or a write transaction.
pub(crate) type Conn = SqliteConnection;

/// The embedded AcctVantage-style ERP: a SQLite database (WAL) with clients, products,
/// warehouses, sales orders, receipts, shipments, credit memos and a double-entry general
/// ledger. It implements [`bc_core::Ledger`]; its own methods are what a person does in the
/// ERP (ship, post, adjust stock, enter an order).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), bc_core::Error> {
/// use bc_connector_acctvantage::Erp;
/// let erp = Erp::in_memory().await?;
/// assert!(erp.trial_balance().await?.is_balanced());
/// # Ok(())
/// # }
/// ```
pub struct Erp {
    pub(crate) pool: SqlitePool,
    write: Mutex<()>,
    pub(crate) options: ErpOptions,
}

impl std::fmt::Debug for Erp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Erp")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A write transaction: the in-process writer lock plus a SQLite transaction.
pub(crate) struct Write<'a> {
    _guard: MutexGuard<'a, ()>,
    pub(crate) tx: sqlx::Transaction<'a, sqlx::Sqlite>,
}

impl Write<'_> {
    pub(crate) fn conn(&mut self) -> &mut Conn {
        &mut self.tx
    }

    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(db_err("commit"))
    }
}

impl Erp {
    /// Opens (or creates) the ERP database at `path` with default options.
    pub async fn open(path: impl AsRef<std::path::Path>) -> Result<Erp> {
        Erp::open_with(path, ErpOptions::default()).await
    }

    /// Opens (or creates) the ERP database at `path`: WAL mode, foreign keys on, schema and
    /// seed chart of accounts applied.
    pub async fn open_with(path: impl AsRef<std::path::Path>, options: ErpOptions) -> Result<Erp> {
        let path = path.as_ref();
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", format!("-{PAGE_CACHE_KIB}"));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .idle_timeout(Some(IDLE_TIMEOUT))
            .connect_with(connect)
            .await
            .map_err(|e| {
                let msg = format!(
                    "cannot open the ERP database {}: {e} (check that its directory exists and is writable, or set `ledger.path`)",
                    path.display()
                );
                err(ErrorKind::Config, msg).with_source(e)
            })?;
        Erp::init(pool, options).await
    }

    /// A fresh ERP in memory (tests, dry runs), with default options.
    pub async fn in_memory() -> Result<Erp> {
        Erp::in_memory_with(ErpOptions::default()).await
    }

    /// A fresh ERP in memory with `options`.
    pub async fn in_memory_with(options: ErpOptions) -> Result<Erp> {
        let connect = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(db_err("open in memory"))?
            .foreign_keys(true);
        // One connection that never closes: an in-memory database lives as long as it.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(connect)
            .await
            .map_err(db_err("open in memory"))?;
        Erp::init(pool, options).await
    }

    async fn init(pool: SqlitePool, options: ErpOptions) -> Result<Erp> {
        let erp = Erp {
            pool,
            write: Mutex::new(()),
            options,
        };
        let mut w = erp.write().await?;
        sqlx::raw_sql(schema::SCHEMA)
            .execute(w.conn())
            .await
            .map_err(db_err("apply schema"))?;
        sqlx::raw_sql(schema::SEED)
            .execute(w.conn())
            .await
            .map_err(db_err("seed chart of accounts"))?;
        let wh = erp.options.default_warehouse.clone();
        sqlx::query("INSERT OR IGNORE INTO warehouses(code, name) VALUES (?, ?)")
            .bind(&wh)
            .bind(&wh)
            .execute(w.conn())
            .await
            .map_err(db_err("create default warehouse"))?;
        w.commit().await?;
        Ok(erp)
    }

    /// The options it runs with.
    pub fn options(&self) -> &ErpOptions {
        &self.options
    }

    pub(crate) async fn write(&self) -> Result<Write<'_>> {
        let guard = self.write.lock().await;
        // IMMEDIATE: take SQLite's write lock up front, so that another process writing the
        // same file makes us wait (busy timeout) instead of failing mid-transaction.
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err("begin"))?;
        Ok(Write { _guard: guard, tx })
    }

    pub(crate) async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>> {
        self.pool.acquire().await.map_err(db_err("connect"))
    }
}

/// Takes the next value of a counter (`seq` for change feeds, `SO`, `CM`… for numbers).
pub(crate) async fn next(conn: &mut Conn, counter: &str) -> Result<i64> {
    let row = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value")
        .bind(counter)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err("next number"))?;
    get(&row, "value")
}

/// A document number of a series: `SO-000042`.
pub(crate) fn number(series: &str, n: i64) -> String {
    format!("{series}-{n:06}")
}

/// Parses a cursor of this ledger: empty (the start) or a sequence number.
pub(crate) fn cursor(c: &Cursor) -> Result<i64> {
    if c.is_start() {
        return Ok(0);
    }
    c.0.parse::<i64>().map_err(|_| {
        err(
            ErrorKind::Invalid,
            format!(
                "cursor `{}` was not made by the AcctVantage ERP (expected a sequence number)",
                c.0
            ),
        )
    })
}

/// Parses a ledger id (the integer primary key) of `what`.
pub(crate) fn id_of(what: &str, id: &str) -> Result<i64> {
    id.parse::<i64>().map_err(|_| {
        err(
            ErrorKind::NotFound,
            format!("{what} `{id}` does not exist in the AcctVantage ERP (ids are numbers)"),
        )
    })
}

/// The current time as stored.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Adds `d_on_hand` and `d_committed` to a product's stock in a warehouse and stamps the
/// change with a fresh sequence number (the availability feed).
pub(crate) async fn change_stock(
    c: &mut Conn,
    product_id: i64,
    warehouse: &str,
    d_on_hand: Decimal,
    d_committed: Decimal,
) -> Result<()> {
    if d_on_hand.is_zero() && d_committed.is_zero() {
        return Ok(());
    }
    let row =
        sqlx::query("SELECT on_hand, committed FROM stock WHERE product_id = ? AND warehouse = ?")
            .bind(product_id)
            .bind(warehouse)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err("read stock"))?;
    let (on_hand, committed) = match row {
        Some(r) => (dec(&r, "on_hand")?, dec(&r, "committed")?),
        None => (Decimal::ZERO, Decimal::ZERO),
    };
    let seq = next(c, "seq").await?;
    sqlx::query(
        "INSERT INTO stock(product_id, warehouse, on_hand, committed, seq) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(product_id, warehouse) DO UPDATE SET on_hand = excluded.on_hand,
         committed = excluded.committed, seq = excluded.seq",
    )
    .bind(product_id)
    .bind(warehouse)
    .bind((on_hand + d_on_hand).normalize().to_string())
    .bind((committed + d_committed).normalize().to_string())
    .bind(seq)
    .execute(&mut *c)
    .await
    .map_err(db_err("write stock"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pooled_connections_of_a_file_keep_a_small_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let erp = Erp::open(dir.path().join("erp.sqlite")).await.unwrap();
        // Every connection of the pool, not only the first: hold two at once.
        let mut a = erp.read().await.unwrap();
        let mut b = erp.read().await.unwrap();
        for c in [&mut a, &mut b] {
            let kib: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut **c)
                .await
                .unwrap();
            assert_eq!(kib, -PAGE_CACHE_KIB);
        }
        assert_eq!(erp.pool.options().get_idle_timeout(), Some(IDLE_TIMEOUT));
    }

    #[tokio::test]
    async fn the_unique_index_refuses_a_second_document_with_the_same_import_id() {
        let erp = Erp::in_memory().await.unwrap();
        let mut w = erp.write().await.unwrap();
        sqlx::query("INSERT INTO clients(code, display_name) VALUES ('C-1', 'A')")
            .execute(w.conn())
            .await
            .unwrap();
        let insert = "INSERT INTO sales_orders(number, kind, origin, import_id, client_id, status, status_seq,
            status_changed_at, seq, version, currency, exchange_rate, date, warehouse, total, balance_due, created_at)
            VALUES (?, 'sales_order', 'storefront', 'BC11', 1, 'Open', 0, '', 0, 1, 'USD', '1', '2024-01-01', 'MAIN', '1', '1', '')";
        sqlx::query(insert)
            .bind("SO-1")
            .execute(w.conn())
            .await
            .unwrap();
        let e = sqlx::query(insert)
            .bind("SO-2")
            .execute(w.conn())
            .await
            .unwrap_err();
        assert_eq!(
            crate::error::db_err("insert")(e).kind(),
            ErrorKind::Conflict
        );
    }
}
