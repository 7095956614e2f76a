//! The tenant's books: companies, their tables (JSON rows as the API shows them, plus hidden
//! `_`-prefixed fields the API never shows), VAT and sales-tax setup, stock per location,
//! number series, and the clock and id generator.

use std::collections::BTreeMap;

use base64::Engine;
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::errors::BcError;

/// How a company computes tax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxKind {
    /// VAT: `taxAreas` are VAT business posting groups, `taxGroups` VAT product posting
    /// groups, and every (business, product) pair used on a line needs a VAT posting setup.
    Vat,
    /// US sales tax: a tax area on the customer, `taxLiable`, a tax group per item/line and a
    /// tax detail per (area, group).
    SalesTax,
}

/// Ids and timestamps, deterministic per seed. Timestamps have Business Central's precision
/// (milliseconds) and never go back, but rows changed within the same millisecond share one,
/// as in Business Central: a `lastModifiedDateTime gt` cursor that stops inside such a group
/// misses the rest of it. [`Ctx::hold`] stops the clock (every change then shares one
/// timestamp), for tests of cursors.
#[derive(Debug)]
pub struct Ctx {
    rng: ChaCha8Rng,
    last: chrono::DateTime<chrono::Utc>,
    held: Option<chrono::DateTime<chrono::Utc>>,
}

impl Ctx {
    /// A context for `seed`.
    pub fn new(seed: u64) -> Self {
        Ctx {
            rng: bc_sandbox::rng::seeded(seed, "bc365-ids"),
            last: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            held: None,
        }
    }

    /// A new GUID, lowercase as BC writes them.
    pub fn guid(&mut self) -> String {
        let mut b = [0u8; 16];
        self.rng.fill_bytes(&mut b);
        uuid::Builder::from_random_bytes(b).into_uuid().to_string()
    }

    /// Random text (tokens).
    pub fn token(&mut self, len: usize) -> String {
        let mut b = vec![0u8; len];
        self.rng.fill_bytes(&mut b);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }

    /// Now, to the millisecond, never before an earlier call (but possibly equal to it).
    pub fn now(&mut self) -> chrono::DateTime<chrono::Utc> {
        use chrono::DurationRound;
        let wall = self.held.unwrap_or_else(chrono::Utc::now);
        let wall = wall
            .duration_trunc(chrono::Duration::milliseconds(1))
            .unwrap_or(wall);
        let next = wall.max(self.last);
        self.last = next;
        next
    }

    /// Stops the clock at `at` (`None`: runs again): every change gets the same time.
    pub fn hold(&mut self, at: Option<chrono::DateTime<chrono::Utc>>) {
        self.held = at;
    }

    /// [`Ctx::now`] as BC writes `lastModifiedDateTime`.
    pub fn stamp(&mut self) -> String {
        self.now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// Today's date (`yyyy-MM-dd`).
    pub fn today(&mut self) -> String {
        self.now().format("%Y-%m-%d").to_string()
    }
}

/// One company's books.
#[derive(Clone, Debug)]
pub struct Company {
    /// Company id (GUID).
    pub id: String,
    /// Company name.
    pub name: String,
    /// VAT or sales tax.
    pub tax: TaxKind,
    /// Local currency code (LCY).
    pub home: String,
    /// Rows per entity set.
    pub tables: BTreeMap<String, Vec<Value>>,
    /// VAT posting setup: (VAT bus. posting group, VAT prod. posting group) → VAT %.
    pub vat_setup: BTreeMap<(String, String), Decimal>,
    /// Tax details: (tax area, tax group) → sales tax %.
    pub tax_details: BTreeMap<(String, String), Decimal>,
    /// Stock: (item number, location code) → (quantity, last change).
    pub stock: BTreeMap<(String, String), (Decimal, String)>,
    /// Number series positions.
    pub series: BTreeMap<String, u64>,
    /// The receivables account of customer postings.
    pub receivables_account: String,
}

/// The tenant: its companies and the id/clock context.
#[derive(Debug)]
pub struct Tenant {
    /// Ids and time.
    pub ctx: Ctx,
    /// Companies.
    pub companies: Vec<Company>,
}

impl Tenant {
    /// The company with id `id` (GUIDs compare case-insensitively).
    pub fn company_mut(&mut self, id: &str) -> Result<(&mut Ctx, &mut Company), BcError> {
        let Tenant { ctx, companies } = self;
        companies
            .iter_mut()
            .find(|c| c.id.eq_ignore_ascii_case(id))
            .map(|c| (ctx, c))
            .ok_or_else(|| BcError::resource_not_found(&format!("companies({id})")))
    }

    /// The company with id `id`.
    pub fn company(&self, id: &str) -> Option<&Company> {
        self.companies
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(id))
    }
}

impl Company {
    /// A new company with empty tables.
    pub fn new(id: String, name: &str, tax: TaxKind, home: &str) -> Self {
        Company {
            id,
            name: name.to_string(),
            tax,
            home: home.to_string(),
            tables: BTreeMap::new(),
            vat_setup: BTreeMap::new(),
            tax_details: BTreeMap::new(),
            stock: BTreeMap::new(),
            series: BTreeMap::new(),
            receivables_account: "13100".into(),
        }
    }

