//! The kit's introspection routes, merged into every platform router:
//!
//! - `GET /__sandbox/requests`: [`crate::stats::StatsSnapshot`] plus `fault_counts`;
//! - `GET /__sandbox/faults`: the current [`FaultPlan`] and counts;
//! - `POST /__sandbox/faults` with a [`FaultPlan`] JSON body: replace the plan (restarts the
//!   fault stream from its seed), answers the new plan;
//! - `POST /__sandbox/reset-stats`: zero request and fault counts (204).
//!
//! Platforms add their own `GET /__sandbox/state`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::faults::{FaultInjector, FaultPlan};
use crate::stats::RequestStats;

#[derive(Clone)]
struct Kit {
    stats: RequestStats,
    faults: FaultInjector,
}

/// The `/__sandbox/*` routes of the kit (state already applied: merge it into a `Router<()>`).
pub fn router(stats: RequestStats, faults: FaultInjector) -> Router {
    Router::new()
        .route("/__sandbox/requests", get(requests))
        .route("/__sandbox/faults", get(get_faults).post(set_faults))
        .route("/__sandbox/reset-stats", post(reset_stats))
        .with_state(Kit { stats, faults })
}

async fn requests(State(kit): State<Kit>) -> Json<Value> {
    let mut v = serde_json::to_value(kit.stats.snapshot()).unwrap_or_else(|_| json!({}));
    if let Value::Object(m) = &mut v {
        m.insert(
            "fault_counts".into(),
            serde_json::to_value(kit.faults.counts()).unwrap_or(Value::Null),
        );
    }
    Json(v)
}

async fn get_faults(State(kit): State<Kit>) -> Json<Value> {
    Json(json!({ "plan": kit.faults.plan(), "counts": kit.faults.counts() }))
}

async fn set_faults(State(kit): State<Kit>, Json(plan): Json<FaultPlan>) -> Json<FaultPlan> {
    kit.faults.set_plan(plan.clone());
    Json(plan)
}

async fn reset_stats(State(kit): State<Kit>) -> StatusCode {
    kit.stats.reset();
    kit.faults.reset_counts();
    StatusCode::NO_CONTENT
}
