//! [`bc_core::Ledger`] for the ERP: a thin impl over the mappings, one write transaction per
//! call (a batch: one transaction, each document in its own savepoint).
//!
//! - [`feeds`]: the change feeds the engine reads (shipments, availability, statuses);
//! - [`erp_orders`]: orders entered in the ERP, offered to the storefront and linked (E1);
//! - [`catalog`]: the tax areas, accounts, receipt types and ship vias settings name.

mod catalog;
mod erp_orders;
mod feeds;

use bc_core::{
    async_trait, Client, ClientKey, ClientRef, CreditMemo, Cursor, Decimal, DocumentKind,
    DocumentStatus, ErrorKind, ImportId, InventoryLevel, ItemKey, ItemRef, ItemType, JournalEntry,
    JournalKey, Ledger, LedgerCapabilities, LedgerCatalog, LedgerDocument, LedgerOrder, LedgerRef,
    LedgerShipment, NewItem, OrderId, Page, Receipt, RefundId, Result, SalesDocument, TaxModel,
};

use crate::db::orders::find_by_import_id;
use crate::db::Erp;
use crate::erp::NewProduct;
use crate::error::{db_err, err};
use crate::mapping::{client, credit, item, journal, posting, receipt, sales, Cache};
use crate::wire::dec;
use crate::PLATFORM;

#[async_trait]
impl Ledger for Erp {
    fn capabilities(&self) -> LedgerCapabilities {
        let mut caps = LedgerCapabilities::new(PLATFORM, self.options.home_currency);
        caps.document_kinds = vec![
            DocumentKind::SalesOrder,
            DocumentKind::Invoice,
            DocumentKind::SalesReceipt,
        ];
        caps.batch_size = 500;
        caps.idempotency_keys = false;
        caps.max_doc_number_len = Some(30);
        caps.max_client_name_len = Some(client::MAX_NAME);
        caps.currencies = self.options.currencies.clone();
        caps.tax_model = TaxModel::Document;
        caps.precision_override = None;
        caps.create_items = true;
        caps.credit_memos = true;
        caps.journals = true;
        caps.shipments = true;
        caps.availability = true;
        caps.document_statuses = true;
        caps.set_document_status = true;
        caps.new_orders = true;
        caps.find_receipts = true;
        caps
    }

    async fn find_client(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        let mut c = self.read().await?;
        client::find_client(&mut c, key).await
    }

