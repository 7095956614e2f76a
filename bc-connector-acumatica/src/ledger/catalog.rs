//! What the tenant holds that settings name ([`bc_core::Ledger::catalog`]), for `bcsync init`
//! and `bcsync check --online`: `Tax`, `PaymentMethod` (with its `AllowedCashAccounts`) and
//! `ShipVia` of the Default endpoint (the contract-based API answers a list whole: no paging).
//!
//! | list | settings | `code` | as posting uses it |
//! |------|----------|--------|--------------------|
//! | `tax_codes` | `tax_map` values | `Tax.TaxID` | the document's `TaxDetails.TaxID`; the zone comes from `ledger.tax_zones` |
//! | `accounts` | `payment_map.*.deposit_account`, `posting.gift_card_liability_gl`… | a cash account some active AR payment method allows (`AllowedCashAccounts.CashAccount`); GL accounts are not listed, so `accounts` is also named in `unknown` (nothing is checked or held against it) | `Payment.CashAccount` |
//! | `receipt_types` | `payment_map.*.receipt_type` | `PaymentMethod.PaymentMethodID` (active, used in AR) | `Payment.PaymentMethod` |
//! | `ship_vias` | `shipping.ship_via_map` values | `ShipVia.CarrierID` | `SalesOrder.ShipVia` |
//!
//! A tax's rate lives in its tax schedule, which the Default endpoint's `Tax` does not expose:
//! tax codes come without one. Each tax's name says whether `ledger.tax_zones` gives it a zone
//! (without one the connector refuses the document).

use std::collections::BTreeMap;

use bc_core::{CatalogEntry, LedgerCatalog, Result};
use serde_json::Value;

use super::AcumaticaLedger;
use crate::wire::{boolean, text};

impl AcumaticaLedger {
    /// Reads the catalog: three lists.
    pub(crate) async fn read_catalog(&self) -> Result<LedgerCatalog> {
        let taxes = self.client.list("Tax", &[]).await?;
        let methods = self
            .client
            .list(
                "PaymentMethod",
                &[("$expand", "AllowedCashAccounts".to_string())],
            )
            .await?;
        let vias = self.client.list("ShipVia", &[]).await?;
        Ok(catalog_from(
            &taxes,
            &methods,
            &vias,
            &self.config.tax_zones,
        ))
    }
}

fn catalog_from(
    taxes: &[Value],
    methods: &[Value],
    vias: &[Value],
    tax_zones: &BTreeMap<String, String>,
) -> LedgerCatalog {
    let mut out = LedgerCatalog::new();
    let label = |row: &Value, key: &str| {
        text(row, "Description")
            .or_else(|| text(row, key))
            .unwrap_or_default()
    };
    for t in taxes {
        let Some(id) = text(t, "TaxID") else { continue };
        let zone = match tax_zones.get(&id) {
            Some(z) => format!("tax zone {z}"),
            None => "no tax zone in ledger.tax_zones".to_string(),
        };
        out.tax_codes.push(CatalogEntry::new(
            id,
            format!("{} ({zone})", label(t, "TaxID")),
        ));
    }
    let mut cash: BTreeMap<String, String> = BTreeMap::new();
    for m in methods {
        let Some(id) = text(m, "PaymentMethodID") else {
            continue;
        };
        if boolean(m, "Active") == Some(false) || boolean(m, "UseInAR") == Some(false) {
            continue;
        }
        out.receipt_types
            .push(CatalogEntry::new(id, label(m, "PaymentMethodID")));
        for a in m
            .get("AllowedCashAccounts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(account) = text(a, "CashAccount") else {
                continue;
            };
            if boolean(a, "UseInAR") == Some(false) {
                continue;
            }
            let name = label(a, "CashAccount");
            cash.entry(account).or_insert(name);
        }
    }
    out.accounts = cash
        .into_iter()
        .map(|(code, name)| CatalogEntry::new(code, name))
        .collect();
    // Only cash accounts are listed (the sandbox does not serve the Default endpoint's
    // `Account` yet): the GL accounts settings name (`orders.new_items.income_account`,
    // `posting.*_gl`) are not among them, so the list is not complete and nothing may be
    // held for an account missing from it.
    out.unknown.push("accounts".to_string());
    for s in vias {
        if let Some(id) = text(s, "CarrierID") {
            out.ship_vias
                .push(CatalogEntry::new(id, label(s, "CarrierID")));
        }
    }
    for list in [
        &mut out.tax_codes,
        &mut out.receipt_types,
        &mut out.ship_vias,
    ] {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    out
}
