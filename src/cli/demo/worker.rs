//! `bcsync demo-worker` (hidden): one engine process of `bcsync demo --kills`.
//!
//! It reads the settings file the demo wrote (loopback base URLs of the served sandboxes, the
//! ERP and state files), connects over real sockets (reqwest, with a client timeout shorter
//! than the sandboxes' hung responses), wraps the state store in the seeded "database is
//! busy" wrapper, and runs its jobs in passes until a pass has nothing left to do; then it
//! prints one JSON line (what each job did) and exits 0. The demo may SIGKILL it at any
//! moment; a new worker on the same files carries on.
//!
//! Exit codes: 0 nothing left to do; 3 work still left after `--max-passes`; 1 an error that
//! stopped it (settings, connection).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bc_connector_acctvantage::{AcctvantageConfig, Erp, ErpOptions};
use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
use bc_connector_qbo::QboLedger;
use bc_core::{Currency, Ledger, Settings, Storefront};
use bc_engine::{Engine, EngineOptions, Job, StateStore};
use bc_http::{RateLimits, ReqwestTransport};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::faulty_state_shim::faulty_state::FaultyStateStore;
use super::platforms::Connected;
use super::{describe, fast_retry};

/// The identity every demo worker has in leases: a restarted worker is the same worker
/// coming back, so it takes its own lease over at once.
pub const WORKER_OWNER: &str = "bcsync-demo-worker";

/// Times a job run that failed with a temporary error is run again within a pass.
const JOB_RETRIES: u32 = 3;

/// Exit code of a worker that still had work after its last pass.
pub const EXIT_WORK_LEFT: u8 = 3;

/// Options of the hidden `bcsync demo-worker`.
#[derive(Clone, Debug, clap::Args)]
pub struct WorkerArgs {
    /// The settings file the demo wrote.
    #[arg(long)]
    pub config: PathBuf,
    /// Jobs to run, in order, every pass.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "orders,refunds,shipments,statuses,inventory"
    )]
    pub jobs: Vec<String>,
    /// Share of state-store calls refused with "database is busy" (0.0–1.0).
    #[arg(long, default_value_t = 0.0)]
    pub state_faults: f64,
    /// Seed of the state-store faults and of the retry jitter.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// HTTP client timeout (ms): a response hung longer is a lost answer.
    #[arg(long, default_value_t = 2_000)]
    pub timeout_ms: u64,
    /// QuickBooks: the file holding the current refresh token (read at start, rewritten on
    /// every rotation).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Passes before giving up with exit code 3.
    #[arg(long, default_value_t = 12)]
    pub max_passes: u32,
    /// The state store connection to work as (a PostgreSQL database shared by several demo
    /// runs keeps each run's rows apart); the store's default connection when absent.
    #[arg(long)]
    pub connection: Option<String>,
}

/// What a worker prints on its last line.
#[derive(Debug, Serialize)]
pub struct WorkerReport {
    /// Passes run.
    pub passes: u32,
    /// Whether the last pass had nothing left to do.
    pub settled: bool,
    /// Per job, its reports summed over the passes.
    pub jobs: BTreeMap<String, String>,
    /// State-store calls refused by the injected faults.
    pub state_faults: u64,
}

