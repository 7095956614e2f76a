//! The orders job (O1–O15, P1–P3): storefront orders → ledger documents, exactly once.
//!
//! The way of an order, in the order of this file: the listing is read page by page (keyset
//! pagination in the connector, so an order that changes status while the list is read
//! shifts nothing); each page is imported in chunks of the ledger's batch size while the next
//! page waits — memory stays flat however long the backlog — and its progress is committed
//! per chunk. For each order: **prepare** (find the client and items, plan the document and
//! its receipts: every mapping is checked before anything is written), **post** the
//! documents of the chunk through the write journal, then **finish** each order (receipts,
//! then the storefront's `downloaded_status`, then its exception is resolved).
//!
//! An order whose every blocking problem is a setting — an unmapped tax zone or payment
//! method, a posting account not set, a currency the ledger does not accept, or a value the
//! settings map to that the ledger's catalog ([`bc_core::Ledger::catalog`], read once per run
//! that prepares orders) lacks (a `tax_map` tax code, a `payment_map` receipt type or deposit
//! account) — is **held**: nothing is written for it, it gets no exception and no
//! `import_error_status`, the cursor does not pass it, and the run reports each cause once
//! ([`crate::RunReport::config_causes`]) and says it stopped for configuration. The next run
//! after the fix posts it. An order with a problem of its own (an unknown SKU, an amount that
//! makes no sense, a document number too long), alone or with configuration causes, keeps the
//! exception queue and `import_error_status`. Ship vias are checked by the preflight only
//! (ledgers differ in whether an unknown one is refused). The cause is not filed in the
//! exception queue: its entries are per entity (the orders job fetches an `order` key from the
//! storefront on retry), and the cause disappears by itself once the setting is fixed.

use std::collections::{BTreeSet, HashMap, HashSet};

use bc_core::plan::{plan_client, plan_receipts, plan_sales_document, ClientPlan, Lookups};
use bc_core::{
    Error, ImportId, IssueCode, ItemKey, LedgerCapabilities, LedgerCatalog, LedgerRef,
    MappingIssue, NewItem, Order, OrderId, OrderQuery, Receipt, Result, SalesDocument, Settings,
    StatusId,
};
use chrono::{DateTime, NaiveTime, Utc};
use futures::stream::{self, StreamExt};

use super::config::{self, Cause};
use super::lookups::{placeholder_client, ItemFailures};
use crate::breaker::is_account_level;
use crate::engine::{payload_hash, Engine, Run, Side};
use crate::journal::{intents_of, Write, Written};
use crate::report::{Job, RunReport};
use crate::state::{
    is_lease_lost, CrossRef, Direction, EntityKind, ExceptionFilter, ExceptionReason,
    ExceptionStatus, Intent, LogEntry, Outcome, StateOp, WriteKey,
};

/// The cursor name of the orders job.
pub const ORDERS_CURSOR: &str = "orders";

/// The journal operation of an order's "finish" marker: an intent from the moment its
/// document may be posted until its receipts and storefront status are done.
pub const FINISH: &str = "finish";

/// The journal key of an order's "finish" marker.
fn finish_key(order: &OrderId) -> WriteKey {
    WriteKey::new(EntityKind::Order, FINISH, order.to_string(), 0)
}

/// The storefront statuses the orders job works with, resolved at start.
#[derive(Clone, Debug)]
pub(crate) struct OrderStatuses {
    pub(crate) importable: Vec<StatusId>,
    pub(crate) downloaded: StatusId,
    pub(crate) error: StatusId,
}

pub(crate) struct Ctx<'a> {
    pub(crate) settings: &'a Settings,
    pub(crate) statuses: OrderStatuses,
    pub(crate) caps: LedgerCapabilities,
    /// The ledger's catalog, read once per run when the first order is prepared (`None`: the
    /// ledger cannot list it, or reading it failed).
    catalog: tokio::sync::OnceCell<Option<LedgerCatalog>>,
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

/// What a chunk looked up once for all its orders.
struct Known {
    /// Item keys the chunk's search did not find (not searched again per order).
    missing_items: BTreeSet<ItemKey>,
    /// The orders' cross-references by order id (`None` inside: never posted); `None` when
    /// the read failed (each order reads its own).
    xrefs: Option<HashMap<String, Option<CrossRef>>>,
}

/// How one order ended.
enum Ended {
    /// Posted (or already posted), or permanently in the exception queue.
    Settled,
    /// Failed for a reason that may pass (an outage, a rate limit, an unknown outcome): no
    /// exception, no status change; the cursor must not pass it.
    Deferred(DateTime<Utc>),
}

/// Why an order could not be imported.
struct Failed {
    error: Option<Error>,
    reasons: Vec<ExceptionReason>,
    /// Not a failure: the order can be planned and its client must be created first (the
    /// chunk creates its new clients in one batch, then plans these orders again).
    needs_client: Option<ClientPlan>,
    /// Not a failure: the order can be planned and these items must be created first (the
    /// chunk creates its new items in one batch, then plans these orders again).
    needs_items: Vec<(ItemKey, NewItem)>,
    /// Not the order's fault: every blocking issue is a setting missing for every order that
    /// has it. The order is held (no exception, no error status) and the run reports each
    /// cause once.
    held: Vec<Cause>,
}

