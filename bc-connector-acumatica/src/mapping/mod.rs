//! bcsync documents → Acumatica records (pure functions).
//!
//! - [`documents`]: sales documents (sales orders and invoices), credit memos, lines, taxes;
//! - [`records`]: customers, items, payments, journal transactions;
//! - [`erp_order`]: ERP-originated orders: the qualification rules (E1) and the storefront
//!   order they become.

pub mod documents;
pub mod erp_order;
pub mod records;

use serde_json::{json, Value};

/// `{"value": v}`.
pub fn v(x: impl Into<Value>) -> Value {
    json!({ "value": x.into() })
}

/// A text field of a record.
pub fn text(row: &Value, field: &str) -> Option<String> {
    match row.get(field)?.get("value")? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A decimal field, exact.
pub fn dec(row: &Value, field: &str) -> Option<rust_decimal::Decimal> {
    match row.get(field)?.get("value")? {
        Value::Number(n) => bc_core::money::parse_decimal(&n.to_string()).ok(),
        Value::String(s) => bc_core::money::parse_decimal(s).ok(),
        _ => None,
    }
}

/// A boolean field.
pub fn boolean(row: &Value, field: &str) -> Option<bool> {
    row.get(field)?.get("value")?.as_bool()
}

/// A decimal as a JSON number with its digits.
pub fn num(d: rust_decimal::Decimal) -> Value {
    serde_json::from_str::<serde_json::Number>(&d.normalize().to_string())
        .map(Value::Number)
        .unwrap_or_else(|_| Value::String(d.to_string()))
}

/// Detail rows of a collection.
pub fn rows<'a>(row: &'a Value, field: &str) -> &'a [Value] {
    row.get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A `$filter` string literal (quote doubled).
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
