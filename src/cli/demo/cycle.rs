//! The demo's cycle on the platforms of [`super::platforms`] (Business Central, Acumatica,
//! Magento): in-process over the sandboxes' routers ([`run`]), or with the engine in killed
//! worker processes ([`run_kills`], in [`super::kills`]'s style).
//!
//! The cycle: storefront orders import; people in the ERP ship a share of the posted orders
//! and change stock; the merchant refunds a few; with Acumatica, an ERP user enters orders
//! (seed 003: some qualify for the storefront, some not yet, and one is paid later and
//! flows on the next run) and ships and invoices them; every job runs; the audit (Y2) runs
//! last. The reconciliation then reads both sandboxes' own state, per kind, both directions.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use bc_connector_acctvantage::{Erp, ErpOptions};
use bc_core::money::round_dp;
use bc_core::{Currency, ImportId, IssueCode, Ledger, LedgerRef, OrderId, Settings, ShipmentLine};
use bc_engine::{
    Engine, EngineOptions, EntityKind, ExceptionFilter, ExceptionReason, Finding, Job, LogQuery,
    Outcome, RunReport, StateStore,
};
use bc_http::RouterTransport;
use bc_sandbox::faults::FaultPlan;
use bc_sandbox_acumatica::{ErpLine, ErpOrder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::Serialize;

use super::kills::{kill_one, KillEnd};
use super::platforms::{self, BooksSandbox, Connected, Sale, StoreSandbox};
use super::reconcile::KindCount;
use super::{
    describe, err, progress, reason_group, round2, state_url, work_dir, DemoArgs, DemoLedger,
    DemoStorefront, Summary,
};

/// BigCommerce's "Completed" status id.
const BIGCOMMERCE_COMPLETED: u8 = 10;

/// The base URL the in-process connectors are given (the router transport ignores the host).
const IN_PROCESS: &str = "http://sandbox.invalid";

/// Reason groups of expected exceptions (the documented list in [`super`]).
pub const UNMAPPED_TAX_ZONE: &str = "unmapped tax zone";

/// Per-kind reconciliation of an in-process run.
#[derive(Debug, Default, Serialize)]
pub struct Kinds {
    /// Documents: one per importable order.
    pub documents: KindCount,
    /// Receipts: one per storefront payment of a posted order (not open-A/R methods).
    pub receipts: KindCount,
    /// Credit memos: one per storefront refund of a posted order.
    pub credit_memos: KindCount,
    /// Shipments: one storefront shipment per tracking number shipped in the ledger.
    pub shipments: KindCount,
}

/// ERP-originated orders (E1/E2), reconciled from both sandboxes.
#[derive(Debug, Default, Serialize)]
pub struct ErpOrdersCount {
    /// Orders the ERP user entered.
    pub entered: usize,
    /// Of those, qualifying for the storefront at the end (conditions, ship via, balance).
    pub qualifying: usize,
    /// Qualifying ones in the storefront exactly once, cross-referenced both ways.
    pub in_storefront: usize,
    /// Qualifying ones missing from the storefront.
    pub lost: usize,
    /// Storefront orders beyond one per ERP order.
    pub duplicated: usize,
    /// Not qualifying ones found in the storefront anyway (must be 0).
    pub created_too_early: usize,
    /// The order that was waiting (unpaid) and was paid during the run: did it flow?
    pub paid_later_flowed: bool,
    /// Shipments confirmed in the ERP for storefront-created orders, and those that reached
    /// the storefront with their tracking number.
    pub shipments_confirmed: usize,
    /// Of those, in the storefront.
    pub shipments_in_storefront: usize,
    /// Invoices released in the ERP for them, and the storefront orders invoiced.
    pub invoices_released: usize,
    /// Of those, storefront orders with an invoice.
    pub invoiced_in_storefront: usize,
    /// Example cross-references: ERP order → storefront order (increment id).
    pub examples: BTreeMap<String, String>,
}

/// What the new platforms add to the summary.
#[derive(Debug, Serialize)]
pub struct PlatformSummary {
    /// The storefront sandbox.
    pub storefront_platform: String,
    /// The ledger sandbox.
    pub ledger_platform: String,
    /// In-process: per kind.
    #[serde(flatten)]
    pub kinds: Option<Kinds>,
    /// The audit (Y2) at the end: findings per kind (0 on a clean run).
    pub audit: BTreeMap<String, usize>,
    /// The audit's findings as a finance person reads them (at most 10).
    pub audit_findings: Vec<String>,
    /// The documented expected exception reasons of this run.
    pub expected_exception_reasons: Vec<String>,
    /// Magento: the fewest storefront requests per order the same work needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storefront_api_minimum_per_order: Option<f64>,
    /// Acumatica: the ERP-originated orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erp_orders: Option<ErpOrdersCount>,
    /// Where the state was kept (`sqlite` or `postgres`).
    pub state_store: String,
}

/// The ledger of a run.
pub(super) enum Books {
    /// Business Central or Acumatica.
    Sandbox(BooksSandbox, Connected),
    /// The embedded ERP.
    Erp(Arc<Erp>),
}

impl Books {
    pub(super) fn ledger(&self) -> Arc<dyn Ledger> {
        match self {
            Books::Sandbox(_, c) => c.ledger.clone(),
            Books::Erp(e) => e.clone(),
        }
    }

    pub(super) fn name(&self) -> String {
        match self {
            Books::Sandbox(b, _) => b.name().to_string(),
            Books::Erp(_) => "embedded ERP".into(),
        }
    }

    /// The ledger as the reconciliation reads it.
    pub(super) fn view(&self) -> BooksView<'_> {
        match self {
            Books::Sandbox(b, _) => BooksView::Sandbox(b),
            Books::Erp(e) => BooksView::Erp(e),
        }
    }
}

fn fault_plan(args: &DemoArgs, stream: u64, hang_ms: u64) -> FaultPlan {
    if args.faults > 0.0 {
        let mut p = FaultPlan::uniform(args.seed.wrapping_add(stream), args.faults);
        p.hang_ms = hang_ms;
        p
    } else {
        FaultPlan::none()
    }
}

