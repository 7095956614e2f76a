//! Tokens that survive: processes of one realm share a token store, refresh single-flight
//! (one refreshes, the others re-read), keep every rotated refresh token, and a process
//! restarted from the settings file's (long rotated) refresh token still connects. The sandbox
//! rotates refresh tokens as QBO does: the one used stops working at once.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bc_connector_qbo::{QboLedger, QboOptions};
use bc_core::{ClientKey, ErrorKind, Ledger};
use bc_http::{ExposeSecret, MemoryTokenStore, RetryPolicy, RouterTransport, TokenStore};
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use secrecy::SecretString;

/// Options as a settings file gives them: the refresh token from the day the company was
/// connected, no access token.
fn settings(sb: &QboSandbox) -> QboOptions {
    let c = sb.credentials_json();
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    QboOptions::new(
        s("realm_id"),
        s("client_id"),
        SecretString::from(s("client_secret")),
        SecretString::from(s("refresh_token")),
    )
    .with_base_url("http://127.0.0.1:9")
    .with_token_url("http://127.0.0.1:9/oauth2/v1/tokens/bearer")
    .with_retry(RetryPolicy::default().with_max_attempts(2).with_seed(3))
}

async fn process(
    sb: &QboSandbox,
    store: Option<Arc<dyn TokenStore>>,
) -> bc_core::Result<QboLedger> {
    let mut o = settings(sb);
    if let Some(s) = store {
        o = o.with_token_store(s);
    }
    QboLedger::connect(o, Arc::new(RouterTransport::new(sb.router()))).await
}

async fn work(l: &QboLedger, n: u32) -> bc_core::Result<()> {
    l.find_client(&ClientKey::Email(format!("nobody{n}@example.com")))
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_day_of_restarts_beside_a_concurrent_process_keeps_working() {
    let sb = QboSandbox::new(QboConfig {
        realm_id: "4001".into(),
        ..QboConfig::default()
    });
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    // `bcsync run` …
    let mut run = process(&sb, Some(store.clone()))
        .await
        .expect("run connects");
    // … and `bcsync sync orders --once` started beside it, from the same settings.
    let sync = process(&sb, Some(store.clone()))
        .await
        .expect("sync connects");
    let mut refreshes = 0;
    for hour in 1..=24 {
        sb.advance_clock(chrono::Duration::minutes(61)); // every access token expires
        if hour % 8 == 0 {
            // A restart: a new process, from the settings file's refresh token (rotated
            // many times since), finds the current set in the store.
            run = process(&sb, Some(store.clone())).await.expect("restart");
        }
        let (a, b) = tokio::join!(work(&run, hour), work(&sync, hour));
        a.expect("run keeps syncing");
        b.expect("the concurrent sync keeps working");
        let stored = store.load().await.expect("load").expect("a stored set");
        assert!(stored.refreshing_until.is_none(), "no claim left behind");
        refreshes = run.api().tokens().refresh_count() + sync.api().tokens().refresh_count();
    }
    assert!(refreshes >= 1);
    // Everyone used one chain of rotated tokens: the stored refresh token is the live one.
    let stored = store.load().await.expect("load").expect("set");
    let fresh = QboOptions {
        refresh_token: stored.refresh_token.clone(),
        ..settings(&sb)
    };
    QboLedger::connect(fresh, Arc::new(RouterTransport::new(sb.router())))
        .await
        .expect("the stored refresh token works");
    // The settings file's original token was rotated away long ago: alone it fails.
    let alone = process(&sb, None).await;
    assert_eq!(
        alone.err().map(|e| e.kind()),
        Some(ErrorKind::Unauthenticated)
    );
    assert_ne!(
        stored.refresh_token.expose_secret(),
        sb.credentials_json()["refresh_token"]
            .as_str()
            .unwrap_or_default()
    );
}

#[tokio::test]
async fn without_a_shared_store_two_processes_break_each_other() {
    // What issue 12 saw: `bcsync run` and `bcsync sync` each refreshing with the same token.
    let sb = QboSandbox::new(QboConfig {
        realm_id: "4002".into(),
        ..QboConfig::default()
    });
    let a = process(&sb, None).await.expect("first connects");
    let b = process(&sb, None).await;
    assert_eq!(b.err().map(|e| e.kind()), Some(ErrorKind::Unauthenticated));
    drop(a);
}

#[tokio::test]
async fn ten_concurrent_processes_refresh_once() {
    let sb = QboSandbox::new(QboConfig {
        realm_id: "4003".into(),
        ..QboConfig::default()
    });
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let mut ledgers = Vec::new();
    for _ in 0..10 {
        ledgers.push(process(&sb, Some(store.clone())));
    }
    let ledgers: Vec<QboLedger> = futures::future::join_all(ledgers)
        .await
        .into_iter()
        .map(|l| l.expect("connects"))
        .collect();
    let total: u64 = ledgers
        .iter()
        .map(|l| l.api().tokens().refresh_count())
        .sum();
    assert_eq!(total, 1, "one refresh for ten processes");
    let stored = store.load().await.expect("load").expect("set");
    assert!(stored.access_token.is_some());
    let _ = Duration::ZERO;
}
