//! In-memory fakes for tests (cargo feature `testing`): a [`MemoryStorefront`], a
//! [`MemoryLedger`], a fault-injecting [`FaultyLedger`] wrapper around any ledger, sample
//! orders and settings. Fast and deterministic: faults come from a seeded generator.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bc_core::{
    Address, Charge, Client, ClientKey, ClientRef, CreditMemo, Currency, Cursor, CustomerId,
    DocumentKind, DocumentStatus, Error, ErrorKind, ImportId, InventoryLevel, ItemKey, ItemRef,
    JournalEntry, JournalKey, Ledger, LedgerCapabilities, LedgerCatalog, LedgerDocument,
    LedgerOrder, LedgerRef, LedgerShipment, NewItem, NewOrder, Order, OrderCustomer, OrderId,
    OrderLine, OrderQuery, OrderStatus, Page, Payment, PaymentState, Payout, PayoutQuery, Receipt,
    Refund, RefundId, RefundQuery, Result, SalesDocument, Settings, Shipment, ShipmentId,
    ShipmentRef, Sku, StatusId, Storefront, StorefrontCapabilities, TaxLine, TaxModel, TaxTarget,
};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use tokio::sync::Notify;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

fn offset(c: &Cursor) -> usize {
    c.0.parse().unwrap_or(0)
}

/// The statuses of a BigCommerce store (id, name).
pub fn bigcommerce_statuses() -> Vec<OrderStatus> {
    [
        ("0", "Incomplete"),
        ("1", "Pending"),
        ("2", "Shipped"),
        ("3", "Partially Shipped"),
        ("4", "Refunded"),
        ("5", "Cancelled"),
        ("6", "Declined"),
        ("7", "Awaiting Payment"),
        ("8", "Awaiting Pickup"),
        ("9", "Awaiting Shipment"),
        ("10", "Completed"),
        ("11", "Awaiting Fulfillment"),
        ("12", "Manual Verification Required"),
        ("13", "Disputed"),
        ("14", "Partially Refunded"),
    ]
    .into_iter()
    .map(|(id, name)| OrderStatus {
        id: StatusId::new(id),
        name: name.to_string(),
        custom_label: None,
    })
    .collect()
}

/// Settings for tests: BigCommerce → QBO, source `BC1`, orders imported from Awaiting
/// Fulfillment, set to Completed after import and to Manual Verification Required on error,
/// tax zone `CA State Tax` mapped, card payments mapped. `extra` is appended to the TOML
/// (use it to add sections, e.g. `[inventory]`).
pub fn test_settings_toml(extra: &str) -> String {
    format!(
        r#"
[storefront]
platform = "bigcommerce"
store_hash = "abc123"
access_token = "test-token"

[ledger]
platform = "qbo"
realm_id = "1"
client_id = "c"
client_secret = "s"
refresh_token = "r"

[sync]
import_source_code = "BC1"
overlap_window = "5m"

[orders]
new_order_status = ["Awaiting Fulfillment"]
downloaded_status = "Completed"
import_error_status = "Manual Verification Required"
order_number_prefix = "BC-"
create_missing_items = true

[orders.new_items]
income_account = "4000"

[posting]
discount_gl = "4900"
gift_card_liability_gl = "2300"
store_credit_gl = "2310"
shipping_gl = "4100"
handling_gl = "4110"
wrapping_gl = "4120"
rounding_gl = "4999"

[payment_map.credit_card]
receipt_type = "Visa"
deposit_account = "1200"

[tax_map]
"CA State Tax" = "TAX"
{extra}
"#
    )
}

/// [`test_settings_toml`] parsed.
pub fn test_settings(extra: &str) -> Settings {
    match Settings::from_toml_str(&test_settings_toml(extra)) {
        Ok(s) => s,
        Err(e) => panic!("test settings do not parse: {e}"),
    }
}

