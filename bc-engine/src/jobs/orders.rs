//! The orders job (O1–O15, P1–P3): storefront orders → ledger documents, exactly once.

use std::collections::BTreeSet;

use bc_core::plan::{plan_client, plan_receipts, plan_sales_document, Lookups};
use bc_core::{
    Error, ErrorKind, ImportId, IssueCode, ItemKey, LedgerCapabilities, LedgerRef, MappingIssue,
    Order, OrderId, OrderQuery, Result, SalesDocument, Settings, StatusId,
};
use chrono::{DateTime, NaiveTime, Utc};
use futures::stream::{self, StreamExt};

use super::lookups::{maybe_written, placeholder_client};
use crate::engine::{payload_hash, Engine, Run, Side};
use crate::report::{Job, RunReport};
use crate::state::{
    CrossRef, Direction, EntityKind, ExceptionFilter, ExceptionReason, ExceptionStatus, Outcome,
    WriteKey, WriteState,
};

/// The cursor name of the orders job.
pub const ORDERS_CURSOR: &str = "orders";

/// The storefront statuses the orders job works with, resolved at start.
#[derive(Clone, Debug)]
pub(crate) struct OrderStatuses {
    pub(crate) importable: Vec<StatusId>,
    pub(crate) downloaded: StatusId,
    pub(crate) error: StatusId,
}

struct Ctx<'a> {
    settings: &'a Settings,
    statuses: OrderStatuses,
    caps: LedgerCapabilities,
}

/// What one chunk already looked up.
#[derive(Default)]
struct ChunkLookups {
    /// Item keys searched in the ledger and not found.
    missing_items: BTreeSet<ItemKey>,
}

/// What to do with a planned order.
enum Action {
    /// Never posted: post it.
    Post,
    /// Posted with this content already: only receipts and status remain.
    Posted(CrossRef),
    /// Posted, and the order changed (put back to "new", O14): update the same document.
    Update(CrossRef),
}

struct Prepared {
    order: Order,
    import_id: ImportId,
    doc: SalesDocument,
    hash: String,
    action: Action,
}

/// How one order ended, for the cursor.
struct Ended {
    modified_at: DateTime<Utc>,
    retry_later: bool,
}

fn err_reasons(e: &Error) -> Vec<ExceptionReason> {
    ExceptionReason::from_error(e)
}

impl Engine {
    /// Resolves the statuses of `orders.*` against the storefront; an unknown one is an
    /// error naming the key (checked at start, not at 3 a.m.).
    pub(crate) async fn order_statuses(
        &self,
        run: &Run,
        settings: &Settings,
    ) -> Result<OrderStatuses> {
        let all = self
            .retry(run, Side::Storefront, || self.storefront.statuses())
            .await?;
        settings.check_statuses(&all)?;
        let mut importable = Vec::new();
        for s in &settings.orders.new_order_status {
            importable.push(
                Settings::resolve_status("orders.new_order_status", s, &all)?
                    .id
                    .clone(),
            );
        }
        let downloaded = Settings::resolve_status(
            "orders.downloaded_status",
            &settings.orders.downloaded_status,
            &all,
        )?
        .id
        .clone();
        let error = Settings::resolve_status(
            "orders.import_error_status",
            &settings.orders.import_error_status,
            &all,
        )?
        .id
        .clone();
        Ok(OrderStatuses {
            importable,
            downloaded,
            error,
        })
    }

