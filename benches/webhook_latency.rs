//! Webhook latency: a BigCommerce order created in the sandbox, its `store/order/created`
//! webhook delivered to `bcsync run --listen` over loopback, until the order is posted in
//! the ledger (the embedded ERP) — with the poll interval left at its 2-minute default, so
//! only the webhook can bring it in within seconds. Prints p50, p95 and max over N orders.
//!
//! One order every `BCSYNC_BENCH_WEBHOOK_PACE_MS` (default 2,000 ms: a busy store, 1,800
//! orders an hour, inside the Standard plan's 150 requests per 30 s with bcsync's own
//! requests), `BCSYNC_BENCH_WEBHOOK_ORDERS` orders (default 200). "Posted" is read from
//! bcsync's own `/metrics` (`bcsync_orders_posted_total`), polled every 10 ms, so measuring
//! costs the store no request. Run: `cargo bench --bench webhook_latency`.

#![allow(missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const DEMO_SETTINGS: &str = include_str!("../src/cli/demo_settings.toml");
const TOKEN: &str = "sandbox-access-token-0123456789abcdef";

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn posted(http: &reqwest::Client, url: &str) -> f64 {
    let Ok(r) = http.get(format!("{url}/metrics")).send().await else {
        return -1.0;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.split(['{', ' ']).next() == Some("bcsync_orders_posted_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::main]
async fn main() {
    let n = env_u64("BCSYNC_BENCH_WEBHOOK_ORDERS", 200);
    let pace = Duration::from_millis(env_u64("BCSYNC_BENCH_WEBHOOK_PACE_MS", 2000));
    let bin = env!("CARGO_BIN_EXE_bcsync");
    let dir = std::env::temp_dir().join(format!("bcsync-bench-webhook-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");

    let mut sb = Command::new(bin)
        .args([
            "sandbox",
            "bigcommerce",
            "--port",
            "0",
            "--orders",
            "3",
            "--seed",
            "4",
            "--json",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the sandbox");
    let mut line = String::new();
    BufReader::new(sb.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("sandbox line");
    let _sb = Kill(sb);
    let v: Value = serde_json::from_str(&line).expect("sandbox JSON");
    let base = v["base_url"].as_str().unwrap_or_default().to_string();
    let hash = v["credentials"]["store_hash"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let api = format!("{base}/stores/{hash}");
    let settings = DEMO_SETTINGS
        .replace(
            &format!("access_token = \"{TOKEN}\""),
            &format!("access_token = \"{TOKEN}\"\nbase_url = \"{base}\"\nwebhook_secret = \"bench-secret\""),
        )
        .replace(
            "[ledger]\nplatform = \"acctvantage\"",
            &format!(
                "[ledger]\nplatform = \"acctvantage\"\npath = \"{}\"\n\n[state]\nurl = \"sqlite://{}\"",
                dir.join("erp.sqlite").display(),
                dir.join("state.sqlite").display()
            ),
        );
    let cfg = dir.join("bcsync.toml");
    std::fs::write(&cfg, settings).expect("settings");
    let cfg = cfg.to_str().unwrap_or_default().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let url = format!("http://127.0.0.1:{port}");
    let run = Command::new(bin)
        .args([
            "run",
            "--config",
            &cfg,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start bcsync run");
    let _run = Kill(run);
    let http = reqwest::Client::new();
    let started = Instant::now();
    while posted(&http, &url).await < 0.0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "bcsync run --listen never answered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = Command::new(bin)
        .args([
            "webhooks",
            "install",
            "--config",
            &cfg,
            "--url",
            &format!("{url}/webhooks/bigcommerce"),
        ])
        .output()
        .expect("webhooks install");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The start-up run posts the seeded orders; wait for it.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // A product of the seeded orders, for the new ones.
    let get = |path: String| {
        let http = http.clone();
        async move {
            http.get(path)
                .header("X-Auth-Token", TOKEN)
                .header("Accept", "application/json")
                .send()
                .await
                .ok()?
                .json::<Value>()
                .await
                .ok()
        }
    };
    let first = get(format!("{api}/v2/orders?limit=1"))
        .await
        .expect("an order");
    let id = first[0]["id"].as_u64().unwrap_or_default();
    let products = get(format!("{api}/v2/orders/{id}/products"))
        .await
        .expect("products");
    let mut billing = first[0]["billing_address"].clone();
    if let Some(o) = billing.as_object_mut() {
        o.retain(|k, _| {
            [
                "first_name",
                "last_name",
                "street_1",
                "city",
                "state",
                "zip",
                "country",
                "country_iso2",
                "email",
            ]
            .contains(&k.as_str())
        });
    }
    let body = json!({
        "customer_id": 0, "status_id": 11, "billing_address": billing,
        "products": [{"product_id": products[0]["product_id"], "quantity": 1}],
        "payment_method": "Credit Card",
    });

    let mut latencies: Vec<Duration> = Vec::new();
    let mut missed = 0u64;
    for i in 0..n {
        let tick = Instant::now();
        let before = posted(&http, &url).await;
        let created = Instant::now();
        let resp = http
            .post(format!("{api}/v2/orders"))
            .header("X-Auth-Token", TOKEN)
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await;
        if !resp.map(|r| r.status().is_success()).unwrap_or(false) {
            missed += 1;
            continue;
        }
        loop {
            if posted(&http, &url).await > before {
                latencies.push(created.elapsed());
                break;
            }
            if created.elapsed() > Duration::from_secs(60) {
                missed += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if (i + 1) % 50 == 0 {
            eprintln!("webhook_latency: {} of {n} orders", i + 1);
        }
        if let Some(rest) = pace.checked_sub(tick.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }
    latencies.sort();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    println!(
        "webhook_latency: {} orders (one every {} ms), created → posted in the ledger: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms, not posted within 60 s: {missed} (poll interval 2 min)",
        latencies.len(),
        pace.as_millis(),
        pct(0.50),
        pct(0.95),
        pct(1.0)
    );
}
