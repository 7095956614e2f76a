//! Preparing the ERP for a sync configuration: what a person does once in AcctVantage's
//! "BigCommerce Integration Setup" (tax areas, receipt types, posting items, warehouse, ship
//! vias, the accounts they post to).

use bc_core::settings::Settings;
use bc_core::{Decimal, Result};

use crate::db::schema::accounts;
use crate::db::{Conn, Erp};
use crate::erp::{AccountKind, NewProduct};
use crate::error::db_err;
use crate::mapping::accounts::resolve_account;
use crate::mapping::item::insert_product;

/// Makes sure `key` (a code or a name) is an account; creates it when missing.
async fn ensure_account(
    c: &mut Conn,
    key: &str,
    kind: AccountKind,
    label: &str,
    done: &mut Vec<String>,
) -> Result<String> {
    if let Ok(code) = resolve_account(c, key).await {
        return Ok(code);
    }
    let name = if key.chars().all(|ch| ch.is_ascii_digit()) {
        format!("{label} ({key})")
    } else {
        key.to_string()
    };
    sqlx::query("INSERT INTO accounts(code, name, kind) VALUES (?, ?, ?)")
        .bind(key)
        .bind(&name)
        .bind(kind.as_str())
        .execute(&mut *c)
        .await
        .map_err(db_err("create account"))?;
    done.push(format!("account {key} \"{name}\" ({})", kind.as_str()));
    Ok(key.to_string())
}

async fn ensure_class(
    c: &mut Conn,
    class: &str,
    income: &str,
    done: &mut Vec<String>,
) -> Result<()> {
    let r = sqlx::query(
        "INSERT OR IGNORE INTO product_classes(code, income_account, cogs_account, inventory_account)
         VALUES (?, ?, ?, ?)",
    )
    .bind(class)
    .bind(income)
    .bind(accounts::COGS)
    .bind(accounts::INVENTORY)
    .execute(&mut *c)
    .await
    .map_err(db_err("create product class"))?;
    if r.rows_affected() > 0 {
        done.push(format!("product class {class} (income {income})"));
    }
    Ok(())
}

/// A posting item (shipping, handling, rounding…) as a non-inventory product.
async fn ensure_posting_item(
    c: &mut Conn,
    name: &str,
    class: &str,
    done: &mut Vec<String>,
) -> Result<()> {
    let found = sqlx::query("SELECT 1 FROM products WHERE name = ?1 OR sku = ?1")
        .bind(name)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err("find product"))?;
    if found.is_some() {
        return Ok(());
    }
    let sku: String = name
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() {
                ch.to_ascii_uppercase()
            } else {
                '-'
            }
        })
        .collect();
    insert_product(
        c,
        &NewProduct {
            sku: format!("POST-{sku}"),
            name: name.to_string(),
            product_class: Some(class.to_string()),
            tracks_inventory: false,
            unit_price: Decimal::ZERO,
            unit_cost: Decimal::ZERO,
        },
        class,
    )
    .await?;
    done.push(format!("posting item \"{name}\" (product class {class})"));
    Ok(())
}

impl Erp {
    /// Prepares the ERP for `settings`, as a person does once in the integration setup:
    /// every `tax_map` tax area (each on its own sales tax payable account), every
    /// `payment_map` receipt type and deposit account, the posting items and GL accounts of
    /// `[posting]`, the warehouse, the ship vias, the accounts of `[payouts]`, `[refunds]` and
    /// `orders.new_items`. Only what is missing is created; the answer lists it, one line
    /// each, for the user to read.
    pub async fn prepare_for(&self, settings: &Settings) -> Result<Vec<String>> {
        let mut w = self.write().await?;
        let c = w.conn();
        let mut done = Vec::new();

        // Tax areas, each on its own liability account 2101, 2102…
        let mut next_code = 2101;
        for area in settings.tax_map.values() {
            let exists = sqlx::query("SELECT 1 FROM tax_areas WHERE code = ?")
                .bind(area.as_str())
                .fetch_optional(&mut *c)
                .await
                .map_err(db_err("find tax area"))?;
            if exists.is_some() {
                continue;
            }
            let code = loop {
                let code = next_code.to_string();
                next_code += 1;
                let taken = sqlx::query("SELECT 1 FROM accounts WHERE code = ?")
                    .bind(&code)
                    .fetch_optional(&mut *c)
                    .await
                    .map_err(db_err("find account"))?;
                if taken.is_none() {
                    break code;
                }
            };
            let name = format!("Sales tax payable {area}");
            sqlx::query("INSERT INTO accounts(code, name, kind) VALUES (?, ?, 'liability')")
                .bind(&code)
                .bind(&name)
                .execute(&mut *c)
                .await
                .map_err(db_err("create account"))?;
            sqlx::query("INSERT INTO tax_areas(code, gl_account) VALUES (?, ?)")
                .bind(area.as_str())
                .bind(&code)
                .execute(&mut *c)
                .await
                .map_err(db_err("create tax area"))?;
            done.push(format!("tax area {area} → account {code} \"{name}\""));
        }

        // Receipt types and their deposit accounts.
        for (method, m) in &settings.payment_map {
            if m.open_ar {
                continue;
            }
            let Some(rt) = m.receipt_type.as_deref() else {
                continue;
            };
            let deposit = match m.deposit_account.as_deref() {
                Some(a) => {
                    ensure_account(
                        c,
                        a,
                        AccountKind::Asset,
                        &format!("Clearing {method}"),
                        &mut done,
                    )
                    .await?
                }
                None => accounts::CLEARING.to_string(),
            };
            let r =
                sqlx::query("INSERT OR IGNORE INTO receipt_types(code, gl_account) VALUES (?, ?)")
                    .bind(rt)
                    .bind(&deposit)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err("create receipt type"))?;
            if r.rows_affected() > 0 {
                done.push(format!("receipt type {rt} → account {deposit}"));
            }
        }

