//! # bc-connector-qbo — QuickBooks Online as a bcsync ledger
//!
//! A complete [`bc_core::Ledger`] for the QuickBooks Online Accounting API v3
//! (`minorversion=75`), over `bc-http` (OAuth 2.0 token cache with rotation, retries, the
//! realm's budget of 500 requests per minute and 10 in flight).
//!
//! - [`QboLedger`] ([`ledger`]): clients (a stable display-name variant on 6240), items,
//!   invoices and sales receipts, payments linked to their invoice, credit memos (applied to
//!   the open invoice) and refund receipts, journals, payouts as bank deposits
//!   ([`QboLedger::post_deposit`]), shipments, availability, invoice statuses; `/batch` (30 per
//!   request) for posting and finding documents, creating items and recording receipts;
//! - [`QboOptions`] ([`config`]): how to reach a company;
//! - [`mapping`]: bcsync documents → QBO entities, pure (tax the US and the non-US way, unit
//!   prices that make `Amount = UnitPrice × Qty`, gift cards to a liability);
//! - [`wire`]: the QBO JSON shapes, named after Intuit's XSD elements;
//! - [`fault`]: QBO `Fault` codes → [`bc_core::Error`] (6140, 6240, 5010, 610, 2020, 2050,
//!   6000-range, 3200, 3001 throttling);
//! - [`request_id`]: deterministic `requestid`s (UUIDv5) for exactly-once writes;
//! - [`query`]: query text with escaped literals;
//! - [`api`]: the REST calls.
//!
//! Exactly-once: every write carries a `requestid` derived from the realm, the import id,
//! the operation and a digest of the body; every document carries `[bcsync:<import id>]` at
//! the start of its `PrivateNote` (and its `DocNumber` when the number is fixed), which is
//! what [`bc_core::Ledger::find_document`] searches (`PrivateNote LIKE`, or a scan of the
//! documents created in the last [`ledger::SCAN_DAYS`] days when QBO refuses that search), so
//! an earlier write is found even after Intuit has forgotten the `requestid`.
//!
//! Not supported (and declared so in [`bc_core::LedgerCapabilities`]): sales orders,
//! setting a document status, ledger-originated orders.
#![forbid(unsafe_code)]

pub mod api;
pub mod config;
pub mod fault;
pub mod ledger;
pub mod mapping;
pub mod query;
pub mod request_id;
pub mod wire;

pub use api::QboApi;
pub use config::QboOptions;
pub use ledger::{Company, QboLedger};
pub use mapping::TaxStyle;
