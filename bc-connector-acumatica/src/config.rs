//! [`AcumaticaConfig`]: how to reach one Acumatica tenant and how its documents are posted.
//!
//! Currencies: documents are posted in `base_currency` (the company's base currency, default
//! `"USD"`) and, when the company has multi-currency accounting on, in the currencies listed
//! in `currencies` (each set up in Acumatica's Currencies form, CM202000):
//!
//! ```toml
//! [ledger]
//! platform = "acumatica"
//! base_currency = "USD"
//! currencies = ["EUR", "GBP"]   # besides the base currency; empty = the base currency only
//! ```
//!
//! An order in a currency not listed is refused before anything is written (exception
//! `currency_not_enabled`). Customers the connector creates get "Enable Currency Override"
//! when `currencies` is not empty, so one customer may buy in several currencies; a customer
//! created in Acumatica without it refuses documents in another currency than its own (the
//! 422 names `CurrencyID`). Unknown keys are refused.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use bc_core::settings::{PlatformSettings, Secret};
use bc_core::{Currency, Error, Result};
use serde::Deserialize;

/// Sign-in method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// `/entity/auth/login` cookie session, always signed out (the default).
    #[default]
    Cookie,
    /// OAuth 2.0 resource-owner password grant at `/identity/connect/token`.
    OauthPassword,
    /// OAuth 2.0 client-credentials grant.
    OauthClientCredentials,
}

/// ERP-originated order qualification (E1): any condition, and ship via mapped, and (when
/// set) no unpaid balance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErpOrderRules {
    /// Order types that qualify (`SO`, `WO`).
    #[serde(default)]
    pub order_types: Vec<String>,
    /// Customer classes that qualify.
    #[serde(default)]
    pub customer_classes: Vec<String>,
    /// A boolean field of the sales order that qualifies the order when true.
    #[serde(default)]
    pub flag_field: Option<String>,
    /// Only orders whose unpaid balance is 0.00.
    #[serde(default = "yes")]
    pub require_zero_balance: bool,
    /// Storefront status id of created orders.
    #[serde(default = "pending")]
    pub storefront_status: String,
}

fn yes() -> bool {
    true
}
fn pending() -> String {
    "1".into()
}

/// The `[ledger]` table of `platform = "acumatica"`, plus what the connector needs to post.
/// Unknown keys are refused; secrets are [`Secret`]s (`"env:NAME"` reads a variable).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcumaticaConfig {
    /// Instance URL (`https://acme.acumatica.com`); plain `http` only for loopback.
    pub base_url: String,
    /// Tenant (company).
    pub tenant: String,
    /// API user name.
    pub username: String,
    /// API user password.
    pub password: Secret,
    /// Sign-in method.
    #[serde(default)]
    pub auth: AuthMode,
    /// OAuth client id (`<guid>@<tenant>`), for the OAuth modes.
    #[serde(default)]
    pub client_id: Option<String>,
    /// OAuth client secret.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// License: requests per minute the connector stays under.
    #[serde(default = "default_rpm")]
    pub requests_per_minute: u32,
    /// License: concurrent requests the connector stays under.
    #[serde(default = "default_concurrent")]
    pub max_concurrent: usize,
    /// How long an action (release, confirm) may run before the connector gives up.
    #[serde(default = "default_action_secs")]
    pub action_timeout_secs: u64,
    /// Sales order type of posted orders.
    #[serde(default = "default_order_type")]
    pub order_type: String,
    /// Non-stock item carrying lines that post to a GL account.
    #[serde(default = "default_misc")]
    pub misc_item: String,
    /// Acumatica tax id (from `tax_map`) → tax zone of the document.
    #[serde(default)]
    pub tax_zones: BTreeMap<String, String>,
    /// Tax category of taxed lines.
    #[serde(default = "default_taxable")]
    pub taxable_category: String,
    /// Tax category of untaxed lines.
    #[serde(default = "default_exempt")]
    pub exempt_category: String,
    /// Warehouse of stock lines when the document names none.
    #[serde(default = "default_warehouse")]
    pub warehouse: String,
    /// Customer class of created clients.
    #[serde(default = "default_class")]
    pub customer_class: String,
    /// Acumatica ship via → storefront shipping method (E1 "shipping method mapped").
    #[serde(default)]
    pub ship_via_map: BTreeMap<String, String>,
    /// ERP-originated order rules (E1).
    #[serde(default)]
    pub erp_orders: ErpOrderRules,
    /// The company's base currency.
    #[serde(default = "default_base_currency")]
    pub base_currency: Currency,
    /// Currencies documents may be in besides the base currency (multi-currency companies).
    #[serde(default)]
    pub currencies: Vec<Currency>,
}

fn default_base_currency() -> Currency {
    Currency::USD
}

fn default_rpm() -> u32 {
    600
}
fn default_concurrent() -> usize {
    8
}
fn default_action_secs() -> u64 {
    60
}
fn default_order_type() -> String {
    "SO".into()
}
fn default_misc() -> String {
    "MISC".into()
}
fn default_taxable() -> String {
    "TAXABLE".into()
}
fn default_exempt() -> String {
    "EXEMPT".into()
}
fn default_warehouse() -> String {
    "MAIN".into()
}
fn default_class() -> String {
    "WEB".into()
}

impl fmt::Debug for AcumaticaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcumaticaConfig")
            .field("base_url", &self.base_url)
            .field("tenant", &self.tenant)
            .field("username", &self.username)
            .field("password", &"******")
            .field("auth", &self.auth)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "******"),
            )
            .field("base_currency", &self.base_currency)
            .field("currencies", &self.currencies)
            .finish_non_exhaustive()
    }
}

