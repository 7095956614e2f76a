//! Actions (`POST /{Entity}/{Action}` with `{"entity": {…keys…}, "parameters": {…}}`) run as
//! long operations: the answer is `202 Accepted` with a `Location` to poll with GET, which
//! answers `202` while the operation runs and `204 No Content` when it has completed
//! (OpenAPI `InvokeAction_202` / `InvokeAction_204`; help.acumatica.com "Execute an Action").
//!
//! The effect is applied when the operation completes — on the poll that answers 204 — so an
//! operation nobody polls to the end never happens, and one that hangs (see
//! [`crate::AcumaticaSandbox::set_action_polls`]) never completes.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::errors::AcuError;
use crate::rules::refresh_order;
use crate::schema::Kind;
use crate::store::Store;
use crate::values::{boolean, dec, details, obj, same, set, set_dec, text};

/// A long operation.
#[derive(Clone, Debug)]
pub struct Operation {
    /// The entity.
    pub kind: Kind,
    /// The action name.
    pub action: String,
    /// The record's id.
    pub record: String,
    /// The action's parameters (values wrapped).
    pub parameters: Value,
    /// Polls still answered 202.
    pub polls_left: u32,
    /// The outcome once completed: the location of the resulting record, or the failure.
    pub outcome: Option<Result<String, AcuError>>,
}

/// The operations of the instance.
#[derive(Debug, Default)]
pub struct Operations {
    ops: BTreeMap<String, Operation>,
    next: u64,
}

impl Operations {
    /// Registers an operation; returns its id.
    pub fn start(&mut self, op: Operation) -> String {
        self.next += 1;
        let id = format!("{:08x}-0000-4000-a000-{:012x}", 0xac7u32, self.next);
        self.ops.insert(id.clone(), op);
        id
    }

    /// The operation with this id.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Operation> {
        self.ops.get_mut(id)
    }

    /// Operations not completed yet.
    pub fn pending(&self) -> usize {
        self.ops.values().filter(|o| o.outcome.is_none()).count()
    }
}

fn refuse(row: &Value, message: &str) -> AcuError {
    let mut shown = row.clone();
    obj(&mut shown).insert("error".into(), json!(message));
    AcuError::Invalid(shown)
}

/// The record an invocation names, by `id` or key fields.
pub fn target(store: &Store, kind: Kind, entity: &Value) -> Result<Value, AcuError> {
    if let Some(id) = entity.get("id").and_then(Value::as_str) {
        if let Some(r) = store.by_id(kind, id) {
            return Ok(r.clone());
        }
    }
    crate::documents::body_keys(kind, entity)
        .and_then(|k| store.get(kind, &k).cloned())
        .ok_or_else(AcuError::not_found)
}

