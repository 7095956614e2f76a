//! Faults against the sandbox: a 429 storm (window and in-flight limits) and a
//! commit-then-fail while posting an invoice.

mod common;

use bc_core::{Currency, ErrorKind, Ledger};
use bc_sandbox::faults::FaultPlan;
use common::*;
use rust_decimal_macros::dec;

/// A 429 storm (window exhausted, then too many in flight): every call still succeeds after
/// the `Retry-After` waits, with no duplicate writes.
#[tokio::test(start_paused = true)]
async fn rate_limit_storm_is_absorbed() {
    let sb = sandbox(307);
    let l = ledger(&sb, Co::Gb, true).await;
    let c = client(&l, "storm").await;
    sb.set_limits(
        10,
        std::time::Duration::from_secs(60),
        5,
        std::time::Duration::ZERO,
    );
    for _ in 0..25 {
        l.find_client(&bc_core::ClientKey::ImportId("cstorm".into()))
            .await
            .expect("find after waits");
    }
    let limited = sb.stats().snapshot().rate_limited;
    assert!(limited > 0, "the window filled up");
    // Another client of the same user holds slots: only 3 of the 5 concurrent requests the
    // connector allows itself are accepted; the others get 429 + Retry-After and retry.
    sb.set_limits(
        6000,
        std::time::Duration::from_secs(300),
        3,
        std::time::Duration::from_millis(50),
    );
    let finds = (0..6).map(|_| {
        let l = l.clone();
        async move {
            l.find_client(&bc_core::ClientKey::ImportId("cstorm".into()))
                .await
        }
    });
    for r in futures::future::join_all(finds).await {
        assert!(r.expect("found after 429s").is_some());
    }
    let limited2 = sb.stats().snapshot().rate_limited;
    assert!(limited2 > limited, "the in-flight limit was hit");
    // At BC's own limit (5 in flight) the connector's budget never exceeds it.
    sb.set_limits(
        6000,
        std::time::Duration::from_secs(300),
        5,
        std::time::Duration::from_millis(50),
    );
    let chair = item(&l, "1900-S").await;
    let calls = (0..12).map(|n| {
        let l = l.clone();
        let c = c.clone();
        let chair = chair.clone();
        async move {
            let id = import(&format!("90{n:02}"));
            let doc = document(
                &id,
                &c,
                Currency::GBP,
                vec![item_line(&chair, dec!(1), dec!(5), Some("ZERO"))],
                vec![],
            );
            l.post_sales_document(&doc).await
        }
    });
    for r in futures::future::join_all(calls).await {
        r.expect("posted");
    }
    assert_eq!(
        sb.stats().snapshot().rate_limited,
        limited2,
        "5 in flight never exceeded"
    );
    assert_eq!(sb.reconciliation(Co::Gb.id()).extra_documents(), 0);
    assert_eq!(
        sb.reconciliation(Co::Gb.id()).by_currency["GBP"].invoices,
        12
    );
}

/// Commit-then-fail (the write applied, the answer lost) while posting: retried the way the
/// engine does (search, then post), it ends with exactly one posted invoice.
#[tokio::test]
async fn commit_then_fail_on_a_posted_invoice_leaves_one_invoice() {
    let sb = sandbox(308);
    let l = ledger(&sb, Co::Gb, true).await;
    let c = client(&l, "ctf").await;
    let chair = item(&l, "1900-S").await;
    let id = import("9501");
    let doc = document(
        &id,
        &c,
        Currency::GBP,
        vec![item_line(
            &chair,
            dec!(1),
            dec!(50),
            Some("DOMESTIC/STANDARD"),
        )],
        vec![tax("DOMESTIC/STANDARD", "UK VAT", 0, dec!(10))],
    );
    sb.set_fault_plan(FaultPlan {
        seed: 11,
        commit_then_fail_rate: 0.6,
        ..FaultPlan::none()
    });
    let mut attempts = 0;
    let mut outcome_unknown = 0;
    loop {
        attempts += 1;
        assert!(attempts < 40, "never settled");
        match l.find_document(&id).await {
            Ok(Some(found)) if !found.editable => break,
            Ok(_) => {}
            Err(_) => continue,
        }
        match l.post_sales_document(&doc).await {
            Ok(_) => break,
            Err(e) if e.kind() == ErrorKind::OutcomeUnknown || e.is_temporary() => {
                outcome_unknown += 1
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    sb.set_fault_plan(FaultPlan::none());
    let counts = sb.faults().counts();
    assert!(
        counts.commit_then_fail + counts.commit_then_reset > 0,
        "faults were injected"
    );
    assert!(outcome_unknown > 0, "at least one answer was lost");
    let rows = invoices_with(&sb, Co::Gb, "BC19501");
    assert_eq!(rows.len(), 1, "exactly one invoice");
    assert_eq!(rows[0]["status"], "Open");
    assert_eq!(sb.reconciliation(Co::Gb.id()).extra_documents(), 0);
}
