//! The `Ledger` trait: what the engine needs from QuickBooks Online, Business Central,
//! Acumatica, the embedded ERP or your own accounting system.

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::client::{Client, ClientKey, ClientRef};
use crate::document::{
    CreditMemo, DocumentKind, JournalEntry, LedgerDocument, Receipt, SalesDocument,
};
use crate::error::Result;
use crate::fulfilment::{DocumentStatus, InventoryLevel, LedgerOrder, LedgerShipment};
use crate::ids::{ImportId, JournalKey, LedgerRef, OrderId, RefundId};
use crate::item::{ItemKey, ItemRef, NewItem};
use crate::money::Currency;
use crate::page::{Cursor, Page};

/// One thing a ledger account holds that settings name (a tax code, a GL account, a receipt
/// type): its code as settings write it, a human name, and for tax codes the rate in percent
/// where the ledger knows one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CatalogEntry {
    /// The code a settings file writes (`tax_map` values, `deposit_account`, `receipt_type`).
    pub code: String,
    /// The ledger's name for it.
    pub name: String,
    /// A tax code's rate in percent (e.g. `8.25`), when the ledger has one.
    pub rate: Option<Decimal>,
}

impl CatalogEntry {
    /// An entry without a rate.
    pub fn new(code: impl Into<String>, name: impl Into<String>) -> Self {
        CatalogEntry {
            code: code.into(),
            name: name.into(),
            rate: None,
        }
    }

    /// The same entry with a tax rate in percent.
    pub fn with_rate(mut self, rate: Decimal) -> Self {
        self.rate = Some(rate);
        self
    }
}

/// What a ledger account holds that the settings refer to: read by `bcsync init` (to fill the
/// maps) and `bcsync check --online` (to check every mapped value exists). A list the ledger
/// cannot give is left empty and named in `unknown` (then nothing is checked against it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LedgerCatalog {
    /// Tax codes / tax areas / VAT groups (values of `tax_map`).
    pub tax_codes: Vec<CatalogEntry>,
    /// GL accounts (`deposit_account`, `posting.*` accounts).
    pub accounts: Vec<CatalogEntry>,
    /// Receipt types / payment methods (`payment_map.*.receipt_type`).
    pub receipt_types: Vec<CatalogEntry>,
    /// Ship vias / shipment methods (`shipping.ship_via_map` values).
    pub ship_vias: Vec<CatalogEntry>,
    /// Which of the lists above this ledger cannot give (`"tax_codes"`, `"accounts"`…).
    pub unknown: Vec<String>,
}

impl LedgerCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `list` (`"tax_codes"`, `"accounts"`, `"receipt_types"`, `"ship_vias"`) was read
    /// from the ledger (so a value missing from it is really missing).
    pub fn knows(&self, list: &str) -> bool {
        !self.unknown.iter().any(|u| u == list)
    }
}

/// How a ledger models sales tax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TaxModel {
    /// A tax code on each line (VAT/GST ledgers, Business Central, non-US QuickBooks).
    #[default]
    PerLine,
    /// Taxable/non-taxable lines and one tax code or area on the document (US QuickBooks,
    /// AcctVantage tax areas).
    Document,
}

/// What a ledger connector can do.
///
/// `#[non_exhaustive]` with [`Default`] (nothing supported, batch size 1, USD home currency): a
/// connector names only what it can do, and a new capability breaks no outside connector.
///
/// ```
/// # use bc_core::{LedgerCapabilities, Currency};
/// let mut caps = LedgerCapabilities::new("csv", Currency::EUR);
/// caps.journals = true;
/// assert!(!caps.credit_memos);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LedgerCapabilities {
    /// Platform name (`"qbo"`, `"acctvantage"`).
    pub platform: String,
    /// Document kinds it can post.
    pub document_kinds: Vec<DocumentKind>,
    /// Largest batch of writes in one request (1 = no batch endpoint).
    pub batch_size: usize,
    /// Orders the engine plans and posts together in one chunk: the chunk's look-ups
    /// (clients, items, documents) are one batch call each, its writes split by the connector
    /// into `batch_size` requests. 0 (the default) means `batch_size`; a ledger whose
    /// searches take more keys per request than one write batch holds documents sets it
    /// higher (Business Central: 200).
    #[serde(default)]
    pub chunk_size: usize,
    /// Whether writes carry an idempotency key the platform honours (QBO `requestid`).
    pub idempotency_keys: bool,
    /// Longest document number the ledger accepts (QBO `DocNumber`: 21).
    pub max_doc_number_len: Option<usize>,
    /// Longest client display name.
    pub max_client_name_len: Option<usize>,
    /// The home currency.
    pub home_currency: Currency,
    /// Currencies enabled for documents (empty = home currency only).
    pub currencies: Vec<Currency>,
    /// How tax is modelled.
    pub tax_model: TaxModel,
    /// Decimal places of amounts, per currency; `None` = the currency's minor unit.
    pub precision_override: Option<u32>,
    /// Whether [`Ledger::create_item`] works.
    pub create_items: bool,
    /// Whether [`Ledger::post_credit_memo`] works.
    pub credit_memos: bool,
    /// Whether [`Ledger::post_journal`] works.
    pub journals: bool,
    /// Whether [`Ledger::shipments`] works.
    pub shipments: bool,
    /// Whether [`Ledger::availability`] works.
    pub availability: bool,
    /// Whether [`Ledger::document_statuses`] works.
    pub document_statuses: bool,
    /// Whether [`Ledger::set_document_status`] works.
    pub set_document_status: bool,
    /// Whether [`Ledger::new_orders`] works (ERP-originated orders).
    pub new_orders: bool,
    /// Whether [`Ledger::find_receipt`] works: receipts whose outcome is unknown can be found
    /// again. Without it (and without idempotency keys) such a receipt goes to the exception
    /// queue for a person.
    pub find_receipts: bool,
}

