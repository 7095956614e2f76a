//! The state store: what the engine remembers between runs (ARCHITECTURE §4).
//!
//! Cross-references, cursors, the write journal of the exactly-once protocol, the exception
//! queue, the connector log, the last-pushed inventory and leases. The trait is object safe
//! (`Arc<dyn StateStore>`); [`crate::MemoryStateStore`] implements it in memory and
//! `bc-state` on SQLite. Every implementation must pass [`crate::state_conformance::run_all`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use bc_core::{Error, ErrorKind, LedgerRef, MappingIssue, Result, Sku};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// What kind of entity a record is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A storefront order (key: storefront order id).
    Order,
    /// A ledger client (key: the storefront customer id, e-mail or name it was matched by).
    Client,
    /// A ledger item (key: the item key, `sku:…` or `name:…`).
    Item,
    /// A receipt (key: import id + sequence).
    Receipt,
    /// A storefront refund (key: refund id).
    Refund,
    /// A payout (key: payout id).
    Payout,
    /// A ledger shipment pushed to the storefront (key: the ledger shipment id).
    Shipment,
    /// A ledger-originated order created in the storefront (key: the ledger order id).
    ErpOrder,
    /// A status change (key: order id).
    Status,
    /// An inventory push (key: SKU).
    Inventory,
}

impl EntityKind {
    /// Every kind.
    pub const ALL: [EntityKind; 10] = [
        EntityKind::Order,
        EntityKind::Client,
        EntityKind::Item,
        EntityKind::Receipt,
        EntityKind::Refund,
        EntityKind::Payout,
        EntityKind::Shipment,
        EntityKind::ErpOrder,
        EntityKind::Status,
        EntityKind::Inventory,
    ];

    /// Lowercase name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Order => "order",
            EntityKind::Client => "client",
            EntityKind::Item => "item",
            EntityKind::Receipt => "receipt",
            EntityKind::Refund => "refund",
            EntityKind::Payout => "payout",
            EntityKind::Shipment => "shipment",
            EntityKind::ErpOrder => "erp_order",
            EntityKind::Status => "status",
            EntityKind::Inventory => "inventory",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntityKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        EntityKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::new(ErrorKind::Internal, format!("unknown entity kind `{s}`")))
    }
}

/// A storefront entity ⇄ the ledger record made from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossRef {
    /// Kind of entity.
    pub kind: EntityKind,
    /// The storefront-side key (order id, refund id, …).
    pub key: String,
    /// The ledger record.
    pub ledger: LedgerRef,
    /// Hash of the payload last written (to detect changes, O14).
    pub payload_hash: String,
    /// How many times it was written (0 = first post, 1 = first update…).
    pub revision: u32,
    /// When it was recorded.
    pub updated_at: DateTime<Utc>,
}

/// The identity of one write in the journal: entity + operation + import id + revision.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WriteKey {
    /// Kind of entity written.
    pub entity: EntityKind,
    /// The operation (`"post"`, `"update"`, `"receipt-0"`, `"credit_memo"`…).
    pub operation: String,
    /// The import id (or other key) of what is written.
    pub key: String,
    /// The revision (0 for the first write).
    pub revision: u32,
}

impl WriteKey {
    /// A key.
    pub fn new(entity: EntityKind, operation: &str, key: impl Into<String>, revision: u32) -> Self {
        WriteKey {
            entity,
            operation: operation.to_string(),
            key: key.into(),
            revision,
        }
    }
}

impl fmt::Display for WriteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} rev {}",
            self.entity, self.operation, self.key, self.revision
        )
    }
}

/// Where a journalled write stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WriteState {
    /// Recorded before calling out; the write may or may not have happened.
    Intent,
    /// The write is known to have happened; here is what it made.
    Done {
        /// The ledger (or storefront) record.
        at: LedgerRef,
    },
    /// The write is known not to have happened (a permanent refusal).
    Failed {
        /// Why.
        reason: String,
    },
}

