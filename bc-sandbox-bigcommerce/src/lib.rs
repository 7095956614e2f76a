//! A BigCommerce store that speaks BigCommerce's wire format (ARCHITECTURE.md §6), in memory.
//!
//! Built from BigCommerce's published contract (`bigcommerce/docs`, `reference/*.yml`) and
//! known reality where the two differ (204 on an empty list page, 4-decimal money strings and
//! RFC 2822 dates in v2, `""` for an empty date). Paths carry the store hash
//! (`/stores/{store_hash}/v2/…`, `/v3/…`), auth is `X-Auth-Token`, and every response carries
//! BigCommerce's rate-limit headers.
//!
//! Serve one with seeded orders in two lines:
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bc_sandbox_bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
//! let (sandbox, served) = BigCommerceSandbox::serve_seeded(BigCommerceConfig::default(), 0, 42, 500).await?;
//! println!("{} {}", served.base_url, sandbox.credentials_json());
//! # Ok(()) }
//! ```
//! or use [`BigCommerceSandbox::router`] in-process (no socket).
//!
//! Files: [`orders`] (v2 orders and sub-resources), [`shipments`], [`customers`],
//! [`inventory`] (variants, stock), [`refunds`] (transactions, refund quotes, refunds),
//! [`hooks`] (webhooks and deliveries), [`payments`] (Payments API: access tokens and the
//! payments host), [`ratelimit`] (quota and auth), [`generator`] (seeded
//! orders), [`state`] (the store), [`wire`] (formats).

#![recursion_limit = "512"]

pub mod customers;
pub mod generator;
pub mod hooks;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod ratelimit;
pub mod refunds;
pub mod shipments;
pub mod state;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use bc_sandbox::faults::{FaultInjector, FaultPlan};
use bc_sandbox::stats::{RequestStats, StatsSnapshot};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

pub use state::{Clock, Delivery};

/// How to set up a sandbox store.
#[derive(Clone, Debug)]
pub struct BigCommerceConfig {
    /// The store hash in every path.
    pub store_hash: String,
    /// The numeric store id webhooks carry.
    pub store_id: String,
    /// The `X-Auth-Token` the store accepts.
    pub access_token: SecretString,
    /// Requests per window (0 = no limit). Default 150 (Standard/Plus plan).
    pub quota: u32,
    /// Window length in ms. Default 30,000.
    pub window_ms: u64,
    /// Faults to inject.
    pub faults: FaultPlan,
    /// The clock changes are stamped with.
    pub clock: Clock,
    /// Seed of the store fixture (catalog, customers, stock).
    pub fixture_seed: u64,
    /// When generated orders start (one every ~37 minutes after it).
    pub orders_start: DateTime<Utc>,
    /// Custom labels of order statuses (the control panel's); the rest use system names.
    pub status_labels: BTreeMap<u8, String>,
}

impl Default for BigCommerceConfig {
    fn default() -> Self {
        BigCommerceConfig {
            store_hash: "sbx4k2q9zt".into(),
            store_id: "1001337".into(),
            access_token: SecretString::from("sandbox-access-token-0123456789abcdef"),
            quota: 150,
            window_ms: 30_000,
            faults: FaultPlan::none(),
            clock: Clock::System,
            fixture_seed: 7,
            orders_start: generator::default_start(),
            status_labels: [
                (0u8, "Incomplete - Testing"),
                (10, "Completed - Testing"),
                (11, "Ready to Pick"),
            ]
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect(),
        }
    }
}

/// Errors of the sandbox's own (control-panel) actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SandboxError {
    /// No such order.
    OrderNotFound(u64),
    /// No such SKU.
    SkuNotFound(String),
    /// The action was refused, with BigCommerce's reason.
    Rejected(String),
}

impl std::fmt::Display for SandboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SandboxError::OrderNotFound(id) => write!(f, "order {id} not found in the sandbox"),
            SandboxError::SkuNotFound(s) => write!(f, "sku {s} not found in the sandbox"),
            SandboxError::Rejected(r) => write!(f, "rejected: {r}"),
        }
    }
}

impl std::error::Error for SandboxError {}

