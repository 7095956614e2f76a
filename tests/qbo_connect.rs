//! `bcsync connect qbo` against the QuickBooks Online sandbox: the binary prints the consent URL,
//! the "browser" (this test) follows Intuit's redirect back to the binary's loopback listener,
//! and the token set lands in the state store, where a later connection finds it although the
//! settings file has no refresh token. A forged redirect stores nothing.

mod common;
use common::*;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use bc_http::TokenStore;
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use bcsync::tokens::StateTokenStore;
use serde_json::Value;

const DEMO_SETTINGS: &str = include_str!("../src/cli/demo_settings.toml");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The demo settings with a QBO `[ledger]` (no refresh token) and an SQLite state in `dir`.
fn settings(dir: &Path, creds: &Value, redirect: &str) -> (PathBuf, String) {
    let state = format!("sqlite://{}", dir.join("state.sqlite").display());
    let ledger = format!(
        "[ledger]\nplatform = \"qbo\"\nrealm_id = \"{}\"\nclient_id = \"{}\"\nclient_secret = \"{}\"\n\
         base_url = \"{}\"\nredirect_uri = \"{redirect}\"\n\n[state]\nurl = \"{state}\"",
        s(creds, "realm_id"),
        s(creds, "client_id"),
        s(creds, "client_secret"),
        s(creds, "base_url"),
    );
    let text = DEMO_SETTINGS.replace("[ledger]\nplatform = \"acctvantage\"", &ledger);
    let path = dir.join("bcsync.toml");
    std::fs::write(&path, text).unwrap();
    (path, state)
}

fn spawn_connect(config: &Path, json: bool) -> (Killed, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(["connect", "qbo", "--timeout-secs", "60", "--config"])
        .arg(config)
        .args(if json { &["--json"][..] } else { &[][..] })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bcsync connect qbo");
    let out = BufReader::new(child.stdout.take().unwrap());
    (Killed(child), out)
}

/// Reads stdout until the consent URL line.
fn consent_url(out: &mut BufReader<std::process::ChildStdout>) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "bcsync ended before printing the URL"
        );
        if line.starts_with("http") {
            return line.trim().to_string();
        }
        // `--json`: one JSON line first, naming the URL.
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
            if let Some(u) = v["authorize_url"].as_str() {
                return u.to_string();
            }
        }
    }
}

/// Waits for the exit, reading the rest of stdout (the program must never hit a closed pipe).
fn finish(
    mut child: Killed,
    mut out: BufReader<std::process::ChildStdout>,
) -> (bool, String, String) {
    let mut stdout = String::new();
    let mut stderr = String::new();
    use std::io::Read;
    let _ = out.read_to_string(&mut stdout);
    if let Some(mut e) = child.0.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let status = child.0.wait().unwrap();
    (status.success(), stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_qbo_stores_a_token_set_that_later_connections_use() {
    let sandbox = QboSandbox::new(QboConfig::default());
    let served = sandbox.serve(0).await.expect("serve the QBO sandbox");
    let creds = sandbox.credentials_json();
    let dir = temp_dir("connect", "ok");
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let (config, state_url) = settings(&dir, &creds, &redirect);

    let (child, mut out) = spawn_connect(&config, false);
    let url = consent_url(&mut out);
    assert!(url.contains("/connect/oauth2?"), "{url}");
    assert!(url.contains("state="), "{url}");
    // The browser: Intuit's consent page redirects back to bcsync's loopback listener.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = browser.get(&url).send().await.unwrap();
    assert_eq!(consent.status(), 302);
    let back = consent.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with(&redirect), "{back}");
    let page = browser.get(&back).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || finish(child, out))
        .await
        .unwrap();
    assert!(ok, "bcsync connect qbo failed: {stderr}");
    assert!(
        stdout.contains("Connected to QuickBooks company"),
        "{stdout}"
    );

    // The set is in the state store, under the company's account.
    let state = bc_state::connect(&state_url).await.unwrap();
    let store = StateTokenStore::new(
        state.clone(),
        bcsync::builtins::qbo_token_account(s(&creds, "realm_id")),
    );
    let stored = store.load().await.unwrap().expect("a stored token set");
    assert!(stored.generation >= 1);
    assert!(!format!("{stored:?}").contains(s(&creds, "client_secret")));

    // A later connection (no refresh token in the settings) works from the stored set.
    let text = std::fs::read_to_string(&config).unwrap();
    let settings = bc_core::Settings::from_toml_str(&text).unwrap();
    let ctx = bcsync::ConnectContext::new().with_state(state as Arc<dyn bc_engine::StateStore>);
    let ledger = bcsync::Registry::with_builtins()
        .ledger(&settings.ledger, ctx)
        .await
        .expect("connect with the stored set");
    drop(ledger);
    served.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_redirect_stores_nothing() {
    let sandbox = QboSandbox::new(QboConfig::default());
    let served = sandbox.serve(0).await.expect("serve the QBO sandbox");
    let creds = sandbox.credentials_json();
    let dir = temp_dir("connect", "forged");
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let (config, state_url) = settings(&dir, &creds, &redirect);

    // With `--json`: the URL comes as a JSON line; the failure is an `{"error"}` document.
    let (child, mut out) = spawn_connect(&config, true);
    let _ = consent_url(&mut out);
    // Someone else's redirect: a code and the right company, but not the `state` bcsync sent.
    let forged = format!(
        "{redirect}?code=stolen&state=not-the-one&realmId={}",
        s(&creds, "realm_id")
    );
    let page = reqwest::get(&forged).await.unwrap();
    assert_eq!(page.status(), 200);
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || finish(child, out))
        .await
        .unwrap();
    assert!(!ok, "a forged redirect was accepted");
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert!(
        last["error"]["message"].as_str().unwrap().contains("state"),
        "{last}"
    );
    assert!(stderr.contains("state"), "{stderr}");
    assert!(stderr.contains("nothing was stored"), "{stderr}");
    let state = bc_state::connect(&state_url).await.unwrap();
    let store = StateTokenStore::new(
        state,
        bcsync::builtins::qbo_token_account(s(&creds, "realm_id")),
    );
    assert!(store.load().await.unwrap().is_none());
    served.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