    /// Runs the orders job once: orders whose retry was asked for, then every order in an
    /// importable status modified since the cursor (less the overlap window).
    pub async fn sync_orders(&self) -> Result<RunReport> {
        let run = Run::new(Job::Orders);
        let settings = self.settings();
        let statuses = self.order_statuses(&run, &settings).await?;
        let ctx = Ctx {
            settings: &settings,
            statuses,
            caps: self.ledger.capabilities(),
        };

        let mut orders: Vec<Order> = Vec::new();
        let retry = self
            .state
            .exceptions(&ExceptionFilter {
                entity: Some(EntityKind::Order),
                status: Some(ExceptionStatus::Open),
                retry_requested: Some(true),
            })
            .await?;
        for r in retry {
            let id = OrderId::new(r.key.clone());
            match self
                .retry(&run, Side::Storefront, || self.storefront.order(&id))
                .await
            {
                Ok(o) => orders.push(o),
                Err(e) => {
                    self.fail(
                        &run,
                        EntityKind::Order,
                        &r.key,
                        Direction::ToLedger,
                        err_reasons(&e),
                    )
                    .await
                }
            }
        }

        let cursor: Option<DateTime<Utc>> = self
            .state
            .cursor(ORDERS_CURSOR)
            .await?
            .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
            .map(|c| c.with_timezone(&Utc));
        let overlap = chrono::Duration::from_std(settings.sync.overlap_window.0)
            .unwrap_or_else(|_| chrono::Duration::minutes(5));
        let modified_since = cursor.map(|c| c - overlap);
        let created_since = settings.sync.start_date.and_then(|d| {
            d.and_time(NaiveTime::MIN)
                .and_local_timezone(settings.sync.timezone)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        });
        let mut page_cursor = None;
        // The whole list first: changing statuses while paging would shift the pages.
        loop {
            let q = OrderQuery {
                statuses: ctx.statuses.importable.clone(),
                modified_since,
                created_since,
                cursor: page_cursor.clone(),
                limit: Some(self.options.page_size),
            };
            let page = self
                .retry(&run, Side::Storefront, || self.storefront.orders(&q))
                .await?;
            orders.extend(page.items);
            match page.next {
                Some(n) if Some(&n) != page_cursor.as_ref() => page_cursor = Some(n),
                _ => break,
            }
        }
        let mut seen_ids = BTreeSet::new();
        orders.retain(|o| seen_ids.insert(o.id.clone()));
        run.seen(orders.len());
        let max_modified = orders.iter().map(|o| o.modified_at).max();

        let chunk = ctx.caps.batch_size.max(1);
        let chunks: Vec<Vec<Order>> = orders.chunks(chunk).map(<[Order]>::to_vec).collect();
        let ended: Vec<Vec<Ended>> = stream::iter(chunks)
            .map(|c| self.import_chunk(&run, &ctx, c))
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;
        let retry_from = ended
            .iter()
            .flatten()
            .filter(|e| e.retry_later)
            .map(|e| e.modified_at)
            .min();
        let next = match (retry_from, max_modified) {
            (Some(r), _) => Some(cursor.map_or(r, |c| c.max(r).min(r))),
            (None, Some(m)) => Some(cursor.map_or(m, |c| c.max(m))),
            (None, None) => None,
        };
        if let Some(n) = next {
            self.state
                .set_cursor(ORDERS_CURSOR, &n.to_rfc3339())
                .await?;
        }
        Ok(run.finish())
    }

