//! SQLite rows ⇄ the engine's records, and the statements shared by several methods (leases,
//! the fence check, the group-commit operations). Every statement names the connection.

use std::time::Duration;

use bc_core::Result;
use bc_engine::state::{lease_expiry, lease_lost, Fence, StateOp};
use bc_engine::{
    CrossRef, Direction, ExceptionReason, ExceptionRecord, ExceptionStatus, Lease, LogEntry,
    Outcome, WriteKey, WriteRecord,
};
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::codec::{db, json, parse_ts, ts, u32_of, unjson, write_state};

/// A write transaction.
pub(super) type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

pub(super) const EXCEPTION_COLUMNS: &str =
    "entity, key, reasons, attempts, first_seen, last_seen, status, retry_requested";
pub(super) const JOURNAL_COLUMNS: &str =
    "entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at";

pub(super) fn xref_from(row: &SqliteRow) -> Result<CrossRef> {
    let kind: String = row.try_get("kind").map_err(db("read xref"))?;
    let ledger: String = row.try_get("ledger").map_err(db("read xref"))?;
    let revision: i64 = row.try_get("revision").map_err(db("read xref"))?;
    let updated: String = row.try_get("updated_at").map_err(db("read xref"))?;
    Ok(CrossRef {
        kind: kind.parse()?,
        key: row.try_get("key").map_err(db("read xref"))?,
        ledger: unjson(&ledger)?,
        payload_hash: row.try_get("payload_hash").map_err(db("read xref"))?,
        revision: u32_of(revision),
        updated_at: parse_ts(&updated)?,
    })
}

pub(super) fn write_from(row: &SqliteRow) -> Result<WriteRecord> {
    let entity: String = row.try_get("entity").map_err(db("read journal"))?;
    let revision: i64 = row.try_get("revision").map_err(db("read journal"))?;
    let state: String = row.try_get("state").map_err(db("read journal"))?;
    let detail: Option<String> = row.try_get("detail").map_err(db("read journal"))?;
    let created: String = row.try_get("created_at").map_err(db("read journal"))?;
    let updated: String = row.try_get("updated_at").map_err(db("read journal"))?;
    Ok(WriteRecord {
        key: WriteKey {
            entity: entity.parse()?,
            operation: row.try_get("operation").map_err(db("read journal"))?,
            key: row.try_get("key").map_err(db("read journal"))?,
            revision: u32_of(revision),
        },
        payload_hash: row.try_get("payload_hash").map_err(db("read journal"))?,
        state: write_state(&state, detail)?,
        created_at: parse_ts(&created)?,
        updated_at: parse_ts(&updated)?,
    })
}

pub(super) fn exception_from(row: &SqliteRow) -> Result<ExceptionRecord> {
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
        attempts: u32_of(attempts),
        first_seen: parse_ts(&first)?,
        last_seen: parse_ts(&last)?,
        status: ExceptionStatus::parse(&status)?,
        retry_requested: retry != 0,
    })
}

pub(super) fn log_from(row: &SqliteRow) -> Result<LogEntry> {
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

pub(super) fn lease_from(row: &SqliteRow) -> Result<Lease> {
    let expires: String = row.try_get("expires_at").map_err(db("read lease"))?;
    Ok(Lease {
        name: row.try_get("name").map_err(db("read lease"))?,
        owner: row.try_get("owner").map_err(db("read lease"))?,
        expires_at: parse_ts(&expires)?,
        token: row.try_get("token").map_err(db("read lease"))?,
    })
}

pub(super) async fn lease_in(
    conn: &mut sqlx::SqliteConnection,
    connection: &str,
    name: &str,
) -> Result<Option<Lease>> {
    sqlx::query(
        "SELECT name, owner, expires_at, token FROM leases WHERE connection = ?1 AND name = ?2",
    )
    .bind(connection)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db("read lease"))?
    .as_ref()
    .map(lease_from)
    .transpose()
}

