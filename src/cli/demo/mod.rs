//! `bcsync demo`: the whole order-to-cash cycle on embedded defaults.
//!
//! Starts the BigCommerce sandbox, generates orders, syncs them into the embedded
//! AcctVantage-style ERP (or the QuickBooks Online sandbox), plays the part of the people in
//! the ERP (shipments, stock changes, completed orders) and of the merchant (refunds), runs
//! every job, and ends with a reconciliation computed from both sides' own state: what the
//! sandbox and the ledger hold, not what the engine says it did.
//!
//! Two ways to run it:
//!
//! - **in-process** (default; [`inprocess`]): the engine runs in this process over the
//!   sandboxes' routers, and `--crashes N` drops its future at seeded random moments;
//! - **`--kills N`** ([`kills`]): the sandboxes are served on loopback TCP, the engine runs as
//!   child processes of this binary (the hidden `demo-worker` command, [`worker`]), and the
//!   demo SIGKILLs them at seeded random moments, N times, restarting each time on the same
//!   state file and ERP file. With `--faults RATE` every job meets 429s, 5xx, connection
//!   resets, commit-then-fail, responses hung past the client timeout, expired QuickBooks
//!   access tokens, state-store "database is busy" errors, and one malformed order per 500
//!   (served by a corrupting proxy in front of the BigCommerce sandbox, [`proxy`]).
//!
//! ## What counts as lost or duplicated (`--kills`)
//!
//! [`reconcile`] reads the BigCommerce sandbox's and the ledger's own state, per entity kind:
//! documents (one per importable order), receipts (one per storefront payment of a posted
//! order), credit memos (one per storefront refund), shipments (one storefront shipment per
//! tracking number shipped in the ledger). An item is **duplicated** for every copy beyond
//! the first. It is **not lost** only when it is there exactly once, or when it is in the
//! exception queue, open, with a reason from this list of expected reasons:
//!
//! 1. `unreadable` (or a permanent error of kind `invalid`) — the order's payload cannot be
//!    parsed, **and** the order is one the demo's proxy corrupted on purpose. The corrupted orders
//!    must be in the exception queue under their own order id; the summary names them
//!    (`malformed_orders`).
//!
//! 2. `unmapped tax zone` (issue `unmapped_tax_zone`), with `--ledger bc365` only: the order
//!    is one of the store's Japanese (JPY) orders, whose tax rates the demo's settings leave
//!    out of `tax_map` on purpose to show the queue.
//!
//! Nothing else is expected: a temporary reason (rate limit, outage, unknown outcome) left in
//! the queue at the end, another mapping issue, or an item that is nowhere, counts as lost.
//! One kind of absence is neither: a credit memo **waiting** for its order's invoice in
//! Acumatica (the ledger cannot apply it yet; the refunds job retries it each run), counted
//! as `waiting` and checked against the sandbox (no released invoice for the order).
//!
//! Business Central, Acumatica and Magento ([`platforms`]) run through [`cycle`]: in-process,
//! or with `--kills` as the same killed workers over the sandboxes served on loopback
//! (BigCommerce behind the corrupting proxy; Magento served directly, without malformed
//! orders). With Acumatica the ERP user also enters orders (seed 003), reconciled both ways.

mod cycle;
pub mod faulty_state_shim;
mod inprocess;
pub mod kills;
pub mod platforms;
pub mod proxy;
pub mod qbo_settings;
pub mod reconcile;
pub mod worker;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use bc_core::Settings;
use bc_engine::{ExceptionReason, RunReport};
use bc_http::RetryPolicy;
use bc_sandbox_bigcommerce::BigCommerceSandbox;
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use serde::Serialize;

/// The settings the demo runs with.
pub const DEMO_SETTINGS: &str = include_str!("../demo_settings.toml");

/// The BigCommerce status orders are imported from, and the one they move to.
const AWAITING_FULFILLMENT: u8 = 11;

/// Which ledger the demo posts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoLedger {
    /// The embedded AcctVantage-style ERP (SQLite).
    Acctvantage,
    /// The QuickBooks Online sandbox.
    Qbo,
    /// The Business Central sandbox (CRONUS UK Ltd., a VAT company).
    Bc365,
    /// The Acumatica sandbox.
    Acumatica,
}

/// Which storefront the demo imports from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoStorefront {
    /// The BigCommerce sandbox.
    Bigcommerce,
    /// The Magento sandbox.
    Magento,
}

