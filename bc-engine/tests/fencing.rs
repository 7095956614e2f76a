//! Leases fence: two workers on one SQLite state file; the first is paused past its lease
//! (a stopped process: its renewals stop too), the second takes the job over and posts; the
//! first wakes and can write nothing — every state write of its run is refused by the fence,
//! so it posts nothing, files nothing and changes no storefront status.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use std::collections::BTreeMap;

use async_trait::async_trait;
use bc_core::{Order, OrderQuery, OrderStatus, Page, Result, Sku, StatusId, Storefront};
use bc_engine::testing::test_settings;
use bc_engine::{
    CrossRef, Engine, EngineOptions, EntityKind, ExceptionFilter, ExceptionReason, ExceptionRecord,
    Fence, Intent, Job, Lease, LogEntry, LogQuery, StateOp, StateStore, WriteKey, WriteRecord,
};
use bc_state::SqliteStateStore;
use chrono::{DateTime, Utc};
use common::*;
use rust_decimal::Decimal;
use tokio::sync::Notify;

/// A switch that parks whoever passes it while it is on (a SIGSTOPped process).
#[derive(Default)]
struct Pause {
    on: AtomicBool,
    parked: Notify,
    resumed: Notify,
}

impl Pause {
    async fn point(&self) {
        if self.on.load(Ordering::SeqCst) {
            self.parked.notify_one();
            while self.on.load(Ordering::SeqCst) {
                self.resumed.notified().await;
            }
        }
    }

    fn resume(&self) {
        self.on.store(false, Ordering::SeqCst);
        self.resumed.notify_waiters();
    }
}

/// The storefront as the paused worker sees it: listing orders parks it.
struct PausedStorefront {
    inner: Arc<dyn Storefront>,
    pause: Arc<Pause>,
}

#[async_trait]
impl Storefront for PausedStorefront {
    fn capabilities(&self) -> bc_core::StorefrontCapabilities {
        self.inner.capabilities()
    }
    async fn orders(&self, query: &OrderQuery) -> Result<Page<Order>> {
        let page = self.inner.orders(query).await;
        self.pause.point().await;
        page
    }
    async fn order(&self, id: &bc_core::OrderId) -> Result<Order> {
        self.inner.order(id).await
    }
    async fn set_order_status(&self, id: &bc_core::OrderId, status: &StatusId) -> Result<()> {
        self.inner.set_order_status(id, status).await
    }
    async fn create_shipment(
        &self,
        id: &bc_core::OrderId,
        shipment: &bc_core::Shipment,
    ) -> Result<bc_core::ShipmentRef> {
        self.inner.create_shipment(id, shipment).await
    }
    async fn statuses(&self) -> Result<Vec<OrderStatus>> {
        self.inner.statuses().await
    }
}

/// The state store as the paused worker's process sees it: while paused, its lease renewals
/// do not happen either.
struct PausedState {
    inner: Arc<SqliteStateStore>,
    pause: Arc<Pause>,
}

#[async_trait]
impl StateStore for PausedState {
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>> {
        self.inner.acquire_lease(name, owner, now, ttl).await
    }
    async fn xref(&self, kind: EntityKind, key: &str) -> Result<Option<CrossRef>> {
        self.inner.xref(kind, key).await
    }
    async fn xref_by_ledger(&self, kind: EntityKind, id: &str) -> Result<Option<CrossRef>> {
        self.inner.xref_by_ledger(kind, id).await
    }
    async fn xrefs(&self, kind: EntityKind) -> Result<Vec<CrossRef>> {
        self.inner.xrefs(kind).await
    }
    async fn cursor(&self, job: &str) -> Result<Option<String>> {
        self.inner.cursor(job).await
    }
    async fn journal_intents<'f>(
        &self,
        fence: Option<&'f Fence>,
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>> {
        self.inner.journal_intents(fence, intents, now).await
    }
    async fn commit<'f>(
        &self,
        fence: Option<&'f Fence>,
        ops: &[StateOp],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.inner.commit(fence, ops, now).await
    }
    async fn journal(&self, key: &WriteKey) -> Result<Option<WriteRecord>> {
        self.inner.journal(key).await
    }
    async fn journal_pending(&self) -> Result<Vec<WriteRecord>> {
        self.inner.journal_pending().await
    }
    async fn record_exception(
        &self,
        entity: EntityKind,
        key: &str,
        reasons: &[ExceptionReason],
        now: DateTime<Utc>,
    ) -> Result<ExceptionRecord> {
        self.inner.record_exception(entity, key, reasons, now).await
    }
    async fn resolve_exception(&self, entity: EntityKind, key: &str) -> Result<bool> {
        self.inner.resolve_exception(entity, key).await
    }
    async fn request_retry(&self, entity: EntityKind, key: &str) -> Result<bool> {
        self.inner.request_retry(entity, key).await
    }
    async fn exception(&self, entity: EntityKind, key: &str) -> Result<Option<ExceptionRecord>> {
        self.inner.exception(entity, key).await
    }
    async fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<ExceptionRecord>> {
        self.inner.exceptions(filter).await
    }
    async fn search_log(&self, query: &LogQuery) -> Result<Vec<LogEntry>> {
        self.inner.search_log(query).await
    }
    async fn last_pushed(&self) -> Result<BTreeMap<Sku, Decimal>> {
        self.inner.last_pushed().await
    }
    async fn set_last_pushed(&self, levels: &[(Sku, Decimal)]) -> Result<()> {
        self.inner.set_last_pushed(levels).await
    }
    async fn take_over_lease(
        &self,
        name: &str,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>> {
        self.inner.take_over_lease(name, from, to, now, ttl).await
    }
    async fn release_lease(&self, fence: &Fence) -> Result<bool> {
        self.inner.release_lease(fence).await
    }
    async fn lease(&self, name: &str) -> Result<Option<Lease>> {
        self.inner.lease(name).await
    }
    async fn leases(&self) -> Result<Vec<Lease>> {
        self.inner.leases().await
    }
    async fn renew_lease(&self, fence: &Fence, now: DateTime<Utc>, ttl: Duration) -> Result<bool> {
        self.pause.point().await;
        self.inner
            .renew_lease(fence, Utc::now().max(now), ttl)
            .await
    }
}

