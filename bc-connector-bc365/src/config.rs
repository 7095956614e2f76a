//! [`Bc365Config`]: how to reach one Business Central company and how to post into it.
//!
//! ```toml
//! [ledger]
//! platform = "bc365"
//! tenant_id = "3f6c1a2e-…"
//! environment = "production"
//! company_id = "7b3f4c2a-…"
//! client_id = "9a8b7c6d-…"
//! client_secret = "env:BC365_CLIENT_SECRET"
//! home_currency = "GBP"
//! currencies = ["EUR", "USD"]
//!
//! [ledger.posting]
//! post_documents = true          # post invoices / credit memos; false leaves drafts
//! rounding_account = "69100"
//! untaxed_tax_code = "ZERO"      # lines the storefront did not tax
//! returns_account = "40500"      # refunded goods that are not restocked
//! ```

use std::fmt;
use std::time::Duration;

use bc_core::settings::{PlatformSettings, Secret};
use bc_core::{Currency, Error, Result};
use bc_http::RateLimits;
use rust_decimal::Decimal;
use serde::Deserialize;

/// Business Central online's API host.
pub const API_BASE_URL: &str = "https://api.businesscentral.dynamics.com";
/// Microsoft Entra ID's login host.
pub const LOGIN_BASE_URL: &str = "https://login.microsoftonline.com";
/// The scope of a client-credentials token for Business Central.
pub const SCOPE: &str = "https://api.businesscentral.dynamics.com/.default";
/// Operations in one `$batch` (operational limits: "Max batch size 100").
pub const MAX_BATCH: usize = 100;

/// How to reach one company, and the posting choices. Unknown keys are refused.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bc365Config {
    /// Entra ID tenant id (or its domain).
    pub tenant_id: String,
    /// Environment name (`production`, `sandbox`).
    pub environment: String,
    /// The company's id (GUID, from `GET …/companies`).
    pub company_id: String,
    /// The app registration's client id.
    pub client_id: String,
    /// Its client secret (`env:NAME` reads an environment variable).
    pub client_secret: Secret,
    /// The company's local currency (LCY), which API v2.0 does not expose on documents.
    pub home_currency: Currency,
    /// Foreign currencies set up with exchange rates in the company.
    #[serde(default)]
    pub currencies: Vec<Currency>,
    /// API host override (a local sandbox); default [`API_BASE_URL`].
    #[serde(default)]
    pub base_url: Option<String>,
    /// Login host override; default [`LOGIN_BASE_URL`].
    #[serde(default)]
    pub login_url: Option<String>,
    /// Posting choices.
    #[serde(default)]
    pub posting: PostingChoices,
    /// Limits of the service principal (defaults: Business Central online's per-user limits).
    #[serde(default)]
    pub limits: LimitSettings,
}

impl fmt::Debug for Bc365Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bc365Config")
            .field("tenant_id", &self.tenant_id)
            .field("environment", &self.environment)
            .field("company_id", &self.company_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"******")
            .field("home_currency", &self.home_currency)
            .field("base_url", &self.base_url)
            .field("posting", &self.posting)
            .finish()
    }
}

/// How documents are written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostingChoices {
    /// Post sales invoices and credit memos (`Microsoft.NAV.post`); `false` leaves drafts for
    /// finance to review.
    #[serde(default = "yes")]
    pub post_documents: bool,
    /// Sales orders: ship and invoice them at once (`Microsoft.NAV.shipAndInvoice`) when the
    /// storefront fulfils; `false` leaves them for the warehouse.
    #[serde(default)]
    pub ship_and_invoice_orders: bool,
    /// Prefix of customer numbers made from storefront customer ids (`WEB` + id, ≤ 20).
    #[serde(default = "web")]
    pub customer_number_prefix: String,
    /// Tax area (VAT business posting group) of new customers.
    #[serde(default)]
    pub default_tax_area: Option<String>,
    /// Tax group (VAT product posting group) of lines the storefront did not tax.
    #[serde(default)]
    pub untaxed_tax_code: Option<String>,
    /// G/L account of a rounding line when Business Central's tax differs from the
    /// storefront's by at most `rounding_tolerance`.
    #[serde(default)]
    pub rounding_account: Option<String>,
    /// Largest difference absorbed by a rounding line.
    #[serde(default = "tolerance")]
    pub rounding_tolerance: Decimal,
    /// G/L account for refunded goods that are not restocked.
    #[serde(default)]
    pub returns_account: Option<String>,
    /// Customer payment journal (batch code) for receipts.
    #[serde(default = "general")]
    pub payment_journal: String,
    /// General journal (batch code) for payouts; use a batch of its own.
    #[serde(default = "general")]
    pub payout_journal: String,
}

fn yes() -> bool {
    true
}
fn web() -> String {
    "WEB".into()
}
fn general() -> String {
    "GENERAL".into()
}
fn tolerance() -> Decimal {
    Decimal::new(5, 2)
}

impl Default for PostingChoices {
    fn default() -> Self {
        PostingChoices {
            post_documents: true,
            ship_and_invoice_orders: false,
            customer_number_prefix: web(),
            default_tax_area: None,
            untaxed_tax_code: None,
            rounding_account: None,
            rounding_tolerance: tolerance(),
            returns_account: None,
            payment_journal: general(),
            payout_journal: general(),
        }
    }
}

/// Request limits of the service principal.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Requests per window (BC online: 6,000 per 5 minutes per user).
    #[serde(default = "per_window")]
    pub requests_per_window: u32,
    /// The window in seconds (300).
    #[serde(default = "window")]
    pub window_secs: u64,
    /// Requests in flight (BC online: 5 per user).
    #[serde(default = "in_flight")]
    pub max_in_flight: usize,
}

