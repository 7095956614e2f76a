//! Table tests: one per mapping rule of FEATURES.md, with the expected lines written by hand.

mod common;

use bc_core::plan::{
    plan_client, plan_credit_memo, plan_payout_journal, plan_receipts, CreditLookups, IssueCode,
};
use bc_core::*;
use chrono::{NaiveDate, TimeZone, Utc};
use common::*;
use rust_decimal_macros::dec;

fn l(
    kind: SalesLineKind,
    target: Option<PostingTarget>,
    desc: &str,
    qty: Decimal,
    unit: Decimal,
    amount: Decimal,
    tax: Option<&str>,
) -> SalesLine {
    SalesLine {
        kind,
        target,
        description: desc.into(),
        sku: None,
        quantity: qty,
        unit_price: unit,
        amount,
        tax_code: tax.map(Into::into),
    }
}

fn item_line(
    sku: &str,
    line_id: &str,
    qty: Decimal,
    unit: Decimal,
    amount: Decimal,
    tax: Option<&str>,
) -> SalesLine {
    SalesLine {
        sku: Some(Sku::new(sku)),
        ..l(
            SalesLineKind::Item {
                item: LedgerRef::new(format!("I-{sku}")),
                line_id: line_id.into(),
            },
            None,
            &format!("Product {sku}"),
            qty,
            unit,
            amount,
            tax,
        )
    }
}

fn acct(code: &str) -> Option<PostingTarget> {
    Some(PostingTarget::Account(code.into()))
}

fn item(name: &str) -> Option<PostingTarget> {
    Some(PostingTarget::Item(name.into()))
}

// O8: coupon → discount GL, gift certificate → liability, shipping → shipping item.
#[test]
fn o8_coupon_gift_certificate_and_shipping() {
    let mut a = line("1", "A", 2, dec!(10.0000));
    a.discounts.push(LineDiscount {
        kind: DiscountKind::Coupon,
        code: Some("SAVE10".into()),
        name: "10% off".into(),
        amount: dec!(2.0000),
    });
    let mut o = order(vec![a]);
    o.shipping.amount_ex_tax = dec!(5.0000);
    o.gift_certificates.push(GiftCertificateRedemption {
        code: "GC-1".into(),
        amount: dec!(7.5000),
    });
    fix_totals(&mut o);
    let doc = plan(&o, &settings()).unwrap();
    assert_eq!(
        doc.lines,
        vec![
            item_line("A", "1", dec!(2), dec!(10.0000), dec!(20.00), Some("NON")),
            l(
                SalesLineKind::Discount {
                    code: Some("SAVE10".into())
                },
                acct("4900"),
                "Coupon SAVE10",
                dec!(1),
                dec!(-2.0000),
                dec!(-2.00),
                Some("NON")
            ),
            l(
                SalesLineKind::Shipping,
                item("Shipping"),
                "Shipping",
                dec!(1),
                dec!(5.0000),
                dec!(5.00),
                Some("NON")
            ),
            l(
                SalesLineKind::GiftCertificate {
                    code: "GC-1".into()
                },
                acct("2300"),
                "Gift certificate GC-1",
                dec!(1),
                dec!(-7.5000),
                dec!(-7.50),
                Some("NON")
            ),
        ]
    );
    assert_eq!(doc.total(), dec!(23.00));
    assert_eq!(doc.net_total(), dec!(23.00)); // revenue not reduced by the certificate
    assert_eq!(doc.balance_due(), dec!(15.50));
    assert_eq!(doc.number, DocNumber::Fixed("BC-1042".into()));
    assert_eq!(doc.import_id.to_string(), "BC11042");
}

// O8: store credit → store credit liability; handling and wrapping to their items.
#[test]
fn o8_store_credit_handling_wrapping() {
    let mut o = order(vec![line("1", "B", 1, dec!(50.0000))]);
    o.handling.amount_ex_tax = dec!(2.0000);
    o.wrapping.amount_ex_tax = dec!(3.0000);
    o.store_credit = dec!(10.0000);
    fix_totals(&mut o);
    let doc = plan(&o, &settings()).unwrap();
    assert_eq!(
        doc.lines[1..],
        [
            l(
                SalesLineKind::Handling,
                item("Handling"),
                "Handling",
                dec!(1),
                dec!(2.0000),
                dec!(2.00),
                Some("NON")
            ),
            l(
                SalesLineKind::Wrapping,
                item("Gift Wrap"),
                "Gift wrapping",
                dec!(1),
                dec!(3.0000),
                dec!(3.00),
                Some("NON")
            ),
            l(
                SalesLineKind::StoreCredit,
                acct("2310"),
                "Store credit",
                dec!(1),
                dec!(-10.0000),
                dec!(-10.00),
                Some("NON")
            ),
        ]
    );
    assert_eq!(doc.total(), dec!(55.00));
}

