//! Inventory by MSI source through the async bulk API: one operation per SKU (so a failure
//! names its SKU), up to `inventory_batch_size` operations per bulk, the bulk's status polled
//! until no operation is open.

use std::time::Duration;

use bc_core::{Error, ErrorKind, InventoryLevel, Result, Sku};
use bc_http::{ApiRequest, Idempotency};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::storefront::MagentoStorefront;
use crate::wire::{num, WireBulkAccepted, WireBulkStatus};
use crate::PLATFORM;

/// One SKU Magento did not take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkuFailure {
    /// The SKU.
    pub sku: Sku,
    /// Magento's reason.
    pub message: String,
    /// Whether trying again may help (operation status 2, or still open after the polls).
    pub temporary: bool,
}

/// What an inventory push did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InventoryReport {
    /// SKUs saved.
    pub saved: usize,
    /// SKUs refused, with reasons.
    pub failed: Vec<SkuFailure>,
    /// The bulks' uuids.
    pub bulks: Vec<String>,
}

impl InventoryReport {
    /// Drops the failures of SKUs the store does not sell (Magento: "product with SKU … does
    /// not exist") and returns them: a ledger holds items the store does not list, and the
    /// engine's inventory push treats those as nothing to do (BigCommerce's connector skips
    /// them the same way), not as failures of the batch.
    pub fn take_not_in_store(&mut self) -> Vec<Sku> {
        let (unknown, rest): (Vec<SkuFailure>, Vec<SkuFailure>) = std::mem::take(&mut self.failed)
            .into_iter()
            .partition(|f| !f.temporary && is_unknown_product(&f.message, f.sku.as_str()));
        self.failed = rest;
        unknown.into_iter().map(|f| f.sku).collect()
    }

    /// `Ok` when every SKU was saved; otherwise an error naming each failed SKU.
    pub fn into_result(self) -> Result<()> {
        if self.failed.is_empty() {
            return Ok(());
        }
        let temporary = self.failed.iter().all(|f| f.temporary);
        let list: Vec<String> = self
            .failed
            .iter()
            .take(20)
            .map(|f| format!("{}: {}", f.sku, f.message))
            .collect();
        let more = self.failed.len().saturating_sub(20);
        let mut msg = format!(
            "{} of {} SKUs not saved: {}",
            self.failed.len(),
            self.failed.len() + self.saved,
            list.join("; ")
        );
        if more > 0 {
            msg.push_str(&format!(" (and {more} more)"));
        }
        Err(Error::new(
            if temporary {
                ErrorKind::Unavailable
            } else {
                ErrorKind::Invalid
            },
            msg,
        )
        .with_platform(PLATFORM)
        .with_temporary(temporary)
        .with_operation("push inventory"))
    }
}

impl MagentoStorefront {
    /// Pushes absolute levels to the configured source, batched, and reports per SKU.
    pub async fn push_inventory(&self, levels: &[InventoryLevel]) -> Result<InventoryReport> {
        let mut report = InventoryReport::default();
        for chunk in levels.chunks(self.config.inventory_batch_size.max(1)) {
            self.push_batch(chunk, &mut report).await?;
        }
        Ok(report)
    }

    async fn push_batch(
        &self,
        chunk: &[InventoryLevel],
        report: &mut InventoryReport,
    ) -> Result<()> {
        let source = &self.config.inventory_source;
        let body: Vec<Value> = chunk
            .iter()
            .map(|l| {
                let qty = l.available.max(Decimal::ZERO);
                json!({ "sourceItems": [{ "sku": l.sku.as_str(), "source_code": source, "quantity": num(qty), "status": u8::from(qty > Decimal::ZERO) }] })
            })
            .collect();
        // Absolute quantities: sending them twice is harmless, so the request may be repeated.
        let req = ApiRequest::post("/async/bulk/V1/inventory/source-items")
            .json(&body)?
            .idempotency(Idempotency::Idempotent);
        let accepted: WireBulkAccepted = self
            .client
            .send(req)
            .await?
            .json("inventory bulk")
            .map_err(|e| e.with_platform(PLATFORM))?;
        report.bulks.push(accepted.bulk_uuid.clone());
        let interval = Duration::from_millis(self.config.bulk_poll_interval_ms);
        let mut status = None;
        for poll in 0..self.config.bulk_max_polls.max(1) {
            if poll > 0 {
                tokio::time::sleep(interval).await;
            }
            let s: WireBulkStatus = self
                .client
                .send(
                    ApiRequest::get("/V1/bulk/{uuid}/status")
                        .path_param("uuid", &accepted.bulk_uuid),
                )
                .await?
                .json("inventory bulk status")
                .map_err(|e| e.with_platform(PLATFORM))?;
            let open = s.operations_list.iter().any(|o| o.status == 4);
            status = Some(s);
            if !open {
                break;
            }
        }
        let status = status.unwrap_or(WireBulkStatus {
            operations_list: Vec::new(),
            operation_count: 0,
        });
        let mut seen = vec![false; chunk.len()];
        for op in &status.operations_list {
            let Some(level) = chunk.get(op.id as usize) else {
                continue;
            };
            seen[op.id as usize] = true;
            match op.status {
                1 => report.saved += 1,
                s => report.failed.push(SkuFailure {
                    sku: level.sku.clone(),
                    message: match s {
                        4 => format!(
                            "still open in bulk {} after {} polls",
                            accepted.bulk_uuid, self.config.bulk_max_polls
                        ),
                        _ => op
                            .result_message
                            .clone()
                            .unwrap_or_else(|| format!("operation status {s}")),
                    },
                    temporary: matches!(s, 2 | 4),
                }),
            }
        }
        for (i, level) in chunk.iter().enumerate().filter(|(i, _)| !seen[*i]) {
            let _ = i;
            report.failed.push(SkuFailure {
                sku: level.sku.clone(),
                message: format!("missing from the status of bulk {}", accepted.bulk_uuid),
                temporary: true,
            });
        }
        Ok(())
    }
}

/// Whether a failed operation's message is Magento's "the product does not exist" for `sku`.
fn is_unknown_product(message: &str, sku: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("does not exist")
        && m.contains("product with sku")
        && m.contains(&format!("\"{}\"", sku.to_ascii_lowercase()))
}
