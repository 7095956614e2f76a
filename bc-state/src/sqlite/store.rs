//! `StateStore` for [`SqliteStateStore`]: every statement is scoped to the handle's
//! connection.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use bc_core::{Result, Sku};
use bc_engine::state::{state_error, Fence, Intent, StateOp};
use bc_engine::{
    CrossRef, EntityKind, ExceptionFilter, ExceptionReason, ExceptionRecord, ExceptionStatus,
    Lease, LogEntry, LogQuery, Outcome, StateStore, StoredCredentials, WriteKey, WriteRecord,
    WriteState,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use secrecy::SecretString;
use sqlx::Row;

use super::rows::{
    apply, check_fence, exception_from, lease_from, lease_in, log_from, take_lease, write_from,
    xref_from, Tx, EXCEPTION_COLUMNS, JOURNAL_COLUMNS,
};
use super::SqliteStateStore;
use crate::codec::{db, json, ts};

#[async_trait]
impl StateStore for SqliteStateStore {
    async fn xref(&self, kind: EntityKind, key: &str) -> Result<Option<CrossRef>> {
        sqlx::query("SELECT * FROM xrefs WHERE connection = ?1 AND kind = ?2 AND key = ?3")
            .bind(&*self.connection)
            .bind(kind.as_str())
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("get xref"))?
            .as_ref()
            .map(xref_from)
            .transpose()
    }

    async fn xrefs_of(&self, kind: EntityKind, keys: &[String]) -> Result<Vec<Option<CrossRef>>> {
        let mut out: Vec<Option<CrossRef>> = vec![None; keys.len()];
        if keys.is_empty() {
            return Ok(out);
        }
        // One statement for the batch; `CROSS JOIN` keeps one primary-key look-up per key.
        let rows = sqlx::query(
            "SELECT r.key AS idx, x.kind AS kind, x.key AS key, x.ledger AS ledger,
               x.payload_hash AS payload_hash, x.revision AS revision, x.updated_at AS updated_at
             FROM json_each(?3) AS r CROSS JOIN xrefs AS x
               ON x.connection = ?1 AND x.kind = ?2 AND x.key = r.value",
        )
        .bind(&*self.connection)
        .bind(kind.as_str())
        .bind(serde_json::Value::from(keys.to_vec()).to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db("get xrefs"))?;
        for row in &rows {
            let idx: i64 = row.try_get("idx").map_err(db("get xrefs"))?;
            if let Some(slot) = usize::try_from(idx).ok().and_then(|i| out.get_mut(i)) {
                *slot = Some(xref_from(row)?);
            }
        }
        Ok(out)
    }

    async fn xref_by_ledger(&self, kind: EntityKind, ledger_id: &str) -> Result<Option<CrossRef>> {
        sqlx::query(
            "SELECT * FROM xrefs WHERE connection = ?1 AND kind = ?2 AND ledger_id = ?3
             ORDER BY key LIMIT 1",
        )
        .bind(&*self.connection)
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
        sqlx::query("SELECT * FROM xrefs WHERE connection = ?1 AND kind = ?2 ORDER BY key")
            .bind(&*self.connection)
            .bind(kind.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db("list xrefs"))?
            .iter()
            .map(xref_from)
            .collect()
    }

    async fn cursor(&self, job: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM cursors WHERE connection = ?1 AND job = ?2")
            .bind(&*self.connection)
            .bind(job)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("get cursor"))
    }

    async fn journal(&self, key: &WriteKey) -> Result<Option<WriteRecord>> {
        sqlx::query(&format!(
            "SELECT {JOURNAL_COLUMNS} FROM journal WHERE connection = ?1
             AND entity = ?2 AND operation = ?3 AND key = ?4 AND revision = ?5"
        ))
        .bind(&*self.connection)
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
            "SELECT {JOURNAL_COLUMNS} FROM journal WHERE connection = ?1 AND state = 'intent'
             ORDER BY created_at, entity, operation, key, revision"
        ))
        .bind(&*self.connection)
        .fetch_all(&self.pool)
        .await
        .map_err(db("pending journal"))?
        .iter()
        .map(write_from)
        .collect()
    }

    async fn record_exception(
        &self,
        entity: EntityKind,
        key: &str,
        reasons: &[ExceptionReason],
        now: DateTime<Utc>,
    ) -> Result<ExceptionRecord> {
        let row = sqlx::query(&format!(
            "INSERT INTO exceptions (connection, {EXCEPTION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, 'open', 0)
             ON CONFLICT (connection, entity, key) DO UPDATE SET
               reasons = excluded.reasons,
               attempts = CASE WHEN exceptions.status = 'resolved' THEN 1 ELSE exceptions.attempts + 1 END,
               first_seen = CASE WHEN exceptions.status = 'resolved' THEN excluded.first_seen ELSE exceptions.first_seen END,
               last_seen = excluded.last_seen, status = 'open', retry_requested = 0
             RETURNING {EXCEPTION_COLUMNS}"
        ))
        .bind(&*self.connection)
        .bind(entity.as_str())
        .bind(key)
        .bind(json(&reasons)?)
        .bind(ts(now))
        .fetch_one(&self.pool)
        .await
        .map_err(db("record exception"))?;
        exception_from(&row)
    }

    async fn resolve_exception(&self, entity: EntityKind, key: &str) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exceptions SET status = 'resolved', retry_requested = 0
             WHERE connection = ?1 AND entity = ?2 AND key = ?3",
        )
        .bind(&*self.connection)
        .bind(entity.as_str())
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(db("resolve exception"))?;
        Ok(r.rows_affected() > 0)
    }

    async fn request_retry(&self, entity: EntityKind, key: &str) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exceptions SET retry_requested = 1 WHERE connection = ?1 AND entity = ?2 AND key = ?3",
        )
        .bind(&*self.connection)
        .bind(entity.as_str())
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(db("request retry"))?;
        Ok(r.rows_affected() > 0)
    }

    async fn exception(&self, entity: EntityKind, key: &str) -> Result<Option<ExceptionRecord>> {
        sqlx::query(&format!(
            "SELECT {EXCEPTION_COLUMNS} FROM exceptions WHERE connection = ?1 AND entity = ?2 AND key = ?3"
        ))
        .bind(&*self.connection)
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
        let mut v = sqlx::query(&format!(
            "SELECT {EXCEPTION_COLUMNS} FROM exceptions WHERE connection = ?1
               AND (?2 IS NULL OR entity = ?2) AND (?3 IS NULL OR status = ?3)
               AND (?4 IS NULL OR retry_requested = ?4)"
        ))
        .bind(&*self.connection)
        .bind(filter.entity.map(EntityKind::as_str))
        .bind(filter.status.map(ExceptionStatus::as_str))
        .bind(filter.retry_requested.map(i64::from))
        .fetch_all(&self.pool)
        .await
        .map_err(db("list exceptions"))?
        .iter()
        .map(exception_from)
        .collect::<Result<Vec<_>>>()?;
        v.sort_by(|a, b| {
            a.first_seen
                .cmp(&b.first_seen)
                .then(a.entity.cmp(&b.entity))
                .then(a.key.cmp(&b.key))
        });
        Ok(v)
    }

    async fn search_log(&self, query: &LogQuery) -> Result<Vec<LogEntry>> {
        let limit = query
            .limit
            .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        sqlx::query(
            "SELECT at, job, entity, key, direction, outcome, message FROM connector_log
             WHERE connection = ?1 AND (?2 IS NULL OR entity = ?2) AND (?3 IS NULL OR key = ?3)
               AND (?4 IS NULL OR outcome = ?4) AND (?5 IS NULL OR at >= ?5)
               AND (?6 IS NULL OR at < ?6)
             ORDER BY at DESC, id DESC LIMIT ?7",
        )
        .bind(&*self.connection)
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
        let rows = sqlx::query("SELECT sku, quantity FROM inventory WHERE connection = ?1")
            .bind(&*self.connection)
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
        let mut tx = self.begin_write("write inventory").await?;
        for (sku, q) in levels {
            sqlx::query(
                "INSERT INTO inventory (connection, sku, quantity) VALUES (?1, ?2, ?3)
                 ON CONFLICT (connection, sku) DO UPDATE SET quantity = excluded.quantity",
            )
            .bind(&*self.connection)
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
        let c = &*self.connection;
        let mut tx = self.begin_write("acquire lease").await?;
        let current = lease_in(&mut tx, c, name).await?;
        let fence = match current {
            Some(l) if l.owner == owner && l.expires_at > now => {
                sqlx::query(
                    "UPDATE leases SET expires_at = ?1 WHERE connection = ?2 AND name = ?3",
                )
                .bind(ts(bc_engine::state::lease_expiry(now, ttl)))
                .bind(c)
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
                take_lease(
                    &mut tx,
                    c,
                    name,
                    owner,
                    other.map_or(0, |l| l.token),
                    now,
                    ttl,
                )
                .await?,
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
        let c = &*self.connection;
        let mut tx = self.begin_write("take over lease").await?;
        let fence = match lease_in(&mut tx, c, name).await? {
            Some(l) if l.owner == from_owner => {
                Some(take_lease(&mut tx, c, name, to_owner, l.token, now, ttl).await?)
            }
            _ => None,
        };
        tx.commit().await.map_err(db("take over lease"))?;
        Ok(fence)
    }

    async fn renew_lease(&self, fence: &Fence, now: DateTime<Utc>, ttl: Duration) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE leases SET expires_at = ?1
             WHERE connection = ?2 AND name = ?3 AND owner = ?4 AND token = ?5",
        )
        .bind(ts(bc_engine::state::lease_expiry(now, ttl)))
        .bind(&*self.connection)
        .bind(&fence.lease)
        .bind(&fence.owner)
        .bind(fence.token)
        .execute(&self.pool)
        .await
        .map_err(db("renew lease"))?;
        Ok(r.rows_affected() > 0)
    }

    async fn release_lease(&self, fence: &Fence) -> Result<bool> {
        // The row stays (expired, no owner) so that the next token is still larger.
        let r = sqlx::query(
            "UPDATE leases SET owner = '', expires_at = ?1
             WHERE connection = ?2 AND name = ?3 AND owner = ?4 AND token = ?5",
        )
        .bind(ts(DateTime::<Utc>::UNIX_EPOCH))
        .bind(&*self.connection)
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
        lease_in(&mut conn, &self.connection, name).await
    }

    async fn leases(&self) -> Result<Vec<Lease>> {
        sqlx::query(
            "SELECT name, owner, expires_at, token FROM leases WHERE connection = ?1 ORDER BY name",
        )
        .bind(&*self.connection)
        .fetch_all(&self.pool)
        .await
        .map_err(db("read leases"))?
        .iter()
        .map(lease_from)
        .collect()
    }

    async fn journal_intents<'f>(
        &self,
        fence: Option<&'f Fence>,
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>> {
        let c = &*self.connection;
        let mut tx = self.begin_write("journal intents").await?;
        check_fence(&mut tx, c, fence).await?;
        let before = intents_in(&mut tx, c, intents, now).await?;
        tx.commit().await.map_err(db("journal intents"))?;
        Ok(before)
    }

    async fn commit_then_intents<'f>(
        &self,
        fence: Option<&'f Fence>,
        ops: &[StateOp],
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>> {
        if ops.is_empty() && intents.is_empty() {
            return Ok(Vec::new());
        }
        // One transaction, one fsync: the earlier batch's dones and the next one's intents.
        let c = &*self.connection;
        let mut tx = self.begin_write("commit").await?;
        check_fence(&mut tx, c, fence).await?;
        for group in Batches::of(ops)? {
            group.apply(&mut tx, c, now).await?;
        }
        let before = intents_in(&mut tx, c, intents, now).await?;
        tx.commit().await.map_err(db("commit"))?;
        Ok(before)
    }

    async fn commit<'f>(
        &self,
        fence: Option<&'f Fence>,
        ops: &[StateOp],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if ops.is_empty() && fence.is_none() {
            return Ok(());
        }
        let c = &*self.connection;
        let mut tx = self.begin_write("commit").await?;
        check_fence(&mut tx, c, fence).await?;
        for group in Batches::of(ops)? {
            group.apply(&mut tx, c, now).await?;
        }
        tx.commit().await.map_err(db("commit"))?;
        Ok(())
    }

    async fn credentials(&self, account: &str) -> Result<Option<StoredCredentials>> {
        crate::credentials::sqlite_get(&self.pool, &self.connection, account).await
    }

    async fn swap_credentials(
        &self,
        account: &str,
        expected_generation: u64,
        value: &SecretString,
    ) -> Result<bool> {
        crate::credentials::sqlite_swap(
            &self.pool,
            &self.connection,
            account,
            expected_generation,
            value,
            Utc::now(),
        )
        .await
    }
}

