//! The REST calls: OData v4 JSON over bc-http (Entra ID tokens, retries, the user's budget of
//! 6,000 requests per 5 minutes and 5 in flight), paging through `@odata.nextLink`, `If-Match`
//! on writes, bound actions, and JSON `$batch` (≤ 100 operations per request).

use std::sync::Arc;

use bc_core::{Error, ErrorKind, Result};
use bc_http::{ApiRequest, HttpClient, Idempotency};
use http::header::HeaderValue;
use serde_json::{json, Value};

use crate::config::MAX_BATCH;
use crate::error::from_batch;

/// An OData string literal: `'…'` with `'` doubled.
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// One operation of a `$batch`.
#[derive(Clone, Debug)]
pub struct BatchOp {
    /// `GET`, `POST`, `PATCH`, `DELETE`.
    pub method: &'static str,
    /// URL relative to the API root, query encoded (`companies(…)/salesInvoices?$filter=…`).
    pub url: String,
    /// JSON body.
    pub body: Option<Value>,
    /// `If-Match`.
    pub if_match: Option<String>,
    /// What it does, for errors (`"find invoice BC11042"`).
    pub what: String,
}

/// The answer to one operation.
#[derive(Clone, Debug)]
pub struct BatchAnswer {
    /// Status.
    pub status: u16,
    /// Body (`Null` for 204).
    pub body: Value,
    /// What the operation did.
    pub what: String,
    /// Whether the operation was a non-idempotent write (`POST`, `PATCH`).
    pub write: bool,
}

impl BatchAnswer {
    /// The body, or the error the status and body say, mapped as bc-http maps the single
    /// call's response: a `408` or `5xx` of a write may have been applied, so it is
    /// [`ErrorKind::OutcomeUnknown`] (search before writing again).
    pub fn into_result(self) -> Result<Value> {
        if (200..300).contains(&self.status) {
            return Ok(self.body);
        }
        let e = from_batch(&self.what, self.status, &self.body);
        if self.write && (self.status == 408 || self.status >= 500) {
            let mut u = Error::new(
                ErrorKind::OutcomeUnknown,
                format!(
                    "the operation may have been applied (HTTP {} in a $batch); search before writing again",
                    self.status
                ),
            )
            .with_platform(crate::PLATFORM)
            .with_operation(self.what);
            if let Some(c) = e.platform_code() {
                u = u.with_platform_code(c.to_string());
            }
            if let Some(m) = e.platform_message() {
                u = u.with_platform_message(m.to_string());
            }
            return Err(u);
        }
        Err(e)
    }
}

/// Keys searched with `or`-joined `$filter`s (`field eq 'a' or field eq 'b' …`); Business
/// Central's OData supports `or` but not `in`. See [`Bc365Client::find_keys`].
#[derive(Clone, Debug)]
pub struct KeyQuery {
    /// Entity set path relative to the company (`customers`, `salesInvoices`).
    pub rest: String,
    /// The field compared (`number`, `externalDocumentNumber`, `id`).
    pub field: &'static str,
    /// Whether the values are string literals (`'…'`) or bare (GUIDs).
    pub quoted: bool,
    /// The keys.
    pub keys: Vec<String>,
    /// Other query options (`$expand`, `$select`).
    pub query: Vec<(&'static str, String)>,
    /// What it looks for, for errors (`"find customers"`).
    pub what: String,
}

/// Keys per `or`-joined filter: a filter stays short (well under URL limits) and one page.
pub const OR_KEYS: usize = 20;
/// The longest `$filter` text the connector sends.
pub const MAX_FILTER_CHARS: usize = 1_500;

/// Groups of key indexes whose filter stays within [`OR_KEYS`] and [`MAX_FILTER_CHARS`].
fn or_groups(q: &KeyQuery) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut cur = String::new();
    let mut idx: Vec<usize> = Vec::new();
    for (i, k) in q.keys.iter().enumerate() {
        if !seen.insert(k.as_str()) || (!q.quoted && uuid::Uuid::parse_str(k).is_err()) {
            continue;
        }
        let term = if q.quoted {
            format!("{} eq {}", q.field, lit(k))
        } else {
            format!("{} eq {k}", q.field)
        };
        if !idx.is_empty()
            && (idx.len() >= OR_KEYS || cur.len() + 4 + term.len() > MAX_FILTER_CHARS)
        {
            out.push((std::mem::take(&mut cur), std::mem::take(&mut idx)));
        }
        if !cur.is_empty() {
            cur.push_str(" or ");
        }
        cur.push_str(&term);
        idx.push(i);
    }
    if !idx.is_empty() {
        out.push((cur, idx));
    }
    out
}

