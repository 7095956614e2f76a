//! What the company holds that settings name ([`bc_core::Ledger::catalog`]), for `bcsync init`
//! and `bcsync check --online`: four queries in one `/batch` request (each read to its end,
//! `STARTPOSITION`/`MAXRESULTS 1000`, by [`QboLedger::run_queries`]), active rows only — what
//! the lookups of [`super::refs`] can find.
//!
//! | list | settings | `code` | the connector also accepts |
//! |------|----------|--------|----------------------------|
//! | `tax_codes` | `tax_map` values | `TaxCode.Name` | the TaxCode `Id` |
//! | `accounts` | `deposit_account`, `posting.*_gl`, `payouts.*` | `Account.Name` | `AcctNum`, `Parent:Name`, the `Id` |
//! | `receipt_types` | `payment_map.*.receipt_type` | `PaymentMethod.Name` (also named in `unknown`: a method the company lacks is left off the payment, so nothing is held for it) | the `Id` |
//! | `ship_vias` | — | (QBO has no ship-via list: `ShipMethodRef` is free text) | — |
//!
//! A tax code's rate is the sum of the `RateValue`s of its sales rates (a US combined code:
//! state + city), `None` when it has no sales rate or one of them is not listed. US companies
//! leave out the pseudo codes `TAX` and `NON`: they mark lines taxable, they are not a
//! transaction tax code a `tax_map` can name.

use bc_core::{CatalogEntry, LedgerCatalog, Result};
use rust_decimal::Decimal;

use super::{protocol, QboLedger};
use crate::mapping::TaxStyle;
use crate::wire::{self, QueryResponse};

/// The catalog's queries, in the order [`catalog_from`] reads their answers.
pub const CATALOG_QUERIES: [&str; 4] = [
    "SELECT * FROM TaxCode",
    "SELECT * FROM TaxRate",
    "SELECT * FROM Account",
    "SELECT * FROM PaymentMethod",
];

impl QboLedger {
    /// Reads the catalog (one `/batch` of [`CATALOG_QUERIES`], then any further pages) and
    /// keeps the chart of accounts it read for the account lookups.
    pub(crate) async fn read_catalog(&self) -> Result<LedgerCatalog> {
        let queries: Vec<String> = CATALOG_QUERIES.iter().map(|q| q.to_string()).collect();
        let mut answers = self.run_queries(&queries).await.into_iter();
        let mut next = |what: &str| {
            answers
                .next()
                .unwrap_or_else(|| Err(protocol(format!("no answer to the {what} query"))))
        };
        let codes = next("TaxCode")?;
        let rates = next("TaxRate")?;
        let accounts = next("Account")?;
        let methods = next("PaymentMethod")?;
        let catalog = catalog_from(self.company.style, &codes, &rates, &accounts, &methods);
        *self.lists.lock().await = Some(super::refs::Lists::new(&codes, &rates, &methods));
        *self.accounts.lock().await = Some(accounts.account);
        Ok(catalog)
    }
}

