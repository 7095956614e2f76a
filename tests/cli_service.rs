//! The service commands driven as a user would: spawn `bcsync`, read its output and exit code.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const DEMO_SETTINGS: &str = include_str!("../src/cli/demo_settings.toml");

fn bcsync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(args)
        .output()
        .expect("run bcsync")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn settings_for(dir: &Path, base_url: &str, tax_map: bool) -> String {
    settings_with(dir, base_url, tax_map, true)
}

fn settings_with(dir: &Path, base_url: &str, tax_map: bool, create_items: bool) -> String {
    let erp = dir.join("erp.sqlite");
    let state = dir.join("state.sqlite");
    let mut s = DEMO_SETTINGS.replace(
        "access_token = \"sandbox-access-token-0123456789abcdef\"",
        &format!(
            "access_token = \"sandbox-access-token-0123456789abcdef\"\nbase_url = \"{base_url}\""
        ),
    );
    s = s.replace(
        "[ledger]\nplatform = \"acctvantage\"",
        &format!(
            "[ledger]\nplatform = \"acctvantage\"\npath = \"{}\"\n\n[state]\nurl = \"sqlite://{}\"",
            erp.display(),
            state.display()
        ),
    );
    if !tax_map {
        // Forget every tax rate: taxed orders cannot be mapped.
        let start = s.find("[tax_map]").unwrap();
        let end = s.find("[payment_map]").unwrap();
        s.replace_range(start..end, "[tax_map]\n\n");
    }
    if !create_items {
        s = s.replace(
            "create_missing_items = true",
            "create_missing_items = false",
        );
    }
    s
}

#[test]
fn a_bad_settings_file_names_the_key() {
    let dir = temp_dir("cli", "bad");
    let path = dir.join("bcsync.toml");
    std::fs::write(
        &path,
        DEMO_SETTINGS.replace("match_client_by_email", "match_client_by_emial"),
    )
    .unwrap();
    for args in [
        vec!["check", "--config"],
        vec!["sync", "orders", "--config"],
    ] {
        let mut a = args.clone();
        a.push(path.to_str().unwrap());
        let out = bcsync(&a);
        let (_, err) = text(&out);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(err.contains("match_client_by_emial"), "{args:?}: {err}");
    }
    let out = bcsync(&[
        "sync",
        "orders",
        "--config",
        dir.join("missing.toml").to_str().unwrap(),
    ]);
    assert!(text(&out).1.contains("bcsync init"), "{}", text(&out).1);
}

#[test]
fn an_unreachable_storefront_names_the_url_and_what_to_check() {
    let dir = temp_dir("cli", "unreachable");
    let path = dir.join("bcsync.toml");
    std::fs::write(&path, settings_for(&dir, "http://127.0.0.1:9", true)).unwrap();
    let out = bcsync(&["sync", "orders", "--config", path.to_str().unwrap()]);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("http://127.0.0.1:9"), "{err}");
    assert!(err.contains("storefront.base_url"), "{err}");
}

