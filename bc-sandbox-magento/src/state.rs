//! The store's in-memory state: orders with their items, invoices, shipments, credit memos,
//! customers, the catalog, MSI source items and async bulks. Plain data; the resource modules
//! render it in Magento's shapes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

/// The clock changes are stamped with.
#[derive(Clone, Debug)]
pub enum Clock {
    /// Wall clock.
    System,
    /// Starts at a fixed instant and advances one second per reading (deterministic tests).
    Fixed(DateTime<Utc>),
}

/// One tax rate applied to an amount (`applied_taxes` / `item_applied_taxes`).
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedTax {
    /// Rate code (`"US-CA-*-Rate 1"`).
    pub code: String,
    /// Title shown to the shopper.
    pub title: String,
    /// Percent.
    pub percent: Decimal,
    /// Amount in the order currency.
    pub amount: Decimal,
}

/// An order or customer address.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Address {
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Company.
    pub company: String,
    /// Street lines.
    pub street: Vec<String>,
    /// City.
    pub city: String,
    /// Region name.
    pub region: String,
    /// Region code.
    pub region_code: String,
    /// Postcode.
    pub postcode: String,
    /// ISO country code.
    pub country_id: String,
    /// Telephone (required by Magento).
    pub telephone: String,
    /// E-mail.
    pub email: String,
}

/// One order item (simple products only).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// `item_id`.
    pub item_id: u64,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Catalog product id.
    pub product_id: u64,
    /// Quantity ordered.
    pub qty_ordered: Decimal,
    /// Quantity invoiced.
    pub qty_invoiced: Decimal,
    /// Quantity shipped.
    pub qty_shipped: Decimal,
    /// Quantity refunded.
    pub qty_refunded: Decimal,
    /// Quantity canceled.
    pub qty_canceled: Decimal,
    /// Unit price excluding tax (order currency).
    pub price: Decimal,
    /// Discount on the row (positive, order currency).
    pub discount_amount: Decimal,
    /// Cart rule ids that discounted the row (`"3,7"`).
    pub applied_rule_ids: String,
    /// Tax rates on the row (after discount); their sum is the row's `tax_amount`.
    pub taxes: Vec<AppliedTax>,
}

impl Item {
    /// `row_total`: price × qty.
    pub fn row_total(&self) -> Decimal {
        crate::wire::round(self.price * self.qty_ordered, 2)
    }
    /// `tax_amount` of the row.
    pub fn tax_amount(&self) -> Decimal {
        self.taxes.iter().map(|t| t.amount).sum()
    }
    /// `tax_percent` (sum of the rates).
    pub fn tax_percent(&self) -> Decimal {
        self.taxes.iter().map(|t| t.percent).sum()
    }
    /// Quantity still to ship.
    pub fn qty_to_ship(&self) -> Decimal {
        self.qty_ordered - self.qty_shipped - self.qty_refunded - self.qty_canceled
    }
    /// Quantity still to invoice.
    pub fn qty_to_invoice(&self) -> Decimal {
        self.qty_ordered - self.qty_invoiced - self.qty_canceled
    }
    /// Quantity that can still be refunded.
    pub fn qty_to_refund(&self) -> Decimal {
        self.qty_invoiced - self.qty_refunded
    }
}

/// A comment of the order's status history.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// Id.
    pub entity_id: u64,
    /// Comment text.
    pub comment: String,
    /// The status the order had (or was set to) with the comment.
    pub status: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Customer notified.
    pub is_customer_notified: bool,
    /// Visible on the storefront.
    pub is_visible_on_front: bool,
    /// `order`, `invoice`, `shipment`, `creditmemo`.
    pub entity_name: String,
}

/// A gift card account redeemed on an order (Adobe Commerce).
#[derive(Clone, Debug, PartialEq)]
pub struct GiftCard {
    /// Account id.
    pub id: u64,
    /// Code.
    pub code: String,
    /// Amount in the order currency.
    pub amount: Decimal,
}

