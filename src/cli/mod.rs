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

/// The connection `--connection NAME` chose for this process (set once, before the command
/// runs): it overrides every settings file's `state.connection`.
static CONNECTION: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// The environment variable that chooses the connection when `--connection` is not given.
pub const CONNECTION_ENV: &str = "BCSYNC_CONNECTION";

/// Records `--connection NAME` for every command that reads or writes the state (call once,
/// before the command; later calls are ignored).
pub fn set_connection(name: Option<String>) {
    let _ = CONNECTION.set(name);
}

/// The connection chosen on the command line (`--connection`), else by
/// [`CONNECTION_ENV`], else `None` (the settings file's `state.connection` decides).
pub fn connection_override() -> Option<String> {
    CONNECTION
        .get()
        .cloned()
        .flatten()
        .or_else(|| std::env::var(CONNECTION_ENV).ok().filter(|v| !v.is_empty()))
}

/// Prints `value` as one line of JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> exit::CliResult {
    let text = serde_json::to_string(value).map_err(|e| format!("cannot write JSON: {e}"))?;
    outln!("{text}");
    Ok(())
}
