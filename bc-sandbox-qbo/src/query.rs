//! QBO's query language: a parser and an evaluator over the stored entities.
//!
//! ```text
//! SELECT * | COUNT(*) | field, … FROM Entity
//!   [WHERE cond AND cond …]   cond: field (= | != | < | > | <= | >=) value
//!                                  | field IN (value, …) | field LIKE 'pa%tern'
//!   [ORDERBY field [ASC|DESC], …] [STARTPOSITION n] [MAXRESULTS m]
//! ```
//!
//! Keywords and field names are case-insensitive; fields may be dotted
//! (`MetaData.LastUpdatedTime`); a reference field compares by its `value`
//! (`CustomerRef = '1'`), an e-mail field by its `Address`. Name lists (Customer, Item, Account…)
//! return active rows only unless the query filters on `Active`. At most 1000 rows per page
//! (default 100).

use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::clock::parse_datetime;
use crate::entities::names::pseudo_tax_code;
use crate::errors::QboError;
use crate::json::{parse_decimal, path_ci};
use crate::state::{Books, EntityKind};

/// Largest page QBO serves.
pub const MAX_RESULTS: usize = 1000;
/// Page size when `MAXRESULTS` is not given.
pub const DEFAULT_MAX_RESULTS: usize = 100;

/// What the query selects.
#[derive(Clone, Debug, PartialEq)]
pub enum Select {
    /// `*`
    All,
    /// `COUNT(*)`
    Count,
    /// A list of fields.
    Fields(Vec<String>),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `IN (…)`
    In,
    /// `LIKE '…'`
    Like,
}

/// A literal in a condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    /// `'text'`
    Str(String),
    /// `12.5`
    Num(Decimal),
    /// `true` / `false`
    Bool(bool),
}

/// One `field op value` condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Cond {
    /// The (possibly dotted) field.
    pub field: String,
    /// The operator.
    pub op: Op,
    /// One value, or several for `IN`.
    pub values: Vec<Lit>,
}

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// What is selected.
    pub select: Select,
    /// The entity type.
    pub entity: EntityKind,
    /// Conditions, all of which must hold.
    pub conds: Vec<Cond>,
    /// Sort keys, `true` for descending.
    pub order: Vec<(String, bool)>,
    /// 1-based first row.
    pub start: usize,
    /// Page size.
    pub max: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(String),
    Sym(&'static str),
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => w.clone(),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Num(n) => n.clone(),
        Tok::Sym(s) => (*s).to_string(),
    }
}

