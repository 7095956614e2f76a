//! # bc-connector-qbo — QuickBooks Online as a bcsync ledger
//!
//! A complete [`bc_core::Ledger`] for the QuickBooks Online Accounting API v3
//! (`minorversion=75`), over `bc-http` (OAuth 2.0 token cache with rotation, retries, the
//! realm's budget of 500 requests per minute and 10 in flight).
//!
//! The crate, in the order an order travels:
//!
//! - [`config`]: [`QboConfig`], the settings file's `[ledger]` table, and [`QboOptions`], how
//!   the client reaches a company (realm, URLs, OAuth client, limits, the shared token store);
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
pub use config::{QboConfig, QboOptions};
pub use ledger::{Company, QboLedger};
pub use mapping::TaxStyle;

/// Connects to the company `config` names (what the registry calls).
///
/// `transport`: `None` uses the network (reqwest). `token_store`: where the token set is kept
/// and shared with every other process of the realm (bcsync passes its state store); a set
/// already stored wins over `config`'s `refresh_token`, which only seeds an empty store. With
/// neither a stored set nor a `refresh_token`, a `Config` error names
/// `ledger.refresh_token` and `bcsync connect qbo`.
pub async fn connect(
    config: &QboConfig,
    transport: Option<std::sync::Arc<dyn bc_http::HttpTransport>>,
    token_store: Option<std::sync::Arc<dyn bc_http::TokenStore>>,
) -> bc_core::Result<QboLedger> {
    let mut options = config.options()?;
    let seeded = config.refresh_token("ledger")?.is_some();
    let stored = match &token_store {
        Some(store) => store.load().await?.is_some(),
        None => false,
    };
    if !seeded && !stored {
        return Err(bc_core::Error::config(
            "ledger.refresh_token",
            "is empty and no token set is stored yet: run `bcsync connect qbo` (or give the refresh token of a connected app)",
        ));
    }
    if let Some(store) = token_store {
        options = options.with_token_store(store);
    }
    let transport = match transport {
        Some(t) => t,
        None => std::sync::Arc::new(bc_http::ReqwestTransport::new()?),
    };
    QboLedger::connect(options, transport).await
}
