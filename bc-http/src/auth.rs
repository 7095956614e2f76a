//! Authentication: what a client adds to each request, and the OAuth2 token cache.
//!
//! - [`StaticHeaderAuth`]: a fixed secret header (BigCommerce `X-Auth-Token`);
//! - [`BearerAuth`] over a [`TokenCache`]: OAuth2 access tokens refreshed early, one refresh
//!   at a time, with rotated refresh tokens handed to a callback (QuickBooks Online rotates
//!   them; the host program must store the new one or lose access).
//!
//! Secrets are [`SecretString`]s; every `Debug` here prints `******` in their place.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use bc_core::{Error, ErrorKind, Result};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method, Request};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;
use tracing::Instrument;

use crate::classify::{default_classifier, error_from_response};
use crate::token_store::{StoredTokens, TokenStore};
use crate::transport::HttpTransport;

/// Adds credentials to requests. Object safe (`Arc<dyn AuthProvider>`).
#[async_trait]
pub trait AuthProvider: Send + Sync + fmt::Debug {
    /// Adds the credential headers (marked sensitive) to an outgoing request.
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<()>;

    /// Called once after a `401` on a request sent with `sent` headers; returns `true` when
    /// fresh credentials were obtained and one retry may succeed. The default: no.
    async fn refresh_after_unauthorized(&self, sent: &HeaderMap) -> Result<bool> {
        let _ = sent;
        Ok(false)
    }
}

fn secret_header_value(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        Error::new(
            ErrorKind::Config,
            "a credential contains characters not allowed in a header",
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// A fixed secret header, e.g. BigCommerce's `X-Auth-Token`, plus non-secret extras.
#[derive(Clone)]
pub struct StaticHeaderAuth {
    name: HeaderName,
    value: SecretString,
    extra: Vec<(HeaderName, HeaderValue)>,
}

impl fmt::Debug for StaticHeaderAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticHeaderAuth")
            .field("name", &self.name)
            .field("value", &"******")
            .finish()
    }
}

impl StaticHeaderAuth {
    /// Sends `value` in header `name` on every request.
    pub fn new(name: HeaderName, value: SecretString) -> Self {
        StaticHeaderAuth {
            name,
            value,
            extra: Vec::new(),
        }
    }

    /// Adds a non-secret header (e.g. `X-Auth-Client`).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.extra.push((name, value));
        self
    }
}

#[async_trait]
impl AuthProvider for StaticHeaderAuth {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<()> {
        headers.insert(
            self.name.clone(),
            secret_header_value(self.value.expose_secret())?,
        );
        for (n, v) in &self.extra {
            headers.insert(n.clone(), v.clone());
        }
        Ok(())
    }
}

/// Receives a rotated refresh token so that the host program can persist it.
pub type RotationCallback = Arc<dyn Fn(&SecretString) + Send + Sync>;

/// An OAuth2 client's settings for the refresh-token grant.
#[derive(Clone)]
pub struct OAuth2Config {
    /// The token endpoint (`https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer`).
    pub token_url: String,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: SecretString,
    /// Refresh this long before the access token expires (default 5 minutes).
    pub refresh_early: Duration,
    /// What a person must fix when the refresh token is refused, named in the error (the
    /// settings key, and how to get a new token).
    pub refresh_token_setting: Option<String>,
}

impl fmt::Debug for OAuth2Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Config")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"******")
            .field("refresh_early", &self.refresh_early)
            .finish()
    }
}

impl OAuth2Config {
    /// Settings with the default early refresh.
    pub fn new(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        OAuth2Config {
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret,
            refresh_early: Duration::from_secs(300),
            refresh_token_setting: None,
        }
    }

    /// Names, in the error of a refused refresh token, what a person must fix.
    pub fn with_refresh_token_setting(mut self, setting: impl Into<String>) -> Self {
        self.refresh_token_setting = Some(setting.into());
        self
    }
}

