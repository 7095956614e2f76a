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

use super::exit::{CliError, CliResult, Exit};

/// Reads and validates a settings file; errors name the file and the key.
pub fn load(path: &Path) -> CliResult<Settings> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::config(format!(
            "cannot read {}: {e} (create one with `bcsync init --path {}`)",
            path.display(),
            path.display()
        ))
    })?;
    let mut settings = Settings::from_toml_str(&text)
        .map_err(|e| CliError::config(format!("{}: {e}", path.display())))?;
    apply_connection(&mut settings, super::connection_override())
        .map_err(|e| CliError::config(format!("{}: {e}", path.display())))?;
    Ok(settings)
}

/// Puts the connection chosen on the command line (`chosen`, from `--connection`) into
/// `settings.state.connection`, and checks the name either way (an error names where it came
/// from, in the words of the other settings errors).
pub fn apply_connection(settings: &mut Settings, chosen: Option<String>) -> Result<(), String> {
    let (from_flag, name) = match chosen {
        Some(name) => (true, name),
        None => match &settings.state.connection {
            Some(name) => (false, name.clone()),
            None => return Ok(()),
        },
    };
    if bc_state::check_connection_name(&name).is_err() {
        let why = format!(
            "expected a connection name: 1 to {} letters, digits, `-`, `_` or `.`",
            bc_state::MAX_CONNECTION_NAME
        );
        return Err(if from_flag {
            format!(
                "`--connection` {name:?} (or {}): {why}",
                super::CONNECTION_ENV
            )
        } else {
            format!("setting `state.connection` = {name:?}: {why}")
        });
    }
    settings.state.connection = Some(name);
    Ok(())
}

/// The connection the settings name (`state.connection`, or `--connection`), else the
/// store's default.
pub fn connection_of(settings: &Settings) -> &str {
    settings
        .state
        .connection
        .as_deref()
        .unwrap_or(bc_state::DEFAULT_CONNECTION)
}

/// `bcsync check`: the settings file parses, names platforms this build has, each section
/// parses as its connector's config, every `env:` secret is set, and the state store opens.
pub async fn check(config: &Path, online: bool, json: bool) -> CliResult {
    if online {
        return preflight(config, json).await;
    }
    let settings = load(config)?;
    registry()
        .check(&settings)
        .map_err(|e| CliError::core(&config.display().to_string(), &e))?;
    let state = open_state(&settings).await?;
    drop(state);
    if json {
        return super::print_json(&serde_json::json!({
            "config": config,
            "valid": true,
        }));
    }
    outln!("{}: settings are valid", config.display());
    Ok(())
}

/// The state store the settings name (an SQLite file or a `postgres://` database).
pub async fn open_state(settings: &Settings) -> CliResult<Arc<dyn StateStore>> {
    let url = &settings.state.url;
    bc_state::connect_as(url, connection_of(settings))
        .await
        .map_err(|e| {
            let exit = match e.kind() {
                bc_core::ErrorKind::Config | bc_core::ErrorKind::Unsupported => Exit::Config,
                bc_core::ErrorKind::Unauthenticated | bc_core::ErrorKind::Forbidden => Exit::Auth,
                _ => Exit::Unavailable,
            };
            CliError::new(
                exit,
                format!(
                    "cannot open the state store `{}` (setting `state.url`): {}",
                    redact_url(url),
                    redact_text(&e.to_string(), url)
                ),
            )
        })
}

/// `text` with the password of `url`, if any, replaced by `******` (a driver's error may
/// quote the URL it was given).
pub fn redact_text(text: &str, url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.password() {
            Some(p) if !p.is_empty() => text.replace(p, "******"),
            _ => text.to_string(),
        },
        Err(_) => text.to_string(),
    }
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
pub async fn connect(config: &Path, settings: &Settings) -> CliResult<Engine> {
    let state = open_state(settings).await?;
    connect_on(
        config,
        settings,
        state,
        bc_engine::EngineOptions::default(),
        None,
    )
    .await
}

