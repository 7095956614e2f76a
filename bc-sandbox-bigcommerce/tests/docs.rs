//! Replays the documented examples of `bigcommerce/docs` (`reference/orders.v2.oas2.yml`,
//! `orders.v3.yml`, `inventory.v3.yml`) and compares the sandbox's answers field by field:
//! every documented field is present, with the same JSON type, and strings in the same format
//! (4-decimal money, RFC 2822 / RFC 3339 dates). Fields the sandbox adds are allowed.

#![recursion_limit = "512"]

mod common;

use common::*;
use http::Method;
use serde_json::{json, Value};

fn is_money4(s: &str) -> bool {
    s.split_once('.').is_some_and(|(i, f)| {
        !i.is_empty()
            && f.len() == 4
            && i.trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit())
            && f.chars().all(|c| c.is_ascii_digit())
    })
}
fn is_rfc2822(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc2822(s).is_ok() && s.len() == 31
}
fn is_rfc3339(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// Keys whose value may be `null` on our side although the example shows a value (nullable in
/// the schema or absent for the payment kind at hand).
const NULLABLE: &[&str] = &[
    "channel_ids",
    "headers",
    "reference_transaction_id",
    "offline",
    "custom",
    "payment_instrument_token",
    "gift_certificate",
    "store_credit",
    "credit_card_type",
    "external_source",
    "requested_amount",
    "tax_class_id",
];

fn conform(doc: &Value, ours: &Value, path: &str, errs: &mut Vec<String>) {
    let key = path.rsplit('.').next().unwrap_or(path);
    match (doc, ours) {
        (Value::Null, _) => {}
        (_, Value::Null) if NULLABLE.contains(&key) => {}
        (Value::Object(d), Value::Object(o)) => {
            for (k, dv) in d {
                match o.get(k) {
                    Some(ov) => conform(dv, ov, &format!("{path}.{k}"), errs),
                    None => errs.push(format!("{path}.{k}: missing")),
                }
            }
        }
        (Value::Array(d), Value::Array(o)) => {
            if let Some(d0) = d.first() {
                for (i, ov) in o.iter().enumerate() {
                    conform(d0, ov, &format!("{path}[{i}]"), errs);
                }
            }
        }
        (Value::String(d), Value::String(o)) => {
            if is_money4(d) && !is_money4(o) {
                errs.push(format!(
                    "{path}: {o:?} is not a 4-decimal money string like {d:?}"
                ));
            }
            if is_rfc2822(d) && !(is_rfc2822(o) || o.is_empty()) {
                errs.push(format!("{path}: {o:?} is not an RFC 2822 date like {d:?}"));
            }
            if d.is_empty() && key.starts_with("date_") && !(o.is_empty() || is_rfc2822(o)) {
                errs.push(format!("{path}: {o:?} is neither empty nor RFC 2822"));
            }
            if d.contains('T') && is_rfc3339(d) && !is_rfc3339(o) {
                errs.push(format!("{path}: {o:?} is not an RFC 3339 date like {d:?}"));
            }
        }
        (Value::Number(_), Value::Number(_)) | (Value::Bool(_), Value::Bool(_)) => {}
        (d, o) => errs.push(format!("{path}: documented {d} but sandbox sent {o}")),
    }
}

fn assert_conforms(name: &str, doc: Value, ours: &Value) {
    let mut errs = Vec::new();
    conform(&doc, ours, name, &mut errs);
    assert!(
        errs.is_empty(),
        "{name} differs from the documented example:\n{}",
        errs.join("\n")
    );
}

/// `order_Resp` example "Response" of `GET /v2/orders/{order_id}`.
fn doc_order() -> Value {
    json!({
        "id": 218, "customer_id": 11, "date_created": "Tue, 05 Mar 2019 21:40:11 +0000", "date_modified": "Mon, 11 Mar 2019 15:17:25 +0000", "date_shipped": "",
        "status_id": 7, "status": "Awaiting Payment", "subtotal_ex_tax": "62.6793", "subtotal_inc_tax": "67.8400", "subtotal_tax": "4.4000",
        "base_shipping_cost": "12.0000", "shipping_cost_ex_tax": "11.0900", "shipping_cost_inc_tax": "12.0000", "shipping_cost_tax": "0.9100", "shipping_cost_tax_class_id": 0,
        "base_handling_cost": "0.0000", "handling_cost_ex_tax": "0.0000", "handling_cost_inc_tax": "0.0000", "handling_cost_tax": "0.0000", "handling_cost_tax_class_id": 0,
        "base_wrapping_cost": "0.0000", "wrapping_cost_ex_tax": "0.0000", "wrapping_cost_inc_tax": "0.0000", "wrapping_cost_tax": "0.0000", "wrapping_cost_tax_class_id": 0,
        "total_ex_tax": "64.5300", "total_inc_tax": "69.8400", "total_tax": "5.3100", "is_tax_inclusive_pricing": false, "items_total": 4, "items_shipped": 0,
        "payment_method": "Cash", "payment_provider_id": "", "payment_status": "authorized", "refunded_amount": "0.0000", "order_is_digital": false,
        "store_credit_amount": "0.0000", "gift_certificate_amount": "0.0000", "ip_address": "", "ip_address_v6": "", "geoip_country": "", "geoip_country_iso2": "",
        "currency_id": 1, "currency_code": "USD", "currency_exchange_rate": "1.0000000000", "default_currency_id": 1, "default_currency_code": "USD",
        "staff_notes": "", "customer_message": "", "discount_amount": "5.0000", "coupon_discount": "5.0000", "shipping_address_count": 1, "ebay_order_id": "0",
        "cart_id": "7e48f7ef-2e88-4817-aea4-b0ed01490114",
        "billing_address": { "first_name": "Jane", "last_name": "Doe", "company": "", "street_1": "555 East Street", "street_2": "", "city": "Austin", "state": "Texas", "zip": "78108", "country": "United States", "country_iso2": "US", "phone": "1234567890", "email": "janedoe@example.com", "form_fields": [{ "name": "Delivery Instructions", "value": "Leave in backyard" }] },
        "is_email_opt_in": false, "credit_card_type": null, "order_source": "external", "channel_id": 1, "external_source": null,
        "products": { "url": "https://api.bigcommerce.com/stores/{store_hash}/v2/orders/218/products", "resource": "/orders/218/products" },
        "shipping_addresses": { "url": "https://api.bigcommerce.com/stores/{store_hash}/v2/orders/218/shippingaddresses", "resource": "/orders/218/shippingaddresses" },
        "coupons": { "url": "https://api.bigcommerce.com/stores/{store_hash}/v2/orders/218/coupons", "resource": "/orders/218/coupons" },
        "external_id": null, "external_merchant_id": null, "tax_provider_id": "BasicTaxProvider", "store_default_currency_code": "",
        "store_default_to_transactional_exchange_rate": "1.0000000000", "custom_status": "Awaiting Payment", "customer_locale": "en", "external_order_id": "external-order-id",
        "fees": [{ "id": 1, "type": "custom_fee", "display_name_customer": "A Fee", "display_name_merchant": "A Fee", "source": "AA", "base_cost": "12.3000", "cost_exc_tax": "12.3000", "cost_inc_tax": "12.3000", "cost_tax": "0.0000", "tax_class_id": 22 }],
    })
}

/// `orderProductsCollection_Resp`, first item.
fn doc_product() -> Value {
    json!({
        "id": 65, "order_id": 149, "product_id": 77, "order_address_id": 51, "name": "Fog Linen Chambray Towel - Beige Stripe",
        "name_customer": "Fog Linen Chambray Towel - Beige Stripe", "name_merchant": "Fog Linen Chambray Towel - Beige Stripe", "sku": "S-ORAN", "upc": "1234567891112", "type": "physical",
        "base_price": "55.9900", "price_ex_tax": "55.9900", "price_inc_tax": "65.2300", "price_tax": "9.2400", "base_total": "55.9900", "total_ex_tax": "55.9900", "total_inc_tax": "65.2300", "total_tax": "9.2400",
        "weight": "1.0000", "width": "1.0000", "height": "1.0000", "depth": "1.0000", "quantity": 1,
        "base_cost_price": "50.0000", "cost_price_inc_tax": "50.0000", "cost_price_ex_tax": "50.0000", "cost_price_tax": "0.0000",
        "is_refunded": false, "quantity_refunded": 0, "refund_amount": "0.0000", "return_id": 0, "wrapping_id": 0, "wrapping_name": "",
        "base_wrapping_cost": "0.0000", "wrapping_cost_ex_tax": "0.0000", "wrapping_cost_inc_tax": "0.0000", "wrapping_cost_tax": "0.0000", "wrapping_message": "",
        "quantity_shipped": 0, "fixed_shipping_cost": "5.0000", "ebay_item_id": "", "ebay_transaction_id": "", "option_set_id": 19, "parent_order_product_id": null,
        "is_bundled_product": false, "bin_picking_number": "", "external_id": null, "brand": "BigCommerce",
        "applied_discounts": [{ "id": "manual-discount", "amount": "1.5900", "name": "Manual Discount", "code": null, "target": "order" }],
        "product_options": [{ "id": 45, "option_id": 18, "order_product_id": 65, "product_option_id": 120, "display_name": "Size", "display_name_customer": "Size", "display_name_merchant": "Size",
            "display_value": "S", "display_value_customer": "S", "display_value_merchant": "S", "value": "69", "type": "Multiple choice", "name": "Apparel sizes", "display_style": "Rectangle" }],
        "configurable_fields": [], "gift_certificate_id": null, "discounted_total_inc_tax": "63.6400",
    })
}

/// `orderShippingAddress_Resp`.
fn doc_shipping_address() -> Value {
    json!({
        "id": 42, "order_id": 140, "first_name": "Jane", "last_name": "Doe", "company": "", "street_1": "123 MainStreet", "street_2": "", "city": "Austin", "zip": "78751",
        "country": "United States", "country_iso2": "US", "state": "Texas", "email": "jane@example.com", "phone": "1234567890", "items_total": 2, "items_shipped": 0,
        "shipping_method": "Fixed Shipping", "base_cost": "5.0000", "cost_ex_tax": "4.0000", "cost_inc_tax": "4.3200", "cost_tax": "0.3200", "cost_tax_class_id": 2,
        "base_handling_cost": "0.0000", "handling_cost_ex_tax": "0.0000", "handling_cost_inc_tax": "0.0000", "handling_cost_tax": "0.0000", "handling_cost_tax_class_id": 2,
        "shipping_zone_id": 1, "shipping_zone_name": "United States",
        "shipping_quotes": { "url": "https://api.bigcommerce.com/stores/{store_hash}/v2/orders/140/shippingaddresses/42/shippingquotes", "resource": "/orders/140/shippingaddresses/42/shippingquotes" },
        "form_fields": [],
    })
}

/// `orderShipment_Resp`.
fn doc_shipment() -> Value {
    let addr = json!({ "first_name": "Jane", "last_name": "Doe", "company": "", "street_1": "123 Main Street", "street_2": "", "city": "Austin", "state": "Texas", "zip": "78751", "country": "United States", "country_iso2": "US", "phone": "", "email": "janedoe@example.com" });
    json!({
        "id": 11, "order_id": 228, "customer_id": 11, "order_address_id": 131, "date_created": "Wed, 13 Mar 2019 16:35:37 +0000", "tracking_number": "EJ958083578US",
        "merchant_shipping_cost": "0.0000", "shipping_method": "None", "comments": "Ready to go...", "shipping_provider": "usps", "tracking_carrier": "", "tracking_link": "",
        "billing_address": addr, "shipping_address": addr,
        "items": [{ "order_product_id": 194, "product_id": 0, "quantity": 1 }],
        "shipping_provider_display_name": "USPS", "generated_tracking_link": "http://trkcnfrm1.smi.usps.com/PTSInternetWeb/InterLabelInquiry.do?strOrigTrackNum=EJ958083578US",
    })
}

/// `orderTaxes_Resp`, first row.
fn doc_tax() -> Value {
    json!({ "id": 13, "order_id": 138, "order_address_id": 39, "tax_rate_id": 1, "sales_tax_id": "TaxId123", "tax_class_id": 0, "name": "Tax", "class": "Default Tax Class", "rate": "8.0000", "priority": 0, "priority_amount": "17.6400", "line_amount": "17.6400", "order_pickup_method_id": 0 })
}

#[tokio::test]
async fn v2_order_and_sub_resources_match_the_documented_examples() {
    let (sb, r) = sandbox(400);
    let orders: Vec<_> = sb.orders();
    // An order with a coupon, one with taxes, one shipped.
    let with_coupon = orders
        .iter()
        .find(|o| {
            sb.order_bundle_json(o.id)
                .is_some_and(|b| !b["coupons"].as_array().is_none_or(|c| c.is_empty()))
        })
        .expect("a coupon order")
        .id;
    let shipped = orders
        .iter()
        .find(|o| o.status_id == 2)
        .expect("a shipped order")
        .id;

    let order = call(
        &r,
        Method::GET,
        &format!("/v2/orders/{with_coupon}?include=fees"),
        None,
    )
    .await;
    assert_eq!(order.status, 200);
    assert_conforms("order", doc_order(), &order.json());
    let o = call(
        &r,
        Method::GET,
        &format!("/v2/orders/{shipped}?include=fees"),
        None,
    )
    .await
    .json();
    assert_conforms("shipped order", doc_order(), &o);
    let plain = call(&r, Method::GET, &format!("/v2/orders/{shipped}"), None)
        .await
        .json();
    assert!(
        plain.get("fees").is_none() && plain.get("consignments").is_none(),
        "includes only on request"
    );
    let with = call(&r, Method::GET, &format!("/v2/orders/{shipped}?include=consignments,consignments.line_items,fees&consignment_structure=object"), None).await.json();
    assert_conforms(
        "consignments.line_items",
        json!({ "shipping": [doc_shipping_address()] }),
        &with["consignments"],
    );
    assert_conforms(
        "consignments.line_items",
        json!([doc_product()]),
        &with["consignments"]["shipping"][0]["line_items"],
    );
    assert_eq!(with["fees"], json!([]));
    assert!(is_rfc2822(o["date_shipped"].as_str().unwrap_or("")));

    let products = call(
        &r,
        Method::GET,
        &format!("/v2/orders/{with_coupon}/products"),
        None,
    )
    .await;
    assert_eq!(products.status, 200);
    assert_conforms("products", json!([doc_product()]), &products.json());

    let addrs = call(
        &r,
        Method::GET,
        &format!("/v2/orders/{with_coupon}/shipping_addresses"),
        None,
    )
    .await;
    assert_conforms(
        "shipping_addresses",
        json!([doc_shipping_address()]),
        &addrs.json(),
    );

    let coupons = call(
        &r,
        Method::GET,
        &format!("/v2/orders/{with_coupon}/coupons"),
        None,
    )
    .await;
    assert_eq!(coupons.status, 200);
    assert_conforms(
        "coupons",
        json!([{ "id": 3, "coupon_id": 1, "order_id": 120, "code": "S2549JM0Y", "amount": 5, "type": 2, "discount": 5 }]),
        &coupons.json(),
    );

    let taxed = orders
        .iter()
        .find(|o| {
            sb.order_bundle_json(o.id)
                .is_some_and(|b| b["taxes"].as_array().is_some_and(|t| !t.is_empty()))
        })
        .expect("taxed")
        .id;
    let taxes = call(&r, Method::GET, &format!("/v2/orders/{taxed}/taxes"), None).await;
    assert_conforms("taxes", json!([doc_tax()]), &taxes.json());
    let detailed = call(
        &r,
        Method::GET,
        &format!("/v2/orders/{taxed}/taxes?details=true"),
        None,
    )
    .await
    .json();
    let mut doc = doc_tax();
    doc["order_product_id"] = json!("65");
    doc["line_item_type"] = json!("item");
    assert_conforms(
        "taxes?details=true",
        json!([doc]),
        &json!(detailed.as_array().map(|a| a
            .iter()
            .filter(|t| t["line_item_type"] == "item")
            .cloned()
            .collect::<Vec<_>>())),
    );

    let shipments = call(
        &r,
        Method::GET,
        &format!("/v2/orders/{shipped}/shipments"),
        None,
    )
    .await;
    assert_eq!(shipments.status, 200);
    assert_conforms("shipments", json!([doc_shipment()]), &shipments.json());

    let statuses = call(&r, Method::GET, "/v2/order_statuses", None).await;
    let st = statuses.json();
    assert_eq!(st.as_array().map(Vec::len), Some(15));
    assert_conforms(
        "order_statuses",
        json!([{ "id": 0, "name": "Incomplete", "system_label": "Incomplete", "custom_label": "Incomplete - Testing", "system_description": "An incomplete order happens when a shopper reached the payment page, but did not complete the transaction.", "order": 0 }]),
        &st,
    );
    assert_eq!(st[0]["custom_label"], "Incomplete - Testing");

    let count = call(&r, Method::GET, "/v2/orders/count", None).await.json();
    assert_conforms(
        "orders/count",
        json!({ "statuses": [{ "id": 0, "name": "Incomplete", "system_label": "Incomplete", "custom_label": "Incomplete - Testing", "system_description": "x", "count": 15, "sort_order": 0 }], "count": 133 }),
        &count,
    );
    assert_eq!(count["count"], json!(400));

    let missing = call(&r, Method::GET, "/v2/orders/999999", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!([{ "status": 404, "message": "The requested resource was not found." }])
    );
}

#[tokio::test]
async fn v2_shipment_create_matches_the_documented_example() {
    let (sb, r) = sandbox(60);
    let o = sb
        .orders()
        .into_iter()
        .find(|o| o.status_id == 11)
        .expect("awaiting fulfillment");
    let b = sb.order_bundle_json(o.id).expect("bundle");
    let addr = b["shipping_addresses"][0]["id"].as_u64().expect("addr");
    let items: Vec<Value> = b["products"]
        .as_array()
        .expect("p")
        .iter()
        .filter(|p| p["order_address_id"] == addr)
        .map(|p| json!({ "order_product_id": p["id"], "quantity": p["quantity"] }))
        .collect();
    let created = call(&r, Method::POST, &format!("/v2/orders/{}/shipments", o.id), Some(json!({ "order_address_id": addr, "tracking_number": "EJ958083578US", "shipping_provider": "usps", "comments": "Ready to go...", "items": items }))).await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    assert_conforms("shipment", doc_shipment(), &created.json());
    assert_eq!(created.json()["shipping_provider_display_name"], "USPS");
}

#[tokio::test]
async fn v3_refunds_transactions_and_inventory_match_the_documented_examples() {
    let (sb, r) = sandbox(200);
    let o = sb
        .orders()
        .into_iter()
        .find(|o| {
            let b = sb.order_bundle_json(o.id).unwrap_or_default();
            o.status_id == 11
                && b["order"]["payment_method"] == "Credit Card"
                && b["order"]["payment_status"] == "captured"
                && b["order"]["customer_id"] != 0
        })
        .expect("a captured card order of a customer");
    let line = sb.order_bundle_json(o.id).expect("b")["products"][0]["id"]
        .as_u64()
        .expect("line");

    let txns = call(
        &r,
        Method::GET,
        &format!("/v3/orders/{}/transactions", o.id),
        None,
    )
    .await;
    assert_eq!(txns.status, 200);
    let doc_txn = json!({
        "event": "purchase", "method": "credit_card", "amount": 3.4, "currency": "string", "gateway": "2checkout", "gateway_transaction_id": "string",
        "date_created": "2019-08-24T14:15:22Z", "test": true, "status": "ok", "fraud_review": true, "reference_transaction_id": 0,
        "offline": { "display_name": "string" }, "custom": { "payment_method": "string" }, "payment_method_id": "string", "id": 0, "order_id": "string",
        "payment_instrument_token": "string", "avs_result": { "code": "string", "message": "string", "street_match": "string", "postal_match": "string" },
        "cvv_result": { "code": "string", "message": "string" },
        "credit_card": { "card_type": "alelo", "card_iin": "string", "card_last4": "string", "card_expiry_month": 1, "card_expiry_year": 0 },
        "gift_certificate": { "code": "MB345", "original_balance": 100, "starting_balance": 100, "remaining_balance": 35.42, "status": "active" },
        "store_credit": { "remaining_balance": 35.42 },
    });
    let tj = txns.json();
    assert_conforms(
        "transactions",
        json!({ "data": [doc_txn], "meta": { "pagination": { "total": 0, "count": 0, "per_page": 0, "current_page": 0, "total_pages": 0, "links": { "current": "?page=1&limit=50" } } } }),
        &tj,
    );

    let quote = call(
        &r,
        Method::POST,
        &format!("/v3/orders/{}/payment_actions/refund_quotes", o.id),
        Some(json!({ "items": [{ "item_id": line, "item_type": "PRODUCT", "quantity": 1 }] })),
    )
    .await;
    assert_eq!(
        quote.status,
        201,
        "{}",
        String::from_utf8_lossy(&quote.body)
    );
    let q = quote.json();
    assert_conforms(
        "refund_quote",
        json!({ "data": { "order_id": 1, "total_refund_amount": 1.99, "total_refund_tax_amount": 1.95, "rounding": 1, "adjustment": 0.05, "tax_inclusive": true,
        "refund_methods": [[{ "provider_id": "storecredit", "provider_description": "Store Credit", "amount": 119.35, "offline": false, "offline_provider": false, "offline_reason": "" }]] }, "meta": {} }),
        &q,
    );
    let amount = q["data"]["total_refund_amount"].clone();
    let provider = q["data"]["refund_methods"][0][0]["provider_id"].clone();

    let refund = call(&r, Method::POST, &format!("/v3/orders/{}/payment_actions/refunds", o.id), Some(json!({ "items": [{ "item_id": line, "item_type": "PRODUCT", "quantity": 1, "reason": "Wrong size" }], "payments": [{ "provider_id": provider, "amount": amount, "offline": false }] }))).await;
    assert_eq!(
        refund.status,
        201,
        "{}",
        String::from_utf8_lossy(&refund.body)
    );
    let doc_refund = json!({ "id": 12, "order_id": 180, "user_id": 0, "created": "2022-06-16T16:44:15+00:00", "reason": "Customer requires a refund.", "total_amount": 50, "total_tax": 5,
        "uses_merchant_override_values": false, "payments": [{ "id": 13, "provider_id": "storecredit", "amount": 50, "offline": true, "is_declined": false, "declined_message": "" }],
        "items": [{ "item_type": "PRODUCT", "item_id": 87, "quantity": 1, "requested_amount": null }] });
    assert_conforms(
        "refund",
        json!({ "data": doc_refund, "meta": {} }),
        &refund.json(),
    );
    let list = call(
        &r,
        Method::GET,
        &format!("/v3/orders/{}/payment_actions/refunds", o.id),
        None,
    )
    .await;
    assert_conforms(
        "order refunds",
        json!({ "data": [doc_refund], "meta": {} }),
        &list.json(),
    );

    let sku = sb.skus().into_iter().next().expect("sku");
    let adj = call(&r, Method::PUT, "/v3/inventory/adjustments/absolute", Some(json!({ "reason": "Absolute adjustment reason", "items": [{ "location_id": 1, "sku": sku, "quantity": 1 }] }))).await;
    assert_eq!(adj.status, 200);
    assert_conforms(
        "absolute adjustment",
        json!({ "transaction_id": "string" }),
        &adj.json(),
    );

    let bad = call(&r, Method::GET, "/v3/orders/999999/transactions", None).await;
    assert_eq!(bad.status, 404);
    assert_conforms(
        "v3 404",
        json!({ "status": 404, "title": "x", "type": "x" }),
        &bad.json(),
    );
}

#[tokio::test]
async fn v3_customers_variants_and_hooks_match_the_documented_shapes() {
    let (_sb, r) = sandbox(0);
    // customers.v3.yml: the customer fields of the create/update examples, as returned.
    let doc_customer = json!({
        "id": 1, "email": "string@example.com", "first_name": "string", "last_name": "string", "company": "string", "phone": "string", "notes": "string",
        "registration_ip_address": "string", "tax_exempt_category": "string", "customer_group_id": 0, "authentication": { "force_password_reset": true },
        "accepts_product_review_abandoned_cart_emails": true, "store_credit_amounts": [{ "amount": 43.15 }], "origin_channel_id": 1, "channel_ids": [1],
        "date_created": "2019-08-24T14:15:22Z", "date_modified": "2019-08-24T14:15:22Z",
    });
    let page = json!({ "pagination": { "total": 1, "count": 1, "per_page": 50, "current_page": 1, "total_pages": 1, "links": { "current": "?page=1&limit=50" } } });
    let c = call(
        &r,
        Method::GET,
        "/v3/customers?include=storecredit&limit=5",
        None,
    )
    .await;
    assert_eq!(c.status, 200);
    assert_conforms(
        "customers",
        json!({ "data": [doc_customer], "meta": page }),
        &c.json(),
    );
    let sorted = call(
        &r,
        Method::GET,
        "/v3/customers?sort=last_name:asc&limit=250",
        None,
    )
    .await
    .json();
    let names: Vec<String> = sorted["data"]
        .as_array()
        .expect("d")
        .iter()
        .map(|c| c["last_name"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(
        call(&r, Method::GET, "/v3/customers?sort=bogus", None)
            .await
            .status,
        422
    );

    // product-variants_catalog.v3.yml: a variant.
    let doc_variant = json!({ "id": 1, "product_id": 1, "sku": "SKU-123", "sku_id": null, "price": 10.5, "calculated_price": 10.5, "sale_price": null, "retail_price": null, "map_price": null,
        "weight": 1.5, "calculated_weight": 1.5, "width": 0, "height": 0, "depth": 0, "is_free_shipping": false, "fixed_cost_shipping_price": null, "purchasing_disabled": false,
        "purchasing_disabled_message": "", "image_url": "", "cost_price": 5, "upc": "", "mpn": "", "gtin": "", "inventory_level": 10, "inventory_warning_level": 0, "bin_picking_number": "",
        "option_values": [{ "id": 1, "label": "M", "option_id": 1, "option_display_name": "Size" }] });
    let v = call(&r, Method::GET, "/v3/catalog/variants?limit=3", None)
        .await
        .json();
    assert_conforms(
        "variants",
        json!({ "data": [doc_variant], "meta": page }),
        &v,
    );

    // webhooks.v3.yml: a hook.
    let doc_hook = json!({ "id": 18048287, "client_id": "m9r6keqmo7h7f23btnpwernbez1kglkl", "store_hash": "sftg45fsd", "scope": "store/order/*", "destination": "https://65f6-12-222-33-444.ngrok.io/webhooks",
        "headers": { "custom": "string" }, "is_active": true, "events_history_enabled": true, "created_at": 1561488106, "updated_at": 1561488106 });
    let h = call(&r, Method::POST, "/v3/hooks", Some(json!({ "scope": "store/order/*", "destination": "https://example.com/webhooks", "is_active": true, "headers": { "custom": "string" } }))).await;
    assert_eq!(h.status, 200);
    assert_conforms("hook", json!({ "data": doc_hook, "meta": {} }), &h.json());
    let id = h.json()["data"]["id"].as_u64().expect("id");
    let upd = call(
        &r,
        Method::PUT,
        &format!("/v3/hooks/{id}"),
        Some(json!({ "is_active": false })),
    )
    .await
    .json();
    assert_eq!(upd["data"]["is_active"], json!(false));
    assert_eq!(
        call(&r, Method::DELETE, &format!("/v3/hooks/{id}"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        call(&r, Method::GET, &format!("/v3/hooks/{id}"), None)
            .await
            .status,
        404
    );
    let bad = call(
        &r,
        Method::POST,
        "/v3/hooks",
        Some(json!({ "scope": "store/order/*" })),
    )
    .await;
    assert_eq!(bad.status, 422);
}