    /// Rows of `set`.
    pub fn rows(&self, set: &str) -> &[Value] {
        self.tables.get(set).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Rows of `set`, mutable.
    pub fn rows_mut(&mut self, set: &str) -> &mut Vec<Value> {
        self.tables.entry(set.to_string()).or_default()
    }

    /// The row of `set` with id `id`.
    pub fn get(&self, set: &str, id: &str) -> Option<&Value> {
        self.rows(set)
            .iter()
            .find(|r| text(r, "id").eq_ignore_ascii_case(id))
    }

    /// The row of `set` with id `id`, mutable.
    pub fn get_mut(&mut self, set: &str, id: &str) -> Option<&mut Value> {
        self.rows_mut(set)
            .iter_mut()
            .find(|r| text(r, "id").eq_ignore_ascii_case(id))
    }

    /// The first row of `set` whose `field` equals `value`.
    pub fn by(&self, set: &str, field: &str, value: &str) -> Option<&Value> {
        self.rows(set).iter().find(|r| text(r, field) == value)
    }

    /// Next number of series `code` (`prefix` + number).
    pub fn next_number(&mut self, code: &str, prefix: &str, start: u64) -> String {
        let n = self.series.entry(code.to_string()).or_insert(start);
        *n += 1;
        format!("{prefix}{}", *n)
    }

    /// Stock of an item at a location.
    pub fn stock_of(&self, item: &str, location: &str) -> Decimal {
        self.stock
            .get(&(item.to_string(), location.to_string()))
            .map(|s| s.0)
            .unwrap_or_default()
    }

    /// Changes stock of `item` at `location` by `delta`, and the item's total `inventory`.
    pub fn move_stock(&mut self, ctx: &mut Ctx, item: &str, location: &str, delta: Decimal) {
        let stamp = ctx.stamp();
        let e = self
            .stock
            .entry((item.to_string(), location.to_string()))
            .or_insert((Decimal::ZERO, stamp.clone()));
        e.0 += delta;
        e.1 = stamp.clone();
        let qty = e.0;
        // The bcsync extension's availability page: one row per (item, location).
        let key = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("{}|{item}|{location}", self.id).as_bytes(),
        )
        .to_string();
        let row = json!({"id": key, "itemNumber": item, "locationCode": location, "inventory": num(qty), "lastModifiedDateTime": stamp});
        let rows = self.rows_mut("itemAvailabilities");
        match rows.iter_mut().find(|r| text(r, "id") == key) {
            Some(r) => *r = row,
            None => rows.push(row),
        }
        let total: Decimal = self
            .stock
            .iter()
            .filter(|((i, _), _)| i == item)
            .map(|(_, (q, _))| *q)
            .sum();
        let row = self
            .rows_mut("items")
            .iter_mut()
            .find(|r| text(r, "number") == item);
        if let Some(row) = row {
            obj(row).insert("inventory".into(), num(total));
            touch(ctx, row);
        }
    }
}

/// A string field (empty when absent).
pub fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field).and_then(Value::as_str).unwrap_or("")
}

/// A decimal field, read from the JSON number's text (never through a float).
pub fn dec(v: &Value, field: &str) -> Decimal {
    match v.get(field) {
        Some(Value::Number(n)) => n.to_string().parse().unwrap_or_default(),
        Some(Value::String(s)) => s.parse().unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

/// A decimal as a JSON number (exact: `arbitrary_precision`).
pub fn num(d: Decimal) -> Value {
    let d = d.normalize();
    serde_json::from_str(&d.to_string()).unwrap_or(Value::Null)
}

/// The object map of a row (rows are always objects).
pub fn obj(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = json!({});
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable_map(),
    }
}

fn unreachable_map() -> &'static mut Map<String, Value> {
    // `obj` replaced any non-object with an object just above; this is never reached. Leak a
    // fresh map rather than panic, so that a logic error cannot take the sandbox down.
    Box::leak(Box::new(Map::new()))
}

/// Bumps a row's version and `lastModifiedDateTime`.
pub fn touch(ctx: &mut Ctx, row: &mut Value) {
    let v = row.get("_v").and_then(Value::as_u64).unwrap_or(0) + 1;
    let stamp = ctx.stamp();
    let m = obj(row);
    m.insert("_v".into(), json!(v));
    m.insert("lastModifiedDateTime".into(), json!(stamp));
}

/// The row's `@odata.etag` (weak, changes with every version), in BC's `W/"J…"` shape.
pub fn etag(row: &Value) -> String {
    let v = row.get("_v").and_then(Value::as_u64).unwrap_or(0);
    let raw = format!("{v};{}", text(row, "id"));
    format!(
        "W/\"J{}\"",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// The row as the API shows it: hidden fields removed, `@odata.etag` first, only `select`.
pub fn render(row: &Value, select: Option<&[String]>) -> Value {
    let mut out = Map::new();
    out.insert("@odata.etag".into(), json!(etag(row)));
    if let Value::Object(m) = row {
        for (k, v) in m {
            if k.starts_with('_') {
                continue;
            }
            if let Some(sel) = select {
                if !sel.iter().any(|s| s == k) {
                    continue;
                }
            }
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}
