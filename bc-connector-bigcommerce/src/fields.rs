//! Field-by-field reading of BigCommerce payloads, so that every error names the entity and
//! the field (`order 1042: field products[2].total_ex_tax: …`).
//!
//! Money goes through `bc_core::wire` (4-decimal strings or exact JSON numbers, never a
//! float); the platform's documented oddities (`null`, `""`, `{}` where a number is
//! documented, ids as strings) are accepted, anything else is a protocol error.

use bc_core::{wire, Error};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// A JSON object being read, with the entity (`"order 1042"`) and its path for errors.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    pub what: &'a str,
    pub path: &'a str,
}

/// A protocol error naming the entity and field.
pub(crate) fn field_error(what: &str, field: &str, problem: impl std::fmt::Display) -> Error {
    Error::protocol(format!("{what}: field `{field}`: {problem}")).with_platform("bigcommerce")
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

    /// A required amount.
    pub fn money(&self, key: &str) -> Result<Decimal, Error> {
        match self.map.get(key) {
            None => Err(self.err(key, "missing")),
            Some(v) => wire::decimal(v.clone()).map_err(|e| self.err(key, e)),
        }
    }

    /// An amount where absent, `null`, `""` and `{}` mean zero.
    pub fn money_or_zero(&self, key: &str) -> Result<Decimal, Error> {
        match self.map.get(key) {
            None => Ok(Decimal::ZERO),
            Some(v) => wire::decimal_or_zero(v.clone()).map_err(|e| self.err(key, e)),
        }
    }

    /// An optional amount.
    pub fn opt_money(&self, key: &str) -> Result<Option<Decimal>, Error> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => wire::opt_decimal(v.clone()).map_err(|e| self.err(key, e)),
        }
    }

    /// A required id (number or string).
    pub fn id(&self, key: &str) -> Result<String, Error> {
        match self.map.get(key) {
            None => Err(self.err(key, "missing")),
            Some(v) => wire::id_string(v.clone()).map_err(|e| self.err(key, e)),
        }
    }

    /// An optional id (`null`, `""`, `0` are none).
    pub fn opt_id(&self, key: &str) -> Result<Option<String>, Error> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) if absent(v) => Ok(None),
            Some(v) => wire::opt_id_string(v.clone()).map_err(|e| self.err(key, e)),
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
