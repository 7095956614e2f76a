//! `plan_sales_document`: a storefront order → the sales document a ledger posts (O4–O13).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::issue::{IssueCode, MappingIssue};
use super::rounding::allocate_rounded;
use crate::client::ClientRef;
use crate::document::{
    DocNumber, DocumentKind, DocumentPayment, DocumentTax, SalesDocument, SalesLine, SalesLineKind,
};
use crate::ids::{ImportId, OrderId};
use crate::item::{ItemKey, ItemRef};
use crate::ledger::LedgerCapabilities;
use crate::money::round_dp;
use crate::order::{Order, OrderLine, TaxLine, TaxTarget};
use crate::settings::{PaymentLink, ProductMatch, Settings, TargetFor};
use crate::ship_via::ShipVia;
use crate::tax::{TaxArea, TaxMap};

/// What the engine looked up before planning: the client and the items.
#[derive(Clone, Debug)]
pub struct Lookups<'a> {
    /// The client (matched or created, O4).
    pub client: &'a ClientRef,
    /// Items found or created, by the key [`item_key`] gives for each line.
    pub items: &'a BTreeMap<ItemKey, ItemRef>,
    /// The ledger's capabilities (precision, currencies, number length).
    pub ledger: &'a LedgerCapabilities,
}

/// The key a line's item is looked up by (`product_match`, O7): the SKU, or the SKU matched
/// against item names. `None` when the line has no SKU.
pub fn item_key(line: &OrderLine, settings: &Settings) -> Option<ItemKey> {
    let sku = line
        .sku
        .as_ref()
        .filter(|s| !s.as_str().trim().is_empty())?;
    Some(match settings.orders.product_match {
        ProductMatch::Sku => ItemKey::Sku(sku.clone()),
        ProductMatch::Name => ItemKey::Name(sku.as_str().to_string()),
    })
}

/// The transaction date of an order in the account's time zone (O12).
pub(crate) fn order_date(order: &Order, settings: &Settings) -> NaiveDate {
    order
        .created_at
        .with_timezone(&settings.sync.timezone)
        .date_naive()
}

/// The import id of an order.
pub(crate) fn import_id(order: &Order, settings: &Settings) -> Result<ImportId, MappingIssue> {
    ImportId::new(settings.sync.import_source_code, order.id.clone()).map_err(|e| {
        MappingIssue::new(
            Some(&order.id),
            IssueCode::InvalidAmount,
            None,
            e.message().to_string(),
        )
    })
}

/// Looks up the ledger tax code of a storefront tax: `"zone/class"` first, then `"zone"`.
pub(crate) fn tax_code<'s>(settings: &'s Settings, tax: &TaxLine) -> Option<&'s TaxArea> {
    settings.tax_map.for_tax(tax).map(|(_, area)| area)
}

pub(crate) fn missing_target(
    order: &OrderId,
    settings: &Settings,
    what: TargetFor,
    label: &str,
) -> MappingIssue {
    let (item_key, _, gl_key, _) = settings.posting.keys(what);
    MappingIssue::new(
        Some(order),
        IssueCode::MissingPostingTarget,
        Some(gl_key),
        format!("the order has {label} but neither `{item_key}` nor `{gl_key}` is set"),
    )
}

