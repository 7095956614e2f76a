//! [`FaultyStateStore`]: any [`StateStore`] with a seeded share of its calls failing with a
//! temporary "database is busy" error, the way SQLite answers `SQLITE_BUSY` when another
//! connection holds the write lock past the busy timeout, or PostgreSQL answers a
//! serialization failure.
//!
//! A refused call is refused **before** it reaches the inner store: nothing of it is applied
//! (SQLite applies nothing of a statement that got `SQLITE_BUSY`,
//! <https://www.sqlite.org/rescode.html#busy>; a PostgreSQL transaction that fails is rolled
//! back). Like the fault wrappers in `testing`, it is a store itself and forwards **every**
//! method, provided ones included, so that the inner store's own implementations are used.
//! `bcsync demo --faults RATE` wraps the worker's state store in it.
//!
//! The items it names are reached through `super::` so that the file reads the same from the
//! crate root of bc-engine (where `state` and `MemoryStateStore` live).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bc_core::{async_trait, Error, ErrorKind, LedgerRef, Result, Sku};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use secrecy::SecretString;

use super::state::{
    CrossRef, EntityKind, ExceptionFilter, ExceptionReason, ExceptionRecord, Fence, Intent, Lease,
    LogEntry, LogQuery, StateOp, StateStore, StoredCredentials, WriteKey, WriteRecord,
};

/// The operation name carried by an injected busy error ([`Error::operation`]).
pub const INJECTED_BUSY: &str = "state store busy (injected)";

/// A state store that refuses a seeded share of calls with a temporary "database is busy"
/// error before they reach `inner`.
///
/// ```
/// # async fn demo() -> bc_core::Result<()> {
/// use std::sync::Arc;
/// use bc_engine::{FaultyStateStore, MemoryStateStore, StateStore};
/// let store = FaultyStateStore::new(Arc::new(MemoryStateStore::new()), 7, 0.5);
/// let mut refused = 0;
/// for _ in 0..100 {
///     if store.cursor("orders").await.is_err() {
///         refused += 1;
///     }
/// }
/// assert!(refused > 20 && refused < 80);
/// assert_eq!(store.injected(), refused);
/// # Ok(()) }
/// ```
pub struct FaultyStateStore {
    inner: Arc<dyn StateStore>,
    // xorshift64* state; a mutex keeps the stream one sequence across tasks.
    rng: Mutex<u64>,
    // Rate in parts per million (a float would make the draw depend on rounding).
    rate_ppm: AtomicU64,
    calls: AtomicU64,
    injected: AtomicU64,
    // When set, only calls of these operations may fail.
    only: Mutex<Option<Vec<String>>>,
}

impl FaultyStateStore {
    /// Wraps `inner`; `rate` (0.0–1.0, clamped) of the calls fail, drawn from `seed`.
    pub fn new(inner: Arc<dyn StateStore>, seed: u64, rate: f64) -> Self {
        FaultyStateStore {
            inner,
            rng: Mutex::new(seed.wrapping_mul(6_364_136_223_846_793_005) | 1),
            rate_ppm: AtomicU64::new(rate_to_ppm(rate)),
            calls: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            only: Mutex::new(None),
        }
    }

    /// Limits the faults to the calls of `ops` (the trait's method names, e.g.
    /// `"record_exception"`); the other calls always go through.
    pub fn only(self, ops: &[&str]) -> Self {
        *self.only.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(ops.iter().map(|o| (*o).to_string()).collect());
        self
    }

    /// Changes the share of calls that fail (0.0 turns the faults off).
    pub fn set_rate(&self, rate: f64) {
        self.rate_ppm.store(rate_to_ppm(rate), Ordering::SeqCst);
    }

    /// Calls made so far (refused ones included).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Calls refused so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// The wrapped store.
    pub fn inner(&self) -> &Arc<dyn StateStore> {
        &self.inner
    }

    /// Draws the fate of one call of `op`: `Err` with a busy error, or `Ok` to go on.
    fn gate(&self, op: &str) -> Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let rate = self.rate_ppm.load(Ordering::SeqCst);
        if rate == 0 {
            return Ok(());
        }
        if let Some(only) = &*self.only.lock().unwrap_or_else(|p| p.into_inner()) {
            if !only.iter().any(|o| o == op) {
                return Ok(());
            }
        }
        let draw = {
            let mut s = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            next_rand(&mut s) % 1_000_000
        };
        if draw >= rate {
            return Ok(());
        }
        self.injected.fetch_add(1, Ordering::SeqCst);
        Err(busy(op))
    }
}