struct CachedToken {
    token: SecretString,
    expires_at: Instant,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// OAuth2 access tokens for one account: refreshed early, single flight (one refresh under
/// any number of concurrent callers, re-checked after taking the lock), refreshed through a
/// form `POST` with HTTP Basic client authentication (Intuit's style).
pub struct TokenCache {
    config: OAuth2Config,
    transport: Arc<dyn HttpTransport>,
    current: RwLock<Option<CachedToken>>,
    refresh_token: tokio::sync::Mutex<SecretString>,
    on_rotate: Option<RotationCallback>,
    refreshes: AtomicU64,
    platform: String,
    store: Option<Arc<dyn TokenStore>>,
}

/// How long a process may hold a refresh claim in a [`TokenStore`] before others take over.
const CLAIM: Duration = Duration::from_secs(30);
/// How long a caller waits for another process's refresh before giving up.
const CLAIM_WAIT: Duration = Duration::from_secs(60);
/// How long a new token set's save is retried while the store answers "busy" (well within
/// [`CLAIM`], so no other process takes the refresh over meanwhile).
const SAVE_PATIENCE: Duration = Duration::from_secs(20);

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("platform", &self.platform)
            .field("config", &self.config)
            .field("access_token", &"******")
            .field("refresh_token", &"******")
            .field("refreshes", &self.refreshes.load(Ordering::Relaxed))
            .finish()
    }
}

