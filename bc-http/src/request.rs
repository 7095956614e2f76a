//! What a connector asks for ([`ApiRequest`]) and what it gets back ([`ApiResponse`]).

use std::fmt;

use bc_core::{Error, ErrorKind};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Whether a request may be repeated safely; decides what the retry layer does after a
/// failure that may have reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Idempotency {
    /// A read (`GET`, `HEAD`): always safe to repeat.
    Safe,
    /// A write whose repetition has the same effect (a `PUT` of absolute state, a `DELETE`).
    Idempotent,
    /// A write the platform de-duplicates by a key the connector put on the request (QBO
    /// `requestid`, an `Idempotency-Key` header): safe to repeat with the same key.
    Keyed,
    /// A write that may be applied twice if repeated (a plain `POST`). After an unknown
    /// outcome the client returns [`ErrorKind::OutcomeUnknown`] instead of repeating it.
    None,
}

impl Idempotency {
    /// Whether repeating a request that may have reached the server is safe.
    pub fn may_repeat(self) -> bool {
        !matches!(self, Idempotency::None)
    }

    /// The default for a method: `GET`/`HEAD`/`OPTIONS` safe, `PUT`/`DELETE` idempotent,
    /// everything else none.
    pub fn for_method(method: &Method) -> Self {
        match *method {
            Method::GET | Method::HEAD | Method::OPTIONS => Idempotency::Safe,
            Method::PUT | Method::DELETE => Idempotency::Idempotent,
            _ => Idempotency::None,
        }
    }
}

/// One request to a platform, relative to the client's base URL.
///
/// ```
/// use bc_http::{ApiRequest, Idempotency};
/// let req = ApiRequest::get("/v2/orders/{id}")
///     .path_param("id", "1042")
///     .query("include", "consignments.line_items");
/// assert_eq!(req.path(), "/v2/orders/1042");
/// assert_eq!(req.template(), "/v2/orders/{id}");
/// assert_eq!(req.get_idempotency(), Idempotency::Safe);
/// ```
#[derive(Clone)]
pub struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) template: String,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) idempotency: Idempotency,
}

impl fmt::Debug for ApiRequest {
    // Only the template and method: paths, queries, headers and bodies may hold personal data
    // or keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("template", &self.template)
            .field("idempotency", &self.idempotency)
            .finish()
    }
}

impl ApiRequest {
    /// A request for `method` on the path `template` (placeholders `{name}` filled by
    /// [`ApiRequest::path_param`]); idempotency defaults from the method.
    pub fn new(method: Method, template: impl Into<String>) -> Self {
        let template = template.into();
        ApiRequest {
            idempotency: Idempotency::for_method(&method),
            method,
            path: template.clone(),
            template,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A `GET`.
    pub fn get(template: impl Into<String>) -> Self {
        Self::new(Method::GET, template)
    }

    /// A `POST` (not idempotent unless [`ApiRequest::idempotency`] says otherwise).
    pub fn post(template: impl Into<String>) -> Self {
        Self::new(Method::POST, template)
    }

    /// A `PUT`.
    pub fn put(template: impl Into<String>) -> Self {
        Self::new(Method::PUT, template)
    }

    /// A `DELETE`.
    pub fn delete(template: impl Into<String>) -> Self {
        Self::new(Method::DELETE, template)
    }

    /// Replaces `{name}` in the path by `value`, percent-encoded as a path segment.
    pub fn path_param(mut self, name: &str, value: impl fmt::Display) -> Self {
        let encoded = encode_segment(&value.to_string());
        self.path = self.path.replace(&format!("{{{name}}}"), &encoded);
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl fmt::Display) -> Self {
        self.query.push((name.into(), value.to_string()));
        self
    }

    /// Adds a header. Mark secret ones sensitive with [`ApiRequest::secret_header`].
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Adds a header whose value is a secret (marked sensitive; never logged).
    pub fn secret_header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        value.set_sensitive(true);
        self.headers.insert(name, value);
        self
    }

    /// A JSON body (`Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::new(ErrorKind::Internal, "cannot serialise the request body").with_source(e)
        })?;
        self.body = Bytes::from(bytes);
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(self)
    }

    /// A form body (`application/x-www-form-urlencoded`).
    pub fn form<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, Error> {
        let text = serde_urlencoded::to_string(body).map_err(|e| {
            Error::new(ErrorKind::Internal, "cannot encode the form body").with_source(e)
        })?;
        self.body = Bytes::from(text);
        self.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        Ok(self)
    }

    /// A raw body with its content type.
    pub fn body(mut self, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self
    }

    /// Overrides the idempotency (e.g. [`Idempotency::Keyed`] for a QBO `POST` with
    /// `requestid`).
    pub fn idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }

    /// Sets `Accept: application/json` when no `Accept` was given.
    pub(crate) fn default_accept(&mut self) {
        if !self.headers.contains_key(ACCEPT) {
            self.headers
                .insert(ACCEPT, HeaderValue::from_static("application/json"));
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path template, as traced (`/v2/orders/{id}`).
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The filled path (`/v2/orders/1042`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query parameters.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// The request's idempotency.
    pub fn get_idempotency(&self) -> Idempotency {
        self.idempotency
    }

    /// The request body.
    pub fn body_bytes(&self) -> &Bytes {
        &self.body
    }

    /// "GET /v2/orders/{id}": how errors name the operation.
    pub fn operation(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    /// Builds the path and query relative to a base URL (without trailing slash).
    pub(crate) fn url(&self, base: &str) -> String {
        let mut url = format!("{}{}", base.trim_end_matches('/'), self.path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(
                &serde_urlencoded::to_string(&self.query).unwrap_or_else(|_| String::new()),
            );
        }
        url
    }
}

/// A response from a platform: status, headers and the whole body.
#[derive(Clone)]
pub struct ApiResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// How many attempts it took (1 = first try).
    pub attempts: u32,
}

impl fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl ApiResponse {
    /// Whether the body is empty (e.g. BigCommerce's `204 No Content` for an empty list).
    pub fn is_empty(&self) -> bool {
        self.status == StatusCode::NO_CONTENT || self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// Parses the body as JSON; a malformed body is a [`ErrorKind::Protocol`] error naming
    /// `what` (`"order 1042"`) and serde's path to the field.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, Error> {
        parse_json(&self.body, what)
    }

    /// A header as text, when present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Parses JSON bytes into `T`; errors name `what` and the line/column serde stopped at.
pub fn parse_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(body)
        .map_err(|e| Error::protocol(format!("{what}: cannot parse the response: {e}")))
}

/// Percent-encodes a path segment (RFC 3986 unreserved characters kept as they are).
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_params_are_encoded_and_query_appended() {
        let r = ApiRequest::get("/v3/customers/{id}")
            .path_param("id", "a b/c")
            .query("email:in", "x@y.z")
            .query("limit", 250);
        assert_eq!(r.path(), "/v3/customers/a%20b%2Fc");
        assert_eq!(
            r.url("https://h/stores/s/"),
            "https://h/stores/s/v3/customers/a%20b%2Fc?email%3Ain=x%40y.z&limit=250"
        );
    }

    #[test]
    fn idempotency_defaults_from_method() {
        assert_eq!(ApiRequest::get("/").get_idempotency(), Idempotency::Safe);
        assert_eq!(ApiRequest::post("/").get_idempotency(), Idempotency::None);
        assert_eq!(
            ApiRequest::put("/").get_idempotency(),
            Idempotency::Idempotent
        );
        assert!(!Idempotency::None.may_repeat());
        assert!(Idempotency::Keyed.may_repeat());
    }
}
