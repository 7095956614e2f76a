//! Rate budget snapshots on SQLite (see [`crate::AccountBudget`]); times as RFC 3339 text,
//! as in every other table of this store.

use bc_core::Result;
use sqlx::Row;

use super::SqliteStateStore;
use crate::budget::{count_u32, ms_i64, ms_u64, AccountBudget};
use crate::codec::{db, parse_ts, ts};

fn opt_ts(s: Option<String>) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    s.as_deref().map(parse_ts).transpose()
}

impl SqliteStateStore {
    /// Records snapshots of this handle's connection's account budgets (one row per account,
    /// replaced), in one transaction.
    pub async fn record_budgets(&self, budgets: &[AccountBudget]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db("record budgets"))?;
        for b in budgets {
            sqlx::query(
                "INSERT INTO rate_budgets (connection, account, worker, window_limit, window_ms,
                     requests_left, resets_at, paused_until, last_429_at, last_429_wait_ms,
                     observed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (connection, account) DO UPDATE SET
                     worker = excluded.worker, window_limit = excluded.window_limit,
                     window_ms = excluded.window_ms, requests_left = excluded.requests_left,
                     resets_at = excluded.resets_at, paused_until = excluded.paused_until,
                     last_429_at = excluded.last_429_at,
                     last_429_wait_ms = excluded.last_429_wait_ms,
                     observed_at = excluded.observed_at",
            )
            .bind(&*self.connection)
            .bind(&b.account)
            .bind(&b.worker)
            .bind(b.window_limit.map(i64::from))
            .bind(ms_i64(b.window_ms))
            .bind(b.requests_left.map(i64::from))
            .bind(b.resets_at.map(ts))
            .bind(b.paused_until.map(ts))
            .bind(b.last_429_at.map(ts))
            .bind(b.last_429_wait_ms.map(ms_i64))
            .bind(ts(b.observed_at))
            .execute(&mut *tx)
            .await
            .map_err(db("record budgets"))?;
        }
        tx.commit().await.map_err(db("record budgets"))
    }

    /// The budget snapshots recorded for this handle's connection, by account.
    pub async fn budgets(&self) -> Result<Vec<AccountBudget>> {
        let rows = sqlx::query(
            "SELECT account, worker, window_limit, window_ms, requests_left, resets_at,
                    paused_until, last_429_at, last_429_wait_ms, observed_at
             FROM rate_budgets WHERE connection = ?1 ORDER BY account",
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
                    resets_at: opt_ts(r.try_get("resets_at").map_err(&err)?)?,
                    paused_until: opt_ts(r.try_get("paused_until").map_err(&err)?)?,
                    last_429_at: opt_ts(r.try_get("last_429_at").map_err(&err)?)?,
                    last_429_wait_ms: r
                        .try_get::<Option<i64>, _>("last_429_wait_ms")
                        .map_err(&err)?
                        .map(ms_u64),
                    observed_at: parse_ts(&r.try_get::<String, _>("observed_at").map_err(&err)?)?,
                })
            })
            .collect()
    }
}
