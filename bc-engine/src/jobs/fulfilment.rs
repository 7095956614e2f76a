//! Ledger → storefront jobs: statuses (T1, T2), shipments (S1–S3), inventory (I1–I3) and
//! ERP-originated orders (E1, E2).

use std::collections::BTreeMap;

use bc_core::settings::StatusDirection;
use bc_core::{
    Cursor, Error, ErrorKind, InventoryLevel, LedgerRef, OrderId, OrderQuery, Result, Settings,
    Shipment, ShipmentLine, Sku,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::lookups::maybe_written;
use crate::engine::{payload_hash, Engine, Run, Side};
use crate::report::{Job, RunReport};
use crate::state::{
    CrossRef, Direction, EntityKind, ExceptionReason, Outcome, WriteKey, WriteState,
};

/// Cursor names.
pub const STATUSES_CURSOR: &str = "statuses";
/// Cursor of the shipments job.
pub const SHIPMENTS_CURSOR: &str = "shipments";
/// Cursor of the erp-orders job.
pub const ERP_ORDERS_CURSOR: &str = "erp-orders";

impl Engine {
    async fn load_cursor(&self, name: &str) -> Result<Cursor> {
        Ok(self
            .state
            .cursor(name)
            .await?
            .map(Cursor)
            .unwrap_or_default())
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

    /// Status sync (T1, T2), in the one direction the settings choose. Posting is never
    /// triggered from the storefront: the pull direction only ever calls
    /// `set_document_status` with a non-posting status (`status.posting_statuses`).
    pub async fn sync_statuses(&self) -> Result<RunReport> {
        let run = Run::new(Job::Statuses);
        let settings = self.settings();
        if !settings.status.enabled {
            run.note("status sync is off (`status.enabled = false`)");
            return Ok(run.finish());
        }
        let statuses = self
            .retry(&run, Side::Storefront, || self.storefront.statuses())
            .await?;
        settings.check_statuses(&statuses)?;
        match settings.status.direction {
            StatusDirection::PushLedger => {
                if !self.ledger.capabilities().document_statuses {
                    run.note(format!(
                        "{} cannot report document statuses: nothing to push",
                        self.ledger.capabilities().platform
                    ));
                    return Ok(run.finish());
                }
                let mut cursor = self.load_cursor(STATUSES_CURSOR).await?;
                loop {
                    let c = cursor.clone();
                    let page = self
                        .retry(&run, Side::Ledger, || self.ledger.document_statuses(&c))
                        .await?;
                    run.seen(page.items.len());
                    for ds in &page.items {
                        let Some(target) = settings.status.to_storefront(&ds.status) else {
                            run.skipped();
                            continue;
                        };
                        let status =
                            Settings::resolve_status("status.map.storefront", target, &statuses)?;
                        let Some(order) = self
                            .storefront_order_of(ds.import_id.as_ref(), &ds.at)
                            .await?
                        else {
                            run.skipped();
                            continue;
                        };
                        match self
                            .retry(&run, Side::Storefront, || {
                                self.storefront.set_order_status(&order, &status.id)
                            })
                            .await
                        {
                            Ok(()) => {
                                run.done();
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
                            }
                            Err(e) => {
                                self.fail(
                                    &run,
                                    EntityKind::Status,
                                    order.as_str(),
                                    Direction::ToStorefront,
                                    ExceptionReason::from_error(&e),
                                )
                                .await;
                            }
                        }
                    }
                    match page.next {
                        Some(n) if n != cursor => {
                            cursor = n;
                            self.state.set_cursor(STATUSES_CURSOR, &cursor.0).await?;
                        }
                        _ => break,
                    }
                }
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
                let mut page_cursor = None;
                let mut max_seen = since;
                loop {
                    let q = OrderQuery {
                        modified_since: since,
                        cursor: page_cursor.clone(),
                        limit: Some(self.options.page_size),
                        ..OrderQuery::default()
                    };
                    let page = self
                        .retry(&run, Side::Storefront, || self.storefront.orders(&q))
                        .await?;
                    run.seen(page.items.len());
                    for order in &page.items {
                        max_seen = max_seen.max(Some(order.modified_at));
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
                        let Some(ledger_status) = settings.status.to_ledger(st) else {
                            run.skipped();
                            continue;
                        };
                        match self
                            .retry(&run, Side::Ledger, || {
                                self.ledger.set_document_status(&x.ledger, ledger_status)
                            })
                            .await
                        {
                            Ok(()) => {
                                run.done();
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
                                self.fail(
                                    &run,
                                    EntityKind::Status,
                                    order.id.as_str(),
                                    Direction::ToLedger,
                                    ExceptionReason::from_error(&e),
                                )
                                .await;
                            }
                        }
                    }
                    match page.next {
                        Some(n) if Some(&n) != page_cursor.as_ref() => page_cursor = Some(n),
                        _ => break,
                    }
                }
                if let Some(m) = max_seen {
                    self.state
                        .set_cursor(STATUSES_CURSOR, &m.to_rfc3339())
                        .await?;
                }
            }
        }
        Ok(run.finish())
    }

    /// Shipments (S1–S3): ledger shipments since the cursor → storefront shipments with
    /// tracking, once each (de-duplicated by the ledger shipment's id).
    pub async fn sync_shipments(&self) -> Result<RunReport> {
        let run = Run::new(Job::Shipments);
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
        let mut cursor = self.load_cursor(SHIPMENTS_CURSOR).await?;
        loop {
            let c = cursor.clone();
            let page = self
                .retry(&run, Side::Ledger, || self.ledger.shipments(&c))
                .await?;
            run.seen(page.items.len());
            for s in &page.items {
                let key = s.at.id.clone();
                if self.state.xref(EntityKind::Shipment, &key).await?.is_some() {
                    run.skipped();
                    continue;
                }
                let Some(order) = self
                    .storefront_order_of(s.import_id.as_ref(), &s.document)
                    .await?
                else {
                    self.fail(&run, EntityKind::Shipment, &key, Direction::ToStorefront, vec![ExceptionReason::Error {
                        kind: "not_found".into(),
                        temporary: false,
                        message: format!("ledger shipment {} ships {}, which no storefront order is linked to", s.at, s.document),
                    }]).await;
                    continue;
                };
                let mut shipment = s.shipment.clone();
                if shipment.ship_via.is_none() {
                    shipment.ship_via = settings.shipping.default_ship_via.clone();
                }
                // A ledger that ships whole documents (QBO keeps only the tracking number on
                // the invoice) gives no lines: ship what the order has left, one storefront
                // shipment per shipping address.
                let groups: Vec<Shipment> = if shipment.lines.is_empty() {
                    match self.remaining_lines(&run, &order).await {
                        Ok(groups) => groups
                            .into_iter()
                            .map(|lines| Shipment {
                                lines,
                                ..shipment.clone()
                            })
                            .collect(),
                        Err(e) => {
                            self.fail(
                                &run,
                                EntityKind::Shipment,
                                &key,
                                Direction::ToStorefront,
                                ExceptionReason::from_error(&e),
                            )
                            .await;
                            continue;
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
                    self.put_simple_xref(EntityKind::Shipment, &key, s.at.clone())
                        .await?;
                    continue;
                }
                let several = groups.len() > 1;
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
                    all_done &= self
                        .push_shipment(&run, &order, &s.at, &gkey, &group)
                        .await?;
                }
                if several && all_done {
                    self.put_simple_xref(EntityKind::Shipment, &key, s.at.clone())
                        .await?;
                }
            }
            match page.next {
                Some(n) if n != cursor => {
                    cursor = n;
                    self.state.set_cursor(SHIPMENTS_CURSOR, &cursor.0).await?;
                }
                _ => break,
            }
        }
        Ok(run.finish())
    }

    /// What an order has left to ship, grouped by shipping address (physical lines only).
    async fn remaining_lines(&self, run: &Run, order: &OrderId) -> Result<Vec<Vec<ShipmentLine>>> {
        let o = self
            .retry(run, Side::Storefront, || self.storefront.order(order))
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

    /// Creates one storefront shipment, journalled; `Ok(true)` when it exists afterwards.
    async fn push_shipment(
        &self,
        run: &Run,
        order: &OrderId,
        ledger_at: &LedgerRef,
        key: &str,
        shipment: &Shipment,
    ) -> Result<bool> {
        let wkey = WriteKey::new(EntityKind::Shipment, "create", key.to_string(), 0);
        let prev = self
            .state
            .journal_intent(&wkey, &payload_hash(shipment), Utc::now())
            .await?;
        match prev.map(|p| p.state) {
            Some(WriteState::Done { at }) => {
                self.put_simple_xref(EntityKind::Shipment, key, at).await?;
                run.adopted();
                return Ok(true);
            }
            Some(WriteState::Intent) => {
                // The storefront cannot be searched for a shipment we may have made.
                self.fail(run, EntityKind::Shipment, key, Direction::ToStorefront, vec![ExceptionReason::Error {
                    kind: "outcome_unknown".into(),
                    temporary: false,
                    message: format!("shipment {ledger_at} of order {order} may already exist in the storefront (an earlier attempt's outcome is unknown): check the order, then resolve"),
                }]).await;
                return Ok(false);
            }
            _ => {}
        }
        run.count(Side::Storefront);
        match self.storefront.create_shipment(order, shipment).await {
            Ok(r) => {
                let at = LedgerRef::new(r.id.to_string());
                self.state.journal_done(&wkey, &at, Utc::now()).await?;
                self.put_simple_xref(EntityKind::Shipment, key, at).await?;
                self.resolved(EntityKind::Shipment, key).await;
                run.done();
                self.log(
                    Job::Shipments,
                    EntityKind::Shipment,
                    key,
                    Direction::ToStorefront,
                    Outcome::Done,
                    format!(
                        "order {order}: shipment {} tracking {} ({})",
                        r.id,
                        shipment.tracking_number.as_deref().unwrap_or("-"),
                        shipment
                            .carrier
                            .as_deref()
                            .or(shipment.ship_via.as_deref())
                            .unwrap_or("-")
                    ),
                )
                .await;
                Ok(true)
            }
            Err(e) => {
                if !maybe_written(&e) || e.kind() == ErrorKind::RateLimited {
                    self.state
                        .journal_failed(&wkey, &e.to_string(), Utc::now())
                        .await?;
                }
                self.fail(
                    run,
                    EntityKind::Shipment,
                    key,
                    Direction::ToStorefront,
                    ExceptionReason::from_error(&e),
                )
                .await;
                Ok(false)
            }
        }
    }

    pub(crate) async fn put_simple_xref(
        &self,
        kind: EntityKind,
        key: &str,
        at: LedgerRef,
    ) -> Result<()> {
        self.state
            .put_xref(&CrossRef {
                kind,
                key: key.to_string(),
                ledger: at,
                payload_hash: String::new(),
                revision: 0,
                updated_at: Utc::now(),
            })
            .await
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
                .retry(run, Side::Ledger, || {
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
    /// differs from the one last pushed, in batches of the storefront's size.
    pub async fn sync_inventory(&self) -> Result<RunReport> {
        let run = Run::new(Job::Inventory);
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
        let wanted = self.wanted_inventory(&run, &settings).await?;
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
        for batch in changed.chunks(sf.inventory_batch_size.max(1)) {
            match self
                .retry(&run, Side::Storefront, || {
                    self.storefront.set_inventory(batch)
                })
                .await
            {
                Ok(()) => {
                    let levels: Vec<(Sku, Decimal)> =
                        batch.iter().map(|l| (l.sku.clone(), l.available)).collect();
                    self.state.set_last_pushed(&levels).await?;
                    for l in batch {
                        run.done();
                        self.log(
                            Job::Inventory,
                            EntityKind::Inventory,
                            l.sku.as_str(),
                            Direction::ToStorefront,
                            Outcome::Done,
                            format!("available {}", l.available),
                        )
                        .await;
                    }
                }
                Err(e) => {
                    for l in batch {
                        self.fail(
                            &run,
                            EntityKind::Inventory,
                            l.sku.as_str(),
                            Direction::ToStorefront,
                            ExceptionReason::from_error(&e),
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
    /// numbers are cross-referenced. Shipments of these orders reach the storefront through
    /// the shipments job (E2).
    pub async fn sync_erp_orders(&self) -> Result<RunReport> {
        let run = Run::new(Job::ErpOrders);
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
        let statuses = self
            .retry(&run, Side::Storefront, || self.storefront.statuses())
            .await?;
        let status = match &settings.erp_orders.storefront_status {
            Some(s) => Some(
                Settings::resolve_status("erp_orders.storefront_status", s, &statuses)?
                    .id
                    .clone(),
            ),
            None => None,
        };
        let mut cursor = self.load_cursor(ERP_ORDERS_CURSOR).await?;
        loop {
            let c = cursor.clone();
            let page = self
                .retry(&run, Side::Ledger, || self.ledger.new_orders(&c))
                .await?;
            run.seen(page.items.len());
            for lo in &page.items {
                let key = lo.at.id.clone();
                if lo.storefront_order.is_some()
                    || self.state.xref(EntityKind::ErpOrder, &key).await?.is_some()
                {
                    run.skipped();
                    continue;
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
                    continue;
                }
                let mut new_order = lo.order.clone();
                if let Some(s) = &status {
                    new_order.status = s.clone();
                }
                let wkey = WriteKey::new(EntityKind::ErpOrder, "create", key.clone(), 0);
                let prev = self
                    .state
                    .journal_intent(&wkey, &payload_hash(&new_order), Utc::now())
                    .await?;
                let created: std::result::Result<OrderId, Error> = match prev.map(|p| p.state) {
                    Some(WriteState::Done { at }) => Ok(OrderId::new(at.id)),
                    Some(WriteState::Intent) => Err(Error::new(ErrorKind::OutcomeUnknown, format!(
                        "ledger order {} may already exist in the storefront (an earlier attempt's outcome is unknown): check, then resolve", lo.at)).with_temporary(false)),
                    _ => {
                        run.count(Side::Storefront);
                        self.storefront.create_order(&new_order).await
                    }
                };
                match created {
                    Ok(id) => {
                        let at = LedgerRef::new(id.to_string());
                        self.state.journal_done(&wkey, &at, Utc::now()).await?;
                        self.state
                            .put_xref(&CrossRef {
                                kind: EntityKind::ErpOrder,
                                key: key.clone(),
                                ledger: lo.at.clone(),
                                payload_hash: id.to_string(),
                                revision: 0,
                                updated_at: Utc::now(),
                            })
                            .await?;
                        if let Err(e) = self
                            .retry(&run, Side::Ledger, || {
                                self.ledger.link_storefront_order(&lo.at, &id)
                            })
                            .await
                        {
                            run.note(format!("ledger order {} created as storefront order {id}, but the link could not be written back: {e}", lo.at));
                        }
                        self.resolved(EntityKind::ErpOrder, &key).await;
                        run.done();
                        self.log(
                            Job::ErpOrders,
                            EntityKind::ErpOrder,
                            &key,
                            Direction::ToStorefront,
                            Outcome::Done,
                            format!("ledger order {} created as storefront order {id}", lo.at),
                        )
                        .await;
                    }
                    Err(e) => {
                        if !maybe_written(&e) {
                            self.state
                                .journal_failed(&wkey, &e.to_string(), Utc::now())
                                .await?;
                        }
                        self.fail(
                            &run,
                            EntityKind::ErpOrder,
                            &key,
                            Direction::ToStorefront,
                            ExceptionReason::from_error(&e),
                        )
                        .await;
                    }
                }
            }
            match page.next {
                Some(n) if n != cursor => {
                    cursor = n;
                    self.state.set_cursor(ERP_ORDERS_CURSOR, &cursor.0).await?;
                }
                _ => break,
            }
        }
        Ok(run.finish())
    }
}

impl CrossRef {
    /// For an ERP-order cross-reference: the storefront order id it was created as.
    pub fn ledger_storefront_order(&self) -> String {
        self.payload_hash.clone()
    }
}
