//! Guides: how to write a connector and how to embed the engine.

#[doc = include_str!("writing_a_connector.md")]
pub mod writing_a_connector {}

#[doc = include_str!("embedding.md")]
pub mod embedding {}
