//! Customers: the QBO customer for a client and its display-name variants.

use bc_core::Client;

use super::*;
use crate::wire::{self, EmailAddress, Ref, TelephoneNumber};

/// A QBO customer for `client`, with `display_name` (possibly a unique variant).
pub fn customer(client: &Client, display_name: &str, refs: &Refs) -> wire::Customer {
    let contact = client.contact.as_ref();
    let name_part = |s: &str| {
        let t = clean_name(s, 100);
        (!t.is_empty()).then_some(t)
    };
    wire::Customer {
        display_name: Some(clean_name(display_name, MAX_DISPLAY_NAME)),
        company_name: client.company.as_deref().and_then(name_part),
        given_name: contact.and_then(|c| name_part(&c.first_name)),
        family_name: contact.and_then(|c| name_part(&c.last_name)),
        primary_email_addr: client
            .email
            .as_ref()
            .or(contact.and_then(|c| c.email.as_ref()))
            .map(|e| EmailAddress {
                address: Some(truncate(e.trim(), 100)),
            }),
        primary_phone: client
            .phone
            .as_ref()
            .or(contact.and_then(|c| c.phone.as_ref()))
            .map(|p| TelephoneNumber {
                free_form_number: Some(truncate(p.trim(), 30)),
            }),
        bill_addr: client.billing.as_ref().map(address),
        ship_addr: client.shipping.as_ref().map(address),
        notes: client
            .import_id
            .as_ref()
            .map(|k| note_with_marker(k, Some("created by bcsync"))),
        currency_ref: client
            .currency
            .filter(|c| refs.multicurrency && *c != refs.home_currency)
            .map(|c| Ref::id(c.code())),
        ..wire::Customer::default()
    }
}

/// The stable display-name variants tried, in order, when a name is taken (6240): the name,
/// then the name with the client's import id (or e-mail), then numbered variants of that.
pub fn display_name_variants(client: &Client) -> Vec<String> {
    let base = clean_name(&client.display_name, MAX_DISPLAY_NAME - 40);
    let base = if base.is_empty() {
        "Customer".to_string()
    } else {
        base
    };
    let tag = client
        .import_id
        .clone()
        .or_else(|| client.email.clone())
        .or_else(|| client.storefront_customer.as_ref().map(|c| c.to_string()));
    let mut out = vec![base.clone()];
    if let Some(t) = tag {
        let t = clean_name(&t, 36);
        out.push(format!("{base} ({t})"));
        for n in 2..=4 {
            out.push(format!("{base} ({t} {n})"));
        }
    } else {
        for n in 2..=5 {
            out.push(format!("{base} ({n})"));
        }
    }
    out
}