impl Default for LedgerCapabilities {
    fn default() -> Self {
        LedgerCapabilities {
            platform: String::new(),
            document_kinds: vec![DocumentKind::Invoice],
            batch_size: 1,
            chunk_size: 0,
            idempotency_keys: false,
            max_doc_number_len: None,
            max_client_name_len: None,
            home_currency: Currency::USD,
            currencies: Vec::new(),
            tax_model: TaxModel::default(),
            precision_override: None,
            create_items: false,
            credit_memos: false,
            journals: false,
            shipments: false,
            availability: false,
            document_statuses: false,
            set_document_status: false,
            new_orders: false,
            find_receipts: false,
        }
    }
}

impl LedgerCapabilities {
    /// The capabilities of `platform` keeping its books in `home_currency`; everything else as
    /// in [`Default`] (set the fields the connector supports).
    pub fn new(platform: impl Into<String>, home_currency: Currency) -> Self {
        LedgerCapabilities {
            platform: platform.into(),
            home_currency,
            ..LedgerCapabilities::default()
        }
    }

    /// Orders per engine chunk: [`LedgerCapabilities::chunk_size`], or `batch_size` when it
    /// is 0 (at least 1).
    pub fn orders_per_chunk(&self) -> usize {
        if self.chunk_size > 0 {
            self.chunk_size
        } else {
            self.batch_size.max(1)
        }
    }

    /// Decimal places of amounts in `currency`.
    pub fn precision(&self, currency: Currency) -> u32 {
        self.precision_override
            .unwrap_or_else(|| currency.minor_units())
    }

    /// Whether documents may be posted in `currency`.
    pub fn accepts_currency(&self, currency: Currency) -> bool {
        currency == self.home_currency || self.currencies.contains(&currency)
    }
}

