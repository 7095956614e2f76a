//! The guards: the response size cap, the capped and logged platform waits, and the metrics.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bc_core::ErrorKind;
use bc_http::{
    ApiRequest, HttpClient, Idempotency, RateLimits, RetryPolicy, RouterTransport,
    DEFAULT_MAX_PAUSE,
};
use bytes::Bytes;
use common::{mock, router, serve_loopback, Step};
use tokio::time::Instant;

// ---- log capture (the paused-clock tests run on one thread: a thread-local subscriber) ----

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

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn capture_logs() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (capture, tracing::subscriber::set_default(subscriber))
}

// ---- a platform that streams an endless body ----

const CHUNK: usize = 64 * 1024;

/// Serves an endless body at `/huge` (no length announced), a body announcing 1 GiB at
/// `/announced`, and an endless body answering `POST /huge`; counts the bytes it produced.
fn huge_router(produced: Arc<AtomicUsize>) -> Router {
    let endless = move || {
        let produced = produced.clone();
        async move {
            let stream = futures::stream::unfold(produced, |p| async move {
                p.fetch_add(CHUNK, Ordering::SeqCst);
                Some((Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; CHUNK])), p))
            });
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap()
        }
    };
    Router::new()
        .route("/api/huge", get(endless.clone()).post(endless))
        .route(
            "/api/announced",
            get(|| async {
                Response::builder()
                    .status(200)
                    .header("content-length", (1u64 << 30).to_string())
                    .body(Body::from_stream(futures::stream::pending::<
                        Result<Bytes, std::io::Error>,
                    >()))
                    .unwrap()
            }),
        )
        .route("/api/small", post(|| async { "{\"ok\":true}" }))
}

const LIMIT: usize = 1024 * 1024;

