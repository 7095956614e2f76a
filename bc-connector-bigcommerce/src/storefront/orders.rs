//! Orders: the keyset listing, one order completed with the sub-resources it needs, status
//! updates, the status list, and the store-wide refunds list.

use std::collections::BTreeMap;

use bc_core::{
    Currency, Cursor, Error, ItemFailure, Order, OrderId, OrderQuery, OrderStatus, Page, Refund,
    RefundQuery, Result, StatusId,
};
use bc_http::ApiRequest;
use futures::stream::{self, StreamExt};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::BigCommerce;
use crate::client::{get_all, get_json, get_list, get_list_raw, get_v3, order_list_request};
use crate::error::{invalid, item_failure};
use crate::mapping::order::quantity_of;
use crate::mapping::{
    consignment_parts, order_needs, parse_order, parse_refund, parse_statuses,
    status::status_number,
};
use crate::wire::{Obj, OrderParts};
use crate::MAX_PAGE;

/// The numeric `id` of a listed row (kept as JSON text), as `Value::get("id")` reads it.
fn row_id(row: &RawValue) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Row {
        id: Option<Value>,
    }
    serde_json::from_str::<Row>(row.get())
        .ok()
        .and_then(|r| r.id)
        .and_then(|id| id.as_u64())
}

/// A listed row (JSON text, valid: it was read as part of the page) as a tree.
fn parse_row(row: &RawValue) -> std::result::Result<Value, ItemFailure> {
    serde_json::from_str(row.get()).map_err(|e| {
        let e = invalid(format!("an order of the page cannot be read: {e}"));
        item_failure(&Value::String(row.get().to_string()), &e)
    })
}

/// Reads an orders cursor: `"{status index}:{next min id}"`; none or the start is `(0, 0)`.
fn parse_cursor(c: &Option<Cursor>) -> Result<(usize, u64)> {
    match c {
        None => Ok((0, 0)),
        Some(c) if c.is_start() => Ok((0, 0)),
        Some(c) => {
            let bad = || invalid(format!("`{}` is not a BigCommerce cursor", c.0));
            let (s, p) = c.0.split_once(':').ok_or_else(bad)?;
            Ok((s.parse().map_err(|_| bad())?, p.parse().map_err(|_| bad())?))
        }
    }
}

