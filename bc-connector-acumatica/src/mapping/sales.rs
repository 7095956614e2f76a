//! Sales documents: sales orders (`SalesOrder`) and invoices (`SalesInvoice` of type Invoice),
//! their lines and taxes, and the tenders (gift certificates, store credit) recorded as
//! payments beside them.
//!
//! The import id goes to `CustomerOrder` and, repeated, to `ExternalRef` — that pair is how
//! the connector recognises what it posted (an ERP user's order carries its own customer
//! order number and, once linked, the storefront number in `ExternalRef`). A fixed document
//! number leads the description (Acumatica numbers documents itself).
//!
//! Lines: items by `InventoryID`; lines that post to a GL account (discounts, gift cards to
//! the liability account, store credit…) through the configured non-stock item with the
//! `Account` overridden; lines that post to an item through that item. Tax: the storefront's
//! tax amounts are copied into `TaxDetails` under the document's tax zone, which comes from
//! `tax_zones` (Acumatica tax id → tax zone); an unmapped tax is a mapping issue naming the
//! zone and the setting, and nothing is posted.

use bc_core::{
    DocNumber, DocumentKind, Error, IssueCode, MappingIssue, PostingTarget, Result, SalesDocument,
    SalesLineKind,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{num, v};
use crate::config::AcumaticaConfig;

pub(crate) struct Line<'a> {
    pub kind: &'a SalesLineKind,
    pub target: Option<&'a PostingTarget>,
    pub description: &'a str,
    pub sku: Option<&'a str>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub amount: Decimal,
    pub taxed: bool,
}

pub(crate) fn line(l: &Line<'_>, cfg: &AcumaticaConfig, qty_field: &str, order: bool) -> Value {
    let (item, account) = match (l.kind, l.target) {
        (SalesLineKind::Item { .. }, _) => (
            l.sku
                .map(str::to_string)
                .unwrap_or_else(|| cfg.misc_item.clone()),
            None,
        ),
        (_, Some(PostingTarget::Item(i))) => (i.clone(), None),
        (_, Some(PostingTarget::Account(a))) => (cfg.misc_item.clone(), Some(a.clone())),
        (_, None) => (cfg.misc_item.clone(), None),
    };
    // Acumatica computes round(qty × price) − discount; send what makes that the amount.
    let (qty, price, discount) =
        if (l.quantity * l.unit_price).round_dp(2) == l.amount && !l.quantity.is_zero() {
            (l.quantity, l.unit_price, Decimal::ZERO)
        } else if !l.quantity.is_zero()
            && (l.quantity * l.unit_price).round_dp(2) > l.amount
            && l.amount >= Decimal::ZERO
        {
            (
                l.quantity,
                l.unit_price,
                (l.quantity * l.unit_price).round_dp(2) - l.amount,
            )
        } else {
            (Decimal::ONE, l.amount, Decimal::ZERO)
        };
    let mut row = json!({
        "InventoryID": v(item),
        qty_field: v(num(qty)),
        "UnitPrice": v(num(price)),
        "DiscountAmount": v(num(discount)),
        "TaxCategory": v(if l.taxed { cfg.taxable_category.clone() } else { cfg.exempt_category.clone() }),
    });
    row[if order {
        "LineDescription"
    } else {
        "Description"
    }] = v(l.description);
    if let Some(a) = account {
        row["Account"] = v(a);
    }
    if order && matches!(l.kind, SalesLineKind::Item { .. }) {
        row["WarehouseID"] = v(cfg.warehouse.clone());
    }
    row
}

/// The tax zone of a document's taxes, or every issue.
pub fn tax_zone(
    doc_taxes: &[(String, String)],
    cfg: &AcumaticaConfig,
    order: &bc_core::OrderId,
) -> Result<Option<String>> {
    let mut zone: Option<String> = None;
    let mut issues = Vec::new();
    for (tax_id, storefront_zone) in doc_taxes {
        match cfg.tax_zones.get(tax_id) {
            None => issues.push(MappingIssue::new(
                Some(order),
                IssueCode::UnmappedTaxZone,
                Some("ledger.tax_zones"),
                format!("storefront tax zone `{storefront_zone}` posts to Acumatica tax `{tax_id}`, which has no tax zone in `ledger.tax_zones`"),
            )),
            Some(z) if zone.as_ref().is_some_and(|x| x != z) => issues.push(MappingIssue::new(
                Some(order),
                IssueCode::UnmappedTaxZone,
                Some("ledger.tax_zones"),
                format!("the order's taxes map to two Acumatica tax zones (`{}` and `{z}`); one document has one zone", zone.clone().unwrap_or_default()),
            )),
            Some(z) => zone = Some(z.clone()),
        }
    }
    if issues.is_empty() {
        Ok(zone)
    } else {
        Err(Error::mapping(issues))
    }
}

/// Which entity a document kind posts as.
pub fn entity_of(kind: DocumentKind) -> Result<&'static str> {
    match kind {
        DocumentKind::SalesOrder => Ok("SalesOrder"),
        DocumentKind::Invoice => Ok("SalesInvoice"),
        DocumentKind::SalesReceipt => Err(Error::unsupported(
            crate::PLATFORM,
            "sales receipts (post invoices or sales orders; payments are separate documents)",
        )),
    }
}

