//! A finance team's first hour (L5), driven as a user would: `init` from the sandbox,
//! `check --online` on a store whose settings miss three tax zones and a payment method (each
//! listed once with the orders it blocks, nothing written anywhere, a non-zero exit), the
//! printed lines added, a clean check, a sync that posts every order; and a run with a wrong
//! payment map that changes no storefront status and posts nothing.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn bcsync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(args)
        .output()
        .expect("run bcsync")
}

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn sandbox(orders: &str, seed: &str) -> (Killed, String) {
    let (child, base, _) = bigcommerce_sandbox(orders, seed);
    (child, base)
}

/// The sandbox's requests that are not reads (POST, PUT, DELETE…), from its own stats.
fn writes(base: &str) -> u64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let v: Value = rt.block_on(async {
        reqwest::get(format!("{base}/__sandbox/requests"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    v["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| !route.starts_with("GET "))
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum()
}

/// The lines of table `[name]` that map something (not comments).
fn entries(text: &str, name: &str) -> Vec<String> {
    let header = format!("[{name}]");
    let mut inside = false;
    let mut out = Vec::new();
    for l in text.lines() {
        if l.starts_with('[') {
            inside = l.trim() == header;
            continue;
        }
        if inside && !l.trim().is_empty() && !l.trim_start().starts_with('#') {
            out.push(l.to_string());
        }
    }
    out
}

/// Adds `line` under `[section]`.
fn add_line(text: &str, section: &str, line: &str) -> String {
    let header = format!("[{section}]\n");
    match text.find(&header) {
        Some(i) => {
            let at = i + header.len();
            format!("{}{line}\n{}", &text[..at], &text[at..])
        }
        None => format!("{text}\n{header}{line}\n"),
    }
}

fn erp_counts(path: &Path) -> (usize, u64) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let erp = bc_connector_acctvantage::Erp::open(path).await.unwrap();
        (
            erp.sales_orders(None).await.unwrap().len(),
            erp.client_count().await.unwrap(),
        )
    })
}

#[test]
fn init_from_the_sandbox_then_check_online_lists_each_missing_mapping_once_and_writes_nothing() {
    let (_sb, base) = sandbox("60", "3");
    let dir = temp_dir("first-hour", "check");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();
    let out = bcsync(&["init", "--from-sandbox", &base, "--path", cfg]);
    assert!(out.status.success(), "{}", all(&out));
    let mut text = std::fs::read_to_string(&path).unwrap();
    let taxes = entries(&text, "tax_map");
    let pays: Vec<String> = entries(&text, "payment_map")
        .into_iter()
        .filter(|l| l.contains("receipt_type"))
        .collect();
    assert!(taxes.len() >= 3, "init mapped too few zones:\n{text}");
    assert!(!pays.is_empty(), "init mapped no payment method:\n{text}");
    // A store whose settings do not match yet: three zones and one method forgotten.
    let removed: Vec<String> = taxes
        .iter()
        .take(3)
        .chain(pays.iter().take(1))
        .cloned()
        .collect();
    for l in &removed {
        text = text.replacen(&format!("{l}\n"), "", 1);
    }
    std::fs::write(&path, &text).unwrap();
    let key_of = |l: &str| {
        l.split(" = ")
            .next()
            .unwrap()
            .trim()
            .trim_matches('"')
            .to_string()
    };

    let writes_before = writes(&base);
    let out = bcsync(&["check", "--online", "--config", cfg, "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", all(&out)));
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 4, "{report:#}");
    for l in &removed {
        let value = key_of(l);
        let hits: Vec<&Value> = problems
            .iter()
            .filter(|p| p["value"] == value.as_str())
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "{value} listed {} times: {report:#}",
            hits.len()
        );
        assert!(
            !hits[0]["orders"].as_array().unwrap().is_empty(),
            "{:#}",
            hits[0]
        );
    }
    // The text says each once, with the orders it blocks.
    let out_text = bcsync(&["check", "--online", "--config", cfg]);
    assert_eq!(out_text.status.code(), Some(3));
    let shown = String::from_utf8_lossy(&out_text.stdout).into_owned();
    for l in &removed {
        let value = key_of(l);
        let times = shown.matches(&format!("\"{value}\"")).count();
        assert!(times >= 1, "{value} not shown:\n{shown}");
    }
    // Nothing written on either side.
    assert_eq!(
        writes(&base),
        writes_before,
        "check --online wrote to the store"
    );
    let erp = dir.join("bcsync-erp.sqlite");
    if erp.exists() {
        assert_eq!(
            erp_counts(&erp),
            (0, 0),
            "check --online wrote documents or clients"
        );
    }

    // Add the printed lines: clean, and a sync posts every order.
    for p in problems {
        let fix = &p["fix"];
        assert_eq!(fix["applies_as_is"], true, "{p:#}");
        text = add_line(
            &text,
            fix["section"].as_str().unwrap(),
            fix["line"].as_str().unwrap(),
        );
    }
    std::fs::write(&path, &text).unwrap();
    let out = bcsync(&["check", "--online", "--config", cfg, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let clean: Value = serde_json::from_slice(&out.stdout).unwrap();
    let planned = clean["orders_planned"].as_u64().unwrap();
    assert_eq!(
        clean["orders_clean"].as_u64().unwrap(),
        planned,
        "{clean:#}"
    );
    let out = bcsync(&["sync", "orders", "--once", "--config", cfg, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let posted = r["done"].as_u64().unwrap() + r["adopted"].as_u64().unwrap();
    assert_eq!(posted, planned, "{r:#}");
    assert_eq!(erp_counts(&erp).0 as u64, planned);
}

#[test]
fn a_wrong_payment_map_changes_no_status_posts_nothing_and_says_so_once() {
    let (_sb, base) = sandbox("40", "5");
    let dir = temp_dir("first-hour", "payment");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();
    assert!(bcsync(&["init", "--from-sandbox", &base, "--path", cfg])
        .status
        .success());
    let good = std::fs::read_to_string(&path).unwrap();
    // Every payment method mapped under a wrong name (as the old template did: `paypal`
    // where BigCommerce says `offsite`).
    let mut bad = good.clone();
    for l in entries(&good, "payment_map") {
        let (k, v) = l.split_once(" = ").unwrap();
        bad = bad.replacen(&l, &format!("\"wrong {}\" = {v}", k.trim_matches('"')), 1);
    }
    std::fs::write(&path, &bad).unwrap();
    let writes_before = writes(&base);
    let out = bcsync(&["sync", "orders", "--once", "--config", cfg, "--json"]);
    let text = all(&out);
    assert_eq!(
        out.status.code(),
        Some(4),
        "a configuration cause exits 4:\n{text}"
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {text}"));
    let held = r["held"].as_u64().unwrap();
    let posted = r["done"].as_u64().unwrap();
    assert!(held > 0, "{r:#}");
    // Orders that need no payment map (nothing paid to record) post; the held ones change
    // nothing: the store saw one status write per posted order and none for a held one.
    assert_eq!(
        writes(&base) - writes_before,
        posted,
        "the store was changed for held orders:\n{text}"
    );
    let erp = dir.join("bcsync-erp.sqlite");
    assert_eq!(erp_counts(&erp).0 as u64, posted, "a held order was posted");
    // Each cause once, naming the setting, with every order it blocks.
    let causes = r["config_causes"].as_array().unwrap();
    let mut blocked = 0;
    for c in causes {
        assert!(
            c["setting"].as_str().unwrap().starts_with("payment_map."),
            "{c:#}"
        );
        blocked += c["orders"].as_array().unwrap().len() as u64;
    }
    assert!(blocked >= held, "{r:#}");
    let settings: Vec<&str> = causes
        .iter()
        .map(|c| c["setting"].as_str().unwrap())
        .collect();
    let mut unique = settings.clone();
    unique.dedup();
    assert_eq!(
        unique.len(),
        settings.len(),
        "a cause listed twice: {settings:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    for k in &settings {
        assert_eq!(stderr.matches(*k).count(), 1, "{k} in:\n{stderr}");
    }
    // No exception per order, no error status; fixed, the next run posts every order.
    let list = bcsync(&["exceptions", "list", "--config", cfg, "--json"]);
    let open: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .all(|x| x["entity"] != "order"),
        "orders in the exception queue for a settings mistake: {open:#}"
    );
    std::fs::write(&path, &good).unwrap();
    let out = bcsync(&["sync", "orders", "--once", "--config", cfg, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["done"].as_u64().unwrap(),
        held,
        "the held orders post once fixed: {r:#}"
    );
    assert_eq!(r["failed"].as_array().unwrap().len(), 0, "{r:#}");
}
