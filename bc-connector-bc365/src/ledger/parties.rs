//! Clients (`customers`) and items: searches in one `$batch`, find-before-write creation.

use bc_core::{
    Client, ClientKey, ClientRef, Error, ErrorKind, ItemKey, ItemRef, LedgerRef, NewItem, Result,
    Sku,
};
use serde_json::Value;

use super::Bc365Ledger;
use crate::client::{lit, BatchOp};
use crate::mapping::{client, item, TaxKind};
use crate::wire::{parse, Customer, Item};

fn client_ref(c: Customer) -> ClientRef {
    ClientRef {
        at: LedgerRef::new(c.id)
            .with_number(c.number)
            .with_version(c.etag),
        display_name: c.display_name,
    }
}

fn item_ref(i: Item) -> ItemRef {
    ItemRef {
        at: LedgerRef::new(i.id).with_number(i.number.clone()),
        name: i.display_name,
        sku: Some(Sku::new(i.number)),
        tracks_inventory: i.item_type == "Inventory",
    }
}

fn first<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<Option<T>> {
    let rows: Vec<T> = parse(v.get("value").cloned().unwrap_or_default(), what)?;
    Ok(rows.into_iter().next())
}

impl Bc365Ledger {
    pub(crate) async fn find_client_by(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        let filter = match key {
            ClientKey::ImportId(id) => format!(
                "number eq {}",
                lit(&client::customer_number(
                    &self.config.posting.customer_number_prefix,
                    id
                ))
            ),
            ClientKey::Email(e) => format!("email eq {}", lit(e)),
            ClientKey::DisplayName(n) => format!("displayName eq {}", lit(n)),
        };
        let v = self
            .client
            .get(
                "customers",
                "customers",
                &[("$filter", filter), ("$top", "1".into())],
            )
            .await?;
        Ok(first::<Customer>(v, "customer")?.map(client_ref))
    }

    pub(crate) async fn create_customer(&self, c: &Client) -> Result<ClientRef> {
        if let Some(id) = &c.import_id {
            if let Some(found) = self
                .find_client_by(&ClientKey::ImportId(id.clone()))
                .await?
            {
                return Ok(found);
            }
        }
        let setup = self.setup().await?;
        let area = self
            .config
            .posting
            .default_tax_area
            .as_deref()
            .map(|a| {
                setup
                    .areas
                    .get(a)
                    .map(|id| (id.as_str(), setup.tax == TaxKind::SalesTax))
                    .ok_or_else(|| {
                        Error::config(
                            "ledger.posting.default_tax_area",
                            format!("tax area `{a}` does not exist in Business Central"),
                        )
                    })
            })
            .transpose()?;
        let body = client::customer(
            c,
            &self.config.posting.customer_number_prefix,
            self.config.home_currency,
            area,
        );
        match self.client.post("customer", "customers", &body).await {
            Ok(v) => Ok(client_ref(parse(v, "customer")?)),
            Err(e)
                if matches!(e.kind(), ErrorKind::Conflict | ErrorKind::OutcomeUnknown)
                    && c.import_id.is_some() =>
            {
                let id = c.import_id.clone().unwrap_or_default();
                self.find_client_by(&ClientKey::ImportId(id))
                    .await?
                    .ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn find_items_by(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        let mut ops = Vec::new();
        let mut asked = Vec::new();
        for k in keys {
            let filter = match k {
                ItemKey::Sku(s) if s.as_str().chars().count() <= 20 && !s.as_str().is_empty() => {
                    Some(format!("number eq {}", lit(s.as_str())))
                }
                ItemKey::Sku(_) => None,
                ItemKey::Name(n) => Some(format!("displayName eq {}", lit(n))),
            };
            asked.push(filter.is_some());
            if let Some(f) = filter {
                ops.push(BatchOp {
                    method: "GET",
                    url: self
                        .client
                        .rel_query("items", &[("$filter", f), ("$top", "1".into())]),
                    body: None,
                    if_match: None,
                    what: format!("find item {k:?}"),
                });
            }
        }
        let mut answers = self.client.batch(ops, true).await?.into_iter();
        let mut out = Vec::with_capacity(keys.len());
        for was_asked in asked {
            if !was_asked {
                out.push(None);
                continue;
            }
            let a = answers
                .next()
                .ok_or_else(|| Error::protocol("$batch lost an answer"))?;
            out.push(first::<Item>(a.into_result()?, "item")?.map(item_ref));
        }
        Ok(out)
    }

    pub(crate) async fn create_one_item(&self, i: &NewItem) -> Result<ItemRef> {
        let body = item::item(i)?;
        if let Some(Some(found)) = self
            .find_items_by(&[ItemKey::Sku(i.sku.clone())])
            .await?
            .pop()
        {
            return Ok(found);
        }
        match self.client.post("item", "items", &body).await {
            Ok(v) => Ok(item_ref(parse(v, "item")?)),
            Err(e) if matches!(e.kind(), ErrorKind::Conflict | ErrorKind::OutcomeUnknown) => self
                .find_items_by(&[ItemKey::Sku(i.sku.clone())])
                .await?
                .pop()
                .flatten()
                .ok_or(e),
            Err(e) => Err(e),
        }
    }
}