/// [`connect`] on a state store handle already open (bound to the settings' connection), with
/// engine `options` (a worker's identity as lease owner) and, when given, an HTTP transport
/// shared by every connection of the process (one connection pool and TLS setup instead of
/// one per platform client).
pub async fn connect_on(
    config: &Path,
    settings: &Settings,
    state: Arc<dyn StateStore>,
    options: bc_engine::EngineOptions,
    transport: Option<Arc<dyn bc_http::HttpTransport>>,
) -> CliResult<Engine> {
    let registry = registry();
    let mut ctx = context(config, settings, state.clone());
    if let Some(t) = transport {
        ctx = ctx.with_transport(t);
    }
    let sf = registry
        .storefront(&settings.storefront, ctx.clone())
        .await
        .map_err(|e| CliError::core("storefront", &e))?;
    let statuses = sf.statuses().await.map_err(|e| {
        let section = &settings.storefront;
        match e.kind() {
            bc_core::ErrorKind::Unauthenticated | bc_core::ErrorKind::Forbidden => CliError::new(
                Exit::Auth,
                format!(
                    "the storefront ({}) refused the credentials: {e} (check {})",
                    section.platform,
                    credential_keys(section)
                ),
            ),
            _ => {
                let url = section
                    .table
                    .get("base_url")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| match section.platform.as_str() {
                        "bigcommerce" => "https://api.bigcommerce.com".into(),
                        other => format!("the {other} default"),
                    });
                CliError::new(
                    Exit::of_kind(e.kind()),
                    format!(
                        "cannot reach the storefront at {url}: {e} (check `storefront.base_url` and {})",
                        credential_keys(section)
                    ),
                )
            }
        }
    })?;
    settings
        .check_statuses(&statuses)
        .map_err(|e| CliError::core("", &e))?;
    let lg = registry
        .ledger(&settings.ledger, ctx)
        .await
        .map_err(|e| match e.kind() {
            bc_core::ErrorKind::Unauthenticated | bc_core::ErrorKind::Forbidden => CliError::new(
                Exit::Auth,
                format!(
                    "the ledger ({}) refused the credentials: {e} (check {})",
                    settings.ledger.platform,
                    credential_keys(&settings.ledger)
                ),
            ),
            _ => CliError::core("ledger", &e),
        })?;
    Ok(Engine::with_options(
        sf,
        lg,
        state,
        settings.clone(),
        options,
    ))
}

/// The credential keys of a section, for "check …" hints (`storefront.access_token`, …).
fn credential_keys(section: &bc_core::settings::PlatformSettings) -> String {
    let keys: Vec<String> = section
        .table
        .keys()
        .filter(|k| {
            let k = k.to_ascii_lowercase();
            [
                "token",
                "secret",
                "password",
                "key",
                "client_id",
                "store_hash",
                "username",
                "realm",
            ]
            .iter()
            .any(|w| k.contains(w))
        })
        .map(|k| format!("`{}.{k}`", section.section))
        .collect();
    if keys.is_empty() {
        format!("the credentials in [{}]", section.section)
    } else {
        keys.join(", ")
    }
}

/// `bcsync sync <job>`: runs one job once and prints its report. `dry_run` (orders): the
/// preflight instead; `order` (orders): that one order, then its refunds.
pub async fn sync(
    config: &Path,
    job: &str,
    dry_run: bool,
    order: Option<String>,
    json: bool,
) -> CliResult {
    let job: Job = job
        .parse()
        .map_err(|e: bc_core::Error| CliError::new(Exit::Usage, e.to_string()))?;
    if (dry_run || order.is_some()) && job != Job::Orders {
        return Err(CliError::new(
            Exit::Usage,
            format!("--dry-run and --order are for `bcsync sync orders`, not `{job}`"),
        ));
    }
    if dry_run {
        return preflight(config, json).await;
    }
    let settings = load(config)?;
    let engine = connect(config, &settings).await?;
    let bar = super::progress::attach(&engine, json, &job.to_string());
    let result = match &order {
        Some(id) => {
            let id = bc_core::OrderId::new(id.clone());
            let first = engine.import_order(&id).await;
            match first {
                Ok(mut r) => {
                    // Its refunds too: why one imports an order on purpose.
                    if let Ok(refunds) = engine.sync_refunds_of(&id).await {
                        r.notes.push(format!(
                            "refunds of order {id}: seen {}, done {}, failed {}",
                            refunds.seen,
                            refunds.done,
                            refunds.failed.len()
                        ));
                    }
                    Ok(r)
                }
                Err(e) => Err(e),
            }
        }
        None => engine.run(job).await,
    };
    bar.finish_and_clear();
    let report = result.map_err(|e| CliError::core(&job.to_string(), &e))?;
    if json {
        super::print_json(&report)?;
    } else {
        outln!(
            "{job}: seen {}, done {} (adopted {}), skipped {}, failed {}, held {}, deferred {}",
            report.seen,
            report.done,
            report.adopted,
            report.skipped,
            report.failed.len(),
            report.held,
            report.deferred
        );
        for n in &report.notes {
            outln!("  note: {n}");
        }
        for f in &report.failed {
            outln!(
                "  failed {} {}: {}",
                f.entity.as_str(),
                f.key,
                f.reasons.join("; ")
            );
        }
        for c in &report.config_causes {
            outln!(
                "  held for configuration: `{}`: {} ({} order(s): {})",
                c.setting,
                c.message,
                c.blocked,
                short_ids(&c.orders)
            );
        }
    }
    let after = |e: CliError| e.after_json(json);
    if !report.config_causes.is_empty() {
        let keys: Vec<String> = report
            .config_causes
            .iter()
            .map(|c| format!("`{}`", c.setting))
            .collect();
        return Err(after(CliError::config(format!(
            "{job}: {} order(s) held, nothing changed in the store for them: set {} (`bcsync check --online --config {}` prints the lines to add)",
            report.held,
            keys.join(", "),
            config.display()
        ))));
    }
    if !report.failed.is_empty() {
        return Err(after(CliError::items_failed(format!(
            "{job}: {} item(s) failed; see `bcsync exceptions list`",
            report.failed.len()
        ))));
    }
    Ok(())
}

