//! BigCommerce: orders (with their products, addresses, coupons, taxes and transactions, and
//! with embedded consignments), refunds, shipments, webhook deliveries, customers and order
//! statuses, through `bc_connector_bigcommerce`'s public parsers. Seeds: the connector's
//! `tests/fixtures/` (the documented examples of bigcommerce/docs `reference/`).

use bc_connector_bigcommerce::parse::{
    consignment_parts, order_needs, parse_customer, parse_order, parse_order_json, parse_refund,
    parse_shipment_ref, parse_statuses, v3_page, OrderParts,
};
use bc_core::Currency;
use bc_server::{parse_bigcommerce_delivery, WebhookEvent};
use serde_json::{json, Value};

use super::{BytesTarget, Corpus, Doc, JsonTarget};
use crate::engine::{Mode, Outcome, Runnable, Target};
use crate::gen::Gen;
use crate::seeds;

const FIXTURES: &str = "bc-connector-bigcommerce/tests/fixtures";

fn fixture(name: &str) -> Result<Value, String> {
    seeds::json(&format!("{FIXTURES}/{name}.json"))
}

/// The documented `store/order/*` callbacks (bigcommerce/docs `reference/webhooks.v3.yml`,
/// `store_order_created`, `store_order_statusUpdated`), besides the fixture.
fn webhook_examples() -> Vec<Value> {
    vec![
        json!({"created_at": 1561482670, "store_id": "1025646", "producer": "stores/{store_hash}",
               "scope": "store/order/created", "hash": "352e4afc6dd3fc85ea26bfdf3f91852604d57528",
               "data": {"type": "order", "id": 250}}),
        json!({"created_at": 1561479335, "store_id": "1025646", "producer": "stores/{store_hash}",
               "scope": "store/order/statusUpdated", "hash": "dd70c0976e06b67aaf671e73f49dcb79230ebf9d",
               "data": {"type": "order", "id": 250, "status": {"previous_status_id": 0, "new_status_id": 11}}}),
    ]
}

/// The oracle beyond "no panic": an id the parser accepted is one BigCommerce could send, a
/// positive integer's digits (bigcommerce/docs `reference/`: every id is `type: integer`).
/// A wrong id counts as a panic of the run.
fn assert_id(what: &str, id: &str) {
    assert!(
        !id.is_empty() && !id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()),
        "{what}: accepted id `{id}` is not a positive integer"
    );
}

/// Every BigCommerce target.
pub fn targets() -> Result<Vec<Box<dyn Runnable>>, String> {
    let refund = fixture("refund_12")?;
    let refund_page = json!({"data": [refund["data"].clone()], "meta": {"pagination": {"total": 1, "total_pages": 1}}});
    let mut hooks = vec![fixture("webhook_refund_created")?];
    hooks.extend(webhook_examples());
    Ok(vec![
        Box::new(OrderTarget::new()?),
        Box::new(JsonTarget::new(
            "bigcommerce.order_json",
            Corpus::new(vec![order_with_consignments()?], &[])?,
            |v| match parse_order_json(v) {
                Ok(o) => {
                    assert_id("order", o.id.as_str());
                    let _ = o.check_totals();
                    true
                }
                Err(_) => false,
            },
        )),
        Box::new(JsonTarget::new(
            "bigcommerce.refund",
            Corpus::new(vec![refund, refund_page], &[])?,
            refunds,
        )),
        Box::new(JsonTarget::new(
            "bigcommerce.shipment",
            Corpus::new(vec![fixture("shipment_11")?], &[])?,
            |v| match parse_shipment_ref(v, "228") {
                Ok(s) => {
                    assert_id("shipment", s.id.as_str());
                    true
                }
                Err(_) => false,
            },
        )),
        Box::new(BytesTarget::new(
            "bigcommerce.webhook",
            Corpus::new(
                hooks,
                &[
                    "refund",
                    "refund_id",
                    "status",
                    "previous_status_id",
                    "new_status_id",
                ],
            )?,
            |b| match parse_bigcommerce_delivery(b) {
                Ok(e) => {
                    match &e {
                        Some(WebhookEvent::Order { id, .. }) => assert_id("webhook order", id),
                        Some(WebhookEvent::Refund { order_id, .. }) => {
                            assert_id("webhook refund's order", order_id)
                        }
                        _ => {}
                    }
                    true
                }
                Err(_) => false,
            },
        )),
        Box::new(JsonTarget::new(
            "bigcommerce.customers",
            Corpus::new(vec![fixture("customers")?], &[])?,
            |v| match v3_page(v, "customers") {
                Ok((rows, _)) => rows.iter().all(|c| match parse_customer(c) {
                    Ok(c) => {
                        assert_id("customer", c.id.as_str());
                        true
                    }
                    Err(_) => false,
                }),
                Err(_) => false,
            },
        )),
        Box::new(JsonTarget::new(
            "bigcommerce.statuses",
            Corpus::new(vec![fixture("statuses")?], &[])?,
            |v| match v {
                Value::Array(rows) => parse_statuses(rows).is_ok(),
                _ => false,
            },
        )),
    ])
}

