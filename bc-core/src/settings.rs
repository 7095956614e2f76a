//! The sync settings: every option of FEATURES.md, read from TOML and validated on load.
//!
//! Unknown keys are errors (a misspelt `match_client_by_emial` must not be silently ignored),
//! and every validation error names the key and the bad value. Settings that depend on the
//! storefront (status names) are checked against it at start with
//! [`Settings::check_statuses`], not at 3 a.m.
//!
//! A fully commented example lives at `examples/bcsync.toml` in the repository.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};

use crate::document::{CreditKind, DocumentKind, PostingTarget};
use crate::error::{Error, ErrorKind, Result};
use crate::fulfilment::OrderStatus;
use crate::ids::SourceCode;
use crate::item::ItemType;

pub mod describe;
mod legacy;
pub mod platform;
mod words;

pub use legacy::{LedgerSettings, StorefrontSettings};
pub use platform::{parse_table, parse_toml, PlatformSettings, PlatformTable};

/// All settings of one storefront ⇄ ledger connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The storefront: `platform` and the platform's own keys (read by its connector).
    #[serde(deserialize_with = "platform::storefront_section")]
    pub storefront: PlatformSettings,
    /// The ledger: `platform` and the platform's own keys (read by its connector).
    #[serde(deserialize_with = "platform::ledger_section")]
    pub ledger: PlatformSettings,
    /// Where the engine keeps its state.
    #[serde(default)]
    pub state: StateSettings,
    /// General sync options.
    pub sync: SyncSettings,
    /// Order import (O1–O15).
    pub orders: OrderSettings,
    /// Where each kind of line posts, tax and rounding (O8–O13).
    #[serde(default)]
    pub posting: PostingSettings,
    /// Storefront tax zone (or `"zone/class"`) → ledger tax code (O9).
    #[serde(default)]
    pub tax_map: crate::tax::TaxMap,
    /// Storefront payment method → receipt type and deposit account (P1).
    #[serde(default)]
    pub payment_map: BTreeMap<String, PaymentMapping>,
    /// Receipts (P2, P3).
    #[serde(default)]
    pub payments: PaymentSettings,
    /// Shipping and fulfilment (S1–S3).
    #[serde(default)]
    pub shipping: ShippingSettings,
    /// Order status sync (T1, T2).
    #[serde(default)]
    pub status: StatusSettings,
    /// Inventory push (I1–I3).
    #[serde(default)]
    pub inventory: InventorySettings,
    /// Refunds (R1, R2).
    #[serde(default)]
    pub refunds: RefundSettings,
    /// Payouts (Y1).
    #[serde(default)]
    pub payouts: PayoutSettings,
    /// ERP-originated orders (E1, E2).
    #[serde(default)]
    pub erp_orders: ErpOrderSettings,
    /// Sync reports (L4).
    #[serde(default)]
    pub report: ReportSettings,
}

/// A secret value from the settings file: kept in a `SecretString`, never printed.
/// Write `"env:NAME"` to read it from the environment variable `NAME` when the connector
/// starts ([`Secret::resolve`]).
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The secret, reading `env:NAME` from the environment. The error names `key` and the
    /// variable, never the value.
    pub fn resolve(&self, key: &str) -> Result<SecretString> {
        use secrecy::ExposeSecret;
        let raw = self.0.expose_secret();
        match raw.strip_prefix("env:") {
            Some(var) => std::env::var(var).map(SecretString::from).map_err(|_| {
                Error::config(key, format!("environment variable `{var}` is not set"))
            }),
            None => Ok(self.0.clone()),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(******)")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Secret::new(String::deserialize(d)?))
    }
}

/// Where the engine keeps cross-references, cursors, the journal and the exception queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSettings {
    /// `sqlite://path` (default `sqlite://bcsync-state.sqlite`) or `postgres://…`.
    #[serde(default = "default_state_url")]
    pub url: String,
    /// The connection (tenant) this settings file is, in a state database that serves
    /// several: 1 to 64 ASCII letters, digits, `-`, `_` or `.` (checked when the store
    /// opens). `None`: the store's default connection (`"default"`). The program's
    /// `--connection NAME` overrides it.
    #[serde(default)]
    pub connection: Option<String>,
}

