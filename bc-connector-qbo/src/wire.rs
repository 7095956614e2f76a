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

/// `TaxRateDetail` of a tax code's rate list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaxRateDetail {
    /// The rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate_ref: Option<Ref>,
}

/// `TaxRateList`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaxRateList {
    /// The rates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_rate_detail: Vec<TaxRateDetail>,
}

/// `TaxCode`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaxCode {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Taxable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taxable: Option<bool>,
    /// Sales rates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_tax_rate_list: Option<TaxRateList>,
}

/// `TaxRate`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaxRate {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The percentage (`8.5`).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "num")]
    pub rate_value: Option<Decimal>,
}

/// `Account`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Account number (when account numbers are on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acct_num: Option<String>,
    /// Type (`Income`, `Other Current Liability`, `Bank`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Sub-type (`UndepositedFunds`, `DiscountsRefundsGiven`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_sub_type: Option<String>,
    /// Active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A named list entity (Class, Department, PaymentMethod, Term): id and name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Named {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Fully qualified name (`Parent:Child`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fully_qualified_name: Option<String>,
}

/// `CurrencyPrefs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CurrencyPrefs {
    /// Multicurrency on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_currency_enabled: Option<bool>,
    /// Home currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_currency: Option<Ref>,
}

/// `TaxPrefs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaxPrefs {
    /// Sales tax on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using_sales_tax: Option<bool>,
    /// Automated sales tax (US).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_tax_enabled: Option<bool>,
}

/// `SalesFormsPrefs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SalesFormsPrefs {
    /// Custom transaction numbers allowed (otherwise `DocNumber` is ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_txn_numbers: Option<bool>,
}

/// `Preferences`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Preferences {
    /// Currency preferences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_prefs: Option<CurrencyPrefs>,
    /// Tax preferences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_prefs: Option<TaxPrefs>,
    /// Sales form preferences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_forms_prefs: Option<SalesFormsPrefs>,
}

/// `CompanyCurrency`: a currency enabled in a multicurrency company.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompanyCurrency {
    /// ISO code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// `CompanyInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompanyInfo {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Country (`US`, `GB`, `CA`, `AU`…): decides the tax model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// One error of a `Fault`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultError {
    /// Short message.
    #[serde(rename = "Message", default)]
    pub message: String,
    /// Detail.
    #[serde(rename = "Detail", default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The QBO error code (`"6240"`).
    #[serde(default)]
    pub code: String,
    /// The element at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
}

/// `Fault`: `{"Error": [...], "type": "ValidationFault"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The errors.
    #[serde(rename = "Error", default)]
    pub errors: Vec<FaultError>,
    /// `ValidationFault`, `SystemFault`, `AuthenticationFault`, `AuthorizationFault`,
    /// `ServiceFault`, `ThrottleExceeded`…
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub fault_type: Option<String>,
}

/// The body of a non-JSON-envelope error: `{"fault": {"error": [...], "type": ...}}` — the
/// lowercase shape QBO's gateway uses for 401 and throttling.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayFault {
    /// The errors.
    #[serde(rename = "error", default)]
    pub errors: Vec<GatewayError>,
    /// Fault type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub fault_type: Option<String>,
}

/// One error of a [`GatewayFault`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayError {
    /// Message.
    #[serde(default)]
    pub message: String,
    /// Detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Code.
    #[serde(default)]
    pub code: String,
}

/// `QueryResponse`: one list per entity queried, and paging.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryResponse {
    /// Customers.
    #[serde(rename = "Customer", default)]
    pub customer: Vec<Customer>,
    /// Items.
    #[serde(rename = "Item", default)]
    pub item: Vec<Item>,
    /// Invoices.
    #[serde(rename = "Invoice", default)]
    pub invoice: Vec<SalesForm>,
    /// Sales receipts.
    #[serde(rename = "SalesReceipt", default)]
    pub sales_receipt: Vec<SalesForm>,
    /// Credit memos.
    #[serde(rename = "CreditMemo", default)]
    pub credit_memo: Vec<SalesForm>,
    /// Refund receipts.
    #[serde(rename = "RefundReceipt", default)]
    pub refund_receipt: Vec<SalesForm>,
    /// Payments.
    #[serde(rename = "Payment", default)]
    pub payment: Vec<Payment>,
    /// Journal entries.
    #[serde(rename = "JournalEntry", default)]
    pub journal_entry: Vec<JournalEntry>,
    /// Deposits.
    #[serde(rename = "Deposit", default)]
    pub deposit: Vec<Deposit>,
    /// Tax codes.
    #[serde(rename = "TaxCode", default)]
    pub tax_code: Vec<TaxCode>,
    /// Tax rates.
    #[serde(rename = "TaxRate", default)]
    pub tax_rate: Vec<TaxRate>,
    /// Accounts.
    #[serde(rename = "Account", default)]
    pub account: Vec<Account>,
    /// Classes.
    #[serde(rename = "Class", default)]
    pub class: Vec<Named>,
    /// Departments (locations).
    #[serde(rename = "Department", default)]
    pub department: Vec<Named>,
    /// Payment methods.
    #[serde(rename = "PaymentMethod", default)]
    pub payment_method: Vec<Named>,
    /// Company info.
    #[serde(rename = "CompanyInfo", default)]
    pub company_info: Vec<CompanyInfo>,
    /// Currencies enabled (multicurrency companies).
    #[serde(rename = "CompanyCurrency", default)]
    pub company_currency: Vec<CompanyCurrency>,
    /// Preferences.
    #[serde(rename = "Preferences", default)]
    pub preferences: Vec<Preferences>,
    /// First row (1-based).
    #[serde(
        rename = "startPosition",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub start_position: Option<u64>,
    /// Rows returned.
    #[serde(
        rename = "maxResults",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_results: Option<u64>,
    /// `COUNT(*)` answer.
    #[serde(
        rename = "totalCount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
}

