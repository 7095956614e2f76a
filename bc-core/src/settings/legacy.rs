//! The former closed shapes of the `[storefront]` and `[ledger]` sections.
//!
//! [`Settings`](super::Settings) no longer uses them: it keeps a [`PlatformSettings`] and each
//! connector reads its own config type. They remain as typed views of the built-in platforms'
//! keys for connectors that still read them ([`LedgerSettings::from_platform`]).

use serde::Deserialize;

use super::platform::{parse_table, PlatformSettings};
use super::Secret;
use crate::error::Result;

/// The storefront of the connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "platform", rename_all = "snake_case", deny_unknown_fields)]
pub enum StorefrontSettings {
    /// BigCommerce (REST v2/v3).
    Bigcommerce {
        /// The store hash (`stores/{store_hash}`).
        store_hash: String,
        /// The API account's access token (`X-Auth-Token`).
        access_token: Secret,
        /// API base URL; default `https://api.bigcommerce.com`. Plain `http` only for loopback.
        #[serde(default)]
        base_url: Option<String>,
        /// Requests per rate window of the store's plan (default 150 per 30 s, Standard).
        #[serde(default)]
        requests_per_window: Option<u32>,
        /// Secret for verifying webhook deliveries.
        #[serde(default)]
        webhook_secret: Option<Secret>,
    },
    /// Magento 2 / Adobe Commerce (REST).
    Magento {
        /// Store base URL.
        base_url: String,
        /// Integration access token.
        access_token: Secret,
    },
}

impl StorefrontSettings {
    /// The typed view of a `[storefront]` section; errors name the full key.
    pub fn from_platform(section: &PlatformSettings) -> Result<Self> {
        parse_table(&section.section, section.tagged_table())
    }

    /// The platform name.
    pub fn platform(&self) -> &'static str {
        match self {
            StorefrontSettings::Bigcommerce { .. } => "bigcommerce",
            StorefrontSettings::Magento { .. } => "magento",
        }
    }
}

/// The ledger of the connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "platform", rename_all = "snake_case", deny_unknown_fields)]
pub enum LedgerSettings {
    /// The embedded AcctVantage-style ERP (SQLite file), the default that needs no account.
    Acctvantage {
        /// Path of the ERP's SQLite file.
        #[serde(default = "default_erp_path")]
        path: String,
    },
    /// QuickBooks Online (Accounting API v3).
    Qbo {
        /// The company (realm) id.
        realm_id: String,
        /// OAuth2 client id.
        client_id: String,
        /// OAuth2 client secret.
        client_secret: Secret,
        /// OAuth2 refresh token (rotated tokens are handed back to the host program).
        refresh_token: Secret,
        /// API base URL; default `https://quickbooks.api.intuit.com`.
        #[serde(default)]
        base_url: Option<String>,
        /// Token endpoint; default Intuit's.
        #[serde(default)]
        token_url: Option<String>,
        /// `minorversion` sent with every request (default 75).
        #[serde(default)]
        minor_version: Option<u32>,
    },
    /// Microsoft Dynamics 365 Business Central (API v2.0).
    Bc365 {
        /// Azure AD tenant id.
        tenant_id: String,
        /// Environment name (`production`, `sandbox`).
        environment: String,
        /// Company id.
        company_id: String,
        /// OAuth2 client id.
        client_id: String,
        /// OAuth2 client secret.
        client_secret: Secret,
        /// API base URL override.
        #[serde(default)]
        base_url: Option<String>,
    },
    /// Acumatica (contract-based REST, Default endpoint).
    Acumatica {
        /// Instance URL.
        base_url: String,
        /// Tenant / company.
        tenant: String,
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
}

fn default_erp_path() -> String {
    "bcsync-erp.sqlite".to_string()
}

impl LedgerSettings {
    /// The typed view of a `[ledger]` section; errors name the full key.
    pub fn from_platform(section: &PlatformSettings) -> Result<Self> {
        parse_table(&section.section, section.tagged_table())
    }

    /// The platform name.
    pub fn platform(&self) -> &'static str {
        match self {
            LedgerSettings::Acctvantage { .. } => "acctvantage",
            LedgerSettings::Qbo { .. } => "qbo",
            LedgerSettings::Bc365 { .. } => "bc365",
            LedgerSettings::Acumatica { .. } => "acumatica",
        }
    }
}
