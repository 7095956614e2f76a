//! What the portal keeps, and the invoice rules (pure functions, enforced on the server).

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// A buyer company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Company {
    /// Portal id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// External company id (the storefront customer, `bc:{customer id}`).
    pub external_id: String,
}

/// A line of a synced storefront order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineRow {
    /// The storefront's line id.
    pub line_id: String,
    /// SKU.
    pub sku: Option<String>,
    /// Name.
    pub name: String,
    /// Quantity ordered.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// Unit price including tax.
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
}

/// A synced B2B order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    /// Storefront order id.
    pub id: String,
    /// Order number.
    pub number: String,
    /// Company.
    pub company_id: i64,
    /// Company name.
    pub company_name: String,
    /// The buyer.
    pub customer_name: String,
    /// Storefront status id.
    pub status: String,
    /// Status label.
    pub status_label: String,
    /// Currency.
    pub currency: String,
    /// Total including tax.
    pub total: Decimal,
    /// Lines.
    pub lines: Vec<OrderLineRow>,
    /// The order's content hash now.
    pub fingerprint: String,
    /// Its content hash when first invoiced.
    pub invoiced_fingerprint: Option<String>,
    /// Σ of its invoices' totals.
    pub invoiced: Decimal,
}

impl OrderRow {
    /// What remains to be invoiced.
    pub fn remaining(&self) -> Decimal {
        round_money(self.total, &self.currency) - self.invoiced
    }

    /// The flag (B7): cancelled or changed in the storefront after it was invoiced.
    pub fn flag(&self) -> Option<&'static str> {
        let invoiced_before = self.invoiced_fingerprint.is_some();
        // BigCommerce statuses 4 Refunded, 5 Cancelled, 6 Declined.
        if invoiced_before && matches!(self.status.as_str(), "4" | "5" | "6") {
            return Some("cancelled after invoicing");
        }
        match &self.invoiced_fingerprint {
            Some(f) if *f != self.fingerprint => Some("changed after invoicing"),
            _ => None,
        }
    }
}

/// An invoice's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceStatus {
    /// Nothing paid.
    Open,
    /// Partly paid.
    PartiallyPaid,
    /// Fully paid.
    Completed,
}

impl InvoiceStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Open => "open",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Completed => "completed",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            InvoiceStatus::Open,
            InvoiceStatus::PartiallyPaid,
            InvoiceStatus::Completed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// From the total and what was paid.
    pub fn of(total: Decimal, paid: Decimal) -> Self {
        if paid <= Decimal::ZERO {
            InvoiceStatus::Open
        } else if paid < total {
            InvoiceStatus::PartiallyPaid
        } else {
            InvoiceStatus::Completed
        }
    }
}

/// An invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    /// Portal id.
    pub id: i64,
    /// Number (`INV-000001`).
    pub number: String,
    /// `storefront` (made from an order) or `ledger` (imported from the ERP).
    pub source: String,
    /// The storefront order.
    pub order_id: Option<String>,
    /// Company.
    pub company_id: i64,
    /// Company name.
    pub company_name: String,
    /// Currency.
    pub currency: String,
    /// Total.
    pub total: Decimal,
    /// Paid so far.
    pub paid: Decimal,
    /// Status.
    pub status: InvoiceStatus,
    /// The ledger document (imported invoices).
    pub ledger_ref: Option<String>,
    /// The ledger import id.
    pub import_id: Option<String>,
    /// Created.
    pub created_at: String,
}

impl Invoice {
    /// What remains to be paid.
    pub fn balance(&self) -> Decimal {
        self.total - self.paid
    }
}

/// An invoice line's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// Goods or services.
    Item,
    /// A cost (freight, handling, an adjustment; may be negative).
    Cost,
}

impl LineKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Item => "item",
            LineKind::Cost => "cost",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "item" => Some(LineKind::Item),
            "cost" => Some(LineKind::Cost),
            _ => None,
        }
    }
}

/// An invoice line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceLine {
    /// Kind.
    pub kind: LineKind,
    /// SKU.
    pub sku: Option<String>,
    /// The order line it invoices.
    pub order_line: Option<String>,
    /// Description.
    pub description: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit price.
    pub unit_price: Decimal,
}

/// Decimal places of amounts in a currency.
pub fn minor_units(currency: &str) -> u32 {
    bc_core::Currency::new(currency)
        .map(|c| c.minor_units())
        .unwrap_or(2)
}

