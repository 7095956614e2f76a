//! The seeded tenant: a VAT company (`CRONUS UK Ltd.`, GBP, with EUR and USD rates) and a US
//! sales-tax company (`CRONUS USA, Inc.`, USD, with CAD), set up the way a merchant's Business
//! Central would be before the integration starts (accounts, VAT/tax setup, items with stock at
//! locations, payment and general journals, shipment and payment methods).
//!
//! Deliberate gaps the tests use: the GB company has no VAT posting setup for
//! (`EU`, `REDUCED`) nor (`EXPORT`, `REDUCED`), and `CHF` has no exchange rate; the US company
//! has no tax detail for (`CHICAGO`, `FURNITURE`).

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::state::{num, obj, Company, Ctx, TaxKind};

/// Fixed company ids (so that credentials and settings files stay valid across runs).
pub const GB_COMPANY_ID: &str = "7b3f4c2a-9d51-4e0b-8a61-2c5d0e9f1a01";
/// The US company's id.
pub const US_COMPANY_ID: &str = "7b3f4c2a-9d51-4e0b-8a61-2c5d0e9f1a02";

pub(crate) fn add(ctx: &mut Ctx, c: &mut Company, set: &str, mut row: Value) -> String {
    let id = ctx.guid();
    let stamp = ctx.stamp();
    let m = obj(&mut row);
    m.insert("id".into(), json!(id));
    m.insert("_v".into(), json!(1));
    m.insert("lastModifiedDateTime".into(), json!(stamp));
    c.rows_mut(set).push(row);
    id
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

/// Both companies.
pub fn companies(ctx: &mut Ctx) -> Vec<Company> {
    vec![gb(ctx), us(ctx)]
}

fn common(ctx: &mut Ctx, c: &mut Company, untaxed: &str, taxed: &str) {
    for (no, name, cat, direct, tax) in [
        ("10100", "Checking account", "Assets", true, untaxed),
        (
            "10200",
            "Payment clearing (storefront)",
            "Assets",
            true,
            untaxed,
        ),
        ("13100", "Accounts Receivable", "Assets", false, untaxed),
        ("20500", "Gift card liability", "Liabilities", true, untaxed),
        (
            "20600",
            "Store credit liability",
            "Liabilities",
            true,
            untaxed,
        ),
        ("40100", "Sales, retail", "Income", true, taxed),
        ("40200", "Shipping income", "Income", true, taxed),
        ("40300", "Handling income", "Income", true, taxed),
        ("40400", "Sales discounts", "Income", true, taxed),
        (
            "40500",
            "Sales returns (not restocked)",
            "Income",
            true,
            taxed,
        ),
        ("65100", "Payment processing fees", "Expense", true, untaxed),
        ("69100", "Rounding differences", "Expense", true, untaxed),
    ] {
        add(
            ctx,
            c,
            "accounts",
            json!({"number": no, "displayName": name, "category": cat, "subCategory": "",
                "blocked": false, "accountType": "Posting", "directPosting": direct,
                "netChange": 0, "consolidationTranslationMethod": "Average Rate (Manual)",
                "consolidationDebitAccount": "", "consolidationCreditAccount": "",
                "excludeFromConsolidation": false, "_taxGroupCode": tax}),
        );
    }
    for (code, name) in [
        ("CARD", "Card payment"),
        ("PAYPAL", "PayPal"),
        ("BANK", "Bank transfer"),
        ("CASH", "Cash"),
    ] {
        add(
            ctx,
            c,
            "paymentMethods",
            json!({"code": code, "displayName": name}),
        );
    }
    for (code, name) in [
        ("FOB", "Free on board"),
        ("PICKUP", "Pickup at location"),
        ("STD", "Standard delivery"),
        ("EXP", "Express delivery"),
    ] {
        add(
            ctx,
            c,
            "shipmentMethods",
            json!({"code": code, "displayName": name}),
        );
    }
    add(
        ctx,
        c,
        "customerPaymentJournals",
        json!({"code": "GENERAL", "displayName": "Cash receipts", "balancingAccountId": "00000000-0000-0000-0000-000000000000", "balancingAccountNumber": "10200"}),
    );
    add(
        ctx,
        c,
        "journals",
        json!({"code": "GENERAL", "displayName": "General journal", "templateDisplayName": "GENERAL", "balancingAccountId": "00000000-0000-0000-0000-000000000000", "balancingAccountNumber": ""}),
    );
}

fn location(ctx: &mut Ctx, c: &mut Company, code: &str, name: &str, country: &str) {
    add(
        ctx,
        c,
        "locations",
        json!({"code": code, "displayName": name, "contact": "", "addressLine1": "", "addressLine2": "",
            "city": "", "state": "", "country": country, "postalCode": "", "phoneNumber": "",
            "email": "", "website": ""}),
    );
}

fn item(
    ctx: &mut Ctx,
    c: &mut Company,
    no: &str,
    name: &str,
    price: &str,
    tax: &str,
    stock: &[(&str, i64)],
) {
    add(
        ctx,
        c,
        "items",
        json!({"number": no, "displayName": name, "displayName2": "", "type": "Inventory",
            "itemCategoryId": "00000000-0000-0000-0000-000000000000", "itemCategoryCode": "",
            "blocked": false, "gtin": "", "inventory": 0, "unitPrice": num(d(price)),
            "priceIncludesTax": false, "unitCost": 0, "taxGroupId": "00000000-0000-0000-0000-000000000000",
            "taxGroupCode": tax, "baseUnitOfMeasureId": "00000000-0000-0000-0000-000000000000",
            "baseUnitOfMeasureCode": "PCS", "generalProductPostingGroupId": "00000000-0000-0000-0000-000000000000",
            "generalProductPostingGroupCode": "RETAIL", "inventoryPostingGroupId": "00000000-0000-0000-0000-000000000000",
            "inventoryPostingGroupCode": "RESALE"}),
    );
    for (loc, q) in stock {
        c.move_stock(ctx, no, loc, Decimal::from(*q));
    }
}

#[allow(clippy::too_many_arguments)]
fn customer(
    ctx: &mut Ctx,
    c: &mut Company,
    no: &str,
    name: &str,
    email: &str,
    area: &str,
    currency: &str,
    liable: bool,
) {
    let found = c.by("taxAreas", "code", area).cloned().unwrap_or(json!({}));
    let area_id = found
        .get("id")
        .cloned()
        .unwrap_or(json!("00000000-0000-0000-0000-000000000000"));
    let area_name = found.get("displayName").cloned().unwrap_or(json!(""));
    add(
        ctx,
        c,
        "customers",
        json!({"number": no, "displayName": name, "type": "Company", "addressLine1": "", "addressLine2": "",
            "city": "", "state": "", "country": "", "postalCode": "", "phoneNumber": "", "email": email,
            "website": "", "salespersonCode": "", "balanceDue": 0, "creditLimit": 0, "taxLiable": liable,
            "taxAreaId": area_id, "taxAreaDisplayName": area_name, "_taxAreaCode": area, "taxRegistrationNumber": "",
            "currencyId": "00000000-0000-0000-0000-000000000000", "currencyCode": currency,
            "paymentTermsId": "00000000-0000-0000-0000-000000000000",
            "shipmentMethodId": "00000000-0000-0000-0000-000000000000",
            "paymentMethodId": "00000000-0000-0000-0000-000000000000", "blocked": " "}),
    );
}

pub(crate) fn currency(
    ctx: &mut Ctx,
    c: &mut Company,
    code: &str,
    name: &str,
    symbol: &str,
    rate: Option<&str>,
) {
    add(
        ctx,
        c,
        "currencies",
        json!({"code": code, "displayName": name, "symbol": symbol, "amountDecimalPlaces": "2:2", "amountRoundingPrecision": 0.01}),
    );
    if let Some(r) = rate {
        add(
            ctx,
            c,
            "currencyExchangeRates",
            json!({"currencyCode": code, "startingDate": "2020-01-01", "exchangeRateAmount": 1,
                "relationalCurrencyCode": "", "relationalExchangeRateAmount": num(d(r))}),
        );
    }
}

fn gb(ctx: &mut Ctx) -> Company {
    let mut c = Company::new(GB_COMPANY_ID.into(), "CRONUS UK Ltd.", TaxKind::Vat, "GBP");
    for (code, name) in [
        ("DOMESTIC", "Domestic customers"),
        ("EU", "Customers in EU"),
        ("EXPORT", "Other customers"),
    ] {
        add(
            ctx,
            &mut c,
            "taxAreas",
            json!({"code": code, "displayName": name, "taxType": "VAT"}),
        );
    }
    for (code, name) in [
        ("STANDARD", "Standard VAT (20%)"),
        ("REDUCED", "Reduced VAT (5%)"),
        ("ZERO", "Zero-rated / outside scope"),
    ] {
        add(
            ctx,
            &mut c,
            "taxGroups",
            json!({"code": code, "displayName": name, "taxType": "VAT"}),
        );
    }
    for (bus, prod, pct) in [
        ("DOMESTIC", "STANDARD", "20"),
        ("DOMESTIC", "REDUCED", "5"),
        ("DOMESTIC", "ZERO", "0"),
        ("EU", "STANDARD", "20"),
        ("EU", "ZERO", "0"),
        ("EXPORT", "STANDARD", "0"),
        ("EXPORT", "ZERO", "0"),
    ] {
        c.vat_setup.insert((bus.into(), prod.into()), d(pct));
    }
    common(ctx, &mut c, "ZERO", "STANDARD");
    currency(ctx, &mut c, "EUR", "Euro", "€", Some("0.86"));
    currency(ctx, &mut c, "USD", "US dollar", "$", Some("0.79"));
    currency(ctx, &mut c, "CHF", "Swiss franc", "CHF", None);
    location(ctx, &mut c, "MAIN", "Main warehouse", "GB");
    location(ctx, &mut c, "OUTLET", "Outlet store", "GB");
    item(
        ctx,
        &mut c,
        "1896-S",
        "ATHENS Desk",
        "649.40",
        "STANDARD",
        &[("MAIN", 120), ("OUTLET", 4)],
    );
    item(
        ctx,
        &mut c,
        "1900-S",
        "PARIS Guest Chair, black",
        "192.80",
        "STANDARD",
        &[("MAIN", 300)],
    );
    item(
        ctx,
        &mut c,
        "1906-S",
        "ATHENS Mobile Pedestal",
        "281.40",
        "STANDARD",
        &[("MAIN", 80), ("OUTLET", 2)],
    );
    item(
        ctx,
        &mut c,
        "BOOK-01",
        "Assembly guide (book)",
        "12.00",
        "ZERO",
        &[("MAIN", 500)],
    );
    item(
        ctx,
        &mut c,
        "BABY-01",
        "Child car seat",
        "89.00",
        "REDUCED",
        &[("MAIN", 40)],
    );
    customer(
        ctx,
        &mut c,
        "10000",
        "Adatum Corporation",
        "adatum@example.co.uk",
        "DOMESTIC",
        "",
        false,
    );
    customer(
        ctx,
        &mut c,
        "20000",
        "Trey Research GmbH",
        "trey@example.de",
        "EU",
        "EUR",
        false,
    );
    customer(
        ctx,
        &mut c,
        "30000",
        "Fabrikam Inc.",
        "fabrikam@example.com",
        "EXPORT",
        "USD",
        false,
    );
    c
}

fn us(ctx: &mut Ctx) -> Company {
    let mut c = Company::new(
        US_COMPANY_ID.into(),
        "CRONUS USA, Inc.",
        TaxKind::SalesTax,
        "USD",
    );
    for (code, name) in [
        ("ATLANTA", "Atlanta, GA"),
        ("CHICAGO", "Chicago, IL"),
        ("NOTAX", "Outside tax jurisdictions"),
    ] {
        add(
            ctx,
            &mut c,
            "taxAreas",
            json!({"code": code, "displayName": name, "taxType": "Sales_x0020_Tax"}),
        );
    }
    for (code, name) in [
        ("TAXABLE", "Taxable goods"),
        ("NONTAXABLE", "Non-taxable"),
        ("FURNITURE", "Furniture"),
    ] {
        add(
            ctx,
            &mut c,
            "taxGroups",
            json!({"code": code, "displayName": name, "taxType": "Sales_x0020_Tax"}),
        );
    }
    for (area, group, pct) in [
        ("ATLANTA", "TAXABLE", "8"),
        ("ATLANTA", "NONTAXABLE", "0"),
        ("ATLANTA", "FURNITURE", "8"),
        ("CHICAGO", "TAXABLE", "10.25"),
        ("CHICAGO", "NONTAXABLE", "0"),
        ("NOTAX", "TAXABLE", "0"),
        ("NOTAX", "NONTAXABLE", "0"),
    ] {
        c.tax_details.insert((area.into(), group.into()), d(pct));
    }
    common(ctx, &mut c, "NONTAXABLE", "TAXABLE");
    currency(ctx, &mut c, "CAD", "Canadian dollar", "$", Some("0.73"));
    location(ctx, &mut c, "MAIN", "Main warehouse", "US");
    location(ctx, &mut c, "EAST", "East coast warehouse", "US");
    item(
        ctx,
        &mut c,
        "1896-S",
        "ATHENS Desk",
        "1000.80",
        "FURNITURE",
        &[("MAIN", 60), ("EAST", 10)],
    );
    item(
        ctx,
        &mut c,
        "1900-S",
        "PARIS Guest Chair, black",
        "192.80",
        "TAXABLE",
        &[("MAIN", 200)],
    );
    item(
        ctx,
        &mut c,
        "GIFT-CARD",
        "Gift card (sold)",
        "0",
        "NONTAXABLE",
        &[],
    );
    customer(
        ctx,
        &mut c,
        "10000",
        "Adatum Corporation",
        "adatum@example.com",
        "ATLANTA",
        "",
        true,
    );
    customer(
        ctx,
        &mut c,
        "20000",
        "Trey Research",
        "trey@example.com",
        "CHICAGO",
        "",
        true,
    );
    c
}
