//! Retries: what may be retried, how long to wait, and when to give up.
//!
//! The classifier lives in [`crate::client`] (it needs the request's [`crate::Idempotency`]);
//! this module holds the policy (attempts, total time, exponential backoff with full jitter)
//! and the platforms' wait headers.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Reads a platform-specific wait header (a connector hook, e.g. QBO's throttling hints).
/// Returns `None` when the headers say nothing.
pub type WaitHook = Arc<dyn Fn(&HeaderMap) -> Option<Duration> + Send + Sync>;

/// How often and how long to retry temporary failures.
#[derive(Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Total time budget from the first attempt; no retry starts after it.
    pub max_elapsed: Duration,
    /// The first backoff ceiling; doubles at each retry.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// The longest platform-requested wait honoured; a longer one ends the retries (the error
    /// carries `retry_after` so the engine can come back later).
    pub max_wait_header: Duration,
    rng: Arc<Mutex<StdRng>>,
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("max_elapsed", &self.max_elapsed)
            .field("base_delay", &self.base_delay)
            .field("max_delay", &self.max_delay)
            .field("max_wait_header", &self.max_wait_header)
            .finish()
    }
}

impl Default for RetryPolicy {
    /// 5 attempts, 2 minutes, backoff from 200 ms up to 20 s, platform waits up to 2 minutes.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_elapsed: Duration::from_secs(120),
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
            max_wait_header: Duration::from_secs(120),
            rng: Arc::new(Mutex::new(StdRng::from_entropy())),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts (first included).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the total time budget.
    pub fn with_max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// Sets the backoff's first and largest ceilings.
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// Sets the longest platform-requested wait honoured.
    pub fn with_max_wait_header(mut self, d: Duration) -> Self {
        self.max_wait_header = d;
        self
    }

    /// Makes the jitter deterministic (tests).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        self
    }

    /// The backoff before retry number `retry` (1 = first retry): full jitter, a uniform
    /// random duration in `[0, min(max_delay, base_delay · 2^(retry-1))]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let nanos = ceiling.as_nanos().min(u128::from(u64::MAX)) as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        let pick = match self.rng.lock() {
            Ok(mut rng) => rng.gen_range(0..=nanos),
            Err(poisoned) => poisoned.into_inner().gen_range(0..=nanos),
        };
        Duration::from_nanos(pick)
    }
}

/// The wait a response asks for: `Retry-After` (seconds or an HTTP date) or BigCommerce's
/// `X-Rate-Limit-Time-Reset-Ms`; the longest of those present.
pub fn parse_wait_headers(headers: &HeaderMap) -> Option<Duration> {
    let retry_after = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let reset_ms = headers
        .get("x-rate-limit-time-reset-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis);
    match (retry_after, reset_ms) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Parses a `Retry-After` value: delta seconds (`"3"`, `"1.5"` tolerated) or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn backoff_is_bounded_and_seedable() {
        let p = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_secs(1))
            .with_seed(7);
        let q = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_secs(1))
            .with_seed(7);
        for retry in 1..10 {
            let a = p.backoff(retry);
            assert_eq!(a, q.backoff(retry), "same seed, same jitter");
            let ceiling =
                Duration::from_millis(100 * (1 << (retry - 1))).min(Duration::from_secs(1));
            assert!(a <= ceiling, "{a:?} > {ceiling:?}");
        }
    }

    #[test]
    fn wait_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(parse_wait_headers(&h), None);
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(parse_wait_headers(&h), Some(Duration::from_secs(3)));
        h.insert(
            "x-rate-limit-time-reset-ms",
            HeaderValue::from_static("4500"),
        );
        assert_eq!(parse_wait_headers(&h), Some(Duration::from_millis(4500)));
        let mut h = HeaderMap::new();
        let later = SystemTime::now() + Duration::from_secs(30);
        h.insert(
            "retry-after",
            HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap(),
        );
        let w = parse_wait_headers(&h).unwrap();
        assert!(
            w <= Duration::from_secs(30) && w >= Duration::from_secs(28),
            "{w:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