/// An order (`sales_order`).
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    /// `entity_id`.
    pub entity_id: u64,
    /// `increment_id` (the number people see).
    pub increment_id: String,
    /// Store view id.
    pub store_id: u32,
    /// State (`new`, `processing`, `complete`, `closed`, `canceled`, `holded`).
    pub state: String,
    /// Status.
    pub status: String,
    /// State before hold.
    pub hold_before_state: Option<String>,
    /// Status before hold.
    pub hold_before_status: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Updated.
    pub updated_at: DateTime<Utc>,
    /// Customer id (`None` for guests).
    pub customer_id: Option<u64>,
    /// E-mail.
    pub customer_email: String,
    /// First name.
    pub customer_firstname: String,
    /// Last name.
    pub customer_lastname: String,
    /// Customer group (0 = NOT LOGGED IN).
    pub customer_group_id: u32,
    /// B2B company (id, name).
    pub company: Option<(u64, String)>,
    /// Base currency of the website.
    pub base_currency: String,
    /// The currency the shopper paid in.
    pub order_currency: String,
    /// Order-currency units per base unit.
    pub base_to_order_rate: Decimal,
    /// Items.
    pub items: Vec<Item>,
    /// Billing address.
    pub billing: Address,
    /// Shipping address (`None` for virtual orders).
    pub shipping: Option<Address>,
    /// Shipping method code (`flatrate_flatrate`).
    pub shipping_method: String,
    /// Shipping description (`Flat Rate - Fixed`).
    pub shipping_description: String,
    /// Shipping excluding tax.
    pub shipping_amount: Decimal,
    /// Shipping tax rates.
    pub shipping_taxes: Vec<AppliedTax>,
    /// Discount label (`discount_description`).
    pub discount_description: Option<String>,
    /// Coupon code.
    pub coupon_code: Option<String>,
    /// Gift cards redeemed.
    pub gift_cards: Vec<GiftCard>,
    /// Store credit (customer balance) used.
    pub customer_balance: Decimal,
    /// Payment method code (`checkmo`, `braintree`, `purchaseorder`…).
    pub payment_method: String,
    /// Gateway transaction id.
    pub last_trans_id: Option<String>,
    /// Amount paid (invoiced and captured).
    pub total_paid: Decimal,
    /// Amount refunded offline.
    pub total_offline_refunded: Decimal,
    /// External order id (ERP-originated orders).
    pub ext_order_id: Option<String>,
    /// Status history, newest last.
    pub histories: Vec<History>,
    /// A raw payload that replaces the rendering (a malformed order, for tests).
    pub raw_override: Option<Value>,
}

impl Order {
    /// `subtotal`.
    pub fn subtotal(&self) -> Decimal {
        self.items.iter().map(Item::row_total).sum()
    }
    /// Σ item discounts (positive; the order's `discount_amount` is its negative).
    pub fn discount(&self) -> Decimal {
        self.items.iter().map(|i| i.discount_amount).sum()
    }
    /// `shipping_tax_amount`.
    pub fn shipping_tax(&self) -> Decimal {
        self.shipping_taxes.iter().map(|t| t.amount).sum()
    }
    /// `tax_amount`.
    pub fn tax_amount(&self) -> Decimal {
        self.items.iter().map(Item::tax_amount).sum::<Decimal>() + self.shipping_tax()
    }
    /// `gift_cards_amount`.
    pub fn gift_cards_amount(&self) -> Decimal {
        self.gift_cards.iter().map(|g| g.amount).sum()
    }
    /// `grand_total`: what the payment method charges, after gift cards and store credit.
    pub fn grand_total(&self) -> Decimal {
        self.subtotal() - self.discount() + self.shipping_amount + self.tax_amount()
            - self.gift_cards_amount()
            - self.customer_balance
    }
    /// An order-currency amount in the base currency.
    pub fn base(&self, amount: Decimal) -> Decimal {
        if self.base_to_order_rate.is_zero() {
            return amount;
        }
        crate::wire::round(amount / self.base_to_order_rate, 2)
    }
    /// Whether every item is fully shipped (or refunded / canceled).
    pub fn fully_shipped(&self) -> bool {
        self.items.iter().all(|i| i.qty_to_ship() <= Decimal::ZERO)
    }
    /// Whether every item is fully invoiced.
    pub fn fully_invoiced(&self) -> bool {
        self.items
            .iter()
            .all(|i| i.qty_to_invoice() <= Decimal::ZERO)
    }
}

