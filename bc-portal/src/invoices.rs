//! Companies, the order dashboard (B1, B7) and invoices (B3, B4): sync from the storefront,
//! create from an order, import from the ledger, edit and delete within the rules.

use std::collections::BTreeMap;

use bc_core::{Error, ErrorKind, Order, OrderCustomer, OrderQuery, Result};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqliteRow;

use crate::db::{col, db_err, dec, next_counter, now};
use crate::ledger::LedgerInvoice;
use crate::model::{
    check_delete, check_edit, lines_total, Company, Invoice, InvoiceLine, InvoiceStatus, LineKind,
    OrderLineRow, OrderRow,
};
use crate::Portal;

/// Filters of the invoice dashboard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    /// Invoice number (or part of it).
    pub invoice: Option<String>,
    /// Customer (company name, part of it, case-insensitive).
    pub customer: Option<String>,
    /// Storefront order id.
    pub order: Option<String>,
    /// Status (`open`, `partially_paid`, `completed`).
    pub status: Option<String>,
    /// Only this company (buyers).
    pub company_id: Option<i64>,
}

/// The marker the portal puts on its own payment orders, which are not B2B sales.
pub const PAYMENT_ORDER_SOURCE: &str = bc_core::PORTAL_PAYMENT_SOURCE;

fn fingerprint(o: &Order) -> String {
    let mut h = Sha256::new();
    h.update(o.status.as_str().as_bytes());
    h.update(o.total_inc_tax.normalize().to_string().as_bytes());
    for l in &o.lines {
        h.update(l.line_id.as_bytes());
        h.update(l.quantity.normalize().to_string().as_bytes());
        h.update(l.unit_price_inc_tax.normalize().to_string().as_bytes());
    }
    hex::encode(h.finalize())
}

fn map_rule(e: crate::model::RuleError) -> Error {
    Error::new(ErrorKind::Conflict, e.0)
}

fn invoice_from(r: &SqliteRow) -> Result<Invoice> {
    let status: String = col(r, "status")?;
    Ok(Invoice {
        id: col(r, "id")?,
        number: col(r, "number")?,
        source: col(r, "source")?,
        order_id: col(r, "order_id")?,
        company_id: col(r, "company_id")?,
        company_name: col(r, "company_name")?,
        currency: col(r, "currency")?,
        total: dec(r, "total")?,
        paid: dec(r, "paid")?,
        status: InvoiceStatus::parse(&status).unwrap_or(InvoiceStatus::Open),
        ledger_ref: col(r, "ledger_ref")?,
        import_id: col(r, "import_id")?,
        created_at: col(r, "created_at")?,
    })
}

