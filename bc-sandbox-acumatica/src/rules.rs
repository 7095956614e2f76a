//! Per-entity business rules, applied on every PUT: required fields, selectors that must find
//! their record ("'X' cannot be found in the system."), automatic numbering, what a released
//! document still accepts, and the computed fields (totals, balances, statuses).
//!
//! Messages follow Acumatica's own wording for the same validations (PXDefault "'{0}' cannot
//! be empty.", PXSelector "'{0}' cannot be found in the system.", GL "Batch is out of balance,
//! please review."). Where Acumatica would quietly default or recalculate, the sandbox is
//! stricter and refuses: a manually given number on an auto-numbered document, a negative
//! quantity, an application to an unreleased document.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::errors::AcuError;
use crate::schema::Kind;
use crate::store::Store;
use crate::values::{
    boolean, dec, details, num, obj, raw, round2, same, set, set_dec, set_error, text,
};

/// Computed or system-maintained fields a PUT cannot set (they are ignored, as Acumatica
/// ignores disabled fields).
pub fn read_only(kind: Kind, field: &str) -> bool {
    let common = matches!(
        field,
        "Status" | "LastModifiedDateTime" | "LastModified" | "CreatedDateTime" | "CreatedDate"
    );
    common
        || match kind {
            Kind::SalesOrder => matches!(
                field,
                "OrderTotal" | "TaxTotal" | "Totals" | "Shipments" | "Payments" | "OrderedQty"
            ),
            Kind::SalesInvoice => matches!(
                field,
                "Amount" | "Balance" | "DetailTotal" | "TaxTotal" | "ApplicationsInvoice"
            ),
            Kind::Payment => matches!(
                field,
                "AppliedToDocuments"
                    | "AvailableBalance"
                    | "AppliedToOrders"
                    | "ApplicationHistory"
            ),
            Kind::StockItem => field == "WarehouseDetails",
            Kind::Shipment => matches!(field, "Orders" | "ShippedQty"),
            _ => false,
        }
}

fn released(kind: Kind, row: &Value) -> bool {
    let status = text(row, "Status").unwrap_or_default();
    match kind {
        Kind::SalesInvoice | Kind::Payment => matches!(status.as_str(), "Open" | "Closed"),
        Kind::JournalTransaction => status == "Posted",
        Kind::SalesOrder => matches!(status.as_str(), "Completed" | "Cancelled"),
        Kind::Shipment => status == "Confirmed",
        _ => false,
    }
}

/// A released (or completed) document accepts only its note, `ExternalRef` and
/// `Description`; anything else is a 422 on the first field it names.
pub fn guard_update(kind: Kind, existing: Option<&Value>, body: &Value) -> Result<(), AcuError> {
    let Some(existing) = existing else {
        return Ok(());
    };
    if !released(kind, existing) {
        return Ok(());
    }
    let allowed = |k: &str| {
        matches!(
            k,
            "id" | "rowNumber" | "note" | "custom" | "ExternalRef" | "Description"
        ) || kind.keys().contains(&k)
    };
    if let Some(field) = body
        .as_object()
        .and_then(|m| m.keys().find(|k| !allowed(k)))
    {
        return Err(AcuError::field(
            existing.clone(),
            field,
            "The document has been released or completed and cannot be changed.",
        ));
    }
    Ok(())
}

/// Field errors collected while checking a record.
#[derive(Default)]
struct Errors(Vec<FieldError>);

/// `(detail collection and row, field, message)`.
type FieldError = (Option<(String, usize)>, String, String);

impl Errors {
    fn field(&mut self, field: &str, msg: impl Into<String>) {
        self.0.push((None, field.into(), msg.into()));
    }
    fn detail(&mut self, coll: &str, i: usize, field: &str, msg: impl Into<String>) {
        self.0
            .push((Some((coll.into(), i)), field.into(), msg.into()));
    }
    fn into_result(self, row: &Value) -> Result<(), AcuError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut shown = row.clone();
        for (detail, field, msg) in self.0 {
            match detail {
                None => set_error(&mut shown, &field, &msg),
                Some((coll, i)) => {
                    if let Some(r) = shown.get_mut(&coll).and_then(|a| a.get_mut(i)) {
                        set_error(r, &field, &msg);
                        obj(r).insert("error".into(), json!(msg));
                    }
                }
            }
        }
        Err(AcuError::invalid(shown))
    }
}

