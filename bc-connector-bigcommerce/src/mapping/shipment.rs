//! [`bc_core::Shipment`] ⇄ `POST /v2/orders/{id}/shipments`.
//!
//! BigCommerce takes one address per shipment (`order_address_id`), so a shipment's lines are
//! grouped by the address of their product ([`group_by_address`]); each group becomes one
//! request body ([`shipment_body`]). A shipment already on the order is recognised by its
//! tracking number and address ([`same_tracking`]), or, without a tracking number, by shipping
//! exactly the same quantities of the same lines ([`same_lines`]).

use bc_core::{Error, Shipment, ShipmentId, ShipmentRef};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::error::invalid;
use crate::wire::Obj;

/// BigCommerce's `shipping_provider` enum; other carriers go in `tracking_carrier` only.
pub const SHIPPING_PROVIDERS: &[&str] = &[
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

/// The response of `POST /v2/orders/{id}/shipments`.
pub fn parse_shipment_ref(v: &Value, order_id: &str) -> Result<ShipmentRef, Error> {
    let what = format!("order {order_id} shipment");
    let o = Obj::of(v, &what, "")?;
    Ok(ShipmentRef {
        id: ShipmentId::new(o.id("id")?),
    })
}

/// An id as a JSON number when it is one (BigCommerce's integer ids), else as text.
pub(crate) fn json_id(id: &str) -> Value {
    id.parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(id.to_string()))
}

/// A JSON scalar as text (`12` and `"12"` are both `12`).
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One order product as shipments see it: id, SKU, address, and the quantity left to ship.
struct Room {
    id: String,
    sku: Option<String>,
    address: Option<String>,
    left: Decimal,
}

/// The shipment's items grouped by `order_address_id`, in the order addresses first appear,
/// given the order's `/products` rows and the shipments already posted as earlier parts of
/// this same shipment (`already`: same tracking number; their quantities count as still free,
/// so a retry after a partial post matches the lines the same way).
///
/// A line that names its order product (`line_id` = `order_product_id`) ships from it. A line
/// known by SKU only ships from the products with that SKU that still have quantity left to
/// ship (`quantity − quantity_shipped`), first first, split across them when one has too
/// little: an order with the same SKU on two lines ships both. Digital lines (no address) have
/// nothing to ship and are left out. `what` names the order in errors.
pub fn group_by_address(
    what: &str,
    products: &[Value],
    shipment: &Shipment,
    already: &[Value],
) -> Result<Vec<(String, Vec<Value>)>, Error> {
    let mut rooms = Vec::with_capacity(products.len());
    for (i, p) in products.iter().enumerate() {
        let path = format!("products[{i}]");
        let o = Obj::of(p, what, &path)?;
        let quantity = o.money_or_zero("quantity")?;
        let shipped = o.money_or_zero("quantity_shipped")?;
        rooms.push(Room {
            id: o.id("id")?,
            sku: o.opt_text("sku")?,
            address: o.opt_id("order_address_id")?,
            left: (quantity - shipped).max(Decimal::ZERO),
        });
    }
    for s in already {
        for item in s
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(pid), Some(q)) = (
                item.get("order_product_id").map(scalar_text),
                item.get("quantity")
                    .and_then(|q| scalar_text(q).parse::<Decimal>().ok()),
            ) else {
                continue;
            };
            if let Some(r) = rooms.iter_mut().find(|r| r.id == pid) {
                r.left += q;
            }
        }
    }
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    let mut add = |addr: &str, pid: &str, qty: Decimal| {
        let qty = qty.to_string().parse::<u64>().unwrap_or(0);
        let items = match groups.iter_mut().find(|(a, _)| a == addr) {
            Some((_, items)) => items,
            None => {
                groups.push((addr.to_string(), Vec::new()));
                &mut groups.last_mut().expect("just pushed").1
            }
        };
        let id = json_id(pid);
        match items.iter_mut().find(|i| i["order_product_id"] == id) {
            Some(i) => {
                let had = i["quantity"].as_u64().unwrap_or(0);
                i["quantity"] = json!(had + qty);
            }
            None => items.push(json!({"order_product_id": id, "quantity": qty})),
        }
    };
    for (i, l) in shipment.lines.iter().enumerate() {
        let qty = l.quantity.normalize();
        if qty.fract() != Decimal::ZERO || qty <= Decimal::ZERO {
            return Err(invalid(format!(
                "{what}: shipment line {i}: quantity {qty} must be a positive whole number"
            )));
        }
        match (&l.line_id, &l.sku) {
            (Some(lid), _) => {
                let Some(r) = rooms.iter_mut().find(|r| &r.id == lid) else {
                    return Err(invalid(format!(
                        "{what}: shipment line {i} (order product {lid}) matches no product of the order"
                    )));
                };
                r.left = (r.left - qty).max(Decimal::ZERO);
                if let Some(addr) = &r.address {
                    add(addr, &r.id, qty);
                }
            }
            (None, Some(sku)) => {
                let mut same: Vec<&mut Room> = rooms
                    .iter_mut()
                    .filter(|r| r.sku.as_deref() == Some(sku.as_str()))
                    .collect();
                if same.is_empty() {
                    return Err(invalid(format!(
                        "{what}: shipment line {i} (SKU {sku}) matches no product of the order"
                    )));
                }
                let left: Decimal = same.iter().map(|r| r.left).sum();
                if qty > left {
                    return Err(invalid(format!(
                        "{what}: shipment line {i}: quantity {qty} of SKU {sku} is more than the quantity left to ship ({left}) on the order's {} line(s) with that SKU",
                        same.len()
                    )));
                }
                let mut wanted = qty;
                for r in same.iter_mut() {
                    if wanted.is_zero() {
                        break;
                    }
                    let take = wanted.min(r.left);
                    if take.is_zero() {
                        continue;
                    }
                    r.left -= take;
                    wanted -= take;
                    if let Some(addr) = &r.address {
                        add(addr, &r.id, take);
                    }
                }
            }
            (None, None) => {
                return Err(invalid(format!(
                    "{what}: shipment line {i} names neither an order product nor a SKU"
                )));
            }
        }
    }
    if groups.is_empty() {
        return Err(invalid(format!(
            "{what}: the shipment has no physical line with a shipping address"
        )));
    }
    Ok(groups)
}