#[tokio::test]
async fn a_worker_paused_past_its_lease_cannot_write_when_it_wakes() {
    const ORDERS: u64 = 8;
    let w = World::with_orders(ORDERS);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let ttl = Duration::from_millis(300);
    let options = |owner: &str| EngineOptions {
        owner: owner.into(),
        lease_ttl: ttl,
        ..fast()
    };

    // Worker A: parks right after reading the first page of orders.
    let pause = Arc::new(Pause::default());
    pause.on.store(true, Ordering::SeqCst);
    let a_state = Arc::new(PausedState {
        inner: Arc::new(SqliteStateStore::open(&path).await.unwrap()),
        pause: pause.clone(),
    });
    let a = Arc::new(Engine::with_options(
        Arc::new(PausedStorefront {
            inner: w.storefront.clone(),
            pause: pause.clone(),
        }),
        w.ledger.clone(),
        a_state.clone() as Arc<dyn StateStore>,
        test_settings(""),
        options("worker-a"),
    ));
    let parked = pause.parked.notified();
    let a_run = tokio::spawn({
        let a = a.clone();
        async move { a.run(Job::Orders).await }
    });
    parked.await;
    let a_lease = a_state.lease("job:orders").await.unwrap().unwrap();
    assert!(a_lease.owner.starts_with("worker-a#"));

    // A stays parked past its lease; worker B, on its own handle of the same file, takes over.
    tokio::time::sleep(ttl * 2).await;
    let b_state = Arc::new(SqliteStateStore::open(&path).await.unwrap());
    let b = Engine::with_options(
        w.storefront.clone(),
        w.ledger.clone(),
        b_state.clone() as Arc<dyn StateStore>,
        test_settings(""),
        options("worker-b"),
    );
    let rb = b.run(Job::Orders).await.unwrap();
    assert_eq!(rb.done, ORDERS as usize, "{rb}");
    let b_lease_token = b_state.lease("job:orders").await.unwrap().unwrap().token;
    assert!(b_lease_token > a_lease.token);
    let journal_after_b = b_state.journal_pending().await.unwrap();
    let exceptions_after_b = b_state
        .exceptions(&ExceptionFilter::default())
        .await
        .unwrap();

    // A wakes with its stale page of orders: every write of its run is refused.
    pause.resume();
    let ra = a_run.await.unwrap().unwrap();
    let why = ra.stopped.as_deref().expect("worker A stopped");
    assert!(why.contains("no longer held"), "{why}");
    assert_eq!(ra.done, 0, "{ra}");
    assert!(ra.failed.is_empty(), "{ra}");
    assert_eq!(w.ledger.with(|l| l.documents.len()), ORDERS as usize);
    for i in 1..=ORDERS {
        assert_eq!(
            w.ledger.with(|l| l.documents_for(&format!("BC1{i}")).len()),
            1
        );
        assert_eq!(
            w.storefront.status_of(&i.to_string()),
            Some(StatusId::new(COMPLETED)),
            "order {i} keeps the status B set"
        );
    }
    assert_eq!(b_state.journal_pending().await.unwrap(), journal_after_b);
    assert_eq!(
        b_state
            .exceptions(&ExceptionFilter::default())
            .await
            .unwrap(),
        exceptions_after_b
    );
    // B's lease is untouched by A's release attempt.
    let l = b_state.lease("job:orders").await.unwrap().unwrap();
    assert_eq!(l.token, b_lease_token);
}
