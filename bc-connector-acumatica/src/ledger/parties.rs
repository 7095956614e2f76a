//! Customers and items: searched by the key they carry, created with a `CustomerID` /
//! `InventoryID` derived from that key, so that a repeated PUT upserts the same record.

use bc_core::{Client, ClientKey, ClientRef, ItemKey, ItemRef, LedgerRef, NewItem, Result, Sku};

use super::AcumaticaLedger;
use crate::mapping::client::{customer, customer_id};
use crate::mapping::item::item as item_record;
use crate::wire::{lit, text};

impl AcumaticaLedger {
    pub(crate) async fn find_client_by(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        let filter = match key {
            ClientKey::ImportId(id) => format!("AccountRef eq {}", lit(id)),
            ClientKey::Email(e) => format!("Email eq {}", lit(e)),
            ClientKey::DisplayName(n) => format!("CustomerName eq {}", lit(n)),
        };
        let found = self.find_one("Customer", filter, "").await?;
        Ok(found.map(|r| ClientRef {
            at: LedgerRef::new(text(&r, "CustomerID").unwrap_or_default()),
            display_name: text(&r, "CustomerName").unwrap_or_default(),
        }))
    }

    pub(crate) async fn create_client_record(&self, client: &Client) -> Result<ClientRef> {
        // The CustomerID is derived from the client's key, so a repeated PUT upserts the same
        // record: safe to repeat after a lost answer.
        let mut body = customer(client, &self.config.customer_class);
        if self.config.accepted_currencies().len() > 1 {
            // Multi-currency: one customer may buy in several currencies.
            body["EnableCurrencyOverride"] = crate::wire::v(true);
        }
        let row = self.client.put("Customer", &body, "", false).await?;
        Ok(ClientRef {
            at: LedgerRef::new(text(&row, "CustomerID").unwrap_or_else(|| customer_id(client))),
            display_name: text(&row, "CustomerName").unwrap_or_else(|| client.display_name.clone()),
        })
    }

    pub(crate) async fn find_items_by(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let mut found = None;
            for entity in ["StockItem", "NonStockItem"] {
                let filter = match key {
                    ItemKey::Sku(s) => format!("InventoryID eq {}", lit(s.as_str())),
                    ItemKey::Name(n) => format!("Description eq {}", lit(n)),
                };
                if let Some(r) = self.find_one(entity, filter, "").await? {
                    let id = text(&r, "InventoryID").unwrap_or_default();
                    found = Some(ItemRef {
                        at: LedgerRef::new(id.clone()),
                        name: text(&r, "Description").unwrap_or_default(),
                        sku: Some(Sku::new(id)),
                        tracks_inventory: entity == "StockItem",
                    });
                    break;
                }
            }
            out.push(found);
        }
        Ok(out)
    }

    pub(crate) async fn create_item_record(&self, item: &NewItem) -> Result<ItemRef> {
        let (entity, body) = item_record(item);
        let row = self.client.put(entity, &body, "", false).await?;
        let id = text(&row, "InventoryID").unwrap_or_else(|| item.sku.to_string());
        Ok(ItemRef {
            at: LedgerRef::new(id.clone()),
            name: item.name.clone(),
            sku: Some(Sku::new(id)),
            tracks_inventory: entity == "StockItem",
        })
    }
}
