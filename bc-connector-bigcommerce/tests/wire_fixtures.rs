//! Wire fixtures: parsing the documented example payloads (written out under `tests/fixtures/` from
//! `bigcommerce/docs` `reference/orders.v2.oas2.yml`, `orders.v3.yml`, `customers.v3.yml` and
//! the webhook callbacks), malformed variants of them, and arbitrary JSON.

use bc_connector_bigcommerce::parse::{
    consignment_parts, parse_customer, parse_order, parse_order_json, parse_refund,
    parse_shipment_ref, parse_statuses, v3_page, OrderParts,
};
use bc_core::{Currency, DiscountKind, ErrorKind, OrderCustomer, PaymentState, TaxTarget};
use proptest::prelude::*;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("not an array: {other}"),
    }
}

fn parts_218() -> OrderParts {
    OrderParts {
        order: fixture("order_218"),
        products: array(fixture("products_149")),
        shipping_addresses: vec![fixture("shipping_address_42")],
        coupons: array(fixture("coupons")),
        taxes: array(fixture("taxes")),
        transactions: Some(v3_page(&fixture("transactions"), "t").unwrap().0.to_vec()),
    }
}

#[test]
fn documented_order_with_products_coupons_taxes_transactions() {
    let o = parse_order(&parts_218()).unwrap();
    assert_eq!(o.id.as_str(), "218");
    assert_eq!(o.status.as_str(), "7");
    assert_eq!(o.created_at.to_rfc3339(), "2019-03-05T21:40:11+00:00");
    assert_eq!(o.customer, OrderCustomer::Registered { id: "11".into() });
    assert_eq!(o.email.as_deref(), Some("janedoe@example.com"));
    assert_eq!(o.billing.company, None, "\"\" is no company");
    assert_eq!(o.total_inc_tax, dec!(69.8400));
    assert_eq!(o.total_ex_tax, dec!(64.5300));
    assert_eq!(o.shipping.amount_ex_tax, dec!(11.0900));
    assert_eq!(o.currency, Currency::USD);
    assert_eq!(
        o.default_currency,
        Currency::USD,
        "\"\" store currency falls back"
    );
    assert_eq!(o.exchange_rate, dec!(1));
    // Lines: the manual discount sits on its line; the bundled child is kept at zero.
    assert_eq!(o.lines.len(), 2);
    assert_eq!(o.lines[0].line_id, "65");
    assert_eq!(o.lines[0].sku.as_ref().map(|s| s.as_str()), Some("S-ORAN"));
    assert_eq!(o.lines[0].discounts[0].kind, DiscountKind::Manual);
    assert_eq!(o.lines[0].discounts[0].amount, dec!(1.5900));
    assert_eq!(o.lines[1].total_ex_tax, dec!(0));
    // discount_amount 5 − 1.59 on lines = 3.41 order level; the coupon (5) is not on any
    // line: order level with its code.
    let coupon = o
        .discounts
        .iter()
        .find(|d| d.kind == DiscountKind::Coupon)
        .unwrap();
    assert_eq!(coupon.code.as_deref(), Some("S2549JM0Y"));
    assert_eq!(coupon.amount, dec!(5.0000));
    let manual = o
        .discounts
        .iter()
        .find(|d| d.kind == DiscountKind::Manual)
        .unwrap();
    assert_eq!(manual.amount, dec!(3.4100));
    // Taxes without details are order level.
    assert_eq!(o.taxes.len(), 2);
    assert!(o.taxes.iter().all(|t| t.target == TaxTarget::Order));
    assert_eq!(o.tax_total(), dec!(22.0400));
    // Payments: authorisation then capture = one captured card payment; the gift
    // certificate is not a payment (the order says 0 gift certificates: the order rules).
    assert_eq!(o.payments.len(), 1);
    assert_eq!(o.payments[0].state, PaymentState::Captured);
    assert_eq!(o.payments[0].gateway.as_deref(), Some("braintree"));
    assert!(o.gift_certificates.is_empty());
    assert!(o.custom.contains_key("channel_id"));
}

#[test]
fn documented_order_with_oddities_parses() {
    // `currency_code"` (a typo in the docs), `credit_card_type: {}`, 2-decimal amounts.
    let o = parse_order(&OrderParts {
        order: fixture("order_247"),
        ..OrderParts::default()
    })
    .unwrap();
    assert_eq!(o.total_inc_tax, dec!(1008.74));
    assert_eq!(o.currency, Currency::USD);
    assert_eq!(o.staff_notes.as_deref(), Some("BIN-45"));
    // Tax without rows: one order-level line for the whole amount.
    assert_eq!(o.taxes.len(), 1);
    assert_eq!(o.taxes[0].amount, dec!(76.88));
    // No transactions fetched: the order's own payment fields.
    assert_eq!(o.payments[0].state, PaymentState::Captured);
    assert_eq!(o.payments[0].amount, dec!(1008.74));
}

