//! What QBO tells bcsync back: shipments recorded on invoices, quantities on hand, invoice
//! statuses. Cursors are QBO's own `MetaData.LastUpdatedTime` (or a start position).

use bc_core::{
    Cursor, DocumentKind, DocumentStatus, Error, ErrorKind, ImportId, InventoryLevel, LedgerRef,
    LedgerShipment, Page, Result, Shipment, Sku,
};

use super::QboLedger;
use crate::mapping::{self, has_marker};
use crate::query::literal;
use crate::wire::SalesForm;

/// Whether QBO time `a` is later than `b` (both RFC 3339 with offsets; text order otherwise).
pub(crate) fn later(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) => x > y,
        _ => a > b,
    }
}

impl QboLedger {
    /// Invoices updated since the cursor that carry a tracking number (QBO keeps one shipment
    /// per invoice: `ShipDate`, `TrackingNum`, `ShipMethodRef`). The cursor is the last
    /// `MetaData.LastUpdatedTime` seen.
    pub(crate) async fn shipment_feed(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        let (forms, next) = self.changed_invoices(since).await?;
        let mut items = Vec::new();
        for f in forms {
            let (Some(id), Some(tracking)) = (f.id.clone(), f.tracking_num.clone()) else {
                continue;
            };
            if tracking.trim().is_empty() {
                continue;
            }
            let import_id = f
                .private_note
                .as_deref()
                .and_then(import_id_from_note)
                .and_then(|s| s.parse::<ImportId>().ok());
            let shipped_at = f
                .ship_date
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc());
            let mut document = LedgerRef::new(id.clone());
            if let Some(n) = &f.doc_number {
                document = document.with_number(n.clone());
            }
            items.push(LedgerShipment {
                at: LedgerRef::new(format!("{id}:{tracking}")),
                document,
                import_id,
                shipment: Shipment {
                    tracking_number: Some(tracking),
                    carrier: None,
                    ship_via: f
                        .ship_method_ref
                        .as_ref()
                        .map(|r| r.name.clone().unwrap_or_else(|| r.value.clone())),
                    comments: None,
                    lines: Vec::new(),
                    shipped_at,
                },
            });
        }
        Ok(Page::new(items, next))
    }

    /// Quantities on hand of every inventory item (QBO has one stock location: `warehouse` is
    /// not used). The cursor is a 1-based start position.
    pub(crate) async fn availability_feed(
        &self,
        _warehouse: &str,
        since: &Cursor,
    ) -> Result<Page<InventoryLevel>> {
        const PAGE: u64 = 500;
        let start: u64 = if since.is_start() {
            1
        } else {
            since.0.parse().map_err(|_| {
                Error::new(
                    ErrorKind::Invalid,
                    format!("`{}` is not a QBO availability cursor", since.0),
                )
            })?
        };
        let q = self
            .api
            .query(&format!(
                "SELECT * FROM Item WHERE Type = 'Inventory' ORDERBY Id STARTPOSITION {start} MAXRESULTS {PAGE}"
            ))
            .await?;
        let n = q.item.len() as u64;
        let items = q
            .item
            .into_iter()
            .filter_map(|i| {
                Some(InventoryLevel {
                    sku: Sku::new(i.sku.filter(|s| !s.trim().is_empty())?),
                    available: i.qty_on_hand.unwrap_or_default(),
                })
            })
            .collect();
        Ok(Page::new(
            items,
            (n == PAGE).then(|| Cursor((start + PAGE).to_string())),
        ))
    }

    /// Invoices updated since the cursor, with a status of `Open`, `Partially paid` or `Paid`.
    pub(crate) async fn status_feed(&self, since: &Cursor) -> Result<Page<DocumentStatus>> {
        let (forms, next) = self.changed_invoices(since).await?;
        let mut items = Vec::new();
        for f in forms {
            let Some(import_id) = f
                .private_note
                .as_deref()
                .and_then(import_id_from_note)
                .and_then(|s| s.parse::<ImportId>().ok())
            else {
                continue;
            };
            let changed_at = f
                .meta_data
                .as_ref()
                .and_then(|m| m.last_updated_time.as_deref())
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&chrono::Utc));
            let (Some(changed_at), Ok(doc)) = (
                changed_at,
                mapping::ledger_document(
                    &f,
                    DocumentKind::Invoice,
                    &import_id,
                    self.company.home_currency,
                ),
            ) else {
                continue;
            };
            items.push(DocumentStatus {
                at: doc.at,
                import_id: Some(import_id),
                status: doc.status.unwrap_or_default(),
                changed_at,
            });
        }
        Ok(Page::new(items, next))
    }

    async fn changed_invoices(&self, since: &Cursor) -> Result<(Vec<SalesForm>, Option<Cursor>)> {
        let mut q = String::from("SELECT * FROM Invoice");
        if !since.is_start() {
            q.push_str(&format!(
                " WHERE MetaData.LastUpdatedTime >= {}",
                literal(&since.0)
            ));
        }
        q.push_str(" ORDERBY MetaData.LastUpdatedTime MAXRESULTS 1000");
        let forms = self.api.query(&q).await?.invoice;
        let last = forms
            .iter()
            .filter_map(|f| f.meta_data.as_ref()?.last_updated_time.clone())
            .max();
        let next = match last {
            Some(t) => Some(Cursor(t)),
            None => Some(since.clone()),
        };
        Ok((forms, next))
    }
}

/// The import id in a note written by bcsync (`[bcsync:BC11001] …`), for sales documents.
fn import_id_from_note(note: &str) -> Option<&str> {
    let rest = note.strip_prefix("[bcsync:")?;
    let id = match rest.find("] ") {
        Some(end) => &rest[..end],
        None => rest.strip_suffix(']')?,
    };
    (!id.contains('#') && has_marker(Some(note), id)).then_some(id)
}
