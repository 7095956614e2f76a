//! The HTTP surface: `/v3/company/{realmId}/…` (entity CRUD, query, batch, cdc) behind the
//! bearer check and the throttle, the OAuth endpoints, and the discovery document.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bc_sandbox::faults::FaultInjector;
use bc_sandbox::stats::RequestStats;
use serde_json::{json, Value};

use crate::auth::{discovery, BearerError, TokenStore};
use crate::clock::Clock;
use crate::config::QboConfig;
use crate::entities::{self, WriteOptions};
use crate::errors::{authentication_failed, authorization_failed, QboError};
use crate::state::{Books, EntityKind, Replay};
use crate::throttle::Throttle;
use crate::{batch, cdc, query};

/// Everything a sandbox's handlers share.
pub(crate) struct Shared {
    pub config: QboConfig,
    pub clock: Clock,
    pub books: Mutex<Books>,
    pub tokens: Mutex<TokenStore>,
    pub throttle: Throttle,
    pub stats: RequestStats,
    pub faults: FaultInjector,
    /// Next `intuit_tid` sequence number.
    pub tid: std::sync::atomic::AtomicU64,
    /// Per-sandbox part of `intuit_tid`.
    pub tid_prefix: u32,
}

impl Shared {
    pub fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn tokens(&self) -> MutexGuard<'_, TokenStore> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}

type S = Arc<Shared>;

/// The API and OAuth routes (the caller adds `/__sandbox/*`, faults and stats).
pub(crate) fn api_router(shared: S) -> Router {
    let company = Router::new()
        .route(
            "/v3/company/{realm_id}/query",
            get(query_get).post(query_post),
        )
        .route("/v3/company/{realm_id}/batch", post(batch_post))
        .route("/v3/company/{realm_id}/cdc", get(cdc_get))
        .route(
            "/v3/company/{realm_id}/{entity}",
            post(entity_post).get(entity_get_single),
        )
        .route("/v3/company/{realm_id}/{entity}/{id}", get(entity_get))
        .route_layer(middleware::from_fn_with_state(shared.clone(), guard))
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            transaction_id,
        ));
    Router::new()
        .route("/oauth2/v1/tokens/bearer", post(token))
        .route("/oauth2/v1/tokens/revoke", post(revoke))
        .route(
            "/.well-known/openid_sandbox_configuration",
            get(discovery_doc),
        )
        .route(
            "/.well-known/openid_sandbox_configuration/",
            get(discovery_doc),
        )
        .route("/.well-known/openid_configuration", get(discovery_doc))
        .route("/.well-known/openid_configuration/", get(discovery_doc))
        .merge(company)
        .with_state(shared)
}

/// Bearer check, then throttle, around every `/v3/company/{realmId}` route.
async fn guard(State(s): State<S>, req: Request, next: Next) -> Response {
    let realm = req
        .uri()
        .path()
        .split('/')
        .nth(3)
        .unwrap_or_default()
        .to_string();
    let now = s.clock.now();
    let checked = s.tokens().check(req.headers(), &realm, now);
    match checked {
        Ok(()) => {}
        Err(BearerError::WrongRealm) => return authorization_failed(now.timestamp_millis()),
        Err(e) => {
            let detail = match e {
                BearerError::Expired => "Token expired",
                BearerError::Missing => "Authorization header is missing or is not a Bearer token",
                _ => "Token invalid or revoked",
            };
            return authentication_failed(detail, now.timestamp_millis());
        }
    }
    if realm != s.config.realm_id {
        return authorization_failed(now.timestamp_millis());
    }
    let is_batch = req.uri().path().ends_with("/batch");
    // The time of admission, taken now (the token check above may have waited on a lock).
    let permit = match s.throttle.acquire(s.clock.now(), is_batch) {
        Ok(p) => p,
        Err(_) => {
            s.stats.record_rate_limited();
            return QboError::throttled().into_response_at(&s.clock.response_time());
        }
    };
    let resp = next.run(req).await;
    drop(permit);
    resp
}

/// Every API answer carries an `intuit_tid` header (Intuit's transaction id, which support asks
/// for); here a per-sandbox sequence.
async fn transaction_id(State(s): State<S>, req: Request, next: Next) -> Response {
    let n = s.tid.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut resp = next.run(req).await;
    if let Ok(v) = http::HeaderValue::from_str(&format!("1-{:08x}-{:016x}", s.tid_prefix, n)) {
        resp.headers_mut().insert("intuit_tid", v);
    }
    resp
}

fn ok(time: &str, key: &str, v: Value) -> Response {
    Json(json!({ key: v, "time": time })).into_response()
}

