//! Items: found by SKU or name, created as products of a product class that posts to the
//! item's accounts.

use bc_core::{ErrorKind, ItemKey, ItemRef, LedgerRef, NewItem, Result, Sku};

use crate::db::schema::{accounts, DEFAULT_PRODUCT_CLASS};
use crate::db::{next, Conn};
use crate::erp::NewProduct;
use crate::error::{db_err, err};
use crate::mapping::accounts::{class_accounts, resolve_account};
use crate::wire::get;

pub(crate) async fn find_items(c: &mut Conn, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let (sql, v) = match k {
            ItemKey::Sku(s) => (
                "SELECT id, sku, name, tracks_inventory FROM products WHERE sku = ?",
                s.as_str(),
            ),
            ItemKey::Name(n) => (
                "SELECT id, sku, name, tracks_inventory FROM products WHERE name = ?",
                n.as_str(),
            ),
        };
        let row = sqlx::query(sql)
            .bind(v)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err("find item"))?;
        out.push(
            row.map(|r| {
                let id: i64 = get(&r, "id")?;
                let sku: String = get(&r, "sku")?;
                Ok(ItemRef {
                    at: LedgerRef::new(id.to_string()).with_number(sku.clone()),
                    name: get(&r, "name")?,
                    sku: Some(Sku::new(sku)),
                    tracks_inventory: get::<i64>(&r, "tracks_inventory")? != 0,
                })
            })
            .transpose()?,
        );
    }
    Ok(out)
}

/// The product class of a created item: the one named, else one with the same accounts,
/// else a new class named after its income account.
pub(crate) async fn class_for(c: &mut Conn, item: &NewItem) -> Result<String> {
    let income = resolve_account(c, &item.income_account).await?;
    let cogs = match &item.cogs_account {
        Some(a) => resolve_account(c, a).await?,
        None => accounts::COGS.to_string(),
    };
    let inv = match &item.asset_account {
        Some(a) => resolve_account(c, a).await?,
        None => accounts::INVENTORY.to_string(),
    };
    if let Some(class) = &item.product_class {
        if class_accounts(c, class).await.is_err() {
            sqlx::query(
                "INSERT INTO product_classes(code, income_account, cogs_account, inventory_account) VALUES (?, ?, ?, ?)",
            )
            .bind(class)
            .bind(&income)
            .bind(&cogs)
            .bind(&inv)
            .execute(&mut *c)
            .await
            .map_err(db_err("create product class"))?;
        }
        return Ok(class.clone());
    }
    let row = sqlx::query(
        "SELECT code FROM product_classes WHERE income_account = ? AND cogs_account = ? AND inventory_account = ?
         ORDER BY code = ? DESC, code LIMIT 1",
    )
    .bind(&income)
    .bind(&cogs)
    .bind(&inv)
    .bind(DEFAULT_PRODUCT_CLASS)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find product class"))?;
    if let Some(r) = row {
        return get(&r, "code");
    }
    let code = format!("AUTO-{income}-{cogs}-{inv}");
    sqlx::query(
        "INSERT INTO product_classes(code, income_account, cogs_account, inventory_account) VALUES (?, ?, ?, ?)",
    )
    .bind(&code)
    .bind(&income)
    .bind(&cogs)
    .bind(&inv)
    .execute(&mut *c)
    .await
    .map_err(db_err("create product class"))?;
    Ok(code)
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
            let seq = next(c, "seq").await?;
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
