//! The scheduler (L3) on virtual time: intervals, "sync now", webhook wake-ups, and an
//! interval change that applies at once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bc_engine::scheduler::{JobRun, JobRunner};
use bc_engine::{Job, RunReport, Scheduler};
use tokio::time::Instant;

#[derive(Default)]
struct Recorder {
    runs: Mutex<Vec<(Job, Duration)>>,
    start: Mutex<Option<Instant>>,
}

#[async_trait]
impl JobRunner for Recorder {
    async fn run_job(&self, job: Job) -> bc_core::Result<RunReport> {
        let start = *self.start.lock().unwrap().get_or_insert_with(Instant::now);
        self.runs.lock().unwrap().push((job, start.elapsed()));
        // A job takes a little time.
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok(RunReport::new(job))
    }
}

impl Recorder {
    fn runs_of(&self, job: Job) -> Vec<u64> {
        self.runs
            .lock()
            .unwrap()
            .iter()
            .filter(|(j, _)| *j == job)
            .map(|(_, d)| d.as_secs())
            .collect()
    }
}

fn intervals(pairs: &[(Job, u64)]) -> BTreeMap<Job, Duration> {
    pairs
        .iter()
        .map(|(j, s)| (*j, Duration::from_secs(*s)))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn each_job_runs_on_its_interval_orders_first() {
    let rec = Arc::new(Recorder::default());
    let (sched, handle) = Scheduler::new(
        rec.clone(),
        intervals(&[(Job::Inventory, 300), (Job::Orders, 60)]),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<JobRun>();
    let task = tokio::spawn(sched.with_reports(tx).run());
    tokio::time::sleep(Duration::from_secs(605)).await;
    handle.shutdown();
    task.await.unwrap();
    // Orders first at start, then inventory.
    assert_eq!(rec.runs.lock().unwrap()[0].0, Job::Orders);
    assert_eq!(rec.runs.lock().unwrap()[1].0, Job::Inventory);
    let orders = rec.runs_of(Job::Orders);
    assert_eq!(orders.len(), 10, "{orders:?}");
    assert_eq!(rec.runs_of(Job::Inventory).len(), 3);
    let mut reports = 0;
    while rx.try_recv().is_ok() {
        reports += 1;
    }
    assert_eq!(reports, 13);
}

#[tokio::test(start_paused = true)]
async fn sync_now_and_webhooks_run_a_job_early() {
    let rec = Arc::new(Recorder::default());
    let (sched, handle) = Scheduler::new(rec.clone(), intervals(&[(Job::Orders, 3600)]));
    let task = tokio::spawn(sched.run());
    tokio::time::sleep(Duration::from_secs(10)).await;
    handle.sync_now(Job::Orders);
    tokio::time::sleep(Duration::from_secs(10)).await;
    handle.wake(Job::Refunds);
    tokio::time::sleep(Duration::from_secs(10)).await;
    handle.shutdown();
    task.await.unwrap();
    assert_eq!(rec.runs_of(Job::Orders), vec![0, 10]);
    // A job with no interval runs on demand.
    assert_eq!(rec.runs_of(Job::Refunds), vec![20]);
}

#[tokio::test(start_paused = true)]
async fn a_changed_interval_applies_at_once_not_after_the_current_sleep() {
    let rec = Arc::new(Recorder::default());
    let (sched, handle) = Scheduler::new(rec.clone(), intervals(&[(Job::Orders, 3600)]));
    let task = tokio::spawn(sched.run());
    tokio::time::sleep(Duration::from_secs(10)).await;
    // Shorter: due 30 s after the last run (which ended at 1 s), not in an hour.
    handle.set_interval(Job::Orders, Some(Duration::from_secs(30)));
    tokio::time::sleep(Duration::from_secs(60)).await;
    handle.shutdown();
    task.await.unwrap();
    assert_eq!(rec.runs_of(Job::Orders), vec![0, 31, 62]);
}

#[tokio::test(start_paused = true)]
async fn the_scheduler_stops_when_every_handle_is_dropped() {
    let rec = Arc::new(Recorder::default());
    let (sched, handle) = Scheduler::new(rec.clone(), intervals(&[(Job::Orders, 60)]));
    let task = tokio::spawn(sched.run_at_start(false).run());
    drop(handle);
    task.await.unwrap();
    assert!(rec.runs.lock().unwrap().is_empty());
}

#[test]
fn intervals_come_from_the_settings() {
    let s = bc_engine::testing::test_settings("[inventory]\ninventory_interval = \"20m\"");
    let iv = Scheduler::intervals_from(&s);
    assert_eq!(iv[&Job::Orders], Duration::from_secs(120));
    assert_eq!(iv[&Job::Inventory], Duration::from_secs(1200));
    assert_eq!(iv[&Job::Shipments], Duration::from_secs(300));
}
