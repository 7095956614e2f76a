//! `StateStore` for [`PostgresStateStore`]: every statement is scoped to the handle's
//! connection; fenced and read-check-write transactions lock the rows they decide on.

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
    apply, check_fence, exception_from, lease_from, lock_lease, log_from, take_lease, ttl_interval,
    write_from, xref_from, EXCEPTION_COLUMNS, JOURNAL_COLUMNS, XREF_COLUMNS,
};
use super::PostgresStateStore;
use crate::codec::{db, json};

#[async_trait]
impl StateStore for PostgresStateStore {
    async fn xref(&self, kind: EntityKind, key: &str) -> Result<Option<CrossRef>> {
        sqlx::query(&format!(
            "SELECT {XREF_COLUMNS} FROM xrefs WHERE connection = $1 AND kind = $2 AND key = $3"
        ))
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

    async fn xref_by_ledger(&self, kind: EntityKind, ledger_id: &str) -> Result<Option<CrossRef>> {
        sqlx::query(&format!(
            "SELECT {XREF_COLUMNS} FROM xrefs WHERE connection = $1 AND kind = $2 AND ledger_id = $3
             ORDER BY key LIMIT 1"
        ))
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
        sqlx::query(&format!(
            "SELECT {XREF_COLUMNS} FROM xrefs WHERE connection = $1 AND kind = $2 ORDER BY key"
        ))
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
        sqlx::query_scalar("SELECT value FROM cursors WHERE connection = $1 AND job = $2")
            .bind(&*self.connection)
            .bind(job)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("get cursor"))
    }

