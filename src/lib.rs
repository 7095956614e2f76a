//! # bcsync
//!
//! Keeps e-commerce storefronts and accounting/ERP ledgers in sync across the whole
//! order-to-cash cycle. This facade re-exports the workspace's crates:
//!
//! - [`core`]: the domain types, settings, the `Storefront` and `Ledger` traits, the posting plan.
//!
//! The command-line program `bcsync` runs it as a service.
#![forbid(unsafe_code)]

pub use bc_core as core;
