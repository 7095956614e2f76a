//! Items bcsync creates for unknown SKUs.

use bc_core::{Error, ErrorKind, NewItem};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::error::PLATFORM;
use crate::wire::{self, Ref};

/// A QBO item for `item`; account codes are resolved in `refs`.
pub fn new_item(item: &NewItem, refs: &Refs, today: NaiveDate) -> Result<wire::Item, Error> {
    let ctx = format!("item {}", item.sku);
    let acct = |code: &Option<String>| -> Result<Option<Ref>, Error> {
        match code {
            Some(c) => refs.get(&RefKey::Account(c.clone()), &ctx).map(Some),
            None => Ok(None),
        }
    };
    let (kind, track) = match item.item_type {
        bc_core::ItemType::Inventory => ("Inventory", true),
        bc_core::ItemType::NonInventory => ("NonInventory", false),
        bc_core::ItemType::Service => ("Service", false),
    };
    let name = clean_name(&item.name, MAX_ITEM_NAME);
    if name.is_empty() {
        return Err(
            Error::new(ErrorKind::Invalid, format!("{ctx}: the item has no name"))
                .with_platform(PLATFORM),
        );
    }
    let mut out = wire::Item {
        name: Some(name),
        sku: Some(truncate(item.sku.as_str(), 100)),
        item_type: Some(kind.to_string()),
        unit_price: item.unit_price,
        income_account_ref: Some(refs.get(&RefKey::Account(item.income_account.clone()), &ctx)?),
        expense_account_ref: acct(&item.expense_account)?,
        active: Some(true),
        ..wire::Item::default()
    };
    if track {
        if item.cogs_account.is_none() || item.asset_account.is_none() {
            return Err(Error::config(
                "orders.new_items",
                format!("{ctx}: an Inventory item needs `cogs_account` and `asset_account`"),
            ));
        }
        // QBO keeps an inventory item's cost of goods sold account in `ExpenseAccountRef`
        // (`COGSAccountRef` is QuickBooks Desktop's).
        out.expense_account_ref = acct(&item.cogs_account)?;
        out.asset_account_ref = acct(&item.asset_account)?;
        out.track_qty_on_hand = Some(true);
        out.qty_on_hand = Some(Decimal::ZERO);
        out.inv_start_date = Some(date(today));
    }
    Ok(out)
}

/// Every reference a new item needs.
pub fn item_refs_needed(item: &NewItem) -> Vec<RefKey> {
    [
        Some(&item.income_account),
        item.expense_account.as_ref(),
        item.cogs_account.as_ref(),
        item.asset_account.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|a| RefKey::Account(a.clone()))
    .collect()
}