fn empty(label: &str) -> String {
    format!("'{label}' cannot be empty.")
}

fn not_found(label: &str) -> String {
    format!("'{label}' cannot be found in the system.")
}

fn default(row: &mut Value, field: &str, v: impl Into<Value>) {
    if raw(row, field).is_none() {
        set(row, field, v);
    }
}

/// Checks, defaults, numbers and computes a record about to be saved.
pub fn complete(
    store: &mut Store,
    kind: Kind,
    row: &mut Value,
    existing: Option<&Value>,
) -> Result<(), AcuError> {
    let mut e = Errors::default();
    let inserting = existing.is_none();
    match kind {
        Kind::Customer => {
            match text(row, "CustomerID") {
                None => e.field("CustomerID", empty("Customer ID")),
                Some(id) if id.len() > 30 => e.field(
                    "CustomerID",
                    "'Customer ID' is too long (30 characters at most).",
                ),
                _ => {}
            }
            if text(row, "CustomerName").is_none() {
                e.field("CustomerName", empty("Customer Name"));
            }
            default(row, "CustomerClass", "DEFAULT");
            if let Some(c) = text(row, "CustomerClass") {
                if !store.customer_classes.iter().any(|x| same(x, &c)) {
                    e.field("CustomerClass", not_found("Customer Class"));
                }
            }
            default(row, "Status", "Active");
            let base = store.base_currency.clone();
            default(row, "CurrencyID", base);
            if let Some(c) = text(row, "CurrencyID") {
                if !store.currencies.iter().any(|x| same(x, &c)) {
                    e.field("CurrencyID", not_found("Currency ID"));
                }
            }
            default(row, "EnableCurrencyOverride", false);
        }
        Kind::StockItem | Kind::NonStockItem => {
            match text(row, "InventoryID") {
                None => e.field("InventoryID", empty("Inventory ID")),
                Some(id) if id.len() > 30 => e.field(
                    "InventoryID",
                    "'Inventory ID' is too long (30 characters at most).",
                ),
                _ => {}
            }
            if text(row, "Description").is_none() {
                e.field("Description", empty("Description"));
            }
            let accounts: &[&str] = if kind == Kind::StockItem {
                &["SalesAccount", "COGSAccount", "InventoryAccount"]
            } else {
                &["SalesAccount", "ExpenseAccount"]
            };
            for a in accounts {
                if let Some(v) = text(row, a) {
                    if !store.accounts.contains(&v) {
                        e.field(a, not_found(a));
                    }
                }
            }
            default(row, "ItemStatus", "Active");
        }
        Kind::SalesOrder => sales_order(store, row, inserting, &mut e),
        Kind::SalesInvoice => sales_invoice(store, row, inserting, &mut e),
        Kind::Payment => payment(store, row, inserting, existing, &mut e),
        Kind::JournalTransaction => journal(store, row, inserting, &mut e),
        Kind::Shipment => {
            if inserting {
                e.field(
                    "ShipmentNbr",
                    "Shipments are created from sales orders (SalesOrderCreateShipment).",
                );
            }
        }
        Kind::TaxZone | Kind::Tax | Kind::ShipVia | Kind::Warehouse => {
            for k in kind.keys() {
                if text(row, k).is_none() {
                    e.field(k, empty(k));
                }
            }
        }
        Kind::PaymentMethod => payment_method(store, row, &mut e),
        Kind::InventorySummaryInquiry => {}
    }
    e.into_result(row)
}

fn number(
    store: &mut Store,
    row: &mut Value,
    field: &str,
    prefix: &str,
    inserting: bool,
    e: &mut Errors,
) {
    if !inserting {
        return;
    }
    if text(row, field).is_some() {
        e.field(
            field,
            "The number cannot be specified manually: the numbering sequence is automatic.",
        );
        return;
    }
    let n = store.next_number(prefix);
    set(row, field, n);
}

