//! Items: found by SKU or name in a few `IN (…)` queries, created 30 per `/batch`.

use std::collections::{BTreeSet, HashMap};

use bc_core::{Error, ErrorKind, ItemKey, ItemRef, LedgerRef, NewItem, Result, Sku};
use serde_json::Value;

use super::search::IN_CHUNK;
use super::{collect, protocol, QboLedger};
use crate::config::BATCH_SIZE;
use crate::error::{error_from_envelope, is_duplicate_name};
use crate::mapping::{self, RefKey};
use crate::query::select_in;
use crate::wire::Entity;

impl QboLedger {
    /// Items by SKU and by name: one `IN (…)` query per 100 values (through `/batch` when
    /// there are several); one answer per key.
    pub(crate) async fn items_by_key(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        let mut by_sku: HashMap<String, ItemRef> = HashMap::new();
        let mut by_name: HashMap<String, ItemRef> = HashMap::new();
        let skus: BTreeSet<&str> = keys
            .iter()
            .filter_map(|k| match k {
                ItemKey::Sku(s) => Some(s.as_str()),
                ItemKey::Name(_) => None,
            })
            .collect();
        let names: BTreeSet<&str> = keys
            .iter()
            .filter_map(|k| match k {
                ItemKey::Name(n) => Some(n.as_str()),
                ItemKey::Sku(_) => None,
            })
            .collect();
        let mut queries = Vec::new();
        for (field, values) in [("Sku", skus), ("Name", names)] {
            let values: Vec<&str> = values.into_iter().collect();
            for chunk in values.chunks(IN_CHUNK) {
                queries.push((field, select_in("Item", field, chunk.iter().copied())));
            }
        }
        // `select_in` pages itself (MAXRESULTS 1000); `run_queries` adds its own paging.
        let texts: Vec<String> = queries
            .iter()
            .map(|(_, q)| q.trim_end_matches(" MAXRESULTS 1000").to_string())
            .collect();
        for ((field, _), answer) in queries.iter().zip(self.run_queries(&texts).await) {
            let into = if *field == "Sku" {
                &mut by_sku
            } else {
                &mut by_name
            };
            for i in answer?.item {
                let Some(id) = i.id.clone() else { continue };
                let r = ItemRef {
                    at: LedgerRef::new(id),
                    name: i.name.clone().unwrap_or_default(),
                    sku: i.sku.clone().map(Sku::new),
                    tracks_inventory: i.track_qty_on_hand.unwrap_or(false)
                        || i.item_type.as_deref() == Some("Inventory"),
                };
                let k = if *field == "Sku" { i.sku } else { i.name };
                if let Some(k) = k {
                    into.entry(k.to_lowercase()).or_insert(r);
                }
            }
        }
        Ok(keys
            .iter()
            .map(|k| match k {
                ItemKey::Sku(s) => by_sku.get(&s.as_str().to_lowercase()).cloned(),
                ItemKey::Name(n) => by_name.get(&n.to_lowercase()).cloned(),
            })
            .collect())
    }

    /// Up to 30 items per `/batch` request; an item whose name is taken (6240) is adopted when
    /// an item of that name exists.
    pub(crate) async fn create_item_batch(&self, items: &[NewItem]) -> Vec<Result<ItemRef>> {
        let mut keys: Vec<RefKey> = items.iter().flat_map(mapping::item_refs_needed).collect();
        keys.sort();
        keys.dedup();
        let refs = match self.refs(&keys).await {
            Ok(r) => r,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        let today = chrono::Utc::now().date_naive();
        let mut out: Vec<Option<Result<ItemRef>>> = items.iter().map(|_| None).collect();
        let mut pending = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match mapping::new_item(item, &refs, today).and_then(|w| {
                Entity::Item(w)
                    .batch_item(&i.to_string(), "create")
                    .map_err(|e| {
                        Error::new(ErrorKind::Internal, format!("cannot encode the item: {e}"))
                    })
            }) {
                Ok(v) => pending.push((i, v)),
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        for chunk in pending.chunks(BATCH_SIZE) {
            let batch: Vec<Value> = chunk.iter().map(|(_, v)| v.clone()).collect();
            match self.api.batch(batch).await {
                Ok(answers) => {
                    for (i, _) in chunk {
                        let item = &items[*i];
                        let r = match answers.get(&i.to_string()) {
                            None => Err(protocol(format!("item {}: no batch answer", item.sku))),
                            Some(env) => match error_from_envelope(env, 200, "create item") {
                                Some(e) if is_duplicate_name(&e) => {
                                    match self
                                        .items_by_key(&[ItemKey::Name(mapping::clean_name(
                                            &item.name,
                                            mapping::MAX_ITEM_NAME,
                                        ))])
                                        .await
                                    {
                                        Ok(mut v) => match v.pop().flatten() {
                                            Some(found) => Ok(found),
                                            None => Err(e.context(format!("item {}", item.sku))),
                                        },
                                        Err(e2) => Err(e2),
                                    }
                                }
                                Some(e) => Err(e.context(format!("item {}", item.sku))),
                                None => match env.item.as_ref() {
                                    Some(i) => match &i.id {
                                        Some(id) => Ok(ItemRef {
                                            at: LedgerRef::new(id.clone()),
                                            name: i.name.clone().unwrap_or_default(),
                                            sku: i.sku.clone().map(Sku::new),
                                            tracks_inventory: i.track_qty_on_hand.unwrap_or(false),
                                        }),
                                        None => Err(protocol(format!(
                                            "item {}: created without an Id",
                                            item.sku
                                        ))),
                                    },
                                    None => Err(protocol(format!(
                                        "item {}: the answer has no Item",
                                        item.sku
                                    ))),
                                },
                            },
                        };
                        out[*i] = Some(r);
                    }
                }
                Err(e) => {
                    for (i, _) in chunk {
                        out[*i] = Some(Err(e.clone()));
                    }
                }
            }
        }
        collect(out)
    }
}