/// An engine over an empty in-memory storefront, ledger and state, on [`test_settings`]
/// (the crate's own unit tests).
#[cfg(test)]
pub(crate) fn memory_engine() -> crate::Engine {
    crate::Engine::new(
        Arc::new(MemoryStorefront::new()),
        Arc::new(MemoryLedger::new()),
        Arc::new(crate::MemoryStateStore::new()),
        test_settings(""),
    )
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 12, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A consistent order (its totals add up): two lines, shipping, one tax line per product line
/// in `zone`, a captured card payment; odd ids are guests, even ids registered customers.
pub fn sample_order(id: u64, status: &str, zone: &str) -> Order {
    let q1 = Decimal::from(1 + id % 3);
    let p1 = Decimal::new(1999 + (id as i64 % 50) * 100, 2);
    let p2 = Decimal::new(550, 2);
    let l1 = q1 * p1;
    let l2 = p2;
    let ship = Decimal::new(800, 2);
    let tax1 = (l1 * Decimal::new(725, 4)).round_dp(2);
    let tax2 = (l2 * Decimal::new(725, 4)).round_dp(2);
    let ex = l1 + l2 + ship;
    let tax = tax1 + tax2;
    let line = |n: u32, sku: &str, name: &str, q: Decimal, p: Decimal, total: Decimal| OrderLine {
        line_id: format!("{id}-{n}"),
        sku: Some(Sku::new(sku)),
        name: name.to_string(),
        product_id: None,
        variant_id: None,
        quantity: q,
        unit_price_ex_tax: p,
        unit_price_inc_tax: p,
        total_ex_tax: total,
        discounts: Vec::new(),
        tax_class: None,
        physical: true,
        shipping_address_id: None,
        quantity_shipped: Decimal::ZERO,
        quantity_refunded: Decimal::ZERO,
    };
    let at = t0() + chrono::Duration::minutes(id as i64);
    Order {
        id: OrderId::new(id.to_string()),
        number: id.to_string(),
        status: StatusId::new(status),
        created_at: at,
        modified_at: at,
        customer: if id.is_multiple_of(2) {
            OrderCustomer::Registered {
                id: CustomerId::new(format!("c{}", id % 7)),
            }
        } else {
            OrderCustomer::Guest
        },
        email: Some(format!("shopper{}@example.com", id % 7)),
        billing: Address {
            first_name: "Ada".into(),
            last_name: format!("Shopper{}", id % 7),
            street_1: "1 Main St".into(),
            city: "Fresno".into(),
            state: "California".into(),
            zip: "93650".into(),
            country: "United States".into(),
            country_iso2: "US".into(),
            ..Address::default()
        },
        shipping_addresses: Vec::new(),
        lines: vec![
            line(1, &format!("SKU-{}", id % 5), "Widget", q1, p1, l1),
            line(2, "SKU-GIFT", "Gift box", Decimal::ONE, p2, l2),
        ],
        shipping: Charge {
            amount_ex_tax: ship,
            tax_class: None,
        },
        handling: Charge::default(),
        wrapping: Charge::default(),
        discounts: Vec::new(),
        gift_certificates: Vec::new(),
        store_credit: Decimal::ZERO,
        taxes: vec![
            TaxLine {
                target: TaxTarget::Line(format!("{id}-1")),
                zone: zone.to_string(),
                class: None,
                rate: Decimal::new(725, 2),
                amount: tax1,
            },
            TaxLine {
                target: TaxTarget::Line(format!("{id}-2")),
                zone: zone.to_string(),
                class: None,
                rate: Decimal::new(725, 2),
                amount: tax2,
            },
        ],
        payments: vec![Payment {
            method: "credit_card".into(),
            gateway: Some("braintree".into()),
            transaction_id: Some(format!("tx{id}")),
            amount: ex + tax,
            state: PaymentState::Captured,
            at: Some(at),
        }],
        currency: Currency::USD,
        default_currency: Currency::USD,
        exchange_rate: Decimal::ONE,
        total_ex_tax: ex,
        total_tax: tax,
        total_inc_tax: ex + tax,
        b2b: None,
        customer_message: None,
        staff_notes: None,
        custom: BTreeMap::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Storefront
// ---------------------------------------------------------------------------------------------

/// What a [`MemoryStorefront`] holds; tests read and change it through
/// [`MemoryStorefront::with`].
#[derive(Debug, Default)]
pub struct StorefrontData {
    /// Orders by id.
    pub orders: BTreeMap<OrderId, Order>,
    /// Statuses.
    pub statuses: Vec<OrderStatus>,
    /// Every status change made through the trait, in order.
    pub status_changes: Vec<(OrderId, StatusId)>,
    /// Shipments created, with their id.
    pub shipments: Vec<(OrderId, Shipment, ShipmentId)>,
    /// Stock by SKU.
    pub inventory: BTreeMap<Sku, Decimal>,
    /// Every `set_inventory` call's levels.
    pub inventory_calls: Vec<Vec<InventoryLevel>>,
    /// Refunds.
    pub refunds: Vec<Refund>,
    /// Payouts.
    pub payouts: Vec<Payout>,
    /// Orders created through `create_order`.
    pub created_orders: Vec<(OrderId, NewOrder)>,
    /// Calls by method name.
    pub calls: BTreeMap<String, u64>,
}

/// A storefront in memory with BigCommerce's statuses.
pub struct MemoryStorefront {
    data: Mutex<StorefrontData>,
    caps: Mutex<StorefrontCapabilities>,
    clock: AtomicU64,
}

impl Default for MemoryStorefront {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStorefront {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStorefront {
            data: Mutex::new(StorefrontData {
                statuses: bigcommerce_statuses(),
                ..StorefrontData::default()
            }),
            caps: Mutex::new({
                let mut caps = StorefrontCapabilities::new("memory-storefront");
                caps.max_page_size = 50;
                caps.inventory_batch_size = 2000;
                caps.create_orders = true;
                caps.refunds = true;
                caps.payouts = true;
                caps.inventory = true;
                caps.find_shipments = true;
                caps.find_orders_by_reference = true;
                caps
            }),
            clock: AtomicU64::new(0),
        }
    }

    /// Reads or changes the data.
    pub fn with<T>(&self, f: impl FnOnce(&mut StorefrontData) -> T) -> T {
        f(&mut lock(&self.data))
    }

    /// Changes the capabilities.
    pub fn set_capabilities(&self, f: impl FnOnce(&mut StorefrontCapabilities)) {
        f(&mut lock(&self.caps));
    }

    /// Adds orders.
    pub fn add_orders(&self, orders: impl IntoIterator<Item = Order>) {
        self.with(|d| {
            for o in orders {
                d.orders.insert(o.id.clone(), o);
            }
        });
    }

    /// An order's current status.
    pub fn status_of(&self, id: &str) -> Option<StatusId> {
        self.with(|d| d.orders.get(&OrderId::new(id)).map(|o| o.status.clone()))
    }

    /// Puts an order back to `status`, as a merchant would (its modified time moves on).
    pub fn set_status(&self, id: &str, status: &str) {
        let now = self.tick();
        self.with(|d| {
            if let Some(o) = d.orders.get_mut(&OrderId::new(id)) {
                o.status = StatusId::new(status);
                o.modified_at = now;
            }
        });
    }

    fn tick(&self) -> DateTime<Utc> {
        // The real clock (a storefront's changes are "now"), strictly increasing.
        let n = self.clock.fetch_add(1, Ordering::Relaxed);
        Utc::now().max(t0() + chrono::Duration::days(30)) + chrono::Duration::microseconds(n as i64)
    }

    fn call(&self, name: &str) {
        self.with(|d| *d.calls.entry(name.to_string()).or_default() += 1);
    }
}

#[async_trait]
impl Storefront for MemoryStorefront {
    fn capabilities(&self) -> StorefrontCapabilities {
        lock(&self.caps).clone()
    }

    async fn orders(&self, query: &OrderQuery) -> Result<Page<Order>> {
        self.call("orders");
        let limit = query
            .limit
            .unwrap_or(50)
            .min(self.capabilities().max_page_size) as usize;
        // Keyset pages by id, as the real connectors page: an order that changes while the
        // list is read never shifts a later page.
        let after = query
            .cursor
            .clone()
            .filter(|c| !c.is_start())
            .map(|c| OrderId::new(c.0));
        self.with(|d| {
            let lower = match &after {
                Some(a) => std::ops::Bound::Excluded(a.clone()),
                None => std::ops::Bound::Unbounded,
            };
            let mut matching = d
                .orders
                .range((lower, std::ops::Bound::Unbounded))
                .map(|(_, o)| o)
                .filter(|o| query.statuses.is_empty() || query.statuses.contains(&o.status))
                .filter(|o| query.modified_since.is_none_or(|s| o.modified_at >= s))
                .filter(|o| query.created_since.is_none_or(|s| o.created_at >= s));
            let items: Vec<Order> = matching.by_ref().take(limit.max(1)).cloned().collect();
            let more = matching.next().is_some();
            let next = match items.last() {
                Some(last) if more => Some(Cursor(last.id.to_string())),
                _ => None,
            };
            Ok(Page::new(items, next))
        })
    }

    async fn order(&self, id: &OrderId) -> Result<Order> {
        self.call("order");
        self.with(|d| d.orders.get(id).cloned())
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("order {id} not found")))
    }

    async fn set_order_status(&self, id: &OrderId, status: &StatusId) -> Result<()> {
        self.call("set_order_status");
        let now = self.tick();
        self.with(|d| {
            let o = d
                .orders
                .get_mut(id)
                .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("order {id} not found")))?;
            o.status = status.clone();
            o.modified_at = now;
            d.status_changes.push((id.clone(), status.clone()));
            Ok(())
        })
    }

    async fn create_shipment(&self, id: &OrderId, shipment: &Shipment) -> Result<ShipmentRef> {
        self.call("create_shipment");
        self.with(|d| {
            if !d.orders.contains_key(id) {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("order {id} not found"),
                ));
            }
            let sid = ShipmentId::new(format!("S{}", d.shipments.len() + 1));
            d.shipments
                .push((id.clone(), shipment.clone(), sid.clone()));
            Ok(ShipmentRef { id: sid })
        })
    }

    async fn find_shipment(
        &self,
        id: &OrderId,
        shipment: &Shipment,
    ) -> Result<Option<ShipmentRef>> {
        self.call("find_shipment");
        self.with(|d| {
            Ok(d.shipments
                .iter()
                .find(|(o, s, _)| {
                    o == id
                        && match &shipment.tracking_number {
                            Some(t) => s.tracking_number.as_ref() == Some(t),
                            None => s.lines == shipment.lines,
                        }
                })
                .map(|(_, _, sid)| ShipmentRef { id: sid.clone() }))
        })
    }

    async fn find_order_by_reference(&self, ledger_number: &str) -> Result<Option<OrderId>> {
        self.call("find_order_by_reference");
        self.with(|d| {
            Ok(d.created_orders
                .iter()
                .find(|(_, o)| o.ledger_number == ledger_number)
                .map(|(id, _)| id.clone()))
        })
    }

    async fn set_inventory(&self, levels: &[InventoryLevel]) -> Result<()> {
        self.call("set_inventory");
        let max = self.capabilities().inventory_batch_size;
        if levels.len() > max {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("{} levels in one call; at most {max}", levels.len()),
            ));
        }
        self.with(|d| {
            for l in levels {
                d.inventory.insert(l.sku.clone(), l.available);
            }
            d.inventory_calls.push(levels.to_vec());
        });
        Ok(())
    }

    async fn refunds(&self, query: &RefundQuery) -> Result<Page<Refund>> {
        self.call("refunds");
        self.with(|d| {
            Ok(Page::last(
                d.refunds
                    .iter()
                    .filter(|r| query.created_since.is_none_or(|s| r.created_at >= s))
                    .filter(|r| query.orders.is_empty() || query.orders.contains(&r.order_id))
                    .cloned()
                    .collect(),
            ))
        })
    }

    async fn payouts(&self, query: &PayoutQuery) -> Result<Page<Payout>> {
        self.call("payouts");
        if !self.capabilities().payouts {
            return Err(Error::unsupported("memory-storefront", "payouts"));
        }
        self.with(|d| {
            Ok(Page::last(
                d.payouts
                    .iter()
                    .filter(|p| query.paid_since.is_none_or(|s| p.paid_at >= s))
                    .cloned()
                    .collect(),
            ))
        })
    }

    async fn create_order(&self, order: &NewOrder) -> Result<OrderId> {
        self.call("create_order");
        let now = self.tick();
        self.with(|d| {
            let id = OrderId::new(format!("E{}", d.created_orders.len() + 1));
            d.created_orders.push((id.clone(), order.clone()));
            let mut o = sample_order(0, order.status.as_str(), "");
            o.id = id.clone();
            o.number = order.ledger_number.clone();
            o.created_at = now;
            o.modified_at = now;
            o.customer = match &order.customer_id {
                Some(c) => OrderCustomer::Registered { id: c.clone() },
                None => OrderCustomer::Guest,
            };
            o.billing = order.billing.clone();
            o.lines = order
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| OrderLine {
                    line_id: format!("{id}-{}", i + 1),
                    sku: Some(l.sku.clone()),
                    name: l.name.clone(),
                    product_id: None,
                    variant_id: None,
                    quantity: l.quantity,
                    unit_price_ex_tax: l.unit_price_ex_tax,
                    unit_price_inc_tax: l.unit_price_ex_tax,
                    total_ex_tax: l.quantity * l.unit_price_ex_tax,
                    discounts: Vec::new(),
                    tax_class: None,
                    physical: true,
                    shipping_address_id: None,
                    quantity_shipped: Decimal::ZERO,
                    quantity_refunded: Decimal::ZERO,
                })
                .collect();
            o.taxes = Vec::new();
            o.payments = Vec::new();
            o.shipping = Charge {
                amount_ex_tax: order.shipping_ex_tax,
                tax_class: None,
            };
            o.currency = order.currency;
            o.default_currency = order.currency;
            o.total_ex_tax = o.computed_total_ex_tax();
            o.total_tax = Decimal::ZERO;
            o.total_inc_tax = o.total_ex_tax;
            d.orders.insert(id.clone(), o);
            Ok(id)
        })
    }

    async fn statuses(&self) -> Result<Vec<OrderStatus>> {
        self.call("statuses");
        Ok(self.with(|d| d.statuses.clone()))
    }
}

