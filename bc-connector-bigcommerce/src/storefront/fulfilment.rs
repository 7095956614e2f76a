//! Fulfilment: shipments (one per address, never twice) and orders entered in the ledger
//! (found again by `external_order_id` before one is created).

use bc_core::{Error, ErrorKind, NewOrder, OrderId, Result, Shipment, ShipmentRef};
use bc_http::ApiRequest;

use super::BigCommerce;
use crate::client::{get_all, get_json, get_list};
use crate::mapping::new_order::new_order_body;
use crate::mapping::shipment::{
    group_by_address, parse_shipment_ref, same_lines, same_tracking, shipment_body,
};
use crate::wire::Obj;
use crate::PLATFORM;

impl BigCommerce {
    /// [`bc_core::Storefront::create_shipment`]: see there.
    pub(crate) async fn post_shipment(
        &self,
        id: &OrderId,
        shipment: &Shipment,
    ) -> Result<ShipmentRef> {
        let what = format!("order {id}");
        let products = get_all(
            &self.client,
            "/v2/orders/{id}/products",
            id.as_str(),
            &what,
            &[],
        )
        .await?;
        let existing = self.shipments_of(id, &what).await?;
        // Parts of this shipment posted by an earlier attempt (same tracking number): their
        // quantities are this shipment's own, so its lines match the same products again.
        let already: Vec<serde_json::Value> = match &shipment.tracking_number {
            Some(t) => existing
                .iter()
                .filter(|e| same_tracking(e, t, None))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let groups = group_by_address(&what, &products, shipment, &already)?;
        let mut first: Option<ShipmentRef> = None;
        for (address, items) in groups {
            let already = shipment.tracking_number.as_ref().and_then(|t| {
                existing
                    .iter()
                    .find(|e| same_tracking(e, t, Some(address.as_str())))
            });
            if let Some(done) = already {
                if first.is_none() {
                    first = Some(parse_shipment_ref(done, id.as_str())?);
                }
                continue;
            }
            let req = ApiRequest::post("/v2/orders/{id}/shipments")
                .path_param("id", id)
                .json(&shipment_body(&address, items, shipment))?;
            let created = get_json(&self.client, req, &what).await?;
            let r = parse_shipment_ref(&created, id.as_str())?;
            if first.is_none() {
                first = Some(r);
            }
        }
        first.ok_or_else(|| {
            Error::new(
                ErrorKind::Internal,
                format!("{what}: no shipment was created"),
            )
            .with_platform(PLATFORM)
        })
    }

    /// `GET /v2/orders/{id}/shipments`, every page.
    async fn shipments_of(&self, id: &OrderId, what: &str) -> Result<Vec<serde_json::Value>> {
        get_all(
            &self.client,
            "/v2/orders/{id}/shipments",
            id.as_str(),
            what,
            &[],
        )
        .await
    }

    /// [`bc_core::Storefront::find_shipment`]: see there.
    pub(crate) async fn search_shipment(
        &self,
        id: &OrderId,
        shipment: &Shipment,
    ) -> Result<Option<ShipmentRef>> {
        let what = format!("order {id}");
        let existing = self.shipments_of(id, &what).await?;
        for e in &existing {
            let found = match &shipment.tracking_number {
                Some(t) => same_tracking(e, t, None),
                None => same_lines(e, shipment),
            };
            if found {
                return parse_shipment_ref(e, id.as_str()).map(Some);
            }
        }
        Ok(None)
    }

    /// `GET /v2/orders?external_order_id=…&limit=1`.
    pub(crate) async fn order_by_external_id(
        &self,
        ledger_number: &str,
    ) -> Result<Option<OrderId>> {
        let req = ApiRequest::get("/v2/orders")
            .query("external_order_id", ledger_number)
            .query("limit", 1);
        let existing = get_list(&self.client, req, "orders by external_order_id").await?;
        match existing.first() {
            Some(o) => Ok(Some(OrderId::new(Obj::of(o, "order", "")?.id("id")?))),
            None => Ok(None),
        }
    }

    /// [`bc_core::Storefront::create_order`]: see there.
    pub(crate) async fn post_order(&self, order: &NewOrder) -> Result<OrderId> {
        if let Some(id) = self.order_by_external_id(&order.ledger_number).await? {
            return Ok(id);
        }
        let body = new_order_body(order)?;
        let what = format!("new order {}", order.ledger_number);
        let req = ApiRequest::post("/v2/orders").json(&body)?;
        let created = get_json(&self.client, req, &what).await?;
        Ok(OrderId::new(Obj::of(&created, &what, "")?.id("id")?))
    }
}
