//! `bcsync demo --kills N`: the engine as child processes, killed for real.
//!
//! The demo serves the BigCommerce sandbox (behind the corrupting [`super::proxy`]) and, with
//! `--ledger qbo`, the QuickBooks Online sandbox on loopback ports, writes a settings file
//! naming them, and starts `bcsync demo-worker` on it. At a seeded random moment it SIGKILLs
//! the worker (`Child::kill` is SIGKILL on Unix), reads the state file's journal (a kill that
//! leaves an intent without its done landed in a write window), plays the people of the ERP
//! and the merchant (shipments, completed orders, stock changes, refunds) so that every job
//! has work, and starts a new worker on the same state and ERP files. After N kills the last
//! worker runs until nothing is left to do, and the demo reconciles from both sides' state.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bc_connector_acctvantage::{Erp, ErpOptions, SalesOrderStatus};
use bc_core::money::round_dp;
use bc_core::{LedgerRef, Settings, ShipmentLine};
use bc_engine::StateStore;
use bc_sandbox::faults::FaultPlan;
use bc_sandbox::serve::Served;
use bc_sandbox_bigcommerce::{BigCommerceConfig as SandboxConfig, BigCommerceSandbox};
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use bc_state::SqliteStateStore;
use rand::seq::IteratorRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde_json::Value;

use super::proxy::CorruptingProxy;
use super::reconcile::{self, KillSummary, LedgerView, EXPECTED_REASONS};
use super::worker::{write_durably, EXIT_WORK_LEFT};
use super::{
    demo_settings_text, err, importable, injected, round2, work_dir, DemoArgs, DemoLedger, Summary,
};

/// How long a hung response is held back: past the workers' client timeout, so that a hang
/// is a lost answer.
pub(super) const HANG_MS: u64 = 2_500;
/// The workers' HTTP client timeout.
const CLIENT_TIMEOUT_MS: u64 = 1_500;
/// Worker runs after the last kill before the demo gives up on settling.
pub(super) const FINAL_RUNS: u32 = 8;
/// One malformed order per this many generated orders (at least one) with `--faults`.
pub(super) const MALFORMED_PER: u64 = 500;

/// The ledger side, as the demo parent holds it.
enum Side {
    Erp(Erp),
    Qbo {
        sandbox: QboSandbox,
        _served: Served,
    },
}

/// What the demo's people did between worker runs.
#[derive(Default)]
struct People {
    handled: BTreeSet<u64>,
    shipped: BTreeMap<u64, String>,
    completed: usize,
    refunded: usize,
    stock_changes: usize,
    rounds: u32,
}

pub(super) fn roll(seed: u64, id: u64) -> u64 {
    // splitmix64 of (seed, id): the same order gets the same fate whichever round sees it.
    let mut z = seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 100
}

/// The posted documents of the importable orders, read from the ledger: order id → ref.
async fn posted(side: &Side, settings: &Settings) -> Result<BTreeMap<u64, LedgerRef>, String> {
    let source = settings.sync.import_source_code;
    let mut out = BTreeMap::new();
    match side {
        Side::Erp(erp) => {
            for s in erp
                .sales_orders(Some(&source))
                .await
                .map_err(err("list the ERP's sales orders"))?
            {
                if let Some(id) = s
                    .import_id
                    .as_ref()
                    .and_then(|i| i.order().as_str().parse::<u64>().ok())
                {
                    out.insert(id, s.at);
                }
            }
        }
        Side::Qbo { sandbox, .. } => {
            for inv in sandbox.invoices() {
                let key = inv
                    .get("PrivateNote")
                    .and_then(Value::as_str)
                    .and_then(|n| n.strip_prefix("[bcsync:"))
                    .and_then(|n| n.split(']').next())
                    .and_then(|k| k.strip_prefix(source.as_str()))
                    .and_then(|k| k.parse::<u64>().ok());
                let id = inv.get("Id").and_then(Value::as_str);
                if let (Some(order), Some(id)) = (key, id) {
                    out.insert(order, LedgerRef::new(id));
                }
            }
        }
    }
    Ok(out)
}