fn default_state_url() -> String {
    "sqlite://bcsync-state.sqlite".to_string()
}

impl Default for StateSettings {
    fn default() -> Self {
        StateSettings {
            url: default_state_url(),
            connection: None,
        }
    }
}

#[cfg(test)]
mod state_settings_tests {
    use super::StateSettings;

    #[test]
    fn connection_is_optional_and_read() {
        let s: StateSettings = toml::from_str("url = \"sqlite://x.sqlite\"").expect("parses");
        assert_eq!(s.connection, None);
        let s: StateSettings =
            toml::from_str("url = \"postgres://h/db\"\nconnection = \"acme-eu\"").expect("parses");
        assert_eq!(s.connection.as_deref(), Some("acme-eu"));
        assert!(toml::from_str::<StateSettings>("connexion = \"a\"").is_err());
    }
}

/// An interval written `"90s"`, `"2m"`, `"1h"` or `"1d"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Interval(#[serde(serialize_with = "ser_interval")] pub Duration);

fn ser_interval<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{}s", d.as_secs()))
}

impl FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u64 = num
            .parse()
            .map_err(|_| format!("`{s}` is not an interval such as `90s`, `2m`, `1h`"))?;
        let secs = match unit.trim() {
            "s" | "" => n,
            "m" => n * 60,
            "h" => n * 3600,
            "d" => n * 86_400,
            _ => return Err(format!("`{s}`: the unit must be s, m, h or d")),
        };
        if secs == 0 {
            return Err(format!("`{s}`: an interval must be longer than zero"));
        }
        Ok(Interval(Duration::from_secs(secs)))
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_str(words::Text::new(
            "an interval like 90s, 2m, 1h (longer than zero)",
            |s: &str| s.parse::<Interval>().ok(),
        ))
    }
}

fn interval(s: &str) -> Interval {
    s.parse().unwrap_or(Interval(Duration::from_secs(300)))
}

/// General sync options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// The 3-character import source code (O3).
    #[serde(deserialize_with = "words::source_code")]
    pub import_source_code: SourceCode,
    /// The account's time zone, an IANA name (O12). Default `UTC`.
    #[serde(default = "default_tz", deserialize_with = "words::time_zone")]
    pub timezone: chrono_tz::Tz,
    /// Nothing created before this date is imported (O12).
    #[serde(default, deserialize_with = "words::optional_date")]
    pub start_date: Option<NaiveDate>,
    /// How often to look for new orders (L3). Default `2m`.
    #[serde(default = "default_order_interval")]
    pub order_interval: Interval,
    /// How far back each order poll looks past its cursor, to catch late writes. Default `5m`.
    #[serde(default = "default_overlap")]
    pub overlap_window: Interval,
    /// How often shipments and statuses are synced. Default `5m`.
    #[serde(default = "default_fulfilment_interval")]
    pub fulfilment_interval: Interval,
}

fn default_tz() -> chrono_tz::Tz {
    chrono_tz::UTC
}
fn default_order_interval() -> Interval {
    interval("2m")
}
fn default_overlap() -> Interval {
    interval("5m")
}
fn default_fulfilment_interval() -> Interval {
    interval("5m")
}

/// How the client of a document is chosen (O4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClientMode {
    /// The shopper is the client (default).
    #[default]
    Original,
    /// The shopper's company is the client when there is one.
    Organisation,
    /// One generic web client for every sale.
    Generic,
}

/// How order lines find ledger items (O7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProductMatch {
    /// Storefront SKU = ledger item SKU (default).
    #[default]
    Sku,
    /// Storefront SKU = ledger item name.
    Name,
}

