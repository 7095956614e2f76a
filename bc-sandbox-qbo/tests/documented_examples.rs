//! Intuit's documented request/response examples replayed against the sandbox and compared
//! field by field (names, JSON types, values; ids, dates and times only by type).

mod common;

use common::{assert_matches_doc, Harness};
use serde_json::{json, Value};

const VOLATILE: &[&str] = &[
    "Id",
    "DocNumber",
    "TxnDate",
    "DueDate",
    "CreateTime",
    "LastUpdatedTime",
    "time",
];

fn doc(text: &str) -> Value {
    serde_json::from_str(text).expect("documented example parses")
}

/// Intuit API reference, Invoice → "Create an invoice" (request and response).
#[tokio::test]
async fn invoice_create_matches_the_documented_example() {
    let h = Harness::us();
    let request = doc(r#"{
      "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 100.0,
                 "SalesItemLineDetail": { "ItemRef": { "name": "Services", "value": "1" } } }],
      "CustomerRef": { "value": "1" }
    }"#);
    let documented = doc(r#"{
      "Invoice": {
        "TxnDate": "2015-07-24", "domain": "QBO", "PrintStatus": "NeedToPrint", "TotalAmt": 100.0,
        "Line": [
          { "LineNum": 1, "Amount": 100.0,
            "SalesItemLineDetail": { "TaxCodeRef": { "value": "NON" }, "ItemRef": { "name": "Services", "value": "1" } },
            "Id": "1", "DetailType": "SalesItemLineDetail" },
          { "DetailType": "SubTotalLineDetail", "Amount": 100.0, "SubTotalLineDetail": {} }
        ],
        "DueDate": "2015-08-23", "ApplyTaxAfterDiscount": false, "DocNumber": "1069", "sparse": false,
        "ProjectRef": { "value": "39298034" }, "Deposit": 0, "Balance": 100.0,
        "CustomerRef": { "name": "Amy's Bird Sanctuary", "value": "1" },
        "TxnTaxDetail": { "TotalTax": 0 }, "SyncToken": "0", "LinkedTxn": [],
        "ShipAddr": { "City": "Bayshore", "Line1": "4581 Finch St.", "PostalCode": "94326", "Lat": "INVALID",
                      "Long": "INVALID", "CountrySubDivisionCode": "CA", "Id": "109" },
        "EmailStatus": "NotSet",
        "BillAddr": { "City": "Bayshore", "Line1": "4581 Finch St.", "PostalCode": "94326", "Lat": "INVALID",
                      "Long": "INVALID", "CountrySubDivisionCode": "CA", "Id": "2" },
        "MetaData": { "CreateTime": "2015-07-24T10:33:39-07:00", "LastUpdatedTime": "2015-07-24T10:33:39-07:00" },
        "CustomField": [{ "DefinitionId": "1", "Type": "StringType", "Name": "Crew #" }],
        "Id": "130"
      },
      "time": "2015-07-24T10:33:39.11-07:00"
    }"#);
    let (status, body) = h.post("invoice?minorversion=75", request).await;
    assert_eq!(status, 200, "{body}");
    assert_matches_doc(
        &documented,
        &body,
        "$",
        VOLATILE,
        &["ProjectRef", "CustomField"],
    );
    // DueDate follows TxnDate by the default 30-day term, as in the example.
    let txn = chrono::NaiveDate::parse_from_str(
        body["Invoice"]["TxnDate"].as_str().unwrap_or(""),
        "%Y-%m-%d",
    );
    let due = chrono::NaiveDate::parse_from_str(
        body["Invoice"]["DueDate"].as_str().unwrap_or(""),
        "%Y-%m-%d",
    );
    assert_eq!(
        due.ok().zip(txn.ok()).map(|(d, t)| (d - t).num_days()),
        Some(30)
    );
}

