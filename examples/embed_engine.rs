//! Embedding the engine: the BigCommerce sandbox (in-process) → the embedded ERP.
use std::sync::Arc;

use bc_sandbox_bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
use bcsync::engine::{Engine, Job, MemoryStateStore};
use bcsync::{core::Settings, http::RouterTransport, ConnectContext, Registry};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Seeds 20 orders, connects both sides through the registry, imports the orders.
pub async fn run(erp_file: &std::path::Path) -> Res<usize> {
    let sandbox = BigCommerceSandbox::new(BigCommerceConfig::default());
    sandbox.seed_orders(20, 7);
    let ledger = format!(
        "[ledger]\nplatform = \"acctvantage\"\npath = {:?}",
        erp_file
    );
    let text = include_str!("../src/cli/demo_settings.toml");
    let settings =
        Settings::from_toml_str(&text.replace("[ledger]\nplatform = \"acctvantage\"", &ledger))?;
    let router = Arc::new(RouterTransport::new(sandbox.router()));
    let ctx = ConnectContext::new().with_transport(router);
    let (shop, books) =
        bcsync::connect_platforms(&Registry::with_builtins(), &settings, ctx).await?;
    let engine = Engine::new(shop, books, Arc::new(MemoryStateStore::new()), settings);
    let report = engine.run(Job::Orders).await?;
    println!("seen {}, imported {}", report.seen, report.done);
    Ok(report.done)
}

#[tokio::main]
#[cfg_attr(test, allow(dead_code))]
async fn main() -> Res<()> {
    run(&std::env::temp_dir().join(format!("bcsync-embed-{}.sqlite", std::process::id())))
        .await
        .map(drop)
}

#[tokio::test]
async fn the_embedded_engine_imports_the_sandbox_orders() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(&dir.path().join("erp.sqlite")).await.expect("runs") > 0);
}
