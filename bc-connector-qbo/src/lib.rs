//! # bc-connector-qbo — QuickBooks Online as a bcsync ledger
//!
//! A complete [`bc_core::Ledger`] for the QuickBooks Online Accounting API v3
//! (`minorversion=75`), over `bc-http` (OAuth 2.0 token cache with rotation, retries, the
//! realm's budget of 500 requests per minute and 10 in flight).
//!
//! The crate, in the order an order travels:
//!
//! - [`config`]: [`QboOptions`], how to reach a company (realm, URLs, OAuth client, limits,
//!   the shared token store);
//! - [`oauth`]: the authorization-code flow of `bcsync connect qbo` (authorize URL, code
//!   exchange) on the `oauth2` crate;
//! - [`client`]: [`QboApi`], the REST calls over `bc-http` (retries, the realm's sliding
//!   500-per-minute budget and `/batch`'s 40 per minute, the OAuth token cache);
//! - [`ledger`]: [`QboLedger`], the thin [`bc_core::Ledger`] over the client, one file per
//!   concern (clients, items, references, documents, receipts, credits, journals, searches,
//!   feeds);
//! - [`mapping`]: bcsync documents → QBO entities, pure, one file per document kind;
//! - [`wire`]: the QBO JSON shapes, named after Intuit's XSD elements;
//! - [`error`]: QBO `Fault` codes → [`bc_core::Error`] (6140, 6240, 5010, 610, 2020, 2050,
//!   4000/4001 queries, 6000-range, 3200, 3001 throttling);
//! - [`request_id`]: deterministic `requestid`s (UUIDv5) for exactly-once writes;
//! - [`query`]: query text with escaped literals.
//!
//! Exactly once: every write carries a `requestid` derived from the realm, the key, the
//! operation and a digest of the body, and every document carries `[bcsync:<key>]` at the
//! start of its `PrivateNote` (customers: `Notes`). QBO cannot filter on those notes, so every
//! search narrows with fields QBO does filter on — the `DocNumber` bcsync set, else the
//! customer and the date — and then checks the marker on each candidate ([`ledger::search`]);
//! no time window can hide a document. Writes are searched first and go 30 per `/batch`.
//!
//! Not supported (and declared so in [`bc_core::LedgerCapabilities`]): sales orders,
//! setting a document status, ledger-originated orders.
#![forbid(unsafe_code)]

pub mod client;
pub mod config;
pub mod error;
pub mod ledger;
pub mod mapping;
pub mod oauth;
pub mod query;
pub mod request_id;
pub mod wire;

/// The REST client under its former name ([`client`]).
pub use client as api;
/// QBO faults under their former module name ([`error`]).
pub use error as fault;

/// The platform name (`"qbo"`).
pub const PLATFORM: &str = error::PLATFORM;

pub use client::QboApi;
pub use config::QboOptions;
pub use ledger::{Company, QboLedger};
pub use mapping::TaxStyle;

/// Connects to the company `options` names over `transport` (what the registry calls):
/// [`QboLedger::connect`].
pub async fn connect(
    options: QboOptions,
    transport: std::sync::Arc<dyn bc_http::HttpTransport>,
) -> bc_core::Result<QboLedger> {
    QboLedger::connect(options, transport).await
}
