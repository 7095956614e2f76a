//! `bcsync status`: per connection and job, what the state store knows — the last run and how
//! it ended, the cursor, who holds the lease now, when it is due, and the open exceptions by
//! reason. Reads only; works on SQLite and PostgreSQL.

use std::path::Path;

use bc_state::{JobStatus, StateDatabase};
use chrono::Utc;

use super::service::{load, redact_url};

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
        vec![db.connection().to_string()]
    };
    let mut rows: Vec<JobStatus> = Vec::new();
    for c in &connections {
        let handle = db
            .for_connection(c)
            .map_err(|e| format!("connection `{c}`: {e}"))?;
        rows.extend(
            handle
                .status()
                .await
                .map_err(|e| format!("cannot read the status of connection `{c}`: {e}"))?,
        );
    }
    db.close().await;
    if json {
        let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        outln!("{text}");
        return Ok(());
    }
    outln!("{}", table(&rows, Utc::now()).trim_end_matches('\n'));
    Ok(())
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
