//! Sales orders: import (with the import id on the Notes), update while editable (O14),
//! status workflow, posting to the GL (only here, T2), shipments and receipts.

use std::str::FromStr;

use bc_core::money::round_dp;
use bc_core::{
    Currency, Decimal, DocNumber, DocumentKind, ErrorKind, ImportId, LedgerDocument, LedgerRef,
    PostingTarget, ReceiptPosting, ReceiptState, Result, SalesDocument, SalesLineKind,
    ShipmentLine,
};
use chrono::NaiveDate;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::db::{db_err, dec, err, get, id_of, next, number, Conn};
use crate::erp::{change_stock, class_accounts, ensure_warehouse, resolve_account, ErpOptions};
use crate::gl::{write_journal, Draft};
use crate::schema::accounts;
use crate::status::SalesOrderStatus;

/// A document line with its GL account resolved.
pub(crate) struct Line {
    pub kind: &'static str,
    pub code: Option<String>,
    pub line_id: Option<String>,
    pub product: Option<Product>,
    pub account: String,
    pub description: String,
    pub sku: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub amount: Decimal,
    pub tax_code: Option<String>,
}

/// A product as posting needs it.
#[derive(Clone)]
pub(crate) struct Product {
    pub id: i64,
    pub sku: String,
    pub tracks: bool,
    pub income: String,
    pub cogs: String,
    pub inventory: String,
    pub unit_cost: Decimal,
}

pub(crate) struct Tax {
    pub area: String,
    /// The tax area's GL account, resolved at import so that an unknown area is refused then.
    #[allow(dead_code)]
    pub account: String,
    pub zone: String,
    pub rate: Decimal,
    pub line: Option<usize>,
    pub taxable: Decimal,
    pub amount: Decimal,
}

/// The header of a stored sales order.
pub(crate) struct Head {
    pub id: i64,
    pub number: String,
    pub kind: DocumentKind,
    pub origin: String,
    pub import_id: Option<String>,
    pub storefront_order: Option<String>,
    pub client_id: i64,
    pub status: SalesOrderStatus,
    pub version: i64,
    pub has_shipments: bool,
    pub currency: Currency,
    pub date: NaiveDate,
    pub warehouse: String,
    pub ship_via: Option<String>,
    pub total: Decimal,
    pub balance_due: Decimal,
}

impl Head {
    pub fn editable(&self) -> bool {
        !self.status.is_posted()
            && self.status != SalesOrderStatus::Cancelled
            && !self.has_shipments
    }

    pub fn at(&self) -> LedgerRef {
        LedgerRef::new(self.id.to_string())
            .with_number(self.number.clone())
            .with_version(self.version.to_string())
    }

    pub fn import_id(&self) -> Option<ImportId> {
        self.import_id.as_deref().and_then(|s| s.parse().ok())
    }

    pub fn document(&self) -> Result<LedgerDocument> {
        let import_id = self.import_id().ok_or_else(|| {
            err(
                ErrorKind::Internal,
                format!("sales order {} has no import id", self.number),
            )
        })?;
        Ok(LedgerDocument {
            at: self.at(),
            kind: self.kind,
            import_id,
            total: self.total,
            currency: self.currency,
            editable: self.editable(),
            status: Some(self.status.to_string()),
        })
    }
}

pub(crate) fn kind_str(k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::Invoice => "invoice",
        DocumentKind::SalesReceipt => "sales_receipt",
        DocumentKind::SalesOrder => "sales_order",
    }
}

fn parse_kind(s: &str) -> DocumentKind {
    match s {
        "invoice" => DocumentKind::Invoice,
        "sales_receipt" => DocumentKind::SalesReceipt,
        _ => DocumentKind::SalesOrder,
    }
}

pub(crate) const HEAD_COLS: &str = "id, number, kind, origin, import_id, storefront_order, client_id, status, version, has_shipments, currency, date, warehouse, ship_via, total, balance_due";

