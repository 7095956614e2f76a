//! A seeded generator of orders in Magento's shapes: B2B and guest orders over several store
//! views and currencies (base USD; EUR and GBP order currencies), tax per item with
//! `applied_taxes` (one or two rates per item, shipping taxed where the region taxes it),
//! cart-rule discounts with their labels and coupon codes, gift cards and store credit as
//! tenders, and each order moved through the state machine (invoiced, shipped, refunded,
//! canceled) as its drawn status says.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::Rng;
use rust_decimal::Decimal;

use crate::state::{Address, AppliedTax, Customer, GiftCard, History, Item, Order, Product, Store};
use crate::{documents, wire, App};

/// When generated orders start by default.
pub fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0)
        .single()
        .unwrap_or_default()
}

struct Region {
    code: &'static str,
    name: &'static str,
    country: &'static str,
    city: &'static str,
    postcode: &'static str,
    /// (code, title, percent)
    rates: &'static [(&'static str, &'static str, &'static str)],
    ship_taxed: bool,
}

const REGIONS: &[Region] = &[
    Region {
        code: "CA",
        name: "California",
        country: "US",
        city: "Los Angeles",
        postcode: "90001",
        rates: &[("US-CA-*-Rate 1", "US-CA-*-Rate 1", "8.25")],
        ship_taxed: false,
    },
    Region {
        code: "NY",
        name: "New York",
        country: "US",
        city: "New York",
        postcode: "10001",
        rates: &[
            ("US-NY-*-Rate 1", "US-NY-*-Rate 1", "4"),
            ("US-NY-NYC", "NYC Local", "4.5"),
        ],
        ship_taxed: true,
    },
    Region {
        code: "TX",
        name: "Texas",
        country: "US",
        city: "Austin",
        postcode: "73301",
        rates: &[],
        ship_taxed: false,
    },
    Region {
        code: "BE",
        name: "Berlin",
        country: "DE",
        city: "Berlin",
        postcode: "10115",
        rates: &[("DE-VAT-19", "MwSt. 19%", "19")],
        ship_taxed: true,
    },
    Region {
        code: "LND",
        name: "London",
        country: "GB",
        city: "London",
        postcode: "SW1A 1AA",
        rates: &[("GB-VAT-20", "VAT 20%", "20")],
        ship_taxed: true,
    },
];

const FIRST: &[&str] = &[
    "Veronica", "Ahmed", "Mei", "Lukas", "Priya", "Jonas", "Sofia", "Tom", "Ines", "Kwame",
];
const LAST: &[&str] = &[
    "Costello", "Haddad", "Chen", "Bauer", "Patel", "Larsen", "Rossi", "Brown", "Moreau", "Mensah",
];
const COMPANIES: &[&str] = &[
    "Acme Industrial Supply",
    "Northwind Traders",
    "Globex Wholesale",
    "Initech Procurement",
];

fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

/// Catalog (60 simple products), customers (24, four of them B2B buyers) and stock.
pub fn fixture(store: &mut Store, seed: u64) {
    let mut rng = bc_sandbox::rng::seeded(seed, "magento-fixture");
    let created = default_start() - Duration::days(90);
    let names = [
        "Joust Duffle Bag",
        "Strive Shoulder Pack",
        "Crown Summit Backpack",
        "Wayfarer Messenger Bag",
        "Rival Field Messenger",
        "Fusion Backpack",
        "Impulse Duffle",
        "Voyage Yoga Bag",
        "Compete Track Tote",
        "Savvy Shoulder Tote",
    ];
    for n in 0..60u64 {
        let sku = format!("MB-{:04}", 1001 + n);
        let price = Decimal::new(rng.gen_range(1500..=12_900), 2);
        let id = store.next_id("product");
        store.products.insert(
            sku.clone(),
            Product {
                id,
                sku: sku.clone(),
                name: format!("{} {}", names[(n % 10) as usize], n / 10 + 1),
                price,
                tax_class_id: 2,
                created_at: created,
            },
        );
        for source in ["default", "warehouse_east"] {
            store.source_items.insert(
                (sku.clone(), source.into()),
                (Decimal::from(rng.gen_range(0..200)), 1),
            );
        }
    }
    for n in 0..24u64 {
        let id = store.next_id("customer");
        let region = &REGIONS[(n % REGIONS.len() as u64) as usize];
        let (first, last) = (FIRST[(n % 10) as usize], LAST[((n / 2) % 10) as usize]);
        let company = (n % 6 == 0).then(|| {
            (
                n / 6 + 1,
                COMPANIES[(n / 6) as usize % COMPANIES.len()].to_string(),
            )
        });
        store.customers.insert(
            id,
            Customer {
                id,
                email: format!(
                    "{}.{}{}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    n
                ),
                firstname: first.into(),
                lastname: last.into(),
                group_id: if company.is_some() { 2 } else { 1 },
                website_id: 1,
                store_id: 1,
                address: address(
                    region,
                    first,
                    last,
                    company.as_ref().map(|c| c.1.as_str()).unwrap_or(""),
                    n,
                ),
                company,
                created_at: created + Duration::hours(n as i64),
            },
        );
    }
}

