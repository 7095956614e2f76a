//! bcsync documents → QBO entities, and back. Pure functions: every name in a document
//! (items, accounts, tax codes, classes, locations, payment methods) is resolved to a QBO id
//! beforehand by the connector and handed in as [`Refs`].
//!
//! Amounts are never recomputed: the posting plan has rounded them and guaranteed that the
//! document total equals the storefront total. Here they are only *expressed*:
//! - a line's `Amount` is the planned amount, and `UnitPrice` is chosen so that
//!   `UnitPrice × Qty = Amount` holds as QBO requires ([`unit_price_for`]);
//! - discounts, gift certificates and store credit are negative item lines (or one
//!   `DiscountLineDetail` to the discount account); gift certificates post to an item whose
//!   income account is the gift-card liability, so they never reduce revenue;
//! - tax is the planned tax, kept by QBO through an explicit `TxnTaxDetail.TotalTax` (Intuit:
//!   "whenever an explicit tax amount is sent in the transaction request the AST engine honors
//!   the amount"), with `TAX`/`NON` lines and one transaction tax code in US companies, and a
//!   tax code per line with `GlobalTaxCalculation = TaxExcluded` elsewhere.

use std::collections::{BTreeMap, HashMap};

use bc_core::{
    Address, Client, CreditKind, CreditMemo, Currency, DocNumber, DocumentKind, Error, ErrorKind,
    ImportId, JournalEntry, LedgerDocument, LedgerRef, NewItem, PostingTarget, ReceiptPosting,
    ReceiptState, SalesDocument, SalesLine, SalesLineKind,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::fault::PLATFORM;
use crate::wire::{
    self, DiscountLineDetail, EmailAddress, JournalEntryLineDetail, Line, LinkedTxn, MemoRef,
    Payment, PhysicalAddress, Ref, SalesForm, SalesItemLineDetail, TaxLineDetail, TelephoneNumber,
    TxnTaxDetail,
};

/// Longest `DocNumber` QBO accepts.
pub const MAX_DOC_NUMBER: usize = 21;
/// Longest `PrivateNote`.
pub const MAX_PRIVATE_NOTE: usize = 4000;
/// Longest customer `DisplayName`.
pub const MAX_DISPLAY_NAME: usize = 500;
/// Longest item `Name`.
pub const MAX_ITEM_NAME: usize = 100;
/// Longest `PaymentRefNum`.
pub const MAX_PAYMENT_REF: usize = 21;

/// How the company models sales tax (from `CompanyInfo.Country`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxStyle {
    /// US: lines `TAX`/`NON`, one `TxnTaxCodeRef`, `TotalTax` overridden.
    Us,
    /// Everywhere else: a `TaxCodeRef` per line, `GlobalTaxCalculation`, `TotalTax` overridden.
    NonUs,
}

/// A name in a document that must be resolved to a QBO id before mapping.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefKey {
    /// An item by name (posting targets such as the shipping item).
    Item(String),
    /// An account by number or name.
    Account(String),
    /// The service item bcsync uses to post a line kind to an account (QBO sales lines post
    /// through items): `(label, account)`.
    AccountItem(String, String),
    /// A tax code by id or name.
    TaxCode(String),
    /// A class.
    Class(String),
    /// A location (QBO `Department`).
    Department(String),
    /// A payment method.
    PaymentMethod(String),
}

/// A resolved tax code: its id and its sales rates `(rate id, percent)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaxCodeInfo {
    /// TaxCode id.
    pub id: String,
    /// Its sales rates.
    pub rates: Vec<(String, Decimal)>,
}

/// Resolved references, plus what the company is.
#[derive(Clone, Debug)]
pub struct Refs {
    /// Resolved ids.
    pub ids: HashMap<RefKey, Ref>,
    /// Tax code details (by the name used in the document).
    pub tax_codes: HashMap<String, TaxCodeInfo>,
    /// The tax model.
    pub style: TaxStyle,
    /// Home currency.
    pub home_currency: Currency,
    /// Multicurrency on.
    pub multicurrency: bool,
    /// Non-US: the tax code for lines the plan left without one (`None` = the item's own).
    pub default_tax_code: Option<String>,
}

impl Refs {
    /// Empty references for a company.
    pub fn new(style: TaxStyle, home_currency: Currency) -> Self {
        Refs {
            ids: HashMap::new(),
            tax_codes: HashMap::new(),
            style,
            home_currency,
            multicurrency: false,
            default_tax_code: None,
        }
    }

    fn get(&self, key: &RefKey, context: &str) -> Result<Ref, Error> {
        self.ids.get(key).cloned().ok_or_else(|| {
            let what = match key {
                RefKey::Item(n) => format!("item `{n}`"),
                RefKey::Account(a) => format!("account `{a}`"),
                RefKey::AccountItem(l, a) => format!("the {l} item for account `{a}`"),
                RefKey::TaxCode(c) => format!("tax code `{c}`"),
                RefKey::Class(c) => format!("class `{c}`"),
                RefKey::Department(d) => format!("location `{d}`"),
                RefKey::PaymentMethod(p) => format!("payment method `{p}`"),
            };
            Error::new(
                ErrorKind::Config,
                format!("{context}: {what} does not exist in QuickBooks"),
            )
            .with_platform(PLATFORM)
        })
    }

