//! The platforms of `bcsync demo` beyond the original BigCommerce → embedded ERP / QuickBooks
//! pair: Business Central and Acumatica as ledgers, Magento as a storefront. Everything that
//! differs per platform is here, in one place, for the in-process run ([`super::cycle`]), the
//! `--kills` run and its workers ([`super::worker`]):
//!
//! - the sandbox: its configuration, its generated orders and the merchant's one-time setup
//!   in it (what an accountant configures in the ERP before the integration starts);
//! - the settings the demo runs with ([`settings_text`]): the `[storefront]` and `[ledger]`
//!   tables and every mapping that depends on the pair (tax zones, payment methods, accounts);
//! - the connector, built from those settings over a transport (the sandbox's router
//!   in-process, sockets in a worker);
//! - the read-outs the reconciliation uses: each sandbox's own state, never the engine's.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bc_connector_acumatica::{AcumaticaClient, AcumaticaConfig, AcumaticaLedger};
use bc_connector_bc365::Bc365Config;
use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
use bc_connector_magento::MagentoConfig;
use bc_core::money::round_dp;
use bc_core::{Currency, Ledger, Settings, Storefront};
use bc_http::{HttpTransport, RateLimits};
use bc_sandbox::faults::{FaultCounts, FaultPlan};
use bc_sandbox_acumatica::{AcumaticaSandbox, AcumaticaSandboxConfig, Kind};
use bc_sandbox_bc365::{Bc365Sandbox, Bc365SandboxConfig, Tracking, GB_COMPANY_ID};
use bc_sandbox_bigcommerce::{BigCommerceConfig as BigCommerceSandboxConfig, BigCommerceSandbox};
use bc_sandbox_magento::{MagentoConfig as MagentoSandboxConfig, MagentoSandbox};
use rust_decimal::Decimal;
use serde_json::Value;

use super::{fast_retry, DemoLedger, DemoStorefront, AWAITING_FULFILLMENT};

/// The Magento status orders are imported from.
pub const MAGENTO_IMPORTABLE: &str = "processing";
/// The BigCommerce tax rates the Business Central demo deliberately leaves out of `tax_map`:
/// its Japanese orders land in the exception queue as `unmapped tax zone`, and only those.
pub const BC365_UNMAPPED_ZONES: &[&str] = &["Consumption Tax", "Reduced Consumption Tax"];

fn injected(c: &FaultCounts) -> u64 {
    c.status + c.reset + c.commit_then_fail + c.commit_then_reset + c.hang
}

fn dec(v: Option<&Value>) -> Decimal {
    v.and_then(|x| x.to_string().trim_matches('"').parse().ok())
        .unwrap_or_default()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Acumatica's `{"value": …}` wrapper.
fn acu<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).and_then(|x| x.get("value"))
}

