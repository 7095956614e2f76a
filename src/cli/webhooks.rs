//! `bcsync webhooks install|list|remove`: registers the storefront's webhooks that point at
//! `bcsync run --listen` (BigCommerce; Magento has no webhooks without Adobe I/O Events, so
//! it answers a clear error).

use std::path::Path;

use secrecy::SecretString;

use super::exit::{CliError, CliResult, Exit};
use super::service::load;

/// The header BigCommerce sends the webhook secret in (registered with each hook; the one
/// `bcsync run --listen` checks).
pub const SECRET_HEADER: &str = bc_server::DEFAULT_BIGCOMMERCE_HEADER;

/// The scopes bcsync registers: orders created/updated/status changes and refunds.
pub const SCOPES: [&str; 4] = [
    "store/order/created",
    "store/order/updated",
    "store/order/statusUpdated",
    "store/order/refund/created",
];

/// The subcommands.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum WebhooksCommand {
    /// Registers the order and refund webhooks to URL (where `bcsync run --listen` is
    /// reachable, e.g. `https://sync.example.com/webhooks/bigcommerce`), sending
    /// `storefront.webhook_secret` with every delivery. Existing ones are kept.
    Install {
        /// The public URL of `/webhooks/bigcommerce`.
        #[arg(long)]
        url: String,
    },
    /// Lists the store's webhooks.
    List,
    /// Deletes the store's webhooks that point at URL.
    Remove {
        /// The destination to remove.
        #[arg(long)]
        url: String,
    },
}

/// Runs a `webhooks` subcommand.
pub async fn run(config: &Path, cmd: WebhooksCommand, json: bool) -> CliResult {
    let settings = load(config)?;
    if settings.storefront.platform != bc_connector_bigcommerce::PLATFORM {
        return Err(CliError::config(format!(
            "`storefront.platform` is \"{}\": `bcsync webhooks` registers BigCommerce webhooks only \
             (Magento has no webhooks without Adobe I/O Events; bcsync polls it)",
            settings.storefront.platform
        )));
    }
    let cfg = bc_connector_bigcommerce::BigCommerceConfig::from_table(&settings.storefront)
        .map_err(|e| CliError::core(&config.display().to_string(), &e))?;
    let secret: Option<SecretString> = cfg.webhook_secret.clone();
    let bc = bc_connector_bigcommerce::connect(&cfg, None)
        .await
        .map_err(|e| CliError::core("storefront", &e))?;
    let err = |e: bc_core::Error| CliError::core("BigCommerce webhooks", &e);
    match cmd {
        WebhooksCommand::Install { url } => {
            let parsed = url::Url::parse(&url)
                .map_err(|e| CliError::new(Exit::Usage, format!("--url {url}: {e}")))?;
            if parsed.scheme() != "https" && !is_loopback(&parsed) {
                return Err(CliError::new(
                    Exit::Usage,
                    format!(
                        "--url {url}: BigCommerce delivers webhooks to https:// destinations only"
                    ),
                ));
            }
            let secret = secret.ok_or_else(|| {
                CliError::config(
                    "set `storefront.webhook_secret` (e.g. \"env:BIGCOMMERCE_WEBHOOK_SECRET\") first: \
                     deliveries are authenticated with it",
                )
            })?;
            let ids = bc
                .register_webhooks(&url, &SCOPES, SECRET_HEADER, &secret)
                .await
                .map_err(err)?;
            if json {
                return super::print_json(
                    &serde_json::json!({ "installed": ids, "scopes": SCOPES, "url": url }),
                );
            }
            outln!(
                "webhooks to {url}: {} ({})",
                ids.join(", "),
                SCOPES.join(", ")
            );
        }
        WebhooksCommand::List => {
            let hooks = bc.webhooks().await.map_err(err)?;
            if json {
                return super::print_json(&hooks);
            }
            if hooks.is_empty() {
                outln!("no webhooks");
            }
            for h in hooks {
                outln!(
                    "{:<8} {:<28} {:<7} {}",
                    h.id,
                    h.scope,
                    if h.is_active { "active" } else { "off" },
                    h.destination
                );
            }
        }
        WebhooksCommand::Remove { url } => {
            let removed = bc.remove_webhooks(&url).await.map_err(err)?;
            if json {
                return super::print_json(&serde_json::json!({ "removed": removed }));
            }
            outln!("removed {} webhook(s) to {url}", removed.len());
        }
    }
    Ok(())
}

/// Whether `url` points at this machine (the sandbox delivers over plain HTTP there).
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}
