//! The ERP user's side (seed 003): what a person does in Acumatica's screens, which the
//! connector then picks up — create a sales order, record a payment that brings its unpaid
//! balance to 0, create a shipment with a tracking number and confirm it, prepare and release
//! the invoice. Each goes through the same rules as the API.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::actions;
use crate::documents::{put, PutMode};
use crate::errors::AcuError;
use crate::schema::Kind;
use crate::store::Store;
use crate::values::{dec, num, obj, text};

/// A sales order entered by the ERP user.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ErpOrder {
    /// Order type (`SO`, `WO`, `QT`).
    pub order_type: String,
    /// The customer.
    pub customer_id: String,
    /// The customer's order number (`CustomerOrder`).
    #[serde(default)]
    pub customer_order: Option<String>,
    /// Ship via.
    #[serde(default)]
    pub ship_via: Option<String>,
    /// Customer tax zone.
    #[serde(default)]
    pub tax_zone: Option<String>,
    /// Entered on hold.
    #[serde(default)]
    pub hold: bool,
    /// Boolean fields set on the order (e.g. a custom `UsrSyncToStore` flag).
    #[serde(default)]
    pub flags: BTreeMap<String, bool>,
    /// Lines.
    pub lines: Vec<ErpLine>,
}

/// A line of an [`ErpOrder`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErpLine {
    /// Item.
    pub inventory_id: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit price.
    pub unit_price: Decimal,
}

/// Creates the order; returns it.
pub fn create_order(store: &mut Store, o: &ErpOrder) -> Result<Value, AcuError> {
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let desc = store.item(&l.inventory_id).and_then(|(_, r)| text(r, "Description"));
            json!({"InventoryID": {"value": l.inventory_id}, "OrderQty": {"value": num(l.quantity)}, "UnitPrice": {"value": num(l.unit_price)}, "WarehouseID": {"value": "MAIN"}, "LineDescription": {"value": desc}})
        })
        .collect();
    let mut body = json!({
        "OrderType": {"value": o.order_type},
        "CustomerID": {"value": o.customer_id},
        "CustomerOrder": {"value": o.customer_order},
        "ShipVia": {"value": o.ship_via},
        "Hold": {"value": o.hold},
        "Description": {"value": "Entered in the ERP"},
        "Details": lines,
    });
    if let Some(z) = &o.tax_zone {
        body["FinancialSettings"] = json!({"CustomerTaxZone": {"value": z}});
    }
    let customer = store
        .get(Kind::Customer, std::slice::from_ref(&o.customer_id))
        .cloned();
    if let Some(contact) = customer.as_ref().and_then(|c| c.get("MainContact")) {
        body["ShipToAddress"] = contact.get("Address").cloned().unwrap_or(json!({}));
        body["BillToAddress"] = contact.get("Address").cloned().unwrap_or(json!({}));
        // Both contacts default from the customer's, as the Sales Orders screen fills them.
        let order_contact = json!({"BusinessName": customer.as_ref().and_then(|c| c.get("CustomerName")), "Attention": contact.get("Attention"), "Email": contact.get("Email"), "Phone1": contact.get("Phone1")});
        body["ShipToContact"] = order_contact.clone();
        body["BillToContact"] = order_contact;
    }
    for (k, v) in &o.flags {
        obj(&mut body).insert(k.clone(), json!({"value": v}));
    }
    put(store, Kind::SalesOrder, &body, PutMode::InsertOnly)
}

fn order(store: &Store, ty: &str, nbr: &str) -> Result<Value, AcuError> {
    store
        .get(Kind::SalesOrder, &[ty.to_string(), nbr.to_string()])
        .cloned()
        .ok_or_else(AcuError::not_found)
}

/// Records a payment applied to the order (default: its whole unpaid balance) and releases it.
pub fn record_payment(
    store: &mut Store,
    ty: &str,
    nbr: &str,
    method: Option<&str>,
    amount: Option<Decimal>,
) -> Result<Value, AcuError> {
    let so = order(store, ty, nbr)?;
    let unpaid = so
        .get("Totals")
        .and_then(|t| dec(t, "UnpaidBalance"))
        .unwrap_or_default();
    let amount = amount.unwrap_or(unpaid);
    let method = method.unwrap_or("CHECK");
    let cash = if method == "PAYPAL" { "10300" } else { "10100" };
    let body = json!({
        "Type": {"value": "Payment"}, "CustomerID": so.get("CustomerID"),
        "PaymentMethod": {"value": method}, "CashAccount": {"value": cash},
        "PaymentAmount": {"value": num(amount)}, "PaymentRef": {"value": format!("ERP {ty} {nbr}")},
        "Description": {"value": "Recorded in the ERP"},
        "OrdersToApply": [{"OrderType": {"value": ty}, "OrderNbr": {"value": nbr}, "AppliedToOrder": {"value": num(amount)}}],
    });
    let p = put(store, Kind::Payment, &body, PutMode::InsertOnly)?;
    actions::release_payment(store, p)
}

/// Creates the order's shipment with a package carrying `tracking`, and confirms it when asked.
pub fn ship_order(
    store: &mut Store,
    ty: &str,
    nbr: &str,
    tracking: Option<&str>,
    confirm: bool,
) -> Result<Value, AcuError> {
    let so = order(store, ty, nbr)?;
    actions::precheck(Kind::SalesOrder, "SalesOrderCreateShipment", &so)?;
    let mut s = actions::create_shipment(store, &so, None, None)?;
    if let Some(t) = tracking {
        let mut pkg = json!({"BoxID": {"value": "BOX"}, "TrackingNbr": {"value": t}, "Confirmed": {"value": true}, "Weight": {"value": 1}});
        store.stamp_detail(&mut pkg, 0);
        obj(&mut s).insert("Packages".into(), json!([pkg]));
        s = store.save(Kind::Shipment, s);
    }
    if confirm {
        s = actions::confirm_shipment(store, &s)?;
    }
    Ok(s)
}

/// Prepares the invoice of a completed order and releases it.
pub fn invoice_order(store: &mut Store, ty: &str, nbr: &str) -> Result<Value, AcuError> {
    let so = order(store, ty, nbr)?;
    actions::precheck(Kind::SalesOrder, "PrepareSalesInvoice", &so)?;
    let inv = actions::prepare_invoice(store, Kind::SalesOrder, &so)?;
    actions::release_invoice(store, inv)
}