fn tokenize(q: &str) -> Result<Vec<(Tok, usize)>, QboError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(QboError::query_parse(&format!(
                            "Lexical error at line 1, column {col}. Unterminated string literal"
                        )))
                    }
                    Some('\\') => {
                        if let Some(n) = chars.get(i + 1) {
                            s.push(*n);
                        }
                        i += 2;
                    }
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push((Tok::Str(s), col));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_digit() || *c == '.')
            {
                i += 1;
            }
            out.push((
                Tok::Num(chars.iter().skip(start).take(i - start).collect()),
                col,
            ));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            out.push((
                Tok::Word(chars.iter().skip(start).take(i - start).collect()),
                col,
            ));
        } else {
            let two: String = chars.iter().skip(i).take(2).collect();
            let sym = match two.as_str() {
                "<=" => Some("<="),
                ">=" => Some(">="),
                "!=" => Some("!="),
                "<>" => Some("!="),
                _ => None,
            };
            if let Some(s) = sym {
                out.push((Tok::Sym(s), col));
                i += 2;
                continue;
            }
            let s = match c {
                '=' => "=",
                '<' => "<",
                '>' => ">",
                '(' => "(",
                ')' => ")",
                ',' => ",",
                '*' => "*",
                _ => {
                    return Err(QboError::query_parse(&format!(
                        "Lexical error at line 1, column {col}.  Encountered: \"{c}\""
                    )))
                }
            };
            out.push((Tok::Sym(s), col));
            i += 1;
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn error(&self) -> QboError {
        match self.toks.get(self.pos) {
            Some((t, col)) => QboError::query_parse(&format!(
                "Encountered \" \"{}\" \"\" at line 1, column {col}.",
                describe(t)
            )),
            None => QboError::query_parse("Encountered \"<EOF>\" at end of query."),
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.0.clone());
        self.pos += 1;
        t
    }

    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, k: &str) -> Result<(), QboError> {
        if self.keyword(k) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn sym(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(x)) if *x == s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), QboError> {
        if self.sym(s) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn ident(&mut self) -> Result<String, QboError> {
        match self.peek() {
            Some(Tok::Word(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.error()),
        }
    }

    fn literal(&mut self) -> Result<Lit, QboError> {
        match self.peek().cloned() {
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Lit::Str(s))
            }
            Some(Tok::Num(n)) => {
                let d = parse_decimal(&n).ok_or_else(|| self.error())?;
                self.pos += 1;
                Ok(Lit::Num(d))
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => {
                self.pos += 1;
                Ok(Lit::Bool(true))
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => {
                self.pos += 1;
                Ok(Lit::Bool(false))
            }
            _ => Err(self.error()),
        }
    }

    fn count(&mut self) -> Result<usize, QboError> {
        match self.next() {
            Some(Tok::Num(n)) => n.parse::<usize>().map_err(|_| {
                self.pos -= 1;
                self.error()
            }),
            _ => {
                self.pos -= 1;
                Err(self.error())
            }
        }
    }
}

/// Parses a query.
pub fn parse(q: &str) -> Result<Query, QboError> {
    let mut p = Parser {
        toks: tokenize(q)?,
        pos: 0,
    };
    p.expect_keyword("select")?;
    let select = if p.sym("*") {
        // `SELECT *, Sku FROM Item` (what some SDKs send): the extra fields are already in `*`.
        while p.sym(",") {
            p.ident()?;
        }
        Select::All
    } else if matches!(p.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case("count"))
        && matches!(p.toks.get(p.pos + 1), Some((Tok::Sym("("), _)))
    {
        p.pos += 1;
        p.expect_sym("(")?;
        p.expect_sym("*")?;
        p.expect_sym(")")?;
        Select::Count
    } else {
        let mut fields = vec![p.ident()?];
        while p.sym(",") {
            fields.push(p.ident()?);
        }
        Select::Fields(fields)
    };
    p.expect_keyword("from")?;
    let entity_name = p.ident()?;
    let entity = EntityKind::parse(&entity_name)
        .ok_or_else(|| QboError::query_parse(&format!("Invalid entity name: {entity_name}")))?;
    let mut conds = Vec::new();
    if p.keyword("where") {
        loop {
            let field = p.ident()?;
            // Intuit's reference: only fields marked filterable may be used (4001 otherwise).
            if !crate::filterable::is_filterable(entity, &field) {
                return Err(crate::filterable::not_queryable(&field));
            }
            let (op, values) = if p.keyword("in") {
                p.expect_sym("(")?;
                let mut vals = vec![p.literal()?];
                while p.sym(",") {
                    vals.push(p.literal()?);
                }
                p.expect_sym(")")?;
                (Op::In, vals)
            } else if p.keyword("like") {
                (Op::Like, vec![p.literal()?])
            } else {
                let op = match p.next() {
                    Some(Tok::Sym("=")) => Op::Eq,
                    Some(Tok::Sym("!=")) => Op::Ne,
                    Some(Tok::Sym("<")) => Op::Lt,
                    Some(Tok::Sym(">")) => Op::Gt,
                    Some(Tok::Sym("<=")) => Op::Le,
                    Some(Tok::Sym(">=")) => Op::Ge,
                    _ => {
                        p.pos -= 1;
                        return Err(p.error());
                    }
                };
                (op, vec![p.literal()?])
            };
            conds.push(Cond { field, op, values });
            if !p.keyword("and") {
                break;
            }
        }
    }
    let mut order = Vec::new();
    let order_by = p.keyword("orderby") || (p.keyword("order") && p.keyword("by"));
    if order_by {
        loop {
            let field = p.ident()?;
            let desc = if p.keyword("desc") {
                true
            } else {
                p.keyword("asc");
                false
            };
            order.push((field, desc));
            if !p.sym(",") {
                break;
            }
        }
    }
    let mut start = 1;
    let mut max = DEFAULT_MAX_RESULTS;
    loop {
        if p.keyword("startposition") {
            start = p.count()?.max(1);
        } else if p.keyword("maxresults") {
            max = p.count()?.min(MAX_RESULTS);
        } else {
            break;
        }
    }
    if p.peek().is_some() {
        return Err(p.error());
    }
    Ok(Query {
        select,
        entity,
        conds,
        order,
        start,
        max,
    })
}

/// The comparable part of a field: a reference's `value`, an e-mail's `Address`, a phone's
/// `FreeFormNumber`, else the field itself.
fn field<'a>(row: &'a Value, name: &str) -> Option<&'a Value> {
    let v = path_ci(row, name)?;
    if let Value::Object(m) = v {
        for k in ["value", "Address", "FreeFormNumber", "URI"] {
            if let Some(inner) = m.get(k) {
                return Some(inner);
            }
        }
    }
    Some(v)
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn looks_temporal(s: &str) -> bool {
    s.len() >= 10 && s.as_bytes().get(4) == Some(&b'-') && s.as_bytes().get(7) == Some(&b'-')
}

