//! The Ledger conformance suite.
//!
//! ```no_run
//! # async fn example(ledger: &dyn bc_core::Ledger) {
//! use bc_core::testkit::ledger::{run_all, LedgerFixture};
//! let fixture = LedgerFixture::default(); // names that exist in your ledger
//! run_all(ledger, &fixture).await.expect("conformance");
//! # }
//! ```
//!
//! Each check returns `Err(String)` describing what the ledger did wrong, so a connector's
//! test can call the checks one by one or all at once.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::run_tag;
use crate::client::{Client, ClientKey, Contact};
use crate::document::*;
use crate::error::ErrorKind;
use crate::ids::{ImportId, LedgerRef, OrderId, Sku, SourceCode};
use crate::item::{ItemKey, ItemType, NewItem};
use crate::ledger::Ledger;
use crate::money::Currency;
use crate::page::Cursor;

/// What exists in the ledger under test: the names and codes the suite may use.
#[derive(Clone, Debug)]
pub struct LedgerFixture {
    /// Where discount lines post.
    pub discount: PostingTarget,
    /// Where shipping posts.
    pub shipping: PostingTarget,
    /// Where gift certificates post (a liability).
    pub gift_card: PostingTarget,
    /// Where rounding posts.
    pub rounding: PostingTarget,
    /// A valid tax code for taxed lines (`None`: post untaxed).
    pub tax_code: Option<crate::TaxArea>,
    /// The code for untaxed lines (US QuickBooks: `NON`).
    pub non_taxable_code: Option<crate::TaxArea>,
    /// Accounts for created items.
    pub income_account: String,
    /// Expense account for created non-inventory items.
    pub expense_account: String,
    /// A receipt type / payment method.
    pub receipt_type: String,
    /// A deposit / clearing account.
    pub deposit_account: String,
    /// Two accounts for a journal.
    pub journal_accounts: (String, String),
    /// Document currency.
    pub currency: Currency,
    /// The import source code of the suite's documents.
    pub source: SourceCode,
}

impl Default for LedgerFixture {
    fn default() -> Self {
        LedgerFixture {
            discount: PostingTarget::Account("Discounts".into()),
            shipping: PostingTarget::Item("Shipping".into()),
            gift_card: PostingTarget::Account("Gift Card Liability".into()),
            rounding: PostingTarget::Item("Rounding".into()),
            tax_code: None,
            non_taxable_code: None,
            income_account: "Sales".into(),
            expense_account: "Cost of Goods Sold".into(),
            receipt_type: "CARD".into(),
            deposit_account: "Undeposited Funds".into(),
            journal_accounts: ("Checking".into(), "Undeposited Funds".into()),
            currency: Currency::USD,
            source: SourceCode::new("TST").expect("TST is a valid source code"),
        }
    }
}

type Check = Result<(), String>;

fn fail<T>(what: &str, detail: impl std::fmt::Display) -> Result<T, String> {
    Err(format!("{what}: {detail}"))
}

/// Runs every check the ledger's capabilities call for.
pub async fn run_all(ledger: &dyn Ledger, fx: &LedgerFixture) -> Check {
    clients(ledger).await?;
    duplicate_client_names(ledger).await?;
    items(ledger, fx).await?;
    post_find_document(ledger, fx).await?;
    batch_post(ledger, fx).await?;
    update_document(ledger, fx).await?;
    receipts(ledger, fx).await?;
    credit_memo(ledger, fx).await?;
    journal(ledger, fx).await?;
    unsupported_matches_capabilities(ledger).await?;
    Ok(())
}

fn new_client(tag: &str) -> Client {
    Client {
        display_name: format!("Conformance Client {tag}"),
        company: Some(format!("Conformance Co {tag}")),
        contact: Some(Contact {
            first_name: "Conformance".into(),
            last_name: tag.to_string(),
            email: Some(format!("conf-{tag}@example.com")),
            phone: None,
        }),
        email: Some(format!("conf-{tag}@example.com")),
        phone: None,
        billing: None,
        shipping: None,
        import_id: Some(format!("cust-{tag}")),
        storefront_customer: None,
        currency: None,
    }
}

