//! Customers: found by import id, e-mail or display name, created 30 per `/batch`.
//!
//! bcsync keeps a client's import id in the customer's `Notes` (`[bcsync:<id>] created by
//! bcsync`), which QBO cannot filter on. Rather than a query per order, the connector keeps
//! an index of the company's customers: read once (a page per 1,000 customers), then brought
//! up to date before each lookup with one query on a filterable field,
//! `MetaData.LastUpdatedTime >= <last seen>` (inactive ones included, so a customer made
//! inactive leaves the index). A batch of lookups costs one request, and nothing another
//! process or a QBO user created is missed.

use std::collections::HashMap;

use bc_core::{Client, ClientKey, ClientRef, Error, ErrorKind, LedgerRef, Result};
use serde_json::Value;

use super::{collect, protocol, written, QboLedger};
use crate::config::BATCH_SIZE;
use crate::error::{error_from_envelope, is_duplicate_name};
use crate::mapping::{self, has_marker, Refs};
use crate::query::literal;
use crate::wire::{self, Entity};

/// The company's customers as bcsync matches them.
#[derive(Debug, Default)]
pub struct CustomerIndex {
    loaded: bool,
    since: Option<String>,
    by_id: HashMap<String, wire::Customer>,
    // The number of the last refresh that succeeded (see `QboLedger::find_clients`).
    refreshed: u64,
}

fn id_number(c: &wire::Customer) -> u64 {
    c.id.as_deref()
        .and_then(|i| i.parse().ok())
        .unwrap_or(u64::MAX)
}

fn client_ref(c: &wire::Customer) -> Option<ClientRef> {
    let mut at = LedgerRef::new(c.id.clone()?);
    if let Some(s) = &c.sync_token {
        at = at.with_version(s.clone());
    }
    Some(ClientRef {
        at,
        display_name: c.display_name.clone().unwrap_or_default(),
    })
}

impl CustomerIndex {
    fn absorb(&mut self, rows: Vec<wire::Customer>) {
        for c in rows {
            let Some(id) = c.id.clone() else { continue };
            if let Some(t) = c
                .meta_data
                .as_ref()
                .and_then(|m| m.last_updated_time.clone())
            {
                let newer = self
                    .since
                    .as_deref()
                    .is_none_or(|s| crate::ledger::feeds::later(&t, s));
                if newer {
                    self.since = Some(t);
                }
            }
            if c.active == Some(false) {
                self.by_id.remove(&id);
            } else {
                self.by_id.insert(id, c);
            }
        }
    }

    /// The active customer for `key` (the oldest when several match).
    pub fn get(&self, key: &ClientKey) -> Option<ClientRef> {
        let mut matches: Vec<&wire::Customer> = self
            .by_id
            .values()
            .filter(|c| match key {
                ClientKey::ImportId(id) => has_marker(c.notes.as_deref(), id),
                ClientKey::Email(e) => c
                    .primary_email_addr
                    .as_ref()
                    .and_then(|a| a.address.as_deref())
                    .is_some_and(|a| a.trim().eq_ignore_ascii_case(e.trim())),
                ClientKey::DisplayName(n) => c.display_name.as_deref() == Some(n.as_str()),
            })
            .collect();
        matches.sort_by_key(|c| id_number(c));
        matches.first().and_then(|c| client_ref(c))
    }

    fn insert(&mut self, c: wire::Customer) {
        if let Some(id) = c.id.clone() {
            self.by_id.insert(id, c);
        }
    }

    /// The display names of the indexed customers, lower-cased (QBO compares names without
    /// case).
    pub fn display_names(&self) -> std::collections::HashSet<String> {
        self.by_id
            .values()
            .filter_map(|c| c.display_name.as_deref().map(str::to_lowercase))
            .collect()
    }

