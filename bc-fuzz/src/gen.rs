//! Input generation: a seeded random source, and proptest strategies shaped after documented
//! examples.
//!
//! [`shaped`] turns an example into a strategy for documents of the same shape: every key of
//! the example is kept (most of the time) with a value drawn like the example's (an amount
//! stays mostly an amount, a date mostly a date), arrays get 0–4 elements shaped like the
//! first, and now and then any value or an extra key appears. So most generated documents are
//! well-formed enough to reach the last line of a parser, with values at the edges.

use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Number, Value};

/// The random source of one run: a ChaCha RNG for mutations and a proptest runner for
/// strategies, both from one seed.
pub struct Gen {
    /// For mutation choices.
    pub rng: ChaCha8Rng,
    runner: TestRunner,
}

impl Gen {
    /// A source seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            chunk.copy_from_slice(&(seed.rotate_left(i as u32 * 16) ^ i as u64).to_le_bytes());
        }
        Gen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            runner: TestRunner::new_with_rng(
                Config::default(),
                TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
            ),
        }
    }

    /// A value from `strategy` (`fallback` if the strategy rejects, which ours never do).
    pub fn draw<S: Strategy>(&mut self, strategy: &S, fallback: S::Value) -> S::Value {
        strategy
            .new_tree(&mut self.runner)
            .map(|t| t.current())
            .unwrap_or(fallback)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.rng.gen_range(0..n)
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    /// One of `items` (`None` when empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
}

/// A JSON number with exactly this text (serde_json's `arbitrary_precision` keeps it).
pub fn number(text: &str) -> Value {
    serde_json::from_str::<Number>(text)
        .map(Value::Number)
        .unwrap_or_else(|_| Value::String(text.to_string()))
}

/// Numbers at the edges: beyond `Decimal`, beyond `u64` and `i64`, tiny, negative zero,
/// exponents, too many decimals.
pub const EDGE_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.0",
    "1e400",
    "-1e400",
    "1e-400",
    "1E28",
    "7.9e28",
    "1e29",
    "79228162514264337593543950335",
    "79228162514264337593543950336",
    "-79228162514264337593543950335",
    "0.0000000000000000000000000001",
    "0.00000000000000000000000000001",
    "1.00000000000000000000000000000000001",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "-9223372036854775809",
    "1000000000000000",
    "1000000000000001",
    "-1000000000000000.0001",
    "2147483647",
    "21474836.47",
    "12.5",
    "1.5e3",
    "4.0000",
];

/// Strings at the edges: empty, blank, signs, separators, escapes, unicode, long.
pub fn edge_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "\t\n",
        "\\",
        "\"",
        "\u{0}",
        "\u{feff}",
        "é",
        "𝄞",
        "-",
        "+1",
        "-1",
        "007",
        "0",
        "1.5",
        "1,5",
        "1e3",
        "NaN",
        "inf",
        "null",
        "true",
        "{}",
        "[]",
        "Tue, 20 Nov 2012 00:00:00 +0000",
        "Mon, 31 Feb 2012 25:61:61 +0000",
        "2012-11-20T00:00:00Z",
        "2012-13-40T00:00:00Z",
        "0000-00-00 00:00:00",
        "9999-12-31T23:59:59+14:00",
        "262144-01-01T00:00:00Z",
        "USD",
        "usd",
        "US DOLLARS",
        "XXX",
        "[bcsync:BC1218]",
        "[bcsync:BC1218] (tenders 79228162514264337593543950336)",
        "[bcsync:BC1218] (tenders -10.00) note",
        "env:",
        "env:BCSYNC_FUZZ_UNSET",
        "0s",
        "-1m",
        "99999999999999999999h",
        "1.5m",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(EDGE_NUMBERS.iter().map(|s| s.to_string()));
    v.push("9".repeat(400));
    v.push("é".repeat(300));
    v.push("a".repeat(5_000));
    v
}

fn regex(pattern: &str) -> BoxedStrategy<String> {
    match proptest::string::string_regex(pattern) {
        Ok(s) => s.boxed(),
        Err(_) => Just(String::new()).boxed(),
    }
}

thread_local! {
    /// [`leaf`] is used at every node of a shaped strategy: compile its regexes once.
    static LEAF: BoxedStrategy<Value> = make_leaf();
}

/// Any leaf value: null, booleans, integers, decimals, edge numbers, text.
pub fn leaf() -> BoxedStrategy<Value> {
    LEAF.with(Clone::clone)
}

