//! The REST calls, over `bc-http` (retries, the license budget and in-flight cap), with the
//! session as an [`AuthProvider`]: signed in on first use, reused, signed in again after a
//! 401, and signed out by [`AcumaticaClient::logout`] — so the connector holds at most one
//! API session whatever the number of calls (the license limits API users;
//! help.myob.com.au/…/IS__con_License_Restrictions_API_Users.html).
//!
//! Actions answer 202 with a `Location` that is polled until 204; the poll stops at the
//! configured deadline with an [`ErrorKind::OutcomeUnknown`] error naming the action.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bc_core::{Error, ErrorKind, Result};
use bc_http::{
    ApiRequest, AuthProvider, HttpClient, HttpTransport, Idempotency, RateLimits, RetryPolicy,
};
use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderMap, Method, Request};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::{AcumaticaConfig, AuthMode};
use crate::error::{classifier, error_from_response, PLATFORM};

/// The endpoint path.
pub const ENDPOINT: &str = "/entity/Default/24.200.001";

struct Credential {
    header: SecretString,
    bearer: bool,
    expires: Option<Instant>,
}

/// The API session: a cookie from `/entity/auth/login` or an OAuth bearer token.
pub struct Session {
    transport: Arc<dyn HttpTransport>,
    base_url: String,
    mode: AuthMode,
    tenant: String,
    username: String,
    password: SecretString,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    current: Mutex<Option<Credential>>,
    sign_ins: AtomicU64,
    sign_outs: AtomicU64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("base_url", &self.base_url)
            .field("mode", &self.mode)
            .field("username", &self.username)
            .field("credential", &"******")
            .finish()
    }
}

impl Session {
    async fn send(&self, req: Request<Bytes>, what: &str) -> Result<http::Response<Bytes>> {
        self.transport.send(req).await.map_err(|e| {
            Error::new(ErrorKind::Unavailable, format!("{what}: {e}"))
                .with_platform(PLATFORM)
                .with_operation(what.to_string())
        })
    }

    async fn sign_in(&self) -> Result<Credential> {
        let (req, what) = match self.mode {
            AuthMode::Cookie => {
                let body = json!({"name": self.username, "password": self.password.expose_secret(), "company": self.tenant});
                let req = Request::builder()
                    .method(Method::POST)
                    .uri(format!("{}/entity/auth/login", self.base_url))
                    .header(CONTENT_TYPE, "application/json")
                    .body(Bytes::from(body.to_string()));
                (req, "sign in")
            }
            AuthMode::OauthPassword | AuthMode::OauthClientCredentials => {
                let mut form = vec![
                    ("client_id", self.client_id.clone().unwrap_or_default()),
                    (
                        "client_secret",
                        self.client_secret
                            .as_ref()
                            .map(|s| s.expose_secret().to_string())
                            .unwrap_or_default(),
                    ),
                    ("scope", "api".to_string()),
                ];
                if self.mode == AuthMode::OauthPassword {
                    form.push(("grant_type", "password".into()));
                    form.push(("username", self.username.clone()));
                    form.push(("password", self.password.expose_secret().to_string()));
                } else {
                    form.push(("grant_type", "client_credentials".into()));
                }
                let text = form
                    .iter()
                    .map(|(k, v)| format!("{k}={}", urlencode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                let req = Request::builder()
                    .method(Method::POST)
                    .uri(format!("{}/identity/connect/token", self.base_url))
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Bytes::from(text));
                (req, "token request")
            }
        };
        let req = req.map_err(|_| {
            Error::new(ErrorKind::Config, "cannot build the sign-in request")
                .with_platform(PLATFORM)
        })?;
        let resp = self.send(req, what).await?;
        if !resp.status().is_success() {
            return Err(error_from_response(
                resp.status().as_u16(),
                resp.body(),
                what,
            ));
        }
        self.sign_ins.fetch_add(1, Ordering::Relaxed);
        if self.mode == AuthMode::Cookie {
            let cookies: Vec<String> = resp
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .filter_map(|c| c.split(';').next().map(str::to_string))
                .collect();
            if !cookies.iter().any(|c| c.starts_with(".ASPXAUTH=")) {
                return Err(
                    Error::protocol("Acumatica's sign-in set no .ASPXAUTH cookie")
                        .with_platform(PLATFORM),
                );
            }
            Ok(Credential {
                header: SecretString::from(cookies.join("; ")),
                bearer: false,
                expires: None,
            })
        } else {
            let v: Value = serde_json::from_slice(resp.body()).map_err(|e| {
                Error::protocol(format!("token answer: {e}")).with_platform(PLATFORM)
            })?;
            let token = v
                .get("access_token")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    Error::protocol("token answer without access_token").with_platform(PLATFORM)
                })?;
            let ttl = v.get("expires_in").and_then(Value::as_u64).unwrap_or(3600);
            Ok(Credential {
                header: SecretString::from(format!("Bearer {token}")),
                bearer: true,
                expires: Some(Instant::now() + Duration::from_secs(ttl.saturating_sub(60))),
            })
        }
    }

    /// Signs out (when signed in). Sign-out is exempt from the license's request limits.
    pub async fn sign_out(&self) -> Result<()> {
        let Some(c) = self.current.lock().await.take() else {
            return Ok(());
        };
        let mut value = HeaderValue::from_str(c.header.expose_secret())
            .map_err(|_| Error::new(ErrorKind::Internal, "bad credential header"))?;
        value.set_sensitive(true);
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("{}/entity/auth/logout", self.base_url))
            .header(if c.bearer { AUTHORIZATION } else { COOKIE }, value)
            .body(Bytes::new())
            .map_err(|_| Error::new(ErrorKind::Internal, "cannot build the sign-out request"))?;
        let resp = self.send(req, "sign out").await?;
        self.sign_outs.fetch_add(1, Ordering::Relaxed);
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(error_from_response(
                resp.status().as_u16(),
                resp.body(),
                "sign out",
            ))
        }
    }

    /// `(sign-ins, sign-outs)` made.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.sign_ins.load(Ordering::Relaxed),
            self.sign_outs.load(Ordering::Relaxed),
        )
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[async_trait]
impl AuthProvider for Session {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<()> {
        let mut cur = self.current.lock().await;
        let stale = cur
            .as_ref()
            .is_some_and(|c| c.expires.is_some_and(|e| Instant::now() >= e));
        if cur.is_none() || stale {
            *cur = Some(self.sign_in().await?);
        }
        if let Some(c) = cur.as_ref() {
            let mut v = HeaderValue::from_str(c.header.expose_secret())
                .map_err(|_| Error::new(ErrorKind::Internal, "bad credential header"))?;
            v.set_sensitive(true);
            headers.insert(if c.bearer { AUTHORIZATION } else { COOKIE }, v);
        }
        Ok(())
    }

