//! Microsoft Entra ID client credentials: a token for the service principal, cached until
//! shortly before it expires, fetched by one caller at a time; a `401` drops it and fetches
//! a fresh one once.
//!
//! `POST {login}/{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials`,
//! `client_id`, `client_secret`, `scope=https://api.businesscentral.dynamics.com/.default`.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use bc_core::{Error, ErrorKind, Result};
use bc_http::{AuthProvider, HttpTransport};
use bytes::Bytes as Body;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method, Request};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;

use crate::error::read_body;
use crate::PLATFORM;

/// Refresh this long before the token expires.
const EARLY: Duration = Duration::from_secs(300);

/// Client-credentials tokens for one app registration in one tenant.
pub struct EntraAuth {
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    scope: String,
    transport: Arc<dyn HttpTransport>,
    current: RwLock<Option<(SecretString, Instant)>>,
    fetch: tokio::sync::Mutex<()>,
}

impl fmt::Debug for EntraAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraAuth")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"******")
            .field("access_token", &"******")
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl EntraAuth {
    /// Tokens from `token_url` for `client_id` with `scope`.
    pub fn new(
        token_url: String,
        client_id: String,
        client_secret: SecretString,
        scope: String,
        transport: Arc<dyn HttpTransport>,
    ) -> Self {
        EntraAuth {
            token_url,
            client_id,
            client_secret,
            scope,
            transport,
            current: RwLock::new(None),
            fetch: tokio::sync::Mutex::new(()),
        }
    }

    fn fresh(&self) -> Option<SecretString> {
        let g = self.current.read().unwrap_or_else(|e| e.into_inner());
        g.as_ref()
            .filter(|(_, exp)| Instant::now() + EARLY < *exp)
            .map(|(t, _)| t.clone())
    }

    /// A valid access token.
    pub async fn token(&self) -> Result<SecretString> {
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let _one = self.fetch.lock().await;
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        self.request().await
    }

    async fn request(&self) -> Result<SecretString> {
        let op = "get an Entra ID token";
        let body = serde_urlencoded::to_string([
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
            ("scope", self.scope.as_str()),
        ])
        .map_err(|_| Error::new(ErrorKind::Internal, "cannot encode the token request"))?;
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(self.token_url.as_str())
            .body(Body::from(body))
            .map_err(|_| Error::config("ledger.login_url", "is not a valid URL"))?;
        let h = req.headers_mut();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        h.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let resp = self.transport.send(req).await.map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("token endpoint unreachable: {e}"),
            )
            .with_platform(PLATFORM)
            .with_operation(op)
        })?;
        let status = resp.status();
        if !status.is_success() {
            let v: serde_json::Value = serde_json::from_slice(resp.body()).unwrap_or_default();
            let d = read_body(status.as_u16(), &v);
            let kind = if status.is_server_error() {
                ErrorKind::Unavailable
            } else {
                d.kind.unwrap_or(ErrorKind::Unauthenticated)
            };
            let mut e = Error::new(kind, format!("HTTP {status}"))
                .with_platform(PLATFORM)
                .with_operation(op);
            if let Some(c) = d.code {
                e = e.with_platform_code(c);
            }
            if let Some(m) = d.message {
                e = e.with_platform_message(m);
            }
            return Err(e);
        }
        let parsed: TokenResponse = serde_json::from_slice(resp.body()).map_err(|_| {
            Error::protocol("the token endpoint's response is not a token response")
                .with_platform(PLATFORM)
                .with_operation(op)
        })?;
        let secs = parsed
            .expires_in
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(3599);
        let token = SecretString::from(parsed.access_token);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) =
            Some((token.clone(), Instant::now() + Duration::from_secs(secs)));
        Ok(token)
    }
}

#[async_trait]
impl AuthProvider for EntraAuth {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<()> {
        let t = self.token().await?;
        let mut v =
            HeaderValue::from_str(&format!("Bearer {}", t.expose_secret())).map_err(|_| {
                Error::new(
                    ErrorKind::Protocol,
                    "the access token is not a valid header value",
                )
            })?;
        v.set_sensitive(true);
        headers.insert(AUTHORIZATION, v);
        Ok(())
    }

    async fn refresh_after_unauthorized(&self, sent: &HeaderMap) -> Result<bool> {
        let stale = sent
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let _one = self.fetch.lock().await;
        let same = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|(t, _)| t.expose_secret() == stale);
        if same || self.fresh().is_none() {
            self.request().await?;
        }
        Ok(true)
    }
}
