//! # bc-connector-magento — the Magento 2 / Adobe Commerce storefront
//!
//! [`MagentoStorefront`] implements [`bc_core::Storefront`] over Magento's admin REST API
//! (`/rest/{store_code}/V1/…`) through `bc-http` (retries, the store's rate budget, Bearer
//! tokens kept secret):
//!
//! - [`config`] — [`MagentoConfig`] (unknown keys refused, errors naming the key);
//! - [`client`] — admin-token auth, `searchCriteria`, the HTTP client;
//! - [`wire`] — Magento's JSON, typed; [`error`] — its error bodies;
//! - [`mapping`] — payloads ⇄ bc-core types, one file per document kind;
//! - [`storefront`] — the trait impl: orders (keyset listing, statuses), fulfilment
//!   (shipments, credit memos, ERP orders), inventory (async bulk).
//!
//! Magento has no payouts API: [`bc_core::Storefront::payouts`] answers
//! [`bc_core::ErrorKind::Unsupported`] and the capabilities say `payouts: false`; it pushes no
//! webhooks to bcsync either (`webhooks: false`).
//!
//! ```no_run
//! # async fn demo() -> bc_core::Result<()> {
//! use bc_connector_magento::{connect, MagentoConfig};
//! use bc_core::{OrderQuery, StatusId, Storefront};
//! use secrecy::SecretString;
//!
//! let config = MagentoConfig::with_admin("https://shop.example.com", "bcsync", SecretString::from("…"));
//! let store = connect(&config, None).await?;
//! let page = store.orders(&OrderQuery { statuses: vec![StatusId::new("processing")], ..Default::default() }).await?;
//! # let _ = page; Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod client;
pub mod config;
pub mod error;
pub mod mapping;
pub mod storefront;
pub mod wire;

use std::sync::Arc;

pub use config::{MagentoConfig, StatusEntry};
pub use storefront::{InventoryReport, MagentoStorefront, SkuFailure};

/// The platform name in errors, traces and capabilities.
pub const PLATFORM: &str = "magento";

/// Connects to a store: over the network, or through `transport` (the sandbox in-process).
pub async fn connect(
    config: &MagentoConfig,
    transport: Option<Arc<dyn bc_http::HttpTransport>>,
) -> bc_core::Result<MagentoStorefront> {
    match transport {
        Some(t) => MagentoStorefront::with_transport(config.clone(), t),
        None => MagentoStorefront::new(config.clone()),
    }
}
