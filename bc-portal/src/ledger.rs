//! The ledger side: open invoices imported from the ERP (B3), and receipts posted exactly once
//! from the outbox (B5).
//!
//! [`OpenInvoices`] is the small trait a ledger adapter implements; [`ErpOpenInvoices`] is the
//! one over the embedded ERP (`bc-connector-acctvantage`), whose sales orders carry the
//! storefront import id. Documents entered in the ERP by hand have no import id and no client
//! the portal can see (the ERP's `SalesOrderSummary` has no client), so they are not imported.
//!
//! [`post_receipts`] is the function the engine calls (or `POST /payments/post-receipts`): each
//! outbox row (payment, invoice) becomes one `Receipt` whose key is (import id,
//! `RECEIPT_SEQUENCE_BASE` + outbox id), so a retry after a lost response names the same receipt
//! and the ledger (the ERP: `receipts(order_id, sequence)`) answers with the one recorded.

use std::sync::Arc;

use async_trait::async_trait;
use bc_connector_acctvantage::{Erp, SalesOrderStatus};
use bc_core::{
    ClientKey, Currency, Error, ErrorKind, ImportId, Ledger, LedgerRef, OrderId, Receipt,
    ReceiptState, Result, SourceCode,
};
use rust_decimal::Decimal;

use crate::db::{col, db_err, dec};
use crate::Portal;

/// Receipt sequences of portal payments start here, above the storefront's own payments.
pub const RECEIPT_SEQUENCE_BASE: u32 = 100_000;

/// An open invoice in the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerInvoice {
    /// The ledger's reference (`id`).
    pub ledger_ref: String,
    /// The document number.
    pub number: String,
    /// The import id it carries.
    pub import_id: Option<String>,
    /// The storefront order of the import id.
    pub order_id: Option<String>,
    /// Currency.
    pub currency: String,
    /// What remains to be paid.
    pub balance_due: Decimal,
}

/// A ledger that lists its open invoices.
#[async_trait]
pub trait OpenInvoices: Send + Sync {
    /// Invoices with a balance due.
    async fn open_invoices(&self) -> Result<Vec<LedgerInvoice>>;
}

/// Open invoices of the embedded ERP.
#[derive(Clone, Debug)]
pub struct ErpOpenInvoices {
    erp: Arc<Erp>,
    source: SourceCode,
}

impl ErpOpenInvoices {
    /// Over `erp`, for documents of the import source `source`.
    pub fn new(erp: Arc<Erp>, source: SourceCode) -> Self {
        ErpOpenInvoices { erp, source }
    }
}

#[async_trait]
impl OpenInvoices for ErpOpenInvoices {
    async fn open_invoices(&self) -> Result<Vec<LedgerInvoice>> {
        let docs = self.erp.sales_orders(Some(&self.source)).await?;
        Ok(docs
            .into_iter()
            .filter(|d| d.status != SalesOrderStatus::Cancelled && d.balance_due > Decimal::ZERO)
            .map(|d| LedgerInvoice {
                ledger_ref: d.at.id.clone(),
                number: d.at.number.clone().unwrap_or_else(|| d.at.id.clone()),
                order_id: d.import_id.as_ref().map(|i| i.order().to_string()),
                import_id: d.import_id.as_ref().map(|i| i.to_string()),
                currency: d.currency.code().to_string(),
                balance_due: d.balance_due,
            })
            .collect())
    }
}

/// What one run of [`post_receipts`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiptRun {
    /// Receipts posted (or found already posted).
    pub posted: usize,
    /// Rows waiting for their document to reach the ledger.
    pub waiting: usize,
    /// Rows that failed (kept, with the reason, retried next run).
    pub failed: usize,
}

/// Posts pending outbox rows to the ledger as receipts applied to the invoices' documents.
/// Safe to run concurrently with itself and after a crash: the receipt key is stable.
pub async fn post_receipts(portal: &Portal, ledger: &dyn Ledger) -> Result<ReceiptRun> {
    let rows = sqlx::query(
        "SELECT o.id, o.amount, o.payment_id, i.import_id, i.ledger_ref, i.currency, i.number,
                p.method, p.reference, p.number AS payment_number, p.created_at, c.external_id, c.name
         FROM receipt_outbox o JOIN invoices i ON i.id = o.invoice_id
         JOIN payments p ON p.id = o.payment_id JOIN companies c ON c.id = p.company_id
         WHERE o.state IN ('pending', 'waiting', 'failed') ORDER BY o.id",
    )
    .fetch_all(&portal.db().pool)
    .await
    .map_err(db_err("read outbox"))?;
    let mut run = ReceiptRun::default();
    for r in &rows {
        let id: i64 = col(r, "id")?;
        let outcome = post_one(portal, ledger, r).await;
        let (state, ledger_ref, error) = match outcome {
            Ok(Some(at)) => {
                run.posted += 1;
                ("posted", Some(at.id), None)
            }
            Ok(None) => {
                run.waiting += 1;
                (
                    "waiting",
                    None,
                    Some("the invoice's document is not in the ledger yet".to_string()),
                )
            }
            Err(e) => {
                run.failed += 1;
                ("failed", None, Some(e.to_string()))
            }
        };
        let _w = portal.db().writer().await;
        sqlx::query(
            "UPDATE receipt_outbox SET state = ?, ledger_ref = ?, last_error = ?, attempts = attempts + 1
             WHERE id = ? AND state <> 'posted'",
        )
        .bind(state)
        .bind(ledger_ref)
        .bind(error)
        .bind(id)
        .execute(&portal.db().pool)
        .await
        .map_err(db_err("update outbox"))?;
    }
    Ok(run)
}

