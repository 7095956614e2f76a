//! The QuickBooks Online v3 wire format: JSON shapes named after the XSD elements of
//! `shared/api/qbo/Finance.xsd` (namespace `http://schema.intuit.com/finance/v3`).
//!
//! Only the fields bcsync reads or writes are modelled; unknown fields are ignored on input and
//! absent fields are omitted on output. Amounts are `Decimal`, read from and written as JSON
//! numbers without passing through a float (serde_json's `arbitrary_precision`).
//!
//! No type here uses `#[serde(flatten)]` or `#[serde(untagged)]` (they break under
//! `arbitrary_precision`): responses that carry "one of several entities" are modelled as a
//! struct with one optional field per entity ([`Envelope`]).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

mod answers;
mod lists;

pub use answers::*;
pub use lists::*;

/// Serde for `Option<Decimal>` as a JSON number (accepting numbers and numeric strings).
mod num {
    pub use rust_decimal::serde::arbitrary_precision_option::{deserialize, serialize};
}

/// A reference to another entity: `{"value": "42", "name": "Amy's Bird Sanctuary"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ref {
    /// The referenced entity's id (or a pseudo id such as `TAX` / `NON`).
    pub value: String,
    /// Its display name, informative only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Ref {
    /// A reference by id.
    pub fn id(value: impl Into<String>) -> Self {
        Ref {
            value: value.into(),
            name: None,
        }
    }
}

/// `MemoRef` (CustomerMemo): `{"value": "text"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoRef {
    /// The memo text.
    pub value: String,
}

/// `EmailAddress`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EmailAddress {
    /// The address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// `TelephoneNumber`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TelephoneNumber {
    /// The number as typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_form_number: Option<String>,
}

/// `PhysicalAddress`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PhysicalAddress {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// First line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line1: Option<String>,
    /// Second line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State / province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_sub_division_code: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// `ModificationMetaData`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetaData {
    /// Creation time (ISO 8601 with offset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// Last update time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_time: Option<String>,
}

/// `Customer`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Customer {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Version for optimistic concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    /// Unique across customers, vendors and employees (6240 otherwise). Max 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_email_addr: Option<EmailAddress>,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_phone: Option<TelephoneNumber>,
    /// Billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_addr: Option<PhysicalAddress>,
    /// Shipping address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_addr: Option<PhysicalAddress>,
    /// Free notes (bcsync keeps the client's import id here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Currency (multicurrency companies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<Ref>,
    /// Active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
}

/// `Item`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Item {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    /// Name (unique, max 100 characters, no colon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Sales description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// `Inventory`, `NonInventory`, `Service`, `Group`, `Category`.
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub item_type: Option<String>,
    /// Sales price.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub unit_price: Option<Decimal>,
    /// Income account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_account_ref: Option<Ref>,
    /// Expense account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expense_account_ref: Option<Ref>,
    /// Cost of goods sold account.
    #[serde(
        rename = "COGSAccountRef",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cogs_account_ref: Option<Ref>,
    /// Inventory asset account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_account_ref: Option<Ref>,
    /// Whether quantities are tracked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_qty_on_hand: Option<bool>,
    /// Quantity on hand.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub qty_on_hand: Option<Decimal>,
    /// Inventory start date (`yyyy-MM-dd`), required for Inventory items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inv_start_date: Option<String>,
    /// Taxable (US).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taxable: Option<bool>,
    /// Times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
}

/// `LinkedTxn`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinkedTxn {
    /// The linked transaction's id.
    pub txn_id: String,
    /// Its type (`Invoice`, `Payment`, …).
    pub txn_type: String,
}

/// `SalesItemLineDetail`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SalesItemLineDetail {
    /// The item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_ref: Option<Ref>,
    /// Unit price; QBO requires `Amount = UnitPrice × Qty`.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub unit_price: Option<Decimal>,
    /// Quantity.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub qty: Option<Decimal>,
    /// Tax code: `TAX`/`NON` (US) or a TaxCode id (non-US).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_code_ref: Option<Ref>,
    /// Class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_ref: Option<Ref>,
    /// Income account the line posted to (output only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_account_ref: Option<Ref>,
    /// Amount including tax (non-US, output).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub tax_inclusive_amt: Option<Decimal>,
}

/// `DiscountLineDetail`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiscountLineDetail {
    /// A percentage rather than an amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_based: Option<bool>,
    /// The percentage.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub discount_percent: Option<Decimal>,
    /// The discount account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_account_ref: Option<Ref>,
    /// Tax code (non-US).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_code_ref: Option<Ref>,
}

/// `TaxLineDetail`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaxLineDetail {
    /// The rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate_ref: Option<Ref>,
    /// A percentage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_based: Option<bool>,
    /// The percentage (`8.5`, not `0.085`).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub tax_percent: Option<Decimal>,
    /// The amount taxed at this rate.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub net_amount_taxable: Option<Decimal>,
}

