//! The preflight (`check --online`, `sync orders --dry-run`): every missing mapping once,
//! grouped, with the orders it blocks and the settings line that fixes it — and nothing
//! written anywhere.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use bc_core::{CatalogEntry, LedgerCatalog, OrderId, Settings};
use bc_engine::testing::{sample_order, test_settings_toml};
use bc_engine::{
    Engine, FaultyStateStore, Preflight, ProblemGroup, Progress, SettingsFix, StateStore,
};
use common::*;
use rust_decimal::Decimal;

/// 19 orders: 1–12 and 19 in the mapped zone; 13–15 in `Texas` (6.25 %), 16–17 in
/// `Florida` (6 %), 18 in `Ohio` (5.75 %); 2, 15 and 19 paid with the unmapped `offsite`.
fn store() -> World {
    let w = World::with_orders(12);
    let zoned = |id: u64, zone: &str, rate: Decimal| {
        let mut o = sample_order(id, AWAITING_FULFILLMENT, zone);
        for t in &mut o.taxes {
            t.rate = rate;
        }
        o
    };
    w.storefront.add_orders([
        zoned(13, "Texas", Decimal::new(625, 2)),
        zoned(14, "Texas", Decimal::new(625, 2)),
        zoned(15, "Texas", Decimal::new(625, 2)),
        zoned(16, "Florida", Decimal::new(600, 2)),
        zoned(17, "Florida", Decimal::new(600, 2)),
        zoned(18, "Ohio", Decimal::new(575, 2)),
        sample_order(19, AWAITING_FULFILLMENT, "CA State Tax"),
    ]);
    w.storefront.with(|d| {
        for id in ["2", "15", "19"] {
            if let Some(o) = d.orders.get_mut(&OrderId::new(id)) {
                o.payments[0].method = "offsite".into();
            }
        }
    });
    w
}

/// What the ledger holds: tax codes with rates, the test settings' accounts and receipt
/// types; ship vias it cannot list.
fn catalog() -> LedgerCatalog {
    let mut c = LedgerCatalog::new();
    c.tax_codes = vec![
        CatalogEntry::new("TAX", "California").with_rate(Decimal::new(725, 2)),
        CatalogEntry::new("TX", "Texas").with_rate(Decimal::new(625, 2)),
        CatalogEntry::new("FL", "Florida").with_rate(Decimal::new(600, 2)),
        CatalogEntry::new("GEN", "General"),
    ];
    c.accounts = [
        "1200", "2300", "2310", "4000", "4100", "4110", "4120", "4900", "4999",
    ]
    .into_iter()
    .map(|a| CatalogEntry::new(a, format!("Account {a}")))
    .collect();
    c.receipt_types = vec![
        CatalogEntry::new("Visa", "Visa"),
        CatalogEntry::new("Cash", "Cash"),
    ];
    c.unknown = vec!["ship_vias".into()];
    c
}

/// Every state-store method that writes.
const STATE_WRITES: &[&str] = &[
    "put_xref",
    "set_cursor",
    "journal_intents",
    "commit_then_intents",
    "commit",
    "journal_intent",
    "journal_done",
    "journal_failed",
    "record_exception",
    "resolve_exception",
    "request_retry",
    "log",
    "set_last_pushed",
    "acquire_lease",
    "take_over_lease",
    "renew_lease",
    "release_lease",
    "swap_credentials",
];

/// The settings text with each fix's line added under its table (the table appended when the
/// file has none), as a person following the printed advice would.
fn apply(toml: &str, fixes: &[&SettingsFix]) -> String {
    let mut text = toml.to_string();
    for fix in fixes {
        let header = format!("[{}]", fix.section);
        match text.lines().position(|l| l.trim() == header) {
            Some(i) => {
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                lines.insert(i + 1, fix.line.clone());
                text = lines.join("\n");
            }
            None => text.push_str(&format!("\n{header}\n{}\n", fix.line)),
        }
    }
    text
}

fn ids(v: &[u64]) -> Vec<OrderId> {
    v.iter().map(|i| OrderId::new(i.to_string())).collect()
}

