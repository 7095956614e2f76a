//! Deterministic `requestid`s: QBO answers a repeated `requestid` with the first response
//! instead of writing again, so a retry after a lost response cannot create a duplicate.
//!
//! The id is a UUIDv5 of the realm, the business key (import id, receipt key, journal key),
//! the operation and a revision (a digest of the body sent, plus the `SyncToken` for updates).
//! The same write asked twice gets the same id; a corrected document (after a validation
//! error, which QBO would otherwise replay) gets a new one. After the id's record expires on
//! Intuit's side, [`bc_core::Ledger::find_document`] still finds the document by the import id
//! stored on it.

use uuid::Uuid;

/// The namespace of every bcsync QBO request id (a v5 UUID of a fixed URL).
pub fn namespace() -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        b"https://bcsync.invalid/qbo/requestid",
    )
}

/// The request id of `operation` on `key` in `realm` at `revision`.
///
/// ```
/// use bc_connector_qbo::request_id::request_id;
/// let a = request_id("123", "BC1100", "create Invoice", "r1");
/// assert_eq!(a, request_id("123", "BC1100", "create Invoice", "r1"));
/// assert_ne!(a, request_id("123", "BC1100", "create Invoice", "r2"));
/// assert_ne!(a, request_id("124", "BC1100", "create Invoice", "r1"));
/// ```
pub fn request_id(realm: &str, key: &str, operation: &str, revision: &str) -> String {
    // Length-prefixed parts so that ("ab", "c") and ("a", "bc") differ.
    let mut name = Vec::new();
    for part in [realm, key, operation, revision] {
        name.extend_from_slice(part.len().to_string().as_bytes());
        name.push(b':');
        name.extend_from_slice(part.as_bytes());
        name.push(b'\n');
    }
    Uuid::new_v5(&namespace(), &name).to_string()
}

/// A digest of a request body, used as the revision of a create.
pub fn body_revision(body: &[u8]) -> String {
    Uuid::new_v5(&namespace(), body).simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cannot_be_shifted() {
        assert_ne!(
            request_id("ab", "c", "op", "r"),
            request_id("a", "bc", "op", "r")
        );
    }

    #[test]
    fn is_a_v5_uuid_within_qbo_length() {
        let id = request_id("9130355377388166", "BC11001", "create Invoice", "x");
        let parsed = Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 5);
        assert!(id.len() <= 50);
    }

    #[test]
    fn body_revision_is_stable() {
        assert_eq!(body_revision(b"{\"a\":1}"), body_revision(b"{\"a\":1}"));
        assert_ne!(body_revision(b"{\"a\":1}"), body_revision(b"{\"a\":2}"));
    }
}