impl AcumaticaConfig {
    /// A configuration with defaults for everything but how to sign in.
    pub fn new(base_url: &str, tenant: &str, username: &str, password: Secret) -> Self {
        AcumaticaConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            tenant: tenant.into(),
            username: username.into(),
            password,
            auth: AuthMode::Cookie,
            client_id: None,
            client_secret: None,
            requests_per_minute: default_rpm(),
            max_concurrent: default_concurrent(),
            action_timeout_secs: default_action_secs(),
            order_type: default_order_type(),
            misc_item: default_misc(),
            tax_zones: BTreeMap::new(),
            taxable_category: default_taxable(),
            exempt_category: default_exempt(),
            warehouse: default_warehouse(),
            customer_class: default_class(),
            ship_via_map: BTreeMap::new(),
            erp_orders: ErpOrderRules {
                require_zero_balance: true,
                storefront_status: pending(),
                ..Default::default()
            },
            base_currency: default_base_currency(),
            currencies: Vec::new(),
        }
    }

    /// Every currency documents may be in: the base currency first, then the others.
    pub fn accepted_currencies(&self) -> Vec<Currency> {
        let mut out = vec![self.base_currency];
        for c in &self.currencies {
            if !out.contains(c) {
                out.push(*c);
            }
        }
        out
    }

    /// Parses the TOML table; errors name the key.
    pub fn from_toml(text: &str) -> Result<Self> {
        let c: AcumaticaConfig = toml_like(text)?;
        c.validate()?;
        Ok(c)
    }

    /// Reads the `[ledger]` section (`platform = "acumatica"`) of the settings file: unknown
    /// keys are refused and errors name the full key (`ledger.tenant`) and the value.
    pub fn from_table(section: &PlatformSettings) -> Result<Self> {
        section.expect_platform(crate::PLATFORM)?;
        let c: AcumaticaConfig = section.parse()?;
        c.validate()?;
        Ok(AcumaticaConfig {
            base_url: c.base_url.trim_end_matches('/').to_string(),
            ..c
        })
    }

    /// Checks values that serde cannot.
    pub fn validate(&self) -> Result<()> {
        if !self.base_url.starts_with("http") {
            return Err(Error::config("ledger.base_url", "must be an http(s) URL"));
        }
        if self.auth != AuthMode::Cookie
            && (self.client_id.is_none() || self.client_secret.is_none())
        {
            return Err(Error::config(
                "ledger.client_id",
                "the OAuth modes need client_id and client_secret",
            ));
        }
        if self.max_concurrent == 0 || self.requests_per_minute == 0 {
            return Err(Error::config(
                "ledger.max_concurrent",
                "limits must be at least 1",
            ));
        }
        Ok(())
    }

    /// The action deadline.
    pub fn action_timeout(&self) -> Duration {
        Duration::from_secs(self.action_timeout_secs)
    }
}

fn toml_like(text: &str) -> Result<AcumaticaConfig> {
    toml::from_str::<AcumaticaConfig>(text).map_err(|e| Error::config("ledger", format!("{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = "platform = \"acumatica\"\nbase_url = \"https://acme.acumatica.com/\"\ntenant = \"Company\"\nusername = \"api\"\npassword = \"pw-canary\"";

    #[test]
    fn from_table_reads_the_ledger_section_and_names_keys() {
        let s = PlatformSettings::from_toml_str("ledger", MIN).unwrap();
        let c = AcumaticaConfig::from_table(&s).expect("section");
        assert_eq!(c.base_url, "https://acme.acumatica.com");
        assert!(!format!("{c:?}").contains("pw-canary"));
        let s =
            PlatformSettings::from_toml_str("ledger", &format!("{MIN}\ntenantt = \"x\"")).unwrap();
        let e = AcumaticaConfig::from_table(&s).unwrap_err().to_string();
        assert!(e.contains("ledger.tenantt"), "{e}");
        let s =
            PlatformSettings::from_toml_str("ledger", &format!("{MIN}\nmax_concurrent = \"lots\""))
                .unwrap();
        let e = AcumaticaConfig::from_table(&s).unwrap_err().to_string();
        assert!(
            e.contains("ledger.max_concurrent") && e.contains("lots"),
            "{e}"
        );
    }

    #[test]
    fn currencies_come_from_the_settings() {
        let s = PlatformSettings::from_toml_str("ledger", MIN).unwrap();
        let c = AcumaticaConfig::from_table(&s).unwrap();
        assert_eq!(c.accepted_currencies(), vec![Currency::USD]);
        let s = PlatformSettings::from_toml_str(
            "ledger",
            &format!("{MIN}\nbase_currency = \"CAD\"\ncurrencies = [\"EUR\", \"CAD\", \"GBP\"]"),
        )
        .unwrap();
        let c = AcumaticaConfig::from_table(&s).unwrap();
        assert_eq!(
            c.accepted_currencies(),
            vec![Currency::CAD, Currency::EUR, Currency::GBP]
        );
        for bad in ["currencies = [\"euro\"]", "currency = [\"EUR\"]"] {
            let s = PlatformSettings::from_toml_str("ledger", &format!("{MIN}\n{bad}")).unwrap();
            let e = AcumaticaConfig::from_table(&s).unwrap_err().to_string();
            assert!(e.contains("ledger.currenc"), "{bad}: {e}");
        }
    }
}
