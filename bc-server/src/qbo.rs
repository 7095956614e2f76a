//! QuickBooks Online deliveries: the `intuit-signature` check and both payload formats.
//!
//! Intuit signs each notification: the `intuit-signature` header is the base64 of the
//! HMAC-SHA256 of the raw request body, keyed with the app's webhook *verifier token*. The check
//! uses the `hmac` crate's `verify_slice` (constant time) over the body exactly as received.
//!
//! Two payload formats are read, since Intuit moved webhooks to CloudEvents in 2025–2026 (the
//! signature is unchanged):
//! - the original: `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities":
//!   [{"name", "id", "operation", "lastUpdated", "deletedId"?}]}}]}`;
//! - CloudEvents: `[{"specversion": "1.0", "id", "source", "type": "qbo.invoice.updated.v1",
//!   "time", "intuitentityid", "intuitaccountid", "data"?}]`, one event per entity, several
//!   companies possibly in one delivery.
//!
//! De-duplication is per entity change: realm + name + id + operation + lastUpdated for the
//! original format, `source` + `id` (unique per the CloudEvents spec) for the new one.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::Sha256;

use crate::bigcommerce::Malformed;
use crate::dedupe::{delivery_key, DeliveryKey};
use crate::events::{LedgerEntity, LedgerOperation};

