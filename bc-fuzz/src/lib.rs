//! # bc-fuzz — a fuzz bench for every parser of outside data
//!
//! bcsync reads what other systems send it: BigCommerce orders, refunds, shipments and webhook
//! deliveries, QuickBooks Online answers and faults, the settings file a person writes, and the
//! status names given to the embedded ERP. None of these parsers may panic, whatever arrives:
//! a panic in a job loses the whole run. This crate drives each of them with inputs made three
//! ways, in turn:
//!
//! - **generated** ([`gen`]): proptest strategies shaped after the documented examples (the
//!   connectors' test fixtures), so most inputs are plausible documents with odd values
//!   (extreme amounts, ids of every type, bad dates, missing and extra keys) that reach deep
//!   into the parser;
//! - **mutated as JSON / TOML** ([`mutate::json`]): a documented example with a few structural
//!   edits (a value replaced, a key dropped or added, an array emptied or repeated, a type
//!   changed);
//! - **mutated as bytes** ([`mutate::bytes`]): an example's text with bit flips, inserted
//!   tokens, cut or repeated ranges, so the syntax layer in front of the parser is fuzzed too.
//!
//! Every call runs under `catch_unwind`; [`engine::run`] counts inputs, how many reached the
//! typed parser (got past the JSON / TOML syntax), how many were accepted or refused, and the
//! panics, keeping the first ones with their input. Runs are deterministic: the same seed
//! gives the same inputs.
//!
//! - [`engine`] — the [`engine::Target`] trait, the run loop, the [`engine::Report`];
//! - [`gen`], [`mutate`] — input makers;
//! - [`seeds`] — the documented examples each target starts from;
//! - [`targets`] — one file per platform: [`targets::bigcommerce`], [`targets::qbo`],
//!   [`targets::settings`], [`targets::acctvantage`]; [`targets::all`] lists them.
//!
//! ```no_run
//! let targets = bc_fuzz::targets::all().expect("seeds found");
//! for t in &targets {
//!     let report = bc_fuzz::engine::run(t.as_ref(), 2_000, 7);
//!     assert_eq!(report.panics, 0, "{}", report.name);
//! }
//! ```
//!
//! The binary (`cargo run -p bc-fuzz --release -- [--quick N] [--seed S] [--only NAME]`)
//! runs 1,000,000 inputs per parser by default and exits non-zero on any panic.
#![forbid(unsafe_code)]

pub mod engine;
pub mod gen;
pub mod mutate;
pub mod seeds;
pub mod targets;

pub use engine::{run, Mode, Outcome, Report, Runnable, Target};