/// Plans the sales document for `order`: every line, tax and rounding, or every reason it
/// cannot be posted.
pub fn plan_sales_document(
    order: &Order,
    settings: &Settings,
    lookups: &Lookups<'_>,
) -> Result<SalesDocument, Vec<MappingIssue>> {
    let oid = &order.id;
    let mut issues: Vec<MappingIssue> = Vec::new();
    let ledger = lookups.ledger;
    let dp = ledger.precision(order.currency);
    let posting = &settings.posting;

    let import_id = match import_id(order, settings) {
        Ok(id) => Some(id),
        Err(issue) => {
            issues.push(issue);
            None
        }
    };

    if !ledger.accepts_currency(order.currency) {
        issues.push(MappingIssue::new(
            Some(oid),
            IssueCode::CurrencyNotEnabled,
            None,
            format!(
                "the order is in {} but the ledger ({}) only accepts {}",
                order.currency,
                ledger.platform,
                std::iter::once(ledger.home_currency)
                    .chain(ledger.currencies.iter().copied())
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }

    let date = order_date(order, settings);
    if let Some(start) = settings.sync.start_date {
        if date < start {
            issues.push(MappingIssue::new(
                Some(oid),
                IssueCode::BeforeStartDate,
                Some("sync.start_date"),
                format!("the order was placed on {date}, before the start date {start}"),
            ));
        }
    }

    let number = if settings.orders.auto_number {
        DocNumber::Auto
    } else {
        let n = format!("{}{}", settings.orders.order_number_prefix, order.number);
        if let Some(max) = ledger.max_doc_number_len {
            if n.chars().count() > max {
                issues.push(MappingIssue::new(
                    Some(oid),
                    IssueCode::DocNumberTooLong,
                    Some("orders.order_number_prefix"),
                    format!(
                        "document number `{n}` has {} characters; {} allows at most {max} (shorten the prefix or set `orders.auto_number = true`)",
                        n.chars().count(),
                        ledger.platform
                    ),
                ));
            }
        }
        DocNumber::Fixed(n)
    };

    // Taxes: mapped codes, amounts rounded with the cents distributed (copied, not recomputed).
    let mut tax_codes: Vec<Option<TaxArea>> = Vec::with_capacity(order.taxes.len());
    for tax in &order.taxes {
        match tax_code(settings, tax) {
            Some(code) => tax_codes.push(Some(code.clone())),
            None => {
                let key = TaxMap::keys_for(tax);
                issues.push(MappingIssue::new(
                    Some(oid),
                    IssueCode::UnmappedTaxZone,
                    Some("tax_map"),
                    format!("tax zone `{}` has no ledger tax code: add {key}", tax.zone),
                ));
                tax_codes.push(None);
            }
        }
    }
    let code_for = |target: &TaxTarget| -> Option<TaxArea> {
        order
            .taxes
            .iter()
            .zip(&tax_codes)
            .find(|(t, _)| &t.target == target)
            .and_then(|(_, c)| c.clone())
            .or_else(|| posting.non_taxable_code.clone())
    };

    let mut lines: Vec<SalesLine> = Vec::new();
    let mut line_index: BTreeMap<TaxTarget, usize> = BTreeMap::new();

    // Product lines.
    for line in &order.lines {
        if line.quantity <= Decimal::ZERO {
            issues.push(MappingIssue::new(
                Some(oid),
                IssueCode::InvalidAmount,
                None,
                format!(
                    "line `{}` ({}) has quantity {}",
                    line.line_id, line.name, line.quantity
                ),
            ));
            continue;
        }
        let key = match item_key(line, settings) {
            Some(k) => k,
            None => {
                issues.push(MappingIssue::new(
                    Some(oid),
                    IssueCode::MissingSku,
                    Some("orders.product_match"),
                    format!(
                        "line `{}` ({}) has no SKU to match a ledger item",
                        line.line_id, line.name
                    ),
                ));
                continue;
            }
        };
        let Some(item) = lookups.items.get(&key) else {
            let sku = line.sku.as_ref().map(|s| s.as_str()).unwrap_or_default();
            issues.push(MappingIssue::new(
                Some(oid),
                IssueCode::UnknownItem,
                Some("orders.create_missing_items"),
                format!(
                    "SKU `{sku}` ({}) is not an item in the ledger; create it or set `orders.create_missing_items = true`",
                    line.name
                ),
            ));
            continue;
        };
        let exact_unit = line.quantity * line.unit_price_ex_tax == line.total_ex_tax;
        let unit_price = if exact_unit {
            line.unit_price_ex_tax
        } else {
            (line.total_ex_tax / line.quantity).round_dp(6)
        };
        let target = TaxTarget::Line(line.line_id.clone());
        line_index.insert(target.clone(), lines.len());
        lines.push(SalesLine {
            kind: SalesLineKind::Item {
                item: item.at.clone(),
                line_id: line.line_id.clone(),
            },
            target: None,
            description: line.name.clone(),
            sku: line.sku.clone(),
            quantity: line.quantity,
            unit_price,
            amount: round_dp(line.total_ex_tax, dp),
            tax_code: code_for(&target),
        });
    }

    // Discounts: line discounts grouped by (code, tax code), then order-level ones (O8).
    let discount_target = posting.target(TargetFor::Discount);
    // ((coupon code, tax code), amount), in order of first appearance.
    type Group = ((Option<String>, Option<TaxArea>), Decimal);
    let mut grouped: Vec<Group> = Vec::new();
    for line in &order.lines {
        let code = code_for(&TaxTarget::Line(line.line_id.clone()));
        for d in &line.discounts {
            let key = (d.code.clone(), code.clone());
            match grouped.iter_mut().find(|(k, _)| *k == key) {
                Some((_, amount)) => *amount += d.amount,
                None => grouped.push((key, d.amount)),
            }
        }
    }
    for d in &order.discounts {
        grouped.push(((d.code.clone(), code_for(&TaxTarget::Order)), d.amount));
    }
    let any_discount = grouped.iter().any(|(_, a)| !a.is_zero());
    if any_discount && discount_target.is_none() {
        issues.push(missing_target(
            oid,
            settings,
            TargetFor::Discount,
            "a discount",
        ));
    }
    for ((code, tax), amount) in grouped {
        if amount.is_zero() {
            continue;
        }
        let rounded = round_dp(amount, dp);
        lines.push(SalesLine {
            kind: SalesLineKind::Discount { code: code.clone() },
            target: discount_target.clone(),
            description: match &code {
                Some(c) => format!("Coupon {c}"),
                None => "Discount".to_string(),
            },
            sku: None,
            quantity: Decimal::ONE,
            unit_price: -amount,
            amount: -rounded,
            tax_code: tax,
        });
    }

    // Charges (O8).
    for (charge, what, kind, target, label) in [
        (
            &order.shipping,
            TargetFor::Shipping,
            SalesLineKind::Shipping,
            TaxTarget::Shipping,
            "Shipping",
        ),
        (
            &order.handling,
            TargetFor::Handling,
            SalesLineKind::Handling,
            TaxTarget::Handling,
            "Handling",
        ),
        (
            &order.wrapping,
            TargetFor::Wrapping,
            SalesLineKind::Wrapping,
            TaxTarget::Wrapping,
            "Gift wrapping",
        ),
    ] {
        let has_tax = order
            .taxes
            .iter()
            .any(|t| t.target == target && !t.amount.is_zero());
        if charge.amount_ex_tax.is_zero() && !has_tax {
            continue;
        }
        let posting_target = posting.target(what);
        if posting_target.is_none() {
            issues.push(missing_target(oid, settings, what, &label.to_lowercase()));
        }
        line_index.insert(target.clone(), lines.len());
        let description = match (what, order.shipping_method()) {
            (TargetFor::Shipping, Some(m)) => format!("Shipping: {m}"),
            _ => label.to_string(),
        };
        lines.push(SalesLine {
            kind,
            target: posting_target,
            description,
            sku: None,
            quantity: Decimal::ONE,
            unit_price: charge.amount_ex_tax,
            amount: round_dp(charge.amount_ex_tax, dp),
            tax_code: code_for(&target),
        });
    }

    // Tenders: gift certificates and store credit are liabilities, never discounts (O8).
    let gift_target = posting.target(TargetFor::GiftCard);
    if order.gift_certificates.iter().any(|g| !g.amount.is_zero()) && gift_target.is_none() {
        issues.push(missing_target(
            oid,
            settings,
            TargetFor::GiftCard,
            "a gift certificate",
        ));
    }
    for g in order
        .gift_certificates
        .iter()
        .filter(|g| !g.amount.is_zero())
    {
        lines.push(SalesLine {
            kind: SalesLineKind::GiftCertificate {
                code: g.code.clone(),
            },
            target: gift_target.clone(),
            description: format!("Gift certificate {}", g.code),
            sku: None,
            quantity: Decimal::ONE,
            unit_price: -g.amount,
            amount: -round_dp(g.amount, dp),
            tax_code: posting.non_taxable_code.clone(),
        });
    }
    if !order.store_credit.is_zero() {
        let target = posting.target(TargetFor::StoreCredit);
        if target.is_none() {
            issues.push(missing_target(
                oid,
                settings,
                TargetFor::StoreCredit,
                "store credit",
            ));
        }
        lines.push(SalesLine {
            kind: SalesLineKind::StoreCredit,
            target,
            description: "Store credit".to_string(),
            sku: None,
            quantity: Decimal::ONE,
            unit_price: -order.store_credit,
            amount: -round_dp(order.store_credit, dp),
            tax_code: posting.non_taxable_code.clone(),
        });
    }

    // Taxes, copied.
    let exact: Vec<Decimal> = order.taxes.iter().map(|t| t.amount).collect();
    let rounded = allocate_rounded(&exact, dp);
    let mut taxes = Vec::with_capacity(order.taxes.len());
    for ((tax, code), amount) in order.taxes.iter().zip(&tax_codes).zip(rounded) {
        let Some(code) = code else { continue };
        let line = line_index.get(&tax.target).copied();
        let taxable_amount = match line {
            Some(i) => lines[i].amount,
            None => Decimal::ZERO,
        };
        taxes.push(DocumentTax {
            tax_code: code.clone(),
            zone: tax.zone.clone(),
            rate: tax.rate,
            line,
            taxable_amount,
            amount,
        });
    }

    // Rounding (O10): the document total must equal the storefront total at ledger precision.
    let order_total = round_dp(order.total_inc_tax, dp);
    let so_far: Decimal = lines
        .iter()
        .filter(|l| l.kind.is_revenue())
        .map(|l| l.amount)
        .sum::<Decimal>()
        + taxes.iter().map(|t| t.amount).sum::<Decimal>();
    let diff = order_total - so_far;
    if !diff.is_zero() && issues.is_empty() {
        if diff.abs() > posting.rounding_tolerance {
            issues.push(MappingIssue::new(
                Some(oid),
                IssueCode::RoundingBeyondTolerance,
                Some("posting.rounding_tolerance"),
                format!(
                    "the ledger lines add up to {so_far} {cur} but the storefront total is {order_total} {cur}: a difference of {diff}, beyond the tolerance of {}",
                    posting.rounding_tolerance,
                    cur = order.currency
                ),
            ));
        } else {
            let target = posting.target(TargetFor::Rounding);
            if target.is_none() {
                issues.push(missing_target(
                    oid,
                    settings,
                    TargetFor::Rounding,
                    &format!("a rounding difference of {diff}"),
                ));
            }
            lines.push(SalesLine {
                kind: SalesLineKind::Rounding,
                target,
                description: "Rounding".to_string(),
                sku: None,
                quantity: Decimal::ONE,
                unit_price: diff,
                amount: diff,
                tax_code: posting.non_taxable_code.clone(),
            });
        }
    }

    // Sales receipts carry their payment (P3).
    let kind = settings.orders.document_kind;
    let mut payment = None;
    if kind == DocumentKind::SalesReceipt || settings.payments.link == PaymentLink::SalesReceipt {
        let first = order
            .payments
            .iter()
            .find(|p| p.state != crate::order::PaymentState::Void);
        match first.map(|p| (p, settings.payment_map.get(&p.method))) {
            Some((p, Some(m))) if !m.open_ar => {
                payment = Some(DocumentPayment {
                    receipt_type: m.receipt_type.clone().unwrap_or_default(),
                    deposit_account: m.deposit_account.clone().unwrap_or_default(),
                    reference: p.transaction_id.clone(),
                });
            }
            Some((p, None)) => issues.push(MappingIssue::new(
                Some(oid),
                IssueCode::UnmappedPaymentMethod,
                Some("payment_map"),
                format!("payment method `{}` is not in `payment_map`", p.method),
            )),
            _ => {}
        }
    }

    if !issues.is_empty() {
        issues.sort();
        issues.dedup();
        return Err(issues);
    }
    let Some(import_id) = import_id else {
        return Err(issues);
    };

    let due_date = match kind {
        DocumentKind::Invoice => date.checked_add_days(chrono::Days::new(u64::from(
            settings.posting.due_date_offset_days,
        ))),
        _ => None,
    };
    let shipping = order.shipping_addresses.first().map(|s| s.address.clone());
    let ship_via = ShipVia::for_order(order, &settings.shipping);

    Ok(SalesDocument {
        kind,
        import_id: import_id.clone(),
        order_id: order.id.clone(),
        number,
        client: lookups.client.at.clone(),
        lines,
        taxes,
        currency: order.currency,
        exchange_rate: order.exchange_rate,
        date,
        due_date,
        customer_memo: if settings.posting.use_default_customer_message {
            None
        } else {
            order.customer_message.clone()
        },
        private_note: Some(format!(
            "bcsync import id {import_id}; storefront order {}",
            order.number
        )),
        class: settings.posting.class.clone(),
        location: settings.posting.location.clone(),
        warehouse: settings.shipping.warehouse.clone(),
        ship_via,
        billing: Some(order.billing.clone()),
        shipping,
        order_total,
        payment,
        custom: BTreeMap::new(),
    })
}
