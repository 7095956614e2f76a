//! Inventory: absolute adjustments by SKU at the configured location, skipping SKUs the
//! store does not have.

use bc_core::{InventoryLevel, Result};
use bc_http::{ApiRequest, Idempotency};

use super::BigCommerce;
use crate::error::{invalid, unknown_sku};
use crate::mapping::inventory::{adjustment_body, inventory_items};
use crate::INVENTORY_BATCH;

impl BigCommerce {
    /// [`bc_core::Storefront::set_inventory`]: see there.
    pub(crate) async fn put_inventory(&self, levels: &[InventoryLevel]) -> Result<()> {
        if levels.is_empty() {
            return Ok(());
        }
        if levels.len() > INVENTORY_BATCH {
            return Err(invalid(format!(
                "{} levels in one call; BigCommerce takes at most {INVENTORY_BATCH}",
                levels.len()
            )));
        }
        let mut items = inventory_items(levels)?;
        // A ledger holds items the store does not sell; BigCommerce refuses the whole batch for
        // one unknown SKU (422 "Item with sku X does not exist"). Those SKUs are dropped, named
        // in a warning, and the rest is pushed.
        let mut unknown: Vec<String> = Vec::new();
        while !items.is_empty() {
            let body = adjustment_body(self.config.inventory_location_id, &items);
            let req = ApiRequest::put("/v3/inventory/adjustments/absolute")
                .json(&body)?
                .idempotency(Idempotency::Idempotent);
            match self.client.send(req).await {
                Ok(_) => break,
                Err(e) => match unknown_sku(&e, items.iter().map(|(sku, _)| sku.as_str())) {
                    Some(i) => unknown.push(items.remove(i).0),
                    None => return Err(e),
                },
            }
        }
        if !unknown.is_empty() {
            tracing::warn!(skus = %unknown.join(", "), "inventory: SKUs not in the BigCommerce store were skipped");
        }
        Ok(())
    }
}
