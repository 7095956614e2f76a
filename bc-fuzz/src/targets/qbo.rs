//! QuickBooks Online answers, through `bc_connector_qbo`'s public `wire` types (deserialized
//! with serde_json from the body's bytes, as its client does) and its public fault parser:
//! response envelopes (entities, query answers, faults) with what the ledger reads from them
//! at once (`error::error_from_envelope`, `wire::Entity::written`, `QueryResponse::rows`,
//! the tenders in a `PrivateNote`), `/batch` answers, and error bodies of any status
//! (`error::error_from_response`). Seeds: every `*.json` under the connector's `tests/`
//! (Intuit's documented bodies).

use bc_connector_qbo::error::{error_from_envelope, error_from_response};
use bc_connector_qbo::mapping::tenders_in_note;
use bc_connector_qbo::wire::{BatchResponse, Entity, Envelope, SalesForm};
use serde_json::{json, Value};

use super::{cut, BytesTarget, Corpus, Doc};
use crate::engine::{Mode, Outcome, Runnable, Target};
use crate::gen::Gen;
use crate::seeds;

const FIXTURES: &str = "bc-connector-qbo/tests";

/// Keys QBO answers carry that the fixtures may lack.
const QBO_KEYS: &[&str] = &[
    "Fault",
    "Error",
    "Message",
    "Detail",
    "code",
    "element",
    "type",
    "fault",
    "error",
    "QueryResponse",
    "startPosition",
    "maxResults",
    "totalCount",
    "BatchItemResponse",
    "bId",
    "Invoice",
    "SalesReceipt",
    "CreditMemo",
    "RefundReceipt",
    "Payment",
    "JournalEntry",
    "Deposit",
    "Customer",
    "Item",
    "Id",
    "SyncToken",
    "DocNumber",
    "PrivateNote",
    "TotalAmt",
    "Balance",
    "Line",
    "Amount",
    "time",
];

fn corpus() -> Result<(Corpus, Vec<Value>), String> {
    let mut docs = Vec::new();
    for (path, text) in seeds::json_files_under(FIXTURES)? {
        let v: Value =
            serde_json::from_str(&text).map_err(|e| format!("seed `{path}`: not JSON: {e}"))?;
        docs.push(v);
    }
    Ok((Corpus::new(docs.clone(), QBO_KEYS)?, docs))
}

/// Every QBO target.
pub fn targets() -> Result<Vec<Box<dyn Runnable>>, String> {
    let (envelopes, docs) = corpus()?;
    // Batch answers: the fixtures that are one, and every other body as a batch item.
    let mut batches: Vec<Value> = docs
        .iter()
        .filter(|d| d.get("BatchItemResponse").is_some())
        .cloned()
        .collect();
    let items: Vec<Value> = docs
        .iter()
        .filter(|d| d.get("BatchItemResponse").is_none())
        .enumerate()
        .map(|(i, d)| {
            let mut d = d.clone();
            if let Value::Object(m) = &mut d {
                m.insert("bId".into(), json!(format!("bid{i}")));
            }
            d
        })
        .collect();
    batches.push(json!({ "BatchItemResponse": items, "time": "2024-01-01T00:00:00.000-08:00" }));
    let (faults, _) = corpus()?;
    Ok(vec![
        Box::new(BytesTarget::new("qbo.envelope", envelopes, envelope)),
        Box::new(BytesTarget::new(
            "qbo.batch",
            Corpus::new(batches, QBO_KEYS)?,
            batch,
        )),
        Box::new(FaultTarget { corpus: faults }),
    ])
}

fn forms(env: &Envelope) -> Vec<&SalesForm> {
    let mut out: Vec<&SalesForm> = [
        &env.invoice,
        &env.sales_receipt,
        &env.credit_memo,
        &env.refund_receipt,
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(q) = &env.query_response {
        out.extend(q.invoice.iter());
        out.extend(q.sales_receipt.iter());
        out.extend(q.credit_memo.iter());
        out.extend(q.refund_receipt.iter());
    }
    out
}

/// What the ledger reads from an envelope right after parsing it.
fn read(env: &Envelope, status: u16) {
    let _ = error_from_envelope(env, status, "fuzz");
    let _ = Entity::written(env);
    if let Some(q) = &env.query_response {
        let _ = q.rows();
    }
    for f in forms(env) {
        let note = f.private_note.as_deref();
        // The marker's key, as the ledger would ask for it.
        let key = note
            .and_then(|n| n.strip_prefix("[bcsync:"))
            .and_then(|n| n.split(']').next())
            .unwrap_or("BC1218");
        let _ = tenders_in_note(note, key);
    }
}

fn envelope(body: &[u8]) -> bool {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(env) => {
            read(&env, 200);
            read(&env, 400);
            true
        }
        Err(_) => false,
    }
}

fn batch(body: &[u8]) -> bool {
    match serde_json::from_slice::<BatchResponse>(body) {
        Ok(b) => {
            for item in &b.items {
                read(item, 200);
            }
            true
        }
        Err(_) => false,
    }
}

/// `error::error_from_response` on any body with any status.
pub struct FaultTarget {
    corpus: Corpus,
}

const STATUSES: &[u16] = &[200, 400, 401, 403, 404, 429, 500, 502, 503];

impl Target for FaultTarget {
    type Input = (u16, Doc);

    fn name(&self) -> &'static str {
        "qbo.fault"
    }

    fn make(&self, mode: Mode, g: &mut Gen) -> (u16, Doc) {
        let status = if g.chance(0.9) {
            STATUSES[g.below(STATUSES.len())]
        } else {
            g.below(1_000) as u16
        };
        (status, self.corpus.make(mode, g))
    }

    /// Accepted: the body was read as a QBO fault (the error carries its code).
    fn parse(&self, (status, doc): &(u16, Doc)) -> Outcome {
        let bytes = doc.bytes();
        let e = error_from_response(*status, &bytes, "fuzz");
        let _ = (e.kind(), e.is_temporary(), e.to_string());
        if e.platform_code().is_some() {
            Outcome::Accepted
        } else if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
            Outcome::Refused
        } else {
            Outcome::Syntax
        }
    }

    fn show(&self, (status, doc): &(u16, Doc)) -> String {
        cut(&format!("status {status}: {}", doc.show()), 4_100)
    }
}