/// A refund body: `{data: {…}}` (one refund) or a v3 page of them.
fn refunds(v: &Value) -> bool {
    let one = |r: &Value| match parse_refund(r, Currency::USD) {
        Ok(r) => {
            assert_id("refund", r.id.as_str());
            assert_id("refund's order", r.order_id.as_str());
            true
        }
        Err(_) => false,
    };
    match v.get("data") {
        Some(d @ Value::Object(_)) => one(d),
        Some(_) => match v3_page(v, "refunds") {
            Ok((rows, _)) => rows.iter().all(one),
            Err(_) => false,
        },
        None => one(v),
    }
}

/// Order 218 as `include=consignments.line_items` returns it.
fn order_with_consignments() -> Result<Value, String> {
    let mut order = fixture("order_218")?;
    let mut shipping = fixture("shipping_address_42")?;
    shipping["line_items"] = fixture("products_149")?;
    order["consignments"] = json!([{ "shipping": [shipping] }]);
    Ok(order)
}

/// The parts of one order, each a document of its own.
const PARTS: usize = 6;

/// An order and its sub-resources, as [`bc_connector_bigcommerce::BigCommerce`] fetches them
/// (`/v2/orders/{id}`, `/products`, `/shipping_addresses`, `/coupons`, `/taxes`, v3
/// transactions), read by `order_needs`, `consignment_parts` and `parse_order`; an accepted
/// order is also given to `Order::check_totals`, as the engine does.
pub struct OrderTarget {
    parts: [Corpus; PARTS],
}

impl OrderTarget {
    /// Seeds: orders 218 and 247 with 218's sub-resources.
    pub fn new() -> Result<Self, String> {
        Ok(OrderTarget {
            parts: [
                Corpus::new(
                    vec![
                        fixture("order_218")?,
                        fixture("order_247")?,
                        order_with_consignments()?,
                    ],
                    &[],
                )?,
                Corpus::new(vec![fixture("products_149")?], &[])?,
                Corpus::new(vec![json!([fixture("shipping_address_42")?])], &[])?,
                Corpus::new(vec![fixture("coupons")?], &[])?,
                Corpus::new(vec![fixture("taxes")?], &[])?,
                Corpus::new(vec![fixture("transactions")?], &[])?,
            ],
        })
    }
}

/// One input: each part, and whether transactions were fetched.
pub type PartsInput = ([Doc; PARTS], bool);

impl Target for OrderTarget {
    type Input = PartsInput;

    fn name(&self) -> &'static str {
        "bigcommerce.order"
    }

    fn make(&self, mode: Mode, g: &mut Gen) -> PartsInput {
        // One or two parts are made in `mode`; the others are examples, so the input stays
        // close enough to a real order to reach the last lines of the parser.
        let first = g.below(PARTS);
        let second = if g.chance(0.3) { g.below(PARTS) } else { first };
        let with_transactions = g.chance(0.7);
        let parts = std::array::from_fn(|i| {
            if i == first || i == second || mode == Mode::Generated && g.chance(0.3) {
                self.parts[i].make(mode, g)
            } else {
                let seeds = self.parts[i].seeds();
                Doc::Json(seeds[g.below(seeds.len())].clone())
            }
        });
        (parts, with_transactions)
    }

    fn parse(&self, (docs, with_transactions): &PartsInput) -> Outcome {
        let mut values = Vec::with_capacity(PARTS);
        for d in docs {
            match d.value() {
                Some(v) => values.push(v.into_owned()),
                None => return Outcome::Syntax,
            }
        }
        let mut values = values.into_iter();
        let mut next = || values.next().unwrap_or(Value::Null);
        let (order, products, addresses, coupons, taxes, page) =
            (next(), next(), next(), next(), next(), next());
        // The connector reads the lists as arrays (else a protocol error before parsing).
        let (
            Value::Array(products),
            Value::Array(addresses),
            Value::Array(coupons),
            Value::Array(taxes),
        ) = (products, addresses, coupons, taxes)
        else {
            return Outcome::Syntax;
        };
        let transactions = if *with_transactions {
            match v3_page(&page, "transactions") {
                Ok((rows, _)) => Some(rows.to_vec()),
                Err(_) => return Outcome::Refused,
            }
        } else {
            None
        };
        let _ = order_needs(&order);
        let _ = consignment_parts(&order);
        match parse_order(&OrderParts {
            order,
            products,
            shipping_addresses: addresses,
            coupons,
            taxes,
            transactions,
        }) {
            Ok(o) => {
                assert_id("order", o.id.as_str());
                for l in &o.lines {
                    assert_id("order line", &l.line_id);
                }
                let _ = o.check_totals();
                let _ = o.tax_total();
                Outcome::Accepted
            }
            Err(_) => Outcome::Refused,
        }
    }

    fn show(&self, (docs, with_transactions): &PartsInput) -> String {
        let names = [
            "order",
            "products",
            "shipping_addresses",
            "coupons",
            "taxes",
            "transactions",
        ];
        let mut out = format!("transactions fetched: {with_transactions}\n");
        for (n, d) in names.iter().zip(docs) {
            out.push_str(&format!("{n}: {}\n", d.show()));
        }
        out
    }
}