/// Records `intents` in `tx` (see [`StateStore::journal_intents`]) and returns their prior
/// records.
async fn intents_in(
    tx: &mut Tx,
    c: &str,
    intents: &[Intent],
    now: DateTime<Utc>,
) -> Result<Vec<Option<WriteRecord>>> {
    if intents.is_empty() {
        return Ok(Vec::new());
    }
    // One statement reads every prior record, one inserts every intent: a batch costs
    // the same few round trips to SQLite whatever its size. (`CROSS JOIN` keeps the batch
    // the outer loop: one primary-key look-up per intent, never a scan of the journal.)
    let rows = rows_json(intents.iter().map(|i| {
        let k = &i.key;
        serde_json::json!([
            k.entity.as_str(),
            k.operation,
            k.key,
            k.revision,
            i.payload_hash
        ])
    }));
    let mut prior: Vec<Option<WriteRecord>> = vec![None; intents.len()];
    let found = sqlx::query(
        "SELECT r.key AS idx, j.entity AS entity, j.operation AS operation, j.key AS key,
           j.revision AS revision, j.payload_hash AS payload_hash, j.state AS state,
           j.detail AS detail, j.created_at AS created_at, j.updated_at AS updated_at
         FROM json_each(?2) AS r CROSS JOIN journal AS j ON j.connection = ?1
           AND j.entity = json_extract(r.value, '$[0]')
           AND j.operation = json_extract(r.value, '$[1]')
           AND j.key = json_extract(r.value, '$[2]')
           AND j.revision = json_extract(r.value, '$[3]')",
    )
    .bind(c)
    .bind(&rows)
    .fetch_all(&mut **tx)
    .await
    .map_err(db("journal intents"))?;
    for row in &found {
        let idx: i64 = row.try_get("idx").map_err(db("journal intents"))?;
        if let Some(slot) = usize::try_from(idx).ok().and_then(|i| prior.get_mut(i)) {
            *slot = Some(write_from(row)?);
        }
    }
    // Insert, or turn a failure back into an intent; never touch intent or done.
    sqlx::query(
        "INSERT INTO journal (connection, entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at)
         SELECT ?1, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'),
           json_extract(r.value, '$[2]'), json_extract(r.value, '$[3]'),
           json_extract(r.value, '$[4]'), 'intent', NULL, ?3, ?3
         FROM json_each(?2) AS r WHERE true ORDER BY r.key
         ON CONFLICT (connection, entity, operation, key, revision) DO UPDATE SET
           state = 'intent', detail = NULL, payload_hash = excluded.payload_hash,
           updated_at = excluded.updated_at
         WHERE journal.state = 'failed'",
    )
    .bind(c)
    .bind(&rows)
    .bind(ts(now))
    .execute(&mut **tx)
    .await
    .map_err(db("journal intents"))?;
    Ok(repeated_keys(intents, prior, now))
}

