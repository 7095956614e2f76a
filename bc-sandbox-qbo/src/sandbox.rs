//! [`QboSandbox`]: builds the company, the router (API + `/__sandbox/*`, with the kit's fault
//! and statistics layers), and the Rust API tests use for ledger-side actions: record a shipment
//! on an invoice, change stock, expire tokens, read every document, count duplicates.
//!
//! `/__sandbox/*` routes (besides the kit's `requests`, `faults`, `reset-stats`):
//! - `GET  /__sandbox/state`: counts and totals per entity type;
//! - `GET  /__sandbox/qbo/documents?entity=Invoice`: every stored entity of a type;
//! - `GET  /__sandbox/qbo/duplicates`: documents sharing a `DocNumber` or `PrivateNote`;
//! - `POST /__sandbox/qbo/shipments` `{"invoice_id","ShipDate","TrackingNum","ShipMethod"}`;
//! - `POST /__sandbox/qbo/inventory-adjustments` `{"item_id","qty_delta"}`;
//! - `POST /__sandbox/qbo/expire-tokens` (204), `POST /__sandbox/qbo/auth-code`;
//! - `POST /__sandbox/qbo/advance-clock` `{"seconds"}`;
//! - `POST /__sandbox/qbo/limits` `{"quota_per_min","max_concurrent"}`;
//! - `POST /__sandbox/qbo/preferences` `{"duplicate_doc_number_check": bool}`.
//!
//! Besides the API it serves Intuit's consent step, `GET /connect/oauth2` (what
//! `appcenter.intuit.com/connect/oauth2` does once the user has said yes): it redirects to the
//! `redirect_uri` with `code`, `state` and `realmId`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bc_sandbox::faults::{FaultInjector, FaultPlan};
use bc_sandbox::serve::Served;
use bc_sandbox::stats::RequestStats;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::{TokenPair, TokenStore};
use crate::clock::Clock;
use crate::config::QboConfig;
use crate::entities::{stamp, sync_token};
use crate::errors::QboError;
use crate::json::{dec, num, obj_mut, parse_decimal, reference, text};
use crate::routes::{api_router, injected_error, Shared};
use crate::state::{Books, EntityKind};
use crate::throttle::Throttle;

/// A shipment recorded on an invoice (QBO has no shipment entity: it keeps `ShipDate`,
/// `TrackingNum` and `ShipMethodRef` on the invoice).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Shipment {
    /// `yyyy-MM-dd`.
    #[serde(rename = "ShipDate")]
    pub ship_date: String,
    /// Carrier tracking number.
    #[serde(rename = "TrackingNum", default)]
    pub tracking_num: String,
    /// Carrier / method name (e.g. "UPS").
    #[serde(rename = "ShipMethod", default)]
    pub ship_method: String,
}

/// Documents sharing a `DocNumber` or a `PrivateNote` (what a double-post looks like).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DuplicateReport {
    /// Per entity type, `DocNumber` → how many documents use it (only counts above 1).
    pub by_doc_number: BTreeMap<String, BTreeMap<String, usize>>,
    /// Per entity type, `PrivateNote` → how many documents carry it (only counts above 1).
    pub by_private_note: BTreeMap<String, BTreeMap<String, usize>>,
}

impl DuplicateReport {
    /// Documents beyond the first for each duplicated key, summed over everything.
    pub fn extra_documents(&self) -> usize {
        self.by_doc_number
            .values()
            .chain(self.by_private_note.values())
            .flat_map(|m| m.values())
            .map(|n| n.saturating_sub(1))
            .sum()
    }
}

/// Count and `TotalAmt` sum per entity type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Entity type → (count, sum of `TotalAmt`).
    pub by_entity: BTreeMap<String, (usize, Decimal)>,
}

impl Totals {
    /// Count of one type.
    pub fn count(&self, kind: EntityKind) -> usize {
        self.by_entity.get(kind.name()).map(|t| t.0).unwrap_or(0)
    }

    /// `TotalAmt` sum of one type.
    pub fn total(&self, kind: EntityKind) -> Decimal {
        self.by_entity
            .get(kind.name())
            .map(|t| t.1)
            .unwrap_or_default()
    }
}

