//! Connections (tenants) from the command line: one state database, two connections A and B
//! (each its own BigCommerce sandbox store and its own ledger) with their own exceptions,
//! log and cursors. Every command run as A sees and changes only A's rows; `status --all`
//! shows both. On SQLite, and on PostgreSQL when `BCSYNC_TEST_POSTGRES_URL` names a server
//! (skipped with a notice otherwise).
//!
//! The connection is chosen by the settings' `state.connection` or by `BCSYNC_CONNECTION`
//! (the environment form of `--connection`), which overrides it.

mod common;
use common::*;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn bcsync(args: &[&str], connection: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bcsync"));
    c.args(args).env_remove("BCSYNC_CONNECTION");
    if let Some(name) = connection {
        c.env("BCSYNC_CONNECTION", name);
    }
    c.output().expect("run bcsync")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// The open exceptions' ids (`order/101`) as `exceptions list --json` gives them.
fn open_ids(cfg: &str, connection: Option<&str>) -> BTreeSet<String> {
    let out = bcsync(
        &["exceptions", "list", "--config", cfg, "--json"],
        connection,
    );
    assert!(out.status.success(), "{}", text(&out));
    json(&out)
        .as_array()
        .expect("a list")
        .iter()
        .map(|x| format!("{}/{}", s(x, "entity"), s(x, "key")))
        .collect()
}

/// Writes the settings of one connection: its own sandbox store, its own ERP, the shared
/// state database; items the ERP lacks are not created, so orders land in the exception
/// queue.
fn connection_settings(dir: &Path, base: &str, state_url: &str, name: Option<&str>) -> String {
    let s = sandbox_settings(dir, base, "").replace(
        "create_missing_items = true",
        "create_missing_items = false",
    );
    with_state(&s, state_url, name)
}

fn two_connections(kind: &str, state_url: impl Fn(&Path) -> String) {
    let (_a_store, a_base, _) = bigcommerce_sandbox("12", "3");
    let (_b_store, b_base, _) = bigcommerce_sandbox("40", "4");
    let dir = temp_dir("connections", kind);
    let (da, db) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&da).unwrap();
    std::fs::create_dir_all(&db).unwrap();
    let url = state_url(&dir);
    let (pa, pb) = (da.join("bcsync.toml"), db.join("bcsync.toml"));
    // A names itself in its settings; B's file names no connection: B is chosen with
    // BCSYNC_CONNECTION.
    std::fs::write(&pa, connection_settings(&da, &a_base, &url, Some("A"))).unwrap();
    std::fs::write(&pb, connection_settings(&db, &b_base, &url, None)).unwrap();
    let (a, b) = (pa.to_str().unwrap(), pb.to_str().unwrap());
    let as_b = Some("B");

    // Each syncs its own store: some orders fail (unknown items), exit 3.
    let out = bcsync(&["sync", "orders", "--config", a], None);
    assert_eq!(out.status.code(), Some(3), "A: {}", text(&out));
    let out = bcsync(&["sync", "orders", "--config", b], as_b);
    assert_eq!(out.status.code(), Some(3), "B: {}", text(&out));

    let ids_a = open_ids(a, None);
    let ids_b = open_ids(b, as_b);
    assert!(
        !ids_a.is_empty() && !ids_b.is_empty(),
        "{ids_a:?} {ids_b:?}"
    );
    // The default connection of the same database has none of them.
    let out = bcsync(&["exceptions", "list", "--config", b, "--json"], None);
    assert_eq!(json(&out), Value::Array(vec![]), "default: {}", text(&out));
    // BCSYNC_CONNECTION overrides the file's own `state.connection`: B through A's file.
    assert_eq!(open_ids(a, as_b), ids_b);
    assert_eq!(open_ids(b, Some("A")), ids_a);

    // A key only B has: show, retry and resolve as A answer "not found" and change nothing.
    let only_b = ids_b
        .difference(&ids_a)
        .next()
        .unwrap_or_else(|| panic!("no id of B alone: A {ids_a:?} B {ids_b:?}"))
        .clone();
    for cmd in ["show", "retry", "resolve"] {
        let out = bcsync(&["exceptions", cmd, &only_b, "--config", a], None);
        assert!(!out.status.success(), "{cmd} {only_b} as A: {}", text(&out));
        assert!(
            text(&out).contains(&format!("exception for {only_b}")),
            "{cmd}: {}",
            text(&out)
        );
    }
    assert_eq!(open_ids(b, as_b), ids_b, "B's queue changed");
    let out = bcsync(&["exceptions", "show", &only_b, "--config", b], as_b);
    assert!(out.status.success(), "{}", text(&out));

    // The log: A's entries are of A's orders only.
    let log = |cfg: &str, c: Option<&str>| -> BTreeSet<String> {
        let out = bcsync(&["log", "--config", cfg, "--limit", "10000", "--json"], c);
        assert!(out.status.success(), "{}", text(&out));
        json(&out)
            .as_array()
            .expect("a list")
            .iter()
            .filter(|e| s(e, "outcome") == "failed")
            .map(|e| format!("{}/{}", s(e, "entity"), s(e, "key")))
            .collect()
    };
    let (log_a, log_b) = (log(a, None), log(b, as_b));
    assert!(!log_a.is_empty(), "A's log");
    assert!(
        log_a.is_subset(&ids_a),
        "A's log {log_a:?} beyond {ids_a:?}"
    );
    assert!(
        log_b.is_subset(&ids_b),
        "B's log {log_b:?} beyond {ids_b:?}"
    );

    // Resolving one of A's leaves B's queue as it was.
    let first_a = ids_a.iter().next().unwrap().clone();
    let out = bcsync(&["exceptions", "resolve", &first_a, "--config", a], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!open_ids(a, None).contains(&first_a));
    assert_eq!(open_ids(b, as_b), ids_b);

    // status: the connection's own rows (its cursor, its exceptions); --all: both.
    let status = |cfg: &str, c: Option<&str>, all: bool| -> Vec<Value> {
        let mut args = vec!["status", "--config", cfg, "--json"];
        if all {
            args.push("--all");
        }
        let out = bcsync(&args, c);
        assert!(out.status.success(), "{}", text(&out));
        json(&out).as_array().expect("rows").clone()
    };
    let rows_a = status(a, None, false);
    assert!(rows_a.iter().all(|r| r["connection"] == "A"), "{rows_a:?}");
    let orders_a = rows_a
        .iter()
        .find(|r| r["job"] == "orders")
        .expect("orders");
    let orders_b = status(b, as_b, false)
        .into_iter()
        .find(|r| r["job"] == "orders")
        .expect("orders of B");
    assert_eq!(orders_b["connection"], "B");
    assert!(orders_a["cursor"].is_string(), "{orders_a}");
    assert!(orders_b["cursor"].is_string(), "{orders_b}");
    assert_ne!(orders_a["cursor"], orders_b["cursor"]);
    let count = |r: &Value| r["open_exceptions"]["unknown_item"].as_u64().unwrap_or(0);
    assert_eq!(count(orders_a) as usize, ids_a.len() - 1, "{orders_a}");
    assert_eq!(count(&orders_b) as usize, ids_b.len(), "{orders_b}");
    let all: BTreeSet<String> = status(a, None, true)
        .iter()
        .map(|r| s(r, "connection").to_string())
        .collect();
    assert!(all.contains("A") && all.contains("B"), "{all:?}");
    let table = text(&bcsync(&["status", "--config", b, "--all"], as_b));
    assert!(
        table.lines().any(|l| l.starts_with("A ")) && table.lines().any(|l| l.starts_with("B ")),
        "{table}"
    );

    // A bad name is a settings error naming where it came from.
    let out = bcsync(&["exceptions", "list", "--config", a], Some("a b"));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("--connection"), "{}", text(&out));
    std::fs::write(
        &pa,
        connection_settings(&da, &a_base, &url, Some("A'; drop")),
    )
    .unwrap();
    let out = bcsync(&["status", "--config", a], None);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("setting `state.connection`"),
        "{}",
        text(&out)
    );
}

#[test]
fn each_connection_sees_only_its_own_rows_on_sqlite() {
    two_connections("sqlite", |dir| {
        format!("sqlite://{}", dir.join("state.sqlite").display())
    });
}

#[test]
fn each_connection_sees_only_its_own_rows_on_postgres() {
    let Some(url) = pg_state_url("connections") else {
        return;
    };
    two_connections("postgres", move |_| url.clone());
}
