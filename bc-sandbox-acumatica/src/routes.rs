//! The API routes: sign-in and sign-out, the OAuth token endpoint, and the contract-based REST
//! endpoint `/entity/Default/24.200.001/…` (list with `$filter $expand $select $top $skip`,
//! read by keys or id, PUT upsert, actions and their status polls).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bc_sandbox::faults::FaultInjector;
use bc_sandbox::stats::RequestStats;
use serde_json::{json, Value};
use std::sync::Arc;

use crate::actions::{self, Operation, Operations};
use crate::auth::{credential, Sessions};
use crate::documents::{self, PutMode};
use crate::errors::AcuError;
use crate::filter;
use crate::schema::Kind;
use crate::store::Store;
use crate::throttle::{Permit, Throttle};
use crate::{AcumaticaSandboxConfig, ENDPOINT};

/// Everything the routes share.
pub(crate) struct Shared {
    pub config: AcumaticaSandboxConfig,
    pub store: Mutex<Store>,
    pub sessions: Mutex<Sessions>,
    pub ops: Mutex<Operations>,
    pub throttle: Throttle,
    pub stats: RequestStats,
    pub faults: FaultInjector,
    pub action_polls: Mutex<u32>,
}

impl Shared {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn sessions(&self) -> MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn ops(&self) -> MutexGuard<'_, Operations> {
        self.ops.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// License limits, then the session: what every API request passes first.
    fn admit(&self, headers: &HeaderMap) -> Result<Permit, AcuError> {
        let permit = self.throttle.acquire().map_err(|m| {
            self.stats.record_rate_limited();
            AcuError::too_many(m)
        })?;
        self.sessions().authorize(credential(headers).as_ref())?;
        Ok(permit)
    }
}

type S = State<Arc<Shared>>;

pub(crate) fn api_router(shared: Arc<Shared>) -> Router {
    let e = ENDPOINT;
    Router::new()
        .route("/entity/auth/login", post(login))
        .route("/entity/auth/logout", post(logout))
        .route("/identity/connect/token", post(token))
        .route(&format!("{e}/{{entity}}"), get(list).put(put))
        .route(&format!("{e}/{{entity}}/{{*rest}}"), get(read).post(invoke))
        .with_state(shared)
}

fn kind_of(name: &str) -> Result<Kind, AcuError> {
    Kind::parse(name).ok_or_else(|| AcuError::Http {
        status: StatusCode::NOT_FOUND,
        message: format!("The entity '{name}' is not defined in the endpoint Default/24.200.001."),
        exception: None,
        exception_type: None,
    })
}

fn respond(r: Result<Response, AcuError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

async fn login(State(s): S, body: Bytes) -> Response {
    let Ok(b) = serde_json::from_slice::<Value>(&body) else {
        return AcuError::bad_request("The request body is not valid JSON.").into_response();
    };
    let name = b.get("name").and_then(Value::as_str).unwrap_or_default();
    let pw = b
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let company = b.get("company").and_then(Value::as_str);
    if let Err(e) = s.throttle.acquire().map_err(AcuError::too_many) {
        s.stats.record_rate_limited();
        return e.into_response();
    }
    match s.sessions().login(name, pw, company) {
        Ok((auth, sid)) => {
            let mut resp = StatusCode::NO_CONTENT.into_response();
            for c in [
                format!(".ASPXAUTH={auth}; path=/; HttpOnly"),
                format!("ASP.NET_SessionId={sid}; path=/; HttpOnly; SameSite=Lax"),
                "UserBranch=16; path=/".to_string(),
                "Locale=Culture=en-US&TimeZone=GMTM0500A; path=/".to_string(),
            ] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    resp.headers_mut().append(http::header::SET_COOKIE, v);
                }
            }
            resp
        }
        Err(e) => e.into_response(),
    }
}

async fn logout(State(s): S, headers: HeaderMap) -> StatusCode {
    s.sessions().logout(credential(&headers).as_ref());
    StatusCode::NO_CONTENT
}

async fn token(State(s): S, body: Bytes) -> Response {
    let form: BTreeMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    match s.sessions().grant(&form) {
        Ok((t, ttl)) => Json(
            json!({"access_token": t, "expires_in": ttl, "token_type": "Bearer", "scope": "api"}),
        )
        .into_response(),
        Err((status, e)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            Json(json!({"error": e})),
        )
            .into_response(),
    }
}

struct ListParams {
    filter: Option<filter::Filter>,
    expand: Vec<String>,
    select: Option<Vec<String>>,
    top: Option<usize>,
    skip: usize,
}

fn params(kind: Kind, q: &HashMap<String, String>) -> Result<ListParams, AcuError> {
    let filter = match q
        .get("$filter")
        .map(String::as_str)
        .filter(|f| !f.trim().is_empty())
    {
        Some(f) => Some(
            filter::parse(f, kind.filterable())
                .map_err(|e| AcuError::bad_request(format!("$filter: {e}")))?,
        ),
        None => None,
    };
    let num = |k: &str| -> Result<Option<usize>, AcuError> {
        q.get(k)
            .map(|v| {
                v.trim().parse::<usize>().map_err(|_| {
                    AcuError::bad_request(format!("{k} must be a non-negative integer"))
                })
            })
            .transpose()
    };
    Ok(ListParams {
        filter,
        expand: documents::parse_expand(kind, q.get("$expand").map(String::as_str))?,
        select: q.get("$select").map(|s| {
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        }),
        top: num("$top")?,
        skip: num("$skip")?.unwrap_or(0),
    })
}