/// Rows of a batch as one JSON array, bound to one parameter and read with `json_each`.
fn rows_json(rows: impl Iterator<Item = serde_json::Value>) -> String {
    serde_json::Value::Array(rows.collect()).to_string()
}

/// The prior records of `intents` as the one-by-one protocol sees them: a key repeated in
/// the batch finds the record its first occurrence left (an intent, unless it was done).
fn repeated_keys(
    intents: &[Intent],
    mut prior: Vec<Option<WriteRecord>>,
    now: DateTime<Utc>,
) -> Vec<Option<WriteRecord>> {
    let mut first: BTreeMap<&WriteKey, usize> = BTreeMap::new();
    for (n, i) in intents.iter().enumerate() {
        match first.get(&i.key) {
            None => {
                first.insert(&i.key, n);
            }
            Some(&f) => {
                prior[n] = Some(match prior[f].clone() {
                    Some(r) if !matches!(r.state, WriteState::Failed { .. }) => r,
                    before => WriteRecord {
                        key: i.key.clone(),
                        payload_hash: intents[f].payload_hash.clone(),
                        state: WriteState::Intent,
                        created_at: before.map_or(now, |b| b.created_at),
                        updated_at: now,
                    },
                });
            }
        }
    }
    prior
}

/// The operations of one commit, grouped so that each group is one statement: every
/// cross-reference, every exception resolved and every log line together (each its own
/// table), and the journal's changes in runs of the same kind, in their order (a `failed`
/// never overwrites a `done`, so the order of the two matters).
enum Batches {
    Done(Vec<serde_json::Value>),
    Failed(Vec<serde_json::Value>),
    Xrefs(Vec<serde_json::Value>),
    Resolve(Vec<serde_json::Value>),
    Log(Vec<serde_json::Value>),
    One(StateOp),
}

