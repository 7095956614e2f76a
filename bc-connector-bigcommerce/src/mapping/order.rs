//! An order and its sub-resources → [`bc_core::Order`].
//!
//! The order mapping makes the identity of [`bc_core::order`] hold for consistent orders:
//! lines carry `total_ex_tax` and their `applied_discounts`; whatever part of
//! `discount_amount + coupon_discount` the lines do not carry becomes an order-level discount;
//! shipping, handling and wrapping are the `*_ex_tax` amounts; taxes are the
//! `/taxes?details=true` rows, each on its line (`order_product_id`), shipping, handling or
//! wrapping (`line_item_type`). Gift certificates and store credit are tenders, never
//! subtracted. Totals are BigCommerce's own; [`bc_core::Order::check_totals`] says whether
//! the parts add up.

use std::collections::BTreeMap;

use bc_core::{
    Address, B2bInfo, Charge, Currency, CustomerId, DiscountKind, Error, GiftCertificateRedemption,
    LineDiscount, Order, OrderCustomer, OrderDiscount, OrderId, OrderLine, Payment,
    ShippingAddress, Sku, StatusId, TaxLine, TaxTarget,
};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::mapping::payment::{payment_state_of, payments_from_transactions};
use crate::wire::{entity_id, Consignments, Obj, OrderParts};

/// What the order itself says about which sub-resources are worth fetching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderNeeds {
    /// The order id.
    pub id: String,
    /// `coupon_discount` ≠ 0.
    pub coupons: bool,
    /// `total_tax` ≠ 0.
    pub taxes: bool,
    /// A gateway took money, or gift certificates were redeemed (their codes are in the
    /// transactions).
    pub transactions: bool,
    /// `items_total`: the quantity the products must add up to.
    pub items_total: Decimal,
}

/// Reads what to fetch from the order body.
pub fn order_needs(order: &Value) -> Result<OrderNeeds, Error> {
    let (id, what) = entity_id(order, "order")?;
    let o = Obj::of(order, &what, "")?;
    let total = o.money("total_inc_tax")?;
    let gift = o.money_or_zero("gift_certificate_amount")?;
    let credit = o.money_or_zero("store_credit_amount")?;
    Ok(OrderNeeds {
        coupons: !o.money_or_zero("coupon_discount")?.is_zero(),
        taxes: !o.money_or_zero("total_tax")?.is_zero(),
        transactions: !gift.is_zero() || total - gift - credit > Decimal::ZERO,
        items_total: o.money_or_zero("items_total")?,
        id,
    })
}

/// Splits an order with `include=consignments.line_items` into shipping addresses and
/// products. Returns `None` when the order carries no consignments.
pub fn consignment_parts(order: &Value) -> Result<Option<Consignments>, Error> {
    let (_, what) = entity_id(order, "order")?;
    let o = Obj::of(order, &what, "")?;
    let Some(cons) = o.get("consignments") else {
        return Ok(None);
    };
    // Two documented shapes: an array of `{shipping: [...]}` or, with
    // `consignment_structure=object`, one object `{shipping: [...], ...}`.
    let groups: Vec<&Value> = match cons {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![cons],
        Value::Null => return Ok(None),
        _ => return Err(o.err("consignments", "expected an array or an object")),
    };
    let mut addresses = Vec::new();
    let mut products = Vec::new();
    for (gi, g) in groups.into_iter().enumerate() {
        let path = format!("consignments[{gi}]");
        let go = Obj::of(g, &what, &path)?;
        for (si, s) in go.array("shipping")?.iter().enumerate() {
            let spath = format!("{path}.shipping[{si}]");
            let so = Obj::of(s, &what, &spath)?;
            for line in so.array("line_items")? {
                // A link object (`{url, resource}`) instead of a line means lines were not
                // included: the caller falls back to `/products`.
                if line.get("id").is_none() {
                    return Ok(None);
                }
                products.push(line.clone());
            }
            addresses.push(s.clone());
        }
    }
    Ok(Some((addresses, products)))
}