/// The record of a sales document (a SalesOrder or a SalesInvoice of type Invoice).
pub fn sales_document(doc: &SalesDocument, customer: &str, cfg: &AcumaticaConfig) -> Result<Value> {
    let order = doc.kind == DocumentKind::SalesOrder;
    entity_of(doc.kind)?;
    let taxes: Vec<(String, String)> = doc
        .taxes
        .iter()
        .map(|t| (t.tax_code.to_string(), t.zone.clone()))
        .collect();
    let zone = tax_zone(&taxes, cfg, &doc.order_id)?;
    let qty_field = if order { "OrderQty" } else { "Qty" };
    // Tenders (gift certificates, store credit) are not revenue: they are payments from a
    // liability account, recorded after the document (see `tenders`).
    let lines: Vec<Value> = doc
        .lines
        .iter()
        .filter(|l| l.kind.is_revenue())
        .map(|l| {
            line(
                &Line {
                    kind: &l.kind,
                    target: l.target.as_ref(),
                    description: &l.description,
                    sku: l.sku.as_ref().map(|s| s.as_str()),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    amount: l.amount,
                    taxed: l.tax_code.is_some() && !doc.taxes.is_empty(),
                },
                cfg,
                qty_field,
                order,
            )
        })
        .collect();
    // A sales order's tax rows (`TaxDetail`) carry the rate; an invoice's
    // (`SalesInvoiceTaxDetail`, Default 24.200.001) have no `TaxRate` field.
    let tax_rows: Vec<Value> = doc
        .taxes
        .iter()
        .map(|t| {
            let mut row = json!({"TaxID": v(t.tax_code.as_str()), "TaxableAmount": v(num(t.taxable_amount)), "TaxAmount": v(num(t.amount))});
            if order {
                row["TaxRate"] = v(num(t.rate));
            }
            row
        })
        .collect();
    let number = match &doc.number {
        DocNumber::Fixed(n) => format!("{n} "),
        DocNumber::Auto => String::new(),
    };
    let description = format!("{number}{}", doc.customer_memo.clone().unwrap_or_default())
        .trim()
        .to_string();
    let date = format!("{}T00:00:00+00:00", doc.date);
    let mut body = json!({
        "CustomerID": v(customer),
        "CustomerOrder": v(doc.import_id.to_string()),
        "ExternalRef": v(doc.import_id.to_string()),
        "Date": v(date),
        "Description": v(description),
        "Hold": v(false),
        "Details": lines,
        "TaxDetails": tax_rows,
    });
    if order {
        body["OrderType"] = v(cfg.order_type.clone());
        body["CurrencyID"] = v(doc.currency.code());
        body["ShipVia"] = v(doc.ship_via.as_ref().map(|s| s.method.clone()));
        if let Some(z) = zone {
            body["FinancialSettings"] = json!({"CustomerTaxZone": v(z)});
        }
    } else {
        body["Type"] = v("Invoice");
        body["Currency"] = v(doc.currency.code());
        body["DueDate"] = v(doc.due_date.map(|d| format!("{d}T00:00:00+00:00")));
        if let Some(z) = zone {
            body["FinancialDetails"] = json!({"CustomerTaxZone": v(z)});
        }
    }
    Ok(body)
}

/// The tender payments of a document: `(key, amount, liability account)` per gift certificate
/// or store credit line; the key `<import id>/G<index>` goes to the payment's `ExternalRef`.
pub fn tenders(doc: &SalesDocument) -> Vec<(String, Decimal, Option<String>)> {
    doc.lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.kind.is_revenue() && !l.amount.is_zero())
        .map(|(i, l)| {
            let account = match &l.target {
                Some(PostingTarget::Account(a)) => Some(a.clone()),
                _ => None,
            };
            (format!("{}/G{i}", doc.import_id), -l.amount, account)
        })
        .collect()
}

/// The payment recording one tender of `doc` (a gift certificate or store credit redeemed):
/// from the liability `account` (`GIFTCARD` method), keyed by `key` in `ExternalRef`, applied
/// at once to the sales order `order` (type, number) when the document is one; on an invoice
/// it waits unapplied until the invoice is released.
pub fn tender_payment(
    doc: &SalesDocument,
    key: &str,
    amount: Decimal,
    account: &str,
    order: Option<(&str, &str)>,
) -> Value {
    let mut body = json!({
        "Type": v("Payment"), "CustomerID": v(doc.client.id.clone()), "PaymentMethod": v("GIFTCARD"),
        "CashAccount": v(account), "PaymentAmount": v(num(amount)),
        "CurrencyID": v(doc.currency.code()), "ExternalRef": v(key), "PaymentRef": v(key),
        "Description": v(format!("Gift certificate / store credit redeemed on {}", doc.import_id)),
        "Hold": v(false),
    });
    if let Some((ty, nbr)) = order {
        body["OrdersToApply"] =
            json!([{"OrderType": v(ty), "OrderNbr": v(nbr), "AppliedToOrder": v(num(amount))}]);
    }
    body
}
