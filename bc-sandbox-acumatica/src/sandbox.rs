//! [`AcumaticaSandbox`]: builds the instance, the router (API + `/__sandbox/*`, with the kit's
//! fault and statistics layers), the ERP user's actions and the read-outs tests and the demo's
//! reconciliation use.
//!
//! `/__sandbox/*` routes (besides the kit's `requests`, `faults`, `reset-stats`):
//! - `GET  /__sandbox/state`: counts per entity, sessions, limits, pending operations;
//! - `GET  /__sandbox/acumatica/documents?entity=SalesOrder`: every stored record of an entity;
//! - `GET  /__sandbox/acumatica/erp-orders`: ERP-originated orders with `ExternalRef`;
//! - `GET  /__sandbox/acumatica/totals`: storefront documents' totals per currency;
//! - `GET  /__sandbox/acumatica/duplicates`: import ids on more than one record of a kind;
//! - `POST /__sandbox/acumatica/erp/orders` ([`ErpOrder`]), `…/erp/payments`
//!   `{"order_type","order_nbr","amount"?}`, `…/erp/shipments`
//!   `{"order_type","order_nbr","tracking"?,"confirm"}`, `…/erp/invoices`
//!   `{"order_type","order_nbr"}`;
//! - `POST /__sandbox/acumatica/limits` `{"requests_per_minute","max_concurrent","max_api_sessions"}`;
//! - `POST /__sandbox/acumatica/action-polls` `{"polls"}` (`4294967295` = actions hang).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bc_sandbox::faults::{FaultInjector, FaultPlan};
use bc_sandbox::serve::Served;
use bc_sandbox::stats::RequestStats;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::actions::Operations;
use crate::auth::Sessions;
use crate::erp::{self, ErpOrder};
use crate::errors::AcuError;
use crate::routes::{api_router, Shared};
use crate::schema::Kind;
use crate::store::Store;
use crate::throttle::Throttle;
use crate::values::{dec, details, text};
use crate::AcumaticaSandboxConfig;

/// One fake Acumatica instance (one tenant) with its API user and OAuth client.
#[derive(Clone)]
pub struct AcumaticaSandbox {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for AcumaticaSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcumaticaSandbox")
            .field("tenant", &self.shared.config.tenant)
            .finish_non_exhaustive()
    }
}

/// Totals of the documents made from storefront orders, per currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CurrencyTotals {
    /// Sales orders: (count, Σ OrderTotal).
    pub sales_orders: (usize, Decimal),
    /// Invoices: (count, Σ Amount).
    pub invoices: (usize, Decimal),
    /// Credit memos: (count, Σ Amount).
    pub credit_memos: (usize, Decimal),
    /// Payments: (count, Σ PaymentAmount).
    pub payments: (usize, Decimal),
}

/// An order entered in the ERP, as a reconciliation reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErpOrderView {
    /// Order type.
    pub order_type: String,
    /// Order number.
    pub order_nbr: String,
    /// Customer.
    pub customer_id: String,
    /// The customer's order number.
    pub customer_order: Option<String>,
    /// The storefront order number written back (E1 cross-reference).
    pub external_ref: Option<String>,
    /// Status.
    pub status: String,
    /// Ship via.
    pub ship_via: Option<String>,
    /// Order total.
    pub order_total: Decimal,
    /// Unpaid balance.
    pub unpaid_balance: Decimal,
}

/// Whether a record was made from a storefront order: `CustomerOrder` holds the import id and
/// `ExternalRef` repeats it (how `bc-connector-acumatica` marks what it posts).
pub fn from_storefront(row: &Value) -> bool {
    matches!((text(row, "CustomerOrder"), text(row, "ExternalRef")), (Some(a), Some(b)) if a == b)
}

