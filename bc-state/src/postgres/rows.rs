//! PostgreSQL rows ⇄ the engine's records, and the statements shared by several methods
//! (leases, the fence check, the group-commit operations). Every statement names the
//! connection.

use std::time::Duration;

use bc_core::Result;
use bc_engine::state::{lease_lost, Fence, StateOp};
use bc_engine::{
    CrossRef, Direction, ExceptionReason, ExceptionRecord, ExceptionStatus, Lease, LogEntry,
    Outcome, WriteKey, WriteRecord,
};
use chrono::{DateTime, Utc};
use sqlx::postgres::types::PgInterval;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::codec::{db, json, u32_of, unjson, write_state};

/// A transaction.
pub(super) type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

pub(super) const EXCEPTION_COLUMNS: &str =
    "entity, key, reasons, attempts, first_seen, last_seen, status, retry_requested";
pub(super) const JOURNAL_COLUMNS: &str =
    "entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at";
pub(super) const XREF_COLUMNS: &str = "kind, key, ledger, payload_hash, revision, updated_at";

/// The longest lease accepted (a longer TTL is cut to it): 100 years.
const MAX_TTL_MICROS: i64 = 100 * 366 * 24 * 3600 * 1_000_000;

/// A lease TTL as a PostgreSQL interval (exact microseconds).
pub(super) fn ttl_interval(ttl: Duration) -> PgInterval {
    PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(ttl.as_micros())
            .unwrap_or(i64::MAX)
            .min(MAX_TTL_MICROS),
    }
}

pub(super) fn xref_from(row: &PgRow) -> Result<CrossRef> {
    let kind: String = row.try_get("kind").map_err(db("read xref"))?;
    let ledger: String = row.try_get("ledger").map_err(db("read xref"))?;
    let revision: i64 = row.try_get("revision").map_err(db("read xref"))?;
    Ok(CrossRef {
        kind: kind.parse()?,
        key: row.try_get("key").map_err(db("read xref"))?,
        ledger: unjson(&ledger)?,
        payload_hash: row.try_get("payload_hash").map_err(db("read xref"))?,
        revision: u32_of(revision),
        updated_at: row.try_get("updated_at").map_err(db("read xref"))?,
    })
}

pub(super) fn write_from(row: &PgRow) -> Result<WriteRecord> {
    let entity: String = row.try_get("entity").map_err(db("read journal"))?;
    let revision: i64 = row.try_get("revision").map_err(db("read journal"))?;
    let state: String = row.try_get("state").map_err(db("read journal"))?;
    let detail: Option<String> = row.try_get("detail").map_err(db("read journal"))?;
    Ok(WriteRecord {
        key: WriteKey {
            entity: entity.parse()?,
            operation: row.try_get("operation").map_err(db("read journal"))?,
            key: row.try_get("key").map_err(db("read journal"))?,
            revision: u32_of(revision),
        },
        payload_hash: row.try_get("payload_hash").map_err(db("read journal"))?,
        state: write_state(&state, detail)?,
        created_at: row.try_get("created_at").map_err(db("read journal"))?,
        updated_at: row.try_get("updated_at").map_err(db("read journal"))?,
    })
}

pub(super) fn exception_from(row: &PgRow) -> Result<ExceptionRecord> {
    let entity: String = row.try_get("entity").map_err(db("read exception"))?;
    let reasons: String = row.try_get("reasons").map_err(db("read exception"))?;
    let attempts: i64 = row.try_get("attempts").map_err(db("read exception"))?;
    let status: String = row.try_get("status").map_err(db("read exception"))?;
    Ok(ExceptionRecord {
        entity: entity.parse()?,
        key: row.try_get("key").map_err(db("read exception"))?,
        reasons: unjson::<Vec<ExceptionReason>>(&reasons)?,
        attempts: u32_of(attempts),
        first_seen: row.try_get("first_seen").map_err(db("read exception"))?,
        last_seen: row.try_get("last_seen").map_err(db("read exception"))?,
        status: ExceptionStatus::parse(&status)?,
        retry_requested: row
            .try_get("retry_requested")
            .map_err(db("read exception"))?,
    })
}

