//! Order statuses: `GET /v2/order_statuses` rows → [`bc_core::OrderStatus`], and a
//! [`bc_core::StatusId`] → the number BigCommerce takes.

use bc_core::{Error, OrderStatus, StatusId};
use serde_json::Value;

use crate::error::invalid;
use crate::wire::Obj;

/// `GET /v2/order_statuses` rows.
pub fn parse_statuses(rows: &[Value]) -> Result<Vec<OrderStatus>, Error> {
    rows.iter()
        .enumerate()
        .map(|(i, v)| {
            let path = format!("[{i}]");
            let s = Obj::of(v, "order statuses", &path)?;
            let name = s
                .opt_text("system_label")?
                .or(s.opt_text("name")?)
                .unwrap_or_default();
            let label = s.opt_text("custom_label")?.filter(|l| *l != name);
            Ok(OrderStatus {
                id: StatusId::new(s.status_id("id")?),
                name,
                custom_label: label,
            })
        })
        .collect()
}

/// The number of a status id (`"11"` → 11) as v2 takes it in `status_id`.
pub fn status_number(status: &StatusId) -> Result<u32, Error> {
    status
        .as_str()
        .trim()
        .parse::<u32>()
        .map_err(|_| invalid(format!("`{status}` is not a BigCommerce status id (0-14)")))
}