fn per_window() -> u32 {
    6000
}
fn window() -> u64 {
    300
}
fn in_flight() -> usize {
    5
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            requests_per_window: per_window(),
            window_secs: window(),
            max_in_flight: in_flight(),
        }
    }
}

impl LimitSettings {
    /// As bc-http limits.
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits::new(
            self.requests_per_window,
            Duration::from_secs(self.window_secs),
        )
        .with_max_in_flight(self.max_in_flight)
    }
}

impl Bc365Config {
    /// Reads the `[ledger]` table (TOML), refusing unknown keys and naming the key at fault.
    pub fn from_toml(text: &str) -> Result<Self> {
        let config: Bc365Config = toml_de(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Reads the `[ledger]` section (`platform = "bc365"`) of the settings file: unknown keys
    /// are refused and errors name the full key (`ledger.company_id`) and the value.
    pub fn from_table(section: &PlatformSettings) -> Result<Self> {
        section.expect_platform(crate::PLATFORM)?;
        let config: Bc365Config = section.parse()?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values the types cannot: ids, lengths, URLs.
    pub fn validate(&self) -> Result<()> {
        let guid = |key: &str, v: &str| {
            if uuid::Uuid::parse_str(v).is_err() {
                Err(Error::config(key, format!("`{v}` is not a GUID")))
            } else {
                Ok(())
            }
        };
        guid("ledger.company_id", &self.company_id)?;
        guid("ledger.client_id", &self.client_id)?;
        if self.tenant_id.trim().is_empty() {
            return Err(Error::config("ledger.tenant_id", "is empty"));
        }
        if self.environment.trim().is_empty() || self.environment.contains('/') {
            return Err(Error::config(
                "ledger.environment",
                format!("`{}` is not an environment name", self.environment),
            ));
        }
        if self.posting.customer_number_prefix.len() > 10 {
            return Err(Error::config(
                "ledger.posting.customer_number_prefix",
                "must be at most 10 characters (customer numbers are Code[20])",
            ));
        }
        for (key, v) in [
            (
                "ledger.posting.payment_journal",
                &self.posting.payment_journal,
            ),
            (
                "ledger.posting.payout_journal",
                &self.posting.payout_journal,
            ),
        ] {
            if v.is_empty() || v.len() > 10 {
                return Err(Error::config(
                    key,
                    format!("`{v}` is not a journal batch code (1–10 characters)"),
                ));
            }
        }
        if self.limits.max_in_flight == 0 || self.limits.requests_per_window == 0 {
            return Err(Error::config("ledger.limits", "limits must be positive"));
        }
        Ok(())
    }

    /// The API root: `{base}/v2.0/{tenant}/{environment}/api/v2.0`.
    pub fn api_root(&self) -> String {
        format!(
            "{}/v2.0/{}/{}/api/v2.0",
            self.base_url
                .as_deref()
                .unwrap_or(API_BASE_URL)
                .trim_end_matches('/'),
            self.tenant_id,
            self.environment
        )
    }

    /// The bcsync extension's API root: `{base}/v2.0/{tenant}/{environment}/api/bcsync/integration/v1.0`.
    pub fn extension_root(&self) -> String {
        format!(
            "{}/v2.0/{}/{}/api/bcsync/integration/v1.0",
            self.base_url
                .as_deref()
                .unwrap_or(API_BASE_URL)
                .trim_end_matches('/'),
            self.tenant_id,
            self.environment
        )
    }

    /// The token endpoint: `{login}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.login_url
                .as_deref()
                .unwrap_or(LOGIN_BASE_URL)
                .trim_end_matches('/'),
            self.tenant_id
        )
    }
}

fn toml_de<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| Error::config("ledger", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_table_reads_the_ledger_section() {
        let s = PlatformSettings::from_toml_str("ledger", &format!("platform = \"bc365\"\n{MIN}"))
            .unwrap();
        let c = Bc365Config::from_table(&s).expect("section");
        assert_eq!(c.environment, "production");
        let s = PlatformSettings::from_toml_str(
            "ledger",
            &format!("platform = \"bc365\"\n{MIN}\ncompany = \"x\""),
        )
        .unwrap();
        let e = Bc365Config::from_table(&s).unwrap_err().to_string();
        assert!(e.contains("ledger.company"), "{e}");
    }

    const MIN: &str = r#"
tenant_id = "contoso.onmicrosoft.com"
environment = "production"
company_id = "7b3f4c2a-9d51-4e0b-8a61-2c5d0e9f1a01"
client_id = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
client_secret = "s3cr3t-value"
home_currency = "GBP"
"#;

    #[test]
    fn reads_defaults_and_hides_the_secret() {
        let c = Bc365Config::from_toml(MIN).expect("minimal settings");
        assert!(c.posting.post_documents);
        assert_eq!(c.limits.requests_per_window, 6000);
        assert_eq!(c.limits.max_in_flight, 5);
        assert_eq!(
            c.token_url(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert!(c
            .api_root()
            .ends_with("/v2.0/contoso.onmicrosoft.com/production/api/v2.0"));
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let e =
            Bc365Config::from_toml(&format!("{MIN}\ncompany = \"x\"")).expect_err("unknown key");
        assert!(e.to_string().contains("company"), "{e}");
        let e =
            Bc365Config::from_toml(&MIN.replace("7b3f4c2a-9d51-4e0b-8a61-2c5d0e9f1a01", "CRONUS"))
                .expect_err("not a GUID");
        assert!(e.to_string().contains("ledger.company_id"), "{e}");
        let e = Bc365Config::from_toml(&format!(
            "{MIN}\n[posting]\npayout_journal = \"PAYOUTS-2026-NOV\""
        ))
        .expect_err("too long");
        assert!(
            e.to_string().contains("ledger.posting.payout_journal"),
            "{e}"
        );
    }
}
