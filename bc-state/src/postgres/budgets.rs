//! Rate budget snapshots on PostgreSQL (see [`crate::AccountBudget`]).

use bc_core::Result;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::PostgresStateStore;
use crate::budget::{count_u32, ms_i64, ms_u64, AccountBudget};
use crate::codec::db;

impl PostgresStateStore {
    /// Records snapshots of this handle's connection's account budgets (one row per account,
    /// replaced), in one transaction.
    pub async fn record_budgets(&self, budgets: &[AccountBudget]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db("record budgets"))?;
        for b in budgets {
            sqlx::query(
                "INSERT INTO rate_budgets (connection, account, worker, window_limit, window_ms,
                     requests_left, resets_at, paused_until, last_429_at, last_429_wait_ms,
                     observed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (connection, account) DO UPDATE SET
                     worker = EXCLUDED.worker, window_limit = EXCLUDED.window_limit,
                     window_ms = EXCLUDED.window_ms, requests_left = EXCLUDED.requests_left,
                     resets_at = EXCLUDED.resets_at, paused_until = EXCLUDED.paused_until,
                     last_429_at = EXCLUDED.last_429_at,
                     last_429_wait_ms = EXCLUDED.last_429_wait_ms,
                     observed_at = EXCLUDED.observed_at",
            )
            .bind(&*self.connection)
            .bind(&b.account)
            .bind(&b.worker)
            .bind(b.window_limit.map(i64::from))
            .bind(ms_i64(b.window_ms))
            .bind(b.requests_left.map(i64::from))
            .bind(b.resets_at)
            .bind(b.paused_until)
            .bind(b.last_429_at)
            .bind(b.last_429_wait_ms.map(ms_i64))
            .bind(b.observed_at)
            .execute(&mut *tx)
            .await
            .map_err(db("record budgets"))?;
        }
        tx.commit().await.map_err(db("record budgets"))
    }

    /// The budget snapshots recorded for this handle's connection, by account.
    pub async fn budgets(&self) -> Result<Vec<AccountBudget>> {
        let rows = sqlx::query(
            "SELECT account, worker, window_limit::BIGINT AS window_limit, window_ms,
                    requests_left::BIGINT AS requests_left, resets_at, paused_until,
                    last_429_at, last_429_wait_ms, observed_at
             FROM rate_budgets WHERE connection = $1 ORDER BY account",
        )
        .bind(&*self.connection)
        .fetch_all(&self.pool)
        .await
        .map_err(db("read budgets"))?;
        let err = db("read budgets");
        rows.into_iter()
            .map(|r| {
                Ok(AccountBudget {
                    connection: self.connection.to_string(),
                    account: r.try_get("account").map_err(&err)?,
                    worker: r.try_get("worker").map_err(&err)?,
                    window_limit: count_u32(r.try_get("window_limit").map_err(&err)?),
                    window_ms: ms_u64(r.try_get("window_ms").map_err(&err)?),
                    requests_left: count_u32(r.try_get("requests_left").map_err(&err)?),
                    resets_at: r
                        .try_get::<Option<DateTime<Utc>>, _>("resets_at")
                        .map_err(&err)?,
                    paused_until: r.try_get("paused_until").map_err(&err)?,
                    last_429_at: r.try_get("last_429_at").map_err(&err)?,
                    last_429_wait_ms: r
                        .try_get::<Option<i64>, _>("last_429_wait_ms")
                        .map_err(&err)?
                        .map(ms_u64),
                    observed_at: r.try_get("observed_at").map_err(&err)?,
                })
            })
            .collect()
    }
}
