//! Shared test setup: a sandbox tenant and a connected ledger over the in-process transport.
#![allow(dead_code)]

use std::sync::Arc;

use bc_core::{
    Client, ClientRef, Currency, DocNumber, DocumentKind, DocumentTax, ImportId, ItemKey, ItemRef,
    Ledger, OrderId, SalesDocument, SalesLine, SalesLineKind, Sku,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;

use bc_connector_bc365::{Bc365Config, Bc365Ledger};
use bc_core::settings::Secret;
use bc_core::testkit::ledger::LedgerFixture;
use bc_core::{PostingTarget, SourceCode};
use bc_http::RouterTransport;
use bc_sandbox_bc365::{Bc365Sandbox, Bc365SandboxConfig, GB_COMPANY_ID, US_COMPANY_ID};
use secrecy::ExposeSecret;

/// Which seeded company.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Co {
    /// CRONUS UK Ltd. (VAT, GBP with EUR and USD).
    Gb,
    /// CRONUS USA, Inc. (sales tax, USD).
    Us,
}

impl Co {
    pub fn id(self) -> &'static str {
        match self {
            Co::Gb => GB_COMPANY_ID,
            Co::Us => US_COMPANY_ID,
        }
    }
}

/// The connector's settings for a company of `sandbox`.
pub fn config(sandbox: &Bc365Sandbox, co: Co, post: bool) -> Bc365Config {
    let c = sandbox.config();
    let (home, currencies, area, untaxed) = match co {
        Co::Gb => ("GBP", vec!["EUR", "USD"], "DOMESTIC", "ZERO"),
        Co::Us => ("USD", vec!["CAD"], "ATLANTA", "NONTAXABLE"),
    };
    let text = format!(
        r#"
tenant_id = "{tenant}"
environment = "{env}"
company_id = "{company}"
client_id = "{client}"
client_secret = "{secret}"
home_currency = "{home}"
currencies = [{currencies}]
base_url = "http://localhost"
login_url = "http://localhost"

[posting]
post_documents = {post}
default_tax_area = "{area}"
untaxed_tax_code = "{untaxed}"
rounding_account = "69100"
returns_account = "40500"
"#,
        tenant = c.tenant_id,
        env = c.environment,
        company = co.id(),
        client = c.client_id,
        secret = c.client_secret.expose_secret(),
        currencies = currencies
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let _ = Secret::new("");
    Bc365Config::from_toml(&text).expect("test settings parse")
}

/// A ledger on `sandbox` (in-process).
pub async fn ledger(sandbox: &Bc365Sandbox, co: Co, post: bool) -> Bc365Ledger {
    let transport = Arc::new(RouterTransport::new(sandbox.router()));
    bc_connector_bc365::connect(&config(sandbox, co, post), Some(transport))
        .await
        .expect("connect")
}

/// A sandbox with its own app registration (its own rate budget in this process).
pub fn sandbox(seed: u64) -> Bc365Sandbox {
    let mut c = Bc365SandboxConfig::seeded(seed, 0.0);
    c.client_id = uuid_for(seed);
    Bc365Sandbox::new(c)
}

fn uuid_for(seed: u64) -> String {
    format!("9a8b7c6d-5e4f-4a3b-2c1d-{:012x}", seed)
}

/// The conformance fixture of a company.
pub fn fixture(co: Co) -> LedgerFixture {
    let untaxed = match co {
        Co::Gb => "ZERO",
        Co::Us => "NONTAXABLE",
    };
    LedgerFixture {
        discount: PostingTarget::Account("40400".into()),
        shipping: PostingTarget::Account("40200".into()),
        gift_card: PostingTarget::Account("20500".into()),
        rounding: PostingTarget::Account("69100".into()),
        tax_code: None,
        non_taxable_code: Some(untaxed.into()),
        income_account: "40100".into(),
        expense_account: "40100".into(),
        receipt_type: "CARD".into(),
        deposit_account: "10200".into(),
        journal_accounts: ("10100".into(), "10200".into()),
        currency: match co {
            Co::Gb => Currency::GBP,
            Co::Us => Currency::USD,
        },
        source: SourceCode::new("TST").expect("code"),
    }
}

pub fn import(order: &str) -> ImportId {
    ImportId::new(SourceCode::new("BC1").expect("code"), OrderId::new(order)).expect("import id")
}

pub async fn client(l: &Bc365Ledger, tag: &str) -> ClientRef {
    l.create_client(&Client {
        display_name: format!("Shopper {tag}"),
        company: None,
        contact: None,
        email: Some(format!("{tag}@example.com")),
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some(format!("c{tag}")),
        storefront_customer: None,
        currency: None,
    })
    .await
    .expect("create client")
}

pub async fn item(l: &Bc365Ledger, sku: &str) -> ItemRef {
    l.find_items(&[ItemKey::Sku(Sku::new(sku))])
        .await
        .expect("find item")
        .pop()
        .flatten()
        .expect("seeded item")
}

pub fn line(
    kind: SalesLineKind,
    target: Option<&str>,
    qty: Decimal,
    amount: Decimal,
    tax: Option<&str>,
) -> SalesLine {
    SalesLine {
        kind,
        target: target.map(|t| PostingTarget::Account(t.into())),
        description: "line".into(),
        sku: None,
        quantity: qty,
        unit_price: if qty.is_zero() { amount } else { amount / qty },
        amount,
        tax_code: tax.map(Into::into),
    }
}

pub fn item_line(i: &ItemRef, qty: Decimal, amount: Decimal, tax: Option<&str>) -> SalesLine {
    SalesLine {
        sku: i.sku.clone(),
        ..line(
            SalesLineKind::Item {
                item: i.at.clone(),
                line_id: "1".into(),
            },
            None,
            qty,
            amount,
            tax,
        )
    }
}

pub fn tax(code: &str, zone: &str, line: usize, amount: Decimal) -> DocumentTax {
    DocumentTax {
        tax_code: code.into(),
        zone: zone.into(),
        rate: dec!(20),
        line: Some(line),
        taxable_amount: Decimal::ZERO,
        amount,
    }
}

pub fn document(
    id: &ImportId,
    client: &ClientRef,
    currency: Currency,
    lines: Vec<SalesLine>,
    taxes: Vec<DocumentTax>,
) -> SalesDocument {
    let mut d = SalesDocument {
        kind: DocumentKind::Invoice,
        import_id: id.clone(),
        order_id: id.order().clone(),
        number: DocNumber::Fixed(format!("BC-{}", id.order())),
        client: client.at.clone(),
        lines,
        taxes,
        currency,
        exchange_rate: Decimal::ONE,
        date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
        due_date: None,
        customer_memo: None,
        private_note: None,
        class: None,
        location: None,
        warehouse: Some("MAIN".into()),
        ship_via: None,
        billing: None,
        shipping: None,
        order_total: Decimal::ZERO,
        payment: None,
        custom: Default::default(),
    };
    d.order_total = d.total();
    d
}

pub fn invoices_with(sb: &bc_sandbox_bc365::Bc365Sandbox, co: Co, key: &str) -> Vec<Value> {
    sb.rows(co.id(), "salesInvoices")
        .into_iter()
        .filter(|r| r["externalDocumentNumber"] == key)
        .collect()
}

pub fn d(v: &Value) -> Decimal {
    v.to_string().trim_matches('"').parse().unwrap_or_default()
}