    /// Imports the orders of one chunk (at most one ledger batch): plan each, post those not
    /// posted in one batch call, then receipts and statuses.
    async fn import_chunk(&self, run: &Run, ctx: &Ctx<'_>, orders: Vec<Order>) -> Vec<Ended> {
        // One item search for the whole chunk instead of one per order.
        let mut chunk = ChunkLookups::default();
        let keys: BTreeSet<ItemKey> = orders
            .iter()
            .flat_map(|o| Self::item_keys(o, ctx.settings))
            .collect();
        if let Ok(found) = self.find_item_keys(run, keys.clone(), None).await {
            chunk.missing_items = keys
                .into_iter()
                .filter(|k| !found.contains_key(k))
                .collect();
        }
        let chunk = &chunk;
        let prepared =
            futures::future::join_all(orders.iter().map(|o| self.prepare(run, ctx, chunk, o)))
                .await;
        let mut ended = Vec::new();
        let mut to_post: Vec<Prepared> = Vec::new();
        let mut ready: Vec<(Prepared, LedgerRef, bool)> = Vec::new();
        for (order, p) in orders.iter().zip(prepared) {
            match p {
                Err((reasons, permanent)) => {
                    self.fail_order(run, ctx, order, reasons, permanent).await;
                    ended.push(Ended {
                        modified_at: order.modified_at,
                        retry_later: !permanent,
                    });
                }
                Ok(p) => match &p.action {
                    Action::Post => to_post.push(p),
                    Action::Posted(x) => {
                        let at = x.ledger.clone();
                        ready.push((p, at, false));
                    }
                    Action::Update(x) => {
                        let x = x.clone();
                        match self.update_document(run, &p, &x).await {
                            Ok(at) => ready.push((p, at, true)),
                            Err((reasons, permanent)) => {
                                self.fail_order(run, ctx, &p.order, reasons, permanent)
                                    .await;
                                ended.push(Ended {
                                    modified_at: p.order.modified_at,
                                    retry_later: !permanent,
                                });
                            }
                        }
                    }
                },
            }
        }
        let (posted, failed) = self.post_documents(run, to_post).await;
        for (p, reasons, permanent) in failed {
            self.fail_order(run, ctx, &p.order, reasons, permanent)
                .await;
            ended.push(Ended {
                modified_at: p.order.modified_at,
                retry_later: !permanent,
            });
        }
        ready.extend(posted.into_iter().map(|(p, at)| (p, at, false)));
        let finished = futures::future::join_all(
            ready
                .iter()
                .map(|(p, at, updated)| self.finish_order(run, ctx, p, at, *updated)),
        )
        .await;
        ended.extend(finished);
        ended
    }

    /// Finds the client and items, plans the document, and decides what to do. Nothing is
    /// created in the ledger unless the whole document can be planned.
    async fn prepare(
        &self,
        run: &Run,
        ctx: &Ctx<'_>,
        chunk: &ChunkLookups,
        order: &Order,
    ) -> std::result::Result<Prepared, (Vec<ExceptionReason>, bool)> {
        let settings = ctx.settings;
        let temp = |e: Error| {
            let permanent = !e.is_temporary();
            (err_reasons(&e), permanent)
        };
        let import_id = ImportId::new(settings.sync.import_source_code, order.id.clone())
            .map_err(|e| (err_reasons(&e), true))?;
        let cplan = plan_client(order, settings);
        let found = self.find_client(run, &cplan).await.map_err(temp)?;
        let mut items = self
            .find_items(run, order, settings, Some(&chunk.missing_items))
            .await
            .map_err(temp)?;
        // Dry plan: every reason that creating the client and items would not fix.
        let stand_in = placeholder_client(&cplan);
        let client = found.clone().unwrap_or(stand_in);
        let dry = plan_sales_document(
            order,
            settings,
            &Lookups {
                client: &client,
                items: &items,
                ledger: &ctx.caps,
            },
        );
        if let Err(issues) = &dry {
            let blocking: Vec<MappingIssue> = issues
                .iter()
                .filter(|i| {
                    !(settings.orders.create_missing_items && i.code == IssueCode::UnknownItem)
                })
                .cloned()
                .collect();
            if !blocking.is_empty() {
                return Err((ExceptionReason::from_issues(&blocking), true));
            }
        }
        let searched = found.is_none();
        let doc = match (dry, found) {
            (Ok(doc), Some(_)) => doc,
            _ => {
                let client = self
                    .find_or_create_client(run, order, settings, searched)
                    .await
                    .map_err(temp)?;
                if settings.orders.create_missing_items {
                    self.create_missing_items(run, order, settings, &mut items)
                        .await
                        .map_err(temp)?;
                }
                plan_sales_document(
                    order,
                    settings,
                    &Lookups {
                        client: &client,
                        items: &items,
                        ledger: &ctx.caps,
                    },
                )
                .map_err(|issues| (ExceptionReason::from_issues(&issues), true))?
            }
        };
        let mut doc = doc;
        self.apply_hook(order, &mut doc);
        let hash = payload_hash(&doc);
        let xref = self
            .state
            .xref(EntityKind::Order, order.id.as_str())
            .await
            .map_err(temp)?;
        let action = match xref {
            None => Action::Post,
            Some(x) if x.payload_hash == hash => Action::Posted(x),
            Some(x) => Action::Update(x),
        };
        Ok(Prepared {
            order: order.clone(),
            import_id,
            doc,
            hash,
            action,
        })
    }