/// One fake QuickBooks Online company with its app credentials.
#[derive(Clone)]
pub struct QboSandbox {
    shared: Arc<Shared>,
    initial: Arc<TokenPair>,
    // Where the sandbox is served (set by `serve`, or by the host with `set_base_url`).
    base_url: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for QboSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QboSandbox")
            .field("realm_id", &self.shared.config.realm_id)
            .field("company", &self.shared.config.company)
            .finish_non_exhaustive()
    }
}

impl QboSandbox {
    /// A seeded company, with one access/refresh token pair already issued (see
    /// [`QboSandbox::credentials_json`]).
    pub fn new(config: QboConfig) -> Self {
        let clock = Clock::new(config.time_zone());
        let mut books = Books::new(&config, clock.clone());
        let name = match config.company {
            crate::Company::Us => "Sandbox Company_US_1",
            crate::Company::NonUs => "Sandbox Company_GB_1",
        };
        crate::seed::seed(&mut books, name);
        let mut tokens = TokenStore::new(
            config.client_id.clone(),
            config.client_secret.clone(),
            config.token_ttl_secs,
            config.refresh_reuse_grace_secs,
            bc_sandbox::rng::seeded(config.seed, "qbo-tokens"),
        );
        let initial = tokens.issue(&config.realm_id, clock.now());
        let time_clock = clock.clone();
        let faults = FaultInjector::new(
            config.faults.clone(),
            Arc::new(move |status| injected_error(status, &time_clock.response_time())),
        );
        let tid_prefix = {
            use rand::Rng;
            bc_sandbox::rng::seeded(config.seed, "qbo-tid").gen::<u32>()
        };
        let shared = Shared {
            throttle: Throttle::new(
                config.quota_per_min,
                config.max_concurrent,
                config.batch_per_min,
            )
            .with_window_secs(config.throttle_window_secs),
            tid: std::sync::atomic::AtomicU64::new(1),
            tid_prefix,
            stats: RequestStats::default(),
            faults,
            clock,
            books: Mutex::new(books),
            tokens: Mutex::new(tokens),
            config,
        };
        Self {
            shared: Arc::new(shared),
            initial: Arc::new(initial),
            base_url: Arc::new(Mutex::new(None)),
        }
    }

    /// Records where the sandbox is reachable (`http://127.0.0.1:PORT`), for
    /// [`QboSandbox::credentials_json`]; [`QboSandbox::serve`] does it itself.
    pub fn set_base_url(&self, base_url: &str) {
        *self.base_url.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(base_url.trim_end_matches('/').to_string());
    }

