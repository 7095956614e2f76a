//! [`Engine`]: the jobs over one storefront, one ledger and one state store.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use bc_core::{
    ClientKey, ClientRef, Error, ErrorKind, ItemKey, ItemRef, Ledger, Order, Result, SalesDocument,
    Settings, Storefront,
};
use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::report::{Failure, Job, RunReport};
use crate::state::{Direction, EntityKind, ExceptionReason, LogEntry, Outcome, StateStore};

/// How the engine runs its jobs.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Units of work in flight at once (orders, or batches of orders when the ledger batches).
    /// Set it so that the connectors' in-flight caps, not the engine, are the limit.
    pub concurrency: usize,
    /// Attempts of one call that fails with a temporary error (rate limit, 5xx) before the
    /// entity goes to the exception queue to be retried on the next run.
    pub attempts: u32,
    /// First backoff between attempts (doubled each time; a platform's `Retry-After` wins).
    pub backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// Page size asked of the storefront.
    pub page_size: u32,
    /// Who this engine is in leases (several processes on one state store): default
    /// `$HOSTNAME:pid`.
    pub owner: String,
    /// How long a job's lease lasts without renewal; it is renewed every third of it while
    /// the job runs, and lapses this long after the worker dies.
    pub lease_ttl: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            concurrency: 8,
            attempts: 4,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            page_size: 250,
            owner: default_owner(),
            lease_ttl: Duration::from_secs(300),
        }
    }
}

fn default_owner() -> String {
    format!(
        "{}:{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into()),
        std::process::id()
    )
}

/// Aborts the lease renewal when the job ends or its future is dropped.
struct RenewGuard(tokio::task::JoinHandle<()>);

impl Drop for RenewGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A user-supplied mapping hook (O15): called on every planned sales document with the
/// storefront order it came from, before the document is hashed and posted — to carry extra
/// storefront fields ([`Order::custom`]) to the ledger ([`SalesDocument::custom`], memo,
/// class…). It must be deterministic: the same order must give the same document.
pub type MappingHook = Arc<dyn Fn(&Order, &mut SalesDocument) + Send + Sync>;

/// The sync engine: generic over any [`Storefront`], [`Ledger`] and [`StateStore`].
///
/// Every job is a method returning a [`RunReport`]; [`Engine::run`] runs one by [`Job`].
/// Share an engine with `Arc`; jobs may run concurrently, but one job should not run twice at
/// once (the [`crate::Scheduler`] guarantees it, and leases do across processes).
pub struct Engine {
    pub(crate) storefront: Arc<dyn Storefront>,
    pub(crate) ledger: Arc<dyn Ledger>,
    pub(crate) state: Arc<dyn StateStore>,
    settings: RwLock<Arc<Settings>>,
    pub(crate) options: EngineOptions,
    pub(crate) clients: Mutex<HashMap<ClientKey, ClientRef>>,
    pub(crate) items: Mutex<BTreeMap<ItemKey, ItemRef>>,
    pub(crate) locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    pub(crate) hook: RwLock<Option<MappingHook>>,
}

impl Engine {
    /// An engine with default options.
    pub fn new(
        storefront: Arc<dyn Storefront>,
        ledger: Arc<dyn Ledger>,
        state: Arc<dyn StateStore>,
        settings: Settings,
    ) -> Self {
        Self::with_options(
            storefront,
            ledger,
            state,
            settings,
            EngineOptions::default(),
        )
    }

    /// An engine with `options`.
    pub fn with_options(
        storefront: Arc<dyn Storefront>,
        ledger: Arc<dyn Ledger>,
        state: Arc<dyn StateStore>,
        settings: Settings,
        options: EngineOptions,
    ) -> Self {
        Engine {
            storefront,
            ledger,
            state,
            settings: RwLock::new(Arc::new(settings)),
            options,
            clients: Mutex::new(HashMap::new()),
            items: Mutex::new(BTreeMap::new()),
            locks: Mutex::new(HashMap::new()),
            hook: RwLock::new(None),
        }
    }

    /// Sets the mapping hook (O15) applied to every planned sales document.
    pub fn set_mapping_hook(&self, hook: Option<MappingHook>) {
        match self.hook.write() {
            Ok(mut h) => *h = hook,
            Err(p) => *p.into_inner() = hook,
        }
    }

