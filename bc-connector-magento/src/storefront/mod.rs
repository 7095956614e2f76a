//! [`MagentoStorefront`]: the [`Storefront`] of a Magento store, a thin layer over the
//! client. One file per idea: [`orders`] (listing with a keyset that cannot skip, one order,
//! statuses), [`fulfilment`] (shipments, credit memos, ERP-originated orders), [`inventory`]
//! (MSI source items through the async bulk API).
//!
//! Requests per imported order: the list page carries complete orders (items, addresses,
//! payment, taxes, extension attributes), so listing costs ~2 requests per page of
//! `page_size` orders (the keyset's same-second tail query, then the page); setting the
//! downloaded status is 2 (read the state, post the comment). Payouts: Magento has none.

pub mod fulfilment;
pub mod inventory;
pub mod orders;

use std::sync::Arc;

use async_trait::async_trait;
use bc_core::{
    InventoryLevel, NewOrder, Order, OrderId, OrderQuery, OrderStatus, Page, Refund, RefundQuery,
    Result, Shipment, ShipmentRef, Sku, StatusId, Storefront, StorefrontCapabilities,
};
use bc_http::{HttpClient, HttpTransport, ReqwestTransport};

use crate::config::MagentoConfig;
use crate::PLATFORM;

pub use inventory::{InventoryReport, SkuFailure};

/// A Magento store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct MagentoStorefront {
    pub(crate) client: HttpClient,
    pub(crate) config: Arc<MagentoConfig>,
}

impl MagentoStorefront {
    /// Connects over the network (reqwest, rustls).
    pub fn new(config: MagentoConfig) -> Result<Self> {
        Self::with_transport(config, Arc::new(ReqwestTransport::new()?))
    }

    /// Connects through `transport` (a [`bc_http::RouterTransport`] over the sandbox in tests).
    pub fn with_transport(
        config: MagentoConfig,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Self> {
        let client = crate::client::build(&config, transport)?;
        Ok(MagentoStorefront {
            client,
            config: Arc::new(config),
        })
    }

    /// The HTTP client (for calls this connector does not wrap).
    pub fn client(&self) -> &HttpClient {
        &self.client
    }

    /// The settings.
    pub fn config(&self) -> &MagentoConfig {
        &self.config
    }
}

#[async_trait]
impl Storefront for MagentoStorefront {
    fn capabilities(&self) -> StorefrontCapabilities {
        let mut caps = StorefrontCapabilities::new(PLATFORM);
        caps.max_page_size = 300;
        caps.inventory_batch_size = self.config.inventory_batch_size;
        caps.create_orders = true;
        caps.refunds = true;
        caps.payouts = false;
        caps.inventory = true;
        caps.webhooks = false;
        caps.find_shipments = true;
        caps.find_orders_by_reference = true;
        caps
    }

    async fn orders(&self, query: &OrderQuery) -> Result<Page<Order>> {
        self.list_orders(query).await
    }

    async fn order(&self, id: &OrderId) -> Result<Order> {
        self.get_order(id).await
    }

    async fn set_order_status(&self, id: &OrderId, status: &StatusId) -> Result<()> {
        self.change_status(id, status).await
    }

    async fn create_shipment(&self, id: &OrderId, shipment: &Shipment) -> Result<ShipmentRef> {
        self.ship(id, shipment).await
    }

    async fn find_shipment(
        &self,
        id: &OrderId,
        shipment: &Shipment,
    ) -> Result<Option<ShipmentRef>> {
        self.search_shipment(id, shipment).await
    }

    async fn set_inventory(&self, levels: &[InventoryLevel]) -> Result<()> {
        let mut report = self.push_inventory(levels).await?;
        let skipped = report.take_not_in_store();
        if !skipped.is_empty() {
            let skus: Vec<&str> = skipped.iter().map(Sku::as_str).collect();
            tracing::warn!(skus = %skus.join(", "), "inventory: SKUs not in the Magento store were skipped");
        }
        report.into_result()
    }

    async fn refunds(&self, query: &RefundQuery) -> Result<Page<Refund>> {
        self.list_refunds(query).await
    }

    async fn create_order(&self, order: &NewOrder) -> Result<OrderId> {
        self.create_erp_order(order).await
    }

    async fn find_order_by_reference(&self, ledger_number: &str) -> Result<Option<OrderId>> {
        self.order_by_reference(ledger_number).await
    }

    async fn statuses(&self) -> Result<Vec<OrderStatus>> {
        Ok(self
            .config
            .statuses
            .iter()
            .map(|s| OrderStatus {
                id: StatusId::new(s.status.clone()),
                name: s.label.clone(),
                custom_label: None,
            })
            .collect())
    }

    async fn set_inventory_batched(&self, levels: &[InventoryLevel]) -> Vec<Result<()>> {
        let size = self.config.inventory_batch_size.max(1);
        let mut out = Vec::new();
        for chunk in levels.chunks(size) {
            out.push(self.set_inventory(chunk).await);
        }
        out
    }
}
