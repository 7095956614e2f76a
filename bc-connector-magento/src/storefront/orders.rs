//! Listing orders with an `updated_at` + `entity_id` keyset, reading one, changing statuses.
//!
//! **Why a keyset.** Magento pages with `currentPage`; an order modified while a client walks
//! the pages moves to the end of an `updated_at` sort and shifts every later order one place
//! forward, so offset paging skips one. Here every page starts *after* the last order seen:
//! first the rest of its second (`updated_at = T AND entity_id > id`, by `entity_id`), then
//! everything later (`updated_at > T`, by `updated_at`, `entity_id`), always `currentPage=1`.
//! An order modified meanwhile gets a later `updated_at` and is listed again later: seen
//! twice at worst, never skipped. (Magento stores seconds; an order modified within the very
//! second of the cursor and with a smaller `entity_id` is caught by the engine's overlap
//! window on `modified_since`.)
//!
//! **Statuses.** Magento changes an order's *state* only through documents (invoice,
//! shipment, credit memo) and the cancel/hold/unhold actions; a comment may carry a status
//! only when that status belongs to the order's current state (2.4.7+). So a status change
//! inside the state is a comment; `canceled`/`holded` use their actions; anything else is
//! refused with an error saying which document would do it.

use bc_core::{
    Cursor, Error, ErrorKind, ItemFailure, Order, OrderId, OrderQuery, Page, Result, StatusId,
};
use bc_http::ApiRequest;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use crate::client::{body_json, Search};
use crate::mapping::order::{order_key, parse_order_value};
use crate::storefront::MagentoStorefront;
use crate::wire::{format_date, parse_date};
use crate::PLATFORM;

/// A position in the keyset: the last order returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderCursor {
    /// Its `updated_at`.
    pub updated_at: DateTime<Utc>,
    /// Its `entity_id`.
    pub entity_id: u64,
}

impl OrderCursor {
    /// `k1:<unix seconds>:<entity_id>`.
    pub fn encode(&self) -> Cursor {
        Cursor(format!(
            "k1:{}:{}",
            self.updated_at.timestamp(),
            self.entity_id
        ))
    }

    /// Reads a cursor made by [`OrderCursor::encode`].
    pub fn decode(c: &Cursor) -> Result<Self> {
        let bad = || {
            Error::new(
                ErrorKind::Invalid,
                format!("`{}` is not a Magento order cursor", c.0),
            )
            .with_platform(PLATFORM)
        };
        let mut parts = c.0.split(':');
        if parts.next() != Some("k1") {
            return Err(bad());
        }
        let secs: i64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let entity_id: u64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let updated_at = Utc.timestamp_opt(secs, 0).single().ok_or_else(bad)?;
        Ok(OrderCursor {
            updated_at,
            entity_id,
        })
    }
}

