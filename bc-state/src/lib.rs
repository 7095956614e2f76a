//! # bc-state — where bcsync keeps its state
//!
//! Two implementations of bc-engine's [`StateStore`]: cross-references, cursors, the write
//! journal of the exactly-once protocol, the exception queue, the connector log, the
//! last-pushed inventory and fenced leases.
//!
//! - [`SqliteStateStore`]: an embedded SQLite file in WAL mode (the default; one process).
//! - [`PostgresStateStore`]: PostgreSQL, for several `bcsync run` processes on any number of
//!   machines; the database is their only coordinator: (connection, job) work units are
//!   claimed with `FOR UPDATE SKIP LOCKED` ([`PostgresStateStore::claim_unit`]), and lease
//!   expiry follows the database's clock.
//!
//! One state database serves many *connections* (tenants: a storefront account + a ledger
//! account + settings). Every row carries its connection's name and a store handle is bound
//! to one connection ([`DEFAULT_CONNECTION`] unless opened with [`connect_as`] or
//! `for_connection`): it can neither read nor write another connection's rows.
//!
//! Any number of worker processes share a PostgreSQL state database with
//! [`worker::run_worker`]; `bcsync status` reads [`StateDatabase::status`] ([`JobStatus`]) and
//! the rate budgets running workers record ([`StateDatabase::budgets`], [`AccountBudget`]).
//!
//! Both schemas are migrated by sqlx's migrator when a store opens (`migrations/sqlite`,
//! `migrations/postgres`, each migration in a transaction); a database migrated by a newer
//! bcsync is refused with an error naming both schema versions.
//!
//! ```no_run
//! # async fn demo() -> bc_core::Result<()> {
//! // SQLite or PostgreSQL, by URL; bound to the connection `acme`.
//! let store = bc_state::connect_as("postgres://bcsync@db/bcsync", "acme").await?;
//! let embedded = bc_state::connect("sqlite://bcsync-state.sqlite").await?;
//! # let _ = (store, embedded); Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod budget;
mod codec;
mod connection;
mod credentials;
mod migrate;
mod postgres;
mod sqlite;
mod status;
pub mod worker;

use std::sync::Arc;

use bc_core::Result;

pub use budget::AccountBudget;
pub use connection::{check_connection_name, DEFAULT_CONNECTION, MAX_CONNECTION_NAME};
pub use migrate::{postgres_schema_version, sqlite_schema_version};
pub use postgres::{ClaimedUnit, LeaseClock, PostgresOptions, PostgresStateStore, UnitOutcome};
pub use sqlite::SqliteStateStore;
pub use status::{job_of, reason_label, JobStatus};

/// The trait this crate implements, re-exported.
pub use bc_engine::StateStore;

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `url` with its password (if any) replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// A state store of either kind, opened from a settings URL; the inherent reads that are
/// not on the trait (`bcsync status`) live here.
#[derive(Clone, Debug)]
pub enum StateDatabase {
    /// An SQLite file.
    Sqlite(SqliteStateStore),
    /// A PostgreSQL database.
    Postgres(PostgresStateStore),
}

impl StateDatabase {
    /// Opens `sqlite://…`/`sqlite:…` or `postgres://…` (migrating it), bound to
    /// [`DEFAULT_CONNECTION`].
    pub async fn open(url: &str) -> Result<Self> {
        if is_postgres_url(url) {
            Ok(StateDatabase::Postgres(
                PostgresStateStore::connect(url).await?,
            ))
        } else {
            Ok(StateDatabase::Sqlite(SqliteStateStore::connect(url).await?))
        }
    }

    /// A handle on the same database bound to the connection `name`.
    pub fn for_connection(&self, name: &str) -> Result<Self> {
        Ok(match self {
            StateDatabase::Sqlite(s) => StateDatabase::Sqlite(s.for_connection(name)?),
            StateDatabase::Postgres(p) => StateDatabase::Postgres(p.for_connection(name)?),
        })
    }

    /// The connection this handle is bound to.
    pub fn connection(&self) -> &str {
        match self {
            StateDatabase::Sqlite(s) => s.connection(),
            StateDatabase::Postgres(p) => p.connection(),
        }
    }

    /// This handle as the engine's trait object.
    pub fn store(&self) -> Arc<dyn StateStore> {
        match self {
            StateDatabase::Sqlite(s) => Arc::new(s.clone()),
            StateDatabase::Postgres(p) => Arc::new(p.clone()),
        }
    }

    /// Every connection with rows in the database.
    pub async fn connections(&self) -> Result<Vec<String>> {
        match self {
            StateDatabase::Sqlite(s) => s.connections().await,
            StateDatabase::Postgres(p) => p.connections().await,
        }
    }

    /// What `bcsync status` shows for this handle's connection, one entry per job.
    pub async fn status(&self) -> Result<Vec<JobStatus>> {
        match self {
            StateDatabase::Sqlite(s) => s.status().await,
            StateDatabase::Postgres(p) => p.status().await,
        }
    }

    /// Records snapshots of this handle's connection's platform-account rate budgets (one
    /// row per account, replaced), for `bcsync status`.
    pub async fn record_budgets(&self, budgets: &[AccountBudget]) -> Result<()> {
        match self {
            StateDatabase::Sqlite(s) => s.record_budgets(budgets).await,
            StateDatabase::Postgres(p) => p.record_budgets(budgets).await,
        }
    }

    /// The rate budget snapshots recorded for this handle's connection, by account (none
    /// when no worker recorded any).
    pub async fn budgets(&self) -> Result<Vec<AccountBudget>> {
        match self {
            StateDatabase::Sqlite(s) => s.budgets().await,
            StateDatabase::Postgres(p) => p.budgets().await,
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            StateDatabase::Sqlite(s) => s.close().await,
            StateDatabase::Postgres(p) => p.close().await,
        }
    }
}

/// Opens the state store named by a settings URL (SQLite or PostgreSQL, migrating it), bound
/// to [`DEFAULT_CONNECTION`].
pub async fn connect(url: &str) -> Result<Arc<dyn StateStore>> {
    Ok(StateDatabase::open(url).await?.store())
}

/// Opens the state store named by a settings URL, bound to the connection `connection`.
pub async fn connect_as(url: &str, connection: &str) -> Result<Arc<dyn StateStore>> {
    check_connection_name(connection)?;
    Ok(StateDatabase::open(url)
        .await?
        .for_connection(connection)?
        .store())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_apart_and_redacted() {
        assert!(is_postgres_url("postgres://a@b/c"));
        assert!(is_postgres_url("postgresql://a@b/c"));
        assert!(!is_postgres_url("sqlite://x"));
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert!(!redact_url("postgres://u:p%40ss@h/db").contains("p%40ss"));
    }
}