fn customer_checks(store: &Store, row: &mut Value, e: &mut Errors, currency_field: &str) {
    match text(row, "CustomerID") {
        None => e.field("CustomerID", empty("Customer")),
        Some(c) if !store.exists(Kind::Customer, &c) => {
            e.field("CustomerID", not_found("Customer"))
        }
        _ => {}
    }
    // The customer's currency is the document's default; another one needs the customer's
    // "Enable Currency Override" (the field is read-only otherwise: refused, never ignored).
    let customer = text(row, "CustomerID").and_then(|c| store.get(Kind::Customer, &[c]).cloned());
    let customer_currency = customer
        .as_ref()
        .and_then(|c| text(c, "CurrencyID"))
        .unwrap_or_else(|| store.base_currency.clone());
    default(row, currency_field, customer_currency.clone());
    if let Some(c) = text(row, currency_field) {
        if !store.currencies.iter().any(|x| same(x, &c)) {
            e.field(currency_field, not_found("Currency"));
        } else if let Some(cust) = customer.as_ref().filter(|_| !same(&c, &customer_currency)) {
            if boolean(cust, "EnableCurrencyOverride") != Some(true) {
                e.field(
                    currency_field,
                    format!(
                        "The currency {c} differs from the customer's currency {customer_currency}, and currency override is not enabled for the customer."
                    ),
                );
            }
        }
    }
    let today = store.now().format("%Y-%m-%dT00:00:00+00:00").to_string();
    default(row, "Date", today);
    default(row, "Hold", false);
}

/// Lines: item found, quantity positive, amounts computed (`round2(qty × price) − discount`).
fn lines(
    store: &Store,
    row: &mut Value,
    qty_field: &str,
    item_required: bool,
    e: &mut Errors,
) -> Decimal {
    let mut total = Decimal::ZERO;
    let mut rows: Vec<Value> = details(row, "Details").to_vec();
    for (i, l) in rows.iter_mut().enumerate() {
        match text(l, "InventoryID") {
            Some(item) if store.item(&item).is_none() => {
                e.detail("Details", i, "InventoryID", not_found("Inventory ID"));
            }
            Some(_) => {}
            None if item_required || text(l, "Account").is_none() => {
                e.detail("Details", i, "InventoryID", empty("Inventory ID"))
            }
            None => {}
        }
        if let Some(a) = text(l, "Account") {
            if !store.accounts.contains(&a) {
                e.detail("Details", i, "Account", not_found("Account"));
            }
        }
        if let Some(w) = text(l, "WarehouseID") {
            if !store.exists(Kind::Warehouse, &w) {
                e.detail("Details", i, "WarehouseID", not_found("Warehouse"));
            }
        }
        let qty = dec(l, qty_field).unwrap_or(Decimal::ONE);
        if qty <= Decimal::ZERO {
            e.detail(
                "Details",
                i,
                qty_field,
                "The quantity must be greater than 0.",
            );
        }
        let price = dec(l, "UnitPrice").unwrap_or_else(|| {
            text(l, "InventoryID")
                .and_then(|it| store.item(&it).and_then(|(_, r)| dec(r, "DefaultPrice")))
                .unwrap_or_default()
        });
        let discount = dec(l, "DiscountAmount").unwrap_or_default();
        if discount < Decimal::ZERO {
            e.detail(
                "Details",
                i,
                "DiscountAmount",
                "The discount amount cannot be negative.",
            );
        }
        let ext = round2(qty * price);
        let amount = ext - discount;
        set_dec(l, qty_field, qty);
        set_dec(l, "UnitPrice", price);
        set_dec(l, "ExtendedPrice", ext);
        set_dec(l, "Amount", amount);
        set(l, "LineNbr", json!(i + 1));
        total += amount;
    }
    obj(row).insert("Details".into(), Value::Array(rows));
    total
}

