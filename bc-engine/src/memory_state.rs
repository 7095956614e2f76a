//! [`MemoryStateStore`]: the state store in memory, for unit tests and one-off runs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bc_core::{Error, ErrorKind, Result, Sku};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use secrecy::SecretString;

use crate::state::{
    lease_expiry, lease_lost, CrossRef, EntityKind, ExceptionFilter, ExceptionReason,
    ExceptionRecord, ExceptionStatus, Fence, Intent, Lease, LogEntry, LogQuery, StateOp,
    StateStore, StoredCredentials, WriteKey, WriteRecord, WriteState,
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
    credentials: BTreeMap<String, StoredCredentials>,
}

/// A [`StateStore`] in memory. Cloning is not provided: share it with `Arc`.
#[derive(Default)]
pub struct MemoryStateStore {
    inner: Mutex<Inner>,
    writes: AtomicU64,
}

impl Inner {
    fn check_fence(&self, fence: Option<&Fence>) -> Result<()> {
        let Some(f) = fence else { return Ok(()) };
        match self.leases.get(&f.lease) {
            Some(l) if l.owner == f.owner && l.token == f.token => Ok(()),
            other => Err(lease_lost(f, other)),
        }
    }

    fn apply(&mut self, op: &StateOp, now: DateTime<Utc>) {
        match op {
            StateOp::Done {
                key,
                at,
                payload_hash,
            } => {
                let rec = self
                    .journal
                    .entry(key.clone())
                    .or_insert_with(|| WriteRecord {
                        key: key.clone(),
                        payload_hash: String::new(),
                        state: WriteState::Intent,
                        created_at: now,
                        updated_at: now,
                    });
                rec.state = WriteState::Done { at: at.clone() };
                rec.payload_hash = payload_hash.clone();
                rec.updated_at = now;
            }
            StateOp::Failed { key, reason } => {
                let rec = self
                    .journal
                    .entry(key.clone())
                    .or_insert_with(|| WriteRecord {
                        key: key.clone(),
                        payload_hash: String::new(),
                        state: WriteState::Intent,
                        created_at: now,
                        updated_at: now,
                    });
                if !matches!(rec.state, WriteState::Done { .. }) {
                    rec.state = WriteState::Failed {
                        reason: reason.clone(),
                    };
                    rec.updated_at = now;
                }
            }
            StateOp::PutXref(x) => {
                self.xrefs.insert((x.kind, x.key.clone()), x.clone());
            }
            StateOp::SetCursor { job, value } => {
                self.cursors.insert(job.clone(), value.clone());
            }
            StateOp::ResolveException { entity, key } => {
                if let Some(r) = self.exceptions.get_mut(&(*entity, key.clone())) {
                    r.status = ExceptionStatus::Resolved;
                    r.retry_requested = false;
                }
            }
            StateOp::Log(entry) => self.log.push(entry.clone()),
        }
    }

    /// Records `intents` (see [`StateStore::journal_intents`]) and returns the prior records.
    fn intents(&mut self, intents: &[Intent], now: DateTime<Utc>) -> Vec<Option<WriteRecord>> {
        intents
            .iter()
            .map(|i| {
                let before = self.journal.get(&i.key).cloned();
                match &before {
                    Some(r) if !matches!(r.state, WriteState::Failed { .. }) => {}
                    _ => {
                        self.journal.insert(
                            i.key.clone(),
                            WriteRecord {
                                key: i.key.clone(),
                                payload_hash: i.payload_hash.clone(),
                                state: WriteState::Intent,
                                created_at: before.as_ref().map_or(now, |b| b.created_at),
                                updated_at: now,
                            },
                        );
                    }
                }
                before
            })
            .collect()
    }

    fn take_lease(&mut self, name: &str, owner: &str, now: DateTime<Utc>, ttl: Duration) -> Fence {
        let token = self.leases.get(name).map_or(1, |l| l.token + 1);
        self.leases.insert(
            name.to_string(),
            Lease {
                name: name.to_string(),
                owner: owner.to_string(),
                expires_at: lease_expiry(now, ttl),
                token,
            },
        );
        Fence {
            lease: name.to_string(),
            owner: owner.to_string(),
            token,
        }
    }
}