/// The rows of `rows` whose `field` is `key`: exact matches, else (Business Central compares
/// text case-insensitively) rows that match no key of the group exactly but `key` ignoring
/// case.
fn rows_for(rows: &[Value], field: &str, key: &str, group: &[&str]) -> Vec<Value> {
    let val = |r: &Value| r.get(field).and_then(Value::as_str).map(str::to_string);
    let exact: Vec<Value> = rows
        .iter()
        .filter(|r| val(r).is_some_and(|v| v == key))
        .cloned()
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    rows.iter()
        .filter(|r| {
            val(r).is_some_and(|v| v.eq_ignore_ascii_case(key) && !group.contains(&v.as_str()))
        })
        .cloned()
        .collect()
}

/// Calls for one company.
#[derive(Clone, Debug)]
pub struct Bc365Client {
    api: HttpClient,
    ext: HttpClient,
    company: Arc<str>,
}

impl Bc365Client {
    /// A client over `api` (base = API root) and `ext` (base = the extension's API root).
    pub fn new(api: HttpClient, ext: HttpClient, company: &str) -> Self {
        Bc365Client {
            api,
            ext,
            company: company.into(),
        }
    }

    /// The company id.
    pub fn company(&self) -> &str {
        &self.company
    }

    /// `companies({id})/{rest}` relative to the API root (for `$batch` URLs).
    pub fn rel(&self, rest: &str) -> String {
        format!("companies({})/{rest}", self.company)
    }

    /// A relative URL with an encoded query.
    pub fn rel_query(&self, rest: &str, query: &[(&str, String)]) -> String {
        if query.is_empty() {
            return self.rel(rest);
        }
        let qs = serde_urlencoded::to_string(query).unwrap_or_default();
        format!("{}?{qs}", self.rel(rest))
    }

    /// `GET companies({id})/{rest}` (one page or one entity).
    pub async fn get(&self, template: &str, rest: &str, query: &[(&str, String)]) -> Result<Value> {
        let mut req = ApiRequest::get(format!("/companies({}){}", self.company, slash(rest)));
        let _ = template;
        for (k, v) in query {
            req = req.query(*k, v);
        }
        self.api.send_json(req, template).await
    }

