//! Invoices and sales receipts: searched first, created 30 per `/batch`, the total QBO computed
//! checked against the plan (a difference is an error with both figures, never only a log
//! line), found again by import id, updated in place (O14).

use bc_core::{
    DocNumber, DocumentKind, Error, ErrorKind, ImportId, LedgerDocument, LedgerRef, Result,
    SalesDocument,
};
use rust_decimal::Decimal;
use serde_json::Value;

use super::search::{Found, Probe};
use super::{collect, ledger_ref, protocol, written, QboLedger};
use crate::config::BATCH_SIZE;
use crate::error::{error_from_envelope, is_duplicate_doc_number, is_stale, PLATFORM};
use crate::mapping::{self, RefKey};
use crate::wire::{Entity, Envelope, SalesForm};

fn entity_name(kind: DocumentKind) -> Result<&'static str> {
    match kind {
        DocumentKind::Invoice => Ok("Invoice"),
        DocumentKind::SalesReceipt => Ok("SalesReceipt"),
        DocumentKind::SalesOrder => Err(Error::unsupported(PLATFORM, "sales orders")),
    }
}

/// How to find `doc` again: its number when bcsync set one, else its customer and date.
pub fn probe(doc: &SalesDocument) -> Result<Probe> {
    Ok(Probe {
        entity: entity_name(doc.kind)?,
        key: doc.import_id.to_string(),
        doc_number: match &doc.number {
            DocNumber::Fixed(n) => Some(n.clone()),
            DocNumber::Auto => None,
        },
        customer: Some(doc.client.id.clone()),
        date: Some(doc.date),
    })
}

/// QBO's `TotalAmt` for `doc` is the plan's total less the tenders (gift certificates and
/// store credit are negative lines): [`SalesDocument::balance_due`]. Anything else is an
/// error naming the order and both figures, kind `Invalid`, so that the engine puts it in the
/// exception queue (the document stays in QBO; a retry finds it and checks again).
pub fn check_total(doc: &SalesDocument, posted: Option<Decimal>, at: &LedgerRef) -> Result<()> {
    let planned = doc.balance_due();
    match posted {
        Some(t) if t != planned => Err(Error::new(
            ErrorKind::Invalid,
            format!(
                "order {}: QuickBooks' total of {} {} is {t} but the plan's is {planned} {}; fix the document in QuickBooks, then retry",
                doc.order_id,
                entity_name(doc.kind).unwrap_or("document"),
                at.number.as_deref().unwrap_or(&at.id),
                doc.currency
            ),
        )
        .with_platform(PLATFORM)),
        _ => Ok(()),
    }
}

fn entity(doc: &SalesDocument, form: SalesForm) -> Result<Entity> {
    match doc.kind {
        DocumentKind::Invoice => Ok(Entity::Invoice(form)),
        DocumentKind::SalesReceipt => Ok(Entity::SalesReceipt(form)),
        DocumentKind::SalesOrder => Err(Error::unsupported(PLATFORM, "sales orders")),
    }
}

fn adopt(doc: &SalesDocument, found: &Found) -> Result<LedgerRef> {
    let at = found.at();
    check_total(doc, found.total, &at)?;
    Ok(at)
}

impl QboLedger {
    /// Resolves (and caches) every name the documents use, creating bcsync's account items
    /// where needed, so that a following [`bc_core::Ledger::post_sales_documents`] costs one
    /// search and one create request per 30 documents.
    pub async fn prepare_documents(&self, docs: &[SalesDocument]) -> Result<()> {
        let mut keys: Vec<RefKey> = docs.iter().flat_map(mapping::sales_refs_needed).collect();
        keys.sort();
        keys.dedup();
        self.refs(&keys).await.map(|_| ())
    }