/// Taxes copied as given (the storefront's tax, never recomputed), each tax applicable in
/// the document's tax zone.
fn taxes(
    store: &Store,
    row: &Value,
    zone: Option<String>,
    zone_field: &str,
    e: &mut Errors,
) -> Decimal {
    let zone_row = zone
        .as_ref()
        .and_then(|z| store.get(Kind::TaxZone, std::slice::from_ref(z)));
    if zone.is_some() && zone_row.is_none() {
        e.field(zone_field, not_found("Customer Tax Zone"));
    }
    let mut total = Decimal::ZERO;
    for (i, t) in details(row, "TaxDetails").iter().enumerate() {
        let id = text(t, "TaxID").unwrap_or_default();
        let applicable = zone_row.is_some_and(|z| {
            details(z, "ApplicableTaxes")
                .iter()
                .any(|a| text(a, "TaxID").is_some_and(|x| same(&x, &id)))
        });
        if !store.exists(Kind::Tax, &id) {
            e.detail("TaxDetails", i, "TaxID", not_found("Tax ID"));
        } else if !applicable {
            e.detail(
                "TaxDetails",
                i,
                "TaxID",
                format!(
                    "The tax '{id}' is not applicable in the tax zone '{}'.",
                    zone.clone().unwrap_or_default()
                ),
            );
        }
        total += dec(t, "TaxAmount").unwrap_or_default();
    }
    total
}

fn sales_order(store: &mut Store, row: &mut Value, inserting: bool, e: &mut Errors) {
    default(row, "OrderType", "SO");
    let order_type = text(row, "OrderType").unwrap_or_default();
    if !store.order_types.contains(&order_type) {
        e.field("OrderType", not_found("Order Type"));
    }
    number(store, row, "OrderNbr", &order_type, inserting, e);
    customer_checks(store, row, e, "CurrencyID");
    if let Some(v) = text(row, "ShipVia") {
        if !store.exists(Kind::ShipVia, &v) {
            e.field("ShipVia", not_found("Ship Via"));
        }
    }
    let line_total = lines(store, row, "OrderQty", true, e);
    let zone = row
        .get("FinancialSettings")
        .and_then(|f| text(f, "CustomerTaxZone"));
    let tax = taxes(store, row, zone, "FinancialSettings", e);
    set_dec(row, "TaxTotal", tax);
    set_dec(row, "OrderTotal", line_total + tax);
    refresh_order_fields(store, row);
}

/// Whether an order line of `item` goes on shipments: stock items always, a non-stock item
/// only with "Require Shipment" (IN202000); charges such as shipping or a discount never do.
pub fn needs_shipment(store: &Store, item: &str) -> bool {
    match store.item(item) {
        Some((Kind::NonStockItem, row)) => boolean(row, "RequireShipment") == Some(true),
        _ => true,
    }
}

