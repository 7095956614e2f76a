//! An integrator's own ledger (examples/custom_ledger.rs) configured from a TOML settings file
//! through the registry, and synced by the engine from the BigCommerce sandbox.

#[path = "../examples/custom_ledger.rs"]
#[allow(dead_code)]
mod custom_ledger;

use std::sync::Arc;

use bc_sandbox_bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
use bcsync::core::Settings;
use bcsync::engine::{Engine, Job, MemoryStateStore};
use bcsync::http::RouterTransport;
use bcsync::{ConnectContext, Registry};

const DEMO: &str = include_str!("../src/cli/demo_settings.toml");

fn settings_file(dir: &std::path::Path, ledger: &str) -> std::path::PathBuf {
    let text = DEMO.replace("[ledger]\nplatform = \"acctvantage\"", ledger);
    assert_ne!(text, DEMO, "the demo settings name the embedded ERP");
    let path = dir.join("bcsync.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn a_custom_ledger_is_configured_from_toml_and_synced_by_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let path = settings_file(
        dir.path(),
        "[ledger]\nplatform = \"csv\"\ndir = \"books\"\ncurrencies = [\"EUR\", \"JPY\", \"CAD\", \"GBP\"]",
    );
    let settings = Settings::from_toml_str(&std::fs::read_to_string(&path).unwrap()).unwrap();

    let mut registry = Registry::with_builtins();
    custom_ledger::register(&mut registry);
    registry
        .check(&settings)
        .expect("both platforms are registered");

    let sandbox = BigCommerceSandbox::new(BigCommerceConfig::default());
    sandbox.seed_orders(12, 5);
    let ctx = ConnectContext::new()
        .with_transport(Arc::new(RouterTransport::new(sandbox.router())))
        .with_base_dir(dir.path());
    let (sf, ledger) = bcsync::connect_platforms(&registry, &settings, ctx)
        .await
        .expect("connects through the registry");
    assert_eq!(ledger.capabilities().platform, "csv");
    let engine = Engine::new(sf, ledger, Arc::new(MemoryStateStore::new()), settings);
    let report = engine.run(Job::Orders).await.expect("orders job");
    assert!(report.done > 0, "{report:?}");
    assert!(report.failed.is_empty(), "{:?}", report.failed);

    // The documents are in the CSV files, under the settings file's folder, once each.
    let docs = std::fs::read_to_string(dir.path().join("books/documents.csv")).unwrap();
    assert_eq!(docs.lines().count(), report.done, "{docs}");
    // A second run imports nothing again.
    let again = engine.run(Job::Orders).await.unwrap();
    assert_eq!(again.done, 0, "{again:?}");
    let docs2 = std::fs::read_to_string(dir.path().join("books/documents.csv")).unwrap();
    assert_eq!(docs, docs2);
}

#[tokio::test]
async fn a_bad_custom_ledger_key_names_the_full_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = settings_file(dir.path(), "[ledger]\nplatform = \"csv\"\ndri = \"books\"");
    let settings = Settings::from_toml_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut registry = Registry::with_builtins();
    custom_ledger::register(&mut registry);
    let e = registry
        .ledger(&settings.ledger, ConnectContext::new())
        .await
        .err()
        .expect("unknown key refused")
        .to_string();
    assert!(e.contains("ledger.dri"), "{e}");
}

#[tokio::test]
async fn an_unregistered_platform_names_the_key_and_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = settings_file(dir.path(), "[ledger]\nplatform = \"csv\"\ndir = \"books\"");
    let settings = Settings::from_toml_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let e = Registry::with_builtins()
        .check(&settings)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ledger.platform") && e.contains("csv") && e.contains("qbo"),
        "{e}"
    );
}

#[tokio::test]
async fn every_built_in_platform_is_registered() {
    let r = Registry::with_builtins();
    assert_eq!(r.storefront_platforms(), ["bigcommerce", "magento"]);
    assert_eq!(
        r.ledger_platforms(),
        ["acctvantage", "acumatica", "bc365", "qbo"]
    );
}
