//! Finding and creating clients (O4) and items (O7) before a document is planned.

use std::collections::{BTreeMap, BTreeSet};

use bc_core::plan::{item_key, plan_client, ClientPlan};
use bc_core::{
    ClientKey, ClientRef, Error, ItemKey, ItemRef, LedgerRef, NewItem, Order, OrderLine, Result,
    Settings, Sku,
};

use crate::breaker::is_account_level;
use crate::engine::{internal, payload_hash, Engine, Run, Side, LOOKUP_CACHE_CAP};
use crate::journal::Write;
use crate::state::{EntityKind, WriteKey};

/// The items a chunk could not create, by key: the SKU and why.
pub(crate) type ItemFailures = BTreeMap<ItemKey, (Sku, Error)>;

pub(crate) fn client_key_text(key: &ClientKey) -> String {
    match key {
        ClientKey::ImportId(v) => format!("import_id:{v}"),
        ClientKey::Email(v) => format!("email:{}", v.to_lowercase()),
        ClientKey::DisplayName(v) => format!("name:{v}"),
    }
}

pub(crate) fn item_key_text(key: &ItemKey) -> String {
    match key {
        ItemKey::Sku(s) => format!("sku:{s}"),
        ItemKey::Name(n) => format!("name:{n}"),
    }
}

impl Engine {
    fn cached_client(&self, keys: &[ClientKey]) -> Option<ClientRef> {
        let cache = self.clients.lock().ok()?;
        keys.iter().find_map(|k| cache.get(k).cloned())
    }

    fn cache_client(&self, keys: &[ClientKey], client: &ClientRef) {
        if let Ok(mut cache) = self.clients.lock() {
            if cache.len() + keys.len() > LOOKUP_CACHE_CAP {
                cache.clear();
            }
            for k in keys {
                cache.insert(k.clone(), client.clone());
            }
        }
    }

