//! The seeded store fixture (catalog, customers, inventory) and order generator.
//!
//! Every order is drawn from its own stream (`order/{n}` of the seed), so the first N orders of
//! a seed are the same whatever N is, and the same seed gives byte-identical orders.
//!
//! # Money model (the identities tests check)
//! Amounts are in the order's transactional currency (USD, EUR, CAD or JPY; JPY has no
//! decimals), shown with four decimals. Wholesale (B2B) prices have four real decimals.
//! - line: `total_ex_tax = price_ex_tax × quantity`; its tax is computed per tax rate on
//!   `total_ex_tax − line discounts` (as BigCommerce does) and `total_tax` is the sum of the
//!   line's `item` tax rows; `total_inc_tax = total_ex_tax + total_tax`;
//!   `discounted_total_inc_tax = total_inc_tax − Σ applied_discounts`.
//! - order: `subtotal_* = Σ lines`; shipping and handling per shipping address, wrapping per line;
//!   `total_tax = subtotal_tax + shipping_cost_tax + handling_cost_tax + wrapping_cost_tax`
//!   `= Σ tax rows`; `total_inc_tax = subtotal_inc_tax + shipping_cost_inc_tax +
//!   handling_cost_inc_tax + wrapping_cost_inc_tax − discount_amount − coupon_discount`;
//!   `total_ex_tax = total_inc_tax − total_tax`.
//! - gift certificates and store credit are payments: they do not reduce `total_inc_tax`;
//!   `gift_certificate_amount + store_credit_amount + other payments = total_inc_tax`, and the
//!   purchase/authorization transactions sum to what was paid.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use crate::state::*;
use crate::wire::round;

/// A tax rate of a zone.
#[derive(Clone, Debug, PartialEq)]
pub struct TaxRate {
    /// Tax rate id.
    pub id: u32,
    /// Name.
    pub name: &'static str,
    /// Percent.
    pub pct: Decimal,
    /// Priority.
    pub priority: u32,
}

/// A tax (and shipping) zone with its currency.
#[derive(Clone, Debug, PartialEq)]
pub struct Zone {
    /// Zone id.
    pub id: u32,
    /// Zone name.
    pub name: &'static str,
    /// Country.
    pub country: &'static str,
    /// ISO2.
    pub iso2: &'static str,
    /// State or province.
    pub state: &'static str,
    /// Cities.
    pub cities: &'static [&'static str],
    /// Postal code prefix.
    pub zip: &'static str,
    /// Currency id.
    pub currency_id: u32,
    /// Currency code.
    pub currency: &'static str,
    /// Store default (USD) → currency.
    pub exchange_rate: Decimal,
    /// Currency decimals.
    pub dp: u32,
}

fn d(n: i64, scale: u32) -> Decimal {
    Decimal::new(n, scale)
}

/// The zones the store ships to.
pub fn zones() -> Vec<Zone> {
    vec![
        Zone {
            id: 1,
            name: "Texas",
            country: "United States",
            iso2: "US",
            state: "Texas",
            cities: &["Austin", "Dallas", "Houston"],
            zip: "787",
            currency_id: 1,
            currency: "USD",
            exchange_rate: Decimal::ONE,
            dp: 2,
        },
        Zone {
            id: 2,
            name: "California",
            country: "United States",
            iso2: "US",
            state: "California",
            cities: &["San Francisco", "Los Angeles", "San Diego"],
            zip: "941",
            currency_id: 1,
            currency: "USD",
            exchange_rate: Decimal::ONE,
            dp: 2,
        },
        Zone {
            id: 3,
            name: "Oregon",
            country: "United States",
            iso2: "US",
            state: "Oregon",
            cities: &["Portland", "Salem"],
            zip: "972",
            currency_id: 1,
            currency: "USD",
            exchange_rate: Decimal::ONE,
            dp: 2,
        },
        Zone {
            id: 4,
            name: "Ontario",
            country: "Canada",
            iso2: "CA",
            state: "Ontario",
            cities: &["Toronto", "Ottawa"],
            zip: "M5V",
            currency_id: 2,
            currency: "CAD",
            exchange_rate: d(136, 2),
            dp: 2,
        },
        Zone {
            id: 5,
            name: "Germany",
            country: "Germany",
            iso2: "DE",
            state: "Berlin",
            cities: &["Berlin", "Hamburg", "Munich"],
            zip: "101",
            currency_id: 3,
            currency: "EUR",
            exchange_rate: d(92, 2),
            dp: 2,
        },
        Zone {
            id: 6,
            name: "France",
            country: "France",
            iso2: "FR",
            state: "Ile-de-France",
            cities: &["Paris", "Lyon"],
            zip: "750",
            currency_id: 3,
            currency: "EUR",
            exchange_rate: d(92, 2),
            dp: 2,
        },
        Zone {
            id: 7,
            name: "Japan",
            country: "Japan",
            iso2: "JP",
            state: "Tokyo",
            cities: &["Tokyo", "Osaka"],
            zip: "100",
            currency_id: 4,
            currency: "JPY",
            exchange_rate: d(1495, 1),
            dp: 0,
        },
    ]
}

