//! The parsers under test, one file per platform, and [`Corpus`]: the documented examples of
//! one kind of document with the three ways of making inputs from them.

use std::borrow::Cow;

use proptest::strategy::BoxedStrategy;
use serde_json::Value;

use crate::engine::{Mode, Runnable};
use crate::gen::{self, Gen};
use crate::mutate::{self, Pool};

pub mod acctvantage;
pub mod bigcommerce;
#[cfg(feature = "qbo")]
pub mod qbo;
pub mod settings;

/// Every target, in report order. Fails when a target's seeds cannot be read.
pub fn all() -> Result<Vec<Box<dyn Runnable>>, String> {
    let mut out: Vec<Box<dyn Runnable>> = Vec::new();
    out.extend(bigcommerce::targets()?);
    #[cfg(feature = "qbo")]
    out.extend(qbo::targets()?);
    out.push(Box::new(settings::SettingsFile::new()?));
    out.push(Box::new(acctvantage::StatusNames::new()));
    Ok(out)
}

/// One input document: JSON (generated or structurally mutated) or bytes (mutated text).
#[derive(Clone, Debug)]
pub enum Doc {
    /// A JSON value.
    Json(Value),
    /// Raw bytes, maybe not JSON.
    Bytes(Vec<u8>),
}

impl Doc {
    /// The document as JSON; `None` when its bytes are not JSON (what the connector's body
    /// reader refuses before any parser).
    pub fn value(&self) -> Option<Cow<'_, Value>> {
        match self {
            Doc::Json(v) => Some(Cow::Borrowed(v)),
            Doc::Bytes(b) => serde_json::from_slice(b).ok().map(Cow::Owned),
        }
    }

    /// The document's bytes, as they would arrive.
    pub fn bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Doc::Json(v) => Cow::Owned(v.to_string().into_bytes()),
            Doc::Bytes(b) => Cow::Borrowed(b),
        }
    }

    /// The document as text for a report (at most 4,000 characters, escaped).
    pub fn show(&self) -> String {
        let text = match self {
            Doc::Json(v) => v.to_string(),
            Doc::Bytes(b) => format!("bytes: {}", String::from_utf8_lossy(b).escape_debug()),
        };
        cut(&text, 4_000)
    }
}

/// `text` cut to `max` characters.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max).collect();
        s.push_str("…(cut)");
        s
    }
}

/// The documented examples of one kind of document, and strategies made from them.
pub struct Corpus {
    seeds: Vec<Value>,
    texts: Vec<Vec<u8>>,
    shapes: Vec<BoxedStrategy<Value>>,
    pool: Pool,
    dict: Vec<Vec<u8>>,
}

impl Corpus {
    /// A corpus over `seeds` (at least one); `extra_keys` join the vocabulary.
    pub fn new(seeds: Vec<Value>, extra_keys: &[&str]) -> Result<Self, String> {
        if seeds.is_empty() {
            return Err("a corpus needs at least one documented example".into());
        }
        let mut keys = gen::vocabulary(&seeds);
        keys.extend(extra_keys.iter().map(|k| k.to_string()));
        keys.sort();
        keys.dedup();
        let shapes = seeds.iter().map(|s| gen::shaped(s, &keys)).collect();
        let texts = seeds.iter().map(|s| s.to_string().into_bytes()).collect();
        let dict = mutate::dictionary(&keys);
        Ok(Corpus {
            seeds,
            texts,
            shapes,
            pool: Pool::new(keys),
            dict,
        })
    }

    /// The examples.
    pub fn seeds(&self) -> &[Value] {
        &self.seeds
    }

    /// A generated document.
    pub fn generated(&self, g: &mut Gen) -> Value {
        let i = g.below(self.shapes.len());
        g.draw(&self.shapes[i], Value::Null)
    }

    /// An example with structural edits.
    pub fn mutated(&self, g: &mut Gen) -> Value {
        let i = g.below(self.seeds.len());
        let mut v = self.seeds[i].clone();
        mutate::json(&mut v, g, &self.pool);
        v
    }

    /// An example's text (sometimes after structural edits, sometimes pretty-printed) with
    /// byte edits.
    pub fn mutated_bytes(&self, g: &mut Gen) -> Vec<u8> {
        let i = g.below(self.seeds.len());
        let mut b = if g.chance(0.3) {
            self.mutated(g).to_string().into_bytes()
        } else if g.chance(0.2) {
            serde_json::to_vec_pretty(&self.seeds[i]).unwrap_or_else(|_| self.texts[i].clone())
        } else {
            self.texts[i].clone()
        };
        let j = g.below(self.texts.len());
        mutate::bytes(&mut b, g, &self.dict, &self.texts[j]);
        b
    }

    /// A document made in `mode`.
    pub fn make(&self, mode: Mode, g: &mut Gen) -> Doc {
        match mode {
            Mode::Generated => Doc::Json(self.generated(g)),
            Mode::MutatedStructure => Doc::Json(self.mutated(g)),
            Mode::MutatedBytes => Doc::Bytes(self.mutated_bytes(g)),
        }
    }
}

/// A parser of one JSON document (the connector has already read the body as JSON).
pub struct JsonTarget {
    name: &'static str,
    corpus: Corpus,
    parse: fn(&Value) -> bool,
}

impl JsonTarget {
    /// `parse` returns whether the document was accepted.
    pub fn new(name: &'static str, corpus: Corpus, parse: fn(&Value) -> bool) -> Self {
        JsonTarget {
            name,
            corpus,
            parse,
        }
    }
}

impl crate::engine::Target for JsonTarget {
    type Input = Doc;

    fn name(&self) -> &'static str {
        self.name
    }

    fn make(&self, mode: Mode, g: &mut Gen) -> Doc {
        self.corpus.make(mode, g)
    }

    fn parse(&self, input: &Doc) -> crate::engine::Outcome {
        use crate::engine::Outcome;
        match input.value() {
            None => Outcome::Syntax,
            Some(v) if (self.parse)(&v) => Outcome::Accepted,
            Some(_) => Outcome::Refused,
        }
    }

    fn show(&self, input: &Doc) -> String {
        input.show()
    }
}

/// A parser of a raw body (it reads the JSON itself).
pub struct BytesTarget {
    name: &'static str,
    corpus: Corpus,
    parse: fn(&[u8]) -> bool,
}

impl BytesTarget {
    /// `parse` returns whether the body was accepted.
    pub fn new(name: &'static str, corpus: Corpus, parse: fn(&[u8]) -> bool) -> Self {
        BytesTarget {
            name,
            corpus,
            parse,
        }
    }
}

impl crate::engine::Target for BytesTarget {
    type Input = Doc;

    fn name(&self) -> &'static str {
        self.name
    }

    fn make(&self, mode: Mode, g: &mut Gen) -> Doc {
        self.corpus.make(mode, g)
    }

    fn parse(&self, input: &Doc) -> crate::engine::Outcome {
        use crate::engine::Outcome;
        let bytes = input.bytes();
        if (self.parse)(&bytes) {
            Outcome::Accepted
        } else if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
            Outcome::Refused
        } else {
            Outcome::Syntax
        }
    }

    fn show(&self, input: &Doc) -> String {
        input.show()
    }
}