// O8: a discount with no discount item or GL is an issue naming the settings.
#[test]
fn o8_missing_discount_target_names_the_setting() {
    let mut o = order(vec![line("1", "A", 1, dec!(10))]);
    o.discounts.push(OrderDiscount {
        kind: DiscountKind::Manual,
        code: None,
        name: "Manual".into(),
        amount: dec!(1),
    });
    fix_totals(&mut o);
    let s = settings_with(|s| s.posting.discount_gl = None);
    let issues = plan(&o, &s).unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].code, IssueCode::MissingPostingTarget);
    assert_eq!(issues[0].setting.as_deref(), Some("posting.discount_gl"));
    assert!(
        issues[0].to_string().contains("posting.discount_item"),
        "{}",
        issues[0]
    );
    assert!(issues[0].to_string().starts_with("order 1042: "));
}

// O9: tax copied per line, mapped zone → code; an unmapped zone holds the order, naming it.
#[test]
fn o9_tax_copied_and_unmapped_zone_is_an_exception() {
    let mut o = order(vec![
        line("1", "A", 3, dec!(3.3333)),
        line("2", "B", 1, dec!(10)),
    ]);
    o.taxes = vec![
        tax(
            TaxTarget::Line("1".into()),
            "CA State Tax",
            dec!(7.25),
            dec!(0.7250),
        ),
        tax(
            TaxTarget::Line("2".into()),
            "CA State Tax",
            dec!(7.25),
            dec!(0.7250),
        ),
        tax(
            TaxTarget::Line("2".into()),
            "Los Angeles County Tax",
            dec!(2.25),
            dec!(0.2250),
        ),
    ];
    fix_totals(&mut o);
    let doc = plan(&o, &settings()).unwrap();
    // 0.725 + 0.725 + 0.225 = 1.675 → 1.68 in total; the cent goes to the largest remainder.
    let amounts: Vec<_> = doc
        .taxes
        .iter()
        .map(|t| (t.tax_code.as_str(), t.line, t.amount))
        .collect();
    assert_eq!(
        amounts,
        vec![
            ("CA", Some(0), dec!(0.72)),
            ("CA", Some(1), dec!(0.73)),
            ("LAC", Some(1), dec!(0.23))
        ]
    );
    assert_eq!(doc.tax_total(), dec!(1.68));
    assert_eq!(doc.lines[0].tax_code.as_deref(), Some("CA"));
    assert_eq!(doc.lines[0].amount, dec!(10.00)); // 3 × 3.3333 = 9.9999
                                                  // 19.9999 + 1.675 = 21.6749 → 21.67: the rounded lines (20.00 + 1.68) get a −0.01 rounding line.
    assert_eq!(doc.lines.last().unwrap().kind, SalesLineKind::Rounding);
    assert_eq!(doc.lines.last().unwrap().amount, dec!(-0.01));
    assert_eq!(doc.total(), dec!(21.67));

    o.taxes.push(tax(
        TaxTarget::Shipping,
        "Nowhere County",
        dec!(1),
        dec!(0.10),
    ));
    fix_totals(&mut o);
    let issues = plan(&o, &settings()).unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].code, IssueCode::UnmappedTaxZone);
    assert_eq!(issues[0].setting.as_deref(), Some("tax_map"));
    assert!(
        issues[0].message.contains("Nowhere County"),
        "{}",
        issues[0]
    );
}

// O9: a "zone/class" entry wins over the zone's.
#[test]
fn o9_zone_class_mapping_wins() {
    let mut o = order(vec![line("1", "A", 1, dec!(10))]);
    o.taxes = vec![TaxLine {
        target: TaxTarget::Line("1".into()),
        zone: "EU VAT".into(),
        class: Some("Reduced".into()),
        rate: dec!(5),
        amount: dec!(0.50),
    }];
    fix_totals(&mut o);
    let s = settings_with(|s| {
        s.tax_map.insert("EU VAT/Reduced".into(), "VAT5".into());
    });
    let doc = plan(&o, &s).unwrap();
    assert_eq!(doc.taxes[0].tax_code, "VAT5");
    assert_eq!(doc.lines[0].tax_code.as_deref(), Some("VAT5"));
}

