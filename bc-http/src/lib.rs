//! bc-http (work in progress).
