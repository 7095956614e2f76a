//! Bound actions: `Microsoft.NAV.post` on sales invoices, sales credit memos and journals,
//! `Microsoft.NAV.shipAndInvoice` on sales orders, and the warehouse side (posting a sales
//! shipment with a package tracking number).
//!
//! Posting validates like Business Central:
//! - "There is nothing to post." when no line has an amount;
//! - a line whose (VAT business posting group of the customer, VAT product posting group of
//!   the line) has no VAT posting setup: `Internal_RecordNotFound`, "The VAT Posting Setup does
//!   not exist. Identification fields and values: VAT Bus. Posting Group='EU',VAT Prod. Posting
//!   Group='REDUCED'"; US companies: the Tax Detail of (tax area, tax group);
//! - a foreign-currency document needs the currency and an exchange rate starting on or before
//!   the posting date (`Internal_DataNotFoundFilter`, "There is no Currency Exchange Rate
//!   within the filter…");
//! - a blocked customer cannot be invoiced;
//! - a credit memo applies to its invoice (`invoiceId`), which must be posted and of the same
//!   customer; item lines go back to stock, invoice item lines leave it;
//! - a journal must balance per document number ("Document No. X is out of balance by Y…")
//!   and every G/L account line needs `Direct Posting`.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::entities::{round2, tax_rate, NULL_GUID};
use crate::errors::BcError;
use crate::state::{dec, num, obj, text, touch, Company, Ctx, TaxKind};

fn check_document(c: &Company, set: &str, id: &str) -> Result<(Value, Vec<Value>), BcError> {
    let doc = c
        .get(set, id)
        .cloned()
        .ok_or_else(|| BcError::record_not_found("Sales Header", &format!("Id='{id}'")))?;
    if text(&doc, "status") != "Draft" {
        return Err(BcError::dialog(format!(
            "The document {} has already been posted.",
            text(&doc, "number")
        )));
    }
    let lines_set = crate::schema::set(set).and_then(|s| s.lines).unwrap_or("");
    let mut lines: Vec<Value> = c
        .rows(lines_set)
        .iter()
        .filter(|l| text(l, "documentId").eq_ignore_ascii_case(id))
        .cloned()
        .collect();
    lines.sort_by_key(|l| l.get("sequence").and_then(Value::as_i64).unwrap_or(0));
    if !lines
        .iter()
        .any(|l| text(l, "lineType") != "Comment" && !dec(l, "quantity").is_zero())
    {
        return Err(BcError::dialog("There is nothing to post."));
    }
    let cust = c
        .get("customers", text(&doc, "customerId"))
        .cloned()
        .ok_or_else(|| {
            BcError::record_not_found(
                "Customer",
                &format!("No.='{}'", text(&doc, "customerNumber")),
            )
        })?;
    if !matches!(text(&cust, "blocked"), "" | " " | "_x0020_") {
        return Err(BcError::dialog(format!(
            "You cannot post this type of document when Customer {} is blocked with type {}",
            text(&cust, "number"),
            text(&cust, "blocked")
        )));
    }
    let cur = text(&doc, "currencyCode");
    if !cur.is_empty() && cur != c.home {
        if c.by("currencies", "code", cur).is_none() {
            return Err(BcError::setup_missing("Currency", &format!("Code='{cur}'")));
        }
        let posting = text(&doc, "postingDate");
        let has_rate = c
            .rows("currencyExchangeRates")
            .iter()
            .any(|r| text(r, "currencyCode") == cur && text(r, "startingDate") <= posting);
        if !has_rate {
            return Err(BcError::new(
                400,
                "Internal_DataNotFoundFilter",
                format!("There is no Currency Exchange Rate within the filter. Filters: Currency Code: {cur}, Starting Date: ..{posting}"),
            ));
        }
    }
    for l in lines.iter().filter(|l| text(l, "lineType") != "Comment") {
        let code = text(l, "taxCode");
        if tax_rate(c, &cust, code).is_none() {
            return Err(missing_setup(c, &cust, code));
        }
    }
    Ok((doc, lines))
}

/// BC's error for a (tax area, tax group) pair with no VAT posting setup / tax detail.
pub fn missing_setup(c: &Company, customer: &Value, code: &str) -> BcError {
    let area = text(customer, "_taxAreaCode");
    match c.tax {
        TaxKind::Vat => BcError::setup_missing(
            "VAT Posting Setup",
            &format!("VAT Bus. Posting Group='{area}',VAT Prod. Posting Group='{code}'"),
        ),
        TaxKind::SalesTax => BcError::setup_missing(
            "Tax Detail",
            &format!("Tax Jurisdiction Code='{area}',Tax Group Code='{code}',Tax Type=Sales Tax,Effective Date=''"),
        ),
    }
}

