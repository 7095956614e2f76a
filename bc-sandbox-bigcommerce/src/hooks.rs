//! v3 webhooks: `/v3/hooks` CRUD and deliveries.
//!
//! When an order is created, updated, changes status or is refunded, every active hook whose
//! scope matches (`store/order/statusUpdated`, or a wildcard like `store/order/*`) gets a POST
//! of BigCommerce's lightweight payload:
//! `{"scope", "store_id", "data": {"type": "order", "id", "status": {…}}, "hash", "created_at",
//! "producer": "stores/{store_hash}"}`, where `hash` is the SHA-1 of the JSON-encoded `data`,
//! with `Content-Type: application/json` and the custom headers the hook registered.
//!
//! Deliveries go out from a background task over plain HTTP (the sandbox cannot present a
//! certificate for `https://` destinations: those deliveries are recorded as failed with the
//! reason). Each attempt is recorded (see [`crate::BigCommerceSandbox::deliveries`]).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::state::*;
use crate::wire::{self, Page, Params};
use crate::App;

/// A hook on the wire.
pub fn hook_json(h: &Hook, store_hash: &str) -> Value {
    json!({
        "id": h.id,
        "client_id": "sandboxclientid",
        "store_hash": store_hash,
        "scope": h.scope,
        "destination": h.destination,
        "headers": if h.headers.is_empty() { Value::Null } else { json!(h.headers) },
        "is_active": h.is_active,
        "events_history_enabled": false,
        "created_at": h.created_at,
        "updated_at": h.updated_at,
    })
}

fn scope_matches(hook: &str, event: &str) -> bool {
    hook == event
        || hook
            .strip_suffix('*')
            .is_some_and(|prefix| event.starts_with(prefix))
}

fn headers_of(v: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Ok((k.clone(), other.to_string())),
            })
            .collect(),
        Some(_) => Err("headers must be an object of strings".into()),
    }
}

/// `GET /v3/hooks` (`is_active`, `scope`, `destination` filters; paged).
pub async fn list(State(app): State<App>, Query(params): Query<Params>) -> Response {
    let store = app.shared.lock();
    let hooks: Vec<&Hook> = store
        .hooks
        .values()
        .filter(|h| {
            params
                .get("is_active")
                .is_none_or(|a| (a == "true") == h.is_active)
        })
        .filter(|h| params.get("scope").is_none_or(|s| *s == h.scope))
        .filter(|h| {
            params
                .get("destination")
                .is_none_or(|d| *d == h.destination)
        })
        .collect();
    let page = Page::from(&params, 250);
    let slice = page.slice(&hooks);
    let data: Vec<Value> = slice
        .iter()
        .map(|h| hook_json(h, &app.store_hash))
        .collect();
    Json(json!({ "data": data, "meta": page.meta(hooks.len(), slice.len()) })).into_response()
}

/// `POST /v3/hooks`.
pub async fn create(State(app): State<App>, body: Option<Json<Value>>) -> Response {
    let Some(Json(body)) = body else {
        return wire::v3_error(400, "Input is invalid.");
    };
    let scope = body
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let destination = body
        .get("destination")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if scope.is_empty() || destination.is_empty() {
        return wire::v3_error_with(
            422,
            "JSON data is missing or invalid",
            json!({ "scope": "scope and destination are required" }),
        );
    }
    if !(destination.starts_with("http://") || destination.starts_with("https://")) {
        return wire::v3_error_with(
            422,
            "JSON data is missing or invalid",
            json!({ "destination": "must be a URL" }),
        );
    }
    let headers = match headers_of(body.get("headers")) {
        Ok(h) => h,
        Err(e) => {
            return wire::v3_error_with(
                422,
                "JSON data is missing or invalid",
                json!({ "headers": e }),
            )
        }
    };
    let mut store = app.shared.lock();
    let now = store.now().timestamp();
    let id = store.next_id("hook");
    let hook = Hook {
        id,
        scope,
        destination,
        is_active: body
            .get("is_active")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        headers,
        created_at: now,
        updated_at: now,
    };
    let out = hook_json(&hook, &app.store_hash);
    store.hooks.insert(id, hook);
    Json(json!({ "data": out, "meta": {} })).into_response()
}

/// `GET /v3/hooks/{id}`.
pub async fn get(State(app): State<App>, Path((_h, id)): Path<(String, String)>) -> Response {
    let store = app.shared.lock();
    match id.parse::<u64>().ok().and_then(|id| store.hooks.get(&id)) {
        Some(h) => {
            Json(json!({ "data": hook_json(h, &app.store_hash), "meta": {} })).into_response()
        }
        None => wire::v3_error(404, "The requested resource was not found."),
    }
}

