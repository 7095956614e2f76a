//! Payments: a receipt is found again by its customer and date, then the
//! `[bcsync:<import id>#P<n>]` marker (a `Payment` has no `DocNumber`), searched before it is
//! written, and written 30 per `/batch`.

use bc_core::{Error, ErrorKind, LedgerRef, Receipt, Result};
use serde_json::Value;

use super::search::Probe;
use super::{collect, ledger_ref, protocol, written, QboLedger};
use crate::config::BATCH_SIZE;
use crate::error::error_from_envelope;
use crate::mapping::{self, receipt_key, RefKey};
use crate::wire::Entity;

/// How to find a receipt's payment again.
pub fn probe(r: &Receipt) -> Probe {
    Probe {
        entity: "Payment",
        key: receipt_key(r),
        doc_number: None,
        customer: Some(r.client.id.clone()),
        date: Some(r.date),
    }
}

impl QboLedger {
    /// Finds the payment recorded earlier for `receipt` (its import id and sequence are in the
    /// payment's marker): `CustomerRef` + `TxnDate`, then the marker.
    pub async fn find_receipt(&self, receipt: &Receipt) -> Result<Option<LedgerRef>> {
        let mut found = self.find_receipts(std::slice::from_ref(receipt)).await;
        found.pop().unwrap_or(Ok(None))
    }

    /// [`QboLedger::find_receipt`] for several receipts: one query per date and 100 customers,
    /// 30 queries per `/batch`.
    pub async fn find_receipts(&self, receipts: &[Receipt]) -> Vec<Result<Option<LedgerRef>>> {
        let probes: Vec<Probe> = receipts.iter().map(probe).collect();
        self.find_probes(&probes)
            .await
            .into_iter()
            .map(|r| r.map(|f| f.map(|f| f.at())))
            .collect()
    }

    /// Up to 30 payments per `/batch`; one result per receipt. No search first: a repeat
    /// within Intuit's `requestid` window is answered once, and after an unknown outcome the
    /// engine's journal calls [`QboLedger::find_receipt`] before posting again (ARCHITECTURE
    /// §4), so a search here would cost a request per 30 receipts for nothing.
    pub(crate) async fn post_receipt_batch(&self, receipts: &[Receipt]) -> Vec<Result<LedgerRef>> {
        let mut keys: Vec<RefKey> = receipts
            .iter()
            .flat_map(mapping::receipt_refs_needed)
            .collect();
        keys.sort();
        keys.dedup();
        let refs = match self.refs(&keys).await {
            Ok(r) => r,
            Err(e) => return receipts.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut out: Vec<Option<Result<LedgerRef>>> = receipts.iter().map(|_| None).collect();
        for r in receipts {
            self.remember(&receipt_key(r), probe(r));
        }
        let mut pending = Vec::new();
        for (i, r) in receipts.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            match mapping::payment(r, &refs).and_then(|p| {
                Entity::Payment(p)
                    .batch_item(&i.to_string(), "create")
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::Internal,
                            format!("cannot encode the payment: {e}"),
                        )
                    })
            }) {
                Ok(v) => pending.push((i, v)),
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        for chunk in pending.chunks(BATCH_SIZE) {
            let batch: Vec<Value> = chunk.iter().map(|(_, v)| v.clone()).collect();
            let answers = match self.api.batch(batch).await {
                Ok(a) => a,
                Err(e) => {
                    for (i, _) in chunk {
                        out[*i] = Some(Err(e.clone()));
                    }
                    continue;
                }
            };
            for (i, _) in chunk {
                let key = receipt_key(&receipts[*i]);
                out[*i] = Some(match answers.get(&i.to_string()) {
                    None => Err(protocol(format!("receipt {key}: no batch answer"))),
                    Some(env) => match error_from_envelope(env, 200, "create payment") {
                        Some(e) => Err(e.context(format!("receipt {key}"))),
                        None => written(env, "the batch item").and_then(|w| ledger_ref(&w)),
                    },
                });
            }
        }
        collect(out)
    }
}
