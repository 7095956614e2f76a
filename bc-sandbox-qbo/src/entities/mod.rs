//! Create, read, update, delete and void, per entity type, with QBO's rules.
//!
//! Every entity is stored as the JSON object QBO would answer with. A write goes:
//! validate and complete the body (per type: `names`, `sales`, `payment`, `journal`,
//! `deposit`) → stamp `Id`/`SyncToken`/`MetaData` → store → apply side effects
//! (`effects`: invoice balances from payments, customer balances, stock on hand).

pub(crate) mod deposit;
pub(crate) mod effects;
pub(crate) mod journal;
pub(crate) mod names;
pub(crate) mod payment;
pub(crate) mod sales;

use serde_json::{json, Map, Value};

use crate::errors::QboError;
use crate::json::{boolean, id_text, obj_mut};
use crate::state::{Books, EntityKind};

/// Options of one write taken from the query string.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// `include=allowduplicatedocnum`: accept a reused `DocNumber`.
    pub allow_duplicate_doc_number: bool,
}

/// Fields the server owns: never taken from a request body.
const SERVER_FIELDS: [&str; 4] = ["Id", "SyncToken", "MetaData", "domain"];

/// Reads one entity (`GET /{entity}/{id}`).
pub fn read(books: &Books, kind: EntityKind, id: &str) -> Result<Value, QboError> {
    if kind == EntityKind::TaxCode {
        if let Some(v) = names::pseudo_tax_code(books, id) {
            return Ok(v);
        }
    }
    let n: u64 = id.trim().parse().map_err(|_| QboError::invalid_id(id))?;
    books.get(kind, n).cloned().ok_or_else(QboError::not_found)
}

/// Creates an entity (`POST /{entity}` without an `Id`).
pub fn create(
    books: &mut Books,
    kind: EntityKind,
    body: Value,
    opts: WriteOptions,
) -> Result<Value, QboError> {
    if !body.is_object() {
        return Err(QboError::required(kind.name()));
    }
    let mut row = body;
    {
        let m = obj_mut(&mut row);
        for f in SERVER_FIELDS {
            m.remove(f);
        }
        m.remove("sparse");
    }
    // Peek, not reserve: a refused create does not use up an id.
    let id = books.peek_id(kind);
    complete(books, kind, &mut row, None, id, opts)?;
    stamp(books, &mut row, id, 0, None);
    commit(books, kind, id, None, row)
}

/// Updates an entity (`POST /{entity}` with `Id` and `SyncToken`; `sparse: true` merges).
pub fn update(
    books: &mut Books,
    kind: EntityKind,
    body: Value,
    opts: WriteOptions,
) -> Result<Value, QboError> {
    let (id, existing) = current(books, kind, &body)?;
    if !updatable(kind) {
        return Err(QboError::unsupported_operation("Update", kind.name()));
    }
    let sparse = boolean(&body, "sparse").unwrap_or(false);
    let mut row = if sparse {
        let mut merged = existing.clone();
        if let (Some(dst), Some(src)) = (merged.as_object_mut(), body.as_object()) {
            for (k, v) in src {
                if !SERVER_FIELDS.contains(&k.as_str()) && k != "sparse" {
                    dst.insert(k.clone(), v.clone());
                }
            }
        }
        merged
    } else {
        // A full update replaces every writable field; what is left out is cleared.
        let mut fresh = body.clone();
        if let Some(m) = fresh.as_object_mut() {
            for f in SERVER_FIELDS {
                m.remove(f);
            }
            m.remove("sparse");
        }
        fresh
    };
    complete(books, kind, &mut row, Some(&existing), id, opts)?;
    let token = sync_token(&existing) + 1;
    stamp(books, &mut row, id, token, Some(&existing));
    commit(books, kind, id, Some(existing), row)
}

/// Deletes a transaction (`?operation=delete`, body `Id` + `SyncToken`). Name-list entities
/// cannot be deleted in QBO; for them this makes the entity inactive, as QBO's UI "delete" does
/// (`Active: false`, name suffixed " (deleted)").
pub fn delete(books: &mut Books, kind: EntityKind, body: Value) -> Result<Value, QboError> {
    let (id, existing) = current(books, kind, &body)?;
    if kind.has_active_flag() && updatable(kind) {
        let mut row = existing.clone();
        names::deactivate(&mut row);
        let token = sync_token(&existing) + 1;
        stamp(books, &mut row, id, token, Some(&existing));
        return commit(books, kind, id, Some(existing), row);
    }
    if !kind.is_transaction() {
        return Err(QboError::unsupported_operation("Delete", kind.name()));
    }
    refuse_if_paid(books, kind, id)?;
    let touched = effects::touched(kind, Some(&existing), None);
    let before = effects::snapshot(books, &touched);
    books.remove(kind, id);
    effects::refresh_links(books, kind, Some(&existing), None);
    let after = effects::snapshot(books, &touched);
    effects::apply(books, &before, &after);
    Ok(json!({ "status": "Deleted", "domain": "QBO", "Id": id.to_string() }))
}

/// Voids a transaction (`?operation=void`): Invoice, SalesReceipt, Payment. Amounts become zero,
/// `PrivateNote` says "Voided", the document stays.
pub fn void(books: &mut Books, kind: EntityKind, body: Value) -> Result<Value, QboError> {
    if !matches!(
        kind,
        EntityKind::Invoice | EntityKind::SalesReceipt | EntityKind::Payment
    ) {
        return Err(QboError::unsupported_operation("Void", kind.name()));
    }
    let (id, existing) = current(books, kind, &body)?;
    refuse_if_paid(books, kind, id)?;
    let mut row = existing.clone();
    sales::void_amounts(&mut row);
    let token = sync_token(&existing) + 1;
    stamp(books, &mut row, id, token, Some(&existing));
    commit(books, kind, id, Some(existing), row)
}

