//! The end-to-end benches of the workspace: the whole cycle at demo scale, through the `bcsync`
//! program, on each ledger the demo runs (`bcsync demo --json`): wall time, orders per second,
//! requests per order per platform, and the reconciliation (lost, duplicated), one line each.
//!
//! Size: `BCSYNC_BENCH_ORDERS` (default 1,000 generated orders, the demo's default); ledgers:
//! `BCSYNC_BENCH_LEDGERS` (default `acctvantage,qbo,bc365,acumatica`). Run: `cargo bench
//! --bench end_to_end` (built in release; a demo of 1,000 orders takes seconds to minutes).
//!
//! Each crate's own benches:
//! - `cargo bench -p bc-engine --bench engine`: the engine's cost per order (memory, SQLite,
//!   in-process sandboxes);
//! - `cargo bench -p bc-engine --bench backlog`: a backlog at the rate-limit ceiling over
//!   loopback sockets (BigCommerce 150 req / 30 s, QBO 500 req / min), ratio to the ceiling;
//! - `cargo bench -p bc-engine --bench rss -- 10000`: peak RSS of a 10,000-order import;
//! - `cargo bench -p bc-state --bench scale`: many connections and workers on PostgreSQL;
//! - `cargo bench -p bc-core`: the posting plan.

#![allow(missing_docs)]

use std::process::Command;
use std::time::Instant;

use serde_json::Value;

fn main() {
    // `cargo bench` passes `--bench`; a filter (anything else) picks ledgers too.
    let orders = std::env::var("BCSYNC_BENCH_ORDERS").unwrap_or_else(|_| "1000".into());
    let ledgers = std::env::var("BCSYNC_BENCH_LEDGERS")
        .unwrap_or_else(|_| "acctvantage,qbo,bc365,acumatica".into());
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    println!("end_to_end: bcsync demo --orders {orders} --json");
    for ledger in ledgers.split(',').map(str::trim).filter(|l| !l.is_empty()) {
        if !filter.is_empty() && !filter.iter().any(|f| ledger.contains(f.as_str())) {
            continue;
        }
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_bcsync"))
            .args(["demo", "--json", "--orders", &orders, "--ledger", ledger])
            .output();
        let wall = started.elapsed();
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                println!("{ledger:<12} cannot run bcsync: {e}");
                continue;
            }
        };
        if !out.status.success() {
            println!(
                "{ledger:<12} FAILED: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            continue;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let summary: Value = match text.lines().last().map(serde_json::from_str) {
            Some(Ok(v)) => v,
            _ => {
                println!("{ledger:<12} unreadable summary: {text}");
                continue;
            }
        };
        let seen = summary["orders_seen"].as_u64().unwrap_or(0);
        let secs = wall.as_secs_f64();
        println!(
            "{ledger:<12} {seen:>6} orders in {secs:>7.2} s = {:>8.1} orders/s; lost {}, duplicated {}, exceptions {}; requests/order {}",
            seen as f64 / secs.max(1e-9),
            summary["lost"],
            summary["duplicated"],
            summary["exceptions"],
            summary["requests_per_order"]
        );
    }
}
