//! The worker loop of `bcsync run --workers N` (and of N `bcsync run` processes): claim due
//! (connection, job) units from a PostgreSQL state database, run each unit's job on that
//! connection's engine under the claimed fence, record how it ended, and stop on request.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # async fn demo(make_engine: fn(bc_state::PostgresStateStore) -> bc_engine::Engine) -> bc_core::Result<()> {
//! use bc_state::worker::{run_worker, WorkerOptions};
//!
//! let db = bc_state::PostgresStateStore::connect("postgres://bcsync@db/bcsync").await?;
//! let options = WorkerOptions::new("host-a"); // the engines' `EngineOptions::owner`
//! let summary = run_worker(
//!     db,
//!     options,
//!     // Called once per connection this worker gets a unit of, with a handle bound to that
//!     // connection: build its engine (storefront, ledger, settings) on it.
//!     move |tenant| async move { Ok(Arc::new(make_engine(tenant))) },
//!     async { let _ = tokio::signal::ctrl_c().await; },
//! )
//! .await?;
//! println!("{summary:?}");
//! # Ok(()) }
//! ```
//!
//! How it stays correct with any number of workers, alive or dead:
//! - A unit is claimed with `FOR UPDATE SKIP LOCKED` ([`PostgresStateStore::claim_unit`]) as
//!   the lease `job:<job>` of its connection, owned by `identity#pid`, which is the engine's
//!   [`bc_engine::Engine::lease_owner`] when its `EngineOptions::owner` is the worker's
//!   `identity` (checked: a mismatch is a failed run, nothing written). The engine's
//!   [`bc_engine::Engine::run`] then finds the lease its own, keeps the claimed token, renews
//!   it every third of its TTL while it runs, and fences every state write with it.
//! - A worker that dies (killed, its machine gone) stops renewing: its units come back to
//!   the other workers when the lease lapses by the database's clock, with a larger token,
//!   so anything the dead worker's in-flight transactions try afterwards is refused.
//! - A worker paused past its lease (a stopped VM) finds its writes refused when it wakes:
//!   its run stops with a lost lease, and [`PostgresStateStore::finish_unit`] records
//!   nothing for it (the unit is the new holder's).
//! - The end of each run is recorded on its unit ([`crate::JobStatus::last_ok`],
//!   [`crate::JobStatus::last_result`]): due again after [`WorkerOptions::interval`], or
//!   after [`WorkerOptions::retry_in`] when the run failed.
//!
//! Stopping: when `stop` completes, the worker claims nothing more, lets the runs in
//! progress end and records them, and returns. Dropping the future instead aborts the runs
//! (their leases lapse after their TTL, as a killed worker's do).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bc_core::{Error, Result};
use bc_engine::{Engine, Job, RunReport};
use tokio::task::JoinSet;

use crate::postgres::{ClaimedUnit, PostgresStateStore, UnitOutcome};

/// How a worker claims and runs units.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WorkerOptions {
    /// The worker's identity: the engines' `EngineOptions::owner`. Units are claimed as
    /// `identity#pid`, the engines' lease owner.
    pub identity: String,
    /// The TTL of a claim: the engines' `EngineOptions::lease_ttl` (they renew it while they
    /// run). A dead worker's units come back this long after it died.
    pub lease_ttl: Duration,
    /// Units run at once by this worker (each on its own connection's engine, or another
    /// job of the same connection).
    pub max_units: usize,
    /// A unit is due again this long after a run that ended well.
    pub interval: Duration,
    /// A unit is due again this long after a run that failed or had failed items.
    pub retry_in: Duration,
    /// How often an idle worker looks for due units.
    pub poll: Duration,
    /// The connections whose units this worker claims (`None`: every connection in the
    /// database). A program that has the settings of some connections only names them here.
    pub connections: Option<Vec<String>>,
    /// Per (connection, job): how long after a run that ended well it is due again (the
    /// connection's settings' intervals); units not named use [`WorkerOptions::interval`].
    pub intervals: BTreeMap<(String, String), Duration>,
}

