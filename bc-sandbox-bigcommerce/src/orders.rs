//! v2 orders: list, count, one order (with `include=consignments,consignments.line_items,fees`),
//! create, update, and the sub-resources products, coupons, taxes, shipping addresses; and the
//! order statuses.
//!
//! Lists answer `204 No Content` with an empty body when the page is empty (BigCommerce's real
//! behaviour). `limit` is capped at 250, default 50; the default sort is by id ascending.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::generator::{self, Zone};
use crate::state::*;
use crate::wire::{self, money, num, rate10, rfc2822, rfc2822_opt, Page, Params};
use crate::App;

/// System names of statuses 0–14.
pub fn status_name(id: u8) -> &'static str {
    match id {
        0 => "Incomplete",
        1 => "Pending",
        2 => "Shipped",
        3 => "Partially Shipped",
        4 => "Refunded",
        5 => "Cancelled",
        6 => "Declined",
        7 => "Awaiting Payment",
        8 => "Awaiting Pickup",
        9 => "Awaiting Shipment",
        10 => "Completed",
        11 => "Awaiting Fulfillment",
        12 => "Manual Verification Required",
        13 => "Disputed",
        14 => "Partially Refunded",
        _ => "Unknown",
    }
}

fn status_description(id: u8) -> &'static str {
    match id {
        0 => "An incomplete order happens when a shopper reached the payment page, but did not complete the transaction.",
        1 => "Customer started the checkout process, but did not complete it.",
        2 => "Order has been shipped, but receipt has not been confirmed; seller has used the Ship Items action.",
        3 => "Only some items in the order have been shipped, due to some products being pre-order only or other reasons.",
        4 => "Seller has used the Refund action.",
        5 => "Seller has cancelled an order, due to a stock inconsistency or other reasons.",
        6 => "Seller has marked the order as declined for lack of manual payment, or other reasons.",
        7 => "Customer has completed checkout process, but payment has yet to be confirmed.",
        8 => "Order has been pulled, and is awaiting customer pickup from a seller-specified location.",
        9 => "Order has been pulled and packaged, and is awaiting collection from a shipping provider.",
        10 => "Client has paid for their digital product and their file(s) are available for download.",
        11 => "Customer has completed the checkout process and payment has been confirmed.",
        12 => "Order is on hold while some aspect needs to be manually confirmed.",
        13 => "Customer has initiated a dispute resolution process for the PayPal transaction that paid for the order.",
        14 => "Seller has partially refunded the order.",
        _ => "",
    }
}

/// The control panel's default sort order of statuses.
fn status_sort(id: u8) -> u8 {
    match id {
        0 => 0,
        1 => 1,
        7 => 2,
        11 => 3,
        9 => 4,
        8 => 5,
        3 => 6,
        10 => 7,
        2 => 8,
        5 => 9,
        6 => 10,
        4 => 11,
        13 => 12,
        12 => 13,
        14 => 14,
        _ => 15,
    }
}

/// Where links point: the host the client used, else BigCommerce's API host.
pub fn base_url(headers: &HeaderMap) -> String {
    headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("http://{h}"))
        .unwrap_or_else(|| "https://api.bigcommerce.com".into())
}

