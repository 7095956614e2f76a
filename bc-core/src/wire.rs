//! Serde helpers for platform payloads, shared by every connector.
//!
//! Platforms are loose about types: BigCommerce v2 sends money as `"12.5000"`, v3 as `12.5`,
//! ids sometimes as `"42"`, empty dates as `""`, and now and then `{}` where a number is
//! documented. These helpers accept the known variants and refuse everything else with a
//! message naming what was found, so that a connector can say which field of which order broke.
//!
//! Use them with `#[serde(deserialize_with = "bc_core::wire::decimal")]` and friends.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::Value;

use crate::money::parse_decimal;

fn value_to_decimal(v: &Value) -> Result<Option<Decimal>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => parse_decimal(s)
            .map(Some)
            .map_err(|e| e.message().to_string()),
        // arbitrary_precision: the number's literal text, exactly as sent.
        Value::Number(n) => {
            let text = n.to_string();
            if text.contains(['e', 'E']) {
                Decimal::from_scientific(&text)
                    .map(Some)
                    .map_err(|e| format!("`{text}` is not a decimal amount: {e}"))
            } else {
                parse_decimal(&text)
                    .map(Some)
                    .map_err(|e| e.message().to_string())
            }
        }
        Value::Object(m) if m.is_empty() => Ok(None),
        other => Err(format!("expected a decimal amount, found `{other}`")),
    }
}

/// A required decimal sent as a string (`"12.5000"`) or a JSON number (`12.5`).
pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = Value::deserialize(d)?;
    match value_to_decimal(&v).map_err(de::Error::custom)? {
        Some(x) => Ok(x),
        None => Err(de::Error::custom(format!(
            "expected a decimal amount, found `{v}`"
        ))),
    }
}

/// An optional decimal: `null`, `""` and `{}` are `None`; otherwise as [`decimal`].
pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let v = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    value_to_decimal(&v).map_err(de::Error::custom)
}

/// A decimal that defaults to zero when `null`, `""` or `{}`.
pub fn decimal_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    Ok(opt_decimal(d)?.unwrap_or(Decimal::ZERO))
}

/// An id sent as a JSON number or a string; returned as its text.
pub fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) if !s.trim().is_empty() => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(de::Error::custom(format!(
            "expected an id, found `{other}`"
        ))),
    }
}

/// An optional id: `null`, `""`, `0` are `None`.
pub fn opt_id_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)?.unwrap_or(Value::Null) {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() || s == "0" => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) if n.to_string() == "0" => Ok(None),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(de::Error::custom(format!(
            "expected an id, found `{other}`"
        ))),
    }
}

/// An optional string where `""` means absent.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.trim().is_empty()))
}

/// Parses an RFC 2822 date (`"Tue, 20 Nov 2012 00:00:00 +0000"`, BigCommerce v2) or an
/// RFC 3339 one (`"2012-11-20T00:00:00Z"`, v3 and most other platforms).
pub fn parse_datetime(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    DateTime::parse_from_rfc2822(t)
        .or_else(|_| DateTime::parse_from_rfc3339(t))
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| format!("`{text}` is not an RFC 2822 or RFC 3339 date"))
}

/// Formats a date the way BigCommerce v2 writes and filters them (RFC 2822, `+0000`).
pub fn format_rfc2822(at: &DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// A required date, RFC 2822 or RFC 3339.
pub fn datetime<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    parse_datetime(&s).map_err(de::Error::custom)
}

/// An optional date: `null` and `""` are `None`.
pub fn opt_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse_datetime(&s).map(Some).map_err(de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[derive(Deserialize, Debug)]
    struct T {
        #[serde(deserialize_with = "decimal")]
        a: Decimal,
        #[serde(default, deserialize_with = "opt_decimal")]
        b: Option<Decimal>,
        #[serde(deserialize_with = "id_string")]
        id: String,
        #[serde(default, deserialize_with = "opt_datetime")]
        at: Option<DateTime<Utc>>,
    }

    #[test]
    fn accepts_the_known_variants() {
        let t: T = serde_json::from_str(
            r#"{"a":"12.5000","b":"","id":42,"at":"Tue, 20 Nov 2012 00:00:00 +0000"}"#,
        )
        .unwrap();
        assert_eq!(t.a, dec!(12.5000));
        assert_eq!(t.b, None);
        assert_eq!(t.id, "42");
        assert_eq!(t.at.unwrap().to_rfc3339(), "2012-11-20T00:00:00+00:00");
        let t: T = serde_json::from_str(r#"{"a":0.1,"b":{},"id":"7","at":""}"#).unwrap();
        assert_eq!(t.a, dec!(0.1));
        assert_eq!(t.b, None);
        assert_eq!(t.at, None);
    }

    #[test]
    fn refuses_the_rest_with_a_message() {
        let e = serde_json::from_str::<T>(r#"{"a":"abc","id":1}"#).unwrap_err();
        assert!(e.to_string().contains("abc"), "{e}");
        let e = serde_json::from_str::<T>(r#"{"a":true,"id":1}"#).unwrap_err();
        assert!(e.to_string().contains("true"), "{e}");
        let e = serde_json::from_str::<T>(r#"{"a":1,"id":1,"at":"yesterday"}"#).unwrap_err();
        assert!(e.to_string().contains("yesterday"), "{e}");
    }

    #[test]
    fn rfc2822_round_trip() {
        let at = parse_datetime("Tue, 20 Nov 2012 08:09:10 +0000").unwrap();
        assert_eq!(format_rfc2822(&at), "Tue, 20 Nov 2012 08:09:10 +0000");
    }
}
