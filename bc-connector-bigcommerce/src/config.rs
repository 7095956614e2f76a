//! Connecting to one BigCommerce store.

use std::fmt;
use std::time::Duration;

use bc_core::settings::{describe, PlatformSettings, Secret};
use bc_core::{Error, Result};
use bc_http::{RateLimits, RetryPolicy};
use secrecy::SecretString;
use serde::Deserialize;

/// The keys of the `[storefront]` table of `platform = "bigcommerce"` (unknown keys refused):
///
/// ```toml
/// [storefront]
/// platform = "bigcommerce"
/// store_hash = "abc123"                   # from the API path: /stores/{store_hash}/
/// access_token = "env:BIGCOMMERCE_TOKEN"  # API account token (X-Auth-Token)
/// # base_url = "https://api.bigcommerce.com"
/// # requests_per_window = 150             # the plan's quota per 30 s window
/// # webhook_secret = "env:BIGCOMMERCE_WEBHOOK_SECRET"
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BigCommerceTable {
    /// The store hash.
    pub store_hash: String,
    /// The API account's access token (`env:NAME` reads a variable).
    pub access_token: Secret,
    /// API host; default `https://api.bigcommerce.com`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Requests per 30 s window of the store's plan (default 150, Standard and Plus).
    #[serde(default)]
    pub requests_per_window: Option<u32>,
    /// Secret for verifying webhook deliveries.
    #[serde(default)]
    pub webhook_secret: Option<Secret>,
}

/// The settings of one store's API account.
#[derive(Clone)]
pub struct BigCommerceConfig {
    /// The store hash (`https://api.bigcommerce.com/stores/{store_hash}/…`).
    pub store_hash: String,
    /// The API account's access token (`X-Auth-Token`).
    pub access_token: SecretString,
    /// The API host (default `https://api.bigcommerce.com`; a loopback sandbox in tests).
    pub api_base: String,
    /// The account's limits. Default: 150 requests per 30 s (BigCommerce's Standard and Plus
    /// plans), 8 in flight. The platform's own `X-Rate-Limit-*` headers are honoured on top.
    pub limits: RateLimits,
    /// Retries (default [`RetryPolicy::default`]).
    pub retry: RetryPolicy,
    /// Orders of a page completed concurrently (sub-resources, default 4).
    pub concurrency: usize,
    /// Read each paid order's v3 transactions for its payments (gateway, transaction id,
    /// authorised vs captured, gift certificate codes). Default `true`; `false` saves about
    /// one request per order and takes the state from the order's `payment_status`.
    pub payment_transactions: bool,
    /// The inventory location absolute adjustments are made at (default 1, the default
    /// location).
    pub inventory_location_id: u64,
    /// Secret for verifying webhook deliveries (`webhook_secret`), when set.
    pub webhook_secret: Option<SecretString>,
}

impl fmt::Debug for BigCommerceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BigCommerceConfig")
            .field("store_hash", &self.store_hash)
            .field("access_token", &"******")
            .field("api_base", &self.api_base)
            .field("limits", &self.limits)
            .field("concurrency", &self.concurrency)
            .field("payment_transactions", &self.payment_transactions)
            .field("inventory_location_id", &self.inventory_location_id)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "******"),
            )
            .finish()
    }
}

impl BigCommerceConfig {
    /// The settings of a store with the defaults.
    pub fn new(store_hash: impl Into<String>, access_token: SecretString) -> Self {
        BigCommerceConfig {
            store_hash: store_hash.into(),
            access_token,
            api_base: "https://api.bigcommerce.com".into(),
            limits: RateLimits::new(150, Duration::from_secs(30)).with_max_in_flight(8),
            retry: RetryPolicy::default(),
            concurrency: 4,
            payment_transactions: true,
            inventory_location_id: 1,
            webhook_secret: None,
        }
    }

    /// Reads the `[storefront]` section (`platform = "bigcommerce"`): errors name the full
    /// key (`storefront.store_hash`) and the bad value; secrets are resolved here
    /// (`env:NAME`).
    pub fn from_table(section: &PlatformSettings) -> Result<Self> {
        section.expect_platform(crate::PLATFORM)?;
        let t: BigCommerceTable = section.parse()?;
        if t.store_hash.trim().is_empty() || t.store_hash.contains('/') {
            return Err(bad_value(
                section,
                "store_hash",
                "expected a store hash, the part after /stores/ in the API path, like \"abc123\"",
            ));
        }
        let token = t.access_token.resolve(&section.key("access_token"))?;
        let mut config = BigCommerceConfig::new(t.store_hash, token);
        if let Some(base) = t.base_url {
            if !(base.starts_with("https://") || base.starts_with("http://")) {
                return Err(bad_value(
                    section,
                    "base_url",
                    "expected an http(s) URL, like \"https://api.bigcommerce.com\"",
                ));
            }
            config = config.with_api_base(base);
        }
        if let Some(n) = t.requests_per_window {
            if n == 0 {
                return Err(bad_value(
                    section,
                    "requests_per_window",
                    "expected a whole number, 1 or more",
                ));
            }
            config = config
                .with_limits(RateLimits::new(n, Duration::from_secs(30)).with_max_in_flight(8));
        }
        if let Some(secret) = t.webhook_secret {
            config.webhook_secret = Some(secret.resolve(&section.key("webhook_secret"))?);
        }
        Ok(config)
    }

