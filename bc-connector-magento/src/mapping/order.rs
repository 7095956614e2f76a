//! A Magento order → [`bc_core::Order`].
//!
//! Amount identities (Magento's totals collectors): `grand_total = subtotal + discount_amount
//! (negative) + shipping_amount + tax_amount − gift_cards_amount − customer_balance_amount`.
//! bc-core treats gift cards and store credit as tenders, so the order's `total_inc_tax` is
//! `grand_total + gift cards + store credit`. Amounts stay in the order currency; the base
//! currency and the rate between them are kept apart ([`Order::default_currency`],
//! [`Order::exchange_rate`] = base units per order unit = 1 / `base_to_order_rate`).

use bc_core::{
    Address, B2bInfo, Charge, Currency, CustomerId, DiscountKind, Error, GiftCertificateRedemption,
    LineDiscount, Order, OrderCustomer, OrderDiscount, OrderId, OrderLine, Payment, PaymentState,
    ShippingAddress, Sku, StatusId, TaxLine, TaxTarget,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::wire::{WireAddress, WireOrder};
use crate::PLATFORM;

fn address(a: &WireAddress) -> Address {
    Address {
        first_name: a.firstname.clone(),
        last_name: a.lastname.clone(),
        company: a.company.clone(),
        street_1: a.street.first().cloned().unwrap_or_default(),
        street_2: (a.street.len() > 1).then(|| a.street[1..].join(", ")),
        city: a.city.clone(),
        state: a.region.clone().unwrap_or_default(),
        zip: a.postcode.clone().unwrap_or_default(),
        country: a.country_id.clone(),
        country_iso2: a.country_id.clone(),
        phone: a.telephone.clone(),
        email: a.email.clone(),
    }
}

fn currency(code: &str, field: &str, id: &str) -> bc_core::Result<Currency> {
    Currency::new(code).map_err(|e| {
        Error::protocol(format!("order {id}: `{field}` = `{code}`: {}", e.message()))
            .with_platform(PLATFORM)
    })
}

/// Parses one order from its JSON; the error names the order (by `entity_id` when it can be
/// read) and the field.
pub fn parse_order_value(v: &Value) -> bc_core::Result<Order> {
    let key = order_key(v);
    let wire: WireOrder = serde_json::from_value(v.clone()).map_err(|e| {
        Error::protocol(format!("order {key}: malformed payload: {e}")).with_platform(PLATFORM)
    })?;
    map_order(&wire)
}

/// The order's id as far as it can be read (`entity_id`, else `increment_id`, else `?`).
pub fn order_key(v: &Value) -> String {
    for k in ["entity_id", "increment_id"] {
        match v.get(k) {
            Some(Value::Number(n)) => return n.to_string(),
            Some(Value::String(s)) if !s.is_empty() => return s.clone(),
            _ => {}
        }
    }
    "?".into()
}

/// Maps a typed order.
pub fn map_order(w: &WireOrder) -> bc_core::Result<Order> {
    let id = w.entity_id.clone();
    let order_currency = currency(&w.order_currency_code, "order_currency_code", &id)?;
    let base_currency = currency(&w.base_currency_code, "base_currency_code", &id)?;
    let ext = &w.extension_attributes;
    let coupon = w.coupon_code.clone();
    let label = w
        .discount_description
        .clone()
        .or_else(|| coupon.clone())
        .unwrap_or_else(|| "Discount".into());
    let mut lines = Vec::new();
    for it in w.items.iter().filter(|i| i.parent_item_id.is_none()) {
        if it.qty_ordered <= Decimal::ZERO {
            return Err(Error::protocol(format!(
                "order {id}: item {} has qty_ordered {}",
                it.item_id, it.qty_ordered
            ))
            .with_platform(PLATFORM));
        }
        let discounts = if it.discount_amount.is_zero() {
            Vec::new()
        } else {
            vec![LineDiscount {
                kind: if coupon.is_some() {
                    DiscountKind::Coupon
                } else {
                    DiscountKind::Promotion
                },
                code: coupon.clone(),
                name: label.clone(),
                amount: it.discount_amount,
            }]
        };
        lines.push(OrderLine {
            line_id: it.item_id.clone(),
            sku: it
                .sku
                .clone()
                .filter(|s| !s.trim().is_empty())
                .map(Sku::new),
            name: it.name.clone(),
            product_id: it.product_id.clone(),
            variant_id: None,
            quantity: it.qty_ordered,
            unit_price_ex_tax: it.price,
            unit_price_inc_tax: it.price_incl_tax.unwrap_or(it.price),
            total_ex_tax: it.row_total,
            discounts,
            tax_class: None,
            physical: !matches!(
                it.product_type.as_str(),
                "virtual" | "downloadable" | "giftcard"
            ) && !matches!(&it.is_virtual, Some(Value::Number(n)) if n.to_string() == "1"),
            shipping_address_id: None,
            quantity_shipped: it.qty_shipped,
            quantity_refunded: it.qty_refunded,
        });
    }
    // Taxes as Magento calculated them, per item and shipping.
    let mut taxes = Vec::new();
    for group in &ext.item_applied_taxes {
        let target = match group.kind.as_str() {
            "shipping" => TaxTarget::Shipping,
            "product" => match &group.item_id {
                Some(item) => TaxTarget::Line(item.clone()),
                None => TaxTarget::Order,
            },
            _ => TaxTarget::Order,
        };
        for t in &group.applied_taxes {
            taxes.push(TaxLine {
                target: target.clone(),
                zone: if t.code.is_empty() {
                    t.title.clone()
                } else {
                    t.code.clone()
                },
                class: None,
                rate: t.percent,
                amount: t.amount,
            });
        }
    }
    if ext.item_applied_taxes.is_empty() && !w.tax_amount.is_zero() {
        // No per-item split (older stores): per-line amounts, then shipping.
        let zone = ext
            .applied_taxes
            .first()
            .map(|t| t.code.clone())
            .unwrap_or_else(|| "Tax".into());
        let rate = ext
            .applied_taxes
            .first()
            .map(|t| t.percent)
            .unwrap_or_default();
        for it in w
            .items
            .iter()
            .filter(|i| i.parent_item_id.is_none() && !i.tax_amount.is_zero())
        {
            taxes.push(TaxLine {
                target: TaxTarget::Line(it.item_id.clone()),
                zone: zone.clone(),
                class: None,
                rate,
                amount: it.tax_amount,
            });
        }
        if !w.shipping_tax_amount.is_zero() {
            taxes.push(TaxLine {
                target: TaxTarget::Shipping,
                zone: zone.clone(),
                class: None,
                rate,
                amount: w.shipping_tax_amount,
            });
        }
    }
    let split: Decimal = taxes.iter().map(|t| t.amount).sum();
    if split != w.tax_amount {
        // Magento rounds per rate; keep the order's tax exact with the remainder.
        taxes.push(TaxLine {
            target: TaxTarget::Order,
            zone: ext
                .applied_taxes
                .first()
                .map(|t| t.code.clone())
                .unwrap_or_else(|| "Tax".into()),
            class: None,
            rate: Decimal::ZERO,
            amount: w.tax_amount - split,
        });
    }
    let line_discounts: Decimal = lines.iter().map(OrderLine::discount_total).sum();
    let mut discounts = Vec::new();
    if !w.shipping_discount_amount.is_zero() {
        discounts.push(OrderDiscount {
            kind: if coupon.is_some() {
                DiscountKind::Coupon
            } else {
                DiscountKind::Promotion
            },
            code: coupon.clone(),
            name: format!("{label} (shipping)"),
            amount: w.shipping_discount_amount,
        });
    }
    let rest = -w.discount_amount - line_discounts - w.shipping_discount_amount;
    if !rest.is_zero() {
        discounts.push(OrderDiscount {
            kind: DiscountKind::Manual,
            code: None,
            name: label.clone(),
            amount: rest,
        });
    }
    let mut gift_certificates: Vec<GiftCertificateRedemption> = ext
        .gift_cards
        .iter()
        .map(|g| GiftCertificateRedemption {
            code: g.code.clone(),
            amount: g.amount,
        })
        .collect();
    let listed: Decimal = gift_certificates.iter().map(|g| g.amount).sum();
    if listed != ext.gift_cards_amount && !ext.gift_cards_amount.is_zero() {
        gift_certificates.push(GiftCertificateRedemption {
            code: "(gift card)".into(),
            amount: ext.gift_cards_amount - listed,
        });
    }
    let gift_total = ext.gift_cards_amount.max(listed);
    let total_inc_tax = w.grand_total + gift_total + ext.customer_balance_amount;
    let total_tax = w.tax_amount;
    let rate = match w.base_to_order_rate {
        Some(r) if r > Decimal::ZERO => (Decimal::ONE / r).round_dp(10).normalize(),
        _ => Decimal::ONE,
    };
    let payments = w
        .payment
        .iter()
        .filter(|p| !p.method.is_empty())
        .map(|p| {
            let (amount, state) = if p.amount_paid > Decimal::ZERO {
                (p.amount_paid, PaymentState::Captured)
            } else if p.amount_authorized > Decimal::ZERO {
                (p.amount_authorized, PaymentState::Authorized)
            } else {
                (p.amount_ordered, PaymentState::Pending)
            };
            Payment {
                method: p.method.clone(),
                gateway: p.last_trans_id.as_ref().map(|_| p.method.clone()),
                transaction_id: p.last_trans_id.clone(),
                amount,
                state,
                at: None,
            }
        })
        .collect();
    let shipping_addresses = ext
        .shipping_assignments
        .iter()
        .filter_map(|a| {
            a.shipping.address.as_ref().map(|addr| ShippingAddress {
                id: addr
                    .entity_id
                    .clone()
                    .unwrap_or_else(|| format!("{id}-shipping")),
                address: address(addr),
                shipping_method: w
                    .shipping_description
                    .clone()
                    .or_else(|| a.shipping.method.clone()),
            })
        })
        .collect();
    let guest = match &w.customer_is_guest {
        Some(Value::Number(n)) => n.to_string() == "1",
        Some(Value::Bool(b)) => *b,
        _ => w.customer_id.is_none(),
    };
    let customer = match (&w.customer_id, guest) {
        (Some(c), false) => OrderCustomer::Registered {
            id: CustomerId::new(c.clone()),
        },
        _ => OrderCustomer::Guest,
    };
    let company = ext
        .company_order_attributes
        .as_ref()
        .and_then(|c| c.company_name.clone());
    let b2b = (company.is_some()
        || w.customer_group_id
            .as_deref()
            .is_some_and(|g| g != "0" && g != "1"))
    .then(|| B2bInfo {
        company,
        customer_group_id: w.customer_group_id.clone(),
        customer_group_name: None,
    });
    let mut custom = std::collections::BTreeMap::new();
    custom.insert("state".into(), json!(w.state));
    custom.insert(
        "base_grand_total".into(),
        json!(w.base_grand_total.map(|d| d.to_string())),
    );
    custom.insert(
        "base_to_order_rate".into(),
        json!(w.base_to_order_rate.map(|d| d.to_string())),
    );
    if let Some(s) = &w.store_id {
        custom.insert("store_id".into(), json!(s));
    }
    if let Some(x) = &w.ext_order_id {
        custom.insert("ext_order_id".into(), json!(x));
    }
    let order = Order {
        id: OrderId::new(id.clone()),
        number: if w.increment_id.is_empty() {
            id.clone()
        } else {
            w.increment_id.clone()
        },
        status: StatusId::new(w.status.clone()),
        created_at: w.created_at,
        modified_at: w.updated_at,
        customer,
        email: w.customer_email.clone(),
        billing: w.billing_address.as_ref().map(address).unwrap_or_default(),
        shipping_addresses,
        lines,
        shipping: Charge {
            amount_ex_tax: w.shipping_amount,
            tax_class: None,
        },
        handling: Charge::default(),
        wrapping: Charge::default(),
        discounts,
        gift_certificates,
        store_credit: ext.customer_balance_amount,
        taxes,
        payments,
        currency: order_currency,
        default_currency: base_currency,
        exchange_rate: rate,
        total_ex_tax: total_inc_tax - total_tax,
        total_tax,
        total_inc_tax,
        b2b,
        customer_message: w.customer_note.clone(),
        staff_notes: w.status_histories.iter().find_map(|h| h.comment.clone()),
        custom,
    };
    if let Err(m) = order.check_totals() {
        return Err(Error::protocol(format!(
            "order {id}: amounts do not add up ({} computed {} but Magento says {})",
            m.what, m.computed, m.stated
        ))
        .with_platform(PLATFORM));
    }
    Ok(order)
}
