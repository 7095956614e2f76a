//! [`ShipVia`]: how a ledger ships an order (S2), and the rule that picks it from the
//! storefront's shipping method ([`ShipVia::for_order`]).
//!
//! In the settings file, `shipping.ship_via_map` sends a storefront shipping method to a ship
//! via written as its method, `"UPSGROUND"`, or as a table naming the carrier too,
//! `{ method = "UPSGROUND", carrier = "ups" }` (and `product_class`, the class it is created
//! with when `shipping.auto_create_ship_via` is on). The carrier is what a shipment pushed back to
//! the storefront names when the ledger's own shipment names none.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::order::Order;
use crate::settings::ShippingSettings;

/// A ledger ship via: its method (the ledger's code), the carrier it ships with when known,
/// and, when the settings allow bcsync to create a missing ship via
/// (`shipping.auto_create_ship_via`), the product class to create it with.
///
/// Serialized as the method alone when it has neither carrier nor product class (the form
/// journals written before this type hold), else as a table.
///
/// ```
/// # use bc_core::ShipVia;
/// let via: ShipVia = serde_json::from_str(r#""UPSGROUND""#).unwrap();
/// assert_eq!(via.method, "UPSGROUND");
/// assert_eq!(serde_json::to_string(&via).unwrap(), r#""UPSGROUND""#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShipVia {
    /// The ledger's ship via code.
    pub method: String,
    /// The carrier (`"ups"`, `"fedex"`…), when the settings name it.
    pub carrier: Option<String>,
    /// The product class a missing ship via is created with; `None` when bcsync may not
    /// create it (the ledger must have it).
    pub product_class: Option<String>,
}

impl ShipVia {
    /// A ship via by its method alone. Refuses an empty method.
    pub fn new(method: impl Into<String>) -> Result<ShipVia, String> {
        let method = method.into();
        if method.trim().is_empty() {
            return Err("expected a ledger ship via, found an empty text".into());
        }
        Ok(ShipVia {
            method,
            carrier: None,
            product_class: None,
        })
    }

    /// The ship via of `order` (S2): the storefront's shipping method through
    /// `shipping.ship_via_map`, else that method's own name, else `shipping.default_ship_via`;
    /// with the auto-create product class when `shipping.auto_create_ship_via` is on.
    pub fn for_order(order: &Order, shipping: &ShippingSettings) -> Option<ShipVia> {
        ShipVia::for_method(order.shipping_method(), shipping)
    }

    /// [`ShipVia::for_order`] for a shipping method name (`None`: the order names none).
    pub fn for_method(method: Option<&str>, shipping: &ShippingSettings) -> Option<ShipVia> {
        let mut via = match method {
            Some(m) => shipping
                .ship_via_map
                .get(m)
                .cloned()
                .or_else(|| ShipVia::new(m).ok()),
            None => None,
        }
        .or_else(|| {
            shipping
                .default_ship_via
                .as_deref()
                .and_then(|d| ShipVia::new(d).ok())
        })?;
        if via.carrier.is_none() {
            via.carrier = shipping.carrier_of(&via.method).map(str::to_string);
        }
        // A product class says "bcsync may create it": only with `auto_create_ship_via`. A
        // class named in the map's table wins over the default one.
        if !shipping.auto_create_ship_via {
            via.product_class = None;
        } else if via.product_class.is_none() {
            via.product_class = shipping.default_shipment_product_class.clone();
        }
        Some(via)
    }
}

/// The method alone, unchecked: for ship vias a program names itself (fixtures, tests).
/// Settings and outside data go through [`ShipVia::new`] or deserialization.
impl From<&str> for ShipVia {
    fn from(method: &str) -> ShipVia {
        ShipVia {
            method: method.to_string(),
            carrier: None,
            product_class: None,
        }
    }
}

impl fmt::Display for ShipVia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.method)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    product_class: Option<String>,
}

impl Serialize for ShipVia {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.carrier.is_none() && self.product_class.is_none() {
            return s.serialize_str(&self.method);
        }
        Table {
            method: self.method.clone(),
            carrier: self.carrier.clone(),
            product_class: self.product_class.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ShipVia {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ShipVia, D::Error> {
        #[derive(Deserialize)]
        #[serde(
            untagged,
            expecting = "a ledger ship via, or a table { method, carrier, product_class }"
        )]
        enum Form {
            Method(String),
            Table(Table),
        }
        let via = match Form::deserialize(d)? {
            Form::Method(m) => ShipVia::new(m),
            Form::Table(t) => ShipVia::new(t.method).map(|v| ShipVia {
                carrier: t.carrier.filter(|c| !c.trim().is_empty()),
                product_class: t.product_class.filter(|c| !c.trim().is_empty()),
                ..v
            }),
        };
        via.map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipping(toml_text: &str) -> ShippingSettings {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn the_map_then_the_method_then_the_default() {
        let s = shipping(
            "default_ship_via = \"GROUND\"\n[ship_via_map]\n\"Flat Rate\" = \"UPSGROUND\"\n\"Express\" = { method = \"FEDEX2DAY\", carrier = \"fedex\" }\n",
        );
        let via = |m| ShipVia::for_method(m, &s).unwrap();
        assert_eq!(via(Some("Flat Rate")).method, "UPSGROUND");
        assert_eq!(via(Some("Flat Rate")).carrier, None);
        assert_eq!(via(Some("Express")).carrier.as_deref(), Some("fedex"));
        assert_eq!(via(Some("PICKUP")).method, "PICKUP");
        assert_eq!(via(None).method, "GROUND");
        assert_eq!(via(None).product_class, None);
        assert_eq!(s.carrier_of("fedex2day"), Some("fedex"));
        assert!(ShipVia::for_method(None, &shipping("")).is_none());
    }

    #[test]
    fn auto_create_names_the_product_class() {
        let s =
            shipping("auto_create_ship_via = true\ndefault_shipment_product_class = \"FREIGHT\"\n");
        let via = ShipVia::for_method(Some("Drone"), &s).unwrap();
        assert_eq!(via.product_class.as_deref(), Some("FREIGHT"));
        let text = serde_json::to_string(&via).unwrap();
        assert_eq!(serde_json::from_str::<ShipVia>(&text).unwrap(), via);
    }

    #[test]
    fn empty_methods_and_unknown_keys_are_refused() {
        for bad in [
            "[ship_via_map]\na = \"\"",
            "[ship_via_map]\na = { carrier = \"ups\" }",
            "[ship_via_map]\na = { method = \"X\", speed = 1 }",
        ] {
            assert!(
                toml::from_str::<ShippingSettings>(bad).is_err(),
                "{bad} was accepted"
            );
        }
    }
}
