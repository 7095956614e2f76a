//! The per-entity rules of writes: customers, items, sales document headers and lines,
//! customer payments and journal lines (see [`crate::entities`] for the common part).

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::entities::{lookup, parent_of, round2, series, tax_rate, NULL_GUID};
use crate::errors::BcError;
use crate::state::{dec, text, Company, Ctx, TaxKind};

pub(crate) fn customer(
    c: &Company,
    m: &mut Map<String, Value>,
    creating: bool,
) -> Result<(), BcError> {
    if creating {
        if let Some(no) = m
            .get("number")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            if c.by("customers", "number", no).is_some() {
                return Err(BcError::new(
                    400,
                    "Internal_EntityWithSameKeyExists",
                    format!(
                        "The Customer already exists. Identification fields and values: No.='{no}'"
                    ),
                ));
            }
        }
        m.entry("blocked").or_insert(json!(" "));
        m.entry("type").or_insert(json!("Company"));
    }
    if let Some(area) = m
        .get("taxAreaId")
        .and_then(Value::as_str)
        .filter(|s| *s != NULL_GUID)
    {
        let found = c
            .get("taxAreas", area)
            .ok_or_else(|| BcError::record_not_found("Tax Area", &format!("Id='{area}'")))?;
        m.insert(
            "taxAreaDisplayName".into(),
            json!(text(found, "displayName")),
        );
        m.insert("_taxAreaCode".into(), json!(text(found, "code")));
    }
    if let Some(cur) = m
        .get("currencyCode")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        if cur != c.home && c.by("currencies", "code", cur).is_none() {
            return Err(BcError::record_not_found(
                "Currency",
                &format!("Code='{cur}'"),
            ));
        }
    }
    Ok(())
}

pub(crate) fn item(c: &Company, m: &mut Map<String, Value>, creating: bool) -> Result<(), BcError> {
    if creating {
        if let Some(no) = m
            .get("number")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            if c.by("items", "number", no).is_some() {
                return Err(BcError::new(
                    400,
                    "Internal_EntityWithSameKeyExists",
                    format!(
                        "The Item already exists. Identification fields and values: No.='{no}'"
                    ),
                ));
            }
        }
        let default_group = match c.tax {
            TaxKind::Vat => "STANDARD",
            TaxKind::SalesTax => "TAXABLE",
        };
        m.entry("taxGroupCode").or_insert(json!(default_group));
        m.entry("type").or_insert(json!("Inventory"));
        m.entry("generalProductPostingGroupCode")
            .or_insert(json!("RETAIL"));
        m.entry("baseUnitOfMeasureCode").or_insert(json!("PCS"));
    }
    if let Some(t) = m.get("type").and_then(Value::as_str) {
        if !["Inventory", "Service", "Non_x002D_Inventory"].contains(&t) {
            return Err(BcError::new(
                400,
                "Unknown",
                format!("'{t}' is not an option. The existing options are: Inventory,Service,Non-Inventory"),
            ));
        }
    }
    if let Some(g) = m
        .get("taxGroupCode")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        if c.by("taxGroups", "code", g).is_none() {
            return Err(BcError::record_not_found(
                "Tax Group",
                &format!("Code='{g}'"),
            ));
        }
    }
    Ok(())
}

