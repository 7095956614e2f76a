//! The in-process demo (`bcsync demo` without `--kills`): the engine runs in this process over
//! the sandboxes' routers (no sockets); `--crashes N` "crashes" it by dropping its future at
//! seeded random moments and opening a new engine on the same state file.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bc_connector_acctvantage::{Erp, ErpOptions};
use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
use bc_connector_qbo::{QboLedger, QboOptions};
use bc_core::money::round_dp;
use bc_core::{Currency, ImportId, Ledger, LedgerRef, Settings, ShipmentLine, Storefront};
use bc_engine::{Engine, EngineOptions, EntityKind, ExceptionFilter, Job, RunReport, StateStore};
use bc_http::{RateLimits, RouterTransport};
use bc_sandbox::faults::FaultPlan;
use bc_sandbox_bigcommerce::{BigCommerceConfig as SandboxConfig, BigCommerceSandbox};
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use secrecy::SecretString;

use super::{
    demo_settings, describe, err, fast_retry, importable, injected, progress, reason_group, round2,
    work_dir, DemoArgs, DemoLedger, Summary, AWAITING_FULFILLMENT,
};

enum LedgerSide {
    Erp(Arc<Erp>),
    Qbo {
        sandbox: QboSandbox,
        ledger: Arc<QboLedger>,
    },
}

impl LedgerSide {
    fn ledger(&self) -> Arc<dyn Ledger> {
        match self {
            LedgerSide::Erp(e) => e.clone(),
            LedgerSide::Qbo { ledger, .. } => ledger.clone(),
        }
    }
}

/// Where the engine's state is: `--state`, or the SQLite file in the demo's folder, under
/// one connection name for the whole run (a restarted engine finds its own state).
struct StateAt<'a> {
    args: &'a DemoArgs,
    dir: &'a Path,
    connection: &'a str,
}

async fn open_engine(
    storefront: Arc<dyn Storefront>,
    ledger: Arc<dyn Ledger>,
    store: &StateAt<'_>,
    settings: &Settings,
) -> Result<(Engine, Arc<dyn StateStore>), String> {
    let state = super::cycle::open_state(store.args, store.dir, store.connection).await?;
    let options = EngineOptions {
        // A restarted demo engine is the same worker coming back: it takes its own lease over
        // at once instead of waiting for it to expire.
        owner: "bcsync-demo".to_string(),
        concurrency: 16,
        ..EngineOptions::default()
    };
    let engine = Engine::with_options(storefront, ledger, state.clone(), settings.clone(), options);
    Ok((engine, state))
}