    /// Finds the documents of `docs` already in QBO (by number, else customer and date, then
    /// the import-id marker): what [`bc_core::Ledger::find_documents`] does when it has the
    /// documents and not only their import ids. One answer per document.
    pub async fn find_sales_documents(
        &self,
        docs: &[SalesDocument],
    ) -> Vec<Result<Option<LedgerDocument>>> {
        let probes: Vec<Result<Probe>> = docs.iter().map(probe).collect();
        let ok: Vec<Probe> = probes
            .iter()
            .filter_map(|p| p.as_ref().ok().cloned())
            .collect();
        let mut found = self.find_probes(&ok).await.into_iter();
        probes
            .into_iter()
            .zip(docs)
            .map(|(p, doc)| match p {
                Err(e) => Err(e),
                Ok(_) => match found.next() {
                    Some(Ok(Some(f))) => self.ledger_document(&f, &doc.import_id).map(Some),
                    Some(Ok(None)) => Ok(None),
                    Some(Err(e)) => Err(e),
                    None => Err(protocol("fewer answers than searches".into())),
                },
            })
            .collect()
    }

    fn ledger_document(&self, f: &Found, import_id: &ImportId) -> Result<LedgerDocument> {
        let kind = if f.entity == "Invoice" {
            DocumentKind::Invoice
        } else {
            DocumentKind::SalesReceipt
        };
        let form = f
            .form
            .as_ref()
            .ok_or_else(|| protocol(format!("{import_id}: the {} found has no body", f.entity)))?;
        mapping::ledger_document(form, kind, import_id, self.company.home_currency)
    }

    /// By import id: the probes this process recorded when it posted (number, or customer and
    /// date); without one (after a restart), a scan of every invoice and sales receipt, newest
    /// first. Prefer [`QboLedger::find_sales_documents`], which never scans.
    pub(crate) async fn documents_by_import_id(
        &self,
        ids: &[ImportId],
    ) -> Vec<Result<Option<LedgerDocument>>> {
        // Each id is searched as an invoice and as a sales receipt unless a hint says which.
        let mut probes = Vec::new();
        let mut owner = Vec::new();
        for (n, id) in ids.iter().enumerate() {
            let key = id.to_string();
            match self.hint(&key) {
                Some(p) => {
                    probes.push(p);
                    owner.push(n);
                }
                None => {
                    for entity in ["Invoice", "SalesReceipt"] {
                        probes.push(Probe::key_only(entity, key.clone()));
                        owner.push(n);
                    }
                }
            }
        }
        let answers = self.find_probes(&probes).await;
        let mut out: Vec<Option<Result<Option<LedgerDocument>>>> =
            ids.iter().map(|_| None).collect();
        for (n, answer) in owner.into_iter().zip(answers) {
            let slot = &mut out[n];
            match answer {
                Ok(Some(f)) => {
                    if !matches!(slot, Some(Ok(Some(_)))) {
                        *slot = Some(self.ledger_document(&f, &ids[n]).map(Some));
                    }
                }
                Ok(None) => {
                    if slot.is_none() {
                        *slot = Some(Ok(None));
                    }
                }
                Err(e) => {
                    if !matches!(slot, Some(Ok(Some(_)))) {
                        *slot = Some(Err(e));
                    }
                }
            }
        }
        collect(out)
    }

