//! bc-connector-bc365 (being built).
