//! # bc-sandbox-bc365 — a stateful fake Business Central online
//!
//! Serves what bcsync's Business Central connector uses, from Microsoft's published contract
//! (`shared/api/bc365`: the API v2.0 `$metadata` with `MaxLength` facets, the v2.0 resource
//! pages, the operational limits, the error-code table and the `$batch` page):
//!
//! - Entra ID client credentials (`/{tenant}/oauth2/v2.0/token`, scope `…/.default`, AADSTS
//!   errors) and bearer tokens on every API call;
//! - API v2.0 under `/v2.0/{tenant}/{environment}/api/v2.0/companies({id})/…`, OData v4 JSON
//!   (`@odata.etag`, `@odata.nextLink`, `$filter`/`$select`/`$expand`/`$top`/`$skip`/
//!   `$orderby` as far as [`odata`] implements them, the rest refused with BC's error);
//! - field lengths and types from `$metadata` ([`schema`]), `If-Match` (stale → `412`);
//! - per-user limits (6,000 requests per 5 minutes, 5 in flight → `429` + `Retry-After`);
//! - JSON `$batch` (≤ 100 operations, per-operation results, `Isolation: snapshot`);
//! - posting like BC ([`posting`]): VAT posting setup / tax detail, exchange rates, credit
//!   memos applied to their invoice, stock moved per location, balanced journals;
//! - a modelled bcsync extension API (`/api/bcsync/integration/v1.0/…`) with the posted
//!   shipments' package tracking numbers and availability per location;
//! - the kit's seeded faults (commit-then-fail included), statistics and `/__sandbox/*`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bc_sandbox_bc365::{Bc365Sandbox, Bc365SandboxConfig};
//! let sandbox = Bc365Sandbox::new(Bc365SandboxConfig::default());
//! let served = sandbox.serve(0).await?;
//! println!("{} {}", served.base_url, sandbox.credentials_json());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod api;
pub mod config;
pub mod entities;
pub mod errors;
pub mod limits;
pub mod odata;
pub mod posting;
mod rules;
pub mod sandbox;
pub mod schema;
#[rustfmt::skip]
#[allow(missing_docs)]
mod schema_gen;
pub mod seed;
pub mod state;

pub use config::Bc365SandboxConfig;
pub use errors::BcError;
pub use posting::Tracking;
pub use sandbox::{Bc365Sandbox, CurrencyTotals, Reconciliation, SCOPE};
pub use seed::{GB_COMPANY_ID, US_COMPANY_ID};
