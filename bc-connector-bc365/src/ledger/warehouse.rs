//! Posted sales shipments (with the package tracking number from the bcsync extension's
//! `salesShipmentTracking` page) and item availability per location (its
//! `itemAvailabilities` page): API v2.0 has neither a tracking number on `salesShipments`
//! nor stock per location on `items`, so a small BC extension publishes both as API pages,
//! the way Microsoft's Shopify connector reads `"Package Tracking No."` from table 110.
//! Cursors are `lastModifiedDateTime` values.

use bc_core::{Cursor, InventoryLevel, LedgerShipment, Page, Result, Sku};
use serde_json::Value;

use super::Bc365Ledger;
use crate::client::{lit, BatchOp};
use crate::mapping::shipment::ledger_shipment;
use crate::wire::{parse, Availability, Shipment, Tracking};

/// Tracking rows per page.
const PAGE: usize = 100;

fn since_filter(since: &Cursor) -> Option<String> {
    (!since.is_start()).then(|| format!("lastModifiedDateTime gt {}", since.0))
}

impl Bc365Ledger {
    pub(crate) async fn posted_shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        let mut q = vec![
            ("$orderby", "lastModifiedDateTime".to_string()),
            ("$top", PAGE.to_string()),
        ];
        if let Some(f) = since_filter(since) {
            q.push(("$filter", f));
        }
        let rows = self
            .client
            .ext_list("shipment tracking", "salesShipmentTracking", &q)
            .await?;
        let tracking: Vec<Tracking> = rows
            .into_iter()
            .map(|v| parse(v, "shipment tracking"))
            .collect::<Result<_>>()?;
        if tracking.is_empty() {
            return Ok(Page::new(Vec::new(), None));
        }
        let ops = tracking
            .iter()
            .map(|t| BatchOp {
                method: "GET",
                url: self.client.rel_query(
                    &format!("salesShipments({})", t.id),
                    &[("$expand", "salesShipmentLines".into())],
                ),
                body: None,
                if_match: None,
                what: format!("read shipment {}", t.number),
            })
            .collect();
        let answers = self.client.batch(ops, true).await?;
        let mut items = Vec::with_capacity(tracking.len());
        let mut failures = Vec::new();
        for (t, a) in tracking.iter().zip(answers) {
            match a
                .into_result()
                .and_then(|v| parse::<Shipment>(v, "shipment"))
            {
                Ok(s) => items.push(ledger_shipment(t, Some(&s))),
                Err(e) => failures.push(bc_core::ItemFailure::from_error(t.number.clone(), &e)),
            }
        }
        // The next call starts after the last change seen; an empty page ends the feed.
        let next = tracking
            .last()
            .map(|t| Cursor(t.last_modified_date_time.clone()));
        let page = Page::new(items, next).with_failures(failures);
        Ok(page)
    }

    pub(crate) async fn available(
        &self,
        warehouse: &str,
        since: &Cursor,
    ) -> Result<Page<InventoryLevel>> {
        let mut filter = format!("locationCode eq {}", lit(warehouse));
        if let Some(f) = since_filter(since) {
            filter = format!("{filter} and {f}");
        }
        let q = [
            ("$filter", filter),
            ("$orderby", "lastModifiedDateTime".to_string()),
        ];
        let rows = self
            .client
            .ext_list("item availability", "itemAvailabilities", &q)
            .await?;
        let rows: Vec<Availability> = rows
            .into_iter()
            .map(|v: Value| parse(v, "item availability"))
            .collect::<Result<_>>()?;
        let items = rows
            .iter()
            .map(|r| InventoryLevel {
                sku: Sku::new(r.item_number.clone()),
                available: r.inventory,
            })
            .collect();
        Ok(Page::new(items, None))
    }
}
