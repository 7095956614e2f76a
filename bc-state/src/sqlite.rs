//! The SQLite state store.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use bc_core::{Error, ErrorKind, LedgerRef, Result, Sku};
use bc_engine::state::{lease_expiry, lease_lost, state_error, Fence, Intent, StateOp};
use bc_engine::{
    CrossRef, Direction, EntityKind, ExceptionFilter, ExceptionReason, ExceptionRecord,
    ExceptionStatus, Lease, LogEntry, LogQuery, Outcome, StateStore, WriteKey, WriteRecord,
    WriteState,
};
use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};

/// The schema, one migration per entry; applied in order from `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE IF NOT EXISTS xrefs (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    ledger_id TEXT NOT NULL,
    ledger TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS xrefs_by_ledger ON xrefs (kind, ledger_id);
CREATE TABLE IF NOT EXISTS cursors (
    job TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    entity TEXT NOT NULL,
    operation TEXT NOT NULL,
    key TEXT NOT NULL,
    revision INTEGER NOT NULL,
    payload_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (entity, operation, key, revision)
);
CREATE INDEX IF NOT EXISTS journal_by_state ON journal (state, created_at);
CREATE TABLE IF NOT EXISTS exceptions (
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    reasons TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    status TEXT NOT NULL,
    retry_requested INTEGER NOT NULL,
    PRIMARY KEY (entity, key)
);
CREATE INDEX IF NOT EXISTS exceptions_by_status ON exceptions (status, entity);
CREATE TABLE IF NOT EXISTS connector_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    job TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    direction TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_by_entity ON connector_log (entity, key, at);
CREATE INDEX IF NOT EXISTS log_by_outcome ON connector_log (outcome, at);
CREATE INDEX IF NOT EXISTS log_by_time ON connector_log (at);
CREATE TABLE IF NOT EXISTS inventory (
    sku TEXT PRIMARY KEY,
    quantity TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE leases ADD COLUMN token INTEGER NOT NULL DEFAULT 0;
"#,
];

/// Times are stored as fixed-width RFC 3339 UTC text, so that text order is time order.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| state_error("read time", format!("`{s}`: {e}")))
}

fn db(operation: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| state_error(operation, e)
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("state store: {e}")))
}

fn unjson<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| state_error("read json", e))
}

/// [`StateStore`] on SQLite (WAL mode), embedded: one file, no server.
#[derive(Clone, Debug)]
pub struct SqliteStateStore {
    pool: SqlitePool,
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
    /// `sqlite::memory:`. A `postgres://` URL is [`ErrorKind::Unsupported`]: only the SQLite
    /// half of the state store exists so far.
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Err(Error::unsupported(
                "bc-state",
                "PostgreSQL state stores (only SQLite is implemented; use `sqlite://path`)",
            ));
        }
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Self::in_memory().await;
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| Error::config("state.url", format!("`{url}` is not a sqlite URL")))?;
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
            .connect_with(options)
            .await
            .map_err(db("open"))?;
        let store = SqliteStateStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await.map_err(db("migrate"))?;
        let version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&mut *conn)
            .await
            .map_err(db("migrate"))?;
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let target = i as i64 + 1;
            if version >= target {
                continue;
            }
            sqlx::raw_sql(sql)
                .execute(&mut *conn)
                .await
                .map_err(db("migrate"))?;
            sqlx::raw_sql(&format!("PRAGMA user_version = {target}"))
                .execute(&mut *conn)
                .await
                .map_err(db("migrate"))?;
        }
        Ok(())
    }

    /// A write transaction that holds SQLite's write lock from its first statement
    /// (`BEGIN IMMEDIATE`), so that a read-check-write (the fence, the prior journal record)
    /// cannot be overtaken by another process between its read and its write.
    async fn begin_write(&self, operation: &'static str) -> Result<Tx> {
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

    /// Closes the pool (waits for connections to return).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn xref_from(row: &SqliteRow) -> Result<CrossRef> {
    let kind: String = row.try_get("kind").map_err(db("read xref"))?;
    let ledger: String = row.try_get("ledger").map_err(db("read xref"))?;
    let revision: i64 = row.try_get("revision").map_err(db("read xref"))?;
    let updated: String = row.try_get("updated_at").map_err(db("read xref"))?;
    Ok(CrossRef {
        kind: kind.parse()?,
        key: row.try_get("key").map_err(db("read xref"))?,
        ledger: unjson(&ledger)?,
        payload_hash: row.try_get("payload_hash").map_err(db("read xref"))?,
        revision: u32::try_from(revision).unwrap_or(u32::MAX),
        updated_at: parse_ts(&updated)?,
    })
}

