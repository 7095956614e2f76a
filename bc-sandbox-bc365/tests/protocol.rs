//! The sandbox's protocol rules over HTTP (in-process): Entra ID token errors, bearer auth,
//! `MaxLength`, `$filter` refusals, `If-Match`, paging, `$batch` limits and `Isolation:
//! snapshot`, the per-user window.

use axum::body::Body;
use bc_sandbox_bc365::{Bc365Sandbox, Bc365SandboxConfig, GB_COMPANY_ID, SCOPE};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tower::ServiceExt;

struct T {
    sb: Bc365Sandbox,
    token: String,
}

async fn call(sb: &Bc365Sandbox, req: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
    let resp = sb.router().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, v)
}

fn token_req(sb: &Bc365Sandbox, secret: &str, scope: &str) -> Request<Body> {
    let c = sb.config();
    let form = serde_urlencoded::to_string([
        ("grant_type", "client_credentials"),
        ("client_id", c.client_id.as_str()),
        ("client_secret", secret),
        ("scope", scope),
    ])
    .expect("form");
    Request::post(format!("/{}/oauth2/v2.0/token", c.tenant_id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request")
}

async fn setup() -> T {
    let sb = Bc365Sandbox::new(Bc365SandboxConfig {
        max_page_size: 2,
        ..Bc365SandboxConfig::default()
    });
    let secret = sb.config().client_secret.expose_secret().to_string();
    let (s, _, v) = call(&sb, token_req(&sb, &secret, SCOPE)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = v["access_token"].as_str().expect("token").to_string();
    T { sb, token }
}

impl T {
    fn url(&self, rest: &str) -> String {
        let c = self.sb.config();
        format!(
            "/v2.0/{}/{}/api/v2.0/companies({GB_COMPANY_ID})/{rest}",
            c.tenant_id, c.environment
        )
    }

    async fn send(
        &self,
        method: &str,
        rest: &str,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> (StatusCode, http::HeaderMap, Value) {
        let url = if rest.starts_with('/') {
            rest.to_string()
        } else {
            self.url(rest)
        };
        let mut b = Request::builder()
            .method(method)
            .uri(url)
            .header("authorization", format!("Bearer {}", self.token));
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        let req = match body {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        }
        .expect("request");
        call(&self.sb, req).await
    }
}

#[tokio::test]
async fn entra_refuses_like_entra() {
    let sb = Bc365Sandbox::new(Bc365SandboxConfig::default());
    let secret = sb.config().client_secret.expose_secret().to_string();
    let (s, _, v) = call(&sb, token_req(&sb, "wrong", SCOPE)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"], "invalid_client");
    assert_eq!(v["error_codes"][0], 7000215);
    assert!(v["error_description"]
        .as_str()
        .unwrap_or("")
        .starts_with("AADSTS7000215: Invalid client secret provided."));
    let (s, _, v) = call(
        &sb,
        token_req(
            &sb,
            &secret,
            "https://api.businesscentral.dynamics.com/user_impersonation",
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"], "invalid_scope");
    assert_eq!(v["error_codes"][0], 1002012);
}

#[tokio::test]
async fn api_needs_a_valid_bearer_token() {
    let t = setup().await;
    let mut bad = T {
        sb: t.sb.clone(),
        token: "nope".into(),
    };
    let (s, h, v) = bad.send("GET", "customers", None, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["code"], "Authentication_InvalidCredentials");
    assert!(h.get("www-authenticate").is_some());
    bad.token = t.token.clone();
    t.sb.expire_tokens();
    assert_eq!(
        bad.send("GET", "customers", None, &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn field_lengths_filters_and_etags() {
    let t = setup().await;
    let long = "X".repeat(36);
    let (s, _, v) = t
        .send(
            "POST",
            "salesInvoices",
            Some(json!({"customerNumber": "10000", "externalDocumentNumber": long})),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "Application_StringExceededLength");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("less than or equal to 35 characters"));
    let (s, _, v) = t
        .send(
            "POST",
            "salesInvoices",
            Some(json!({"customerNumber": "10000", "nosuch": 1})),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _, v) = t
        .send(
            "GET",
            "customers?$filter=number%20in%20('10000')",
            None,
            &[],
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("BadRequest_MethodNotImplemented")
        )
    );
    let (s, _, v) = t
        .send("GET", "customers?$apply=groupby((city))", None, &[])
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("BadRequest_MethodNotImplemented")
        )
    );

    let (s, _, inv) = t
        .send(
            "POST",
            "salesInvoices",
            Some(json!({"customerNumber": "10000", "externalDocumentNumber": "BC1X"})),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inv}");
    let id = inv["id"].as_str().expect("id").to_string();
    let tag = inv["@odata.etag"].as_str().expect("etag").to_string();
    let path = format!("salesInvoices({id})");
    assert_eq!(
        t.send(
            "PATCH",
            &path,
            Some(json!({"externalDocumentNumber": "BC1Y"})),
            &[]
        )
        .await
        .2["error"]["code"],
        "BadRequest_InvalidToken"
    );
    let (s, _, _) = t
        .send(
            "PATCH",
            &path,
            Some(json!({"externalDocumentNumber": "BC1Y"})),
            &[("if-match", &tag)],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, v) = t
        .send(
            "PATCH",
            &path,
            Some(json!({"externalDocumentNumber": "BC1Z"})),
            &[("if-match", &tag)],
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (
            StatusCode::PRECONDITION_FAILED,
            Some("Request_EntityChanged")
        )
    );
    let (s, _, v) = t
        .send("POST", &format!("{path}/Microsoft.NAV.post"), None, &[])
        .await;
    assert_eq!(
        (
            s,
            v["error"]["message"]
                .as_str()
                .map(|m| m.starts_with("There is nothing to post."))
        ),
        (StatusCode::BAD_REQUEST, Some(true))
    );
}

#[tokio::test]
async fn server_driven_paging_follows_next_links() {
    let t = setup().await;
    let (s, _, v) = t.send("GET", "customers", None, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["value"].as_array().map(Vec::len), Some(2));
    let next = v["@odata.nextLink"].as_str().expect("next link");
    let path = next.trim_start_matches("http://localhost");
    let (_, _, v2) = t.send("GET", path, None, &[]).await;
    assert_eq!(v2["value"].as_array().map(Vec::len), Some(1));
    assert!(v2.get("@odata.nextLink").is_none());
}

#[tokio::test]
async fn batch_limits_results_and_snapshot_isolation() {
    let t = setup().await;
    let c = t.sb.config();
    let batch = format!("/v2.0/{}/{}/api/v2.0/$batch", c.tenant_id, c.environment);
    let op = |i: usize, body: Value| json!({"id": i.to_string(), "method": "POST", "url": format!("companies({GB_COMPANY_ID})/salesInvoices"), "headers": {"Content-Type": "application/json"}, "body": body});
    let too_many: Vec<Value> = (0..101)
        .map(|i| op(i, json!({"customerNumber": "10000"})))
        .collect();
    let (s, _, _) = t
        .send("POST", &batch, Some(json!({ "requests": too_many })), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let ops = json!({"requests": [op(1, json!({"customerNumber": "10000", "externalDocumentNumber": "SNAP1"})), op(2, json!({"customerNumber": "99999"}))]});
    let (s, _, v) = t
        .send(
            "POST",
            &batch,
            Some(ops.clone()),
            &[("isolation", "snapshot")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["responses"][0]["status"], 201);
    assert_eq!(v["responses"][1]["status"], 404);
    assert!(
        t.sb.rows(GB_COMPANY_ID, "salesInvoices").is_empty(),
        "snapshot: rolled back"
    );
    let (_, _, v) = t.send("POST", &batch, Some(ops), &[]).await;
    assert_eq!(v["responses"][0]["status"], 201);
    assert_eq!(
        t.sb.rows(GB_COMPANY_ID, "salesInvoices").len(),
        1,
        "without isolation each operation stands"
    );
}

#[tokio::test(start_paused = true)]
async fn the_window_answers_429_with_retry_after() {
    let t = setup().await;
    t.sb.set_limits(
        3,
        std::time::Duration::from_secs(300),
        5,
        std::time::Duration::ZERO,
    );
    for _ in 0..3 {
        assert_eq!(
            t.send("GET", "customers", None, &[]).await.0,
            StatusCode::OK
        );
    }
    let (s, h, v) = t.send("GET", "customers", None, &[]).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(v["error"]["code"], "Application_TooManyRequests");
    let wait: u64 = h
        .get("retry-after")
        .and_then(|x| x.to_str().ok())
        .and_then(|x| x.parse().ok())
        .expect("Retry-After");
    assert!((299..=301).contains(&wait), "{wait}");
    tokio::time::advance(std::time::Duration::from_secs(wait)).await;
    assert_eq!(
        t.send("GET", "customers", None, &[]).await.0,
        StatusCode::OK
    );
    assert_eq!(t.sb.stats().snapshot().rate_limited, 1);
}
