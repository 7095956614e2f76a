//! The SQLite state store: one file in WAL mode, no server. Several connections (tenants) may
//! share a file; a handle reads and writes only its own connection's rows.

mod budgets;
mod rows;
mod store;

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bc_core::{Error, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::codec::{db, parse_ts};
use crate::connection::{check_connection_name, DEFAULT_CONNECTION};
use crate::status::{job_statuses, JobStatus, UnitInfo};

/// [`bc_engine::StateStore`] on SQLite (WAL mode), embedded: one file, no server.
///
/// A handle is bound to one connection (default [`DEFAULT_CONNECTION`]); see
/// [`SqliteStateStore::for_connection`].
#[derive(Clone, Debug)]
pub struct SqliteStateStore {
    pool: SqlitePool,
    connection: Arc<str>,
}

impl SqliteStateStore {
    /// Opens (creating if needed) the store at `path` and migrates its schema.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path.as_ref())
            .create_if_missing(true);
        Self::with_options(options, 4).await
    }

    /// Opens the store named by a settings URL: `sqlite://path`, `sqlite:path` or
    /// `sqlite::memory:`. A `postgres://` URL is refused with a [`bc_core::ErrorKind::Config`]
    /// error: [`crate::connect`] opens either kind.
    pub async fn connect(url: &str) -> Result<Self> {
        if crate::is_postgres_url(url) {
            return Err(Error::config(
                "state.url",
                format!(
                    "`{}` is a PostgreSQL URL: open it with bc_state::connect or PostgresStateStore",
                    crate::redact_url(url)
                ),
            ));
        }
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Self::in_memory().await;
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                Error::config(
                    "state.url",
                    format!("`{url}` is neither a sqlite:// nor a postgres:// URL"),
                )
            })?;
        Self::open(path).await
    }

    /// A private in-memory store (one connection), for tests.
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(db("open"))?;
        Self::with_options(options, 1).await
    }

    async fn with_options(options: SqliteConnectOptions, connections: u32) -> Result<Self> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            // Durable across an OS crash: an intent recorded is on disk before the write it
            // announces goes out. Group commits keep the cost per order small.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(connections.max(1))
            // An embedded file: a pooled connection does not go stale, so no ping (a round trip
            // to the connection's thread) before every statement taken from the pool.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(db("open"))?;
        crate::migrate::migrate_sqlite(&pool).await?;
        Ok(SqliteStateStore {
            pool,
            connection: Arc::from(DEFAULT_CONNECTION),
        })
    }

    /// A handle on the same file bound to the connection `name`: it reads and writes only that
    /// connection's rows (the pool is shared).
    pub fn for_connection(&self, name: &str) -> Result<Self> {
        check_connection_name(name)?;
        Ok(SqliteStateStore {
            pool: self.pool.clone(),
            connection: Arc::from(name),
        })
    }

    /// The connection this handle is bound to.
    pub fn connection(&self) -> &str {
        &self.connection
    }

    /// A write transaction that holds SQLite's write lock from its first statement
    /// (`BEGIN IMMEDIATE`), so that a read-check-write (the fence, the prior journal record)
    /// cannot be overtaken by another process between its read and its write.
    async fn begin_write(&self, operation: &'static str) -> Result<rows::Tx> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db(operation))
    }

    /// The SQLite journal mode in use (`"wal"` for a file).
    pub async fn journal_mode(&self) -> Result<String> {
        sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await
            .map_err(db("pragma"))
    }

    /// Every connection that has rows in this file, by name.
    pub async fn connections(&self) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT connection FROM cursors UNION SELECT connection FROM leases
             UNION SELECT connection FROM xrefs UNION SELECT connection FROM exceptions
             UNION SELECT connection FROM journal ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db("list connections"))
    }

    /// What `bcsync status` shows for this handle's connection, one entry per job; the last
    /// run is the job's newest connector-log entry.
    pub async fn status(&self) -> Result<Vec<JobStatus>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT job, MAX(at) FROM connector_log WHERE connection = ?1 GROUP BY job",
        )
        .bind(&*self.connection)
        .fetch_all(&self.pool)
        .await
        .map_err(db("status"))?;
        let mut units = BTreeMap::<String, UnitInfo>::new();
        for (job, at) in rows {
            units.entry(job).or_default().last_run = Some(parse_ts(&at)?);
        }
        job_statuses(self, &self.connection, &units).await
    }

    /// Closes the pool (waits for connections to return).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
