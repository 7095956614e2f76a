//! Helpers shared by the connector's integration tests: a sandbox company, options that reach
//! it in-process, a client, a generated invoice.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bc_connector_qbo::{QboLedger, QboOptions};
use bc_core::{
    Client, Contact, Currency, DocNumber, DocumentKind, DocumentTax, ImportId, ItemKey, Ledger,
    LedgerRef, OrderId, PostingTarget, SalesDocument, SalesLine, SalesLineKind, Sku, SourceCode,
};
use bc_http::{RetryPolicy, RouterTransport};
use bc_sandbox_qbo::{Company, QboConfig, QboSandbox};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use secrecy::SecretString;

pub fn sandbox(realm: &str, company: Company) -> QboSandbox {
    QboSandbox::new(QboConfig {
        realm_id: realm.to_string(),
        company,
        ..QboConfig::default()
    })
}

/// One token store per sandbox company, shared by every connection a test opens (as every
/// process of a realm shares the state store's): QBO rotates refresh tokens, so connections
/// that each kept their own would break each other.
pub fn token_store(sb: &QboSandbox) -> Arc<dyn bc_http::TokenStore> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static STORES: OnceLock<Mutex<HashMap<String, Arc<bc_http::MemoryTokenStore>>>> =
        OnceLock::new();
    let c = sb.credentials_json();
    let key = format!(
        "{}/{}",
        c["realm_id"].as_str().unwrap_or_default(),
        c["refresh_token"].as_str().unwrap_or_default()
    );
    let mut map = STORES
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.entry(key).or_default().clone()
}

pub fn options(sb: &QboSandbox) -> QboOptions {
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
    .with_access_token(
        SecretString::from(s("access_token")),
        Duration::from_secs(3600),
    )
    .with_retry(
        RetryPolicy::default()
            .with_max_attempts(3)
            .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
            .with_seed(7),
    )
    .with_token_store(token_store(sb))
}

pub async fn connect(sb: &QboSandbox) -> QboLedger {
    let transport = Arc::new(RouterTransport::new(sb.router()));
    QboLedger::connect(options(sb), transport)
        .await
        .expect("connect to the sandbox")
}

pub fn client(name: &str, import_id: &str) -> Client {
    Client {
        display_name: name.to_string(),
        company: None,
        contact: Some(Contact {
            first_name: "Pat".into(),
            last_name: "Doe".into(),
            email: None,
            phone: None,
        }),
        email: Some(format!("{import_id}@example.com")),
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some(import_id.to_string()),
        storefront_customer: None,
        currency: None,
    }
}

pub fn import_id(n: u32) -> ImportId {
    ImportId::new(
        SourceCode::new("BC1").expect("source code"),
        OrderId::new(n.to_string()),
    )
    .expect("import id")
}

pub fn line(
    kind: SalesLineKind,
    target: Option<PostingTarget>,
    qty: Decimal,
    unit: Decimal,
    amount: Decimal,
    tax: Option<&str>,
) -> SalesLine {
    SalesLine {
        kind,
        target,
        description: "line".into(),
        sku: None,
        quantity: qty,
        unit_price: unit,
        amount,
        tax_code: tax.map(Into::into),
    }
}

/// Widget × 3 at 25.00, a 5.00 coupon, 7.50 shipping, optional gift certificate, and the
/// storefront's tax (deliberately not what QBO would compute, to prove it is kept).
pub fn document(
    n: u32,
    client: &LedgerRef,
    widget: &LedgerRef,
    company: Company,
    gift: bool,
) -> SalesDocument {
    let (taxed, untaxed, currency, tax) = match company {
        Company::Us => ("California", None, Currency::USD, dec!(5.11)),
        Company::NonUs => ("20.0% S", Some("0.0% Z"), Currency::GBP, dec!(14.01)),
    };
    let mut lines = vec![
        line(
            SalesLineKind::Item {
                item: widget.clone(),
                line_id: "1".into(),
            },
            None,
            dec!(3),
            dec!(25),
            dec!(75.00),
            Some(taxed),
        ),
        line(
            SalesLineKind::Discount {
                code: Some("SAVE5".into()),
            },
            Some(PostingTarget::Account("Discounts given".into())),
            dec!(1),
            dec!(-5),
            dec!(-5.00),
            Some(taxed),
        ),
        line(
            SalesLineKind::Shipping,
            Some(PostingTarget::Item("Shipping".into())),
            dec!(1),
            dec!(7.5),
            dec!(7.50),
            untaxed,
        ),
    ];
    if gift {
        lines.push(line(
            SalesLineKind::GiftCertificate { code: "GC1".into() },
            Some(PostingTarget::Account("Gift Card Liability".into())),
            dec!(1),
            dec!(-10),
            dec!(-10.00),
            untaxed,
        ));
    }
    let taxes = vec![DocumentTax {
        tax_code: taxed.into(),
        zone: "Zone".into(),
        rate: dec!(7.25),
        line: Some(0),
        taxable_amount: dec!(70.00),
        amount: tax,
    }];
    let mut doc = SalesDocument {
        kind: DocumentKind::Invoice,
        import_id: import_id(n),
        order_id: OrderId::new(n.to_string()),
        number: DocNumber::Fixed(format!("BC-{n}")),
        client: client.clone(),
        lines,
        taxes,
        currency,
        exchange_rate: Decimal::ONE,
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        due_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 20),
        customer_memo: Some("Thanks!".into()),
        private_note: Some(format!(
            "bcsync import id {}; storefront order {n}",
            import_id(n)
        )),
        class: None,
        location: None,
        warehouse: None,
        ship_via: None,
        billing: None,
        shipping: None,
        order_total: Decimal::ZERO,
        payment: None,
        custom: Default::default(),
    };
    doc.order_total = doc.total();
    doc
}

pub async fn setup(sb: &QboSandbox) -> (QboLedger, LedgerRef, LedgerRef) {
    let ledger = connect(sb).await;
    let c = ledger
        .create_client(&client("Pat Doe", "cust-1"))
        .await
        .expect("client");
    let widget = ledger
        .find_items(&[ItemKey::Sku(Sku::new("WIDGET-1"))])
        .await
        .expect("find items")
        .pop()
        .flatten()
        .expect("the sandbox has WIDGET-1");
    (ledger, c.at, widget.at)
}