/// A client is found by import id, e-mail (any case) and display name after creation.
pub async fn clients(ledger: &dyn Ledger) -> Check {
    let tag = run_tag();
    let c = new_client(&tag);
    let created = ledger
        .create_client(&c)
        .await
        .map_err(|e| format!("create_client: {e}"))?;
    for key in [
        ClientKey::ImportId(format!("cust-{tag}")),
        ClientKey::Email(format!("CONF-{tag}@example.com").to_lowercase()),
        ClientKey::DisplayName(created.display_name.clone()),
    ] {
        match ledger.find_client(&key).await {
            Ok(Some(found)) if found.at.id == created.at.id => {}
            Ok(other) => {
                return fail(
                    "find_client",
                    format!("{key:?} gave {other:?}, expected {}", created.at.id),
                )
            }
            Err(e) => return fail("find_client", format!("{key:?}: {e}")),
        }
    }
    match ledger
        .find_client(&ClientKey::ImportId(format!("nobody-{tag}")))
        .await
    {
        Ok(None) => Ok(()),
        other => fail("find_client of an unknown import id", format!("{other:?}")),
    }
}

/// Two clients with the same display name are both created (a stable variant), never an error.
pub async fn duplicate_client_names(ledger: &dyn Ledger) -> Check {
    let tag = run_tag();
    let a = new_client(&tag);
    let mut b = new_client(&tag);
    b.import_id = Some(format!("cust-{tag}-b"));
    b.email = Some(format!("conf-{tag}-b@example.com"));
    let ra = ledger
        .create_client(&a)
        .await
        .map_err(|e| format!("create_client a: {e}"))?;
    let rb = ledger
        .create_client(&b)
        .await
        .map_err(|e| format!("create_client b (same name): {e}"))?;
    if ra.at.id == rb.at.id {
        return fail(
            "duplicate display name",
            "both clients got the same ledger id",
        );
    }
    Ok(())
}

async fn make_item(
    ledger: &dyn Ledger,
    fx: &LedgerFixture,
    tag: &str,
    n: u32,
) -> Result<crate::ItemRef, String> {
    let item = NewItem {
        sku: Sku::new(format!("CONF-{tag}-{n}")),
        name: format!("Conformance item {tag} {n}"),
        item_type: ItemType::NonInventory,
        income_account: fx.income_account.clone(),
        expense_account: Some(fx.expense_account.clone()),
        cogs_account: None,
        asset_account: None,
        product_class: None,
        unit_price: Some(Decimal::new(1000, 2)),
    };
    ledger
        .create_item(&item)
        .await
        .map_err(|e| format!("create_item: {e}"))
}

/// Items are found by SKU and by name, one answer per key in order; unknown keys give `None`.
pub async fn items(ledger: &dyn Ledger, fx: &LedgerFixture) -> Check {
    if !ledger.capabilities().create_items {
        return Ok(());
    }
    let tag = run_tag();
    let item = make_item(ledger, fx, &tag, 1).await?;
    let keys = vec![
        ItemKey::Sku(Sku::new(format!("CONF-{tag}-1"))),
        ItemKey::Sku(Sku::new(format!("CONF-{tag}-missing"))),
        ItemKey::Name(item.name.clone()),
    ];
    let found = ledger
        .find_items(&keys)
        .await
        .map_err(|e| format!("find_items: {e}"))?;
    if found.len() != 3 {
        return fail("find_items", format!("{} answers for 3 keys", found.len()));
    }
    match (&found[0], &found[1], &found[2]) {
        (Some(a), None, Some(c)) if a.at.id == item.at.id && c.at.id == item.at.id => Ok(()),
        other => fail("find_items", format!("unexpected answers {other:?}")),
    }
}

fn import_id(fx: &LedgerFixture, tag: &str, n: u32) -> ImportId {
    ImportId::new(fx.source, OrderId::new(format!("{tag}{n}")))
        .expect("a hex tag and a number make a valid order id")
}

