//! # bc-http — what every HTTP connector of bcsync shares
//!
//! - [`transport`]: the [`HttpTransport`] trait, [`ReqwestTransport`] (rustls, `https` unless
//!   the host is loopback) and `RouterTransport` (calls an axum `Router` in-process; cargo
//!   feature `router`, off by default so that an embedding program compiles no axum);
//! - [`request`]: [`ApiRequest`] (method, path template, [`Idempotency`]) and [`ApiResponse`];
//! - [`retry`]: [`RetryPolicy`] (classifier, exponential backoff with full jitter, budget) and
//!   the platforms' wait headers;
//! - [`rate`]: [`RateBudget`], one per platform account in the process, with an in-flight cap;
//! - [`auth`]: [`AuthProvider`], static header secrets and the OAuth2 [`TokenCache`];
//! - [`token_store`]: [`TokenStore`], the token set shared by every process of an account
//!   (compare-and-swap, single-flight refresh across processes, rotated tokens kept);
//! - [`classify`]: turning a platform's error response into a [`bc_core::Error`];
//! - [`client`]: [`HttpClient`], which puts them together and traces every request;
//! - [`telemetry`]: the metrics every request records.
//!
//! # Guards
//!
//! - A response body over [`HttpClientBuilder::max_response_bytes`] (default 32 MiB) is an
//!   error naming the platform and the endpoint template (never the query string); the
//!   transports read incrementally and stop at the limit (request extension
//!   [`MaxResponseBytes`]).
//! - A wait a platform asks for (`Retry-After`, `X-Rate-Limit-Time-Reset-Ms`, a connector's
//!   [`WaitHook`]) is honoured up to [`HttpClientBuilder::max_rate_limit_wait`] (default
//!   2 minutes) and logged through `tracing` at info: "waiting 27 s for bigcommerce's rate
//!   limit". A longer one is logged at warn and ends the retries with an error carrying the
//!   wait; a `Requests-Left: 0` pause is cut to the cap.
//!
//! # Metrics
//!
//! Recorded through the `metrics` facade (nothing happens until the program installs a
//! recorder; [`telemetry::describe_metrics`] adds the help texts):
//!
//! | name | type | labels |
//! |---|---|---|
//! | `bcsync_http_requests_total` | counter | `platform`, `endpoint` (`GET /v2/orders/{id}`: the path template, ids replaced by `{id}`), `status` (`200`, `429`, or `connect`/`timeout`/`reset`/`refused`/`too_large`/`error`) |
//! | `bcsync_http_rate_limited_total` | counter | `platform` (`429` answers) |
//! | `bcsync_http_retries_total` | counter | `platform` |
//! | `bcsync_rate_budget_remaining` | gauge | `platform`: requests left in the window, when the platform reports it |
//!
//! Secrets are `secrecy::SecretString`; no `Debug`, log line or error message shows one.
#![forbid(unsafe_code)]

pub mod auth;
pub mod classify;
pub mod client;
pub mod rate;
pub mod request;
pub mod retry;
pub mod telemetry;
pub mod token_store;
pub mod transport;

pub use auth::{
    AuthProvider, BearerAuth, OAuth2Config, RotationCallback, StaticHeaderAuth, TokenCache,
};
pub use classify::{default_classifier, ErrorClassifier, PlatformErrorDetail};
pub use client::{HttpClient, HttpClientBuilder};
pub use rate::{BudgetSnapshot, RateBudget, RateLimits, RatePermit, DEFAULT_MAX_PAUSE};
pub use request::{ApiRequest, ApiResponse, Idempotency};
pub use retry::{parse_wait_headers, RetryPolicy, WaitHook};
pub use token_store::{MemoryTokenStore, StoredTokens, TokenStore};
#[cfg(feature = "router")]
pub use transport::RouterTransport;
pub use transport::{
    HttpTransport, MaxResponseBytes, ReqwestTransport, ReqwestTransportBuilder, TransportError,
    TransportErrorKind, DEFAULT_MAX_RESPONSE_BYTES,
};

pub use secrecy::{ExposeSecret, SecretString};