/// The demo's state store: `--state` (each run its own connection, so that runs sharing a
/// PostgreSQL database never see each other's rows) or the SQLite file in its folder.
pub(super) async fn open_state(
    args: &DemoArgs,
    dir: &std::path::Path,
    connection: &str,
) -> Result<Arc<dyn StateStore>, String> {
    let url = state_url(args, dir);
    let r = if args.state.is_some() {
        bc_state::connect_as(&url, connection).await
    } else {
        bc_state::connect(&url).await
    };
    r.map_err(|e| {
        format!(
            "cannot open the state store `{}`: {e}",
            bc_state::redact_url(&url)
        )
    })
}

/// A connection name unique to this demo run.
pub(super) fn connection_name(seed: u64) -> String {
    format!(
        "demo-{}-{}-{seed}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    )
}

/// The Magento API minimum for the same work, per order seen. Counted from what the work
/// needs, not from what the connector did: one admin token; the importable orders listed
/// 300 per page (Magento's largest `pageSize`, each page carries the full orders); one
/// status change (`POST /V1/orders/{id}/comments`) per imported order; per order shipped in
/// the ledger one `POST /V1/order/{id}/ship` (tracks ride along); one credit memo listing
/// per 300 memos for the refunds; the changed stock in bulk requests of at most 1,000
/// source items plus one bulk status read each.
fn magento_minimum(imported: usize, shipped: usize, refunds: usize, stock: usize) -> u64 {
    let pages = |n: usize, size: usize| n.div_ceil(size).max(1) as u64;
    1 + pages(imported, 300)
        + imported as u64
        + shipped as u64
        + pages(refunds, 300)
        + if stock > 0 { 2 * pages(stock, 1000) } else { 0 }
}

fn expected_reasons(args: &DemoArgs) -> Vec<String> {
    let mut v = vec![
        "unreadable (or a permanent `invalid` error): the order's payload cannot be parsed, and it is one the demo's proxy corrupted (--kills --faults only)".to_string(),
    ];
    if args.ledger == DemoLedger::Bc365 {
        v.push(format!(
            "{UNMAPPED_TAX_ZONE} (issue `unmapped_tax_zone`): only orders from the zone the demo's settings deliberately leave out of `tax_map` ({})",
            platforms::BC365_UNMAPPED_ZONES.join(", ")
        ));
    }
    v
}

/// Whether an order's exception is the expected one: Business Central, an order in the
/// unmapped zone (the BigCommerce store's Japanese orders are its JPY orders), and every
/// reason an unmapped tax zone.
fn expected_exception(args: &DemoArgs, sale: &Sale, reasons: &[ExceptionReason]) -> bool {
    match args.ledger {
        DemoLedger::Bc365 => {
            sale.currency == Currency::JPY
                && reasons.iter().any(|r| {
                    matches!(r, ExceptionReason::Mapping { issue } if issue.code == IssueCode::UnmappedTaxZone)
                })
                && reasons.iter().all(|r| {
                    matches!(r, ExceptionReason::Mapping { issue } if matches!(issue.code, IssueCode::UnmappedTaxZone | IssueCode::CurrencyNotEnabled))
                })
        }
        // The demo's Acumatica company posts every currency the stores sell in
        // (`ledger.currencies`): no exception is expected there.
        _ => false,
    }
}

/// Whether an order held for configuration is the expected one: Business Central, an order
/// of the zone the demo's settings leave out of `tax_map` (its JPY orders).
fn expected_hold(args: &DemoArgs, sale: &Sale, message: &str) -> bool {
    args.ledger == DemoLedger::Bc365
        && sale.currency == Currency::JPY
        && message.contains("tax_map")
}

fn group(reasons: &[ExceptionReason]) -> String {
    match reasons.first() {
        Some(ExceptionReason::Mapping { issue }) if issue.code == IssueCode::UnmappedTaxZone => {
            UNMAPPED_TAX_ZONE.into()
        }
        _ => reason_group(reasons),
    }
}

/// Opens the ledger of the run (in-process).
async fn open_books(
    args: &DemoArgs,
    store: &StoreSandbox,
    dir: &std::path::Path,
) -> Result<(Books, Settings), String> {
    match BooksSandbox::new(args.ledger, args.seed)? {
        Some(b) => {
            let text = platforms::settings_text(store, IN_PROCESS, &b, IN_PROCESS, args.quota);
            let settings =
                Settings::from_toml_str(&text).map_err(|e| format!("demo settings: {e}"))?;
            let t = Arc::new(RouterTransport::new(b.router()));
            let c = platforms::connect_ledger(&settings, t, args.seed).await?;
            b.set_fault_plan(fault_plan(args, 2, 300));
            Ok((Books::Sandbox(b, c), settings))
        }
        None => {
            let text = platforms::magento_erp_settings(store, IN_PROCESS);
            let settings =
                Settings::from_toml_str(&text).map_err(|e| format!("demo settings: {e}"))?;
            let erp = Erp::open_with(dir.join("erp.sqlite"), ErpOptions::from_settings(&settings))
                .await
                .map_err(err("open the embedded ERP"))?;
            erp.prepare_for(&settings)
                .await
                .map_err(err("prepare the ERP"))?;
            Ok((Books::Erp(Arc::new(erp)), settings))
        }
    }
}

/// Runs the in-process demo on the new platforms.
pub(super) async fn run(args: DemoArgs) -> Result<Summary, String> {
    let started = Instant::now();
    let quiet = args.json;
    let dir = work_dir(&args)?;
    let store = StoreSandbox::new(args.storefront, args.orders, args.seed, args.quota);
    let seen = store.importable();
    let (books, settings) = open_books(&args, &store, &dir).await?;
    let storefront = platforms::connect_storefront(
        &settings,
        Arc::new(RouterTransport::new(store.router())),
        args.seed,
    )
    .await?;
    store.set_fault_plan(fault_plan(&args, 1, 300));
    let ledger = books.ledger();
    let state = open_state(&args, &dir, &connection_name(args.seed)).await?;
    let options = EngineOptions {
        owner: "bcsync-demo".to_string(),
        concurrency: 16,
        ..EngineOptions::default()
    };
    let engine = Engine::with_options(
        storefront,
        ledger.clone(),
        state.clone(),
        settings.clone(),
        options,
    );

    // Import in passes until nothing is left (faults that outlast the retries leave orders
    // for the next pass, as the service's next cycle would).
    let bar = progress(seen.len() as u64, "orders", quiet);
    let mut jobs = BTreeMap::new();
    let mut total: Option<RunReport> = None;
    let mut passes = 0;
    for _ in 0..8 {
        passes += 1;
        let r = engine.run(Job::Orders).await.map_err(err("orders job"))?;
        bar.set_position(store.moved_on(&seen) as u64);
        let again = r.done > 0 || r.failed.iter().any(|f| f.temporary);
        total = Some(match total.take() {
            None => r,
            Some(mut t) => {
                t.done += r.done;
                t.adopted += r.adopted;
                t.failed = r.failed;
                t
            }
        });
        if !again {
            break;
        }
    }
    bar.finish_with_message("imported");
    if let Some(r) = &total {
        jobs.insert(
            "orders".to_string(),
            format!("{} in {passes} pass(es)", describe(r)),
        );
    }
    let import_requests = (
        store.requests(),
        match &books {
            Books::Sandbox(b, _) => b.requests(),
            Books::Erp(_) => 0,
        },
    );
    // The rest of the cycle runs without faults: they were the import's test.
    store.set_fault_plan(FaultPlan::none());
    if let Books::Sandbox(b, _) = &books {
        b.set_fault_plan(FaultPlan::none());
    }
    let source = settings.sync.import_source_code;

    // People in the ERP ship a share of the posted orders; the merchant refunds a few.
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ 0x5eed);
    let posted = books.view().documents(&source).await?;
    let mut shipped: BTreeMap<u64, String> = BTreeMap::new();
    let mut refunded = 0usize;
    for (i, (id, doc)) in posted.iter().enumerate() {
        if !seen.contains_key(id) {
            continue;
        }
        let roll = rng.gen_range(0..100);
        if roll < 40 {
            let tracking = format!("1Z{:06}{:010}", args.seed % 1_000_000, id);
            let ok = match &books {
                Books::Sandbox(b, _) => b.ship(doc, &tracking),
                Books::Erp(erp) => erp
                    .process_shipment(
                        &LedgerRef::new(doc.key.clone()),
                        &tracking,
                        "ups",
                        &[] as &[ShipmentLine],
                    )
                    .await
                    .is_ok(),
            };
            if ok {
                shipped.insert(*id, tracking);
            }
        } else if roll >= 95 && i % 2 == 0 {
            if let Some(sale) = seen.get(id) {
                if store.refund(*id, sale.total) {
                    refunded += 1;
                }
            }
        }
    }
    let mut stock_changes = 0;
    for sku in store.skus().into_iter().take(25) {
        let qty = Decimal::from(rng.gen_range(5..60));
        let ok = match &books {
            Books::Sandbox(b, _) => b.adjust_stock(&sku, qty),
            Books::Erp(erp) => erp.adjust_stock(&sku, "MAIN", qty).await.is_ok(),
        };
        stock_changes += usize::from(ok);
    }
    jobs.insert(
        "people".into(),
        format!(
            "{} shipments in the ledger, {refunded} refunds in the storefront, {stock_changes} stock changes",
            shipped.len()
        ),
    );

    // Seed 003: the ERP user's orders (Acumatica).
    let erp_plan = match &books {
        Books::Sandbox(BooksSandbox::Acumatica(acu), _) => Some(enter_erp_orders(acu)?),
        _ => None,
    };

    let run_job = |job: Job| {
        let engine = &engine;
        async move {
            let bar = progress(1, job.as_str(), quiet);
            let r = engine.run(job).await;
            bar.finish_and_clear();
            match r {
                Ok(r) => describe(&r),
                Err(e) => format!("failed: {e}"),
            }
        }
    };
    for job in [
        Job::Shipments,
        Job::Inventory,
        Job::Statuses,
        Job::Refunds,
        Job::Payouts,
        Job::ErpOrders,
    ] {
        let r = run_job(job).await;
        jobs.insert(job.as_str().to_string(), r);
    }
    let mut paid_later = None;
    if let (Some(plan), Books::Sandbox(BooksSandbox::Acumatica(acu), _)) = (&erp_plan, &books) {
        // One waiting order is paid now, and it flows on the next run; the ERP user then
        // ships and invoices every storefront-created order (E2).
        let (ty, nbr) = &plan.paid_later;
        acu.record_payment(ty, nbr, None)
            .map_err(|e| format!("pay ERP order {ty} {nbr}: {e:?}"))?;
        paid_later = Some(format!("{ty}/{nbr}"));
        let r = run_job(Job::ErpOrders).await;
        jobs.insert("erp-orders (after a payment)".into(), r);
        for o in acu.erp_orders() {
            if o.external_ref.is_some() {
                let tracking = format!("1ZERP{}", o.order_nbr);
                let _ = acu.ship_order(&o.order_type, &o.order_nbr, Some(&tracking), true);
                let _ = acu.invoice_order(&o.order_type, &o.order_nbr);
            }
        }
        for job in [Job::Shipments, Job::Statuses] {
            let r = run_job(job).await;
            jobs.insert(format!("{} (E2)", job.as_str()), r);
        }
    }
    let audit = engine.audit().await;
    let (audit_counts, audit_findings) = match &audit {
        Ok(a) => audit_summary(&a.findings),
        Err(e) => {
            jobs.insert("audit".into(), format!("failed: {e}"));
            (BTreeMap::new(), Vec::new())
        }
    };
    if let Ok(a) = &audit {
        jobs.insert("audit".into(), describe(&a.run));
    }

    // Reconciliation from both sides' own state.
    let Reconciled {
        kinds,
        exception_reasons,
        storefront_total,
        ledger_total,
        duplicated,
    } = reconcile(
        &args,
        &books.view(),
        &store,
        state.as_ref(),
        &settings,
        &seen,
        &shipped,
        &BTreeSet::new(),
    )
    .await?;
    let erp_orders = match (&erp_plan, &books) {
        (Some(plan), Books::Sandbox(BooksSandbox::Acumatica(acu), _)) => {
            Some(erp_orders_count(plan, acu, &store, paid_later.as_deref()))
        }
        _ => None,
    };

    let n = seen.len().max(1) as f64;
    let mut requests_per_order = BTreeMap::new();
    requests_per_order.insert(
        "storefront".to_string(),
        round2(import_requests.0 as f64 / n),
    );
    requests_per_order.insert("ledger".to_string(), round2(import_requests.1 as f64 / n));
    requests_per_order.insert(
        "storefront_whole_cycle".to_string(),
        round2(store.requests() as f64 / n),
    );
    if let Books::Sandbox(b, _) = &books {
        requests_per_order.insert(
            "ledger_whole_cycle".to_string(),
            round2(b.requests() as f64 / n),
        );
    }
    let minimum = (args.storefront == DemoStorefront::Magento).then(|| {
        round2(
            magento_minimum(
                kinds.documents.posted,
                shipped.len(),
                kinds.credit_memos.expected,
                stock_changes,
            ) as f64
                / n,
        )
    });
    let faults = store.faults()
        + match &books {
            Books::Sandbox(b, _) => b.faults(),
            Books::Erp(_) => 0,
        };
    if let Books::Sandbox(_, c) = &books {
        c.shutdown().await;
    }
    let fmt = |m: &BTreeMap<Currency, Decimal>| {
        m.iter()
            .map(|(c, v)| (c.to_string(), v.normalize().to_string()))
            .collect()
    };
    let summary = Summary {
        orders_seen: seen.len(),
        settings_file: None,
        ledger_rate_limited: None,
        posted: kinds.documents.posted,
        exceptions: kinds.documents.excepted,
        exception_reasons,
        lost: kinds.documents.lost,
        duplicated,
        storefront_total: fmt(&storefront_total),
        ledger_total: fmt(&ledger_total),
        requests_per_order,
        crashes: 0,
        faults,
        jobs,
        elapsed_ms: started.elapsed().as_millis(),
        killed: None,
        platforms: Some(PlatformSummary {
            storefront_platform: store.name().into(),
            ledger_platform: books.name(),
            kinds: Some(kinds),
            audit: audit_counts,
            audit_findings,
            expected_exception_reasons: expected_reasons(&args),
            storefront_api_minimum_per_order: minimum,
            erp_orders,
            state_store: if args.state.as_deref().is_some_and(bc_state::is_postgres_url) {
                "postgres".into()
            } else {
                "sqlite".into()
            },
        }),
    };
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(summary)
}

