//! The API: one dispatcher for `api/v2.0` (and the bcsync extension's custom page), used by
//! the HTTP route and by each operation of a `$batch`.
//!
//! URLs (relative to `…/api/v2.0/`): `companies`, `companies({id})`,
//! `companies({id})/{set}[({key})][/{lines}[({key})]]`, and bound actions
//! `companies({id})/{set}({key})/Microsoft.NAV.{post|shipAndInvoice}`.

use http::Method;
use serde_json::{json, Value};

use crate::entities::{self, parent_of};
use crate::errors::BcError;
use crate::odata::{compare_values, QueryOptions};
use crate::posting;
use crate::schema::{self, EntitySet};
use crate::state::{render, text, Tenant};

/// One request to the API root.
#[derive(Debug, Clone)]
pub struct ApiCall {
    /// Method.
    pub method: Method,
    /// Path after the API root, without leading slash (`companies(…)/salesInvoices`).
    pub path: String,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
    /// `If-Match`.
    pub if_match: Option<String>,
    /// JSON body.
    pub body: Option<Value>,
    /// The absolute URL of the API root (`http://host/v2.0/t/e/api/v2.0`), for links.
    pub root: String,
    /// Whether this is the bcsync extension's API (custom entity sets).
    pub custom: bool,
}

/// The outcome: status and JSON body (none for 204).
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: Option<Value>,
    /// `ETag` header for single entities.
    pub etag: Option<String>,
}

struct Seg {
    name: String,
    key: Option<String>,
}

fn segments(path: &str) -> Result<Vec<Seg>, BcError> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for ch in path.trim_matches('/').chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            '/' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter()
        .map(|s| match s.find('(') {
            Some(i) if s.ends_with(')') => Ok(Seg {
                name: s[..i].to_string(),
                key: Some(s[i + 1..s.len() - 1].trim_matches('\'').to_string()),
            }),
            Some(_) => Err(BcError::query_syntax(format!("')' expected in '{s}'."))),
            None => Ok(Seg { name: s, key: None }),
        })
        .collect()
}