pub(crate) fn document(
    ctx: &mut Ctx,
    c: &mut Company,
    set: &str,
    m: &mut Map<String, Value>,
) -> Result<(), BcError> {
    if m.get("number")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
    {
        return Err(BcError::dialog(format!(
            "You may not enter numbers manually. If you want to enter numbers manually, please activate Manual Nos. in No. Series {}.",
            series(set).0
        )));
    }
    let cid = m
        .get("customerId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let cno = m
        .get("customerNumber")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if (cid.is_empty() || cid == NULL_GUID) && cno.is_empty() {
        return Err(BcError::dialog(
            "A customerNumber or a customerID must be provided.",
        ));
    }
    let cust = lookup(c, "customers", &cid, "number", &cno)
        .cloned()
        .ok_or_else(|| BcError::record_not_found("Customer", &format!("No.='{cno}'")))?;
    m.insert("customerId".into(), json!(text(&cust, "id")));
    m.insert("customerNumber".into(), json!(text(&cust, "number")));
    m.insert("customerName".into(), json!(text(&cust, "displayName")));
    m.insert("billToCustomerId".into(), json!(text(&cust, "id")));
    m.insert("billToCustomerNumber".into(), json!(text(&cust, "number")));
    m.entry("billToName")
        .or_insert(json!(text(&cust, "displayName")));
    let cur = m
        .get("currencyCode")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| text(&cust, "currencyCode").to_string());
    let cur = if cur.is_empty() { c.home.clone() } else { cur };
    if cur != c.home && c.by("currencies", "code", &cur).is_none() {
        return Err(BcError::record_not_found(
            "Currency",
            &format!("Code='{cur}'"),
        ));
    }
    m.insert("currencyCode".into(), json!(cur));
    let date_field = match set {
        "salesOrders" => "orderDate",
        "salesCreditMemos" => "creditMemoDate",
        _ => "invoiceDate",
    };
    let today = ctx.today();
    let date = m
        .get(date_field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or(today);
    m.insert(date_field.into(), json!(date));
    m.entry("postingDate").or_insert(json!(date));
    if set != "salesOrders" {
        m.entry("dueDate").or_insert(json!(date));
    }
    if set == "salesCreditMemos" {
        if let Some(inv) = m
            .get("invoiceId")
            .and_then(Value::as_str)
            .filter(|s| *s != NULL_GUID)
        {
            let found = c.get("salesInvoices", inv).ok_or_else(|| {
                BcError::record_not_found("Sales Invoice Header", &format!("Id='{inv}'"))
            })?;
            m.insert("invoiceNumber".into(), json!(text(found, "number")));
        }
    }
    let (code, prefix, start) = series(set);
    m.insert("number".into(), json!(c.next_number(code, prefix, start)));
    m.insert("status".into(), json!("Draft"));
    Ok(())
}

pub(crate) fn doc_line(c: &Company, set: &str, m: &mut Map<String, Value>) -> Result<(), BcError> {
    let (pset, _) = parent_of(set).unwrap_or(("", ""));
    let doc_id = m
        .get("documentId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let doc = c.get(pset, &doc_id).cloned().unwrap_or(json!({}));
    if text(&doc, "status") != "Draft" {
        return Err(BcError::dialog(format!(
            "Status must be equal to 'Open'  in Sales Header: Document Type=Invoice, No.={}. Current value is 'Released'.",
            text(&doc, "number")
        )));
    }
    let seq = c
        .rows(set)
        .iter()
        .filter(|l| text(l, "documentId") == doc_id)
        .filter_map(|l| l.get("sequence").and_then(Value::as_i64))
        .max()
        .unwrap_or(0)
        + 10_000;
    m.insert("sequence".into(), json!(seq));
    let line_type = m
        .get("lineType")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            if m.contains_key("accountId") {
                "Account".into()
            } else {
                "Item".into()
            }
        });
    m.insert("lineType".into(), json!(line_type));
    let obj_no = m
        .get("lineObjectNumber")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match line_type.as_str() {
        "Item" => {
            let id = m.get("itemId").and_then(Value::as_str).unwrap_or("").to_string();
            let it = lookup(c, "items", &id, "number", &obj_no)
                .ok_or_else(|| BcError::record_not_found("Item", &format!("No.='{obj_no}'")))?;
            m.insert("itemId".into(), json!(text(it, "id")));
            m.insert("lineObjectNumber".into(), json!(text(it, "number")));
            m.entry("description").or_insert(json!(text(it, "displayName")));
            m.entry("unitPrice").or_insert(it.get("unitPrice").cloned().unwrap_or(json!(0)));
            m.entry("taxCode").or_insert(json!(text(it, "taxGroupCode")));
        }
        "Account" => {
            let id = m.get("accountId").and_then(Value::as_str).unwrap_or("").to_string();
            let acc = lookup(c, "accounts", &id, "number", &obj_no)
                .ok_or_else(|| BcError::record_not_found("G/L Account", &format!("No.='{obj_no}'")))?;
            if acc.get("directPosting") != Some(&Value::Bool(true)) {
                return Err(BcError::new(
                    400,
                    "Application_FieldValidationException",
                    format!("Direct Posting must be equal to 'Yes'  in G/L Account: No.={}. Current value is 'No'.", text(acc, "number")),
                ));
            }
            m.insert("accountId".into(), json!(text(acc, "id")));
            m.insert("lineObjectNumber".into(), json!(text(acc, "number")));
            m.entry("description").or_insert(json!(text(acc, "displayName")));
            m.entry("taxCode").or_insert(json!(text(acc, "_taxGroupCode")));
        }
        "Comment" => {}
        other => {
            return Err(BcError::new(
                400,
                "Unknown",
                format!("'{other}' is not an option. The existing options are: Comment,Account,Item,Resource,Fixed Asset,Charge"),
            ))
        }
    }
    if let Some(code) = m
        .get("taxCode")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        if c.by("taxGroups", "code", code).is_none() {
            let table = match c.tax {
                TaxKind::Vat => "VAT Product Posting Group",
                TaxKind::SalesTax => "Tax Group",
            };
            return Err(BcError::record_not_found(table, &format!("Code='{code}'")));
        }
    }
    // Validating the line's tax group looks the VAT posting setup (tax detail) up at once,
    // as BC's `Sales Line` does: a missing combination is refused here, not only at posting.
    if line_type != "Comment" {
        let code = m
            .get("taxCode")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let customer = c
            .get("customers", text(&doc, "customerId"))
            .cloned()
            .unwrap_or(json!({}));
        if tax_rate(c, &customer, &code).is_none() {
            return Err(crate::posting::missing_setup(c, &customer, &code));
        }
    }
    if let Some(loc) = m
        .get("locationId")
        .and_then(Value::as_str)
        .filter(|s| *s != NULL_GUID)
    {
        if c.get("locations", loc).is_none() {
            return Err(BcError::record_not_found(
                "Location",
                &format!("Id='{loc}'"),
            ));
        }
    }
    let row = Value::Object(m.clone());
    if dec(&row, "discountAmount") < Decimal::ZERO {
        return Err(BcError::dialog(
            "Line Discount Amount must not be negative.",
        ));
    }
    if dec(&row, "discountAmount") > round2(dec(&row, "quantity") * dec(&row, "unitPrice")).abs() {
        return Err(BcError::dialog(
            "Line Discount Amount must not be greater than the line amount.",
        ));
    }
    Ok(())
}

