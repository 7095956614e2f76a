//! The kit end to end: a toy platform router with the fault and stats layers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bc_sandbox::faults::{self, FaultInjector, FaultPlan};
use bc_sandbox::stats::{self, RequestStats};
use bc_sandbox::{introspect, serve};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

struct Toy {
    router: Router,
    writes: Arc<AtomicU64>,
    stats: RequestStats,
    faults: FaultInjector,
}

fn toy(plan: FaultPlan) -> Toy {
    let writes = Arc::new(AtomicU64::new(0));
    let stats = RequestStats::default();
    let faults = FaultInjector::new(
        plan,
        Arc::new(|s| {
            let code = StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (code, Json(json!({"status": s, "title": "injected"}))).into_response()
        }),
    );
    let api = Router::new()
        .route(
            "/items/{id}",
            get(|Path(id): Path<u64>| async move { Json(json!({ "id": id })) }),
        )
        .route(
            "/items",
            axum::routing::post(|State(w): State<Arc<AtomicU64>>| async move {
                let n = w.fetch_add(1, Ordering::SeqCst) + 1;
                (StatusCode::CREATED, Json(json!({ "id": n })))
            }),
        )
        .with_state(writes.clone());
    let router = api
        .merge(introspect::router(stats.clone(), faults.clone()))
        .layer(faults::layer(faults.clone()))
        .layer(stats::layer(stats.clone()));
    Toy {
        router,
        writes,
        stats,
        faults,
    }
}

async fn call(router: &Router, method: Method, uri: &str, body: Option<Value>) -> Response {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request");
    router.clone().oneshot(req).await.expect("infallible")
}

/// Status, or None when the body fails (a reset).
async fn outcome(router: &Router, method: Method, uri: &str) -> Option<u16> {
    let resp = call(router, method, uri, None).await;
    let status = resp.status().as_u16();
    resp.into_body().collect().await.ok().map(|_| status)
}

#[tokio::test]
async fn stats_count_by_route_template_and_status() {
    let t = toy(FaultPlan::none());
    for id in [1, 2, 3] {
        assert_eq!(
            outcome(&t.router, Method::GET, &format!("/items/{id}")).await,
            Some(200)
        );
    }
    assert_eq!(outcome(&t.router, Method::POST, "/items").await, Some(201));
    assert_eq!(outcome(&t.router, Method::GET, "/nope").await, Some(404));
    let s = t.stats.snapshot();
    assert_eq!(s.by_route.get("GET /items/{id}"), Some(&3));
    assert_eq!(s.by_route.get("POST /items"), Some(&1));
    assert_eq!(s.by_route.get("GET <unmatched>"), Some(&1));
    assert_eq!(s.by_status.get("200"), Some(&3));
    assert_eq!(s.total, 5);

    // Introspection is not counted, and serves the same numbers.
    let resp = call(&t.router, Method::GET, "/__sandbox/requests", None).await;
    let v: Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes())
        .expect("json");
    assert_eq!(v["by_route"]["GET /items/{id}"], json!(3));
    assert_eq!(v["total"], json!(5));
    let resp = call(&t.router, Method::POST, "/__sandbox/reset-stats", None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(t.stats.snapshot().total, 0);
}

#[tokio::test]
async fn status_faults_come_before_the_handler() {
    let t = toy(FaultPlan {
        seed: 1,
        error_rate: 1.0,
        ..FaultPlan::none()
    });
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let s = outcome(&t.router, Method::POST, "/items")
            .await
            .expect("no reset");
        seen.insert(s);
    }
    assert_eq!(seen, [429, 500, 502, 503].into_iter().collect());
    assert_eq!(t.writes.load(Ordering::SeqCst), 0, "no write applied");
    assert_eq!(t.stats.snapshot().faults.values().sum::<u64>(), 40);
}

#[tokio::test]
async fn reset_fails_the_body_in_process_and_applies_nothing() {
    let t = toy(FaultPlan {
        seed: 1,
        reset_rate: 1.0,
        ..FaultPlan::none()
    });
    assert_eq!(outcome(&t.router, Method::POST, "/items").await, None);
    assert_eq!(t.writes.load(Ordering::SeqCst), 0);
    assert_eq!(t.stats.snapshot().faults.get("reset"), Some(&1));
}

#[tokio::test]
async fn commit_then_fail_applies_the_write_only_on_writes() {
    let t = toy(FaultPlan {
        seed: 3,
        commit_then_fail_rate: 1.0,
        ..FaultPlan::none()
    });
    let mut outcomes = std::collections::BTreeSet::new();
    for _ in 0..20 {
        outcomes.insert(outcome(&t.router, Method::POST, "/items").await);
    }
    assert_eq!(outcomes, [None, Some(502)].into_iter().collect());
    assert_eq!(
        t.writes.load(Ordering::SeqCst),
        20,
        "every write was applied"
    );
    // Reads are never commit-then-fail.
    assert_eq!(outcome(&t.router, Method::GET, "/items/1").await, Some(200));
    let c = t.faults.counts();
    assert_eq!(c.commit_then_fail + c.commit_then_reset, 20);
}