/// At most five ids, then "… and N more".
fn short_ids(ids: &[bc_core::OrderId]) -> String {
    let shown: Vec<String> = ids.iter().take(5).map(ToString::to_string).collect();
    if ids.len() > 5 {
        format!("{} … and {} more", shown.join(", "), ids.len() - 5)
    } else {
        shown.join(", ")
    }
}

/// `check --online` and `sync orders --dry-run`: the preflight (reads only).
pub async fn preflight(config: &Path, json: bool) -> CliResult {
    let settings = load(config)?;
    registry()
        .check(&settings)
        .map_err(|e| CliError::core(&config.display().to_string(), &e))?;
    let engine = connect(config, &settings).await?;
    let bar = super::progress::attach(&engine, json, "planning");
    let result = engine.preflight().await;
    bar.finish_and_clear();
    let pre = result.map_err(|e| CliError::core("check --online", &e))?;
    if json {
        super::print_json(&pre)?;
    } else {
        outln!("{}", pre.to_string().trim_end());
    }
    if pre.is_clean() {
        Ok(())
    } else {
        Err(CliError::items_failed(format!(
            "{} problem(s) would block {} of {} waiting order(s); nothing was written",
            pre.problems.len(),
            pre.orders_planned.saturating_sub(pre.orders_clean),
            pre.orders_planned
        ))
        .after_json(json))
    }
}

