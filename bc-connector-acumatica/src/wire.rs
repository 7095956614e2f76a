//! Acumatica's JSON, typed: the contract-based REST API wraps every field of a record in a
//! value object (`{"value": …}`, components `StringValue`, `DecimalValue`, `BooleanValue`,
//! `DateTimeValue`… of `shared/api/acumatica/Default_24.200.001.openapi.json`); detail
//! collections are arrays of such records; `$filter` takes OData literals.
//!
//! Writing: [`v`] wraps a value, [`num`] writes a decimal as a JSON number with its exact
//! digits (never through `f64`). Reading: [`text`], [`dec`] (exact, from a number or a
//! string), [`boolean`], [`rows`]; a field that is absent, `null` or of another type reads as
//! `None` (the caller decides whether that is an error). Document references: [`doc_ref`]
//! reads a record's keys into the `Type/Nbr` form bcsync stores, [`split_ref`] reads it back.

use bc_core::{Error, ErrorKind, LedgerRef, Result};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::PLATFORM;

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
pub fn dec(row: &Value, field: &str) -> Option<Decimal> {
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
pub fn num(d: Decimal) -> Value {
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

/// A document's reference: `SO/SO000123` or `Invoice/INV000045` (a sales order is keyed by
/// `OrderType` and `OrderNbr`, the other documents by `Type` and `ReferenceNbr`).
pub fn doc_ref(entity: &str, row: &Value) -> LedgerRef {
    let (ty, nbr) = if entity == "SalesOrder" {
        (
            text(row, "OrderType").unwrap_or_default(),
            text(row, "OrderNbr").unwrap_or_default(),
        )
    } else {
        (
            text(row, "Type").unwrap_or_default(),
            text(row, "ReferenceNbr").unwrap_or_default(),
        )
    };
    LedgerRef::new(format!("{ty}/{nbr}")).with_number(nbr)
}

/// The two keys of a [`doc_ref`] reference.
pub fn split_ref(at: &LedgerRef) -> Result<(String, String)> {
    at.id
        .split_once('/')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                format!("`{}` is not an Acumatica document reference", at.id),
            )
            .with_platform(PLATFORM)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_and_write_exactly() {
        let row = json!({"A": {"value": " x "}, "B": {"value": 12.30}, "C": {"value": "0.1"},
                         "D": {"value": true}, "E": {"value": null}, "L": [{"X": {"value": 1}}]});
        assert_eq!(text(&row, "A").as_deref(), Some("x"));
        assert_eq!(dec(&row, "B"), Some(Decimal::new(123, 1)));
        assert_eq!(dec(&row, "C"), Some(Decimal::new(1, 1)));
        assert_eq!(boolean(&row, "D"), Some(true));
        assert_eq!(text(&row, "E"), None);
        assert_eq!(text(&row, "missing"), None);
        assert_eq!(rows(&row, "L").len(), 1);
        assert_eq!(num(Decimal::new(1050, 2)).to_string(), "10.5");
        assert_eq!(lit("O'Brien"), "'O''Brien'");
    }

    #[test]
    fn references_round_trip() {
        let so = json!({"OrderType": {"value": "SO"}, "OrderNbr": {"value": "SO000123"}});
        let r = doc_ref("SalesOrder", &so);
        assert_eq!(r.id, "SO/SO000123");
        assert_eq!(split_ref(&r).unwrap(), ("SO".into(), "SO000123".into()));
        assert!(split_ref(&LedgerRef::new("nope")).is_err());
    }
}
