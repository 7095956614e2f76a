//! The demo settings for the QuickBooks Online sandbox company: its account names for what the
//! ERP calls by code, and every storefront tax rate mapped to its "California" code.
//! Self-contained (the QBO tests include this file) so the names live in one place.

/// The QuickBooks Online sandbox company's names for what the ERP calls by code.
pub const QBO_NAMES: &[(&str, &str)] = &[
    ("income_account = \"4000\"", "income_account = \"Sales of Product Income\""),
    ("expense_account = \"5000\"", "expense_account = \"Cost of Goods Sold\""),
    ("cogs_account = \"5000\"", "cogs_account = \"Cost of Goods Sold\""),
    ("asset_account = \"1200\"", "asset_account = \"Inventory Asset\""),
    ("discount_gl = \"4900\"", "discount_gl = \"Discounts given\""),
    ("gift_card_liability_gl = \"2300\"", "gift_card_liability_gl = \"Gift Card Liability\""),
    ("store_credit_gl = \"2310\"", "store_credit_gl = \"Gift Card Liability\""),
    ("shipping_gl = \"4100\"", "shipping_gl = \"Shipping Income\""),
    ("handling_gl = \"4110\"", "handling_gl = \"Shipping Income\""),
    ("wrapping_gl = \"4120\"", "wrapping_gl = \"Sales of Product Income\""),
    ("rounding_gl = \"6990\"", "rounding_gl = \"Sales of Product Income\""),
    ("deposit_account = \"1050\"", "deposit_account = \"Payments Clearing\""),
    ("refund_clearing_account = \"1050\"", "refund_clearing_account = \"Payments Clearing\""),
    ("[posting]\n", "[posting]\nnon_taxable_code = \"NON\"\n"),
    (
        "[ledger]\nplatform = \"acctvantage\"",
        "[ledger]\nplatform = \"qbo\"\nrealm_id = \"9130355377388166\"\nclient_id = \"sandbox\"\nclient_secret = \"sandbox\"\nrefresh_token = \"sandbox\"",
    ),
];

/// `demo` (the demo settings for the embedded ERP) with the QuickBooks sandbox's names. The
/// `[ledger]` keeps placeholder credentials: callers set the sandbox's.
pub fn qbo_text(demo: &str) -> Result<String, String> {
    let mut text = demo.to_string();
    for (from, to) in QBO_NAMES {
        if !text.contains(from) {
            return Err(format!(
                "demo settings: `{from}` not found (the QuickBooks names are out of date)"
            ));
        }
        text = text.replace(from, to);
    }
    // The sandbox company is a US company with two sales tax codes; every storefront rate
    // maps to its "California" code (the amounts are the storefront's anyway).
    let mut out = String::new();
    let mut in_tax = false;
    for line in text.lines() {
        if line.starts_with('[') {
            in_tax = line == "[tax_map]";
        }
        match line.split_once(" = ") {
            Some((zone, _)) if in_tax => out.push_str(&format!("{zone} = \"California\"\n")),
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}
