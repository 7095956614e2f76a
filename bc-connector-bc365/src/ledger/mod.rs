//! [`Bc365Ledger`]: a thin [`Ledger`] over [`Bc365Client`] and the pure [`crate::mapping`].
//!
//! - [`documents`]: sales documents and credit memos, in `$batch`es, exactly once;
//! - [`parties`]: clients and items;
//! - [`money`]: receipts, credit memos, payout journals, document updates;
//! - [`warehouse`]: posted shipments with tracking, availability per location;
//! - [`setup`]: the company's tax areas/groups, currencies, locations and journals;
//! - [`catalog`]: the tax codes, accounts, payment and shipment methods settings name.

pub mod catalog;
pub mod documents;
pub mod money;
pub mod parties;
pub mod setup;
pub mod warehouse;

use std::sync::Arc;

use async_trait::async_trait;
use bc_core::{
    Client, ClientKey, ClientRef, CreditMemo, Cursor, DocumentKind, ImportId, InventoryLevel,
    ItemKey, ItemRef, JournalEntry, JournalKey, Ledger, LedgerCapabilities, LedgerCatalog,
    LedgerDocument, LedgerRef, LedgerShipment, NewItem, Page, Receipt, RefundId, Result,
    SalesDocument, TaxModel,
};
use tokio::sync::OnceCell;

/// A debug event per call of the [`Ledger`] (`RUST_LOG=bc_connector_bc365=debug`), which,
/// read with bc-http's request events, says which call sent which requests.
fn trace_call(call: &'static str, n: usize) {
    tracing::debug!(call, n, "bc365 ledger call");
}

use crate::client::Bc365Client;
use crate::config::{Bc365Config, MAX_BATCH};
use crate::mapping::{sales, Setup, TaxKind};
use documents::Job;

/// What the connector read or wrote itself, so that it does not read it again: the
/// customers it created, read or changed (id → the row as Business Central answered, with
/// its ETag), and the invoices it created and posted itself (ids), which no payment can be
/// applied to yet. Bounded: cleared when it grows past [`Known::LIMIT`] entries.
#[derive(Debug, Default)]
pub(crate) struct Known {
    customers: std::collections::HashMap<String, crate::wire::Customer>,
    posted_here: std::collections::HashSet<String>,
}

impl Known {
    /// Entries kept at most per map.
    const LIMIT: usize = 10_000;

    /// Remembers a customer as Business Central answered it.
    pub(crate) fn customer(&mut self, c: &crate::wire::Customer) {
        if c.id.is_empty() || c.etag.is_empty() {
            return;
        }
        if self.customers.len() >= Self::LIMIT {
            self.customers.clear();
        }
        self.customers.insert(c.id.to_ascii_lowercase(), c.clone());
    }

    /// Forgets a customer (a write to it failed: read it again next time).
    pub(crate) fn forget_customer(&mut self, id: &str) {
        self.customers.remove(&id.to_ascii_lowercase());
    }

    /// The customer as last seen.
    pub(crate) fn customer_of(&self, id: &str) -> Option<crate::wire::Customer> {
        self.customers.get(&id.to_ascii_lowercase()).cloned()
    }

    /// Remembers an invoice this connector created and posted.
    pub(crate) fn posted_here(&mut self, id: &str) {
        if self.posted_here.len() >= Self::LIMIT {
            self.posted_here.clear();
        }
        self.posted_here.insert(id.to_ascii_lowercase());
    }

    /// Takes the invoice out of the set: whether this connector created and posted it.
    pub(crate) fn take_posted_here(&mut self, id: &str) -> bool {
        self.posted_here.remove(&id.to_ascii_lowercase())
    }
}

/// Business Central as a bcsync ledger.
#[derive(Debug, Clone)]
pub struct Bc365Ledger {
    pub(crate) client: Bc365Client,
    pub(crate) config: Arc<Bc365Config>,
    pub(crate) setup: Arc<OnceCell<Setup>>,
    known: Arc<std::sync::Mutex<Known>>,
}

impl Bc365Ledger {
    /// A ledger over `client`.
    pub fn new(client: Bc365Client, config: Bc365Config) -> Self {
        Bc365Ledger {
            client,
            config: Arc::new(config),
            setup: Arc::new(OnceCell::new()),
            known: Arc::new(std::sync::Mutex::new(Known::default())),
        }
    }

    /// What the connector read or wrote itself (see [`Known`]); a poisoned lock is taken
    /// over (the memory only saves requests).
    pub(crate) fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The REST client.
    pub fn client(&self) -> &Bc365Client {
        &self.client
    }

    /// The configuration.
    pub fn config(&self) -> &Bc365Config {
        &self.config
    }

    /// The company's setup, read on first use.
    pub async fn setup(&self) -> Result<&Setup> {
        self.setup
            .get_or_try_init(|| setup::load(&self.client, &self.config))
            .await
    }

    pub(crate) fn setup_kind(&self) -> Option<TaxKind> {
        self.setup.get().map(|s| s.tax)
    }

