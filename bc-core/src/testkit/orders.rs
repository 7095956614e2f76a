//! Generated storefront orders for property tests.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::ids::{CustomerId, OrderId, Sku, StatusId};
use crate::money::Currency;
use crate::order::*;

/// Tax zones the generated orders use; [`SETTINGS_TOML`] maps them all.
pub const TAX_ZONES: [&str; 4] = ["CA State Tax", "Los Angeles County Tax", "EU VAT", "GST"];

/// A settings document that maps everything the generated orders contain: every tax zone,
/// every payment method, every posting target.
pub const SETTINGS_TOML: &str = r#"
[storefront]
platform = "bigcommerce"
store_hash = "abc123"
access_token = "test-token"

[ledger]
platform = "acctvantage"

[sync]
import_source_code = "BC1"
timezone = "America/New_York"

[orders]
new_order_status = ["Awaiting Fulfillment"]
downloaded_status = "Awaiting Shipment"
import_error_status = "Manual Verification Required"
order_number_prefix = "BC-"

[posting]
discount_gl = "4900"
gift_card_liability_gl = "2300"
store_credit_gl = "2310"
shipping_item = "Shipping"
handling_item = "Handling"
wrapping_item = "Gift Wrap"
rounding_item = "Rounding"
rounding_tolerance = "0.05"
non_taxable_code = "NON"

[tax_map]
"CA State Tax" = "CA"
"Los Angeles County Tax" = "LAC"
"EU VAT" = "VAT20"
"GST" = "GST"

[payment_map]
credit_card = { receipt_type = "CARD", deposit_account = "1210" }
paypal = { receipt_type = "PAYPAL", deposit_account = "1220" }
purchase_order = { open_ar = true }
"#;

fn amount4(max_units: i64) -> impl Strategy<Value = Decimal> {
    (0..=max_units).prop_map(|u| Decimal::new(u, 4))
}

/// A generated product line: SKU `SKU-{n}`, 4-decimal unit price, quantity 1–5, sometimes
/// a coupon discount.
pub fn arb_line(index: usize) -> impl Strategy<Value = OrderLine> {
    (
        0u32..40,
        1i64..=5,
        1i64..=2_000_000, // up to 200.0000
        prop::option::weighted(0.25, 1i64..=50),
    )
        .prop_map(move |(sku, qty, unit, disc_pct)| {
            let quantity = Decimal::from(qty);
            let unit_price = Decimal::new(unit, 4);
            let total = unit_price * quantity;
            let discounts = disc_pct
                .map(|p| {
                    vec![LineDiscount {
                        kind: DiscountKind::Coupon,
                        code: Some(format!("SAVE{p}")),
                        name: format!("{p}% off"),
                        amount: (total * Decimal::new(p, 2)).round_dp(4),
                    }]
                })
                .unwrap_or_default();
            OrderLine {
                line_id: format!("{}", 100 + index),
                sku: Some(Sku::new(format!("SKU-{sku}"))),
                name: format!("Product {sku}"),
                product_id: Some(sku.to_string()),
                variant_id: None,
                quantity,
                unit_price_ex_tax: unit_price,
                unit_price_inc_tax: unit_price,
                total_ex_tax: total,
                discounts,
                tax_class: None,
                physical: true,
                shipping_address_id: Some("1".into()),
                quantity_shipped: Decimal::ZERO,
                quantity_refunded: Decimal::ZERO,
            }
        })
}

fn currency() -> impl Strategy<Value = Currency> {
    prop_oneof![
        6 => Just(Currency::USD),
        2 => Just(Currency::EUR),
        1 => Just(Currency::CAD),
        1 => Just(Currency::JPY),
    ]
}

