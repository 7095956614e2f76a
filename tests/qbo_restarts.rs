//! `bcsync run` on QuickBooks Online, killed (SIGKILL) and restarted three times over a day of
//! sandbox time: between runs the sandbox's clock moves 8 hours (every access token expires;
//! each refresh rotates the refresh token, and the used one stops working at once), new orders
//! arrive, and during one run a concurrent `bcsync sync orders --once` shares the token set.
//! Every run keeps syncing from the token set in the state store; no order is lost or posted
//! twice.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bc_sandbox_bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use serde_json::Value;

const DEMO_SETTINGS: &str = include_str!("../src/cli/demo_settings.toml");

#[path = "../src/cli/demo/qbo_settings.rs"]
mod qbo_settings;
/// BigCommerce's "Awaiting Fulfillment", the demo settings' importable status.
const IMPORTABLE: u8 = 11;

fn settings(dir: &Path, bc_base: &str, qbo: &Value) -> PathBuf {
    let state = format!("sqlite://{}", dir.join("state.sqlite").display());
    // The demo's settings with the QBO sandbox company's names (accounts, tax codes).
    let mut text = qbo_settings::qbo_text(DEMO_SETTINGS).unwrap().replace(
        "access_token = \"sandbox-access-token-0123456789abcdef\"",
        &format!(
            "access_token = \"sandbox-access-token-0123456789abcdef\"\nbase_url = \"{bc_base}\""
        ),
    );
    let start = text.find("[ledger]").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    let ledger = format!(
        "[ledger]\nplatform = \"qbo\"\nrealm_id = \"{}\"\nclient_id = \"{}\"\nclient_secret = \"{}\"\n\
         refresh_token = \"{}\"\nbase_url = \"{}\"\ncurrencies = [\"CAD\", \"EUR\", \"JPY\"]\n\n[state]\nurl = \"{state}\"",
        s(qbo, "realm_id"),
        s(qbo, "client_id"),
        s(qbo, "client_secret"),
        s(qbo, "refresh_token"),
        s(qbo, "base_url"),
    );
    text.replace_range(start..end, &ledger);
    let path = dir.join("bcsync.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// How many of `ids` are importable. The generator dates orders from a fixed start; new
/// orders arrive now, so each is touched (its modification time becomes the store's now).
fn arrive(bc: &BigCommerceSandbox, ids: &[u64]) -> usize {
    let mut n = 0;
    for id in ids {
        let status = bc.order_status(*id).unwrap();
        bc.set_order_status(*id, status).unwrap();
        n += usize::from(status == IMPORTABLE);
    }
    n
}

fn posted(qbo: &QboSandbox) -> usize {
    qbo.invoices().len() + qbo.sales_receipts().len()
}

/// Waits until the QBO sandbox holds `want` sales documents (or `limit` passes).
async fn wait_for(qbo: &QboSandbox, want: usize, limit: Duration) -> usize {
    let start = Instant::now();
    loop {
        let n = posted(qbo);
        if n >= want || start.elapsed() > limit {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn spawn(args: &[&str], config: &Path) -> Killed {
    Killed(
        Command::new(env!("CARGO_BIN_EXE_bcsync"))
            .args(args)
            .arg("--config")
            .arg(config)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn bcsync"),
    )
}

fn stderr_of(mut child: Killed) -> (Option<bool>, String) {
    use std::io::Read;
    let _ = child.0.kill();
    let status = child.0.wait().ok();
    let mut err = String::new();
    if let Some(mut e) = child.0.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    (status.and_then(|s| s.code()).map(|c| c == 0), err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bcsync_run_restarted_three_times_over_a_day_keeps_syncing() {
    let dir = temp_dir("qbo", "restarts");
    let (bc, bc_served) = BigCommerceSandbox::serve_seeded(BigCommerceConfig::default(), 0, 7, 0)
        .await
        .expect("serve BigCommerce");
    // The generated store sells in USD, CAD, EUR and JPY: a multicurrency company.
    let qbo = QboSandbox::new(QboConfig {
        multicurrency: true,
        ..QboConfig::default()
    });
    let qbo_served = qbo.serve(0).await.expect("serve QBO");
    let config = settings(&dir, &bc_served.base_url, &qbo.credentials_json());

    let mut want = 0;
    for round in 0..4 {
        // New orders arrive while nothing runs.
        let ids = bc.seed_orders(8, 100 + round);
        want += arrive(&bc, &ids);
        let run = spawn(&["run"], &config);
        // The second run shares the token set with a one-off sync started beside it.
        let once = (round == 2).then(|| spawn(&["sync", "orders", "--once", "--json"], &config));
        let got = wait_for(&qbo, want, Duration::from_secs(90)).await;
        let once_out = once.map(|c| {
            let mut c = c;
            let status = c.0.wait().unwrap();
            let mut err = String::new();
            use std::io::Read;
            if let Some(mut e) = c.0.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            (status.success(), err)
        });
        let (_, run_err) = stderr_of(run); // SIGKILL: no clean shutdown
        let queue = if got != want {
            let o = Command::new(env!("CARGO_BIN_EXE_bcsync"))
                .args(["exceptions", "list", "--config"])
                .arg(&config)
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
        } else {
            String::new()
        };
        assert_eq!(
            got, want,
            "round {round}: {got} of {want} orders posted; bcsync run said:\n{run_err}\nexceptions:\n{queue}\nsync --once: {once_out:?}"
        );
        assert!(
            !run_err.contains("invalid_grant"),
            "round {round}: the token set broke:\n{run_err}"
        );
        if let Some((ok, err)) = once_out {
            assert!(
                !err.contains("invalid_grant"),
                "sync --once broke the token set:\n{err}"
            );
            assert!(ok || err.contains("lease"), "sync --once failed:\n{err}");
        }
        // Eight hours pass: every access token expires; the next refresh rotates again.
        qbo.advance_clock(chrono::Duration::hours(8));
    }
    // Each of the four runs started on expired tokens and refreshed (rotating the refresh
    // token) from the set the previous one stored.
    let refreshes = qbo
        .stats()
        .snapshot()
        .by_route
        .get("POST /oauth2/v1/tokens/bearer")
        .copied()
        .unwrap_or(0);
    assert!(refreshes >= 4, "only {refreshes} token refreshes");
    let dups = qbo.duplicates();
    assert_eq!(
        dups.extra_documents(),
        0,
        "documents posted twice: {dups:?}"
    );
    drop(qbo_served);
    drop(bc_served);
    let _ = std::fs::remove_dir_all(&dir);
}
