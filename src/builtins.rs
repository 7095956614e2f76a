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
    #[cfg(feature = "acctvantage")]
    r.register_ledger(bc_connector_acctvantage::PLATFORM, acctvantage);
    #[cfg(feature = "qbo")]
    r.register_ledger(
        bc_connector_qbo::PLATFORM,
        |s: PlatformSettings, c: ConnectContext| async move {
            let options = qbo_options(&s)?;
            let transport = match c.transport {
                Some(t) => t,
                None => Arc::new(bc_http::ReqwestTransport::new()?),
            };
            let base = options.base_url.clone();
            let qbo = bc_connector_qbo::connect(options, transport)
                .await
                .map_err(|e| {
                    bc_core::Error::new(
                        e.kind(),
                        format!("cannot reach QuickBooks Online at {base}: {e} (check `ledger.realm_id`, `ledger.client_id`, `ledger.client_secret` and `ledger.refresh_token`)"),
                    )
                })?;
            Ok(Arc::new(qbo) as Arc<dyn bc_core::Ledger>)
        },
    );
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

/// The QuickBooks Online options of a `[ledger]` section (`platform = "qbo"`): the keys
/// `realm_id`, `client_id`, `client_secret`, `refresh_token`, `base_url`, `token_url`,
/// `minor_version`; unknown keys refused, errors naming the full key.
#[cfg(feature = "qbo")]
pub fn qbo_options(section: &PlatformSettings) -> bc_core::Result<bc_connector_qbo::QboOptions> {
    section.expect_platform(bc_connector_qbo::PLATFORM)?;
    let typed = bc_core::settings::LedgerSettings::from_platform(section)?;
    bc_connector_qbo::QboOptions::from_settings(&typed)
}
