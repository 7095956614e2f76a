//! [`MagentoConfig`]: connecting to one Magento store's admin REST API.
//!
//! ```toml
//! [storefront]
//! platform = "magento"
//! base_url = "https://shop.example.com"   # the store's base URL; /rest/{store_code}/V1 is added
//! store_code = "default"                  # or "all"
//! admin_username = "bcsync"               # an admin user (token from /V1/integration/admin/token)
//! admin_password = "env:MAGENTO_ADMIN_PASSWORD"  # any secret: "env:NAME" reads a variable
//! # or: access_token = "…"               # an integration's access token, used as a Bearer
//! #   token: Magento 2.4.4+ refuses it unless Stores > Configuration > Services > OAuth >
//! #   Consumer Settings > "Allow OAuth Access Tokens to be used as standalone Bearer tokens" is Yes
//! inventory_source = "default"            # MSI source code inventory is pushed to
//! ```

use std::fmt;
use std::time::Duration;

use bc_core::settings::{describe, parse_table, PlatformSettings, PlatformTable, Secret};
use bc_core::{Error, Result};
use bc_http::{RateLimits, RetryPolicy};
use secrecy::SecretString;
use serde::Deserialize;

/// One order status of the store (Stores > Settings > Order Status): its code, label and the
/// state it is assigned to. Magento's REST API has no endpoint listing them, so they come
/// from the settings; the defaults are Magento's own.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusEntry {
    /// Status code (`pending`).
    pub status: String,
    /// Label (`Pending`).
    pub label: String,
    /// The state it is assigned to (`new`, `processing`, `complete`, `closed`, `canceled`,
    /// `holded`, `pending_payment`, `payment_review`).
    pub state: String,
}

fn entry(status: &str, label: &str, state: &str) -> StatusEntry {
    StatusEntry {
        status: status.into(),
        label: label.into(),
        state: state.into(),
    }
}

/// Magento's default statuses (`sales_order_status_state`).
pub fn default_statuses() -> Vec<StatusEntry> {
    vec![
        entry("pending", "Pending", "new"),
        entry("processing", "Processing", "processing"),
        entry("fraud", "Suspected Fraud", "processing"),
        entry("complete", "Complete", "complete"),
        entry("closed", "Closed", "closed"),
        entry("canceled", "Canceled", "canceled"),
        entry("holded", "On Hold", "holded"),
        entry("pending_payment", "Pending Payment", "pending_payment"),
        entry("payment_review", "Payment Review", "payment_review"),
    ]
}

fn default_store_code() -> String {
    "default".into()
}
fn default_source() -> String {
    "default".into()
}
/// Magento's largest `searchCriteria[pageSize]` with the input limits on.
const MAX_PAGE_SIZE: u32 = 300;

fn default_page_size() -> u32 {
    100
}
fn default_bulk() -> usize {
    1000
}
fn default_poll_ms() -> u64 {
    1000
}
fn default_polls() -> u32 {
    120
}

/// The settings of one store.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MagentoConfig {
    /// The store's base URL (`https://shop.example.com`); requests go to
    /// `{base_url}/rest/{store_code}/V1/…`.
    pub base_url: String,
    /// Store code in the path (default `default`).
    #[serde(default = "default_store_code")]
    pub store_code: String,
    /// An integration's access token, sent as a standalone Bearer token (`env:NAME` in the
    /// settings reads a variable).
    #[serde(default)]
    pub access_token: Option<SecretString>,
    /// An admin user name (its token comes from `/V1/integration/admin/token`).
    #[serde(default)]
    pub admin_username: Option<String>,
    /// The admin user's password (`env:NAME` in the settings reads a variable).
    #[serde(default)]
    pub admin_password: Option<SecretString>,
    /// The store's order statuses (default: Magento's).
    #[serde(default = "default_statuses")]
    pub statuses: Vec<StatusEntry>,
    /// The MSI source inventory levels are pushed to (default `default`).
    #[serde(default = "default_source")]
    pub inventory_source: String,
    /// Orders per page (≤ 300, Magento's maximum page size with input limits on).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Source items per async bulk request (default 1,000).
    #[serde(default = "default_bulk")]
    pub inventory_batch_size: usize,
    /// Milliseconds between bulk status polls (default 1,000).
    #[serde(default = "default_poll_ms")]
    pub bulk_poll_interval_ms: u64,
    /// Polls before a bulk still open is reported as unfinished (default 120).
    #[serde(default = "default_polls")]
    pub bulk_max_polls: u32,
    /// The account's limits (Magento has no API rate limit of its own; default 10 requests
    /// per second, 4 in flight, to spare the store's PHP workers).
    #[serde(skip, default = "default_limits")]
    pub limits: RateLimits,
    /// Retries.
    #[serde(skip)]
    pub retry: RetryPolicy,
}