/// UnpaidBalance, the Payments and Shipments tabs, and the status of an order.
pub fn refresh_order_fields(store: &Store, row: &mut Value) {
    let (ty, nbr) = (
        text(row, "OrderType").unwrap_or_default(),
        text(row, "OrderNbr").unwrap_or_default(),
    );
    let mut paid = Decimal::ZERO;
    let mut pays = Vec::new();
    for p in store.rows(Kind::Payment) {
        for a in details(p, "OrdersToApply") {
            if text(a, "OrderType").is_some_and(|t| same(&t, &ty))
                && text(a, "OrderNbr").is_some_and(|n| same(&n, &nbr))
            {
                let amt = dec(a, "AppliedToOrder").unwrap_or_default();
                paid += amt;
                pays.push(json!({
                    "id": p["id"], "rowNumber": pays.len() + 1,
                    "DocType": p.get("Type"), "ReferenceNbr": p.get("ReferenceNbr"),
                    "AppliedToOrder": {"value": num(amt)}, "Status": p.get("Status"),
                    "PaymentMethod": p.get("PaymentMethod"), "PaymentRef": p.get("PaymentRef"),
                }));
            }
        }
    }
    let mut ships = Vec::new();
    let mut open_shipment = false;
    for s in store.rows(Kind::Shipment) {
        for o in details(s, "Orders") {
            if text(o, "OrderType").is_some_and(|t| same(&t, &ty))
                && text(o, "OrderNbr").is_some_and(|n| same(&n, &nbr))
            {
                let status = text(s, "Status").unwrap_or_default();
                open_shipment |= status != "Confirmed";
                ships.push(json!({
                    "id": s["id"], "rowNumber": ships.len() + 1,
                    "ShipmentNbr": s.get("ShipmentNbr"), "ShipmentType": {"value": "Shipment"},
                    "Status": {"value": status}, "ShipmentDate": s.get("ShipmentDate"),
                    "ShippedQty": o.get("ShippedQty"), "InvoiceNbr": o.get("InvoiceNbr"), "InvoiceType": o.get("InvoiceType"),
                }));
            }
        }
    }
    let total = dec(row, "OrderTotal").unwrap_or_default();
    let tax = dec(row, "TaxTotal").unwrap_or_default();
    let open_qty: Decimal = details(row, "Details")
        .iter()
        .filter(|l| needs_shipment(store, &text(l, "InventoryID").unwrap_or_default()))
        .map(|l| dec(l, "OpenQty").unwrap_or_else(|| dec(l, "OrderQty").unwrap_or_default()))
        .sum();
    let status = if text(row, "Status").as_deref() == Some("Cancelled") {
        "Cancelled"
    } else if boolean(row, "Hold") == Some(true) {
        "On Hold"
    } else if open_shipment {
        "Shipping"
    } else if !ships.is_empty() && open_qty.is_zero() {
        "Completed"
    } else {
        "Open"
    };
    set(row, "Status", status);
    let totals_id = format!("{}-totals", row["id"].as_str().unwrap_or_default());
    let m = obj(row);
    m.insert("Payments".into(), Value::Array(pays));
    m.insert("Shipments".into(), Value::Array(ships));
    let totals = m.entry("Totals").or_insert_with(|| json!({}));
    set_dec(totals, "LineTotalAmount", total - tax);
    set_dec(totals, "TaxTotal", tax);
    set_dec(totals, "UnpaidBalance", (total - paid).max(Decimal::ZERO));
    set_dec(totals, "Freight", Decimal::ZERO);
    if totals.get("id").is_none() {
        obj(totals).insert("id".into(), json!(totals_id));
    }
}

fn sales_invoice(store: &mut Store, row: &mut Value, inserting: bool, e: &mut Errors) {
    default(row, "Type", "Invoice");
    let ty = text(row, "Type").unwrap_or_default();
    let prefix = match ty.as_str() {
        "Invoice" => "INV",
        "Credit Memo" => "CRM",
        "Debit Memo" => "DRM",
        _ => {
            e.field(
                "Type",
                "The type must be Invoice, Credit Memo or Debit Memo.",
            );
            "INV"
        }
    };
    number(store, row, "ReferenceNbr", prefix, inserting, e);
    customer_checks(store, row, e, "Currency");
    let customer = text(row, "CustomerID").unwrap_or_default();
    for (i, l) in details(row, "Details").iter().enumerate() {
        if let Some(orig) = text(l, "OrigInvNbr") {
            let t = text(l, "OrigInvType").unwrap_or_else(|| "Invoice".into());
            match store.get(Kind::SalesInvoice, &[t, orig]) {
                Some(inv) if text(inv, "CustomerID").is_some_and(|c| same(&c, &customer)) => {}
                _ => e.detail("Details", i, "OrigInvNbr", not_found("Orig. Inv. Nbr.")),
            }
        }
    }
    for (i, a) in details(row, "ApplicationsCreditMemo").iter().enumerate() {
        if ty != "Credit Memo" {
            e.detail(
                "ApplicationsCreditMemo",
                i,
                "ReferenceNbr",
                "Only a credit memo is applied to documents.",
            );
            continue;
        }
        let t = text(a, "DocType").unwrap_or_else(|| "Invoice".into());
        let n = text(a, "ReferenceNbr").unwrap_or_default();
        // The selector lists the customer's open documents in the credit memo's currency.
        match store.get(Kind::SalesInvoice, &[t, n]) {
            Some(inv)
                if text(inv, "CustomerID").is_some_and(|c| same(&c, &customer))
                    && text(inv, "Status").as_deref() == Some("Open")
                    && text(inv, "Currency") == text(row, "Currency") => {}
            _ => e.detail(
                "ApplicationsCreditMemo",
                i,
                "ReferenceNbr",
                not_found("Reference Nbr."),
            ),
        }
    }
    let line_total = lines(store, row, "Qty", false, e);
    let zone = row
        .get("FinancialDetails")
        .and_then(|f| text(f, "CustomerTaxZone"));
    let tax = taxes(store, row, zone, "FinancialDetails", e);
    set_dec(row, "DetailTotal", line_total);
    set_dec(row, "TaxTotal", tax);
    set_dec(row, "Amount", line_total + tax);
    if ty == "Invoice" && raw(row, "DueDate").is_none() {
        let due = (store.now() + chrono::Duration::days(30))
            .format("%Y-%m-%dT00:00:00+00:00")
            .to_string();
        set(row, "DueDate", due);
    }
    if !matches!(text(row, "Status").as_deref(), Some("Open" | "Closed")) {
        set_dec(row, "Balance", line_total + tax);
        let hold = boolean(row, "Hold") == Some(true);
        set(row, "Status", if hold { "On Hold" } else { "Balanced" });
    }
}

