//! The settings file: `bc_core::Settings::from_toml_str` (TOML syntax, then every rule of
//! `Settings::validate`). Seeds: the settings files of the workspace (the commented example,
//! the demo's and the engine bench's).

use bc_core::Settings;
use proptest::strategy::BoxedStrategy;
use serde_json::Value;

use super::cut;
use crate::engine::{Mode, Outcome, Target};
use crate::gen::{self, Gen};
use crate::mutate::{self, Pool};
use crate::seeds;

/// The settings files fuzzed (at least one must be readable).
pub const FILES: &[&str] = &[
    "examples/bcsync.toml",
    "src/cli/demo_settings.toml",
    "bc-engine/benches/common/qbo_settings.toml",
];

/// Settings keys the seeds may not use (every section and a few options of FEATURES.md).
const KEYS: &[&str] = &[
    "storefront",
    "ledger",
    "state",
    "sync",
    "orders",
    "clients",
    "items",
    "taxes",
    "tax_map",
    "status_map",
    "shipping",
    "ship_via_map",
    "payments",
    "receipts",
    "refunds",
    "inventory",
    "report",
    "platform",
    "path",
    "url",
    "interval",
    "period",
    "timezone",
    "start_date",
];

/// `Settings::from_toml_str` on generated and mutated settings files.
pub struct SettingsFile {
    docs: Vec<toml::Value>,
    texts: Vec<String>,
    shapes: Vec<BoxedStrategy<Value>>,
    pool: Pool,
    dict: Vec<Vec<u8>>,
}

impl SettingsFile {
    /// Reads the seed files.
    pub fn new() -> Result<Self, String> {
        let mut docs = Vec::new();
        let mut texts = Vec::new();
        let mut problems = Vec::new();
        for f in FILES {
            match seeds::text(f).and_then(|t| {
                toml::from_str::<toml::Value>(&t)
                    .map(|d| (d, t))
                    .map_err(|e| format!("seed `{f}`: not TOML: {e}"))
            }) {
                Ok((d, t)) => {
                    docs.push(d);
                    texts.push(t);
                }
                Err(e) => problems.push(e),
            }
        }
        if docs.is_empty() {
            return Err(format!("no settings seed: {}", problems.join("; ")));
        }
        let json: Vec<Value> = docs.iter().map(mutate::toml_to_json).collect();
        let mut keys = gen::vocabulary(&json);
        keys.extend(KEYS.iter().map(|k| k.to_string()));
        keys.sort();
        keys.dedup();
        Ok(SettingsFile {
            shapes: json.iter().map(|j| gen::shaped(j, &keys)).collect(),
            dict: mutate::dictionary(&keys),
            pool: Pool::new(keys),
            docs,
            texts,
        })
    }

    /// The seed files' texts.
    pub fn seeds(&self) -> &[String] {
        &self.texts
    }
}

impl Target for SettingsFile {
    type Input = String;

    fn name(&self) -> &'static str {
        "settings"
    }

    fn make(&self, mode: Mode, g: &mut Gen) -> String {
        let i = g.below(self.docs.len());
        match mode {
            Mode::Generated => {
                let v = g.draw(&self.shapes[i], Value::Null);
                mutate::toml_text(&v).unwrap_or_else(|| self.texts[i].clone())
            }
            Mode::MutatedStructure => mutate::toml_value(&self.docs[i], g, &self.pool),
            Mode::MutatedBytes => {
                let mut b = self.texts[i].clone().into_bytes();
                let j = g.below(self.texts.len());
                mutate::bytes(&mut b, g, &self.dict, self.texts[j].as_bytes());
                // A settings file is read as UTF-8 text; invalid bytes become U+FFFD.
                String::from_utf8_lossy(&b).into_owned()
            }
        }
    }

    fn parse(&self, text: &String) -> Outcome {
        match Settings::from_toml_str(text) {
            Ok(s) => {
                let _ = s.validate();
                Outcome::Accepted
            }
            Err(_) if toml::from_str::<toml::Value>(text).is_err() => Outcome::Syntax,
            Err(_) => Outcome::Refused,
        }
    }

    fn show(&self, text: &String) -> String {
        cut(&text.escape_debug().to_string(), 4_000)
    }
}
