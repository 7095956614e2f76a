//! [`Bc365Sandbox`]: the tenant, the router (token endpoint, API v2.0, the bcsync extension's
//! API, `/__sandbox/*`), the per-user limits, and the Rust API tests and the demo use.
//!
//! Routes:
//! - `POST /{tenant}/oauth2/v2.0/token` — Entra ID client credentials (form body
//!   `grant_type=client_credentials&client_id&client_secret&scope=…/.default`);
//! - `/v2.0/{tenant}/{environment}/api/v2.0/…` and `…/api/v2.0/$batch`;
//! - `/v2.0/{tenant}/{environment}/api/bcsync/integration/v1.0/…` (custom API pages:
//!   `salesShipmentTracking`, `itemAvailabilities`);
//! - `GET /__sandbox/state` (counts, posted totals per currency, duplicates by
//!   `externalDocumentNumber`), `GET /__sandbox/bc365/companies/{cid}/{set}`,
//!   `POST /__sandbox/bc365/companies/{cid}/shipments` `{"externalDocumentNumber",
//!   "packageTrackingNo","shippingAgentCode","shippingAgentServiceCode"}`,
//!   `POST /__sandbox/bc365/companies/{cid}/inventory` `{"itemNumber","locationCode","delta"}`,
//!   `POST /__sandbox/bc365/companies/{cid}/invoices/{id}/post`,
//!   `POST /__sandbox/bc365/expire-tokens`, `POST /__sandbox/bc365/limits`; plus the kit's
//!   `requests`, `faults`, `reset-stats`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bc_sandbox::faults::{FaultInjector, FaultPlan};
use bc_sandbox::serve::Served;
use bc_sandbox::stats::RequestStats;
use rust_decimal::Decimal;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::api::{self, ApiCall};
use crate::config::Bc365SandboxConfig;
use crate::errors::{entra_error, injected, BcError};
use crate::limits::{gate, stats_mw, Gate, Limits};
use crate::posting::{self, Tracking};
use crate::state::{dec, render, text, Ctx, Tenant};

/// The scope a client-credentials token for Business Central must ask for.
pub const SCOPE: &str = "https://api.businesscentral.dynamics.com/.default";

pub(crate) struct Token {
    client_id: String,
    expires: Instant,
}

pub(crate) struct Shared {
    pub(crate) config: Bc365SandboxConfig,
    pub(crate) tenant: Mutex<Tenant>,
    pub(crate) tokens: Mutex<HashMap<String, Token>>,
    pub(crate) gate: Mutex<Gate>,
    pub(crate) limits: Mutex<Limits>,
    pub(crate) slots: tokio::sync::Semaphore,
    pub(crate) stats: RequestStats,
    pub(crate) faults: FaultInjector,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Count and total (including tax) of posted documents in one currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CurrencyTotals {
    /// Posted sales invoices.
    pub invoices: usize,
    /// Their `totalAmountIncludingTax` (what the customer owes after gift cards and store
    /// credit).
    pub invoiced: Decimal,
    /// Σ of the invoices' tender lines (`description2` starting `tender:`: gift certificates
    /// and store credit on liability accounts), ≤ 0. The storefront's order totals compare
    /// with `invoiced - tenders`.
    pub tenders: Decimal,
    /// Posted sales credit memos.
    pub credit_memos: usize,
    /// Their `totalAmountIncludingTax`.
    pub credited: Decimal,
}

/// What a reconciliation reads from one company.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// Posted totals per currency code.
    pub by_currency: BTreeMap<String, CurrencyTotals>,
    /// Draft (unposted) sales invoices and orders.
    pub drafts: usize,
    /// Rows per entity set.
    pub counts: BTreeMap<String, usize>,
    /// `externalDocumentNumber` → count, for values used by more than one sales document of
    /// the same kind (a double-post).
    pub duplicates: BTreeMap<String, usize>,
}

impl Reconciliation {
    /// Documents beyond the first for each duplicated `externalDocumentNumber`.
    pub fn extra_documents(&self) -> usize {
        self.duplicates.values().map(|n| n.saturating_sub(1)).sum()
    }
}

