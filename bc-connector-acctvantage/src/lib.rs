//! # bc-connector-acctvantage — an embedded AcctVantage-style ERP
//!
//! The default ledger of `bcsync demo`: a small ERP in the shape of AcctVantage (seed `000`)
//! on one SQLite file (WAL), so that a new user syncs a storefront into real accounting with
//! no account anywhere. It implements [`bc_core::Ledger`] completely.
//!
//! ## The rooms of a connector, for an ERP that lives in a file
//!
//! Every bcsync connector has the same rooms (issue 11). This one talks to a database, not
//! to a REST API, so some rooms hold something else than their name says in an HTTP
//! connector; the table says what:
//!
//! | room | in an HTTP connector | here |
//! |------|----------------------|------|
//! | `lib.rs` | contents, [`PLATFORM`], [`connect`] | the same |
//! | `config.rs` | `<Platform>Config` | [`AcctvantageConfig`] (the file) and [`ErpOptions`] (how the ERP behaves) |
//! | `client.rs` | REST calls over bc-http | `db/`: the [`Erp`] handle (pool, writer lock, transactions), the schema and its seeded chart of accounts, counters, stock, reading stored orders |
//! | `wire.rs` | typed JSON | `wire.rs`: typed rows (amounts as exact decimal text), [`SalesOrderStatus`] |
//! | `error.rs` | platform error bodies → [`bc_core::Error`] | SQLite errors → [`bc_core::Error`] (unique violation → `Conflict`, busy → temporary) |
//! | `mapping/` | documents → request bodies, pure | documents → rows and balanced journals, one file per kind (client, item, sales, posting, shipment, receipt, credit, journal); not pure: accounts, tax areas and ship vias are resolved in the same transaction |
//! | `ledger/` | the thin trait impl over the client | the same, plus the change feeds and ERP-entered orders (E1) |
//! | — | (the sandbox's introspection) | `erp/`: the ERP's own screens, what a person does in it (setup, posting, shipping, payments, reports) |
//!
//! Tests: `conformance.rs` (the ledger conformance suite), `wire_fixtures.rs` (stored rows
//! read back: exact decimal text, statuses by name, a foreign row refused naming the column),
//! `sandbox.rs` (every `Ledger` method against a fresh ERP, the ERP's "sandbox"), `erp.rs`
//! (the ERP's own operations), and property tests (`gl_balances.rs`, `planned_orders.rs`).
//!
//! ## What it does
//!
//! - [`Erp`]: open a database ([`Erp::open`], [`Erp::in_memory`]) and keep its
//!   setup records: chart of accounts (seeded, see [`accounts`]), product classes, products,
//!   warehouses, ship vias, tax areas, receipt types; [`Erp::prepare_for`] sets up what a
//!   sync configuration ([`bc_core::Settings`]) names, once, like AcctVantage's integration
//!   setup.
//! - Clients and contacts, matched by import id, e-mail, display name (O4).
//! - Sales orders ([`SalesOrderStatus`]) carrying the import id on their Notes, found by a
//!   "begins with" search on the import source code; editable until posted or shipped (O14).
//! - What a person does in the ERP ([`Erp::process_shipment`], [`Erp::set_status`],
//!   [`Erp::post`], [`Erp::post_many`], [`Erp::adjust_stock`], [`Erp::create_order`],
//!   [`Erp::receive_payment`], [`Erp::capture_receipt`]): posting happens only there, never
//!   from the storefront (T2). Reconciliation reads [`Erp::sales_orders`],
//!   [`Erp::totals_by_source`] and [`Erp::duplicates`].
//! - Receipts (pre-authorised: recorded, in the GL once captured; captured: Dr clearing,
//!   Cr A/R); shipments with tracking that move stock; credit memos on posted orders, with
//!   restock (R2); balanced journals (payouts).
//! - A double-entry general ledger: every posted document writes a journal whose debits equal
//!   credits, anything that would unbalance it is refused; [`Erp::trial_balance`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), bc_core::Error> {
//! use bc_connector_acctvantage::{accounts, Erp, ErpOptions, SalesOrderStatus};
//! use bc_core::{Ledger, Cursor};
//!
//! let erp = Erp::in_memory_with(ErpOptions { auto_create_ship_via: true, ..Default::default() }).await?;
//! erp.add_tax_area("TX", accounts::SALES_TAX_PAYABLE).await?; // what `tax_map` maps zones to
//! // … the engine creates clients and items and posts sales documents through `Ledger` …
//! // A person in the ERP ships and posts; the engine reads the feeds:
//! let shipments = erp.shipments(&Cursor::start()).await?;
//! let levels = erp.availability("MAIN", &Cursor::start()).await?;
//! assert!(shipments.items.is_empty() && levels.items.is_empty());
//! assert!(erp.trial_balance().await?.is_balanced());
//! # let _ = SalesOrderStatus::Posted;
//! # Ok(())
//! # }
//! ```
//!
//! The import id is the idempotency key: a second document with the same import id is a
//! `Conflict` (checked, and enforced by a UNIQUE index).
//!
//! Change feeds ([`bc_core::Ledger::shipments`], `availability`, `document_statuses`,
//! `new_orders`) use sequence numbers as cursors: a page's `next` is the position after its
//! last item while items come, `None` when there is nothing new.

pub mod config;
mod db;
mod erp;
mod error;
mod ledger;
mod mapping;
mod wire;

pub use config::{AcctvantageConfig, ErpOptions};
pub use db::schema::{accounts, DEFAULT_PRODUCT_CLASS, DEFAULT_WAREHOUSE, SHIPPING_PRODUCT_CLASS};
pub use db::Erp;
pub use erp::{
    Account, AccountKind, Journal, NewProduct, NewSalesOrder, NewSalesOrderLine, SalesOrderSummary,
    SourceTotals, StockLevel, TrialBalance, TrialBalanceRow,
};
pub use wire::SalesOrderStatus;

/// The platform name (`"acctvantage"`) in settings, errors and capabilities.
pub const PLATFORM: &str = "acctvantage";

/// Opens the ERP `config` names (what the registry calls). With the sync `settings`, the ERP
/// takes its options from them ([`ErpOptions::from_settings`]) and sets up, once, the tax
/// areas, receipt types and accounts they name ([`Erp::prepare_for`]).
pub async fn connect(
    config: &AcctvantageConfig,
    settings: Option<&bc_core::Settings>,
) -> bc_core::Result<Erp> {
    let options = settings.map(ErpOptions::from_settings).unwrap_or_default();
    let erp = Erp::open_with(&config.path, options).await.map_err(|e| {
        bc_core::Error::new(
            e.kind(),
            format!(
                "cannot open the ERP at `{}` (setting `ledger.path`): {e}",
                config.path
            ),
        )
    })?;
    if let Some(settings) = settings {
        erp.prepare_for(settings).await?;
    }
    Ok(erp)
}

/// [`connect`] with owned arguments, as a future that is `Send` for any caller (a registry's
/// boxed constructor). sqlx's SQLite futures are not provably `Send` behind a higher-ranked
/// bound (rustc's "implementation of `Send` is not general enough"), so the ERP is opened on
/// a blocking thread of the current runtime.
pub async fn connect_owned(
    config: AcctvantageConfig,
    settings: Option<bc_core::Settings>,
) -> bc_core::Result<Erp> {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(connect(&config, settings.as_ref())))
        .await
        .map_err(|e| {
            bc_core::Error::new(
                bc_core::ErrorKind::Internal,
                format!("opening the ERP stopped: {e}"),
            )
        })?
}
