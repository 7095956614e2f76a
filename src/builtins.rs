//! The built-in connectors, registered by [`crate::registry::Registry::with_builtins`], each
//! behind its cargo feature.

use crate::registry::Registry;

#[allow(unused_imports)]
use std::sync::Arc;

#[allow(unused_imports)]
use bc_core::settings::PlatformSettings;

#[allow(unused_imports)]
use crate::registry::ConnectContext;

/// Registers every connector compiled in.
pub fn register(r: &mut Registry) {
    let _ = &r;
    #[cfg(feature = "bigcommerce")]
    r.register_storefront(
        bc_connector_bigcommerce::PLATFORM,
        |s: PlatformSettings, c: ConnectContext| async move {
            let config = bc_connector_bigcommerce::BigCommerceConfig::from_table(&s)?;
            let sf = bc_connector_bigcommerce::connect(&config, c.transport).await?;
            Ok(Arc::new(sf) as Arc<dyn bc_core::Storefront>)
        },
    );
    #[cfg(feature = "magento")]
    r.register_storefront(
        bc_connector_magento::PLATFORM,
        |s: PlatformSettings, c: ConnectContext| async move {
            let config = bc_connector_magento::MagentoConfig::from_table(&s)?;
            let sf = bc_connector_magento::connect(&config, c.transport).await?;
            Ok(Arc::new(sf) as Arc<dyn bc_core::Storefront>)
        },
    );
    #[cfg(feature = "bigcommerce")]
    r.register_config_check(bc_connector_bigcommerce::PLATFORM, |s| {
        bc_connector_bigcommerce::BigCommerceConfig::from_table(s).map(drop)
    });
    #[cfg(feature = "magento")]
    r.register_config_check(bc_connector_magento::PLATFORM, |s| {
        bc_connector_magento::MagentoConfig::from_table(s).map(drop)
    });
    #[cfg(feature = "acctvantage")]
    r.register_config_check(bc_connector_acctvantage::PLATFORM, |s| {
        bc_connector_acctvantage::AcctvantageConfig::from_table(s).map(drop)
    });
    #[cfg(feature = "qbo")]
    r.register_config_check(bc_connector_qbo::PLATFORM, |s| {
        bc_connector_qbo::QboConfig::from_table(s).map(drop)
    });
    #[cfg(feature = "bc365")]
    r.register_config_check(bc_connector_bc365::PLATFORM, |s| {
        bc_connector_bc365::Bc365Config::from_table(s).map(drop)
    });
    #[cfg(feature = "acumatica")]
    r.register_config_check(bc_connector_acumatica::PLATFORM, |s| {
        bc_connector_acumatica::AcumaticaConfig::from_table(s).map(drop)
    });
    #[cfg(feature = "acctvantage")]
    r.register_ledger(bc_connector_acctvantage::PLATFORM, acctvantage);
    #[cfg(feature = "qbo")]
    r.register_ledger(bc_connector_qbo::PLATFORM, qbo);
    #[cfg(feature = "bc365")]
    r.register_ledger(
        bc_connector_bc365::PLATFORM,
        |s: PlatformSettings, c: ConnectContext| async move {
            let config = bc_connector_bc365::Bc365Config::from_table(&s)?;
            let ledger = bc_connector_bc365::connect(&config, c.transport).await?;
            Ok(Arc::new(ledger) as Arc<dyn bc_core::Ledger>)
        },
    );
    #[cfg(feature = "acumatica")]
    r.register_ledger(
        bc_connector_acumatica::PLATFORM,
        |s: PlatformSettings, c: ConnectContext| async move {
            let config = bc_connector_acumatica::AcumaticaConfig::from_table(&s)?;
            let transport = match c.transport {
                Some(t) => t,
                None => Arc::new(bc_http::ReqwestTransport::new()?),
            };
            let ledger = bc_connector_acumatica::connect(&config, transport).await?;
            Ok(Arc::new(ledger) as Arc<dyn bc_core::Ledger>)
        },
    );
}

/// The embedded ERP of a `[ledger]` section (`platform = "acctvantage"`).
#[cfg(feature = "acctvantage")]
pub async fn acctvantage(
    s: PlatformSettings,
    c: ConnectContext,
) -> bc_core::Result<Arc<dyn bc_core::Ledger>> {
    let config = bc_connector_acctvantage::AcctvantageConfig::from_table(&s)?;
    let erp = match c.settings {
        Some(settings) => {
            let settings: bc_core::Settings = (*settings).clone();
            bc_connector_acctvantage::connect_owned(config, Some(settings)).await?
        }
        None => bc_connector_acctvantage::connect_owned(config, None).await?,
    };
    Ok(Arc::new(erp))
}

/// QuickBooks Online (`platform = "qbo"`). With a state store in the context, the token set
/// is kept there ([`crate::tokens::StateTokenStore`], account `qbo:<realm_id>`): the settings'
/// `refresh_token` only seeds it, and every process and restart uses the newest set.
#[cfg(feature = "qbo")]
pub async fn qbo(
    s: PlatformSettings,
    c: ConnectContext,
) -> bc_core::Result<Arc<dyn bc_core::Ledger>> {
    let config = bc_connector_qbo::QboConfig::from_table(&s)?;
    let tokens = c.state.map(|state| {
        Arc::new(crate::tokens::StateTokenStore::new(
            state,
            qbo_token_account(&config.realm_id),
        )) as Arc<dyn bc_http::TokenStore>
    });
    let base = config.base_url();
    let qbo = bc_connector_qbo::connect(&config, c.transport, tokens)
        .await
        .map_err(|e| {
            if e.kind() == bc_core::ErrorKind::Config {
                return e;
            }
            bc_core::Error::new(
                e.kind(),
                format!(
                    "cannot reach QuickBooks Online at {base}: {e} (check `ledger.realm_id`, \
                     `ledger.client_id`, `ledger.client_secret`, or run `bcsync connect qbo`)"
                ),
            )
        })?;
    Ok(Arc::new(qbo) as Arc<dyn bc_core::Ledger>)
}

/// The state store account under which the token set of QBO company `realm_id` is kept.
pub fn qbo_token_account(realm_id: &str) -> String {
    format!("qbo:{}", realm_id.trim())
}

/// The QuickBooks Online client options of a `[ledger]` section (`platform = "qbo"`),
/// secrets resolved; unknown keys refused, errors naming the full key.
#[cfg(feature = "qbo")]
pub fn qbo_options(section: &PlatformSettings) -> bc_core::Result<bc_connector_qbo::QboOptions> {
    bc_connector_qbo::QboConfig::from_table(section)?.options_in(&section.section)
}
