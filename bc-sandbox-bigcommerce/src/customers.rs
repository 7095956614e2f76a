//! v3 customers: `GET /v3/customers` with `id:in`, `email:in`, `customer_group_id:in`,
//! `company:in`, `name:in`, `name:like`, `date_created:min|max`, `date_modified:min|max`,
//! `sort`, paging and `include=addresses,storecredit`.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::state::*;
use crate::wire::{self, num, Page, Params};
use crate::App;

/// A customer on the wire.
pub fn customer_json(c: &Customer, include: &[String]) -> Value {
    let mut v = json!({
        "id": c.id,
        "authentication": { "force_password_reset": false },
        "company": c.company,
        "customer_group_id": c.customer_group_id,
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "notes": "",
        "phone": c.phone,
        "registration_ip_address": "",
        "tax_exempt_category": c.tax_exempt_category,
        "date_created": wire::rfc3339_z(c.date_created),
        "date_modified": wire::rfc3339_z(c.date_modified),
        "accepts_product_review_abandoned_cart_emails": false,
        "origin_channel_id": 1,
        "channel_ids": null,
    });
    if let Value::Object(m) = &mut v {
        if include.iter().any(|i| i == "storecredit") {
            m.insert(
                "store_credit_amounts".into(),
                json!([{ "amount": num(c.store_credit) }]),
            );
        }
        if include.iter().any(|i| i == "addresses") {
            let a = &c.address;
            m.insert("addresses".into(), json!([{
                "id": c.id * 10, "customer_id": c.id, "first_name": a.first_name, "last_name": a.last_name,
                "company": a.company, "address1": a.street_1, "address2": a.street_2, "city": a.city,
                "state_or_province": a.state, "postal_code": a.zip, "country": a.country,
                "country_code": a.country_iso2, "phone": a.phone, "address_type": if a.company.is_empty() { "residential" } else { "commercial" },
            }]));
            m.insert("address_count".into(), json!(1));
        }
    }
    v
}

/// `GET /v3/customers`.
pub async fn list(State(app): State<App>, Query(params): Query<Params>) -> Response {
    let ids = wire::list(params.get("id:in")).map(|l| {
        l.iter()
            .filter_map(|s| s.parse::<u64>().ok())
            .collect::<Vec<_>>()
    });
    let emails = wire::list(params.get("email:in"))
        .map(|l| l.iter().map(|e| e.to_lowercase()).collect::<Vec<_>>());
    let groups = wire::list(params.get("customer_group_id:in")).map(|l| {
        l.iter()
            .filter_map(|s| s.parse::<u32>().ok())
            .collect::<Vec<_>>()
    });
    let companies = wire::list(params.get("company:in"));
    let mut bounds = Vec::new();
    for k in [
        "date_modified:min",
        "date_modified:max",
        "date_created:min",
        "date_created:max",
    ] {
        match params.get(k).map(|v| wire::parse_date(v)) {
            None => bounds.push(None),
            Some(Some(d)) => bounds.push(Some(d)),
            Some(None) => return wire::v3_error(422, &format!("The filter '{k}' is invalid.")),
        }
    }
    let bound = |i: usize| bounds.get(i).copied().flatten();
    let names = wire::list(params.get("name:in"))
        .map(|l| l.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>());
    let like = wire::list(params.get("name:like"))
        .map(|l| l.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>());
    let include = wire::list(params.get("include")).unwrap_or_default();
    let store = app.shared.lock();
    let all: Vec<&Customer> = store
        .customers
        .iter()
        .filter(|c| ids.as_ref().is_none_or(|l| l.contains(&c.id)))
        .filter(|c| {
            emails
                .as_ref()
                .is_none_or(|l| l.contains(&c.email.to_lowercase()))
        })
        .filter(|c| {
            groups
                .as_ref()
                .is_none_or(|l| l.contains(&c.customer_group_id))
        })
        .filter(|c| companies.as_ref().is_none_or(|l| l.contains(&c.company)))
        .filter(|c| {
            bound(0).is_none_or(|d| c.date_modified >= d)
                && bound(1).is_none_or(|d| c.date_modified <= d)
        })
        .filter(|c| {
            bound(2).is_none_or(|d| c.date_created >= d)
                && bound(3).is_none_or(|d| c.date_created <= d)
        })
        .filter(|c| {
            let full = format!("{} {}", c.first_name, c.last_name).to_lowercase();
            names.as_ref().is_none_or(|l| l.contains(&full))
                && like
                    .as_ref()
                    .is_none_or(|l| l.iter().any(|n| full.contains(n.as_str())))
        })
        .collect();
    let mut all = all;
    match params.get("sort").map(String::as_str) {
        None => {}
        Some("date_created:asc") => all.sort_by_key(|c| (c.date_created, c.id)),
        Some("date_created:desc") => all.sort_by_key(|c| std::cmp::Reverse((c.date_created, c.id))),
        Some("date_modified:asc") => all.sort_by_key(|c| (c.date_modified, c.id)),
        Some("date_modified:desc") => {
            all.sort_by_key(|c| std::cmp::Reverse((c.date_modified, c.id)))
        }
        Some("last_name:asc") => {
            all.sort_by(|a, b| a.last_name.cmp(&b.last_name).then(a.id.cmp(&b.id)))
        }
        Some("last_name:desc") => {
            all.sort_by(|a, b| b.last_name.cmp(&a.last_name).then(b.id.cmp(&a.id)))
        }
        Some(other) => return wire::v3_error(422, &format!("The sort '{other}' is not valid.")),
    }
    let page = Page::from(&params, 250);
    let slice = page.slice(&all);
    Json(json!({ "data": slice.iter().map(|c| customer_json(c, &include)).collect::<Vec<_>>(), "meta": page.meta(all.len(), slice.len()) })).into_response()
}