    pub(crate) fn apply_hook(&self, order: &Order, doc: &mut SalesDocument) {
        let hook = match self.hook.read() {
            Ok(h) => h.clone(),
            Err(p) => p.into_inner().clone(),
        };
        if let Some(h) = hook {
            h(order, doc);
        }
    }

    /// The current settings.
    pub fn settings(&self) -> Arc<Settings> {
        match self.settings.read() {
            Ok(s) => Arc::clone(&s),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the settings; the next run of each job uses them (a fixed `tax_map`, a new
    /// interval). Cached client and item look-ups are kept.
    pub fn set_settings(&self, settings: Settings) {
        match self.settings.write() {
            Ok(mut s) => *s = Arc::new(settings),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(settings),
        }
    }

    /// The state store.
    pub fn state(&self) -> &Arc<dyn StateStore> {
        &self.state
    }

    /// The storefront.
    pub fn storefront(&self) -> &Arc<dyn Storefront> {
        &self.storefront
    }

    /// The ledger.
    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.ledger
    }

    /// Runs one job once under its lease (`job:<name>` in the state store), so that several
    /// processes sharing a state store never run the same job at once. When another worker
    /// holds the lease, the report says so and nothing is done.
    pub async fn run(&self, job: Job) -> Result<RunReport> {
        let name = format!("job:{job}");
        let owner = self.options.owner.clone();
        let ttl = self.options.lease_ttl;
        if !self
            .state
            .acquire_lease(&name, &owner, Utc::now(), ttl)
            .await?
        {
            let run = Run::new(job);
            let holder = self.state.lease(&name).await?;
            run.note(format!(
                "skipped: another worker ({}) holds the lease of this job",
                holder.map(|l| l.owner).unwrap_or_default()
            ));
            return Ok(run.finish());
        }
        let state = Arc::clone(&self.state);
        let (rname, rowner) = (name.clone(), owner.clone());
        let _guard = RenewGuard(tokio::spawn(async move {
            let every = (ttl / 3).max(Duration::from_millis(10));
            loop {
                tokio::time::sleep(every).await;
                match state.acquire_lease(&rname, &rowner, Utc::now(), ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::error!(lease = %rname, "lease lost to another worker");
                        return;
                    }
                    Err(e) => tracing::warn!(lease = %rname, error = %e, "cannot renew the lease"),
                }
            }
        }));
        let result = self.run_unleased(job).await;
        if let Err(e) = self.state.release_lease(&name, &owner).await {
            tracing::warn!(lease = %name, error = %e, "cannot release the lease");
        }
        result
    }

    /// Runs one job once without taking its lease (one process, or the caller holds it).
    pub async fn run_unleased(&self, job: Job) -> Result<RunReport> {
        match job {
            Job::Orders => self.sync_orders().await,
            Job::Statuses => self.sync_statuses().await,
            Job::Shipments => self.sync_shipments().await,
            Job::Inventory => self.sync_inventory().await,
            Job::Refunds => self.sync_refunds().await,
            Job::Payouts => self.sync_payouts().await,
            Job::ErpOrders => self.sync_erp_orders().await,
            Job::Audit => self.audit().await.map(|a| a.run),
        }
    }

    /// An async mutex per `name` (one client or item created at a time).
    pub(crate) fn lock_for(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = match self.locks.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        Arc::clone(map.entry(name.to_string()).or_default())
    }

    pub(crate) async fn backoff(&self, attempt: u32, err: &Error) {
        let exp = self
            .options
            .backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.options.max_backoff);
        let wait = err
            .retry_after()
            .map_or(exp, |r| r.min(self.options.max_backoff));
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Calls `f` again while it fails with a temporary error that is safe to repeat (a read,
    /// or an idempotent write such as setting a status). An unknown outcome is retried too:
    /// callers only use this for calls that are safe to repeat.
    pub(crate) async fn retry<T, F, Fut>(&self, run: &Run, side: Side, mut f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 0;
        loop {
            run.count(side);
            // A rate limit is the platform pacing us, not failing: wait it out longer.
            let limit = |e: &Error| {
                let n = self.options.attempts.max(1);
                if e.kind() == ErrorKind::RateLimited {
                    n.saturating_mul(4)
                } else {
                    n
                }
            };
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_temporary() && attempt + 1 < limit(&e) => {
                    self.backoff(attempt, &e).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) async fn log(
        &self,
        job: Job,
        entity: EntityKind,
        key: &str,
        direction: Direction,
        outcome: Outcome,
        message: impl Into<String>,
    ) {
        let entry = LogEntry {
            at: Utc::now(),
            job: job.as_str().to_string(),
            entity,
            key: key.to_string(),
            direction,
            outcome,
            message: message.into(),
        };
        if let Err(e) = self.state.log(&entry).await {
            tracing::warn!(error = %e, "cannot write the connector log");
        }
    }

    /// Records a failure: exception queue, connector log and the run's report.
    pub(crate) async fn fail(
        &self,
        run: &Run,
        entity: EntityKind,
        key: &str,
        direction: Direction,
        reasons: Vec<ExceptionReason>,
    ) {
        let temporary = !reasons.is_empty() && reasons.iter().all(ExceptionReason::is_temporary);
        let text: Vec<String> = reasons.iter().map(ToString::to_string).collect();
        if let Err(e) = self
            .state
            .record_exception(entity, key, &reasons, Utc::now())
            .await
        {
            tracing::error!(error = %e, %entity, key, "cannot record an exception");
        }
        self.log(
            run.job,
            entity,
            key,
            direction,
            Outcome::Failed,
            text.join("; "),
        )
        .await;
        run.failed(Failure {
            entity,
            key: key.to_string(),
            reasons: text,
            temporary,
        });
    }

    /// Marks an exception resolved after a success.
    pub(crate) async fn resolved(&self, entity: EntityKind, key: &str) {
        if let Err(e) = self.state.resolve_exception(entity, key).await {
            tracing::warn!(error = %e, %entity, key, "cannot resolve an exception");
        }
    }
}

/// Which connector a call goes to (for counting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Storefront,
    Ledger,
}

/// The running state of one job run, shared by its concurrent tasks.
pub(crate) struct Run {
    pub(crate) job: Job,
    report: Mutex<RunReport>,
    storefront_calls: AtomicU64,
    ledger_calls: AtomicU64,
}

impl Run {
    pub(crate) fn new(job: Job) -> Self {
        Run {
            job,
            report: Mutex::new(RunReport::new(job)),
            storefront_calls: AtomicU64::new(0),
            ledger_calls: AtomicU64::new(0),
        }
    }

    pub(crate) fn count(&self, side: Side) {
        match side {
            Side::Storefront => self.storefront_calls.fetch_add(1, Ordering::Relaxed),
            Side::Ledger => self.ledger_calls.fetch_add(1, Ordering::Relaxed),
        };
    }

    fn edit(&self, f: impl FnOnce(&mut RunReport)) {
        match self.report.lock() {
            Ok(mut r) => f(&mut r),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    pub(crate) fn seen(&self, n: usize) {
        self.edit(|r| r.seen += n);
    }
    pub(crate) fn done(&self) {
        self.edit(|r| r.done += 1);
    }
    pub(crate) fn skipped(&self) {
        self.edit(|r| r.skipped += 1);
    }
    pub(crate) fn adopted(&self) {
        self.edit(|r| r.adopted += 1);
    }
    pub(crate) fn note(&self, note: impl Into<String>) {
        let n = note.into();
        self.edit(|r| r.notes.push(n));
    }
    pub(crate) fn failed(&self, f: Failure) {
        self.edit(|r| r.failed.push(f));
    }

    pub(crate) fn finish(self) -> RunReport {
        let mut r = match self.report.into_inner() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        r.finished_at = Utc::now();
        r.requests.storefront = self.storefront_calls.load(Ordering::Relaxed);
        r.requests.ledger = self.ledger_calls.load(Ordering::Relaxed);
        r
    }
}

/// The hash of a payload (SHA-256 of its JSON), to tell whether it changed.
pub fn payload_hash<T: Serialize>(payload: &T) -> String {
    match serde_json::to_vec(payload) {
        Ok(bytes) => hex::encode(Sha256::digest(&bytes)),
        Err(_) => String::new(),
    }
}

/// An error for a cross-reference the engine expected.
pub(crate) fn internal(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Internal, message)
}