    /// Every row of a list, following `@odata.nextLink`.
    pub async fn list(
        &self,
        what: &str,
        rest: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<Value>> {
        list_all(
            &self.api,
            &format!("/companies({}){}", self.company, slash(rest)),
            query,
            what,
        )
        .await
    }

    /// Every row of a list of the bcsync extension's API.
    pub async fn ext_list(
        &self,
        what: &str,
        rest: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<Value>> {
        list_all(
            &self.ext,
            &format!("/companies({}){}", self.company, slash(rest)),
            query,
            what,
        )
        .await
    }

    /// `POST` a new entity; returns it.
    pub async fn post(&self, what: &str, rest: &str, body: &Value) -> Result<Value> {
        let req =
            ApiRequest::post(format!("/companies({}){}", self.company, slash(rest))).json(body)?;
        self.api.send_json(req, what).await
    }

    /// `PATCH` with `If-Match`; returns the entity.
    pub async fn patch(&self, what: &str, rest: &str, body: &Value, etag: &str) -> Result<Value> {
        let req = ApiRequest::new(
            http::Method::PATCH,
            format!("/companies({}){}", self.company, slash(rest)),
        )
        .json(body)?
        .header(http::header::IF_MATCH, header(etag)?)
        .idempotency(Idempotency::None);
        self.api.send_json(req, what).await
    }

    /// `DELETE` with `If-Match`.
    pub async fn delete(&self, rest: &str, etag: &str) -> Result<()> {
        let req = ApiRequest::delete(format!("/companies({}){}", self.company, slash(rest)))
            .header(http::header::IF_MATCH, header(etag)?);
        self.api.send(req).await.map(|_| ())
    }

    /// A bound action (`…/Microsoft.NAV.post`): `204` on success.
    pub async fn action(&self, rest: &str) -> Result<()> {
        let req = ApiRequest::post(format!("/companies({}){}", self.company, slash(rest)));
        self.api.send(req).await.map(|_| ())
    }

    /// Runs `ops` as JSON `$batch` requests and returns every answer, or the first error
    /// (see [`Bc365Client::batch_each`], which keeps one result per operation).
    pub async fn batch(&self, ops: Vec<BatchOp>, read_only: bool) -> Result<Vec<BatchAnswer>> {
        self.batch_each(ops, read_only).await.into_iter().collect()
    }

    /// Runs `ops` as JSON `$batch` requests of at most [`MAX_BATCH`] operations (more are
    /// split: 150 → 100 + 50), one result per operation in order. Without `Isolation:
    /// snapshot`: each operation stands alone (one bad document must not roll back the
    /// others), so a failed operation fails only itself.
    ///
    /// A request that failed as a whole gives its error to each of its operations: a `429`
    /// that outlasted the retries is a temporary error for each; a write request (not
    /// `read_only`) whose answer was lost (timeout, reset, `5xx`, an unreadable body) is
    /// [`ErrorKind::OutcomeUnknown`] for each, since any of its writes may have been
    /// applied. `read_only` requests are retried by bc-http after such failures. After a
    /// failed request the later ones are not sent: their operations get a temporary error.
    pub async fn batch_each(&self, ops: Vec<BatchOp>, read_only: bool) -> Vec<Result<BatchAnswer>> {
        let mut out: Vec<Result<BatchAnswer>> = Vec::with_capacity(ops.len());
        let mut failed: Option<Error> = None;
        for chunk in ops.chunks(MAX_BATCH) {
            if let Some(e) = &failed {
                let e = if e.kind() == ErrorKind::OutcomeUnknown {
                    Error::new(
                        ErrorKind::Unavailable,
                        format!("not sent: an earlier $batch of the same call failed ({e})"),
                    )
                    .with_platform(crate::PLATFORM)
                } else {
                    e.clone()
                };
                out.extend(chunk.iter().map(|_| Err(e.clone())));
                continue;
            }
            match self.send_batch(chunk, read_only).await {
                Ok(answers) => out.extend(answers.into_iter().map(Ok)),
                Err(e) => {
                    out.extend(chunk.iter().map(|_| Err(e.clone())));
                    failed = Some(e);
                }
            }
        }
        out
    }

    /// One `$batch` request (at most [`MAX_BATCH`] operations).
    async fn send_batch(&self, chunk: &[BatchOp], read_only: bool) -> Result<Vec<BatchAnswer>> {
        let requests: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let mut headers = json!({"Content-Type": "application/json"});
                if let Some(tag) = &op.if_match {
                    headers["If-Match"] = json!(tag);
                }
                let mut r = json!({"id": (i + 1).to_string(), "method": op.method, "url": op.url, "headers": headers});
                if let Some(b) = &op.body {
                    r["body"] = b.clone();
                }
                r
            })
            .collect();
        tracing::debug!(
            ops = chunk.len(),
            writes = chunk.iter().filter(|o| o.method != "GET").count(),
            "bc365 $batch"
        );
        let req = ApiRequest::post("/$batch")
            .json(&json!({ "requests": requests }))?
            .idempotency(if read_only {
                Idempotency::Safe
            } else {
                Idempotency::None
            });
        // An answer that cannot be matched to the operations says nothing about the writes.
        let unreadable = |why: String| {
            if read_only {
                Error::protocol(why).with_platform(crate::PLATFORM)
            } else {
                Error::new(
                    ErrorKind::OutcomeUnknown,
                    format!(
                        "the $batch may have been applied ({why}); search before writing again"
                    ),
                )
                .with_platform(crate::PLATFORM)
            }
        };
        let resp: Value = match self.api.send_json(req, "$batch").await {
            Ok(v) => v,
            Err(e) if !read_only && e.kind() == ErrorKind::Protocol => {
                return Err(unreadable(e.to_string()))
            }
            Err(e) => return Err(e),
        };
        let answers = resp
            .get("responses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if answers.len() != chunk.len() {
            return Err(unreadable(format!(
                "$batch answered {} responses for {} operations",
                answers.len(),
                chunk.len()
            )));
        }
        let mut out = Vec::with_capacity(chunk.len());
        for (i, op) in chunk.iter().enumerate() {
            let want = (i + 1).to_string();
            let a = answers
                .iter()
                .find(|a| a.get("id").and_then(Value::as_str) == Some(want.as_str()))
                .or_else(|| answers.get(i))
                .cloned()
                .unwrap_or(Value::Null);
            let Some(status) = a
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
            else {
                return Err(unreadable(format!("no status for operation {want}")));
            };
            out.push(BatchAnswer {
                status,
                body: a.get("body").cloned().unwrap_or(Value::Null),
                what: op.what.clone(),
                write: matches!(op.method, "POST" | "PATCH"),
            });
        }
        Ok(out)
    }