// ---------------------------------------------------------------------------------------------
// Ledger
// ---------------------------------------------------------------------------------------------

/// A document held by the [`MemoryLedger`].
#[derive(Clone, Debug)]
pub struct StoredDocument {
    /// Its reference.
    pub at: LedgerRef,
    /// The content last posted or updated.
    pub doc: SalesDocument,
    /// Whether it can still be changed.
    pub editable: bool,
    /// Its status name.
    pub status: String,
    /// How many times it was updated.
    pub updates: u32,
}

/// What a [`MemoryLedger`] holds.
#[derive(Debug, Default)]
pub struct LedgerData {
    /// Clients.
    pub clients: Vec<(LedgerRef, Client)>,
    /// Items.
    pub items: Vec<ItemRef>,
    /// Sales documents, in posting order (duplicates would show here).
    pub documents: Vec<StoredDocument>,
    /// Receipts by (import id, sequence) — the idempotency key.
    pub receipts: BTreeMap<(String, u32), (LedgerRef, Receipt)>,
    /// Credit memos.
    pub credit_memos: Vec<(LedgerRef, CreditMemo)>,
    /// Journals.
    pub journals: Vec<(LedgerRef, JournalEntry)>,
    /// Shipments to report.
    pub shipments: Vec<LedgerShipment>,
    /// Availability by warehouse and SKU.
    pub availability: BTreeMap<String, BTreeMap<Sku, Decimal>>,
    /// Status changes to report.
    pub document_statuses: Vec<DocumentStatus>,
    /// Statuses set through `set_document_status`.
    pub statuses_set: Vec<(LedgerRef, String)>,
    /// Ledger-originated orders.
    pub new_orders: Vec<LedgerOrder>,
    /// Links written back.
    pub links: Vec<(LedgerRef, String)>,
    /// Calls by method name.
    pub calls: BTreeMap<String, u64>,
    /// Sizes of the `post_sales_documents` batches received.
    pub batches: Vec<usize>,
    /// Sizes of the `create_items` batches received.
    pub item_batches: Vec<usize>,
    /// SKUs the ledger refuses to create an item for (`Invalid`, as a ledger refuses a SKU
    /// it deems malformed): that item fails, the others of its batch are created.
    pub refuse_skus: Vec<Sku>,
    /// What `catalog()` answers; `None`: the ledger cannot list it (`Unsupported`, the
    /// trait's default). When set, documents and receipts naming a tax code, receipt type or
    /// deposit account the catalog knows the list of but lacks are refused, as a real ledger
    /// refuses them.
    pub catalog: Option<LedgerCatalog>,
    /// Currencies the account refuses documents in although the capabilities list them (a
    /// multicurrency setting changed since the connector connected): `post_sales_document`
    /// answers a mapping error (`currency_not_enabled`), as a ledger validating the
    /// currency does.
    pub refuse_currencies: Vec<Currency>,
    next_id: u64,
}

