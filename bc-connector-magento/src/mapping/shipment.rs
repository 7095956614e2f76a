//! [`bc_core::Shipment`] → the body of `POST /V1/order/{id}/ship`.

use bc_core::{Error, Order, Shipment};
use serde_json::{json, Value};

use crate::PLATFORM;

/// Magento's carrier codes and titles for the common carriers; anything else is `custom`
/// with the carrier's name as its title.
pub fn carrier(name: Option<&str>) -> (String, String) {
    let n = name.unwrap_or("").trim();
    match n.to_ascii_lowercase().as_str() {
        "ups" | "united parcel service" => ("ups".into(), "United Parcel Service".into()),
        "fedex" | "federal express" => ("fedex".into(), "Federal Express".into()),
        "usps" | "united states postal service" => {
            ("usps".into(), "United States Postal Service".into())
        }
        "dhl" => ("dhl".into(), "DHL".into()),
        "" => ("custom".into(), "Carrier".into()),
        _ => ("custom".into(), n.to_string()),
    }
}

/// The ship request: items by order item id (resolved from SKUs when the ledger only knows
/// SKUs), tracks with carrier code and title, the comment.
pub fn ship_body(order: &Order, s: &Shipment) -> bc_core::Result<Value> {
    let mut items = Vec::new();
    for l in &s.lines {
        let line = match (&l.line_id, &l.sku) {
            (Some(id), _) => order.lines.iter().find(|x| &x.line_id == id),
            (None, Some(sku)) => order.lines.iter().find(|x| x.sku.as_ref() == Some(sku)),
            _ => None,
        };
        let Some(line) = line else {
            return Err(Error::new(
                bc_core::ErrorKind::Invalid,
                format!(
                    "order {}: shipment line {:?}/{:?} matches no order item",
                    order.id, l.line_id, l.sku
                ),
            )
            .with_platform(PLATFORM));
        };
        items.push(json!({ "order_item_id": crate::wire::id_value(&line.line_id), "qty": crate::wire::num(l.quantity) }));
    }
    let mut body = json!({ "items": items, "notify": true });
    if let Some(t) = s.tracking_number.as_ref().filter(|t| !t.trim().is_empty()) {
        let (code, title) = carrier(s.carrier.as_deref().or(s.ship_via.as_deref()));
        body["tracks"] = json!([{ "track_number": t, "title": title, "carrier_code": code }]);
    }
    if let Some(c) = &s.comments {
        body["appendComment"] = json!(true);
        body["comment"] = json!({ "comment": c, "is_visible_on_front": 1 });
    }
    Ok(body)
}
