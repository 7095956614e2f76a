//! `exceptions retry --all` over 200 exceptions against the BigCommerce sandbox (its own
//! 150-requests-per-30-s quota) with the connector's default rate limits: the bulk retry is
//! paced by the connector's limiter — the store never answers 429 — and reports progress.
//! Time is tokio's paused clock: the 30-second windows pass at once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use bc_connector_bigcommerce::{BigCommerce, BigCommerceConfig};
use bc_core::{Currency, ItemRef, LedgerRef, OrderQuery, Settings, Storefront};
use bc_engine::testing::MemoryLedger;
use bc_engine::{Engine, EngineOptions, MemoryStateStore, Progress, RetryFilter, StateStore};
use bc_http::{RetryPolicy, RouterTransport};
use bc_sandbox_bigcommerce::{BigCommerceConfig as BcSandboxConfig, BigCommerceSandbox};
use secrecy::SecretString;

const BASE: &str = r#"
[storefront]
platform = "bigcommerce"
store_hash = "paced"
access_token = "unused"
[ledger]
platform = "qbo"
realm_id = "paced"
client_id = "unused"
client_secret = "unused"
refresh_token = "unused"
[sync]
import_source_code = "BC1"
[orders]
new_order_status = ["11"]
downloaded_status = "10"
import_error_status = "12"
order_number_prefix = "BC-"
[posting]
discount_gl = "4900"
gift_card_liability_gl = "2300"
store_credit_gl = "2310"
shipping_gl = "4100"
handling_gl = "4110"
wrapping_gl = "4120"
rounding_gl = "4999"
non_taxable_code = "NON"
[payments]
record_payments = false
"#;

#[tokio::test(start_paused = true)]
async fn a_bulk_retry_of_200_exceptions_stays_inside_the_stores_rate_limit() {
    // The store's default plan: 150 requests per 30 s.
    let bc = BigCommerceSandbox::new(BcSandboxConfig::default());
    let ids = bc.seed_orders(200, 19);
    for id in &ids {
        bc.set_order_status(*id, 11).expect("status");
    }
    let token = bc.credentials_json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // The connector's own limits (150 / 30 s), no retry: a 429 would show.
    let storefront: Arc<dyn Storefront> = Arc::new(
        BigCommerce::with_transport(
            BigCommerceConfig::new(bc.store_hash(), SecretString::from(token))
                .with_api_base("http://sandbox.invalid")
                .with_retry(RetryPolicy::none()),
            Arc::new(RouterTransport::new(bc.router())),
        )
        .expect("connector"),
    );

    // Settings that map every tax zone the store uses, so that the only problem is the
    // orders' own: their SKUs are not items of the ledger (`create_missing_items` off).
    let mut zones = BTreeSet::new();
    let mut currencies = BTreeSet::new();
    let mut skus = BTreeSet::new();
    let mut q = OrderQuery {
        statuses: Vec::new(),
        modified_since: None,
        created_since: None,
        cursor: None,
        limit: Some(250),
    };
    loop {
        let page = storefront.orders(&q).await.expect("listing");
        for o in &page.items {
            zones.extend(o.taxes.iter().map(|t| t.zone.clone()));
            currencies.insert(o.currency);
            skus.extend(o.lines.iter().filter_map(|l| l.sku.clone()));
        }
        match page.next {
            Some(n) if Some(&n) != q.cursor.as_ref() => q.cursor = Some(n),
            _ => break,
        }
    }
    let tax_map: String = zones.iter().map(|z| format!("{z:?} = \"TAX\"\n")).collect();
    let settings =
        Settings::from_toml_str(&format!("{BASE}[tax_map]\n{tax_map}")).expect("settings");
    let ledger = Arc::new(MemoryLedger::new());
    ledger.set_capabilities(|c| {
        c.currencies = currencies
            .iter()
            .copied()
            .filter(|c| *c != Currency::USD)
            .collect();
        c.max_doc_number_len = None;
    });
    let engine = Engine::with_options(
        storefront,
        ledger.clone(),
        Arc::new(MemoryStateStore::new()) as Arc<dyn StateStore>,
        settings,
        EngineOptions {
            breaker_threshold: 1000,
            ..EngineOptions::default()
        },
    );
    bc.reset_rate_limit();
    let first = engine.sync_orders().await.expect("first run");
    assert_eq!(first.failed.len(), 200, "{first}");

    // The items are created in the ledger; every exception is retried at once.
    ledger.with(|l| {
        for (i, sku) in skus.iter().enumerate() {
            l.items.push(ItemRef {
                at: LedgerRef::new(format!("ITEM{i}")),
                name: sku.to_string(),
                sku: Some(sku.clone()),
                tracks_inventory: false,
            });
        }
    });
    let ticks = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let t = ticks.clone();
    engine.set_progress(Some(Arc::new(move |p| t.lock().unwrap().push(p))));
    let before = bc.stats();
    let started = tokio::time::Instant::now();
    let report = engine
        .retry_exceptions(&RetryFilter::All)
        .await
        .expect("retry");
    assert_eq!(report.requested, 200, "{report:?}");
    assert_eq!(report.synced, 200, "{report:?}");
    assert_eq!(report.still_failing, 0, "{report:?}");
    assert_eq!(ledger.with(|l| l.documents.len()), 200);

    // Paced: well over one window's quota of requests, spread over several windows, and not
    // one 429 from the store's limiter.
    let after = bc.stats();
    let requests = after.total - before.total;
    assert!(requests > 300, "{requests} requests");
    assert_eq!(
        after.rate_limited, 0,
        "the store answered 429: {:?}",
        after.by_status
    );
    let windows = requests / 150;
    println!(
        "retry: {requests} storefront requests in {:?} (paused clock), 429s: {}",
        started.elapsed(),
        after.rate_limited
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(30 * windows),
        "{requests} requests in {:?}",
        started.elapsed()
    );
    // Progress: every retried order, counting up.
    let ticks = ticks.lock().unwrap().clone();
    assert_eq!(ticks.iter().map(|p| p.done).max(), Some(200));
    let by_job: BTreeMap<String, usize> = ticks.iter().fold(BTreeMap::new(), |mut m, p| {
        *m.entry(p.job.to_string()).or_default() += 1;
        m
    });
    assert_eq!(by_job.get("orders"), Some(&200), "{by_job:?}");
}