/// Tax class names by id.
pub fn tax_class_name(id: u32) -> &'static str {
    match id {
        0 => "Default Tax Class",
        1 => "Non-Taxable Products",
        2 => "Shipping",
        3 => "Gift Wrapping",
        4 => "Reduced Rate Goods",
        _ => "Default Tax Class",
    }
}

/// The rates a zone applies to a tax class (classes: 0 default, 1 non-taxable, 2 shipping and
/// handling, 3 gift wrapping, 4 reduced-rate goods).
pub fn rates(zone_id: u32, class: u32) -> Vec<TaxRate> {
    let r = |id, name, pct: Decimal, priority| TaxRate {
        id,
        name,
        pct,
        priority,
    };
    match (zone_id, class) {
        (_, 1) => vec![],
        (1, _) => vec![
            r(1, "Texas State Tax", d(625, 2), 0),
            r(2, "Austin City Tax", d(2, 0), 1),
        ],
        (2, 2) | (2, 4) => vec![],
        (2, _) => vec![
            r(3, "California State Tax", d(725, 2), 0),
            r(4, "District Tax", d(125, 2), 1),
        ],
        (3, _) => vec![],
        (4, _) => vec![r(5, "HST", d(13, 0), 0)],
        (5, 4) => vec![r(7, "MwSt 7%", d(7, 0), 0)],
        (5, _) => vec![r(6, "MwSt 19%", d(19, 0), 0)],
        (6, 4) => vec![r(11, "TVA 5.5%", d(55, 1), 0)],
        (6, _) => vec![r(10, "TVA 20%", d(20, 0), 0)],
        (7, 4) => vec![r(9, "Reduced Consumption Tax", d(8, 0), 0)],
        (7, _) => vec![r(8, "Consumption Tax", d(10, 0), 0)],
        _ => vec![],
    }
}

/// The zone of a country/state, if the store ships there.
pub fn zone_for(iso2: &str, state: &str) -> Option<Zone> {
    let zs = zones();
    zs.iter()
        .find(|z| z.iso2.eq_ignore_ascii_case(iso2) && z.state.eq_ignore_ascii_case(state))
        .or_else(|| zs.iter().find(|z| z.iso2.eq_ignore_ascii_case(iso2)))
        .cloned()
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    // Only ever called on non-empty constant lists.
    &items[rng.gen_range(0..items.len())]
}

const FIRST: &[&str] = &[
    "Jane", "John", "Aiko", "Lukas", "Chloé", "Omar", "Priya", "Mateo", "Emma", "Noah", "Sofia",
    "Liam", "Hana", "Lea", "Marc", "Grace",
];
const LAST: &[&str] = &[
    "Doe", "Smith", "Tanaka", "Müller", "Dubois", "Haddad", "Patel", "García", "Brown", "Wilson",
    "Rossi", "Nguyen", "Schmidt", "Martin", "Kim", "O'Brien",
];
const COMPANIES: &[&str] = &[
    "Acme Pty Ltd",
    "Globex Corporation",
    "Initech LLC",
    "Umbrella Retail GmbH",
    "Hooli Stores",
    "Stark Supplies",
    "Wayne Outfitters",
    "Tyrell Trading KK",
];
const STREETS: &[&str] = &[
    "Main Street",
    "Sussex St",
    "Congress Ave",
    "Market St",
    "King St W",
    "Friedrichstraße",
    "Rue de Rivoli",
    "Chuo-dori",
];
const PRODUCTS: &[(&str, &str, i64, u32)] = &[
    // name, brand, price in cents (USD), tax class
    ("Fog Linen Chambray Towel", "Fog Linen", 4900, 0),
    ("Orbit Terrarium", "Common Good", 10900, 0),
    ("Able Brewing System", "Able", 22500, 0),
    ("Chemex Coffeemaker 3 Cup", "Chemex", 4950, 0),
    ("Canvas Laundry Cart", "OFS", 24900, 0),
    ("Dustpan & Brush", "OFS", 3495, 0),
    ("Tiered Wire Basket", "OFS", 11995, 0),
    ("Utility Caddy", "OFS", 4595, 0),
    ("Oak Cheese Grater", "Sagaform", 3450, 0),
    ("1 L Le Parfait Jar", "Le Parfait", 750, 0),
    ("Smith Journal 13", "Smith", 2500, 4),
    ("Field Notes Pocket Set", "Field Notes", 1295, 4),
    ("Organic Coffee Beans 1 kg", "Bonavita", 2890, 4),
    ("Matcha Tea Tin", "Ippodo", 1999, 4),
    ("Sample Sachet", "OFS", 100, 1),
    ("Merino Wool Throw", "Faribault", 18900, 0),
    ("Enamel Camp Mug", "Snow Peak", 1995, 0),
    ("Linen Apron", "Fog Linen", 5400, 0),
    ("Brass Desk Lamp", "Schoolhouse", 32900, 0),
    ("Ceramic Pour-Over", "Hario", 2450, 0),
];
const OPTIONS: &[&str] = &["S", "M", "L", "XL"];

