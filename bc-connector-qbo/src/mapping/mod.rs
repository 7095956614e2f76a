//! bcsync documents → QBO entities, and back. Pure functions: every name in a document
//! (items, accounts, tax codes, classes, locations, payment methods) is resolved to a QBO id
//! beforehand by the connector and handed in as [`Refs`].
//!
//! Amounts are never recomputed: the posting plan has rounded them and guaranteed that the
//! document total equals the storefront total. Here they are only *expressed*:
//! - a line's `Amount` is the planned amount, and `UnitPrice` is chosen so that
//!   `UnitPrice × Qty = Amount` holds as QBO requires ([`unit_price_for`]);
//! - discounts, gift certificates and store credit are negative item lines (or one
//!   `DiscountLineDetail` to the discount account); gift certificates post to an item whose
//!   income account is the gift-card liability, so they never reduce revenue;
//! - tax is the planned tax, kept by QBO through an explicit `TxnTaxDetail.TotalTax` (Intuit:
//!   "whenever an explicit tax amount is sent in the transaction request the AST engine honors
//!   the amount"), with `TAX`/`NON` lines and one transaction tax code in US companies, and a
//!   tax code per line with `GlobalTaxCalculation = TaxExcluded` elsewhere.

//!
//! One file per document kind: `sales` (invoices and sales receipts), `customer`,
//! `item`, `receipt` (payments), `credit` (credit memos and refund receipts),
//! `journal` (journals and deposits); this file holds what they share (references, the
//! import-id marker and keys, names).

use std::collections::HashMap;

use bc_core::{
    Address, Currency, Error, ErrorKind, ImportId, Receipt, SalesDocument, SalesLineKind,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::PLATFORM;
use crate::wire::{PhysicalAddress, Ref};

mod credit;
mod customer;
mod item;
mod journal;
mod receipt;
mod sales;
#[cfg(test)]
mod tests;

pub use credit::{credit_form, credit_refs_needed};
pub use customer::{customer, display_name_variants};
pub use item::{item_refs_needed, new_item};
pub use journal::{deposit, journal, journal_refs_needed};
pub use receipt::{payment, receipt_refs_needed};
pub use sales::{ledger_document, sales_form, sales_refs_needed};

/// Longest `DocNumber` QBO accepts.
pub const MAX_DOC_NUMBER: usize = 21;
/// Longest `PrivateNote`.
pub const MAX_PRIVATE_NOTE: usize = 4000;
/// Longest customer `DisplayName`.
pub const MAX_DISPLAY_NAME: usize = 500;
/// Longest item `Name`.
pub const MAX_ITEM_NAME: usize = 100;
/// Longest `PaymentRefNum`.
pub const MAX_PAYMENT_REF: usize = 21;

/// How the company models sales tax (from `CompanyInfo.Country`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxStyle {
    /// US: lines `TAX`/`NON`, one `TxnTaxCodeRef`, `TotalTax` overridden.
    Us,
    /// Everywhere else: a `TaxCodeRef` per line, `GlobalTaxCalculation`, `TotalTax` overridden.
    NonUs,
}

/// A name in a document that must be resolved to a QBO id before mapping.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefKey {
    /// An item by name (posting targets such as the shipping item).
    Item(String),
    /// An account by number or name.
    Account(String),
    /// The service item bcsync uses to post a line kind to an account (QBO sales lines post
    /// through items): `(label, account)`.
    AccountItem(String, String),
    /// A tax code by id or name.
    TaxCode(String),
    /// A class.
    Class(String),
    /// A location (QBO `Department`).
    Department(String),
    /// A payment method.
    PaymentMethod(String),
}

/// A resolved tax code: its id and its sales rates `(rate id, percent)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaxCodeInfo {
    /// TaxCode id.
    pub id: String,
    /// Its sales rates.
    pub rates: Vec<(String, Decimal)>,
}

/// Resolved references, plus what the company is.
#[derive(Clone, Debug)]
pub struct Refs {
    /// Resolved ids.
    pub ids: HashMap<RefKey, Ref>,
    /// Tax code details (by the name used in the document).
    pub tax_codes: HashMap<String, TaxCodeInfo>,
    /// The tax model.
    pub style: TaxStyle,
    /// Home currency.
    pub home_currency: Currency,
    /// Multicurrency on.
    pub multicurrency: bool,
    /// Non-US: the tax code for lines the plan left without one (`None` = the item's own).
    pub default_tax_code: Option<String>,
}

impl Refs {
    /// Empty references for a company.
    pub fn new(style: TaxStyle, home_currency: Currency) -> Self {
        Refs {
            ids: HashMap::new(),
            tax_codes: HashMap::new(),
            style,
            home_currency,
            multicurrency: false,
            default_tax_code: None,
        }
    }

    fn get(&self, key: &RefKey, context: &str) -> Result<Ref, Error> {
        self.ids.get(key).cloned().ok_or_else(|| {
            let what = match key {
                RefKey::Item(n) => format!("item `{n}`"),
                RefKey::Account(a) => format!("account `{a}`"),
                RefKey::AccountItem(l, a) => format!("the {l} item for account `{a}`"),
                RefKey::TaxCode(c) => format!("tax code `{c}`"),
                RefKey::Class(c) => format!("class `{c}`"),
                RefKey::Department(d) => format!("location `{d}`"),
                RefKey::PaymentMethod(p) => format!("payment method `{p}`"),
            };
            Error::new(
                ErrorKind::Config,
                format!("{context}: {what} does not exist in QuickBooks"),
            )
            .with_platform(PLATFORM)
        })
    }

