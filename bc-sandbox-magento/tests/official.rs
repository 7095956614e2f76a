//! A maintained Magento 2 client, PyMagento (PyPI `pymagento`, Bixoto), unchanged against the
//! sandbox served on loopback: orders by status and by OR/AND filter groups, one order, a
//! shipment with tracking, hold/unhold, source items, credit memos, customers, products.
//! Skipped with a notice when `python3 -c "import magento"` fails; CI installs it
//! (`python3 -m pip install pymagento==2.14.0`).

use bc_sandbox_magento::{MagentoConfig, MagentoSandbox};

fn client_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "from magento import Magento"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pymagento_lists_reads_ships_and_sets_stock() {
    if !client_available() {
        eprintln!("SKIPPED pymagento_lists_reads_ships_and_sets_stock: python3 with the `pymagento` package is not installed (python3 -m pip install pymagento==2.14.0)");
        return;
    }
    // PyMagento authenticates with an integration token as a Bearer token: the store has the
    // admin setting "Allow OAuth Access Tokens to be used as standalone Bearer tokens" on.
    let config = MagentoConfig {
        bearer_tokens_allowed: true,
        ..MagentoConfig::default()
    };
    let (sb, served) = MagentoSandbox::serve_seeded(config, 0, 21, 150)
        .await
        .expect("serve");
    let creds = sb.credentials_json();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/official/pymagento_check.py"
    );
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .env("PYMAGENTO_BASE_URL", &served.base_url)
        .env(
            "PYMAGENTO_TOKEN",
            creds["integration_access_token"]
                .as_str()
                .unwrap_or_default(),
        )
        .output()
        .await
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pymagento failed:\nstdout: {stdout}\nstderr: {stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("")).expect("summary JSON");
    println!("pymagento: {summary}");
    let order = summary["shipped_order"].as_u64().expect("order id");
    assert_eq!(sb.shipments(order).len(), 1);
    assert_eq!(summary["orders"], 150);
    if !summary["canceled_ship_refused"].is_null() {
        assert!(summary["canceled_ship_refused"]
            .as_str()
            .unwrap_or("")
            .contains("does not allow a shipment"));
    }
    let stats = sb.stats();
    assert!(stats
        .by_route
        .keys()
        .any(|k| k.starts_with("POST") && k.ends_with("/V1/order/{orderId}/ship")));
    served.shutdown().await.expect("shutdown");
}
