//! What flows from Acumatica back: confirmed shipments (S1/E2), released invoices (E2, T1),
//! availability per warehouse (I1), and ERP-originated orders (E1).
//!
//! Cursors: shipments and statuses keep the last `LastModifiedDateTime` seen. ERP orders keep
//! `{"since": <LastModified>, "pending": [order refs]}`: an order that does not qualify yet,
//! or that qualified but has no storefront number written back, stays in `pending` and is read
//! again on every call — never dropped because the time cursor moved past it.

use std::collections::{BTreeMap, BTreeSet};

use bc_core::{
    Cursor, DocumentStatus, ImportId, InventoryLevel, LedgerOrder, LedgerRef, LedgerShipment, Page,
    Result, Shipment, ShipmentLine, Sku,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{doc_ref, AcumaticaLedger};
use crate::mapping::erp_order::{
    from_storefront, qualify, storefront_number, storefront_order, Verdict,
};
use crate::mapping::{dec, lit, rows, text};

const PAGE: usize = 100;

fn since_filter(field: &str, cursor: &Cursor) -> Option<String> {
    (!cursor.is_start()).then(|| format!("{field} gt datetimeoffset'{}'", cursor.0))
}

fn time(row: &Value, field: &str) -> Option<DateTime<Utc>> {
    text(row, field)
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|d| d.with_timezone(&Utc))
}

async fn order_import_id(
    ledger: &AcumaticaLedger,
    ty: &str,
    nbr: &str,
) -> Result<Option<ImportId>> {
    let so = ledger.client.get("SalesOrder", &[ty, nbr], "").await?;
    Ok(so
        .filter(from_storefront)
        .and_then(|r| text(&r, "CustomerOrder"))
        .and_then(|c| c.parse().ok()))
}

/// Confirmed shipments with their tracking number, since the cursor.
pub async fn shipments(ledger: &AcumaticaLedger, since: &Cursor) -> Result<Page<LedgerShipment>> {
    let mut filter = "Status eq 'Confirmed'".to_string();
    if let Some(f) = since_filter("LastModifiedDateTime", since) {
        filter = format!("{filter} and {f}");
    }
    let list = ledger
        .client
        .list(
            "Shipment",
            &[
                ("$filter", filter),
                ("$expand", "Details,Packages,Orders".into()),
                ("$top", PAGE.to_string()),
            ],
        )
        .await?;
    let mut out = Vec::new();
    let mut last = since.0.clone();
    for s in &list {
        let order = rows(s, "Orders").first().cloned().unwrap_or(Value::Null);
        let (ty, nbr) = (
            text(&order, "OrderType").unwrap_or_default(),
            text(&order, "OrderNbr").unwrap_or_default(),
        );
        let import_id = order_import_id(ledger, &ty, &nbr).await?;
        let tracking = rows(s, "Packages")
            .iter()
            .find_map(|p| text(p, "TrackingNbr"));
        out.push(LedgerShipment {
            at: LedgerRef::new(format!(
                "Shipment/{}",
                text(s, "ShipmentNbr").unwrap_or_default()
            )),
            document: LedgerRef::new(format!("{ty}/{nbr}")).with_number(nbr.clone()),
            import_id,
            shipment: Shipment {
                tracking_number: tracking,
                carrier: text(s, "ShipVia"),
                ship_via: text(s, "ShipVia"),
                comments: Some(format!(
                    "Acumatica shipment {}",
                    text(s, "ShipmentNbr").unwrap_or_default()
                )),
                lines: rows(s, "Details")
                    .iter()
                    .map(|l| ShipmentLine {
                        line_id: None,
                        sku: text(l, "InventoryID").map(Sku::new),
                        quantity: dec(l, "ShippedQty").unwrap_or_default(),
                    })
                    .collect(),
                shipped_at: time(s, "ShipmentDate"),
            },
        });
        if let Some(t) = text(s, "LastModifiedDateTime") {
            if t > last {
                last = t;
            }
        }
    }
    Ok(Page::new(out, Some(Cursor(last))))
}

/// Released invoices (status `Open`, or `Closed` once paid) changed since the cursor. An
/// invoice of an ERP order is reported under the order's reference (`SO/SO000123`), which is
/// how the engine finds the storefront order it became.
pub async fn document_statuses(
    ledger: &AcumaticaLedger,
    since: &Cursor,
) -> Result<Page<DocumentStatus>> {
    let mut filter = "Type eq 'Invoice' and (Status eq 'Open' or Status eq 'Closed')".to_string();
    if let Some(f) = since_filter("LastModifiedDateTime", since) {
        filter = format!("{filter} and {f}");
    }
    let list = ledger
        .client
        .list(
            "SalesInvoice",
            &[
                ("$filter", filter),
                ("$expand", "Details".into()),
                ("$top", PAGE.to_string()),
            ],
        )
        .await?;
    let mut out = Vec::new();
    let mut last = since.0.clone();
    for inv in &list {
        let nbr = text(inv, "ReferenceNbr").unwrap_or_default();
        let (at, import_id) = if from_storefront(inv) {
            (
                doc_ref("SalesInvoice", inv),
                text(inv, "CustomerOrder").and_then(|c| c.parse().ok()),
            )
        } else {
            let l = rows(inv, "Details").first().cloned().unwrap_or(Value::Null);
            match (text(&l, "OrderType"), text(&l, "OrderNbr")) {
                (Some(t), Some(n)) => (
                    LedgerRef::new(format!("{t}/{n}")).with_number(nbr.clone()),
                    order_import_id(ledger, &t, &n).await?,
                ),
                _ => (doc_ref("SalesInvoice", inv), None),
            }
        };
        out.push(DocumentStatus {
            at,
            import_id,
            status: text(inv, "Status").unwrap_or_default(),
            changed_at: time(inv, "LastModifiedDateTime").unwrap_or_default(),
        });
        if let Some(t) = text(inv, "LastModifiedDateTime") {
            if t > last {
                last = t;
            }
        }
    }
    Ok(Page::new(out, Some(Cursor(last))))
}