/// Runs the worker; `Ok(exit code)`.
pub async fn run(args: WorkerArgs) -> Result<u8, String> {
    let text = std::fs::read_to_string(&args.config)
        .map_err(|e| format!("cannot read {}: {e}", args.config.display()))?;
    let settings =
        Settings::from_toml_str(&text).map_err(|e| format!("{}: {e}", args.config.display()))?;
    let jobs: Vec<Job> = args
        .jobs
        .iter()
        .map(|j| j.parse().map_err(|e: bc_core::Error| e.to_string()))
        .collect::<Result<_, _>>()?;
    let transport = Arc::new(
        ReqwestTransport::builder()
            .timeout(Duration::from_millis(args.timeout_ms))
            .connect_timeout(Duration::from_millis(args.timeout_ms))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?,
    );
    let storefront = storefront(&settings, transport.clone(), args.seed).await?;
    let (ledger, connected) = ledger(&settings, transport, &args).await?;
    let url = settings.state.url.clone();
    let opened = match &args.connection {
        Some(name) => bc_state::connect_as(&url, name).await,
        None => bc_state::connect(&url).await,
    };
    let inner = opened.map_err(|e| {
        format!(
            "cannot open the state store `{}`: {e}",
            bc_state::redact_url(&url)
        )
    })?;
    let faulty = Arc::new(FaultyStateStore::new(
        inner,
        args.seed ^ 0x57a7e,
        args.state_faults,
    ));
    let state: Arc<dyn StateStore> = faulty.clone();
    let options = EngineOptions {
        owner: WORKER_OWNER.to_string(),
        concurrency: 16,
        ..EngineOptions::default()
    };
    let engine = Engine::with_options(storefront, ledger, state, settings, options);

    let mut totals: BTreeMap<Job, (usize, usize, usize, usize)> = BTreeMap::new();
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    let mut passes = 0;
    let mut settled = false;
    while passes < args.max_passes {
        passes += 1;
        let mut busy = false;
        for job in &jobs {
            let t0 = std::time::Instant::now();
            let mut result = engine.run(*job).await;
            // A run stopped by a temporary error (the state store busy, the circuit breaker)
            // is run again at once, as the scheduler's next tick would.
            let mut again = 0;
            while again < JOB_RETRIES && result.as_ref().is_err_and(|e| e.is_temporary()) {
                again += 1;
                result = engine.run(*job).await;
            }
            // The worker's log (the demo keeps it in its folder): one line per job run.
            match &result {
                Ok(r) => eprintln!(
                    "pass {passes} {job}: {} in {} ms",
                    describe(r),
                    t0.elapsed().as_millis()
                ),
                Err(e) => eprintln!(
                    "pass {passes} {job}: failed in {} ms: {e}",
                    t0.elapsed().as_millis()
                ),
            }
            match result {
                Ok(r) => {
                    let t = totals.entry(*job).or_default();
                    t.0 += r.seen;
                    t.1 += r.done;
                    t.2 += r.adopted;
                    t.3 = r.failed.len();
                    // Work left: something written, a temporary failure, or items the run did
                    // not get to (a circuit breaker stopped it).
                    let untried =
                        r.seen > r.done + r.skipped + r.failed.len() + r.deferred + r.held;
                    busy |= r.done > 0
                        || r.adopted > 0
                        || r.deferred > 0
                        || untried
                        || r.failed.iter().any(|f| f.temporary);
                    last.insert(job.as_str().to_string(), describe(&r));
                }
                Err(e) => {
                    busy = true;
                    last.insert(job.as_str().to_string(), format!("failed: {e}"));
                }
            }
        }
        if !busy {
            settled = true;
            break;
        }
    }
    let report = WorkerReport {
        passes,
        settled,
        jobs: totals
            .iter()
            .map(|(job, (seen, done, adopted, failed))| {
                let name = job.as_str().to_string();
                let tail = last.get(&name).cloned().unwrap_or_default();
                (
                    name,
                    format!(
                        "this worker: seen {seen}, done {done}, adopted {adopted}; last pass: {tail} (failed {failed})"
                    ),
                )
            })
            .collect(),
        state_faults: faulty.injected(),
    };
    // Acumatica: sign out (a licence holds few API sessions).
    if let Some(c) = connected {
        c.shutdown().await;
    }
    let line = serde_json::to_string(&report).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    Ok(if settled { 0 } else { EXIT_WORK_LEFT })
}

