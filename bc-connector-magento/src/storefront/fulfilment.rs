//! Shipments (with carrier code, title and tracking number), offline credit memos as
//! refunds, and ERP-originated orders — each write with the search that finds it again.

use bc_core::{
    Cursor, Error, ErrorKind, ItemFailure, NewOrder, OrderId, Page, Refund, RefundQuery, Result,
    Shipment, ShipmentId, ShipmentRef,
};
use bc_http::{ApiRequest, Idempotency};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::client::{body_json, Search};
use crate::mapping::new_order::create_body;
use crate::mapping::order::parse_order_value;
use crate::mapping::refund::map_refund;
use crate::mapping::shipment::ship_body;
use crate::storefront::MagentoStorefront;
use crate::wire::{format_date, SearchResult, WireCreditMemo, WireShipment};
use crate::PLATFORM;

impl MagentoStorefront {
    /// `POST /V1/order/{id}/ship`. After an unknown outcome (the request may have landed) the
    /// shipment is searched by tracking number before anything else happens.
    pub async fn ship(&self, id: &OrderId, shipment: &Shipment) -> Result<ShipmentRef> {
        let order = parse_order_value(&self.raw_order(id).await?)?;
        let body = ship_body(&order, shipment)?;
        let req = ApiRequest::post("/V1/order/{id}/ship")
            .path_param("id", id)
            .json(&body)?
            .idempotency(Idempotency::None);
        match self.client.send(req).await {
            Ok(resp) => {
                let v = body_json(&resp, &format!("order {id} shipment"))?;
                let sid = match v {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s,
                    other => {
                        return Err(Error::protocol(format!(
                            "order {id}: the ship answer `{other}` is not a shipment id"
                        ))
                        .with_platform(PLATFORM))
                    }
                };
                Ok(ShipmentRef {
                    id: ShipmentId::new(sid),
                })
            }
            Err(e) if e.kind() == ErrorKind::OutcomeUnknown => {
                match self.search_shipment(id, shipment).await? {
                    Some(found) => Ok(found),
                    None => Err(e),
                }
            }
            Err(e) => Err(e.context(format!("order {id} ({})", order.number))),
        }
    }

    /// The shipment of order `id` with `shipment`'s tracking number (or, without one, the same
    /// items and quantities).
    pub async fn search_shipment(
        &self,
        id: &OrderId,
        shipment: &Shipment,
    ) -> Result<Option<ShipmentRef>> {
        let s = Search::new()
            .filter("order_id", "eq", id)
            .sort_asc("entity_id")
            .page(300, 1);
        let resp = self
            .client
            .send(s.apply(ApiRequest::get("/V1/shipments")))
            .await?;
        let page: SearchResult<WireShipment> = resp
            .json(&format!("order {id} shipments"))
            .map_err(|e| e.with_platform(PLATFORM))?;
        let want_track = shipment
            .tracking_number
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        for s in page.items {
            let hit = match want_track {
                Some(t) => s.tracks.iter().any(|x| x.track_number.trim() == t),
                None => {
                    let mut have: Vec<(String, Decimal)> = s
                        .items
                        .iter()
                        .map(|i| (i.order_item_id.clone(), i.qty.normalize()))
                        .collect();
                    let mut want: Vec<(String, Decimal)> = shipment
                        .lines
                        .iter()
                        .filter_map(|l| l.line_id.clone().map(|id| (id, l.quantity.normalize())))
                        .collect();
                    have.sort();
                    want.sort();
                    !want.is_empty() && have == want
                }
            };
            if hit {
                return Ok(Some(ShipmentRef {
                    id: ShipmentId::new(s.entity_id),
                }));
            }
        }
        Ok(None)
    }

