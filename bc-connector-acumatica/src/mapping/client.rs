//! Customers: a stable `CustomerID` derived from the client's key, and the `Customer` record.

use bc_core::Client;
use serde_json::{json, Value};

use super::v;

/// A stable `CustomerID` for a client (Acumatica's customer key is entered, not numbered):
/// `W` + 9 base-36 digits of a hash of its import id (else e-mail, else name), so creating the
/// same client again upserts the same record.
pub fn customer_id(client: &Client) -> String {
    let key = client
        .import_id
        .clone()
        .or_else(|| client.email.clone().map(|e| e.to_lowercase()))
        .unwrap_or_else(|| client.display_name.clone());
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::new();
    for _ in 0..9 {
        out.push(char::from(
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(h % 36) as usize],
        ));
        h /= 36;
    }
    format!("W{out}")
}

/// The Customer record; the import id goes to `AccountRef`.
pub fn customer(client: &Client, class: &str) -> Value {
    let mut body = json!({
        "CustomerID": v(customer_id(client)),
        "CustomerName": v(client.display_name.clone()),
        "CustomerClass": v(class),
        "Email": v(client.email.clone()),
        "AccountRef": v(client.import_id.clone()),
        "MainContact": {
            "Email": v(client.email.clone()),
            "Phone1": v(client.phone.clone()),
            "CompanyName": v(client.company.clone()),
        },
    });
    if let Some(c) = client.currency {
        body["CurrencyID"] = v(c.code());
    }
    if let Some(a) = &client.billing {
        body["MainContact"]["Address"] = json!({
            "AddressLine1": v(a.street_1.clone()), "AddressLine2": v(a.street_2.clone()),
            "City": v(a.city.clone()), "State": v(a.state.clone()), "PostalCode": v(a.zip.clone()),
            "Country": v(a.country_iso2.clone()),
        });
    }
    body
}