async fn storefront(
    settings: &Settings,
    transport: Arc<ReqwestTransport>,
    seed: u64,
) -> Result<Arc<dyn Storefront>, String> {
    if settings.storefront.platform == bc_connector_magento::PLATFORM {
        return super::platforms::connect_storefront(settings, transport, seed).await;
    }
    if settings.storefront.platform != bc_connector_bigcommerce::PLATFORM {
        return Err(format!(
            "storefront.platform = \"{}\": the demo worker speaks to bigcommerce or magento",
            settings.storefront.platform
        ));
    }
    let config = BigCommerceConfig::from_table(&settings.storefront).map_err(|e| e.to_string())?;
    let quota = settings
        .storefront
        .table
        .get("requests_per_window")
        .and_then(|v| v.as_integer())
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(150);
    // The demo store counts its quota in 3 s windows (a tenth of it per window), so a 429
    // asks for a wait of at most 3 s.
    let config = config
        .with_limits(
            RateLimits::new(quota.div_ceil(10).max(1), Duration::from_secs(3))
                .with_max_in_flight(16),
        )
        .with_retry(fast_retry(seed));
    let sf =
        BigCommerce::with_transport(config, transport).map_err(|e| format!("storefront: {e}"))?;
    Ok(Arc::new(sf))
}

/// The ledger, and the connection to close at the end when it has sessions.
async fn ledger(
    settings: &Settings,
    transport: Arc<ReqwestTransport>,
    args: &WorkerArgs,
) -> Result<(Arc<dyn Ledger>, Option<Connected>), String> {
    match settings.ledger.platform.as_str() {
        bc_connector_bc365::PLATFORM | bc_connector_acumatica::PLATFORM => {
            let c = super::platforms::connect_ledger(settings, transport, args.seed).await?;
            Ok((c.ledger.clone(), Some(c)))
        }
        _ => Ok((plain_ledger(settings, transport, args).await?, None)),
    }
}

async fn plain_ledger(
    settings: &Settings,
    transport: Arc<ReqwestTransport>,
    args: &WorkerArgs,
) -> Result<Arc<dyn Ledger>, String> {
    match settings.ledger.platform.as_str() {
        bc_connector_acctvantage::PLATFORM => {
            let config =
                AcctvantageConfig::from_table(&settings.ledger).map_err(|e| e.to_string())?;
            let path = &config.path;
            let erp = Erp::open_with(path, ErpOptions::from_settings(settings))
                .await
                .map_err(|e| format!("cannot open the ERP at `{path}`: {e}"))?;
            Ok(Arc::new(erp))
        }
        bc_connector_qbo::PLATFORM => {
            let mut options =
                bcsync::builtins::qbo_options(&settings.ledger).map_err(|e| e.to_string())?;
            if let Some(file) = &args.token_file {
                if let Ok(token) = std::fs::read_to_string(file) {
                    options.refresh_token = SecretString::from(token.trim().to_string());
                }
                let file = file.clone();
                options = options.with_refresh_token_callback(Arc::new(move |t: &SecretString| {
                    // A rotated refresh token replaces the one used: keep it before anything
                    // else, durably, or the next worker cannot connect.
                    if let Err(e) = write_durably(&file, t.expose_secret()) {
                        eprintln!("demo-worker: cannot save the rotated refresh token: {e}");
                    }
                }));
            }
            options = options.with_retry(fast_retry(args.seed.wrapping_add(1)));
            options.currencies = vec![Currency::CAD, Currency::EUR, Currency::JPY];
            let base = options.base_url.clone();
            let qbo = QboLedger::connect(options, transport)
                .await
                .map_err(|e| format!("cannot reach QuickBooks Online at {base}: {e}"))?;
            Ok(Arc::new(qbo))
        }
        other => Err(format!(
            "ledger.platform = \"{other}\": the demo worker speaks to acctvantage, qbo, bc365 or acumatica"
        )),
    }
}

/// Writes `text` to `path` atomically and durably: a temporary file, fsync, rename, fsync of
/// the directory.
pub fn write_durably(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}
