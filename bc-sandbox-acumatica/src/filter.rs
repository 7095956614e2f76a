//! `$filter`: the OData v3 subset Acumatica's contract-based REST API documents — comparisons
//! `eq ne gt ge lt le`, `and`, `or`, `not`, parentheses, `startswith(Field,'x')`,
//! `substringof('x',Field)`, literals `'text'` (quote doubled inside), numbers, `true`,
//! `false`, `null`, `datetimeoffset'…'` and `datetime'…'`
//! (help.acumatica.com, "Parameters for Retrieving Records": `$filter`).
//!
//! Only fields the sandbox lists for the entity ([`crate::schema::Kind::filterable`]) may be
//! named; any other field, function or operator is refused with 400 before anything is read.
//! Text compares case-insensitively, as Acumatica's database collation does.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::values::{parse_decimal, raw};

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// Both.
    And(Box<Filter>, Box<Filter>),
    /// Either.
    Or(Box<Filter>, Box<Filter>),
    /// Negation.
    Not(Box<Filter>),
    /// `Field op literal`.
    Compare(String, Op, Literal),
    /// `startswith(Field,'x')`.
    StartsWith(String, String),
    /// `substringof('x',Field)`.
    Contains(String, String),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
}

/// A literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `'text'`.
    Text(String),
    /// A number.
    Number(Decimal),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `datetimeoffset'…'` / `datetime'…'`.
    Time(DateTime<Utc>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Text(String),
    Typed(String, String),
    Open,
    Close,
    Comma,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let quoted = |i: &mut usize| -> Result<String, String> {
        // at an opening quote
        *i += 1;
        let mut text = String::new();
        loop {
            match chars.get(*i) {
                None => return Err("unterminated string literal".into()),
                Some('\'') if chars.get(*i + 1) == Some(&'\'') => {
                    text.push('\'');
                    *i += 2;
                }
                Some('\'') => {
                    *i += 1;
                    return Ok(text);
                }
                Some(c) => {
                    text.push(*c);
                    *i += 1;
                }
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '\'' => out.push(Tok::Text(quoted(&mut i)?)),
            c if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '/' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-' | '.' | '/'))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if chars.get(i) == Some(&'\'') {
                    let text = quoted(&mut i)?;
                    out.push(Tok::Typed(word, text));
                } else {
                    out.push(Tok::Ident(word));
                }
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    fields: &'a [&'a str],
}

impl Parser<'_> {
    fn peek_word(&self) -> Option<&str> {
        match self.toks.get(self.pos) {
            Some(Tok::Ident(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, tok: Tok) -> Result<(), String> {
        match self.next() {
            Some(t) if t == tok => Ok(()),
            other => Err(format!("expected {tok:?}, found {other:?}")),
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.peek_word() == Some("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.peek_word() == Some("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.peek_word() == Some("not") {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn field(&self, name: &str) -> Result<String, String> {
        match self.fields.iter().find(|f| **f == name) {
            Some(f) => Ok(f.to_string()),
            None => Err(format!(
                "the field '{name}' cannot be used in $filter of this entity"
            )),
        }
    }

    fn text_literal(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Text(t)) => Ok(t),
            other => Err(format!("expected a string literal, found {other:?}")),
        }
    }

    fn primary(&mut self) -> Result<Filter, String> {
        match self.next() {
            Some(Tok::Open) => {
                let inner = self.or()?;
                self.expect(Tok::Close)?;
                Ok(inner)
            }
            Some(Tok::Ident(w)) if w == "startswith" => {
                self.expect(Tok::Open)?;
                let field = match self.next() {
                    Some(Tok::Ident(f)) => self.field(&f)?,
                    other => return Err(format!("expected a field, found {other:?}")),
                };
                self.expect(Tok::Comma)?;
                let text = self.text_literal()?;
                self.expect(Tok::Close)?;
                Ok(Filter::StartsWith(field, text))
            }
            Some(Tok::Ident(w)) if w == "substringof" => {
                self.expect(Tok::Open)?;
                let text = self.text_literal()?;
                self.expect(Tok::Comma)?;
                let field = match self.next() {
                    Some(Tok::Ident(f)) => self.field(&f)?,
                    other => return Err(format!("expected a field, found {other:?}")),
                };
                self.expect(Tok::Close)?;
                Ok(Filter::Contains(field, text))
            }
            Some(Tok::Ident(w)) => {
                let field = self.field(&w)?;
                let op = match self.next() {
                    Some(Tok::Ident(o)) => match o.as_str() {
                        "eq" => Op::Eq,
                        "ne" => Op::Ne,
                        "gt" => Op::Gt,
                        "ge" => Op::Ge,
                        "lt" => Op::Lt,
                        "le" => Op::Le,
                        other => return Err(format!("the operator '{other}' is not supported")),
                    },
                    other => return Err(format!("expected an operator, found {other:?}")),
                };
                let lit = match self.next() {
                    Some(Tok::Text(t)) => Literal::Text(t),
                    Some(Tok::Typed(kind, t)) if kind == "datetimeoffset" || kind == "datetime" => {
                        Literal::Time(parse_time(&t).ok_or(format!("bad {kind} literal '{t}'"))?)
                    }
                    Some(Tok::Typed(kind, _)) => {
                        return Err(format!("the literal type '{kind}' is not supported"))
                    }
                    Some(Tok::Ident(w)) if w == "true" => Literal::Bool(true),
                    Some(Tok::Ident(w)) if w == "false" => Literal::Bool(false),
                    Some(Tok::Ident(w)) if w == "null" => Literal::Null,
                    Some(Tok::Ident(w)) => {
                        Literal::Number(parse_decimal(&w).ok_or(format!("'{w}' is not a literal"))?)
                    }
                    other => return Err(format!("expected a literal, found {other:?}")),
                };
                Ok(Filter::Compare(field, op, lit))
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

/// Parses `text` for an entity whose filterable fields are `fields`.
pub fn parse(text: &str, fields: &[&str]) -> Result<Filter, String> {
    let toks = tokenize(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        fields,
    };
    let f = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!("unexpected {:?}", p.toks.get(p.pos)));
    }
    Ok(f)
}

/// `2026-11-01T10:00:00+00:00`, `2026-11-01T10:00:00.123Z`, `2026-11-01T10:00:00`.
pub fn parse_time(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

fn cmp(value: Option<&Value>, lit: &Literal) -> Option<Ordering> {
    match (value, lit) {
        (None, Literal::Null) => Some(Ordering::Equal),
        (None, _) | (Some(_), Literal::Null) => None,
        (Some(v), Literal::Text(t)) => {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some(s.to_lowercase().cmp(&t.to_lowercase()))
        }
        (Some(v), Literal::Number(n)) => {
            let d = match v {
                Value::Number(x) => parse_decimal(&x.to_string()),
                Value::String(s) => parse_decimal(s),
                _ => None,
            }?;
            Some(d.cmp(n))
        }
        (Some(Value::Bool(b)), Literal::Bool(l)) => Some(b.cmp(l)),
        (Some(Value::String(s)), Literal::Time(t)) => parse_time(s).map(|d| d.cmp(t)),
        _ => None,
    }
}

impl Filter {
    /// Whether `row` satisfies the filter.
    pub fn matches(&self, row: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(row) && b.matches(row),
            Filter::Or(a, b) => a.matches(row) || b.matches(row),
            Filter::Not(a) => !a.matches(row),
            Filter::StartsWith(f, t) => raw(row, f)
                .and_then(Value::as_str)
                .is_some_and(|s| s.to_lowercase().starts_with(&t.to_lowercase())),
            Filter::Contains(f, t) => raw(row, f)
                .and_then(Value::as_str)
                .is_some_and(|s| s.to_lowercase().contains(&t.to_lowercase())),
            Filter::Compare(f, op, lit) => {
                let o = cmp(raw(row, f), lit);
                match op {
                    Op::Eq => o == Some(Ordering::Equal),
                    Op::Ne => o != Some(Ordering::Equal),
                    Op::Gt => o == Some(Ordering::Greater),
                    Op::Ge => matches!(o, Some(Ordering::Greater | Ordering::Equal)),
                    Op::Lt => o == Some(Ordering::Less),
                    Op::Le => matches!(o, Some(Ordering::Less | Ordering::Equal)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const F: &[&str] = &["CustomerOrder", "Status", "LastModified", "Hold"];

    #[test]
    fn parses_and_matches() {
        let row = json!({
            "CustomerOrder": {"value": "BC1-1001"},
            "Status": {"value": "Open"},
            "Hold": {"value": false},
            "LastModified": {"value": "2026-11-01T10:00:00+00:00"}
        });
        for (f, want) in [
            ("CustomerOrder eq 'bc1-1001'", true),
            ("startswith(CustomerOrder,'BC1')", true),
            (
                "substringof('1001',CustomerOrder) and Status eq 'Open'",
                true,
            ),
            ("Status eq 'Closed' or Hold eq true", false),
            ("not (Status eq 'Closed')", true),
            ("LastModified gt datetimeoffset'2026-11-01T09:59:59Z'", true),
            (
                "LastModified ge datetimeoffset'2026-11-01T10:00:01+00:00'",
                false,
            ),
        ] {
            assert_eq!(parse(f, F).unwrap().matches(&row), want, "{f}");
        }
    }

    #[test]
    fn refuses_unknown_fields_and_operators() {
        assert!(parse("OrderTotal gt 5", F).is_err());
        assert!(parse("Status has 'x'", F).is_err());
        assert!(parse("endswith(Status,'n')", F).is_err());
        assert!(parse("Status eq 'x", F).is_err());
        assert!(parse("Status eq 'it''s'", F).is_ok());
    }
}
