//! `bcsync connect qbo` as a library: the consent URL, the sandbox's consent redirect, the
//! code exchanged at the token URL, and a ledger connected with what came back.

mod common;

use std::sync::Arc;

use bc_connector_qbo::oauth::{Authorization, ACCOUNTING_SCOPE};
use bc_connector_qbo::{QboLedger, QboOptions};
use bc_core::ErrorKind;
use bc_http::{HttpTransport, RouterTransport};
use bc_sandbox_qbo::{QboConfig, QboSandbox};
use bytes::Bytes;
use secrecy::SecretString;

const BASE: &str = "http://127.0.0.1:9";
const REDIRECT: &str = "http://127.0.0.1:8765/callback";

fn app(sb: &QboSandbox) -> Authorization {
    let c = sb.credentials_json();
    Authorization {
        client_id: c["client_id"].as_str().unwrap_or_default().to_string(),
        client_secret: SecretString::from(
            c["client_secret"].as_str().unwrap_or_default().to_string(),
        ),
        authorize_url: format!("{BASE}/connect/oauth2"),
        token_url: format!("{BASE}/oauth2/v1/tokens/bearer"),
        redirect_uri: REDIRECT.to_string(),
    }
}

/// What the browser does: open the consent URL, follow the redirect's `Location`.
async fn consent(transport: &RouterTransport, url: &str) -> String {
    let req = http::Request::get(url).body(Bytes::new()).expect("request");
    let resp = transport.send(req).await.expect("consent page");
    assert_eq!(resp.status(), 302);
    resp.headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_authorization_code_flow_gives_a_working_token_set() {
    let sb = QboSandbox::new(QboConfig {
        realm_id: "5001".into(),
        ..QboConfig::default()
    });
    let transport = RouterTransport::new(sb.router());
    let app = app(&sb);
    let started = app.start().expect("consent URL");
    assert!(started.url.starts_with(&format!("{BASE}/connect/oauth2?")));
    assert!(started.url.contains("response_type=code"));
    assert!(started.url.contains(&format!("scope={ACCOUNTING_SCOPE}")));
    let location = consent(&transport, &started.url).await;
    assert!(location.starts_with(REDIRECT), "{location}");
    let query = location.split_once('?').map(|x| x.1).unwrap_or_default();
    let connected = app
        .exchange(&started, query, Arc::new(transport.clone()))
        .await
        .expect("code exchanged");
    assert_eq!(connected.realm_id, "5001");
    assert!(!format!("{connected:?}").contains(connected_secret(&connected)));
    // The token set works.
    let c = sb.credentials_json();
    let options = QboOptions::new(
        connected.realm_id.clone(),
        c["client_id"].as_str().unwrap_or_default(),
        SecretString::from(c["client_secret"].as_str().unwrap_or_default().to_string()),
        connected.refresh_token.clone(),
    )
    .with_base_url(BASE)
    .with_token_url(format!("{BASE}/oauth2/v1/tokens/bearer"));
    QboLedger::connect(options, Arc::new(transport.clone()))
        .await
        .expect("connected with the new tokens");
    // A code is single use.
    let again = app.exchange(&started, query, Arc::new(transport)).await;
    assert_eq!(
        again.err().map(|e| e.kind()),
        Some(ErrorKind::Unauthenticated)
    );
}

fn connected_secret(c: &bc_connector_qbo::oauth::Connected) -> &str {
    use secrecy::ExposeSecret;
    c.refresh_token.expose_secret()
}

#[tokio::test]
async fn a_redirect_with_another_state_is_refused() {
    let sb = QboSandbox::new(QboConfig {
        realm_id: "5002".into(),
        ..QboConfig::default()
    });
    let transport = RouterTransport::new(sb.router());
    let app = app(&sb);
    let started = app.start().expect("consent URL");
    let location = consent(&transport, &started.url).await;
    let query = location.split_once('?').map(|x| x.1).unwrap_or_default();
    let forged = query.replace(&format!("state={}", started.state), "state=forged");
    let e = app
        .exchange(&started, &forged, Arc::new(transport.clone()))
        .await
        .expect_err("forged state");
    assert_eq!(e.kind(), ErrorKind::Invalid);
    let e = app
        .exchange(&started, "error=access_denied&state=x", Arc::new(transport))
        .await
        .expect_err("denied");
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
}
