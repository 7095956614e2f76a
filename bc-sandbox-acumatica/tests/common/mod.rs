//! What the sandbox's router tests share: one request through the router (with the session
//! cookie), and a login.
#![allow(dead_code)]

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use bc_sandbox_acumatica::AcumaticaSandbox;

pub const E: &str = "/entity/Default/24.200.001";

pub async fn call(
    sb: &AcumaticaSandbox,
    method: &str,
    path: &str,
    cookie: &str,
    body: Value,
) -> (StatusCode, Value, Vec<String>) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("cookie", cookie)
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = sb.router().oneshot(req).await.unwrap();
    let status = resp.status();
    let cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .collect();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        cookies,
    )
}

pub async fn login(sb: &AcumaticaSandbox) -> String {
    let (status, _, cookies) = call(
        sb,
        "POST",
        "/entity/auth/login",
        "",
        json!({"name": "api.user", "password": "sandbox-password-0000", "company": "SandboxCompany"}),
    )
    .await;
    assert!(status.is_success(), "{status}");
    cookies.join("; ")
}
