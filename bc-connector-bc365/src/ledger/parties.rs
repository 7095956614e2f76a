//! Clients (`customers`) and items: searches with `or`-joined filters in one `$batch`,
//! creation in `$batch`es of up to 100.
//!
//! Exactly once: the customer number (prefix + the client's import id) and the item number
//! (the SKU) are Business Central's primary keys, so creating one that exists is refused
//! with `Internal_EntityWithSameKeyExists`; that answer, and an unknown outcome, are
//! followed by a search by the key, which finds what exists. The single calls search first
//! as well; the batch calls rely on the key (one request fewer per batch, the same result).

use bc_core::{
    Client, ClientKey, ClientRef, Error, ErrorKind, ItemKey, ItemRef, LedgerRef, NewItem, Result,
    Sku,
};
use serde_json::Value;

use super::Bc365Ledger;
use crate::client::{lit, BatchOp, KeyQuery};
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
        let found = first::<Customer>(v, "customer")?;
        if let Some(c) = &found {
            self.known().customer(c);
        }
        Ok(found.map(client_ref))
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
            Ok(v) => {
                let c: Customer = parse(v, "customer")?;
                self.known().customer(&c);
                Ok(client_ref(c))
            }
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

    /// The `(field, value)` a client key is searched by.
    fn client_field(&self, key: &ClientKey) -> (&'static str, String) {
        match key {
            ClientKey::ImportId(id) => (
                "number",
                client::customer_number(&self.config.posting.customer_number_prefix, id),
            ),
            ClientKey::Email(e) => ("email", e.clone()),
            ClientKey::DisplayName(n) => ("displayName", n.clone()),
        }
    }

    /// Searches many client keys: one `or`-joined `GET` per field and 20 keys, all in one
    /// `$batch`; per key the first customer, as [`Bc365Ledger::find_client_by`] finds it.
    pub(crate) async fn find_clients_by(
        &self,
        keys: &[ClientKey],
    ) -> Vec<Result<Option<ClientRef>>> {
        let fields = ["number", "email", "displayName"];
        let mut queries: Vec<KeyQuery> = fields
            .iter()
            .map(|f| KeyQuery {
                rest: "customers".into(),
                field: f,
                quoted: true,
                keys: Vec::new(),
                query: Vec::new(),
                what: format!("find customers by {f}"),
            })
            .collect();
        let mut at = Vec::with_capacity(keys.len());
        for k in keys {
            let (field, value) = self.client_field(k);
            let q = fields.iter().position(|f| *f == field).unwrap_or(0);
            at.push((q, queries[q].keys.len()));
            queries[q].keys.push(value);
        }
        let answers = self.client.find_keys(&queries).await;
        at.into_iter()
            .map(|(q, i)| {
                let rows = answers
                    .get(q)
                    .and_then(|a| a.get(i))
                    .cloned()
                    .unwrap_or_else(|| Err(Error::protocol("a client key was not answered")))?;
                let c = rows
                    .into_iter()
                    .next()
                    .map(|v| parse::<Customer>(v, "customer"))
                    .transpose()?;
                if let Some(c) = &c {
                    self.known().customer(c);
                }
                Ok(c.map(client_ref))
            })
            .collect()
    }

    /// The `taxAreaId` (and `taxLiable`) of new customers: `posting.default_tax_area`.
    async fn default_area(&self) -> Result<Option<(String, bool)>> {
        let setup = self.setup().await?;
        self.config
            .posting
            .default_tax_area
            .as_deref()
            .map(|a| {
                setup
                    .areas
                    .get(a)
                    .map(|id| (id.clone(), setup.tax == TaxKind::SalesTax))
                    .ok_or_else(|| {
                        Error::config(
                            "ledger.posting.default_tax_area",
                            format!("tax area `{a}` does not exist in Business Central"),
                        )
                    })
            })
            .transpose()
    }

    /// Creates customers in `$batch`es (see the module docs for exactly once): one result
    /// per client, in order.
    pub(crate) async fn create_customers(&self, clients: &[Client]) -> Vec<Result<ClientRef>> {
        let area = match self.default_area().await {
            Ok(a) => a,
            Err(e) => return clients.iter().map(|_| Err(e.clone())).collect(),
        };
        let ops = clients
            .iter()
            .map(|c| BatchOp {
                method: "POST",
                url: self.client.rel("customers"),
                body: Some(client::customer(
                    c,
                    &self.config.posting.customer_number_prefix,
                    self.config.home_currency,
                    area.as_ref().map(|(id, liable)| (id.as_str(), *liable)),
                )),
                if_match: None,
                what: format!("create customer {}", c.display_name),
            })
            .collect();
        let answers = self.client.batch_each(ops, false).await;
        let mut out: Vec<Result<ClientRef>> = Vec::with_capacity(clients.len());
        let mut search: Vec<(usize, ClientKey, Error)> = Vec::new();
        for (i, (c, a)) in clients.iter().zip(answers).enumerate() {
            let r = a
                .and_then(|a| a.into_result())
                .and_then(|v| parse::<Customer>(v, "customer"))
                .map(|c| {
                    self.known().customer(&c);
                    client_ref(c)
                });
            match (r, &c.import_id) {
                (Err(e), Some(id))
                    if matches!(e.kind(), ErrorKind::Conflict | ErrorKind::OutcomeUnknown) =>
                {
                    search.push((i, ClientKey::ImportId(id.clone()), e.clone()));
                    out.push(Err(e));
                }
                (r, _) => out.push(r),
            }
        }
        if !search.is_empty() {
            let keys: Vec<ClientKey> = search.iter().map(|(_, k, _)| k.clone()).collect();
            let found = self.find_clients_by(&keys).await;
            for ((i, _, e), f) in search.into_iter().zip(found) {
                out[i] = match f {
                    Ok(Some(c)) => Ok(c),
                    Ok(None) => Err(e),
                    Err(_) => Err(e),
                };
            }
        }
        out
    }

    pub(crate) async fn find_items_by(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        self.find_items_each(keys).await.into_iter().collect()
    }

    /// Searches many item keys with `or`-joined filters in one `$batch`; one answer per key
    /// (a SKU that cannot be an item number, 1–20 characters, is not there).
    pub(crate) async fn find_items_each(&self, keys: &[ItemKey]) -> Vec<Result<Option<ItemRef>>> {
        let query = |field: &'static str| KeyQuery {
            rest: "items".into(),
            field,
            quoted: true,
            keys: Vec::new(),
            query: Vec::new(),
            what: format!("find items by {field}"),
        };
        let mut queries = vec![query("number"), query("displayName")];
        let mut at = Vec::with_capacity(keys.len());
        for k in keys {
            match k {
                ItemKey::Sku(s) if s.as_str().chars().count() <= 20 && !s.as_str().is_empty() => {
                    at.push(Some((0, queries[0].keys.len())));
                    queries[0].keys.push(s.as_str().to_string());
                }
                ItemKey::Sku(_) => at.push(None),
                ItemKey::Name(n) => {
                    at.push(Some((1, queries[1].keys.len())));
                    queries[1].keys.push(n.clone());
                }
            }
        }
        let answers = self.client.find_keys(&queries).await;
        at.into_iter()
            .map(|slot| {
                let Some((q, i)) = slot else {
                    return Ok(None);
                };
                let rows = answers
                    .get(q)
                    .and_then(|a| a.get(i))
                    .cloned()
                    .unwrap_or_else(|| Err(Error::protocol("an item key was not answered")))?;
                rows.into_iter()
                    .next()
                    .map(|v| parse::<Item>(v, "item"))
                    .transpose()
                    .map(|i| i.map(item_ref))
            })
            .collect()
    }

    /// Creates items in `$batch`es (see the module docs for exactly once): one result per
    /// item, in order.
    pub(crate) async fn create_items_each(&self, items: &[NewItem]) -> Vec<Result<ItemRef>> {
        let mut out: Vec<Option<Result<ItemRef>>> = items.iter().map(|_| None).collect();
        let mut ops = Vec::new();
        let mut sent = Vec::new();
        for (i, it) in items.iter().enumerate() {
            match item::item(it) {
                Ok(body) => {
                    ops.push(BatchOp {
                        method: "POST",
                        url: self.client.rel("items"),
                        body: Some(body),
                        if_match: None,
                        what: format!("create item {}", it.sku),
                    });
                    sent.push(i);
                }
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        let answers = self.client.batch_each(ops, false).await;
        let mut search: Vec<(usize, Error)> = Vec::new();
        for (i, a) in sent.into_iter().zip(answers) {
            match a
                .and_then(|a| a.into_result())
                .and_then(|v| parse::<Item>(v, "item"))
            {
                Ok(it) => out[i] = Some(Ok(item_ref(it))),
                Err(e) if matches!(e.kind(), ErrorKind::Conflict | ErrorKind::OutcomeUnknown) => {
                    search.push((i, e));
                }
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        if !search.is_empty() {
            let keys: Vec<ItemKey> = search
                .iter()
                .map(|(i, _)| ItemKey::Sku(items[*i].sku.clone()))
                .collect();
            let found = self.find_items_each(&keys).await;
            for ((i, e), f) in search.into_iter().zip(found) {
                out[i] = Some(match f {
                    Ok(Some(it)) => Ok(it),
                    _ => Err(e),
                });
            }
        }
        out.into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "item not processed")))
            })
            .collect()
    }

    /// Creates one item: `POST items` straight away, since the item number (the SKU) is
    /// Business Central's key and a second creation is refused; that refusal, or an unknown
    /// outcome, is followed by a search by the SKU.
    pub(crate) async fn create_one_item(&self, i: &NewItem) -> Result<ItemRef> {
        self.create_items_each(std::slice::from_ref(i))
            .await
            .pop()
            .unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no result")))
    }
}
