//! Many documents through the API: the customer's running balance always equals its open
//! invoices minus unapplied payments, and numbering stays unique.

mod common;

use common::{dec, Harness};
use rust_decimal::Decimal;
use serde_json::json;

#[tokio::test]
async fn balances_stay_consistent_over_many_writes() {
    let h = Harness::us();
    h.sandbox.set_limits(100_000, 10);
    let mut ids = Vec::new();
    for i in 0..600u32 {
        let amount = Decimal::new(i64::from(i % 97) * 100 + 1999, 2);
        let (s, body) = h
            .post(
                "invoice",
                json!({ "CustomerRef": { "value": "1" },
                "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": amount,
                           "SalesItemLineDetail": { "ItemRef": { "value": "1" } } }] }),
            )
            .await;
        assert_eq!(s, 200, "{body}");
        ids.push((
            body["Invoice"]["Id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            amount,
        ));
    }
    for (id, amount) in ids.iter().step_by(3) {
        let (s, body) = h
            .post("payment", json!({ "CustomerRef": { "value": "1" }, "TotalAmt": amount + Decimal::ONE,
                "Line": [{ "Amount": amount, "LinkedTxn": [{ "TxnId": id, "TxnType": "Invoice" }] }] }))
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let open: Decimal = h
        .sandbox
        .invoices()
        .iter()
        .map(|i| dec(&i["Balance"]))
        .sum();
    let unapplied: Decimal = h
        .sandbox
        .payments()
        .iter()
        .map(|p| dec(&p["UnappliedAmt"]))
        .sum();
    let customer = h
        .sandbox
        .entity(bc_sandbox_qbo::EntityKind::Customer, "1")
        .unwrap_or_default();
    assert_eq!(dec(&customer["Balance"]), open - unapplied);
    assert_eq!(unapplied, Decimal::from(200));
    assert_eq!(h.sandbox.duplicates().extra_documents(), 0);
    let (_, count) = h
        .query("select count(*) from Invoice where Balance = '0'")
        .await;
    assert_eq!(count["QueryResponse"]["totalCount"], 200);
}
