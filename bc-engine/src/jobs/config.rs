//! Configuration causes: which mapping issues a setting fixes for every order that has them
//! (an unmapped tax zone or payment method, a posting account not set, a currency the ledger
//! does not accept), and the full settings key of each. The orders job holds an order whose
//! every blocking issue is one of these (no exception, no error status), and the preflight
//! groups them once per storefront value.

use bc_core::settings::PaymentLink;
use bc_core::{
    CatalogEntry, DocumentKind, IssueCode, LedgerCatalog, MappingIssue, Order, PaymentState,
    Settings, ShipVia, TaxLine,
};

use crate::report::ProblemGroup;

/// One configuration cause of one order: `(group, storefront value, settings key, message)`.
pub(crate) type Cause = (ProblemGroup, String, String, String);

/// Whether a setting fixes `code` for every order that has it.
pub(crate) fn is_config(code: IssueCode) -> bool {
    matches!(
        code,
        IssueCode::UnmappedTaxZone
            | IssueCode::UnmappedPaymentMethod
            | IssueCode::MissingPostingTarget
            | IssueCode::CurrencyNotEnabled
    )
}

/// A TOML key or string, quoted: `"Texas"` (`"` and `\` escaped, control characters as
/// `\uXXXX`).
pub(crate) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `tax_map` key a tax line is looked up by, when it is mapped (`"zone/class"` first,
/// then `"zone"`, as the plan looks it up).
pub(crate) fn mapped_tax_key(settings: &Settings, tax: &TaxLine) -> Option<String> {
    settings.tax_map.for_tax(tax).map(|(k, _)| k.to_string())
}

/// The payment methods of `order` that make a receipt or a sales receipt's payment (not void,
/// not pending).
fn paying_methods(order: &Order, settings: &Settings) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &order.payments {
        let counts = match p.state {
            PaymentState::Captured => true,
            PaymentState::Authorized => settings.payments.card_preauthorized,
            _ => false,
        };
        if counts && !out.contains(&p.method) {
            out.push(p.method.clone());
        }
    }
    if out.is_empty() {
        // A sales receipt carries its first non-void payment, whatever its state.
        if let Some(p) = order
            .payments
            .iter()
            .find(|p| p.state != PaymentState::Void)
        {
            out.push(p.method.clone());
        }
    }
    out
}

/// The configuration causes behind `issues` of `order`, one per storefront value, and
/// whether every issue is configuration-class (the order is then held, not failed).
pub(crate) fn causes(
    order: &Order,
    settings: &Settings,
    issues: &[MappingIssue],
) -> (Vec<Cause>, bool) {
    let mut out: Vec<Cause> = Vec::new();
    let mut push = |c: Cause| {
        if !out.iter().any(|x| x.0 == c.0 && x.2 == c.2) {
            out.push(c);
        }
    };
    let mut all = !issues.is_empty();
    for issue in issues {
        match issue.code {
            IssueCode::UnmappedTaxZone => {
                for tax in &order.taxes {
                    if mapped_tax_key(settings, tax).is_none() {
                        push((
                            ProblemGroup::TaxZones,
                            tax.zone.clone(),
                            format!("tax_map.{}", quoted(&tax.zone)),
                            format!(
                                "the storefront's tax zone `{}` has no ledger tax code in `tax_map`",
                                tax.zone
                            ),
                        ));
                    }
                }
            }
            IssueCode::UnmappedPaymentMethod => {
                for m in paying_methods(order, settings) {
                    if !settings.payment_map.contains_key(&m) {
                        push((
                            ProblemGroup::PaymentMethods,
                            m.clone(),
                            format!("payment_map.{}", quoted(&m)),
                            format!(
                                "the storefront's payment method `{m}` is not in `payment_map` (no receipt type and deposit account)"
                            ),
                        ));
                    }
                }
            }
            IssueCode::MissingPostingTarget => {
                let setting = issue
                    .setting
                    .clone()
                    .unwrap_or_else(|| "posting".to_string());
                push((
                    ProblemGroup::Accounts,
                    setting.clone(),
                    setting,
                    issue.message.clone(),
                ));
            }
            IssueCode::CurrencyNotEnabled => {
                let cur = order.currency.to_string();
                push((
                    ProblemGroup::Currencies,
                    cur.clone(),
                    "ledger.currencies".to_string(),
                    format!(
                        "the ledger does not accept {cur}: enable {cur} in the ledger (and list it in `ledger.currencies` where the connector reads it)"
                    ),
                ));
            }
            _ => all = false,
        }
    }
    (out, all)
}

/// Whether `value` is in `list`: by code, or by name as some settings write names, in any
/// case and without surrounding spaces (ledgers match some values so; a value held wrongly
/// would block every order using it, one let through is refused by the ledger when written).
pub(crate) fn in_list(list: &[CatalogEntry], value: &str) -> bool {
    let v = value.trim();
    list.iter()
        .any(|e| e.code.trim().eq_ignore_ascii_case(v) || e.name.trim().eq_ignore_ascii_case(v))
}

/// `a, b, c … and 4 more` of a catalog list's codes, for messages.
pub(crate) fn codes(list: &[CatalogEntry]) -> String {
    let shown: Vec<&str> = list.iter().take(8).map(|e| e.code.as_str()).collect();
    let mut s = shown.join(", ");
    if list.len() > 8 {
        s.push_str(&format!(" … and {} more", list.len() - 8));
    }
    s
}