/// What the reconciliation of a run found, read from both sides' own state.
pub(super) struct Reconciled {
    /// Per kind.
    pub kinds: Kinds,
    /// Orders in the exception queue without a document, by reason group.
    pub exception_reasons: BTreeMap<String, usize>,
    /// Σ storefront totals of the posted orders, per currency.
    pub storefront_total: BTreeMap<Currency, Decimal>,
    /// Σ their ledger documents' totals, per currency.
    pub ledger_total: BTreeMap<Currency, Decimal>,
    /// Documents beyond one per order, the larger of the per-order count and the ledger's.
    pub duplicated: usize,
}

/// The ledger of a run as the reconciliation reads it.
pub(super) enum BooksView<'a> {
    /// Business Central or Acumatica.
    Sandbox(&'a BooksSandbox),
    /// The embedded ERP.
    Erp(&'a Erp),
}

impl BooksView<'_> {
    /// Posted documents of storefront orders: order id → (copies, total, currency, ref).
    pub(super) async fn documents(
        &self,
        source: &bc_core::SourceCode,
    ) -> Result<BTreeMap<u64, platforms::Doc>, String> {
        match self {
            BooksView::Sandbox(b) => Ok(b.documents(source.as_str())),
            BooksView::Erp(erp) => {
                let mut out: BTreeMap<u64, platforms::Doc> = BTreeMap::new();
                for s in erp
                    .sales_orders(Some(source))
                    .await
                    .map_err(err("list the ERP's sales orders"))?
                {
                    let Some(id) = s
                        .import_id
                        .as_ref()
                        .and_then(|i| i.order().as_str().parse::<u64>().ok())
                    else {
                        continue;
                    };
                    let e = out.entry(id).or_insert(platforms::Doc {
                        key: s.at.id.clone(),
                        number: s.at.number.clone().unwrap_or_default(),
                        copies: 0,
                        total: s.total,
                        currency: s.currency,
                    });
                    e.copies += 1;
                }
                Ok(out)
            }
        }
    }
}