/// A ledger. The required methods are the platform's single operations; the provided batch
/// methods loop over them and a connector overrides them when its platform has a batch
/// endpoint (QBO `/batch`: 30, Business Central `$batch`: 100). A method the platform cannot
/// do returns [`crate::ErrorKind::Unsupported`] and [`Ledger::capabilities`] says so.
///
/// Writes must store the import id on what they create so that [`Ledger::find_document`]
/// finds it after a lost response (the exactly-once protocol, ARCHITECTURE §4).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Ledger: Send + Sync {
    /// What this ledger can do.
    fn capabilities(&self) -> LedgerCapabilities;

    /// Finds a client.
    async fn find_client(&self, key: &ClientKey) -> Result<Option<ClientRef>>;

    /// Creates a client. A display name already taken is resolved by the connector with a
    /// stable variant, never by failing the order.
    async fn create_client(&self, client: &Client) -> Result<ClientRef>;

    /// Finds items, one answer per key, in order.
    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>>;

    /// Creates an item. Gated by [`LedgerCapabilities::create_items`].
    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        let _ = item;
        Err(self.unsupported("creating items"))
    }

    /// Finds the sales document made from an order, by its import id.
    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>>;

    /// Posts a sales document.
    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef>;

    /// Replaces the content of a document posted earlier (O14), while it is editable. A ledger
    /// that posts documents final answers `Unsupported` (the default) or `Conflict`.
    async fn update_sales_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        let _ = (at, doc);
        Err(self.unsupported("updating posted documents"))
    }

    /// Records a receipt against a document. The connector stores
    /// `(receipt.import_id, receipt.sequence)` on what it creates, so that
    /// [`Ledger::find_receipt`] finds it again.
    async fn post_receipt(&self, receipt: &Receipt) -> Result<LedgerRef>;

    /// Finds the receipt made earlier for `(receipt.import_id, receipt.sequence)`
    /// (exactly-once for receipts). Gated by [`LedgerCapabilities::find_receipts`].
    async fn find_receipt(&self, receipt: &Receipt) -> Result<Option<LedgerRef>> {
        let _ = receipt;
        Err(self.unsupported("searching receipts"))
    }

    /// Posts a credit memo or refund receipt. Gated by [`LedgerCapabilities::credit_memos`].
    async fn post_credit_memo(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        let _ = memo;
        Err(self.unsupported("credit memos"))
    }

    /// Posts a balanced journal entry. Gated by [`LedgerCapabilities::journals`].
    async fn post_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        let _ = entry;
        Err(self.unsupported("journals"))
    }

    /// Finds a credit memo made from a storefront refund (exactly-once for refunds). Gated by
    /// [`LedgerCapabilities::credit_memos`].
    async fn find_credit_memo(
        &self,
        import_id: &ImportId,
        refund_id: &RefundId,
    ) -> Result<Option<LedgerRef>> {
        let _ = (import_id, refund_id);
        Err(self.unsupported("credit memos"))
    }

    /// Finds a journal by its key (exactly-once for payouts). Gated by
    /// [`LedgerCapabilities::journals`].
    async fn find_journal(&self, key: &JournalKey) -> Result<Option<LedgerRef>> {
        let _ = key;
        Err(self.unsupported("journals"))
    }

    /// Shipments processed since `since`. Gated by [`LedgerCapabilities::shipments`].
    async fn shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        let _ = since;
        Err(self.unsupported("reading shipments"))
    }

    /// Available quantities in `warehouse` changed since `since`. Gated by
    /// [`LedgerCapabilities::availability`].
    async fn availability(&self, warehouse: &str, since: &Cursor) -> Result<Page<InventoryLevel>> {
        let _ = (warehouse, since);
        Err(self.unsupported("reading availability"))
    }

    /// Documents whose status changed since `since`. Gated by
    /// [`LedgerCapabilities::document_statuses`].
    async fn document_statuses(&self, since: &Cursor) -> Result<Page<DocumentStatus>> {
        let _ = since;
        Err(self.unsupported("reading document statuses"))
    }

    /// Sets a document's status (T2 pull direction). Never posts (T2). Gated by
    /// [`LedgerCapabilities::set_document_status`].
    async fn set_document_status(&self, at: &LedgerRef, status: &str) -> Result<()> {
        let _ = (at, status);
        Err(self.unsupported("setting document statuses"))
    }

    /// Orders created in the ledger since `since` (E1). Gated by
    /// [`LedgerCapabilities::new_orders`].
    async fn new_orders(&self, since: &Cursor) -> Result<Page<LedgerOrder>> {
        let _ = since;
        Err(self.unsupported("ledger-originated orders"))
    }

    /// Records that a ledger order was created in the storefront (E1 cross-reference). Gated
    /// by [`LedgerCapabilities::new_orders`].
    async fn link_storefront_order(
        &self,
        at: &LedgerRef,
        storefront_order: &OrderId,
    ) -> Result<()> {
        let _ = (at, storefront_order);
        Err(self.unsupported("ledger-originated orders"))
    }

    /// What the account holds that settings name (tax codes, accounts, receipt types, ship
    /// vias), for `init` and `check --online`. Read-only. The default is `Unsupported`; a
    /// ledger that can list only some of them fills those and names the rest in
    /// [`LedgerCatalog::unknown`].
    async fn catalog(&self) -> Result<LedgerCatalog> {
        Err(self.unsupported("listing tax codes, accounts and receipt types"))
    }

    /// The error of a capability this ledger does not have, naming the platform.
    fn unsupported(&self, operation: &str) -> crate::Error {
        crate::Error::unsupported(&self.capabilities().platform, operation)
    }

    /// Searches several client keys; one answer per key, in order. Ledgers that search many
    /// keys with one request (an index, an `IN` query) override it; the default asks one by
    /// one.
    async fn find_clients(&self, keys: &[ClientKey]) -> Vec<Result<Option<ClientRef>>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.find_client(key).await);
        }
        out
    }

    /// Creates several clients; one result per client, in order. The default creates one at a
    /// time.
    async fn create_clients(&self, clients: &[Client]) -> Vec<Result<ClientRef>> {
        let mut out = Vec::with_capacity(clients.len());
        for client in clients {
            out.push(self.create_client(client).await);
        }
        out
    }

    /// Posts several documents; one result per document, in order. The default posts one at a
    /// time.
    async fn post_sales_documents(&self, docs: &[SalesDocument]) -> Vec<Result<LedgerRef>> {
        let mut out = Vec::with_capacity(docs.len());
        for doc in docs {
            out.push(self.post_sales_document(doc).await);
        }
        out
    }

    /// Finds several documents by import id; one answer per id, in order.
    async fn find_documents(&self, ids: &[ImportId]) -> Vec<Result<Option<LedgerDocument>>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.find_document(id).await);
        }
        out
    }

    /// Creates several items; one result per item, in order.
    async fn create_items(&self, items: &[NewItem]) -> Vec<Result<ItemRef>> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.create_item(item).await);
        }
        out
    }

    /// Records several receipts; one result per receipt, in order.
    async fn post_receipts(&self, receipts: &[Receipt]) -> Vec<Result<LedgerRef>> {
        let mut out = Vec::with_capacity(receipts.len());
        for r in receipts {
            out.push(self.post_receipt(r).await);
        }
        out
    }

    /// The sum of documents posted for `import_ids`, for reconciliation (Y2). The default
    /// finds each document.
    async fn documents_total(&self, import_ids: &[ImportId]) -> Result<Decimal> {
        let mut total = Decimal::ZERO;
        for found in self.find_documents(import_ids).await {
            if let Some(doc) = found? {
                total += doc.total;
            }
        }
        Ok(total)
    }
}