pub(crate) fn payment(
    ctx: &mut Ctx,
    c: &mut Company,
    m: &mut Map<String, Value>,
) -> Result<(), BcError> {
    let cid = m
        .get("customerId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let cno = m
        .get("customerNumber")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if (cid.is_empty() || cid == NULL_GUID) && cno.is_empty() {
        return Err(BcError::dialog(
            "A customerNumber or a customerID must be provided.",
        ));
    }
    let cust = lookup(c, "customers", &cid, "number", &cno)
        .cloned()
        .ok_or_else(|| BcError::record_not_found("Customer", &format!("No.='{cno}'")))?;
    m.insert("customerId".into(), json!(text(&cust, "id")));
    m.insert("customerNumber".into(), json!(text(&cust, "number")));
    if let Some(inv) = m
        .get("appliesToInvoiceId")
        .and_then(Value::as_str)
        .filter(|s| *s != NULL_GUID)
    {
        let found = c.get("salesInvoices", inv).ok_or_else(|| {
            BcError::record_not_found("Sales Invoice Header", &format!("Id='{inv}'"))
        })?;
        if text(found, "status") == "Draft" {
            return Err(BcError::dialog(format!(
                "There is no Cust. Ledger Entry within the filter. Filters: Document No.: {}",
                text(found, "number")
            )));
        }
        m.insert(
            "appliesToInvoiceNumber".into(),
            json!(text(found, "number")),
        );
    }
    journal_common(ctx, c, "customerPayments", m);
    Ok(())
}

pub(crate) fn journal_common(
    ctx: &mut Ctx,
    c: &mut Company,
    set: &str,
    m: &mut Map<String, Value>,
) {
    let jid = m
        .get("journalId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let line_no = c
        .rows(set)
        .iter()
        .filter(|l| text(l, "journalId") == jid)
        .filter_map(|l| l.get("lineNumber").and_then(Value::as_i64))
        .max()
        .unwrap_or(0)
        + 10_000;
    m.insert("lineNumber".into(), json!(line_no));
    let today = ctx.today();
    m.entry("postingDate").or_insert(json!(today));
    if m.get("documentNumber")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        let n = c.next_number("GJNL", "G", 10_000);
        m.insert("documentNumber".into(), json!(n));
    }
    let name = c
        .get(parent_of(set).map(|p| p.0).unwrap_or(""), &jid)
        .map(|j| text(j, "code").to_string())
        .unwrap_or_default();
    m.insert("journalDisplayName".into(), json!(name));
}

pub(crate) fn journal_line(
    ctx: &mut Ctx,
    c: &mut Company,
    m: &mut Map<String, Value>,
) -> Result<(), BcError> {
    let at = m
        .get("accountType")
        .and_then(Value::as_str)
        .unwrap_or("G_x002F_L_x0020_Account")
        .to_string();
    if at != "G_x002F_L_x0020_Account" {
        return Err(BcError::not_implemented(format!(
            "Account type '{at}' on journal lines is not supported by this sandbox."
        )));
    }
    m.insert("accountType".into(), json!(at));
    let id = m
        .get("accountId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let no = m
        .get("accountNumber")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let acc = lookup(c, "accounts", &id, "number", &no).cloned().ok_or_else(|| {
        BcError::new(
            400,
            "Internal_InvalidTableRelation",
            format!("The field Account No. of table Gen. Journal Line contains a value ({no}) that cannot be found in the related table (G/L Account)."),
        )
    })?;
    m.insert("accountId".into(), json!(text(&acc, "id")));
    m.insert("accountNumber".into(), json!(text(&acc, "number")));
    if let Some(bal) = m
        .get("balancingAccountNumber")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        if c.by("accounts", "number", bal).is_none() {
            return Err(BcError::new(
                400,
                "Internal_InvalidTableRelation",
                format!("The field Bal. Account No. of table Gen. Journal Line contains a value ({bal}) that cannot be found in the related table (G/L Account)."),
            ));
        }
    }
    journal_common(ctx, c, "journalLines", m);
    Ok(())
}
