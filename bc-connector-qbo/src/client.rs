//! The QBO REST calls bcsync makes, over `bc-http` (retries, the realm's rate budget, the OAuth
//! token cache with one refresh after a 401).
//!
//! Every write carries a deterministic `requestid` ([`crate::request_id`]) and is therefore
//! marked [`Idempotency::Keyed`]: `bc-http` may repeat it after a lost response, and QBO answers
//! the repeat with the first response instead of writing twice.

use std::collections::HashMap;
use std::sync::Arc;

use bc_core::{Error, ErrorKind, Result};
use bc_http::{
    ApiRequest, ApiResponse, BearerAuth, HttpClient, HttpTransport, Idempotency, OAuth2Config,
    PlatformErrorDetail, TokenCache,
};
use serde_json::Value;

use crate::config::QboOptions;
use crate::error::{error_from_envelope, error_from_response, PLATFORM};
use crate::request_id::{body_revision, request_id};
use crate::wire::{BatchResponse, Entity, Envelope, QueryResponse};

/// A QBO API client for one realm.
#[derive(Clone, Debug)]
pub struct QboApi {
    http: HttpClient,
    // `/batch` has its own per-minute quota: its own budget.
    batch_http: HttpClient,
    tokens: Arc<TokenCache>,
    realm: String,
    minor_version: u32,
}

/// Reads QBO fault bodies for `bc-http` (used for the responses `bc-http` turns into errors
/// itself: throttling and server errors after the last retry).
fn classifier() -> bc_http::ErrorClassifier {
    Arc::new(|status, _headers, body| {
        match serde_json::from_slice::<Envelope>(body)
            .ok()
            .and_then(|env| error_from_envelope(&env, status.as_u16(), ""))
        {
            Some(e) => PlatformErrorDetail {
                kind: Some(e.kind()),
                code: e.platform_code().map(str::to_string),
                message: e.platform_message().map(str::to_string),
                temporary: Some(e.is_temporary()),
            },
            None => PlatformErrorDetail::default(),
        }
    })
}

impl QboApi {
    /// A client for `options` over `transport` (a `ReqwestTransport` in production, a
    /// `RouterTransport` on the sandbox in tests). The token endpoint is reached through the
    /// same transport.
    pub fn new(options: &QboOptions, transport: Arc<dyn HttpTransport>) -> Result<Self> {
        let oauth = OAuth2Config::new(
            options.token_url.clone(),
            options.client_id.clone(),
            options.client_secret.clone(),
        )
        .with_refresh_token_setting(
            "`ledger.refresh_token` (run `bcsync connect qbo` to authorise bcsync again)",
        );
        let mut cache = TokenCache::new(
            PLATFORM,
            oauth,
            options.refresh_token.clone(),
            transport.clone(),
        );
        if let Some((token, valid_for)) = &options.access_token {
            cache = cache.with_access_token(token.clone(), *valid_for);
        }
        if let Some(cb) = &options.on_refresh_token {
            cache = cache.with_rotation_callback(cb.clone());
        }
        if let Some(store) = &options.token_store {
            cache = cache.with_store(store.clone());
        }
        let tokens = Arc::new(cache);
        let client = |account: String, limits| {
            HttpClient::builder(PLATFORM, options.base_url.trim_end_matches('/'))
                .transport(transport.clone())
                .retry(options.retry.clone())
                .account(&account, limits)
                .auth(Arc::new(BearerAuth::new(tokens.clone())))
                .classifier(classifier())
                .throttle_wait(crate::config::THROTTLE_WAIT)
                .build()
        };
        let http = client(format!("qbo:{}", options.realm_id), options.rate_limits)?;
        let batch_http = client(
            format!("qbo-batch:{}", options.realm_id),
            options.batch_limits,
        )?;
        Ok(QboApi {
            http,
            batch_http,
            tokens,
            realm: options.realm_id.clone(),
            minor_version: options.minor_version,
        })
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The token cache (refresh count, for tests and metrics).
    pub fn tokens(&self) -> &Arc<TokenCache> {
        &self.tokens
    }

    /// The underlying HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn request(&self, req: ApiRequest) -> ApiRequest {
        req.path_param("realm", &self.realm)
            .query("minorversion", self.minor_version)
    }

