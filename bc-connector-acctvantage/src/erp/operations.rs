//! What a person does in the ERP: ship, change a status, post (the only way an order is
//! posted, T2), enter an order (E1), take a payment, capture a pre-authorisation.

use bc_core::money::round_dp;
use bc_core::{Currency, Decimal, ErrorKind, LedgerRef, ReceiptState, Result, ShipmentLine};
use chrono::NaiveDate;

use crate::db::orders::load_head;
use crate::db::schema::accounts;
use crate::db::{id_of, next, number, Erp};
use crate::error::{db_err, err};
use crate::mapping::accounts::{
    class_accounts, ensure_warehouse, product_where, resolve_ship_via, tax_area_account,
};
use crate::mapping::sales::write_lines;
use crate::mapping::{posting, receipt, shipment};
use crate::wire::{get, Line, SalesOrderStatus, Tax};

/// A line of an order entered in the ERP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSalesOrderLine {
    /// SKU of an existing product.
    pub sku: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit price excluding tax.
    pub unit_price: Decimal,
}

/// An order entered in the ERP (E1): it has no import id until it is created in the
/// storefront and linked ([`bc_core::Ledger::link_storefront_order`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSalesOrder {
    /// The client.
    pub client: LedgerRef,
    /// Number; the `SO-` sequence when `None`.
    pub number: Option<String>,
    /// Lines.
    pub lines: Vec<NewSalesOrderLine>,
    /// Shipping charged, excluding tax.
    pub shipping: Decimal,
    /// Taxes: (tax area, amount).
    pub taxes: Vec<(String, Decimal)>,
    /// Ship via.
    pub ship_via: Option<String>,
    /// Warehouse; the default when `None`.
    pub warehouse: Option<String>,
    /// Currency; the home currency when `None`.
    pub currency: Option<Currency>,
    /// Date; today when `None`.
    pub date: Option<NaiveDate>,
}

