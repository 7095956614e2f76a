//! What the ERP holds that settings name ([`bc_core::Ledger::catalog`]), for `bcsync init` and
//! `bcsync check --online`. Each list's `code` is the value the mappings look up when posting:
//!
//! | list | settings | `code` | the mapping matches |
//! |------|----------|--------|---------------------|
//! | `tax_codes` | `tax_map` values | tax area code | exactly (`mapping::accounts::tax_area_account`) |
//! | `accounts` | `deposit_account`, `posting.*_gl`, `payouts.*` | account code | the code, else the name, any case (`resolve_account`) |
//! | `receipt_types` | `payment_map.*.receipt_type` | receipt type code | exactly (`insert_receipt`) |
//! | `ship_vias` | `shipping.ship_via_map` values, `default_ship_via` | ship via code | any case (`resolve_ship_via`) |
//!
//! The ERP keeps no rate on a tax area (the storefront's rate travels with each order), so
//! tax codes come without one.

use bc_core::{CatalogEntry, LedgerCatalog, Result};

use crate::db::Erp;
use crate::error::db_err;
use crate::wire::get;

/// Reads the four lists in one read connection, each sorted by code.
pub(crate) async fn catalog(erp: &Erp) -> Result<LedgerCatalog> {
    let mut c = erp.read().await?;
    let mut out = LedgerCatalog::new();

    let rows = sqlx::query(
        "SELECT t.code, t.gl_account, a.name AS account_name
         FROM tax_areas t LEFT JOIN accounts a ON a.code = t.gl_account ORDER BY t.code",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(db_err("list tax areas"))?;
    for r in &rows {
        let code: String = get(r, "code")?;
        let account: String = get(r, "gl_account")?;
        let account_name: Option<String> = get(r, "account_name")?;
        out.tax_codes
            .push(CatalogEntry::new(code, posts_to(&account, account_name)));
    }

    let rows = sqlx::query("SELECT code, name FROM accounts ORDER BY code")
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("list accounts"))?;
    for r in &rows {
        out.accounts.push(CatalogEntry::new(
            get::<String>(r, "code")?,
            get::<String>(r, "name")?,
        ));
    }

    let rows = sqlx::query(
        "SELECT t.code, t.gl_account, a.name AS account_name
         FROM receipt_types t LEFT JOIN accounts a ON a.code = t.gl_account ORDER BY t.code",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(db_err("list receipt types"))?;
    for r in &rows {
        let code: String = get(r, "code")?;
        let account: String = get(r, "gl_account")?;
        let account_name: Option<String> = get(r, "account_name")?;
        out.receipt_types.push(CatalogEntry::new(
            code,
            format!("deposits to {}", account_label(&account, account_name)),
        ));
    }

    let rows = sqlx::query("SELECT code, product_class, carrier FROM ship_vias ORDER BY code")
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("list ship vias"))?;
    for r in &rows {
        let code: String = get(r, "code")?;
        let class: String = get(r, "product_class")?;
        let carrier: Option<String> = get(r, "carrier")?;
        let name = match carrier.filter(|s| !s.trim().is_empty()) {
            Some(carrier) => format!("{carrier} (product class {class})"),
            None => format!("product class {class}"),
        };
        out.ship_vias.push(CatalogEntry::new(code, name));
    }
    Ok(out)
}

/// `"2101 Sales tax payable TX"`, or the bare code when the account row is missing.
fn account_label(code: &str, name: Option<String>) -> String {
    match name {
        Some(n) => format!("{code} {n}"),
        None => code.to_string(),
    }
}

fn posts_to(code: &str, name: Option<String>) -> String {
    format!("posts to {}", account_label(code, name))
}