impl MemoryStateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many write transactions the store was asked for: each call that changes state
    /// (a journal's intents, a group commit, an exception recorded or resolved, a lease
    /// taken, renewed or released…) counts one — in a persistent store, one durable commit.
    /// A commit with nothing to do counts none.
    pub fn write_transactions(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// [`MemoryStateStore::with`] for a write transaction (counted).
    fn write<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> Result<T> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.with(f)
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

    async fn journal_intents<'f>(
        &self,
        fence: Option<&'f Fence>,
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>> {
        self.write(|s| {
            s.check_fence(fence)?;
            Ok(s.intents(intents, now))
        })?
    }

    async fn commit_then_intents<'f>(
        &self,
        fence: Option<&'f Fence>,
        ops: &[StateOp],
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>> {
        if ops.is_empty() && intents.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|s| {
            s.check_fence(fence)?;
            for op in ops {
                s.apply(op, now);
            }
            Ok(s.intents(intents, now))
        })?
    }

    async fn commit<'f>(
        &self,
        fence: Option<&'f Fence>,
        ops: &[StateOp],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if ops.is_empty() && fence.is_none() {
            return Ok(());
        }
        self.write(|s| {
            s.check_fence(fence)?;
            for op in ops {
                s.apply(op, now);
            }
            Ok(())
        })?
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
        self.write(|s| {
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
        self.write(|s| match s.exceptions.get_mut(&(entity, key.to_string())) {
            Some(r) => {
                r.status = ExceptionStatus::Resolved;
                r.retry_requested = false;
                true
            }
            None => false,
        })
    }

    async fn request_retry(&self, entity: EntityKind, key: &str) -> Result<bool> {
        self.write(|s| match s.exceptions.get_mut(&(entity, key.to_string())) {
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
        self.write(|s| {
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
    ) -> Result<Option<Fence>> {
        self.write(|s| match s.leases.get_mut(name) {
            Some(l) if l.owner == owner && l.expires_at > now => {
                l.expires_at = lease_expiry(now, ttl);
                Some(Fence {
                    lease: name.to_string(),
                    owner: owner.to_string(),
                    token: l.token,
                })
            }
            Some(l) if l.expires_at > now => None,
            _ => Some(s.take_lease(name, owner, now, ttl)),
        })
    }

    async fn take_over_lease(
        &self,
        name: &str,
        from_owner: &str,
        to_owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>> {
        self.write(|s| match s.leases.get(name) {
            Some(l) if l.owner == from_owner => Some(s.take_lease(name, to_owner, now, ttl)),
            _ => None,
        })
    }

    async fn renew_lease(&self, fence: &Fence, now: DateTime<Utc>, ttl: Duration) -> Result<bool> {
        self.write(|s| match s.leases.get_mut(&fence.lease) {
            Some(l) if l.owner == fence.owner && l.token == fence.token => {
                l.expires_at = lease_expiry(now, ttl);
                true
            }
            _ => false,
        })
    }

    async fn release_lease(&self, fence: &Fence) -> Result<bool> {
        self.write(|s| match s.leases.get_mut(&fence.lease) {
            Some(l) if l.owner == fence.owner && l.token == fence.token => {
                // The row stays (expired, no owner) so that the next token is still larger.
                l.owner = String::new();
                l.expires_at = DateTime::<Utc>::UNIX_EPOCH;
                true
            }
            _ => false,
        })
    }

    async fn lease(&self, name: &str) -> Result<Option<Lease>> {
        self.with(|s| s.leases.get(name).cloned())
    }

    async fn leases(&self) -> Result<Vec<Lease>> {
        self.with(|s| s.leases.values().cloned().collect())
    }

    async fn credentials(&self, account: &str) -> Result<Option<StoredCredentials>> {
        self.with(|s| s.credentials.get(account).cloned())
    }

    async fn swap_credentials(
        &self,
        account: &str,
        expected_generation: u64,
        value: &SecretString,
    ) -> Result<bool> {
        self.write(|s| {
            let current = s.credentials.get(account).map_or(0, |c| c.generation);
            if current != expected_generation {
                return false;
            }
            s.credentials.insert(
                account.to_string(),
                StoredCredentials {
                    value: value.clone(),
                    generation: expected_generation + 1,
                },
            );
            true
        })
    }
}