/// Order import options (O1–O7, O12–O14).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSettings {
    /// Storefront statuses to import from, by id or name (O1).
    pub new_order_status: Vec<String>,
    /// Status set after import (O2).
    pub downloaded_status: String,
    /// Status set when import fails (O2).
    pub import_error_status: String,
    /// Invoice, sales receipt or sales order (O5).
    #[serde(default)]
    pub document_kind: DocumentKind,
    /// Prefix of document numbers (O6).
    #[serde(default)]
    pub order_number_prefix: String,
    /// Let the ledger number documents (O6).
    #[serde(default)]
    pub auto_number: bool,
    /// Client choice (O4).
    #[serde(default)]
    pub client_mode: ClientMode,
    /// Match new and guest customers by e-mail (O4).
    #[serde(default = "yes")]
    pub match_client_by_email: bool,
    /// The generic client's name (`client_mode = "generic"`).
    #[serde(default = "default_generic_client")]
    pub generic_client_name: String,
    /// How items are matched (O7).
    #[serde(default)]
    pub product_match: ProductMatch,
    /// Create items that are missing, or send the order to the exception queue (O7).
    #[serde(default)]
    pub create_missing_items: bool,
    /// Accounts and type of created items (O7).
    #[serde(default)]
    pub new_items: NewItemSettings,
}

fn yes() -> bool {
    true
}

fn default_generic_client() -> String {
    "Web Sales".to_string()
}

/// Accounts and type of items created by `create_missing_items`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewItemSettings {
    /// Inventory or non-inventory.
    #[serde(default)]
    pub item_type: ItemType,
    /// Income account.
    #[serde(default)]
    pub income_account: Option<String>,
    /// Expense account (non-inventory).
    #[serde(default)]
    pub expense_account: Option<String>,
    /// COGS account (inventory).
    #[serde(default)]
    pub cogs_account: Option<String>,
    /// Inventory asset account (inventory).
    #[serde(default)]
    pub asset_account: Option<String>,
    /// Product class (AcctVantage).
    #[serde(default)]
    pub product_class: Option<String>,
}

/// Where non-product lines post, tax and rounding (O8–O13).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostingSettings {
    /// Discount item (used before `discount_gl`).
    #[serde(default)]
    pub discount_item: Option<String>,
    /// Discount GL account (O8).
    #[serde(default)]
    pub discount_gl: Option<String>,
    /// Gift card item whose account is a liability.
    #[serde(default)]
    pub gift_card_item: Option<String>,
    /// Gift card liability GL account (O8).
    #[serde(default)]
    pub gift_card_liability_gl: Option<String>,
    /// Store credit item.
    #[serde(default)]
    pub store_credit_item: Option<String>,
    /// Store credit liability GL account.
    #[serde(default)]
    pub store_credit_gl: Option<String>,
    /// Shipping item.
    #[serde(default)]
    pub shipping_item: Option<String>,
    /// Shipping income GL account.
    #[serde(default)]
    pub shipping_gl: Option<String>,
    /// Handling item.
    #[serde(default)]
    pub handling_item: Option<String>,
    /// Handling income GL account.
    #[serde(default)]
    pub handling_gl: Option<String>,
    /// Gift wrapping item.
    #[serde(default)]
    pub wrapping_item: Option<String>,
    /// Gift wrapping income GL account.
    #[serde(default)]
    pub wrapping_gl: Option<String>,
    /// Rounding item (O10).
    #[serde(default)]
    pub rounding_item: Option<String>,
    /// Rounding GL account (O10).
    #[serde(default)]
    pub rounding_gl: Option<String>,
    /// Largest rounding difference absorbed by a rounding line (O10). Default `0.05`.
    #[serde(
        default = "default_tolerance",
        deserialize_with = "words::non_negative_amount"
    )]
    pub rounding_tolerance: Decimal,
    /// Tax code for lines with no storefront tax (US ledgers: `NON`).
    #[serde(default)]
    pub non_taxable_code: Option<crate::tax::TaxArea>,
    /// Use the ledger's default customer message instead of the storefront notes (O13).
    #[serde(default)]
    pub use_default_customer_message: bool,
    /// Due date = order date + this many days (O12).
    #[serde(default)]
    pub due_date_offset_days: u32,
    /// Class (O13).
    #[serde(default)]
    pub class: Option<String>,
    /// Location / department (O13).
    #[serde(default)]
    pub location: Option<String>,
}

