//! A fleet of connections for worker-process tests and benches: each connection is its own
//! BigCommerce sandbox store, served on a loopback port by the parent process with the
//! platform's request rate, and its own embedded ERP (`bc_connector_acctvantage::Erp`) on
//! its own SQLite file. Workers are child processes (the test or bench binary re-executed
//! with [`CHILD_VAR`] set) running [`bc_state::worker::run_worker`] on one PostgreSQL state
//! database; the parent reconciles each store with its ERP and checks the fencing tokens
//! recorded with every write.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bc_connector_acctvantage::{AcctvantageConfig, Erp, ErpOptions};
use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
use bc_core::{Ledger, Settings, Storefront};
use bc_engine::{Engine, EngineOptions, EntityKind, ExceptionFilter, Job, StateStore};
use bc_http::{RateLimits, ReqwestTransport, RetryPolicy};
use bc_sandbox_bigcommerce::{BigCommerceConfig as SandboxConfig, BigCommerceSandbox};
use bc_state::worker::{run_worker, WorkerOptions};
use bc_state::{PostgresOptions, PostgresStateStore};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// Set in a child process: the path of the fleet file it works from.
pub const CHILD_VAR: &str = "BCSYNC_FLEET_WORKER";
/// Set in a child process: its worker identity.
pub const IDENTITY_VAR: &str = "BCSYNC_FLEET_IDENTITY";

/// The BigCommerce sandbox's status of an order waiting to be imported.
pub const AWAITING_FULFILLMENT: u8 = 11;
/// The BigCommerce sandbox's status `Manual Verification Required`: the fleet settings'
/// `import_error_status`, which the engine gives an order it files in the exception queue.
pub const MANUAL_VERIFICATION: u8 = 12;

/// What every worker process reads: the state database and each connection's endpoints.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FleetFile {
    /// The PostgreSQL server.
    pub url: String,
    /// The schema of this run's state database.
    pub schema: String,
    /// Claim and engine lease TTL, ms.
    pub ttl_ms: u64,
    /// A unit is due again this long after a run, ms.
    pub interval_ms: u64,
    /// The storefront's request quota per window and the window, ms (the platform's rate).
    pub quota: u32,
    /// Window of the quota, ms.
    pub window_ms: u64,
    /// Units a worker runs at once.
    pub max_units: usize,
    /// Engine concurrency (orders in flight per run).
    pub concurrency: usize,
    /// Orders asked of the store per page (the engine writes after each page).
    pub page_size: u32,
    /// Per connection: the settings text (storefront base URL, ERP file).
    pub connections: BTreeMap<String, String>,
    /// A worker stops (gracefully) once this file exists.
    pub stop_file: PathBuf,
}

/// Sync settings of one connection: the demo's mapping of the BigCommerce sandbox to the
/// embedded ERP's chart of accounts, orders only.
pub fn settings_text(store_hash: &str, base_url: &str, erp_path: &Path) -> String {
    format!(
        r#"
[storefront]
platform = "bigcommerce"
store_hash = "{store_hash}"
access_token = "sandbox-access-token-0123456789abcdef"
base_url = "{base_url}"

[ledger]
platform = "acctvantage"
path = "{erp}"

[sync]
import_source_code = "BC1"
timezone = "America/Chicago"

[orders]
new_order_status = ["Awaiting Fulfillment"]
downloaded_status = "Awaiting Shipment"
import_error_status = "Manual Verification Required"
document_kind = "invoice"
order_number_prefix = "BC-"
match_client_by_email = true
create_missing_items = true

[orders.new_items]
item_type = "inventory"
income_account = "4000"
expense_account = "5000"
cogs_account = "5000"
asset_account = "1200"

[posting]
discount_gl = "4900"
gift_card_liability_gl = "2300"
store_credit_gl = "2310"
shipping_gl = "4100"
handling_gl = "4110"
wrapping_gl = "4120"
rounding_gl = "6990"
rounding_tolerance = "0.05"
due_date_offset_days = 30

[tax_map]
"Texas State Tax" = "TX"
"Austin City Tax" = "TX-AUS"
"California State Tax" = "CA"
"District Tax" = "CA-DIST"
"HST" = "ON-HST"
"MwSt 19%" = "DE-19"
"MwSt 7%" = "DE-7"
"TVA 20%" = "FR-20"
"TVA 5.5%" = "FR-5.5"
"Consumption Tax" = "JP-10"
"Reduced Consumption Tax" = "JP-8"

[payment_map]
credit_card = {{ receipt_type = "CARD", deposit_account = "1050" }}
offsite = {{ receipt_type = "PAYPAL", deposit_account = "1050" }}
"Credit Card" = {{ receipt_type = "CARD", deposit_account = "1050" }}
PayPal = {{ receipt_type = "PAYPAL", deposit_account = "1050" }}
"Purchase Order" = {{ open_ar = true }}
custom = {{ open_ar = true }}

[payments]
card_preauthorized = true

[shipping]
warehouse = "MAIN"
default_ship_via = "UPS Ground"
auto_create_ship_via = true
default_shipment_product_class = "SHIPPING"
"#,
        erp = erp_path.display()
    )
}

