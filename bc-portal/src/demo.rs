//! `bcsync portal --demo`: a BigCommerce sandbox with seeded orders, the embedded ERP with the
//! importable orders posted by the engine, one seller per role and two buyer companies, served
//! on 127.0.0.1.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bc_connector_acctvantage::{Erp, ErpOptions};
use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
use bc_core::{Error, ErrorKind, Ledger, Result, Settings, Storefront};
use bc_engine::{Engine, Job, MemoryStateStore};
use bc_http::{RateLimits, RetryPolicy, RouterTransport};
use bc_sandbox_bigcommerce::{BigCommerceConfig as SandboxConfig, BigCommerceSandbox};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

use crate::gateway::{BigCommerceGateway, GatewayConfig};
use crate::ledger::ErpOpenInvoices;
use crate::users::UserKind;
use crate::{serve, PasswordCost, Portal, PortalConfig, Served, Services};

/// The sync settings of the demo (the BigCommerce sandbox into the embedded ERP).
pub const DEMO_SETTINGS: &str = include_str!("demo_settings.toml");

/// How to build the demo.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Orders to generate.
    pub orders: u64,
    /// Seed of the generated orders.
    pub seed: u64,
    /// Port (0 = any).
    pub port: u16,
    /// Password hashing cost (the default in the demo; cheaper in tests).
    pub password_cost: PasswordCost,
    /// Store hash of the sandbox (distinct per demo in one process).
    pub store_hash: String,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            orders: 120,
            seed: 42,
            port: 0,
            password_cost: PasswordCost::default(),
            store_hash: "sbx4k2q9zt".into(),
        }
    }
}

/// A demo login.
#[derive(Clone, Debug)]
pub struct DemoLogin {
    /// `sales`, `finance`, `admin`, `buyer`.
    pub role: String,
    /// E-mail.
    pub email: String,
    /// Password (random per run).
    pub password: SecretString,
    /// The buyer's company.
    pub company: Option<(i64, String)>,
}

/// A built demo.
#[derive(Clone)]
pub struct Demo {
    /// The portal.
    pub portal: Portal,
    /// The storefront sandbox.
    pub sandbox: BigCommerceSandbox,
    /// The ledger (the embedded ERP).
    pub erp: Arc<Erp>,
    /// The logins: sales, finance, admin, then two buyers.
    pub logins: Vec<DemoLogin>,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("logins", &self.logins.len())
            .finish_non_exhaustive()
    }
}

fn password() -> SecretString {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    SecretString::from(
        (0..16)
            .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
            .collect::<String>(),
    )
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_seed(7)
        .with_max_attempts(6)
        .with_backoff(
            std::time::Duration::from_millis(2),
            std::time::Duration::from_millis(50),
        )
}