    /// Records a posted (or adopted) document: journal done and cross-reference.
    async fn record_posted(
        &self,
        p: &Prepared,
        key: &WriteKey,
        at: &LedgerRef,
        revision: u32,
    ) -> Result<()> {
        self.state.journal_done(key, at, Utc::now()).await?;
        self.state
            .put_xref(&CrossRef {
                kind: EntityKind::Order,
                key: p.order.id.to_string(),
                ledger: at.clone(),
                payload_hash: p.hash.clone(),
                revision,
                updated_at: Utc::now(),
            })
            .await
    }

    /// Posts new documents exactly once: intent, search first when an earlier attempt's
    /// outcome is unknown, one batch call, then done; unknown outcomes are searched and
    /// adopted or posted again.
    #[allow(clippy::type_complexity)]
    async fn post_documents(
        &self,
        run: &Run,
        preps: Vec<Prepared>,
    ) -> (
        Vec<(Prepared, LedgerRef)>,
        Vec<(Prepared, Vec<ExceptionReason>, bool)>,
    ) {
        let mut posted = Vec::new();
        let mut failed = Vec::new();
        let mut fresh = Vec::new();
        let mut search = Vec::new();
        for p in preps {
            let key = WriteKey::new(EntityKind::Order, "post", p.import_id.to_string(), 0);
            match self.state.journal_intent(&key, &p.hash, Utc::now()).await {
                Err(e) => failed.push((p, err_reasons(&e), false)),
                Ok(None) => fresh.push((p, key)),
                Ok(Some(prev)) => match prev.state {
                    WriteState::Done { at } => match self.record_posted(&p, &key, &at, 0).await {
                        Ok(()) => {
                            run.adopted();
                            posted.push((p, at));
                        }
                        Err(e) => failed.push((p, err_reasons(&e), false)),
                    },
                    WriteState::Intent => search.push((p, key)),
                    WriteState::Failed { .. } => fresh.push((p, key)),
                },
            }
        }
        // Earlier attempts of unknown outcome: search by import id first.
        if !search.is_empty() {
            let ids: Vec<ImportId> = search.iter().map(|(p, _)| p.import_id.clone()).collect();
            run.count(Side::Ledger);
            let found = self.ledger.find_documents(&ids).await;
            let mut found = found.into_iter();
            for (p, key) in search {
                match found.next() {
                    Some(Ok(Some(doc))) => match self.record_posted(&p, &key, &doc.at, 0).await {
                        Ok(()) => {
                            run.adopted();
                            self.log(
                                Job::Orders,
                                EntityKind::Order,
                                p.order.id.as_str(),
                                Direction::ToLedger,
                                Outcome::Adopted,
                                format!(
                                    "found {} by import id {} after an unknown outcome",
                                    doc.at, p.import_id
                                ),
                            )
                            .await;
                            posted.push((p, doc.at));
                        }
                        Err(e) => failed.push((p, err_reasons(&e), false)),
                    },
                    Some(Ok(None)) => fresh.push((p, key)),
                    Some(Err(e)) => failed.push((
                        p,
                        err_reasons(&e).into_iter().map(mark_temporary).collect(),
                        false,
                    )),
                    None => failed.push((
                        p,
                        vec![ExceptionReason::Error {
                            kind: "protocol".into(),
                            temporary: true,
                            message: "the ledger answered fewer searches than asked".into(),
                        }],
                        false,
                    )),
                }
            }
        }
        if fresh.is_empty() {
            return (posted, failed);
        }
        let docs: Vec<SalesDocument> = fresh.iter().map(|(p, _)| p.doc.clone()).collect();
        run.count(Side::Ledger);
        let results = self.ledger.post_sales_documents(&docs).await;
        let mut results = results.into_iter();
        let mut recover = Vec::new();
        for (p, key) in fresh {
            match results.next() {
                Some(Ok(at)) => match self.record_posted(&p, &key, &at, 0).await {
                    Ok(()) => posted.push((p, at)),
                    Err(e) => failed.push((p, err_reasons(&e), false)),
                },
                Some(Err(e)) if !maybe_written(&e) => {
                    let _ = self
                        .state
                        .journal_failed(&key, &e.to_string(), Utc::now())
                        .await;
                    failed.push((p, err_reasons(&e), !e.is_temporary()));
                }
                Some(Err(e)) => recover.push((p, key, e)),
                None => recover.push((
                    p,
                    key,
                    Error::new(
                        ErrorKind::OutcomeUnknown,
                        "the ledger answered fewer posts than asked",
                    ),
                )),
            }
        }
        let recovered =
            futures::future::join_all(recover.into_iter().map(|(p, key, e)| async move {
                let r = self.recover_post(run, &p, &key, e).await;
                (p, r)
            }))
            .await;
        for (p, r) in recovered {
            match r {
                Ok(at) => posted.push((p, at)),
                Err((reasons, permanent)) => failed.push((p, reasons, permanent)),
            }
        }
        (posted, failed)
    }

