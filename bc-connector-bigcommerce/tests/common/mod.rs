//! A sandbox store and a connector wired to it in-process, shared by the test files.
#![allow(dead_code)]

use std::sync::Arc;

use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
use bc_core::{Order, OrderQuery, Storefront};
use bc_http::{RateLimits, RetryPolicy, RouterTransport};
use bc_sandbox_bigcommerce::{BigCommerceConfig as SandboxConfig, BigCommerceSandbox};
use secrecy::SecretString;

/// A seeded sandbox store with no request quota.
pub fn sandbox(orders: u64, seed: u64) -> BigCommerceSandbox {
    sandbox_with(
        orders,
        seed,
        SandboxConfig {
            quota: 0,
            ..SandboxConfig::default()
        },
    )
}

/// A seeded sandbox store with `config`, under a store hash of its own.
pub fn sandbox_with(orders: u64, seed: u64, config: SandboxConfig) -> BigCommerceSandbox {
    // A store hash per sandbox keeps the process-wide rate budgets of parallel tests apart.
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let sb = BigCommerceSandbox::new(SandboxConfig {
        store_hash: format!("sbx{n}t{seed}"),
        ..config
    });
    sb.seed_orders(orders, seed);
    sb
}

/// The connector's settings for the sandbox at `api_base`: no rate limit, fast retries.
pub fn config(sb: &BigCommerceSandbox, api_base: &str, tag: &str) -> BigCommerceConfig {
    let token = sb.credentials_json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = tag;
    BigCommerceConfig::new(sb.store_hash(), SecretString::from(token))
        .with_api_base(api_base)
        .with_limits(RateLimits::unlimited())
        .with_retry(
            RetryPolicy::default()
                .with_seed(1)
                .with_max_attempts(8)
                .with_backoff(
                    std::time::Duration::from_millis(1),
                    std::time::Duration::from_millis(20),
                ),
        )
}

/// A connector over the sandbox's router, in-process.
pub fn connect(sb: &BigCommerceSandbox, tag: &str) -> BigCommerce {
    BigCommerce::with_transport(
        config(sb, "http://sandbox.invalid", tag),
        Arc::new(RouterTransport::new(sb.router())),
    )
    .unwrap()
}

/// Every page of `q`.
pub async fn all_orders(bc: &BigCommerce, mut q: OrderQuery) -> Vec<Order> {
    let mut out = Vec::new();
    loop {
        let page = bc.orders(&q).await.unwrap();
        out.extend(page.items);
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}
