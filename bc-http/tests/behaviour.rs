//! bc-http against a scripted mock platform, in-process (paused clock) and over loopback.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bc_core::ErrorKind;
use bc_http::{
    ApiRequest, BearerAuth, HttpClient, Idempotency, OAuth2Config, RateLimits, RetryPolicy,
    RouterTransport, SecretString, TokenCache,
};
use common::{mock, router, serve_loopback, Mock, Step};
use tokio::time::Instant;

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_backoff(Duration::from_millis(100), Duration::from_secs(2))
        .with_seed(42)
}

fn in_process(m: &Mock, account: &str) -> HttpClient {
    HttpClient::builder("mock", "http://mock.invalid/api")
        .transport(Arc::new(RouterTransport::new(router(m.clone()))))
        .account(account, RateLimits::unlimited())
        .retry(policy())
        .build()
        .unwrap()
}

async fn loopback(m: &Mock, account: &str) -> HttpClient {
    let base = serve_loopback(router(m.clone())).await;
    HttpClient::builder("mock", format!("{base}/api"))
        .account(account, RateLimits::unlimited())
        .retry(policy())
        .build()
        .unwrap()
}

fn gap(m: &Mock, i: usize) -> Duration {
    let h = m.hits();
    h[i + 1].2 - h[i].2
}