fn default_tolerance() -> Decimal {
    Decimal::new(5, 2)
}

impl Default for PostingSettings {
    fn default() -> Self {
        PostingSettings {
            discount_item: None,
            discount_gl: None,
            gift_card_item: None,
            gift_card_liability_gl: None,
            store_credit_item: None,
            store_credit_gl: None,
            shipping_item: None,
            shipping_gl: None,
            handling_item: None,
            handling_gl: None,
            wrapping_item: None,
            wrapping_gl: None,
            rounding_item: None,
            rounding_gl: None,
            rounding_tolerance: default_tolerance(),
            non_taxable_code: None,
            use_default_customer_message: false,
            due_date_offset_days: 0,
            class: None,
            location: None,
        }
    }
}

/// The kinds of line with a configurable posting target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetFor {
    /// Discounts.
    Discount,
    /// Gift certificates.
    GiftCard,
    /// Store credit.
    StoreCredit,
    /// Shipping.
    Shipping,
    /// Handling.
    Handling,
    /// Wrapping.
    Wrapping,
    /// Rounding.
    Rounding,
}

impl PostingSettings {
    /// The item and GL keys (as written in the file) and values for `what`.
    pub fn keys(
        &self,
        what: TargetFor,
    ) -> (&'static str, &Option<String>, &'static str, &Option<String>) {
        match what {
            TargetFor::Discount => (
                "posting.discount_item",
                &self.discount_item,
                "posting.discount_gl",
                &self.discount_gl,
            ),
            TargetFor::GiftCard => (
                "posting.gift_card_item",
                &self.gift_card_item,
                "posting.gift_card_liability_gl",
                &self.gift_card_liability_gl,
            ),
            TargetFor::StoreCredit => (
                "posting.store_credit_item",
                &self.store_credit_item,
                "posting.store_credit_gl",
                &self.store_credit_gl,
            ),
            TargetFor::Shipping => (
                "posting.shipping_item",
                &self.shipping_item,
                "posting.shipping_gl",
                &self.shipping_gl,
            ),
            TargetFor::Handling => (
                "posting.handling_item",
                &self.handling_item,
                "posting.handling_gl",
                &self.handling_gl,
            ),
            TargetFor::Wrapping => (
                "posting.wrapping_item",
                &self.wrapping_item,
                "posting.wrapping_gl",
                &self.wrapping_gl,
            ),
            TargetFor::Rounding => (
                "posting.rounding_item",
                &self.rounding_item,
                "posting.rounding_gl",
                &self.rounding_gl,
            ),
        }
    }

    /// Where `what` posts: the item when set, else the GL account, else `None`.
    pub fn target(&self, what: TargetFor) -> Option<PostingTarget> {
        let (_, item, _, gl) = self.keys(what);
        item.clone()
            .map(PostingTarget::Item)
            .or_else(|| gl.clone().map(PostingTarget::Account))
    }
}

/// Where one storefront payment method goes (P1).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PaymentMapping {
    /// Ledger receipt type / payment method.
    #[serde(default)]
    pub receipt_type: Option<String>,
    /// Deposit / clearing account.
    #[serde(default)]
    pub deposit_account: Option<String>,
    /// Leave the invoice open on A/R (purchase orders): no receipt.
    #[serde(default)]
    pub open_ar: bool,
}

/// How receipts are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PaymentLink {
    /// A payment linked to the invoice it pays (default).
    #[default]
    Linked,
    /// The document is a sales receipt; no separate payment.
    SalesReceipt,
}

