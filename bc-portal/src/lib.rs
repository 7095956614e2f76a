//! bc-portal (being built).
