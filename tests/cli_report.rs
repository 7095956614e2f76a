//! `bcsync report` (L4): text, JSON, a self-contained HTML page with charts, and the e-mail
//! through SMTP (a local test SMTP server, written here: it speaks just enough SMTP).

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn bcsync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .args(args)
        .output()
        .expect("run bcsync")
}

fn settings_for(dir: &Path, base_url: &str) -> String {
    let mut s = sandbox_settings(dir, base_url, "");
    s.push_str("\n[report]\nemail_to = [\"finance@example.com\", \"ops@example.com\"]\n");
    s
}

/// Accepts one SMTP session and returns (recipients, message data).
fn smtp_server() -> (u16, std::thread::JoinHandle<(Vec<String>, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut lines = BufReader::new(stream);
        let mut rcpt = Vec::new();
        let mut data = String::new();
        writeln!(out, "220 localhost test SMTP\r").unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let cmd = line.trim_end().to_ascii_uppercase();
            if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                write!(out, "250-localhost\r\n250 8BITMIME\r\n").unwrap();
            } else if cmd.starts_with("MAIL FROM") {
                write!(out, "250 OK\r\n").unwrap();
            } else if cmd.starts_with("RCPT TO") {
                rcpt.push(line.trim_end().to_string());
                write!(out, "250 OK\r\n").unwrap();
            } else if cmd == "DATA" {
                write!(out, "354 end with .\r\n").unwrap();
                loop {
                    line.clear();
                    lines.read_line(&mut line).unwrap();
                    if line == ".\r\n" || line == ".\n" || line.is_empty() {
                        break;
                    }
                    data.push_str(&line);
                }
                write!(out, "250 queued\r\n").unwrap();
            } else if cmd == "QUIT" {
                write!(out, "221 bye\r\n").unwrap();
                break;
            } else {
                write!(out, "250 OK\r\n").unwrap();
            }
        }
        (rcpt, data)
    });
    (port, handle)
}

#[test]
fn the_report_reads_as_text_json_html_and_email() {
    let (_child, base, _) = bigcommerce_sandbox("12", "3");
    let dir = temp_dir("report", "all");
    let path = dir.join("bcsync.toml");
    let cfg = path.to_str().unwrap();
    std::fs::write(&path, settings_for(&dir, &base)).unwrap();
    let out = bcsync(&["sync", "orders", "--config", cfg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // JSON: one row per day, today's posted orders, the totals match to the cent.
    let out = bcsync(&["report", "--period", "7d", "--config", cfg, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let days = r["days"].as_array().unwrap();
    assert_eq!(days.len(), 7, "{r}");
    let posted: u64 = days.iter().map(|d| d["posted"].as_u64().unwrap()).sum();
    assert!(posted > 0, "{r}");
    let totals = r["totals"].as_array().unwrap();
    assert!(!totals.is_empty(), "{r}");
    for t in totals {
        assert_eq!(t["storefront"], t["ledger"], "{t}");
        assert_eq!(t["difference"], "0", "{t}");
    }
    let counted: u64 = totals.iter().map(|t| t["orders"].as_u64().unwrap()).sum();
    assert_eq!(counted, posted, "every posted order is in the totals: {r}");

    // Text and HTML.
    let html = dir.join("report.html");
    let out = bcsync(&["report", "--config", cfg, "--html", html.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("matches to the cent"), "{text}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.contains("<svg"), "the page has its chart");
    assert!(!page.contains("<script"), "self-contained, no script");
    assert!(
        !page.contains("src=\"http"),
        "self-contained, nothing loaded from outside"
    );

    // E-mail through a local SMTP server, to every address of `report.email_to`.
    let (port, server) = smtp_server();
    let out = bcsync(&[
        "report",
        "--config",
        cfg,
        "--email",
        "--smtp",
        &format!("smtp://127.0.0.1:{port}"),
        "--from",
        "bcsync@example.com",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (rcpt, data) = server.join().unwrap();
    assert_eq!(rcpt.len(), 2, "{rcpt:?}");
    assert!(rcpt[0].contains("finance@example.com"), "{rcpt:?}");
    assert!(data.contains("Subject: bcsync report"), "{data}");
    assert!(
        data.contains("text/plain") && data.contains("text/html"),
        "{data}"
    );
}

#[test]
fn a_wrong_period_is_a_usage_error() {
    let out = bcsync(&[
        "report",
        "--period",
        "week",
        "--config",
        "/nonexistent.toml",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("7d"));
}
