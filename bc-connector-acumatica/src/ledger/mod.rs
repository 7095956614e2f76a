//! [`AcumaticaLedger`]: the [`Ledger`] trait over [`AcumaticaClient`].
//!
//! Exactly-once: before every write the record is searched by the key it carries (documents:
//! `CustomerOrder` = import id; payments: `ExternalRef` = `<import id>/P<seq>`; credit memos:
//! `ExternalRef` = `<import id>/R<refund>`; journals: description `[key]`), and after a write
//! whose outcome is unknown it is searched again and adopted. Inserts are sent with
//! `If-None-Match: *` and never repeated blindly.
//!
//! One file per concern: [`parties`] (customers and items), [`documents`] (sales orders and
//! invoices, their tenders, links to storefront orders), [`money`] (payments, credit memos,
//! GL journals), [`feeds`] (shipments, availability, document statuses, ERP-originated
//! orders), [`catalog`] (the taxes, cash accounts, payment methods and ship vias settings
//! name); this file holds the trait impl, which only forwards.

pub mod catalog;
pub mod documents;
pub mod feeds;
pub mod money;
pub mod parties;

use std::sync::Arc;

use async_trait::async_trait;
use bc_core::{
    Client, ClientKey, ClientRef, CreditMemo, DocumentKind, Error, ErrorKind, ImportId, ItemKey,
    ItemRef, JournalEntry, JournalKey, Ledger, LedgerCapabilities, LedgerCatalog, LedgerDocument,
    LedgerRef, NewItem, Receipt, RefundId, Result, SalesDocument, TaxModel,
};
use bc_core::{Cursor, DocumentStatus, InventoryLevel, LedgerOrder, LedgerShipment, OrderId, Page};
use serde_json::Value;

use crate::client::AcumaticaClient;
use crate::config::AcumaticaConfig;
pub(crate) use crate::wire::doc_ref;
use crate::PLATFORM;

/// Acumatica as a bcsync ledger.
#[derive(Clone, Debug)]
pub struct AcumaticaLedger {
    pub(crate) client: AcumaticaClient,
    pub(crate) config: Arc<AcumaticaConfig>,
}

/// Whether a failed write may have been applied (searched again before it is repeated).
pub(crate) fn maybe_written(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::OutcomeUnknown | ErrorKind::Unavailable)
}

impl AcumaticaLedger {
    /// A ledger over a client.
    pub fn new(client: AcumaticaClient, config: AcumaticaConfig) -> Self {
        AcumaticaLedger {
            client,
            config: Arc::new(config),
        }
    }

    /// The REST client.
    pub fn client(&self) -> &AcumaticaClient {
        &self.client
    }

    /// Signs out of Acumatica (call when done; the session otherwise holds a license slot).
    pub async fn logout(&self) -> Result<()> {
        self.client.logout().await
    }

    /// The first record of `entity` that `filter` matches.
    pub(crate) async fn find_one(
        &self,
        entity: &str,
        filter: String,
        expand: &str,
    ) -> Result<Option<Value>> {
        let mut q = vec![("$filter", filter), ("$top", "2".to_string())];
        if !expand.is_empty() {
            q.push(("$expand", expand.to_string()));
        }
        Ok(self.client.list(entity, &q).await?.into_iter().next())
    }

    /// Runs a release action on the record `keys` names (polled to completion).
    pub(crate) async fn release(&self, entity: &str, action: &str, keys: Value) -> Result<()> {
        self.client
            .action(entity, action, keys, serde_json::json!({}))
            .await
    }

    /// The Acumatica `CustomerID` of a client reference.
    pub(crate) async fn customer_of(&self, client: &LedgerRef) -> String {
        client.id.clone()
    }
}

#[async_trait]
impl Ledger for AcumaticaLedger {
    fn capabilities(&self) -> LedgerCapabilities {
        let mut caps = LedgerCapabilities::default();
        caps.platform = PLATFORM.into();
        caps.document_kinds = vec![DocumentKind::Invoice, DocumentKind::SalesOrder];
        caps.batch_size = 1;
        caps.idempotency_keys = false;
        caps.max_doc_number_len = None;
        caps.max_client_name_len = Some(255);
        caps.home_currency = self.config.base_currency;
        caps.currencies = self
            .config
            .accepted_currencies()
            .into_iter()
            .filter(|c| *c != self.config.base_currency)
            .collect();
        caps.tax_model = TaxModel::Document;
        caps.create_items = true;
        caps.credit_memos = true;
        caps.journals = true;
        caps.shipments = true;
        caps.availability = true;
        caps.document_statuses = true;
        caps.set_document_status = false;
        caps.new_orders = true;
        caps.find_receipts = true;
        caps
    }

    async fn find_client(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        self.find_client_by(key).await
    }

    async fn create_client(&self, client: &Client) -> Result<ClientRef> {
        self.create_client_record(client).await
    }

    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        self.find_items_by(keys).await
    }

    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        self.create_item_record(item).await
    }

    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        self.find_document_by(import_id).await
    }

    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        self.post_document(doc).await
    }

    async fn update_sales_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        self.update_document(at, doc).await
    }

    async fn post_receipt(&self, receipt: &Receipt) -> Result<LedgerRef> {
        self.post_payment(receipt).await
    }

    async fn find_receipt(&self, receipt: &Receipt) -> Result<Option<LedgerRef>> {
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
        self.find_credit(import_id, refund_id).await
    }

    async fn post_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        self.post_gl_journal(entry).await
    }

    async fn find_journal(&self, key: &JournalKey) -> Result<Option<LedgerRef>> {
        self.find_gl_journal(key.as_str()).await
    }

    async fn shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        feeds::shipments(self, since).await
    }

    async fn availability(&self, warehouse: &str, since: &Cursor) -> Result<Page<InventoryLevel>> {
        feeds::availability(self, warehouse, since).await
    }

    async fn document_statuses(&self, since: &Cursor) -> Result<Page<DocumentStatus>> {
        feeds::document_statuses(self, since).await
    }

    async fn new_orders(&self, since: &Cursor) -> Result<Page<LedgerOrder>> {
        feeds::new_orders(self, since).await
    }

    async fn link_storefront_order(
        &self,
        at: &LedgerRef,
        storefront_order: &OrderId,
    ) -> Result<()> {
        self.link_order(at, storefront_order).await
    }

    /// Taxes by `TaxID`, the cash accounts active AR payment methods allow, those payment
    /// methods and the ship vias (see [`catalog`]).
    async fn catalog(&self) -> Result<LedgerCatalog> {
        self.read_catalog().await
    }
}
