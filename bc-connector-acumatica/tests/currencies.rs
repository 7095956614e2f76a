//! Currencies: the connector accepts the base currency and those `ledger.currencies` lists;
//! the sandbox refuses, as Acumatica does, a currency the company has not set up and a
//! currency other than the customer's when the customer has no currency override.

use bc_core::testkit::ledger::sample_document;
use bc_core::{
    Client, Currency, DocNumber, ErrorKind, ImportId, ItemKey, Ledger, LedgerRef, OrderId, Receipt,
    ReceiptState, Sku, SourceCode,
};
use bc_sandbox_acumatica::{AcumaticaSandbox, AcumaticaSandboxConfig, Kind};
use rust_decimal::Decimal;

mod common;
use common::{config, fixture, ledger};

fn client(key: &str) -> Client {
    Client {
        display_name: format!("Customer {key}"),
        company: None,
        contact: None,
        email: Some(format!("{key}@example.com")),
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some(key.into()),
        storefront_customer: None,
        currency: None,
    }
}

fn id(n: &str) -> ImportId {
    ImportId::new(SourceCode::new("CUR").unwrap(), OrderId::new(n)).unwrap()
}

#[tokio::test]
async fn the_accepted_currencies_come_from_the_settings() {
    let sb = AcumaticaSandbox::new(AcumaticaSandboxConfig::default());
    let usd_only = ledger(&sb, &config("cur-usd"));
    let caps = usd_only.capabilities();
    assert_eq!(caps.home_currency, Currency::USD);
    assert!(caps.accepts_currency(Currency::USD));
    assert!(!caps.accepts_currency(Currency::EUR));

    let mut cfg = config("cur-eur");
    cfg.currencies = vec![Currency::EUR, Currency::GBP];
    let multi = ledger(&sb, &cfg);
    let caps = multi.capabilities();
    assert!(caps.accepts_currency(Currency::EUR) && caps.accepts_currency(Currency::GBP));
    assert!(!caps.accepts_currency(Currency::JPY));

    // A customer the connector creates may buy in EUR; the invoice and its payment post in EUR.
    let c = multi.create_client(&client("eur1")).await.expect("client");
    let row = sb.record(Kind::Customer, &[&c.at.id]).expect("customer");
    assert_eq!(row["EnableCurrencyOverride"]["value"], true, "{row}");
    let item = multi
        .find_items(&[ItemKey::Sku(Sku::new("WIDGET-RED"))])
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    let mut doc = sample_document(&fixture(), &c.at, &item, id("1"), DocNumber::Auto);
    doc.currency = Currency::EUR;
    let at = multi.post_sales_document(&doc).await.expect("EUR invoice");
    let (_, nbr) = at.id.split_once('/').unwrap();
    let inv = sb.record(Kind::SalesInvoice, &["Invoice", nbr]).unwrap();
    assert_eq!(inv["Currency"]["value"], "EUR", "{inv}");
    let found = multi.find_document(&id("1")).await.unwrap().expect("found");
    assert_eq!(found.currency, Currency::EUR);
    let receipt = Receipt {
        import_id: id("1"),
        sequence: 0,
        document: at.clone(),
        client: c.at.clone(),
        receipt_type: "CARD".into(),
        deposit_account: "10200".into(),
        amount: Decimal::new(5000, 2),
        currency: Currency::EUR,
        state: ReceiptState::Captured,
        date: doc.date,
        reference: None,
    };
    multi.post_receipt(&receipt).await.expect("EUR payment");
    multi.logout().await.unwrap();
    usd_only.logout().await.unwrap();
}

#[tokio::test]
async fn the_sandbox_refuses_currencies_as_acumatica_does() {
    // A company with multi-currency off: the base currency only.
    let sb = AcumaticaSandbox::new(AcumaticaSandboxConfig {
        currencies: Vec::new(),
        ..AcumaticaSandboxConfig::default()
    });
    let mut cfg = config("cur-strict");
    // Settings that claim more than the company has set up: Acumatica has the last word.
    cfg.currencies = vec![Currency::EUR];
    let l = ledger(&sb, &cfg);
    let c = l.create_client(&client("strict1")).await.expect("client");
    let item = l
        .find_items(&[ItemKey::Sku(Sku::new("WIDGET-RED"))])
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    let mut doc = sample_document(&fixture(), &c.at, &item, id("2"), DocNumber::Auto);
    doc.currency = Currency::EUR;
    let e = l
        .post_sales_document(&doc)
        .await
        .expect_err("EUR not set up");
    assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
    assert_eq!(e.platform_code(), Some("422"), "{e}");
    assert!(
        e.to_string()
            .contains("Currency: 'Currency' cannot be found in the system."),
        "{e}"
    );
    // A customer in another currency than the company's is refused too.
    let mut jpy = client("strict2");
    jpy.currency = Some(Currency::JPY);
    let e = l.create_client(&jpy).await.expect_err("JPY not set up");
    assert!(e.to_string().contains("CurrencyID"), "{e}");
    // The base currency still posts.
    doc.currency = Currency::USD;
    l.post_sales_document(&doc).await.expect("USD invoice");
    l.logout().await.unwrap();

    // Multi-currency on, but a customer entered in Acumatica without currency override:
    // a EUR document for it is refused, naming the field.
    let sb = AcumaticaSandbox::new(AcumaticaSandboxConfig::default());
    let l = ledger(&sb, &cfg);
    let erp_customer = LedgerRef::new("ERPC0001");
    let row = sb
        .record(Kind::Customer, &["ERPC0001"])
        .expect("seeded customer");
    assert_ne!(row["EnableCurrencyOverride"]["value"], true, "{row}");
    let mut doc = sample_document(&fixture(), &erp_customer, &item, id("3"), DocNumber::Auto);
    doc.currency = Currency::EUR;
    let e = l.post_sales_document(&doc).await.expect_err("no override");
    assert!(
        e.to_string().contains("Currency:") && e.to_string().contains("currency override"),
        "{e}"
    );
    assert!(sb
        .documents_by_customer_order(&id("3").to_string())
        .is_empty());
    l.logout().await.unwrap();
}
