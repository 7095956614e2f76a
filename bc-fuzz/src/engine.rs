//! The run loop: make an input, call the parser under `catch_unwind`, count.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::gen::Gen;

/// How an input was made. [`run`] cycles through them, one after the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// From a proptest strategy shaped after the documented examples.
    Generated,
    /// A documented example with structural (JSON / TOML) edits.
    MutatedStructure,
    /// A documented example's text with byte-level edits.
    MutatedBytes,
}

impl Mode {
    /// The three modes, in the order [`run`] uses them.
    pub const ALL: [Mode; 3] = [Mode::Generated, Mode::MutatedStructure, Mode::MutatedBytes];
}

/// What the parser made of one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Refused before the typed parser: not JSON / TOML / UTF-8, or not the shape the
    /// connector reads before calling the parser (e.g. a list that is not an array).
    Syntax,
    /// The parser accepted it.
    Accepted,
    /// The parser refused it with an error.
    Refused,
}

/// A parser under test.
pub trait Target {
    /// One input.
    type Input;
    /// The parser's name in reports (`bigcommerce.order`).
    fn name(&self) -> &'static str;
    /// Makes an input in `mode`.
    fn make(&self, mode: Mode, g: &mut Gen) -> Self::Input;
    /// Runs the parser (and whatever reads its result at once) on `input`.
    fn parse(&self, input: &Self::Input) -> Outcome;
    /// The input as text, to report a panic.
    fn show(&self, input: &Self::Input) -> String;
}

/// A panic found, with the input that caused it.
#[derive(Clone, Debug)]
pub struct PanicCase {
    /// The input's number in the run (same seed → same input).
    pub index: u64,
    /// How it was made.
    pub mode: Mode,
    /// The panic message and location.
    pub message: String,
    /// The input, as text.
    pub input: String,
}

/// The counts of one run over one parser.
#[derive(Clone, Debug)]
pub struct Report {
    /// The parser.
    pub name: &'static str,
    /// Inputs tried.
    pub inputs: u64,
    /// Inputs per mode, in the order of [`Mode::ALL`].
    pub by_mode: [u64; 3],
    /// Inputs that reached the typed parser.
    pub reached: u64,
    /// Inputs accepted.
    pub accepted: u64,
    /// Inputs refused with an error (after or before the typed parser).
    pub refused: u64,
    /// Panics.
    pub panics: u64,
    /// The first panics (at most [`KEPT_PANICS`]).
    pub first_panics: Vec<PanicCase>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Time spent per mode (making and parsing), in the order of [`Mode::ALL`].
    pub time_by_mode: [Duration; 3],
}

/// How many panic cases a report keeps.
pub const KEPT_PANICS: usize = 5;

/// A parser under test, whatever its input type (what [`run`] takes).
pub trait Runnable {
    /// The parser's name.
    fn name(&self) -> &'static str;
    /// Runs `inputs` inputs from `seed`.
    fn run_inputs(&self, inputs: u64, seed: u64) -> Report;
}

impl<T: Target> Runnable for T {
    fn name(&self) -> &'static str {
        Target::name(self)
    }

    fn run_inputs(&self, inputs: u64, seed: u64) -> Report {
        quiet_panics();
        let start = Instant::now();
        let mut g = Gen::new(seed ^ name_hash(Target::name(self)));
        let mut report = Report {
            name: Target::name(self),
            inputs: 0,
            by_mode: [0; 3],
            reached: 0,
            accepted: 0,
            refused: 0,
            panics: 0,
            first_panics: Vec::new(),
            elapsed: Duration::ZERO,
            time_by_mode: [Duration::ZERO; 3],
        };
        for index in 0..inputs {
            let slot = (index % 3) as usize;
            let mode = Mode::ALL[slot];
            let t0 = Instant::now();
            // Making an input runs our own code only; a panic there is a bench bug, and is
            // counted the same way so that it cannot hide.
            let made = catching(|| self.make(mode, &mut g));
            report.inputs += 1;
            report.by_mode[slot] += 1;
            let result = match made {
                Ok(input) => catching(|| self.parse(&input)).map_err(|m| (m, self.show(&input))),
                Err(m) => Err((format!("making the input: {m}"), String::new())),
            };
            report.time_by_mode[slot] += t0.elapsed();
            match result {
                Ok(Outcome::Accepted) => {
                    report.reached += 1;
                    report.accepted += 1;
                }
                Ok(Outcome::Refused) => {
                    report.reached += 1;
                    report.refused += 1;
                }
                Ok(Outcome::Syntax) => report.refused += 1,
                Err((message, input)) => {
                    report.panics += 1;
                    if report.first_panics.len() < KEPT_PANICS {
                        report.first_panics.push(PanicCase {
                            index,
                            mode,
                            message,
                            input,
                        });
                    }
                }
            }
        }
        report.elapsed = start.elapsed();
        report
    }
}

