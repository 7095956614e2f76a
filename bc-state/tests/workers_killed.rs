//! Issue 16's acceptance test: 3 worker PROCESSES on one PostgreSQL state database, 10
//! connections (each its own BigCommerce sandbox store served on a loopback port with the
//! platform's request rate, and its own embedded ERP on its own SQLite file), workers
//! SIGKILLed and restarted at random at least 10 times while they sync.
//!
//! Checked from the platforms' own state and the state database's records, never from the
//! workers' counters: every importable order is in its ERP exactly once (lost 0, duplicated
//! 0), and no (connection, job) ever ran on two workers at once — per lease, the fencing
//! tokens recorded with the writes, in the database's order, never go back.
//!
//! The workers are this test binary re-executed with `BCSYNC_FLEET_WORKER` set: the
//! `worker_process` test then runs `bc_state::worker::run_worker` (and is skipped, with a
//! notice, in a normal run). Each run uses a schema of its own, dropped when it passes.

#[path = "common/fleet.rs"]
mod fleet;

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use fleet::{FleetFile, CHILD_VAR, IDENTITY_VAR};

const CONNECTIONS: usize = 10;
const ORDERS: u64 = 20;
const WORKERS: usize = 3;
/// Kills: this many at random from the start, then more once writes began, up to `KILLS`.
const EARLY_KILLS: usize = 4;
const KILLS: usize = 12;
/// The platform's rate (150 requests per 30 s), counted in 3 s windows.
const QUOTA: u32 = 15;
const WINDOW_MS: u64 = 3_000;
const TTL_MS: u64 = 1_500;

/// Runs the worker loop, only as a worker process of `killed_workers_lose_and_duplicate_nothing`.
#[test]
fn worker_process() {
    let (Ok(fleet), Ok(identity)) = (std::env::var(CHILD_VAR), std::env::var(IDENTITY_VAR)) else {
        println!(
            "SKIPPED worker_process: runs only as a worker process started by \
             killed_workers_lose_and_duplicate_nothing ({CHILD_VAR} unset)"
        );
        return;
    };
    fleet::child_main(Path::new(&fleet), &identity);
}

/// Kills the worker processes still running when dropped (a failed assertion included).
struct Workers(Vec<Option<Child>>);

