//! The company's books in memory: one table of JSON entities per entity type, ids per type,
//! tombstones of deleted entities (for CDC), and the `requestid` replay store.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::clock::Clock;
use crate::config::{Company, QboConfig};

/// The QBO entity types the sandbox knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    /// Chart of accounts.
    Account,
    /// Class (tracking).
    Class,
    /// The company's own details.
    CompanyInfo,
    /// Credit memo.
    CreditMemo,
    /// Customer.
    Customer,
    /// Department (shown as "Location" in QBO's UI).
    Department,
    /// Bank deposit.
    Deposit,
    /// Employee (name list only).
    Employee,
    /// Invoice.
    Invoice,
    /// Product or service.
    Item,
    /// Journal entry.
    JournalEntry,
    /// Customer payment.
    Payment,
    /// Payment method (Cash, Check, Visa…): `PaymentMethodRef` of payments and receipts.
    PaymentMethod,
    /// Company preferences.
    Preferences,
    /// Refund receipt.
    RefundReceipt,
    /// Sales receipt.
    SalesReceipt,
    /// Sales tax code.
    TaxCode,
    /// Sales tax rate.
    TaxRate,
    /// Vendor (name list only).
    Vendor,
}

impl EntityKind {
    /// Every kind, in a stable order.
    pub const ALL: [EntityKind; 19] = [
        EntityKind::Account,
        EntityKind::Class,
        EntityKind::CompanyInfo,
        EntityKind::CreditMemo,
        EntityKind::Customer,
        EntityKind::Department,
        EntityKind::Deposit,
        EntityKind::Employee,
        EntityKind::Invoice,
        EntityKind::Item,
        EntityKind::JournalEntry,
        EntityKind::Payment,
        EntityKind::PaymentMethod,
        EntityKind::Preferences,
        EntityKind::RefundReceipt,
        EntityKind::SalesReceipt,
        EntityKind::TaxCode,
        EntityKind::TaxRate,
        EntityKind::Vendor,
    ];

    /// The wire name (`Invoice`), used as the JSON key and in queries.
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::Account => "Account",
            EntityKind::Class => "Class",
            EntityKind::CompanyInfo => "CompanyInfo",
            EntityKind::CreditMemo => "CreditMemo",
            EntityKind::Customer => "Customer",
            EntityKind::Department => "Department",
            EntityKind::Deposit => "Deposit",
            EntityKind::Employee => "Employee",
            EntityKind::Invoice => "Invoice",
            EntityKind::Item => "Item",
            EntityKind::JournalEntry => "JournalEntry",
            EntityKind::Payment => "Payment",
            EntityKind::PaymentMethod => "PaymentMethod",
            EntityKind::Preferences => "Preferences",
            EntityKind::RefundReceipt => "RefundReceipt",
            EntityKind::SalesReceipt => "SalesReceipt",
            EntityKind::TaxCode => "TaxCode",
            EntityKind::TaxRate => "TaxRate",
            EntityKind::Vendor => "Vendor",
        }
    }

    /// The kind for a wire name or a lower-case path segment (`invoice`), case-insensitively.
    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The name QBO uses for the type in messages (`TxnType=Journal Entry`).
    pub fn txn_type_label(self) -> &'static str {
        match self {
            EntityKind::CreditMemo => "Credit Memo",
            EntityKind::JournalEntry => "Journal Entry",
            EntityKind::SalesReceipt => "Sales Receipt",
            EntityKind::RefundReceipt => "Refund",
            other => other.name(),
        }
    }

    /// Transactions (as opposed to name lists and settings).
    pub fn is_transaction(self) -> bool {
        matches!(
            self,
            EntityKind::Invoice
                | EntityKind::SalesReceipt
                | EntityKind::CreditMemo
                | EntityKind::RefundReceipt
                | EntityKind::Payment
                | EntityKind::JournalEntry
                | EntityKind::Deposit
        )
    }

    /// Name lists whose rows are made inactive rather than deleted, and which queries filter to
    /// `Active = true` unless the query says otherwise.
    pub fn has_active_flag(self) -> bool {
        matches!(
            self,
            EntityKind::Account
                | EntityKind::Class
                | EntityKind::Customer
                | EntityKind::Department
                | EntityKind::Employee
                | EntityKind::Item
                | EntityKind::PaymentMethod
                | EntityKind::TaxCode
                | EntityKind::TaxRate
                | EntityKind::Vendor
        )
    }
}

/// One entity type's rows, by numeric id.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// The next id to hand out.
    pub next_id: u64,
    /// Rows by id.
    pub rows: BTreeMap<u64, Value>,
}

/// A deleted entity, remembered for CDC.
#[derive(Clone, Debug)]
pub struct Tombstone {
    /// Its type.
    pub kind: EntityKind,
    /// Its id.
    pub id: u64,
    /// When it was deleted.
    pub at: DateTime<Utc>,
}

/// A response remembered for a `requestid`.
#[derive(Clone, Debug)]
pub struct Replay {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Value,
    /// When the first request was answered (replays are remembered for a bounded window).
    pub at: DateTime<Utc>,
}

