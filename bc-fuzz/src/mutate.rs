//! Mutations of documented examples: structural ([`json`], [`toml_value`]) and byte-level
//! ([`bytes`]).

use serde_json::{Map, Value};

use crate::gen::{edge_strings, number, Gen, EDGE_NUMBERS};

/// Replacement values for structural mutations: a strategy's draws and the edge values.
pub struct Pool {
    /// The vocabulary of the parser's documents (keys to add).
    pub keys: Vec<String>,
    /// Free values drawn from [`crate::gen::json`].
    pub values: proptest::strategy::BoxedStrategy<Value>,
    leaves: proptest::strategy::BoxedStrategy<Value>,
    edges: Vec<Value>,
}

impl Pool {
    /// A pool over `keys`.
    pub fn new(keys: Vec<String>) -> Self {
        let mut edges: Vec<Value> = vec![
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Array(Vec::new()),
            Value::Object(Map::new()),
        ];
        edges.extend(EDGE_NUMBERS.iter().map(|n| number(n)));
        edges.extend(edge_strings().into_iter().map(Value::String));
        let values = crate::gen::json(&keys);
        Pool {
            keys,
            values,
            leaves: crate::gen::leaf(),
            edges,
        }
    }

    fn value(&self, g: &mut Gen) -> Value {
        match g.below(10) {
            0..=5 => g.pick(&self.edges).cloned().unwrap_or(Value::Null),
            6..=8 => g.draw(&self.leaves, Value::Null),
            _ => g.draw(&self.values, Value::Null),
        }
    }
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(m) => m.values().map(count).sum(),
        _ => 0,
    }
}

/// Calls `f` on the `k`-th node of `v` in pre-order (the last node if `k` is too large).
fn with_nth(v: &mut Value, mut k: usize, f: &mut dyn FnMut(&mut Value)) {
    fn go(v: &mut Value, k: &mut usize, f: &mut dyn FnMut(&mut Value)) -> bool {
        if *k == 0 {
            f(v);
            return true;
        }
        *k -= 1;
        match v {
            Value::Array(a) => a.iter_mut().any(|x| go(x, k, f)),
            Value::Object(m) => m.values_mut().any(|x| go(x, k, f)),
            _ => false,
        }
    }
    if !go(v, &mut k, f) {
        f(v);
    }
}

fn nth(v: &Value, mut k: usize) -> Value {
    fn go(v: &Value, k: &mut usize) -> Option<Value> {
        if *k == 0 {
            return Some(v.clone());
        }
        *k -= 1;
        match v {
            Value::Array(a) => a.iter().find_map(|x| go(x, k)),
            Value::Object(m) => m.values().find_map(|x| go(x, k)),
            _ => None,
        }
    }
    go(v, &mut k).unwrap_or(Value::Null)
}

/// A number's text stretched: `choice` picks the edit, `n` its size.
fn tweak_number_text(text: &str, choice: usize, n: usize) -> String {
    match choice {
        0 => format!("-{text}"),
        1 => format!("{text}{}", "0".repeat(1 + n % 30)),
        2 => format!("{text}e{}", n % 400),
        3 => format!("{text}.{}", "9".repeat(1 + n % 30)),
        4 => format!("0.{}{text}", "0".repeat(n % 30)),
        5 => text.trim_start_matches('-').to_string(),
        6 => format!("{}{text}", "9".repeat(1 + n % 30)),
        _ => text.chars().rev().collect(),
    }
}

