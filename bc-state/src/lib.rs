//! # bc-state — where bcsync keeps its state
//!
//! [`SqliteStateStore`] implements bc-engine's [`StateStore`] on an embedded SQLite file in WAL
//! mode: cross-references, cursors, the write journal of the exactly-once protocol, the
//! exception queue, the connector log, the last-pushed inventory and leases. The schema is
//! created and migrated when the store opens (`PRAGMA user_version` records the version).
//!
//! ```no_run
//! # async fn demo() -> bc_core::Result<()> {
//! let store = bc_state::SqliteStateStore::connect("sqlite://bcsync-state.sqlite").await?;
//! # let _ = store; Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod sqlite;

pub use sqlite::SqliteStateStore;

/// The trait this crate implements, re-exported.
pub use bc_engine::StateStore;
