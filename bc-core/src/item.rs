//! Items (products) on the ledger side.

use serde::{Deserialize, Serialize};

use crate::ids::{LedgerRef, Sku};

/// How to look an item up (`product_match`, O7).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum ItemKey {
    /// By the ledger item's SKU field.
    Sku(Sku),
    /// By the ledger item's name.
    Name(String),
}

/// An item found or created in a ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRef {
    /// The ledger's reference.
    pub at: LedgerRef,
    /// The item's name in the ledger.
    pub name: String,
    /// The item's SKU in the ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// Whether the ledger tracks its stock.
    #[serde(default)]
    pub tracks_inventory: bool,
}

/// Whether a created item tracks stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// Inventory item (income, COGS and asset accounts).
    Inventory,
    /// Non-inventory item (income and expense accounts).
    #[default]
    NonInventory,
    /// A service (also used for shipping, discount, rounding items).
    Service,
}

/// An item to create (`create_missing_items`, O7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewItem {
    /// SKU.
    pub sku: Sku,
    /// Name (unique in most ledgers).
    pub name: String,
    /// Kind of item.
    pub item_type: ItemType,
    /// Income account.
    pub income_account: String,
    /// Expense account (non-inventory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expense_account: Option<String>,
    /// Cost of goods sold account (inventory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cogs_account: Option<String>,
    /// Inventory asset account (inventory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_account: Option<String>,
    /// Product class (AcctVantage), item category elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_class: Option<String>,
    /// Sales price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<rust_decimal::Decimal>,
}
