//! `bcsync init`: writes the fully commented settings file.

use std::path::Path;

use super::exit::{CliError, CliResult};

/// The commented settings file (the same as `examples/bcsync.toml`).
pub const TEMPLATE: &str = include_str!("../../examples/bcsync.toml");

/// Writes the template to `path`; refuses to overwrite unless `force`.
pub fn run(path: &Path, force: bool, json: bool) -> CliResult {
    if path.exists() && !force {
        return Err(CliError::new(
            super::exit::Exit::Usage,
            format!(
                "{} already exists; use --force to overwrite it",
                path.display()
            ),
        ));
    }
    std::fs::write(path, TEMPLATE).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if json {
        return super::print_json(&serde_json::json!({ "written": path }));
    }
    outln!(
        "wrote {}: fill in [storefront] and [ledger], then `bcsync check --config {}`",
        path.display(),
        path.display()
    );
    Ok(())
}
