//! The program's `tracing` subscriber: human-readable lines on stderr by default, one JSON
//! object per line with `--log-format json` (for collectors); `RUST_LOG` chooses what is
//! logged (default: `info` for `run`; `warn` for the other commands, plus bc-http's notes of
//! the waits a rate limit asks for).
//!
//! No secret reaches a log line: secrets are `secrecy` types that print `******`, request
//! logs name the endpoint path without its query string, and state URLs are redacted.

use tracing_subscriber::EnvFilter;

/// The log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Timestamped lines for people.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Installs the subscriber; `default_level` applies when `RUST_LOG` is unset or invalid.
pub fn init(format: LogFormat, default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    let result = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if let Err(e) = result {
        eprintln!("bcsync: cannot install the log subscriber: {e}");
    }
}
