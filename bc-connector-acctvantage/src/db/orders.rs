//! Reading stored sales orders: the header by id or by import id, the item lines with what
//! is still to ship, the captured receipts.

use bc_core::{Decimal, ErrorKind, LedgerRef, Result};

use crate::db::{id_of, Conn};
use crate::error::{db_err, err};
use crate::wire::{dec, get, head, Head, StoredItem, HEAD_COLS};

pub(crate) async fn load_head(c: &mut Conn, at: &LedgerRef) -> Result<Head> {
    let id = id_of("sales order", &at.id)?;
    let row = sqlx::query(&format!(
        "SELECT {HEAD_COLS} FROM sales_orders WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find sales order"))?
    .ok_or_else(|| {
        err(
            ErrorKind::NotFound,
            format!("sales order {at} does not exist"),
        )
    })?;
    head(&row)
}

pub(crate) async fn find_by_import_id(c: &mut Conn, import_id: &str) -> Result<Option<Head>> {
    let row = sqlx::query(&format!(
        "SELECT {HEAD_COLS} FROM sales_orders WHERE import_id = ?"
    ))
    .bind(import_id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find sales order"))?;
    row.as_ref().map(head).transpose()
}

pub(crate) async fn item_lines(c: &mut Conn, order_id: i64) -> Result<Vec<StoredItem>> {
    let rows = sqlx::query(
        "SELECT l.line_no, l.line_id, l.sku, l.product_id, l.quantity, l.qty_shipped, l.qty_released,
                p.tracks_inventory, p.unit_cost, k.cogs_account, k.inventory_account
         FROM sales_lines l JOIN products p ON p.id = l.product_id
         JOIN product_classes k ON k.code = p.product_class
         WHERE l.order_id = ? AND l.kind = 'item' ORDER BY l.line_no",
    )
    .bind(order_id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err("read sales lines"))?;
    rows.iter()
        .map(|r| {
            Ok(StoredItem {
                line_no: get(r, "line_no")?,
                line_id: get(r, "line_id")?,
                sku: get(r, "sku")?,
                product_id: get(r, "product_id")?,
                tracks: get::<i64>(r, "tracks_inventory")? != 0,
                cogs: get(r, "cogs_account")?,
                inventory: get(r, "inventory_account")?,
                unit_cost: dec(r, "unit_cost")?,
                quantity: dec(r, "quantity")?,
                shipped: dec(r, "qty_shipped")?,
                released: dec(r, "qty_released")?,
            })
        })
        .collect()
}

/// Σ captured receipts of an order.
pub(crate) async fn captured_total(c: &mut Conn, order_id: i64) -> Result<Decimal> {
    let rows = sqlx::query("SELECT amount FROM receipts WHERE order_id = ? AND state = 'captured'")
        .bind(order_id)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("read receipts"))?;
    rows.iter().map(|r| dec(r, "amount")).sum()
}
