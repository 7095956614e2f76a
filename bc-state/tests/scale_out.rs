//! Three workers (three store handles, each with its own pool) race to claim (connection,
//! job) units on one PostgreSQL database and to write under their fences, pausing past their
//! leases now and then. Checked from the fencing tokens recorded with every write: no unit
//! ever had two writers at once, and a worker whose lease was taken wrote nothing more.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bc_engine::state::{is_lease_lost, StateOp};
use bc_engine::{Direction, EntityKind, LogEntry, LogQuery, Outcome, StateStore};
use bc_state::{LeaseClock, PostgresStateStore};
use chrono::Utc;

/// A small deterministic generator (xorshift), one seed per worker.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[derive(Default)]
struct Counts {
    claims: AtomicU64,
    writes: AtomicU64,
    refused: AtomicU64,
    pauses: AtomicU64,
    completed: AtomicU64,
}

const CONNECTIONS: usize = 6;
const JOBS: [&str; 2] = ["orders", "refunds"];
const TTL: Duration = Duration::from_millis(400);
const RUN_FOR: Duration = Duration::from_secs(4);

async fn worker(store: PostgresStateStore, name: String, seed: u64, counts: Arc<Counts>) {
    let mut rng = Rng(seed);
    let started = Instant::now();
    while started.elapsed() < RUN_FOR {
        let Some(unit) = store.claim_unit(&name, TTL).await.unwrap() else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        counts.claims.fetch_add(1, Ordering::Relaxed);
        let tenant = store.for_connection(&unit.connection).unwrap();
        let mut lost = false;
        for seq in 0..1 + rng.below(6) {
            // Now and then the worker stalls past its lease (a GC pause, a stopped VM).
            if rng.below(12) == 0 {
                counts.pauses.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(TTL * 2).await;
            } else {
                tokio::time::sleep(Duration::from_millis(rng.below(15))).await;
            }
            let entry = LogEntry {
                at: Utc::now(),
                job: unit.job.clone(),
                entity: EntityKind::Order,
                key: format!("{}:{}", unit.job, seq),
                direction: Direction::ToLedger,
                outcome: Outcome::Done,
                message: format!("token={} worker={name}", unit.fence.token),
            };
            let ops = [
                StateOp::Log(entry),
                StateOp::SetCursor {
                    job: unit.job.clone(),
                    value: format!("{}-{seq}", unit.fence.token),
                },
            ];
            match tenant.commit(Some(&unit.fence), &ops, Utc::now()).await {
                Ok(()) => {
                    counts.writes.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if is_lease_lost(&e) => {
                    counts.refused.fetch_add(1, Ordering::Relaxed);
                    lost = true;
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        if !lost
            && store
                .complete_unit(&unit, Duration::from_millis(rng.below(30)))
                .await
                .unwrap()
        {
            counts.completed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_workers_never_hold_one_unit_at_once() {
    let Some(url) = common::pg_url() else { return };
    let schema = common::schema_for("scale_out");
    let options = common::pg_options(&schema, LeaseClock::Database);
    let mut handles = Vec::new();
    for _ in 0..3 {
        handles.push(
            PostgresStateStore::connect_with(&url, &options)
                .await
                .unwrap(),
        );
    }
    for c in 0..CONNECTIONS {
        handles[0]
            .for_connection(&format!("shop{c}"))
            .unwrap()
            .register_units(&JOBS)
            .await
            .unwrap();
    }
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let tasks: Vec<_> = handles
        .iter()
        .enumerate()
        .map(|(i, h)| {
            tokio::spawn(worker(
                h.clone(),
                format!("w{i}"),
                0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1),
                counts.clone(),
            ))
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();

    // Every write, in the order the database applied them (the log's serial id), with the
    // token and worker it was made under.
    let mut violations = Vec::new();
    let mut total = 0u64;
    for c in 0..CONNECTIONS {
        let tenant = handles[0].for_connection(&format!("shop{c}")).unwrap();
        let mut entries = tenant.search_log(&LogQuery::default()).await.unwrap();
        entries.reverse(); // oldest first (the log's ids break ties)
        for job in JOBS {
            let mut last_token = 0i64;
            let mut writer_of: BTreeMap<i64, String> = BTreeMap::new();
            for e in entries.iter().filter(|e| e.job == job) {
                total += 1;
                let (tok, who) = e
                    .message
                    .strip_prefix("token=")
                    .and_then(|m| m.split_once(" worker="))
                    .unwrap();
                let tok: i64 = tok.parse().unwrap();
                if tok < last_token {
                    violations.push(format!(
                        "shop{c}/{job}: a write under token {tok} after token {last_token}"
                    ));
                }
                last_token = last_token.max(tok);
                let w = writer_of.entry(tok).or_insert_with(|| who.to_string());
                if w != who {
                    violations.push(format!("shop{c}/{job}: token {tok} used by {w} and {who}"));
                }
            }
            // The cursor is the last write's.
            if let Some(cur) = tenant.cursor(job).await.unwrap() {
                let tok: i64 = cur.split('-').next().unwrap().parse().unwrap();
                if tok != last_token {
                    violations.push(format!(
                        "shop{c}/{job}: the cursor was written under token {tok}, the last log entry under {last_token}"
                    ));
                }
            }
        }
    }
    let writes = counts.writes.load(Ordering::Relaxed);
    println!(
        "scale-out: 3 workers, {} units, {:?}: claims {}, completed {}, fenced writes {}, \
         pauses past the lease {}, stale writes refused {}, violations {}",
        CONNECTIONS * JOBS.len(),
        elapsed,
        counts.claims.load(Ordering::Relaxed),
        counts.completed.load(Ordering::Relaxed),
        writes,
        counts.pauses.load(Ordering::Relaxed),
        counts.refused.load(Ordering::Relaxed),
        violations.len()
    );
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(total, writes, "every accepted write is recorded, no other");
    assert!(
        counts.claims.load(Ordering::Relaxed) >= 12,
        "every unit is claimed at least once"
    );
    assert!(
        counts.refused.load(Ordering::Relaxed) > 0,
        "some paused worker lost its unit and was refused"
    );
}

/// Three handles record the same intents and the same failures at once: each key is new to
/// exactly one of them, and every failed attempt is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_intents_and_exceptions_keep_their_guarantees() {
    let Some(url) = common::pg_url() else { return };
    let schema = common::schema_for("races");
    let options = common::pg_options(&schema, LeaseClock::Database);
    let mut handles = Vec::new();
    for _ in 0..3 {
        let h = PostgresStateStore::connect_with(&url, &options)
            .await
            .unwrap();
        handles.push(h.for_connection("shop").unwrap());
    }
    const KEYS: u32 = 60;
    let tasks: Vec<_> = handles
        .iter()
        .map(|h| {
            let h = h.clone();
            tokio::spawn(async move {
                let mut first = Vec::new();
                for k in 0..KEYS {
                    let intents = [bc_engine::state::Intent {
                        key: bc_engine::WriteKey::new(
                            EntityKind::Order,
                            "post",
                            format!("R{k}"),
                            0,
                        ),
                        payload_hash: "h".into(),
                    }];
                    let before = h.journal_intents(None, &intents, Utc::now()).await.unwrap();
                    if before[0].is_none() {
                        first.push(k);
                    }
                    let reason = bc_engine::ExceptionReason::Error {
                        kind: "unavailable".into(),
                        temporary: true,
                        message: "502".into(),
                    };
                    h.record_exception(EntityKind::Order, "same", &[reason], Utc::now())
                        .await
                        .unwrap();
                }
                first
            })
        })
        .collect();
    let mut firsts = Vec::new();
    for t in tasks {
        firsts.extend(t.await.unwrap());
    }
    firsts.sort_unstable();
    assert_eq!(
        firsts,
        (0..KEYS).collect::<Vec<_>>(),
        "each key new to exactly one"
    );
    let e = handles[0]
        .exception(EntityKind::Order, "same")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.attempts, 3 * KEYS);
    assert_eq!(
        handles[0].journal_pending().await.unwrap().len() as u32,
        KEYS
    );
}
