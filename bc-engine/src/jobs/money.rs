//! Refunds (R1, R2) and payouts (Y1): storefront money movements → ledger documents, exactly
//! once (searched by `find_credit_memo` / `find_journal` after an unknown outcome).

use bc_core::plan::{plan_client, plan_credit_memo, plan_payout_journal, CreditLookups};
use bc_core::{Error, ErrorKind, ImportId, LedgerRef, PayoutQuery, RefundQuery, Result};
use chrono::{DateTime, Utc};

use super::lookups::maybe_written;
use crate::engine::{payload_hash, Engine, Run, Side};
use crate::report::{Job, RunReport};
use crate::state::{
    CrossRef, Direction, EntityKind, ExceptionFilter, ExceptionReason, ExceptionStatus, Outcome,
    WriteKey, WriteState,
};

/// Cursor of the refunds job.
pub const REFUNDS_CURSOR: &str = "refunds";
/// Cursor of the payouts job.
pub const PAYOUTS_CURSOR: &str = "payouts";

fn parse_time(c: Option<String>) -> Option<DateTime<Utc>> {
    c.and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
        .map(|c| c.with_timezone(&Utc))
}

impl Engine {
    /// Refunds (R1, R2): storefront refunds since the cursor → credit memos (or refund
    /// receipts) linked to the invoice, restocked lines flagged; each exactly once.
    pub async fn sync_refunds(&self) -> Result<RunReport> {
        let run = Run::new(Job::Refunds);
        let settings = self.settings();
        if !settings.refunds.enabled {
            run.note("refund sync is off (`refunds.enabled = false`)");
            return Ok(run.finish());
        }
        let caps = self.ledger.capabilities();
        if !self.storefront.capabilities().refunds || !caps.credit_memos {
            run.note(format!(
                "refunds skipped: {} cannot list refunds or {} cannot post credit memos",
                self.storefront.capabilities().platform,
                caps.platform
            ));
            return Ok(run.finish());
        }
        // A retry asked for (after fixing the settings) lists every refund again; those synced
        // already are skipped by their cross-reference.
        let retry = !self
            .state
            .exceptions(&ExceptionFilter {
                entity: Some(EntityKind::Refund),
                status: Some(ExceptionStatus::Open),
                retry_requested: Some(true),
            })
            .await?
            .is_empty();
        let since = if retry {
            None
        } else {
            parse_time(self.state.cursor(REFUNDS_CURSOR).await?)
        };
        let overlap = chrono::Duration::from_std(settings.sync.overlap_window.0)
            .unwrap_or_else(|_| chrono::Duration::minutes(5));
        let mut refunds = Vec::new();
        let mut page_cursor = None;
        loop {
            let q = RefundQuery {
                created_since: since.map(|s| s - overlap),
                orders: Vec::new(),
                cursor: page_cursor.clone(),
            };
            let page = self
                .retry(&run, Side::Storefront, || self.storefront.refunds(&q))
                .await?;
            refunds.extend(page.items);
            match page.next {
                Some(n) if Some(&n) != page_cursor.as_ref() => page_cursor = Some(n),
                _ => break,
            }
        }
        run.seen(refunds.len());
        let mut retry_from: Option<DateTime<Utc>> = None;
        let max_created = refunds.iter().map(|r| r.created_at).max();
        for refund in &refunds {
            let key = refund.id.to_string();
            if self.state.xref(EntityKind::Refund, &key).await?.is_some() {
                run.skipped();
                continue;
            }
            match self.post_refund(&run, &settings, refund).await {
                Ok(Some(at)) => {
                    self.resolved(EntityKind::Refund, &key).await;
                    self.log(
                        Job::Refunds,
                        EntityKind::Refund,
                        &key,
                        Direction::ToLedger,
                        Outcome::Done,
                        format!(
                            "order {}: credit memo {at} for {} {}",
                            refund.order_id, refund.total, refund.currency
                        ),
                    )
                    .await;
                    run.done();
                }
                Ok(None) => run.skipped(),
                Err(reasons) => {
                    if reasons.iter().all(ExceptionReason::is_temporary) {
                        retry_from = Some(
                            retry_from.map_or(refund.created_at, |r| r.min(refund.created_at)),
                        );
                    }
                    self.fail(&run, EntityKind::Refund, &key, Direction::ToLedger, reasons)
                        .await;
                }
            }
        }
        if let Some(next) = retry_from.or(max_created) {
            self.state
                .set_cursor(REFUNDS_CURSOR, &next.to_rfc3339())
                .await?;
        }
        Ok(run.finish())
    }