/// A document with an item line, a discount, shipping, a gift certificate, taxed as the
/// fixture says. Its total is 100.00 − 5.00 + 7.50 + tax (8.00 when taxed).
pub fn sample_document(
    fx: &LedgerFixture,
    client: &LedgerRef,
    item: &crate::ItemRef,
    import_id: ImportId,
    number: DocNumber,
) -> SalesDocument {
    let taxed = fx.tax_code.is_some();
    let line = |kind,
                target: Option<PostingTarget>,
                desc: &str,
                qty: i64,
                unit: Decimal,
                amount: Decimal,
                tax: Option<crate::TaxArea>| SalesLine {
        kind,
        target,
        description: desc.to_string(),
        sku: None,
        quantity: Decimal::from(qty),
        unit_price: unit,
        amount,
        tax_code: tax,
    };
    let tax_code = fx.tax_code.clone().or_else(|| fx.non_taxable_code.clone());
    let mut lines = vec![
        SalesLine {
            sku: item.sku.clone(),
            ..line(
                SalesLineKind::Item {
                    item: item.at.clone(),
                    line_id: "1".into(),
                },
                None,
                &item.name,
                4,
                Decimal::new(2500, 2),
                Decimal::new(10000, 2),
                tax_code.clone(),
            )
        },
        line(
            SalesLineKind::Discount {
                code: Some("SAVE5".into()),
            },
            Some(fx.discount.clone()),
            "Coupon SAVE5",
            1,
            Decimal::new(-500, 2),
            Decimal::new(-500, 2),
            tax_code.clone(),
        ),
        line(
            SalesLineKind::Shipping,
            Some(fx.shipping.clone()),
            "Shipping",
            1,
            Decimal::new(750, 2),
            Decimal::new(750, 2),
            fx.non_taxable_code.clone(),
        ),
        line(
            SalesLineKind::GiftCertificate { code: "GC1".into() },
            Some(fx.gift_card.clone()),
            "Gift certificate GC1",
            1,
            Decimal::new(-1000, 2),
            Decimal::new(-1000, 2),
            fx.non_taxable_code.clone(),
        ),
    ];
    lines.shrink_to_fit();
    let taxes = match &fx.tax_code {
        Some(code) if taxed => vec![DocumentTax {
            tax_code: code.clone(),
            zone: "Conformance Tax".into(),
            rate: Decimal::new(842, 2),
            line: Some(0),
            taxable_amount: Decimal::new(9500, 2),
            amount: Decimal::new(800, 2),
        }],
        _ => Vec::new(),
    };
    let order_total = Decimal::new(10250, 2) + taxes.iter().map(|t| t.amount).sum::<Decimal>();
    SalesDocument {
        kind: DocumentKind::Invoice,
        order_id: import_id.order().clone(),
        import_id,
        number,
        client: client.clone(),
        lines,
        taxes,
        currency: fx.currency,
        exchange_rate: Decimal::ONE,
        date: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default(),
        due_date: NaiveDate::from_ymd_opt(2026, 12, 1),
        customer_memo: Some("Thank you".into()),
        private_note: None,
        class: None,
        location: None,
        warehouse: None,
        ship_via: None,
        billing: None,
        shipping: None,
        order_total,
        payment: None,
        custom: Default::default(),
    }
}

async fn setup(
    ledger: &dyn Ledger,
    fx: &LedgerFixture,
) -> Result<(String, LedgerRef, crate::ItemRef), String> {
    let tag = run_tag();
    let client = ledger
        .create_client(&new_client(&tag))
        .await
        .map_err(|e| format!("create_client: {e}"))?;
    let item = if ledger.capabilities().create_items {
        make_item(ledger, fx, &tag, 1).await?
    } else {
        return fail("setup", "the suite needs create_item to make its own items");
    };
    Ok((tag, client.at, item))
}

fn number(ledger: &dyn Ledger, tag: &str, n: u32) -> DocNumber {
    let mut s = format!("C{tag}{n}");
    if let Some(max) = ledger.capabilities().max_doc_number_len {
        s = s
            .chars()
            .rev()
            .take(max)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
    }
    DocNumber::Fixed(s)
}

/// A posted document is found by its import id with the same total; an unknown import id
/// finds nothing.
pub async fn post_find_document(ledger: &dyn Ledger, fx: &LedgerFixture) -> Check {
    let (tag, client, item) = setup(ledger, fx).await?;
    let id = import_id(fx, &tag, 1);
    let doc = sample_document(fx, &client, &item, id.clone(), number(ledger, &tag, 1));
    ledger
        .post_sales_document(&doc)
        .await
        .map_err(|e| format!("post_sales_document: {e}"))?;
    match ledger.find_document(&id).await {
        Ok(Some(found)) if found.total == doc.total() && found.import_id == id => {}
        Ok(other) => {
            return fail(
                "find_document",
                format!("expected total {}, got {other:?}", doc.total()),
            )
        }
        Err(e) => return fail("find_document", e),
    }
    match ledger.find_document(&import_id(fx, &tag, 99)).await {
        Ok(None) => Ok(()),
        other => fail(
            "find_document of an unknown import id",
            format!("{other:?}"),
        ),
    }
}

