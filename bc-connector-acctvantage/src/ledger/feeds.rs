//! The change feeds the engine reads: shipments, availability per warehouse, status
//! changes. Cursors are sequence numbers; a page's `next` is the position after its last
//! item while items come, `None` when there is nothing new.

use bc_core::{
    Cursor, Decimal, DocumentStatus, InventoryLevel, LedgerRef, LedgerShipment, Page, Result,
    Shipment, ShipmentLine, Sku,
};

use crate::db::{cursor, Erp, PAGE_SIZE};
use crate::error::db_err;
use crate::mapping::accounts::ensure_warehouse;
use crate::wire::{dec, get, head, row_import_id, HEAD_COLS};

/// A page of a change feed: `next` is the position after the last item while items come,
/// `None` once there is nothing new (the caller keeps the last `next` it saw).
pub(super) fn feed<T>(items: Vec<T>, last: Option<i64>) -> Page<T> {
    Page::new(items, last.map(|s| Cursor(s.to_string())))
}

pub(super) fn parse_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// The body of [`bc_core::Ledger::shipments`].
pub(super) async fn shipments(erp: &Erp, since: &Cursor) -> Result<Page<LedgerShipment>> {
    let from = cursor(since)?;
    let mut c = erp.read().await?;
    let rows = sqlx::query(
        "SELECT s.id, s.number, s.tracking, s.carrier, s.ship_via, s.comments, s.shipped_at,
                o.id AS order_id, o.number AS order_number, o.version, o.import_id
         FROM shipments s JOIN sales_orders o ON o.id = s.order_id
         WHERE s.id > ? ORDER BY s.id LIMIT ?",
    )
    .bind(from)
    .bind(PAGE_SIZE)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err("list shipments"))?;
    let mut out = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in &rows {
        let id: i64 = get(r, "id")?;
        last = Some(id);
        let lines = sqlx::query(
            "SELECT line_id, sku, quantity FROM shipment_lines WHERE shipment_id = ? ORDER BY line_no",
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("list shipment lines"))?;
        let order_id: i64 = get(r, "order_id")?;
        let version: i64 = get(r, "version")?;
        out.push(LedgerShipment {
            at: LedgerRef::new(id.to_string()).with_number(get::<String>(r, "number")?),
            document: LedgerRef::new(order_id.to_string())
                .with_number(get::<String>(r, "order_number")?)
                .with_version(version.to_string()),
            import_id: row_import_id(r),
            shipment: Shipment {
                tracking_number: get(r, "tracking")?,
                carrier: get(r, "carrier")?,
                ship_via: get(r, "ship_via")?,
                comments: get(r, "comments")?,
                lines: lines
                    .iter()
                    .map(|l| {
                        Ok(ShipmentLine {
                            line_id: get(l, "line_id")?,
                            sku: get::<Option<String>>(l, "sku")?.map(Sku::new),
                            quantity: dec(l, "quantity")?,
                        })
                    })
                    .collect::<Result<_>>()?,
                shipped_at: parse_date(&get::<String>(r, "shipped_at")?),
            },
        });
    }
    Ok(feed(out, last))
}

/// The body of [`bc_core::Ledger::availability`].
pub(super) async fn availability(
    erp: &Erp,
    warehouse: &str,
    since: &Cursor,
) -> Result<Page<InventoryLevel>> {
    let from = cursor(since)?;
    let mut c = erp.read().await?;
    ensure_warehouse(&mut c, warehouse).await?;
    let rows = sqlx::query(
        "SELECT s.seq, p.sku, s.on_hand, s.committed FROM stock s JOIN products p ON p.id = s.product_id
         WHERE s.warehouse = ? AND s.seq > ? AND p.tracks_inventory = 1 ORDER BY s.seq LIMIT ?",
    )
    .bind(warehouse)
    .bind(from)
    .bind(PAGE_SIZE)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err("list availability"))?;
    let mut out = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in &rows {
        last = Some(get::<i64>(r, "seq")?);
        out.push(InventoryLevel {
            sku: Sku::new(get::<String>(r, "sku")?),
            available: (dec(r, "on_hand")? - dec(r, "committed")?).max(Decimal::ZERO),
        });
    }
    Ok(feed(out, last))
}

/// The body of [`bc_core::Ledger::document_statuses`].
pub(super) async fn document_statuses(erp: &Erp, since: &Cursor) -> Result<Page<DocumentStatus>> {
    let from = cursor(since)?;
    let mut c = erp.read().await?;
    let rows = sqlx::query(&format!(
        "SELECT {HEAD_COLS}, status_seq, status_changed_at FROM sales_orders
         WHERE status_seq > ? ORDER BY status_seq LIMIT ?"
    ))
    .bind(from)
    .bind(PAGE_SIZE)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err("list status changes"))?;
    let mut out = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in &rows {
        last = Some(get::<i64>(r, "status_seq")?);
        let h = head(r)?;
        out.push(DocumentStatus {
            at: h.at(),
            import_id: h.import_id(),
            status: h.status.to_string(),
            changed_at: parse_date(&get::<String>(r, "status_changed_at")?)
                .unwrap_or_else(chrono::Utc::now),
        });
    }
    Ok(feed(out, last))
}