impl LedgerData {
    fn next(&mut self, prefix: &str) -> LedgerRef {
        self.next_id += 1;
        LedgerRef::new(format!("{prefix}{}", self.next_id)).with_version("0")
    }

    /// Documents whose import id is `id`.
    pub fn documents_for(&self, id: &str) -> Vec<&StoredDocument> {
        self.documents
            .iter()
            .filter(|d| d.doc.import_id.to_string() == id)
            .collect()
    }

    /// Number of writes that post something (documents, receipts, memos, journals).
    pub fn postings(&self) -> usize {
        self.documents.len() + self.receipts.len() + self.credit_memos.len() + self.journals.len()
    }
}

/// A ledger in memory (QBO-like capabilities, configurable), with idempotent receipts.
pub struct MemoryLedger {
    data: Mutex<LedgerData>,
    caps: Mutex<LedgerCapabilities>,
}

impl Default for MemoryLedger {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        MemoryLedger {
            data: Mutex::new(LedgerData::default()),
            caps: Mutex::new({
                let mut caps = LedgerCapabilities::new("memory-ledger", Currency::USD);
                caps.document_kinds = vec![DocumentKind::Invoice, DocumentKind::SalesReceipt];
                caps.idempotency_keys = true;
                caps.max_doc_number_len = Some(21);
                caps.max_client_name_len = Some(100);
                caps.tax_model = TaxModel::PerLine;
                caps.create_items = true;
                caps.credit_memos = true;
                caps.journals = true;
                caps.shipments = true;
                caps.availability = true;
                caps.document_statuses = true;
                caps.set_document_status = true;
                caps.new_orders = true;
                caps.find_receipts = true;
                caps
            }),
        }
    }

    /// Reads or changes the data.
    pub fn with<T>(&self, f: impl FnOnce(&mut LedgerData) -> T) -> T {
        f(&mut lock(&self.data))
    }

    /// Changes the capabilities.
    pub fn set_capabilities(&self, f: impl FnOnce(&mut LedgerCapabilities)) {
        f(&mut lock(&self.caps));
    }

    fn call(&self, name: &str) {
        self.with(|d| *d.calls.entry(name.to_string()).or_default() += 1);
    }

    /// The refusal of a document or receipt naming a value the catalog lacks.
    fn check_catalog(d: &LedgerData, what: &str, list: &str, value: &str) -> Result<()> {
        let Some(cat) = &d.catalog else {
            return Ok(());
        };
        if !cat.knows(list) {
            return Ok(());
        }
        let entries = match list {
            "tax_codes" => &cat.tax_codes,
            "accounts" => &cat.accounts,
            "receipt_types" => &cat.receipt_types,
            _ => &cat.ship_vias,
        };
        if entries.iter().any(|e| e.code == value || e.name == value) {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Invalid,
                format!("{what} `{value}` does not exist in the ledger"),
            ))
        }
    }

    /// Creates one item (refused when its income account is not in the catalog, or its SKU
    /// is one of `refuse_skus`).
    fn make_item(d: &mut LedgerData, item: &NewItem) -> Result<ItemRef> {
        Self::check_catalog(d, "income account", "accounts", &item.income_account)?;
        if d.refuse_skus.contains(&item.sku) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("the ledger refuses SKU `{}`", item.sku),
            ));
        }
        let at = d.next("I");
        let r = ItemRef {
            at,
            name: item.name.clone(),
            sku: Some(item.sku.clone()),
            tracks_inventory: false,
        };
        d.items.push(r.clone());
        Ok(r)
    }

    fn to_document(s: &StoredDocument) -> LedgerDocument {
        LedgerDocument {
            at: s.at.clone(),
            kind: s.doc.kind,
            import_id: s.doc.import_id.clone(),
            total: s.doc.total(),
            currency: s.doc.currency,
            editable: s.editable,
            status: Some(s.status.clone()),
        }
    }
}

