//! What the connector saves, request by request: connecting in one request, the lists and
//! every reference a document names in one `/batch` (plus one to create bcsync's account
//! items), concurrent item creations and customer look-ups sharing requests, and display
//! names the company already holds skipped without a request answered 6240.

mod common;

use std::sync::Arc;

use bc_connector_qbo::QboLedger;
use bc_core::{Ledger, NewItem, Sku};
use bc_http::RouterTransport;
use bc_sandbox_qbo::Company;
use common::{client, document, options, sandbox, setup};
use rust_decimal_macros::dec;

/// The sandbox 5 ms away, as a network puts it (in-process, a request never yields, and
/// concurrent calls never overlap).
#[derive(Debug)]
struct Slow(RouterTransport);

#[async_trait::async_trait]
impl bc_http::HttpTransport for Slow {
    async fn send(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, bc_http::TransportError> {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        self.0.send(request).await
    }
}

async fn fresh(sb: &bc_sandbox_qbo::QboSandbox) -> QboLedger {
    QboLedger::connect(options(sb), Arc::new(RouterTransport::new(sb.router())))
        .await
        .expect("connect")
}

fn batches(sb: &bc_sandbox_qbo::QboSandbox) -> u64 {
    sb.stats().route_count("POST /v3/company/{realm_id}/batch")
}

#[tokio::test]
async fn connecting_is_one_request() {
    let sb = sandbox("5001", Company::Us);
    sb.stats().reset();
    let ledger = fresh(&sb).await;
    let snap = sb.stats().snapshot();
    assert_eq!(snap.total, 1, "{:?}", snap.by_route);
    assert_eq!(batches(&sb), 1);
    assert_eq!(ledger.company().home_currency, bc_core::Currency::USD);
}

#[tokio::test]
async fn a_documents_references_cost_two_requests_then_none() {
    let sb = sandbox("5002", Company::Us);
    let (_, c, widget) = setup(&sb).await;
    let ledger = fresh(&sb).await;
    let doc = document(1, &c, &widget, Company::Us, true);
    let ours = |sb: &bc_sandbox_qbo::QboSandbox| {
        sb.items()
            .iter()
            .filter(|i| i["Name"].as_str().is_some_and(|n| n.starts_with("bcsync ")))
            .count()
    };
    let before = ours(&sb);
    sb.stats().reset();
    ledger
        .prepare_documents(std::slice::from_ref(&doc))
        .await
        .expect("references");
    // The lists, the `Shipping` item and the account items in one `/batch` of queries; the
    // account items missing created in one more request.
    let snap = sb.stats().snapshot();
    assert_eq!(snap.total, 2, "{:?}", snap.by_route);
    assert_eq!(batches(&sb), 1, "the queries");
    let created = ours(&sb);
    assert!(created > before, "{before} → {created}");
    // Another document naming the same things: nothing to ask.
    sb.stats().reset();
    let other = document(2, &c, &widget, Company::Us, true);
    ledger
        .prepare_documents(std::slice::from_ref(&other))
        .await
        .expect("references");
    assert_eq!(sb.stats().snapshot().total, 0);
    // A new process adopts the account items it finds instead of creating them again.
    let again = fresh(&sb).await;
    again
        .prepare_documents(std::slice::from_ref(&doc))
        .await
        .expect("references");
    assert_eq!(ours(&sb), created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_created_concurrently_share_one_batch() {
    let sb = sandbox("5003", Company::Us);
    let ledger = fresh(&sb).await;
    let items: Vec<NewItem> = (0..12)
        .map(|n| NewItem {
            sku: Sku::new(format!("CO-{n}")),
            name: format!("Coalesced {n}"),
            item_type: bc_core::ItemType::Service,
            income_account: "Sales of Product Income".into(),
            expense_account: None,
            cogs_account: None,
            asset_account: None,
            product_class: None,
            unit_price: Some(dec!(3.50)),
        })
        .collect();
    // The references the items name, first (the chart of accounts).
    ledger.create_item(&items[0]).await.expect("the first item");
    sb.stats().reset();
    let out = futures::future::join_all(items[1..].iter().map(|i| ledger.create_item(i))).await;
    for (item, r) in items[1..].iter().zip(&out) {
        let r = r.as_ref().expect("created");
        assert_eq!(r.sku.as_ref(), Some(&item.sku));
        assert_eq!(r.name, item.name);
    }
    let ids: std::collections::BTreeSet<&str> = out
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|i| i.at.id.as_str()))
        .collect();
    assert_eq!(ids.len(), 11, "one item each");
    let snap = sb.stats().snapshot();
    assert_eq!(snap.total, 1, "{:?}", snap.by_route);
    assert_eq!(batches(&sb), 1);
}

#[tokio::test]
async fn concurrent_client_lookups_share_index_refreshes() {
    let sb = sandbox("5004", Company::Us);
    let ledger = QboLedger::connect(
        options(&sb),
        Arc::new(Slow(RouterTransport::new(sb.router()))),
    )
    .await
    .expect("connect");
    ledger
        .find_clients(&[bc_core::ClientKey::ImportId("x".into())])
        .await
        .expect("first read of the index");
    sb.stats().reset();
    let keys: Vec<Vec<bc_core::ClientKey>> = (0..6)
        .map(|n| vec![bc_core::ClientKey::ImportId(format!("k{n}"))])
        .collect();
    let out = futures::future::join_all(keys.iter().map(|k| ledger.find_clients(k))).await;
    assert!(out
        .iter()
        .all(|r| r.as_ref().is_ok_and(|v| v == &vec![None])));
    // Each lookup needs a refresh that started after it was made: the first one's, and one
    // more shared by the five that waited for it (one each before).
    let total = sb.stats().snapshot().total;
    assert!((1..=2).contains(&total), "{total} refreshes for 6 lookups");
}

#[tokio::test]
async fn display_names_already_taken_are_skipped_without_a_6240() {
    let sb = sandbox("5005", Company::Us);
    let ledger = fresh(&sb).await;
    // Pat Doe exists; two more clients called Pat Doe, and two called Sam Roe, in one call.
    ledger
        .create_client(&client("Pat Doe", "cust-1"))
        .await
        .expect("the first Pat Doe");
    ledger
        .find_clients(&[bc_core::ClientKey::ImportId("cust-1".into())])
        .await
        .expect("index");
    sb.stats().reset();
    let clients = vec![
        client("Pat Doe", "cust-2"),
        client("Pat Doe", "cust-3"),
        client("Sam Roe", "cust-4"),
        client("Sam Roe", "cust-5"),
    ];
    let out = Ledger::create_clients(&ledger, &clients).await;
    let names: Vec<String> = out
        .into_iter()
        .map(|r| r.expect("created").display_name)
        .collect();
    assert_eq!(
        names,
        vec![
            "Pat Doe (cust-2)".to_string(),
            "Pat Doe (cust-3)".to_string(),
            "Sam Roe".to_string(),
            "Sam Roe (cust-5)".to_string()
        ]
    );
    let snap = sb.stats().snapshot();
    assert_eq!(snap.total, 1, "{:?}", snap.by_route_status);
    assert_eq!(snap.by_status.get("200"), Some(&1));
    // Asked again for a client it already holds (by import id), it creates nothing.
    sb.stats().reset();
    let again = Ledger::create_clients(&ledger, &clients[..1]).await;
    assert_eq!(
        again[0].as_ref().map(|c| c.display_name.as_str()).ok(),
        Some("Pat Doe (cust-2)")
    );
    assert_eq!(sb.stats().snapshot().total, 0);
}
