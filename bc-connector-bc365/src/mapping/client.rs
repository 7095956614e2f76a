//! Clients → `customers`. The storefront customer id becomes the customer number
//! (`customer_number_prefix` + id, Code[20]), which is how [`bc_core::ClientKey::ImportId`]
//! finds it again; BC lets two customers share a display name.

use bc_core::{Client, Currency};
use serde_json::{json, Value};

use super::{fit, fit_key};

/// The customer number of a client import id.
pub fn customer_number(prefix: &str, import_id: &str) -> String {
    fit_key(&format!("{prefix}{import_id}"), 20)
}

/// The `POST customers` body.
pub fn customer(c: &Client, prefix: &str, home: Currency, tax_area: Option<(&str, bool)>) -> Value {
    let mut v = json!({
        "displayName": fit(&c.display_name, 100),
        "type": if c.company.is_some() { "Company" } else { "Person" },
    });
    if let Some(id) = &c.import_id {
        v["number"] = json!(customer_number(prefix, id));
    }
    if let Some(e) = c.email.as_deref().filter(|e| e.chars().count() <= 80) {
        v["email"] = json!(e);
    }
    if let Some(p) = &c.phone {
        v["phoneNumber"] = json!(fit(p, 30));
    }
    if let Some(a) = c.billing.as_ref() {
        v["addressLine1"] = json!(fit(&a.street_1, 100));
        v["addressLine2"] = json!(fit(a.street_2.as_deref().unwrap_or(""), 50));
        v["city"] = json!(fit(&a.city, 30));
        v["state"] = json!(fit(&a.state, 30));
        v["country"] = json!(fit(&a.country_iso2, 10));
        v["postalCode"] = json!(fit(&a.zip, 20));
    }
    if let Some(cur) = c.currency.filter(|c| *c != home) {
        v["currencyCode"] = json!(cur.to_string());
    }
    if let Some((area_id, liable)) = tax_area {
        v["taxAreaId"] = json!(area_id);
        v["taxLiable"] = json!(liable);
    }
    v
}
