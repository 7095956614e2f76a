//! A shipment processed in the ERP: on-hand down, committed stock released, COGS written,
//! the order `Shipped` or `Partially Shipped`.

use bc_core::money::round_dp;
use bc_core::{Decimal, ErrorKind, LedgerRef, Result, ShipmentLine};

use crate::db::orders::{item_lines, load_head};
use crate::db::{change_stock, next, number, Conn};
use crate::error::{db_err, err};
use crate::mapping::journal::{write_journal, Draft};
use crate::mapping::posting::set_status_row;
use crate::wire::{get, SalesOrderStatus};

/// Processes a shipment: decrements on-hand, releases committed, writes COGS.
pub(crate) async fn process_shipment(
    c: &mut Conn,
    at: &LedgerRef,
    tracking: Option<&str>,
    carrier: Option<&str>,
    lines: &[ShipmentLine],
) -> Result<LedgerRef> {
    let h = load_head(c, at).await?;
    if matches!(
        h.status,
        SalesOrderStatus::Cancelled | SalesOrderStatus::OnHold
    ) {
        return Err(err(
            ErrorKind::Invalid,
            format!("sales order {} is {}: it cannot ship", h.number, h.status),
        ));
    }
    let mut items = item_lines(c, h.id).await?;
    // (index in items, quantity)
    let mut plan: Vec<(usize, Decimal)> = Vec::new();
    if lines.is_empty() {
        for (i, l) in items.iter().enumerate() {
            if !l.outstanding().is_zero() {
                plan.push((i, l.outstanding()));
            }
        }
    } else {
        for sl in lines {
            if sl.quantity <= Decimal::ZERO {
                return Err(err(
                    ErrorKind::Invalid,
                    format!(
                        "sales order {}: shipped quantity {} must be positive",
                        h.number, sl.quantity
                    ),
                ));
            }
            let pending = |i: usize| {
                plan.iter()
                    .filter(|p| p.0 == i)
                    .map(|p| p.1)
                    .sum::<Decimal>()
            };
            let found = items.iter().enumerate().position(|(i, l)| {
                let matches = match (&sl.line_id, &sl.sku) {
                    (Some(id), _) => l.line_id.as_deref() == Some(id.as_str()),
                    (None, Some(sku)) => l.sku.as_deref() == Some(sku.as_str()),
                    (None, None) => false,
                };
                matches && l.outstanding() - pending(i) >= sl.quantity
            });
            let Some(i) = found else {
                return Err(err(
                    ErrorKind::Invalid,
                    format!(
                        "sales order {}: no line {} has {} left to ship",
                        h.number,
                        sl.line_id
                            .clone()
                            .or_else(|| sl.sku.as_ref().map(|s| s.to_string()))
                            .unwrap_or_else(|| "(no line id or SKU)".into()),
                        sl.quantity
                    ),
                ));
            };
            plan.push((i, sl.quantity));
        }
    }
    if plan.is_empty() {
        return Err(err(
            ErrorKind::Invalid,
            format!("sales order {} has nothing left to ship", h.number),
        ));
    }
    let n = next(c, "SH").await?;
    let number = number("SH", n);
    let row = sqlx::query(
        "INSERT INTO shipments(number, order_id, tracking, carrier, ship_via, shipped_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&number)
    .bind(h.id)
    .bind(tracking)
    .bind(carrier)
    .bind(&h.ship_via)
    .bind(crate::db::now())
    .fetch_one(&mut *c)
    .await
    .map_err(db_err("write shipment"))?;
    let sid: i64 = get(&row, "id")?;
    let mut cogs_lines = Vec::new();
    for (k, (i, q)) in plan.iter().enumerate() {
        let l = &mut items[*i];
        l.shipped += *q;
        if l.tracks {
            change_stock(c, l.product_id, &h.warehouse, -*q, -*q).await?;
            let cost = round_dp(l.unit_cost * *q, h.currency.minor_units());
            if !cost.is_zero() {
                cogs_lines.push((
                    l.cogs.clone(),
                    cost,
                    format!("COGS {}", l.sku.clone().unwrap_or_default()),
                ));
                cogs_lines.push((
                    l.inventory.clone(),
                    -cost,
                    format!("Inventory {}", l.sku.clone().unwrap_or_default()),
                ));
            }
        }
        sqlx::query("UPDATE sales_lines SET qty_shipped = ? WHERE order_id = ? AND line_no = ?")
            .bind(l.shipped.to_string())
            .bind(h.id)
            .bind(l.line_no)
            .execute(&mut *c)
            .await
            .map_err(db_err("update shipped quantity"))?;
        sqlx::query(
            "INSERT INTO shipment_lines(shipment_id, line_no, order_line, line_id, sku, quantity)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(sid)
        .bind(k as i64)
        .bind(l.line_no)
        .bind(&l.line_id)
        .bind(&l.sku)
        .bind(q.to_string())
        .execute(&mut *c)
        .await
        .map_err(db_err("write shipment line"))?;
    }
    let jid = write_journal(
        c,
        Draft {
            key: None,
            number: None,
            source: "shipment",
            source_id: Some(sid),
            date: chrono::Utc::now().date_naive(),
            currency: h.currency,
            memo: Some(format!("Shipment {number} of sales order {}", h.number)),
            lines: cogs_lines,
        },
    )
    .await?;
    if jid.is_some() {
        sqlx::query("UPDATE shipments SET journal_id = ? WHERE id = ?")
            .bind(jid)
            .bind(sid)
            .execute(&mut *c)
            .await
            .map_err(db_err("write shipment"))?;
    }
    sqlx::query("UPDATE sales_orders SET has_shipments = 1 WHERE id = ?")
        .bind(h.id)
        .execute(&mut *c)
        .await
        .map_err(db_err("write shipment"))?;
    if !h.status.is_posted() {
        let all = items.iter().all(|l| l.outstanding().is_zero());
        let st = if all {
            SalesOrderStatus::Shipped
        } else {
            SalesOrderStatus::PartiallyShipped
        };
        if st != h.status {
            set_status_row(c, h.id, st).await?;
        }
    }
    Ok(LedgerRef::new(sid.to_string()).with_number(number))
}