/// Applies 1–4 structural edits to `v`: a node replaced (edge value, free value, another
/// node of the document), a key dropped or added, an array emptied, shortened or repeated,
/// a number's text stretched, a value wrapped or turned into text.
pub fn json(v: &mut Value, g: &mut Gen, pool: &Pool) {
    let edits = 1 + g.below(4);
    for _ in 0..edits {
        let n = count(v);
        let k = g.below(n);
        let op = g.below(10);
        // Draw what the edit needs before borrowing the node (and only that: a draw or a
        // clone of a whole order per edit would dominate the run).
        let replacement = pool.value(g);
        let other = if op == 2 {
            nth(v, g.below(n))
        } else {
            Value::Null
        };
        let key = g.pick(&pool.keys).cloned().unwrap_or_else(|| "id".into());
        let most = if g.chance(0.1) { 300 } else { 4 };
        let repeat = 1 + g.below(most);
        let pick = g.below(64);
        let (choice, size) = (g.below(8), g.below(400));
        with_nth(v, k, &mut |node: &mut Value| match (op, &mut *node) {
            (0 | 1, _) => *node = replacement.clone(),
            (2, _) => *node = other.clone(),
            (3, Value::Object(m)) if !m.is_empty() => {
                let idx = pick % m.len();
                if let Some(k) = m.keys().nth(idx).cloned() {
                    m.remove(&k);
                }
            }
            (4, Value::Object(m)) => {
                m.insert(key.clone(), replacement.clone());
            }
            (3 | 4, Value::Array(a)) if !a.is_empty() => {
                let idx = pick % a.len();
                let x = a[idx].clone();
                for _ in 0..repeat {
                    a.push(x.clone());
                }
            }
            (5, Value::Array(a)) => {
                if a.is_empty() {
                    a.push(replacement.clone());
                } else {
                    a.truncate(pick % a.len());
                }
            }
            (6, Value::Number(num)) => {
                *node = number(&tweak_number_text(&num.to_string(), choice, size));
            }
            (6, Value::String(s)) => *s = tweak_number_text(s, choice, size),
            (7, _) => *node = Value::Array(vec![node.clone()]),
            (8, _) => {
                let text = node.to_string();
                *node = Value::String(text);
            }
            (9, Value::String(s)) => match s.parse::<Value>() {
                Ok(parsed) => *node = parsed,
                Err(_) => s.push_str(&"\u{0}é\\\"".repeat(repeat.min(50))),
            },
            _ => *node = replacement.clone(),
        });
    }
}

/// Tokens inserted by [`bytes`]: JSON and TOML punctuation, escapes, literals, edge numbers.
pub fn dictionary(keys: &[String]) -> Vec<Vec<u8>> {
    let mut d: Vec<Vec<u8>> = [
        "\"", "\\", "\\u0000", "\\ud800", "\\uDFFF", "{", "}", "[", "]", ",", ":", "=", "\n", "[[",
        "]]", "'", "'''", "\"\"\"", "#", "null", "true", "false", "-", ".", "e", "E", "+", "0x",
        "nan", "inf", "\u{0}", "\u{ff}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    d.extend(EDGE_NUMBERS.iter().map(|s| s.as_bytes().to_vec()));
    d.extend(keys.iter().map(|k| format!("\"{k}\"").into_bytes()));
    d.extend(keys.iter().map(|k| format!("{k} = ").into_bytes()));
    d.push(vec![b'['; 200]);
    d.push(vec![b'9'; 64]);
    d
}

/// Applies 1–8 byte edits to `b` (bit flips, random bytes, cut / repeated / inserted ranges,
/// dictionary tokens, truncation, a splice from `other`).
pub fn bytes(b: &mut Vec<u8>, g: &mut Gen, dict: &[Vec<u8>], other: &[u8]) {
    let most = if g.chance(0.2) { 8 } else { 3 };
    let edits = 1 + g.below(most);
    for _ in 0..edits {
        let len = b.len();
        let at = g.below(len + 1);
        match g.below(10) {
            0 if len > 0 => {
                let i = g.below(len);
                b[i] ^= 1 << g.below(8);
            }
            1 if len > 0 => {
                let i = g.below(len);
                b[i] = g.below(256) as u8;
            }
            2 => {
                let n = 1 + g.below(8);
                let fresh: Vec<u8> = (0..n).map(|_| g.below(256) as u8).collect();
                b.splice(at..at, fresh);
            }
            3 if len > 0 => {
                let start = at.min(len - 1);
                let end = (start + 1 + g.below(32)).min(len);
                b.drain(start..end);
            }
            4 if len > 0 => {
                let start = g.below(len);
                let end = (start + 1 + g.below(64)).min(len);
                let piece = b[start..end].to_vec();
                let times = 1 + g.below(4);
                for _ in 0..times {
                    b.splice(at..at, piece.iter().copied());
                }
            }
            5 | 6 => {
                if let Some(tok) = g.pick(dict) {
                    b.splice(at..at, tok.iter().copied());
                }
            }
            7 => {
                if let Some(tok) = g.pick(dict) {
                    let end = (at + tok.len()).min(len);
                    b.splice(at..end, tok.iter().copied());
                }
            }
            8 if len > 0 => b.truncate(at),
            9 if !other.is_empty() => {
                let start = g.below(other.len());
                let end = (start + 1 + g.below(256)).min(other.len());
                b.splice(at..at, other[start..end].iter().copied());
            }
            _ => {
                // Replace a digit with another: keeps the document valid, moves the number.
                if let Some(i) = (0..len)
                    .map(|j| (at + j) % len.max(1))
                    .find(|&j| b.get(j).is_some_and(u8::is_ascii_digit))
                {
                    b[i] = b'0' + g.below(10) as u8;
                }
            }
        }
    }
}

/// A TOML value as JSON (tables → objects, datetimes → strings), for the JSON mutations.
pub fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => number(&f.to_string()),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// JSON back to TOML (`null` drops the key; numbers that are not `i64` become floats, or text
/// when they are not even that).
pub fn json_to_toml(v: &Value) -> Option<toml::Value> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => {
            let text = n.to_string();
            match (text.parse::<i64>(), text.parse::<f64>()) {
                (Ok(i), _) => toml::Value::Integer(i),
                (_, Ok(f)) => toml::Value::Float(f),
                _ => toml::Value::String(text),
            }
        }
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(a) => toml::Value::Array(a.iter().filter_map(json_to_toml).collect()),
        Value::Object(m) => toml::Value::Table(
            m.iter()
                .filter_map(|(k, v)| json_to_toml(v).map(|v| (k.clone(), v)))
                .collect(),
        ),
    })
}

