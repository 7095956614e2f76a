//! bc-sandbox (work in progress).
