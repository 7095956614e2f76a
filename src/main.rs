//! The `bcsync` command-line program.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keeps a storefront and a ledger in sync, order to cash.
#[derive(Parser, Debug)]
#[command(name = "bcsync", version, about)]
struct Cli {
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
    /// Writes a fully commented settings file to start from.
    Init {
        /// Where to write it.
        #[arg(long, default_value = "bcsync.toml")]
        path: std::path::PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
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
    /// Checks a settings file.
    Check {
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml")]
        config: std::path::PathBuf,
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
    /// Runs the service: every job on its interval until Ctrl-C.
    Run {
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml")]
        config: std::path::PathBuf,
    },
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
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
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
        /// Print JSON.
        #[arg(long)]
        json: bool,
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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bcsync: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result: Result<(), String> = match cli.command {
        Command::Demo(args) => {
            let (json, ledger) = (args.json, args.ledger);
            runtime.block_on(cli::demo::run(args)).and_then(|summary| {
                if json {
                    serde_json::to_string(&summary)
                        .map(|s| println!("{s}"))
                        .map_err(|e| e.to_string())
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
        Command::Init { path, force } => cli::init::run(&path, force),
        Command::Check { config } => std::fs::read_to_string(&config)
            .map_err(|e| format!("cannot read {}: {e}", config.display()))
            .and_then(|text| {
                let settings = bc_core::Settings::from_toml_str(&text)
                    .map_err(|e| format!("{}: {e}", config.display()))?;
                cli::service::registry()
                    .check(&settings)
                    .map_err(|e| format!("{}: {e}", config.display()))
            })
            .map(|_| println!("{}: settings are valid", config.display())),
        Command::Connect {
            platform,
            config,
            timeout_secs,
        } => runtime.block_on(cli::connect::run(
            platform,
            &config,
            std::time::Duration::from_secs(timeout_secs),
        )),
        Command::Sandbox(args) => runtime.block_on(cli::sandbox::run(args)),
        Command::Portal { demo, port } => runtime.block_on(portal(demo, port)),
        Command::Run { config } => runtime.block_on(cli::service::run(&config)),
        Command::Sync {
            job,
            once: _,
            config,
            json,
        } => runtime.block_on(cli::service::sync(&config, &job, json)),
        Command::Exceptions { config, command } => {
            runtime.block_on(cli::service::exceptions(&config, command))
        }
        Command::Log {
            config,
            entity,
            outcome,
            limit,
        } => runtime.block_on(cli::service::log(&config, entity, outcome, limit)),
        Command::Audit { config } => runtime.block_on(cli::service::audit(&config)),
        Command::Status { config, all, json } => {
            runtime.block_on(cli::status::run(&config, all, json))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bcsync: {e}");
            ExitCode::from(1)
        }
    }
}

/// `bcsync portal --demo`: serves the portal demo until interrupted (Ctrl-C).
async fn portal(demo: bool, port: u16) -> Result<(), String> {
    if !demo {
        return Err(
            "`bcsync portal` needs `--demo` for now: serving the portal on your own accounts is not built yet"
                .into(),
        );
    }
    let opts = bc_portal::demo::DemoOptions {
        port,
        ..bc_portal::demo::DemoOptions::default()
    };
    let (demo, served) = bc_portal::demo::start(&opts)
        .await
        .map_err(|e| format!("cannot start the portal demo: {e}"))?;
    println!("portal: {}", served.url);
    println!("{}", demo.logins_text());
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    Ok(())
}
