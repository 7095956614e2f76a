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
}

impl BatchAnswer {
    /// The body, or the error the status and body say.
    pub fn into_result(self) -> Result<Value> {
        if (200..300).contains(&self.status) {
            Ok(self.body)
        } else {
            Err(from_batch(&self.what, self.status, &self.body))
        }
    }
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

    /// Runs `ops` as JSON `$batch` requests of at most 100 operations, one answer per
    /// operation in order. Without `Isolation: snapshot`: each operation stands alone (one
    /// bad document must not roll back the others). `read_only` batches may be repeated
    /// after an unknown outcome; others give [`ErrorKind::OutcomeUnknown`] to the caller.
    pub async fn batch(&self, ops: Vec<BatchOp>, read_only: bool) -> Result<Vec<BatchAnswer>> {
        let mut out = Vec::with_capacity(ops.len());
        for chunk in ops.chunks(MAX_BATCH) {
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
            let req = ApiRequest::post("/$batch")
                .json(&json!({ "requests": requests }))?
                .idempotency(if read_only {
                    Idempotency::Safe
                } else {
                    Idempotency::None
                });
            let resp: Value = self.api.send_json(req, "$batch").await?;
            let answers = resp
                .get("responses")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if answers.len() != chunk.len() {
                return Err(Error::protocol(format!(
                    "$batch answered {} responses for {} operations",
                    answers.len(),
                    chunk.len()
                ))
                .with_platform(crate::PLATFORM));
            }
            for (i, op) in chunk.iter().enumerate() {
                let want = (i + 1).to_string();
                let a = answers
                    .iter()
                    .find(|a| a.get("id").and_then(Value::as_str) == Some(want.as_str()))
                    .or_else(|| answers.get(i))
                    .cloned()
                    .unwrap_or(Value::Null);
                out.push(BatchAnswer {
                    status: a.get("status").and_then(Value::as_u64).unwrap_or(0) as u16,
                    body: a.get("body").cloned().unwrap_or(Value::Null),
                    what: op.what.clone(),
                });
            }
        }
        Ok(out)
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
    let mut rows = Vec::new();
    let mut req = ApiRequest::get(path.to_string());
    for (k, v) in query {
        req = req.query(*k, v);
    }
    for _page in 0..10_000 {
        let page: Value = http.send_json(req, what).await?;
        if let Some(Value::Array(v)) = page.get("value") {
            rows.extend(v.iter().cloned());
        }
        let Some(next) = page.get("@odata.nextLink").and_then(Value::as_str) else {
            return Ok(rows);
        };
        let rel = next.strip_prefix(http.base_url()).ok_or_else(|| {
            Error::protocol(format!(
                "{what}: @odata.nextLink points outside the API root"
            ))
        })?;
        let (p, qs) = rel.split_once('?').unwrap_or((rel, ""));
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(qs).unwrap_or_default();
        req = ApiRequest::get(p.to_string());
        for (k, v) in pairs {
            req = req.query(k, v);
        }
    }
    Err(Error::protocol(format!("{what}: more than 10,000 pages")))
}