/// Receipt options (P1–P3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// Record storefront payments in the ledger.
    #[serde(default = "yes")]
    pub record_payments: bool,
    /// Card transactions are pre-authorisations (P2).
    #[serde(default)]
    pub card_preauthorized: bool,
    /// How receipts are recorded (P3).
    #[serde(default)]
    pub link: PaymentLink,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        PaymentSettings {
            record_payments: true,
            card_preauthorized: false,
            link: PaymentLink::Linked,
        }
    }
}

/// Shipping and fulfilment (S1–S3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingSettings {
    /// Push ledger shipments to the storefront (S1).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Fulfilment warehouse and source of availability (S3).
    #[serde(default)]
    pub warehouse: Option<String>,
    /// Ship via when the order names none (S2).
    #[serde(default)]
    pub default_ship_via: Option<String>,
    /// Create missing ship vias (S2).
    #[serde(default)]
    pub auto_create_ship_via: bool,
    /// Product class of created ship vias (S2).
    #[serde(default)]
    pub default_shipment_product_class: Option<String>,
    /// Storefront shipping method → ledger ship via (a method, or a table with its carrier).
    #[serde(default)]
    pub ship_via_map: BTreeMap<String, crate::ship_via::ShipVia>,
}

impl ShippingSettings {
    /// The carrier `ship_via_map` names for the ledger ship via `method` (any case).
    pub fn carrier_of(&self, method: &str) -> Option<&str> {
        self.ship_via_map
            .values()
            .find(|v| v.method.eq_ignore_ascii_case(method) && v.carrier.is_some())
            .and_then(|v| v.carrier.as_deref())
    }
}

impl Default for ShippingSettings {
    /// Shipments are pushed (S1) whether or not the file has a `[shipping]` section.
    fn default() -> Self {
        ShippingSettings {
            enabled: true,
            warehouse: None,
            default_ship_via: None,
            auto_create_ship_via: false,
            default_shipment_product_class: None,
            ship_via_map: BTreeMap::new(),
        }
    }
}

pub use crate::status_map::{StatusDirection, StatusMap, StatusMapping};

/// Order status sync (T1, T2): the `[status]` table, `enabled` and the [`StatusMap`]
/// (`direction`, `[[status.map]]` rows, `posting_statuses`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(from = "StatusTable")]
pub struct StatusSettings {
    /// Run the status job.
    pub enabled: bool,
    /// The status map: its rows, direction and posting statuses.
    pub map: StatusMap,
}

/// `[status]` as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusTable {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    direction: StatusDirection,
    #[serde(default)]
    map: Vec<StatusMapping>,
    #[serde(default = "crate::status_map::default_posting_statuses")]
    posting_statuses: Vec<String>,
}

impl From<StatusTable> for StatusSettings {
    fn from(t: StatusTable) -> StatusSettings {
        StatusSettings {
            enabled: t.enabled,
            map: StatusMap {
                direction: t.direction,
                rows: t.map,
                posting_statuses: t.posting_statuses,
            },
        }
    }
}

/// Inventory push (I1–I3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySettings {
    /// Run the inventory job.
    #[serde(default)]
    pub enabled: bool,
    /// How often (I1). Default `15m`.
    #[serde(default = "default_inventory_interval")]
    pub inventory_interval: Interval,
    /// Available − buffer is pushed, never below zero (I2).
    #[serde(default, deserialize_with = "words::non_negative_amount")]
    pub stock_buffer: Decimal,
}

fn default_inventory_interval() -> Interval {
    interval("15m")
}

impl Default for InventorySettings {
    fn default() -> Self {
        InventorySettings {
            enabled: false,
            inventory_interval: default_inventory_interval(),
            stock_buffer: Decimal::ZERO,
        }
    }
}

/// Refunds (R1, R2).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RefundSettings {
    /// Run the refunds job.
    #[serde(default)]
    pub enabled: bool,
    /// Credit memo or refund receipt.
    #[serde(default)]
    pub document: CreditKind,
    /// Prefix of credit memo numbers.
    #[serde(default)]
    pub refund_prefix: String,
    /// Clearing account the refunded money leaves from.
    #[serde(default)]
    pub refund_clearing_account: Option<String>,
    /// Storefront statuses that count as cancelled/refunded.
    #[serde(default)]
    pub refund_statuses: Vec<String>,
}