    /// Sends and reads the envelope; a fault (whatever the status) is an error.
    async fn envelope(&self, req: ApiRequest, operation: &str) -> Result<Envelope> {
        let resp: ApiResponse = self
            .http
            .send_raw(req)
            .await
            .map_err(|e| e.with_operation(operation.to_string()))?;
        let status = resp.status.as_u16();
        if !resp.status.is_success() {
            return Err(error_from_response(status, &resp.body, operation));
        }
        let env: Envelope = serde_json::from_slice(&resp.body).map_err(|e| {
            Error::protocol(format!("cannot read QuickBooks' answer: {e}"))
                .with_platform(PLATFORM)
                .with_operation(operation.to_string())
        })?;
        match error_from_envelope(&env, status, operation) {
            Some(err) => Err(err),
            None => Ok(env),
        }
    }

    /// Runs a query (`SELECT * FROM Invoice WHERE …`).
    pub async fn query(&self, query: &str) -> Result<QueryResponse> {
        let req = self
            .request(ApiRequest::get("/v3/company/{realm}/query"))
            .query("query", query);
        let env = self.envelope(req, "query").await?;
        Ok(env.query_response.unwrap_or_default())
    }

    /// Reads a singleton (`preferences`) or an entity by id (`invoice`, `Some("130")`).
    pub async fn read(&self, entity: &str, id: Option<&str>) -> Result<Envelope> {
        let req = match id {
            Some(id) => self.request(
                ApiRequest::get("/v3/company/{realm}/{entity}/{id}")
                    .path_param("entity", entity)
                    .path_param("id", id),
            ),
            None => self.request(
                ApiRequest::get("/v3/company/{realm}/{entity}").path_param("entity", entity),
            ),
        };
        self.envelope(req, &format!("read {entity}")).await
    }

