//! bcsync's documents → the ERP's rows and journals, one file per document kind.
//!
//! In an HTTP connector these are pure functions from a document to a request body. The ERP
//! keeps its setup (accounts, product classes, tax areas, ship vias) in the same database
//! the document goes to, so here each mapping runs inside the write transaction: it resolves
//! what the document names ([`accounts`]), refuses what does not exist with the setting to
//! fix, and writes the rows and the balanced journal. Nothing here commits; the caller
//! (the `Ledger` impl, or the ERP's own operations) owns the transaction.
//!
//! - [`accounts`]: where a line posts — GL accounts, product classes, products, tax areas,
//!   ship vias, warehouses;
//! - [`client`]: clients and contacts (O4);
//! - [`item`]: items (products) and their product class;
//! - [`sales`]: a sales document → a sales order (invoices and sales receipts posted at
//!   once), and its update while editable (O14);
//! - [`posting`]: the status workflow and posting an order to the GL (T2);
//! - [`shipment`]: a shipment → stock moved, COGS written;
//! - [`receipt`]: a receipt → Dr deposit, Cr A/R (pre-authorised: recorded, in the GL once
//!   captured);
//! - [`credit`]: a refund → a credit memo or refund receipt, with restock (R1, R2);
//! - [`journal`]: balanced journals (every posting above, and payout journals).

pub(crate) mod accounts;
pub(crate) mod client;
pub(crate) mod credit;
pub(crate) mod item;
pub(crate) mod journal;
pub(crate) mod posting;
pub(crate) mod receipt;
pub(crate) mod sales;
pub(crate) mod shipment;

use crate::wire::Product;

/// Lookups already made in this transaction (a batch resolves the same clients, products,
/// accounts and tax areas again and again). Cleared when a savepoint is rolled back, since
/// what it remembers may have been created inside it.
#[derive(Default)]
pub(crate) struct Cache {
    clients: std::collections::HashSet<i64>,
    warehouses: std::collections::HashSet<String>,
    ship_vias: std::collections::HashMap<String, (Option<(String, String)>, String)>,
    lines: std::collections::HashMap<String, (Option<Product>, String)>,
    taxes: std::collections::HashMap<String, String>,
}

impl Cache {
    pub(crate) fn clear(&mut self) {
        *self = Cache::default();
    }
}
