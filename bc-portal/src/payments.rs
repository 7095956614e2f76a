//! Payments (B5, B6): manual offline payments, buyers' checkouts through the gateway, the
//! payment dashboard. A payment applies to one or several invoices in one transaction, with an
//! outbox row per (payment, invoice) for the ledger.
//!
//! Exactly once: a checkout has a unique idempotency key (a double submit finds the first one);
//! its state moves `new → order_created → paid → applied` with conditional updates, so a
//! retried callback applies nothing twice; the amounts of in-flight checkouts are reserved, so
//! concurrent payments never overpay an invoice.

use bc_core::{Error, ErrorKind, Result};
use rust_decimal::Decimal;
use sqlx::SqliteConnection;

use crate::db::{col, db_err, dec, next_counter, now};
use crate::gateway::{CardDetails, PaymentOrder};
use crate::model::{money, round_money, InvoiceStatus, Payment};
use crate::Portal;

/// Filters of the payment dashboard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    /// Payment number (or part of it).
    pub payment: Option<String>,
    /// Customer (company name or external id, part of it).
    pub customer: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Only this company.
    pub company_id: Option<i64>,
}

/// A checkout's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkout {
    /// Id.
    pub id: i64,
    /// Company.
    pub company_id: i64,
    /// `new`, `order_created`, `paid`, `applied`, `failed`.
    pub state: String,
    /// Amount.
    pub amount: Decimal,
    /// The storefront payment order.
    pub storefront_order_id: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// Validates allocations against the invoices' balances less in-flight reservations (other
/// than `except_checkout`), inside the write transaction. Returns the currency.
async fn check_allocations(
    tx: &mut SqliteConnection,
    company_id: i64,
    allocations: &[(i64, Decimal)],
    except_checkout: Option<i64>,
) -> Result<String> {
    if allocations.is_empty() {
        return Err(Error::new(
            ErrorKind::Invalid,
            "select at least one invoice and an amount",
        ));
    }
    let mut currency: Option<String> = None;
    let mut seen = std::collections::BTreeSet::new();
    for (invoice_id, amount) in allocations {
        if !seen.insert(*invoice_id) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("invoice {invoice_id} is listed twice"),
            ));
        }
        let row = sqlx::query(
            "SELECT number, company_id, currency, total, paid FROM invoices WHERE id = ?",
        )
        .bind(invoice_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err("read invoice"))?;
        // Another company's invoice is "not found", never "forbidden".
        let Some(row) = row.filter(|r| col::<i64>(r, "company_id").ok() == Some(company_id)) else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("invoice {invoice_id} not found"),
            ));
        };
        let number: String = col(&row, "number")?;
        let cur: String = col(&row, "currency")?;
        if *amount <= Decimal::ZERO || round_money(*amount, &cur) != *amount {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("invoice {number}: amount {amount} must be positive, in whole cents"),
            ));
        }
        if currency.as_ref().is_some_and(|c| *c != cur) {
            return Err(Error::new(
                ErrorKind::Invalid,
                "one payment cannot mix currencies",
            ));
        }
        currency = Some(cur);
        let reserved_rows = sqlx::query(
            "SELECT a.amount FROM checkout_allocations a JOIN checkouts c ON c.id = a.checkout_id
             WHERE a.invoice_id = ? AND c.state IN ('new', 'order_created', 'paid') AND c.id <> ?",
        )
        .bind(invoice_id)
        .bind(except_checkout.unwrap_or(-1))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err("read reservations"))?;
        let mut reserved = Decimal::ZERO;
        for r in &reserved_rows {
            reserved += dec(r, "amount")?;
        }
        let open = dec(&row, "total")? - dec(&row, "paid")? - reserved;
        if *amount > open {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("invoice {number}: {amount} is more than the {open} open on it"),
            ));
        }
    }
    currency.ok_or_else(|| Error::new(ErrorKind::Invalid, "no invoice"))
}

