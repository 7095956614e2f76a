//! BigCommerce's official Python client (PyPI `bigcommerce`) against the sandbox on loopback:
//! list and read orders, update a status, create a shipment. Skipped (with a notice) when
//! `python3 -c "import bigcommerce"` fails; CI installs it (`pip install bigcommerce==0.23.4`).

use bc_sandbox_bigcommerce::{BigCommerceConfig, BigCommerceSandbox};

fn client_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import bigcommerce"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_lists_reads_updates_and_ships() {
    if !client_available() {
        eprintln!("SKIP official_python_client: python3 with the `bigcommerce` package is not installed (pip install bigcommerce==0.23.4)");
        return;
    }
    let (sb, served) = BigCommerceSandbox::serve_seeded(BigCommerceConfig::default(), 0, 11, 120)
        .await
        .expect("serve");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/official/bc_client_check.py"
    );
    let creds = sb.credentials_json();
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .env("BC_API_ENDPOINT", served.addr.to_string())
        .env(
            "BC_STORE_HASH",
            creds["store_hash"].as_str().unwrap_or_default(),
        )
        .env(
            "BC_ACCESS_TOKEN",
            creds["access_token"].as_str().unwrap_or_default(),
        )
        .output()
        .await
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "official client failed:\nstdout: {stdout}\nstderr: {stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("")).expect("summary JSON");
    println!("official client: {summary}");
    let order = summary["read"].as_u64().expect("order id");
    assert!(matches!(sb.order_status(order), Some(2 | 3)));
    assert_eq!(sb.shipments(order).len(), 1);
    let stats = sb.stats();
    assert!(stats
        .by_route
        .get("PUT /stores/{store_hash}/v2/orders/{order_id}")
        .is_some_and(|n| *n >= 1));
    assert!(stats
        .by_route
        .get("POST /stores/{store_hash}/v2/orders/{order_id}/shipments")
        .is_some_and(|n| *n >= 1));
    served.shutdown().await.expect("shutdown");
}
