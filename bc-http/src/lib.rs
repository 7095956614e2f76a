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
//! - [`client`]: [`HttpClient`], which puts them together and traces every request.
//!
//! Secrets are `secrecy::SecretString`; no `Debug`, log line or error message shows one.
#![forbid(unsafe_code)]

pub mod auth;
pub mod classify;
pub mod client;
pub mod rate;
pub mod request;
pub mod retry;
pub mod token_store;
pub mod transport;

pub use auth::{
    AuthProvider, BearerAuth, OAuth2Config, RotationCallback, StaticHeaderAuth, TokenCache,
};
pub use classify::{default_classifier, ErrorClassifier, PlatformErrorDetail};
pub use client::{HttpClient, HttpClientBuilder};
pub use rate::{RateBudget, RateLimits, RatePermit};
pub use request::{ApiRequest, ApiResponse, Idempotency};
pub use retry::{parse_wait_headers, RetryPolicy, WaitHook};
pub use token_store::{MemoryTokenStore, StoredTokens, TokenStore};
#[cfg(feature = "router")]
pub use transport::RouterTransport;
pub use transport::{
    HttpTransport, ReqwestTransport, ReqwestTransportBuilder, TransportError, TransportErrorKind,
};

pub use secrecy::{ExposeSecret, SecretString};