/// Rounds to the currency's minor unit, half away from zero.
pub fn round_money(amount: Decimal, currency: &str) -> Decimal {
    amount.round_dp_with_strategy(
        minor_units(currency),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// An amount as people read it: rounded to the currency's minor unit and shown with all its
/// decimals (`5` USD → `5.00`).
pub fn money(amount: Decimal, currency: &str) -> String {
    let mut a = round_money(amount, currency);
    a.rescale(minor_units(currency));
    a.to_string()
}

impl InvoiceLine {
    /// quantity × unit price, rounded to the currency.
    pub fn amount(&self, currency: &str) -> Decimal {
        round_money(self.quantity * self.unit_price, currency)
    }
}

/// A rule refused an action; the message names the invoice and the rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub String);

/// Validates lines and returns the total.
pub fn lines_total(
    number: &str,
    currency: &str,
    lines: &[InvoiceLine],
) -> Result<Decimal, RuleError> {
    if lines.is_empty() {
        return Err(RuleError(format!(
            "invoice {number}: it needs at least one line"
        )));
    }
    let dp = minor_units(currency);
    for (n, l) in lines.iter().enumerate() {
        let at = format!("invoice {number}, line {}", n + 1);
        if l.description.trim().is_empty() {
            return Err(RuleError(format!("{at}: the description is empty")));
        }
        if l.quantity <= Decimal::ZERO {
            return Err(RuleError(format!(
                "{at}: quantity {} must be positive",
                l.quantity
            )));
        }
        if l.kind == LineKind::Item && l.unit_price < Decimal::ZERO {
            return Err(RuleError(format!(
                "{at}: an item line's price {} cannot be negative (use a cost line)",
                l.unit_price
            )));
        }
        if l.unit_price.scale() > 4 || l.quantity.scale() > 4 {
            return Err(RuleError(format!(
                "{at}: at most 4 decimals in quantity and price"
            )));
        }
        let _ = dp;
    }
    let total: Decimal = lines.iter().map(|l| l.amount(currency)).sum();
    if total <= Decimal::ZERO {
        return Err(RuleError(format!(
            "invoice {number}: the total {total} must be positive"
        )));
    }
    Ok(total)
}

/// Whether an invoice may be edited to `new_total` (seed 004: a completed invoice cannot be
/// edited; an edit never takes the total below what was paid).
pub fn check_edit(inv: &Invoice, new_total: Decimal) -> Result<(), RuleError> {
    if inv.status == InvoiceStatus::Completed {
        return Err(RuleError(format!(
            "invoice {} is completed (fully paid): it cannot be edited",
            inv.number
        )));
    }
    if new_total < inv.paid {
        return Err(RuleError(format!(
            "invoice {}: the new total {new_total} would be less than the {} already paid",
            inv.number, inv.paid
        )));
    }
    Ok(())
}

/// Whether an invoice may be deleted (seed 004: partially paid and completed invoices
/// cannot be deleted).
pub fn check_delete(inv: &Invoice) -> Result<(), RuleError> {
    match inv.status {
        InvoiceStatus::Completed => Err(RuleError(format!(
            "invoice {} is completed (fully paid): it cannot be deleted",
            inv.number
        ))),
        InvoiceStatus::PartiallyPaid => Err(RuleError(format!(
            "invoice {} is partially paid: it cannot be deleted",
            inv.number
        ))),
        InvoiceStatus::Open if inv.paid > Decimal::ZERO => Err(RuleError(format!(
            "invoice {} has payments: it cannot be deleted",
            inv.number
        ))),
        InvoiceStatus::Open => Ok(()),
    }
}

/// A payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// Portal id.
    pub id: i64,
    /// Number (`PAY-000001`).
    pub number: String,
    /// Company.
    pub company_id: i64,
    /// Company name.
    pub company_name: String,
    /// `offline` (cheque/cash) or `card` (through the storefront's gateway).
    pub method: String,
    /// Cheque number or gateway transaction.
    pub reference: String,
    /// The memo shown to the buyer.
    pub memo: String,
    /// Amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: String,
    /// `completed`.
    pub status: String,
    /// When.
    pub created_at: String,
    /// Who recorded it.
    pub created_by: String,
    /// Allocations: (invoice id, invoice number, amount).
    pub allocations: Vec<(i64, String, Decimal)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn money_shows_the_minor_units_of_the_currency() {
        assert_eq!(money(d("5"), "USD"), "5.00");
        assert_eq!(money(d("22.875"), "USD"), "22.88");
        assert_eq!(money(d("-0.005"), "EUR"), "-0.01");
        assert_eq!(money(d("1500.5"), "JPY"), "1501");
        assert_eq!(money(d("0"), "USD"), "0.00");
    }

    fn invoice(total: &str, paid: &str) -> Invoice {
        Invoice {
            id: 1,
            number: "INV-000001".into(),
            source: "storefront".into(),
            order_id: Some("100".into()),
            company_id: 1,
            company_name: "Acme".into(),
            currency: "USD".into(),
            total: d(total),
            paid: d(paid),
            status: InvoiceStatus::of(d(total), d(paid)),
            ledger_ref: None,
            import_id: None,
            created_at: String::new(),
        }
    }

    #[test]
    fn the_rules_of_editing_and_deleting() {
        let open = invoice("100", "0");
        assert!(check_edit(&open, d("1")).is_ok());
        assert!(check_delete(&open).is_ok());
        let part = invoice("100", "40");
        assert!(check_edit(&part, d("40")).is_ok());
        let e = check_edit(&part, d("39.99")).unwrap_err();
        assert!(e.0.contains("less than the 40 already paid"), "{e}");
        assert!(check_delete(&part)
            .unwrap_err()
            .0
            .contains("partially paid"));
        let done = invoice("100", "100");
        assert!(check_edit(&done, d("200"))
            .unwrap_err()
            .0
            .contains("completed"));
        assert!(check_delete(&done).unwrap_err().0.contains("completed"));
    }
}
