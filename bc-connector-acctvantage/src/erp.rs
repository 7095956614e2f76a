//! The ERP itself: opening the database, its options, and the setup records a person keeps
//! (accounts, product classes, products, warehouses, ship vias, tax areas, receipt types).

use std::str::FromStr;
use std::time::Duration;

use bc_core::settings::Settings;
use bc_core::{Currency, Decimal, ErrorKind, ItemRef, LedgerRef, Result, Sku, SourceCode};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use tokio::sync::{Mutex, MutexGuard};

use crate::db::{db_err, dec, err, get, Conn};
use crate::schema::{self, DEFAULT_PRODUCT_CLASS, DEFAULT_WAREHOUSE};

/// How the ERP behaves where AcctVantage has a setting (seed `000`, "Integration Options").
#[derive(Clone, Debug)]
pub struct ErpOptions {
    /// The home currency.
    pub home_currency: Currency,
    /// Other currencies documents may be in (each posts to the GL in its own currency).
    pub currencies: Vec<Currency>,
    /// The fulfilment warehouse when a document names none (S3).
    pub default_warehouse: String,
    /// Create a missing ship via instead of refusing the order (S2).
    pub auto_create_ship_via: bool,
    /// The product class of created ship vias (S2).
    pub default_shipment_product_class: String,
    /// Create a missing tax area (on the sales tax payable account `2100`) instead of refusing
    /// the order. Off by default: a tax area is a mapping someone should decide.
    pub auto_create_tax_areas: bool,
    /// The import source code; when set, linking an ERP order to a storefront order also gives
    /// it that order's import id, so that the order coming back is recognised (E1 echo guard).
    pub import_source_code: Option<SourceCode>,
}

impl Default for ErpOptions {
    fn default() -> Self {
        ErpOptions {
            home_currency: Currency::USD,
            currencies: vec![
                Currency::EUR,
                Currency::GBP,
                Currency::CAD,
                Currency::AUD,
                Currency::JPY,
            ],
            default_warehouse: DEFAULT_WAREHOUSE.to_string(),
            auto_create_ship_via: false,
            default_shipment_product_class: schema::SHIPPING_PRODUCT_CLASS.to_string(),
            auto_create_tax_areas: false,
            import_source_code: None,
        }
    }
}

impl ErpOptions {
    /// The options the sync settings imply: warehouse, ship via creation and its product
    /// class (S2, S3), and the import source code.
    pub fn from_settings(settings: &Settings) -> Self {
        let mut o = ErpOptions::default();
        if let Some(w) = &settings.shipping.warehouse {
            o.default_warehouse = w.clone();
        }
        o.auto_create_ship_via = settings.shipping.auto_create_ship_via;
        if let Some(c) = &settings.shipping.default_shipment_product_class {
            o.default_shipment_product_class = c.clone();
        }
        o.import_source_code = Some(settings.sync.import_source_code);
        o
    }
}

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

/// The embedded AcctVantage-style ERP: a SQLite database (WAL) with clients, products,
/// warehouses, sales orders, receipts, shipments, credit memos and a double-entry general
/// ledger. It implements [`bc_core::Ledger`]; its own methods are what a person does in the
/// ERP (ship, post, adjust stock, enter an order).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), bc_core::Error> {
/// use bc_connector_acctvantage::Erp;
/// let erp = Erp::in_memory().await?;
/// assert!(erp.trial_balance().await?.is_balanced());
/// # Ok(())
/// # }
/// ```
pub struct Erp {
    pub(crate) pool: SqlitePool,
    write: Mutex<()>,
    pub(crate) options: ErpOptions,
}

impl std::fmt::Debug for Erp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Erp")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A write transaction: the in-process writer lock plus a SQLite transaction.
pub(crate) struct Write<'a> {
    _guard: MutexGuard<'a, ()>,
    pub(crate) tx: sqlx::Transaction<'a, sqlx::Sqlite>,
}

impl Write<'_> {
    pub(crate) fn conn(&mut self) -> &mut Conn {
        &mut self.tx
    }

    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(db_err("commit"))
    }
}

impl Erp {
    /// Opens (or creates) the ERP database at `path` with default options.
    pub async fn open(path: impl AsRef<std::path::Path>) -> Result<Erp> {
        Erp::open_with(path, ErpOptions::default()).await
    }

    /// Opens (or creates) the ERP database at `path`: WAL mode, foreign keys on, schema and
    /// seed chart of accounts applied.
    pub async fn open_with(path: impl AsRef<std::path::Path>, options: ErpOptions) -> Result<Erp> {
        let path = path.as_ref();
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(connect)
            .await
            .map_err(|e| {
                let msg = format!(
                    "cannot open the ERP database {}: {e} (check that its directory exists and is writable, or set `ledger.path`)",
                    path.display()
                );
                err(ErrorKind::Config, msg).with_source(e)
            })?;
        Erp::init(pool, options).await
    }

