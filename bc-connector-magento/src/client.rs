//! REST calls over bc-http: the admin-token provider, `searchCriteria` building, JSON helpers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bc_core::{Error, ErrorKind, Result};
use bc_http::{ApiRequest, AuthProvider, HttpClient, HttpTransport, StaticHeaderAuth};
use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method, Request};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::config::{AuthMode, MagentoConfig};
use crate::error::{classifier, read_body};
use crate::PLATFORM;

/// Admin tokens last 4 hours (Adobe, "Token-based authentication"); renew 5 minutes early.
const ADMIN_TOKEN_LIFE: Duration = Duration::from_secs(4 * 3600 - 300);

/// `Authorization: Bearer <admin token>`, the token taken from
/// `POST /V1/integration/admin/token` and renewed before it expires or after a 401.
pub struct AdminTokenAuth {
    url: String,
    username: String,
    password: SecretString,
    transport: Arc<dyn HttpTransport>,
    current: tokio::sync::Mutex<Option<(SecretString, Instant)>>,
}

impl fmt::Debug for AdminTokenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminTokenAuth")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &"******")
            .finish()
    }
}

impl AdminTokenAuth {
    /// A provider for `username` at `{rest_base}/V1/integration/admin/token`.
    pub fn new(
        rest_base: &str,
        username: String,
        password: SecretString,
        transport: Arc<dyn HttpTransport>,
    ) -> Self {
        AdminTokenAuth {
            url: format!("{rest_base}/V1/integration/admin/token"),
            username,
            password,
            transport,
            current: tokio::sync::Mutex::new(None),
        }
    }

    async fn fetch(&self) -> Result<SecretString> {
        let body = json!({ "username": self.username, "password": self.password.expose_secret() })
            .to_string();
        let req = Request::builder()
            .method(Method::POST)
            .uri(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(Bytes::from(body))
            .map_err(|_| {
                Error::config(
                    "storefront.magento.base_url",
                    "cannot build the admin token URL",
                )
            })?;
        let resp = self.transport.send(req).await.map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("admin token request failed: {e}"),
            )
            .with_platform(PLATFORM)
            .with_operation("POST /V1/integration/admin/token")
        })?;
        let status = resp.status();
        if !status.is_success() {
            let message = read_body(resp.body()).unwrap_or_default();
            let (kind, text) = if matches!(status.as_u16(), 400 | 401) {
                (ErrorKind::Unauthenticated, format!("Magento refused the admin login of `{}` (settings storefront.magento.admin_username / admin_password; 6 failures lock the user for 30 minutes)", self.username))
            } else {
                (
                    bc_http::classify::kind_for_status(status),
                    "the admin token request failed".to_string(),
                )
            };
            return Err(Error::new(kind, text)
                .with_platform(PLATFORM)
                .with_operation("POST /V1/integration/admin/token")
                .with_platform_code(status.as_u16().to_string())
                .with_platform_message(message));
        }
        match serde_json::from_slice::<Value>(resp.body()) {
            Ok(Value::String(t)) if !t.is_empty() => Ok(SecretString::from(t)),
            _ => Err(
                Error::protocol("the admin token answer is not a JSON string")
                    .with_platform(PLATFORM),
            ),
        }
    }
}

#[async_trait]
impl AuthProvider for AdminTokenAuth {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<()> {
        let mut current = self.current.lock().await;
        let fresh = current
            .as_ref()
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(t, _)| t.clone());
        let token = match fresh {
            Some(t) => t,
            None => {
                let t = self.fetch().await?;
                *current = Some((t.clone(), Instant::now() + ADMIN_TOKEN_LIFE));
                t
            }
        };
        let mut v =
            HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
                Error::protocol("the admin token is not a valid header value")
                    .with_platform(PLATFORM)
            })?;
        v.set_sensitive(true);
        headers.insert(AUTHORIZATION, v);
        Ok(())
    }

    async fn refresh_after_unauthorized(&self, _sent: &HeaderMap) -> Result<bool> {
        *self.current.lock().await = None;
        Ok(true)
    }
}

/// A `searchCriteria`: filter groups (OR inside, AND across), sort orders, page.
#[derive(Clone, Debug, Default)]
pub struct Search {
    groups: Vec<Vec<(String, String, String)>>,
    sort: Vec<(String, &'static str)>,
    page_size: Option<u32>,
    current_page: Option<u32>,
}

impl Search {
    /// An empty criteria.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a group of one filter (AND with the other groups).
    pub fn filter(mut self, field: &str, condition: &str, value: impl fmt::Display) -> Self {
        self.groups
            .push(vec![(field.into(), value.to_string(), condition.into())]);
        self
    }

    /// Adds a group of filters OR'ed together.
    pub fn any_of(mut self, filters: Vec<(&str, &str, String)>) -> Self {
        self.groups.push(
            filters
                .into_iter()
                .map(|(f, c, v)| (f.to_string(), v, c.to_string()))
                .collect(),
        );
        self
    }

    /// Sorts ascending by `field` (after earlier sort orders).
    pub fn sort_asc(mut self, field: &str) -> Self {
        self.sort.push((field.into(), "ASC"));
        self
    }

    /// Page size and page.
    pub fn page(mut self, size: u32, current: u32) -> Self {
        self.page_size = Some(size);
        self.current_page = Some(current);
        self
    }

    /// Adds the criteria to a request's query string.
    pub fn apply(&self, mut req: ApiRequest) -> ApiRequest {
        for (g, group) in self.groups.iter().enumerate() {
            for (f, (field, value, cond)) in group.iter().enumerate() {
                let k = format!("searchCriteria[filter_groups][{g}][filters][{f}]");
                req = req
                    .query(format!("{k}[field]"), field)
                    .query(format!("{k}[value]"), value)
                    .query(format!("{k}[condition_type]"), cond);
            }
        }
        for (i, (field, dir)) in self.sort.iter().enumerate() {
            req = req
                .query(format!("searchCriteria[sortOrders][{i}][field]"), field)
                .query(format!("searchCriteria[sortOrders][{i}][direction]"), dir);
        }
        if let Some(n) = self.page_size {
            req = req.query("searchCriteria[pageSize]", n);
        }
        if let Some(n) = self.current_page {
            req = req.query("searchCriteria[currentPage]", n);
        }
        req
    }
}

/// Builds the HTTP client of a store: base `{base_url}/rest/{store_code}`, Bearer auth
/// (integration token or admin token), Magento's error classifier.
pub fn build(config: &MagentoConfig, transport: Arc<dyn HttpTransport>) -> Result<HttpClient> {
    config.validate()?;
    let mode = config.auth_mode()?;
    let (auth, integration): (Arc<dyn AuthProvider>, bool) = match mode {
        AuthMode::IntegrationToken(t) => (
            Arc::new(StaticHeaderAuth::new(
                AUTHORIZATION,
                SecretString::from(format!("Bearer {}", t.expose_secret())),
            )),
            true,
        ),
        AuthMode::Admin { username, password } => (
            Arc::new(AdminTokenAuth::new(
                &config.rest_base(),
                username,
                password,
                transport.clone(),
            )),
            false,
        ),
    };
    HttpClient::builder(PLATFORM, config.rest_base())
        .transport(transport)
        .account(&config.account_key(), config.limits)
        .retry(config.retry.clone())
        .auth(auth)
        .classifier(classifier(integration))
        .build()
}

/// The JSON body of a response (`what` names the entity in errors).
pub fn body_json(resp: &bc_http::ApiResponse, what: &str) -> Result<Value> {
    resp.json::<Value>(what)
        .map_err(|e| e.with_platform(PLATFORM))
}
