//! `bcsync run --workers N` over several connections: two connections (each its own
//! BigCommerce sandbox store into its own embedded ERP) in one PostgreSQL state database,
//! served by one process with two workers. Both connections' orders are posted once;
//! SIGTERM ends the process with 0 and no lease held. Skipped with a notice without a
//! PostgreSQL server (`BCSYNC_TEST_POSTGRES_URL`). SQLite is refused with an error naming
//! `state.url`.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The program.
fn program() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bcsync"));
    c.env_remove("BCSYNC_CONNECTION");
    c
}

/// `bcsync run` with `args` (after `run`).
fn run_program(args: &[&str]) -> Command {
    let mut c = program();
    c.arg("run").args(args);
    c
}

fn bcsync(args: &[&str]) -> Output {
    program().args(args).output().expect("run bcsync")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Whether this build's `run` takes `--workers` (the program's argument list takes it).
fn has_workers() -> bool {
    let out = bcsync(&["run", "--help"]);
    let yes = text(&out).contains("--workers");
    if !yes {
        println!("SKIPPED: this bcsync's `run` has no `--workers` (src/main.rs must take cli::service::RunArgs)");
    }
    yes
}

/// Two connections' settings files in `dir` (`a.toml`, `b.toml`) on `state_url`.
fn two_files(dir: &Path, a_base: &str, b_base: &str, state_url: &str) -> (PathBuf, PathBuf) {
    let mut out = Vec::new();
    for (name, base) in [("A", a_base), ("B", b_base)] {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        let s = with_state(&sandbox_settings(&d, base, ""), state_url, Some(name));
        let p = dir.join(format!("{}.toml", name.to_lowercase()));
        std::fs::write(&p, s).unwrap();
        out.push(p);
    }
    (out[0].clone(), out[1].clone())
}

/// The `status --all --json` rows of `connection`.
fn rows_of(cfg: &str, connection: &str) -> Vec<Value> {
    let out = bcsync(&["status", "--config", cfg, "--all", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    rows.as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["connection"] == connection)
        .cloned()
        .collect()
}

#[test]
fn sqlite_is_refused_for_several_workers_naming_the_setting() {
    if !has_workers() {
        return;
    }
    let dir = temp_dir("workers", "sqlite");
    let url = format!("sqlite://{}", dir.join("state.sqlite").display());
    let (a, b) = two_files(&dir, "http://127.0.0.1:9", "http://127.0.0.1:9", &url);
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    for args in [
        vec!["--config", a, "--workers", "2"],
        vec!["--config", a, "--config", b],
    ] {
        let out = run_program(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("state.url"), "{}", text(&out));
        assert!(text(&out).contains("PostgreSQL"), "{}", text(&out));
    }
    // One file, one worker: the SQLite service as before (here: its unreachable store).
    let out = run_program(&["--config", a, "--workers", "1"])
        .output()
        .unwrap();
    assert!(text(&out).contains("127.0.0.1:9"), "{}", text(&out));
}

#[cfg(unix)]
#[test]
fn two_workers_post_both_connections_orders_once_and_stop_on_sigterm() {
    if !has_workers() {
        return;
    }
    let Some(url) = pg_state_url("workers") else {
        return;
    };
    let (_a_store, a_base, _) = bigcommerce_sandbox("15", "6");
    let (_b_store, b_base, _) = bigcommerce_sandbox("15", "7");
    let dir = temp_dir("workers", "pg");
    let (pa, pb) = two_files(&dir, &a_base, &b_base, &url);
    let (a, b) = (pa.to_str().unwrap(), pb.to_str().unwrap());
    // The same files as a folder: `--configs DIR`.
    let configs = dir.join("configs");
    std::fs::create_dir_all(&configs).unwrap();
    std::fs::copy(&pa, configs.join("a.toml")).unwrap();
    std::fs::copy(&pb, configs.join("b.toml")).unwrap();
    std::fs::write(configs.join("notes.txt"), "not a settings file").unwrap();

    let log_path = dir.join("run.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut run = Killed(
        run_program(&["--configs", configs.to_str().unwrap(), "--workers", "2"])
            .env("RUST_LOG", "info")
            .stderr(Stdio::from(log))
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let read_log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    // Both connections' orders jobs have run once and ended well.
    let start = Instant::now();
    loop {
        let done = ["A", "B"].iter().all(|c| {
            rows_of(a, c)
                .iter()
                .any(|r| r["job"] == "orders" && r["last_ok"] == true)
        });
        if done {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the orders jobs did not run: {:?} {:?}\n{}",
            rows_of(a, "A"),
            rows_of(a, "B"),
            read_log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // Both workers claimed units (as `<host>-w1#pid`, `<host>-w2#pid`).
    let workers: std::collections::BTreeSet<String> = ["A", "B"]
        .iter()
        .flat_map(|c| rows_of(a, c))
        .filter_map(|r| r["last_worker"].as_str().map(str::to_string))
        .collect();
    assert!(
        workers.iter().all(|w| w.contains("-w") && w.contains('#')),
        "{workers:?}"
    );

    assert!(Command::new("kill")
        .args(["-TERM", &run.0.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = run.0.wait().unwrap();
    assert!(status.success(), "{status:?}\n{}", read_log());
    assert!(read_log().contains("SIGTERM"), "{}", read_log());

    // No lease held by anyone.
    let now = chrono::Utc::now();
    for c in ["A", "B"] {
        for r in rows_of(a, c) {
            let lease = &r["lease"];
            let held = !lease.is_null()
                && !lease["owner"].as_str().unwrap_or_default().is_empty()
                && lease["expires_at"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t > now);
            assert!(!held, "a lease is still held: {r}");
        }
    }
    // Every order posted, once: nothing left to do, no duplicate in either ERP.
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (cfg, erp) in [(a, dir.join("A/erp.sqlite")), (b, dir.join("B/erp.sqlite"))] {
        let dups = rt.block_on(async {
            let erp = bc_connector_acctvantage::Erp::open(erp).await.unwrap();
            erp.duplicates().await.unwrap()
        });
        assert!(dups.is_empty(), "{cfg}: posted twice: {dups:?}");
        let again = bcsync(&["sync", "orders", "--config", cfg, "--json"]);
        let r: Value = serde_json::from_slice(&again.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&again)));
        assert_eq!(
            r["done"], 0,
            "{cfg}: everything was posted by the workers: {r}"
        );
        assert!(r["seen"].as_u64().is_some(), "{r}");
    }
    // The log shows both connections posted something.
    for c in [a, b] {
        let out = bcsync(&["log", "--config", c, "--outcome", "done", "--json"]);
        let entries: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert!(
            entries.as_array().is_some_and(|e| !e.is_empty()),
            "{c}: nothing posted"
        );
    }
}