impl Drop for Workers {
    fn drop(&mut self) {
        for c in self.0.iter_mut().flatten() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A small xorshift generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_lose_and_duplicate_nothing() {
    if std::env::var_os(CHILD_VAR).is_some() {
        return; // a worker process runs `worker_process` only
    }
    let url = match std::env::var("BCSYNC_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            println!(
                "SKIPPED killed_workers_lose_and_duplicate_nothing: no PostgreSQL (set BCSYNC_TEST_POSTGRES_URL)"
            );
            return;
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let schema = format!("killed_{}_{}", std::process::id(), nanos % 1_000_000_000);
    let seed = nanos | 1;
    let db = fleet::open_db(&url, &schema).await;
    let dir = tempfile::tempdir().unwrap();
    let shops = fleet::start_shops(CONNECTIONS, ORDERS, QUOTA, WINDOW_MS, dir.path(), &db).await;
    let importable: usize = shops.iter().map(|s| s.importable.len()).sum();
    let file = FleetFile {
        url: url.clone(),
        schema: schema.clone(),
        ttl_ms: TTL_MS,
        interval_ms: 300,
        quota: QUOTA,
        window_ms: WINDOW_MS,
        max_units: 16,
        concurrency: 8,
        // Small pages: a run writes after every 5 orders, so kills land mid-run, between
        // and during writes, not only in a run's first reads.
        page_size: 5,
        connections: shops
            .iter()
            .map(|s| (s.name.clone(), s.settings.clone()))
            .collect(),
        stop_file: dir.path().join("stop"),
    };
    let fleet_path = dir.path().join("fleet.json");
    std::fs::write(&fleet_path, serde_json::to_string(&file).unwrap()).unwrap();
    let exe = std::env::current_exe().unwrap();
    let args = [
        "--exact",
        "worker_process",
        "--nocapture",
        "--test-threads=1",
    ];
    let spawn = |i: usize| fleet::spawn_worker(&exe, &args, &fleet_path, &format!("w{i}"));
    let identities: Vec<String> = (0..WORKERS).map(|i| format!("w{i}")).collect();
    let mut workers = Workers((0..WORKERS).map(|i| Some(spawn(i))).collect());

    // Kill and restart workers at random moments while they sync: the first kills land in
    // the runs' first reads; once writes began, a worker in the middle of its writes is
    // chosen when there is one (else any), so that units are taken over mid-write.
    let pool = fleet::pool(&url, &schema).await;
    let started = Instant::now();
    let mut rng = Rng(seed);
    let mut kills = 0;
    let mut mid_write_kills = 0;
    let mut settled = false;
    while started.elapsed() < Duration::from_secs(55) {
        tokio::time::sleep(Duration::from_millis(300 + rng.below(700))).await;
        let writing = fleet::writes_began(&pool).await;
        if kills < EARLY_KILLS || (kills < KILLS && writing) {
            // Once writes began, look for a worker in the middle of its writes for up to 2 s.
            let mut targets = Vec::new();
            for _ in 0..if writing { 20 } else { 1 } {
                let owners = fleet::writing_owners(&pool).await;
                targets = (0..WORKERS)
                    .filter(|i| {
                        let pid = workers.0[*i].as_ref().map_or(0, Child::id);
                        owners.iter().any(|o| *o == format!("w{i}#{pid}"))
                    })
                    .collect();
                if !targets.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let i = if targets.is_empty() {
                rng.below(WORKERS as u64) as usize
            } else {
                mid_write_kills += 1;
                targets[rng.below(targets.len() as u64) as usize]
            };
            if let Some(mut c) = workers.0[i].take() {
                c.kill().expect("SIGKILL a worker");
                let _ = c.wait();
            }
            kills += 1;
            workers.0[i] = Some(spawn(i));
        }
        if kills >= 10 && fleet::all_posted(&shops).await {
            settled = true;
            break;
        }
    }
    let synced_in = started.elapsed();
    if !settled {
        for s in &shops {
            let status = db.for_connection(&s.name).unwrap().status().await.unwrap();
            let o = status.iter().find(|j| j.job == "orders").unwrap();
            let stats = s.sandbox.stats();
            println!(
                "{}: posted/lost/dup {:?} of {}; requests {} (429: {}) {:?}; last run {:?} ok {:?}: {:?}; lease {:?}",
                s.name,
                fleet::reconcile(s).await,
                s.importable.len(),
                stats.total,
                stats.rate_limited,
                stats.by_route,
                o.last_run,
                o.last_ok,
                o.last_result,
                o.lease
            );
        }
    }
    // Stop the workers gracefully: they finish their runs and report.
    std::fs::write(&file.stop_file, b"stop").unwrap();
    let mut reports = Vec::new();
    for slot in workers.0.iter_mut() {
        if let Some(c) = slot.take() {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(fleet::child_report(c));
            });
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(Some(r)) => reports.push(r),
                _ => panic!(
                    "a worker did not stop within 30 s of its stop file, or did not report\n{}",
                    fleet::worker_logs(&fleet_path, &identities, 20)
                ),
            }
        }
    }

    let mut lost = 0;
    let mut duplicated = 0;
    for s in &shops {
        let (l, d) = fleet::reconcile(s).await;
        if l + d > 0 {
            println!("{}: lost {l}, duplicated {d}", s.name);
        }
        lost += l;
        duplicated += d;
    }
    let fences = fleet::check_fences(&url, &schema).await;
    let mut recorded = 0;
    for s in &shops {
        let status = db.for_connection(&s.name).unwrap().status().await.unwrap();
        let orders = status.iter().find(|j| j.job == "orders").unwrap();
        if orders.last_ok.is_some() && orders.last_result.is_some() && orders.last_run.is_some() {
            recorded += 1;
        }
    }
    println!(
        "workers killed: {WORKERS} worker processes, {CONNECTIONS} connections, {importable} importable \
         orders, {kills} SIGKILLs ({mid_write_kills} of a worker mid-write; seed {seed}), settled {settled} in {synced_in:?}; lost {lost}, \
         duplicated {duplicated}; fenced log writes {}, fenced journal records {}, lease holdings \
         that wrote {}, fence violations {}; units with a recorded outcome {recorded}",
        fences.log_writes,
        fences.journal_writes,
        fences.holdings,
        fences.violations.len()
    );
    for r in &reports {
        println!(
            "  {}: {} (peak RSS {} KiB)",
            r.identity, r.summary, r.peak_rss_kib
        );
    }
    assert!(kills >= 10, "only {kills} kills");
    assert!(settled, "not every importable order was posted within 55 s");
    assert_eq!(lost, 0, "lost orders");
    assert_eq!(duplicated, 0, "duplicated orders");
    assert!(fences.violations.is_empty(), "{:#?}", fences.violations);
    assert!(fences.log_writes > 0, "the writes carry their fences");
    assert!(
        mid_write_kills > 0,
        "no worker was killed in the middle of its writes"
    );
    assert!(
        fences.holdings > CONNECTIONS as u64,
        "units changed hands (killed workers' units were taken over)"
    );
    assert_eq!(recorded, CONNECTIONS, "every unit's last run is recorded");
    db.close().await;
    drop(shops);
    fleet::drop_schema(&url, &schema).await;
}