fn default_limits() -> RateLimits {
    RateLimits::new(10, Duration::from_secs(1)).with_max_in_flight(4)
}

impl fmt::Debug for MagentoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MagentoConfig")
            .field("base_url", &self.base_url)
            .field("store_code", &self.store_code)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "******"),
            )
            .field("admin_username", &self.admin_username)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "******"),
            )
            .field("inventory_source", &self.inventory_source)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

/// How the connector authenticates.
#[derive(Clone, Debug)]
pub enum AuthMode {
    /// An integration access token as a standalone Bearer token.
    IntegrationToken(SecretString),
    /// An admin user's token.
    Admin {
        /// User name.
        username: String,
        /// Password.
        password: SecretString,
    },
}

impl MagentoConfig {
    /// Settings for an admin user.
    pub fn with_admin(
        base_url: impl Into<String>,
        username: impl Into<String>,
        password: SecretString,
    ) -> Self {
        Self::base(base_url.into(), None, Some(username.into()), Some(password))
    }

    /// Settings for an integration access token used as a Bearer token.
    pub fn with_access_token(base_url: impl Into<String>, token: SecretString) -> Self {
        Self::base(base_url.into(), Some(token), None, None)
    }

    fn base(
        base_url: String,
        access_token: Option<SecretString>,
        admin_username: Option<String>,
        admin_password: Option<SecretString>,
    ) -> Self {
        MagentoConfig {
            base_url,
            store_code: default_store_code(),
            access_token,
            admin_username,
            admin_password,
            statuses: default_statuses(),
            inventory_source: default_source(),
            page_size: default_page_size(),
            inventory_batch_size: default_bulk(),
            bulk_poll_interval_ms: default_poll_ms(),
            bulk_max_polls: default_polls(),
            limits: default_limits(),
            retry: RetryPolicy::default(),
        }
    }

