//! Names in documents → QBO ids: items named as posting targets, accounts (the chart, read
//! once), tax codes with their rates, classes, locations, payment methods, and the service
//! items bcsync creates to post a line kind to an account. Resolved once and cached.

use std::collections::{BTreeMap, BTreeSet};

use bc_core::{Error, ErrorKind, Result};

use super::catalog::CATALOG_QUERIES;
use super::search::IN_CHUNK;
use super::{lock, protocol, written, QboLedger};
use crate::error::PLATFORM;
use crate::mapping::{account_item_name, RefKey, Refs, TaxCodeInfo};
use crate::query::{literal, select_eq, select_in};
use crate::wire::{self, Entity, Ref};

impl QboLedger {
    /// Resolves every key (cached), creating bcsync's account items when missing, and returns
    /// the references for the mapping. A name that does not exist is left out: the mapping
    /// reports it with the document it belongs to.
    pub(crate) async fn refs(&self, keys: &[RefKey]) -> Result<Refs> {
        let cached = |key: &RefKey| match key {
            RefKey::TaxCode(c) => lock(&self.tax_codes).contains_key(c),
            k => lock(&self.refs).contains_key(k) || lock(&self.absent).contains(k),
        };
        let mut missing: Vec<RefKey> = keys.iter().filter(|k| !cached(k)).cloned().collect();
        if let Some(c) = &self.default_tax_code {
            let k = RefKey::TaxCode(c.clone());
            if !cached(&k) {
                missing.push(k);
            }
        }
        missing.sort();
        missing.dedup();
        if !missing.is_empty() {
            // Lists, items and bcsync's account items in one request, the account items
            // missing created in one more; classes and locations one by one (rare).
            let rest = self.preload(&missing).await?;
            for key in rest {
                self.resolve(&key).await?;
            }
        }
        let mut refs = Refs::new(self.company.style, self.company.home_currency);
        refs.multicurrency = self.company.multicurrency;
        refs.default_tax_code = self.default_tax_code.clone();
        refs.ids = lock(&self.refs).clone();
        refs.tax_codes = lock(&self.tax_codes).clone();
        Ok(refs)
    }

    async fn resolve(&self, key: &RefKey) -> Result<()> {
        let found: Option<Ref> = match key {
            RefKey::Item(name) => {
                let q = self.api.query(&select_eq("Item", "Name", name)).await?;
                let mut item = q.item.into_iter().next();
                if item.is_none() {
                    item = self
                        .api
                        .query(&select_eq("Item", "Sku", name))
                        .await?
                        .item
                        .into_iter()
                        .next();
                }
                item.and_then(|i| {
                    i.id.map(|id| Ref {
                        value: id,
                        name: i.name,
                    })
                })
            }
            RefKey::Account(code) => self.find_account(code).await?,
            RefKey::AccountItem(label, account) => Some(self.account_item(label, account).await?),
            RefKey::TaxCode(code) => {
                if let Some(info) = self.find_tax_code(code).await? {
                    lock(&self.tax_codes).insert(code.clone(), info);
                }
                return Ok(());
            }
            RefKey::Class(name) => self.find_named("Class", name).await?,
            RefKey::Department(name) => self.find_named("Department", name).await?,
            // Optional on every form: a list QBO cannot answer leaves it out.
            // Optional on every form: a method QBO does not have (or a list it cannot answer)
            // is left out, and not asked again by this process.
            RefKey::PaymentMethod(name) => match self.find_named("PaymentMethod", name).await {
                Ok(Some(r)) => Some(r),
                Ok(None) => {
                    lock(&self.absent).insert(key.clone());
                    None
                }
                Err(e) => {
                    tracing::warn!(method = %name, error = %e, "payment method lookup failed; posting without it");
                    lock(&self.absent).insert(key.clone());
                    None
                }
            },
        };
        if let Some(r) = found {
            lock(&self.refs).insert(key.clone(), r);
        }
        Ok(())
    }

