//! Names in documents → QBO ids: items named as posting targets, accounts (the chart, read
//! once), tax codes with their rates, classes, locations, payment methods, and the service
//! items bcsync creates to post a line kind to an account. Resolved once and cached.

use bc_core::{Error, ErrorKind, Result};

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
        for key in keys {
            let cached = match key {
                RefKey::TaxCode(c) => lock(&self.tax_codes).contains_key(c),
                k => lock(&self.refs).contains_key(k) || lock(&self.absent).contains(k),
            };
            if cached {
                continue;
            }
            self.resolve(key).await?;
        }
        let mut refs = Refs::new(self.company.style, self.company.home_currency);
        refs.multicurrency = self.company.multicurrency;
        refs.default_tax_code = self.default_tax_code.clone();
        if let Some(c) = &self.default_tax_code {
            if !lock(&self.tax_codes).contains_key(c) {
                self.resolve(&RefKey::TaxCode(c.clone())).await?;
            }
        }
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
        let acct = self.find_account(account).await?.ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!("account `{account}` (for {label}) does not exist in QuickBooks"),
            )
            .with_platform(PLATFORM)
        })?;
        let item = wire::Item {
            name: Some(name.clone()),
            description: Some(format!("{label} posted by bcsync to account {account}")),
            item_type: Some("Service".into()),
            income_account_ref: Some(acct),
            active: Some(true),
            ..wire::Item::default()
        };
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