    async fn journal(&self, key: &WriteKey) -> Result<Option<WriteRecord>> {
        sqlx::query(&format!(
            "SELECT {JOURNAL_COLUMNS} FROM journal WHERE connection = $1
             AND entity = $2 AND operation = $3 AND key = $4 AND revision = $5"
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
            "SELECT {JOURNAL_COLUMNS} FROM journal WHERE connection = $1 AND state = 'intent'
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
        // One statement: the row is locked by the upsert, so concurrent failures of the same
        // entity count every attempt.
        let row = sqlx::query(&format!(
            "INSERT INTO exceptions (connection, {EXCEPTION_COLUMNS})
             VALUES ($1, $2, $3, $4, 1, $5, $5, 'open', false)
             ON CONFLICT (connection, entity, key) DO UPDATE SET
               reasons = excluded.reasons,
               attempts = CASE WHEN exceptions.status = 'resolved' THEN 1 ELSE exceptions.attempts + 1 END,
               first_seen = CASE WHEN exceptions.status = 'resolved' THEN excluded.first_seen ELSE exceptions.first_seen END,
               last_seen = excluded.last_seen, status = 'open', retry_requested = false
             RETURNING {EXCEPTION_COLUMNS}"
        ))
        .bind(&*self.connection)
        .bind(entity.as_str())
        .bind(key)
        .bind(json(&reasons)?)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(db("record exception"))?;
        exception_from(&row)
    }

    async fn resolve_exception(&self, entity: EntityKind, key: &str) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exceptions SET status = 'resolved', retry_requested = false
             WHERE connection = $1 AND entity = $2 AND key = $3",
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
            "UPDATE exceptions SET retry_requested = true
             WHERE connection = $1 AND entity = $2 AND key = $3",
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
            "SELECT {EXCEPTION_COLUMNS} FROM exceptions WHERE connection = $1 AND entity = $2 AND key = $3"
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
            "SELECT {EXCEPTION_COLUMNS} FROM exceptions WHERE connection = $1
               AND ($2::text IS NULL OR entity = $2) AND ($3::text IS NULL OR status = $3)
               AND ($4::boolean IS NULL OR retry_requested = $4)"
        ))
        .bind(&*self.connection)
        .bind(filter.entity.map(EntityKind::as_str))
        .bind(filter.status.map(ExceptionStatus::as_str))
        .bind(filter.retry_requested)
        .fetch_all(&self.pool)
        .await
        .map_err(db("list exceptions"))?
        .iter()
        .map(exception_from)
        .collect::<Result<Vec<_>>>()?;
        // The trait's order: first seen, then entity kind (declaration order), then key.
        v.sort_by(|a, b| {
            a.first_seen
                .cmp(&b.first_seen)
                .then(a.entity.cmp(&b.entity))
                .then(a.key.cmp(&b.key))
        });
        Ok(v)
    }

    async fn search_log(&self, query: &LogQuery) -> Result<Vec<LogEntry>> {
        let limit = query.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        sqlx::query(
            "SELECT at, job, entity, key, direction, outcome, message FROM connector_log
             WHERE connection = $1 AND ($2::text IS NULL OR entity = $2)
               AND ($3::text IS NULL OR key = $3) AND ($4::text IS NULL OR outcome = $4)
               AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
             ORDER BY at DESC, id DESC LIMIT $7",
        )
        .bind(&*self.connection)
        .bind(query.entity.map(EntityKind::as_str))
        .bind(query.key.as_deref())
        .bind(query.outcome.map(Outcome::as_str))
        .bind(query.since)
        .bind(query.until)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db("search log"))?
        .iter()
        .map(log_from)
        .collect()
    }

    async fn last_pushed(&self) -> Result<BTreeMap<Sku, Decimal>> {
        let rows = sqlx::query("SELECT sku, quantity FROM inventory WHERE connection = $1")
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
        if levels.is_empty() {
            return Ok(());
        }
        // One statement for the whole batch; the last quantity of a SKU named twice wins (an
        // upsert may not touch one row twice).
        let last: BTreeMap<&str, String> = levels
            .iter()
            .map(|(s, q)| (s.as_str(), q.to_string()))
            .collect();
        let skus: Vec<&str> = last.keys().copied().collect();
        let quantities: Vec<String> = last.into_values().collect();
        sqlx::query(
            "INSERT INTO inventory (connection, sku, quantity)
             SELECT $1, s, q FROM UNNEST($2::text[], $3::text[]) AS t(s, q)
             ON CONFLICT (connection, sku) DO UPDATE SET quantity = excluded.quantity",
        )
        .bind(&*self.connection)
        .bind(skus)
        .bind(quantities)
        .execute(&self.pool)
        .await
        .map_err(db("write inventory"))?;
        Ok(())
    }

    /// Under [`super::LeaseClock::Database`] `now` is ignored: expiry is judged and set by
    /// the database's `now()`.
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>> {
        let c = &*self.connection;
        let now = self.lease_now(now);
        let mut tx = self.pool.begin().await.map_err(db("acquire lease"))?;
        let locked = lock_lease(&mut tx, c, name, now).await?;
        let fence = if locked.live && locked.lease.owner == owner {
            sqlx::query(
                "UPDATE leases SET expires_at = COALESCE($3::timestamptz, now()) + $4
                 WHERE connection = $1 AND name = $2",
            )
            .bind(c)
            .bind(name)
            .bind(now)
            .bind(ttl_interval(ttl))
            .execute(&mut *tx)
            .await
            .map_err(db("acquire lease"))?;
            Some(Fence {
                lease: name.to_string(),
                owner: owner.to_string(),
                token: locked.lease.token,
            })
        } else if locked.live {
            None
        } else {
            Some(take_lease(&mut tx, c, name, owner, now, ttl).await?)
        };
        tx.commit().await.map_err(db("acquire lease"))?;
        Ok(fence)
    }

    /// Under [`super::LeaseClock::Database`] `now` is ignored (see `acquire_lease`).
    async fn take_over_lease(
        &self,
        name: &str,
        from_owner: &str,
        to_owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>> {
        let c = &*self.connection;
        let now = self.lease_now(now);
        let mut tx = self.pool.begin().await.map_err(db("take over lease"))?;
        let locked = lock_lease(&mut tx, c, name, now).await?;
        let fence = if locked.lease.owner == from_owner && !from_owner.is_empty() {
            Some(take_lease(&mut tx, c, name, to_owner, now, ttl).await?)
        } else {
            None
        };
        tx.commit().await.map_err(db("take over lease"))?;
        Ok(fence)
    }

    /// Under [`super::LeaseClock::Database`] `now` is ignored: the lease runs to the
    /// database's `now() + ttl`.
    async fn renew_lease(&self, fence: &Fence, now: DateTime<Utc>, ttl: Duration) -> Result<bool> {
        // One UPDATE: under READ COMMITTED it waits for a concurrent takeover of the row and
        // re-checks owner and token against the committed version.
        let r = sqlx::query(
            "UPDATE leases SET expires_at = COALESCE($5::timestamptz, now()) + $6
             WHERE connection = $1 AND name = $2 AND owner = $3 AND token = $4",
        )
        .bind(&*self.connection)
        .bind(&fence.lease)
        .bind(&fence.owner)
        .bind(fence.token)
        .bind(self.lease_now(now))
        .bind(ttl_interval(ttl))
        .execute(&self.pool)
        .await
        .map_err(db("renew lease"))?;
        Ok(r.rows_affected() > 0)
    }

    async fn release_lease(&self, fence: &Fence) -> Result<bool> {
        // The row stays (expired, no owner) so that the next token is still larger.
        let r = sqlx::query(
            "UPDATE leases SET owner = '', expires_at = 'epoch'
             WHERE connection = $1 AND name = $2 AND owner = $3 AND token = $4",
        )
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
        sqlx::query(
            "SELECT name, owner, expires_at, token FROM leases
             WHERE connection = $1 AND name = $2 AND token > 0",
        )
        .bind(&*self.connection)
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("read lease"))?
        .as_ref()
        .map(lease_from)
        .transpose()
    }

    async fn leases(&self) -> Result<Vec<Lease>> {
        sqlx::query(
            "SELECT name, owner, expires_at, token FROM leases
             WHERE connection = $1 AND token > 0 ORDER BY name",
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
        let mut tx = self.pool.begin().await.map_err(db("journal intents"))?;
        check_fence(&mut tx, c, fence).await?;
        let mut before = Vec::with_capacity(intents.len());
        for i in intents {
            let key = &i.key;
            // New key: inserted, nothing before. A concurrent insert of the same key makes
            // this wait for it and then do nothing.
            let inserted = sqlx::query(
                "INSERT INTO journal (connection, entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at, fence_lease, intent_token)
                 VALUES ($1, $2, $3, $4, $5, $6, 'intent', NULL, $7, $7, $8, $9)
                 ON CONFLICT DO NOTHING",
            )
            .bind(c)
            .bind(key.entity.as_str())
            .bind(&key.operation)
            .bind(&key.key)
            .bind(i64::from(key.revision))
            .bind(&i.payload_hash)
            .bind(now)
            .bind(fence.map(|f| f.lease.as_str()))
            .bind(fence.map(|f| f.token))
            .execute(&mut *tx)
            .await
            .map_err(db("journal intents"))?
            .rows_affected();
            if inserted == 1 {
                before.push(None);
                continue;
            }
            // Existing key: the committed record, locked until this transaction ends.
            let prior = sqlx::query(&format!(
                "SELECT {JOURNAL_COLUMNS} FROM journal WHERE connection = $1
                 AND entity = $2 AND operation = $3 AND key = $4 AND revision = $5 FOR UPDATE"
            ))
            .bind(c)
            .bind(key.entity.as_str())
            .bind(&key.operation)
            .bind(&key.key)
            .bind(i64::from(key.revision))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("journal intents"))?
            .as_ref()
            .map(write_from)
            .transpose()?
            .ok_or_else(|| state_error("journal intents", format!("`{key}` vanished")))?;
            // A failure becomes an intent again; an intent or a done is never touched.
            if matches!(prior.state, WriteState::Failed { .. }) {
                sqlx::query(
                    "UPDATE journal SET state = 'intent', detail = NULL, payload_hash = $6,
                       updated_at = $7, fence_lease = $8, intent_token = $9, done_token = NULL
                     WHERE connection = $1 AND entity = $2 AND operation = $3 AND key = $4
                       AND revision = $5",
                )
                .bind(c)
                .bind(key.entity.as_str())
                .bind(&key.operation)
                .bind(&key.key)
                .bind(i64::from(key.revision))
                .bind(&i.payload_hash)
                .bind(now)
                .bind(fence.map(|f| f.lease.as_str()))
                .bind(fence.map(|f| f.token))
                .execute(&mut *tx)
                .await
                .map_err(db("journal intents"))?;
            }
            before.push(Some(prior));
        }
        tx.commit().await.map_err(db("journal intents"))?;
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
        let mut tx = self.pool.begin().await.map_err(db("commit"))?;
        check_fence(&mut tx, c, fence).await?;
        for op in ops {
            apply(&mut tx, c, op, now, fence).await?;
        }
        tx.commit().await.map_err(db("commit"))?;
        Ok(())
    }

    async fn credentials(&self, account: &str) -> Result<Option<StoredCredentials>> {
        crate::credentials::postgres_get(&self.pool, &self.connection, account).await
    }

    async fn swap_credentials(
        &self,
        account: &str,
        expected_generation: u64,
        value: &SecretString,
    ) -> Result<bool> {
        crate::credentials::postgres_swap(
            &self.pool,
            &self.connection,
            account,
            expected_generation,
            value,
        )
        .await
    }
}
