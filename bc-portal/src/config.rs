//! The portal's settings.

use std::time::Duration;

use serde::Deserialize;

/// Argon2id cost parameters (RFC 9106; OWASP's minimum is 19 MiB, 2 passes, 1 lane).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordCost {
    /// A cheap (still memory-hard) cost for tests and load tests; never for real accounts.
    pub fn for_tests() -> Self {
        PasswordCost {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        }
    }
}

/// How the portal runs.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortalConfig {
    /// Database URL: `sqlite::memory:` or `sqlite://path?mode=rwc` (PostgreSQL: see
    /// [`crate::db`]).
    pub database_url: String,
    /// Set the `Secure` attribute on cookies (default true; browsers accept it on loopback).
    pub secure_cookies: bool,
    /// Session lifetime in seconds (default 8 h).
    pub session_ttl_secs: u64,
    /// Failed sign-ins allowed per e-mail and per client address within the window.
    pub login_max_failures: u32,
    /// The throttling window in seconds (default 15 min).
    pub login_window_secs: u64,
    /// Password hashing cost.
    pub password_cost: PasswordCost,
    /// The storefront's import source code (the ledger's import ids, e.g. `BC1`).
    pub import_source_code: String,
    /// The ledger receipt type of portal payments made by card through the storefront.
    pub card_receipt_type: String,
    /// The ledger receipt type of offline payments (cheque, cash).
    pub offline_receipt_type: String,
    /// The deposit / clearing account receipts go to.
    pub deposit_account: String,
    /// The storefront customer group whose orders are B2B (`None`: any order with a company).
    pub b2b_customer_group: Option<String>,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            database_url: "sqlite::memory:".into(),
            secure_cookies: true,
            session_ttl_secs: 8 * 3600,
            login_max_failures: 5,
            login_window_secs: 15 * 60,
            password_cost: PasswordCost::default(),
            import_source_code: "BC1".into(),
            card_receipt_type: "CARD".into(),
            offline_receipt_type: "CHECK".into(),
            deposit_account: "1050".into(),
            b2b_customer_group: None,
        }
    }
}

impl PortalConfig {
    /// Reads settings from TOML; unknown keys are refused, naming the key.
    pub fn from_toml_str(text: &str) -> Result<Self, String> {
        let cfg: PortalConfig = toml_like(text)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the values.
    pub fn validate(&self) -> Result<(), String> {
        if !self.database_url.starts_with("sqlite:") {
            return Err(format!(
                "portal.database_url: `{}` is not supported yet (only sqlite:)",
                self.database_url
            ));
        }
        if self.login_max_failures == 0 {
            return Err("portal.login_max_failures must be at least 1".into());
        }
        if self.session_ttl_secs < 60 {
            return Err("portal.session_ttl_secs must be at least 60".into());
        }
        if self.password_cost.memory_kib < 1024 {
            return Err("portal.password_cost.memory_kib must be at least 1024".into());
        }
        if self.import_source_code.trim().is_empty() {
            return Err("portal.import_source_code must not be empty".into());
        }
        Ok(())
    }

    /// The session lifetime.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl_secs)
    }
}

fn toml_like(text: &str) -> Result<PortalConfig, String> {
    toml::from_str(text).map_err(|e| format!("portal settings: {e}"))
}
