//! [`StatusMap`]: order statuses between the ledger and the storefront (T1, T2).
//!
//! The settings' `[status]` table: the rows (`[[status.map]]`, ledger status ⇄ storefront
//! status), the one direction chosen (`direction`), and the ledger statuses that mean
//! "posted" (`posting_statuses`), which the storefront can never set.

use serde::{Deserialize, Serialize};

use crate::fulfilment::OrderStatus;

/// Which side's status changes are copied to the other (T2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StatusDirection {
    /// Ledger status changes update the storefront (default).
    #[default]
    PushLedger,
    /// Storefront status changes update the ledger (never posting it).
    PullStorefront,
}

/// One row of the status map (T1).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StatusMapping {
    /// Ledger status name.
    pub ledger: String,
    /// Storefront status, by id or name.
    pub storefront: String,
}

/// The status map: both directions' rows, the chosen direction and the posting statuses.
///
/// ```
/// # use bc_core::status_map::{StatusMap, StatusMapping, StatusDirection};
/// let map = StatusMap {
///     direction: StatusDirection::PullStorefront,
///     rows: vec![
///         StatusMapping { ledger: "Shipped".into(), storefront: "Shipped".into() },
///         StatusMapping { ledger: "Completed".into(), storefront: "Completed".into() },
///     ],
///     posting_statuses: vec!["Completed".into()],
/// };
/// assert_eq!(map.to_storefront("shipped"), Some("Shipped"));
/// assert!(map.is_posting("completed"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusMap {
    /// Exactly one direction (T2).
    pub direction: StatusDirection,
    /// The rows (T1), in the settings' order: the first row that matches wins.
    pub rows: Vec<StatusMapping>,
    /// Ledger statuses that mean "posted": never set from the storefront (T2).
    pub posting_statuses: Vec<String>,
}

impl Default for StatusMap {
    fn default() -> Self {
        StatusMap {
            direction: StatusDirection::default(),
            rows: Vec::new(),
            posting_statuses: default_posting_statuses(),
        }
    }
}

/// `Posted` and `Completed`.
pub(crate) fn default_posting_statuses() -> Vec<String> {
    vec!["Posted".to_string(), "Completed".to_string()]
}

impl StatusMap {
    /// Whether the map has no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The storefront status for a ledger status (push direction), case-insensitive.
    pub fn to_storefront(&self, ledger_status: &str) -> Option<&str> {
        self.rows
            .iter()
            .find(|m| m.ledger.eq_ignore_ascii_case(ledger_status))
            .map(|m| m.storefront.as_str())
    }

    /// The ledger status for a storefront status (pull direction); `None` for a posting
    /// status, which the storefront can never trigger (T2).
    pub fn to_ledger(&self, storefront: &OrderStatus) -> Option<&str> {
        self.rows
            .iter()
            .find(|m| storefront.matches(&m.storefront))
            .map(|m| m.ledger.as_str())
            .filter(|l| !self.is_posting(l))
    }

    /// Whether `ledger_status` means "posted" (`posting_statuses`, case-insensitive).
    pub fn is_posting(&self, ledger_status: &str) -> bool {
        self.posting_statuses
            .iter()
            .any(|p| p.eq_ignore_ascii_case(ledger_status))
    }

    /// Checks the map against the storefront's statuses: one line per row whose storefront
    /// status the store lacks, naming the row and the statuses it has. Empty when sound.
    pub fn problems(&self, statuses: &[OrderStatus]) -> Vec<String> {
        let mut out = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            if !statuses.iter().any(|s| s.matches(&row.storefront)) {
                let names: Vec<&str> = statuses.iter().map(|s| s.name.as_str()).collect();
                out.push(format!(
                    "setting `status.map[{i}].storefront` = \"{}\": the storefront has no such status; it has: {}",
                    row.storefront,
                    names.join(", ")
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::StatusId;

    fn status(id: &str, name: &str) -> OrderStatus {
        OrderStatus {
            id: StatusId::new(id),
            name: name.into(),
            custom_label: None,
        }
    }

    fn map(direction: StatusDirection) -> StatusMap {
        StatusMap {
            direction,
            rows: vec![
                StatusMapping {
                    ledger: "Shipped".into(),
                    storefront: "2".into(),
                },
                StatusMapping {
                    ledger: "Completed".into(),
                    storefront: "Completed".into(),
                },
            ],
            ..StatusMap::default()
        }
    }

    #[test]
    fn both_directions_and_posting_statuses_never_pulled() {
        let m = map(StatusDirection::PullStorefront);
        assert_eq!(m.to_storefront("SHIPPED"), Some("2"));
        assert_eq!(m.to_ledger(&status("2", "Shipped")), Some("Shipped"));
        assert_eq!(m.to_ledger(&status("10", "Completed")), None);
        assert_eq!(m.to_ledger(&status("11", "Refunded")), None);
    }

    #[test]
    fn rows_are_checked_against_the_storefronts_statuses() {
        let statuses = [status("2", "Shipped"), status("10", "Completed")];
        assert!(map(StatusDirection::PushLedger)
            .problems(&statuses)
            .is_empty());
        let missing = map(StatusDirection::PushLedger).problems(&statuses[..1]);
        assert_eq!(missing.len(), 1);
        assert!(
            missing[0].contains("status.map[1].storefront"),
            "{missing:?}"
        );
        assert!(missing[0].contains("it has: Shipped"), "{missing:?}");
    }
}
