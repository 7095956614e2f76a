//! The company a new sandbox starts with: chart of accounts, tax rates and codes, a few items,
//! customers, a vendor and an employee, classes, departments, CompanyInfo and Preferences.
//!
//! Customer 1 ("Amy's Bird Sanctuary") and item 1 ("Services") are the ones Intuit's documented
//! examples use, so those examples replay unchanged.

use serde_json::{json, Value};

use crate::config::{currency_name, Company};
use crate::entities::stamp;
use crate::state::{Books, EntityKind};

/// A tax code to seed: name, `(rate id, rate name)`s, taxable.
type CodeSeed = (String, Vec<(String, String)>, bool);

fn insert(books: &mut Books, kind: EntityKind, mut row: Value) -> String {
    let id = books.next_id(kind);
    stamp(books, &mut row, id, 0, None);
    books.put(kind, id, row);
    id.to_string()
}

fn account(books: &mut Books, name: &str, ty: &str, sub: &str, class: &str, num: &str) -> String {
    let cur = books.home_currency.clone();
    insert(
        books,
        EntityKind::Account,
        json!({
            "Name": name,
            "SubAccount": false,
            "FullyQualifiedName": name,
            "Active": true,
            "Classification": class,
            "AccountType": ty,
            "AccountSubType": sub,
            "AcctNum": num,
            "CurrentBalance": 0,
            "CurrentBalanceWithSubAccounts": 0,
            "CurrencyRef": { "value": cur, "name": currency_name(&cur) }
        }),
    )
}

