//! The OAuth 2.0 authorization-code flow that connects bcsync to a QBO company (`bcsync
//! connect qbo`), on the `oauth2` crate: build the URL the user opens
//! ([`Authorization::start`]), then exchange the `code` Intuit's redirect brings for a token
//! set ([`Authorization::exchange`]). The token request goes through a `bc-http` transport
//! (reqwest in production, the sandbox's router in tests).
//!
//! Intuit: authorize at `https://appcenter.intuit.com/connect/oauth2`, scope
//! `com.intuit.quickbooks.accounting`, `state` required, the redirect carries `code`, `state`
//! and `realmId`; tokens at [`crate::config::TOKEN_URL`] with HTTP Basic client credentials.

use std::sync::Arc;
use std::time::Duration;

use bc_core::{Error, ErrorKind, Result};
use bc_http::HttpTransport;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, RedirectUrl, Scope,
    TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};

use crate::error::PLATFORM;

/// Intuit's consent page.
pub const AUTHORIZE_URL: &str = "https://appcenter.intuit.com/connect/oauth2";
/// The scope of the Accounting API.
pub const ACCOUNTING_SCOPE: &str = "com.intuit.quickbooks.accounting";

/// The app's side of the flow.
#[derive(Clone)]
pub struct Authorization {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// The consent page ([`AUTHORIZE_URL`], or a sandbox's `/connect/oauth2`).
    pub authorize_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// Where the browser comes back (`http://127.0.0.1:PORT/callback` for a CLI).
    pub redirect_uri: String,
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("client_id", &self.client_id)
            .field("client_secret", &"******")
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// What the user opens, and the `state` the redirect must bring back.
#[derive(Clone, Debug)]
pub struct Started {
    /// The consent URL to print or open.
    pub url: String,
    /// The CSRF `state` in it.
    pub state: String,
}

/// The token set obtained. `Debug` hides the tokens.
#[derive(Clone)]
pub struct Connected {
    /// The company (`realmId` of the redirect).
    pub realm_id: String,
    /// Access token.
    pub access_token: SecretString,
    /// How long the access token lives.
    pub expires_in: Option<Duration>,
    /// Refresh token (store it: it is what keeps bcsync connected).
    pub refresh_token: SecretString,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("realm_id", &self.realm_id)
            .field("access_token", &"******")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &"******")
            .finish()
    }
}

fn config_error(key: &str, e: impl std::fmt::Display) -> Error {
    Error::config(key, format!("{e}"))
}

/// The `oauth2` transport error: the `bc-http` transport's, or a malformed request.
#[derive(Debug)]
pub struct ExchangeError(String);

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExchangeError {}

/// Compares two byte strings in time that depends on their lengths only, not on where they
/// differ (the `state` check must not tell an attacker how much of a guess was right), with
/// the `subtle` crate.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

impl Authorization {
    /// The consent URL with a fresh random `state`.
    pub fn start(&self) -> Result<Started> {
        let auth = AuthUrl::new(self.authorize_url.clone())
            .map_err(|e| config_error("authorize_url", e))?;
        let redirect = RedirectUrl::new(self.redirect_uri.clone())
            .map_err(|e| config_error("redirect_uri", e))?;
        let client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(auth)
            .set_redirect_uri(redirect);
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new(ACCOUNTING_SCOPE.to_string()))
            .url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
        })
    }

    /// Checks the redirect's query (`code`, `state`, `realmId`, or `error`) against `started`
    /// and exchanges the code at the token URL through `transport`.
    pub async fn exchange(
        &self,
        started: &Started,
        redirect_query: &str,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Connected> {
        let params: std::collections::HashMap<String, String> =
            serde_urlencoded::from_str(redirect_query.trim_start_matches('?')).map_err(|_| {
                Error::new(ErrorKind::Invalid, "the redirect's query cannot be read")
            })?;
        if let Some(e) = params.get("error") {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                format!("QuickBooks refused the connection: {e}"),
            )
            .with_platform(PLATFORM));
        }
        if !params
            .get("state")
            .is_some_and(|s| constant_time_eq(s.as_bytes(), started.state.as_bytes()))
        {
            return Err(Error::new(
                ErrorKind::Invalid,
                "the redirect's `state` is not the one sent (a forged or stale redirect)",
            ));
        }
        let (Some(code), Some(realm)) = (params.get("code"), params.get("realmId")) else {
            return Err(Error::new(
                ErrorKind::Invalid,
                "the redirect has no `code` or no `realmId`",
            ));
        };
        let token =
            TokenUrl::new(self.token_url.clone()).map_err(|e| config_error("token_url", e))?;
        let redirect = RedirectUrl::new(self.redirect_uri.clone())
            .map_err(|e| config_error("redirect_uri", e))?;
        let client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                self.client_secret.expose_secret().to_string(),
            ))
            .set_token_uri(token)
            .set_redirect_uri(redirect);
        let http = move |req: oauth2::HttpRequest| {
            let transport = transport.clone();
            async move {
                let (parts, body) = req.into_parts();
                let req = http::Request::from_parts(parts, bytes::Bytes::from(body));
                let resp = transport
                    .send(req)
                    .await
                    .map_err(|e| ExchangeError(e.to_string()))?;
                let (parts, body) = resp.into_parts();
                Ok::<_, ExchangeError>(http::Response::from_parts(parts, body.to_vec()))
            }
        };
        let answer = client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .request_async(&http)
            .await
            .map_err(|e| {
                // The error text names the endpoint's error code, never a token.
                Error::new(
                    ErrorKind::Unauthenticated,
                    format!("the token endpoint refused the authorization code: {e}"),
                )
                .with_platform(PLATFORM)
            })?;
        let refresh = answer.refresh_token().ok_or_else(|| {
            Error::protocol("the token endpoint answered without a refresh token")
                .with_platform(PLATFORM)
        })?;
        Ok(Connected {
            realm_id: realm.clone(),
            access_token: SecretString::from(answer.access_token().secret().clone()),
            expires_in: answer.expires_in(),
            refresh_token: SecretString::from(refresh.secret().clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
