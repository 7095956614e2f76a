//! Issue 12: one `sync orders --once` of 78 orders saw 13 `/batch` calls answered 429 although
//! the client promised 40 batches a minute. The cause: a token bucket that starts full lets
//! 40 through at once and refills 40 more within the same minute — up to 80 in QBO's sliding
//! 60 seconds. The fix: QBO's budgets count a sliding window of responses
//! ([`bc_http::RateLimits::with_sliding_window`]). Both are shown here on the sandbox with
//! QBO's counts over a window scaled to one second.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bc_connector_qbo::QboLedger;
use bc_http::{RateLimits, RetryPolicy, RouterTransport};
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use common::options;

async fn batches(realm: &str, limits: RateLimits) -> u64 {
    let sb = QboSandbox::new(QboConfig {
        realm_id: realm.into(),
        throttle_window_secs: 1,
        batch_per_min: 10,
        ..QboConfig::default()
    });
    let o = options(&sb)
        .with_batch_limits(limits)
        .with_retry(RetryPolicy::default().with_max_attempts(1));
    let ledger = Arc::new(
        QboLedger::connect(o, Arc::new(RouterTransport::new(sb.router())))
            .await
            .expect("connect"),
    );
    sb.set_limits(500, 10);
    sb.stats().reset();
    let mut tasks = Vec::new();
    for n in 0..25 {
        let l = ledger.clone();
        tasks.push(tokio::spawn(async move {
            let item = serde_json::json!({
                "bId": "q0",
                "Query": format!("SELECT * FROM Customer WHERE DisplayName = 'N{n}'")
            });
            let _ = l.api().batch(vec![item]).await;
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    sb.stats().snapshot().rate_limited
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_bucket_overruns_qbos_window_and_the_sliding_window_does_not() {
    let window = Duration::from_secs(1);
    let bucket = batches("6001", RateLimits::new(10, window).with_max_in_flight(4)).await;
    assert!(bucket > 0, "the old budget meets 429s ({bucket})");
    let sliding = batches(
        "6002",
        RateLimits::new(10, window)
            .with_max_in_flight(4)
            .with_sliding_window(),
    )
    .await;
    assert_eq!(sliding, 0, "no 429 with the sliding window");
}
