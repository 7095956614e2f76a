//! The metrics [`crate::HttpClient`] records through the `metrics` facade (a no-op until the
//! program installs a recorder), and the label helpers that keep their cardinality bounded.
//!
//! | name | type | labels |
//! |---|---|---|
//! | [`HTTP_REQUESTS`] `bcsync_http_requests_total` | counter | `platform`, `endpoint`, `status` |
//! | [`HTTP_RATE_LIMITED`] `bcsync_http_rate_limited_total` | counter | `platform` |
//! | [`HTTP_RETRIES`] `bcsync_http_retries_total` | counter | `platform` |
//! | [`RATE_BUDGET_REMAINING`] `bcsync_rate_budget_remaining` | gauge | `platform` |
//!
//! - `bcsync_http_requests_total` counts every attempt that was sent: `status` is the HTTP
//!   status (`"200"`, `"429"`) or, when no status arrived, what went wrong (`"connect"`,
//!   `"timeout"`, `"reset"`, `"refused"`, `"too_large"`, `"error"`). `endpoint` is
//!   `METHOD path-template` (`GET /v2/orders/{id}`), with anything that still looks like an
//!   id replaced by `{id}` (see [`endpoint_label`]): never a query string.
//! - `bcsync_http_rate_limited_total` counts `429` answers.
//! - `bcsync_http_retries_total` counts retries (attempts after the first, the 401 refresh
//!   retry excepted).
//! - `bcsync_rate_budget_remaining` is the requests left in the platform's window, when the
//!   platform reports it (`X-Rate-Limit-Requests-Left`, `X-RateLimit-Remaining`,
//!   `RateLimit-Remaining`).

use http::HeaderMap;

/// Requests sent, by `platform`, `endpoint` and `status`.
pub const HTTP_REQUESTS: &str = "bcsync_http_requests_total";
/// `429` answers, by `platform`.
pub const HTTP_RATE_LIMITED: &str = "bcsync_http_rate_limited_total";
/// Retries, by `platform`.
pub const HTTP_RETRIES: &str = "bcsync_http_retries_total";
/// Requests left in the platform's window, by `platform`.
pub const RATE_BUDGET_REMAINING: &str = "bcsync_rate_budget_remaining";

/// Describes the metrics above to the installed recorder (call once after installing it).
pub fn describe_metrics() {
    ::metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests sent to platforms, by platform, endpoint template and status"
    );
    ::metrics::describe_counter!(HTTP_RATE_LIMITED, "429 answers, by platform");
    ::metrics::describe_counter!(HTTP_RETRIES, "Request retries, by platform");
    ::metrics::describe_gauge!(
        RATE_BUDGET_REMAINING,
        "Requests left in the platform's rate-limit window, as last reported"
    );
}

const MAX_LABEL: usize = 160;

fn looks_like_id(seg: &str) -> bool {
    if seg.is_empty() || (seg.starts_with('{') && seg.ends_with('}')) {
        return false;
    }
    let digits = seg.bytes().filter(u8::is_ascii_digit).count();
    // 1042, 000123, a UUID, a long key or token with digits in it.
    seg.bytes().all(|b| b.is_ascii_digit())
        || (digits > 0
            && seg.len() >= 12
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
        || seg.starts_with('\'')
        || seg.contains('%')
        || seg.contains('@')
}

/// The `endpoint` label for `method` and a path template: the query string dropped, path
/// segments and OData keys (`companies(…)`) that look like ids replaced by `{id}`, at most
/// 160 characters.
///
/// ```
/// use bc_http::telemetry::endpoint_label;
/// assert_eq!(endpoint_label("GET", "/v2/orders/{id}"), "GET /v2/orders/{id}");
/// assert_eq!(endpoint_label("GET", "/v2/orders/1042?x=1"), "GET /v2/orders/{id}");
/// assert_eq!(
///     endpoint_label("POST", "/companies(6a1f3c52-8a43-4c0e-9d43-1d6c7f1e2b10)/salesOrders"),
///     "POST /companies({id})/salesOrders"
/// );
/// ```
pub fn endpoint_label(method: &str, template: &str) -> String {
    let path = template.split(['?', '#']).next().unwrap_or_default();
    let mut out = String::with_capacity(path.len() + method.len() + 1);
    out.push_str(method);
    out.push(' ');
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match (seg.find('('), seg.ends_with(')')) {
            (Some(open), true) => {
                let key = &seg[open + 1..seg.len() - 1];
                out.push_str(&seg[..open]);
                if key.starts_with('{') || key.is_empty() {
                    out.push_str(&seg[open..]);
                } else {
                    out.push_str("({id})");
                }
            }
            _ if looks_like_id(seg) => out.push_str("{id}"),
            _ => out.push_str(seg),
        }
    }
    if out.len() > MAX_LABEL {
        let mut end = MAX_LABEL;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

/// The requests left in the window, if the response says.
pub fn remaining_from_headers(headers: &HeaderMap) -> Option<f64> {
    [
        "x-rate-limit-requests-left",
        "x-ratelimit-remaining",
        "ratelimit-remaining",
    ]
    .iter()
    .find_map(|h| {
        headers
            .get(*h)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    })
    .map(|n| n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_templates_and_hide_ids() {
        for (template, want) in [
            ("/v2/orders/{id}/shipments", "GET /v2/orders/{id}/shipments"),
            ("/v3/company/{realm}/query", "GET /v3/company/{realm}/query"),
            ("/V1/orders/000000123", "GET /V1/orders/{id}"),
            (
                "/entity/Default/20.200.001/SalesOrder",
                "GET /entity/Default/20.200.001/SalesOrder",
            ),
            (
                "/companies(1f0d)/items('WIDGET-1')",
                "GET /companies({id})/items({id})",
            ),
            (
                "/v3/orders/payment_actions/refunds",
                "GET /v3/orders/payment_actions/refunds",
            ),
            (
                "/V1/bulk/6a1f3c52-8a43-4c0e-9d43-1d6c7f1e2b10/status",
                "GET /V1/bulk/{id}/status",
            ),
            ("/customers/jane%40example.com", "GET /customers/{id}"),
            ("/$batch", "GET /$batch"),
        ] {
            assert_eq!(endpoint_label("GET", template), want, "{template}");
        }
        assert!(endpoint_label("GET", &"/a".repeat(500)).chars().count() <= MAX_LABEL + 1);
    }

    #[test]
    fn remaining() {
        let mut h = HeaderMap::new();
        assert_eq!(remaining_from_headers(&h), None);
        h.insert("x-rate-limit-requests-left", "37".parse().unwrap());
        assert_eq!(remaining_from_headers(&h), Some(37.0));
    }
}
