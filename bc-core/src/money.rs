//! Money: an exact decimal amount with its currency.
//!
//! Amounts are [`rust_decimal::Decimal`], never floats. BigCommerce sends money as 4-decimal
//! strings (`"12.5000"`), v3 endpoints and other platforms as JSON numbers; both are parsed
//! exactly (the workspace enables serde_json's `arbitrary_precision`, so a JSON number reaches
//! [`Decimal`] as its literal text, never through `f64`). See [`crate::wire`] for the serde
//! helpers connectors use on platform payloads.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

/// An ISO 4217 currency code (`USD`, `EUR`, `JPY`), three ASCII upper-case letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// Pound sterling.
    pub const GBP: Currency = Currency(*b"GBP");
    /// Canadian dollar.
    pub const CAD: Currency = Currency(*b"CAD");
    /// Australian dollar.
    pub const AUD: Currency = Currency(*b"AUD");
    /// Japanese yen (no minor unit).
    pub const JPY: Currency = Currency(*b"JPY");

    /// Parses a code; lower case is accepted and upper-cased.
    pub fn new(code: &str) -> Result<Currency, Error> {
        let bytes = code.trim().as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(|b| b.is_ascii_alphabetic()) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("`{code}` is not an ISO 4217 currency code (three letters)"),
            ));
        }
        Ok(Currency([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ]))
    }

    /// The code as a string slice.
    pub fn code(&self) -> &str {
        // Always ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// The number of decimal places of the currency's minor unit (ISO 4217): 0 for JPY, KRW…,
    /// 3 for BHD, KWD…, 2 otherwise. A ledger may use another precision; see
    /// [`crate::LedgerCapabilities::precision`].
    pub fn minor_units(&self) -> u32 {
        match self.code() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::new(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::new(&s).map_err(serde::de::Error::custom)
    }
}

/// Rounds half away from zero to `dp` places: the convention of invoices and tax returns.
pub fn round_dp(amount: Decimal, dp: u32) -> Decimal {
    amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// Parses a decimal amount from text exactly: `"12.5000"`, `"-3"`, `"1e2"` is refused.
///
/// ```
/// use bc_core::money::parse_decimal;
/// assert_eq!(parse_decimal("12.5000").unwrap().to_string(), "12.5000");
/// assert!(parse_decimal("12,50").is_err());
/// assert!(parse_decimal("").is_err());
/// ```
pub fn parse_decimal(text: &str) -> Result<Decimal, Error> {
    let t = text.trim();
    let ok = !t.is_empty()
        && t.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')))
        && t.chars().filter(|c| *c == '.').count() <= 1
        && t.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return Err(Error::new(
            ErrorKind::Protocol,
            format!("`{text}` is not a decimal amount"),
        ));
    }
    Decimal::from_str_exact(t.trim_start_matches('+')).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("`{text}` is not a decimal amount: {e}"),
        )
    })
}

/// An amount of money in a currency.
///
/// ```
/// use bc_core::{Money, Currency};
/// let m = Money::parse("12.3450", Currency::USD).unwrap();
/// assert_eq!(m.round_to(2).to_string(), "12.35 USD");
/// assert_eq!("12.3450 USD".parse::<Money>().unwrap(), m);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The exact amount.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

impl Money {
    /// A new amount.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Money {
            amount: Decimal::ZERO,
            currency,
        }
    }

    /// Parses an amount written as text (BigCommerce's 4-decimal strings) in `currency`.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, Error> {
        Ok(Money::new(parse_decimal(text)?, currency))
    }

    /// Rounded half away from zero to `dp` decimal places.
    pub fn round_to(&self, dp: u32) -> Money {
        Money::new(round_dp(self.amount, dp), self.currency)
    }

    /// Rounded to the currency's minor unit.
    pub fn round_minor(&self) -> Money {
        self.round_to(self.currency.minor_units())
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Sum of two amounts of the same currency; an error names both currencies otherwise.
    pub fn checked_add(&self, other: &Money) -> Result<Money, Error> {
        self.same_currency(other)?;
        Ok(Money::new(self.amount + other.amount, self.currency))
    }

    /// Difference of two amounts of the same currency.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, Error> {
        self.same_currency(other)?;
        Ok(Money::new(self.amount - other.amount, self.currency))
    }

    /// The negated amount.
    pub fn neg(&self) -> Money {
        Money::new(-self.amount, self.currency)
    }

    fn same_currency(&self, other: &Money) -> Result<(), Error> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "cannot combine {} and {} amounts",
                    self.currency, other.currency
                ),
            ))
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.amount, self.currency)
    }
}

impl FromStr for Money {
    type Err = Error;
    /// Parses `"12.50 USD"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (Some(amount), Some(code), None) => Money::parse(amount, Currency::new(code)?),
            _ => Err(Error::new(
                ErrorKind::Invalid,
                format!("`{s}` is not an amount with a currency, such as `12.50 USD`"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::new("usd").unwrap(), Currency::USD);
        assert!(Currency::new("US").is_err());
        assert!(Currency::new("U$D").is_err());
        assert_eq!(Currency::JPY.minor_units(), 0);
        assert_eq!(Currency::new("KWD").unwrap().minor_units(), 3);
        assert_eq!(Currency::EUR.minor_units(), 2);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_dp(dec!(0.125), 2), dec!(0.13));
        assert_eq!(round_dp(dec!(-0.125), 2), dec!(-0.13));
        assert_eq!(round_dp(dec!(0.1249), 2), dec!(0.12));
    }

    #[test]
    fn parse_refuses_non_decimals() {
        for bad in [
            "",
            " ",
            "abc",
            "1,5",
            "1.2.3",
            "--1",
            "1e5",
            "NaN",
            "12.50 USD",
            "-",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(parse_decimal("+3.10").unwrap(), dec!(3.10));
    }

    #[test]
    fn add_refuses_mixed_currencies() {
        let a = Money::new(dec!(1), Currency::USD);
        let b = Money::new(dec!(1), Currency::EUR);
        assert!(a.checked_add(&b).is_err());
        assert_eq!(a.checked_add(&a).unwrap().amount, dec!(2));
    }

    #[test]
    fn json_numbers_are_exact() {
        // With arbitrary_precision, a JSON number reaches Decimal as text.
        let v: Decimal = serde_json::from_str("0.1").unwrap();
        assert_eq!(v, dec!(0.1));
        let v: Decimal = serde_json::from_str("1234567890.123456789").unwrap();
        assert_eq!(v.to_string(), "1234567890.123456789");
        let m: Money = serde_json::from_str(r#"{"amount":"12.3400","currency":"EUR"}"#).unwrap();
        assert_eq!(m.amount.to_string(), "12.3400");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn money_display_parse_round_trip(units in any::<i64>(), scale in 0u32..=6, cur in "[A-Z]{3}") {
            let amount = Decimal::new(units, scale);
            let m = Money::new(amount, Currency::new(&cur).unwrap());
            let back: Money = m.to_string().parse().unwrap();
            prop_assert_eq!(back, m);
            prop_assert_eq!(back.amount.scale(), m.amount.scale());
            let json = serde_json::to_string(&m).unwrap();
            let back: Money = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, m);
        }

        #[test]
        fn bc_four_decimal_strings_parse_exactly(units in -10_000_000_000i64..10_000_000_000i64) {
            let text = Decimal::new(units, 4).to_string();
            let parsed = parse_decimal(&text).unwrap();
            prop_assert_eq!(parsed.to_string(), text);
        }
    }
}