/// `PUT /v3/hooks/{id}` (scope, destination, is_active, headers).
pub async fn update(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return wire::v3_error(400, "Input is invalid.");
    };
    let mut store = app.shared.lock();
    let now = store.now().timestamp();
    let Some(h) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| store.hooks.get_mut(&id))
    else {
        return wire::v3_error(404, "The requested resource was not found.");
    };
    if let Some(s) = body.get("scope").and_then(Value::as_str) {
        h.scope = s.to_string();
    }
    if let Some(s) = body.get("destination").and_then(Value::as_str) {
        h.destination = s.to_string();
    }
    if let Some(a) = body.get("is_active").and_then(Value::as_bool) {
        h.is_active = a;
    }
    if body.get("headers").is_some() {
        match headers_of(body.get("headers")) {
            Ok(hd) => h.headers = hd,
            Err(e) => {
                return wire::v3_error_with(
                    422,
                    "JSON data is missing or invalid",
                    json!({ "headers": e }),
                )
            }
        }
    }
    h.updated_at = now;
    let out = hook_json(h, &app.store_hash);
    Json(json!({ "data": out, "meta": {} })).into_response()
}

/// `DELETE /v3/hooks/{id}`: answers the deleted hook.
pub async fn delete(State(app): State<App>, Path((_h, id)): Path<(String, String)>) -> Response {
    let mut store = app.shared.lock();
    match id
        .parse::<u64>()
        .ok()
        .and_then(|id| store.hooks.remove(&id))
    {
        Some(h) => {
            Json(json!({ "data": hook_json(&h, &app.store_hash), "meta": {} })).into_response()
        }
        None => wire::v3_error(404, "The requested resource was not found."),
    }
}

/// The payload BigCommerce posts for `event`.
pub fn payload(event: &Event, store_id: &str, store_hash: &str, created_at: i64) -> Value {
    let data_text = serde_json::to_string(&event.data).unwrap_or_default();
    json!({
        "scope": event.scope,
        "store_id": store_id,
        "data": event.data,
        "hash": sha1_smol::Sha1::from(data_text.as_bytes()).digest().to_string(),
        "created_at": created_at,
        "producer": format!("stores/{store_hash}"),
    })
}

/// Send `events` to every matching active hook, in the background.
pub fn dispatch(app: &App, events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    let mut jobs = Vec::new();
    {
        let mut store = app.shared.lock();
        let now = store.now().timestamp();
        for ev in &events {
            for h in store
                .hooks
                .values()
                .filter(|h| h.is_active && scope_matches(&h.scope, &ev.scope))
            {
                jobs.push((
                    h.id,
                    h.destination.clone(),
                    h.headers.clone(),
                    ev.scope.clone(),
                    payload(ev, &app.store_id, &app.store_hash, now),
                ));
            }
        }
    }
    if jobs.is_empty() {
        return;
    }
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        let mut store = app.shared.lock();
        for (hook_id, _, _, scope, payload) in jobs {
            store.deliveries.push(Delivery {
                hook_id,
                scope,
                payload,
                status: None,
                error: Some("no tokio runtime to deliver from".into()),
            });
        }
        return;
    };
    let shared = app.shared.clone();
    app.pending
        .fetch_add(jobs.len(), std::sync::atomic::Ordering::SeqCst);
    let pending = app.pending.clone();
    handle.spawn(async move {
        // One after another, in event order, like a single delivery queue.
        for (hook_id, dest, headers, scope, payload) in jobs {
            let result = post(&dest, &headers, &payload).await;
            let (status, error) = match result {
                Ok(s) => (Some(s), None),
                Err(e) => (None, Some(e)),
            };
            shared.lock().deliveries.push(Delivery {
                hook_id,
                scope,
                payload,
                status,
                error,
            });
            pending.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
}

/// POST JSON over plain HTTP/1.1; returns the response status.
async fn post(url: &str, headers: &BTreeMap<String, String>, body: &Value) -> Result<u16, String> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!(
            "cannot deliver to {url}: the sandbox delivers over plain http only"
        ));
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    let text = serde_json::to_string(body).map_err(|e| e.to_string())?;
    let mut req = format!("POST {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\nAccept: application/json\r\nUser-Agent: BigCommerce-Webhooks (bc-sandbox)\r\nContent-Length: {}\r\nConnection: close\r\n", text.len());
    for (k, v) in headers {
        if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
            continue;
        }
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&text);
    let io = async {
        let mut sock = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        sock.write_all(req.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        // The status line is all we need.
        while !buf.windows(2).any(|w| w == b"\r\n") {
            let n = sock
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
        let line = String::from_utf8_lossy(&buf)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        line.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or(format!("no HTTP status in {line:?}"))
    };
    tokio::time::timeout(Duration::from_secs(10), io)
        .await
        .map_err(|_| "timed out after 10 s".to_string())?
}
