//! Credit memos (`SalesInvoice` of type Credit Memo): keyed by `<import id>/R<refund>` in
//! `ExternalRef`, linked to the invoice they credit, lines and tax as on the sales documents.

use bc_core::{CreditMemo, Result};
use serde_json::{json, Value};

use super::sales::{line, tax_zone, Line};
use super::{num, v};
use crate::config::AcumaticaConfig;

/// The key a credit memo carries in `ExternalRef`: `<import id>/R<refund id>`.
pub fn credit_key(import_id: &bc_core::ImportId, refund_id: &str) -> String {
    format!("{import_id}/R{refund_id}")
}

/// A SalesInvoice of type Credit Memo, its lines linked to the invoice (`OrigInvNbr`), and
/// applied to it when the invoice is released (`open_invoice`).
pub fn credit_memo(
    memo: &CreditMemo,
    customer: &str,
    invoice: Option<&str>,
    open_invoice: bool,
    cfg: &AcumaticaConfig,
) -> Result<Value> {
    let zone = match &memo.tax_code {
        Some(code) if !memo.tax.is_zero() => tax_zone(
            &[(code.to_string(), code.to_string())],
            cfg,
            memo.import_id.order(),
        )?,
        _ => None,
    };
    let mut lines: Vec<Value> = memo
        .lines
        .iter()
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
                    taxed: zone.is_some() && l.tax_code.is_some(),
                },
                cfg,
                "Qty",
                false,
            )
        })
        .collect();
    if let Some(inv) = invoice {
        for l in &mut lines {
            l["OrigInvType"] = v("Invoice");
            l["OrigInvNbr"] = v(inv);
        }
    }
    let mut body = json!({
        "Type": v("Credit Memo"),
        "CustomerID": v(customer),
        "CustomerOrder": v(memo.import_id.to_string()),
        "ExternalRef": v(credit_key(&memo.import_id, &memo.refund_id)),
        "Date": v(format!("{}T00:00:00+00:00", memo.date)),
        "Currency": v(memo.currency.code()),
        "Description": v(format!("Refund {} {}", memo.refund_id, memo.memo.clone().unwrap_or_default()).trim().to_string()),
        "Hold": v(false),
        "Details": lines,
    });
    if let (Some(z), Some(code)) = (zone, &memo.tax_code) {
        body["FinancialDetails"] = json!({"CustomerTaxZone": v(z)});
        body["TaxDetails"] = json!([{"TaxID": v(code.as_str()), "TaxAmount": v(num(memo.tax))}]);
    }
    if let (Some(inv), true) = (invoice, open_invoice) {
        body["ApplicationsCreditMemo"] = json!([{"DocType": v("Invoice"), "ReferenceNbr": v(inv), "AmountPaid": v(num(memo.total))}]);
    }
    Ok(body)
}
