//! [`AcumaticaLedger`]: the [`Ledger`] trait over [`AcumaticaClient`].
//!
//! Exactly-once: before every write the record is searched by the key it carries (documents:
//! `CustomerOrder` = import id; payments: `ExternalRef` = `<import id>/P<seq>`; credit memos:
//! `ExternalRef` = `<import id>/R<refund>`; journals: description `[key]`), and after a write
//! whose outcome is unknown it is searched again and adopted. Inserts are sent with
//! `If-None-Match: *` and never repeated blindly.
//!
//! The feeds (shipments, availability, document statuses, ERP-originated orders) are in
//! [`feeds`].

pub mod feeds;

use std::sync::Arc;

use async_trait::async_trait;
use bc_core::{
    Client, ClientKey, ClientRef, CreditMemo, DocumentKind, Error, ErrorKind, ImportId, ItemKey,
    ItemRef, JournalEntry, Ledger, LedgerCapabilities, LedgerDocument, LedgerRef, NewItem,
    ReceiptPosting, ReceiptState, RefundId, Result, SalesDocument, Sku, TaxModel,
};
use bc_core::{
    Currency, Cursor, DocumentStatus, InventoryLevel, LedgerOrder, LedgerShipment, OrderId, Page,
};
use serde_json::Value;

use crate::client::AcumaticaClient;
use crate::config::AcumaticaConfig;
use crate::mapping::documents::{credit_key, credit_memo, entity_of, sales_document};
use crate::mapping::records::{self, customer_id, receipt_key, DocTarget};
use crate::mapping::{dec, lit, text};
use crate::PLATFORM;

/// Acumatica as a bcsync ledger.
#[derive(Clone, Debug)]
pub struct AcumaticaLedger {
    pub(crate) client: AcumaticaClient,
    pub(crate) config: Arc<AcumaticaConfig>,
}

fn maybe_written(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::OutcomeUnknown | ErrorKind::Unavailable)
}

/// A document's reference: `SO/SO000123` or `Invoice/INV000045`.
pub(crate) fn doc_ref(entity: &str, row: &Value) -> LedgerRef {
    let (ty, nbr) = if entity == "SalesOrder" {
        (
            text(row, "OrderType").unwrap_or_default(),
            text(row, "OrderNbr").unwrap_or_default(),
        )
    } else {
        (
            text(row, "Type").unwrap_or_default(),
            text(row, "ReferenceNbr").unwrap_or_default(),
        )
    };
    LedgerRef::new(format!("{ty}/{nbr}")).with_number(nbr)
}

