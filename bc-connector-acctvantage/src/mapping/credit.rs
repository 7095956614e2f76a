//! Credit memos and refund receipts linked to the invoiced order, with restock (R1, R2).

use bc_core::money::round_dp;
use bc_core::{
    CreditKind, CreditMemo, Decimal, DocNumber, ErrorKind, LedgerRef, Result, SalesLineKind,
};

use crate::config::ErpOptions;
use crate::db::orders::{find_by_import_id, item_lines, load_head};
use crate::db::schema::accounts;
use crate::db::{change_stock, next, number, Conn};
use crate::error::{db_err, err};
use crate::mapping::accounts::{
    ensure_warehouse, line_kind, resolve_account, resolve_line, tax_area_account,
};
use crate::mapping::journal::{write_journal, Draft};
use crate::wire::get;

pub(crate) async fn find_credit_memo(
    c: &mut Conn,
    import_id: &str,
    refund_id: &str,
) -> Result<Option<LedgerRef>> {
    let row =
        sqlx::query("SELECT id, number FROM credit_memos WHERE import_id = ? AND refund_id = ?")
            .bind(import_id)
            .bind(refund_id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err("find credit memo"))?;
    row.map(|r| {
        let id: i64 = get(&r, "id")?;
        Ok(LedgerRef::new(id.to_string()).with_number(get::<String>(&r, "number")?))
    })
    .transpose()
}