/// An invoice.
#[derive(Clone, Debug, PartialEq)]
pub struct Invoice {
    /// Id.
    pub entity_id: u64,
    /// Number.
    pub increment_id: String,
    /// Order.
    pub order_id: u64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// (order item id, qty, row subtotal, row tax, row discount).
    pub items: Vec<(u64, Decimal, Decimal, Decimal, Decimal)>,
    /// Shipping invoiced.
    pub shipping_amount: Decimal,
    /// Shipping tax invoiced.
    pub shipping_tax: Decimal,
    /// Grand total.
    pub grand_total: Decimal,
}

/// A shipment track.
#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    /// Id.
    pub entity_id: u64,
    /// Tracking number.
    pub track_number: String,
    /// Title (`"United Parcel Service"`).
    pub title: String,
    /// Carrier code (`ups`, `fedex`, `usps`, `dhl`, `custom`).
    pub carrier_code: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A shipment.
#[derive(Clone, Debug, PartialEq)]
pub struct Shipment {
    /// Id.
    pub entity_id: u64,
    /// Number.
    pub increment_id: String,
    /// Order.
    pub order_id: u64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// (order item id, sku, name, qty).
    pub items: Vec<(u64, String, String, Decimal)>,
    /// Tracks.
    pub tracks: Vec<Track>,
    /// Comments.
    pub comments: Vec<String>,
}

/// A credit memo line.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoItem {
    /// Order item.
    pub order_item_id: u64,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Quantity.
    pub qty: Decimal,
    /// Unit price ex tax.
    pub price: Decimal,
    /// Row total ex tax (before discount).
    pub row_total: Decimal,
    /// Row tax.
    pub tax_amount: Decimal,
    /// Row discount (positive).
    pub discount_amount: Decimal,
    /// Back to stock.
    pub back_to_stock: bool,
}

/// A credit memo (offline refund).
#[derive(Clone, Debug, PartialEq)]
pub struct CreditMemo {
    /// Id.
    pub entity_id: u64,
    /// Number.
    pub increment_id: String,
    /// Order.
    pub order_id: u64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Lines.
    pub items: Vec<MemoItem>,
    /// Shipping refunded ex tax.
    pub shipping_amount: Decimal,
    /// Shipping tax refunded.
    pub shipping_tax: Decimal,
    /// Adjustment refund (positive).
    pub adjustment_positive: Decimal,
    /// Adjustment fee (positive, subtracted).
    pub adjustment_negative: Decimal,
    /// Comment.
    pub comment: Option<String>,
    /// Gift cards and store credit given back to their accounts (not part of `grand_total`).
    pub tenders_refunded: Decimal,
}

impl CreditMemo {
    /// `subtotal`.
    pub fn subtotal(&self) -> Decimal {
        self.items.iter().map(|i| i.row_total).sum()
    }
    /// `tax_amount`.
    pub fn tax_amount(&self) -> Decimal {
        self.items.iter().map(|i| i.tax_amount).sum::<Decimal>() + self.shipping_tax
    }
    /// `discount_amount` (positive here; negative on the wire).
    pub fn discount(&self) -> Decimal {
        self.items.iter().map(|i| i.discount_amount).sum()
    }
    /// `grand_total`.
    pub fn grand_total(&self) -> Decimal {
        self.subtotal() - self.discount()
            + self.shipping_amount
            + self.tax_amount()
            + self.adjustment_positive
            - self.adjustment_negative
            - self.tenders_refunded
    }
}

/// A customer.
#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    /// Id.
    pub id: u64,
    /// E-mail.
    pub email: String,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Group (1 General, 2 Wholesale, 3 Retailer).
    pub group_id: u32,
    /// Website.
    pub website_id: u32,
    /// Store view.
    pub store_id: u32,
    /// Default billing address.
    pub address: Address,
    /// Company (B2B).
    pub company: Option<(u64, String)>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A catalog product (simple).
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    /// Id.
    pub id: u64,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Price in the base currency.
    pub price: Decimal,
    /// Tax class id (2 Taxable Goods).
    pub tax_class_id: u32,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// One operation of an async bulk.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// Index in the request (`operation_key`).
    pub id: u64,
    /// 1 complete, 2 retriably failed, 3 not retriably failed, 4 open, 5 rejected.
    pub status: u8,
    /// Error message of a failed operation.
    pub result_message: Option<String>,
    /// Error code of a failed operation.
    pub error_code: Option<u32>,
    /// The request item as received.
    pub serialized_data: Value,
}

