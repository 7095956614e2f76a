//! BigCommerce's JSON, typed: the envelopes and bundles the connector passes around
//! ([`OrderParts`], [`v3_page`]) and the field-by-field reader every mapping goes through,
//! so that every error names the entity and the field (`order 1042: field
//! products[2].total_ex_tax: …`).
//!
//! BigCommerce's payloads are read field by field rather than through `serde` structs: the
//! platform sends documented oddities (`null`, `""`, `{}` where a number is documented, ids
//! as strings) that a derived `Deserialize` would either refuse wholesale or accept too
//! kindly, and an error must say which field of which order was wrong.
//!
//! Money goes through `bc_core::wire` (4-decimal strings or exact JSON numbers, never a
//! float); the platform's documented oddities (`null`, `""`, `{}` where a number is
//! documented, ids as strings) are accepted, anything else is a protocol error.
//!
//! Ids are stricter than bc-core's generic `wire::id_string`: BigCommerce documents every
//! resource id it sends as `type: integer` (bigcommerce/docs `reference/orders.v2.oas2.yml`
//! `order_RespOnly.id`, `orderCoupons_Base`, `orderProducts`; `reference/orders.v3.yml`
//! `Refund.id`/`order_id`, `RefundItem.item_id`; `reference/webhooks.v3.yml`
//! `store_order_*.data.id`, `refund.refund_id`), so an id is a JSON integer ≥ 1 (0 only where
//! the docs give it a meaning: status 0 "Incomplete", customer 0 "guest"), or the same digits
//! as a string (v3 customers have been seen sending them). Text that is not such a number
//! (`"\\"`, `"-3"`, `"1.5"`, `"007"`), negative numbers and floats are refused, naming the
//! entity and the field, instead of becoming an id that no request can use.
//!
//! Amounts and quantities are bounded at 10^15 in magnitude: the docs give no limit for order
//! amounts (`reference/orders.v3.yml` bounds gift certificate balances at 21474836.47), so
//! the parser is stricter than any real order and keeps every sum of them far from
//! `Decimal`'s range, where arithmetic would overflow.

use bc_core::{wire, Error};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::error::field_error;

/// Everything fetched for one order.
#[derive(Clone, Debug, Default)]
pub struct OrderParts {
    /// `GET /v2/orders/{id}` (with or without `consignments`).
    pub order: Value,
    /// The order's products (from consignments or `/products`).
    pub products: Vec<Value>,
    /// Shipping addresses (consignment `shipping` entries or `/shipping_addresses`).
    pub shipping_addresses: Vec<Value>,
    /// `/coupons`, when the order has any.
    pub coupons: Vec<Value>,
    /// `/taxes?details=true`, when the order has any tax.
    pub taxes: Vec<Value>,
    /// v3 transactions, when fetched.
    pub transactions: Option<Vec<Value>>,
}

/// Shipping addresses and product lines, as carried by an order's consignments.
pub type Consignments = (Vec<Value>, Vec<Value>);

/// The `data` array of a v3 envelope (`{"data": [...], "meta": {...}}`), and the total pages.
pub fn v3_page<'a>(body: &'a Value, what: &str) -> Result<(&'a [Value], Option<u64>), Error> {
    let Value::Object(m) = body else {
        return Err(field_error(what, "(body)", "expected an object"));
    };
    let data = match m.get("data") {
        Some(Value::Array(a)) => a.as_slice(),
        None | Some(Value::Null) => &[],
        Some(_) => return Err(field_error(what, "data", "expected an array")),
    };
    let total_pages = m
        .get("meta")
        .and_then(|meta| meta.get("pagination"))
        .and_then(|p| p.get("total_pages"))
        .and_then(|t| t.to_string().trim_matches('"').parse::<u64>().ok());
    Ok((data, total_pages))
}

/// A JSON object being read, with the entity (`"order 1042"`) and its path for errors.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    pub what: &'a str,
    pub path: &'a str,
}

/// The largest magnitude of an amount or quantity accepted: 10^15.
pub(crate) fn max_amount() -> Decimal {
    Decimal::new(1_000_000_000_000_000, 0)
}

/// At most this many characters of a bad value are quoted in an error.
const SHOWN: usize = 40;

/// A bad value as quoted in an error: its JSON text, cut short.
pub(crate) fn shown(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= SHOWN {
        text
    } else {
        let cut: String = text.chars().take(SHOWN).collect();
        format!("{cut}…")
    }
}

/// Reads a BigCommerce id: a JSON integer, or its digits as a string; ≥ 1 unless `zero_ok`.
fn id_of(v: &Value, zero_ok: bool) -> Result<String, String> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => {
            return Err(format!(
                "expected an id (a positive integer), found {} `{}`",
                kind(other),
                shown(other)
            ))
        }
    };
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let canonical = digits && (text == "0" || !text.starts_with('0'));
    match text.parse::<u64>() {
        Ok(n) if canonical && (n > 0 || zero_ok) => Ok(n.to_string()),
        _ => Err(format!(
            "`{}` is not a BigCommerce id (a {} integer)",
            shown(v),
            if zero_ok { "non-negative" } else { "positive" }
        )),
    }
}

/// Checks an amount against [`max_amount`].
fn bounded(d: Decimal) -> Result<Decimal, String> {
    if d.abs() > max_amount() {
        Err(format!(
            "`{d}` is beyond any BigCommerce amount (at most 10^15 in magnitude)"
        ))
    } else {
        Ok(d)
    }
}

