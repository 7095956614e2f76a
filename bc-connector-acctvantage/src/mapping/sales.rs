//! A sales document → a sales order: imported with the import id on its Notes, invoices and
//! sales receipts posted at once, updated in place while editable (O14).

use bc_core::{
    DocNumber, DocumentKind, ErrorKind, LedgerRef, Receipt, ReceiptState, Result, SalesDocument,
    SalesLineKind,
};
use rust_decimal::Decimal;

use crate::config::ErpOptions;
use crate::db::orders::{find_by_import_id, load_head};
use crate::db::schema::accounts;
use crate::db::{change_stock, id_of, next, number, Conn};
use crate::error::{db_err, err};
use crate::mapping::accounts::{
    class_accounts, ensure_warehouse, line_kind, resolve_line, resolve_ship_via, tax_area_account,
};
use crate::mapping::posting::{post_order, release_outstanding};
use crate::mapping::receipt::post_receipt;
use crate::mapping::Cache;
use crate::wire::{get, kind_str, Line, Tax};

struct Resolved {
    lines: Vec<Line>,
    taxes: Vec<Tax>,
    warehouse: String,
    ship_via: Option<String>,
    client_id: i64,
}

async fn resolve_document(
    c: &mut Conn,
    opts: &ErpOptions,
    cache: &mut Cache,
    doc: &SalesDocument,
) -> Result<Resolved> {
    let what = format!("order {} (import id {})", doc.order_id, doc.import_id);
    let ctx = |e: bc_core::Error| e.context(&what);
    if doc.total() != doc.order_total {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "{what}: the lines and taxes add up to {} but the order total is {}; the ERP stores amounts as given and will not post a document that does not add up",
                doc.total(),
                doc.order_total
            ),
        ));
    }
    if doc.currency != opts.home_currency && !opts.currencies.contains(&doc.currency) {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "{what}: currency {} is not enabled in the ERP",
                doc.currency
            ),
        ));
    }
    if doc.exchange_rate <= Decimal::ZERO {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "{what}: exchange rate {} must be positive",
                doc.exchange_rate
            ),
        ));
    }
    let client_id = id_of("client", &doc.client.id)?;
    if !cache.clients.contains(&client_id) {
        let found = sqlx::query("SELECT 1 FROM clients WHERE id = ?")
            .bind(client_id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err("find client"))?;
        if found.is_none() {
            return Err(err(
                ErrorKind::Invalid,
                format!("{what}: client {} does not exist in the ERP", doc.client),
            ));
        }
        cache.clients.insert(client_id);
    }
    let warehouse = doc
        .warehouse
        .clone()
        .unwrap_or_else(|| opts.default_warehouse.clone());
    if !cache.warehouses.contains(&warehouse) {
        ensure_warehouse(c, &warehouse).await.map_err(ctx)?;
        cache.warehouses.insert(warehouse.clone());
    }
    let via_key = doc
        .ship_via
        .as_ref()
        .map(|v| v.method.clone())
        .unwrap_or_default();
    let (ship_via, shipping_income) = match cache.ship_vias.get(&via_key) {
        Some(v) => v.clone(),
        None => {
            let ship_via = resolve_ship_via(
                c,
                opts,
                doc.ship_via.as_ref().map(|v| v.method.as_str()),
                doc.ship_via
                    .as_ref()
                    .and_then(|v| v.product_class.as_deref()),
            )
            .await
            .map_err(ctx)?;
            let income = match &ship_via {
                Some((_, class)) => class_accounts(c, class).await?.0,
                None => accounts::SHIPPING_INCOME.to_string(),
            };
            cache
                .ship_vias
                .insert(via_key, (ship_via.clone(), income.clone()));
            (ship_via, income)
        }
    };
    let mut lines = Vec::with_capacity(doc.lines.len());
    for l in &doc.lines {
        let key = match &l.kind {
            SalesLineKind::Item { item, .. } => format!("item/{}", item.id),
            other => format!("{}/{:?}/{shipping_income}", line_kind(other).0, l.target),
        };
        let (product, account, line_id) = match cache.lines.get(&key) {
            Some((p, a)) => {
                let line_id = match &l.kind {
                    SalesLineKind::Item { line_id, .. } => Some(line_id.clone()),
                    _ => None,
                };
                (p.clone(), a.clone(), line_id)
            }
            None => {
                let r = resolve_line(c, &l.kind, l.target.as_ref(), &shipping_income)
                    .await
                    .map_err(ctx)?;
                cache.lines.insert(key, (r.0.clone(), r.1.clone()));
                r
            }
        };
        if product.is_some() && l.quantity <= Decimal::ZERO {
            return Err(err(
                ErrorKind::Invalid,
                format!(
                    "{what}: line `{}` has quantity {}",
                    l.description, l.quantity
                ),
            ));
        }
        let (kind, code) = line_kind(&l.kind);
        lines.push(Line {
            kind,
            code,
            line_id,
            sku: l
                .sku
                .as_ref()
                .map(|s| s.to_string())
                .or_else(|| product.as_ref().map(|p| p.sku.clone())),
            product,
            account,
            description: l.description.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            amount: l.amount,
            tax_code: l.tax_code.as_ref().map(|t| t.to_string()),
        });
    }
    let mut taxes = Vec::with_capacity(doc.taxes.len());
    for t in &doc.taxes {
        if t.line.is_some_and(|i| i >= doc.lines.len()) {
            return Err(err(
                ErrorKind::Invalid,
                format!(
                    "{what}: tax {} names a line that does not exist",
                    t.tax_code
                ),
            ));
        }
        taxes.push(Tax {
            account: match cache.taxes.get(t.tax_code.as_str()) {
                Some(a) => a.clone(),
                None => {
                    let a = tax_area_account(c, opts, &t.tax_code).await.map_err(ctx)?;
                    cache.taxes.insert(t.tax_code.to_string(), a.clone());
                    a
                }
            },
            area: t.tax_code.to_string(),
            zone: t.zone.clone(),
            rate: t.rate,
            line: t.line,
            taxable: t.taxable_amount,
            amount: t.amount,
        });
    }
    Ok(Resolved {
        lines,
        taxes,
        warehouse,
        ship_via: ship_via.map(|s| s.0),
        client_id,
    })
}

