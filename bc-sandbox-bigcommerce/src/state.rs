//! The store's in-memory state: orders and their sub-resources, catalog, inventory, customers,
//! refunds, webhooks. Plain data; the resource modules render it to the wire.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

/// A postal address (billing or shipping).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Address {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Company ("" for consumers).
    pub company: String,
    /// Street line 1.
    pub street_1: String,
    /// Street line 2.
    pub street_2: String,
    /// City.
    pub city: String,
    /// State or province name.
    pub state: String,
    /// Postal code.
    pub zip: String,
    /// Country name.
    pub country: String,
    /// ISO 3166-1 alpha-2.
    pub country_iso2: String,
    /// Phone.
    pub phone: String,
    /// Email.
    pub email: String,
}

/// A discount applied to one order line.
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedDiscount {
    /// `"coupon"`-style id or `"manual-discount"`.
    pub id: String,
    /// Amount off this line (tax-exclusive).
    pub amount: Decimal,
    /// Display name.
    pub name: String,
    /// Coupon code, if a coupon.
    pub code: Option<String>,
    /// `"order"` or `"product"`.
    pub target: String,
}

/// One order line (`/orders/{id}/products`).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderProduct {
    /// Order product id.
    pub id: u64,
    /// Order id.
    pub order_id: u64,
    /// Catalog product id (0 for a custom product).
    pub product_id: u64,
    /// Catalog variant id (0 for a custom product).
    pub variant_id: u64,
    /// Shipping address id this line ships to.
    pub order_address_id: u64,
    /// Name.
    pub name: String,
    /// SKU.
    pub sku: String,
    /// `physical` or `digital`.
    pub product_type: String,
    /// Brand name.
    pub brand: String,
    /// Tax class id.
    pub tax_class_id: u32,
    /// Unit price excluding tax.
    pub price_ex_tax: Decimal,
    /// Unit tax before discounts.
    pub price_tax: Decimal,
    /// Quantity ordered.
    pub quantity: u32,
    /// Line total excluding tax, before discounts.
    pub total_ex_tax: Decimal,
    /// Line tax (after discounts).
    pub total_tax: Decimal,
    /// Cost price.
    pub base_cost_price: Decimal,
    /// Weight.
    pub weight: Decimal,
    /// Gift wrapping name, if wrapped.
    pub wrapping_name: Option<String>,
    /// Wrapping message.
    pub wrapping_message: String,
    /// Wrapping cost excluding tax (whole line).
    pub wrapping_cost_ex_tax: Decimal,
    /// Wrapping tax.
    pub wrapping_cost_tax: Decimal,
    /// Discounts applied to this line.
    pub applied_discounts: Vec<AppliedDiscount>,
    /// Quantity shipped so far.
    pub quantity_shipped: u32,
    /// Quantity refunded so far.
    pub quantity_refunded: u32,
}

impl OrderProduct {
    /// Unit price including tax (before discounts).
    pub fn price_inc_tax(&self) -> Decimal {
        self.price_ex_tax + self.price_tax
    }
    /// Line total including tax (pre-discount ex-tax plus post-discount tax).
    pub fn total_inc_tax(&self) -> Decimal {
        self.total_ex_tax + self.total_tax
    }
    /// Sum of the line's applied discounts.
    pub fn discount(&self) -> Decimal {
        self.applied_discounts.iter().map(|d| d.amount).sum()
    }
    /// What the shopper paid for the line: total including tax, less every discount.
    pub fn discounted_total_inc_tax(&self) -> Decimal {
        self.total_inc_tax() - self.discount()
    }
    /// Wrapping cost including tax.
    pub fn wrapping_cost_inc_tax(&self) -> Decimal {
        self.wrapping_cost_ex_tax + self.wrapping_cost_tax
    }
}

/// A shipping address of an order (`/orders/{id}/shipping_addresses`).
#[derive(Clone, Debug, PartialEq)]
pub struct ShippingAddress {
    /// Address id (the `order_address_id` of lines and shipments).
    pub id: u64,
    /// Order id.
    pub order_id: u64,
    /// The address.
    pub address: Address,
    /// Shipping method name.
    pub shipping_method: String,
    /// Shipping cost excluding tax.
    pub cost_ex_tax: Decimal,
    /// Shipping tax.
    pub cost_tax: Decimal,
    /// Handling cost excluding tax.
    pub handling_cost_ex_tax: Decimal,
    /// Handling tax.
    pub handling_cost_tax: Decimal,
    /// Shipping zone id.
    pub shipping_zone_id: u32,
    /// Shipping zone name.
    pub shipping_zone_name: String,
}