    /// After a post failed in a way that may hide a write: search, adopt or post again.
    async fn recover_post(
        &self,
        run: &Run,
        p: &Prepared,
        key: &WriteKey,
        mut last: Error,
    ) -> std::result::Result<LedgerRef, (Vec<ExceptionReason>, bool)> {
        let attempts = self.options.attempts.max(1);
        for attempt in 0..attempts {
            self.backoff(attempt, &last).await;
            let found = self
                .retry(run, Side::Ledger, || {
                    self.ledger.find_document(&p.import_id)
                })
                .await;
            match found {
                Ok(Some(doc)) => {
                    self.record_posted(p, key, &doc.at, 0)
                        .await
                        .map_err(|e| (err_reasons(&e), false))?;
                    run.adopted();
                    self.log(
                        Job::Orders,
                        EntityKind::Order,
                        p.order.id.as_str(),
                        Direction::ToLedger,
                        Outcome::Adopted,
                        format!(
                            "found {} by import id {} after: {last}",
                            doc.at, p.import_id
                        ),
                    )
                    .await;
                    return Ok(doc.at);
                }
                Ok(None) => {}
                Err(e) => {
                    last = e;
                    continue;
                }
            }
            if last.kind() == ErrorKind::Conflict {
                // Not a lost write of ours: a real conflict (a number already used).
                let _ = self
                    .state
                    .journal_failed(key, &last.to_string(), Utc::now())
                    .await;
                return Err((err_reasons(&last), true));
            }
            run.count(Side::Ledger);
            match self.ledger.post_sales_document(&p.doc).await {
                Ok(at) => {
                    self.record_posted(p, key, &at, 0)
                        .await
                        .map_err(|e| (err_reasons(&e), false))?;
                    return Ok(at);
                }
                Err(e) if maybe_written(&e) => last = e,
                Err(e) => {
                    let _ = self
                        .state
                        .journal_failed(key, &e.to_string(), Utc::now())
                        .await;
                    return Err((err_reasons(&e), !e.is_temporary()));
                }
            }
        }
        // Still unknown: the intent stays, and the next run searches before writing.
        Err((
            err_reasons(&last).into_iter().map(mark_temporary).collect(),
            false,
        ))
    }