/// Inserts lines and taxes of an order and commits stock for its item lines.
pub(crate) async fn write_lines(
    c: &mut Conn,
    order_id: i64,
    lines: &[Line],
    taxes: &[Tax],
    warehouse: &str,
) -> Result<()> {
    for (i, l) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO sales_lines(order_id, line_no, kind, code, line_id, product_id, account,
             description, sku, quantity, unit_price, amount, tax_code, qty_shipped, qty_released)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '0', '0')",
        )
        .bind(order_id)
        .bind(i as i64)
        .bind(l.kind)
        .bind(&l.code)
        .bind(&l.line_id)
        .bind(l.product.as_ref().map(|p| p.id))
        .bind(&l.account)
        .bind(&l.description)
        .bind(&l.sku)
        .bind(l.quantity.to_string())
        .bind(l.unit_price.to_string())
        .bind(l.amount.to_string())
        .bind(&l.tax_code)
        .execute(&mut *c)
        .await
        .map_err(db_err("write sales line"))?;
        if let Some(p) = l.product.as_ref().filter(|p| p.tracks) {
            change_stock(c, p.id, warehouse, Decimal::ZERO, l.quantity).await?;
        }
    }
    for (i, t) in taxes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO sales_taxes(order_id, idx, tax_area, zone, rate, line_no, taxable_amount, amount)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(order_id)
        .bind(i as i64)
        .bind(&t.area)
        .bind(&t.zone)
        .bind(t.rate.to_string())
        .bind(t.line.map(|l| l as i64))
        .bind(t.taxable.to_string())
        .bind(t.amount.to_string())
        .execute(&mut *c)
        .await
        .map_err(db_err("write sales tax"))?;
    }
    Ok(())
}

