//! bc-state (work in progress).
