//! [`bc_core::NewOrder`] (ERP-originated) → the body of `PUT /V1/orders/create`.
//!
//! The ERP's order number goes into `ext_order_id` (a `sales_order` column, filterable), so
//! that [`crate::MagentoStorefront`] finds the order again by it and a retry never creates a
//! second one. Totals are computed here (the repository persists what it is given): no tax
//! (the ERP order carries none), `grand_total = Σ qty × price + shipping`.

use bc_core::{Error, ErrorKind, NewOrder};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::config::StatusEntry;
use crate::wire::num;
use crate::PLATFORM;

fn address(a: &bc_core::Address, kind: &str, email: &str) -> Value {
    let mut street = vec![a.street_1.clone()];
    if let Some(s) = &a.street_2 {
        street.push(s.clone());
    }
    json!({
        "address_type": kind, "firstname": a.first_name, "lastname": a.last_name,
        "company": a.company, "street": street, "city": a.city, "region": a.state,
        "postcode": a.zip, "country_id": a.country_iso2, "telephone": a.phone.clone().unwrap_or_else(|| "-".into()),
        "email": a.email.clone().unwrap_or_else(|| email.to_string()),
    })
}

/// The request body; refuses what Magento would refuse (no lines, no e-mail, a status the
/// store does not have) with an error naming the ERP order and the field.
pub fn create_body(o: &NewOrder, statuses: &[StatusEntry]) -> bc_core::Result<Value> {
    let bad = |what: String| {
        Error::new(
            ErrorKind::Invalid,
            format!("ERP order {}: {what}", o.ledger_number),
        )
        .with_platform(PLATFORM)
    };
    if o.lines.is_empty() {
        return Err(bad("has no lines".into()));
    }
    let email = o
        .billing
        .email
        .clone()
        .or_else(|| o.shipping.email.clone())
        .ok_or_else(|| {
            bad("the billing address has no e-mail (Magento requires customer_email)".into())
        })?;
    let Some(status) = statuses.iter().find(|s| s.status == o.status.as_str()) else {
        return Err(bad(format!(
            "status `{}` is not one of the store's statuses (setting storefront.magento.statuses)",
            o.status
        )));
    };
    let mut subtotal = Decimal::ZERO;
    let mut qty = Decimal::ZERO;
    let items: Vec<Value> = o.lines.iter().map(|l| {
        let row = (l.unit_price_ex_tax * l.quantity).round_dp(2);
        subtotal += row;
        qty += l.quantity;
        json!({
            "sku": l.sku.as_str(), "name": l.name, "qty_ordered": num(l.quantity), "price": num(l.unit_price_ex_tax),
            "base_price": num(l.unit_price_ex_tax), "row_total": num(row), "base_row_total": num(row),
            "price_incl_tax": num(l.unit_price_ex_tax), "row_total_incl_tax": num(row), "product_type": "simple",
            "tax_amount": 0, "discount_amount": 0,
        })
    }).collect();
    let grand = subtotal + o.shipping_ex_tax;
    let mut entity = json!({
        "ext_order_id": o.ledger_number,
        "customer_email": email,
        "customer_firstname": o.billing.first_name, "customer_lastname": o.billing.last_name,
        "customer_is_guest": if o.customer_id.is_some() { 0 } else { 1 },
        "state": status.state, "status": status.status,
        "base_currency_code": o.currency.code(), "order_currency_code": o.currency.code(),
        "global_currency_code": o.currency.code(), "store_currency_code": o.currency.code(), "base_to_order_rate": 1,
        "subtotal": num(subtotal), "base_subtotal": num(subtotal),
        "shipping_amount": num(o.shipping_ex_tax), "base_shipping_amount": num(o.shipping_ex_tax),
        "shipping_description": o.shipping_method.clone().unwrap_or_else(|| "Flat Rate - Fixed".into()),
        "tax_amount": 0, "base_tax_amount": 0, "discount_amount": 0,
        "grand_total": num(grand), "base_grand_total": num(grand), "total_qty_ordered": num(qty),
        "items": items,
        "billing_address": address(&o.billing, "billing", &email),
        "payment": { "method": "checkmo" },
        "extension_attributes": { "shipping_assignments": [{ "shipping": { "address": address(&o.shipping, "shipping", &email), "method": "flatrate_flatrate" }, "items": [] }] },
    });
    if let Some(c) = &o.customer_id {
        entity["customer_id"] = crate::wire::id_value(c.as_str());
    }
    if let Some(n) = &o.staff_notes {
        entity["status_histories"] = json!([{ "comment": n, "is_customer_notified": 0, "is_visible_on_front": 0, "status": status.status }]);
    }
    Ok(json!({ "entity": entity }))
}