/// Imports a sales document as a sales order (and posts it at once when it is an invoice or
/// a sales receipt).
pub(crate) async fn insert_document(
    c: &mut Conn,
    opts: &ErpOptions,
    cache: &mut Cache,
    doc: &SalesDocument,
) -> Result<LedgerRef> {
    let import_id = doc.import_id.to_string();
    if let Some(h) = find_by_import_id(c, &import_id).await? {
        return Err(err(
            ErrorKind::Conflict,
            format!(
                "import id {import_id} is already on sales order {} (id {}): each import id is imported once; find it with find_document and update it instead",
                h.number, h.id
            ),
        ));
    }
    let r = resolve_document(c, opts, cache, doc).await?;
    let number = match &doc.number {
        DocNumber::Fixed(n) => {
            let taken = sqlx::query("SELECT import_id FROM sales_orders WHERE number = ?")
                .bind(n)
                .fetch_optional(&mut *c)
                .await
                .map_err(db_err("find sales order"))?;
            if taken.is_some() {
                return Err(err(
                    ErrorKind::Conflict,
                    format!("sales order number `{n}` is already used by another order"),
                ));
            }
            n.clone()
        }
        DocNumber::Auto => number("SO", next(c, "SO").await?),
    };
    let seq = next(c, "seq").await?;
    let now = crate::db::now();
    let balance_due = doc.balance_due();
    let json =
        |a: &Option<bc_core::Address>| a.as_ref().and_then(|a| serde_json::to_string(a).ok());
    let notes = match &doc.private_note {
        Some(n) => format!("Import ID: {import_id}\n{n}"),
        None => format!("Import ID: {import_id}"),
    };
    let row = sqlx::query(
        "INSERT INTO sales_orders(number, kind, origin, import_id, client_id, status, status_seq,
         status_changed_at, seq, version, currency, exchange_rate, date, due_date, warehouse, ship_via,
         total, balance_due, customer_memo, notes, class, location, billing, shipping, created_at)
         VALUES (?, ?, 'storefront', ?, ?, 'Open', 0, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id",
    )
    .bind(&number)
    .bind(kind_str(doc.kind))
    .bind(&import_id)
    .bind(r.client_id)
    .bind(&now)
    .bind(seq)
    .bind(doc.currency.code())
    .bind(doc.exchange_rate.to_string())
    .bind(doc.date.to_string())
    .bind(doc.due_date.map(|d| d.to_string()))
    .bind(&r.warehouse)
    .bind(&r.ship_via)
    .bind(doc.total().to_string())
    .bind(balance_due.to_string())
    .bind(&doc.customer_memo)
    .bind(&notes)
    .bind(&doc.class)
    .bind(&doc.location)
    .bind(json(&doc.billing))
    .bind(json(&doc.shipping))
    .bind(&now)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err("import sales order"))?;
    let id: i64 = get(&row, "id")?;
    write_lines(c, id, &r.lines, &r.taxes, &r.warehouse).await?;
    let at = LedgerRef::new(id.to_string())
        .with_number(number)
        .with_version("1");
    post_as_kind(c, opts, id, doc).await?;
    Ok(at)
}