pub(super) fn log_from(row: &PgRow) -> Result<LogEntry> {
    let entity: String = row.try_get("entity").map_err(db("read log"))?;
    let direction: String = row.try_get("direction").map_err(db("read log"))?;
    let outcome: String = row.try_get("outcome").map_err(db("read log"))?;
    Ok(LogEntry {
        at: row.try_get("at").map_err(db("read log"))?,
        job: row.try_get("job").map_err(db("read log"))?,
        entity: entity.parse()?,
        key: row.try_get("key").map_err(db("read log"))?,
        direction: Direction::parse(&direction)?,
        outcome: Outcome::parse(&outcome)?,
        message: row.try_get("message").map_err(db("read log"))?,
    })
}

pub(super) fn lease_from(row: &PgRow) -> Result<Lease> {
    Ok(Lease {
        name: row.try_get("name").map_err(db("read lease"))?,
        owner: row.try_get("owner").map_err(db("read lease"))?,
        expires_at: row.try_get("expires_at").map_err(db("read lease"))?,
        token: row.try_get("token").map_err(db("read lease"))?,
    })
}

/// A lease row and whether it is live at the lease clock's now.
pub(super) struct LockedLease {
    pub lease: Lease,
    pub live: bool,
}

/// Reads the lease row `FOR UPDATE`, creating it first (free: no owner, token 0) when it
/// does not exist, so that two takers of a new lease serialise on the row too.
pub(super) async fn lock_lease(
    tx: &mut PgConnection,
    connection: &str,
    name: &str,
    now: Option<DateTime<Utc>>,
) -> Result<LockedLease> {
    const SELECT: &str = "SELECT name, owner, expires_at, token,
            expires_at > COALESCE($3::timestamptz, now()) AS live
        FROM leases WHERE connection = $1 AND name = $2 FOR UPDATE";
    let mut row = sqlx::query(SELECT)
        .bind(connection)
        .bind(name)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db("lock lease"))?;
    if row.is_none() {
        sqlx::query(
            "INSERT INTO leases (connection, name, owner, expires_at, token)
             VALUES ($1, $2, '', 'epoch', 0) ON CONFLICT DO NOTHING",
        )
        .bind(connection)
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(db("lock lease"))?;
        row = sqlx::query(SELECT)
            .bind(connection)
            .bind(name)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("lock lease"))?;
    }
    let row = row.ok_or_else(|| {
        bc_engine::state::state_error("lock lease", format!("lease `{name}` vanished"))
    })?;
    Ok(LockedLease {
        lease: lease_from(&row)?,
        live: row.try_get("live").map_err(db("lock lease"))?,
    })
}

/// Gives the locked lease to `owner` with the next token, until now + `ttl`.
pub(super) async fn take_lease(
    tx: &mut PgConnection,
    connection: &str,
    name: &str,
    owner: &str,
    now: Option<DateTime<Utc>>,
    ttl: Duration,
) -> Result<Fence> {
    let token: i64 = sqlx::query_scalar(
        "UPDATE leases SET owner = $3, token = token + 1,
           expires_at = COALESCE($4::timestamptz, now()) + $5
         WHERE connection = $1 AND name = $2 RETURNING token",
    )
    .bind(connection)
    .bind(name)
    .bind(owner)
    .bind(now)
    .bind(ttl_interval(ttl))
    .fetch_one(&mut *tx)
    .await
    .map_err(db("take lease"))?;
    Ok(Fence {
        lease: name.to_string(),
        owner: owner.to_string(),
        token,
    })
}

