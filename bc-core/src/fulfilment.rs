//! Shipments, statuses and inventory: what flows from the ledger back to the storefront.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{LedgerRef, OrderId, ShipmentId, Sku, StatusId};
use crate::ImportId;

/// A shipment to create in the storefront (S1): tracking, carrier and the lines shipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// Tracking number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// Carrier (`"ups"`, `"fedex"`, `"usps"`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// The shipping method / ship via.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_via: Option<String>,
    /// Comments for the shopper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// Lines shipped, by storefront line id (or SKU when the ledger only knows SKUs).
    pub lines: Vec<ShipmentLine>,
    /// When it shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<DateTime<Utc>>,
}

/// A line of a shipment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    /// The storefront's order line id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_id: Option<String>,
    /// The SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// Quantity shipped.
    pub quantity: Decimal,
}

/// A shipment created in the storefront.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentRef {
    /// The storefront's shipment id.
    pub id: ShipmentId,
}

/// A shipment processed in the ledger, found by the shipments job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerShipment {
    /// The ledger's shipment (or document) reference: the de-duplication key.
    pub at: LedgerRef,
    /// The ledger document it ships.
    pub document: LedgerRef,
    /// The import id of that document, when it came from a storefront order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<ImportId>,
    /// The shipment.
    pub shipment: Shipment,
}

/// A storefront order status with its label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatus {
    /// The id (`"11"`).
    pub id: StatusId,
    /// The system name (`"Awaiting Fulfillment"`).
    pub name: String,
    /// The merchant's custom label, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_label: Option<String>,
}

impl OrderStatus {
    /// Whether `spec` names this status by id, name or custom label (case-insensitive).
    pub fn matches(&self, spec: &str) -> bool {
        let s = spec.trim();
        self.id.as_str() == s
            || self.name.eq_ignore_ascii_case(s)
            || self
                .custom_label
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(s))
    }
}

/// A ledger document whose status changed (for `status_direction = push_ledger`, T1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentStatus {
    /// The document.
    pub at: LedgerRef,
    /// Its import id, when it came from a storefront order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<ImportId>,
    /// The ledger's status name.
    pub status: String,
    /// When it changed.
    pub changed_at: DateTime<Utc>,
}

/// A stock level.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InventoryLevel {
    /// SKU.
    pub sku: Sku,
    /// Quantity available (on hand − committed), never negative when pushed.
    pub available: Decimal,
}

/// An order created in the ledger (ERP-originated, E1), to be created in the storefront.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerOrder {
    /// The ledger's reference.
    pub at: LedgerRef,
    /// The order as the storefront should receive it.
    pub order: crate::NewOrder,
    /// Unpaid balance (E1: created only when the sync conditions hold, e.g. balance 0).
    pub unpaid_balance: Decimal,
    /// The storefront order it was already created as, when cross-referenced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storefront_order: Option<OrderId>,
}