fn address(o: &Obj<'_>) -> Result<Address, Error> {
    Ok(Address {
        first_name: o.text("first_name")?,
        last_name: o.text("last_name")?,
        company: o.opt_text("company")?,
        street_1: o.text("street_1")?,
        street_2: o.opt_text("street_2")?,
        city: o.text("city")?,
        state: o.text("state")?,
        zip: o.text("zip")?,
        country: o.text("country")?,
        country_iso2: o.text("country_iso2")?,
        phone: o.opt_text("phone")?,
        email: o.opt_text("email")?,
    })
}

fn currency(o: &Obj<'_>, keys: &[&str]) -> Result<Option<Currency>, Error> {
    for k in keys {
        if let Some(code) = o.opt_text(k)? {
            return Currency::new(&code)
                .map(Some)
                .map_err(|e| o.err(k, e.message()));
        }
    }
    Ok(None)
}

fn discount_kind(code: &Option<String>, id: &str) -> DiscountKind {
    if code.is_some() {
        DiscountKind::Coupon
    } else if id.to_ascii_lowercase().contains("manual") {
        DiscountKind::Manual
    } else {
        DiscountKind::Promotion
    }
}

fn line(v: &Value, what: &str, i: usize) -> Result<OrderLine, Error> {
    let path = format!("products[{i}]");
    let p = Obj::of(v, what, &path)?;
    let mut discounts = Vec::new();
    for (di, d) in p.array("applied_discounts")?.iter().enumerate() {
        let dpath = format!("{path}.applied_discounts[{di}]");
        let d = Obj::of(d, what, &dpath)?;
        let code = d.opt_text("code")?;
        let id = d.text("id")?;
        let amount = d.money("amount")?;
        if amount.is_zero() {
            continue;
        }
        discounts.push(LineDiscount {
            kind: discount_kind(&code, &id),
            code,
            name: d.text("name")?,
            amount,
        });
    }
    let quantity = p.money("quantity")?;
    Ok(OrderLine {
        line_id: p.id("id")?,
        sku: p.opt_text("sku")?.map(Sku::new),
        name: p.opt_text("name")?.unwrap_or_else(|| "(no name)".into()),
        product_id: p.opt_id("product_id")?,
        variant_id: p.opt_id("variant_id")?,
        quantity,
        unit_price_ex_tax: p.money("price_ex_tax")?,
        unit_price_inc_tax: p.money_or_zero("price_inc_tax")?,
        total_ex_tax: p.money("total_ex_tax")?,
        discounts,
        tax_class: None,
        physical: p.opt_text("type")?.is_none_or(|t| t == "physical"),
        shipping_address_id: p.opt_id("order_address_id")?,
        quantity_shipped: p.money_or_zero("quantity_shipped")?,
        quantity_refunded: p.money_or_zero("quantity_refunded")?,
    })
}

fn tax(v: &Value, what: &str, i: usize, lines: &[OrderLine]) -> Result<TaxLine, Error> {
    let path = format!("taxes[{i}]");
    let t = Obj::of(v, what, &path)?;
    let kind = t.opt_text("line_item_type")?.unwrap_or_default();
    let product = t.opt_id("order_product_id")?;
    let target = match (kind.as_str(), product) {
        ("shipping", _) => TaxTarget::Shipping,
        ("handling", _) => TaxTarget::Handling,
        ("gift-wrapping" | "gift_wrapping" | "wrapping", _) => TaxTarget::Wrapping,
        (_, Some(p)) => {
            if !lines.iter().any(|l| l.line_id == p) {
                return Err(t.err(
                    "order_product_id",
                    format!("`{p}` is not a product of the order"),
                ));
            }
            TaxTarget::Line(p)
        }
        _ => TaxTarget::Order,
    };
    let amount = match t.opt_money("line_amount")? {
        Some(a) => a,
        None => t.money("priority_amount")?,
    };
    Ok(TaxLine {
        target,
        zone: t.opt_text("name")?.unwrap_or_else(|| "Tax".into()),
        class: t.opt_text("class")?,
        rate: t.money_or_zero("rate")?,
        amount,
    })
}

