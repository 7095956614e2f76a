//! The `bcsync` command-line program.

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
    Demo,
    /// Checks a settings file and prints what it would do.
    Check {
        /// The settings file.
        #[arg(long, default_value = "bcsync.toml")]
        config: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo => {
            eprintln!("bcsync demo is not built yet: it needs the sync engine, the embedded ERP and the BigCommerce connector, which are being built.");
            ExitCode::from(2)
        }
        Command::Check { config } => match std::fs::read_to_string(&config) {
            Ok(text) => match bc_core::Settings::from_toml_str(&text) {
                Ok(_) => {
                    println!("{}: settings are valid", config.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{}: {e}", config.display());
                    ExitCode::from(1)
                }
            },
            Err(e) => {
                eprintln!("cannot read {}: {e}", config.display());
                ExitCode::from(1)
            }
        },
    }
}
