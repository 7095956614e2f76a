//! Unit tests of the mappings.

use super::*;
#[allow(unused_imports)]
use crate::wire::{self, Line, SalesForm};
#[allow(unused_imports)]
use bc_core::{
    Client, CreditKind, CreditMemo, DocNumber, DocumentKind, JournalEntry, LedgerRef, NewItem,
    PostingTarget, ReceiptState, SalesLine,
};
use rust_decimal_macros::dec;

#[test]
fn unit_prices_make_amounts() {
    assert_eq!(
        unit_price_for(dec!(3), dec!(3.33), dec!(9.99)),
        (dec!(3), dec!(3.33))
    );
    // 10.00 / 3: no two-decimal price works; a longer one does.
    let (q, p) = unit_price_for(dec!(3), dec!(3.333333), dec!(10.00));
    assert_eq!(q, dec!(3));
    assert_eq!((q * p).round_dp(2), dec!(10.00));
    // Negative tenders.
    assert_eq!(
        unit_price_for(dec!(1), dec!(-25), dec!(-25.00)),
        (dec!(1), dec!(-25))
    );
    // Zero quantity cannot express an amount: quantity 1.
    assert_eq!(
        unit_price_for(dec!(0), dec!(5), dec!(5)),
        (dec!(1), dec!(5))
    );
}

#[test]
fn markers_do_not_match_prefixes() {
    assert!(has_marker(Some("[bcsync:BC1100] note"), "BC1100"));
    assert!(has_marker(Some("[bcsync:BC1100]"), "BC1100"));
    assert!(!has_marker(Some("[bcsync:BC11001] note"), "BC1100"));
    assert!(!has_marker(Some("[bcsync:BC11]] x"), "BC11"));
    assert!(!has_marker(None, "BC11"));
}

