//! ERP-originated orders (E1): which orders entered in Acumatica go to the storefront, and
//! the storefront order they become.
//!
//! An order qualifies when **any** configured condition holds (its order type is listed, its
//! customer's class is listed, its flag field is true) **and** its ship via is mapped to a
//! storefront shipping method **and**, when `require_zero_balance` is set, its unpaid balance
//! is 0.00. An order that does not qualify yet is kept and checked again later.

use bc_core::{Address, Currency, NewOrder, NewOrderLine, Sku, StatusId};
use rust_decimal::Decimal;
use serde_json::Value;

use super::{boolean, dec, rows, text};
use crate::config::{AcumaticaConfig, ErpOrderRules};

/// Whether a record was posted by bcsync from a storefront order (`CustomerOrder` holds the
/// import id and `ExternalRef` repeats it).
pub fn from_storefront(row: &Value) -> bool {
    matches!((text(row, "CustomerOrder"), text(row, "ExternalRef")), (Some(a), Some(b)) if a == b)
}

/// The storefront number written back on an ERP order, when linked.
pub fn storefront_number(row: &Value) -> Option<String> {
    if from_storefront(row) {
        None
    } else {
        text(row, "ExternalRef")
    }
}

/// The verdict on an ERP order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Goes to the storefront with this shipping method.
    Qualifies(String),
    /// Not yet: why.
    Waiting(String),
}

/// Applies the rules to an order (with `Totals` expanded) and its customer's class.
pub fn qualify(
    order: &Value,
    customer_class: Option<&str>,
    rules: &ErpOrderRules,
    ship_via_map: &std::collections::BTreeMap<String, String>,
) -> Verdict {
    let status = text(order, "Status").unwrap_or_default();
    if !matches!(status.as_str(), "Open" | "Shipping" | "Completed") {
        return Verdict::Waiting(format!("status is {status}"));
    }
    let ty = text(order, "OrderType").unwrap_or_default();
    let by_type = rules
        .order_types
        .iter()
        .any(|t| t.eq_ignore_ascii_case(&ty));
    let by_class = customer_class.is_some_and(|c| {
        rules
            .customer_classes
            .iter()
            .any(|x| x.eq_ignore_ascii_case(c))
    });
    let by_flag = rules
        .flag_field
        .as_ref()
        .is_some_and(|f| boolean(order, f) == Some(true));
    if !(by_type || by_class || by_flag) {
        return Verdict::Waiting(format!(
            "no sync condition holds (order type {ty}, customer class {}, flag {})",
            customer_class.unwrap_or("?"),
            rules.flag_field.as_deref().unwrap_or("not configured")
        ));
    }
    let via = text(order, "ShipVia").unwrap_or_default();
    let Some(method) = ship_via_map
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&via))
        .map(|(_, m)| m.clone())
    else {
        return Verdict::Waiting(format!(
            "ship via `{via}` is not mapped in `ledger.ship_via_map`"
        ));
    };
    if rules.require_zero_balance {
        let unpaid = order
            .get("Totals")
            .and_then(|t| dec(t, "UnpaidBalance"))
            .unwrap_or(Decimal::ONE);
        if !unpaid.is_zero() {
            return Verdict::Waiting(format!("unpaid balance {unpaid}"));
        }
    }
    Verdict::Qualifies(method)
}

fn address(row: Option<&Value>, contact: Option<&Value>) -> Address {
    let a = row.cloned().unwrap_or(Value::Null);
    let c = contact.cloned().unwrap_or(Value::Null);
    let name = text(&c, "Attention")
        .or_else(|| text(&c, "BusinessName"))
        .unwrap_or_default();
    let (first, last) = name
        .split_once(' ')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap_or((name.clone(), String::new()));
    Address {
        first_name: first,
        last_name: last,
        company: text(&c, "BusinessName"),
        street_1: text(&a, "AddressLine1").unwrap_or_default(),
        street_2: text(&a, "AddressLine2"),
        city: text(&a, "City").unwrap_or_default(),
        state: text(&a, "State").unwrap_or_default(),
        zip: text(&a, "PostalCode").unwrap_or_default(),
        country: text(&a, "Country").unwrap_or_default(),
        country_iso2: text(&a, "Country").unwrap_or_default(),
        phone: text(&c, "Phone1"),
        email: text(&c, "Email"),
    }
}