    /// Where the sandbox is reachable, once served or set.
    pub fn base_url(&self) -> Option<String> {
        self.base_url
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Turns the company preference "warn on duplicate document numbers" on or off (6140 on a
    /// reused `DocNumber`), and shows it in `Preferences`.
    pub fn set_duplicate_doc_number_check(&self, on: bool) {
        let mut books = self.shared.books();
        books.reject_duplicate_doc_numbers = on;
        let ids: Vec<u64> = books
            .rows(EntityKind::Preferences)
            .filter_map(|r| crate::json::id_text(r.get("Id")))
            .filter_map(|i| i.parse().ok())
            .collect();
        for id in ids {
            if let Some(mut row) = books.get(EntityKind::Preferences, id).cloned() {
                if let Some(list) = row
                    .pointer_mut("/OtherPrefs/NameValue")
                    .and_then(Value::as_array_mut)
                {
                    for nv in list.iter_mut() {
                        if nv.get("Name").and_then(Value::as_str)
                            == Some("SalesFormsPrefs.WarnDuplicateDocNum")
                        {
                            nv["Value"] = json!(if on { "true" } else { "false" });
                        }
                    }
                }
                books.put(EntityKind::Preferences, id, row);
            }
        }
    }

    /// Whether the duplicate document number check is on.
    pub fn duplicate_doc_number_check(&self) -> bool {
        self.shared.books().reject_duplicate_doc_numbers
    }

    /// The whole app: API, OAuth, discovery, `/__sandbox/*`; faults and statistics applied.
    /// Call it in-process (`tower::ServiceExt::oneshot`) or serve it with
    /// [`bc_sandbox::serve::serve`].
    pub fn router(&self) -> Router {
        let s = self.shared.clone();
        let own = Router::new()
            .route("/__sandbox/state", get(state_route))
            .route("/__sandbox/qbo/documents", get(documents_route))
            .route("/__sandbox/qbo/duplicates", get(duplicates_route))
            .route("/__sandbox/qbo/shipments", post(shipment_route))
            .route("/__sandbox/qbo/inventory-adjustments", post(adjust_route))
            .route("/__sandbox/qbo/expire-tokens", post(expire_route))
            .route("/__sandbox/qbo/auth-code", post(code_route))
            .route("/__sandbox/qbo/advance-clock", post(clock_route))
            .route("/__sandbox/qbo/limits", post(limits_route))
            .route("/__sandbox/qbo/preferences", post(preferences_route))
            .route("/connect/oauth2", get(authorize_route))
            .with_state(self.clone());
        api_router(s.clone())
            .merge(own)
            .merge(bc_sandbox::introspect::router(
                s.stats.clone(),
                s.faults.clone(),
            ))
            .layer(bc_sandbox::faults::layer(s.faults.clone()))
            .layer(bc_sandbox::stats::layer(s.stats.clone()))
    }

    /// Serves [`QboSandbox::router`] on `127.0.0.1:port` (0 = any free port).
    pub async fn serve(&self, port: u16) -> std::io::Result<Served> {
        let served = bc_sandbox::serve::serve(self.router(), port).await?;
        self.set_base_url(&served.base_url);
        Ok(served)
    }

    /// Everything a client needs, with the platform's own key names: `realm_id`, `client_id`,
    /// `client_secret`, `access_token`, `refresh_token`, and every URL — `base_url` (the API
    /// base to give bcsync's `ledger.base_url`), `api_base` (`…/v3/company/{realm}`),
    /// `token_url`, `authorize_url`, `revoke_url`, `discovery_url` — plus `redirect_uris`
    /// (what the authorize endpoint accepts), `scope` and `multicurrency`. URLs are relative
    /// paths (`/oauth2/v1/tokens/bearer`) until the sandbox is served or
    /// [`QboSandbox::set_base_url`] is called.
    pub fn credentials_json(&self) -> Value {
        use secrecy::ExposeSecret;
        let c = &self.shared.config;
        let base = self.base_url().unwrap_or_default();
        let redirects: Value = if c.redirect_uris.is_empty() {
            json!("any http://localhost:PORT/… or http://127.0.0.1:PORT/… (loopback)")
        } else {
            json!(c.redirect_uris)
        };
        json!({
            "realm_id": c.realm_id,
            "client_id": c.client_id,
            "client_secret": c.client_secret.expose_secret(),
            "access_token": self.initial.access_token,
            "refresh_token": self.initial.refresh_token,
            "base_url": base,
            "api_base": format!("{base}/v3/company/{}", c.realm_id),
            "token_url": format!("{base}/oauth2/v1/tokens/bearer"),
            "authorize_url": format!("{base}/connect/oauth2"),
            "revoke_url": format!("{base}/oauth2/v1/tokens/revoke"),
            "discovery_url": format!("{base}/.well-known/openid_sandbox_configuration"),
            "redirect_uris": redirects,
            "scope": ACCOUNTING_SCOPE,
            "minor_version": 75,
            "multicurrency": c.multicurrency,
            "home_currency": c.home_currency(),
        })
    }

    /// The configuration the sandbox was built with.
    pub fn config(&self) -> &QboConfig {
        &self.shared.config
    }

    /// Request statistics (per route template, rate-limit rejections, faults).
    pub fn stats(&self) -> RequestStats {
        self.shared.stats.clone()
    }

    /// The fault injector (change the plan at run time).
    pub fn faults(&self) -> FaultInjector {
        self.shared.faults.clone()
    }

    /// Replaces the fault plan.
    pub fn set_fault_plan(&self, plan: FaultPlan) {
        self.shared.faults.set_plan(plan);
    }

    /// Changes the throttling limits and starts a fresh minute.
    pub fn set_limits(&self, quota_per_min: u32, max_concurrent: u32) {
        self.shared
            .throttle
            .set_limits(quota_per_min, max_concurrent);
        self.shared.throttle.reset_window();
    }

    /// Changes how many `/batch` calls a minute are allowed.
    pub fn set_batch_limit(&self, batch_per_min: u32) {
        self.shared.throttle.set_batch_limit(batch_per_min);
    }

    /// Makes every access token issued so far expired.
    pub fn expire_access_tokens(&self) {
        let now = self.shared.clock.now();
        self.shared.tokens().expire_access_tokens(now);
    }

    /// A single-use authorization code for the `authorization_code` grant.
    pub fn authorization_code(&self) -> String {
        let realm = self.shared.config.realm_id.clone();
        self.shared.tokens().issue_code(&realm)
    }

    /// Moves the sandbox's clock forward.
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.shared.clock.advance(by);
    }

    /// Every stored entity of a type (inactive ones included), in id order.
    pub fn documents(&self, kind: EntityKind) -> Vec<Value> {
        self.shared.books().rows(kind).cloned().collect()
    }

    /// One entity.
    pub fn entity(&self, kind: EntityKind, id: &str) -> Option<Value> {
        self.shared.books().get_str(kind, id).cloned()
    }

    /// All invoices.
    pub fn invoices(&self) -> Vec<Value> {
        self.documents(EntityKind::Invoice)
    }

    /// All sales receipts.
    pub fn sales_receipts(&self) -> Vec<Value> {
        self.documents(EntityKind::SalesReceipt)
    }

    /// All credit memos.
    pub fn credit_memos(&self) -> Vec<Value> {
        self.documents(EntityKind::CreditMemo)
    }

    /// All refund receipts.
    pub fn refund_receipts(&self) -> Vec<Value> {
        self.documents(EntityKind::RefundReceipt)
    }

    /// All journal entries.
    pub fn journal_entries(&self) -> Vec<Value> {
        self.documents(EntityKind::JournalEntry)
    }

    /// All payments.
    pub fn payments(&self) -> Vec<Value> {
        self.documents(EntityKind::Payment)
    }

    /// All customers.
    pub fn customers(&self) -> Vec<Value> {
        self.documents(EntityKind::Customer)
    }

    /// All items.
    pub fn items(&self) -> Vec<Value> {
        self.documents(EntityKind::Item)
    }

    /// Count and `TotalAmt` sum of every transaction type.
    pub fn totals(&self) -> Totals {
        totals(&self.shared.books())
    }

    /// Documents sharing a `DocNumber` or `PrivateNote`, per transaction type.
    pub fn duplicates(&self) -> DuplicateReport {
        duplicates(&self.shared.books())
    }

    /// Records a shipment on an invoice: sets `ShipDate`, `TrackingNum`, `ShipMethodRef`,
    /// bumps `SyncToken` and `LastUpdatedTime` (so CDC and queries see it).
    pub fn record_shipment(
        &self,
        invoice_id: &str,
        shipment: &Shipment,
    ) -> Result<Value, QboError> {
        let mut books = self.shared.books();
        let fields = json!({
            "ShipDate": shipment.ship_date,
            "TrackingNum": shipment.tracking_num,
            "ShipMethodRef": reference(&shipment.ship_method, Some(&shipment.ship_method)),
        });
        ledger_edit(&mut books, EntityKind::Invoice, invoice_id, |row| {
            if let (Some(m), Some(f)) = (row.as_object_mut(), fields.as_object()) {
                for (k, v) in f {
                    m.insert(k.clone(), v.clone());
                }
            }
            Ok(())
        })
    }

    /// Changes an item's `QtyOnHand` by `delta` (an inventory adjustment made in QBO).
    pub fn adjust_quantity(&self, item_id: &str, delta: Decimal) -> Result<Value, QboError> {
        let mut books = self.shared.books();
        ledger_edit(&mut books, EntityKind::Item, item_id, |row| {
            if row.get("TrackQtyOnHand") != Some(&Value::Bool(true)) {
                return Err(QboError::business(
                    "This item does not track quantity on hand.",
                ));
            }
            let q = dec(row.get("QtyOnHand")).unwrap_or_default() + delta;
            obj_mut(row).insert("QtyOnHand".into(), num(q));
            Ok(())
        })
    }
}

/// Applies a ledger-side change to a stored entity as a QBO user's edit would.
fn ledger_edit(
    books: &mut Books,
    kind: EntityKind,
    id: &str,
    f: impl FnOnce(&mut Value) -> Result<(), QboError>,
) -> Result<Value, QboError> {
    let n: u64 = id.trim().parse().map_err(|_| QboError::invalid_id(id))?;
    let existing = books
        .get(kind, n)
        .cloned()
        .ok_or_else(QboError::not_found)?;
    let mut row = existing.clone();
    f(&mut row)?;
    let token = sync_token(&existing) + 1;
    stamp(books, &mut row, n, token, Some(&existing));
    books.put(kind, n, row.clone());
    Ok(row)
}

fn totals(books: &Books) -> Totals {
    let mut t = Totals::default();
    for kind in EntityKind::ALL.into_iter().filter(|k| k.is_transaction()) {
        let (mut n, mut sum) = (0usize, Decimal::ZERO);
        for r in books.rows(kind) {
            n += 1;
            sum += dec(r.get("TotalAmt")).unwrap_or_default();
        }
        t.by_entity.insert(kind.name().to_string(), (n, sum));
    }
    t
}

fn duplicates(books: &Books) -> DuplicateReport {
    let mut d = DuplicateReport::default();
    for kind in EntityKind::ALL.into_iter().filter(|k| k.is_transaction()) {
        for (field, target) in [
            ("DocNumber", &mut d.by_doc_number),
            ("PrivateNote", &mut d.by_private_note),
        ] {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for r in books.rows(kind) {
                if let Some(v) = text(r, field).filter(|v| *v != "Voided") {
                    *counts.entry(v.to_string()).or_default() += 1;
                }
            }
            counts.retain(|_, n| *n > 1);
            if !counts.is_empty() {
                target.insert(kind.name().to_string(), counts);
            }
        }
    }
    d
}

async fn state_route(State(sb): State<QboSandbox>) -> Json<Value> {
    let books = sb.shared.books();
    let counts: BTreeMap<&str, usize> = EntityKind::ALL
        .into_iter()
        .map(|k| (k.name(), books.rows(k).count()))
        .collect();
    let t = totals(&books);
    let totals: BTreeMap<String, Value> = t
        .by_entity
        .iter()
        .map(|(k, (n, s))| (k.clone(), json!({ "count": n, "total": num(*s) })))
        .collect();
    let (quota, concurrent) = sb.shared.throttle.limits();
    Json(json!({
        "realm_id": sb.shared.config.realm_id,
        "counts": counts,
        "totals": totals,
        "deleted": books.tombstones.len(),
        "limits": { "quota_per_min": quota, "max_concurrent": concurrent },
    }))
}

#[derive(Deserialize)]
struct EntityParam {
    entity: String,
}

async fn documents_route(State(sb): State<QboSandbox>, Query(p): Query<EntityParam>) -> Response {
    match EntityKind::parse(&p.entity) {
        Some(kind) => Json(json!({ kind.name(): sb.documents(kind) })).into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": format!("unknown entity {}", p.entity) })),
        )
            .into_response(),
    }
}