/// The catalog: variants of [`PRODUCTS`], with SKUs `"{PREFIX}-{product}-{option}"`.
pub fn catalog(seed: u64) -> Vec<Variant> {
    let mut rng = bc_sandbox::rng::seeded(seed, "catalog");
    let mut out = Vec::new();
    let mut variant_id = 60;
    for (i, (name, brand, cents, class)) in PRODUCTS.iter().enumerate() {
        let product_id = 77 + i as u64;
        let n_variants = rng.gen_range(1..=4usize);
        for opt in OPTIONS.iter().take(n_variants) {
            let prefix: String = brand
                .chars()
                .filter(|c| c.is_ascii_alphabetic())
                .take(3)
                .collect::<String>()
                .to_uppercase();
            let price = d(*cents, 2) + d(rng.gen_range(0..3) * 100, 2);
            out.push(Variant {
                id: variant_id,
                product_id,
                sku: format!("{prefix}-{product_id}-{opt}"),
                name: name.to_string(),
                option_label: format!("Size: {opt}"),
                brand: brand.to_string(),
                price,
                cost_price: round(price * d(55, 2), 2),
                weight: d(rng.gen_range(1..50), 1),
                tax_class_id: *class,
                upc: format!("{:012}", rng.gen_range(100_000_000_000u64..999_999_999_999)),
            });
            variant_id += 1;
        }
    }
    out
}

fn address(
    rng: &mut ChaCha8Rng,
    zone: &Zone,
    first: &str,
    last: &str,
    company: &str,
    email: &str,
) -> Address {
    Address {
        first_name: first.to_string(),
        last_name: last.to_string(),
        company: company.to_string(),
        street_1: format!("{} {}", rng.gen_range(1..999), pick(rng, STREETS)),
        street_2: if rng.gen_bool(0.2) {
            format!("Suite {}", rng.gen_range(100..999))
        } else {
            String::new()
        },
        city: pick(rng, zone.cities).to_string(),
        state: zone.state.to_string(),
        zip: format!("{}{:02}", zone.zip, rng.gen_range(0..99)),
        country: zone.country.to_string(),
        country_iso2: zone.iso2.to_string(),
        phone: format!("+1 512 555 {:04}", rng.gen_range(0..9999)),
        email: email.to_string(),
    }
}

/// The store's customers: retail, wholesale (B2B, some tax exempt) and VIP groups.
pub fn customers(seed: u64, n: u64) -> Vec<Customer> {
    let mut rng = bc_sandbox::rng::seeded(seed, "customers");
    let zs = zones();
    let start = Utc
        .with_ymd_and_hms(2024, 3, 1, 9, 0, 0)
        .single()
        .unwrap_or_default();
    (1..=n)
        .map(|id| {
            let first = pick(&mut rng, FIRST).to_string();
            let last = pick(&mut rng, LAST).to_string();
            let group = match rng.gen_range(0..10) {
                0..=6 => 0,
                7 | 8 => 1,
                _ => 2,
            };
            let company = if group == 1 {
                pick(&mut rng, COMPANIES).to_string()
            } else {
                String::new()
            };
            let ascii: String = format!("{first}.{last}")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect::<String>()
                .to_lowercase();
            let email = format!("{ascii}{id}@example.com");
            let zone = pick(&mut rng, &zs).clone();
            let address = address(&mut rng, &zone, &first, &last, &company, &email);
            let created = start + Duration::hours(rng.gen_range(0..8000));
            Customer {
                id,
                phone: address.phone.clone(),
                first_name: first,
                last_name: last,
                email,
                company,
                customer_group_id: group,
                tax_exempt_category: if group == 1 && rng.gen_bool(0.4) {
                    "G".into()
                } else {
                    String::new()
                },
                store_credit: if rng.gen_bool(0.25) {
                    d(rng.gen_range(10..=100) * 100, 2)
                } else {
                    Decimal::ZERO
                },
                address,
                date_created: created,
                date_modified: created + Duration::hours(rng.gen_range(0..500)),
            }
        })
        .collect()
}

/// Two inventory locations.
pub fn locations() -> Vec<Location> {
    vec![
        Location {
            id: 1,
            code: "BC-LOCATION-1".into(),
            name: "Default location".into(),
        },
        Location {
            id: 2,
            code: "WH-EAST".into(),
            name: "East Warehouse".into(),
        },
    ]
}

/// Fill `store` with the fixture: catalog, customers, locations, stock.
pub fn fixture(store: &mut Store, seed: u64) {
    store.variants = catalog(seed);
    store.customers = customers(seed, 60);
    store.locations = locations();
    let mut rng = bc_sandbox::rng::seeded(seed, "inventory");
    for v in &store.variants {
        for l in &store.locations {
            store.inventory.insert((v.id, l.id), rng.gen_range(0..200));
        }
    }
}

/// Split `total` over `weights` proportionally, in steps of `10^-dp`, never giving a part more
/// than its weight. Returns `None` if `total` exceeds the sum of the weights.
pub fn allocate(total: Decimal, weights: &[Decimal], dp: u32) -> Option<Vec<Decimal>> {
    let sum: Decimal = weights.iter().copied().sum();
    if total > sum || total < Decimal::ZERO {
        return None;
    }
    if sum.is_zero() {
        return Some(vec![Decimal::ZERO; weights.len()]);
    }
    let step = Decimal::new(1, dp);
    let mut parts: Vec<Decimal> = weights
        .iter()
        .map(|w| {
            (total * *w / sum)
                .round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::ToZero)
                .min(*w)
        })
        .collect();
    let mut left = total - parts.iter().copied().sum::<Decimal>();
    // Hand out what rounding left over, one step at a time, to parts with room.
    let mut guard = 0usize;
    while left > Decimal::ZERO && guard < 1_000_000 {
        guard += 1;
        let mut moved = false;
        for (p, w) in parts.iter_mut().zip(weights) {
            if left <= Decimal::ZERO {
                break;
            }
            let room = *w - *p;
            if room > Decimal::ZERO {
                let give = step.min(room).min(left);
                *p += give;
                left -= give;
                moved = true;
            }
        }
        if !moved {
            return None;
        }
    }
    Some(parts)
}