impl AcumaticaSandbox {
    /// A seeded instance.
    pub fn new(config: AcumaticaSandboxConfig) -> Self {
        let mut store = Store::new(rand::Rng::gen(&mut bc_sandbox::rng::seeded(
            config.seed,
            "acumatica-ids",
        )));
        store.base_currency = config.base_currency.clone();
        store.currencies = std::iter::once(&config.base_currency)
            .chain(&config.currencies)
            .cloned()
            .collect();
        crate::seed::seed(&mut store, config.seed, config.erp_orders);
        let faults = FaultInjector::new(config.faults.clone(), Arc::new(crate::errors::injected));
        let shared = Shared {
            throttle: Throttle::new(config.requests_per_minute, config.max_concurrent),
            sessions: Mutex::new(Sessions::new(&config)),
            ops: Mutex::new(Operations::default()),
            stats: RequestStats::default(),
            action_polls: Mutex::new(config.action_polls),
            faults,
            store: Mutex::new(store),
            config,
        };
        AcumaticaSandbox {
            shared: Arc::new(shared),
        }
    }

    /// The whole app: API, sign-in, OAuth, `/__sandbox/*`; faults and statistics applied.
    pub fn router(&self) -> Router {
        let s = self.shared.clone();
        let own = Router::new()
            .route("/__sandbox/state", get(state_route))
            .route("/__sandbox/acumatica/documents", get(documents_route))
            .route("/__sandbox/acumatica/erp-orders", get(erp_orders_route))
            .route("/__sandbox/acumatica/totals", get(totals_route))
            .route("/__sandbox/acumatica/duplicates", get(duplicates_route))
            .route("/__sandbox/acumatica/erp/orders", post(erp_order_route))
            .route("/__sandbox/acumatica/erp/payments", post(erp_payment_route))
            .route(
                "/__sandbox/acumatica/erp/shipments",
                post(erp_shipment_route),
            )
            .route("/__sandbox/acumatica/erp/invoices", post(erp_invoice_route))
            .route("/__sandbox/acumatica/limits", post(limits_route))
            .route("/__sandbox/acumatica/action-polls", post(polls_route))
            .with_state(self.clone());
        api_router(s.clone())
            .merge(own)
            .merge(bc_sandbox::introspect::router(
                s.stats.clone(),
                s.faults.clone(),
            ))
            .layer(bc_sandbox::faults::layer(s.faults.clone()))
            .layer(bc_sandbox::stats::layer(s.stats.clone()))
    }

    /// Serves [`AcumaticaSandbox::router`] on `127.0.0.1:port` (0 = any free port).
    pub async fn serve(&self, port: u16) -> std::io::Result<Served> {
        bc_sandbox::serve::serve(self.router(), port).await
    }

