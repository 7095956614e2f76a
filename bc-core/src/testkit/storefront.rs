//! The Storefront conformance suite.
//!
//! The storefront under test must hold at least one order in
//! [`StorefrontFixture::status_with_orders`] (seed the sandbox first).

use rust_decimal::Decimal;

use crate::error::ErrorKind;
use crate::fulfilment::{InventoryLevel, Shipment, ShipmentLine};
use crate::ids::{Sku, StatusId};
use crate::page::{OrderQuery, PayoutQuery, RefundQuery};
use crate::storefront::Storefront;

/// What the storefront under test holds.
#[derive(Clone, Debug)]
pub struct StorefrontFixture {
    /// A status with at least one order in it.
    pub status_with_orders: StatusId,
    /// Another status the suite may move an order to.
    pub other_status: StatusId,
    /// A SKU whose inventory the suite may set.
    pub sku: Sku,
}

type Check = Result<(), String>;

fn fail<T>(what: &str, detail: impl std::fmt::Display) -> Result<T, String> {
    Err(format!("{what}: {detail}"))
}

/// Runs every check the storefront's capabilities call for.
pub async fn run_all(sf: &dyn Storefront, fx: &StorefrontFixture) -> Check {
    statuses(sf, fx).await?;
    list_and_read(sf, fx).await?;
    paging(sf, fx).await?;
    set_status(sf, fx).await?;
    shipment(sf, fx).await?;
    inventory(sf, fx).await?;
    unsupported_matches_capabilities(sf).await?;
    Ok(())
}

/// The statuses include the fixture's.
pub async fn statuses(sf: &dyn Storefront, fx: &StorefrontFixture) -> Check {
    let all = sf.statuses().await.map_err(|e| format!("statuses: {e}"))?;
    for s in [&fx.status_with_orders, &fx.other_status] {
        if !all.iter().any(|x| &x.id == s) {
            return fail("statuses", format!("status {s} missing from {all:?}"));
        }
    }
    Ok(())
}

/// Listing by status gives orders in that status whose amounts add up, and reading one
/// order gives the same order.
pub async fn list_and_read(sf: &dyn Storefront, fx: &StorefrontFixture) -> Check {
    let q = OrderQuery {
        statuses: vec![fx.status_with_orders.clone()],
        limit: Some(5),
        ..Default::default()
    };
    let page = sf.orders(&q).await.map_err(|e| format!("orders: {e}"))?;
    let Some(first) = page.items.first() else {
        return fail(
            "orders",
            format!("no order in status {}", fx.status_with_orders),
        );
    };
    for o in &page.items {
        if o.status != fx.status_with_orders {
            return fail(
                "orders",
                format!(
                    "order {} has status {} but {} was asked",
                    o.id, o.status, fx.status_with_orders
                ),
            );
        }
        if let Err(m) = o.check_totals() {
            return fail(
                "orders",
                format!(
                    "order {}: {} adds up to {} but says {}",
                    o.id, m.what, m.computed, m.stated
                ),
            );
        }
    }
    let one = sf
        .order(&first.id)
        .await
        .map_err(|e| format!("order {}: {e}", first.id))?;
    if one.id != first.id
        || one.total_inc_tax != first.total_inc_tax
        || one.lines.len() != first.lines.len()
    {
        return fail(
            "order",
            format!("order {} read alone differs from the listed one", first.id),
        );
    }
    Ok(())
}

/// Following cursors visits each order once.
pub async fn paging(sf: &dyn Storefront, fx: &StorefrontFixture) -> Check {
    let mut q = OrderQuery {
        statuses: vec![fx.status_with_orders.clone()],
        limit: Some(2),
        ..Default::default()
    };
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..5 {
        let page = sf.orders(&q).await.map_err(|e| format!("orders: {e}"))?;
        for o in &page.items {
            if !seen.insert(o.id.clone()) {
                return fail("paging", format!("order {} returned twice", o.id));
            }
        }
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    Ok(())
}

/// Setting a status is visible when the order is read again.
pub async fn set_status(sf: &dyn Storefront, fx: &StorefrontFixture) -> Check {
    let q = OrderQuery {
        statuses: vec![fx.status_with_orders.clone()],
        limit: Some(1),
        ..Default::default()
    };
    let page = sf.orders(&q).await.map_err(|e| format!("orders: {e}"))?;
    let Some(o) = page.items.first() else {
        return fail("set_order_status", "no order to move");
    };
    sf.set_order_status(&o.id, &fx.other_status)
        .await
        .map_err(|e| format!("set_order_status: {e}"))?;
    let again = sf.order(&o.id).await.map_err(|e| format!("order: {e}"))?;
    if again.status != fx.other_status {
        return fail(
            "set_order_status",
            format!("order {} still in {}", o.id, again.status),
        );
    }
    Ok(())
}

/// A shipment of the first line of an order is created.
pub async fn shipment(sf: &dyn Storefront, fx: &StorefrontFixture) -> Check {
    let q = OrderQuery {
        statuses: vec![fx.other_status.clone()],
        limit: Some(1),
        ..Default::default()
    };
    let page = sf.orders(&q).await.map_err(|e| format!("orders: {e}"))?;
    let Some(o) = page.items.first() else {
        return fail("create_shipment", "no order to ship");
    };
    let Some(line) = o.lines.first() else {
        return fail("create_shipment", "order has no line");
    };
    let shipment = Shipment {
        tracking_number: Some("1Z999AA10123456784".into()),
        carrier: Some("ups".into()),
        ship_via: Some("UPS Ground".into()),
        comments: None,
        lines: vec![ShipmentLine {
            line_id: Some(line.line_id.clone()),
            sku: line.sku.clone(),
            quantity: Decimal::ONE,
        }],
        shipped_at: None,
    };
    sf.create_shipment(&o.id, &shipment)
        .await
        .map(|_| ())
        .map_err(|e| format!("create_shipment on {}: {e}", o.id))
}

/// Inventory can be set when declared.
pub async fn inventory(sf: &dyn Storefront, fx: &StorefrontFixture) -> Check {
    if !sf.capabilities().inventory {
        return Ok(());
    }
    let levels = vec![InventoryLevel {
        sku: fx.sku.clone(),
        available: Decimal::from(7),
    }];
    sf.set_inventory(&levels)
        .await
        .map_err(|e| format!("set_inventory: {e}"))
}

/// Every capability the storefront does not declare answers `Unsupported`, every declared
/// one does not.
pub async fn unsupported_matches_capabilities(sf: &dyn Storefront) -> Check {
    let caps = sf.capabilities();
    let kind_of = |r: Result<(), crate::Error>| r.err().map(|e| e.kind());
    let refunds = kind_of(sf.refunds(&RefundQuery::default()).await.map(|_| ()));
    let payouts = kind_of(sf.payouts(&PayoutQuery::default()).await.map(|_| ()));
    for (name, declared, kind) in [
        ("refunds", caps.refunds, refunds),
        ("payouts", caps.payouts, payouts),
    ] {
        if !declared && kind != Some(ErrorKind::Unsupported) {
            return fail(
                name,
                format!("not declared but answered {kind:?} instead of Unsupported"),
            );
        }
        if declared && kind == Some(ErrorKind::Unsupported) {
            return fail(name, "declared but answered Unsupported");
        }
    }
    Ok(())
}