/// The body of `POST /v2/orders/{id}/shipments` for one address's items.
pub fn shipment_body(address: &str, items: Vec<Value>, shipment: &Shipment) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("order_address_id".into(), json_id(address));
    body.insert("items".into(), Value::Array(items));
    if let Some(t) = &shipment.tracking_number {
        body.insert("tracking_number".into(), json!(t));
    }
    if let Some(c) = &shipment.carrier {
        let slug = c.trim().to_ascii_lowercase().replace(' ', "-");
        if SHIPPING_PROVIDERS.contains(&slug.as_str()) {
            body.insert("shipping_provider".into(), json!(slug));
        }
        body.insert("tracking_carrier".into(), json!(slug));
    }
    if let Some(v) = &shipment.ship_via {
        body.insert("shipping_method".into(), json!(v));
    }
    if let Some(c) = &shipment.comments {
        body.insert("comments".into(), json!(c));
    }
    Value::Object(body)
}

/// Whether an existing shipment has this tracking number and, when `address` is given, goes
/// to that `order_address_id`.
pub fn same_tracking(existing: &Value, tracking: &str, address: Option<&str>) -> bool {
    existing.get("tracking_number").and_then(Value::as_str) == Some(tracking)
        && address
            .is_none_or(|a| existing.get("order_address_id").map(scalar_text).as_deref() == Some(a))
}

