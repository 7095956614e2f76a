//! The shared kit every platform sandbox is built from (ARCHITECTURE.md §6).
//!
//! A platform sandbox (BigCommerce, QuickBooks Online, …) is an axum [`axum::Router`] speaking the
//! platform's wire format. This crate gives it the parts that are the same everywhere:
//!
//! - [`rng`]: independent deterministic random streams, one per purpose, from one seed;
//! - [`faults`]: a seeded fault plan applied by a middleware (error statuses, connection resets,
//!   "commit then fail", hangs, latency); same seed and request sequence give the same faults;
//! - [`stats`]: request counts per route template, per status, rate-limit rejections and faults;
//! - [`introspect`]: the `/__sandbox/*` routes that read the counts and change the fault plan;
//! - [`serve`]: serve a router on a loopback port, with shutdown on drop.
//!
//! Layer order a platform should use (outermost first):
//! `stats::layer` → `faults::layer` → the platform's own rate limiter and auth → handlers, so
//! that injected faults are counted and an injected error does not consume the platform's quota.

pub mod faults;
pub mod introspect;
pub mod rng;
pub mod serve;
pub mod stats;

/// True for the sandbox's own introspection paths (`/__sandbox` and below, at any nesting), which
/// faults, rate limits and statistics never touch.
pub fn is_sandbox_path(path: &str) -> bool {
    path.starts_with("/__sandbox") || path.contains("/__sandbox/")
}