/// Posts a credit memo: Cr A/R (or the refund account for a refund receipt) with the total;
/// Dr revenue, charges and tax payable with what is credited; restocked goods go back to the
/// warehouse (releasing what was still committed first) with their cost back to inventory.
pub(crate) async fn post_credit_memo(
    c: &mut Conn,
    opts: &ErpOptions,
    m: &CreditMemo,
) -> Result<LedgerRef> {
    let import_id = m.import_id.to_string();
    let what = format!("refund {} of import id {import_id}", m.refund_id);
    if let Some(existing) = find_credit_memo(c, &import_id, &m.refund_id).await? {
        return Err(err(
            ErrorKind::Conflict,
            format!("{what} is already credited by {existing}; find it with find_credit_memo"),
        ));
    }
    let h = match &m.invoice {
        Some(at) => load_head(c, at).await?,
        None => find_by_import_id(c, &import_id).await?.ok_or_else(|| {
            err(
                ErrorKind::Invalid,
                format!("{what}: no sales order carries this import id; import the order first"),
            )
        })?,
    };
    if h.import_id.as_deref() != Some(import_id.as_str()) {
        return Err(err(
            ErrorKind::Invalid,
            format!("{what}: sales order {} carries another import id", h.number),
        ));
    }
    if !h.status.is_posted() {
        // Crediting revenue that was never recognised would leave the GL wrong (negative
        // sales, a client credit for money already returned).
        return Err(err(
            ErrorKind::Conflict,
            format!(
                "{what}: sales order {} is {}; only a posted (invoiced) order can be credited: post it in the ERP first (Erp::post), or cancel it",
                h.number, h.status
            ),
        ));
    }
    if m.currency != h.currency {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "{what}: in {} but the order is in {}",
                m.currency, h.currency
            ),
        ));
    }
    let sum: Decimal = m.lines.iter().map(|l| l.amount).sum::<Decimal>() + m.tax;
    if sum != m.total {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "{what}: lines and tax add up to {sum} but the total is {}",
                m.total
            ),
        ));
    }
    let warehouse = m.warehouse.clone().unwrap_or_else(|| h.warehouse.clone());
    ensure_warehouse(c, &warehouse).await?;
    let counter = match m.kind {
        CreditKind::CreditMemo => accounts::AR.to_string(),
        CreditKind::RefundReceipt => match &m.refund_account {
            Some(a) => resolve_account(c, a).await?,
            None => accounts::CLEARING.to_string(),
        },
    };
    let tax_account = match &m.tax_code {
        Some(code) => Some(tax_area_account(c, opts, code).await?),
        None => None,
    };
    let tax_account = match tax_account {
        Some(a) => a,
        None => {
            let row = sqlx::query(
                "SELECT t.gl_account FROM sales_taxes s JOIN tax_areas t ON t.code = s.tax_area
                 WHERE s.order_id = ? ORDER BY s.idx LIMIT 1",
            )
            .bind(h.id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err("find tax area"))?;
            match row {
                Some(r) => get(&r, "gl_account")?,
                None => accounts::SALES_TAX_PAYABLE.to_string(),
            }
        }
    };
    let mut journal = vec![(counter, -m.total, format!("Credit for {what}"))];
    let mut stored = Vec::with_capacity(m.lines.len());
    let mut items = item_lines(c, h.id).await?;
    for l in &m.lines {
        let (product, account, line_id) =
            resolve_line(c, &l.kind, l.target.as_ref(), accounts::SHIPPING_INCOME)
                .await
                .map_err(|e| e.context(&what))?;
        journal.push((account.clone(), l.amount, l.description.clone()));
        if let (true, Some(p)) = (l.restock, product.as_ref().filter(|p| p.tracks)) {
            if l.quantity < Decimal::ZERO {
                return Err(err(
                    ErrorKind::Invalid,
                    format!("{what}: restocked quantity {} is negative", l.quantity),
                ));
            }
            // What the order still had committed comes back first; the rest was shipped and
            // returns to the shelf.
            let line = items.iter_mut().find(|s| {
                s.product_id == p.id
                    && (line_id.is_none() || s.line_id == line_id)
                    && !s.outstanding().is_zero()
            });
            let mut back_on_shelf = l.quantity;
            if let Some(s) = line {
                let release = s.outstanding().min(l.quantity);
                if !release.is_zero() {
                    s.released += release;
                    back_on_shelf -= release;
                    change_stock(c, p.id, &h.warehouse, Decimal::ZERO, -release).await?;
                    sqlx::query(
                        "UPDATE sales_lines SET qty_released = ? WHERE order_id = ? AND line_no = ?",
                    )
                    .bind(s.released.to_string())
                    .bind(h.id)
                    .bind(s.line_no)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err("release stock"))?;
                }
            }
            if !back_on_shelf.is_zero() {
                change_stock(c, p.id, &warehouse, back_on_shelf, Decimal::ZERO).await?;
                let cost = round_dp(p.unit_cost * back_on_shelf, h.currency.minor_units());
                if !cost.is_zero() {
                    journal.push((p.inventory.clone(), cost, format!("Restock {}", p.sku)));
                    journal.push((p.cogs.clone(), -cost, format!("Restock {}", p.sku)));
                }
            }
        }
        stored.push((l, product, account));
    }
    if !m.tax.is_zero() {
        journal.push((tax_account, m.tax, "Tax credited".to_string()));
    }
    let num = match &m.number {
        DocNumber::Fixed(n) => n.clone(),
        DocNumber::Auto => number("CM", next(c, "CM").await?),
    };
    let taken = sqlx::query("SELECT 1 FROM credit_memos WHERE number = ?")
        .bind(&num)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err("find credit memo"))?;
    if taken.is_some() {
        return Err(err(
            ErrorKind::Conflict,
            format!("{what}: credit memo number `{num}` is already used"),
        ));
    }
    let row = sqlx::query(
        "INSERT INTO credit_memos(number, kind, import_id, refund_id, order_id, client_id, total, tax,
         currency, date, memo, warehouse) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&num)
    .bind(match m.kind {
        CreditKind::CreditMemo => "credit_memo",
        CreditKind::RefundReceipt => "refund_receipt",
    })
    .bind(&import_id)
    .bind(&m.refund_id)
    .bind(h.id)
    .bind(h.client_id)
    .bind(m.total.to_string())
    .bind(m.tax.to_string())
    .bind(m.currency.code())
    .bind(m.date.to_string())
    .bind(&m.memo)
    .bind(&warehouse)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err("write credit memo"))?;
    let id: i64 = get(&row, "id")?;
    for (i, (l, product, account)) in stored.iter().enumerate() {
        let (kind, _) = line_kind(&l.kind);
        sqlx::query(
            "INSERT INTO credit_lines(memo_id, line_no, kind, product_id, account, description, sku,
             quantity, unit_price, amount, tax_code, restock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(kind)
        .bind(product.as_ref().map(|p| p.id))
        .bind(account)
        .bind(&l.description)
        .bind(l.sku.as_ref().map(|s| s.to_string()))
        .bind(l.quantity.to_string())
        .bind(l.unit_price.to_string())
        .bind(l.amount.to_string())
        .bind(l.tax_code.as_deref())
        .bind(i64::from(l.restock && matches!(l.kind, SalesLineKind::Item { .. })))
        .execute(&mut *c)
        .await
        .map_err(db_err("write credit line"))?;
    }
    let jid = write_journal(
        c,
        Draft {
            key: None,
            number: None,
            source: "credit_memo",
            source_id: Some(id),
            date: m.date,
            currency: m.currency,
            memo: Some(format!("Credit memo {num} for sales order {}", h.number)),
            lines: journal,
        },
    )
    .await?;
    sqlx::query("UPDATE credit_memos SET journal_id = ? WHERE id = ?")
        .bind(jid)
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err("write credit memo"))?;
    Ok(LedgerRef::new(id.to_string()).with_number(num))
}
