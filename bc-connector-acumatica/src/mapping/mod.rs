//! bcsync documents → Acumatica records (pure functions), one file per kind of record.
//!
//! - [`sales`]: sales documents (sales orders and invoices), lines, taxes, tenders;
//! - [`credit`]: credit memos;
//! - [`client`]: customers; [`item`]: stock and non-stock items;
//! - [`receipt`]: payments; [`journal`]: GL journal transactions;
//! - [`erp_order`]: ERP-originated orders: the qualification rules (E1) and the storefront
//!   order they become.
//!
//! The value helpers ([`v`], [`text`], [`num`]…) live in [`crate::wire`] and are re-exported
//! here under their former paths, as are the former `documents` and `records` modules.

pub mod client;
pub mod credit;
pub mod erp_order;
pub mod item;
pub mod journal;
pub mod receipt;
pub mod sales;

pub use crate::wire::{boolean, dec, lit, num, rows, text, v};

/// Sales documents and credit memos under their module of before the layout.
pub mod documents {
    pub use super::credit::{credit_key, credit_memo};
    pub use super::sales::{entity_of, sales_document, tax_zone, tender_payment, tenders};
}

/// Customers, items, payments and journals under their module of before the layout.
pub mod records {
    pub use super::client::{customer, customer_id};
    pub use super::item::item;
    pub use super::journal::journal;
    pub use super::receipt::{payment, receipt_key, DocTarget};
}