/// One fake Business Central online tenant with two companies and one app registration.
#[derive(Clone)]
pub struct Bc365Sandbox {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Bc365Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bc365Sandbox")
            .field("tenant_id", &self.shared.config.tenant_id)
            .field("environment", &self.shared.config.environment)
            .finish_non_exhaustive()
    }
}

impl Bc365Sandbox {
    /// A seeded tenant.
    pub fn new(config: Bc365SandboxConfig) -> Self {
        let mut ctx = Ctx::new(config.seed);
        let companies = crate::seed::companies(&mut ctx);
        let faults = FaultInjector::new(config.faults.clone(), Arc::new(injected));
        let limits = Limits {
            per_window: config.requests_per_window,
            window: config.window,
            concurrent: config.max_concurrent,
            queue: config.queue_size,
            service: config.service_time,
        };
        Bc365Sandbox {
            shared: Arc::new(Shared {
                tenant: Mutex::new(Tenant { ctx, companies }),
                tokens: Mutex::new(HashMap::new()),
                gate: Mutex::new(Gate::default()),
                limits: Mutex::new(limits),
                slots: tokio::sync::Semaphore::new(1_000),
                stats: RequestStats::default(),
                faults,
                config,
            }),
        }
    }

    /// The whole app with the kit's faults and this platform's statistics, limits and auth.
    pub fn router(&self) -> Router {
        let s = self.clone();
        let api = Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(token_route))
            .route(
                "/v2.0/{tenant}/{env}/api/v2.0/{*rest}",
                get(api_route)
                    .post(api_route)
                    .patch(api_route)
                    .delete(api_route),
            )
            .route(
                "/v2.0/{tenant}/{env}/api/bcsync/integration/v1.0/{*rest}",
                get(custom_route),
            )
            .route("/__sandbox/state", get(state_route))
            .route(
                "/__sandbox/bc365/companies/{cid}/shipments",
                post(ship_route),
            )
            .route(
                "/__sandbox/bc365/companies/{cid}/inventory",
                post(stock_route),
            )
            .route(
                "/__sandbox/bc365/companies/{cid}/invoices/{id}/post",
                post(post_route),
            )
            .route("/__sandbox/bc365/companies/{cid}/{set}", get(rows_route))
            .route("/__sandbox/bc365/expire-tokens", post(expire_route))
            .route("/__sandbox/bc365/limits", post(limits_route))
            .with_state(s.clone())
            .layer(middleware::from_fn_with_state(s.clone(), gate));
        api.merge(bc_sandbox::introspect::router(
            self.shared.stats.clone(),
            self.shared.faults.clone(),
        ))
        .layer(bc_sandbox::faults::layer(self.shared.faults.clone()))
        .layer(middleware::from_fn_with_state(s, stats_mw))
    }

    /// Serves [`Bc365Sandbox::router`] on `127.0.0.1:port` (0 = any free port).
    pub async fn serve(&self, port: u16) -> std::io::Result<Served> {
        bc_sandbox::serve::serve(self.router(), port).await
    }

    /// What a client needs, relative to the served base URL: tenant, environment, app
    /// credentials, scope, the token and API paths, and both companies' ids.
    pub fn credentials_json(&self) -> Value {
        let c = &self.shared.config;
        json!({
            "tenant_id": c.tenant_id,
            "environment": c.environment,
            "client_id": c.client_id,
            "client_secret": c.client_secret.expose_secret(),
            "scope": SCOPE,
            "token_path": format!("/{}/oauth2/v2.0/token", c.tenant_id),
            "api_path": format!("/v2.0/{}/{}/api/v2.0", c.tenant_id, c.environment),
            "companies": {
                "gb_vat": crate::seed::GB_COMPANY_ID,
                "us_sales_tax": crate::seed::US_COMPANY_ID,
            },
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Bc365SandboxConfig {
        &self.shared.config
    }

    /// Request statistics.
    pub fn stats(&self) -> RequestStats {
        self.shared.stats.clone()
    }

    /// The fault injector.
    pub fn faults(&self) -> FaultInjector {
        self.shared.faults.clone()
    }

    /// Replaces the fault plan.
    pub fn set_fault_plan(&self, plan: FaultPlan) {
        self.shared.faults.set_plan(plan);
    }

    /// Changes the per-user limits (requests per window, window, concurrent requests,
    /// simulated service time) and forgets the current window.
    pub fn set_limits(
        &self,
        per_window: u32,
        window: Duration,
        concurrent: usize,
        service: Duration,
    ) {
        let mut l = lock(&self.shared.limits);
        l.per_window = per_window;
        l.window = window;
        l.concurrent = concurrent;
        l.service = service;
        *lock(&self.shared.gate) = Gate::default();
    }

    /// Makes every issued access token expire.
    pub fn expire_tokens(&self) {
        lock(&self.shared.tokens).clear();
    }

    /// Every row of `set` in company `company` as the API shows it.
    pub fn rows(&self, company: &str, set: &str) -> Vec<Value> {
        let t = lock(&self.shared.tenant);
        t.company(company)
            .map(|c| c.rows(set).iter().map(|r| render(r, None)).collect())
            .unwrap_or_default()
    }

    /// Stock of an item at a location (`""` = no location).
    pub fn stock(&self, company: &str, item: &str, location: &str) -> Decimal {
        let t = lock(&self.shared.tenant);
        t.company(company)
            .map(|c| c.stock_of(item, location))
            .unwrap_or_default()
    }

    /// Stops the tenant's clock at `at` (`None`: it runs again). Every change then gets the
    /// same `lastModifiedDateTime`, as rows written within one millisecond do in Business
    /// Central: for tests of change-feed cursors.
    pub fn hold_clock(&self, at: Option<chrono::DateTime<chrono::Utc>>) {
        lock(&self.shared.tenant).ctx.hold(at);
    }

    /// Changes an item's stock at a location (an inventory adjustment in the ERP).
    pub fn adjust_stock(
        &self,
        company: &str,
        item: &str,
        location: &str,
        delta: Decimal,
    ) -> Result<(), BcError> {
        let mut t = lock(&self.shared.tenant);
        let (ctx, c) = t.company_mut(company)?;
        if c.by("items", "number", item).is_none() {
            return Err(BcError::record_not_found("Item", &format!("No.='{item}'")));
        }
        c.move_stock(ctx, item, location, delta);
        Ok(())
    }

    /// The company's accountant sets up taxes in Business Central's own pages (API v2.0
    /// cannot): the tax area (VAT business posting group) and tax group (VAT product posting
    /// group) are created when missing, and the combination gets `pct` — a VAT posting setup
    /// in a VAT company, a tax detail in a sales-tax company.
    pub fn set_up_tax(
        &self,
        company: &str,
        area: &str,
        group: &str,
        pct: Decimal,
    ) -> Result<(), BcError> {
        let mut t = lock(&self.shared.tenant);
        let (ctx, c) = t.company_mut(company)?;
        let tax_type = match c.tax {
            crate::state::TaxKind::Vat => "VAT",
            crate::state::TaxKind::SalesTax => "Sales_x0020_Tax",
        };
        for (set, code) in [("taxAreas", area), ("taxGroups", group)] {
            if c.by(set, "code", code).is_none() {
                crate::seed::add(
                    ctx,
                    c,
                    set,
                    serde_json::json!({"code": code, "displayName": code, "taxType": tax_type}),
                );
            }
        }
        let key = (area.to_string(), group.to_string());
        match c.tax {
            crate::state::TaxKind::Vat => c.vat_setup.insert(key, pct),
            crate::state::TaxKind::SalesTax => c.tax_details.insert(key, pct),
        };
        Ok(())
    }

    /// The accountant adds a currency with an exchange rate (LCY per unit), if missing.
    pub fn add_currency(&self, company: &str, code: &str, rate: Decimal) -> Result<(), BcError> {
        let mut t = lock(&self.shared.tenant);
        let (ctx, c) = t.company_mut(company)?;
        if c.by("currencies", "code", code).is_none() {
            crate::seed::currency(ctx, c, code, code, code, Some(&rate.to_string()));
        }
        Ok(())
    }

    /// Posts a draft sales invoice (someone in finance presses Post).
    pub fn post_invoice(&self, company: &str, id: &str) -> Result<(), BcError> {
        let mut t = lock(&self.shared.tenant);
        let (ctx, c) = t.company_mut(company)?;
        posting::post_invoice(ctx, c, id)
    }

    /// The warehouse posts a shipment (with package tracking number and shipping agent) for
    /// the sales order or posted invoice whose `externalDocumentNumber` is given.
    pub fn ship(
        &self,
        company: &str,
        external_document_number: &str,
        tracking: &Tracking,
    ) -> Result<Value, BcError> {
        let mut t = lock(&self.shared.tenant);
        let (ctx, c) = t.company_mut(company)?;
        let found = ["salesOrders", "salesInvoices"]
            .into_iter()
            .find_map(|set| {
                c.rows(set)
                    .iter()
                    .find(|d| {
                        text(d, "externalDocumentNumber") == external_document_number
                            && (set == "salesOrders" || text(d, "status") != "Draft")
                    })
                    .map(|d| (set, d.clone()))
            });
        let Some((set, doc)) = found else {
            return Err(BcError::record_not_found(
                "Sales Header",
                &format!("External Document No.='{external_document_number}'"),
            ));
        };
        let lines_set = if set == "salesOrders" {
            "salesOrderLines"
        } else {
            "salesInvoiceLines"
        };
        let lines: Vec<Value> = c
            .rows(lines_set)
            .iter()
            .filter(|l| text(l, "documentId") == text(&doc, "id"))
            .cloned()
            .collect();
        let sh = posting::ship(ctx, c, &doc, &lines, Some(tracking), set == "salesOrders")?;
        Ok(render(&sh, None))
    }

    /// Posted totals per currency, drafts, counts and duplicates of company `company`.
    pub fn reconciliation(&self, company: &str) -> Reconciliation {
        let t = lock(&self.shared.tenant);
        let Some(c) = t.company(company) else {
            return Reconciliation::default();
        };
        let mut r = Reconciliation::default();
        for (set, rows) in &c.tables {
            r.counts.insert(set.clone(), rows.len());
        }
        for set in ["salesInvoices", "salesCreditMemos", "salesOrders"] {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for d in c.rows(set) {
                let ext = text(d, "externalDocumentNumber");
                if !ext.is_empty() {
                    *seen.entry(format!("{set}:{ext}")).or_default() += 1;
                }
                if text(d, "status") == "Draft" {
                    if set != "salesCreditMemos" {
                        r.drafts += 1;
                    }
                    continue;
                }
                let cur = text(d, "currencyCode").to_string();
                let e = r.by_currency.entry(cur).or_default();
                let total = dec(d, "totalAmountIncludingTax");
                if set == "salesInvoices" {
                    e.invoices += 1;
                    e.invoiced += total;
                    e.tenders += c
                        .rows("salesInvoiceLines")
                        .iter()
                        .filter(|l| text(l, "documentId") == text(d, "id"))
                        .filter(|l| text(l, "description2").starts_with("tender:"))
                        .map(|l| dec(l, "amountIncludingTax"))
                        .sum::<Decimal>();
                } else if set == "salesCreditMemos" {
                    e.credit_memos += 1;
                    e.credited += total;
                }
            }
            r.duplicates
                .extend(seen.into_iter().filter(|(_, n)| *n > 1));
        }
        r
    }

    pub(crate) fn check_token(&self, headers: &HeaderMap) -> Result<String, BcError> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(BcError::unauthenticated)?;
        let tokens = lock(&self.shared.tokens);
        match tokens.get(token) {
            Some(t) if t.expires > Instant::now() => Ok(t.client_id.clone()),
            _ => Err(BcError::unauthenticated()),
        }
    }

    fn tenant_ok(&self, tenant: &str) -> bool {
        let c = &self.shared.config;
        tenant.eq_ignore_ascii_case(&c.tenant_id) || tenant.eq_ignore_ascii_case(&c.tenant_domain)
    }
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    scope: String,
}

/// Entra ID's v2.0 token endpoint, client-credentials grant only.
async fn token_route(
    State(sb): State<Bc365Sandbox>,
    Path(tenant): Path<String>,
    body: String,
) -> Response {
    let c = &sb.shared.config;
    if !sb.tenant_ok(&tenant) {
        return entra_error(400, "invalid_request", 90002, &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."));
    }
    let Ok(f) = serde_urlencoded::from_str::<TokenForm>(&body) else {
        return entra_error(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        );
    };
    if f.grant_type != "client_credentials" {
        return entra_error(
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    if f.client_id != c.client_id {
        return entra_error(
            400,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory '{}'.",
                f.client_id, c.tenant_domain
            ),
        );
    }
    if f.client_secret.is_empty() {
        return entra_error(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    if f.client_secret != c.client_secret.expose_secret() {
        return entra_error(401, "invalid_client", 7000215, &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.", c.client_id));
    }
    if !f.scope.ends_with("/.default") {
        return entra_error(400, "invalid_scope", 1002012, &format!("The provided value for scope {} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", f.scope));
    }
    if f.scope != SCOPE {
        return entra_error(
            400,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {} was not found in the tenant named {}.",
                f.scope.trim_end_matches("/.default"),
                c.tenant_domain
            ),
        );
    }
    let token = {
        let mut t = lock(&sb.shared.tenant);
        format!("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.{}", t.ctx.token(48))
    };
    lock(&sb.shared.tokens).insert(
        token.clone(),
        Token {
            client_id: f.client_id,
            expires: Instant::now() + c.token_ttl,
        },
    );
    let ttl = c.token_ttl.as_secs();
    Json(json!({"token_type": "Bearer", "expires_in": ttl, "ext_expires_in": ttl, "access_token": token})).into_response()
}

async fn api_route(
    State(sb): State<Bc365Sandbox>,
    Path((tenant, env, rest)): Path<(String, String, String)>,
    req: Request,
) -> Response {
    serve_api(sb, tenant, env, rest, req, false).await
}

async fn custom_route(
    State(sb): State<Bc365Sandbox>,
    Path((tenant, env, rest)): Path<(String, String, String)>,
    req: Request,
) -> Response {
    serve_api(sb, tenant, env, rest, req, true).await
}

async fn serve_api(
    sb: Bc365Sandbox,
    tenant: String,
    env: String,
    rest: String,
    req: Request,
    custom: bool,
) -> Response {
    if let Err(e) = sb.check_token(req.headers()) {
        return e.into_response();
    }
    if !sb.tenant_ok(&tenant) || env != sb.shared.config.environment {
        return BcError::new(
            404,
            "NoEnvironment",
            format!("Environment '{env}' of tenant '{tenant}' does not exist."),
        )
        .into_response();
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return BcError::bad_request("Invalid Request Body").into_response(),
    };
    let json_body: Option<Value> = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                return BcError::bad_request(format!("Invalid Request Body: {e}")).into_response()
            }
        }
    };
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let api = if custom {
        "bcsync/integration/v1.0"
    } else {
        "v2.0"
    };
    let root = format!("http://{host}/v2.0/{tenant}/{env}/api/{api}");
    let max_page = sb.shared.config.max_page_size;
    if rest == "$batch" {
        if parts.method != Method::POST {
            return BcError::new(
                405,
                "BadRequest_MethodNotAllowed",
                "$batch accepts POST only.",
            )
            .into_response();
        }
        let ct = parts
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/json") {
            return BcError::not_implemented("Only JSON batch requests (Content-Type: application/json) are supported by this sandbox.").into_response();
        }
        let snapshot = parts
            .headers
            .get("isolation")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("snapshot"));
        let mut t = lock(&sb.shared.tenant);
        return match api::batch(
            &mut t,
            &json_body.unwrap_or(Value::Null),
            &root,
            custom,
            snapshot,
            max_page,
        ) {
            Ok(v) => Json(v).into_response(),
            Err(e) => e.into_response(),
        };
    }
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).unwrap_or_default();
    let call = ApiCall {
        method: parts.method.clone(),
        path: rest,
        query,
        if_match: parts
            .headers
            .get("if-match")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: json_body,
        root,
        custom,
    };
    let result = {
        let mut t = lock(&sb.shared.tenant);
        api::dispatch(&mut t, &call, max_page)
    };
    match result {
        Ok(a) => {
            let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK);
            let mut resp = match a.body {
                Some(b) => (status, Json(b)).into_response(),
                None => status.into_response(),
            };
            if let Some(tag) = a.etag.and_then(|t| http::HeaderValue::from_str(&t).ok()) {
                resp.headers_mut().insert("etag", tag);
            }
            resp.headers_mut()
                .insert("odata-version", http::HeaderValue::from_static("4.0"));
            resp
        }
        Err(e) => e.into_response(),
    }
}

