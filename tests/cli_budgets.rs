//! The rate budget left in `bcsync status`: a `bcsync run` (SQLite or PostgreSQL state)
//! records, every few seconds, each platform account's budget (requests left in the window,
//! the window, when it resets, the last 429); `status` shows it per connection with its age.
//! The PostgreSQL case is skipped with a notice without a server
//! (`BCSYNC_TEST_POSTGRES_URL`).

mod common;
use common::*;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn bcsync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(args)
        .env_remove("BCSYNC_CONNECTION")
        .output()
        .expect("run bcsync")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The `rate_budgets` of the orders row of `status --json`.
fn budgets(cfg: &str) -> Vec<Value> {
    let out = bcsync(&["status", "--config", cfg, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let orders = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["job"] == "orders")
        .cloned()
        .expect("an orders row");
    orders["rate_budgets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[cfg(unix)]
#[test]
fn a_running_worker_records_the_budget_left_and_status_shows_it_on_postgres() {
    let Some(url) = pg_state_url("budgets") else {
        return;
    };
    budget_shown(&url, "run-pg");
}

#[cfg(unix)]
#[test]
fn a_running_worker_records_the_budget_left_and_status_shows_it_on_sqlite() {
    let dir = temp_dir("budgets", "sqlite-state");
    let url = format!("sqlite://{}", dir.join("state.sqlite").display());
    budget_shown(&url, "run-sqlite");
}

#[cfg(unix)]
fn budget_shown(url: &str, name: &str) {
    let (_store, base, _) = bigcommerce_sandbox("40", "5");
    let dir = temp_dir("budgets", name);
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();
    // A small quota: 20 requests per 30 s window.
    let settings = sandbox_settings(&dir, &base, "requests_per_window = 20");
    std::fs::write(&path, with_state(&settings, url, Some("shop"))).unwrap();
    assert!(budgets(cfg).is_empty(), "no budget before a worker ran");

    let log = std::fs::File::create(dir.join("run.log")).unwrap();
    let mut run = Killed(
        Command::new(env!("CARGO_BIN_EXE_bcsync"))
            .args(["run", "--config", cfg])
            .env_remove("BCSYNC_CONNECTION")
            .stderr(Stdio::from(log))
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    let seen = loop {
        let b = budgets(cfg);
        let spent = b.iter().find(|b| {
            b["account"]
                .as_str()
                .unwrap_or("")
                .starts_with("bigcommerce:")
                && b["requests_left"].as_u64().is_some_and(|l| l < 20)
        });
        if let Some(b) = spent {
            break b.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "no spent budget recorded: {b:?}\n{}",
            std::fs::read_to_string(dir.join("run.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(seen["connection"], "shop", "{seen}");
    assert_eq!(seen["window_limit"], 20, "{seen}");
    assert_eq!(seen["window_ms"], 30_000, "{seen}");
    assert!(seen["age_secs"].as_i64().is_some_and(|a| a < 30), "{seen}");
    assert!(
        seen["worker"].as_str().is_some_and(|w| w.contains('#')),
        "{seen}"
    );
    let table = text(&bcsync(&["status", "--config", cfg]));
    assert!(
        table.lines().any(|l| l.starts_with("shop")
            && l.contains("rate budget bigcommerce:")
            && l.contains("of 20 requests left per 30 s")
            && l.contains("s ago")),
        "{table}"
    );

    assert!(Command::new("kill")
        .args(["-TERM", &run.0.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = run.0.wait().unwrap();
    let log = std::fs::read_to_string(dir.join("run.log")).unwrap_or_default();
    assert!(status.success(), "{status:?}\n{log}");
    // Another connection of the same database has none.
    std::fs::write(&path, with_state(&settings, url, Some("other"))).unwrap();
    assert!(budgets(cfg).is_empty());
}
