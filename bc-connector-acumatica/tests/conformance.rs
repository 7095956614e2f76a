//! The Ledger conformance suite (bc_core::testkit) against the Acumatica sandbox
//! (bc-sandbox-acumatica), in-process: every write found again before it is repeated, one API
//! session signed out at the end, no duplicate record left behind.

mod common;

use bc_core::testkit::ledger::run_all;
use common::{config, fixture, ledger, sandbox};

#[tokio::test]
async fn ledger_conformance_suite_passes() {
    let sb = sandbox();
    let l = ledger(&sb, &config("conf"));
    run_all(&l, &fixture()).await.expect("conformance");
    l.logout().await.expect("logout");
    assert_eq!(sb.open_sessions(), 0);
    assert!(sb.duplicates().is_empty(), "{:?}", sb.duplicates());
}
