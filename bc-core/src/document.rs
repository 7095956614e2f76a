//! What a ledger is asked to post: sales documents, receipts, credit memos, journals.
//!
//! These are produced by the pure posting plan ([`crate::plan`]) and consumed by ledger
//! connectors. Every amount is already rounded to the ledger's precision for the currency.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{ImportId, LedgerRef, OrderId, Sku};
use crate::money::Currency;

/// The kind of sales document (`document_kind`, O5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// An invoice (open A/R, paid by receipts).
    #[default]
    Invoice,
    /// A sales receipt (paid at once).
    SalesReceipt,
    /// A sales order (fulfilled and posted in the ERP).
    SalesOrder,
}

/// The number of a document: ours, or the ledger's own sequence (`auto_number`, O6).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DocNumber {
    /// This exact number (prefix + storefront number).
    Fixed(String),
    /// Let the ledger number it.
    Auto,
}

/// What a document line is, which decides where it posts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SalesLineKind {
    /// A product sold.
    Item {
        /// The ledger item.
        item: LedgerRef,
        /// The storefront line it came from.
        line_id: String,
    },
    /// A discount (coupon, promotion, manual): negative, to `discount_gl` or the discount item.
    Discount {
        /// The coupon code, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// Shipping charged.
    Shipping,
    /// Handling charged.
    Handling,
    /// Gift wrapping charged.
    Wrapping,
    /// A gift certificate redeemed: negative, to the gift card **liability** (never revenue).
    GiftCertificate {
        /// Certificate code.
        code: String,
    },
    /// Store credit redeemed: negative, to the store credit liability.
    StoreCredit,
    /// The difference between the ledger's rounding and the storefront total (O10).
    Rounding,
}

impl SalesLineKind {
    /// Whether the line is revenue (or a reduction of revenue): items, discounts, charges and
    /// rounding. Gift certificates and store credit are tenders, not revenue.
    pub fn is_revenue(&self) -> bool {
        !matches!(
            self,
            SalesLineKind::GiftCertificate { .. } | SalesLineKind::StoreCredit
        )
    }
}

/// Where a non-item line posts: a ledger item or a GL account, from the settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "to", content = "code", rename_all = "snake_case")]
pub enum PostingTarget {
    /// A ledger item (by name or SKU as configured).
    Item(String),
    /// A general-ledger account code.
    Account(String),
}

/// One line of a sales document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesLine {
    /// What it is.
    pub kind: SalesLineKind,
    /// Where it posts (non-item lines; item lines post through their item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<PostingTarget>,
    /// Description.
    pub description: String,
    /// SKU for item lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// Quantity (1 for charges and adjustments).
    pub quantity: Decimal,
    /// Unit price excluding tax, at the storefront's precision (ledgers accept more decimals
    /// on unit prices than on amounts).
    pub unit_price: Decimal,
    /// Amount excluding tax at the ledger's precision. Negative for discounts and tenders.
    pub amount: Decimal,
    /// The ledger tax code of this line (`tax_map`), `None` when not taxed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_code: Option<crate::tax::TaxArea>,
}

/// A tax amount copied from the storefront (O9), mapped to a ledger tax code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentTax {
    /// The ledger tax code / tax area / VAT group.
    pub tax_code: crate::tax::TaxArea,
    /// The storefront zone it came from.
    pub zone: String,
    /// The rate in percent.
    pub rate: Decimal,
    /// The index in [`SalesDocument::lines`] it was charged on, `None` for order-level tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The taxable amount it was charged on, at the ledger's precision.
    pub taxable_amount: Decimal,
    /// The tax amount, at the ledger's precision: the storefront's, never recomputed.
    pub amount: Decimal,
}

/// A sales document ready to post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesDocument {
    /// Invoice, sales receipt or sales order.
    pub kind: DocumentKind,
    /// The import id (O3): stored on the document, the key of exactly-once.
    pub import_id: ImportId,
    /// The storefront order.
    pub order_id: OrderId,
    /// Document number.
    pub number: DocNumber,
    /// The client.
    pub client: LedgerRef,
    /// Lines in order: items, discounts, shipping, handling, wrapping, tenders, rounding.
    pub lines: Vec<SalesLine>,
    /// Taxes.
    pub taxes: Vec<DocumentTax>,
    /// Currency of every amount.
    pub currency: Currency,
    /// Exchange rate to the ledger's home currency (1 when the same).
    pub exchange_rate: Decimal,
    /// Transaction date in the account's time zone (O12).
    pub date: NaiveDate,
    /// Due date (O12), for invoices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// Customer memo (O13); `None` = use the ledger's default message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_memo: Option<String>,
    /// Private note (carries the import id where the ledger has no field for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_note: Option<String>,
    /// Class (O13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Location / department (O13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Fulfilment warehouse (S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
    /// Ship via (S2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_via: Option<crate::ship_via::ShipVia>,
    /// Billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<crate::Address>,
    /// Shipping address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<crate::Address>,
    /// The storefront total including tax, rounded to the ledger's precision: what
    /// [`SalesDocument::total`] equals by construction.
    pub order_total: Decimal,
    /// For sales receipts: how the document was paid (P3); `None` for invoices and orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<DocumentPayment>,
    /// Extra fields from the user's mapping hook (O15).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub custom: std::collections::BTreeMap<String, String>,
}