/// An address on the wire (billing, shipment).
pub fn address_json(a: &Address) -> Map<String, Value> {
    let v = json!({
        "first_name": a.first_name, "last_name": a.last_name, "company": a.company,
        "street_1": a.street_1, "street_2": a.street_2, "city": a.city, "state": a.state,
        "zip": a.zip, "country": a.country, "country_iso2": a.country_iso2,
        "phone": a.phone, "email": a.email,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// An order on the wire (`GET /v2/orders/{id}`), without includes.
pub fn order_json(store: &Store, o: &Order, base: &str, hash: &str) -> Value {
    let ship_ex = o.shipping_ex_tax();
    let ship_tax = o.shipping_tax();
    let hand_ex = o.handling_ex_tax();
    let hand_tax = o.handling_tax();
    let wrap_ex = o.wrapping_ex_tax();
    let wrap_tax = o.wrapping_tax();
    let mut billing = address_json(&o.billing_address);
    billing.insert("form_fields".into(), json!([]));
    let money_part = json!({
        "subtotal_ex_tax": money(o.subtotal_ex_tax()),
        "subtotal_inc_tax": money(o.subtotal_inc_tax()),
        "subtotal_tax": money(o.subtotal_tax()),
        "base_shipping_cost": money(ship_ex),
        "shipping_cost_ex_tax": money(ship_ex),
        "shipping_cost_inc_tax": money(ship_ex + ship_tax),
        "shipping_cost_tax": money(ship_tax),
        "shipping_cost_tax_class_id": o.shipping_cost_tax_class_id,
        "base_handling_cost": money(hand_ex),
        "handling_cost_ex_tax": money(hand_ex),
        "handling_cost_inc_tax": money(hand_ex + hand_tax),
        "handling_cost_tax": money(hand_tax),
        "handling_cost_tax_class_id": o.handling_cost_tax_class_id,
        "base_wrapping_cost": money(wrap_ex),
        "wrapping_cost_ex_tax": money(wrap_ex),
        "wrapping_cost_inc_tax": money(wrap_ex + wrap_tax),
        "wrapping_cost_tax": money(wrap_tax),
        "wrapping_cost_tax_class_id": o.wrapping_cost_tax_class_id,
        "total_ex_tax": money(o.total_ex_tax()),
        "total_inc_tax": money(o.total_inc_tax()),
        "total_tax": money(o.total_tax()),
        "refunded_amount": money(o.refunded_amount),
        "store_credit_amount": money(o.store_credit_amount),
        "gift_certificate_amount": money(o.gift_certificate_amount),
        "discount_amount": money(o.discount_amount),
        "coupon_discount": money(o.coupon_discount),
        "currency_exchange_rate": rate10(o.exchange_rate),
        "store_default_to_transactional_exchange_rate": rate10(o.exchange_rate),
    });
    let rest = json!({
        "id": o.id,
        "customer_id": o.customer_id,
        "date_created": rfc2822(o.date_created),
        "date_modified": rfc2822(o.date_modified),
        "date_shipped": rfc2822_opt(o.date_shipped),
        "status_id": o.status_id,
        "status": status_name(o.status_id),
        "custom_status": store.status_label(o.status_id),
        "is_tax_inclusive_pricing": false,
        "items_total": o.items_total(),
        "items_shipped": o.items_shipped(),
        "payment_method": o.payment_method,
        "payment_provider_id": o.payment_provider_id,
        "payment_status": o.payment_status,
        "order_is_digital": o.order_is_digital,
        "ip_address": o.ip_address,
        "ip_address_v6": "",
        "geoip_country": o.billing_address.country,
        "geoip_country_iso2": o.billing_address.country_iso2,
        "currency_id": o.currency_id,
        "currency_code": o.currency_code,
        "default_currency_id": o.currency_id,
        "default_currency_code": o.currency_code,
        "store_default_currency_code": "USD",
        "staff_notes": o.staff_notes,
        "customer_message": o.customer_message,
        "shipping_address_count": o.shipping_addresses.len(),
        "is_deleted": false,
        "ebay_order_id": "0",
        "cart_id": o.cart_id,
        "billing_address": billing,
        "is_email_opt_in": o.is_email_opt_in,
        "credit_card_type": o.credit_card_type,
        "order_source": o.order_source,
        "channel_id": o.channel_id,
        "external_source": o.external_source,
        "external_id": o.external_id,
        "external_merchant_id": null,
        "external_order_id": o.external_order_id,
        "tax_provider_id": "BasicTaxProvider",
        "customer_locale": o.customer_locale,
        "products": wire::link(base, hash, "v2", &format!("/orders/{}/products", o.id)),
        "shipping_addresses": wire::link(base, hash, "v2", &format!("/orders/{}/shippingaddresses", o.id)),
        "coupons": wire::link(base, hash, "v2", &format!("/orders/{}/coupons", o.id)),
    });
    let mut m = match rest {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Value::Object(mp) = money_part {
        m.extend(mp);
    }
    Value::Object(m)
}

/// An order line on the wire.
pub fn product_json(p: &OrderProduct) -> Value {
    let qty = Decimal::from(p.quantity);
    let a = json!({
        "id": p.id, "order_id": p.order_id, "product_id": p.product_id, "variant_id": p.variant_id,
        "order_pickup_method_id": 0, "order_address_id": p.order_address_id,
        "name": p.name, "name_customer": p.name, "name_merchant": p.name,
        "sku": p.sku, "upc": "", "type": p.product_type,
        "base_price": money(p.price_ex_tax), "price_ex_tax": money(p.price_ex_tax),
        "price_inc_tax": money(p.price_inc_tax()), "price_tax": money(p.price_tax),
        "base_total": money(p.total_ex_tax), "total_ex_tax": money(p.total_ex_tax),
        "total_inc_tax": money(p.total_inc_tax()), "total_tax": money(p.total_tax),
        "weight": money(p.weight), "width": money(Decimal::ZERO), "height": money(Decimal::ZERO), "depth": money(Decimal::ZERO),
        "quantity": p.quantity,
        "base_cost_price": money(p.base_cost_price), "cost_price_inc_tax": money(p.base_cost_price),
        "cost_price_ex_tax": money(p.base_cost_price), "cost_price_tax": money(Decimal::ZERO),
    });
    let b = json!({
        "is_refunded": p.quantity_refunded > 0 && p.quantity_refunded >= p.quantity,
        "quantity_refunded": p.quantity_refunded,
        "refund_amount": money(Decimal::ZERO),
        "return_id": 0,
        "wrapping_id": if p.wrapping_name.is_some() { 1 } else { 0 },
        "wrapping_name": p.wrapping_name.clone().unwrap_or_default(),
        "base_wrapping_cost": money(if qty.is_zero() { Decimal::ZERO } else { p.wrapping_cost_ex_tax / qty }),
        "wrapping_cost_ex_tax": money(p.wrapping_cost_ex_tax),
        "wrapping_cost_inc_tax": money(p.wrapping_cost_inc_tax()),
        "wrapping_cost_tax": money(p.wrapping_cost_tax),
        "wrapping_message": p.wrapping_message,
        "quantity_shipped": p.quantity_shipped,
        "event_name": null, "event_date": null,
        "fixed_shipping_cost": money(Decimal::ZERO),
        "ebay_item_id": "", "ebay_transaction_id": "",
        "option_set_id": if p.product_id == 0 { Value::Null } else { json!(10 + p.product_id % 40) },
        "parent_order_product_id": null, "is_bundled_product": false,
        "bin_picking_number": "", "external_id": null, "brand": p.brand,
        "applied_discounts": p.applied_discounts.iter().map(|d| json!({
            "id": d.id, "amount": money(d.amount), "name": d.name, "code": d.code, "target": d.target,
        })).collect::<Vec<_>>(),
        "product_options": p.name.rsplit_once(" - Size: ").map(|(_, size)| vec![json!({
            "id": p.id * 10, "option_id": 18, "order_product_id": p.id, "product_option_id": 100 + p.product_id,
            "display_name": "Size", "display_name_customer": "Size", "display_name_merchant": "Size",
            "display_value": size, "display_value_customer": size, "display_value_merchant": size,
            "value": (p.variant_id * 3).to_string(), "type": "Multiple choice", "name": "Apparel sizes", "display_style": "Rectangle",
        })]).unwrap_or_default(),
        "configurable_fields": [], "gift_certificate_id": null,
        "discounted_total_inc_tax": money(p.discounted_total_inc_tax()),
    });
    let mut m = match a {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Value::Object(mb) = b {
        m.extend(mb);
    }
    Value::Object(m)
}

/// A shipping address on the wire.
pub fn shipping_address_json(o: &Order, a: &ShippingAddress, base: &str, hash: &str) -> Value {
    let mut m = address_json(&a.address);
    let items_total: u32 = o
        .products
        .iter()
        .filter(|p| p.order_address_id == a.id)
        .map(|p| p.quantity)
        .sum();
    let items_shipped: u32 = o
        .products
        .iter()
        .filter(|p| p.order_address_id == a.id)
        .map(|p| p.quantity_shipped)
        .sum();
    let extra = json!({
        "id": a.id, "order_id": a.order_id,
        "items_total": items_total, "items_shipped": items_shipped,
        "shipping_method": a.shipping_method,
        "base_cost": money(a.cost_ex_tax), "cost_ex_tax": money(a.cost_ex_tax),
        "cost_inc_tax": money(a.cost_ex_tax + a.cost_tax), "cost_tax": money(a.cost_tax),
        "cost_tax_class_id": o.shipping_cost_tax_class_id,
        "base_handling_cost": money(a.handling_cost_ex_tax), "handling_cost_ex_tax": money(a.handling_cost_ex_tax),
        "handling_cost_inc_tax": money(a.handling_cost_ex_tax + a.handling_cost_tax), "handling_cost_tax": money(a.handling_cost_tax),
        "handling_cost_tax_class_id": o.handling_cost_tax_class_id,
        "shipping_zone_id": a.shipping_zone_id, "shipping_zone_name": a.shipping_zone_name,
        "shipping_quotes": wire::link(base, hash, "v2", &format!("/orders/{}/shippingaddresses/{}/shippingquotes", o.id, a.id)),
        "form_fields": [],
    });
    if let Value::Object(e) = extra {
        m.extend(e);
    }
    Value::Object(m)
}

/// A coupon row on the wire.
pub fn coupon_json(c: &OrderCoupon) -> Value {
    json!({ "id": c.id, "coupon_id": c.coupon_id, "order_id": c.order_id, "code": c.code,
            "amount": num(c.amount), "type": c.coupon_type, "discount": num(c.discount) })
}

/// Tax rows on the wire: one per rate per taxed thing with `details`, else summed per address
/// and rate.
pub fn taxes_json(o: &Order, details: bool) -> Vec<Value> {
    let row = |t: &OrderTax, amount: Decimal| {
        let mut v = json!({
            "id": t.id, "order_id": t.order_id, "order_address_id": t.order_address_id,
            "tax_rate_id": t.tax_rate_id, "sales_tax_id": format!("TaxId{}", t.tax_rate_id),
            "tax_class_id": t.tax_class_id, "name": t.name, "class": t.class,
            "rate": money(t.rate), "priority": t.priority,
            "priority_amount": money(amount), "line_amount": money(amount),
            "order_pickup_method_id": 0,
        });
        if details {
            if let Value::Object(m) = &mut v {
                m.insert(
                    "order_product_id".into(),
                    t.order_product_id
                        .map(|i| json!(i.to_string()))
                        .unwrap_or(Value::Null),
                );
                m.insert("line_item_type".into(), json!(t.line_item_type));
            }
        }
        v
    };
    if details {
        return o.taxes.iter().map(|t| row(t, t.amount)).collect();
    }
    let mut grouped: BTreeMap<(u64, u32), (OrderTax, Decimal)> = BTreeMap::new();
    for t in &o.taxes {
        grouped
            .entry((t.order_address_id, t.tax_rate_id))
            .and_modify(|(_, a)| *a += t.amount)
            .or_insert_with(|| (t.clone(), t.amount));
    }
    grouped.values().map(|(t, a)| row(t, *a)).collect()
}

fn order_id(s: &str) -> Option<u64> {
    s.trim().parse().ok()
}

/// Apply the v2 list filters; `Err` is the message of the 400 to send.
pub fn filter<'a>(store: &'a Store, params: &Params) -> Result<Vec<&'a Order>, String> {
    let int = |k: &str| -> Result<Option<u64>, String> {
        match params.get(k) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("The field '{k}' is invalid.")),
        }
    };
    let date = |k: &str| -> Result<Option<DateTime<Utc>>, String> {
        match params.get(k) {
            None => Ok(None),
            Some(v) => wire::parse_date(v)
                .map(Some)
                .ok_or_else(|| format!("The field '{k}' is invalid.")),
        }
    };
    let dec = |k: &str| -> Result<Option<Decimal>, String> {
        match params.get(k) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<Decimal>()
                .map(Some)
                .map_err(|_| format!("The field '{k}' is invalid.")),
        }
    };
    let (min_id, max_id, status, customer, channel) = (
        int("min_id")?,
        int("max_id")?,
        int("status_id")?,
        int("customer_id")?,
        int("channel_id")?,
    );
    let (min_c, max_c, min_m, max_m) = (
        date("min_date_created")?,
        date("max_date_created")?,
        date("min_date_modified")?,
        date("max_date_modified")?,
    );
    let (min_t, max_t) = (dec("min_total")?, dec("max_total")?);
    let email = params.get("email").map(|e| e.trim().to_lowercase());
    let mut out: Vec<&Order> = store
        .orders
        .values()
        .filter(|o| min_id.is_none_or(|m| o.id >= m) && max_id.is_none_or(|m| o.id <= m))
        .filter(|o| status.is_none_or(|s| u64::from(o.status_id) == s))
        .filter(|o| customer.is_none_or(|c| o.customer_id == c))
        .filter(|o| channel.is_none_or(|c| u64::from(o.channel_id) == c))
        .filter(|o| {
            min_c.is_none_or(|d| o.date_created >= d) && max_c.is_none_or(|d| o.date_created <= d)
        })
        .filter(|o| {
            min_m.is_none_or(|d| o.date_modified >= d) && max_m.is_none_or(|d| o.date_modified <= d)
        })
        .filter(|o| {
            min_t.is_none_or(|t| o.total_inc_tax() >= t)
                && max_t.is_none_or(|t| o.total_inc_tax() <= t)
        })
        .filter(|o| {
            email
                .as_ref()
                .is_none_or(|e| o.billing_address.email.to_lowercase() == *e)
        })
        .filter(|o| {
            params
                .get("payment_method")
                .is_none_or(|p| o.payment_method == *p)
        })
        .filter(|o| params.get("cart_id").is_none_or(|c| o.cart_id == *c))
        .filter(|o| {
            params
                .get("external_order_id")
                .is_none_or(|c| o.external_order_id == *c)
        })
        .collect();
    if let Some(sort) = params.get("sort") {
        let (field, dir) = sort.split_once(':').unwrap_or((sort.as_str(), "asc"));
        let desc = dir.eq_ignore_ascii_case("desc");
        match field {
            "id" => {}
            "date_created" => out.sort_by_key(|o| (o.date_created, o.id)),
            "date_modified" => out.sort_by_key(|o| (o.date_modified, o.id)),
            "status_id" => out.sort_by_key(|o| (o.status_id, o.id)),
            "customer_id" => out.sort_by_key(|o| (o.customer_id, o.id)),
            "channel_id" => out.sort_by_key(|o| (o.channel_id, o.id)),
            "external_id" => {
                out.sort_by(|a, b| a.external_id.cmp(&b.external_id).then(a.id.cmp(&b.id)))
            }
            other => return Err(format!("The field 'sort' is invalid: '{other}'.")),
        }
        if desc {
            out.reverse();
        }
    }
    Ok(out)
}

