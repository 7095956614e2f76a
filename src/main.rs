//! The `bcsync` command-line program.

/// `println!` that ends quietly on a closed pipe.
macro_rules! outln {
    () => {
        $crate::cli::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))
    };
}

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cli::exit::{CliError, CliResult, Exit, EXIT_CODES_HELP};
use cli::logging::LogFormat;

/// Keeps a storefront and a ledger in sync, order to cash.
#[derive(Parser, Debug)]
#[command(name = "bcsync", version, about, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// Print the command's result as JSON on stdout (errors too: `{"error": {…}}`).
    #[arg(long, global = true)]
    json: bool,
    /// Log lines on stderr: `human` (timestamped) or `json` (one object per line).
    /// `RUST_LOG` chooses what is logged (default `info` for `run`, `warn` otherwise).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// The connection (tenant) in the state database for every command that reads or writes
    /// the state; overrides the settings' `state.connection`.
    #[arg(long, global = true, env = cli::CONNECTION_ENV, value_name = "NAME")]
    connection: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs the whole cycle on embedded defaults: the BigCommerce sandbox into the embedded ERP.
    Demo(cli::demo::DemoArgs),
    /// One engine process of `bcsync demo --kills` (started by the demo, not by people).
    #[command(hide = true)]
    DemoWorker(cli::demo::worker::WorkerArgs),
    /// Writes a fully commented settings file to start from; with `--from-sandbox URL`, one
    /// whose maps are filled from the sandbox store's waiting orders and the ledger.
    Init(cli::init::InitArgs),
    /// Connects bcsync to a platform account with OAuth (prints a consent URL, waits for the
    /// browser to come back, stores the token set in the state store).
    Connect {
        /// The platform.
        #[arg(value_enum)]
        platform: cli::connect::Platform,
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml")]
        config: std::path::PathBuf,
        /// How long to wait for the browser to come back, in seconds.
        #[arg(long, default_value_t = 600)]
        timeout_secs: u64,
    },
    /// Checks a settings file: it parses, names platforms this build has, every `env:` secret
    /// is set, the state store opens. With `--online`, also connects to both platforms and
    /// plans every waiting order without writing anything: every missing or invalid mapping
    /// is listed once with the orders it blocks and the settings line to add (exit 3 when a
    /// run would not be clean).
    Check {
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml")]
        config: std::path::PathBuf,
        /// Connect and plan every waiting order (reads only).
        #[arg(long)]
        online: bool,
    },
    /// Serves one platform's sandbox on a loopback port and prints its URL and credentials.
    Sandbox(cli::sandbox::SandboxArgs),
    /// The B2B invoice portal. `--demo` serves it on 127.0.0.1 over seeded sandboxes, with one
    /// user per role and two buyer companies, and prints the URL and the demo logins.
    Portal {
        /// Serve the demo (the only mode so far).
        #[arg(long)]
        demo: bool,
        /// Loopback port (0 = any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Runs the service: every job on its interval until Ctrl-C or SIGTERM (which finish
    /// the current write, record it, release the leases and exit 0). Several settings files
    /// (`--config` repeated, or `--configs DIR`) or `--workers N`: N workers claim the
    /// connections' jobs from a PostgreSQL state database.
    Run(cli::service::RunArgs),
    /// Runs one job once (orders, statuses, shipments, inventory, refunds, payouts, erp-orders, audit).
    Sync {
        /// The job.
        job: String,
        /// Run it once and exit (the only mode; accepted for clarity).
        #[arg(long)]
        once: bool,
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml")]
        config: std::path::PathBuf,
        /// Orders only: plan every waiting order and list what would block it, writing
        /// nothing (the same as `check --online`).
        #[arg(long)]
        dry_run: bool,
        /// Orders only: import this one order now, whatever its status or `sync.start_date`
        /// (e.g. the original of a refund), then its refunds.
        #[arg(long)]
        order: Option<String>,
    },
    /// The exception queue: what could not be synced, and why.
    Exceptions {
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml", global = true)]
        config: std::path::PathBuf,
        #[command(subcommand)]
        command: cli::service::ExceptionsCommand,
    },
    /// The connector log.
    Log {
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml")]
        config: std::path::PathBuf,
        /// Only this entity kind (order, refund, shipment…).
        #[arg(long)]
        entity: Option<String>,
        /// Only this outcome (done, failed, skipped…).
        #[arg(long)]
        outcome: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Per connection and job: last run and how it ended, cursor, lease holder, when due,
    /// open exceptions by reason (SQLite or PostgreSQL state).
    Status {
        /// The settings file (its `state.url`).
        #[arg(long, default_value = "bcsync.toml")]
        config: std::path::PathBuf,
        /// Every connection in the state database, not only the settings' own.
        #[arg(long)]
        all: bool,
    },
    /// The storefront's webhooks that wake `bcsync run --listen` (BigCommerce).
    Webhooks {
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml", global = true)]
        config: std::path::PathBuf,
        #[command(subcommand)]
        command: cli::webhooks::WebhooksCommand,
    },
    /// The sync report (L4): per day orders seen/posted/excepted, storefront against ledger
    /// totals per currency, open exceptions by reason, refunds without credit memo, inventory
    /// drift. Text (or `--json`); `--html FILE` writes a self-contained page with charts;
    /// `--email` sends it to `report.email_to`.
    Report {
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml")]
        config: std::path::PathBuf,
        /// The period: a number of days (`1d`, `7d`, `30d`).
        #[arg(long, default_value = "1d")]
        period: String,
        /// Also write the HTML page here.
        #[arg(long)]
        html: Option<std::path::PathBuf>,
        /// E-mail it to `report.email_to` through `--smtp`.
        #[arg(long, requires = "smtp")]
        email: bool,
        /// The SMTP server: `smtp://host:port` (plain, e.g. a local relay) or
        /// `smtp://user:password@host:587?tls=required`.
        #[arg(long, env = "BCSYNC_SMTP_URL", hide_env_values = true)]
        smtp: Option<String>,
        /// The sender address.
        #[arg(long, default_value = "bcsync@localhost")]
        from: String,
    },
    /// The monitoring sweep: imported-not-posted, refunds without credit memo, drift.
    Audit {
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml")]
        config: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    // `run` logs its work; the other commands only what goes wrong, and the waits a rate
    // limit asks for ("waiting 27 s for bigcommerce's rate limit") so that a long sync is
    // never silent.
    let default_level = match cli.command {
        Command::Run { .. } => "info",
        _ => "warn,bc_http=info",
    };
    cli::logging::init(cli.log_format, default_level);
    cli::set_connection(cli.connection.clone());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return fail(
                json,
                &CliError::from(format!("cannot start the async runtime: {e}")),
            )
        }
    };
    let result: CliResult = match cli.command {
        Command::Demo(mut args) => {
            args.json = json;
            let ledger = args.ledger;
            runtime
                .block_on(cli::demo::run(args))
                .map_err(CliError::from)
                .and_then(|summary| {
                    if json {
                        cli::print_json(&summary)
                    } else {
                        cli::demo::print(&summary, ledger);
                        Ok(())
                    }
                })
        }
        Command::DemoWorker(args) => {
            return match runtime.block_on(cli::demo::worker::run(args)) {
                Ok(code) => ExitCode::from(code),
                Err(e) => {
                    eprintln!("bcsync demo-worker: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Init(args) => runtime.block_on(cli::init::run(args, json)),
        Command::Check { config, online } => {
            runtime.block_on(cli::service::check(&config, online, json))
        }
        Command::Connect {
            platform,
            config,
            timeout_secs,
        } => runtime.block_on(cli::connect::run(
            platform,
            &config,
            std::time::Duration::from_secs(timeout_secs),
            json,
        )),
        Command::Sandbox(mut args) => {
            args.json = json;
            runtime
                .block_on(cli::sandbox::run(args))
                .map_err(CliError::from)
        }
        Command::Portal { demo, port } => runtime.block_on(portal(demo, port, json)),
        Command::Run(args) => runtime.block_on(cli::service::run_service(args)),
        Command::Sync {
            job,
            once: _,
            config,
            dry_run,
            order,
        } => runtime.block_on(cli::service::sync(&config, &job, dry_run, order, json)),
        Command::Exceptions { config, command } => {
            runtime.block_on(cli::service::exceptions(&config, command, json))
        }
        Command::Log {
            config,
            entity,
            outcome,
            limit,
        } => runtime.block_on(cli::service::log(&config, entity, outcome, limit, json)),
        Command::Webhooks { config, command } => {
            runtime.block_on(cli::webhooks::run(&config, command, json))
        }
        Command::Report {
            config,
            period,
            html,
            email,
            smtp,
            from,
        } => {
            let email = email.then(|| cli::report::Email {
                smtp: smtp.unwrap_or_default(),
                from,
            });
            runtime.block_on(cli::report::run(
                &config,
                &period,
                html.as_deref(),
                email.as_ref(),
                json,
            ))
        }
        Command::Audit { config } => runtime.block_on(cli::service::audit(&config, json)),
        Command::Status { config, all } => runtime.block_on(cli::status::run(&config, all, json)),
    };
    match result {
        Ok(()) => ExitCode::from(Exit::Ok as u8),
        Err(e) => fail(json, &e),
    }
}

/// Prints a command's failure (and, with `--json`, one `{"error": …}` object on stdout) and
/// returns its exit code.
fn fail(json: bool, e: &CliError) -> ExitCode {
    eprintln!("bcsync: {e}");
    if json && !e.json_printed {
        let v = serde_json::json!({
            "error": { "kind": e.exit.as_str(), "code": e.exit as u8, "message": e.message }
        });
        outln!("{v}");
    }
    ExitCode::from(e.exit as u8)
}

/// `bcsync portal --demo`: serves the portal demo until interrupted (Ctrl-C).
async fn portal(demo: bool, port: u16, json: bool) -> CliResult {
    if !demo {
        return Err(CliError::new(
            Exit::Usage,
            "`bcsync portal` needs `--demo` for now: serving the portal on your own accounts is not built yet",
        ));
    }
    let opts = bc_portal::demo::DemoOptions {
        port,
        ..bc_portal::demo::DemoOptions::default()
    };
    let (demo, served) = bc_portal::demo::start(&opts)
        .await
        .map_err(|e| format!("cannot start the portal demo: {e}"))?;
    if json {
        outln!("{}", serde_json::json!({ "url": served.url.to_string() }));
    } else {
        outln!("portal: {}", served.url);
        outln!("{}", demo.logins_text());
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    Ok(())
}