/// `JournalEntryLineDetail`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JournalEntryLineDetail {
    /// `Debit` or `Credit`.
    pub posting_type: String,
    /// The account.
    pub account_ref: Ref,
}

/// `DepositLineDetail`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DepositLineDetail {
    /// The account the line comes from (income, clearing, fees).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_ref: Option<Ref>,
    /// Payment method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_ref: Option<Ref>,
}

/// `Line`: one line of any transaction; `DetailType` says which detail is set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Line {
    /// Line id (output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Position (output).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub line_num: Option<Decimal>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Amount.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub amount: Option<Decimal>,
    /// `SalesItemLineDetail`, `DiscountLineDetail`, `SubTotalLineDetail`, `TaxLineDetail`,
    /// `JournalEntryLineDetail`, `DepositLineDetail`, `DescriptionOnly`…; absent on payment lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_type: Option<String>,
    /// Item line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_item_line_detail: Option<SalesItemLineDetail>,
    /// Discount line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_line_detail: Option<DiscountLineDetail>,
    /// Tax line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_line_detail: Option<TaxLineDetail>,
    /// Journal line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_entry_line_detail: Option<JournalEntryLineDetail>,
    /// Deposit line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_line_detail: Option<DepositLineDetail>,
    /// Linked transactions (payment and deposit lines).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked_txn: Vec<LinkedTxn>,
}

/// `TxnTaxDetail`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TxnTaxDetail {
    /// The transaction's tax code (US only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txn_tax_code_ref: Option<Ref>,
    /// Total tax; when sent, QBO keeps it (US: prorated over the code's rates).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub total_tax: Option<Decimal>,
    /// Tax lines, one per rate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_line: Vec<Line>,
}

/// A sales form: `Invoice`, `SalesReceipt`, `CreditMemo` or `RefundReceipt` (they share the
/// `SalesTransaction` fields of the XSD).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SalesForm {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    /// Sparse update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse: Option<bool>,
    /// Number, max 21 characters; omitted for automatic numbering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// Date (`yyyy-MM-dd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txn_date: Option<String>,
    /// Due date (invoices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// The customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<Ref>,
    /// Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<Ref>,
    /// Units of home currency per unit of the transaction's currency.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub exchange_rate: Option<Decimal>,
    /// Private note, max 4000 characters (bcsync keeps the import id here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_note: Option<String>,
    /// Message shown to the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_memo: Option<MemoRef>,
    /// Lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<Line>,
    /// Tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txn_tax_detail: Option<TxnTaxDetail>,
    /// `TaxExcluded`, `TaxInclusive`, `NotApplicable` (non-US).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_tax_calculation: Option<String>,
    /// Tax computed after discounts (US).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_tax_after_discount: Option<bool>,
    /// Class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_ref: Option<Ref>,
    /// Location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_ref: Option<Ref>,
    /// Ship via.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_method_ref: Option<Ref>,
    /// Billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_addr: Option<PhysicalAddress>,
    /// Shipping address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_addr: Option<PhysicalAddress>,
    /// Deposit account (sales receipts, refund receipts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_to_account_ref: Option<Ref>,
    /// Payment method (sales receipts, refund receipts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_ref: Option<Ref>,
    /// Payment reference number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_ref_num: Option<String>,
    /// Linked transactions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked_txn: Vec<LinkedTxn>,
    /// Ship date (`yyyy-MM-dd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_date: Option<String>,
    /// Tracking number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_num: Option<String>,
    /// Total (output).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub total_amt: Option<Decimal>,
    /// Open balance (output).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub balance: Option<Decimal>,
    /// Times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
}

/// `Payment`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Payment {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    /// The customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<Ref>,
    /// Amount received.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub total_amt: Option<Decimal>,
    /// Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txn_date: Option<String>,
    /// Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<Ref>,
    /// Deposit account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_to_account_ref: Option<Ref>,
    /// Payment method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_ref: Option<Ref>,
    /// Reference number (gateway transaction id), max 21 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_ref_num: Option<String>,
    /// Private note (bcsync keeps the receipt's key here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_note: Option<String>,
    /// Lines: the invoices paid (`LinkedTxn`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<Line>,
    /// Amount not applied (output).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub unapplied_amt: Option<Decimal>,
}

/// `JournalEntry`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JournalEntry {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    /// Number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txn_date: Option<String>,
    /// Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<Ref>,
    /// Private note (bcsync keeps the journal key here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_note: Option<String>,
    /// Lines (`JournalEntryLineDetail`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<Line>,
    /// Total (output).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub total_amt: Option<Decimal>,
}

/// `Deposit`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Deposit {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    /// Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txn_date: Option<String>,
    /// The bank account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_to_account_ref: Option<Ref>,
    /// Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<Ref>,
    /// Private note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_note: Option<String>,
    /// Lines (`DepositLineDetail` or linked payments).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<Line>,
    /// Total (output).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub total_amt: Option<Decimal>,
}
