//! Deserializers of the settings' own value kinds whose errors say what was expected in words
//! ("a date like 2026-01-31"), read by [`describe`](super::describe) into
//! `setting `sync.start_date` = "31/01/2026": expected a date like 2026-01-31`.

use std::fmt;
use std::marker::PhantomData;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::{self, MapAccess, Unexpected, Visitor};
use serde::Deserializer;

use crate::ids::SourceCode;
use crate::money::parse_decimal;

/// A visitor of a text value parsed by `parse`, expecting `what` (in words).
pub(crate) struct Text<T, F> {
    what: &'static str,
    parse: F,
    _t: PhantomData<fn() -> T>,
}

impl<T, F: Fn(&str) -> Option<T>> Text<T, F> {
    /// A visitor expecting `what`.
    pub(crate) fn new(what: &'static str, parse: F) -> Self {
        Text {
            what,
            parse,
            _t: PhantomData,
        }
    }
}

impl<'de, T, F: Fn(&str) -> Option<T>> Visitor<'de> for Text<T, F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        (self.parse)(s).ok_or_else(|| E::invalid_value(Unexpected::Str(s), &self))
    }

    /// A TOML date or date-time (`start_date = 2026-01-31`, unquoted) arrives as a one-entry
    /// map holding its text.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        match map.next_entry::<String, String>()? {
            Some((_, text)) => self.visit_str(&text),
            None => Err(de::Error::invalid_type(Unexpected::Map, &self)),
        }
    }
}

/// `sync.import_source_code`: 3 letters or digits.
pub(crate) fn source_code<'de, D: Deserializer<'de>>(d: D) -> Result<SourceCode, D::Error> {
    d.deserialize_str(Text::new("3 letters or digits, like BC1", |s: &str| {
        SourceCode::new(s).ok()
    }))
}

/// `sync.timezone`: an IANA time zone name.
pub(crate) fn time_zone<'de, D: Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
    d.deserialize_str(Text::new(
        "a time zone name like America/New_York or UTC",
        |s: &str| s.trim().parse::<chrono_tz::Tz>().ok(),
    ))
}

/// `sync.start_date`: a calendar day, `2026-01-31` (quoted or a TOML date).
pub(crate) fn optional_date<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveDate>, D::Error> {
    d.deserialize_str(Text::new("a date like 2026-01-31", |s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
    }))
    .map(Some)
}

/// An amount that may not be negative, written `"0.05"`, `0.05` or `2`.
pub(crate) fn non_negative_amount<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(Amount)
}

struct Amount;

impl Amount {
    fn check<E: de::Error>(self, n: Decimal, shown: Unexpected<'_>) -> Result<Decimal, E> {
        if n < Decimal::ZERO {
            Err(E::invalid_value(shown, &self))
        } else {
            Ok(n)
        }
    }
}

impl<'de> Visitor<'de> for Amount {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, zero or more, like \"0.05\"")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Decimal, E> {
        let n = parse_decimal(s).map_err(|_| E::invalid_value(Unexpected::Str(s), &self))?;
        self.check(n, Unexpected::Str(s))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        self.check(Decimal::from(v), Unexpected::Signed(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        // The shortest text of the float is what was written (`0.05`, not 0.05000000000000000277).
        let n = parse_decimal(&v.to_string())
            .map_err(|_| E::invalid_value(Unexpected::Float(v), &self))?;
        self.check(n, Unexpected::Float(v))
    }
}
