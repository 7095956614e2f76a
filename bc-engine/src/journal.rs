//! The write journal: the one exactly-once protocol every job uses for every write that the
//! platform does not de-duplicate by itself (ARCHITECTURE §4).
//!
//! For a batch of writes, [`Engine::write_once`]:
//!
//! 1. records every intent in one transaction, fenced by the job's lease (a worker that lost
//!    its lease writes nothing);
//! 2. for every write with an earlier record that is not `done` (an intent whose outcome is
//!    unknown, a failure, a protocol error after sending), **searches** the platform first
//!    and adopts what it finds;
//! 3. writes the rest (one batch call when the connector batches);
//! 4. after an unknown outcome (timeout, reset, 5xx after send, a 2xx it cannot read)
//!    searches once more and adopts, or writes once more;
//! 5. records every `done` — with the hash of what the platform now holds, plus the caller's
//!    cross-references and log lines — in one transaction (group commit).
//!
//! A crash anywhere leaves at most intents behind; the next attempt's search settles them.
//! A write refused before anything was committed is journalled `failed`; the next attempt
//! still searches first (a refusal can be a lost answer in disguise).

use std::future::Future;

use bc_core::{Error, ErrorKind, LedgerRef, Result};
use chrono::Utc;

use crate::engine::{Engine, Run, Side};
use crate::state::{Intent, StateOp, WriteKey, WriteRecord, WriteState};

/// One write to make exactly once.
#[derive(Clone, Debug)]
pub(crate) struct Write<P> {
    /// Its journal key (entity, operation, import id, revision).
    pub(crate) key: WriteKey,
    /// Hash of the payload.
    pub(crate) hash: String,
    /// What to write.
    pub(crate) payload: P,
}

/// How a write ended well.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Written {
    /// Written by this attempt.
    Posted(LedgerRef),
    /// Already done by an earlier run (the journal says so); nothing was sent.
    AlreadyDone(LedgerRef),
    /// Found by a search after an earlier attempt of unknown outcome, and adopted.
    Adopted(LedgerRef),
}

impl Written {
    /// What the platform holds.
    pub(crate) fn at(&self) -> &LedgerRef {
        match self {
            Written::Posted(at) | Written::AlreadyDone(at) | Written::Adopted(at) => at,
        }
    }
}

/// Whether an error of a write may hide a write that happened: the next attempt must search.
pub(crate) fn maybe_written(e: &Error) -> bool {
    e.is_temporary()
        || matches!(
            e.kind(),
            ErrorKind::OutcomeUnknown | ErrorKind::Conflict | ErrorKind::Protocol
        )
}

/// An unknown outcome, as the item's error: temporary (the next run searches first).
fn unknown(e: Error) -> Error {
    if e.is_temporary() {
        e
    } else {
        Error::new(
            ErrorKind::OutcomeUnknown,
            format!(
                "the write may or may not have happened ({e}); the next attempt searches first"
            ),
        )
    }
}

/// Each write with how it ended.
pub(crate) type Outcomes<P> = Vec<(Write<P>, Result<Written>)>;

/// The journal intents of `writes`, in order.
pub(crate) fn intents_of<P>(writes: &[Write<P>]) -> Vec<Intent> {
    writes
        .iter()
        .map(|w| Intent {
            key: w.key.clone(),
            payload_hash: w.hash.clone(),
        })
        .collect()
}

impl Engine {
    /// Makes each of `writes` exactly once (see the module docs). `search` finds what earlier
    /// attempts made, one answer per payload in order; `write` writes, one answer per payload
    /// in order (a connector's batch method, or a loop over single calls). `extra` adds the
    /// caller's state changes (cross-references, log lines) to the `done` group commit.
    /// Returns each write with how it ended; a write whose outcome is still unknown ends in a
    /// temporary error and its intent stays for the next run's search.
    pub(crate) async fn write_once<P, S, SF, W, WF, X>(
        &self,
        run: &Run,
        side: Side,
        writes: Vec<Write<P>>,
        search: S,
        write: W,
        extra: X,
    ) -> Outcomes<P>
    where
        P: Clone,
        S: Fn(Vec<P>) -> SF,
        SF: Future<Output = Vec<Result<Option<LedgerRef>>>>,
        W: Fn(Vec<P>) -> WF,
        WF: Future<Output = Vec<Result<LedgerRef>>>,
        X: Fn(&Write<P>, &Written) -> Vec<StateOp>,
    {
        self.write_once_with(run, side, writes, Vec::new(), search, write, extra)
            .await
    }