/// Gives the lease to `owner` with the next token.
pub(super) async fn take_lease(
    tx: &mut Tx,
    connection: &str,
    name: &str,
    owner: &str,
    previous_token: i64,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<Fence> {
    let token = previous_token + 1;
    sqlx::query(
        "INSERT INTO leases (connection, name, owner, expires_at, token) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (connection, name) DO UPDATE SET owner = excluded.owner,
           expires_at = excluded.expires_at, token = excluded.token",
    )
    .bind(connection)
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
pub(super) async fn check_fence(
    tx: &mut Tx,
    connection: &str,
    fence: Option<&Fence>,
) -> Result<()> {
    let Some(f) = fence else { return Ok(()) };
    match lease_in(tx, connection, &f.lease).await? {
        Some(l) if l.owner == f.owner && l.token == f.token => Ok(()),
        other => Err(lease_lost(f, other.as_ref())),
    }
}

/// Applies one group-commit operation inside `tx`.
pub(super) async fn apply(
    tx: &mut Tx,
    connection: &str,
    op: &StateOp,
    now: DateTime<Utc>,
) -> Result<()> {
    let c = connection.to_string();
    let q = match op {
        StateOp::Done {
            key,
            at,
            payload_hash,
        } => sqlx::query(
            "INSERT INTO journal (connection, entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'done', ?7, ?8, ?8)
             ON CONFLICT (connection, entity, operation, key, revision) DO UPDATE SET
               state = 'done', detail = excluded.detail, payload_hash = excluded.payload_hash,
               updated_at = excluded.updated_at",
        )
        .bind(c)
        .bind(key.entity.as_str())
        .bind(key.operation.clone())
        .bind(key.key.clone())
        .bind(i64::from(key.revision))
        .bind(payload_hash.clone())
        .bind(json(at)?)
        .bind(ts(now)),
        StateOp::Failed { key, reason } => sqlx::query(
            "INSERT INTO journal (connection, entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, '', 'failed', ?6, ?7, ?7)
             ON CONFLICT (connection, entity, operation, key, revision) DO UPDATE SET
               state = 'failed', detail = excluded.detail, updated_at = excluded.updated_at
             WHERE journal.state <> 'done'",
        )
        .bind(c)
        .bind(key.entity.as_str())
        .bind(key.operation.clone())
        .bind(key.key.clone())
        .bind(i64::from(key.revision))
        .bind(reason.clone())
        .bind(ts(now)),
        StateOp::PutXref(xref) => sqlx::query(
            "INSERT INTO xrefs (connection, kind, key, ledger_id, ledger, payload_hash, revision, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (connection, kind, key) DO UPDATE SET ledger_id = excluded.ledger_id,
               ledger = excluded.ledger, payload_hash = excluded.payload_hash,
               revision = excluded.revision, updated_at = excluded.updated_at",
        )
        .bind(c)
        .bind(xref.kind.as_str())
        .bind(xref.key.clone())
        .bind(xref.ledger.id.clone())
        .bind(json(&xref.ledger)?)
        .bind(xref.payload_hash.clone())
        .bind(i64::from(xref.revision))
        .bind(ts(xref.updated_at)),
        StateOp::SetCursor { job, value } => sqlx::query(
            "INSERT INTO cursors (connection, job, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (connection, job) DO UPDATE SET value = excluded.value",
        )
        .bind(c)
        .bind(job.clone())
        .bind(value.clone()),
        StateOp::ResolveException { entity, key } => sqlx::query(
            "UPDATE exceptions SET status = 'resolved', retry_requested = 0
             WHERE connection = ?1 AND entity = ?2 AND key = ?3 AND status <> 'resolved'",
        )
        .bind(c)
        .bind(entity.as_str())
        .bind(key.clone()),
        StateOp::Log(entry) => sqlx::query(
            "INSERT INTO connector_log (connection, at, job, entity, key, direction, outcome, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(c)
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