impl WorkerOptions {
    /// Options for the worker `identity`: TTL 300 s (the engine's default), 16 units at
    /// once, every unit again 60 s after a good run and 30 s after a failed one, polling
    /// every second.
    pub fn new(identity: impl Into<String>) -> Self {
        WorkerOptions {
            identity: identity.into(),
            lease_ttl: Duration::from_secs(300),
            max_units: 16,
            interval: Duration::from_secs(60),
            retry_in: Duration::from_secs(30),
            poll: Duration::from_secs(1),
            connections: None,
            intervals: BTreeMap::new(),
        }
    }

    /// The lease owner units are claimed as: `identity#pid`.
    pub fn lease_owner(&self) -> String {
        format!("{}#{}", self.identity, std::process::id())
    }
}

/// What a worker did until it stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkerSummary {
    /// Units claimed.
    pub claimed: u64,
    /// Runs recorded as ok.
    pub ok: u64,
    /// Runs recorded as failed (an error, failed items, an engine that could not be made).
    pub failed: u64,
    /// Runs whose unit had changed hands by the time they ended (the lease was lost: paused
    /// past it, or it lapsed while the engine was being made): nothing recorded.
    pub lost: u64,
    /// Engines made (`connect` calls that succeeded: connections this worker served).
    pub connected: u64,
    /// Claims or records that failed on the database (retried at the next poll).
    pub database_errors: u64,
}

/// How one unit's task ended.
struct TaskEnd {
    /// Whether the task made its connection's engine.
    connected: bool,
    how: Ended,
}

enum Ended {
    Recorded { ok: bool },
    Lost,
    DatabaseError,
}

/// The engines made, one per connection; a connection's cell is filled once even when
/// several of its units start at once (the first makes it, the others wait for it).
type Engines = Arc<Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Arc<Engine>>>>>>;

/// Runs the worker loop until `stop` completes (see the module documentation).
///
/// `store` is any handle on the state database (its connection does not matter: units of
/// every connection are claimed). `connect` is called with a handle bound to a connection
/// the first time this worker gets one of its units, and returns that connection's engine
/// (its state store must be that handle, its `EngineOptions::owner` the worker's identity and
/// its `lease_ttl` the worker's); engines are kept for the worker's life.
///
/// Errors only when the options are unusable; a database that cannot be reached is retried
/// every [`WorkerOptions::poll`].
pub async fn run_worker<C, F, S>(
    store: PostgresStateStore,
    options: WorkerOptions,
    connect: C,
    stop: S,
) -> Result<WorkerSummary>
where
    C: Fn(PostgresStateStore) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Arc<Engine>>> + Send + 'static,
    S: Future<Output = ()>,
{
    if options.identity.is_empty() || options.identity.contains('#') {
        return Err(Error::config(
            "worker.identity",
            "must be a non-empty name without `#` (the lease owner is `identity#pid`)",
        ));
    }
    if options.max_units == 0 || options.lease_ttl.is_zero() {
        return Err(Error::config(
            "worker",
            "max_units and lease_ttl must be greater than zero",
        ));
    }
    let owner = options.lease_owner();
    let connect = Arc::new(connect);
    let engines: Engines = Arc::default();
    let mut summary = WorkerSummary::default();
    let mut tasks: JoinSet<TaskEnd> = JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    let mut stopping = false;
    loop {
        while !stopping && tasks.len() < options.max_units {
            match store
                .claim_unit_among(&owner, options.lease_ttl, options.connections.as_deref())
                .await
            {
                Ok(Some(unit)) => {
                    summary.claimed += 1;
                    let tenant = match store.for_connection(&unit.connection) {
                        Ok(t) => t,
                        Err(e) => {
                            // A unit row with a name no handle accepts: record why, move on.
                            let outcome = failure(format!("connection name: {e}"));
                            let _ = store.finish_unit(&unit, options.retry_in, &outcome).await;
                            summary.failed += 1;
                            continue;
                        }
                    };
                    tasks.spawn(run_unit(
                        store.clone(),
                        tenant,
                        unit,
                        options.clone(),
                        owner.clone(),
                        Arc::clone(&connect),
                        Arc::clone(&engines),
                    ));
                }
                Ok(None) => break,
                Err(e) => {
                    summary.database_errors += 1;
                    tracing::warn!(error = %e, "cannot claim a unit; trying again");
                    break;
                }
            }
        }
        if stopping && tasks.is_empty() {
            break;
        }
        tokio::select! {
            () = &mut stop, if !stopping => stopping = true,
            Some(end) = tasks.join_next(), if !tasks.is_empty() => match end {
                Ok(end) => {
                    summary.connected += u64::from(end.connected);
                    match end.how {
                        Ended::Recorded { ok: true } => summary.ok += 1,
                        Ended::Recorded { ok: false } => summary.failed += 1,
                        Ended::Lost => summary.lost += 1,
                        Ended::DatabaseError => summary.database_errors += 1,
                    }
                }
                Err(e) => {
                    // A run that panicked: its lease lapses and another worker takes over.
                    tracing::error!(error = %e, "a unit's run ended abnormally");
                    summary.failed += 1;
                }
            },
            () = tokio::time::sleep(options.poll), if !stopping => {}
        }
    }
    Ok(summary)
}