pub(crate) fn head(r: &SqliteRow) -> Result<Head> {
    let status: String = get(r, "status")?;
    let date: String = get(r, "date")?;
    Ok(Head {
        id: get(r, "id")?,
        number: get(r, "number")?,
        kind: parse_kind(&get::<String>(r, "kind")?),
        origin: get(r, "origin")?,
        import_id: get(r, "import_id")?,
        storefront_order: get(r, "storefront_order")?,
        client_id: get(r, "client_id")?,
        status: SalesOrderStatus::from_str(&status)?,
        version: get(r, "version")?,
        has_shipments: get::<i64>(r, "has_shipments")? != 0,
        currency: Currency::new(&get::<String>(r, "currency")?)?,
        date: date
            .parse()
            .map_err(|_| err(ErrorKind::Internal, format!("order date `{date}`")))?,
        warehouse: get(r, "warehouse")?,
        ship_via: get(r, "ship_via")?,
        total: dec(r, "total")?,
        balance_due: dec(r, "balance_due")?,
    })
}

pub(crate) async fn load_head(c: &mut Conn, at: &LedgerRef) -> Result<Head> {
    let id = id_of("sales order", &at.id)?;
    let row = sqlx::query(&format!(
        "SELECT {HEAD_COLS} FROM sales_orders WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find sales order"))?
    .ok_or_else(|| {
        err(
            ErrorKind::NotFound,
            format!("sales order {at} does not exist"),
        )
    })?;
    head(&row)
}

pub(crate) async fn find_by_import_id(c: &mut Conn, import_id: &str) -> Result<Option<Head>> {
    let row = sqlx::query(&format!(
        "SELECT {HEAD_COLS} FROM sales_orders WHERE import_id = ?"
    ))
    .bind(import_id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find sales order"))?;
    row.as_ref().map(head).transpose()
}

async fn product_by_id(c: &mut Conn, id: &str) -> Result<Product> {
    let pid = id_of("item", id)?;
    product_where(c, "p.id = ?", &pid.to_string())
        .await?
        .ok_or_else(|| {
            err(
                ErrorKind::Invalid,
                format!("item id {id} does not exist in the ERP"),
            )
        })
}

pub(crate) async fn product_where(c: &mut Conn, cond: &str, v: &str) -> Result<Option<Product>> {
    let row = sqlx::query(&format!(
        "SELECT p.id, p.sku, p.tracks_inventory, p.unit_cost, k.income_account, k.cogs_account, k.inventory_account
         FROM products p JOIN product_classes k ON k.code = p.product_class WHERE {cond} LIMIT 1"
    ))
    .bind(v)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find product"))?;
    row.map(|r| {
        Ok(Product {
            id: get(&r, "id")?,
            sku: get(&r, "sku")?,
            tracks: get::<i64>(&r, "tracks_inventory")? != 0,
            income: get(&r, "income_account")?,
            cogs: get(&r, "cogs_account")?,
            inventory: get(&r, "inventory_account")?,
            unit_cost: dec(&r, "unit_cost")?,
        })
    })
    .transpose()
}

async fn target_account(c: &mut Conn, target: &PostingTarget) -> Result<String> {
    match target {
        PostingTarget::Account(code) => resolve_account(c, code).await,
        PostingTarget::Item(name) => {
            let p = match product_where(c, "p.name = ?", name).await? {
                Some(p) => Some(p),
                None => product_where(c, "p.sku = ?", name).await?,
            };
            p.map(|p| p.income).ok_or_else(|| {
                err(
                    ErrorKind::Invalid,
                    format!("posting item `{name}` is not a product in the ERP"),
                )
            })
        }
    }
}

/// The ship via of an order: found, auto-created (S2) or refused.
pub(crate) async fn resolve_ship_via(
    c: &mut Conn,
    opts: &ErpOptions,
    name: Option<&str>,
) -> Result<Option<(String, String)>> {
    let Some(name) = name.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let row =
        sqlx::query("SELECT code, product_class FROM ship_vias WHERE code = ? COLLATE NOCASE")
            .bind(name)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err("find ship via"))?;
    if let Some(r) = row {
        return Ok(Some((get(&r, "code")?, get(&r, "product_class")?)));
    }
    if !opts.auto_create_ship_via {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "ship via `{name}` does not exist in the ERP: add it (Erp::add_ship_via), map it \
                 (`shipping.ship_via_map`) or turn on `shipping.auto_create_ship_via`"
            ),
        ));
    }
    let class = opts.default_shipment_product_class.clone();
    class_accounts(c, &class).await?;
    sqlx::query("INSERT INTO ship_vias(code, product_class) VALUES (?, ?)")
        .bind(name)
        .bind(&class)
        .execute(&mut *c)
        .await
        .map_err(db_err("create ship via"))?;
    Ok(Some((name.to_string(), class)))
}