fn split_ref(at: &LedgerRef) -> Result<(String, String)> {
    at.id
        .split_once('/')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                format!("`{}` is not an Acumatica document reference", at.id),
            )
            .with_platform(PLATFORM)
        })
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

    async fn find_one(&self, entity: &str, filter: String, expand: &str) -> Result<Option<Value>> {
        let mut q = vec![("$filter", filter), ("$top", "2".to_string())];
        if !expand.is_empty() {
            q.push(("$expand", expand.to_string()));
        }
        Ok(self.client.list(entity, &q).await?.into_iter().next())
    }

    async fn document_row(&self, import_id: &ImportId) -> Result<Option<(&'static str, Value)>> {
        let id = import_id.to_string();
        for entity in ["SalesInvoice", "SalesOrder"] {
            let type_filter = if entity == "SalesInvoice" {
                " and Type eq 'Invoice'"
            } else {
                ""
            };
            if let Some(row) = self
                .find_one(
                    entity,
                    format!("CustomerOrder eq {}{type_filter}", lit(&id)),
                    "",
                )
                .await?
            {
                if crate::mapping::erp_order::from_storefront(&row) {
                    return Ok(Some((entity, row)));
                }
            }
        }
        Ok(None)
    }

    async fn release(&self, entity: &str, action: &str, keys: Value) -> Result<()> {
        self.client
            .action(entity, action, keys, serde_json::json!({}))
            .await
    }

    async fn ensure_invoice_released(&self, nbr: &str) -> Result<()> {
        let inv = self
            .client
            .get("SalesInvoice", &["Invoice", nbr], "")
            .await?
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("invoice {nbr} is not in Acumatica"),
                )
                .with_platform(PLATFORM)
            })?;
        if matches!(text(&inv, "Status").as_deref(), Some("Balanced")) {
            self.release(
                "SalesInvoice",
                "ReleaseSalesInvoice",
                serde_json::json!({"Type": {"value": "Invoice"}, "ReferenceNbr": {"value": nbr}}),
            )
            .await?;
        }
        Ok(())
    }

    /// Gift certificates and store credit redeemed: a payment each, from the liability
    /// account (`GIFTCARD` method), applied to a sales order at once; on an invoice it waits
    /// unapplied until the invoice is released. Found again by `ExternalRef` before writing.
    async fn post_tenders(&self, doc: &SalesDocument, at: &LedgerRef) -> Result<()> {
        for (key, amount, account) in crate::mapping::documents::tenders(doc) {
            if self
                .find_one("Payment", format!("ExternalRef eq {}", lit(&key)), "")
                .await?
                .is_some()
            {
                continue;
            }
            let account = account.ok_or_else(|| {
                Error::mapping(vec![bc_core::MappingIssue::new(
                    Some(&doc.order_id),
                    bc_core::IssueCode::MissingPostingTarget,
                    Some("posting.gift_card_liability_gl"),
                    "gift certificates need a liability GL account in Acumatica",
                )])
            })?;
            let (ty, nbr) = split_ref(at)?;
            let mut body = serde_json::json!({
                "Type": {"value": "Payment"}, "CustomerID": {"value": doc.client.id}, "PaymentMethod": {"value": "GIFTCARD"},
                "CashAccount": {"value": account}, "PaymentAmount": {"value": crate::mapping::num(amount)},
                "CurrencyID": {"value": doc.currency.code()}, "ExternalRef": {"value": key}, "PaymentRef": {"value": key},
                "Description": {"value": format!("Gift certificate / store credit redeemed on {}", doc.import_id)}, "Hold": {"value": false},
            });
            if doc.kind == DocumentKind::SalesOrder {
                body["OrdersToApply"] = serde_json::json!([{"OrderType": {"value": ty}, "OrderNbr": {"value": nbr}, "AppliedToOrder": {"value": crate::mapping::num(amount)}}]);
            }
            match self.client.put("Payment", &body, "", true).await {
                Ok(_) => {}
                Err(e) if maybe_written(&e) => {
                    if self
                        .find_one("Payment", format!("ExternalRef eq {}", lit(&key)), "")
                        .await?
                        .is_none()
                    {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn customer_of(&self, client: &LedgerRef) -> String {
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
        caps.home_currency = Currency::USD;
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
        let filter = match key {
            ClientKey::ImportId(id) => format!("AccountRef eq {}", lit(id)),
            ClientKey::Email(e) => format!("Email eq {}", lit(e)),
            ClientKey::DisplayName(n) => format!("CustomerName eq {}", lit(n)),
        };
        let found = self.find_one("Customer", filter, "").await?;
        Ok(found.map(|r| ClientRef {
            at: LedgerRef::new(text(&r, "CustomerID").unwrap_or_default()),
            display_name: text(&r, "CustomerName").unwrap_or_default(),
        }))
    }

    async fn create_client(&self, client: &Client) -> Result<ClientRef> {
        // The CustomerID is derived from the client's key, so a repeated PUT upserts the same
        // record: safe to repeat after a lost answer.
        let body = records::customer(client, &self.config.customer_class);
        let row = self.client.put("Customer", &body, "", false).await?;
        Ok(ClientRef {
            at: LedgerRef::new(text(&row, "CustomerID").unwrap_or_else(|| customer_id(client))),
            display_name: text(&row, "CustomerName").unwrap_or_else(|| client.display_name.clone()),
        })
    }

    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let mut found = None;
            for entity in ["StockItem", "NonStockItem"] {
                let filter = match key {
                    ItemKey::Sku(s) => format!("InventoryID eq {}", lit(s.as_str())),
                    ItemKey::Name(n) => format!("Description eq {}", lit(n)),
                };
                if let Some(r) = self.find_one(entity, filter, "").await? {
                    let id = text(&r, "InventoryID").unwrap_or_default();
                    found = Some(ItemRef {
                        at: LedgerRef::new(id.clone()),
                        name: text(&r, "Description").unwrap_or_default(),
                        sku: Some(Sku::new(id)),
                        tracks_inventory: entity == "StockItem",
                    });
                    break;
                }
            }
            out.push(found);
        }
        Ok(out)
    }

    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        let (entity, body) = records::item(item);
        let row = self.client.put(entity, &body, "", false).await?;
        let id = text(&row, "InventoryID").unwrap_or_else(|| item.sku.to_string());
        Ok(ItemRef {
            at: LedgerRef::new(id.clone()),
            name: item.name.clone(),
            sku: Some(Sku::new(id)),
            tracks_inventory: entity == "StockItem",
        })
    }

    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        Ok(self.document_row(import_id).await?.map(|(entity, row)| {
            let status = text(&row, "Status").unwrap_or_default();
            let (kind, total, currency) = if entity == "SalesOrder" {
                (
                    DocumentKind::SalesOrder,
                    dec(&row, "OrderTotal"),
                    text(&row, "CurrencyID"),
                )
            } else {
                (
                    DocumentKind::Invoice,
                    dec(&row, "Amount"),
                    text(&row, "Currency"),
                )
            };
            LedgerDocument {
                at: doc_ref(entity, &row),
                kind,
                import_id: import_id.clone(),
                total: total.unwrap_or_default(),
                currency: currency
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(Currency::USD),
                editable: matches!(status.as_str(), "On Hold" | "Balanced" | "Open")
                    && !(entity == "SalesInvoice" && status == "Open"),
                status: Some(status),
            }
        }))
    }

    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        let entity = entity_of(doc.kind)?;
        let body = sales_document(doc, &self.customer_of(&doc.client).await, &self.config)
            .map_err(|e| e.context(format!("order {}", doc.order_id)))?;
        if let Some(found) = self.find_document(&doc.import_id).await? {
            return Ok(found.at);
        }
        let at = match self.client.put(entity, &body, "", true).await {
            Ok(row) => doc_ref(entity, &row),
            Err(e) if maybe_written(&e) || e.kind() == ErrorKind::Conflict => {
                match self.find_document(&doc.import_id).await? {
                    Some(found) => found.at,
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e.context(format!("order {}", doc.order_id))),
        };
        self.post_tenders(doc, &at).await?;
        Ok(at)
    }

    async fn update_sales_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        let entity = entity_of(doc.kind)?;
        let (ty, nbr) = split_ref(at)?;
        let current = self
            .client
            .get(entity, &[&ty, &nbr], "Details,TaxDetails")
            .await?
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("{entity} {nbr} is no longer in Acumatica"),
                )
                .with_platform(PLATFORM)
            })?;
        let mut body = sales_document(doc, &self.customer_of(&doc.client).await, &self.config)?;
        // Replace the lines: delete every current row, insert the new ones.
        for coll in ["Details", "TaxDetails"] {
            let mut rows: Vec<Value> = crate::mapping::rows(&current, coll)
                .iter()
                .filter_map(|r| r.get("id").cloned())
                .map(|id| serde_json::json!({"id": id, "delete": true}))
                .collect();
            rows.extend(
                body.get(coll)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            body[coll] = Value::Array(rows);
        }
        if entity == "SalesOrder" {
            body["OrderNbr"] = crate::mapping::v(nbr.clone());
        } else {
            body["ReferenceNbr"] = crate::mapping::v(nbr.clone());
        }
        let row = self.client.put(entity, &body, "", false).await?;
        Ok(doc_ref(entity, &row))
    }

    async fn post_receipt(&self, receipt: &ReceiptPosting) -> Result<LedgerRef> {
        if let Some(found) = self.find_receipt(receipt).await? {
            return Ok(found);
        }
        let (ty, nbr) = split_ref(&receipt.document)?;
        let target = if ty == "Invoice" {
            // Acumatica applies payments to released invoices only.
            self.ensure_invoice_released(&nbr).await?;
            DocTarget::Invoice(nbr)
        } else {
            DocTarget::Order(ty, nbr)
        };
        let body = records::payment(receipt, &receipt.client.id, &target);
        let row = match self.client.put("Payment", &body, "", true).await {
            Ok(row) => row,
            Err(e) if maybe_written(&e) => match self.find_receipt(receipt).await? {
                Some(found) => return Ok(found),
                None => return Err(e),
            },
            Err(e) => return Err(e.context(format!("payment {}", receipt_key(receipt)))),
        };
        let nbr = text(&row, "ReferenceNbr").unwrap_or_default();
        if receipt.state == ReceiptState::Captured {
            self.release(
                "Payment",
                "ReleasePayment",
                serde_json::json!({"Type": {"value": "Payment"}, "ReferenceNbr": {"value": nbr}}),
            )
            .await?;
        }
        Ok(LedgerRef::new(format!("Payment/{nbr}")).with_number(nbr))
    }

    async fn find_receipt(&self, receipt: &ReceiptPosting) -> Result<Option<LedgerRef>> {
        let found = self
            .find_one(
                "Payment",
                format!("ExternalRef eq {}", lit(&receipt_key(receipt))),
                "",
            )
            .await?;
        Ok(found.map(|r| {
            let nbr = text(&r, "ReferenceNbr").unwrap_or_default();
            LedgerRef::new(format!("Payment/{nbr}")).with_number(nbr)
        }))
    }

    async fn post_credit_memo(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        let refund = RefundId::new(memo.refund_id.clone());
        if let Some(found) = self.find_credit_memo(&memo.import_id, &refund).await? {
            return Ok(found);
        }
        let invoice = match &memo.invoice {
            Some(at) => Some(split_ref(at)?.1),
            None => None,
        };
        let open = match &invoice {
            Some(nbr) => self
                .client
                .get("SalesInvoice", &["Invoice", nbr], "")
                .await?
                .is_some_and(|r| text(&r, "Status").as_deref() == Some("Open")),
            None => false,
        };
        let body = credit_memo(
            memo,
            &memo.client.id,
            invoice.as_deref(),
            open,
            &self.config,
        )?;
        let row = match self.client.put("SalesInvoice", &body, "", true).await {
            Ok(row) => row,
            Err(e) if maybe_written(&e) => {
                match self.find_credit_memo(&memo.import_id, &refund).await? {
                    Some(found) => return Ok(found),
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e.context(format!("refund {}", memo.refund_id))),
        };
        let nbr = text(&row, "ReferenceNbr").unwrap_or_default();
        self.release(
            "SalesInvoice",
            "ReleaseSalesInvoice",
            serde_json::json!({"Type": {"value": "Credit Memo"}, "ReferenceNbr": {"value": nbr}}),
        )
        .await?;
        Ok(LedgerRef::new(format!("Credit Memo/{nbr}")).with_number(nbr))
    }

    async fn find_credit_memo(
        &self,
        import_id: &ImportId,
        refund_id: &RefundId,
    ) -> Result<Option<LedgerRef>> {
        let key = credit_key(import_id, refund_id.as_str());
        let found = self
            .find_one(
                "SalesInvoice",
                format!("Type eq 'Credit Memo' and ExternalRef eq {}", lit(&key)),
                "",
            )
            .await?;
        Ok(found.map(|r| {
            let nbr = text(&r, "ReferenceNbr").unwrap_or_default();
            LedgerRef::new(format!("Credit Memo/{nbr}")).with_number(nbr)
        }))
    }

    async fn post_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        if !entry.is_balanced() {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "journal {} is out of balance: debits {} ≠ credits {}",
                    entry.key,
                    entry.debits(),
                    entry.credits()
                ),
            )
            .with_platform(PLATFORM));
        }
        if let Some(found) = self.find_journal(&entry.key).await? {
            return Ok(found);
        }
        let row = match self
            .client
            .put("JournalTransaction", &records::journal(entry), "", true)
            .await
        {
            Ok(row) => row,
            Err(e) if maybe_written(&e) => match self.find_journal(&entry.key).await? {
                Some(found) => return Ok(found),
                None => return Err(e),
            },
            Err(e) => return Err(e),
        };
        let nbr = text(&row, "BatchNbr").unwrap_or_default();
        self.release(
            "JournalTransaction",
            "ReleaseJournalTransaction",
            serde_json::json!({"Module": {"value": "GL"}, "BatchNbr": {"value": nbr}}),
        )
        .await?;
        Ok(LedgerRef::new(format!("GL/{nbr}")).with_number(nbr))
    }

    async fn find_journal(&self, key: &str) -> Result<Option<LedgerRef>> {
        let found = self
            .find_one(
                "JournalTransaction",
                format!("startswith(Description,{})", lit(&format!("[{key}]"))),
                "",
            )
            .await?;
        Ok(found.map(|r| {
            let nbr = text(&r, "BatchNbr").unwrap_or_default();
            LedgerRef::new(format!("GL/{nbr}")).with_number(nbr)
        }))
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
        let (ty, nbr) = split_ref(at)?;
        let body = serde_json::json!({"OrderType": {"value": ty}, "OrderNbr": {"value": nbr}, "ExternalRef": {"value": storefront_order.as_str()}});
        self.client
            .put("SalesOrder", &body, "", false)
            .await
            .map(|_| ())
    }
}
