//! Rate budgets: one per platform account (store hash, realm, tenant) in the process.
//!
//! Every [`crate::HttpClient`] of the same account shares one [`RateBudget`] (a process-wide
//! registry keyed by account, see [`RateBudget::shared`]), so that the orders job and the
//! inventory job together stay under the platform's published limit. The budget is a token
//! bucket (`requests` per `window`, bursting up to `requests`) plus a cap on requests in flight,
//! and it learns from responses: a `429` with a wait, or BigCommerce's
//! `X-Rate-Limit-Requests-Left: 0` with `X-Rate-Limit-Time-Reset-Ms`, pauses every caller of
//! the account until the platform's window resets.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use http::HeaderMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The longest pause a response's headers can put on an account through
/// [`RateBudget::observe`]: 2 minutes.
pub const DEFAULT_MAX_PAUSE: Duration = Duration::from_secs(120);

/// A platform's published limits for one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Requests allowed per window (`None` = no window limit).
    pub requests: Option<u32>,
    /// The window.
    pub window: Duration,
    /// Requests in flight at once (`None` = no cap).
    pub max_in_flight: Option<usize>,
    /// Count the window as the platform does when it keeps a log of requests (QBO: "500
    /// requests per minute" in any 60 seconds): at most `requests` in any `window`, no burst
    /// beyond it. `false`: a token bucket, which may send up to twice `requests` in one window
    /// (a full bucket plus its refill) and so meets 429s from a platform that counts a
    /// sliding window.
    pub sliding: bool,
}

impl RateLimits {
    /// `requests` per `window`, no in-flight cap.
    pub fn new(requests: u32, window: Duration) -> Self {
        RateLimits {
            requests: Some(requests.max(1)),
            window: if window.is_zero() {
                Duration::from_millis(1)
            } else {
                window
            },
            max_in_flight: None,
            sliding: false,
        }
    }

    /// Counts the window as a sliding log (see [`RateLimits::sliding`]).
    pub fn with_sliding_window(mut self) -> Self {
        self.sliding = true;
        self
    }

    /// No limit at all.
    pub fn unlimited() -> Self {
        RateLimits {
            requests: None,
            window: Duration::from_secs(1),
            max_in_flight: None,
            sliding: false,
        }
    }

    /// Caps the requests in flight.
    pub fn with_max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = Some(n.max(1));
        self
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
    /// What the platform last said: requests left, when (read by [`RateBudget::snapshot`]).
    reported_left: Option<(u64, Instant)>,
    /// When the platform said its window resets (`X-Rate-Limit-Time-Reset-Ms`).
    reset_at: Option<Instant>,
    /// The last `429`: when, and the wait it asked for (if any).
    last_429: Option<(Instant, Option<Duration>)>,
}

/// What a [`RateBudget`] knows at one moment, for operators (`bcsync status`): a read-only
/// copy, times relative to when it was taken.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BudgetSnapshot {
    /// The account key (`"bigcommerce:{store_hash}"`).
    pub account: String,
    /// Requests allowed per window (`None`: no window limit).
    pub window_limit: Option<u32>,
    /// The window.
    pub window: Duration,
    /// Requests that may go now without waiting: the local count, lowered to what the
    /// platform last reported while its window has not reset. `None` without a window limit.
    pub requests_left: Option<u32>,
    /// When the platform's window resets, from now (when it said so and that is still ahead).
    pub resets_in: Option<Duration>,
    /// How long every caller of the account is paused from now (a `429`'s wait, or none left).
    pub paused_for: Option<Duration>,
    /// How long ago the last `429` was answered, and the wait it asked for.
    pub last_429: Option<(Duration, Option<Duration>)>,
}

/// The requests of the last window, for [`RateLimits::sliding`]: each entry is a request,
/// `None` while it is in flight, then the time its response arrived. The response time is an
/// upper bound of when the platform counted the request, so waiting until it is a window old
/// guarantees the platform sees at most `requests` in any window, whatever the latency.
#[derive(Default)]
struct SlidingLog {
    next_id: u64,
    entries: std::collections::VecDeque<(u64, Option<Instant>)>,
}

