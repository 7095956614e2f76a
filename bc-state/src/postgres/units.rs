//! Work distribution: (connection, job) units shared by any number of workers, with the
//! database as the only coordinator.
//!
//! A unit is claimed by taking the lease `job:<job>` of its connection, the same lease
//! `bc_engine::Engine::run` takes, so a worker that claims with its engine's
//! `lease_owner()` then runs the job under the claimed fence (the engine renews it, being its
//! owner). Claims pick due units with `FOR UPDATE SKIP LOCKED`, so concurrent claimers never
//! wait for each other nor pick the same unit; a dead worker's unit comes back when its lease
//! expires by the database's clock.

use std::time::Duration;

use bc_core::Result;
use bc_engine::state::Fence;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::rows::{lock_lease, take_lease, ttl_interval};
use super::PostgresStateStore;
use crate::codec::db;

/// A (connection, job) unit a worker holds: the lease `job:<job>` of `connection`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimedUnit {
    /// The connection (open a handle with [`PostgresStateStore::for_connection`]).
    pub connection: String,
    /// The job (`"orders"`).
    pub job: String,
    /// The fence every state write of the run carries.
    pub fence: Fence,
}

/// How a unit's run ended, recorded by [`PostgresStateStore::finish_unit`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitOutcome {
    /// Whether the run ended without an error and without failed items.
    pub ok: bool,
    /// One line for people (`"done 120, skipped 3, failed 0"`, or the error).
    pub summary: String,
}

/// How many times a claim looks again when the unit it picked turned out to be taken
/// meanwhile.
const CLAIM_ATTEMPTS: usize = 8;

impl PostgresStateStore {
    /// Registers this connection's `jobs` as units, due now (units that exist are left as
    /// they are).
    pub async fn register_units(&self, jobs: &[&str]) -> Result<()> {
        let jobs: Vec<&str> = jobs.to_vec();
        sqlx::query(
            "INSERT INTO units (connection, job, due_at)
             SELECT $1, j, now() FROM UNNEST($2::text[]) AS t(j)
             ON CONFLICT DO NOTHING",
        )
        .bind(&*self.connection)
        .bind(jobs)
        .execute(&self.pool)
        .await
        .map_err(db("register units"))?;
        Ok(())
    }

    /// Claims one due unit of any connection whose lease is free or expired (by the
    /// database's clock) for `worker`, until `now() + ttl`: its lease token is bumped, so the
    /// previous holder (dead or paused) can write nothing more. `None` when no unit is
    /// claimable now.
    ///
    /// This crosses connections on purpose (it hands out work); the run itself goes through
    /// a handle bound to the claimed connection.
    pub async fn claim_unit(&self, worker: &str, ttl: Duration) -> Result<Option<ClaimedUnit>> {
        self.claim_unit_among(worker, ttl, None).await
    }

