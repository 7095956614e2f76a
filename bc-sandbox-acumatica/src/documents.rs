//! The generic record pipeline: shape checks, PUT as upsert by key fields (with the
//! `If-None-Match: *` / `If-Match: *` preconditions that answer 412), detail-row merging
//! (`id` updates a row, `"delete": true` removes it, a row without `id` is inserted), and
//! how a record is presented (`$expand`, `$select`).
//! (help.acumatica.com, "Create a Record", "Update a Record", "Remove a Detail Line";
//! OpenAPI `PutEntity_412`.)

use serde_json::{Map, Value};

use crate::errors::AcuError;
use crate::rules;
use crate::schema::Kind;
use crate::store::Store;
use crate::values::{obj, text};

/// What a PUT may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutMode {
    /// Insert or update (no precondition header).
    Upsert,
    /// `If-None-Match: *`: insert only.
    InsertOnly,
    /// `If-Match: *`: update only.
    UpdateOnly,
}

/// Fields of the entity object that are not values.
const SYSTEM: [&str; 7] = [
    "id",
    "rowNumber",
    "custom",
    "files",
    "delete",
    "note",
    "error",
];

fn check_shape(kind: Kind, body: &Value, path: &str) -> Result<(), AcuError> {
    let Some(map) = body.as_object() else {
        return Err(AcuError::bad_request(format!(
            "{path}: an entity must be a JSON object"
        )));
    };
    for (k, v) in map {
        if SYSTEM.contains(&k.as_str()) {
            continue;
        }
        match v {
            Value::Null => {}
            Value::Object(m) if m.contains_key("value") => {}
            // A linked entity (and, inside it, its own linked entities).
            Value::Object(_) if path.contains('.') || kind.expandable().contains(&k.as_str()) => {
                check_shape(kind, v, &format!("{path}.{k}"))?
            }
            Value::Array(rows) if kind.expandable().contains(&k.as_str()) => {
                for (i, r) in rows.iter().enumerate() {
                    check_shape(kind, r, &format!("{path}.{k}[{i}]"))?;
                }
            }
            _ => {
                return Err(AcuError::bad_request(format!(
                    "{path}.{k}: a field value must be passed as {{\"value\": …}}"
                )))
            }
        }
    }
    Ok(())
}

fn merge_details(store: &mut Store, existing: &mut Vec<Value>, incoming: &[Value]) {
    for row in incoming {
        let id = row.get("id").and_then(Value::as_str).map(str::to_string);
        let delete = row.get("delete").and_then(Value::as_bool) == Some(true);
        match id.and_then(|id| {
            existing
                .iter()
                .position(|r| r.get("id").and_then(Value::as_str) == Some(id.as_str()))
        }) {
            Some(i) if delete => {
                existing.remove(i);
            }
            Some(i) => merge_fields(&mut existing[i], row),
            None if delete => {}
            None => {
                let mut r = Value::Object(Map::new());
                merge_fields(&mut r, row);
                existing.push(r);
            }
        }
    }
    for (n, r) in existing.iter_mut().enumerate() {
        store.stamp_detail(r, n);
    }
}

fn merge_fields(target: &mut Value, incoming: &Value) {
    let Some(map) = incoming.as_object() else {
        return;
    };
    for (k, v) in map {
        if matches!(k.as_str(), "delete" | "error" | "rowNumber") {
            continue;
        }
        if k == "id" {
            obj(target).insert(k.clone(), v.clone());
            continue;
        }
        match v {
            Value::Object(m) if !m.contains_key("value") && k != "custom" => {
                let slot = obj(target)
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                merge_fields(slot, v);
            }
            _ => {
                obj(target).insert(k.clone(), v.clone());
            }
        }
    }
}

/// The key values a body names, when it names them all.
pub fn body_keys(kind: Kind, body: &Value) -> Option<Vec<String>> {
    kind.keys().iter().map(|k| text(body, k)).collect()
}