async fn state_route(State(sb): State<Bc365Sandbox>) -> Json<Value> {
    let ids: Vec<String> = lock(&sb.shared.tenant)
        .companies
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let companies: BTreeMap<String, Value> = ids
        .iter()
        .map(|id| {
            let r = sb.reconciliation(id);
            let extra = r.extra_documents();
            (
                id.clone(),
                json!({"reconciliation": r, "extra_documents": extra}),
            )
        })
        .collect();
    Json(json!({"tenant_id": sb.shared.config.tenant_id, "companies": companies}))
}

async fn rows_route(
    State(sb): State<Bc365Sandbox>,
    Path((cid, set)): Path<(String, String)>,
) -> Json<Value> {
    Json(json!({ "value": sb.rows(&cid, &set) }))
}

#[derive(Deserialize)]
struct ShipBody {
    #[serde(rename = "externalDocumentNumber")]
    external: String,
    #[serde(flatten)]
    tracking: Tracking,
}

async fn ship_route(
    State(sb): State<Bc365Sandbox>,
    Path(cid): Path<String>,
    Json(b): Json<ShipBody>,
) -> Response {
    match sb.ship(&cid, &b.external, &b.tracking) {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn stock_route(
    State(sb): State<Bc365Sandbox>,
    Path(cid): Path<String>,
    Json(b): Json<Value>,
) -> Response {
    let item = b.get("itemNumber").and_then(Value::as_str).unwrap_or("");
    let loc = b.get("locationCode").and_then(Value::as_str).unwrap_or("");
    let delta = dec(&b, "delta");
    match sb.adjust_stock(&cid, item, loc, delta) {
        Ok(()) => Json(json!({"itemNumber": item, "locationCode": loc, "inventory": crate::state::num(sb.stock(&cid, item, loc))})).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn post_route(
    State(sb): State<Bc365Sandbox>,
    Path((cid, id)): Path<(String, String)>,
) -> Response {
    match sb.post_invoice(&cid, &id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn expire_route(State(sb): State<Bc365Sandbox>) -> StatusCode {
    sb.expire_tokens();
    StatusCode::NO_CONTENT
}

async fn limits_route(State(sb): State<Bc365Sandbox>, Json(b): Json<Value>) -> Json<Value> {
    let l = *lock(&sb.shared.limits);
    let per = b
        .get("requests_per_window")
        .and_then(Value::as_u64)
        .map(|v| v as u32)
        .unwrap_or(l.per_window);
    let win = b
        .get("window_secs")
        .and_then(Value::as_u64)
        .map(Duration::from_secs)
        .unwrap_or(l.window);
    let conc = b
        .get("max_concurrent")
        .and_then(Value::as_u64)
        .map(|v| v as usize)
        .unwrap_or(l.concurrent);
    let svc = b
        .get("service_time_ms")
        .and_then(Value::as_u64)
        .map(Duration::from_millis)
        .unwrap_or(l.service);
    sb.set_limits(per, win, conc, svc);
    Json(
        json!({"requests_per_window": per, "window_secs": win.as_secs(), "max_concurrent": conc, "service_time_ms": svc.as_millis() as u64}),
    )
}
