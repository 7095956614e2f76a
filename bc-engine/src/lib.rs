//! bc-engine (work in progress).
