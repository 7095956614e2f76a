//! List entities and settings: tax codes and rates, accounts, named lists, preferences,
//! company information.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::*;

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
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
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
    /// Fully qualified name (`Parent:Child` for a sub-account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fully_qualified_name: Option<String>,
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
    /// Active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// PaymentMethod `Type`: `CREDIT_CARD` or `NON_CREDIT_CARD`.
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
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
