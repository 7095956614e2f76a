//! A scripted axum mock platform shared by the integration tests.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use tokio::time::Instant;

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Step {
    /// A status with headers and a JSON body.
    Status(u16, Vec<(&'static str, String)>, &'static str),
    /// Headers then a body that breaks (connection reset).
    Reset,
}

#[derive(Default)]
pub struct MockState {
    pub script: Mutex<VecDeque<Step>>,
    pub hits: Mutex<Vec<(String, String, Instant)>>,
    pub refreshes: Mutex<u32>,
    pub token_prefix: Mutex<String>,
    pub valid_token: Mutex<Option<String>>,
    pub token_fails: Mutex<bool>,
    /// Answer the next token requests with this status (a throttle, an outage), once each.
    pub token_status: Mutex<Vec<u16>>,
}

pub type Mock = Arc<MockState>;

pub fn mock(steps: Vec<Step>) -> Mock {
    let m = Arc::new(MockState::default());
    *m.script.lock().unwrap() = steps.into();
    *m.token_prefix.lock().unwrap() = "at".into();
    m
}

impl MockState {
    pub fn hits(&self) -> Vec<(String, String, Instant)> {
        self.hits.lock().unwrap().clone()
    }
    pub fn refreshes(&self) -> u32 {
        *self.refreshes.lock().unwrap()
    }
}

async fn token(State(m): State<Mock>, headers: HeaderMap, body: Bytes) -> Response {
    // Slow enough that concurrent callers overlap.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap();
    assert!(form.contains(&("grant_type".into(), "refresh_token".into())));
    assert!(headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic ")));
    if let Some(status) = m.token_status.lock().unwrap().pop() {
        return Response::builder()
            .status(status)
            .header("retry-after", "1")
            .body(Body::from(r#"{"error":"throttled"}"#))
            .unwrap();
    }
    if *m.token_fails.lock().unwrap() {
        return Response::builder()
            .status(400)
            .body(Body::from(r#"{"error":"invalid_grant"}"#))
            .unwrap();
    }
    let n = {
        let mut r = m.refreshes.lock().unwrap();
        *r += 1;
        *r
    };
    let prefix = m.token_prefix.lock().unwrap().clone();
    let access = format!("{prefix}-{n}");
    *m.valid_token.lock().unwrap() = Some(access.clone());
    let body = serde_json::json!({
        "access_token": access, "token_type": "bearer", "expires_in": 3600,
        "refresh_token": format!("{prefix}-refresh-{n}"), "x_refresh_token_expires_in": 8726400
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn scripted(State(m): State<Mock>, req: Request) -> Response {
    m.hits.lock().unwrap().push((
        req.method().to_string(),
        req.uri().path().to_string(),
        Instant::now(),
    ));
    if req.uri().path().starts_with("/protected") {
        let valid = m.valid_token.lock().unwrap().clone();
        let sent = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if valid.is_none() || sent != valid.map(|v| format!("Bearer {v}")) {
            return Response::builder()
                .status(401)
                .body(Body::from(r#"{"title":"Unauthorized"}"#))
                .unwrap();
        }
    }
    let step = m.script.lock().unwrap().pop_front();
    match step {
        None => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"ok":true}"#))
            .unwrap(),
        Some(Step::Status(code, headers, body)) => {
            let mut r = Response::builder().status(StatusCode::from_u16(code).unwrap());
            for (k, v) in headers {
                r = r.header(k, HeaderValue::from_str(&v).unwrap());
            }
            r.body(Body::from(body)).unwrap()
        }
        Some(Step::Reset) => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{\"partial\":")),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "reset",
                )),
            ];
            Response::builder()
                .status(200)
                .body(Body::from_stream(futures::stream::iter(chunks)))
                .unwrap()
        }
    }
}

pub fn router(m: Mock) -> Router {
    Router::new()
        .route("/oauth/token", post(token))
        .fallback(scripted)
        .with_state(m)
}

/// Serves the router on a loopback port; returns its base URL.
pub async fn serve_loopback(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}
