//! A planted secret must appear in no log line, no `Debug` and no error message.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bc_http::{
    ApiRequest, BearerAuth, HttpClient, OAuth2Config, RateLimits, RetryPolicy, RouterTransport,
    SecretString, StaticHeaderAuth, TokenCache,
};
use common::{mock, router, serve_loopback, Step};

const CANARY: &str = "CANARY7f3e9a";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_canary_never_leaks() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut seen: Vec<String> = Vec::new();

    // OAuth2: the token endpoint issues tokens containing the canary.
    let m = mock(vec![
        Step::Status(500, vec![], r#"{"title":"boom"}"#),
        Step::Status(500, vec![], r#"{"title":"boom"}"#),
    ]);
    *m.token_prefix.lock().unwrap() = format!("tok-{CANARY}");
    let transport = Arc::new(RouterTransport::new(router(m.clone())));
    let config = OAuth2Config::new(
        "http://mock.invalid/oauth/token",
        "client-1",
        SecretString::from(format!("secret-{CANARY}")),
    );
    seen.push(format!("{config:?}"));
    let cache = Arc::new(
        TokenCache::new(
            "mock",
            config,
            SecretString::from(format!("refresh-{CANARY}")),
            transport.clone(),
        )
        .with_access_token(
            SecretString::from(format!("stale-{CANARY}")),
            Duration::ZERO,
        ),
    );
    let client = HttpClient::builder("mock", "http://mock.invalid")
        .transport(transport)
        .account("t:canary", RateLimits::unlimited())
        .auth(Arc::new(BearerAuth::new(cache.clone())))
        .retry(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    // A failing request (500 twice), then a good one, then a 401 → refresh → retry.
    let err = client
        .send(ApiRequest::get("/protected/x").query("key", "v"))
        .await
        .unwrap_err();
    seen.push(format!("{err} {err:?}"));
    client.send(ApiRequest::get("/protected/y")).await.unwrap();
    *m.valid_token.lock().unwrap() = Some("revoked".into());
    client.send(ApiRequest::get("/protected/z")).await.unwrap();
    assert_eq!(cache.refresh_count(), 2);
    // A failing POST (unknown outcome) and a failed refresh.
    *m.script.lock().unwrap() = vec![Step::Reset].into();
    let err = client
        .send(
            ApiRequest::post("/protected/p")
                .json(&serde_json::json!({"k": CANARY}))
                .unwrap(),
        )
        .await
        .unwrap_err();
    seen.push(format!("{err} {err:?}"));
    *m.token_fails.lock().unwrap() = true;
    *m.valid_token.lock().unwrap() = Some("revoked".into());
    let err = client
        .send(ApiRequest::get("/protected/w"))
        .await
        .unwrap_err();
    seen.push(format!("{err} {err:?}"));
    seen.push(format!("{client:?} {cache:?}"));

    // A static header over loopback.
    let m2 = mock(vec![Step::Status(403, vec![], r#"{"title":"forbidden"}"#)]);
    let base = serve_loopback(router(m2.clone())).await;
    let auth = StaticHeaderAuth::new(
        http::HeaderName::from_static("x-auth-token"),
        SecretString::from(format!("bc-{CANARY}")),
    );
    seen.push(format!("{auth:?}"));
    let bc = HttpClient::builder("bigcommerce", base)
        .auth(Arc::new(auth))
        .build()
        .unwrap();
    let err = bc.send(ApiRequest::get("/v2/orders")).await.unwrap_err();
    seen.push(format!("{err} {err:?} {bc:?}"));
    bc.send(ApiRequest::get("/v2/orders")).await.unwrap();

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("http_request"),
        "tracing captured nothing:\n{logs}"
    );
    assert!(logs.contains("oauth2_refresh"));
    assert!(
        logs.contains("status=500") || logs.contains("boom"),
        "{logs}"
    );
    for line in logs.lines() {
        assert!(!line.contains(CANARY), "log line leaks the canary: {line}");
    }
    for s in &seen {
        assert!(!s.contains(CANARY), "leak: {s}");
        assert!(!s.is_empty());
    }
}