/// A batch of three documents gives three results in order, each findable.
pub async fn batch_post(ledger: &dyn Ledger, fx: &LedgerFixture) -> Check {
    let (tag, client, item) = setup(ledger, fx).await?;
    let docs: Vec<SalesDocument> = (1..=3)
        .map(|n| {
            sample_document(
                fx,
                &client,
                &item,
                import_id(fx, &tag, n),
                number(ledger, &tag, n),
            )
        })
        .collect();
    let results = ledger.post_sales_documents(&docs).await;
    if results.len() != 3 {
        return fail(
            "post_sales_documents",
            format!("{} results for 3 documents", results.len()),
        );
    }
    for (r, d) in results.iter().zip(&docs) {
        if let Err(e) = r {
            return fail("post_sales_documents", format!("{}: {e}", d.import_id));
        }
    }
    let found = ledger
        .find_documents(&docs.iter().map(|d| d.import_id.clone()).collect::<Vec<_>>())
        .await;
    for (f, d) in found.iter().zip(&docs) {
        match f {
            Ok(Some(x)) if x.total == d.total() => {}
            other => {
                return fail(
                    "find_documents after batch",
                    format!("{}: {other:?}", d.import_id),
                )
            }
        }
    }
    Ok(())
}

/// An editable document is updated in place (O14): same reference, new total.
pub async fn update_document(ledger: &dyn Ledger, fx: &LedgerFixture) -> Check {
    let (tag, client, item) = setup(ledger, fx).await?;
    let id = import_id(fx, &tag, 1);
    let mut doc = sample_document(fx, &client, &item, id.clone(), number(ledger, &tag, 1));
    let at = ledger
        .post_sales_document(&doc)
        .await
        .map_err(|e| format!("post: {e}"))?;
    let found = ledger
        .find_document(&id)
        .await
        .map_err(|e| format!("find: {e}"))?;
    let Some(found) = found else {
        return fail("find_document", "nothing after post");
    };
    if !found.editable {
        return Ok(()); // this ledger posts documents final; O14 then goes to the exception queue.
    }
    // Change the quantity: 5 × 25.00.
    doc.lines[0].quantity = Decimal::from(5);
    doc.lines[0].amount = Decimal::new(12500, 2);
    doc.order_total += Decimal::new(2500, 2);
    let at = found
        .at
        .version
        .as_ref()
        .map(|_| found.at.clone())
        .unwrap_or(at);
    let updated = ledger
        .update_sales_document(&at, &doc)
        .await
        .map_err(|e| format!("update_sales_document: {e}"))?;
    if updated.id != at.id {
        return fail(
            "update_sales_document",
            format!(
                "made a new document {} instead of updating {}",
                updated.id, at.id
            ),
        );
    }
    match ledger.find_document(&id).await {
        Ok(Some(f)) if f.total == doc.total() => Ok(()),
        other => fail(
            "find_document after update",
            format!("expected total {}, got {other:?}", doc.total()),
        ),
    }
}

/// A receipt against a posted document is accepted.
pub async fn receipts(ledger: &dyn Ledger, fx: &LedgerFixture) -> Check {
    let (tag, client, item) = setup(ledger, fx).await?;
    let id = import_id(fx, &tag, 1);
    let doc = sample_document(fx, &client, &item, id.clone(), number(ledger, &tag, 1));
    let at = ledger
        .post_sales_document(&doc)
        .await
        .map_err(|e| format!("post: {e}"))?;
    let receipt = Receipt {
        import_id: id,
        sequence: 0,
        document: at,
        client,
        receipt_type: fx.receipt_type.clone(),
        deposit_account: fx.deposit_account.clone(),
        amount: doc.balance_due(),
        currency: fx.currency,
        state: ReceiptState::Captured,
        date: doc.date,
        reference: Some(format!("tx-{tag}")),
    };
    ledger
        .post_receipt(&receipt)
        .await
        .map(|_| ())
        .map_err(|e| format!("post_receipt: {e}"))
}