    async fn refresh_after_unauthorized(&self, sent: &HeaderMap) -> Result<bool> {
        let mut cur = self.current.lock().await;
        let sent_value = sent
            .get(COOKIE)
            .or_else(|| sent.get(AUTHORIZATION))
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        // Another caller may already have signed in again.
        if cur
            .as_ref()
            .is_some_and(|c| c.header.expose_secret() != sent_value)
        {
            return Ok(true);
        }
        *cur = Some(self.sign_in().await?);
        Ok(true)
    }
}

/// The REST client of one tenant.
#[derive(Clone, Debug)]
pub struct AcumaticaClient {
    http: HttpClient,
    session: Arc<Session>,
    action_timeout: Duration,
}

impl AcumaticaClient {
    /// A client for `config` over `transport`.
    pub fn new(
        config: &AcumaticaConfig,
        transport: Arc<dyn HttpTransport>,
        retry: RetryPolicy,
    ) -> Result<Self> {
        config.validate()?;
        let session = Arc::new(Session {
            transport: transport.clone(),
            base_url: config.base_url.trim_end_matches('/').to_string(),
            mode: config.auth,
            tenant: config.tenant.clone(),
            username: config.username.clone(),
            password: config.password.resolve("ledger.password")?,
            client_id: config.client_id.clone(),
            client_secret: config
                .client_secret
                .as_ref()
                .map(|s| s.resolve("ledger.client_secret"))
                .transpose()?,
            current: Mutex::new(None),
            sign_ins: AtomicU64::new(0),
            sign_outs: AtomicU64::new(0),
        });
        let limits = RateLimits::new(config.requests_per_minute, Duration::from_secs(60))
            .with_max_in_flight(config.max_concurrent);
        let http = HttpClient::builder(PLATFORM, config.base_url.trim_end_matches('/'))
            .transport(transport)
            .retry(retry)
            .account(
                &format!("acumatica:{}:{}", config.base_url, config.tenant),
                limits,
            )
            .auth(session.clone())
            .classifier(classifier())
            .throttle_wait(Duration::from_secs(5))
            .build()?;
        Ok(AcumaticaClient {
            http,
            session,
            action_timeout: config.action_timeout(),
        })
    }

