//! Ledger → storefront jobs: statuses (T1, T2), shipments (S1–S3), inventory (I1–I3) and
//! ERP-originated orders (E1, E2).
//!
//! The ledger-side jobs read change feeds page by page. A feed's cursor is saved only up to
//! the first page that still has an item to come back to (one that failed temporarily, or an
//! ERP order that does not qualify yet): nothing is ever passed by. Later pages are still
//! read; their settled items are skipped by cross-reference when the feed is read again.

use std::collections::{BTreeMap, HashSet};

use bc_core::settings::StatusDirection;
use bc_core::{
    Cursor, Error, InventoryLevel, LedgerRef, OrderId, OrderQuery, Page, Result, Settings,
    Shipment, ShipmentLine, Sku,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::breaker::is_account_level;
use crate::engine::{payload_hash, Engine, Run, Side};
use crate::journal::{Write, Written};
use crate::report::{Job, RunReport};
use crate::state::{
    CrossRef, Direction, EntityKind, ExceptionFilter, ExceptionReason, ExceptionStatus, LogEntry,
    Outcome, StateOp, WriteKey,
};

/// Cursor names.
pub const STATUSES_CURSOR: &str = "statuses";
/// Cursor of the shipments job.
pub const SHIPMENTS_CURSOR: &str = "shipments";
/// Cursor of the erp-orders job.
pub const ERP_ORDERS_CURSOR: &str = "erp-orders";

/// How one feed item ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    /// Done, skipped, or permanently in the exception queue.
    Settled,
    /// To be taken again next run: the cursor must not pass it.
    Again,
}

/// Where a feed's cursor may be saved: the start of the first page with an item to come back
/// to, else the end of the last page read.
struct FeedCursor {
    hold: Option<Cursor>,
    last: Cursor,
}

impl FeedCursor {
    fn new(start: Cursor) -> Self {
        FeedCursor {
            hold: None,
            last: start,
        }
    }

    /// A page read from `from` whose items ended as `items`, continuing at `next`.
    fn page(&mut self, from: &Cursor, items: &[Item], next: Option<&Cursor>) {
        if self.hold.is_none() && items.contains(&Item::Again) {
            self.hold = Some(from.clone());
        }
        if let Some(n) = next {
            self.last = n.clone();
        }
    }

    fn save(self) -> Cursor {
        self.hold.unwrap_or(self.last)
    }
}

impl Engine {
    /// A feed's cursor, or its start when a person asked for a retry of one of its items
    /// (settled items are skipped by cross-reference on the way).
    async fn feed_cursor(&self, name: &str, entity: EntityKind) -> Result<Cursor> {
        let retry = !self
            .state
            .exceptions(&ExceptionFilter {
                entity: Some(entity),
                status: Some(ExceptionStatus::Open),
                retry_requested: Some(true),
            })
            .await?
            .is_empty();
        if retry {
            return Ok(Cursor::start());
        }
        Ok(self
            .state
            .cursor(name)
            .await?
            .map(Cursor)
            .unwrap_or_default())
    }

