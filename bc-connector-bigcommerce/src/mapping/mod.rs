//! BigCommerce payloads ⇄ bc-core types, one file per document kind; pure functions (no
//! request is sent here), strict about money and ids — an id is a positive integer, as
//! BigCommerce documents it —, tolerant of documented oddities, errors naming the entity and
//! the field:
//!
//! - [`order`]: an order and its sub-resources ([`OrderParts`]) → [`bc_core::Order`], and
//!   what an order says is worth fetching ([`OrderNeeds`]);
//! - [`payment`]: v3 transactions → the order's payments and gift certificates;
//! - [`refund`]: a v3 refund → [`bc_core::Refund`];
//! - [`shipment`]: [`bc_core::Shipment`] ⇄ `POST /v2/orders/{id}/shipments`;
//! - [`new_order`]: [`bc_core::NewOrder`] → the `POST /v2/orders` body;
//! - [`inventory`]: levels → the absolute adjustment body;
//! - [`customer`]: a v3 customer → [`BcCustomer`];
//! - [`status`]: `/v2/order_statuses` → [`bc_core::OrderStatus`], status ids → numbers.
//!
//! Webhook deliveries are read by `bc-server` (`bcsync run --listen`).

pub mod customer;
pub mod inventory;
pub mod new_order;
pub mod order;
pub mod payment;
pub mod refund;
pub mod shipment;
pub mod status;

pub use crate::wire::{v3_page, Consignments, OrderParts};
pub use customer::{parse_customer, BcCustomer};
pub use order::{consignment_parts, order_needs, parse_order, parse_order_json, OrderNeeds};
pub use refund::parse_refund;
pub use shipment::parse_shipment_ref;
pub use status::parse_statuses;
