//! The setup records a person keeps in the ERP: the chart of accounts, product classes,
//! products, warehouses, ship vias, tax areas, receipt types, and stock counts.

use bc_core::{Decimal, ErrorKind, ItemRef, Result};
use sqlx::Row;

use crate::db::schema::{self, DEFAULT_PRODUCT_CLASS};
use crate::db::{change_stock, Erp};
use crate::error::{db_err, err};
use crate::mapping::accounts::{class_accounts, ensure_warehouse, resolve_account};
use crate::mapping::item::insert_product;
use crate::wire::{dec, get};

/// The kind of a GL account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// Asset (bank, clearing, receivables, inventory).
    Asset,
    /// Liability (tax payable, gift cards).
    Liability,
    /// Equity.
    Equity,
    /// Income (and contra income such as discounts).
    Income,
    /// Expense (COGS, fees).
    Expense,
}

impl AccountKind {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Asset => "asset",
            AccountKind::Liability => "liability",
            AccountKind::Equity => "equity",
            AccountKind::Income => "income",
            AccountKind::Expense => "expense",
        }
    }

    fn parse(s: &str) -> AccountKind {
        match s {
            "asset" => AccountKind::Asset,
            "liability" => AccountKind::Liability,
            "equity" => AccountKind::Equity,
            "income" => AccountKind::Income,
            _ => AccountKind::Expense,
        }
    }
}

/// A GL account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Code (`"1100"`).
    pub code: String,
    /// Name (`"Accounts receivable"`).
    pub name: String,
    /// Kind.
    pub kind: AccountKind,
}

/// A product to add to the ERP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProduct {
    /// SKU (unique).
    pub sku: String,
    /// Name (unique).
    pub name: String,
    /// Product class (decides the income, COGS and inventory accounts); `GOODS` by default.
    pub product_class: Option<String>,
    /// Whether stock is tracked per warehouse.
    pub tracks_inventory: bool,
    /// Sales price.
    pub unit_price: Decimal,
    /// Cost, for COGS at shipment (0 = no COGS journal).
    pub unit_cost: Decimal,
}

/// Stock of one product in one warehouse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLevel {
    /// SKU.
    pub sku: String,
    /// Warehouse code.
    pub warehouse: String,
    /// On hand.
    pub on_hand: Decimal,
    /// Committed to open sales orders.
    pub committed: Decimal,
    /// On hand − committed (may be negative: back-ordered).
    pub available: Decimal,
}