/// One connection as the parent holds it.
pub struct Shop {
    /// Its name (`shop3`).
    pub name: String,
    /// The store.
    pub sandbox: BigCommerceSandbox,
    /// The store, served.
    pub served: bc_sandbox::serve::Served,
    /// The ERP's file.
    pub erp_path: PathBuf,
    /// Orders importable when the run began, by id.
    pub importable: BTreeSet<u64>,
    /// The settings.
    pub settings: String,
    /// Its state (the state database bound to this connection): its exception queue.
    pub state: PostgresStateStore,
}

/// Starts `n` shops of `orders` orders each (every order made importable), their ERPs set
/// up in `dir`, and registers their `orders` units in the state database.
pub async fn start_shops(
    n: usize,
    orders: u64,
    quota: u32,
    window_ms: u64,
    dir: &Path,
    db: &PostgresStateStore,
) -> Vec<Shop> {
    let mut shops = Vec::new();
    for c in 0..n {
        let name = format!("shop{c}");
        // Each store its own hash: a store's rate budget is shared by everything that calls
        // it (bc-http keys budgets by account), and these are ten stores.
        let store_hash = format!("sbx{c:02}fleet");
        let sandbox = BigCommerceSandbox::new(SandboxConfig {
            store_hash: store_hash.clone(),
            quota,
            window_ms,
            ..SandboxConfig::default()
        });
        let ids = sandbox.seed_orders(orders, 7_000 + c as u64);
        for id in &ids {
            // Orders the store will not move (cancelled, refunded…) stay where they are.
            let _ = sandbox.set_order_status(*id, AWAITING_FULFILLMENT);
        }
        let importable = sandbox
            .orders()
            .into_iter()
            .filter(|o| o.status_id == AWAITING_FULFILLMENT)
            .map(|o| o.id)
            .collect();
        let served = bc_sandbox::serve::serve(sandbox.router(), 0)
            .await
            .expect("serve the sandbox store");
        let erp_path = dir.join(format!("{name}-erp.sqlite"));
        let settings = settings_text(&store_hash, &served.base_url, &erp_path);
        let parsed = Settings::from_toml_str(&settings).expect("fleet settings");
        let erp = Erp::open_with(&erp_path, ErpOptions::from_settings(&parsed))
            .await
            .expect("create the ERP");
        erp.prepare_for(&parsed).await.expect("set the ERP up");
        drop(erp);
        let state = db.for_connection(&name).unwrap();
        state.register_units(&[Job::Orders.as_str()]).await.unwrap();
        shops.push(Shop {
            name,
            sandbox,
            served,
            erp_path,
            importable,
            settings,
            state,
        });
    }
    shops
}

/// Starts one worker process: `exe args…` with the fleet file and identity in its
/// environment, stdout piped (its last line is its [`ChildReport`]), stderr appended to
/// `<identity>.log` next to the fleet file.
pub fn spawn_worker(exe: &Path, args: &[&str], fleet: &Path, identity: &str) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(fleet.with_file_name(format!("{identity}.log")))
        .expect("worker log");
    Command::new(exe)
        .args(args)
        .env(CHILD_VAR, fleet)
        .env(IDENTITY_VAR, identity)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("start a worker process")
}