/// An invoice or credit memo with payments applied cannot be deleted or voided until the
/// payments are removed (otherwise the payments would point at nothing).
fn refuse_if_paid(books: &Books, kind: EntityKind, id: u64) -> Result<(), QboError> {
    if !matches!(kind, EntityKind::Invoice | EntityKind::CreditMemo) {
        return Ok(());
    }
    let (applied, payers) = effects::applied_to(books, (kind, id));
    if applied.is_zero() {
        return Ok(());
    }
    Err(QboError::business(&format!(
        "This transaction has payments applied to it (Payment {}). Remove the payments from it first.",
        payers.join(", ")
    )))
}

/// Whether the sandbox accepts creates/updates of this type through the API.
fn updatable(kind: EntityKind) -> bool {
    !matches!(
        kind,
        EntityKind::TaxCode | EntityKind::TaxRate | EntityKind::CompanyInfo
    )
}

/// The stored entity an update/delete/void names, with its `SyncToken` checked.
fn current(books: &Books, kind: EntityKind, body: &Value) -> Result<(u64, Value), QboError> {
    let id_s = id_text(body.get("Id")).ok_or_else(|| QboError::required("Id"))?;
    let token_s = id_text(body.get("SyncToken")).ok_or_else(|| QboError::required("SyncToken"))?;
    let id: u64 = id_s.parse().map_err(|_| QboError::invalid_id(&id_s))?;
    let existing = books
        .get(kind, id)
        .cloned()
        .ok_or_else(QboError::not_found)?;
    let token: u64 = token_s
        .parse()
        .map_err(|_| QboError::invalid_value("SyncToken", "not a number"))?;
    if token != sync_token(&existing) {
        return Err(QboError::stale());
    }
    Ok((id, existing))
}

/// The stored `SyncToken` as a number.
pub(crate) fn sync_token(row: &Value) -> u64 {
    id_text(row.get("SyncToken"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Per-type validation and derived fields.
fn complete(
    books: &mut Books,
    kind: EntityKind,
    row: &mut Value,
    existing: Option<&Value>,
    id: u64,
    opts: WriteOptions,
) -> Result<(), QboError> {
    match kind {
        EntityKind::Customer | EntityKind::Vendor | EntityKind::Employee => {
            names::complete_person(books, kind, row, existing, id)
        }
        EntityKind::Item => names::complete_item(books, row, existing, id),
        EntityKind::PaymentMethod => names::complete_payment_method(books, row, id),
        EntityKind::Account | EntityKind::Class | EntityKind::Department => {
            names::complete_named(books, kind, row, existing, id)
        }
        EntityKind::Invoice
        | EntityKind::SalesReceipt
        | EntityKind::CreditMemo
        | EntityKind::RefundReceipt => sales::complete(books, kind, row, existing, id, opts),
        EntityKind::Payment => payment::complete(books, row, existing, id),
        EntityKind::JournalEntry => journal::complete(books, row, id, opts),
        EntityKind::Deposit => deposit::complete(books, row),
        EntityKind::Preferences => Ok(()),
        EntityKind::TaxCode | EntityKind::TaxRate | EntityKind::CompanyInfo => {
            Err(QboError::unsupported_operation("Create", kind.name()))
        }
    }
}

/// Sets the server-owned fields.
pub(crate) fn stamp(books: &Books, row: &mut Value, id: u64, token: u64, existing: Option<&Value>) {
    let now = books.clock.meta(books.clock.now());
    let created = existing
        .and_then(|e| e.pointer("/MetaData/CreateTime"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| now.clone());
    let m = obj_mut(row);
    m.insert("domain".into(), json!("QBO"));
    m.insert("sparse".into(), json!(false));
    m.insert("Id".into(), json!(id.to_string()));
    m.insert("SyncToken".into(), json!(token.to_string()));
    let mut meta = Map::new();
    meta.insert("CreateTime".into(), json!(created));
    meta.insert("LastUpdatedTime".into(), json!(now));
    m.insert("MetaData".into(), Value::Object(meta));
}

/// Stores the row and applies its side effects.
fn commit(
    books: &mut Books,
    kind: EntityKind,
    id: u64,
    existing: Option<Value>,
    row: Value,
) -> Result<Value, QboError> {
    let touched = effects::touched(kind, existing.as_ref(), Some(&row));
    let before = effects::snapshot(books, &touched);
    books.put(kind, id, row);
    effects::refresh_links(
        books,
        kind,
        existing.as_ref(),
        books.get(kind, id).cloned().as_ref(),
    );
    let after = effects::snapshot(books, &touched);
    effects::apply(books, &before, &after);
    books.get(kind, id).cloned().ok_or_else(QboError::not_found)
}

/// Bumps `MetaData.LastUpdatedTime` of a stored row changed as a side effect (and its
/// `SyncToken` when `bump_token`), so CDC and `LastUpdatedTime` queries see the change.
pub(crate) fn touch(books: &mut Books, kind: EntityKind, id: u64, bump_token: bool) {
    let now = books.clock.meta(books.clock.now());
    if let Some(row) = books.table_mut(kind).rows.get_mut(&id) {
        if bump_token {
            let t = sync_token(row) + 1;
            obj_mut(row).insert("SyncToken".into(), json!(t.to_string()));
        }
        if let Some(meta) = row.get_mut("MetaData").and_then(Value::as_object_mut) {
            meta.insert("LastUpdatedTime".into(), json!(now));
        }
    }
}
