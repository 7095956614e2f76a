//! Money: payments (applied to a released invoice or to a sales order), credit memos
//! (released, applied to their invoice), GL journal transactions (balanced, released). Each
//! is found by its key before it is written and after an unknown outcome.

use bc_core::{
    CreditMemo, Error, ErrorKind, ImportId, JournalEntry, LedgerRef, Receipt, ReceiptState,
    RefundId, Result,
};

use super::{maybe_written, AcumaticaLedger};
use crate::mapping::credit::{credit_key, credit_memo};
use crate::mapping::journal::journal;
use crate::mapping::receipt::{payment, receipt_key, DocTarget};
use crate::wire::{lit, rows, split_ref, text};
use crate::PLATFORM;

impl AcumaticaLedger {
    pub(crate) async fn ensure_invoice_released(&self, nbr: &str) -> Result<()> {
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

    pub(crate) async fn post_payment(&self, receipt: &Receipt) -> Result<LedgerRef> {
        if let Some(found) = self.find_payment(receipt).await? {
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
        let body = payment(receipt, &receipt.client.id, &target);
        let row = match self.client.put("Payment", &body, "", true).await {
            Ok(row) => row,
            Err(e) if maybe_written(&e) => match self.find_payment(receipt).await? {
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

    pub(crate) async fn find_payment(&self, receipt: &Receipt) -> Result<Option<LedgerRef>> {
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

    pub(crate) async fn post_credit(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        let refund = RefundId::new(memo.refund_id.clone());
        if let Some(found) = self.find_credit(&memo.import_id, &refund).await? {
            return Ok(found);
        }
        // A credit memo is applied to an invoice (`OrigInvNbr`, `ApplicationsCreditMemo`),
        // never to a sales order: a posted sales order's credit memo waits for the invoice
        // released for that order.
        let (invoice, open) = match &memo.invoice {
            Some(at) => {
                let (ty, nbr) = split_ref(at)?;
                if ty == "Invoice" {
                    let open = self
                        .client
                        .get("SalesInvoice", &["Invoice", &nbr], "")
                        .await?
                        .is_some_and(|r| text(&r, "Status").as_deref() == Some("Open"));
                    (Some(nbr), open)
                } else {
                    let (inv, status) = self.released_invoice_of(memo, &ty, &nbr).await?;
                    (Some(inv), status == "Open")
                }
            }
            None => (None, false),
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
                match self.find_credit(&memo.import_id, &refund).await? {
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

    /// The invoice released for sales order `ty`/`nbr` (its number and status): read from
    /// the order's Shipments tab (`InvoiceNbr`), else from the invoices carrying the order's
    /// `CustomerOrder` whose lines name the order (`OrderType`/`OrderNbr`). No invoice, or one
    /// not released yet: a temporary error, so the credit memo is tried again later.
    pub(crate) async fn released_invoice_of(
        &self,
        memo: &CreditMemo,
        ty: &str,
        nbr: &str,
    ) -> Result<(String, String)> {
        let order = self
            .client
            .get("SalesOrder", &[ty, nbr], "Shipments")
            .await?
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "sales order {ty} {nbr} of order {} is no longer in Acumatica: its credit memo cannot be applied",
                        memo.import_id.order()
                    ),
                )
                .with_platform(PLATFORM)
            })?;
        let mut candidates: Vec<String> = rows(&order, "Shipments")
            .iter()
            .filter(|s| text(s, "InvoiceType").is_none_or(|t| t == "Invoice"))
            .filter_map(|s| text(s, "InvoiceNbr"))
            .collect();
        if candidates.is_empty() {
            let listed = self
                .client
                .list(
                    "SalesInvoice",
                    &[
                        (
                            "$filter",
                            format!(
                                "Type eq 'Invoice' and CustomerOrder eq {}",
                                lit(&memo.import_id.to_string())
                            ),
                        ),
                        ("$expand", "Details".to_string()),
                    ],
                )
                .await?;
            candidates = listed
                .iter()
                .filter(|inv| {
                    rows(inv, "Details").iter().any(|l| {
                        text(l, "OrderNbr").is_some_and(|n| n == nbr)
                            && text(l, "OrderType").is_none_or(|t| t == ty)
                    })
                })
                .filter_map(|inv| text(inv, "ReferenceNbr"))
                .collect();
        }
        let mut unreleased = None;
        for inv in candidates {
            let Some(row) = self
                .client
                .get("SalesInvoice", &["Invoice", &inv], "")
                .await?
            else {
                continue;
            };
            match text(&row, "Status").as_deref() {
                Some(status @ ("Open" | "Closed")) => return Ok((inv, status.to_string())),
                _ => unreleased = Some(inv),
            }
        }
        let order_id = memo.import_id.order();
        let message = match unreleased {
            Some(inv) => format!(
                "order {order_id} (sales order {ty} {nbr}) has invoice {inv} in Acumatica, not released yet; the credit memo of refund {} waits for its release",
                memo.refund_id
            ),
            None => format!(
                "order {order_id} (sales order {ty} {nbr}) has no invoice yet in Acumatica; the credit memo of refund {} waits for it",
                memo.refund_id
            ),
        };
        Err(Error::new(ErrorKind::NotFound, message)
            .with_temporary(true)
            .with_platform(PLATFORM)
            .with_operation(format!("credit memo of refund {}", memo.refund_id)))
    }

    pub(crate) async fn find_credit(
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

    pub(crate) async fn post_gl_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
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
        if let Some(found) = self.find_gl_journal(&entry.key).await? {
            return Ok(found);
        }
        let row = match self
            .client
            .put("JournalTransaction", &journal(entry), "", true)
            .await
        {
            Ok(row) => row,
            Err(e) if maybe_written(&e) => match self.find_gl_journal(&entry.key).await? {
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

    pub(crate) async fn find_gl_journal(&self, key: &str) -> Result<Option<LedgerRef>> {
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
}
