//! The `Storefront` trait: what the engine needs from BigCommerce, Magento or your own shop.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fulfilment::{InventoryLevel, OrderStatus, Shipment, ShipmentRef};
use crate::ids::{OrderId, StatusId};
use crate::order::{NewOrder, Order};
use crate::page::{OrderQuery, Page, PayoutQuery, RefundQuery};
use crate::refund::{Payout, Refund};

/// What a storefront connector can do; the engine and the conformance suite adapt to it.
///
/// `#[non_exhaustive]` with [`Default`] (nothing optional supported): build it with
/// [`StorefrontCapabilities::new`] and set what the platform can do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StorefrontCapabilities {
    /// Platform name (`"bigcommerce"`).
    pub platform: String,
    /// Largest page of orders per request.
    pub max_page_size: u32,
    /// Largest inventory update per request (BigCommerce absolute adjustments: 2,000).
    pub inventory_batch_size: usize,
    /// Whether [`Storefront::create_order`] works (ERP-originated orders, E1).
    pub create_orders: bool,
    /// Whether [`Storefront::refunds`] works.
    pub refunds: bool,
    /// Whether [`Storefront::payouts`] works.
    pub payouts: bool,
    /// Whether [`Storefront::set_inventory`] works.
    pub inventory: bool,
    /// Whether the platform pushes webhooks the engine can wake on.
    pub webhooks: bool,
    /// Whether [`Storefront::find_shipment`] works (exactly-once for shipments).
    pub find_shipments: bool,
    /// Whether [`Storefront::find_order_by_reference`] works (exactly-once for
    /// ERP-originated orders).
    pub find_orders_by_reference: bool,
}

impl Default for StorefrontCapabilities {
    fn default() -> Self {
        StorefrontCapabilities {
            platform: String::new(),
            max_page_size: 50,
            inventory_batch_size: 1,
            create_orders: false,
            refunds: false,
            payouts: false,
            inventory: false,
            webhooks: false,
            find_shipments: false,
            find_orders_by_reference: false,
        }
    }
}

impl StorefrontCapabilities {
    /// The capabilities of `platform`; everything else as in [`Default`].
    pub fn new(platform: impl Into<String>) -> Self {
        StorefrontCapabilities {
            platform: platform.into(),
            ..StorefrontCapabilities::default()
        }
    }
}

/// A storefront. The required methods are the platform's single operations; the provided
/// batch methods loop over them and a connector overrides them when its platform has a batch
/// endpoint. A method the platform cannot do returns [`crate::ErrorKind::Unsupported`] and
/// [`Storefront::capabilities`] says so, so that the engine never calls it.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Storefront: Send + Sync {
    /// What this storefront can do.
    fn capabilities(&self) -> StorefrontCapabilities;

    /// Orders matching `query`, one page at a time.
    async fn orders(&self, query: &OrderQuery) -> Result<Page<Order>>;

    /// One order with everything the posting plan needs.
    async fn order(&self, id: &OrderId) -> Result<Order>;

    /// Sets an order's status.
    async fn set_order_status(&self, id: &OrderId, status: &StatusId) -> Result<()>;

    /// Creates a shipment (with tracking) on an order; the storefront notifies the shopper.
    async fn create_shipment(&self, id: &OrderId, shipment: &Shipment) -> Result<ShipmentRef>;

    /// The shipment already on order `id` that `shipment` would create again: same tracking
    /// number, or the same lines when it has none (exactly-once for shipments). Gated by
    /// [`StorefrontCapabilities::find_shipments`].
    async fn find_shipment(
        &self,
        id: &OrderId,
        shipment: &Shipment,
    ) -> Result<Option<ShipmentRef>> {
        let _ = (id, shipment);
        Err(self.unsupported("searching shipments"))
    }

    /// Sets absolute available quantities, at most
    /// [`StorefrontCapabilities::inventory_batch_size`] per call. Gated by
    /// [`StorefrontCapabilities::inventory`].
    async fn set_inventory(&self, levels: &[InventoryLevel]) -> Result<()> {
        let _ = levels;
        Err(self.unsupported("inventory updates"))
    }

    /// Refunds matching `query`. Gated by [`StorefrontCapabilities::refunds`].
    async fn refunds(&self, query: &RefundQuery) -> Result<Page<Refund>> {
        let _ = query;
        Err(self.unsupported("reading refunds"))
    }

    /// Payouts (settlements), where the platform reports them. Gated by
    /// [`StorefrontCapabilities::payouts`].
    async fn payouts(&self, query: &PayoutQuery) -> Result<Page<Payout>> {
        let _ = query;
        Err(self.unsupported("reading payouts"))
    }

    /// Creates an order (ERP-originated, E1) carrying `order.ledger_number` where
    /// [`Storefront::find_order_by_reference`] finds it; returns its storefront id. Gated by
    /// [`StorefrontCapabilities::create_orders`].
    async fn create_order(&self, order: &NewOrder) -> Result<OrderId> {
        let _ = order;
        Err(self.unsupported("creating orders"))
    }

    /// The storefront order created earlier for the ledger order numbered `ledger_number`
    /// (exactly-once for ERP-originated orders). Gated by
    /// [`StorefrontCapabilities::find_orders_by_reference`].
    async fn find_order_by_reference(&self, ledger_number: &str) -> Result<Option<OrderId>> {
        let _ = ledger_number;
        Err(self.unsupported("searching orders by reference"))
    }

    /// The statuses the storefront has, with their labels.
    async fn statuses(&self) -> Result<Vec<OrderStatus>>;

    /// Pushes any number of levels, split into batches of the platform's size.
    async fn set_inventory_batched(&self, levels: &[InventoryLevel]) -> Vec<Result<()>> {
        let size = self.capabilities().inventory_batch_size.max(1);
        let mut out = Vec::new();
        for chunk in levels.chunks(size) {
            out.push(self.set_inventory(chunk).await);
        }
        out
    }

    /// The error of a capability this storefront does not have, naming the platform.
    fn unsupported(&self, operation: &str) -> crate::Error {
        crate::Error::unsupported(&self.capabilities().platform, operation)
    }
}