fn payment(
    store: &mut Store,
    row: &mut Value,
    inserting: bool,
    existing: Option<&Value>,
    e: &mut Errors,
) {
    default(row, "Type", "Payment");
    let ty = text(row, "Type").unwrap_or_default();
    if !matches!(ty.as_str(), "Payment" | "Prepayment" | "Refund") {
        e.field("Type", "The type must be Payment, Prepayment or Refund.");
    }
    number(store, row, "ReferenceNbr", "PMT", inserting, e);
    customer_checks(store, row, e, "CurrencyID");
    match text(row, "PaymentMethod") {
        None => e.field("PaymentMethod", empty("Payment Method")),
        Some(m) if !store.payment_methods.contains(&m) => {
            e.field("PaymentMethod", not_found("Payment Method"))
        }
        _ => {}
    }
    match text(row, "CashAccount") {
        None => e.field("CashAccount", empty("Cash Account")),
        Some(a) if !store.accounts.contains(&a) => {
            e.field("CashAccount", not_found("Cash Account"))
        }
        _ => {}
    }
    let amount = dec(row, "PaymentAmount").unwrap_or_default();
    if amount <= Decimal::ZERO {
        e.field(
            "PaymentAmount",
            "The payment amount must be greater than 0.",
        );
    }
    let customer = text(row, "CustomerID").unwrap_or_default();
    let own_id = existing
        .and_then(|x| x["id"].as_str())
        .unwrap_or_default()
        .to_string();
    let mut applied = Decimal::ZERO;
    for (i, d) in details(row, "DocumentsToApply").iter().enumerate() {
        let t = text(d, "DocType").unwrap_or_else(|| "Invoice".into());
        let n = text(d, "ReferenceNbr").unwrap_or_default();
        let amt = dec(d, "AmountPaid").unwrap_or_default();
        applied += amt;
        match store.get(Kind::SalesInvoice, &[t, n]) {
            Some(inv)
                if text(inv, "CustomerID").is_some_and(|c| same(&c, &customer))
                    && text(inv, "Status").as_deref() == Some("Open")
                    && text(inv, "Currency") == text(row, "CurrencyID") =>
            {
                if amt > dec(inv, "Balance").unwrap_or_default() || amt <= Decimal::ZERO {
                    e.detail(
                        "DocumentsToApply",
                        i,
                        "AmountPaid",
                        "The amount paid cannot exceed the balance of the document.",
                    );
                }
            }
            _ => e.detail(
                "DocumentsToApply",
                i,
                "ReferenceNbr",
                not_found("Reference Nbr."),
            ),
        }
    }
    for (i, o) in details(row, "OrdersToApply").iter().enumerate() {
        let t = text(o, "OrderType").unwrap_or_else(|| "SO".into());
        let n = text(o, "OrderNbr").unwrap_or_default();
        let amt = dec(o, "AppliedToOrder").unwrap_or_default();
        applied += amt;
        match store.get(Kind::SalesOrder, &[t.clone(), n.clone()]) {
            Some(so)
                if text(so, "CustomerID").is_some_and(|c| same(&c, &customer))
                    && text(so, "CurrencyID") == text(row, "CurrencyID")
                    && !matches!(
                        text(so, "Status").as_deref(),
                        Some("Completed" | "Cancelled")
                    ) =>
            {
                // What other payments already applied to this order.
                let others: Decimal = store
                    .rows(Kind::Payment)
                    .iter()
                    .filter(|p| p["id"].as_str() != Some(own_id.as_str()))
                    .flat_map(|p| details(p, "OrdersToApply").iter())
                    .filter(|a| {
                        text(a, "OrderType").is_some_and(|x| same(&x, &t))
                            && text(a, "OrderNbr").is_some_and(|x| same(&x, &n))
                    })
                    .map(|a| dec(a, "AppliedToOrder").unwrap_or_default())
                    .sum();
                let open = dec(so, "OrderTotal").unwrap_or_default() - others;
                if amt > open || amt <= Decimal::ZERO {
                    e.detail(
                        "OrdersToApply",
                        i,
                        "AppliedToOrder",
                        "The applied amount cannot exceed the unpaid balance of the order.",
                    );
                }
            }
            _ => e.detail("OrdersToApply", i, "OrderNbr", not_found("Order Nbr.")),
        }
    }
    if applied > amount {
        e.field(
            "PaymentAmount",
            "The applied amount exceeds the payment amount.",
        );
    }
    set_dec(row, "AppliedToDocuments", applied);
    if !matches!(text(row, "Status").as_deref(), Some("Open" | "Closed")) {
        set_dec(row, "AvailableBalance", amount - applied);
        let hold = boolean(row, "Hold") == Some(true);
        set(row, "Status", if hold { "On Hold" } else { "Balanced" });
    }
}

