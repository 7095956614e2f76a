//! bc-sandbox-bc365 (being built).
