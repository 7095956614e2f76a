//! `bcsync status`: per connection and job, what the state store knows — the last run and how
//! it ended, the cursor, who holds the lease now, when it is due, and the open exceptions by
//! reason — and per connection the rate budget left on each platform account a worker
//! touched, with its age. Reads only; works on SQLite and PostgreSQL.

use std::path::Path;

use bc_state::{AccountBudget, JobStatus, StateDatabase};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::service::{connection_of, load, redact_url};

/// One row of `status --json`: a (connection, job) and its connection's rate budgets.
#[derive(Clone, Debug, Serialize)]
pub struct StatusRow {
    /// The (connection, job).
    #[serde(flatten)]
    pub job: JobStatus,
    /// The connection's platform accounts' rate budgets as a worker last recorded them (the
    /// same on every job of the connection; empty when no worker recorded any).
    pub rate_budgets: Vec<BudgetRow>,
}

/// A recorded rate budget and its age.
#[derive(Clone, Debug, Serialize)]
pub struct BudgetRow {
    /// The snapshot.
    #[serde(flatten)]
    pub budget: AccountBudget,
    /// Seconds since it was recorded.
    pub age_secs: i64,
}

/// Prints the status of the settings' state store (`--all`: every connection in it).
pub async fn run(config: &Path, all: bool, json: bool) -> super::exit::CliResult {
    let settings = load(config)?;
    let url = &settings.state.url;
    let db = StateDatabase::open(url).await.map_err(|e| {
        format!(
            "cannot open the state store `{}` (setting `state.url`): {e}",
            redact_url(url)
        )
    })?;
    let connections = if all {
        db.connections()
            .await
            .map_err(|e| format!("cannot list the connections: {e}"))?
    } else {
        vec![connection_of(&settings).to_string()]
    };
    let now = Utc::now();
    let mut jobs: Vec<JobStatus> = Vec::new();
    let mut budgets: Vec<(String, Vec<AccountBudget>)> = Vec::new();
    for c in &connections {
        let handle = db
            .for_connection(c)
            .map_err(|e| format!("connection `{c}`: {e}"))?;
        jobs.extend(
            handle
                .status()
                .await
                .map_err(|e| format!("cannot read the status of connection `{c}`: {e}"))?,
        );
        let b = handle
            .budgets()
            .await
            .map_err(|e| format!("cannot read the rate budgets of connection `{c}`: {e}"))?;
        budgets.push((c.clone(), b));
    }
    db.close().await;
    if json {
        let rows: Vec<StatusRow> = jobs
            .into_iter()
            .map(|job| {
                let rate_budgets = budgets
                    .iter()
                    .find(|(c, _)| *c == job.connection)
                    .map(|(_, b)| {
                        b.iter()
                            .map(|b| BudgetRow {
                                budget: b.clone(),
                                age_secs: b.age_secs(now),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                StatusRow { job, rate_budgets }
            })
            .collect();
        let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        outln!("{text}");
        return Ok(());
    }
    let mut out = table(&jobs, now);
    for (c, b) in &budgets {
        for b in b {
            out.push_str(&format!("{c:<16} {}\n", budget_line(b, now)));
        }
    }
    outln!("{}", out.trim_end_matches('\n'));
    Ok(())
}

/// One account's budget for people: `rate budget bigcommerce:abc: 143 of 150 requests left
/// per 30 s, resets in 12 s; last 429 40 s ago (asked 3 s) (as of 12 s ago, worker w#1)`.
pub fn budget_line(b: &AccountBudget, now: DateTime<Utc>) -> String {
    let secs = |ms: u64| {
        if ms.is_multiple_of(1000) {
            format!("{} s", ms / 1000)
        } else {
            format!("{:.1} s", ms as f64 / 1000.0)
        }
    };
    let ahead = |t: DateTime<Utc>| (t - now).num_seconds().max(0);
    let mut line = format!("rate budget {}: ", b.account);
    match (b.requests_left, b.window_limit) {
        (Some(left), Some(limit)) => line.push_str(&format!(
            "{left} of {limit} requests left per {}",
            secs(b.window_ms)
        )),
        _ => line.push_str("no window limit"),
    }
    if let Some(t) = b.resets_at.filter(|t| *t > now) {
        line.push_str(&format!(", resets in {} s", ahead(t)));
    }
    if let Some(t) = b.paused_until.filter(|t| *t > now) {
        line.push_str(&format!(", paused for {} s", ahead(t)));
    }
    if let Some(at) = b.last_429_at {
        line.push_str(&format!(
            "; last 429 {} s ago",
            (now - at).num_seconds().max(0)
        ));
        if let Some(w) = b.last_429_wait_ms {
            line.push_str(&format!(" (asked {})", secs(w)));
        }
    }
    line.push_str(&format!(
        " (as of {} s ago, worker {})",
        b.age_secs(now),
        b.worker
    ));
    line
}

/// The rows as a table for people.
pub fn table(rows: &[JobStatus], now: chrono::DateTime<Utc>) -> String {
    let mut out = format!(
        "{:<16} {:<11} {:<20} {:<6} {:<22} {:<20} {}\n",
        "connection", "job", "last run", "ok", "lease holder", "due", "open exceptions"
    );
    let when = |t: Option<chrono::DateTime<Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "-".into())
    };
    for r in rows {
        let ok = match r.last_ok {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        let exceptions = if r.open_exceptions.is_empty() {
            "-".to_string()
        } else {
            r.open_exceptions
                .iter()
                .map(|(why, n)| format!("{n} {why}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "{:<16} {:<11} {:<20} {:<6} {:<22} {:<20} {}\n",
            r.connection,
            r.job,
            when(r.last_run),
            ok,
            r.lease_holder(now).unwrap_or("-"),
            when(r.due_at),
            exceptions
        ));
        if let Some(result) = &r.last_result {
            out.push_str(&format!("{:<16} {:<11} last: {result}\n", "", ""));
        }
        if let Some(cursor) = &r.cursor {
            out.push_str(&format!("{:<16} {:<11} cursor: {cursor}\n", "", ""));
        }
    }
    out
}
