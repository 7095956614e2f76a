//! Customers, items, payments and journal transactions.

use bc_core::{Client, DocNumber, ItemType, JournalEntry, NewItem, ReceiptPosting, ReceiptState};
use serde_json::{json, Value};

use super::{num, v};

/// A stable `CustomerID` for a client (Acumatica's customer key is entered, not numbered):
/// `W` + 9 base-36 digits of a hash of its import id (else e-mail, else name), so creating the
/// same client again upserts the same record.
pub fn customer_id(client: &Client) -> String {
    let key = client
        .import_id
        .clone()
        .or_else(|| client.email.clone().map(|e| e.to_lowercase()))
        .unwrap_or_else(|| client.display_name.clone());
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::new();
    for _ in 0..9 {
        out.push(char::from(
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(h % 36) as usize],
        ));
        h /= 36;
    }
    format!("W{out}")
}

/// The Customer record; the import id goes to `AccountRef`.
pub fn customer(client: &Client, class: &str) -> Value {
    let mut body = json!({
        "CustomerID": v(customer_id(client)),
        "CustomerName": v(client.display_name.clone()),
        "CustomerClass": v(class),
        "Email": v(client.email.clone()),
        "AccountRef": v(client.import_id.clone()),
        "MainContact": {
            "Email": v(client.email.clone()),
            "Phone1": v(client.phone.clone()),
            "CompanyName": v(client.company.clone()),
        },
    });
    if let Some(c) = client.currency {
        body["CurrencyID"] = v(c.code());
    }
    if let Some(a) = &client.billing {
        body["MainContact"]["Address"] = json!({
            "AddressLine1": v(a.street_1.clone()), "AddressLine2": v(a.street_2.clone()),
            "City": v(a.city.clone()), "State": v(a.state.clone()), "PostalCode": v(a.zip.clone()),
            "Country": v(a.country_iso2.clone()),
        });
    }
    body
}

/// The entity an item is created as, and its record.
pub fn item(item: &NewItem) -> (&'static str, Value) {
    match item.item_type {
        ItemType::Inventory => (
            "StockItem",
            json!({
                "InventoryID": v(item.sku.as_str()), "Description": v(item.name.clone()),
                "SalesAccount": v(item.income_account.clone()), "COGSAccount": v(item.cogs_account.clone()),
                "InventoryAccount": v(item.asset_account.clone()),
                "DefaultPrice": v(item.unit_price.map(num)), "ItemClass": v(item.product_class.clone()),
            }),
        ),
        _ => (
            "NonStockItem",
            json!({
                "InventoryID": v(item.sku.as_str()), "Description": v(item.name.clone()),
                "SalesAccount": v(item.income_account.clone()), "ExpenseAccount": v(item.expense_account.clone()),
                "DefaultPrice": v(item.unit_price.map(num)), "ItemClass": v(item.product_class.clone()),
            }),
        ),
    }
}

/// The key a receipt carries in `ExternalRef`: `<import id>/P<sequence>`.
pub fn receipt_key(r: &ReceiptPosting) -> String {
    format!("{}/P{}", r.import_id, r.sequence)
}

/// A Payment applied to the invoice (`DocumentsToApply`) or the sales order (`OrdersToApply`).
/// Pre-authorisations stay on hold (captured later in the ERP, P2).
pub fn payment(r: &ReceiptPosting, customer: &str, applies_to: &DocTarget) -> Value {
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

/// A journal transaction; the key leads its description: `[key] memo`.
pub fn journal(entry: &JournalEntry) -> Value {
    let lines: Vec<Value> = entry
        .lines
        .iter()
        .map(|l| json!({"Account": v(l.account.clone()), "DebitAmount": v(num(l.debit)), "CreditAmount": v(num(l.credit)), "TransactionDescription": v(l.description.clone())}))
        .collect();
    let number = match &entry.number {
        DocNumber::Fixed(n) => format!(" {n}"),
        DocNumber::Auto => String::new(),
    };
    json!({
        "Module": v("GL"),
        "TransactionDate": v(format!("{}T00:00:00+00:00", entry.date)),
        "CurrencyID": v(entry.currency.code()),
        "Description": v(format!("[{}]{number} {}", entry.key, entry.memo.clone().unwrap_or_default())),
        "Hold": v(false),
        "Details": lines,
    })
}
