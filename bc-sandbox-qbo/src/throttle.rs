//! QBO's throttling: per realm, at most `quota_per_min` requests in any 60 seconds (QBO: 500)
//! and at most `max_concurrent` in flight (QBO: 10). Over either limit the request is refused
//! with 429 and the `ThrottleExceeded` fault; refused requests do not use up the quota.
//! `/batch` calls also have their own quota (Intuit: 40 per minute per realm); a batch counts
//! as one request towards the per-minute quota.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};

#[derive(Debug)]
struct State {
    quota_per_min: u32,
    max_concurrent: u32,
    batch_per_min: u32,
    window: VecDeque<DateTime<Utc>>,
    batch_window: VecDeque<DateTime<Utc>>,
    in_flight: u32,
    window_len: Duration,
}

/// The limiter of one realm. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Throttle {
    state: Arc<Mutex<State>>,
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttled {
    /// The per-minute quota is spent.
    Quota,
    /// Too many requests in flight.
    Concurrency,
    /// The per-minute `/batch` quota is spent.
    Batch,
}

/// A request in flight; dropping it frees its concurrency slot.
#[derive(Debug)]
pub struct Permit {
    state: Arc<Mutex<State>>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.in_flight = s.in_flight.saturating_sub(1);
    }
}

impl Throttle {
    /// A limiter with these limits.
    pub fn new(quota_per_min: u32, max_concurrent: u32, batch_per_min: u32) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                quota_per_min,
                max_concurrent,
                batch_per_min,
                window: VecDeque::new(),
                batch_window: VecDeque::new(),
                in_flight: 0,
                window_len: Duration::seconds(60),
            })),
        }
    }

    /// The same limiter over a window of `secs` seconds instead of QBO's 60 (scaled tests).
    pub fn with_window_secs(self, secs: u64) -> Self {
        self.lock().window_len = Duration::seconds(i64::try_from(secs.max(1)).unwrap_or(60));
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the limits (tests lower them, benches raise them).
    pub fn set_limits(&self, quota_per_min: u32, max_concurrent: u32) {
        let mut s = self.lock();
        s.quota_per_min = quota_per_min;
        s.max_concurrent = max_concurrent;
    }

    /// The limits now: `(quota_per_min, max_concurrent)`.
    pub fn limits(&self) -> (u32, u32) {
        let s = self.lock();
        (s.quota_per_min, s.max_concurrent)
    }

    /// Forgets the requests counted so far (a fresh minute).
    pub fn reset_window(&self) {
        let mut s = self.lock();
        s.window.clear();
        s.batch_window.clear();
    }

    /// Changes the `/batch` requests allowed per minute.
    pub fn set_batch_limit(&self, batch_per_min: u32) {
        self.lock().batch_per_min = batch_per_min;
    }

    /// Admits a request at `now` (`batch`: a `/batch` call, which also has its own quota), or
    /// says why not.
    pub fn acquire(&self, now: DateTime<Utc>, batch: bool) -> Result<Permit, Throttled> {
        let mut s = self.lock();
        let horizon = now - s.window_len;
        // Concurrent requests may record their times slightly out of order: drop every old
        // entry, not only those at the front.
        s.window.retain(|t| *t > horizon);
        s.batch_window.retain(|t| *t > horizon);
        if batch && s.batch_window.len() >= s.batch_per_min as usize {
            return Err(Throttled::Batch);
        }
        if s.in_flight >= s.max_concurrent {
            return Err(Throttled::Concurrency);
        }
        if s.window.len() >= s.quota_per_min as usize {
            return Err(Throttled::Quota);
        }
        s.window.push_back(now);
        if batch {
            s.batch_window.push_back(now);
        }
        s.in_flight += 1;
        Ok(Permit {
            state: Arc::clone(&self.state),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_and_concurrency() {
        let t = Throttle::new(3, 2, 1);
        let now = Utc::now();
        let a = t.acquire(now, false);
        let b = t.acquire(now, true);
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(t.acquire(now, false).err(), Some(Throttled::Concurrency));
        drop(a);
        drop(b);
        assert_eq!(t.acquire(now, true).err(), Some(Throttled::Batch));
        let c = t.acquire(now, false);
        assert!(c.is_ok());
        drop(c);
        assert_eq!(t.acquire(now, false).err(), Some(Throttled::Quota));
        assert!(t.acquire(now + Duration::seconds(61), true).is_ok());
    }
}
