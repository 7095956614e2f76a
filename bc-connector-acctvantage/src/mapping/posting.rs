//! The status workflow of a sales order, and posting it to the GL — only ever from inside
//! the ERP (T2).

use std::str::FromStr;

use bc_core::{Decimal, ErrorKind, LedgerRef, Result};

use crate::db::orders::{item_lines, load_head};
use crate::db::schema::accounts;
use crate::db::{change_stock, next, Conn};
use crate::error::{db_err, err};
use crate::mapping::journal::{write_journal, Draft};
use crate::wire::{dec, get, Head, SalesOrderStatus};

/// Releases the committed stock of every line still to ship.
pub(crate) async fn release_outstanding(c: &mut Conn, h: &Head) -> Result<()> {
    for l in item_lines(c, h.id).await? {
        let out = l.outstanding();
        if out.is_zero() {
            continue;
        }
        if l.tracks {
            change_stock(c, l.product_id, &h.warehouse, Decimal::ZERO, -out).await?;
        }
        sqlx::query("UPDATE sales_lines SET qty_released = ? WHERE order_id = ? AND line_no = ?")
            .bind((l.released + out).to_string())
            .bind(h.id)
            .bind(l.line_no)
            .execute(&mut *c)
            .await
            .map_err(db_err("release stock"))?;
    }
    Ok(())
}

pub(crate) async fn set_status_row(c: &mut Conn, id: i64, status: SalesOrderStatus) -> Result<()> {
    let seq = next(c, "seq").await?;
    sqlx::query(
        "UPDATE sales_orders SET status = ?, status_seq = ?, seq = ?, status_changed_at = ? WHERE id = ?",
    )
    .bind(status.as_str())
    .bind(seq)
    .bind(seq)
    .bind(crate::db::now())
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err("set status"))?;
    Ok(())
}

/// Posts (invoices) an order: writes its sales journal and sets it `Posted`.
///
/// Dr A/R (balance due), Dr liabilities for gift certificates and store credit, Cr revenue
/// per product class and charges, Dr discounts, Cr tax payable per tax area, ± rounding.
pub(crate) async fn post_order(
    c: &mut Conn,
    at: &LedgerRef,
    check_version: bool,
) -> Result<LedgerRef> {
    let h = load_head(c, at).await?;
    if check_version {
        if let Some(v) = &at.version {
            if *v != h.version.to_string() {
                return Err(err(
                    ErrorKind::Conflict,
                    format!("sales order {} has changed since it was read", h.number),
                ));
            }
        }
    }
    match h.status {
        s if s.is_posted() => {
            return Err(err(
                ErrorKind::Conflict,
                format!("sales order {} is already {s}", h.number),
            ))
        }
        SalesOrderStatus::Cancelled => {
            return Err(err(
                ErrorKind::Invalid,
                format!("sales order {} is cancelled and cannot be posted", h.number),
            ))
        }
        SalesOrderStatus::OnHold => {
            return Err(err(
                ErrorKind::Invalid,
                format!(
                    "sales order {} is on hold: release it before posting",
                    h.number
                ),
            ))
        }
        _ => {}
    }
    let rows = sqlx::query(
        "SELECT account, amount, description FROM sales_lines WHERE order_id = ?1
         UNION ALL
         SELECT t.gl_account AS account, s.amount, 'Tax ' || s.tax_area AS description
         FROM sales_taxes s JOIN tax_areas t ON t.code = s.tax_area WHERE s.order_id = ?1",
    )
    .bind(h.id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err("read order for posting"))?;
    let mut lines = Vec::with_capacity(rows.len() + 1);
    let mut ar = Decimal::ZERO;
    for r in &rows {
        let amount = dec(r, "amount")?;
        ar += amount;
        lines.push((
            get::<String>(r, "account")?,
            -amount,
            get::<String>(r, "description")?,
        ));
    }
    lines.insert(
        0,
        (
            accounts::AR.to_string(),
            ar,
            format!("Sales order {}", h.number),
        ),
    );
    let jid = write_journal(
        c,
        Draft {
            key: None,
            number: None,
            source: "sales",
            source_id: Some(h.id),
            date: h.date,
            currency: h.currency,
            memo: Some(format!(
                "Sales order {}{}",
                h.number,
                h.import_id
                    .as_deref()
                    .map(|i| format!(" (import id {i})"))
                    .unwrap_or_default()
            )),
            lines,
        },
    )
    .await?;
    sqlx::query("UPDATE sales_orders SET journal_id = ? WHERE id = ?")
        .bind(jid)
        .bind(h.id)
        .execute(&mut *c)
        .await
        .map_err(db_err("post sales order"))?;
    set_status_row(c, h.id, SalesOrderStatus::Posted).await?;
    Ok(h.at())
}

/// Changes an order's status. `inside` = a person in the ERP; from outside (the storefront,
/// T2) posting statuses are refused.
pub(crate) async fn set_status(
    c: &mut Conn,
    at: &LedgerRef,
    status: &str,
    inside: bool,
) -> Result<()> {
    let target = SalesOrderStatus::from_str(status)?;
    let h = load_head(c, at).await?;
    if h.status == target {
        return Ok(());
    }
    if target.is_posted() && !inside {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "refused: sales order {} cannot be set to {target} from outside the ERP; posting happens only in the ERP (T2)",
                h.number
            ),
        ));
    }
    if h.status == SalesOrderStatus::Cancelled {
        return Err(err(
            ErrorKind::Invalid,
            format!("sales order {} is cancelled", h.number),
        ));
    }
    match target {
        SalesOrderStatus::Posted => {
            post_order(c, at, false).await?;
        }
        SalesOrderStatus::Completed => {
            if h.status != SalesOrderStatus::Posted {
                return Err(err(
                    ErrorKind::Invalid,
                    format!(
                        "sales order {} is {}: only a posted order can be completed",
                        h.number, h.status
                    ),
                ));
            }
            set_status_row(c, h.id, target).await?;
        }
        SalesOrderStatus::Shipped | SalesOrderStatus::PartiallyShipped => {
            return Err(err(
                ErrorKind::Invalid,
                format!(
                    "sales order {}: `{target}` follows from processing a shipment in the ERP (Erp::process_shipment), it cannot be set",
                    h.number
                ),
            ));
        }
        _ if h.status.is_posted() => {
            return Err(err(
                ErrorKind::Invalid,
                format!(
                    "sales order {} is {}: a posted order cannot go back to {target}",
                    h.number, h.status
                ),
            ));
        }
        SalesOrderStatus::Cancelled => {
            release_outstanding(c, &h).await?;
            set_status_row(c, h.id, target).await?;
        }
        SalesOrderStatus::Open | SalesOrderStatus::Released | SalesOrderStatus::Picked
            if h.has_shipments =>
        {
            return Err(err(
                ErrorKind::Invalid,
                format!(
                    "sales order {} has shipments: it cannot go back to {target}",
                    h.number
                ),
            ));
        }
        _ => set_status_row(c, h.id, target).await?,
    }
    Ok(())
}
