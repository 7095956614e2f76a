//! Rate budgets as a worker saw them: per (connection, platform account), the requests left
//! in the window, the window, when it resets, the last `429` and its wait. Workers write a
//! snapshot every few seconds ([`crate::StateDatabase::record_budgets`]); `bcsync status`
//! reads them ([`crate::StateDatabase::budgets`]) and shows their age.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One platform account's rate budget, as a worker serving a connection last saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBudget {
    /// The connection it was seen for (filled on reads; writes use the handle's).
    pub connection: String,
    /// The account key (`"bigcommerce:{store_hash}"`).
    pub account: String,
    /// The worker that saw it (`identity#pid`).
    pub worker: String,
    /// Requests allowed per window (`None`: no window limit).
    pub window_limit: Option<u32>,
    /// The window, in milliseconds.
    pub window_ms: u64,
    /// Requests that could go without waiting when it was seen.
    pub requests_left: Option<u32>,
    /// When the platform said its window resets.
    pub resets_at: Option<DateTime<Utc>>,
    /// Until when every caller of the account was paused (a `429`'s wait).
    pub paused_until: Option<DateTime<Utc>>,
    /// When the last `429` was answered.
    pub last_429_at: Option<DateTime<Utc>>,
    /// The wait that `429` asked for, in milliseconds.
    pub last_429_wait_ms: Option<u64>,
    /// When the worker saw it (the snapshot's time).
    pub observed_at: DateTime<Utc>,
}

impl AccountBudget {
    /// How old the snapshot is at `now`, in whole seconds (never negative).
    pub fn age_secs(&self, now: DateTime<Utc>) -> i64 {
        (now - self.observed_at).num_seconds().max(0)
    }
}

pub(crate) fn ms_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn ms_u64(v: i64) -> u64 {
    u64::try_from(v.max(0)).unwrap_or(0)
}

pub(crate) fn count_u32(v: Option<i64>) -> Option<u32> {
    v.map(|v| u32::try_from(v.max(0)).unwrap_or(u32::MAX))
}
