//! Paging and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{OrderId, StatusId};

/// An opaque position in a platform's change feed or list (a page number, a timestamp, a
/// continuation token). Only the connector that made it understands it; the engine stores it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub String);

impl Cursor {
    /// The start of the feed.
    pub fn start() -> Self {
        Cursor(String::new())
    }

    /// Whether this is the start.
    pub fn is_start(&self) -> bool {
        self.0.is_empty()
    }
}

/// One item of a listing that could not be read (a malformed order, a refund whose detail
/// request failed): the rest of the page goes on, and the engine files this one item in the
/// exception queue with its raw payload (no poison pills).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFailure {
    /// The item's key as the platform names it (order id, refund id…); when even that cannot be
    /// read, a stable key derived from the payload (`"raw:<sha256 prefix>"`).
    pub key: String,
    /// Why it could not be read, for people.
    pub message: String,
    /// Whether reading it again may help (a fetch that failed temporarily) or not (a payload
    /// that does not parse).
    pub temporary: bool,
    /// The payload as received, kept for `exceptions show` (at most a few KiB).
    pub raw: Option<String>,
}

impl ItemFailure {
    /// A permanent failure of the item `key` with its raw payload.
    pub fn malformed(
        key: impl Into<String>,
        message: impl Into<String>,
        raw: Option<String>,
    ) -> Self {
        ItemFailure {
            key: key.into(),
            message: message.into(),
            temporary: false,
            raw: raw.map(|r| truncate_raw(r, 16 * 1024)),
        }
    }

    /// A failure of the item `key` from an error (temporary when the error is).
    pub fn from_error(key: impl Into<String>, err: &crate::Error) -> Self {
        ItemFailure {
            key: key.into(),
            message: err.to_string(),
            temporary: err.is_temporary(),
            raw: None,
        }
    }
}

fn truncate_raw(mut raw: String, max: usize) -> String {
    if raw.len() > max {
        let mut cut = max;
        while !raw.is_char_boundary(cut) {
            cut -= 1;
        }
        raw.truncate(cut);
        raw.push_str("…(truncated)");
    }
    raw
}

/// One page of results and where the next one starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The cursor of the next page, `None` at the end.
    pub next: Option<Cursor>,
    /// Items of this page that could not be read; the page is still good.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<ItemFailure>,
}

impl<T> Page<T> {
    /// A page of `items` followed by `next`.
    pub fn new(items: Vec<T>, next: Option<Cursor>) -> Self {
        Page {
            items,
            next,
            failures: Vec::new(),
        }
    }

    /// A last page.
    pub fn last(items: Vec<T>) -> Self {
        Page::new(items, None)
    }

    /// An empty last page.
    pub fn empty() -> Self {
        Page::new(Vec::new(), None)
    }

    /// The same page with `failures` added.
    pub fn with_failures(mut self, failures: Vec<ItemFailure>) -> Self {
        self.failures.extend(failures);
        self
    }
}

/// Which orders to list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderQuery {
    /// Only orders in one of these statuses (empty = any).
    #[serde(default)]
    pub statuses: Vec<StatusId>,
    /// Only orders modified at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_since: Option<DateTime<Utc>>,
    /// Only orders created at or after this time (`start_date`, O12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_since: Option<DateTime<Utc>>,
    /// Continue from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
    /// Page size (the connector caps it at the platform's maximum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Which refunds to list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundQuery {
    /// Refunds created at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_since: Option<DateTime<Utc>>,
    /// Only these orders' refunds (empty = all).
    #[serde(default)]
    pub orders: Vec<OrderId>,
    /// Continue from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
}

/// Which payouts to list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutQuery {
    /// Payouts paid at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_since: Option<DateTime<Utc>>,
    /// Continue from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
}