    /// Looks up the keys of every query with `or`-joined filters ([`OR_KEYS`] keys per
    /// `GET`), all in read-only `$batch`es: per query, per key, the rows whose field is that
    /// key (in the platform's order, as a `$filter=field eq key` would return them), or the
    /// error of its `GET`. A page with `@odata.nextLink` is followed.
    pub async fn find_keys(&self, queries: &[KeyQuery]) -> Vec<Vec<Result<Vec<Value>>>> {
        let mut ops = Vec::new();
        let mut plan: Vec<(usize, Vec<usize>)> = Vec::new();
        for (qi, q) in queries.iter().enumerate() {
            for (op, idx) in self.key_ops(q) {
                ops.push(op);
                plan.push((qi, idx));
            }
        }
        let answers = self.batch_each(ops, true).await;
        self.key_rows(queries, plan, answers).await
    }

    /// The `GET`s of `q` (one per group of keys) and the key indexes each one searches.
    pub fn key_ops(&self, q: &KeyQuery) -> Vec<(BatchOp, Vec<usize>)> {
        or_groups(q)
            .into_iter()
            .map(|(filter, idx)| {
                let mut query: Vec<(&str, String)> = vec![("$filter", filter)];
                query.extend(q.query.iter().cloned());
                let op = BatchOp {
                    method: "GET",
                    url: self.rel_query(&q.rest, &query),
                    body: None,
                    if_match: None,
                    what: q.what.clone(),
                };
                (op, idx)
            })
            .collect()
    }