#[tokio::test]
async fn finds_each_missing_mapping_once_writes_nothing_and_its_lines_make_the_run_clean() {
    let w = store();
    w.ledger.with(|l| l.catalog = Some(catalog()));
    // Every state write refused: one attempted would fail the preflight and be counted.
    let state = Arc::new(
        FaultyStateStore::new(w.state.clone() as Arc<dyn StateStore>, 1, 1.0).only(STATE_WRITES),
    );
    let engine = Engine::with_options(
        w.storefront.clone(),
        w.ledger.clone(),
        state.clone() as Arc<dyn StateStore>,
        Settings::from_toml_str(&test_settings_toml("")).unwrap(),
        fast(),
    );
    let ticks = Arc::new(std::sync::Mutex::new(Vec::<Progress>::new()));
    let t = ticks.clone();
    engine.set_progress(Some(Arc::new(move |p| t.lock().unwrap().push(p))));

    let pre: Preflight = engine.preflight().await.unwrap();
    assert_eq!(pre.orders_planned, 19, "{pre}");
    assert_eq!(pre.orders_clean, 11, "{pre}");
    assert!(pre.catalog_checked);
    assert!(!pre.is_clean());
    let got: Vec<(ProblemGroup, &str, &str, Vec<OrderId>)> = pre
        .problems
        .iter()
        .map(|p| {
            (
                p.group,
                p.value.as_str(),
                p.setting.as_str(),
                p.orders.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ProblemGroup::TaxZones,
                "Florida",
                "tax_map.\"Florida\"",
                ids(&[16, 17])
            ),
            (
                ProblemGroup::TaxZones,
                "Ohio",
                "tax_map.\"Ohio\"",
                ids(&[18])
            ),
            (
                ProblemGroup::TaxZones,
                "Texas",
                "tax_map.\"Texas\"",
                ids(&[13, 14, 15])
            ),
            (
                ProblemGroup::PaymentMethods,
                "offsite",
                "payment_map.\"offsite\"",
                ids(&[2, 15, 19])
            ),
        ],
        "{pre}"
    );
    // The lines: the tax code of the same rate, else the first (with a note); the payment
    // method copies the working card mapping.
    let fix = |i: usize| pre.problems[i].fix.clone().expect("a fix");
    assert_eq!(fix(0).section, "tax_map");
    assert_eq!(fix(0).line, "\"Florida\" = \"FL\"");
    assert_eq!(fix(0).note.as_deref(), Some("same rate 6%"));
    assert_eq!(fix(1).line, "\"Ohio\" = \"TAX\"");
    assert!(fix(1).note.as_deref().unwrap().contains("first tax code"));
    assert_eq!(fix(2).line, "\"Texas\" = \"TX\"");
    assert_eq!(fix(2).note.as_deref(), Some("same rate 6.25%"));
    assert_eq!(fix(3).section, "payment_map");
    assert_eq!(
        fix(3).line,
        "\"offsite\" = { receipt_type = \"Visa\", deposit_account = \"1200\" }"
    );
    assert!(pre
        .problems
        .iter()
        .all(|p| p.fix.as_ref().unwrap().applies_as_is));

    // Nothing written: the platforms saw reads only, the state store no write at all.
    let ledger_calls: BTreeSet<String> = w.ledger.with(|l| l.calls.keys().cloned().collect());
    assert!(
        ledger_calls
            .iter()
            .all(|c| ["find_client", "find_items", "catalog"].contains(&c.as_str())),
        "{ledger_calls:?}"
    );
    assert!(ledger_calls.contains("catalog"));
    let storefront_calls: BTreeSet<String> =
        w.storefront.with(|d| d.calls.keys().cloned().collect());
    assert!(
        storefront_calls
            .iter()
            .all(|c| ["statuses", "orders"].contains(&c.as_str())),
        "{storefront_calls:?}"
    );
    assert_eq!(
        state.injected(),
        0,
        "the preflight tried to write the state store"
    );
    w.ledger.with(|l| {
        assert_eq!(l.postings(), 0);
        assert!(l.clients.is_empty() && l.items.is_empty());
    });
    assert!(w.storefront.with(|d| d.status_changes.is_empty()));
    // Progress: one tick per order planned, counting up.
    let ticks = ticks.lock().unwrap().clone();
    assert_eq!(ticks.len(), 19);
    assert_eq!(ticks.last().unwrap().done, 19);
    assert!(ticks.windows(2).all(|w| w[0].done < w[1].done));

    // Printed for a person: each problem once, its orders, the line under its table.
    let text = pre.to_string();
    println!("{text}");
    assert_eq!(text.matches("Texas —").count(), 1, "{text}");
    assert!(text.contains("blocks 3 orders: 13, 14, 15"), "{text}");
    assert!(
        text.contains("add under [tax_map]:  \"Texas\" = \"TX\""),
        "{text}"
    );
    assert!(text.contains("Payment methods"), "{text}");

    // The printed lines, added under their tables: clean, and a run posts every order.
    let fixes: Vec<&SettingsFix> = pre.problems.iter().filter_map(|p| p.fix.as_ref()).collect();
    let fixed = apply(&test_settings_toml(""), &fixes);
    let settings = Settings::from_toml_str(&fixed).unwrap_or_else(|e| panic!("{e}\n{fixed}"));
    engine.set_settings(settings);
    let again = engine.preflight().await.unwrap();
    assert!(again.is_clean(), "{again}");
    assert_eq!(again.orders_clean, 19);
    state.set_rate(0.0);
    let run = engine.sync_orders().await.unwrap();
    assert!(run.is_clean(), "{run}");
    assert_eq!(run.done, 19, "{run}");
    w.ledger.with(|l| {
        assert_eq!(l.documents.len(), 19);
        assert_eq!(l.receipts.len(), 19);
        let texas = &l.documents_for("BC113")[0].doc;
        assert!(texas.taxes.iter().all(|t| t.tax_code == "TX"));
    });
}

