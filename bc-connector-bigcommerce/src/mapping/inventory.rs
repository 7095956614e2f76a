//! [`bc_core::InventoryLevel`]s → `PUT /v3/inventory/adjustments/absolute`.
//!
//! Absolute quantities at one location, by SKU: negative availability is sent as 0 and
//! fractions are rounded down (BigCommerce counts whole units).

use bc_core::{Error, InventoryLevel};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::error::invalid;

/// `(sku, quantity)` pairs for the adjustment.
pub fn inventory_items(levels: &[InventoryLevel]) -> Result<Vec<(String, i64)>, Error> {
    let mut items = Vec::with_capacity(levels.len());
    for l in levels {
        let q = l.available.max(Decimal::ZERO).floor();
        let q: i64 = q.to_string().parse().map_err(|_| {
            invalid(format!(
                "sku {}: quantity {} out of range",
                l.sku, l.available
            ))
        })?;
        items.push((l.sku.as_str().to_string(), q));
    }
    Ok(items)
}

/// The request body for `items` at `location_id`.
pub fn adjustment_body(location_id: u64, items: &[(String, i64)]) -> Value {
    let rows: Vec<Value> = items
        .iter()
        .map(|(sku, q)| json!({ "location_id": location_id, "sku": sku, "quantity": q }))
        .collect();
    json!({ "reason": "bcsync", "items": rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bc_core::Sku;

    #[test]
    fn quantities_are_whole_and_never_negative() {
        let levels = [
            InventoryLevel {
                sku: Sku::new("A"),
                available: Decimal::new(75, 1),
            },
            InventoryLevel {
                sku: Sku::new("B"),
                available: Decimal::from(-3),
            },
        ];
        let items = inventory_items(&levels).unwrap();
        assert_eq!(items, vec![("A".to_string(), 7), ("B".to_string(), 0)]);
        let body = adjustment_body(1, &items);
        assert_eq!(
            body["items"][1],
            json!({"location_id": 1, "sku": "B", "quantity": 0})
        );
    }
}