    /// [`PostgresStateStore::claim_unit`] among the units of `connections` only (`None`: of
    /// every connection): a worker that can serve only some connections (it has their
    /// settings) never claims another's units, which other workers serve.
    pub async fn claim_unit_among(
        &self,
        worker: &str,
        ttl: Duration,
        connections: Option<&[String]>,
    ) -> Result<Option<ClaimedUnit>> {
        let among: Option<Vec<String>> = connections.map(<[String]>::to_vec);
        for _ in 0..CLAIM_ATTEMPTS {
            let mut tx = self.pool.begin().await.map_err(db("claim unit"))?;
            let picked = sqlx::query(
                "SELECT u.connection, u.job FROM units u
                 LEFT JOIN leases l ON l.connection = u.connection AND l.name = 'job:' || u.job
                 WHERE u.due_at <= now()
                   AND (l.connection IS NULL OR l.owner = '' OR l.expires_at <= now())
                   AND ($1::text[] IS NULL OR u.connection = ANY($1::text[]))
                 ORDER BY u.due_at, u.connection, u.job
                 LIMIT 1
                 FOR UPDATE OF u SKIP LOCKED",
            )
            .bind(among.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("claim unit"))?;
            let Some(row) = picked else {
                tx.rollback().await.map_err(db("claim unit"))?;
                return Ok(None);
            };
            let connection: String = row.try_get("connection").map_err(db("claim unit"))?;
            let job: String = row.try_get("job").map_err(db("claim unit"))?;
            let name = format!("job:{job}");
            // The join read a snapshot: the lease may have been taken since. Decide on the
            // locked row.
            let locked = lock_lease(&mut tx, &connection, &name, None).await?;
            if locked.live && !locked.lease.owner.is_empty() {
                tx.rollback().await.map_err(db("claim unit"))?;
                continue;
            }
            let fence = take_lease(&mut tx, &connection, &name, worker, None, ttl).await?;
            // Not due again before the claim's lease would lapse: the engine releases the
            // lease at the end of its run, before the worker completes the unit, and the unit
            // must not be claimed again in between. A dead worker's unit comes back at the
            // later of this time and its (renewed) lease's expiry.
            sqlx::query(
                "UPDATE units SET last_worker = $3, last_token = $4, due_at = now() + $5
                 WHERE connection = $1 AND job = $2",
            )
            .bind(&connection)
            .bind(&job)
            .bind(worker)
            .bind(fence.token)
            .bind(ttl_interval(ttl))
            .execute(&mut *tx)
            .await
            .map_err(db("claim unit"))?;
            tx.commit().await.map_err(db("claim unit"))?;
            return Ok(Some(ClaimedUnit {
                connection,
                job,
                fence,
            }));
        }
        Ok(None)
    }

    /// Ends a claimed run: records its end as the unit's last run, makes it due again in
    /// `next_in`, and releases its lease. `false` (and nothing changed) when the lease has
    /// changed hands since the claim (the engine releasing it at the end of its run keeps
    /// the token, and is accepted). Same as [`PostgresStateStore::finish_unit`] without an
    /// outcome.
    pub async fn complete_unit(&self, unit: &ClaimedUnit, next_in: Duration) -> Result<bool> {
        self.end_unit(unit, next_in, None).await
    }

    /// [`PostgresStateStore::complete_unit`] that also records how the run ended, for
    /// `bcsync status` ([`crate::JobStatus::last_ok`], [`crate::JobStatus::last_result`]).
    pub async fn finish_unit(
        &self,
        unit: &ClaimedUnit,
        next_in: Duration,
        outcome: &UnitOutcome,
    ) -> Result<bool> {
        self.end_unit(unit, next_in, Some(outcome)).await
    }

    async fn end_unit(
        &self,
        unit: &ClaimedUnit,
        next_in: Duration,
        outcome: Option<&UnitOutcome>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db("complete unit"))?;
        // Lock order: the unit row, then its lease, as `claim_unit` does (the reverse order
        // deadlocks against a claim picking the unit the engine just released).
        sqlx::query("SELECT 1 FROM units WHERE connection = $1 AND job = $2 FOR UPDATE")
            .bind(&unit.connection)
            .bind(&unit.job)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("complete unit"))?;
        let locked = lock_lease(&mut tx, &unit.connection, &unit.fence.lease, None).await?;
        let ours = locked.lease.token == unit.fence.token
            && (locked.lease.owner == unit.fence.owner || locked.lease.owner.is_empty());
        if !ours {
            tx.rollback().await.map_err(db("complete unit"))?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE units SET last_run_at = now(), due_at = now() + $3,
               last_ok = $4, last_result = $5
             WHERE connection = $1 AND job = $2",
        )
        .bind(&unit.connection)
        .bind(&unit.job)
        .bind(ttl_interval(next_in))
        .bind(outcome.map(|o| o.ok))
        .bind(outcome.map(|o| o.summary.as_str()))
        .execute(&mut *tx)
        .await
        .map_err(db("complete unit"))?;
        sqlx::query(
            "UPDATE leases SET owner = '', expires_at = 'epoch'
             WHERE connection = $1 AND name = $2",
        )
        .bind(&unit.connection)
        .bind(&unit.fence.lease)
        .execute(&mut *tx)
        .await
        .map_err(db("complete unit"))?;
        tx.commit().await.map_err(db("complete unit"))?;
        Ok(true)
    }
}