// O10: rounding within tolerance → a rounding line; beyond → issue; no target → issue.
#[test]
fn o10_rounding_line_only_within_tolerance() {
    // 3 lines of 1 × 0.3350: each rounds to 0.34 (1.02), the total 1.005 rounds to 1.01.
    let o = order(vec![
        line("1", "A", 1, dec!(0.3350)),
        line("2", "B", 1, dec!(0.3350)),
        line("3", "C", 1, dec!(0.3350)),
    ]);
    let doc = plan(&o, &settings()).unwrap();
    assert_eq!(
        doc.lines.last().unwrap(),
        &l(
            SalesLineKind::Rounding,
            item("Rounding"),
            "Rounding",
            dec!(1),
            dec!(-0.01),
            dec!(-0.01),
            Some("NON")
        )
    );
    assert_eq!(doc.total(), dec!(1.01));

    let strict = settings_with(|s| s.posting.rounding_tolerance = dec!(0.005));
    let issues = plan(&o, &strict).unwrap_err();
    assert_eq!(issues[0].code, IssueCode::RoundingBeyondTolerance);
    assert_eq!(
        issues[0].setting.as_deref(),
        Some("posting.rounding_tolerance")
    );

    let no_target = settings_with(|s| s.posting.rounding_item = None);
    let issues = plan(&o, &no_target).unwrap_err();
    assert_eq!(issues[0].code, IssueCode::MissingPostingTarget);
    assert_eq!(issues[0].setting.as_deref(), Some("posting.rounding_gl"));
}

// O11: currency and rate carried; a currency the ledger does not accept is an issue; JPY has 0 decimals.
#[test]
fn o11_currency() {
    let mut o = order(vec![line("1", "A", 1, dec!(1234.5600))]);
    o.currency = Currency::JPY;
    o.exchange_rate = dec!(0.0067);
    fix_totals(&mut o);
    let doc = plan(&o, &settings()).unwrap();
    assert_eq!(doc.currency, Currency::JPY);
    assert_eq!(doc.exchange_rate, dec!(0.0067));
    assert_eq!(doc.lines[0].amount, dec!(1235));
    assert_eq!(doc.total(), dec!(1235));

    o.currency = Currency::GBP;
    let issues = plan(&o, &settings()).unwrap_err();
    assert_eq!(issues[0].code, IssueCode::CurrencyNotEnabled);
    assert!(issues[0].message.contains("GBP"));
}

// O7: unknown SKU → exception naming create_missing_items; no SKU → issue; product_match = name.
#[test]
fn o7_items() {
    let o = order(vec![line("1", "NOPE", 1, dec!(1))]);
    let issues = plan(&o, &settings()).unwrap_err();
    assert_eq!(issues[0].code, IssueCode::UnknownItem);
    assert_eq!(
        issues[0].setting.as_deref(),
        Some("orders.create_missing_items")
    );
    assert!(issues[0].message.contains("NOPE"));

    let mut no_sku = line("1", "A", 1, dec!(1));
    no_sku.sku = None;
    let issues = plan(&order(vec![no_sku]), &settings()).unwrap_err();
    assert_eq!(issues[0].code, IssueCode::MissingSku);

    let by_name = settings_with(|s| s.orders.product_match = settings::ProductMatch::Name);
    assert_eq!(
        plan::item_key(&line("1", "A", 1, dec!(1)), &by_name),
        Some(ItemKey::Name("A".into()))
    );
    assert_eq!(
        plan::item_key(&line("1", "A", 1, dec!(1)), &settings()),
        Some(ItemKey::Sku(Sku::new("A")))
    );
}