    async fn job(&self, doc: &SalesDocument) -> Result<Job> {
        let setup = self.setup().await?;
        let accepted = &self.config.currencies;
        let plan = sales::sales_document(
            doc,
            setup,
            &self.config.posting,
            self.config.home_currency,
            accepted,
        )
        .map_err(|issues| bc_core::Error::mapping(issues).with_platform(crate::PLATFORM))?;
        let mut zones: Vec<&str> = doc.taxes.iter().map(|t| t.zone.as_str()).collect();
        zones.dedup();
        let zones = if zones.is_empty() {
            "(untaxed)".to_string()
        } else {
            zones
                .iter()
                .map(|z| format!("`{z}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Ok(Job {
            plan,
            order: doc.order_id.clone(),
            zones,
        })
    }
}

#[async_trait]
impl Ledger for Bc365Ledger {
    fn capabilities(&self) -> LedgerCapabilities {
        let mut caps = LedgerCapabilities::new(crate::PLATFORM, self.config.home_currency);
        caps.document_kinds = vec![DocumentKind::Invoice, DocumentKind::SalesOrder];
        caps.batch_size = MAX_BATCH;
        // Searches take 20 keys per GET and writes are split into `$batch`es of 100: two
        // batches of orders per chunk halve the per-chunk look-ups per order.
        caps.chunk_size = 2 * MAX_BATCH;
        caps.idempotency_keys = false;
        caps.max_doc_number_len = Some(35);
        caps.max_client_name_len = Some(100);
        caps.currencies = self.config.currencies.clone();
        caps.tax_model = TaxModel::PerLine;
        caps.create_items = true;
        caps.credit_memos = true;
        caps.journals = true;
        caps.shipments = true;
        caps.availability = true;
        caps.find_receipts = true;
        caps
    }

    async fn find_client(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        trace_call("find_client", 1);
        self.find_client_by(key).await
    }

    async fn create_client(&self, client: &Client) -> Result<ClientRef> {
        trace_call("create_client", 1);
        self.create_customer(client).await
    }

    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        trace_call("find_items", keys.len());
        self.find_items_by(keys).await
    }

    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        trace_call("create_item", 1);
        self.create_one_item(item).await
    }

    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        trace_call("find_document", 1);
        self.find_documents(std::slice::from_ref(import_id))
            .await
            .pop()
            .unwrap_or(Ok(None))
    }

    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        self.post_sales_documents(std::slice::from_ref(doc))
            .await
            .pop()
            .unwrap_or_else(|| {
                Err(bc_core::Error::new(
                    bc_core::ErrorKind::Internal,
                    "no result",
                ))
            })
    }

    async fn update_sales_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        self.update_document(at, doc).await
    }

    async fn post_receipt(&self, receipt: &Receipt) -> Result<LedgerRef> {
        trace_call("post_receipt", 1);
        self.post_payment(receipt).await
    }

    async fn find_receipt(&self, receipt: &Receipt) -> Result<Option<LedgerRef>> {
        trace_call("find_receipt", 1);
        self.find_payment(receipt).await
    }

    async fn post_credit_memo(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        self.post_credit(memo).await
    }

    async fn find_credit_memo(
        &self,
        import_id: &ImportId,
        refund_id: &RefundId,
    ) -> Result<Option<LedgerRef>> {
        self.find_credit(import_id, refund_id.as_str()).await
    }

    async fn post_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        self.post_payout_journal(entry).await
    }

    async fn find_journal(&self, key: &JournalKey) -> Result<Option<LedgerRef>> {
        self.find_payout_journal(key.as_str())
            .await
            .map(|f| f.filter(|(_, posted)| *posted).map(|(r, _)| r))
    }

    async fn shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        trace_call("shipments", 0);
        self.posted_shipments(since).await
    }

    async fn availability(&self, warehouse: &str, since: &Cursor) -> Result<Page<InventoryLevel>> {
        trace_call("availability", 0);
        self.available(warehouse, since).await
    }

    /// `AREA/GROUP` and `GROUP` tax codes, posting G/L accounts by number, payment and
    /// shipment methods by code (see [`catalog`]).
    async fn catalog(&self) -> Result<LedgerCatalog> {
        trace_call("catalog", 0);
        self.read_catalog().await
    }

    /// Every key in one `$batch` of `or`-joined filters (20 keys per `GET`).
    async fn find_clients(&self, keys: &[ClientKey]) -> Vec<Result<Option<ClientRef>>> {
        trace_call("find_clients", keys.len());
        self.find_clients_by(keys).await
    }

    /// `POST customers` in `$batch`es of 100; the customer number (Business Central's key)
    /// refuses a second creation, which is then found (see [`parties`]).
    async fn create_clients(&self, clients: &[Client]) -> Vec<Result<ClientRef>> {
        trace_call("create_clients", clients.len());
        self.create_customers(clients).await
    }

    /// `POST items` in `$batch`es of 100; the item number (the SKU, Business Central's key)
    /// refuses a second creation, which is then found.
    async fn create_items(&self, items: &[NewItem]) -> Vec<Result<ItemRef>> {
        trace_call("create_items", items.len());
        self.create_items_each(items).await
    }

    /// Stage by stage for all documents, each stage one `$batch` (see [`documents`]).
    async fn post_sales_documents(&self, docs: &[SalesDocument]) -> Vec<Result<LedgerRef>> {
        trace_call("post_sales_documents", docs.len());
        let mut jobs = Vec::with_capacity(docs.len());
        for d in docs {
            jobs.push(self.job(d).await);
        }
        self.write_documents(jobs).await
    }

    /// `or`-joined filters by `externalDocumentNumber`, one `$batch`.
    async fn find_documents(&self, ids: &[ImportId]) -> Vec<Result<Option<LedgerDocument>>> {
        trace_call("find_documents", ids.len());
        self.find_sales_documents(ids).await
    }

    /// Searched (and their invoices read) in one `$batch`, posted in the next; the receipts
    /// of invoices this connector has just created and posted are posted without a search.
    async fn post_receipts(&self, receipts: &[Receipt]) -> Vec<Result<LedgerRef>> {
        trace_call("post_receipts", receipts.len());
        self.post_payments(receipts).await
    }
}