    /// A fresh ERP in memory (tests, dry runs), with default options.
    pub async fn in_memory() -> Result<Erp> {
        Erp::in_memory_with(ErpOptions::default()).await
    }

    /// A fresh ERP in memory with `options`.
    pub async fn in_memory_with(options: ErpOptions) -> Result<Erp> {
        let connect = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(db_err("open in memory"))?
            .foreign_keys(true);
        // One connection that never closes: an in-memory database lives as long as it.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(connect)
            .await
            .map_err(db_err("open in memory"))?;
        Erp::init(pool, options).await
    }

    async fn init(pool: SqlitePool, options: ErpOptions) -> Result<Erp> {
        let erp = Erp {
            pool,
            write: Mutex::new(()),
            options,
        };
        let mut w = erp.write().await?;
        sqlx::raw_sql(schema::SCHEMA)
            .execute(w.conn())
            .await
            .map_err(db_err("apply schema"))?;
        sqlx::raw_sql(schema::SEED)
            .execute(w.conn())
            .await
            .map_err(db_err("seed chart of accounts"))?;
        let wh = erp.options.default_warehouse.clone();
        sqlx::query("INSERT OR IGNORE INTO warehouses(code, name) VALUES (?, ?)")
            .bind(&wh)
            .bind(&wh)
            .execute(w.conn())
            .await
            .map_err(db_err("create default warehouse"))?;
        w.commit().await?;
        Ok(erp)
    }

    /// The options it runs with.
    pub fn options(&self) -> &ErpOptions {
        &self.options
    }

    pub(crate) async fn write(&self) -> Result<Write<'_>> {
        let guard = self.write.lock().await;
        // IMMEDIATE: take SQLite's write lock up front, so that another process writing the
        // same file makes us wait (busy timeout) instead of failing mid-transaction.
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err("begin"))?;
        Ok(Write { _guard: guard, tx })
    }

    pub(crate) async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>> {
        self.pool.acquire().await.map_err(db_err("connect"))
    }

    // ----- chart of accounts -----

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

// ----- helpers used inside write transactions -----

/// Resolves an account by code, or by name (case-insensitive); unknown → `Invalid`.
pub(crate) async fn resolve_account(c: &mut Conn, code_or_name: &str) -> Result<String> {
    let key = code_or_name.trim();
    let row = sqlx::query(
        "SELECT code FROM accounts WHERE code = ?1
         UNION ALL SELECT code FROM accounts WHERE name = ?1 COLLATE NOCASE LIMIT 1",
    )
    .bind(key)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find account"))?;
    match row {
        Some(r) => get(&r, "code"),
        None => Err(err(
            ErrorKind::Invalid,
            format!(
                "GL account `{key}` is not in the chart of accounts: use one of the seeded codes \
                 (1000 bank, 1050 clearing, 1100 A/R, 2100 sales tax, 2300 gift cards, 4000 sales, \
                 4100 shipping, 4900 discounts, 6100 fees, 6990 rounding…) or add it with Erp::add_account"
            ),
        )),
    }
}

/// The (income, COGS, inventory) accounts of a product class.
pub(crate) async fn class_accounts(c: &mut Conn, class: &str) -> Result<(String, String, String)> {
    let row = sqlx::query(
        "SELECT income_account, cogs_account, inventory_account FROM product_classes WHERE code = ?",
    )
    .bind(class)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find product class"))?
    .ok_or_else(|| {
        err(
            ErrorKind::Invalid,
            format!("product class `{class}` does not exist: add it with Erp::add_product_class"),
        )
    })?;
    Ok((
        get(&row, "income_account")?,
        get(&row, "cogs_account")?,
        get(&row, "inventory_account")?,
    ))
}

pub(crate) async fn ensure_warehouse(c: &mut Conn, warehouse: &str) -> Result<()> {
    let found = sqlx::query("SELECT 1 FROM warehouses WHERE code = ?")
        .bind(warehouse)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err("find warehouse"))?;
    if found.is_none() {
        return Err(err(
            ErrorKind::NotFound,
            format!("warehouse `{warehouse}` does not exist: add it with Erp::add_warehouse"),
        ));
    }
    Ok(())
}