    async fn create_client(&self, client: &Client) -> Result<ClientRef> {
        let mut w = self.write().await?;
        let r = client::create_client(w.conn(), client).await?;
        w.commit().await?;
        Ok(r)
    }

    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        let mut c = self.read().await?;
        item::find_items(&mut c, keys).await
    }

    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        let mut w = self.write().await?;
        let class = item::class_for(w.conn(), item).await?;
        let r = item::insert_product(
            w.conn(),
            &NewProduct {
                sku: item.sku.to_string(),
                name: item.name.clone(),
                product_class: Some(class.clone()),
                tracks_inventory: item.item_type == ItemType::Inventory,
                unit_price: item.unit_price.unwrap_or(Decimal::ZERO),
                unit_cost: Decimal::ZERO,
            },
            &class,
        )
        .await?;
        w.commit().await?;
        Ok(r)
    }

    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        let mut c = self.read().await?;
        find_by_import_id(&mut c, &import_id.to_string())
            .await?
            .map(|h| h.document())
            .transpose()
    }

    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let r = sales::insert_document(w.conn(), &self.options, &mut Cache::default(), doc).await?;
        w.commit().await?;
        Ok(r)
    }

    /// One transaction for the whole batch; each document in its own savepoint, so that one
    /// refused document does not undo the others.
    async fn post_sales_documents(&self, docs: &[SalesDocument]) -> Vec<Result<LedgerRef>> {
        let mut w = match self.write().await {
            Ok(w) => w,
            Err(e) => return unavailable_for_each(docs.len(), &e),
        };
        let mut out = Vec::with_capacity(docs.len());
        let mut cache = Cache::default();
        for doc in docs {
            let c = w.conn();
            if let Err(e) = sqlx::query("SAVEPOINT doc").execute(&mut *c).await {
                out.push(Err(db_err("savepoint")(e)));
                continue;
            }
            let r = sales::insert_document(c, &self.options, &mut cache, doc).await;
            if r.is_err() {
                cache.clear();
                if let Err(e) = sqlx::query("ROLLBACK TO doc").execute(&mut *c).await {
                    out.push(Err(db_err("savepoint")(e)));
                    continue;
                }
            }
            if let Err(e) = sqlx::query("RELEASE doc").execute(&mut *c).await {
                out.push(Err(db_err("savepoint")(e)));
                continue;
            }
            out.push(r);
        }
        if let Err(e) = w.commit().await {
            let msg = e.to_string();
            return docs
                .iter()
                .map(|_| {
                    Err(err(
                        ErrorKind::OutcomeUnknown,
                        format!("the batch could not be committed: {msg}"),
                    ))
                })
                .collect();
        }
        out
    }

    async fn find_documents(&self, ids: &[ImportId]) -> Vec<Result<Option<LedgerDocument>>> {
        let mut c = match self.read().await {
            Ok(c) => c,
            Err(e) => return unavailable_for_each(ids.len(), &e),
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(
                find_by_import_id(&mut c, &id.to_string())
                    .await
                    .and_then(|h| h.map(|h| h.document()).transpose()),
            );
        }
        out
    }

    async fn update_sales_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let r =
            sales::update_document(w.conn(), &self.options, &mut Cache::default(), at, doc).await?;
        w.commit().await?;
        Ok(r)
    }

    async fn post_receipt(&self, receipt: &Receipt) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let r = receipt::post_receipt(w.conn(), &self.options, receipt).await?;
        w.commit().await?;
        Ok(r)
    }

    async fn find_receipt(&self, receipt: &Receipt) -> Result<Option<LedgerRef>> {
        let mut c = self.read().await?;
        receipt::find_receipt(&mut c, receipt).await
    }

    async fn post_credit_memo(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let r = credit::post_credit_memo(w.conn(), &self.options, memo).await?;
        w.commit().await?;
        Ok(r)
    }

    async fn post_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        self.post_journal_entry(entry).await
    }

    async fn find_credit_memo(
        &self,
        import_id: &ImportId,
        refund_id: &RefundId,
    ) -> Result<Option<LedgerRef>> {
        let mut c = self.read().await?;
        credit::find_credit_memo(&mut c, &import_id.to_string(), refund_id.as_str()).await
    }

    async fn find_journal(&self, key: &JournalKey) -> Result<Option<LedgerRef>> {
        let mut c = self.read().await?;
        journal::find_journal(&mut c, key.as_str()).await
    }

    async fn shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        feeds::shipments(self, since).await
    }

    /// Available = on hand − committed, never below zero, for tracked products whose stock
    /// changed in `warehouse` since the cursor.
    async fn availability(&self, warehouse: &str, since: &Cursor) -> Result<Page<InventoryLevel>> {
        feeds::availability(self, warehouse, since).await
    }

    /// Status changes made after import (the status an order is imported with is not a
    /// change).
    async fn document_statuses(&self, since: &Cursor) -> Result<Page<DocumentStatus>> {
        feeds::document_statuses(self, since).await
    }

    /// Refuses `Posted`/`Completed` (posting happens only in the ERP, T2) and the shipped
    /// statuses (they follow from shipments).
    async fn set_document_status(&self, at: &LedgerRef, status: &str) -> Result<()> {
        let mut w = self.write().await?;
        posting::set_status(w.conn(), at, status, false).await?;
        w.commit().await
    }

    /// Orders entered in the ERP, not yet linked to a storefront order, changed since the
    /// cursor (a payment that clears the balance brings an order back).
    async fn new_orders(&self, since: &Cursor) -> Result<Page<LedgerOrder>> {
        erp_orders::new_orders(self, since).await
    }

    async fn link_storefront_order(
        &self,
        at: &LedgerRef,
        storefront_order: &OrderId,
    ) -> Result<()> {
        erp_orders::link_storefront_order(self, at, storefront_order).await
    }

    /// Tax areas (no rate: the ERP keeps none), the chart of accounts, receipt types and ship
    /// vias, each by the code the settings write (see `ledger/catalog.rs`).
    async fn catalog(&self) -> Result<LedgerCatalog> {
        catalog::catalog(self).await
    }

    async fn documents_total(&self, import_ids: &[ImportId]) -> Result<Decimal> {
        let mut c = self.read().await?;
        let mut total = Decimal::ZERO;
        for id in import_ids {
            let row = sqlx::query("SELECT total FROM sales_orders WHERE import_id = ?")
                .bind(id.to_string())
                .fetch_optional(&mut *c)
                .await
                .map_err(db_err("total documents"))?;
            if let Some(r) = row {
                total += dec(&r, "total")?;
            }
        }
        Ok(total)
    }
}

/// The same temporary "database unavailable" error for each of `n` batch items.
fn unavailable_for_each<T>(n: usize, e: &bc_core::Error) -> Vec<Result<T>> {
    let msg = e.to_string();
    (0..n)
        .map(|_| Err(err(ErrorKind::Unavailable, msg.clone()).with_temporary(true)))
        .collect()
}
