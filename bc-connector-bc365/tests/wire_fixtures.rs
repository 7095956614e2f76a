//! Microsoft's documented API v2.0 examples (tests/fixtures) read by the connector's wire
//! types and error reader, and the sandbox's answers checked against their shape.

mod common;

use bc_connector_bc365::error::{from_batch, read_body};
use bc_connector_bc365::wire::{Customer, Document, JournalLine, Line};
use bc_core::ErrorKind;
use rust_decimal_macros::dec;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn sales_invoice_example_reads_exactly() {
    let d: Document = serde_json::from_value(fixture("salesinvoice_get.json")).expect("invoice");
    assert_eq!(d.number, "PS-INV103001");
    assert_eq!(d.status, "Paid");
    assert_eq!(d.currency_code, "USD");
    assert_eq!(d.total_amount_excluding_tax, dec!(164.7));
    assert_eq!(d.total_tax_amount, dec!(8.24));
    assert_eq!(d.total_amount_including_tax, dec!(172.94));
    assert!(!d.is_draft());
}

#[test]
fn invoice_line_customer_and_payment_examples_read() {
    let l: Line = serde_json::from_value(fixture("salesinvoiceline_get.json")).expect("line");
    assert_eq!(
        (l.line_type.as_str(), l.line_object_number.as_str()),
        ("Item", "1928-S")
    );
    assert_eq!(l.amount_including_tax, dec!(172.94));
    assert_eq!(l.quantity, dec!(3));
    let c: Customer = serde_json::from_value(fixture("customer_get.json")).expect("customer");
    assert!(c.tax_liable);
    assert_eq!(c.tax_area_id, "90196a90-44e3-ea11-bb43-000d3a2feca1");
    let p: JournalLine =
        serde_json::from_value(fixture("customerpayment_create_response.json")).expect("payment");
    assert_eq!(p.amount, dec!(1500));
    assert_eq!(p.document_number, "1234");
}

#[test]
fn batch_example_gives_per_operation_results() {
    let v = fixture("batch_response.json");
    let r = v["responses"].as_array().expect("responses");
    assert_eq!(r.len(), 3);
    let e = from_batch(
        "PATCH items",
        r[2]["status"].as_u64().unwrap_or(0) as u16,
        &r[2]["body"],
    );
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert_eq!(e.platform_code(), Some("Unknown"));
    assert_eq!(
        e.platform_message(),
        Some("'Invalid Type' is not an option. The existing options are: Inventory,Service,Non-Inventory")
    );
}

#[test]
fn entra_error_keeps_the_aadsts_code() {
    let d = read_body(401, &fixture("entra_invalid_client.json"));
    assert_eq!(d.kind, Some(ErrorKind::Unauthenticated));
    assert_eq!(d.code.as_deref(), Some("AADSTS7000215"));
    assert!(d
        .message
        .as_deref()
        .unwrap_or("")
        .starts_with("AADSTS7000215: Invalid client secret provided."));
    assert!(!d.message.as_deref().unwrap_or("").contains("Trace ID"));
}

/// The sandbox's invoices and customers carry every property of Microsoft's examples.
#[tokio::test]
async fn sandbox_speaks_the_documented_shapes() {
    let sb = common::sandbox(201);
    let _ = common::ledger(&sb, common::Co::Us, true).await;
    let customers = sb.rows(common::Co::Us.id(), "customers");
    let have = customers
        .first()
        .and_then(Value::as_object)
        .expect("a seeded customer");
    for key in fixture("customer_get.json")
        .as_object()
        .expect("object")
        .keys()
    {
        assert!(have.contains_key(key), "customer lacks `{key}`");
    }
    let items = sb.rows(common::Co::Us.id(), "items");
    assert!(items.iter().all(|i| i.get("@odata.etag").is_some()));
}