#[test]
fn detailed_taxes_go_to_their_targets() {
    let mut parts = parts_218();
    parts.taxes = vec![
        json!({"name":"CA State","class":"Default","rate":"7.2500","priority_amount":"4.0600","line_amount":"4.0600","order_product_id":"65","line_item_type":"item"}),
        json!({"name":"CA State","rate":"7.2500","line_amount":"0.8000","order_product_id":null,"line_item_type":"shipping"}),
        json!({"name":"CA State","rate":"7.2500","line_amount":"0.1000","order_product_id":"65","line_item_type":"handling"}),
        json!({"name":"CA State","rate":"7.2500","line_amount":"0.2000","order_product_id":"65","line_item_type":"gift-wrapping"}),
    ];
    let o = parse_order(&parts).unwrap();
    assert_eq!(
        o.lines[0].tax_class.as_deref(),
        Some("Default"),
        "the line's class from its tax row"
    );
    assert_eq!(
        o.shipping.tax_class, None,
        "no class on the shipping row, id 0 is none"
    );
    let targets: Vec<_> = o.taxes.iter().map(|t| t.target.clone()).collect();
    assert_eq!(
        targets,
        vec![
            TaxTarget::Line("65".into()),
            TaxTarget::Shipping,
            TaxTarget::Handling,
            TaxTarget::Wrapping
        ]
    );
    parts.taxes = vec![
        json!({"name":"X","rate":"1","line_amount":"1.0000","order_product_id":"999","line_item_type":"item"}),
    ];
    let e = parse_order(&parts).unwrap_err();
    assert!(
        e.to_string().contains("order 218") && e.to_string().contains("taxes[0].order_product_id"),
        "{e}"
    );
}

#[test]
fn documented_refund_shipment_customers_statuses_webhook() {
    let body = fixture("refund_12");
    let r = parse_refund(&body["data"], Currency::USD).unwrap();
    assert_eq!(r.order_id.as_str(), "180");
    assert_eq!(r.total, dec!(50));
    assert_eq!(r.tax, dec!(5));
    assert_eq!(r.lines.len(), 1);
    assert_eq!(
        r.lines[0].amount_ex_tax,
        dec!(45),
        "the unpriced line takes the rest"
    );
    assert_eq!(r.computed_total(), r.total);
    assert_eq!(r.method, "store_credit");

    assert_eq!(
        parse_shipment_ref(&fixture("shipment_11"), "228")
            .unwrap()
            .id
            .as_str(),
        "11"
    );

    let page = fixture("customers");
    let (rows, pages) = v3_page(&page, "customers").unwrap();
    assert_eq!(pages, Some(1));
    let cs: Vec<_> = rows.iter().map(|c| parse_customer(c).unwrap()).collect();
    assert_eq!(cs[0].company.as_deref(), Some("BigCommerce"));
    assert_eq!(cs[0].customer_group_id, None, "group 0 is no group");
    assert_eq!(cs[1].id.as_str(), "2", "ids as strings are tolerated");
    assert_eq!(cs[1].customer_group_id.as_deref(), Some("4"));

    let st = parse_statuses(&array(fixture("statuses"))).unwrap();
    assert_eq!(st[0].custom_label.as_deref(), Some("Incomplete - Testing"));
    assert_eq!(
        st[1].custom_label, None,
        "a label equal to the name is no custom label"
    );
    // The webhook fixture is read by bc-server's own tests (`bcsync run --listen`).
}

#[test]
fn gift_certificates_from_transactions_when_the_order_has_them() {
    let mut parts = parts_218();
    parts.order["gift_certificate_amount"] = json!("5.0000");
    let o = parse_order(&parts).unwrap();
    assert_eq!(o.gift_certificates.len(), 1);
    assert_eq!(o.gift_certificates[0].code, "GC-8842");
    assert_eq!(o.gift_certificates[0].amount, dec!(5.0000));
    // A tender, never subtracted from the total.
    assert_eq!(o.total_inc_tax, dec!(69.8400));
}