    /// An account by number, name, fully qualified name or id, matched in the chart of
    /// accounts (read once: `AcctNum` is not filterable in QBO, and one listing is cheaper
    /// than a query per code).
    pub(crate) async fn find_account(&self, code: &str) -> Result<Option<Ref>> {
        let mut chart = self.accounts.lock().await;
        if chart.is_none() {
            let mut answers = self
                .run_queries(&["SELECT * FROM Account".to_string()])
                .await;
            let resp = answers
                .pop()
                .unwrap_or_else(|| Err(protocol("no answer to the account query".into())))?;
            *chart = Some(resp.account);
        }
        let accounts = chart.as_deref().unwrap_or_default();
        let by = |f: &dyn Fn(&wire::Account) -> bool| {
            accounts.iter().find(|a| f(a)).and_then(|a| {
                a.id.clone().map(|id| Ref {
                    value: id,
                    name: a.name.clone(),
                })
            })
        };
        Ok(by(&|a| a.acct_num.as_deref() == Some(code))
            .or_else(|| by(&|a| a.name.as_deref() == Some(code)))
            .or_else(|| {
                by(&|a| {
                    a.name
                        .as_deref()
                        .is_some_and(|n| code.rsplit(':').next() == Some(n) && code.contains(':'))
                })
            })
            .or_else(|| by(&|a| a.id.as_deref() == Some(code))))
    }

    async fn find_named(&self, entity: &str, name: &str) -> Result<Option<Ref>> {
        let q = self.api.query(&select_eq(entity, "Name", name)).await?;
        let rows = match entity {
            "Class" => q.class,
            "Department" => q.department,
            _ => q.payment_method,
        };
        if let Some(r) = rows.into_iter().next() {
            return Ok(r.id.map(|id| Ref {
                value: id,
                name: r.name,
            }));
        }
        if name.chars().all(|c| c.is_ascii_digit()) {
            let q = self.api.query(&select_eq(entity, "Id", name)).await?;
            let rows = match entity {
                "Class" => q.class,
                "Department" => q.department,
                _ => q.payment_method,
            };
            return Ok(rows.into_iter().next().and_then(|r| {
                r.id.map(|id| Ref {
                    value: id,
                    name: r.name,
                })
            }));
        }
        Ok(None)
    }

    async fn find_tax_code(&self, code: &str) -> Result<Option<TaxCodeInfo>> {
        let mut q = self.api.query(&select_eq("TaxCode", "Name", code)).await?;
        if q.tax_code.is_empty() && code.chars().all(|c| c.is_ascii_digit()) {
            q = self.api.query(&select_eq("TaxCode", "Id", code)).await?;
        }
        let Some(tc) = q.tax_code.into_iter().next() else {
            return Ok(None);
        };
        let Some(id) = tc.id else { return Ok(None) };
        let rate_ids: Vec<String> = tc
            .sales_tax_rate_list
            .map(|l| {
                l.tax_rate_detail
                    .into_iter()
                    .filter_map(|d| d.tax_rate_ref.map(|r| r.value))
                    .collect()
            })
            .unwrap_or_default();
        let mut rates = Vec::new();
        if !rate_ids.is_empty() {
            let found = self
                .api
                .query(&select_in(
                    "TaxRate",
                    "Id",
                    rate_ids.iter().map(String::as_str),
                ))
                .await?
                .tax_rate;
            for rid in &rate_ids {
                if let Some(r) = found.iter().find(|r| r.id.as_deref() == Some(rid.as_str())) {
                    rates.push((rid.clone(), r.rate_value.unwrap_or_default()));
                }
            }
        }
        Ok(Some(TaxCodeInfo { id, rates }))
    }