fn journal(store: &mut Store, row: &mut Value, inserting: bool, e: &mut Errors) {
    default(row, "Module", "GL");
    number(store, row, "BatchNbr", "", inserting, e);
    let today = store.now().format("%Y-%m-%dT00:00:00+00:00").to_string();
    default(row, "TransactionDate", today);
    let base = store.base_currency.clone();
    default(row, "CurrencyID", base);
    if let Some(c) = text(row, "CurrencyID") {
        if !store.currencies.iter().any(|x| same(x, &c)) {
            e.field("CurrencyID", not_found("Currency"));
        }
    }
    default(row, "Hold", false);
    let (mut dr, mut cr) = (Decimal::ZERO, Decimal::ZERO);
    let mut rows = details(row, "Details").to_vec();
    for (i, l) in rows.iter_mut().enumerate() {
        match text(l, "Account") {
            None => e.detail("Details", i, "Account", empty("Account")),
            Some(a) if !store.accounts.contains(&a) => {
                e.detail("Details", i, "Account", not_found("Account"))
            }
            _ => {}
        }
        let d = dec(l, "DebitAmount").unwrap_or_default();
        let c = dec(l, "CreditAmount").unwrap_or_default();
        if d < Decimal::ZERO || c < Decimal::ZERO || (d.is_zero() == c.is_zero()) {
            e.detail(
                "Details",
                i,
                "DebitAmount",
                "A line has either a debit or a credit amount, not negative.",
            );
        }
        set_dec(l, "DebitAmount", d);
        set_dec(l, "CreditAmount", c);
        dr += d;
        cr += c;
    }
    obj(row).insert("Details".into(), Value::Array(rows));
    let hold = boolean(row, "Hold") == Some(true);
    if !hold && dr != cr {
        e.field("Details", "Batch is out of balance, please review.");
    }
    if text(row, "Status").as_deref() != Some("Posted") {
        set(row, "Status", if hold { "On Hold" } else { "Balanced" });
    }
}

