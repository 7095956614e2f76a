//! A Magento 2.4 / Adobe Commerce store that speaks Magento's admin REST API
//! (ARCHITECTURE.md §6), in memory.
//!
//! Built from the official contract (`shared/api/magento/admin-schema-2.4.9.yaml`, Apache-2.0)
//! and Adobe's REST guides (developer.adobe.com/commerce/webapi/rest/): paths under
//! `/rest/V1/…` and `/rest/{store_code}/V1/…`, async bulk under `/rest/async/bulk/V1/…`,
//! Bearer auth (admin tokens; integration tokens only when the store allows them as standalone
//! Bearer tokens), `searchCriteria` as Magento parses it, amounts as JSON numbers, dates
//! `Y-m-d H:i:s` in UTC, errors `{"message": "…%1…", "parameters": […]}`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bc_sandbox_magento::{MagentoConfig, MagentoSandbox};
//! let (sandbox, served) = MagentoSandbox::serve_seeded(MagentoConfig::default(), 0, 42, 200).await?;
//! println!("{} {}", served.base_url, sandbox.credentials_json());
//! # Ok(()) }
//! ```
//!
//! Files: [`orders`] (orders, comments, cancel/hold), [`documents`] (invoices, shipments,
//! credit memos), [`inventory`] (catalog, customers, source items, legacy stock, async bulk),
//! [`search`] (searchCriteria), [`auth`] (tokens and lockout), [`generator`], [`state`],
//! [`wire`].

#![recursion_limit = "512"]
// Handlers and their helpers return the platform's error response as `Err(Response)` (the axum
// idiom for early returns); the refund control takes the arguments of `POST …/refund`.
#![allow(clippy::result_large_err, clippy::too_many_arguments)]

pub mod auth;
pub mod documents;
pub mod generator;
pub mod inventory;
pub mod orders;
pub mod search;
pub mod state;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use bc_sandbox::faults::{FaultInjector, FaultPlan};
use bc_sandbox::stats::{RequestStats, StatsSnapshot};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

pub use state::Clock;

/// A store view: its code in `/rest/{store_code}/…`, its name and order currency.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreView {
    /// `store_id`.
    pub id: u32,
    /// Code.
    pub code: String,
    /// Name (`store_name` on orders).
    pub name: String,
    /// Order currency of the view.
    pub currency: String,
    /// Order-currency units per base-currency unit.
    pub rate: Decimal,
}

/// One order status: its code, label and the state it is assigned to (Stores > Settings >
/// Order Status), and whether it is that state's default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusConfig {
    /// Status code (`pending`).
    pub status: String,
    /// Label (`Pending`).
    pub label: String,
    /// State (`new`).
    pub state: String,
    /// Default status of its state.
    pub is_default: bool,
}

/// How to set up a sandbox store.
#[derive(Clone, Debug)]
pub struct MagentoConfig {
    /// The integration's access token.
    pub integration_token: SecretString,
    /// Stores > Configuration > Services > OAuth > Consumer Settings > "Allow OAuth Access
    /// Tokens to be used as standalone Bearer tokens" (default No, as in 2.4.4+).
    pub bearer_tokens_allowed: bool,
    /// Admin user name.
    pub admin_username: String,
    /// Admin password.
    pub admin_password: SecretString,
    /// Failed logins before lockout (default 6).
    pub max_login_failures: u32,
    /// Lockout length in seconds (default 1,800).
    pub lockout_seconds: i64,
    /// Largest `searchCriteria[pageSize]` (default 300).
    pub max_page_size: usize,
    /// Largest synchronous array (default 20, "Input List Limit").
    pub input_list_limit: usize,
    /// Largest async bulk request (operations, default 1,000).
    pub max_bulk_operations: usize,
    /// Status reads of a bulk before the consumer has processed it (default 2).
    pub bulk_reads_until_processed: u32,
    /// The website's base currency.
    pub base_currency: String,
    /// Store views.
    pub store_views: Vec<StoreView>,
    /// Order statuses and their states.
    pub statuses: Vec<StatusConfig>,
    /// Faults to inject.
    pub faults: FaultPlan,
    /// The clock.
    pub clock: Clock,
    /// Seed of the fixture (catalog, customers, stock).
    pub fixture_seed: u64,
    /// When generated orders start.
    pub orders_start: DateTime<Utc>,
    /// Salt of generated tokens and bulk uuids.
    pub token_salt: u64,
}