/// Refuses the transaction when the fence's lease has another holder or token; otherwise
/// holds the lease row `FOR SHARE` until the transaction ends, so that no takeover can
/// commit in between.
pub(super) async fn check_fence(
    tx: &mut Tx,
    connection: &str,
    fence: Option<&Fence>,
) -> Result<()> {
    let Some(f) = fence else { return Ok(()) };
    let current = sqlx::query(
        "SELECT name, owner, expires_at, token FROM leases
         WHERE connection = $1 AND name = $2 FOR SHARE",
    )
    .bind(connection)
    .bind(&f.lease)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db("check fence"))?
    .as_ref()
    .map(lease_from)
    .transpose()?;
    match current {
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
    fence: Option<&Fence>,
) -> Result<()> {
    let c = connection.to_string();
    let lease = fence.map(|f| f.lease.clone());
    let token = fence.map(|f| f.token);
    let q = match op {
        StateOp::Done {
            key,
            at,
            payload_hash,
        } => sqlx::query(
            "INSERT INTO journal (connection, entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at, fence_lease, done_token)
             VALUES ($1, $2, $3, $4, $5, $6, 'done', $7, $8, $8, $9, $10)
             ON CONFLICT (connection, entity, operation, key, revision) DO UPDATE SET
               state = 'done', detail = excluded.detail, payload_hash = excluded.payload_hash,
               updated_at = excluded.updated_at,
               fence_lease = COALESCE(excluded.fence_lease, journal.fence_lease),
               done_token = excluded.done_token",
        )
        .bind(c)
        .bind(key.entity.as_str())
        .bind(key.operation.clone())
        .bind(key.key.clone())
        .bind(i64::from(key.revision))
        .bind(payload_hash.clone())
        .bind(json(at)?)
        .bind(now)
        .bind(lease)
        .bind(token),
        StateOp::Failed { key, reason } => sqlx::query(
            "INSERT INTO journal (connection, entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at, fence_lease, done_token)
             VALUES ($1, $2, $3, $4, $5, '', 'failed', $6, $7, $7, $8, $9)
             ON CONFLICT (connection, entity, operation, key, revision) DO UPDATE SET
               state = 'failed', detail = excluded.detail, updated_at = excluded.updated_at,
               fence_lease = COALESCE(excluded.fence_lease, journal.fence_lease),
               done_token = excluded.done_token
             WHERE journal.state <> 'done'",
        )
        .bind(c)
        .bind(key.entity.as_str())
        .bind(key.operation.clone())
        .bind(key.key.clone())
        .bind(i64::from(key.revision))
        .bind(reason.clone())
        .bind(now)
        .bind(lease)
        .bind(token),
        StateOp::PutXref(xref) => sqlx::query(
            "INSERT INTO xrefs (connection, kind, key, ledger_id, ledger, payload_hash, revision, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
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
        .bind(xref.updated_at),
        StateOp::SetCursor { job, value } => sqlx::query(
            "INSERT INTO cursors (connection, job, value) VALUES ($1, $2, $3)
             ON CONFLICT (connection, job) DO UPDATE SET value = excluded.value",
        )
        .bind(c)
        .bind(job.clone())
        .bind(value.clone()),
        StateOp::ResolveException { entity, key } => sqlx::query(
            "UPDATE exceptions SET status = 'resolved', retry_requested = false
             WHERE connection = $1 AND entity = $2 AND key = $3 AND status <> 'resolved'",
        )
        .bind(c)
        .bind(entity.as_str())
        .bind(key.clone()),
        StateOp::Log(entry) => sqlx::query(
            "INSERT INTO connector_log (connection, at, job, entity, key, direction, outcome, message, fence_lease, fence_token)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c)
        .bind(entry.at)
        .bind(entry.job.clone())
        .bind(entry.entity.as_str())
        .bind(entry.key.clone())
        .bind(entry.direction.as_str())
        .bind(entry.outcome.as_str())
        .bind(entry.message.clone())
        .bind(lease)
        .bind(token),
    };
    q.execute(&mut **tx).await.map_err(db("commit"))?;
    Ok(())
}