#[tokio::test(start_paused = true)]
async fn retry_after_429_is_honoured_exactly() {
    let m = mock(vec![Step::Status(
        429,
        vec![("retry-after", "3".into())],
        "{}",
    )]);
    let c = in_process(&m, "t:429-retry-after");
    let resp = c.send(ApiRequest::get("/v2/orders")).await.unwrap();
    assert_eq!(resp.attempts, 2);
    assert_eq!(m.hits().len(), 2);
    assert_eq!(gap(&m, 0), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn reset_ms_429_pauses_every_client_of_the_account() {
    let m = mock(vec![Step::Status(
        429,
        vec![
            ("x-rate-limit-time-reset-ms", "1500".into()),
            ("x-rate-limit-requests-left", "0".into()),
        ],
        "{}",
    )]);
    let a = in_process(&m, "t:429-reset-ms");
    let b = in_process(&m, "t:429-reset-ms");
    let t0 = Instant::now();
    a.send(ApiRequest::get("/v3/catalog")).await.unwrap();
    // Requests-Left 0 adds 1 ms for the header's rounding down.
    assert_eq!(gap(&m, 0), Duration::from_millis(1501));
    // The other client shares the budget; the pause is over, so it does not wait again.
    b.send(ApiRequest::get("/v3/catalog")).await.unwrap();
    assert_eq!(Instant::now() - t0, Duration::from_millis(1501));
}

#[tokio::test(start_paused = true)]
async fn reset_ms_alone_on_429_is_exact() {
    let m = mock(vec![Step::Status(
        429,
        vec![("x-rate-limit-time-reset-ms", "1500".into())],
        "{}",
    )]);
    let c = in_process(&m, "t:429-reset-only");
    c.send(ApiRequest::get("/v3/catalog")).await.unwrap();
    assert_eq!(gap(&m, 0), Duration::from_millis(1500));
}

#[tokio::test(start_paused = true)]
async fn requests_left_zero_delays_the_next_request() {
    let m = mock(vec![Step::Status(
        200,
        vec![
            ("x-rate-limit-requests-left", "0".into()),
            ("x-rate-limit-time-reset-ms", "2500".into()),
        ],
        "{}",
    )]);
    let c = in_process(&m, "t:left-zero");
    c.send(ApiRequest::get("/a")).await.unwrap();
    c.send(ApiRequest::get("/b")).await.unwrap();
    assert_eq!(gap(&m, 0), Duration::from_millis(2501));
}

#[tokio::test(start_paused = true)]
async fn get_502_and_reset_are_retried_in_process() {
    let m = mock(vec![Step::Status(502, vec![], "bad gateway"), Step::Reset]);
    let c = in_process(&m, "t:get-retry");
    let resp = c
        .send(ApiRequest::get("/v2/orders/{id}").path_param("id", 7))
        .await
        .unwrap();
    assert_eq!(resp.attempts, 3);
    assert_eq!(m.hits().len(), 3);
    assert!(m.hits().iter().all(|h| h.1 == "/api/v2/orders/7"));
}

#[tokio::test]
async fn get_502_and_reset_are_retried_over_loopback() {
    let m = mock(vec![Step::Status(502, vec![], "bad gateway"), Step::Reset]);
    let c = loopback(&m, "t:get-retry-loop").await;
    let resp = c.send(ApiRequest::get("/v2/orders")).await.unwrap();
    assert_eq!(resp.attempts, 3);
    assert_eq!(m.hits().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn post_with_unknown_outcome_is_not_repeated() {
    for step in [
        Step::Status(502, vec![], r#"{"title":"upstream"}"#),
        Step::Reset,
    ] {
        let m = mock(vec![step.clone()]);
        let c = in_process(&m, "t:post-unknown");
        let err = c
            .send(
                ApiRequest::post("/v2/orders")
                    .json(&serde_json::json!({"a":1}))
                    .unwrap(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutcomeUnknown, "{step:?}: {err}");
        assert!(err.is_temporary());
        assert_eq!(m.hits().len(), 1, "{step:?}: the server saw it once");
    }
}

#[tokio::test]
async fn post_reset_over_loopback_is_outcome_unknown() {
    let m = mock(vec![Step::Reset]);
    let c = loopback(&m, "t:post-unknown-loop").await;
    let err = c.send(ApiRequest::post("/v2/orders")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown, "{err}");
    assert_eq!(m.hits().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn keyed_post_is_retried_and_429_post_too() {
    let m = mock(vec![Step::Status(503, vec![], "{}"), Step::Reset]);
    let c = in_process(&m, "t:keyed");
    let req = ApiRequest::post("/invoice")
        .query("requestid", "abc")
        .idempotency(Idempotency::Keyed);
    assert_eq!(c.send(req).await.unwrap().attempts, 3);
    assert_eq!(m.hits().len(), 3);

    // 429 means "not processed": even a plain POST is retried.
    let m = mock(vec![Step::Status(
        429,
        vec![("retry-after", "1".into())],
        "{}",
    )]);
    let c = in_process(&m, "t:post-429");
    assert_eq!(c.send(ApiRequest::post("/x")).await.unwrap().attempts, 2);
}

#[tokio::test(start_paused = true)]
async fn retry_budget_ends_with_the_last_error() {
    let steps = (0..10)
        .map(|_| Step::Status(500, vec![], r#"{"title":"boom"}"#))
        .collect();
    let m = mock(steps);
    let c = in_process(&m, "t:budget");
    let err = c.send(ApiRequest::get("/x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.platform_message(), Some("boom"));
    assert_eq!(m.hits().len(), 4, "max_attempts = 4");
    // 4xx are final at once.
    let m = mock(vec![Step::Status(404, vec![], r#"{"title":"not here"}"#)]);
    let err = in_process(&m, "t:404")
        .send(ApiRequest::get("/x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(m.hits().len(), 1);
}

#[tokio::test]
async fn connect_errors_are_retried_even_for_post() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = HttpClient::builder("mock", format!("http://127.0.0.1:{port}"))
        .retry(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let err = c.send(ApiRequest::post("/x")).await.unwrap_err();
    // Never reached the server: Unavailable (safe to retry later), not OutcomeUnknown.
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
}

fn oauth(
    m: &Mock,
    account: &str,
    rotated: Arc<Mutex<Vec<String>>>,
) -> (HttpClient, Arc<TokenCache>) {
    oauth_with(m, account, |cache| {
        cache
            .with_access_token(SecretString::from("expired"), Duration::ZERO)
            .with_rotation_callback(Arc::new(move |t: &SecretString| {
                use secrecy::ExposeSecret;
                rotated.lock().unwrap().push(t.expose_secret().to_string());
            }))
    })
}

/// A client of the mock whose token cache (refresh token `rt-0`) `setup` finishes.
fn oauth_with(
    m: &Mock,
    account: &str,
    setup: impl FnOnce(TokenCache) -> TokenCache,
) -> (HttpClient, Arc<TokenCache>) {
    let transport = Arc::new(RouterTransport::new(router(m.clone())));
    let cache = Arc::new(setup(TokenCache::new(
        "mock",
        OAuth2Config::new(
            "http://mock.invalid/oauth/token",
            "client-1",
            SecretString::from("s3cret"),
        ),
        SecretString::from("rt-0"),
        transport.clone(),
    )));
    let client = HttpClient::builder("mock", "http://mock.invalid")
        .transport(transport)
        .account(account, RateLimits::unlimited())
        .auth(Arc::new(BearerAuth::new(cache.clone())))
        .retry(policy())
        .build()
        .unwrap();
    (client, cache)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_callers_with_an_expired_token_cause_one_refresh() {
    let m = mock(vec![]);
    let rotated = Arc::new(Mutex::new(Vec::new()));
    let (client, cache) = oauth(&m, "t:oauth-10", rotated.clone());
    let mut tasks = Vec::new();
    for i in 0..10 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.send(ApiRequest::get("/protected/{i}").path_param("i", i))
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(m.refreshes(), 1);
    assert_eq!(cache.refresh_count(), 1);
    assert_eq!(*rotated.lock().unwrap(), vec!["at-refresh-1".to_string()]);
}

#[tokio::test]
async fn a_401_triggers_one_refresh_and_one_retry() {
    let m = mock(vec![]);
    let rotated = Arc::new(Mutex::new(Vec::new()));
    let (client, cache) = oauth(&m, "t:oauth-401", rotated);
    client.send(ApiRequest::get("/protected/a")).await.unwrap();
    assert_eq!(cache.refresh_count(), 1);
    // The platform revokes the token: the next request gets a 401, refreshes once, retries.
    *m.valid_token.lock().unwrap() = Some("other".into());
    let resp = client.send(ApiRequest::get("/protected/b")).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(cache.refresh_count(), 2);
    let b_hits = m.hits().iter().filter(|h| h.1 == "/protected/b").count();
    assert_eq!(b_hits, 2, "one 401, one retry");

    // A refused refresh token ends in Unauthenticated, not in a loop.
    *m.valid_token.lock().unwrap() = Some("other".into());
    *m.token_fails.lock().unwrap() = true;
    let err = client
        .send(ApiRequest::get("/protected/c"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(err.platform_code(), Some("invalid_grant"));
    let c_hits = m.hits().iter().filter(|h| h.1 == "/protected/c").count();
    assert_eq!(c_hits, 1);
}

#[tokio::test(start_paused = true)]
async fn a_429_without_wait_header_uses_the_platforms_throttle_wait() {
    let m = mock(vec![Step::Status(429, vec![], "{}")]);
    let c = HttpClient::builder("mock", "http://mock.invalid/api")
        .transport(Arc::new(RouterTransport::new(router(m.clone()))))
        .account("t:429-throttle-wait", RateLimits::unlimited())
        .retry(policy())
        .throttle_wait(Duration::from_secs(15))
        .build()
        .unwrap();
    let resp = c
        .send(ApiRequest::get("/v3/company/1/query"))
        .await
        .unwrap();
    assert_eq!(resp.attempts, 2);
    assert!(
        gap(&m, 0) >= Duration::from_secs(15),
        "waited only {:?}",
        gap(&m, 0)
    );
}

/// A token store whose saves answer "busy" a few times before they work.
#[derive(Debug)]
struct BusyStore {
    inner: bc_http::MemoryTokenStore,
    busy_saves: Mutex<u32>,
    swaps: Mutex<u32>,
}

#[async_trait::async_trait]
impl bc_http::TokenStore for BusyStore {
    async fn load(&self) -> bc_core::Result<Option<bc_http::StoredTokens>> {
        self.inner.load().await
    }
    async fn compare_and_swap(
        &self,
        expected_generation: u64,
        new: bc_http::StoredTokens,
    ) -> bc_core::Result<bool> {
        let n = {
            let mut s = self.swaps.lock().unwrap();
            *s += 1;
            *s
        };
        // The first swap is the refresh claim; the saves after the refresh are refused.
        if n > 1 {
            let mut busy = self.busy_saves.lock().unwrap();
            if *busy > 0 {
                *busy -= 1;
                return Err(bc_core::Error::new(
                    ErrorKind::Unavailable,
                    "state store: database is busy",
                ));
            }
        }
        self.inner.compare_and_swap(expected_generation, new).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_rotated_refresh_token_is_saved_even_when_the_store_is_busy_for_a_while() {
    use bc_http::{ExposeSecret, TokenStore};
    let m = mock(vec![]);
    let store = Arc::new(BusyStore {
        inner: bc_http::MemoryTokenStore::with(bc_http::StoredTokens::new(SecretString::from(
            "rt-0",
        ))),
        busy_saves: Mutex::new(4),
        swaps: Mutex::new(0),
    });
    let shared = store.clone();
    let (client, _cache) = oauth_with(&m, "t:busy-store", move |c| c.with_store(shared));
    client.send(ApiRequest::get("/protected/a")).await.unwrap();
    assert_eq!(m.refreshes(), 1);
    // The refresh token used is dead on a rotating platform: its successor must be stored,
    // or the next process could never open the account.
    let saved = store.load().await.unwrap().unwrap();
    assert_eq!(saved.refresh_token.expose_secret(), "at-refresh-1");
    assert!(saved.refreshing_until.is_none(), "the claim is released");
    assert_eq!(
        *store.busy_saves.lock().unwrap(),
        0,
        "every busy answer was met"
    );
}

#[tokio::test]
async fn a_throttled_refresh_is_temporary_not_a_refused_token() {
    let m = mock(vec![]);
    *m.token_status.lock().unwrap() = vec![429];
    let rotated = Arc::new(Mutex::new(Vec::new()));
    let (_client, cache) = oauth(&m, "t:oauth-429", rotated);
    let err = cache.access_token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    assert!(err.is_temporary(), "{err}");
    assert!(!err.to_string().contains("refused"), "{err}");
    // The next attempt refreshes with the same refresh token, which still works.
    cache.access_token().await.unwrap();
    assert_eq!(m.refreshes(), 1);
}
