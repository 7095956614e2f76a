//! The BigCommerce and QuickBooks sandboxes, in-process, with the real connectors.

use std::sync::Arc;
use std::time::Duration;

use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
use bc_connector_qbo::{QboLedger, QboOptions};
use bc_core::{Ledger, Storefront};
use bc_http::{RateLimits, RetryPolicy, RouterTransport};
use bc_sandbox_bigcommerce::BigCommerceSandbox;
use bc_sandbox_qbo::QboSandbox;
use secrecy::SecretString;

/// Settings for the two sandboxes (QBO's tax codes, BigCommerce's statuses).
pub const SETTINGS: &str = r#"
[storefront]
platform = "bigcommerce"
store_hash = "jobs"
access_token = "unused"
[ledger]
platform = "qbo"
realm_id = "jobs"
client_id = "unused"
client_secret = "unused"
refresh_token = "unused"
[sync]
import_source_code = "BC1"
[orders]
new_order_status = ["11"]
downloaded_status = "9"
import_error_status = "12"
order_number_prefix = "BC-"
create_missing_items = true
[orders.new_items]
income_account = "Sales of Product Income"
[posting]
discount_gl = "Discounts given"
gift_card_liability_gl = "Gift Card Liability"
store_credit_gl = "Gift Card Liability"
shipping_item = "Shipping"
handling_gl = "Shipping Income"
wrapping_gl = "Sales of Product Income"
rounding_gl = "Sales of Product Income"
non_taxable_code = "NON"
[tax_map]
"Texas State Tax" = "California"
"Austin City Tax" = "California"
"California State Tax" = "California"
"District Tax" = "California"
[payments]
record_payments = false
[shipping]
enabled = true
"#;

pub async fn connect(
    bc: &BigCommerceSandbox,
    qbo: &QboSandbox,
    ledger_retry: RetryPolicy,
) -> (Arc<dyn Storefront>, Arc<dyn Ledger>) {
    let token = bc.credentials_json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let storefront: Arc<dyn Storefront> = Arc::new(
        BigCommerce::with_transport(
            BigCommerceConfig::new(bc.store_hash(), SecretString::from(token))
                .with_api_base("http://sandbox.invalid")
                .with_limits(RateLimits::unlimited())
                .with_retry(RetryPolicy::none()),
            Arc::new(RouterTransport::new(bc.router())),
        )
        .unwrap(),
    );
    let c = qbo.credentials_json();
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    let ledger: Arc<dyn Ledger> = Arc::new(
        QboLedger::connect(
            QboOptions {
                batch_limits: RateLimits::unlimited(),
                ..QboOptions::new(
                    s("realm_id"),
                    s("client_id"),
                    SecretString::from(s("client_secret")),
                    SecretString::from(s("refresh_token")),
                )
            }
            .with_base_url("http://127.0.0.1:9")
            .with_token_url("http://127.0.0.1:9/oauth2/v1/tokens/bearer")
            .with_access_token(
                SecretString::from(s("access_token")),
                Duration::from_secs(3600),
            )
            .with_rate_limits(RateLimits::unlimited())
            .with_retry(ledger_retry),
            Arc::new(RouterTransport::new(qbo.router())),
        )
        .await
        .unwrap(),
    );
    (storefront, ledger)
}