    /// bcsync's service item that posts a line kind to `account` (QBO sales lines post through
    /// items): found by name, else created with the account as its income account. A gift
    /// certificate line posted this way credits the liability account, never revenue.
    async fn account_item(&self, label: &str, account: &str) -> Result<Ref> {
        let name = account_item_name(label, account);
        let _guard = self.account_items.lock().await;
        if let Some(r) = lock(&self.refs)
            .get(&RefKey::AccountItem(label.to_string(), account.to_string()))
            .cloned()
        {
            return Ok(r);
        }
        let q = self
            .api
            .query(&format!(
                "SELECT * FROM Item WHERE Name = {} AND Active IN (true, false)",
                literal(&name)
            ))
            .await?;
        if let Some(i) = q.item.into_iter().next() {
            if let Some(id) = i.id {
                return Ok(Ref {
                    value: id,
                    name: i.name,
                });
            }
        }
        let item = self.new_account_item(&name, label, account).await?;
        let env = self
            .api
            .write(
                &Entity::Item(item),
                &format!("account-item:{name}"),
                "create",
            )
            .await?;
        let w = written(&env, "the item creation")?;
        let id =
            w.id.ok_or_else(|| protocol("QuickBooks created an item without an Id".into()))?;
        Ok(Ref {
            value: id,
            name: Some(name),
        })
    }
}

/// The lists read once per process (they do not change during a run): tax codes, tax rates
/// and payment methods (the chart of accounts is kept beside them, in `QboLedger::accounts`).
#[derive(Debug, Default)]
pub struct Lists {
    tax_codes: Vec<wire::TaxCode>,
    tax_rates: Vec<wire::TaxRate>,
    payment_methods: Vec<wire::Named>,
}

impl Lists {
    /// The lists from the answers of [`CATALOG_QUERIES`]' tax codes, tax rates and payment
    /// methods.
    pub fn new(
        codes: &wire::QueryResponse,
        rates: &wire::QueryResponse,
        methods: &wire::QueryResponse,
    ) -> Self {
        Lists {
            tax_codes: codes.tax_code.clone(),
            tax_rates: rates.tax_rate.clone(),
            payment_methods: methods.payment_method.clone(),
        }
    }

    /// A tax code by name, else by id, with its sales rates.
    pub fn tax_code(&self, code: &str) -> Option<TaxCodeInfo> {
        let tc = self
            .tax_codes
            .iter()
            .find(|t| t.name.as_deref() == Some(code))
            .or_else(|| {
                self.tax_codes
                    .iter()
                    .find(|t| t.id.as_deref() == Some(code))
            })?;
        let id = tc.id.clone()?;
        let mut rates = Vec::new();
        for rid in tc.sales_tax_rate_list.iter().flat_map(|l| {
            l.tax_rate_detail
                .iter()
                .filter_map(|d| d.tax_rate_ref.as_ref().map(|r| r.value.clone()))
        }) {
            if let Some(r) = self
                .tax_rates
                .iter()
                .find(|r| r.id.as_deref() == Some(rid.as_str()))
            {
                rates.push((rid, r.rate_value.unwrap_or_default()));
            }
        }
        Some(TaxCodeInfo { id, rates })
    }

    /// A payment method by name, else by id.
    pub fn payment_method(&self, name: &str) -> Option<Ref> {
        let m = self
            .payment_methods
            .iter()
            .find(|m| m.name.as_deref() == Some(name))
            .or_else(|| {
                self.payment_methods
                    .iter()
                    .find(|m| m.id.as_deref() == Some(name))
            })?;
        Some(Ref {
            value: m.id.clone()?,
            name: m.name.clone(),
        })
    }
}

/// The row of `rows` whose `field` (name or SKU) is `value`: the same text first, else the
/// same ignoring case (QBO compares names without case).
fn item_row<'a>(
    rows: &'a [wire::Item],
    value: &str,
    field: fn(&wire::Item) -> Option<&str>,
) -> Option<&'a wire::Item> {
    rows.iter().find(|i| field(i) == Some(value)).or_else(|| {
        rows.iter()
            .find(|i| field(i).is_some_and(|f| f.eq_ignore_ascii_case(value)))
    })
}

fn item_ref(i: &wire::Item) -> Option<Ref> {
    Some(Ref {
        value: i.id.clone()?,
        name: i.name.clone(),
    })
}

