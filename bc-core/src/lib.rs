//! # bc-core — the domain language of bcsync
//!
//! Everything the other crates of bcsync speak, with no I/O:
//!
//! - [`money`]: [`Money`] and [`Currency`] on `rust_decimal`, parsed without floats;
//! - [`ids`]: typed identifiers, among them the [`ImportId`] stored on every ledger document;
//! - the storefront side: [`Order`] ([`order`]), [`Refund`] and [`Payout`] ([`refund`]),
//!   shipments, statuses and inventory ([`fulfilment`]), the ship via of an order
//!   ([`ship_via`]);
//! - the ledger side: [`Client`] ([`client`]), items ([`item`]), and the documents a ledger
//!   posts ([`document`]): [`SalesDocument`], [`Receipt`], [`CreditMemo`],
//!   [`JournalEntry`];
//! - [`tax`]: [`TaxArea`], a ledger's tax identity, and [`TaxMap`], the storefront's zones
//!   mapped onto it;
//! - [`status_map`]: [`StatusMap`], order statuses between the two sides;
//! - [`settings`]: every option of the feature list, read from TOML and validated;
//! - the traits every connector implements: [`Storefront`] and [`Ledger`];
//! - [`plan`]: the posting plan, pure functions from an order to a document;
//! - [`wire`]: serde helpers for the platforms' loose payloads;
//! - [`Error`]: the one error type;
//! - `testkit` (feature `testkit`): order generators and the conformance suites every
//!   connector runs;
//! - `MockStorefront` and `MockLedger` (feature `mock`): [`mockall`](https://docs.rs/mockall)
//!   mocks of the two traits, for an integrator's unit tests.
#![forbid(unsafe_code)]

pub mod client;
pub mod document;
pub mod error;
pub mod fulfilment;
pub mod ids;
pub mod item;
pub mod ledger;
pub mod money;
pub mod order;
pub mod page;
pub mod plan;
pub mod refund;
pub mod settings;
pub mod ship_via;
pub mod status_map;
pub mod storefront;
pub mod tax;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod wire;

pub use client::{Client, ClientKey, ClientRef, Contact};
pub use document::{
    CreditKind, CreditLine, CreditMemo, DocNumber, DocumentKind, DocumentPayment, DocumentTax,
    JournalEntry, JournalLine, LedgerDocument, PostingTarget, Receipt, ReceiptState, SalesDocument,
    SalesLine, SalesLineKind,
};
pub use error::{BoxError, Error, ErrorKind, Result};
pub use fulfilment::{
    DocumentStatus, InventoryLevel, LedgerOrder, LedgerShipment, OrderStatus, Shipment,
    ShipmentLine, ShipmentRef,
};
pub use ids::{
    CustomerId, ImportId, JournalKey, LedgerRef, OrderId, PayoutId, RefundId, ShipmentId, Sku,
    SourceCode, StatusId,
};
pub use item::{ItemKey, ItemRef, ItemType, NewItem};
#[cfg(feature = "mock")]
pub use ledger::MockLedger;
pub use ledger::{CatalogEntry, Ledger, LedgerCapabilities, LedgerCatalog, TaxModel};
pub use money::{Currency, Money};
pub use order::{
    Address, B2bInfo, Charge, DiscountKind, GiftCertificateRedemption, LineDiscount, NewOrder,
    NewOrderLine, Order, OrderCustomer, OrderDiscount, OrderLine, Payment, PaymentState,
    ShippingAddress, TaxLine, TaxTarget, PORTAL_PAYMENT_SOURCE,
};
pub use page::{Cursor, ItemFailure, OrderQuery, Page, PayoutQuery, RefundQuery};
pub use plan::{IssueCode, MappingIssue};
pub use refund::{Payout, PayoutEntry, Refund, RefundLine};
pub use settings::Settings;
pub use ship_via::ShipVia;
pub use status_map::{StatusDirection, StatusMap, StatusMapping};
#[cfg(feature = "mock")]
pub use storefront::MockStorefront;
pub use storefront::{Storefront, StorefrontCapabilities};
pub use tax::{TaxArea, TaxMap};

pub use async_trait::async_trait;
pub use rust_decimal::Decimal;
