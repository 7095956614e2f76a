//! Ledger tax identities and how the storefront's tax zones map onto them (O9).
//!
//! - [`TaxArea`]: what a ledger calls the tax of a line or a document: a tax code (QuickBooks
//!   `TaxCode`, the embedded ERP's tax area), or a two-level pair (Business Central's tax area
//!   or VAT business posting group + tax group or VAT product posting group).
//! - [`TaxMap`]: the settings' `[tax_map]`, storefront tax zone (or `"zone/class"`) →
//!   [`TaxArea`], with the look-up rule every plan and check uses ([`TaxMap::for_tax`]).
//!
//! In the settings file a tax area is written as a string, `"GST"`, or as a table naming both
//! levels, `{ area = "US-TX", code = "STANDARD" }`. Business Central also reads the string
//! `"US-TX/STANDARD"` as the pair (see [`TaxArea::area_and_code`]); other ledgers take a string
//! as one code, slashes included (Canadian QuickBooks codes such as `"GST/PST BC"`).

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::order::TaxLine;

/// A ledger's tax identity for a line or a document.
///
/// Compares, hashes and dereferences as its text: the code, or `"area/code"` when it names
/// an area. Serialized as that text when it has no area (the form every journal written
/// before this type holds), else as `{ area, code }`.
///
/// ```
/// # use bc_core::TaxArea;
/// let gst: TaxArea = "GST".parse().unwrap();
/// assert_eq!((gst.area(), gst.code()), (None, "GST"));
/// let vat = TaxArea::with_area("EU", "REDUCED").unwrap();
/// assert_eq!(vat.as_str(), "EU/REDUCED");
/// assert_eq!(vat.area_and_code(), (Some("EU"), "REDUCED"));
/// assert!("".parse::<TaxArea>().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct TaxArea {
    area: Option<String>,
    code: String,
    text: String,
}

impl TaxArea {
    /// A tax code alone. Refuses an empty or blank code.
    pub fn new(code: impl Into<String>) -> Result<TaxArea, String> {
        let code = code.into();
        if code.trim().is_empty() {
            return Err("expected a ledger tax code, found an empty text".into());
        }
        Ok(TaxArea {
            area: None,
            text: code.clone(),
            code,
        })
    }

    /// A tax area (or VAT business posting group) with the code (tax group, VAT product
    /// posting group) within it. Refuses an empty part or an area holding a `/`.
    pub fn with_area(area: impl Into<String>, code: impl Into<String>) -> Result<TaxArea, String> {
        let (area, code) = (area.into(), code.into());
        if area.trim().is_empty() || code.trim().is_empty() {
            return Err("expected a tax area and a tax code, both non-empty".into());
        }
        if area.contains('/') {
            return Err(format!("tax area `{area}` holds a `/`"));
        }
        Ok(TaxArea {
            text: format!("{area}/{code}"),
            area: Some(area),
            code,
        })
    }

    /// The code (tax code, tax group, VAT product posting group).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The area named with it, when the settings gave one in the table form.
    pub fn area(&self) -> Option<&str> {
        self.area.as_deref()
    }

    /// The text: the code, or `"area/code"`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// For two-level ledgers (Business Central): the area and the code, from the table form,
    /// or from the string form split at its first `/` (`"US-TX/STANDARD"`); a string without
    /// a `/` is a code alone.
    pub fn area_and_code(&self) -> (Option<&str>, &str) {
        match &self.area {
            Some(a) => (Some(a), &self.code),
            None => match self.code.split_once('/') {
                Some((a, c)) => (Some(a), c),
                None => (None, &self.code),
            },
        }
    }
}

impl FromStr for TaxArea {
    type Err = String;

    fn from_str(s: &str) -> Result<TaxArea, String> {
        TaxArea::new(s)
    }
}

impl Deref for TaxArea {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for TaxArea {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for TaxArea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for TaxArea {
    fn eq(&self, other: &TaxArea) -> bool {
        self.text == other.text
    }
}

impl Eq for TaxArea {}

impl PartialEq<str> for TaxArea {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<String> for TaxArea {
    fn eq(&self, other: &String) -> bool {
        &self.text == other
    }
}

impl PartialEq<&str> for TaxArea {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl Hash for TaxArea {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for TaxArea {
    fn partial_cmp(&self, other: &TaxArea) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TaxArea {
    fn cmp(&self, other: &TaxArea) -> Ordering {
        self.text.cmp(&other.text)
    }
}

impl Serialize for TaxArea {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.area {
            None => s.serialize_str(&self.code),
            Some(area) => {
                #[derive(Serialize)]
                struct Pair<'a> {
                    area: &'a str,
                    code: &'a str,
                }
                Pair {
                    area,
                    code: &self.code,
                }
                .serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for TaxArea {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TaxArea, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "a ledger tax code, or a table { area, code }")]
        enum Form {
            Code(String),
            Pair(Pair),
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Pair {
            area: String,
            code: String,
        }
        match Form::deserialize(d)? {
            Form::Code(c) => TaxArea::new(c),
            Form::Pair(p) => TaxArea::with_area(p.area, p.code),
        }
        .map_err(serde::de::Error::custom)
    }
}

/// Storefront tax zone (or `"zone/class"`) → ledger [`TaxArea`]: the settings' `[tax_map]`.
///
/// Dereferences to the map, so `get`, `insert` and `iter` work as on a `BTreeMap`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaxMap(BTreeMap<String, TaxArea>);

impl TaxMap {
    /// An empty map.
    pub fn new() -> TaxMap {
        TaxMap::default()
    }