    /// Reads the `[storefront]` table (as serde data, e.g. from bc-core's settings)
    /// and validates it: errors are worded as the settings file's (the full key, the value
    /// as written, `******` for a secret, what was expected); unknown keys are refused with
    /// their name. A `null` is an absent key.
    pub fn from_value(table: serde_json::Value) -> Result<Self> {
        const SECTION: &str = "storefront";
        let serde_json::Value::Object(mut map) = table else {
            return Err(Error::config(SECTION, "expected a table of settings"));
        };
        map.retain(|_, v| !v.is_null());
        // Never serde_json's message: it quotes the value, which may be a secret.
        let table: PlatformTable = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|_| {
                Error::config(
                    SECTION,
                    "expected a table of text, numbers, true/false, lists and tables (no null inside a list or table)",
                )
            })?;
        let c: MagentoConfig = parse_table(SECTION, table)?;
        c.check(SECTION)?;
        c.resolve_secrets(SECTION)
    }

    /// Reads the `[storefront]` section (`platform = "magento"`) of the settings file: unknown
    /// keys are refused and errors name the full key (`storefront.base_url`) and the value.
    pub fn from_table(section: &PlatformSettings) -> Result<Self> {
        section.expect_platform(crate::PLATFORM)?;
        let c: MagentoConfig = section.parse()?;
        c.check(&section.section)?;
        c.resolve_secrets(&section.section)
    }

    /// Reads the secrets written `"env:NAME"` (`access_token`, `admin_password`) from the
    /// environment, as every platform's secrets; the error names the key and the variable.
    fn resolve_secrets(mut self, section: &str) -> Result<Self> {
        use secrecy::ExposeSecret;
        for (name, slot) in [
            ("access_token", &mut self.access_token),
            ("admin_password", &mut self.admin_password),
        ] {
            if let Some(written) = slot.as_ref() {
                let secret = Secret::new(written.expose_secret().to_owned());
                *slot = Some(secret.resolve(&format!("{section}.{name}"))?);
            }
        }
        Ok(self)
    }

    /// Checks the settings; the error names the key (`storefront.page_size`), the value
    /// (`******` for a secret) and what is expected.
    pub fn validate(&self) -> Result<()> {
        self.check("storefront")
    }

    /// [`MagentoConfig::validate`] with the keys named under `section`.
    fn check(&self, section: &str) -> Result<()> {
        let key = |name: &str| format!("{section}.{name}");
        let url = self.base_url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            let k = key("base_url");
            return Err(Error::config_value(
                &k,
                &describe::show_value(&k, &self.base_url.as_str().into()),
                "expected an http(s) URL, like \"https://shop.example.com\"",
            ));
        }
        if self.store_code.trim().is_empty() || self.store_code.contains('/') {
            let k = key("store_code");
            return Err(Error::config_value(
                &k,
                &describe::show_value(&k, &self.store_code.as_str().into()),
                "expected a store code, like \"default\" or \"all\"",
            ));
        }
        self.auth_mode_in(section)?;
        if self.page_size == 0 || self.page_size > MAX_PAGE_SIZE {
            let k = key("page_size");
            return Err(Error::config_value(
                &k,
                &describe::show_value(&k, &self.page_size.into()),
                format!("expected a whole number from 1 to {MAX_PAGE_SIZE} (Magento's largest page size)"),
            ));
        }
        if self.inventory_batch_size == 0 {
            let k = key("inventory_batch_size");
            return Err(Error::config_value(
                &k,
                &describe::show_value(&k, &0_u32.into()),
                "expected a whole number, 1 or more",
            ));
        }
        if self.inventory_source.trim().is_empty() {
            let k = key("inventory_source");
            return Err(Error::config_value(
                &k,
                &describe::show_value(&k, &self.inventory_source.as_str().into()),
                "expected an MSI source code, like \"default\"",
            ));
        }
        for (i, s) in self.statuses.iter().enumerate() {
            // Counted from 1, as every settings error counts list entries.
            let entry = key(&format!("statuses[{}]", i + 1));
            for (name, value, example) in [
                ("status", &s.status, "\"pending\""),
                ("state", &s.state, "\"new\""),
            ] {
                if value.trim().is_empty() {
                    let k = format!("{entry}.{name}");
                    return Err(Error::config_value(
                        &k,
                        &describe::show_value(&k, &value.as_str().into()),
                        format!("expected a {name} code, like {example}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The authentication the settings ask for.
    pub fn auth_mode(&self) -> Result<AuthMode> {
        self.auth_mode_in("storefront")
    }

    /// [`MagentoConfig::auth_mode`] with the keys named under `section`.
    fn auth_mode_in(&self, section: &str) -> Result<AuthMode> {
        let key = |name: &str| format!("{section}.{name}");
        match (
            &self.access_token,
            &self.admin_username,
            &self.admin_password,
        ) {
            (Some(t), None, None) => Ok(AuthMode::IntegrationToken(t.clone())),
            (None, Some(u), Some(p)) => Ok(AuthMode::Admin {
                username: u.clone(),
                password: p.clone(),
            }),
            (None, Some(_), None) => Err(Error::config(
                &key("admin_password"),
                "is required with `admin_username`",
            )),
            (None, None, Some(_)) => Err(Error::config(
                &key("admin_username"),
                "is required with `admin_password`",
            )),
            (None, None, None) => Err(Error::config(
                &key("access_token"),
                "is required: give `access_token`, or `admin_username` and `admin_password`",
            )),
            _ => {
                let k = key("access_token");
                Err(Error::config_value(
                    &k,
                    describe::REDACTED,
                    "give either `access_token` or `admin_username` and `admin_password`, not both",
                ))
            }
        }
    }

    /// `{base_url}/rest/{store_code}`.
    pub fn rest_base(&self) -> String {
        format!(
            "{}/rest/{}",
            self.base_url.trim_end_matches('/'),
            self.store_code
        )
    }

    /// The account key of the shared rate budget.
    pub fn account_key(&self) -> String {
        format!("magento:{}", self.base_url.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let e = MagentoConfig::from_value(json!({"base_url": "https://shop.example.com", "admin_username": "a", "admin_password": "p", "page_sise": 10})).unwrap_err();
        assert!(e.to_string().contains("page_sise"), "{e}");
        let e = MagentoConfig::from_value(
            json!({"base_url": "https://shop.example.com", "admin_username": "a"}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("storefront.admin_password"), "{e}");
        let e =
            MagentoConfig::from_value(json!({"base_url": "shop.example.com", "access_token": "t"}))
                .unwrap_err();
        assert!(e.to_string().contains("storefront.base_url"), "{e}");
        let e = MagentoConfig::from_value(
            json!({"base_url": "https://s.example", "access_token": "t", "page_size": 301}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("storefront.page_size"), "{e}");
        let ok = MagentoConfig::from_value(
            json!({"base_url": "https://s.example", "access_token": "t"}),
        )
        .unwrap();
        assert_eq!(ok.rest_base(), "https://s.example/rest/default");
    }

    #[test]
    fn from_table_reads_the_storefront_section() {
        let text =
            "platform = \"magento\"\nbase_url = \"https://s.example\"\naccess_token = \"tok\"";
        let s = bc_core::settings::PlatformSettings::from_toml_str("storefront", text).unwrap();
        let c = MagentoConfig::from_table(&s).unwrap();
        assert_eq!(c.rest_base(), "https://s.example/rest/default");
        let s = bc_core::settings::PlatformSettings::from_toml_str(
            "storefront",
            &format!("{text}\npage_size = 0"),
        )
        .unwrap();
        let e = MagentoConfig::from_table(&s).unwrap_err().to_string();
        assert!(e.contains("storefront.page_size"), "{e}");
        let s = bc_core::settings::PlatformSettings::from_toml_str(
            "storefront",
            &format!("{text}\nstore_cod = \"x\""),
        )
        .unwrap();
        let e = MagentoConfig::from_table(&s).unwrap_err().to_string();
        assert!(e.contains("storefront.store_cod"), "{e}");
    }

    /// The error of `from_table` on a `[storefront]` of `text`.
    fn table_error(text: &str) -> String {
        match bc_core::settings::PlatformSettings::from_toml_str("storefront", text) {
            Ok(s) => MagentoConfig::from_table(&s)
                .expect_err("a bad setting")
                .to_string(),
            Err(e) => e.to_string(),
        }
    }

    const TOKEN: &str =
        "platform = \"magento\"\nbase_url = \"https://s.example\"\naccess_token = \"tok-canary-7e1\"";

    #[test]
    fn own_checks_name_the_key_the_value_as_written_and_what_is_expected() {
        for (extra, want) in [
            (
                "page_size = 0",
                "setting `storefront.page_size` = 0: expected a whole number from 1 to 300 (Magento's largest page size)",
            ),
            (
                "page_size = 301",
                "setting `storefront.page_size` = 301: expected a whole number from 1 to 300 (Magento's largest page size)",
            ),
            (
                "inventory_batch_size = 0",
                "setting `storefront.inventory_batch_size` = 0: expected a whole number, 1 or more",
            ),
            (
                "store_code = \"de/fr\"",
                "setting `storefront.store_code` = \"de/fr\": expected a store code, like \"default\" or \"all\"",
            ),
            (
                "inventory_source = \" \"",
                "setting `storefront.inventory_source` = \" \": expected an MSI source code, like \"default\"",
            ),
            (
                "statuses = [{ status = \"pending\", label = \"P\", state = \"new\" }, { status = \"\", label = \"X\", state = \"new\" }]",
                "setting `storefront.statuses[2].status` = \"\": expected a status code, like \"pending\"",
            ),
            (
                "admin_username = \"bcsync\"",
                "setting `storefront.access_token` = ******: give either `access_token` or `admin_username` and `admin_password`, not both",
            ),
        ] {
            assert_eq!(table_error(&format!("{TOKEN}\n{extra}")), want, "{extra}");
        }
        let e = table_error(
            "platform = \"magento\"\nbase_url = \"ftp://x\"\naccess_token = \"tok-canary-7e1\"",
        );
        assert_eq!(
            e,
            "setting `storefront.base_url` = \"ftp://x\": expected an http(s) URL, like \"https://shop.example.com\""
        );
        let e = table_error("platform = \"magento\"\nbase_url = \"https://s.example\"");
        assert!(
            e.starts_with("setting `storefront.access_token`: is required"),
            "{e}"
        );
    }

    #[test]
    fn wrong_kinds_and_syntax_errors_never_show_a_secret() {
        // A secret of the wrong kind: masked.
        let e = table_error(
            "platform = \"magento\"\nbase_url = \"https://s.example\"\nadmin_username = \"a\"\nadmin_password = 73510042",
        );
        assert_eq!(
            e,
            "setting `storefront.admin_password` = ******: expected text"
        );
        // A syntax error on the secret's line: the line and the key, never the text.
        let e = table_error(
            "platform = \"magento\"\nbase_url = \"https://s.example\"\naccess_token = \"tok-canary-7e1",
        );
        assert!(!e.contains("tok-canary-7e1"), "{e}");
        assert!(
            e.contains("line 3") && e.contains("storefront.access_token"),
            "{e}"
        );
        // The same through `from_value`: serde_json's message would quote the value.
        let e = MagentoConfig::from_value(
            json!({"base_url": "https://s.example", "access_token": 73510042}),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "setting `storefront.access_token` = ******: expected text"
        );
        let e = MagentoConfig::from_value(
            json!({"base_url": "https://s.example", "access_token": "t", "page_size": "lots"}),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "setting `storefront.page_size` = \"lots\": expected a whole number"
        );
        let e = MagentoConfig::from_value(json!(["not", "a", "table"]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("setting `storefront`: expected a table"),
            "{e}"
        );
        let ok = MagentoConfig::from_value(
            json!({"base_url": "https://s.example", "access_token": "t", "admin_username": null}),
        )
        .expect("a null is an absent key");
        assert!(matches!(ok.auth_mode(), Ok(AuthMode::IntegrationToken(_))));
    }

    #[test]
    fn env_secrets_are_read_from_the_environment() {
        use secrecy::ExposeSecret;
        // cargo sets CARGO_PKG_NAME when it runs a test: no variable is changed here.
        let c = MagentoConfig::from_value(json!({
            "base_url": "https://s.example",
            "admin_username": "a",
            "admin_password": "env:CARGO_PKG_NAME",
        }))
        .expect("a set variable");
        match c.auth_mode() {
            Ok(AuthMode::Admin { password, .. }) => {
                assert_eq!(password.expose_secret(), "bc-connector-magento")
            }
            other => panic!("{other:?}"),
        }
        let e = table_error(
            "platform = \"magento\"\nbase_url = \"https://s.example\"\naccess_token = \"env:BCSYNC_TEST_UNSET_VAR_7E1\"",
        );
        assert_eq!(
            e,
            "setting `storefront.access_token`: environment variable `BCSYNC_TEST_UNSET_VAR_7E1` is not set"
        );
    }

    #[test]
    fn secrets_never_in_debug() {
        let c = MagentoConfig::with_admin(
            "https://s.example",
            "bcsync",
            SecretString::from("hunter2-secret"),
        );
        let t = MagentoConfig::with_access_token(
            "https://s.example",
            SecretString::from("tok-secret-123"),
        );
        let text = format!(
            "{c:?} {t:?} {:?} {:?}",
            c.auth_mode().unwrap(),
            t.auth_mode().unwrap()
        );
        assert!(
            !text.contains("hunter2-secret") && !text.contains("tok-secret-123"),
            "{text}"
        );
    }
}