/// Whether an order's exception says its payload could not be read.
fn unreadable(reasons: &[ExceptionReason]) -> bool {
    reasons.iter().any(|r| match r {
        ExceptionReason::Unreadable { .. } => true,
        ExceptionReason::Error {
            kind, temporary, ..
        } => kind == "invalid" && !temporary,
        _ => false,
    })
}

/// Reconciles a run per kind from the storefront sandbox's and the ledger's own state; the
/// state store is read only for its exception queue. `malformed`: orders served corrupted on
/// purpose (`--kills --faults`), expected in the queue as unreadable.
#[allow(clippy::too_many_arguments)]
pub(super) async fn reconcile(
    args: &DemoArgs,
    books: &BooksView<'_>,
    store: &StoreSandbox,
    state: &dyn StateStore,
    settings: &Settings,
    seen: &BTreeMap<u64, Sale>,
    shipped: &BTreeMap<u64, String>,
    malformed: &BTreeSet<u64>,
) -> Result<Reconciled, String> {
    let source = settings.sync.import_source_code;
    let documents = books.documents(&source).await?;
    let open = state
        .exceptions(&ExceptionFilter::open(EntityKind::Order))
        .await
        .map_err(err("read the exception queue"))?;
    let excepted: BTreeMap<u64, &[ExceptionReason]> = open
        .iter()
        .filter_map(|x| {
            let id = x.key.trim_start_matches(source.as_str()).parse().ok()?;
            Some((id, x.reasons.as_slice()))
        })
        .collect();
    // Orders held for configuration (a setting to fix, named in the run's report and the
    // connector log; no exception, no storefront status): the newest log line per order.
    let mut held: BTreeMap<u64, String> = BTreeMap::new();
    for e in state
        .search_log(&LogQuery {
            entity: Some(EntityKind::Order),
            outcome: Some(Outcome::Skipped),
            ..LogQuery::default()
        })
        .await
        .map_err(err("read the connector log"))?
    {
        if let (Ok(id), true) = (
            e.key.parse::<u64>(),
            e.message.starts_with("held for configuration"),
        ) {
            held.entry(id).or_insert(e.message);
        }
    }
    let mut kinds = Kinds::default();
    let mut exception_reasons = BTreeMap::new();
    let mut storefront_total: BTreeMap<Currency, Decimal> = BTreeMap::new();
    let mut ledger_total: BTreeMap<Currency, Decimal> = BTreeMap::new();
    for (id, sale) in seen {
        let found = documents.get(id);
        let x = excepted.get(id);
        let h = if found.is_none() && x.is_none() {
            held.get(id)
        } else {
            None
        };
        let expected = x.is_some_and(|r| {
            expected_exception(args, sale, r) || (malformed.contains(id) && unreadable(r))
        }) || h.is_some_and(|m| expected_hold(args, sale, m));
        kinds
            .documents
            .count_named(found.map_or(0, |d| d.copies), expected, || {
                format!("order {id}")
            });
        match (found, x) {
            (Some(d), _) => {
                let dp = d.currency.minor_units();
                *storefront_total.entry(d.currency).or_default() += round_dp(sale.total, dp);
                *ledger_total.entry(d.currency).or_default() += d.total;
            }
            (None, Some(r)) => *exception_reasons.entry(group(r)).or_insert(0) += 1,
            (None, None) => {
                if let Some(m) = h {
                    let g = if m.contains("tax_map") {
                        UNMAPPED_TAX_ZONE.to_string()
                    } else {
                        "held for configuration".to_string()
                    };
                    *exception_reasons.entry(g).or_insert(0) += 1;
                }
            }
        }
    }
    let settings_ref = settings;
    for (id, doc) in documents.iter().filter(|(id, _)| seen.contains_key(id)) {
        let import_id = ImportId::new(source, OrderId::new(id.to_string()))
            .map_err(|e| format!("order {id}: {e}"))?
            .to_string();
        let n = store.receipts_expected(*id, settings_ref);
        for seq in 0..n {
            let copies = match books {
                BooksView::Sandbox(b) => b.receipts(&import_id, seq),
                // The embedded ERP's receipts table is UNIQUE(order, sequence).
                BooksView::Erp(_) => 1,
            };
            kinds
                .receipts
                .count_named(copies, false, || format!("order {id} payment {seq}"));
        }
        for refund in store.refund_ids(*id) {
            let copies = match books {
                BooksView::Sandbox(b) => b.credit_memos(&import_id, &refund),
                BooksView::Erp(erp) => {
                    let iid = ImportId::new(source, OrderId::new(id.to_string()))
                        .map_err(|e| format!("order {id}: {e}"))?;
                    usize::from(
                        erp.find_credit_memo(&iid, &bc_core::RefundId::new(refund.clone()))
                            .await
                            .map_err(err("find a credit memo in the ERP"))?
                            .is_some(),
                    )
                }
            };
            let waits = copies == 0
                && matches!(books, BooksView::Sandbox(b) if !b.invoice_released(&import_id));
            if waits {
                kinds.credit_memos.count_waiting();
            } else {
                kinds
                    .credit_memos
                    .count_named(copies, false, || format!("order {id} refund {refund}"));
            }
        }
        if let Some(tracking) = shipped.get(id) {
            kinds
                .shipments
                .count_named(store.shipments_with(*id, tracking), false, || {
                    format!("order {id} tracking {tracking}")
                });
        }
        let _ = doc;
    }
    let duplicated = kinds.documents.duplicated
        + match books {
            BooksView::Sandbox(b) => b.extra_documents(),
            BooksView::Erp(erp) => erp
                .duplicates()
                .await
                .map_err(err("count duplicates in the ERP"))?
                .iter()
                .map(|(_, n)| (*n as usize).saturating_sub(1))
                .sum(),
        }
        .saturating_sub(kinds.documents.duplicated);
    Ok(Reconciled {
        kinds,
        exception_reasons,
        storefront_total,
        ledger_total,
        duplicated,
    })
}

