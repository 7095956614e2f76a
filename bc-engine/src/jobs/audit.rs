//! The audit (Y2): a sweep of both sides for silent failures, as a report a finance person
//! can read.

use std::collections::BTreeSet;
use std::fmt;

use bc_core::{ImportId, OrderId, OrderQuery, RefundQuery, Result, Sku};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, Side};
use crate::report::{Job, RunReport};
use crate::state::{EntityKind, ExceptionFilter};

/// One gap the audit found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// A ledger write was started and never confirmed, and the ledger has no document.
    ImportedNotPosted {
        /// The order.
        order: OrderId,
        /// Its import id.
        import_id: String,
    },
    /// The engine cross-references a document the ledger no longer has.
    DocumentMissing {
        /// The order.
        order: OrderId,
        /// The ledger reference remembered.
        ledger: String,
    },
    /// A storefront refund with no credit memo and no exception.
    RefundWithoutCreditMemo {
        /// The refund.
        refund: String,
        /// Its order.
        order: OrderId,
        /// Amount.
        total: Decimal,
    },
    /// The ledger's availability (less buffer) differs from what was last pushed.
    InventoryDrift {
        /// SKU.
        sku: Sku,
        /// Ledger availability less the buffer, floor 0.
        ledger: Decimal,
        /// Last pushed to the storefront (`None`: never pushed).
        pushed: Option<Decimal>,
    },
    /// A storefront order in an importable or downloaded status with no ledger document and
    /// no exception: something silently dropped it.
    OrderWithoutDocument {
        /// The order.
        order: OrderId,
        /// Its storefront status.
        status: String,
        /// Its total.
        total: Decimal,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::ImportedNotPosted { order, import_id } => write!(
                f,
                "Order {order} was sent to the ledger (import id {import_id}) but no document exists there yet; the next order sync will retry it."
            ),
            Finding::DocumentMissing { order, ledger } => write!(
                f,
                "Order {order} was posted as {ledger}, but that document is no longer in the ledger (deleted?)."
            ),
            Finding::RefundWithoutCreditMemo { refund, order, total } => write!(
                f,
                "Refund {refund} of order {order} ({total}) has no credit memo in the ledger and is not in the exception queue."
            ),
            Finding::InventoryDrift { sku, ledger, pushed } => match pushed {
                Some(p) => write!(f, "SKU {sku}: the ledger has {ledger} available but the storefront was last given {p}."),
                None => write!(f, "SKU {sku}: the ledger has {ledger} available but it was never pushed to the storefront."),
            },
            Finding::OrderWithoutDocument { order, status, total } => write!(
                f,
                "Order {order} ({total}, storefront status {status}) has no ledger document and is not in the exception queue."
            ),
        }
    }
}

/// The audit's result: its run report and what it found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReport {
    /// The run.
    pub run: RunReport,
    /// Gaps found.
    pub findings: Vec<Finding>,
    /// Open exceptions, by entity kind.
    pub open_exceptions: Vec<(EntityKind, usize)>,
}

impl fmt::Display for AuditReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Sync audit — {}",
            self.run.finished_at.format("%Y-%m-%d %H:%M UTC")
        )?;
        if self.findings.is_empty() {
            writeln!(f, "No gaps found between the storefront and the ledger.")?;
        } else {
            writeln!(f, "{} gap(s) need attention:", self.findings.len())?;
            for x in &self.findings {
                writeln!(f, "  - {x}")?;
            }
        }
        for (k, n) in &self.open_exceptions {
            writeln!(
                f,
                "{n} open exception(s) of kind {k} (see `bcsync exceptions list`)."
            )?;
        }
        for n in &self.run.notes {
            writeln!(f, "Note: {n}")?;
        }
        Ok(())
    }
}