#[test]
fn an_exception_fixed_in_the_settings_is_retried_successfully() {
    let (_child, base_url, _) = bigcommerce_sandbox("40", "3");
    let base = base_url.as_str();
    let dir = temp_dir("cli", "retry");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();

    // Without a tax map, taxed orders are held for configuration: one cause, exit 4, no
    // exception per order and no storefront status changed.
    std::fs::write(&path, settings_for(&dir, base, false)).unwrap();
    let out = bcsync(&["sync", "orders", "--config", cfg]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stdout}{stderr}");
    assert!(stderr.contains("tax_map"), "{stderr}");
    let (list, _) = text(&bcsync(&["exceptions", "list", "--config", cfg]));
    assert!(!list.lines().any(|l| l.starts_with("order/")), "{list}");

    // Items the ledger lacks, with `create_missing_items` off: a per-order problem, so the
    // orders land in the exception queue.
    std::fs::write(&path, settings_with(&dir, base, true, false)).unwrap();
    let out = bcsync(&["sync", "orders", "--config", cfg]);
    let (stdout, stderr) = text(&out);
    // Some orders failed: exit code 3.
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    let out = bcsync(&["exceptions", "list", "--config", cfg]);
    let (list, _) = text(&out);
    let first = list
        .lines()
        .find(|l| l.starts_with("order/"))
        .unwrap_or_else(|| panic!("no order exception in:\n{list}\n(sync said: {stdout})"));
    // `list` prints ids (`order/101`); `show`, `retry` and `resolve` take them.
    let id = first.split_whitespace().next().unwrap().to_string();
    let key = id.trim_start_matches("order/").to_string();

    // `bcsync status`: the orders job, when it ran, and its open exceptions by reason.
    let out = bcsync(&["status", "--config", cfg, "--json"]);
    let (s, e) = text(&out);
    assert!(out.status.success(), "{e}");
    let rows: Value = serde_json::from_str(&s).unwrap();
    let orders = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["job"] == "orders")
        .unwrap_or_else(|| panic!("no orders row in {s}"));
    assert!(orders["last_run"].is_string(), "{orders}");
    assert!(
        orders["open_exceptions"]["unknown_item"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "{orders}"
    );
    let (table, _) = text(&bcsync(&["status", "--config", cfg]));
    assert!(
        table
            .lines()
            .any(|l| l.contains("orders") && l.contains("unknown_item")),
        "{table}"
    );
    let out = bcsync(&["exceptions", "show", &id, "--config", cfg]);
    assert!(
        text(&out).0.contains("create_missing_items"),
        "{}",
        text(&out).0
    );
    // The key alone, or the entity and the key, name it too.
    let out = bcsync(&["exceptions", "show", &key, "--config", cfg]);
    assert!(
        text(&out).0.contains("create_missing_items"),
        "{}",
        text(&out).0
    );
    let out = bcsync(&[
        "exceptions",
        "show",
        "order",
        &key,
        "--config",
        cfg,
        "--json",
    ]);
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["key"], key.as_str(), "{shown}");

    // Retrying before the fix still fails, and says why.
    let out = bcsync(&["exceptions", "retry", &id, "--config", cfg]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out).1);
    assert!(text(&out).1.contains("still fails"), "{}", text(&out).1);

    // Fix the settings, retry: posted, and gone from the queue.
    std::fs::write(&path, settings_for(&dir, base, true)).unwrap();
    let out = bcsync(&["exceptions", "retry", "order", &key, "--config", cfg]);
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}{e}");
    assert!(o.contains(&format!("{id}: synced")), "{o}");
    let (list, _) = text(&bcsync(&["exceptions", "list", "--config", cfg]));
    assert!(
        !list
            .lines()
            .any(|l| l.split_whitespace().next() == Some(id.as_str())),
        "{list}"
    );
    let (log, _) = text(&bcsync(&["log", "--config", cfg, "--entity", "order"]));
    assert!(log.contains(&key), "{log}");
}

/// SIGTERM during a backlog sync: `bcsync run` finishes the write in flight, records it,
/// releases its leases and exits 0; the next run posts the rest, nothing twice.
#[cfg(unix)]
#[test]
fn sigterm_during_a_backlog_leaves_no_lease_and_no_unrecorded_write() {
    let (_sandbox, base_url, _) = bigcommerce_sandbox("100", "8");
    let base = base_url.as_str();
    let dir = temp_dir("cli", "sigterm");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();
    std::fs::write(&path, settings_for(&dir, base, true)).unwrap();
    // The store's real quota (150 requests / 30 s) makes ~45 waiting orders (about 5
    // requests each) a backlog longer than one window; stop it two seconds in.
    let run = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(["run", "--config", cfg])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut run = Killed(run);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let stopped_at = std::time::Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &run.0.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = run.0.wait().unwrap();
    let took = stopped_at.elapsed();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut run.0.stderr.take().unwrap(), &mut log).unwrap();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("SIGTERM"), "{log}");
    // Not the rest of the backlog: the run stopped after its current write (generous bound,
    // the backlog itself takes minutes at the store's quota).
    assert!(
        took < std::time::Duration::from_secs(60),
        "took {took:?}\n{log}"
    );
    // No lease held.
    let out = bcsync(&["status", "--config", cfg, "--json"]);
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let now = chrono::Utc::now();
    for r in rows.as_array().unwrap() {
        let lease = &r["lease"];
        let held = !lease.is_null()
            && !lease["owner"].as_str().unwrap_or_default().is_empty()
            && lease["expires_at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t > now);
        assert!(!held, "a lease is still held: {r}");
    }
    // The next run finishes the backlog: every order once.
    let out = bcsync(&["sync", "orders", "--config", cfg, "--json"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dups = rt.block_on(async {
        let erp = bc_connector_acctvantage::Erp::open(dir.join("erp.sqlite"))
            .await
            .unwrap();
        erp.duplicates().await.unwrap()
    });
    assert!(dups.is_empty(), "posted twice: {dups:?}");
    let again = bcsync(&["sync", "orders", "--config", cfg, "--json"]);
    let r: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(r["done"], 0, "everything was posted by then: {r}");
}