// O6: prefix + number; auto_number; a number longer than the ledger allows is an issue.
#[test]
fn o6_document_numbers() {
    let o = order(vec![line("1", "A", 1, dec!(1))]);
    let auto = settings_with(|s| s.orders.auto_number = true);
    assert_eq!(plan(&o, &auto).unwrap().number, DocNumber::Auto);
    let long = settings_with(|s| s.orders.order_number_prefix = "BIGCOMMERCE-STORE-".into());
    let issues = plan(&o, &long).unwrap_err();
    assert_eq!(issues[0].code, IssueCode::DocNumberTooLong);
    assert_eq!(
        issues[0].setting.as_deref(),
        Some("orders.order_number_prefix")
    );
    assert!(
        issues[0].message.contains("BIGCOMMERCE-STORE-1042"),
        "{}",
        issues[0]
    );
    assert!(issues[0].message.contains("21"));
}

// O4: client matching.
#[test]
fn o4_client_matching() {
    let o = order(vec![]);
    // Registered: customer id first, then e-mail (lower-cased).
    let p = plan_client(&o, &settings());
    assert_eq!(
        p.keys,
        vec![
            ClientKey::ImportId("77".into()),
            ClientKey::Email("ada@example.com".into())
        ]
    );
    assert_eq!(p.new_client.display_name, "Ada Shopper");
    assert_eq!(p.new_client.import_id.as_deref(), Some("77"));
    assert_eq!(p.new_client.contact.as_ref().unwrap().first_name, "Ada");
    // Guest with match_client_by_email: e-mail only.
    let mut guest = o.clone();
    guest.customer = OrderCustomer::Guest;
    assert_eq!(
        plan_client(&guest, &settings()).keys,
        vec![ClientKey::Email("ada@example.com".into())]
    );
    assert_eq!(plan_client(&guest, &settings()).new_client.import_id, None);
    // Guest without: nothing to search, a new client.
    let off = settings_with(|s| s.orders.match_client_by_email = false);
    assert!(plan_client(&guest, &off).keys.is_empty());
    // Organisation: the company is the client.
    let org = settings_with(|s| s.orders.client_mode = settings::ClientMode::Organisation);
    assert_eq!(plan_client(&o, &org).new_client.display_name, "Shopper Ltd");
    // Generic: one client for every sale.
    let generic = settings_with(|s| s.orders.client_mode = settings::ClientMode::Generic);
    let p = plan_client(&o, &generic);
    assert_eq!(p.keys, vec![ClientKey::DisplayName("Web Sales".into())]);
    assert_eq!(p.new_client.display_name, "Web Sales");
    assert_eq!(p.new_client.email, None);
}

// O5, O12, O13: kind, dates in the account's time zone, due date, memo, class, location.
#[test]
fn o5_o12_o13_kind_dates_memo_class() {
    let mut o = order(vec![line("1", "A", 1, dec!(1))]);
    o.created_at = Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0).unwrap(); // 21:00 on Oct 31 in New York
    let s = settings_with(|s| {
        s.posting.due_date_offset_days = 30;
        s.posting.class = Some("Web".into());
        s.posting.location = Some("East".into());
    });
    let doc = plan(&o, &s).unwrap();
    assert_eq!(doc.kind, DocumentKind::Invoice);
    assert_eq!(doc.date, NaiveDate::from_ymd_opt(2026, 10, 31).unwrap());
    assert_eq!(doc.due_date, NaiveDate::from_ymd_opt(2026, 11, 30));
    assert_eq!(doc.customer_memo.as_deref(), Some("Leave at door"));
    assert_eq!(
        (doc.class.as_deref(), doc.location.as_deref()),
        (Some("Web"), Some("East"))
    );
    let default_msg = settings_with(|s| s.posting.use_default_customer_message = true);
    assert_eq!(plan(&o, &default_msg).unwrap().customer_memo, None);
    let started = settings_with(|s| s.sync.start_date = NaiveDate::from_ymd_opt(2026, 11, 1));
    let issues = plan(&o, &started).unwrap_err();
    assert_eq!(issues[0].code, IssueCode::BeforeStartDate);
    assert_eq!(issues[0].setting.as_deref(), Some("sync.start_date"));
    // Sales receipts carry their payment (P3) and have no due date.
    let mut paid = o.clone();
    paid.payments.push(Payment {
        method: "paypal".into(),
        gateway: None,
        transaction_id: Some("PP-1".into()),
        amount: dec!(1),
        state: PaymentState::Captured,
        at: None,
    });
    let sr = settings_with(|s| s.orders.document_kind = DocumentKind::SalesReceipt);
    let doc = plan(&paid, &sr).unwrap();
    assert_eq!(doc.kind, DocumentKind::SalesReceipt);
    assert_eq!(doc.due_date, None);
    assert_eq!(
        doc.payment,
        Some(DocumentPayment {
            receipt_type: "PAYPAL".into(),
            deposit_account: "1220".into(),
            reference: Some("PP-1".into())
        })
    );
}

