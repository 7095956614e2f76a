//! `bcsync run --listen`: webhooks wake the orders job within seconds (the poll interval left
//! at 2 minutes), refused and replayed deliveries, the echo guard, `/metrics`, `/healthz`,
//! `/readyz`.

mod common;
use common::*;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const HOOK_SECRET: &str = "hook-secret-canary-7f3a";

struct Sandbox {
    _child: Killed,
    base: String,
    api: String,
}

fn sandbox(orders: &str) -> Sandbox {
    let (child, base, api) = bigcommerce_sandbox(orders, "4");
    Sandbox {
        _child: child,
        base,
        api,
    }
}

fn settings_for(dir: &Path, base_url: &str, extra_storefront: &str) -> String {
    sandbox_settings(dir, base_url, extra_storefront)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `bcsync run --listen` on a free port, its stderr kept; waits for `/healthz`.
async fn run_listening(cfg: &str, port: u16) -> (Killed, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args([
            "run",
            "--config",
            cfg,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "info,bc_server=debug")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http.get(format!("{url}/healthz")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "bcsync run --listen never answered /healthz"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (Killed(child), url)
}

/// The sum of the samples of metric `name` whose labels include every one of `labels`.
async fn metric(http: &reqwest::Client, url: &str, name: &str, labels: &[&str]) -> f64 {
    let text = http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.split(['{', ' ']).next() == Some(name) && labels.iter().all(|lb| l.contains(lb))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A GET of the store's API, as JSON.
async fn api_get(http: &reqwest::Client, url: &str) -> Value {
    http.get(url)
        .header("X-Auth-Token", TOKEN)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A new order in "Awaiting Fulfillment" with the product and addresses of an existing one.
async fn create_order(http: &reqwest::Client, api: &str, sku_override: Option<&str>) -> u64 {
    let list = api_get(http, &format!("{api}/v2/orders?limit=1")).await;
    let first = &list[0];
    let id = first["id"].as_u64().unwrap();
    let products = api_get(http, &format!("{api}/v2/orders/{id}/products")).await;
    let p = &products[0];
    let line = match sku_override {
        Some(sku) => {
            json!({"name": "A product no ledger knows", "sku": sku, "quantity": 1, "price_ex_tax": "12.50", "price_inc_tax": "12.50"})
        }
        None => json!({"product_id": p["product_id"], "quantity": 1}),
    };
    let mut billing = first["billing_address"].clone();
    if let Some(o) = billing.as_object_mut() {
        o.retain(|k, _| {
            [
                "first_name",
                "last_name",
                "company",
                "street_1",
                "street_2",
                "city",
                "state",
                "zip",
                "country",
                "country_iso2",
                "phone",
                "email",
            ]
            .contains(&k.as_str())
        });
    }
    let body = json!({
        "customer_id": 0,
        "status_id": 11,
        "billing_address": billing,
        "products": [line],
        "payment_method": "Credit Card",
    });
    let resp = http
        .post(format!("{api}/v2/orders"))
        .header("X-Auth-Token", TOKEN)
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let v: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "create order: {status} {v}");
    v["id"].as_u64().unwrap()
}

async fn order_status(http: &reqwest::Client, api: &str, id: u64) -> String {
    let v = api_get(http, &format!("{api}/v2/orders/{id}")).await;
    s(&v, "status").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_brings_an_order_in_within_seconds_and_bcsyncs_own_writes_do_not_echo() {
    let sb = sandbox("5");
    let dir = temp_dir("listen", "webhooks");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();
    std::fs::write(
        &path,
        settings_for(
            &dir,
            &sb.base,
            &format!("webhook_secret = \"{HOOK_SECRET}\""),
        ),
    )
    .unwrap();
    let port = free_port();
    let (mut run, url) = run_listening(cfg, port).await;
    let http = reqwest::Client::new();

    // Ready: the state store answers and no job is overdue.
    let ready = http.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "{}", ready.text().await.unwrap());

    // Register the hooks with the store (plain HTTP to loopback, as the sandbox allows).
    let out = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args([
            "webhooks",
            "install",
            "--config",
            cfg,
            "--url",
            &format!("{url}/webhooks/bigcommerce"),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(["webhooks", "list", "--config", cfg, "--json"])
        .output()
        .unwrap();
    let hooks: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(hooks.as_array().map(Vec::len), Some(4), "{hooks}");

    // Let the first (start-up) runs finish, so only a webhook can bring the next order in:
    // the poll interval is 2 minutes.
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(&http, &url, "bcsync_job_runs_total", &["job=\"orders\""]).await < 1.0 {
        assert!(
            Instant::now() < deadline,
            "the first orders run never finished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let runs_before = metric(&http, &url, "bcsync_job_runs_total", &["job=\"orders\""]).await;

    let id = create_order(&http, &sb.api, None).await;
    let started = Instant::now();
    loop {
        if order_status(&http, &sb.api, id).await == "Awaiting Shipment" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "order {id} was not imported within 30 s of its webhook (poll interval 2 min)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(metric(&http, &url, "bcsync_job_runs_total", &["job=\"orders\""]).await > runs_before);
    assert!(metric(&http, &url, "bcsync_orders_posted_total", &[]).await >= 1.0);
    assert!(metric(&http, &url, "bcsync_http_requests_total", &[]).await > 0.0);
    // The Downloaded status bcsync just set came back as a webhook: an echo, ignored.
    let deadline = Instant::now() + Duration::from_secs(20);
    while metric(&http, &url, "bcsync_webhook_echoes_total", &[]).await < 1.0 {
        assert!(
            Instant::now() < deadline,
            "the Downloaded status webhook never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // An order that fails on its own (an SKU the ledger lacks, items not created): an
    // exception and the error status; that status's webhook is an echo too and neither
    // re-imports the order nor clears its exception.
    std::fs::write(
        &path,
        settings_for(
            &dir,
            &sb.base,
            &format!("webhook_secret = \"{HOOK_SECRET}\""),
        )
        .replace(
            "create_missing_items = true",
            "create_missing_items = false",
        ),
    )
    .unwrap();
    drop(run);
    let (run2, url) = run_listening(cfg, port).await;
    run = run2;
    let echoes_before = metric(&http, &url, "bcsync_webhook_echoes_total", &[]).await;
    let bad = create_order(&http, &sb.api, Some("NO-SUCH-SKU-42")).await;
    let started = Instant::now();
    while order_status(&http, &sb.api, bad).await != "Manual Verification Required" {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "order {bad} never failed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while metric(&http, &url, "bcsync_webhook_echoes_total", &[]).await < echoes_before + 1.0 {
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the error status webhook never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let show = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args([
            "exceptions",
            "show",
            &format!("order/{bad}"),
            "--config",
            cfg,
            "--json",
        ])
        .output()
        .unwrap();
    let x: Value = serde_json::from_slice(&show.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&show.stderr)));
    assert_eq!(x["status"], "open", "{x}");
    assert_eq!(
        x["attempts"], 1,
        "the echo must not re-process the order: {x}"
    );

    // A delivery with a wrong secret: 401, logged without its body.
    let body = json!({"scope": "store/order/created", "store_id": "1", "data": {"type": "order", "id": 999_999}, "hash": "body-marker-5d1c", "created_at": 1_700_000_000, "producer": "stores/x"});
    let r = http
        .post(format!("{url}/webhooks/bigcommerce"))
        .header("x-bcsync-secret", "wrong-secret")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A replayed delivery is processed once.
    let dup_before = metric(
        &http,
        &url,
        "bcsync_webhook_deliveries_total",
        &["outcome=\"duplicate\""],
    )
    .await;
    for _ in 0..2 {
        let r = http
            .post(format!("{url}/webhooks/bigcommerce"))
            .header("x-bcsync-secret", HOOK_SECRET)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let dup_after = metric(
        &http,
        &url,
        "bcsync_webhook_deliveries_total",
        &["outcome=\"duplicate\""],
    )
    .await;
    assert_eq!(
        dup_after - dup_before,
        1.0,
        "the replay must be dropped once"
    );

    // /metrics is Prometheus text: every sample line is `name{labels} value`.
    let text = http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for l in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (name, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {l}"));
        assert!(
            value.parse::<f64>().is_ok() || value == "NaN" || value.ends_with("Inf"),
            "{l}"
        );
        let metric_name = name.split('{').next().unwrap();
        assert!(
            metric_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{l}"
        );
    }

    // Stop (SIGTERM): exit 0; nothing in the log holds the secret or the refused body.
    let pid = run.0.id();
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let status = run.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    run.0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains("401") || log.contains("refused"),
        "the refusal is logged:\n{log}"
    );
    assert!(
        !log.contains("body-marker-5d1c"),
        "a refused body was logged:\n{log}"
    );
    assert!(!log.contains(HOOK_SECRET), "the secret was logged:\n{log}");
    assert!(!log.contains(TOKEN), "the token was logged:\n{log}");
}

#[test]
fn a_reachable_address_needs_the_webhook_secret() {
    let dir = temp_dir("listen", "secret");
    let path = dir.join("bcsync.toml");
    std::fs::write(&path, settings_for(&dir, "http://127.0.0.1:9", "")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args([
            "run",
            "--config",
            path.to_str().unwrap(),
            "--listen",
            "0.0.0.0:0",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("storefront.webhook_secret"));
}

/// Runs `psql URL -c SQL`; panics with its output on failure.
fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_turns_unready_when_the_state_store_is_gone() {
    let Ok(admin) = std::env::var("BCSYNC_TEST_POSTGRES_URL") else {
        eprintln!("SKIPPED: readyz_turns_unready_when_the_state_store_is_gone needs BCSYNC_TEST_POSTGRES_URL (a PostgreSQL server)");
        return;
    };
    if Command::new("psql").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED: readyz_turns_unready_when_the_state_store_is_gone needs the psql client"
        );
        return;
    }
    let db = format!("bcsync_readyz_{}", std::process::id());
    psql(&admin, &format!("DROP DATABASE IF EXISTS {db}"));
    psql(&admin, &format!("CREATE DATABASE {db}"));
    let url = match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{db}"),
        None => panic!("BCSYNC_TEST_POSTGRES_URL has no database: {admin}"),
    };
    let sb = sandbox("3");
    let dir = temp_dir("listen", "readyz");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();
    std::fs::write(
        &path,
        settings_for(&dir, &sb.base, "").replace(
            &format!("sqlite://{}", dir.join("state.sqlite").display()),
            &url,
        ),
    )
    .unwrap();
    let (run, base) = run_listening(cfg, free_port()).await;
    let http = reqwest::Client::new();
    let r = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // The database goes away: no new connection allowed, every open one cut.
    psql(
        &admin,
        &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false"),
    );
    psql(
        &admin,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let reasons = loop {
        let r = http.get(format!("{base}/readyz")).send().await.unwrap();
        if r.status() == 503 {
            break r.text().await.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "/readyz stayed ready without its state store"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(reasons.contains("state store"), "{reasons}");
    // Liveness is not readiness: the process is alive.
    let r = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    drop(run);
    psql(
        &admin,
        &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"),
    );
    psql(
        &admin,
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
    );
}
