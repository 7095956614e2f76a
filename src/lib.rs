//! # bcsync
//!
//! Keeps e-commerce storefronts and accounting/ERP ledgers in sync across the whole
//! order-to-cash cycle. This facade re-exports the workspace's crates, each connector behind
//! its cargo feature, so that an embedding program compiles only what it uses:
//!
//! | re-export | crate | feature |
//! |---|---|---|
//! | [`core`] | domain types, settings, the `Storefront` and `Ledger` traits, the posting plan | always |
//! | [`engine`] | the sync engine, jobs, scheduler, state-store trait | always |
//! | [`http`] | the HTTP layer every REST connector uses (retries, rate budgets, OAuth) | always |
//! | `state` | the SQLite/Postgres state store | `sqlite` |
//! | `bigcommerce`, `magento` | storefront connectors | `bigcommerce`, `magento` |
//! | `qbo`, `bc365`, `acumatica`, `acctvantage` | ledger connectors | same names |
//!
//! The command-line program `bcsync` (and its demo and sandboxes) is behind the `cli`
//! feature, on by default; `default-features = false` compiles no clap (see the crate's
//! `Cargo.toml` for what is left to gate).
//!
//! [`registry`] maps the settings file's `platform` names to connectors; the guides
//! [`guide::writing_a_connector`] and [`guide::embedding`] show how to add your own and how to
//! run the engine inside your program.
#![forbid(unsafe_code)]

pub use bc_core as core;
pub use bc_engine as engine;
pub use bc_http as http;

#[cfg(feature = "sqlite")]
pub use bc_state as state;

#[cfg(feature = "acctvantage")]
pub use bc_connector_acctvantage as acctvantage;
#[cfg(feature = "acumatica")]
pub use bc_connector_acumatica as acumatica;
#[cfg(feature = "bc365")]
pub use bc_connector_bc365 as bc365;
#[cfg(feature = "bigcommerce")]
pub use bc_connector_bigcommerce as bigcommerce;
#[cfg(feature = "magento")]
pub use bc_connector_magento as magento;
#[cfg(feature = "qbo")]
pub use bc_connector_qbo as qbo;

pub mod builtins;
pub mod guide;
pub mod registry;
pub mod tokens;

pub use registry::{ConnectContext, Registry};

use std::sync::Arc;

use bc_core::{Ledger, Settings, Storefront};

/// Builds both platforms `settings` name through `registry`.
pub async fn connect_platforms(
    registry: &Registry,
    settings: &Settings,
    ctx: ConnectContext,
) -> bc_core::Result<(Arc<dyn Storefront>, Arc<dyn Ledger>)> {
    let ctx = if ctx.settings.is_none() {
        ctx.with_settings(settings.clone())
    } else {
        ctx
    };
    let sf = registry
        .storefront(&settings.storefront, ctx.clone())
        .await?;
    let lg = registry.ledger(&settings.ledger, ctx).await?;
    Ok((sf, lg))
}