impl Erp {
    /// Processes a shipment of `order`: tracking number, carrier and lines (by storefront line
    /// id or SKU; empty = everything still to ship). On-hand goes down, committed stock is
    /// released, COGS is written for products with a cost; the order becomes `Shipped` or
    /// `Partially Shipped`, and the shipment appears in [`bc_core::Ledger::shipments`].
    pub async fn process_shipment(
        &self,
        order: &LedgerRef,
        tracking: &str,
        carrier: &str,
        lines: &[ShipmentLine],
    ) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let tracking = Some(tracking).filter(|t| !t.trim().is_empty());
        let carrier = Some(carrier).filter(|t| !t.trim().is_empty());
        let r = shipment::process_shipment(w.conn(), order, tracking, carrier, lines).await?;
        w.commit().await?;
        Ok(r)
    }

    /// Changes an order's status as a person in the ERP does: `Posted` posts it, `Completed`
    /// closes a posted order, `Cancelled` releases its committed stock.
    pub async fn set_status(&self, order: &LedgerRef, status: SalesOrderStatus) -> Result<()> {
        let mut w = self.write().await?;
        posting::set_status(w.conn(), order, status.as_str(), true).await?;
        w.commit().await
    }

    /// Posts (invoices) an order: writes its balanced sales journal and sets it `Posted`.
    /// The only way an order is posted (T2).
    pub async fn post(&self, order: &LedgerRef) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        posting::post_order(w.conn(), order, true).await?;
        let h = load_head(w.conn(), order).await?;
        w.commit().await?;
        Ok(h.at())
    }

    /// Posts several orders in one transaction (each in its own savepoint): one result per
    /// order, in order. What [`Erp::post`] does, for a person posting a day's orders at once.
    pub async fn post_many(&self, orders: &[LedgerRef]) -> Result<Vec<Result<LedgerRef>>> {
        let mut w = self.write().await?;
        let mut out = Vec::with_capacity(orders.len());
        for order in orders {
            let c = w.conn();
            sqlx::query("SAVEPOINT post")
                .execute(&mut *c)
                .await
                .map_err(db_err("savepoint"))?;
            let r = match posting::post_order(c, order, true).await {
                Ok(_) => load_head(c, order).await.map(|h| h.at()),
                Err(e) => Err(e),
            };
            if r.is_err() {
                sqlx::query("ROLLBACK TO post")
                    .execute(&mut *c)
                    .await
                    .map_err(db_err("savepoint"))?;
            }
            sqlx::query("RELEASE post")
                .execute(&mut *c)
                .await
                .map_err(db_err("savepoint"))?;
            out.push(r);
        }
        w.commit().await?;
        Ok(out)
    }

    /// Enters an order in the ERP (E1). Amounts are quantity × unit price rounded to the
    /// currency's minor unit; stock is committed.
    pub async fn create_order(&self, o: &NewSalesOrder) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let c = w.conn();
        let currency = o.currency.unwrap_or(self.options.home_currency);
        let dp = currency.minor_units();
        let client_id = id_of("client", &o.client.id)?;
        let found = sqlx::query("SELECT 1 FROM clients WHERE id = ?")
            .bind(client_id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err("find client"))?;
        if found.is_none() {
            return Err(err(
                ErrorKind::NotFound,
                format!("client {} does not exist", o.client),
            ));
        }
        if o.lines.is_empty() {
            return Err(err(ErrorKind::Invalid, "an order needs at least one line"));
        }
        let warehouse = o
            .warehouse
            .clone()
            .unwrap_or_else(|| self.options.default_warehouse.clone());
        ensure_warehouse(c, &warehouse).await?;
        let ship_via = resolve_ship_via(c, &self.options, o.ship_via.as_deref(), None).await?;
        let mut lines = Vec::new();
        for l in &o.lines {
            if l.quantity <= Decimal::ZERO {
                return Err(err(
                    ErrorKind::Invalid,
                    format!("line {}: quantity {} must be positive", l.sku, l.quantity),
                ));
            }
            let p = product_where(c, "p.sku = ?", &l.sku)
                .await?
                .ok_or_else(|| {
                    err(
                        ErrorKind::NotFound,
                        format!("no product has SKU `{}`", l.sku),
                    )
                })?;
            lines.push(Line {
                kind: "item",
                code: None,
                line_id: Some(format!("{}", lines.len() + 1)),
                account: p.income.clone(),
                sku: Some(p.sku.clone()),
                product: Some(p),
                description: l.sku.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                amount: round_dp(l.quantity * l.unit_price, dp),
                tax_code: None,
            });
        }
        if !o.shipping.is_zero() {
            let account = match &ship_via {
                Some((_, class)) => class_accounts(c, class).await?.0,
                None => accounts::SHIPPING_INCOME.to_string(),
            };
            lines.push(Line {
                kind: "shipping",
                code: None,
                line_id: None,
                product: None,
                account,
                description: "Shipping".into(),
                sku: None,
                quantity: Decimal::ONE,
                unit_price: o.shipping,
                amount: round_dp(o.shipping, dp),
                tax_code: None,
            });
        }
        let mut taxes = Vec::new();
        for (area, amount) in &o.taxes {
            taxes.push(Tax {
                account: tax_area_account(c, &self.options, area).await?,
                area: area.clone(),
                zone: area.clone(),
                rate: Decimal::ZERO,
                line: None,
                taxable: Decimal::ZERO,
                amount: round_dp(*amount, dp),
            });
        }
        let total: Decimal = lines.iter().map(|l| l.amount).sum::<Decimal>()
            + taxes.iter().map(|t| t.amount).sum::<Decimal>();
        let number = match &o.number {
            Some(n) => n.clone(),
            None => number("SO", next(c, "SO").await?),
        };
        let seq = next(c, "seq").await?;
        let now = crate::db::now();
        let row = sqlx::query(
            "INSERT INTO sales_orders(number, kind, origin, client_id, status, status_seq, status_changed_at,
             seq, version, currency, exchange_rate, date, warehouse, ship_via, total, balance_due, created_at)
             VALUES (?, 'sales_order', 'erp', ?, 'Open', 0, ?, ?, 1, ?, '1', ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&number)
        .bind(client_id)
        .bind(&now)
        .bind(seq)
        .bind(currency.code())
        .bind(o.date.unwrap_or_else(|| chrono::Utc::now().date_naive()).to_string())
        .bind(&warehouse)
        .bind(ship_via.map(|s| s.0))
        .bind(total.to_string())
        .bind(total.to_string())
        .bind(&now)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err("enter sales order"))?;
        let id: i64 = get(&row, "id")?;
        write_lines(c, id, &lines, &taxes, &warehouse).await?;
        w.commit().await?;
        Ok(LedgerRef::new(id.to_string())
            .with_number(number)
            .with_version("1"))
    }

    /// Records a captured payment on an order (a person taking a payment in the ERP).
    pub async fn receive_payment(
        &self,
        order: &LedgerRef,
        receipt_type: &str,
        amount: Decimal,
        reference: Option<&str>,
    ) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let c = w.conn();
        let h = load_head(c, order).await?;
        let row = sqlx::query(
            "SELECT COALESCE(MAX(sequence) + 1, 0) AS n FROM receipts WHERE order_id = ?",
        )
        .bind(h.id)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err("read receipts"))?;
        let seq = u32::try_from(get::<i64>(&row, "n")?).unwrap_or(u32::MAX);
        let r = receipt::insert_receipt(
            c,
            &h,
            seq,
            receipt_type,
            None,
            amount,
            h.currency,
            ReceiptState::Captured,
            chrono::Utc::now().date_naive(),
            reference,
        )
        .await?;
        w.commit().await?;
        Ok(r)
    }

    /// Captures a pre-authorised receipt (P2): the money is now in the clearing account.
    pub async fn capture_receipt(&self, receipt: &LedgerRef) -> Result<()> {
        let mut w = self.write().await?;
        receipt::capture_receipt(w.conn(), receipt).await?;
        w.commit().await
    }
}