/// Findings per kind (every kind listed, 0 when none) and the first ten as text.
pub(super) fn audit_summary(findings: &[Finding]) -> (BTreeMap<String, usize>, Vec<String>) {
    let mut counts: BTreeMap<String, usize> = [
        "imported_not_posted",
        "document_missing",
        "refund_without_credit_memo",
        "inventory_drift",
        "order_without_document",
    ]
    .into_iter()
    .map(|k| (k.to_string(), 0))
    .collect();
    for f in findings {
        let k = match f {
            Finding::ImportedNotPosted { .. } => "imported_not_posted",
            Finding::DocumentMissing { .. } => "document_missing",
            Finding::RefundWithoutCreditMemo { .. } => "refund_without_credit_memo",
            Finding::InventoryDrift { .. } => "inventory_drift",
            Finding::OrderWithoutDocument { .. } => "order_without_document",
        };
        *counts.entry(k.into()).or_insert(0) += 1;
    }
    let text = findings.iter().take(10).map(ToString::to_string).collect();
    (counts, text)
}

/// The ERP user's orders of a seed-003 run.
pub(super) struct ErpPlan {
    /// (type, number) → whether it qualifies once everything is done.
    pub orders: BTreeMap<(String, String), bool>,
    /// The waiting order that is paid during the run.
    pub paid_later: (String, String),
}