/// Saves a token set, retrying a store that answers with a temporary error (a busy database)
/// for up to [`SAVE_PATIENCE`]: once a rotating platform has answered a refresh, the refresh
/// token just used is dead and the new one exists only in this process — a save given up too
/// early would leave the next process (or the next worker) an account it cannot open.
async fn save_set(
    store: &dyn TokenStore,
    claimed: u64,
    set: StoredTokens,
    platform: &str,
) -> Result<bool> {
    let give_up = Instant::now() + SAVE_PATIENCE;
    let mut wait = Duration::from_millis(50);
    loop {
        match store.compare_and_swap(claimed, set.clone()).await {
            Err(e) if e.is_temporary() && Instant::now() + wait < give_up => {
                tracing::warn!(platform = %platform, error = %e, "cannot save the token set yet; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            other => return other,
        }
    }
}

impl TokenCache {
    /// A cache with no access token yet: the first call refreshes.
    pub fn new(
        platform: impl Into<String>,
        config: OAuth2Config,
        refresh_token: SecretString,
        transport: Arc<dyn HttpTransport>,
    ) -> Self {
        TokenCache {
            config,
            transport,
            current: RwLock::new(None),
            refresh_token: tokio::sync::Mutex::new(refresh_token),
            on_rotate: None,
            refreshes: AtomicU64::new(0),
            platform: platform.into(),
            store: None,
        }
    }

    /// Keeps the token set in `store`, shared with every other process of the account:
    /// the stored set wins over the refresh token given to [`TokenCache::new`] (it is newer),
    /// a refresh is claimed with a compare-and-swap so that one process refreshes while the
    /// others wait and re-read, and each rotated refresh token is saved.
    pub fn with_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Seeds a known access token valid for `valid_for` from now.
    pub fn with_access_token(self, token: SecretString, valid_for: Duration) -> Self {
        self.store(token, valid_for);
        self
    }

    /// Calls `callback` with every new refresh token the platform issues.
    pub fn with_rotation_callback(mut self, callback: RotationCallback) -> Self {
        self.on_rotate = Some(callback);
        self
    }

    /// How many refreshes were made.
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    fn store(&self, token: SecretString, valid_for: Duration) {
        let cached = CachedToken {
            token,
            expires_at: Instant::now() + valid_for,
        };
        match self.current.write() {
            Ok(mut g) => *g = Some(cached),
            Err(p) => *p.into_inner() = Some(cached),
        }
    }

    fn fresh(&self) -> Option<SecretString> {
        let guard = match self.current.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        guard.as_ref().and_then(|c| {
            (Instant::now() + self.config.refresh_early < c.expires_at).then(|| c.token.clone())
        })
    }

    fn current_is(&self, token: &str) -> bool {
        let guard = match self.current.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        guard
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == token)
    }

    /// A valid access token, refreshing first when it expires within `refresh_early`.
    pub async fn access_token(&self) -> Result<SecretString> {
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let mut refresh = self.refresh_token.lock().await;
        // Another caller may have refreshed while we waited for the lock.
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        if self.store.is_some() {
            return self.shared_refresh(&mut refresh, None).await;
        }
        self.refresh_locked(&mut refresh).await
    }

    /// Refreshes because the platform refused `stale` (a `401`), unless another caller has
    /// already replaced it.
    pub async fn refresh_if_current(&self, stale: &str) -> Result<()> {
        let mut refresh = self.refresh_token.lock().await;
        if self.current_is(stale) || self.fresh().is_none() {
            if self.store.is_some() {
                self.shared_refresh(&mut refresh, Some(stale)).await?;
            } else {
                self.refresh_locked(&mut refresh).await?;
            }
        }
        Ok(())
    }

    /// The refresh through the [`TokenStore`]: adopt what another process stored, else claim
    /// the refresh (compare-and-swap), refresh, save the new set, release.
    async fn shared_refresh(
        &self,
        refresh: &mut SecretString,
        stale: Option<&str>,
    ) -> Result<SecretString> {
        let Some(store) = self.store.clone() else {
            return self.refresh_locked(refresh).await;
        };
        let give_up = Instant::now() + CLAIM_WAIT;
        loop {
            let now = std::time::SystemTime::now();
            let stored = match store.load().await? {
                Some(s) => s,
                None => StoredTokens::new(refresh.clone()),
            };
            if let (Some(token), Some(expires)) = (&stored.access_token, stored.access_expires_at) {
                let left = expires.duration_since(now).unwrap_or_default();
                if left > self.config.refresh_early && Some(token.expose_secret()) != stale {
                    // Another process (or an earlier run) refreshed: adopt its set.
                    *refresh = stored.refresh_token.clone();
                    self.store(token.clone(), left);
                    return Ok(token.clone());
                }
            }
            if stored.refreshing_until.is_some_and(|u| u > now) {
                if Instant::now() >= give_up {
                    return Err(Error::new(
                        ErrorKind::Unavailable,
                        "another process has been refreshing the OAuth2 token for too long",
                    )
                    .with_platform(self.platform.clone()));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            let mut claim = stored.clone();
            claim.refreshing_until = Some(now + CLAIM);
            if !store.compare_and_swap(stored.generation, claim).await? {
                continue; // someone else changed the set: look again
            }
            let claimed = stored.generation + 1;
            let mut rotated = stored.refresh_token.clone();
            let result = self.refresh_locked(&mut rotated).await;
            let saved = match &result {
                Ok(access) => {
                    let valid_for = self.valid_for();
                    let new = StoredTokens {
                        refresh_token: rotated.clone(),
                        access_token: Some(access.clone()),
                        access_expires_at: Some(std::time::SystemTime::now() + valid_for),
                        refreshing_until: None,
                        generation: 0,
                    };
                    *refresh = rotated;
                    save_set(&*store, claimed, new, &self.platform).await
                }
                Err(_) => {
                    let mut release = stored.clone();
                    release.refreshing_until = None;
                    save_set(&*store, claimed, release, &self.platform).await
                }
            };
            let access = result?;
            match saved {
                Ok(true) => {}
                Ok(false) => tracing::warn!(
                    platform = %self.platform,
                    "the stored token set changed during this process's refresh claim"
                ),
                Err(e) => {
                    tracing::warn!(platform = %self.platform, error = %e, "cannot save the new token set");
                    return Err(e);
                }
            }
            return Ok(access);
        }
    }

    fn valid_for(&self) -> Duration {
        let guard = match self.current.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        guard
            .as_ref()
            .map(|c| c.expires_at.saturating_duration_since(Instant::now()))
            .unwrap_or_default()
    }

    async fn refresh_locked(&self, refresh: &mut SecretString) -> Result<SecretString> {
        let span = tracing::info_span!(
            "oauth2_refresh",
            platform = %self.platform,
            status = tracing::field::Empty
        );
        let result = self.do_refresh(refresh).instrument(span.clone()).await;
        if let Err(e) = &result {
            tracing::warn!(parent: &span, error = %e, "token refresh failed");
        }
        result
    }

    async fn do_refresh(&self, refresh: &mut SecretString) -> Result<SecretString> {
        let op = "refresh OAuth2 token";
        let body = serde_urlencoded::to_string([
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose_secret()),
        ])
        .map_err(|e| {
            Error::new(ErrorKind::Internal, "cannot encode the token request").with_source(e)
        })?;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.config.client_id,
            self.config.client_secret.expose_secret()
        ));
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.config.token_url.as_str())
            .body(Bytes::from(body))
            .map_err(|_| Error::config("token_url", "is not a valid URL"))?;
        let h = request.headers_mut();
        h.insert(
            AUTHORIZATION,
            secret_header_value(&format!("Basic {basic}"))?,
        );
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        h.insert(ACCEPT, HeaderValue::from_static("application/json"));
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        let response = self.transport.send(request).await.map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("token endpoint unreachable: {e}"),
            )
            .with_platform(self.platform.clone())
            .with_operation(op)
        })?;
        tracing::Span::current().record("status", response.status().as_u16());
        if !response.status().is_success() {
            let err = error_from_response(
                &self.platform,
                op,
                response.status(),
                response.headers(),
                response.body(),
                &default_classifier(),
            );
            // A refused refresh token is not a bad request: the account must reconnect. A
            // throttled (429) or timed-out (408) refresh is not a refusal: it stays temporary.
            let refused = response.status().is_client_error()
                && !matches!(response.status().as_u16(), 408 | 429);
            let err = if refused {
                let fix = self
                    .config
                    .refresh_token_setting
                    .as_deref()
                    .map(|s| format!(": the refresh token was refused; fix {s}"))
                    .unwrap_or_default();
                Error::new(
                    ErrorKind::Unauthenticated,
                    format!("{}{fix}", err.message()),
                )
                .with_platform(self.platform.clone())
                .with_operation(op)
                .with_platform_code(err.platform_code().unwrap_or("invalid_grant").to_string())
            } else {
                err
            };
            return Err(err);
        }
        let parsed: TokenResponse = serde_json::from_slice(response.body()).map_err(|_| {
            // serde's message could quote the token: say only what failed.
            Error::protocol("the token endpoint's response is not a token response")
                .with_platform(self.platform.clone())
                .with_operation(op)
        })?;
        let expires_in = parsed
            .expires_in
            .as_ref()
            .and_then(|v| match v {
                serde_json::Value::Number(n) => n.to_string().parse::<u64>().ok(),
                serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
                _ => None,
            })
            .unwrap_or(3600);
        let access = SecretString::from(parsed.access_token);
        if let Some(new_refresh) = parsed.refresh_token.filter(|r| !r.is_empty()) {
            if new_refresh != refresh.expose_secret() {
                *refresh = SecretString::from(new_refresh);
                if let Some(cb) = &self.on_rotate {
                    cb(refresh);
                }
            }
        }
        self.store(access.clone(), Duration::from_secs(expires_in));
        Ok(access)
    }
}

/// `Authorization: Bearer` from a [`TokenCache`]; a `401` triggers one refresh and one retry.
#[derive(Clone, Debug)]
pub struct BearerAuth {
    cache: Arc<TokenCache>,
}

impl BearerAuth {
    /// Uses `cache`.
    pub fn new(cache: Arc<TokenCache>) -> Self {
        BearerAuth { cache }
    }

    /// The cache.
    pub fn cache(&self) -> &Arc<TokenCache> {
        &self.cache
    }
}

#[async_trait]
impl AuthProvider for BearerAuth {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<()> {
        let token = self.cache.access_token().await?;
        headers.insert(
            AUTHORIZATION,
            secret_header_value(&format!("Bearer {}", token.expose_secret()))?,
        );
        Ok(())
    }

    async fn refresh_after_unauthorized(&self, sent: &HeaderMap) -> Result<bool> {
        let stale = sent
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        self.cache.refresh_if_current(stale).await?;
        Ok(true)
    }
}