async fn duplicates_route(State(sb): State<QboSandbox>) -> Json<Value> {
    let d = sb.duplicates();
    Json(json!({
        "by_doc_number": d.by_doc_number,
        "by_private_note": d.by_private_note,
        "extra_documents": d.extra_documents(),
    }))
}

fn result(r: Result<Value, QboError>, sb: &QboSandbox) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response_at(&sb.shared.clock.response_time()),
    }
}

#[derive(Deserialize)]
struct ShipmentBody {
    invoice_id: String,
    #[serde(rename = "ShipDate")]
    ship_date: String,
    #[serde(rename = "TrackingNum", default)]
    tracking_num: String,
    #[serde(rename = "ShipMethod", default)]
    ship_method: String,
}

async fn shipment_route(State(sb): State<QboSandbox>, Json(b): Json<ShipmentBody>) -> Response {
    let shipment = Shipment {
        ship_date: b.ship_date,
        tracking_num: b.tracking_num,
        ship_method: b.ship_method,
    };
    let r = sb.record_shipment(&b.invoice_id, &shipment);
    result(r, &sb)
}

async fn adjust_route(State(sb): State<QboSandbox>, Json(b): Json<Value>) -> Response {
    let item = b.get("item_id").and_then(|v| crate::json::id_text(Some(v)));
    let delta = b
        .get("qty_delta")
        .and_then(|v| dec(Some(v)).or_else(|| v.as_str().and_then(parse_decimal)));
    match (item, delta) {
        (Some(i), Some(d)) => {
            let r = sb.adjust_quantity(&i, d);
            result(r, &sb)
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "expected {\"item_id\": \"…\", \"qty_delta\": n}" })),
        )
            .into_response(),
    }
}

