//! The documented examples the targets start from: the connectors' test fixtures (written out
//! from the platforms' documentation) and the settings files of the workspace, read from the
//! work tree at run time, so a fixture added to a connector is fuzzed without a change here.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The workspace root (this crate's parent directory).
pub fn workspace() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// A file of the workspace, as text; the error names the path.
pub fn text(relative: &str) -> Result<String, String> {
    let path = workspace().join(relative);
    fs::read_to_string(&path).map_err(|e| format!("seed `{}`: {e}", path.display()))
}

/// A JSON file of the workspace; the error names the path.
pub fn json(relative: &str) -> Result<Value, String> {
    let t = text(relative)?;
    serde_json::from_str(&t).map_err(|e| format!("seed `{relative}`: not JSON: {e}"))
}

/// Every `*.json` file under `relative` (recursively), sorted by path, as (path, text).
pub fn json_files_under(relative: &str) -> Result<Vec<(String, String)>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    let root = workspace().join(relative);
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    let files: Vec<(String, String)> = paths
        .into_iter()
        .filter_map(|p| {
            let t = fs::read_to_string(&p).ok()?;
            Some((p.display().to_string(), t))
        })
        .collect();
    if files.is_empty() {
        Err(format!(
            "no JSON seeds under `{}`: the fixtures moved? point bc-fuzz at them",
            root.display()
        ))
    } else {
        Ok(files)
    }
}

/// The elements of a JSON array seed; the error names it.
pub fn array(v: Value, what: &str) -> Result<Vec<Value>, String> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(format!("seed `{what}` is not an array")),
    }
}
