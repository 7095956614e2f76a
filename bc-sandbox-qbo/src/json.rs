//! Small helpers over `serde_json::Value`: money in and out as exact decimals, references,
//! case-insensitive field access.
//!
//! Entities are kept as JSON objects in QBO's own shape, so the sandbox answers with exactly
//! what it stored; these helpers are how the business rules read and write them.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Number, Value};

/// A JSON number (or a numeric string, which QBO also accepts) as an exact decimal.
/// `None` when absent, null, or not a number.
pub(crate) fn dec(v: Option<&Value>) -> Option<Decimal> {
    match v? {
        // With `arbitrary_precision` the number keeps the digits it was sent with.
        Value::Number(n) => parse_decimal(&n.to_string()),
        Value::String(s) => parse_decimal(s.trim()),
        _ => None,
    }
}

/// Parses `12.5`, `-3`, `1e2` exactly.
pub(crate) fn parse_decimal(s: &str) -> Option<Decimal> {
    if s.is_empty() {
        return None;
    }
    if s.contains(['e', 'E']) {
        Decimal::from_scientific(s).ok()
    } else {
        Decimal::from_str_exact(s)
            .ok()
            .or_else(|| Decimal::from_str(s).ok())
    }
}

/// A decimal as a JSON number with exactly its digits (no float on the way).
pub(crate) fn num(d: Decimal) -> Value {
    let text = d.normalize().to_string();
    match serde_json::from_str::<Number>(&text) {
        Ok(n) => Value::Number(n),
        // Unreachable for a Decimal's own rendering; keep the digits rather than lose them.
        Err(_) => Value::String(text),
    }
}

/// Rounds money to cents the way QBO does (half away from zero).
pub(crate) fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A string field, trimmed; `None` when absent, null or empty.
pub(crate) fn text<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A string or number field rendered as a string (ids are sometimes sent as numbers).
pub(crate) fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `value` of a reference type (`{"value": "1", "name": "…"}`); a bare string is accepted.
pub(crate) fn ref_value(obj: &Value, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::Object(m) => id_text(m.get("value")),
        other => id_text(Some(other)),
    }
}

/// Builds a reference type.
pub(crate) fn reference(value: &str, name: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("value".into(), Value::String(value.to_string()));
    if let Some(n) = name {
        m.insert("name".into(), Value::String(n.to_string()));
    }
    Value::Object(m)
}

/// A boolean field (`true`/`false`, or the strings `"true"`/`"false"`).
pub(crate) fn boolean(obj: &Value, key: &str) -> Option<bool> {
    match obj.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Looks a dotted path up case-insensitively (`MetaData.LastUpdatedTime`).
pub(crate) fn path_ci<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    for part in path.split('.') {
        let m = cur.as_object()?;
        cur = match m.get(part) {
            Some(v) => v,
            None => m
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(part))
                .map(|(_, v)| v)?,
        };
    }
    Some(cur)
}

/// The object behind a value, created if it is not an object yet.
pub(crate) fn obj_mut(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        // Just made an object above.
        _ => unreachable!("value was replaced by an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn money_round_trips_exactly() {
        let v: Value = serde_json::from_str("{\"a\": 0.1000, \"b\": \"12.345\", \"c\": 1e2}")
            .unwrap_or(Value::Null);
        assert_eq!(dec(v.get("a")), Some(Decimal::new(1, 1)));
        assert_eq!(dec(v.get("b")), Some(Decimal::new(12345, 3)));
        assert_eq!(dec(v.get("c")), Some(Decimal::new(100, 0)));
        assert_eq!(num(Decimal::new(1050, 2)).to_string(), "10.5");
        assert_eq!(round2(Decimal::new(1005, 3)).to_string(), "1.01");
    }

    #[test]
    fn refs_and_paths() {
        let v = json!({"CustomerRef": {"value": "7"}, "MetaData": {"LastUpdatedTime": "x"}});
        assert_eq!(ref_value(&v, "CustomerRef").as_deref(), Some("7"));
        assert_eq!(
            path_ci(&v, "metadata.lastupdatedtime").and_then(Value::as_str),
            Some("x")
        );
    }
}
