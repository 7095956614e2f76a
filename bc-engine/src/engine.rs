//! [`Engine`]: the jobs over one storefront, one ledger and one state store.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use bc_core::{
    ClientKey, ClientRef, Error, ErrorKind, ItemFailure, ItemKey, ItemRef, Ledger, Order, Result,
    SalesDocument, Settings, Storefront,
};
use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::breaker::{is_account_level, Breaker};
use crate::report::{Failure, Job, ProblemGroup, Progress, RunReport};
use crate::state::{
    is_lease_lost, Direction, EntityKind, ExceptionReason, Fence, LogEntry, Outcome, StateStore,
};

/// The size from which [`Engine::lock_for`] drops the mutexes nobody uses.
pub(crate) const LOCKS_PRUNE_AT: usize = 1024;

/// Most keys each look-up cache (clients, items) keeps: beyond, the cache is emptied and
/// refills from the ledger's searches (a miss costs one search, never a second write: the
/// journal adopts an earlier creation). Clients and items of a long backlog are mostly
/// seen once, so a cache that grows with them only grows a worker.
pub(crate) const LOOKUP_CACHE_CAP: usize = 8192;

/// How the engine runs its jobs.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Units of work in flight at once (orders, or batches of orders when the ledger batches).
    /// Set it so that the connectors' in-flight caps, not the engine, are the limit.
    pub concurrency: usize,
    /// Consecutive failed calls to one platform (each already retried by bc-http, which owns
    /// retries) after which a job stops its run with one clear error; an authentication
    /// failure stops it at once. Items not tried are left as they are.
    pub breaker_threshold: u32,
    /// Page size asked of the storefront.
    pub page_size: u32,
    /// This worker's stable identity in leases (several processes on one state store):
    /// default the host name. A process holds leases as `identity#pid`; a restarted worker of
    /// the same identity on the same host takes its dead predecessor's leases at once instead
    /// of waiting for them to lapse.
    pub owner: String,
    /// How long a job's lease lasts without renewal; it is renewed every third of it while
    /// the job runs, and lapses this long after the worker dies.
    pub lease_ttl: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            concurrency: 8,
            breaker_threshold: 2,
            page_size: 250,
            owner: default_owner(),
            lease_ttl: Duration::from_secs(300),
        }
    }
}

/// The host name (from the environment or `/etc/hostname`), or `"local"`.
fn default_owner() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".into())
}