impl Failed {
    fn of(e: Error) -> Self {
        Failed {
            reasons: ExceptionReason::from_error(&e),
            error: Some(e),
            needs_client: None,
            needs_items: Vec::new(),
            held: Vec::new(),
        }
    }

    fn issues(issues: &[MappingIssue]) -> Self {
        Failed {
            error: None,
            reasons: ExceptionReason::from_issues(issues),
            needs_client: None,
            needs_items: Vec::new(),
            held: Vec::new(),
        }
    }

    /// The plan's blocking issues of `order`: held when every one is configuration-class,
    /// else a failure of the order with every reason.
    fn planned(order: &Order, settings: &Settings, issues: &[MappingIssue]) -> Self {
        let mut f = Failed::issues(issues);
        let (causes, all_config) = config::causes(order, settings, issues);
        if all_config && !causes.is_empty() {
            f.held = causes;
        }
        f
    }

    /// A document the ledger refused with `e`: held when its mapping issues are all
    /// configuration-class causes of this order, else a failure.
    fn refused(order: &Order, settings: &Settings, e: Error) -> Self {
        let (causes, all_config) = config::causes(order, settings, e.issues());
        let mut f = Failed::of(e);
        if all_config && !causes.is_empty() {
            f.held = causes;
        }
        f
    }

    /// The order waits for its client (when `client` is set) and items to be created.
    fn needs(client: Option<ClientPlan>, items: Vec<(ItemKey, NewItem)>) -> Self {
        Failed {
            error: None,
            reasons: Vec::new(),
            needs_client: client,
            needs_items: items,
            held: Vec::new(),
        }
    }

    /// Whether this is not a failure but an order waiting for its client or items.
    fn needs_creation(&self) -> bool {
        self.needs_client.is_some() || !self.needs_items.is_empty()
    }
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
            .call(run, Side::Storefront, || self.storefront.statuses())
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