    /// O14: the order came back to an importable status with other content; update the same
    /// ledger document while it is editable, else an exception.
    async fn update_document(
        &self,
        run: &Run,
        p: &Prepared,
        x: &CrossRef,
    ) -> std::result::Result<LedgerRef, (Vec<ExceptionReason>, bool)> {
        let temp = |e: Error| {
            let permanent = !e.is_temporary();
            (err_reasons(&e), permanent)
        };
        let revision = x.revision.saturating_add(1);
        let key = WriteKey::new(
            EntityKind::Order,
            "update",
            p.import_id.to_string(),
            revision,
        );
        let prev = self
            .state
            .journal_intent(&key, &p.hash, Utc::now())
            .await
            .map_err(temp)?;
        if let Some(WriteState::Done { at }) = prev.map(|r| r.state) {
            self.record_posted(p, &key, &at, revision)
                .await
                .map_err(temp)?;
            return Ok(at);
        }
        let mut attempt = 0;
        loop {
            let doc = self
                .retry(run, Side::Ledger, || {
                    self.ledger.find_document(&p.import_id)
                })
                .await
                .map_err(temp)?;
            let Some(doc) = doc else {
                return Err((
                    vec![ExceptionReason::Error {
                        kind: "not_found".into(),
                        temporary: false,
                        message: format!(
                            "order {} was posted as {} but the ledger no longer has a document with import id {}",
                            p.order.id, x.ledger, p.import_id
                        ),
                    }],
                    true,
                ));
            };
            if !doc.editable {
                let _ = self
                    .state
                    .journal_failed(&key, "document not editable", Utc::now())
                    .await;
                return Err((
                    vec![ExceptionReason::Error {
                        kind: "conflict".into(),
                        temporary: false,
                        message: format!(
                            "order {} changed after import, but ledger document {} can no longer be changed{}: change it in the ledger, then resolve this exception",
                            p.order.id,
                            doc.at,
                            doc.status.as_deref().map(|s| format!(" (status {s})")).unwrap_or_default()
                        ),
                    }],
                    true,
                ));
            }
            run.count(Side::Ledger);
            match self.ledger.update_sales_document(&doc.at, &p.doc).await {
                Ok(at) => {
                    self.record_posted(p, &key, &at, revision)
                        .await
                        .map_err(temp)?;
                    return Ok(at);
                }
                Err(e) if maybe_written(&e) && attempt + 1 < self.options.attempts.max(1) => {
                    // An update carries the whole content: repeating it is harmless.
                    self.backoff(attempt, &e).await;
                    attempt += 1;
                }
                Err(e) => return Err(temp(e)),
            }
        }
    }

    /// After the document: receipts (P1–P3), then `downloaded_status` (O2), then the
    /// exception (if any) is resolved.
    async fn finish_order(
        &self,
        run: &Run,
        ctx: &Ctx<'_>,
        p: &Prepared,
        at: &LedgerRef,
        updated: bool,
    ) -> Ended {
        let order = &p.order;
        let result: std::result::Result<(), (Vec<ExceptionReason>, bool)> = async {
            if !updated {
                self.post_receipts(run, ctx, p, at).await?;
            }
            self.retry(run, Side::Storefront, || {
                self.storefront
                    .set_order_status(&order.id, &ctx.statuses.downloaded)
            })
            .await
            .map_err(|e| (err_reasons(&e), !e.is_temporary()))?;
            Ok(())
        }
        .await;
        match result {
            Ok(()) => {
                self.resolved(EntityKind::Order, order.id.as_str()).await;
                let what = match (&p.action, updated) {
                    (_, true) => format!("updated {at} (import id {})", p.import_id),
                    (Action::Posted(_), _) => {
                        run.skipped();
                        format!("already posted as {at}; status set")
                    }
                    _ => format!("posted {at} (import id {})", p.import_id),
                };
                if !matches!(p.action, Action::Posted(_)) || updated {
                    run.done();
                }
                self.log(
                    Job::Orders,
                    EntityKind::Order,
                    order.id.as_str(),
                    Direction::ToLedger,
                    Outcome::Done,
                    what,
                )
                .await;
                Ended {
                    modified_at: order.modified_at,
                    retry_later: false,
                }
            }
            Err((mut reasons, permanent)) => {
                reasons.insert(
                    0,
                    ExceptionReason::Error {
                        kind: "partial".into(),
                        temporary: !permanent,
                        message: format!(
                            "the document is posted as {at}; what follows is not done"
                        ),
                    },
                );
                self.fail_order(run, ctx, order, reasons, permanent).await;
                Ended {
                    modified_at: order.modified_at,
                    retry_later: !permanent,
                }
            }
        }
    }