/// A coupon redeemed on an order.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderCoupon {
    /// Row id.
    pub id: u64,
    /// Coupon id.
    pub coupon_id: u64,
    /// Order id.
    pub order_id: u64,
    /// Code.
    pub code: String,
    /// The coupon's value (10 for 10 %, 5 for $5).
    pub amount: Decimal,
    /// Type 0–5 (`per_item_discount` … `promotion`).
    pub coupon_type: u8,
    /// Amount taken off this order.
    pub discount: Decimal,
}

/// One tax amount: a tax rate applied to one line, shipping, handling or wrapping.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderTax {
    /// Row id.
    pub id: u64,
    /// Order id.
    pub order_id: u64,
    /// Address the tax belongs to.
    pub order_address_id: u64,
    /// Tax rate id.
    pub tax_rate_id: u32,
    /// Tax class id.
    pub tax_class_id: u32,
    /// Rate name.
    pub name: String,
    /// Class name.
    pub class: String,
    /// Percent.
    pub rate: Decimal,
    /// Priority.
    pub priority: u32,
    /// Amount.
    pub amount: Decimal,
    /// The order product, for item and gift-wrapping taxes.
    pub order_product_id: Option<u64>,
    /// `item`, `shipping`, `handling` or `gift-wrapping`.
    pub line_item_type: String,
}

/// Card details on a card transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    /// `visa`, `master`, `american_express`, …
    pub card_type: String,
    /// First six digits.
    pub card_iin: String,
    /// Last four digits.
    pub card_last4: String,
    /// Expiry month.
    pub card_expiry_month: u32,
    /// Expiry year.
    pub card_expiry_year: u32,
}

/// A payment transaction (`/v3/orders/{id}/transactions`).
#[derive(Clone, Debug, PartialEq)]
pub struct Transaction {
    /// Transaction id.
    pub id: u64,
    /// Order id.
    pub order_id: u64,
    /// `purchase`, `authorization`, `capture`, `refund`, `void`, `pending`, `settled`.
    pub event: String,
    /// `credit_card`, `gift_certificate`, `store_credit`, `offsite`, `offline`, `custom`.
    pub method: String,
    /// Amount.
    pub amount: Decimal,
    /// Currency code.
    pub currency: String,
    /// Gateway (`braintree`, `paypalexpress`, `giftcertificate`, `storecredit`, …).
    pub gateway: String,
    /// Gateway's transaction id.
    pub gateway_transaction_id: String,
    /// When.
    pub date_created: DateTime<Utc>,
    /// The transaction this one acts on.
    pub reference_transaction_id: Option<u64>,
    /// Card details.
    pub card: Option<Card>,
    /// Gift certificate code and balances (code, original, starting, remaining).
    pub gift_certificate: Option<(String, Decimal, Decimal, Decimal)>,
    /// Store credit remaining after the transaction.
    pub store_credit_remaining: Option<Decimal>,
    /// Offline payment display name.
    pub offline_display_name: Option<String>,
}

/// One refunded item of a refund.
#[derive(Clone, Debug, PartialEq)]
pub struct RefundItem {
    /// `PRODUCT`, `SHIPPING`, `HANDLING`, `GIFT_WRAPPING`, `ORDER`.
    pub item_type: String,
    /// Order product id, address id, or order id.
    pub item_id: u64,
    /// Quantity (PRODUCT only).
    pub quantity: Option<u32>,
    /// Amount requested (amount-bound items).
    pub requested_amount: Option<Decimal>,
    /// Reason.
    pub reason: String,
}

/// One payment of a refund.
#[derive(Clone, Debug, PartialEq)]
pub struct RefundPayment {
    /// Id.
    pub id: u64,
    /// Provider (`storecredit`, `braintree`, `custom`, …).
    pub provider_id: String,
    /// Amount.
    pub amount: Decimal,
    /// Offline.
    pub offline: bool,
}

/// A refund (`/v3/orders/{id}/payment_actions/refunds`).
#[derive(Clone, Debug, PartialEq)]
pub struct Refund {
    /// Refund id.
    pub id: u64,
    /// Order id.
    pub order_id: u64,
    /// User who made it (0 = API).
    pub user_id: u64,
    /// When.
    pub created: DateTime<Utc>,
    /// Reason.
    pub reason: String,
    /// Total refunded (2 decimals).
    pub total_amount: Decimal,
    /// Tax part of it.
    pub total_tax: Decimal,
    /// Items.
    pub items: Vec<RefundItem>,
    /// Payments.
    pub payments: Vec<RefundPayment>,
}

