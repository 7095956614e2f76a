//! A sandbox store and a connector wired to it in-process.
#![allow(dead_code)]

use std::sync::Arc;

use bc_connector_magento::{MagentoConfig, MagentoStorefront};
use bc_http::{RateLimits, RetryPolicy, RouterTransport};
use bc_sandbox_magento::{Clock, MagentoConfig as SandboxConfig, MagentoSandbox};
use chrono::{TimeZone, Utc};
use secrecy::SecretString;

/// A seeded sandbox whose clock starts after every generated order (so changes move orders
/// forward in `updated_at`, as on a real store).
pub fn sandbox(orders: u64, seed: u64) -> MagentoSandbox {
    let cfg = SandboxConfig {
        clock: Clock::Fixed(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().unwrap()),
        ..SandboxConfig::default()
    };
    let sb = MagentoSandbox::new(cfg);
    sb.seed_orders(orders, seed);
    sb
}

/// The connector's settings for the sandbox (admin user), fast polls, no rate limit.
pub fn config(sb: &MagentoSandbox) -> MagentoConfig {
    let mut c = MagentoConfig::with_admin(
        "http://magento.sandbox",
        sb.config().admin_username.clone(),
        sb.config().admin_password.clone(),
    );
    c.statuses = sb
        .config()
        .statuses
        .iter()
        .map(|s| bc_connector_magento::StatusEntry {
            status: s.status.clone(),
            label: s.label.clone(),
            state: s.state.clone(),
        })
        .collect();
    c.limits = RateLimits::unlimited();
    c.retry = RetryPolicy::default().with_backoff(
        std::time::Duration::from_millis(1),
        std::time::Duration::from_millis(5),
    );
    c.bulk_poll_interval_ms = 5;
    c
}

/// A connector over the sandbox's router.
pub fn storefront(sb: &MagentoSandbox) -> MagentoStorefront {
    MagentoStorefront::with_transport(config(sb), Arc::new(RouterTransport::new(sb.router())))
        .expect("connector")
}

/// A connector using the integration token as a Bearer token.
pub fn token_storefront(sb: &MagentoSandbox) -> MagentoStorefront {
    let mut c = config(sb);
    c.admin_username = None;
    c.admin_password = None;
    c.access_token = Some(SecretString::from(
        sb.credentials_json()["integration_access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ));
    MagentoStorefront::with_transport(c, Arc::new(RouterTransport::new(sb.router())))
        .expect("connector")
}
