//! A sandbox tenant and a ledger wired to it in-process, shared by the test files.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bc_connector_acumatica::{AcumaticaClient, AcumaticaConfig, AcumaticaLedger};
use bc_core::settings::Secret;
use bc_core::testkit::ledger::LedgerFixture;
use bc_core::PostingTarget;
use bc_http::{RetryPolicy, RouterTransport};
use bc_sandbox_acumatica::{AcumaticaSandbox, AcumaticaSandboxConfig};

/// A sandbox tenant with its default configuration.
pub fn sandbox() -> AcumaticaSandbox {
    AcumaticaSandbox::new(AcumaticaSandboxConfig::default())
}

/// The connector's settings for the sandbox: tax zone, ship via and ERP-order rules
/// the tests use.
pub fn config(tag: &str) -> AcumaticaConfig {
    // A loopback host per test: each test has its own rate budget (budgets are per account).
    let host = tag
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 250
        + 2;
    let mut c = AcumaticaConfig::new(
        &format!("http://127.0.0.{host}"),
        "SandboxCompany",
        "api.user",
        Secret::new("sandbox-password-0000"),
    );
    c.requests_per_minute = 100_000;
    c.tax_zones.insert("NYSTATE".into(), "NY".into());
    c.ship_via_map
        .insert("UPSGROUND".into(), "UPS Ground".into());
    c.erp_orders.order_types = vec!["WO".into()];
    c.erp_orders.customer_classes = vec!["WEB".into()];
    c
}

/// A ledger over the sandbox's router, in-process, with fast retries.
pub fn ledger(sb: &AcumaticaSandbox, cfg: &AcumaticaConfig) -> AcumaticaLedger {
    let t = Arc::new(RouterTransport::new(sb.router()));
    let retry =
        RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5));
    AcumaticaLedger::new(
        AcumaticaClient::new(cfg, t, retry).expect("client"),
        cfg.clone(),
    )
}

/// The conformance suite's fixture for the sandbox's seeded setup records.
pub fn fixture() -> LedgerFixture {
    LedgerFixture {
        discount: PostingTarget::Account("49000".into()),
        shipping: PostingTarget::Item("SHIPPING".into()),
        gift_card: PostingTarget::Account("24000".into()),
        rounding: PostingTarget::Item("ROUNDING".into()),
        tax_code: Some("NYSTATE".into()),
        non_taxable_code: None,
        income_account: "40000".into(),
        expense_account: "50000".into(),
        receipt_type: "CARD".into(),
        deposit_account: "10200".into(),
        journal_accounts: ("10100".into(), "10200".into()),
        ..LedgerFixture::default()
    }
}
