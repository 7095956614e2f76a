//! Shared helpers for the BigCommerce sandbox tests.
#![allow(dead_code)]

use axum::body::Body;
use axum::Router;
use bc_sandbox_bigcommerce::{BigCommerceConfig, BigCommerceSandbox, Clock};
use http::{HeaderMap, Method, Request};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The token of the default config.
pub const TOKEN: &str = "sandbox-access-token-0123456789abcdef";

/// A sandbox with a deterministic clock, an unlimited quota and `n` orders from seed 1.
pub fn sandbox(n: u64) -> (BigCommerceSandbox, Router) {
    let cfg = BigCommerceConfig {
        quota: 0,
        clock: Clock::Fixed(
            chrono::DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
                .expect("date")
                .with_timezone(&chrono::Utc),
        ),
        ..BigCommerceConfig::default()
    };
    let sb = BigCommerceSandbox::new(cfg);
    sb.seed_orders(n, 1);
    let r = sb.router();
    (sb, r)
}

/// A response, read fully (status 0 = the connection was reset).
pub struct Resp {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// Call the router with the right token; `path` is relative to `/stores/{hash}`.
pub async fn call(r: &Router, method: Method, path: &str, body: Option<Value>) -> Resp {
    call_with(
        r,
        method,
        &format!("/stores/sbx4k2q9zt{path}"),
        body,
        Some(TOKEN),
    )
    .await
}

/// Call the router with an explicit full path and token.
pub async fn call_with(
    r: &Router,
    method: Method,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("accept", "application/json")
        .header("host", "api.bigcommerce.test");
    if let Some(t) = token {
        b = b.header("x-auth-token", t);
    }
    let req = match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request");
    let resp = r.clone().oneshot(req).await.expect("infallible");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    match resp.into_body().collect().await {
        Ok(b) => Resp {
            status,
            headers,
            body: b.to_bytes().to_vec(),
        },
        // An injected connection reset: no response at all.
        Err(_) => Resp {
            status: 0,
            headers: HeaderMap::new(),
            body: Vec::new(),
        },
    }
}