/// `bcsync run`: the service, every job on its interval until Ctrl-C or SIGTERM. Either
/// signal lets the current job finish its current write, record it and release its lease;
/// a second signal stops at once (the write journal makes that safe too). With `listen`,
/// serves webhooks, `/healthz`, `/readyz` and `/metrics` there (see [`super::listen`]).
pub async fn run(config: &Path, listen: Option<std::net::SocketAddr>) -> CliResult {
    let settings = load(config)?;
    if let Some(addr) = listen {
        // Refuse a reachable address without secrets before connecting anywhere.
        super::listen::server_config(&settings, addr)?;
    }
    let state = open_state(&settings).await?;
    let options = bc_engine::EngineOptions::default();
    let owner = format!("{}#{}", options.owner, std::process::id());
    let (engine, accounts) =
        bc_http::rate::track_accounts(connect_on(config, &settings, state, options, None)).await;
    let engine = Arc::new(engine?);
    // The rate budgets for `bcsync status`, every few seconds.
    let (budgets_stop, budgets_rx) = tokio::sync::watch::channel(false);
    let recorder = {
        let db = bc_state::StateDatabase::open(&settings.state.url)
            .await
            .and_then(|db| db.for_connection(connection_of(&settings)));
        match db {
            Ok(db) => {
                let made: MadeList = Arc::new(std::sync::Mutex::new(vec![Made {
                    connection: db.connection().to_string(),
                    owner,
                    engine: Arc::clone(&engine),
                    accounts,
                }]));
                Some(tokio::spawn(async move {
                    record_budgets_every(db.clone(), Arc::clone(&made), budgets_rx).await;
                    record_budgets_once(&db, &made).await;
                    db.close().await;
                }))
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the state store to record rate budgets");
                None
            }
        }
    };
    let intervals = Scheduler::intervals_from(&settings);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (scheduler, handle) = Scheduler::new(engine.clone(), intervals.clone());
    let scheduler = scheduler.with_reports(tx).run_at_start(true);
    let liveness = Arc::new(super::listen::Liveness::default());
    let server = match listen {
        Some(addr) => Some(
            super::listen::start(
                addr,
                &settings,
                engine.clone(),
                handle.clone(),
                liveness.clone(),
                intervals,
            )
            .await?,
        ),
        None => None,
    };
    tracing::info!(config = %config.display(), "running; Ctrl-C or SIGTERM to stop");
    let mut task = tokio::spawn(scheduler.run());
    let mut stopping = false;
    loop {
        tokio::select! {
            run = rx.recv() => match run {
                Some(run) => {
                    liveness.finished(run.job);
                    if server.is_some() {
                        super::listen::record_run(&engine, run.job, &run.result).await;
                    }
                    match run.result {
                        Ok(r) => tracing::info!(
                            job = %run.job, seen = r.seen, done = r.done, skipped = r.skipped,
                            adopted = r.adopted, failed = r.failed.len(), "job run"
                        ),
                        Err(e) => tracing::warn!(job = %run.job, error = %e, "job run failed"),
                    }
                }
                None => break,
            },
            signal = stop_signal() => {
                if stopping {
                    tracing::warn!(%signal, "second stop signal: stopping now");
                    task.abort();
                    break;
                }
                tracing::info!(%signal, "stopping after the current write");
                stopping = true;
                engine.stop();
                handle.shutdown();
            }
            done = &mut task => {
                done.map_err(|e| format!("the scheduler stopped: {e}"))?;
                break;
            }
        }
    }
    if let Some(server) = server {
        let _ = server.shutdown().await;
    }
    let _ = budgets_stop.send(true);
    if let Some(recorder) = recorder {
        let _ = recorder.await;
    }
    if !task.is_finished() {
        match task.await {
            Ok(()) => {}
            Err(e) if e.is_cancelled() => {}
            Err(e) => return Err(format!("the scheduler stopped: {e}").into()),
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Waits for Ctrl-C or (on Unix) SIGTERM; returns which.
pub async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// `bcsync exceptions …`.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum ExceptionsCommand {
    /// Lists open exceptions (all with `--all`); each line starts with its id (`order/101`).
    List {
        /// Include resolved ones.
        #[arg(long)]
        all: bool,
    },
    /// Shows one exception with every reason: its id as `list` prints it (`order/101`), or
    /// the key alone when only one entity has it (`101`), or the entity and the key
    /// (`order 101`). Entities: order, client, item, receipt, refund, payout, shipment,
    /// erp_order, status, inventory.
    Show {
        /// The id (`order/101`), the key (`101`), or the entity (`order`).
        id: String,
        /// The key, when the first argument is the entity.
        key: Option<String>,
    },
    /// Asks for a retry and runs the entity's job now (the id as for `show`); `--all` or
    /// `--reason R` retry in bulk (each job once, paced by the platforms' rate limits, with a
    /// progress bar).
    Retry {
        /// The id (`order/101`), the key (`101`), or the entity (`order`).
        #[arg(required_unless_present_any = ["all", "reason"], conflicts_with_all = ["all", "reason"])]
        id: Option<String>,
        /// The key, when the first argument is the entity.
        key: Option<String>,
        /// Every open exception.
        #[arg(long, conflicts_with = "reason")]
        all: bool,
        /// Open exceptions with this reason (as `exceptions list` and `status` show it:
        /// unmapped_tax_zone, unknown_item, invalid, outcome_unknown…).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Marks an exception resolved (fixed by hand; the id as for `show`).
    Resolve {
        /// The id (`order/101`), the key (`101`), or the entity (`order`).
        id: String,
        /// The key, when the first argument is the entity.
        key: Option<String>,
    },
}

fn entity(s: &str) -> CliResult<EntityKind> {
    s.parse::<EntityKind>().map_err(|_| {
        CliError::new(
            Exit::Usage,
            format!(
                "`{s}` is not an entity; use one of: {}",
                EntityKind::ALL
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

/// The id `exceptions list` prints.
fn exception_id(entity: EntityKind, key: &str) -> String {
    format!("{}/{key}", entity.as_str())
}

/// Resolves `id [key]` (see [`ExceptionsCommand::Show`]) to an entity and a key.
async fn which(
    state: &dyn StateStore,
    id: &str,
    key: Option<String>,
) -> CliResult<(EntityKind, String)> {
    if let Some(key) = key {
        return Ok((entity(id)?, key));
    }
    if let Some((e, k)) = id.split_once('/') {
        if let Ok(kind) = e.parse::<EntityKind>() {
            return Ok((kind, k.to_string()));
        }
    }
    let all = state
        .exceptions(&ExceptionFilter::default())
        .await
        .map_err(|e| CliError::core("cannot read the exception queue", &e))?;
    let hits: Vec<_> = all.iter().filter(|x| x.key == id).collect();
    match hits.as_slice() {
        [one] => Ok((one.entity, one.key.clone())),
        [] => Err(CliError::new(
            Exit::Usage,
            format!("no exception has the id `{id}` (ids look like `order/101`: see `bcsync exceptions list`)"),
        )),
        many => Err(CliError::new(
            Exit::Usage,
            format!(
                "`{id}` is the key of several exceptions: {}; give the whole id",
                many.iter().map(|x| exception_id(x.entity, &x.key)).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// Runs an `exceptions` subcommand.
pub async fn exceptions(config: &Path, cmd: ExceptionsCommand, json: bool) -> CliResult {
    let settings = load(config)?;
    let state = open_state(&settings).await?;
    let store_err = |e: bc_core::Error| CliError::core("the state store", &e);
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
            let list = state.exceptions(&filter).await.map_err(store_err)?;
            if json {
                return super::print_json(&list);
            }
            if list.is_empty() {
                outln!("no exceptions");
            }
            for x in list {
                let first = x.reasons.first().map(|r| r.to_string()).unwrap_or_default();
                outln!(
                    "{:<22} {:<8} attempts {:<3} {}",
                    exception_id(x.entity, &x.key),
                    x.status.as_str(),
                    x.attempts,
                    first
                );
            }
        }
        ExceptionsCommand::Show { id, key } => {
            let (kind, key) = which(state.as_ref(), &id, key).await?;
            let x = state
                .exception(kind, &key)
                .await
                .map_err(store_err)?
                .ok_or_else(|| {
                    CliError::new(
                        Exit::Usage,
                        format!("no exception for {}", exception_id(kind, &key)),
                    )
                })?;
            if json {
                return super::print_json(&x);
            }
            outln!("{} ({})", exception_id(x.entity, &x.key), x.status.as_str());
            outln!(
                "  attempts {}, first seen {}, last seen {}",
                x.attempts,
                x.first_seen,
                x.last_seen
            );
            for r in &x.reasons {
                outln!("  - {r}");
            }
        }
        ExceptionsCommand::Retry {
            id: None, reason, ..
        } => {
            drop(state);
            let filter = match reason {
                Some(r) => bc_engine::RetryFilter::Reason(r),
                None => bc_engine::RetryFilter::All,
            };
            let engine = connect(config, &settings).await?;
            let bar = super::progress::attach(&engine, json, "retry");
            let result = engine.retry_exceptions(&filter).await;
            bar.finish_and_clear();
            let r = result.map_err(|e| CliError::core("exceptions retry", &e))?;
            if json {
                super::print_json(&serde_json::json!({
                    "requested": r.requested,
                    "synced": r.synced,
                    "still_failing": r.still_failing,
                    "still_open": r.still_open.iter().map(|(k, key)| exception_id(*k, key)).collect::<Vec<_>>(),
                }))?;
            } else {
                outln!(
                    "retried {}: {} synced, {} still failing",
                    r.requested,
                    r.synced,
                    r.still_failing
                );
                for (k, key) in r.still_open.iter().take(20) {
                    outln!("  still open: {}", exception_id(*k, key));
                }
            }
            if r.still_failing > 0 {
                return Err(CliError::items_failed(format!(
                    "{} exception(s) still fail; see `bcsync exceptions list`",
                    r.still_failing
                ))
                .after_json(json));
            }
        }
        ExceptionsCommand::Retry {
            id: Some(id), key, ..
        } => {
            let (kind, key) = which(state.as_ref(), &id, key).await?;
            let shown = exception_id(kind, &key);
            if !state.request_retry(kind, &key).await.map_err(store_err)? {
                return Err(CliError::new(
                    Exit::Usage,
                    format!("no open exception for {shown}"),
                ));
            }
            drop(state);
            let engine = connect(config, &settings).await?;
            {
                let job = bc_engine::jobs::retry::job_of(kind);
                let r = engine
                    .run(job)
                    .await
                    .map_err(|e| CliError::core(&job.to_string(), &e))?;
                if !json {
                    outln!(
                        "{job}: seen {}, done {}, failed {}",
                        r.seen,
                        r.done,
                        r.failed.len()
                    );
                }
            }
            let after = engine
                .state()
                .exception(kind, &key)
                .await
                .map_err(store_err)?;
            let still = after.filter(|x| x.status == ExceptionStatus::Open);
            if json {
                super::print_json(&serde_json::json!({
                    "id": shown,
                    "synced": still.is_none(),
                    "exception": still,
                }))?;
            }
            if let Some(x) = still {
                let why = x.reasons.first().map(|r| r.to_string()).unwrap_or_default();
                return Err(CliError::items_failed(format!(
                    "{shown} still fails: {why}"
                )));
            }
            if !json {
                outln!("{shown}: synced");
            }
        }
        ExceptionsCommand::Resolve { id, key } => {
            let (kind, key) = which(state.as_ref(), &id, key).await?;
            let shown = exception_id(kind, &key);
            if state
                .resolve_exception(kind, &key)
                .await
                .map_err(store_err)?
            {
                if json {
                    return super::print_json(
                        &serde_json::json!({ "id": shown, "resolved": true }),
                    );
                }
                outln!("{shown}: resolved");
            } else {
                return Err(CliError::new(
                    Exit::Usage,
                    format!("no open exception for {shown}"),
                ));
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
    json: bool,
) -> CliResult {
    let settings = load(config)?;
    let state = open_state(&settings).await?;
    let query = LogQuery {
        entity: entity_filter.as_deref().map(entity).transpose()?,
        outcome: outcome
            .as_deref()
            .map(Outcome::parse)
            .transpose()
            .map_err(|_| {
                CliError::new(
                    Exit::Usage,
                    format!(
                        "`--outcome {}` is not an outcome; use one of: done, skipped, failed, adopted",
                        outcome.as_deref().unwrap_or_default()
                    ),
                )
            })?,
        limit: Some(limit),
        ..LogQuery::default()
    };
    let entries = state
        .search_log(&query)
        .await
        .map_err(|e| CliError::core("the state store", &e))?;
    if json {
        return super::print_json(&entries);
    }
    for e in entries {
        outln!(
            "{} {:<10} {:<22} {:<11} {}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.job,
            exception_id(e.entity, &e.key),
            e.outcome.as_str(),
            e.message
        );
    }
    Ok(())
}

/// `bcsync audit`: the monitoring sweep (Y2).
pub async fn audit(config: &Path, json: bool) -> CliResult {
    let settings = load(config)?;
    let engine = connect(config, &settings).await?;
    let report = engine
        .audit()
        .await
        .map_err(|e| CliError::core("audit", &e))?;
    if json {
        return super::print_json(&report);
    }
    outln!("{report}");
    Ok(())
}

/// `bcsync run`'s options.
#[derive(Clone, Debug, clap::Args)]
pub struct RunArgs {
    /// The settings file; repeat it to serve several connections in one process (each file
    /// one connection, named by its `state.connection`, all with the same `state.url`).
    #[arg(long, default_value = "bcsync.toml")]
    pub config: Vec<std::path::PathBuf>,
    /// A folder of settings files (`*.toml`), each one connection (instead of `--config`).
    #[arg(long, conflicts_with = "config")]
    pub configs: Option<std::path::PathBuf>,
    /// Workers in this process. Several workers, or several settings files, need a PostgreSQL
    /// state database: workers claim (connection, job) units there, so N processes with the
    /// same files share the work the same way.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Serve webhooks (`/webhooks/bigcommerce`, `/webhooks/qbo`), `/healthz`, `/readyz` and
    /// `/metrics` on this address (e.g. `127.0.0.1:8080`; another address needs the webhook
    /// secrets set). One settings file and one worker only. Off when not given.
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
}

/// `bcsync run` with its options. One settings file and one worker on SQLite (or with
/// `--listen`) is the service of [`run`]; on PostgreSQL, or with several files or workers,
/// [`run_workers`] claims (connection, job) units, so that N processes of one worker and one
/// process of N workers share the work the same way.
pub async fn run_service(args: RunArgs) -> CliResult {
    let files = settings_files(&args)?;
    if let [one] = files.as_slice() {
        if args.workers == 1 {
            let settings = load(one)?;
            if args.listen.is_some() || !bc_state::is_postgres_url(&settings.state.url) {
                return run(one, args.listen).await;
            }
        }
    }
    if args.listen.is_some() {
        return Err(CliError::new(
            Exit::Usage,
            "`--listen` serves one connection with one worker: give one `--config` and no `--workers`",
        ));
    }
    run_workers(&files, usize::from(args.workers)).await
}

/// The settings files `run` was given: `--configs DIR`'s `*.toml` (sorted), else `--config`.
fn settings_files(args: &RunArgs) -> CliResult<Vec<std::path::PathBuf>> {
    let Some(dir) = &args.configs else {
        return Ok(args.config.clone());
    };
    let entries = std::fs::read_dir(dir).map_err(|e| {
        CliError::config(format!(
            "cannot read the settings folder {} (`--configs`): {e}",
            dir.display()
        ))
    })?;
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::config(format!(
            "no settings files (`*.toml`) in {} (`--configs`)",
            dir.display()
        )));
    }
    Ok(files)
}

/// How often a worker process writes its accounts' rate budgets to the state database.
pub const BUDGET_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// One connection `run --workers` serves: its settings file and settings.
struct Served {
    path: std::path::PathBuf,
    settings: Settings,
}

/// An engine a worker made, with the platform accounts connecting it touched.
struct Made {
    connection: String,
    owner: String,
    engine: Arc<Engine>,
    accounts: Vec<String>,
}

type MadeList = Arc<std::sync::Mutex<Vec<Made>>>;

fn lock_made(m: &std::sync::Mutex<Vec<Made>>) -> std::sync::MutexGuard<'_, Vec<Made>> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The stable identity of worker `i` of this host: `<host>-w<i>` (the host as the single
/// `run` names itself in leases), so that a restarted process's worker `i` is the same worker.
fn worker_identity(i: usize) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().replace('#', "-"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".into());
    format!("{host}-w{i}")
}

/// Reads the settings files of a `run --workers` and checks that they make one fleet: one
/// PostgreSQL state database, one connection per file.
fn fleet_settings(
    files: &[std::path::PathBuf],
    workers: usize,
) -> CliResult<(String, Vec<(String, Served)>)> {
    if files.len() > 1 && super::connection_override().is_some() {
        return Err(CliError::new(
            Exit::Usage,
            "`--connection` names one connection: with several settings files each names its own (`state.connection`)",
        ));
    }
    let mut served: Vec<(String, Served)> = Vec::with_capacity(files.len());
    let mut url: Option<(String, &std::path::Path)> = None;
    for f in files {
        let settings = load(f)?;
        registry()
            .check(&settings)
            .map_err(|e| CliError::core(&f.display().to_string(), &e))?;
        match &url {
            None => url = Some((settings.state.url.clone(), f.as_path())),
            Some((u, first)) if *u != settings.state.url => {
                return Err(CliError::config(format!(
                    "{}: setting `state.url` = {:?} is not {}'s {:?}: every settings file of one `run` names the same state database",
                    f.display(),
                    redact_url(&settings.state.url),
                    first.display(),
                    redact_url(u)
                )))
            }
            Some(_) => {}
        }
        let name = connection_of(&settings).to_string();
        if let Some((_, other)) = served.iter().find(|(n, _)| *n == name) {
            return Err(CliError::config(format!(
                "{} and {} are both the connection `{name}` (setting `state.connection`): give each settings file its own",
                other.path.display(),
                f.display()
            )));
        }
        served.push((
            name,
            Served {
                path: f.clone(),
                settings,
            },
        ));
    }
    let Some((url, _)) = url else {
        return Err(CliError::new(Exit::Usage, "no settings file given"));
    };
    if !bc_state::is_postgres_url(&url) {
        return Err(CliError::config(format!(
            "setting `state.url` = {:?}: `run` with {workers} worker(s) and {} settings file(s) needs a PostgreSQL state database (`postgres://…`), where workers claim (connection, job) units; an SQLite file serves one `run` of one settings file with one worker",
            redact_url(&url),
            files.len()
        )));
    }
    Ok((url, served))
}

/// `bcsync run --workers N` (or several settings files): N workers in this process claim the
/// (connection, job) units of the given connections from the PostgreSQL state database
/// ([`bc_state::worker::run_worker`]) and run them; N processes with the same files behave the
/// same. Every few seconds the platform accounts' rate budgets are written for `status`.
/// SIGTERM or Ctrl-C: no new unit, every run finishes its current write, records its end and
/// releases its lease; a second signal stops at once.
pub async fn run_workers(files: &[std::path::PathBuf], workers: usize) -> CliResult {
    use bc_state::worker::{run_worker, WorkerOptions};

    let (url, served) = fleet_settings(files, workers)?;
    let mut options = bc_state::PostgresOptions::default();
    options.max_connections = u32::try_from(8 + 2 * workers).unwrap_or(u32::MAX);
    let db = bc_state::PostgresStateStore::connect_with(&url, &options)
        .await
        .map_err(|e| {
            CliError::new(
                Exit::of_kind(e.kind()),
                format!(
                    "cannot open the state store `{}` (setting `state.url`): {}",
                    redact_url(&url),
                    redact_text(&e.to_string(), &url)
                ),
            )
        })?;
    let mut intervals = std::collections::BTreeMap::new();
    for (name, s) in &served {
        let jobs = Scheduler::intervals_from(&s.settings);
        let names: Vec<&str> = jobs.keys().map(|j| j.as_str()).collect();
        db.for_connection(name)
            .map_err(|e| CliError::core(&format!("connection `{name}`"), &e))?
            .register_units(&names)
            .await
            .map_err(|e| CliError::core(&format!("cannot register the jobs of `{name}`"), &e))?;
        for (job, every) in jobs {
            intervals.insert((name.clone(), job.as_str().to_string()), every);
        }
    }
    let names: Vec<String> = served.iter().map(|(n, _)| n.clone()).collect();
    let served: Arc<std::collections::HashMap<String, Served>> =
        Arc::new(served.into_iter().collect());
    let made: MadeList = Arc::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // One HTTP client for every connection and worker of the process (reqwest's pool is per
    // host; a client per platform connection costs its TLS setup and pool many times over).
    let transport: Arc<dyn bc_http::HttpTransport> = Arc::new(
        bc_http::ReqwestTransport::new()
            .map_err(|e| CliError::core("cannot make the HTTP client", &e))?,
    );
    let mut tasks = tokio::task::JoinSet::new();
    for i in 1..=workers {
        let mut o = WorkerOptions::new(worker_identity(i));
        o.connections = Some(names.clone());
        o.intervals = intervals.clone();
        let identity = o.identity.clone();
        let owner = o.lease_owner();
        let ttl = o.lease_ttl;
        let served = Arc::clone(&served);
        let made = Arc::clone(&made);
        let transport = Arc::clone(&transport);
        let stopping = stop_rx.clone();
        let connect = move |tenant: bc_state::PostgresStateStore| {
            let served = Arc::clone(&served);
            let made = Arc::clone(&made);
            let identity = identity.clone();
            let owner = owner.clone();
            let transport = Arc::clone(&transport);
            let stopping = stopping.clone();
            async move {
                let name = tenant.connection().to_string();
                let Some(s) = served.get(&name) else {
                    return Err(bc_core::Error::new(
                        bc_core::ErrorKind::Config,
                        format!("no settings file of this `run` is the connection `{name}`"),
                    ));
                };
                let options = bc_engine::EngineOptions {
                    owner: identity,
                    lease_ttl: ttl,
                    ..bc_engine::EngineOptions::default()
                };
                let (engine, accounts) = bc_http::rate::track_accounts(connect_on(
                    &s.path,
                    &s.settings,
                    Arc::new(tenant),
                    options,
                    Some(transport),
                ))
                .await;
                let engine = Arc::new(engine.map_err(|e| {
                    bc_core::Error::new(
                        match e.exit {
                            Exit::Config | Exit::Usage => bc_core::ErrorKind::Config,
                            Exit::Auth => bc_core::ErrorKind::Unauthenticated,
                            _ => bc_core::ErrorKind::Unavailable,
                        },
                        format!("{}: {}", s.path.display(), e.message),
                    )
                })?);
                if *stopping.borrow() {
                    // Made while the process was stopping: its run takes no item.
                    engine.stop();
                }
                tracing::info!(connection = %name, worker = %owner, accounts = ?accounts, "connected");
                lock_made(&made).push(Made {
                    connection: name,
                    owner,
                    engine: Arc::clone(&engine),
                    accounts,
                });
                Ok(engine)
            }
        };
        let mut rx = stop_rx.clone();
        let stop = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        tasks.spawn(run_worker(db.clone(), o, connect, stop));
    }
    let budgets_db = bc_state::StateDatabase::Postgres(db.clone());
    let recorder = tokio::spawn(record_budgets_every(
        budgets_db.clone(),
        Arc::clone(&made),
        stop_rx.clone(),
    ));
    tracing::info!(workers, connections = ?names, "running; Ctrl-C or SIGTERM to stop");
    let mut stopping = false;
    let mut failed: Option<String> = None;
    loop {
        tokio::select! {
            signal = stop_signal() => {
                if stopping {
                    tracing::warn!(%signal, "second stop signal: stopping now");
                    tasks.abort_all();
                    break;
                }
                tracing::info!(%signal, "stopping after the current writes");
                stopping = true;
                let _ = stop_tx.send(true);
                for m in lock_made(&made).iter() {
                    m.engine.stop();
                }
            }
            done = tasks.join_next() => match done {
                None => break,
                Some(Ok(Ok(summary))) => tracing::info!(?summary, "worker stopped"),
                Some(Ok(Err(e))) => {
                    failed.get_or_insert_with(|| format!("a worker stopped: {e}"));
                    let _ = stop_tx.send(true);
                }
                Some(Err(e)) if e.is_cancelled() => {}
                Some(Err(e)) => {
                    failed.get_or_insert_with(|| format!("a worker stopped abnormally: {e}"));
                    let _ = stop_tx.send(true);
                }
            },
        }
    }
    let _ = stop_tx.send(true);
    let _ = recorder.await;
    record_budgets_once(&budgets_db, &made).await;
    db.close().await;
    tracing::info!("stopped");
    match failed {
        Some(why) => Err(why.into()),
        None => Ok(()),
    }
}

/// Writes the rate budgets every [`BUDGET_EVERY`] until `stop` turns true (off the request
/// path: a snapshot is one lock per account).
async fn record_budgets_every(
    db: bc_state::StateDatabase,
    made: MadeList,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(BUDGET_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopped = tokio::select! {
            _ = tick.tick() => false,
            r = stop.wait_for(|s| *s) => r.is_ok() || r.is_err(),
        };
        if stopped {
            return;
        }
        record_budgets_once(&db, &made).await;
    }
}

/// One snapshot of every connection's accounts' budgets, written per connection.
async fn record_budgets_once(db: &bc_state::StateDatabase, made: &MadeList) {
    let now = chrono::Utc::now();
    let budgets: std::collections::HashMap<String, bc_http::BudgetSnapshot> =
        bc_http::RateBudget::shared_budgets()
            .iter()
            .map(|b| (b.key().to_string(), b.snapshot()))
            .collect();
    // Per connection once (several workers may have made an engine of it; the budgets are
    // the process's, shared by all of them).
    let mut per_connection: std::collections::BTreeMap<String, Vec<bc_state::AccountBudget>> =
        std::collections::BTreeMap::new();
    for m in lock_made(made).iter() {
        if per_connection.contains_key(&m.connection) {
            continue;
        }
        let rows = m
            .accounts
            .iter()
            .filter_map(|a| budgets.get(a))
            .map(|b| account_budget(&m.connection, &m.owner, b, now))
            .collect();
        per_connection.insert(m.connection.clone(), rows);
    }
    for (connection, rows) in per_connection {
        if rows.is_empty() {
            continue;
        }
        let written = match db.for_connection(&connection) {
            Ok(h) => h.record_budgets(&rows).await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            tracing::warn!(%connection, error = %e, "cannot record the rate budgets");
        }
    }
}

/// A budget snapshot as the state database keeps it (times made absolute at `now`).
pub fn account_budget(
    connection: &str,
    worker: &str,
    b: &bc_http::BudgetSnapshot,
    now: chrono::DateTime<chrono::Utc>,
) -> bc_state::AccountBudget {
    let after = |d: std::time::Duration| {
        chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
    };
    let before = |d: std::time::Duration| {
        chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
    };
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    bc_state::AccountBudget {
        connection: connection.to_string(),
        account: b.account.clone(),
        worker: worker.to_string(),
        window_limit: b.window_limit,
        window_ms: ms(b.window),
        requests_left: b.requests_left,
        resets_at: b.resets_in.and_then(after),
        paused_until: b.paused_for.and_then(after),
        last_429_at: b.last_429.and_then(|(ago, _)| before(ago)),
        last_429_wait_ms: b.last_429.and_then(|(_, w)| w.map(ms)),
        observed_at: now,
    }
}
