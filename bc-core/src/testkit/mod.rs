//! Test kit for connectors and the engine (feature `testkit`).
//!
//! - [`orders`]: proptest strategies that generate internally consistent storefront orders
//!   (every amount identity of [`crate::order`] holds), and a settings document that maps
//!   everything they contain;
//! - [`ledger`]: the Ledger conformance suite: plain async functions every [`crate::Ledger`]
//!   must pass, the way `object_store`'s `integration` module works. A connector's tests call
//!   [`ledger::run_all`] against its sandbox;
//! - [`storefront`]: the Storefront conformance suite.
//!
//! The suites adapt to [`crate::LedgerCapabilities`] / [`crate::StorefrontCapabilities`]: a
//! capability a connector does not declare is checked to return
//! [`crate::ErrorKind::Unsupported`] instead of being exercised.

pub mod ledger;
pub mod orders;
pub mod storefront;

/// A unique-enough suffix for names created by a suite run, so that runs against a
/// long-lived sandbox do not collide.
pub fn run_tag() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{:x}{:x}",
        nanos % 0xfffff,
        N.fetch_add(1, Ordering::Relaxed)
    )
}
