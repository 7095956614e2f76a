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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// A storefront. The required methods are the platform's single operations; the provided
/// batch methods loop over them and a connector overrides them when its platform has a batch
/// endpoint. A method the platform cannot do returns [`crate::ErrorKind::Unsupported`] and
/// [`Storefront::capabilities`] says so, so that the engine never calls it.
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

    /// Sets absolute available quantities, at most
    /// [`StorefrontCapabilities::inventory_batch_size`] per call.
    async fn set_inventory(&self, levels: &[InventoryLevel]) -> Result<()>;

    /// Refunds matching `query`.
    async fn refunds(&self, query: &RefundQuery) -> Result<Page<Refund>>;

    /// Payouts (settlements), where the platform reports them.
    async fn payouts(&self, query: &PayoutQuery) -> Result<Page<Payout>>;

    /// Creates an order (ERP-originated, E1); returns its storefront id.
    async fn create_order(&self, order: &NewOrder) -> Result<OrderId>;

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
}