async fn post_one(
    portal: &Portal,
    ledger: &dyn Ledger,
    r: &sqlx::sqlite::SqliteRow,
) -> Result<Option<LedgerRef>> {
    let outbox_id: i64 = col(r, "id")?;
    let import: Option<String> = col(r, "import_id")?;
    let Some(import) = import else {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("invoice {} has no import id", col::<String>(r, "number")?),
        ));
    };
    let import_id: ImportId = import.parse().or_else(|_| {
        let source = SourceCode::new(&portal.config().import_source_code)?;
        let order = import
            .strip_prefix(source.as_str())
            .unwrap_or(&import)
            .to_string();
        ImportId::new(source, OrderId::new(order))
    })?;
    let Some(doc) = ledger.find_document(&import_id).await? else {
        return Ok(None);
    };
    let method: String = col(r, "method")?;
    let cfg = portal.config();
    let receipt_type = if method == "card" {
        cfg.card_receipt_type.clone()
    } else {
        cfg.offline_receipt_type.clone()
    };
    let external: String = col(r, "external_id")?;
    let client = match ledger
        .find_client(&ClientKey::ImportId(
            external.trim_start_matches("bc:").to_string(),
        ))
        .await?
    {
        Some(c) => c.at,
        None => match ledger
            .find_client(&ClientKey::DisplayName(col::<String>(r, "name")?))
            .await?
        {
            Some(c) => c.at,
            // The document's own client is what the receipt applies to in ledgers that
            // need no client on a receipt (the ERP); others refuse and the row is retried.
            None => doc.at.clone(),
        },
    };
    let created: String = col(r, "created_at")?;
    let date = chrono::DateTime::parse_from_rfc3339(&created)
        .map(|d| d.date_naive())
        .unwrap_or_else(|_| chrono::Utc::now().date_naive());
    let sequence = RECEIPT_SEQUENCE_BASE
        + u32::try_from(outbox_id)
            .map_err(|_| Error::new(ErrorKind::Invalid, "outbox id overflow"))?;
    let receipt = Receipt {
        import_id,
        sequence,
        document: doc.at.clone(),
        client,
        receipt_type,
        deposit_account: cfg.deposit_account.clone(),
        amount: dec(r, "amount")?,
        currency: Currency::new(&col::<String>(r, "currency")?)?,
        state: ReceiptState::Captured,
        date,
        reference: Some(format!(
            "portal {} {}",
            col::<String>(r, "payment_number")?,
            col::<String>(r, "reference")?
        )),
    };
    // A crash between the ledger's answer and the outbox update leaves the row pending with
    // the receipt already posted: find it before posting again (ledgers without idempotency
    // keys would otherwise record it twice).
    if ledger.capabilities().find_receipts {
        if let Some(at) = ledger.find_receipt(&receipt).await? {
            return Ok(Some(at));
        }
    }
    ledger.post_receipt(&receipt).await.map(Some)
}

impl Portal {
    /// Outbox rows: (payment number, invoice number, amount, state, ledger ref, last error).
    pub async fn outbox(
        &self,
    ) -> Result<
        Vec<(
            String,
            String,
            Decimal,
            String,
            Option<String>,
            Option<String>,
        )>,
    > {
        let rows = sqlx::query(
            "SELECT p.number AS pn, i.number AS inum, o.amount, o.state, o.ledger_ref, o.last_error
             FROM receipt_outbox o JOIN payments p ON p.id = o.payment_id JOIN invoices i ON i.id = o.invoice_id
             ORDER BY o.id",
        )
        .fetch_all(&self.db().pool)
        .await
        .map_err(db_err("read outbox"))?;
        rows.iter()
            .map(|r| {
                Ok((
                    col(r, "pn")?,
                    col(r, "inum")?,
                    dec(r, "amount")?,
                    col(r, "state")?,
                    col(r, "ledger_ref")?,
                    col(r, "last_error")?,
                ))
            })
            .collect()
    }
}