/// Intuit API reference, Customer → "Create a customer".
#[tokio::test]
async fn customer_create_matches_the_documented_example() {
    let h = Harness::us();
    let request = doc(r#"{
      "FullyQualifiedName": "King Groceries", "PrimaryEmailAddr": { "Address": "jdrew@myemail.com" },
      "DisplayName": "King's Groceries", "Suffix": "Jr", "Title": "Mr", "MiddleName": "B",
      "Notes": "Here are other details.", "FamilyName": "King",
      "PrimaryPhone": { "FreeFormNumber": "(555) 555-5555" }, "CompanyName": "King Groceries",
      "BillAddr": { "CountrySubDivisionCode": "CA", "City": "Mountain View", "PostalCode": "94042",
                    "Line1": "123 Main Street", "Country": "USA" },
      "GivenName": "James"
    }"#);
    let documented = doc(r#"{
      "Customer": {
        "domain": "QBO", "PrimaryEmailAddr": { "Address": "jdrew@myemail.com" },
        "DisplayName": "King's Groceries", "CurrencyRef": { "name": "United States Dollar", "value": "USD" },
        "DefaultTaxCodeRef": { "value": "2" }, "PreferredDeliveryMethod": "Print", "GivenName": "James",
        "FullyQualifiedName": "King's Groceries", "BillWithParent": false, "Title": "Mr", "Job": false,
        "BalanceWithJobs": 0, "PrimaryPhone": { "FreeFormNumber": "(555) 555-5555" }, "Taxable": true,
        "MetaData": { "CreateTime": "2015-07-23T10:58:12-07:00", "LastUpdatedTime": "2015-07-23T10:58:12-07:00" },
        "BillAddr": { "City": "Mountain View", "Country": "USA", "Line1": "123 Main Street",
                      "PostalCode": "94042", "CountrySubDivisionCode": "CA", "Id": "112" },
        "MiddleName": "B", "Notes": "Here are other details.", "Active": true, "Balance": 0,
        "SyncToken": "0", "Suffix": "Jr", "CompanyName": "King Groceries", "FamilyName": "King",
        "PrintOnCheckName": "King Groceries", "sparse": false, "Id": "67"
      },
      "time": "2015-07-23T10:58:12.099-07:00"
    }"#);
    let (status, body) = h.post("customer", request).await;
    assert_eq!(status, 200, "{body}");
    assert_matches_doc(&documented, &body, "$", VOLATILE, &["DefaultTaxCodeRef"]);
}

/// Intuit's batch example: a vendor create (6240: the name exists), a delete of a missing
/// invoice (610), a stale sparse update (5010), and a query.
#[tokio::test]
async fn batch_matches_the_documented_example() {
    let h = Harness::us();
    let (s, _) = h
        .post("vendor", json!({ "DisplayName": "Smith Family Store" }))
        .await;
    assert_eq!(s, 200);
    let (s, receipt) = h
        .post(
            "salesreceipt",
            json!({
                "DocNumber": "1003", "PrivateNote": "A private note.", "CustomerRef": { "value": "1" },
                "Line": [{ "Description": "Custom Design", "DetailType": "SalesItemLineDetail", "Amount": 337.5,
                           "SalesItemLineDetail": { "ItemRef": { "value": "1" }, "Qty": 4.5, "UnitPrice": 75 } }]
            }),
        )
        .await;
    assert_eq!(s, 200, "{receipt}");
    let id = receipt["SalesReceipt"]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // Someone else edits it first: SyncToken moves to 1.
    let (s, _) = h
        .post(
            "salesreceipt",
            json!({ "Id": id, "SyncToken": "0", "sparse": true, "Memo": "edit" }),
        )
        .await;
    assert_eq!(s, 200);
    let request = json!({
      "BatchItemRequest": [
        { "bId": "bid1", "Vendor": { "DisplayName": "Smith Family Store" }, "operation": "create" },
        { "bId": "bid2", "operation": "delete", "Invoice": { "SyncToken": "0", "Id": "129" } },
        { "SalesReceipt": { "PrivateNote": "A private note.", "SyncToken": "0", "domain": "QBO", "Id": id, "sparse": true },
          "bId": "bid3", "operation": "update" },
        { "Query": "select * from SalesReceipt where TotalAmt > '300.00'", "bId": "bid4" }
      ]
    });
    let documented = doc(r#"{
      "BatchItemResponse": [
        { "Fault": { "type": "ValidationFault", "Error": [{ "Message": "Duplicate Name Exists Error", "code": "6240" }] }, "bId": "bid1" },
        { "Fault": { "type": "ValidationFault", "Error": [{ "Message": "Object Not Found", "code": "610",
            "Detail": "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.",
            "element": "" }] }, "bId": "bid2" },
        { "Fault": { "type": "ValidationFault", "Error": [{ "Message": "Stale Object Error", "code": "5010",
            "Detail": "Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.",
            "element": "" }] }, "bId": "bid3" },
        { "bId": "bid4", "QueryResponse": {
            "SalesReceipt": [{ "domain": "QBO", "CurrencyRef": { "name": "United States Dollar", "value": "USD" },
              "TotalAmt": 337.5,
              "Line": [
                { "Description": "Custom Design", "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": { "TaxCodeRef": { "value": "NON" }, "Qty": 4.5, "UnitPrice": 75,
                                           "ItemRef": { "name": "Services", "value": "1" } },
                  "LineNum": 1, "Amount": 337.5, "Id": "1" },
                { "DetailType": "SubTotalLineDetail", "Amount": 337.5, "SubTotalLineDetail": {} }
              ],
              "DocNumber": "1003", "PrivateNote": "A private note.", "sparse": false, "Balance": 0,
              "CustomerRef": { "name": "Amy's Bird Sanctuary", "value": "1" },
              "TxnTaxDetail": { "TotalTax": 0 }, "SyncToken": "1", "EmailStatus": "NotSet", "PrintStatus": "NotSet",
              "DepositToAccountRef": { "name": "Undeposited Funds" },
              "MetaData": { "CreateTime": "2015-08-27T14:59:48-07:00", "LastUpdatedTime": "2016-04-15T09:01:10-07:00" },
              "TxnDate": "2015-08-25", "Id": "11" }],
            "startPosition": 1, "maxResults": 1 } }
      ],
      "time": "2016-04-15T09:01:18.141-07:00"
    }"#);
    let (status, body) = h.post("batch", request).await;
    assert_eq!(status, 200, "{body}");
    assert_matches_doc(&documented, &body, "$", VOLATILE, &[]);
    let detail = body["BatchItemResponse"][0]["Fault"]["Error"][0]["Detail"]
        .as_str()
        .unwrap_or_default();
    assert!(
        detail.starts_with("The name supplied already exists."),
        "{detail}"
    );
}