fn status(status: &str, label: &str, state: &str, is_default: bool) -> StatusConfig {
    StatusConfig {
        status: status.into(),
        label: label.into(),
        state: state.into(),
        is_default,
    }
}

/// Magento's default statuses (`sales_order_status_state`) plus two custom ones assigned to
/// `new` and `processing`, as merchants add for an ERP.
pub fn default_statuses() -> Vec<StatusConfig> {
    vec![
        status("pending", "Pending", "new", true),
        status("erp_hold", "Waiting for ERP", "new", false),
        status("processing", "Processing", "processing", true),
        status("erp_exported", "Exported to ERP", "processing", false),
        status("fraud", "Suspected Fraud", "processing", false),
        status("complete", "Complete", "complete", true),
        status("closed", "Closed", "closed", true),
        status("canceled", "Canceled", "canceled", true),
        status("holded", "On Hold", "holded", true),
        status(
            "pending_payment",
            "Pending Payment",
            "pending_payment",
            true,
        ),
        status("payment_review", "Payment Review", "payment_review", true),
    ]
}

impl Default for MagentoConfig {
    fn default() -> Self {
        MagentoConfig {
            integration_token: SecretString::from("sbxintegration0123456789abcdefgh"),
            bearer_tokens_allowed: false,
            admin_username: "bcsync".into(),
            admin_password: SecretString::from("Sandbox-Admin-123"),
            max_login_failures: 6,
            lockout_seconds: 1800,
            max_page_size: 300,
            input_list_limit: 20,
            max_bulk_operations: 1000,
            bulk_reads_until_processed: 2,
            base_currency: "USD".into(),
            store_views: vec![
                StoreView {
                    id: 1,
                    code: "default".into(),
                    name: "Main Website\nMain Website Store\nDefault Store View".into(),
                    currency: "USD".into(),
                    rate: Decimal::ONE,
                },
                StoreView {
                    id: 2,
                    code: "eu_de".into(),
                    name: "Main Website\nEU Store\nDeutsch".into(),
                    currency: "EUR".into(),
                    rate: Decimal::new(9200, 4),
                },
                StoreView {
                    id: 3,
                    code: "uk_en".into(),
                    name: "Main Website\nUK Store\nEnglish".into(),
                    currency: "GBP".into(),
                    rate: Decimal::new(7900, 4),
                },
            ],
            statuses: default_statuses(),
            faults: FaultPlan::none(),
            clock: Clock::System,
            fixture_seed: 7,
            orders_start: generator::default_start(),
            token_salt: 0x5eed_5eed,
        }
    }
}

impl MagentoConfig {
    /// The state a status is assigned to.
    pub fn state_of(&self, status: &str) -> Option<String> {
        self.statuses
            .iter()
            .find(|s| s.status == status)
            .map(|s| s.state.clone())
    }

    /// The default status of a state.
    pub fn default_status(&self, state: &str) -> String {
        self.statuses
            .iter()
            .find(|s| s.state == state && s.is_default)
            .map(|s| s.status.clone())
            .unwrap_or_else(|| state.to_string())
    }

    /// The `store_name` of a store view.
    pub fn store_name(&self, id: u32) -> String {
        self.store_views
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }
}

/// Magento's increment ids: nine digits, prefixed by the store id above 1 (`000000042`,
/// `200000042`).
pub fn increment_id(store_id: u32, n: u64) -> String {
    if store_id <= 1 {
        format!("{n:09}")
    } else {
        format!("{store_id}{n:08}")
    }
}

