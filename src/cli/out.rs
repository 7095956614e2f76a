//! Standard output that ends quietly when the reader goes away (`bcsync exceptions list |
//! head -3`): once stdout is a closed pipe, further lines are dropped instead of panicking,
//! and the command finishes its work and exits as it would have.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes one line to stdout; a closed pipe silences every later line.
pub fn line(args: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let result = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = result {
        CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("bcsync: cannot write to standard output: {e}");
        }
    }
}