    fn tax_code(&self, code: &str, context: &str) -> Result<Ref, Error> {
        match self.tax_codes.get(code) {
            Some(info) => Ok(Ref::id(info.id.clone())),
            None => self.get(&RefKey::TaxCode(code.to_string()), context),
        }
    }
}

/// The label of the service item that carries a line kind to an account.
pub fn account_item_label(kind: &SalesLineKind) -> &'static str {
    match kind {
        SalesLineKind::Item { .. } => "Sales",
        SalesLineKind::Discount { .. } => "Discounts",
        SalesLineKind::Shipping => "Shipping",
        SalesLineKind::Handling => "Handling",
        SalesLineKind::Wrapping => "Gift wrapping",
        SalesLineKind::GiftCertificate { .. } => "Gift certificates",
        SalesLineKind::StoreCredit => "Store credit",
        SalesLineKind::Rounding => "Rounding",
    }
}

/// The name of the service item bcsync creates for `(label, account)`.
pub fn account_item_name(label: &str, account: &str) -> String {
    clean_name(&format!("bcsync {label} ({account})"), MAX_ITEM_NAME)
}

/// The import-id marker bcsync writes at the start of `PrivateNote` (and customer `Notes`):
/// `[bcsync:BC11001]`. The closing bracket keeps `BC1100` from matching `BC11001`.
pub fn marker(key: &str) -> String {
    format!("[bcsync:{key}]")
}

/// Whether `note` carries exactly the marker of `key` (it starts with it, followed by a space
/// or nothing).
pub fn has_marker(note: Option<&str>, key: &str) -> bool {
    let m = marker(key);
    note.and_then(|n| n.strip_prefix(&m))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

/// The key of a receipt: import id + `#P` + sequence.
pub fn receipt_key(r: &Receipt) -> String {
    format!("{}#P{}", r.import_id, r.sequence)
}

/// The key of a credit memo: import id + `#R` + refund id.
pub fn credit_key(import_id: &ImportId, refund_id: &str) -> String {
    format!("{import_id}#R{refund_id}")
}

/// The key of a journal: `J#` + its key.
pub fn journal_key(key: &str) -> String {
    format!("J#{key}")
}

/// The `PrivateNote` of a sales document: the marker, the tenders (gift certificates and store
/// credit, which QBO's `TotalAmt` nets off as negative lines) when there are any, and the
/// plan's note: `[bcsync:BC11001] (tenders -10.00) bcsync import id …`.
pub fn sales_note(doc: &SalesDocument) -> String {
    let tenders = doc.tender_total();
    let note = match (tenders.is_zero(), doc.private_note.as_deref()) {
        (true, n) => n.map(str::to_string),
        (false, Some(n)) => Some(format!("(tenders {tenders}) {n}")),
        (false, None) => Some(format!("(tenders {tenders})")),
    };
    note_with_marker(&doc.import_id.to_string(), note.as_deref())
}

/// The tenders recorded by [`sales_note`] (zero when none).
pub fn tenders_in_note(note: Option<&str>, key: &str) -> Decimal {
    note.and_then(|n| n.strip_prefix(&marker(key)))
        .and_then(|rest| rest.strip_prefix(" (tenders "))
        .and_then(|rest| rest.split(')').next())
        .and_then(|t| bc_core::money::parse_decimal(t).ok())
        .unwrap_or(Decimal::ZERO)
}

pub(crate) fn note_with_marker(key: &str, note: Option<&str>) -> String {
    let mut s = marker(key);
    if let Some(n) = note.filter(|n| !n.trim().is_empty()) {
        s.push(' ');
        s.push_str(n.trim());
    }
    truncate(&s, MAX_PRIVATE_NOTE)
}

/// Truncates to `max` characters.
pub fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A name QBO accepts: no colon (QBO's hierarchy separator), no tabs or newlines, single
/// spaces, trimmed, at most `max` characters.
pub fn clean_name(s: &str, max: usize) -> String {
    let replaced: String = s
        .chars()
        .map(|c| match c {
            ':' => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let collapsed = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&collapsed, max).trim().to_string()
}

pub(crate) fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `(Qty, UnitPrice)` such that `UnitPrice × Qty` equals `amount` at two decimals, as QBO
/// requires: the planned unit price when it already works, else `amount / qty` with the
/// fewest decimals (up to 7) that work, else quantity 1 at the amount.
pub fn unit_price_for(
    quantity: Decimal,
    unit_price: Decimal,
    amount: Decimal,
) -> (Decimal, Decimal) {
    let fits = |q: Decimal, p: Decimal| (q * p).round_dp(2) == amount.round_dp(2);
    if quantity <= Decimal::ZERO {
        return (Decimal::ONE, amount);
    }
    if fits(quantity, unit_price) && unit_price.scale() <= 7 {
        return (quantity, unit_price.normalize());
    }
    for dp in 2..=7 {
        if let Some(p) = amount.checked_div(quantity).map(|p| p.round_dp(dp)) {
            if fits(quantity, p) {
                return (quantity, p.normalize());
            }
        }
    }
    (Decimal::ONE, amount)
}

pub(crate) fn address(a: &Address) -> PhysicalAddress {
    let opt = |s: &str| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_string())
    };
    PhysicalAddress {
        id: None,
        line1: opt(&a.street_1),
        line2: a.street_2.as_deref().and_then(opt),
        city: opt(&a.city),
        country_sub_division_code: opt(&a.state),
        postal_code: opt(&a.zip),
        country: opt(if a.country_iso2.trim().is_empty() {
            &a.country
        } else {
            &a.country_iso2
        }),
    }
}
