//! Refunds (R1, R2) and payouts (Y1): storefront money movements → ledger documents, exactly
//! once (searched by `find_credit_memo` / `find_journal` after an unknown outcome).

use std::collections::HashSet;

use bc_core::plan::{plan_client, plan_credit_memo, plan_payout_journal, CreditLookups};
use bc_core::{Error, ErrorKind, ImportId, LedgerRef, PayoutQuery, RefundQuery, Result, Settings};
use chrono::{DateTime, NaiveTime, Utc};

use crate::breaker::is_account_level;
use crate::engine::{payload_hash, Engine, Run, Side};
use crate::journal::{Write, Written};
use crate::report::{Job, RunReport};
use crate::state::{
    CrossRef, Direction, EntityKind, ExceptionFilter, ExceptionReason, ExceptionStatus, LogEntry,
    Outcome, StateOp, WriteKey,
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
    /// receipts) linked to the invoice, restocked lines flagged; each exactly once. A refund
    /// whose order is not posted yet waits for it (deferred, no exception); one whose order
    /// was created before `sync.start_date` is left alone.
    pub async fn sync_refunds(&self) -> Result<RunReport> {
        self.refunds_run(None).await
    }

    /// The refunds of one order, whatever their date (e.g. after [`Engine::import_order`]
    /// imported the original of a refund left alone because the order predates
    /// `sync.start_date`): each posted exactly once like in a run of the refunds job, under
    /// that job's lease. The job's cursor is not moved.
    pub async fn sync_refunds_of(&self, order: &bc_core::OrderId) -> Result<RunReport> {
        let only = vec![order.clone()];
        self.leased(Job::Refunds, || self.refunds_run(Some(only)))
            .await
    }

    async fn refunds_run(&self, only: Option<Vec<bc_core::OrderId>>) -> Result<RunReport> {
        let run = self.start(Job::Refunds);
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
        // Refunds already in the queue for good (their order never imported, a refusal of
        // their own) are not fetched again each run: only a retry, an import of their order
        // (`sync_refunds_of`, or the order's cross-reference appearing) looks at them again.
        // Without this a run that stops half-way (a lost lease, a busy state store) would
        // re-file the same exceptions from the top every time and never reach the rest.
        let parked: HashSet<String> = if only.is_some() {
            HashSet::new()
        } else {
            self.state
                .exceptions(&ExceptionFilter {
                    entity: Some(EntityKind::Refund),
                    status: Some(ExceptionStatus::Open),
                    retry_requested: Some(false),
                })
                .await?
                .into_iter()
                .filter(|x| !x.is_temporary())
                .map(|x| x.key)
                .collect()
        };
        let cursor = parse_time(self.state.cursor(REFUNDS_CURSOR).await?);
        let since = if retry || only.is_some() {
            None
        } else {
            cursor
        };
        let overlap = chrono::Duration::from_std(settings.sync.overlap_window.0)
            .unwrap_or_else(|_| chrono::Duration::minutes(5));
        let listing_started = Utc::now();
        let mut oldest_deferred: Option<DateTime<Utc>> = None;
        let mut listed_all = false;
        let mut q = RefundQuery {
            created_since: since.map(|s| s - overlap),
            orders: only.clone().unwrap_or_default(),
            cursor: None,
        };
        while run.stopped().is_none() {
            let page = match self
                .call(&run, Side::Storefront, || self.storefront.refunds(&q))
                .await
            {
                Ok(p) => p,
                Err(e) if is_account_level(&e) => {
                    run.halt(e);
                    break;
                }
                Err(e) => return Err(e),
            };
            for f in &page.failures {
                self.unreadable(&run, EntityKind::Refund, f).await;
            }
            run.seen(page.items.len());
            for refund in &page.items {
                if run.stopped().is_some() {
                    oldest_deferred = Some(
                        oldest_deferred.map_or(refund.created_at, |o| o.min(refund.created_at)),
                    );
                    continue;
                }
                let key = refund.id.to_string();
                if parked.contains(&key)
                    && matches!(
                        self.state
                            .xref(EntityKind::Order, refund.order_id.as_str())
                            .await,
                        Ok(None)
                    )
                {
                    run.skipped();
                    continue;
                }
                match self.post_refund(&run, &settings, refund).await {
                    Ok(Some(true)) => run.adopted(),
                    Ok(Some(false)) => run.done(),
                    Ok(None) => run.skipped(),
                    Err(e) => {
                        if is_account_level(&e) {
                            oldest_deferred = Some(
                                oldest_deferred
                                    .map_or(refund.created_at, |o| o.min(refund.created_at)),
                            );
                        }
                        self.item_failed(&run, EntityKind::Refund, &key, Direction::ToLedger, &e)
                            .await;
                    }
                }
            }
            match page.next {
                Some(n) if Some(&n) != q.cursor.as_ref() => q.cursor = Some(n),
                _ => {
                    listed_all = true;
                    break;
                }
            }
        }
        let reached = if listed_all {
            Some(listing_started)
        } else {
            cursor
        };
        let next = match (reached, oldest_deferred) {
            (Some(r), Some(d)) => Some(r.min(d)),
            (r, d) => r.or(d),
        };
        if let (Some(n), None) = (next, &only) {
            self.commit_cursor(&run, REFUNDS_CURSOR, n).await?;
        }
        Ok(run.finish())
    }

    /// Moves a job's cursor under the run's fence.
    pub(crate) async fn commit_cursor(
        &self,
        run: &Run,
        job: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let op = StateOp::SetCursor {
            job: job.into(),
            value: at.to_rfc3339(),
        };
        match self.state.commit(run.fence(), &[op], Utc::now()).await {
            Ok(()) => Ok(()),
            Err(e) => {
                run.defer_if_lease_lost(&e);
                if run.stopped().is_some() {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    /// One refund → one credit memo, through the write journal: `Some(adopted)` when written
    /// (or found after an unknown outcome), `None` when left alone (synced already, or its
    /// order predates `sync.start_date`).
    async fn post_refund(
        &self,
        run: &Run,
        settings: &Settings,
        refund: &bc_core::Refund,
    ) -> Result<Option<bool>> {
        if self
            .state
            .xref(EntityKind::Refund, refund.id.as_str())
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let caps = self.ledger.capabilities();
        let order = self
            .call(run, Side::Storefront, || {
                self.storefront.order(&refund.order_id)
            })
            .await?;
        let import_id = ImportId::new(settings.sync.import_source_code, order.id.clone())?;
        let before_start = settings.sync.start_date.is_some_and(|d| {
            d.and_time(NaiveTime::MIN)
                .and_local_timezone(settings.sync.timezone)
                .earliest()
                .is_some_and(|start| order.created_at < start.with_timezone(&Utc))
        });
        let imported = self
            .state
            .xref(EntityKind::Order, order.id.as_str())
            .await?
            .map(|x| x.ledger);
        if imported.is_none() && before_start {
            // Historical: bcsync never imported the order (it predates the start date), so
            // its refund is not synced either — not a failure. An order imported on purpose
            // (`Engine::import_order`) has a cross-reference, and its refunds are synced.
            self.log(
                Job::Refunds,
                EntityKind::Refund,
                refund.id.as_str(),
                Direction::ToLedger,
                Outcome::Skipped,
                format!(
                    "order placed before start_date: order {} was placed on {}, before sync.start_date; its refund is not synced (import the order with `bcsync sync orders --order {}` to sync it)",
                    order.id,
                    order.created_at.with_timezone(&settings.sync.timezone).date_naive(),
                    order.id
                ),
            )
            .await;
            return Ok(None);
        }
        let invoice = match imported {
            Some(x) => Some(x),
            None => self
                .call(run, Side::Ledger, || self.ledger.find_document(&import_id))
                .await?
                .map(|d| d.at),
        };
        if invoice.is_none() {
            let waiting = settings
                .orders
                .new_order_status
                .iter()
                .any(|s| s.eq_ignore_ascii_case(order.status.as_str()))
                || self
                    .state
                    .exception(EntityKind::Order, order.id.as_str())
                    .await?
                    .is_some_and(|x| x.status == ExceptionStatus::Open && x.is_temporary());
            if waiting {
                // Its order is on its way: wait for it (no exception).
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "refund {} waits for order {} to be posted",
                        refund.id, order.id
                    ),
                ));
            }
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "refund {} is of order {}, which bcsync never imported: import it with `bcsync sync orders --order {}`, or set sync.start_date after its date",
                    refund.id, order.id, order.id
                ),
            ));
        }
        let client = self
            .find_client(run, &plan_client(&order, settings))
            .await?;
        let items = self.find_items(run, &order, settings, None).await?;
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
        .map_err(Error::mapping)?;
        let key = refund.id.to_string();
        let write = Write {
            key: WriteKey::new(EntityKind::Refund, "credit_memo", key.clone(), 0),
            hash: payload_hash(&memo),
            payload: memo,
        };
        let import_ref = &import_id;
        let written = self
            .write_one(
                run,
                Side::Ledger,
                write,
                |_| async move { self.ledger.find_credit_memo(import_ref, &refund.id).await },
                |memo| async move { self.ledger.post_credit_memo(&memo).await },
                Vec::new(),
            )
            .await?;
        let at = written.at().clone();
        let ops = [
            StateOp::PutXref(CrossRef {
                kind: EntityKind::Refund,
                key: key.clone(),
                ledger: at.clone(),
                payload_hash: String::new(),
                revision: 0,
                updated_at: Utc::now(),
            }),
            StateOp::ResolveException {
                entity: EntityKind::Refund,
                key: key.clone(),
            },
            StateOp::Log(LogEntry {
                at: Utc::now(),
                job: Job::Refunds.as_str().into(),
                entity: EntityKind::Refund,
                key,
                direction: Direction::ToLedger,
                outcome: if matches!(written, Written::Adopted(_)) {
                    Outcome::Adopted
                } else {
                    Outcome::Done
                },
                message: format!(
                    "order {}: credit memo {at} for {} {}",
                    refund.order_id, refund.total, refund.currency
                ),
            }),
        ];
        self.state.commit(run.fence(), &ops, Utc::now()).await?;
        Ok(Some(matches!(written, Written::Adopted(_))))
    }

    /// Payouts (Y1): one balanced journal per payout, exactly once. Skipped with a note when
    /// the storefront does not report payouts.
    pub async fn sync_payouts(&self) -> Result<RunReport> {
        let run = self.start(Job::Payouts);
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
        let cursor = parse_time(self.state.cursor(PAYOUTS_CURSOR).await?);
        let mut q = PayoutQuery {
            paid_since: cursor,
            cursor: None,
        };
        let mut oldest_deferred: Option<DateTime<Utc>> = None;
        let mut newest: Option<DateTime<Utc>> = None;
        let mut listed_all = false;
        while run.stopped().is_none() {
            let page = match self
                .call(&run, Side::Storefront, || self.storefront.payouts(&q))
                .await
            {
                Ok(p) => p,
                Err(e) if is_account_level(&e) => {
                    run.halt(e);
                    break;
                }
                Err(e) => return Err(e),
            };
            for f in &page.failures {
                self.unreadable(&run, EntityKind::Payout, f).await;
            }
            run.seen(page.items.len());
            for p in &page.items {
                newest = Some(newest.map_or(p.paid_at, |n| n.max(p.paid_at)));
                let key = p.id.to_string();
                if run.stopped().is_some() {
                    oldest_deferred = Some(oldest_deferred.map_or(p.paid_at, |o| o.min(p.paid_at)));
                    continue;
                }
                match self.state.xref(EntityKind::Payout, &key).await {
                    Ok(Some(_)) => {
                        run.skipped();
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        oldest_deferred =
                            Some(oldest_deferred.map_or(p.paid_at, |o| o.min(p.paid_at)));
                        self.item_failed(&run, EntityKind::Payout, &key, Direction::ToLedger, &e)
                            .await;
                        continue;
                    }
                }
                let entry = match plan_payout_journal(p, &settings, &caps) {
                    Ok(e) => e,
                    Err(issues) => {
                        if !self
                            .fail(
                                &run,
                                EntityKind::Payout,
                                &key,
                                Direction::ToLedger,
                                ExceptionReason::from_issues(&issues),
                            )
                            .await
                        {
                            oldest_deferred =
                                Some(oldest_deferred.map_or(p.paid_at, |o| o.min(p.paid_at)));
                        }
                        continue;
                    }
                };
                let message = format!(
                    "net {} {} (debits {} = credits {})",
                    p.net,
                    p.currency,
                    entry.debits(),
                    entry.credits()
                );
                let write = Write {
                    key: WriteKey::new(EntityKind::Payout, "journal", key.clone(), 0),
                    hash: payload_hash(&entry),
                    payload: entry,
                };
                let result = self
                    .write_one(
                        &run,
                        Side::Ledger,
                        write,
                        |entry| async move { self.ledger.find_journal(&entry.key).await },
                        |entry| async move { self.ledger.post_journal(&entry).await },
                        Vec::new(),
                    )
                    .await;
                match result {
                    Ok(written) => {
                        let at = written.at().clone();
                        let ops = [
                            StateOp::PutXref(CrossRef {
                                kind: EntityKind::Payout,
                                key: key.clone(),
                                ledger: at.clone(),
                                payload_hash: String::new(),
                                revision: 0,
                                updated_at: Utc::now(),
                            }),
                            StateOp::ResolveException {
                                entity: EntityKind::Payout,
                                key: key.clone(),
                            },
                            StateOp::Log(LogEntry {
                                at: Utc::now(),
                                job: Job::Payouts.as_str().into(),
                                entity: EntityKind::Payout,
                                key: key.clone(),
                                direction: Direction::ToLedger,
                                outcome: Outcome::Done,
                                message: format!("journal {at}: {message}"),
                            }),
                        ];
                        match self.state.commit(run.fence(), &ops, Utc::now()).await {
                            Ok(()) => run.done(),
                            Err(e) => {
                                oldest_deferred =
                                    Some(oldest_deferred.map_or(p.paid_at, |o| o.min(p.paid_at)));
                                self.item_failed(
                                    &run,
                                    EntityKind::Payout,
                                    &key,
                                    Direction::ToLedger,
                                    &e,
                                )
                                .await;
                            }
                        }
                    }
                    Err(e) => {
                        if is_account_level(&e) {
                            oldest_deferred =
                                Some(oldest_deferred.map_or(p.paid_at, |o| o.min(p.paid_at)));
                        }
                        self.item_failed(&run, EntityKind::Payout, &key, Direction::ToLedger, &e)
                            .await;
                    }
                }
            }
            match page.next {
                Some(n) if Some(&n) != q.cursor.as_ref() => q.cursor = Some(n),
                _ => {
                    listed_all = true;
                    break;
                }
            }
        }
        // Payouts are listed by paid date: the cursor is the newest one settled.
        let reached = if listed_all {
            newest.or(cursor)
        } else {
            cursor
        };
        let next = match (reached, oldest_deferred) {
            (Some(r), Some(d)) => Some(r.min(d)),
            (r, d) => r.or(d),
        };
        if let Some(n) = next {
            self.commit_cursor(&run, PAYOUTS_CURSOR, n).await?;
        }
        Ok(run.finish())
    }
}
