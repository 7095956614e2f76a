//! Why an order (or refund, or payout) cannot be posted.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::OrderId;

/// The reason of a [`MappingIssue`], for grouping in the exception queue and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IssueCode {
    /// A storefront tax zone has no entry in `tax_map`.
    UnmappedTaxZone,
    /// A product line's item is not in the ledger (and `create_missing_items` is off).
    UnknownItem,
    /// A product line has no SKU to match on.
    MissingSku,
    /// A charge, discount or tender has no item or GL account configured.
    MissingPostingTarget,
    /// The ledger's rounding differs from the storefront total by more than the tolerance.
    RoundingBeyondTolerance,
    /// The order's currency is not enabled in the ledger.
    CurrencyNotEnabled,
    /// The document number is longer than the ledger allows.
    DocNumberTooLong,
    /// A payment method has no entry in `payment_map`.
    UnmappedPaymentMethod,
    /// The order was placed before `start_date`.
    BeforeStartDate,
    /// An amount or quantity makes no sense (negative quantity, zero quantity with an amount).
    InvalidAmount,
    /// A payout's parts do not add up to its net.
    PayoutDoesNotReconcile,
    /// A refund line names a line the order does not have.
    UnknownOrderLine,
    /// The document to credit has not been posted.
    DocumentNotPosted,
}

impl IssueCode {
    /// Short snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueCode::UnmappedTaxZone => "unmapped_tax_zone",
            IssueCode::UnknownItem => "unknown_item",
            IssueCode::MissingSku => "missing_sku",
            IssueCode::MissingPostingTarget => "missing_posting_target",
            IssueCode::RoundingBeyondTolerance => "rounding_beyond_tolerance",
            IssueCode::CurrencyNotEnabled => "currency_not_enabled",
            IssueCode::DocNumberTooLong => "doc_number_too_long",
            IssueCode::UnmappedPaymentMethod => "unmapped_payment_method",
            IssueCode::BeforeStartDate => "before_start_date",
            IssueCode::InvalidAmount => "invalid_amount",
            IssueCode::PayoutDoesNotReconcile => "payout_does_not_reconcile",
            IssueCode::UnknownOrderLine => "unknown_order_line",
            IssueCode::DocumentNotPosted => "document_not_posted",
        }
    }
}

impl fmt::Display for IssueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason why something cannot be posted: the order, the setting to fix, and a sentence
/// a finance person can act on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MappingIssue {
    /// The storefront order concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderId>,
    /// The reason.
    pub code: IssueCode,
    /// The settings key to fix (`"tax_map"`, `"posting.discount_gl"`), when a setting fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
    /// What is wrong, with the values involved.
    pub message: String,
}

impl MappingIssue {
    /// A new issue.
    pub fn new(
        order: Option<&OrderId>,
        code: IssueCode,
        setting: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        MappingIssue {
            order: order.cloned(),
            code,
            setting: setting.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for MappingIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(o) = &self.order {
            write!(f, "order {o}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(s) = &self.setting {
            write!(f, " (setting `{s}`)")?;
        }
        Ok(())
    }
}
