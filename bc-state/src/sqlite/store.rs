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
    xref_from, EXCEPTION_COLUMNS, JOURNAL_COLUMNS,
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

    async fn journal_intents(
        &self,
        fence: Option<&Fence>,
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>> {
        let c = &*self.connection;
        let mut tx = self.begin_write("journal intents").await?;
        check_fence(&mut tx, c, fence).await?;
        let mut before = Vec::with_capacity(intents.len());
        for i in intents {
            let key = &i.key;
            let prior = sqlx::query(&format!(
                "SELECT {JOURNAL_COLUMNS} FROM journal WHERE connection = ?1
                 AND entity = ?2 AND operation = ?3 AND key = ?4 AND revision = ?5"
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
            .transpose()?;
            // Insert, or turn a failure back into an intent; never touch intent or done.
            if prior
                .as_ref()
                .is_none_or(|r| matches!(r.state, WriteState::Failed { .. }))
            {
                sqlx::query(
                    "INSERT INTO journal (connection, entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'intent', NULL, ?7, ?7)
                     ON CONFLICT (connection, entity, operation, key, revision) DO UPDATE SET
                       state = 'intent', detail = NULL, payload_hash = excluded.payload_hash,
                       updated_at = excluded.updated_at",
                )
                .bind(c)
                .bind(key.entity.as_str())
                .bind(&key.operation)
                .bind(&key.key)
                .bind(i64::from(key.revision))
                .bind(&i.payload_hash)
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
        let c = &*self.connection;
        let mut tx = self.begin_write("commit").await?;
        check_fence(&mut tx, c, fence).await?;
        for op in ops {
            apply(&mut tx, c, op, now).await?;
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