/// The storefront order an ERP order becomes (`Details`, addresses and `Totals` expanded).
pub fn storefront_order(order: &Value, shipping_method: String, cfg: &AcumaticaConfig) -> NewOrder {
    let nbr = format!(
        "{} {}",
        text(order, "OrderType").unwrap_or_default(),
        text(order, "OrderNbr").unwrap_or_default()
    );
    NewOrder {
        ledger_number: nbr.clone(),
        customer_id: None,
        billing: address(order.get("BillToAddress"), order.get("BillToContact")),
        shipping: address(order.get("ShipToAddress"), order.get("ShipToContact")),
        shipping_method: Some(shipping_method),
        lines: rows(order, "Details")
            .iter()
            .map(|l| NewOrderLine {
                sku: Sku::new(text(l, "InventoryID").unwrap_or_default()),
                name: text(l, "LineDescription")
                    .unwrap_or_else(|| text(l, "InventoryID").unwrap_or_default()),
                quantity: dec(l, "OrderQty").unwrap_or_default(),
                unit_price_ex_tax: dec(l, "UnitPrice").unwrap_or_default(),
            })
            .collect(),
        shipping_ex_tax: order
            .get("Totals")
            .and_then(|t| dec(t, "Freight"))
            .unwrap_or_default(),
        status: StatusId::new(cfg.erp_orders.storefront_status.clone()),
        currency: text(order, "CurrencyID")
            .and_then(|c| c.parse().ok())
            .unwrap_or(Currency::USD),
        staff_notes: Some(format!("Acumatica order {nbr}")),
    }
}

/// The update that links an ERP order (type, number) to the storefront order it became:
/// `ExternalRef` = the storefront's order id.
pub fn link_to_storefront(order_type: &str, order_nbr: &str, storefront_order: &str) -> Value {
    serde_json::json!({
        "OrderType": super::v(order_type),
        "OrderNbr": super::v(order_nbr),
        "ExternalRef": super::v(storefront_order),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(ty: &str, via: &str, unpaid: &str, flag: bool) -> Value {
        json!({"OrderType": {"value": ty}, "OrderNbr": {"value": "SO1"}, "Status": {"value": "Open"}, "ShipVia": {"value": via},
               "UsrSyncToStore": {"value": flag}, "Totals": {"UnpaidBalance": {"value": unpaid.parse::<f64>().ok()}}})
    }

    /// The qualification table: any condition AND ship via mapped AND (when set) balance 0.
    #[test]
    fn qualification_rules_table() {
        let map: std::collections::BTreeMap<String, String> =
            [("UPSGROUND".to_string(), "UPS Ground".to_string())].into();
        let rules = ErpOrderRules {
            order_types: vec!["WO".into()],
            customer_classes: vec!["WEB".into()],
            flag_field: Some("UsrSyncToStore".into()),
            require_zero_balance: true,
            storefront_status: "1".into(),
        };
        let no_balance = ErpOrderRules {
            require_zero_balance: false,
            ..rules.clone()
        };
        let cases: Vec<(Value, Option<&str>, &ErpOrderRules, bool)> = vec![
            (
                order("WO", "UPSGROUND", "0", false),
                Some("RETAIL"),
                &rules,
                true,
            ), // type
            (
                order("SO", "UPSGROUND", "0", false),
                Some("WEB"),
                &rules,
                true,
            ), // class
            (
                order("SO", "UPSGROUND", "0", true),
                Some("RETAIL"),
                &rules,
                true,
            ), // flag
            (
                order("SO", "UPSGROUND", "0", false),
                Some("RETAIL"),
                &rules,
                false,
            ), // no condition
            (
                order("WO", "PICKUP", "0", false),
                Some("WEB"),
                &rules,
                false,
            ), // ship via unmapped
            (
                order("WO", "UPSGROUND", "12.5", false),
                Some("WEB"),
                &rules,
                false,
            ), // unpaid
            (
                order("WO", "UPSGROUND", "12.5", false),
                Some("WEB"),
                &no_balance,
                true,
            ),
            (order("wo", "upsground", "0", false), None, &rules, true), // case-insensitive
        ];
        for (i, (o, class, r, want)) in cases.iter().enumerate() {
            let got = matches!(qualify(o, *class, r, &map), Verdict::Qualifies(_));
            assert_eq!(got, *want, "case {i}: {:?}", qualify(o, *class, r, &map));
        }
        let mut held = order("WO", "UPSGROUND", "0", false);
        held["Status"] = json!({"value": "On Hold"});
        assert!(matches!(
            qualify(&held, None, &rules, &map),
            Verdict::Waiting(_)
        ));
    }
}
