//! Refunds and payouts as storefronts report them (R1, R2, Y1).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{OrderId, PayoutId, RefundId, Sku};
use crate::money::Currency;

/// A line of a refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    /// The order line refunded (storefront line id).
    pub line_id: String,
    /// Its SKU, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// Quantity refunded.
    pub quantity: Decimal,
    /// Amount refunded for the line, excluding tax.
    pub amount_ex_tax: Decimal,
    /// Whether the goods come back into stock (R2).
    #[serde(default)]
    pub restock: bool,
}

/// A refund made in the storefront.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The storefront's refund id.
    pub id: RefundId,
    /// The order refunded.
    pub order_id: OrderId,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Lines refunded (may be empty for an amount-only refund).
    #[serde(default)]
    pub lines: Vec<RefundLine>,
    /// Shipping refunded, excluding tax.
    #[serde(default)]
    pub shipping_ex_tax: Decimal,
    /// Handling refunded, excluding tax.
    #[serde(default)]
    pub handling_ex_tax: Decimal,
    /// Tax refunded.
    #[serde(default)]
    pub tax: Decimal,
    /// Amount not tied to any line (goodwill, "custom amount").
    #[serde(default)]
    pub other_amount: Decimal,
    /// Total refunded: Σ lines + shipping + handling + tax + other.
    pub total: Decimal,
    /// How the money went back (`"credit_card"`, `"store_credit"`…), key of `payment_map`.
    pub method: String,
    /// Currency.
    pub currency: Currency,
    /// The merchant's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Refund {
    /// Σ of the parts (lines, shipping, handling, tax, other).
    pub fn computed_total(&self) -> Decimal {
        self.lines.iter().map(|l| l.amount_ex_tax).sum::<Decimal>()
            + self.shipping_ex_tax
            + self.handling_ex_tax
            + self.tax
            + self.other_amount
    }
}

/// One order settled in a payout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutEntry {
    /// The order (or refund's order).
    pub order_id: OrderId,
    /// Gross amount (positive for a sale, negative for a refund).
    pub amount: Decimal,
}

/// A settlement: the gateway paid the merchant the net of sales, refunds and fees (Y1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// The payout's id.
    pub id: PayoutId,
    /// The day the money reached the bank.
    pub paid_at: DateTime<Utc>,
    /// Currency.
    pub currency: Currency,
    /// Sales settled (gross, positive).
    pub sales: Vec<PayoutEntry>,
    /// Refunds settled (positive amounts, subtracted).
    pub refunds: Vec<PayoutEntry>,
    /// Processor fees (positive, subtracted).
    pub fees: Decimal,
    /// Adjustments (chargebacks, reserves): signed, added.
    #[serde(default)]
    pub adjustments: Decimal,
    /// What reached the bank: sales − refunds − fees + adjustments.
    pub net: Decimal,
}

impl Payout {
    /// sales − refunds − fees + adjustments.
    pub fn computed_net(&self) -> Decimal {
        self.sales.iter().map(|s| s.amount).sum::<Decimal>()
            - self.refunds.iter().map(|r| r.amount).sum::<Decimal>()
            - self.fees
            + self.adjustments
    }
}