/// One journal record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteRecord {
    /// Its identity.
    pub key: WriteKey,
    /// Hash of the payload.
    pub payload_hash: String,
    /// Where it stands.
    pub state: WriteState,
    /// When the intent was first recorded.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A reason an entity is in the exception queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExceptionReason {
    /// A mapping issue from the posting plan (names the setting to fix).
    Mapping {
        /// The issue.
        issue: MappingIssue,
    },
    /// An item of a listing that could not be read or parsed; its payload as received.
    Unreadable {
        /// Why it could not be read.
        message: String,
        /// The payload (truncated to a few KiB), for `exceptions show`.
        raw: Option<String>,
    },
    /// An error from a platform or from the engine.
    Error {
        /// The error kind (`"invalid"`, `"outcome_unknown"`…).
        kind: String,
        /// Whether retrying may help.
        temporary: bool,
        /// The message.
        message: String,
    },
}

impl ExceptionReason {
    /// The reason of an error: its mapping issues when it has some, else its text.
    pub fn from_error(err: &Error) -> Vec<ExceptionReason> {
        if !err.issues().is_empty() {
            return err
                .issues()
                .iter()
                .cloned()
                .map(|issue| ExceptionReason::Mapping { issue })
                .collect();
        }
        vec![ExceptionReason::Error {
            kind: err.kind().as_str().to_string(),
            temporary: err.is_temporary(),
            message: err.to_string(),
        }]
    }

    /// Reasons from mapping issues.
    pub fn from_issues(issues: &[MappingIssue]) -> Vec<ExceptionReason> {
        issues
            .iter()
            .cloned()
            .map(|issue| ExceptionReason::Mapping { issue })
            .collect()
    }

    /// The label a reason is counted and filtered under: a mapping issue's code
    /// (`unmapped_tax_zone`), `unreadable`, or an error's kind (`invalid`, `unavailable`).
    pub fn label(&self) -> String {
        match self {
            ExceptionReason::Mapping { issue } => issue.code.as_str().to_string(),
            ExceptionReason::Unreadable { .. } => "unreadable".to_string(),
            ExceptionReason::Error { kind, .. } => kind.clone(),
        }
    }

    /// Whether retrying without changing anything may help.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            ExceptionReason::Error {
                temporary: true,
                ..
            }
        )
    }
}

impl fmt::Display for ExceptionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExceptionReason::Mapping { issue } => write!(f, "{issue}"),
            ExceptionReason::Unreadable { message, .. } => {
                write!(f, "cannot be read: {message} (unreadable)")
            }
            ExceptionReason::Error { kind, message, .. } => write!(f, "{message} ({kind})"),
        }
    }
}

/// Whether an exception still needs attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionStatus {
    /// Still failing.
    Open,
    /// Fixed (posted on a later attempt, or resolved by a person).
    Resolved,
}

impl ExceptionStatus {
    /// Lowercase name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionStatus::Open => "open",
            ExceptionStatus::Resolved => "resolved",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "open" => Ok(ExceptionStatus::Open),
            "resolved" => Ok(ExceptionStatus::Resolved),
            _ => Err(Error::new(
                ErrorKind::Internal,
                format!("unknown exception status `{s}`"),
            )),
        }
    }
}

/// One entry of the exception queue (L2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRecord {
    /// Kind of entity.
    pub entity: EntityKind,
    /// Its key (order id, refund id…).
    pub key: String,
    /// Why it could not be synced (the latest attempt's reasons).
    pub reasons: Vec<ExceptionReason>,
    /// How many attempts failed.
    pub attempts: u32,
    /// First failure.
    pub first_seen: DateTime<Utc>,
    /// Latest failure.
    pub last_seen: DateTime<Utc>,
    /// Open or resolved.
    pub status: ExceptionStatus,
    /// A person asked for a retry (after fixing the settings).
    pub retry_requested: bool,
}

impl ExceptionRecord {
    /// Whether every reason is temporary (the next run retries by itself).
    pub fn is_temporary(&self) -> bool {
        !self.reasons.is_empty() && self.reasons.iter().all(ExceptionReason::is_temporary)
    }
}

