//! Intuit's official OAuth client (`intuit-oauth`) and the `python-quickbooks` SDK, unchanged
//! except for the base URL, query, create and batch-create customers, items and invoices
//! against the sandbox on a loopback port. Skipped (with a notice) when they are not installed:
//! `pip install python-quickbooks intuit-oauth`. The only setting besides the base URL is
//! `OAUTHLIB_INSECURE_TRANSPORT=1`, because the sandbox serves plain http on loopback.

use std::process::Command;

use bc_sandbox_qbo::{EntityKind, QboConfig, QboSandbox};

fn python_clients_available() -> bool {
    Command::new("python3")
        .args(["-c", "import quickbooks, intuitlib"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_clients_work_unchanged() {
    if !python_clients_available() {
        eprintln!(
            "SKIPPED official_python_clients_work_unchanged: python3 with `python-quickbooks` and \
             `intuit-oauth` is not installed (pip install python-quickbooks intuit-oauth)"
        );
        return;
    }
    let sandbox = QboSandbox::new(QboConfig::default());
    // A new QBO company accepts a reused DocNumber; the script checks the 6140 answer, so the
    // company preference "warn if duplicate number is used" is switched on, as a merchant would.
    sandbox.set_duplicate_doc_number_check(true);
    let served = sandbox.serve(0).await.expect("serve on loopback");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/official/qbo_official.py"
    );
    let base = served.base_url.clone();
    let creds = sandbox.credentials_json().to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            // The sandbox serves plain http on loopback; requests-oauthlib refuses http unless
            // told this is intended (its documented switch for local testing).
            .env("OAUTHLIB_INSECURE_TRANSPORT", "1")
            .arg("-W")
            .arg("ignore")
            .arg(script)
            .arg(base)
            .arg(creds)
            .output()
    })
    .await
    .expect("join")
    .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "official client script failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap_or_default();
    assert_eq!(summary["ok"], true, "{stdout}");
    assert_eq!(summary["invoices_for_customer"], 3);
    let names: Vec<String> = sandbox
        .documents(EntityKind::Customer)
        .iter()
        .filter_map(|c| c["DisplayName"].as_str().map(str::to_string))
        .collect();
    for n in [
        "Official Client Customer",
        "Batch Customer 0",
        "Batch Customer 2",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    assert_eq!(sandbox.invoices().len(), 3);
    let stats = sandbox.stats().snapshot();
    assert!(
        stats
            .by_route
            .get("POST /v3/company/{realm_id}/batch")
            .copied()
            .unwrap_or(0)
            >= 3
    );
    served.shutdown().await.expect("shutdown");
}