/// Whether process `pid` of this host is alive; `true` when that cannot be told (then a
/// dead predecessor's lease is only taken once it lapses).
fn process_alive(pid: u32) -> bool {
    let proc_dir = std::path::Path::new("/proc");
    if !proc_dir.join("self").exists() {
        return true;
    }
    proc_dir.join(pid.to_string()).exists()
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

/// A progress hook: called each time a job run (or a preflight) finishes an item, with the
/// count so far, so that a program can draw a progress bar. Called from the engine's tasks:
/// it must be quick and must not block.
pub type ProgressHook = Arc<dyn Fn(Progress) + Send + Sync>;

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
    progress: RwLock<Option<ProgressHook>>,
    /// The fence of each job this engine runs under a lease right now.
    fences: Mutex<HashMap<Job, Fence>>,
    /// Set by [`Engine::stop`]: runs take no new item (a clean shutdown).
    shutdown: Arc<std::sync::atomic::AtomicBool>,
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
            progress: RwLock::new(None),
            fences: Mutex::new(HashMap::new()),
            shutdown: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    /// Sets the mapping hook (O15) applied to every planned sales document.
    pub fn set_mapping_hook(&self, hook: Option<MappingHook>) {
        match self.hook.write() {
            Ok(mut h) => *h = hook,
            Err(p) => *p.into_inner() = hook,
        }
    }

    /// Sets the progress hook, called as items finish in every job run and in
    /// [`Engine::preflight`] (`None` removes it).
    pub fn set_progress(&self, hook: Option<ProgressHook>) {
        match self.progress.write() {
            Ok(mut h) => *h = hook,
            Err(p) => *p.into_inner() = hook,
        }
    }

    pub(crate) fn progress_hook(&self) -> Option<ProgressHook> {
        match self.progress.read() {
            Ok(h) => h.clone(),
            Err(p) => p.into_inner().clone(),
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

    /// This process's name in leases: `identity#pid`.
    pub fn lease_owner(&self) -> String {
        format!("{}#{}", self.options.owner, std::process::id())
    }

    /// Takes the lease `name`: free, lapsed, ours, or held by a dead process of our own
    /// identity on this host (a restart after a crash takes over at once).
    async fn take_lease(&self, name: &str) -> Result<Option<Fence>> {
        let owner = self.lease_owner();
        let ttl = self.options.lease_ttl;
        if let Some(f) = self
            .state
            .acquire_lease(name, &owner, Utc::now(), ttl)
            .await?
        {
            return Ok(Some(f));
        }
        let Some(held) = self.state.lease(name).await? else {
            return Ok(None);
        };
        let prefix = format!("{}#", self.options.owner);
        let dead_predecessor = held
            .owner
            .strip_prefix(&prefix)
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(|pid| pid != std::process::id() && !process_alive(pid));
        if !dead_predecessor {
            return Ok(None);
        }
        tracing::info!(lease = name, previous = %held.owner, "taking over the lease of a dead process of this worker");
        self.state
            .take_over_lease(name, &held.owner, &owner, Utc::now(), ttl)
            .await
    }

    /// Runs one job once under its lease (`job:<name>` in the state store), so that several
    /// processes sharing a state store never run the same job at once. When another worker
    /// holds the lease, the report says so and nothing is done. Every state write of the run
    /// is fenced by the lease's token: once another worker has taken the lease (this one was
    /// paused past it), this run can write nothing more and stops.
    pub async fn run(&self, job: Job) -> Result<RunReport> {
        self.leased(job, || self.run_unleased(job)).await
    }

    /// Runs `work` under the lease of `job`, as [`Engine::run`] runs a job.
    pub(crate) async fn leased<F, Fut>(&self, job: Job, work: F) -> Result<RunReport>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<RunReport>>,
    {
        let name = format!("job:{job}");
        let Some(fence) = self.take_lease(&name).await? else {
            let run = Run::new(job, None);
            let holder = self.state.lease(&name).await?;
            run.note(format!(
                "skipped: another worker ({}) holds the lease of this job",
                holder.map(|l| l.owner).unwrap_or_default()
            ));
            return Ok(run.finish());
        };
        let state = Arc::clone(&self.state);
        let ttl = self.options.lease_ttl;
        let renew = fence.clone();
        let _guard = RenewGuard(tokio::spawn(async move {
            let every = (ttl / 3).max(Duration::from_millis(10));
            loop {
                tokio::time::sleep(every).await;
                match state.renew_lease(&renew, Utc::now(), ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::error!(lease = %renew.lease, "lease lost to another worker");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(lease = %renew.lease, error = %e, "cannot renew the lease")
                    }
                }
            }
        }));
        lock(&self.fences).insert(job, fence.clone());
        let result = work().await;
        lock(&self.fences).remove(&job);
        if let Err(e) = self.state.release_lease(&fence).await {
            tracing::warn!(lease = %name, error = %e, "cannot release the lease");
        }
        result
    }

    /// A new run of `job`, fenced by the lease [`Engine::run`] holds for it (none when the
    /// job runs unleased).
    pub(crate) fn start(&self, job: Job) -> Run {
        let fence = lock(&self.fences).get(&job).cloned();
        let mut run = Run::new(job, fence);
        run.progress = self.progress_hook();
        run.shutdown = Some(self.shutdown.clone());
        run
    }

    /// Asks every run of this engine to stop taking new items (SIGTERM, Ctrl-C): the write in
    /// flight finishes and is recorded in the journal, the items not tried are left for the
    /// next run (no exception, no status, the cursor does not pass them), and the run ends
    /// so that its lease is released. Runs started afterwards end at once.
    pub fn stop(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
    }

    /// Whether [`Engine::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
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
    ///
    /// The map does not keep a mutex nobody uses: each time it reaches a power of two of at
    /// least [`LOCKS_PRUNE_AT`] entries, the entries only the map holds (no task holds their
    /// guard or waits for it; a task gets a clone only here, under the map's lock) are
    /// dropped, and the name gets a fresh mutex when it is needed again. The map stays below
    /// twice the larger of that threshold and the names in use, however many clients and
    /// items a long-lived engine meets.
    pub(crate) fn lock_for(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = lock(&self.locks);
        let len = map.len();
        if len >= LOCKS_PRUNE_AT && len.is_power_of_two() && !map.contains_key(name) {
            map.retain(|_, l| Arc::strong_count(l) > 1);
        }
        Arc::clone(map.entry(name.to_string()).or_default())
    }

    /// The number of per-name mutexes kept (tests).
    #[cfg(test)]
    pub(crate) fn lock_count(&self) -> usize {
        lock(&self.locks).len()
    }

    /// Makes one call to a platform through the run's circuit breaker. Retrying is bc-http's
    /// job (it knows what may be repeated and honours the platform's waits); the engine never
    /// multiplies it. Before the first success on a side, calls to it go one at a time, so a
    /// platform that is down costs at most `breaker_threshold` calls per run; once the breaker
    /// is open every further call fails at once with the error that opened it.
    pub(crate) async fn call<T, F, Fut>(&self, run: &Run, side: Side, f: F) -> Result<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let breaker = run.breaker(side);
        let _probe = breaker.gate().await?;
        run.count(side);
        let result = f().await;
        breaker.record(&result, self.options.breaker_threshold, side);
        result
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
    ) -> bool {
        let temporary = !reasons.is_empty() && reasons.iter().all(ExceptionReason::is_temporary);
        let text: Vec<String> = reasons.iter().map(ToString::to_string).collect();
        if let Err(e) = self
            .state
            .record_exception(entity, key, &reasons, Utc::now())
            .await
        {
            // An item that is neither done nor in the queue would be lost once the job moves
            // on (its cursor, the storefront's error status): the run stops here, its cursor
            // stays, and the next run meets the item again.
            tracing::error!(error = %e, %entity, key, "cannot record an exception");
            run.halt(Error::new(
                e.kind(),
                format!("cannot record the exception of {entity} {key} (the run stops so that it is retried): {e}"),
            ));
            return false;
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
        true
    }

    /// An item that failed with `err`: deferred to the next run when the cause is the
    /// platform or the account (no exception), else filed in the exception queue.
    pub(crate) async fn item_failed(
        &self,
        run: &Run,
        entity: EntityKind,
        key: &str,
        direction: Direction,
        err: &Error,
    ) {
        if is_account_level(err) {
            run.defer(err);
            if is_lease_lost(err) {
                return;
            }
            self.log(
                run.job,
                entity,
                key,
                direction,
                Outcome::Skipped,
                format!("deferred to the next run: {err}"),
            )
            .await;
        } else {
            self.fail(
                run,
                entity,
                key,
                direction,
                ExceptionReason::from_error(err),
            )
            .await;
        }
    }

    /// An item of a listing that could not be read: an exception of that item alone, with
    /// its raw payload for `exceptions show`, or deferred when reading it failed temporarily.
    pub(crate) async fn unreadable(&self, run: &Run, entity: EntityKind, f: &ItemFailure) {
        if f.temporary {
            run.defer(&Error::new(ErrorKind::Unavailable, f.message.clone()));
            return;
        }
        let reason = ExceptionReason::Unreadable {
            message: f.message.clone(),
            raw: f.raw.clone(),
        };
        let direction = match entity {
            EntityKind::Shipment | EntityKind::ErpOrder | EntityKind::Inventory => {
                Direction::ToStorefront
            }
            _ => Direction::ToLedger,
        };
        self.fail(run, entity, &f.key, direction, vec![reason])
            .await;
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
    /// The lease this run writes under, if any: every fenced state write checks it.
    pub(crate) fence: Option<Fence>,
    report: Mutex<RunReport>,
    storefront_calls: AtomicU64,
    ledger_calls: AtomicU64,
    storefront_breaker: Breaker,
    ledger_breaker: Breaker,
    /// Set when the run must stop taking new items (breaker open, lease lost).
    stop: Mutex<Option<Error>>,
    /// Called as items finish.
    pub(crate) progress: Option<ProgressHook>,
    /// How many items there are, when known (for the progress hook).
    pub(crate) total: Option<u64>,
    /// The engine's shutdown flag ([`Engine::stop`]).
    pub(crate) shutdown: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl Run {
    pub(crate) fn new(job: Job, fence: Option<Fence>) -> Self {
        Run {
            job,
            fence,
            report: Mutex::new(RunReport::new(job)),
            storefront_calls: AtomicU64::new(0),
            ledger_calls: AtomicU64::new(0),
            storefront_breaker: Breaker::default(),
            ledger_breaker: Breaker::default(),
            stop: Mutex::new(None),
            progress: None,
            total: None,
            shutdown: None,
        }
    }

    pub(crate) fn breaker(&self, side: Side) -> &Breaker {
        match side {
            Side::Storefront => &self.storefront_breaker,
            Side::Ledger => &self.ledger_breaker,
        }
    }

    /// The fence as the state store takes it.
    pub(crate) fn fence(&self) -> Option<&Fence> {
        self.fence.as_ref()
    }

    /// Stops the run: no new item is taken; the report says why.
    pub(crate) fn halt(&self, why: Error) {
        let mut stop = lock(&self.stop);
        if stop.is_none() {
            tracing::error!(job = %self.job, error = %why, "job run stopped");
            *stop = Some(why);
        }
    }

    /// Why the run must stop, if it must: a halt, or an open breaker on either side.
    pub(crate) fn stopped(&self) -> Option<Error> {
        if self
            .shutdown
            .as_ref()
            .is_some_and(|s| s.load(Ordering::SeqCst))
        {
            return Some(Error::new(
                ErrorKind::Unavailable,
                "stopped: bcsync was asked to stop (SIGTERM or Ctrl-C); the next run takes the rest",
            ));
        }
        lock(&self.stop)
            .clone()
            .or_else(|| self.ledger_breaker.open_error())
            .or_else(|| self.storefront_breaker.open_error())
    }

    /// Stops the run when `err` says its lease was lost.
    pub(crate) fn defer_if_lease_lost(&self, err: &Error) {
        if is_lease_lost(err) {
            self.halt(err.clone());
        }
    }

    /// Records an item that failed for an account-level reason (temporary, or the
    /// credentials): no exception, no status change; a lost lease stops the run.
    pub(crate) fn defer(&self, err: &Error) {
        self.defer_if_lease_lost(err);
        self.finished_item(|r| r.deferred += 1);
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

    /// Edits the report for an item that finished, then tells the progress hook.
    fn finished_item(&self, f: impl FnOnce(&mut RunReport)) {
        let done = {
            let mut r = match self.report.lock() {
                Ok(r) => r,
                Err(p) => p.into_inner(),
            };
            f(&mut r);
            r.done + r.skipped + r.failed.len() + r.deferred + r.held
        };
        if let Some(hook) = &self.progress {
            hook(Progress {
                job: self.job,
                done: u64::try_from(done).unwrap_or(u64::MAX),
                total: self.total,
            });
        }
    }

    pub(crate) fn seen(&self, n: usize) {
        self.edit(|r| r.seen += n);
    }
    pub(crate) fn done(&self) {
        self.finished_item(|r| r.done += 1);
    }
    pub(crate) fn skipped(&self) {
        self.finished_item(|r| r.skipped += 1);
    }
    /// An entity done by adopting an earlier write (counted in `done` too).
    pub(crate) fn adopted(&self) {
        self.finished_item(|r| {
            r.done += 1;
            r.adopted += 1;
        });
    }
    /// An order held for configuration `causes` (`(group, value, setting, message)`).
    pub(crate) fn held(
        &self,
        order: &bc_core::OrderId,
        causes: &[(ProblemGroup, String, String, String)],
    ) {
        self.finished_item(|r| r.hold(order, causes));
    }
    pub(crate) fn note(&self, note: impl Into<String>) {
        let n = note.into();
        self.edit(|r| r.notes.push(n));
    }
    pub(crate) fn failed(&self, f: Failure) {
        self.finished_item(|r| r.failed.push(f));
    }

    pub(crate) fn finish(self) -> RunReport {
        let stopped = self.stopped().map(|e| e.to_string());
        let mut r = match self.report.into_inner() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        r.stopped = stopped;
        for c in &mut r.config_causes {
            crate::report::sort_order_ids(&mut c.orders);
        }
        r.config_causes
            .sort_by(|a, b| (a.group, &a.setting).cmp(&(b.group, &b.setting)));
        if r.stopped.is_none() && r.held > 0 {
            let settings: Vec<String> = r
                .config_causes
                .iter()
                .map(|c| format!("`{}`", c.setting))
                .collect();
            r.stopped = Some(format!(
                "{}: {} order{} held until {} {} set (nothing was written for them and their storefront status is unchanged)",
                crate::report::CONFIG_STOP,
                r.held,
                if r.held == 1 { "" } else { "s" },
                settings.join(", "),
                if settings.len() == 1 { "is" } else { "are" }
            ));
        }
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

/// Locks a mutex, recovering from poisoning (the data are plain maps).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::memory_engine as engine;

    #[tokio::test]
    async fn the_lock_map_stays_bounded_and_keeps_the_locks_in_use() {
        let e = engine();
        // A lock held across the whole test, and one a task waits for.
        let held = e.lock_for("client:email:held@example.com");
        let guard = held.lock().await;
        let waited = e.lock_for("item:sku:WAITED");
        let _waited_guard = waited.lock().await;
        let waiter = {
            let l = e.lock_for("item:sku:WAITED");
            tokio::spawn(async move {
                let _g = l.lock().await;
            })
        };
        for i in 0..20 * LOCKS_PRUNE_AT {
            // One client or item created at a time, then nobody keeps its lock.
            let l = e.lock_for(&format!("client:email:guest{i}@example.com"));
            let _g = l.lock().await;
        }
        assert!(
            e.lock_count() <= 2 * LOCKS_PRUNE_AT,
            "{} locks kept",
            e.lock_count()
        );
        // The locks in use were kept: the same mutex, still held.
        assert!(Arc::ptr_eq(
            &held,
            &e.lock_for("client:email:held@example.com")
        ));
        assert!(e
            .lock_for("client:email:held@example.com")
            .try_lock()
            .is_err());
        assert!(Arc::ptr_eq(&waited, &e.lock_for("item:sku:WAITED")));
        drop(guard);
        drop(_waited_guard);
        waiter.await.unwrap();
    }
}