fn location_code(c: &Company, line: &Value) -> String {
    let id = text(line, "locationId");
    if id.is_empty() || id == NULL_GUID {
        return String::new();
    }
    c.get("locations", id)
        .map(|l| text(l, "code").to_string())
        .unwrap_or_default()
}

fn move_items(ctx: &mut Ctx, c: &mut Company, lines: &[Value], sign: Decimal) {
    for l in lines.iter().filter(|l| text(l, "lineType") == "Item") {
        let item = c
            .get("items", text(l, "itemId"))
            .cloned()
            .unwrap_or(json!({}));
        if text(&item, "type") != "Inventory" {
            continue;
        }
        let loc = location_code(c, l);
        c.move_stock(ctx, text(&item, "number"), &loc, sign * dec(l, "quantity"));
    }
}

fn post_common(
    ctx: &mut Ctx,
    c: &mut Company,
    set: &str,
    id: &str,
    series: (&str, &str, u64),
) -> Result<(Value, Vec<Value>), BcError> {
    let (doc, lines) = check_document(c, set, id)?;
    let number = c.next_number(series.0, series.1, series.2);
    let total = dec(&doc, "totalAmountIncludingTax");
    let cust_id = text(&doc, "customerId").to_string();
    if let Some(d) = c.get_mut(set, id) {
        let m = obj(d);
        m.insert("status".into(), json!("Open"));
        m.insert("number".into(), json!(number));
        m.insert("_draftNumber".into(), json!(text(&doc, "number")));
        touch(ctx, d);
    }
    let sign = if set == "salesCreditMemos" {
        -Decimal::ONE
    } else {
        Decimal::ONE
    };
    if let Some(cu) = c.get_mut("customers", &cust_id) {
        let bal = dec(cu, "balanceDue") + sign * total;
        obj(cu).insert("balanceDue".into(), num(bal));
        touch(ctx, cu);
    }
    let _ = number;
    Ok((doc, lines))
}

/// `salesInvoices({id})/Microsoft.NAV.post`.
pub fn post_invoice(ctx: &mut Ctx, c: &mut Company, id: &str) -> Result<(), BcError> {
    let (doc, lines) = post_common(ctx, c, "salesInvoices", id, ("PS-INV", "PS-INV", 103_000))?;
    if let Some(d) = c.get_mut("salesInvoices", id) {
        let total = dec(&doc, "totalAmountIncludingTax");
        obj(d).insert("remainingAmount".into(), num(total));
        if total.is_zero() {
            obj(d).insert("status".into(), json!("Paid"));
        }
    }
    move_items(ctx, c, &lines, -Decimal::ONE);
    Ok(())
}

/// `salesCreditMemos({id})/Microsoft.NAV.post`: posts and applies to `invoiceId`.
pub fn post_credit_memo(ctx: &mut Ctx, c: &mut Company, id: &str) -> Result<(), BcError> {
    let doc = c.get("salesCreditMemos", id).cloned().unwrap_or(json!({}));
    let inv_id = text(&doc, "invoiceId").to_string();
    if !inv_id.is_empty() && inv_id != NULL_GUID {
        let inv = c.get("salesInvoices", &inv_id).ok_or_else(|| {
            BcError::setup_missing("Sales Invoice Header", &format!("Id='{inv_id}'"))
        })?;
        if text(inv, "status") == "Draft" {
            return Err(BcError::dialog(format!(
                "There is no Cust. Ledger Entry within the filter. Filters: Document No.: {}",
                text(inv, "number")
            )));
        }
        if text(inv, "customerId") != text(&doc, "customerId") {
            return Err(BcError::dialog(
                "Customer No. must be the same on the credit memo and the invoice it applies to.",
            ));
        }
        if text(inv, "currencyCode") != text(&doc, "currencyCode") {
            return Err(BcError::dialog("The currency of the credit memo must be the currency of the invoice it applies to."));
        }
    }
    let (doc, lines) = post_common(ctx, c, "salesCreditMemos", id, ("PS-CR", "PS-CR", 105_000))?;
    let total = dec(&doc, "totalAmountIncludingTax");
    let mut unapplied = total;
    if let Some(inv) = c.get_mut("salesInvoices", &inv_id) {
        let remaining = dec(inv, "remainingAmount");
        let applied = remaining.min(total).max(Decimal::ZERO);
        unapplied = total - applied;
        let left = remaining - applied;
        let m = obj(inv);
        m.insert("remainingAmount".into(), num(left));
        if left.is_zero() {
            m.insert("status".into(), json!("Paid"));
        }
        touch(ctx, inv);
    }
    if let Some(cm) = c.get_mut("salesCreditMemos", id) {
        obj(cm).insert("_unapplied".into(), num(unapplied));
        if unapplied.is_zero() {
            obj(cm).insert("status".into(), json!("Paid"));
        }
    }
    move_items(ctx, c, &lines, Decimal::ONE);
    Ok(())
}