/// Compute taxes for an order whose lines, discounts, shipping, handling and wrapping amounts are
/// set: fills each line's `price_tax`/`total_tax`, each address's `cost_tax`/`handling_cost_tax`
/// and the tax rows. `exempt` orders get no tax at all.
pub fn apply_taxes(store: &mut Store, order: &mut Order, zone: &Zone, exempt: bool) {
    let dp = zone.dp;
    let mut rows = Vec::new();
    let zone_rates = |class| {
        if exempt {
            vec![]
        } else {
            rates(zone.id, class)
        }
    };
    let new_row = |store: &mut Store,
                   addr: u64,
                   r: &TaxRate,
                   class: u32,
                   amount: Decimal,
                   product: Option<u64>,
                   kind: &str| OrderTax {
        id: store.next_id("tax"),
        order_id: order.id,
        order_address_id: addr,
        tax_rate_id: r.id,
        tax_class_id: class,
        name: r.name.to_string(),
        class: tax_class_name(class).to_string(),
        rate: r.pct,
        priority: r.priority,
        amount,
        order_product_id: product,
        line_item_type: kind.to_string(),
    };
    for p in order.products.iter_mut() {
        let base = p.total_ex_tax - p.discount();
        let mut total = Decimal::ZERO;
        let mut unit = Decimal::ZERO;
        for r in zone_rates(p.tax_class_id) {
            let amount = round(base * r.pct / Decimal::ONE_HUNDRED, dp);
            unit += round(p.price_ex_tax * r.pct / Decimal::ONE_HUNDRED, 4);
            total += amount;
            rows.push(new_row(
                store,
                p.order_address_id,
                &r,
                p.tax_class_id,
                amount,
                Some(p.id),
                "item",
            ));
        }
        p.total_tax = total;
        p.price_tax = unit;
        let mut wrap = Decimal::ZERO;
        if p.wrapping_cost_ex_tax > Decimal::ZERO {
            for r in zone_rates(3) {
                let amount = round(p.wrapping_cost_ex_tax * r.pct / Decimal::ONE_HUNDRED, dp);
                wrap += amount;
                rows.push(new_row(
                    store,
                    p.order_address_id,
                    &r,
                    3,
                    amount,
                    Some(p.id),
                    "gift-wrapping",
                ));
            }
        }
        p.wrapping_cost_tax = wrap;
    }
    for a in order.shipping_addresses.iter_mut() {
        let mut ship = Decimal::ZERO;
        let mut handling = Decimal::ZERO;
        for r in zone_rates(2) {
            if a.cost_ex_tax > Decimal::ZERO {
                let amount = round(a.cost_ex_tax * r.pct / Decimal::ONE_HUNDRED, dp);
                ship += amount;
                rows.push(new_row(store, a.id, &r, 2, amount, None, "shipping"));
            }
            if a.handling_cost_ex_tax > Decimal::ZERO {
                let amount = round(a.handling_cost_ex_tax * r.pct / Decimal::ONE_HUNDRED, dp);
                handling += amount;
                rows.push(new_row(store, a.id, &r, 2, amount, None, "handling"));
            }
        }
        a.cost_tax = ship;
        a.handling_cost_tax = handling;
    }
    order.taxes = rows;
}

const CARDS: &[(&str, &str)] = &[
    ("visa", "411111"),
    ("master", "555555"),
    ("american_express", "378282"),
    ("discover", "601111"),
];

fn gateway_txn(rng: &mut ChaCha8Rng) -> String {
    format!("{:08x}", rng.gen::<u32>())
}