    /// How many customers the index holds.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

impl QboLedger {
    /// Brings the customer index up to date: the whole list the first time, then what changed
    /// since the newest `LastUpdatedTime` seen (one query).
    async fn refresh_customers(&self, index: &mut CustomerIndex) -> Result<()> {
        let q = match (&index.since, index.loaded) {
            (Some(since), true) => format!(
                "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime >= {} AND Active IN (true, false)",
                literal(since)
            ),
            _ => "SELECT * FROM Customer".to_string(),
        };
        let mut answers = self.run_queries(&[q]).await;
        let resp = answers
            .pop()
            .unwrap_or_else(|| Err(protocol("no answer to the customer query".into())))?;
        index.absorb(resp.customer);
        index.loaded = true;
        Ok(())
    }

    /// Finds several clients with one request (the index refresh); one answer per key.
    ///
    /// Calls made concurrently share a refresh: a call needs one that started after it was
    /// made (so that it sees every customer created before it), and the first such refresh
    /// answers every call waiting for it.
    pub async fn find_clients(&self, keys: &[ClientKey]) -> Result<Vec<Option<ClientRef>>> {
        use std::sync::atomic::Ordering;
        let arrived = self.customer_refreshes.load(Ordering::SeqCst);
        let mut index = self.customers.lock().await;
        if !index.loaded || index.refreshed <= arrived {
            let seq = self.customer_refreshes.fetch_add(1, Ordering::SeqCst) + 1;
            self.refresh_customers(&mut index).await?;
            index.refreshed = seq;
        }
        Ok(keys.iter().map(|k| index.get(k)).collect())
    }

