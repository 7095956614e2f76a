//! A v3 customer (`GET /v3/customers`) → [`BcCustomer`].

use bc_core::{CustomerId, Error};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::wire::{entity_id, Obj};

/// A BigCommerce customer (v3), with its B2B company and group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BcCustomer {
    /// The customer id.
    pub id: CustomerId,
    /// E-mail.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Company.
    pub company: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Customer group id (B2B pricing group).
    pub customer_group_id: Option<String>,
    /// When the record was created.
    pub created_at: Option<DateTime<Utc>>,
}

/// A v3 customer.
pub fn parse_customer(v: &Value) -> Result<BcCustomer, Error> {
    let (id, what) = entity_id(v, "customer")?;
    let c = Obj::of(v, &what, "")?;
    Ok(BcCustomer {
        id: CustomerId::new(id),
        email: c.text("email")?,
        first_name: c.text("first_name")?,
        last_name: c.text("last_name")?,
        company: c.opt_text("company")?,
        phone: c.opt_text("phone")?,
        customer_group_id: c.opt_id("customer_group_id")?,
        created_at: c.opt_date("date_created")?,
    })
}
