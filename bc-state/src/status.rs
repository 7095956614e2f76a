//! What `bcsync status` shows per connection and job, read from any store.

use std::collections::BTreeMap;

use bc_core::Result;
use bc_engine::{ExceptionFilter, ExceptionReason, ExceptionStatus, Job, Lease, StateStore};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One (connection, job) as `bcsync status` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobStatus {
    /// The connection.
    pub connection: String,
    /// The job (`"orders"`).
    pub job: String,
    /// When it last ran: the end of its last claimed run (PostgreSQL work units), else its
    /// newest connector-log entry.
    pub last_run: Option<DateTime<Utc>>,
    /// Whether its last claimed run ended without an error and without failed items
    /// (PostgreSQL work units finished with an outcome only).
    pub last_ok: Option<bool>,
    /// One line on its last claimed run (`"seen 30, done 30, skipped 0, failed 0"`, or the
    /// error), for people (PostgreSQL work units finished with an outcome only).
    pub last_result: Option<String>,
    /// The worker that claimed it last (PostgreSQL work units only).
    pub last_worker: Option<String>,
    /// When it is next due (PostgreSQL work units only).
    pub due_at: Option<DateTime<Utc>>,
    /// Its cursor.
    pub cursor: Option<String>,
    /// Its lease (`job:<job>`) while someone holds it, expired or not; `None` when never
    /// taken or released.
    pub lease: Option<Lease>,
    /// Open exceptions of the entities this job writes, counted per reason (a mapping issue's
    /// code, `unreadable`, or an error's kind).
    pub open_exceptions: BTreeMap<String, u64>,
}

impl JobStatus {
    /// Who holds its lease at `now`: the owner of a lease that has not expired, else `None`
    /// (never taken, released, or lapsed: a dead worker's lease lapses).
    pub fn lease_holder(&self, now: DateTime<Utc>) -> Option<&str> {
        self.lease
            .as_ref()
            .filter(|l| !l.owner.is_empty() && l.expires_at > now)
            .map(|l| l.owner.as_str())
    }
}

/// What the state store knows of a (connection, job) beyond the trait's reads: its work unit
/// (PostgreSQL) or its newest connector-log entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct UnitInfo {
    pub last_run: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub last_ok: Option<bool>,
    pub last_result: Option<String>,
    pub last_worker: Option<String>,
}

/// The job whose exceptions an entity's are (the engine's own mapping).
pub use bc_engine::jobs::retry::job_of;

/// The label a reason is counted under.
pub fn reason_label(reason: &ExceptionReason) -> String {
    reason.label()
}

/// Every job of one store handle's connection, from its trait reads plus what only the
/// store knows (`units`, by job name).
pub(crate) async fn job_statuses(
    store: &dyn StateStore,
    connection: &str,
    units: &BTreeMap<String, UnitInfo>,
) -> Result<Vec<JobStatus>> {
    let leases = store.leases().await?;
    let open = store
        .exceptions(&ExceptionFilter {
            status: Some(ExceptionStatus::Open),
            ..ExceptionFilter::default()
        })
        .await?;
    let mut out = Vec::with_capacity(Job::ALL.len());
    for job in Job::ALL {
        let name = job.as_str();
        let lease_name = format!("job:{name}");
        let mut open_exceptions = BTreeMap::new();
        for e in open.iter().filter(|e| job_of(e.entity) == job) {
            let mut labels: Vec<String> = e.reasons.iter().map(reason_label).collect();
            labels.sort();
            labels.dedup();
            for l in labels {
                *open_exceptions.entry(l).or_insert(0) += 1;
            }
        }
        let unit = units.get(name).cloned().unwrap_or_default();
        out.push(JobStatus {
            connection: connection.to_string(),
            job: name.to_string(),
            last_run: unit.last_run,
            last_ok: unit.last_ok,
            last_result: unit.last_result,
            last_worker: unit.last_worker,
            due_at: unit.due_at,
            cursor: store.cursor(name).await?,
            lease: leases
                .iter()
                .find(|l| l.name == lease_name && !l.owner.is_empty())
                .cloned(),
            open_exceptions,
        });
    }
    Ok(out)
}