fn kind_of(entity: &str) -> Result<EntityKind, QboError> {
    EntityKind::parse(entity).ok_or_else(|| {
        QboError::unsupported_operation("this request", &format!("the resource '{entity}'"))
    })
}

/// One write, as the single-entity endpoint and a batch item both perform it.
pub(crate) fn write_entity(
    books: &mut Books,
    kind: EntityKind,
    operation: Option<&str>,
    body: Value,
    opts: WriteOptions,
) -> Result<Value, QboError> {
    match operation.map(str::to_ascii_lowercase).as_deref() {
        Some("delete") => entities::delete(books, kind, body),
        Some("void") => entities::void(books, kind, body),
        Some("update") => entities::update(books, kind, body, opts),
        Some("create") => entities::create(books, kind, body, opts),
        None | Some("") => {
            if body.get("Id").is_some_and(|v| !v.is_null()) {
                entities::update(books, kind, body, opts)
            } else {
                entities::create(books, kind, body, opts)
            }
        }
        Some(other) => Err(QboError::unsupported_operation(other, kind.name())),
    }
}

fn options(params: &HashMap<String, String>) -> WriteOptions {
    WriteOptions {
        allow_duplicate_doc_number: params.get("include").is_some_and(|i| {
            i.split(',')
                .any(|x| x.trim().eq_ignore_ascii_case("allowduplicatedocnum"))
        }),
    }
}

/// Longest `requestid` QBO accepts, and on `/batch` (Intuit, "Request ID update for QuickBooks
/// Online integration", developer blog 2015-04-06: "a maximum of 50 characters for all
/// operations except batch. For batch operations, the RequestID supports a maximum of 36").
const MAX_REQUEST_ID: usize = 50;
const MAX_BATCH_REQUEST_ID: usize = 36;

/// Runs `f` once per `requestid`: a repeated id within [`QboConfig::request_id_ttl_secs`] gets
/// the first response back, and nothing is written twice. Intuit publishes no retention for
/// `requestid`s, so the sandbox remembers them for a bounded window only (default one hour)
/// and forgets them after: a client must never rely on a replay to avoid a duplicate after
/// that (it searches by the import id it stored on the document).
fn once(
    s: &Shared,
    params: &HashMap<String, String>,
    max_len: usize,
    f: impl FnOnce(&mut Books) -> (StatusCode, Value),
) -> Response {
    let key = params
        .get("requestid")
        .filter(|r| !r.trim().is_empty())
        .map(|r| r.trim().to_string());
    if let Some(k) = &key {
        let n = k.chars().count();
        if n > max_len {
            let head: String = k.chars().take(10).collect();
            return QboError::business(&format!(
                "You cannot enter more than {max_len} characters in the request_id field. You tried entering {head}..., which is {n} characters."
            ))
            .into_response_at(&s.clock.response_time());
        }
    }
    let key = key.map(|r| format!("{}|{}", s.config.realm_id, r));
    let mut books = s.books();
    let now = s.clock.now();
    let ttl = chrono::Duration::seconds(
        i64::try_from(s.config.request_id_ttl_secs).unwrap_or(i64::MAX / 2_000),
    );
    if let Some(k) = &key {
        match books.replays.get(k) {
            Some(r) if now - r.at < ttl => {
                let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
                return (status, Json(r.body.clone())).into_response();
            }
            Some(_) => {
                books.replays.remove(k);
            }
            None => {}
        }
    }
    let (status, body) = f(&mut books);
    if let Some(k) = key {
        // Forget expired ids now and then, so memory stays bounded by the window.
        if books.replays.len() % 1024 == 1023 {
            books.replays.retain(|_, r| now - r.at < ttl);
        }
        books.replays.insert(
            k,
            Replay {
                status: status.as_u16(),
                body: body.clone(),
                at: now,
            },
        );
    }
    (status, Json(body)).into_response()
}

async fn entity_post(
    State(s): State<S>,
    Path((_realm, entity)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let time = s.clock.response_time();
    let kind = match kind_of(&entity) {
        Ok(k) => k,
        Err(e) => return e.into_response_at(&time),
    };
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            return QboError::invalid_value(kind.name(), "the request body is not valid JSON")
                .into_response_at(&time)
        }
    };
    // Accept both the bare entity and `{"Invoice": {...}}`.
    let parsed = match parsed.get(kind.name()) {
        Some(inner) if parsed.as_object().is_some_and(|m| m.len() == 1) => inner.clone(),
        _ => parsed,
    };
    let opts = options(&params);
    let operation = params.get("operation").cloned();
    once(&s, &params, MAX_REQUEST_ID, |books| {
        match write_entity(books, kind, operation.as_deref(), parsed, opts) {
            Ok(v) => (StatusCode::OK, json!({ kind.name(): v, "time": time })),
            Err(e) => (e.status, e.body(&time)),
        }
    })
}