#[tokio::test]
async fn without_a_catalog_the_lines_hold_placeholders_and_say_so() {
    let w = store();
    let engine = w.default_engine();
    let pre = engine.preflight().await.unwrap();
    assert!(!pre.catalog_checked);
    assert!(pre.notes.iter().any(|n| n.contains("cannot list")), "{pre}");
    assert_eq!(pre.problems.len(), 4, "{pre}");
    let texas = pre
        .problems
        .iter()
        .find(|p| p.value == "Texas")
        .and_then(|p| p.fix.clone())
        .unwrap();
    assert_eq!(texas.line, "\"Texas\" = \"<ledger tax code>\"");
    assert!(!texas.applies_as_is);
    // The payment method still copies the working card mapping.
    let offsite = pre
        .problems
        .iter()
        .find(|p| p.value == "offsite")
        .and_then(|p| p.fix.clone())
        .unwrap();
    assert!(offsite.applies_as_is);
    assert!(offsite.line.contains("\"Visa\""));
}

#[tokio::test]
async fn a_mapped_value_the_ledger_lacks_is_reported_with_every_order_it_blocks() {
    let w = World::with_orders(14);
    let mut cat = catalog();
    cat.tax_codes.retain(|t| t.code != "TAX");
    cat.accounts.retain(|a| a.code != "1200");
    w.ledger.with(|l| l.catalog = Some(cat));
    let pre = w.default_engine().preflight().await.unwrap();
    let tax = pre
        .problems
        .iter()
        .find(|p| p.setting == "tax_map.\"CA State Tax\"")
        .unwrap_or_else(|| panic!("{pre}"));
    assert_eq!(tax.orders.len(), 14);
    assert!(tax.message.contains("`TAX`"), "{}", tax.message);
    let fix = tax.fix.clone().unwrap();
    // The existing line must be replaced, not duplicated.
    assert!(!fix.applies_as_is);
    assert_eq!(fix.line, "\"CA State Tax\" = \"TX\"");
    let acct = pre
        .problems
        .iter()
        .find(|p| p.setting == "payment_map.\"credit_card\".deposit_account")
        .unwrap_or_else(|| panic!("{pre}"));
    assert_eq!(acct.group, ProblemGroup::Accounts);
    assert_eq!(acct.orders.len(), 14);
    let fix = acct.fix.clone().unwrap();
    assert_eq!(fix.section, "payment_map.\"credit_card\"");
    assert_eq!(fix.line, "deposit_account = \"2300\"");
    assert!(!fix.applies_as_is);
    assert_eq!(pre.orders_clean, 0);
    // Long order lists are cut for people.
    let text = pre.to_string();
    println!("{text}");
    assert!(
        text.contains("1, 2, 3, 4, 5, 6, 7, 8, 9, 10 … and 4 more"),
        "{text}"
    );
}
