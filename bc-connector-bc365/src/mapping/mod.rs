//! bcsync documents → Business Central API v2.0 JSON, pure functions, one file per kind.
//!
//! - [`client`]: clients → `customers` (number from the storefront customer id);
//! - [`item`]: new items → `items`;
//! - [`sales`]: sales documents → `salesInvoices` / `salesOrders` with deep-inserted lines,
//!   tax zone → tax area / tax group per line, tenders to a liability account;
//! - [`credit`]: refunds → `salesCreditMemos` applied to the invoice;
//! - [`receipt`]: receipts → `customerPayments`;
//! - [`journal`]: payouts → `journalLines`;
//! - [`shipment`]: posted shipments + tracking → [`bc_core::LedgerShipment`].

pub mod client;
pub mod credit;
pub mod item;
pub mod journal;
pub mod receipt;
pub mod sales;
pub mod shipment;

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// Business Central's tax model of the company, read from its tax areas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxKind {
    /// VAT: tax areas are VAT business posting groups, tax groups VAT product posting groups.
    Vat,
    /// US sales tax: tax area + tax liable on the customer, tax group per line.
    SalesTax,
}

/// What the company has set up (read once by the ledger): the codes the mapping checks.
#[derive(Clone, Debug)]
pub struct Setup {
    /// VAT or sales tax.
    pub tax: TaxKind,
    /// Tax area code → id.
    pub areas: BTreeMap<String, String>,
    /// Tax group codes.
    pub groups: BTreeSet<String>,
    /// Foreign currency codes.
    pub currencies: BTreeSet<String>,
    /// Location code → id.
    pub locations: BTreeMap<String, String>,
    /// The payment journal's id.
    pub payment_journal: String,
    /// The payout journal's id.
    pub payout_journal: String,
}

/// A key that fits a field of `max` characters: itself, or a prefix and a stable hash.
pub fn fit_key(key: &str, max: usize) -> String {
    if key.chars().count() <= max {
        return key.to_string();
    }
    let hash = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, key.as_bytes())
        .simple()
        .to_string();
    let keep = max.saturating_sub(11);
    let prefix: String = key.chars().take(keep).collect();
    format!("{prefix}~{}", &hash[..10])
}

/// Text cut to `max` characters (BC refuses longer values with
/// `Application_StringExceededLength`).
pub fn fit(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A decimal as an exact JSON number.
pub fn num(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// Rounds like Business Central's amount rounding (2 decimals, half away from zero).
pub fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Quantity, unit price and line discount that make Business Central's line amount
/// (`round(quantity × unit price, 2) − discount`) equal `amount` exactly: BC keeps unit
/// prices to 5 decimals, so the unit price is `amount / quantity` rounded up there and the
/// excess is a line discount. Negative amounts become negative quantities (credits) with a
/// positive price.
pub fn price(quantity: Decimal, amount: Decimal) -> (Decimal, Decimal, Decimal) {
    let negative = amount < Decimal::ZERO || (amount.is_zero() && quantity < Decimal::ZERO);
    let q = if quantity.is_zero() {
        Decimal::ONE
    } else {
        quantity.abs()
    };
    let a = amount.abs();
    let unit = (a / q).round_dp_with_strategy(5, RoundingStrategy::AwayFromZero);
    let discount = round2(q * unit) - a;
    (
        if negative { -q } else { q },
        unit,
        discount.max(Decimal::ZERO),
    )
}

/// `(tax area, tax group)` of a ledger tax code written `AREA/GROUP` (or just `GROUP`).
pub fn split_tax_code(code: &str) -> (Option<&str>, &str) {
    match code.split_once('/') {
        Some((a, g)) => (Some(a.trim()).filter(|a| !a.is_empty()), g.trim()),
        None => (None, code.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn prices_make_the_amount_exactly() {
        for (q, a) in [
            (dec!(3), dec!(10.00)),
            (dec!(4), dec!(100)),
            (dec!(7), dec!(9.99)),
            (dec!(1), dec!(-5.00)),
            (dec!(3), dec!(0.01)),
        ] {
            let (bq, unit, disc) = price(q, a);
            assert_eq!(
                round2(bq * unit) - if bq < Decimal::ZERO { -disc } else { disc },
                a,
                "{q} × ? = {a}"
            );
            assert!(disc >= Decimal::ZERO && unit >= Decimal::ZERO);
        }
    }

    #[test]
    fn keys_fit() {
        assert_eq!(fit_key("BC11042", 35), "BC11042");
        let long = "X".repeat(50);
        let k = fit_key(&long, 35);
        assert_eq!(k.chars().count(), 35);
        assert_eq!(k, fit_key(&long, 35));
        assert_eq!(split_tax_code("EU/REDUCED"), (Some("EU"), "REDUCED"));
        assert_eq!(split_tax_code("STANDARD"), (None, "STANDARD"));
    }
}