    /// The session (sign-in counts, sign-out).
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// Signs out of Acumatica.
    pub async fn logout(&self) -> Result<()> {
        self.session.sign_out().await
    }

    async fn send(&self, req: ApiRequest, op: &str) -> Result<bc_http::ApiResponse> {
        let resp = self
            .http
            .send_raw(req)
            .await
            .map_err(|e| e.with_operation(op.to_string()))?;
        if resp.status.is_success() {
            Ok(resp)
        } else {
            Err(error_from_response(resp.status.as_u16(), &resp.body, op))
        }
    }

    /// `GET /{entity}` with query parameters (`$filter`, `$expand`, `$select`, `$top`, `$skip`).
    pub async fn list(&self, entity: &str, query: &[(&str, String)]) -> Result<Vec<Value>> {
        let mut req =
            ApiRequest::get(format!("{ENDPOINT}/{{entity}}")).path_param("entity", entity);
        for (k, v) in query {
            req = req.query(*k, v);
        }
        let op = format!("list {entity}");
        self.send(req, &op).await?.json(&op)
    }

    /// `GET /{entity}/{keys…}`; `None` on 404.
    pub async fn get(&self, entity: &str, keys: &[&str], expand: &str) -> Result<Option<Value>> {
        let template = format!(
            "{ENDPOINT}/{{entity}}/{}",
            (0..keys.len())
                .map(|i| format!("{{k{i}}}"))
                .collect::<Vec<_>>()
                .join("/")
        );
        let mut req = ApiRequest::get(template).path_param("entity", entity);
        for (i, k) in keys.iter().enumerate() {
            req = req.path_param(&format!("k{i}"), k);
        }
        if !expand.is_empty() {
            req = req.query("$expand", expand);
        }
        let op = format!("get {entity} {}", keys.join("/"));
        match self.send(req, &op).await {
            Ok(r) => r.json(&op).map(Some),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT /{entity}`: an update names the record's keys; an insert (`insert = true`) is sent
    /// with `If-None-Match: *` and is not repeated after a lost answer (the caller searches).
    pub async fn put(
        &self,
        entity: &str,
        body: &Value,
        expand: &str,
        insert: bool,
    ) -> Result<Value> {
        let mut req = ApiRequest::put(format!("{ENDPOINT}/{{entity}}"))
            .path_param("entity", entity)
            .json(body)?;
        if !expand.is_empty() {
            req = req.query("$expand", expand);
        }
        if insert {
            req = req
                .header(http::header::IF_NONE_MATCH, HeaderValue::from_static("*"))
                .idempotency(Idempotency::None);
        }
        let op = format!("put {entity}");
        self.send(req, &op).await?.json(&op)
    }

    /// Runs an action and polls it to completion within the deadline.
    pub async fn action(
        &self,
        entity: &str,
        action: &str,
        target: Value,
        parameters: Value,
    ) -> Result<()> {
        let op = format!("{entity}/{action}");
        let req = ApiRequest::post(format!("{ENDPOINT}/{{entity}}/{{action}}"))
            .path_param("entity", entity)
            .path_param("action", action)
            .json(&json!({"entity": target, "parameters": parameters}))?
            .idempotency(Idempotency::None);
        let resp = self.send(req, &op).await?;
        if resp.status.as_u16() == 204 {
            return Ok(());
        }
        let Some(location) = resp.header("Location").map(str::to_string) else {
            return Err(
                Error::protocol(format!("{op}: 202 without a Location")).with_platform(PLATFORM)
            );
        };
        let path = match location.find(ENDPOINT) {
            Some(i) => location[i..].to_string(),
            None => location.clone(),
        };
        let deadline = Instant::now() + self.action_timeout;
        let mut wait = Duration::from_millis(250);
        loop {
            if Instant::now() >= deadline {
                return Err(Error::new(
                    ErrorKind::OutcomeUnknown,
                    format!("the action {action} on {entity} did not complete within {} s; it may still complete: check the document before running it again", self.action_timeout.as_secs()),
                )
                .with_platform(PLATFORM)
                .with_operation(op)
                .with_temporary(true));
            }
            tokio::time::sleep(wait.min(deadline.saturating_duration_since(Instant::now()))).await;
            wait = (wait * 2).min(Duration::from_secs(5));
            let poll = self
                .send(ApiRequest::get(path.clone()), &format!("{op} status"))
                .await?;
            if poll.status.as_u16() == 204 {
                return Ok(());
            }
        }
    }
}