/// PUT: validates, merges into the stored record (or a new one), applies the entity's rules
/// and saves. Returns the saved record.
pub fn put(store: &mut Store, kind: Kind, body: &Value, mode: PutMode) -> Result<Value, AcuError> {
    check_shape(kind, body, kind.name())?;
    if kind == Kind::InventorySummaryInquiry {
        return rules::inventory_summary(store, body);
    }
    let by_id = body
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| store.by_id(kind, id).cloned());
    let existing = match by_id {
        Some(r) => Some(r),
        None => body_keys(kind, body).and_then(|k| store.get(kind, &k).cloned()),
    };
    match (mode, &existing) {
        (PutMode::InsertOnly, Some(_)) => {
            return Err(AcuError::precondition(format!(
                "A {} record with the specified keys already exists and cannot be inserted.",
                kind.name()
            )))
        }
        (PutMode::UpdateOnly, None) => {
            return Err(AcuError::precondition(format!(
                "A {} record with the specified keys does not exist and cannot be updated.",
                kind.name()
            )))
        }
        _ => {}
    }
    let mut row = match &existing {
        Some(r) => r.clone(),
        None => store.fresh(),
    };
    rules::guard_update(kind, existing.as_ref(), body)?;
    let Some(map) = body.as_object() else {
        return Err(AcuError::bad_request("an entity must be a JSON object"));
    };
    for (k, v) in map {
        if SYSTEM.contains(&k.as_str()) && k != "note" {
            continue;
        }
        if rules::read_only(kind, k) {
            continue;
        }
        match v {
            Value::Null => continue,
            Value::Array(incoming) => {
                let mut current: Vec<Value> = row
                    .get(k)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                merge_details(store, &mut current, incoming);
                obj(&mut row).insert(k.clone(), Value::Array(current));
            }
            Value::Object(m) if !m.contains_key("value") => {
                let slot = obj(&mut row)
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                merge_fields(slot, v);
                if slot.get("id").is_none() {
                    let id = store.new_id();
                    obj(slot).insert("id".into(), Value::String(id));
                }
            }
            _ => {
                obj(&mut row).insert(k.clone(), v.clone());
            }
        }
    }
    rules::complete(store, kind, &mut row, existing.as_ref())?;
    let saved = store.save(kind, row);
    rules::after_save(store, kind, &saved);
    // Read back: after_save may have refreshed computed fields of this very record.
    let id = saved.get("id").and_then(Value::as_str).unwrap_or_default();
    Ok(store.by_id(kind, id).cloned().unwrap_or(saved))
}

/// A record as the API shows it: details and linked entities only when expanded, only the
/// selected fields when `$select` is given (plus `id`, `rowNumber`, `note`, `custom`).
pub fn present(kind: Kind, row: &Value, expand: &[String], select: Option<&[String]>) -> Value {
    let mut out = row.clone();
    let m = obj(&mut out);
    for e in kind.expandable() {
        if !expand.iter().any(|x| x == e) {
            m.remove(*e);
        }
    }
    if let Some(select) = select {
        m.retain(|k, _| {
            matches!(k.as_str(), "id" | "rowNumber" | "note" | "custom")
                || select
                    .iter()
                    .any(|s| s == k || s.starts_with(&format!("{k}/")))
        });
    }
    out
}

/// Parses `$expand` for an entity: unknown names are refused.
pub fn parse_expand(kind: Kind, text: Option<&str>) -> Result<Vec<String>, AcuError> {
    let mut out = Vec::new();
    for part in text.unwrap_or("").split(',').map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let head = part.split('/').next().unwrap_or(part);
        if !kind.expandable().contains(&head) {
            return Err(AcuError::bad_request(format!(
                "$expand: '{part}' is not a detail or linked entity of {}",
                kind.name()
            )));
        }
        out.push(head.to_string());
    }
    Ok(out)
}
