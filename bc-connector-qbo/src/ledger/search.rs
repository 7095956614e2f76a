//! Finding what bcsync wrote, with the queries QBO answers.
//!
//! QBO filters only on the fields its reference marks *filterable* (the strict sandbox refuses
//! the others with 4001, as QBO does): `PrivateNote`, where bcsync keeps its
//! `[bcsync:<key>]` marker, is not one of them. So a search narrows the candidates with
//! filterable fields and then checks the marker on each candidate:
//!
//! 1. `DocNumber` when bcsync set the number (`DocNumber IN (…)`, up to [`IN_CHUNK`] numbers a
//!    query);
//! 2. otherwise the document's customer and date (`TxnDate = 'd' AND CustomerRef IN (…)`),
//!    or the date alone for journals and deposits (they have no customer);
//! 3. with neither (a search by key alone after a restart), every row of the entity, newest
//!    first, until each key is found.
//!
//! Every query is paged to the end (1,000 rows a page, QBO's maximum), so no window can hide
//! a document. Several queries go together through `/batch` (30 a request).

use std::collections::{BTreeMap, HashMap};

use bc_core::Result;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

use super::{protocol, QboLedger};
use crate::config::BATCH_SIZE;
use crate::error::error_from_envelope;
use crate::mapping::has_marker;
use crate::query::literal;
use crate::wire::{QueryResponse, SalesForm};

/// Values in one `IN (…)` list. Intuit documents no limit; 100 keeps a query short (it goes in
/// a `/batch` body, not a URL) and its answer well under the 1,000-row page.
pub const IN_CHUNK: usize = 100;
/// QBO's largest page (`MAXRESULTS`).
pub const PAGE: usize = 1000;

/// How to find one thing bcsync wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The QBO entity (`Invoice`, `Payment`…).
    pub entity: &'static str,
    /// The key in the `[bcsync:<key>]` marker.
    pub key: String,
    /// The `DocNumber` bcsync set, if it set one.
    pub doc_number: Option<String>,
    /// The customer id (`CustomerRef`), for entities that have one.
    pub customer: Option<String>,
    /// The transaction date.
    pub date: Option<NaiveDate>,
}

impl Probe {
    /// A probe by key alone (scans the entity).
    pub fn key_only(entity: &'static str, key: impl Into<String>) -> Self {
        Probe {
            entity,
            key: key.into(),
            doc_number: None,
            customer: None,
            date: None,
        }
    }
}

/// A row found by a probe.
#[derive(Clone, Debug)]
pub struct Found {
    /// The entity.
    pub entity: &'static str,
    /// Id.
    pub id: String,
    /// Sync token.
    pub sync_token: Option<String>,
    /// `DocNumber`.
    pub doc_number: Option<String>,
    /// `TotalAmt`.
    pub total: Option<Decimal>,
    /// The sales form, for invoices, sales receipts, credit memos and refund receipts.
    pub form: Option<SalesForm>,
}

impl Found {
    /// The ledger reference.
    pub fn at(&self) -> bc_core::LedgerRef {
        let mut at = bc_core::LedgerRef::new(self.id.clone());
        if let Some(n) = &self.doc_number {
            at = at.with_number(n.clone());
        }
        if let Some(s) = &self.sync_token {
            at = at.with_version(s.clone());
        }
        at
    }
}

