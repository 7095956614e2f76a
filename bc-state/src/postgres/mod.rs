//! The PostgreSQL state store: one database, many connections (tenants), many workers.
//!
//! Guarantees under PostgreSQL's default isolation (READ COMMITTED):
//! - A fenced transaction (`journal_intents`, `commit` with a fence) first locks the lease row
//!   `FOR SHARE` and checks owner and token. Taking a lease over locks the same row
//!   `FOR UPDATE`, which conflicts with `FOR SHARE`: a takeover waits for fenced transactions
//!   in flight under the old token, and once it commits every later fenced transaction of the
//!   old holder reads the new token and is refused. (`FOR SHARE` rather than `FOR UPDATE`, so
//!   that one holder's concurrent group commits do not queue behind each other.)
//! - An intent is `INSERT … ON CONFLICT DO NOTHING`; when the key exists the prior record is
//!   read `FOR UPDATE` (the committed version, locked) before it may become an intent again.
//! - Leases are read `FOR UPDATE` before they change hands, so tokens grow by one per change
//!   of hands with no lost update; a released lease keeps its row, so tokens are never reused.
//! - **Lease time is the database's clock** (`now()`, the transaction's start), never the
//!   worker's: the `now` argument of `acquire_lease` and `take_over_lease` is ignored under
//!   [`LeaseClock::Database`] (the default), so workers with skewed clocks agree on expiry.
//!   Other times (journal, exceptions, log) are the caller's, as the trait documents.

mod budgets;
mod rows;
mod store;
mod units;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bc_core::{Error, ErrorKind, Result};
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool, Row};

use crate::codec::db;
use crate::connection::{check_connection_name, DEFAULT_CONNECTION};
use crate::status::{job_statuses, JobStatus, UnitInfo};

pub use units::{ClaimedUnit, UnitOutcome};

/// Whose clock decides lease expiry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeaseClock {
    /// The database's `now()`; the `now` the engine passes is ignored for leases. The only
    /// correct choice when several machines share the database.
    #[default]
    Database,
    /// The `now` argument of each call, as on SQLite: for deterministic tests (the
    /// StateStore conformance suite plays with times years in the past) on one machine.
    Caller,
}

/// How to open a [`PostgresStateStore`] beyond its URL.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// The connection (tenant) the handle is bound to.
    pub connection: String,
    /// A schema to keep the tables in (created if missing; `search_path` is set to it), for
    /// several independent state databases in one PostgreSQL database. `None`: the role's
    /// default `search_path`.
    pub schema: Option<String>,
    /// Pool size.
    pub max_connections: u32,
    /// How long to wait for a pooled connection.
    pub acquire_timeout: Duration,
    /// Whose clock decides lease expiry.
    pub lease_clock: LeaseClock,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            connection: DEFAULT_CONNECTION.to_string(),
            schema: None,
            max_connections: 8,
            acquire_timeout: Duration::from_secs(30),
            lease_clock: LeaseClock::Database,
        }
    }
}

/// [`bc_engine::StateStore`] on PostgreSQL, bound to one connection (tenant); see the module
/// documentation for the guarantees, and [`PostgresStateStore::claim_unit`] for sharing work
/// between workers.
#[derive(Clone, Debug)]
pub struct PostgresStateStore {
    pool: PgPool,
    connection: Arc<str>,
    clock: LeaseClock,
}

fn check_schema_name(schema: &str) -> Result<()> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            "state.schema",
            format!("`{schema}` is not a valid schema name (lowercase letters, digits and `_`)"),
        ))
    }
}

