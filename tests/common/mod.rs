//! What the program's tests share: a child process killed when dropped, a fresh temporary
//! folder, a text field of a JSON value.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Child;

use serde_json::Value;

/// A spawned process, killed (and reaped) when dropped, whatever the test's outcome.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An empty folder `bcsync-<what>-<name>-<pid>` under the system's temporary folder.
pub fn temp_dir(what: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bcsync-{what}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The text of field `k` of `v` (empty when absent or not text).
pub fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}