/// Handler state.
#[derive(Clone)]
pub struct App {
    shared: state::Shared,
    store_hash: String,
    store_id: String,
    token: Arc<SecretString>,
    limiter: Arc<ratelimit::RateLimiter>,
    stats: RequestStats,
    pending: Arc<AtomicUsize>,
}

impl App {
    fn token_matches(&self, t: &str) -> bool {
        t == self.token.expose_secret()
    }
}

/// A BigCommerce store in memory. Cheap to clone (shared state).
#[derive(Clone)]
pub struct BigCommerceSandbox {
    app: App,
    faults: FaultInjector,
    start: DateTime<Utc>,
}

impl std::fmt::Debug for BigCommerceSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BigCommerceSandbox")
            .field("store_hash", &self.app.store_hash)
            .finish_non_exhaustive()
    }
}

/// One order's state, for tests.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderSummary {
    /// Id.
    pub id: u64,
    /// Status id.
    pub status_id: u8,
    /// Last modified.
    pub date_modified: DateTime<Utc>,
    /// Total including tax.
    pub total_inc_tax: Decimal,
    /// Refunded so far.
    pub refunded_amount: Decimal,
    /// Items shipped.
    pub items_shipped: u32,
}

fn error_body(status: u16) -> Response {
    let title = match status {
        429 => "Too many requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
    wire::v3_error(status, title)
}

impl BigCommerceSandbox {
    /// A store with its fixture (catalog, customers, stock) and no orders.
    pub fn new(config: BigCommerceConfig) -> Self {
        let mut store = state::Store::new(config.clock.clone());
        generator::fixture(&mut store, config.fixture_seed);
        store.status_labels = config.status_labels.clone();
        let (quota, window_ms) = (config.quota, config.window_ms);
        // An injected 429 looks like the platform's own: with the rate-limit headers.
        let faults = FaultInjector::new(
            config.faults.clone(),
            Arc::new(move |status| {
                let mut resp = error_body(status);
                if status == 429 && quota > 0 {
                    let h = resp.headers_mut();
                    h.insert("X-Rate-Limit-Requests-Left", http::HeaderValue::from(0u32));
                    h.insert(
                        "X-Rate-Limit-Time-Reset-Ms",
                        http::HeaderValue::from(window_ms),
                    );
                    h.insert(
                        "X-Rate-Limit-Requests-Quota",
                        http::HeaderValue::from(quota),
                    );
                    h.insert(
                        "X-Rate-Limit-Time-Window-Ms",
                        http::HeaderValue::from(window_ms),
                    );
                }
                resp
            }),
        );
        BigCommerceSandbox {
            app: App {
                shared: state::Shared::new(store),
                store_hash: config.store_hash.clone(),
                store_id: config.store_id.clone(),
                token: Arc::new(config.access_token.clone()),
                limiter: Arc::new(ratelimit::RateLimiter::new(config.quota, config.window_ms)),
                stats: RequestStats::default(),
                pending: Arc::new(AtomicUsize::new(0)),
            },
            faults,
            start: config.orders_start,
        }
    }

    /// New store, `orders` generated from `seed`, served on `127.0.0.1:port` (0 = any port).
    pub async fn serve_seeded(
        config: BigCommerceConfig,
        port: u16,
        seed: u64,
        orders: u64,
    ) -> std::io::Result<(Self, bc_sandbox::serve::Served)> {
        let sandbox = Self::new(config);
        sandbox.seed_orders(orders, seed);
        let served = bc_sandbox::serve::serve(sandbox.router(), port).await?;
        Ok((sandbox, served))
    }

    /// Generate `n` more orders from `seed` (with shipments and refunds where their status says
    /// so). Same config, seed and history give byte-identical orders. Returns their ids.
    pub fn seed_orders(&self, n: u64, seed: u64) -> Vec<u64> {
        let mut store = self.app.shared.lock();
        (0..n)
            .map(|_| generator::generate_order(&mut store, seed, self.start))
            .collect()
    }

    /// `{"store_hash": …, "access_token": …}` (BigCommerce's own names).
    pub fn credentials_json(&self) -> Value {
        json!({ "store_hash": self.app.store_hash, "access_token": self.app.token.expose_secret() })
    }

    /// The store hash.
    pub fn store_hash(&self) -> &str {
        &self.app.store_hash
    }

    /// The router: the API under `/stores/{store_hash}/…`, and `/__sandbox/*` (requests,
    /// faults, reset-stats, state). Layers, outermost first: stats, faults, auth, rate limit.
    pub fn router(&self) -> Router {
        let a = self.app.clone();
        let v2 = "/stores/{store_hash}/v2";
        let v3 = "/stores/{store_hash}/v3";
        let api = Router::new()
            .route(
                &format!("{v2}/orders"),
                get(orders::list).post(orders::create),
            )
            .route(&format!("{v2}/orders/count"), get(orders::count))
            .route(
                &format!("{v2}/orders/{{order_id}}"),
                get(orders::get).put(orders::update),
            )
            .route(
                &format!("{v2}/orders/{{order_id}}/products"),
                get(orders::products),
            )
            .route(
                &format!("{v2}/orders/{{order_id}}/products/{{product_id}}"),
                get(orders::product),
            )
            .route(
                &format!("{v2}/orders/{{order_id}}/coupons"),
                get(orders::coupons),
            )
            .route(
                &format!("{v2}/orders/{{order_id}}/taxes"),
                get(orders::taxes),
            )
            .route(
                &format!("{v2}/orders/{{order_id}}/shipping_addresses"),
                get(orders::shipping_addresses),
            )
            .route(
                &format!("{v2}/orders/{{order_id}}/shippingaddresses"),
                get(orders::shipping_addresses),
            )
            .route(&format!("{v2}/orders/{{order_id}}/fees"), get(orders::fees))
            .route(
                &format!("{v2}/orders/{{order_id}}/shipments"),
                get(shipments::list).post(shipments::create),
            )
            .route(
                &format!("{v2}/orders/{{order_id}}/shipments/count"),
                get(shipments::count),
            )
            .route(
                &format!("{v2}/orders/{{order_id}}/shipments/{{shipment_id}}"),
                get(shipments::one),
            )
            .route(&format!("{v2}/order_statuses"), get(orders::statuses))
            .route(
                &format!("{v2}/order_statuses/{{status_id}}"),
                get(orders::one_status),
            )
            .route(
                &format!("{v3}/orders/{{order_id}}/transactions"),
                get(refunds::transactions),
            )
            .route(
                &format!("{v3}/orders/{{order_id}}/payment_actions/refund_quotes"),
                post(refunds::create_quote),
            )
            .route(
                &format!("{v3}/orders/{{order_id}}/payment_actions/refunds"),
                get(refunds::order_refunds).post(refunds::create_refund),
            )
            .route(
                &format!("{v3}/orders/payment_actions/refunds"),
                get(refunds::all_refunds),
            )
            .route(&format!("{v3}/customers"), get(customers::list))
            .route(
                &format!("{v3}/payments/access_tokens"),
                post(payments::create_token),
            )
            .route(&format!("{v3}/payments/methods"), get(payments::methods))
            .route(&format!("{v3}/catalog/variants"), get(inventory::variants))
            .route(
                &format!("{v3}/inventory/adjustments/absolute"),
                put(inventory::absolute),
            )
            .route(&format!("{v3}/inventory/items"), get(inventory::items))
            .route(&format!("{v3}/hooks"), get(hooks::list).post(hooks::create))
            .route(
                &format!("{v3}/hooks/{{hook_id}}"),
                get(hooks::get).put(hooks::update).delete(hooks::delete),
            )
            .fallback(|| async { wire::v3_error(404, "The requested resource was not found.") })
            .layer(axum::middleware::from_fn_with_state(
                a.clone(),
                ratelimit::middleware,
            ))
            .layer(axum::middleware::from_fn_with_state(
                a.clone(),
                ratelimit::auth,
            ))
            .with_state(a.clone());
        let state_route = Router::new()
            .route("/__sandbox/state", get(state_handler))
            .route("/__sandbox/credentials", get(credentials_handler))
            .with_state(self.clone());
        // The payments host (`https://payments.bigcommerce.com/stores/{store_hash}/payments`),
        // authenticated by a payment access token instead of X-Auth-Token.
        let payments_host = Router::new()
            .route("/stores/{store_hash}/payments", post(payments::process))
            .with_state(a.clone());
        api.merge(payments_host)
            .merge(bc_sandbox::introspect::router(
                a.stats.clone(),
                self.faults.clone(),
            ))
            .merge(state_route)
            .layer(bc_sandbox::faults::layer(self.faults.clone()))
            .layer(bc_sandbox::stats::layer(a.stats.clone()))
    }

    /// Request counts (per route template, status, 429s, faults).
    pub fn stats(&self) -> StatsSnapshot {
        self.app.stats.snapshot()
    }

    /// The fault injector (change the plan, read counts).
    pub fn faults(&self) -> &FaultInjector {
        &self.faults
    }

    /// Start a fresh rate-limit window.
    pub fn reset_rate_limit(&self) {
        self.app.limiter.reset();
    }

    /// Every order's current state, by id.
    pub fn orders(&self) -> Vec<OrderSummary> {
        self.app
            .shared
            .lock()
            .orders
            .values()
            .map(|o| OrderSummary {
                id: o.id,
                status_id: o.status_id,
                date_modified: o.date_modified,
                total_inc_tax: o.total_inc_tax(),
                refunded_amount: o.refunded_amount,
                items_shipped: o.items_shipped(),
            })
            .collect()
    }

    /// An order's status id.
    pub fn order_status(&self, id: u64) -> Option<u8> {
        self.app.shared.lock().orders.get(&id).map(|o| o.status_id)
    }

    /// An order as `GET /v2/orders/{id}` renders it (links on `https://api.bigcommerce.com`).
    pub fn order_json(&self, id: u64) -> Option<Value> {
        let store = self.app.shared.lock();
        store.orders.get(&id).map(|o| {
            orders::order_json(
                &store,
                o,
                "https://api.bigcommerce.com",
                &self.app.store_hash,
            )
        })
    }

    /// Everything about an order on the wire: the order, its products, shipping addresses,
    /// coupons, detailed taxes, transactions, shipments and refunds.
    pub fn order_bundle_json(&self, id: u64) -> Option<Value> {
        let store = self.app.shared.lock();
        let o = store.orders.get(&id)?;
        let base = "https://api.bigcommerce.com";
        Some(json!({
            "order": orders::order_json(&store, o, base, &self.app.store_hash),
            "products": o.products.iter().map(orders::product_json).collect::<Vec<_>>(),
            "shipping_addresses": o.shipping_addresses.iter().map(|a| orders::shipping_address_json(o, a, base, &self.app.store_hash)).collect::<Vec<_>>(),
            "coupons": o.coupons.iter().map(orders::coupon_json).collect::<Vec<_>>(),
            "taxes": orders::taxes_json(o, true),
            "transactions": o.transactions.iter().map(refunds::transaction_json).collect::<Vec<_>>(),
            "shipments": store.shipments.values().filter(|s| s.order_id == id).map(|s| shipments::shipment_json(&store, s)).collect::<Vec<_>>(),
            "refunds": store.refunds.values().filter(|r| r.order_id == id).map(refunds::refund_json).collect::<Vec<_>>(),
        }))
    }

    /// An order's shipments on the wire.
    pub fn shipments(&self, order_id: u64) -> Vec<Value> {
        let store = self.app.shared.lock();
        store
            .shipments
            .values()
            .filter(|s| s.order_id == order_id)
            .map(|s| shipments::shipment_json(&store, s))
            .collect()
    }

    /// Refunds of an order on the wire.
    pub fn refunds(&self, order_id: u64) -> Vec<Value> {
        self.app
            .shared
            .lock()
            .refunds
            .values()
            .filter(|r| r.order_id == order_id)
            .map(refunds::refund_json)
            .collect()
    }

    /// Stock on hand of a SKU over all locations.
    pub fn stock(&self, sku: &str) -> Option<i64> {
        let store = self.app.shared.lock();
        let v = store.variant_by_sku(sku)?;
        Some(store.stock(v.id))
    }

    /// Stock on hand of a SKU at a location.
    pub fn stock_at(&self, sku: &str, location_id: u64) -> Option<i64> {
        let store = self.app.shared.lock();
        let v = store.variant_by_sku(sku)?;
        Some(
            store
                .inventory
                .get(&(v.id, location_id))
                .copied()
                .unwrap_or(0),
        )
    }

    /// All SKUs of the catalog.
    pub fn skus(&self) -> Vec<String> {
        self.app
            .shared
            .lock()
            .variants
            .iter()
            .map(|v| v.sku.clone())
            .collect()
    }

    /// Webhook delivery attempts so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.app.shared.lock().deliveries.clone()
    }

    /// Wait (up to `max`) until no webhook delivery is in flight; true if none is.
    pub async fn settle_deliveries(&self, max: Duration) -> bool {
        let until = tokio::time::Instant::now() + max;
        while self.app.pending.load(Ordering::SeqCst) > 0 {
            if tokio::time::Instant::now() >= until {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Control panel: set an order's status (webhooks fire as for the API).
    pub fn set_order_status(&self, order_id: u64, status_id: u8) -> Result<(), SandboxError> {
        if status_id > 14 {
            return Err(SandboxError::Rejected(format!(
                "status {status_id} is not 0–14"
            )));
        }
        let events = orders::set_status(&mut self.app.shared.lock(), order_id, status_id)
            .ok_or(SandboxError::OrderNotFound(order_id))?;
        hooks::dispatch(&self.app, events);
        Ok(())
    }

    /// Control panel: refund `amount` of an order at order level (to its first payment
    /// provider, or "custom"). Returns the refund id.
    pub fn create_refund(
        &self,
        order_id: u64,
        amount: Decimal,
        reason: &str,
    ) -> Result<u64, SandboxError> {
        let events;
        let id;
        {
            let mut store = self.app.shared.lock();
            let order = store
                .orders
                .get(&order_id)
                .ok_or(SandboxError::OrderNotFound(order_id))?;
            let q = refunds::quote(order, &json!([{ "item_type": "ORDER", "item_id": order_id, "amount": amount.to_string(), "reason": reason }])).map_err(SandboxError::Rejected)?;
            let provider = order
                .transactions
                .iter()
                .find(|t| matches!(t.event.as_str(), "purchase" | "capture"))
                .map(|t| t.gateway.clone())
                .unwrap_or_else(|| "custom".into());
            let offline = provider == "custom";
            let now = store.now();
            let total = q.total;
            let (rid, change) = refunds::apply_refund(
                &mut store,
                order_id,
                q,
                vec![(provider, total, offline)],
                reason.to_string(),
                now,
            )
            .ok_or(SandboxError::OrderNotFound(order_id))?;
            id = rid;
            let mut ev = vec![state::Event {
                scope: "store/order/refund/created".into(),
                data: json!({ "type": "order", "id": order_id, "refund": { "refund_id": rid } }),
            }];
            if let Some((from, to)) = change {
                ev.push(state::Event { scope: "store/order/statusUpdated".into(), data: json!({ "type": "order", "id": order_id, "status": { "previous_status_id": from, "new_status_id": to } }) });
            }
            events = ev;
        }
        hooks::dispatch(&self.app, events);
        Ok(id)
    }

    /// Control panel: set the stock of a SKU at a location.
    pub fn set_stock(
        &self,
        sku: &str,
        location_id: u64,
        quantity: i64,
    ) -> Result<(), SandboxError> {
        let mut store = self.app.shared.lock();
        let v = store
            .variant_by_sku(sku)
            .ok_or_else(|| SandboxError::SkuNotFound(sku.to_string()))?
            .id;
        if !store.locations.iter().any(|l| l.id == location_id) {
            return Err(SandboxError::Rejected(format!(
                "location {location_id} does not exist"
            )));
        }
        store.inventory.insert((v, location_id), quantity);
        Ok(())
    }

    /// The `/__sandbox/state` document.
    pub fn state_json(&self) -> Value {
        let store = self.app.shared.lock();
        let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
        for o in store.orders.values() {
            *by_status.entry(o.status_id.to_string()).or_default() += 1;
        }
        let inventory: BTreeMap<String, i64> = store
            .variants
            .iter()
            .map(|v| (v.sku.clone(), store.stock(v.id)))
            .collect();
        json!({
            "platform": "bigcommerce",
            "store_hash": self.app.store_hash,
            "orders": store.orders.values().map(|o| json!({
                "id": o.id, "status_id": o.status_id, "date_modified": wire::rfc2822(o.date_modified),
                "total_inc_tax": wire::money(o.total_inc_tax()), "currency_code": o.currency_code,
                "items_total": o.items_total(), "items_shipped": o.items_shipped(), "refunded_amount": wire::money(o.refunded_amount),
            })).collect::<Vec<_>>(),
            "orders_by_status": by_status,
            "shipments": store.shipments.len(),
            "refunds": store.refunds.len(),
            "customers": store.customers.len(),
            "inventory": inventory,
            "inventory_transactions": store.inventory_transactions.len(),
            "hooks": store.hooks.values().map(|h| hooks::hook_json(h, &self.app.store_hash)).collect::<Vec<_>>(),
            "deliveries": store.deliveries.iter().map(|d| json!({ "hook_id": d.hook_id, "scope": d.scope, "status": d.status, "error": d.error })).collect::<Vec<_>>(),
            "rate_limit": { "quota": self.app.limiter.quota(), "window_ms": self.app.limiter.window_ms(), "requests_left": self.app.limiter.left() },
        })
    }
}

async fn state_handler(State(s): State<BigCommerceSandbox>) -> Response {
    Json(s.state_json()).into_response()
}

/// `GET /__sandbox/credentials`: the store hash and the API token this sandbox accepts (what a
/// merchant copies from the control panel), for `bcsync init --from-sandbox`. A sandbox-only
/// route on a loopback server; the real API has nothing like it.
async fn credentials_handler(State(s): State<BigCommerceSandbox>) -> Response {
    Json(s.credentials_json()).into_response()
}

/// A customer of the sandbox store, for tests and demos (B2B company and customer group).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerSummary {
    /// Customer id.
    pub id: u64,
    /// First and last name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Company ("" for consumers).
    pub company: String,
    /// Customer group (0 retail, 1 wholesale/B2B, 2 VIP).
    pub customer_group_id: u32,
}

impl BigCommerceSandbox {
    /// The store's customers.
    pub fn customers(&self) -> Vec<CustomerSummary> {
        self.app
            .shared
            .lock()
            .customers
            .iter()
            .map(|c| CustomerSummary {
                id: c.id,
                name: format!("{} {}", c.first_name, c.last_name),
                email: c.email.clone(),
                company: c.company.clone(),
                customer_group_id: c.customer_group_id,
            })
            .collect()
    }

    /// The customer id of an order (0 for guests).
    pub fn order_customer(&self, order_id: u64) -> Option<u64> {
        self.app
            .shared
            .lock()
            .orders
            .get(&order_id)
            .map(|o| o.customer_id)
    }

    /// Successful payment transactions (`purchase`/`capture`) of an order: (amount, gateway
    /// transaction id).
    pub fn payments_of(&self, order_id: u64) -> Vec<(Decimal, String)> {
        self.app
            .shared
            .lock()
            .orders
            .get(&order_id)
            .map(|o| {
                o.transactions
                    .iter()
                    .filter(|t| matches!(t.event.as_str(), "purchase" | "capture"))
                    .map(|t| (t.amount, t.gateway_transaction_id.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Control panel: change an order's total by adding a custom line (an edit after
    /// invoicing, for tests of the portal's "changed" flag).
    pub fn add_custom_line(
        &self,
        order_id: u64,
        name: &str,
        price: Decimal,
    ) -> Result<(), SandboxError> {
        let mut store = self.app.shared.lock();
        let pid = store.next_id("order_product");
        let o = store
            .orders
            .get_mut(&order_id)
            .ok_or(SandboxError::OrderNotFound(order_id))?;
        let addr = o.products.first().map(|p| p.order_address_id).unwrap_or(0);
        o.products.push(state::OrderProduct {
            id: pid,
            order_id,
            product_id: 0,
            variant_id: 0,
            order_address_id: addr,
            name: name.to_string(),
            sku: String::new(),
            product_type: "physical".into(),
            brand: String::new(),
            tax_class_id: 0,
            price_ex_tax: price,
            price_tax: Decimal::ZERO,
            quantity: 1,
            total_ex_tax: price,
            total_tax: Decimal::ZERO,
            base_cost_price: Decimal::ZERO,
            weight: Decimal::ZERO,
            wrapping_name: None,
            wrapping_message: String::new(),
            wrapping_cost_ex_tax: Decimal::ZERO,
            wrapping_cost_tax: Decimal::ZERO,
            applied_discounts: Vec::new(),
            quantity_shipped: 0,
            quantity_refunded: 0,
        });
        store.touch(order_id);
        Ok(())
    }
}