    /// Per query, per key, the rows the answers of [`Bc365Client::key_ops`] hold; `plan`
    /// names the query and key indexes of each answer.
    pub async fn key_rows(
        &self,
        queries: &[KeyQuery],
        plan: Vec<(usize, Vec<usize>)>,
        answers: Vec<Result<BatchAnswer>>,
    ) -> Vec<Vec<Result<Vec<Value>>>> {
        let mut out: Vec<Vec<Option<Result<Vec<Value>>>>> = queries
            .iter()
            .map(|q| q.keys.iter().map(|_| None).collect())
            .collect();
        for ((qi, idx), a) in plan.into_iter().zip(answers) {
            let Some(q) = queries.get(qi) else { continue };
            let rows = match a.and_then(BatchAnswer::into_result) {
                Ok(page) => self.rest_of(page, &q.what).await,
                Err(e) => Err(e),
            };
            let group: Vec<&str> = idx
                .iter()
                .filter_map(|i| q.keys.get(*i).map(String::as_str))
                .collect();
            for i in &idx {
                if let (Some(slot), Some(key)) = (out[qi].get_mut(*i), q.keys.get(*i)) {
                    *slot = Some(
                        rows.as_ref()
                            .map(|rows| rows_for(rows, q.field, key, &group))
                            .map_err(Clone::clone),
                    );
                }
            }
        }
        // A repeated key shares the answer of its first occurrence.
        out.into_iter()
            .zip(queries)
            .map(|(answers, q)| {
                let mut first: std::collections::HashMap<&str, usize> =
                    std::collections::HashMap::new();
                for (i, k) in q.keys.iter().enumerate() {
                    first.entry(k.as_str()).or_insert(i);
                }
                (0..answers.len())
                    .map(|i| {
                        let j = first.get(q.keys[i].as_str()).copied().unwrap_or(i);
                        answers[j].clone().unwrap_or_else(|| {
                            Err(Error::new(
                                ErrorKind::Invalid,
                                format!("{}: `{}` is not an id (a GUID)", q.what, q.keys[i]),
                            )
                            .with_platform(crate::PLATFORM))
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// The rows of `page` and of the pages its `@odata.nextLink` leads to.
    async fn rest_of(&self, page: Value, what: &str) -> Result<Vec<Value>> {
        let mut rows = match page.get("value") {
            Some(Value::Array(v)) => v.clone(),
            _ => Vec::new(),
        };
        if let Some(next) = page.get("@odata.nextLink").and_then(Value::as_str) {
            rows.extend(follow(&self.api, next, what).await?);
        }
        Ok(rows)
    }

    /// The rows of a list's first page (an answer of a `$batch`) and of the pages its
    /// `@odata.nextLink` leads to.
    pub async fn rows_of(&self, answer: Result<BatchAnswer>, what: &str) -> Result<Vec<Value>> {
        match answer.and_then(BatchAnswer::into_result) {
            Ok(page) => self.rest_of(page, what).await,
            Err(e) => Err(e),
        }
    }

    /// The account's rate budget (for tests and reports).
    pub fn http(&self) -> &HttpClient {
        &self.api
    }
}

fn slash(rest: &str) -> String {
    if rest.is_empty() {
        String::new()
    } else {
        format!("/{}", rest.trim_start_matches('/'))
    }
}

fn header(v: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(v)
        .map_err(|_| Error::new(ErrorKind::Protocol, "an ETag is not a valid header value"))
}

async fn list_all(
    http: &HttpClient,
    path: &str,
    query: &[(&str, String)],
    what: &str,
) -> Result<Vec<Value>> {
    let mut req = ApiRequest::get(path.to_string());
    for (k, v) in query {
        req = req.query(*k, v);
    }
    pages(http, req, what).await
}

/// The rows from the page `next` (an `@odata.nextLink`) on.
async fn follow(http: &HttpClient, next: &str, what: &str) -> Result<Vec<Value>> {
    pages(http, next_request(http, next, what)?, what).await
}

fn next_request(http: &HttpClient, next: &str, what: &str) -> Result<ApiRequest> {
    let rel = next.strip_prefix(http.base_url()).ok_or_else(|| {
        Error::protocol(format!(
            "{what}: @odata.nextLink points outside the API root"
        ))
    })?;
    let (p, qs) = rel.split_once('?').unwrap_or((rel, ""));
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(qs).unwrap_or_default();
    let mut req = ApiRequest::get(p.to_string());
    for (k, v) in pairs {
        req = req.query(k, v);
    }
    Ok(req)
}

async fn pages(http: &HttpClient, first: ApiRequest, what: &str) -> Result<Vec<Value>> {
    let mut rows = Vec::new();
    let mut req = first;
    for _page in 0..10_000 {
        let page: Value = http.send_json(req, what).await?;
        if let Some(Value::Array(v)) = page.get("value") {
            rows.extend(v.iter().cloned());
        }
        let Some(next) = page.get("@odata.nextLink").and_then(Value::as_str) else {
            return Ok(rows);
        };
        req = next_request(http, next, what)?;
    }
    Err(Error::protocol(format!("{what}: more than 10,000 pages")))
}
