//! Clients (the ledger's customers) and how a storefront customer is matched to one (O4).

use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, LedgerRef};
use crate::order::Address;

/// A client as bcsync asks a ledger to create it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// The name the ledger shows (person's name, company, or the generic client's name).
    pub display_name: String,
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// The contact person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<Address>,
    /// Shipping address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Address>,
    /// The import id stored on the client: the storefront customer id (O4), so that the next
    /// order of the same customer finds it first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
    /// The storefront customer it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storefront_customer: Option<CustomerId>,
    /// Currency the client trades in (multicurrency ledgers fix it on the client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<crate::Currency>,
}

/// A contact of a client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// How to look a client up in a ledger.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum ClientKey {
    /// By the import id stored on the client (the storefront customer id).
    ImportId(String),
    /// By e-mail address (case-insensitive).
    Email(String),
    /// By display name (exact).
    DisplayName(String),
}

/// A client found or created in a ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRef {
    /// The ledger's reference.
    pub at: LedgerRef,
    /// The display name the ledger holds (it may differ from the one asked for when the
    /// ledger required a unique variant).
    pub display_name: String,
}
