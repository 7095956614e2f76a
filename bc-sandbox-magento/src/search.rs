//! `searchCriteria` exactly as Magento's REST layer reads it from a query string.
//!
//! - Keys: `searchCriteria[filter_groups][i][filters][j][field|value|condition_type]`,
//!   `searchCriteria[sortOrders][k][field|direction]`, `searchCriteria[pageSize]`,
//!   `searchCriteria[currentPage]`. Magento's `ServiceInputProcessor` maps snake_case and
//!   camelCase keys to the same setter, so `filterGroups` / `conditionType` / `page_size` are
//!   read too (admin schema: the parameters are documented as `filterGroups` and
//!   `conditionType`; Adobe's "Search using REST endpoints" page uses `filter_groups` and
//!   `condition_type`).
//! - Filters inside one group are OR'ed, groups are AND'ed (Adobe, "Search using REST
//!   endpoints": "filters within a filter group are combined with OR, filter groups with AND").
//! - Condition types (same page): `eq` (default), `finset`, `from`, `gt`, `gteq`, `in`, `like`,
//!   `lt`, `lteq`, `moreq`, `neq`, `nfinset`, `nin`, `nlike`, `notnull`, `null`, `to`. Any
//!   other is refused with 400 (stricter than Magento's MySQL adapter, which would silently
//!   treat it as an OR of equalities: a typo must not widen a query).
//! - A field that is not a column of the entity is refused with the SQL error Magento shows in
//!   developer mode (stricter than production mode's opaque 500).
//! - Page size: Web API input limits (Stores > Configuration > Services > Web API Input
//!   Limits, 2.4.7+) default page size 20, maximum 300: "Maximum SearchCriteria pageSize is
//!   %max". A `currentPage` past the last page gives the last page again
//!   (`Magento\Framework\Data\Collection::getCurPage` clamps), so a client must stop by
//!   `total_count`, not by an empty page.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::wire;

/// The condition types Magento knows.
pub const CONDITIONS: [&str; 17] = [
    "eq", "finset", "from", "gt", "gteq", "in", "like", "lt", "lteq", "moreq", "neq", "nfinset",
    "nin", "nlike", "notnull", "null", "to",
];

/// The default page size when none is given (input limits on).
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// One filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Field (column) name.
    pub field: String,
    /// Value.
    pub value: String,
    /// Condition type.
    pub condition: String,
}

/// A parsed `searchCriteria`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchCriteria {
    /// Groups (AND), each a list of filters (OR).
    pub groups: Vec<Vec<Filter>>,
    /// (field, ascending).
    pub sort: Vec<(String, bool)>,
    /// Page size as asked.
    pub page_size: Option<usize>,
    /// Current page as asked (1-based).
    pub current_page: Option<usize>,
}

fn norm(key: &str) -> String {
    key.replace('_', "").to_ascii_lowercase()
}

/// Splits `searchCriteria[a][0][b]` into `["searchCriteria", "a", "0", "b"]`.
fn segments(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (head, rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    out.push(head.to_string());
    for part in rest.split('[').skip(1) {
        out.push(part.trim_end_matches(']').to_string());
    }
    out
}

/// Parses the query string; `Err` is Magento's 400 response.
pub fn parse(query: &str, max_page_size: usize) -> Result<SearchCriteria, Response> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| wire::error(400, "Decoding error: the query string is malformed.", &[]))?;
    // group → filter → (field, value, condition)
    let mut groups: BTreeMap<usize, BTreeMap<usize, [Option<String>; 3]>> = BTreeMap::new();
    let mut sorts: BTreeMap<usize, (Option<String>, Option<String>)> = BTreeMap::new();
    let mut sc = SearchCriteria::default();
    for (k, v) in pairs {
        let seg = segments(&k);
        if seg.first().map(String::as_str) != Some("searchCriteria") {
            continue;
        }
        let names: Vec<String> = seg.iter().map(|s| norm(s)).collect();
        let idx = |i: usize| seg.get(i).and_then(|s| s.parse::<usize>().ok());
        match names.get(1).map(String::as_str) {
            Some("filtergroups") => {
                let (Some(g), Some("filters"), Some(f), Some(attr)) = (
                    idx(2),
                    names.get(3).map(String::as_str),
                    idx(4),
                    names.get(5).map(String::as_str),
                ) else {
                    return Err(bad_key(&k));
                };
                let slot = groups.entry(g).or_default().entry(f).or_default();
                match attr {
                    "field" => slot[0] = Some(v),
                    "value" => slot[1] = Some(v),
                    "conditiontype" => slot[2] = Some(v),
                    _ => return Err(bad_key(&k)),
                }
            }
            Some("sortorders") => {
                let (Some(i), Some(attr)) = (idx(2), names.get(3).map(String::as_str)) else {
                    return Err(bad_key(&k));
                };
                let slot = sorts.entry(i).or_default();
                match attr {
                    "field" => slot.0 = Some(v),
                    "direction" => slot.1 = Some(v),
                    _ => return Err(bad_key(&k)),
                }
            }
            Some("pagesize") => sc.page_size = Some(number(&v)?),
            Some("currentpage") => sc.current_page = Some(number(&v)?),
            _ => return Err(bad_key(&k)),
        }
    }
    for (_, filters) in groups {
        let mut group = Vec::new();
        for (_, [field, value, cond]) in filters {
            let Some(field) = field.filter(|f| !f.trim().is_empty()) else {
                return Err(wire::required("field"));
            };
            let condition = cond
                .unwrap_or_else(|| "eq".into())
                .trim()
                .to_ascii_lowercase();
            if !CONDITIONS.contains(&condition.as_str()) {
                return Err(wire::error(
                    400,
                    "Invalid condition type \"%1\" for field \"%2\".",
                    &[&condition, &field],
                ));
            }
            group.push(Filter {
                field,
                value: value.unwrap_or_default(),
                condition,
            });
        }
        sc.groups.push(group);
    }
    for (_, (field, dir)) in sorts {
        let Some(field) = field else {
            return Err(wire::required("field"));
        };
        let asc = !dir.is_some_and(|d| d.eq_ignore_ascii_case("desc"));
        sc.sort.push((field, asc));
    }
    if let Some(n) = sc.page_size {
        if n > max_page_size {
            return Err(wire::error_named(
                400,
                "Maximum SearchCriteria pageSize is %max",
                json!({ "max": max_page_size }),
            ));
        }
    }
    Ok(sc)
}

