//! `bc-fuzz`: runs every parser of outside data on generated and mutated inputs.
//!
//! ```text
//! cargo run -p bc-fuzz --release -- [--quick N | --inputs N] [--seed S] [--only NAME,…] [--list]
//! ```
//!
//! Default: 1,000,000 inputs per parser. Prints one line per parser (inputs, how they were
//! made, how many reached the typed parser, accepted, refused, panics, time) and, for each
//! panic kept, the input that caused it. Exits 1 on any panic, 2 on a usage or seed error.

use std::process::ExitCode;
use std::time::Instant;

use bc_fuzz::engine::{run, Report};

/// Inputs per parser unless told otherwise.
const DEFAULT_INPUTS: u64 = 1_000_000;

struct Args {
    inputs: u64,
    seed: u64,
    only: Vec<String>,
    list: bool,
}

fn usage() -> String {
    "usage: bc-fuzz [--quick N | --inputs N] [--seed S] [--only NAME[,NAME…]] [--list]".into()
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        inputs: DEFAULT_INPUTS,
        seed: 0xBC5_F022,
        only: Vec::new(),
        list: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("`{name}` needs a value\n{}", usage()))
        };
        match a.as_str() {
            "--quick" | "--inputs" => {
                let v = value(&a)?;
                args.inputs = v
                    .replace('_', "")
                    .parse()
                    .map_err(|_| format!("`{a}` takes a count, not `{v}`"))?;
            }
            "--seed" => {
                let v = value(&a)?;
                args.seed = v
                    .parse()
                    .map_err(|_| format!("`--seed` takes a number, not `{v}`"))?;
            }
            "--only" => {
                args.only
                    .extend(value(&a)?.split(',').map(|s| s.trim().to_string()));
            }
            "--list" => args.list = true,
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument `{other}`\n{}", usage())),
        }
    }
    Ok(args)
}

fn line(r: &Report) -> String {
    let per = |i: usize| r.time_by_mode[i].as_secs_f64() * 1e6 / r.by_mode[i].max(1) as f64;
    format!(
        "{:<24} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7} {:>9.1}s  µs/input g/s/b {:.0}/{:.0}/{:.0}",
        r.name,
        r.inputs,
        r.by_mode[0],
        r.by_mode[1] + r.by_mode[2],
        r.reached,
        r.accepted,
        r.refused,
        r.panics,
        r.elapsed.as_secs_f64(),
        per(0),
        per(1),
        per(2)
    )
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let targets = match bc_fuzz::targets::all() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bc-fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    if args.list {
        for t in &targets {
            println!("{}", t.name());
        }
        return ExitCode::SUCCESS;
    }
    let unknown: Vec<&String> = args
        .only
        .iter()
        .filter(|n| !targets.iter().any(|t| t.name() == n.as_str()))
        .collect();
    if !unknown.is_empty() {
        eprintln!("bc-fuzz: no parser named {unknown:?} (see --list)");
        return ExitCode::from(2);
    }
    println!(
        "bc-fuzz: {} inputs per parser, seed {} (1/3 generated, 1/3 structure-mutated, 1/3 byte-mutated)",
        args.inputs, args.seed
    );
    println!(
        "{:<24} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7} {:>10}",
        "parser",
        "inputs",
        "generated",
        "mutated",
        "reached",
        "accepted",
        "refused",
        "panics",
        "time"
    );
    let start = Instant::now();
    let mut reports = Vec::new();
    for t in targets
        .iter()
        .filter(|t| args.only.is_empty() || args.only.iter().any(|n| n == t.name()))
    {
        let r = run(t.as_ref(), args.inputs, args.seed);
        println!("{}", line(&r));
        reports.push(r);
    }
    let inputs: u64 = reports.iter().map(|r| r.inputs).sum();
    let panics: u64 = reports.iter().map(|r| r.panics).sum();
    println!(
        "total: {} parsers, {inputs} inputs, {panics} panics, {:.1}s",
        reports.len(),
        start.elapsed().as_secs_f64()
    );
    for r in reports.iter().filter(|r| r.panics > 0) {
        for p in &r.first_panics {
            println!(
                "\nPANIC in {} (input #{}, {:?}, seed {}):\n  {}\n  input: {}",
                r.name, p.index, p.mode, args.seed, p.message, p.input
            );
        }
    }
    if panics > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
