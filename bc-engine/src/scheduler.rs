//! The scheduler (L3): an interval per job, "sync now", webhook wake-ups, and interval
//! changes that apply at once (not after the current sleep).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bc_core::{Result, Settings};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::engine::Engine;
use crate::report::{Job, RunReport};

/// Something that runs jobs: the [`Engine`], or a fake in tests.
#[async_trait]
pub trait JobRunner: Send + Sync {
    /// Runs `job` once.
    async fn run_job(&self, job: Job) -> Result<RunReport>;
}

#[async_trait]
impl JobRunner for Engine {
    async fn run_job(&self, job: Job) -> Result<RunReport> {
        self.run(job).await
    }
}

#[derive(Debug)]
enum Command {
    SyncNow(Job),
    SetInterval(Job, Option<Duration>),
    Shutdown,
}

/// Controls a running [`Scheduler`]; cheap to clone. When every handle is dropped the
/// scheduler stops.
#[derive(Clone, Debug)]
pub struct SchedulerHandle {
    tx: mpsc::UnboundedSender<Command>,
}

impl SchedulerHandle {
    /// Runs `job` as soon as the current job ends ("sync now").
    pub fn sync_now(&self, job: Job) {
        let _ = self.tx.send(Command::SyncNow(job));
    }

    /// A webhook arrived for `job`'s entities (an order was created): wake the job early.
    pub fn wake(&self, job: Job) {
        let _ = self.tx.send(Command::SyncNow(job));
    }

    /// Changes a job's interval; it applies at once: the next run is due `interval` after the
    /// last one (immediately if that is already past). `None` stops the job's schedule.
    pub fn set_interval(&self, job: Job, interval: Option<Duration>) {
        let _ = self.tx.send(Command::SetInterval(job, interval));
    }

    /// Applies the intervals of new settings.
    pub fn apply_settings(&self, settings: &Settings) {
        for (job, d) in Scheduler::intervals_from(settings) {
            self.set_interval(job, Some(d));
        }
    }

    /// Stops the scheduler after the current job.
    pub fn shutdown(&self) {
        let _ = self.tx.send(Command::Shutdown);
    }
}

/// One finished run, as the scheduler reports it.
#[derive(Debug)]
pub struct JobRun {
    /// The job.
    pub job: Job,
    /// Its report, or the error that stopped it (a settings error, a platform down).
    pub result: Result<RunReport>,
}

/// Runs jobs on their intervals, one at a time, orders first when several are due.
pub struct Scheduler {
    runner: Arc<dyn JobRunner>,
    intervals: BTreeMap<Job, Duration>,
    rx: mpsc::UnboundedReceiver<Command>,
    reports: Option<mpsc::UnboundedSender<JobRun>>,
    run_at_start: bool,
}

impl Scheduler {
    /// A scheduler over `runner` with `intervals` (jobs without an interval run only on
    /// demand), and its handle.
    pub fn new(
        runner: Arc<dyn JobRunner>,
        intervals: BTreeMap<Job, Duration>,
    ) -> (Scheduler, SchedulerHandle) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Scheduler {
                runner,
                intervals,
                rx,
                reports: None,
                run_at_start: true,
            },
            SchedulerHandle { tx },
        )
    }

    /// Sends each finished run to `tx`.
    pub fn with_reports(mut self, tx: mpsc::UnboundedSender<JobRun>) -> Self {
        self.reports = Some(tx);
        self
    }

    /// Whether every scheduled job runs once at start (default) or waits one interval.
    pub fn run_at_start(mut self, yes: bool) -> Self {
        self.run_at_start = yes;
        self
    }

    /// The intervals the settings give: orders and refunds every `sync.order_interval`;
    /// shipments, statuses and erp-orders every `sync.fulfilment_interval`; inventory every
    /// `inventory.inventory_interval`; payouts hourly; the audit every `report.period`
    /// (default daily).
    pub fn intervals_from(settings: &Settings) -> BTreeMap<Job, Duration> {
        let mut m = BTreeMap::new();
        m.insert(Job::Orders, settings.sync.order_interval.0);
        m.insert(Job::Refunds, settings.sync.order_interval.0);
        m.insert(Job::Shipments, settings.sync.fulfilment_interval.0);
        m.insert(Job::Statuses, settings.sync.fulfilment_interval.0);
        m.insert(Job::ErpOrders, settings.sync.fulfilment_interval.0);
        m.insert(Job::Inventory, settings.inventory.inventory_interval.0);
        m.insert(Job::Payouts, Duration::from_secs(3600));
        m.insert(
            Job::Audit,
            settings
                .report
                .period
                .map_or(Duration::from_secs(86_400), |p| p.0),
        );
        m
    }

    /// Runs until [`SchedulerHandle::shutdown`] or until every handle is dropped.
    pub async fn run(mut self) {
        let start = Instant::now();
        let mut last: BTreeMap<Job, Instant> = BTreeMap::new();
        let mut pending: Vec<Job> = Vec::new();
        if !self.run_at_start {
            for job in self.intervals.keys() {
                last.insert(*job, start);
            }
        }
        loop {
            // What is due now, in priority order.
            let now = Instant::now();
            for job in Job::ALL {
                if let Some(iv) = self.intervals.get(&job) {
                    let due = last.get(&job).map_or(now, |l| *l + *iv);
                    if due <= now && !pending.contains(&job) {
                        pending.push(job);
                    }
                }
            }
            pending.sort_by_key(|j| Job::ALL.iter().position(|x| x == j));
            if let Some(job) = (!pending.is_empty()).then(|| pending.remove(0)) {
                // Commands that arrived meanwhile are read before the next decision.
                let result = self.runner.run_job(job).await;
                last.insert(job, Instant::now());
                if let Err(e) = &result {
                    tracing::warn!(%job, error = %e, "job failed");
                }
                if let Some(tx) = &self.reports {
                    let _ = tx.send(JobRun { job, result });
                }
                while let Ok(cmd) = self.rx.try_recv() {
                    if self.apply(cmd, &mut pending) {
                        return;
                    }
                }
                continue;
            }
            let next_due = self
                .intervals
                .iter()
                .map(|(j, iv)| last.get(j).map_or(now, |l| *l + *iv))
                .min();
            let cmd = match next_due {
                Some(due) => tokio::select! {
                    cmd = self.rx.recv() => cmd,
                    _ = tokio::time::sleep_until(due) => continue,
                },
                None => self.rx.recv().await,
            };
            match cmd {
                Some(cmd) => {
                    if self.apply(cmd, &mut pending) {
                        return;
                    }
                }
                None => return,
            }
        }
    }

    /// Applies a command; `true` to stop.
    fn apply(&mut self, cmd: Command, pending: &mut Vec<Job>) -> bool {
        match cmd {
            Command::SyncNow(job) => {
                if !pending.contains(&job) {
                    pending.push(job);
                }
                false
            }
            Command::SetInterval(job, Some(d)) => {
                self.intervals.insert(job, d.max(Duration::from_millis(1)));
                false
            }
            Command::SetInterval(job, None) => {
                self.intervals.remove(&job);
                false
            }
            Command::Shutdown => true,
        }
    }
}
