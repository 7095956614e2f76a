//! The storefront's payment gateway (B6): BigCommerce's Payments API flow.
//!
//! 1. `POST /v2/orders` — an Incomplete (status 0) order for the buyer's customer, one custom
//!    line per invoice paid, marked `external_source = "bcsync-portal"` so the order dashboard
//!    and the engine can tell it from a sale;
//! 2. `POST /v3/payments/access_tokens` `{"order": {"id"}}` — a single-use PAT;
//! 3. `POST https://payments.bigcommerce.com/stores/{hash}/payments` with `Authorization: PAT …`
//!    and `Accept: application/vnd.bc.v1+json` — the card is charged the order total and the
//!    order moves to Awaiting Fulfillment (11).
//!
//! After an unknown outcome, [`PaymentGateway::paid`] reads the order back: status 11 with a
//! purchase transaction means the money was taken.

use std::sync::Arc;

use async_trait::async_trait;
use bc_core::{Error, ErrorKind, Result};
use bc_http::{ApiRequest, HttpClient, HttpTransport, RateLimits, RetryPolicy, StaticHeaderAuth};
use http::{HeaderName, HeaderValue};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

/// A card, passed through to the gateway and never stored.
#[derive(Clone)]
pub struct CardDetails {
    /// Card number.
    pub number: SecretString,
    /// Cardholder name.
    pub holder: String,
    /// Expiry month.
    pub expiry_month: u32,
    /// Expiry year (4 digits).
    pub expiry_year: u32,
    /// CVV.
    pub cvv: SecretString,
}

impl std::fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardDetails(******)")
    }
}

/// A payment order to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentOrder {
    /// The storefront customer id.
    pub customer_id: Option<String>,
    /// Company name (billing).
    pub company: String,
    /// Buyer e-mail (billing).
    pub email: String,
    /// Lines: (description, amount).
    pub lines: Vec<(String, Decimal)>,
    /// The checkout's idempotency key (kept on the order as `external_id`).
    pub key: String,
}

/// A storefront payment gateway.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Creates the order to pay; returns its id.
    async fn create_payment_order(&self, order: &PaymentOrder) -> Result<String>;
    /// Pays the order with a card; returns the gateway's transaction id.
    async fn pay(&self, order_id: &str, card: &CardDetails) -> Result<String>;
    /// Whether the order was paid (after an unknown outcome); its transaction id if so.
    async fn paid(&self, order_id: &str) -> Result<Option<String>>;
}

/// BigCommerce's Payments API.
#[derive(Clone, Debug)]
pub struct BigCommerceGateway {
    api: HttpClient,
    payments: HttpClient,
}

/// Where the gateway's two hosts are.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Store hash.
    pub store_hash: String,
    /// `X-Auth-Token` of an API account with the "Create payments" scope.
    pub access_token: SecretString,
    /// API host (`https://api.bigcommerce.com`).
    pub api_base: String,
    /// Payments host (`https://payments.bigcommerce.com`).
    pub payments_base: String,
    /// Retries.
    pub retry: RetryPolicy,
}

impl BigCommerceGateway {
    /// Connects through `transport`.
    pub fn with_transport(cfg: GatewayConfig, transport: Arc<dyn HttpTransport>) -> Result<Self> {
        let auth = StaticHeaderAuth::new(
            HeaderName::from_static("x-auth-token"),
            cfg.access_token.clone(),
        );
        let api = HttpClient::builder(
            "bigcommerce",
            format!(
                "{}/stores/{}",
                cfg.api_base.trim_end_matches('/'),
                cfg.store_hash
            ),
        )
        .transport(transport.clone())
        .account(
            &format!("bigcommerce:{}:portal", cfg.store_hash),
            RateLimits::unlimited(),
        )
        .retry(cfg.retry.clone())
        .auth(Arc::new(auth))
        .build()?;
        let payments = HttpClient::builder(
            "bigcommerce-payments",
            format!(
                "{}/stores/{}",
                cfg.payments_base.trim_end_matches('/'),
                cfg.store_hash
            ),
        )
        .transport(transport)
        // Payments API: 50 requests per 4 seconds (docs/store-operations/payments "Rate limits").
        .account(
            &format!("bigcommerce-payments:{}", cfg.store_hash),
            RateLimits::new(50, std::time::Duration::from_secs(4)),
        )
        .retry(cfg.retry)
        .build()?;
        Ok(BigCommerceGateway { api, payments })
    }

