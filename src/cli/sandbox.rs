//! `bcsync sandbox <platform>`: serve one platform's sandbox on a loopback port, so anyone can
//! point their own client (or an official client library) at it.

use std::any::Any;
use std::io::Write;

use bc_sandbox::faults::FaultPlan;
use serde_json::{json, Value};

/// Which sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Platform {
    /// BigCommerce (REST v2/v3).
    Bigcommerce,
    /// QuickBooks Online (Accounting API v3).
    Qbo,
    /// Microsoft Dynamics 365 Business Central (API v2.0).
    Bc365,
    /// Magento 2 / Adobe Commerce (REST).
    Magento,
    /// Acumatica (contract-based REST, Default endpoint).
    Acumatica,
}

/// Options of `bcsync sandbox`.
#[derive(Clone, Debug, clap::Args)]
pub struct SandboxArgs {
    /// The platform to serve.
    #[arg(value_enum)]
    pub platform: Platform,
    /// Loopback port (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed of generated data and faults.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Orders to generate (BigCommerce).
    #[arg(long, default_value_t = 100)]
    pub orders: u64,
    /// Share of requests that fail (0.0–1.0): error statuses, resets, commit-then-fail, hangs.
    #[arg(long, default_value_t = 0.0)]
    pub faults: f64,
    /// (From the global `--json`.) Print one JSON object (`base_url`, `credentials`) as the first line of stdout.
    #[arg(skip)]
    pub json: bool,
    /// QuickBooks Online: a multicurrency company (home currency USD; `CurrencyRef` and
    /// `ExchangeRate` accepted on documents, `Preferences.CurrencyPrefs.MultiCurrencyEnabled`
    /// true). Off by default, as in a new QBO company.
    #[arg(long)]
    pub multicurrency: bool,
}

/// Serves until interrupted (Ctrl-C) or until stdin closes when `--json` is given.
pub async fn run(args: SandboxArgs) -> Result<(), String> {
    if args.multicurrency && args.platform != Platform::Qbo {
        return Err("--multicurrency is a QuickBooks Online company setting: use it with `bcsync sandbox qbo`".into());
    }
    if !(0.0..=1.0).contains(&args.faults) {
        return Err(format!(
            "--faults {} must be between 0.0 and 1.0",
            args.faults
        ));
    }
    let faults = if args.faults > 0.0 {
        FaultPlan::uniform(args.seed, args.faults)
    } else {
        FaultPlan::none()
    };
    let keep: Box<dyn Any>;
    let (served, credentials, example): (bc_sandbox::serve::Served, Value, String) = match args
        .platform
    {
        Platform::Bigcommerce => {
            let config = bc_sandbox_bigcommerce::BigCommerceConfig {
                faults,
                ..Default::default()
            };
            let (sandbox, served) = bc_sandbox_bigcommerce::BigCommerceSandbox::serve_seeded(
                config,
                args.port,
                args.seed,
                args.orders,
            )
            .await
            .map_err(|e| {
                format!(
                    "cannot serve the BigCommerce sandbox on 127.0.0.1:{}: {e}",
                    args.port
                )
            })?;
            let credentials = sandbox.credentials_json();
            let example = format!(
                "curl -H 'X-Auth-Token: {}' -H 'Accept: application/json' {}/stores/{}/v2/orders?limit=5",
                credentials["access_token"].as_str().unwrap_or_default(),
                served.base_url,
                sandbox.store_hash()
            );
            keep = Box::new(sandbox);
            (served, credentials, example)
        }
        Platform::Qbo => {
            let mut config = bc_sandbox_qbo::QboConfig::seeded(args.seed, args.faults);
            config.faults = faults;
            config.multicurrency = args.multicurrency;
            let sandbox = bc_sandbox_qbo::QboSandbox::new(config);
            let served = sandbox.serve(args.port).await.map_err(|e| {
                format!(
                    "cannot serve the QuickBooks Online sandbox on 127.0.0.1:{}: {e}",
                    args.port
                )
            })?;
            let credentials = sandbox.credentials_json();
            let example = format!(
                "curl -H 'Authorization: Bearer {}' -H 'Accept: application/json' '{}/v3/company/{}/query?query=select%20*%20from%20Customer'",
                credentials["access_token"].as_str().unwrap_or_default(),
                served.base_url,
                credentials["realm_id"].as_str().unwrap_or_default()
            );
            keep = Box::new(sandbox);
            (served, credentials, example)
        }
        Platform::Bc365 => {
            let mut config = bc_sandbox_bc365::Bc365SandboxConfig::seeded(args.seed, args.faults);
            config.faults = faults;
            let sandbox = bc_sandbox_bc365::Bc365Sandbox::new(config);
            let served = sandbox.serve(args.port).await.map_err(|e| {
                format!(
                    "cannot serve the Business Central sandbox on 127.0.0.1:{}: {e}",
                    args.port
                )
            })?;
            let credentials = sandbox.credentials_json();
            let example = format!(
                "get a token from {}/<tenant>/oauth2/v2.0/token (client credentials), then GET {}/v2.0/<tenant>/<environment>/api/v2.0/companies",
                served.base_url, served.base_url
            );
            keep = Box::new(sandbox);
            (served, credentials, example)
        }
        Platform::Magento => {
            let config = bc_sandbox_magento::MagentoConfig {
                faults,
                ..Default::default()
            };
            let (sandbox, served) = bc_sandbox_magento::MagentoSandbox::serve_seeded(
                config,
                args.port,
                args.seed,
                args.orders,
            )
            .await
            .map_err(|e| {
                format!(
                    "cannot serve the Magento sandbox on 127.0.0.1:{}: {e}",
                    args.port
                )
            })?;
            let credentials = sandbox.credentials_json();
            let example = format!(
                "curl -H 'Authorization: Bearer <access_token>' '{}/rest/default/V1/orders?searchCriteria[pageSize]=5'",
                served.base_url
            );
            keep = Box::new(sandbox);
            (served, credentials, example)
        }
        Platform::Acumatica => {
            let mut config =
                bc_sandbox_acumatica::AcumaticaSandboxConfig::seeded(args.seed, args.faults, 0);
            config.faults = faults;
            let sandbox = bc_sandbox_acumatica::AcumaticaSandbox::new(config);
            let served = sandbox.serve(args.port).await.map_err(|e| {
                format!(
                    "cannot serve the Acumatica sandbox on 127.0.0.1:{}: {e}",
                    args.port
                )
            })?;
            let credentials = sandbox.credentials_json();
            let example = format!(
                "curl -c jar -H 'Content-Type: application/json' -d '{{\"name\":\"<username>\",\"password\":\"<password>\",\"tenant\":\"<tenant>\"}}' {}/entity/auth/login",
                served.base_url
            );
            keep = Box::new(sandbox);
            (served, credentials, example)
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let line = json!({ "base_url": served.base_url, "credentials": credentials });
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    } else {
        writeln!(
            out,
            "{:?} sandbox listening on {}",
            args.platform, served.base_url
        )
        .map_err(|e| e.to_string())?;
        writeln!(out, "credentials: {credentials}").map_err(|e| e.to_string())?;
        writeln!(out, "try: {example}").map_err(|e| e.to_string())?;
        writeln!(
            out,
            "introspection: {}/__sandbox/requests   (Ctrl-C to stop)",
            served.base_url
        )
        .map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    drop(out);
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    drop(served);
    drop(keep);
    Ok(())
}
