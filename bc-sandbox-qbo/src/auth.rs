//! OAuth 2.0 as Intuit runs it: the token endpoint (`POST /oauth2/v1/tokens/bearer`, client
//! credentials by HTTP Basic; grants `authorization_code` and `refresh_token`), the revoke
//! endpoint, the OpenID discovery document, and the bearer check on every API call.
//!
//! Access tokens live `token_ttl_secs` (default 3600). Refresh tokens rotate: each refresh
//! returns a new one and the one used stops working (after `refresh_reuse_grace_secs`, default
//! 0). A bad grant is `400 {"error":"invalid_grant"}`, bad client credentials
//! `401 {"error":"invalid_client"}`.

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// Refresh tokens expire after 100 days without use (`x_refresh_token_expires_in`).
pub const REFRESH_TTL_SECS: i64 = 8_726_400;

#[derive(Debug)]
struct Access {
    realm: String,
    expires: DateTime<Utc>,
}

#[derive(Debug)]
struct Refresh {
    realm: String,
    expires: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
}

/// The tokens one sandbox has issued.
pub struct TokenStore {
    client_id: String,
    client_secret: SecretString,
    ttl: Duration,
    grace: Duration,
    rng: ChaCha8Rng,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    codes: HashMap<String, String>,
    // The redirect URI an authorization code was issued for: the token request must repeat it
    // (RFC 6749 §4.1.3).
    code_redirects: HashMap<String, String>,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("client_id", &self.client_id)
            .field("access_tokens", &self.access.len())
            .field("refresh_tokens", &self.refresh.len())
            .finish_non_exhaustive()
    }
}

/// A freshly issued pair.
#[derive(Clone)]
pub struct TokenPair {
    /// The bearer token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
}

/// Why the bearer check failed (the text goes in the 401's `detail`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BearerError {
    /// No `Authorization: Bearer …` header.
    Missing,
    /// Not a token this sandbox issued (or revoked).
    Unknown,
    /// Expired.
    Expired,
    /// Issued for another company.
    WrongRealm,
}

impl TokenStore {
    /// A store for one app.
    pub fn new(
        client_id: String,
        client_secret: SecretString,
        ttl_secs: u64,
        grace_secs: u64,
        rng: ChaCha8Rng,
    ) -> Self {
        Self {
            client_id,
            client_secret,
            ttl: Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 2_000)),
            grace: Duration::seconds(i64::try_from(grace_secs).unwrap_or(0)),
            rng,
            access: HashMap::new(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            code_redirects: HashMap::new(),
        }
    }

    fn token(&mut self, prefix: &str, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut s = String::from(prefix);
        for _ in 0..len {
            let i = self.rng.gen_range(0..ALPHABET.len());
            s.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'A')));
        }
        s
    }

    /// Issues an access/refresh pair for `realm`.
    pub fn issue(&mut self, realm: &str, now: DateTime<Utc>) -> TokenPair {
        let access_token = self.token("eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..", 96);
        let refresh_token = self.token("AB11", 46);
        self.access.insert(
            access_token.clone(),
            Access {
                realm: realm.to_string(),
                expires: now + self.ttl,
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            Refresh {
                realm: realm.to_string(),
                expires: now + Duration::seconds(REFRESH_TTL_SECS),
                used_at: None,
            },
        );
        TokenPair {
            access_token,
            refresh_token,
        }
    }

    /// Issues a single-use authorization code for `realm` (what the consent redirect carries).
    pub fn issue_code(&mut self, realm: &str) -> String {
        let code = self.token("AB1", 40);
        self.codes.insert(code.clone(), realm.to_string());
        code
    }

    /// Issues a single-use code for `realm` through the authorize endpoint, bound to the
    /// `redirect_uri` the consent redirect goes to.
    pub fn issue_code_for(&mut self, realm: &str, redirect_uri: &str) -> String {
        let code = self.issue_code(realm);
        self.code_redirects
            .insert(code.clone(), redirect_uri.to_string());
        code
    }

    /// Whether `client_id` is this app's.
    pub fn is_client(&self, client_id: &str) -> bool {
        self.client_id == client_id
    }

    /// Makes every access token expired now (tests of the 401 and refresh path).
    pub fn expire_access_tokens(&mut self, now: DateTime<Utc>) {
        for a in self.access.values_mut() {
            a.expires = now - Duration::seconds(1);
        }
    }

    /// Checks a bearer token for `realm`.
    pub fn check(
        &self,
        headers: &HeaderMap,
        realm: &str,
        now: DateTime<Utc>,
    ) -> Result<(), BearerError> {
        let token = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .ok_or(BearerError::Missing)?;
        let a = self.access.get(token).ok_or(BearerError::Unknown)?;
        if a.expires <= now {
            return Err(BearerError::Expired);
        }
        if a.realm != realm {
            return Err(BearerError::WrongRealm);
        }
        Ok(())
    }

    fn client_ok(&self, headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
        let from_header = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|s| {
                s.split_once(':')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
            });
        let (id, secret) = match from_header {
            Some(pair) => pair,
            None => match (form.get("client_id"), form.get("client_secret")) {
                (Some(a), Some(b)) => (a.clone(), b.clone()),
                _ => return false,
            },
        };
        id == self.client_id && secret == self.client_secret.expose_secret()
    }

    /// The token endpoint.
    pub fn token_endpoint(
        &mut self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Response {
        let form: HashMap<String, String> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        if !self.client_ok(headers, &form) {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
        }
        let realm = match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => {
                let Some(code) = form.get("code") else {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
                };
                let bound = self.code_redirects.remove(code);
                match self.codes.remove(code) {
                    Some(_) if bound.is_some() && bound.as_ref() != form.get("redirect_uri") => {
                        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant")
                    }
                    Some(realm) => realm,
                    None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
                }
            }
            Some("refresh_token") => {
                let Some(token) = form.get("refresh_token") else {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
                };
                let grace = self.grace;
                match self.refresh.get_mut(token) {
                    Some(r) if r.expires > now => match r.used_at {
                        None => {
                            r.used_at = Some(now);
                            r.realm.clone()
                        }
                        Some(at) if now - at < grace => r.realm.clone(),
                        Some(_) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
                    },
                    _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
                }
            }
            Some(_) => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
        };
        let pair = self.issue(&realm, now);
        (
            [(http::header::CACHE_CONTROL, "no-cache, no-store")],
            axum::Json(json!({
                "token_type": "bearer",
                "expires_in": self.ttl.num_seconds(),
                "refresh_token": pair.refresh_token,
                "x_refresh_token_expires_in": REFRESH_TTL_SECS,
                "access_token": pair.access_token,
            })),
        )
            .into_response()
    }

    /// The revoke endpoint (`POST /oauth2/v1/tokens/revoke`, JSON `{"token": …}`).
    pub fn revoke_endpoint(&mut self, headers: &HeaderMap, body: &[u8]) -> Response {
        let form: HashMap<String, String> = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_string))
            .map(|t| HashMap::from([("token".to_string(), t)]))
            .unwrap_or_else(|| serde_urlencoded::from_bytes(body).unwrap_or_default());
        if !self.client_ok(headers, &form) {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
        }
        let Some(token) = form.get("token") else {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
        };
        // Revoking either token ends the whole grant in Intuit's service; here it ends that token
        // and, for a refresh token, every access token of its realm.
        if let Some(r) = self.refresh.remove(token) {
            self.access.retain(|_, a| a.realm != r.realm);
        }
        self.access.remove(token);
        StatusCode::OK.into_response()
    }
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}

