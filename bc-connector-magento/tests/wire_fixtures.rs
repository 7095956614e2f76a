//! Magento payloads → bc-core types: a documented-shape fixture read field by field,
//! malformed variants refused with the order and field named, and no input that panics.

use bc_connector_magento::mapping::order::parse_order_value;
use bc_core::{DiscountKind, OrderCustomer, PaymentState, TaxTarget};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/order_eur_giftcard.json")).expect("fixture JSON")
}

#[test]
fn a_eur_b2b_order_with_gift_card_and_store_credit() {
    let o = parse_order_value(&fixture()).expect("parses");
    assert_eq!(o.id.as_str(), "4");
    assert_eq!(o.number, "200000004");
    assert_eq!(o.status.as_str(), "processing");
    assert_eq!(o.customer, OrderCustomer::Registered { id: "4".into() });
    assert_eq!(
        (o.currency.code(), o.default_currency.code()),
        ("EUR", "USD")
    );
    assert_eq!(
        o.exchange_rate,
        (Decimal::ONE / dec!(0.92)).round_dp(10).normalize()
    );
    assert_eq!(
        o.lines.len(),
        2,
        "child rows of composite products are not lines"
    );
    assert_eq!(o.lines[0].discounts[0].kind, DiscountKind::Coupon);
    assert_eq!(o.lines[0].discounts[0].code.as_deref(), Some("SPRING10"));
    assert_eq!(o.lines[1].total_ex_tax, dec!(20));
    assert_eq!(o.taxes.len(), 3);
    assert_eq!(o.taxes[2].target, TaxTarget::Shipping);
    assert_eq!(o.taxes[0].zone, "DE-VAT-19");
    assert_eq!(o.gift_certificates[0].code, "GC000503");
    assert_eq!(o.store_credit, dec!(1.38));
    assert_eq!(
        o.total_inc_tax,
        dec!(59.38),
        "grand_total + gift card + store credit"
    );
    assert_eq!(o.total_tax, dec!(9.88));
    assert_eq!(o.payments[0].state, PaymentState::Captured);
    assert_eq!(o.payments[0].transaction_id.as_deref(), Some("bt8c1f00aa"));
    assert_eq!(
        o.b2b.as_ref().and_then(|b| b.company.as_deref()),
        Some("Acme Industrial Supply")
    );
    assert_eq!(o.billing.street_2.as_deref(), Some("Hinterhaus"));
    assert_eq!(
        o.shipping_addresses[0].shipping_method.as_deref(),
        Some("Flat Rate - Fixed")
    );
    o.check_totals().expect("adds up");
}

#[test]
fn malformed_orders_are_refused_naming_order_and_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("grand_total", json!("12,00"), "12,00"),
        ("order_currency_code", json!("EURO"), "order_currency_code"),
        ("created_at", json!("05/03/2024"), "05/03/2024"),
        ("items", json!("none"), "none"),
        ("grand_total", json!(1000), "do not add up"),
    ];
    for (field, value, needle) in cases {
        let mut v = fixture();
        v[field] = value;
        let err = parse_order_value(&v).expect_err(field);
        let text = err.to_string();
        assert!(text.contains("order 4"), "{text}");
        assert!(text.contains(needle), "{field}: {text}");
    }
    let mut v = fixture();
    v.as_object_mut().unwrap().remove("entity_id");
    let err = parse_order_value(&v).expect_err("no id");
    assert!(err.to_string().contains("order 200000004"), "{err}");
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[0-9]{0,12}\\.?[0-9]{0,6}"
            .prop_map(|s| serde_json::from_str(&s).unwrap_or(Value::String(s))),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn paths() -> Vec<Vec<&'static str>> {
    vec![
        vec!["grand_total"],
        vec!["subtotal"],
        vec!["tax_amount"],
        vec!["items"],
        vec!["entity_id"],
        vec!["created_at"],
        vec!["updated_at"],
        vec!["base_to_order_rate"],
        vec!["discount_amount"],
        vec!["billing_address"],
        vec!["payment"],
        vec!["extension_attributes"],
        vec!["extension_attributes", "item_applied_taxes"],
        vec!["extension_attributes", "gift_cards"],
        vec!["extension_attributes", "gift_cards_amount"],
        vec!["extension_attributes", "shipping_assignments"],
        vec!["status"],
        vec!["customer_is_guest"],
        vec!["status_histories"],
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("regressions"))), ..ProptestConfig::default() })]

    #[test]
    fn no_payload_panics(which in 0usize..19, value in arb_json(), item_field in 0usize..6, item_value in arb_json()) {
        let mut v = fixture();
        let path = &paths()[which];
        let mut node = &mut v;
        for (i, key) in path.iter().enumerate() {
            if i + 1 == path.len() {
                node[*key] = value.clone();
            } else {
                node = &mut node[*key];
            }
        }
        let fields = ["qty_ordered", "price", "row_total", "item_id", "parent_item_id", "discount_amount"];
        if let Some(items) = v["items"].as_array_mut() {
            if let Some(first) = items.first_mut().filter(|f| f.is_object()) {
                first[fields[item_field]] = item_value;
            }
        }
        // Either a consistent order or an error: never a panic.
        if let Ok(o) = parse_order_value(&v) {
            prop_assert!(o.check_totals().is_ok());
        }
    }

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        let _ = parse_order_value(&v);
    }
}
