//! Shared helpers of bc-engine's tests.
#![allow(dead_code)]

pub mod sandboxes;

use std::sync::Arc;

use bc_core::{Ledger, Settings};
use bc_engine::testing::{sample_order, test_settings, MemoryLedger, MemoryStorefront};
use bc_engine::{Engine, EngineOptions, MemoryStateStore, StateStore};

/// BigCommerce status ids used by the test settings.
pub const AWAITING_FULFILLMENT: &str = "11";
pub const COMPLETED: &str = "10";
pub const MANUAL_VERIFICATION: &str = "12";

pub struct World {
    pub storefront: Arc<MemoryStorefront>,
    pub ledger: Arc<MemoryLedger>,
    pub state: Arc<MemoryStateStore>,
}

pub fn fast() -> EngineOptions {
    EngineOptions {
        concurrency: 4,
        breaker_threshold: 50,
        page_size: 7,
        ..EngineOptions::default()
    }
}

impl World {
    pub fn new() -> Self {
        World {
            storefront: Arc::new(MemoryStorefront::new()),
            ledger: Arc::new(MemoryLedger::new()),
            state: Arc::new(MemoryStateStore::new()),
        }
    }

    /// `n` orders (ids 1..=n) awaiting fulfilment, taxed in a mapped zone.
    pub fn with_orders(n: u64) -> Self {
        let w = World::new();
        w.storefront
            .add_orders((1..=n).map(|i| sample_order(i, AWAITING_FULFILLMENT, "CA State Tax")));
        w
    }

    pub fn engine(&self, settings: Settings) -> Engine {
        self.engine_on(self.ledger.clone(), settings)
    }

    pub fn engine_on(&self, ledger: Arc<dyn Ledger>, settings: Settings) -> Engine {
        Engine::with_options(
            self.storefront.clone(),
            ledger,
            self.state.clone() as Arc<dyn StateStore>,
            settings,
            fast(),
        )
    }

    pub fn default_engine(&self) -> Engine {
        self.engine(test_settings(""))
    }
}
