//! `bcsync sandbox` driven as a user would: spawn the binary, read its first line, call it.

mod common;
use common::*;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

fn start(args: &[&str]) -> (Killed, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn bcsync");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let v: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("first line is not JSON ({e}): {line:?}"));
    (Killed(child), v)
}

#[tokio::test]
async fn bigcommerce_sandbox_serves_its_orders_to_any_client() {
    let (_child, v) = start(&[
        "sandbox",
        "bigcommerce",
        "--port",
        "0",
        "--orders",
        "7",
        "--seed",
        "3",
        "--json",
    ]);
    let base = v["base_url"].as_str().unwrap();
    let hash = v["credentials"]["store_hash"].as_str().unwrap();
    let token = v["credentials"]["access_token"].as_str().unwrap();
    let client = reqwest::Client::new();
    let url = format!("{base}/stores/{hash}/v2/orders?limit=250");
    let resp = client
        .get(&url)
        .header("X-Auth-Token", token)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-rate-limit-requests-quota"], "150");
    let orders: Vec<Value> = resp.json().await.unwrap();
    assert_eq!(orders.len(), 7);
    let denied = client
        .get(&url)
        .header("X-Auth-Token", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
}

#[tokio::test]
async fn qbo_sandbox_answers_queries_with_its_credentials() {
    let (_child, v) = start(&["sandbox", "qbo", "--port", "0", "--json"]);
    let base = v["base_url"].as_str().unwrap();
    let c = &v["credentials"];
    for key in [
        "realm_id",
        "client_id",
        "client_secret",
        "access_token",
        "refresh_token",
    ] {
        assert!(
            c[key].as_str().is_some_and(|s| !s.is_empty()),
            "credentials lack {key}: {c}"
        );
    }
    let realm = c["realm_id"].as_str().unwrap();
    let url = format!(
        "{base}/v3/company/{realm}/query?query=select%20*%20from%20Account&minorversion=75"
    );
    let client = reqwest::Client::new();
    let resp = client
        .get(&url)
        .bearer_auth(c["access_token"].as_str().unwrap())
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["QueryResponse"]["Account"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "{body}"
    );
    let denied = client
        .get(&url)
        .bearer_auth("expired")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
}

#[test]
fn bad_fault_rate_is_refused_with_a_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(["sandbox", "qbo", "--faults", "1.5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--faults 1.5"), "{err}");
}

#[tokio::test]
async fn bc365_magento_and_acumatica_sandboxes_print_their_url_and_credentials() {
    for platform in ["bc365", "magento", "acumatica"] {
        let (_child, v) = start(&[
            "sandbox", platform, "--port", "0", "--orders", "3", "--json",
        ]);
        let base = v["base_url"].as_str().unwrap_or_default();
        assert!(base.starts_with("http://127.0.0.1:"), "{platform}: {v}");
        assert!(
            v["credentials"].as_object().is_some_and(|c| !c.is_empty()),
            "{platform}: {v}"
        );
        // The sandbox answers on that URL (its introspection route).
        let resp = reqwest::get(format!("{base}/__sandbox/requests"))
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{platform}: {}", resp.status());
    }
}

/// `bcsync portal --demo` prints the URL and one login per role and buyer, and the URL serves
/// the sign-in page.
#[tokio::test]
async fn portal_demo_prints_its_url_and_logins_and_serves_the_sign_in_page() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(["portal", "--demo", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn bcsync");
    let stdout = child.stdout.take().expect("stdout");
    let child = Killed(child);
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a first line").expect("utf-8");
    let url = first
        .strip_prefix("portal: ")
        .unwrap_or_else(|| panic!("first line names the URL: {first:?}"))
        .trim()
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let mut logins = String::new();
    for line in lines.by_ref().take(5) {
        logins.push_str(&line.expect("utf-8"));
        logins.push('\n');
    }
    for role in ["sales", "finance", "admin"] {
        assert!(
            logins.to_lowercase().contains(role),
            "{role} login in {logins}"
        );
    }
    let page = reqwest::get(format!("{url}/login"))
        .await
        .expect("the portal answers");
    assert!(page.status().is_success(), "{}", page.status());
    let body = page.text().await.expect("body");
    assert!(body.contains("<form"), "{body}");
    drop(child);
}
