//! Helpers shared by the integration tests: call the router in-process, compare JSON to
//! Intuit's documented examples field by field.

#![allow(dead_code)]

use axum::body::Body;
use axum::Router;
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;
use tower::ServiceExt;

pub struct Harness {
    pub sandbox: QboSandbox,
    pub router: Router,
    pub realm: String,
    pub token: String,
}

impl Harness {
    pub fn new(config: QboConfig) -> Self {
        let sandbox = QboSandbox::new(config);
        let creds = sandbox.credentials_json();
        Self {
            router: sandbox.router(),
            realm: creds["realm_id"].as_str().unwrap_or_default().to_string(),
            token: creds["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            sandbox,
        }
    }

    pub fn us() -> Self {
        Self::new(QboConfig::default())
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/v3/company/{}/{}", self.realm, rest)
    }

    /// Sends a request; returns status, headers and the body as JSON (Null when not JSON;
    /// `Err` when reading the body failed, e.g. an injected reset).
    pub async fn send_raw(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, http::HeaderMap, Result<Value, String>) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", content_type)
            .header("accept", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req.body(Body::from(body)).expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = match resp.into_body().collect().await {
            Ok(b) => Ok(serde_json::from_slice(&b.to_bytes()).unwrap_or(Value::Null)),
            Err(e) => Err(e.to_string()),
        };
        (status, headers, body)
    }

    pub async fn call(&self, method: &str, rest: &str, body: Option<Value>) -> (StatusCode, Value) {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let (s, _, b) = self
            .send_raw(
                method,
                &self.path(rest),
                Some(&self.token),
                "application/json",
                bytes,
            )
            .await;
        (s, b.unwrap_or(Value::Null))
    }

    pub async fn get(&self, rest: &str) -> (StatusCode, Value) {
        self.call("GET", rest, None).await
    }

    pub async fn post(&self, rest: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", rest, Some(body)).await
    }

    /// A GET outside the API (no token): status and headers.
    pub async fn get_raw(&self, uri: &str) -> (StatusCode, http::HeaderMap) {
        let (s, h, _) = self
            .send_raw("GET", uri, None, "text/html", Vec::new())
            .await;
        (s, h)
    }

    /// A token-endpoint request with the app's own Basic credentials.
    pub async fn token_request(&self, form: Vec<u8>) -> (StatusCode, Value) {
        use base64::Engine;
        let c = self.sandbox.credentials_json();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            c["client_id"].as_str().unwrap_or_default(),
            c["client_secret"].as_str().unwrap_or_default()
        ));
        let req = Request::builder()
            .method("POST")
            .uri("/oauth2/v1/tokens/bearer")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("authorization", format!("Basic {basic}"))
            .body(Body::from(form))
            .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let body = match resp.into_body().collect().await {
            Ok(b) => serde_json::from_slice(&b.to_bytes()).unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        (status, body)
    }

    pub async fn query(&self, q: &str) -> (StatusCode, Value) {
        let uri = format!(
            "{}?query={}&minorversion=75",
            self.path("query"),
            url_escape(q)
        );
        let (s, _, b) = self
            .send_raw(
                "GET",
                &uri,
                Some(&self.token),
                "application/text",
                Vec::new(),
            )
            .await;
        (s, b.unwrap_or(Value::Null))
    }
}

pub fn url_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn dec(v: &Value) -> Decimal {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string()).expect("decimal"),
        Value::String(s) => Decimal::from_str(s).expect("decimal"),
        other => panic!("not a number: {other}"),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every field of `expected` must be in `actual` with the same JSON type; leaves must be equal
/// (numbers as decimals) unless their key is in `volatile` (ids, dates, times); keys in `skip`
/// are not compared at all (fields the sandbox does not produce, e.g. custom fields).
pub fn assert_matches_doc(
    expected: &Value,
    actual: &Value,
    path: &str,
    volatile: &[&str],
    skip: &[&str],
) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                if skip.contains(&k.as_str()) {
                    continue;
                }
                let p = format!("{path}.{k}");
                let av = a.get(k).unwrap_or_else(|| panic!("missing field {p}"));
                if volatile.contains(&k.as_str()) {
                    assert_eq!(kind(ev), kind(av), "type of {p}");
                } else {
                    assert_matches_doc(ev, av, &p, volatile, skip);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "length of {path}");
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_matches_doc(ev, av, &format!("{path}[{i}]"), volatile, skip);
            }
        }
        (Value::Number(_), Value::Number(_)) => {
            assert_eq!(dec(expected), dec(actual), "value of {path}")
        }
        (e, a) => {
            assert_eq!(kind(e), kind(a), "type of {path}");
            assert_eq!(e, a, "value of {path}");
        }
    }
}