/// Handler state.
#[derive(Clone)]
pub struct App {
    shared: state::Shared,
    config: Arc<MagentoConfig>,
}

impl App {
    /// Checks the store code of the path and the Bearer token's access to `resource`.
    pub fn guard(
        &self,
        headers: &HeaderMap,
        params: &BTreeMap<String, String>,
        resource: &str,
    ) -> Result<(), Response> {
        if let Some(code) = params.get("store_code") {
            if code != "all" && !self.config.store_views.iter().any(|s| &s.code == code) {
                return Err(wire::error(
                    400,
                    "The store that was requested wasn't found. Verify the store and try again.",
                    &[],
                ));
            }
        }
        auth::check(self, headers, resource)
    }
}

/// Errors of the sandbox's own (control-panel) actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SandboxError {
    /// No such order.
    OrderNotFound(u64),
    /// Refused, with Magento's message.
    Rejected(String),
}

impl std::fmt::Display for SandboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SandboxError::OrderNotFound(id) => write!(f, "order {id} not found in the sandbox"),
            SandboxError::Rejected(r) => write!(f, "rejected: {r}"),
        }
    }
}

impl std::error::Error for SandboxError {}

/// One order's state, for tests and reconciliation.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderSummary {
    /// `entity_id`.
    pub id: u64,
    /// `increment_id`.
    pub increment_id: String,
    /// State.
    pub state: String,
    /// Status.
    pub status: String,
    /// Updated.
    pub updated_at: DateTime<Utc>,
    /// Order currency.
    pub currency: String,
    /// Total the shopper owes before gift cards and store credit (order currency).
    pub total_inc_tax: Decimal,
    /// `grand_total`.
    pub grand_total: Decimal,
    /// Refunded so far.
    pub refunded: Decimal,
    /// `ext_order_id`.
    pub ext_order_id: Option<String>,
}

fn body_json_of(resp: Response) -> String {
    format!("HTTP {}", resp.status())
}

/// A Magento store in memory. Cheap to clone (shared state).
#[derive(Clone)]
pub struct MagentoSandbox {
    app: App,
    stats: RequestStats,
    faults: FaultInjector,
}

impl std::fmt::Debug for MagentoSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MagentoSandbox").finish_non_exhaustive()
    }
}

impl MagentoSandbox {
    /// A store with its fixture (catalog, customers, stock) and no orders.
    pub fn new(config: MagentoConfig) -> Self {
        let mut store = state::Store::new(config.clock.clone());
        generator::fixture(&mut store, config.fixture_seed);
        let faults = FaultInjector::new(config.faults.clone(), Arc::new(wire::server_error));
        MagentoSandbox {
            app: App {
                shared: state::Shared::new(store),
                config: Arc::new(config),
            },
            stats: RequestStats::default(),
            faults,
        }
    }

    /// New store, `orders` generated from `seed`, served on `127.0.0.1:port` (0 = any).
    pub async fn serve_seeded(
        config: MagentoConfig,
        port: u16,
        seed: u64,
        orders: u64,
    ) -> std::io::Result<(Self, bc_sandbox::serve::Served)> {
        let sandbox = Self::new(config);
        sandbox.seed_orders(orders, seed);
        let served = sandbox.serve(port).await?;
        Ok((sandbox, served))
    }

    /// Serves the router on `127.0.0.1:port` (0 = any free port).
    pub async fn serve(&self, port: u16) -> std::io::Result<bc_sandbox::serve::Served> {
        bc_sandbox::serve::serve(self.router(), port).await
    }

    /// Generates `n` more orders from `seed`; returns their ids.
    pub fn seed_orders(&self, n: u64, seed: u64) -> Vec<u64> {
        let start = self.app.config.orders_start;
        let mut store = self.app.shared.lock();
        (0..n)
            .map(|_| generator::generate_order(&self.app, &mut store, seed, start))
            .collect()
    }

