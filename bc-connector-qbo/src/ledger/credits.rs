//! Credit memos and refund receipts: searched first (number, else customer and date, then the
//! marker), created, and a credit memo applied to its invoice. A credit that cannot be applied
//! in full is an error with both figures (the exception queue shows it), never only a log line.

use bc_core::{CreditKind, CreditMemo, DocNumber, Error, ErrorKind, ImportId, LedgerRef, Result};
use rust_decimal::Decimal;

use super::search::Probe;
use super::{ledger_ref, written, QboLedger};
use crate::error::{is_duplicate_doc_number, PLATFORM};
use crate::mapping::{self, credit_key, marker};
use crate::wire::{self, Entity, Ref};

fn entity_name(kind: CreditKind) -> &'static str {
    match kind {
        CreditKind::CreditMemo => "CreditMemo",
        CreditKind::RefundReceipt => "RefundReceipt",
    }
}

/// How to find a credit again.
pub fn probe(m: &CreditMemo) -> Probe {
    Probe {
        entity: entity_name(m.kind),
        key: credit_key(&m.import_id, &m.refund_id),
        doc_number: match &m.number {
            DocNumber::Fixed(n) => Some(mapping::truncate(n, mapping::MAX_DOC_NUMBER)),
            DocNumber::Auto => None,
        },
        customer: Some(m.client.id.clone()),
        date: Some(m.date),
    }
}

impl QboLedger {
    /// Finds the credit memo or refund receipt made for `memo` (without scanning).
    pub async fn find_credit(&self, memo: &CreditMemo) -> Result<Option<LedgerRef>> {
        let found = self.find_probes(&[probe(memo)]).await.pop();
        Ok(found.transpose()?.flatten().map(|f| f.at()))
    }

    /// By key alone: the probe this process recorded, else a scan of credit memos and refund
    /// receipts.
    pub(crate) async fn find_credit_by_key(
        &self,
        import_id: &ImportId,
        refund_id: &str,
    ) -> Result<Option<LedgerRef>> {
        let key = credit_key(import_id, refund_id);
        let probes = match self.hint(&key) {
            Some(p) => vec![p],
            None => vec![
                Probe::key_only("CreditMemo", key.clone()),
                Probe::key_only("RefundReceipt", key.clone()),
            ],
        };
        for found in self.find_probes(&probes).await {
            if let Some(f) = found? {
                return Ok(Some(f.at()));
            }
        }
        Ok(None)
    }

    /// Search, else create; then a credit memo linked to an invoice is applied to it.
    pub(crate) async fn post_credit(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        let ctx = format!("refund {} of order {}", memo.refund_id, memo.import_id);
        let p = probe(memo);
        self.remember(&p.key, p.clone());
        let (at, unapplied) = match self.find_probes(std::slice::from_ref(&p)).await.pop() {
            Some(Ok(Some(f))) => {
                let balance = f.form.as_ref().and_then(|f| f.balance);
                (f.at(), balance)
            }
            Some(Err(e)) => return Err(e.context(ctx)),
            _ => {
                let refs = self.refs(&mapping::credit_refs_needed(memo)).await?;
                let form = mapping::credit_form(memo, &refs)?;
                let entity = match memo.kind {
                    CreditKind::CreditMemo => Entity::CreditMemo(form),
                    CreditKind::RefundReceipt => Entity::RefundReceipt(form),
                };
                match self.api.write(&entity, &p.key, "create").await {
                    Ok(env) => (ledger_ref(&written(&env, "the credit creation")?)?, None),
                    Err(e) if is_duplicate_doc_number(&e) => {
                        match self.find_probes(std::slice::from_ref(&p)).await.pop() {
                            Some(Ok(Some(f))) => (f.at(), f.form.as_ref().and_then(|f| f.balance)),
                            _ => return Err(e.context(ctx)),
                        }
                    }
                    Err(e) => return Err(e.context(ctx)),
                }
            }
        };
        if let (CreditKind::CreditMemo, Some(invoice)) = (memo.kind, &memo.invoice) {
            let remaining = unapplied.unwrap_or(memo.total);
            self.apply_credit(memo, &at, invoice, remaining).await?;
        }
        Ok(at)
    }

    /// Applies what is left of a credit (`remaining`) to the invoice's open balance, the QBO
    /// way: a zero payment linking both. What cannot be applied is an error with the figures.
    async fn apply_credit(
        &self,
        memo: &CreditMemo,
        credit: &LedgerRef,
        invoice: &LedgerRef,
        remaining: Decimal,
    ) -> Result<()> {
        if remaining <= Decimal::ZERO {
            return Ok(());
        }
        let ctx = format!("refund {} of order {}", memo.refund_id, memo.import_id);
        let inv = self
            .api
            .read("invoice", Some(&invoice.id))
            .await
            .map_err(|e| e.context(ctx.clone()))?;
        let open = inv.invoice.and_then(|f| f.balance).unwrap_or(Decimal::ZERO);
        let amount = open.min(remaining);
        if amount > Decimal::ZERO {
            let link = |id: &str, kind: &str| wire::Line {
                amount: Some(amount),
                linked_txn: vec![wire::LinkedTxn {
                    txn_id: id.to_string(),
                    txn_type: kind.to_string(),
                }],
                ..wire::Line::default()
            };
            let apply_key = format!("{}#apply", credit_key(&memo.import_id, &memo.refund_id));
            let payment = wire::Payment {
                customer_ref: Some(Ref::id(memo.client.id.clone())),
                total_amt: Some(Decimal::ZERO),
                txn_date: Some(memo.date.format("%Y-%m-%d").to_string()),
                private_note: Some(format!(
                    "{} credit applied to the invoice",
                    marker(&apply_key)
                )),
                line: vec![link(&invoice.id, "Invoice"), link(&credit.id, "CreditMemo")],
                ..wire::Payment::default()
            };
            self.api
                .write(&Entity::Payment(payment), &apply_key, "create")
                .await
                .map_err(|e| {
                    e.context(format!("{ctx}: applying the credit memo to its invoice"))
                })?;
        }
        let left = remaining - amount;
        if left > Decimal::ZERO {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "{ctx}: credit memo {} of {} {} could be applied to invoice {} for {amount} only (its open balance); {left} {} stays unapplied on the customer",
                    credit.number.as_deref().unwrap_or(&credit.id),
                    memo.total,
                    memo.currency,
                    invoice.number.as_deref().unwrap_or(&invoice.id),
                    memo.currency,
                ),
            )
            .with_platform(PLATFORM));
        }
        Ok(())
    }
}