impl Portal {
    /// Finds or makes the company of a storefront customer.
    pub async fn upsert_company(&self, name: &str, external_id: &str) -> Result<i64> {
        let _w = self.db().writer().await;
        let row = sqlx::query(
            "INSERT INTO companies(name, external_id) VALUES (?, ?)
             ON CONFLICT(external_id) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .bind(name)
        .bind(external_id)
        .fetch_one(&self.db().pool)
        .await
        .map_err(db_err("upsert company"))?;
        col(&row, "id")
    }

    /// Companies whose name or external id contains `q` (case-insensitive).
    pub async fn companies(&self, q: &str) -> Result<Vec<Company>> {
        let like = format!("%{}%", q.trim().to_lowercase());
        let rows = sqlx::query(
            "SELECT * FROM companies WHERE LOWER(name) LIKE ? OR LOWER(external_id) LIKE ? ORDER BY name",
        )
        .bind(&like)
        .bind(&like)
        .fetch_all(&self.db().pool)
        .await
        .map_err(db_err("find companies"))?;
        rows.iter()
            .map(|r| {
                Ok(Company {
                    id: col(r, "id")?,
                    name: col(r, "name")?,
                    external_id: col(r, "external_id")?,
                })
            })
            .collect()
    }

    /// Whether an order is a B2B order the portal keeps: a registered customer with a
    /// company (and, when configured, in the B2B customer group); never the portal's own
    /// payment orders.
    fn b2b_of(&self, o: &Order) -> Option<(String, String)> {
        if o.is_portal_payment() {
            return None;
        }
        let OrderCustomer::Registered { id } = &o.customer else {
            return None;
        };
        let b2b = o.b2b.as_ref()?;
        let company = b2b.company.as_ref().filter(|c| !c.trim().is_empty())?;
        if let Some(group) = &self.config().b2b_customer_group {
            if b2b.customer_group_id.as_ref() != Some(group) {
                return None;
            }
        }
        Some((company.clone(), format!("bc:{id}")))
    }

    /// Syncs B2B orders from the storefront (every page); returns how many were stored.
    /// Re-running keeps them up to date; orders changed after invoicing get flagged (B7).
    pub async fn sync_orders(&self) -> Result<usize> {
        let Some(sf) = self.storefront() else {
            return Err(Error::new(
                ErrorKind::Config,
                "the portal has no storefront configured",
            ));
        };
        let mut query = OrderQuery::default();
        let mut n = 0;
        loop {
            let page = sf.orders(&query).await?;
            for o in &page.items {
                let Some((company, external)) = self.b2b_of(o) else {
                    continue;
                };
                let company_id = self.upsert_company(&company, &external).await?;
                self.store_order(o, company_id).await?;
                n += 1;
            }
            match page.next {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        Ok(n)
    }

    async fn store_order(&self, o: &Order, company_id: i64) -> Result<()> {
        let lines: Vec<OrderLineRow> = o
            .lines
            .iter()
            .map(|l| OrderLineRow {
                line_id: l.line_id.clone(),
                sku: l.sku.as_ref().map(|s| s.to_string()),
                name: l.name.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price_inc_tax,
            })
            .collect();
        let name = format!("{} {}", o.billing.first_name, o.billing.last_name);
        let lines_json = serde_json::to_string(&lines)
            .map_err(|e| Error::new(ErrorKind::Invalid, format!("order {}: {e}", o.id)))?;
        let _w = self.db().writer().await;
        sqlx::query(
            "INSERT INTO orders(id, number, company_id, customer_name, status, status_label, currency,
               total, lines_json, fingerprint, created_at, synced_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET status = excluded.status, status_label = excluded.status_label,
               total = excluded.total, lines_json = excluded.lines_json,
               fingerprint = excluded.fingerprint, synced_at = excluded.synced_at",
        )
        .bind(o.id.as_str())
        .bind(&o.number)
        .bind(company_id)
        .bind(name.trim())
        .bind(o.status.as_str())
        .bind(status_label(o.status.as_str()))
        .bind(o.currency.code())
        .bind(o.total_inc_tax.to_string())
        .bind(lines_json)
        .bind(fingerprint(o))
        .bind(o.created_at.to_rfc3339())
        .bind(now())
        .execute(&self.db().pool)
        .await
        .map_err(db_err("store order"))?;
        Ok(())
    }

    /// Synced orders, newest first, with what was invoiced.
    pub async fn orders(&self) -> Result<Vec<OrderRow>> {
        self.orders_where(None).await
    }

    /// One synced order.
    pub async fn order(&self, id: &str) -> Result<Option<OrderRow>> {
        Ok(self.orders_where(Some(id)).await?.pop())
    }

    async fn orders_where(&self, id: Option<&str>) -> Result<Vec<OrderRow>> {
        let rows = sqlx::query(
            "SELECT o.*, c.name AS company_name FROM orders o JOIN companies c ON c.id = o.company_id
             WHERE (? IS NULL OR o.id = ?) ORDER BY CAST(o.id AS INTEGER) DESC",
        )
        .bind(id)
        .bind(id)
        .fetch_all(&self.db().pool)
        .await
        .map_err(db_err("list orders"))?;
        let totals = self.invoiced_by_order().await?;
        rows.iter()
            .map(|r| {
                let oid: String = col(r, "id")?;
                let lines: String = col(r, "lines_json")?;
                Ok(OrderRow {
                    invoiced: totals.get(&oid).copied().unwrap_or_default(),
                    id: oid,
                    number: col(r, "number")?,
                    company_id: col(r, "company_id")?,
                    company_name: col(r, "company_name")?,
                    customer_name: col(r, "customer_name")?,
                    status: col(r, "status")?,
                    status_label: col(r, "status_label")?,
                    currency: col(r, "currency")?,
                    total: dec(r, "total")?,
                    lines: serde_json::from_str(&lines).map_err(|e| {
                        Error::new(ErrorKind::Invalid, format!("stored order lines: {e}"))
                    })?,
                    fingerprint: col(r, "fingerprint")?,
                    invoiced_fingerprint: col(r, "invoiced_fingerprint")?,
                })
            })
            .collect()
    }

    async fn invoiced_by_order(&self) -> Result<BTreeMap<String, Decimal>> {
        let rows = sqlx::query("SELECT order_id, total FROM invoices WHERE order_id IS NOT NULL")
            .fetch_all(&self.db().pool)
            .await
            .map_err(db_err("sum invoices"))?;
        let mut out = BTreeMap::new();
        for r in &rows {
            *out.entry(col::<String>(r, "order_id")?)
                .or_insert(Decimal::ZERO) += dec(r, "total")?;
        }
        Ok(out)
    }

    /// Quantities already invoiced per order line.
    pub async fn invoiced_quantities(&self, order_id: &str) -> Result<BTreeMap<String, Decimal>> {
        let rows = sqlx::query(
            "SELECT l.order_line, l.quantity FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
             WHERE i.order_id = ? AND l.order_line IS NOT NULL",
        )
        .bind(order_id)
        .fetch_all(&self.db().pool)
        .await
        .map_err(db_err("invoiced quantities"))?;
        let mut out = BTreeMap::new();
        for r in &rows {
            *out.entry(col::<String>(r, "order_line")?)
                .or_insert(Decimal::ZERO) += dec(r, "quantity")?;
        }
        Ok(out)
    }

    /// Creates an invoice from an order (B1: several per order allowed). Refused when a line
    /// would invoice more than was ordered or the order's invoices would exceed its total.
    pub async fn create_invoice_from_order(
        &self,
        actor: &str,
        order_id: &str,
        lines: &[InvoiceLine],
    ) -> Result<Invoice> {
        let order = self.order(order_id).await?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("order {order_id} is not in the portal"),
            )
        })?;
        let already = self.invoiced_quantities(order_id).await?;
        for l in lines {
            if let Some(line_id) = &l.order_line {
                let ordered = order
                    .lines
                    .iter()
                    .find(|o| &o.line_id == line_id)
                    .map(|o| o.quantity)
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::Invalid,
                            format!("order {order_id} has no line {line_id}"),
                        )
                    })?;
                let done = already.get(line_id).copied().unwrap_or_default();
                if done + l.quantity > ordered {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "order {order_id}, line {line_id}: {} ordered, {done} invoiced already, {} more is too many",
                            ordered, l.quantity
                        ),
                    ));
                }
            }
        }
        let total = lines_total("(new)", &order.currency, lines).map_err(map_rule)?;
        if total > order.remaining() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "order {order_id}: this invoice ({total}) is more than what remains to invoice ({})",
                    order.remaining()
                ),
            ));
        }
        let _w = self.db().writer().await;
        let mut tx = self.db().pool.begin().await.map_err(db_err("begin"))?;
        let n = next_counter(&mut tx, "invoice").await?;
        let number = format!("INV-{n:06}");
        let row = sqlx::query(
            "INSERT INTO invoices(number, source, order_id, company_id, currency, total, paid, status,
               import_id, created_at, created_by)
             VALUES (?, 'storefront', ?, ?, ?, ?, '0', 'open', ?, ?, ?) RETURNING id",
        )
        .bind(&number)
        .bind(order_id)
        .bind(order.company_id)
        .bind(&order.currency)
        .bind(total.to_string())
        .bind(format!("{}{}", self.config().import_source_code, order_id))
        .bind(now())
        .bind(actor)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err("create invoice"))?;
        let id: i64 = col(&row, "id")?;
        write_lines(&mut tx, id, lines).await?;
        sqlx::query("UPDATE orders SET invoiced_fingerprint = fingerprint WHERE id = ? AND invoiced_fingerprint IS NULL")
            .bind(order_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err("mark order invoiced"))?;
        tx.commit().await.map_err(db_err("commit"))?;
        drop(_w);
        self.audit(
            actor,
            "invoice.create",
            &number,
            &format!("order {order_id}, total {total}"),
        )
        .await?;
        self.invoice(id)
            .await?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "invoice vanished"))
    }

    /// Imports the ledger's open invoices (B3), for companies the portal knows (found through
    /// the storefront order of their import id). Already imported ones are updated, never
    /// doubled; an order already invoiced in the portal is not imported again.
    pub async fn import_ledger_invoices(&self, actor: &str) -> Result<usize> {
        let Some(source) = self.open_invoices() else {
            return Err(Error::new(
                ErrorKind::Config,
                "the portal has no ledger invoice source",
            ));
        };
        let found = source.open_invoices().await?;
        let mut n = 0;
        for inv in found {
            if self.import_one(actor, &inv).await? {
                n += 1;
            }
        }
        self.audit(actor, "invoice.import", "ledger", &format!("{n} imported"))
            .await?;
        Ok(n)
    }

    async fn import_one(&self, actor: &str, inv: &LedgerInvoice) -> Result<bool> {
        let Some(order_id) = inv.order_id.clone() else {
            return Ok(false);
        };
        let Some(order) = self.order(&order_id).await? else {
            return Ok(false);
        };
        let _w = self.db().writer().await;
        let mut tx = self.db().pool.begin().await.map_err(db_err("begin"))?;
        let exists = sqlx::query("SELECT id FROM invoices WHERE ledger_ref = ? OR (order_id = ? AND source = 'storefront')")
            .bind(&inv.ledger_ref)
            .bind(&order_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err("find imported"))?;
        if exists.is_some() {
            return Ok(false);
        }
        let n = next_counter(&mut tx, "invoice").await?;
        let number = format!("INV-{n:06}");
        let row = sqlx::query(
            "INSERT INTO invoices(number, source, order_id, company_id, currency, total, paid, status,
               ledger_ref, import_id, created_at, created_by)
             VALUES (?, 'ledger', ?, ?, ?, ?, '0', 'open', ?, ?, ?, ?) RETURNING id",
        )
        .bind(&number)
        .bind(&order_id)
        .bind(order.company_id)
        .bind(&inv.currency)
        .bind(inv.balance_due.to_string())
        .bind(&inv.ledger_ref)
        .bind(&inv.import_id)
        .bind(now())
        .bind(actor)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err("import invoice"))?;
        let id: i64 = col(&row, "id")?;
        let line = InvoiceLine {
            kind: LineKind::Item,
            sku: None,
            order_line: None,
            description: format!("Ledger document {}", inv.number),
            quantity: Decimal::ONE,
            unit_price: inv.balance_due,
        };
        write_lines(&mut tx, id, std::slice::from_ref(&line)).await?;
        sqlx::query("UPDATE orders SET invoiced_fingerprint = fingerprint WHERE id = ? AND invoiced_fingerprint IS NULL")
            .bind(&order_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err("mark order invoiced"))?;
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(true)
    }

    /// Invoices matching a filter, newest first.
    pub async fn invoices(&self, f: &InvoiceFilter) -> Result<Vec<Invoice>> {
        let like = |s: &Option<String>| {
            s.as_ref()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(|v| format!("%{}%", v.to_lowercase()))
        };
        let rows = sqlx::query(
            "SELECT i.*, c.name AS company_name FROM invoices i JOIN companies c ON c.id = i.company_id
             WHERE (? IS NULL OR LOWER(i.number) LIKE ?)
               AND (? IS NULL OR LOWER(c.name) LIKE ? OR LOWER(c.external_id) LIKE ?)
               AND (? IS NULL OR i.order_id = ?)
               AND (? IS NULL OR i.status = ?)
               AND (? IS NULL OR i.company_id = ?)
             ORDER BY i.id DESC",
        )
        .bind(like(&f.invoice))
        .bind(like(&f.invoice))
        .bind(like(&f.customer))
        .bind(like(&f.customer))
        .bind(like(&f.customer))
        .bind(f.order.as_deref().filter(|s| !s.is_empty()))
        .bind(f.order.as_deref().filter(|s| !s.is_empty()))
        .bind(f.status.as_deref().filter(|s| !s.is_empty()))
        .bind(f.status.as_deref().filter(|s| !s.is_empty()))
        .bind(f.company_id)
        .bind(f.company_id)
        .fetch_all(&self.db().pool)
        .await
        .map_err(db_err("list invoices"))?;
        rows.iter().map(invoice_from).collect()
    }

    /// One invoice.
    pub async fn invoice(&self, id: i64) -> Result<Option<Invoice>> {
        let row = sqlx::query(
            "SELECT i.*, c.name AS company_name FROM invoices i JOIN companies c ON c.id = i.company_id WHERE i.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.db().pool)
        .await
        .map_err(db_err("read invoice"))?;
        row.as_ref().map(invoice_from).transpose()
    }

    /// An invoice's lines.
    pub async fn invoice_lines(&self, id: i64) -> Result<Vec<InvoiceLine>> {
        let rows =
            sqlx::query("SELECT * FROM invoice_lines WHERE invoice_id = ? ORDER BY position")
                .bind(id)
                .fetch_all(&self.db().pool)
                .await
                .map_err(db_err("read lines"))?;
        rows.iter()
            .map(|r| {
                let kind: String = col(r, "kind")?;
                Ok(InvoiceLine {
                    kind: LineKind::parse(&kind).unwrap_or(LineKind::Item),
                    sku: col(r, "sku")?,
                    order_line: col(r, "order_line")?,
                    description: col(r, "description")?,
                    quantity: dec(r, "quantity")?,
                    unit_price: dec(r, "unit_price")?,
                })
            })
            .collect()
    }

    /// Replaces an invoice's lines (B4), within the rules: not completed; never below what
    /// was paid. Checked again inside the write lock, so a payment landing meanwhile wins.
    pub async fn update_invoice(
        &self,
        actor: &str,
        id: i64,
        lines: &[InvoiceLine],
    ) -> Result<Invoice> {
        let _w = self.db().writer().await;
        let inv = self.invoice(id).await?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("invoice {id} does not exist"))
        })?;
        let total = lines_total(&inv.number, &inv.currency, lines).map_err(map_rule)?;
        check_edit(&inv, total).map_err(map_rule)?;
        let status = InvoiceStatus::of(total, inv.paid);
        let mut tx = self.db().pool.begin().await.map_err(db_err("begin"))?;
        sqlx::query("DELETE FROM invoice_lines WHERE invoice_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err("clear lines"))?;
        write_lines(&mut tx, id, lines).await?;
        sqlx::query("UPDATE invoices SET total = ?, status = ? WHERE id = ?")
            .bind(total.to_string())
            .bind(status.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err("update invoice"))?;
        tx.commit().await.map_err(db_err("commit"))?;
        drop(_w);
        self.audit(
            actor,
            "invoice.edit",
            &inv.number,
            &format!("total {} -> {total}", inv.total),
        )
        .await?;
        self.invoice(id)
            .await?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "invoice vanished"))
    }

    /// Deletes an invoice (B4): only when nothing was paid on it.
    pub async fn delete_invoice(&self, actor: &str, id: i64) -> Result<()> {
        let _w = self.db().writer().await;
        let inv = self.invoice(id).await?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("invoice {id} does not exist"))
        })?;
        check_delete(&inv).map_err(map_rule)?;
        let mut tx = self.db().pool.begin().await.map_err(db_err("begin"))?;
        let pending = sqlx::query(
            "SELECT 1 FROM checkout_allocations a JOIN checkouts c ON c.id = a.checkout_id
             WHERE a.invoice_id = ? AND c.state IN ('new', 'order_created', 'paid')",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err("find checkouts"))?;
        if pending.is_some() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "invoice {} has a payment in progress: it cannot be deleted",
                    inv.number
                ),
            ));
        }
        sqlx::query("DELETE FROM invoice_lines WHERE invoice_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err("delete lines"))?;
        sqlx::query("DELETE FROM invoices WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err("delete invoice"))?;
        tx.commit().await.map_err(db_err("commit"))?;
        drop(_w);
        self.audit(
            actor,
            "invoice.delete",
            &inv.number,
            &format!("total {}", inv.total),
        )
        .await
    }
}

async fn write_lines(
    tx: &mut sqlx::SqliteConnection,
    invoice_id: i64,
    lines: &[InvoiceLine],
) -> Result<()> {
    for (n, l) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO invoice_lines(invoice_id, position, kind, sku, order_line, description, quantity, unit_price)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(invoice_id)
        .bind(n as i64)
        .bind(l.kind.as_str())
        .bind(&l.sku)
        .bind(&l.order_line)
        .bind(l.description.trim())
        .bind(l.quantity.normalize().to_string())
        .bind(l.unit_price.normalize().to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err("write line"))?;
    }
    Ok(())
}

/// BigCommerce's system status names.
pub fn status_label(id: &str) -> &'static str {
    match id {
        "0" => "Incomplete",
        "1" => "Pending",
        "2" => "Shipped",
        "3" => "Partially Shipped",
        "4" => "Refunded",
        "5" => "Cancelled",
        "6" => "Declined",
        "7" => "Awaiting Payment",
        "8" => "Awaiting Pickup",
        "9" => "Awaiting Shipment",
        "10" => "Completed",
        "11" => "Awaiting Fulfillment",
        "12" => "Manual Verification Required",
        "13" => "Disputed",
        "14" => "Partially Refunded",
        _ => "Unknown",
    }
}