fn raw_position(v: &Value) -> Option<OrderCursor> {
    let id = match v.get("entity_id")? {
        Value::Number(n) => n.to_string().parse().ok()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    let at = parse_date(v.get("updated_at")?.as_str()?).ok()?;
    Some(OrderCursor {
        updated_at: at,
        entity_id: id,
    })
}

impl MagentoStorefront {
    fn base_search(&self, query: &OrderQuery) -> Search {
        let mut s = Search::new();
        if !query.statuses.is_empty() {
            let list: Vec<&str> = query.statuses.iter().map(StatusId::as_str).collect();
            s = s.filter("status", "in", list.join(","));
        }
        if let Some(at) = query.created_since {
            s = s.filter("created_at", "gteq", format_date(&at));
        }
        s
    }

    async fn search_orders(&self, s: Search) -> Result<(Vec<Value>, u64)> {
        let resp = self
            .client
            .send(s.apply(ApiRequest::get("/V1/orders")))
            .await?;
        let v = body_json(&resp, "orders")?;
        let items = v
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = v
            .get("total_count")
            .and_then(Value::as_u64)
            .unwrap_or(items.len() as u64);
        Ok((items, total))
    }

    /// One page of orders after `query.cursor` (see the module docs).
    pub async fn list_orders(&self, query: &OrderQuery) -> Result<Page<Order>> {
        let limit = query.limit.unwrap_or(self.config.page_size).clamp(1, 300);
        let cursor = query
            .cursor
            .as_ref()
            .filter(|c| !c.is_start())
            .map(OrderCursor::decode)
            .transpose()?;
        let mut raw = Vec::new();
        let mut more = false;
        let mut tail = false;
        if let Some(c) = cursor {
            // The rest of the cursor's second.
            let s = self
                .base_search(query)
                .filter("updated_at", "eq", format_date(&c.updated_at))
                .filter("entity_id", "gt", c.entity_id)
                .sort_asc("entity_id")
                .page(limit, 1);
            let (items, total) = self.search_orders(s).await?;
            more = total > items.len() as u64;
            tail = !items.is_empty();
            raw = items;
        }
        if raw.is_empty() {
            let mut s = self.base_search(query);
            s = match (cursor, query.modified_since) {
                (Some(c), _) => s.filter("updated_at", "gt", format_date(&c.updated_at)),
                (None, Some(since)) => s.filter("updated_at", "gteq", format_date(&since)),
                (None, None) => s,
            };
            let s = s
                .sort_asc("updated_at")
                .sort_asc("entity_id")
                .page(limit, 1);
            let (items, total) = self.search_orders(s).await?;
            more = total > items.len() as u64;
            raw = items;
        }
        let mut orders = Vec::new();
        let mut failures = Vec::new();
        let mut last = cursor;
        for v in &raw {
            if let Some(p) = raw_position(v) {
                last = Some(p);
            }
            match parse_order_value(v) {
                Ok(o) => orders.push(o),
                Err(e) => {
                    tracing::warn!(order = %order_key(v), error = %e, "malformed Magento order skipped");
                    let text = serde_json::to_string(v).ok();
                    failures.push(ItemFailure::malformed(order_key(v), e.to_string(), text));
                }
            }
        }
        // After a same-second tail there may be later orders; after a main page, only when
        // Magento counted more than it returned.
        let next = match last {
            Some(p) if more || tail => Some(p.encode()),
            _ => None,
        };
        Ok(Page::new(orders, next).with_failures(failures))
    }

    /// `GET /V1/orders/{id}`, mapped.
    pub async fn get_order(&self, id: &OrderId) -> Result<Order> {
        let v = self.raw_order(id).await?;
        parse_order_value(&v)
    }

    pub(crate) async fn raw_order(&self, id: &OrderId) -> Result<Value> {
        let resp = self
            .client
            .send(ApiRequest::get("/V1/orders/{id}").path_param("id", id))
            .await?;
        body_json(&resp, &format!("order {id}"))
    }

    fn state_of(&self, status: &str) -> Option<&str> {
        self.config
            .statuses
            .iter()
            .find(|s| s.status == status)
            .map(|s| s.state.as_str())
    }

    async fn comment(&self, id: &OrderId, status: &str, text: &str) -> Result<()> {
        let body = json!({ "statusHistory": {
            "comment": text, "status": status, "is_customer_notified": 0, "is_visible_on_front": 0,
            "parent_id": crate::wire::id_value(id.as_str()),
        }});
        // Adding the same comment twice is harmless: safe to repeat after an unknown outcome.
        let req = ApiRequest::post("/V1/orders/{id}/comments")
            .path_param("id", id)
            .json(&body)?
            .idempotency(bc_http::Idempotency::Idempotent);
        self.client.send(req).await?;
        Ok(())
    }

    /// `POST /V1/order/{id}/invoice` without capture: invoices every item left to invoice.
    /// After an unknown outcome the order is read again: an order invoiced meanwhile is done
    /// (Magento refuses a second invoice of the same items anyway).
    async fn invoice_offline(&self, id: &OrderId) -> Result<()> {
        let req = ApiRequest::post("/V1/order/{id}/invoice")
            .path_param("id", id)
            .json(&json!({ "capture": false, "notify": false }))?;
        match self.client.send(req).await {
            Ok(_) => Ok(()),
            Err(e) => {
                if fully_invoiced(&self.raw_order(id).await?) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn action(&self, id: &OrderId, action: &str) -> Result<bool> {
        let req = ApiRequest::post(format!("/V1/orders/{{id}}/{action}"))
            .path_param("id", id)
            .idempotency(bc_http::Idempotency::Idempotent);
        let resp = self.client.send(req).await?;
        Ok(body_json(&resp, &format!("order {id} {action}"))?
            .as_bool()
            .unwrap_or(false))
    }

    /// Moves order `id` to `status` the way Magento allows (see the module docs).
    pub async fn change_status(&self, id: &OrderId, status: &StatusId) -> Result<()> {
        let Some(target_state) = self.state_of(status.as_str()).map(str::to_string) else {
            return Err(Error::config(
                "storefront.magento.statuses",
                format!("status `{status}` is not one of the store's statuses"),
            ));
        };
        let note = format!("Status set to {status} by bcsync.");
        if !matches!(target_state.as_str(), "canceled" | "holded") {
            // The usual case (a status of the order's own state, such as "downloaded"): one
            // comment. Magento refuses it (400) when the status is not of the current state;
            // only then is the order read to pick the action.
            match self.comment(id, status.as_str(), &note).await {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Invalid => {}
                Err(e) => return Err(e),
            }
        }
        let v = self.raw_order(id).await?;
        let state = v
            .get("state")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let current = v.get("status").and_then(Value::as_str).unwrap_or("");
        if current == status.as_str() {
            return Ok(());
        }
        if state == target_state {
            return self.comment(id, status.as_str(), &note).await;
        }
        let refused = |what: &str| {
            Error::new(
                ErrorKind::Conflict,
                format!("order {id}: Magento refused to {what} (state `{state}`)"),
            )
            .with_platform(PLATFORM)
        };
        match target_state.as_str() {
            "canceled" => {
                if !self.action(id, "cancel").await? {
                    return Err(refused("cancel it"));
                }
            }
            "holded" => {
                self.action(id, "hold").await?;
            }
            _ if state == "holded" => {
                self.action(id, "unhold").await?;
                let again = self.raw_order(id).await?;
                if again.get("state").and_then(Value::as_str) != Some(target_state.as_str()) {
                    return Err(refused(&format!("move it to `{status}` after the hold")));
                }
            }
            // The ledger invoiced the order (E2): Magento's document for that is an invoice
            // (offline: the money was taken, or is owed, elsewhere); with every item shipped it
            // moves the order to `complete` itself.
            "complete" if state == "processing" && !fully_invoiced(&v) => {
                self.invoice_offline(id).await?;
                let after = self.raw_order(id).await?;
                let now = after.get("state").and_then(Value::as_str).unwrap_or("");
                if now != "complete" {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        format!("order {id}: invoiced, but Magento completes an order only once every item is shipped too (state `{now}`)"),
                    )
                    .with_platform(PLATFORM));
                }
            }
            other => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("order {id}: Magento moves an order from state `{state}` to state `{other}` (status `{status}`) only with a document — an invoice or shipment (processing/complete) or a credit memo (closed); a comment may only choose among the statuses of state `{state}`"),
                )
                .with_platform(PLATFORM));
            }
        }
        if self
            .config
            .statuses
            .iter()
            .any(|s| s.status == status.as_str() && s.state == target_state)
        {
            let after = self.raw_order(id).await?;
            if after.get("status").and_then(Value::as_str) != Some(status.as_str()) {
                self.comment(id, status.as_str(), &note).await?;
            }
        }
        Ok(())
    }
}

/// Whether an order (its `GET /V1/orders/{id}` body) has nothing left to invoice.
fn fully_invoiced(order: &Value) -> bool {
    let amount = |k: &str| {
        order
            .get(k)
            .map(|v| v.to_string().trim_matches('"').to_string())
            .and_then(|t| t.parse::<rust_decimal::Decimal>().ok())
    };
    match (amount("total_invoiced"), amount("grand_total")) {
        (Some(invoiced), Some(total)) => invoiced >= total,
        _ => false,
    }
}