    /// [`Engine::write_once`], journalling `also` in the same transaction as the writes'
    /// intents: obligations that must be durable as soon as the writes may happen (the orders
    /// job's "finish this order" marker, so that a posted order's receipts and status are
    /// never forgotten, whatever its storefront status becomes).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn write_once_with<P, S, SF, W, WF, X>(
        &self,
        run: &Run,
        side: Side,
        writes: Vec<Write<P>>,
        also: Vec<Intent>,
        search: S,
        write: W,
        extra: X,
    ) -> Outcomes<P>
    where
        P: Clone,
        S: Fn(Vec<P>) -> SF,
        SF: Future<Output = Vec<Result<Option<LedgerRef>>>>,
        W: Fn(Vec<P>) -> WF,
        WF: Future<Output = Vec<Result<LedgerRef>>>,
        X: Fn(&Write<P>, &Written) -> Vec<StateOp>,
    {
        if writes.is_empty() {
            return Vec::new();
        }
        let mut intents = intents_of(&writes);
        intents.extend(also);
        let before = match self
            .state
            .journal_intents(run.fence(), &intents, Utc::now())
            .await
        {
            Ok(b) => b,
            Err(e) => {
                run.defer_if_lease_lost(&e);
                return writes.into_iter().map(|w| (w, Err(e.clone()))).collect();
            }
        };
        let (mut ended, ops) = self
            .write_journalled(run, side, writes, before, &search, &write, &extra)
            .await;
        self.commit_done(run, &ops, &mut ended).await;
        ended
    }

    /// Steps 2–4 of [`Engine::write_once`] for writes whose intents are durable: `before`
    /// holds each write's record as it was before its intent (in order). Returns how each
    /// write ended and the state changes that record it (every `done` and failure, with the
    /// caller's `extra`), for the caller to commit — by [`Engine::commit_done`], or with the
    /// next batch's intents ([`crate::StateStore::commit_then_intents`]). Until they are
    /// committed the outcomes are not durable: a caller that cannot commit them must treat
    /// the writes as of unknown outcome (their intents stay, the next attempt searches).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn write_journalled<P, S, SF, W, WF, X>(
        &self,
        run: &Run,
        side: Side,
        writes: Vec<Write<P>>,
        before: Vec<Option<WriteRecord>>,
        search: &S,
        write: &W,
        extra: &X,
    ) -> (Outcomes<P>, Vec<StateOp>)
    where
        P: Clone,
        S: Fn(Vec<P>) -> SF,
        SF: Future<Output = Vec<Result<Option<LedgerRef>>>>,
        W: Fn(Vec<P>) -> WF,
        WF: Future<Output = Vec<Result<LedgerRef>>>,
        X: Fn(&Write<P>, &Written) -> Vec<StateOp>,
    {
        let mut ended: Outcomes<P> = Vec::new();
        let mut to_search = Vec::new();
        let mut to_write = Vec::new();
        let mut before = before.into_iter();
        for w in writes {
            match before.next() {
                Some(prior) => match prior.map(|r| r.state) {
                    None => to_write.push(w),
                    Some(WriteState::Done { at }) => ended.push((w, Ok(Written::AlreadyDone(at)))),
                    Some(WriteState::Intent | WriteState::Failed { .. }) => to_search.push(w),
                },
                // The store answered fewer records than intents: nothing is known of this
                // one's journal, so nothing is sent for it.
                None => ended.push((
                    w,
                    Err(Error::new(
                        ErrorKind::Internal,
                        "the state store answered fewer journal records than intents",
                    )),
                )),
            }
        }

        let (found, not_found) = self.search_batch(run, side, to_search, search).await;
        ended.extend(found);
        to_write.extend(not_found);
        let mut failed_ops = Vec::new();

        // Write what no earlier attempt made.
        let mut unknowns = Vec::new();
        for (w, r) in self.write_batch(run, side, to_write, write).await {
            match r {
                Ok(at) => ended.push((w, Ok(Written::Posted(at)))),
                Err(e) if maybe_written(&e) => unknowns.push((w, e)),
                Err(e) => {
                    failed_ops.push(StateOp::Failed {
                        key: w.key.clone(),
                        reason: e.to_string(),
                    });
                    ended.push((w, Err(e)));
                }
            }
        }

        // One recovery round for unknown outcomes: search, adopt or write again.
        if !unknowns.is_empty() && run.stopped().is_none() {
            let ws: Vec<Write<P>> = unknowns.into_iter().map(|(w, _)| w).collect();
            let (found, again) = self.search_batch(run, side, ws, search).await;
            ended.extend(found);
            for (w, r) in self.write_batch(run, side, again, write).await {
                match r {
                    Ok(at) => ended.push((w, Ok(Written::Posted(at)))),
                    Err(e) if maybe_written(&e) => ended.push((w, Err(unknown(e)))),
                    Err(e) => {
                        failed_ops.push(StateOp::Failed {
                            key: w.key.clone(),
                            reason: e.to_string(),
                        });
                        ended.push((w, Err(e)));
                    }
                }
            }
        } else {
            ended.extend(unknowns.into_iter().map(|(w, e)| (w, Err(unknown(e)))));
        }

        // Every done (and failure) with the caller's changes, for one group commit.
        let mut ops = failed_ops;
        for (w, r) in &ended {
            if let Ok(written) = r {
                if !matches!(written, Written::AlreadyDone(_)) {
                    ops.push(StateOp::Done {
                        key: w.key.clone(),
                        at: written.at().clone(),
                        payload_hash: w.hash.clone(),
                    });
                }
                ops.extend(extra(w, written));
            }
        }
        (ended, ops)
    }

    /// Step 5 of [`Engine::write_once`]: the group commit of `ops`. When it fails, the
    /// writes happened but are not recorded: the intents stay and the next attempt's search
    /// adopts them, so every write that ended well is reported with the error, not as done.
    pub(crate) async fn commit_done<P>(&self, run: &Run, ops: &[StateOp], ended: &mut Outcomes<P>) {
        if let Err(e) = self.state.commit(run.fence(), ops, Utc::now()).await {
            run.defer_if_lease_lost(&e);
            for (_, r) in ended.iter_mut() {
                if r.is_ok() {
                    *r = Err(e.clone());
                }
            }
        }
    }

    /// Searches for earlier writes: found ones are adopted; the rest are returned to be
    /// written. A failed search leaves its write unknown (temporary error).
    async fn search_batch<P, S, SF>(
        &self,
        run: &Run,
        side: Side,
        writes: Vec<Write<P>>,
        search: &S,
    ) -> (Outcomes<P>, Vec<Write<P>>)
    where
        P: Clone,
        S: Fn(Vec<P>) -> SF,
        SF: Future<Output = Vec<Result<Option<LedgerRef>>>>,
    {
        let mut ended = Vec::new();
        let mut again = Vec::new();
        if writes.is_empty() {
            return (ended, again);
        }
        let payloads: Vec<P> = writes.iter().map(|w| w.payload.clone()).collect();
        let answers = match self
            .call(run, side, || async { Ok(search(payloads).await) })
            .await
        {
            Ok(a) => a,
            Err(e) => {
                let ended = writes.into_iter().map(|w| (w, Err(e.clone()))).collect();
                return (ended, again);
            }
        };
        let mut answers = answers.into_iter();
        for w in writes {
            match answers.next() {
                Some(Ok(Some(at))) => {
                    ended.push((w, Ok(Written::Adopted(at))));
                }
                Some(Ok(None)) => again.push(w),
                Some(Err(e)) => {
                    run.breaker(side).record::<()>(
                        &Err(e.clone()),
                        self.options.breaker_threshold,
                        side,
                    );
                    ended.push((w, Err(unknown(e))));
                }
                None => ended.push((
                    w,
                    Err(Error::new(
                        ErrorKind::OutcomeUnknown,
                        "the platform answered fewer searches than asked",
                    )),
                )),
            }
        }
        (ended, again)
    }

    /// Writes, one answer per write.
    async fn write_batch<P, W, WF>(
        &self,
        run: &Run,
        side: Side,
        writes: Vec<Write<P>>,
        write: &W,
    ) -> Vec<(Write<P>, Result<LedgerRef>)>
    where
        P: Clone,
        W: Fn(Vec<P>) -> WF,
        WF: Future<Output = Vec<Result<LedgerRef>>>,
    {
        if writes.is_empty() {
            return Vec::new();
        }
        let payloads: Vec<P> = writes.iter().map(|w| w.payload.clone()).collect();
        let answers = match self
            .call(run, side, || async { Ok(write(payloads).await) })
            .await
        {
            Ok(a) => a,
            Err(e) => return writes.into_iter().map(|w| (w, Err(e.clone()))).collect(),
        };
        let threshold = self.options.breaker_threshold;
        let mut answers = answers.into_iter();
        writes
            .into_iter()
            .map(|w| {
                let r = answers.next().unwrap_or_else(|| {
                    Err(Error::new(
                        ErrorKind::OutcomeUnknown,
                        "the platform answered fewer writes than asked",
                    ))
                });
                if let Err(e) = &r {
                    run.breaker(side)
                        .record::<()>(&Err(e.clone()), threshold, side);
                }
                (w, r)
            })
            .collect()
    }
}

impl Engine {
    /// [`Engine::write_once`] for one write, with single-item search and write calls.
    pub(crate) async fn write_one<P, S, SF, W, WF>(
        &self,
        run: &Run,
        side: Side,
        write: Write<P>,
        search: S,
        post: W,
        extra: Vec<StateOp>,
    ) -> Result<Written>
    where
        P: Clone,
        S: Fn(P) -> SF,
        SF: Future<Output = Result<Option<LedgerRef>>>,
        W: Fn(P) -> WF,
        WF: Future<Output = Result<LedgerRef>>,
    {
        let search = &search;
        let post = &post;
        let mut out = self
            .write_once(
                run,
                side,
                vec![write],
                |ps: Vec<P>| async move {
                    let mut v = Vec::with_capacity(ps.len());
                    for p in ps {
                        v.push(search(p).await);
                    }
                    v
                },
                |ps: Vec<P>| async move {
                    let mut v = Vec::with_capacity(ps.len());
                    for p in ps {
                        v.push(post(p).await);
                    }
                    v
                },
                |_, _| extra.clone(),
            )
            .await;
        match out.pop() {
            Some((_, r)) => r,
            None => Err(Error::new(
                ErrorKind::Internal,
                "write journal lost a write",
            )),
        }
    }
}