/// The catalog from the answers of [`CATALOG_QUERIES`] (pure).
pub fn catalog_from(
    style: TaxStyle,
    codes: &QueryResponse,
    rates: &QueryResponse,
    accounts: &QueryResponse,
    methods: &QueryResponse,
) -> LedgerCatalog {
    let mut out = LedgerCatalog::new();
    for code in &codes.tax_code {
        let (Some(id), Some(name)) = (code.id.as_deref(), code.name.as_deref()) else {
            continue;
        };
        if style == TaxStyle::Us && matches!(id, "TAX" | "NON") {
            continue;
        }
        let label = code
            .description
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .unwrap_or(name);
        let mut entry = CatalogEntry::new(name, label);
        if let Some(rate) = combined_rate(code, &rates.tax_rate) {
            entry = entry.with_rate(rate);
        }
        out.tax_codes.push(entry);
    }
    for a in &accounts.account {
        let Some(name) = a.name.as_deref() else {
            continue;
        };
        out.accounts
            .push(CatalogEntry::new(name, account_label(a, name)));
    }
    for m in &methods.payment_method {
        let Some(name) = m.name.as_deref() else {
            continue;
        };
        let label = match m.kind.as_deref() {
            Some("CREDIT_CARD") => format!("{name} (credit card)"),
            Some("NON_CREDIT_CARD") => format!("{name} (not a card)"),
            _ => name.to_string(),
        };
        out.receipt_types.push(CatalogEntry::new(name, label));
    }
    for list in [
        &mut out.tax_codes,
        &mut out.accounts,
        &mut out.receipt_types,
    ] {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    // QBO forms carry a ship method as free text (`ShipMethodRef` names no list entity).
    out.unknown.push("ship_vias".to_string());
    // A payment method the company lacks is left off the payment (QBO records it without
    // one): listed for `init` and `check --online`, but no order is held for it.
    out.unknown.push("receipt_types".to_string());
    out
}

/// The sum of a code's sales rates in percent; `None` without rates or when one is missing.
fn combined_rate(code: &wire::TaxCode, rates: &[wire::TaxRate]) -> Option<Decimal> {
    let details = &code.sales_tax_rate_list.as_ref()?.tax_rate_detail;
    if details.is_empty() {
        return None;
    }
    let mut total = Decimal::ZERO;
    for d in details {
        let id = d.tax_rate_ref.as_ref()?.value.as_str();
        let rate = rates.iter().find(|r| r.id.as_deref() == Some(id))?;
        total += rate.rate_value?;
    }
    Some(total.normalize())
}

/// `"Payments Clearing (no. 1050, Other Current Asset)"`; a sub-account by its full name.
fn account_label(a: &wire::Account, name: &str) -> String {
    let full = a
        .fully_qualified_name
        .as_deref()
        .filter(|f| f.contains(':'))
        .unwrap_or(name);
    let mut about = Vec::new();
    if let Some(n) = a.acct_num.as_deref().filter(|n| !n.trim().is_empty()) {
        about.push(format!("no. {n}"));
    }
    if let Some(t) = a.account_type.as_deref() {
        about.push(t.to_string());
    }
    if about.is_empty() {
        full.to_string()
    } else {
        format!("{full} ({})", about.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(v: serde_json::Value) -> QueryResponse {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn rates_are_summed_and_a_missing_rate_gives_none() {
        let codes = answer(json!({ "TaxCode": [
            { "Id": "TAX", "Name": "TAX" },
            { "Id": "2", "Name": "San Francisco", "Description": "SF combined",
              "SalesTaxRateList": { "TaxRateDetail": [
                { "TaxRateRef": { "value": "1" } }, { "TaxRateRef": { "value": "2" } } ] } },
            { "Id": "3", "Name": "Gone", "SalesTaxRateList": { "TaxRateDetail": [
                { "TaxRateRef": { "value": "9" } } ] } },
            { "Id": "4", "Name": "Exempt" }
        ] }));
        let rates = answer(json!({ "TaxRate": [
            { "Id": "1", "Name": "CA", "RateValue": 7.25 },
            { "Id": "2", "Name": "SF", "RateValue": 1.375 }
        ] }));
        let none = QueryResponse::default();
        let us = catalog_from(TaxStyle::Us, &codes, &rates, &none, &none);
        let got: Vec<(&str, &str, Option<Decimal>)> = us
            .tax_codes
            .iter()
            .map(|e| (e.code.as_str(), e.name.as_str(), e.rate))
            .collect();
        assert_eq!(
            got,
            [
                ("Exempt", "Exempt", None),
                ("Gone", "Gone", None),
                ("San Francisco", "SF combined", Some(Decimal::new(8625, 3))),
            ]
        );
        // Outside the US `TAX` is an ordinary code.
        let gb = catalog_from(TaxStyle::NonUs, &codes, &rates, &none, &none);
        assert!(gb.tax_codes.iter().any(|e| e.code == "TAX"));
        assert_eq!(us.unknown, ["ship_vias", "receipt_types"]);
        assert!(!us.knows("ship_vias") && us.knows("tax_codes"));
    }

    #[test]
    fn accounts_and_methods_by_name_with_what_tells_them_apart() {
        let accounts = answer(json!({ "Account": [
            { "Id": "7", "Name": "Payments Clearing", "AcctNum": "1050", "AccountType": "Other Current Asset" },
            { "Id": "8", "Name": "PayPal", "FullyQualifiedName": "Clearing:PayPal", "AccountType": "Bank" },
            { "Id": "9", "Name": "Plain" }
        ] }));
        let methods = answer(json!({ "PaymentMethod": [
            { "Id": "3", "Name": "Visa", "Type": "CREDIT_CARD" },
            { "Id": "1", "Name": "Cash", "Type": "NON_CREDIT_CARD" }
        ] }));
        let none = QueryResponse::default();
        let c = catalog_from(TaxStyle::Us, &none, &none, &accounts, &methods);
        let accts: Vec<(&str, &str)> = c
            .accounts
            .iter()
            .map(|e| (e.code.as_str(), e.name.as_str()))
            .collect();
        assert_eq!(
            accts,
            [
                ("PayPal", "Clearing:PayPal (Bank)"),
                (
                    "Payments Clearing",
                    "Payments Clearing (no. 1050, Other Current Asset)"
                ),
                ("Plain", "Plain"),
            ]
        );
        let methods: Vec<(&str, &str)> = c
            .receipt_types
            .iter()
            .map(|e| (e.code.as_str(), e.name.as_str()))
            .collect();
        assert_eq!(
            methods,
            [
                ("Cash", "Cash (not a card)"),
                ("Visa", "Visa (credit card)")
            ]
        );
    }
}
