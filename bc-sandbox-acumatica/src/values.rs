//! Acumatica's value wrappers: every field of an entity travels as `{"value": …}` (and comes
//! back with `"error"` beside the value when it is invalid). Entities are stored in that
//! shape, so the sandbox answers with exactly what it keeps; these helpers read and write it.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Map, Number, Value};

/// `{"value": v}`.
pub fn wrap(v: impl Into<Value>) -> Value {
    json!({ "value": v.into() })
}

/// The unwrapped value of a field, `None` when absent or null.
pub fn raw<'a>(row: &'a Value, field: &str) -> Option<&'a Value> {
    match row.get(field)? {
        Value::Object(m) => m.get("value").filter(|v| !v.is_null()),
        _ => None,
    }
}

/// A text field, trimmed; `None` when absent, null or empty.
pub fn text(row: &Value, field: &str) -> Option<String> {
    match raw(row, field)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A decimal field, exact (the workspace's `arbitrary_precision` keeps the digits).
pub fn dec(row: &Value, field: &str) -> Option<Decimal> {
    match raw(row, field)? {
        Value::Number(n) => parse_decimal(&n.to_string()),
        Value::String(s) => parse_decimal(s.trim()),
        _ => None,
    }
}

/// A boolean field.
pub fn boolean(row: &Value, field: &str) -> Option<bool> {
    match raw(row, field)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Parses `12.5`, `-3`, `1e2` exactly.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
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

/// A decimal as a JSON number with exactly its digits.
pub fn num(d: Decimal) -> Value {
    let text = d.normalize().to_string();
    match serde_json::from_str::<Number>(&text) {
        Ok(n) => Value::Number(n),
        Err(_) => Value::String(text),
    }
}

/// Money to cents, half away from zero (Acumatica's default rounding).
pub fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Sets a field to `{"value": v}`.
pub fn set(row: &mut Value, field: &str, v: impl Into<Value>) {
    if let Value::Object(m) = row {
        m.insert(field.to_string(), wrap(v));
    }
}

/// Sets a decimal field.
pub fn set_dec(row: &mut Value, field: &str, d: Decimal) {
    set(row, field, num(d));
}

/// Puts an error on a field (creating the field wrapper when absent), as a 422 answer does.
pub fn set_error(row: &mut Value, field: &str, message: &str) {
    if let Value::Object(m) = row {
        let entry = m
            .entry(field.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(f) = entry {
            f.insert("error".into(), Value::String(message.to_string()));
        } else {
            *entry = json!({ "value": entry.clone(), "error": message });
        }
    }
}

/// The object map of a row (rows are always objects).
pub fn obj(row: &mut Value) -> &mut Map<String, Value> {
    if !row.is_object() {
        *row = Value::Object(Map::new());
    }
    match row {
        Value::Object(m) => m,
        // Made an object just above.
        _ => unreachable!("a row is an object"),
    }
}

/// The detail rows of a collection field (empty when absent).
pub fn details<'a>(row: &'a Value, field: &str) -> &'a [Value] {
    row.get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Case-insensitive text equality, as Acumatica compares keys.
pub fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_values_round_trip_exactly() {
        let mut row = json!({});
        set_dec(&mut row, "Amount", Decimal::new(1234567, 4));
        assert_eq!(dec(&row, "Amount"), Some(Decimal::new(1234567, 4)));
        set(&mut row, "Hold", true);
        assert_eq!(boolean(&row, "Hold"), Some(true));
        set_error(&mut row, "Hold", "bad");
        assert_eq!(row["Hold"]["error"], "bad");
        assert_eq!(row["Hold"]["value"], true);
    }
}