#[async_trait]
impl Ledger for MemoryLedger {
    fn capabilities(&self) -> LedgerCapabilities {
        lock(&self.caps).clone()
    }

    async fn find_client(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        self.call("find_client");
        self.with(|d| {
            Ok(d.clients
                .iter()
                .find(|(_, c)| match key {
                    ClientKey::ImportId(v) => c.import_id.as_deref() == Some(v.as_str()),
                    ClientKey::Email(v) => c
                        .email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(v)),
                    ClientKey::DisplayName(v) => &c.display_name == v,
                })
                .map(|(at, c)| ClientRef {
                    at: at.clone(),
                    display_name: c.display_name.clone(),
                }))
        })
    }

    async fn create_client(&self, client: &Client) -> Result<ClientRef> {
        self.call("create_client");
        self.with(|d| {
            let at = d.next("C");
            let mut c = client.clone();
            if d.clients
                .iter()
                .any(|(_, x)| x.display_name == c.display_name)
            {
                c.display_name = format!("{} ({})", c.display_name, at.id);
            }
            d.clients.push((at.clone(), c.clone()));
            Ok(ClientRef {
                at,
                display_name: c.display_name,
            })
        })
    }

    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        self.call("find_items");
        self.with(|d| {
            Ok(keys
                .iter()
                .map(|k| {
                    d.items
                        .iter()
                        .find(|i| match k {
                            ItemKey::Sku(s) => i.sku.as_ref() == Some(s),
                            ItemKey::Name(n) => &i.name == n,
                        })
                        .cloned()
                })
                .collect())
        })
    }

    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        self.call("create_item");
        self.with(|d| Self::make_item(d, item))
    }

    /// One call for at most `batch_size` items (as Business Central's `$batch` and QBO's
    /// `/batch`), one answer per item; a larger batch is refused whole.
    async fn create_items(&self, items: &[NewItem]) -> Vec<Result<ItemRef>> {
        self.call("create_items");
        let max = self.capabilities().batch_size;
        self.with(|d| {
            d.item_batches.push(items.len());
            if items.len() > max {
                return items
                    .iter()
                    .map(|_| {
                        Err(Error::new(
                            ErrorKind::Invalid,
                            format!("{} items in one batch; at most {max}", items.len()),
                        ))
                    })
                    .collect();
            }
            items.iter().map(|i| Self::make_item(d, i)).collect()
        })
    }

    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        self.call("find_document");
        self.with(|d| {
            Ok(d.documents
                .iter()
                .find(|s| &s.doc.import_id == import_id)
                .map(Self::to_document))
        })
    }

    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        self.call("post_sales_document");
        self.with(|d| {
            for t in &doc.taxes {
                Self::check_catalog(d, "tax code", "tax_codes", &t.tax_code)?;
            }
            if d.refuse_currencies.contains(&doc.currency) {
                return Err(Error::mapping(vec![bc_core::MappingIssue::new(
                    Some(&doc.order_id),
                    bc_core::IssueCode::CurrencyNotEnabled,
                    None,
                    format!("the ledger does not accept documents in {}", doc.currency),
                )]));
            }
            let mut at = d.next("D");
            if let bc_core::DocNumber::Fixed(n) = &doc.number {
                at = at.with_number(n.clone());
            }
            d.documents.push(StoredDocument {
                at: at.clone(),
                doc: doc.clone(),
                editable: true,
                status: "Open".into(),
                updates: 0,
            });
            Ok(at)
        })
    }

    /// At most [`LedgerCapabilities::orders_per_chunk`] documents per call (the engine's
    /// contract); a larger call is refused whole.
    async fn post_sales_documents(&self, docs: &[SalesDocument]) -> Vec<Result<LedgerRef>> {
        let max = self.capabilities().orders_per_chunk();
        self.with(|d| d.batches.push(docs.len()));
        if docs.len() > max {
            return docs
                .iter()
                .map(|_| {
                    Err(Error::new(
                        ErrorKind::Invalid,
                        format!("{} documents in one batch; at most {max}", docs.len()),
                    ))
                })
                .collect();
        }
        let mut out = Vec::with_capacity(docs.len());
        for doc in docs {
            out.push(self.post_sales_document(doc).await);
        }
        out
    }

    async fn update_sales_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        self.call("update_sales_document");
        self.with(|d| {
            let s = d
                .documents
                .iter_mut()
                .find(|s| s.at.id == at.id)
                .ok_or_else(|| {
                    Error::new(ErrorKind::NotFound, format!("document {at} not found"))
                })?;
            if !s.editable {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("document {at} is closed"),
                ));
            }
            s.doc = doc.clone();
            s.updates += 1;
            s.at.version = Some(s.updates.to_string());
            Ok(s.at.clone())
        })
    }

    async fn post_receipt(&self, receipt: &Receipt) -> Result<LedgerRef> {
        self.call("post_receipt");
        self.with(|d| {
            Self::check_catalog(d, "receipt type", "receipt_types", &receipt.receipt_type)?;
            Self::check_catalog(d, "deposit account", "accounts", &receipt.deposit_account)?;
            let key = (receipt.import_id.to_string(), receipt.sequence);
            if let Some((at, _)) = d.receipts.get(&key) {
                return Ok(at.clone());
            }
            let at = d.next("R");
            d.receipts.insert(key, (at.clone(), receipt.clone()));
            Ok(at)
        })
    }

    async fn find_receipt(&self, receipt: &Receipt) -> Result<Option<LedgerRef>> {
        self.call("find_receipt");
        self.with(|d| {
            let key = (receipt.import_id.to_string(), receipt.sequence);
            Ok(d.receipts.get(&key).map(|(at, _)| at.clone()))
        })
    }

    async fn post_credit_memo(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        self.call("post_credit_memo");
        self.with(|d| {
            let at = d.next("M");
            d.credit_memos.push((at.clone(), memo.clone()));
            Ok(at)
        })
    }

    async fn post_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        self.call("post_journal");
        if !entry.is_balanced() {
            return Err(Error::new(ErrorKind::Invalid, "journal does not balance"));
        }
        self.with(|d| {
            let at = d.next("J");
            d.journals.push((at.clone(), entry.clone()));
            Ok(at)
        })
    }

    async fn find_credit_memo(
        &self,
        import_id: &ImportId,
        refund_id: &RefundId,
    ) -> Result<Option<LedgerRef>> {
        self.call("find_credit_memo");
        self.with(|d| {
            Ok(d.credit_memos
                .iter()
                .find(|(_, m)| &m.import_id == import_id && m.refund_id == refund_id.as_str())
                .map(|(at, _)| at.clone()))
        })
    }

    async fn find_journal(&self, key: &JournalKey) -> Result<Option<LedgerRef>> {
        self.call("find_journal");
        self.with(|d| {
            Ok(d.journals
                .iter()
                .find(|(_, j)| &j.key == key)
                .map(|(at, _)| at.clone()))
        })
    }

    async fn shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        self.call("shipments");
        self.with(|d| {
            let start = offset(since);
            let items: Vec<LedgerShipment> = d.shipments.iter().skip(start).cloned().collect();
            let next = (!items.is_empty()).then(|| Cursor((start + items.len()).to_string()));
            Ok(Page::new(items, next))
        })
    }

    async fn availability(&self, warehouse: &str, _since: &Cursor) -> Result<Page<InventoryLevel>> {
        self.call("availability");
        self.with(|d| {
            Ok(Page::last(
                d.availability
                    .get(warehouse)
                    .map(|m| {
                        m.iter()
                            .map(|(sku, q)| InventoryLevel {
                                sku: sku.clone(),
                                available: *q,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ))
        })
    }

    async fn document_statuses(&self, since: &Cursor) -> Result<Page<DocumentStatus>> {
        self.call("document_statuses");
        self.with(|d| {
            let start = offset(since);
            let items: Vec<DocumentStatus> =
                d.document_statuses.iter().skip(start).cloned().collect();
            let next = (!items.is_empty()).then(|| Cursor((start + items.len()).to_string()));
            Ok(Page::new(items, next))
        })
    }

    async fn set_document_status(&self, at: &LedgerRef, status: &str) -> Result<()> {
        self.call("set_document_status");
        self.with(|d| {
            if let Some(s) = d.documents.iter_mut().find(|s| s.at.id == at.id) {
                s.status = status.to_string();
            }
            d.statuses_set.push((at.clone(), status.to_string()));
            Ok(())
        })
    }

    async fn new_orders(&self, since: &Cursor) -> Result<Page<LedgerOrder>> {
        self.call("new_orders");
        self.with(|d| {
            let start = offset(since);
            let items: Vec<LedgerOrder> = d.new_orders.iter().skip(start).cloned().collect();
            let next = (!items.is_empty()).then(|| Cursor((start + items.len()).to_string()));
            Ok(Page::new(items, next))
        })
    }

    async fn catalog(&self) -> Result<LedgerCatalog> {
        self.call("catalog");
        match self.with(|d| d.catalog.clone()) {
            Some(c) => Ok(c),
            None => Err(self.unsupported("listing tax codes, accounts and receipt types")),
        }
    }

    async fn link_storefront_order(
        &self,
        at: &LedgerRef,
        storefront_order: &OrderId,
    ) -> Result<()> {
        self.call("link_storefront_order");
        self.with(|d| {
            d.links.push((at.clone(), storefront_order.to_string()));
            if let Some(o) = d.new_orders.iter_mut().find(|o| o.at.id == at.id) {
                o.storefront_order = Some(storefront_order.clone());
            }
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

/// A fault to inject into one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Fail before the call reaches the platform (nothing applied), with this kind.
    Fail(ErrorKind),
    /// Apply the write, then answer `OutcomeUnknown` (a timeout after commit).
    AppliedThenUnknown,
    /// Crash before the call: the future never completes (the test drops the engine).
    CrashBefore,
    /// Apply the write, then crash.
    CrashAfter,
}

/// A seeded, deterministic fault plan shared by fault-injecting wrappers.
pub struct FaultPlan {
    state: Mutex<PlanState>,
    tripped: AtomicBool,
    notify: Notify,
}

struct PlanState {
    rng: u64,
    rate_per_mille: u32,
    scripted: BTreeMap<String, Vec<Fault>>,
    crash_at_call: Option<u64>,
    calls: u64,
    injected: u64,
}

impl FaultPlan {
    /// A plan with random faults at `rate_per_mille` ‰ of calls, seeded.
    pub fn new(seed: u64, rate_per_mille: u32) -> Arc<Self> {
        Arc::new(FaultPlan {
            state: Mutex::new(PlanState {
                rng: seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1),
                rate_per_mille,
                scripted: BTreeMap::new(),
                crash_at_call: None,
                calls: 0,
                injected: 0,
            }),
            tripped: AtomicBool::new(false),
            notify: Notify::new(),
        })
    }

    /// Queues faults for the next calls of method `op` (e.g. `"post_sales_document"`).
    pub fn script(&self, op: &str, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.state)
            .scripted
            .entry(op.to_string())
            .or_default()
            .extend(faults);
    }

    /// Crashes at the `n`-th call from now (counting every method), and re-arms the trip.
    pub fn crash_after_calls(&self, n: u64) {
        let mut s = lock(&self.state);
        s.crash_at_call = Some(s.calls + n.max(1));
        self.tripped.store(false, Ordering::SeqCst);
    }

    /// Changes the random fault rate.
    pub fn set_rate(&self, rate_per_mille: u32) {
        lock(&self.state).rate_per_mille = rate_per_mille;
    }

    /// How many faults were injected.
    pub fn injected(&self) -> u64 {
        lock(&self.state).injected
    }

    /// How many calls passed through.
    pub fn calls(&self) -> u64 {
        lock(&self.state).calls
    }

    /// A pseudo-random number below `n` from the plan's generator.
    pub fn next_below(&self, n: u64) -> u64 {
        let mut s = lock(&self.state);
        next_rand(&mut s.rng) % n.max(1)
    }

    /// Resolves once a crash fault has fired.
    pub async fn crashed(&self) {
        loop {
            let notified = self.notify.notified();
            if self.tripped.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }

    fn decide(&self, op: &str, write: bool) -> Option<Fault> {
        let mut s = lock(&self.state);
        s.calls += 1;
        let fault = if s.crash_at_call == Some(s.calls) {
            s.crash_at_call = None;
            let coin = next_rand(&mut s.rng) % 2;
            Some(if write && coin == 0 {
                Fault::CrashAfter
            } else {
                Fault::CrashBefore
            })
        } else if let Some(f) = s
            .scripted
            .get_mut(op)
            .filter(|q| !q.is_empty())
            .map(|q| q.remove(0))
        {
            Some(f)
        } else if s.rate_per_mille > 0 && next_rand(&mut s.rng) % 1000 < u64::from(s.rate_per_mille)
        {
            let r = next_rand(&mut s.rng) % 3;
            Some(match (write, r) {
                (true, 0) => Fault::AppliedThenUnknown,
                (_, 1) => Fault::Fail(ErrorKind::RateLimited),
                _ => Fault::Fail(ErrorKind::Unavailable),
            })
        } else {
            None
        };
        if fault.is_some() {
            s.injected += 1;
        }
        fault
    }

    fn trip(&self) {
        self.tripped.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Runs `call` under the plan.
    pub async fn apply<T, F>(&self, op: &str, write: bool, call: F) -> Result<T>
    where
        F: Future<Output = Result<T>>,
    {
        match self.decide(op, write) {
            None => call.await,
            Some(Fault::Fail(kind)) => Err(match kind {
                ErrorKind::RateLimited => {
                    Error::rate_limited(Some(std::time::Duration::from_millis(1)))
                }
                k => Error::new(k, format!("injected fault in {op}")),
            }),
            Some(Fault::AppliedThenUnknown) => {
                let _ = call.await;
                Err(Error::new(
                    ErrorKind::OutcomeUnknown,
                    format!("injected: {op} applied, response lost"),
                ))
            }
            Some(Fault::CrashBefore) => {
                self.trip();
                std::future::pending().await
            }
            Some(Fault::CrashAfter) => {
                let _ = call.await;
                self.trip();
                std::future::pending().await
            }
        }
    }
}

fn next_rand(state: &mut u64) -> u64 {
    // xorshift64*
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// Any ledger with faults injected by a [`FaultPlan`] (writes may be applied and then report
/// `OutcomeUnknown`; crashes never return).
pub struct FaultyLedger {
    inner: Arc<dyn Ledger>,
    plan: Arc<FaultPlan>,
}

impl FaultyLedger {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Ledger>, plan: Arc<FaultPlan>) -> Self {
        FaultyLedger { inner, plan }
    }
}

#[async_trait]
impl Ledger for FaultyLedger {
    fn capabilities(&self) -> LedgerCapabilities {
        self.inner.capabilities()
    }
    async fn find_client(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        self.plan
            .apply("find_client", false, self.inner.find_client(key))
            .await
    }
    async fn create_client(&self, client: &Client) -> Result<ClientRef> {
        self.plan
            .apply("create_client", true, self.inner.create_client(client))
            .await
    }
    /// Keys one at a time, each with its faults.
    async fn find_clients(&self, keys: &[ClientKey]) -> Vec<Result<Option<ClientRef>>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.find_client(k).await);
        }
        out
    }
    /// Clients one at a time, each with its faults.
    async fn create_clients(&self, clients: &[Client]) -> Vec<Result<ClientRef>> {
        let mut out = Vec::with_capacity(clients.len());
        for c in clients {
            out.push(self.create_client(c).await);
        }
        out
    }
    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        self.plan
            .apply("find_items", false, self.inner.find_items(keys))
            .await
    }
    async fn catalog(&self) -> Result<LedgerCatalog> {
        self.plan
            .apply("catalog", false, self.inner.catalog())
            .await
    }
    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        self.plan
            .apply("create_item", true, self.inner.create_item(item))
            .await
    }
    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        self.plan
            .apply("find_document", false, self.inner.find_document(import_id))
            .await
    }
    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        self.plan
            .apply(
                "post_sales_document",
                true,
                self.inner.post_sales_document(doc),
            )
            .await
    }
    /// A batch of one is the single call (with its faults); larger batches get faults of
    /// `post_sales_documents` as a whole.
    async fn post_sales_documents(&self, docs: &[SalesDocument]) -> Vec<Result<LedgerRef>> {
        let n = docs.len();
        if let [one] = docs {
            return vec![self.post_sales_document(one).await];
        }
        match self
            .plan
            .apply("post_sales_documents", true, async {
                Ok(self.inner.post_sales_documents(docs).await)
            })
            .await
        {
            Ok(v) => v,
            Err(e) => (0..n).map(|_| Err(e.clone())).collect(),
        }
    }
    async fn update_sales_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        self.plan
            .apply(
                "update_sales_document",
                true,
                self.inner.update_sales_document(at, doc),
            )
            .await
    }
    async fn post_receipt(&self, receipt: &Receipt) -> Result<LedgerRef> {
        self.plan
            .apply("post_receipt", true, self.inner.post_receipt(receipt))
            .await
    }
    async fn find_receipt(&self, receipt: &Receipt) -> Result<Option<LedgerRef>> {
        self.plan
            .apply("find_receipt", false, self.inner.find_receipt(receipt))
            .await
    }
    /// Receipts one at a time, each with its faults.
    async fn post_receipts(&self, receipts: &[Receipt]) -> Vec<Result<LedgerRef>> {
        let mut out = Vec::with_capacity(receipts.len());
        for r in receipts {
            out.push(self.post_receipt(r).await);
        }
        out
    }
    async fn find_documents(&self, ids: &[ImportId]) -> Vec<Result<Option<LedgerDocument>>> {
        match self
            .plan
            .apply("find_documents", false, async {
                Ok(self.inner.find_documents(ids).await)
            })
            .await
        {
            Ok(v) => v,
            Err(e) => ids.iter().map(|_| Err(e.clone())).collect(),
        }
    }
    /// A batch of one is the single call (with its faults); larger batches get faults of
    /// `create_items` as a whole.
    async fn create_items(&self, items: &[NewItem]) -> Vec<Result<ItemRef>> {
        let n = items.len();
        if let [one] = items {
            return vec![self.create_item(one).await];
        }
        match self
            .plan
            .apply("create_items", true, async {
                Ok(self.inner.create_items(items).await)
            })
            .await
        {
            Ok(v) => v,
            Err(e) => (0..n).map(|_| Err(e.clone())).collect(),
        }
    }
    async fn documents_total(&self, import_ids: &[ImportId]) -> Result<Decimal> {
        self.plan
            .apply(
                "documents_total",
                false,
                self.inner.documents_total(import_ids),
            )
            .await
    }
    async fn post_credit_memo(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        self.plan
            .apply("post_credit_memo", true, self.inner.post_credit_memo(memo))
            .await
    }
    async fn post_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        self.plan
            .apply("post_journal", true, self.inner.post_journal(entry))
            .await
    }
    async fn find_credit_memo(
        &self,
        import_id: &ImportId,
        refund_id: &RefundId,
    ) -> Result<Option<LedgerRef>> {
        self.plan
            .apply(
                "find_credit_memo",
                false,
                self.inner.find_credit_memo(import_id, refund_id),
            )
            .await
    }
    async fn find_journal(&self, key: &JournalKey) -> Result<Option<LedgerRef>> {
        self.plan
            .apply("find_journal", false, self.inner.find_journal(key))
            .await
    }
    async fn shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        self.plan
            .apply("shipments", false, self.inner.shipments(since))
            .await
    }
    async fn availability(&self, warehouse: &str, since: &Cursor) -> Result<Page<InventoryLevel>> {
        self.plan
            .apply(
                "availability",
                false,
                self.inner.availability(warehouse, since),
            )
            .await
    }
    async fn document_statuses(&self, since: &Cursor) -> Result<Page<DocumentStatus>> {
        self.plan
            .apply(
                "document_statuses",
                false,
                self.inner.document_statuses(since),
            )
            .await
    }
    async fn set_document_status(&self, at: &LedgerRef, status: &str) -> Result<()> {
        self.plan
            .apply(
                "set_document_status",
                true,
                self.inner.set_document_status(at, status),
            )
            .await
    }
    async fn new_orders(&self, since: &Cursor) -> Result<Page<LedgerOrder>> {
        self.plan
            .apply("new_orders", false, self.inner.new_orders(since))
            .await
    }
    async fn link_storefront_order(
        &self,
        at: &LedgerRef,
        storefront_order: &OrderId,
    ) -> Result<()> {
        self.plan
            .apply(
                "link_storefront_order",
                true,
                self.inner.link_storefront_order(at, storefront_order),
            )
            .await
    }
}

