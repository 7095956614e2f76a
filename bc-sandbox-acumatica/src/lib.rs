//! A stateful fake Acumatica instance speaking the contract-based REST API (Default endpoint
//! 24.200.001), for the Acumatica connector's tests, chaos runs and
//! `bcsync demo --ledger acumatica`.
//!
//! Built from the endpoint's published contract (`shared/api/acumatica/`: the OpenAPI document
//! and the endpoint XML, MIT) and Acumatica's integration guide: values wrapped as
//! `{"value": …}`, `$filter`/`$expand`/`$select`/`$top`/`$skip`, PUT as upsert by key fields
//! with the 412 preconditions, 422 answers carrying field-level errors, actions as long
//! operations (202 + `Location`, polled until 204), cookie sign-in/sign-out with the license's
//! API session limit ("API Login Limit"), OAuth 2.0 tokens, and the license's request-rate and
//! concurrency limits (429).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bc_sandbox_acumatica::{AcumaticaSandbox, AcumaticaSandboxConfig};
//! let sandbox = AcumaticaSandbox::new(AcumaticaSandboxConfig::seeded(7, 0.0, 12));
//! let served = sandbox.serve(0).await?;
//! println!("{} {}", served.base_url, sandbox.credentials_json());
//! # Ok(()) }
//! ```
//!
//! Map of the crate: [`config`], [`schema`] (entities, keys, expandable and filterable
//! fields), [`values`] (the value wrappers), [`store`] (the tenant's data), [`documents`] (PUT
//! and presentation), [`rules`] (per-entity validation and computed fields), [`filter`]
//! (`$filter`), [`actions`] (long operations), [`auth`] (sessions and tokens), [`throttle`]
//! (license limits), [`errors`], [`erp`] (what the ERP user does), [`seed`], [`sandbox`].

pub mod actions;
pub mod auth;
pub mod config;
pub mod documents;
pub mod erp;
pub mod errors;
pub mod filter;
mod routes;
pub mod rules;
pub mod sandbox;
pub mod schema;
pub mod seed;
pub mod store;
pub mod throttle;
pub mod values;

pub use config::AcumaticaSandboxConfig;
pub use erp::{ErpLine, ErpOrder};
pub use errors::AcuError;
pub use sandbox::{AcumaticaSandbox, CurrencyTotals, ErpOrderView};
pub use schema::Kind;

/// The path of the contract-based endpoint every entity route is under.
pub const ENDPOINT: &str = "/entity/Default/24.200.001";