async fn expire_route(State(sb): State<QboSandbox>) -> StatusCode {
    sb.expire_access_tokens();
    StatusCode::NO_CONTENT
}

async fn code_route(State(sb): State<QboSandbox>) -> Json<Value> {
    Json(json!({ "code": sb.authorization_code(), "realmId": sb.shared.config.realm_id }))
}

async fn clock_route(State(sb): State<QboSandbox>, Json(b): Json<Value>) -> StatusCode {
    let secs = b.get("seconds").and_then(Value::as_i64).unwrap_or(0);
    sb.advance_clock(chrono::Duration::seconds(secs));
    StatusCode::NO_CONTENT
}

/// The scope an app asks for to use the Accounting API.
pub const ACCOUNTING_SCOPE: &str = "com.intuit.quickbooks.accounting";

async fn preferences_route(State(sb): State<QboSandbox>, Json(b): Json<Value>) -> Json<Value> {
    if let Some(on) = b.get("duplicate_doc_number_check").and_then(Value::as_bool) {
        sb.set_duplicate_doc_number_check(on);
    }
    Json(json!({ "duplicate_doc_number_check": sb.duplicate_doc_number_check() }))
}

fn loopback(uri: &str) -> bool {
    [
        "http://localhost:",
        "http://localhost/",
        "http://127.0.0.1:",
        "http://127.0.0.1/",
    ]
    .iter()
    .any(|p| uri.starts_with(p))
}