/// A shipment (`/orders/{id}/shipments`).
#[derive(Clone, Debug, PartialEq)]
pub struct Shipment {
    /// Shipment id.
    pub id: u64,
    /// Order id.
    pub order_id: u64,
    /// Customer id.
    pub customer_id: u64,
    /// Shipping address id.
    pub order_address_id: u64,
    /// When.
    pub date_created: DateTime<Utc>,
    /// Tracking number.
    pub tracking_number: String,
    /// Shipping method.
    pub shipping_method: String,
    /// Provider (`usps`, `ups`, `fedex`, `""`, …).
    pub shipping_provider: String,
    /// Tracking carrier.
    pub tracking_carrier: String,
    /// Custom tracking link.
    pub tracking_link: String,
    /// Comments.
    pub comments: String,
    /// Merchant shipping cost.
    pub merchant_shipping_cost: Decimal,
    /// `(order_product_id, product_id, quantity)`.
    pub items: Vec<(u64, u64, u32)>,
}

/// An order with everything hanging off it.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    /// Order id.
    pub id: u64,
    /// Customer id (0 = guest).
    pub customer_id: u64,
    /// Created.
    pub date_created: DateTime<Utc>,
    /// Last modified.
    pub date_modified: DateTime<Utc>,
    /// Shipped (fully), if so.
    pub date_shipped: Option<DateTime<Utc>>,
    /// Status id 0–14.
    pub status_id: u8,
    /// Shipping tax class id.
    pub shipping_cost_tax_class_id: u32,
    /// Handling tax class id.
    pub handling_cost_tax_class_id: u32,
    /// Wrapping tax class id.
    pub wrapping_cost_tax_class_id: u32,
    /// Order-level manual/automatic discount (tax-exclusive).
    pub discount_amount: Decimal,
    /// Coupon discount (tax-exclusive).
    pub coupon_discount: Decimal,
    /// Display name of the payment method.
    pub payment_method: String,
    /// Payment provider id (`""` for offline).
    pub payment_provider_id: String,
    /// `authorized`, `captured`, `pending`, `refunded`, `partially refunded`, …
    pub payment_status: String,
    /// Refunded so far.
    pub refunded_amount: Decimal,
    /// Paid with store credit.
    pub store_credit_amount: Decimal,
    /// Paid with gift certificates.
    pub gift_certificate_amount: Decimal,
    /// Shopper IP.
    pub ip_address: String,
    /// Transactional currency id.
    pub currency_id: u32,
    /// Transactional currency code.
    pub currency_code: String,
    /// Store default → transactional exchange rate.
    pub exchange_rate: Decimal,
    /// Staff notes.
    pub staff_notes: String,
    /// Customer message.
    pub customer_message: String,
    /// Cart id (UUID).
    pub cart_id: String,
    /// Billing address.
    pub billing_address: Address,
    /// Opted in to email.
    pub is_email_opt_in: bool,
    /// Card type, for card orders.
    pub credit_card_type: Option<String>,
    /// `www`, `manual`, `external`.
    pub order_source: String,
    /// Channel id.
    pub channel_id: u32,
    /// External source (app id), if any.
    pub external_source: Option<String>,
    /// External id, if any.
    pub external_id: Option<String>,
    /// External order id.
    pub external_order_id: String,
    /// Customer locale.
    pub customer_locale: String,
    /// Digital-only order.
    pub order_is_digital: bool,
    /// Lines.
    pub products: Vec<OrderProduct>,
    /// Shipping addresses.
    pub shipping_addresses: Vec<ShippingAddress>,
    /// Coupons.
    pub coupons: Vec<OrderCoupon>,
    /// Taxes, one row per rate per taxed thing.
    pub taxes: Vec<OrderTax>,
    /// Payment transactions.
    pub transactions: Vec<Transaction>,
}