/// The marked rows of `entity` in a query answer: `(note, found)`.
fn rows(entity: &str, q: QueryResponse) -> Vec<(Option<String>, Found)> {
    let form = |entity: &'static str, f: SalesForm| {
        f.id.clone().map(|id| {
            (
                f.private_note.clone(),
                Found {
                    entity,
                    id,
                    sync_token: f.sync_token.clone(),
                    doc_number: f.doc_number.clone(),
                    total: f.total_amt,
                    form: Some(f),
                },
            )
        })
    };
    let plain = |entity: &'static str,
                 id: Option<String>,
                 sync: Option<String>,
                 doc: Option<String>,
                 total: Option<Decimal>,
                 note: Option<String>| {
        id.map(|id| {
            (
                note,
                Found {
                    entity,
                    id,
                    sync_token: sync,
                    doc_number: doc,
                    total,
                    form: None,
                },
            )
        })
    };
    match entity {
        "Invoice" => q
            .invoice
            .into_iter()
            .filter_map(|f| form("Invoice", f))
            .collect(),
        "SalesReceipt" => q
            .sales_receipt
            .into_iter()
            .filter_map(|f| form("SalesReceipt", f))
            .collect(),
        "CreditMemo" => q
            .credit_memo
            .into_iter()
            .filter_map(|f| form("CreditMemo", f))
            .collect(),
        "RefundReceipt" => q
            .refund_receipt
            .into_iter()
            .filter_map(|f| form("RefundReceipt", f))
            .collect(),
        "Payment" => q
            .payment
            .into_iter()
            .filter_map(|p| {
                plain(
                    "Payment",
                    p.id,
                    p.sync_token,
                    None,
                    p.total_amt,
                    p.private_note,
                )
            })
            .collect(),
        "JournalEntry" => q
            .journal_entry
            .into_iter()
            .filter_map(|j| {
                plain(
                    "JournalEntry",
                    j.id,
                    j.sync_token,
                    j.doc_number,
                    j.total_amt,
                    j.private_note,
                )
            })
            .collect(),
        "Deposit" => q
            .deposit
            .into_iter()
            .filter_map(|d| {
                plain(
                    "Deposit",
                    d.id,
                    d.sync_token,
                    None,
                    d.total_amt,
                    d.private_note,
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn id_number(id: &str) -> u64 {
    id.parse().unwrap_or(u64::MAX)
}

/// The queries of a plan (text without paging, indexes of its probes) and the probes that
/// need a scan, by entity.
type Plan = (
    Vec<(String, Vec<usize>)>,
    BTreeMap<&'static str, Vec<usize>>,
);

/// Groups probes into the fewest queries.
fn plan(probes: &[Probe]) -> Plan {
    let mut by_number: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut by_customer: BTreeMap<(&str, NaiveDate), Vec<usize>> = BTreeMap::new();
    let mut by_date: BTreeMap<(&str, NaiveDate), Vec<usize>> = BTreeMap::new();
    let mut scans: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
    for (i, p) in probes.iter().enumerate() {
        match (&p.doc_number, &p.customer, p.date) {
            (Some(_), _, _) => by_number.entry(p.entity).or_default().push(i),
            (None, Some(_), Some(d)) => by_customer.entry((p.entity, d)).or_default().push(i),
            (None, None, Some(d)) => by_date.entry((p.entity, d)).or_default().push(i),
            (None, _, None) => scans.entry(p.entity).or_default().push(i),
        }
    }
    let mut queries = Vec::new();
    for (entity, idx) in by_number {
        for chunk in idx.chunks(IN_CHUNK) {
            let mut numbers: Vec<String> = chunk
                .iter()
                .filter_map(|i| probes[*i].doc_number.as_deref().map(literal))
                .collect();
            numbers.sort();
            numbers.dedup();
            queries.push((
                format!(
                    "SELECT * FROM {entity} WHERE DocNumber IN ({})",
                    numbers.join(", ")
                ),
                chunk.to_vec(),
            ));
        }
    }
    for ((entity, date), idx) in by_customer {
        for chunk in idx.chunks(IN_CHUNK) {
            let mut customers: Vec<String> = chunk
                .iter()
                .filter_map(|i| probes[*i].customer.as_deref().map(literal))
                .collect();
            customers.sort();
            customers.dedup();
            queries.push((
                format!(
                    "SELECT * FROM {entity} WHERE TxnDate = '{date}' AND CustomerRef IN ({})",
                    customers.join(", ")
                ),
                chunk.to_vec(),
            ));
        }
    }
    for ((entity, date), idx) in by_date {
        queries.push((
            format!("SELECT * FROM {entity} WHERE TxnDate = '{date}'"),
            idx,
        ));
    }
    (queries, scans)
}

impl QboLedger {
    /// Runs queries to the end of their answers: up to 30 first pages per `/batch` request (a
    /// single query is a plain `GET`), then any further page one by one. One answer per query.
    pub(crate) async fn run_queries(&self, queries: &[String]) -> Vec<Result<QueryResponse>> {
        let paged = |q: &str, start: usize| format!("{q} STARTPOSITION {start} MAXRESULTS {PAGE}");
        let mut out: Vec<Option<Result<QueryResponse>>> = queries.iter().map(|_| None).collect();
        if queries.len() == 1 {
            out[0] = Some(self.api.query(&paged(&queries[0], 1)).await);
        } else {
            for (c, chunk) in queries.chunks(BATCH_SIZE).enumerate() {
                let items: Vec<Value> = chunk
                    .iter()
                    .enumerate()
                    .map(|(n, q)| serde_json::json!({ "bId": format!("q{n}"), "Query": paged(q, 1) }))
                    .collect();
                match self.api.batch(items).await {
                    Ok(answers) => {
                        for n in 0..chunk.len() {
                            let i = c * BATCH_SIZE + n;
                            out[i] = Some(match answers.get(&format!("q{n}")) {
                                Some(env) => match error_from_envelope(env, 200, "query") {
                                    Some(e) => Err(e),
                                    None => Ok(env.query_response.clone().unwrap_or_default()),
                                },
                                None => Err(protocol(format!("the batch answer has no item q{n}"))),
                            });
                        }
                    }
                    Err(e) => {
                        for n in 0..chunk.len() {
                            out[c * BATCH_SIZE + n] = Some(Err(e.clone()));
                        }
                    }
                }
            }
        }
        // Full pages: read on until a short one.
        for (i, q) in queries.iter().enumerate() {
            let mut start = 1;
            while let Some(Ok(resp)) = &out[i] {
                let rows = resp.rows();
                if rows < PAGE || rows == 0 {
                    break;
                }
                start += PAGE;
                let next = self.api.query(&paged(q, start)).await;
                match (next, out[i].as_mut()) {
                    (Ok(more), Some(Ok(acc))) => {
                        let n = more.rows();
                        acc.absorb(more);
                        if n < PAGE {
                            break;
                        }
                    }
                    (Err(e), _) => {
                        out[i] = Some(Err(e));
                        break;
                    }
                    _ => break,
                }
            }
        }
        super::collect(out)
    }

    /// Finds each probe's row (the one carrying its marker; the oldest when several do).
    pub(crate) async fn find_probes(&self, probes: &[Probe]) -> Vec<Result<Option<Found>>> {
        let (queries, scans) = plan(probes);
        let texts: Vec<String> = queries.iter().map(|(q, _)| q.clone()).collect();
        let answers = self.run_queries(&texts).await;
        let mut out: Vec<Option<Result<Option<Found>>>> = probes.iter().map(|_| None).collect();
        for ((_, idx), answer) in queries.iter().zip(answers) {
            match answer {
                Ok(resp) => {
                    let entity = probes[idx[0]].entity;
                    let candidates = rows(entity, resp);
                    for i in idx {
                        out[*i] = Some(Ok(pick(&candidates, &probes[*i].key)));
                    }
                }
                Err(e) => {
                    for i in idx {
                        out[*i] = Some(Err(e.clone()));
                    }
                }
            }
        }
        for (entity, idx) in scans {
            let keys: Vec<&str> = idx.iter().map(|i| probes[*i].key.as_str()).collect();
            match self.scan(entity, &keys).await {
                Ok(found) => {
                    for i in idx {
                        out[i] = Some(Ok(found.get(probes[i].key.as_str()).cloned()));
                    }
                }
                Err(e) => {
                    for i in idx {
                        out[i] = Some(Err(e.clone()));
                    }
                }
            }
        }
        super::collect(out)
    }

    /// Every row of `entity`, newest first, a page at a time (pages overlap, so a row moved by
    /// a concurrent insert or delete is still seen), until every key is found.
    async fn scan(&self, entity: &'static str, keys: &[&str]) -> Result<HashMap<String, Found>> {
        const OVERLAP: usize = 50;
        let mut found: HashMap<String, Found> = HashMap::new();
        let mut start = 1;
        loop {
            let q = self
                .api
                .query(&format!(
                    "SELECT * FROM {entity} ORDERBY MetaData.CreateTime DESC STARTPOSITION {start} MAXRESULTS {PAGE}"
                ))
                .await?;
            let n = q.rows();
            let candidates = rows(entity, q);
            for key in keys {
                if let Some(f) = pick(&candidates, key) {
                    let keep = found
                        .get(*key)
                        .is_none_or(|old| id_number(&f.id) < id_number(&old.id));
                    if keep {
                        found.insert((*key).to_string(), f);
                    }
                }
            }
            if n < PAGE || keys.iter().all(|k| found.contains_key(*k)) {
                return Ok(found);
            }
            start += PAGE - OVERLAP;
        }
    }
}

fn pick(candidates: &[(Option<String>, Found)], key: &str) -> Option<Found> {
    let mut ours: Vec<&Found> = candidates
        .iter()
        .filter(|(note, _)| has_marker(note.as_deref(), key))
        .map(|(_, f)| f)
        .collect();
    ours.sort_by_key(|f| id_number(&f.id));
    if ours.len() > 1 {
        tracing::warn!(
            key,
            count = ours.len(),
            "several QuickBooks rows carry the same bcsync key; using the oldest"
        );
    }
    ours.first().map(|f| (*f).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_grouped_into_few_queries() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        let mut probes = Vec::new();
        for n in 0..250 {
            probes.push(Probe {
                entity: "Invoice",
                key: format!("BC1{n}"),
                doc_number: Some(format!("{n}")),
                customer: Some("7".into()),
                date: Some(d),
            });
        }
        for c in 0..5 {
            probes.push(Probe {
                entity: "Payment",
                key: format!("BC1{c}#P1"),
                doc_number: None,
                customer: Some(c.to_string()),
                date: Some(d),
            });
        }
        probes.push(Probe::key_only("JournalEntry", "J#x"));
        let (queries, scans) = plan(&probes);
        assert_eq!(queries.len(), 4, "{queries:#?}");
        assert!(queries[0]
            .0
            .starts_with("SELECT * FROM Invoice WHERE DocNumber IN ('0', '1'"));
        assert_eq!(
            queries[3].0,
            "SELECT * FROM Payment WHERE TxnDate = '2026-03-01' AND CustomerRef IN ('0', '1', '2', '3', '4')"
        );
        assert_eq!(scans.get("JournalEntry").map(Vec::len), Some(1));
    }
}
