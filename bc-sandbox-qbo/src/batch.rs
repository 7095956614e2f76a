//! `POST /batch`: up to 30 `BatchItemRequest`s (create / update / delete / void through
//! `optionsData`, or a `Query`), run in order; each answered by a `BatchItemResponse` carrying
//! its `bId` and either the entity, a `QueryResponse`, or a `Fault`.

use serde_json::{json, Map, Value};

use crate::entities::WriteOptions;
use crate::errors::QboError;
use crate::json::id_text;
use crate::routes::write_entity;
use crate::state::{Books, EntityKind};

/// Runs a batch; `Err` only for a malformed or oversized batch as a whole.
pub fn run(
    books: &mut Books,
    request: &Value,
    max_items: usize,
    opts: WriteOptions,
) -> Result<Vec<Value>, QboError> {
    let items = request
        .get("BatchItemRequest")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| QboError::required("BatchItemRequest"))?;
    if items.len() > max_items {
        return Err(QboError::batch_too_large(max_items));
    }
    Ok(items.iter().map(|item| one(books, item, opts)).collect())
}

fn one(books: &mut Books, item: &Value, opts: WriteOptions) -> Value {
    let bid = id_text(item.get("bId")).unwrap_or_default();
    let mut out = Map::new();
    out.insert("bId".into(), json!(bid));
    match answer(books, item, opts) {
        Ok((key, v)) => {
            out.insert(key, v);
        }
        Err(e) => {
            out.insert("Fault".into(), e.fault_json());
        }
    }
    Value::Object(out)
}

fn answer(
    books: &mut Books,
    item: &Value,
    opts: WriteOptions,
) -> Result<(String, Value), QboError> {
    if let Some(q) = item.get("Query").and_then(Value::as_str) {
        let parsed = crate::query::parse(q)?;
        return Ok(("QueryResponse".into(), crate::query::run(books, &parsed)));
    }
    if item.get("CDCQuery").is_some() {
        let cdc = item.get("CDCQuery").cloned().unwrap_or_default();
        let v = crate::cdc::run(
            books,
            cdc.get("Entities").and_then(Value::as_str),
            cdc.get("ChangedSince").and_then(Value::as_str),
        )?;
        return Ok(("CDCResponse".into(), v));
    }
    let obj = item
        .as_object()
        .ok_or_else(|| QboError::required("BatchItemRequest"))?;
    let (kind, body) = obj
        .iter()
        .find_map(|(k, v)| EntityKind::parse(k).map(|kind| (kind, v.clone())))
        .ok_or_else(|| QboError::required("Query or entity"))?;
    let void = item
        .get("optionsData")
        .and_then(Value::as_str)
        .is_some_and(|o| o.eq_ignore_ascii_case("void"));
    let operation = if void {
        Some("void".to_string())
    } else {
        item.get("operation")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let allow_dup = opts.allow_duplicate_doc_number
        || item
            .get("optionsData")
            .and_then(Value::as_str)
            .is_some_and(|o| o.eq_ignore_ascii_case("allowduplicatedocnum"));
    let opts = WriteOptions {
        allow_duplicate_doc_number: allow_dup,
    };
    let v = write_entity(books, kind, operation.as_deref(), body, opts)?;
    Ok((kind.name().to_string(), v))
}
