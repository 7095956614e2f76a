//! # bc-connector-bc365 — Microsoft Dynamics 365 Business Central as a bcsync ledger
//!
//! A [`bc_core::Ledger`] over Business Central online's API v2.0, with Entra ID client
//! credentials, bc-http's retries and the service principal's budget (6,000 requests per
//! 5 minutes, 5 in flight), and JSON `$batch` (≤ 100 operations) for document writes and
//! look-ups.
//!
//! - [`config`]: [`Bc365Config`] (tenant, environment, company, app credentials, posting
//!   choices), unknown keys refused;
//! - [`auth`]: Entra ID client-credentials tokens;
//! - [`client`]: the REST calls and `$batch`;
//! - [`wire`]: typed API JSON;
//! - [`error`]: BC's OData and Entra error bodies → [`bc_core::Error`];
//! - [`mapping`]: documents → API JSON (pure): tax zones → tax area / tax group, gift cards
//!   and store credit to a liability account, credit memos applied to their invoice,
//!   receipts, payout journals, shipments;
//! - [`ledger`]: the ledger itself, [`Bc365Ledger`].
//!
//! Exactly once: every write carries its key in `externalDocumentNumber` (documents: the
//! import id; credit memos: import id + refund id; receipts: import id + sequence; payout
//! journals: the payout key, and a document number derived from it) and every write first
//! searches by that key.
//!
//! Shipment tracking and stock per location come from a bcsync BC extension's API pages
//! (`/api/bcsync/integration/v1.0/…salesShipmentTracking`, `…itemAvailabilities`), see
//! [`ledger::warehouse`]. Not supported (declared in the capabilities): document statuses,
//! ERP-originated orders; payout journals in a currency other than the company's (API v2.0
//! journal lines carry no currency code).
#![forbid(unsafe_code)]

pub mod auth;
pub mod client;
pub mod config;
pub mod error;
pub mod ledger;
pub mod mapping;
pub mod wire;

use std::sync::Arc;

use bc_core::Result;
use bc_http::{HttpClient, HttpTransport, RateBudget};

pub use client::Bc365Client;
pub use config::Bc365Config;
pub use ledger::Bc365Ledger;

/// The platform name in settings, errors and capabilities.
pub const PLATFORM: &str = "bc365";

/// Connects to the company of `config` over `transport` (the default reqwest transport when
/// `None`; a [`bc_http::RouterTransport`] for the sandbox in-process).
pub async fn connect(
    config: &Bc365Config,
    transport: Option<Arc<dyn HttpTransport>>,
) -> Result<Bc365Ledger> {
    config.validate()?;
    let transport: Arc<dyn HttpTransport> = match transport {
        Some(t) => t,
        None => Arc::new(bc_http::ReqwestTransport::new()?),
    };
    let secret = config.client_secret.resolve("ledger.client_secret")?;
    let auth = Arc::new(auth::EntraAuth::new(
        config.token_url(),
        config.client_id.clone(),
        secret,
        config::SCOPE.to_string(),
        transport.clone(),
    ));
    let budget = RateBudget::shared(
        &format!("{PLATFORM}:{}:{}", config.tenant_id, config.client_id),
        config.limits.rate_limits(),
    );
    let build = |base: String| {
        HttpClient::builder(PLATFORM, base)
            .transport(transport.clone())
            .auth(auth.clone())
            .rate_budget(budget.clone())
            .classifier(error::classifier())
            .build()
    };
    let api = build(config.api_root())?;
    let ext = build(config.extension_root())?;
    Ok(Bc365Ledger::new(
        Bc365Client::new(api, ext, &config.company_id),
        config.clone(),
    ))
}
