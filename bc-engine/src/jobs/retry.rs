//! Bulk retry of the exception queue (`bcsync exceptions retry --all | --reason R`).

use std::collections::BTreeSet;

use bc_core::Result;
use serde::Serialize;

use crate::engine::Engine;
use crate::report::{Job, RunReport};
use crate::state::{EntityKind, ExceptionFilter, ExceptionRecord, ExceptionStatus};

/// Which open exceptions [`Engine::retry_exceptions`] retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryFilter {
    /// Every open exception.
    All,
    /// Open exceptions with a reason of this label ([`crate::ExceptionReason::label`]:
    /// `unmapped_tax_zone`, `unknown_item`, `unreadable`, `invalid`…).
    Reason(String),
}

impl RetryFilter {
    /// Whether `r` passes the filter (it must be open too).
    pub fn matches(&self, r: &ExceptionRecord) -> bool {
        r.status == ExceptionStatus::Open
            && match self {
                RetryFilter::All => true,
                RetryFilter::Reason(label) => r.reasons.iter().any(|x| x.label() == *label),
            }
    }
}

/// What a bulk retry did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RetryReport {
    /// Exceptions whose retry was requested.
    pub requested: usize,
    /// Of those, how many are resolved now (synced).
    pub synced: usize,
    /// Of those, how many are still open (each with its latest reasons in the queue).
    pub still_failing: usize,
    /// The exceptions still open, `(entity, key)`.
    pub still_open: Vec<(EntityKind, String)>,
    /// The run of each job that had exceptions to retry.
    pub runs: Vec<RunReport>,
}

/// The job that retries an entity's exception.
pub fn job_of(entity: EntityKind) -> Job {
    match entity {
        EntityKind::Order | EntityKind::Client | EntityKind::Item | EntityKind::Receipt => {
            Job::Orders
        }
        EntityKind::Refund => Job::Refunds,
        EntityKind::Payout => Job::Payouts,
        EntityKind::Shipment => Job::Shipments,
        EntityKind::ErpOrder => Job::ErpOrders,
        EntityKind::Status => Job::Statuses,
        EntityKind::Inventory => Job::Inventory,
    }
}

impl Engine {
    /// Retries open exceptions in bulk: requests the retry of each one `filter` selects,
    /// then runs each affected job once (under its lease, [`Engine::run`]), so the calls are
    /// paced by the connectors' rate limiters as any run's are; the progress hook
    /// ([`Engine::set_progress`]) is told as items finish. Reports how many are synced now
    /// and how many still fail. Client, item and receipt exceptions are retried by their
    /// order (the orders job fetches the orders whose retry was asked for).
    pub async fn retry_exceptions(&self, filter: &RetryFilter) -> Result<RetryReport> {
        let open = self
            .state
            .exceptions(&ExceptionFilter {
                entity: None,
                status: Some(ExceptionStatus::Open),
                retry_requested: None,
            })
            .await?;
        let chosen: Vec<ExceptionRecord> = open.into_iter().filter(|r| filter.matches(r)).collect();
        let mut jobs = BTreeSet::new();
        for x in &chosen {
            self.state.request_retry(x.entity, &x.key).await?;
            jobs.insert(job_of(x.entity));
        }
        let mut runs = Vec::new();
        for job in Job::ALL.into_iter().filter(|j| jobs.contains(j)) {
            runs.push(self.run(job).await?);
        }
        let mut still_open = Vec::new();
        for x in &chosen {
            if self
                .state
                .exception(x.entity, &x.key)
                .await?
                .is_some_and(|r| r.status == ExceptionStatus::Open)
            {
                still_open.push((x.entity, x.key.clone()));
            }
        }
        Ok(RetryReport {
            requested: chosen.len(),
            synced: chosen.len() - still_open.len(),
            still_failing: still_open.len(),
            still_open,
            runs,
        })
    }
}