    /// Connects over the network.
    pub fn new(cfg: GatewayConfig) -> Result<Self> {
        Self::with_transport(cfg, Arc::new(bc_http::ReqwestTransport::new()?))
    }
}

fn body(resp: &bc_http::ApiResponse, what: &str) -> Result<Value> {
    serde_json::from_slice(&resp.body).map_err(|e| {
        Error::new(
            ErrorKind::Invalid,
            format!("{what}: the answer is not JSON: {e}"),
        )
    })
}

#[async_trait]
impl PaymentGateway for BigCommerceGateway {
    async fn create_payment_order(&self, order: &PaymentOrder) -> Result<String> {
        let products: Vec<Value> = order
            .lines
            .iter()
            .map(|(name, amount)| {
                json!({ "name": name, "quantity": 1, "price_ex_tax": amount.to_string(), "price_inc_tax": amount.to_string() })
            })
            .collect();
        let payload = json!({
            "status_id": 0,
            "customer_id": order.customer_id.as_deref().and_then(|c| c.parse::<u64>().ok()).unwrap_or(0),
            "billing_address": { "first_name": order.company, "last_name": "", "company": order.company,
                "email": order.email, "street_1": "", "city": "", "zip": "", "country": "United States",
                "country_iso2": "US", "state": "" },
            "products": products,
            "external_source": crate::invoices::PAYMENT_ORDER_SOURCE,
            "external_id": order.key,
            "staff_notes": format!("Invoice payment through the B2B portal ({})", order.key),
        });
        let resp = self
            .api
            .send(ApiRequest::post("/v2/orders").json(&payload)?)
            .await?;
        let v = body(&resp, "create payment order")?;
        v.get("id")
            .and_then(Value::as_u64)
            .map(|id| id.to_string())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Invalid,
                    "create payment order: no id in the answer",
                )
            })
    }

    async fn pay(&self, order_id: &str, card: &CardDetails) -> Result<String> {
        let id: u64 = order_id
            .parse()
            .map_err(|_| Error::new(ErrorKind::Invalid, format!("order id `{order_id}`")))?;
        let resp = self
            .api
            .send(
                ApiRequest::post("/v3/payments/access_tokens")
                    .json(&json!({ "order": { "id": id, "is_recurring": false } }))?,
            )
            .await?;
        let v = body(&resp, "create payment access token")?;
        let pat = v
            .pointer("/data/id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::new(ErrorKind::Invalid, "payment access token: no data.id"))?;
        let auth = HeaderValue::from_str(&format!("PAT {pat}")).map_err(|_| {
            Error::new(
                ErrorKind::Invalid,
                "payment access token is not a header value",
            )
        })?;
        let payload = json!({ "payment": {
            "instrument": { "type": "card", "number": card.number.expose_secret(), "cardholder_name": card.holder,
                "expiry_month": card.expiry_month, "expiry_year": card.expiry_year,
                "verification_value": card.cvv.expose_secret() },
            "payment_method_id": "braintree.card",
        }});
        let req = ApiRequest::post("/payments")
            .secret_header(HeaderName::from_static("authorization"), auth)
            .header(
                http::header::ACCEPT,
                HeaderValue::from_static("application/vnd.bc.v1+json"),
            )
            .json(&payload)?;
        let resp = self.payments.send(req).await?;
        let v = body(&resp, "process payment")?;
        match v.pointer("/data/status").and_then(Value::as_str) {
            Some("success") => Ok(v
                .pointer("/data/id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()),
            other => Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "payment for order {order_id} is {}",
                    other.unwrap_or("unknown")
                ),
            )),
        }
    }

    async fn paid(&self, order_id: &str) -> Result<Option<String>> {
        let resp = self
            .api
            .send(ApiRequest::get("/v2/orders/{id}").path_param("id", order_id))
            .await?;
        let v = body(&resp, "read payment order")?;
        if v.get("status_id").and_then(Value::as_u64) != Some(11) {
            return Ok(None);
        }
        let resp = self
            .api
            .send(ApiRequest::get("/v3/orders/{id}/transactions").path_param("id", order_id))
            .await?;
        let v = body(&resp, "read payment transactions")?;
        Ok(v.get("data")
            .and_then(Value::as_array)
            .and_then(|l| {
                l.iter()
                    .find(|t| t.get("event").and_then(Value::as_str) == Some("purchase"))
            })
            .map(|t| {
                t.get("gateway_transaction_id")
                    .and_then(Value::as_str)
                    .unwrap_or("paid")
                    .to_string()
            }))
    }
}
