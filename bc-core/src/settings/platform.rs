//! The open `[storefront]` and `[ledger]` tables: a platform name plus the platform's own keys.
//!
//! bc-core does not know the keys of any platform. [`PlatformSettings`] keeps the `platform`
//! name and the rest of the table as TOML; each connector crate owns its config type
//! (`<Platform>Config`, `#[serde(deny_unknown_fields)]`) and reads it with
//! [`PlatformSettings::parse`], whose errors name the FULL key (`ledger.realm_id`) and the
//! value. A settings file written for the former closed enums loads unchanged: the keys are
//! the same, only who checks them moved.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::describe;
use crate::error::{Error, Result};

/// The TOML table of one platform section, without its `platform` key.
pub type PlatformTable = toml::Table;

/// One `[storefront]` or `[ledger]` section: which platform, and its own keys.
///
/// `Debug` shows the platform and the key names, never the values (tables hold secrets).
#[derive(Clone, PartialEq)]
pub struct PlatformSettings {
    /// The section the table came from (`"storefront"` or `"ledger"`): the prefix of every
    /// key an error names.
    pub section: String,
    /// The platform name (`bigcommerce`, `qbo`, `acctvantage`, or an integrator's own).
    pub platform: String,
    /// The remaining keys of the section, for the platform's config type.
    pub table: PlatformTable,
}

impl fmt::Debug for PlatformSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("PlatformSettings");
        d.field("section", &self.section)
            .field("platform", &self.platform);
        for key in self.table.keys() {
            d.field(key, &format_args!("******"));
        }
        d.finish()
    }
}

impl PlatformSettings {
    /// A section `section` naming `platform` with the keys of `table`.
    pub fn new(
        section: impl Into<String>,
        platform: impl Into<String>,
        table: PlatformTable,
    ) -> Self {
        PlatformSettings {
            section: section.into(),
            platform: platform.into(),
            table,
        }
    }

    /// Reads a section from TOML text holding only its keys (`platform = "…"` included).
    pub fn from_toml_str(section: &str, text: &str) -> Result<Self> {
        let table: PlatformTable =
            toml::from_str(text).map_err(|e| describe::syntax_error(section, text, &e))?;
        Self::from_table(section, table)
    }

    /// Takes `platform` out of `table`; an error names `<section>.platform`.
    pub fn from_table(section: &str, mut table: PlatformTable) -> Result<Self> {
        let key = format!("{section}.platform");
        let platform = match table.remove("platform") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => s,
            Some(other) => {
                return Err(Error::config_value(
                    &key,
                    &describe::show_value(&key, &other),
                    "expected the name of a platform, like \"bigcommerce\" or \"qbo\"",
                ))
            }
            None => {
                return Err(Error::config(
                    &key,
                    "is required: which platform (like \"bigcommerce\" or \"qbo\")?",
                ))
            }
        };
        Ok(PlatformSettings::new(section, platform, table))
    }

    /// The full name of `key` in this section (`ledger.realm_id`).
    pub fn key(&self, key: &str) -> String {
        format!("{}.{key}", self.section)
    }

    /// Refuses a section written for another platform.
    pub fn expect_platform(&self, platform: &str) -> Result<()> {
        if self.platform == platform {
            Ok(())
        } else {
            let key = self.key("platform");
            Err(Error::config_value(
                &key,
                &describe::show_value(&key, &toml::Value::String(self.platform.clone())),
                format!("expected \"{platform}\" here"),
            ))
        }
    }

    /// The table with `platform` put back (for config types that keep the tag).
    pub fn tagged_table(&self) -> PlatformTable {
        let mut t = self.table.clone();
        t.insert(
            "platform".into(),
            toml::Value::String(self.platform.clone()),
        );
        t
    }

    /// Deserializes the platform's config type from the table. Unknown keys, missing keys and
    /// bad values are errors naming the full key (`ledger.realm_id`) and, for bad values, the
    /// value.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        parse_table(&self.section, self.table.clone())
    }
}

/// Deserializes `T` from `table`, naming `<section>.<path>` in errors: unknown keys (with the
/// known ones listed), missing keys, and bad values with the value as written (`******` for
/// a secret key) and the expected kind in words (see [`describe`]).
pub fn parse_table<T: DeserializeOwned>(section: &str, table: PlatformTable) -> Result<T> {
    describe::deserialize(section, toml::Value::Table(table))
}

/// Deserializes `T` from TOML text holding the keys of section `section` (a connector's own
/// settings file, a test's table): a syntax error names the line, the column and the key,
/// never the text of the line; other errors as [`parse_table`].
pub fn parse_toml<T: DeserializeOwned>(section: &str, text: &str) -> Result<T> {
    let table: PlatformTable =
        toml::from_str(text).map_err(|e| describe::syntax_error(section, text, &e))?;
    parse_table(section, table)
}

/// `#[serde(deserialize_with)]` of `Settings::storefront`.
pub(crate) fn storefront_section<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<PlatformSettings, D::Error> {
    section("storefront", d)
}

/// `#[serde(deserialize_with)]` of `Settings::ledger`.
pub(crate) fn ledger_section<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<PlatformSettings, D::Error> {
    section("ledger", d)
}

fn section<'de, D: Deserializer<'de>>(
    name: &str,
    d: D,
) -> std::result::Result<PlatformSettings, D::Error> {
    let table = PlatformTable::deserialize(d)?;
    PlatformSettings::from_table(name, table).map_err(serde::de::Error::custom)
}