    fn tax_code(&self, code: &str, context: &str) -> Result<Ref, Error> {
        match self.tax_codes.get(code) {
            Some(info) => Ok(Ref::id(info.id.clone())),
            None => self.get(&RefKey::TaxCode(code.to_string()), context),
        }
    }
}

/// The label of the service item that carries a line kind to an account.
pub fn account_item_label(kind: &SalesLineKind) -> &'static str {
    match kind {
        SalesLineKind::Item { .. } => "Sales",
        SalesLineKind::Discount { .. } => "Discounts",
        SalesLineKind::Shipping => "Shipping",
        SalesLineKind::Handling => "Handling",
        SalesLineKind::Wrapping => "Gift wrapping",
        SalesLineKind::GiftCertificate { .. } => "Gift certificates",
        SalesLineKind::StoreCredit => "Store credit",
        SalesLineKind::Rounding => "Rounding",
    }
}

/// The name of the service item bcsync creates for `(label, account)`.
pub fn account_item_name(label: &str, account: &str) -> String {
    clean_name(&format!("bcsync {label} ({account})"), MAX_ITEM_NAME)
}

/// The import-id marker bcsync writes at the start of `PrivateNote` (and customer `Notes`):
/// `[bcsync:BC11001]`. The closing bracket keeps `BC1100` from matching `BC11001`.
pub fn marker(key: &str) -> String {
    format!("[bcsync:{key}]")
}

