//! Sales documents (sales orders, invoices): found by `CustomerOrder` = import id before
//! every write and adopted after an unknown outcome; updated in place by replacing their
//! rows; gift certificates and store credit recorded as payments; ERP orders linked to the
//! storefront order they became.

use bc_core::{
    DocumentKind, Error, ErrorKind, ImportId, LedgerDocument, LedgerRef, OrderId, Result,
    SalesDocument,
};
use serde_json::Value;

use super::{maybe_written, AcumaticaLedger};
use crate::mapping::erp_order::link_to_storefront;
use crate::mapping::sales::{entity_of, sales_document, tender_payment, tenders};
use crate::wire::{dec, doc_ref, lit, rows, split_ref, text, v};
use crate::PLATFORM;

impl AcumaticaLedger {
    pub(crate) async fn document_row(
        &self,
        import_id: &ImportId,
    ) -> Result<Option<(&'static str, Value)>> {
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

    pub(crate) async fn find_document_by(
        &self,
        import_id: &ImportId,
    ) -> Result<Option<LedgerDocument>> {
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
                    .unwrap_or(self.config.base_currency),
                editable: matches!(status.as_str(), "On Hold" | "Balanced" | "Open")
                    && !(entity == "SalesInvoice" && status == "Open"),
                status: Some(status),
            }
        }))
    }

    pub(crate) async fn post_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        let entity = entity_of(doc.kind)?;
        let body = sales_document(doc, &self.customer_of(&doc.client).await, &self.config)
            .map_err(|e| e.context(format!("order {}", doc.order_id)))?;
        if let Some(found) = self.find_document_by(&doc.import_id).await? {
            return Ok(found.at);
        }
        let at = match self.client.put(entity, &body, "", true).await {
            Ok(row) => doc_ref(entity, &row),
            Err(e) if maybe_written(&e) || e.kind() == ErrorKind::Conflict => {
                match self.find_document_by(&doc.import_id).await? {
                    Some(found) => found.at,
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e.context(format!("order {}", doc.order_id))),
        };
        self.post_tenders(doc, &at).await?;
        Ok(at)
    }

    pub(crate) async fn update_document(
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
            let mut rows: Vec<Value> = rows(&current, coll)
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
            body["OrderNbr"] = v(nbr.clone());
        } else {
            body["ReferenceNbr"] = v(nbr.clone());
        }
        let row = self.client.put(entity, &body, "", false).await?;
        Ok(doc_ref(entity, &row))
    }

    /// Gift certificates and store credit redeemed: a payment each, from the liability
    /// account (`GIFTCARD` method), applied to a sales order at once; on an invoice it waits
    /// unapplied until the invoice is released. Found again by `ExternalRef` before writing.
    pub(crate) async fn post_tenders(&self, doc: &SalesDocument, at: &LedgerRef) -> Result<()> {
        for (key, amount, account) in tenders(doc) {
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
            let order =
                (doc.kind == DocumentKind::SalesOrder).then_some((ty.as_str(), nbr.as_str()));
            let body = tender_payment(doc, &key, amount, &account, order);
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

    pub(crate) async fn link_order(
        &self,
        at: &LedgerRef,
        storefront_order: &OrderId,
    ) -> Result<()> {
        let (ty, nbr) = split_ref(at)?;
        let body = link_to_storefront(&ty, &nbr, storefront_order.as_str());
        self.client
            .put("SalesOrder", &body, "", false)
            .await
            .map(|_| ())
    }
}
