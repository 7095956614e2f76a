//! The connector registry: platform name → constructor of a [`Storefront`] or [`Ledger`]
//! from its settings section.
//!
//! The settings file names a platform in `[storefront]` and `[ledger]` and gives it its own
//! keys ([`PlatformSettings`]). The registry finds the constructor registered under that name
//! and hands it the section plus a [`ConnectContext`] (an in-process transport for sandboxes,
//! the settings file's folder, the whole settings). The built-in connectors are registered by
//! [`Registry::with_builtins`] (each behind its cargo feature); an embedding program adds its
//! own:
//!
//! ```
//! # use std::sync::Arc;
//! # use bcsync::registry::{ConnectContext, Registry};
//! # use bcsync::core::{settings::PlatformSettings, Ledger};
//! # fn my_ledger(section: &PlatformSettings) -> bcsync::core::Result<Arc<dyn Ledger>> { unimplemented!() }
//! let mut registry = Registry::with_builtins();
//! registry.register_ledger("csv", |section: PlatformSettings, _ctx: ConnectContext| async move {
//!     my_ledger(&section)
//! });
//! assert!(registry.ledger_platforms().contains(&"csv"));
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use bc_core::settings::PlatformSettings;
use bc_core::{Error, Ledger, Result, Settings, Storefront};
use bc_engine::StateStore;
use bc_http::HttpTransport;

/// What a constructor gets besides its settings section.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ConnectContext {
    /// The transport to use instead of the connector's own: an in-process sandbox router, or
    /// one network client shared by every connection of a process (`bcsync run --workers`);
    /// `None`: the connector's own (reqwest).
    pub transport: Option<Arc<dyn HttpTransport>>,
    /// The folder of the settings file, for relative paths a connector chooses to resolve
    /// against it (empty: the working folder).
    pub base_dir: PathBuf,
    /// The whole settings, for connectors that set themselves up from them (the embedded
    /// ERP prepares the tax areas and accounts the settings name).
    pub settings: Option<Arc<Settings>>,
    /// The state store of this connection, for connectors that keep what must survive a
    /// restart there (QuickBooks Online's rotating refresh token).
    pub state: Option<Arc<dyn StateStore>>,
}

impl std::fmt::Debug for ConnectContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectContext")
            .field("transport", &self.transport.is_some())
            .field("base_dir", &self.base_dir)
            .field("settings", &self.settings.is_some())
            .field("state", &self.state.is_some())
            .finish()
    }
}

impl ConnectContext {
    /// A context with no transport, the working folder and no settings.
    pub fn new() -> Self {
        ConnectContext::default()
    }

    /// Uses `transport` (an in-process sandbox, or a network client shared by several
    /// connections) instead of the connector's own.
    pub fn with_transport(mut self, transport: Arc<dyn HttpTransport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Resolves relative paths against `dir`.
    pub fn with_base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = dir.into();
        self
    }

    /// Hands the whole settings to the constructors.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = Some(Arc::new(settings));
        self
    }

    /// Hands the connection's state store to the constructors.
    pub fn with_state(mut self, state: Arc<dyn StateStore>) -> Self {
        self.state = Some(state);
        self
    }

    /// `path` when absolute, else `path` under [`ConnectContext::base_dir`].
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = PathBuf::from(path);
        if p.is_absolute() || self.base_dir.as_os_str().is_empty() {
            p
        } else {
            self.base_dir.join(p)
        }
    }
}

/// A boxed future of a constructor.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

type LedgerCtor =
    Arc<dyn Fn(PlatformSettings, ConnectContext) -> BoxFuture<Arc<dyn Ledger>> + Send + Sync>;
type StorefrontCtor =
    Arc<dyn Fn(PlatformSettings, ConnectContext) -> BoxFuture<Arc<dyn Storefront>> + Send + Sync>;

type ConfigCheck = Arc<dyn Fn(&PlatformSettings) -> Result<()> + Send + Sync>;

/// Platform name → constructor, for ledgers and storefronts.
#[derive(Clone, Default)]
pub struct Registry {
    ledgers: BTreeMap<String, LedgerCtor>,
    storefronts: BTreeMap<String, StorefrontCtor>,
    checks: BTreeMap<String, ConfigCheck>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("ledgers", &self.ledger_platforms())
            .field("storefronts", &self.storefront_platforms())
            .finish()
    }
}

impl Registry {
    /// A registry with no platform.
    pub fn empty() -> Self {
        Registry::default()
    }

    /// A registry with every built-in connector this build has (cargo features
    /// `bigcommerce`, `magento`, `qbo`, `bc365`, `acumatica`, `acctvantage`).
    pub fn with_builtins() -> Self {
        let mut r = Registry::empty();
        crate::builtins::register(&mut r);
        r
    }