/// Runs the in-process demo and returns its summary.
pub(super) async fn run(args: DemoArgs) -> Result<Summary, String> {
    if !(0.0..=1.0).contains(&args.faults) {
        return Err(format!(
            "--faults {} must be between 0.0 and 1.0",
            args.faults
        ));
    }
    let started = Instant::now();
    let quiet = args.json;
    let settings = demo_settings(args.ledger)?;
    let dir = work_dir(&args)?;
    let fault_plan = |stream: u64| {
        if args.faults > 0.0 {
            let mut p = FaultPlan::uniform(args.seed.wrapping_add(stream), args.faults);
            // Hangs are lost answers; keep them short so the demo stays a demo.
            p.hang_ms = 300;
            p
        } else {
            FaultPlan::none()
        }
    };

    // The storefront: the BigCommerce sandbox, in-process.
    // The same rate as `--quota` per 30 s, counted in 3 s windows: a 429 (real or injected)
    // then asks for a wait of at most 3 s, which keeps `--faults` runs short.
    let sandbox = Arc::new(BigCommerceSandbox::new(SandboxConfig {
        quota: args.quota.div_ceil(10).max(1),
        window_ms: 3_000,
        faults: FaultPlan::none(),
        ..SandboxConfig::default()
    }));
    sandbox.seed_orders(args.orders, args.seed);
    let seen = importable(&sandbox);
    let creds = sandbox.credentials_json();
    let bc_config = BigCommerceConfig::new(
        sandbox.store_hash(),
        SecretString::from(
            creds["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
    )
    .with_api_base("http://sandbox.invalid")
    .with_limits(
        RateLimits::new(args.quota.div_ceil(10).max(1), Duration::from_secs(3))
            .with_max_in_flight(16),
    )
    .with_retry(fast_retry(args.seed));
    let storefront: Arc<dyn Storefront> = Arc::new(
        BigCommerce::with_transport(bc_config, Arc::new(RouterTransport::new(sandbox.router())))
            .map_err(err("connect to the BigCommerce sandbox"))?,
    );
    sandbox.faults().set_plan(fault_plan(1));

    // The ledger.
    let side = match args.ledger {
        // `demo::run` sends these to `cycle`; never reached from there.
        DemoLedger::Bc365 | DemoLedger::Acumatica => {
            return Err(format!(
                "--ledger {:?} runs through the platforms' cycle, not this path",
                args.ledger
            ))
        }
        DemoLedger::Acctvantage => {
            let erp = Erp::open_with(dir.join("erp.sqlite"), ErpOptions::from_settings(&settings))
                .await
                .map_err(err("open the embedded ERP"))?;
            let setup = erp
                .prepare_for(&settings)
                .await
                .map_err(err("prepare the ERP"))?;
            if !quiet && !setup.is_empty() {
                eprintln!("ERP set up for the demo settings: {} records", setup.len());
            }
            LedgerSide::Erp(Arc::new(erp))
        }
        DemoLedger::Qbo => {
            let qbo = QboSandbox::new(QboConfig {
                multicurrency: true,
                seed: args.seed,
                ..QboConfig::default()
            });
            let c = qbo.credentials_json();
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            let mut options = QboOptions::new(
                s("realm_id"),
                s("client_id"),
                SecretString::from(s("client_secret")),
                SecretString::from(s("refresh_token")),
            )
            .with_base_url("http://sandbox.invalid")
            .with_token_url("http://sandbox.invalid/oauth2/v1/tokens/bearer")
            .with_access_token(
                SecretString::from(s("access_token")),
                Duration::from_secs(3600),
            )
            .with_retry(fast_retry(args.seed + 1));
            options.currencies = vec![Currency::CAD, Currency::EUR, Currency::JPY];
            let ledger = QboLedger::connect(options, Arc::new(RouterTransport::new(qbo.router())))
                .await
                .map_err(err("connect to the QuickBooks Online sandbox"))?;
            qbo.set_fault_plan(super::kills::qbo_plan(fault_plan(2)));
            LedgerSide::Qbo {
                sandbox: qbo,
                ledger: Arc::new(ledger),
            }
        }
    };
    let ledger = side.ledger();
    let connection = super::cycle::connection_name(args.seed);
    let state_at = StateAt {
        args: &args,
        dir: &dir,
        connection: &connection,
    };

    // Import, with crashes: the engine is dropped at a random moment and a new one opened on
    // the same state file.
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ 0x5eed);
    let bar = progress(seen.len() as u64, "orders", quiet);
    let ticker = {
        let bar = bar.clone();
        let sandbox_orders = {
            let sb = sandbox.clone();
            move || {
                sb.orders()
                    .into_iter()
                    .filter(|o| o.status_id != AWAITING_FULFILLMENT)
                    .count()
            }
        };
        let base = sandbox_orders();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                bar.set_position(sandbox_orders().saturating_sub(base) as u64);
            }
        })
    };
    let mut crashes = 0u32;
    let mut tries = 0u32;
    while crashes < args.crashes && tries < args.crashes.saturating_mul(4).max(4) {
        tries += 1;
        let (engine, _state) =
            open_engine(storefront.clone(), ledger.clone(), &state_at, &settings).await?;
        let delay = Duration::from_millis(rng.gen_range(20..600));
        tokio::select! {
            r = engine.run(Job::Orders) => {
                if let Ok(report) = r {
                    if report.seen == 0 { break; }
                }
            }
            _ = tokio::time::sleep(delay) => {
                crashes += 1;
                bar.set_message(format!("crash {crashes} after {} ms; restarting", delay.as_millis()));
            }
        }
    }
    let (engine, state) =
        open_engine(storefront.clone(), ledger.clone(), &state_at, &settings).await?;
    // Passes until nothing is left to do: faults that outlast the retries leave orders for
    // the next pass, as the service's next cycle would.
    let mut orders_report: Option<RunReport> = None;
    let mut passes = 0;
    for _pass in 0..8 {
        passes += 1;
        let r = engine.run(Job::Orders).await.map_err(err("orders job"))?;
        let again = r.done > 0 || r.failed.iter().any(|f| f.temporary);
        orders_report = Some(match orders_report.take() {
            None => r,
            Some(mut total) => {
                total.done += r.done;
                total.adopted += r.adopted;
                total.failed = r.failed;
                total
            }
        });
        if !again {
            break;
        }
    }
    let import_requests = (
        sandbox.stats().total,
        match &side {
            LedgerSide::Erp(_) => 0,
            LedgerSide::Qbo { sandbox: q, .. } => q.stats().snapshot().total,
        },
    );
    ticker.abort();
    bar.set_position(seen.len() as u64);
    bar.finish_with_message("imported");

    // The rest of the cycle runs without faults: they were the import's test.
    sandbox.faults().set_plan(FaultPlan::none());
    if let LedgerSide::Qbo { sandbox: q, .. } = &side {
        q.set_fault_plan(FaultPlan::none());
    }
    let mut jobs = BTreeMap::new();
    if let Some(r) = &orders_report {
        jobs.insert(
            "orders".to_string(),
            format!("{} in {passes} pass(es)", describe(r)),
        );
    }
    let source = settings.sync.import_source_code;

    // People in the ERP ship a share of the orders and complete some; stock changes.
    let posted_refs = ledger_documents(&side, &seen, &source, ledger.as_ref()).await?;
    let mut shipped = 0usize;
    let mut refunded = 0usize;
    for (i, (order_id, doc)) in posted_refs.iter().enumerate() {
        let roll = rng.gen_range(0..100);
        if roll < 40 {
            let tracking = format!("1Z{:06}{:010}", args.seed % 1_000_000, order_id);
            match &side {
                LedgerSide::Erp(erp) => {
                    erp.process_shipment(&doc.at, &tracking, "ups", &[] as &[ShipmentLine])
                        .await
                        .map_err(err("process a shipment in the ERP"))?;
                    if roll < 10 {
                        erp.set_status(
                            &doc.at,
                            bc_connector_acctvantage::SalesOrderStatus::Completed,
                        )
                        .await
                        .ok();
                    }
                }
                LedgerSide::Qbo { sandbox: q, .. } => {
                    q.record_shipment(
                        &doc.at.id,
                        &bc_sandbox_qbo::Shipment {
                            tracking_num: tracking,
                            ship_method: "UPS".into(),
                            ship_date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
                        },
                    )
                    .map_err(|e| format!("record a shipment in the QuickBooks sandbox: {e:?}"))?;
                }
            }
            shipped += 1;
        } else if roll >= 95 && i % 2 == 0 {
            // The merchant refunds part of the order in the BigCommerce control panel.
            if let Some(total) = seen.get(order_id) {
                let amount = round_dp(*total / Decimal::from(4), 2);
                if amount > Decimal::ZERO
                    && sandbox
                        .create_refund(*order_id, amount, "Damaged in transit")
                        .is_ok()
                {
                    refunded += 1;
                }
            }
        }
    }
    if let LedgerSide::Erp(erp) = &side {
        for sku in sandbox.skus().into_iter().take(25) {
            erp.adjust_stock(&sku, "MAIN", Decimal::from(rng.gen_range(5..60)))
                .await
                .ok();
        }
    }
    jobs.insert("erp".into(), format!("{shipped} shipments processed in the ledger, {refunded} refunds made in the storefront"));

    for job in [
        Job::Shipments,
        Job::Inventory,
        Job::Statuses,
        Job::Refunds,
        Job::Payouts,
        Job::Audit,
    ] {
        let bar = progress(1, job.as_str(), quiet);
        let r = engine.run(job).await;
        bar.finish_and_clear();
        jobs.insert(
            job.as_str().to_string(),
            match r {
                Ok(r) => describe(&r),
                Err(e) => format!("failed: {e}"),
            },
        );
    }

    // Reconciliation from both sides' own state.
    let documents = ledger_documents(&side, &seen, &source, ledger.as_ref()).await?;
    let exceptions = state
        .exceptions(&ExceptionFilter::open(EntityKind::Order))
        .await
        .map_err(err("read the exception queue"))?;
    let excepted: BTreeMap<u64, String> = exceptions
        .iter()
        .filter_map(|x| {
            let id = x
                .key
                .trim_start_matches(source.as_str())
                .parse::<u64>()
                .ok()?;
            Some((id, reason_group(&x.reasons)))
        })
        .collect();
    let mut exception_reasons = BTreeMap::new();
    let mut lost = 0;
    let mut in_exceptions = 0;
    let mut storefront_total: BTreeMap<Currency, Decimal> = BTreeMap::new();
    let mut ledger_total: BTreeMap<Currency, Decimal> = BTreeMap::new();
    for (id, total) in &seen {
        match documents.get(id) {
            Some(doc) => {
                let dp = doc.currency.minor_units();
                *storefront_total.entry(doc.currency).or_default() += round_dp(*total, dp);
                *ledger_total.entry(doc.currency).or_default() += doc.total;
            }
            None => match excepted.get(id) {
                Some(reason) => {
                    in_exceptions += 1;
                    *exception_reasons.entry(reason.clone()).or_insert(0) += 1;
                }
                None => lost += 1,
            },
        }
    }
    let duplicated = duplicates(&side).await?;
    // Requests of the import itself (orders job), per order seen; the embedded ERP takes none.
    let n = seen.len().max(1) as f64;
    let mut requests_per_order = BTreeMap::new();
    requests_per_order.insert(
        "storefront".to_string(),
        round2(import_requests.0 as f64 / n),
    );
    requests_per_order.insert("ledger".to_string(), round2(import_requests.1 as f64 / n));
    let ledger_rate_limited = match &side {
        LedgerSide::Qbo { sandbox: q, .. } => Some(q.stats().snapshot().rate_limited),
        LedgerSide::Erp(_) => None,
    };
    let mut faults = injected(&sandbox.faults().counts());
    if let LedgerSide::Qbo { sandbox: q, .. } = &side {
        faults += injected(&q.faults().counts());
    }
    let fmt = |m: &BTreeMap<Currency, Decimal>| {
        m.iter()
            .map(|(c, v)| (c.to_string(), v.normalize().to_string()))
            .collect()
    };
    let summary = Summary {
        orders_seen: seen.len(),
        settings_file: None,
        ledger_rate_limited,
        posted: documents.len(),
        exceptions: in_exceptions,
        exception_reasons,
        lost,
        duplicated,
        storefront_total: fmt(&storefront_total),
        ledger_total: fmt(&ledger_total),
        requests_per_order,
        crashes,
        faults,
        jobs,
        elapsed_ms: started.elapsed().as_millis(),
        killed: None,
        platforms: None,
    };
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(summary)
}

