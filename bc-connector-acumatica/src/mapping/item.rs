//! Items: a `StockItem` (tracked) or a `NonStockItem` (services, non-inventory).

use bc_core::{ItemType, NewItem};
use serde_json::{json, Value};

use super::{num, v};

/// The entity an item is created as, and its record.
pub fn item(item: &NewItem) -> (&'static str, Value) {
    match item.item_type {
        ItemType::Inventory => (
            "StockItem",
            json!({
                "InventoryID": v(item.sku.as_str()), "Description": v(item.name.clone()),
                "SalesAccount": v(item.income_account.clone()), "COGSAccount": v(item.cogs_account.clone()),
                "InventoryAccount": v(item.asset_account.clone()),
                "DefaultPrice": v(item.unit_price.map(num)), "ItemClass": v(item.product_class.clone()),
            }),
        ),
        _ => (
            "NonStockItem",
            json!({
                "InventoryID": v(item.sku.as_str()), "Description": v(item.name.clone()),
                "SalesAccount": v(item.income_account.clone()), "ExpenseAccount": v(item.expense_account.clone()),
                "DefaultPrice": v(item.unit_price.map(num)), "ItemClass": v(item.product_class.clone()),
            }),
        ),
    }
}