/// Payouts (Y1).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PayoutSettings {
    /// Run the payouts job.
    #[serde(default)]
    pub enabled: bool,
    /// Bank account the net is deposited to.
    #[serde(default)]
    pub bank_account: Option<String>,
    /// Clearing account sales were received into (the payment_map deposit account).
    #[serde(default)]
    pub clearing_account: Option<String>,
    /// Processor fees expense account.
    #[serde(default)]
    pub fees_account: Option<String>,
    /// Account for adjustments (chargebacks, reserves).
    #[serde(default)]
    pub adjustments_account: Option<String>,
}

/// ERP-originated orders (E1, E2).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErpOrderSettings {
    /// Run the erp-orders job.
    #[serde(default)]
    pub enabled: bool,
    /// Only orders with no unpaid balance are created (E1).
    #[serde(default = "yes")]
    pub require_zero_balance: bool,
    /// Storefront status of created orders.
    #[serde(default)]
    pub storefront_status: Option<String>,
}

impl Default for ErpOrderSettings {
    fn default() -> Self {
        ErpOrderSettings {
            enabled: false,
            require_zero_balance: true,
            storefront_status: None,
        }
    }
}

/// Sync reports (L4).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// Addresses the periodic report is e-mailed to.
    #[serde(default)]
    pub email_to: Vec<String>,
    /// Report period. Default `1d`.
    #[serde(default)]
    pub period: Option<Interval>,
}