/// Fills empty books with the starting company.
pub fn seed(books: &mut Books, company_name: &str) {
    let cur = books.home_currency.clone();
    let us = books.company == Company::Us;

    // Chart of accounts.
    let sales = account(
        books,
        "Sales of Product Income",
        "Income",
        "SalesOfProductIncome",
        "Revenue",
        "4000",
    );
    let services = account(
        books,
        "Services",
        "Income",
        "ServiceFeeIncome",
        "Revenue",
        "4100",
    );
    let cogs = account(
        books,
        "Cost of Goods Sold",
        "Cost of Goods Sold",
        "SuppliesMaterialsCogs",
        "Expense",
        "5000",
    );
    let inventory = account(
        books,
        "Inventory Asset",
        "Other Current Asset",
        "Inventory",
        "Asset",
        "1300",
    );
    account(
        books,
        "Accounts Receivable (A/R)",
        "Accounts Receivable",
        "AccountsReceivable",
        "Asset",
        "1200",
    );
    account(
        books,
        "Undeposited Funds",
        "Other Current Asset",
        "UndepositedFunds",
        "Asset",
        "1010",
    );
    account(books, "Checking", "Bank", "Checking", "Asset", "1000");
    account(
        books,
        "Discounts given",
        "Income",
        "DiscountsRefundsGiven",
        "Revenue",
        "4900",
    );
    let gift = account(
        books,
        "Gift Card Liability",
        "Other Current Liability",
        "OtherCurrentLiabilities",
        "Liability",
        "2300",
    );
    account(
        books,
        "Payments Clearing",
        "Other Current Asset",
        "OtherCurrentAssets",
        "Asset",
        "1050",
    );
    account(
        books,
        "Merchant Fees",
        "Expense",
        "BankCharges",
        "Expense",
        "6100",
    );
    let tax_label = if us {
        "Sales Tax Payable"
    } else {
        "VAT Control"
    };
    account(
        books,
        tax_label,
        "Other Current Liability",
        "SalesTaxPayable",
        "Liability",
        "2200",
    );
    let shipping = account(
        books,
        "Shipping Income",
        "Income",
        "OtherPrimaryIncome",
        "Revenue",
        "4200",
    );
    account(
        books,
        "Opening Balance Equity",
        "Equity",
        "OpeningBalanceEquity",
        "Equity",
        "3000",
    );

    // Tax rates and codes.
    let rates: Vec<(&str, &str)> = if us {
        vec![
            ("California State", "7.25"),
            ("San Francisco City", "1.375"),
        ]
    } else {
        vec![("20.0% S", "20"), ("5.0% R", "5"), ("0.0% Z", "0")]
    };
    let mut rate_ids = Vec::new();
    for (name, value) in &rates {
        let id = insert(
            books,
            EntityKind::TaxRate,
            json!({
                "Name": name,
                "Description": name,
                "Active": true,
                "RateValue": crate::json::num(crate::json::parse_decimal(value).unwrap_or_default()),
                "AgencyRef": { "value": "1" },
                "SpecialTaxType": "NONE",
                "DisplayType": "ReadOnly",
                "EffectiveTaxRate": [{
                    "RateValue": crate::json::num(crate::json::parse_decimal(value).unwrap_or_default()),
                    "EffectiveDate": "2015-01-01T00:00:00-08:00"
                }]
            }),
        );
        rate_ids.push((id, name.to_string()));
    }
    let detail = |ids: &[(String, String)]| -> Value {
        Value::Array(
            ids.iter()
                .enumerate()
                .map(|(i, (id, name))| {
                    json!({
                        "TaxRateRef": { "value": id, "name": name },
                        "TaxTypeApplicable": "TaxOnAmount",
                        "TaxOrder": i
                    })
                })
                .collect(),
        )
    };
    let codes: Vec<CodeSeed> = if us {
        vec![
            (
                "California".to_string(),
                rate_ids.iter().take(1).cloned().collect(),
                true,
            ),
            ("San Francisco".to_string(), rate_ids.clone(), true),
        ]
    } else {
        let mut v: Vec<CodeSeed> = rate_ids
            .iter()
            .map(|(id, name)| (name.clone(), vec![(id.clone(), name.clone())], true))
            .collect();
        v.push(("No VAT".to_string(), Vec::new(), false));
        v
    };
    let mut standard_code = String::new();
    for (name, ids, taxable) in codes {
        let id = insert(
            books,
            EntityKind::TaxCode,
            json!({
                "Name": name,
                "Description": name,
                "Active": true,
                "Hidden": false,
                "Taxable": taxable,
                "TaxGroup": ids.len() > 1,
                "SalesTaxRateList": { "TaxRateDetail": detail(&ids) },
                "PurchaseTaxRateList": { "TaxRateDetail": [] }
            }),
        );
        if standard_code.is_empty() {
            standard_code = id;
        }
    }

    // Items.
    let item = |name: &str, ty: &str, income: &str, price: &str, sku: &str, taxable: bool| {
        let mut v = json!({
            "Name": name,
            "Description": name,
            "Active": true,
            "FullyQualifiedName": name,
            "Taxable": taxable,
            "UnitPrice": crate::json::num(crate::json::parse_decimal(price).unwrap_or_default()),
            "Type": ty,
            "IncomeAccountRef": { "value": income },
            "PurchaseCost": 0,
            "TrackQtyOnHand": false
        });
        if !sku.is_empty() {
            v["Sku"] = json!(sku);
        }
        v
    };
    let mut rows = vec![
        item("Services", "Service", &services, "0", "", false),
        item("Widget", "Inventory", &sales, "25", "WIDGET-1", true),
        item("Gadget", "Inventory", &sales, "40", "GADGET-1", true),
        item("Shipping", "Service", &shipping, "0", "SHIP", false),
        item("Gift Card", "NonInventory", &gift, "0", "GIFT-CARD", false),
    ];
    for (i, qty) in [(1usize, 100), (2usize, 50)] {
        if let Some(r) = rows.get_mut(i) {
            r["TrackQtyOnHand"] = json!(true);
            r["QtyOnHand"] = json!(qty);
            r["InvStartDate"] = json!("2015-01-01");
            r["AssetAccountRef"] = json!({ "value": inventory });
            r["ExpenseAccountRef"] = json!({ "value": cogs });
        }
    }
    if !us {
        for r in rows.iter_mut() {
            r["SalesTaxCodeRef"] = json!({ "value": standard_code });
        }
    }
    for mut r in rows {
        for key in ["IncomeAccountRef", "AssetAccountRef", "ExpenseAccountRef"] {
            if let Some(id) = crate::json::ref_value(&r, key) {
                let name = books
                    .get_str(EntityKind::Account, &id)
                    .and_then(|a| crate::json::text(a, "Name"))
                    .map(str::to_string);
                r[key] = crate::json::reference(&id, name.as_deref());
            }
        }
        insert(books, EntityKind::Item, r);
    }

    // Names.
    let addr = json!({
        "City": "Bayshore", "Line1": "4581 Finch St.", "PostalCode": "94326",
        "Lat": "INVALID", "Long": "INVALID", "CountrySubDivisionCode": "CA"
    });
    let mut bill = addr.clone();
    bill["Id"] = json!("2");
    let mut ship = addr;
    ship["Id"] = json!("109");
    let currency = json!({ "value": cur, "name": currency_name(&cur) });
    let mut amy = json!({
        "GivenName": "Amy", "FamilyName": "Lauterbach",
        "CompanyName": "Amy's Bird Sanctuary", "DisplayName": "Amy's Bird Sanctuary",
        "FullyQualifiedName": "Amy's Bird Sanctuary", "PrintOnCheckName": "Amy's Bird Sanctuary",
        "PrimaryEmailAddr": { "Address": "Birds@Intuit.com" },
        "BillAddr": bill, "ShipAddr": ship,
        "Job": false, "BillWithParent": false, "Balance": 0, "BalanceWithJobs": 0,
        "CurrencyRef": currency.clone(), "PreferredDeliveryMethod": "Print",
        "IsProject": false, "Active": true
    });
    let mut bill2 = json!({
        "DisplayName": "Bill's Windsurf Shop", "CompanyName": "Bill's Windsurf Shop",
        "FullyQualifiedName": "Bill's Windsurf Shop", "PrintOnCheckName": "Bill's Windsurf Shop",
        "GivenName": "Bill", "FamilyName": "Lucchini",
        "PrimaryEmailAddr": { "Address": "Surf@Intuit.com" },
        "Job": false, "BillWithParent": false, "Balance": 0, "BalanceWithJobs": 0,
        "CurrencyRef": currency.clone(), "PreferredDeliveryMethod": "Print",
        "IsProject": false, "Active": true
    });
    if us {
        amy["Taxable"] = json!(true);
        bill2["Taxable"] = json!(false);
    }
    insert(books, EntityKind::Customer, amy);
    insert(books, EntityKind::Customer, bill2);
    insert(
        books,
        EntityKind::Vendor,
        json!({
            "DisplayName": "Books by Bessie", "CompanyName": "Books by Bessie",
            "PrintOnCheckName": "Books by Bessie", "Active": true, "Vendor1099": false,
            "Balance": 0, "CurrencyRef": currency.clone()
        }),
    );
    insert(
        books,
        EntityKind::Employee,
        json!({
            "DisplayName": "Emily Platt", "GivenName": "Emily", "FamilyName": "Platt",
            "PrintOnCheckName": "Emily Platt", "Active": true
        }),
    );
    for name in ["Retail", "Wholesale"] {
        insert(
            books,
            EntityKind::Class,
            json!({ "Name": name, "SubClass": false, "FullyQualifiedName": name, "Active": true }),
        );
    }
    for name in ["Online Store", "Warehouse"] {
        insert(
            books,
            EntityKind::Department,
            json!({ "Name": name, "SubDepartment": false, "FullyQualifiedName": name, "Active": true }),
        );
    }

    // Payment methods: what a new company starts with (Cheque in a UK company).
    for (name, ty) in [
        ("Cash", "NON_CREDIT_CARD"),
        (if us { "Check" } else { "Cheque" }, "NON_CREDIT_CARD"),
        ("Visa", "CREDIT_CARD"),
        ("MasterCard", "CREDIT_CARD"),
        ("Discover", "CREDIT_CARD"),
        ("American Express", "CREDIT_CARD"),
        ("Diners Club", "CREDIT_CARD"),
    ] {
        insert(
            books,
            EntityKind::PaymentMethod,
            json!({ "Name": name, "Active": true, "Type": ty }),
        );
    }

    // The company itself.
    let country = if us { "US" } else { "GB" };
    insert(
        books,
        EntityKind::CompanyInfo,
        json!({
            "CompanyName": company_name,
            "LegalName": company_name,
            "CompanyAddr": if us {
                json!({ "Id": "1", "Line1": "123 Sierra Way", "City": "San Pablo", "CountrySubDivisionCode": "CA", "PostalCode": "87999" })
            } else {
                json!({ "Id": "1", "Line1": "1 Long Acre", "City": "London", "PostalCode": "WC2E 9LH", "Country": "GB" })
            },
            "CustomerCommunicationAddr": { "Id": "1", "Line1": "123 Sierra Way" },
            "Country": country,
            "Email": { "Address": "noreply@quickbooks.com" },
            "WebAddr": {},
            "SupportedLanguages": "en",
            "FiscalYearStartMonth": "January",
            "CompanyStartDate": "2015-01-01",
            "NameValue": [
                { "Name": "NeoEnabled", "Value": "true" },
                { "Name": "IndustryType", "Value": "Retail" },
                { "Name": "OfferingSku", "Value": "QuickBooks Online Plus" },
                { "Name": "IsQbdtMigrated", "Value": "false" }
            ]
        }),
    );
    let multicurrency = books.multicurrency;
    insert(
        books,
        EntityKind::Preferences,
        json!({
            "AccountingInfoPrefs": {
                "TrackDepartments": true, "DepartmentTerminology": "Location",
                "ClassTrackingPerTxn": true, "ClassTrackingPerTxnLine": true,
                "CustomerTerminology": "Customers", "BookCloseDate": null
            },
            "ProductAndServicesPrefs": {
                "ForSales": true, "ForPurchase": true, "QuantityWithPriceAndRate": true,
                "QuantityOnHand": true
            },
            "SalesFormsPrefs": {
                "CustomTxnNumbers": true, "AllowDeposit": true, "AllowDiscount": true,
                "AllowShipping": true, "AllowServiceDate": false, "AllowEstimates": true,
                "DefaultTerms": { "value": "3" }, "AutoApplyCredit": true,
                "ETransactionEnabledStatus": "NotApplicable"
            },
            "VendorAndPurchasesPrefs": { "TrackingByCustomer": true, "BillableExpenseTracking": true },
            "TaxPrefs": if us {
                json!({ "UsingSalesTax": true, "PartnerTaxEnabled": false, "TaxGroupCodeRef": { "value": standard_code } })
            } else {
                json!({ "UsingSalesTax": true, "PartnerTaxEnabled": false })
            },
            "CurrencyPrefs": {
                "MultiCurrencyEnabled": multicurrency,
                "HomeCurrency": { "value": cur }
            },
            "OtherPrefs": {
                "NameValue": [
                    { "Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": "Thank you for your business." },
                    { "Name": "SalesFormsPrefs.WarnDuplicateDocNum", "Value": if books.reject_duplicate_doc_numbers { "true" } else { "false" } }
                ]
            },
            "TimeTrackingPrefs": { "UseServices": true, "BillCustomers": true }
        }),
    );
}
