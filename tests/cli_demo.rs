//! `bcsync demo --json` driven as a user would, with faults and crashes.

use std::process::Command;

use serde_json::Value;

fn demo(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .arg("demo")
        .args(args)
        .arg("--json")
        .output()
        .expect("run bcsync demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn check(v: &Value) {
    for key in [
        "orders_seen",
        "posted",
        "exceptions",
        "lost",
        "duplicated",
        "storefront_total",
        "ledger_total",
        "requests_per_order",
        "elapsed_ms",
    ] {
        assert!(v.get(key).is_some(), "summary lacks {key}: {v}");
    }
    assert!(v["orders_seen"].as_u64().unwrap() > 20, "{v}");
    assert_eq!(v["lost"], 0, "{v}");
    assert_eq!(v["duplicated"], 0, "{v}");
    assert_eq!(v["storefront_total"], v["ledger_total"], "{v}");
    assert_eq!(
        v["posted"].as_u64().unwrap() + v["exceptions"].as_u64().unwrap(),
        v["orders_seen"].as_u64().unwrap(),
        "{v}"
    );
}

#[test]
fn demo_reconciles_to_the_cent() {
    let v = demo(&["--orders", "120", "--seed", "9"]);
    check(&v);
    assert_eq!(
        v["posted"], v["orders_seen"],
        "nothing in the demo mix should fail: {v}"
    );
}

#[test]
fn demo_with_faults_and_crashes_loses_and_duplicates_nothing() {
    let v = demo(&[
        "--orders",
        "150",
        "--seed",
        "4",
        "--faults",
        "0.1",
        "--crashes",
        "3",
    ]);
    check(&v);
    assert!(v["faults"].as_u64().unwrap() > 0, "{v}");
}
