//! Scale-out bench (issue 16): a backlog of orders across 10 connections — each its own
//! BigCommerce sandbox store served on loopback with the platform's request rate (150
//! requests per 30 s, counted in 3 s windows), and its own embedded ERP — synced by 1, 2 and
//! 4 worker processes (`bc_state::worker::run_worker`) sharing one PostgreSQL state
//! database. Prints, per worker count: orders/s, storefront requests/s and their ratio to the
//! sum of the stores' ceilings, 429s, orders lost, duplicated and excepted (in the exception
//! queue with the storefront's error status: a finished outcome, counted with its reasons),
//! and each worker's peak RSS.
//!
//! ```text
//! BCSYNC_TEST_POSTGRES_URL=postgres://… cargo bench -p bc-state --bench scale            # 600 orders
//! BCSYNC_TEST_POSTGRES_URL=postgres://… cargo bench -p bc-state --bench scale -- 100000  # the full backlog
//! ```
//! An optional second argument lists the worker counts (`1,2,4`). Without a server it prints
//! a SKIPPED notice. The workers are this binary re-executed with `BCSYNC_FLEET_WORKER` set.

#[path = "../tests/common/fleet.rs"]
mod fleet;

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use fleet::{FleetFile, CHILD_VAR, IDENTITY_VAR};

const CONNECTIONS: usize = 10;
const QUOTA: u32 = 15;
const WINDOW_MS: u64 = 3_000;

fn main() {
    if let (Ok(fleet), Ok(identity)) = (std::env::var(CHILD_VAR), std::env::var(IDENTITY_VAR)) {
        fleet::child_main(Path::new(&fleet), &identity);
        return;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let total: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(600);
    let counts: Vec<usize> = args
        .get(1)
        .map(|a| a.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2, 4]);
    let url = match std::env::var("BCSYNC_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            println!("SKIPPED scale: no PostgreSQL (set BCSYNC_TEST_POSTGRES_URL)");
            return;
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for workers in counts {
        rt.block_on(run(&url, total, workers));
    }
}

async fn run(url: &str, total: u64, workers: usize) {
    let per_shop = total.div_ceil(CONNECTIONS as u64);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let schema = format!("scale_{}_{}", std::process::id(), nanos % 1_000_000_000);
    let db = fleet::open_db(url, &schema).await;
    let dir = tempfile::tempdir().unwrap();
    let shops = fleet::start_shops(CONNECTIONS, per_shop, QUOTA, WINDOW_MS, dir.path(), &db).await;
    let importable: usize = shops.iter().map(|s| s.importable.len()).sum();
    let file = FleetFile {
        url: url.to_string(),
        schema: schema.clone(),
        ttl_ms: 30_000,
        interval_ms: 1_000,
        quota: QUOTA,
        window_ms: WINDOW_MS,
        max_units: 16,
        concurrency: 8,
        page_size: 250,
        connections: shops
            .iter()
            .map(|s| (s.name.clone(), s.settings.clone()))
            .collect(),
        stop_file: dir.path().join("stop"),
    };
    let fleet_path = dir.path().join("fleet.json");
    std::fs::write(&fleet_path, serde_json::to_string(&file).unwrap()).unwrap();
    let exe = std::env::current_exe().unwrap();
    // Requests the stores served (their 429s are not: they spend no quota).
    let served = |shops: &[fleet::Shop]| -> u64 {
        shops
            .iter()
            .map(|s| {
                let st = s.sandbox.stats();
                st.total - st.rate_limited
            })
            .sum()
    };
    let before = served(&shops);
    let started = Instant::now();
    let children: Vec<Child> = (0..workers)
        .map(|i| fleet::spawn_worker(&exe, &[], &fleet_path, &format!("w{i}")))
        .collect();
    let mut settled = false;
    // Polled every 0.5 s: the time is the end of the sync to within half a second.
    // At most 3× the time the stores' ceilings allow for ~5 requests an order, + 60 s.
    let limit = Duration::from_secs(60 + 3 * total * 5 / (CONNECTIONS as u64 * 5));
    while started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Done: every order settled (its document in its ERP, or in the exception queue with
        // the storefront's error status) and its storefront status moved on.
        if fleet::all_downloaded(&shops) && fleet::all_posted(&shops).await {
            settled = true;
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let requests = served(&shops) - before;
    std::fs::write(&file.stop_file, b"stop").unwrap();
    let mut reports = Vec::new();
    for c in children {
        reports.push(
            tokio::task::spawn_blocking(move || fleet::child_report(c))
                .await
                .unwrap(),
        );
    }
    let limited: u64 = shops.iter().map(|s| s.sandbox.stats().rate_limited).sum();
    let (mut lost, mut duplicated) = (0, 0);
    for s in &shops {
        let (l, d) = fleet::reconcile(s).await;
        lost += l;
        duplicated += d;
    }
    // Orders in the exception queue with the storefront's error status: settled, not posted.
    let (excepted, why) = fleet::excepted_summary(&shops).await;
    let why: Vec<String> = why.iter().map(|(l, n)| format!("{l} {n}")).collect();
    let excepted = if why.is_empty() {
        excepted.to_string()
    } else {
        format!("{excepted} ({})", why.join(", "))
    };
    let ceiling = CONNECTIONS as f64 * f64::from(QUOTA) / (WINDOW_MS as f64 / 1000.0);
    let rps = requests as f64 / elapsed;
    let rss: Vec<String> = reports
        .iter()
        .map(|r| match r {
            Some(r) => format!("{} {:.1} MiB", r.identity, r.peak_rss_kib as f64 / 1024.0),
            None => "(no report)".to_string(),
        })
        .collect();
    println!(
        "scale: {workers} worker(s), {CONNECTIONS} connections, {importable} orders{}: {elapsed:.1} s, \
         {:.1} orders/s; storefront {requests} requests served ({:.2}/order) = {rps:.1} req/s vs the stores' \
         ceilings {ceiling:.0} req/s: ratio {:.2}; 429s {limited}; lost {lost}, duplicated {duplicated}, excepted {excepted}; \
         peak RSS per worker: {}",
        if settled { "" } else { " (NOT all posted in time)" },
        importable as f64 / elapsed,
        requests as f64 / importable.max(1) as f64,
        rps / ceiling,
        rss.join(", ")
    );
    db.close().await;
    drop(shops);
    fleet::drop_schema(url, &schema).await;
}
