//! Posted sales shipments + the bcsync extension's tracking row → [`LedgerShipment`].

use bc_core::{ImportId, LedgerRef, LedgerShipment, Shipment, ShipmentLine, Sku};
use chrono::{NaiveDate, TimeZone, Utc};

use crate::wire;

/// The storefront carrier for a BC shipping agent code (`UPS` → `ups`).
pub fn carrier(agent: &str) -> Option<String> {
    let a = agent.trim();
    (!a.is_empty()).then(|| match a.to_ascii_uppercase().as_str() {
        "ROYALMAIL" | "RM" => "royal-mail".to_string(),
        "DHL" | "DHLEXPRESS" => "dhl".to_string(),
        other => other.to_ascii_lowercase(),
    })
}

/// One shipment for the storefront.
pub fn ledger_shipment(t: &wire::Tracking, s: Option<&wire::Shipment>) -> LedgerShipment {
    let lines = s
        .map(|s| {
            s.sales_shipment_lines
                .iter()
                .filter(|l| l.line_type == "Item" && !l.quantity.is_zero())
                .map(|l| ShipmentLine {
                    line_id: None,
                    sku: Some(Sku::new(l.line_object_number.clone())),
                    quantity: l.quantity,
                })
                .collect()
        })
        .unwrap_or_default();
    let shipped_at = NaiveDate::parse_from_str(&t.shipment_date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Utc.from_utc_datetime(&d));
    let doc_no = if t.order_number.is_empty() {
        t.external_document_number.clone()
    } else {
        t.order_number.clone()
    };
    LedgerShipment {
        at: LedgerRef::new(t.id.clone()).with_number(t.number.clone()),
        document: LedgerRef::new(doc_no.clone()).with_number(doc_no),
        import_id: t.external_document_number.parse::<ImportId>().ok(),
        shipment: Shipment {
            tracking_number: Some(t.package_tracking_no.clone()).filter(|x| !x.is_empty()),
            carrier: carrier(&t.shipping_agent_code),
            ship_via: Some(t.shipping_agent_service_code.clone()).filter(|x| !x.is_empty()),
            comments: None,
            lines,
            shipped_at,
        },
    }
}
