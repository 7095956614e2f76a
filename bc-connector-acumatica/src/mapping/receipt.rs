//! Payments: keyed by `<import id>/P<sequence>` in `ExternalRef`, applied to an invoice or a
//! sales order.

use bc_core::{Receipt, ReceiptState};
use serde_json::{json, Value};

use super::{num, v};

/// The key a receipt carries in `ExternalRef`: `<import id>/P<sequence>`.
pub fn receipt_key(r: &Receipt) -> String {
    format!("{}/P{}", r.import_id, r.sequence)
}

/// A Payment applied to the invoice (`DocumentsToApply`) or the sales order (`OrdersToApply`).
/// Pre-authorisations stay on hold (captured later in the ERP, P2).
pub fn payment(r: &Receipt, customer: &str, applies_to: &DocTarget) -> Value {
    let mut body = json!({
        "Type": v("Payment"),
        "CustomerID": v(customer),
        "PaymentMethod": v(r.receipt_type.clone()),
        "CashAccount": v(r.deposit_account.clone()),
        "PaymentAmount": v(num(r.amount)),
        "CurrencyID": v(r.currency.code()),
        "ApplicationDate": v(format!("{}T00:00:00+00:00", r.date)),
        "PaymentRef": v(r.reference.clone().unwrap_or_else(|| receipt_key(r))),
        "ExternalRef": v(receipt_key(r)),
        "Description": v(format!("Storefront payment {}", receipt_key(r))),
        "Hold": v(r.state == ReceiptState::PreAuthorized),
    });
    match applies_to {
        DocTarget::Invoice(nbr) => {
            body["DocumentsToApply"] = json!([{"DocType": v("Invoice"), "ReferenceNbr": v(nbr.clone()), "AmountPaid": v(num(r.amount))}])
        }
        DocTarget::Order(ty, nbr) => {
            body["OrdersToApply"] = json!([{"OrderType": v(ty.clone()), "OrderNbr": v(nbr.clone()), "AppliedToOrder": v(num(r.amount))}])
        }
    }
    body
}

/// What a receipt pays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocTarget {
    /// An invoice (`ReferenceNbr`).
    Invoice(String),
    /// A sales order (`OrderType`, `OrderNbr`).
    Order(String, String),
}
