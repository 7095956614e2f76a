//! An integrator's unit test with `bcsync::engine::MockStateStore` (feature `mock`): a
//! `mockall` mock of the `StateStore` trait stands in for SQLite or PostgreSQL, and the test
//! asserts what the integrator's own code records — here "one exception for order 101, with
//! the reason the code gave, and nothing else".

use bcsync::engine::{EntityKind, ExceptionReason, ExceptionRecord, ExceptionStatus, StateStore};
use chrono::{DateTime, Utc};

/// The integrator's own code under test: a pre-import check that files an order the merchant's
/// rule refuses (a total over the credit limit) in bcsync's exception queue.
async fn refuse_over_limit(
    state: &dyn StateStore,
    order: &str,
    total_cents: i64,
    limit_cents: i64,
    now: DateTime<Utc>,
) -> bcsync::core::Result<bool> {
    if total_cents <= limit_cents {
        return Ok(false);
    }
    let reason = ExceptionReason::Error {
        kind: "invalid".into(),
        temporary: false,
        message: format!("order total {total_cents} cents is over the credit limit"),
    };
    state
        .record_exception(EntityKind::Order, order, &[reason], now)
        .await?;
    Ok(true)
}

fn record(key: &str, reasons: &[ExceptionReason], now: DateTime<Utc>) -> ExceptionRecord {
    ExceptionRecord {
        entity: EntityKind::Order,
        key: key.to_string(),
        reasons: reasons.to_vec(),
        attempts: 1,
        first_seen: now,
        last_seen: now,
        status: ExceptionStatus::Open,
        retry_requested: false,
    }
}

#[tokio::test]
async fn an_order_over_the_limit_is_filed_once_with_its_reason() {
    let mut state = bcsync::engine::MockStateStore::new();
    state
        .expect_record_exception()
        .times(1)
        .withf(|entity, key, reasons, _| {
            *entity == EntityKind::Order
                && key == "101"
                && matches!(
                    reasons,
                    [ExceptionReason::Error { temporary: false, message, .. }]
                        if message.contains("credit limit")
                )
        })
        .returning(|_, key, reasons, now| Ok(record(key, reasons, now)));
    let now = Utc::now();
    assert!(refuse_over_limit(&state, "101", 12_500, 10_000, now)
        .await
        .unwrap());
    // No expectation for any other method: a second call, or any other state write, panics;
    // `times(1)` is checked when `state` is dropped.
}

#[tokio::test]
async fn an_order_within_the_limit_touches_no_state() {
    // No expectation at all: any call to the state store fails the test.
    let state = bcsync::engine::MockStateStore::new();
    assert!(!refuse_over_limit(&state, "102", 9_000, 10_000, Utc::now())
        .await
        .unwrap());
}