/// Reads the `id` of an entity's body and names the entity by it (`"order 218"`). When the
/// id itself is bad, the entity is named by what it said (`order "\\"`), so the error still
/// points at the payload. Returns the id and the name.
pub(crate) fn entity_id(value: &Value, entity: &str) -> Result<(String, String), Error> {
    let Value::Object(map) = value else {
        return Err(field_error(
            entity,
            "(body)",
            format!("expected an object, found {}", kind(value)),
        ));
    };
    match map.get("id") {
        None => Err(field_error(&format!("{entity} (no id)"), "id", "missing")),
        Some(v) => match id_of(v, false) {
            Ok(id) => {
                let what = format!("{entity} {id}");
                Ok((id, what))
            }
            Err(problem) => Err(field_error(
                &format!("{entity} {}", shown(v)),
                "id",
                problem,
            )),
        },
    }
}

fn absent(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

impl<'a> Obj<'a> {
    /// Reads `value` as an object.
    pub fn of(value: &'a Value, what: &'a str, path: &'a str) -> Result<Obj<'a>, Error> {
        match value {
            Value::Object(map) => Ok(Obj { map, what, path }),
            other => Err(field_error(
                what,
                if path.is_empty() { "(body)" } else { path },
                format!("expected an object, found {}", kind(other)),
            )),
        }
    }

    fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The error for `key`.
    pub fn err(&self, key: &str, problem: impl std::fmt::Display) -> Error {
        field_error(self.what, &self.name(key), problem)
    }

    /// The raw value.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// A required amount (at most [`max_amount`] in magnitude).
    pub fn money(&self, key: &str) -> Result<Decimal, Error> {
        match self.map.get(key) {
            None => Err(self.err(key, "missing")),
            Some(v) => wire::decimal(v.clone())
                .map_err(|e| e.to_string())
                .and_then(bounded)
                .map_err(|e| self.err(key, e)),
        }
    }

    /// An amount where absent, `null`, `""` and `{}` mean zero.
    pub fn money_or_zero(&self, key: &str) -> Result<Decimal, Error> {
        Ok(self.opt_money(key)?.unwrap_or(Decimal::ZERO))
    }

    /// An optional amount (`null`, `""`, `{}` are none).
    pub fn opt_money(&self, key: &str) -> Result<Option<Decimal>, Error> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => wire::opt_decimal(v.clone())
                .map_err(|e| e.to_string())
                .and_then(|d| d.map(bounded).transpose())
                .map_err(|e| self.err(key, e)),
        }
    }

    /// A required id: a positive integer (see the module docs).
    pub fn id(&self, key: &str) -> Result<String, Error> {
        match self.map.get(key) {
            None => Err(self.err(key, "missing")),
            Some(v) => id_of(v, false).map_err(|e| self.err(key, e)),
        }
    }

    /// A required order status id: a non-negative integer (status 0 is "Incomplete",
    /// `reference/orders.v2.oas2.yml` `/order_statuses`).
    pub fn status_id(&self, key: &str) -> Result<String, Error> {
        match self.map.get(key) {
            None => Err(self.err(key, "missing")),
            Some(v) => id_of(v, true).map_err(|e| self.err(key, e)),
        }
    }

    /// An optional id (`null`, `""`, `{}`, `0` are none); otherwise a positive integer.
    pub fn opt_id(&self, key: &str) -> Result<Option<String>, Error> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) if absent(v) => Ok(None),
            Some(v) => match id_of(v, true) {
                Ok(id) if id == "0" => Ok(None),
                Ok(id) => Ok(Some(id)),
                Err(_) => Err(self.err(
                    key,
                    format!(
                        "`{}` is not a BigCommerce id (a positive integer)",
                        shown(v)
                    ),
                )),
            },
        }
    }

    /// Text; absent or `null` is `""`; numbers and booleans are written out.
    pub fn text(&self, key: &str) -> Result<String, Error> {
        Ok(self.opt_text(key)?.unwrap_or_default())
    }

    /// Optional text (`""` is none).
    pub fn opt_text(&self, key: &str) -> Result<Option<String>, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(Value::Object(m)) if m.is_empty() => Ok(None),
            Some(other) => Err(self.err(key, format!("expected text, found {}", kind(other)))),
        }
    }

    /// A required date (RFC 2822 or RFC 3339).
    pub fn date(&self, key: &str) -> Result<DateTime<Utc>, Error> {
        self.opt_date(key)?
            .ok_or_else(|| self.err(key, "missing or empty date"))
    }

    /// An optional date (`""` is none).
    pub fn opt_date(&self, key: &str) -> Result<Option<DateTime<Utc>>, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => wire::parse_datetime(s)
                .map(Some)
                .map_err(|e| self.err(key, e)),
            Some(other) => Err(self.err(key, format!("expected a date, found {}", kind(other)))),
        }
    }

    /// An array of objects (absent or `null` = empty).
    pub fn array(&self, key: &str) -> Result<&'a [Value], Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) => Ok(a.as_slice()),
            Some(Value::Object(m)) if m.is_empty() => Ok(&[]),
            Some(other) => Err(self.err(key, format!("expected an array, found {}", kind(other)))),
        }
    }
}

/// "a string", "a number"… for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_entity_and_field() {
        let v = json!({"a": "12.5000", "b": "abc", "c": {}, "d": "", "id": "7"});
        let o = Obj::of(&v, "order 7", "products[0]").unwrap();
        assert_eq!(o.money("a").unwrap().to_string(), "12.5000");
        let e = o.money("b").unwrap_err();
        assert!(e.to_string().contains("order 7"), "{e}");
        assert!(e.to_string().contains("products[0].b"), "{e}");
        assert_eq!(o.money_or_zero("c").unwrap(), Decimal::ZERO);
        assert_eq!(o.opt_date("d").unwrap(), None);
        assert!(o.money("missing").is_err());
        assert_eq!(o.id("id").unwrap(), "7");
    }
}