impl People {
    /// How many things the people did so far.
    fn actions(&self) -> usize {
        self.shipped.len() + self.completed + self.refunded + self.stock_changes
    }

    /// Ships, completes and refunds newly posted orders (each by its own seeded roll), and
    /// changes some stock.
    async fn play(
        &mut self,
        side: &Side,
        sandbox: &BigCommerceSandbox,
        settings: &Settings,
        seen: &BTreeMap<u64, Decimal>,
        seed: u64,
    ) -> Result<(), String> {
        self.rounds += 1;
        for (id, at) in posted(side, settings).await? {
            if !seen.contains_key(&id) || !self.handled.insert(id) {
                continue;
            }
            let r = roll(seed, id);
            if r < 40 {
                let tracking = format!("1Z{:06}{:010}", seed % 1_000_000, id);
                let ok = match side {
                    Side::Erp(erp) => {
                        let ok = erp
                            .process_shipment(&at, &tracking, "ups", &[] as &[ShipmentLine])
                            .await
                            .is_ok();
                        if ok
                            && r < 10
                            && erp
                                .set_status(&at, SalesOrderStatus::Completed)
                                .await
                                .is_ok()
                        {
                            self.completed += 1;
                        }
                        ok
                    }
                    Side::Qbo { sandbox: q, .. } => q
                        .record_shipment(
                            &at.id,
                            &bc_sandbox_qbo::Shipment {
                                tracking_num: tracking.clone(),
                                ship_method: "UPS".into(),
                                ship_date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
                            },
                        )
                        .is_ok(),
                };
                if ok {
                    self.shipped.insert(id, tracking);
                }
            } else if r >= 95 && id % 2 == 0 {
                if let Some(total) = seen.get(&id) {
                    let amount = round_dp(*total / Decimal::from(4), 2);
                    if amount > Decimal::ZERO
                        && sandbox
                            .create_refund(id, amount, "Damaged in transit")
                            .is_ok()
                    {
                        self.refunded += 1;
                    }
                }
            }
        }
        if let Side::Erp(erp) = side {
            let skus = sandbox.skus();
            let n = skus.len().max(1);
            for k in 0..5 {
                let i = (self.rounds as usize * 5 + k) % n;
                if let Some(sku) = skus.get(i) {
                    let qty = Decimal::from(5 + (roll(seed, i as u64 + 7) % 50));
                    if erp.adjust_stock(sku, "MAIN", qty).await.is_ok() {
                        self.stock_changes += 1;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Sets `key = "value"` in `[table]` of a TOML text (replacing the key or adding it after the
/// table header; adding the table at the end when missing).
pub(super) fn set_key(text: &str, table: &str, key: &str, value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".into());
    set_raw(text, table, key, &quoted)
}

/// [`set_key`] with a value already in TOML syntax.
fn set_raw(text: &str, table: &str, key: &str, quoted: &str) -> String {
    let header = format!("[{table}]");
    let mut out = Vec::new();
    let (mut inside, mut done) = (false, false);
    for line in text.lines() {
        if line.starts_with('[') {
            if inside && !done {
                out.push(format!("{key} = {quoted}"));
                done = true;
            }
            inside = line.trim() == header;
        }
        if inside && !done && line.split('=').next().map(str::trim) == Some(key) {
            out.push(format!("{key} = {quoted}"));
            done = true;
            continue;
        }
        out.push(line.to_string());
    }
    if !done {
        if !inside {
            out.push(String::new());
            out.push(header);
        }
        out.push(format!("{key} = {quoted}"));
    }
    out.join("\n") + "\n"
}

/// The demo's worker processes: how to start the next one.
pub(super) struct Worker {
    pub(super) exe: PathBuf,
    pub(super) dir: PathBuf,
    pub(super) config: PathBuf,
    pub(super) token_file: Option<PathBuf>,
    pub(super) state_faults: f64,
    pub(super) seed: u64,
    pub(super) runs: u32,
    /// More arguments of every worker (`--jobs`, `--connection`).
    pub(super) extra_args: Vec<String>,
}

impl Worker {
    /// Starts the next worker: its child process and the file its stdout goes to.
    pub(super) fn spawn(&mut self) -> Result<(tokio::process::Child, PathBuf), String> {
        self.runs += 1;
        let out = self.dir.join(format!("worker-{}.out", self.runs));
        let log = self.dir.join(format!("worker-{}.log", self.runs));
        let file = |p: &Path| {
            std::fs::File::create(p).map_err(|e| format!("cannot create {}: {e}", p.display()))
        };
        let mut cmd = tokio::process::Command::new(&self.exe);
        cmd.arg("demo-worker")
            .arg("--config")
            .arg(&self.config)
            .arg("--state-faults")
            .arg(self.state_faults.to_string())
            .arg("--seed")
            .arg(self.seed.wrapping_add(u64::from(self.runs)).to_string())
            .arg("--timeout-ms")
            .arg(CLIENT_TIMEOUT_MS.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(file(&out)?))
            .stderr(Stdio::from(file(&log)?))
            .kill_on_drop(true);
        if let Some(t) = &self.token_file {
            cmd.arg("--token-file").arg(t);
        }
        cmd.args(&self.extra_args);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {} demo-worker: {e}", self.exe.display()))?;
        Ok((child, out))
    }

    /// Whether the last worker stopped because QuickBooks refused its refresh token (exit 5,
    /// "fix `ledger.refresh_token`"), read from its log.
    fn locked_out(&self) -> bool {
        let log = self.dir.join(format!("worker-{}.log", self.runs));
        std::fs::read_to_string(log).is_ok_and(|t| t.contains(LOCKED_OUT))
    }
}

/// The text at `key` of a JSON object, or "".
fn text_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// What a worker's last line says when QuickBooks refused its refresh token.
const LOCKED_OUT: &str = "the refresh token was refused";

/// The operator's `bcsync connect qbo` after a lock-out: consent again (the sandbox's
/// authorization code, as its consent redirect carries), the `authorization_code` grant at
/// the token endpoint over HTTP, and the new refresh token written where the workers read
/// it. With refresh tokens that rotate on every use and no grace for the one used (the
/// QuickBooks sandbox is that strict), a worker SIGKILLed after the token endpoint rotated
/// its token and before it saved the new one leaves no process a working token: no client
/// can close that window, and the documented remedy is this reconnection.
async fn reconnect_qbo(q: &QboSandbox, token_file: &Path) -> Result<(), String> {
    let c = q.credentials_json();
    let client = reqwest::Client::new();
    let mut last = String::new();
    for attempt in 0..10u64 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
        }
        let code = q.authorization_code();
        let answer = client
            .post(text_of(&c, "token_url"))
            .basic_auth(text_of(&c, "client_id"), Some(text_of(&c, "client_secret")))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://127.0.0.1:8080/callback"),
            ])
            .send()
            .await;
        match answer {
            Ok(r) if r.status().is_success() => {
                let body: Value = r
                    .json()
                    .await
                    .map_err(|e| format!("reconnect to QuickBooks: {e}"))?;
                let token = text_of(&body, "refresh_token");
                if token.is_empty() {
                    return Err("reconnect to QuickBooks: no refresh_token in the answer".into());
                }
                return write_durably(token_file, &token)
                    .map_err(|e| format!("cannot write {}: {e}", token_file.display()));
            }
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("reconnect to QuickBooks failed: {last}"))
}

pub(super) fn last_line(path: &Path) -> Value {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.lines().last().and_then(|l| serde_json::from_str(l).ok()))
        .unwrap_or(Value::Null)
}

/// The proxy in front of the BigCommerce sandbox that serves a seeded choice of `orders`
/// (one per [`MALFORMED_PER`] generated orders, at least one) malformed, when faults are on;
/// returns it with the orders it corrupts.
pub(super) async fn corrupting_proxy(
    addr: std::net::SocketAddr,
    orders: impl Iterator<Item = u64>,
    faults_on: bool,
    generated: u64,
    rng: &mut impl Rng,
) -> Result<(CorruptingProxy, BTreeSet<u64>), String> {
    let malformed: BTreeSet<u64> = if faults_on {
        let n = (generated / MALFORMED_PER).max(1) as usize;
        orders.choose_multiple(rng, n).into_iter().collect()
    } else {
        BTreeSet::new()
    };
    let proxy = CorruptingProxy::start(addr, malformed.clone())
        .await
        .map_err(|e| format!("cannot start the proxy: {e}"))?;
    Ok((proxy, malformed))
}

/// How one worker run ended.
pub(super) enum KillEnd {
    /// It ended by itself before its kill.
    ByItself,
    /// It was SIGKILLed with `open` writes between intent and done in the journal.
    Killed { open: usize },
}

/// Kills the worker `child` once: half the kills at a seeded delay (up to `max_delay_ms`),
/// half at a seeded moment within a write — once the parent sees an intent without its done
/// in the journal (polled every 20 ms), a seeded 0–30 ms later. A kill "in a write" waits
/// for one as long as the worker runs (at most 10 min): a worker with nothing to write ends by
/// itself. `kill` numbers the kill in the messages.
pub(super) async fn kill_one(
    child: &mut tokio::process::Child,
    rng: &mut impl Rng,
    max_delay_ms: u64,
    watch: &dyn StateStore,
    quiet: bool,
    run: u32,
    kill: u32,
) -> Result<KillEnd, String> {
    let delay = Duration::from_millis(rng.gen_range(500..=max_delay_ms));
    let in_write = rng.gen_bool(0.5);
    let extra = Duration::from_millis(rng.gen_range(0..30));
    let t0 = Instant::now();
    let pending = || async {
        watch
            .journal_pending()
            .await
            .map(|p| p.len())
            .map_err(err("read the journal after a kill"))
    };
    let deadline = tokio::time::sleep(if in_write {
        Duration::from_secs(600)
    } else {
        delay
    });
    tokio::pin!(deadline);
    let ended = loop {
        tokio::select! {
            status = child.wait() => break Some(status.map_err(|e| format!("worker: {e}"))?),
            _ = &mut deadline => break None,
            _ = tokio::time::sleep(Duration::from_millis(20)), if in_write => {
                if pending().await.unwrap_or(0) > 0 {
                    tokio::time::sleep(extra).await;
                    break None;
                }
            }
        }
    };
    if let Some(status) = ended {
        if !quiet {
            eprintln!("worker {run} ended by itself ({status}) before its kill");
        }
        return Ok(KillEnd::ByItself);
    }
    child
        .start_kill()
        .map_err(|e| format!("cannot kill the worker: {e}"))?;
    child.wait().await.map_err(|e| format!("worker: {e}"))?;
    let open = pending().await?;
    if !quiet {
        eprintln!(
            "kill {kill} ({}) after {} ms: {open} write(s) between intent and done",
            if in_write { "in a write" } else { "timed" },
            t0.elapsed().as_millis()
        );
    }
    Ok(KillEnd::Killed { open })
}

/// Runs the demo with `--kills` and returns its summary.
pub(super) async fn run(args: DemoArgs) -> Result<Summary, String> {
    let started = Instant::now();
    let quiet = args.json;
    if let Some(url) = &args.state {
        return Err(format!(
            "--state {} with --kills: unsupported — the workers of this demo pair share a SQLite state file in the demo's folder, and the demo watches its journal for kills in a write",
            bc_state::redact_url(url)
        ));
    }
    let dir = work_dir(&args)?;
    let faults_on = args.faults > 0.0;
    let plan = |stream: u64| {
        if faults_on {
            let mut p = FaultPlan::uniform(args.seed.wrapping_add(stream), args.faults);
            p.hang_ms = HANG_MS;
            p
        } else {
            FaultPlan::none()
        }
    };
    let mut text = demo_settings_text(args.ledger)?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ 0x6b11);

    // The storefront, served, behind the corrupting proxy.
    let sandbox = BigCommerceSandbox::new(SandboxConfig {
        quota: args.quota.div_ceil(10).max(1),
        window_ms: 3_000,
        faults: FaultPlan::none(),
        ..SandboxConfig::default()
    });
    sandbox.seed_orders(args.orders, args.seed);
    let seen = importable(&sandbox);
    let bc_served = bc_sandbox::serve::serve(sandbox.router(), 0)
        .await
        .map_err(|e| format!("cannot serve the BigCommerce sandbox: {e}"))?;
    let (proxy, malformed) = corrupting_proxy(
        bc_served.addr,
        seen.keys().copied(),
        faults_on,
        args.orders,
        &mut rng,
    )
    .await?;
    let creds = sandbox.credentials_json();
    let s = text_of;
    text = set_key(&text, "storefront", "store_hash", &s(&creds, "store_hash"));
    text = set_key(
        &text,
        "storefront",
        "access_token",
        &s(&creds, "access_token"),
    );
    text = set_key(&text, "storefront", "base_url", &proxy.base_url);
    text = set_raw(
        &text,
        "storefront",
        "requests_per_window",
        &args.quota.to_string(),
    );

    // The ledger.
    let state_path = dir.join("state.sqlite");
    let mut token_file = None;
    let settings_for_erp =
        Settings::from_toml_str(&text).map_err(|e| format!("demo settings: {e}"))?;
    let side = match args.ledger {
        // `demo::run` sends these to `cycle`; never reached from there.
        DemoLedger::Bc365 | DemoLedger::Acumatica => {
            return Err(format!(
                "--ledger {:?} runs through the platforms' cycle, not this path",
                args.ledger
            ))
        }
        DemoLedger::Acctvantage => {
            let path = dir.join("erp.sqlite");
            text = set_key(&text, "ledger", "path", &path.to_string_lossy());
            let erp = Erp::open_with(&path, ErpOptions::from_settings(&settings_for_erp))
                .await
                .map_err(err("open the embedded ERP"))?;
            erp.prepare_for(&settings_for_erp)
                .await
                .map_err(err("prepare the ERP"))?;
            Side::Erp(erp)
        }
        DemoLedger::Qbo => {
            let qbo = QboSandbox::new(QboConfig {
                multicurrency: true,
                seed: args.seed,
                ..QboConfig::default()
            });
            let served = qbo
                .serve(0)
                .await
                .map_err(|e| format!("cannot serve the QuickBooks sandbox: {e}"))?;
            let c = qbo.credentials_json();
            for key in [
                "realm_id",
                "client_id",
                "client_secret",
                "base_url",
                "token_url",
            ] {
                text = set_key(&text, "ledger", key, &s(&c, key));
            }
            text = set_key(&text, "ledger", "refresh_token", "see --token-file");
            let file = dir.join("qbo-refresh-token");
            write_durably(&file, &s(&c, "refresh_token"))
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            token_file = Some(file);
            qbo.set_fault_plan(qbo_plan(plan(2)));
            Side::Qbo {
                sandbox: qbo,
                _served: served,
            }
        }
    };
    text = set_key(
        &text,
        "state",
        "url",
        &format!("sqlite://{}", state_path.to_string_lossy()),
    );
    let settings =
        Settings::from_toml_str(&text).map_err(|e| format!("demo worker settings: {e}"))?;
    let config = dir.join("worker.toml");
    std::fs::write(&config, &text)
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
    sandbox.faults().set_plan(plan(1));

    // Expired access tokens at seeded moments (QuickBooks).
    let expiries = Arc::new(AtomicU32::new(0));
    let expirer = match (&side, faults_on) {
        (Side::Qbo { sandbox: q, .. }, true) => {
            let (q, n) = (q.clone(), expiries.clone());
            let mut r = ChaCha8Rng::seed_from_u64(args.seed ^ 0x7043);
            Some(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(r.gen_range(3_000..15_000))).await;
                    q.expire_access_tokens();
                    n.fetch_add(1, Ordering::SeqCst);
                }
            }))
        }
        _ => None,
    };

    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut worker = Worker {
        exe,
        dir: dir.clone(),
        config,
        token_file,
        state_faults: args.faults / 10.0,
        seed: args.seed,
        runs: 0,
        extra_args: Vec::new(),
    };
    // The parent's own look at the journal (created here, before any worker).
    let watch = SqliteStateStore::open(&state_path)
        .await
        .map_err(err("open the state store"))?;
    // Kills spread over about the time an import of this size takes.
    let max_delay_ms = 3_000 + args.orders.saturating_mul(3);
    let mut people = People::default();
    let (mut kills, mut in_window) = (0u32, 0u32);
    let mut reconnects = 0u32;
    // After each worker: the operator's reconnection when QuickBooks locked it out.
    let reconnect = |worker: &Worker| {
        let target = match (&side, &worker.token_file) {
            (Side::Qbo { sandbox: q, .. }, Some(file)) if worker.locked_out() => {
                Some((q.clone(), file.clone()))
            }
            _ => None,
        };
        async move {
            match target {
                Some((q, file)) => {
                    if !quiet {
                        eprintln!("QuickBooks refused the workers' refresh token: reconnecting (`bcsync connect qbo`)");
                    }
                    reconnect_qbo(&q, &file).await.map(|()| 1)
                }
                None => Ok(0),
            }
        }
    };
    let mut tries = 0u32;
    while kills < args.kills && tries < args.kills.saturating_mul(4).saturating_add(8) {
        tries += 1;
        let (mut child, _) = worker.spawn()?;
        if let KillEnd::Killed { open } = kill_one(
            &mut child,
            &mut rng,
            max_delay_ms,
            &watch,
            quiet,
            worker.runs,
            kills + 1,
        )
        .await?
        {
            kills += 1;
            in_window += u32::from(open > 0);
        }
        reconnects += reconnect(&worker).await?;
        people
            .play(&side, &sandbox, &settings, &seen, args.seed)
            .await?;
    }

    // The last workers run to the end; the people then act on what they posted, and a worker
    // syncs that too, until the people have nothing new to do.
    let mut last = Value::Null;
    let mut settled = false;
    let mut final_runs = 0;
    loop {
        let before = people.actions();
        people
            .play(&side, &sandbox, &settings, &seen, args.seed)
            .await?;
        if settled && people.actions() == before {
            break;
        }
        settled = false;
        while final_runs < FINAL_RUNS && !settled {
            final_runs += 1;
            let (mut child, out) = worker.spawn()?;
            let status = child.wait().await.map_err(|e| format!("worker: {e}"))?;
            last = last_line(&out);
            settled = status.success();
            reconnects += reconnect(&worker).await?;
            if !settled && !quiet {
                eprintln!(
                    "worker {} stopped with {status} (exit {EXIT_WORK_LEFT} = work left); running another",
                    worker.runs
                );
            }
        }
        if !settled {
            break;
        }
    }
    if let Some(t) = expirer {
        t.abort();
    }
    if !settled && !quiet {
        eprintln!("the workers did not settle in {FINAL_RUNS} runs; reconciling what is there");
    }

    // Reconciliation from both sides' own state.
    let state = watch;
    let view = match &side {
        Side::Erp(erp) => LedgerView::Erp(erp),
        Side::Qbo { sandbox: q, .. } => LedgerView::Qbo(q),
    };
    let r = reconcile::reconcile(
        &view,
        &sandbox,
        &state,
        &settings,
        &seen,
        &malformed,
        &people.shipped,
    )
    .await?;
    let served = proxy.served();
    let mut malformed_orders = r.malformed;
    for (order, what) in malformed_orders.iter_mut() {
        let n = order
            .parse::<u64>()
            .ok()
            .and_then(|o| served.get(&o).copied())
            .unwrap_or(0);
        *what = format!("served malformed {n} time(s); {what}");
    }
    let state_faults = (1..=worker.runs)
        .map(|n| {
            last_line(&dir.join(format!("worker-{n}.out")))["state_faults"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum();
    let mut faults = injected(&sandbox.faults().counts());
    let mut requests_per_order = BTreeMap::new();
    let n = seen.len().max(1) as f64;
    requests_per_order.insert(
        "storefront".to_string(),
        round2(sandbox.stats().total as f64 / n),
    );
    if let Side::Qbo { sandbox: q, .. } = &side {
        faults += injected(&q.faults().counts());
        requests_per_order.insert(
            "ledger".to_string(),
            round2(q.stats().snapshot().total as f64 / n),
        );
    } else {
        requests_per_order.insert("ledger".to_string(), 0.0);
    }
    let mut jobs: BTreeMap<String, String> = last["jobs"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    jobs.insert(
        "people".into(),
        format!(
            "{} rounds: {} shipments ({} completed) in the ledger, {} refunds in the storefront, {} stock changes",
            people.rounds,
            people.shipped.len(),
            people.completed,
            people.refunded,
            people.stock_changes
        ),
    );
    let fmt = |m: &BTreeMap<bc_core::Currency, Decimal>| {
        m.iter()
            .map(|(c, v)| (c.to_string(), v.normalize().to_string()))
            .collect()
    };
    let summary = Summary {
        orders_seen: seen.len(),
        settings_file: None,
        ledger_rate_limited: None,
        posted: r.documents.posted,
        exceptions: r.documents.excepted,
        exception_reasons: r.exception_reasons,
        lost: r.documents.lost,
        duplicated: r.documents.duplicated,
        storefront_total: fmt(&r.storefront_total),
        ledger_total: fmt(&r.ledger_total),
        requests_per_order,
        crashes: 0,
        faults,
        jobs,
        elapsed_ms: started.elapsed().as_millis(),
        killed: Some(KillSummary {
            kills,
            kills_in_write_window: in_window,
            worker_runs: worker.runs,
            documents: r.documents,
            receipts: r.receipts,
            credit_memos: r.credit_memos,
            shipments: r.shipments,
            malformed_orders,
            expected_reasons: EXPECTED_REASONS.iter().map(|s| s.to_string()).collect(),
            state_faults,
            token_expiries: expiries.load(Ordering::SeqCst),
            reconnects,
            last_worker: last,
        }),
        platforms: None,
    };
    drop(proxy);
    drop(bc_served);
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(summary)
}

/// The QuickBooks Online sandbox's faults, with the OAuth token endpoint's answers kept: its
/// refresh tokens rotate (the one used dies at once), so an answer lost after a refresh leaves
/// no working token for any client — the merchant must run `bcsync connect qbo` again, which
/// bcsync reports as exit 5 naming the setting. The demo measures the rest; 429s, 5xx and
/// resets before the handler still hit the token endpoint.
pub(super) fn qbo_plan(mut plan: FaultPlan) -> FaultPlan {
    plan.answers_kept = vec!["/oauth2/v1/tokens".into()];
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_set_in_their_table() {
        let t = "[a]\nx = \"1\"\n\n[b]\ny = \"2\"\n";
        let t = set_key(t, "a", "x", "9");
        let t = set_key(&t, "a", "z", "8");
        let t = set_key(&t, "c", "w", "7");
        assert_eq!(
            t,
            "[a]\nx = \"9\"\n\nz = \"8\"\n[b]\ny = \"2\"\n\n[c]\nw = \"7\"\n"
        );
    }

    #[test]
    fn an_order_keeps_its_fate() {
        assert_eq!(roll(1, 100), roll(1, 100));
        let spread: BTreeSet<u64> = (0..1000).map(|i| roll(1, i)).collect();
        assert!(spread.len() > 90);
    }
}