/// The error an injected fault returns: temporary, kind `Unavailable`, naming the call.
pub fn busy(op: &str) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!("state store: {op}: database is busy (injected fault)"),
    )
    .with_temporary(true)
    .with_operation(INJECTED_BUSY)
}

fn rate_to_ppm(rate: f64) -> u64 {
    let r = if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    };
    // In [0, 1_000_000]: the cast cannot truncate a meaningful part.
    (r * 1_000_000.0).round() as u64
}

fn next_rand(state: &mut u64) -> u64 {
    // xorshift64*
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[async_trait]
impl StateStore for FaultyStateStore {
    async fn put_xref(&self, xref: &CrossRef) -> Result<()> {
        self.gate("put_xref")?;
        self.inner.put_xref(xref).await
    }
    async fn xref(&self, kind: EntityKind, key: &str) -> Result<Option<CrossRef>> {
        self.gate("xref")?;
        self.inner.xref(kind, key).await
    }
    async fn xrefs_of(&self, kind: EntityKind, keys: &[String]) -> Result<Vec<Option<CrossRef>>> {
        self.gate("xrefs_of")?;
        self.inner.xrefs_of(kind, keys).await
    }
    async fn xref_by_ledger(&self, kind: EntityKind, ledger_id: &str) -> Result<Option<CrossRef>> {
        self.gate("xref_by_ledger")?;
        self.inner.xref_by_ledger(kind, ledger_id).await
    }
    async fn xrefs(&self, kind: EntityKind) -> Result<Vec<CrossRef>> {
        self.gate("xrefs")?;
        self.inner.xrefs(kind).await
    }
    async fn cursor(&self, job: &str) -> Result<Option<String>> {
        self.gate("cursor")?;
        self.inner.cursor(job).await
    }
    async fn set_cursor(&self, job: &str, value: &str) -> Result<()> {
        self.gate("set_cursor")?;
        self.inner.set_cursor(job, value).await
    }
    async fn journal_intents<'f>(
        &self,
        fence: Option<&'f Fence>,
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>> {
        self.gate("journal_intents")?;
        self.inner.journal_intents(fence, intents, now).await
    }
    async fn commit_then_intents<'f>(
        &self,
        fence: Option<&'f Fence>,
        ops: &[StateOp],
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>> {
        self.gate("commit_then_intents")?;
        self.inner
            .commit_then_intents(fence, ops, intents, now)
            .await
    }
    async fn commit<'f>(
        &self,
        fence: Option<&'f Fence>,
        ops: &[StateOp],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.gate("commit")?;
        self.inner.commit(fence, ops, now).await
    }
    async fn journal_intent(
        &self,
        key: &WriteKey,
        payload_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WriteRecord>> {
        self.gate("journal_intent")?;
        self.inner.journal_intent(key, payload_hash, now).await
    }
    async fn journal_done(&self, key: &WriteKey, at: &LedgerRef, now: DateTime<Utc>) -> Result<()> {
        self.gate("journal_done")?;
        self.inner.journal_done(key, at, now).await
    }
    async fn journal_failed(&self, key: &WriteKey, reason: &str, now: DateTime<Utc>) -> Result<()> {
        self.gate("journal_failed")?;
        self.inner.journal_failed(key, reason, now).await
    }
    async fn journal(&self, key: &WriteKey) -> Result<Option<WriteRecord>> {
        self.gate("journal")?;
        self.inner.journal(key).await
    }
    async fn journal_pending(&self) -> Result<Vec<WriteRecord>> {
        self.gate("journal_pending")?;
        self.inner.journal_pending().await
    }
    async fn record_exception(
        &self,
        entity: EntityKind,
        key: &str,
        reasons: &[ExceptionReason],
        now: DateTime<Utc>,
    ) -> Result<ExceptionRecord> {
        self.gate("record_exception")?;
        self.inner.record_exception(entity, key, reasons, now).await
    }
    async fn resolve_exception(&self, entity: EntityKind, key: &str) -> Result<bool> {
        self.gate("resolve_exception")?;
        self.inner.resolve_exception(entity, key).await
    }
    async fn request_retry(&self, entity: EntityKind, key: &str) -> Result<bool> {
        self.gate("request_retry")?;
        self.inner.request_retry(entity, key).await
    }
    async fn exception(&self, entity: EntityKind, key: &str) -> Result<Option<ExceptionRecord>> {
        self.gate("exception")?;
        self.inner.exception(entity, key).await
    }
    async fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<ExceptionRecord>> {
        self.gate("exceptions")?;
        self.inner.exceptions(filter).await
    }
    async fn log(&self, entry: &LogEntry) -> Result<()> {
        self.gate("log")?;
        self.inner.log(entry).await
    }
    async fn search_log(&self, query: &LogQuery) -> Result<Vec<LogEntry>> {
        self.gate("search_log")?;
        self.inner.search_log(query).await
    }
    async fn last_pushed(&self) -> Result<BTreeMap<Sku, Decimal>> {
        self.gate("last_pushed")?;
        self.inner.last_pushed().await
    }
    async fn set_last_pushed(&self, levels: &[(Sku, Decimal)]) -> Result<()> {
        self.gate("set_last_pushed")?;
        self.inner.set_last_pushed(levels).await
    }
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>> {
        self.gate("acquire_lease")?;
        self.inner.acquire_lease(name, owner, now, ttl).await
    }
    async fn take_over_lease(
        &self,
        name: &str,
        from_owner: &str,
        to_owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>> {
        self.gate("take_over_lease")?;
        self.inner
            .take_over_lease(name, from_owner, to_owner, now, ttl)
            .await
    }
    async fn renew_lease(&self, fence: &Fence, now: DateTime<Utc>, ttl: Duration) -> Result<bool> {
        self.gate("renew_lease")?;
        self.inner.renew_lease(fence, now, ttl).await
    }
    async fn release_lease(&self, fence: &Fence) -> Result<bool> {
        self.gate("release_lease")?;
        self.inner.release_lease(fence).await
    }
    async fn lease(&self, name: &str) -> Result<Option<Lease>> {
        self.gate("lease")?;
        self.inner.lease(name).await
    }
    async fn leases(&self) -> Result<Vec<Lease>> {
        self.gate("leases")?;
        self.inner.leases().await
    }
    async fn credentials(&self, account: &str) -> Result<Option<StoredCredentials>> {
        self.gate("credentials")?;
        self.inner.credentials(account).await
    }
    async fn swap_credentials(
        &self,
        account: &str,
        expected_generation: u64,
        value: &SecretString,
    ) -> Result<bool> {
        self.gate("swap_credentials")?;
        self.inner
            .swap_credentials(account, expected_generation, value)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::state::{EntityKind, StateStore, WriteKey, WriteState};
    use super::super::MemoryStateStore;
    use super::*;

    fn store(seed: u64, rate: f64) -> FaultyStateStore {
        FaultyStateStore::new(Arc::new(MemoryStateStore::new()), seed, rate)
    }

    #[tokio::test]
    async fn a_refused_call_applies_nothing_and_is_temporary() {
        let s = store(3, 1.0);
        let key = WriteKey::new(EntityKind::Order, "post", "BC1100", 0);
        let e = s
            .journal_intent(&key, "h", Utc::now())
            .await
            .expect_err("rate 1.0 refuses every call");
        assert!(e.is_temporary(), "{e}");
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(e.operation(), Some(INJECTED_BUSY));
        assert!(e.to_string().contains("database is busy"), "{e}");
        assert!(
            s.inner().journal(&key).await.unwrap().is_none(),
            "nothing reached the inner store"
        );
        s.set_rate(0.0);
        assert!(s
            .journal_intent(&key, "h", Utc::now())
            .await
            .unwrap()
            .is_none());
        let rec = s.journal(&key).await.unwrap().unwrap();
        assert_eq!(rec.state, WriteState::Intent);
        assert_eq!(s.injected(), 1);
        assert_eq!(s.calls(), 3);
    }

    #[tokio::test]
    async fn the_same_seed_refuses_the_same_calls() {
        let pattern = |seed| async move {
            let s = store(seed, 0.3);
            let mut out = Vec::new();
            for _ in 0..200 {
                out.push(s.cursor("orders").await.is_err());
            }
            out
        };
        let a = pattern(11).await;
        assert_eq!(a, pattern(11).await);
        assert_ne!(a, pattern(12).await);
        let refused = a.iter().filter(|x| **x).count();
        assert!((30..90).contains(&refused), "{refused} of 200 at 0.3");
    }

    #[tokio::test]
    async fn rate_zero_forwards_everything() {
        let s = store(5, 0.0);
        for _ in 0..100 {
            s.set_cursor("orders", "x").await.unwrap();
        }
        assert_eq!(s.injected(), 0);
        assert_eq!(s.cursor("orders").await.unwrap().as_deref(), Some("x"));
    }
}