/// An async bulk (`magento_bulk`).
#[derive(Clone, Debug, PartialEq)]
pub struct Bulk {
    /// UUID.
    pub uuid: String,
    /// Description (the topic).
    pub description: String,
    /// Started.
    pub start_time: DateTime<Utc>,
    /// Admin user id.
    pub user_id: u64,
    /// Operations.
    pub operations: Vec<Operation>,
    /// Status reads left before the consumer has processed the bulk.
    pub reads_until_processed: u32,
}

/// Everything the sandbox holds.
#[derive(Debug)]
pub struct Store {
    /// Orders by id.
    pub orders: BTreeMap<u64, Order>,
    /// Invoices by id.
    pub invoices: BTreeMap<u64, Invoice>,
    /// Shipments by id.
    pub shipments: BTreeMap<u64, Shipment>,
    /// Credit memos by id.
    pub creditmemos: BTreeMap<u64, CreditMemo>,
    /// Customers by id.
    pub customers: BTreeMap<u64, Customer>,
    /// Products by SKU.
    pub products: BTreeMap<String, Product>,
    /// MSI source items: (sku, source code) → (quantity, status).
    pub source_items: BTreeMap<(String, String), (Decimal, u8)>,
    /// Source codes that exist.
    pub sources: Vec<String>,
    /// Bulks by uuid.
    pub bulks: BTreeMap<String, Bulk>,
    /// Admin tokens issued: token → (user, expires).
    pub admin_tokens: BTreeMap<String, (String, DateTime<Utc>)>,
    /// Failed admin logins: user → (count, locked until).
    pub login_failures: BTreeMap<String, (u32, Option<DateTime<Utc>>)>,
    /// The clock.
    pub clock: Clock,
    /// Generated orders so far.
    pub generated: u64,
    next_ids: BTreeMap<&'static str, u64>,
}

impl Store {
    /// An empty store.
    pub fn new(clock: Clock) -> Self {
        Store {
            orders: BTreeMap::new(),
            invoices: BTreeMap::new(),
            shipments: BTreeMap::new(),
            creditmemos: BTreeMap::new(),
            customers: BTreeMap::new(),
            products: BTreeMap::new(),
            source_items: BTreeMap::new(),
            sources: vec![
                "default".into(),
                "warehouse_east".into(),
                "warehouse_west".into(),
            ],
            bulks: BTreeMap::new(),
            admin_tokens: BTreeMap::new(),
            login_failures: BTreeMap::new(),
            clock,
            generated: 0,
            next_ids: BTreeMap::new(),
        }
    }

    /// The time now (a fixed clock advances one second per reading).
    pub fn now(&mut self) -> DateTime<Utc> {
        match &mut self.clock {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => {
                let out = *t;
                *t += Duration::seconds(1);
                out
            }
        }
    }

    /// The next id of a kind (`"order"`, `"item"`, `"invoice"` …), from 1.
    pub fn next_id(&mut self, kind: &'static str) -> u64 {
        let n = self.next_ids.entry(kind).or_insert(0);
        *n += 1;
        *n
    }

    /// Marks an order changed now (never earlier than it already says).
    pub fn touch(&mut self, order_id: u64) {
        let now = self.now();
        if let Some(o) = self.orders.get_mut(&order_id) {
            if now > o.updated_at {
                o.updated_at = now;
            }
        }
    }
}

/// The store behind a mutex, shared by handlers.
#[derive(Clone, Debug)]
pub struct Shared(Arc<Mutex<Store>>);

impl Shared {
    /// Wraps a store.
    pub fn new(store: Store) -> Self {
        Shared(Arc::new(Mutex::new(store)))
    }

    /// Locks it (a poisoned lock is reused: a test double prefers that to a cascade).
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
