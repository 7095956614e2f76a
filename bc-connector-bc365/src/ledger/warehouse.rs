//! Posted sales shipments (with the package tracking number from the bcsync extension's
//! `salesShipmentTracking` page) and item availability per location (its
//! `itemAvailabilities` page): API v2.0 has neither a tracking number on `salesShipments`
//! nor stock per location on `items`, so a small BC extension publishes both as API pages,
//! the way Microsoft's Shopify connector reads `"Package Tracking No."` from table 110.
//! Availability cursors are `lastModifiedDateTime` values.
//!
//! The shipments cursor is `lastModifiedDateTime|id,id,…`: the last change seen and the
//! tracking rows already delivered at exactly that time. Business Central stamps changes to
//! the millisecond, so several shipments posted together share one `lastModifiedDateTime`;
//! a `gt` cursor that stopped inside such a group would skip the rest of it for good. The
//! feed therefore asks `ge` the cursor's time, drops the rows it already delivered, and asks
//! for that many rows more than a page, so that every call brings up to a page of new rows
//! however large the group. (A cursor without `|`, from an earlier version, is read as a
//! time with nothing delivered at it: its rows come again, and the engine, which keeps
//! each shipment once, skips them.)

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

/// A position in the shipments feed: the last change time seen and the ids delivered at it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FeedPosition {
    /// `lastModifiedDateTime` as Business Central wrote it (empty: the start).
    pub at: String,
    /// Ids of the rows already delivered whose `lastModifiedDateTime` is `at`.
    pub delivered: Vec<String>,
}

impl FeedPosition {
    /// Reads a cursor (see the module docs).
    pub fn parse(c: &Cursor) -> Self {
        match c.0.split_once('|') {
            Some((at, ids)) => FeedPosition {
                at: at.to_string(),
                delivered: ids
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            },
            None => FeedPosition {
                at: c.0.clone(),
                delivered: Vec::new(),
            },
        }
    }

    /// The cursor.
    pub fn cursor(&self) -> Cursor {
        Cursor(format!("{}|{}", self.at, self.delivered.join(",")))
    }

    /// Whether `row` (a time and an id) was delivered already.
    fn delivered(&self, at: &str, id: &str) -> bool {
        same_time(at, &self.at) && self.delivered.iter().any(|d| d.eq_ignore_ascii_case(id))
    }

    /// The position after `rows` (time, id), in the feed's order: the last time, and every
    /// row at it (those delivered before at the same time included).
    fn after<'a>(&self, rows: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Self {
        let Some(last) = rows.clone().map(|(at, _)| at).last() else {
            return self.clone();
        };
        let mut delivered: Vec<String> = if same_time(last, &self.at) {
            self.delivered.clone()
        } else {
            Vec::new()
        };
        for (at, id) in rows {
            if same_time(at, last) && !delivered.iter().any(|d| d.eq_ignore_ascii_case(id)) {
                delivered.push(id.to_string());
            }
        }
        FeedPosition {
            at: last.to_string(),
            delivered,
        }
    }
}

/// Whether two `lastModifiedDateTime` values are the same instant (`…:05Z` = `…:05.000Z`).
fn same_time(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

impl Bc365Ledger {
    pub(crate) async fn posted_shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        let pos = FeedPosition::parse(since);
        let mut q = vec![
            ("$orderby", "lastModifiedDateTime".to_string()),
            ("$top", (PAGE + pos.delivered.len()).to_string()),
        ];
        if !pos.at.is_empty() {
            q.push(("$filter", format!("lastModifiedDateTime ge {}", pos.at)));
        }
        let rows = self
            .client
            .ext_list("shipment tracking", "salesShipmentTracking", &q)
            .await?;
        let all: Vec<Tracking> = rows
            .into_iter()
            .map(|v| parse(v, "shipment tracking"))
            .collect::<Result<_>>()?;
        let next = pos.after(
            all.iter()
                .map(|t| (t.last_modified_date_time.as_str(), t.id.as_str())),
        );
        let tracking: Vec<&Tracking> = all
            .iter()
            .filter(|t| !pos.delivered(&t.last_modified_date_time, &t.id))
            .collect();
        if tracking.is_empty() {
            // Nothing new: the feed ends here, and the next run starts from the same place.
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
        Ok(Page::new(items, Some(next.cursor())).with_failures(failures))
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

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "2026-12-02T10:00:00.123Z";
    const T2: &str = "2026-12-02T10:00:00.124Z";

    #[test]
    fn cursor_round_trips_and_reads_the_old_form() {
        let p = FeedPosition {
            at: T1.into(),
            delivered: vec!["a".into(), "b".into()],
        };
        assert_eq!(FeedPosition::parse(&p.cursor()), p);
        assert_eq!(
            FeedPosition::parse(&Cursor(T1.into())),
            FeedPosition {
                at: T1.into(),
                delivered: vec![]
            }
        );
        assert_eq!(
            FeedPosition::parse(&Cursor::start()),
            FeedPosition::default()
        );
    }

    #[test]
    fn position_keeps_every_row_of_the_last_time() {
        let start = FeedPosition {
            at: T1.into(),
            delivered: vec!["a".into()],
        };
        // Same time again: what was delivered before at T1 stays delivered.
        let same = start.after([(T1, "b"), (T1, "c")].into_iter());
        assert_eq!(same.at, T1);
        assert_eq!(same.delivered, vec!["a", "b", "c"]);
        // A later time: only its rows.
        let later = start.after([(T1, "b"), (T2, "c"), (T2, "d")].into_iter());
        assert_eq!(later.at, T2);
        assert_eq!(later.delivered, vec!["c", "d"]);
        assert!(later.delivered(T2, "D"));
        assert!(later.delivered("2026-12-02T10:00:00.124000Z", "c"));
        assert!(!later.delivered(T1, "c"));
        // Nothing read: the position stays.
        assert_eq!(start.after(std::iter::empty()), start);
    }
}