pub(crate) async fn tax_area_account(
    c: &mut Conn,
    opts: &ErpOptions,
    code: &str,
) -> Result<String> {
    let row = sqlx::query("SELECT gl_account FROM tax_areas WHERE code = ?")
        .bind(code)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err("find tax area"))?;
    if let Some(r) = row {
        return get(&r, "gl_account");
    }
    if !opts.auto_create_tax_areas {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "tax area `{code}` does not exist in the ERP: add it with Erp::add_tax_area(\"{code}\", \"2100\") \
                 or map the storefront zone to an existing tax area in `tax_map`"
            ),
        ));
    }
    sqlx::query("INSERT INTO tax_areas(code, gl_account) VALUES (?, ?)")
        .bind(code)
        .bind(accounts::SALES_TAX_PAYABLE)
        .execute(&mut *c)
        .await
        .map_err(db_err("create tax area"))?;
    Ok(accounts::SALES_TAX_PAYABLE.to_string())
}

/// The default account of a non-item line kind.
pub(crate) fn default_account(kind: &SalesLineKind, shipping_income: &str) -> String {
    match kind {
        SalesLineKind::Item { .. } => accounts::SALES,
        SalesLineKind::Discount { .. } => accounts::DISCOUNTS,
        SalesLineKind::Shipping => shipping_income,
        SalesLineKind::Handling => accounts::HANDLING_INCOME,
        SalesLineKind::Wrapping => accounts::WRAPPING_INCOME,
        SalesLineKind::GiftCertificate { .. } => accounts::GIFT_CARD_LIABILITY,
        SalesLineKind::StoreCredit => accounts::STORE_CREDIT_LIABILITY,
        SalesLineKind::Rounding => accounts::ROUNDING,
    }
    .to_string()
}

pub(crate) fn line_kind(kind: &SalesLineKind) -> (&'static str, Option<String>) {
    match kind {
        SalesLineKind::Item { .. } => ("item", None),
        SalesLineKind::Discount { code } => ("discount", code.clone()),
        SalesLineKind::Shipping => ("shipping", None),
        SalesLineKind::Handling => ("handling", None),
        SalesLineKind::Wrapping => ("wrapping", None),
        SalesLineKind::GiftCertificate { code } => ("gift_certificate", Some(code.clone())),
        SalesLineKind::StoreCredit => ("store_credit", None),
        SalesLineKind::Rounding => ("rounding", None),
    }
}

/// Resolves a line's GL account (and product for item lines).
pub(crate) async fn resolve_line(
    c: &mut Conn,
    kind: &SalesLineKind,
    target: Option<&PostingTarget>,
    shipping_income: &str,
) -> Result<(Option<Product>, String, Option<String>)> {
    match kind {
        SalesLineKind::Item { item, line_id } => {
            let p = product_by_id(c, &item.id).await?;
            let account = p.income.clone();
            Ok((Some(p), account, Some(line_id.clone())))
        }
        other => {
            let account = match target {
                Some(t) => target_account(c, t).await?,
                None => default_account(other, shipping_income),
            };
            Ok((None, account, None))
        }
    }
}