fn bad_key(key: &str) -> Response {
    wire::error(
        400,
        "Property \"%1\" does not have accessor method in class \"%2\".",
        &[key, "Magento\\Framework\\Api\\SearchCriteriaInterface"],
    )
}

fn number(v: &str) -> Result<usize, Response> {
    v.trim().parse::<usize>().map_err(|_| {
        wire::error(
            400,
            "The \"%1\" value's type is invalid. The \"%2\" type was expected. Verify and try again.",
            &[v, "int"],
        )
    })
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.into()),
        _ => None,
    }
}

/// MySQL-style comparison: numbers numerically, everything else case-insensitively
/// (utf8 general_ci collation; `Y-m-d H:i:s` dates sort as text).
fn compare(a: &str, b: &str) -> Ordering {
    match (a.trim().parse::<Decimal>(), b.trim().parse::<Decimal>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

fn like(value: &str, pattern: &str) -> bool {
    // SQL LIKE: % any run, _ one character; case-insensitive.
    fn go(v: &[char], p: &[char]) -> bool {
        match p.first() {
            None => v.is_empty(),
            Some('%') => (0..=v.len()).any(|i| go(&v[i..], &p[1..])),
            Some('_') => !v.is_empty() && go(&v[1..], &p[1..]),
            Some(c) => v.first() == Some(c) && go(&v[1..], &p[1..]),
        }
    }
    let v: Vec<char> = value.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    go(&v, &p)
}

fn matches(entity: &Value, f: &Filter) -> bool {
    let field = entity.get(&f.field).and_then(text);
    let list = || f.value.split(',').map(str::trim).collect::<Vec<_>>();
    match (f.condition.as_str(), field) {
        ("null", v) => v.is_none(),
        ("notnull", v) => v.is_some(),
        (_, None) => false,
        ("eq", Some(v)) => compare(&v, &f.value) == Ordering::Equal,
        ("neq", Some(v)) => compare(&v, &f.value) != Ordering::Equal,
        ("gt", Some(v)) => compare(&v, &f.value) == Ordering::Greater,
        ("lt", Some(v)) => compare(&v, &f.value) == Ordering::Less,
        ("gteq" | "moreq" | "from", Some(v)) => compare(&v, &f.value) != Ordering::Less,
        ("lteq" | "to", Some(v)) => compare(&v, &f.value) != Ordering::Greater,
        ("in", Some(v)) => list().iter().any(|x| compare(&v, x) == Ordering::Equal),
        ("nin", Some(v)) => !list().iter().any(|x| compare(&v, x) == Ordering::Equal),
        ("like", Some(v)) => like(&v, &f.value),
        ("nlike", Some(v)) => !like(&v, &f.value),
        ("finset", Some(v)) => v.split(',').any(|x| x.trim() == f.value.trim()),
        ("nfinset", Some(v)) => !v.split(',').any(|x| x.trim() == f.value.trim()),
        _ => false,
    }
}

/// Applies the criteria to the entities (each a JSON object whose top-level scalars are its
/// columns) and renders Magento's search result: `items`, `search_criteria`, `total_count`.
pub fn apply(
    sc: &SearchCriteria,
    entities: Vec<Value>,
    columns: &[&str],
) -> Result<Value, Response> {
    for f in sc.groups.iter().flatten() {
        if !columns.contains(&f.field.as_str()) {
            return Err(unknown_column(&f.field, "where clause"));
        }
    }
    for (f, _) in &sc.sort {
        if !columns.contains(&f.as_str()) {
            return Err(unknown_column(f, "order clause"));
        }
    }
    let mut hits: Vec<Value> = entities
        .into_iter()
        .filter(|e| sc.groups.iter().all(|g| g.iter().any(|f| matches(e, f))))
        .collect();
    hits.sort_by(|a, b| {
        for (field, asc) in &sc.sort {
            let x = a.get(field).and_then(text).unwrap_or_default();
            let y = b.get(field).and_then(text).unwrap_or_default();
            let o = compare(&x, &y);
            if o != Ordering::Equal {
                return if *asc { o } else { o.reverse() };
            }
        }
        Ordering::Equal
    });
    let total = hits.len();
    let size = sc.page_size.unwrap_or(DEFAULT_PAGE_SIZE).max(1);
    let last_page = total.div_ceil(size).max(1);
    let page = sc.current_page.unwrap_or(1).clamp(1, last_page);
    let items: Vec<Value> = hits
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    Ok(json!({
        "items": items,
        "search_criteria": echo(sc),
        "total_count": total,
    }))
}

fn unknown_column(field: &str, clause: &str) -> Response {
    wire::error(
        400,
        "SQLSTATE[42S22]: Column not found: 1054 Unknown column '%1' in '%2'",
        &[field, clause],
    )
}

/// The `search_criteria` Magento echoes back.
pub fn echo(sc: &SearchCriteria) -> Value {
    let mut v = json!({
        "filter_groups": sc.groups.iter().map(|g| json!({
            "filters": g.iter().map(|f| json!({"field": f.field, "value": f.value, "condition_type": f.condition})).collect::<Vec<_>>()
        })).collect::<Vec<_>>(),
    });
    if !sc.sort.is_empty() {
        v["sort_orders"] = json!(sc
            .sort
            .iter()
            .map(|(f, asc)| json!({"field": f, "direction": if *asc { "ASC" } else { "DESC" }}))
            .collect::<Vec<_>>());
    }
    if let Some(n) = sc.page_size {
        v["page_size"] = json!(n);
    }
    if let Some(n) = sc.current_page {
        v["current_page"] = json!(n);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn or_inside_and_across() {
        let q = "searchCriteria[filter_groups][0][filters][0][field]=status&searchCriteria[filter_groups][0][filters][0][value]=pending\
&searchCriteria[filter_groups][0][filters][1][field]=status&searchCriteria[filter_groups][0][filters][1][value]=processing\
&searchCriteria[filter_groups][1][filters][0][field]=grand_total&searchCriteria[filter_groups][1][filters][0][value]=50&searchCriteria[filter_groups][1][filters][0][condition_type]=gt";
        let sc = parse(q, 300).unwrap();
        let rows = vec![
            json!({"status": "pending", "grand_total": 60}),
            json!({"status": "processing", "grand_total": 40}),
            json!({"status": "complete", "grand_total": 90}),
            json!({"status": "Processing", "grand_total": 51.5}),
        ];
        let out = apply(&sc, rows, &["status", "grand_total"]).unwrap();
        assert_eq!(out["total_count"], 2);
    }

    #[test]
    fn refuses_unknown_conditions_and_columns() {
        let q = "searchCriteria[filterGroups][0][filters][0][field]=status&searchCriteria[filterGroups][0][filters][0][value]=x&searchCriteria[filterGroups][0][filters][0][conditionType]=equals";
        assert!(parse(q, 300).is_err());
        let q = "searchCriteria[filterGroups][0][filters][0][field]=nope&searchCriteria[filterGroups][0][filters][0][value]=x";
        let sc = parse(q, 300).unwrap();
        assert!(apply(&sc, vec![], &["status"]).is_err());
        assert!(parse("searchCriteria[pageSize]=301", 300).is_err());
    }

    #[test]
    fn past_the_last_page_gives_the_last_page() {
        let sc = parse(
            "searchCriteria[pageSize]=2&searchCriteria[currentPage]=9",
            300,
        )
        .unwrap();
        let rows = (0..5).map(|i| json!({"entity_id": i})).collect();
        let out = apply(&sc, rows, &["entity_id"]).unwrap();
        assert_eq!(out["items"][0]["entity_id"], 4);
    }

    #[test]
    fn like_patterns() {
        assert!(like("Order-1001", "order-%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abcd", "a_c"));
    }
}