impl Batches {
    fn of(ops: &[StateOp]) -> Result<Vec<Batches>> {
        let mut journal: Vec<Batches> = Vec::new();
        let mut xrefs = Vec::new();
        let mut resolve = Vec::new();
        let mut log = Vec::new();
        let mut single = Vec::new();
        for op in ops {
            match op {
                StateOp::Done {
                    key,
                    at,
                    payload_hash,
                } => {
                    let row = serde_json::json!([
                        key.entity.as_str(),
                        key.operation,
                        key.key,
                        key.revision,
                        payload_hash,
                        json(at)?
                    ]);
                    match journal.last_mut() {
                        Some(Batches::Done(v)) => v.push(row),
                        _ => journal.push(Batches::Done(vec![row])),
                    }
                }
                StateOp::Failed { key, reason } => {
                    let row = serde_json::json!([
                        key.entity.as_str(),
                        key.operation,
                        key.key,
                        key.revision,
                        reason
                    ]);
                    match journal.last_mut() {
                        Some(Batches::Failed(v)) => v.push(row),
                        _ => journal.push(Batches::Failed(vec![row])),
                    }
                }
                StateOp::PutXref(x) => xrefs.push(serde_json::json!([
                    x.kind.as_str(),
                    x.key,
                    x.ledger.id,
                    json(&x.ledger)?,
                    x.payload_hash,
                    x.revision,
                    ts(x.updated_at)
                ])),
                StateOp::ResolveException { entity, key } => {
                    resolve.push(serde_json::json!([entity.as_str(), key]));
                }
                StateOp::Log(e) => log.push(serde_json::json!([
                    ts(e.at),
                    e.job,
                    e.entity.as_str(),
                    e.key,
                    e.direction.as_str(),
                    e.outcome.as_str(),
                    e.message
                ])),
                other @ StateOp::SetCursor { .. } => single.push(Batches::One(other.clone())),
            }
        }
        let mut out = journal;
        for (rows, make) in [
            (
                xrefs,
                Batches::Xrefs as fn(Vec<serde_json::Value>) -> Batches,
            ),
            (resolve, Batches::Resolve),
            (log, Batches::Log),
        ] {
            if !rows.is_empty() {
                out.push(make(rows));
            }
        }
        out.extend(single);
        Ok(out)
    }