async fn list(
    State(s): S,
    Path(entity): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    respond((|| {
        let _permit = s.admit(&headers)?;
        let kind = kind_of(&entity)?;
        let p = params(kind, &q)?;
        let store = s.store();
        let rows: Vec<Value> = store
            .rows(kind)
            .iter()
            .filter(|r| p.filter.as_ref().is_none_or(|f| f.matches(r)))
            .skip(p.skip)
            .take(p.top.unwrap_or(usize::MAX))
            .map(|r| documents::present(kind, r, &p.expand, p.select.as_deref()))
            .collect();
        Ok(Json(Value::Array(rows)).into_response())
    })())
}

async fn put(
    State(s): S,
    Path(entity): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond((|| {
        let _permit = s.admit(&headers)?;
        let kind = kind_of(&entity)?;
        let p = params(kind, &q)?;
        let body: Value = serde_json::from_slice(&body).map_err(|e| {
            AcuError::bad_request(format!("The request body is not valid JSON: {e}"))
        })?;
        let star = |h: http::HeaderName| {
            headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim() == "*")
        };
        let mode = if star(http::header::IF_NONE_MATCH) {
            PutMode::InsertOnly
        } else if star(http::header::IF_MATCH) {
            PutMode::UpdateOnly
        } else {
            PutMode::Upsert
        };
        let mut store = s.store();
        let saved = documents::put(&mut store, kind, &body, mode)?;
        let expand = if kind == Kind::InventorySummaryInquiry {
            vec!["Results".to_string()]
        } else {
            p.expand
        };
        Ok(Json(documents::present(
            kind,
            &saved,
            &expand,
            p.select.as_deref(),
        ))
        .into_response())
    })())
}

fn accepted(location: &str, status: StatusCode) -> Response {
    let mut resp = status.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(http::header::LOCATION, v);
    }
    resp
}

async fn read(
    State(s): S,
    Path((entity, rest)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    respond((|| {
        let _permit = s.admit(&headers)?;
        let kind = kind_of(&entity)?;
        let parts: Vec<String> = rest.split('/').map(str::to_string).collect();
        if parts.len() == 3 && parts[1] == "status" && kind.actions().contains(&parts[0].as_str()) {
            return poll(&s, kind, &parts[0], &parts[2]);
        }
        let p = params(kind, &q)?;
        let store = s.store();
        let row = if parts.len() == 1 {
            store
                .by_id(kind, &parts[0])
                .or_else(|| store.get(kind, &parts))
        } else {
            store.get(kind, &parts)
        };
        let row = row.ok_or_else(AcuError::not_found)?;
        Ok(Json(documents::present(
            kind,
            row,
            &p.expand,
            p.select.as_deref(),
        ))
        .into_response())
    })())
}

fn poll(s: &Shared, kind: Kind, action: &str, op_id: &str) -> Result<Response, AcuError> {
    let here = format!("{ENDPOINT}/{}/{action}/status/{op_id}", kind.name());
    let mut ops = s.ops();
    let op = ops.get_mut(op_id).ok_or_else(AcuError::not_found)?;
    if let Some(done) = &op.outcome {
        return done
            .clone()
            .map(|loc| accepted(&loc, StatusCode::NO_CONTENT));
    }
    // `u32::MAX` polls: an operation that never completes (a hung long operation).
    if op.polls_left == u32::MAX {
        return Ok(accepted(&here, StatusCode::ACCEPTED));
    }
    if op.polls_left > 0 {
        op.polls_left -= 1;
        return Ok(accepted(&here, StatusCode::ACCEPTED));
    }
    let outcome = actions::apply(&mut s.store(), op);
    op.outcome = Some(outcome.clone());
    outcome.map(|loc| accepted(&loc, StatusCode::NO_CONTENT))
}

async fn invoke(
    State(s): S,
    Path((entity, rest)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond((|| {
        let _permit = s.admit(&headers)?;
        let kind = kind_of(&entity)?;
        if !kind.actions().contains(&rest.as_str()) {
            return Err(AcuError::bad_request(format!(
                "The action '{rest}' is not defined for {}.",
                kind.name()
            )));
        }
        let body: Value = serde_json::from_slice(&body).map_err(|e| {
            AcuError::bad_request(format!("The request body is not valid JSON: {e}"))
        })?;
        let entity = body
            .get("entity")
            .ok_or_else(|| AcuError::bad_request("The invocation has no 'entity'."))?;
        let row = actions::target(&s.store(), kind, entity)?;
        actions::precheck(kind, &rest, &row)?;
        let polls = *s.action_polls.lock().unwrap_or_else(|e| e.into_inner());
        let op = Operation {
            kind,
            action: rest.clone(),
            record: row["id"].as_str().unwrap_or_default().to_string(),
            parameters: body.get("parameters").cloned().unwrap_or(json!({})),
            polls_left: polls,
            outcome: None,
        };
        let id = s.ops().start(op);
        Ok(accepted(
            &format!("{ENDPOINT}/{}/{rest}/status/{id}", kind.name()),
            StatusCode::ACCEPTED,
        ))
    })())
}