/// Invoices and sales receipts are posted when imported; a sales receipt also records its
/// payment as a captured receipt.
async fn post_as_kind(c: &mut Conn, opts: &ErpOptions, id: i64, doc: &SalesDocument) -> Result<()> {
    if doc.kind == DocumentKind::SalesOrder {
        return Ok(());
    }
    let at = LedgerRef::new(id.to_string());
    post_order(c, &at, false).await?;
    // Imported as posted: that is the status it was imported with, not a change to report.
    sqlx::query("UPDATE sales_orders SET status_seq = 0 WHERE id = ?")
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err("post sales order"))?;
    if let (DocumentKind::SalesReceipt, Some(p)) = (doc.kind, &doc.payment) {
        let due = doc.balance_due();
        if due > Decimal::ZERO {
            let r = Receipt {
                import_id: doc.import_id.clone(),
                sequence: 0,
                document: at,
                client: doc.client.clone(),
                receipt_type: p.receipt_type.clone(),
                deposit_account: p.deposit_account.clone(),
                amount: due,
                currency: doc.currency,
                state: ReceiptState::Captured,
                date: doc.date,
                reference: p.reference.clone(),
            };
            post_receipt(c, opts, &r).await?;
        }
    }
    Ok(())
}

/// Replaces the content of an imported order while it is editable (O14).
pub(crate) async fn update_document(
    c: &mut Conn,
    opts: &ErpOptions,
    cache: &mut Cache,
    at: &LedgerRef,
    doc: &SalesDocument,
) -> Result<LedgerRef> {
    let h = load_head(c, at).await?;
    if let Some(v) = &at.version {
        if *v != h.version.to_string() {
            return Err(err(
                ErrorKind::Conflict,
                format!(
                    "sales order {} has changed since it was read (version {v}, now {})",
                    h.number, h.version
                ),
            ));
        }
    }
    if h.import_id.as_deref() != Some(doc.import_id.to_string().as_str()) {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "sales order {} carries import id {}, not {}",
                h.number,
                h.import_id.as_deref().unwrap_or("(none)"),
                doc.import_id
            ),
        ));
    }
    if !h.editable() {
        return Err(err(
            ErrorKind::Conflict,
            format!(
                "sales order {} is {}{}: it can no longer be changed from the storefront (O14)",
                h.number,
                h.status,
                if h.has_shipments {
                    " and has shipments"
                } else {
                    ""
                }
            ),
        ));
    }
    let r = resolve_document(c, opts, cache, doc).await?;
    release_outstanding(c, &h).await?;
    for table in ["sales_lines", "sales_taxes"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE order_id = ?"))
            .bind(h.id)
            .execute(&mut *c)
            .await
            .map_err(db_err("replace sales lines"))?;
    }
    let number = match &doc.number {
        DocNumber::Fixed(n) => n.clone(),
        DocNumber::Auto => h.number.clone(),
    };
    let seq = next(c, "seq").await?;
    let json =
        |a: &Option<bc_core::Address>| a.as_ref().and_then(|a| serde_json::to_string(a).ok());
    sqlx::query(
        "UPDATE sales_orders SET number = ?, kind = ?, client_id = ?, seq = ?, version = version + 1,
         currency = ?, exchange_rate = ?, date = ?, due_date = ?, warehouse = ?, ship_via = ?, total = ?,
         balance_due = ?, customer_memo = ?, class = ?, location = ?, billing = ?, shipping = ?
         WHERE id = ?",
    )
    .bind(&number)
    .bind(kind_str(doc.kind))
    .bind(r.client_id)
    .bind(seq)
    .bind(doc.currency.code())
    .bind(doc.exchange_rate.to_string())
    .bind(doc.date.to_string())
    .bind(doc.due_date.map(|d| d.to_string()))
    .bind(&r.warehouse)
    .bind(&r.ship_via)
    .bind(doc.total().to_string())
    .bind(doc.balance_due().to_string())
    .bind(&doc.customer_memo)
    .bind(&doc.class)
    .bind(&doc.location)
    .bind(json(&doc.billing))
    .bind(json(&doc.shipping))
    .bind(h.id)
    .execute(&mut *c)
    .await
    .map_err(db_err("update sales order"))?;
    write_lines(c, h.id, &r.lines, &r.taxes, &r.warehouse).await?;
    post_as_kind(c, opts, h.id, doc).await?;
    Ok(LedgerRef::new(h.id.to_string())
        .with_number(number)
        .with_version((h.version + 1).to_string()))
}