/// Which exceptions to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExceptionFilter {
    /// Only this kind.
    pub entity: Option<EntityKind>,
    /// Only this status.
    pub status: Option<ExceptionStatus>,
    /// Only those with a retry requested.
    pub retry_requested: Option<bool>,
}

impl ExceptionFilter {
    /// Open exceptions of `entity`.
    pub fn open(entity: EntityKind) -> Self {
        ExceptionFilter {
            entity: Some(entity),
            status: Some(ExceptionStatus::Open),
            retry_requested: None,
        }
    }

    /// Whether `r` passes the filter.
    pub fn matches(&self, r: &ExceptionRecord) -> bool {
        self.entity.is_none_or(|e| e == r.entity)
            && self.status.is_none_or(|s| s == r.status)
            && self.retry_requested.is_none_or(|q| q == r.retry_requested)
    }
}

/// Which way a sync action went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Storefront → ledger.
    ToLedger,
    /// Ledger → storefront.
    ToStorefront,
    /// A comparison of both sides (audit).
    Both,
}

impl Direction {
    /// Lowercase name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::ToLedger => "to_ledger",
            Direction::ToStorefront => "to_storefront",
            Direction::Both => "both",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "to_ledger" => Ok(Direction::ToLedger),
            "to_storefront" => Ok(Direction::ToStorefront),
            "both" => Ok(Direction::Both),
            _ => Err(Error::new(
                ErrorKind::Internal,
                format!("unknown direction `{s}`"),
            )),
        }
    }
}

/// How a sync action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Written.
    Done,
    /// Nothing to do (already synced, filtered out).
    Skipped,
    /// Failed; see the exception queue.
    Failed,
    /// An earlier unknown outcome was resolved by a search that found the record.
    Adopted,
}

impl Outcome {
    /// Lowercase name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::Adopted => "adopted",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "done" => Ok(Outcome::Done),
            "skipped" => Ok(Outcome::Skipped),
            "failed" => Ok(Outcome::Failed),
            "adopted" => Ok(Outcome::Adopted),
            _ => Err(Error::new(
                ErrorKind::Internal,
                format!("unknown outcome `{s}`"),
            )),
        }
    }
}

/// One line of the connector log (L1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Which job (`"orders"`).
    pub job: String,
    /// Kind of entity.
    pub entity: EntityKind,
    /// Its key.
    pub key: String,
    /// Which way.
    pub direction: Direction,
    /// How it ended.
    pub outcome: Outcome,
    /// What happened, for people.
    pub message: String,
}

/// A search of the connector log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// Only this kind.
    pub entity: Option<EntityKind>,
    /// Only this key.
    pub key: Option<String>,
    /// Only this outcome.
    pub outcome: Option<Outcome>,
    /// Only entries at or after.
    pub since: Option<DateTime<Utc>>,
    /// Only entries before.
    pub until: Option<DateTime<Utc>>,
    /// At most this many, newest first (`None` = all).
    pub limit: Option<usize>,
}

impl LogQuery {
    /// Whether `e` passes the filter (ignoring `limit`).
    pub fn matches(&self, e: &LogEntry) -> bool {
        self.entity.is_none_or(|k| k == e.entity)
            && self.key.as_deref().is_none_or(|k| k == e.key)
            && self.outcome.is_none_or(|o| o == e.outcome)
            && self.since.is_none_or(|s| e.at >= s)
            && self.until.is_none_or(|u| e.at < u)
    }
}

/// A lease on a named piece of work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The work's name (`"job:orders"`).
    pub name: String,
    /// Who holds it.
    pub owner: String,
    /// When it lapses unless renewed.
    pub expires_at: DateTime<Utc>,
    /// The fencing token of the current holding: it grows by one every time the lease changes
    /// hands (a new owner, or the same owner after it had lapsed), never on a renewal.
    pub token: i64,
}

/// Proof that a worker holds a lease: every fenced state write checks, in its own
/// transaction, that the lease still has this owner and token. A worker paused past its
/// lease (whose lease another worker took, bumping the token) can therefore write nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fence {
    /// The lease (`"job:orders"`).
    pub lease: String,
    /// Its holder.
    pub owner: String,
    /// The token the holder got.
    pub token: i64,
}

