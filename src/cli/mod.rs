//! The subcommands of `bcsync`.

pub mod connect;
pub mod demo;
pub mod exit;
pub mod init;
pub mod listen;
pub mod logging;
pub mod out;
pub mod progress;
pub mod report;
pub mod sandbox;
pub mod service;
pub mod status;
pub mod webhooks;

/// Prints `value` as one line of JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> exit::CliResult {
    let text = serde_json::to_string(value).map_err(|e| format!("cannot write JSON: {e}"))?;
    outln!("{text}");
    Ok(())
}