        // Posting GL accounts and items.
        let p = &settings.posting;
        for (gl, kind, label) in [
            (&p.discount_gl, AccountKind::Income, "Discounts"),
            (
                &p.gift_card_liability_gl,
                AccountKind::Liability,
                "Gift card liability",
            ),
            (
                &p.store_credit_gl,
                AccountKind::Liability,
                "Store credit liability",
            ),
            (&p.shipping_gl, AccountKind::Income, "Shipping income"),
            (&p.handling_gl, AccountKind::Income, "Handling income"),
            (&p.wrapping_gl, AccountKind::Income, "Gift wrapping income"),
            (&p.rounding_gl, AccountKind::Expense, "Rounding"),
        ] {
            if let Some(a) = gl {
                ensure_account(c, a, kind, label, &mut done).await?;
            }
        }
        ensure_class(c, "HANDLING", accounts::HANDLING_INCOME, &mut done).await?;
        ensure_class(c, "WRAPPING", accounts::WRAPPING_INCOME, &mut done).await?;
        ensure_class(c, "ROUNDING", accounts::ROUNDING, &mut done).await?;
        ensure_class(c, "DISCOUNTS", accounts::DISCOUNTS, &mut done).await?;
        ensure_class(c, "GIFT CARDS", accounts::GIFT_CARD_LIABILITY, &mut done).await?;
        ensure_class(
            c,
            "STORE CREDIT",
            accounts::STORE_CREDIT_LIABILITY,
            &mut done,
        )
        .await?;
        for (item, class) in [
            (&p.shipping_item, "SHIPPING"),
            (&p.handling_item, "HANDLING"),
            (&p.wrapping_item, "WRAPPING"),
            (&p.rounding_item, "ROUNDING"),
            (&p.discount_item, "DISCOUNTS"),
            (&p.gift_card_item, "GIFT CARDS"),
            (&p.store_credit_item, "STORE CREDIT"),
        ] {
            if let Some(name) = item {
                ensure_posting_item(c, name, class, &mut done).await?;
            }
        }

        // Accounts of payouts, refunds and created items.
        let y = &settings.payouts;
        let n = &settings.orders.new_items;
        for (a, kind, label) in [
            (&y.bank_account, AccountKind::Asset, "Bank"),
            (&y.clearing_account, AccountKind::Asset, "Payment clearing"),
            (&y.fees_account, AccountKind::Expense, "Processor fees"),
            (
                &y.adjustments_account,
                AccountKind::Expense,
                "Payout adjustments",
            ),
            (
                &settings.refunds.refund_clearing_account,
                AccountKind::Asset,
                "Refund clearing",
            ),
            (&n.income_account, AccountKind::Income, "Sales"),
            (&n.expense_account, AccountKind::Expense, "Purchases"),
            (&n.cogs_account, AccountKind::Expense, "Cost of goods sold"),
            (&n.asset_account, AccountKind::Asset, "Inventory"),
        ] {
            if let Some(a) = a {
                ensure_account(c, a, kind, label, &mut done).await?;
            }
        }

        // Warehouse and ship vias (S2, S3).
        let s = &settings.shipping;
        if let Some(wh) = &s.warehouse {
            let r = sqlx::query("INSERT OR IGNORE INTO warehouses(code, name) VALUES (?, ?)")
                .bind(wh)
                .bind(wh)
                .execute(&mut *c)
                .await
                .map_err(db_err("create warehouse"))?;
            if r.rows_affected() > 0 {
                done.push(format!("warehouse {wh}"));
            }
        }
        let class = s
            .default_shipment_product_class
            .clone()
            .unwrap_or_else(|| crate::db::schema::SHIPPING_PRODUCT_CLASS.to_string());
        ensure_class(c, &class, accounts::SHIPPING_INCOME, &mut done).await?;
        let vias = s.default_ship_via.iter().map(|d| (d.as_str(), None)).chain(
            s.ship_via_map
                .values()
                .map(|v| (v.method.as_str(), v.carrier.as_deref())),
        );
        for (via, carrier) in vias {
            let r = sqlx::query(
                "INSERT OR IGNORE INTO ship_vias(code, product_class, carrier) VALUES (?, ?, ?)",
            )
            .bind(via)
            .bind(&class)
            .bind(carrier)
            .execute(&mut *c)
            .await
            .map_err(db_err("create ship via"))?;
            if r.rows_affected() > 0 {
                done.push(format!("ship via {via} (product class {class})"));
            }
        }
        w.commit().await?;
        Ok(done)
    }
}
