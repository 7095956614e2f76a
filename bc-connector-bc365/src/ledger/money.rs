//! Finding and updating sales documents, receipts, credit memos and payout journals.

use bc_core::{
    CreditMemo, DocumentKind, Error, ErrorKind, ImportId, JournalEntry, LedgerDocument, LedgerRef,
    Receipt, Result, SalesDocument,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::documents::{reference, Job};
use super::Bc365Ledger;
use crate::client::{lit, BatchOp, KeyQuery};
use crate::mapping::{credit, journal, receipt};
use crate::wire::{parse, Document, JournalLine};

/// What `find_document` reports as the total: BC's total without tender lines (gift
/// certificates and store credit are not revenue, see `SalesDocument::total`).
fn revenue_total(d: &Document) -> Decimal {
    let tenders: Decimal = d
        .lines()
        .iter()
        .filter(|l| l.description2.starts_with("tender:"))
        .map(|l| l.amount_including_tax)
        .sum();
    d.total_amount_including_tax - tenders
}

impl Bc365Ledger {
    pub(crate) async fn find_sales_documents(
        &self,
        ids: &[ImportId],
    ) -> Vec<Result<Option<LedgerDocument>>> {
        let keys: Vec<(&'static [&'static str], String)> = ids
            .iter()
            .map(|i| (&["salesInvoices", "salesOrders"][..], i.to_string()))
            .collect();
        let found = self.find_by_keys(&keys).await;
        let posts = |set: &str| match set {
            "salesOrders" => self.config.posting.ship_and_invoice_orders,
            _ => self.config.posting.post_documents,
        };
        found
            .into_iter()
            .zip(ids)
            .map(|(f, id)| {
                // A draft where the settings post documents is an interrupted write, not a
                // document: reported as absent so that the next post finds and finishes it.
                f.map(|o| o.filter(|(set, d)| !(d.is_draft() && posts(set))))
                    .map(|o| {
                        o.map(|(set, d)| LedgerDocument {
                            at: reference(&d),
                            kind: if set == "salesOrders" {
                                DocumentKind::SalesOrder
                            } else {
                                DocumentKind::Invoice
                            },
                            import_id: id.clone(),
                            total: revenue_total(&d),
                            currency: d.currency_code.parse().unwrap_or(self.config.home_currency),
                            editable: d.is_draft(),
                            status: Some(d.status.clone()),
                        })
                    })
            })
            .collect()
    }

    /// O14: replaces header and lines of a draft, then posts it as the settings say.
    pub(crate) async fn update_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        let Job { plan, .. } = self.job(doc).await?;
        let set = plan.set;
        let lines_set = if set == "salesOrders" {
            "salesOrderLines"
        } else {
            "salesInvoiceLines"
        };
        let current: Document = parse(
            self.client
                .get(
                    "document",
                    &format!("{set}({})", at.id),
                    &[("$expand", lines_set.to_string())],
                )
                .await?,
            "document",
        )?;
        if !current.is_draft() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "{} {} is posted and cannot be changed; credit it instead",
                    set, current.number
                ),
            )
            .with_platform(crate::PLATFORM));
        }
        let mut header = plan.body.clone();
        let new_lines = header
            .as_object_mut()
            .and_then(|m| m.remove(lines_set))
            .unwrap_or(Value::Array(vec![]));
        if let Some(m) = header.as_object_mut() {
            m.remove("customerId");
        }
        let etag = at.version.clone().unwrap_or(current.etag.clone());
        self.client
            .patch("document", &format!("{set}({})", at.id), &header, &etag)
            .await?;
        let mut ops: Vec<BatchOp> = current
            .lines()
            .iter()
            .map(|l| BatchOp {
                method: "DELETE",
                url: self
                    .client
                    .rel(&format!("{set}({})/{lines_set}({})", at.id, l.id)),
                body: None,
                if_match: Some("*".into()),
                what: "delete line".into(),
            })
            .collect();
        for l in new_lines.as_array().cloned().unwrap_or_default() {
            ops.push(BatchOp {
                method: "POST",
                url: self.client.rel(&format!("{set}({})/{lines_set}", at.id)),
                body: Some(l),
                if_match: None,
                what: "add line".into(),
            });
        }
        for a in self.client.batch(ops, false).await? {
            a.into_result()?;
        }
        let fresh: Document = parse(
            self.client
                .get("document", &format!("{set}({})", at.id), &[])
                .await?,
            "document",
        )?;
        if fresh.total_amount_including_tax != plan.expected_total {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "after the update Business Central computes {} but the storefront total is {}",
                    fresh.total_amount_including_tax, plan.expected_total
                ),
            )
            .with_platform(crate::PLATFORM));
        }
        let post = if set == "salesOrders" {
            self.config.posting.ship_and_invoice_orders
        } else {
            self.config.posting.post_documents
        };
        if post {
            let action = if set == "salesOrders" {
                "Microsoft.NAV.shipAndInvoice"
            } else {
                "Microsoft.NAV.post"
            };
            self.client
                .action(&format!("{set}({})/{action}", at.id))
                .await?;
        }
        Ok(reference(&fresh))
    }

    pub(crate) async fn find_payment(&self, r: &Receipt) -> Result<Option<LedgerRef>> {
        let setup = self.setup().await?;
        let rows = self
            .client
            .list(
                "payments",
                &format!(
                    "customerPaymentJournals({})/customerPayments",
                    setup.payment_journal
                ),
                &[(
                    "$filter",
                    format!(
                        "externalDocumentNumber eq {}",
                        lit(&receipt::receipt_key(r))
                    ),
                )],
            )
            .await?;
        let found: Option<JournalLine> = rows
            .into_iter()
            .next()
            .map(|v| parse(v, "customer payment"))
            .transpose()?;
        Ok(found.map(|p| LedgerRef::new(p.id).with_number(p.document_number)))
    }

    pub(crate) async fn post_payment(&self, r: &Receipt) -> Result<LedgerRef> {
        if let Some(found) = self.find_payment(r).await? {
            return Ok(found);
        }
        let setup = self.setup().await?;
        // A payment applies to a posted invoice only; a draft's payment waits unapplied in
        // the journal for finance.
        let inv = self
            .client
            .get(
                "invoice",
                &format!("salesInvoices({})", r.document.id),
                &[("$select", "id,status,number".into())],
            )
            .await;
        let applies = match inv {
            Ok(v)
                if v.get("status")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s != "Draft") =>
            {
                Some(r.document.id.as_str())
            }
            Ok(_) => None,
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let body = receipt::payment(r, applies);
        let rest = format!(
            "customerPaymentJournals({})/customerPayments",
            setup.payment_journal
        );
        match self.client.post("customer payment", &rest, &body).await {
            Ok(v) => {
                let p: JournalLine = parse(v, "customer payment")?;
                Ok(LedgerRef::new(p.id).with_number(p.document_number))
            }
            Err(e) if e.kind() == ErrorKind::OutcomeUnknown => self.find_payment(r).await?.ok_or(e),
            Err(e) => Err(e),
        }
    }

    /// Receipts searched by their key, and the invoices they apply to read, in one
    /// `$batch` (`or`-joined filters): per receipt, the payment found, and whether its
    /// invoice is posted.
    async fn find_payments_each(
        &self,
        rs: &[&Receipt],
        invoices: bool,
    ) -> Vec<Result<(Option<LedgerRef>, bool)>> {
        let setup = match self.setup().await {
            Ok(s) => s,
            Err(e) => return rs.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut queries = vec![KeyQuery {
            rest: format!(
                "customerPaymentJournals({})/customerPayments",
                setup.payment_journal
            ),
            field: "externalDocumentNumber",
            quoted: true,
            keys: rs.iter().map(|r| receipt::receipt_key(r)).collect(),
            query: Vec::new(),
            what: "find customer payments".into(),
        }];
        if invoices {
            queries.push(KeyQuery {
                rest: "salesInvoices".into(),
                field: "id",
                quoted: false,
                keys: rs.iter().map(|r| r.document.id.clone()).collect(),
                query: vec![("$select", "id,status,number".into())],
                what: "read invoices".into(),
            });
        }
        let answers = self.client.find_keys(&queries).await;
        let at = |q: usize, i: usize| -> Result<Option<Value>> {
            answers
                .get(q)
                .and_then(|a| a.get(i))
                .cloned()
                .unwrap_or_else(|| Err(Error::protocol("$batch lost an answer")))
                .map(|rows| rows.into_iter().next())
        };
        (0..rs.len())
            .map(|i| {
                let found = at(0, i)?
                    .map(|v| parse::<JournalLine>(v, "customer payment"))
                    .transpose()?
                    .map(|p| LedgerRef::new(p.id).with_number(p.document_number));
                let posted = if invoices && found.is_none() {
                    at(1, i)?.is_some_and(|v| {
                        v.get("status")
                            .and_then(Value::as_str)
                            .is_some_and(|s| s != "Draft")
                    })
                } else {
                    false
                };
                Ok((found, posted))
            })
            .collect()
    }

    /// Receipts in `$batch`es: searched by key with their invoices read (one batch), the
    /// missing ones posted (one batch; applied to a posted invoice), those of unknown outcome
    /// searched again. The receipts of an invoice this connector created and posted itself
    /// (and has not had receipts for yet) are not searched: no payment can be applied to it
    /// yet. One result per receipt, in order, as [`Bc365Ledger::post_payment`].
    pub(crate) async fn post_payments(&self, rs: &[Receipt]) -> Vec<Result<LedgerRef>> {
        // An invoice this connector created and posted moments ago has no payment yet, and is
        // posted: its receipts need no search (once: a later call searches as usual).
        let fresh: std::collections::HashSet<String> = {
            let mut known = self.known();
            rs.iter()
                .map(|r| r.document.id.to_ascii_lowercase())
                .filter(|id| known.take_posted_here(id))
                .collect()
        };
        let is_fresh = |r: &Receipt| fresh.contains(&r.document.id.to_ascii_lowercase());
        let search: Vec<(usize, &Receipt)> = rs
            .iter()
            .enumerate()
            .filter(|(_, r)| !is_fresh(r))
            .collect();
        let found = if search.is_empty() {
            Vec::new()
        } else {
            let all: Vec<&Receipt> = search.iter().map(|(_, r)| *r).collect();
            self.find_payments_each(&all, true).await
        };
        let mut out: Vec<Option<Result<LedgerRef>>> = rs.iter().map(|_| None).collect();
        let mut to_post: Vec<(usize, bool)> = rs
            .iter()
            .enumerate()
            .filter(|(_, r)| is_fresh(r))
            .map(|(i, _)| (i, true))
            .collect();
        for ((i, _), f) in search.into_iter().zip(found) {
            match f {
                Ok((Some(r), _)) => out[i] = Some(Ok(r)),
                Ok((None, posted)) => to_post.push((i, posted)),
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        to_post.sort_by_key(|(i, _)| *i);
        if !to_post.is_empty() {
            let rest = match self.setup().await {
                Ok(setup) => format!(
                    "customerPaymentJournals({})/customerPayments",
                    setup.payment_journal
                ),
                Err(e) => {
                    return rs.iter().map(|_| Err(e.clone())).collect();
                }
            };
            let ops = to_post
                .iter()
                .map(|(i, posted)| {
                    let r = &rs[*i];
                    BatchOp {
                        method: "POST",
                        url: self.client.rel(&rest),
                        body: Some(receipt::payment(
                            r,
                            posted.then_some(r.document.id.as_str()),
                        )),
                        if_match: None,
                        what: format!("customer payment {}", receipt::receipt_key(r)),
                    }
                })
                .collect();
            let answers = self.client.batch_each(ops, false).await;
            let mut unknown: Vec<(usize, Error)> = Vec::new();
            for ((i, _), a) in to_post.into_iter().zip(answers) {
                match a
                    .and_then(|a| a.into_result())
                    .and_then(|v| parse::<JournalLine>(v, "customer payment"))
                {
                    Ok(p) => out[i] = Some(Ok(LedgerRef::new(p.id).with_number(p.document_number))),
                    Err(e) if e.kind() == ErrorKind::OutcomeUnknown => unknown.push((i, e)),
                    Err(e) => out[i] = Some(Err(e)),
                }
            }
            if !unknown.is_empty() {
                let again: Vec<&Receipt> = unknown.iter().map(|(i, _)| &rs[*i]).collect();
                let found = self.find_payments_each(&again, false).await;
                for ((i, e), f) in unknown.into_iter().zip(found) {
                    out[i] = Some(match f {
                        Ok((Some(r), _)) => Ok(r),
                        _ => Err(e),
                    });
                }
            }
        }
        out.into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "receipt not processed")))
            })
            .collect()
    }

    pub(crate) async fn find_credit(
        &self,
        import_id: &ImportId,
        refund_id: &str,
    ) -> Result<Option<LedgerRef>> {
        let key = credit::credit_key(&import_id.to_string(), refund_id);
        let found = self
            .find_by_keys(&[(&["salesCreditMemos"][..], key)])
            .await
            .pop()
            .unwrap_or(Ok(None))?;
        Ok(found
            .filter(|(_, d)| !d.is_draft() || !self.config.posting.post_documents)
            .map(|(_, d)| reference(&d)))
    }

    pub(crate) async fn post_credit(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        let setup = self.setup().await?;
        let job = credit::credit_memo(memo, setup, &self.config.posting)
            .map(|plan| Job {
                plan,
                order: memo.import_id.order().clone(),
                zones: memo
                    .tax_code
                    .as_ref()
                    .map_or_else(|| "(refund)".into(), |t| t.to_string()),
            })
            .map_err(|issues| Error::mapping(issues).with_platform(crate::PLATFORM));
        self.write_documents(vec![job])
            .await
            .pop()
            .unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no result")))
    }

    /// The payout journal's document number and whether it is posted.
    pub(crate) async fn find_payout_journal(&self, key: &str) -> Result<Option<(LedgerRef, bool)>> {
        let setup = self.setup().await?;
        let doc = journal::document_number(key);
        let ops = vec![
            BatchOp {
                method: "GET",
                url: self.client.rel_query(
                    "generalLedgerEntries",
                    &[
                        ("$filter", format!("documentNumber eq {}", lit(&doc))),
                        ("$top", "1".into()),
                    ],
                ),
                body: None,
                if_match: None,
                what: "find posted payout".into(),
            },
            BatchOp {
                method: "GET",
                url: self.client.rel_query(
                    &format!("journals({})/journalLines", setup.payout_journal),
                    &[(
                        "$filter",
                        format!(
                            "externalDocumentNumber eq {}",
                            lit(&journal::external_key(key))
                        ),
                    )],
                ),
                body: None,
                if_match: None,
                what: "find unposted payout".into(),
            },
        ];
        let mut a = self.client.batch(ops, true).await?.into_iter();
        let count = |v: Option<crate::client::BatchAnswer>| -> Result<usize> {
            let v = v
                .ok_or_else(|| Error::protocol("$batch lost an answer"))?
                .into_result()?;
            Ok(v.get("value")
                .and_then(Value::as_array)
                .map(Vec::len)
                .unwrap_or(0))
        };
        let posted = count(a.next())?;
        let pending = count(a.next())?;
        Ok(match (posted, pending) {
            (0, 0) => None,
            (0, _) => Some((LedgerRef::new(doc.clone()).with_number(doc), false)),
            _ => Some((LedgerRef::new(doc.clone()).with_number(doc), true)),
        })
    }

    /// Y1: the payout's lines into the payout journal, then the journal posted.
    pub(crate) async fn post_payout_journal(&self, e: &JournalEntry) -> Result<LedgerRef> {
        if !e.is_balanced() {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "journal {} does not balance: debits {} ≠ credits {}",
                    e.key,
                    e.debits(),
                    e.credits()
                ),
            )
            .with_platform(crate::PLATFORM));
        }
        if e.currency != self.config.home_currency {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("journal {} is in {}: API v2.0 journal lines carry no currency code, so Business Central posts them in {} only", e.key, e.currency, self.config.home_currency),
            )
            .with_platform(crate::PLATFORM));
        }
        let setup = self.setup().await?;
        let journal_id = setup.payout_journal.clone();
        match self.find_payout_journal(&e.key).await? {
            Some((r, true)) => return Ok(r),
            Some((_, false)) => {}
            None => {
                let ops = journal::lines(e)
                    .into_iter()
                    .map(|l| BatchOp {
                        method: "POST",
                        url: self
                            .client
                            .rel(&format!("journals({journal_id})/journalLines")),
                        body: Some(l),
                        if_match: None,
                        what: format!("journal line of {}", e.key),
                    })
                    .collect();
                let answers = self.client.batch(ops, false).await?;
                let failed = answers
                    .into_iter()
                    .map(|a| a.into_result())
                    .find_map(|r| r.err());
                if let Some(err) = failed {
                    // Lines of a half-written payout would post unbalanced: remove them.
                    self.clear_payout_lines(&journal_id, &e.key).await;
                    return Err(err);
                }
            }
        }
        self.client
            .action(&format!("journals({journal_id})/Microsoft.NAV.post"))
            .await?;
        let doc = journal::document_number(&e.key);
        Ok(LedgerRef::new(doc.clone()).with_number(doc))
    }

    async fn clear_payout_lines(&self, journal_id: &str, key: &str) {
        let rest = format!("journals({journal_id})/journalLines");
        if let Ok(rows) = self
            .client
            .list(
                "journal lines",
                &rest,
                &[(
                    "$filter",
                    format!(
                        "externalDocumentNumber eq {}",
                        lit(&journal::external_key(key))
                    ),
                )],
            )
            .await
        {
            for r in rows {
                if let Some(id) = r.get("id").and_then(Value::as_str) {
                    let _ = self.client.delete(&format!("{rest}({id})"), "*").await;
                }
            }
        }
        let _ = json!(null);
    }
}