fn make_leaf() -> BoxedStrategy<Value> {
    let edges = edge_strings();
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => any::<i64>().prop_map(Value::from),
        2 => regex("-?[0-9]{1,30}(\\.[0-9]{0,30})?").prop_map(|s| number(&s)),
        2 => proptest::sample::select(EDGE_NUMBERS).prop_map(number),
        2 => proptest::sample::select(edges).prop_map(Value::String),
        2 => regex("-?[0-9e.E+-]{0,14}").prop_map(Value::String),
        2 => regex("\\PC{0,24}").prop_map(Value::String),
    ]
    .boxed()
}

/// Any JSON value, objects keyed mostly by `keys` (the vocabulary of the parser's documents).
pub fn json(keys: &[String]) -> BoxedStrategy<Value> {
    let keys: Vec<String> = if keys.is_empty() {
        vec!["id".to_string()]
    } else {
        keys.to_vec()
    };
    // Built once: `prop_recursive` calls its closure again for every value drawn.
    let key: BoxedStrategy<String> = prop_oneof![
        4 => proptest::sample::select(keys),
        1 => regex("[a-z_A-Z]{1,12}"),
    ]
    .boxed();
    leaf()
        .prop_recursive(4, 48, 6, move |inner| {
            let key = key.clone();
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::vec((key, inner), 0..8)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
        .boxed()
}

/// Every object key in `docs`, sorted.
pub fn vocabulary<'a>(docs: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    out.insert(k.clone());
                    walk(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for d in docs {
        walk(d, &mut out);
    }
    out.into_iter().collect()
}

fn looks_decimal(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty()
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
}

fn looks_date(s: &str) -> bool {
    bc_core::wire::parse_datetime(s).is_ok()
}

/// A strategy for values like `example` (see the module docs); `keys` is the vocabulary for
/// the occasional extra key and free value.
pub fn shaped(example: &Value, keys: &[String]) -> BoxedStrategy<Value> {
    let pools = Pools::new(keys);
    // Once in a while the whole document is any JSON at all.
    prop_oneof![40 => shaped_at(example, &pools), 1 => json(keys)].boxed()
}

/// Values a shaped strategy picks from by index, drawn once: leaves from [`leaf`], the edge
/// strings, the vocabulary. Picking by index keeps a shaped draw to plain integers per node
/// (proptest unions and regexes at every node of an order cost more than the parse).
#[derive(Clone)]
struct Pools {
    leaves: Arc<Vec<Value>>,
    texts: Arc<Vec<String>>,
    keys: Arc<Vec<String>>,
}

impl Pools {
    fn new(keys: &[String]) -> Self {
        let mut runner = TestRunner::deterministic();
        let strategy = leaf();
        let leaves = (0..1024)
            .map(|_| {
                strategy
                    .new_tree(&mut runner)
                    .map(|t| t.current())
                    .unwrap_or(Value::Null)
            })
            .collect();
        let mut keys = keys.to_vec();
        if keys.is_empty() {
            keys.push("id".into());
        }
        Pools {
            leaves: Arc::new(leaves),
            texts: Arc::new(edge_strings()),
            keys: Arc::new(keys),
        }
    }

    fn leaf(&self, n: u64) -> Value {
        self.leaves[(n % self.leaves.len() as u64) as usize].clone()
    }

    fn text(&self, n: u64) -> String {
        self.texts[(n % self.texts.len() as u64) as usize].clone()
    }

    fn key(&self, n: u64) -> String {
        self.keys[(n % self.keys.len() as u64) as usize].clone()
    }
}

/// What a leaf of an example is, for drawing others like it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Like {
    Number,
    DecimalText,
    Date,
    Text,
    Other,
}

/// An amount's text from integers: `n` scaled by `scale` decimals.
fn decimal_text(n: i64, scale: u32) -> String {
    rust_decimal::Decimal::new(n, scale % 29).to_string()
}

fn date_text(n: u64, m: u64) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const ZONES: [&str; 5] = ["+0000", "-0500", "+1400", "GMT", ""];
    let (day, month, year) = (n % 40, (n / 40) % 14, (m % 10_000) as u32);
    let (hour, minute) = ((m / 10_000) % 30, (m / 300_000) % 70);
    if n.is_multiple_of(2) {
        format!(
            "{}, {day:02} {} {year} {hour:02}:{minute:02}:00 {}",
            DAYS[(m % 7) as usize],
            MONTHS[(month % 12) as usize],
            ZONES[(n % 5) as usize]
        )
    } else {
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:00Z")
    }
}