/// Generate one order (the `store.generated`-th) from `seed` and add it to `store`, with its
/// shipments and refunds. Returns its id.
pub fn generate_order(store: &mut Store, seed: u64, start: DateTime<Utc>) -> u64 {
    let index = store.generated;
    store.generated += 1;
    let mut rng = bc_sandbox::rng::seeded(seed, &format!("order/{index}"));
    let id = store.next_id("order");

    // Who: a known customer (60 %) or a guest.
    let customer = if rng.gen_bool(0.6) && !store.customers.is_empty() {
        let i = rng.gen_range(0..store.customers.len());
        store.customers.get(i).cloned()
    } else {
        None
    };
    let zs = zones();
    let zone = match &customer {
        Some(c) => {
            zone_for(&c.address.country_iso2, &c.address.state).unwrap_or_else(|| zs[0].clone())
        }
        None => {
            // Mostly domestic.
            let w = rng.gen_range(0..100);
            let zi = match w {
                0..=29 => 0,
                30..=49 => 1,
                50..=59 => 2,
                60..=71 => 3,
                72..=83 => 4,
                84..=91 => 5,
                _ => 6,
            };
            zs[zi].clone()
        }
    };
    let dp = zone.dp;
    let rate = zone.exchange_rate;
    let conv = |usd: Decimal| round(usd * rate, dp);
    let wholesale = customer.as_ref().is_some_and(|c| c.customer_group_id == 1);
    let exempt = customer
        .as_ref()
        .is_some_and(|c| !c.tax_exempt_category.is_empty());
    let (first, last, company, email) = match &customer {
        Some(c) => (
            c.first_name.clone(),
            c.last_name.clone(),
            c.company.clone(),
            c.email.clone(),
        ),
        None => {
            let f = pick(&mut rng, FIRST).to_string();
            let l = pick(&mut rng, LAST).to_string();
            let ascii: String = format!("{f}{l}")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_lowercase();
            (
                f,
                l,
                String::new(),
                format!("{ascii}.guest{index}@example.net"),
            )
        }
    };
    let billing = match &customer {
        Some(c) => c.address.clone(),
        None => address(&mut rng, &zone, &first, &last, &company, &email),
    };

    // When: orders arrive every ~37 minutes from `start`.
    let created =
        start + Duration::minutes(37 * index as i64) + Duration::seconds(rng.gen_range(0..1800));

    // Addresses: usually one, sometimes two.
    let n_addr = if rng.gen_bool(0.04) { 2 } else { 1 };
    let mut addresses = Vec::new();
    for k in 0..n_addr {
        let a = if k == 0 && rng.gen_bool(0.8) {
            billing.clone()
        } else {
            let f = pick(&mut rng, FIRST).to_string();
            let l = pick(&mut rng, LAST).to_string();
            address(&mut rng, &zone, &f, &l, &company, &email)
        };
        addresses.push(ShippingAddress {
            id: store.next_id("address"),
            order_id: id,
            address: a,
            shipping_method: String::new(),
            cost_ex_tax: Decimal::ZERO,
            cost_tax: Decimal::ZERO,
            handling_cost_ex_tax: Decimal::ZERO,
            handling_cost_tax: Decimal::ZERO,
            shipping_zone_id: zone.id,
            shipping_zone_name: zone.name.to_string(),
        });
    }

    // Lines: 1–8 typically, a few line-heavy orders.
    let n_lines = if rng.gen_bool(0.01) {
        rng.gen_range(51..=80)
    } else {
        match rng.gen_range(0..100) {
            0..=34 => 1,
            35..=59 => 2,
            60..=74 => 3,
            75..=84 => 4,
            85..=90 => 5,
            91..=94 => 6,
            95..=97 => 7,
            _ => 8,
        }
    };
    let mut products = Vec::new();
    for li in 0..n_lines {
        let vi = rng.gen_range(0..store.variants.len().max(1));
        let Some(v) = store.variants.get(vi).cloned() else {
            break;
        };
        let qty: u32 = if wholesale {
            rng.gen_range(5..=48)
        } else if rng.gen_bool(0.8) {
            1
        } else {
            rng.gen_range(2..=4)
        };
        let mut price = conv(v.price);
        if wholesale {
            // Wholesale price list: 8.5 % off, four real decimals (none for JPY).
            price = round(price * d(915, 3), if dp == 0 { 0 } else { 4 });
        }
        let addr = addresses.get(li % n_addr).map(|a| a.id).unwrap_or(0);
        let wrapped = !wholesale && rng.gen_bool(0.04);
        products.push(OrderProduct {
            id: store.next_id("order_product"),
            order_id: id,
            product_id: v.product_id,
            variant_id: v.id,
            order_address_id: addr,
            name: format!("{} - {}", v.name, v.option_label),
            sku: v.sku.clone(),
            product_type: "physical".into(),
            brand: v.brand.clone(),
            tax_class_id: v.tax_class_id,
            price_ex_tax: price,
            price_tax: Decimal::ZERO,
            quantity: qty,
            total_ex_tax: price * Decimal::from(qty),
            total_tax: Decimal::ZERO,
            base_cost_price: conv(v.cost_price),
            weight: v.weight,
            wrapping_name: wrapped.then(|| "Gift Wrap".to_string()),
            wrapping_message: if wrapped {
                "Happy birthday!".into()
            } else {
                String::new()
            },
            wrapping_cost_ex_tax: if wrapped {
                conv(d(499, 2)) * Decimal::from(qty)
            } else {
                Decimal::ZERO
            },
            wrapping_cost_tax: Decimal::ZERO,
            applied_discounts: Vec::new(),
            quantity_shipped: 0,
            quantity_refunded: 0,
        });
    }
    let subtotal: Decimal = products.iter().map(|p| p.total_ex_tax).sum();
    let weights: Vec<Decimal> = products.iter().map(|p| p.total_ex_tax).collect();

    // Coupons and manual discounts.
    let mut coupons = Vec::new();
    let mut coupon_discount = Decimal::ZERO;
    let mut free_shipping = false;
    if rng.gen_bool(0.18) {
        let kind = rng.gen_range(0..4);
        let (ctype, amount, discount, code) = match kind {
            0 => {
                let pct = *pick(&mut rng, &[10i64, 15, 20]);
                (
                    1u8,
                    d(pct, 0),
                    round(subtotal * d(pct, 2), dp),
                    format!("SAVE{pct}"),
                )
            }
            1 => {
                let off = conv(d(*pick(&mut rng, &[5i64, 10, 20]), 0));
                (
                    2u8,
                    off,
                    off.min(round(subtotal / d(2, 0), dp)),
                    "WELCOME".to_string(),
                )
            }
            2 => (4u8, Decimal::ZERO, Decimal::ZERO, "FREESHIP".to_string()),
            _ => {
                let per = conv(d(2, 0));
                let items: u32 = products.iter().map(|p| p.quantity).sum();
                (
                    0u8,
                    per,
                    (per * Decimal::from(items)).min(round(subtotal / d(2, 0), dp)),
                    "TAKE2".to_string(),
                )
            }
        };
        free_shipping = ctype == 4;
        if discount > Decimal::ZERO {
            if let Some(parts) = allocate(discount, &weights, dp) {
                for (p, part) in products.iter_mut().zip(parts) {
                    if part > Decimal::ZERO {
                        p.applied_discounts.push(AppliedDiscount {
                            id: "coupon".into(),
                            amount: part,
                            name: format!("Coupon {code}"),
                            code: Some(code.clone()),
                            target: "order".into(),
                        });
                    }
                }
                coupon_discount = discount;
            }
        }
        coupons.push(OrderCoupon {
            id: store.next_id("coupon_row"),
            coupon_id: 1 + u64::from(ctype),
            order_id: id,
            code,
            amount,
            coupon_type: ctype,
            discount: if discount > Decimal::ZERO && coupon_discount > Decimal::ZERO {
                discount
            } else {
                Decimal::ZERO
            },
        });
    }
    let mut discount_amount = Decimal::ZERO;
    if rng.gen_bool(0.06) {
        let room: Vec<Decimal> = products
            .iter()
            .map(|p| p.total_ex_tax - p.discount())
            .collect();
        let want = round(room.iter().copied().sum::<Decimal>() * d(10, 2), dp);
        if want > Decimal::ZERO {
            if let Some(parts) = allocate(want, &room, dp) {
                for (p, part) in products.iter_mut().zip(parts) {
                    if part > Decimal::ZERO {
                        p.applied_discounts.push(AppliedDiscount {
                            id: "manual-discount".into(),
                            amount: part,
                            name: "Manual Discount".into(),
                            code: None,
                            target: "order".into(),
                        });
                    }
                }
                discount_amount = want;
            }
        }
    }

    // Shipping and handling per address.
    let method = *pick(
        &mut rng,
        &["Flat Rate", "UPS Ground", "Ship by Weight", "Free Shipping"],
    );
    for a in addresses.iter_mut() {
        let weight: Decimal = products
            .iter()
            .filter(|p| p.order_address_id == a.id)
            .map(|p| p.weight * Decimal::from(p.quantity))
            .sum();
        let usd = match method {
            "Flat Rate" => d(995, 2),
            "UPS Ground" => d(1250, 2) + round(weight * d(35, 2), 2),
            "Ship by Weight" => d(4, 0) + round(weight * d(150, 2), 2),
            _ => Decimal::ZERO,
        };
        a.shipping_method = if free_shipping {
            "Free Shipping".into()
        } else {
            method.to_string()
        };
        a.cost_ex_tax = if free_shipping {
            Decimal::ZERO
        } else {
            conv(usd)
        };
        if rng.gen_bool(0.15) {
            a.handling_cost_ex_tax = conv(d(250, 2));
        }
    }

    let (currency_id, currency) = (zone.currency_id, zone.currency.to_string());
    let mut order = Order {
        id,
        customer_id: customer.as_ref().map(|c| c.id).unwrap_or(0),
        date_created: created,
        date_modified: created,
        date_shipped: None,
        status_id: 11,
        shipping_cost_tax_class_id: 2,
        handling_cost_tax_class_id: 2,
        wrapping_cost_tax_class_id: 3,
        discount_amount,
        coupon_discount,
        payment_method: String::new(),
        payment_provider_id: String::new(),
        payment_status: String::new(),
        refunded_amount: Decimal::ZERO,
        store_credit_amount: Decimal::ZERO,
        gift_certificate_amount: Decimal::ZERO,
        ip_address: format!(
            "{}.{}.{}.{}",
            rng.gen_range(11..223),
            rng.gen_range(0..255),
            rng.gen_range(0..255),
            rng.gen_range(1..254)
        ),
        currency_id,
        currency_code: currency.clone(),
        exchange_rate: rate,
        staff_notes: String::new(),
        customer_message: if rng.gen_bool(0.1) {
            "Please leave at the back door.".into()
        } else {
            String::new()
        },
        cart_id: format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            rng.gen::<u32>(),
            rng.gen::<u16>(),
            rng.gen_range(0..0xfff),
            rng.gen_range(0..0xfff),
            rng.gen_range(0..0xffff_ffff_ffffu64)
        ),
        billing_address: billing,
        is_email_opt_in: rng.gen_bool(0.3),
        credit_card_type: None,
        order_source: if rng.gen_bool(0.9) {
            "www".into()
        } else {
            "manual".into()
        },
        channel_id: 1,
        external_source: None,
        external_id: None,
        external_order_id: String::new(),
        customer_locale: match zone.iso2 {
            "DE" => "de",
            "FR" => "fr",
            "JP" => "ja",
            _ => "en",
        }
        .into(),
        order_is_digital: false,
        products,
        shipping_addresses: addresses,
        coupons,
        taxes: Vec::new(),
        transactions: Vec::new(),
    };
    apply_taxes(store, &mut order, &zone, exempt);
    let total = order.total_inc_tax();

    // Payments: gift certificate and store credit first, the rest by card, PayPal or PO.
    let mut t = created;
    let mut txns = Vec::new();
    let mut paid_gc = Decimal::ZERO;
    if rng.gen_bool(0.08) {
        let face = conv(d(*pick(&mut rng, &[25i64, 50, 100, 250]), 0));
        paid_gc = face.min(total);
        let code = format!("GC-{:06X}", rng.gen_range(0..0xFFFFFF));
        txns.push(Transaction {
            id: store.next_id("transaction"),
            order_id: id,
            event: "purchase".into(),
            method: "gift_certificate".into(),
            amount: paid_gc,
            currency: currency.clone(),
            gateway: "giftcertificate".into(),
            gateway_transaction_id: String::new(),
            date_created: t,
            reference_transaction_id: None,
            card: None,
            gift_certificate: Some((code, face, face, face - paid_gc)),
            store_credit_remaining: None,
            offline_display_name: None,
        });
    }
    let mut paid_sc = Decimal::ZERO;
    if let Some(c) = &customer {
        if c.store_credit > Decimal::ZERO && rng.gen_bool(0.4) {
            let credit = conv(c.store_credit);
            paid_sc = credit.min(total - paid_gc);
            if paid_sc > Decimal::ZERO {
                txns.push(Transaction {
                    id: store.next_id("transaction"),
                    order_id: id,
                    event: "purchase".into(),
                    method: "store_credit".into(),
                    amount: paid_sc,
                    currency: currency.clone(),
                    gateway: "storecredit".into(),
                    gateway_transaction_id: String::new(),
                    date_created: t,
                    reference_transaction_id: None,
                    card: None,
                    gift_certificate: None,
                    store_credit_remaining: Some(credit - paid_sc),
                    offline_display_name: None,
                });
            }
        }
    }
    order.gift_certificate_amount = paid_gc;
    order.store_credit_amount = paid_sc;
    let rest = total - paid_gc - paid_sc;
    let mut card_txn = None;
    let mut online = true;
    if rest <= Decimal::ZERO {
        order.payment_method = if paid_gc > Decimal::ZERO {
            "Gift Certificate".into()
        } else {
            "Store Credit".into()
        };
        order.payment_status = "captured".into();
    } else if wholesale && rng.gen_bool(0.5) {
        order.payment_method = "Purchase Order".into();
        order.payment_status = "pending".into();
        online = false;
    } else if rng.gen_bool(0.65) {
        let (ctype, iin) = *pick(&mut rng, CARDS);
        let authorized_only = rng.gen_bool(0.35);
        order.payment_method = "Credit Card".into();
        order.payment_provider_id = "braintree".into();
        order.payment_status = if authorized_only {
            "authorized".into()
        } else {
            "captured".into()
        };
        order.credit_card_type = Some(ctype.to_string());
        let tid = store.next_id("transaction");
        card_txn = Some(tid);
        txns.push(Transaction {
            id: tid,
            order_id: id,
            event: if authorized_only {
                "authorization".into()
            } else {
                "purchase".into()
            },
            method: "credit_card".into(),
            amount: rest,
            currency: currency.clone(),
            gateway: "braintree".into(),
            gateway_transaction_id: gateway_txn(&mut rng),
            date_created: t,
            reference_transaction_id: None,
            card: Some(Card {
                card_type: ctype.into(),
                card_iin: iin.into(),
                card_last4: format!("{:04}", rng.gen_range(0..9999)),
                card_expiry_month: rng.gen_range(1..=12),
                card_expiry_year: rng.gen_range(2027..=2031),
            }),
            gift_certificate: None,
            store_credit_remaining: None,
            offline_display_name: None,
        });
    } else {
        order.payment_method = "PayPal".into();
        order.payment_provider_id = "paypalexpress".into();
        order.payment_status = "captured".into();
        let tid = store.next_id("transaction");
        card_txn = Some(tid);
        txns.push(Transaction {
            id: tid,
            order_id: id,
            event: "purchase".into(),
            method: "offsite".into(),
            amount: rest,
            currency: currency.clone(),
            gateway: "paypalexpress".into(),
            gateway_transaction_id: gateway_txn(&mut rng),
            date_created: t,
            reference_transaction_id: None,
            card: None,
            gift_certificate: None,
            store_credit_remaining: None,
            offline_display_name: None,
        });
    }
    order.transactions = txns;

    // Status and what follows from it.
    let mut status: u8 = if !online {
        7
    } else if order.payment_status == "authorized" {
        if rng.gen_bool(0.05) {
            12
        } else {
            11
        }
    } else {
        match rng.gen_range(0..100) {
            0..=29 => 11,
            30..=39 => 9,
            40..=61 => 2,
            62..=67 => 3,
            68..=85 => 10,
            86..=89 => 5,
            90..=93 => 4,
            94..=97 => 14,
            _ => {
                if order.payment_method == "PayPal" {
                    13
                } else {
                    11
                }
            }
        }
    };
    if status == 3 && order.items_total() < 2 {
        status = 2;
    }
    order.status_id = status;
    t += Duration::minutes(rng.gen_range(5..240));
    let order_id = order.id;
    let customer_id = order.customer_id;
    store.orders.insert(order_id, order);

    if matches!(status, 2 | 3 | 10) {
        t += Duration::hours(rng.gen_range(12..72));
        let provider = match zone.iso2 {
            "US" => *pick(&mut rng, &["usps", "ups", "fedex"]),
            "CA" => "canadapost",
            _ => "",
        };
        let carrier = match zone.iso2 {
            "DE" | "FR" => "dhl",
            "JP" => "japan-post",
            _ => "",
        };
        let tracking = format!("1Z{:016X}", rng.gen::<u64>());
        ship_generated(
            store,
            order_id,
            customer_id,
            status == 3,
            t,
            provider,
            carrier,
            &tracking,
        );
    }
    if status == 5 {
        if let Some(o) = store.orders.get_mut(&order_id) {
            if let Some(tid) = card_txn {
                let amount = o
                    .transactions
                    .iter()
                    .find(|x| x.id == tid)
                    .map(|x| x.amount)
                    .unwrap_or_default();
                let vid = store.next_id("transaction");
                if let Some(o) = store.orders.get_mut(&order_id) {
                    o.transactions.push(Transaction {
                        id: vid,
                        order_id,
                        event: "void".into(),
                        method: if o.payment_method == "PayPal" {
                            "offsite".into()
                        } else {
                            "credit_card".into()
                        },
                        amount,
                        currency: currency.clone(),
                        gateway: o.payment_provider_id.clone(),
                        gateway_transaction_id: String::new(),
                        date_created: t,
                        reference_transaction_id: Some(tid),
                        card: None,
                        gift_certificate: None,
                        store_credit_remaining: None,
                        offline_display_name: None,
                    });
                    o.payment_status = "void".into();
                }
            }
        }
    }
    if matches!(status, 4 | 14) {
        t += Duration::days(rng.gen_range(2..10));
        if !crate::refunds::generated_refund(store, order_id, status == 4, t) {
            status = 11;
        }
    }
    if let Some(o) = store.orders.get_mut(&order_id) {
        if !matches!(status, 4 | 14) {
            o.status_id = status;
        }
        o.date_modified = t.max(o.date_modified);
    }
    order_id
}

