//! The fault-injecting state store the demo's workers use, [`faulty_state::FaultyStateStore`].
//!
//! It lives in bc-engine (`bc-engine/src/faulty_state.rs`, beside the other fault wrappers);
//! until bc-engine's `lib.rs` declares and re-exports it, the demo compiles that same file
//! here. The file names its items through `super::`, which resolves to bc-engine's crate root
//! there and to the re-exports below here. Once `bc_engine::FaultyStateStore` exists, this
//! module becomes `pub use bc_engine::faulty_state;`.

pub use bc_engine::state;
#[cfg(test)]
pub use bc_engine::MemoryStateStore;

// Part of bc-engine's public API; the demo uses some of it.
#[allow(dead_code)]
#[path = "../../../bc-engine/src/faulty_state.rs"]
pub mod faulty_state;