/// A ledger document of a demo order.
struct Doc {
    at: LedgerRef,
    total: Decimal,
    currency: Currency,
}

/// The ledger documents of the importable orders, read from the ledger.
async fn ledger_documents(
    side: &LedgerSide,
    seen: &BTreeMap<u64, Decimal>,
    source: &bc_core::SourceCode,
    ledger: &dyn Ledger,
) -> Result<BTreeMap<u64, Doc>, String> {
    let mut out = BTreeMap::new();
    match side {
        LedgerSide::Erp(erp) => {
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
                if seen.contains_key(&id) {
                    out.insert(
                        id,
                        Doc {
                            at: s.at,
                            total: s.total,
                            currency: s.currency,
                        },
                    );
                }
            }
        }
        LedgerSide::Qbo { .. } => {
            let ids: Vec<u64> = seen.keys().copied().collect();
            for chunk in ids.chunks(30) {
                let import_ids: Vec<ImportId> = chunk
                    .iter()
                    .filter_map(|id| {
                        ImportId::new(*source, bc_core::OrderId::new(id.to_string())).ok()
                    })
                    .collect();
                for (id, found) in chunk.iter().zip(ledger.find_documents(&import_ids).await) {
                    if let Some(doc) = found.map_err(err("find a QuickBooks document"))? {
                        out.insert(
                            *id,
                            Doc {
                                at: doc.at,
                                total: doc.total,
                                currency: doc.currency,
                            },
                        );
                    }
                }
            }
        }
    }
    Ok(out)
}

async fn duplicates(side: &LedgerSide) -> Result<usize, String> {
    Ok(match side {
        LedgerSide::Erp(erp) => erp
            .duplicates()
            .await
            .map_err(err("count duplicates in the ERP"))?
            .iter()
            .map(|(_, n)| (*n as usize).saturating_sub(1))
            .sum(),
        LedgerSide::Qbo { sandbox, .. } => sandbox.duplicates().extra_documents(),
    })
}