fn doc(lines: Vec<SalesLine>, taxes: Vec<bc_core::DocumentTax>) -> SalesDocument {
    let import_id: ImportId = "BC11001".parse().unwrap();
    let mut d = SalesDocument {
        kind: DocumentKind::Invoice,
        order_id: import_id.order().clone(),
        import_id,
        number: DocNumber::Fixed("BC-1001".into()),
        client: LedgerRef::new("58"),
        lines,
        taxes,
        currency: Currency::USD,
        exchange_rate: Decimal::ONE,
        date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        due_date: None,
        customer_memo: None,
        private_note: Some("note".into()),
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
    d.order_total = d.total();
    d
}

fn line(
    kind: SalesLineKind,
    target: Option<PostingTarget>,
    amount: Decimal,
    tax: Option<&str>,
) -> SalesLine {
    SalesLine {
        kind,
        target,
        description: "x".into(),
        sku: None,
        quantity: Decimal::ONE,
        unit_price: amount,
        amount,
        tax_code: tax.map(Into::into),
    }
}

fn refs(style: TaxStyle) -> Refs {
    let mut r = Refs::new(style, Currency::USD);
    r.ids
        .insert(RefKey::Account("Discounts".into()), Ref::id("86"));
    r.ids.insert(RefKey::Item("Shipping".into()), Ref::id("4"));
    r.ids.insert(
        RefKey::AccountItem("Gift certificates".into(), "2300".into()),
        Ref::id("77"),
    );
    r.ids.insert(
        RefKey::AccountItem("Discounts".into(), "Discounts".into()),
        Ref::id("78"),
    );
    r.tax_codes.insert(
        "CA".into(),
        TaxCodeInfo {
            id: "3".into(),
            rates: vec![("5".into(), dec!(7.25))],
        },
    );
    r
}

fn sample() -> SalesDocument {
    let item = SalesLineKind::Item {
        item: LedgerRef::new("11"),
        line_id: "1".into(),
    };
    let mut l0 = line(item, None, dec!(10.00), Some("CA"));
    l0.quantity = dec!(3);
    l0.unit_price = dec!(3.333333);
    doc(
        vec![
            l0,
            line(
                SalesLineKind::Discount { code: None },
                Some(PostingTarget::Account("Discounts".into())),
                dec!(-1.00),
                Some("CA"),
            ),
            line(
                SalesLineKind::Shipping,
                Some(PostingTarget::Item("Shipping".into())),
                dec!(5.00),
                None,
            ),
            line(
                SalesLineKind::GiftCertificate { code: "G".into() },
                Some(PostingTarget::Account("2300".into())),
                dec!(-4.00),
                None,
            ),
        ],
        vec![bc_core::DocumentTax {
            tax_code: "CA".into(),
            zone: "CA".into(),
            rate: dec!(7.25),
            line: Some(0),
            taxable_amount: dec!(9.00),
            amount: dec!(0.66),
        }],
    )
}

#[test]
fn us_form_overrides_total_tax_and_marks_lines() {
    let d = sample();
    let f = sales_form(&d, "58", &refs(TaxStyle::Us)).unwrap();
    let tax = f.txn_tax_detail.as_ref().unwrap();
    assert_eq!(tax.total_tax, Some(dec!(0.66)));
    assert_eq!(tax.txn_tax_code_ref.as_ref().unwrap().value, "3");
    assert!(f.global_tax_calculation.is_none());
    let codes: Vec<Option<String>> = f
        .line
        .iter()
        .map(|l| {
            l.sales_item_line_detail
                .as_ref()
                .and_then(|d| d.tax_code_ref.as_ref().map(|r| r.value.clone()))
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            Some("TAX".into()),
            None,
            Some("NON".into()),
            Some("NON".into())
        ]
    );
    // One discount to an account: a DiscountLineDetail with a positive amount.
    assert_eq!(f.line[1].detail_type.as_deref(), Some("DiscountLineDetail"));
    assert_eq!(f.line[1].amount, Some(dec!(1.00)));
    // Qty × UnitPrice = Amount at two decimals.
    let d0 = f.line[0].sales_item_line_detail.as_ref().unwrap();
    assert_eq!(
        (d0.qty.unwrap() * d0.unit_price.unwrap()).round_dp(2),
        dec!(10.00)
    );
    // The gift certificate is a negative line on the liability item.
    assert_eq!(f.line[3].amount, Some(dec!(-4.00)));
    assert_eq!(
        f.line[3]
            .sales_item_line_detail
            .as_ref()
            .unwrap()
            .item_ref
            .as_ref()
            .unwrap()
            .value,
        "77"
    );
    // QBO's TotalAmt = Σ lines − discount + tax = balance due.
    let lines: Decimal = f
        .line
        .iter()
        .filter(|l| l.detail_type.as_deref() == Some("SalesItemLineDetail"))
        .filter_map(|l| l.amount)
        .sum();
    let disc: Decimal = f
        .line
        .iter()
        .filter(|l| l.detail_type.as_deref() == Some("DiscountLineDetail"))
        .filter_map(|l| l.amount)
        .sum();
    assert_eq!(lines - disc + dec!(0.66), d.balance_due());
    let note = f.private_note.as_deref();
    assert!(has_marker(note, "BC11001"));
    assert_eq!(tenders_in_note(note, "BC11001"), dec!(-4.00));
    assert_eq!(f.doc_number.as_deref(), Some("BC-1001"));
    let json = serde_json::to_string(&f).unwrap();
    assert!(json.contains("\"TotalTax\":0.66"), "{json}");
}

#[test]
fn non_us_form_has_line_codes_and_tax_lines() {
    let d = sample();
    let mut r = refs(TaxStyle::NonUs);
    r.default_tax_code = Some("CA".into());
    let f = sales_form(&d, "58", &r).unwrap();
    assert_eq!(f.global_tax_calculation.as_deref(), Some("TaxExcluded"));
    assert!(f.line.iter().all(|l| {
        l.sales_item_line_detail
            .as_ref()
            .and_then(|d| d.tax_code_ref.as_ref())
            .or(l
                .discount_line_detail
                .as_ref()
                .and_then(|d| d.tax_code_ref.as_ref()))
            .is_some_and(|c| c.value == "3")
    }));
    let tax = f.txn_tax_detail.as_ref().unwrap();
    assert_eq!(tax.total_tax, Some(dec!(0.66)));
    assert!(tax.txn_tax_code_ref.is_none());
    assert_eq!(tax.tax_line.len(), 1);
    assert_eq!(tax.tax_line[0].amount, Some(dec!(0.66)));
}

#[test]
fn several_account_discounts_post_through_an_item() {
    let mut d = sample();
    d.lines.insert(
        2,
        line(
            SalesLineKind::Discount {
                code: Some("B".into()),
            },
            Some(PostingTarget::Account("Discounts".into())),
            dec!(-0.50),
            None,
        ),
    );
    let needed = sales_refs_needed(&d);
    assert!(needed.contains(&RefKey::AccountItem("Discounts".into(), "Discounts".into())));
    let f = sales_form(&d, "58", &refs(TaxStyle::Us)).unwrap();
    assert!(f
        .line
        .iter()
        .all(|l| l.detail_type.as_deref() == Some("SalesItemLineDetail")));
    assert_eq!(f.line[1].amount, Some(dec!(-1.00)));
}

#[test]
fn refusals_are_clear() {
    let mut d = sample();
    d.number = DocNumber::Fixed("X".repeat(22));
    let e = sales_form(&d, "58", &refs(TaxStyle::Us)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(e.to_string().contains("21"));
    let mut d = sample();
    d.kind = DocumentKind::SalesOrder;
    assert_eq!(
        sales_form(&d, "58", &refs(TaxStyle::Us))
            .unwrap_err()
            .kind(),
        ErrorKind::Unsupported
    );
    let mut d = sample();
    d.lines[2].target = Some(PostingTarget::Item("Nope".into()));
    let e = sales_form(&d, "58", &refs(TaxStyle::Us)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("Nope"), "{e}");
    let mut d = sample();
    d.number = DocNumber::Auto;
    assert!(sales_form(&d, "58", &refs(TaxStyle::Us))
        .unwrap()
        .doc_number
        .is_none());
}

#[test]
fn unbalanced_journals_are_refused() {
    let j = JournalEntry {
        key: "BC1-PAYOUT-1".into(),
        number: DocNumber::Auto,
        date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        currency: Currency::USD,
        lines: vec![bc_core::JournalLine {
            account: "1000".into(),
            debit: dec!(1),
            credit: Decimal::ZERO,
            description: String::new(),
        }],
        memo: None,
    };
    assert_eq!(
        journal(&j, &refs(TaxStyle::Us)).unwrap_err().kind(),
        ErrorKind::Invalid
    );
}

#[test]
fn display_name_variants_are_stable() {
    let c = Client {
        display_name: "Ann: Smith".into(),
        company: None,
        contact: None,
        email: None,
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some("42".into()),
        storefront_customer: None,
        currency: None,
    };
    let v = display_name_variants(&c);
    assert_eq!(v[0], "Ann- Smith");
    assert_eq!(v[1], "Ann- Smith (42)");
    assert_eq!(v, display_name_variants(&c));
}

#[test]
fn names_are_cleaned() {
    assert_eq!(clean_name(" Acme:  Ltd\n", 100), "Acme- Ltd");
    assert_eq!(clean_name("abcdef", 3), "abc");
}
