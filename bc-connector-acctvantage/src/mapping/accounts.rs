//! Where a line posts: GL accounts (by code or name), product classes, products, tax areas,
//! ship vias (found, auto-created (S2) or refused) and warehouses.

use bc_core::{ErrorKind, PostingTarget, Result, SalesLineKind};

use crate::config::ErpOptions;
use crate::db::schema::accounts;
use crate::db::{id_of, Conn};
use crate::error::{db_err, err};
use crate::wire::{dec, get, Product};

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
    product_class: Option<&str>,
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
    if product_class.is_none() && !opts.auto_create_ship_via {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "ship via `{name}` does not exist in the ERP: add it (Erp::add_ship_via), map it \
                 (`shipping.ship_via_map`) or turn on `shipping.auto_create_ship_via`"
            ),
        ));
    }
    let class = product_class.map_or_else(
        || opts.default_shipment_product_class.clone(),
        str::to_string,
    );
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
