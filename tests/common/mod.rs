//! What the program's tests share: a child process killed when dropped, a fresh temporary
//! folder, a text field of a JSON value, a BigCommerce sandbox served by the program and the
//! demo settings pointed at it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A spawned process, killed (and reaped) when dropped, whatever the test's outcome.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An empty folder `bcsync-<what>-<name>-<pid>` under the system's temporary folder.
pub fn temp_dir(what: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bcsync-{what}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The text of field `k` of `v` (empty when absent or not text).
pub fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

/// The demo's settings (BigCommerce sandbox store, embedded ERP).
pub const DEMO_SETTINGS: &str = include_str!("../../src/cli/demo_settings.toml");

/// The API token the BigCommerce sandbox accepts (the demo settings' `access_token`).
pub const TOKEN: &str = "sandbox-access-token-0123456789abcdef";

/// A BigCommerce sandbox served by `bcsync sandbox bigcommerce` with `orders` generated orders
/// from `seed`: the child (killed when dropped), its base URL and its API root
/// (`{base}/stores/{store_hash}`).
pub fn bigcommerce_sandbox(orders: &str, seed: &str) -> (Killed, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args([
            "sandbox",
            "bigcommerce",
            "--port",
            "0",
            "--orders",
            orders,
            "--seed",
            seed,
            "--json",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start bcsync sandbox bigcommerce");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the sandbox's first line");
    let v: Value = serde_json::from_str(&line).expect("the sandbox's JSON line");
    let base = s(&v, "base_url").to_string();
    let hash = v["credentials"]["store_hash"].as_str().unwrap_or_default();
    let api = format!("{base}/stores/{hash}");
    (Killed(child), base, api)
}

/// The demo settings pointed at the sandbox at `base_url` (plus `extra_storefront` lines in
/// `[storefront]`), with the embedded ERP and the state store in `dir`.
pub fn sandbox_settings(dir: &Path, base_url: &str, extra_storefront: &str) -> String {
    DEMO_SETTINGS
        .replace(
            &format!("access_token = \"{TOKEN}\""),
            &format!("access_token = \"{TOKEN}\"\nbase_url = \"{base_url}\"\n{extra_storefront}"),
        )
        .replace(
            "[ledger]\nplatform = \"acctvantage\"",
            &format!(
                "[ledger]\nplatform = \"acctvantage\"\npath = \"{}\"\n\n[state]\nurl = \"sqlite://{}\"",
                dir.join("erp.sqlite").display(),
                dir.join("state.sqlite").display()
            ),
        )
}

/// The variable naming the test PostgreSQL server (as in bc-state's tests).
pub const PG_VAR: &str = "BCSYNC_TEST_POSTGRES_URL";

/// A `state.url` on the test PostgreSQL server whose tables live in a fresh schema of their
/// own (created and migrated here; the URL sets `search_path` to it), or `None` after printing
/// the skip notice when no server is configured.
pub fn pg_state_url(test: &str) -> Option<String> {
    let url = match std::env::var(PG_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => {
            println!("SKIPPED: no PostgreSQL (set {PG_VAR})");
            return None;
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let schema = format!("cli_{test}_{}_{nanos}", std::process::id());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut o = bcsync::state::PostgresOptions::default();
        o.schema = Some(schema.clone());
        o.max_connections = 1;
        bcsync::state::PostgresStateStore::connect_with(&url, &o)
            .await
            .expect("connect to the test PostgreSQL")
            .close()
            .await;
    });
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options[search_path]={schema}"))
}

/// `settings` (as [`sandbox_settings`] writes them) with the state store at `state_url` and,
/// when given, the connection `connection`.
pub fn with_state(settings: &str, state_url: &str, connection: Option<&str>) -> String {
    let start = settings
        .find("[state]\nurl = \"")
        .expect("a [state] section");
    let line_end = settings[start + 8..]
        .find('\n')
        .map_or(settings.len(), |i| start + 8 + i);
    let mut section = format!("[state]\nurl = \"{state_url}\"");
    if let Some(c) = connection {
        section.push_str(&format!("\nconnection = \"{c}\""));
    }
    format!("{}{}{}", &settings[..start], section, &settings[line_end..])
}
