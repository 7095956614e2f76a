//! Connecting to one BigCommerce store.

use std::fmt;
use std::time::Duration;

use bc_http::{RateLimits, RetryPolicy};
use secrecy::SecretString;

/// The settings of one store's API account.
#[derive(Clone)]
pub struct BigCommerceConfig {
    /// The store hash (`https://api.bigcommerce.com/stores/{store_hash}/…`).
    pub store_hash: String,
    /// The API account's access token (`X-Auth-Token`).
    pub access_token: SecretString,
    /// The API host (default `https://api.bigcommerce.com`; a loopback sandbox in tests).
    pub api_base: String,
    /// The account's limits. Default: 150 requests per 30 s (BigCommerce's Standard and Plus
    /// plans), 8 in flight. The platform's own `X-Rate-Limit-*` headers are honoured on top.
    pub limits: RateLimits,
    /// Retries (default [`RetryPolicy::default`]).
    pub retry: RetryPolicy,
    /// Orders of a page completed concurrently (sub-resources, default 4).
    pub concurrency: usize,
    /// Read each paid order's v3 transactions for its payments (gateway, transaction id,
    /// authorised vs captured, gift certificate codes). Default `true`; `false` saves about
    /// one request per order and takes the state from the order's `payment_status`.
    pub payment_transactions: bool,
    /// The inventory location absolute adjustments are made at (default 1, the default
    /// location).
    pub inventory_location_id: u64,
}

impl fmt::Debug for BigCommerceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BigCommerceConfig")
            .field("store_hash", &self.store_hash)
            .field("access_token", &"******")
            .field("api_base", &self.api_base)
            .field("limits", &self.limits)
            .field("concurrency", &self.concurrency)
            .field("payment_transactions", &self.payment_transactions)
            .field("inventory_location_id", &self.inventory_location_id)
            .finish()
    }
}

impl BigCommerceConfig {
    /// The settings of a store with the defaults.
    pub fn new(store_hash: impl Into<String>, access_token: SecretString) -> Self {
        BigCommerceConfig {
            store_hash: store_hash.into(),
            access_token,
            api_base: "https://api.bigcommerce.com".into(),
            limits: RateLimits::new(150, Duration::from_secs(30)).with_max_in_flight(8),
            retry: RetryPolicy::default(),
            concurrency: 4,
            payment_transactions: true,
            inventory_location_id: 1,
        }
    }

    /// Whether payments come from v3 transactions (see
    /// [`BigCommerceConfig::payment_transactions`]).
    pub fn with_payment_transactions(mut self, yes: bool) -> Self {
        self.payment_transactions = yes;
        self
    }

    /// Uses another API host (a sandbox).
    pub fn with_api_base(mut self, base: impl Into<String>) -> Self {
        self.api_base = base.into();
        self
    }

    /// Sets the account limits.
    pub fn with_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The account key of the shared rate budget.
    pub fn account_key(&self) -> String {
        format!("bigcommerce:{}", self.store_hash)
    }

    /// `{api_base}/stores/{store_hash}`.
    pub fn base_url(&self) -> String {
        format!(
            "{}/stores/{}",
            self.api_base.trim_end_matches('/'),
            self.store_hash
        )
    }
}
