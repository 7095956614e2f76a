//! The Storefront conformance suite (bc_core::testkit) against the sandbox.

mod common;

use bc_core::testkit::storefront::{run_all, StorefrontFixture};
use bc_core::{Sku, StatusId};

#[tokio::test]
async fn storefront_conformance_suite_passes_against_the_sandbox() {
    let sb = common::sandbox(80, 11);
    let sf = common::storefront(&sb);
    let fx = StorefrontFixture {
        status_with_orders: StatusId::new("processing"),
        other_status: StatusId::new("erp_exported"),
        sku: Sku::new("MB-1001"),
    };
    run_all(&sf, &fx).await.expect("conformance");
    assert_eq!(sb.source_quantity("MB-1001", "default"), Some(7.into()));
}