    /// Creates several clients, 30 per `/batch`; a display name already taken (6240) gets the
    /// next stable variant ([`mapping::display_name_variants`]) in a following round, unless
    /// the customer holding it is this client from an earlier attempt (its import id in
    /// `Notes`), which is adopted. One result per client.
    pub async fn create_clients(&self, clients: &[Client]) -> Vec<Result<ClientRef>> {
        let refs = Refs {
            multicurrency: self.company.multicurrency,
            ..Refs::new(self.company.style, self.company.home_currency)
        };
        let variants: Vec<Vec<String>> =
            clients.iter().map(mapping::display_name_variants).collect();
        let mut out: Vec<Option<Result<ClientRef>>> = clients.iter().map(|_| None).collect();
        // The variant each client tries next, skipping names the company's customers (the
        // index) or another client of this call already hold: a request answered 6240 for a
        // name the index shows taken would be spent for nothing.
        let mut next: Vec<usize> = vec![0; clients.len()];
        let mut choice: Vec<usize> = vec![0; clients.len()];
        let mut last_error: HashMap<usize, Error> = HashMap::new();
        {
            let index = self.customers.lock().await;
            let mut taken: std::collections::HashSet<String> = index.display_names();
            for (i, client) in clients.iter().enumerate() {
                // Ours from an earlier attempt (its import id in `Notes`)? Adopt it.
                if let Some(found) = client
                    .import_id
                    .as_ref()
                    .and_then(|id| index.get(&ClientKey::ImportId(id.clone())))
                {
                    out[i] = Some(Ok(found));
                    continue;
                }
                while next[i] < variants[i].len()
                    && taken.contains(&variants[i][next[i]].to_lowercase())
                {
                    next[i] += 1;
                }
                if let Some(v) = variants[i].get(next[i]) {
                    taken.insert(v.to_lowercase());
                }
            }
        }
        loop {
            let pending: Vec<usize> = (0..clients.len()).filter(|i| out[*i].is_none()).collect();
            if pending.is_empty() {
                break;
            }
            for i in &pending {
                choice[*i] = next[*i];
                next[*i] += 1;
                if choice[*i] >= variants[*i].len() {
                    let e = last_error.remove(i).unwrap_or_else(|| {
                        Error::new(ErrorKind::Conflict, "no display name available")
                    });
                    out[*i] = Some(Err(e.context(format!(
                        "client `{}`: every display name variant is taken",
                        clients[*i].display_name
                    ))));
                }
            }
            let pending: Vec<usize> = pending.into_iter().filter(|i| out[*i].is_none()).collect();
            if pending.is_empty() {
                break;
            }
            for chunk in pending.chunks(BATCH_SIZE) {
                let items: Vec<Value> = chunk
                    .iter()
                    .filter_map(|i| {
                        let c = mapping::customer(&clients[*i], &variants[*i][choice[*i]], &refs);
                        Entity::Customer(c)
                            .batch_item(&i.to_string(), "create")
                            .ok()
                    })
                    .collect();
                let answers = match self.api.batch(items).await {
                    Ok(a) => a,
                    Err(e) => {
                        for i in chunk {
                            out[*i] = Some(Err(e.clone()));
                        }
                        continue;
                    }
                };
                let mut index = self.customers.lock().await;
                for i in chunk {
                    let client = &clients[*i];
                    let r = match answers.get(&i.to_string()) {
                        None => Some(Err(protocol(format!(
                            "client `{}`: no batch answer",
                            client.display_name
                        )))),
                        Some(env) => match error_from_envelope(env, 200, "create customer") {
                            Some(e) if is_duplicate_name(&e) => {
                                let name = &variants[*i][choice[*i]];
                                // Ours from an earlier attempt? Adopt it.
                                let ours = client
                                    .import_id
                                    .as_ref()
                                    .and_then(|id| index.get(&ClientKey::ImportId(id.clone())));
                                match ours {
                                    Some(found) => Some(Ok(found)),
                                    None => {
                                        tracing::info!(name = %name, "display name taken in QuickBooks (6240): trying a variant");
                                        last_error.insert(*i, e);
                                        None
                                    }
                                }
                            }
                            Some(e) => {
                                Some(Err(e.context(format!("client `{}`", client.display_name))))
                            }
                            None => Some(match env.customer.clone() {
                                Some(c) => {
                                    let r = client_ref(&c).ok_or_else(|| {
                                        protocol(
                                            "QuickBooks created a customer without an Id".into(),
                                        )
                                    });
                                    index.insert(c);
                                    r
                                }
                                None => written(env, "the customer creation").and_then(|w| {
                                    Err(protocol(format!(
                                        "the {} answer has no Customer",
                                        w.entity
                                    )))
                                }),
                            }),
                        },
                    };
                    if let Some(r) = r {
                        out[*i] = Some(r);
                    }
                }
            }
        }
        collect(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: &str, note: Option<&str>, email: &str, active: bool) -> wire::Customer {
        wire::Customer {
            id: Some(id.into()),
            display_name: Some(format!("C{id}")),
            notes: note.map(str::to_string),
            primary_email_addr: Some(wire::EmailAddress {
                address: Some(email.into()),
            }),
            active: Some(active),
            ..wire::Customer::default()
        }
    }

    #[test]
    fn the_index_matches_the_marker_exactly_and_forgets_inactive_customers() {
        let mut ix = CustomerIndex::default();
        ix.absorb(vec![
            customer("3", Some("[bcsync:11] created by bcsync"), "a@x.com", true),
            customer("4", Some("[bcsync:110] created by bcsync"), "A@X.com", true),
        ]);
        let by = |ix: &CustomerIndex, k: ClientKey| ix.get(&k).map(|c| c.at.id);
        assert_eq!(
            by(&ix, ClientKey::ImportId("11".into())).as_deref(),
            Some("3")
        );
        assert_eq!(by(&ix, ClientKey::ImportId("1".into())), None);
        assert_eq!(
            by(&ix, ClientKey::Email("a@x.com".into())).as_deref(),
            Some("3")
        );
        ix.absorb(vec![customer("3", Some("[bcsync:11]"), "a@x.com", false)]);
        assert_eq!(by(&ix, ClientKey::ImportId("11".into())), None);
        assert_eq!(
            by(&ix, ClientKey::Email("a@x.com".into())).as_deref(),
            Some("4")
        );
    }
}
