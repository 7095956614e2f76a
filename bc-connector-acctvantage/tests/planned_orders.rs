//! End to end through bc-core's posting plan: generated storefront orders, planned with the
//! testkit's settings, post into an ERP prepared for those settings; the GL balances and
//! agrees with the documents, in every currency.

use std::collections::{BTreeMap, HashMap};

use bc_connector_acctvantage::{accounts, Erp, ErpOptions};
use bc_core::plan::{item_key, plan_client, plan_receipts, plan_sales_document, Lookups};
use bc_core::testkit::orders::{arb_order, SETTINGS_TOML};
use bc_core::{
    Currency, Decimal, ItemKey, ItemRef, ItemType, Ledger, NewItem, Order, ReceiptState, Settings,
    Sku,
};
use proptest::prelude::*;

async fn run(orders: Vec<Order>) -> Result<(), TestCaseError> {
    let settings = Settings::from_toml_str(SETTINGS_TOML).unwrap();
    // The testkit's settings leave `auto_create_ship_via` off, and the ERP then refuses an
    // unknown ship via (tested in tests/ledger.rs); here ship vias are created.
    let options = ErpOptions {
        auto_create_ship_via: true,
        ..ErpOptions::from_settings(&settings)
    };
    let erp = Erp::in_memory_with(options).await.unwrap();
    let created = erp.prepare_for(&settings).await.unwrap();
    prop_assert!(
        created.iter().any(|l| l.starts_with("tax area CA")),
        "{:?}",
        created
    );
    prop_assert!(erp.prepare_for(&settings).await.unwrap().is_empty()); // idempotent
    let caps = erp.capabilities();
    let mut items: BTreeMap<ItemKey, ItemRef> = BTreeMap::new();
    let mut ar: HashMap<Currency, Decimal> = HashMap::new();
    let mut posted = 0usize;
    let mut seen = std::collections::HashSet::new();
    for order in &orders {
        if !seen.insert(order.id.clone()) {
            continue;
        }
        let cp = plan_client(order, &settings);
        let mut client = None;
        for k in &cp.keys {
            if let Some(c) = erp.find_client(k).await.unwrap() {
                client = Some(c);
                break;
            }
        }
        let client = match client {
            Some(c) => c,
            None => erp.create_client(&cp.new_client).await.unwrap(),
        };
        for line in &order.lines {
            let Some(key) = item_key(line, &settings) else {
                continue;
            };
            if items.contains_key(&key) {
                continue;
            }
            let found = erp.find_items(std::slice::from_ref(&key)).await.unwrap();
            let it = match found.into_iter().next().flatten() {
                Some(it) => it,
                None => erp
                    .create_item(&NewItem {
                        sku: line.sku.clone().unwrap_or_else(|| Sku::new("X")),
                        name: format!(
                            "{} {}",
                            line.name,
                            line.sku.as_ref().map(|s| s.as_str()).unwrap_or("")
                        ),
                        item_type: ItemType::Inventory,
                        income_account: "4000".into(),
                        expense_account: None,
                        cogs_account: None,
                        asset_account: None,
                        product_class: None,
                        unit_price: Some(line.unit_price_ex_tax),
                    })
                    .await
                    .unwrap(),
            };
            items.insert(key, it);
        }
        let lookups = Lookups {
            client: &client,
            items: &items,
            ledger: &caps,
        };
        let doc = match plan_sales_document(order, &settings, &lookups) {
            Ok(d) => d,
            Err(_) => continue, // the plan's own business (exceptions), not the ERP's
        };
        let at = erp
            .post_sales_document(&doc)
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        posted += 1;
        let found = erp.find_document(&doc.import_id).await.unwrap().unwrap();
        prop_assert_eq!(found.total, doc.order_total);
        *ar.entry(doc.currency).or_default() += doc.balance_due();
        if let Ok(receipts) = plan_receipts(order, &settings, &caps, &at, &client.at) {
            for r in receipts {
                erp.post_receipt(&r)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                if r.state == ReceiptState::Captured {
                    *ar.entry(r.currency).or_default() -= r.amount;
                }
            }
        }
    }
    let tb = erp.trial_balance().await.unwrap();
    prop_assert!(tb.is_balanced(), "{:?}", tb.differences());
    for (cur, expected) in &ar {
        prop_assert_eq!(tb.balance(accounts::AR, *cur), *expected);
    }
    let ids: Vec<_> = erp
        .sales_orders(None)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|s| s.import_id)
        .collect();
    prop_assert_eq!(ids.len(), posted);
    prop_assert!(erp.duplicates().await.unwrap().is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn planned_orders_post_balanced(orders in prop::collection::vec(arb_order(), 1..12)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(orders))?;
    }
}
