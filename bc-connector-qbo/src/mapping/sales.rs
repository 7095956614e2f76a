//! Invoices and sales receipts: the references a document needs, the QBO form, and the document read back.

use std::collections::BTreeMap;

use bc_core::{
    Currency, DocNumber, DocumentKind, Error, ErrorKind, ImportId, LedgerDocument, LedgerRef,
    PostingTarget, SalesDocument, SalesLine, SalesLineKind,
};
use rust_decimal::Decimal;

use super::*;
use crate::error::PLATFORM;
use crate::wire::{
    DiscountLineDetail, Line, MemoRef, Ref, SalesForm, SalesItemLineDetail, TaxLineDetail,
    TxnTaxDetail,
};

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
            out.push(RefKey::TaxCode(c.to_string()));
        }
    }
    for t in &doc.taxes {
        out.push(RefKey::TaxCode(t.tax_code.to_string()));
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
                match refs
                    .tax_codes
                    .get(t.tax_code.as_str())
                    .map(|i| i.rates.as_slice())
                {
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
        TaxStyle::NonUs => match l.tax_code.as_deref().or(refs.default_tax_code.as_deref()) {
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