/// Items to ship to one address: (address id, [(order product id, product id, quantity)]).
type ShipPlan = (u64, Vec<(u64, u64, u32)>);

#[allow(clippy::too_many_arguments)]
fn ship_generated(
    store: &mut Store,
    order_id: u64,
    customer_id: u64,
    partial: bool,
    at: DateTime<Utc>,
    provider: &str,
    carrier: &str,
    tracking: &str,
) {
    let Some(order) = store.orders.get(&order_id) else {
        return;
    };
    let addresses: Vec<u64> = order.shipping_addresses.iter().map(|a| a.id).collect();
    let mut plans: Vec<ShipPlan> = Vec::new();
    if partial {
        // Ship the first line only; a single line ships all but one unit.
        let single = order.products.len() == 1;
        if let Some(p) = order.products.first() {
            let q = if single {
                p.quantity.saturating_sub(1)
            } else {
                p.quantity
            };
            if q > 0 {
                plans.push((p.order_address_id, vec![(p.id, p.product_id, q)]));
            }
        }
    } else {
        for a in addresses {
            let items: Vec<(u64, u64, u32)> = order
                .products
                .iter()
                .filter(|p| p.order_address_id == a)
                .map(|p| (p.id, p.product_id, p.quantity))
                .collect();
            if !items.is_empty() {
                plans.push((a, items));
            }
        }
    }
    for (a, items) in plans {
        let sid = store.next_id("shipment");
        let shipment = Shipment {
            id: sid,
            order_id,
            customer_id,
            order_address_id: a,
            date_created: at,
            tracking_number: tracking.to_string(),
            shipping_method: "Standard".into(),
            shipping_provider: provider.to_string(),
            tracking_carrier: carrier.to_string(),
            tracking_link: String::new(),
            comments: String::new(),
            merchant_shipping_cost: Decimal::ZERO,
            items: items.clone(),
        };
        store.shipments.insert(sid, shipment);
        if let Some(o) = store.orders.get_mut(&order_id) {
            for (pid, _, q) in &items {
                if let Some(p) = o.products.iter_mut().find(|p| p.id == *pid) {
                    p.quantity_shipped += q;
                }
            }
        }
    }
    if let Some(o) = store.orders.get_mut(&order_id) {
        if o.items_shipped() == o.items_total() {
            o.date_shipped = Some(at);
        }
    }
}

/// Where generated orders start by default: 2026-01-05 08:00 UTC.
pub fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
        .single()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocate_splits_exactly_within_weights() {
        let w = [d(1000, 2), d(333, 2), d(1, 2)];
        let parts = allocate(d(500, 2), &w, 2).expect("fits");
        assert_eq!(parts.iter().copied().sum::<Decimal>(), d(500, 2));
        assert!(parts.iter().zip(w).all(|(p, w)| *p <= w));
        assert!(allocate(d(2000, 2), &w, 2).is_none());
    }
}
