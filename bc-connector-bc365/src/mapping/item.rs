//! New items → `items`: the SKU is the item number (Code[20]).

use bc_core::{Error, ItemType, NewItem, Result};
use serde_json::{json, Value};

use super::{fit, num};

/// The `POST items` body; a SKU longer than 20 characters cannot be an item number.
pub fn item(i: &NewItem) -> Result<Value> {
    let sku = i.sku.as_str();
    if sku.is_empty() || sku.chars().count() > 20 {
        return Err(Error::new(
            bc_core::ErrorKind::Invalid,
            format!("SKU `{sku}` cannot be a Business Central item number (1–20 characters)"),
        ));
    }
    let mut v = json!({
        "number": sku,
        "displayName": fit(&i.name, 100),
        "type": match i.item_type {
            ItemType::Inventory => "Inventory",
            ItemType::NonInventory => "Non_x002D_Inventory",
            ItemType::Service => "Service",
        },
    });
    if let Some(p) = i.unit_price {
        v["unitPrice"] = num(p);
    }
    Ok(v)
}