/// PaymentMethod (CA204000): an ID of at most 10 characters; active and used in AR unless
/// said otherwise; each allowed cash account must exist.
fn payment_method(store: &Store, row: &mut Value, e: &mut Errors) {
    match text(row, "PaymentMethodID") {
        None => e.field("PaymentMethodID", empty("Payment Method ID")),
        Some(id) if id.chars().count() > 10 => e.field(
            "PaymentMethodID",
            "'Payment Method ID' is too long (10 characters at most).",
        ),
        _ => {}
    }
    default(row, "Active", true);
    default(row, "UseInAR", true);
    for d in details(row, "AllowedCashAccounts") {
        match text(d, "CashAccount") {
            None => e.field("AllowedCashAccounts.CashAccount", empty("Cash Account")),
            Some(a) if !store.accounts.contains(&a) => {
                e.field("AllowedCashAccounts.CashAccount", not_found("Cash Account"))
            }
            _ => {}
        }
    }
}

/// After a save: orders a payment applies to get their unpaid balance refreshed.
pub fn after_save(store: &mut Store, kind: Kind, row: &Value) {
    if kind == Kind::PaymentMethod {
        // What a payment may name: active methods used in AR.
        if let Some(id) = text(row, "PaymentMethodID") {
            let usable =
                boolean(row, "Active") != Some(false) && boolean(row, "UseInAR") != Some(false);
            if usable {
                store.payment_methods.insert(id);
            } else {
                store.payment_methods.remove(&id);
            }
        }
    }
    if kind == Kind::Payment {
        for o in details(row, "OrdersToApply") {
            if let (Some(t), Some(n)) = (text(o, "OrderType"), text(o, "OrderNbr")) {
                refresh_order(store, &t, &n);
            }
        }
    }
}

/// Recomputes an order's computed fields and saves it.
pub fn refresh_order(store: &mut Store, ty: &str, nbr: &str) {
    if let Some(mut so) = store
        .get(Kind::SalesOrder, &[ty.to_string(), nbr.to_string()])
        .cloned()
    {
        refresh_order_fields(store, &mut so);
        store.save(Kind::SalesOrder, so);
    }
}

/// Committed quantity of an item in a warehouse: open quantities of open orders.
pub fn committed(store: &Store, item: &str, warehouse: &str) -> Decimal {
    store
        .rows(Kind::SalesOrder)
        .iter()
        .filter(|o| {
            matches!(
                text(o, "Status").as_deref(),
                Some("Open" | "Shipping" | "On Hold")
            )
        })
        .flat_map(|o| details(o, "Details").iter())
        .filter(|l| {
            text(l, "InventoryID").is_some_and(|i| same(&i, item))
                && text(l, "WarehouseID").is_none_or(|w| same(&w, warehouse))
        })
        .map(|l| dec(l, "OpenQty").unwrap_or_else(|| dec(l, "OrderQty").unwrap_or_default()))
        .sum()
}

/// `PUT InventorySummaryInquiry`: quantities of one stock item, per warehouse.
pub fn inventory_summary(store: &mut Store, body: &Value) -> Result<Value, AcuError> {
    let mut shown = body.clone();
    let Some(item) = text(body, "InventoryID") else {
        return Err(AcuError::field(
            shown,
            "InventoryID",
            &empty("Inventory ID"),
        ));
    };
    if !store.exists(Kind::StockItem, &item) {
        return Err(AcuError::field(
            shown,
            "InventoryID",
            &not_found("Inventory ID"),
        ));
    }
    let only = text(body, "WarehouseID");
    let mut results = Vec::new();
    for ((i, w), qty) in &store.on_hand {
        if !same(i, &item) || only.as_ref().is_some_and(|o| !same(o, w)) {
            continue;
        }
        let available = *qty - committed(store, &item, w);
        results.push(json!({
            "id": format!("{item}-{w}"), "rowNumber": results.len() + 1,
            "WarehouseID": {"value": w}, "LocationID": {"value": "MAIN"},
            "QtyOnHand": {"value": num(*qty)}, "QtyAvailable": {"value": num(available)},
            "QtyAvailableForShipment": {"value": num(*qty)}, "QtyNotAvailable": {"value": 0},
            "BaseUOM": {"value": "EA"},
        }));
    }
    let id = store.new_id();
    obj(&mut shown).insert("id".into(), json!(id));
    obj(&mut shown).insert("Results".into(), Value::Array(results));
    Ok(shown)
}
