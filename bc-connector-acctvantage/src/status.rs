//! AcctVantage-style sales order statuses.

use std::fmt;
use std::str::FromStr;

use bc_core::{Error, ErrorKind};

/// The status of a sales order in the ERP.
///
/// The workflow is `Open → Released → Picked → (Partially) Shipped → Posted → Completed`, with
/// `On Hold` and `Cancelled` on the side. `Posted` and `Completed` are *posting* statuses:
/// only the ERP itself reaches them ([`crate::Erp::post`]); the storefront never can (T2).
/// `Partially Shipped` and `Shipped` follow from [`crate::Erp::process_shipment`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SalesOrderStatus {
    /// Entered, editable.
    Open,
    /// Held: cannot be shipped or posted until released.
    OnHold,
    /// Released to the warehouse.
    Released,
    /// Picked in the warehouse.
    Picked,
    /// Some lines shipped.
    PartiallyShipped,
    /// Every line shipped.
    Shipped,
    /// Invoiced: the GL journal is written; no longer editable.
    Posted,
    /// Posted and closed.
    Completed,
    /// Cancelled: committed stock released.
    Cancelled,
}

impl SalesOrderStatus {
    /// Every status, in workflow order.
    pub const ALL: [SalesOrderStatus; 9] = [
        SalesOrderStatus::Open,
        SalesOrderStatus::OnHold,
        SalesOrderStatus::Released,
        SalesOrderStatus::Picked,
        SalesOrderStatus::PartiallyShipped,
        SalesOrderStatus::Shipped,
        SalesOrderStatus::Posted,
        SalesOrderStatus::Completed,
        SalesOrderStatus::Cancelled,
    ];

    /// The name the ERP shows (`"On Hold"`).
    pub fn as_str(self) -> &'static str {
        match self {
            SalesOrderStatus::Open => "Open",
            SalesOrderStatus::OnHold => "On Hold",
            SalesOrderStatus::Released => "Released",
            SalesOrderStatus::Picked => "Picked",
            SalesOrderStatus::PartiallyShipped => "Partially Shipped",
            SalesOrderStatus::Shipped => "Shipped",
            SalesOrderStatus::Posted => "Posted",
            SalesOrderStatus::Completed => "Completed",
            SalesOrderStatus::Cancelled => "Cancelled",
        }
    }

    /// Whether the order has been posted to the GL (`Posted`, `Completed`).
    pub fn is_posted(self) -> bool {
        matches!(self, SalesOrderStatus::Posted | SalesOrderStatus::Completed)
    }
}

impl fmt::Display for SalesOrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SalesOrderStatus {
    type Err = Error;

    /// Case, spaces, `_` and `-` are ignored (`"on hold"`, `"ON_HOLD"`); `"Invoiced"` is
    /// `Posted`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        if key == "invoiced" {
            return Ok(SalesOrderStatus::Posted);
        }
        SalesOrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str().replace(' ', "").to_lowercase() == key)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "`{s}` is not an AcctVantage sales order status (one of: {})",
                        SalesOrderStatus::ALL.map(|s| s.as_str()).join(", ")
                    ),
                )
                .with_platform(crate::db::PLATFORM)
            })
    }
}
