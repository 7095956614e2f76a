//! # bc-engine — the bcsync sync engine
//!
//! - [`Engine`]: the jobs over any [`bc_core::Storefront`], [`bc_core::Ledger`] and
//!   [`StateStore`] — orders, statuses, shipments, inventory, refunds, payouts, erp-orders and
//!   the audit — each returning a [`RunReport`];
//! - exactly-once writes through the state store's journal (intent → write → done; after an
//!   unknown outcome the ledger is searched by import id before writing again);
//! - [`StateStore`]: cross-references, cursors, the write journal, the exception queue, the
//!   connector log, last-pushed inventory and leases; [`MemoryStateStore`] in memory, and
//!   [`state_conformance`] for any implementation (`bc-state` has the SQLite one);
//! - [`Scheduler`]: an interval per job, "sync now", webhook wake-ups, interval changes that
//!   apply at once;
//! - [`Engine::preflight`]: every waiting order planned and every mapped value checked
//!   against the ledger's catalog, with nothing written — each missing mapping once
//!   ([`Preflight`]), with the orders it blocks and the settings line that fixes it;
//! - a first run that cannot hurt the store: an order whose only problems are settings (an
//!   unmapped tax zone or payment method, a posting account not set, a currency not enabled,
//!   a mapped value the ledger's catalog lacks) is *held* — no exception, no storefront
//!   status, nothing written — and the run reports each cause once
//!   ([`RunReport::config_causes`]); [`Engine::import_order`] imports one order on purpose;
//!   [`Engine::retry_exceptions`] retries the queue in bulk; a progress hook
//!   ([`Engine::set_progress`]) follows every run;
//! - `testing` (cargo feature): in-memory storefront and ledger fakes with fault hooks.
//!
//! ## Exactly once
//!
//! Every ledger write goes through the journal ([`StateStore::journal_intent`] →
//! write → [`StateStore::journal_done`]), keyed by entity + operation + import id + revision.
//! When the intent already existed (an earlier attempt's outcome is unknown: a timeout, a
//! 502 after commit, a crash), the engine first searches the ledger by import id
//! (`find_document` / `find_documents`, `find_credit_memo`, `find_journal`, `find_client`,
//! `find_items`) and adopts what it finds. The storefront status change comes only after
//! `done` is recorded. Receipts rely on the ledger's idempotency keys
//! (`capabilities().idempotency_keys`); without them an unknown receipt outcome goes to the
//! exception queue for a person, as do storefront shipments and ERP-originated orders (the
//! storefront cannot be searched for them).
//!
//! ```no_run
//! # async fn demo(storefront: std::sync::Arc<dyn bc_core::Storefront>,
//! #               ledger: std::sync::Arc<dyn bc_core::Ledger>,
//! #               settings: bc_core::Settings) -> bc_core::Result<()> {
//! use std::sync::Arc;
//! use bc_engine::{Engine, Job, MemoryStateStore, Scheduler};
//! let engine = Arc::new(Engine::new(storefront, ledger, Arc::new(MemoryStateStore::new()), settings.clone()));
//! let report = engine.run(Job::Orders).await?; // once
//! println!("{report}");
//! let (scheduler, handle) = Scheduler::new(engine.clone(), Scheduler::intervals_from(&settings));
//! tokio::spawn(scheduler.run());
//! handle.sync_now(Job::Inventory);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod breaker;
mod engine;
pub mod faulty_state;
pub mod jobs;
mod journal;
mod memory_state;
mod report;
pub mod scheduler;
pub mod state;
pub mod state_conformance;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use engine::{payload_hash, Engine, EngineOptions, MappingHook, ProgressHook};
pub use faulty_state::FaultyStateStore;
pub use jobs::audit::{AuditReport, Finding};
pub use jobs::preflight::{Preflight, PreflightProblem, SettingsFix};
pub use jobs::retry::{RetryFilter, RetryReport};
pub use memory_state::MemoryStateStore;
pub use report::{ConfigCause, Failure, Job, ProblemGroup, Progress, RequestCounts, RunReport};
pub use scheduler::{Scheduler, SchedulerHandle};
#[cfg(feature = "mock")]
pub use state::MockStateStore;
pub use state::{
    CrossRef, Direction, EntityKind, ExceptionFilter, ExceptionReason, ExceptionRecord,
    ExceptionStatus, Fence, Intent, Lease, LogEntry, LogQuery, Outcome, StateOp, StateStore,
    StoredCredentials, WriteKey, WriteRecord, WriteState,
};
