//! [`MemoryStateStore`]: the state store in memory, for unit tests and one-off runs.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bc_core::{Error, ErrorKind, LedgerRef, Result, Sku};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::state::{
    lease_expiry, CrossRef, EntityKind, ExceptionFilter, ExceptionReason, ExceptionRecord,
    ExceptionStatus, Lease, LogEntry, LogQuery, StateStore, WriteKey, WriteRecord, WriteState,
};

#[derive(Default)]
struct Inner {
    xrefs: BTreeMap<(EntityKind, String), CrossRef>,
    cursors: BTreeMap<String, String>,
    journal: BTreeMap<WriteKey, WriteRecord>,
    exceptions: BTreeMap<(EntityKind, String), ExceptionRecord>,
    log: Vec<LogEntry>,
    inventory: BTreeMap<Sku, Decimal>,
    leases: BTreeMap<String, Lease>,
}

/// A [`StateStore`] in memory. Cloning is not provided: share it with `Arc`.
#[derive(Default)]
pub struct MemoryStateStore {
    inner: Mutex<Inner>,
}

impl MemoryStateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> Result<T> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| Error::new(ErrorKind::Internal, "memory state store: lock poisoned"))?;
        Ok(f(&mut guard))
    }
}

#[async_trait]
impl StateStore for MemoryStateStore {
    async fn put_xref(&self, xref: &CrossRef) -> Result<()> {
        self.with(|s| {
            s.xrefs.insert((xref.kind, xref.key.clone()), xref.clone());
        })
    }

    async fn xref(&self, kind: EntityKind, key: &str) -> Result<Option<CrossRef>> {
        self.with(|s| s.xrefs.get(&(kind, key.to_string())).cloned())
    }

    async fn xref_by_ledger(&self, kind: EntityKind, ledger_id: &str) -> Result<Option<CrossRef>> {
        self.with(|s| {
            s.xrefs
                .values()
                .find(|x| x.kind == kind && x.ledger.id == ledger_id)
                .cloned()
        })
    }

    async fn xrefs(&self, kind: EntityKind) -> Result<Vec<CrossRef>> {
        self.with(|s| {
            s.xrefs
                .values()
                .filter(|x| x.kind == kind)
                .cloned()
                .collect()
        })
    }

    async fn cursor(&self, job: &str) -> Result<Option<String>> {
        self.with(|s| s.cursors.get(job).cloned())
    }

    async fn set_cursor(&self, job: &str, value: &str) -> Result<()> {
        self.with(|s| {
            s.cursors.insert(job.to_string(), value.to_string());
        })
    }

