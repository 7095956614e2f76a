//! The OData v4 query options the sandbox implements, and nothing more: `$filter` with
//! `eq ne gt ge lt le`, `and`, `or`, `not`, parentheses, `startswith(f,'x')` and
//! `contains(f,'x')` on the entity's own fields; `$select`; `$expand` of the document's
//! lines; `$top`, `$skip`, `$orderby` on one field; server-driven paging with
//! `@odata.nextLink` (`$skiptoken`). Anything else is refused with BC's error instead of
//! being silently ignored (a sandbox is never kinder than the platform).

use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::errors::BcError;
use crate::schema::{EntitySet, Ty};

/// Parsed query options.
#[derive(Clone, Debug, Default)]
pub struct QueryOptions {
    /// `$filter`.
    pub filter: Option<Expr>,
    /// `$select` field names.
    pub select: Option<Vec<String>>,
    /// `$expand` navigation names.
    pub expand: Vec<String>,
    /// `$top`.
    pub top: Option<usize>,
    /// `$skip`.
    pub skip: usize,
    /// `$orderby` field and descending flag.
    pub order_by: Option<(String, bool)>,
    /// `$skiptoken` (the sandbox's own paging position).
    pub skip_token: Option<usize>,
    /// The raw `$filter` text (to mention it in errors).
    pub raw_filter: Option<String>,
}

/// A `$filter` expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// `not a`.
    Not(Box<Expr>),
    /// `field op literal`.
    Cmp(String, CmpOp, Lit),
    /// `startswith(field,'x')`.
    StartsWith(String, String),
    /// `contains(field,'x')`.
    Contains(String, String),
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
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
pub enum Lit {
    /// `'text'`.
    Str(String),
    /// A number.
    Num(Decimal),
    /// `true`/`false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An unquoted GUID, date or date-time.
    Bare(String),
}

impl QueryOptions {
    /// Parses the query pairs for entity set `set`. `lines` is the set's line collection
    /// (the only `$expand` allowed).
    pub fn parse(pairs: &[(String, String)], set: &EntitySet) -> Result<Self, BcError> {
        let mut q = QueryOptions::default();
        for (k, v) in pairs {
            match k.as_str() {
                "$filter" => {
                    let expr = Parser::new(v).parse_all()?;
                    check_fields(&expr, set)?;
                    q.filter = Some(expr);
                    q.raw_filter = Some(v.clone());
                }
                "$select" => {
                    let fields: Vec<String> = v.split(',').map(|s| s.trim().to_string()).collect();
                    for f in &fields {
                        if set.field(f).is_none() {
                            return Err(no_property(f, set));
                        }
                    }
                    q.select = Some(fields);
                }
                "$expand" => {
                    for nav in v.split(',').map(str::trim) {
                        if nav.contains('(') {
                            return Err(BcError::not_implemented(format!(
                                "Nested query options in $expand ('{nav}') are not supported by this endpoint."
                            )));
                        }
                        if set.lines != Some(nav) {
                            return Err(BcError::query_syntax(format!(
                                "Could not find a property named '{nav}' on type 'Microsoft.NAV.{}'.",
                                set.type_name
                            )));
                        }
                        q.expand.push(nav.to_string());
                    }
                }
                "$top" => q.top = Some(parse_count(k, v)?),
                "$skip" => q.skip = parse_count(k, v)?,
                "$skiptoken" => q.skip_token = Some(parse_count(k, v)?),
                "$orderby" => {
                    let mut parts = v.split_whitespace();
                    let field = parts.next().unwrap_or("").to_string();
                    if set.field(&field).is_none() {
                        return Err(no_property(&field, set));
                    }
                    let desc = match parts.next() {
                        None | Some("asc") => false,
                        Some("desc") => true,
                        Some(other) => {
                            return Err(BcError::query_syntax(format!(
                                "'{other}' is not a valid sort direction."
                            )))
                        }
                    };
                    if parts.next().is_some() || v.contains(',') {
                        return Err(BcError::not_implemented(
                            "Ordering by more than one property is not supported by this endpoint.",
                        ));
                    }
                    q.order_by = Some((field, desc));
                }
                "$schemaversion" | "company" | "tenant" => {}
                other if other.starts_with('$') => {
                    return Err(BcError::not_implemented(format!(
                        "The query option '{other}' is not supported by this endpoint."
                    )))
                }
                _ => {}
            }
        }
        Ok(q)
    }

    /// Whether `row` passes the filter.
    pub fn matches(&self, row: &Value, set: &EntitySet) -> bool {
        self.filter.as_ref().is_none_or(|e| eval(e, row, set))
    }
}

fn parse_count(k: &str, v: &str) -> Result<usize, BcError> {
    v.trim().parse().map_err(|_| {
        BcError::query_syntax(format!("Invalid value '{v}' for the query option '{k}'."))
    })
}