/// A TOML document's text from JSON (`None` when TOML cannot write it, e.g. not a table).
pub fn toml_text(v: &Value) -> Option<String> {
    match json_to_toml(v)? {
        t @ toml::Value::Table(_) => toml::to_string(&t).ok(),
        _ => None,
    }
}

/// Structural edits to a TOML document, through its JSON form.
pub fn toml_value(doc: &toml::Value, g: &mut Gen, pool: &Pool) -> String {
    let mut v = toml_to_json(doc);
    json(&mut v, g, pool);
    toml_text(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_mutations_change_documents_and_are_reproducible() {
        let doc = json!({"id": 218, "total": "12.5000", "lines": [{"qty": 1, "sku": "A"}]});
        let pool = Pool::new(crate::gen::vocabulary([&doc]));
        let mut g = Gen::new(9);
        let mut changed = 0;
        let mut first = None;
        for _ in 0..200 {
            let mut d = doc.clone();
            json(&mut d, &mut g, &pool);
            if d != doc {
                changed += 1;
            }
            first.get_or_insert(d);
        }
        assert!(changed > 150, "{changed}");
        let mut g = Gen::new(9);
        let mut d = doc.clone();
        json(&mut d, &mut g, &pool);
        assert_eq!(Some(d), first);
    }

    #[test]
    fn byte_mutations_change_text_and_sometimes_keep_it_json() {
        let doc = br#"{"id": 218, "total": "12.5000", "lines": [{"qty": 1}]}"#.to_vec();
        let dict = dictionary(&["id".into()]);
        let mut g = Gen::new(4);
        let (mut changed, mut still_json) = (0, 0);
        for _ in 0..500 {
            let mut b = doc.clone();
            bytes(&mut b, &mut g, &dict, &doc);
            changed += usize::from(b != doc);
            still_json += usize::from(serde_json::from_slice::<Value>(&b).is_ok());
        }
        assert!(changed > 400, "{changed}");
        assert!(still_json > 10 && still_json < 450, "{still_json}");
    }

    #[test]
    fn toml_round_trips_through_json() {
        let doc: toml::Value = toml::from_str("a = 1\n[t]\nb = \"x\"\nc = [1, 2]\n").unwrap();
        let text = toml_text(&toml_to_json(&doc)).unwrap();
        assert_eq!(toml::from_str::<toml::Value>(&text).unwrap(), doc);
    }
}