/// The whole company.
#[derive(Debug)]
pub struct Books {
    /// Company kind (US / non-US).
    pub company: Company,
    /// Multicurrency on.
    pub multicurrency: bool,
    /// Home currency code.
    pub home_currency: String,
    /// Refuse reused document numbers (6140).
    pub reject_duplicate_doc_numbers: bool,
    /// Tables per type.
    pub tables: BTreeMap<EntityKind, Table>,
    /// Deleted entities.
    pub tombstones: Vec<Tombstone>,
    /// `requestid` → first response.
    pub replays: HashMap<String, Replay>,
    /// The clock (for `MetaData`).
    pub clock: Clock,
    /// Last id given to a physical address (`BillAddr.Id`, …).
    pub address_seq: u64,
    /// Index: `(type, DocNumber)` → ids (duplicate checks without a scan).
    doc_numbers: HashMap<(EntityKind, String), BTreeSet<u64>>,
    /// Highest numeric `DocNumber` ever stored per type (automatic numbering).
    max_doc_number: HashMap<EntityKind, u64>,
    /// Index: invoice / credit memo → ids of the payments whose lines point at it.
    paid_by: HashMap<(EntityKind, u64), BTreeSet<u64>>,
}

impl Books {
    /// Empty books for a configuration (seed them with [`crate::seed::seed`]).
    pub fn new(config: &QboConfig, clock: Clock) -> Self {
        Self {
            company: config.company,
            multicurrency: config.multicurrency,
            home_currency: config.home_currency().to_string(),
            reject_duplicate_doc_numbers: config.reject_duplicate_doc_numbers,
            tables: BTreeMap::new(),
            tombstones: Vec::new(),
            replays: HashMap::new(),
            clock,
            address_seq: 200,
            doc_numbers: HashMap::new(),
            max_doc_number: HashMap::new(),
            paid_by: HashMap::new(),
        }
    }

    /// The table of one type.
    pub fn table(&self, kind: EntityKind) -> Option<&Table> {
        self.tables.get(&kind)
    }

    /// The table of one type, created on first use.
    pub fn table_mut(&mut self, kind: EntityKind) -> &mut Table {
        self.tables.entry(kind).or_insert_with(|| Table {
            next_id: 1,
            rows: BTreeMap::new(),
        })
    }

    /// One row.
    pub fn get(&self, kind: EntityKind, id: u64) -> Option<&Value> {
        self.table(kind).and_then(|t| t.rows.get(&id))
    }

    /// One row by its id as text.
    pub fn get_str(&self, kind: EntityKind, id: &str) -> Option<&Value> {
        id.trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| self.get(kind, n))
    }

    /// All rows of a type, in id order.
    pub fn rows(&self, kind: EntityKind) -> impl Iterator<Item = &Value> {
        self.table(kind).into_iter().flat_map(|t| t.rows.values())
    }

    /// The id the next created row of a type will get.
    pub fn peek_id(&self, kind: EntityKind) -> u64 {
        self.table(kind).map(|t| t.next_id.max(1)).unwrap_or(1)
    }

    /// Reserves the next id of a type.
    pub fn next_id(&mut self, kind: EntityKind) -> u64 {
        let t = self.table_mut(kind);
        let id = t.next_id.max(1);
        t.next_id = id + 1;
        id
    }

    /// Stores a row (its `Id` must be set).
    pub fn put(&mut self, kind: EntityKind, id: u64, row: Value) {
        self.index(kind, id, &row, true);
        let t = self.table_mut(kind);
        if id >= t.next_id {
            t.next_id = id + 1;
        }
        let old = t.rows.insert(id, row);
        if let Some(old) = old {
            self.index(kind, id, &old, false);
            // Re-add what the old and new rows share (removing the old one dropped it).
            if let Some(new) = self.get(kind, id).cloned() {
                self.index(kind, id, &new, true);
            }
        }
    }

    /// Removes a row and leaves a tombstone.
    pub fn remove(&mut self, kind: EntityKind, id: u64) -> Option<Value> {
        let removed = self.table_mut(kind).rows.remove(&id);
        if let Some(old) = &removed {
            self.index(kind, id, old, false);
            let at = self.clock.now();
            self.tombstones.push(Tombstone { kind, id, at });
        }
        removed
    }

    fn index(&mut self, kind: EntityKind, id: u64, row: &Value, add: bool) {
        if let Some(doc) = row.get("DocNumber").and_then(Value::as_str) {
            let doc = doc.trim().to_string();
            if add {
                if let Ok(n) = doc.parse::<u64>() {
                    let max = self.max_doc_number.entry(kind).or_default();
                    *max = (*max).max(n);
                }
                self.doc_numbers.entry((kind, doc)).or_default().insert(id);
            } else if let Some(set) = self.doc_numbers.get_mut(&(kind, doc)) {
                set.remove(&id);
            }
        }
        if kind == EntityKind::Payment {
            for ((target_kind, target), _) in crate::entities::effects::payment_links(row) {
                let set = self.paid_by.entry((target_kind, target)).or_default();
                if add {
                    set.insert(id);
                } else {
                    set.remove(&id);
                }
            }
        }
    }

    /// Ids of the documents of a type that use a `DocNumber`.
    pub fn with_doc_number(&self, kind: EntityKind, doc: &str) -> Vec<u64> {
        self.doc_numbers
            .get(&(kind, doc.trim().to_string()))
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The highest numeric `DocNumber` a type has used.
    pub fn max_doc_number(&self, kind: EntityKind) -> Option<u64> {
        self.max_doc_number.get(&kind).copied()
    }

    /// Ids of the payments whose lines point at an invoice or credit memo.
    pub fn payments_of(&self, kind: EntityKind, id: u64) -> Vec<u64> {
        self.paid_by
            .get(&(kind, id))
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Whether this is a US company.
    pub fn is_us(&self) -> bool {
        self.company == Company::Us
    }
}