/// Any storefront with faults injected by a [`FaultPlan`].
pub struct FaultyStorefront {
    inner: Arc<dyn Storefront>,
    plan: Arc<FaultPlan>,
}

impl FaultyStorefront {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Storefront>, plan: Arc<FaultPlan>) -> Self {
        FaultyStorefront { inner, plan }
    }
}

#[async_trait]
impl Storefront for FaultyStorefront {
    fn capabilities(&self) -> StorefrontCapabilities {
        self.inner.capabilities()
    }
    async fn orders(&self, query: &OrderQuery) -> Result<Page<Order>> {
        self.plan
            .apply("orders", false, self.inner.orders(query))
            .await
    }
    async fn order(&self, id: &OrderId) -> Result<Order> {
        self.plan.apply("order", false, self.inner.order(id)).await
    }
    async fn set_order_status(&self, id: &OrderId, status: &StatusId) -> Result<()> {
        self.plan
            .apply(
                "set_order_status",
                true,
                self.inner.set_order_status(id, status),
            )
            .await
    }
    async fn create_shipment(&self, id: &OrderId, shipment: &Shipment) -> Result<ShipmentRef> {
        self.plan
            .apply(
                "create_shipment",
                true,
                self.inner.create_shipment(id, shipment),
            )
            .await
    }
    async fn find_shipment(
        &self,
        id: &OrderId,
        shipment: &Shipment,
    ) -> Result<Option<ShipmentRef>> {
        self.plan
            .apply(
                "find_shipment",
                false,
                self.inner.find_shipment(id, shipment),
            )
            .await
    }
    async fn find_order_by_reference(&self, ledger_number: &str) -> Result<Option<OrderId>> {
        self.plan
            .apply(
                "find_order_by_reference",
                false,
                self.inner.find_order_by_reference(ledger_number),
            )
            .await
    }
    async fn set_inventory(&self, levels: &[InventoryLevel]) -> Result<()> {
        self.plan
            .apply("set_inventory", true, self.inner.set_inventory(levels))
            .await
    }
    /// Batches one call at a time, each with its faults.
    async fn set_inventory_batched(&self, levels: &[InventoryLevel]) -> Vec<Result<()>> {
        let size = self.capabilities().inventory_batch_size.max(1);
        let mut out = Vec::new();
        for chunk in levels.chunks(size) {
            out.push(self.set_inventory(chunk).await);
        }
        out
    }
    async fn refunds(&self, query: &RefundQuery) -> Result<Page<Refund>> {
        self.plan
            .apply("refunds", false, self.inner.refunds(query))
            .await
    }
    async fn payouts(&self, query: &PayoutQuery) -> Result<Page<Payout>> {
        self.plan
            .apply("payouts", false, self.inner.payouts(query))
            .await
    }
    async fn create_order(&self, order: &NewOrder) -> Result<OrderId> {
        self.plan
            .apply("create_order", true, self.inner.create_order(order))
            .await
    }
    async fn statuses(&self) -> Result<Vec<OrderStatus>> {
        self.plan
            .apply("statuses", false, self.inner.statuses())
            .await
    }
}