impl Order {
    /// Σ line totals excluding tax (before discounts).
    pub fn subtotal_ex_tax(&self) -> Decimal {
        self.products.iter().map(|p| p.total_ex_tax).sum()
    }
    /// Σ line taxes.
    pub fn subtotal_tax(&self) -> Decimal {
        self.products.iter().map(|p| p.total_tax).sum()
    }
    /// `subtotal_ex_tax + subtotal_tax`.
    pub fn subtotal_inc_tax(&self) -> Decimal {
        self.subtotal_ex_tax() + self.subtotal_tax()
    }
    /// Σ address shipping excluding tax.
    pub fn shipping_ex_tax(&self) -> Decimal {
        self.shipping_addresses.iter().map(|a| a.cost_ex_tax).sum()
    }
    /// Σ address shipping tax.
    pub fn shipping_tax(&self) -> Decimal {
        self.shipping_addresses.iter().map(|a| a.cost_tax).sum()
    }
    /// Σ address handling excluding tax.
    pub fn handling_ex_tax(&self) -> Decimal {
        self.shipping_addresses
            .iter()
            .map(|a| a.handling_cost_ex_tax)
            .sum()
    }
    /// Σ address handling tax.
    pub fn handling_tax(&self) -> Decimal {
        self.shipping_addresses
            .iter()
            .map(|a| a.handling_cost_tax)
            .sum()
    }
    /// Σ line wrapping excluding tax.
    pub fn wrapping_ex_tax(&self) -> Decimal {
        self.products.iter().map(|p| p.wrapping_cost_ex_tax).sum()
    }
    /// Σ line wrapping tax.
    pub fn wrapping_tax(&self) -> Decimal {
        self.products.iter().map(|p| p.wrapping_cost_tax).sum()
    }
    /// `subtotal_tax + shipping_tax + handling_tax + wrapping_tax`.
    pub fn total_tax(&self) -> Decimal {
        self.subtotal_tax() + self.shipping_tax() + self.handling_tax() + self.wrapping_tax()
    }
    /// `subtotal_inc + shipping_inc + handling_inc + wrapping_inc − discount_amount − coupon_discount`.
    /// Gift certificates and store credit are payments: they do not reduce it.
    pub fn total_inc_tax(&self) -> Decimal {
        self.subtotal_inc_tax()
            + self.shipping_ex_tax()
            + self.shipping_tax()
            + self.handling_ex_tax()
            + self.handling_tax()
            + self.wrapping_ex_tax()
            + self.wrapping_tax()
            - self.discount_amount
            - self.coupon_discount
    }
    /// `total_inc_tax − total_tax`.
    pub fn total_ex_tax(&self) -> Decimal {
        self.total_inc_tax() - self.total_tax()
    }
    /// Σ quantities.
    pub fn items_total(&self) -> u32 {
        self.products.iter().map(|p| p.quantity).sum()
    }
    /// Σ quantities shipped.
    pub fn items_shipped(&self) -> u32 {
        self.products.iter().map(|p| p.quantity_shipped).sum()
    }
}

/// A catalog variant (one SKU).
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// Variant id.
    pub id: u64,
    /// Product id.
    pub product_id: u64,
    /// SKU.
    pub sku: String,
    /// Product name with the option.
    pub name: String,
    /// Option label (e.g. "Size: M").
    pub option_label: String,
    /// Brand.
    pub brand: String,
    /// Price in the store currency (USD).
    pub price: Decimal,
    /// Cost price.
    pub cost_price: Decimal,
    /// Weight.
    pub weight: Decimal,
    /// Tax class id.
    pub tax_class_id: u32,
    /// UPC.
    pub upc: String,
}

/// A customer (`/v3/customers`).
#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    /// Id.
    pub id: u64,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email.
    pub email: String,
    /// Company ("" for consumers).
    pub company: String,
    /// Phone.
    pub phone: String,
    /// Customer group (0 retail, 1 wholesale, 2 VIP).
    pub customer_group_id: u32,
    /// Tax exempt category (`""` or e.g. `"G"`).
    pub tax_exempt_category: String,
    /// Store credit balance (store currency).
    pub store_credit: Decimal,
    /// Address (their default).
    pub address: Address,
    /// Created.
    pub date_created: DateTime<Utc>,
    /// Modified.
    pub date_modified: DateTime<Utc>,
}

/// An inventory location.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    /// Id.
    pub id: u64,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A registered webhook.
#[derive(Clone, Debug, PartialEq)]
pub struct Hook {
    /// Id.
    pub id: u64,
    /// Scope (`store/order/created`, `store/order/*`, …).
    pub scope: String,
    /// Destination URL.
    pub destination: String,
    /// Active.
    pub is_active: bool,
    /// Custom headers sent with every delivery.
    pub headers: BTreeMap<String, String>,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Updated (Unix seconds).
    pub updated_at: i64,
}

/// One webhook delivery attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// Hook id.
    pub hook_id: u64,
    /// Scope of the event.
    pub scope: String,
    /// The JSON body posted.
    pub payload: serde_json::Value,
    /// Response status, or `None` if the POST failed (the error is in `error`).
    pub status: Option<u16>,
    /// Failure reason.
    pub error: Option<String>,
}