/// The operation name of the error a fenced write returns when its lease was lost.
pub const LEASE_LOST: &str = "lease fence";

/// The error of a fenced write whose lease has another holder now.
pub fn lease_lost(fence: &Fence, now_holder: Option<&Lease>) -> Error {
    let holder = now_holder.map_or_else(
        || "nobody".to_string(),
        |l| format!("{} (token {})", l.owner, l.token),
    );
    Error::new(
        ErrorKind::Conflict,
        format!(
            "lease `{}` is no longer held by {} (token {}): it is held by {holder}; this worker stops writing",
            fence.lease, fence.owner, fence.token
        ),
    )
    .with_operation(LEASE_LOST)
}

/// Whether `err` is a fenced write refused because the lease was lost.
pub fn is_lease_lost(err: &Error) -> bool {
    err.kind() == ErrorKind::Conflict && err.operation() == Some(LEASE_LOST)
}

/// A write about to be attempted: its key and the hash of its payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// The write.
    pub key: WriteKey,
    /// Hash of what is about to be sent.
    pub payload_hash: String,
}

/// One state change inside a group commit ([`StateStore::commit`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateOp {
    /// A journalled write is known to have happened; `payload_hash` is the hash of what the
    /// platform holds (the payload written, or the one adopted after a search).
    Done {
        /// The write.
        key: WriteKey,
        /// What it made.
        at: LedgerRef,
        /// Hash of what the platform holds.
        payload_hash: String,
    },
    /// A journalled write is known not to have happened (a refusal before anything was
    /// committed); the next attempt still searches first.
    Failed {
        /// The write.
        key: WriteKey,
        /// Why.
        reason: String,
    },
    /// Records (or replaces) a cross-reference.
    PutXref(CrossRef),
    /// Moves a job's cursor.
    SetCursor {
        /// The job's cursor name.
        job: String,
        /// The new value.
        value: String,
    },
    /// Marks an exception resolved (no-op when there is none).
    ResolveException {
        /// Kind of entity.
        entity: EntityKind,
        /// Its key.
        key: String,
    },
    /// Appends to the connector log.
    Log(LogEntry),
}