/// Options of `bcsync demo`.
#[derive(Clone, Debug, clap::Args)]
pub struct DemoArgs {
    /// Orders to generate in the BigCommerce sandbox (about a third await fulfilment and are
    /// imported; the rest are history: shipped, completed, refunded…).
    #[arg(long, default_value_t = 1000)]
    pub orders: u64,
    /// Seed of the generated store, orders, faults and crash points.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The ledger.
    #[arg(long, value_enum, default_value_t = DemoLedger::Acctvantage)]
    pub ledger: DemoLedger,
    /// The storefront.
    #[arg(long, value_enum, default_value_t = DemoStorefront::Bigcommerce)]
    pub storefront: DemoStorefront,
    /// The engine's state store: `sqlite://PATH` or `postgres://…` (default: a SQLite file in
    /// the demo's folder). With `--kills` every worker gets it.
    #[arg(long)]
    pub state: Option<String>,
    /// Share of sandbox requests that fail (0.0–1.0): 5xx and 429, connection resets,
    /// "commit then fail" (the write happens, the answer is lost), hangs. With `--kills`
    /// also expired access tokens, state-store "busy" errors and one malformed order per 500.
    #[arg(long, default_value_t = 0.0)]
    pub faults: f64,
    /// In-process: times the engine's future is dropped mid-import (at seeded random moments)
    /// and a new engine opened on the same state file. Ignored with `--kills`.
    #[arg(long, default_value_t = 0)]
    pub crashes: u32,
    /// Run the engine as child processes and SIGKILL them this many times at seeded random
    /// moments, restarting on the same state (0 = the in-process demo).
    #[arg(long, default_value_t = 0)]
    pub kills: u32,
    /// The BigCommerce store's request quota per 30 s window (the Standard plan has 150; the
    /// demo's store is on a larger plan so that 1,000 orders take seconds, not minutes).
    #[arg(long, default_value_t = 6000)]
    pub quota: u32,
    /// Where the ERP and state files go (default: a new folder under the system temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// (From the global `--json`.) Print the summary as one JSON object.
    #[arg(skip)]
    pub json: bool,
}

/// The reconciliation summary (`--json` prints it).
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Orders in an importable status when the run began.
    pub orders_seen: usize,
    /// Of those, orders with a document in the ledger.
    pub posted: usize,
    /// Of those, orders without a document that are in the exception queue.
    pub exceptions: usize,
    /// Exceptions grouped by reason.
    pub exception_reasons: BTreeMap<String, usize>,
    /// Orders with neither a ledger document nor an exception.
    pub lost: usize,
    /// Ledger documents beyond one per import id.
    pub duplicated: usize,
    /// Σ of the storefront totals of the posted orders, per currency.
    pub storefront_total: BTreeMap<String, String>,
    /// Σ of the ledger totals of their documents, per currency.
    pub ledger_total: BTreeMap<String, String>,
    /// Requests per order seen, by side.
    pub requests_per_order: BTreeMap<String, f64>,
    /// Crashes actually injected (in-process).
    pub crashes: u32,
    /// Faults injected by the sandboxes.
    pub faults: u64,
    /// What the jobs did.
    pub jobs: BTreeMap<String, String>,
    /// Wall time.
    pub elapsed_ms: u128,
    /// Requests the ledger sandbox's own rate limiter answered 429 (QBO, in-process demo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_rate_limited: Option<u64>,
    /// A working settings file for this pair, written into the demo's folder to start from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings_file: Option<String>,
    /// With `--kills`: kills, per-kind reconciliation, malformed orders.
    #[serde(flatten)]
    pub killed: Option<reconcile::KillSummary>,
    /// Business Central, Acumatica, Magento: the platforms, the audit, ERP orders.
    #[serde(flatten)]
    pub platforms: Option<cycle::PlatformSummary>,
}

/// Runs the demo and returns its summary: in-process, or with `--kills` as child processes.
pub async fn run(mut args: DemoArgs) -> Result<Summary, String> {
    if !(0.0..=1.0).contains(&args.faults) {
        return Err(format!(
            "--faults {} must be between 0.0 and 1.0",
            args.faults
        ));
    }
    let original = args.storefront == DemoStorefront::Bigcommerce
        && matches!(args.ledger, DemoLedger::Acctvantage | DemoLedger::Qbo);
    if args.storefront == DemoStorefront::Magento && args.ledger == DemoLedger::Bc365 {
        // Tried: a third of the Magento orders stop at `rounding_beyond_tolerance`, the
        // store's US rates (NY 8.875 %) having no VAT posting setup of that rate yet.
        return Err(
            "--storefront magento --ledger bc365: unsupported — the demo's Business Central company has no VAT posting setups for the Magento store's rates yet (use --ledger acctvantage or acumatica)"
                .into(),
        );
    }
    if args.storefront == DemoStorefront::Magento && args.ledger == DemoLedger::Qbo {
        return Err("--storefront magento --ledger qbo: not a demo pair (use --ledger acctvantage, bc365 or acumatica)".into());
    }
    let dir = work_dir(&args)?;
    args.dir = Some(dir.clone());
    let settings_file = write_settings_file(&args, &dir)?;
    let mut summary = match (args.kills > 0, original) {
        (true, true) => kills::run(args).await,
        (false, true) => inprocess::run(args).await,
        (true, false) => cycle::run_kills(args).await,
        (false, false) => cycle::run(args).await,
    }?;
    summary.settings_file = settings_file;
    Ok(summary)
}