pub(crate) async fn insert_product(c: &mut Conn, p: &NewProduct, class: &str) -> Result<ItemRef> {
    if p.sku.trim().is_empty() || p.name.trim().is_empty() {
        return Err(err(ErrorKind::Invalid, "a product needs a SKU and a name"));
    }
    class_accounts(c, class).await?;
    let clash = sqlx::query("SELECT sku, name FROM products WHERE sku = ? OR name = ? LIMIT 1")
        .bind(&p.sku)
        .bind(&p.name)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err("find product"))?;
    if let Some(r) = clash {
        let (sku, name): (String, String) = (get(&r, "sku")?, get(&r, "name")?);
        return Err(err(
            ErrorKind::Conflict,
            if sku == p.sku {
                format!("a product with SKU `{sku}` already exists")
            } else {
                format!("a product named `{name}` already exists (SKU `{sku}`)")
            },
        ));
    }
    let row = sqlx::query(
        "INSERT INTO products(sku, name, product_class, tracks_inventory, unit_price, unit_cost)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&p.sku)
    .bind(&p.name)
    .bind(class)
    .bind(i64::from(p.tracks_inventory))
    .bind(p.unit_price.to_string())
    .bind(p.unit_cost.to_string())
    .fetch_one(&mut *c)
    .await
    .map_err(db_err("add product"))?;
    let id: i64 = get(&row, "id")?;
    if p.tracks_inventory {
        // A stock row in every warehouse, so that the availability feed reports the new
        // product (at zero) instead of leaving the storefront's own quantity standing.
        let warehouses = sqlx::query("SELECT code FROM warehouses ORDER BY code")
            .fetch_all(&mut *c)
            .await
            .map_err(db_err("list warehouses"))?;
        for w in &warehouses {
            let seq = crate::db::next(c, "seq").await?;
            sqlx::query(
                "INSERT OR IGNORE INTO stock(product_id, warehouse, on_hand, committed, seq) VALUES (?, ?, '0', '0', ?)",
            )
            .bind(id)
            .bind(get::<String>(w, "code")?)
            .bind(seq)
            .execute(&mut *c)
            .await
            .map_err(db_err("create stock"))?;
        }
    }
    Ok(ItemRef {
        at: LedgerRef::new(id.to_string()).with_number(p.sku.clone()),
        name: p.name.clone(),
        sku: Some(Sku::new(p.sku.clone())),
        tracks_inventory: p.tracks_inventory,
    })
}

/// Adds `d_on_hand` and `d_committed` to a product's stock in a warehouse and stamps the
/// change with a fresh sequence number (the availability feed).
pub(crate) async fn change_stock(
    c: &mut Conn,
    product_id: i64,
    warehouse: &str,
    d_on_hand: Decimal,
    d_committed: Decimal,
) -> Result<()> {
    if d_on_hand.is_zero() && d_committed.is_zero() {
        return Ok(());
    }
    let row =
        sqlx::query("SELECT on_hand, committed FROM stock WHERE product_id = ? AND warehouse = ?")
            .bind(product_id)
            .bind(warehouse)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err("read stock"))?;
    let (on_hand, committed) = match row {
        Some(r) => (dec(&r, "on_hand")?, dec(&r, "committed")?),
        None => (Decimal::ZERO, Decimal::ZERO),
    };
    let seq = crate::db::next(c, "seq").await?;
    sqlx::query(
        "INSERT INTO stock(product_id, warehouse, on_hand, committed, seq) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(product_id, warehouse) DO UPDATE SET on_hand = excluded.on_hand,
         committed = excluded.committed, seq = excluded.seq",
    )
    .bind(product_id)
    .bind(warehouse)
    .bind((on_hand + d_on_hand).normalize().to_string())
    .bind((committed + d_committed).normalize().to_string())
    .bind(seq)
    .execute(&mut *c)
    .await
    .map_err(db_err("write stock"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_unique_index_refuses_a_second_document_with_the_same_import_id() {
        let erp = Erp::in_memory().await.unwrap();
        let mut w = erp.write().await.unwrap();
        sqlx::query("INSERT INTO clients(code, display_name) VALUES ('C-1', 'A')")
            .execute(w.conn())
            .await
            .unwrap();
        let insert = "INSERT INTO sales_orders(number, kind, origin, import_id, client_id, status, status_seq,
            status_changed_at, seq, version, currency, exchange_rate, date, warehouse, total, balance_due, created_at)
            VALUES (?, 'sales_order', 'storefront', 'BC11', 1, 'Open', 0, '', 0, 1, 'USD', '1', '2024-01-01', 'MAIN', '1', '1', '')";
        sqlx::query(insert)
            .bind("SO-1")
            .execute(w.conn())
            .await
            .unwrap();
        let e = sqlx::query(insert)
            .bind("SO-2")
            .execute(w.conn())
            .await
            .unwrap_err();
        assert_eq!(crate::db::db_err("insert")(e).kind(), ErrorKind::Conflict);
    }
}