fn compare_text(a: &str, b: &str) -> Ordering {
    if let (Some(x), Some(y)) = (parse_decimal(a.trim()), parse_decimal(b.trim())) {
        return x.cmp(&y);
    }
    if looks_temporal(a) && looks_temporal(b) {
        if let (Some(x), Some(y)) = (parse_datetime(a), parse_datetime(b)) {
            return x.cmp(&y);
        }
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn compare(v: &Value, lit: &Lit) -> Option<Ordering> {
    match lit {
        Lit::Bool(b) => {
            let x = match v {
                Value::Bool(x) => *x,
                Value::String(s) => s.eq_ignore_ascii_case("true"),
                _ => return None,
            };
            Some(x.cmp(b))
        }
        Lit::Num(n) => as_text(v).map(|t| compare_text(&t, &n.to_string())),
        Lit::Str(s) => {
            if let Value::Bool(x) = v {
                return Some(x.to_string().cmp(&s.to_lowercase()));
            }
            as_text(v).map(|t| compare_text(&t, s))
        }
    }
}

fn like(v: &Value, pattern: &Lit) -> bool {
    let (Some(text), Lit::Str(p)) = (as_text(v), pattern) else {
        return false;
    };
    let text = text.to_lowercase();
    let p = p.to_lowercase();
    let parts: Vec<&str> = p.split('%').collect();
    let mut rest = text.as_str();
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    parts.len() > 1 || rest.is_empty()
}

fn matches(row: &Value, c: &Cond) -> bool {
    let Some(v) = field(row, &c.field) else {
        return false;
    };
    match c.op {
        Op::In => c
            .values
            .iter()
            .any(|l| compare(v, l) == Some(Ordering::Equal)),
        Op::Like => c.values.first().is_some_and(|l| like(v, l)),
        op => {
            let Some(o) = c.values.first().and_then(|l| compare(v, l)) else {
                return false;
            };
            match op {
                Op::Eq => o == Ordering::Equal,
                Op::Ne => o != Ordering::Equal,
                Op::Lt => o == Ordering::Less,
                Op::Gt => o == Ordering::Greater,
                Op::Le => o != Ordering::Greater,
                Op::Ge => o != Ordering::Less,
                Op::In | Op::Like => false,
            }
        }
    }
}

fn cmp_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a.and_then(as_text), b.and_then(as_text)) {
        (Some(x), Some(y)) => compare_text(&x, &y),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The rows a query matches, before paging (also what CDC and introspection reuse).
pub fn matching(books: &Books, q: &Query) -> Vec<Value> {
    let mut rows: Vec<Value> = Vec::new();
    if q.entity == EntityKind::TaxCode {
        rows.extend(
            ["TAX", "NON"]
                .iter()
                .filter_map(|c| pseudo_tax_code(books, c)),
        );
    }
    rows.extend(books.rows(q.entity).cloned());
    let mentions_active = q
        .conds
        .iter()
        .any(|c| c.field.eq_ignore_ascii_case("Active"));
    rows.retain(|r| {
        (mentions_active || !q.entity.has_active_flag() || crate::entities::names::is_active(r))
            && q.conds.iter().all(|c| matches(r, c))
    });
    if !q.order.is_empty() {
        rows.sort_by(|a, b| {
            for (f, desc) in &q.order {
                let o = cmp_values(field(a, f), field(b, f));
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
    }
    rows
}

/// Runs a query and renders the `QueryResponse` object.
pub fn run(books: &Books, q: &Query) -> Value {
    let rows = matching(books, q);
    if q.select == Select::Count {
        return json!({ "totalCount": rows.len() });
    }
    let page: Vec<Value> = rows
        .into_iter()
        .skip(q.start.saturating_sub(1))
        .take(q.max)
        .map(|r| match &q.select {
            Select::Fields(fields) => project(&r, fields),
            _ => r,
        })
        .collect();
    let mut m = Map::new();
    if !page.is_empty() {
        let n = page.len();
        m.insert(q.entity.name().to_string(), Value::Array(page));
        m.insert("startPosition".into(), json!(q.start));
        m.insert("maxResults".into(), json!(n));
    }
    Value::Object(m)
}

fn project(row: &Value, fields: &[String]) -> Value {
    let mut m = Map::new();
    if let Some(obj) = row.as_object() {
        for f in fields {
            let top = f.split('.').next().unwrap_or(f);
            if let Some((k, v)) = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(top)) {
                m.insert(k.clone(), v.clone());
            }
        }
        for k in ["domain", "sparse", "Id", "SyncToken"] {
            if let Some(v) = obj.get(k) {
                m.entry(k.to_string()).or_insert(v.clone());
            }
        }
        m.insert("sparse".into(), json!(true));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let q = parse("select * from Customer where DisplayName = 'Amy\\'s Bird' AND Active IN (true, false) ORDERBY Id DESC STARTPOSITION 11 MAXRESULTS 5000")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(q.entity, EntityKind::Customer);
        assert_eq!(q.conds.len(), 2);
        assert_eq!(q.conds[0].values, vec![Lit::Str("Amy's Bird".into())]);
        assert_eq!(q.order, vec![("Id".to_string(), true)]);
        assert_eq!((q.start, q.max), (11, 1000));
        let c = parse("SELECT COUNT(*) FROM Invoice WHERE MetaData.LastUpdatedTime >= '2015-01-01T00:00:00-08:00'")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.select, Select::Count);
        assert_eq!(
            parse("SELECT *, Sku FROM Item").map(|q| q.select).ok(),
            Some(Select::All)
        );
        let f = parse("select Id, DocNumber from SalesReceipt where TotalAmt > '300.00'")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            f.select,
            Select::Fields(vec!["Id".into(), "DocNumber".into()])
        );
    }

    #[test]
    fn rejects_bad_queries_with_4000() {
        for bad in [
            "select * form Customer",
            "select * from Nope",
            "select * from Invoice where",
            "select * from Invoice where DocNumber = 'x",
            "select * from Invoice MAXRESULTS abc",
        ] {
            let e = parse(bad).err().map(|e| e.code);
            assert_eq!(e.as_deref(), Some("4000"), "{bad}");
        }
    }

    #[test]
    fn like_and_compare() {
        let v = json!("Amy's Bird Sanctuary");
        assert!(like(&v, &Lit::Str("amy%".into())));
        assert!(like(&v, &Lit::Str("%bird%".into())));
        assert!(!like(&v, &Lit::Str("%dog%".into())));
        assert_eq!(
            compare(&json!("12"), &Lit::Str("9".into())),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(
                &json!("2015-07-24T10:33:39-07:00"),
                &Lit::Str("2015-07-24T17:33:40Z".into())
            ),
            Some(Ordering::Less)
        );
    }
}