/// What the engine remembers. Object safe; every method is one small transaction.
///
/// Times are passed in where they decide an outcome (leases), so that tests are deterministic.
///
/// With the feature `mock`, `MockStateStore` is a [`mockall`](https://docs.rs/mockall) mock
/// of it, for an integrator's unit tests (every method, the provided ones included, is
/// mocked: set an expectation for each call the code under test makes).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait StateStore: Send + Sync {
    // --- cross-references ---

    /// Records (or replaces) a cross-reference, unfenced (jobs use [`StateStore::commit`]).
    async fn put_xref(&self, xref: &CrossRef) -> Result<()> {
        self.commit(None, &[StateOp::PutXref(xref.clone())], Utc::now())
            .await
    }
    /// The cross-reference of `key`.
    async fn xref(&self, kind: EntityKind, key: &str) -> Result<Option<CrossRef>>;
    /// The cross-references of `keys`, one answer per key in order (the orders job reads a
    /// chunk's at once). The default reads them one by one; a store may read them in one
    /// statement.
    async fn xrefs_of(&self, kind: EntityKind, keys: &[String]) -> Result<Vec<Option<CrossRef>>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.xref(kind, key).await?);
        }
        Ok(out)
    }
    /// The cross-reference whose ledger id is `ledger_id`.
    async fn xref_by_ledger(&self, kind: EntityKind, ledger_id: &str) -> Result<Option<CrossRef>>;
    /// Every cross-reference of `kind`, by key.
    async fn xrefs(&self, kind: EntityKind) -> Result<Vec<CrossRef>>;

    // --- cursors ---

    /// A job's cursor.
    async fn cursor(&self, job: &str) -> Result<Option<String>>;
    /// Sets a job's cursor (unfenced; jobs use [`StateStore::commit`]).
    async fn set_cursor(&self, job: &str, value: &str) -> Result<()> {
        self.commit(
            None,
            &[StateOp::SetCursor {
                job: job.to_string(),
                value: value.to_string(),
            }],
            Utc::now(),
        )
        .await
    }

    // --- write journal and group commit ---

    /// Records intents before writes, all in one transaction, and returns each record as it
    /// was **before** the call (`None` when the key is new). A `Done` record is left
    /// unchanged (an intent never overwrites `done`); an `Intent` record is left unchanged
    /// (the earlier write's outcome is unknown: search first); a `Failed` record becomes an
    /// intent again with the new hash. With a fence, the whole call is refused with
    /// [`lease_lost`] when the lease is no longer held with that token.
    async fn journal_intents<'f>(
        &self,
        fence: Option<&'f Fence>,
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>>;

    /// Applies `ops`, then records `intents` as [`StateStore::journal_intents`] does, and
    /// returns the intents' prior records: one batch's `done`s (and the caller's changes)
    /// with the next batch's intents, in one durable commit where the store can (the orders
    /// job: a chunk's documents done with its receipts' intents). Either both happen or
    /// neither, in a store that overrides it; the default makes the two calls in that
    /// order, so that nothing is ever less durable than with the two calls. With a fence,
    /// nothing is applied when the lease is no longer held with that token.
    async fn commit_then_intents<'f>(
        &self,
        fence: Option<&'f Fence>,
        ops: &[StateOp],
        intents: &[Intent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<WriteRecord>>> {
        if !ops.is_empty() {
            self.commit(fence, ops, now).await?;
        }
        if intents.is_empty() {
            return Ok(Vec::new());
        }
        self.journal_intents(fence, intents, now).await
    }

    /// Applies `ops` in one transaction (group commit), in order; with a fence, nothing is
    /// applied when the lease is no longer held with that token ([`lease_lost`]).
    async fn commit<'f>(
        &self,
        fence: Option<&'f Fence>,
        ops: &[StateOp],
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// One intent, unfenced (see [`StateStore::journal_intents`]).
    async fn journal_intent(
        &self,
        key: &WriteKey,
        payload_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WriteRecord>> {
        let intent = Intent {
            key: key.clone(),
            payload_hash: payload_hash.to_string(),
        };
        let mut before = self.journal_intents(None, &[intent], now).await?;
        Ok(before.pop().flatten())
    }
    /// Marks a write done with what it made, unfenced; the record keeps its payload hash.
    async fn journal_done(&self, key: &WriteKey, at: &LedgerRef, now: DateTime<Utc>) -> Result<()> {
        let hash = self
            .journal(key)
            .await?
            .map(|r| r.payload_hash)
            .unwrap_or_default();
        let op = StateOp::Done {
            key: key.clone(),
            at: at.clone(),
            payload_hash: hash,
        };
        self.commit(None, &[op], now).await
    }
    /// Marks a write as known not to have happened, unfenced.
    async fn journal_failed(&self, key: &WriteKey, reason: &str, now: DateTime<Utc>) -> Result<()> {
        let op = StateOp::Failed {
            key: key.clone(),
            reason: reason.to_string(),
        };
        self.commit(None, &[op], now).await
    }
    /// One record.
    async fn journal(&self, key: &WriteKey) -> Result<Option<WriteRecord>>;
    /// Intents not yet done or failed (writes whose outcome is unknown), oldest first.
    async fn journal_pending(&self) -> Result<Vec<WriteRecord>>;

    // --- exception queue ---

    /// Records a failed attempt: creates the entry or updates its reasons, bumps `attempts`
    /// and `last_seen`, reopens it and clears `retry_requested`.
    async fn record_exception(
        &self,
        entity: EntityKind,
        key: &str,
        reasons: &[ExceptionReason],
        now: DateTime<Utc>,
    ) -> Result<ExceptionRecord>;
    /// Marks an entry resolved; `false` when there is none.
    async fn resolve_exception(&self, entity: EntityKind, key: &str) -> Result<bool>;
    /// Asks for a retry of an entry; `false` when there is none.
    async fn request_retry(&self, entity: EntityKind, key: &str) -> Result<bool>;
    /// One entry.
    async fn exception(&self, entity: EntityKind, key: &str) -> Result<Option<ExceptionRecord>>;
    /// Entries passing `filter`, oldest first.
    async fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<ExceptionRecord>>;

    // --- connector log ---

    /// Appends to the connector log.
    async fn log(&self, entry: &LogEntry) -> Result<()> {
        self.commit(None, &[StateOp::Log(entry.clone())], entry.at)
            .await
    }
    /// Searches the log, newest first.
    async fn search_log(&self, query: &LogQuery) -> Result<Vec<LogEntry>>;

    // --- inventory ---

    /// The quantity last pushed for each SKU.
    async fn last_pushed(&self) -> Result<BTreeMap<Sku, Decimal>>;
    /// Records quantities pushed.
    async fn set_last_pushed(&self, levels: &[(Sku, Decimal)]) -> Result<()>;

    // --- leases ---

    /// Takes or renews the lease `name` for `owner` until `now + ttl`. Renewing an unexpired
    /// lease keeps its token; taking it (free, expired, or lapsed for the same owner) bumps
    /// the token. `None` when another owner holds a lease that has not expired at `now`.
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>>;
    /// Takes the lease `name` from `from_owner` (expired or not) for `to_owner`, bumping the
    /// token; `None` when `from_owner` no longer holds it. Used by a worker that restarted
    /// under a stable identity and knows its previous process is dead.
    async fn take_over_lease(
        &self,
        name: &str,
        from_owner: &str,
        to_owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Fence>>;
    /// Extends the lease of `fence` to `now + ttl` if it still has that owner and token;
    /// `false` (and nothing changed) otherwise. Never takes a lease.
    async fn renew_lease(&self, fence: &Fence, now: DateTime<Utc>, ttl: Duration) -> Result<bool>;
    /// Gives a lease up; `false` when the fence no longer held it.
    async fn release_lease(&self, fence: &Fence) -> Result<bool>;
    /// The lease `name`, expired or not.
    async fn lease(&self, name: &str) -> Result<Option<Lease>>;
    /// Every lease (for `bcsync status`).
    async fn leases(&self) -> Result<Vec<Lease>>;

    // --- credentials (e.g. an OAuth token set that the platform rotates) ---

    /// The credentials stored for `account` (opaque text, e.g. a serialized token set), with
    /// their generation; `None` when nothing was stored yet. Stores that keep no credentials
    /// answer `Unsupported`.
    async fn credentials(&self, account: &str) -> Result<Option<StoredCredentials>> {
        let _ = account;
        Err(Error::unsupported(
            "this state store",
            "keeping credentials",
        ))
    }
    /// Stores `value` for `account` with generation `expected_generation + 1` if the stored
    /// generation is still `expected_generation` (or nothing is stored and it is `0`), in one
    /// transaction. `false`, storing nothing, when another process changed them first.
    async fn swap_credentials(
        &self,
        account: &str,
        expected_generation: u64,
        value: &SecretString,
    ) -> Result<bool> {
        let _ = (account, expected_generation, value);
        Err(Error::unsupported(
            "this state store",
            "keeping credentials",
        ))
    }
}

/// What [`StateStore::credentials`] returns. `Debug` never shows the value.
#[derive(Clone)]
pub struct StoredCredentials {
    /// The stored text (a secret: tokens).
    pub value: SecretString,
    /// Bumped by every successful [`StateStore::swap_credentials`].
    pub generation: u64,
}

impl fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredentials")
            .field("value", &"******")
            .field("generation", &self.generation)
            .finish()
    }
}

/// `now + ttl`, saturating.
pub fn lease_expiry(now: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// An error of a state store implementation.
pub fn state_error(operation: &str, err: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!("state store: {operation}: {err}"),
    )
    .with_operation(operation.to_string())
}