    /// The key that maps `tax`, and its tax area: `"zone/class"` first when the line has a
    /// tax class, then `"zone"`. `None` when neither is in the map.
    pub fn for_tax(&self, tax: &TaxLine) -> Option<(&str, &TaxArea)> {
        let with_class = tax.class.as_ref().map(|c| format!("{}/{c}", tax.zone));
        with_class
            .as_deref()
            .and_then(|k| self.0.get_key_value(k))
            .or_else(|| self.0.get_key_value(tax.zone.as_str()))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The keys that would map `tax`, as a settings line names them: `` `tax_map."Zone"` `` or
    /// `` `tax_map."Zone"` or `tax_map."Zone/class"` ``.
    pub fn keys_for(tax: &TaxLine) -> String {
        match &tax.class {
            Some(c) => format!(
                "`tax_map.\"{}\"` or `tax_map.\"{}/{c}\"`",
                tax.zone, tax.zone
            ),
            None => format!("`tax_map.\"{}\"`", tax.zone),
        }
    }

    /// Whether some zone maps to `code` (as its text).
    pub fn maps_to(&self, code: &str) -> bool {
        self.0.values().any(|a| a.as_str() == code)
    }

    /// The inner map.
    pub fn into_inner(self) -> BTreeMap<String, TaxArea> {
        self.0
    }
}

impl Deref for TaxMap {
    type Target = BTreeMap<String, TaxArea>;

    fn deref(&self) -> &BTreeMap<String, TaxArea> {
        &self.0
    }
}

impl<'a> IntoIterator for &'a TaxMap {
    type Item = (&'a String, &'a TaxArea);
    type IntoIter = std::collections::btree_map::Iter<'a, String, TaxArea>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl std::ops::DerefMut for TaxMap {
    fn deref_mut(&mut self) -> &mut BTreeMap<String, TaxArea> {
        &mut self.0
    }
}

impl<K: Into<String>> FromIterator<(K, TaxArea)> for TaxMap {
    fn from_iter<I: IntoIterator<Item = (K, TaxArea)>>(iter: I) -> TaxMap {
        TaxMap(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

/// The text as a code alone, unchecked: for codes a program names itself (fixtures, tests).
/// Settings and outside data go through [`TaxArea::new`] or deserialization, which refuse
/// an empty code.
impl From<&str> for TaxArea {
    fn from(code: &str) -> TaxArea {
        TaxArea {
            area: None,
            code: code.to_string(),
            text: code.to_string(),
        }
    }
}

/// As `From<&str>`.
impl From<String> for TaxArea {
    fn from(code: String) -> TaxArea {
        TaxArea {
            area: None,
            text: code.clone(),
            code,
        }
    }
}

impl Borrow<str> for TaxArea {
    fn borrow(&self) -> &str {
        &self.text
    }
}

impl From<TaxArea> for String {
    fn from(t: TaxArea) -> String {
        t.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(zone: &str, class: Option<&str>) -> TaxLine {
        TaxLine {
            target: crate::order::TaxTarget::Order,
            zone: zone.into(),
            class: class.map(Into::into),
            rate: rust_decimal::Decimal::ZERO,
            amount: rust_decimal::Decimal::ZERO,
        }
    }

    #[test]
    fn the_string_and_the_table_forms_read_and_write_back() {
        let m: BTreeMap<String, TaxArea> = toml::from_str(
            "a = \"GST\"\nb = { area = \"US-TX\", code = \"STANDARD\" }\nc = \"GST/PST BC\"\n",
        )
        .unwrap();
        assert_eq!(m["a"].area_and_code(), (None, "GST"));
        assert_eq!(m["b"].area_and_code(), (Some("US-TX"), "STANDARD"));
        assert_eq!(m["b"].as_str(), "US-TX/STANDARD");
        assert_eq!(m["c"].code(), "GST/PST BC");
        assert_eq!(m["c"].area(), None);
        assert_eq!(serde_json::to_string(&m["a"]).unwrap(), "\"GST\"");
        let back: TaxArea = serde_json::from_str(&serde_json::to_string(&m["b"]).unwrap()).unwrap();
        assert_eq!(back.area(), Some("US-TX"));
    }

    #[test]
    fn empty_codes_unknown_keys_and_slashed_areas_are_refused() {
        for bad in [
            "a = \"\"",
            "a = \"  \"",
            "a = { area = \"X\" }",
            "a = { area = \"X\", code = \"\" }",
            "a = { area = \"X\", code = \"Y\", rate = 5 }",
            "a = { area = \"X/Z\", code = \"Y\" }",
            "a = 5",
        ] {
            assert!(
                toml::from_str::<BTreeMap<String, TaxArea>>(bad).is_err(),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn a_class_key_wins_over_the_zone_key() {
        let map: TaxMap = [
            ("Zone", TaxArea::new("STD").unwrap()),
            ("Zone/Food", TaxArea::new("RED").unwrap()),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            map.for_tax(&line("Zone", Some("Food"))).unwrap().1.code(),
            "RED"
        );
        assert_eq!(
            map.for_tax(&line("Zone", Some("Wine"))).unwrap(),
            ("Zone", &TaxArea::new("STD").unwrap())
        );
        assert!(map.for_tax(&line("Other", None)).is_none());
        assert!(TaxMap::keys_for(&line("Z", Some("c"))).contains("tax_map.\"Z/c\""));
    }
}