fn write_from(row: &SqliteRow) -> Result<WriteRecord> {
    let entity: String = row.try_get("entity").map_err(db("read journal"))?;
    let revision: i64 = row.try_get("revision").map_err(db("read journal"))?;
    let state: String = row.try_get("state").map_err(db("read journal"))?;
    let detail: Option<String> = row.try_get("detail").map_err(db("read journal"))?;
    let created: String = row.try_get("created_at").map_err(db("read journal"))?;
    let updated: String = row.try_get("updated_at").map_err(db("read journal"))?;
    let state = match state.as_str() {
        "intent" => WriteState::Intent,
        "done" => WriteState::Done {
            at: unjson::<LedgerRef>(detail.as_deref().unwrap_or("null"))?,
        },
        "failed" => WriteState::Failed {
            reason: detail.unwrap_or_default(),
        },
        other => {
            return Err(state_error(
                "read journal",
                format!("unknown state `{other}`"),
            ))
        }
    };
    Ok(WriteRecord {
        key: WriteKey {
            entity: entity.parse()?,
            operation: row.try_get("operation").map_err(db("read journal"))?,
            key: row.try_get("key").map_err(db("read journal"))?,
            revision: u32::try_from(revision).unwrap_or(u32::MAX),
        },
        payload_hash: row.try_get("payload_hash").map_err(db("read journal"))?,
        state,
        created_at: parse_ts(&created)?,
        updated_at: parse_ts(&updated)?,
    })
}

fn exception_from(row: &SqliteRow) -> Result<ExceptionRecord> {
    let entity: String = row.try_get("entity").map_err(db("read exception"))?;
    let reasons: String = row.try_get("reasons").map_err(db("read exception"))?;
    let attempts: i64 = row.try_get("attempts").map_err(db("read exception"))?;
    let first: String = row.try_get("first_seen").map_err(db("read exception"))?;
    let last: String = row.try_get("last_seen").map_err(db("read exception"))?;
    let status: String = row.try_get("status").map_err(db("read exception"))?;
    let retry: i64 = row
        .try_get("retry_requested")
        .map_err(db("read exception"))?;
    Ok(ExceptionRecord {
        entity: entity.parse()?,
        key: row.try_get("key").map_err(db("read exception"))?,
        reasons: unjson::<Vec<ExceptionReason>>(&reasons)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        first_seen: parse_ts(&first)?,
        last_seen: parse_ts(&last)?,
        status: ExceptionStatus::parse(&status)?,
        retry_requested: retry != 0,
    })
}

fn log_from(row: &SqliteRow) -> Result<LogEntry> {
    let at: String = row.try_get("at").map_err(db("read log"))?;
    let entity: String = row.try_get("entity").map_err(db("read log"))?;
    let direction: String = row.try_get("direction").map_err(db("read log"))?;
    let outcome: String = row.try_get("outcome").map_err(db("read log"))?;
    Ok(LogEntry {
        at: parse_ts(&at)?,
        job: row.try_get("job").map_err(db("read log"))?,
        entity: entity.parse()?,
        key: row.try_get("key").map_err(db("read log"))?,
        direction: Direction::parse(&direction)?,
        outcome: Outcome::parse(&outcome)?,
        message: row.try_get("message").map_err(db("read log"))?,
    })
}

const EXCEPTION_COLUMNS: &str =
    "entity, key, reasons, attempts, first_seen, last_seen, status, retry_requested";
const JOURNAL_COLUMNS: &str =
    "entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at";