/// A credit memo for part of a document is posted, linked, and found by refund id.
pub async fn credit_memo(ledger: &dyn Ledger, fx: &LedgerFixture) -> Check {
    if !ledger.capabilities().credit_memos {
        return Ok(());
    }
    let (tag, client, item) = setup(ledger, fx).await?;
    let id = import_id(fx, &tag, 1);
    let doc = sample_document(fx, &client, &item, id.clone(), number(ledger, &tag, 1));
    let at = ledger
        .post_sales_document(&doc)
        .await
        .map_err(|e| format!("post: {e}"))?;
    let memo = CreditMemo {
        kind: CreditKind::CreditMemo,
        import_id: id.clone(),
        refund_id: format!("R{tag}"),
        number: match number(ledger, &tag, 7) {
            DocNumber::Fixed(n) => DocNumber::Fixed(format!("R{}", &n[1..])),
            auto => auto,
        },
        client,
        invoice: Some(at),
        lines: vec![CreditLine {
            kind: SalesLineKind::Item {
                item: item.at.clone(),
                line_id: "1".into(),
            },
            target: None,
            description: item.name.clone(),
            sku: item.sku.clone(),
            quantity: Decimal::ONE,
            unit_price: Decimal::new(2500, 2),
            amount: Decimal::new(2500, 2),
            tax_code: fx.tax_code.clone().or_else(|| fx.non_taxable_code.clone()),
            restock: true,
        }],
        tax: Decimal::ZERO,
        tax_code: None,
        total: Decimal::new(2500, 2),
        refund_account: Some(fx.deposit_account.clone()),
        currency: fx.currency,
        date: doc.date,
        memo: Some("Conformance refund".into()),
        warehouse: None,
    };
    let posted = ledger
        .post_credit_memo(&memo)
        .await
        .map_err(|e| format!("post_credit_memo: {e}"))?;
    match ledger
        .find_credit_memo(&id, &crate::RefundId::new(memo.refund_id.clone()))
        .await
    {
        Ok(Some(found)) if found.id == posted.id => Ok(()),
        other => fail(
            "find_credit_memo",
            format!("expected {}, got {other:?}", posted.id),
        ),
    }
}

/// A balanced journal is posted and found by key; an unbalanced one is refused as Invalid.
pub async fn journal(ledger: &dyn Ledger, fx: &LedgerFixture) -> Check {
    if !ledger.capabilities().journals {
        return Ok(());
    }
    let tag = run_tag();
    let (a, b) = &fx.journal_accounts;
    let entry = |key: String, credit: Decimal| JournalEntry {
        number: DocNumber::Fixed(format!("J{}", &tag.chars().take(12).collect::<String>())),
        key: key.into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
        currency: fx.currency,
        lines: vec![
            JournalLine {
                account: a.clone(),
                debit: Decimal::new(12345, 2),
                credit: Decimal::ZERO,
                description: "debit".into(),
            },
            JournalLine {
                account: b.clone(),
                debit: Decimal::ZERO,
                credit,
                description: "credit".into(),
            },
        ],
        memo: Some("Conformance journal".into()),
    };
    let good = entry(format!("TST-J-{tag}"), Decimal::new(12345, 2));
    let posted = ledger
        .post_journal(&good)
        .await
        .map_err(|e| format!("post_journal: {e}"))?;
    match ledger.find_journal(&good.key).await {
        Ok(Some(found)) if found.id == posted.id => {}
        other => {
            return fail(
                "find_journal",
                format!("expected {}, got {other:?}", posted.id),
            )
        }
    }
    let bad = entry(format!("TST-JB-{tag}"), Decimal::new(12344, 2));
    match ledger.post_journal(&bad).await {
        Err(e) if e.kind() == ErrorKind::Invalid => Ok(()),
        other => fail(
            "post_journal of an unbalanced entry",
            format!("expected an Invalid error, got {other:?}"),
        ),
    }
}

/// Every capability the ledger does not declare answers `Unsupported`.
pub async fn unsupported_matches_capabilities(ledger: &dyn Ledger) -> Check {
    let caps = ledger.capabilities();
    let start = Cursor::start();
    let check = |name: &str, declared: bool, kind: Option<ErrorKind>| -> Check {
        if !declared && kind != Some(ErrorKind::Unsupported) {
            return fail(
                name,
                format!(
                    "not declared in capabilities but answered {kind:?} instead of Unsupported"
                ),
            );
        }
        if declared && kind == Some(ErrorKind::Unsupported) {
            return fail(name, "declared in capabilities but answered Unsupported");
        }
        Ok(())
    };
    check(
        "shipments",
        caps.shipments,
        ledger.shipments(&start).await.err().map(|e| e.kind()),
    )?;
    check(
        "availability",
        caps.availability,
        ledger
            .availability("MAIN", &start)
            .await
            .err()
            .map(|e| e.kind()),
    )?;
    check(
        "document_statuses",
        caps.document_statuses,
        ledger
            .document_statuses(&start)
            .await
            .err()
            .map(|e| e.kind()),
    )?;
    check(
        "new_orders",
        caps.new_orders,
        ledger.new_orders(&start).await.err().map(|e| e.kind()),
    )?;
    Ok(())
}