/// Runs `inputs` inputs of `target` from `seed` (each target mixes its name into the seed).
pub fn run(target: &dyn Runnable, inputs: u64, seed: u64) -> Report {
    target.run_inputs(inputs, seed)
}

fn name_hash(name: &str) -> u64 {
    // FNV-1a: stable across runs and platforms (std's hasher is not).
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

thread_local! {
    static FUZZING: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Installs, once, a panic hook that records the message of a panic inside [`catching`]
/// instead of printing it (a million inputs would flood the terminal); panics elsewhere go
/// to the previous hook.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if FUZZING.with(Cell::get) {
                LAST_PANIC.with(|p| *p.borrow_mut() = info.to_string());
            } else {
                previous(info);
            }
        }));
    });
}

/// Calls `f`, turning a panic into its message.
pub fn catching<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    quiet_panics();
    FUZZING.with(|c| c.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    FUZZING.with(|c| c.set(false));
    result.map_err(|_| LAST_PANIC.with(|p| std::mem::take(&mut *p.borrow_mut())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parser that panics on inputs ending in 7: the bench must count every one.
    struct Sevens;

    impl Target for Sevens {
        type Input = u64;
        fn name(&self) -> &'static str {
            "sevens"
        }
        fn make(&self, _mode: Mode, g: &mut Gen) -> u64 {
            g.below(100) as u64
        }
        fn parse(&self, input: &u64) -> Outcome {
            if input % 10 == 7 {
                panic!("seven: {input}");
            }
            if input.is_multiple_of(2) {
                Outcome::Accepted
            } else {
                Outcome::Refused
            }
        }
        fn show(&self, input: &u64) -> String {
            input.to_string()
        }
    }

    #[test]
    fn panics_are_counted_kept_and_reproducible() {
        let a = run(&Sevens, 3_000, 1);
        assert_eq!(a.inputs, 3_000);
        assert_eq!(a.by_mode, [1_000, 1_000, 1_000]);
        assert_eq!(a.accepted + a.refused + a.panics, 3_000);
        // About one in ten; far from zero and from all.
        assert!((150..=450).contains(&a.panics), "{}", a.panics);
        assert_eq!(a.first_panics.len(), KEPT_PANICS);
        assert!(
            a.first_panics[0].message.contains("seven: "),
            "{:?}",
            a.first_panics[0]
        );
        assert!(a.first_panics[0].input.ends_with('7'));
        let b = run(&Sevens, 3_000, 1);
        assert_eq!(
            (a.panics, a.accepted),
            (b.panics, b.accepted),
            "same seed, same run"
        );
        assert_eq!(a.first_panics[0].index, b.first_panics[0].index);
    }

    #[test]
    fn panics_outside_the_bench_still_reach_the_previous_hook() {
        quiet_panics();
        assert!(!FUZZING.with(Cell::get));
        assert_eq!(catching(|| 5), Ok(5));
        assert!(catching(|| panic!("boom")).unwrap_err().contains("boom"));
        assert!(!FUZZING.with(Cell::get));
    }
}