/// Records a payment with its allocations and outbox rows, and updates the invoices.
#[allow(clippy::too_many_arguments)]
async fn insert_payment(
    tx: &mut SqliteConnection,
    company_id: i64,
    method: &str,
    reference: &str,
    memo: &str,
    currency: &str,
    allocations: &[(i64, Decimal)],
    checkout_id: Option<i64>,
    actor: &str,
) -> Result<(i64, String)> {
    let n = next_counter(&mut *tx, "payment").await?;
    let number = format!("PAY-{n:06}");
    let amount: Decimal = allocations.iter().map(|a| a.1).sum();
    let row = sqlx::query(
        "INSERT INTO payments(number, company_id, method, reference, memo, amount, currency, status,
           checkout_id, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'completed', ?, ?, ?) RETURNING id",
    )
    .bind(&number)
    .bind(company_id)
    .bind(method)
    .bind(reference)
    .bind(memo)
    .bind(amount.to_string())
    .bind(currency)
    .bind(checkout_id)
    .bind(now())
    .bind(actor)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err("insert payment"))?;
    let id: i64 = col(&row, "id")?;
    for (invoice_id, amount) in allocations {
        sqlx::query(
            "INSERT INTO payment_allocations(payment_id, invoice_id, amount) VALUES (?, ?, ?)",
        )
        .bind(id)
        .bind(invoice_id)
        .bind(amount.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err("insert allocation"))?;
        sqlx::query(
            "INSERT INTO receipt_outbox(payment_id, invoice_id, amount, state, attempts) VALUES (?, ?, ?, 'pending', 0)",
        )
        .bind(id)
        .bind(invoice_id)
        .bind(amount.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err("insert outbox"))?;
        let inv = sqlx::query("SELECT total, paid FROM invoices WHERE id = ?")
            .bind(invoice_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err("read invoice"))?;
        let paid = dec(&inv, "paid")? + amount;
        let status = InvoiceStatus::of(dec(&inv, "total")?, paid);
        sqlx::query("UPDATE invoices SET paid = ?, status = ? WHERE id = ?")
            .bind(paid.to_string())
            .bind(status.as_str())
            .bind(invoice_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err("update invoice"))?;
    }
    Ok((id, number))
}

fn checkout_from(r: &sqlx::sqlite::SqliteRow) -> Result<Checkout> {
    Ok(Checkout {
        id: col(r, "id")?,
        company_id: col(r, "company_id")?,
        state: col(r, "state")?,
        amount: dec(r, "amount")?,
        storefront_order_id: col(r, "storefront_order_id")?,
        error: col(r, "error")?,
    })
}