impl BigCommerce {
    /// [`bc_core::Storefront::orders`]: see there.
    pub(crate) async fn list_orders(&self, query: &OrderQuery) -> Result<Page<Order>> {
        let (mut si, mut min_id) = parse_cursor(&query.cursor)?;
        let statuses: Vec<Option<&StatusId>> = if query.statuses.is_empty() {
            vec![None]
        } else {
            query.statuses.iter().map(Some).collect()
        };
        let limit = query.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE) as usize;
        loop {
            let Some(status) = statuses.get(si) else {
                return Ok(Page::empty());
            };
            let req = order_list_request(query, *status, min_id)?;
            // Rows stay JSON text until their turn: only the orders being completed are
            // parsed trees at once (a worker lists a page per connection).
            let rows = get_list_raw(&self.client, req, "orders page").await?;
            let last_id = rows.iter().filter_map(|o| row_id(o)).max();
            let full = rows.len() >= limit;
            let next = match (full, last_id) {
                (true, Some(last)) => Some(Cursor(format!("{si}:{}", last + 1))),
                _ if si + 1 < statuses.len() => Some(Cursor(format!("{}:0", si + 1))),
                _ => None,
            };
            if rows.is_empty() {
                match next {
                    Some(_) => {
                        si += 1;
                        min_id = 0;
                        continue;
                    }
                    None => return Ok(Page::empty()),
                }
            }
            let completed: Vec<std::result::Result<Order, ItemFailure>> =
                stream::iter(rows.into_iter().map(|raw| async move {
                    let o = parse_row(&raw)?;
                    // The row's text is kept for a failure only (its payload, re-read then).
                    self.complete(o).await.map_err(|e| match parse_row(&raw) {
                        Ok(o) => item_failure(&o, &e),
                        Err(f) => f,
                    })
                }))
                .buffered(self.config.concurrency.max(1))
                .collect()
                .await;
            let mut orders = Vec::with_capacity(completed.len());
            let mut failures = Vec::new();
            for r in completed {
                match r {
                    Ok(o) => orders.push(o),
                    Err(f) => failures.push(f),
                }
            }
            return Ok(Page::new(orders, next).with_failures(failures));
        }
    }

    /// One order, with its lines.
    pub(crate) async fn read_order(&self, id: &OrderId) -> Result<Order> {
        let what = format!("order {id}");
        let req = ApiRequest::get("/v2/orders/{id}")
            .path_param("id", id)
            .query("include", "consignments.line_items");
        let body = get_json(&self.client, req, &what).await?;
        self.complete(body).await
    }

    /// Fetches what an order body says it needs and maps it.
    async fn complete(&self, order: Value) -> Result<Order> {
        let needs = order_needs(&order)?;
        let id = needs.id.clone();
        let what = format!("order {id}");
        let client = &self.client;
        let lines = async {
            match consignment_parts(&order)? {
                Some((addresses, products)) if quantity_of(&products) == needs.items_total => {
                    Ok((addresses, products))
                }
                // Truncated (digital items, pickups, links instead of lines): ask directly.
                _ => {
                    tracing::debug!(order = %id, "consignments do not hold every item; reading /products");
                    let (addresses, products) = futures::try_join!(
                        get_all(
                            client,
                            "/v2/orders/{id}/shipping_addresses",
                            &id,
                            &what,
                            &[]
                        ),
                        get_all(client, "/v2/orders/{id}/products", &id, &what, &[]),
                    )?;
                    Ok::<_, Error>((addresses, products))
                }
            }
        };
        let coupons = async {
            if needs.coupons {
                get_all(client, "/v2/orders/{id}/coupons", &id, &what, &[]).await
            } else {
                Ok(Vec::new())
            }
        };
        let taxes = async {
            if needs.taxes {
                get_all(
                    client,
                    "/v2/orders/{id}/taxes",
                    &id,
                    &what,
                    &[("details", "true")],
                )
                .await
            } else {
                Ok(Vec::new())
            }
        };
        let transactions = async {
            if needs.transactions && self.config.payment_transactions {
                self.transactions(&id).await.map(Some)
            } else {
                Ok(None)
            }
        };
        let ((addresses, products), coupons, taxes, transactions) =
            futures::try_join!(lines, coupons, taxes, transactions)?;
        parse_order(&OrderParts {
            order,
            products,
            shipping_addresses: addresses,
            coupons,
            taxes,
            transactions,
        })
    }

    /// `PUT /v2/orders/{id}` with the status number.
    pub(crate) async fn put_order_status(&self, id: &OrderId, status: &StatusId) -> Result<()> {
        let n = status_number(status)?;
        let req = ApiRequest::put("/v2/orders/{id}")
            .path_param("id", id)
            .json(&json!({ "status_id": n }))?;
        self.client.send(req).await?;
        Ok(())
    }

    /// `GET /v2/order_statuses`.
    pub(crate) async fn list_statuses(&self) -> Result<Vec<OrderStatus>> {
        let rows = get_list(
            &self.client,
            ApiRequest::get("/v2/order_statuses"),
            "order statuses",
        )
        .await?;
        parse_statuses(&rows)
    }

    /// The currency of an order (`default_currency_code`, else `currency_code`).
    async fn order_currency(&self, order_id: &str) -> Result<Currency> {
        let what = format!("order {order_id}");
        let req = ApiRequest::get("/v2/orders/{id}").path_param("id", order_id);
        let body = get_json(&self.client, req, &what).await?;
        let o = Obj::of(&body, &what, "")?;
        let code = o
            .opt_text("default_currency_code")?
            .or(o.opt_text("currency_code")?)
            .ok_or_else(|| o.err("default_currency_code", "missing"))?;
        Currency::new(&code).map_err(|e| o.err("default_currency_code", e.message()))
    }

    /// [`bc_core::Storefront::refunds`]: see there. The cursor is the next page number.
    pub(crate) async fn list_refunds(&self, query: &RefundQuery) -> Result<Page<Refund>> {
        let page = match &query.cursor {
            Some(c) if !c.is_start() => {
                c.0.parse::<u64>()
                    .map_err(|_| invalid(format!("`{}` is not a refunds cursor", c.0)))?
            }
            _ => 1,
        };
        let mut req = ApiRequest::get("/v3/orders/payment_actions/refunds")
            .query("limit", MAX_PAGE)
            .query("page", page);
        if let Some(at) = query.created_since {
            req = req.query(
                "created:min",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
        }
        if !query.orders.is_empty() {
            let ids: Vec<&str> = query.orders.iter().map(OrderId::as_str).collect();
            req = req.query("order_id:in", ids.join(","));
        }
        let (rows, total_pages) = get_v3(&self.client, req, "refunds page").await?;
        if rows.is_empty() && total_pages.is_none() {
            return Ok(Page::empty());
        }
        let mut currencies: BTreeMap<String, Currency> = BTreeMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let order_id = Obj::of(row, "refund", "")?.id("order_id")?;
            let currency = match currencies.get(&order_id) {
                Some(c) => *c,
                None => {
                    let c = self.order_currency(&order_id).await?;
                    currencies.insert(order_id.clone(), c);
                    c
                }
            };
            out.push(parse_refund(row, currency)?);
        }
        let next = match total_pages {
            Some(t) if page < t => Some(Cursor(format!("{}", page + 1))),
            None if rows.len() >= MAX_PAGE as usize => Some(Cursor(format!("{}", page + 1))),
            _ => None,
        };
        Ok(Page::new(out, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_status_index_and_min_id() {
        assert_eq!(parse_cursor(&None).unwrap(), (0, 0));
        assert_eq!(parse_cursor(&Some(Cursor::start())).unwrap(), (0, 0));
        assert_eq!(parse_cursor(&Some(Cursor("1:42".into()))).unwrap(), (1, 42));
        for bad in ["x", "1:", ":3", "1:-2"] {
            assert!(parse_cursor(&Some(Cursor(bad.into()))).is_err(), "{bad}");
        }
    }

    #[test]
    fn listed_rows_kept_as_text_read_as_the_tree_did() {
        // A page kept as JSON text: each row parses to the tree the whole page gave, and
        // its id reads as `Value::get("id")` read it.
        let page = r#"[{"id": 101, "status_id": 11, "total_inc_tax": "10.50",
            "consignments": [{"shipping": [{"line_items": [{"id": 1}]}]}]},
            {"id": "x"}, {"no_id": true}, 7, {"id": 18446744073709551615}]"#;
        let rows: Vec<Box<RawValue>> = serde_json::from_str(page).unwrap();
        let trees: Vec<Value> = serde_json::from_str(page).unwrap();
        assert_eq!(rows.len(), trees.len());
        for (raw, tree) in rows.iter().zip(&trees) {
            assert_eq!(&parse_row(raw).unwrap(), tree);
            assert_eq!(row_id(raw), tree.get("id").and_then(Value::as_u64), "{raw}");
        }
        assert_eq!(row_id(&rows[0]), Some(101));
        assert_eq!(row_id(&rows[4]), Some(u64::MAX));
        // A failure's payload is the row as the tree printed it.
        let e = invalid("order 101: total_inc_tax");
        let f = item_failure(&parse_row(&rows[0]).unwrap(), &e);
        assert_eq!(f.key, "101");
        assert_eq!(f.raw, Some(trees[0].to_string()));
    }
}