    async fn journal_intent(
        &self,
        key: &WriteKey,
        payload_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WriteRecord>> {
        self.with(|s| {
            let before = s.journal.get(key).cloned();
            match &before {
                Some(r) if !matches!(r.state, WriteState::Failed { .. }) => {}
                _ => {
                    s.journal.insert(
                        key.clone(),
                        WriteRecord {
                            key: key.clone(),
                            payload_hash: payload_hash.to_string(),
                            state: WriteState::Intent,
                            created_at: before.as_ref().map_or(now, |b| b.created_at),
                            updated_at: now,
                        },
                    );
                }
            }
            before
        })
    }

    async fn journal_done(&self, key: &WriteKey, at: &LedgerRef, now: DateTime<Utc>) -> Result<()> {
        self.with(|s| {
            let rec = s.journal.entry(key.clone()).or_insert_with(|| WriteRecord {
                key: key.clone(),
                payload_hash: String::new(),
                state: WriteState::Intent,
                created_at: now,
                updated_at: now,
            });
            rec.state = WriteState::Done { at: at.clone() };
            rec.updated_at = now;
        })
    }

    async fn journal_failed(&self, key: &WriteKey, reason: &str, now: DateTime<Utc>) -> Result<()> {
        self.with(|s| {
            let rec = s.journal.entry(key.clone()).or_insert_with(|| WriteRecord {
                key: key.clone(),
                payload_hash: String::new(),
                state: WriteState::Intent,
                created_at: now,
                updated_at: now,
            });
            if !matches!(rec.state, WriteState::Done { .. }) {
                rec.state = WriteState::Failed {
                    reason: reason.to_string(),
                };
                rec.updated_at = now;
            }
        })
    }

    async fn journal(&self, key: &WriteKey) -> Result<Option<WriteRecord>> {
        self.with(|s| s.journal.get(key).cloned())
    }

    async fn journal_pending(&self) -> Result<Vec<WriteRecord>> {
        self.with(|s| {
            let mut v: Vec<WriteRecord> = s
                .journal
                .values()
                .filter(|r| r.state == WriteState::Intent)
                .cloned()
                .collect();
            v.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.key.cmp(&b.key)));
            v
        })
    }

    async fn record_exception(
        &self,
        entity: EntityKind,
        key: &str,
        reasons: &[ExceptionReason],
        now: DateTime<Utc>,
    ) -> Result<ExceptionRecord> {
        self.with(|s| {
            let rec = s
                .exceptions
                .entry((entity, key.to_string()))
                .or_insert_with(|| ExceptionRecord {
                    entity,
                    key: key.to_string(),
                    reasons: Vec::new(),
                    attempts: 0,
                    first_seen: now,
                    last_seen: now,
                    status: ExceptionStatus::Open,
                    retry_requested: false,
                });
            if rec.status == ExceptionStatus::Resolved {
                rec.first_seen = now;
                rec.attempts = 0;
            }
            rec.reasons = reasons.to_vec();
            rec.attempts = rec.attempts.saturating_add(1);
            rec.last_seen = now;
            rec.status = ExceptionStatus::Open;
            rec.retry_requested = false;
            rec.clone()
        })
    }

    async fn resolve_exception(&self, entity: EntityKind, key: &str) -> Result<bool> {
        self.with(|s| match s.exceptions.get_mut(&(entity, key.to_string())) {
            Some(r) => {
                r.status = ExceptionStatus::Resolved;
                r.retry_requested = false;
                true
            }
            None => false,
        })
    }

    async fn request_retry(&self, entity: EntityKind, key: &str) -> Result<bool> {
        self.with(|s| match s.exceptions.get_mut(&(entity, key.to_string())) {
            Some(r) => {
                r.retry_requested = true;
                true
            }
            None => false,
        })
    }

    async fn exception(&self, entity: EntityKind, key: &str) -> Result<Option<ExceptionRecord>> {
        self.with(|s| s.exceptions.get(&(entity, key.to_string())).cloned())
    }

    async fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<ExceptionRecord>> {
        self.with(|s| {
            let mut v: Vec<ExceptionRecord> = s
                .exceptions
                .values()
                .filter(|r| filter.matches(r))
                .cloned()
                .collect();
            v.sort_by(|a, b| {
                a.first_seen
                    .cmp(&b.first_seen)
                    .then(a.entity.cmp(&b.entity))
                    .then(a.key.cmp(&b.key))
            });
            v
        })
    }

    async fn log(&self, entry: &LogEntry) -> Result<()> {
        self.with(|s| s.log.push(entry.clone()))
    }

    async fn search_log(&self, query: &LogQuery) -> Result<Vec<LogEntry>> {
        self.with(|s| {
            let mut v: Vec<LogEntry> = s
                .log
                .iter()
                .rev()
                .filter(|e| query.matches(e))
                .cloned()
                .collect();
            // Newest first; entries with equal times keep insertion order reversed.
            v.sort_by_key(|e| std::cmp::Reverse(e.at));
            if let Some(limit) = query.limit {
                v.truncate(limit);
            }
            v
        })
    }

    async fn last_pushed(&self) -> Result<BTreeMap<Sku, Decimal>> {
        self.with(|s| s.inventory.clone())
    }

    async fn set_last_pushed(&self, levels: &[(Sku, Decimal)]) -> Result<()> {
        self.with(|s| {
            for (sku, q) in levels {
                s.inventory.insert(sku.clone(), *q);
            }
        })
    }

    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool> {
        self.with(|s| {
            if let Some(l) = s.leases.get(name) {
                if l.owner != owner && l.expires_at > now {
                    return false;
                }
            }
            s.leases.insert(
                name.to_string(),
                Lease {
                    name: name.to_string(),
                    owner: owner.to_string(),
                    expires_at: lease_expiry(now, ttl),
                },
            );
            true
        })
    }

    async fn release_lease(&self, name: &str, owner: &str) -> Result<bool> {
        self.with(|s| {
            if s.leases.get(name).is_some_and(|l| l.owner == owner) {
                s.leases.remove(name);
                true
            } else {
                false
            }
        })
    }

    async fn lease(&self, name: &str) -> Result<Option<Lease>> {
        self.with(|s| s.leases.get(name).cloned())
    }
}
