//! `bcsync connect qbo`: connects bcsync to a QuickBooks Online company with OAuth 2.0's
//! authorization-code flow and stores the token set in the state store.
//!
//! 1. Reads the settings file's `[ledger]` (`platform = "qbo"`: `client_id`, `client_secret`,
//!    `realm_id`, and the optional `redirect_uri`, `authorize_url`, `token_url`).
//! 2. Listens on the redirect URI's loopback address and prints the consent URL.
//! 3. The user opens it, signs in and chooses the company; Intuit sends the browser back to
//!    the loopback address with `code`, `state` and `realmId`.
//! 4. The `state` is checked (constant time), the code exchanged for a token set, the company
//!    compared with `ledger.realm_id`, and the set stored in the state store (account
//!    `qbo:<realm_id>`), where every later `bcsync run`, `sync` or worker reads it. A first
//!    call with the new set proves it works.
//!
//! Nothing is stored when any step fails; the error names the setting to fix.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{RawQuery, State};
use axum::response::Html;
use axum::routing::get;
use bc_connector_qbo::oauth::Authorization;
use bc_connector_qbo::QboConfig;
use bc_http::{StoredTokens, TokenStore};
use bcsync::tokens::StateTokenStore;
use tokio::sync::{mpsc, Mutex};

use super::service::{context, load, open_state, registry};

/// The platforms `bcsync connect` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Platform {
    /// QuickBooks Online (OAuth 2.0 authorization code).
    Qbo,
}

/// Runs `bcsync connect <platform>`.
/// With `json`, prints JSON lines: `{"authorize_url", "redirect_uri", "timeout_secs"}` when
/// it starts waiting for the browser, then `{"connected": true, "realm_id"}`.
pub async fn run(
    platform: Platform,
    config: &Path,
    timeout: Duration,
    json: bool,
) -> super::exit::CliResult {
    match platform {
        Platform::Qbo => qbo(config, timeout, json).await,
    }
}

type Redirects = Arc<Mutex<Option<mpsc::Sender<String>>>>;

async fn callback(State(tx): State<Redirects>, RawQuery(q): RawQuery) -> Html<&'static str> {
    let query = q.unwrap_or_default();
    if let Some(tx) = tx.lock().await.take() {
        let _ = tx.send(query).await;
    }
    Html(
        "<!doctype html><title>bcsync</title><p>bcsync received QuickBooks' answer. \
         You can close this window and return to the terminal.</p>",
    )
}

async fn qbo(config_path: &Path, timeout: Duration, json: bool) -> super::exit::CliResult {
    let settings = load(config_path)?;
    let file = config_path.display();
    if settings.ledger.platform != bc_connector_qbo::PLATFORM {
        return Err(super::exit::CliError::config(format!(
            "{file}: `ledger.platform` is \"{}\"; `bcsync connect qbo` needs \"qbo\"",
            settings.ledger.platform
        )));
    }
    let config = QboConfig::from_table(&settings.ledger).map_err(|e| format!("{file}: {e}"))?;
    let auth = Authorization {
        client_id: config.client_id.clone(),
        client_secret: config
            .client_secret("ledger")
            .map_err(|e| format!("{file}: {e}"))?,
        authorize_url: config.authorize_url(),
        token_url: config.token_url(),
        redirect_uri: config.redirect_uri(),
    };
    let redirect = url::Url::parse(&auth.redirect_uri)
        .map_err(|e| format!("{file}: `ledger.redirect_uri`: {e}"))?;
    let host = redirect.host_str().unwrap_or("127.0.0.1").to_string();
    let port = redirect.port_or_known_default().unwrap_or(80);
    let path = redirect.path().to_string();
    // Open the state store first: a token set that cannot be stored is worthless.
    let state = open_state(&settings).await?;

    let listener = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {host}:{port} for QuickBooks' redirect (`ledger.redirect_uri` = {}): {e}",
                auth.redirect_uri
            )
        })?;
    let started = auth.start().map_err(|e| format!("{file}: {e}"))?;
    let (tx, mut rx) = mpsc::channel::<String>(1);
    let app = axum::Router::new()
        .route(&path, get(callback))
        .with_state(Arc::new(Mutex::new(Some(tx))) as Redirects);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    if json {
        outln!(
            "{}",
            serde_json::json!({
                "authorize_url": started.url.to_string(),
                "redirect_uri": auth.redirect_uri.to_string(),
                "timeout_secs": timeout.as_secs(),
            })
        );
    } else {
        outln!("Open this address in a browser, sign in to QuickBooks and choose the company:");
        outln!("{}", started.url);
        outln!(
            "Waiting for QuickBooks to send the browser back to {} (up to {} s)…",
            auth.redirect_uri,
            timeout.as_secs()
        );
    }
    let query = tokio::time::timeout(timeout, rx.recv()).await;
    server.abort();
    let query = match query {
        Ok(Some(q)) => q,
        Ok(None) | Err(_) => {
            return Err(super::exit::CliError::config(format!(
                "no answer from QuickBooks within {} s: nothing was stored (run `bcsync connect qbo` again)",
                timeout.as_secs()
            )))
        }
    };

    let transport: Arc<dyn bc_http::HttpTransport> =
        Arc::new(bc_http::ReqwestTransport::new().map_err(|e| format!("cannot start HTTP: {e}"))?);
    let connected = auth
        .exchange(&started, &query, transport)
        .await
        .map_err(|e| format!("connecting to QuickBooks failed, nothing was stored: {e}"))?;
    if connected.realm_id.trim() != config.realm_id.trim() {
        return Err(super::exit::CliError::config(format!(
            "{file}: you chose company {} but `ledger.realm_id` is {}: nothing was stored; \
             set `ledger.realm_id = \"{}\"` or choose company {}",
            connected.realm_id, config.realm_id, connected.realm_id, config.realm_id
        )));
    }

    let store = StateTokenStore::new(
        state.clone(),
        bcsync::builtins::qbo_token_account(&config.realm_id),
    );
    let expires = connected
        .expires_in
        .map(|d| SystemTime::now() + d.saturating_sub(Duration::from_secs(60)));
    let mut stored = false;
    for _ in 0..8 {
        let generation = store
            .load()
            .await
            .map_err(|e| format!("cannot read the stored token set: {e}"))?
            .map(|t| t.generation)
            .unwrap_or(0);
        let set = StoredTokens {
            refresh_token: connected.refresh_token.clone(),
            access_token: Some(connected.access_token.clone()),
            access_expires_at: expires,
            refreshing_until: None,
            generation: generation + 1,
        };
        if store
            .compare_and_swap(generation, set)
            .await
            .map_err(|e| format!("cannot store the token set: {e}"))?
        {
            stored = true;
            break;
        }
    }
    if !stored {
        return Err(
            "another bcsync process kept changing the stored token set; stop it and run `bcsync connect qbo` again"
                .into(),
        );
    }

    // Prove the stored set works: connect the way `bcsync run` does.
    let ctx = context(config_path, &settings, state);
    registry()
        .ledger(&settings.ledger, ctx)
        .await
        .map_err(|e| format!("the token set was stored, but QuickBooks refused it: {e}"))?;
    if json {
        outln!(
            "{}",
            serde_json::json!({ "connected": true, "realm_id": config.realm_id })
        );
    } else {
        outln!(
            "Connected to QuickBooks company {}; the token set is stored in the state store \
             (`state.url`), where `bcsync run` and every worker read it.",
            config.realm_id
        );
    }
    Ok(())
}