impl Portal {
    /// Records a manual offline payment (B5) for a company, applied to its open invoices.
    pub async fn record_offline_payment(
        &self,
        actor: &str,
        company_id: i64,
        reference: &str,
        memo: &str,
        allocations: &[(i64, Decimal)],
    ) -> Result<String> {
        if reference.trim().is_empty() && memo.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid,
                "enter the cheque number or a cash payment memo",
            ));
        }
        let _w = self.db().writer().await;
        let mut tx = self.db().pool.begin().await.map_err(db_err("begin"))?;
        let currency = check_allocations(&mut tx, company_id, allocations, None).await?;
        let (_, number) = insert_payment(
            &mut tx,
            company_id,
            "offline",
            reference.trim(),
            memo.trim(),
            &currency,
            allocations,
            None,
            actor,
        )
        .await?;
        tx.commit().await.map_err(db_err("commit"))?;
        drop(_w);
        let total: Decimal = allocations.iter().map(|a| a.1).sum();
        self.audit(
            actor,
            "payment.offline",
            &number,
            &format!("company {company_id}, {total} {currency}, ref {reference}"),
        )
        .await?;
        Ok(number)
    }

    /// Payments matching a filter, newest first, with their allocations.
    pub async fn payments(&self, f: &PaymentFilter) -> Result<Vec<Payment>> {
        let like = |s: &Option<String>| {
            s.as_ref()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(|v| format!("%{}%", v.to_lowercase()))
        };
        let rows = sqlx::query(
            "SELECT p.*, c.name AS company_name FROM payments p JOIN companies c ON c.id = p.company_id
             WHERE (? IS NULL OR LOWER(p.number) LIKE ?)
               AND (? IS NULL OR LOWER(c.name) LIKE ? OR LOWER(c.external_id) LIKE ?)
               AND (? IS NULL OR p.status = ?)
               AND (? IS NULL OR p.company_id = ?)
             ORDER BY p.id DESC",
        )
        .bind(like(&f.payment))
        .bind(like(&f.payment))
        .bind(like(&f.customer))
        .bind(like(&f.customer))
        .bind(like(&f.customer))
        .bind(f.status.as_deref().filter(|s| !s.is_empty()))
        .bind(f.status.as_deref().filter(|s| !s.is_empty()))
        .bind(f.company_id)
        .bind(f.company_id)
        .fetch_all(&self.db().pool)
        .await
        .map_err(db_err("list payments"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = col(r, "id")?;
            out.push(Payment {
                allocations: self.allocations_of_payment(id).await?,
                id,
                number: col(r, "number")?,
                company_id: col(r, "company_id")?,
                company_name: col(r, "company_name")?,
                method: col(r, "method")?,
                reference: col(r, "reference")?,
                memo: col(r, "memo")?,
                amount: dec(r, "amount")?,
                currency: col(r, "currency")?,
                status: col(r, "status")?,
                created_at: col(r, "created_at")?,
                created_by: col(r, "created_by")?,
            });
        }
        Ok(out)
    }

    async fn allocations_of_payment(&self, payment_id: i64) -> Result<Vec<(i64, String, Decimal)>> {
        let rows = sqlx::query(
            "SELECT a.invoice_id, i.number, a.amount FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id
             WHERE a.payment_id = ? ORDER BY a.invoice_id",
        )
        .bind(payment_id)
        .fetch_all(&self.db().pool)
        .await
        .map_err(db_err("read allocations"))?;
        rows.iter()
            .map(|r| Ok((col(r, "invoice_id")?, col(r, "number")?, dec(r, "amount")?)))
            .collect()
    }

    /// An invoice's payment history: (payment number, method, reference, memo, amount, date).
    pub async fn invoice_payments(&self, invoice_id: i64) -> Result<Vec<[String; 6]>> {
        let rows = sqlx::query(
            "SELECT p.number, p.method, p.reference, p.memo, a.amount, p.currency, p.created_at FROM payment_allocations a
             JOIN payments p ON p.id = a.payment_id WHERE a.invoice_id = ? ORDER BY p.id",
        )
        .bind(invoice_id)
        .fetch_all(&self.db().pool)
        .await
        .map_err(db_err("read payment history"))?;
        rows.iter()
            .map(|r| {
                Ok([
                    col(r, "number")?,
                    col(r, "method")?,
                    col(r, "reference")?,
                    col(r, "memo")?,
                    money(dec(r, "amount")?, &col::<String>(r, "currency")?),
                    col(r, "created_at")?,
                ])
            })
            .collect()
    }

    /// Starts a checkout for a buyer (B6). The same key again returns the first checkout
    /// (double submit). Amounts are reserved until it is applied or fails.
    pub async fn start_checkout(
        &self,
        key: &str,
        company_id: i64,
        user_id: i64,
        allocations: &[(i64, Decimal)],
    ) -> Result<i64> {
        if key.len() < 16 || key.len() > 128 {
            return Err(Error::new(
                ErrorKind::Invalid,
                "the checkout key is missing; reload the page",
            ));
        }
        let _w = self.db().writer().await;
        let mut tx = self.db().pool.begin().await.map_err(db_err("begin"))?;
        let existing =
            sqlx::query("SELECT id, company_id FROM checkouts WHERE idempotency_key = ?")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err("find checkout"))?;
        if let Some(r) = existing {
            if col::<i64>(&r, "company_id")? != company_id {
                return Err(Error::new(ErrorKind::NotFound, "checkout not found"));
            }
            return col(&r, "id");
        }
        let currency = check_allocations(&mut tx, company_id, allocations, None).await?;
        let amount: Decimal = allocations.iter().map(|a| a.1).sum();
        let row = sqlx::query(
            "INSERT INTO checkouts(idempotency_key, company_id, user_id, state, amount, currency, created_at)
             VALUES (?, ?, ?, 'new', ?, ?, ?) RETURNING id",
        )
        .bind(key)
        .bind(company_id)
        .bind(user_id)
        .bind(amount.to_string())
        .bind(&currency)
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err("insert checkout"))?;
        let id: i64 = col(&row, "id")?;
        for (invoice_id, amount) in allocations {
            sqlx::query("INSERT INTO checkout_allocations(checkout_id, invoice_id, amount) VALUES (?, ?, ?)")
                .bind(id)
                .bind(invoice_id)
                .bind(amount.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err("insert checkout allocation"))?;
        }
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(id)
    }

    /// A checkout.
    pub async fn checkout(&self, id: i64) -> Result<Option<Checkout>> {
        let row = sqlx::query("SELECT * FROM checkouts WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.db().pool)
            .await
            .map_err(db_err("read checkout"))?;
        row.as_ref().map(checkout_from).transpose()
    }

    async fn set_checkout(
        &self,
        id: i64,
        from: &[&str],
        to: &str,
        order: Option<&str>,
        error: Option<&str>,
    ) -> Result<bool> {
        let _w = self.db().writer().await;
        let placeholders = vec!["?"; from.len()].join(", ");
        let sql = format!(
            "UPDATE checkouts SET state = ?, storefront_order_id = COALESCE(?, storefront_order_id), error = ?
             WHERE id = ? AND state IN ({placeholders})"
        );
        let mut q = sqlx::query(&sql).bind(to).bind(order).bind(error).bind(id);
        for f in from {
            q = q.bind(*f);
        }
        let r = q
            .execute(&self.db().pool)
            .await
            .map_err(db_err("update checkout"))?;
        Ok(r.rows_affected() == 1)
    }

    /// Runs a checkout through the gateway: payment order, PAT, card payment, then applies it.
    /// A declined card fails the checkout (reservations released); an unknown outcome leaves
    /// it for [`Portal::complete_checkout`].
    pub async fn pay_checkout(
        &self,
        id: i64,
        buyer_email: &str,
        card: &CardDetails,
    ) -> Result<Checkout> {
        let gw = self.gateway().ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                "the portal has no payment gateway configured",
            )
        })?;
        let co = self
            .checkout(id)
            .await?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "checkout not found"))?;
        if co.state != "new" {
            return self.complete_checkout(id).await;
        }
        let lines = sqlx::query(
            "SELECT i.number, a.amount FROM checkout_allocations a JOIN invoices i ON i.id = a.invoice_id WHERE a.checkout_id = ?",
        )
        .bind(id)
        .fetch_all(&self.db().pool)
        .await
        .map_err(db_err("read checkout lines"))?;
        let company = sqlx::query("SELECT name, external_id FROM companies WHERE id = ?")
            .bind(co.company_id)
            .fetch_one(&self.db().pool)
            .await
            .map_err(db_err("read company"))?;
        let key: String = sqlx::query("SELECT idempotency_key FROM checkouts WHERE id = ?")
            .bind(id)
            .fetch_one(&self.db().pool)
            .await
            .map_err(db_err("read checkout"))
            .and_then(|r| col(&r, "idempotency_key"))?;
        let external: String = col(&company, "external_id")?;
        let order = PaymentOrder {
            customer_id: external.strip_prefix("bc:").map(str::to_string),
            company: col(&company, "name")?,
            email: buyer_email.to_string(),
            lines: lines
                .iter()
                .map(|r| {
                    Ok((
                        format!("Payment of invoice {}", col::<String>(r, "number")?),
                        dec(r, "amount")?,
                    ))
                })
                .collect::<Result<_>>()?,
            key,
        };
        let order_id = match gw.create_payment_order(&order).await {
            Ok(o) => o,
            Err(e) => {
                self.set_checkout(id, &["new"], "failed", None, Some(&e.to_string()))
                    .await?;
                return self
                    .checkout(id)
                    .await?
                    .ok_or_else(|| Error::new(ErrorKind::NotFound, "checkout"));
            }
        };
        if !self
            .set_checkout(id, &["new"], "order_created", Some(&order_id), None)
            .await?
        {
            // Another request took it (double submit racing): report that one's outcome.
            return self.complete_checkout(id).await;
        }
        match gw.pay(&order_id, card).await {
            Ok(txn) => {
                self.set_checkout(id, &["order_created"], "paid", None, None)
                    .await?;
                let _ = txn;
            }
            Err(e) if e.kind() == ErrorKind::Invalid || e.kind() == ErrorKind::Unauthenticated => {
                // Refused by the gateway: nothing was taken.
                self.set_checkout(id, &["order_created"], "failed", None, Some(&e.to_string()))
                    .await?;
            }
            Err(e) => {
                tracing::warn!(checkout = id, error = %e, "payment outcome unknown; checking the order");
            }
        }
        self.complete_checkout(id).await
    }

    /// The callback: finds out whether the checkout's order was paid, and applies the payment
    /// once. Safe to call any number of times.
    pub async fn complete_checkout(&self, id: i64) -> Result<Checkout> {
        let co = self
            .checkout(id)
            .await?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "checkout not found"))?;
        if co.state == "order_created" {
            if let (Some(gw), Some(order)) = (self.gateway(), &co.storefront_order_id) {
                if gw.paid(order).await?.is_some() {
                    self.set_checkout(id, &["order_created"], "paid", None, None)
                        .await?;
                }
            }
        }
        self.apply_checkout(id).await?;
        self.checkout(id)
            .await?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "checkout not found"))
    }

    async fn apply_checkout(&self, id: i64) -> Result<Option<String>> {
        let _w = self.db().writer().await;
        let mut tx = self.db().pool.begin().await.map_err(db_err("begin"))?;
        let r =
            sqlx::query("UPDATE checkouts SET state = 'applied' WHERE id = ? AND state = 'paid'")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err("apply checkout"))?;
        if r.rows_affected() != 1 {
            return Ok(None);
        }
        let co = sqlx::query("SELECT * FROM checkouts WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err("read checkout"))?;
        let co = checkout_from(&co)?;
        let rows = sqlx::query(
            "SELECT invoice_id, amount FROM checkout_allocations WHERE checkout_id = ?",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err("read checkout allocations"))?;
        let allocations: Vec<(i64, Decimal)> = rows
            .iter()
            .map(|r| Ok((col(r, "invoice_id")?, dec(r, "amount")?)))
            .collect::<Result<_>>()?;
        let currency: String = sqlx::query("SELECT currency FROM checkouts WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err("read checkout"))
            .and_then(|r| col(&r, "currency"))?;
        let order = co.storefront_order_id.clone().unwrap_or_default();
        let (_, number) = insert_payment(
            &mut tx,
            co.company_id,
            "card",
            &format!("storefront order {order}"),
            "Paid online with BigCommerce",
            &currency,
            &allocations,
            Some(id),
            "buyer",
        )
        .await?;
        tx.commit().await.map_err(db_err("commit"))?;
        drop(_w);
        self.audit(
            "buyer",
            "payment.card",
            &number,
            &format!("checkout {id}, order {order}, {}", co.amount),
        )
        .await?;
        Ok(Some(number))
    }
}
