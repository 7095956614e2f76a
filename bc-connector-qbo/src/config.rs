//! How to reach one QuickBooks Online company: [`QboConfig`], the settings file's `[ledger]`
//! table (`platform = "qbo"`), and [`QboOptions`], what the client is built from.
//!
//! ```toml
//! [ledger]
//! platform = "qbo"
//! realm_id = "9130354973581234"
//! client_id = "ABcd..."
//! client_secret = "env:QBO_CLIENT_SECRET"
//! # The FIRST token set only: once bcsync has stored a set in the state store (after its
//! # first refresh, or `bcsync connect qbo`), the stored set wins over this key.
//! refresh_token = "env:QBO_REFRESH_TOKEN"
//! redirect_uri = "http://127.0.0.1:8765/callback"   # `bcsync connect qbo`
//! currencies = ["CAD", "EUR"]                        # multicurrency companies
//! ```

use std::fmt;
use std::time::Duration;

use std::sync::Arc;

use bc_core::{Error, Result};

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

/// Where `bcsync connect qbo` asks Intuit to send the browser back, unless
/// `ledger.redirect_uri` says otherwise (register it with the app on developer.intuit.com).
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

/// The settings file's `[ledger]` table for QuickBooks Online (`platform = "qbo"`). Unknown
/// keys are refused; errors name the full key (`ledger.realm_id`).
///
/// `refresh_token` is the **first** token set only. bcsync keeps the token set it uses in the
/// state store (QBO rotates refresh tokens: the one used stops working once its successor is
/// issued), so once a set is stored — after the first refresh, or by `bcsync connect qbo` —
/// the stored set wins and this key is no longer read. To replace a stored set, run
/// `bcsync connect qbo` again. `refresh_token` may be left out when a set is stored.
///
/// When `base_url` points at a server other than Intuit's (a local sandbox) and `token_url` /
/// `authorize_url` are not given, they are that server's `/oauth2/v1/tokens/bearer` and
/// `/connect/oauth2`, the paths `bcsync sandbox qbo` serves.
#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QboConfig {
    /// The company (realm) id.
    pub realm_id: String,
    /// The app's OAuth 2.0 client id.
    pub client_id: String,
    /// The app's OAuth 2.0 client secret (`env:NAME` reads an environment variable).
    pub client_secret: bc_core::settings::Secret,
    /// The first refresh token (see the type's documentation: a stored set wins).
    #[serde(default)]
    pub refresh_token: Option<bc_core::settings::Secret>,
    /// API base URL; default [`PRODUCTION_BASE_URL`]. Plain `http` only for loopback hosts.
    #[serde(default)]
    pub base_url: Option<String>,
    /// OAuth 2.0 token endpoint; default [`TOKEN_URL`] (or the sandbox's, see above).
    #[serde(default)]
    pub token_url: Option<String>,
    /// The consent page `bcsync connect qbo` sends the user to; default Intuit's
    /// ([`crate::oauth::AUTHORIZE_URL`]) or the sandbox's.
    #[serde(default)]
    pub authorize_url: Option<String>,
    /// The loopback redirect URI of `bcsync connect qbo` (default [`DEFAULT_REDIRECT_URI`]);
    /// it must be one of the app's registered redirect URIs.
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// `minorversion` sent with every request (default [`MINOR_VERSION`]).
    #[serde(default)]
    pub minor_version: Option<u32>,
    /// Non-US companies: the tax code of lines the posting plan left without one.
    #[serde(default)]
    pub default_tax_code: Option<String>,
    /// Multicurrency companies: currencies documents may be in besides those QBO's
    /// `CompanyCurrency` list reports.
    #[serde(default)]
    pub currencies: Vec<bc_core::Currency>,
    /// The app's webhook verifier token (developer.intuit.com → the app → Webhooks): what
    /// `bcsync run --listen` checks `intuit-signature` with on `POST /webhooks/qbo`.
    #[serde(default)]
    pub webhook_verifier_token: Option<bc_core::settings::Secret>,
}

impl fmt::Debug for QboConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QboConfig")
            .field("realm_id", &self.realm_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"******")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "******"),
            )
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field("authorize_url", &self.authorize_url)
            .field("redirect_uri", &self.redirect_uri)
            .field("minor_version", &self.minor_version)
            .field("default_tax_code", &self.default_tax_code)
            .field("currencies", &self.currencies)
            .field(
                "webhook_verifier_token",
                &self.webhook_verifier_token.as_ref().map(|_| "******"),
            )
            .finish()
    }
}

/// Intuit's own hosts (API and OAuth), for which the OAuth URLs are Intuit's.
fn is_intuit(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|h| h == "intuit.com" || h.ends_with(".intuit.com"))
}