/// The documented query shape, with paging and `count(*)`.
#[tokio::test]
async fn query_responses_have_the_documented_shape() {
    let h = Harness::us();
    let (s, body) = h
        .query("select * from Customer where DisplayName = 'Amy\\'s Bird Sanctuary'")
        .await;
    assert_eq!(s, 200, "{body}");
    let documented = doc(r#"{
      "QueryResponse": {
        "Customer": [{ "DisplayName": "Amy's Bird Sanctuary", "Id": "1", "domain": "QBO", "sparse": false,
                       "PrimaryEmailAddr": { "Address": "Birds@Intuit.com" }, "Active": true,
                       "CurrencyRef": { "name": "United States Dollar", "value": "USD" } }],
        "startPosition": 1, "maxResults": 1
      },
      "time": "2016-04-15T09:01:18.141-07:00"
    }"#);
    assert_matches_doc(&documented, &body, "$", VOLATILE, &[]);

    let (_, count) = h.query("select count(*) from Item").await;
    assert_eq!(count["QueryResponse"]["totalCount"], 5);
    let (_, page) = h
        .query("select * from Item ORDERBY Name DESC STARTPOSITION 2 MAXRESULTS 2")
        .await;
    let names: Vec<&str> = page["QueryResponse"]["Item"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["Name"].as_str())
        .collect();
    assert_eq!(names, vec!["Shipping", "Services"]);
    assert_eq!(page["QueryResponse"]["startPosition"], 2);
    let (_, none) = h.query("select * from Invoice").await;
    assert_eq!(none["QueryResponse"], json!({}));
    let (s, bad) = h.query("select * frm Invoice").await;
    assert_eq!(s, 400);
    assert_eq!(bad["Fault"]["Error"][0]["code"], "4000");
    assert_eq!(bad["Fault"]["type"], "ValidationFault");
}

/// A read of a missing object: the documented `Fault` envelope with 610.
#[tokio::test]
async fn object_not_found_fault() {
    let h = Harness::us();
    let (s, body) = h.get("invoice/999?minorversion=75").await;
    assert_eq!(s, 400);
    let documented = doc(r#"{
      "Fault": { "Error": [{ "Message": "Object Not Found",
        "Detail": "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.",
        "code": "610", "element": "" }], "type": "ValidationFault" },
      "time": "2015-07-24T10:33:39.11-07:00"
    }"#);
    assert_matches_doc(&documented, &body, "$", VOLATILE, &[]);
}

/// The throttle body as QBO sends it (type SERVICE, code 3001), counted by the kit's stats.
#[tokio::test]
async fn throttle_body_and_count() {
    let h = Harness::us();
    h.sandbox.set_limits(3, 10);
    for _ in 0..3 {
        let (s, _) = h.get("companyinfo/1").await;
        assert_eq!(s, 200);
    }
    let (s, body) = h.get("companyinfo/1").await;
    assert_eq!(s, 429);
    let documented = doc(r#"{
      "Fault": { "type": "SERVICE", "Error": [{ "code": "3001",
        "Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "Detail": "The request limit was reached.  Try again later" }] },
      "time": "2016-12-07T15:27:09.527-08:00"
    }"#);
    assert_matches_doc(&documented, &body, "$", VOLATILE, &[]);
    let stats = h.sandbox.stats().snapshot();
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.by_status.get("429"), Some(&1));
    assert_eq!(
        stats
            .by_route
            .get("GET /v3/company/{realm_id}/{entity}/{id}"),
        Some(&4)
    );
}