/// Lookups already made in this transaction (a batch resolves the same clients, products,
/// accounts and tax areas again and again). Cleared when a savepoint is rolled back, since
/// what it remembers may have been created inside it.
#[derive(Default)]
pub(crate) struct Cache {
    clients: std::collections::HashSet<i64>,
    warehouses: std::collections::HashSet<String>,
    ship_vias: std::collections::HashMap<String, (Option<(String, String)>, String)>,
    lines: std::collections::HashMap<String, (Option<Product>, String)>,
    taxes: std::collections::HashMap<String, String>,
}

impl Cache {
    pub(crate) fn clear(&mut self) {
        *self = Cache::default();
    }
}

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
    let via_key = doc.ship_via.clone().unwrap_or_default();
    let (ship_via, shipping_income) = match cache.ship_vias.get(&via_key) {
        Some(v) => v.clone(),
        None => {
            let ship_via = resolve_ship_via(c, opts, doc.ship_via.as_deref())
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
            tax_code: l.tax_code.clone(),
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
            account: match cache.taxes.get(&t.tax_code) {
                Some(a) => a.clone(),
                None => {
                    let a = tax_area_account(c, opts, &t.tax_code).await.map_err(ctx)?;
                    cache.taxes.insert(t.tax_code.clone(), a.clone());
                    a
                }
            },
            area: t.tax_code.clone(),
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

/// An item line as stored, with what is still to ship.
pub(crate) struct StoredItem {
    pub line_no: i64,
    pub line_id: Option<String>,
    pub sku: Option<String>,
    pub product_id: i64,
    pub tracks: bool,
    pub cogs: String,
    pub inventory: String,
    pub unit_cost: Decimal,
    pub quantity: Decimal,
    pub shipped: Decimal,
    pub released: Decimal,
}

impl StoredItem {
    pub fn outstanding(&self) -> Decimal {
        (self.quantity - self.shipped - self.released).max(Decimal::ZERO)
    }
}

pub(crate) async fn item_lines(c: &mut Conn, order_id: i64) -> Result<Vec<StoredItem>> {
    let rows = sqlx::query(
        "SELECT l.line_no, l.line_id, l.sku, l.product_id, l.quantity, l.qty_shipped, l.qty_released,
                p.tracks_inventory, p.unit_cost, k.cogs_account, k.inventory_account
         FROM sales_lines l JOIN products p ON p.id = l.product_id
         JOIN product_classes k ON k.code = p.product_class
         WHERE l.order_id = ? AND l.kind = 'item' ORDER BY l.line_no",
    )
    .bind(order_id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err("read sales lines"))?;
    rows.iter()
        .map(|r| {
            Ok(StoredItem {
                line_no: get(r, "line_no")?,
                line_id: get(r, "line_id")?,
                sku: get(r, "sku")?,
                product_id: get(r, "product_id")?,
                tracks: get::<i64>(r, "tracks_inventory")? != 0,
                cogs: get(r, "cogs_account")?,
                inventory: get(r, "inventory_account")?,
                unit_cost: dec(r, "unit_cost")?,
                quantity: dec(r, "quantity")?,
                shipped: dec(r, "qty_shipped")?,
                released: dec(r, "qty_released")?,
            })
        })
        .collect()
}

/// Releases the committed stock of every line still to ship.
async fn release_outstanding(c: &mut Conn, h: &Head) -> Result<()> {
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
            let r = ReceiptPosting {
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

async fn set_status_row(c: &mut Conn, id: i64, status: SalesOrderStatus) -> Result<()> {
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

/// The receipt recorded for `(r.import_id, r.sequence)`, if any (exactly-once for receipts).
pub(crate) async fn find_receipt(c: &mut Conn, r: &ReceiptPosting) -> Result<Option<LedgerRef>> {
    let row = sqlx::query(
        "SELECT r.id, r.number FROM receipts r JOIN sales_orders o ON o.id = r.order_id
         WHERE o.import_id = ? AND r.sequence = ?",
    )
    .bind(r.import_id.to_string())
    .bind(i64::from(r.sequence))
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find receipt"))?;
    match row {
        None => Ok(None),
        Some(row) => {
            let id: i64 = get(&row, "id")?;
            let num: String = get(&row, "number")?;
            Ok(Some(LedgerRef::new(id.to_string()).with_number(num)))
        }
    }
}

/// Records a receipt against an order: captured → Dr deposit account, Cr A/R;
/// pre-authorised → recorded, no GL until captured in the ERP.
pub(crate) async fn post_receipt(
    c: &mut Conn,
    _opts: &ErpOptions,
    r: &ReceiptPosting,
) -> Result<LedgerRef> {
    let h = load_head(c, &r.document).await?;
    let import_id = r.import_id.to_string();
    if h.import_id.as_deref() != Some(import_id.as_str()) {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "receipt for import id {import_id} names sales order {}, which carries import id {}",
                h.number,
                h.import_id.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    insert_receipt(
        c,
        &h,
        r.sequence,
        &r.receipt_type,
        Some(&r.deposit_account),
        r.amount,
        r.currency,
        r.state,
        r.date,
        r.reference.as_deref(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_receipt(
    c: &mut Conn,
    h: &Head,
    sequence: u32,
    receipt_type: &str,
    deposit_account: Option<&str>,
    amount: Decimal,
    currency: Currency,
    state: ReceiptState,
    date: NaiveDate,
    reference: Option<&str>,
) -> Result<LedgerRef> {
    if currency != h.currency {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "receipt in {currency} for sales order {} in {}",
                h.number, h.currency
            ),
        ));
    }
    if amount <= Decimal::ZERO {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "receipt for sales order {}: amount {amount} must be positive",
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
    let state_s = match state {
        ReceiptState::PreAuthorized => "pre_authorized",
        ReceiptState::Captured => "captured",
    };
    let existing = sqlx::query(
        "SELECT id, number, amount, state FROM receipts WHERE order_id = ? AND sequence = ?",
    )
    .bind(h.id)
    .bind(i64::from(sequence))
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find receipt"))?;
    if let Some(e) = existing {
        let same = dec(&e, "amount")? == amount && get::<String>(&e, "state")? == state_s;
        let id: i64 = get(&e, "id")?;
        let num: String = get(&e, "number")?;
        if same {
            // The same receipt again (a retry after a lost response): the one recorded.
            return Ok(LedgerRef::new(id.to_string()).with_number(num));
        }
        return Err(err(
            ErrorKind::Conflict,
            format!(
                "receipt {sequence} of sales order {} is already recorded as {num} with another amount or state",
                h.number
            ),
        ));
    }
    let type_row = sqlx::query("SELECT gl_account FROM receipt_types WHERE code = ?")
        .bind(receipt_type)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err("find receipt type"))?;
    let deposit = match (deposit_account.filter(|s| !s.trim().is_empty()), type_row) {
        (Some(a), found) => {
            let a = resolve_account(c, a).await?;
            if found.is_none() {
                sqlx::query("INSERT INTO receipt_types(code, gl_account) VALUES (?, ?)")
                    .bind(receipt_type)
                    .bind(&a)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err("create receipt type"))?;
            }
            a
        }
        (None, Some(t)) => get(&t, "gl_account")?,
        (None, None) => {
            let msg = format!(
                "receipt type `{receipt_type}` does not exist: add it with Erp::add_receipt_type"
            );
            return Err(err(ErrorKind::Invalid, msg));
        }
    };
    let n = number("RC", next(c, "RC").await?);
    let row = sqlx::query(
        "INSERT INTO receipts(number, order_id, sequence, client_id, receipt_type, deposit_account,
         amount, currency, state, date, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&n)
    .bind(h.id)
    .bind(i64::from(sequence))
    .bind(h.client_id)
    .bind(receipt_type)
    .bind(&deposit)
    .bind(amount.to_string())
    .bind(currency.code())
    .bind(state_s)
    .bind(date.to_string())
    .bind(reference)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err("record receipt"))?;
    let id: i64 = get(&row, "id")?;
    if state == ReceiptState::Captured {
        receipt_journal(c, id, &n, &deposit, amount, currency, date, &h.number).await?;
    }
    let seq = next(c, "seq").await?;
    sqlx::query("UPDATE sales_orders SET seq = ? WHERE id = ?")
        .bind(seq)
        .bind(h.id)
        .execute(&mut *c)
        .await
        .map_err(db_err("record receipt"))?;
    Ok(LedgerRef::new(id.to_string()).with_number(n))
}

#[allow(clippy::too_many_arguments)]
async fn receipt_journal(
    c: &mut Conn,
    id: i64,
    number: &str,
    deposit: &str,
    amount: Decimal,
    currency: Currency,
    date: NaiveDate,
    order: &str,
) -> Result<()> {
    let jid = write_journal(
        c,
        Draft {
            key: None,
            number: None,
            source: "receipt",
            source_id: Some(id),
            date,
            currency,
            memo: Some(format!("Receipt {number} for sales order {order}")),
            lines: vec![
                (deposit.to_string(), amount, format!("Receipt {number}")),
                (
                    accounts::AR.to_string(),
                    -amount,
                    format!("Sales order {order}"),
                ),
            ],
        },
    )
    .await?;
    sqlx::query("UPDATE receipts SET journal_id = ?, state = 'captured' WHERE id = ?")
        .bind(jid)
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err("record receipt"))?;
    Ok(())
}

/// Captures a pre-authorised receipt (in the ERP), writing its journal.
pub(crate) async fn capture_receipt(c: &mut Conn, at: &LedgerRef) -> Result<()> {
    let id = id_of("receipt", &at.id)?;
    let r = sqlx::query(
        "SELECT r.number, r.deposit_account, r.amount, r.currency, r.state, r.order_id, o.number AS order_number
         FROM receipts r JOIN sales_orders o ON o.id = r.order_id WHERE r.id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find receipt"))?
    .ok_or_else(|| err(ErrorKind::NotFound, format!("receipt {at} does not exist")))?;
    if get::<String>(&r, "state")? == "captured" {
        return Err(err(
            ErrorKind::Conflict,
            format!(
                "receipt {} is already captured",
                get::<String>(&r, "number")?
            ),
        ));
    }
    let currency = Currency::new(&get::<String>(&r, "currency")?)?;
    receipt_journal(
        c,
        id,
        &get::<String>(&r, "number")?,
        &get::<String>(&r, "deposit_account")?,
        dec(&r, "amount")?,
        currency,
        chrono::Utc::now().date_naive(),
        &get::<String>(&r, "order_number")?,
    )
    .await?;
    let seq = next(c, "seq").await?;
    sqlx::query("UPDATE sales_orders SET seq = ? WHERE id = ?")
        .bind(seq)
        .bind(get::<i64>(&r, "order_id")?)
        .execute(&mut *c)
        .await
        .map_err(db_err("capture receipt"))?;
    Ok(())
}

/// Σ captured receipts of an order.
pub(crate) async fn captured_total(c: &mut Conn, order_id: i64) -> Result<Decimal> {
    let rows = sqlx::query("SELECT amount FROM receipts WHERE order_id = ? AND state = 'captured'")
        .bind(order_id)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("read receipts"))?;
    rows.iter().map(|r| dec(r, "amount")).sum()
}

pub(crate) fn row_import_id(r: &SqliteRow) -> Option<ImportId> {
    r.try_get::<Option<String>, _>("import_id")
        .ok()
        .flatten()
        .and_then(|s| s.parse().ok())
}