/// Runs one claimed unit on its connection's engine and records how it ended.
async fn run_unit<C, F>(
    store: PostgresStateStore,
    tenant: PostgresStateStore,
    unit: ClaimedUnit,
    options: WorkerOptions,
    owner: String,
    connect: Arc<C>,
    engines: Engines,
) -> TaskEnd
where
    C: Fn(PostgresStateStore) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Arc<Engine>>> + Send + 'static,
{
    let mut connected = false;
    let made = engine_for(&unit, tenant, &connect, &engines)
        .await
        .map(|(e, made)| {
            connected = made;
            e
        });
    let outcome = match made {
        Ok(engine) if engine.lease_owner() != owner => failure(format!(
            "the engine's lease owner is `{}`, the worker claims as `{owner}`: \
             build engines with `EngineOptions::owner` = the worker's identity",
            engine.lease_owner()
        )),
        Ok(engine) => match unit.job.parse::<Job>() {
            Ok(job) => outcome_of(engine.run(job).await),
            Err(e) => failure(format!("unknown job `{}`: {e}", unit.job)),
        },
        Err(e) => failure(format!("cannot make the engine: {e}")),
    };
    let next = if outcome.ok {
        options
            .intervals
            .get(&(unit.connection.clone(), unit.job.clone()))
            .copied()
            .unwrap_or(options.interval)
    } else {
        options.retry_in
    };
    let how = match store.finish_unit(&unit, next, &outcome).await {
        Ok(true) => Ended::Recorded { ok: outcome.ok },
        Ok(false) => {
            tracing::warn!(connection = %unit.connection, job = %unit.job, token = unit.fence.token,
                "the unit changed hands before its run ended; nothing recorded");
            Ended::Lost
        }
        Err(e) => {
            tracing::warn!(connection = %unit.connection, job = %unit.job, error = %e,
                "cannot record the end of a run (its lease lapses)");
            Ended::DatabaseError
        }
    };
    TaskEnd { connected, how }
}

async fn engine_for<C, F>(
    unit: &ClaimedUnit,
    tenant: PostgresStateStore,
    connect: &Arc<C>,
    engines: &Engines,
) -> Result<(Arc<Engine>, bool)>
where
    C: Fn(PostgresStateStore) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Arc<Engine>>> + Send + 'static,
{
    let cell = Arc::clone(lock(engines).entry(unit.connection.clone()).or_default());
    let mut made = false;
    let engine = cell
        .get_or_try_init(|| {
            made = true;
            connect(tenant)
        })
        .await?;
    Ok((Arc::clone(engine), made))
}

/// The outcome of an engine run: ok when it ended without an error, a failed item, an
/// item deferred or an early stop.
pub fn outcome_of(result: Result<RunReport>) -> UnitOutcome {
    match result {
        Ok(r) => {
            let mut summary = format!(
                "seen {}, done {}, skipped {}, adopted {}, failed {}, deferred {}",
                r.seen,
                r.done,
                r.skipped,
                r.adopted,
                r.failed.len(),
                r.deferred
            );
            if let Some(why) = &r.stopped {
                summary.push_str(&format!("; stopped: {why}"));
            }
            for n in &r.notes {
                summary.push_str(&format!("; {n}"));
            }
            UnitOutcome {
                ok: r.is_clean(),
                summary,
            }
        }
        Err(e) => failure(format!("error: {e}")),
    }
}

fn failure(summary: String) -> UnitOutcome {
    UnitOutcome { ok: false, summary }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
