//! The service commands: `run`, `sync`, `exceptions`, `log`, `audit`. Each reads a settings
//! file, connects to the platforms it names and to the state store.

use std::path::Path;
use std::sync::Arc;

use bc_core::Settings;
use bc_engine::{
    Engine, EntityKind, ExceptionFilter, ExceptionStatus, Job, LogQuery, Outcome, Scheduler,
    StateStore,
};
use bcsync::{ConnectContext, Registry};

/// Reads and validates a settings file; errors name the file and the key.
pub fn load(path: &Path) -> Result<Settings, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {e} (create one with `bcsync init --path {}`)",
            path.display(),
            path.display()
        )
    })?;
    Settings::from_toml_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The state store the settings name (an SQLite file or a `postgres://` database).
pub async fn open_state(settings: &Settings) -> Result<Arc<dyn StateStore>, String> {
    let url = &settings.state.url;
    bc_state::connect(url).await.map_err(|e| {
        format!(
            "cannot open the state store `{}` (setting `state.url`): {e}",
            redact_url(url)
        )
    })
}

/// `url` with any password replaced by `******` (state URLs may carry one).
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("******"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The registry of the program: every built-in connector.
pub fn registry() -> Registry {
    Registry::with_builtins()
}

/// The context of connectors built from the settings file at `config`, with the state store.
pub fn context(config: &Path, settings: &Settings, state: Arc<dyn StateStore>) -> ConnectContext {
    ConnectContext::new()
        .with_base_dir(config.parent().map(Path::to_path_buf).unwrap_or_default())
        .with_settings(settings.clone())
        .with_state(state)
}

/// Connects to both platforms (through the registry) and the state store, and checks the
/// statuses the settings name against the storefront's.
pub async fn connect(config: &Path, settings: &Settings) -> Result<Engine, String> {
    let registry = registry();
    let state = open_state(settings).await?;
    let ctx = context(config, settings, state.clone());
    let sf = registry
        .storefront(&settings.storefront, ctx.clone())
        .await
        .map_err(|e| format!("storefront: {e}"))?;
    let statuses = sf.statuses().await.map_err(|e| {
        let url = settings
            .storefront
            .table
            .get("base_url")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| match settings.storefront.platform.as_str() {
                "bigcommerce" => "https://api.bigcommerce.com".into(),
                other => format!("the {other} default"),
            });
        format!("cannot reach the storefront at {url}: {e} (check `storefront.base_url`, the store's id and `storefront.access_token`)")
    })?;
    settings
        .check_statuses(&statuses)
        .map_err(|e| e.to_string())?;
    let lg = registry
        .ledger(&settings.ledger, ctx)
        .await
        .map_err(|e| format!("ledger: {e}"))?;
    Ok(Engine::new(sf, lg, state, settings.clone()))
}

/// `bcsync sync <job>`: runs one job once and prints its report.
pub async fn sync(config: &Path, job: &str, json: bool) -> Result<(), String> {
    let job: Job = job.parse().map_err(|e: bc_core::Error| e.to_string())?;
    let settings = load(config)?;
    let engine = connect(config, &settings).await?;
    let report = engine.run(job).await.map_err(|e| format!("{job}: {e}"))?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "{job}: seen {}, done {}, skipped {}, adopted {}, failed {}",
            report.seen,
            report.done,
            report.skipped,
            report.adopted,
            report.failed.len()
        );
        for n in &report.notes {
            println!("  note: {n}");
        }
        for f in &report.failed {
            println!(
                "  failed {} {}: {}",
                f.entity.as_str(),
                f.key,
                f.reasons.join("; ")
            );
        }
    }
    Ok(())
}

/// `bcsync run`: the service, every job on its interval until Ctrl-C.
pub async fn run(config: &Path) -> Result<(), String> {
    let settings = load(config)?;
    let engine = Arc::new(connect(config, &settings).await?);
    let intervals = Scheduler::intervals_from(&settings);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (scheduler, handle) = Scheduler::new(engine, intervals);
    let scheduler = scheduler.with_reports(tx).run_at_start(true);
    eprintln!("bcsync: running; Ctrl-C to stop");
    let task = tokio::spawn(scheduler.run());
    loop {
        tokio::select! {
            run = rx.recv() => match run {
                Some(run) => match run.result {
                    Ok(r) => eprintln!("{}: seen {}, done {}, failed {}", run.job, r.seen, r.done, r.failed.len()),
                    Err(e) => eprintln!("{}: {e}", run.job),
                },
                None => break,
            },
            _ = tokio::signal::ctrl_c() => {
                handle.shutdown();
                break;
            }
        }
    }
    task.await.map_err(|e| e.to_string())?;
    Ok(())
}