impl QboLedger {
    /// Resolves `missing` with as few requests as QBO allows: the lists (tax codes, tax rates,
    /// accounts, payment methods: read once per process) and every item and account item
    /// named, in one `/batch` of queries; the account items that do not exist yet created in
    /// one more `/batch`. Returns the keys left to resolve one by one (classes, locations).
    pub(crate) async fn preload(&self, missing: &[RefKey]) -> Result<Vec<RefKey>> {
        // One preload at a time: a second waits and finds the first's results cached.
        let mut lists = self.lists.lock().await;
        let cached = |key: &RefKey| match key {
            RefKey::TaxCode(c) => lock(&self.tax_codes).contains_key(c),
            k => lock(&self.refs).contains_key(k) || lock(&self.absent).contains(k),
        };
        let missing: Vec<&RefKey> = missing.iter().filter(|k| !cached(k)).collect();
        let needs_lists = missing.iter().any(|k| {
            matches!(
                k,
                RefKey::TaxCode(_)
                    | RefKey::PaymentMethod(_)
                    | RefKey::Account(_)
                    | RefKey::AccountItem(..)
            )
        });
        let load_lists = needs_lists && lists.is_none();
        let names: BTreeSet<&str> = missing
            .iter()
            .filter_map(|k| match k {
                RefKey::Item(n) => Some(n.as_str()),
                _ => None,
            })
            .collect();
        let account_items: BTreeMap<String, (&str, &str)> = missing
            .iter()
            .filter_map(|k| match k {
                RefKey::AccountItem(label, account) => Some((
                    account_item_name(label, account),
                    (label.as_str(), account.as_str()),
                )),
                _ => None,
            })
            .collect();
        let mut queries: Vec<String> = Vec::new();
        if load_lists {
            queries.extend(CATALOG_QUERIES.iter().map(|q| q.to_string()));
        }
        let names_list: Vec<&str> = names.iter().copied().collect();
        for chunk in names_list.chunks(IN_CHUNK) {
            for field in ["Name", "Sku"] {
                queries.push(
                    select_in("Item", field, chunk.iter().copied())
                        .trim_end_matches(" MAXRESULTS 1000")
                        .to_string(),
                );
            }
        }
        let account_names: Vec<&str> = account_items.keys().map(String::as_str).collect();
        for chunk in account_names.chunks(IN_CHUNK) {
            let list: Vec<String> = chunk.iter().map(|n| literal(n)).collect();
            queries.push(format!(
                "SELECT * FROM Item WHERE Name IN ({}) AND Active IN (true, false)",
                list.join(", ")
            ));
        }
        let mut answers = if queries.is_empty() {
            Vec::new()
        } else {
            self.run_queries(&queries).await
        }
        .into_iter();
        let mut next = |what: &str| {
            answers
                .next()
                .unwrap_or_else(|| Err(protocol(format!("no answer to the {what} query"))))
        };
        if load_lists {
            let codes = next("TaxCode")?;
            let rates = next("TaxRate")?;
            let accounts = next("Account")?;
            // Payment methods are optional on every form: a list QBO cannot answer leaves
            // them out (as before, when they were asked one by one).
            let methods = next("PaymentMethod").unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot list the payment methods; posting without them");
                wire::QueryResponse::default()
            });
            *lists = Some(Lists::new(&codes, &rates, &methods));
            *self.accounts.lock().await = Some(accounts.account);
        }
        let mut by_name: Vec<wire::Item> = Vec::new();
        let mut by_sku: Vec<wire::Item> = Vec::new();
        for _ in names_list.chunks(IN_CHUNK) {
            by_name.extend(next("Item")?.item);
            by_sku.extend(next("Item")?.item);
        }
        let mut account_rows: Vec<wire::Item> = Vec::new();
        for _ in account_names.chunks(IN_CHUNK) {
            account_rows.extend(next("Item")?.item);
        }
        let mut rest = Vec::new();
        let mut to_create: Vec<(RefKey, String, &str, &str)> = Vec::new();
        for key in missing {
            let found: Option<Ref> = match key {
                RefKey::TaxCode(code) => {
                    if let Some(info) = lists.as_ref().and_then(|l| l.tax_code(code)) {
                        lock(&self.tax_codes).insert(code.clone(), info);
                    }
                    continue;
                }
                RefKey::PaymentMethod(name) => {
                    match lists.as_ref().and_then(|l| l.payment_method(name)) {
                        Some(r) => Some(r),
                        None => {
                            // Optional on every form: not asked again by this process.
                            lock(&self.absent).insert(key.clone());
                            None
                        }
                    }
                }
                RefKey::Account(code) => self.find_account(code).await?,
                RefKey::Item(name) => item_row(&by_name, name, |i| i.name.as_deref())
                    .or_else(|| item_row(&by_sku, name, |i| i.sku.as_deref()))
                    .and_then(item_ref),
                RefKey::AccountItem(label, account) => {
                    let name = account_item_name(label, account);
                    match item_row(&account_rows, &name, |i| i.name.as_deref()).and_then(item_ref) {
                        Some(r) => Some(r),
                        None => {
                            to_create.push((key.clone(), name, label, account));
                            None
                        }
                    }
                }
                RefKey::Class(_) | RefKey::Department(_) => {
                    rest.push(key.clone());
                    None
                }
            };
            if let Some(r) = found {
                lock(&self.refs).insert(key.clone(), r);
            }
        }
        if !to_create.is_empty() {
            self.create_account_items(&to_create).await?;
        }
        Ok(rest)
    }

    /// The service item `name` that posts `label` lines to `account` (its income account),
    /// ready to create; the account must exist.
    async fn new_account_item(&self, name: &str, label: &str, account: &str) -> Result<wire::Item> {
        let acct = self.find_account(account).await?.ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!("account `{account}` (for {label}) does not exist in QuickBooks"),
            )
            .with_platform(PLATFORM)
        })?;
        Ok(wire::Item {
            name: Some(name.to_string()),
            description: Some(format!("{label} posted by bcsync to account {account}")),
            item_type: Some("Service".into()),
            income_account_ref: Some(acct),
            active: Some(true),
            ..wire::Item::default()
        })
    }

    /// Creates bcsync's account items in one `/batch` (30 per request); a name taken meanwhile
    /// (6240) is read back and adopted.
    async fn create_account_items(&self, wanted: &[(RefKey, String, &str, &str)]) -> Result<()> {
        let mut items = Vec::new();
        for (n, (_, name, label, account)) in wanted.iter().enumerate() {
            let item = self.new_account_item(name, label, account).await?;
            let v = Entity::Item(item)
                .batch_item(&n.to_string(), "create")
                .map_err(|e| {
                    Error::new(ErrorKind::Internal, format!("cannot encode the item: {e}"))
                })?;
            items.push(v);
        }
        for (c, chunk) in items.chunks(crate::config::BATCH_SIZE).enumerate() {
            let answers = self.api.batch(chunk.to_vec()).await?;
            for n in 0..chunk.len() {
                let i = c * crate::config::BATCH_SIZE + n;
                let (key, name, _, _) = &wanted[i];
                let env = answers
                    .get(&i.to_string())
                    .ok_or_else(|| protocol(format!("item `{name}`: no batch answer")))?;
                let r = match crate::error::error_from_envelope(env, 200, "create item") {
                    Some(e) if crate::error::is_duplicate_name(&e) => {
                        let q = self
                            .api
                            .query(&format!(
                                "SELECT * FROM Item WHERE Name = {} AND Active IN (true, false)",
                                literal(name)
                            ))
                            .await?;
                        q.item.first().and_then(item_ref).ok_or(e)?
                    }
                    Some(e) => return Err(e.context(format!("item `{name}`"))),
                    None => {
                        let w = written(env, "the item creation")?;
                        let id = w.id.ok_or_else(|| {
                            protocol("QuickBooks created an item without an Id".into())
                        })?;
                        Ref {
                            value: id,
                            name: Some(name.clone()),
                        }
                    }
                };
                lock(&self.refs).insert(key.clone(), r);
            }
        }
        Ok(())
    }
}
