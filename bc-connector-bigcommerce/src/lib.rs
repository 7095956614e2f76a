//! # bc-connector-bigcommerce — the BigCommerce storefront
//!
//! [`BigCommerce`] implements [`bc_core::Storefront`] over BigCommerce's REST API (v2 orders,
//! v3 transactions, refunds, customers, inventory and webhooks), through `bc-http` (retries,
//! the store's shared rate budget, `X-Auth-Token` kept secret). The crate has the rooms of
//! every bcsync connector:
//!
//! - [`config`] — [`BigCommerceConfig`] (unknown keys refused, errors naming the key);
//! - [`client`] — the HTTP client, v2 lists and pages, v3 envelopes, the order-list request;
//! - [`wire`] — BigCommerce's JSON, typed: [`OrderParts`], [`v3_page`], and the
//!   field-by-field reader every mapping goes through; [`error`] — its error bodies, field
//!   errors, per-item failures;
//! - [`mapping`] — payloads ⇄ bc-core types, one file per document kind (strict about money
//!   and ids — an id is a positive integer, as BigCommerce documents it —, tolerant of
//!   documented oddities, errors naming the order and the field);
//! - [`storefront`] — the trait impl: orders (keyset listing, one order, statuses, refunds),
//!   fulfilment (shipments, ERP-originated orders), inventory, customers and webhook
//!   registration;
//!
//! Receiving webhook deliveries (verification, events, de-duplication) is `bc-server`'s
//! work (`bcsync run --listen`); this crate registers, lists and removes the hooks.
//!
//! Tests: `conformance.rs` (the Storefront conformance suite against the sandbox),
//! `wire_fixtures.rs` (the documented example payloads of `tests/fixtures/` parsed, malformed
//! variants, arbitrary JSON), `sandbox.rs` (every method against `bc-sandbox-bigcommerce`,
//! in-process and over loopback).
//!
//! The modules `connector` and `parse` keep the paths of before this layout
//! (`bc_connector_bigcommerce::parse::parse_order`…) working: they re-export [`storefront`]'s
//! and [`mapping`]'s items.
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

pub mod client;
pub mod config;
pub mod error;
pub mod mapping;
pub mod storefront;
pub mod wire;

pub use config::BigCommerceConfig;
pub use mapping::{parse_order, parse_order_json, BcCustomer};
pub use storefront::customers::Webhook;
pub use storefront::BigCommerce;
pub use wire::{v3_page, OrderParts};

/// The platform name in errors, traces and capabilities.
pub const PLATFORM: &str = "bigcommerce";
/// Largest page of v2 orders and v3 lists.
pub const MAX_PAGE: u32 = 250;
/// Largest absolute inventory adjustment.
pub const INVENTORY_BATCH: usize = 2000;

/// The storefront under its name of before the layout: [`BigCommerce`] and the platform's
/// limits.
pub mod connector {
    pub use crate::storefront::BigCommerce;
    pub use crate::{INVENTORY_BATCH, MAX_PAGE, PLATFORM};
}

/// The parsers under their name of before the layout: [`mapping`]'s functions and
/// [`wire`]'s bundles.
pub mod parse {
    pub use crate::mapping::{
        consignment_parts, order_needs, parse_customer, parse_order, parse_order_json,
        parse_refund, parse_shipment_ref, parse_statuses, BcCustomer, OrderNeeds,
    };
    pub use crate::wire::{v3_page, Consignments, OrderParts};
}

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
