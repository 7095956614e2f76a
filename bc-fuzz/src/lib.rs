//! bc-fuzz (being built).
