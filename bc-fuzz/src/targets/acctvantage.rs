//! The embedded ERP (bc-connector-acctvantage). It talks to no one over the network: its
//! answers are rows of its own SQLite file, written by itself, so there is no outside payload
//! to parse. The one piece of outside text its public API parses is a sales order status name
//! (`SalesOrderStatus::from_str`: what `status_map` and a person give `set_document_status`),
//! fuzzed here.

use std::str::FromStr;

use bc_connector_acctvantage::SalesOrderStatus;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::cut;
use crate::engine::{Mode, Outcome, Target};
use crate::gen::{edge_strings, Gen};
use crate::mutate;

/// `SalesOrderStatus::from_str` on generated and mutated names.
pub struct StatusNames {
    names: Vec<String>,
    generated: BoxedStrategy<String>,
    dict: Vec<Vec<u8>>,
}

impl StatusNames {
    /// Seeds: the status names themselves.
    pub fn new() -> Self {
        let names: Vec<String> = SalesOrderStatus::ALL
            .iter()
            .map(|s| s.as_str().to_string())
            .chain(["Invoiced".to_string(), "on hold".to_string()])
            .collect();
        let generated = prop_oneof![
            3 => proptest::sample::select(names.clone()),
            3 => proptest::string::string_regex("[A-Za-z _-]{0,20}")
                .map(|s| s.boxed())
                .unwrap_or_else(|_| Just(String::new()).boxed()),
            1 => proptest::sample::select(edge_strings()),
            1 => proptest::string::string_regex("\\PC{0,24}")
                .map(|s| s.boxed())
                .unwrap_or_else(|_| Just(String::new()).boxed()),
        ]
        .boxed();
        let dict = mutate::dictionary(&names);
        StatusNames {
            names,
            generated,
            dict,
        }
    }
}

impl Default for StatusNames {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for StatusNames {
    type Input = String;

    fn name(&self) -> &'static str {
        "acctvantage.status"
    }

    fn make(&self, mode: Mode, g: &mut Gen) -> String {
        let name = self.names[g.below(self.names.len())].clone();
        match mode {
            Mode::Generated => g.draw(&self.generated, name),
            Mode::MutatedStructure => {
                // Case, separators and letters changed, the way people write them.
                let mut chars: Vec<char> = name.chars().collect();
                for _ in 0..1 + g.below(3) {
                    let at = g.below(chars.len() + 1);
                    match g.below(4) {
                        0 => chars.insert(at, ['_', '-', ' ', 'I'][g.below(4)]),
                        1 if at < chars.len() => {
                            chars.remove(at);
                        }
                        2 => chars.iter_mut().for_each(|c| *c = c.to_ascii_uppercase()),
                        _ => chars
                            .insert(at, char::from_u32(g.below(0x11_0000) as u32).unwrap_or('ǅ')),
                    }
                }
                chars.into_iter().collect()
            }
            Mode::MutatedBytes => {
                let mut b = name.into_bytes();
                mutate::bytes(&mut b, g, &self.dict, b"Awaiting Fulfillment");
                String::from_utf8_lossy(&b).into_owned()
            }
        }
    }

    fn parse(&self, text: &String) -> Outcome {
        match SalesOrderStatus::from_str(text) {
            Ok(s) => {
                let _ = (s.as_str(), s.is_posted());
                Outcome::Accepted
            }
            Err(_) => Outcome::Refused,
        }
    }

    fn show(&self, text: &String) -> String {
        cut(&text.escape_debug().to_string(), 4_000)
    }
}