    /// `{"tenant","username","password","client_id","client_secret","endpoint"}`: what a
    /// client needs to sign in.
    pub fn credentials_json(&self) -> Value {
        use secrecy::ExposeSecret;
        let c = &self.shared.config;
        json!({
            "tenant": c.tenant,
            "username": c.username,
            "password": c.password.expose_secret(),
            "client_id": c.client_id,
            "client_secret": c.client_secret.expose_secret(),
            "endpoint": crate::ENDPOINT,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AcumaticaSandboxConfig {
        &self.shared.config
    }

    /// Request statistics.
    pub fn stats(&self) -> RequestStats {
        self.shared.stats.clone()
    }

    /// The fault injector.
    pub fn faults(&self) -> FaultInjector {
        self.shared.faults.clone()
    }

    /// Replaces the fault plan.
    pub fn set_fault_plan(&self, plan: FaultPlan) {
        self.shared.faults.set_plan(plan);
    }

    /// Changes the license limits (0 = none).
    pub fn set_limits(&self, requests_per_minute: u32, max_concurrent: u32) {
        self.shared
            .throttle
            .set_limits(requests_per_minute, max_concurrent);
    }

    /// Changes the license's API session limit.
    pub fn set_max_api_sessions(&self, n: usize) {
        self.shared.sessions().max = n;
    }

    /// `(per minute, concurrent, peak concurrent requests seen)`.
    pub fn limits(&self) -> (u32, u32, u32) {
        self.shared.throttle.limits()
    }

    /// How many polls of an action answer 202 before it completes (`u32::MAX`: never).
    pub fn set_action_polls(&self, polls: u32) {
        *self
            .shared
            .action_polls
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = polls;
    }

    /// Sessions open now.
    pub fn open_sessions(&self) -> usize {
        self.shared.sessions().open()
    }

    /// `(sign-ins, sign-outs, sign-ins refused with "API Login Limit")`.
    pub fn session_counts(&self) -> (u64, u64, u64) {
        let s = self.shared.sessions();
        (s.sign_ins, s.sign_outs, s.login_limit_refusals)
    }

    /// Ends every session.
    pub fn end_all_sessions(&self) {
        self.shared.sessions().clear();
    }

    /// Long operations not completed.
    pub fn pending_operations(&self) -> usize {
        self.shared.ops().pending()
    }

    /// Every record of an entity.
    pub fn documents(&self, kind: Kind) -> Vec<Value> {
        self.shared.store().rows(kind).to_vec()
    }

    /// One record by key values.
    pub fn record(&self, kind: Kind, keys: &[&str]) -> Option<Value> {
        let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        self.shared.store().get(kind, &keys).cloned()
    }

    /// Orders and invoices/credit memos whose `CustomerOrder` is `import_id`, and payments
    /// whose `ExternalRef` starts with it.
    pub fn documents_by_customer_order(&self, import_id: &str) -> Vec<(Kind, Value)> {
        let store = self.shared.store();
        let mut out = Vec::new();
        for kind in [Kind::SalesOrder, Kind::SalesInvoice] {
            for r in store.rows(kind) {
                if text(r, "CustomerOrder").as_deref() == Some(import_id) {
                    out.push((kind, r.clone()));
                }
            }
        }
        for r in store.rows(Kind::Payment) {
            if text(r, "ExternalRef").is_some_and(|x| x.starts_with(import_id)) {
                out.push((Kind::Payment, r.clone()));
            }
        }
        out
    }

    /// Storefront documents' totals per currency.
    pub fn totals_by_currency(&self) -> BTreeMap<String, CurrencyTotals> {
        let store = self.shared.store();
        let mut out: BTreeMap<String, CurrencyTotals> = BTreeMap::new();
        for r in store
            .rows(Kind::SalesOrder)
            .iter()
            .filter(|r| from_storefront(r))
        {
            let t = out
                .entry(text(r, "CurrencyID").unwrap_or_default())
                .or_default();
            t.sales_orders.0 += 1;
            t.sales_orders.1 += dec(r, "OrderTotal").unwrap_or_default();
        }
        for r in store
            .rows(Kind::SalesInvoice)
            .iter()
            .filter(|r| text(r, "ExternalRef").is_some())
        {
            let t = out
                .entry(text(r, "Currency").unwrap_or_default())
                .or_default();
            let slot = if text(r, "Type").as_deref() == Some("Credit Memo") {
                &mut t.credit_memos
            } else if from_storefront(r) {
                &mut t.invoices
            } else {
                continue;
            };
            slot.0 += 1;
            slot.1 += dec(r, "Amount").unwrap_or_default();
        }
        for r in store
            .rows(Kind::Payment)
            .iter()
            .filter(|r| text(r, "ExternalRef").is_some())
        {
            let t = out
                .entry(text(r, "CurrencyID").unwrap_or_default())
                .or_default();
            t.payments.0 += 1;
            t.payments.1 += dec(r, "PaymentAmount").unwrap_or_default();
        }
        out
    }

    /// Orders entered in the ERP (not made from a storefront order), with their cross-reference.
    pub fn erp_orders(&self) -> Vec<ErpOrderView> {
        let store = self.shared.store();
        store
            .rows(Kind::SalesOrder)
            .iter()
            .filter(|r| !from_storefront(r))
            .map(|r| ErpOrderView {
                order_type: text(r, "OrderType").unwrap_or_default(),
                order_nbr: text(r, "OrderNbr").unwrap_or_default(),
                customer_id: text(r, "CustomerID").unwrap_or_default(),
                customer_order: text(r, "CustomerOrder"),
                external_ref: text(r, "ExternalRef"),
                status: text(r, "Status").unwrap_or_default(),
                ship_via: text(r, "ShipVia"),
                order_total: dec(r, "OrderTotal").unwrap_or_default(),
                unpaid_balance: r
                    .get("Totals")
                    .and_then(|t| dec(t, "UnpaidBalance"))
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Keys carried by more than one record of the same kind: storefront import ids on
    /// orders/invoices, receipt keys on payments, credit memo keys, journal keys. Empty when
    /// nothing was posted twice.
    pub fn duplicates(&self) -> BTreeMap<String, usize> {
        let store = self.shared.store();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for kind in [Kind::SalesOrder, Kind::SalesInvoice, Kind::Payment] {
            for r in store.rows(kind) {
                if let Some(x) = text(r, "ExternalRef") {
                    let ty = text(r, "Type").unwrap_or_default();
                    *counts
                        .entry(format!("{}:{ty}:{x}", kind.name()))
                        .or_default() += 1;
                }
            }
        }
        for r in store.rows(Kind::JournalTransaction) {
            if let Some(d) = text(r, "Description").and_then(|d| {
                d.strip_prefix('[')
                    .and_then(|d| d.split_once(']'))
                    .map(|x| x.0.to_string())
            }) {
                *counts.entry(format!("JournalTransaction:{d}")).or_default() += 1;
            }
        }
        counts.retain(|_, n| *n > 1);
        counts
    }

    /// Adds a stock item with a quantity in MAIN (to mirror a storefront's catalogue).
    pub fn add_stock_item(
        &self,
        inventory_id: &str,
        description: &str,
        price: Decimal,
        on_hand: Decimal,
    ) {
        crate::seed::add_stock_item(
            &mut self.shared.store(),
            inventory_id,
            description,
            price,
            on_hand,
        );
    }

    /// The administrator sets up a tax zone with its taxes (TX206000 / TX205000), as a
    /// merchant selling into that zone has: each `(TaxID, description, rate %)` is created
    /// (or updated) and the zone lists exactly these taxes as applicable.
    pub fn set_up_tax_zone(
        &self,
        zone: &str,
        taxes: &[(&str, &str, Decimal)],
    ) -> Result<(), AcuError> {
        let mut store = self.shared.store();
        for (id, description, rate) in taxes {
            crate::documents::put(
                &mut store,
                Kind::Tax,
                &json!({"TaxID": {"value": id}, "Description": {"value": description}, "TaxType": {"value": "Sales"}, "CalculateOn": {"value": format!("{rate}% of the taxable amount")}}),
                crate::documents::PutMode::Upsert,
            )?;
        }
        let applicable: Vec<Value> = taxes
            .iter()
            .map(|t| json!({"TaxID": {"value": t.0}}))
            .collect();
        crate::documents::put(
            &mut store,
            Kind::TaxZone,
            &json!({"TaxZoneID": {"value": zone}, "Description": {"value": format!("Tax zone {zone}")}, "ApplicableTaxes": applicable}),
            crate::documents::PutMode::Upsert,
        )?;
        Ok(())
    }

    /// The administrator activates a currency (CM202000).
    pub fn add_currency(&self, code: &str) {
        self.shared.store().currencies.insert(code.to_string());
    }

    /// The ERP user enters a sales order; returns it.
    pub fn create_erp_order(&self, order: &ErpOrder) -> Result<Value, AcuError> {
        erp::create_order(&mut self.shared.store(), order)
    }

    /// The ERP user records a payment on an order (default: its unpaid balance) and releases it.
    pub fn record_payment(
        &self,
        order_type: &str,
        order_nbr: &str,
        amount: Option<Decimal>,
    ) -> Result<Value, AcuError> {
        erp::record_payment(
            &mut self.shared.store(),
            order_type,
            order_nbr,
            None,
            amount,
        )
    }

    /// The ERP user creates the order's shipment with a tracking number and confirms it.
    pub fn ship_order(
        &self,
        order_type: &str,
        order_nbr: &str,
        tracking: Option<&str>,
        confirm: bool,
    ) -> Result<Value, AcuError> {
        erp::ship_order(
            &mut self.shared.store(),
            order_type,
            order_nbr,
            tracking,
            confirm,
        )
    }

    /// The ERP user prepares the invoice of a shipped order and releases it.
    pub fn invoice_order(&self, order_type: &str, order_nbr: &str) -> Result<Value, AcuError> {
        erp::invoice_order(&mut self.shared.store(), order_type, order_nbr)
    }

    /// Quantity on hand of an item in a warehouse.
    pub fn on_hand(&self, inventory_id: &str, warehouse: &str) -> Decimal {
        self.shared
            .store()
            .on_hand
            .get(&(inventory_id.to_string(), warehouse.to_string()))
            .copied()
            .unwrap_or_default()
    }

    /// Moves the record clock forward.
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.shared.store().advance(by);
    }
}

fn result(r: Result<Value, AcuError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn state_route(State(sb): State<AcumaticaSandbox>) -> Json<Value> {
    let counts: BTreeMap<&str, usize> = {
        let store = sb.shared.store();
        Kind::ALL
            .into_iter()
            .map(|k| (k.name(), store.rows(k).len()))
            .collect()
    };
    let (per_minute, concurrent, peak) = sb.limits();
    let (ins, outs, refused) = sb.session_counts();
    Json(json!({
        "tenant": sb.shared.config.tenant,
        "counts": counts,
        "sessions": {"open": sb.open_sessions(), "sign_ins": ins, "sign_outs": outs, "login_limit_refusals": refused},
        "limits": {"requests_per_minute": per_minute, "max_concurrent": concurrent, "peak_concurrent": peak},
        "pending_operations": sb.pending_operations(),
    }))
}

#[derive(Deserialize)]
struct EntityParam {
    entity: String,
}

async fn documents_route(
    State(sb): State<AcumaticaSandbox>,
    Query(p): Query<EntityParam>,
) -> Response {
    match Kind::parse(&p.entity) {
        Some(k) => Json(json!({ k.name(): sb.documents(k) })).into_response(),
        None => AcuError::bad_request(format!("unknown entity {}", p.entity)).into_response(),
    }
}

async fn erp_orders_route(State(sb): State<AcumaticaSandbox>) -> Json<Value> {
    Json(json!({ "orders": sb.erp_orders() }))
}

async fn totals_route(State(sb): State<AcumaticaSandbox>) -> Json<Value> {
    Json(json!({ "by_currency": sb.totals_by_currency() }))
}

async fn duplicates_route(State(sb): State<AcumaticaSandbox>) -> Json<Value> {
    let d = sb.duplicates();
    Json(json!({ "duplicates": d, "extra_records": d.values().map(|n| n - 1).sum::<usize>() }))
}

async fn erp_order_route(State(sb): State<AcumaticaSandbox>, Json(o): Json<ErpOrder>) -> Response {
    result(sb.create_erp_order(&o))
}

#[derive(Deserialize)]
struct OrderAction {
    order_type: String,
    order_nbr: String,
    #[serde(default)]
    amount: Option<Decimal>,
    #[serde(default)]
    tracking: Option<String>,
    #[serde(default)]
    confirm: bool,
}

async fn erp_payment_route(
    State(sb): State<AcumaticaSandbox>,
    Json(a): Json<OrderAction>,
) -> Response {
    result(sb.record_payment(&a.order_type, &a.order_nbr, a.amount))
}

async fn erp_shipment_route(
    State(sb): State<AcumaticaSandbox>,
    Json(a): Json<OrderAction>,
) -> Response {
    result(sb.ship_order(
        &a.order_type,
        &a.order_nbr,
        a.tracking.as_deref(),
        a.confirm,
    ))
}

async fn erp_invoice_route(
    State(sb): State<AcumaticaSandbox>,
    Json(a): Json<OrderAction>,
) -> Response {
    result(sb.invoice_order(&a.order_type, &a.order_nbr))
}

async fn limits_route(State(sb): State<AcumaticaSandbox>, Json(b): Json<Value>) -> Json<Value> {
    let (pm, c, _) = sb.limits();
    let get = |k: &str, d: u32| {
        b.get(k)
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(d)
    };
    let (pm, c) = (get("requests_per_minute", pm), get("max_concurrent", c));
    sb.set_limits(pm, c);
    if let Some(n) = b.get("max_api_sessions").and_then(Value::as_u64) {
        sb.set_max_api_sessions(n as usize);
    }
    Json(json!({"requests_per_minute": pm, "max_concurrent": c}))
}

async fn polls_route(State(sb): State<AcumaticaSandbox>, Json(b): Json<Value>) -> StatusCode {
    let polls = b
        .get("polls")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(1);
    sb.set_action_polls(polls);
    StatusCode::NO_CONTENT
}

/// Lines of a shipment as `(InventoryID, ShippedQty)`, for tests.
pub fn shipment_lines(shipment: &Value) -> Vec<(String, Decimal)> {
    details(shipment, "Details")
        .iter()
        .map(|l| {
            (
                text(l, "InventoryID").unwrap_or_default(),
                dec(l, "ShippedQty").unwrap_or_default(),
            )
        })
        .collect()
}