/// Checks an action can start on `row` (answered at once, before any 202).
pub fn precheck(kind: Kind, action: &str, row: &Value) -> Result<(), AcuError> {
    let status = text(row, "Status").unwrap_or_default();
    let ok = match (kind, action) {
        (Kind::SalesOrder, "SalesOrderCreateShipment") => status == "Open",
        (Kind::SalesOrder, "PrepareSalesInvoice") => status == "Completed",
        (Kind::Shipment, "ConfirmShipment") => {
            status == "Open" && boolean(row, "Hold") != Some(true)
        }
        (Kind::Shipment, "PrepareInvoice") => status == "Confirmed",
        (Kind::SalesInvoice, "ReleaseSalesInvoice") | (Kind::Payment, "ReleasePayment") => {
            status == "Balanced"
        }
        (Kind::JournalTransaction, "ReleaseJournalTransaction") => status == "Balanced",
        _ => {
            return Err(AcuError::bad_request(format!(
                "The action {action} is not supported by the sandbox for {}.",
                kind.name()
            )))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(refuse(
            row,
            &format!(
                "The action {action} cannot be performed on a document with the status '{status}'."
            ),
        ))
    }
}

fn location(kind: Kind, row: &Value) -> String {
    let keys: Vec<String> = kind
        .keys()
        .iter()
        .map(|k| text(row, k).unwrap_or_default())
        .collect();
    format!("{}/{}/{}", crate::ENDPOINT, kind.name(), keys.join("/"))
}

/// Runs a completed operation's effect; returns the `Location` of the resulting record.
pub fn apply(store: &mut Store, op: &Operation) -> Result<String, AcuError> {
    let row = store
        .by_id(op.kind, &op.record)
        .cloned()
        .ok_or_else(AcuError::not_found)?;
    precheck(op.kind, &op.action, &row)?;
    match (op.kind, op.action.as_str()) {
        (Kind::SalesOrder, "SalesOrderCreateShipment") => {
            let date = op
                .parameters
                .get("ShipmentDate")
                .and_then(|v| v.get("value"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let warehouse = op
                .parameters
                .get("WarehouseID")
                .and_then(|v| v.get("value"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let s = create_shipment(store, &row, date, warehouse)?;
            Ok(location(Kind::Shipment, &s))
        }
        (Kind::Shipment, "ConfirmShipment") => {
            let s = confirm_shipment(store, &row)?;
            Ok(location(Kind::Shipment, &s))
        }
        (Kind::SalesOrder, "PrepareSalesInvoice") | (Kind::Shipment, "PrepareInvoice") => {
            let inv = prepare_invoice(store, op.kind, &row)?;
            Ok(location(Kind::SalesInvoice, &inv))
        }
        (Kind::SalesInvoice, "ReleaseSalesInvoice") => {
            release_invoice(store, row).map(|r| location(Kind::SalesInvoice, &r))
        }
        (Kind::Payment, "ReleasePayment") => {
            release_payment(store, row).map(|r| location(Kind::Payment, &r))
        }
        (Kind::JournalTransaction, _) => {
            let mut r = row;
            set(&mut r, "Status", "Posted");
            let r = store.save(Kind::JournalTransaction, r);
            Ok(location(Kind::JournalTransaction, &r))
        }
        _ => Err(AcuError::bad_request("unsupported action")),
    }
}

/// Creates a shipment for an order's open quantities (status Open).
pub fn create_shipment(
    store: &mut Store,
    order: &Value,
    date: Option<String>,
    warehouse: Option<String>,
) -> Result<Value, AcuError> {
    let (ty, nbr) = (
        text(order, "OrderType").unwrap_or_default(),
        text(order, "OrderNbr").unwrap_or_default(),
    );
    let mut lines = Vec::new();
    let mut shipped = Decimal::ZERO;
    for l in details(order, "Details") {
        let open = dec(l, "OpenQty").unwrap_or_else(|| dec(l, "OrderQty").unwrap_or_default());
        let item = text(l, "InventoryID").unwrap_or_default();
        if open <= Decimal::ZERO {
            continue;
        }
        // A non-stock item goes on a shipment only when it requires shipment (IN202000's
        // "Require Shipment"); charges such as shipping or a discount line never do.
        if !crate::rules::needs_shipment(store, &item) {
            continue;
        }
        let wh = warehouse
            .clone()
            .or_else(|| text(l, "WarehouseID"))
            .unwrap_or_else(|| "MAIN".into());
        shipped += open;
        lines.push(json!({
            "InventoryID": {"value": item}, "ShippedQty": {"value": crate::values::num(open)},
            "OrderedQty": l.get("OrderQty"), "OrderType": {"value": ty}, "OrderNbr": {"value": nbr},
            "OrderLineNbr": l.get("LineNbr"), "WarehouseID": {"value": wh}, "UOM": {"value": "EA"},
            "Description": l.get("LineDescription"),
        }));
    }
    if lines.is_empty() {
        return Err(refuse(order, "The sales order has no lines to ship."));
    }
    let number = store.next_number("SH");
    let mut s = store.fresh();
    let today = store.now().format("%Y-%m-%dT00:00:00+00:00").to_string();
    set(&mut s, "ShipmentNbr", number.clone());
    set(&mut s, "Type", "Shipment");
    set(&mut s, "Status", "Open");
    set(&mut s, "Hold", false);
    set(&mut s, "Operation", "Issue");
    set(
        &mut s,
        "CustomerID",
        text(order, "CustomerID").unwrap_or_default(),
    );
    set(
        &mut s,
        "ShipVia",
        text(order, "ShipVia").unwrap_or_default(),
    );
    set(&mut s, "ShipmentDate", date.unwrap_or(today));
    set(
        &mut s,
        "WarehouseID",
        warehouse.unwrap_or_else(|| "MAIN".into()),
    );
    set_dec(&mut s, "ShippedQty", shipped);
    for (i, l) in lines.iter_mut().enumerate() {
        store.stamp_detail(l, i);
    }
    let mut orders = vec![
        json!({"OrderType": {"value": ty}, "OrderNbr": {"value": nbr}, "ShipmentNbr": {"value": number}, "ShipmentType": {"value": "Shipment"}, "ShippedQty": {"value": crate::values::num(shipped)}}),
    ];
    store.stamp_detail(&mut orders[0], 0);
    obj(&mut s).insert("Details".into(), Value::Array(lines));
    obj(&mut s).insert("Orders".into(), Value::Array(orders));
    obj(&mut s).insert("Packages".into(), Value::Array(Vec::new()));
    let s = store.save(Kind::Shipment, s);
    refresh_order(store, &ty, &nbr);
    Ok(s)
}

/// Confirms a shipment: stock leaves the warehouse, the order's open quantities drop.
pub fn confirm_shipment(store: &mut Store, shipment: &Value) -> Result<Value, AcuError> {
    let mut s = shipment.clone();
    let mut touched = Vec::new();
    for l in details(shipment, "Details") {
        let item = text(l, "InventoryID").unwrap_or_default();
        let wh = text(l, "WarehouseID").unwrap_or_else(|| "MAIN".into());
        let qty = dec(l, "ShippedQty").unwrap_or_default();
        if let Some(q) = store
            .on_hand
            .iter_mut()
            .find(|((i, w), _)| same(i, &item) && same(w, &wh))
            .map(|(_, q)| q)
        {
            *q -= qty;
        }
        let (ty, nbr) = (
            text(l, "OrderType").unwrap_or_default(),
            text(l, "OrderNbr").unwrap_or_default(),
        );
        let line = dec(l, "OrderLineNbr").unwrap_or_default();
        if let Some(mut so) = store
            .get(Kind::SalesOrder, &[ty.clone(), nbr.clone()])
            .cloned()
        {
            if let Some(rows) = so.get_mut("Details").and_then(Value::as_array_mut) {
                for r in rows.iter_mut() {
                    if dec(r, "LineNbr") == Some(line) {
                        let open = dec(r, "OpenQty")
                            .unwrap_or_else(|| dec(r, "OrderQty").unwrap_or_default());
                        set_dec(r, "OpenQty", (open - qty).max(Decimal::ZERO));
                        set_dec(r, "QtyOnShipments", qty);
                    }
                }
            }
            store.save(Kind::SalesOrder, so);
            touched.push((ty, nbr));
        }
    }
    set(&mut s, "Status", "Confirmed");
    let s = store.save(Kind::Shipment, s);
    for (ty, nbr) in touched {
        refresh_order(store, &ty, &nbr);
    }
    Ok(s)
}

/// Prepares the invoice of a confirmed shipment (or a completed order): lines, taxes and the
/// customer's order number (`CustomerOrder`) are copied from the order.
pub fn prepare_invoice(store: &mut Store, kind: Kind, row: &Value) -> Result<Value, AcuError> {
    let (order_key, shipment_nbr) = if kind == Kind::Shipment {
        let o = details(row, "Orders").first().cloned().unwrap_or_default();
        (
            (
                text(&o, "OrderType").unwrap_or_default(),
                text(&o, "OrderNbr").unwrap_or_default(),
            ),
            text(row, "ShipmentNbr"),
        )
    } else {
        (
            (
                text(row, "OrderType").unwrap_or_default(),
                text(row, "OrderNbr").unwrap_or_default(),
            ),
            None,
        )
    };
    let order = store
        .get(
            Kind::SalesOrder,
            &[order_key.0.clone(), order_key.1.clone()],
        )
        .cloned()
        .ok_or_else(AcuError::not_found)?;
    if store.rows(Kind::SalesInvoice).iter().any(|i| {
        details(i, "Details")
            .iter()
            .any(|l| text(l, "OrderNbr").is_some_and(|n| same(&n, &order_key.1)))
    }) {
        return Err(refuse(row, "The order has already been invoiced."));
    }
    let mut lines = Vec::new();
    for l in details(&order, "Details") {
        lines.push(json!({
            "InventoryID": l.get("InventoryID"), "Qty": l.get("OrderQty"), "UnitPrice": l.get("UnitPrice"),
            "DiscountAmount": l.get("DiscountAmount"), "Description": l.get("LineDescription"),
            "OrderType": {"value": order_key.0}, "OrderNbr": {"value": order_key.1},
            "OrderLineNbr": l.get("LineNbr"), "ShipmentNbr": {"value": shipment_nbr},
        }));
    }
    let mut body = json!({
        "Type": {"value": "Invoice"},
        "CustomerID": order.get("CustomerID"),
        "CustomerOrder": order.get("CustomerOrder"),
        "Description": {"value": format!("Order {} {}", order_key.0, order_key.1)},
        "Currency": order.get("CurrencyID"),
        "Hold": {"value": false},
        "Details": lines,
        "TaxDetails": details(&order, "TaxDetails").iter().map(|t| json!({"TaxID": t.get("TaxID"), "TaxableAmount": t.get("TaxableAmount"), "TaxAmount": t.get("TaxAmount")})).collect::<Vec<_>>(),
    });
    if let Some(zone) = order
        .get("FinancialSettings")
        .and_then(|f| text(f, "CustomerTaxZone"))
    {
        body["FinancialDetails"] = json!({"CustomerTaxZone": {"value": zone}});
    }
    let inv = crate::documents::put(
        store,
        Kind::SalesInvoice,
        &body,
        crate::documents::PutMode::InsertOnly,
    )?;
    let inv_nbr = text(&inv, "ReferenceNbr").unwrap_or_default();
    for sh in store.rows(Kind::Shipment).to_vec() {
        let mut sh = sh;
        let mut changed = false;
        if let Some(rows) = sh.get_mut("Orders").and_then(Value::as_array_mut) {
            for o in rows.iter_mut() {
                if text(o, "OrderNbr").is_some_and(|n| same(&n, &order_key.1)) {
                    set(o, "InvoiceNbr", inv_nbr.clone());
                    set(o, "InvoiceType", "Invoice");
                    changed = true;
                }
            }
        }
        if changed {
            store.save(Kind::Shipment, sh);
        }
    }
    refresh_order(store, &order_key.0, &order_key.1);
    Ok(inv)
}

fn close_if_zero(row: &mut Value) {
    if dec(row, "Balance").unwrap_or_default() <= Decimal::ZERO {
        set(row, "Status", "Closed");
    }
}

/// Releases an invoice or credit memo; a credit memo is applied to the open invoices it names.
pub fn release_invoice(store: &mut Store, mut row: Value) -> Result<Value, AcuError> {
    let amount = dec(&row, "Amount").unwrap_or_default();
    set_dec(&mut row, "Balance", amount);
    set(&mut row, "Status", "Open");
    if text(&row, "Type").as_deref() == Some("Credit Memo") {
        let mut apps = details(&row, "ApplicationsCreditMemo").to_vec();
        for a in apps.iter_mut() {
            let key = [
                text(a, "DocType").unwrap_or_else(|| "Invoice".into()),
                text(a, "ReferenceNbr").unwrap_or_default(),
            ];
            let Some(mut inv) = store.get(Kind::SalesInvoice, &key).cloned() else {
                continue;
            };
            if text(&inv, "Status").as_deref() != Some("Open") {
                continue;
            }
            let want = dec(a, "AmountPaid").unwrap_or(amount);
            let take = want
                .min(dec(&inv, "Balance").unwrap_or_default())
                .min(dec(&row, "Balance").unwrap_or_default());
            let inv_balance = dec(&inv, "Balance").unwrap_or_default();
            set_dec(&mut inv, "Balance", inv_balance - take);
            close_if_zero(&mut inv);
            store.save(Kind::SalesInvoice, inv);
            let own_balance = dec(&row, "Balance").unwrap_or_default();
            set_dec(&mut row, "Balance", own_balance - take);
            set_dec(a, "AmountPaid", take);
        }
        obj(&mut row).insert("ApplicationsCreditMemo".into(), Value::Array(apps));
        close_if_zero(&mut row);
    }
    Ok(store.save(Kind::SalesInvoice, row))
}

/// Releases a payment: its applications reduce the invoices' balances.
pub fn release_payment(store: &mut Store, mut row: Value) -> Result<Value, AcuError> {
    let mut applied = Decimal::ZERO;
    for d in details(&row, "DocumentsToApply") {
        let key = [
            text(d, "DocType").unwrap_or_else(|| "Invoice".into()),
            text(d, "ReferenceNbr").unwrap_or_default(),
        ];
        let amt = dec(d, "AmountPaid").unwrap_or_default();
        let Some(mut inv) = store.get(Kind::SalesInvoice, &key).cloned() else {
            return Err(refuse(&row, "An applied document cannot be found."));
        };
        let balance = dec(&inv, "Balance").unwrap_or_default();
        if amt > balance {
            return Err(refuse(
                &row,
                "The amount paid exceeds the balance of an applied document.",
            ));
        }
        set_dec(&mut inv, "Balance", balance - amt);
        close_if_zero(&mut inv);
        store.save(Kind::SalesInvoice, inv);
        applied += amt;
    }
    applied += details(&row, "OrdersToApply")
        .iter()
        .map(|o| dec(o, "AppliedToOrder").unwrap_or_default())
        .sum::<Decimal>();
    let available = dec(&row, "PaymentAmount").unwrap_or_default() - applied;
    set_dec(&mut row, "AvailableBalance", available);
    set(
        &mut row,
        "Status",
        if available > Decimal::ZERO {
            "Open"
        } else {
            "Closed"
        },
    );
    let saved = store.save(Kind::Payment, row);
    crate::rules::after_save(store, Kind::Payment, &saved);
    Ok(saved)
}