/// Whether `note` carries exactly the marker of `key` (it starts with it, followed by a space
/// or nothing).
pub fn has_marker(note: Option<&str>, key: &str) -> bool {
    let m = marker(key);
    note.and_then(|n| n.strip_prefix(&m))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

/// The key of a receipt: import id + `#P` + sequence.
pub fn receipt_key(r: &ReceiptPosting) -> String {
    format!("{}#P{}", r.import_id, r.sequence)
}

/// The key of a credit memo: import id + `#R` + refund id.
pub fn credit_key(import_id: &ImportId, refund_id: &str) -> String {
    format!("{import_id}#R{refund_id}")
}

/// The key of a journal: `J#` + its key.
pub fn journal_key(key: &str) -> String {
    format!("J#{key}")
}

/// The `PrivateNote` of a sales document: the marker, the tenders (gift certificates and store
/// credit, which QBO's `TotalAmt` nets off as negative lines) when there are any, and the
/// plan's note: `[bcsync:BC11001] (tenders -10.00) bcsync import id …`.
pub fn sales_note(doc: &SalesDocument) -> String {
    let tenders = doc.tender_total();
    let note = match (tenders.is_zero(), doc.private_note.as_deref()) {
        (true, n) => n.map(str::to_string),
        (false, Some(n)) => Some(format!("(tenders {tenders}) {n}")),
        (false, None) => Some(format!("(tenders {tenders})")),
    };
    note_with_marker(&doc.import_id.to_string(), note.as_deref())
}

/// The tenders recorded by [`sales_note`] (zero when none).
pub fn tenders_in_note(note: Option<&str>, key: &str) -> Decimal {
    note.and_then(|n| n.strip_prefix(&marker(key)))
        .and_then(|rest| rest.strip_prefix(" (tenders "))
        .and_then(|rest| rest.split(')').next())
        .and_then(|t| bc_core::money::parse_decimal(t).ok())
        .unwrap_or(Decimal::ZERO)
}

fn note_with_marker(key: &str, note: Option<&str>) -> String {
    let mut s = marker(key);
    if let Some(n) = note.filter(|n| !n.trim().is_empty()) {
        s.push(' ');
        s.push_str(n.trim());
    }
    truncate(&s, MAX_PRIVATE_NOTE)
}

/// Truncates to `max` characters.
pub fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A name QBO accepts: no colon (QBO's hierarchy separator), no tabs or newlines, single
/// spaces, trimmed, at most `max` characters.
pub fn clean_name(s: &str, max: usize) -> String {
    let replaced: String = s
        .chars()
        .map(|c| match c {
            ':' => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let collapsed = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&collapsed, max).trim().to_string()
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `(Qty, UnitPrice)` such that `UnitPrice × Qty` equals `amount` at two decimals, as QBO
/// requires: the planned unit price when it already works, else `amount / qty` with the
/// fewest decimals (up to 7) that work, else quantity 1 at the amount.
pub fn unit_price_for(
    quantity: Decimal,
    unit_price: Decimal,
    amount: Decimal,
) -> (Decimal, Decimal) {
    let fits = |q: Decimal, p: Decimal| (q * p).round_dp(2) == amount.round_dp(2);
    if quantity <= Decimal::ZERO {
        return (Decimal::ONE, amount);
    }
    if fits(quantity, unit_price) && unit_price.scale() <= 7 {
        return (quantity, unit_price.normalize());
    }
    for dp in 2..=7 {
        if let Some(p) = amount.checked_div(quantity).map(|p| p.round_dp(dp)) {
            if fits(quantity, p) {
                return (quantity, p.normalize());
            }
        }
    }
    (Decimal::ONE, amount)
}

fn address(a: &Address) -> PhysicalAddress {
    let opt = |s: &str| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_string())
    };
    PhysicalAddress {
        id: None,
        line1: opt(&a.street_1),
        line2: a.street_2.as_deref().and_then(opt),
        city: opt(&a.city),
        country_sub_division_code: opt(&a.state),
        postal_code: opt(&a.zip),
        country: opt(if a.country_iso2.trim().is_empty() {
            &a.country
        } else {
            &a.country_iso2
        }),
    }
}

/// Every reference a sales document needs.
pub fn sales_refs_needed(doc: &SalesDocument) -> Vec<RefKey> {
    let mut out = Vec::new();
    let account_discounts = doc
        .lines
        .iter()
        .filter(|l| {
            matches!(l.kind, SalesLineKind::Discount { .. })
                && matches!(l.target, Some(PostingTarget::Account(_)))
        })
        .count();
    for line in &doc.lines {
        line_refs(line, account_discounts == 1, &mut out);
        if let Some(c) = &line.tax_code {
            out.push(RefKey::TaxCode(c.clone()));
        }
    }
    for t in &doc.taxes {
        out.push(RefKey::TaxCode(t.tax_code.clone()));
    }
    if let Some(c) = &doc.class {
        out.push(RefKey::Class(c.clone()));
    }
    if let Some(d) = &doc.location {
        out.push(RefKey::Department(d.clone()));
    }
    if let Some(p) = &doc.payment {
        if !p.deposit_account.is_empty() {
            out.push(RefKey::Account(p.deposit_account.clone()));
        }
        if !p.receipt_type.is_empty() {
            out.push(RefKey::PaymentMethod(p.receipt_type.clone()));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn line_refs(line: &SalesLine, single_account_discount: bool, out: &mut Vec<RefKey>) {
    if matches!(line.kind, SalesLineKind::Item { .. }) {
        return;
    }
    match &line.target {
        Some(PostingTarget::Item(name)) => out.push(RefKey::Item(name.clone())),
        Some(PostingTarget::Account(code)) => {
            if matches!(line.kind, SalesLineKind::Discount { .. }) && single_account_discount {
                out.push(RefKey::Account(code.clone()));
            } else {
                out.push(RefKey::AccountItem(
                    account_item_label(&line.kind).to_string(),
                    code.clone(),
                ));
            }
        }
        None => {}
    }
}

/// The QBO sales form (`Invoice` or `SalesReceipt`) expressing `doc` exactly.
pub fn sales_form(doc: &SalesDocument, customer: &str, refs: &Refs) -> Result<SalesForm, Error> {
    let ctx = format!("order {}", doc.order_id);
    if doc.kind == DocumentKind::SalesOrder {
        return Err(Error::unsupported(PLATFORM, "sales orders (QBO has none)"));
    }
    let doc_number = match &doc.number {
        DocNumber::Fixed(n) => {
            if n.chars().count() > MAX_DOC_NUMBER {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "{ctx}: document number `{n}` is longer than QuickBooks' {MAX_DOC_NUMBER} characters"
                    ),
                )
                .with_platform(PLATFORM));
            }
            Some(n.clone())
        }
        DocNumber::Auto => None,
    };
    let account_discounts = doc
        .lines
        .iter()
        .filter(|l| {
            matches!(l.kind, SalesLineKind::Discount { .. })
                && matches!(l.target, Some(PostingTarget::Account(_)))
        })
        .count();
    let doc_codes: Vec<&str> = doc.taxes.iter().map(|t| t.tax_code.as_str()).collect();
    let mut lines = Vec::with_capacity(doc.lines.len());
    for (i, l) in doc.lines.iter().enumerate() {
        let lctx = format!("{ctx} line {} ({})", i + 1, l.description);
        let tax_ref = line_tax(l, &doc_codes, refs, &lctx)?;
        lines.push(sales_line(l, account_discounts == 1, tax_ref, refs, &lctx)?);
    }

    let total_tax = doc.tax_total();
    let mut tax = TxnTaxDetail {
        total_tax: Some(total_tax),
        ..TxnTaxDetail::default()
    };
    let mut global = None;
    match refs.style {
        TaxStyle::Us => {
            // One transaction tax code: the one carrying the most tax.
            if let Some(main) = doc
                .taxes
                .iter()
                .max_by(|a, b| a.amount.abs().cmp(&b.amount.abs()))
            {
                tax.txn_tax_code_ref = Some(refs.tax_code(&main.tax_code, &ctx)?);
            }
        }
        TaxStyle::NonUs => {
            global = Some("TaxExcluded".to_string());
            // The tax per rate, where a code has exactly one rate (several rates cannot be
            // split without recomputing): QBO keeps the amounts given on the tax lines.
            let mut per_rate: BTreeMap<String, (Decimal, Decimal, Decimal)> = BTreeMap::new();
            let mut complete = true;
            for t in &doc.taxes {
                match refs.tax_codes.get(&t.tax_code).map(|i| i.rates.as_slice()) {
                    Some([(rate, pct)]) => {
                        let e = per_rate.entry(rate.clone()).or_insert((
                            *pct,
                            Decimal::ZERO,
                            Decimal::ZERO,
                        ));
                        e.1 += t.taxable_amount;
                        e.2 += t.amount;
                    }
                    _ => complete = false,
                }
            }
            if complete {
                tax.tax_line = per_rate
                    .into_iter()
                    .map(|(rate, (pct, base, amount))| Line {
                        amount: Some(amount),
                        detail_type: Some("TaxLineDetail".into()),
                        tax_line_detail: Some(TaxLineDetail {
                            tax_rate_ref: Some(Ref::id(rate)),
                            percent_based: Some(true),
                            tax_percent: Some(pct),
                            net_amount_taxable: Some(base),
                        }),
                        ..Line::default()
                    })
                    .collect();
            }
        }
    }

    let foreign = doc.currency != refs.home_currency;
    let mut form = SalesForm {
        doc_number,
        txn_date: Some(date(doc.date)),
        due_date: match doc.kind {
            DocumentKind::Invoice => doc.due_date.map(date),
            _ => None,
        },
        customer_ref: Some(Ref::id(customer)),
        currency_ref: (foreign || refs.multicurrency).then(|| Ref::id(doc.currency.code())),
        exchange_rate: foreign.then_some(doc.exchange_rate),
        private_note: Some(sales_note(doc)),
        customer_memo: doc
            .customer_memo
            .as_ref()
            .filter(|m| !m.trim().is_empty())
            .map(|m| MemoRef {
                value: truncate(m, 1000),
            }),
        line: lines,
        txn_tax_detail: Some(tax),
        global_tax_calculation: global,
        apply_tax_after_discount: (refs.style == TaxStyle::Us).then_some(false),
        class_ref: match &doc.class {
            Some(c) => Some(refs.get(&RefKey::Class(c.clone()), &ctx)?),
            None => None,
        },
        department_ref: match &doc.location {
            Some(d) => Some(refs.get(&RefKey::Department(d.clone()), &ctx)?),
            None => None,
        },
        bill_addr: doc.billing.as_ref().map(address),
        ship_addr: doc.shipping.as_ref().map(address),
        ..SalesForm::default()
    };
    if doc.kind == DocumentKind::SalesReceipt {
        if let Some(p) = &doc.payment {
            if !p.deposit_account.is_empty() {
                form.deposit_to_account_ref =
                    Some(refs.get(&RefKey::Account(p.deposit_account.clone()), &ctx)?);
            }
            // Optional in QBO: a payment method that does not exist is left out.
            form.payment_method_ref = refs
                .ids
                .get(&RefKey::PaymentMethod(p.receipt_type.clone()))
                .cloned();
            form.payment_ref_num = p.reference.as_ref().map(|r| truncate(r, MAX_PAYMENT_REF));
        }
    }
    Ok(form)
}

/// The line's tax code reference, by tax model.
fn line_tax(
    l: &SalesLine,
    doc_codes: &[&str],
    refs: &Refs,
    ctx: &str,
) -> Result<Option<Ref>, Error> {
    match refs.style {
        TaxStyle::Us => {
            let taxed = l.kind.is_revenue()
                && !matches!(l.kind, SalesLineKind::Rounding)
                && l.tax_code
                    .as_deref()
                    .is_some_and(|c| doc_codes.contains(&c) && c != "NON");
            Ok(Some(Ref::id(if taxed { "TAX" } else { "NON" })))
        }
        TaxStyle::NonUs => match l.tax_code.as_ref().or(refs.default_tax_code.as_ref()) {
            Some(c) => refs.tax_code(c, ctx).map(Some),
            None => Ok(None),
        },
    }
}

fn sales_line(
    l: &SalesLine,
    single_account_discount: bool,
    tax: Option<Ref>,
    refs: &Refs,
    ctx: &str,
) -> Result<Line, Error> {
    let description = (!l.description.trim().is_empty()).then(|| truncate(&l.description, 4000));
    if let (SalesLineKind::Discount { .. }, Some(PostingTarget::Account(code)), true) =
        (&l.kind, &l.target, single_account_discount)
    {
        return Ok(Line {
            description,
            amount: Some(-l.amount),
            detail_type: Some("DiscountLineDetail".into()),
            discount_line_detail: Some(DiscountLineDetail {
                percent_based: Some(false),
                discount_percent: None,
                discount_account_ref: Some(refs.get(&RefKey::Account(code.clone()), ctx)?),
                tax_code_ref: if refs.style == TaxStyle::NonUs {
                    tax
                } else {
                    None
                },
            }),
            ..Line::default()
        });
    }
    let item = match (&l.kind, &l.target) {
        (SalesLineKind::Item { item, .. }, _) => Ref::id(item.id.clone()),
        (_, Some(PostingTarget::Item(name))) => refs.get(&RefKey::Item(name.clone()), ctx)?,
        (kind, Some(PostingTarget::Account(code))) => refs.get(
            &RefKey::AccountItem(account_item_label(kind).to_string(), code.clone()),
            ctx,
        )?,
        (_, None) => {
            return Err(Error::new(
                ErrorKind::Config,
                format!("{ctx}: the line has no item or account to post to"),
            )
            .with_platform(PLATFORM))
        }
    };
    let (qty, price) = unit_price_for(l.quantity, l.unit_price, l.amount);
    Ok(Line {
        description,
        amount: Some(l.amount),
        detail_type: Some("SalesItemLineDetail".into()),
        sales_item_line_detail: Some(SalesItemLineDetail {
            item_ref: Some(item),
            unit_price: Some(price),
            qty: Some(qty),
            tax_code_ref: tax,
            ..SalesItemLineDetail::default()
        }),
        ..Line::default()
    })
}

/// The document found for an import id, from a QBO sales form.
pub fn ledger_document(
    form: &SalesForm,
    kind: DocumentKind,
    import_id: &ImportId,
    home: Currency,
) -> Result<LedgerDocument, Error> {
    let id = form.id.clone().ok_or_else(|| {
        Error::protocol(format!("{import_id}: the {kind:?} found has no Id"))
            .with_platform(PLATFORM)
    })?;
    let total = form.total_amt.ok_or_else(|| {
        Error::protocol(format!("{import_id}: {kind:?} {id} has no TotalAmt"))
            .with_platform(PLATFORM)
    })?;
    let currency = match &form.currency_ref {
        Some(r) => Currency::new(&r.value).map_err(|e| {
            e.context(format!("{import_id}: {kind:?} {id} CurrencyRef"))
                .with_platform(PLATFORM)
        })?,
        None => home,
    };
    let balance = form.balance.unwrap_or(Decimal::ZERO);
    let paid_something = kind == DocumentKind::Invoice && balance != total;
    // QBO's TotalAmt nets off gift certificates and store credit (negative lines); the
    // document's total is the order's, before tenders.
    let total = total - tenders_in_note(form.private_note.as_deref(), &import_id.to_string());
    let status = match kind {
        DocumentKind::Invoice if balance.is_zero() && !total.is_zero() => "Paid",
        DocumentKind::Invoice if paid_something => "Partially paid",
        DocumentKind::Invoice => "Open",
        _ => "Paid",
    };
    let mut at = LedgerRef::new(id);
    if let Some(n) = &form.doc_number {
        at = at.with_number(n.clone());
    }
    if let Some(s) = &form.sync_token {
        at = at.with_version(s.clone());
    }
    Ok(LedgerDocument {
        at,
        kind,
        import_id: import_id.clone(),
        total,
        currency,
        editable: !paid_something && form.linked_txn.iter().all(|l| l.txn_type != "Payment"),
        status: Some(status.to_string()),
    })
}

/// A QBO customer for `client`, with `display_name` (possibly a unique variant).
pub fn customer(client: &Client, display_name: &str, refs: &Refs) -> wire::Customer {
    let contact = client.contact.as_ref();
    let name_part = |s: &str| {
        let t = clean_name(s, 100);
        (!t.is_empty()).then_some(t)
    };
    wire::Customer {
        display_name: Some(clean_name(display_name, MAX_DISPLAY_NAME)),
        company_name: client.company.as_deref().and_then(name_part),
        given_name: contact.and_then(|c| name_part(&c.first_name)),
        family_name: contact.and_then(|c| name_part(&c.last_name)),
        primary_email_addr: client
            .email
            .as_ref()
            .or(contact.and_then(|c| c.email.as_ref()))
            .map(|e| EmailAddress {
                address: Some(truncate(e.trim(), 100)),
            }),
        primary_phone: client
            .phone
            .as_ref()
            .or(contact.and_then(|c| c.phone.as_ref()))
            .map(|p| TelephoneNumber {
                free_form_number: Some(truncate(p.trim(), 30)),
            }),
        bill_addr: client.billing.as_ref().map(address),
        ship_addr: client.shipping.as_ref().map(address),
        notes: client
            .import_id
            .as_ref()
            .map(|k| note_with_marker(k, Some("created by bcsync"))),
        currency_ref: client
            .currency
            .filter(|c| refs.multicurrency && *c != refs.home_currency)
            .map(|c| Ref::id(c.code())),
        ..wire::Customer::default()
    }
}

/// The stable display-name variants tried, in order, when a name is taken (6240): the name,
/// then the name with the client's import id (or e-mail), then numbered variants of that.
pub fn display_name_variants(client: &Client) -> Vec<String> {
    let base = clean_name(&client.display_name, MAX_DISPLAY_NAME - 40);
    let base = if base.is_empty() {
        "Customer".to_string()
    } else {
        base
    };
    let tag = client
        .import_id
        .clone()
        .or_else(|| client.email.clone())
        .or_else(|| client.storefront_customer.as_ref().map(|c| c.to_string()));
    let mut out = vec![base.clone()];
    if let Some(t) = tag {
        let t = clean_name(&t, 36);
        out.push(format!("{base} ({t})"));
        for n in 2..=4 {
            out.push(format!("{base} ({t} {n})"));
        }
    } else {
        for n in 2..=5 {
            out.push(format!("{base} ({n})"));
        }
    }
    out
}

/// A QBO item for `item`; account codes are resolved in `refs`.
pub fn new_item(item: &NewItem, refs: &Refs, today: NaiveDate) -> Result<wire::Item, Error> {
    let ctx = format!("item {}", item.sku);
    let acct = |code: &Option<String>| -> Result<Option<Ref>, Error> {
        match code {
            Some(c) => refs.get(&RefKey::Account(c.clone()), &ctx).map(Some),
            None => Ok(None),
        }
    };
    let (kind, track) = match item.item_type {
        bc_core::ItemType::Inventory => ("Inventory", true),
        bc_core::ItemType::NonInventory => ("NonInventory", false),
        bc_core::ItemType::Service => ("Service", false),
    };
    let name = clean_name(&item.name, MAX_ITEM_NAME);
    if name.is_empty() {
        return Err(
            Error::new(ErrorKind::Invalid, format!("{ctx}: the item has no name"))
                .with_platform(PLATFORM),
        );
    }
    let mut out = wire::Item {
        name: Some(name),
        sku: Some(truncate(item.sku.as_str(), 100)),
        item_type: Some(kind.to_string()),
        unit_price: item.unit_price,
        income_account_ref: Some(refs.get(&RefKey::Account(item.income_account.clone()), &ctx)?),
        expense_account_ref: acct(&item.expense_account)?,
        active: Some(true),
        ..wire::Item::default()
    };
    if track {
        if item.cogs_account.is_none() || item.asset_account.is_none() {
            return Err(Error::config(
                "orders.new_items",
                format!("{ctx}: an Inventory item needs `cogs_account` and `asset_account`"),
            ));
        }
        // QBO keeps an inventory item's cost of goods sold account in `ExpenseAccountRef`
        // (`COGSAccountRef` is QuickBooks Desktop's).
        out.expense_account_ref = acct(&item.cogs_account)?;
        out.asset_account_ref = acct(&item.asset_account)?;
        out.track_qty_on_hand = Some(true);
        out.qty_on_hand = Some(Decimal::ZERO);
        out.inv_start_date = Some(date(today));
    }
    Ok(out)
}

/// Every reference a new item needs.
pub fn item_refs_needed(item: &NewItem) -> Vec<RefKey> {
    [
        Some(&item.income_account),
        item.expense_account.as_ref(),
        item.cogs_account.as_ref(),
        item.asset_account.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|a| RefKey::Account(a.clone()))
    .collect()
}

/// Every reference a receipt needs.
pub fn receipt_refs_needed(r: &ReceiptPosting) -> Vec<RefKey> {
    let mut v = Vec::new();
    if !r.deposit_account.is_empty() {
        v.push(RefKey::Account(r.deposit_account.clone()));
    }
    if !r.receipt_type.is_empty() {
        v.push(RefKey::PaymentMethod(r.receipt_type.clone()));
    }
    v
}

/// A QBO payment for a receipt, linked to the invoice it pays.
pub fn payment(r: &ReceiptPosting, refs: &Refs) -> Result<Payment, Error> {
    let ctx = format!("receipt {} of order {}", r.sequence, r.import_id);
    if r.amount <= Decimal::ZERO {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("{ctx}: a payment amount must be positive, not {}", r.amount),
        )
        .with_platform(PLATFORM));
    }
    let note = match r.state {
        ReceiptState::PreAuthorized => Some("pre-authorised card payment"),
        ReceiptState::Captured => None,
    };
    let foreign = r.currency != refs.home_currency;
    Ok(Payment {
        customer_ref: Some(Ref::id(r.client.id.clone())),
        total_amt: Some(r.amount),
        txn_date: Some(date(r.date)),
        currency_ref: (foreign || refs.multicurrency).then(|| Ref::id(r.currency.code())),
        deposit_to_account_ref: if r.deposit_account.is_empty() {
            None
        } else {
            Some(refs.get(&RefKey::Account(r.deposit_account.clone()), &ctx)?)
        },
        // Optional in QBO: a payment method that does not exist is left out.
        payment_method_ref: refs
            .ids
            .get(&RefKey::PaymentMethod(r.receipt_type.clone()))
            .cloned(),
        payment_ref_num: r.reference.as_ref().map(|s| truncate(s, MAX_PAYMENT_REF)),
        private_note: Some(note_with_marker(&receipt_key(r), note)),
        line: vec![Line {
            amount: Some(r.amount),
            linked_txn: vec![LinkedTxn {
                txn_id: r.document.id.clone(),
                txn_type: "Invoice".into(),
            }],
            ..Line::default()
        }],
        ..Payment::default()
    })
}

