//! REST calls over bc-http: the client (`X-Auth-Token`, the store's shared rate budget,
//! retries, BigCommerce's error bodies), JSON bodies, v2 lists and their pages, v3
//! envelopes, and the order-list request.
//!
//! v2 answers an empty list with `204 No Content` (or an empty body): that is an empty list,
//! not an error. v2 lists are paged with `limit`/`page`; a page shorter than [`MAX_PAGE`] is
//! the last.

use std::sync::Arc;

use bc_core::{OrderQuery, Result, StatusId};
use bc_http::{ApiRequest, ApiResponse, HttpClient, HttpTransport, StaticHeaderAuth};
use http::HeaderName;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::config::BigCommerceConfig;
use crate::error::{classifier, field_error};
use crate::mapping::status::status_number;
use crate::wire::v3_page;
use crate::{MAX_PAGE, PLATFORM};

/// The HTTP client for the store `config` names, over `transport`.
pub fn build(config: &BigCommerceConfig, transport: Arc<dyn HttpTransport>) -> Result<HttpClient> {
    let auth = StaticHeaderAuth::new(
        HeaderName::from_static("x-auth-token"),
        config.access_token.clone(),
    );
    HttpClient::builder(PLATFORM, config.base_url())
        .transport(transport)
        .account(&config.account_key(), config.limits)
        .retry(config.retry.clone())
        .auth(Arc::new(auth))
        .classifier(classifier())
        .build()
}

/// A response's JSON body; `what` names it in errors.
pub(crate) fn body_json(resp: &ApiResponse, what: &str) -> Result<Value> {
    resp.json::<Value>(what)
        .map_err(|e| e.with_platform(PLATFORM))
}

/// Sends `req` and reads its JSON body.
pub(crate) async fn get_json(client: &HttpClient, req: ApiRequest, what: &str) -> Result<Value> {
    let resp = client.send(req).await?;
    body_json(&resp, what)
}

/// `GET` of a v2 list: `204` or an empty body is an empty list.
pub(crate) async fn get_list(
    client: &HttpClient,
    req: ApiRequest,
    what: &str,
) -> Result<Vec<Value>> {
    let resp = client.send(req).await?;
    if resp.is_empty() {
        return Ok(Vec::new());
    }
    match body_json(&resp, what)? {
        Value::Array(items) => Ok(items),
        _ => Err(field_error(what, "(body)", "expected an array")),
    }
}

/// `GET` of a v2 list whose rows are kept as their JSON text (one row parsed at a time by
/// the caller): a page of 250 orders with their lines weighs a few MB as text and several
/// times that as [`Value`] trees, and a worker holds a page per connection. `204` or an
/// empty body is an empty list; a body that is not an array fails as [`get_list`] does.
pub(crate) async fn get_list_raw(
    client: &HttpClient,
    req: ApiRequest,
    what: &str,
) -> Result<Vec<Box<RawValue>>> {
    let resp = client.send(req).await?;
    if resp.is_empty() {
        return Ok(Vec::new());
    }
    match resp.json::<Vec<Box<RawValue>>>(what) {
        Ok(rows) => Ok(rows),
        // Not JSON (the parse error), or JSON but not an array: `get_list`'s errors.
        Err(_) => {
            body_json(&resp, what)?;
            Err(field_error(what, "(body)", "expected an array"))
        }
    }
}

/// Every page of a v2 sub-resource list (`template` with `{id}`), with `extra` query pairs.
pub(crate) async fn get_all(
    client: &HttpClient,
    template: &str,
    id: &str,
    what: &str,
    extra: &[(&str, &str)],
) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for page in 1u32.. {
        let mut req = ApiRequest::get(template)
            .path_param("id", id)
            .query("limit", MAX_PAGE)
            .query("page", page);
        for (k, v) in extra {
            req = req.query(*k, *v);
        }
        let items = get_list(client, req, what).await?;
        let n = items.len();
        out.extend(items);
        if n < MAX_PAGE as usize {
            break;
        }
    }
    Ok(out)
}

/// `GET` of a v3 list: the `data` rows and the total pages (`204` or an empty body: none).
pub(crate) async fn get_v3(
    client: &HttpClient,
    req: ApiRequest,
    what: &str,
) -> Result<(Vec<Value>, Option<u64>)> {
    let resp = client.send(req).await?;
    if resp.is_empty() {
        return Ok((Vec::new(), None));
    }
    let body = body_json(&resp, what)?;
    let (rows, pages) = v3_page(&body, what)?;
    Ok((rows.to_vec(), pages))
}

/// `GET /v2/orders` for one status (or all), keyset-paged by id from `min_id`, with lines
/// (`include=consignments.line_items`) and the query's date filters (RFC 2822, as v2 takes
/// them).
pub(crate) fn order_list_request(
    query: &OrderQuery,
    status: Option<&StatusId>,
    min_id: u64,
) -> Result<ApiRequest> {
    let limit = query.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let mut req = ApiRequest::get("/v2/orders")
        .query("include", "consignments.line_items")
        .query("sort", "id:asc")
        .query("limit", limit);
    if min_id > 0 {
        req = req.query("min_id", min_id);
    }
    if let Some(s) = status {
        req = req.query("status_id", status_number(s)?);
    }
    if let Some(at) = query.modified_since {
        req = req.query("min_date_modified", bc_core::wire::format_rfc2822(&at));
    }
    if let Some(at) = query.created_since {
        req = req.query("min_date_created", bc_core::wire::format_rfc2822(&at));
    }
    Ok(req)
}