/// An event waiting to be delivered to matching hooks.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Scope (`store/order/created`, `store/order/statusUpdated`, …).
    pub scope: String,
    /// `data` of the payload.
    pub data: serde_json::Value,
}

/// The clock the store stamps changes with.
#[derive(Clone, Debug, PartialEq)]
pub enum Clock {
    /// Wall clock.
    System,
    /// Starts at a fixed instant and advances one second per reading (deterministic tests).
    Fixed(DateTime<Utc>),
}

/// Everything the sandbox holds.
#[derive(Debug)]
pub struct Store {
    /// Orders by id.
    pub orders: BTreeMap<u64, Order>,
    /// Shipments by id.
    pub shipments: BTreeMap<u64, Shipment>,
    /// Refunds by id.
    pub refunds: BTreeMap<u64, Refund>,
    /// Catalog variants.
    pub variants: Vec<Variant>,
    /// Customers.
    pub customers: Vec<Customer>,
    /// Locations.
    pub locations: Vec<Location>,
    /// Stock on hand by (variant id, location id).
    pub inventory: BTreeMap<(u64, u64), i64>,
    /// Inventory adjustment transactions applied (id, reason, item count).
    pub inventory_transactions: Vec<(String, String, usize)>,
    /// Webhooks.
    pub hooks: BTreeMap<u64, Hook>,
    /// Delivery log.
    pub deliveries: Vec<Delivery>,
    /// Custom labels of statuses 0–14.
    pub status_labels: BTreeMap<u8, String>,
    /// The clock.
    pub clock: Clock,
    /// Generated orders so far (drives generated dates).
    pub generated: u64,
    /// Payment access tokens (Payments API), by token.
    pub payment_tokens: BTreeMap<String, crate::payments::PaymentToken>,
    /// Payments API requests in the current 4-second window (window start, count).
    pub payments_window: (Option<DateTime<Utc>>, u32),
    next_ids: BTreeMap<&'static str, u64>,
}

impl Store {
    /// An empty store.
    pub fn new(clock: Clock) -> Self {
        Store {
            orders: BTreeMap::new(),
            shipments: BTreeMap::new(),
            refunds: BTreeMap::new(),
            variants: Vec::new(),
            customers: Vec::new(),
            locations: Vec::new(),
            inventory: BTreeMap::new(),
            inventory_transactions: Vec::new(),
            hooks: BTreeMap::new(),
            deliveries: Vec::new(),
            status_labels: BTreeMap::new(),
            clock,
            generated: 0,
            payment_tokens: BTreeMap::new(),
            payments_window: (None, 0),
            next_ids: BTreeMap::new(),
        }
    }

    /// The next id of a kind (`"order"`, `"order_product"`, `"address"`, …), starting at a
    /// per-kind base that looks like a real store's.
    pub fn next_id(&mut self, kind: &'static str) -> u64 {
        let base = match kind {
            "order" => 100,
            "order_product" => 1000,
            "address" => 500,
            "transaction" => 7000,
            "refund" => 1,
            _ => 1,
        };
        let id = self.next_ids.entry(kind).or_insert(base);
        let out = *id;
        *id += 1;
        out
    }

    /// Now, by the store's clock. A fixed clock advances one second per reading.
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

    /// A modification time for `order`: now, but never before its current `date_modified`.
    pub fn touch(&mut self, order_id: u64) -> Option<DateTime<Utc>> {
        let now = self.now();
        let order = self.orders.get_mut(&order_id)?;
        let t = if now > order.date_modified {
            now
        } else {
            order.date_modified + Duration::seconds(1)
        };
        order.date_modified = t;
        Some(t)
    }

    /// A variant by SKU.
    pub fn variant_by_sku(&self, sku: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.sku == sku)
    }

    /// Stock on hand of a variant over all locations.
    pub fn stock(&self, variant_id: u64) -> i64 {
        self.inventory
            .iter()
            .filter(|((v, _), _)| *v == variant_id)
            .map(|(_, q)| *q)
            .sum()
    }

    /// The custom label of a status (its system name when none was set).
    pub fn status_label(&self, status_id: u8) -> String {
        self.status_labels
            .get(&status_id)
            .cloned()
            .unwrap_or_else(|| crate::orders::status_name(status_id).to_string())
    }
}

/// The shared, locked store.
#[derive(Clone, Debug)]
pub struct Shared(Arc<Mutex<Store>>);

impl Shared {
    /// Wrap a store.
    pub fn new(store: Store) -> Self {
        Shared(Arc::new(Mutex::new(store)))
    }
    /// Lock it. A poisoned lock (a panic in another request) is reused: this is a test double.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
