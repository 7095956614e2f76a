//! [`BigCommerce`]: the [`Storefront`] of a BigCommerce store, a thin layer over the client.
//! One file per concern: [`orders`] (keyset listing, one order and its sub-resources,
//! statuses, refunds), [`fulfilment`] (shipments, ERP-originated orders), [`inventory`]
//! (absolute adjustments), [`customers`] (v3 customers, transactions, webhook registration).

pub mod customers;
pub mod fulfilment;
pub mod inventory;
pub mod orders;

use std::sync::Arc;

use async_trait::async_trait;
use bc_core::{
    Error, InventoryLevel, NewOrder, Order, OrderId, OrderQuery, OrderStatus, Page, Payout,
    PayoutQuery, Refund, RefundQuery, Result, Shipment, ShipmentRef, StatusId, Storefront,
    StorefrontCapabilities,
};
use bc_http::{HttpClient, HttpTransport, ReqwestTransport};

use crate::config::BigCommerceConfig;
use crate::{INVENTORY_BATCH, MAX_PAGE, PLATFORM};

/// A BigCommerce store. Cheap to clone.
///
/// Requests per imported order: the list page (`include=consignments.line_items`, so lines
/// come with it, amortised over up to 250 orders), plus `/coupons` only when
/// `coupon_discount` ≠ 0, `/taxes?details=true` only when `total_tax` ≠ 0, v3
/// `/transactions` only when a gateway took money or gift certificates were redeemed, and
/// `/products` only when the consignments do not hold every item (`items_total`, e.g.
/// digital items). BigCommerce has no payouts API: [`Storefront::payouts`] is
/// [`bc_core::ErrorKind::Unsupported`].
#[derive(Clone, Debug)]
pub struct BigCommerce {
    pub(crate) client: HttpClient,
    pub(crate) config: Arc<BigCommerceConfig>,
}

impl BigCommerce {
    /// Connects over the network (reqwest, rustls).
    pub fn new(config: BigCommerceConfig) -> Result<Self> {
        Self::with_transport(config, Arc::new(ReqwestTransport::new()?))
    }

    /// Connects through `transport` (`bc_http::RouterTransport`, feature `router`, over the
    /// sandbox in tests).
    pub fn with_transport(
        config: BigCommerceConfig,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Self> {
        let client = crate::client::build(&config, transport)?;
        Ok(BigCommerce {
            client,
            config: Arc::new(config),
        })
    }

    /// The HTTP client (for requests this connector does not wrap).
    pub fn client(&self) -> &HttpClient {
        &self.client
    }

    /// The settings.
    pub fn config(&self) -> &BigCommerceConfig {
        &self.config
    }
}

#[async_trait]
impl Storefront for BigCommerce {
    fn capabilities(&self) -> StorefrontCapabilities {
        let mut caps = StorefrontCapabilities::new(PLATFORM);
        caps.max_page_size = MAX_PAGE;
        caps.inventory_batch_size = INVENTORY_BATCH;
        caps.create_orders = true;
        caps.refunds = true;
        // BigCommerce has no payouts (settlements) API.
        caps.payouts = false;
        caps.inventory = true;
        caps.webhooks = true;
        caps.find_shipments = true;
        caps.find_orders_by_reference = true;
        caps
    }

    /// Orders by status(es) and modified/created since, 250 per page, keyset-paged by id
    /// (`min_id`, `sort=id:asc`): an order that changes status while the list is read never
    /// shifts a later page, so nothing is skipped. v2 filters one status at a time, so several
    /// statuses are listed one after the other; the cursor is `"{status index}:{next min id}"`.
    /// An order whose details cannot be read or parsed is a per-item failure of the page
    /// (with its raw payload), never a failure of the page.
    async fn orders(&self, query: &OrderQuery) -> Result<Page<Order>> {
        self.list_orders(query).await
    }

    async fn order(&self, id: &OrderId) -> Result<Order> {
        self.read_order(id).await
    }

    async fn set_order_status(&self, id: &OrderId, status: &StatusId) -> Result<()> {
        self.put_order_status(id, status).await
    }

    /// Maps our lines to `order_product_id` (by line id, else by SKU) and each line to its
    /// `order_address_id`. BigCommerce takes one address per shipment, so lines shipping to
    /// different addresses become one shipment per address; the first one's reference is
    /// returned. Before posting, the order's existing shipments are read and an address that
    /// already has a shipment with the same tracking number is skipped: a retry after a lost
    /// answer, or after a failure half-way through the addresses, never ships (and notifies
    /// the shopper) twice.
    async fn create_shipment(&self, id: &OrderId, shipment: &Shipment) -> Result<ShipmentRef> {
        self.post_shipment(id, shipment).await
    }

    /// `PUT /v3/inventory/adjustments/absolute` at the configured location (default 1), by
    /// SKU. Absolute quantities make a repeat harmless, so it is retried like a read. SKUs the
    /// store does not have are skipped with a warning (a ledger holds more items than the store
    /// sells); the others are still pushed.
    async fn set_inventory(&self, levels: &[InventoryLevel]) -> Result<()> {
        self.put_inventory(levels).await
    }

    /// The store-wide v3 refunds list (`created:min`, `order_id:in`), 250 per page; each
    /// refund carries its order's currency (one order read per distinct order of the page).
    async fn refunds(&self, query: &RefundQuery) -> Result<Page<Refund>> {
        self.list_refunds(query).await
    }

    /// The order's shipment with the same tracking number (`GET /v2/orders/{id}/shipments`);
    /// without a tracking number, one that ships exactly the same quantities of the same lines.
    async fn find_shipment(
        &self,
        id: &OrderId,
        shipment: &Shipment,
    ) -> Result<Option<ShipmentRef>> {
        self.search_shipment(id, shipment).await
    }

    /// The order created earlier with `external_order_id` = `ledger_number`.
    async fn find_order_by_reference(&self, ledger_number: &str) -> Result<Option<OrderId>> {
        self.order_by_external_id(ledger_number).await
    }

    /// Unsupported: BigCommerce has no payouts (settlements) API; payouts come from the
    /// payment gateway.
    async fn payouts(&self, _query: &PayoutQuery) -> Result<Page<Payout>> {
        Err(Error::unsupported(PLATFORM, "payouts"))
    }

    /// Creates the order with `external_order_id` = the ledger number, after looking that
    /// number up: a repeat (after an unknown outcome) adopts the order already created.
    /// Lines are sent as custom products (name, SKU, price ex tax, which is also sent as the
    /// price inc tax: the ledger's order carries no tax split).
    async fn create_order(&self, order: &NewOrder) -> Result<OrderId> {
        self.post_order(order).await
    }

    async fn statuses(&self) -> Result<Vec<OrderStatus>> {
        self.list_statuses().await
    }
}