fn payment(method: &str, amount: Decimal, state: PaymentState) -> Payment {
    Payment {
        method: method.into(),
        gateway: None,
        transaction_id: Some(format!("tx-{method}")),
        amount,
        state,
        at: None,
    }
}

// P1, P2, P3: payment map, pre-authorisations, purchase orders.
#[test]
fn p1_p2_p3_receipts() {
    let mut o = order(vec![line("1", "A", 1, dec!(30))]);
    o.payments = vec![
        payment("credit_card", dec!(10.005), PaymentState::Captured),
        payment("credit_card", dec!(5), PaymentState::Authorized),
        payment("purchase_order", dec!(15), PaymentState::Pending),
    ];
    let (doc, client) = (LedgerRef::new("INV-1"), LedgerRef::new("C1"));
    let r = plan_receipts(&o, &settings(), &caps(), &doc, &client).unwrap();
    assert_eq!(
        r.len(),
        1,
        "authorised-only without card_preauthorized and purchase orders make no receipt"
    );
    assert_eq!(
        (
            r[0].receipt_type.as_str(),
            r[0].deposit_account.as_str(),
            r[0].amount,
            r[0].state
        ),
        ("CARD", "1210", dec!(10.01), ReceiptState::Captured)
    );
    assert_eq!(r[0].document, doc);

    let pre = settings_with(|s| s.payments.card_preauthorized = true);
    let r = plan_receipts(&o, &pre, &caps(), &doc, &client).unwrap();
    assert_eq!(
        r.iter().map(|r| (r.sequence, r.state)).collect::<Vec<_>>(),
        vec![
            (0, ReceiptState::Captured),
            (1, ReceiptState::PreAuthorized)
        ]
    );

    o.payments
        .push(payment("bitcoin", dec!(1), PaymentState::Captured));
    let issues = plan_receipts(&o, &settings(), &caps(), &doc, &client).unwrap_err();
    assert_eq!(issues[0].code, IssueCode::UnmappedPaymentMethod);
    assert_eq!(issues[0].setting.as_deref(), Some("payment_map"));
    assert!(issues[0].message.contains("bitcoin"));

    let sr = settings_with(|s| s.orders.document_kind = DocumentKind::SalesReceipt);
    assert!(plan_receipts(&o, &sr, &caps(), &doc, &client)
        .unwrap()
        .is_empty());
}

fn refund(lines: Vec<RefundLine>, shipping: Decimal, tax: Decimal) -> Refund {
    let mut r = Refund {
        id: RefundId::new("9"),
        order_id: OrderId::new("1042"),
        created_at: Utc.with_ymd_and_hms(2026, 11, 5, 12, 0, 0).unwrap(),
        lines,
        shipping_ex_tax: shipping,
        handling_ex_tax: dec!(0),
        tax,
        other_amount: dec!(0),
        total: dec!(0),
        method: "credit_card".into(),
        currency: Currency::USD,
        reason: Some("Damaged".into()),
    };
    r.total = r.computed_total();
    r
}