    /// Search first, then up to 30 creates per `/batch`; one result per document. A 6140 on
    /// our own number (a company that checks numbers) adopts the document carrying our marker.
    pub(crate) async fn post_documents(&self, docs: &[SalesDocument]) -> Vec<Result<LedgerRef>> {
        let mut keys: Vec<RefKey> = docs.iter().flat_map(mapping::sales_refs_needed).collect();
        keys.sort();
        keys.dedup();
        let refs = match self.refs(&keys).await {
            Ok(r) => r,
            Err(e) => return docs.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut out: Vec<Option<Result<LedgerRef>>> = docs.iter().map(|_| None).collect();
        let mut probes = Vec::new();
        let mut searched = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            match probe(doc) {
                Ok(p) => {
                    self.remember(&p.key, p.clone());
                    probes.push(p);
                    searched.push(i);
                }
                Err(e) => out[i] = Some(Err(e.context(format!("order {}", doc.order_id)))),
            }
        }
        for (i, found) in searched.iter().zip(self.find_probes(&probes).await) {
            match found {
                Ok(Some(f)) => out[*i] = Some(adopt(&docs[*i], &f)),
                Ok(None) => {}
                Err(e) => out[*i] = Some(Err(e.context(format!("order {}", docs[*i].order_id)))),
            }
        }
        let mut pending: Vec<(usize, Value)> = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            let item = mapping::sales_form(doc, &doc.client.id, &refs)
                .and_then(|f| entity(doc, f))
                .and_then(|e| {
                    e.batch_item(&i.to_string(), "create").map_err(|e| {
                        Error::new(
                            ErrorKind::Internal,
                            format!("cannot encode the document: {e}"),
                        )
                    })
                });
            match item {
                Ok(v) => pending.push((i, v)),
                Err(e) => out[i] = Some(Err(e.context(format!("order {}", doc.order_id)))),
            }
        }
        for chunk in pending.chunks(BATCH_SIZE) {
            let items: Vec<Value> = chunk.iter().map(|(_, v)| v.clone()).collect();
            let answers = match self.api.batch(items).await {
                Ok(a) => a,
                Err(e) => {
                    for (i, _) in chunk {
                        out[*i] = Some(Err(e.clone()));
                    }
                    continue;
                }
            };
            for (i, _) in chunk {
                let doc = &docs[*i];
                out[*i] = Some(match answers.get(&i.to_string()) {
                    None => Err(protocol(format!(
                        "order {}: the batch answer has no item {i}",
                        doc.order_id
                    ))),
                    Some(env) => self.created(doc, env).await,
                });
            }
        }
        collect(out)
    }

    async fn created(&self, doc: &SalesDocument, env: &Envelope) -> Result<LedgerRef> {
        match error_from_envelope(env, 200, "create document") {
            Some(e) if is_duplicate_doc_number(&e) => {
                let p = probe(doc)?;
                match self.find_probes(std::slice::from_ref(&p)).await.pop() {
                    Some(Ok(Some(f))) => {
                        tracing::info!(order = %doc.order_id, at = %f.id, "document already in QuickBooks: adopted");
                        adopt(doc, &f)
                    }
                    Some(Err(e2)) => Err(e2),
                    _ => Err(e.context(format!("order {}", doc.order_id))),
                }
            }
            Some(e) => Err(e.context(format!("order {}", doc.order_id))),
            None => {
                let w = written(env, "the batch item")?;
                let at = ledger_ref(&w)?;
                check_total(doc, w.total, &at)?;
                Ok(at)
            }
        }
    }

    /// Replaces a document's content (O14): read its `SyncToken`, write it back full, once
    /// more after a 5010 (someone edited it meanwhile).
    pub(crate) async fn update_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        let refs = self.refs(&mapping::sales_refs_needed(doc)).await?;
        let form = mapping::sales_form(doc, &doc.client.id, &refs)?;
        let name = entity_name(doc.kind)?;
        let key = doc.import_id.to_string();
        let mut attempt = 0;
        let env = loop {
            attempt += 1;
            let current = self
                .api
                .read(&name.to_ascii_lowercase(), Some(&at.id))
                .await
                .map_err(|e| e.context(format!("order {}", doc.order_id)))?;
            let sync = Entity::written(&current)
                .and_then(|w| w.sync_token)
                .ok_or_else(|| protocol(format!("{name} {} has no SyncToken", at.id)))?;
            let mut f = form.clone();
            f.id = Some(at.id.clone());
            f.sync_token = Some(sync);
            f.sparse = Some(false);
            match self.api.write(&entity(doc, f)?, &key, "update").await {
                Err(e) if is_stale(&e) && attempt < 2 => continue,
                Err(e) => return Err(e.context(format!("order {}", doc.order_id))),
                Ok(env) => break env,
            }
        };
        let w = written(&env, "the document update")?;
        let at = ledger_ref(&w)?;
        check_total(doc, w.total, &at)?;
        Ok(at)
    }
}
