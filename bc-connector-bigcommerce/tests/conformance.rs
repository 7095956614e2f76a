//! The Storefront conformance suite (bc_core::testkit) against the BigCommerce sandbox.

mod common;

use bc_core::testkit::storefront::{run_all, StorefrontFixture};
use bc_core::{Sku, StatusId};

#[tokio::test]
async fn storefront_conformance_suite_passes_against_the_sandbox() {
    let sb = common::sandbox(40, 2);
    let bc = common::connect(&sb, "conformance");
    let sku = sb.skus()[0].clone();
    let fx = StorefrontFixture {
        status_with_orders: StatusId::new("11"),
        other_status: StatusId::new("9"),
        sku: Sku::new(sku.clone()),
    };
    run_all(&bc, &fx).await.expect("conformance");
    // The suite's inventory step set 7 at the configured location (1); the store holds it.
    assert_eq!(sb.stock_at(&sku, 1), Some(7));
}