#[test]
fn malformed_payloads_name_the_order_and_the_field() {
    type Corrupt = Box<dyn Fn(&mut OrderParts)>;
    let cases: Vec<(&str, Corrupt)> = vec![
        (
            "total_inc_tax",
            Box::new(|p| p.order["total_inc_tax"] = json!("69,84")),
        ),
        (
            "total_tax",
            Box::new(|p| p.order["total_tax"] = json!(true)),
        ),
        (
            "total_ex_tax",
            Box::new(|p| {
                p.order.as_object_mut().unwrap().remove("total_ex_tax");
            }),
        ),
        (
            "date_created",
            Box::new(|p| p.order["date_created"] = json!("yesterday")),
        ),
        (
            "date_modified",
            Box::new(|p| p.order["date_modified"] = json!("")),
        ),
        (
            "billing_address",
            Box::new(|p| {
                p.order.as_object_mut().unwrap().remove("billing_address");
            }),
        ),
        (
            "billing_address",
            Box::new(|p| p.order["billing_address"] = json!([1, 2])),
        ),
        (
            "products[1].total_ex_tax",
            Box::new(|p| p.products[1]["total_ex_tax"] = json!({"x": 1})),
        ),
        (
            "products[0].quantity",
            Box::new(|p| p.products[0]["quantity"] = json!("one")),
        ),
        (
            "products[0].applied_discounts[0].amount",
            Box::new(|p| p.products[0]["applied_discounts"][0]["amount"] = json!([])),
        ),
        (
            "products[0].applied_discounts",
            Box::new(|p| p.products[0]["applied_discounts"] = json!("none")),
        ),
        (
            "coupons[0].discount",
            Box::new(|p| p.coupons[0]["discount"] = json!("five")),
        ),
        (
            "taxes[1].line_amount",
            Box::new(|p| p.taxes[1]["line_amount"] = json!("1e400")),
        ),
        (
            "transactions[0].amount",
            Box::new(|p| p.transactions.as_mut().unwrap()[0]["amount"] = json!(null)),
        ),
        (
            "default_currency_code",
            Box::new(|p| p.order["default_currency_code"] = json!("US DOLLARS")),
        ),
    ];
    for (field, corrupt) in cases {
        let mut parts = parts_218();
        corrupt(&mut parts);
        let e = parse_order(&parts).expect_err(field);
        assert_eq!(e.kind(), ErrorKind::Protocol, "{field}: {e}");
        let text = e.to_string();
        assert!(text.contains("order 218"), "{field}: {text}");
        assert!(text.contains(field), "{field}: {text}");
    }
    // Not even an object, or no id.
    assert!(parse_order_json(&json!([1])).is_err());
    assert!(parse_order_json(&json!({"total_inc_tax": "1"}))
        .unwrap_err()
        .to_string()
        .contains("id"));
    // Refunds and customers too.
    let e = parse_refund(&json!({"id": 4, "order_id": 1, "total_amount": "x", "created": "2022-06-16T16:44:15+00:00"}), Currency::USD).unwrap_err();
    assert!(
        e.to_string().contains("refund 4") && e.to_string().contains("total_amount"),
        "{e}"
    );
    assert!(parse_customer(&json!({"id": 1, "email": ["a"]}))
        .unwrap_err()
        .to_string()
        .contains("customer 1"));
}