#[async_trait]
impl StateStore for SqliteStateStore {
    async fn xref(&self, kind: EntityKind, key: &str) -> Result<Option<CrossRef>> {
        sqlx::query("SELECT * FROM xrefs WHERE kind = ? AND key = ?")
            .bind(kind.as_str())
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("get xref"))?
            .as_ref()
            .map(xref_from)
            .transpose()
    }

    async fn xref_by_ledger(&self, kind: EntityKind, ledger_id: &str) -> Result<Option<CrossRef>> {
        sqlx::query("SELECT * FROM xrefs WHERE kind = ? AND ledger_id = ? LIMIT 1")
            .bind(kind.as_str())
            .bind(ledger_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("find xref"))?
            .as_ref()
            .map(xref_from)
            .transpose()
    }

    async fn xrefs(&self, kind: EntityKind) -> Result<Vec<CrossRef>> {
        sqlx::query("SELECT * FROM xrefs WHERE kind = ? ORDER BY key")
            .bind(kind.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db("list xrefs"))?
            .iter()
            .map(xref_from)
            .collect()
    }

    async fn cursor(&self, job: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM cursors WHERE job = ?")
            .bind(job)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("get cursor"))
    }

    async fn journal(&self, key: &WriteKey) -> Result<Option<WriteRecord>> {
        sqlx::query(&format!(
            "SELECT {JOURNAL_COLUMNS} FROM journal
             WHERE entity = ? AND operation = ? AND key = ? AND revision = ?"
        ))
        .bind(key.entity.as_str())
        .bind(&key.operation)
        .bind(&key.key)
        .bind(i64::from(key.revision))
        .fetch_optional(&self.pool)
        .await
        .map_err(db("read journal"))?
        .as_ref()
        .map(write_from)
        .transpose()
    }

    async fn journal_pending(&self) -> Result<Vec<WriteRecord>> {
        sqlx::query(&format!(
            "SELECT {JOURNAL_COLUMNS} FROM journal WHERE state = 'intent'
             ORDER BY created_at, entity, operation, key, revision"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db("pending journal"))?
        .iter()
        .map(write_from)
        .collect::<Result<Vec<_>>>()
        .map(|mut v| {
            // Same order as the in-memory store: time, then the key's own order.
            v.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.key.cmp(&b.key)));
            v
        })
    }

    async fn record_exception(
        &self,
        entity: EntityKind,
        key: &str,
        reasons: &[ExceptionReason],
        now: DateTime<Utc>,
    ) -> Result<ExceptionRecord> {
        let row = sqlx::query(&format!(
            "INSERT INTO exceptions ({EXCEPTION_COLUMNS}) VALUES (?, ?, ?, 1, ?, ?, 'open', 0)
             ON CONFLICT (entity, key) DO UPDATE SET
               reasons = excluded.reasons,
               attempts = CASE WHEN exceptions.status = 'resolved' THEN 1 ELSE exceptions.attempts + 1 END,
               first_seen = CASE WHEN exceptions.status = 'resolved' THEN excluded.first_seen ELSE exceptions.first_seen END,
               last_seen = excluded.last_seen, status = 'open', retry_requested = 0
             RETURNING {EXCEPTION_COLUMNS}"
        ))
        .bind(entity.as_str())
        .bind(key)
        .bind(json(&reasons)?)
        .bind(ts(now))
        .bind(ts(now))
        .fetch_one(&self.pool)
        .await
        .map_err(db("record exception"))?;
        exception_from(&row)
    }

    async fn resolve_exception(&self, entity: EntityKind, key: &str) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exceptions SET status = 'resolved', retry_requested = 0 WHERE entity = ? AND key = ?",
        )
        .bind(entity.as_str())
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(db("resolve exception"))?;
        Ok(r.rows_affected() > 0)
    }

    async fn request_retry(&self, entity: EntityKind, key: &str) -> Result<bool> {
        let r =
            sqlx::query("UPDATE exceptions SET retry_requested = 1 WHERE entity = ? AND key = ?")
                .bind(entity.as_str())
                .bind(key)
                .execute(&self.pool)
                .await
                .map_err(db("request retry"))?;
        Ok(r.rows_affected() > 0)
    }

    async fn exception(&self, entity: EntityKind, key: &str) -> Result<Option<ExceptionRecord>> {
        sqlx::query(&format!(
            "SELECT {EXCEPTION_COLUMNS} FROM exceptions WHERE entity = ? AND key = ?"
        ))
        .bind(entity.as_str())
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("read exception"))?
        .as_ref()
        .map(exception_from)
        .transpose()
    }

    async fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<ExceptionRecord>> {
        sqlx::query(&format!(
            "SELECT {EXCEPTION_COLUMNS} FROM exceptions
             WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR status = ?2)
               AND (?3 IS NULL OR retry_requested = ?3)
             ORDER BY first_seen, entity, key"
        ))
        .bind(filter.entity.map(EntityKind::as_str))
        .bind(filter.status.map(ExceptionStatus::as_str))
        .bind(filter.retry_requested.map(i64::from))
        .fetch_all(&self.pool)
        .await
        .map_err(db("list exceptions"))?
        .iter()
        .map(exception_from)
        .collect::<Result<Vec<_>>>()
        .map(|mut v| {
            v.sort_by(|a, b| {
                a.first_seen
                    .cmp(&b.first_seen)
                    .then(a.entity.cmp(&b.entity))
                    .then(a.key.cmp(&b.key))
            });
            v
        })
    }

    async fn search_log(&self, query: &LogQuery) -> Result<Vec<LogEntry>> {
        let limit = query
            .limit
            .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        sqlx::query(
            "SELECT at, job, entity, key, direction, outcome, message FROM connector_log
             WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR key = ?2)
               AND (?3 IS NULL OR outcome = ?3) AND (?4 IS NULL OR at >= ?4)
               AND (?5 IS NULL OR at < ?5)
             ORDER BY at DESC, id DESC LIMIT ?6",
        )
        .bind(query.entity.map(EntityKind::as_str))
        .bind(query.key.as_deref())
        .bind(query.outcome.map(Outcome::as_str))
        .bind(query.since.map(ts))
        .bind(query.until.map(ts))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db("search log"))?
        .iter()
        .map(log_from)
        .collect()
    }

    async fn last_pushed(&self) -> Result<BTreeMap<Sku, Decimal>> {
        let rows = sqlx::query("SELECT sku, quantity FROM inventory")
            .fetch_all(&self.pool)
            .await
            .map_err(db("read inventory"))?;
        let mut out = BTreeMap::new();
        for row in rows {
            let sku: String = row.try_get("sku").map_err(db("read inventory"))?;
            let q: String = row.try_get("quantity").map_err(db("read inventory"))?;
            let q = Decimal::from_str(&q)
                .map_err(|e| state_error("read inventory", format!("SKU {sku}: `{q}`: {e}")))?;
            out.insert(Sku::new(sku), q);
        }
        Ok(out)
    }

    async fn set_last_pushed(&self, levels: &[(Sku, Decimal)]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db("write inventory"))?;
        for (sku, q) in levels {
            sqlx::query(
                "INSERT INTO inventory (sku, quantity) VALUES (?, ?)
                 ON CONFLICT (sku) DO UPDATE SET quantity = excluded.quantity",
            )
            .bind(sku.as_str())
            .bind(q.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db("write inventory"))?;
        }
        tx.commit().await.map_err(db("write inventory"))?;
        Ok(())
    }

    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>> {
        let mut tx = self.begin_write("acquire lease").await?;
        let current = lease_in(&mut tx, name).await?;
        let fence = match current {
            Some(l) if l.owner == owner && l.expires_at > now => {
                sqlx::query("UPDATE leases SET expires_at = ? WHERE name = ?")
                    .bind(ts(lease_expiry(now, ttl)))
                    .bind(name)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("acquire lease"))?;
                Some(Fence {
                    lease: name.to_string(),
                    owner: owner.to_string(),
                    token: l.token,
                })
            }
            Some(l) if l.expires_at > now => None,
            other => Some(
                take_lease(&mut tx, name, owner, other.map_or(0, |l| l.token), now, ttl).await?,
            ),
        };
        tx.commit().await.map_err(db("acquire lease"))?;
        Ok(fence)
    }

    async fn take_over_lease(
        &self,
        name: &str,
        from_owner: &str,
        to_owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>> {
        let mut tx = self.begin_write("take over lease").await?;
        let fence = match lease_in(&mut tx, name).await? {
            Some(l) if l.owner == from_owner => {
                Some(take_lease(&mut tx, name, to_owner, l.token, now, ttl).await?)
            }
            _ => None,
        };
        tx.commit().await.map_err(db("take over lease"))?;
        Ok(fence)
    }

    async fn release_lease(&self, fence: &Fence) -> Result<bool> {
        // The row stays (expired, no owner) so that the next token is still larger.
        let r = sqlx::query(
            "UPDATE leases SET owner = '', expires_at = ? WHERE name = ? AND owner = ? AND token = ?",
        )
        .bind(ts(DateTime::<Utc>::UNIX_EPOCH))
        .bind(&fence.lease)
        .bind(&fence.owner)
        .bind(fence.token)
        .execute(&self.pool)
        .await
        .map_err(db("release lease"))?;
        Ok(r.rows_affected() > 0)
    }

    async fn lease(&self, name: &str) -> Result<Option<Lease>> {
        let mut conn = self.pool.acquire().await.map_err(db("read lease"))?;
        lease_in(&mut conn, name).await
    }

    async fn leases(&self) -> Result<Vec<Lease>> {
        sqlx::query("SELECT name, owner, expires_at, token FROM leases ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(db("read leases"))?
            .iter()
            .map(lease_from)
            .collect()
    }

    async fn journal_intents(
        &self,
        fence: Option<&Fence>,
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>> {
        let mut tx = self.begin_write("journal intents").await?;
        check_fence(&mut tx, fence).await?;
        let mut before = Vec::with_capacity(intents.len());
        for i in intents {
            let key = &i.key;
            let prior = sqlx::query(&format!(
                "SELECT {JOURNAL_COLUMNS} FROM journal
                 WHERE entity = ? AND operation = ? AND key = ? AND revision = ?"
            ))
            .bind(key.entity.as_str())
            .bind(&key.operation)
            .bind(&key.key)
            .bind(i64::from(key.revision))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("journal intents"))?
            .as_ref()
            .map(write_from)
            .transpose()?;
            // Insert, or turn a failure back into an intent; never touch intent or done.
            if prior
                .as_ref()
                .is_none_or(|r| matches!(r.state, WriteState::Failed { .. }))
            {
                sqlx::query(
                    "INSERT INTO journal (entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, 'intent', NULL, ?, ?)
                     ON CONFLICT (entity, operation, key, revision) DO UPDATE SET
                       state = 'intent', detail = NULL, payload_hash = excluded.payload_hash,
                       updated_at = excluded.updated_at",
                )
                .bind(key.entity.as_str())
                .bind(&key.operation)
                .bind(&key.key)
                .bind(i64::from(key.revision))
                .bind(&i.payload_hash)
                .bind(ts(now))
                .bind(ts(now))
                .execute(&mut *tx)
                .await
                .map_err(db("journal intents"))?;
            }
            before.push(prior);
        }
        tx.commit().await.map_err(db("journal intents"))?;
        Ok(before)
    }

    async fn commit(
        &self,
        fence: Option<&Fence>,
        ops: &[StateOp],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if ops.is_empty() && fence.is_none() {
            return Ok(());
        }
        let mut tx = self.begin_write("commit").await?;
        check_fence(&mut tx, fence).await?;
        for op in ops {
            apply(&mut tx, op, now).await?;
        }
        tx.commit().await.map_err(db("commit"))?;
        Ok(())
    }
}

type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

fn lease_from(row: &SqliteRow) -> Result<Lease> {
    let expires: String = row.try_get("expires_at").map_err(db("read lease"))?;
    Ok(Lease {
        name: row.try_get("name").map_err(db("read lease"))?,
        owner: row.try_get("owner").map_err(db("read lease"))?,
        expires_at: parse_ts(&expires)?,
        token: row.try_get("token").map_err(db("read lease"))?,
    })
}

async fn lease_in(conn: &mut sqlx::SqliteConnection, name: &str) -> Result<Option<Lease>> {
    sqlx::query("SELECT name, owner, expires_at, token FROM leases WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db("read lease"))?
        .as_ref()
        .map(lease_from)
        .transpose()
}

async fn take_lease(
    tx: &mut Tx,
    name: &str,
    owner: &str,
    previous_token: i64,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<Fence> {
    let token = previous_token + 1;
    sqlx::query(
        "INSERT INTO leases (name, owner, expires_at, token) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,
           expires_at = excluded.expires_at, token = excluded.token",
    )
    .bind(name)
    .bind(owner)
    .bind(ts(lease_expiry(now, ttl)))
    .bind(token)
    .execute(&mut **tx)
    .await
    .map_err(db("take lease"))?;
    Ok(Fence {
        lease: name.to_string(),
        owner: owner.to_string(),
        token,
    })
}

/// Refuses the transaction when the fence's lease has another holder or token.
async fn check_fence(tx: &mut Tx, fence: Option<&Fence>) -> Result<()> {
    let Some(f) = fence else { return Ok(()) };
    match lease_in(tx, &f.lease).await? {
        Some(l) if l.owner == f.owner && l.token == f.token => Ok(()),
        other => Err(lease_lost(f, other.as_ref())),
    }
}

async fn apply(tx: &mut Tx, op: &StateOp, now: DateTime<Utc>) -> Result<()> {
    let q = match op {
        StateOp::Done {
            key,
            at,
            payload_hash,
        } => sqlx::query(
            "INSERT INTO journal (entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 'done', ?, ?, ?)
             ON CONFLICT (entity, operation, key, revision) DO UPDATE SET
               state = 'done', detail = excluded.detail, payload_hash = excluded.payload_hash,
               updated_at = excluded.updated_at",
        )
        .bind(key.entity.as_str())
        .bind(key.operation.clone())
        .bind(key.key.clone())
        .bind(i64::from(key.revision))
        .bind(payload_hash.clone())
        .bind(json(at)?)
        .bind(ts(now))
        .bind(ts(now)),
        StateOp::Failed { key, reason } => sqlx::query(
            "INSERT INTO journal (entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at)
             VALUES (?, ?, ?, ?, '', 'failed', ?, ?, ?)
             ON CONFLICT (entity, operation, key, revision) DO UPDATE SET
               state = 'failed', detail = excluded.detail, updated_at = excluded.updated_at
             WHERE journal.state <> 'done'",
        )
        .bind(key.entity.as_str())
        .bind(key.operation.clone())
        .bind(key.key.clone())
        .bind(i64::from(key.revision))
        .bind(reason.clone())
        .bind(ts(now))
        .bind(ts(now)),
        StateOp::PutXref(xref) => sqlx::query(
            "INSERT INTO xrefs (kind, key, ledger_id, ledger, payload_hash, revision, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (kind, key) DO UPDATE SET ledger_id = excluded.ledger_id,
               ledger = excluded.ledger, payload_hash = excluded.payload_hash,
               revision = excluded.revision, updated_at = excluded.updated_at",
        )
        .bind(xref.kind.as_str())
        .bind(xref.key.clone())
        .bind(xref.ledger.id.clone())
        .bind(json(&xref.ledger)?)
        .bind(xref.payload_hash.clone())
        .bind(i64::from(xref.revision))
        .bind(ts(xref.updated_at)),
        StateOp::SetCursor { job, value } => sqlx::query(
            "INSERT INTO cursors (job, value) VALUES (?, ?)
             ON CONFLICT (job) DO UPDATE SET value = excluded.value",
        )
        .bind(job.clone())
        .bind(value.clone()),
        StateOp::ResolveException { entity, key } => sqlx::query(
            "UPDATE exceptions SET status = 'resolved', retry_requested = 0
             WHERE entity = ? AND key = ? AND status <> 'resolved'",
        )
        .bind(entity.as_str())
        .bind(key.clone()),
        StateOp::Log(entry) => sqlx::query(
            "INSERT INTO connector_log (at, job, entity, key, direction, outcome, message)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(ts(entry.at))
        .bind(entry.job.clone())
        .bind(entry.entity.as_str())
        .bind(entry.key.clone())
        .bind(entry.direction.as_str())
        .bind(entry.outcome.as_str())
        .bind(entry.message.clone()),
    };
    q.execute(&mut **tx).await.map_err(db("commit"))?;
    Ok(())
}
