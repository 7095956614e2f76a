//! What the company holds that settings name ([`bc_core::Ledger::catalog`]), for `bcsync init`
//! and `bcsync check --online`: five lists of API v2.0 (`taxAreas`, `taxGroups`, `accounts`,
//! `paymentMethods`, `shipmentMethods`), read in one `$batch`, each to its end
//! (`@odata.nextLink`).
//!
//! | list | settings | `code` | as posting uses it |
//! |------|----------|--------|--------------------|
//! | `tax_codes` | `tax_map` values | `AREA/GROUP` for every tax area and tax group, and `GROUP` alone | the line's `taxCode` is the group, the customer's tax area the area (both checked, exactly) |
//! | `accounts` | `posting.*_gl` | the G/L account `number` (posting accounts, not blocked, direct posting: what a sales line may name) | `lineObjectNumber` of an `Account` line |
//! | `receipt_types` | `payment_map.*.receipt_type` | the payment method `code` | written into the payment's description only |
//! | `ship_vias` | `shipping.ship_via_map` values | the shipment method `code` | not sent on documents |
//!
//! API v2.0 exposes no rate on tax areas or groups (VAT posting setup and tax details are not
//! API pages), so tax codes come without one.

use bc_core::{CatalogEntry, LedgerCatalog, Result};
use serde::Deserialize;
use serde_json::Value;

use super::{setup, Bc365Ledger};
use crate::client::BatchOp;
use crate::wire::{parse, Coded};

/// A G/L account as the catalog reads it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Account {
    number: String,
    display_name: String,
    account_type: String,
    blocked: bool,
    direct_posting: bool,
}

impl Bc365Ledger {
    /// Reads the catalog: five lists in one `$batch`, each followed to its last page. The
    /// company's setup, when not read yet, is read in the same `$batch` (the engine reads the
    /// catalog before it writes anything, and every write needs the setup).
    pub(crate) async fn read_catalog(&self) -> Result<LedgerCatalog> {
        let lists = [
            ("taxAreas", "list tax areas"),
            ("taxGroups", "list tax groups"),
            ("accounts", "list accounts"),
            ("paymentMethods", "list payment methods"),
            ("shipmentMethods", "list shipment methods"),
        ];
        let mut ops = if self.setup.initialized() {
            Vec::new()
        } else {
            setup::ops(&self.client, &self.config)
        };
        let n_setup = ops.len();
        ops.extend(lists.iter().map(|(rest, what)| BatchOp {
            method: "GET",
            url: self.client.rel(rest),
            body: None,
            if_match: None,
            what: (*what).to_string(),
        }));
        let mut answers = self.client.batch_each(ops, true).await;
        let list_answers = answers.split_off(n_setup.min(answers.len()));
        if n_setup > 0 {
            // A setup that cannot be read (a journal missing) is reported by the first write
            // that needs it, as when it is read alone.
            let read: Result<Vec<_>> = answers.into_iter().collect();
            if let Ok(s) = read.and_then(|a| setup::from_answers(a, &self.config)) {
                let _ = self.setup.set(s);
            }
        }
        let mut rows = Vec::with_capacity(lists.len());
        for ((_, what), a) in lists.iter().zip(list_answers) {
            rows.push(self.client.rows_of(a, what).await);
        }
        let mut rows = rows.into_iter();
        let mut next = |what: &str| -> Result<Value> {
            rows.next()
                .unwrap_or_else(|| Err(bc_core::Error::protocol(format!("{what}: no answer"))))
                .map(Value::Array)
        };
        let areas: Vec<Coded> = parse(next("list tax areas")?, "list tax areas")?;
        let groups: Vec<Coded> = parse(next("list tax groups")?, "list tax groups")?;
        let accounts: Vec<Account> = parse(next("list accounts")?, "list accounts")?;
        let methods: Vec<Coded> = parse(next("list payment methods")?, "list payment methods")?;
        let ships: Vec<Coded> = parse(next("list shipment methods")?, "list shipment methods")?;
        Ok(catalog_from(&areas, &groups, &accounts, &methods, &ships))
    }
}

fn catalog_from(
    areas: &[Coded],
    groups: &[Coded],
    accounts: &[Account],
    methods: &[Coded],
    ships: &[Coded],
) -> LedgerCatalog {
    let mut out = LedgerCatalog::new();
    for g in groups {
        out.tax_codes
            .push(CatalogEntry::new(g.code.clone(), label(g)));
        for a in areas {
            out.tax_codes.push(CatalogEntry::new(
                format!("{}/{}", a.code, g.code),
                format!("{} / {}", label(a), label(g)),
            ));
        }
    }
    for a in accounts {
        if a.account_type == "Posting" && !a.blocked && a.direct_posting && !a.number.is_empty() {
            let name = if a.display_name.is_empty() {
                a.number.clone()
            } else {
                a.display_name.clone()
            };
            out.accounts.push(CatalogEntry::new(a.number.clone(), name));
        }
    }
    out.receipt_types = methods
        .iter()
        .map(|m| CatalogEntry::new(m.code.clone(), label(m)))
        .collect();
    out.ship_vias = ships
        .iter()
        .map(|s| CatalogEntry::new(s.code.clone(), label(s)))
        .collect();
    for list in [
        &mut out.tax_codes,
        &mut out.accounts,
        &mut out.receipt_types,
        &mut out.ship_vias,
    ] {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    out
}

fn label(c: &Coded) -> String {
    if c.display_name.is_empty() {
        c.code.clone()
    } else {
        c.display_name.clone()
    }
}