/// Writes `bcsync.toml` into the demo's folder: the demo's settings for this pair, pointing
/// at the folder's state store (and, for the embedded ERP, its database), so that a user can
/// start from a working file (`bcsync sandbox bigcommerce` serves a store to point it at).
fn write_settings_file(args: &DemoArgs, dir: &std::path::Path) -> Result<Option<String>, String> {
    if args.storefront != DemoStorefront::Bigcommerce
        || !matches!(args.ledger, DemoLedger::Acctvantage | DemoLedger::Qbo)
    {
        return Ok(None);
    }
    let mut text = demo_settings_text(args.ledger)?;
    text = text.replacen(
        "[storefront]\n",
        "[storefront]\n# The demo ran its store in-process. To sync a store of your own, start one with\n# `bcsync sandbox bigcommerce --orders 100` and set its URL here:\n# base_url = \"http://127.0.0.1:PORT\"\n",
        1,
    );
    if args.ledger == DemoLedger::Acctvantage {
        text = text.replacen(
            "[ledger]\nplatform = \"acctvantage\"\n",
            &format!(
                "[ledger]\nplatform = \"acctvantage\"\npath = {:?}\n",
                dir.join("erp.sqlite").to_string_lossy()
            ),
            1,
        );
    }
    text.push_str(&format!("\n[state]\nurl = {:?}\n", state_url(args, dir)));
    if Settings::from_toml_str(&text).is_err() {
        // Never hand a user a file that does not load.
        return Ok(None);
    }
    let path = dir.join("bcsync.toml");
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Some(path.to_string_lossy().into_owned()))
}

/// The state store URL of a demo run: `--state`, or the SQLite file in its folder.
fn state_url(args: &DemoArgs, dir: &std::path::Path) -> String {
    args.state
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("state.sqlite").to_string_lossy()))
}

fn err(context: &str) -> impl Fn(bc_core::Error) -> String + '_ {
    move |e| format!("{context}: {e}")
}

fn progress(len: u64, label: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:40}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar
}

fn demo_settings(ledger: DemoLedger) -> Result<Settings, String> {
    let text = demo_settings_text(ledger)?;
    Settings::from_toml_str(&text).map_err(|e| format!("demo settings: {e}"))
}

/// The demo settings as TOML text, with the QuickBooks names when `ledger` is QBO.
fn demo_settings_text(ledger: DemoLedger) -> Result<String, String> {
    if ledger == DemoLedger::Qbo {
        qbo_settings::qbo_text(DEMO_SETTINGS)
    } else {
        Ok(DEMO_SETTINGS.to_string())
    }
}

fn work_dir(args: &DemoArgs) -> Result<PathBuf, String> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!(
            "bcsync-demo-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_millis()
        )),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

fn fast_retry(seed: u64) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(8)
        .with_backoff(Duration::from_millis(2), Duration::from_millis(100))
        .with_seed(seed)
}

fn importable(sandbox: &BigCommerceSandbox) -> BTreeMap<u64, Decimal> {
    sandbox
        .orders()
        .into_iter()
        .filter(|o| o.status_id == AWAITING_FULFILLMENT)
        .map(|o| (o.id, o.total_inc_tax))
        .collect()
}