/// Every reference a credit memo needs.
pub fn credit_refs_needed(m: &CreditMemo) -> Vec<RefKey> {
    let mut out = Vec::new();
    for l in &m.lines {
        if !matches!(l.kind, SalesLineKind::Item { .. }) {
            match &l.target {
                Some(PostingTarget::Item(n)) => out.push(RefKey::Item(n.clone())),
                Some(PostingTarget::Account(a)) => out.push(RefKey::AccountItem(
                    account_item_label(&l.kind).to_string(),
                    a.clone(),
                )),
                None => {}
            }
        }
        if let Some(c) = &l.tax_code {
            out.push(RefKey::TaxCode(c.clone()));
        }
    }
    if let Some(c) = &m.tax_code {
        out.push(RefKey::TaxCode(c.clone()));
    }
    if let Some(a) = &m.refund_account {
        out.push(RefKey::Account(a.clone()));
    }
    out.sort();
    out.dedup();
    out
}

/// A QBO `CreditMemo` or `RefundReceipt` for a storefront refund.
pub fn credit_form(m: &CreditMemo, refs: &Refs) -> Result<SalesForm, Error> {
    let ctx = format!("refund {} of order {}", m.refund_id, m.import_id);
    let doc_number = match &m.number {
        DocNumber::Fixed(n) => Some(truncate(n, MAX_DOC_NUMBER)),
        DocNumber::Auto => None,
    };
    let mut lines = Vec::new();
    for (i, l) in m.lines.iter().enumerate() {
        let lctx = format!("{ctx} line {}", i + 1);
        let item = match (&l.kind, &l.target) {
            (SalesLineKind::Item { item, .. }, _) => Ref::id(item.id.clone()),
            (_, Some(PostingTarget::Item(n))) => refs.get(&RefKey::Item(n.clone()), &lctx)?,
            (k, Some(PostingTarget::Account(a))) => refs.get(
                &RefKey::AccountItem(account_item_label(k).to_string(), a.clone()),
                &lctx,
            )?,
            (_, None) => {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("{lctx}: the line has no item or account to post to"),
                )
                .with_platform(PLATFORM))
            }
        };
        let tax = match refs.style {
            TaxStyle::Us => Some(Ref::id(if l.tax_code.is_some() && !m.tax.is_zero() {
                "TAX"
            } else {
                "NON"
            })),
            TaxStyle::NonUs => match l.tax_code.as_ref().or(refs.default_tax_code.as_ref()) {
                Some(c) => Some(refs.tax_code(c, &lctx)?),
                None => None,
            },
        };
        let (qty, price) = unit_price_for(l.quantity, l.unit_price, l.amount);
        lines.push(Line {
            description: (!l.description.is_empty()).then(|| truncate(&l.description, 4000)),
            amount: Some(l.amount),
            detail_type: Some("SalesItemLineDetail".into()),
            sales_item_line_detail: Some(SalesItemLineDetail {
                item_ref: Some(item),
                unit_price: Some(price),
                qty: Some(qty),
                tax_code_ref: tax,
                ..SalesItemLineDetail::default()
            }),
            ..Line::default()
        });
    }
    let mut tax = TxnTaxDetail {
        total_tax: Some(m.tax),
        ..TxnTaxDetail::default()
    };
    if refs.style == TaxStyle::Us {
        if let Some(c) = &m.tax_code {
            tax.txn_tax_code_ref = Some(refs.tax_code(c, &ctx)?);
        }
    }
    let foreign = m.currency != refs.home_currency;
    let invoice_note = m
        .invoice
        .as_ref()
        .map(|i| format!("credits invoice {}", i.number.as_deref().unwrap_or(&i.id)));
    let note = [m.memo.clone(), invoice_note]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
    let mut form = SalesForm {
        doc_number,
        txn_date: Some(date(m.date)),
        customer_ref: Some(Ref::id(m.client.id.clone())),
        currency_ref: (foreign || refs.multicurrency).then(|| Ref::id(m.currency.code())),
        private_note: Some(note_with_marker(
            &credit_key(&m.import_id, &m.refund_id),
            Some(&note),
        )),
        line: lines,
        txn_tax_detail: Some(tax),
        global_tax_calculation: (refs.style == TaxStyle::NonUs).then(|| "TaxExcluded".into()),
        ..SalesForm::default()
    };
    if m.kind == CreditKind::RefundReceipt {
        let acct = m.refund_account.as_ref().ok_or_else(|| {
            Error::config(
                "refunds.refund_clearing_account",
                format!("{ctx}: a refund receipt needs the account the money leaves from"),
            )
        })?;
        form.deposit_to_account_ref = Some(refs.get(&RefKey::Account(acct.clone()), &ctx)?);
    }
    Ok(form)
}