    async fn apply(self, tx: &mut Tx, c: &str, now: DateTime<Utc>) -> Result<()> {
        let (sql, rows) = match self {
            Batches::One(op) => return apply(tx, c, &op, now).await,
            Batches::Done(rows) => (
                "INSERT INTO journal (connection, entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at)
                 SELECT ?1, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'),
                   json_extract(r.value, '$[2]'), json_extract(r.value, '$[3]'),
                   json_extract(r.value, '$[4]'), 'done', json_extract(r.value, '$[5]'), ?3, ?3
                 FROM json_each(?2) AS r WHERE true ORDER BY r.key
                 ON CONFLICT (connection, entity, operation, key, revision) DO UPDATE SET
                   state = 'done', detail = excluded.detail, payload_hash = excluded.payload_hash,
                   updated_at = excluded.updated_at",
                rows,
            ),
            Batches::Failed(rows) => (
                "INSERT INTO journal (connection, entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at)
                 SELECT ?1, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'),
                   json_extract(r.value, '$[2]'), json_extract(r.value, '$[3]'), '', 'failed',
                   json_extract(r.value, '$[4]'), ?3, ?3
                 FROM json_each(?2) AS r WHERE true ORDER BY r.key
                 ON CONFLICT (connection, entity, operation, key, revision) DO UPDATE SET
                   state = 'failed', detail = excluded.detail, updated_at = excluded.updated_at
                 WHERE journal.state <> 'done'",
                rows,
            ),
            Batches::Xrefs(rows) => (
                "INSERT INTO xrefs (connection, kind, key, ledger_id, ledger, payload_hash, revision, updated_at)
                 SELECT ?1, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'),
                   json_extract(r.value, '$[2]'), json_extract(r.value, '$[3]'),
                   json_extract(r.value, '$[4]'), json_extract(r.value, '$[5]'),
                   json_extract(r.value, '$[6]')
                 FROM json_each(?2) AS r WHERE true ORDER BY r.key
                 ON CONFLICT (connection, kind, key) DO UPDATE SET ledger_id = excluded.ledger_id,
                   ledger = excluded.ledger, payload_hash = excluded.payload_hash,
                   revision = excluded.revision, updated_at = excluded.updated_at",
                rows,
            ),
            Batches::Resolve(rows) => (
                "UPDATE exceptions SET status = 'resolved', retry_requested = 0
                 WHERE connection = ?1 AND status <> 'resolved' AND (entity, key) IN
                   (SELECT json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]')
                    FROM json_each(?2) AS r)",
                rows,
            ),
            Batches::Log(rows) => (
                "INSERT INTO connector_log (connection, at, job, entity, key, direction, outcome, message)
                 SELECT ?1, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'),
                   json_extract(r.value, '$[2]'), json_extract(r.value, '$[3]'),
                   json_extract(r.value, '$[4]'), json_extract(r.value, '$[5]'),
                   json_extract(r.value, '$[6]')
                 FROM json_each(?2) AS r ORDER BY r.key",
                rows,
            ),
        };
        let mut q = sqlx::query(sql).bind(c).bind(rows_json(rows.into_iter()));
        if sql.contains("?3") {
            q = q.bind(ts(now));
        }
        q.execute(&mut **tx).await.map_err(db("commit"))?;
        Ok(())
    }
}
