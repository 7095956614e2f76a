//! [`BigCommerce`]: the [`Storefront`] of a BigCommerce store.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use bc_core::{
    Cursor, Error, ErrorKind, InventoryLevel, NewOrder, Order, OrderId, OrderQuery, OrderStatus,
    Page, Payout, PayoutQuery, Refund, RefundQuery, Result, Shipment, ShipmentRef, StatusId,
    Storefront, StorefrontCapabilities,
};
use bc_http::{
    ApiRequest, ApiResponse, HttpClient, HttpTransport, Idempotency, ReqwestTransport,
    StaticHeaderAuth,
};
use futures::stream::{self, StreamExt};
use http::HeaderName;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::config::BigCommerceConfig;
use crate::fields::{field_error, Obj};
use crate::parse::{
    consignment_parts, order_needs, parse_customer, parse_order, parse_refund, parse_shipment_ref,
    parse_statuses, v3_page, BcCustomer, OrderParts,
};

/// The platform name in errors, traces and capabilities.
pub const PLATFORM: &str = "bigcommerce";
/// Largest page of v2 orders and v3 lists.
pub const MAX_PAGE: u32 = 250;
/// Largest absolute inventory adjustment.
pub const INVENTORY_BATCH: usize = 2000;

/// A BigCommerce store. Cheap to clone.
///
/// Requests per imported order: the list page (`include=consignments.line_items`, so lines
/// come with it, amortised over up to 250 orders), plus `/coupons` only when
/// `coupon_discount` ≠ 0, `/taxes?details=true` only when `total_tax` ≠ 0, v3
/// `/transactions` only when a gateway took money or gift certificates were redeemed, and
/// `/products` only when the consignments do not hold every item (`items_total`, e.g.
/// digital items). BigCommerce has no payouts API: [`Storefront::payouts`] is
/// [`ErrorKind::Unsupported`].
#[derive(Clone, Debug)]
pub struct BigCommerce {
    client: HttpClient,
    config: Arc<BigCommerceConfig>,
}

fn status_number(status: &StatusId) -> Result<u32> {
    status.as_str().trim().parse::<u32>().map_err(|_| {
        Error::new(
            ErrorKind::Invalid,
            format!("`{status}` is not a BigCommerce status id (0-14)"),
        )
        .with_platform(PLATFORM)
    })
}

impl BigCommerce {
    /// Connects over the network (reqwest, rustls).
    pub fn new(config: BigCommerceConfig) -> Result<Self> {
        Self::with_transport(config, Arc::new(ReqwestTransport::new()?))
    }

    /// Connects through `transport` (a [`bc_http::RouterTransport`] over the sandbox in tests).
    pub fn with_transport(
        config: BigCommerceConfig,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Self> {
        let auth = StaticHeaderAuth::new(
            HeaderName::from_static("x-auth-token"),
            config.access_token.clone(),
        );
        let client = HttpClient::builder(PLATFORM, config.base_url())
            .transport(transport)
            .account(&config.account_key(), config.limits)
            .retry(config.retry.clone())
            .auth(Arc::new(auth))
            .build()?;
        Ok(BigCommerce {
            client,
            config: Arc::new(config),
        })
    }

    /// The HTTP client (for requests this connector does not wrap).
    pub fn client(&self) -> &HttpClient {
        &self.client
    }

    async fn get_json(&self, req: ApiRequest, what: &str) -> Result<Value> {
        let resp = self.client.send(req).await?;
        body_json(&resp, what)
    }

    /// `GET` of a v2 list: `204` or an empty body is an empty list.
    async fn get_list(&self, req: ApiRequest, what: &str) -> Result<Vec<Value>> {
        let resp = self.client.send(req).await?;
        if resp.is_empty() {
            return Ok(Vec::new());
        }
        match body_json(&resp, what)? {
            Value::Array(items) => Ok(items),
            _ => Err(field_error(what, "(body)", "expected an array")),
        }
    }

    /// Every page of a v2 list.
    async fn get_all(
        &self,
        template: &str,
        id: &str,
        what: &str,
        extra: &[(&str, &str)],
    ) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for page in 1u32.. {
            let mut req = ApiRequest::get(template)
                .path_param("id", id)
                .query("limit", MAX_PAGE)
                .query("page", page);
            for (k, v) in extra {
                req = req.query(*k, *v);
            }
            let items = self.get_list(req, what).await?;
            let n = items.len();
            out.extend(items);
            if n < MAX_PAGE as usize {
                break;
            }
        }
        Ok(out)
    }

