//! BigCommerce wire formats: money strings, dates, error bodies, pagination.
//!
//! - v2 money is a string with exactly four decimals (`"12.5000"`); exchange rates ten.
//! - v3 money is a JSON number (`12.5`), written exactly (no float round trip).
//! - v2 dates are RFC 2822 (`"Tue, 20 Nov 2012 00:00:00 +0000"`); an empty date is `""`.
//! - v3 dates are RFC 3339 (`"2022-06-16T16:44:15+00:00"`).
//! - v2 errors are an array `[{"status": 404, "message": "…"}]`; v3 errors an object
//!   `{"status", "title", "type", "errors"}`.

use std::collections::BTreeMap;
use std::str::FromStr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

/// The `type` URL BigCommerce puts in v3 error bodies.
pub const ERROR_TYPE: &str =
    "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

/// Round half away from zero to `dp` decimals (what a till does).
pub fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// A v2 money string with four decimals: `12.5` → `"12.5000"`.
pub fn money(d: Decimal) -> String {
    let mut r = round(d, 4);
    r.rescale(4);
    r.to_string()
}

/// A v2 exchange-rate string with ten decimals: `1` → `"1.0000000000"`.
pub fn rate10(d: Decimal) -> String {
    let mut r = round(d, 10);
    r.rescale(10);
    r.to_string()
}

/// A v3 JSON number, exact (`12.50` → `12.5`, `3` → `3`).
pub fn num(d: Decimal) -> Value {
    let text = d.normalize().to_string();
    match serde_json::Number::from_str(&text) {
        Ok(n) => Value::Number(n),
        Err(_) => Value::String(text),
    }
}

/// RFC 2822 as BigCommerce writes it, always in UTC: `"Tue, 20 Nov 2012 00:00:00 +0000"`.
pub fn rfc2822(dt: DateTime<Utc>) -> String {
    dt.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// RFC 2822, or `""` when there is no date (BigCommerce's empty date).
pub fn rfc2822_opt(dt: Option<DateTime<Utc>>) -> String {
    dt.map(rfc2822).unwrap_or_default()
}

/// RFC 3339 with a `+00:00` offset, as v3 refunds write it.
pub fn rfc3339(dt: DateTime<Utc>) -> String {
    dt.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// RFC 3339 with `Z`, as v3 customers write it.
pub fn rfc3339_z(dt: DateTime<Utc>) -> String {
    dt.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parse a date filter the way BigCommerce accepts them: RFC 2822, ISO 8601 / RFC 3339
/// (with or without offset, `Z` or fractional seconds), a plain `YYYY-MM-DD`, or a Unix timestamp.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|n| Utc.from_utc_datetime(&n));
    }
    if let Ok(ts) = s.parse::<i64>() {
        return Utc.timestamp_opt(ts, 0).single();
    }
    None
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A v2 error: `[{"status": code, "message": message}]`.
pub fn v2_error(code: u16, message: &str) -> Response {
    (
        status(code),
        Json(json!([{ "status": code, "message": message }])),
    )
        .into_response()
}

/// A v3 error: `{"status", "title", "type", "errors": {}}`.
pub fn v3_error(code: u16, title: &str) -> Response {
    v3_error_with(code, title, json!({}))
}

/// A v3 error with detailed `errors`.
pub fn v3_error_with(code: u16, title: &str, errors: Value) -> Response {
    (
        status(code),
        Json(json!({ "status": code, "title": title, "type": ERROR_TYPE, "errors": errors })),
    )
        .into_response()
}

/// The v2 404 BigCommerce sends for a missing order or sub-resource.
pub fn v2_not_found() -> Response {
    v2_error(404, "The requested resource was not found.")
}

/// `204 No Content` with an empty body (BigCommerce's answer to an empty list page).
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Query parameters as sent (`sku:in`, `created:min`, … are plain keys).
pub type Params = BTreeMap<String, String>;

/// A page request: 1-based page and a page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// 1-based page number.
    pub page: usize,
    /// Page size.
    pub limit: usize,
}

impl Page {
    /// Read `page` and `limit` (default 50, at most `max`). Malformed values fall back to the
    /// defaults, as BigCommerce does for non-numeric input.
    pub fn from(params: &Params, max: usize) -> Page {
        let page = params
            .get("page")
            .and_then(|p| p.trim().parse::<usize>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1);
        let limit = params
            .get("limit")
            .and_then(|p| p.trim().parse::<usize>().ok())
            .filter(|l| *l >= 1)
            .unwrap_or(50)
            .min(max);
        Page { page, limit }
    }

    /// The slice of `items` this page covers.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.page - 1).saturating_mul(self.limit).min(items.len());
        let end = start.saturating_add(self.limit).min(items.len());
        &items[start..end]
    }

    /// v3 `meta.pagination` for `total` items of which `count` are on this page.
    pub fn meta(&self, total: usize, count: usize) -> Value {
        let total_pages = if total == 0 {
            0
        } else {
            total.div_ceil(self.limit)
        };
        let mut links = serde_json::Map::new();
        if self.page > 1 {
            links.insert(
                "previous".into(),
                json!(format!("?page={}&limit={}", self.page - 1, self.limit)),
            );
        }
        links.insert(
            "current".into(),
            json!(format!("?page={}&limit={}", self.page, self.limit)),
        );
        if self.page < total_pages {
            links.insert(
                "next".into(),
                json!(format!("?page={}&limit={}", self.page + 1, self.limit)),
            );
        }
        json!({ "pagination": {
            "total": total, "count": count, "per_page": self.limit,
            "current_page": self.page, "total_pages": total_pages, "links": links,
        }})
    }
}

/// Split a `:in` filter (`"1,2, 3"`) into trimmed non-empty parts.
pub fn list(param: Option<&String>) -> Option<Vec<String>> {
    param.map(|p| {
        p.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// A `{"url": …, "resource": …}` sub-resource link, as orders carry them.
pub fn link(base_url: &str, store_hash: &str, version: &str, resource: &str) -> Value {
    json!({
        "url": format!("{base_url}/stores/{store_hash}/{version}{resource}"),
        "resource": resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_four_decimals() {
        assert_eq!(money(Decimal::new(125, 1)), "12.5000");
        assert_eq!(money(Decimal::new(3, 0)), "3.0000");
        assert_eq!(money(Decimal::new(123456, 5)), "1.2346");
        assert_eq!(rate10(Decimal::ONE), "1.0000000000");
        assert_eq!(num(Decimal::new(1250, 2)).to_string(), "12.5");
    }

    #[test]
    fn dates_round_trip() {
        let d = parse_date("Tue, 20 Nov 2012 00:00:00 +0000").expect("rfc2822");
        assert_eq!(rfc2822(d), "Tue, 20 Nov 2012 00:00:00 +0000");
        let iso = parse_date("2017-04-20T11:32:00.000-04:00").expect("iso");
        assert_eq!(rfc2822(iso), "Thu, 20 Apr 2017 15:32:00 +0000");
        assert!(parse_date("yesterday").is_none());
        assert_eq!(rfc2822_opt(None), "");
    }

    #[test]
    fn paging() {
        let mut p = Params::new();
        p.insert("limit".into(), "500".into());
        p.insert("page".into(), "2".into());
        let pg = Page::from(&p, 250);
        assert_eq!(
            pg,
            Page {
                page: 2,
                limit: 250
            }
        );
        let items: Vec<u32> = (0..300).collect();
        assert_eq!(pg.slice(&items).len(), 50);
        assert_eq!(pg.meta(300, 50)["pagination"]["total_pages"], json!(2));
    }
}
