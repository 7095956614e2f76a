//! What the storefront trait does not cover but an integration needs: v3 customers (B2B
//! company and group), an order's v3 transactions, and webhook registration.

use bc_core::Result;
use bc_http::ApiRequest;
use serde_json::{json, Value};

use super::BigCommerce;
use crate::client::{get_json, get_v3};
use crate::mapping::{parse_customer, BcCustomer};
use crate::wire::{v3_page, Obj};
use crate::MAX_PAGE;

impl BigCommerce {
    /// The v3 transactions of an order (raw JSON objects).
    pub async fn transactions(&self, order_id: &str) -> Result<Vec<Value>> {
        let what = format!("order {order_id} transactions");
        let req = ApiRequest::get("/v3/orders/{id}/transactions").path_param("id", order_id);
        Ok(get_v3(&self.client, req, &what).await?.0)
    }

    /// A customer by id (v3), with company and customer group.
    pub async fn customer(&self, id: &str) -> Result<Option<BcCustomer>> {
        self.customers_where("id:in", id).await.map(|mut v| v.pop())
    }

    /// Customers with this e-mail (v3 `email:in`).
    pub async fn customers_by_email(&self, email: &str) -> Result<Vec<BcCustomer>> {
        self.customers_where("email:in", email).await
    }

    async fn customers_where(&self, filter: &str, value: &str) -> Result<Vec<BcCustomer>> {
        let what = format!("customers {filter} {value}");
        let req = ApiRequest::get("/v3/customers").query(filter, value);
        let body = get_json(&self.client, req, &what).await?;
        v3_page(&body, &what)?
            .0
            .iter()
            .map(parse_customer)
            .collect()
    }

    /// Registers webhooks for `scopes` to `destination`, sending `secret` in header
    /// `secret_header` with every delivery (BigCommerce's documented way to authenticate
    /// deliveries). Existing hooks with the same scope and destination are kept, not
    /// duplicated. Returns the hook ids.
    pub async fn register_webhooks(
        &self,
        destination: &str,
        scopes: &[&str],
        secret_header: &str,
        secret: &secrecy::SecretString,
    ) -> Result<Vec<String>> {
        use secrecy::ExposeSecret;
        let what = "webhooks";
        let req = ApiRequest::get("/v3/hooks").query("limit", MAX_PAGE);
        let body = get_json(&self.client, req, what).await?;
        let existing = v3_page(&body, what)?.0.to_vec();
        let mut ids = Vec::new();
        for scope in scopes {
            let found = existing.iter().find(|h| {
                h.get("scope").and_then(Value::as_str) == Some(*scope)
                    && h.get("destination").and_then(Value::as_str) == Some(destination)
            });
            let hook = match found {
                Some(h) => h.clone(),
                None => {
                    let req = ApiRequest::post("/v3/hooks").json(&json!({
                        "scope": scope,
                        "destination": destination,
                        "is_active": true,
                        "headers": { secret_header: secret.expose_secret() },
                    }))?;
                    let created = get_json(&self.client, req, what).await?;
                    created.get("data").cloned().unwrap_or(created)
                }
            };
            let o = Obj::of(&hook, what, "")?;
            ids.push(o.id("id")?);
        }
        Ok(ids)
    }

    /// The store's webhooks (`GET /v3/hooks`, every page).
    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let what = "webhooks";
        let mut out = Vec::new();
        let mut page = 1u32;
        loop {
            let req = ApiRequest::get("/v3/hooks")
                .query("limit", MAX_PAGE)
                .query("page", page);
            let body = get_json(&self.client, req, what).await?;
            let (items, _) = v3_page(&body, what)?;
            let n = items.len();
            for h in items {
                let o = Obj::of(h, what, "")?;
                out.push(Webhook {
                    id: o.id("id")?,
                    scope: o.text("scope")?.to_string(),
                    destination: o.text("destination")?.to_string(),
                    is_active: h.get("is_active").and_then(Value::as_bool).unwrap_or(false),
                });
            }
            if n < MAX_PAGE as usize {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// Deletes every webhook whose destination is `destination` (`DELETE /v3/hooks/{id}`);
    /// returns the ids deleted.
    pub async fn remove_webhooks(&self, destination: &str) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for hook in self.webhooks().await? {
            if hook.destination == destination {
                let req = ApiRequest::delete("/v3/hooks/{id}").path_param("id", &hook.id);
                self.client.send(req).await?;
                removed.push(hook.id);
            }
        }
        Ok(removed)
    }
}

/// A registered webhook.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Webhook {
    /// Its id.
    pub id: String,
    /// The event scope (`store/order/created`…).
    pub scope: String,
    /// Where deliveries go.
    pub destination: String,
    /// Whether BigCommerce delivers to it.
    pub is_active: bool,
}