    /// Fetches what an order body says it needs and maps it.
    async fn complete(&self, order: Value) -> Result<Order> {
        let needs = order_needs(&order)?;
        let id = needs.id.clone();
        let what = format!("order {id}");
        let lines = async {
            match consignment_parts(&order)? {
                Some((addresses, products)) if quantity_of(&products) == needs.items_total => {
                    Ok((addresses, products))
                }
                // Truncated (digital items, pickups, links instead of lines): ask directly.
                _ => {
                    tracing::debug!(order = %id, "consignments do not hold every item; reading /products");
                    let (addresses, products) = futures::try_join!(
                        self.get_all("/v2/orders/{id}/shipping_addresses", &id, &what, &[]),
                        self.get_all("/v2/orders/{id}/products", &id, &what, &[]),
                    )?;
                    Ok::<_, Error>((addresses, products))
                }
            }
        };
        let coupons = async {
            if needs.coupons {
                self.get_all("/v2/orders/{id}/coupons", &id, &what, &[])
                    .await
            } else {
                Ok(Vec::new())
            }
        };
        let taxes = async {
            if needs.taxes {
                self.get_all("/v2/orders/{id}/taxes", &id, &what, &[("details", "true")])
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

    /// The v3 transactions of an order (raw JSON objects).
    pub async fn transactions(&self, order_id: &str) -> Result<Vec<Value>> {
        let what = format!("order {order_id} transactions");
        let resp = self
            .client
            .send(ApiRequest::get("/v3/orders/{id}/transactions").path_param("id", order_id))
            .await?;
        if resp.is_empty() {
            return Ok(Vec::new());
        }
        let body = body_json(&resp, &what)?;
        Ok(v3_page(&body, &what)?.0.to_vec())
    }

    /// A customer by id (v3), with company and customer group.
    pub async fn customer(&self, id: &str) -> Result<Option<BcCustomer>> {
        self.customers_where("id:in", id).await.map(|mut v| v.pop())
    }

    /// Customers with this e-mail (v3 `email:in`).
    pub async fn customers_by_email(&self, email: &str) -> Result<Vec<BcCustomer>> {
        self.customers_where("email:in", email).await
    }

    async fn customers_where(&self, filter: &str, value: &str) -> Result<Vec<BcCustomer>> {
        let what = format!("customers {filter} {value}");
        let body = self
            .get_json(ApiRequest::get("/v3/customers").query(filter, value), &what)
            .await?;
        v3_page(&body, &what)?
            .0
            .iter()
            .map(parse_customer)
            .collect()
    }

    fn order_list_request(
        &self,
        query: &OrderQuery,
        status: Option<&StatusId>,
        min_id: u64,
    ) -> Result<ApiRequest> {
        let limit = query.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
        let mut req = ApiRequest::get("/v2/orders")
            .query("include", "consignments.line_items")
            .query("sort", "id:asc")
            .query("limit", limit);
        if min_id > 0 {
            req = req.query("min_id", min_id);
        }
        if let Some(s) = status {
            req = req.query("status_id", status_number(s)?);
        }
        if let Some(at) = query.modified_since {
            req = req.query("min_date_modified", bc_core::wire::format_rfc2822(&at));
        }
        if let Some(at) = query.created_since {
            req = req.query("min_date_created", bc_core::wire::format_rfc2822(&at));
        }
        Ok(req)
    }

    async fn order_currency(&self, order_id: &str) -> Result<bc_core::Currency> {
        let what = format!("order {order_id}");
        let body = self
            .get_json(
                ApiRequest::get("/v2/orders/{id}").path_param("id", order_id),
                &what,
            )
            .await?;
        let o = Obj::of(&body, &what, "")?;
        let code = o
            .opt_text("default_currency_code")?
            .or(o.opt_text("currency_code")?)
            .ok_or_else(|| o.err("default_currency_code", "missing"))?;
        bc_core::Currency::new(&code).map_err(|e| o.err("default_currency_code", e.message()))
    }

    /// Registers webhooks for `scopes` to `destination`, sending `secret` in header
    /// `secret_header` with every delivery (BigCommerce's documented way to authenticate
    /// deliveries). Existing hooks with the same scope and destination are kept, not
    /// duplicated. Returns the hook ids.
    pub async fn register_webhooks(
        &self,
        destination: &str,
        scopes: &[&str],
        secret_header: &str,
        secret: &secrecy::SecretString,
    ) -> Result<Vec<String>> {
        use secrecy::ExposeSecret;
        let what = "webhooks";
        let body = self
            .get_json(ApiRequest::get("/v3/hooks").query("limit", MAX_PAGE), what)
            .await?;
        let existing = v3_page(&body, what)?.0.to_vec();
        let mut ids = Vec::new();
        for scope in scopes {
            let found = existing.iter().find(|h| {
                h.get("scope").and_then(Value::as_str) == Some(*scope)
                    && h.get("destination").and_then(Value::as_str) == Some(destination)
            });
            let hook = match found {
                Some(h) => h.clone(),
                None => {
                    let req = ApiRequest::post("/v3/hooks").json(&json!({
                        "scope": scope,
                        "destination": destination,
                        "is_active": true,
                        "headers": { secret_header: secret.expose_secret() },
                    }))?;
                    let created = self.get_json(req, what).await?;
                    created.get("data").cloned().unwrap_or(created)
                }
            };
            let o = Obj::of(&hook, what, "")?;
            ids.push(o.id("id")?);
        }
        Ok(ids)
    }
}

/// Σ `quantity` of product lines (unreadable quantities count 0: the parser reports them).
fn quantity_of(products: &[Value]) -> Decimal {
    products
        .iter()
        .filter_map(|p| p.get("quantity"))
        .filter_map(|q| bc_core::wire::decimal_or_zero(q.clone()).ok())
        .sum()
}

/// A positive whole quantity as BigCommerce takes it.
fn whole_quantity(q: Decimal) -> Option<u64> {
    use rust_decimal::prelude::ToPrimitive;
    let q = q.normalize();
    (q > Decimal::ZERO && q.fract().is_zero())
        .then(|| q.to_u64())
        .flatten()
}

/// An id as a JSON number when it is one (BigCommerce's integer ids), else as text.
fn json_id(id: &str) -> Value {
    id.parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(id.to_string()))
}

/// BigCommerce's `shipping_provider` enum; other carriers go in `tracking_carrier` only.
const SHIPPING_PROVIDERS: &[&str] = &[
    "auspost",
    "canadapost",
    "endicia",
    "usps",
    "fedex",
    "ups",
    "upsready",
    "upsonline",
    "shipperhq",
    "royalmail",
];

fn body_json(resp: &ApiResponse, what: &str) -> Result<Value> {
    resp.json::<Value>(what)
        .map_err(|e| e.with_platform(PLATFORM))
}

/// A listed item that could not be completed or parsed: its id when the payload has one
/// (else a key derived from the payload), the error, and the payload.
fn item_failure(raw: &Value, e: &Error) -> bc_core::ItemFailure {
    let key = match raw.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(raw.to_string().as_bytes());
            format!("raw:{}", hex::encode(&digest[..6]))
        }
    };
    let mut f = bc_core::ItemFailure::from_error(key, e);
    f.raw = Some(raw.to_string());
    if !e.is_temporary() {
        f = bc_core::ItemFailure::malformed(f.key, f.message, f.raw);
    }
    f
}

