//! What every command prints and how it ends, driven as a script would: `--json` parses,
//! exit codes say what happened, a closed pipe ends quietly, no secret in any output (with
//! `RUST_LOG=trace` and `--log-format json`).

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bcsync_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run bcsync")
}

fn bcsync(args: &[&str]) -> Output {
    bcsync_env(args, &[])
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// The JSON of a command's stdout (one document).
fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", text(o)))
}

/// A BigCommerce sandbox with `orders` orders (seed 3); its base URL.
fn sandbox(orders: &str) -> (Killed, String) {
    let (child, base, _) = bigcommerce_sandbox(orders, "3");
    (child, base)
}

fn settings_for(dir: &Path, base_url: &str) -> String {
    sandbox_settings(dir, base_url, "")
}

#[test]
fn every_command_answers_json_and_its_exit_code_says_what_happened() {
    let (_sandbox, base) = sandbox("20");
    let dir = temp_dir("outputs", "json");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();

    // init
    let init_path = dir.join("init.toml");
    let out = bcsync(&["init", "--path", init_path.to_str().unwrap(), "--json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(json_of(&out)["written"].is_string());
    let again = bcsync(&["init", "--path", init_path.to_str().unwrap(), "--json"]);
    assert_eq!(
        code(&again),
        2,
        "an existing file is a usage error: {}",
        text(&again)
    );
    assert!(json_of(&again)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--force"));

    std::fs::write(&path, settings_for(&dir, &base)).unwrap();
    for (args, exit) in [
        (vec!["check"], 0),
        (vec!["sync", "orders"], 0),
        (vec!["sync", "statuses"], 0),
        (vec!["status"], 0),
        (vec!["exceptions", "list"], 0),
        (vec!["log", "--limit", "5"], 0),
        (vec!["audit"], 0),
    ] {
        let mut a = args.clone();
        a.extend(["--config", cfg, "--json"]);
        let out = bcsync(&a);
        assert_eq!(code(&out), exit, "{args:?}: {}", text(&out));
        let v = json_of(&out);
        assert!(v.get("error").is_none(), "{args:?}: {v}");
    }
    let log = json_of(&bcsync(&["log", "--config", cfg, "--json"]));
    assert!(!log.as_array().unwrap().is_empty(), "{log}");

    // A usage error: an unknown job, an unknown entity (the valid ones are listed).
    let out = bcsync(&["sync", "nothing", "--config", cfg, "--json"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = bcsync(&["log", "--entity", "orderz", "--config", cfg]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("order, client, item"), "{}", text(&out));

    // A settings error: 4, naming the key.
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        settings_for(&dir, &base).replace("match_client_by_email", "match_client_by_emial"),
    )
    .unwrap();
    let out = bcsync(&[
        "sync",
        "orders",
        "--config",
        bad.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code(&out), 4, "{}", text(&out));
    assert_eq!(json_of(&out)["error"]["kind"], "config");

    // Refused credentials: 5, naming the setting, not "cannot reach".
    let wrong = dir.join("wrong-token.toml");
    std::fs::write(
        &wrong,
        settings_for(&dir, &base).replace(TOKEN, "sandbox-access-token-wrong"),
    )
    .unwrap();
    let out = bcsync(&["sync", "orders", "--config", wrong.to_str().unwrap()]);
    assert_eq!(code(&out), 5, "{}", text(&out));
    assert!(
        text(&out).contains("storefront.access_token"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("cannot reach"), "{}", text(&out));

    // An unreachable platform: 6.
    let down = dir.join("down.toml");
    std::fs::write(&down, settings_for(&dir, "http://127.0.0.1:9")).unwrap();
    let out = bcsync(&["sync", "orders", "--config", down.to_str().unwrap()]);
    assert_eq!(code(&out), 6, "{}", text(&out));

    // An `env:` secret whose variable is not set: `check` refuses it, naming the key.
    let env = dir.join("env.toml");
    std::fs::write(
        &env,
        settings_for(&dir, &base).replace(TOKEN, "env:BCSYNC_TEST_SURELY_UNSET_TOKEN"),
    )
    .unwrap();
    let out = bcsync(&["check", "--config", env.to_str().unwrap()]);
    assert_eq!(code(&out), 4, "{}", text(&out));
    assert!(
        text(&out).contains("storefront.access_token"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("BCSYNC_TEST_SURELY_UNSET_TOKEN"),
        "{}",
        text(&out)
    );

    // A state store that cannot be opened: `check` says so.
    let state = dir.join("state-bad.toml");
    std::fs::write(
        &state,
        settings_for(&dir, &base).replace(
            &format!("sqlite://{}", dir.join("state.sqlite").display()),
            "sqlite:///nonexistent-folder-bcsync/state.sqlite",
        ),
    )
    .unwrap();
    let out = bcsync(&["check", "--config", state.to_str().unwrap()]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("state.url"), "{}", text(&out));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let (_sandbox, base) = sandbox("30");
    let dir = temp_dir("outputs", "pipe");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();
    std::fs::write(&path, settings_for(&dir, &base)).unwrap();
    let out = bcsync(&["sync", "orders", "--config", cfg]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    for args in [vec!["log", "--limit", "1000"], vec!["status"]] {
        let mut a = args.clone();
        a.extend(["--config", cfg]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_bcsync"))
            .args(&a)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first line (as `| head -0` would).
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

#[test]
fn no_secret_in_any_output_even_when_tracing_everything() {
    let (_sandbox, base) = sandbox("10");
    let dir = temp_dir("outputs", "canary");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();
    std::fs::write(&path, settings_for(&dir, &base)).unwrap();
    // A state URL with a password the driver will refuse.
    let pg = dir.join("pg.toml");
    std::fs::write(
        &pg,
        settings_for(&dir, &base).replace(
            &format!("sqlite://{}", dir.join("state.sqlite").display()),
            "postgres://bcsync:canary-state-password-42@127.0.0.1:9/bcsync",
        ),
    )
    .unwrap();
    let pg = pg.to_str().unwrap();
    for format in ["json", "human"] {
        for args in [
            vec!["check", "--config", cfg],
            vec!["sync", "orders", "--config", cfg],
            vec!["sync", "shipments", "--config", cfg],
            vec!["status", "--config", cfg],
            vec!["exceptions", "list", "--config", cfg],
            vec!["log", "--config", cfg],
            vec!["audit", "--config", cfg],
            vec!["check", "--online", "--config", cfg],
            vec!["sync", "orders", "--dry-run", "--config", cfg],
            vec!["report", "--config", cfg],
            vec!["webhooks", "list", "--config", cfg],
            vec!["exceptions", "retry", "--all", "--config", cfg],
            vec!["check", "--config", pg],
            vec!["status", "--config", pg],
            vec!["sync", "orders", "--config", pg],
        ] {
            let mut a = args.clone();
            a.extend(["--log-format", format]);
            let out = bcsync_env(&a, &[("RUST_LOG", "trace")]);
            let all = text(&out);
            assert!(
                !all.contains(TOKEN),
                "{args:?} printed the access token:\n{all}"
            );
            assert!(
                !all.contains("canary-state-password-42"),
                "{args:?} printed the state password:\n{all}"
            );
        }
    }
    // With `--log-format json`, every stderr line is one JSON object (or the final error).
    let out = bcsync_env(
        &["sync", "orders", "--config", cfg, "--log-format", "json"],
        &[("RUST_LOG", "debug")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("bcsync: ")).collect();
    assert!(!lines.is_empty(), "no log line at debug");
    for l in lines {
        serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
    }
}