/// Checks that `value` of `key` is an absolute `https` URL, or `http` to a loopback host.
fn check_url(key: &str, value: &str) -> Result<()> {
    let url = url::Url::parse(value)
        .map_err(|e| Error::config(key, format!("`{value}` is not a URL ({e})")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if url.host_str().is_some_and(bc_http::transport::is_loopback_host) => Ok(()),
        other => Err(Error::config(
            key,
            format!("`{value}`: only https is allowed (plain http only to a loopback host), found `{other}`"),
        )),
    }
}

impl QboConfig {
    /// Reads the `[ledger]` section (`platform = "qbo"`): unknown keys are refused and errors
    /// name the full key (`ledger.realm_id`) and the value.
    pub fn from_table(section: &bc_core::settings::PlatformSettings) -> Result<Self> {
        section.expect_platform(crate::PLATFORM)?;
        let config: QboConfig = section.parse()?;
        config.validate(&section.section)?;
        Ok(config)
    }

    /// Checks what the types cannot: ids that go into URL paths, URLs. `section` is the key
    /// prefix of errors (`ledger`).
    pub fn validate(&self, section: &str) -> Result<()> {
        let key = |k: &str| format!("{section}.{k}");
        let realm = self.realm_id.trim();
        if realm.is_empty() {
            return Err(Error::config(&key("realm_id"), "is empty"));
        }
        if realm.contains(['/', '?', '#', '%']) || realm.chars().any(char::is_whitespace) {
            return Err(Error::config(
                &key("realm_id"),
                format!("`{realm}` is not a company id (QBO's are digits, e.g. 9130354973581234)"),
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err(Error::config(&key("client_id"), "is empty"));
        }
        for (k, v) in [
            ("base_url", &self.base_url),
            ("token_url", &self.token_url),
            ("authorize_url", &self.authorize_url),
        ] {
            if let Some(v) = v {
                check_url(&key(k), v)?;
            }
        }
        if let Some(r) = &self.redirect_uri {
            let url = url::Url::parse(r).map_err(|e| {
                Error::config(&key("redirect_uri"), format!("`{r}` is not a URL ({e})"))
            })?;
            if url.scheme() != "http"
                || !url
                    .host_str()
                    .is_some_and(bc_http::transport::is_loopback_host)
            {
                return Err(Error::config(
                    &key("redirect_uri"),
                    format!("`{r}`: `bcsync connect qbo` listens on a loopback address (http://127.0.0.1:PORT/…)"),
                ));
            }
        }
        if self.minor_version == Some(0) {
            return Err(Error::config(&key("minor_version"), "must be at least 1"));
        }
        Ok(())
    }

    /// The API base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url
            .as_deref()
            .unwrap_or(PRODUCTION_BASE_URL)
            .trim_end_matches('/')
            .to_string()
    }

    /// Whether `base_url` is a server other than Intuit's (a sandbox).
    fn is_local(&self) -> bool {
        self.base_url.as_deref().is_some_and(|b| !is_intuit(b))
    }

    /// The token endpoint: `token_url`, else the sandbox's, else Intuit's.
    pub fn token_url(&self) -> String {
        match &self.token_url {
            Some(t) => t.clone(),
            None if self.is_local() => format!("{}/oauth2/v1/tokens/bearer", self.base_url()),
            None => TOKEN_URL.to_string(),
        }
    }

    /// The consent page: `authorize_url`, else the sandbox's, else Intuit's.
    pub fn authorize_url(&self) -> String {
        match &self.authorize_url {
            Some(a) => a.clone(),
            None if self.is_local() => format!("{}/connect/oauth2", self.base_url()),
            None => crate::oauth::AUTHORIZE_URL.to_string(),
        }
    }

    /// The redirect URI of `bcsync connect qbo`.
    pub fn redirect_uri(&self) -> String {
        self.redirect_uri
            .clone()
            .unwrap_or_else(|| DEFAULT_REDIRECT_URI.to_string())
    }

    /// The client secret, `env:NAME` resolved; errors name `<section>.client_secret`.
    pub fn client_secret(&self, section: &str) -> Result<SecretString> {
        self.client_secret
            .resolve(&format!("{section}.client_secret"))
    }

    /// The settings' refresh token, `env:NAME` resolved; `None` when absent or empty.
    pub fn refresh_token(&self, section: &str) -> Result<Option<SecretString>> {
        use secrecy::ExposeSecret;
        match &self.refresh_token {
            None => Ok(None),
            Some(s) => {
                let t = s.resolve(&format!("{section}.refresh_token"))?;
                Ok((!t.expose_secret().trim().is_empty()).then_some(t))
            }
        }
    }

    /// The client options (secrets resolved). Without a refresh token in the settings the
    /// options carry an empty one: the connection then needs a stored token set
    /// ([`crate::connect`] checks).
    pub fn options(&self) -> Result<QboOptions> {
        self.options_in("ledger")
    }

    /// [`QboConfig::options`] with errors naming keys under `section`.
    pub fn options_in(&self, section: &str) -> Result<QboOptions> {
        let refresh = self
            .refresh_token(section)?
            .unwrap_or_else(|| SecretString::from(String::new()));
        let mut o = QboOptions::new(
            self.realm_id.trim(),
            self.client_id.trim(),
            self.client_secret(section)?,
            refresh,
        )
        .with_base_url(self.base_url())
        .with_token_url(self.token_url());
        if let Some(m) = self.minor_version {
            o.minor_version = m;
        }
        if let Some(t) = &self.default_tax_code {
            o = o.with_default_tax_code(t.clone());
        }
        o.currencies = self.currencies.clone();
        Ok(o)
    }

    /// The authorization-code flow of `bcsync connect qbo` for this app.
    pub fn authorization(&self) -> Result<crate::oauth::Authorization> {
        Ok(crate::oauth::Authorization {
            client_id: self.client_id.trim().to_string(),
            client_secret: self.client_secret("ledger")?,
            authorize_url: self.authorize_url(),
            token_url: self.token_url(),
            redirect_uri: self.redirect_uri(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bc_core::settings::PlatformSettings;
    use bc_core::ErrorKind;
    use secrecy::ExposeSecret;

    fn parse(text: &str) -> Result<QboConfig> {
        QboConfig::from_table(&PlatformSettings::from_toml_str("ledger", text)?)
    }

    const MINIMAL: &str = "platform = \"qbo\"\nrealm_id = \"123\"\nclient_id = \"abc\"\nclient_secret = \"shh-secret\"\n";

    #[test]
    fn unknown_and_missing_keys_name_the_full_key() {
        let e = parse(&format!("{MINIMAL}realm = \"x\"\n"))
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains("ledger.realm")),
            "{e:?}"
        );
        let e = parse("platform = \"qbo\"\nclient_id = \"a\"\nclient_secret = \"b\"\n")
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains("ledger.realm_id")),
            "{e:?}"
        );
        let e = parse(&MINIMAL.replace("\"qbo\"", "\"bc365\""))
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains("ledger.platform")),
            "{e:?}"
        );
        let e = parse(&format!(
            "{MINIMAL}base_url = \"http://quickbooks.example.com\"\n"
        ))
        .err()
        .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains("ledger.base_url")),
            "{e:?}"
        );
        let e = parse(&format!(
            "{MINIMAL}redirect_uri = \"https://example.com/cb\"\n"
        ))
        .err()
        .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("ledger.redirect_uri")),
            "{e:?}"
        );
        let e = parse(&MINIMAL.replace("\"123\"", "\"12/3\"")).err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::Config));
    }

    #[test]
    fn defaults_are_intuit_and_a_sandbox_base_brings_its_oauth_urls() {
        let c = parse(MINIMAL).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.base_url(), PRODUCTION_BASE_URL);
        assert_eq!(c.token_url(), TOKEN_URL);
        assert_eq!(c.authorize_url(), crate::oauth::AUTHORIZE_URL);
        assert_eq!(c.redirect_uri(), DEFAULT_REDIRECT_URI);
        let o = c.options().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.minor_version, MINOR_VERSION);
        assert_eq!(o.refresh_token.expose_secret(), "");
        let c = parse(&format!(
            "{MINIMAL}base_url = \"http://127.0.0.1:4000/\"\nrefresh_token = \"r1\"\ncurrencies = [\"CAD\"]\n"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.token_url(),
            "http://127.0.0.1:4000/oauth2/v1/tokens/bearer"
        );
        assert_eq!(c.authorize_url(), "http://127.0.0.1:4000/connect/oauth2");
        let o = c.options().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.base_url, "http://127.0.0.1:4000");
        assert_eq!(o.refresh_token.expose_secret(), "r1");
        assert_eq!(o.currencies, vec![bc_core::Currency::CAD]);
        let c = parse(&format!("{MINIMAL}base_url = \"{SANDBOX_BASE_URL}\"\n"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.token_url(), TOKEN_URL);
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let c = parse(&format!("{MINIMAL}refresh_token = \"refresh-secret\"\n"))
            .unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{c:?} {:?}", c.options());
        assert!(
            !shown.contains("shh-secret") && !shown.contains("refresh-secret"),
            "{shown}"
        );
    }
}