// R1, R2: partial refund with restock → linked credit memo.
#[test]
fn r1_r2_partial_refund_with_restock() {
    let mut o = order(vec![
        line("1", "A", 2, dec!(10)),
        line("2", "B", 1, dec!(5)),
    ]);
    o.shipping.amount_ex_tax = dec!(4);
    o.taxes = vec![tax(
        TaxTarget::Line("1".into()),
        "CA State Tax",
        dec!(7.25),
        dec!(1.45),
    )];
    fix_totals(&mut o);
    let r = refund(
        vec![RefundLine {
            line_id: "1".into(),
            sku: None,
            quantity: dec!(1),
            amount_ex_tax: dec!(10),
            restock: true,
        }],
        dec!(4),
        dec!(0.725),
    );
    let s = settings_with(|s| {
        s.refunds.refund_prefix = "RF-".into();
        s.refunds.refund_clearing_account = Some("1210".into());
    });
    let (client, invoice, items, caps) = (
        LedgerRef::new("C1"),
        LedgerRef::new("INV-1"),
        items(),
        caps(),
    );
    let memo = plan_credit_memo(
        &r,
        &o,
        &s,
        &CreditLookups {
            client: &client,
            invoice: Some(&invoice),
            items: &items,
            ledger: &caps,
        },
    )
    .unwrap();
    assert_eq!(memo.number, DocNumber::Fixed("RF-9".into()));
    assert_eq!(memo.invoice, Some(invoice.clone()));
    assert_eq!(
        memo.lines,
        vec![
            CreditLine {
                kind: SalesLineKind::Item {
                    item: LedgerRef::new("I-A"),
                    line_id: "1".into()
                },
                target: None,
                description: "Product A".into(),
                sku: Some(Sku::new("A")),
                quantity: dec!(1),
                unit_price: dec!(10),
                amount: dec!(10.00),
                tax_code: Some("CA".into()),
                restock: true
            },
            CreditLine {
                kind: SalesLineKind::Shipping,
                target: item("Shipping"),
                description: "Shipping refund".into(),
                sku: None,
                quantity: dec!(1),
                unit_price: dec!(4),
                amount: dec!(4.00),
                tax_code: Some("NON".into()),
                restock: false
            },
            // 14.725 refunded, 14.00 + 0.73 = 14.73: no rounding needed.
        ]
    );
    assert_eq!(
        (memo.tax, memo.total, memo.tax_code.as_deref()),
        (dec!(0.73), dec!(14.73), Some("CA"))
    );
    assert_eq!(memo.refund_account.as_deref(), Some("1210"));
    assert_eq!(
        memo.memo.as_deref(),
        Some("Refund 9 of order 1042: Damaged")
    );

    // A refund before the order was posted, and one naming an unknown line, are issues.
    let issues = plan_credit_memo(
        &r,
        &o,
        &s,
        &CreditLookups {
            client: &client,
            invoice: None,
            items: &items,
            ledger: &caps,
        },
    )
    .unwrap_err();
    assert_eq!(issues[0].code, IssueCode::DocumentNotPosted);
    let bad = refund(
        vec![RefundLine {
            line_id: "77".into(),
            sku: None,
            quantity: dec!(1),
            amount_ex_tax: dec!(1),
            restock: false,
        }],
        dec!(0),
        dec!(0),
    );
    let issues = plan_credit_memo(
        &bad,
        &o,
        &s,
        &CreditLookups {
            client: &client,
            invoice: Some(&invoice),
            items: &items,
            ledger: &caps,
        },
    )
    .unwrap_err();
    assert_eq!(issues[0].code, IssueCode::UnknownOrderLine);
}

// Y1: a payout → one summarised, balanced journal.
#[test]
fn y1_payout_journal() {
    let payout = Payout {
        id: PayoutId::new("PO-77"),
        paid_at: Utc.with_ymd_and_hms(2026, 11, 6, 15, 0, 0).unwrap(),
        currency: Currency::USD,
        sales: vec![
            PayoutEntry {
                order_id: OrderId::new("1"),
                amount: dec!(100),
            },
            PayoutEntry {
                order_id: OrderId::new("2"),
                amount: dec!(50.50),
            },
        ],
        refunds: vec![PayoutEntry {
            order_id: OrderId::new("1"),
            amount: dec!(20),
        }],
        fees: dec!(4.66),
        adjustments: dec!(0),
        net: dec!(125.84),
    };
    let s = settings_with(|s| {
        s.payouts.enabled = true;
        s.payouts.bank_account = Some("1000".into());
        s.payouts.clearing_account = Some("1210".into());
        s.payouts.fees_account = Some("6100".into());
    });
    let j = plan_payout_journal(&payout, &s, &caps()).unwrap();
    let lines: Vec<_> = j
        .lines
        .iter()
        .map(|l| (l.account.as_str(), l.debit, l.credit))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("1000", dec!(125.84), dec!(0)),
            ("6100", dec!(4.66), dec!(0)),
            ("1210", dec!(0), dec!(130.50))
        ]
    );
    assert!(j.is_balanced());
    assert_eq!(j.key.as_str(), "BC1-PAYOUT-PO-77");
    // A payout whose parts do not add up is an issue, not a journal.
    let mut bad = payout.clone();
    bad.net = dec!(125.85);
    assert_eq!(
        plan_payout_journal(&bad, &s, &caps()).unwrap_err()[0].code,
        IssueCode::PayoutDoesNotReconcile
    );
}
