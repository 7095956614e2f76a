//! Memory of the orders job over a long backlog, and the time to the first posted order.
//!
//! The storefront makes each page's orders on the fly (keyset by id; an order leaves the list
//! once its status is set) and the ledger only counts what it is given, so neither holds the
//! backlog: the process's peak RSS is the engine's own share (plus the SQLite state store's
//! page cache). Run one backlog size per process, since peak RSS is per process:
//!
//! ```text
//! cargo bench -p bc-engine --bench rss -- 10000
//! cargo bench -p bc-engine --bench rss -- 100000
//! ```
//!
//! Prints one JSON line: `orders`, `posted`, `peak_rss_mb`, `first_post_ms`, `elapsed_s`.

#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use bc_core::{
    Client, ClientKey, ClientRef, Cursor, ImportId, ItemKey, ItemRef, Ledger, LedgerCapabilities,
    LedgerDocument, LedgerRef, Order, OrderId, OrderQuery, OrderStatus, Page, Receipt, Result,
    SalesDocument, StatusId, Storefront, StorefrontCapabilities,
};
use bc_engine::testing::{bigcommerce_statuses, sample_order, test_settings};
use bc_engine::{Engine, EngineOptions, Job, StateStore};
use bc_state::SqliteStateStore;

const AWAITING: &str = "11";

/// `n` orders awaiting fulfilment, made when listed; a bit per order remembers which left.
struct Backlog {
    n: u64,
    done: Mutex<Vec<bool>>,
}

#[async_trait]
impl Storefront for Backlog {
    fn capabilities(&self) -> StorefrontCapabilities {
        let mut c = StorefrontCapabilities::new("backlog");
        c.max_page_size = 250;
        c
    }
    async fn orders(&self, q: &OrderQuery) -> Result<Page<Order>> {
        let after: u64 = q
            .cursor
            .as_ref()
            .and_then(|c| c.0.parse().ok())
            .unwrap_or(0);
        let limit = u64::from(q.limit.unwrap_or(250).min(250));
        let done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        let ids: Vec<u64> = (after + 1..=self.n)
            .filter(|i| !done[(*i - 1) as usize])
            .take(limit as usize)
            .collect();
        drop(done);
        let next = ids
            .last()
            .filter(|l| **l < self.n)
            .map(|l| Cursor(l.to_string()));
        Ok(Page::new(
            ids.into_iter()
                .map(|i| sample_order(i, AWAITING, "CA State Tax"))
                .collect(),
            next,
        ))
    }
    async fn order(&self, id: &OrderId) -> Result<Order> {
        Ok(sample_order(
            id.as_str().parse().unwrap_or(1),
            AWAITING,
            "CA State Tax",
        ))
    }
    async fn set_order_status(&self, id: &OrderId, _status: &StatusId) -> Result<()> {
        if let Ok(i) = id.as_str().parse::<usize>() {
            let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(d) = done.get_mut(i.saturating_sub(1)) {
                *d = true;
            }
        }
        Ok(())
    }
    async fn create_shipment(
        &self,
        _id: &OrderId,
        _shipment: &bc_core::Shipment,
    ) -> Result<bc_core::ShipmentRef> {
        Err(bc_core::Error::unsupported("backlog", "shipments"))
    }
    async fn statuses(&self) -> Result<Vec<OrderStatus>> {
        Ok(bigcommerce_statuses())
    }
}

/// A ledger that posts into nothing but a counter.
struct Counter {
    posted: AtomicU64,
    first: Mutex<Option<Instant>>,
}

#[async_trait]
impl Ledger for Counter {
    fn capabilities(&self) -> LedgerCapabilities {
        let mut c = LedgerCapabilities::new("counter", bc_core::Currency::USD);
        c.batch_size = 30;
        c.idempotency_keys = true;
        c.currencies = vec![bc_core::Currency::EUR, bc_core::Currency::CAD];
        c
    }
    async fn find_client(&self, _key: &ClientKey) -> Result<Option<ClientRef>> {
        Ok(Some(ClientRef {
            at: LedgerRef::new("C1"),
            display_name: "Client".into(),
        }))
    }
    async fn create_client(&self, _client: &Client) -> Result<ClientRef> {
        Ok(ClientRef {
            at: LedgerRef::new("C1"),
            display_name: "Client".into(),
        })
    }
    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        Ok(keys
            .iter()
            .map(|k| {
                Some(ItemRef {
                    at: LedgerRef::new("I1"),
                    name: format!("{k:?}"),
                    sku: None,
                    tracks_inventory: false,
                })
            })
            .collect())
    }
    async fn find_document(&self, _import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        Ok(None)
    }
    async fn post_sales_document(&self, _doc: &SalesDocument) -> Result<LedgerRef> {
        let n = self.posted.fetch_add(1, Ordering::Relaxed);
        if n == 0 {
            *self.first.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        }
        Ok(LedgerRef::new(format!("D{n}")))
    }
    async fn post_receipt(&self, _receipt: &Receipt) -> Result<LedgerRef> {
        Ok(LedgerRef::new("R"))
    }
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = Arc::new(
            SqliteStateStore::open(dir.path().join("state.sqlite"))
                .await
                .expect("state"),
        );
        let ledger = Arc::new(Counter {
            posted: AtomicU64::new(0),
            first: Mutex::new(None),
        });
        let storefront = Arc::new(Backlog {
            n,
            done: Mutex::new(vec![false; n as usize]),
        });
        let engine = Engine::with_options(
            storefront,
            ledger.clone(),
            state as Arc<dyn StateStore>,
            test_settings(""),
            EngineOptions::default(),
        );
        let start = Instant::now();
        let report = engine.run(Job::Orders).await.expect("orders job");
        let first = ledger
            .first
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map(|t| t.duration_since(start).as_millis());
        println!(
            "{{\"orders\":{n},\"posted\":{},\"done\":{},\"failed\":{},\"deferred\":{},\"peak_rss_mb\":{:.1},\"first_post_ms\":{},\"elapsed_s\":{:.1}}}",
            ledger.posted.load(Ordering::Relaxed),
            report.done,
            report.failed.len(),
            report.deferred,
            peak_rss_mb(),
            first.map_or("null".to_string(), |f| f.to_string()),
            start.elapsed().as_secs_f64()
        );
    });
}
