//! Which client a document goes to (O4): the keys to search, in order, and the client to
//! create when none is found.

use crate::client::{Client, ClientKey, Contact};
use crate::order::{Order, OrderCustomer};
use crate::settings::{ClientMode, Settings};

/// How to find or make the client of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientPlan {
    /// Keys to search, in order; the first found wins.
    pub keys: Vec<ClientKey>,
    /// The client to create when no key finds one.
    pub new_client: Client,
}

/// Plans the client of `order` under `orders.client_mode` and `orders.match_client_by_email`.
///
/// - `original`: the storefront customer id first (stored as the client's import id), then
///   the e-mail when `match_client_by_email` is on (guests and new customers), else a new
///   client named after the shopper;
/// - `organisation`: as `original`, but the company is the client when the order has one;
/// - `generic`: one client named `generic_client_name` for every sale.
pub fn plan_client(order: &Order, settings: &Settings) -> ClientPlan {
    let o = &settings.orders;
    let email = order
        .email
        .clone()
        .or_else(|| order.billing.email.clone())
        .filter(|e| !e.trim().is_empty());
    if o.client_mode == ClientMode::Generic {
        let name = o.generic_client_name.clone();
        return ClientPlan {
            keys: vec![ClientKey::DisplayName(name.clone())],
            new_client: Client {
                display_name: name,
                company: None,
                contact: None,
                email: None,
                phone: None,
                billing: None,
                shipping: None,
                import_id: None,
                storefront_customer: None,
                currency: None,
            },
        };
    }
    let company = order
        .billing
        .company
        .clone()
        .or_else(|| order.b2b.as_ref().and_then(|b| b.company.clone()))
        .filter(|c| !c.trim().is_empty());
    let person = order.billing.full_name();
    let display_name = match (o.client_mode, &company) {
        (ClientMode::Organisation, Some(c)) => c.clone(),
        _ if !person.is_empty() => person,
        _ => email
            .clone()
            .unwrap_or_else(|| format!("Customer of order {}", order.number)),
    };
    let mut keys = Vec::new();
    let storefront_customer = match &order.customer {
        OrderCustomer::Registered { id } => {
            keys.push(ClientKey::ImportId(id.to_string()));
            Some(id.clone())
        }
        OrderCustomer::Guest => None,
    };
    if o.match_client_by_email {
        if let Some(e) = &email {
            keys.push(ClientKey::Email(e.to_lowercase()));
        }
    }
    ClientPlan {
        keys,
        new_client: Client {
            display_name,
            company,
            contact: Some(Contact {
                first_name: order.billing.first_name.clone(),
                last_name: order.billing.last_name.clone(),
                email: email.clone(),
                phone: order.billing.phone.clone(),
            }),
            email,
            phone: order.billing.phone.clone(),
            billing: Some(order.billing.clone()),
            shipping: order.shipping_addresses.first().map(|s| s.address.clone()),
            import_id: storefront_customer.as_ref().map(|c| c.to_string()),
            storefront_customer,
            currency: Some(order.currency),
        },
    }
}
