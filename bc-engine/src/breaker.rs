//! The circuit breaker of one job run, per platform side.
//!
//! bc-http retries each request (it knows what may be repeated and honours the platform's
//! waits); the engine does not multiply that. What the engine adds is the decision to stop:
//! after an authentication failure, or after `threshold` consecutive calls that failed even
//! with bc-http's retries, the platform is treated as unavailable for the rest of the run.
//! The run then stops with one clear error, files no exception and changes no storefront
//! status for the items it did not try (ARCHITECTURE §4, "Retries have one owner").

use std::sync::Mutex;

use bc_core::{Error, ErrorKind, Result};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::engine::Side;
use crate::state::is_lease_lost;

/// Whether an error says something about the platform account (or this worker's lease)
/// rather than about one item: such an error never becomes an exception of the item; the
/// item is deferred.
pub(crate) fn is_account_level(e: &Error) -> bool {
    e.is_temporary() || matches!(e.kind(), ErrorKind::Unauthenticated) || is_lease_lost(e)
}

#[derive(Default)]
struct State {
    successes: u64,
    consecutive_failures: u32,
    open: Option<Error>,
}

/// The breaker of one side in one run.
pub(crate) struct Breaker {
    state: Mutex<State>,
    /// One call at a time until the side has answered once.
    probe: Semaphore,
}

/// Held while a call is made before the side's first success.
pub(crate) struct Probe<'a>(#[allow(dead_code)] Option<SemaphorePermit<'a>>);

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: Mutex::new(State::default()),
            probe: Semaphore::new(1),
        }
    }
}

impl Breaker {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// The error that opened the breaker, if it is open.
    pub(crate) fn open_error(&self) -> Option<Error> {
        self.with(|s| s.open.clone())
    }

    /// Waits for the right to call: at once after a first success, one at a time before it;
    /// an error (the one that opened it) when the breaker is open.
    pub(crate) async fn gate(&self) -> Result<Probe<'_>> {
        if let Some(e) = self.open_error() {
            return Err(e);
        }
        if self.with(|s| s.successes > 0) {
            return Ok(Probe(None));
        }
        let permit = self
            .probe
            .acquire()
            .await
            .map_err(|_| Error::new(ErrorKind::Internal, "circuit breaker closed"))?;
        if let Some(e) = self.open_error() {
            return Err(e);
        }
        let first_done = self.with(|s| s.successes > 0);
        Ok(Probe((!first_done).then_some(permit)))
    }

    /// Records how a call ended.
    pub(crate) fn record<T>(&self, result: &Result<T>, threshold: u32, side: Side) {
        self.with(|s| match result {
            Ok(_) => {
                s.successes += 1;
                s.consecutive_failures = 0;
            }
            Err(e) if e.kind() == ErrorKind::Unauthenticated => {
                s.open.get_or_insert_with(|| opened(side, e));
            }
            // Only the platform not answering counts: a temporary refusal of one item (a
            // credit memo waiting for its invoice: `NotFound`, temporary) says it answered.
            Err(e)
                if e.is_temporary()
                    && matches!(
                        e.kind(),
                        ErrorKind::RateLimited | ErrorKind::Unavailable | ErrorKind::Internal
                    ) =>
            {
                s.consecutive_failures += 1;
                if s.consecutive_failures >= threshold.max(1) {
                    s.open.get_or_insert_with(|| opened(side, e));
                }
            }
            // A refusal of one item (invalid, conflict, not found, an unknown outcome of one
            // write) says the platform answered.
            Err(_) => {
                s.successes += 1;
                s.consecutive_failures = 0;
            }
        });
    }
}

fn opened(side: Side, e: &Error) -> Error {
    let what = match side {
        Side::Storefront => "the storefront",
        Side::Ledger => "the ledger",
    };
    let why = if e.kind() == ErrorKind::Unauthenticated {
        "refused the credentials"
    } else {
        "is not answering"
    };
    Error::new(
        e.kind(),
        format!("stopped this run: {what} {why}: {e}; the items not tried yet are left as they are and are taken again next run"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporary(kind: ErrorKind) -> Result<()> {
        Err(Error::new(kind, "x").with_temporary(true))
    }

    #[test]
    fn items_waiting_do_not_open_it_a_platform_not_answering_does() {
        let b = Breaker::default();
        for _ in 0..5 {
            b.record(&temporary(ErrorKind::NotFound), 2, Side::Ledger);
        }
        assert!(b.open_error().is_none());
        b.record(&temporary(ErrorKind::Unavailable), 2, Side::Ledger);
        assert!(b.open_error().is_none());
        b.record(&temporary(ErrorKind::RateLimited), 2, Side::Ledger);
        let open = b
            .open_error()
            .expect("open after two calls the platform did not answer");
        assert!(
            open.to_string().contains("the ledger is not answering"),
            "{open}"
        );
    }
}