impl QueryResponse {
    /// How many rows of any entity the answer holds.
    pub fn rows(&self) -> usize {
        self.customer.len()
            + self.item.len()
            + self.invoice.len()
            + self.sales_receipt.len()
            + self.credit_memo.len()
            + self.refund_receipt.len()
            + self.payment.len()
            + self.journal_entry.len()
            + self.deposit.len()
            + self.tax_code.len()
            + self.tax_rate.len()
            + self.account.len()
            + self.class.len()
            + self.department.len()
            + self.payment_method.len()
            + self.company_info.len()
            + self.company_currency.len()
            + self.preferences.len()
    }

    /// Appends the rows of `other` (pages of one query).
    pub fn absorb(&mut self, other: QueryResponse) {
        self.customer.extend(other.customer);
        self.item.extend(other.item);
        self.invoice.extend(other.invoice);
        self.sales_receipt.extend(other.sales_receipt);
        self.credit_memo.extend(other.credit_memo);
        self.refund_receipt.extend(other.refund_receipt);
        self.payment.extend(other.payment);
        self.journal_entry.extend(other.journal_entry);
        self.deposit.extend(other.deposit);
        self.tax_code.extend(other.tax_code);
        self.tax_rate.extend(other.tax_rate);
        self.account.extend(other.account);
        self.class.extend(other.class);
        self.department.extend(other.department);
        self.payment_method.extend(other.payment_method);
        self.company_info.extend(other.company_info);
        self.company_currency.extend(other.company_currency);
        self.preferences.extend(other.preferences);
    }
}

/// Every response body of the API, and every `BatchItemResponse`: at most one of the entity
/// fields, a `QueryResponse` or a `Fault`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The batch item id (batch responses only).
    #[serde(rename = "bId", default, skip_serializing_if = "Option::is_none")]
    pub bid: Option<String>,
    /// A fault.
    #[serde(rename = "Fault", default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// The gateway's lowercase fault (401, throttling).
    #[serde(rename = "fault", default, skip_serializing_if = "Option::is_none")]
    pub gateway_fault: Option<GatewayFault>,
    /// A query's answer.
    #[serde(
        rename = "QueryResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub query_response: Option<QueryResponse>,
    /// Customer.
    #[serde(rename = "Customer", default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Item.
    #[serde(rename = "Item", default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// Invoice.
    #[serde(rename = "Invoice", default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<SalesForm>,
    /// Sales receipt.
    #[serde(
        rename = "SalesReceipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sales_receipt: Option<SalesForm>,
    /// Credit memo.
    #[serde(
        rename = "CreditMemo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub credit_memo: Option<SalesForm>,
    /// Refund receipt.
    #[serde(
        rename = "RefundReceipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub refund_receipt: Option<SalesForm>,
    /// Payment.
    #[serde(rename = "Payment", default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    /// Journal entry.
    #[serde(
        rename = "JournalEntry",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub journal_entry: Option<JournalEntry>,
    /// Deposit.
    #[serde(rename = "Deposit", default, skip_serializing_if = "Option::is_none")]
    pub deposit: Option<Deposit>,
    /// Preferences.
    #[serde(
        rename = "Preferences",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub preferences: Option<Preferences>,
    /// Company info.
    #[serde(
        rename = "CompanyInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub company_info: Option<CompanyInfo>,
    /// Server time (a string on API bodies, epoch milliseconds on the gateway's 401).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<serde_json::Value>,
}

/// The body of a `/batch` response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchResponse {
    /// One answer per request item (matched by `bId`, not by position).
    #[serde(rename = "BatchItemResponse", default)]
    pub items: Vec<Envelope>,
    /// A fault for the batch as a whole.
    #[serde(rename = "Fault", default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// Server time (a string on API bodies, epoch milliseconds on the gateway's 401).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<serde_json::Value>,
}