impl Engine {
    /// The monitoring sweep (Y2): writes started but not posted, cross-referenced documents
    /// missing from the ledger, refunds without credit memo, inventory drift, and storefront
    /// orders in importable or downloaded statuses with no ledger document and no exception.
    pub async fn audit(&self) -> Result<AuditReport> {
        let run = self.start(Job::Audit);
        let settings = self.settings();
        let mut findings = Vec::new();
        let open = self
            .state
            .exceptions(&ExceptionFilter {
                status: Some(crate::state::ExceptionStatus::Open),
                ..ExceptionFilter::default()
            })
            .await?;
        let in_queue =
            |kind: EntityKind, key: &str| open.iter().any(|e| e.entity == kind && e.key == key);

        // 1. Writes of unknown outcome with no document.
        for w in self.state.journal_pending().await? {
            if w.key.entity != EntityKind::Order || w.key.operation != "post" {
                continue;
            }
            let Ok(import_id) = w.key.key.parse::<ImportId>() else {
                continue;
            };
            let found = self
                .call(&run, Side::Ledger, || self.ledger.find_document(&import_id))
                .await?;
            run.seen(1);
            if found.is_none() {
                findings.push(Finding::ImportedNotPosted {
                    order: import_id.order().clone(),
                    import_id: import_id.to_string(),
                });
            }
        }

        // 2. Cross-referenced documents still in the ledger.
        let xrefs = self.state.xrefs(EntityKind::Order).await?;
        let mut ids = Vec::new();
        for x in &xrefs {
            if let Ok(id) = bc_core::ImportId::new(
                settings.sync.import_source_code,
                OrderId::new(x.key.clone()),
            ) {
                ids.push((x, id));
            }
        }
        for chunk in ids.chunks(self.ledger.capabilities().batch_size.max(1) * 10) {
            let only: Vec<ImportId> = chunk.iter().map(|(_, id)| id.clone()).collect();
            run.count(Side::Ledger);
            let found = self.ledger.find_documents(&only).await;
            for ((x, _), f) in chunk.iter().zip(found) {
                run.seen(1);
                if let Ok(None) = f {
                    findings.push(Finding::DocumentMissing {
                        order: OrderId::new(x.key.clone()),
                        ledger: x.ledger.to_string(),
                    });
                }
            }
        }
        let posted: BTreeSet<String> = xrefs.iter().map(|x| x.key.clone()).collect();

        // 3. Refunds without credit memo.
        if settings.refunds.enabled && self.storefront.capabilities().refunds {
            let mut cursor = None;
            loop {
                let q = RefundQuery {
                    cursor: cursor.clone(),
                    ..RefundQuery::default()
                };
                let page = self
                    .call(&run, Side::Storefront, || self.storefront.refunds(&q))
                    .await?;
                for r in &page.items {
                    run.seen(1);
                    let key = r.id.to_string();
                    if self.state.xref(EntityKind::Refund, &key).await?.is_none()
                        && !in_queue(EntityKind::Refund, &key)
                    {
                        findings.push(Finding::RefundWithoutCreditMemo {
                            refund: key,
                            order: r.order_id.clone(),
                            total: r.total,
                        });
                    }
                }
                match page.next {
                    Some(n) if Some(&n) != cursor.as_ref() => cursor = Some(n),
                    _ => break,
                }
            }
        }

        // 4. Inventory drift.
        if settings.inventory.enabled && self.ledger.capabilities().availability {
            let wanted = self.wanted_inventory(&run, &settings).await?;
            let pushed = self.state.last_pushed().await?;
            for (sku, q) in wanted {
                run.seen(1);
                let p = pushed.get(&sku).copied();
                if p != Some(q) {
                    findings.push(Finding::InventoryDrift {
                        sku,
                        ledger: q,
                        pushed: p,
                    });
                }
            }
        }

        // 5. Storefront orders in importable / downloaded statuses with no document and no exception.
        let statuses = self.order_statuses(&run, &settings).await?;
        let mut wanted_statuses = statuses.importable.clone();
        wanted_statuses.push(statuses.downloaded.clone());
        let created_since = settings.sync.start_date.and_then(|d| {
            d.and_time(chrono::NaiveTime::MIN)
                .and_local_timezone(settings.sync.timezone)
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc))
        });
        let mut cursor = None;
        let mut suspects = Vec::new();
        loop {
            let q = OrderQuery {
                statuses: wanted_statuses.clone(),
                created_since,
                cursor: cursor.clone(),
                limit: Some(self.options.page_size),
                ..OrderQuery::default()
            };
            let page = self
                .call(&run, Side::Storefront, || self.storefront.orders(&q))
                .await?;
            for o in page.items {
                run.seen(1);
                if !o.is_portal_payment()
                    && !posted.contains(o.id.as_str())
                    && !in_queue(EntityKind::Order, o.id.as_str())
                {
                    suspects.push(o);
                }
            }
            match page.next {
                Some(n) if Some(&n) != cursor.as_ref() => cursor = Some(n),
                _ => break,
            }
        }
        for o in suspects {
            let Ok(import_id) = ImportId::new(settings.sync.import_source_code, o.id.clone())
            else {
                continue;
            };
            let found = self
                .call(&run, Side::Ledger, || self.ledger.find_document(&import_id))
                .await?;
            // An order still waiting in an importable status is simply not imported yet
            // unless it is old; only downloaded orders without a document are gaps.
            if found.is_none() && o.status == statuses.downloaded {
                findings.push(Finding::OrderWithoutDocument {
                    order: o.id.clone(),
                    status: o.status.to_string(),
                    total: o.total_inc_tax,
                });
            } else if found.is_none() {
                run.note(format!(
                    "order {} waits in an importable status and has not been imported yet",
                    o.id
                ));
            }
        }

        let mut open_exceptions: Vec<(EntityKind, usize)> = Vec::new();
        for k in EntityKind::ALL {
            let n = open.iter().filter(|e| e.entity == k).count();
            if n > 0 {
                open_exceptions.push((k, n));
            }
        }
        Ok(AuditReport {
            run: run.finish(),
            findings,
            open_exceptions,
        })
    }
}