fn no_property(f: &str, set: &EntitySet) -> BcError {
    BcError::query_syntax(format!(
        "Could not find a property named '{f}' on type 'Microsoft.NAV.{}'.",
        set.type_name
    ))
}

fn check_fields(e: &Expr, set: &EntitySet) -> Result<(), BcError> {
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => {
            check_fields(a, set)?;
            check_fields(b, set)
        }
        Expr::Not(a) => check_fields(a, set),
        Expr::Cmp(f, _, _) | Expr::StartsWith(f, _) | Expr::Contains(f, _) => {
            set.field(f).map(|_| ()).ok_or_else(|| no_property(f, set))
        }
    }
}

fn eval(e: &Expr, row: &Value, set: &EntitySet) -> bool {
    match e {
        Expr::And(a, b) => eval(a, row, set) && eval(b, row, set),
        Expr::Or(a, b) => eval(a, row, set) || eval(b, row, set),
        Expr::Not(a) => !eval(a, row, set),
        Expr::StartsWith(f, s) => row
            .get(f)
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with(s.as_str())),
        Expr::Contains(f, s) => row
            .get(f)
            .and_then(Value::as_str)
            .is_some_and(|v| v.contains(s.as_str())),
        Expr::Cmp(f, op, lit) => {
            let ty = set.field(f).map(|f| f.ty).unwrap_or(Ty::Str);
            let ord = compare(row.get(f).unwrap_or(&Value::Null), lit, ty);
            match (op, ord) {
                (_, None) => *op == CmpOp::Ne,
                (CmpOp::Eq, Some(o)) => o == Ordering::Equal,
                (CmpOp::Ne, Some(o)) => o != Ordering::Equal,
                (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
                (CmpOp::Ge, Some(o)) => o != Ordering::Less,
                (CmpOp::Lt, Some(o)) => o == Ordering::Less,
                (CmpOp::Le, Some(o)) => o != Ordering::Greater,
            }
        }
    }
}

/// Orders two field values of type `ty` (for `$orderby`).
pub fn compare_values(a: &Value, b: &Value, ty: Ty) -> Ordering {
    match ty {
        Ty::Dec | Ty::Int => dec_of(a).cmp(&dec_of(b)),
        Ty::DateTime => datetime(a.as_str()).cmp(&datetime(b.as_str())),
        _ => a.as_str().unwrap_or("").cmp(b.as_str().unwrap_or("")),
    }
}

fn dec_of(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn datetime(s: Option<&str>) -> Option<chrono::DateTime<chrono::Utc>> {
    s.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&chrono::Utc))
}

