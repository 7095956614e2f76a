//! # bc-connector-bigcommerce — the BigCommerce storefront
//!
//! [`BigCommerce`] implements [`bc_core::Storefront`] over BigCommerce's REST API (v2 orders,
//! v3 transactions, refunds, customers, inventory and webhooks), through `bc-http` (retries,
//! the store's shared rate budget, `X-Auth-Token` kept secret).
//!
//! - [`config`] — [`BigCommerceConfig`];
//! - [`connector`] — the [`BigCommerce`] storefront and its request plan per order;
//! - [`parse`] — payloads → bc-core types (strict about money and ids — an id is a positive
//!   integer, as BigCommerce documents it —, tolerant of documented oddities, errors naming
//!   the order and the field);
//! - [`webhooks`] — registering hooks, verifying deliveries, `store/order/*` events,
//!   de-duplication by event hash.
//!
//! ```no_run
//! # async fn demo() -> bc_core::Result<()> {
//! use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
//! use bc_core::{OrderQuery, StatusId, Storefront};
//! use secrecy::SecretString;
//!
//! let store = BigCommerce::new(BigCommerceConfig::new(
//!     "abc123",
//!     SecretString::from("access-token"),
//! ))?;
//! let page = store
//!     .orders(&OrderQuery { statuses: vec![StatusId::new("11")], ..Default::default() })
//!     .await?;
//! for order in &page.items {
//!     assert!(order.check_totals().is_ok());
//! }
//! # Ok(()) }
//! ```
//!
//! BigCommerce has no payouts API: [`bc_core::Storefront::payouts`] returns
//! [`bc_core::ErrorKind::Unsupported`] and the capabilities say `payouts: false`.
#![forbid(unsafe_code)]

pub mod config;
pub mod connector;
mod fields;
pub mod parse;
pub mod webhooks;

pub use config::BigCommerceConfig;
pub use connector::{BigCommerce, INVENTORY_BATCH, MAX_PAGE, PLATFORM};
pub use parse::{parse_order, parse_order_json, BcCustomer, OrderParts};
pub use webhooks::{OrderEvent, OrderEventKind, WebhookDeduper, WebhookVerifier};

/// Connects to the store `config` names (what the registry calls): over `transport` when
/// given (an in-process sandbox), else over the network (reqwest).
pub async fn connect(
    config: &BigCommerceConfig,
    transport: Option<std::sync::Arc<dyn bc_http::HttpTransport>>,
) -> bc_core::Result<BigCommerce> {
    match transport {
        Some(t) => BigCommerce::with_transport(config.clone(), t),
        None => BigCommerce::new(config.clone()),
    }
}
