//! What the company holds that settings name ([`bc_core::Ledger::catalog`]), for `bcsync init`
//! and `bcsync check --online`: five lists of API v2.0 (`taxAreas`, `taxGroups`, `accounts`,
//! `paymentMethods`, `shipmentMethods`), each read to its end (`@odata.nextLink`).
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

use super::Bc365Ledger;
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
    /// Reads the catalog: five lists, each followed to its last page.
    pub(crate) async fn read_catalog(&self) -> Result<LedgerCatalog> {
        let areas = self.coded("taxAreas", "list tax areas").await?;
        let groups = self.coded("taxGroups", "list tax groups").await?;
        let accounts: Vec<Account> = parse(
            Value::Array(self.client.list("list accounts", "accounts", &[]).await?),
            "list accounts",
        )?;
        let methods = self.coded("paymentMethods", "list payment methods").await?;
        let ships = self
            .coded("shipmentMethods", "list shipment methods")
            .await?;
        Ok(catalog_from(&areas, &groups, &accounts, &methods, &ships))
    }

    async fn coded(&self, set: &str, what: &str) -> Result<Vec<Coded>> {
        let rows = self.client.list(what, set, &[]).await?;
        parse(Value::Array(rows), what)
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