    async fn post_refund(
        &self,
        run: &Run,
        settings: &bc_core::Settings,
        refund: &bc_core::Refund,
    ) -> std::result::Result<Option<LedgerRef>, Vec<ExceptionReason>> {
        let reasons = |e: &Error| ExceptionReason::from_error(e);
        let caps = self.ledger.capabilities();
        let order = self
            .retry(run, Side::Storefront, || {
                self.storefront.order(&refund.order_id)
            })
            .await
            .map_err(|e| reasons(&e))?;
        let import_id = ImportId::new(settings.sync.import_source_code, order.id.clone())
            .map_err(|e| reasons(&e))?;
        let invoice = match self
            .state
            .xref(EntityKind::Order, order.id.as_str())
            .await
            .map_err(|e| reasons(&e))?
        {
            Some(x) => Some(x.ledger),
            None => self
                .retry(run, Side::Ledger, || self.ledger.find_document(&import_id))
                .await
                .map_err(|e| reasons(&e))?
                .map(|d| d.at),
        };
        let client = self
            .find_client(run, &plan_client(&order, settings))
            .await
            .map_err(|e| reasons(&e))?;
        let items = self
            .find_items(run, &order, settings, None)
            .await
            .map_err(|e| reasons(&e))?;
        let client_ref = client
            .map(|c| c.at)
            .unwrap_or_else(|| LedgerRef::new("(unknown client)"));
        let memo = plan_credit_memo(
            refund,
            &order,
            settings,
            &CreditLookups {
                client: &client_ref,
                invoice: invoice.as_ref(),
                items: &items,
                ledger: &caps,
            },
        )
        .map_err(|issues| ExceptionReason::from_issues(&issues))?;
        let key = refund.id.to_string();
        let wkey = WriteKey::new(EntityKind::Refund, "credit_memo", key.clone(), 0);
        let prev = self
            .state
            .journal_intent(&wkey, &payload_hash(&memo), Utc::now())
            .await
            .map_err(|e| reasons(&e))?;
        let search = || async {
            self.retry(run, Side::Ledger, || {
                self.ledger.find_credit_memo(&import_id, &refund.id)
            })
            .await
        };
        let mut known_unknown = match prev.map(|p| p.state) {
            Some(WriteState::Done { at }) => {
                self.record_refund(&key, &wkey, &at)
                    .await
                    .map_err(|e| reasons(&e))?;
                run.adopted();
                return Ok(Some(at));
            }
            Some(WriteState::Intent) => true,
            _ => false,
        };
        let mut attempt = 0;
        loop {
            if known_unknown {
                if let Some(at) = search().await.map_err(|e| reasons(&e))? {
                    self.record_refund(&key, &wkey, &at)
                        .await
                        .map_err(|e| reasons(&e))?;
                    run.adopted();
                    self.log(
                        Job::Refunds,
                        EntityKind::Refund,
                        &key,
                        Direction::ToLedger,
                        Outcome::Adopted,
                        format!("credit memo {at} found after an unknown outcome"),
                    )
                    .await;
                    return Ok(Some(at));
                }
            }
            run.count(Side::Ledger);
            match self.ledger.post_credit_memo(&memo).await {
                Ok(at) => {
                    self.record_refund(&key, &wkey, &at)
                        .await
                        .map_err(|e| reasons(&e))?;
                    return Ok(Some(at));
                }
                Err(e) if maybe_written(&e) && attempt + 1 < self.options.attempts.max(1) => {
                    self.backoff(attempt, &e).await;
                    attempt += 1;
                    known_unknown = true;
                }
                Err(e) => {
                    if !maybe_written(&e) {
                        let _ = self
                            .state
                            .journal_failed(&wkey, &e.to_string(), Utc::now())
                            .await;
                    }
                    return Err(reasons(&e));
                }
            }
        }
    }

    async fn record_refund(&self, key: &str, wkey: &WriteKey, at: &LedgerRef) -> Result<()> {
        self.state.journal_done(wkey, at, Utc::now()).await?;
        self.state
            .put_xref(&CrossRef {
                kind: EntityKind::Refund,
                key: key.to_string(),
                ledger: at.clone(),
                payload_hash: String::new(),
                revision: 0,
                updated_at: Utc::now(),
            })
            .await
    }