/// Whether an existing shipment ships exactly the same quantities of the same lines as
/// `shipment` (which must name its lines).
pub fn same_lines(existing: &Value, shipment: &Shipment) -> bool {
    let Some(items) = existing.get("items").and_then(Value::as_array) else {
        return false;
    };
    let mut got: Vec<(String, Decimal)> = items
        .iter()
        .filter_map(|i| {
            let line = i.get("order_product_id").map(scalar_text)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use bc_core::ShipmentLine;

    fn shipment(lines: &[(&str, i64)], tracking: Option<&str>) -> Shipment {
        Shipment {
            lines: lines
                .iter()
                .map(|(id, q)| ShipmentLine {
                    line_id: Some(id.to_string()),
                    sku: None,
                    quantity: Decimal::from(*q),
                })
                .collect(),
            tracking_number: tracking.map(str::to_string),
            carrier: Some("UPS".into()),
            ship_via: None,
            comments: None,
            shipped_at: None,
        }
    }

    #[test]
    fn lines_are_grouped_by_address_and_digital_lines_left_out() {
        let products = vec![
            json!({"id": 1, "sku": "A", "order_address_id": 10}),
            json!({"id": 2, "sku": "B", "order_address_id": 11}),
            json!({"id": 3, "sku": "D", "order_address_id": 0}),
        ];
        let s = shipment(&[("1", 2), ("2", 1), ("3", 1)], Some("T1"));
        let groups = group_by_address("order 5", &products, &s, &[]).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, "10");
        let body = shipment_body(&groups[0].0, groups[0].1.clone(), &s);
        assert_eq!(body["order_address_id"], json!(10));
        assert_eq!(
            body["items"][0],
            json!({"order_product_id": 1, "quantity": 2})
        );
        assert_eq!(body["shipping_provider"], json!("ups"));
        assert!(same_tracking(
            &json!({"tracking_number": "T1", "order_address_id": "10"}),
            "T1",
            Some("10")
        ));
        assert!(!same_tracking(
            &json!({"tracking_number": "T1", "order_address_id": 11}),
            "T1",
            Some("10")
        ));
    }

    #[test]
    fn bad_lines_are_refused_naming_the_order() {
        let products = vec![json!({"id": 1, "order_address_id": 10})];
        let e =
            group_by_address("order 5", &products, &shipment(&[("9", 1)], None), &[]).unwrap_err();
        assert!(e.to_string().contains("order 5"), "{e}");
        let mut half = shipment(&[("1", 1)], None);
        half.lines[0].quantity = Decimal::new(15, 1);
        assert!(group_by_address("order 5", &products, &half, &[]).is_err());
    }

    fn by_sku(lines: &[(&str, i64)], tracking: Option<&str>) -> Shipment {
        let mut s = shipment(&[], tracking);
        s.lines = lines
            .iter()
            .map(|(sku, q)| ShipmentLine {
                line_id: None,
                sku: Some(bc_core::Sku::new(*sku)),
                quantity: Decimal::from(*q),
            })
            .collect();
        s
    }

    #[test]
    fn the_same_sku_on_two_lines_ships_from_the_line_with_room_left() {
        let products = vec![
            json!({"id": 1, "sku": "A", "order_address_id": 10, "quantity": 2, "quantity_shipped": 0}),
            json!({"id": 2, "sku": "A", "order_address_id": 10, "quantity": 3, "quantity_shipped": 0}),
        ];
        // In full, as one line of 5: split 2 + 3.
        let g = group_by_address("order 5", &products, &by_sku(&[("A", 5)], None), &[]).unwrap();
        assert_eq!(
            g[0].1,
            vec![
                json!({"order_product_id": 1, "quantity": 2}),
                json!({"order_product_id": 2, "quantity": 3})
            ]
        );
        // In full, as two lines of the same SKU (2 and 3): each from the line with room.
        let g = group_by_address(
            "order 5",
            &products,
            &by_sku(&[("A", 2), ("A", 3)], None),
            &[],
        )
        .unwrap();
        assert_eq!(
            g[0].1,
            vec![
                json!({"order_product_id": 1, "quantity": 2}),
                json!({"order_product_id": 2, "quantity": 3})
            ]
        );
        // The first product already shipped: the second part goes to the second product.
        let mut shipped = products.clone();
        shipped[0]["quantity_shipped"] = json!(2);
        shipped[1]["quantity_shipped"] = json!(1);
        let g = group_by_address("order 5", &shipped, &by_sku(&[("A", 2)], None), &[]).unwrap();
        assert_eq!(g[0].1, vec![json!({"order_product_id": 2, "quantity": 2})]);
        // More than is left: refused, naming the SKU and what is left.
        let e = group_by_address("order 5", &shipped, &by_sku(&[("A", 3)], None), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("SKU A") && e.contains("(2)"), "{e}");
        // A retry after the first part of this very shipment was posted counts it as free.
        let part = json!({"tracking_number": "T", "items": [{"order_product_id": 1, "quantity": 2}, {"order_product_id": 2, "quantity": 1}]});
        let g = group_by_address(
            "order 5",
            &shipped,
            &by_sku(&[("A", 3)], Some("T")),
            &[part],
        )
        .unwrap();
        assert_eq!(
            g[0].1,
            vec![
                json!({"order_product_id": 1, "quantity": 2}),
                json!({"order_product_id": 2, "quantity": 1})
            ]
        );
    }

    #[test]
    fn the_same_lines_are_recognised() {
        let s = shipment(&[("1", 2)], None);
        assert!(same_lines(
            &json!({"items": [{"order_product_id": 1, "quantity": 2}]}),
            &s
        ));
        assert!(!same_lines(
            &json!({"items": [{"order_product_id": 1, "quantity": 1}]}),
            &s
        ));
    }
}