fn parse_cursor(c: &Option<Cursor>) -> Result<(usize, u64)> {
    match c {
        None => Ok((0, 0)),
        Some(c) if c.is_start() => Ok((0, 0)),
        Some(c) => {
            let bad = || {
                Error::new(
                    ErrorKind::Invalid,
                    format!("`{}` is not a BigCommerce cursor", c.0),
                )
                .with_platform(PLATFORM)
            };
            let (s, p) = c.0.split_once(':').ok_or_else(bad)?;
            Ok((s.parse().map_err(|_| bad())?, p.parse().map_err(|_| bad())?))
        }
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
            let req = self.order_list_request(query, *status, min_id)?;
            let rows = self.get_list(req, "orders page").await?;
            let last_id = rows
                .iter()
                .filter_map(|o| o.get("id").and_then(serde_json::Value::as_u64))
                .max();
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
            let completed: Vec<(Value, Result<Order>)> =
                stream::iter(rows.into_iter().map(|o| async move {
                    let r = self.complete(o.clone()).await;
                    (o, r)
                }))
                .buffered(self.config.concurrency.max(1))
                .collect()
                .await;
            let mut orders = Vec::with_capacity(completed.len());
            let mut failures = Vec::new();
            for (raw, r) in completed {
                match r {
                    Ok(o) => orders.push(o),
                    Err(e) => failures.push(item_failure(&raw, &e)),
                }
            }
            return Ok(Page::new(orders, next).with_failures(failures));
        }
    }

    async fn order(&self, id: &OrderId) -> Result<Order> {
        let what = format!("order {id}");
        let body = self
            .get_json(
                ApiRequest::get("/v2/orders/{id}")
                    .path_param("id", id)
                    .query("include", "consignments.line_items"),
                &what,
            )
            .await?;
        self.complete(body).await
    }

    async fn set_order_status(&self, id: &OrderId, status: &StatusId) -> Result<()> {
        let n = status_number(status)?;
        let req = ApiRequest::put("/v2/orders/{id}")
            .path_param("id", id)
            .json(&json!({ "status_id": n }))?;
        self.client.send(req).await?;
        Ok(())
    }

    /// Maps our lines to `order_product_id` (by line id, else by SKU) and each line to its
    /// `order_address_id`. BigCommerce takes one address per shipment, so lines shipping to
    /// different addresses become one shipment per address; the first one's reference is
    /// returned. Before posting, the order's existing shipments are read and an address that
    /// already has a shipment with the same tracking number is skipped: a retry after a lost
    /// answer, or after a failure half-way through the addresses, never ships (and notifies
    /// the shopper) twice.
    async fn create_shipment(&self, id: &OrderId, shipment: &Shipment) -> Result<ShipmentRef> {
        let what = format!("order {id}");
        let products = self
            .get_all("/v2/orders/{id}/products", id.as_str(), &what, &[])
            .await?;
        let mut rows = Vec::new();
        for (i, p) in products.iter().enumerate() {
            let path = format!("products[{i}]");
            let o = Obj::of(p, &what, &path)?;
            rows.push((
                o.id("id")?,
                o.opt_text("sku")?,
                o.opt_id("order_address_id")?,
            ));
        }
        // Items grouped by address, in the order addresses first appear.
        let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
        for (i, l) in shipment.lines.iter().enumerate() {
            let found = rows
                .iter()
                .find(|(pid, sku, _)| match (&l.line_id, &l.sku) {
                    (Some(lid), _) => pid == lid,
                    (None, Some(s)) => sku.as_deref() == Some(s.as_str()),
                    (None, None) => false,
                });
            let Some((pid, _, addr)) = found else {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("{what}: shipment line {i} matches no product of the order"),
                )
                .with_platform(PLATFORM));
            };
            let Some(addr) = addr else {
                // A digital line has no address and nothing to ship.
                continue;
            };
            let qty = l.quantity.normalize();
            if qty.fract() != Decimal::ZERO || qty <= Decimal::ZERO {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "{what}: shipment line {i}: quantity {qty} must be a positive whole number"
                    ),
                )
                .with_platform(PLATFORM));
            }
            let item = json!({ "order_product_id": pid.parse::<u64>().map(Value::from).unwrap_or(Value::String(pid.clone())), "quantity": qty.to_string().parse::<u64>().unwrap_or(0) });
            match groups.iter_mut().find(|(a, _)| a == addr) {
                Some((_, items)) => items.push(item),
                None => groups.push((addr.clone(), vec![item])),
            }
        }
        if groups.is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("{what}: the shipment has no physical line with a shipping address"),
            )
            .with_platform(PLATFORM));
        }
        let existing = self
            .get_all("/v2/orders/{id}/shipments", id.as_str(), &what, &[])
            .await?;
        let mut first: Option<ShipmentRef> = None;
        for (address, items) in groups {
            let already = shipment.tracking_number.as_ref().and_then(|t| {
                existing.iter().find(|e| {
                    e.get("tracking_number").and_then(Value::as_str) == Some(t.as_str())
                        && e.get("order_address_id").map(|a| match a {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        }) == Some(address.clone())
                })
            });
            if let Some(done) = already {
                if first.is_none() {
                    first = Some(parse_shipment_ref(done, id.as_str())?);
                }
                continue;
            }
            let mut body = json!({
                "order_address_id": json_id(&address),
                "items": items,
            });
            if let Value::Object(m) = &mut body {
                if let Some(t) = &shipment.tracking_number {
                    m.insert("tracking_number".into(), json!(t));
                }
                if let Some(c) = &shipment.carrier {
                    let slug = c.trim().to_ascii_lowercase().replace(' ', "-");
                    if SHIPPING_PROVIDERS.contains(&slug.as_str()) {
                        m.insert("shipping_provider".into(), json!(slug));
                    }
                    m.insert("tracking_carrier".into(), json!(slug));
                }
                if let Some(v) = &shipment.ship_via {
                    m.insert("shipping_method".into(), json!(v));
                }
                if let Some(c) = &shipment.comments {
                    m.insert("comments".into(), json!(c));
                }
            }
            let req = ApiRequest::post("/v2/orders/{id}/shipments")
                .path_param("id", id)
                .json(&body)?;
            let created = self.get_json(req, &what).await?;
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

    /// `PUT /v3/inventory/adjustments/absolute` at the configured location (default 1), by
    /// SKU. Absolute quantities make a repeat harmless, so it is retried like a read. SKUs the
    /// store does not have are skipped with a warning (a ledger holds more items than the store
    /// sells); the others are still pushed.
    async fn set_inventory(&self, levels: &[InventoryLevel]) -> Result<()> {
        if levels.is_empty() {
            return Ok(());
        }
        if levels.len() > INVENTORY_BATCH {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "{} levels in one call; BigCommerce takes at most {INVENTORY_BATCH}",
                    levels.len()
                ),
            )
            .with_platform(PLATFORM));
        }
        let mut items = Vec::with_capacity(levels.len());
        for l in levels {
            let q = l.available.max(Decimal::ZERO).floor();
            let q: i64 = q.to_string().parse().map_err(|_| {
                Error::new(
                    ErrorKind::Invalid,
                    format!("sku {}: quantity {} out of range", l.sku, l.available),
                )
            })?;
            items.push((l.sku.as_str().to_string(), q));
        }
        // A ledger holds items the store does not sell; BigCommerce refuses the whole batch for
        // one unknown SKU (422 "Item with sku X does not exist"). Those SKUs are dropped, named
        // in a warning, and the rest is pushed.
        let mut unknown: Vec<String> = Vec::new();
        loop {
            if items.is_empty() {
                break;
            }
            let body: Vec<Value> = items
                .iter()
                .map(|(sku, q)| json!({ "location_id": self.config.inventory_location_id, "sku": sku, "quantity": q }))
                .collect();
            let req = ApiRequest::put("/v3/inventory/adjustments/absolute")
                .json(&json!({ "reason": "bcsync", "items": body }))?
                .idempotency(Idempotency::Idempotent);
            match self.client.send(req).await {
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::Invalid => {
                    let text = e.to_string();
                    let missing = items.iter().position(|(sku, _)| {
                        text.contains(&format!("Item with sku {sku} does not exist"))
                    });
                    match missing {
                        Some(i) => unknown.push(items.remove(i).0),
                        None => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if !unknown.is_empty() {
            tracing::warn!(skus = %unknown.join(", "), "inventory: SKUs not in the BigCommerce store were skipped");
        }
        Ok(())
    }

    /// The store-wide v3 refunds list (`created:min`, `order_id:in`), 250 per page; each
    /// refund carries its order's currency (one order read per distinct order of the page).
    async fn refunds(&self, query: &RefundQuery) -> Result<Page<Refund>> {
        let page = match &query.cursor {
            Some(c) if !c.is_start() => c.0.parse::<u64>().map_err(|_| {
                Error::new(
                    ErrorKind::Invalid,
                    format!("`{}` is not a refunds cursor", c.0),
                )
                .with_platform(PLATFORM)
            })?,
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
        let resp = self.client.send(req).await?;
        if resp.is_empty() {
            return Ok(Page::empty());
        }
        let body = body_json(&resp, "refunds page")?;
        let (rows, total_pages) = v3_page(&body, "refunds page")?;
        let mut currencies: BTreeMap<String, bc_core::Currency> = BTreeMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
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

    /// The order's shipment with the same tracking number (`GET /v2/orders/{id}/shipments`);
    /// without a tracking number, one that ships exactly the same quantities of the same lines.
    async fn find_shipment(
        &self,
        id: &OrderId,
        shipment: &Shipment,
    ) -> Result<Option<ShipmentRef>> {
        let what = format!("order {id}");
        let existing = self
            .get_all("/v2/orders/{id}/shipments", id.as_str(), &what, &[])
            .await?;
        let same_lines = |e: &Value| {
            let Some(items) = e.get("items").and_then(Value::as_array) else {
                return false;
            };
            let mut got: Vec<(String, Decimal)> = items
                .iter()
                .filter_map(|i| {
                    let line = i.get("order_product_id").map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })?;
                    let qty = i.get("quantity").and_then(|q| q.to_string().parse().ok())?;
                    Some((line, qty))
                })
                .collect();
            let mut want: Vec<(String, Decimal)> = shipment
                .lines
                .iter()
                .filter_map(|l| Some((l.line_id.clone()?, l.quantity)))
                .collect();
            got.sort();
            want.sort();
            !want.is_empty() && got == want
        };
        for e in &existing {
            let found = match &shipment.tracking_number {
                Some(t) => e.get("tracking_number").and_then(Value::as_str) == Some(t.as_str()),
                None => same_lines(e),
            };
            if found {
                return parse_shipment_ref(e, id.as_str()).map(Some);
            }
        }
        Ok(None)
    }

    /// The order created earlier with `external_order_id` = `ledger_number`.
    async fn find_order_by_reference(&self, ledger_number: &str) -> Result<Option<OrderId>> {
        let existing = self
            .get_list(
                ApiRequest::get("/v2/orders")
                    .query("external_order_id", ledger_number)
                    .query("limit", 1),
                "orders by external_order_id",
            )
            .await?;
        match existing.first() {
            Some(o) => Ok(Some(OrderId::new(Obj::of(o, "order", "")?.id("id")?))),
            None => Ok(None),
        }
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
        if let Some(id) = self.find_order_by_reference(&order.ledger_number).await? {
            return Ok(id);
        }
        let addr = |a: &bc_core::Address| {
            json!({
                "first_name": a.first_name, "last_name": a.last_name,
                "company": a.company.clone().unwrap_or_default(),
                "street_1": a.street_1, "street_2": a.street_2.clone().unwrap_or_default(),
                "city": a.city, "state": a.state, "zip": a.zip, "country": a.country,
                "country_iso2": a.country_iso2,
                "phone": a.phone.clone().unwrap_or_default(),
                "email": a.email.clone().unwrap_or_default(),
            })
        };
        let mut shipping = addr(&order.shipping);
        if let (Value::Object(m), Some(method)) = (&mut shipping, &order.shipping_method) {
            m.insert("shipping_method".into(), json!(method));
        }
        let mut products = Vec::with_capacity(order.lines.len());
        for (i, l) in order.lines.iter().enumerate() {
            let qty = whole_quantity(l.quantity).ok_or_else(|| {
                Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "new order {}: line {i}: quantity {} must be a positive whole number",
                        order.ledger_number, l.quantity
                    ),
                )
                .with_platform(PLATFORM)
            })?;
            products.push(json!({
                "name": l.name, "sku": l.sku.as_str(), "quantity": qty,
                "price_ex_tax": l.unit_price_ex_tax.to_string(),
                "price_inc_tax": l.unit_price_ex_tax.to_string(),
            }));
        }
        let mut body = json!({
            "status_id": status_number(&order.status)?,
            "customer_id": order.customer_id.as_ref().and_then(|c| c.as_str().parse::<u64>().ok()).unwrap_or(0),
            "billing_address": addr(&order.billing),
            "shipping_addresses": [shipping],
            "products": products,
            "shipping_cost_ex_tax": order.shipping_ex_tax.to_string(),
            "shipping_cost_inc_tax": order.shipping_ex_tax.to_string(),
            "external_order_id": order.ledger_number,
            "external_source": "bcsync",
            "default_currency_code": order.currency.code(),
        });
        if let (Value::Object(m), Some(n)) = (&mut body, &order.staff_notes) {
            m.insert("staff_notes".into(), json!(n));
        }
        let what = format!("new order {}", order.ledger_number);
        let created = self
            .get_json(ApiRequest::post("/v2/orders").json(&body)?, &what)
            .await?;
        Ok(OrderId::new(Obj::of(&created, &what, "")?.id("id")?))
    }

    async fn statuses(&self) -> Result<Vec<OrderStatus>> {
        let rows = self
            .get_list(ApiRequest::get("/v2/order_statuses"), "order statuses")
            .await?;
        parse_statuses(&rows)
    }
}