fn compare(v: &Value, lit: &Lit, ty: Ty) -> Option<Ordering> {
    match (lit, v) {
        (Lit::Null, Value::Null) => Some(Ordering::Equal),
        (Lit::Null, _) | (_, Value::Null) => None,
        (Lit::Num(n), _) => dec_of(v).map(|d| d.cmp(n)),
        (Lit::Bool(b), Value::Bool(x)) => Some(x.cmp(b)),
        (Lit::Str(s), Value::String(x)) => Some(x.as_str().cmp(s.as_str())),
        (Lit::Bare(s), Value::String(x)) => match ty {
            Ty::Guid => Some(x.to_ascii_lowercase().cmp(&s.to_ascii_lowercase())),
            Ty::DateTime => Some(datetime(Some(x)).cmp(&datetime(Some(s)))),
            _ => Some(x.as_str().cmp(s.as_str())),
        },
        _ => None,
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser { src, pos: 0 }
    }

    fn err(&self, what: &str) -> BcError {
        BcError::query_syntax(format!(
            "{what} at position {} in '{}'.",
            self.pos, self.src
        ))
    }

    fn ws(&mut self) {
        while self.src[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }

    fn parse_all(&mut self) -> Result<Expr, BcError> {
        let e = self.or()?;
        self.ws();
        if self.pos < self.src.len() {
            return Err(self.err("Syntax error"));
        }
        Ok(e)
    }

    fn keyword(&mut self, kw: &str) -> bool {
        self.ws();
        let rest = &self.src[self.pos..];
        if rest.starts_with(kw)
            && rest[kw.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == ' ' || c == '(')
        {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, BcError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, BcError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, BcError> {
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn ident(&mut self) -> String {
        self.ws();
        let start = self.pos;
        while let Some(c) = self.src[self.pos..].chars().next() {
            if c.is_ascii_alphanumeric() || c == '_' || c == '/' || c == '.' || c == '@' {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        self.src[start..self.pos].to_string()
    }

    fn expect(&mut self, c: char) -> Result<(), BcError> {
        self.ws();
        if self.src[self.pos..].starts_with(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("'{c}' expected")))
        }
    }

    fn primary(&mut self) -> Result<Expr, BcError> {
        self.ws();
        if self.src[self.pos..].starts_with('(') {
            self.pos += 1;
            let e = self.or()?;
            self.expect(')')?;
            return Ok(e);
        }
        let name = self.ident();
        if name.is_empty() {
            return Err(self.err("Expression expected"));
        }
        if name.contains('/') {
            return Err(BcError::not_implemented(format!(
                "Filtering on navigation properties ('{name}') is not supported by this endpoint."
            )));
        }
        self.ws();
        if self.src[self.pos..].starts_with('(') {
            self.pos += 1;
            let func = name;
            if func != "startswith" && func != "contains" {
                return Err(BcError::not_implemented(format!(
                    "The function '{func}' is not supported by this endpoint."
                )));
            }
            let field = self.ident();
            self.expect(',')?;
            let lit = self.literal()?;
            self.expect(')')?;
            let Lit::Str(s) = lit else {
                return Err(self.err("A string literal expected"));
            };
            return Ok(if func == "startswith" {
                Expr::StartsWith(field, s)
            } else {
                Expr::Contains(field, s)
            });
        }
        let op = self.ident();
        let op = match op.as_str() {
            "eq" => CmpOp::Eq,
            "ne" => CmpOp::Ne,
            "gt" => CmpOp::Gt,
            "ge" => CmpOp::Ge,
            "lt" => CmpOp::Lt,
            "le" => CmpOp::Le,
            "in" | "has" | "add" | "sub" | "mul" | "div" | "mod" => {
                return Err(BcError::not_implemented(format!(
                    "The operator '{op}' is not supported by this endpoint."
                )))
            }
            _ => return Err(self.err("Comparison operator expected")),
        };
        let lit = self.literal()?;
        Ok(Expr::Cmp(name, op, lit))
    }

    fn literal(&mut self) -> Result<Lit, BcError> {
        self.ws();
        let rest = &self.src[self.pos..];
        if rest.starts_with('\'') {
            let mut out = String::new();
            let mut i = self.pos + 1;
            let bytes = self.src.as_bytes();
            loop {
                let Some(c) = self.src[i..].chars().next() else {
                    return Err(self.err("Unterminated string literal"));
                };
                if c == '\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        out.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                out.push(c);
                i += c.len_utf8();
            }
            self.pos = i;
            return Ok(Lit::Str(out));
        }
        let start = self.pos;
        while let Some(c) = self.src[self.pos..].chars().next() {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '+' | '_') {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        let tok = &self.src[start..self.pos];
        Ok(match tok {
            "" => return Err(self.err("Literal expected")),
            "true" => Lit::Bool(true),
            "false" => Lit::Bool(false),
            "null" => Lit::Null,
            t if t.len() < 20 && t.parse::<Decimal>().is_ok() && !t.contains('-')
                || t.starts_with('-') && t[1..].parse::<Decimal>().is_ok() =>
            {
                Lit::Num(t.parse().map_err(|_| self.err("Number expected"))?)
            }
            t => Lit::Bare(t.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> &'static EntitySet {
        crate::schema::set("salesInvoices").expect("salesInvoices")
    }

    fn q(f: &str) -> Result<QueryOptions, BcError> {
        QueryOptions::parse(&[("$filter".to_string(), f.to_string())], set())
    }

    #[test]
    fn filters_evaluate() {
        let row = serde_json::json!({"externalDocumentNumber": "BC11042", "totalAmountIncludingTax": 12.5,
            "lastModifiedDateTime": "2026-11-01T10:00:00.000Z", "customerId": "AB-1"});
        let ok = |f: &str| q(f).expect(f).matches(&row, set());
        assert!(ok("externalDocumentNumber eq 'BC11042'"));
        assert!(!ok("externalDocumentNumber eq 'BC11043'"));
        assert!(ok(
            "startswith(externalDocumentNumber,'BC1') and totalAmountIncludingTax gt 12"
        ));
        assert!(ok("lastModifiedDateTime gt 2026-11-01T09:59:59Z"));
        assert!(ok("(externalDocumentNumber eq 'x' or customerId eq ab-1)"));
    }

    #[test]
    fn refuses_what_it_does_not_implement() {
        assert_eq!(
            q("externalDocumentNumber in ('a')").unwrap_err().code,
            "BadRequest_MethodNotImplemented"
        );
        assert_eq!(q("nosuch eq 'a'").unwrap_err().code, "BadRequest_NotFound");
        assert_eq!(
            q("endswith(number,'1')").unwrap_err().code,
            "BadRequest_MethodNotImplemented"
        );
        assert!(q("number eq 'a").is_err());
    }
}
