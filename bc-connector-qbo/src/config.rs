//! How to reach one QuickBooks Online company.

use std::fmt;
use std::time::Duration;

use bc_core::settings::LedgerSettings;
use bc_core::{Error, Result};
use std::sync::Arc;

use bc_http::{RateLimits, RetryPolicy, RotationCallback, TokenStore};
use secrecy::SecretString;

/// Intuit's production API.
pub const PRODUCTION_BASE_URL: &str = "https://quickbooks.api.intuit.com";
/// Intuit's development-sandbox API.
pub const SANDBOX_BASE_URL: &str = "https://sandbox-quickbooks.api.intuit.com";
/// Intuit's OAuth 2.0 token endpoint.
pub const TOKEN_URL: &str = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer";
/// The `minorversion` sent with every request.
pub const MINOR_VERSION: u32 = 75;
/// Items in one `/batch` request.
pub const BATCH_SIZE: usize = 30;

/// QBO's published limits per realm: 500 requests per minute, 10 in flight. The budget of
/// ordinary requests keeps 40 a minute aside for `/batch` calls, which have their own quota
/// (40 per minute, [`qbo_batch_limits`]) and count towards the 500 too. QBO counts any 60
/// seconds, so both budgets are sliding windows: a token bucket would send up to twice its
/// rate in one minute (a full bucket plus its refill) and meet 429s — what issue 12 saw on
/// `/batch`. The in-flight caps add up to QBO's 10 (6 ordinary + 4 batch).
pub fn qbo_rate_limits() -> RateLimits {
    RateLimits::new(460, Duration::from_secs(60))
        .with_max_in_flight(6)
        .with_sliding_window()
}

/// QBO's `/batch` quota per realm: 40 batches per minute, counted as a sliding window.
pub fn qbo_batch_limits() -> RateLimits {
    RateLimits::new(40, Duration::from_secs(60))
        .with_max_in_flight(4)
        .with_sliding_window()
}

/// How long a realm pauses after a 429, which QBO sends without a wait header.
pub const THROTTLE_WAIT: Duration = Duration::from_secs(15);

/// The connection to one company (realm).
///
/// `Debug` never shows the client secret, the refresh token or the access token.
#[derive(Clone)]
pub struct QboOptions {
    /// The company (realm) id.
    pub realm_id: String,
    /// API base URL (no trailing slash): [`PRODUCTION_BASE_URL`], [`SANDBOX_BASE_URL`] or a
    /// local fake. Plain `http` is refused unless the host is loopback.
    pub base_url: String,
    /// OAuth 2.0 token endpoint.
    pub token_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
    /// The current refresh token (QBO rotates it; see `on_refresh_token`).
    pub refresh_token: SecretString,
    /// A known access token and how long it stays valid (skips the first refresh).
    pub access_token: Option<(SecretString, Duration)>,
    /// `minorversion` (default 75).
    pub minor_version: u32,
    /// Non-US companies: the tax code (id or name) of lines the posting plan left without
    /// one (`posting.non_taxable_code` unset); `None` lets QBO use the item's own code.
    pub default_tax_code: Option<String>,
    /// Multicurrency companies: currencies documents may be in besides the home currency,
    /// added to those QBO's `CompanyCurrency` list reports.
    pub currencies: Vec<bc_core::Currency>,
    /// Receives every new refresh token so the host program can store it.
    pub on_refresh_token: Option<RotationCallback>,
    /// The realm's rate budget (default [`qbo_rate_limits`]).
    pub rate_limits: RateLimits,
    /// The `/batch` quota (default [`qbo_batch_limits`]).
    pub batch_limits: RateLimits,
    /// Retries of temporary failures.
    pub retry: RetryPolicy,
    /// Where the token set is kept and shared with other processes (single-flight refresh,
    /// rotated refresh tokens kept); `None`: in memory, plus `on_refresh_token`.
    pub token_store: Option<Arc<dyn TokenStore>>,
}

impl fmt::Debug for QboOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QboOptions")
            .field("realm_id", &self.realm_id)
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"******")
            .field("refresh_token", &"******")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "******"),
            )
            .field("minor_version", &self.minor_version)
            .field("default_tax_code", &self.default_tax_code)
            .field("currencies", &self.currencies)
            .field("rate_limits", &self.rate_limits)
            .field("batch_limits", &self.batch_limits)
            .field("token_store", &self.token_store.is_some())
            .finish()
    }
}

impl QboOptions {
    /// Options for `realm_id` on Intuit's production API.
    pub fn new(
        realm_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
        refresh_token: SecretString,
    ) -> Self {
        QboOptions {
            realm_id: realm_id.into(),
            base_url: PRODUCTION_BASE_URL.to_string(),
            token_url: TOKEN_URL.to_string(),
            client_id: client_id.into(),
            client_secret,
            refresh_token,
            access_token: None,
            minor_version: MINOR_VERSION,
            default_tax_code: None,
            currencies: Vec::new(),
            on_refresh_token: None,
            rate_limits: qbo_rate_limits(),
            batch_limits: qbo_batch_limits(),
            retry: RetryPolicy::default(),
            token_store: None,
        }
    }

    /// Options from the settings file's `[ledger]` table (`platform = "qbo"`).
    pub fn from_settings(settings: &LedgerSettings) -> Result<Self> {
        match settings {
            LedgerSettings::Qbo {
                realm_id,
                client_id,
                client_secret,
                refresh_token,
                base_url,
                token_url,
                minor_version,
            } => {
                let mut o = QboOptions::new(
                    realm_id.clone(),
                    client_id.clone(),
                    client_secret.resolve("ledger.client_secret")?,
                    refresh_token.resolve("ledger.refresh_token")?,
                );
                if let Some(b) = base_url {
                    o.base_url = b.trim_end_matches('/').to_string();
                }
                if let Some(t) = token_url {
                    o.token_url = t.clone();
                }
                if let Some(m) = minor_version {
                    o.minor_version = *m;
                }
                Ok(o)
            }
            other => Err(Error::config(
                "ledger.platform",
                format!("expected `qbo`, found `{}`", other.platform()),
            )),
        }
    }

    /// Uses this base URL (for a local fake server).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_string();
        self
    }

    /// Uses this token endpoint.
    pub fn with_token_url(mut self, token_url: impl Into<String>) -> Self {
        self.token_url = token_url.into();
        self
    }

    /// Starts with a known access token valid for `valid_for`.
    pub fn with_access_token(mut self, token: SecretString, valid_for: Duration) -> Self {
        self.access_token = Some((token, valid_for));
        self
    }

    /// Hands every rotated refresh token to `callback`.
    pub fn with_refresh_token_callback(mut self, callback: RotationCallback) -> Self {
        self.on_refresh_token = Some(callback);
        self
    }

    /// Non-US: the tax code of lines without one.
    pub fn with_default_tax_code(mut self, code: impl Into<String>) -> Self {
        self.default_tax_code = Some(code.into());
        self
    }

    /// Uses this retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Keeps the token set in `store` (shared by every process of the realm).
    pub fn with_token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Uses these `/batch` limits.
    pub fn with_batch_limits(mut self, limits: RateLimits) -> Self {
        self.batch_limits = limits;
        self
    }

    /// Uses these limits.
    pub fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }
}