/// The shared budget of one account. Cheap to share as `Arc<RateBudget>`.
pub struct RateBudget {
    key: String,
    limits: RateLimits,
    bucket: Mutex<Bucket>,
    in_flight: Option<Arc<Semaphore>>,
    log: Arc<Mutex<SlidingLog>>,
}

impl fmt::Debug for RateBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateBudget")
            .field("key", &self.key)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Held while a request is in flight; dropping it frees the slot (and, in a sliding window,
/// records when the response arrived).
pub struct RatePermit {
    _permit: Option<OwnedSemaphorePermit>,
    logged: Option<(Arc<Mutex<SlidingLog>>, u64)>,
}

impl fmt::Debug for RatePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RatePermit").finish_non_exhaustive()
    }
}

impl Drop for RatePermit {
    fn drop(&mut self) {
        if let Some((log, id)) = self.logged.take() {
            let mut log = match log.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if let Some(e) = log.entries.iter_mut().find(|e| e.0 == id) {
                e.1 = Some(Instant::now());
            }
        }
    }
}

tokio::task_local! {
    /// The accounts [`RateBudget::shared`] was asked for inside [`track_accounts`].
    static TRACKED: Arc<Mutex<BTreeSet<String>>>;
}

/// Runs `f` and returns, with its output, the keys of the shared budgets
/// ([`RateBudget::shared`]) asked for while it ran in this task: the platform accounts that
/// connecting something (a storefront, a ledger) touches.
pub async fn track_accounts<F: Future>(f: F) -> (F::Output, Vec<String>) {
    let seen: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let out = TRACKED.scope(Arc::clone(&seen), f).await;
    let keys = match seen.lock() {
        Ok(g) => g.iter().cloned().collect(),
        Err(p) => p.into_inner().iter().cloned().collect(),
    };
    (out, keys)
}

fn registry() -> &'static Mutex<HashMap<String, Weak<RateBudget>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Weak<RateBudget>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

impl RateBudget {
    /// A budget of its own (not shared through the registry).
    pub fn new(key: impl Into<String>, limits: RateLimits) -> Arc<Self> {
        Arc::new(RateBudget {
            key: key.into(),
            limits,
            bucket: Mutex::new(Bucket {
                tokens: f64::from(limits.requests.unwrap_or(0)),
                last: Instant::now(),
                paused_until: None,
                reported_left: None,
                reset_at: None,
                last_429: None,
            }),
            in_flight: limits.max_in_flight.map(|n| Arc::new(Semaphore::new(n))),
            log: Arc::new(Mutex::new(SlidingLog::default())),
        })
    }

    /// The process-wide budget of account `key` (`"bigcommerce:{store_hash}"`,
    /// `"qbo:{realm}"`): the first caller's `limits` create it, later callers share it while
    /// any holder keeps it alive.
    pub fn shared(key: &str, limits: RateLimits) -> Arc<Self> {
        let _ = TRACKED.try_with(|t| match t.lock() {
            Ok(mut g) => g.insert(key.to_string()),
            Err(p) => p.into_inner().insert(key.to_string()),
        });
        let mut map = match registry().lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if let Some(existing) = map.get(key).and_then(Weak::upgrade) {
            return existing;
        }
        map.retain(|_, w| w.strong_count() > 0);
        let budget = RateBudget::new(key, limits);
        map.insert(key.to_string(), Arc::downgrade(&budget));
        budget
    }