/// `salesOrders({id})/Microsoft.NAV.shipAndInvoice`: a posted invoice (and a posted shipment)
/// from the whole order; the order is then deleted, as BC deletes fully invoiced orders.
pub fn ship_and_invoice(ctx: &mut Ctx, c: &mut Company, id: &str) -> Result<String, BcError> {
    let (order, lines) = check_document(c, "salesOrders", id)?;
    let inv_id = ctx.guid();
    let mut inv = order.clone();
    let m = obj(&mut inv);
    for k in [
        "orderDate",
        "partialShipping",
        "requestedDeliveryDate",
        "fullyShipped",
        "_v",
    ] {
        m.remove(k);
    }
    m.insert("id".into(), json!(inv_id));
    m.insert("invoiceDate".into(), json!(text(&order, "postingDate")));
    m.insert("dueDate".into(), json!(text(&order, "postingDate")));
    m.insert("orderId".into(), json!(id));
    m.insert("orderNumber".into(), json!(text(&order, "number")));
    m.insert("status".into(), json!("Draft"));
    touch(ctx, &mut inv);
    c.rows_mut("salesInvoices").push(inv);
    for l in &lines {
        let mut nl = l.clone();
        let lm = obj(&mut nl);
        for k in [
            "shippedQuantity",
            "invoicedQuantity",
            "invoiceQuantity",
            "shipQuantity",
            "_v",
        ] {
            lm.remove(k);
        }
        let lid = ctx.guid();
        lm.insert("id".into(), json!(lid));
        lm.insert("documentId".into(), json!(inv_id));
        c.rows_mut("salesInvoiceLines").push(nl);
    }
    post_invoice(ctx, c, &inv_id)?;
    ship(ctx, c, &order, &lines, None, false)?;
    c.rows_mut("salesOrders").retain(|r| text(r, "id") != id);
    c.rows_mut("salesOrderLines")
        .retain(|r| text(r, "documentId") != id);
    Ok(inv_id)
}

/// What the warehouse records on a posted shipment.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct Tracking {
    /// `Package Tracking No.` (Text[50]).
    #[serde(default, rename = "packageTrackingNo")]
    pub package_tracking_no: String,
    /// `Shipping Agent Code` (Code[10]).
    #[serde(default, rename = "shippingAgentCode")]
    pub shipping_agent_code: String,
    /// `Shipping Agent Service Code` (Code[10]).
    #[serde(default, rename = "shippingAgentServiceCode")]
    pub shipping_agent_service_code: String,
}

/// Posts a sales shipment for `doc` (a sales order or a posted invoice) with its item lines,
/// and its tracking row on the bcsync extension's page. `move_stock`: whether shipping takes
/// the goods out of stock (orders: yes; invoices already did when posted).
pub fn ship(
    ctx: &mut Ctx,
    c: &mut Company,
    doc: &Value,
    lines: &[Value],
    tracking: Option<&Tracking>,
    move_stock: bool,
) -> Result<Value, BcError> {
    if let Some(t) = tracking {
        if t.package_tracking_no.chars().count() > 50 {
            return Err(BcError::too_long(&t.package_tracking_no, 50));
        }
        for code in [&t.shipping_agent_code, &t.shipping_agent_service_code] {
            if code.chars().count() > 10 {
                return Err(BcError::too_long(code, 10));
            }
        }
    }
    let sid = ctx.guid();
    let number = c.next_number("S-SHPT", "S-SHPT", 102_000);
    let date = ctx.today();
    let mut sh = json!({
        "id": sid, "number": number,
        "externalDocumentNumber": text(doc, "externalDocumentNumber"),
        "invoiceDate": date, "postingDate": date, "dueDate": date,
        "customerPurchaseOrderReference": text(doc, "customerPurchaseOrderReference"),
        "customerId": text(doc, "customerId"), "customerNumber": text(doc, "customerNumber"),
        "customerName": text(doc, "customerName"), "billToCustomerId": text(doc, "billToCustomerId"),
        "billToName": text(doc, "billToName"), "billToCustomerNumber": text(doc, "billToCustomerNumber"),
        "currencyCode": text(doc, "currencyCode"),
        "orderNumber": if doc.get("orderDate").is_some() { text(doc, "number") } else { text(doc, "orderNumber") },
        "pricesIncludeTax": false,
    });
    touch(ctx, &mut sh);
    let mut seq = 0;
    for l in lines.iter().filter(|l| text(l, "lineType") == "Item") {
        seq += 10_000;
        let lid = ctx.guid();
        let mut sl = json!({
            "id": lid, "documentId": sid, "documentNo": number, "sequence": seq,
            "lineType": "Item", "lineObjectNumber": text(l, "lineObjectNumber"),
            "description": text(l, "description"), "description2": text(l, "description2"),
            "unitOfMeasureCode": "PCS", "unitPrice": l.get("unitPrice").cloned().unwrap_or(json!(0)),
            "quantity": l.get("quantity").cloned().unwrap_or(json!(0)),
            "discountPercent": 0, "taxPercent": l.get("taxPercent").cloned().unwrap_or(json!(0)),
            "shipmentDate": date,
        });
        touch(ctx, &mut sl);
        c.rows_mut("salesShipmentLines").push(sl);
    }
    if move_stock {
        move_items(ctx, c, lines, -Decimal::ONE);
    }
    c.rows_mut("salesShipments").push(sh.clone());
    let t = tracking.cloned().unwrap_or_default();
    let mut tr = json!({
        "id": sid, "number": number,
        "externalDocumentNumber": text(doc, "externalDocumentNumber"),
        "orderNumber": text(&sh, "orderNumber"),
        "packageTrackingNo": t.package_tracking_no,
        "shippingAgentCode": t.shipping_agent_code,
        "shippingAgentServiceCode": t.shipping_agent_service_code,
        "shipmentDate": date,
    });
    touch(ctx, &mut tr);
    c.rows_mut("salesShipmentTracking").push(tr);
    Ok(sh)
}

