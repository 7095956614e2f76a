//! `Ledger::catalog` against the Acumatica sandbox: taxes (with the zone `ledger.tax_zones`
//! gives them), the cash accounts active AR payment methods allow, those methods and the ship
//! vias; what changes in the ERP shows; and the codes are what a payment resolves.

mod common;

use bc_core::testkit::ledger::sample_document;
use bc_core::{
    CatalogEntry, Client, DocNumber, ImportId, ItemKey, Ledger, OrderId, Receipt, ReceiptState,
    Sku, SourceCode,
};
use common::{config, fixture, ledger, sandbox};
use serde_json::json;

fn codes(list: &[CatalogEntry]) -> Vec<&str> {
    list.iter().map(|e| e.code.as_str()).collect()
}

fn name_of<'a>(list: &'a [CatalogEntry], code: &str) -> Option<&'a str> {
    list.iter()
        .find(|e| e.code == code)
        .map(|e| e.name.as_str())
}

#[tokio::test]
async fn the_tenant_lists_taxes_cash_accounts_methods_and_ship_vias() {
    let sb = sandbox();
    let l = ledger(&sb, &config("cat1"));
    sb.stats().reset();
    let cat = l.catalog().await.expect("catalog");
    assert_eq!(
        codes(&cat.tax_codes),
        ["CASTATE", "EUVAT", "NYCITY", "NYSTATE", "TXSTATE"]
    );
    assert_eq!(
        name_of(&cat.tax_codes, "NYSTATE"),
        Some("New York State (tax zone NY)")
    );
    assert_eq!(
        name_of(&cat.tax_codes, "CASTATE"),
        Some("California (no tax zone in ledger.tax_zones)")
    );
    assert!(cat.tax_codes.iter().all(|t| t.rate.is_none()));
    assert_eq!(
        codes(&cat.receipt_types),
        ["CARD", "CASH", "CHECK", "GIFTCARD", "PAYPAL", "WIRE"]
    );
    assert_eq!(name_of(&cat.receipt_types, "CARD"), Some("Credit card"));
    assert_eq!(
        codes(&cat.accounts),
        ["10100", "10200", "10300", "24000", "24100"]
    );
    assert_eq!(
        name_of(&cat.accounts, "10200"),
        Some("Card clearing (undeposited funds)")
    );
    assert_eq!(
        codes(&cat.ship_vias),
        [
            "FEDEX2DAY",
            "FREIGHT",
            "PICKUP",
            "UPSGROUND",
            "USPSPRIORITY"
        ]
    );
    assert_eq!(
        cat.unknown,
        vec!["accounts".to_string()],
        "GL accounts are not listed"
    );
    // Three reads, no write.
    let snap = sb.stats().snapshot();
    assert!(snap.total <= 4, "{:?}", snap.by_route);
    assert!(
        snap.by_route.keys().all(|r| !r.starts_with("PUT")),
        "{:?}",
        snap.by_route
    );
}

#[tokio::test]
async fn what_changes_in_the_erp_shows() {
    let sb = sandbox();
    let l = ledger(&sb, &config("cat2"));
    // A new method allowed on a new cash account; an old one made inactive.
    l.client()
        .put(
            "PaymentMethod",
            &json!({"PaymentMethodID": {"value": "ACH"}, "Description": {"value": "ACH transfer"},
                    "AllowedCashAccounts": [{"CashAccount": {"value": "10100"}}]}),
            "",
            true,
        )
        .await
        .expect("made");
    l.client()
        .put(
            "PaymentMethod",
            &json!({"PaymentMethodID": {"value": "WIRE"}, "Active": {"value": false}}),
            "",
            false,
        )
        .await
        .expect("deactivated");
    let cat = l.catalog().await.expect("catalog");
    assert_eq!(name_of(&cat.receipt_types, "ACH"), Some("ACH transfer"));
    assert!(!codes(&cat.receipt_types).contains(&"WIRE"));
}

#[tokio::test]
async fn a_payment_resolves_the_listed_codes_and_refuses_others() {
    let sb = sandbox();
    let l = ledger(&sb, &config("cat3"));
    let cat = l.catalog().await.expect("catalog");
    let fx = fixture();
    let c = l
        .create_client(&Client {
            display_name: "Catalog buyer".into(),
            company: None,
            contact: None,
            email: Some("cat@example.com".into()),
            phone: None,
            billing: None,
            shipping: None,
            import_id: Some("cat3".into()),
            storefront_customer: None,
            currency: None,
        })
        .await
        .expect("client");
    let item = l
        .find_items(&[ItemKey::Sku(Sku::new("WIDGET-RED"))])
        .await
        .expect("items")
        .remove(0)
        .expect("seeded item");
    let id =
        ImportId::new(SourceCode::new("CAT").expect("code"), OrderId::new("1")).expect("import id");
    let doc = sample_document(
        &fx,
        &c.at,
        &item,
        id.clone(),
        DocNumber::Fixed("CAT-1".into()),
    );
    let at = l.post_sales_document(&doc).await.expect("posted");
    let mut receipt = Receipt {
        import_id: id,
        sequence: 0,
        document: at,
        client: c.at,
        receipt_type: "ACH".into(),
        deposit_account: "10200".into(),
        amount: doc.balance_due(),
        currency: bc_core::Currency::USD,
        state: ReceiptState::Captured,
        date: doc.date,
        reference: None,
    };
    // Not listed: refused by the ERP.
    assert!(!codes(&cat.receipt_types).contains(&"ACH"));
    assert!(l.post_receipt(&receipt).await.is_err());
    // Listed, as the catalog writes them: recorded.
    receipt.receipt_type = codes(&cat.receipt_types)
        .into_iter()
        .find(|c| *c == "PAYPAL")
        .expect("PAYPAL listed")
        .to_string();
    receipt.deposit_account = name_of(&cat.accounts, "10300")
        .map(|_| "10300".to_string())
        .expect("10300 listed");
    l.post_receipt(&receipt).await.expect("recorded");
}