    /// Payouts (Y1): one balanced journal per payout, exactly once. Skipped with a note when
    /// the storefront does not report payouts.
    pub async fn sync_payouts(&self) -> Result<RunReport> {
        let run = Run::new(Job::Payouts);
        let settings = self.settings();
        if !settings.payouts.enabled {
            run.note("payout sync is off (`payouts.enabled = false`)");
            return Ok(run.finish());
        }
        let sf = self.storefront.capabilities();
        if !sf.payouts {
            run.note(format!(
                "payouts skipped: {} does not report payouts (settlements); reconcile deposits from the gateway instead",
                sf.platform
            ));
            return Ok(run.finish());
        }
        let caps = self.ledger.capabilities();
        if !caps.journals {
            run.note(format!(
                "payouts skipped: {} cannot post journals",
                caps.platform
            ));
            return Ok(run.finish());
        }
        let since = parse_time(self.state.cursor(PAYOUTS_CURSOR).await?);
        let mut payouts = Vec::new();
        let mut page_cursor = None;
        loop {
            let q = PayoutQuery {
                paid_since: since,
                cursor: page_cursor.clone(),
            };
            let page = self
                .retry(&run, Side::Storefront, || self.storefront.payouts(&q))
                .await?;
            payouts.extend(page.items);
            match page.next {
                Some(n) if Some(&n) != page_cursor.as_ref() => page_cursor = Some(n),
                _ => break,
            }
        }
        run.seen(payouts.len());
        let mut all_ok = true;
        for p in &payouts {
            let key = p.id.to_string();
            if self.state.xref(EntityKind::Payout, &key).await?.is_some() {
                run.skipped();
                continue;
            }
            let entry = match plan_payout_journal(p, &settings, &caps) {
                Ok(e) => e,
                Err(issues) => {
                    self.fail(
                        &run,
                        EntityKind::Payout,
                        &key,
                        Direction::ToLedger,
                        ExceptionReason::from_issues(&issues),
                    )
                    .await;
                    continue;
                }
            };
            let wkey = WriteKey::new(EntityKind::Payout, "journal", key.clone(), 0);
            let prev = self
                .state
                .journal_intent(&wkey, &payload_hash(&entry), Utc::now())
                .await?;
            let mut search_first =
                matches!(prev.as_ref().map(|p| &p.state), Some(WriteState::Intent));
            if let Some(WriteState::Done { at }) = prev.map(|p| p.state) {
                self.state.journal_done(&wkey, &at, Utc::now()).await?;
                self.put_simple_xref(EntityKind::Payout, &key, at).await?;
                run.adopted();
                continue;
            }
            let mut attempt = 0;
            let result: std::result::Result<LedgerRef, Error> = loop {
                if search_first {
                    match self
                        .retry(&run, Side::Ledger, || self.ledger.find_journal(&entry.key))
                        .await
                    {
                        Ok(Some(at)) => {
                            run.adopted();
                            break Ok(at);
                        }
                        Ok(None) => {}
                        Err(e) => break Err(e),
                    }
                }
                run.count(Side::Ledger);
                match self.ledger.post_journal(&entry).await {
                    Ok(at) => break Ok(at),
                    Err(e) if maybe_written(&e) && attempt + 1 < self.options.attempts.max(1) => {
                        self.backoff(attempt, &e).await;
                        attempt += 1;
                        search_first = true;
                    }
                    Err(e) => break Err(e),
                }
            };
            match result {
                Ok(at) => {
                    self.state.journal_done(&wkey, &at, Utc::now()).await?;
                    self.put_simple_xref(EntityKind::Payout, &key, at.clone())
                        .await?;
                    self.resolved(EntityKind::Payout, &key).await;
                    run.done();
                    self.log(
                        Job::Payouts,
                        EntityKind::Payout,
                        &key,
                        Direction::ToLedger,
                        Outcome::Done,
                        format!(
                            "journal {at}: net {} {} (debits {} = credits {})",
                            p.net,
                            p.currency,
                            entry.debits(),
                            entry.credits()
                        ),
                    )
                    .await;
                }
                Err(e) => {
                    all_ok = false;
                    if !maybe_written(&e) && e.kind() != ErrorKind::RateLimited {
                        self.state
                            .journal_failed(&wkey, &e.to_string(), Utc::now())
                            .await?;
                    }
                    self.fail(
                        &run,
                        EntityKind::Payout,
                        &key,
                        Direction::ToLedger,
                        ExceptionReason::from_error(&e),
                    )
                    .await;
                }
            }
        }
        if all_ok {
            if let Some(m) = payouts.iter().map(|p| p.paid_at).max() {
                self.state
                    .set_cursor(PAYOUTS_CURSOR, &m.to_rfc3339())
                    .await?;
            }
        }
        Ok(run.finish())
    }
}
