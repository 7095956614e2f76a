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

/// One page of results and where the next one starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The cursor of the next page, `None` at the end.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// A last page.
    pub fn last(items: Vec<T>) -> Self {
        Page { items, next: None }
    }

    /// An empty last page.
    pub fn empty() -> Self {
        Page {
            items: Vec::new(),
            next: None,
        }
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