/// The last `lines` lines of each worker's log, for a failure message.
pub fn worker_logs(fleet: &Path, identities: &[String], lines: usize) -> String {
    let mut out = String::new();
    for id in identities {
        let text =
            std::fs::read_to_string(fleet.with_file_name(format!("{id}.log"))).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        out.push_str(&format!("--- {id}.log (last {lines} lines)\n"));
        for l in &all[all.len().saturating_sub(lines)..] {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// What a worker process prints last.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChildReport {
    /// Its identity.
    pub identity: String,
    /// Units claimed, ok, failed, lost.
    pub summary: String,
    /// Peak resident set size (VmHWM), KiB.
    pub peak_rss_kib: u64,
}

/// The child's last line, once it has exited.
pub fn child_report(child: Child) -> Option<ChildReport> {
    let out = child.wait_with_output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .rev()
        // The test harness may print `test worker_process ... ` before it on the same line.
        .find_map(|l| l.split_once("FLEET-REPORT ").map(|(_, r)| r.to_string()))
        .and_then(|l| serde_json::from_str(&l).ok())
}

/// This process's peak resident set size, KiB (Linux; 0 elsewhere).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The body of a worker process: runs the worker loop on the fleet file until its stop file
/// appears, then prints its [`ChildReport`].
pub fn child_main(fleet_path: &Path, identity: &str) {
    let text = std::fs::read_to_string(fleet_path).expect("read the fleet file");
    let fleet: FleetFile = serde_json::from_str(&text).expect("fleet file");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let summary = rt.block_on(async {
        let mut o = PostgresOptions::default();
        o.schema = Some(fleet.schema.clone());
        o.max_connections = 6;
        let db = PostgresStateStore::connect_with(&fleet.url, &o)
            .await
            .expect("open the state database");
        eprintln!("worker {identity} (pid {}): started", std::process::id());
        let ttl = Duration::from_millis(fleet.ttl_ms);
        let mut options = WorkerOptions::new(identity);
        options.lease_ttl = ttl;
        options.max_units = fleet.max_units;
        options.interval = Duration::from_millis(fleet.interval_ms);
        options.retry_in = Duration::from_millis(fleet.interval_ms);
        options.poll = Duration::from_millis(100);
        let fleet = Arc::new(fleet);
        let identity = identity.to_string();
        let stop_file = fleet.stop_file.clone();
        let stop = async move {
            while !stop_file.exists() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        let connect = move |tenant: PostgresStateStore| {
            let fleet = Arc::clone(&fleet);
            let identity = identity.clone();
            async move {
                let name = tenant.connection().to_string();
                let engine = engine_for(&fleet, tenant, &identity, ttl).await;
                if let Err(e) = &engine {
                    eprintln!("worker {identity}: cannot connect {name}: {e}");
                }
                engine
            }
        };
        run_worker(db, options, connect, stop)
            .await
            .expect("worker")
    });
    let report = ChildReport {
        identity: std::env::var(IDENTITY_VAR).unwrap_or_default(),
        summary: format!("{summary:?}"),
        peak_rss_kib: peak_rss_kib(),
    };
    println!(
        "FLEET-REPORT {}",
        serde_json::to_string(&report).expect("report")
    );
}

/// A connection's engine in a worker process: the BigCommerce connector over real sockets
/// with the store's rate, and the connection's ERP.
async fn engine_for(
    fleet: &FleetFile,
    tenant: PostgresStateStore,
    identity: &str,
    ttl: Duration,
) -> bc_core::Result<Arc<Engine>> {
    let text = fleet
        .connections
        .get(tenant.connection())
        .ok_or_else(|| bc_core::Error::config("connection", "not in the fleet file"))?;
    let settings = Settings::from_toml_str(text)?;
    let transport = Arc::new(ReqwestTransport::new()?);
    let config = BigCommerceConfig::from_table(&settings.storefront)?
        .with_limits(
            RateLimits::new(fleet.quota, Duration::from_millis(fleet.window_ms))
                .with_max_in_flight(8),
        )
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(8)
                .with_backoff(Duration::from_millis(5), Duration::from_millis(200)),
        );
    let storefront: Arc<dyn Storefront> = Arc::new(BigCommerce::with_transport(config, transport)?);
    let erp_config = AcctvantageConfig::from_table(&settings.ledger)?;
    let ledger: Arc<dyn Ledger> = Arc::new(
        bc_connector_acctvantage::connect_owned(erp_config, Some(settings.clone())).await?,
    );
    let options = EngineOptions {
        owner: identity.to_string(),
        lease_ttl: ttl,
        concurrency: fleet.concurrency,
        page_size: fleet.page_size,
        ..EngineOptions::default()
    };
    let state: Arc<dyn StateStore> = Arc::new(tenant);
    Ok(Arc::new(Engine::with_options(
        storefront, ledger, state, settings, options,
    )))
}

/// Per shop: importable orders missing from its ERP (lost) and copies beyond the first
/// (duplicated), read from the ERP's own tables. An order the engine filed in the exception
/// queue with the storefront's error status ([`excepted`]) is a finished outcome, not lost.
pub async fn reconcile(shop: &Shop) -> (usize, usize) {
    let settings = Settings::from_toml_str(&shop.settings).unwrap();
    let erp = Erp::open_with(&shop.erp_path, ErpOptions::from_settings(&settings))
        .await
        .expect("open the ERP");
    let mut copies: BTreeMap<u64, usize> = BTreeMap::new();
    for s in erp
        .sales_orders(Some(&settings.sync.import_source_code))
        .await
        .expect("ERP sales orders")
    {
        if let Some(id) = s
            .import_id
            .as_ref()
            .and_then(|i| i.order().as_str().parse::<u64>().ok())
        {
            *copies.entry(id).or_default() += 1;
        }
    }
    let missing: Vec<u64> = shop
        .importable
        .iter()
        .copied()
        .filter(|id| !copies.contains_key(id))
        .collect();
    let lost = if missing.is_empty() {
        0
    } else {
        let excepted = excepted(shop).await;
        missing
            .iter()
            .filter(|id| !excepted.contains_key(id))
            .count()
    };
    let duplicated = copies.values().map(|n| n - 1).sum::<usize>()
        + erp
            .duplicates()
            .await
            .expect("ERP duplicates")
            .iter()
            .map(|(_, n)| *n as usize - 1)
            .sum::<usize>();
    drop(erp);
    (lost, duplicated)
}

/// Per shop: its importable orders in the connection's exception queue (open) whose
/// storefront status is the error status ([`MANUAL_VERIFICATION`]): finished, not posted
/// (a mapping issue such as `rounding_beyond_tolerance` waits for a person). By id, with the
/// labels of their reasons.
pub async fn excepted(shop: &Shop) -> BTreeMap<u64, Vec<String>> {
    shop.state
        .exceptions(&ExceptionFilter::open(EntityKind::Order))
        .await
        .expect("the exception queue")
        .into_iter()
        .filter_map(|r| {
            let id = r.key.parse::<u64>().ok()?;
            let filed = shop.importable.contains(&id)
                && shop.sandbox.order_status(id) == Some(MANUAL_VERIFICATION);
            filed.then(|| (id, r.reasons.iter().map(|x| x.label()).collect()))
        })
        .collect()
}

/// Over every shop: how many importable orders are excepted ([`excepted`]), and how many of
/// them carry each reason label.
pub async fn excepted_summary(shops: &[Shop]) -> (usize, BTreeMap<String, usize>) {
    let mut count = 0;
    let mut labels: BTreeMap<String, usize> = BTreeMap::new();
    for s in shops {
        for reasons in excepted(s).await.into_values() {
            count += 1;
            for l in reasons.into_iter().collect::<BTreeSet<_>>() {
                *labels.entry(l).or_default() += 1;
            }
        }
    }
    (count, labels)
}

/// Whether every shop's importable orders are settled: in its ERP, or excepted
/// ([`excepted`]).
pub async fn all_posted(shops: &[Shop]) -> bool {
    for s in shops {
        if reconcile(s).await.0 > 0 {
            return false;
        }
    }
    true
}

/// Whether every shop's importable orders have left the importable status (the engine
/// moves each to the downloaded status once its document and receipts are posted, or to
/// the error status once it is in the exception queue).
pub fn all_downloaded(shops: &[Shop]) -> bool {
    shops.iter().all(|s| {
        s.importable
            .iter()
            .all(|id| s.sandbox.order_status(*id) != Some(AWAITING_FULFILLMENT))
    })
}

/// What the fencing tokens recorded with the writes say.
#[derive(Debug, Default)]
pub struct FenceCheck {
    /// Fenced log entries read.
    pub log_writes: u64,
    /// Fenced journal records read.
    pub journal_writes: u64,
    /// Distinct (connection, lease, token) holdings that wrote (log or journal).
    pub holdings: u64,
    /// What contradicts "one holder at a time".
    pub violations: Vec<String>,
}

/// Reads every fenced write of the state database in `schema`: per (connection, lease),
/// connector-log writes in the database's order (their serial ids) never go back to an
/// older token (once a newer holder wrote, the older wrote nothing more: no two holders at
/// once), every token is one the lease really handed out, and no journal record was
/// completed under an older token than the one it was begun under.
pub async fn check_fences(url: &str, schema: &str) -> FenceCheck {
    let pool = pool(url, schema).await;
    let mut check = FenceCheck::default();
    let rows = sqlx::query(
        "SELECT connection, fence_lease, fence_token FROM connector_log
         WHERE fence_token IS NOT NULL ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let leases: BTreeMap<(String, String), i64> =
        sqlx::query("SELECT connection, name, token FROM leases")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| ((r.get("connection"), r.get("name")), r.get("token")))
            .collect();
    let mut last: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut holdings = BTreeSet::new();
    for r in &rows {
        check.log_writes += 1;
        let key: (String, String) = (r.get("connection"), r.get("fence_lease"));
        let token: i64 = r.get("fence_token");
        holdings.insert((key.clone(), token));
        let max = leases.get(&key).copied().unwrap_or(0);
        if token < 1 || token > max {
            check.violations.push(format!(
                "{key:?}: a write under token {token}, never handed out (last {max})"
            ));
        }
        let prev = last.entry(key.clone()).or_insert(token);
        if token < *prev {
            check.violations.push(format!(
                "{key:?}: a write under token {token} after one under token {prev}"
            ));
        }
        *prev = (*prev).max(token);
    }
    let journal = sqlx::query(
        "SELECT connection, fence_lease, key, intent_token, done_token FROM journal
         WHERE intent_token IS NOT NULL OR done_token IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for r in &journal {
        check.journal_writes += 1;
        let intent: Option<i64> = r.get("intent_token");
        let done: Option<i64> = r.get("done_token");
        let key: (String, String) = (r.get("connection"), r.get("fence_lease"));
        for t in [intent, done].into_iter().flatten() {
            holdings.insert((key.clone(), t));
        }
        if let (Some(i), Some(d)) = (intent, done) {
            if d < i {
                let c: String = r.get("connection");
                let k: String = r.get("key");
                check.violations.push(format!(
                    "{c} {k}: begun under token {i}, completed under the older token {d}"
                ));
            }
        }
    }
    check.holdings = holdings.len() as u64;
    pool.close().await;
    check
}

/// A plain pool on the state database in `schema`, to read what the store records.
pub async fn pool(url: &str, schema: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(
            url.parse::<sqlx::postgres::PgConnectOptions>()
                .unwrap()
                .options([("search_path", schema)]),
        )
        .await
        .expect("connect")
}

/// The lease owners (`identity#pid`) holding a live unit whose run has written under its
/// current token: workers in the middle of their writes.
pub async fn writing_owners(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT DISTINCT l.owner FROM leases l
         WHERE l.owner <> '' AND l.expires_at > now() AND (EXISTS (
           SELECT 1 FROM connector_log c WHERE c.connection = l.connection
             AND c.fence_lease = l.name AND c.fence_token = l.token) OR EXISTS (
           SELECT 1 FROM journal j WHERE j.connection = l.connection
             AND j.fence_lease = l.name AND l.token IN (j.intent_token, j.done_token)))
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap_or_default()
}

/// Whether any fenced write was made yet.
pub async fn writes_began(pool: &sqlx::PgPool) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM journal WHERE intent_token IS NOT NULL)")
        .fetch_one(pool)
        .await
        .unwrap_or(false)
}

/// Creates the schema's state database and returns a handle on it.
pub async fn open_db(url: &str, schema: &str) -> PostgresStateStore {
    let mut o = PostgresOptions::default();
    o.schema = Some(schema.to_string());
    o.max_connections = 4;
    PostgresStateStore::connect_with(url, &o)
        .await
        .expect("open the state database")
}

/// Drops the schema (and everything in it).
pub async fn drop_schema(url: &str, schema: &str) {
    if let Ok(mut c) = <sqlx::PgConnection as sqlx::Connection>::connect(url).await {
        let _ = sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .execute(&mut c)
            .await;
    }
}