impl PostgresStateStore {
    /// Opens `postgres://…` with the default options and migrates its schema.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, &PostgresOptions::default()).await
    }

    /// Opens `postgres://…` with `options` and migrates its schema.
    pub async fn connect_with(url: &str, options: &PostgresOptions) -> Result<Self> {
        check_connection_name(&options.connection)?;
        let mut connect = PgConnectOptions::from_str(url).map_err(|e| {
            Error::config(
                "state.url",
                format!("`{}` is not a PostgreSQL URL: {e}", crate::redact_url(url)),
            )
        })?;
        // One connection first: an unreachable server or a refused login fails now, with
        // the server's reason, instead of after the pool's acquire timeout.
        let mut conn = connect.connect().await.map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("state store: cannot open `{}`: {e}", crate::redact_url(url)),
            )
            .with_operation("open")
        })?;
        if let Some(schema) = &options.schema {
            check_schema_name(schema)?;
            sqlx::raw_sql(&format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\"; SET search_path TO \"{schema}\""
            ))
            .execute(&mut conn)
            .await
            .map_err(db("open"))?;
            connect = connect.options([("search_path", schema.as_str())]);
        }
        crate::migrate::migrate_postgres(&mut conn).await?;
        conn.close().await.map_err(db("open"))?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect);
        Ok(PostgresStateStore {
            pool,
            connection: Arc::from(options.connection.as_str()),
            clock: options.lease_clock,
        })
    }

    /// A handle on the same database (and pool) bound to the connection `name`: it reads and
    /// writes only that connection's rows.
    pub fn for_connection(&self, name: &str) -> Result<Self> {
        check_connection_name(name)?;
        Ok(PostgresStateStore {
            pool: self.pool.clone(),
            connection: Arc::from(name),
            clock: self.clock,
        })
    }

    /// The same handle with another lease clock.
    pub fn with_lease_clock(mut self, clock: LeaseClock) -> Self {
        self.clock = clock;
        self
    }

    /// The connection this handle is bound to.
    pub fn connection(&self) -> &str {
        &self.connection
    }

    /// The time leases are judged by: the caller's `now` under [`LeaseClock::Caller`], else
    /// `None` (the SQL then uses the database's `now()`).
    fn lease_now(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.clock {
            LeaseClock::Database => None,
            LeaseClock::Caller => Some(now),
        }
    }

    /// The database's clock (`now()`), the one leases expire by.
    pub async fn database_now(&self) -> Result<DateTime<Utc>> {
        sqlx::query_scalar("SELECT now()")
            .fetch_one(&self.pool)
            .await
            .map_err(db("read clock"))
    }

    /// Every connection with rows in the database, by name (an operator's read across
    /// tenants, for `bcsync status`).
    pub async fn connections(&self) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT connection FROM units UNION SELECT connection FROM cursors
             UNION SELECT connection FROM leases UNION SELECT connection FROM xrefs
             UNION SELECT connection FROM exceptions UNION SELECT connection FROM journal
             ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db("list connections"))
    }

    /// What `bcsync status` shows for this handle's connection, one entry per job: last run
    /// (the end of the last claimed run, else the newest log entry), next due time, cursor,
    /// lease holder, open exceptions by reason.
    pub async fn status(&self) -> Result<Vec<JobStatus>> {
        let c = &*self.connection;
        let logged: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT job, MAX(at) FROM connector_log WHERE connection = $1 GROUP BY job",
        )
        .bind(c)
        .fetch_all(&self.pool)
        .await
        .map_err(db("status"))?;
        let rows = sqlx::query(
            "SELECT job, due_at, last_run_at, last_ok, last_result, last_worker FROM units
             WHERE connection = $1",
        )
        .bind(c)
        .fetch_all(&self.pool)
        .await
        .map_err(db("status"))?;
        let mut units: BTreeMap<String, UnitInfo> = logged
            .into_iter()
            .map(|(job, at)| {
                let info = UnitInfo {
                    last_run: Some(at),
                    ..UnitInfo::default()
                };
                (job, info)
            })
            .collect();
        for row in rows {
            let job: String = row.try_get("job").map_err(db("status"))?;
            let info = units.entry(job).or_default();
            let last: Option<DateTime<Utc>> = row.try_get("last_run_at").map_err(db("status"))?;
            if last.is_some() {
                info.last_run = last;
            }
            info.due_at = Some(row.try_get("due_at").map_err(db("status"))?);
            info.last_ok = row.try_get("last_ok").map_err(db("status"))?;
            info.last_result = row.try_get("last_result").map_err(db("status"))?;
            info.last_worker = row.try_get("last_worker").map_err(db("status"))?;
        }
        job_statuses(self, c, &units).await
    }

    /// [`PostgresStateStore::status`] of every connection in the database.
    pub async fn status_all(&self) -> Result<Vec<JobStatus>> {
        let mut out = Vec::new();
        for c in self.connections().await? {
            out.extend(self.for_connection(&c)?.status().await?);
        }
        Ok(out)
    }

    /// Closes the pool (waits for connections to return).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