/// The catalog's list `name`, when the ledger gave it.
pub(crate) fn known<'c>(
    catalog: Option<&'c LedgerCatalog>,
    name: &str,
    list: impl Fn(&LedgerCatalog) -> &Vec<CatalogEntry>,
) -> Option<&'c [CatalogEntry]> {
    catalog
        .filter(|c| c.knows(name))
        .map(|c| list(c).as_slice())
}

/// Whether the order's payments go to the ledger (receipts, or a sales receipt's payment).
fn payments_posted(settings: &Settings) -> bool {
    settings.payments.record_payments
        || settings.orders.document_kind == DocumentKind::SalesReceipt
        || settings.payments.link == PaymentLink::SalesReceipt
}

/// The mapped values `order` would send to the ledger that the ledger's catalog lacks (only
/// for lists the catalog knows): the `tax_map` codes of its tax lines, the receipt type and deposit account of its payment methods,
/// and with `ship_vias` its ship via (unless `shipping.auto_create_ship_via`).
pub(crate) fn catalog_causes(
    cat: &LedgerCatalog,
    order: &Order,
    settings: &Settings,
    ship_vias: bool,
) -> Vec<Cause> {
    let mut out: Vec<Cause> = Vec::new();
    let mut push = |c: Cause| {
        if !out.iter().any(|x| x.0 == c.0 && x.2 == c.2) {
            out.push(c);
        }
    };
    if let Some(list) = known(Some(cat), "tax_codes", |c| &c.tax_codes) {
        for tax in &order.taxes {
            let Some(key) = mapped_tax_key(settings, tax) else {
                continue;
            };
            let Some(code) = settings.tax_map.get(&key) else {
                continue;
            };
            if !in_list(list, code) {
                push((
                    ProblemGroup::TaxZones,
                    key.clone(),
                    format!("tax_map.{}", quoted(&key)),
                    format!(
                        "`tax_map.{}` is `{code}`, which is not a tax code of the ledger (its tax codes: {})",
                        quoted(&key),
                        codes(list)
                    ),
                ));
            }
        }
        // Not `posting.non_taxable_code`: some ledgers' line tax codes (QuickBooks' `TAX` /
        // `NON`) are not in their list of tax codes.
    }
    if payments_posted(settings) {
        for m in paying_methods(order, settings) {
            let Some(pm) = settings.payment_map.get(&m) else {
                continue;
            };
            if pm.open_ar {
                continue;
            }
            if let (Some(list), Some(acct)) = (
                known(Some(cat), "accounts", |c| &c.accounts),
                pm.deposit_account.as_deref(),
            ) {
                if !in_list(list, acct) {
                    push((
                        ProblemGroup::Accounts,
                        m.clone(),
                        format!("payment_map.{}.deposit_account", quoted(&m)),
                        format!(
                            "the deposit account of payment method `{m}` is `{acct}`, which is not an account of the ledger"
                        ),
                    ));
                }
            }
            if let (Some(list), Some(rt)) = (
                known(Some(cat), "receipt_types", |c| &c.receipt_types),
                pm.receipt_type.as_deref(),
            ) {
                if !in_list(list, rt) {
                    push((
                        ProblemGroup::PaymentMethods,
                        m.clone(),
                        format!("payment_map.{}.receipt_type", quoted(&m)),
                        format!(
                            "the receipt type of payment method `{m}` is `{rt}`, which the ledger does not have (its receipt types: {})",
                            codes(list)
                        ),
                    ));
                }
            }
        }
    }
    if ship_vias && !settings.shipping.auto_create_ship_via {
        if let Some(list) = known(Some(cat), "ship_vias", |c| &c.ship_vias) {
            let via = ShipVia::for_order(order, &settings.shipping).map(|via| {
                match order.shipping_method().filter(|m| !m.trim().is_empty()) {
                    Some(m) => (
                        m.to_string(),
                        format!("shipping.ship_via_map.{}", quoted(m)),
                        via.method,
                    ),
                    None => (
                        "(no shipping method)".to_string(),
                        "shipping.default_ship_via".to_string(),
                        via.method,
                    ),
                }
            });
            if let Some((value, setting, via)) = via {
                if !in_list(list, &via) {
                    push((
                        ProblemGroup::ShipVias,
                        value.clone(),
                        setting,
                        format!(
                            "the shipping method `{value}` goes to the ledger as ship via `{via}`, which the ledger does not have (its ship vias: {}; or set `shipping.auto_create_ship_via = true`)",
                            codes(list)
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// The accounts of `orders.new_items` the ledger's catalog lacks (only when it knows its
/// accounts): every new item would be refused, so an order that needs one is held.
pub(crate) fn new_item_causes(cat: &LedgerCatalog, settings: &Settings) -> Vec<Cause> {
    let Some(list) = known(Some(cat), "accounts", |c| &c.accounts) else {
        return Vec::new();
    };
    let n = &settings.orders.new_items;
    [
        ("income_account", &n.income_account),
        ("expense_account", &n.expense_account),
        ("cogs_account", &n.cogs_account),
        ("asset_account", &n.asset_account),
    ]
    .into_iter()
    .filter_map(|(key, value)| {
        let acct = value.as_deref()?;
        (!in_list(list, acct)).then(|| {
            (
                ProblemGroup::Accounts,
                format!("orders.new_items.{key}"),
                format!("orders.new_items.{key}"),
                format!(
                    "`orders.new_items.{key}` is `{acct}`, which is not an account of the ledger: the items `orders.create_missing_items` creates would be refused"
                ),
            )
        })
    })
    .collect()
}