    /// What a run of the orders job plans with: the statuses the settings name, resolved
    /// against the storefront, and the ledger's capabilities. `None`: the run is halted (the
    /// storefront or the account is unavailable) and ends without an error.
    async fn orders_ctx<'a>(&self, run: &Run, settings: &'a Settings) -> Result<Option<Ctx<'a>>> {
        let statuses = match self.order_statuses(run, settings).await {
            Ok(s) => s,
            Err(e) if is_account_level(&e) => {
                run.halt(e);
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        Ok(Some(Ctx {
            settings,
            statuses,
            caps: self.ledger.capabilities(),
            catalog: tokio::sync::OnceCell::new(),
        }))
    }

    /// Runs the orders job once: orders whose retry was asked for, then every order in an
    /// importable status modified since the cursor (less the overlap window), page by page.
    pub async fn sync_orders(&self) -> Result<RunReport> {
        let run = self.start(Job::Orders);
        let settings = self.settings();
        let Some(ctx) = self.orders_ctx(&run, &settings).await? else {
            return Ok(run.finish());
        };
        // Orders retried on request are imported first and skipped by the listing. The listing
        // itself is keyset-paged (ids only grow), so it never repeats an order: nothing else
        // needs remembering, and memory stays flat however long the backlog.
        let mut retried_ids: HashSet<OrderId> = HashSet::new();
        let mut oldest_deferred: Option<DateTime<Utc>> = None;

        // Retries a person asked for, first.
        let retry = self
            .state
            .exceptions(&ExceptionFilter {
                entity: Some(EntityKind::Order),
                status: Some(ExceptionStatus::Open),
                retry_requested: Some(true),
            })
            .await?;
        // Then orders whose document may be posted but whose receipts and status may not be
        // done (a crash, a deferral): their "finish" marker is still an intent. They are
        // fetched by id, whatever their storefront status is now (another job may have moved
        // them on: a shipment, a completion), so their receipts are never forgotten.
        let mut first: Vec<String> = retry.into_iter().map(|r| r.key).collect();
        let unfinished = self.state.journal_pending().await?;
        for r in unfinished {
            if r.key.entity == EntityKind::Order
                && r.key.operation == FINISH
                && !first.contains(&r.key.key)
            {
                first.push(r.key.key);
            }
        }
        let mut retried = Vec::new();
        for key in first {
            if run.stopped().is_some() {
                break;
            }
            let id = OrderId::new(key.clone());
            // Seen, whether or not it can be fetched (a failed fetch is counted deferred or
            // failed, with its log line).
            run.seen(1);
            match self
                .call(&run, Side::Storefront, || self.storefront.order(&id))
                .await
            {
                Ok(o) => retried.push(o),
                Err(e) => {
                    self.item_failed(&run, EntityKind::Order, &key, Direction::ToLedger, &e)
                        .await
                }
            }
        }
        retried_ids.extend(retried.iter().map(|o| o.id.clone()));
        self.import_orders(&run, &ctx, retried, &mut oldest_deferred)
            .await;

        let cursor: Option<DateTime<Utc>> = self
            .state
            .cursor(ORDERS_CURSOR)
            .await?
            .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
            .map(|c| c.with_timezone(&Utc));
        let overlap = chrono::Duration::from_std(settings.sync.overlap_window.0)
            .unwrap_or_else(|_| chrono::Duration::minutes(5));
        let created_since = settings.sync.start_date.and_then(|d| {
            d.and_time(NaiveTime::MIN)
                .and_local_timezone(settings.sync.timezone)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        });
        let listing_started = Utc::now();
        let mut q = OrderQuery {
            statuses: ctx.statuses.importable.clone(),
            modified_since: cursor.map(|c| c - overlap),
            created_since,
            cursor: None,
            // At least one chunk per page, so that chunks are full.
            limit: Some(
                self.options
                    .page_size
                    .max(u32::try_from(ctx.caps.orders_per_chunk()).unwrap_or(u32::MAX)),
            ),
        };
        let mut listed_all = false;
        while run.stopped().is_none() {
            let page = match self
                .call(&run, Side::Storefront, || self.storefront.orders(&q))
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
                self.unreadable(&run, EntityKind::Order, f).await;
            }
            let (portal, orders): (Vec<Order>, Vec<Order>) = page
                .items
                .into_iter()
                .filter(|o| !retried_ids.contains(&o.id))
                .partition(Order::is_portal_payment);
            run.seen(orders.len() + portal.len());
            for o in &portal {
                // B6: the portal took this card payment for ledger invoices and records it as
                // their receipts; importing it would invoice the same sale twice.
                run.skipped();
                self.log(
                    Job::Orders,
                    EntityKind::Order,
                    o.id.as_str(),
                    Direction::ToLedger,
                    Outcome::Skipped,
                    "a B2B portal invoice payment: the portal posts its receipts against the invoices"
                        .to_string(),
                )
                .await;
            }
            self.import_orders(&run, &ctx, orders, &mut oldest_deferred)
                .await;
            match page.next {
                Some(n) if Some(&n) != q.cursor.as_ref() => q.cursor = Some(n),
                _ => {
                    listed_all = true;
                    break;
                }
            }
        }
        // The cursor passes only what is settled: the start of this listing when it read
        // everything, never past an order deferred to the next run.
        let reached = if listed_all {
            Some(listing_started)
        } else {
            cursor
        };
        // A first listing that did not finish settles nothing: the orders it never reached
        // can be older than any it deferred (listings page by id, the cursor is a time).
        let next = match (reached, oldest_deferred) {
            (Some(r), Some(d)) => Some(r.min(d)),
            (Some(r), None) => Some(r),
            (None, _) => None,
        };
        if let Some(n) = next {
            let op = StateOp::SetCursor {
                job: ORDERS_CURSOR.into(),
                value: n.to_rfc3339(),
            };
            if let Err(e) = self.state.commit(run.fence(), &[op], Utc::now()).await {
                run.defer_if_lease_lost(&e);
                if run.stopped().is_none() {
                    return Err(e);
                }
            }
        }
        Ok(run.finish())
    }

    /// Imports one order on purpose (`bcsync sync orders --order ID`): fetches it by id and
    /// imports it through the same exactly-once path as the orders job (journal, search after
    /// an unknown outcome, receipts, `downloaded_status`), whatever its storefront status and
    /// even when it was placed before `sync.start_date` (e.g. the original of a refund). It
    /// runs under the orders job's lease, like [`Engine::run`]`(Job::Orders)`: when another
    /// worker holds it, the report says so and nothing is done. The job's cursor is not
    /// moved. An order posted already is not posted again (its receipts and status are
    /// finished if they were not); a configuration cause holds it as in a run
    /// ([`RunReport::config_causes`]); a per-order problem files it in the exception queue.
    /// A B2B portal invoice payment is not imported (the portal records it as receipts).
    pub async fn import_order(&self, id: &OrderId) -> Result<RunReport> {
        self.leased(Job::Orders, || self.import_order_unleased(id))
            .await
    }

    async fn import_order_unleased(&self, id: &OrderId) -> Result<RunReport> {
        let mut run = self.start(Job::Orders);
        run.total = Some(1);
        let mut settings = (*self.settings()).clone();
        // On purpose: the start date does not apply to this order.
        settings.sync.start_date = None;
        let Some(ctx) = self.orders_ctx(&run, &settings).await? else {
            return Ok(run.finish());
        };
        let order = match self
            .call(&run, Side::Storefront, || self.storefront.order(id))
            .await
        {
            Ok(o) => o,
            Err(e) if is_account_level(&e) => {
                run.halt(e);
                return Ok(run.finish());
            }
            Err(e) => return Err(e),
        };
        run.seen(1);
        if order.is_portal_payment() {
            run.skipped();
            self.log(
                Job::Orders,
                EntityKind::Order,
                order.id.as_str(),
                Direction::ToLedger,
                Outcome::Skipped,
                "a B2B portal invoice payment: the portal posts its receipts against the invoices"
                    .to_string(),
            )
            .await;
            return Ok(run.finish());
        }
        let mut oldest_deferred = None;
        self.import_orders(&run, &ctx, vec![order], &mut oldest_deferred)
            .await;
        Ok(run.finish())
    }

    /// Imports `orders` in chunks of the ledger's [`bc_core::LedgerCapabilities::orders_per_chunk`],
    /// several chunks at once.
    async fn import_orders(
        &self,
        run: &Run,
        ctx: &Ctx<'_>,
        orders: Vec<Order>,
        oldest_deferred: &mut Option<DateTime<Utc>>,
    ) {
        if orders.is_empty() {
            return;
        }
        let chunk = ctx.caps.orders_per_chunk();
        let mut chunks: Vec<Vec<Order>> = Vec::new();
        let mut orders = orders.into_iter().peekable();
        while orders.peek().is_some() {
            chunks.push(orders.by_ref().take(chunk).collect());
        }
        let ended: Vec<Vec<Ended>> = stream::iter(chunks)
            .map(|c| self.import_chunk(run, ctx, c))
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;
        for e in ended.into_iter().flatten() {
            if let Ended::Deferred(at) = e {
                *oldest_deferred = Some(oldest_deferred.map_or(at, |o| o.min(at)));
            }
        }
    }

    /// Imports the orders of one chunk (at most one ledger batch): plan each, post those not
    /// posted in one journalled batch, then receipts and statuses.
    async fn import_chunk(&self, run: &Run, ctx: &Ctx<'_>, orders: Vec<Order>) -> Vec<Ended> {
        if run.stopped().is_some() {
            // Not tried: no exception, no status; the next run takes them.
            return orders
                .iter()
                .map(|o| Ended::Deferred(o.modified_at))
                .collect();
        }
        // One item search for the whole chunk instead of one per order.
        let keys: BTreeSet<ItemKey> = orders
            .iter()
            .flat_map(|o| Self::item_keys(o, ctx.settings))
            .collect();
        let missing_items: BTreeSet<ItemKey> =
            match self.find_item_keys(run, keys.clone(), None).await {
                Ok(found) => keys
                    .into_iter()
                    .filter(|k| !found.contains_key(k))
                    .collect(),
                Err(_) => BTreeSet::new(),
            };
        // One read of the chunk's cross-references (posted already, or changed since) instead
        // of one per order; when it fails, each order reads its own.
        let ids: Vec<String> = orders.iter().map(|o| o.id.to_string()).collect();
        let xrefs = match self.state.xrefs_of(EntityKind::Order, &ids).await {
            Ok(found) => Some(ids.into_iter().zip(found).collect()),
            Err(e) => {
                tracing::debug!(error = %e, "cannot read a chunk's cross-references at once");
                None
            }
        };
        let known = Known {
            missing_items,
            xrefs,
        };
        // One client search for the whole chunk, then its new clients and its new items in
        // one batch each: the orders are planned without creating anything, the clients and
        // items of those that can be posted are created together (the same item key is one
        // item), and those orders are planned again. An item whose creation failed fails
        // only the orders that need it.
        let plans: Vec<ClientPlan> = orders
            .iter()
            .map(|o| plan_client(o, ctx.settings))
            .collect();
        let new_client = self.prefetch_clients(run, &plans).await;
        let mut prepared = futures::future::join_all(
            orders
                .iter()
                .zip(&new_client)
                .map(|(o, new)| self.prepare(run, ctx, &known, o, *new, None)),
        )
        .await;
        let again: Vec<usize> = prepared
            .iter()
            .enumerate()
            .filter(|(_, p)| p.as_ref().is_err_and(Failed::needs_creation))
            .map(|(i, _)| i)
            .collect();
        if !again.is_empty() {
            let mut new_clients: Vec<ClientPlan> = Vec::new();
            let mut new_items: Vec<(ItemKey, NewItem)> = Vec::new();
            for i in &again {
                if let Err(f) = &mut prepared[*i] {
                    new_clients.extend(f.needs_client.take());
                    new_items.append(&mut f.needs_items);
                }
            }
            if !new_clients.is_empty() {
                self.create_clients(run, new_clients).await;
            }
            let item_failures = self.create_items(run, new_items).await;
            let redone =
                futures::future::join_all(again.iter().map(|i| {
                    self.prepare(run, ctx, &known, &orders[*i], false, Some(&item_failures))
                }))
                .await;
            for (i, p) in again.into_iter().zip(redone) {
                prepared[i] = p;
            }
        }
        let mut ended = Vec::new();
        let mut to_post: Vec<Prepared> = Vec::new();
        let mut ready: Vec<(Prepared, Written, bool)> = Vec::new();
        for (order, p) in orders.iter().zip(prepared) {
            match p {
                Err(f) => ended.push(self.fail_order(run, ctx, order, f).await),
                Ok(p) => match &p.action {
                    Action::Post => to_post.push(p),
                    Action::Posted(x) => {
                        let at = Written::AlreadyDone(x.ledger.clone());
                        ready.push((p, at, false));
                    }
                    Action::Update(x) => {
                        let x = x.clone();
                        match self.update_document(run, &p, &x).await {
                            Ok(w) => ready.push((p, w, true)),
                            Err(f) => ended.push(self.fail_order(run, ctx, &p.order, f).await),
                        }
                    }
                },
            }
        }
        let (posted, pending) = self.post_documents(run, to_post).await;
        for (p, r) in posted {
            match r {
                Ok(w) => ready.push((p, w, false)),
                Err(e) => {
                    // The ledger refused the document for a configuration cause (its own
                    // mapping, e.g. a VAT zone): held like a planning cause — nothing was
                    // written for it.
                    let f = Failed::refused(&p.order, ctx.settings, e);
                    ended.push(self.fail_order(run, ctx, &p.order, f).await)
                }
            }
        }
        ended.extend(self.finish_chunk(run, ctx, ready, pending).await);
        ended
    }

    /// Finds the client and items, plans the document and its receipts, and decides what to
    /// do. Nothing is created in the ledger unless the whole document and every receipt can
    /// be planned. `created`: `None` on the first pass, which creates nothing and answers
    /// [`Failed::needs`] for an order whose client or items are missing; `Some` once the
    /// chunk has created them, with the items whose creation failed (the order fails,
    /// naming the SKU).
    async fn prepare(
        &self,
        run: &Run,
        ctx: &Ctx<'_>,
        known: &Known,
        order: &Order,
        known_new: bool,
        created: Option<&ItemFailures>,
    ) -> std::result::Result<Prepared, Failed> {
        let settings = ctx.settings;
        let import_id = ImportId::new(settings.sync.import_source_code, order.id.clone())
            .map_err(Failed::of)?;
        let cplan = plan_client(order, settings);
        // `known_new`: the chunk's search found none of its keys (nothing to search again).
        let found = if known_new {
            None
        } else {
            self.find_client(run, &cplan).await.map_err(Failed::of)?
        };
        let mut items = self
            .find_items(run, order, settings, Some(&known.missing_items))
            .await
            .map_err(Failed::of)?;
        // Dry plan: every reason that creating the client and items would not fix, and the
        // receipts' mappings (P1–P3), before anything is written.
        let stand_in = placeholder_client(&cplan);
        let client = found.clone().unwrap_or(stand_in);
        let lookups = Lookups {
            client: &client,
            items: &items,
            ledger: &ctx.caps,
        };
        let dry = plan_sales_document(order, settings, &lookups);
        let mut blocking: Vec<MappingIssue> = match &dry {
            Err(issues) => issues
                .iter()
                .filter(|i| {
                    !(settings.orders.create_missing_items && i.code == IssueCode::UnknownItem)
                })
                .cloned()
                .collect(),
            Ok(_) => Vec::new(),
        };
        let pending = LedgerRef::new("(to be posted)");
        if let Err(issues) = plan_receipts(order, settings, &ctx.caps, &pending, &client.at) {
            blocking.extend(issues);
        }
        if !blocking.is_empty() {
            return Err(Failed::planned(order, settings, &blocking));
        }
        // Values the settings map to that the ledger does not have (a tax code, a deposit
        // account, a receipt type): they would fail every order using them, after the
        // document is posted for the receipts — hold the order before anything is written.
        if let Some(cat) = self.run_catalog(run, ctx).await {
            let mut causes = config::catalog_causes(cat, order, settings, false);
            let needs_items = settings.orders.create_missing_items
                && Self::item_keys(order, settings)
                    .iter()
                    .any(|k| !items.contains_key(k));
            if needs_items {
                causes.extend(config::new_item_causes(cat, settings));
            }
            if !causes.is_empty() {
                let mut f = Failed::issues(&[]);
                f.held = causes;
                return Err(f);
            }
        }
        let searched = found.is_none();
        let new_items = if settings.orders.create_missing_items {
            Self::missing_items(order, settings, &items)
        } else {
            Vec::new()
        };
        let Some(item_failures) = created else {
            if searched || !new_items.is_empty() {
                return Err(Failed::needs(searched.then_some(cplan), new_items));
            }
            return self.prepared(known, order, settings, import_id, dry).await;
        };
        for (key, _) in &new_items {
            if let Some((sku, e)) = item_failures.get(key) {
                return Err(Failed::of(
                    e.clone()
                        .context(format!("creating item `{sku}` for order {}", order.id)),
                ));
            }
        }
        let doc = match (dry, found) {
            (Ok(doc), Some(_)) => Ok(doc),
            _ => {
                let client = self
                    .find_or_create_client(run, order, settings, searched)
                    .await
                    .map_err(Failed::of)?;
                if settings.orders.create_missing_items {
                    self.create_missing_items(run, order, settings, &mut items)
                        .await
                        .map_err(Failed::of)?;
                }
                let lookups = Lookups {
                    client: &client,
                    items: &items,
                    ledger: &ctx.caps,
                };
                plan_sales_document(order, settings, &lookups)
            }
        };
        self.prepared(known, order, settings, import_id, doc).await
    }

    /// The end of [`Engine::prepare`]: the planned document (or its blocking issues), hooked
    /// and hashed, and what to do with it (post, nothing, or update).
    async fn prepared(
        &self,
        known: &Known,
        order: &Order,
        settings: &Settings,
        import_id: ImportId,
        doc: std::result::Result<SalesDocument, Vec<MappingIssue>>,
    ) -> std::result::Result<Prepared, Failed> {
        let mut doc = doc.map_err(|issues| Failed::planned(order, settings, &issues))?;
        self.apply_hook(order, &mut doc);
        let hash = payload_hash(&doc);
        let xref = match known.xrefs.as_ref().and_then(|x| x.get(order.id.as_str())) {
            Some(x) => x.clone(),
            None => self
                .state
                .xref(EntityKind::Order, order.id.as_str())
                .await
                .map_err(Failed::of)?,
        };
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

    /// The ledger's catalog for this run, read once (one `catalog` call per run that has
    /// orders to prepare). `None` when the ledger cannot list it or reading it failed: the
    /// values are then not checked (the ledger refuses a wrong one when it is written).
    async fn run_catalog<'c>(&self, run: &Run, ctx: &'c Ctx<'_>) -> Option<&'c LedgerCatalog> {
        ctx.catalog
            .get_or_init(|| async {
                match self.call(run, Side::Ledger, || self.ledger.catalog()).await {
                    Ok(c) => Some(c),
                    Err(e) if e.kind() == bc_core::ErrorKind::Unsupported => None,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the ledger's catalog: mapped values are not checked in this run");
                        None
                    }
                }
            })
            .await
            .as_ref()
    }

    /// The state changes that record a posted (or adopted) document: its cross-reference.
    fn posted_ops(p: &Prepared, written: &Written, revision: u32) -> Vec<StateOp> {
        vec![StateOp::PutXref(CrossRef {
            kind: EntityKind::Order,
            key: p.order.id.to_string(),
            ledger: written.at().clone(),
            payload_hash: p.hash.clone(),
            revision,
            updated_at: Utc::now(),
        })]
    }

    /// Posts new documents exactly once, in one journalled batch (search first where an
    /// earlier attempt's outcome is unknown). Returns each document's outcome and the state
    /// changes that record them (dones, cross-references, failures), **not yet committed**:
    /// [`Engine::finish_chunk`] commits them in one transaction with the receipts' intents.
    /// Until then an outcome is not durable (a crash leaves the intents: the next run
    /// searches and adopts).
    async fn post_documents(
        &self,
        run: &Run,
        preps: Vec<Prepared>,
    ) -> (Vec<(Prepared, Result<Written>)>, Vec<StateOp>) {
        if preps.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let writes: Vec<Write<usize>> = preps
            .iter()
            .enumerate()
            .map(|(i, p)| Write {
                key: WriteKey::new(EntityKind::Order, "post", p.import_id.to_string(), 0),
                hash: p.hash.clone(),
                payload: i,
            })
            .collect();
        // The documents' intents with every order's "finish" marker, in one transaction.
        let mut intents = intents_of(&writes);
        intents.extend(preps.iter().map(|p| Intent {
            key: finish_key(&p.order.id),
            payload_hash: p.hash.clone(),
        }));
        let before = match self
            .state
            .journal_intents(run.fence(), &intents, Utc::now())
            .await
        {
            Ok(b) => b,
            Err(e) => {
                run.defer_if_lease_lost(&e);
                let failed = preps.into_iter().map(|p| (p, Err(e.clone()))).collect();
                return (failed, Vec::new());
            }
        };
        let preps_ref = &preps;
        let (outcomes, ops) = self
            .write_journalled(
                run,
                Side::Ledger,
                writes,
                before,
                &|idx: Vec<usize>| async move {
                    let ids: Vec<ImportId> = idx
                        .iter()
                        .map(|i| preps_ref[*i].import_id.clone())
                        .collect();
                    self.ledger
                        .find_documents(&ids)
                        .await
                        .into_iter()
                        .map(|r| r.map(|d| d.map(|d| d.at)))
                        .collect()
                },
                &|idx: Vec<usize>| async move {
                    let docs: Vec<SalesDocument> =
                        idx.iter().map(|i| preps_ref[*i].doc.clone()).collect();
                    self.ledger.post_sales_documents(&docs).await
                },
                &|w: &Write<usize>, written: &Written| {
                    Self::posted_ops(&preps_ref[w.payload], written, 0)
                },
            )
            .await;
        let mut by_index: Vec<Option<Result<Written>>> = (0..preps.len()).map(|_| None).collect();
        for (w, r) in outcomes {
            by_index[w.payload] = Some(r);
        }
        let posted = preps
            .into_iter()
            .zip(by_index)
            .map(|(p, r)| {
                let r = r.unwrap_or_else(|| {
                    Err(crate::engine::internal("write journal lost a document"))
                });
                if let Ok(Written::Adopted(at)) = &r {
                    tracing::info!(order = %p.order.id, %at, "adopted after an unknown outcome");
                }
                (p, r)
            })
            .collect();
        (posted, ops)
    }

    /// O14: the order came back to an importable status with other content; update the same
    /// ledger document while it is editable, else an exception. An update carries the whole
    /// content, so repeating it is harmless: the journal's search is "not done yet".
    async fn update_document(
        &self,
        run: &Run,
        p: &Prepared,
        x: &CrossRef,
    ) -> std::result::Result<Written, Failed> {
        let revision = x.revision.saturating_add(1);
        let write = Write {
            key: WriteKey::new(
                EntityKind::Order,
                "update",
                p.import_id.to_string(),
                revision,
            ),
            hash: p.hash.clone(),
            payload: (),
        };
        let written = self
            .write_one(
                run,
                Side::Ledger,
                write,
                |_| async { Ok(None) },
                |_| async {
                    let doc = self.ledger.find_document(&p.import_id).await?;
                    let Some(doc) = doc else {
                        return Err(Error::new(
                            bc_core::ErrorKind::NotFound,
                            format!(
                                "order {} was posted as {} but the ledger no longer has a document with import id {}",
                                p.order.id, x.ledger, p.import_id
                            ),
                        ));
                    };
                    if !doc.editable {
                        return Err(Error::new(
                            bc_core::ErrorKind::Invalid,
                            format!(
                                "order {} changed after import, but ledger document {} can no longer be changed{}: change it in the ledger, then resolve this exception",
                                p.order.id,
                                doc.at,
                                doc.status.as_deref().map(|s| format!(" (status {s})")).unwrap_or_default()
                            ),
                        ));
                    }
                    self.ledger.update_sales_document(&doc.at, &p.doc).await
                },
                Vec::new(),
            )
            .await
            .map_err(Failed::of)?;
        // The cross-reference names the document as updated (its new hash).
        let ops = Self::posted_ops(p, &written, revision);
        self.state
            .commit(run.fence(), &ops, Utc::now())
            .await
            .map_err(Failed::of)?;
        Ok(written)
    }

    /// After the documents of a chunk: the receipts of every order (P1–P3) in one journalled
    /// batch, then each order's `downloaded_status` (O2), then one group commit that resolves
    /// their exceptions, logs them and marks them finished. A receipt already done is not
    /// repeated; one of unknown outcome is searched (`find_receipt`) or, on a ledger with
    /// idempotency keys and no receipt search, sent again with the same key.
    ///
    /// Three durable commits per chunk in all, whatever its size: the documents' intents
    /// ([`Engine::post_documents`]); their dones (`pending`) with the receipts' intents,
    /// before any receipt is sent; the receipts' dones with the orders' finish markers, log
    /// lines and resolutions, after the storefront statuses. A crash between a write and the
    /// commit of its done leaves its intent, which the next run searches (the order's finish
    /// marker is an intent until the last commit, so the order is taken again).
    async fn finish_chunk(
        &self,
        run: &Run,
        ctx: &Ctx<'_>,
        ready: Vec<(Prepared, Written, bool)>,
        pending: Vec<StateOp>,
    ) -> Vec<Ended> {
        let mut ended = Vec::new();
        let mut planned: Vec<(Prepared, Written, bool)> = Vec::new();
        let mut writes: Vec<Write<(usize, Receipt)>> = Vec::new();
        for (p, w, updated) in ready {
            match plan_receipts(&p.order, ctx.settings, &ctx.caps, w.at(), &p.doc.client) {
                Err(issues) => {
                    let f = Failed::issues(&issues);
                    ended.push(self.fail_finish(run, ctx, &p, &w, f).await);
                }
                Ok(receipts) => {
                    let i = planned.len();
                    writes.extend(receipts.into_iter().map(|r| Write {
                        key: WriteKey::new(
                            EntityKind::Receipt,
                            "post",
                            format!("{}-{}", p.import_id, r.sequence),
                            0,
                        ),
                        hash: payload_hash(&r),
                        payload: (i, r),
                    }));
                    planned.push((p, w, updated));
                }
            }
        }
        // The documents' dones with the receipts' intents: one transaction.
        let intents = intents_of(&writes);
        let before = match self
            .state
            .commit_then_intents(run.fence(), &pending, &intents, Utc::now())
            .await
        {
            Ok(b) => b,
            Err(e) => {
                // Nothing of it is recorded: the documents' intents stay (the next run
                // searches and adopts them), no receipt was sent.
                run.defer_if_lease_lost(&e);
                for (p, w, _) in planned {
                    let f = Failed::of(e.clone());
                    ended.push(self.fail_finish(run, ctx, &p, &w, f).await);
                }
                return ended;
            }
        };
        let caps = &ctx.caps;
        let (outcomes, receipt_ops) = self
            .write_journalled(
                run,
                Side::Ledger,
                writes,
                before,
                &|rs: Vec<(usize, Receipt)>| async move {
                    let mut out = Vec::with_capacity(rs.len());
                    for (_, r) in &rs {
                        out.push(if caps.find_receipts {
                            self.ledger.find_receipt(r).await
                        } else if caps.idempotency_keys {
                            // The platform de-duplicates by the write's key.
                            Ok(None)
                        } else {
                            Err(Error::new(
                                bc_core::ErrorKind::Invalid,
                                format!(
                                    "receipt {} of order {} may or may not have been recorded and {} cannot search receipts: check the ledger, then resolve this exception",
                                    r.sequence, r.import_id, caps.platform
                                ),
                            ))
                        });
                    }
                    out
                },
                &|rs: Vec<(usize, Receipt)>| async move {
                    let rs: Vec<Receipt> = rs.into_iter().map(|(_, r)| r).collect();
                    self.ledger.post_receipts(&rs).await
                },
                &|_: &Write<(usize, Receipt)>, _: &Written| Vec::new(),
            )
            .await;
        let mut failures: Vec<Option<Error>> = vec![None; planned.len()];
        for (w, r) in outcomes {
            if let Err(e) = r {
                failures[w.payload.0].get_or_insert(e);
            }
        }
        // The storefront status of every order whose receipts are all done.
        let statuses = futures::future::join_all(planned.iter().zip(&failures).map(
            |((p, _, _), failed)| async move {
                if failed.is_some() {
                    return Ok(());
                }
                self.call(run, Side::Storefront, || {
                    self.storefront
                        .set_order_status(&p.order.id, &ctx.statuses.downloaded)
                })
                .await
            },
        ))
        .await;
        // The receipts' dones (also of orders whose status failed: those receipts are made).
        let mut ops = receipt_ops;
        for (((p, w, updated), failed), status) in planned.into_iter().zip(failures).zip(statuses) {
            match failed.or(status.err()) {
                Some(e) => ended.push(self.fail_finish(run, ctx, &p, &w, Failed::of(e)).await),
                None => {
                    ops.extend(Self::finished_ops(run, &p, &w, updated));
                    ended.push(Ended::Settled);
                }
            }
        }
        if !ops.is_empty() {
            if let Err(e) = self.state.commit(run.fence(), &ops, Utc::now()).await {
                run.defer_if_lease_lost(&e);
                // The writes are made but their dones are lost with the log lines and the
                // "finished" marks: the next run finishes these orders again, searching their
                // receipts first (their intents stay), which repeats nothing.
                tracing::warn!(error = %e, "cannot record a chunk of orders as done");
            }
        }
        ended
    }

    /// The state changes of an order finished well: its exception resolved, a log line, and
    /// its "finish" marker done. Counts it in the run.
    fn finished_ops(run: &Run, p: &Prepared, written: &Written, updated: bool) -> Vec<StateOp> {
        let at = written.at();
        // Every order finished here is counted once, as its log line says: `done` (posted,
        // updated, or already posted with its receipts and status done now) or `adopted`
        // (counted in `done` too).
        let what = match (written, updated) {
            (_, true) => {
                run.done();
                format!("updated {at} (import id {})", p.import_id)
            }
            (Written::AlreadyDone(_), _) if matches!(p.action, Action::Posted(_)) => {
                run.done();
                format!("already posted as {at}; receipts and status done")
            }
            (Written::Adopted(_), _) => {
                run.adopted();
                format!(
                    "found {at} by import id {} after an unknown outcome, adopted",
                    p.import_id
                )
            }
            _ => {
                run.done();
                format!("posted {at} (import id {})", p.import_id)
            }
        };
        let outcome = if matches!(written, Written::Adopted(_)) {
            Outcome::Adopted
        } else {
            Outcome::Done
        };
        let key = p.order.id.to_string();
        vec![
            StateOp::ResolveException {
                entity: EntityKind::Order,
                key: key.clone(),
            },
            StateOp::Log(LogEntry {
                at: Utc::now(),
                job: Job::Orders.as_str().into(),
                entity: EntityKind::Order,
                key,
                direction: Direction::ToLedger,
                outcome,
                message: what,
            }),
            StateOp::Done {
                key: finish_key(&p.order.id),
                at: at.clone(),
                payload_hash: p.hash.clone(),
            },
        ]
    }

    /// An order whose document is posted but whose receipts or status could not be done.
    async fn fail_finish(
        &self,
        run: &Run,
        ctx: &Ctx<'_>,
        p: &Prepared,
        written: &Written,
        mut f: Failed,
    ) -> Ended {
        f.reasons.insert(
            0,
            ExceptionReason::Error {
                kind: "partial".into(),
                temporary: f.error.as_ref().is_some_and(is_account_level),
                message: format!(
                    "the document is posted as {}; receipts or the storefront status are not done yet",
                    written.at()
                ),
            },
        );
        self.fail_order(run, ctx, &p.order, f).await
    }

    /// An order held for configuration causes: like a deferred one (nothing written for it,
    /// no exception, its storefront status untouched, the cursor does not pass it), with one
    /// log line and the causes counted once each in the run's report.
    async fn hold(&self, run: &Run, order: &Order, causes: &[Cause]) -> Ended {
        run.held(&order.id, causes);
        let what: Vec<String> = causes
            .iter()
            .map(|(_, _, setting, message)| format!("{message} (set `{setting}`)"))
            .collect();
        self.log(
            Job::Orders,
            EntityKind::Order,
            order.id.as_str(),
            Direction::ToLedger,
            Outcome::Skipped,
            format!("held for configuration: {}", what.join("; ")),
        )
        .await;
        Ended::Deferred(order.modified_at)
    }

    /// A failed order: deferred when the cause is the platform or the account (no exception,
    /// no status); otherwise the exception queue (with every reason), the connector log, and
    /// `import_error_status` (O2).
    async fn fail_order(&self, run: &Run, ctx: &Ctx<'_>, order: &Order, f: Failed) -> Ended {
        if !f.held.is_empty() {
            return self.hold(run, order, &f.held).await;
        }
        if let Some(e) = f.error.as_ref().filter(|e| is_account_level(e)) {
            run.defer(e);
            if is_lease_lost(e) {
                // This worker lost its lease: it writes nothing more, not even a log line.
                return Ended::Deferred(order.modified_at);
            }
            self.log(
                Job::Orders,
                EntityKind::Order,
                order.id.as_str(),
                Direction::ToLedger,
                Outcome::Skipped,
                format!("deferred to the next run: {e}"),
            )
            .await;
            return Ended::Deferred(order.modified_at);
        }
        let why = f
            .reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        if !self
            .fail(
                run,
                EntityKind::Order,
                order.id.as_str(),
                Direction::ToLedger,
                f.reasons,
            )
            .await
        {
            // Not in the queue: no error status, no settled marker; the run has stopped and
            // the next one lists the order again.
            return Ended::Deferred(order.modified_at);
        }
        // The exception queue holds it now: the next runs stop fetching it by its marker
        // (a retry asked for re-opens the marker when it posts again).
        let op = StateOp::Failed {
            key: finish_key(&order.id),
            reason: why,
        };
        if let Err(e) = self.state.commit(run.fence(), &[op], Utc::now()).await {
            run.defer_if_lease_lost(&e);
        }
        if order.status != ctx.statuses.error {
            if let Err(e) = self
                .call(run, Side::Storefront, || {
                    self.storefront
                        .set_order_status(&order.id, &ctx.statuses.error)
                })
                .await
            {
                tracing::warn!(order = %order.id, error = %e, "cannot set import_error_status");
            }
        }
        Ended::Settled
    }
}
