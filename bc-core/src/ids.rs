//! Typed identifiers: a storefront order id is never confused with a ledger id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a platform's id.
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }
    };
}

string_id!(
    /// A storefront order id (BigCommerce `id`, Magento `entity_id`).
    OrderId
);
string_id!(
    /// A storefront customer id.
    CustomerId
);
string_id!(
    /// A stock-keeping unit, the key that joins storefront products and ledger items.
    Sku
);
string_id!(
    /// An order status as the platform identifies it: BigCommerce `status_id` (`"11"`), a
    /// ledger's status name (`"Shipped"`).
    StatusId
);
string_id!(
    /// A storefront refund id.
    RefundId
);
string_id!(
    /// A storefront or gateway payout (settlement) id.
    PayoutId
);
string_id!(
    /// The key of a journal entry, its identity for exactly-once (payouts:
    /// `"{source}-PAYOUT-{payout id}"`), searched by `Ledger::find_journal`.
    JournalKey
);

/// A journal key reads as its text where a connector builds a query or a number from it.
impl std::ops::Deref for JournalKey {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}
string_id!(
    /// A storefront shipment id.
    ShipmentId
);

/// The 3-character code that tags everything imported from one storefront configuration
/// (AcctVantage's "Import Source Code"): ASCII letters and digits, upper-cased.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceCode([u8; 3]);

impl SourceCode {
    /// Parses a source code; it must be exactly three ASCII letters or digits.
    pub fn new(code: &str) -> Result<SourceCode, Error> {
        let b = code.as_bytes();
        if b.len() != 3 || !b.iter().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "import source code `{code}` must be exactly 3 letters or digits (e.g. `BC1`)"
                ),
            ));
        }
        Ok(SourceCode([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ]))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for SourceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SourceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceCode({})", self.as_str())
    }
}

impl FromStr for SourceCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceCode::new(s)
    }
}

impl Serialize for SourceCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SourceCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SourceCode::new(&s).map_err(serde::de::Error::custom)
    }
}

/// The import id stored on every ledger document made from a storefront order (FEATURES O3):
/// the source code followed by the storefront order id, with nothing between, as AcctVantage
/// writes it (`BC1` + `1042` = `BC11042`). A "begins with" search on the source code finds every
/// document of one storefront.
///
/// ```
/// use bc_core::{ImportId, SourceCode, OrderId};
/// let id = ImportId::new(SourceCode::new("BC1").unwrap(), OrderId::new("1042")).unwrap();
/// assert_eq!(id.to_string(), "BC11042");
/// let back: ImportId = "BC11042".parse().unwrap();
/// assert_eq!(back, id);
/// assert!(back.starts_with(&SourceCode::new("bc1").unwrap()));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImportId {
    source: SourceCode,
    order: OrderId,
}

impl ImportId {
    /// Makes an import id; the order id must be non-empty, printable ASCII with no spaces.
    pub fn new(source: SourceCode, order: OrderId) -> Result<ImportId, Error> {
        let o = order.as_str();
        if o.is_empty() || !o.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("order id `{o}` cannot be part of an import id (empty or not plain ASCII)"),
            ));
        }
        Ok(ImportId { source, order })
    }

    /// The source code part.
    pub fn source(&self) -> SourceCode {
        self.source
    }

    /// The storefront order id part.
    pub fn order(&self) -> &OrderId {
        &self.order
    }

    /// Whether this id belongs to `source`.
    pub fn starts_with(&self, source: &SourceCode) -> bool {
        self.source == *source
    }
}

impl fmt::Display for ImportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.source, self.order)
    }
}

impl fmt::Debug for ImportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImportId({self})")
    }
}

impl FromStr for ImportId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() < 4 || !s.is_char_boundary(3) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("`{s}` is not an import id (3-character source code + order id)"),
            ));
        }
        let (code, order) = s.split_at(3);
        ImportId::new(SourceCode::new(code)?, OrderId::new(order))
    }
}

impl Serialize for ImportId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ImportId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A reference to a record in a ledger: its own id, the number people see, and the version
/// the ledger needs for an update (QuickBooks `SyncToken`, Business Central `@odata.etag`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LedgerRef {
    /// The ledger's internal id.
    pub id: String,
    /// The document number shown to people, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The version token for optimistic concurrency, when the ledger has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl LedgerRef {
    /// A reference with just an id.
    pub fn new(id: impl Into<String>) -> Self {
        LedgerRef {
            id: id.into(),
            number: None,
            version: None,
        }
    }

    /// Sets the document number.
    pub fn with_number(mut self, number: impl Into<String>) -> Self {
        self.number = Some(number.into());
        self
    }

    /// Sets the version token.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }
}

impl fmt::Display for LedgerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.number {
            Some(n) => write!(f, "{n} (id {})", self.id),
            None => write!(f, "id {}", self.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bad_source_codes_are_errors() {
        for bad in ["", "BC", "BC12", "B-1", "bé1"] {
            assert!(SourceCode::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(SourceCode::new("bc1").unwrap().as_str(), "BC1");
    }

    #[test]
    fn bad_import_ids_are_errors() {
        for bad in ["", "BC1", "B-11", "BC1 12", "é12"] {
            assert!(bad.parse::<ImportId>().is_err(), "{bad:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn import_id_round_trips(code in "[A-Z0-9]{3}", order in "[!-~]{1,30}") {
            let id = ImportId::new(SourceCode::new(&code).unwrap(), OrderId::new(order.clone())).unwrap();
            let text = id.to_string();
            prop_assert!(text.starts_with(&code));
            let back: ImportId = text.parse().unwrap();
            prop_assert_eq!(&back, &id);
            prop_assert_eq!(back.order().as_str(), order.as_str());
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<ImportId>(&json).unwrap(), id);
        }
    }
}