#[tokio::test]
async fn answers_kept_paths_never_lose_an_answer_but_still_get_errors_before_the_handler() {
    let t = toy(FaultPlan {
        seed: 5,
        commit_then_fail_rate: 0.5,
        hang_rate: 0.5,
        hang_ms: 10,
        answers_kept: vec!["/items".into()],
        ..FaultPlan::none()
    });
    for _ in 0..20 {
        assert_eq!(outcome(&t.router, Method::POST, "/items").await, Some(201));
    }
    assert_eq!(t.writes.load(Ordering::SeqCst), 20);
    // Errors before the handler still apply there.
    t.faults.set_plan(FaultPlan {
        seed: 5,
        error_rate: 1.0,
        answers_kept: vec!["/items".into()],
        ..FaultPlan::none()
    });
    let status = outcome(&t.router, Method::POST, "/items").await;
    assert!(status.is_some_and(|s| s >= 429), "{status:?}");
    assert_eq!(
        t.writes.load(Ordering::SeqCst),
        20,
        "refused before the handler"
    );
}

#[tokio::test]
async fn hang_runs_the_handler_then_answers() {
    let t = toy(FaultPlan {
        seed: 3,
        hang_rate: 1.0,
        hang_ms: 20,
        ..FaultPlan::none()
    });
    assert_eq!(outcome(&t.router, Method::POST, "/items").await, Some(201));
    assert_eq!(t.writes.load(Ordering::SeqCst), 1);
    assert_eq!(t.stats.snapshot().faults.get("hang"), Some(&1));
}

#[tokio::test]
async fn same_seed_same_faults_through_the_middleware() {
    async fn run(seed: u64) -> Vec<Option<u16>> {
        let t = toy(FaultPlan::uniform(seed, 0.5));
        let mut v = Vec::new();
        for i in 0..200 {
            let (m, uri) = if i % 3 == 0 {
                (Method::POST, "/items".to_string())
            } else {
                (Method::GET, format!("/items/{i}"))
            };
            // Hangs are 10 s in the uniform plan: shorten them to keep the test fast.
            if i == 0 {
                let mut p = t.faults.plan();
                p.hang_ms = 1;
                t.faults.set_plan(p);
            }
            v.push(outcome(&t.router, m, &uri).await);
        }
        v
    }
    let a = run(11).await;
    assert_eq!(a, run(11).await);
    assert_ne!(a, run(12).await);
    assert!(a.iter().any(|o| o.is_none()) && a.contains(&Some(200)));
}

#[tokio::test]
async fn set_plan_over_http() {
    let t = toy(FaultPlan::none());
    let plan = json!({"seed": 5, "error_rate": 1.0});
    let resp = call(&t.router, Method::POST, "/__sandbox/faults", Some(plan)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(t.faults.plan().error_rate, 1.0);
    let s = outcome(&t.router, Method::GET, "/items/1").await;
    assert!(matches!(s, Some(429 | 500 | 502 | 503)), "{s:?}");
}

/// Over a real socket, a reset leaves the client without a complete response.
#[tokio::test]
async fn reset_over_loopback_aborts_the_connection() {
    let t = toy(FaultPlan {
        seed: 1,
        reset_rate: 1.0,
        ..FaultPlan::none()
    });
    let served = serve::serve(t.router.clone(), 0).await.expect("bind");
    assert!(served.base_url.starts_with("http://127.0.0.1:"));
    let mut sock = tokio::net::TcpStream::connect(served.addr)
        .await
        .expect("connect");
    sock.write_all(b"GET /items/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let _ = sock.read_to_end(&mut buf).await; // EOF or reset error: both are fine
    let text = String::from_utf8_lossy(&buf);
    println!("client saw {} bytes after the reset: {text:?}", buf.len());
    // Either nothing at all, or a head without the terminating zero-length chunk.
    assert!(
        !text.contains("\r\n0\r\n\r\n"),
        "response completed: {text:?}"
    );
    assert!(
        !text.contains("content-length"),
        "a complete response: {text:?}"
    );

    // Without faults the same server answers normally.
    t.faults.set_plan(FaultPlan::none());
    let mut sock = tokio::net::TcpStream::connect(served.addr)
        .await
        .expect("connect");
    sock.write_all(b"GET /items/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    sock.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with("{\"id\":7}"), "{text}");
    served.shutdown().await.expect("shutdown");
}