    /// Whether payments come from v3 transactions (see
    /// [`BigCommerceConfig::payment_transactions`]).
    pub fn with_payment_transactions(mut self, yes: bool) -> Self {
        self.payment_transactions = yes;
        self
    }

    /// Uses another API host (a sandbox).
    pub fn with_api_base(mut self, base: impl Into<String>) -> Self {
        self.api_base = base.into();
        self
    }

    /// Sets the account limits.
    pub fn with_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The account key of the shared rate budget.
    pub fn account_key(&self) -> String {
        format!("bigcommerce:{}", self.store_hash)
    }

    /// `{api_base}/stores/{store_hash}`.
    pub fn base_url(&self) -> String {
        format!(
            "{}/stores/{}",
            self.api_base.trim_end_matches('/'),
            self.store_hash
        )
    }
}

/// The error of key `name` of `section`, whose value the connector's own checks refuse:
/// the full key, the value as written (`******` for a secret key) and `problem`.
fn bad_value(section: &PlatformSettings, name: &str, problem: &str) -> Error {
    let key = section.key(name);
    match section.table.get(name) {
        Some(value) => Error::config_value(&key, &describe::show_value(&key, value), problem),
        None => Error::config(&key, problem),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const MIN: &str =
        "platform = \"bigcommerce\"\nstore_hash = \"abc123\"\naccess_token = \"tok-canary\"";

    fn section(text: &str) -> PlatformSettings {
        PlatformSettings::from_toml_str("storefront", text).expect("a section")
    }

    #[test]
    fn from_table_reads_the_former_keys_and_names_bad_ones() {
        let c = BigCommerceConfig::from_table(&section(&format!(
            "{MIN}\nbase_url = \"http://127.0.0.1:9\"\nrequests_per_window = 450\nwebhook_secret = \"wh\""
        )))
        .expect("the former [storefront] keys");
        assert_eq!(c.base_url(), "http://127.0.0.1:9/stores/abc123");
        assert_eq!(c.access_token.expose_secret(), "tok-canary");
        assert!(c.webhook_secret.is_some());
        assert!(!format!("{c:?}").contains("tok-canary"));
        let e = BigCommerceConfig::from_table(&section(&format!("{MIN}\nstore_hsh = \"x\"")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("storefront.store_hsh"), "{e}");
        let e = BigCommerceConfig::from_table(&section(&format!(
            "{MIN}\nrequests_per_window = \"lots\""
        )))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("storefront.requests_per_window") && e.contains("lots"),
            "{e}"
        );
        let e = BigCommerceConfig::from_table(&section(
            "platform = \"bigcommerce\"\nstore_hash = \"abc\"\naccess_token = \"env:BCSYNC_TEST_UNSET_VAR\"",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("storefront.access_token") && e.contains("BCSYNC_TEST_UNSET_VAR"),
            "{e}"
        );
    }

    /// The error text of `from_table` on `MIN` plus `extra`.
    fn error_of(extra: &str) -> String {
        BigCommerceConfig::from_table(&section(&format!("{MIN}\n{extra}")))
            .expect_err("a bad setting")
            .to_string()
    }

    #[test]
    fn the_connectors_own_checks_name_the_key_the_value_and_what_is_expected() {
        assert_eq!(
            error_of("requests_per_window = 0"),
            "setting `storefront.requests_per_window` = 0: expected a whole number, 1 or more"
        );
        assert_eq!(
            error_of("base_url = \"ftp://x\""),
            "setting `storefront.base_url` = \"ftp://x\": expected an http(s) URL, like \"https://api.bigcommerce.com\""
        );
        let e = BigCommerceConfig::from_table(&section(
            "platform = \"bigcommerce\"\nstore_hash = \"abc/123\"\naccess_token = \"tok-canary\"",
        ))
        .expect_err("a store hash with a slash")
        .to_string();
        assert!(
            e.starts_with("setting `storefront.store_hash` = \"abc/123\": expected a store hash"),
            "{e}"
        );
        let e = BigCommerceConfig::from_table(&section(
            "platform = \"bigcommerce\"\nstore_hash = \"  \"\naccess_token = \"tok-canary\"",
        ))
        .expect_err("a blank store hash")
        .to_string();
        assert!(e.contains("`storefront.store_hash` = \"  \": "), "{e}");
        for e in [&e, &error_of("requests_per_window = 0")] {
            assert!(!e.contains("tok-canary"), "{e}");
        }
    }
}
