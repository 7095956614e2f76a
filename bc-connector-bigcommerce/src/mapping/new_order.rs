//! [`bc_core::NewOrder`] (an order entered in the ledger) → the `POST /v2/orders` body.
//!
//! Lines are sent as custom products (name, SKU, price ex tax, which is also sent as the
//! price inc tax: the ledger's order carries no tax split); `external_order_id` is the ledger
//! number, the key a repeat is found by (`GET /v2/orders?external_order_id=`).

use bc_core::{Address, Error, NewOrder};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::error::invalid;
use crate::mapping::status::status_number;

/// A positive whole quantity as BigCommerce takes it.
pub fn whole_quantity(q: Decimal) -> Option<u64> {
    use rust_decimal::prelude::ToPrimitive;
    let q = q.normalize();
    (q > Decimal::ZERO && q.fract().is_zero())
        .then(|| q.to_u64())
        .flatten()
}

fn address(a: &Address) -> Value {
    json!({
        "first_name": a.first_name, "last_name": a.last_name,
        "company": a.company.clone().unwrap_or_default(),
        "street_1": a.street_1, "street_2": a.street_2.clone().unwrap_or_default(),
        "city": a.city, "state": a.state, "zip": a.zip, "country": a.country,
        "country_iso2": a.country_iso2,
        "phone": a.phone.clone().unwrap_or_default(),
        "email": a.email.clone().unwrap_or_default(),
    })
}

/// The body of `POST /v2/orders`. A quantity that is not a positive whole number, or a
/// status that is not a BigCommerce status number, is refused naming the order and line.
pub fn new_order_body(order: &NewOrder) -> Result<Value, Error> {
    let mut shipping = address(&order.shipping);
    if let (Value::Object(m), Some(method)) = (&mut shipping, &order.shipping_method) {
        m.insert("shipping_method".into(), json!(method));
    }
    let mut products = Vec::with_capacity(order.lines.len());
    for (i, l) in order.lines.iter().enumerate() {
        let qty = whole_quantity(l.quantity).ok_or_else(|| {
            invalid(format!(
                "new order {}: line {i}: quantity {} must be a positive whole number",
                order.ledger_number, l.quantity
            ))
        })?;
        products.push(json!({
            "name": l.name, "sku": l.sku.as_str(), "quantity": qty,
            "price_ex_tax": l.unit_price_ex_tax.to_string(),
            "price_inc_tax": l.unit_price_ex_tax.to_string(),
        }));
    }
    let customer_id = order
        .customer_id
        .as_ref()
        .and_then(|c| c.as_str().parse::<u64>().ok())
        .unwrap_or(0);
    let mut body = json!({
        "status_id": status_number(&order.status)?,
        "customer_id": customer_id,
        "billing_address": address(&order.billing),
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
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_whole_quantities() {
        assert_eq!(whole_quantity(Decimal::new(30, 1)), Some(3));
        assert_eq!(whole_quantity(Decimal::new(15, 1)), None);
        assert_eq!(whole_quantity(Decimal::ZERO), None);
        assert_eq!(whole_quantity(Decimal::from(-2)), None);
    }
}