    /// Reads one page of a ledger feed through the breaker; `None` when the run stops.
    async fn feed_page<T, F, Fut>(&self, run: &Run, f: F) -> Result<Option<Page<T>>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Page<T>>>,
    {
        match self.call(run, Side::Ledger, f).await {
            Ok(p) => Ok(Some(p)),
            Err(e) if is_account_level(&e) => {
                run.halt(e);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The storefront order a ledger document belongs to: by the import id on it, else by
    /// the cross-references of imported and ERP-originated orders.
    async fn storefront_order_of(
        &self,
        import_id: Option<&bc_core::ImportId>,
        document: &LedgerRef,
    ) -> Result<Option<OrderId>> {
        if let Some(id) = import_id {
            return Ok(Some(id.order().clone()));
        }
        if let Some(x) = self
            .state
            .xref_by_ledger(EntityKind::Order, &document.id)
            .await?
        {
            return Ok(Some(OrderId::new(x.key)));
        }
        if let Some(x) = self
            .state
            .xref_by_ledger(EntityKind::ErpOrder, &document.id)
            .await?
        {
            return Ok(Some(OrderId::new(x.ledger_storefront_order())));
        }
        Ok(None)
    }

    /// An item failure: deferred (comes again) or excepted (settled).
    async fn feed_failure(
        &self,
        run: &Run,
        entity: EntityKind,
        key: &str,
        direction: Direction,
        e: &Error,
    ) -> Item {
        self.item_failed(run, entity, key, direction, e).await;
        if is_account_level(e) {
            Item::Again
        } else {
            Item::Settled
        }
    }

    /// Status sync (T1, T2), in the one direction the settings choose. Posting is never
    /// triggered from the storefront: the pull direction only ever calls
    /// `set_document_status` with a non-posting status (`status.posting_statuses`).
    pub async fn sync_statuses(&self) -> Result<RunReport> {
        let run = self.start(Job::Statuses);
        let settings = self.settings();
        if !settings.status.enabled {
            run.note("status sync is off (`status.enabled = false`)");
            return Ok(run.finish());
        }
        let statuses = match self
            .call(&run, Side::Storefront, || self.storefront.statuses())
            .await
        {
            Ok(s) => s,
            Err(e) if is_account_level(&e) => {
                run.halt(e);
                return Ok(run.finish());
            }
            Err(e) => return Err(e),
        };
        settings.check_statuses(&statuses)?;
        match settings.status.map.direction {
            StatusDirection::PushLedger => {
                if !self.ledger.capabilities().document_statuses {
                    run.note(format!(
                        "{} cannot report document statuses: nothing to push",
                        self.ledger.capabilities().platform
                    ));
                    return Ok(run.finish());
                }
                let start = self
                    .feed_cursor(STATUSES_CURSOR, EntityKind::Status)
                    .await?;
                let mut feed = FeedCursor::new(start.clone());
                let mut cursor = start;
                while run.stopped().is_none() {
                    let c = cursor.clone();
                    let Some(page) = self
                        .feed_page(&run, || self.ledger.document_statuses(&c))
                        .await?
                    else {
                        break;
                    };
                    for f in &page.failures {
                        self.unreadable(&run, EntityKind::Status, f).await;
                    }
                    run.seen(page.items.len());
                    let mut ended = Vec::new();
                    for ds in &page.items {
                        if run.stopped().is_some() {
                            ended.push(Item::Again);
                            continue;
                        }
                        let Some(target) = settings.status.map.to_storefront(&ds.status) else {
                            run.skipped();
                            ended.push(Item::Settled);
                            continue;
                        };
                        let status =
                            Settings::resolve_status("status.map.storefront", target, &statuses)?;
                        let Some(order) = self
                            .storefront_order_of(ds.import_id.as_ref(), &ds.at)
                            .await?
                        else {
                            run.skipped();
                            ended.push(Item::Settled);
                            continue;
                        };
                        match self
                            .call(&run, Side::Storefront, || {
                                self.storefront.set_order_status(&order, &status.id)
                            })
                            .await
                        {
                            Ok(()) => {
                                run.done();
                                self.resolved(EntityKind::Status, order.as_str()).await;
                                self.log(
                                    Job::Statuses,
                                    EntityKind::Status,
                                    order.as_str(),
                                    Direction::ToStorefront,
                                    Outcome::Done,
                                    format!(
                                        "ledger {} is `{}`: storefront status set to `{}`",
                                        ds.at, ds.status, status.name
                                    ),
                                )
                                .await;
                                ended.push(Item::Settled);
                            }
                            Err(e) => ended.push(
                                self.feed_failure(
                                    &run,
                                    EntityKind::Status,
                                    order.as_str(),
                                    Direction::ToStorefront,
                                    &e,
                                )
                                .await,
                            ),
                        }
                    }
                    let next = page.next.filter(|n| *n != cursor);
                    feed.page(&c, &ended, next.as_ref());
                    match next {
                        Some(n) => cursor = n,
                        None => break,
                    }
                }
                let save = feed.save();
                self.commit_feed_cursor(&run, STATUSES_CURSOR, &save)
                    .await?;
            }
            StatusDirection::PullStorefront => {
                if !self.ledger.capabilities().set_document_status {
                    run.note(format!(
                        "{} cannot set document statuses: nothing to pull",
                        self.ledger.capabilities().platform
                    ));
                    return Ok(run.finish());
                }
                let since: Option<DateTime<Utc>> = self
                    .state
                    .cursor(STATUSES_CURSOR)
                    .await?
                    .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
                    .map(|c| c.with_timezone(&Utc));
                let listing_started = Utc::now();
                let mut oldest_deferred: Option<DateTime<Utc>> = None;
                let mut listed_all = false;
                let mut q = OrderQuery {
                    modified_since: since,
                    cursor: None,
                    limit: Some(self.options.page_size),
                    ..OrderQuery::default()
                };
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
                    run.seen(page.items.len());
                    for order in &page.items {
                        let Some(x) = self
                            .state
                            .xref(EntityKind::Order, order.id.as_str())
                            .await?
                        else {
                            run.skipped();
                            continue;
                        };
                        let Some(st) = statuses.iter().find(|s| s.id == order.status) else {
                            run.skipped();
                            continue;
                        };
                        // `to_ledger` never returns a posting status (T2).
                        let Some(ledger_status) = settings.status.map.to_ledger(st) else {
                            run.skipped();
                            continue;
                        };
                        match self
                            .call(&run, Side::Ledger, || {
                                self.ledger.set_document_status(&x.ledger, ledger_status)
                            })
                            .await
                        {
                            Ok(()) => {
                                run.done();
                                self.resolved(EntityKind::Status, order.id.as_str()).await;
                                self.log(
                                    Job::Statuses,
                                    EntityKind::Status,
                                    order.id.as_str(),
                                    Direction::ToLedger,
                                    Outcome::Done,
                                    format!(
                                        "storefront `{}`: ledger {} set to `{ledger_status}`",
                                        st.name, x.ledger
                                    ),
                                )
                                .await;
                            }
                            Err(e) => {
                                if self
                                    .feed_failure(
                                        &run,
                                        EntityKind::Status,
                                        order.id.as_str(),
                                        Direction::ToLedger,
                                        &e,
                                    )
                                    .await
                                    == Item::Again
                                {
                                    oldest_deferred =
                                        Some(oldest_deferred.map_or(order.modified_at, |o| {
                                            o.min(order.modified_at)
                                        }));
                                }
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
                    since
                };
                let next = match (reached, oldest_deferred) {
                    (Some(r), Some(d)) => Some(r.min(d)),
                    (r, d) => r.or(d),
                };
                if let Some(n) = next {
                    self.commit_cursor(&run, STATUSES_CURSOR, n).await?;
                }
            }
        }
        Ok(run.finish())
    }

    /// Saves a feed cursor under the run's fence.
    async fn commit_feed_cursor(&self, run: &Run, job: &str, cursor: &Cursor) -> Result<()> {
        let op = StateOp::SetCursor {
            job: job.into(),
            value: cursor.0.clone(),
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

    /// Shipments (S1–S3): ledger shipments since the cursor → storefront shipments with
    /// tracking, once each (journalled; searched in the storefront by tracking number after
    /// an unknown outcome).
    pub async fn sync_shipments(&self) -> Result<RunReport> {
        let run = self.start(Job::Shipments);
        let settings = self.settings();
        if !settings.shipping.enabled {
            run.note("shipment sync is off (`shipping.enabled = false`)");
            return Ok(run.finish());
        }
        if !self.ledger.capabilities().shipments {
            run.note(format!(
                "{} cannot report shipments: skipped",
                self.ledger.capabilities().platform
            ));
            return Ok(run.finish());
        }
        let start = self
            .feed_cursor(SHIPMENTS_CURSOR, EntityKind::Shipment)
            .await?;
        let mut feed = FeedCursor::new(start.clone());
        let mut cursor = start;
        while run.stopped().is_none() {
            let c = cursor.clone();
            let Some(page) = self.feed_page(&run, || self.ledger.shipments(&c)).await? else {
                break;
            };
            for f in &page.failures {
                self.unreadable(&run, EntityKind::Shipment, f).await;
            }
            run.seen(page.items.len());
            // The page's shipments already pushed, in one read (a long feed is listed again
            // from its oldest unsettled item: one state read per page, not per shipment).
            let keys: Vec<String> = page.items.iter().map(|s| s.at.id.clone()).collect();
            let pushed: HashSet<String> =
                match self.state.xrefs_of(EntityKind::Shipment, &keys).await {
                    Ok(found) => keys
                        .iter()
                        .zip(found)
                        .filter(|(_, x)| x.is_some())
                        .map(|(k, _)| k.clone())
                        .collect(),
                    // Each shipment is read on its own below.
                    Err(_) => HashSet::new(),
                };
            let mut ended = Vec::new();
            for s in &page.items {
                if run.stopped().is_some() {
                    ended.push(Item::Again);
                    continue;
                }
                if pushed.contains(&s.at.id) {
                    run.skipped();
                    ended.push(Item::Settled);
                    continue;
                }
                let item = match self.ship_one(&run, &settings, s).await {
                    Ok(i) => i,
                    Err(e) => {
                        self.feed_failure(
                            &run,
                            EntityKind::Shipment,
                            &s.at.id,
                            Direction::ToStorefront,
                            &e,
                        )
                        .await
                    }
                };
                ended.push(item);
            }
            let next = page.next.filter(|n| *n != cursor);
            feed.page(&c, &ended, next.as_ref());
            match next {
                Some(n) => cursor = n,
                None => break,
            }
        }
        self.commit_feed_cursor(&run, SHIPMENTS_CURSOR, &feed.save())
            .await?;
        Ok(run.finish())
    }

    /// One ledger shipment → its storefront shipment(s).
    async fn ship_one(
        &self,
        run: &Run,
        settings: &Settings,
        s: &bc_core::LedgerShipment,
    ) -> Result<Item> {
        let key = s.at.id.clone();
        if self.state.xref(EntityKind::Shipment, &key).await?.is_some() {
            run.skipped();
            return Ok(Item::Settled);
        }
        let Some(order) = self
            .storefront_order_of(s.import_id.as_ref(), &s.document)
            .await?
        else {
            let filed = self
                .fail(
                    run,
                    EntityKind::Shipment,
                    &key,
                    Direction::ToStorefront,
                    vec![ExceptionReason::Error {
                        kind: "not_found".into(),
                        temporary: false,
                        message: format!(
                            "ledger shipment {} ships {}, which no storefront order is linked to",
                            s.at, s.document
                        ),
                    }],
                )
                .await;
            return Ok(if filed { Item::Settled } else { Item::Again });
        };
        let mut shipment = s.shipment.clone();
        if shipment.ship_via.is_none() {
            shipment.ship_via = settings.shipping.default_ship_via.clone();
        }
        // The carrier `shipping.ship_via_map` names for the ship via, when the ledger's
        // shipment names none (S2).
        if shipment.carrier.is_none() {
            shipment.carrier = shipment
                .ship_via
                .as_deref()
                .and_then(|v| settings.shipping.carrier_of(v))
                .map(str::to_string);
        }
        // A ledger that ships whole documents (QBO keeps only the tracking number on the
        // invoice) gives no lines: ship what the order has left, one storefront shipment per
        // shipping address.
        let groups: Vec<Shipment> = if shipment.lines.is_empty() {
            match self.remaining_lines(run, &order).await {
                Ok(groups) => groups
                    .into_iter()
                    .map(|lines| Shipment {
                        lines,
                        ..shipment.clone()
                    })
                    .collect(),
                Err(e) => {
                    return Ok(self
                        .feed_failure(run, EntityKind::Shipment, &key, Direction::ToStorefront, &e)
                        .await)
                }
            }
        } else {
            vec![shipment]
        };
        if groups.is_empty() {
            run.skipped();
            self.log(
                Job::Shipments,
                EntityKind::Shipment,
                &key,
                Direction::ToStorefront,
                Outcome::Skipped,
                format!("order {order} has nothing left to ship"),
            )
            .await;
            self.put_simple_xref(run, EntityKind::Shipment, &key, s.at.clone())
                .await?;
            return Ok(Item::Settled);
        }
        let several = groups.len() > 1;
        let mut item = Item::Settled;
        let mut all_done = true;
        for (n, group) in groups.into_iter().enumerate() {
            let gkey = if several {
                format!("{key}#{}", n + 1)
            } else {
                key.clone()
            };
            if several
                && self
                    .state
                    .xref(EntityKind::Shipment, &gkey)
                    .await?
                    .is_some()
            {
                continue;
            }
            match self.push_shipment(run, &order, &gkey, &group).await {
                Ok(()) => {}
                Err(e) => {
                    all_done = false;
                    if self
                        .feed_failure(
                            run,
                            EntityKind::Shipment,
                            &gkey,
                            Direction::ToStorefront,
                            &e,
                        )
                        .await
                        == Item::Again
                    {
                        item = Item::Again;
                    }
                }
            }
        }
        if several && all_done {
            self.put_simple_xref(run, EntityKind::Shipment, &key, s.at.clone())
                .await?;
        }
        Ok(item)
    }

    /// What an order has left to ship, grouped by shipping address (physical lines only).
    async fn remaining_lines(&self, run: &Run, order: &OrderId) -> Result<Vec<Vec<ShipmentLine>>> {
        let o = self
            .call(run, Side::Storefront, || self.storefront.order(order))
            .await?;
        let mut groups: BTreeMap<Option<String>, Vec<ShipmentLine>> = BTreeMap::new();
        for l in o.lines.iter().filter(|l| l.physical) {
            let left = l.quantity - l.quantity_shipped - l.quantity_refunded;
            if left > Decimal::ZERO {
                groups
                    .entry(l.shipping_address_id.clone())
                    .or_default()
                    .push(ShipmentLine {
                        line_id: Some(l.line_id.clone()),
                        sku: l.sku.clone(),
                        quantity: left,
                    });
            }
        }
        Ok(groups.into_values().collect())
    }

    /// Creates one storefront shipment through the write journal: after an unknown outcome
    /// the order's shipments are searched (same tracking number) before shipping again.
    async fn push_shipment(
        &self,
        run: &Run,
        order: &OrderId,
        key: &str,
        shipment: &Shipment,
    ) -> Result<()> {
        let searchable = self.storefront.capabilities().find_shipments;
        let platform = self.storefront.capabilities().platform;
        let write = Write {
            key: WriteKey::new(EntityKind::Shipment, "create", key.to_string(), 0),
            hash: payload_hash(shipment),
            payload: shipment.clone(),
        };
        let message = format!(
            "order {order}: tracking {} ({})",
            shipment.tracking_number.as_deref().unwrap_or("-"),
            shipment
                .carrier
                .as_deref()
                .or(shipment.ship_via.as_deref())
                .unwrap_or("-")
        );
        let written = self
            .write_one(
                run,
                Side::Storefront,
                write,
                |s: Shipment| {
                    let platform = platform.clone();
                    async move {
                        if searchable {
                            Ok(self.storefront.find_shipment(order, &s).await?.map(|r| LedgerRef::new(r.id.to_string())))
                        } else {
                            Err(Error::new(
                                bc_core::ErrorKind::Invalid,
                                format!("the shipment of order {order} may already exist in {platform} (an earlier attempt's outcome is unknown) and {platform} cannot be searched for shipments: check the order, then resolve this exception"),
                            ))
                        }
                    }
                },
                |s: Shipment| async move {
                    self.storefront
                        .create_shipment(order, &s)
                        .await
                        .map(|r| LedgerRef::new(r.id.to_string()))
                },
                Vec::new(),
            )
            .await?;
        let at = written.at().clone();
        let ops = [
            StateOp::PutXref(simple_xref(EntityKind::Shipment, key, at.clone())),
            StateOp::ResolveException {
                entity: EntityKind::Shipment,
                key: key.to_string(),
            },
            StateOp::Log(LogEntry {
                at: Utc::now(),
                job: Job::Shipments.as_str().into(),
                entity: EntityKind::Shipment,
                key: key.to_string(),
                direction: Direction::ToStorefront,
                outcome: if matches!(written, Written::Adopted(_)) {
                    Outcome::Adopted
                } else {
                    Outcome::Done
                },
                message: format!("shipment {at}, {message}"),
            }),
        ];
        self.state.commit(run.fence(), &ops, Utc::now()).await?;
        if matches!(written, Written::Adopted(_)) {
            run.adopted();
        } else {
            run.done();
        }
        Ok(())
    }

    pub(crate) async fn put_simple_xref(
        &self,
        run: &Run,
        kind: EntityKind,
        key: &str,
        at: LedgerRef,
    ) -> Result<()> {
        let op = StateOp::PutXref(simple_xref(kind, key, at));
        self.state.commit(run.fence(), &[op], Utc::now()).await
    }

    /// Ledger availability in `shipping.warehouse`, less `inventory.stock_buffer`, never
    /// below zero, per SKU.
    pub(crate) async fn wanted_inventory(
        &self,
        run: &Run,
        settings: &Settings,
    ) -> Result<BTreeMap<Sku, Decimal>> {
        let warehouse = settings.shipping.warehouse.clone().ok_or_else(|| {
            Error::config(
                "shipping.warehouse",
                "required for inventory (the source of availability)",
            )
        })?;
        let buffer = settings.inventory.stock_buffer;
        let mut wanted = BTreeMap::new();
        let mut cursor = Cursor::start();
        loop {
            let c = cursor.clone();
            let page = self
                .call(run, Side::Ledger, || {
                    self.ledger.availability(&warehouse, &c)
                })
                .await?;
            for l in page.items {
                wanted.insert(l.sku, (l.available - buffer).max(Decimal::ZERO));
            }
            match page.next {
                Some(n) if n != cursor => cursor = n,
                _ => break,
            }
        }
        Ok(wanted)
    }

    /// Inventory (I1–I3): pushes available − buffer (floor 0) for the SKUs whose value
    /// differs from the one last pushed, in batches of the storefront's size (absolute
    /// values: repeating a push is harmless, so no journal is needed).
    pub async fn sync_inventory(&self) -> Result<RunReport> {
        let run = self.start(Job::Inventory);
        let settings = self.settings();
        if !settings.inventory.enabled {
            run.note("inventory push is off (`inventory.enabled = false`)");
            return Ok(run.finish());
        }
        let sf = self.storefront.capabilities();
        if !sf.inventory || !self.ledger.capabilities().availability {
            run.note("inventory push skipped: the storefront cannot set stock or the ledger cannot report availability");
            return Ok(run.finish());
        }
        let wanted = match self.wanted_inventory(&run, &settings).await {
            Ok(w) => w,
            Err(e) if is_account_level(&e) => {
                run.halt(e);
                return Ok(run.finish());
            }
            Err(e) => return Err(e),
        };
        let pushed = self.state.last_pushed().await?;
        run.seen(wanted.len());
        let changed: Vec<InventoryLevel> = wanted
            .iter()
            .filter(|(sku, q)| pushed.get(*sku) != Some(*q))
            .map(|(sku, q)| InventoryLevel {
                sku: sku.clone(),
                available: *q,
            })
            .collect();
        for _ in 0..(wanted.len() - changed.len()) {
            run.skipped();
        }
        let size = sf.inventory_batch_size.max(1);
        let batches: Vec<&[InventoryLevel]> = changed.chunks(size).collect();
        let results = self
            .call(&run, Side::Storefront, || async {
                Ok(self.storefront.set_inventory_batched(&changed).await)
            })
            .await
            .unwrap_or_else(|e| batches.iter().map(|_| Err(e.clone())).collect());
        for (batch, result) in batches.into_iter().zip(results) {
            match result {
                Ok(()) => {
                    let levels: Vec<(Sku, Decimal)> =
                        batch.iter().map(|l| (l.sku.clone(), l.available)).collect();
                    self.state.set_last_pushed(&levels).await?;
                    for l in batch {
                        run.done();
                        self.resolved(EntityKind::Inventory, l.sku.as_str()).await;
                    }
                    self.log(
                        Job::Inventory,
                        EntityKind::Inventory,
                        batch.first().map_or("", |l| l.sku.as_str()),
                        Direction::ToStorefront,
                        Outcome::Done,
                        format!("{} SKUs pushed", batch.len()),
                    )
                    .await;
                }
                Err(e) => {
                    for l in batch {
                        self.item_failed(
                            &run,
                            EntityKind::Inventory,
                            l.sku.as_str(),
                            Direction::ToStorefront,
                            &e,
                        )
                        .await;
                    }
                }
            }
        }
        Ok(run.finish())
    }

    /// ERP-originated orders (E1): ledger orders → storefront orders, once each, when the
    /// sync conditions hold (no unpaid balance when `erp_orders.require_zero_balance`); both
    /// numbers are cross-referenced. An order that does not qualify yet is read again next
    /// run (the cursor waits for it). After an unknown outcome the storefront is searched by
    /// the ledger order number before creating again. Shipments of these orders reach the
    /// storefront through the shipments job (E2).
    pub async fn sync_erp_orders(&self) -> Result<RunReport> {
        let run = self.start(Job::ErpOrders);
        let settings = self.settings();
        if !settings.erp_orders.enabled {
            run.note("ERP-originated orders are off (`erp_orders.enabled = false`)");
            return Ok(run.finish());
        }
        if !self.ledger.capabilities().new_orders || !self.storefront.capabilities().create_orders {
            run.note(format!(
                "ERP-originated orders skipped: {} cannot list new orders or {} cannot create orders",
                self.ledger.capabilities().platform,
                self.storefront.capabilities().platform
            ));
            return Ok(run.finish());
        }
        let statuses = match self
            .call(&run, Side::Storefront, || self.storefront.statuses())
            .await
        {
            Ok(s) => s,
            Err(e) if is_account_level(&e) => {
                run.halt(e);
                return Ok(run.finish());
            }
            Err(e) => return Err(e),
        };
        let status = match &settings.erp_orders.storefront_status {
            Some(s) => Some(
                Settings::resolve_status("erp_orders.storefront_status", s, &statuses)?
                    .id
                    .clone(),
            ),
            None => None,
        };
        let start = self
            .feed_cursor(ERP_ORDERS_CURSOR, EntityKind::ErpOrder)
            .await?;
        let mut feed = FeedCursor::new(start.clone());
        let mut cursor = start;
        while run.stopped().is_none() {
            let c = cursor.clone();
            let Some(page) = self.feed_page(&run, || self.ledger.new_orders(&c)).await? else {
                break;
            };
            for f in &page.failures {
                self.unreadable(&run, EntityKind::ErpOrder, f).await;
            }
            run.seen(page.items.len());
            let mut ended = Vec::new();
            for lo in &page.items {
                if run.stopped().is_some() {
                    ended.push(Item::Again);
                    continue;
                }
                ended.push(
                    self.create_erp_order(&run, &settings, status.as_ref(), lo)
                        .await?,
                );
            }
            let next = page.next.filter(|n| *n != cursor);
            feed.page(&c, &ended, next.as_ref());
            match next {
                Some(n) => cursor = n,
                None => break,
            }
        }
        self.commit_feed_cursor(&run, ERP_ORDERS_CURSOR, &feed.save())
            .await?;
        Ok(run.finish())
    }

    async fn create_erp_order(
        &self,
        run: &Run,
        settings: &Settings,
        status: Option<&bc_core::StatusId>,
        lo: &bc_core::LedgerOrder,
    ) -> Result<Item> {
        let key = lo.at.id.clone();
        if lo.storefront_order.is_some()
            || self.state.xref(EntityKind::ErpOrder, &key).await?.is_some()
        {
            run.skipped();
            return Ok(Item::Settled);
        }
        if settings.erp_orders.require_zero_balance && !lo.unpaid_balance.is_zero() {
            run.skipped();
            self.log(
                Job::ErpOrders,
                EntityKind::ErpOrder,
                &key,
                Direction::ToStorefront,
                Outcome::Skipped,
                format!("unpaid balance {}: waiting until paid", lo.unpaid_balance),
            )
            .await;
            return Ok(Item::Again);
        }
        let mut new_order = lo.order.clone();
        if let Some(s) = status {
            new_order.status = s.clone();
        }
        let searchable = self.storefront.capabilities().find_orders_by_reference;
        let platform = self.storefront.capabilities().platform;
        let write = Write {
            key: WriteKey::new(EntityKind::ErpOrder, "create", key.clone(), 0),
            hash: payload_hash(&new_order),
            payload: new_order,
        };
        let result = self
            .write_one(
                run,
                Side::Storefront,
                write,
                |o: bc_core::NewOrder| {
                    let platform = platform.clone();
                    async move {
                        if searchable {
                            Ok(self
                                .storefront
                                .find_order_by_reference(&o.ledger_number)
                                .await?
                                .map(|id| LedgerRef::new(id.to_string())))
                        } else {
                            Err(Error::new(
                                bc_core::ErrorKind::Invalid,
                                format!("ledger order {} may already exist in {platform} (an earlier attempt's outcome is unknown) and {platform} cannot be searched by reference: check, then resolve this exception", o.ledger_number),
                            ))
                        }
                    }
                },
                |o: bc_core::NewOrder| async move {
                    self.storefront
                        .create_order(&o)
                        .await
                        .map(|id| LedgerRef::new(id.to_string()))
                },
                Vec::new(),
            )
            .await;
        let written = match result {
            Ok(w) => w,
            Err(e) => {
                return Ok(self
                    .feed_failure(run, EntityKind::ErpOrder, &key, Direction::ToStorefront, &e)
                    .await)
            }
        };
        let id = OrderId::new(written.at().id.clone());
        let adopted = matches!(written, Written::Adopted(_));
        let ops = [
            StateOp::PutXref(CrossRef {
                kind: EntityKind::ErpOrder,
                key: key.clone(),
                ledger: lo.at.clone(),
                payload_hash: id.to_string(),
                revision: 0,
                updated_at: Utc::now(),
            }),
            StateOp::ResolveException {
                entity: EntityKind::ErpOrder,
                key: key.clone(),
            },
            StateOp::Log(LogEntry {
                at: Utc::now(),
                job: Job::ErpOrders.as_str().into(),
                entity: EntityKind::ErpOrder,
                key: key.clone(),
                direction: Direction::ToStorefront,
                outcome: if matches!(written, Written::Adopted(_)) {
                    Outcome::Adopted
                } else {
                    Outcome::Done
                },
                message: format!("ledger order {} created as storefront order {id}", lo.at),
            }),
        ];
        self.state.commit(run.fence(), &ops, Utc::now()).await?;
        // Linking back is idempotent (the same number again); a failure is only noted.
        if let Err(e) = self
            .call(run, Side::Ledger, || {
                self.ledger.link_storefront_order(&lo.at, &id)
            })
            .await
        {
            run.note(format!(
                "ledger order {} created as storefront order {id}, but the link could not be written back: {e}",
                lo.at
            ));
        }
        if adopted {
            run.adopted();
        } else {
            run.done();
        }
        Ok(Item::Settled)
    }
}

fn simple_xref(kind: EntityKind, key: &str, at: LedgerRef) -> CrossRef {
    CrossRef {
        kind,
        key: key.to_string(),
        ledger: at,
        payload_hash: String::new(),
        revision: 0,
        updated_at: Utc::now(),
    }
}

impl CrossRef {
    /// For an ERP-order cross-reference: the storefront order id it was created as.
    pub fn ledger_storefront_order(&self) -> String {
        self.payload_hash.clone()
    }
}