/// How a sales receipt was paid: the receipt type and deposit account of `payment_map`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPayment {
    /// Ledger receipt type / payment method.
    pub receipt_type: String,
    /// Deposit / clearing account.
    pub deposit_account: String,
    /// The gateway's transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl SalesDocument {
    /// Σ of the revenue lines (items, discounts, charges, rounding), excluding tax.
    pub fn net_total(&self) -> Decimal {
        self.lines
            .iter()
            .filter(|l| l.kind.is_revenue())
            .map(|l| l.amount)
            .sum()
    }

    /// Σ of taxes.
    pub fn tax_total(&self) -> Decimal {
        self.taxes.iter().map(|t| t.amount).sum()
    }

    /// The document total: net + tax. Equals the storefront's total including tax.
    pub fn total(&self) -> Decimal {
        self.net_total() + self.tax_total()
    }

    /// Σ of tenders (gift certificates, store credit): negative or zero.
    pub fn tender_total(&self) -> Decimal {
        self.lines
            .iter()
            .filter(|l| !l.kind.is_revenue())
            .map(|l| l.amount)
            .sum()
    }

    /// What remains to be paid by receipts: total + tenders (tenders are negative).
    pub fn balance_due(&self) -> Decimal {
        self.total() + self.tender_total()
    }
}

/// How a receipt is recorded (P1–P3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptState {
    /// A pre-authorisation (captured later in the ERP).
    PreAuthorized,
    /// Captured money.
    Captured,
}

/// A storefront payment as the ledger receives it (P1–P3): the ledger's payment method
/// (receipt type) and deposit account, the amount and currency, whether it is authorised
/// only or captured, and the gateway's reference; planned by
/// [`plan_receipts`](crate::plan::plan_receipts) against a posted document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The import id of the order (the receipt's own key is this + method + sequence).
    pub import_id: ImportId,
    /// Sequence of the receipt within the order (0, 1…), part of its idempotency key.
    pub sequence: u32,
    /// The document paid.
    pub document: LedgerRef,
    /// The client.
    pub client: LedgerRef,
    /// The ledger receipt type / payment method (`payment_map`).
    pub receipt_type: String,
    /// The deposit / clearing account (`payment_map`).
    pub deposit_account: String,
    /// Amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Pre-authorised or captured.
    pub state: ReceiptState,
    /// Date.
    pub date: NaiveDate,
    /// The gateway's reference: its transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// What to make of a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CreditKind {
    /// A credit memo linked to the invoice.
    #[default]
    CreditMemo,
    /// A refund receipt (money paid back at once).
    RefundReceipt,
}

/// A line of a credit memo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLine {
    /// What it credits (item, shipping, handling, rounding; `Discount` for an amount-only credit).
    pub kind: SalesLineKind,
    /// Where it posts (non-item lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<PostingTarget>,
    /// Description.
    pub description: String,
    /// SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit price.
    pub unit_price: Decimal,
    /// Amount credited, positive, at the ledger's precision.
    pub amount: Decimal,
    /// Tax code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_code: Option<crate::tax::TaxArea>,
    /// Whether the goods return to stock (R2).
    #[serde(default)]
    pub restock: bool,
}

/// A credit memo or refund receipt for a storefront refund (R1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMemo {
    /// Credit memo or refund receipt.
    pub kind: CreditKind,
    /// Key: the order's import id + the refund id make the memo's identity.
    pub import_id: ImportId,
    /// The storefront refund id.
    pub refund_id: String,
    /// Number (`refund_prefix` + refund id) or auto.
    pub number: DocNumber,
    /// The client.
    pub client: LedgerRef,
    /// The invoice it credits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<LedgerRef>,
    /// Lines.
    pub lines: Vec<CreditLine>,
    /// Tax credited (copied from the storefront refund).
    pub tax: Decimal,
    /// Tax code for the tax credited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_code: Option<crate::tax::TaxArea>,
    /// Total credited = Σ lines + tax = the storefront refund total.
    pub total: Decimal,
    /// The clearing account the money leaves from (refund receipts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_account: Option<String>,
    /// Currency.
    pub currency: Currency,
    /// Date.
    pub date: NaiveDate,
    /// Memo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// Warehouse restocked goods go back to (R2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
}

/// One line of a journal entry: a debit or a credit to an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalLine {
    /// GL account code.
    pub account: String,
    /// Debit amount (≥ 0).
    pub debit: Decimal,
    /// Credit amount (≥ 0).
    pub credit: Decimal,
    /// Description.
    pub description: String,
}

/// A balanced journal entry (Y1 payouts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Identity for exactly-once: `"{source}-PAYOUT-{payout id}"`.
    pub key: crate::ids::JournalKey,
    /// Number shown in the ledger.
    pub number: DocNumber,
    /// Date.
    pub date: NaiveDate,
    /// Currency.
    pub currency: Currency,
    /// Lines; debits equal credits.
    pub lines: Vec<JournalLine>,
    /// Memo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
}

impl JournalEntry {
    /// Σ debits.
    pub fn debits(&self) -> Decimal {
        self.lines.iter().map(|l| l.debit).sum()
    }

    /// Σ credits.
    pub fn credits(&self) -> Decimal {
        self.lines.iter().map(|l| l.credit).sum()
    }

    /// Whether debits equal credits.
    pub fn is_balanced(&self) -> bool {
        self.debits() == self.credits()
    }
}

/// A document found in a ledger by import id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerDocument {
    /// Its reference.
    pub at: LedgerRef,
    /// Its kind.
    pub kind: DocumentKind,
    /// Its import id.
    pub import_id: ImportId,
    /// Total including tax.
    pub total: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Whether it can still be changed (not posted, not paid, not closed), for O14.
    pub editable: bool,
    /// The ledger's status name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}
