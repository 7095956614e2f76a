//! A stateful fake QuickBooks Online Accounting API v3 server speaking the real wire format,
//! for the QBO connector's tests, chaos runs, benches and `bcsync demo --ledger qbo`.
//!
//! Built from Intuit's published contract (the v3 XSDs in `shared/api/qbo/` and Intuit's
//! documented JSON examples): `Fault` bodies and error codes, `SyncToken` concurrency,
//! the query language, `/batch`, `/cdc`, `requestid` replay, OAuth 2.0 with rotating refresh
//! tokens, and throttling (500 requests/min and 10 in flight per realm, configurable).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bc_sandbox_qbo::{QboConfig, QboSandbox};
//! let sandbox = QboSandbox::new(QboConfig::default());
//! let served = sandbox.serve(0).await?; // or bc_sandbox::serve::serve(sandbox.router(), 0)
//! println!("{} {}", served.base_url, sandbox.credentials_json());
//! # Ok(()) }
//! ```
//!
//! Map of the crate: [`config`] (company kind, limits), [`state`] (the books), [`seed`] (the
//! starting company), [`entities`] (per-type rules), [`query`], [`batch`], [`cdc`], [`auth`],
//! [`throttle`], [`errors`] (Fault bodies), [`sandbox`] (`/__sandbox/*` and the Rust API for
//! ledger-side actions).

pub mod auth;
pub mod batch;
pub mod cdc;
pub mod clock;
pub mod config;
pub mod entities;
pub mod errors;
pub mod filterable;
mod json;
pub mod query;
mod routes;
pub mod sandbox;
pub mod seed;
pub mod state;
pub mod throttle;

pub use config::{Company, QboConfig};
pub use errors::QboError;
pub use sandbox::{DuplicateReport, QboSandbox, Shipment, Totals};
pub use state::EntityKind;
