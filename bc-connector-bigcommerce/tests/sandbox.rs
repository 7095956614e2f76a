//! Every Storefront method against the BigCommerce sandbox, in-process and over loopback.

use std::collections::BTreeMap;
use std::sync::Arc;

use bc_connector_bigcommerce::BigCommerce;
use bc_core::{
    Address, Currency, ErrorKind, InventoryLevel, NewOrder, NewOrderLine, Order, OrderQuery,
    PayoutQuery, RefundQuery, Shipment, ShipmentLine, Sku, StatusId, Storefront,
};
use bc_http::RouterTransport;
use bc_sandbox_bigcommerce::BigCommerceConfig as SandboxConfig;
use rust_decimal::Decimal;
use secrecy::SecretString;

mod common;
use common::{all_orders, config, connect, sandbox, sandbox_with};

#[tokio::test]
async fn every_generated_order_parses_and_adds_up() {
    let sb = sandbox(80, 11);
    let bc = connect(&sb, "all");
    let orders = all_orders(
        &bc,
        OrderQuery {
            limit: Some(30),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(orders.len(), 80);
    let mut bad = Vec::new();
    for o in &orders {
        if let Err(m) = o.check_totals() {
            bad.push(format!(
                "{}: {} computed {} stated {}",
                o.id, m.what, m.computed, m.stated
            ));
        }
        assert!(!o.lines.is_empty(), "order {} has no lines", o.id);
        let gift: Decimal = o.gift_certificates.iter().map(|g| g.amount).sum();
        let paid: Decimal = o.payments.iter().map(|p| p.amount).sum();
        // Tenders cover what is owed (gift certificates and store credit never reduce it).
        assert!(
            paid + gift + o.store_credit <= o.total_inc_tax + Decimal::new(1, 2),
            "order {}",
            o.id
        );
    }
    assert!(
        bad.is_empty(),
        "orders whose parts do not add up:\n{}",
        bad.join("\n")
    );
    // The mix has what the parser must handle.
    assert!(orders.iter().any(|o| !o.discount_total().is_zero()));
    assert!(orders.iter().any(|o| !o.gift_certificates.is_empty()));
    assert!(orders.iter().any(|o| o
        .taxes
        .iter()
        .any(|t| matches!(t.target, bc_core::TaxTarget::Shipping))));
    assert!(orders.iter().any(|o| o.currency != o.default_currency));
    // One order read alone equals the listed one.
    let one = bc.order(&orders[3].id).await.unwrap();
    assert_eq!(one, orders[3]);
}

/// Imports every order (list pages + sub-resources) and sets the downloaded status on each;
/// returns the orders and the sandbox's request counts for that work.
async fn import_all(
    n: u64,
    seed: u64,
    transactions: bool,
) -> (Vec<Order>, bc_sandbox::stats::StatsSnapshot) {
    let sb = sandbox(n, seed);
    let cfg =
        config(&sb, "http://sandbox.invalid", "measure").with_payment_transactions(transactions);
    let bc = BigCommerce::with_transport(cfg, Arc::new(RouterTransport::new(sb.router()))).unwrap();
    let orders = all_orders(&bc, OrderQuery::default()).await;
    assert_eq!(orders.len() as u64, n);
    for o in &orders {
        bc.set_order_status(&o.id, &StatusId::new("9"))
            .await
            .unwrap();
    }
    (orders, sb.stats())
}

#[tokio::test]
async fn requests_per_imported_order() {
    let n = 300;
    let (orders, stats) = import_all(n, 5, true).await;
    let with_coupons = orders
        .iter()
        .filter(|o| {
            o.lines
                .iter()
                .flat_map(|l| &l.discounts)
                .any(|d| d.code.is_some())
                || o.discounts.iter().any(|d| d.code.is_some())
        })
        .count() as u64;
    let with_tax = orders.iter().filter(|o| !o.total_tax.is_zero()).count() as u64;
    let route = |k: &str| {
        stats
            .by_route
            .iter()
            .filter(|(r, _)| r.contains(k))
            .map(|(_, v)| *v)
            .sum::<u64>()
    };
    let per_order = stats.total as f64 / n as f64;
    println!(
        "requests for {n} orders: {} ({per_order:.3} per order); by route: {:#?}",
        stats.total, stats.by_route
    );
    println!("orders with coupons {with_coupons}, with tax {with_tax}");
    assert_eq!(route("/coupons"), with_coupons, "coupons only when present");
    assert_eq!(route("/taxes"), with_tax, "taxes only when present");
    let list_pages = stats
        .by_route
        .get("GET /stores/{store_hash}/v2/orders")
        .copied()
        .unwrap_or(0);
    assert_eq!(list_pages, 2, "300 orders: two list pages of 250");
    assert_eq!(
        route("/products"),
        0,
        "lines come with the list (consignments.line_items)"
    );
    assert_eq!(route("PUT /stores/{store_hash}/v2/orders/{order_id}"), n);
    assert!(per_order < 3.2, "{per_order}");

    // Without transactions (payment state from the order's payment_status).
    let (_, lean) = import_all(n, 5, false).await;
    let lean_per_order = lean.total as f64 / n as f64;
    println!(
        "without transactions: {} ({lean_per_order:.3} per order)",
        lean.total
    );
    assert_eq!(
        lean.by_route
            .iter()
            .filter(|(r, _)| r.contains("/transactions"))
            .count(),
        0
    );
    assert!(lean_per_order < per_order);
}

#[tokio::test]
async fn statuses_with_custom_labels_and_status_update() {
    let sb = sandbox(10, 3);
    let bc = connect(&sb, "status");
    let st = bc.statuses().await.unwrap();
    assert_eq!(st.len(), 15);
    let s11 = st.iter().find(|s| s.id.as_str() == "11").unwrap();
    assert_eq!(s11.name, "Awaiting Fulfillment");
    assert_eq!(s11.custom_label.as_deref(), Some("Ready to Pick"));
    assert!(s11.matches("ready to pick"));
    let o = sb.orders()[0].id;
    bc.set_order_status(&o.to_string().into(), &StatusId::new("12"))
        .await
        .unwrap();
    assert_eq!(sb.order_status(o), Some(12));
    let err = bc
        .set_order_status(&o.to_string().into(), &StatusId::new("Shipped"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    let err = bc.order(&"999999".into()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn orders_by_status_and_modified_since() {
    let sb = sandbox(40, 8);
    let bc = connect(&sb, "filter");
    let summaries = sb.orders();
    let mut by_status: BTreeMap<u8, usize> = BTreeMap::new();
    for s in &summaries {
        *by_status.entry(s.status_id).or_default() += 1;
    }
    let statuses: Vec<StatusId> = by_status
        .keys()
        .take(2)
        .map(|s| StatusId::new(s.to_string()))
        .collect();
    let want: usize = by_status.values().take(2).sum();
    let got = all_orders(
        &bc,
        OrderQuery {
            statuses: statuses.clone(),
            limit: Some(3),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(got.len(), want);
    assert!(got.iter().all(|o| statuses.contains(&o.status)));
    let mid = summaries[20].date_modified;
    let recent = all_orders(
        &bc,
        OrderQuery {
            modified_since: Some(mid),
            ..Default::default()
        },
    )
    .await;
    let want = summaries.iter().filter(|s| s.date_modified >= mid).count();
    assert_eq!(recent.len(), want);
    // Nothing matches: BigCommerce answers 204.
    let none = bc
        .orders(&OrderQuery {
            modified_since: Some(chrono::Utc::now() + chrono::Duration::days(3650)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.items.is_empty() && none.next.is_none());
}

#[tokio::test]
async fn shipments_inventory_refunds_payouts() {
    let sb = sandbox(60, 21);
    let bc = connect(&sb, "fulfil");
    let orders = all_orders(&bc, OrderQuery::default()).await;
    // Ship the unshipped physical lines of an order with one address.
    let o = orders
        .iter()
        .find(|o| {
            o.shipping_addresses.len() == 1
                && o.lines
                    .iter()
                    .any(|l| l.physical && l.quantity_shipped.is_zero())
        })
        .expect("an unshipped order");
    let lines: Vec<ShipmentLine> = o
        .lines
        .iter()
        .filter(|l| l.physical && l.quantity_shipped.is_zero())
        .map(|l| ShipmentLine {
            line_id: None,
            sku: l.sku.clone(),
            quantity: l.quantity,
        })
        .collect();
    let before = sb.shipments(o.id.as_str().parse().unwrap()).len();
    let r = bc
        .create_shipment(
            &o.id,
            &Shipment {
                tracking_number: Some("1Z999AA10123456784".into()),
                carrier: Some("UPS".into()),
                ship_via: Some("UPS Ground".into()),
                comments: None,
                lines,
                shipped_at: None,
            },
        )
        .await
        .unwrap();
    let after = sb.shipments(o.id.as_str().parse().unwrap());
    assert_eq!(after.len(), before + 1);
    assert!(after
        .iter()
        .any(|s| s["id"].to_string().as_str() == r.id.as_str()));

    // Inventory: absolute levels by SKU.
    let skus = sb.skus();
    let levels: Vec<InventoryLevel> = skus
        .iter()
        .take(3)
        .enumerate()
        .map(|(i, s)| InventoryLevel {
            sku: Sku::new(s.clone()),
            available: Decimal::from(10 + i),
        })
        .collect();
    bc.set_inventory(&levels).await.unwrap();
    assert_eq!(sb.stock_at(&skus[1], 1), Some(11));
    let too_many = vec![levels[0].clone(); 2001];
    assert_eq!(
        bc.set_inventory(&too_many).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    let batched = bc.set_inventory_batched(&too_many).await;
    assert_eq!(batched.len(), 2);
    assert!(batched.iter().all(|r| r.is_ok()));

    // Refunds: store-wide, every refund's parts add up to its total.
    let mut q = RefundQuery::default();
    let mut refunds = Vec::new();
    loop {
        let page = bc.refunds(&q).await.unwrap();
        refunds.extend(page.items);
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let expected: usize = sb.orders().iter().map(|s| sb.refunds(s.id).len()).sum();
    assert_eq!(refunds.len(), expected);
    assert!(expected > 0, "the seeded mix has refunds");
    for r in &refunds {
        assert_eq!(r.computed_total(), r.total, "refund {}", r.id);
        assert!(!r.method.is_empty());
    }
    let since = refunds.iter().map(|r| r.created_at).max().unwrap();
    let recent = bc
        .refunds(&RefundQuery {
            created_since: Some(since),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!recent.items.is_empty() && recent.items.iter().all(|r| r.created_at >= since));

    let err = bc.payouts(&PayoutQuery::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(!bc.capabilities().payouts);
}

fn address() -> Address {
    Address {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        company: Some("Analytical Engines Ltd".into()),
        street_1: "12 St James's Square".into(),
        street_2: None,
        city: "Austin".into(),
        state: "Texas".into(),
        zip: "78701".into(),
        country: "United States".into(),
        country_iso2: "US".into(),
        phone: None,
        email: Some("ada@example.com".into()),
    }
}

#[tokio::test]
async fn create_order_is_adopted_on_repeat() {
    let sb = sandbox(2, 1);
    let bc = connect(&sb, "create");
    let sku = sb.skus()[0].clone();
    let new = NewOrder {
        ledger_number: "SO-10042".into(),
        customer_id: None,
        billing: address(),
        shipping: address(),
        shipping_method: Some("Flat Rate".into()),
        lines: vec![NewOrderLine {
            sku: Sku::new(sku),
            name: "Widget".into(),
            quantity: Decimal::from(2),
            unit_price_ex_tax: Decimal::new(1250, 2),
        }],
        shipping_ex_tax: Decimal::new(500, 2),
        status: StatusId::new("11"),
        currency: Currency::USD,
        staff_notes: Some("from the ERP".into()),
    };
    let id = bc.create_order(&new).await.unwrap();
    let again = bc.create_order(&new).await.unwrap();
    assert_eq!(id, again, "a repeat adopts the order already created");
    assert_eq!(sb.orders().len(), 3);
    let o = bc.order(&id).await.unwrap();
    assert_eq!(o.lines.len(), 1);
    assert_eq!(o.lines[0].quantity, Decimal::from(2));
    assert_eq!(o.status.as_str(), "11");
}

#[tokio::test]
async fn customers_and_webhooks() {
    let sb = sandbox(30, 4);
    let bc = connect(&sb, "cust");
    let orders = all_orders(&bc, OrderQuery::default()).await;
    let o = orders
        .iter()
        .find(|o| matches!(o.customer, bc_core::OrderCustomer::Registered { .. }))
        .expect("a registered customer");
    let bc_core::OrderCustomer::Registered { id } = &o.customer else {
        unreachable!()
    };
    let c = bc
        .customer(id.as_str())
        .await
        .unwrap()
        .expect("customer by id");
    assert_eq!(&c.id, id);
    let by_mail = bc.customers_by_email(&c.email).await.unwrap();
    assert!(by_mail.iter().any(|x| x.id == c.id));
    assert!(bc.customer("987654321").await.unwrap().is_none());

    let secret = SecretString::from("hook-secret-1");
    let ids = bc
        .register_webhooks(
            "https://example.com/hooks",
            &["store/order/created", "store/order/statusUpdated"],
            "x-bcsync-secret",
            &secret,
        )
        .await
        .unwrap();
    let again = bc
        .register_webhooks(
            "https://example.com/hooks",
            &["store/order/created", "store/order/statusUpdated"],
            "x-bcsync-secret",
            &secret,
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids, again, "registering twice does not duplicate hooks");
}

#[tokio::test]
async fn over_loopback() {
    let sb = sandbox(12, 9);
    let served = bc_sandbox::serve::serve(sb.router(), 0).await.unwrap();
    let bc = BigCommerce::new(config(&sb, &served.base_url, "loop")).unwrap();
    let orders = all_orders(
        &bc,
        OrderQuery {
            limit: Some(5),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(orders.len(), 12);
    assert!(orders.iter().all(|o| o.check_totals().is_ok()));
    bc.set_order_status(&orders[0].id, &StatusId::new("2"))
        .await
        .unwrap();
    assert_eq!(
        sb.order_status(orders[0].id.as_str().parse().unwrap()),
        Some(2)
    );
    // A wrong token is refused.
    let mut bad = config(&sb, &served.base_url, "loop-bad");
    bad.access_token = SecretString::from("nope");
    let err = BigCommerce::new(bad).unwrap().statuses().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    served.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_platforms_rate_limit_headers_are_honoured() {
    // 20 requests per 400 ms: the sandbox answers 429 with X-Rate-Limit-Time-Reset-Ms and
    // Requests-Left; the client waits and nothing fails.
    let sb = sandbox_with(
        60,
        13,
        SandboxConfig {
            quota: 20,
            window_ms: 400,
            ..SandboxConfig::default()
        },
    );
    let bc = connect(&sb, "ratelimit");
    let orders = all_orders(
        &bc,
        OrderQuery {
            limit: Some(50),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(orders.len(), 60);
    assert!(orders.iter().all(|o| o.check_totals().is_ok()));
    let st = sb.stats();
    println!(
        "429s from the platform: {}; total requests {}",
        st.rate_limited, st.total
    );
    // The budget learns from Requests-Left = 0, so the platform rarely has to refuse (only
    // requests already in flight when the window ran out).
    assert!(
        st.rate_limited * 10 <= st.total,
        "{} 429s of {}",
        st.rate_limited,
        st.total
    );
}

#[tokio::test]
async fn faults_are_retried_and_unknown_writes_are_adopted() {
    let sb = sandbox(40, 17);
    let bc = connect(&sb, "chaos");
    sb.faults().set_plan(bc_sandbox::faults::FaultPlan {
        seed: 3,
        error_rate: 0.15,
        reset_rate: 0.1,
        commit_then_fail_rate: 0.3,
        ..Default::default()
    });
    let orders = all_orders(&bc, OrderQuery::default()).await;
    assert_eq!(orders.len(), 40);
    assert!(orders.iter().all(|o| o.check_totals().is_ok()));
    // Status updates are idempotent PUTs: retried through commit-then-fail.
    for o in orders.iter().take(10) {
        bc.set_order_status(&o.id, &StatusId::new("9"))
            .await
            .unwrap();
        assert_eq!(sb.order_status(o.id.as_str().parse().unwrap()), Some(9));
    }
    // ERP orders: a POST whose outcome is unknown is not repeated blindly; calling again
    // searches by external_order_id and adopts what the first call created.
    let sku = sb.skus()[1].clone();
    let mut created = Vec::new();
    for i in 0..8 {
        let new = NewOrder {
            ledger_number: format!("SO-CHAOS-{i}"),
            customer_id: None,
            billing: address(),
            shipping: address(),
            shipping_method: None,
            lines: vec![NewOrderLine {
                sku: Sku::new(sku.clone()),
                name: "Widget".into(),
                quantity: Decimal::ONE,
                unit_price_ex_tax: Decimal::TEN,
            }],
            shipping_ex_tax: Decimal::ZERO,
            status: StatusId::new("11"),
            currency: Currency::USD,
            staff_notes: None,
        };
        let mut unknown = 0;
        let id = loop {
            match bc.create_order(&new).await {
                Ok(id) => break id,
                Err(e) if e.kind() == ErrorKind::OutcomeUnknown => unknown += 1,
                Err(e) => panic!("{e}"),
            }
            assert!(unknown < 10);
        };
        created.push((id, unknown));
    }
    sb.faults().set_plan(bc_sandbox::faults::FaultPlan::none());
    assert_eq!(sb.orders().len(), 48, "each ERP order exists exactly once");
    let counts = sb.faults().counts();
    println!(
        "faults: {counts:?}; unknown outcomes per create: {:?}",
        created.iter().map(|c| c.1).collect::<Vec<_>>()
    );
}

/// A transport that drops `include=…` from requests, as if the store ignored it: the
/// connector must fall back to `/products` and `/shipping_addresses`.
#[derive(Debug)]
struct NoIncludes(RouterTransport);

#[async_trait::async_trait]
impl bc_http::HttpTransport for NoIncludes {
    async fn send(
        &self,
        mut request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, bc_http::TransportError> {
        let uri = request.uri().to_string();
        if let Some((path, query)) = uri.split_once('?') {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|p| !p.starts_with("include="))
                .collect();
            *request.uri_mut() = format!("{path}?{}", kept.join("&")).parse().unwrap();
        }
        self.0.send(request).await
    }
}

#[tokio::test]
async fn without_consignments_lines_come_from_products() {
    let sb = sandbox(25, 6);
    let normal = all_orders(&connect(&sb, "normal"), OrderQuery::default()).await;
    let before = sb.stats();
    let bc = BigCommerce::with_transport(
        config(&sb, "http://sandbox.invalid", "fallback"),
        Arc::new(NoIncludes(RouterTransport::new(sb.router()))),
    )
    .unwrap();
    let fallback = all_orders(&bc, OrderQuery::default()).await;
    assert_eq!(fallback, normal, "the same orders either way");
    let after = sb.stats();
    let count =
        |s: &bc_sandbox::stats::StatsSnapshot, k: &str| s.by_route.get(k).copied().unwrap_or(0);
    let products = "GET /stores/{store_hash}/v2/orders/{order_id}/products";
    assert_eq!(count(&after, products) - count(&before, products), 25);
}

#[tokio::test]
async fn the_access_token_never_shows() {
    const CANARY: &str = "CANARY-bc-93f1";
    let sb = sandbox_with(
        3,
        1,
        SandboxConfig {
            quota: 0,
            access_token: SecretString::from(CANARY),
            ..SandboxConfig::default()
        },
    );
    let cfg = config(&sb, "http://sandbox.invalid", "canary");
    let bc = connect(&sb, "canary");
    bc.statuses().await.unwrap();
    let err = bc.order(&"424242".into()).await.unwrap_err();
    let mut bad = cfg.clone();
    bad.access_token = SecretString::from(format!("{CANARY}-wrong"));
    let bad =
        BigCommerce::with_transport(bad, Arc::new(RouterTransport::new(sb.router()))).unwrap();
    let refused = bad.statuses().await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Unauthenticated);
    for text in [
        format!("{cfg:?}"),
        format!("{bc:?}"),
        format!("{err} {err:?}"),
        format!("{refused} {refused:?}"),
    ] {
        assert!(!text.contains(CANARY), "leak: {text}");
    }
}

/// Lines shipping to two addresses become one shipment per address, and a repeat of the same
/// shipment (a retry after a lost answer) creates nothing new.
#[tokio::test]
async fn multi_address_shipment_is_split_and_never_repeated() {
    let sb = sandbox(300, 5);
    let bc = connect(&sb, "split");
    let orders = all_orders(&bc, OrderQuery::default()).await;
    let o = orders
        .iter()
        .find(|o| {
            o.shipping_addresses.len() > 1
                && o.lines
                    .iter()
                    .all(|l| l.physical && l.quantity_shipped.is_zero())
        })
        .expect("an unshipped order with two addresses among 300");
    let shipment = Shipment {
        tracking_number: Some("1ZSPLIT0001".into()),
        carrier: Some("UPS".into()),
        ship_via: None,
        comments: None,
        lines: o
            .lines
            .iter()
            .map(|l| ShipmentLine {
                line_id: Some(l.line_id.clone()),
                sku: None,
                quantity: l.quantity,
            })
            .collect(),
        shipped_at: None,
    };
    let id: u64 = o.id.as_str().parse().unwrap();
    let before = sb.shipments(id).len();
    let first = bc.create_shipment(&o.id, &shipment).await.unwrap();
    let after = sb.shipments(id);
    let addresses: std::collections::BTreeSet<String> = o
        .lines
        .iter()
        .filter_map(|l| l.shipping_address_id.clone())
        .collect();
    assert_eq!(after.len(), before + addresses.len());
    let again = bc.create_shipment(&o.id, &shipment).await.unwrap();
    assert_eq!(
        sb.shipments(id).len(),
        after.len(),
        "a repeat must not ship twice"
    );
    assert_eq!(again.id, first.id);
}

/// A SKU the store does not sell does not stop the others from being pushed.
#[tokio::test]
async fn inventory_skips_skus_the_store_does_not_have() {
    let sb = sandbox(5, 2);
    let bc = connect(&sb, "unknown-sku");
    let known = sb.skus().into_iter().next().expect("a sku");
    let levels = vec![
        InventoryLevel {
            sku: Sku::new("NOT-IN-STORE-1"),
            available: Decimal::from(3),
        },
        InventoryLevel {
            sku: Sku::new(known.clone()),
            available: Decimal::from(41),
        },
        InventoryLevel {
            sku: Sku::new("NOT-IN-STORE-2"),
            available: Decimal::from(3),
        },
    ];
    bc.set_inventory(&levels).await.unwrap();
    assert_eq!(sb.stock_at(&known, 1), Some(41));
}