/// Serves one API call against the tenant.
pub fn dispatch(t: &mut Tenant, call: &ApiCall, max_page: usize) -> Result<Answer, BcError> {
    let segs = segments(&call.path)?;
    let Some(first) = segs.first() else {
        return Err(BcError::resource_not_found(""));
    };
    if first.name != "companies" {
        return Err(BcError::resource_not_found(&first.name));
    }
    let Some(cid) = first.key.clone() else {
        if call.method != Method::GET {
            return Err(BcError::new(405, "BadRequest_MethodNotAllowed", "'POST' requests for 'companies' of EdmType 'Entity' are not allowed within Microsoft Dynamics NAV OData web services."));
        }
        let value: Vec<Value> = t
            .companies
            .iter()
            .map(|c| json!({"id": c.id, "systemVersion": "26.0.0.0", "timestamp": 0, "name": c.name, "displayName": c.name, "businessProfileId": ""}))
            .collect();
        return ok(
            200,
            json!({"@odata.context": format!("{}/$metadata#companies", call.root), "value": value}),
        );
    };
    let Some(set_seg) = segs.get(1) else {
        let c = t
            .company(&cid)
            .ok_or_else(|| BcError::resource_not_found(&format!("companies({cid})")))?;
        return ok(
            200,
            json!({"id": c.id, "name": c.name, "displayName": c.name}),
        );
    };
    let lookup = if call.custom {
        schema::custom_set
    } else {
        schema::set
    };
    let set = lookup(&set_seg.name).ok_or_else(|| BcError::resource_not_found(&set_seg.name))?;
    let (ctx, company) = t.company_mut(&cid)?;
    let ctx_url = format!("{}/$metadata#companies({cid})/{}", call.root, set.name);
    match (segs.get(2), &set_seg.key) {
        (None, None) => match call.method {
            Method::GET => {
                if parent_of(set.name).is_some()
                    && !call.query.iter().any(|(k, v)| {
                        k == "$filter" && (v.contains("documentId") || v.contains("journalId"))
                    })
                {
                    return Err(BcError::dialog(
                        "You must specify an Id or a Document Id to get the lines.",
                    ));
                }
                list(company, set, None, call, &ctx_url, max_page)
            }
            Method::POST => {
                let row = entities::create(
                    ctx,
                    company,
                    set,
                    call.body.clone().unwrap_or(Value::Null),
                    None,
                )?;
                one(201, &row, &ctx_url)
            }
            _ => Err(method_not_allowed(&call.method, set)),
        },
        (None, Some(key)) => match call.method {
            Method::GET => {
                let row = company.get(set.name, key).cloned().ok_or_else(|| {
                    BcError::record_not_found(set.type_name, &format!("Id='{key}'"))
                })?;
                let q = QueryOptions::parse(&call.query, set)?;
                let mut out = render(&row, q.select.as_deref());
                expand(company, set, &q, &row, &mut out);
                let tag = crate::state::etag(&row);
                Ok(Answer {
                    status: 200,
                    body: Some(with_context(out, &ctx_url)),
                    etag: Some(tag),
                })
            }
            Method::PATCH => {
                let row = entities::update(
                    ctx,
                    company,
                    set,
                    key,
                    call.body.clone().unwrap_or(Value::Null),
                    call.if_match.as_deref(),
                )?;
                one(200, &row, &ctx_url)
            }
            Method::DELETE => {
                entities::delete(ctx, company, set, key, call.if_match.as_deref())?;
                Ok(Answer {
                    status: 204,
                    body: None,
                    etag: None,
                })
            }
            _ => Err(method_not_allowed(&call.method, set)),
        },
        (Some(nav), Some(key)) if nav.name.starts_with("Microsoft.NAV.") => {
            if call.method != Method::POST {
                return Err(method_not_allowed(&call.method, set));
            }
            if company.get(set.name, key).is_none() {
                return Err(BcError::record_not_found(
                    set.type_name,
                    &format!("Id='{key}'"),
                ));
            }
            match (set.name, nav.name.as_str()) {
                ("salesInvoices", "Microsoft.NAV.post") => {
                    posting::post_invoice(ctx, company, key)?
                }
                ("salesCreditMemos", "Microsoft.NAV.post") => {
                    posting::post_credit_memo(ctx, company, key)?
                }
                ("journals", "Microsoft.NAV.post") => posting::post_journal(ctx, company, key)?,
                ("salesOrders", "Microsoft.NAV.shipAndInvoice") => {
                    posting::ship_and_invoice(ctx, company, key)?;
                }
                _ => {
                    return Err(BcError::not_implemented(format!(
                        "Entity does not support the bound action '{}'.",
                        nav.name
                    )))
                }
            }
            Ok(Answer {
                status: 204,
                body: None,
                etag: None,
            })
        }
        (Some(nav), Some(key)) => {
            if set.lines != Some(nav.name.as_str()) {
                return Err(BcError::resource_not_found(&nav.name));
            }
            let lset =
                schema::set(&nav.name).ok_or_else(|| BcError::resource_not_found(&nav.name))?;
            if company.get(set.name, key).is_none() {
                return Err(BcError::record_not_found(
                    set.type_name,
                    &format!("Id='{key}'"),
                ));
            }
            let (_, fk) = parent_of(lset.name).unwrap_or(("", "documentId"));
            let lctx = format!(
                "{}/$metadata#companies({cid})/{}({key})/{}",
                call.root, set.name, lset.name
            );
            match (&nav.key, &call.method) {
                (None, &Method::GET) => list(
                    company,
                    lset,
                    Some((fk, key.as_str())),
                    call,
                    &lctx,
                    max_page,
                ),
                (None, &Method::POST) => {
                    let row = entities::create(
                        ctx,
                        company,
                        lset,
                        call.body.clone().unwrap_or(Value::Null),
                        Some(key),
                    )?;
                    one(201, &row, &lctx)
                }
                (Some(lkey), m) => {
                    let belongs = company
                        .get(lset.name, lkey)
                        .is_some_and(|r| text(r, fk).eq_ignore_ascii_case(key));
                    if !belongs {
                        return Err(BcError::record_not_found(
                            lset.type_name,
                            &format!("Id='{lkey}'"),
                        ));
                    }
                    match *m {
                        Method::GET => {
                            let row = company.get(lset.name, lkey).cloned().unwrap_or(Value::Null);
                            one(200, &row, &lctx)
                        }
                        Method::PATCH => {
                            let row = entities::update(
                                ctx,
                                company,
                                lset,
                                lkey,
                                call.body.clone().unwrap_or(Value::Null),
                                call.if_match.as_deref(),
                            )?;
                            one(200, &row, &lctx)
                        }
                        Method::DELETE => {
                            entities::delete(ctx, company, lset, lkey, call.if_match.as_deref())?;
                            Ok(Answer {
                                status: 204,
                                body: None,
                                etag: None,
                            })
                        }
                        _ => Err(method_not_allowed(m, lset)),
                    }
                }
                (None, m) => Err(method_not_allowed(m, lset)),
            }
        }
        (Some(nav), None) => Err(BcError::resource_not_found(&nav.name)),
    }
}