    /// Creates or updates (body with `Id` and `SyncToken`) an entity, keyed by `key` (the
    /// business key: import id, receipt key…). The `requestid` covers the body, so the same
    /// write repeated is answered once, and a corrected one is a new request.
    pub async fn write(&self, entity: &Entity, key: &str, operation: &str) -> Result<Envelope> {
        let body = entity.to_json().map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("cannot encode the {}: {e}", entity.name()),
            )
        })?;
        let bytes = serde_json::to_vec(&body).map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("cannot encode the {}: {e}", entity.name()),
            )
        })?;
        let rid = request_id(&self.realm, key, operation, &body_revision(&bytes));
        let req = self
            .request(
                ApiRequest::post("/v3/company/{realm}/{entity}")
                    .path_param("entity", entity.name().to_ascii_lowercase()),
            )
            .query("requestid", &rid)
            .json(&body)?
            .idempotency(Idempotency::Keyed);
        self.envelope(req, &format!("{operation} {} {key}", entity.name()))
            .await
    }

    /// Sends up to 30 batch items (`{"bId", "operation", "<Entity>"}` or `{"bId", "Query"}`),
    /// keyed by a digest of the whole batch. Answers by `bId`.
    ///
    /// A batch of one write goes to the entity's own endpoint instead (same `requestid`
    /// scheme, same per-item answer): `/batch` has its own quota of 40 calls a minute, the
    /// single endpoints share the realm's 500, and the engine often writes one order at a time.
    pub async fn batch(&self, items: Vec<Value>) -> Result<HashMap<String, Envelope>> {
        let body = serde_json::json!({ "BatchItemRequest": items });
        if let Some(single) = single_write(&items) {
            return self.single_write(single, &body).await;
        }
        let bytes = serde_json::to_vec(&body).map_err(|e| {
            Error::new(ErrorKind::Internal, format!("cannot encode the batch: {e}"))
        })?;
        let rid = request_id(&self.realm, "batch", "batch", &body_revision(&bytes));
        let req = self
            .request(ApiRequest::post("/v3/company/{realm}/batch"))
            .query("requestid", &rid)
            .body("application/json", bytes)
            .idempotency(Idempotency::Keyed);
        let operation = format!("batch of {}", items_len(&body));
        let resp = self
            .batch_http
            .send_raw(req)
            .await
            .map_err(|e| e.with_operation(operation.clone()))?;
        let status = resp.status.as_u16();
        if !resp.status.is_success() {
            return Err(error_from_response(status, &resp.body, &operation));
        }
        let parsed: BatchResponse = serde_json::from_slice(&resp.body).map_err(|e| {
            Error::protocol(format!("cannot read QuickBooks' batch answer: {e}"))
                .with_platform(PLATFORM)
                .with_operation(operation.clone())
        })?;
        if let Some(f) = &parsed.fault {
            return Err(crate::error::error_from_fault(f, status, &operation));
        }
        let mut out = HashMap::new();
        for item in parsed.items {
            if let Some(bid) = item.bid.clone() {
                out.insert(bid, item);
            }
        }
        Ok(out)
    }

    async fn single_write(
        &self,
        (bid, entity, operation, entity_body): (String, String, String, Value),
        batch_body: &Value,
    ) -> Result<HashMap<String, Envelope>> {
        let bytes = serde_json::to_vec(batch_body).map_err(|e| {
            Error::new(ErrorKind::Internal, format!("cannot encode the batch: {e}"))
        })?;
        // The id a `/batch` of this one item would carry: a repeat is replayed either way.
        let rid = request_id(&self.realm, "batch", "batch", &body_revision(&bytes));
        let mut req = self
            .request(
                ApiRequest::post("/v3/company/{realm}/{entity}")
                    .path_param("entity", entity.to_ascii_lowercase()),
            )
            .query("requestid", &rid);
        if operation != "create" && operation != "update" {
            req = req.query("operation", &operation);
        }
        let req = req.json(&entity_body)?.idempotency(Idempotency::Keyed);
        let op = format!("{operation} {entity}");
        let resp = self
            .http
            .send_raw(req)
            .await
            .map_err(|e| e.with_operation(op.clone()))?;
        let status = resp.status.as_u16();
        // A business fault (4xx with a `Fault` body, not auth or throttling) is the item's
        // answer, as `/batch` would give it; anything else fails the call.
        let item_answer = resp.status.is_success()
            || (resp.status.is_client_error() && !matches!(status, 401 | 403 | 429));
        match serde_json::from_slice::<Envelope>(&resp.body) {
            Ok(mut env) if item_answer && (resp.status.is_success() || env.fault.is_some()) => {
                env.bid = Some(bid.clone());
                Ok(HashMap::from([(bid, env)]))
            }
            _ => Err(error_from_response(status, &resp.body, &op)),
        }
    }
}

/// A batch of exactly one write (`{"bId", "operation", "<Entity>": {…}}`): its parts.
fn single_write(items: &[Value]) -> Option<(String, String, String, Value)> {
    let [item] = items else { return None };
    let obj = item.as_object()?;
    let bid = obj.get("bId")?.as_str()?.to_string();
    let operation = obj
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or("create")
        .to_string();
    let mut entities = obj
        .iter()
        .filter(|(k, v)| k.as_str() != "bId" && k.as_str() != "operation" && v.is_object());
    let (entity, body) = entities.next()?;
    if entities.next().is_some() || obj.contains_key("Query") {
        return None;
    }
    Some((bid, entity.clone(), operation, body.clone()))
}

fn items_len(body: &Value) -> usize {
    body.get("BatchItemRequest")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}
