//! [`AcctvantageConfig`]: the `[ledger]` table of `platform = "acctvantage"` (where the ERP's
//! file is), and [`ErpOptions`]: how the ERP behaves where AcctVantage has a setting.
//!
//! ```toml
//! [ledger]
//! platform = "acctvantage"
//! path = "bcsync-erp.sqlite"   # the ERP's SQLite file (default), relative to the working folder
//! ```

use bc_core::settings::{PlatformSettings, Settings};
use bc_core::{Currency, Result, SourceCode};
use serde::Deserialize;

use crate::db::schema::{self, DEFAULT_WAREHOUSE};
pub use crate::PLATFORM;

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

/// How the ERP behaves where AcctVantage has a setting (seed `000`, "Integration Options").
#[derive(Clone, Debug)]
pub struct ErpOptions {
    /// The home currency.
    pub home_currency: Currency,
    /// Other currencies documents may be in (each posts to the GL in its own currency).
    pub currencies: Vec<Currency>,
    /// The fulfilment warehouse when a document names none (S3).
    pub default_warehouse: String,
    /// Create a missing ship via instead of refusing the order (S2).
    pub auto_create_ship_via: bool,
    /// The product class of created ship vias (S2).
    pub default_shipment_product_class: String,
    /// Create a missing tax area (on the sales tax payable account `2100`) instead of refusing
    /// the order. Off by default: a tax area is a mapping someone should decide.
    pub auto_create_tax_areas: bool,
    /// The import source code; when set, linking an ERP order to a storefront order also gives
    /// it that order's import id, so that the order coming back is recognised (E1 echo guard).
    pub import_source_code: Option<SourceCode>,
}

impl Default for ErpOptions {
    fn default() -> Self {
        ErpOptions {
            home_currency: Currency::USD,
            currencies: vec![
                Currency::EUR,
                Currency::GBP,
                Currency::CAD,
                Currency::AUD,
                Currency::JPY,
            ],
            default_warehouse: DEFAULT_WAREHOUSE.to_string(),
            auto_create_ship_via: false,
            default_shipment_product_class: schema::SHIPPING_PRODUCT_CLASS.to_string(),
            auto_create_tax_areas: false,
            import_source_code: None,
        }
    }
}

impl ErpOptions {
    /// The options the sync settings imply: warehouse, ship via creation and its product
    /// class (S2, S3), and the import source code.
    pub fn from_settings(settings: &Settings) -> Self {
        let mut o = ErpOptions::default();
        if let Some(w) = &settings.shipping.warehouse {
            o.default_warehouse = w.clone();
        }
        o.auto_create_ship_via = settings.shipping.auto_create_ship_via;
        if let Some(c) = &settings.shipping.default_shipment_product_class {
            o.default_shipment_product_class = c.clone();
        }
        o.import_source_code = Some(settings.sync.import_source_code);
        o
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