fn method_not_allowed(m: &Method, set: &EntitySet) -> BcError {
    BcError::new(
        405,
        "BadRequest_MethodNotAllowed",
        format!("'{m}' requests for '{}' of EdmType 'Entity' are not allowed within Microsoft Dynamics NAV OData web services.", set.name),
    )
}

fn ok(status: u16, body: Value) -> Result<Answer, BcError> {
    Ok(Answer {
        status,
        body: Some(body),
        etag: None,
    })
}

fn with_context(mut v: Value, ctx_url: &str) -> Value {
    if let Value::Object(m) = &mut v {
        let mut out = serde_json::Map::new();
        out.insert("@odata.context".into(), json!(format!("{ctx_url}/$entity")));
        out.append(m);
        return Value::Object(out);
    }
    v
}

fn one(status: u16, row: &Value, ctx_url: &str) -> Result<Answer, BcError> {
    Ok(Answer {
        status,
        body: Some(with_context(render(row, None), ctx_url)),
        etag: Some(crate::state::etag(row)),
    })
}

fn expand(
    c: &crate::state::Company,
    set: &EntitySet,
    q: &QueryOptions,
    row: &Value,
    out: &mut Value,
) {
    for nav in &q.expand {
        let mut lines: Vec<&Value> = c
            .rows(nav)
            .iter()
            .filter(|l| {
                text(l, "documentId").eq_ignore_ascii_case(text(row, "id"))
                    || text(l, "journalId").eq_ignore_ascii_case(text(row, "id"))
            })
            .collect();
        lines.sort_by_key(|l| {
            l.get("sequence")
                .or(l.get("lineNumber"))
                .and_then(Value::as_i64)
                .unwrap_or(0)
        });
        let _ = set;
        if let Value::Object(m) = out {
            m.insert(
                nav.clone(),
                Value::Array(lines.into_iter().map(|l| render(l, None)).collect()),
            );
        }
    }
}

