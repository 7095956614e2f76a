//! # bc-connector-acumatica — Acumatica as a bcsync ledger
//!
//! A [`bc_core::Ledger`] for Acumatica's contract-based REST API (Default endpoint
//! 24.200.001), over `bc-http` (retries, the license's request budget and in-flight cap).
//!
//! - [`AcumaticaConfig`] ([`config`]): the tenant, sign-in, limits and posting settings;
//! - [`client`]: the REST calls — one session (cookie, signed out by
//!   [`AcumaticaLedger::logout`], or OAuth), action polling with a deadline;
//! - [`wire`]: Acumatica's JSON — `{"value": …}` fields read and written exactly, `$filter`
//!   literals, document references;
//! - [`error`]: 422 field errors and `HttpError` bodies → [`bc_core::Error`];
//! - [`mapping`]: bcsync documents → Acumatica records, one file per document kind (sales,
//!   credit, client, item, receipt, journal), and the ERP-order rules; pure;
//! - [`ledger`]: [`AcumaticaLedger`], the trait impl, forwarding to one file per concern
//!   (parties, documents, money, feeds).
//!
//! Tests: `conformance.rs` (the Ledger conformance suite against `bc-sandbox-acumatica`),
//! `wire_fixtures.rs` (every body the connector sends checked field by field against the
//! published contract of Default 24.200.001, and example records read), `sandbox.rs` (sessions,
//! action polling, field errors, ERP orders, exactly-once after a failure on each write kind,
//! requests per order).
//!
//! Documents: invoices (`SalesInvoice` of type Invoice) and sales orders; payments applied to
//! the invoice (released first: Acumatica applies payments to released documents) or the order;
//! refunds as credit memos (`SalesInvoice` of type Credit Memo) linked to the invoice; payouts
//! as GL journal transactions. Not supported: sales receipts (a payment is its own document in
//! Acumatica) and setting a document status (statuses follow Acumatica's own workflow).
#![forbid(unsafe_code)]

pub mod client;
pub mod config;
pub mod error;
pub mod ledger;
pub mod mapping;
pub mod wire;

use std::sync::Arc;

pub use client::AcumaticaClient;
pub use config::{AcumaticaConfig, AuthMode, ErpOrderRules};
pub use ledger::AcumaticaLedger;

/// The platform name.
pub const PLATFORM: &str = "acumatica";

/// Connects to a tenant over `transport` (a `ReqwestTransport`, or a `RouterTransport` on the
/// sandbox). Nothing is sent until the first call, which signs in.
pub async fn connect(
    config: &AcumaticaConfig,
    transport: Arc<dyn bc_http::HttpTransport>,
) -> bc_core::Result<AcumaticaLedger> {
    let client = AcumaticaClient::new(config, transport, bc_http::RetryPolicy::default())?;
    Ok(AcumaticaLedger::new(client, config.clone()))
}