/// Every reference a journal needs.
pub fn journal_refs_needed(j: &JournalEntry) -> Vec<RefKey> {
    let mut v: Vec<RefKey> = j
        .lines
        .iter()
        .map(|l| RefKey::Account(l.account.clone()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// A balanced QBO journal entry.
pub fn journal(j: &JournalEntry, refs: &Refs) -> Result<wire::JournalEntry, Error> {
    let ctx = format!("journal {}", j.key);
    if !j.is_balanced() {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!(
                "{ctx}: debits {} ≠ credits {}; QuickBooks only takes balanced journals",
                j.debits(),
                j.credits()
            ),
        )
        .with_platform(PLATFORM));
    }
    let mut lines = Vec::new();
    for l in &j.lines {
        let account = refs.get(&RefKey::Account(l.account.clone()), &ctx)?;
        for (amount, posting) in [(l.debit, "Debit"), (l.credit, "Credit")] {
            if amount.is_zero() {
                continue;
            }
            if amount < Decimal::ZERO {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("{ctx}: a negative {posting} of {amount} on `{}`", l.account),
                )
                .with_platform(PLATFORM));
            }
            lines.push(Line {
                description: (!l.description.is_empty()).then(|| truncate(&l.description, 4000)),
                amount: Some(amount),
                detail_type: Some("JournalEntryLineDetail".into()),
                journal_entry_line_detail: Some(JournalEntryLineDetail {
                    posting_type: posting.into(),
                    account_ref: account.clone(),
                }),
                ..Line::default()
            });
        }
    }
    Ok(wire::JournalEntry {
        doc_number: match &j.number {
            DocNumber::Fixed(n) => Some(truncate(n, MAX_DOC_NUMBER)),
            DocNumber::Auto => None,
        },
        txn_date: Some(date(j.date)),
        currency_ref: (j.currency != refs.home_currency || refs.multicurrency)
            .then(|| Ref::id(j.currency.code())),
        private_note: Some(note_with_marker(&journal_key(&j.key), j.memo.as_deref())),
        line: lines,
        ..wire::JournalEntry::default()
    })
}