/// Maps one order and its sub-resources.
pub fn parse_order(parts: &OrderParts) -> Result<Order, Error> {
    let (id, what) = entity_id(&parts.order, "order")?;
    let o = Obj::of(&parts.order, &what, "")?;

    let lines = parts
        .products
        .iter()
        .enumerate()
        .map(|(i, p)| line(p, &what, i))
        .collect::<Result<Vec<_>, _>>()?;

    let billing_v = o
        .get("billing_address")
        .ok_or_else(|| o.err("billing_address", "missing"))?;
    let billing = address(&Obj::of(billing_v, &what, "billing_address")?)?;

    let mut shipping_addresses = Vec::new();
    for (i, s) in parts.shipping_addresses.iter().enumerate() {
        let path = format!("shipping_addresses[{i}]");
        let so = Obj::of(s, &what, &path)?;
        shipping_addresses.push(ShippingAddress {
            id: so.id("id")?,
            address: address(&so)?,
            shipping_method: so.opt_text("shipping_method")?,
        });
    }

    // Discounts: the lines carry their share; the rest is order level.
    let coupon_discount = o.money_or_zero("coupon_discount")?;
    let discount_amount = o.money_or_zero("discount_amount")?;
    let (line_coupon, line_other): (Decimal, Decimal) = lines
        .iter()
        .flat_map(|l| &l.discounts)
        .fold((Decimal::ZERO, Decimal::ZERO), |(c, m), d| match d.kind {
            DiscountKind::Coupon => (c + d.amount, m),
            _ => (c, m + d.amount),
        });
    let mut coupon_codes = Vec::new();
    for (i, c) in parts.coupons.iter().enumerate() {
        let path = format!("coupons[{i}]");
        let co = Obj::of(c, &what, &path)?;
        // Validate the amount even though the lines carry the split.
        co.money_or_zero("discount")?;
        if let Some(code) = co.opt_text("code")? {
            coupon_codes.push(code);
        }
    }
    let mut discounts = Vec::new();
    let coupon_rest = coupon_discount - line_coupon;
    if coupon_rest > Decimal::ZERO {
        discounts.push(OrderDiscount {
            kind: DiscountKind::Coupon,
            code: coupon_codes.first().cloned(),
            name: coupon_codes.join(", "),
            amount: coupon_rest,
        });
    }
    let other_rest = discount_amount - line_other;
    if other_rest > Decimal::ZERO {
        discounts.push(OrderDiscount {
            kind: DiscountKind::Manual,
            code: None,
            name: "Discount".into(),
            amount: other_rest,
        });
    }

    let total_tax = o.money("total_tax")?;
    let mut taxes = parts
        .taxes
        .iter()
        .enumerate()
        .map(|(i, t)| tax(t, &what, i, &lines))
        .collect::<Result<Vec<_>, _>>()?;
    taxes.retain(|t| !t.amount.is_zero());
    if taxes.is_empty() && !total_tax.is_zero() {
        // A tax provider that does not itemise: one order-level amount.
        taxes.push(TaxLine {
            target: TaxTarget::Order,
            zone: o
                .opt_text("tax_provider_id")?
                .unwrap_or_else(|| "Tax".into()),
            class: None,
            rate: Decimal::ZERO,
            amount: total_tax,
        });
    }

    let total_inc_tax = o.money("total_inc_tax")?;
    let gift_total = o.money_or_zero("gift_certificate_amount")?;
    let store_credit = o.money_or_zero("store_credit_amount")?;
    let (mut payments, mut gifts) = match &parts.transactions {
        Some(txs) => payments_from_transactions(txs, &what)?,
        None => (Vec::new(), Vec::new()),
    };
    let gift_listed: Decimal = gifts.iter().map(|g| g.amount).sum();
    if gift_listed != gift_total {
        // The order's own figure rules; the transactions only name the certificates.
        gifts.clear();
        if !gift_total.is_zero() {
            gifts.push(GiftCertificateRedemption {
                code: String::new(),
                amount: gift_total,
            });
        }
    }
    let due = total_inc_tax - gift_total - store_credit;
    if parts.transactions.is_none() || (payments.is_empty() && due > Decimal::ZERO) {
        let method = o
            .opt_text("payment_method")?
            .unwrap_or_else(|| "none".into());
        if due > Decimal::ZERO {
            payments.push(Payment {
                method,
                gateway: None,
                transaction_id: o.opt_text("payment_provider_id")?,
                amount: due,
                state: payment_state_of(&o.text("payment_status")?),
                at: None,
            });
        }
    }

    let order_currency = currency(&o, &["default_currency_code", "currency_code"])?
        .ok_or_else(|| o.err("default_currency_code", "missing"))?;
    let store_currency = currency(&o, &["store_default_currency_code"])?.unwrap_or(order_currency);
    // BigCommerce gives default → transactional; bc-core wants default per order unit.
    let rate = o
        .opt_money("store_default_to_transactional_exchange_rate")?
        .filter(|r| !r.is_zero())
        .unwrap_or(Decimal::ONE);
    let exchange_rate = if rate == Decimal::ONE || store_currency == order_currency {
        Decimal::ONE
    } else {
        (Decimal::ONE / rate).round_dp(10)
    };

    let customer = match o.opt_id("customer_id")? {
        Some(c) => OrderCustomer::Registered {
            id: CustomerId::new(c),
        },
        None => OrderCustomer::Guest,
    };
    let b2b = billing.company.clone().map(|company| B2bInfo {
        company: Some(company),
        customer_group_id: None,
        customer_group_name: None,
    });

    let mut custom = BTreeMap::new();
    for key in [
        "channel_id",
        "order_source",
        "external_source",
        "external_id",
        "payment_method",
        "custom_status",
        "cart_id",
    ] {
        if let Some(v) = o.get(key) {
            if !v.is_null() && v != &Value::String(String::new()) {
                custom.insert(key.to_string(), v.clone());
            }
        }
    }

    // Tax classes: the tax rows name the class of what they taxed; the charges' own
    // `*_tax_class_id` is the fallback.
    let mut lines = lines;
    let class_of = |target: &TaxTarget| {
        taxes
            .iter()
            .find(|t| &t.target == target)
            .and_then(|t| t.class.clone())
    };
    for l in &mut lines {
        l.tax_class = class_of(&TaxTarget::Line(l.line_id.clone()));
    }
    let charge = |amount: Decimal, target: TaxTarget, id_key: &str| -> Result<Charge, Error> {
        Ok(Charge {
            amount_ex_tax: amount,
            tax_class: match class_of(&target) {
                Some(c) => Some(c),
                None => o.opt_id(id_key)?,
            },
        })
    };
    let shipping = charge(
        o.money_or_zero("shipping_cost_ex_tax")?,
        TaxTarget::Shipping,
        "shipping_cost_tax_class_id",
    )?;
    let handling = charge(
        o.money_or_zero("handling_cost_ex_tax")?,
        TaxTarget::Handling,
        "handling_cost_tax_class_id",
    )?;
    let wrapping = charge(
        o.money_or_zero("wrapping_cost_ex_tax")?,
        TaxTarget::Wrapping,
        "wrapping_cost_tax_class_id",
    )?;

    let total_ex_tax = o.money("total_ex_tax")?;
    let status_id = o.status_id("status_id")?;
    Ok(Order {
        id: OrderId::new(id.clone()),
        number: id,
        status: StatusId::new(status_id),
        created_at: o.date("date_created")?,
        modified_at: o.date("date_modified")?,
        customer,
        email: billing.email.clone(),
        billing,
        shipping_addresses,
        lines,
        shipping,
        handling,
        wrapping,
        discounts,
        gift_certificates: gifts,
        store_credit,
        taxes,
        payments,
        currency: order_currency,
        default_currency: store_currency,
        exchange_rate,
        total_ex_tax,
        total_tax,
        total_inc_tax,
        b2b,
        customer_message: o.opt_text("customer_message")?,
        staff_notes: o.opt_text("staff_notes")?,
        custom,
    })
}

/// Parses an order that embeds its lines (`include=consignments.line_items`) with no other
/// sub-resource: what the property test feeds arbitrary JSON to.
pub fn parse_order_json(order: &Value) -> Result<Order, Error> {
    let (addresses, products) = consignment_parts(order)?.unwrap_or_default();
    parse_order(&OrderParts {
        order: order.clone(),
        products,
        shipping_addresses: addresses,
        ..OrderParts::default()
    })
}

/// Σ `quantity` of product lines (unreadable quantities count 0: the parser reports them).
pub(crate) fn quantity_of(products: &[Value]) -> Decimal {
    products
        .iter()
        .filter_map(|p| p.get("quantity"))
        .filter_map(|q| bc_core::wire::decimal_or_zero(q.clone()).ok())
        .sum()
}
