//! Progress bars for long work (a backlog `sync`, `check --online`, `exceptions retry --all`):
//! drawn on stderr when it is a terminal, never when it is piped or with `--json`.

use std::io::IsTerminal;
use std::sync::Arc;

use bc_engine::{Engine, Progress};
use indicatif::{ProgressBar, ProgressStyle};

/// A bar fed by the engine's progress hook (hidden when not on a terminal or with `--json`).
pub fn attach(engine: &Engine, json: bool, label: &str) -> ProgressBar {
    let bar = if json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_string());
        bar
    };
    let fed = bar.clone();
    engine.set_progress(Some(Arc::new(move |p: Progress| {
        if let Some(total) = p.total {
            fed.set_length(total.max(p.done));
        } else if fed.length().is_none_or(|l| l < p.done) {
            fed.set_length(p.done);
        }
        fed.set_position(p.done);
        fed.set_message(p.job.to_string());
    })));
    bar
}