/// A consistent order: 1–8 lines (sometimes 50–60), discounts, gift certificates, store
/// credit, shipping, handling, wrapping, several tax zones per line, guests and registered
/// customers, several currencies, 4-decimal amounts. `check_totals()` holds exactly.
pub fn arb_order() -> impl Strategy<Value = Order> {
    let lines = prop_oneof![
        9 => prop::collection::vec(0usize..1, 1..=8),
        1 => prop::collection::vec(0usize..1, 50..=60),
    ]
    .prop_flat_map(|v| {
        let n = v.len();
        (0..n).map(arb_line).collect::<Vec<_>>()
    });
    (
        lines,
        (1u64..1_000_000, any::<bool>(), currency()),
        (amount4(300_000), amount4(50_000), amount4(20_000)),
        (
            prop::option::weighted(0.2, 1i64..=200_000),
            prop::collection::vec(0usize..TAX_ZONES.len(), 0..=2),
        ),
        (0u8..=100, 0u8..=100, 0u8..=3),
    )
        .prop_map(
            |(
                mut lines,
                (id, guest, currency),
                (ship, handling, wrap),
                (manual, zones),
                (gc_pct, sc_pct, method),
            )| {
                // Order-level manual discount, never above the lines' net.
                let lines_net: Decimal = lines
                    .iter()
                    .map(|l| l.total_ex_tax - l.discount_total())
                    .sum();
                let manual = manual
                    .map(|m| Decimal::new(m, 4).min(lines_net))
                    .filter(|m| !m.is_zero());
                // Taxes: each chosen zone taxes every line and the shipping, at its rate.
                let mut taxes = Vec::new();
                for (zi, z) in zones.iter().enumerate() {
                    let rate = [
                        Decimal::new(725, 2),
                        Decimal::new(225, 2),
                        Decimal::new(20, 0),
                        Decimal::new(5, 0),
                    ][*z];
                    for l in &mut lines {
                        if zi == 0 {
                            l.tax_class = Some("Taxable".into());
                        }
                        let base = l.total_ex_tax - l.discount_total();
                        taxes.push(TaxLine {
                            target: TaxTarget::Line(l.line_id.clone()),
                            zone: TAX_ZONES[*z].to_string(),
                            class: Some("Taxable".into()),
                            rate,
                            amount: (base * rate / Decimal::ONE_HUNDRED).round_dp(4),
                        });
                    }
                    if !ship.is_zero() {
                        taxes.push(TaxLine {
                            target: TaxTarget::Shipping,
                            zone: TAX_ZONES[*z].to_string(),
                            class: None,
                            rate,
                            amount: (ship * rate / Decimal::ONE_HUNDRED).round_dp(4),
                        });
                    }
                }
                let mut order = Order {
                    id: OrderId::new(id.to_string()),
                    number: id.to_string(),
                    status: StatusId::new("11"),
                    created_at: Utc
                        .timestamp_opt(1_760_000_000 + (id as i64 % 10_000_000), 0)
                        .single()
                        .unwrap_or_default(),
                    modified_at: Utc
                        .timestamp_opt(1_760_000_000 + (id as i64 % 10_000_000), 0)
                        .single()
                        .unwrap_or_default(),
                    customer: if guest {
                        OrderCustomer::Guest
                    } else {
                        OrderCustomer::Registered {
                            id: CustomerId::new(format!("{}", id % 500)),
                        }
                    },
                    email: Some(format!("shopper{}@example.com", id % 500)),
                    billing: Address {
                        first_name: "Ada".into(),
                        last_name: format!("Shopper{}", id % 500),
                        street_1: "1 Main St".into(),
                        city: "Springfield".into(),
                        state: "California".into(),
                        zip: "90001".into(),
                        country: "United States".into(),
                        country_iso2: "US".into(),
                        ..Address::default()
                    },
                    shipping_addresses: vec![ShippingAddress {
                        id: "1".into(),
                        address: Address::default(),
                        shipping_method: Some("Flat Rate".into()),
                    }],
                    lines,
                    shipping: Charge {
                        amount_ex_tax: ship,
                        tax_class: None,
                    },
                    handling: Charge {
                        amount_ex_tax: handling,
                        tax_class: None,
                    },
                    wrapping: Charge {
                        amount_ex_tax: wrap,
                        tax_class: None,
                    },
                    discounts: manual
                        .map(|m| {
                            vec![OrderDiscount {
                                kind: DiscountKind::Manual,
                                code: None,
                                name: "Manual discount".into(),
                                amount: m,
                            }]
                        })
                        .unwrap_or_default(),
                    gift_certificates: Vec::new(),
                    store_credit: Decimal::ZERO,
                    taxes,
                    payments: Vec::new(),
                    currency,
                    default_currency: Currency::USD,
                    exchange_rate: if currency == Currency::USD {
                        Decimal::ONE
                    } else {
                        Decimal::new(10_850, 4)
                    },
                    total_ex_tax: Decimal::ZERO,
                    total_tax: Decimal::ZERO,
                    total_inc_tax: Decimal::ZERO,
                    b2b: None,
                    customer_message: Some("Please leave at the door".into()),
                    staff_notes: None,
                    custom: Default::default(),
                };
                order.total_ex_tax = order.computed_total_ex_tax();
                order.total_tax = order.tax_total();
                order.total_inc_tax = order.total_ex_tax + order.total_tax;
                // Tenders: part paid by gift certificate and store credit, the rest by a method.
                let total = order.total_inc_tax;
                let gc = (total * Decimal::from(gc_pct) / Decimal::from(300)).round_dp(4);
                let sc = ((total - gc) * Decimal::from(sc_pct) / Decimal::from(400)).round_dp(4);
                if !gc.is_zero() {
                    order.gift_certificates.push(GiftCertificateRedemption {
                        code: format!("GC-{id}"),
                        amount: gc,
                    });
                }
                order.store_credit = sc;
                let rest = total - gc - sc;
                if !rest.is_zero() {
                    let (m, state) = match method {
                        0 => ("credit_card", PaymentState::Captured),
                        1 => ("credit_card", PaymentState::Authorized),
                        2 => ("paypal", PaymentState::Captured),
                        _ => ("purchase_order", PaymentState::Pending),
                    };
                    order.payments.push(Payment {
                        method: m.into(),
                        gateway: None,
                        transaction_id: Some(format!("tx-{id}")),
                        amount: rest,
                        state,
                        at: None,
                    });
                }
                order
            },
        )
}