fn leaf_like(example: &Value, pools: &Pools) -> BoxedStrategy<Value> {
    let like = match example {
        Value::Number(_) => Like::Number,
        Value::String(s) if looks_date(s) => Like::Date,
        Value::String(s) if looks_decimal(s) => Like::DecimalText,
        Value::String(_) => Like::Text,
        _ => Like::Other,
    };
    let keep = example.clone();
    let pools = pools.clone();
    (any::<u32>(), any::<i64>(), any::<u64>())
        .prop_map(move |(dice, n, m)| {
            let roll = dice % 100;
            let small = decimal_text(i64::from(n as i32), (m % 5) as u32);
            let edge = || number(EDGE_NUMBERS[(m % EDGE_NUMBERS.len() as u64) as usize]);
            match (like, roll) {
                (_, 0..=9) => keep.clone(),
                (_, 95..=97) => pools.leaf(m),
                (_, 98..=99) => edge(),
                (Like::Number, 10..=54) => number(&small),
                (Like::Number, 55..=69) => Value::String(small),
                (Like::Number, 70..=84) => Value::from(m as u32),
                (Like::Number | Like::DecimalText, 85..=94) => {
                    number(&decimal_text(n, (m % 29) as u32))
                }
                (Like::DecimalText, 10..=69) => Value::String(small),
                (Like::DecimalText, _) => Value::String(decimal_text(n, (m % 29) as u32)),
                (Like::Date, 10..=79) => Value::String(date_text(n as u64, m)),
                (Like::Date, _) => Value::String(pools.text(m)),
                (Like::Text, 10..=59) => keep.clone(),
                (Like::Text, 60..=84) => Value::String(pools.text(m)),
                (_, _) => pools.leaf(n as u64),
            }
        })
        .boxed()
}

fn shaped_at(example: &Value, pools: &Pools) -> BoxedStrategy<Value> {
    let like = match example {
        Value::Object(m) => {
            // Each key kept 93% of the time; now and then one more key of the vocabulary.
            let fields: Vec<BoxedStrategy<(u8, String, Value)>> = m
                .iter()
                .map(|(k, v)| {
                    let k = k.clone();
                    (any::<u8>(), shaped_at(v, pools))
                        .prop_map(move |(d, v)| (d, k.clone(), v))
                        .boxed()
                })
                .collect();
            let p = pools.clone();
            (fields, any::<u64>(), any::<u64>())
                .prop_map(move |(fields, extra, value)| {
                    let mut out = Map::new();
                    for (d, k, v) in fields {
                        if d >= 18 {
                            out.insert(k, v);
                        }
                    }
                    if extra % 8 == 0 {
                        out.insert(p.key(extra / 8), p.leaf(value));
                    }
                    Value::Object(out)
                })
                .boxed()
        }
        Value::Array(items) if items.is_empty() => {
            let p = pools.clone();
            (0usize..3, any::<u64>())
                .prop_map(move |(n, v)| {
                    Value::Array((0..n).map(|i| p.leaf(v + i as u64)).collect())
                })
                .boxed()
        }
        Value::Array(items) => {
            // Elements shaped like the first, or like any of the first three.
            let shapes: Vec<BoxedStrategy<Value>> =
                items.iter().take(3).map(|x| shaped_at(x, pools)).collect();
            let one = if shapes.len() == 1 {
                shapes.into_iter().next().unwrap_or_else(leaf)
            } else {
                proptest::strategy::Union::new(shapes).boxed()
            };
            proptest::collection::vec(one, 0..4)
                .prop_map(Value::Array)
                .boxed()
        }
        leaf => return leaf_like(leaf, pools),
    };
    // Now and then an object or array is replaced by a leaf (a type the parser must refuse).
    let p = pools.clone();
    (any::<u8>(), like)
        .prop_map(move |(d, v)| if d < 6 { p.leaf(u64::from(d)) } else { v })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shaped_documents_mostly_keep_the_example_s_keys_and_vary_its_values() {
        let example = json!({"id": 218, "total": "12.5000", "date": "Tue, 20 Nov 2012 00:00:00 +0000", "lines": [{"qty": 1}]});
        let keys = vocabulary([&example]);
        let s = shaped(&example, &keys);
        let mut g = Gen::new(3);
        let docs: Vec<Value> = (0..300).map(|_| g.draw(&s, Value::Null)).collect();
        let with_id = docs.iter().filter(|d| d.get("id").is_some()).count();
        assert!(with_id > 200, "{with_id}");
        let totals: BTreeSet<String> = docs
            .iter()
            .filter_map(|d| d.get("total").map(|t| t.to_string()))
            .collect();
        assert!(totals.len() > 100, "values vary: {}", totals.len());
        // Same seed, same documents.
        let mut h = Gen::new(3);
        assert_eq!(h.draw(&s, Value::Null), docs[0]);
    }

    #[test]
    fn edge_numbers_keep_their_exact_text() {
        // Not a float (which would be infinite); serde_json writes the exponent's sign.
        assert_eq!(number("1e400").to_string(), "1e+400");
        assert_eq!(
            number("79228162514264337593543950336").to_string(),
            "79228162514264337593543950336"
        );
    }
}