    /// Every budget of the process-wide registry that someone still holds (the accounts this
    /// process talks to), by key.
    pub fn shared_budgets() -> Vec<Arc<RateBudget>> {
        let map = match registry().lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let mut out: Vec<Arc<RateBudget>> = map.values().filter_map(Weak::upgrade).collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// The account key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The limits.
    pub fn limits(&self) -> RateLimits {
        self.limits
    }

    fn with_bucket<R>(&self, f: impl FnOnce(&mut Bucket) -> R) -> R {
        match self.bucket.lock() {
            Ok(mut b) => f(&mut b),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// Waits for a slot in flight and a request in the window; hold the permit until the
    /// response has arrived.
    pub async fn acquire(&self) -> RatePermit {
        let permit = match &self.in_flight {
            Some(sem) => sem.clone().acquire_owned().await.ok(),
            None => None,
        };
        if self.limits.sliding {
            return self.acquire_sliding(permit).await;
        }
        loop {
            let wait = self.with_bucket(|b| {
                let now = Instant::now();
                if let Some(until) = b.paused_until {
                    if until > now {
                        return Some(until - now);
                    }
                    b.paused_until = None;
                }
                let requests = self.limits.requests?;
                let cap = f64::from(requests);
                let rate = cap / self.limits.window.as_secs_f64();
                let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
                b.tokens = (b.tokens + elapsed * rate).min(cap);
                b.last = now;
                if b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    None
                } else {
                    Some(Duration::from_secs_f64(
                        ((1.0 - b.tokens) / rate).max(0.000_001),
                    ))
                }
            });
            match wait {
                None => break,
                Some(d) => tokio::time::sleep(d).await,
            }
        }
        RatePermit {
            _permit: permit,
            logged: None,
        }
    }

    async fn acquire_sliding(&self, permit: Option<OwnedSemaphorePermit>) -> RatePermit {
        loop {
            let paused = self.with_bucket(|b| {
                let now = Instant::now();
                match b.paused_until {
                    Some(until) if until > now => Some(until - now),
                    _ => None,
                }
            });
            if let Some(d) = paused {
                tokio::time::sleep(d).await;
                continue;
            }
            let Some(requests) = self.limits.requests else {
                return RatePermit {
                    _permit: permit,
                    logged: None,
                };
            };
            let wait = {
                let mut log = match self.log.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                let now = Instant::now();
                let window = self.limits.window;
                log.entries
                    .retain(|(_, done)| done.is_none_or(|t| t + window > now));
                if log.entries.len() < requests as usize {
                    let id = log.next_id;
                    log.next_id += 1;
                    log.entries.push_back((id, None));
                    drop(log);
                    return RatePermit {
                        _permit: permit,
                        logged: Some((self.log.clone(), id)),
                    };
                }
                // The oldest finished request leaves the window first; when every slot is
                // still in flight, look again shortly.
                log.entries
                    .iter()
                    .filter_map(|(_, done)| {
                        done.map(|t| (t + window).saturating_duration_since(now))
                    })
                    .min()
                    .unwrap_or(Duration::from_millis(5))
                    .max(Duration::from_millis(1))
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// A read-only copy of what the budget knows now (see [`BudgetSnapshot`]). Cheap: one
    /// lock, no waiting.
    pub fn snapshot(&self) -> BudgetSnapshot {
        let now = Instant::now();
        let sliding_used = if self.limits.sliding {
            let log = match self.log.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            let window = self.limits.window;
            Some(
                log.entries
                    .iter()
                    .filter(|(_, done)| done.is_none_or(|t| t + window > now))
                    .count(),
            )
        } else {
            None
        };
        self.with_bucket(|b| {
            let requests_left = self.limits.requests.map(|cap| {
                let local = match sliding_used {
                    Some(used) => u64::from(cap).saturating_sub(used as u64),
                    None => {
                        let rate = f64::from(cap) / self.limits.window.as_secs_f64();
                        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
                        (b.tokens + elapsed * rate)
                            .min(f64::from(cap))
                            .max(0.0)
                            .floor() as u64
                    }
                };
                let reported = b
                    .reported_left
                    .filter(|_| b.reset_at.is_none_or(|r| r > now))
                    .map(|(left, _)| left);
                let left = reported.map_or(local, |r| r.min(local));
                u32::try_from(left).unwrap_or(u32::MAX)
            });
            BudgetSnapshot {
                account: self.key.clone(),
                window_limit: self.limits.requests,
                window: self.limits.window,
                requests_left,
                resets_in: b.reset_at.filter(|r| *r > now).map(|r| r - now),
                paused_for: b.paused_until.filter(|u| *u > now).map(|u| u - now),
                last_429: b
                    .last_429
                    .map(|(at, wait)| (now.saturating_duration_since(at), wait)),
            }
        })
    }

    /// Records a `429` answer and the wait it asked for (for [`RateBudget::snapshot`]; the
    /// pause itself is [`RateBudget::pause_for`]).
    pub fn note_rate_limited(&self, wait: Option<Duration>) {
        let now = Instant::now();
        self.with_bucket(|b| b.last_429 = Some((now, wait)));
    }

    /// Pauses every caller of the account for `wait` (a `429`'s `Retry-After`).
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        self.with_bucket(|b| {
            if b.paused_until.is_none_or(|u| u < until) {
                b.paused_until = Some(until);
            }
        });
    }

    /// Learns from a response's headers: BigCommerce's `X-Rate-Limit-Requests-Left` caps the
    /// local tokens, and `0` left pauses the account for `X-Rate-Limit-Time-Reset-Ms` plus
    /// 1 ms (the header is whole milliseconds, rounded down: waking a fraction early would
    /// meet a 429), at most [`DEFAULT_MAX_PAUSE`].
    pub fn observe(&self, headers: &HeaderMap) {
        self.observe_capped(headers, DEFAULT_MAX_PAUSE);
    }

    /// [`RateBudget::observe`] with the pause capped at `max` (a platform asking for an hour
    /// does not stall the account for an hour: the next request meets a `429` with its own
    /// wait instead). Returns the pause applied and whether it was capped.
    pub fn observe_capped(&self, headers: &HeaderMap, max: Duration) -> Option<(Duration, bool)> {
        let num = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let left = num("x-rate-limit-requests-left");
        let reset_ms = num("x-rate-limit-time-reset-ms");
        let left = left?;
        let now = Instant::now();
        self.with_bucket(|b| {
            b.tokens = b.tokens.min(left as f64);
            b.reported_left = Some((left, now));
            b.reset_at = reset_ms.map(|ms| now + Duration::from_millis(ms));
        });
        if left != 0 {
            return None;
        }
        let asked = Duration::from_millis(reset_ms?.saturating_add(1));
        let pause = asked.min(max);
        self.pause_for(pause);
        Some((pause, asked > max))
    }

    /// When the account's pause ends, if it is paused.
    pub fn paused_until(&self) -> Option<Instant> {
        self.with_bucket(|b| b.paused_until.filter(|u| *u > Instant::now()))
    }
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;
    use http::HeaderValue;

    #[tokio::test(start_paused = true)]
    async fn a_snapshot_shows_what_is_left_and_the_last_429() {
        let b = RateBudget::new(
            "bigcommerce:snap",
            RateLimits::new(10, Duration::from_secs(30)),
        );
        let s = b.snapshot();
        assert_eq!(s.window_limit, Some(10));
        assert_eq!(s.requests_left, Some(10));
        assert_eq!(s.last_429, None);
        for _ in 0..3 {
            drop(b.acquire().await);
        }
        assert_eq!(b.snapshot().requests_left, Some(7));
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-requests-left", HeaderValue::from_static("2"));
        h.insert(
            "x-rate-limit-time-reset-ms",
            HeaderValue::from_static("5000"),
        );
        b.observe(&h);
        let s = b.snapshot();
        assert_eq!(s.requests_left, Some(2));
        assert_eq!(s.resets_in, Some(Duration::from_millis(5000)));
        b.note_rate_limited(Some(Duration::from_secs(3)));
        b.pause_for(Duration::from_secs(3));
        tokio::time::advance(Duration::from_secs(1)).await;
        let s = b.snapshot();
        assert_eq!(
            s.last_429,
            Some((Duration::from_secs(1), Some(Duration::from_secs(3))))
        );
        assert_eq!(s.paused_for, Some(Duration::from_secs(2)));
        assert_eq!(s.resets_in, Some(Duration::from_secs(4)));
    }

    #[tokio::test]
    async fn tracked_accounts_are_those_asked_for_inside() {
        let outside = RateBudget::shared("track:outside", RateLimits::unlimited());
        let ((a, b), keys) = track_accounts(async {
            (
                RateBudget::shared("track:a", RateLimits::unlimited()),
                RateBudget::shared("track:b", RateLimits::unlimited()),
            )
        })
        .await;
        assert_eq!(keys, vec!["track:a".to_string(), "track:b".to_string()]);
        let all: Vec<String> = RateBudget::shared_budgets()
            .iter()
            .map(|b| b.key().to_string())
            .collect();
        for k in ["track:a", "track:b", "track:outside"] {
            assert!(all.iter().any(|x| x == k), "{k} in {all:?}");
        }
        drop((a, b, outside));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[tokio::test(start_paused = true)]
    async fn window_limit_spaces_requests() {
        let b = RateBudget::new("t:window", RateLimits::new(2, Duration::from_secs(1)));
        let t0 = Instant::now();
        for _ in 0..4 {
            let _p = b.acquire().await;
        }
        // 2 burst, then one every 500 ms.
        assert_eq!(Instant::now() - t0, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_left_zero_pauses_the_account() {
        let b = RateBudget::shared("t:learn", RateLimits::unlimited());
        let same = RateBudget::shared("t:learn", RateLimits::new(1, Duration::from_secs(9)));
        assert!(Arc::ptr_eq(&b, &same));
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-requests-left", HeaderValue::from_static("0"));
        h.insert(
            "x-rate-limit-time-reset-ms",
            HeaderValue::from_static("1500"),
        );
        b.observe(&h);
        let t0 = Instant::now();
        let _p = same.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_millis(1501));
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurd_reset_is_capped() {
        let b = RateBudget::new("t:cap-reset", RateLimits::unlimited());
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-requests-left", HeaderValue::from_static("0"));
        h.insert(
            "x-rate-limit-time-reset-ms",
            HeaderValue::from_static("86400000"),
        );
        assert_eq!(
            b.observe_capped(&h, Duration::from_secs(30)),
            Some((Duration::from_secs(30), true))
        );
        let t0 = Instant::now();
        let _p = b.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(30));
        // The default cap.
        b.observe(&h);
        let t0 = Instant::now();
        let _p = b.acquire().await;
        assert_eq!(Instant::now() - t0, DEFAULT_MAX_PAUSE);
    }

    #[tokio::test(start_paused = true)]
    async fn sliding_window_never_exceeds_the_limit_in_any_window() {
        // A token bucket would let 2 × 3 through in the first second; the sliding log never
        // more than 3 in any second, counted from the responses.
        let b = RateBudget::new(
            "t:sliding",
            RateLimits::new(3, Duration::from_secs(1)).with_sliding_window(),
        );
        let t0 = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..10 {
            let p = b.acquire().await;
            sent.push(Instant::now() - t0);
            tokio::time::sleep(Duration::from_millis(100)).await; // latency
            drop(p);
        }
        for (i, t) in sent.iter().enumerate() {
            let in_window = sent
                .iter()
                .filter(|u| **u >= *t && **u < *t + Duration::from_secs(1))
                .count();
            assert!(
                in_window <= 3,
                "request {i} at {t:?}: {in_window} in its window"
            );
        }
        // ~3 per 1.1 s (window + latency): 10 requests take over 3 s.
        assert!(Instant::now() - t0 >= Duration::from_secs(3));
    }

    #[tokio::test]
    async fn in_flight_cap() {
        use futures::FutureExt;
        let b = RateBudget::new("t:cap", RateLimits::unlimited().with_max_in_flight(2));
        let p1 = b.acquire().await;
        let _p2 = b.acquire().await;
        assert!(
            b.acquire().now_or_never().is_none(),
            "a third request waits for a slot"
        );
        drop(p1);
        assert!(b.acquire().now_or_never().is_some());
    }
}
