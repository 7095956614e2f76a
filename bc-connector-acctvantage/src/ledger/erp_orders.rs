//! Orders entered in the ERP (E1): offered to the storefront until linked, then linked to the
//! storefront order they were created as (and given its import id, so that the order coming
//! back is recognised).

use bc_core::{
    Address, Cursor, CustomerId, Decimal, ErrorKind, ImportId, LedgerOrder, LedgerRef, NewOrder,
    NewOrderLine, OrderId, Page, Result, Sku, StatusId,
};

use crate::db::orders::{captured_total, find_by_import_id, load_head};
use crate::db::{cursor, next, Erp, PAGE_SIZE};
use crate::error::{db_err, err};
use crate::ledger::feeds::feed;
use crate::wire::{dec, get, head, HEAD_COLS};

/// The body of [`bc_core::Ledger::new_orders`].
pub(super) async fn new_orders(erp: &Erp, since: &Cursor) -> Result<Page<LedgerOrder>> {
    let from = cursor(since)?;
    let mut c = erp.read().await?;
    let rows = sqlx::query(&format!(
        "SELECT {HEAD_COLS}, seq, billing, shipping FROM sales_orders
         WHERE origin = 'erp' AND storefront_order IS NULL AND status != 'Cancelled' AND seq > ?
         ORDER BY seq LIMIT ?"
    ))
    .bind(from)
    .bind(PAGE_SIZE)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err("list ERP orders"))?;
    let mut out = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in &rows {
        last = Some(get::<i64>(r, "seq")?);
        let h = head(r)?;
        let client = sqlx::query(
            "SELECT display_name, company, email, phone, import_id, storefront_customer, billing, shipping
             FROM clients WHERE id = ?",
        )
        .bind(h.client_id)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err("read client"))?;
        let addr = |json: Option<String>| -> Option<Address> {
            json.and_then(|j| serde_json::from_str(&j).ok())
        };
        let name: String = get(&client, "display_name")?;
        let fallback = Address {
            first_name: name.clone(),
            company: get(&client, "company")?,
            email: get(&client, "email")?,
            phone: get(&client, "phone")?,
            ..Address::default()
        };
        let billing = addr(get(r, "billing")?)
            .or_else(|| addr(get(&client, "billing").ok().flatten()))
            .unwrap_or(fallback);
        let shipping = addr(get(r, "shipping")?)
            .or_else(|| addr(get(&client, "shipping").ok().flatten()))
            .unwrap_or_else(|| billing.clone());
        let customer = get::<Option<String>>(&client, "storefront_customer")?
            .or(get::<Option<String>>(&client, "import_id")?)
            .map(CustomerId::new);
        let lines = sqlx::query(
            "SELECT kind, sku, description, quantity, unit_price, amount FROM sales_lines WHERE order_id = ? ORDER BY line_no",
        )
        .bind(h.id)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("read sales lines"))?;
        let mut order_lines = Vec::new();
        let mut shipping_ex_tax = Decimal::ZERO;
        for l in &lines {
            match get::<String>(l, "kind")?.as_str() {
                "item" => order_lines.push(NewOrderLine {
                    sku: Sku::new(get::<Option<String>>(l, "sku")?.unwrap_or_default()),
                    name: get(l, "description")?,
                    quantity: dec(l, "quantity")?,
                    unit_price_ex_tax: dec(l, "unit_price")?,
                }),
                "shipping" => shipping_ex_tax += dec(l, "amount")?,
                _ => {}
            }
        }
        let paid = captured_total(&mut c, h.id).await?;
        out.push(LedgerOrder {
            at: h.at(),
            order: NewOrder {
                ledger_number: h.number.clone(),
                customer_id: customer,
                billing,
                shipping,
                shipping_method: h.ship_via.clone(),
                lines: order_lines,
                shipping_ex_tax,
                status: StatusId::new(h.status.as_str()),
                currency: h.currency,
                staff_notes: Some(format!("AcctVantage sales order {}", h.number)),
            },
            unpaid_balance: (h.balance_due - paid).max(Decimal::ZERO),
            storefront_order: h.storefront_order.clone().map(OrderId::new),
        });
    }
    Ok(feed(out, last))
}

/// The body of [`bc_core::Ledger::link_storefront_order`].
pub(super) async fn link_storefront_order(
    erp: &Erp,
    at: &LedgerRef,
    storefront_order: &OrderId,
) -> Result<()> {
    let storefront_order = storefront_order.as_str();
    let mut w = erp.write().await?;
    let c = w.conn();
    let h = load_head(c, at).await?;
    if let Some(existing) = &h.storefront_order {
        if existing == storefront_order {
            return Ok(());
        }
        return Err(err(
            ErrorKind::Conflict,
            format!(
                "sales order {} is already linked to storefront order {existing}",
                h.number
            ),
        ));
    }
    let import_id = match (&h.import_id, erp.options.import_source_code) {
        (None, Some(code)) => {
            let id = ImportId::new(code, OrderId::new(storefront_order))?.to_string();
            if let Some(other) = find_by_import_id(c, &id).await? {
                return Err(err(
                    ErrorKind::Conflict,
                    format!("import id {id} is already on sales order {}", other.number),
                ));
            }
            Some(id)
        }
        (existing, _) => existing.clone(),
    };
    let seq = next(c, "seq").await?;
    sqlx::query(
        "UPDATE sales_orders SET storefront_order = ?, import_id = ?, seq = ? WHERE id = ?",
    )
    .bind(storefront_order)
    .bind(import_id)
    .bind(seq)
    .bind(h.id)
    .execute(&mut *c)
    .await
    .map_err(db_err("link storefront order"))?;
    w.commit().await
}
