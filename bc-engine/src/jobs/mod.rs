//! The jobs (ARCHITECTURE §4), each a method of [`crate::Engine`] returning a
//! [`crate::RunReport`].

pub mod audit;
pub(crate) mod config;
pub mod fulfilment;
pub(crate) mod lookups;
pub mod money;
pub mod orders;
pub mod preflight;
pub mod retry;
