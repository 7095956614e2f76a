//! Shared builders for bc-core's integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use bc_core::testkit::orders::SETTINGS_TOML;
use bc_core::*;
use chrono::{TimeZone, Utc};
use rust_decimal_macros::dec;

pub fn settings() -> Settings {
    Settings::from_toml_str(SETTINGS_TOML).expect("test settings load")
}

/// The test settings with `extra` TOML lines spliced in under their section headers.
pub fn settings_with(edit: impl FnOnce(&mut Settings)) -> Settings {
    let mut s = settings();
    edit(&mut s);
    s
}

pub fn caps() -> LedgerCapabilities {
    let mut caps = LedgerCapabilities::new("testledger", Currency::USD);
    caps.document_kinds = vec![DocumentKind::Invoice, DocumentKind::SalesReceipt];
    caps.batch_size = 30;
    caps.idempotency_keys = true;
    caps.max_doc_number_len = Some(21);
    caps.max_client_name_len = Some(100);
    caps.currencies = vec![Currency::EUR, Currency::CAD, Currency::JPY];
    caps.tax_model = TaxModel::PerLine;
    caps.create_items = true;
    caps.credit_memos = true;
    caps.journals = true;
    caps.shipments = true;
    caps.availability = true;
    caps.document_statuses = true;
    caps.set_document_status = true;
    caps.new_orders = true;
    caps
}

pub fn client() -> ClientRef {
    ClientRef {
        at: LedgerRef::new("C1"),
        display_name: "Ada Shopper".into(),
    }
}

/// Items SKU-0 … SKU-39 and A, B, C, keyed by SKU and by name.
pub fn items() -> BTreeMap<ItemKey, ItemRef> {
    let mut m = BTreeMap::new();
    let mut add = |sku: String| {
        let r = ItemRef {
            at: LedgerRef::new(format!("I-{sku}")),
            name: sku.clone(),
            sku: Some(Sku::new(sku.clone())),
            tracks_inventory: true,
        };
        m.insert(ItemKey::Sku(Sku::new(sku.clone())), r.clone());
        m.insert(ItemKey::Name(sku), r);
    };
    for i in 0..40 {
        add(format!("SKU-{i}"));
    }
    for s in ["A", "B", "C"] {
        add(s.to_string());
    }
    m
}

pub fn line(id: &str, sku: &str, qty: i64, unit: rust_decimal::Decimal) -> OrderLine {
    OrderLine {
        line_id: id.into(),
        sku: Some(Sku::new(sku)),
        name: format!("Product {sku}"),
        product_id: None,
        variant_id: None,
        quantity: qty.into(),
        unit_price_ex_tax: unit,
        unit_price_inc_tax: unit,
        total_ex_tax: unit * rust_decimal::Decimal::from(qty),
        discounts: vec![],
        tax_class: None,
        physical: true,
        shipping_address_id: None,
        quantity_shipped: dec!(0),
        quantity_refunded: dec!(0),
    }
}

/// A registered customer's order 1042 placed 2026-11-01 15:00 UTC, with `lines` and nothing
/// else; totals are computed.
pub fn order(lines: Vec<OrderLine>) -> Order {
    let mut o = Order {
        id: OrderId::new("1042"),
        number: "1042".into(),
        status: StatusId::new("11"),
        created_at: Utc.with_ymd_and_hms(2026, 11, 1, 15, 0, 0).unwrap(),
        modified_at: Utc.with_ymd_and_hms(2026, 11, 1, 15, 0, 0).unwrap(),
        customer: OrderCustomer::Registered {
            id: CustomerId::new("77"),
        },
        email: Some("Ada@Example.com".into()),
        billing: Address {
            first_name: "Ada".into(),
            last_name: "Shopper".into(),
            company: Some("Shopper Ltd".into()),
            ..Address::default()
        },
        shipping_addresses: vec![],
        lines,
        shipping: Charge::default(),
        handling: Charge::default(),
        wrapping: Charge::default(),
        discounts: vec![],
        gift_certificates: vec![],
        store_credit: dec!(0),
        taxes: vec![],
        payments: vec![],
        currency: Currency::USD,
        default_currency: Currency::USD,
        exchange_rate: dec!(1),
        total_ex_tax: dec!(0),
        total_tax: dec!(0),
        total_inc_tax: dec!(0),
        b2b: None,
        customer_message: Some("Leave at door".into()),
        staff_notes: None,
        custom: Default::default(),
    };
    fix_totals(&mut o);
    o
}

pub fn fix_totals(o: &mut Order) {
    o.total_ex_tax = o.computed_total_ex_tax();
    o.total_tax = o.tax_total();
    o.total_inc_tax = o.total_ex_tax + o.total_tax;
}

pub fn plan(o: &Order, s: &Settings) -> Result<SalesDocument, Vec<MappingIssue>> {
    let (c, i, l) = (client(), items(), caps());
    bc_core::plan::plan_sales_document(
        o,
        s,
        &bc_core::plan::Lookups {
            client: &c,
            items: &i,
            ledger: &l,
        },
    )
}

pub fn tax(
    target: TaxTarget,
    zone: &str,
    rate: rust_decimal::Decimal,
    amount: rust_decimal::Decimal,
) -> TaxLine {
    TaxLine {
        target,
        zone: zone.into(),
        class: None,
        rate,
        amount,
    }
}
