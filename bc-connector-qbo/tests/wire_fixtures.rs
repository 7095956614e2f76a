//! Intuit's documented response bodies, parsed: entities, batch answers, queries, faults,
//! the gateway's 401 and the throttling body.

use bc_connector_qbo::fault::{error_from_envelope, error_from_response};
use bc_connector_qbo::wire::{BatchResponse, Entity, Envelope};
use bc_core::ErrorKind;
use rust_decimal_macros::dec;

fn envelope(text: &str) -> Envelope {
    serde_json::from_str(text).expect("the fixture parses")
}

#[test]
fn invoice_create_response() {
    let env = envelope(include_str!("fixtures/invoice_create_response.json"));
    let inv = env.invoice.as_ref().expect("an Invoice");
    assert_eq!(inv.id.as_deref(), Some("238"));
    assert_eq!(inv.sync_token.as_deref(), Some("0"));
    assert_eq!(inv.doc_number.as_deref(), Some("1069"));
    assert_eq!(inv.total_amt, Some(dec!(150.0)));
    assert_eq!(inv.balance, Some(dec!(150.0)));
    assert_eq!(inv.line.len(), 2);
    let detail = inv.line[0].sales_item_line_detail.as_ref().expect("detail");
    assert_eq!(
        detail.tax_code_ref.as_ref().map(|r| r.value.as_str()),
        Some("NON")
    );
    assert_eq!(
        inv.txn_tax_detail.as_ref().and_then(|t| t.total_tax),
        Some(dec!(0))
    );
    assert!(error_from_envelope(&env, 200, "create").is_none());
    let w = Entity::written(&env).expect("written");
    assert_eq!(w.entity, "Invoice");
    assert_eq!(w.id.as_deref(), Some("238"));
}

#[test]
fn payment_create_response() {
    let env = envelope(include_str!("fixtures/payment_create_response.json"));
    let p = env.payment.as_ref().expect("a Payment");
    assert_eq!(p.total_amt, Some(dec!(25.0)));
    assert_eq!(p.line[0].linked_txn[0].txn_id, "67");
    assert_eq!(p.line[0].linked_txn[0].txn_type, "Invoice");
}

#[test]
fn batch_response_items_by_bid() {
    let b: BatchResponse =
        serde_json::from_str(include_str!("fixtures/batch_response.json")).expect("parses");
    assert_eq!(b.items.len(), 4);
    let fault = error_from_envelope(&b.items[0], 200, "create customer").expect("a fault");
    assert_eq!(b.items[0].bid.as_deref(), Some("bid1"));
    assert_eq!(fault.kind(), ErrorKind::Conflict);
    assert_eq!(fault.platform_code(), Some("6240"));
    assert!(fault
        .platform_message()
        .is_some_and(|m| m.contains("Duplicate Name Exists")));
    let inv = b.items[1].invoice.as_ref().expect("invoice");
    assert_eq!(inv.total_amt, Some(dec!(82.61)));
    let q = b.items[2].query_response.as_ref().expect("query");
    assert_eq!(q.sales_receipt.len(), 1);
    assert_eq!(q.total_count, Some(1));
    // An entity bcsync does not model is ignored, not an error.
    assert!(Entity::written(&b.items[3]).is_none());
    assert!(error_from_envelope(&b.items[3], 200, "x").is_none());
}

#[test]
fn customer_query() {
    let env = envelope(include_str!("fixtures/query_customer.json"));
    let q = env.query_response.expect("query");
    let c = &q.customer[0];
    assert_eq!(c.display_name.as_deref(), Some("Amy's Bird Sanctuary"));
    assert_eq!(
        c.primary_email_addr
            .as_ref()
            .and_then(|e| e.address.as_deref()),
        Some("Birds@Intuit.com")
    );
    assert!(bc_connector_qbo::mapping::has_marker(
        c.notes.as_deref(),
        "cust-77"
    ));
    assert_eq!(q.start_position, Some(1));
}

#[test]
fn preferences() {
    let env = envelope(include_str!("fixtures/preferences.json"));
    let p = env.preferences.expect("prefs");
    let cp = p.currency_prefs.expect("currency prefs");
    assert_eq!(cp.multi_currency_enabled, Some(false));
    assert_eq!(cp.home_currency.map(|r| r.value).as_deref(), Some("USD"));
    assert_eq!(p.tax_prefs.and_then(|t| t.partner_tax_enabled), Some(true));
    assert_eq!(
        p.sales_forms_prefs.and_then(|s| s.custom_txn_numbers),
        Some(true)
    );
}

#[test]
fn faults_map_to_kinds_and_keep_the_code() {
    let cases: [(&str, u16, ErrorKind, &str, bool); 7] = [
        (
            include_str!("fixtures/fault_stale_5010.json"),
            400,
            ErrorKind::Conflict,
            "5010",
            false,
        ),
        (
            include_str!("fixtures/fault_duplicate_doc_6140.json"),
            400,
            ErrorKind::Conflict,
            "6140",
            false,
        ),
        (
            include_str!("fixtures/fault_required_2020.json"),
            400,
            ErrorKind::Invalid,
            "2020",
            false,
        ),
        (
            include_str!("fixtures/fault_not_found_610.json"),
            400,
            ErrorKind::NotFound,
            "610",
            false,
        ),
        (
            include_str!("fixtures/fault_string_length_2050.json"),
            400,
            ErrorKind::Invalid,
            "2050",
            false,
        ),
        (
            include_str!("fixtures/throttle_429.json"),
            429,
            ErrorKind::RateLimited,
            "3001",
            true,
        ),
        (
            include_str!("fixtures/auth_401.json"),
            401,
            ErrorKind::Unauthenticated,
            "3200",
            false,
        ),
    ];
    for (body, status, kind, code, temporary) in cases {
        let e = error_from_response(status, body.as_bytes(), "op");
        assert_eq!(e.kind(), kind, "{code}: {e}");
        assert_eq!(e.platform_code(), Some(code), "{e}");
        assert_eq!(e.is_temporary(), temporary, "{code}");
        assert_eq!(e.platform(), Some("qbo"));
        assert!(e.platform_message().is_some_and(|m| !m.is_empty()));
    }
    // Several errors: the first decides, the others are kept.
    let e = error_from_response(
        400,
        include_str!("fixtures/fault_required_2020.json").as_bytes(),
        "op",
    );
    assert!(
        e.platform_message()
            .is_some_and(|m| m.contains("CustomerRef")),
        "{e}"
    );
    // A body that is not a fault: the status decides, nothing of the body is copied.
    let e = error_from_response(502, b"<html>Bad gateway secret-ish</html>", "op");
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert!(!e.to_string().contains("secret-ish"));
}