    /// Registers (or replaces) the ledger constructor of `platform`.
    pub fn register_ledger<F, Fut>(&mut self, platform: &str, f: F) -> &mut Self
    where
        F: Fn(PlatformSettings, ConnectContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Arc<dyn Ledger>>> + Send + 'static,
    {
        self.ledgers.insert(
            platform.to_string(),
            Arc::new(move |s, c| Box::pin(f(s, c)) as BoxFuture<Arc<dyn Ledger>>),
        );
        self
    }

    /// Registers (or replaces) the storefront constructor of `platform`.
    pub fn register_storefront<F, Fut>(&mut self, platform: &str, f: F) -> &mut Self
    where
        F: Fn(PlatformSettings, ConnectContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Arc<dyn Storefront>>> + Send + 'static,
    {
        self.storefronts.insert(
            platform.to_string(),
            Arc::new(move |s, c| Box::pin(f(s, c)) as BoxFuture<Arc<dyn Storefront>>),
        );
        self
    }

    /// Registers how `bcsync check` validates a `platform` section without connecting (parse
    /// its connector's config type: unknown keys, wrong kinds). The same check serves the
    /// storefront and the ledger section of that platform name.
    pub fn register_config_check<F>(&mut self, platform: &str, f: F) -> &mut Self
    where
        F: Fn(&PlatformSettings) -> Result<()> + Send + Sync + 'static,
    {
        self.checks.insert(platform.to_string(), Arc::new(f));
        self
    }

    /// The ledger platforms registered, sorted.
    pub fn ledger_platforms(&self) -> Vec<&str> {
        self.ledgers.keys().map(String::as_str).collect()
    }

    /// The storefront platforms registered, sorted.
    pub fn storefront_platforms(&self) -> Vec<&str> {
        self.storefronts.keys().map(String::as_str).collect()
    }

    /// Builds the ledger `section` names. An unregistered platform is a `Config` error
    /// naming `<section>.platform` and the platforms this build knows.
    pub async fn ledger(
        &self,
        section: &PlatformSettings,
        ctx: ConnectContext,
    ) -> Result<Arc<dyn Ledger>> {
        let ctor = self
            .ledgers
            .get(&section.platform)
            .ok_or_else(|| unknown(section, "ledger", &self.ledger_platforms()))?;
        ctor(section.clone(), ctx).await
    }

    /// Builds the storefront `section` names (see [`Registry::ledger`]).
    pub async fn storefront(
        &self,
        section: &PlatformSettings,
        ctx: ConnectContext,
    ) -> Result<Arc<dyn Storefront>> {
        let ctor = self
            .storefronts
            .get(&section.platform)
            .ok_or_else(|| unknown(section, "storefront", &self.storefront_platforms()))?;
        ctor(section.clone(), ctx).await
    }

    /// Checks, without connecting (`bcsync check`): both sections name registered
    /// platforms, each section parses as its connector's config (when the connector
    /// registered a check), and every `env:NAME` secret names a variable that is set.
    pub fn check(&self, settings: &Settings) -> Result<()> {
        self.check_platforms(settings)?;
        for section in [&settings.storefront, &settings.ledger] {
            if let Some(check) = self.checks.get(&section.platform) {
                check(section)?;
            }
            check_env_secrets(&section.section, &section.table)?;
        }
        Ok(())
    }

    fn check_platforms(&self, settings: &Settings) -> Result<()> {
        if !self.storefronts.contains_key(&settings.storefront.platform) {
            return Err(unknown(
                &settings.storefront,
                "storefront",
                &self.storefront_platforms(),
            ));
        }
        if !self.ledgers.contains_key(&settings.ledger.platform) {
            return Err(unknown(
                &settings.ledger,
                "ledger",
                &self.ledger_platforms(),
            ));
        }
        Ok(())
    }
}

/// Every `"env:NAME"` string value under `prefix` names a set environment variable (the
/// error names the key and the variable, never a value).
fn check_env_secrets(prefix: &str, table: &bc_core::settings::PlatformTable) -> Result<()> {
    for (k, v) in table {
        let key = format!("{prefix}.{k}");
        match v {
            toml::Value::String(s) => {
                if let Some(var) = s.strip_prefix("env:") {
                    if std::env::var_os(var).is_none() {
                        return Err(Error::config(
                            &key,
                            format!("environment variable `{var}` is not set"),
                        ));
                    }
                }
            }
            toml::Value::Table(t) => check_env_secrets(&key, t)?,
            _ => {}
        }
    }
    Ok(())
}

fn unknown(section: &PlatformSettings, what: &str, known: &[&str]) -> Error {
    let key = section.key("platform");
    Error::config_value(
        &key,
        &format!("{:?}", section.platform),
        format!(
            "is not one of: {} (the {what} platforms this build knows; enable a connector's cargo feature or register your own with `Registry::register_{what}`)",
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        ),
    )
}