    /// Credit memos as refunds, after `query.cursor` (credit memos never change, so an
    /// `entity_id` keyset is exact).
    pub async fn list_refunds(&self, query: &RefundQuery) -> Result<Page<Refund>> {
        let after: u64 = match &query.cursor {
            Some(c) if !c.is_start() => {
                c.0.strip_prefix("m1:")
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::Invalid,
                            format!("`{}` is not a Magento refund cursor", c.0),
                        )
                        .with_platform(PLATFORM)
                    })?
            }
            _ => 0,
        };
        let limit = self.config.page_size;
        let mut s = Search::new().filter("entity_id", "gt", after);
        if let Some(at) = query.created_since {
            s = s.filter("created_at", "gteq", format_date(&at));
        }
        if !query.orders.is_empty() {
            let ids: Vec<&str> = query.orders.iter().map(OrderId::as_str).collect();
            s = s.filter("order_id", "in", ids.join(","));
        }
        let s = s.sort_asc("entity_id").page(limit, 1);
        let resp = self
            .client
            .send(s.apply(ApiRequest::get("/V1/creditmemos")))
            .await?;
        let v = body_json(&resp, "credit memos")?;
        let items = v
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = v.get("total_count").and_then(Value::as_u64).unwrap_or(0);
        let mut refunds = Vec::new();
        let mut failures = Vec::new();
        let mut last = None;
        for raw in &items {
            let key = raw
                .get("entity_id")
                .map(|x| x.to_string().trim_matches('"').to_string())
                .unwrap_or_else(|| "?".into());
            if let Ok(n) = key.parse::<u64>() {
                last = Some(n);
            }
            match serde_json::from_value::<WireCreditMemo>(raw.clone())
                .map_err(|e| {
                    Error::protocol(format!("credit memo {key}: {e}")).with_platform(PLATFORM)
                })
                .and_then(|m| map_refund(&m, None))
            {
                Ok(r) => refunds.push(r),
                Err(e) => failures.push(ItemFailure::malformed(
                    key,
                    e.to_string(),
                    serde_json::to_string(raw).ok(),
                )),
            }
        }
        let next = match last {
            Some(n) if total > items.len() as u64 => Some(Cursor(format!("m1:{n}"))),
            _ => None,
        };
        Ok(Page::new(refunds, next).with_failures(failures))
    }

    /// The order created earlier for ERP order `ledger_number` (its `ext_order_id`).
    pub async fn order_by_reference(&self, ledger_number: &str) -> Result<Option<OrderId>> {
        let s = Search::new()
            .filter("ext_order_id", "eq", ledger_number)
            .sort_asc("entity_id")
            .page(1, 1);
        let resp = self
            .client
            .send(s.apply(ApiRequest::get("/V1/orders")))
            .await?;
        let v = body_json(&resp, &format!("ERP order {ledger_number}"))?;
        let first = v
            .get("items")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|o| o.get("entity_id"))
            .map(|x| x.to_string().trim_matches('"').to_string());
        Ok(first.map(OrderId::new))
    }

    /// `PUT /V1/orders/create` with the ERP number in `ext_order_id`; an order already created
    /// for that number (an earlier try whose answer was lost) is returned instead.
    pub async fn create_erp_order(&self, order: &NewOrder) -> Result<OrderId> {
        let body = create_body(order, &self.config.statuses)?;
        if let Some(found) = self.order_by_reference(&order.ledger_number).await? {
            return Ok(found);
        }
        // A PUT, but not idempotent: every call persists a new order.
        let req = ApiRequest::put("/V1/orders/create")
            .json(&body)?
            .idempotency(Idempotency::None);
        match self.client.send(req).await {
            Ok(resp) => {
                let v = body_json(&resp, &format!("ERP order {}", order.ledger_number))?;
                let id = v
                    .get("entity_id")
                    .map(|x| x.to_string().trim_matches('"').to_string())
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        Error::protocol(format!(
                            "ERP order {}: the answer has no entity_id",
                            order.ledger_number
                        ))
                        .with_platform(PLATFORM)
                    })?;
                Ok(OrderId::new(id))
            }
            Err(e) if e.kind() == ErrorKind::OutcomeUnknown => {
                match self.order_by_reference(&order.ledger_number).await? {
                    Some(found) => Ok(found),
                    None => Err(e),
                }
            }
            Err(e) => Err(e.context(format!("ERP order {}", order.ledger_number))),
        }
    }
}
