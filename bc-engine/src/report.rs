//! What a job run returns: [`RunReport`] (L4).

use std::fmt;
use std::str::FromStr;

use bc_core::{Error, ErrorKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::state::EntityKind;

/// The jobs of the engine (ARCHITECTURE §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Job {
    /// Storefront orders → ledger documents (O1–O15, P1–P3).
    Orders,
    /// Status sync in the chosen direction (T1, T2).
    Statuses,
    /// Ledger shipments → storefront shipments (S1–S3).
    Shipments,
    /// Ledger availability → storefront stock (I1–I3).
    Inventory,
    /// Storefront refunds → credit memos (R1, R2).
    Refunds,
    /// Payouts → journals (Y1).
    Payouts,
    /// Ledger-originated orders → storefront orders (E1, E2).
    ErpOrders,
    /// The monitoring sweep (Y2).
    Audit,
}

impl Job {
    /// Every job, orders first (the scheduler's priority order).
    pub const ALL: [Job; 8] = [
        Job::Orders,
        Job::Refunds,
        Job::Shipments,
        Job::Statuses,
        Job::Payouts,
        Job::ErpOrders,
        Job::Inventory,
        Job::Audit,
    ];

    /// The job's name (`"orders"`, `"erp-orders"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Job::Orders => "orders",
            Job::Statuses => "statuses",
            Job::Shipments => "shipments",
            Job::Inventory => "inventory",
            Job::Refunds => "refunds",
            Job::Payouts => "payouts",
            Job::ErpOrders => "erp-orders",
            Job::Audit => "audit",
        }
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Job {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Job::ALL
            .into_iter()
            .find(|j| j.as_str() == s || j.as_str().replace('-', "_") == s)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "unknown job `{s}` (jobs: {})",
                        Job::ALL.map(Job::as_str).join(", ")
                    ),
                )
            })
    }
}

/// Something a run could not sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Kind of entity.
    pub entity: EntityKind,
    /// Its key (order id…).
    pub key: String,
    /// Why, in words.
    pub reasons: Vec<String>,
    /// Whether the next run retries by itself (else it waits in the exception queue for a fix).
    pub temporary: bool,
}

/// Requests made by a run, where the engine counted them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// Calls to the storefront connector.
    pub storefront: u64,
    /// Calls to the ledger connector (a batch call counts once).
    pub ledger: u64,
}

/// What one run of a job did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// The job.
    pub job: Job,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: DateTime<Utc>,
    /// Entities looked at.
    pub seen: usize,
    /// Entities written.
    pub done: usize,
    /// Entities with nothing to do.
    pub skipped: usize,
    /// Earlier writes of unknown outcome found by a search and adopted (exactly once).
    pub adopted: usize,
    /// Entities that failed, with reasons.
    pub failed: Vec<Failure>,
    /// Connector calls made.
    pub requests: RequestCounts,
    /// Remarks for people (a job skipped because a platform cannot do it…).
    pub notes: Vec<String>,
    /// Items that failed temporarily (a rate limit, an outage, an unknown outcome): not in the
    /// exception queue, their storefront status untouched; the next run takes them again.
    #[serde(default)]
    pub deferred: usize,
    /// Why the run stopped early (an authentication failure, a platform that is down, a lost
    /// lease): one clear error for the whole run instead of one exception per item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl RunReport {
    /// An empty report of `job` starting now.
    pub fn new(job: Job) -> Self {
        let now = Utc::now();
        RunReport {
            job,
            started_at: now,
            finished_at: now,
            seen: 0,
            done: 0,
            skipped: 0,
            adopted: 0,
            failed: Vec::new(),
            requests: RequestCounts::default(),
            notes: Vec::new(),
            deferred: 0,
            stopped: None,
        }
    }

    /// Whether every item seen is settled: done, or permanently in the exception queue
    /// (nothing deferred to the next run, the run not stopped).
    pub fn is_settled(&self) -> bool {
        self.failed.iter().all(|f| !f.temporary) && self.deferred == 0 && self.stopped.is_none()
    }

    /// Whether nothing failed, nothing was deferred and the run was not stopped.
    pub fn is_clean(&self) -> bool {
        self.failed.is_empty() && self.deferred == 0 && self.stopped.is_none()
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: seen {}, done {}, skipped {}, adopted {}, failed {}, deferred {} ({} storefront / {} ledger requests)",
            self.job,
            self.seen,
            self.done,
            self.skipped,
            self.adopted,
            self.failed.len(),
            self.deferred,
            self.requests.storefront,
            self.requests.ledger
        )?;
        if let Some(why) = &self.stopped {
            writeln!(f, "  stopped: {why}")?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        for x in &self.failed {
            writeln!(
                f,
                "  {} {}{}: {}",
                x.entity,
                x.key,
                if x.temporary { " (will retry)" } else { "" },
                x.reasons.join("; ")
            )?;
        }
        Ok(())
    }
}