fn includes(params: &Params) -> Vec<String> {
    wire::list(params.get("include")).unwrap_or_default()
}

/// The order with its requested includes.
pub fn order_with_includes(
    store: &Store,
    o: &Order,
    base: &str,
    hash: &str,
    params: &Params,
) -> Value {
    let mut v = order_json(store, o, base, hash);
    let inc = includes(params);
    let Value::Object(m) = &mut v else { return v };
    if inc.iter().any(|i| i == "fees") {
        m.insert("fees".into(), json!([]));
    }
    let with_lines = inc.iter().any(|i| i == "consignments.line_items");
    if with_lines || inc.iter().any(|i| i == "consignments") {
        let shipping: Vec<Value> = o
            .shipping_addresses
            .iter()
            .map(|a| {
                let mut s = shipping_address_json(o, a, base, hash);
                let lines: Vec<Value> = o
                    .products
                    .iter()
                    .filter(|p| p.order_address_id == a.id)
                    .map(|p| {
                        if with_lines {
                            product_json(p)
                        } else {
                            wire::link(
                                base,
                                hash,
                                "v2",
                                &format!("/orders/{}/products/{}", o.id, p.id),
                            )
                        }
                    })
                    .collect();
                if let Value::Object(sm) = &mut s {
                    sm.insert("line_items".into(), Value::Array(lines));
                }
                s
            })
            .collect();
        let object = params
            .get("consignment_structure")
            .is_some_and(|s| s == "object");
        let consignments = if object {
            json!({ "shipping": shipping, "pickups": [], "email": { "gift_certificates": [] }, "downloads": [] })
        } else {
            json!([{ "shipping": shipping }])
        };
        m.insert("consignments".into(), consignments);
    }
    v
}

