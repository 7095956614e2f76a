//! Magento payloads ⇄ bc-core types, one file per document kind; pure functions.
//!
//! - [`order`]: `sales-data-order-interface` → [`bc_core::Order`];
//! - [`refund`]: offline credit memos → [`bc_core::Refund`];
//! - [`shipment`]: [`bc_core::Shipment`] → the `POST /V1/order/{id}/ship` body;
//! - [`new_order`]: [`bc_core::NewOrder`] → the `PUT /V1/orders/create` body.

pub mod new_order;
pub mod order;
pub mod refund;
pub mod shipment;