impl Erp {
    /// Adds a GL account (or renames it when the code exists with the same kind).
    pub async fn add_account(&self, code: &str, name: &str, kind: AccountKind) -> Result<()> {
        let code = code.trim();
        if code.is_empty() || name.trim().is_empty() {
            return Err(err(
                ErrorKind::Invalid,
                "an account needs a code and a name",
            ));
        }
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO accounts(code, name, kind) VALUES (?, ?, ?)
             ON CONFLICT(code) DO UPDATE SET name = excluded.name, kind = excluded.kind",
        )
        .bind(code)
        .bind(name.trim())
        .bind(kind.as_str())
        .execute(w.conn())
        .await
        .map_err(db_err("add account"))?;
        w.commit().await
    }

    /// The chart of accounts, by code.
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        let mut c = self.read().await?;
        let rows = sqlx::query("SELECT code, name, kind FROM accounts ORDER BY code")
            .fetch_all(&mut *c)
            .await
            .map_err(db_err("list accounts"))?;
        rows.iter()
            .map(|r| {
                Ok(Account {
                    code: get(r, "code")?,
                    name: get(r, "name")?,
                    kind: AccountKind::parse(&get::<String>(r, "kind")?),
                })
            })
            .collect()
    }

    /// Adds (or changes) a product class and its income, COGS and inventory accounts.
    pub async fn add_product_class(
        &self,
        code: &str,
        income_account: &str,
        cogs_account: &str,
        inventory_account: &str,
    ) -> Result<()> {
        let mut w = self.write().await?;
        let c = w.conn();
        let income = resolve_account(c, income_account).await?;
        let cogs = resolve_account(c, cogs_account).await?;
        let inv = resolve_account(c, inventory_account).await?;
        sqlx::query(
            "INSERT INTO product_classes(code, income_account, cogs_account, inventory_account)
             VALUES (?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET income_account = excluded.income_account,
             cogs_account = excluded.cogs_account, inventory_account = excluded.inventory_account",
        )
        .bind(code.trim())
        .bind(income)
        .bind(cogs)
        .bind(inv)
        .execute(w.conn())
        .await
        .map_err(db_err("add product class"))?;
        w.commit().await
    }

    /// Adds a tax area posting to `gl_account` (a liability).
    pub async fn add_tax_area(&self, code: &str, gl_account: &str) -> Result<()> {
        let mut w = self.write().await?;
        let acct = resolve_account(w.conn(), gl_account).await?;
        sqlx::query(
            "INSERT INTO tax_areas(code, gl_account) VALUES (?, ?)
             ON CONFLICT(code) DO UPDATE SET gl_account = excluded.gl_account",
        )
        .bind(code.trim())
        .bind(acct)
        .execute(w.conn())
        .await
        .map_err(db_err("add tax area"))?;
        w.commit().await
    }

    /// Adds a receipt type depositing to `gl_account` (a clearing or bank account).
    pub async fn add_receipt_type(&self, code: &str, gl_account: &str) -> Result<()> {
        let mut w = self.write().await?;
        let acct = resolve_account(w.conn(), gl_account).await?;
        sqlx::query(
            "INSERT INTO receipt_types(code, gl_account) VALUES (?, ?)
             ON CONFLICT(code) DO UPDATE SET gl_account = excluded.gl_account",
        )
        .bind(code.trim())
        .bind(acct)
        .execute(w.conn())
        .await
        .map_err(db_err("add receipt type"))?;
        w.commit().await
    }

    /// Adds a warehouse.
    pub async fn add_warehouse(&self, code: &str, name: &str) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query("INSERT OR IGNORE INTO warehouses(code, name) VALUES (?, ?)")
            .bind(code.trim())
            .bind(name)
            .execute(w.conn())
            .await
            .map_err(db_err("add warehouse"))?;
        w.commit().await
    }

    /// Adds a ship via with its product class (`SHIPPING` when `None`) and carrier.
    pub async fn add_ship_via(
        &self,
        code: &str,
        product_class: Option<&str>,
        carrier: Option<&str>,
    ) -> Result<()> {
        let mut w = self.write().await?;
        let class = product_class.unwrap_or(schema::SHIPPING_PRODUCT_CLASS);
        class_accounts(w.conn(), class).await?;
        sqlx::query(
            "INSERT INTO ship_vias(code, product_class, carrier) VALUES (?, ?, ?)
             ON CONFLICT(code) DO UPDATE SET product_class = excluded.product_class, carrier = excluded.carrier",
        )
        .bind(code.trim())
        .bind(class)
        .bind(carrier)
        .execute(w.conn())
        .await
        .map_err(db_err("add ship via"))?;
        w.commit().await
    }

    /// The ship vias: (code, product class, carrier).
    pub async fn ship_vias(&self) -> Result<Vec<(String, String, Option<String>)>> {
        let mut c = self.read().await?;
        let rows = sqlx::query("SELECT code, product_class, carrier FROM ship_vias ORDER BY code")
            .fetch_all(&mut *c)
            .await
            .map_err(db_err("list ship vias"))?;
        rows.iter()
            .map(|r| {
                Ok((
                    get(r, "code")?,
                    get(r, "product_class")?,
                    get(r, "carrier")?,
                ))
            })
            .collect()
    }

    /// Adds a product. A SKU or name already used is a `Conflict`.
    pub async fn add_product(&self, p: &NewProduct) -> Result<ItemRef> {
        let mut w = self.write().await?;
        let class = p.product_class.as_deref().unwrap_or(DEFAULT_PRODUCT_CLASS);
        let r = insert_product(w.conn(), p, class).await?;
        w.commit().await?;
        Ok(r)
    }

    /// Adds `delta` to the on-hand quantity of `sku` in `warehouse` (a count, a receipt of
    /// goods, a write-off) and returns the new level.
    pub async fn adjust_stock(
        &self,
        sku: &str,
        warehouse: &str,
        delta: Decimal,
    ) -> Result<StockLevel> {
        let mut w = self.write().await?;
        let c = w.conn();
        ensure_warehouse(c, warehouse).await?;
        let row = sqlx::query("SELECT id, tracks_inventory FROM products WHERE sku = ?")
            .bind(sku)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err("find product"))?
            .ok_or_else(|| err(ErrorKind::NotFound, format!("no product has SKU `{sku}`")))?;
        let id: i64 = get(&row, "id")?;
        if get::<i64>(&row, "tracks_inventory")? == 0 {
            return Err(err(
                ErrorKind::Invalid,
                format!("product `{sku}` does not track inventory"),
            ));
        }
        change_stock(c, id, warehouse, delta, Decimal::ZERO).await?;
        w.commit().await?;
        self.stock(sku, warehouse).await
    }

    /// The stock of `sku` in `warehouse` (zero when never moved).
    pub async fn stock(&self, sku: &str, warehouse: &str) -> Result<StockLevel> {
        let mut c = self.read().await?;
        let row = sqlx::query(
            "SELECT s.on_hand, s.committed FROM products p
             LEFT JOIN stock s ON s.product_id = p.id AND s.warehouse = ? WHERE p.sku = ?",
        )
        .bind(warehouse)
        .bind(sku)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err("read stock"))?
        .ok_or_else(|| err(ErrorKind::NotFound, format!("no product has SKU `{sku}`")))?;
        let on_hand = if row
            .try_get::<Option<String>, _>("on_hand")
            .ok()
            .flatten()
            .is_some()
        {
            dec(&row, "on_hand")?
        } else {
            Decimal::ZERO
        };
        let committed = if row
            .try_get::<Option<String>, _>("committed")
            .ok()
            .flatten()
            .is_some()
        {
            dec(&row, "committed")?
        } else {
            Decimal::ZERO
        };
        Ok(StockLevel {
            sku: sku.to_string(),
            warehouse: warehouse.to_string(),
            on_hand,
            committed,
            available: on_hand - committed,
        })
    }
}