/// The OpenID discovery document, pointing at this sandbox (`base` is its origin).
pub fn discovery(base: &str) -> serde_json::Value {
    json!({
        "issuer": "https://oauth.platform.intuit.com/op/v1",
        "authorization_endpoint": format!("{base}/connect/oauth2"),
        "token_endpoint": format!("{base}/oauth2/v1/tokens/bearer"),
        "userinfo_endpoint": format!("{base}/v1/openid_connect/userinfo"),
        "revocation_endpoint": format!("{base}/oauth2/v1/tokens/revoke"),
        "jwks_uri": format!("{base}/op/v1/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone", "com.intuit.quickbooks.accounting"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bc_sandbox::rng::seeded;

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        if let Ok(hv) = format!("Basic {v}").parse() {
            h.insert(http::header::AUTHORIZATION, hv);
        }
        h
    }

    #[test]
    fn refresh_tokens_rotate_and_the_old_one_dies() {
        let now = Utc::now();
        let mut s = TokenStore::new(
            "id".into(),
            SecretString::from("secret"),
            3600,
            0,
            seeded(1, "t"),
        );
        let pair = s.issue("r", now);
        let body = format!(
            "grant_type=refresh_token&refresh_token={}",
            pair.refresh_token
        );
        let ok = s.token_endpoint(&basic("id", "secret"), body.as_bytes(), now);
        assert_eq!(ok.status(), StatusCode::OK);
        let again = s.token_endpoint(&basic("id", "secret"), body.as_bytes(), now);
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
        let bad = s.token_endpoint(&basic("id", "nope"), body.as_bytes(), now);
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn bearer_check() {
        let now = Utc::now();
        let mut s = TokenStore::new("id".into(), SecretString::from("s"), 60, 0, seeded(1, "t"));
        let pair = s.issue("r", now);
        let mut h = HeaderMap::new();
        assert_eq!(s.check(&h, "r", now), Err(BearerError::Missing));
        if let Ok(v) = format!("Bearer {}", pair.access_token).parse() {
            h.insert(http::header::AUTHORIZATION, v);
        }
        assert_eq!(s.check(&h, "r", now), Ok(()));
        assert_eq!(s.check(&h, "x", now), Err(BearerError::WrongRealm));
        assert_eq!(
            s.check(&h, "r", now + Duration::seconds(61)),
            Err(BearerError::Expired)
        );
    }
}
