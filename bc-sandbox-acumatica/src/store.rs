//! The tenant's data: every entity kept as JSON in the endpoint's own shape (values wrapped,
//! detail rows with `id` and `rowNumber`), auto-numbering sequences, the chart of accounts and
//! payment methods the rules check against, and a logical clock.
//!
//! The clock starts at 2026-11-01T08:00:00Z and moves one second per write, so timestamps
//! (`LastModifiedDateTime`, `LastModified`) are deterministic and strictly increasing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::schema::Kind;
use crate::values::{obj, raw, same, set, text};

/// The data of one tenant.
#[derive(Debug)]
pub struct Store {
    rows: BTreeMap<Kind, Vec<Value>>,
    counters: BTreeMap<String, u64>,
    now: DateTime<Utc>,
    ids: u64,
    id_prefix: u32,
    /// GL accounts (Account IDs) that exist.
    pub accounts: BTreeSet<String>,
    /// Payment methods that exist.
    pub payment_methods: BTreeSet<String>,
    /// Customer classes that exist.
    pub customer_classes: BTreeSet<String>,
    /// Order types that exist.
    pub order_types: BTreeSet<String>,
    /// Currencies enabled (set up in Currencies, CM202000), the base currency among them.
    pub currencies: BTreeSet<String>,
    /// The company's base currency: the default of every document and customer.
    pub base_currency: String,
    /// Quantity on hand per (InventoryID, WarehouseID).
    pub on_hand: BTreeMap<(String, String), Decimal>,
}

impl Store {
    /// An empty tenant; `id_prefix` makes row ids differ between seeds.
    pub fn new(id_prefix: u32) -> Self {
        Store {
            rows: BTreeMap::new(),
            counters: BTreeMap::new(),
            now: Utc
                .with_ymd_and_hms(2026, 11, 1, 8, 0, 0)
                .single()
                .unwrap_or_default(),
            ids: 0,
            id_prefix,
            accounts: BTreeSet::new(),
            payment_methods: BTreeSet::new(),
            customer_classes: BTreeSet::new(),
            order_types: BTreeSet::new(),
            currencies: BTreeSet::new(),
            base_currency: "USD".to_string(),
            on_hand: BTreeMap::new(),
        }
    }

    /// Now, as Acumatica renders a `DateTimeValue`.
    pub fn now_text(&self) -> String {
        self.now.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Moves the clock one second (every write does).
    pub fn tick(&mut self) -> String {
        self.now += Duration::seconds(1);
        self.now_text()
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// A new record id (a GUID, as `NoteID`-based ids are).
    pub fn new_id(&mut self) -> String {
        self.ids += 1;
        format!(
            "{:08x}-{:04x}-4{:03x}-8000-{:012x}",
            self.id_prefix,
            (self.ids >> 16) & 0xffff,
            self.ids & 0xfff,
            self.ids
        )
    }

    /// The next number of an auto-numbering sequence: `prefix` + 6 digits.
    pub fn next_number(&mut self, prefix: &str) -> String {
        let n = self.counters.entry(prefix.to_string()).or_insert(0);
        *n += 1;
        format!("{prefix}{:06}", *n)
    }

    /// Every record of an entity, in insertion order.
    pub fn rows(&self, kind: Kind) -> &[Value] {
        self.rows.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Mutable records of an entity.
    pub fn rows_mut(&mut self, kind: Kind) -> &mut Vec<Value> {
        self.rows.entry(kind).or_default()
    }

    /// The position of the record with these key values.
    pub fn position(&self, kind: Kind, keys: &[String]) -> Option<usize> {
        let names = kind.keys();
        if names.is_empty() || names.len() != keys.len() {
            return None;
        }
        self.rows(kind).iter().position(|r| {
            names
                .iter()
                .zip(keys)
                .all(|(n, k)| text(r, n).is_some_and(|v| same(&v, k)))
        })
    }

    /// The record with these key values.
    pub fn get(&self, kind: Kind, keys: &[String]) -> Option<&Value> {
        self.position(kind, keys).map(|i| &self.rows(kind)[i])
    }

    /// The record with this id.
    pub fn by_id(&self, kind: Kind, id: &str) -> Option<&Value> {
        self.rows(kind)
            .iter()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
    }

    /// Whether a record with this single key exists.
    pub fn exists(&self, kind: Kind, key: &str) -> bool {
        self.get(kind, &[key.to_string()]).is_some()
    }

    /// An item (stock or non-stock) by InventoryID.
    pub fn item(&self, inventory_id: &str) -> Option<(Kind, &Value)> {
        [Kind::StockItem, Kind::NonStockItem]
            .into_iter()
            .find_map(|k| self.get(k, &[inventory_id.to_string()]).map(|r| (k, r)))
    }

    /// Inserts or replaces a record (by id), stamping its modification time.
    pub fn save(&mut self, kind: Kind, mut row: Value) -> Value {
        let now = self.tick();
        set(&mut row, kind.modified_field(), now.clone());
        if raw(&row, "CreatedDateTime").is_none() && kind != Kind::SalesOrder {
            set(&mut row, "CreatedDateTime", now.clone());
        }
        if kind == Kind::SalesOrder && raw(&row, "CreatedDate").is_none() {
            set(&mut row, "CreatedDate", now);
        }
        let id = row.get("id").and_then(Value::as_str).map(str::to_string);
        let rows = self.rows_mut(kind);
        match id.and_then(|id| {
            rows.iter()
                .position(|r| r.get("id").and_then(Value::as_str) == Some(id.as_str()))
        }) {
            Some(i) => rows[i] = row.clone(),
            None => rows.push(row.clone()),
        }
        row
    }

    /// A fresh record of `kind` with an id.
    pub fn fresh(&mut self) -> Value {
        let id = self.new_id();
        json!({ "id": id, "rowNumber": 1, "note": {"value": null}, "custom": {} })
    }

    /// Gives a detail row an id (when it has none) and its row number.
    pub fn stamp_detail(&mut self, row: &mut Value, n: usize) {
        if row.get("id").and_then(Value::as_str).is_none() {
            let id = self.new_id();
            obj(row).insert("id".into(), json!(id));
        }
        obj(row).insert("rowNumber".into(), json!(n + 1));
        obj(row).entry("custom").or_insert_with(|| json!({}));
    }
}