#[test]
fn consignments_carry_lines_or_fall_back() {
    let mut order = fixture("order_218");
    let line = array(fixture("products_149"))[0].clone();
    order["consignments"] = json!([{"shipping": [{"id": 42, "first_name": "Jane", "last_name": "Doe", "street_1": "1 St", "city": "Austin", "line_items": [line]}]}]);
    let (addresses, products) = consignment_parts(&order).unwrap().unwrap();
    assert_eq!((addresses.len(), products.len()), (1, 1));
    // `consignment_structure=object`.
    order["consignments"] =
        json!({"shipping": [{"id": 42, "line_items": []}], "pickups": [], "downloads": []});
    assert_eq!(consignment_parts(&order).unwrap().unwrap().0.len(), 1);
    // Links instead of lines: the caller asks `/products`.
    order["consignments"] =
        json!([{"shipping": [{"id": 42, "line_items": [{"url": "u", "resource": "/r"}]}]}]);
    assert!(consignment_parts(&order).unwrap().is_none());
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[0-9]{1,30}(\\.[0-9]{0,12})?"
            .prop_map(|s| serde_json::from_str::<Value>(&s).unwrap_or(Value::Null)),
        "-?[0-9e.E+-]{0,12}".prop_map(Value::String),
        ".{0,12}".prop_map(Value::String),
        "(Tue, 20 Nov 2012 00:00:00 \\+0000|2012-11-20T00:00:00Z|)".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("total_inc_tax".to_string()),
                    Just("consignments".to_string()),
                    Just("shipping".to_string()),
                    Just("line_items".to_string()),
                    Just("applied_discounts".to_string()),
                    Just("billing_address".to_string()),
                    Just("quantity".to_string()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..8,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The id an order body carries if BigCommerce could have sent it: a JSON integer ≥ 1
/// (`reference/orders.v2.oas2.yml`, `order_RespOnly.id: integer`) or its digits as a string.
fn documented_id(v: &Value) -> Option<String> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    (digits && !text.starts_with('0') && text.parse::<u64>().is_ok()).then_some(text)
}

#[test]
fn ids_bigcommerce_never_sends_are_refused_naming_the_order_and_the_field() {
    let mut order = fixture("order_218");
    order["consignments"] = json!([]);
    for bad in [
        json!("\\"),
        json!(""),
        json!("-3"),
        json!(-3),
        json!(0),
        json!("0"),
        json!(1.5),
        json!("1.5"),
        json!("1e3"),
        json!("007"),
        json!(" 7"),
        json!("+7"),
        json!("18446744073709551616"),
        json!(true),
        json!(null),
        json!({"id": 1}),
    ] {
        order["id"] = bad.clone();
        let e = parse_order_json(&order).expect_err(&bad.to_string());
        assert_eq!(e.kind(), ErrorKind::Protocol, "{bad}: {e}");
        let text = e.message().to_string();
        assert!(text.starts_with("order "), "{bad}: {text}");
        assert!(text.contains("field `id`"), "{bad}: {text}");
    }
    for (good, id) in [(json!(218), "218"), (json!("218"), "218")] {
        order["id"] = good;
        assert_eq!(parse_order_json(&order).unwrap().id.as_str(), id);
    }
    // Inner ids too: a line, a status, a refund's order, a webhook's order.
    let mut parts = parts_218();
    parts.products[0]["id"] = json!("sixty-five");
    let e = parse_order(&parts).unwrap_err().to_string();
    assert!(
        e.contains("order 218") && e.contains("products[0].id"),
        "{e}"
    );
    let mut parts = parts_218();
    parts.order["status_id"] = json!(-1);
    let e = parse_order(&parts).unwrap_err().to_string();
    assert!(e.contains("order 218") && e.contains("status_id"), "{e}");
    let mut refund = fixture("refund_12")["data"].clone();
    refund["order_id"] = json!(180.5);
    let e = parse_refund(&refund, Currency::USD)
        .unwrap_err()
        .to_string();
    assert!(e.contains("refund 12") && e.contains("order_id"), "{e}");
    // Status 0 ("Incomplete") and customer 0 (a guest) are documented.
    let mut parts = parts_218();
    parts.order["status_id"] = json!(0);
    parts.order["customer_id"] = json!(0);
    let o = parse_order(&parts).unwrap();
    assert_eq!(o.status.as_str(), "0");
    assert_eq!(o.customer, OrderCustomer::Guest);
}

#[test]
fn amounts_beyond_any_order_are_refused_instead_of_overflowing() {
    let mut parts = parts_218();
    parts.order["gift_certificate_amount"] = json!("70000000000000000000000000000");
    parts.order["total_inc_tax"] = json!("-70000000000000000000000000000");
    let e = parse_order(&parts).unwrap_err().to_string();
    assert!(
        e.contains("order 218") && e.contains("total_inc_tax"),
        "{e}"
    );
    let mut parts = parts_218();
    parts.order["store_credit_amount"] = json!(1_000_000_000_000_001u64);
    let e = parse_order(&parts).unwrap_err().to_string();
    assert!(e.contains("store_credit_amount"), "{e}");
    let mut parts = parts_218();
    parts.order["store_credit_amount"] = json!("1000000000000000");
    assert!(parse_order(&parts).is_ok(), "10^15 itself is accepted");
}

const KEYS: &[&str] = &[
    "id",
    "status_id",
    "date_created",
    "date_modified",
    "total_ex_tax",
    "total_inc_tax",
    "total_tax",
    "coupon_discount",
    "discount_amount",
    "gift_certificate_amount",
    "store_credit_amount",
    "billing_address",
    "consignments",
    "default_currency_code",
    "store_default_to_transactional_exchange_rate",
    "customer_id",
    "items_total",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        let _ = parse_order_json(&v);
        let _ = parse_refund(&v, Currency::USD);
        let _ = parse_customer(&v);
    }

    #[test]
    fn corrupted_documented_orders_never_panic(key in 0..KEYS.len(), junk in arb_json(), line_key in "[a-z_]{1,16}", line_junk in arb_json()) {
        let mut order = fixture("order_218");
        order[KEYS[key]] = junk;
        let mut line = array(fixture("products_149"))[0].clone();
        line[line_key.as_str()] = line_junk;
        order["consignments"] = json!([{"shipping": [{"id": 42, "line_items": [line]}]}]);
        let want = documented_id(&order["id"]);
        match parse_order_json(&order) {
            Ok(o) => {
                // Only an id BigCommerce could send parses, and it is kept as its digits.
                prop_assert_eq!(Some(o.id.as_str()), want.as_deref());
            }
            Err(e) => {
                prop_assert!(e.kind() == ErrorKind::Protocol, "{}", e);
                let text = e.message().to_string();
                match want {
                    // A good id names the order in every error.
                    Some(id) => prop_assert!(text.contains(&format!("order {id}")), "{}", text),
                    // A bad one is the error, named as the field.
                    None => prop_assert!(text.starts_with("order ") && text.contains("field `id`"), "{}", text),
                }
            }
        }
    }
}