fn list(
    c: &crate::state::Company,
    set: &'static EntitySet,
    parent: Option<(&str, &str)>,
    call: &ApiCall,
    ctx_url: &str,
    max_page: usize,
) -> Result<Answer, BcError> {
    let q = QueryOptions::parse(&call.query, set)?;
    let mut rows: Vec<&Value> = c
        .rows(set.name)
        .iter()
        .filter(|r| parent.is_none_or(|(fk, id)| text(r, fk).eq_ignore_ascii_case(id)))
        .filter(|r| q.matches(r, set))
        .collect();
    if let Some((field, desc)) = &q.order_by {
        let ty = set.field(field).map(|f| f.ty).unwrap_or(schema::Ty::Str);
        rows.sort_by(|a, b| {
            let o = compare_values(
                a.get(field).unwrap_or(&Value::Null),
                b.get(field).unwrap_or(&Value::Null),
                ty,
            );
            if *desc {
                o.reverse()
            } else {
                o
            }
        });
    }
    let rows: Vec<&Value> = rows
        .into_iter()
        .skip(q.skip)
        .take(q.top.unwrap_or(usize::MAX))
        .collect();
    let start = q.skip_token.unwrap_or(0).min(rows.len());
    let end = (start + max_page.max(1)).min(rows.len());
    let value: Vec<Value> = rows[start..end]
        .iter()
        .map(|r| {
            let mut out = render(r, q.select.as_deref());
            expand(c, set, &q, r, &mut out);
            out
        })
        .collect();
    let mut body = json!({"@odata.context": ctx_url, "value": value});
    if end < rows.len() {
        let mut pairs: Vec<(String, String)> = call
            .query
            .iter()
            .filter(|(k, _)| k != "$skiptoken")
            .cloned()
            .collect();
        pairs.push(("$skiptoken".into(), end.to_string()));
        let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        body["@odata.nextLink"] = json!(format!(
            "{}/{}?{qs}",
            call.root,
            call.path.trim_start_matches('/')
        ));
    }
    ok(200, body)
}

/// The largest `$batch` (operational limits: "Max batch size … 100").
pub const MAX_BATCH: usize = 100;

/// Serves a JSON `$batch` body. With `snapshot` (`Isolation: snapshot`), a failed operation
/// rolls back every change of the batch (use-odata-batch.md); the responses still say what
/// each operation answered.
pub fn batch(
    t: &mut Tenant,
    body: &Value,
    root: &str,
    custom: bool,
    snapshot: bool,
    max_page: usize,
) -> Result<Value, BcError> {
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return Err(BcError::bad_request(
            "Invalid Request Body: a JSON batch needs a 'requests' array.",
        ));
    };
    if requests.len() > MAX_BATCH {
        return Err(BcError::bad_request(format!(
            "The batch request contains {} operations; the maximum is {MAX_BATCH}.",
            requests.len()
        )));
    }
    if requests
        .iter()
        .any(|r| r.get("atomicityGroup").is_some() || r.get("dependsOn").is_some())
    {
        return Err(BcError::not_implemented("'atomicityGroup' and 'dependsOn' are not supported; use the Isolation: snapshot header."));
    }
    let saved = snapshot.then(|| t.companies.clone());
    let mut failed = false;
    let mut out = Vec::with_capacity(requests.len());
    for r in requests {
        let id = r.get("id").cloned().unwrap_or(Value::Null);
        let method = r
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_ascii_uppercase();
        let url = r.get("url").and_then(Value::as_str).unwrap_or("");
        let rel = url
            .strip_prefix(root)
            .unwrap_or(url)
            .trim_start_matches('/');
        let (path, qs) = rel.split_once('?').unwrap_or((rel, ""));
        let query: Vec<(String, String)> = serde_urlencoded::from_str(qs).unwrap_or_default();
        let headers = r.get("headers").cloned().unwrap_or(json!({}));
        let if_match = headers
            .as_object()
            .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("if-match")))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string);
        let call = ApiCall {
            method: Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET),
            path: path.to_string(),
            query,
            if_match,
            body: r.get("body").cloned(),
            root: root.to_string(),
            custom,
        };
        let resp = match dispatch(t, &call, max_page) {
            Ok(a) => {
                let mut h = json!({"content-type": "application/json; odata.metadata=minimal", "odata-version": "4.0"});
                if let Some(tag) = a.etag {
                    h["etag"] = json!(tag);
                }
                let mut v = json!({"id": id, "status": a.status, "headers": h});
                if let Some(b) = a.body {
                    v["body"] = b;
                }
                v
            }
            Err(e) => {
                failed = true;
                json!({"id": id, "status": e.status, "headers": {"content-type": "application/json; odata.metadata=minimal", "odata-version": "4.0"}, "body": e.body()})
            }
        };
        out.push(resp);
    }
    if failed {
        if let Some(s) = saved {
            t.companies = s;
        }
    }
    Ok(json!({"responses": out}))
}