/// Intuit's consent step (`https://appcenter.intuit.com/connect/oauth2`), answered as if the
/// user had signed in and chosen this company: `302` to `redirect_uri?code=…&state=…&realmId=…`.
/// Errors follow RFC 6749 §4.1.2.1: an unknown client or redirect URI is a `400` page (never a
/// redirect to an unchecked URI); anything else redirects with `error=…&state=…`.
async fn authorize_route(
    State(sb): State<QboSandbox>,
    Query(p): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let c = &sb.shared.config;
    let bad = |why: &str| (StatusCode::BAD_REQUEST, why.to_string()).into_response();
    let client_ok = p
        .get("client_id")
        .is_some_and(|id| sb.shared.tokens().is_client(id));
    if !client_ok {
        return bad("invalid client_id");
    }
    let Some(redirect) = p.get("redirect_uri").cloned() else {
        return bad("redirect_uri is required");
    };
    let allowed = if c.redirect_uris.is_empty() {
        loopback(&redirect)
    } else {
        c.redirect_uris.contains(&redirect)
    };
    if !allowed {
        return bad("The redirect_uri is not registered for this app");
    }
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let state = p.get("state").cloned().unwrap_or_default();
    let error = if p.get("response_type").map(String::as_str) != Some("code") {
        Some("unsupported_response_type")
    } else if !p
        .get("scope")
        .is_some_and(|s| s.split_whitespace().any(|x| x == ACCOUNTING_SCOPE))
    {
        Some("invalid_scope")
    } else if state.is_empty() {
        // Intuit requires `state` (CSRF protection); be as strict.
        Some("invalid_request")
    } else {
        None
    };
    let query = match error {
        Some(e) => serde_urlencoded::to_string([("error", e), ("state", state.as_str())]),
        None => {
            let code = sb.shared.tokens().issue_code_for(&c.realm_id, &redirect);
            serde_urlencoded::to_string([
                ("code", code.as_str()),
                ("state", state.as_str()),
                ("realmId", c.realm_id.as_str()),
            ])
        }
    }
    .unwrap_or_default();
    (
        StatusCode::FOUND,
        [(http::header::LOCATION, format!("{redirect}{sep}{query}"))],
    )
        .into_response()
}

async fn limits_route(State(sb): State<QboSandbox>, Json(b): Json<Value>) -> Json<Value> {
    let (q, c) = sb.shared.throttle.limits();
    let q = b
        .get("quota_per_min")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(q);
    let c = b
        .get("max_concurrent")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(c);
    sb.set_limits(q, c);
    if let Some(b) = b
        .get("batch_per_min")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
    {
        sb.set_batch_limit(b);
    }
    Json(json!({ "quota_per_min": q, "max_concurrent": c }))
}