    /// Searches the client of `order` by the plan's keys, in order; `None` when not found.
    pub(crate) async fn find_client(
        &self,
        run: &Run,
        plan: &ClientPlan,
    ) -> Result<Option<ClientRef>> {
        if let Some(c) = self.cached_client(&plan.keys) {
            return Ok(Some(c));
        }
        for key in &plan.keys {
            let found = self
                .call(run, Side::Ledger, || self.ledger.find_client(key))
                .await?;
            if let Some(c) = found {
                self.cache_client(&plan.keys, &c);
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// The journal's search for a client whose creation may have happened: the plan's keys
    /// (import id, e-mail, name) in order, one call each, the first found wins.
    async fn search_client(&self, keys: &[ClientKey]) -> Result<Option<LedgerRef>> {
        for key in keys {
            if let Some(c) = self.ledger.find_client(key).await? {
                return Ok(Some(c.at));
            }
        }
        Ok(None)
    }

    /// Searches the clients of several orders with one call (every plan key at once; the
    /// ledger's `find_clients`), caching what it finds so that planning each order costs no
    /// further search. Best effort: a key that failed is searched again per order. Returns,
    /// per plan, whether every key was searched and none found (the client is new).
    pub(crate) async fn prefetch_clients(&self, run: &Run, plans: &[ClientPlan]) -> Vec<bool> {
        let mut missing = vec![false; plans.len()];
        let todo: Vec<(usize, &ClientPlan)> = plans
            .iter()
            .enumerate()
            .filter(|(_, p)| self.cached_client(&p.keys).is_none())
            .collect();
        let mut seen = std::collections::HashSet::new();
        let keys: Vec<ClientKey> = todo
            .iter()
            .flat_map(|(_, p)| p.keys.iter().cloned())
            .filter(|k| seen.insert(k.clone()))
            .collect();
        if keys.is_empty() {
            return missing;
        }
        let Ok(answers) = self
            .call(run, Side::Ledger, || async {
                // The breaker must see a platform that did not answer.
                let answers = self.ledger.find_clients(&keys).await;
                match answers
                    .iter()
                    .find_map(|a| a.as_ref().err().filter(|e| is_account_level(e)))
                {
                    Some(e) => Err(e.clone()),
                    None => Ok(answers),
                }
            })
            .await
        else {
            return missing;
        };
        // Per key: what the search said; absent when its search failed.
        let answers: std::collections::HashMap<&ClientKey, Option<ClientRef>> = keys
            .iter()
            .zip(answers)
            .filter_map(|(k, a)| a.ok().map(|c| (k, c)))
            .collect();
        for (i, plan) in todo {
            // The plan's keys in order: the first found wins, as in `find_client`.
            if let Some(c) = plan
                .keys
                .iter()
                .find_map(|k| answers.get(k).and_then(Option::as_ref))
            {
                self.cache_client(&plan.keys, c);
            } else {
                missing[i] = plan.keys.iter().all(|k| answers.contains_key(k));
            }
        }
        missing
    }

    /// Creates the clients of several orders in one journalled batch (the ledger's
    /// `create_clients`), each exactly once: the same journal key as
    /// [`Engine::find_or_create_client`], the same per-client locks, searched by its keys
    /// after an unknown outcome. Created clients are cached; a client that failed is left to
    /// the per-order path, which reports it with its order.
    pub(crate) async fn create_clients(&self, run: &Run, plans: Vec<ClientPlan>) {
        // Plans that share any key are one client, as one after the other they would be (the
        // second finds the first by that key): only the first of them is created here.
        let mut by_name: BTreeMap<String, ClientPlan> = BTreeMap::new();
        let mut claimed = std::collections::HashSet::new();
        for plan in plans {
            let name = plan.keys.first().map(client_key_text).unwrap_or_default();
            if name.is_empty()
                || self.cached_client(&plan.keys).is_some()
                || plan.keys.iter().any(|k| claimed.contains(k))
            {
                continue;
            }
            claimed.extend(plan.keys.iter().cloned());
            by_name.insert(name, plan);
        }
        if by_name.is_empty() {
            return;
        }
        // Every client's lock, in name order (no two batches wait on each other in a cycle).
        let locks: Vec<_> = by_name
            .keys()
            .map(|n| self.lock_for(&format!("client:{n}")))
            .collect();
        let mut _guards = Vec::with_capacity(locks.len());
        for l in &locks {
            _guards.push(l.lock().await);
        }
        // Another task may have made some while we waited.
        let plans: Vec<(String, ClientPlan)> = by_name
            .into_iter()
            .filter(|(_, p)| self.cached_client(&p.keys).is_none())
            .collect();
        let writes: Vec<Write<usize>> = plans
            .iter()
            .enumerate()
            .map(|(i, (name, p))| Write {
                key: WriteKey::new(EntityKind::Client, "create", name.clone(), 0),
                hash: payload_hash(&p.new_client),
                payload: i,
            })
            .collect();
        let plans_ref = &plans;
        let outcomes = self
            .write_once(
                run,
                Side::Ledger,
                writes,
                |idx: Vec<usize>| async move {
                    let mut out = Vec::with_capacity(idx.len());
                    for i in idx {
                        out.push(self.search_client(&plans_ref[i].1.keys).await);
                    }
                    out
                },
                |idx: Vec<usize>| async move {
                    let clients: Vec<bc_core::Client> = idx
                        .iter()
                        .map(|i| plans_ref[*i].1.new_client.clone())
                        .collect();
                    self.ledger
                        .create_clients(&clients)
                        .await
                        .into_iter()
                        .map(|r| r.map(|c| c.at))
                        .collect()
                },
                |_, _| Vec::new(),
            )
            .await;
        for (w, r) in outcomes {
            if let Ok(written) = r {
                let (_, plan) = &plans[w.payload];
                let c = ClientRef {
                    at: written.at().clone(),
                    display_name: plan.new_client.display_name.clone(),
                };
                self.cache_client(&plan.keys, &c);
            }
        }
    }

    /// Finds the client of `order`, or creates it (exactly once: journalled, searched again
    /// after an unknown outcome). `searched`: the caller has just searched the ledger by the
    /// plan's keys and found nothing.
    pub(crate) async fn find_or_create_client(
        &self,
        run: &Run,
        order: &Order,
        settings: &Settings,
        searched: bool,
    ) -> Result<ClientRef> {
        let plan = plan_client(order, settings);
        if !searched {
            if let Some(c) = self.find_client(run, &plan).await? {
                return Ok(c);
            }
        }
        let lock_name = plan
            .keys
            .first()
            .map(client_key_text)
            .unwrap_or_else(|| format!("order:{}", order.id));
        let lock = self.lock_for(&format!("client:{lock_name}"));
        let _guard = lock.lock().await;
        // Another task of this process may have created it while we waited.
        if let Some(c) = self.cached_client(&plan.keys) {
            return Ok(c);
        }
        let write = Write {
            key: WriteKey::new(EntityKind::Client, "create", lock_name, 0),
            hash: payload_hash(&plan.new_client),
            payload: plan.new_client.clone(),
        };
        let plan_ref = &plan;
        let written = self
            .write_one(
                run,
                Side::Ledger,
                write,
                |_| async move { self.search_client(&plan_ref.keys).await },
                |client| async move { self.ledger.create_client(&client).await.map(|c| c.at) },
                Vec::new(),
            )
            .await
            .map_err(|e| e.context(format!("client of order {}", order.id)))?;
        let c = ClientRef {
            at: written.at().clone(),
            display_name: plan.new_client.display_name.clone(),
        };
        self.cache_client(&plan.keys, &c);
        Ok(c)
    }

    /// The item keys of `order`'s lines.
    pub(crate) fn item_keys(order: &Order, settings: &Settings) -> BTreeSet<ItemKey> {
        order
            .lines
            .iter()
            .filter_map(|l| item_key(l, settings))
            .collect()
    }

    /// Finds the items of `order` (cache, then one `find_items` call for the rest). Items not
    /// found are absent from the map.
    pub(crate) async fn find_items(
        &self,
        run: &Run,
        order: &Order,
        settings: &Settings,
        known_missing: Option<&BTreeSet<ItemKey>>,
    ) -> Result<BTreeMap<ItemKey, ItemRef>> {
        let keys = Self::item_keys(order, settings);
        self.find_item_keys(run, keys, known_missing).await
    }

    /// Finds items by key: the cache first, then one `find_items` call for the keys neither
    /// cached nor in `known_missing` (keys this run has just searched without finding).
    pub(crate) async fn find_item_keys(
        &self,
        run: &Run,
        keys: BTreeSet<ItemKey>,
        known_missing: Option<&BTreeSet<ItemKey>>,
    ) -> Result<BTreeMap<ItemKey, ItemRef>> {
        let mut out = BTreeMap::new();
        let mut missing = Vec::new();
        {
            let cache = self
                .items
                .lock()
                .map_err(|_| internal("item cache poisoned"))?;
            for k in keys {
                match cache.get(&k) {
                    Some(i) => {
                        out.insert(k, i.clone());
                    }
                    None if known_missing.is_some_and(|m| m.contains(&k)) => {}
                    None => missing.push(k),
                }
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let found = self
            .call(run, Side::Ledger, || self.ledger.find_items(&missing))
            .await?;
        let mut cache = self
            .items
            .lock()
            .map_err(|_| internal("item cache poisoned"))?;
        for (k, f) in missing.into_iter().zip(found) {
            if let Some(i) = f {
                if cache.len() >= LOOKUP_CACHE_CAP {
                    cache.clear();
                }
                cache.insert(k.clone(), i.clone());
                out.insert(k, i);
            }
        }
        Ok(out)
    }

    /// The item `line` (whose item key is `key`) would be created as, with the accounts of
    /// `orders.new_items`; `None` for a line without a SKU (it cannot be created).
    fn new_item(line: &OrderLine, key: &ItemKey, settings: &Settings) -> Option<NewItem> {
        let sku = line.sku.clone()?;
        let n = &settings.orders.new_items;
        let name = match key {
            ItemKey::Name(n) => n.clone(),
            ItemKey::Sku(_) => line.name.clone(),
        };
        Some(NewItem {
            sku,
            name,
            item_type: n.item_type,
            income_account: n.income_account.clone().unwrap_or_default(),
            expense_account: n.expense_account.clone(),
            cogs_account: n.cogs_account.clone(),
            asset_account: n.asset_account.clone(),
            product_class: n.product_class.clone(),
            unit_price: Some(line.unit_price_ex_tax),
        })
    }

    /// The items of `order` that `items` lacks and that can be created (lines with a SKU),
    /// one per item key (the first line with that key names it), in line order.
    pub(crate) fn missing_items(
        order: &Order,
        settings: &Settings,
        items: &BTreeMap<ItemKey, ItemRef>,
    ) -> Vec<(ItemKey, NewItem)> {
        let mut out: Vec<(ItemKey, NewItem)> = Vec::new();
        for line in &order.lines {
            let Some(key) = item_key(line, settings) else {
                continue;
            };
            if items.contains_key(&key) || out.iter().any(|(k, _)| k == &key) {
                continue;
            }
            if let Some(item) = Self::new_item(line, &key, settings) {
                out.push((key, item));
            }
        }
        out
    }

    fn cached_item(&self, key: &ItemKey) -> Result<Option<ItemRef>> {
        Ok(self
            .items
            .lock()
            .map_err(|_| internal("item cache poisoned"))?
            .get(key)
            .cloned())
    }

    fn cache_item(&self, key: &ItemKey, item: &NewItem, at: &LedgerRef) -> Result<ItemRef> {
        let created = ItemRef {
            at: at.clone(),
            name: item.name.clone(),
            sku: Some(item.sku.clone()),
            tracks_inventory: false,
        };
        let mut cache = self
            .items
            .lock()
            .map_err(|_| internal("item cache poisoned"))?;
        if cache.len() >= LOOKUP_CACHE_CAP && !cache.contains_key(key) {
            cache.clear();
        }
        cache.insert(key.clone(), created.clone());
        Ok(created)
    }

    /// Creates the missing items of several orders in one journalled batch (O7), each exactly
    /// once: the same journal key and per-item lock as [`Engine::create_missing_items`], the
    /// intents in one transaction, one `find_items` search for any earlier record that is not
    /// done, then the ledger's `create_items` in slices of its batch size, and every `done`
    /// in one group commit. The same item key is one item (the first plan names it). Created
    /// items are cached; returns the items whose creation failed, with their SKU and error,
    /// so that only the orders needing them fail.
    pub(crate) async fn create_items(
        &self,
        run: &Run,
        plans: Vec<(ItemKey, NewItem)>,
    ) -> ItemFailures {
        let mut failures = BTreeMap::new();
        let mut by_name: BTreeMap<String, (ItemKey, NewItem)> = BTreeMap::new();
        for (key, item) in plans {
            by_name.entry(item_key_text(&key)).or_insert((key, item));
        }
        if by_name.is_empty() {
            return failures;
        }
        // Every item's lock, in name order (no two batches wait on each other in a cycle).
        let locks: Vec<_> = by_name
            .keys()
            .map(|n| self.lock_for(&format!("item:{n}")))
            .collect();
        let mut _guards = Vec::with_capacity(locks.len());
        for l in &locks {
            _guards.push(l.lock().await);
        }
        // Another task may have made some while we waited.
        let mut todo: Vec<(String, ItemKey, NewItem)> = Vec::with_capacity(by_name.len());
        for (name, (key, item)) in by_name {
            match self.cached_item(&key) {
                Ok(Some(_)) => {}
                Ok(None) => todo.push((name, key, item)),
                Err(e) => {
                    failures.insert(key, (item.sku, e));
                }
            }
        }
        let writes: Vec<Write<usize>> = todo
            .iter()
            .enumerate()
            .map(|(i, (name, _, item))| Write {
                key: WriteKey::new(EntityKind::Item, "create", name.clone(), 0),
                hash: payload_hash(item),
                payload: i,
            })
            .collect();
        let todo_ref = &todo;
        let batch = self.ledger.capabilities().batch_size.max(1);
        let outcomes = self
            .write_once(
                run,
                Side::Ledger,
                writes,
                |idx: Vec<usize>| async move {
                    let keys: Vec<ItemKey> = idx.iter().map(|i| todo_ref[*i].1.clone()).collect();
                    match self.ledger.find_items(&keys).await {
                        Ok(found) => {
                            let mut found = found.into_iter();
                            keys.iter()
                                .map(|_| Ok(found.next().flatten().map(|i| i.at)))
                                .collect()
                        }
                        Err(e) => keys.iter().map(|_| Err(e.clone())).collect(),
                    }
                },
                |idx: Vec<usize>| async move {
                    let items: Vec<NewItem> = idx.iter().map(|i| todo_ref[*i].2.clone()).collect();
                    let mut out = Vec::with_capacity(items.len());
                    for slice in items.chunks(batch) {
                        out.extend(
                            self.ledger
                                .create_items(slice)
                                .await
                                .into_iter()
                                .map(|r| r.map(|i| i.at)),
                        );
                    }
                    out
                },
                |_, _| Vec::new(),
            )
            .await;
        for (w, r) in outcomes {
            let (_, key, item) = &todo[w.payload];
            let r = r.and_then(|written| self.cache_item(key, item, written.at()).map(|_| ()));
            if let Err(e) = r {
                failures.insert(key.clone(), (item.sku.clone(), e));
            }
        }
        failures
    }

    /// Creates the items of `order` that `items` lacks (`create_missing_items`, O7), with the
    /// accounts of `orders.new_items`, one journalled write each. The orders job creates a
    /// chunk's items with [`Engine::create_items`] first; this is what is left for an item
    /// that batch did not make.
    pub(crate) async fn create_missing_items(
        &self,
        run: &Run,
        order: &Order,
        settings: &Settings,
        items: &mut BTreeMap<ItemKey, ItemRef>,
    ) -> Result<()> {
        for (key, new_item) in Self::missing_items(order, settings, items) {
            let sku = new_item.sku.clone();
            let key_text = item_key_text(&key);
            let lock = self.lock_for(&format!("item:{key_text}"));
            let _guard = lock.lock().await;
            if let Some(i) = self.cached_item(&key)? {
                items.insert(key, i);
                continue;
            }
            let write = Write {
                key: WriteKey::new(EntityKind::Item, "create", key_text.clone(), 0),
                hash: payload_hash(&new_item),
                payload: new_item.clone(),
            };
            let search_key = &key;
            let written = self
                .write_one(
                    run,
                    Side::Ledger,
                    write,
                    |_| async move {
                        let found = self
                            .ledger
                            .find_items(std::slice::from_ref(search_key))
                            .await?;
                        Ok(found.into_iter().next().flatten().map(|i| i.at))
                    },
                    |item| async move { self.ledger.create_item(&item).await.map(|i| i.at) },
                    Vec::new(),
                )
                .await
                .map_err(|e| e.context(format!("creating item `{sku}` for order {}", order.id)))?;
            let created = self.cache_item(&key, &new_item, written.at())?;
            items.insert(key, created);
        }
        Ok(())
    }
}

/// A stand-in client for a dry plan (before anything is created).
pub(crate) fn placeholder_client(plan: &ClientPlan) -> ClientRef {
    ClientRef {
        at: LedgerRef::new("(to be created)"),
        display_name: plan.new_client.display_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use bc_core::{ClientKey, ClientRef, ItemKey, LedgerRef, NewItem, Sku};

    use crate::engine::LOOKUP_CACHE_CAP;
    use crate::testing::memory_engine as engine;

    #[test]
    fn the_lookup_caches_stay_bounded_over_many_clients_and_items() {
        let e = engine();
        let n = 3 * LOOKUP_CACHE_CAP;
        for i in 0..n {
            let keys = [
                ClientKey::Email(format!("guest{i}@example.com")),
                ClientKey::DisplayName(format!("Guest {i}")),
            ];
            let c = ClientRef {
                at: LedgerRef::new(format!("C{i}")),
                display_name: format!("Guest {i}"),
            };
            e.cache_client(&keys, &c);
            // What was just cached is found by each of its keys.
            assert_eq!(e.cached_client(&keys[1..]), Some(c));
            let key = ItemKey::Sku(Sku::new(format!("SKU-{i}")));
            let item = NewItem {
                sku: Sku::new(format!("SKU-{i}")),
                name: format!("Item {i}"),
                item_type: Default::default(),
                income_account: "4000".into(),
                expense_account: None,
                cogs_account: None,
                asset_account: None,
                product_class: None,
                unit_price: None,
            };
            e.cache_item(&key, &item, &LedgerRef::new(format!("I{i}")))
                .unwrap();
            assert!(e.cached_item(&key).unwrap().is_some());
        }
        assert!(e.clients.lock().unwrap().len() <= LOOKUP_CACHE_CAP);
        assert!(e.items.lock().unwrap().len() <= LOOKUP_CACHE_CAP);
    }
}