impl Settings {
    /// Parses and validates a TOML document. Every error names the full key
    /// (`orders.download_status`, `payment_map.credit_card.deposit_account`), the value as
    /// written (`******` for a secret) and what was expected in words; unknown keys list the
    /// known ones, unknown values the valid ones; a syntax error names the line, the column
    /// and the key, never the line's text (see [`describe`]).
    pub fn from_toml_str(text: &str) -> Result<Settings> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| describe::syntax_error("", text, &e))?;
        let settings: Settings = describe::deserialize("", toml::Value::Table(table))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks the rules that do not need the platforms. Returns every problem at once, each
    /// naming the full key and the value.
    pub fn validate(&self) -> Result<()> {
        let mut problems: Vec<String> = Vec::new();
        let text = |key: &str, v: &str| describe::show_value(key, &toml::Value::String(v.into()));
        let o = &self.orders;
        if o.new_order_status.is_empty() {
            problems.push(
                "setting `orders.new_order_status` = []: list at least one storefront status to import from, like [\"Awaiting Fulfillment\"]".into(),
            );
        }
        for (key, v) in [
            ("orders.downloaded_status", &o.downloaded_status),
            ("orders.import_error_status", &o.import_error_status),
        ] {
            if v.trim().is_empty() {
                problems.push(format!(
                    "setting `{key}` = {}: expected the name of a storefront status",
                    text(key, v)
                ));
            }
            if o.new_order_status.iter().any(|s| s.eq_ignore_ascii_case(v)) {
                problems.push(format!(
                    "setting `{key}` = {}: is also in `orders.new_order_status`, so imported orders would be imported again",
                    text(key, v)
                ));
            }
        }
        if o.client_mode == ClientMode::Generic && o.generic_client_name.trim().is_empty() {
            problems.push(format!(
                "setting `orders.generic_client_name` = {}: must not be empty with `orders.client_mode = \"generic\"`",
                text("orders.generic_client_name", &o.generic_client_name)
            ));
        }
        if o.create_missing_items && o.new_items.income_account.is_none() {
            problems.push("setting `orders.new_items.income_account`: is required when `orders.create_missing_items = true` (the income account of created items)".into());
        }
        let p = &self.posting;
        if p.rounding_tolerance < Decimal::ZERO {
            problems.push(format!(
                "setting `posting.rounding_tolerance` = {}: expected a number, zero or more",
                text(
                    "posting.rounding_tolerance",
                    &p.rounding_tolerance.to_string()
                )
            ));
        }
        for (method, m) in &self.payment_map {
            if m.open_ar {
                continue;
            }
            let base = format!("payment_map.{}", describe::key_part(method));
            for (name, v, what) in [
                (
                    "receipt_type",
                    &m.receipt_type,
                    "the ledger's receipt type or payment method",
                ),
                (
                    "deposit_account",
                    &m.deposit_account,
                    "the ledger account the payment is deposited to",
                ),
            ] {
                if v.is_none() {
                    problems.push(format!(
                        "setting `{base}.{name}`: is required ({what}), unless `{base}.open_ar = true`"
                    ));
                }
            }
        }
        if self.inventory.stock_buffer < Decimal::ZERO {
            problems.push(format!(
                "setting `inventory.stock_buffer` = {}: expected a number, zero or more",
                text(
                    "inventory.stock_buffer",
                    &self.inventory.stock_buffer.to_string()
                )
            ));
        }
        if self.inventory.enabled && self.shipping.warehouse.is_none() {
            problems.push("setting `shipping.warehouse`: is required when `inventory.enabled = true` (the source of availability)".into());
        }
        if self.status.enabled && self.status.map.is_empty() {
            problems.push("setting `status.map`: is required when `status.enabled = true` (add [[status.map]] entries)".into());
        }
        if self.payouts.enabled {
            for (key, v) in [
                ("payouts.bank_account", &self.payouts.bank_account),
                ("payouts.clearing_account", &self.payouts.clearing_account),
                ("payouts.fees_account", &self.payouts.fees_account),
            ] {
                if v.is_none() {
                    problems.push(format!(
                        "setting `{key}`: is required when `payouts.enabled = true`"
                    ));
                }
            }
        }
        if !(self.state.url.starts_with("sqlite:")
            || self.state.url.starts_with("postgres://")
            || self.state.url.starts_with("postgresql://"))
        {
            problems.push(format!(
                "setting `state.url` = {}: expected `sqlite://path` or `postgres://…`",
                text("state.url", &describe::redact_url_password(&self.state.url))
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::Config, problems.join("; ")))
        }
    }

    /// Checks every status the settings name against the storefront's statuses (at start).
    pub fn check_statuses(&self, statuses: &[OrderStatus]) -> Result<()> {
        let known = |s: &str| statuses.iter().any(|st| st.matches(s));
        let mut problems = Vec::new();
        let mut check = |key: &str, s: &str| {
            if !known(s) {
                let names: Vec<&str> = statuses.iter().map(|s| s.name.as_str()).collect();
                problems.push(format!(
                    "setting `{key}` = {}: the storefront has no such status; it has: {}",
                    describe::show_value(key, &toml::Value::String(s.into())),
                    names.join(", ")
                ));
            }
        };
        for s in &self.orders.new_order_status {
            check("orders.new_order_status", s);
        }
        check("orders.downloaded_status", &self.orders.downloaded_status);
        check(
            "orders.import_error_status",
            &self.orders.import_error_status,
        );
        for s in &self.refunds.refund_statuses {
            check("refunds.refund_statuses", s);
        }
        if let Some(s) = &self.erp_orders.storefront_status {
            check("erp_orders.storefront_status", s);
        }
        problems.extend(self.status.map.problems(statuses));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::Config, problems.join("; ")))
        }
    }

    /// Resolves a status named in the settings to the storefront's status.
    pub fn resolve_status<'a>(
        key: &str,
        spec: &str,
        statuses: &'a [OrderStatus],
    ) -> Result<&'a OrderStatus> {
        statuses.iter().find(|s| s.matches(spec)).ok_or_else(|| {
            Error::config_value(
                key,
                &describe::show_value(key, &toml::Value::String(spec.into())),
                "the storefront has no such status",
            )
        })
    }
}