/// Whether `signature` (the `intuit-signature` header) signs `body` with `token`.
pub(crate) fn signature_ok(token: &SecretString, signature: Option<&[u8]>, body: &[u8]) -> bool {
    let Some(sig) = signature else {
        return false;
    };
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig.trim_ascii()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(token.expose_secret().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// One entity change of a delivery.
#[derive(Debug)]
pub(crate) struct Change {
    pub key: DeliveryKey,
    pub realm: String,
    pub entity: LedgerEntity,
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    match v? {
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

fn operation(op: &str) -> LedgerOperation {
    match op.to_ascii_lowercase().as_str() {
        "create" | "created" => LedgerOperation::Create,
        "update" | "updated" => LedgerOperation::Update,
        "delete" | "deleted" => LedgerOperation::Delete,
        "merge" | "merged" => LedgerOperation::Merge,
        "void" | "voided" => LedgerOperation::Void,
        "emailed" => LedgerOperation::Emailed,
        _ => LedgerOperation::Other(op.to_string()),
    }
}

/// The API's name for a CloudEvents entity (`salesreceipt` → `SalesReceipt`).
fn entity_name(lower: &str) -> String {
    const NAMES: &[&str] = &[
        "Account",
        "Bill",
        "BillPayment",
        "Budget",
        "Class",
        "CreditMemo",
        "Currency",
        "Customer",
        "Department",
        "Deposit",
        "Employee",
        "Estimate",
        "Invoice",
        "Item",
        "JournalCode",
        "JournalEntry",
        "Payment",
        "PaymentMethod",
        "Preferences",
        "Purchase",
        "PurchaseOrder",
        "RefundReceipt",
        "SalesReceipt",
        "TaxAgency",
        "Term",
        "TimeActivity",
        "Transfer",
        "Vendor",
        "VendorCredit",
    ];
    NAMES
        .iter()
        .find(|n| n.eq_ignore_ascii_case(lower))
        .map(|n| n.to_string())
        .unwrap_or_else(|| lower.to_string())
}

/// Parses a delivery body into its entity changes.
pub(crate) fn parse(body: &[u8]) -> Result<Vec<Change>, Malformed> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        Malformed(format!(
            "not JSON ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    match &v {
        Value::Object(map) if map.contains_key("eventNotifications") => parse_legacy(&v),
        Value::Object(map) if map.contains_key("specversion") => {
            parse_cloud_event(&v).map(|c| vec![c])
        }
        Value::Array(events) => events.iter().map(parse_cloud_event).collect(),
        _ => Err(Malformed(
            "neither `eventNotifications` nor an array of CloudEvents".into(),
        )),
    }
}

fn parse_legacy(v: &Value) -> Result<Vec<Change>, Malformed> {
    let Some(Value::Array(notes)) = v.get("eventNotifications") else {
        return Err(Malformed("`eventNotifications` is not an array".into()));
    };
    let mut out = Vec::new();
    for note in notes {
        let realm = text(note.get("realmId"))
            .ok_or_else(|| Malformed("`eventNotifications[].realmId` is missing".into()))?;
        let entities = match note.get("dataChangeEvent").and_then(|d| d.get("entities")) {
            Some(Value::Array(e)) => e,
            _ => {
                return Err(Malformed(
                    "`eventNotifications[].dataChangeEvent.entities` is not an array".into(),
                ))
            }
        };
        for e in entities {
            let name = text(e.get("name"))
                .ok_or_else(|| Malformed("`entities[].name` is missing".into()))?;
            let id =
                text(e.get("id")).ok_or_else(|| Malformed("`entities[].id` is missing".into()))?;
            let op = text(e.get("operation"))
                .ok_or_else(|| Malformed("`entities[].operation` is missing".into()))?;
            let updated = text(e.get("lastUpdated")).unwrap_or_default();
            let key = delivery_key(&[
                b"legacy",
                realm.as_bytes(),
                name.as_bytes(),
                id.as_bytes(),
                op.as_bytes(),
                updated.as_bytes(),
            ]);
            out.push(Change {
                key,
                realm: realm.clone(),
                entity: LedgerEntity {
                    name,
                    id,
                    operation: operation(&op),
                    last_updated: time(e.get("lastUpdated")),
                    deleted_id: text(e.get("deletedId")),
                },
            });
        }
    }
    Ok(out)
}

fn parse_cloud_event(e: &Value) -> Result<Change, Malformed> {
    if !e.is_object() {
        return Err(Malformed("a CloudEvent is not an object".into()));
    }
    let ty = text(e.get("type")).ok_or_else(|| Malformed("`type` is missing".into()))?;
    // `qbo.<entity>.<operation>.v<n>`
    let parts: Vec<&str> = ty.split('.').collect();
    let (entity, op) = match parts.as_slice() {
        [_, entity, op, ..] if !entity.is_empty() && !op.is_empty() => (*entity, *op),
        _ => {
            return Err(Malformed(
                "`type` is not `qbo.<entity>.<operation>.v1`".into(),
            ))
        }
    };
    let event_id = text(e.get("id")).ok_or_else(|| Malformed("`id` is missing".into()))?;
    let source = text(e.get("source")).unwrap_or_default();
    let realm = text(e.get("intuitaccountid"))
        .ok_or_else(|| Malformed("`intuitaccountid` is missing".into()))?;
    let id = text(e.get("intuitentityid"))
        .ok_or_else(|| Malformed("`intuitentityid` is missing".into()))?;
    let key = delivery_key(&[b"cloudevents", source.as_bytes(), event_id.as_bytes()]);
    Ok(Change {
        key,
        realm,
        entity: LedgerEntity {
            name: entity_name(entity),
            id,
            operation: operation(op),
            last_updated: time(e.get("time")),
            deleted_id: text(e.get("data").and_then(|d| d.get("deletedid"))),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_formats() {
        let legacy = br#"{"eventNotifications":[{"realmId":"310687","dataChangeEvent":{"entities":[{"id":"1234","operation":"Create","name":"Invoice","lastUpdated":"2025-09-08T20:52:31.657Z"},{"id":"5","operation":"Merge","name":"Customer","lastUpdated":"2025-09-08T20:52:31Z","deletedId":"7"}]}}]}"#;
        let c = parse(legacy).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].realm, "310687");
        assert_eq!(c[0].entity.name, "Invoice");
        assert_eq!(c[0].entity.operation, LedgerOperation::Create);
        assert!(c[0].entity.last_updated.is_some());
        assert_eq!(c[1].entity.deleted_id.as_deref(), Some("7"));
        let cloud = br#"[{"specversion":"1.0","id":"88cd52aa","source":"intuit.abc","type":"qbo.salesreceipt.updated.v1","time":"2026-03-17T16:19:17Z","intuitentityid":"150","intuitaccountid":"9341"},{"specversion":"1.0","id":"x-Customer-123","source":"intuit.abc","type":"qbo.customer.merged.v1","datacontenttype":"application/json","time":"2025-12-04T15:25:05Z","intuitentityid":"123","intuitaccountid":"42","data":{"deletedid":"27"}}]"#;
        let c = parse(cloud).unwrap();
        assert_eq!(c[0].entity.name, "SalesReceipt");
        assert_eq!(c[0].entity.operation, LedgerOperation::Update);
        assert_eq!(c[0].realm, "9341");
        assert_eq!(c[1].entity.operation, LedgerOperation::Merge);
        assert_eq!(c[1].entity.deleted_id.as_deref(), Some("27"));
        assert_eq!(c[1].realm, "42");
        assert!(parse(br#"{"eventNotifications":[{"realmId":"1"}]}"#).is_err());
        assert!(parse(br#"{"other":1}"#).is_err());
        assert!(parse(br#"[{"type":"nonsense"}]"#).is_err());
    }

    #[test]
    fn signatures() {
        let token = SecretString::from("verifier");
        let body = br#"{"eventNotifications":[]}"#;
        let mut mac = Hmac::<Sha256>::new_from_slice(b"verifier").unwrap();
        mac.update(body);
        let good = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert!(signature_ok(&token, Some(good.as_bytes()), body));
        assert!(!signature_ok(&token, Some(good.as_bytes()), b"{}"));
        assert!(!signature_ok(&token, None, body));
        assert!(!signature_ok(&token, Some(b"%%%"), body));
        assert!(!signature_ok(
            &SecretString::from("other"),
            Some(good.as_bytes()),
            body
        ));
    }
}
