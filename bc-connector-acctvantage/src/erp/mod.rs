//! The ERP's own screens: what a person does in it, as opposed to what bcsync does through
//! [`bc_core::Ledger`]. `bcsync demo`, the portal and the tests use them to play the ERP's
//! users (ship, post, take a payment, enter an order) and reconciliation reads them.
//!
//! - [`setup`]: the setup records a person keeps (chart of accounts, product classes,
//!   products, warehouses, ship vias, tax areas, receipt types, stock counts);
//! - [`prepare`]: the integration setup a sync configuration needs, done once;
//! - [`operations`]: ship, change a status, post (T2: the only way an order is posted),
//!   enter an order (E1), take and capture payments;
//! - [`reports`]: sales orders, totals per import source, duplicates, the trial balance,
//!   journals.

mod operations;
mod prepare;
mod reports;
mod setup;

pub use operations::{NewSalesOrder, NewSalesOrderLine};
pub use reports::{Journal, SalesOrderSummary, SourceTotals, TrialBalance, TrialBalanceRow};
pub use setup::{Account, AccountKind, NewProduct, StockLevel};