fn address(r: &Region, first: &str, last: &str, company: &str, n: u64) -> Address {
    Address {
        firstname: first.into(),
        lastname: last.into(),
        company: company.into(),
        street: vec![format!("{} Main Street", 10 + n * 7)],
        city: r.city.into(),
        region: r.name.into(),
        region_code: r.code.into(),
        postcode: r.postcode.into(),
        country_id: r.country.into(),
        telephone: format!("555-01{:02}", n % 100),
        email: String::new(),
    }
}

fn taxes(r: &Region, taxable: Decimal) -> Vec<AppliedTax> {
    let total_pct: Decimal = r.rates.iter().map(|x| d(x.2)).sum();
    let total = wire::round(taxable * total_pct / Decimal::from(100), 2);
    let mut out = Vec::new();
    let mut left = total;
    for (k, (code, title, pct)) in r.rates.iter().enumerate() {
        let amount = if k + 1 == r.rates.len() {
            left
        } else {
            wire::round(taxable * d(pct) / Decimal::from(100), 2)
        };
        left -= amount;
        out.push(AppliedTax {
            code: (*code).into(),
            title: (*title).into(),
            percent: d(pct),
            amount,
        });
    }
    out
}

/// Generates one order from `seed` (the store's `generated` counter makes each one different)
/// and moves it to its drawn status. Returns its id.
pub fn generate_order(app: &App, store: &mut Store, seed: u64, start: DateTime<Utc>) -> u64 {
    let n = store.generated;
    store.generated += 1;
    let mut rng = bc_sandbox::rng::seeded(seed, &format!("magento-order-{n}"));
    let created = start + Duration::minutes(37 * n as i64);
    let view = {
        let roll: u8 = rng.gen_range(0..100);
        let idx = if roll < 60 {
            0
        } else if roll < 85 {
            1
        } else {
            2
        };
        app.config.store_views[idx.min(app.config.store_views.len() - 1)].clone()
    };
    let region = match view.currency.as_str() {
        "EUR" => &REGIONS[3],
        "GBP" => &REGIONS[4],
        _ => &REGIONS[rng.gen_range(0..3)],
    };
    let guest = rng.gen_bool(0.3);
    let customer = if guest {
        None
    } else {
        store
            .customers
            .values()
            .nth(rng.gen_range(0..store.customers.len().max(1)))
            .cloned()
    };
    let (first, last) = match &customer {
        Some(c) => (c.firstname.clone(), c.lastname.clone()),
        None => (
            FIRST[rng.gen_range(0..10)].to_string(),
            LAST[rng.gen_range(0..10)].to_string(),
        ),
    };
    let email = customer
        .as_ref()
        .map(|c| c.email.clone())
        .unwrap_or_else(|| format!("guest{}@example.net", n + 1));
    let company = customer.as_ref().and_then(|c| c.company.clone());
    let mut bill = address(
        region,
        &first,
        &last,
        company.as_ref().map(|c| c.1.as_str()).unwrap_or(""),
        n,
    );
    bill.email = email.clone();
    let discount_rule = rng.gen_bool(0.3);
    let coupon = discount_rule && rng.gen_bool(0.5);
    let skus: Vec<String> = store.products.keys().cloned().collect();
    let count = rng.gen_range(1..=4);
    let picks: Vec<String> = skus.choose_multiple(&mut rng, count).cloned().collect();
    let mut items = Vec::new();
    for sku in picks {
        let Some(p) = store.products.get(&sku).cloned() else {
            continue;
        };
        let qty = Decimal::from(rng.gen_range(1..=3));
        let price = wire::round(p.price * view.rate, 2);
        let row = wire::round(price * qty, 2);
        let discount = if discount_rule {
            wire::round(row * Decimal::new(10, 2), 2)
        } else {
            Decimal::ZERO
        };
        let item_id = store.next_id("item");
        items.push(Item {
            item_id,
            sku: p.sku.clone(),
            name: p.name.clone(),
            product_id: p.id,
            qty_ordered: qty,
            qty_invoiced: Decimal::ZERO,
            qty_shipped: Decimal::ZERO,
            qty_refunded: Decimal::ZERO,
            qty_canceled: Decimal::ZERO,
            price,
            discount_amount: discount,
            applied_rule_ids: if discount_rule {
                "3".into()
            } else {
                String::new()
            },
            taxes: taxes(region, row - discount),
        });
    }
    let qty_total: Decimal = items.iter().map(|i| i.qty_ordered).sum();
    let shipping_amount = wire::round(Decimal::from(5) * qty_total * view.rate, 2);
    let shipping_taxes = if region.ship_taxed {
        taxes(region, shipping_amount)
    } else {
        Vec::new()
    };
    let id = store.next_id("order");
    let mut o = Order {
        entity_id: id,
        increment_id: crate::increment_id(view.id, id),
        store_id: view.id,
        state: "new".into(),
        status: app.config.default_status("new"),
        hold_before_state: None,
        hold_before_status: None,
        created_at: created,
        updated_at: created,
        customer_id: customer.as_ref().map(|c| c.id),
        customer_email: email,
        customer_firstname: first,
        customer_lastname: last,
        customer_group_id: customer.as_ref().map(|c| c.group_id).unwrap_or(0),
        company: company.clone(),
        base_currency: app.config.base_currency.clone(),
        order_currency: view.currency.clone(),
        base_to_order_rate: view.rate,
        items,
        billing: bill.clone(),
        shipping: Some(bill),
        shipping_method: "flatrate_flatrate".into(),
        shipping_description: "Flat Rate - Fixed".into(),
        shipping_amount,
        shipping_taxes,
        discount_description: discount_rule.then(|| {
            if coupon {
                "SPRING10".to_string()
            } else {
                "Spring Sale 10%".to_string()
            }
        }),
        coupon_code: coupon.then(|| "SPRING10".to_string()),
        gift_cards: Vec::new(),
        customer_balance: Decimal::ZERO,
        payment_method: if company.is_some() {
            "purchaseorder".into()
        } else if rng.gen_bool(0.5) {
            "braintree".into()
        } else {
            "checkmo".into()
        },
        last_trans_id: None,
        total_paid: Decimal::ZERO,
        total_offline_refunded: Decimal::ZERO,
        ext_order_id: None,
        histories: Vec::new(),
        raw_override: None,
    };
    if o.payment_method == "braintree" {
        o.last_trans_id = Some(format!("bt{:08x}", rng.gen::<u32>()));
    }
    let before = o.grand_total();
    if rng.gen_bool(0.12) {
        let amount = wire::round((before / Decimal::from(2)).min(Decimal::from(25)), 2);
        o.gift_cards.push(GiftCard {
            id: 100 + n,
            code: format!("GC{:06}", 500 + n),
            amount,
        });
    }
    if customer.is_some() && rng.gen_bool(0.12) {
        o.customer_balance = wire::round(
            (o.grand_total() / Decimal::from(3)).min(Decimal::from(10)),
            2,
        );
    }
    let hid = store.next_id("history");
    o.histories.push(History {
        entity_id: hid,
        comment: "Order placed.".into(),
        status: o.status.clone(),
        created_at: created,
        is_customer_notified: true,
        is_visible_on_front: false,
        entity_name: "order".into(),
    });
    store.orders.insert(id, o);
    let roll: u8 = rng.gen_range(0..100);
    // Documents are stamped by the store's clock; restore the order's generated dates after.
    let result = match roll {
        0..=39 => Ok(()),
        40..=74 => documents::invoice(app, store, id, &[]).map(|_| ()),
        75..=89 => documents::invoice(app, store, id, &[])
            .and_then(|_| {
                documents::ship(
                    app,
                    store,
                    id,
                    &[],
                    vec![(
                        format!("1Z{:016}", n),
                        "United Parcel Service".into(),
                        "ups".into(),
                    )],
                    None,
                )
            })
            .map(|_| ()),
        90..=94 => {
            if let Some(o) = store.orders.get_mut(&id) {
                for i in &mut o.items {
                    i.qty_canceled = i.qty_ordered;
                }
                o.state = "canceled".into();
                o.status = app.config.default_status("canceled");
            }
            Ok(())
        }
        _ => documents::invoice(app, store, id, &[])
            .and_then(|_| {
                documents::refund(
                    app,
                    store,
                    id,
                    &[],
                    None,
                    (Decimal::ZERO, Decimal::ZERO),
                    &[],
                    Some("Customer return".into()),
                )
            })
            .map(|_| ()),
    };
    debug_assert!(result.is_ok());
    let stamp = created + Duration::minutes(rng.gen_range(1..30));
    for s in store.shipments.values_mut().filter(|s| s.order_id == id) {
        s.created_at = stamp;
        for t in &mut s.tracks {
            t.created_at = stamp;
        }
    }
    for m in store.creditmemos.values_mut().filter(|m| m.order_id == id) {
        m.created_at = stamp;
    }
    for i in store.invoices.values_mut().filter(|i| i.order_id == id) {
        i.created_at = stamp;
    }
    if let Some(o) = store.orders.get_mut(&id) {
        o.updated_at = if o.state == "new" { created } else { stamp };
    }
    id
}