/// `GET /v2/orders`.
pub async fn list(
    State(app): State<App>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let store = app.shared.lock();
    let orders = match filter(&store, &params) {
        Ok(o) => o,
        Err(e) => return wire::v2_error(400, &e),
    };
    let page = Page::from(&params, 250);
    let slice = page.slice(&orders);
    if slice.is_empty() {
        return wire::no_content();
    }
    let base = base_url(&headers);
    let out: Vec<Value> = slice
        .iter()
        .map(|o| order_with_includes(&store, o, &base, &app.store_hash, &params))
        .collect();
    Json(out).into_response()
}

/// `GET /v2/orders/count`.
pub async fn count(State(app): State<App>, Query(params): Query<Params>) -> Response {
    let store = app.shared.lock();
    let orders = match filter(&store, &params) {
        Ok(o) => o,
        Err(e) => return wire::v2_error(400, &e),
    };
    let mut ids: Vec<u8> = (0..=14).collect();
    ids.sort_by_key(|i| status_sort(*i));
    let statuses: Vec<Value> = ids
        .iter()
        .map(|id| json!({
            "id": id, "name": status_name(*id), "system_label": status_name(*id),
            "custom_label": store.status_label(*id), "system_description": status_description(*id),
            "count": orders.iter().filter(|o| o.status_id == *id).count(), "sort_order": status_sort(*id),
        }))
        .collect();
    Json(json!({ "statuses": statuses, "count": orders.len() })).into_response()
}