/// A QBO `Deposit` for a payout that arrives in `bank_account` as a bank deposit: the
/// journal's lines on the bank account make the deposit's total; every other line becomes a
/// deposit line from its account (credits positive — the clearing account — and debits
/// negative — fees). A balanced journal gives a deposit whose lines add up to the money that
/// arrived.
pub fn deposit(j: &JournalEntry, bank_account: &str, refs: &Refs) -> Result<wire::Deposit, Error> {
    let ctx = format!("payout deposit {}", j.key);
    if !j.is_balanced() {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("{ctx}: debits {} ≠ credits {}", j.debits(), j.credits()),
        )
        .with_platform(PLATFORM));
    }
    let arrived: Decimal = j
        .lines
        .iter()
        .filter(|l| l.account == bank_account)
        .map(|l| l.debit - l.credit)
        .sum();
    if arrived <= Decimal::ZERO {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("{ctx}: nothing arrives in `{bank_account}` ({arrived}); post it as a journal"),
        )
        .with_platform(PLATFORM));
    }
    let mut lines = Vec::new();
    for l in j.lines.iter().filter(|l| l.account != bank_account) {
        let amount = l.credit - l.debit;
        if amount.is_zero() {
            continue;
        }
        lines.push(Line {
            description: (!l.description.is_empty()).then(|| truncate(&l.description, 4000)),
            amount: Some(amount),
            detail_type: Some("DepositLineDetail".into()),
            deposit_line_detail: Some(wire::DepositLineDetail {
                account_ref: Some(refs.get(&RefKey::Account(l.account.clone()), &ctx)?),
                payment_method_ref: None,
            }),
            ..Line::default()
        });
    }
    Ok(wire::Deposit {
        txn_date: Some(date(j.date)),
        deposit_to_account_ref: Some(refs.get(&RefKey::Account(bank_account.to_string()), &ctx)?),
        currency_ref: (j.currency != refs.home_currency || refs.multicurrency)
            .then(|| Ref::id(j.currency.code())),
        private_note: Some(note_with_marker(&journal_key(&j.key), j.memo.as_deref())),
        line: lines,
        ..wire::Deposit::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
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
            tax_code: tax.map(str::to_string),
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
}