/// Quantity available per stock item in `warehouse` (InventorySummaryInquiry, one item per
/// request: the inquiry's rows do not name the item). The cursor is the position in the item
/// list; every run reads the whole list (the engine pushes only what changed).
pub async fn availability(
    ledger: &AcumaticaLedger,
    warehouse: &str,
    since: &Cursor,
) -> Result<Page<InventoryLevel>> {
    let skip: usize = since.0.parse().unwrap_or(0);
    const ITEMS: usize = 50;
    let items = ledger
        .client
        .list(
            "StockItem",
            &[
                ("$filter", "ItemStatus eq 'Active'".into()),
                ("$select", "InventoryID".into()),
                ("$top", ITEMS.to_string()),
                ("$skip", skip.to_string()),
            ],
        )
        .await?;
    let mut out = Vec::new();
    for it in &items {
        let Some(id) = text(it, "InventoryID") else {
            continue;
        };
        let body = json!({"InventoryID": {"value": id}, "WarehouseID": {"value": warehouse}});
        let r = ledger
            .client
            .put("InventorySummaryInquiry", &body, "Results", false)
            .await?;
        let available: Decimal = rows(&r, "Results")
            .iter()
            .map(|x| dec(x, "QtyAvailable").unwrap_or_default())
            .sum();
        out.push(InventoryLevel {
            sku: Sku::new(id),
            available: available.max(Decimal::ZERO),
        });
    }
    let next = (items.len() == ITEMS).then(|| Cursor((skip + ITEMS).to_string()));
    Ok(Page::new(out, next))
}

#[derive(serde::Serialize, serde::Deserialize, Default, PartialEq)]
struct OrderCursor {
    since: String,
    pending: BTreeSet<String>,
}

/// ERP-originated orders that qualify (E1). See the module docs for the cursor.
pub async fn new_orders(ledger: &AcumaticaLedger, since: &Cursor) -> Result<Page<LedgerOrder>> {
    let cur: OrderCursor = if since.is_start() {
        OrderCursor::default()
    } else {
        serde_json::from_str(&since.0).unwrap_or_default()
    };
    let expand = "Details,Totals,BillToAddress,ShipToAddress,BillToContact,ShipToContact";
    let mut orders: BTreeMap<String, Value> = BTreeMap::new();
    let mut skip = 0;
    loop {
        let mut q = vec![
            ("$expand", expand.to_string()),
            ("$top", PAGE.to_string()),
            ("$skip", skip.to_string()),
        ];
        if !cur.since.is_empty() {
            q.push((
                "$filter",
                format!("LastModified gt datetimeoffset'{}'", cur.since),
            ));
        }
        let page = ledger.client.list("SalesOrder", &q).await?;
        let n = page.len();
        for o in page {
            orders.insert(doc_ref("SalesOrder", &o).id, o);
        }
        if n < PAGE {
            break;
        }
        skip += PAGE;
    }
    let mut next = OrderCursor {
        since: cur.since.clone(),
        pending: BTreeSet::new(),
    };
    for o in orders.values() {
        if let Some(t) = text(o, "LastModified") {
            if t > next.since {
                next.since = t;
            }
        }
    }
    for key in &cur.pending {
        if orders.contains_key(key) {
            continue;
        }
        if let Some((ty, nbr)) = key.split_once('/') {
            if let Some(o) = ledger.client.get("SalesOrder", &[ty, nbr], expand).await? {
                orders.insert(key.clone(), o);
            }
        }
    }
    let mut classes: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for (key, o) in &orders {
        if from_storefront(o) || storefront_number(o).is_some() {
            continue;
        }
        let customer = text(o, "CustomerID").unwrap_or_default();
        if !classes.contains_key(&customer) {
            let c = ledger
                .client
                .list(
                    "Customer",
                    &[
                        ("$filter", format!("CustomerID eq {}", lit(&customer))),
                        ("$select", "CustomerID,CustomerClass".into()),
                    ],
                )
                .await?;
            classes.insert(
                customer.clone(),
                c.first().and_then(|r| text(r, "CustomerClass")),
            );
        }
        let class = classes.get(&customer).cloned().flatten();
        next.pending.insert(key.clone());
        match qualify(
            o,
            class.as_deref(),
            &ledger.config.erp_orders,
            &ledger.config.ship_via_map,
        ) {
            Verdict::Qualifies(method) => out.push(LedgerOrder {
                at: doc_ref("SalesOrder", o),
                order: storefront_order(o, method, &ledger.config),
                unpaid_balance: o
                    .get("Totals")
                    .and_then(|t| dec(t, "UnpaidBalance"))
                    .unwrap_or_default(),
                storefront_order: None,
            }),
            Verdict::Waiting(why) => {
                tracing::debug!(order = %key, reason = %why, "ERP order does not qualify yet")
            }
        }
    }
    let text = serde_json::to_string(&next).unwrap_or_default();
    Ok(Page::new(out, Some(Cursor(text))))
}