/// The ERP user enters orders in Acumatica (`/__sandbox/`'s ERP side): with the demo's
/// settings (`ledger.erp_orders`: type `WO`, or class `WEB`, or the `UsrSyncToStore` flag;
/// ship via mapped; balance 0), some qualify now, some never, one once it is paid.
pub(super) fn enter_erp_orders(
    acu: &bc_sandbox_acumatica::AcumaticaSandbox,
) -> Result<ErpPlan, String> {
    struct Spec {
        ty: &'static str,
        customer: &'static str,
        ship_via: &'static str,
        flag: bool,
        pay: bool,
        qualifies: bool,
    }
    let specs = [
        // Qualifies: a web order, paid.
        Spec {
            ty: "WO",
            customer: "ERPC0001",
            ship_via: "UPSGROUND",
            flag: false,
            pay: true,
            qualifies: true,
        },
        // Qualifies: a WEB-class customer, paid.
        Spec {
            ty: "SO",
            customer: "ERPC0003",
            ship_via: "FEDEX2DAY",
            flag: false,
            pay: true,
            qualifies: true,
        },
        // Qualifies: the sync flag, paid.
        Spec {
            ty: "SO",
            customer: "ERPC0002",
            ship_via: "UPSGROUND",
            flag: true,
            pay: true,
            qualifies: true,
        },
        // Not yet: unpaid (paid during the run, then it qualifies).
        Spec {
            ty: "WO",
            customer: "ERPC0002",
            ship_via: "UPSGROUND",
            flag: false,
            pay: false,
            qualifies: true,
        },
        // Never: no condition holds.
        Spec {
            ty: "SO",
            customer: "ERPC0001",
            ship_via: "UPSGROUND",
            flag: false,
            pay: true,
            qualifies: false,
        },
        // Never: the ship via has no storefront mapping.
        Spec {
            ty: "WO",
            customer: "ERPC0004",
            ship_via: "PICKUP",
            flag: false,
            pay: true,
            qualifies: false,
        },
    ];
    let mut orders = BTreeMap::new();
    let mut paid_later = None;
    for (i, s) in specs.iter().enumerate() {
        let mut flags = BTreeMap::new();
        if s.flag {
            flags.insert("UsrSyncToStore".to_string(), true);
        }
        let o = acu
            .create_erp_order(&ErpOrder {
                order_type: s.ty.into(),
                customer_id: s.customer.into(),
                customer_order: Some(format!("PO-{:04}", 7100 + i)),
                ship_via: Some(s.ship_via.into()),
                tax_zone: None,
                hold: false,
                flags,
                lines: vec![ErpLine {
                    inventory_id: ["WIDGET-RED", "GADGET-MINI", "CABLE-USB-C"][i % 3].into(),
                    quantity: Decimal::from(1 + i as i64 % 3),
                    unit_price: Decimal::new(1999 + 500 * i as i64, 2),
                }],
            })
            .map_err(|e| format!("enter an ERP order in Acumatica: {e:?}"))?;
        let v = |k: &str| {
            o.get(k)
                .and_then(|x| x.get("value"))
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let key = (v("OrderType"), v("OrderNbr"));
        if s.pay {
            acu.record_payment(&key.0, &key.1, None)
                .map_err(|e| format!("pay ERP order {} {}: {e:?}", key.0, key.1))?;
        } else {
            paid_later = Some(key.clone());
        }
        orders.insert(key, s.qualifies);
    }
    Ok(ErpPlan {
        orders,
        paid_later: paid_later.unwrap_or_default(),
    })
}

/// Reconciles the ERP orders from both sandboxes: the ERP's `ExternalRef` (the storefront
/// number written back) and the storefront orders carrying the ERP number.
pub(super) fn erp_orders_count(
    plan: &ErpPlan,
    acu: &bc_sandbox_acumatica::AcumaticaSandbox,
    store: &StoreSandbox,
    paid_later: Option<&str>,
) -> ErpOrdersCount {
    let mut c = ErpOrdersCount {
        entered: plan.orders.len(),
        ..ErpOrdersCount::default()
    };
    let erp: BTreeMap<(String, String), bc_sandbox_acumatica::ErpOrderView> = acu
        .erp_orders()
        .into_iter()
        .map(|o| ((o.order_type.clone(), o.order_nbr.clone()), o))
        .collect();
    // Storefront orders per ERP number, (id, number shown): Magento `ext_order_id`;
    // BigCommerce: the order's staff notes / customer message carry it.
    let storefront_copies = |nbr: &str| -> Vec<(u64, String)> {
        match store {
            StoreSandbox::Magento(m) => m
                .orders()
                .into_iter()
                .filter(|o| o.ext_order_id.as_deref().is_some_and(|x| x.ends_with(nbr)))
                .map(|o| (o.id, o.increment_id))
                .collect(),
            StoreSandbox::BigCommerce(b) => b
                .orders()
                .into_iter()
                .filter(|o| {
                    b.order_json(o.id).is_some_and(|j| {
                        [
                            "staff_notes",
                            "customer_message",
                            "external_id",
                            "external_order_id",
                        ]
                        .iter()
                        .any(|k| {
                            j.get(*k)
                                .and_then(|v| v.as_str())
                                .is_some_and(|s| s.contains(nbr))
                        })
                    })
                })
                .map(|o| (o.id, o.id.to_string()))
                .collect(),
        }
    };
    for ((ty, nbr), qualifies) in &plan.orders {
        let copies = storefront_copies(nbr);
        if !*qualifies {
            if !copies.is_empty() {
                c.created_too_early += 1;
            }
            continue;
        }
        c.qualifying += 1;
        let erp_order = erp.get(&(ty.clone(), nbr.clone()));
        match copies.len() {
            0 => c.lost += 1,
            n => {
                let linked = erp_order.and_then(|o| o.external_ref.clone());
                if linked.is_some() {
                    c.in_storefront += 1;
                } else {
                    c.lost += 1;
                }
                c.duplicated += n - 1;
                if c.examples.len() < 4 {
                    c.examples.insert(
                        format!("{ty} {nbr}"),
                        format!(
                            "storefront {} (ERP ExternalRef {})",
                            copies[0].1,
                            linked.unwrap_or_default()
                        ),
                    );
                }
            }
        }
        if paid_later == Some(&format!("{ty}/{nbr}")) {
            c.paid_later_flowed = !copies.is_empty();
        }
        // E2: the ERP user shipped and invoiced every order that reached the storefront
        // (tracking `1ZERP` + its number): the shipment with its tracking, and the invoice
        // (Magento: an invoice; BigCommerce, which has none: the status the status map gives
        // a completed ERP order, Completed).
        let Some((id, _)) = copies.first() else {
            continue;
        };
        if erp_order.is_some_and(|o| o.external_ref.is_some()) {
            c.shipments_confirmed += 1;
            c.invoices_released += 1;
        }
        if store.shipments_with(*id, &format!("1ZERP{nbr}")) > 0 {
            c.shipments_in_storefront += 1;
        }
        let invoiced = match store {
            StoreSandbox::Magento(m) => m.order_json(*id).is_some_and(|j| {
                j.get("total_invoiced")
                    .map(|v| {
                        v.to_string()
                            .trim_matches('"')
                            .parse::<Decimal>()
                            .unwrap_or_default()
                            > Decimal::ZERO
                    })
                    .unwrap_or(false)
            }),
            StoreSandbox::BigCommerce(b) => b.order_status(*id) == Some(BIGCOMMERCE_COMPLETED),
        };
        if invoiced {
            c.invoiced_in_storefront += 1;
        }
    }
    c
}

/// What the demo's people did between worker runs (`--kills`).
#[derive(Default)]
struct People {
    handled: BTreeSet<u64>,
    shipped: BTreeMap<u64, String>,
    refunded: usize,
    stock_changes: usize,
    erp_shipped: BTreeSet<(String, String)>,
    paid_later: Option<String>,
    rounds: u32,
}

impl People {
    fn actions(&self) -> usize {
        self.shipped.len()
            + self.refunded
            + self.stock_changes
            + self.erp_shipped.len()
            + usize::from(self.paid_later.is_some())
    }

    /// Ships or refunds newly posted orders (each by its own seeded roll), changes some
    /// stock (with `stock`: between kills, not in the final rounds, which end when the people
    /// have nothing new to do); with Acumatica, pays the waiting ERP order after the first round and ships and
    /// invoices the ERP orders that reached the storefront.
    #[allow(clippy::too_many_arguments)]
    fn play(
        &mut self,
        books: &BooksSandbox,
        store: &StoreSandbox,
        source: &str,
        seen: &BTreeMap<u64, Sale>,
        plan: Option<&ErpPlan>,
        seed: u64,
        stock: bool,
    ) -> Result<(), String> {
        use super::kills::roll;
        self.rounds += 1;
        for (id, doc) in books.documents(source) {
            if !seen.contains_key(&id) || !self.handled.insert(id) {
                continue;
            }
            let r = roll(seed, id);
            if r < 40 {
                let tracking = format!("1Z{:06}{:010}", seed % 1_000_000, id);
                if books.ship(&doc, &tracking) {
                    self.shipped.insert(id, tracking);
                }
            } else if r >= 95 && id % 2 == 0 {
                if let Some(sale) = seen.get(&id) {
                    if store.refund(id, sale.total) {
                        self.refunded += 1;
                    }
                }
            }
        }
        let skus = if stock { store.skus() } else { Vec::new() };
        let n = skus.len().max(1);
        for k in 0..skus.len().min(5) {
            let i = (self.rounds as usize * 5 + k) % n;
            if let Some(sku) = skus.get(i) {
                let qty = Decimal::from(5 + roll(seed, i as u64 + 7) % 50);
                if books.adjust_stock(sku, qty) {
                    self.stock_changes += 1;
                }
            }
        }
        if let (Some(plan), BooksSandbox::Acumatica(acu)) = (plan, books) {
            if self.rounds >= 2 && self.paid_later.is_none() {
                let (ty, nbr) = &plan.paid_later;
                acu.record_payment(ty, nbr, None)
                    .map_err(|e| format!("pay ERP order {ty} {nbr}: {e:?}"))?;
                self.paid_later = Some(format!("{ty}/{nbr}"));
            }
            for o in acu.erp_orders() {
                let key = (o.order_type.clone(), o.order_nbr.clone());
                if o.external_ref.is_some() && !self.erp_shipped.contains(&key) {
                    let tracking = format!("1ZERP{}", o.order_nbr);
                    if acu
                        .ship_order(&o.order_type, &o.order_nbr, Some(&tracking), true)
                        .is_ok()
                        && acu.invoice_order(&o.order_type, &o.order_nbr).is_ok()
                    {
                        self.erp_shipped.insert(key);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Runs the `--kills` demo on the new platforms: the storefront sandbox (BigCommerce behind
/// the corrupting proxy, or Magento) and the ledger sandbox (Business Central or Acumatica)
/// served on loopback, the engine as `bcsync demo-worker` child processes SIGKILLed at seeded
/// moments (half of them inside a write), the people acting between runs; then the
/// reconciliation per kind from both sandboxes' own state, as in [`super::kills`].
pub(super) async fn run_kills(args: DemoArgs) -> Result<Summary, String> {
    use super::kills::{corrupting_proxy, last_line, set_key, Worker, FINAL_RUNS, HANG_MS};

    let started = Instant::now();
    let quiet = args.json;
    let Some(books) = BooksSandbox::new(args.ledger, args.seed)? else {
        return Err(format!(
            "--kills with --storefront {:?} --ledger {:?}: unsupported — killed workers on Magento post into Business Central or Acumatica (--ledger bc365 or acumatica); the embedded ERP with --kills runs with the BigCommerce storefront",
            args.storefront, args.ledger
        ));
    };
    let dir = work_dir(&args)?;
    let faults_on = args.faults > 0.0;
    if let BooksSandbox::Acumatica(a) = &books {
        // A killed worker never signs out: its session keeps a licence seat until the idle
        // timeout. The demo's licence has a seat per kill beside the usual four.
        a.set_max_api_sessions(4 + args.kills as usize);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ 0x6b11);
    let store = StoreSandbox::new(args.storefront, args.orders, args.seed, args.quota);
    let seen = store.importable();
    let store_served = bc_sandbox::serve::serve(store.router(), 0)
        .await
        .map_err(|e| format!("cannot serve the {} sandbox: {e}", store.name()))?;
    // BigCommerce: one order per 500 served malformed by the proxy in front of it.
    let (proxy, malformed) = match &store {
        StoreSandbox::BigCommerce(_) => {
            let (p, malformed) = corrupting_proxy(
                store_served.addr,
                seen.keys().copied(),
                faults_on,
                args.orders,
                &mut rng,
            )
            .await?;
            (Some(p), malformed)
        }
        StoreSandbox::Magento(_) => (None, BTreeSet::new()),
    };
    let store_url = proxy
        .as_ref()
        .map_or_else(|| store_served.base_url.clone(), |p| p.base_url.clone());
    let books_served = bc_sandbox::serve::serve(books.router(), 0)
        .await
        .map_err(|e| format!("cannot serve the {} sandbox: {e}", books.name()))?;
    let mut text = platforms::settings_text(
        &store,
        &store_url,
        &books,
        &books_served.base_url,
        args.quota,
    );
    text = set_key(&text, "state", "url", &state_url(&args, &dir));
    let settings =
        Settings::from_toml_str(&text).map_err(|e| format!("demo worker settings: {e}"))?;
    let source = settings.sync.import_source_code;
    let config = dir.join("worker.toml");
    std::fs::write(&config, &text)
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
    let connection = connection_name(args.seed);
    // The parent's look at the journal and, at the end, the exception queue (opened before
    // any worker, so that the store is migrated once).
    let watch = open_state(&args, &dir, &connection).await?;
    let erp_plan = match &books {
        BooksSandbox::Acumatica(acu) => Some(enter_erp_orders(acu)?),
        BooksSandbox::Bc365(_) => None,
    };
    let mut jobs_arg = "orders,refunds,shipments,statuses,inventory".to_string();
    if erp_plan.is_some() {
        jobs_arg.push_str(",erp-orders");
    }
    let mut extra_args = vec!["--jobs".to_string(), jobs_arg];
    if args.state.is_some() {
        extra_args.extend(["--connection".to_string(), connection.clone()]);
    }
    store.set_fault_plan(fault_plan(&args, 1, HANG_MS));
    books.set_fault_plan(fault_plan(&args, 2, HANG_MS));

    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut worker = Worker {
        exe,
        dir: dir.clone(),
        config,
        token_file: None,
        state_faults: args.faults / 10.0,
        seed: args.seed,
        runs: 0,
        extra_args,
    };
    let max_delay_ms = 3_000 + args.orders.saturating_mul(3);
    let mut people = People::default();
    let (mut kills, mut in_window, mut tries) = (0u32, 0u32, 0u32);
    while kills < args.kills && tries < args.kills.saturating_mul(4).saturating_add(8) {
        tries += 1;
        let (mut child, _) = worker.spawn()?;
        if let KillEnd::Killed { open } = kill_one(
            &mut child,
            &mut rng,
            max_delay_ms,
            watch.as_ref(),
            quiet,
            worker.runs,
            kills + 1,
        )
        .await?
        {
            kills += 1;
            in_window += u32::from(open > 0);
        }
        people.play(
            &books,
            &store,
            source.as_str(),
            &seen,
            erp_plan.as_ref(),
            args.seed,
            true,
        )?;
    }

    // The last workers run to the end; the people act on what they posted, and a worker
    // syncs that too, until the people have nothing new to do.
    let mut last = serde_json::Value::Null;
    let (mut settled, mut final_runs) = (false, 0);
    loop {
        let before = people.actions();
        people.play(
            &books,
            &store,
            source.as_str(),
            &seen,
            erp_plan.as_ref(),
            args.seed,
            false,
        )?;
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
            if !settled && !quiet {
                eprintln!(
                    "worker {} stopped with {status} (exit {} = work left); running another",
                    worker.runs,
                    super::worker::EXIT_WORK_LEFT
                );
            }
        }
        if !settled {
            break;
        }
    }
    if !settled && !quiet {
        eprintln!("the workers did not settle in {FINAL_RUNS} runs; reconciling what is there");
    }

    // Reconciliation from both sides' own state.
    let r = reconcile(
        &args,
        &BooksView::Sandbox(&books),
        &store,
        watch.as_ref(),
        &settings,
        &seen,
        &people.shipped,
        &malformed,
    )
    .await?;
    let open = watch
        .exceptions(&ExceptionFilter::open(EntityKind::Order))
        .await
        .map_err(err("read the exception queue"))?;
    let served = proxy.as_ref().map(|p| p.served()).unwrap_or_default();
    let mut malformed_orders = BTreeMap::new();
    for id in &malformed {
        let key = format!("{}{id}", source.as_str());
        let what = match open
            .iter()
            .find(|x| x.key == key || x.key == id.to_string())
        {
            Some(x) => x
                .reasons
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            None if r.kinds.documents.posted > 0
                && BooksView::Sandbox(&books)
                    .documents(&source)
                    .await?
                    .contains_key(id) =>
            {
                "posted".to_string()
            }
            None => "NOT IN THE EXCEPTION QUEUE".to_string(),
        };
        malformed_orders.insert(
            id.to_string(),
            format!(
                "served malformed {} time(s); {what}",
                served.get(id).copied().unwrap_or(0)
            ),
        );
    }
    let state_faults = (1..=worker.runs)
        .map(|n| {
            last_line(&dir.join(format!("worker-{n}.out")))["state_faults"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum();
    let erp_orders = match (&erp_plan, &books) {
        (Some(plan), BooksSandbox::Acumatica(acu)) => Some(erp_orders_count(
            plan,
            acu,
            &store,
            people.paid_later.as_deref(),
        )),
        _ => None,
    };
    let n = seen.len().max(1) as f64;
    let mut requests_per_order = BTreeMap::new();
    requests_per_order.insert(
        "storefront".to_string(),
        round2(store.requests() as f64 / n),
    );
    requests_per_order.insert("ledger".to_string(), round2(books.requests() as f64 / n));
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
            "{} rounds: {} shipments in the ledger, {} refunds in the storefront, {} stock changes, {} ERP orders shipped and invoiced",
            people.rounds,
            people.shipped.len(),
            people.refunded,
            people.stock_changes,
            people.erp_shipped.len()
        ),
    );
    let fmt = |m: &BTreeMap<Currency, Decimal>| {
        m.iter()
            .map(|(c, v)| (c.to_string(), v.normalize().to_string()))
            .collect()
    };
    let kinds = r.kinds;
    let summary = Summary {
        orders_seen: seen.len(),
        settings_file: None,
        ledger_rate_limited: None,
        posted: kinds.documents.posted,
        exceptions: kinds.documents.excepted,
        exception_reasons: r.exception_reasons,
        lost: kinds.documents.lost,
        duplicated: r.duplicated,
        storefront_total: fmt(&r.storefront_total),
        ledger_total: fmt(&r.ledger_total),
        requests_per_order,
        crashes: 0,
        faults: store.faults() + books.faults(),
        jobs,
        elapsed_ms: started.elapsed().as_millis(),
        killed: Some(super::reconcile::KillSummary {
            kills,
            kills_in_write_window: in_window,
            worker_runs: worker.runs,
            documents: kinds.documents,
            receipts: kinds.receipts,
            credit_memos: kinds.credit_memos,
            shipments: kinds.shipments,
            malformed_orders,
            expected_reasons: expected_reasons(&args),
            state_faults,
            token_expiries: 0,
            reconnects: 0,
            last_worker: last,
        }),
        platforms: Some(PlatformSummary {
            storefront_platform: store.name().into(),
            ledger_platform: books.name().into(),
            kinds: None,
            audit: BTreeMap::new(),
            audit_findings: Vec::new(),
            expected_exception_reasons: expected_reasons(&args),
            storefront_api_minimum_per_order: None,
            erp_orders,
            state_store: if args.state.as_deref().is_some_and(bc_state::is_postgres_url) {
                "postgres".into()
            } else {
                "sqlite".into()
            },
        }),
    };
    drop(proxy);
    drop(store_served);
    drop(books_served);
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(summary)
}