fn injected(c: &bc_sandbox::faults::FaultCounts) -> u64 {
    c.status + c.reset + c.commit_then_fail + c.commit_then_reset + c.hang
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn describe(r: &RunReport) -> String {
    let mut s = format!(
        "seen {}, done {}, skipped {}, failed {}",
        r.seen,
        r.done,
        r.skipped,
        r.failed.len()
    );
    if r.adopted > 0 {
        s.push_str(&format!(", adopted {}", r.adopted));
    }
    if let Some(note) = r.notes.first() {
        s.push_str(&format!(" ({note})"));
    }
    if let Some(f) = r.failed.first() {
        s.push_str(&format!(
            "; e.g. {} {}: {}",
            f.entity.as_str(),
            f.key,
            f.reasons.first().map(String::as_str).unwrap_or("")
        ));
    }
    s
}

fn reason_group(reasons: &[ExceptionReason]) -> String {
    match reasons.first() {
        Some(ExceptionReason::Mapping { issue }) => issue.code.to_string(),
        Some(ExceptionReason::Error { kind, .. }) => kind.clone(),
        Some(ExceptionReason::Unreadable { .. }) => "unreadable".into(),
        None => "unknown".into(),
    }
}

/// Prints the summary for a person.
pub fn print(summary: &Summary, ledger: DemoLedger) {
    let ok = |b: bool| if b { "ok" } else { "MISMATCH" };
    outln!();
    outln!("Reconciliation (read from the BigCommerce sandbox and the {ledger:?} ledger)");
    outln!(
        "  orders seen (awaiting fulfilment) {:>8}",
        summary.orders_seen
    );
    outln!("  posted to the ledger              {:>8}", summary.posted);
    outln!(
        "  in the exception queue            {:>8}",
        summary.exceptions
    );
    for (reason, n) in &summary.exception_reasons {
        outln!("      {reason:<30} {n:>6}");
    }
    outln!("  lost                              {:>8}", summary.lost);
    outln!(
        "  duplicated                        {:>8}",
        summary.duplicated
    );
    let same = summary.storefront_total == summary.ledger_total;
    for (cur, total) in &summary.storefront_total {
        let l = summary
            .ledger_total
            .get(cur)
            .map(String::as_str)
            .unwrap_or("0");
        outln!(
            "  {cur} storefront {total:>14}   ledger {l:>14}   {}",
            ok(total == l)
        );
    }
    outln!(
        "  storefront total = ledger total: {}",
        if same { "yes" } else { "NO" }
    );
    for (side, n) in &summary.requests_per_order {
        outln!("  requests per order, {side:<10} {n:>8}");
    }
    if let Some(n) = summary.ledger_rate_limited {
        outln!("  ledger answers 429 (its limiter) {n:>8}");
    }
    if summary.crashes > 0 || summary.faults > 0 {
        outln!(
            "  crashes injected {}, faults injected {}",
            summary.crashes,
            summary.faults
        );
    }
    if let Some(k) = &summary.killed {
        outln!(
            "  worker processes killed {} ({} between an intent and its done), {} runs",
            k.kills,
            k.kills_in_write_window,
            k.worker_runs
        );
        for (kind, c) in [
            ("documents", &k.documents),
            ("receipts", &k.receipts),
            ("credit memos", &k.credit_memos),
            ("shipments", &k.shipments),
        ] {
            match &c.unchecked {
                Some(why) => outln!("  {kind:<13} not checked: {why}"),
                None => outln!(
                    "  {kind:<13} expected {:>6}  posted {:>6}  excepted {:>4}  lost {:>3} {}  duplicated {:>3} {}",
                    c.expected,
                    c.posted,
                    c.excepted,
                    c.lost,
                    ok(c.lost == 0),
                    c.duplicated,
                    ok(c.duplicated == 0)
                ),
            }
        }
        for (order, why) in &k.malformed_orders {
            outln!("  malformed order {order}: {why}");
        }
    }
    if let Some(f) = &summary.settings_file {
        outln!("  settings to start from: {f}");
    }
    if let Some(p) = &summary.platforms {
        outln!(
            "  {} → {} (state store: {})",
            p.storefront_platform,
            p.ledger_platform,
            p.state_store
        );
        if let Some(k) = &p.kinds {
            for (kind, c) in [
                ("documents", &k.documents),
                ("receipts", &k.receipts),
                ("credit memos", &k.credit_memos),
                ("shipments", &k.shipments),
            ] {
                outln!(
                    "  {kind:<13} expected {:>6}  posted {:>6}  excepted {:>4}  lost {:>3} {}  duplicated {:>3} {}",
                    c.expected,
                    c.posted,
                    c.excepted,
                    c.lost,
                    ok(c.lost == 0),
                    c.duplicated,
                    ok(c.duplicated == 0)
                );
                for e in &c.examples {
                    outln!("      {e}");
                }
            }
        }
        if let Some(e) = &p.erp_orders {
            outln!(
                "  ERP orders    entered {}  qualifying {}  in the storefront {}  lost {} {}  duplicated {} {}  too early {}",
                e.entered,
                e.qualifying,
                e.in_storefront,
                e.lost,
                ok(e.lost == 0),
                e.duplicated,
                ok(e.duplicated == 0),
                e.created_too_early
            );
            outln!(
                "                shipments back {}/{}  invoices back {}/{}",
                e.shipments_in_storefront,
                e.shipments_confirmed,
                e.invoiced_in_storefront,
                e.invoices_released
            );
        }
        if let Some(min) = p.storefront_api_minimum_per_order {
            outln!("  storefront API minimum per order  {min:>8}");
        }
        for f in &p.audit_findings {
            outln!("  audit: {f}");
        }
    }
    outln!("Jobs");
    for (job, what) in &summary.jobs {
        outln!("  {job:<10} {what}");
    }
    outln!("Elapsed {:.1} s", summary.elapsed_ms as f64 / 1000.0);
}
