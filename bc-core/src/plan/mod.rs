//! The posting plan: pure functions from storefront data and settings to ledger documents.
//!
//! A plan is all or nothing: either the whole document, or every reason it cannot be made
//! ([`MappingIssue`]), each naming the order and the setting to fix. Nothing here does I/O;
//! the engine resolves clients and items first and hands them in as [`Lookups`].
//!
//! The guarantees, held by property tests:
//! - the document's total equals the storefront order's total including tax, rounded to the
//!   ledger's precision, exactly; a rounding line appears only within `rounding_tolerance`;
//! - gift certificates and store credit never reduce revenue (they are tenders);
//! - tax amounts are the storefront's, never recomputed (only rounded to the ledger's precision,
//!   with the cents distributed so that their sum is the rounded storefront tax total);
//! - the same inputs give the same document.

mod client;
mod credit;
mod issue;
mod payout;
mod receipts;
mod rounding;
mod sales;

pub use client::{plan_client, ClientPlan};
pub use credit::{plan_credit_memo, CreditLookups};
pub use issue::{IssueCode, MappingIssue};
pub use payout::plan_payout_journal;
pub use receipts::plan_receipts;
pub use rounding::allocate_rounded;
pub use sales::{item_key, plan_sales_document, Lookups};