    /// What a client needs: `base_url`-relative credentials in Magento's own words.
    pub fn credentials_json(&self) -> Value {
        let c = &self.app.config;
        json!({
            "store_code": "default",
            "admin_username": c.admin_username,
            "admin_password": c.admin_password.expose_secret(),
            "integration_access_token": c.integration_token.expose_secret(),
            "bearer_tokens_allowed": c.bearer_tokens_allowed,
            "statuses": c.statuses.iter().map(|s| json!({"status": s.status, "label": s.label, "state": s.state, "is_default": s.is_default})).collect::<Vec<_>>(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &MagentoConfig {
        &self.app.config
    }

    /// The router: admin REST under `/rest/V1`, `/rest/{store_code}/V1`, async bulk under
    /// `/rest/async/bulk/V1` and `/rest/{store_code}/async/bulk/V1`, and `/__sandbox/*`.
    /// Layers, outermost first: stats, faults, handlers (each checks auth).
    pub fn router(&self) -> Router {
        let v1 = Router::new()
            .route("/V1/integration/admin/token", post(auth::admin_token))
            .route("/V1/orders", get(orders::list))
            .route("/V1/orders/create", put(orders::create))
            .route("/V1/orders/{id}", get(orders::get))
            .route(
                "/V1/orders/{id}/comments",
                get(orders::comments).post(orders::add_comment),
            )
            .route("/V1/orders/{id}/cancel", post(orders::cancel))
            .route("/V1/orders/{id}/hold", post(orders::hold))
            .route("/V1/orders/{id}/unhold", post(orders::unhold))
            .route("/V1/order/{orderId}/invoice", post(documents::post_invoice))
            .route("/V1/order/{orderId}/ship", post(documents::post_ship))
            .route("/V1/order/{orderId}/refund", post(documents::post_refund))
            .route("/V1/invoices", get(documents::list_invoices))
            .route("/V1/shipments", get(documents::list_shipments))
            .route("/V1/shipment/{id}", get(documents::get_shipment))
            .route("/V1/creditmemos", get(documents::list_memos))
            .route("/V1/customers/search", get(inventory::customers))
            .route("/V1/products", get(inventory::products))
            .route(
                "/V1/inventory/source-items",
                get(inventory::list_source_items).post(inventory::post_source_items),
            )
            .route("/V1/stockItems/{productSku}", get(inventory::stock_item))
            .route(
                "/V1/products/{productSku}/stockItems/{itemId}",
                put(inventory::put_stock_item),
            )
            .route("/V1/bulk/{bulkUuid}/status", get(inventory::bulk_status))
            .route(
                "/async/bulk/V1/inventory/source-items",
                post(inventory::bulk_source_items),
            );
        let inner = Router::new()
            .nest("/rest", v1.clone())
            .nest("/rest/{store_code}", v1)
            .fallback(|| async { wire::no_route() })
            .with_state(self.app.clone());
        // Magento's REST router ignores a trailing slash (`/V1/products/`, which PyMagento
        // sends): retry an unmatched path without it.
        let retry = inner.clone();
        let api = inner.fallback(move |req: axum::extract::Request| {
            let retry = retry.clone();
            async move { trim_and_retry(retry, req).await }
        });
        let state_route = Router::new()
            .route("/__sandbox/state", get(state_handler))
            .with_state(self.clone());
        api.merge(bc_sandbox::introspect::router(
            self.stats.clone(),
            self.faults.clone(),
        ))
        .merge(state_route)
        .layer(bc_sandbox::faults::layer(self.faults.clone()))
        .layer(bc_sandbox::stats::layer(self.stats.clone()))
    }

    /// Request counts (per route template, status, faults).
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Zero the request counts.
    pub fn reset_stats(&self) {
        self.stats.reset();
        self.faults.reset_counts();
    }

    /// The fault injector.
    pub fn faults(&self) -> &FaultInjector {
        &self.faults
    }

    /// Replaces the fault plan (restarts the fault stream from its seed).
    pub fn set_fault_plan(&self, plan: FaultPlan) {
        self.faults.set_plan(plan);
    }

    /// Every order's state.
    pub fn orders(&self) -> Vec<OrderSummary> {
        let store = self.app.shared.lock();
        store
            .orders
            .values()
            .map(|o| OrderSummary {
                id: o.entity_id,
                increment_id: o.increment_id.clone(),
                state: o.state.clone(),
                status: o.status.clone(),
                updated_at: o.updated_at,
                currency: o.order_currency.clone(),
                total_inc_tax: o.grand_total() + o.gift_cards_amount() + o.customer_balance,
                grand_total: o.grand_total(),
                refunded: o.total_offline_refunded,
                ext_order_id: o.ext_order_id.clone(),
            })
            .collect()
    }

    /// One order as `GET /V1/orders/{id}` renders it.
    pub fn order_json(&self, id: u64) -> Option<Value> {
        let store = self.app.shared.lock();
        store
            .orders
            .get(&id)
            .map(|o| orders::order_json(o, &self.app.config.store_name(o.store_id)))
    }

    /// An order's shipments as `GET /V1/shipments` renders them.
    pub fn shipments(&self, order_id: u64) -> Vec<Value> {
        let store = self.app.shared.lock();
        store
            .shipments
            .values()
            .filter(|s| s.order_id == order_id)
            .map(|s| documents::shipment_json(s, &store))
            .collect()
    }

    /// An order's credit memos.
    pub fn creditmemos(&self, order_id: u64) -> Vec<Value> {
        let store = self.app.shared.lock();
        store
            .creditmemos
            .values()
            .filter(|m| m.order_id == order_id)
            .map(|m| documents::memo_json(m, &store))
            .collect()
    }

    /// The quantity of a SKU at a source.
    pub fn source_quantity(&self, sku: &str, source: &str) -> Option<Decimal> {
        self.app
            .shared
            .lock()
            .source_items
            .get(&(sku.to_string(), source.to_string()))
            .map(|v| v.0)
    }

    /// Every SKU of the catalog.
    pub fn skus(&self) -> Vec<String> {
        self.app.shared.lock().products.keys().cloned().collect()
    }

    /// Control panel: adds simple products (e.g. a large catalogue for a bulk push).
    pub fn add_products(&self, skus: &[String], price: Decimal) {
        let mut store = self.app.shared.lock();
        let now = store.now();
        for sku in skus {
            if store.products.contains_key(sku) {
                continue;
            }
            let id = store.next_id("product");
            store.products.insert(
                sku.clone(),
                state::Product {
                    id,
                    sku: sku.clone(),
                    name: format!("Product {sku}"),
                    price,
                    tax_class_id: 2,
                    created_at: now,
                },
            );
        }
    }

    /// Control panel: adds a comment (the order's `updated_at` moves to now).
    pub fn add_comment(&self, order_id: u64, comment: &str) -> Result<(), SandboxError> {
        let mut store = self.app.shared.lock();
        let now = store.now();
        let hid = store.next_id("history");
        let o = store
            .orders
            .get_mut(&order_id)
            .ok_or(SandboxError::OrderNotFound(order_id))?;
        o.histories.push(state::History {
            entity_id: hid,
            comment: comment.into(),
            status: o.status.clone(),
            created_at: now,
            is_customer_notified: false,
            is_visible_on_front: false,
            entity_name: "order".into(),
        });
        o.updated_at = now;
        Ok(())
    }

    /// Control panel: cancels an order (as `POST /V1/orders/{id}/cancel`).
    pub fn cancel_order(&self, order_id: u64) -> Result<(), SandboxError> {
        let mut store = self.app.shared.lock();
        let o = store
            .orders
            .get_mut(&order_id)
            .ok_or(SandboxError::OrderNotFound(order_id))?;
        if !orders::can_cancel(o) {
            return Err(SandboxError::Rejected(format!(
                "order {order_id} cannot be canceled in state {}",
                o.state
            )));
        }
        for i in &mut o.items {
            i.qty_canceled = i.qty_ordered - i.qty_invoiced;
        }
        orders::set_state(&self.app, &mut store, order_id, "canceled");
        Ok(())
    }

    /// Control panel: an offline refund of the whole order (a credit memo).
    pub fn refund_order(&self, order_id: u64) -> Result<u64, SandboxError> {
        let mut store = self.app.shared.lock();
        documents::refund(
            &self.app,
            &mut store,
            order_id,
            &[],
            None,
            (Decimal::ZERO, Decimal::ZERO),
            &[],
            Some("Refunded from the control panel".into()),
        )
        .map_err(|r| SandboxError::Rejected(body_json_of(r)))
    }

    /// Control panel: invoices the whole order.
    pub fn invoice_order(&self, order_id: u64) -> Result<u64, SandboxError> {
        let mut store = self.app.shared.lock();
        documents::invoice(&self.app, &mut store, order_id, &[])
            .map_err(|r| SandboxError::Rejected(body_json_of(r)))
    }

    /// Test hook: order `order_id` renders as `raw` from now on (a malformed payload).
    pub fn corrupt_order(&self, order_id: u64, raw: Value) -> Result<(), SandboxError> {
        let mut store = self.app.shared.lock();
        let o = store
            .orders
            .get_mut(&order_id)
            .ok_or(SandboxError::OrderNotFound(order_id))?;
        o.raw_override = Some(raw);
        Ok(())
    }

    /// The `/__sandbox/state` document.
    pub fn state_json(&self) -> Value {
        let store = self.app.shared.lock();
        let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
        for o in store.orders.values() {
            *by_status.entry(o.status.clone()).or_default() += 1;
        }
        json!({
            "platform": "magento",
            "orders": store.orders.values().map(|o| json!({
                "entity_id": o.entity_id, "increment_id": o.increment_id, "state": o.state, "status": o.status,
                "updated_at": wire::date(o.updated_at), "order_currency_code": o.order_currency,
                "grand_total": wire::num(o.grand_total()), "total_refunded": wire::num(o.total_offline_refunded),
                "ext_order_id": o.ext_order_id,
            })).collect::<Vec<_>>(),
            "orders_by_status": by_status,
            "invoices": store.invoices.len(),
            "shipments": store.shipments.len(),
            "creditmemos": store.creditmemos.len(),
            "customers": store.customers.len(),
            "products": store.products.len(),
            "source_items": store.source_items.len(),
            "bulks": store.bulks.values().map(|b| json!({"bulk_uuid": b.uuid, "operations": b.operations.len(), "open": b.operations.iter().filter(|o| o.status == 4).count(), "failed": b.operations.iter().filter(|o| matches!(o.status, 2 | 3 | 5)).count()})).collect::<Vec<_>>(),
        })
    }
}

async fn trim_and_retry(router: Router, req: axum::extract::Request) -> Response {
    use tower::ServiceExt;
    let path = req.uri().path();
    if path.len() <= 1 || !path.ends_with('/') {
        return wire::no_route();
    }
    let trimmed = path.trim_end_matches('/').to_string();
    let uri = match req.uri().query() {
        Some(q) => format!("{trimmed}?{q}"),
        None => trimmed,
    };
    let (mut parts, body) = req.into_parts();
    match uri.parse() {
        Ok(u) => parts.uri = u,
        Err(_) => return wire::no_route(),
    }
    match router
        .oneshot(axum::extract::Request::from_parts(parts, body))
        .await
    {
        Ok(r) => r,
        Err(e) => match e {},
    }
}

async fn state_handler(State(s): State<MagentoSandbox>) -> Response {
    Json(s.state_json()).into_response()
}