/// `journals({id})/Microsoft.NAV.post`: every line of the batch, balanced per document
/// number, into `generalLedgerEntries`.
pub fn post_journal(ctx: &mut Ctx, c: &mut Company, id: &str) -> Result<(), BcError> {
    if c.get("journals", id).is_none() {
        return Err(BcError::record_not_found(
            "Gen. Journal Batch",
            &format!("Id='{id}'"),
        ));
    }
    let lines: Vec<Value> = c
        .rows("journalLines")
        .iter()
        .filter(|l| text(l, "journalId").eq_ignore_ascii_case(id))
        .cloned()
        .collect();
    if lines.is_empty() {
        return Err(BcError::dialog("There is nothing to post."));
    }
    let mut by_doc: std::collections::BTreeMap<(String, String), Decimal> = Default::default();
    for l in &lines {
        let acc = c
            .by("accounts", "number", text(l, "accountNumber"))
            .cloned()
            .unwrap_or(json!({}));
        if acc.get("directPosting") != Some(&Value::Bool(true)) {
            return Err(BcError::new(
                400,
                "Application_FieldValidationException",
                format!("Direct Posting must be equal to 'Yes'  in G/L Account: No.={}. Current value is 'No'.", text(l, "accountNumber")),
            ));
        }
        if text(l, "balancingAccountNumber").is_empty() {
            *by_doc
                .entry((
                    text(l, "documentNumber").to_string(),
                    text(l, "postingDate").to_string(),
                ))
                .or_default() += dec(l, "amount");
        }
    }
    for ((doc, _), sum) in &by_doc {
        if !sum.is_zero() {
            return Err(BcError::dialog(format!(
                "Document No. {doc} is out of balance by {}. Please check that Posting Date, Document No., Document Type, Bal. Account No. and Currency Code are correct for each line.",
                sum.normalize()
            )));
        }
    }
    let mut entry_no = c.rows("generalLedgerEntries").len() as i64;
    for l in &lines {
        let amount = dec(l, "amount");
        let mut legs = vec![(text(l, "accountNumber").to_string(), amount)];
        if !text(l, "balancingAccountNumber").is_empty() {
            legs.push((text(l, "balancingAccountNumber").to_string(), -amount));
        }
        for (acc_no, amt) in legs {
            entry_no += 1;
            let acc_id = c
                .by("accounts", "number", &acc_no)
                .map(|a| text(a, "id").to_string())
                .unwrap_or_default();
            let gid = ctx.guid();
            let mut e = json!({
                "id": gid, "entryNumber": entry_no, "postingDate": text(l, "postingDate"),
                "documentNumber": text(l, "documentNumber"), "documentType": "_x0020_",
                "accountId": acc_id, "accountNumber": acc_no, "description": text(l, "description"),
                "debitAmount": num(amt.max(Decimal::ZERO)), "creditAmount": num((-amt).max(Decimal::ZERO)),
                "additionalCurrencyDebitAmount": 0, "additionalCurrencyCreditAmount": 0,
                "_externalDocumentNumber": text(l, "externalDocumentNumber"),
            });
            touch(ctx, &mut e);
            c.rows_mut("generalLedgerEntries").push(e);
            if let Some(a) = c.get_mut("accounts", &acc_id) {
                let net = round2(dec(a, "netChange") + amt);
                obj(a).insert("netChange".into(), num(net));
            }
        }
    }
    c.rows_mut("journalLines")
        .retain(|l| !text(l, "journalId").eq_ignore_ascii_case(id));
    Ok(())
}
