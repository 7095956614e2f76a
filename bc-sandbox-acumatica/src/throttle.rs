//! The license's request limits: web services API requests per minute and concurrent
//! requests. Over either, a request is refused with 429 ("The number of requests has exceeded
//! the limit imposed by the license"). Acumatica queues requests over the concurrency limit
//! for a while before refusing; the sandbox refuses at once (stricter). Sign-out requests are
//! exempt from both limits, as the license restrictions page states.
//! (help.myob.com.au/advanced/Docs/Published/IntegrationDevelopmentGuide/IS__con_License_Restrictions_API_Users.html)

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::time::{Duration, Instant};

#[derive(Debug)]
struct State {
    per_minute: u32,
    concurrent: u32,
    window: VecDeque<Instant>,
    in_flight: u32,
    peak_in_flight: u32,
}

/// The limiter. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Throttle {
    state: Arc<Mutex<State>>,
}

/// A request in flight; dropping it frees its slot.
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
    /// Limits: `per_minute` and `concurrent` (0 = none).
    pub fn new(per_minute: u32, concurrent: u32) -> Self {
        Throttle {
            state: Arc::new(Mutex::new(State {
                per_minute,
                concurrent,
                window: VecDeque::new(),
                in_flight: 0,
                peak_in_flight: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the limits and forgets the current window.
    pub fn set_limits(&self, per_minute: u32, concurrent: u32) {
        let mut s = self.lock();
        s.per_minute = per_minute;
        s.concurrent = concurrent;
        s.window.clear();
    }

    /// `(per_minute, concurrent, peak in flight so far)`.
    pub fn limits(&self) -> (u32, u32, u32) {
        let s = self.lock();
        (s.per_minute, s.concurrent, s.peak_in_flight)
    }

    /// Admits a request, or says which limit it is over.
    pub fn acquire(&self) -> Result<Permit, &'static str> {
        let mut s = self.lock();
        let now = Instant::now();
        while s
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            s.window.pop_front();
        }
        if s.concurrent > 0 && s.in_flight >= s.concurrent {
            return Err(
                "The number of concurrent requests has exceeded the limit imposed by the license.",
            );
        }
        if s.per_minute > 0 && s.window.len() >= s.per_minute as usize {
            return Err(
                "The number of requests per minute has exceeded the limit imposed by the license.",
            );
        }
        s.window.push_back(now);
        s.in_flight += 1;
        s.peak_in_flight = s.peak_in_flight.max(s.in_flight);
        Ok(Permit {
            state: Arc::clone(&self.state),
        })
    }
}