#[tokio::test]
async fn an_endless_body_over_loopback_is_an_error_not_an_allocation() {
    let produced = Arc::new(AtomicUsize::new(0));
    let base = serve_loopback(huge_router(produced.clone())).await;
    let c = HttpClient::builder("mockshop", format!("{base}/api"))
        .max_response_bytes(LIMIT)
        .retry(RetryPolicy::default().with_seed(1))
        .build()
        .unwrap();
    let err = c
        .send(ApiRequest::get("/huge").query("api_key", "Q-SECRET-31337"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(!err.is_temporary());
    let text = err.to_string();
    assert!(text.contains("mockshop"), "{text}");
    assert!(text.contains("GET /huge"), "{text}");
    assert!(text.contains(&format!("{LIMIT}-byte limit")), "{text}");
    assert!(!text.contains("Q-SECRET-31337"), "{text}");
    assert!(!format!("{err:?}").contains("Q-SECRET-31337"));
    // The server stopped being read (socket buffers aside): far from endless.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = produced.load(Ordering::SeqCst);
    assert!(sent < 64 * LIMIT, "{sent} bytes produced");

    // A declared length over the limit fails without reading.
    let err = c.send(ApiRequest::get("/announced")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");

    // A write whose response is too big may have been applied: outcome unknown, not repeated.
    let before = produced.load(Ordering::SeqCst);
    let err = c
        .send(ApiRequest::post("/huge").idempotency(Idempotency::None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown, "{err}");
    assert!(err.to_string().contains("POST /huge"), "{err}");
    assert!(produced.load(Ordering::SeqCst) > before);

    // Small bodies are fine.
    c.send(ApiRequest::post("/small")).await.unwrap();
}

#[tokio::test]
async fn an_endless_body_in_process_is_an_error_too() {
    let produced = Arc::new(AtomicUsize::new(0));
    let c = HttpClient::builder("mockshop", "http://mock.invalid/api")
        .transport(Arc::new(RouterTransport::new(huge_router(
            produced.clone(),
        ))))
        .max_response_bytes(LIMIT)
        .build()
        .unwrap();
    let err = c.send(ApiRequest::get("/huge")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    let sent = produced.load(Ordering::SeqCst);
    assert!(sent <= LIMIT + CHUNK, "{sent} bytes read");
}

/// A transport that ignores `MaxResponseBytes`: the client's backstop still refuses.
#[derive(Debug)]
struct Careless;

#[async_trait::async_trait]
impl bc_http::HttpTransport for Careless {
    async fn send(
        &self,
        _request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, bc_http::TransportError> {
        Ok(http::Response::new(Bytes::from(vec![b'x'; 2048])))
    }
}

#[tokio::test]
async fn a_transport_ignoring_the_limit_is_caught_by_the_client() {
    let c = HttpClient::builder("mockshop", "http://mock.invalid/api")
        .transport(Arc::new(Careless))
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let err = c
        .send(ApiRequest::get("/v2/orders/{id}").path_param("id", "77"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("GET /v2/orders/{id}"), "{err}");
}

// ---- waits ----

fn in_process(m: &common::Mock, account: &str) -> bc_http::HttpClientBuilder {
    HttpClient::builder("mockshop", "http://mock.invalid/api")
        .transport(Arc::new(RouterTransport::new(router(m.clone()))))
        .account(account, RateLimits::unlimited())
        .retry(RetryPolicy::default().with_seed(3))
}

#[tokio::test(start_paused = true)]
async fn a_platform_wait_is_honoured_and_said() {
    let (logs, _g) = capture_logs();
    let m = mock(vec![Step::Status(
        429,
        vec![("retry-after", "27".into())],
        "{}",
    )]);
    let c = in_process(&m, "t:guards-27").build().unwrap();
    let t0 = Instant::now();
    c.send(ApiRequest::get("/v2/orders")).await.unwrap();
    assert_eq!(Instant::now() - t0, Duration::from_secs(27));
    let text = logs.text();
    assert!(
        text.contains("waiting 27 s for mockshop's rate limit"),
        "{text}"
    );
    assert!(text.contains(" INFO "), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_wait_over_the_cap_ends_the_retries_and_caps_the_pause() {
    let (logs, _g) = capture_logs();
    let m = mock(vec![Step::Status(
        429,
        vec![("retry-after", "3600".into())],
        "{}",
    )]);
    let c = in_process(&m, "t:guards-3600").build().unwrap();
    let t0 = Instant::now();
    let err = c.send(ApiRequest::get("/v2/orders")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(
        Instant::now() - t0,
        Duration::ZERO,
        "no waiting for an hour"
    );
    let text = logs.text();
    assert!(
        text.contains("mockshop asks to wait 3600 s, more than the 120 s cap"),
        "{text}"
    );
    assert!(text.contains(" WARN "), "{text}");
    // The account is paused for the cap, not the hour.
    c.send(ApiRequest::get("/v2/orders")).await.unwrap();
    assert_eq!(Instant::now() - t0, DEFAULT_MAX_PAUSE);
}

#[tokio::test(start_paused = true)]
async fn the_cap_is_configurable_on_the_builder() {
    let m = mock(vec![Step::Status(
        429,
        vec![("retry-after", "45".into())],
        "{}",
    )]);
    let c = in_process(&m, "t:guards-45")
        .max_rate_limit_wait(Duration::from_secs(30))
        .build()
        .unwrap();
    let t0 = Instant::now();
    let err = c.send(ApiRequest::get("/v2/orders")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(Instant::now() - t0, Duration::ZERO);
    c.send(ApiRequest::get("/v2/orders")).await.unwrap();
    assert_eq!(Instant::now() - t0, Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn an_absurd_reset_header_on_a_success_is_capped_and_said() {
    let (logs, _g) = capture_logs();
    let m = mock(vec![Step::Status(
        200,
        vec![
            ("x-rate-limit-requests-left", "0".into()),
            ("x-rate-limit-time-reset-ms", "999999999".into()),
        ],
        "{}",
    )]);
    let c = in_process(&m, "t:guards-absurd")
        .max_rate_limit_wait(Duration::from_secs(60))
        .build()
        .unwrap();
    let t0 = Instant::now();
    c.send(ApiRequest::get("/v2/orders")).await.unwrap();
    c.send(ApiRequest::get("/v2/orders")).await.unwrap();
    assert_eq!(Instant::now() - t0, Duration::from_secs(60));
    let text = logs.text();
    assert!(
        text.contains("waiting 60 s for mockshop's rate limit (it asked for longer; capped)"),
        "{text}"
    );
}

// ---- metrics ----

fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| {
            let (series, _) = l.rsplit_once(' ').unwrap_or((l, ""));
            let metric = series.split('{').next().unwrap_or_default();
            metric == name
                && labels
                    .iter()
                    .all(|(k, v)| series.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit_once(' '))
        .and_then(|(_, v)| v.parse().ok())
}

#[test]
fn requests_429s_retries_and_budget_are_counted() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        rt.block_on(async {
            let m = mock(vec![
                Step::Status(429, vec![("retry-after", "2".into())], "{}"),
                Step::Status(200, vec![("x-rate-limit-requests-left", "37".into())], "{}"),
                Step::Status(404, vec![], "{}"),
            ]);
            let c = HttpClient::builder("metricshop", "http://mock.invalid/api")
                .transport(Arc::new(RouterTransport::new(router(m.clone()))))
                .retry(RetryPolicy::default().with_seed(5))
                .build()
                .unwrap();
            c.send(ApiRequest::get("/v2/orders/{id}").path_param("id", "1042"))
                .await
                .unwrap();
            // An id baked into the template still lands on `{id}`.
            let err = c
                .send(ApiRequest::get("/v2/orders/2077"))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
        })
    });
    let text = handle.render();
    let p = ("platform", "metricshop");
    let ep = ("endpoint", "GET /v2/orders/{id}");
    assert_eq!(
        sample(
            &text,
            "bcsync_http_requests_total",
            &[p, ep, ("status", "429")]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "bcsync_http_requests_total",
            &[p, ep, ("status", "200")]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "bcsync_http_requests_total",
            &[p, ep, ("status", "404")]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "bcsync_http_rate_limited_total", &[p]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "bcsync_http_retries_total", &[p]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "bcsync_rate_budget_remaining", &[p]),
        Some(37.0),
        "{text}"
    );
    assert!(!text.contains("1042") && !text.contains("2077"), "{text}");
}
