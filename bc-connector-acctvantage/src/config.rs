//! [`AcctvantageConfig`]: the `[ledger]` table of `platform = "acctvantage"`.
//!
//! ```toml
//! [ledger]
//! platform = "acctvantage"
//! path = "bcsync-erp.sqlite"   # the ERP's SQLite file (default), relative to the working folder
//! ```

use bc_core::settings::PlatformSettings;
use bc_core::Result;
use serde::Deserialize;

/// The platform name (`"acctvantage"`).
pub const PLATFORM: &str = "acctvantage";

/// How to reach the embedded ERP. Unknown keys are refused.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcctvantageConfig {
    /// Path of the ERP's SQLite file (default `bcsync-erp.sqlite`).
    #[serde(default = "default_path")]
    pub path: String,
}

fn default_path() -> String {
    "bcsync-erp.sqlite".to_string()
}

impl Default for AcctvantageConfig {
    fn default() -> Self {
        AcctvantageConfig {
            path: default_path(),
        }
    }
}

impl AcctvantageConfig {
    /// Reads the `[ledger]` section; errors name the full key (`ledger.path`).
    pub fn from_table(section: &PlatformSettings) -> Result<Self> {
        section.expect_platform(PLATFORM)?;
        let c: AcctvantageConfig = section.parse()?;
        if c.path.trim().is_empty() {
            return Err(bc_core::Error::config(
                &section.key("path"),
                "must name the ERP's SQLite file",
            ));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_path_refuses_unknown_keys() {
        let s = PlatformSettings::from_toml_str("ledger", "platform = \"acctvantage\"").unwrap();
        assert_eq!(
            AcctvantageConfig::from_table(&s).unwrap().path,
            "bcsync-erp.sqlite"
        );
        let s =
            PlatformSettings::from_toml_str("ledger", "platform = \"acctvantage\"\npth = \"x\"")
                .unwrap();
        let e = AcctvantageConfig::from_table(&s).unwrap_err().to_string();
        assert!(e.contains("ledger.pth"), "{e}");
        let s = PlatformSettings::from_toml_str("ledger", "platform = \"qbo\"").unwrap();
        let e = AcctvantageConfig::from_table(&s).unwrap_err().to_string();
        assert!(e.contains("ledger.platform"), "{e}");
    }
}