/// An entity to write, tagged with its QBO name (the key of the request body and of a
/// `BatchItemRequest`).
#[derive(Clone, Debug, PartialEq)]
pub enum Entity {
    /// Customer.
    Customer(Customer),
    /// Item.
    Item(Item),
    /// Invoice.
    Invoice(SalesForm),
    /// Sales receipt.
    SalesReceipt(SalesForm),
    /// Credit memo.
    CreditMemo(SalesForm),
    /// Refund receipt.
    RefundReceipt(SalesForm),
    /// Payment.
    Payment(Payment),
    /// Journal entry.
    JournalEntry(JournalEntry),
    /// Deposit.
    Deposit(Deposit),
}

impl Entity {
    /// The QBO entity name (`Invoice`), also the lowercase path segment.
    pub fn name(&self) -> &'static str {
        match self {
            Entity::Customer(_) => "Customer",
            Entity::Item(_) => "Item",
            Entity::Invoice(_) => "Invoice",
            Entity::SalesReceipt(_) => "SalesReceipt",
            Entity::CreditMemo(_) => "CreditMemo",
            Entity::RefundReceipt(_) => "RefundReceipt",
            Entity::Payment(_) => "Payment",
            Entity::JournalEntry(_) => "JournalEntry",
            Entity::Deposit(_) => "Deposit",
        }
    }

    /// The entity's JSON body.
    pub fn to_json(&self) -> serde_json::Result<serde_json::Value> {
        match self {
            Entity::Customer(v) => serde_json::to_value(v),
            Entity::Item(v) => serde_json::to_value(v),
            Entity::Invoice(v)
            | Entity::SalesReceipt(v)
            | Entity::CreditMemo(v)
            | Entity::RefundReceipt(v) => serde_json::to_value(v),
            Entity::Payment(v) => serde_json::to_value(v),
            Entity::JournalEntry(v) => serde_json::to_value(v),
            Entity::Deposit(v) => serde_json::to_value(v),
        }
    }

    /// One `BatchItemRequest`: `{"bId": …, "operation": "create", "Invoice": {…}}`.
    pub fn batch_item(&self, bid: &str, operation: &str) -> serde_json::Result<serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("bId".into(), serde_json::Value::String(bid.to_string()));
        m.insert(
            "operation".into(),
            serde_json::Value::String(operation.to_string()),
        );
        m.insert(self.name().to_string(), self.to_json()?);
        Ok(serde_json::Value::Object(m))
    }

    /// The written entity in a response envelope, as `(id, sync token, doc number)`.
    pub fn written(env: &Envelope) -> Option<Written> {
        let form = |f: &SalesForm, name: &'static str| Written {
            entity: name,
            id: f.id.clone(),
            sync_token: f.sync_token.clone(),
            number: f.doc_number.clone(),
            total: f.total_amt,
        };
        if let Some(f) = &env.invoice {
            return Some(form(f, "Invoice"));
        }
        if let Some(f) = &env.sales_receipt {
            return Some(form(f, "SalesReceipt"));
        }
        if let Some(f) = &env.credit_memo {
            return Some(form(f, "CreditMemo"));
        }
        if let Some(f) = &env.refund_receipt {
            return Some(form(f, "RefundReceipt"));
        }
        if let Some(c) = &env.customer {
            return Some(Written {
                entity: "Customer",
                id: c.id.clone(),
                sync_token: c.sync_token.clone(),
                number: c.display_name.clone(),
                total: None,
            });
        }
        if let Some(i) = &env.item {
            return Some(Written {
                entity: "Item",
                id: i.id.clone(),
                sync_token: i.sync_token.clone(),
                number: i.name.clone(),
                total: None,
            });
        }
        if let Some(p) = &env.payment {
            return Some(Written {
                entity: "Payment",
                id: p.id.clone(),
                sync_token: p.sync_token.clone(),
                number: p.payment_ref_num.clone(),
                total: p.total_amt,
            });
        }
        if let Some(j) = &env.journal_entry {
            return Some(Written {
                entity: "JournalEntry",
                id: j.id.clone(),
                sync_token: j.sync_token.clone(),
                number: j.doc_number.clone(),
                total: j.total_amt,
            });
        }
        if let Some(d) = &env.deposit {
            return Some(Written {
                entity: "Deposit",
                id: d.id.clone(),
                sync_token: d.sync_token.clone(),
                number: None,
                total: d.total_amt,
            });
        }
        None
    }
}

/// What a write answered: the entity's id, version and number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Entity name.
    pub entity: &'static str,
    /// Id.
    pub id: Option<String>,
    /// Sync token.
    pub sync_token: Option<String>,
    /// Document number (or display name / item name).
    pub number: Option<String>,
    /// Total, where the entity has one.
    pub total: Option<Decimal>,
}
