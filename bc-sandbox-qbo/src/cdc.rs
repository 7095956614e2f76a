//! `GET /cdc?entities=Invoice,Customer&changedSince=…`: every entity of the listed types
//! changed at or after `changedSince` (at most 1000 per type), deleted ones as
//! `{"Id", "status": "Deleted"}` stubs, in the `CDCResponse` shape.

use serde_json::{json, Value};

use crate::clock::parse_datetime;
use crate::errors::QboError;
use crate::state::{Books, EntityKind};

/// Rows per entity type in one CDC answer.
pub const MAX_PER_ENTITY: usize = 1000;

/// One `CDCResponse` element: `{"QueryResponse": [{"Invoice": [...], …}, …]}`.
pub fn run(
    books: &Books,
    entities: Option<&str>,
    changed_since: Option<&str>,
) -> Result<Value, QboError> {
    let entities = entities
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| QboError::required("entities"))?;
    let since_text = changed_since
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| QboError::required("changedSince"))?;
    let since = parse_datetime(since_text).ok_or_else(|| {
        QboError::invalid_value(
            "changedSince",
            "expected a date-time like 2015-07-24T10:33:39-07:00",
        )
    })?;
    let mut responses = Vec::new();
    for name in entities.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let kind = EntityKind::parse(name).ok_or_else(|| {
            QboError::invalid_value("entities", &format!("unknown entity {name}"))
        })?;
        let mut changed: Vec<(chrono::DateTime<chrono::Utc>, Value)> = books
            .rows(kind)
            .filter_map(|r| {
                let t = r
                    .pointer("/MetaData/LastUpdatedTime")
                    .and_then(Value::as_str)
                    .and_then(parse_datetime)?;
                (t >= since).then(|| (t, r.clone()))
            })
            .collect();
        for t in books
            .tombstones
            .iter()
            .filter(|t| t.kind == kind && t.at >= since)
        {
            changed.push((
                t.at,
                json!({
                    "domain": "QBO",
                    "status": "Deleted",
                    "Id": t.id.to_string(),
                    "MetaData": { "LastUpdatedTime": books.clock.meta(t.at) }
                }),
            ));
        }
        changed.sort_by_key(|c| c.0);
        let rows: Vec<Value> = changed
            .into_iter()
            .take(MAX_PER_ENTITY)
            .map(|(_, v)| v)
            .collect();
        let n = rows.len();
        let mut block = serde_json::Map::new();
        if n > 0 {
            block.insert(kind.name().to_string(), Value::Array(rows));
        }
        block.insert("startPosition".into(), json!(1));
        block.insert("maxResults".into(), json!(n));
        block.insert("totalCount".into(), json!(n));
        responses.push(Value::Object(block));
    }
    Ok(json!({ "QueryResponse": responses }))
}