/// Builds the demo without serving it.
pub async fn build(opts: &DemoOptions) -> Result<Demo> {
    let sandbox = BigCommerceSandbox::new(SandboxConfig {
        store_hash: opts.store_hash.clone(),
        quota: 0,
        ..SandboxConfig::default()
    });
    sandbox.seed_orders(opts.orders, opts.seed);
    let token = SecretString::from(
        sandbox.credentials_json()["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    let transport = Arc::new(RouterTransport::new(sandbox.router()));
    let storefront: Arc<dyn Storefront> = Arc::new(BigCommerce::with_transport(
        BigCommerceConfig::new(sandbox.store_hash(), token.clone())
            .with_api_base("http://sandbox.invalid")
            .with_limits(RateLimits::unlimited())
            .with_retry(fast_retry()),
        transport.clone(),
    )?);
    let text = DEMO_SETTINGS.replace("sbx4k2q9zt", &opts.store_hash);
    let settings = Settings::from_toml_str(&text)
        .map_err(|e| Error::new(ErrorKind::Config, format!("portal demo settings: {e}")))?;
    let erp = Arc::new(Erp::in_memory_with(ErpOptions::from_settings(&settings)).await?);
    erp.prepare_for(&settings).await?;
    let ledger: Arc<dyn Ledger> = erp.clone();
    let engine = Engine::new(
        storefront.clone(),
        ledger.clone(),
        Arc::new(MemoryStateStore::new()),
        settings.clone(),
    );
    engine.run(Job::Orders).await?;
    let gateway = BigCommerceGateway::with_transport(
        GatewayConfig {
            store_hash: opts.store_hash.clone(),
            access_token: token,
            api_base: "http://sandbox.invalid".into(),
            payments_base: "http://sandbox.invalid".into(),
            retry: fast_retry(),
        },
        transport,
    )?;
    let source = settings.sync.import_source_code;
    let config = PortalConfig {
        password_cost: opts.password_cost,
        import_source_code: source.as_str().to_string(),
        ..PortalConfig::default()
    };
    let portal = Portal::open(
        config,
        Services {
            storefront: Some(storefront),
            ledger: Some(ledger),
            open_invoices: Some(Arc::new(ErpOpenInvoices::new(erp.clone(), source))),
            gateway: Some(Arc::new(gateway)),
        },
    )
    .await?;
    portal.sync_orders().await?;
    // The two companies with the most orders.
    let mut counts: BTreeMap<i64, (usize, String)> = BTreeMap::new();
    for o in portal.orders().await? {
        let e = counts
            .entry(o.company_id)
            .or_insert((0, o.company_name.clone()));
        e.0 += 1;
    }
    let mut ranked: Vec<(i64, usize, String)> = counts
        .into_iter()
        .map(|(id, (n, name))| (id, n, name))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if ranked.len() < 2 {
        return Err(Error::new(
            ErrorKind::Invalid,
            "the demo store has fewer than two B2B companies; seed more orders",
        ));
    }
    let mut logins = Vec::new();
    for role in ["sales", "finance", "admin"] {
        let email = format!("{role}@seller.example");
        let pw = password();
        portal
            .add_user(
                &email,
                &format!("Demo {role}"),
                &pw,
                &UserKind::Seller { role: role.into() },
            )
            .await?;
        logins.push(DemoLogin {
            role: role.into(),
            email,
            password: pw,
            company: None,
        });
    }
    for (n, (id, _, name)) in ranked.iter().take(2).enumerate() {
        let email = format!("buyer{}@buyer.example", n + 1);
        let pw = password();
        portal
            .add_user(
                &email,
                &format!("Buyer at {name}"),
                &pw,
                &UserKind::Buyer { company_id: *id },
            )
            .await?;
        logins.push(DemoLogin {
            role: "buyer".into(),
            email,
            password: pw,
            company: Some((*id, name.clone())),
        });
    }
    portal.import_ledger_invoices("demo").await?;
    portal
        .audit(
            "demo",
            "demo.seed",
            "portal",
            &format!("{} orders", opts.orders),
        )
        .await?;
    Ok(Demo {
        portal,
        sandbox,
        erp,
        logins,
    })
}

/// Builds the demo and serves it on 127.0.0.1; returns the URL and the logins to print.
pub async fn start(opts: &DemoOptions) -> Result<(Demo, Served)> {
    let demo = build(opts).await?;
    let served = serve(&demo.portal, SocketAddr::from(([127, 0, 0, 1], opts.port)))
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("cannot serve the portal: {e}"),
            )
        })?;
    Ok((demo, served))
}

impl Demo {
    /// The logins as text lines (`role  e-mail  password`), for the terminal.
    pub fn logins_text(&self) -> String {
        self.logins
            .iter()
            .map(|l| {
                let company = l
                    .company
                    .as_ref()
                    .map(|c| format!("  ({})", c.1))
                    .unwrap_or_default();
                format!(
                    "{:8} {:28} {}{company}\n",
                    l.role,
                    l.email,
                    l.password.expose_secret()
                )
            })
            .collect()
    }
}