    /// Receipts of a posted order, each journalled (a receipt already done is not repeated).
    async fn post_receipts(
        &self,
        run: &Run,
        ctx: &Ctx<'_>,
        p: &Prepared,
        at: &LedgerRef,
    ) -> std::result::Result<(), (Vec<ExceptionReason>, bool)> {
        let receipts = plan_receipts(&p.order, ctx.settings, &ctx.caps, at, &p.doc.client)
            .map_err(|issues| (ExceptionReason::from_issues(&issues), true))?;
        for r in receipts {
            let key = WriteKey::new(
                EntityKind::Receipt,
                "post",
                format!("{}-{}", p.import_id, r.sequence),
                0,
            );
            let prev = self
                .state
                .journal_intent(&key, &payload_hash(&r), Utc::now())
                .await
                .map_err(|e| (err_reasons(&e), false))?;
            match prev.map(|x| x.state) {
                Some(WriteState::Done { .. }) => continue,
                Some(WriteState::Intent) if !ctx.caps.idempotency_keys => {
                    return Err((
                        vec![ExceptionReason::Error {
                            kind: "outcome_unknown".into(),
                            temporary: false,
                            message: format!(
                                "receipt {} of order {} may or may not have been recorded and {} cannot be searched for receipts: check the ledger, then resolve",
                                r.sequence, p.order.id, ctx.caps.platform
                            ),
                        }],
                        true,
                    ));
                }
                _ => {}
            }
            // With idempotency keys the platform de-duplicates a repeated receipt; without,
            // only one attempt is made (an unknown outcome goes to a person).
            let result = if ctx.caps.idempotency_keys {
                self.retry(run, Side::Ledger, || self.ledger.post_receipt(&r))
                    .await
            } else {
                run.count(Side::Ledger);
                self.ledger.post_receipt(&r).await
            };
            match result {
                Ok(rat) => {
                    self.state
                        .journal_done(&key, &rat, Utc::now())
                        .await
                        .map_err(|e| (err_reasons(&e), false))?;
                }
                Err(e) => {
                    if !maybe_written(&e) {
                        let _ = self
                            .state
                            .journal_failed(&key, &e.to_string(), Utc::now())
                            .await;
                    }
                    let permanent = !e.is_temporary() || !ctx.caps.idempotency_keys;
                    return Err((err_reasons(&e), permanent));
                }
            }
        }
        Ok(())
    }

    /// A failed order: exception queue (with every reason), connector log, and — when the
    /// failure needs a person — `import_error_status` (O2).
    async fn fail_order(
        &self,
        run: &Run,
        ctx: &Ctx<'_>,
        order: &Order,
        reasons: Vec<ExceptionReason>,
        permanent: bool,
    ) {
        let reasons = if permanent {
            reasons
        } else {
            reasons.into_iter().map(mark_temporary).collect()
        };
        self.fail(
            run,
            EntityKind::Order,
            order.id.as_str(),
            Direction::ToLedger,
            reasons,
        )
        .await;
        if permanent && order.status != ctx.statuses.error {
            if let Err(e) = self
                .retry(run, Side::Storefront, || {
                    self.storefront
                        .set_order_status(&order.id, &ctx.statuses.error)
                })
                .await
            {
                tracing::warn!(order = %order.id, error = %e, "cannot set import_error_status");
            }
        }
    }
}

fn mark_temporary(r: ExceptionReason) -> ExceptionReason {
    match r {
        ExceptionReason::Error { kind, message, .. } => ExceptionReason::Error {
            kind,
            temporary: true,
            message,
        },
        other => other,
    }
}