fn acu_str(v: &Value, key: &str) -> String {
    acu(v, key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// An importable storefront order, as the storefront's own state has it.
#[derive(Clone, Debug)]
pub struct Sale {
    /// What the shopper owed, tax included, before gift cards and store credit.
    pub total: Decimal,
    /// The order currency.
    pub currency: Currency,
}

/// A storefront sandbox of the demo.
#[derive(Clone)]
pub enum StoreSandbox {
    /// BigCommerce.
    BigCommerce(Arc<BigCommerceSandbox>),
    /// Magento.
    Magento(MagentoSandbox),
}

impl StoreSandbox {
    /// A seeded store with `orders` generated orders. BigCommerce counts `quota` per 30 s in
    /// 3 s windows (a 429 then asks for a wait of at most 3 s).
    pub fn new(kind: DemoStorefront, orders: u64, seed: u64, quota: u32) -> Self {
        match kind {
            DemoStorefront::Bigcommerce => {
                let sb = BigCommerceSandbox::new(BigCommerceSandboxConfig {
                    quota: quota.div_ceil(10).max(1),
                    window_ms: 3_000,
                    faults: FaultPlan::none(),
                    ..BigCommerceSandboxConfig::default()
                });
                sb.seed_orders(orders, seed);
                StoreSandbox::BigCommerce(Arc::new(sb))
            }
            DemoStorefront::Magento => {
                let sb = MagentoSandbox::new(MagentoSandboxConfig::default());
                sb.seed_orders(orders, seed);
                StoreSandbox::Magento(sb)
            }
        }
    }

    /// The platform's name.
    pub fn name(&self) -> &'static str {
        match self {
            StoreSandbox::BigCommerce(_) => "BigCommerce",
            StoreSandbox::Magento(_) => "Magento",
        }
    }

    /// The axum app of the sandbox.
    pub fn router(&self) -> axum::Router {
        match self {
            StoreSandbox::BigCommerce(s) => s.router(),
            StoreSandbox::Magento(s) => s.router(),
        }
    }

    /// Orders in an importable status, by id.
    pub fn importable(&self) -> BTreeMap<u64, Sale> {
        match self {
            StoreSandbox::BigCommerce(s) => s
                .orders()
                .into_iter()
                .filter(|o| o.status_id == AWAITING_FULFILLMENT)
                .map(|o| {
                    let currency = s
                        .order_json(o.id)
                        .and_then(|j| {
                            j.get("currency_code")
                                .and_then(Value::as_str)
                                .and_then(|c| Currency::new(c).ok())
                        })
                        .unwrap_or(Currency::USD);
                    (
                        o.id,
                        Sale {
                            total: o.total_inc_tax,
                            currency,
                        },
                    )
                })
                .collect(),
            StoreSandbox::Magento(s) => s
                .orders()
                .into_iter()
                .filter(|o| o.status == MAGENTO_IMPORTABLE && o.ext_order_id.is_none())
                .map(|o| {
                    (
                        o.id,
                        Sale {
                            total: o.total_inc_tax,
                            currency: Currency::new(&o.currency).unwrap_or(Currency::USD),
                        },
                    )
                })
                .collect(),
        }
    }

    /// Orders that left the importable status since the start (a progress measure).
    pub fn moved_on(&self, seen: &BTreeMap<u64, Sale>) -> usize {
        match self {
            StoreSandbox::BigCommerce(s) => s
                .orders()
                .iter()
                .filter(|o| seen.contains_key(&o.id) && o.status_id != AWAITING_FULFILLMENT)
                .count(),
            StoreSandbox::Magento(s) => s
                .orders()
                .iter()
                .filter(|o| seen.contains_key(&o.id) && o.status != MAGENTO_IMPORTABLE)
                .count(),
        }
    }

    /// Requests the sandbox served.
    pub fn requests(&self) -> u64 {
        match self {
            StoreSandbox::BigCommerce(s) => s.stats().total,
            StoreSandbox::Magento(s) => s.stats().total,
        }
    }

    /// Replaces the fault plan.
    pub fn set_fault_plan(&self, plan: FaultPlan) {
        match self {
            StoreSandbox::BigCommerce(s) => s.faults().set_plan(plan),
            StoreSandbox::Magento(s) => s.set_fault_plan(plan),
        }
    }

    /// Faults injected so far.
    pub fn faults(&self) -> u64 {
        match self {
            StoreSandbox::BigCommerce(s) => injected(&s.faults().counts()),
            StoreSandbox::Magento(s) => injected(&s.faults().counts()),
        }
    }

    /// The merchant refunds (part of) an order in the control panel; whether it worked.
    pub fn refund(&self, id: u64, total: Decimal) -> bool {
        match self {
            StoreSandbox::BigCommerce(s) => {
                let amount = round_dp(total / Decimal::from(4), 2);
                amount > Decimal::ZERO && s.create_refund(id, amount, "Damaged in transit").is_ok()
            }
            // An offline credit memo of the whole order (Magento's control panel).
            StoreSandbox::Magento(s) => s.refund_order(id).is_ok(),
        }
    }

    /// The ids of an order's refunds (BigCommerce refunds, Magento credit memos).
    pub fn refund_ids(&self, id: u64) -> Vec<String> {
        let rows = match self {
            StoreSandbox::BigCommerce(s) => s.refunds(id),
            StoreSandbox::Magento(s) => s.creditmemos(id),
        };
        let key = match self {
            StoreSandbox::BigCommerce(_) => "id",
            StoreSandbox::Magento(_) => "entity_id",
        };
        rows.iter()
            .filter_map(|r| {
                r.get(key)
                    .map(|v| v.to_string().trim_matches('"').to_string())
            })
            .collect()
    }

    /// Storefront payments of an order that the ledger receives as receipts (open-A/R methods
    /// excluded, as `payment_map` says).
    pub fn receipts_expected(&self, id: u64, settings: &Settings) -> usize {
        let open_ar = |method: &str| settings.payment_map.get(method).is_some_and(|m| m.open_ar);
        match self {
            StoreSandbox::BigCommerce(s) => {
                let method = s
                    .order_json(id)
                    .map(|o| str_of(&o, "payment_method").to_string())
                    .unwrap_or_default();
                if open_ar(&method) {
                    0
                } else {
                    super::reconcile::receipt_payments(s, id)
                }
            }
            StoreSandbox::Magento(s) => {
                let Some(o) = s.order_json(id) else { return 0 };
                let p = o.get("payment").cloned().unwrap_or(Value::Null);
                let method = str_of(&p, "method");
                let paid = dec(p.get("amount_paid")).max(dec(p.get("amount_authorized")));
                usize::from(!method.is_empty() && !open_ar(method) && paid > Decimal::ZERO)
            }
        }
    }

    /// Storefront shipments of an order carrying `tracking`.
    pub fn shipments_with(&self, id: u64, tracking: &str) -> usize {
        match self {
            StoreSandbox::BigCommerce(s) => super::reconcile::shipment_copies(s, id, tracking),
            StoreSandbox::Magento(s) => s
                .shipments(id)
                .iter()
                .filter(|x| {
                    x.get("tracks")
                        .and_then(Value::as_array)
                        .is_some_and(|t| t.iter().any(|t| str_of(t, "track_number") == tracking))
                })
                .count(),
        }
    }

    /// SKUs of the catalogue.
    pub fn skus(&self) -> Vec<String> {
        match self {
            StoreSandbox::BigCommerce(s) => s.skus(),
            StoreSandbox::Magento(s) => s.skus(),
        }
    }

    /// The `[storefront]` table and the storefront's statuses in `[orders]`, for a store
    /// served at `base_url`.
    pub fn settings(&self, base_url: &str, quota: u32) -> String {
        match self {
            StoreSandbox::BigCommerce(s) => {
                let c = s.credentials_json();
                format!(
                    "[storefront]\nplatform = \"bigcommerce\"\nstore_hash = \"{}\"\naccess_token = \"{}\"\nbase_url = \"{base_url}\"\nrequests_per_window = {quota}\n",
                    str_of(&c, "store_hash"),
                    str_of(&c, "access_token"),
                )
            }
            StoreSandbox::Magento(s) => {
                let c = s.credentials_json();
                let statuses: Vec<String> = c["statuses"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|x| {
                                format!(
                                    "{{ status = \"{}\", label = \"{}\", state = \"{}\" }}",
                                    str_of(x, "status"),
                                    str_of(x, "label"),
                                    str_of(x, "state")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                format!(
                    "[storefront]\nplatform = \"magento\"\nbase_url = \"{base_url}\"\nstore_code = \"all\"\nadmin_username = \"{}\"\nadmin_password = \"{}\"\nstatuses = [{}]\n",
                    str_of(&c, "admin_username"),
                    str_of(&c, "admin_password"),
                    statuses.join(", ")
                )
            }
        }
    }

    /// Sets the sandbox's faults plan and counts aside: nothing else.
    pub fn kind(&self) -> DemoStorefront {
        match self {
            StoreSandbox::BigCommerce(_) => DemoStorefront::Bigcommerce,
            StoreSandbox::Magento(_) => DemoStorefront::Magento,
        }
    }
}

/// The storefront connector of `settings` over `transport`, with the demo's fast retries.
pub async fn connect_storefront(
    settings: &Settings,
    transport: Arc<dyn HttpTransport>,
    seed: u64,
) -> Result<Arc<dyn Storefront>, String> {
    match settings.storefront.platform.as_str() {
        bc_connector_bigcommerce::PLATFORM => {
            let config =
                BigCommerceConfig::from_table(&settings.storefront).map_err(|e| e.to_string())?;
            let quota = settings
                .storefront
                .table
                .get("requests_per_window")
                .and_then(|v| v.as_integer())
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(150);
            let config = config
                .with_limits(
                    RateLimits::new(quota.div_ceil(10).max(1), Duration::from_secs(3))
                        .with_max_in_flight(16),
                )
                .with_retry(fast_retry(seed));
            let sf = BigCommerce::with_transport(config, transport)
                .map_err(|e| format!("connect to the BigCommerce sandbox: {e}"))?;
            Ok(Arc::new(sf))
        }
        bc_connector_magento::PLATFORM => {
            let mut config =
                MagentoConfig::from_table(&settings.storefront).map_err(|e| e.to_string())?;
            // The sandbox store has no request limit of its own (Magento has none either; a
            // real store's web servers set one): keep the connector's default shape, faster.
            config.limits = RateLimits::new(400, Duration::from_secs(1)).with_max_in_flight(8);
            config.retry = fast_retry(seed);
            let sf = bc_connector_magento::connect(&config, Some(transport))
                .await
                .map_err(|e| format!("connect to the Magento sandbox: {e}"))?;
            Ok(Arc::new(sf))
        }
        other => Err(format!(
            "storefront.platform = \"{other}\": the demo speaks to bigcommerce or magento"
        )),
    }
}

/// A ledger sandbox of the demo (the two that are not the original pair).
#[derive(Clone)]
pub enum BooksSandbox {
    /// Business Central: the GB VAT company.
    Bc365(Bc365Sandbox),
    /// Acumatica.
    Acumatica(AcumaticaSandbox),
}

/// The Business Central company the demo posts into (CRONUS UK Ltd., a VAT company).
pub const BC365_COMPANY: &str = GB_COMPANY_ID;

impl BooksSandbox {
    /// A seeded sandbox with the merchant's setup for the demo's store (`None` for the
    /// ledgers of the original demo).
    pub fn new(ledger: DemoLedger, seed: u64) -> Result<Option<Self>, String> {
        Ok(match ledger {
            DemoLedger::Bc365 => {
                let sb = Bc365Sandbox::new(Bc365SandboxConfig {
                    seed,
                    ..Bc365SandboxConfig::default()
                });
                // The accountant's VAT setup for the zones the store sells into: one VAT
                // business posting group per destination (OSS-style destination rates), the
                // storefront's rates as VAT posting setups, zero-rated goods everywhere.
                let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
                for (area, group, pct) in [
                    ("US-TX", "STANDARD", "8.25"),
                    ("US-TX", "ZERO", "0"),
                    ("US-CA", "STANDARD", "8.5"),
                    ("US-CA", "ZERO", "0"),
                    ("CA-ON", "STANDARD", "13"),
                    ("CA-ON", "ZERO", "0"),
                    ("EU-DE", "STANDARD", "19"),
                    ("EU-DE", "REDUCED", "7"),
                    ("EU-DE", "ZERO", "0"),
                    ("EU-FR", "STANDARD", "20"),
                    ("EU-FR", "REDUCED", "5.5"),
                    ("EU-FR", "ZERO", "0"),
                ] {
                    sb.set_up_tax(BC365_COMPANY, area, group, d(pct))
                        .map_err(|e| format!("set up the Business Central sandbox: {e:?}"))?;
                }
                for (code, rate) in [("CAD", "0.58"), ("JPY", "0.0053")] {
                    sb.add_currency(BC365_COMPANY, code, d(rate))
                        .map_err(|e| format!("set up the Business Central sandbox: {e:?}"))?;
                }
                Some(BooksSandbox::Bc365(sb))
            }
            DemoLedger::Acumatica => {
                let mut config = AcumaticaSandboxConfig::seeded(seed, 0.0, 0);
                // A worker killed mid-session never signs out; the licence's session limit
                // (2 on a trial) would then lock the next one out for 20 minutes.
                config.max_api_sessions = 4;
                let sb = AcumaticaSandbox::new(config);
                let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
                type Zone<'a> = (&'a str, Vec<(&'a str, &'a str, &'a str)>);
                let zones: [Zone; 7] = [
                    (
                        "TX-AUS",
                        vec![("TXSTATE", "Texas", "6.25"), ("TXAUSTIN", "Austin", "2")],
                    ),
                    (
                        "CA-DIST",
                        vec![
                            ("CASTATE", "California", "7.25"),
                            ("CADIST", "California district", "1.25"),
                        ],
                    ),
                    ("ON", vec![("ONHST", "Ontario HST", "13")]),
                    (
                        "DE",
                        vec![("DEVAT19", "MwSt 19%", "19"), ("DEVAT7", "MwSt 7%", "7")],
                    ),
                    (
                        "FR",
                        vec![("FRVAT20", "TVA 20%", "20"), ("FRVAT55", "TVA 5.5%", "5.5")],
                    ),
                    (
                        "JP",
                        vec![
                            ("JPCT10", "Consumption tax", "10"),
                            ("JPCT8", "Reduced consumption tax", "8"),
                        ],
                    ),
                    ("GB", vec![("GBVAT20", "UK VAT", "20")]),
                ];
                for (zone, taxes) in zones {
                    let taxes: Vec<(&str, &str, Decimal)> =
                        taxes.iter().map(|(i, n, r)| (*i, *n, d(r))).collect();
                    sb.set_up_tax_zone(zone, &taxes)
                        .map_err(|e| format!("set up the Acumatica sandbox: {e:?}"))?;
                }
                sb.add_currency("JPY");
                Some(BooksSandbox::Acumatica(sb))
            }
            DemoLedger::Acctvantage | DemoLedger::Qbo => None,
        })
    }

    /// The platform's name.
    pub fn name(&self) -> &'static str {
        match self {
            BooksSandbox::Bc365(_) => "Business Central",
            BooksSandbox::Acumatica(_) => "Acumatica",
        }
    }

    /// The axum app of the sandbox.
    pub fn router(&self) -> axum::Router {
        match self {
            BooksSandbox::Bc365(s) => s.router(),
            BooksSandbox::Acumatica(s) => s.router(),
        }
    }

    /// Requests served.
    pub fn requests(&self) -> u64 {
        match self {
            BooksSandbox::Bc365(s) => s.stats().snapshot().total,
            BooksSandbox::Acumatica(s) => s.stats().snapshot().total,
        }
    }

    /// Replaces the fault plan.
    pub fn set_fault_plan(&self, plan: FaultPlan) {
        match self {
            BooksSandbox::Bc365(s) => s.set_fault_plan(plan),
            BooksSandbox::Acumatica(s) => s.set_fault_plan(plan),
        }
    }

    /// Faults injected so far.
    pub fn faults(&self) -> u64 {
        match self {
            BooksSandbox::Bc365(s) => injected(&s.faults().counts()),
            BooksSandbox::Acumatica(s) => injected(&s.faults().counts()),
        }
    }

    /// The `[ledger]` table and the ledger-side settings for a sandbox served at `base_url`,
    /// selling from `store`.
    pub fn settings(&self, base_url: &str, store: DemoStorefront) -> String {
        match self {
            BooksSandbox::Bc365(s) => {
                let c = s.credentials_json();
                format!(
                    r#"[ledger]
platform = "bc365"
tenant_id = "{tenant}"
environment = "{env}"
company_id = "{company}"
client_id = "{client}"
client_secret = "{secret}"
home_currency = "GBP"
currencies = ["EUR", "USD", "CAD", "JPY"]
base_url = "{base_url}"
login_url = "{base_url}"

[ledger.posting]
post_documents = true
default_tax_area = "EXPORT"
untaxed_tax_code = "ZERO"
rounding_account = "69100"
returns_account = "40500"
"#,
                    tenant = str_of(&c, "tenant_id"),
                    env = str_of(&c, "environment"),
                    company = BC365_COMPANY,
                    client = str_of(&c, "client_id"),
                    secret = str_of(&c, "client_secret"),
                )
            }
            BooksSandbox::Acumatica(s) => {
                let c = s.credentials_json();
                // ERP orders land in the storefront under the storefront's own shipping
                // methods, in a status the orders job does not import back (BigCommerce:
                // 9 "Awaiting Shipment", the status imported orders move to; Magento:
                // `processing` with the ERP number in `ext_order_id`).
                let (ground, express, created_status) = match store {
                    DemoStorefront::Bigcommerce => ("UPS Ground", "Flat Rate", "9"),
                    DemoStorefront::Magento => {
                        ("flatrate_flatrate", "flatrate_flatrate", MAGENTO_IMPORTABLE)
                    }
                };
                let get = |k: &str| {
                    c.get(k)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_default()
                };
                format!(
                    r#"[ledger]
platform = "acumatica"
base_url = "{base_url}"
tenant = "{tenant}"
username = "{user}"
password = "{password}"
requests_per_minute = 100000
max_concurrent = 8
action_timeout_secs = 20
order_type = "SO"
warehouse = "MAIN"
customer_class = "WEB"
currencies = ["EUR", "GBP", "CAD", "JPY"]

[ledger.tax_zones]
TXSTATE = "TX-AUS"
TXAUSTIN = "TX-AUS"
CASTATE = "CA-DIST"
CADIST = "CA-DIST"
ONHST = "ON"
DEVAT19 = "DE"
DEVAT7 = "DE"
FRVAT20 = "FR"
FRVAT55 = "FR"
JPCT10 = "JP"
JPCT8 = "JP"
GBVAT20 = "GB"
NYSTATE = "NY"
NYCITY = "NY"
EUVAT = "EU"

[ledger.ship_via_map]
UPSGROUND = "{ground}"
FEDEX2DAY = "{express}"

[ledger.erp_orders]
order_types = ["WO"]
customer_classes = ["WEB"]
flag_field = "UsrSyncToStore"
require_zero_balance = true
storefront_status = "{created_status}"
"#,
                    tenant = get("tenant"),
                    user = get("username"),
                    password = get("password"),
                )
            }
        }
    }

    /// The people in the ERP ship a posted order (Business Central: the warehouse posts a
    /// shipment with a package tracking number; Acumatica: a shipment is created, confirmed,
    /// and the invoice prepared and released). Whether it worked.
    pub fn ship(&self, doc: &Doc, tracking: &str) -> bool {
        match self {
            BooksSandbox::Bc365(s) => s
                .ship(
                    BC365_COMPANY,
                    &doc.key,
                    &Tracking {
                        package_tracking_no: tracking.to_string(),
                        shipping_agent_code: "UPS".into(),
                        shipping_agent_service_code: "GROUND".into(),
                    },
                )
                .is_ok(),
            BooksSandbox::Acumatica(s) => {
                let Some((ty, nbr)) = doc.number.split_once('/') else {
                    return false;
                };
                s.ship_order(ty, nbr, Some(tracking), true).is_ok()
                    && s.invoice_order(ty, nbr).is_ok()
            }
        }
    }

    /// The ERP's stock of a SKU changes (an adjustment in the warehouse).
    pub fn adjust_stock(&self, sku: &str, qty: Decimal) -> bool {
        match self {
            BooksSandbox::Bc365(s) => s.adjust_stock(BC365_COMPANY, sku, "", qty).is_ok(),
            BooksSandbox::Acumatica(s) => {
                let on_hand = s.on_hand(sku, "MAIN");
                if on_hand.is_zero() && s.record(Kind::StockItem, &[sku]).is_none() {
                    return false;
                }
                s.add_stock_item(sku, sku, Decimal::ZERO, on_hand + qty);
                true
            }
        }
    }

    /// The documents made from storefront orders (`source` + order id), read from the
    /// sandbox's tables: order id → its copies.
    pub fn documents(&self, source: &str) -> BTreeMap<u64, Doc> {
        let mut out: BTreeMap<u64, Doc> = BTreeMap::new();
        let order_of = |key: &str| key.strip_prefix(source).and_then(|k| k.parse::<u64>().ok());
        match self {
            BooksSandbox::Bc365(s) => {
                let tenders: BTreeMap<String, Decimal> = {
                    let mut m: BTreeMap<String, Decimal> = BTreeMap::new();
                    for l in s.rows(BC365_COMPANY, "salesInvoiceLines") {
                        if str_of(&l, "description2").starts_with("tender:") {
                            *m.entry(str_of(&l, "documentId").to_string()).or_default() +=
                                dec(l.get("amountIncludingTax"));
                        }
                    }
                    m
                };
                for d in s.rows(BC365_COMPANY, "salesInvoices") {
                    let key = str_of(&d, "externalDocumentNumber").to_string();
                    let Some(id) = order_of(&key) else { continue };
                    if str_of(&d, "status") == "Draft" {
                        continue;
                    }
                    let cur = match str_of(&d, "currencyCode") {
                        "" => Currency::GBP,
                        c => Currency::new(c).unwrap_or(Currency::GBP),
                    };
                    let tender = tenders.get(str_of(&d, "id")).copied().unwrap_or_default();
                    let e = out.entry(id).or_insert(Doc {
                        key: key.clone(),
                        number: str_of(&d, "number").to_string(),
                        copies: 0,
                        total: dec(d.get("totalAmountIncludingTax")) - tender,
                        currency: cur,
                    });
                    e.copies += 1;
                }
            }
            BooksSandbox::Acumatica(s) => {
                for r in s.documents(Kind::SalesOrder) {
                    if !bc_sandbox_acumatica::sandbox::from_storefront(&r) {
                        continue;
                    }
                    let key = acu_str(&r, "CustomerOrder");
                    let Some(id) = order_of(&key) else { continue };
                    let e = out.entry(id).or_insert(Doc {
                        key: key.clone(),
                        number: format!("{}/{}", acu_str(&r, "OrderType"), acu_str(&r, "OrderNbr")),
                        copies: 0,
                        total: dec(acu(&r, "OrderTotal")),
                        currency: Currency::new(&acu_str(&r, "CurrencyID"))
                            .unwrap_or(Currency::USD),
                    });
                    e.copies += 1;
                }
            }
        }
        out
    }

    /// Copies of the receipt keyed `import_id` + `sequence` in the ledger's own tables.
    pub fn receipts(&self, import_id: &str, sequence: usize) -> usize {
        match self {
            BooksSandbox::Bc365(s) => {
                // `bc_connector_bc365::mapping::receipt::receipt_key`.
                let key = format!("{import_id}-P{sequence}");
                s.rows(BC365_COMPANY, "customerPayments")
                    .iter()
                    .filter(|r| str_of(r, "externalDocumentNumber") == key)
                    .count()
            }
            BooksSandbox::Acumatica(s) => {
                // `bc_connector_acumatica::mapping::records::receipt_key`.
                let key = format!("{import_id}/P{sequence}");
                s.documents(Kind::Payment)
                    .iter()
                    .filter(|r| acu_str(r, "ExternalRef") == key)
                    .count()
            }
        }
    }

    /// Copies of the credit memo of refund `refund` of `import_id`.
    pub fn credit_memos(&self, import_id: &str, refund: &str) -> usize {
        match self {
            BooksSandbox::Bc365(s) => {
                // `bc_connector_bc365::mapping::credit::credit_key`.
                let key = format!("{import_id}-R{refund}");
                s.rows(BC365_COMPANY, "salesCreditMemos")
                    .iter()
                    .filter(|r| str_of(r, "externalDocumentNumber") == key)
                    .count()
            }
            BooksSandbox::Acumatica(s) => {
                // `bc_connector_acumatica::mapping::documents::credit_key`.
                let key = format!("{import_id}/R{refund}");
                s.documents(Kind::SalesInvoice)
                    .iter()
                    .filter(|r| {
                        acu_str(r, "Type") == "Credit Memo" && acu_str(r, "ExternalRef") == key
                    })
                    .count()
            }
        }
    }

    /// Whether the order of `import_id` has an invoice the ledger released, which a credit
    /// memo can be applied to (Business Central: its documents are invoices; Acumatica: an
    /// `Invoice` for the order, `Open` or `Closed`).
    pub fn invoice_released(&self, import_id: &str) -> bool {
        match self {
            BooksSandbox::Bc365(_) => true,
            BooksSandbox::Acumatica(s) => {
                s.documents_by_customer_order(import_id)
                    .iter()
                    .any(|(kind, r)| {
                        *kind == Kind::SalesInvoice
                            && acu_str(r, "Type") == "Invoice"
                            && matches!(acu_str(r, "Status").as_str(), "Open" | "Closed")
                    })
            }
        }
    }

    /// Documents beyond the first per key, as the sandbox counts them.
    pub fn extra_documents(&self) -> usize {
        match self {
            BooksSandbox::Bc365(s) => s.reconciliation(BC365_COMPANY).extra_documents(),
            BooksSandbox::Acumatica(s) => {
                s.duplicates().values().map(|n| n.saturating_sub(1)).sum()
            }
        }
    }
}

/// A ledger document of a storefront order.
#[derive(Clone, Debug)]
pub struct Doc {
    /// The key it carries (the import id).
    pub key: String,
    /// The ledger's number (Acumatica: `type/number`).
    pub number: String,
    /// Copies with that key.
    pub copies: usize,
    /// Its total as the storefront order's total compares with it (BC: invoiced plus the
    /// tender lines, gift cards and store credit).
    pub total: Decimal,
    /// Currency.
    pub currency: Currency,
}

/// A connected ledger and what must happen at shutdown.
pub struct Connected {
    /// The ledger.
    pub ledger: Arc<dyn Ledger>,
    acumatica: Option<Arc<AcumaticaLedger>>,
}

impl Connected {
    /// Signs out where the platform has sessions (Acumatica's licence limits them).
    pub async fn shutdown(&self) {
        if let Some(a) = &self.acumatica {
            if let Err(e) = a.logout().await {
                eprintln!("demo: Acumatica sign-out failed: {e}");
            }
        }
    }
}

/// The Business Central or Acumatica connector of `settings` over `transport`.
pub async fn connect_ledger(
    settings: &Settings,
    transport: Arc<dyn HttpTransport>,
    seed: u64,
) -> Result<Connected, String> {
    match settings.ledger.platform.as_str() {
        bc_connector_bc365::PLATFORM => {
            let config = Bc365Config::from_table(&settings.ledger).map_err(|e| e.to_string())?;
            let l = bc_connector_bc365::connect(&config, Some(transport))
                .await
                .map_err(|e| format!("connect to the Business Central sandbox: {e}"))?;
            Ok(Connected {
                ledger: Arc::new(l),
                acumatica: None,
            })
        }
        bc_connector_acumatica::PLATFORM => {
            let config =
                AcumaticaConfig::from_table(&settings.ledger).map_err(|e| e.to_string())?;
            let client = AcumaticaClient::new(&config, transport, fast_retry(seed ^ 0xac))
                .map_err(|e| format!("connect to the Acumatica sandbox: {e}"))?;
            let l = Arc::new(AcumaticaLedger::new(client, config));
            Ok(Connected {
                ledger: l.clone(),
                acumatica: Some(l),
            })
        }
        other => Err(format!(
            "ledger.platform = \"{other}\": not one of the demo's Business Central / Acumatica ledgers"
        )),
    }
}

/// The demo's settings for `store` → `books`, with the sandboxes at `store_url` and
/// `books_url`.
pub fn settings_text(
    store: &StoreSandbox,
    store_url: &str,
    books: &BooksSandbox,
    books_url: &str,
    quota: u32,
) -> String {
    let sf = store.kind();
    let mut t = String::new();
    t.push_str(&store.settings(store_url, quota));
    t.push('\n');
    t.push_str(&books.settings(books_url, sf));
    t.push('\n');
    let (new_status, downloaded, error_status, completed) = match sf {
        DemoStorefront::Bigcommerce => (
            "\"Awaiting Fulfillment\"",
            "Awaiting Shipment",
            "Manual Verification Required",
            "Completed",
        ),
        DemoStorefront::Magento => ("\"processing\"", "erp_exported", "fraud", "complete"),
    };
    // Accounts: Business Central's CRONUS chart, Acumatica's sandbox chart.
    let (income, expense, asset, discount, gift, credit, ship, handling, wrap, rounding, deposit) =
        match books {
            BooksSandbox::Bc365(_) => (
                "40100", "40100", "40100", "40400", "20500", "20600", "40200", "40300", "40300",
                "69100", "10200",
            ),
            BooksSandbox::Acumatica(_) => (
                "40000", "50000", "12100", "49000", "24000", "24100", "40000", "40000", "40000",
                "40000", "10200",
            ),
        };
    // Storefront shipping method → the ERP's ship via (Acumatica refuses an unknown one).
    let ship_via_map = match (sf, books) {
        (DemoStorefront::Bigcommerce, BooksSandbox::Acumatica(_)) => {
            "\n[shipping.ship_via_map]\n\"Flat Rate\" = \"UPSGROUND\"\n\"UPS Ground\" = \"UPSGROUND\"\n\"Ship by Weight\" = \"FEDEX2DAY\"\n\"Free Shipping\" = \"USPSPRIORITY\"\n"
        }
        (DemoStorefront::Magento, BooksSandbox::Acumatica(_)) => {
            // The Magento connector names an order's method by its `shipping_description`.
            "\n[shipping.ship_via_map]\n\"Flat Rate - Fixed\" = \"UPSGROUND\"\nflatrate_flatrate = \"UPSGROUND\"\n\"Free Shipping - Free\" = \"USPSPRIORITY\"\n\"Best Way - Table Rate\" = \"FEDEX2DAY\"\n"
        }
        _ => "",
    };
    let kind = match books {
        BooksSandbox::Bc365(_) => "invoice",
        // Acumatica ships sales orders: the warehouse confirms the shipment and releases the
        // invoice, which is what seed 003 is about.
        BooksSandbox::Acumatica(_) => "sales_order",
    };
    t.push_str(&format!(
        r#"[sync]
import_source_code = "BC1"
timezone = "Europe/London"

[orders]
new_order_status = [{new_status}]
downloaded_status = "{downloaded}"
import_error_status = "{error_status}"
document_kind = "{kind}"
order_number_prefix = "WEB-"
match_client_by_email = true
create_missing_items = true

[orders.new_items]
item_type = "inventory"
income_account = "{income}"
expense_account = "{expense}"
cogs_account = "{expense}"
asset_account = "{asset}"

[posting]
discount_gl = "{discount}"
gift_card_liability_gl = "{gift}"
store_credit_gl = "{credit}"
shipping_gl = "{ship}"
handling_gl = "{handling}"
wrapping_gl = "{wrap}"
rounding_gl = "{rounding}"
rounding_tolerance = "0.05"
due_date_offset_days = 30

[payments]
card_preauthorized = true

[shipping]
warehouse = "MAIN"
default_ship_via = "UPSGROUND"
{ship_via_map}
[inventory]
enabled = true
stock_buffer = "2"

[refunds]
enabled = true
refund_prefix = "RF-"
refund_clearing_account = "{deposit}"

"#
    ));
    // Acumatica reports the statuses of released invoices: `Open` (released, not yet paid)
    // and `Closed` (paid); either means the order was shipped and invoiced.
    if let BooksSandbox::Acumatica(_) = books {
        t.push_str(&format!(
            "[status]\nenabled = true\ndirection = \"push_ledger\"\n[[status.map]]\nledger = \"Open\"\nstorefront = \"{completed}\"\n[[status.map]]\nledger = \"Completed\"\nstorefront = \"{completed}\"\n[[status.map]]\nledger = \"Closed\"\nstorefront = \"{completed}\"\n\n[erp_orders]\nenabled = true\nrequire_zero_balance = true\n\n"
        ));
    }
    t.push_str("[payment_map]\n");
    match sf {
        DemoStorefront::Bigcommerce => {
            for m in ["credit_card", "\"Credit Card\""] {
                t.push_str(&format!(
                    "{m} = {{ receipt_type = \"CARD\", deposit_account = \"{deposit}\" }}\n"
                ));
            }
            for m in ["offsite", "PayPal"] {
                t.push_str(&format!(
                    "{m} = {{ receipt_type = \"PAYPAL\", deposit_account = \"{deposit}\" }}\n"
                ));
            }
            t.push_str("\"Purchase Order\" = { open_ar = true }\ncustom = { open_ar = true }\n");
        }
        DemoStorefront::Magento => {
            t.push_str(&format!(
                "braintree = {{ receipt_type = \"CARD\", deposit_account = \"{deposit}\" }}\ncheckmo = {{ open_ar = true }}\npurchaseorder = {{ open_ar = true }}\n"
            ));
        }
    }
    t.push_str("\n[tax_map]\n");
    for (zone, code) in tax_map(sf, books) {
        t.push_str(&format!("\"{zone}\" = \"{code}\"\n"));
    }
    t
}

/// Storefront tax zone → ledger tax code for a pair.
fn tax_map(sf: DemoStorefront, books: &BooksSandbox) -> Vec<(&'static str, &'static str)> {
    match (sf, books) {
        // Business Central: `AREA/GROUP` (VAT business / product posting group). The
        // Japanese rates are left out on purpose (BC365_UNMAPPED_ZONES).
        (DemoStorefront::Bigcommerce, BooksSandbox::Bc365(_)) => vec![
            ("Texas State Tax", "US-TX/STANDARD"),
            ("Austin City Tax", "US-TX/STANDARD"),
            ("California State Tax", "US-CA/STANDARD"),
            ("District Tax", "US-CA/STANDARD"),
            ("HST", "CA-ON/STANDARD"),
            ("MwSt 19%", "EU-DE/STANDARD"),
            ("MwSt 7%", "EU-DE/REDUCED"),
            ("TVA 20%", "EU-FR/STANDARD"),
            ("TVA 5.5%", "EU-FR/REDUCED"),
        ],
        (DemoStorefront::Magento, BooksSandbox::Bc365(_)) => vec![
            ("US-CA-*-Rate 1", "US-CA/STANDARD"),
            ("US-NY-*-Rate 1", "US-CA/STANDARD"),
            ("US-NY-NYC", "US-CA/STANDARD"),
            ("DE-VAT-19", "EU-DE/STANDARD"),
            ("GB-VAT-20", "DOMESTIC/STANDARD"),
        ],
        // Acumatica: the tax id; `ledger.tax_zones` gives its zone.
        (DemoStorefront::Bigcommerce, BooksSandbox::Acumatica(_)) => vec![
            ("Texas State Tax", "TXSTATE"),
            ("Austin City Tax", "TXAUSTIN"),
            ("California State Tax", "CASTATE"),
            ("District Tax", "CADIST"),
            ("HST", "ONHST"),
            ("MwSt 19%", "DEVAT19"),
            ("MwSt 7%", "DEVAT7"),
            ("TVA 20%", "FRVAT20"),
            ("TVA 5.5%", "FRVAT55"),
            ("Consumption Tax", "JPCT10"),
            ("Reduced Consumption Tax", "JPCT8"),
        ],
        (DemoStorefront::Magento, BooksSandbox::Acumatica(_)) => vec![
            ("US-CA-*-Rate 1", "CASTATE"),
            ("US-NY-*-Rate 1", "NYSTATE"),
            ("US-NY-NYC", "NYCITY"),
            ("DE-VAT-19", "DEVAT19"),
            ("GB-VAT-20", "GBVAT20"),
        ],
    }
}

/// The demo's settings for a Magento store → the embedded ERP (`--storefront magento` with
/// the default ledger): the original settings with Magento's statuses, payment methods and
/// tax codes.
pub fn magento_erp_settings(store: &StoreSandbox, store_url: &str) -> String {
    let base = super::DEMO_SETTINGS;
    let mut out = String::new();
    let mut skip = false;
    for line in base.lines() {
        if line.starts_with('[') {
            skip = matches!(
                line,
                "[storefront]" | "[tax_map]" | "[payment_map]" | "[status]" | "[[status.map]]"
            );
        }
        if skip {
            continue;
        }
        let line = match line.split_once(" = ") {
            Some(("new_order_status", _)) => "new_order_status = [\"processing\"]".to_string(),
            Some(("downloaded_status", _)) => "downloaded_status = \"erp_exported\"".to_string(),
            Some(("import_error_status", _)) => "import_error_status = \"fraud\"".to_string(),
            _ => line.to_string(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&store.settings(store_url, 0));
    out.push_str(
        "\n[payment_map]\nbraintree = { receipt_type = \"CARD\", deposit_account = \"1050\" }\ncheckmo = { open_ar = true }\npurchaseorder = { open_ar = true }\n",
    );
    out.push_str("\n[tax_map]\n\"US-CA-*-Rate 1\" = \"CA\"\n\"US-NY-*-Rate 1\" = \"NY\"\n\"US-NY-NYC\" = \"NY-NYC\"\n\"DE-VAT-19\" = \"DE-19\"\n\"GB-VAT-20\" = \"GB-20\"\n");
    out.push_str("\n[status]\nenabled = true\ndirection = \"push_ledger\"\n[[status.map]]\nledger = \"Completed\"\nstorefront = \"complete\"\n");
    out
}