async fn entity_get(
    State(s): State<S>,
    Path((_realm, entity, id)): Path<(String, String, String)>,
) -> Response {
    let time = s.clock.response_time();
    let result = kind_of(&entity).and_then(|kind| {
        let books = s.books();
        entities::read(&books, kind, &id).map(|v| (kind, v))
    });
    match result {
        Ok((kind, v)) => ok(&time, kind.name(), v),
        Err(e) => e.into_response_at(&time),
    }
}

/// `GET /preferences` (a singleton without an id) and `GET /companyinfo`.
async fn entity_get_single(
    State(s): State<S>,
    Path((_realm, entity)): Path<(String, String)>,
) -> Response {
    let time = s.clock.response_time();
    let result = kind_of(&entity).and_then(|kind| match kind {
        EntityKind::Preferences | EntityKind::CompanyInfo => {
            let books = s.books();
            let first = books.rows(kind).next().cloned();
            first.map(|v| (kind, v)).ok_or_else(QboError::not_found)
        }
        _ => Err(QboError::unsupported_operation("GET", kind.name())),
    });
    match result {
        Ok((kind, v)) => ok(&time, kind.name(), v),
        Err(e) => e.into_response_at(&time),
    }
}

fn run_query(s: &Shared, text: &str) -> Response {
    let time = s.clock.response_time();
    let parsed = query::parse(text);
    match parsed {
        Ok(q) => {
            let books = s.books();
            ok(&time, "QueryResponse", query::run(&books, &q))
        }
        Err(e) => e.into_response_at(&time),
    }
}

async fn query_get(State(s): State<S>, Query(params): Query<HashMap<String, String>>) -> Response {
    match params.get("query") {
        Some(q) => run_query(&s, q),
        None => QboError::required("query").into_response_at(&s.clock.response_time()),
    }
}

/// `POST /query` with the query as an `application/text` body (what several SDKs send).
async fn query_post(
    State(s): State<S>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let text = String::from_utf8_lossy(&body).to_string();
    if text.trim().is_empty() {
        return match params.get("query") {
            Some(q) => run_query(&s, q),
            None => QboError::required("query").into_response_at(&s.clock.response_time()),
        };
    }
    run_query(&s, &text)
}

async fn batch_post(
    State(s): State<S>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let time = s.clock.response_time();
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            return QboError::invalid_value(
                "BatchItemRequest",
                "the request body is not valid JSON",
            )
            .into_response_at(&time)
        }
    };
    let max = s.config.batch_max_items;
    once(&s, &params, MAX_BATCH_REQUEST_ID, |books| match batch::run(
        books,
        &parsed,
        max,
        options(&params),
    ) {
        Ok(items) => (
            StatusCode::OK,
            json!({ "BatchItemResponse": items, "time": time }),
        ),
        Err(e) => (e.status, e.body(&time)),
    })
}

async fn cdc_get(State(s): State<S>, Query(params): Query<HashMap<String, String>>) -> Response {
    let time = s.clock.response_time();
    let books = s.books();
    match cdc::run(
        &books,
        params.get("entities").map(String::as_str),
        params.get("changedSince").map(String::as_str),
    ) {
        Ok(v) => Json(json!({ "CDCResponse": [v], "time": time })).into_response(),
        Err(e) => e.into_response_at(&time),
    }
}

async fn token(State(s): State<S>, headers: HeaderMap, body: Bytes) -> Response {
    let now = s.clock.now();
    s.tokens().token_endpoint(&headers, &body, now)
}

async fn revoke(State(s): State<S>, headers: HeaderMap, body: Bytes) -> Response {
    s.tokens().revoke_endpoint(&headers, &body)
}

async fn discovery_doc(headers: HeaderMap) -> Response {
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    Json(discovery(&format!("http://{host}"))).into_response()
}

/// The body of an injected error status, in QBO's shape.
pub(crate) fn injected_error(status: u16, time: &str) -> Response {
    if status == 429 {
        return QboError::throttled().into_response_at(time);
    }
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "Fault": {
            "Error": [{
                "Message": "An application error has occurred while processing your request",
                "Detail": format!("System Failure Error: An unexpected error occurred while accessing or saving your data. Please wait a few minutes and try again. If the problem persists, contact customer support. (HTTP {status})"),
                "code": "10000",
                "element": ""
            }],
            "type": "SystemFault"
        },
        "time": time
    });
    let mut resp = (code, Json(body)).into_response();
    if status == 503 {
        resp.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("5"),
        );
    }
    resp
}