/// `GET /v2/order_statuses`.
pub async fn statuses(State(app): State<App>) -> Response {
    let store = app.shared.lock();
    let out: Vec<Value> = (0..=14u8)
        .map(|id| json!({
            "id": id, "name": status_name(id), "system_label": status_name(id),
            "custom_label": store.status_label(id), "system_description": status_description(id),
            "order": status_sort(id),
        }))
        .collect();
    Json(out).into_response()
}

/// `GET /v2/order_statuses/{id}`.
pub async fn one_status(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
) -> Response {
    let store = app.shared.lock();
    match id.parse::<u8>().ok().filter(|i| *i <= 14) {
        Some(id) => Json(json!({
            "id": id, "name": status_name(id), "system_label": status_name(id),
            "custom_label": store.status_label(id), "system_description": status_description(id),
            "order": status_sort(id),
        }))
        .into_response(),
        None => wire::v2_not_found(),
    }
}

/// `GET /v2/orders/{id}`.
pub async fn get(
    State(app): State<App>,
    headers: HeaderMap,
    Path((_h, id)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Response {
    let store = app.shared.lock();
    match order_id(&id).and_then(|id| store.orders.get(&id)) {
        Some(o) => Json(order_with_includes(
            &store,
            o,
            &base_url(&headers),
            &app.store_hash,
            &params,
        ))
        .into_response(),
        None => wire::v2_not_found(),
    }
}

/// A sub-resource list answer: 204 when empty, else the page.
fn sub_list(items: Vec<Value>, params: &Params) -> Response {
    let page = Page::from(params, 250);
    let slice = page.slice(&items);
    if slice.is_empty() {
        return wire::no_content();
    }
    Json(slice.to_vec()).into_response()
}

/// `GET /v2/orders/{id}/products`.
pub async fn products(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Response {
    let store = app.shared.lock();
    match order_id(&id).and_then(|id| store.orders.get(&id)) {
        Some(o) => sub_list(o.products.iter().map(product_json).collect(), &params),
        None => wire::v2_not_found(),
    }
}

/// `GET /v2/orders/{id}/products/{product_id}`.
pub async fn product(
    State(app): State<App>,
    Path((_h, id, pid)): Path<(String, String, String)>,
) -> Response {
    let store = app.shared.lock();
    let p = order_id(&id)
        .and_then(|id| store.orders.get(&id))
        .and_then(|o| {
            let pid: u64 = pid.parse().ok()?;
            o.products.iter().find(|p| p.id == pid)
        });
    match p {
        Some(p) => Json(product_json(p)).into_response(),
        None => wire::v2_not_found(),
    }
}

/// `GET /v2/orders/{id}/coupons`.
pub async fn coupons(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Response {
    let store = app.shared.lock();
    match order_id(&id).and_then(|id| store.orders.get(&id)) {
        Some(o) => sub_list(o.coupons.iter().map(coupon_json).collect(), &params),
        None => wire::v2_not_found(),
    }
}

/// `GET /v2/orders/{id}/taxes` (`details=true` for per-line rows).
pub async fn taxes(
    State(app): State<App>,
    Path((_h, id)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Response {
    let store = app.shared.lock();
    let details = params
        .get("details")
        .is_some_and(|d| d == "true" || d == "1");
    match order_id(&id).and_then(|id| store.orders.get(&id)) {
        Some(o) => sub_list(taxes_json(o, details), &params),
        None => wire::v2_not_found(),
    }
}

/// `GET /v2/orders/{id}/shipping_addresses` (also `/shippingaddresses`).
pub async fn shipping_addresses(
    State(app): State<App>,
    headers: HeaderMap,
    Path((_h, id)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Response {
    let store = app.shared.lock();
    let base = base_url(&headers);
    match order_id(&id).and_then(|id| store.orders.get(&id)) {
        Some(o) => sub_list(
            o.shipping_addresses
                .iter()
                .map(|a| shipping_address_json(o, a, &base, &app.store_hash))
                .collect(),
            &params,
        ),
        None => wire::v2_not_found(),
    }
}

/// `GET /v2/orders/{id}/fees`.
pub async fn fees(State(app): State<App>, Path((_h, id)): Path<(String, String)>) -> Response {
    let store = app.shared.lock();
    match order_id(&id).and_then(|id| store.orders.get(&id)) {
        Some(_) => Json(json!({ "fees": [] })).into_response(),
        None => wire::v3_error(404, "The requested resource was not found."),
    }
}

/// Set an order's status (API or control panel); returns the events to deliver.
pub fn set_status(store: &mut Store, id: u64, status: u8) -> Option<Vec<Event>> {
    let before = store.orders.get(&id)?.status_id;
    if let Some(o) = store.orders.get_mut(&id) {
        o.status_id = status;
    }
    store.touch(id);
    let mut ev = vec![Event {
        scope: "store/order/updated".into(),
        data: json!({ "type": "order", "id": id }),
    }];
    if before != status {
        ev.push(Event { scope: "store/order/statusUpdated".into(), data: json!({ "type": "order", "id": id, "status": { "previous_status_id": before, "new_status_id": status } }) });
    }
    Some(ev)
}

/// `PUT /v2/orders/{id}`: `status_id`, `staff_notes`, `customer_message`, `external_id`,
/// `external_order_id` and `payment_method` are applied; other fields (products, addresses,
/// fees, …) are not supported by the sandbox and answer 400 naming the field.
pub async fn update(
    State(app): State<App>,
    headers: HeaderMap,
    Path((_h, id)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return wire::v2_error(400, "The request body is not valid JSON.");
    };
    let Some(fields) = body.as_object() else {
        return wire::v2_error(400, "The request body must be a JSON object.");
    };
    let (resp, events) = {
        let mut store = app.shared.lock();
        let Some(id) = order_id(&id).filter(|id| store.orders.contains_key(id)) else {
            return wire::v2_not_found();
        };
        let mut events = Vec::new();
        for (k, v) in fields {
            match k.as_str() {
                "status_id" => {
                    let Some(s) = v
                        .as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                        .filter(|s| *s <= 14)
                    else {
                        return wire::v2_error(400, "The field 'status_id' is invalid.");
                    };
                    events.extend(set_status(&mut store, id, s as u8).unwrap_or_default());
                }
                "staff_notes" | "customer_message" | "external_id" | "external_order_id"
                | "payment_method" => {
                    let Some(text) = v
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| v.is_null().then(String::new))
                    else {
                        return wire::v2_error(400, &format!("The field '{k}' is invalid."));
                    };
                    if let Some(o) = store.orders.get_mut(&id) {
                        match k.as_str() {
                            "staff_notes" => o.staff_notes = text,
                            "customer_message" => o.customer_message = text,
                            "external_id" => o.external_id = Some(text),
                            "external_order_id" => o.external_order_id = text,
                            _ => o.payment_method = text,
                        }
                    }
                    store.touch(id);
                    if events.is_empty() {
                        events.push(Event {
                            scope: "store/order/updated".into(),
                            data: json!({ "type": "order", "id": id }),
                        });
                    }
                }
                other => {
                    return wire::v2_error(
                        400,
                        &format!(
                            "The field '{other}' cannot be updated by the sandbox (not supported)."
                        ),
                    )
                }
            }
        }
        let resp = match store.orders.get(&id) {
            Some(o) => {
                Json(order_json(&store, o, &base_url(&headers), &app.store_hash)).into_response()
            }
            None => wire::v2_not_found(),
        };
        (resp, events)
    };
    crate::hooks::dispatch(&app, events);
    resp
}

fn dec(v: Option<&Value>) -> Option<Decimal> {
    match v? {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn address_from(v: &Value) -> Address {
    let s = |k: &str| {
        v.get(k)
            .map(|x| match x {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                o => o.to_string(),
            })
            .unwrap_or_default()
    };
    Address {
        first_name: s("first_name"),
        last_name: s("last_name"),
        company: s("company"),
        street_1: s("street_1"),
        street_2: s("street_2"),
        city: s("city"),
        state: s("state"),
        zip: s("zip"),
        country: s("country"),
        country_iso2: s("country_iso2"),
        phone: s("phone"),
        email: s("email"),
    }
}

/// Create an order from a `POST /v2/orders` body. Catalog lines take the catalog price (USD,
/// the store currency) and the zone's tax; custom lines (`name`, `price_ex_tax`,
/// `price_inc_tax`) take the given prices and `price_inc_tax − price_ex_tax` as tax
/// (class "API Tax Override"). Stock of catalog variants is taken from location 1.
pub fn create_order(store: &mut Store, body: &Value) -> Result<(u64, Vec<Event>), String> {
    let billing = body
        .get("billing_address")
        .filter(|b| b.is_object())
        .ok_or("The field 'billing_address' is required.")?;
    let lines = body
        .get("products")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or("The field 'products' is required.")?;
    let billing = address_from(billing);
    let ship_addrs: Vec<Address> = match body.get("shipping_addresses").and_then(Value::as_array) {
        Some(l) if !l.is_empty() => l.iter().map(address_from).collect(),
        _ => vec![billing.clone()],
    };
    let first = ship_addrs.first().cloned().unwrap_or_default();
    let zone_base = generator::zone_for(&first.country_iso2, &first.state);
    let zone = Zone {
        currency_id: 1,
        currency: "USD",
        exchange_rate: Decimal::ONE,
        dp: 2,
        ..zone_base.clone().unwrap_or(Zone {
            id: 0,
            name: "Rest of World",
            country: "",
            iso2: "",
            state: "",
            cities: &[],
            zip: "",
            currency_id: 1,
            currency: "USD",
            exchange_rate: Decimal::ONE,
            dp: 2,
        })
    };
    let status = match body.get("status_id") {
        None => 1,
        Some(v) => v
            .as_u64()
            .filter(|s| *s <= 14)
            .ok_or("The field 'status_id' is invalid.")? as u8,
    };
    let customer_id = body.get("customer_id").and_then(Value::as_u64).unwrap_or(0);
    let id = store.next_id("order");
    let now = match body.get("date_created").and_then(Value::as_str) {
        Some(s) => wire::parse_date(s).ok_or("The field 'date_created' is invalid.")?,
        None => store.now(),
    };
    let mut addresses = Vec::new();
    for a in ship_addrs {
        addresses.push(ShippingAddress {
            id: store.next_id("address"),
            order_id: id,
            address: a,
            shipping_method: "Custom".into(),
            cost_ex_tax: Decimal::ZERO,
            cost_tax: Decimal::ZERO,
            handling_cost_ex_tax: Decimal::ZERO,
            handling_cost_tax: Decimal::ZERO,
            shipping_zone_id: zone.id,
            shipping_zone_name: zone.name.to_string(),
        });
    }
    let addr0 = addresses.first().map(|a| a.id).unwrap_or(0);
    let mut products = Vec::new();
    let mut overrides = Vec::new();
    for (n, l) in lines.iter().enumerate() {
        let qty = l
            .get("quantity")
            .and_then(Value::as_u64)
            .filter(|q| *q >= 1)
            .ok_or(format!("The field 'products.{n}.quantity' is invalid."))?
            as u32;
        let pid = store.next_id("order_product");
        let (product_id, variant_id, name, sku, class, ex, brand, cost, weight) = match (
            l.get("product_id").and_then(Value::as_u64),
            l.get("variant_id").and_then(Value::as_u64),
        ) {
            (Some(_), _) | (_, Some(_)) => {
                let v = match l.get("variant_id").and_then(Value::as_u64) {
                    Some(vid) => store.variants.iter().find(|v| v.id == vid),
                    None => l
                        .get("product_id")
                        .and_then(Value::as_u64)
                        .and_then(|p| store.variants.iter().find(|v| v.product_id == p)),
                }
                .ok_or(format!("The product in 'products.{n}' does not exist."))?;
                (
                    v.product_id,
                    v.id,
                    format!("{} - {}", v.name, v.option_label),
                    v.sku.clone(),
                    v.tax_class_id,
                    v.price,
                    v.brand.clone(),
                    v.cost_price,
                    v.weight,
                )
            }
            _ => {
                let name = l.get("name").and_then(Value::as_str).ok_or(format!(
                    "The field 'products.{n}.name' is required for a custom product."
                ))?;
                let ex = dec(l.get("price_ex_tax")).ok_or(format!(
                    "The field 'products.{n}.price_ex_tax' is required for a custom product."
                ))?;
                let inc = dec(l.get("price_inc_tax")).unwrap_or(ex);
                if ex < Decimal::ZERO || inc < ex {
                    return Err(format!(
                        "The field 'products.{n}.price_inc_tax' is invalid."
                    ));
                }
                overrides.push((pid, inc - ex));
                (
                    0,
                    0,
                    name.to_string(),
                    l.get("sku")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    0,
                    ex,
                    String::new(),
                    Decimal::ZERO,
                    Decimal::ZERO,
                )
            }
        };
        products.push(OrderProduct {
            id: pid,
            order_id: id,
            product_id,
            variant_id,
            order_address_id: addr0,
            name,
            sku,
            product_type: "physical".into(),
            brand,
            tax_class_id: class,
            price_ex_tax: ex,
            price_tax: Decimal::ZERO,
            quantity: qty,
            total_ex_tax: ex * Decimal::from(qty),
            total_tax: Decimal::ZERO,
            base_cost_price: cost,
            weight,
            wrapping_name: None,
            wrapping_message: String::new(),
            wrapping_cost_ex_tax: Decimal::ZERO,
            wrapping_cost_tax: Decimal::ZERO,
            applied_discounts: Vec::new(),
            quantity_shipped: 0,
            quantity_refunded: 0,
        });
    }
    let discount = dec(body.get("discount_amount")).unwrap_or(Decimal::ZERO);
    if discount > Decimal::ZERO {
        let weights: Vec<Decimal> = products.iter().map(|p| p.total_ex_tax).collect();
        let parts = generator::allocate(discount, &weights, 4)
            .ok_or("The field 'discount_amount' exceeds the order subtotal.")?;
        for (p, part) in products.iter_mut().zip(parts) {
            if part > Decimal::ZERO {
                p.applied_discounts.push(AppliedDiscount {
                    id: "manual-discount".into(),
                    amount: part,
                    name: "Manual Discount".into(),
                    code: None,
                    target: "order".into(),
                });
            }
        }
    }
    let ship_ex = dec(body.get("shipping_cost_ex_tax"))
        .or_else(|| dec(body.get("base_shipping_cost")))
        .unwrap_or(Decimal::ZERO);
    let ship_inc = dec(body.get("shipping_cost_inc_tax"));
    if let Some(a) = addresses.first_mut() {
        a.cost_ex_tax = ship_ex;
        a.handling_cost_ex_tax = dec(body.get("handling_cost_ex_tax"))
            .or_else(|| dec(body.get("base_handling_cost")))
            .unwrap_or(Decimal::ZERO);
    }
    let mut order = Order {
        id,
        customer_id,
        date_created: now,
        date_modified: now,
        date_shipped: None,
        status_id: status,
        shipping_cost_tax_class_id: 2,
        handling_cost_tax_class_id: 2,
        wrapping_cost_tax_class_id: 3,
        discount_amount: discount,
        coupon_discount: Decimal::ZERO,
        payment_method: body
            .get("payment_method")
            .and_then(Value::as_str)
            .unwrap_or("Manual")
            .to_string(),
        payment_provider_id: String::new(),
        payment_status: String::new(),
        refunded_amount: Decimal::ZERO,
        store_credit_amount: Decimal::ZERO,
        gift_certificate_amount: Decimal::ZERO,
        ip_address: String::new(),
        currency_id: 1,
        currency_code: "USD".into(),
        exchange_rate: Decimal::ONE,
        staff_notes: body
            .get("staff_notes")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        customer_message: body
            .get("customer_message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        cart_id: String::new(),
        billing_address: billing,
        is_email_opt_in: false,
        credit_card_type: None,
        order_source: "external".into(),
        channel_id: body.get("channel_id").and_then(Value::as_u64).unwrap_or(1) as u32,
        external_source: body
            .get("external_source")
            .and_then(Value::as_str)
            .map(str::to_string),
        external_id: body
            .get("external_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        external_order_id: body
            .get("external_order_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        customer_locale: body
            .get("customer_locale")
            .and_then(Value::as_str)
            .unwrap_or("en")
            .to_string(),
        order_is_digital: false,
        products,
        shipping_addresses: addresses,
        coupons: Vec::new(),
        taxes: Vec::new(),
        transactions: Vec::new(),
    };
    generator::apply_taxes(store, &mut order, &zone, false);
    // Custom lines: the tax the caller gave, as one "API Tax Override" row.
    for (pid, unit_tax) in overrides {
        order
            .taxes
            .retain(|t| !(t.order_product_id == Some(pid) && t.line_item_type == "item"));
        if let Some(p) = order.products.iter_mut().find(|p| p.id == pid) {
            p.price_tax = unit_tax;
            p.total_tax = unit_tax * Decimal::from(p.quantity);
            if p.total_tax > Decimal::ZERO {
                let rate = if p.price_ex_tax.is_zero() {
                    Decimal::ZERO
                } else {
                    wire::round(unit_tax / p.price_ex_tax * Decimal::ONE_HUNDRED, 4)
                };
                let tid = store.next_id("tax");
                order.taxes.push(OrderTax {
                    id: tid,
                    order_id: id,
                    order_address_id: p.order_address_id,
                    tax_rate_id: 0,
                    tax_class_id: 0,
                    name: "Tax".into(),
                    class: "API Tax Override".into(),
                    rate,
                    priority: 0,
                    amount: p.total_tax,
                    order_product_id: Some(pid),
                    line_item_type: "item".into(),
                });
            }
        }
    }
    if let Some(inc) = ship_inc.filter(|i| *i >= ship_ex) {
        order.taxes.retain(|t| t.line_item_type != "shipping");
        if let Some(a) = order.shipping_addresses.first_mut() {
            a.cost_tax = inc - ship_ex;
            if a.cost_tax > Decimal::ZERO {
                let tid = store.next_id("tax");
                order.taxes.push(OrderTax {
                    id: tid,
                    order_id: id,
                    order_address_id: a.id,
                    tax_rate_id: 0,
                    tax_class_id: 2,
                    name: "Tax".into(),
                    class: "API Tax Override".into(),
                    rate: if ship_ex.is_zero() {
                        Decimal::ZERO
                    } else {
                        wire::round(a.cost_tax / ship_ex * Decimal::ONE_HUNDRED, 4)
                    },
                    priority: 0,
                    amount: a.cost_tax,
                    order_product_id: None,
                    line_item_type: "shipping".into(),
                });
            }
        }
    }
    for p in &order.products {
        if p.variant_id != 0 {
            *store.inventory.entry((p.variant_id, 1)).or_insert(0) -= i64::from(p.quantity);
        }
    }
    store.orders.insert(id, order);
    Ok((
        id,
        vec![Event {
            scope: "store/order/created".into(),
            data: json!({ "type": "order", "id": id }),
        }],
    ))
}

/// `POST /v2/orders`.
pub async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return wire::v2_error(400, "The request body is not valid JSON.");
    };
    let (resp, events) = {
        let mut store = app.shared.lock();
        match create_order(&mut store, &body) {
            Err(e) => return wire::v2_error(400, &e),
            Ok((id, events)) => {
                let resp = match store.orders.get(&id) {
                    Some(o) => Json(order_json(&store, o, &base_url(&headers), &app.store_hash))
                        .into_response(),
                    None => wire::v2_not_found(),
                };
                (resp, events)
            }
        }
    };
    crate::hooks::dispatch(&app, events);
    resp
}