/// `bcsync exceptions …`.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum ExceptionsCommand {
    /// Lists open exceptions (all with `--all`).
    List {
        /// Include resolved ones.
        #[arg(long)]
        all: bool,
    },
    /// Shows one exception with every reason.
    Show {
        /// Entity kind (order, refund, shipment…).
        entity: String,
        /// Its key (the storefront order id…).
        key: String,
    },
    /// Asks for a retry and runs the entity's job now.
    Retry {
        /// Entity kind.
        entity: String,
        /// Key.
        key: String,
    },
    /// Marks an exception resolved (fixed by hand).
    Resolve {
        /// Entity kind.
        entity: String,
        /// Key.
        key: String,
    },
}

fn entity(s: &str) -> Result<EntityKind, String> {
    s.parse::<EntityKind>().map_err(|e| e.to_string())
}

fn job_of(e: EntityKind) -> Option<Job> {
    match e {
        EntityKind::Order | EntityKind::Client | EntityKind::Item | EntityKind::Receipt => {
            Some(Job::Orders)
        }
        EntityKind::Refund => Some(Job::Refunds),
        EntityKind::Payout => Some(Job::Payouts),
        EntityKind::Shipment => Some(Job::Shipments),
        EntityKind::ErpOrder => Some(Job::ErpOrders),
        EntityKind::Status => Some(Job::Statuses),
        EntityKind::Inventory => Some(Job::Inventory),
    }
}

/// Runs an `exceptions` subcommand.
pub async fn exceptions(config: &Path, cmd: ExceptionsCommand) -> Result<(), String> {
    let settings = load(config)?;
    let state = open_state(&settings).await?;
    match cmd {
        ExceptionsCommand::List { all } => {
            let filter = ExceptionFilter {
                status: if all {
                    None
                } else {
                    Some(ExceptionStatus::Open)
                },
                ..ExceptionFilter::default()
            };
            let list = state.exceptions(&filter).await.map_err(|e| e.to_string())?;
            if list.is_empty() {
                println!("no exceptions");
            }
            for x in list {
                let first = x.reasons.first().map(|r| r.to_string()).unwrap_or_default();
                println!(
                    "{:<9} {:<12} {:<8} attempts {:<3} {}",
                    x.entity.as_str(),
                    x.key,
                    x.status.as_str(),
                    x.attempts,
                    first
                );
            }
        }
        ExceptionsCommand::Show { entity: e, key } => {
            let x = state
                .exception(entity(&e)?, &key)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no exception for {e} {key}"))?;
            println!("{} {} ({})", x.entity.as_str(), x.key, x.status.as_str());
            println!(
                "  attempts {}, first seen {}, last seen {}",
                x.attempts, x.first_seen, x.last_seen
            );
            for r in &x.reasons {
                println!("  - {r}");
            }
        }
        ExceptionsCommand::Retry { entity: e, key } => {
            let kind = entity(&e)?;
            if !state
                .request_retry(kind, &key)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("no open exception for {e} {key}"));
            }
            drop(state);
            let engine = connect(config, &settings).await?;
            if let Some(job) = job_of(kind) {
                let r = engine.run(job).await.map_err(|e| e.to_string())?;
                println!(
                    "{job}: seen {}, done {}, failed {}",
                    r.seen,
                    r.done,
                    r.failed.len()
                );
            }
            match engine
                .state()
                .exception(kind, &key)
                .await
                .map_err(|e| e.to_string())?
            {
                Some(x) if x.status == ExceptionStatus::Open => {
                    let why = x.reasons.first().map(|r| r.to_string()).unwrap_or_default();
                    return Err(format!("{e} {key} still fails: {why}"));
                }
                _ => println!("{e} {key}: synced"),
            }
        }
        ExceptionsCommand::Resolve { entity: e, key } => {
            if state
                .resolve_exception(entity(&e)?, &key)
                .await
                .map_err(|e| e.to_string())?
            {
                println!("{e} {key}: resolved");
            } else {
                return Err(format!("no open exception for {e} {key}"));
            }
        }
    }
    Ok(())
}

/// `bcsync log`: the connector log, newest last.
pub async fn log(
    config: &Path,
    entity_filter: Option<String>,
    outcome: Option<String>,
    limit: usize,
) -> Result<(), String> {
    let settings = load(config)?;
    let state = open_state(&settings).await?;
    let query = LogQuery {
        entity: entity_filter.as_deref().map(entity).transpose()?,
        outcome: outcome
            .as_deref()
            .map(Outcome::parse)
            .transpose()
            .map_err(|e| e.to_string())?,
        limit: Some(limit),
        ..LogQuery::default()
    };
    for e in state.search_log(&query).await.map_err(|e| e.to_string())? {
        println!(
            "{} {:<10} {:<9} {:<12} {:<11} {}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.job,
            e.entity.as_str(),
            e.key,
            e.outcome.as_str(),
            e.message
        );
    }
    Ok(())
}

/// `bcsync audit`: the monitoring sweep (Y2).
pub async fn audit(config: &Path) -> Result<(), String> {
    let settings = load(config)?;
    let engine = connect(config, &settings).await?;
    let report = engine.audit().await.map_err(|e| e.to_string())?;
    println!("{report}");
    Ok(())
}
