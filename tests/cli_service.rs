//! The service commands driven as a user would: spawn `bcsync`, read its output and exit code.

mod common;
use common::*;

use std::io::{BufRead, BufReader};
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args([
            "sandbox",
            "bigcommerce",
            "--port",
            "0",
            "--orders",
            "40",
            "--seed",
            "3",
            "--json",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _child = Killed(child);
    let v: Value = serde_json::from_str(&line).unwrap();
    let base = v["base_url"].as_str().unwrap();
    let dir = temp_dir("cli", "retry");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();

    // Without a tax map, taxed orders land in the exception queue.
    std::fs::write(&path, settings_for(&dir, base, false)).unwrap();
    let out = bcsync(&["sync", "orders", "--config", cfg]);
    let (stdout, stderr) = text(&out);
    // Some orders failed: exit code 3.
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    let out = bcsync(&["exceptions", "list", "--config", cfg]);
    let (list, _) = text(&out);
    let first = list
        .lines()
        .find(|l| l.starts_with("order/") && l.contains("tax zone"))
        .unwrap_or_else(|| panic!("no tax exception in:\n{list}\n(sync said: {stdout})"));
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
        orders["open_exceptions"]["unmapped_tax_zone"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "{orders}"
    );
    let (table, _) = text(&bcsync(&["status", "--config", cfg]));
    assert!(
        table
            .lines()
            .any(|l| l.contains("orders") && l.contains("unmapped_tax_zone")),
        "{table}"
    );
    let out = bcsync(&["exceptions", "show", &id, "--config", cfg]);
    assert!(text(&out).0.contains("tax_map"), "{}", text(&out).0);
    // The key alone, or the entity and the key, name it too.
    let out = bcsync(&["exceptions", "show", &key, "--config", cfg]);
    assert!(text(&out).0.contains("tax_map"), "{}", text(&out).0);
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
    assert!(text(&out).1.contains("tax zone"), "{}", text(&out).1);

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
