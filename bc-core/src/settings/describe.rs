//! Settings errors in words a finance person reads: the full key, the value as written, and
//! what was expected ("a whole number", "true or false", "one of: invoice, sales_order").
//!
//! serde and toml speak Rust (`invalid type: string "150", expected u32`) and the toml parser
//! quotes the offending source line, which may hold a secret. Every settings error — of the
//! whole file ([`Settings::from_toml_str`](super::Settings::from_toml_str)) and of a platform's
//! own table ([`parse_table`](super::parse_table)) — goes through this module instead:
//!
//! - [`explain`] turns one serde message into words (the one place that knows serde's
//!   phrasing);
//! - [`show_value`] prints a value as written in the file, `******` for a secret key
//!   ([`is_secret_key`]);
//! - a TOML syntax error names the line, the column and the key, never the line's text.
//!
//! List entries are counted from 1 in keys: `status.map[2].ledger` is the `ledger` of the
//! second `[[status.map]]`.

use std::fmt::Write as _;
use std::ops::Range;

use serde::de::DeserializeOwned;
use serde_path_to_error::{Path, Segment};

use crate::error::{Error, ErrorKind, Result};

/// The text shown instead of a secret value.
pub const REDACTED: &str = "******";

/// The longest value shown in an error, in characters (longer ones end with `…`).
const MAX_VALUE_CHARS: usize = 80;

/// Whether a key (its last part, `access_token` of `storefront.access_token`) holds a
/// secret: `access_token`, `client_secret`, `password`, `refresh_token`, `webhook_secret`,
/// `api_key` and every key whose name contains `token`, `secret`, `password`, `passwd`,
/// `passphrase` or `credential`, or has the word `key` (`api_key`, `private_key`; not
/// `Turkey Tax`).
///
/// ```
/// use bc_core::settings::describe::is_secret_key;
/// assert!(is_secret_key("storefront.access_token"));
/// assert!(is_secret_key("ledger.api_key"));
/// assert!(!is_secret_key("storefront.requests_per_window"));
/// assert!(!is_secret_key("tax_map.\"Turkey Tax\""));
/// ```
pub fn is_secret_key(key: &str) -> bool {
    let last = last_part(key).to_ascii_lowercase();
    let words = || last.split(|c: char| !c.is_ascii_alphanumeric());
    let secret_word = [
        "token",
        "secret",
        "password",
        "passwd",
        "passphrase",
        "credential",
    ];
    // `key` as a word (`api_key`, `key`, `apikey`), not inside one (`Turkey Tax`).
    words().any(|w| secret_word.iter().any(|s| w.contains(s)))
        || words().any(|w| matches!(w, "key" | "apikey" | "privatekey" | "accesskey" | "keys"))
}

/// The last part of a dotted key, without quotes or a list index.
fn last_part(key: &str) -> &str {
    let k = key.rsplit('.').next().unwrap_or(key);
    let k = k.split('[').next().unwrap_or(k);
    k.trim_matches('"')
}

/// `value` as written in a TOML file (`"150"`, `150`, `["a", "b"]`), or `******` when `key`
/// is a secret key; secret keys inside a table are masked too. Long values are cut.
///
/// ```
/// use bc_core::settings::describe::show_value;
/// let v = toml::Value::String("150".into());
/// assert_eq!(show_value("storefront.requests_per_window", &v), "\"150\"");
/// assert_eq!(show_value("storefront.access_token", &v), "******");
/// ```
pub fn show_value(key: &str, value: &toml::Value) -> String {
    if is_secret_key(key) {
        return REDACTED.to_string();
    }
    let mut out = String::new();
    write_value(&mut out, value);
    if out.chars().count() > MAX_VALUE_CHARS {
        out = out.chars().take(MAX_VALUE_CHARS).collect::<String>() + "…";
    }
    out
}

fn write_value(out: &mut String, value: &toml::Value) {
    match value {
        toml::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        toml::Value::Table(table) => {
            out.push_str("{ ");
            for (i, (k, v)) in table.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&toml_key(k));
                out.push_str(" = ");
                if is_secret_key(k) {
                    out.push_str(REDACTED);
                } else {
                    write_value(out, v);
                }
            }
            out.push_str(" }");
        }
        // Scalars: TOML's own spelling (strings quoted and escaped).
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// A key part as TOML writes it: bare when it can be, else quoted
/// (`credit_card`, `"Credit Card"`).
pub fn key_part(k: &str) -> String {
    toml_key(k)
}

/// `url` with the password of its `user:password@` part replaced by `******`.
///
/// ```
/// use bc_core::settings::describe::redact_url_password;
/// assert_eq!(redact_url_password("postgres://u:pw@db/x"), "postgres://u:******@db/x");
/// assert_eq!(redact_url_password("sqlite://a.sqlite"), "sqlite://a.sqlite");
/// ```
pub fn redact_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].find(':') {
            Some(colon) => format!(
                "{}{}:{REDACTED}{}",
                &url[..scheme_end],
                &authority[..colon],
                &rest[at..]
            ),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// A key part as TOML writes it: bare when it can be, else quoted.
fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        format!("{:?}", k)
    }
}

/// The full dotted key of `path` under `prefix` (`storefront`, or empty for the whole file).
fn key_of(prefix: &str, path: &Path) -> String {
    let segs: Vec<&Segment> = path.iter().collect();
    key_of_segments(prefix, &segs)
}

fn key_of_segments(prefix: &str, segs: &[&Segment]) -> String {
    let mut key = prefix.to_string();
    for seg in segs {
        match seg {
            Segment::Map { key: k } => {
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(&toml_key(k));
            }
            Segment::Seq { index } => {
                let _ = write!(key, "[{}]", index + 1);
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    key
}

/// The value at `path` in `root`, if the path leads to one.
fn value_at<'a>(root: &'a toml::Value, path: &Path) -> Option<&'a toml::Value> {
    let mut v = root;
    for seg in path.iter() {
        v = match seg {
            Segment::Map { key } => v.as_table()?.get(key.as_str())?,
            Segment::Seq { index } => v.as_array()?.get(*index)?,
            Segment::Enum { .. } => v,
            Segment::Unknown => return None,
        };
    }
    Some(v)
}

/// One serde message, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Explained {
    /// A key the table does not have; `known` lists the keys it has.
    UnknownKey {
        /// The key as written.
        name: String,
        /// The keys of the table.
        known: Vec<String>,
    },
    /// A required key is absent.
    Missing {
        /// The missing key.
        name: String,
        /// What it takes, in words, when known (`text`, `a whole number`).
        kind: Option<String>,
    },
    /// A key given twice.
    Duplicate {
        /// The key.
        name: String,
    },
    /// A value that is not one of a fixed list.
    NotOneOf {
        /// The valid values.
        valid: Vec<String>,
    },
    /// A value of the wrong kind; the text says what was expected, in words.
    Expected {
        /// The expected kind in words: `a whole number`, `text`.
        kind: String,
        /// Whether the expected kind is an unsigned number (a negative value is worth a word).
        unsigned: bool,
    },
    /// An error already worded for a person (`setting ` …` from a nested check).
    Worded(String),
    /// Any other message, with Rust type names replaced by words.
    Other(String),
}

/// Reads one serde/toml error message (`invalid type: string "150", expected u32`,
/// `unknown field `x`, expected one of `a`, `b``, `missing field `x``, `unknown variant …`)
/// into words. The one place that knows serde's phrasing.
///
/// ```
/// use bc_core::settings::describe::{explain, Explained};
/// assert_eq!(
///     explain("invalid type: string \"150\", expected u32"),
///     Explained::Expected { kind: "a whole number".into(), unsigned: true }
/// );
/// ```
pub fn explain(message: &str) -> Explained {
    let m = message.trim();
    if m.starts_with("setting `") {
        return Explained::Worded(m.to_string());
    }
    if let Some(rest) = m.strip_prefix("unknown field `") {
        let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
        return Explained::UnknownKey {
            name: name.to_string(),
            known: backticked(tail),
        };
    }
    if let Some(rest) = m.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return Explained::Missing {
            name: name.to_string(),
            kind: None,
        };
    }
    if let Some(rest) = m.strip_prefix("duplicate field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return Explained::Duplicate {
            name: name.to_string(),
        };
    }
    if let Some(rest) = m.strip_prefix("unknown variant `") {
        let tail = rest.split_once('`').map(|(_, t)| t).unwrap_or_default();
        return Explained::NotOneOf {
            valid: backticked(tail),
        };
    }
    if let Some(expected) = m.strip_prefix("expected ") {
        // Our own deserializers' messages: already in words.
        return Explained::Expected {
            kind: expected.to_string(),
            unsigned: false,
        };
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if m.starts_with(prefix) {
            if let Some(i) = m.rfind(", expected ") {
                let exp = &m[i + ", expected ".len()..];
                let mut kind = kind_in_words(exp);
                // A whole number out of the type's range: say the range.
                let given = m
                    .strip_prefix("invalid value: integer `")
                    .and_then(|r| r.split('`').next())
                    .and_then(|n| n.parse::<i128>().ok());
                if let (Some(n), Some((min, max))) = (given, int_range(exp)) {
                    if n > max {
                        kind = format!("{kind}, at most {max}");
                    } else if n < min && min != 0 {
                        kind = format!("{kind}, at least {min}");
                    }
                }
                return Explained::Expected {
                    kind,
                    unsigned: is_unsigned(exp),
                };
            }
        }
    }
    Explained::Other(scrub(m))
}

/// Every `…` quoted name in `text`, in order.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

/// The smallest and largest value of an integer type named by serde.
fn int_range(exp: &str) -> Option<(i128, i128)> {
    Some(match exp.trim() {
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" => (0, u64::MAX.into()),
        "usize" => (0, i128::try_from(usize::MAX).ok()?),
        "i8" => (i8::MIN.into(), i8::MAX.into()),
        "i16" => (i16::MIN.into(), i16::MAX.into()),
        "i32" => (i32::MIN.into(), i32::MAX.into()),
        "i64" => (i64::MIN.into(), i64::MAX.into()),
        _ => return None,
    })
}

fn is_unsigned(exp: &str) -> bool {
    matches!(exp.trim(), "u8" | "u16" | "u32" | "u64" | "u128" | "usize")
}

/// A serde "expected …" description in words.
fn kind_in_words(exp: &str) -> String {
    let e = exp.trim();
    let lower = e.to_ascii_lowercase();
    let words = match e {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128"
        | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a string" | "string" | "a borrowed string" | "a str" | "str" => "text",
        "a boolean" | "bool" => "true or false",
        "a character" | "char" => "a single character",
        "a sequence" | "sequence" | "a sequence of values" => "a list",
        "a map" | "map" => "a table",
        "unit" => "nothing",
        "option" => "a value",
        _ if lower.starts_with("struct ") || lower.starts_with("internally tagged enum") => {
            "a table"
        }
        _ if lower.starts_with("a tuple") || lower.starts_with("tuple") => "a list",
        _ if lower.starts_with("enum ") || lower.contains("variant identifier") => {
            "one of the documented values"
        }
        _ if lower.starts_with("a decimal") => "a number",
        _ => return scrub(e),
    };
    words.to_string()
}

/// Replaces Rust type names in a message by words.
fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let w = match word.as_str() {
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64"
            | "i128" | "isize" => "a whole number",
            "f32" | "f64" => "a number",
            "sequence" => "list",
            "map" => "table",
            "struct" => "table",
            "enum" => "value",
            "str" | "String" => "text",
            "bool" => "true or false",
            other => other,
        };
        out.push_str(w);
        word.clear();
    };
    for c in message.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The words of a problem with a value present (after `setting `key` = value: `).
fn problem_text(key: &str, explained: &Explained, value: Option<&toml::Value>) -> String {
    match explained {
        Explained::Expected { kind, .. } if kind == "a list" => {
            format!("expected {}", list_kind(key))
        }
        Explained::Expected { kind, unsigned } => {
            let negative = value
                .and_then(toml::Value::as_integer)
                .is_some_and(|n| n < 0)
                || value
                    .and_then(toml::Value::as_float)
                    .is_some_and(|f| f < 0.0);
            if *unsigned && negative {
                format!("expected {kind}, zero or more")
            } else {
                format!("expected {kind}")
            }
        }
        Explained::NotOneOf { valid } if valid.is_empty() => "is not a valid value".to_string(),
        Explained::NotOneOf { valid } => format!("is not one of: {}", valid.join(", ")),
        Explained::Duplicate { .. } => "is given twice".to_string(),
        Explained::Missing { kind: None, .. } => "is required".to_string(),
        Explained::Missing {
            kind: Some(kind), ..
        } if kind == "a list" => format!("is required ({})", list_kind(key)),
        Explained::Missing {
            kind: Some(kind), ..
        } => format!("is required ({kind})"),
        Explained::UnknownKey { .. } => "is not a known key".to_string(),
        Explained::Worded(s) | Explained::Other(s) => s.clone(),
    }
}

/// "a list" in more words for the lists whose entries are known.
fn list_kind(key: &str) -> String {
    match last_part(key) {
        "new_order_status" | "refund_statuses" | "posting_statuses" => {
            "a list of text, like [\"Awaiting Fulfillment\"]".to_string()
        }
        "email_to" => "a list of text, like [\"books@example.com\"]".to_string(),
        "currencies" => "a list of text, like [\"CAD\", \"EUR\"]".to_string(),
        "map" if key.ends_with("status.map") => {
            "a list of [[status.map]] tables (ledger = \"…\", storefront = \"…\")".to_string()
        }
        _ => "a list".to_string(),
    }
}

/// The closest of `known` to `name`, when it is an obvious typo (at most 2 edits, or the
/// same letters in another case).
pub fn closest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    let name_l = name.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&name_l, &k.to_ascii_lowercase()), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 6) && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Levenshtein distance (insert, delete, replace), over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The error of a serde failure while reading `root` (the whole file with `prefix` empty,
/// or one section's table with `prefix` = `storefront`): names the full key, the value as
/// written (masked for secrets) and the expected kind in words.
pub fn de_error(prefix: &str, root: &toml::Value, path: &Path, message: &str) -> Error {
    error_of(prefix, root, path, explain(message))
}

/// Deserializes `T` from `root` (the whole file with `prefix` empty, or one section's table
/// with `prefix` = `storefront`); an error is [`de_error`]'s, and when serde could not say
/// what a missing key takes, or which values a choice has, `T` is asked again with a probe
/// value in that place to find out.
pub fn deserialize<T: DeserializeOwned>(prefix: &str, root: toml::Value) -> Result<T> {
    let err = match serde_path_to_error::deserialize::<_, T>(root.clone()) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let path = err.path().clone();
    let message = err.into_inner().message().to_string();
    let mut explained = explain(&message);
    match &explained {
        Explained::Missing { name, .. } => {
            // An empty list tells text, numbers, true/false and tables apart; a date-time
            // then tells lists.
            let kind = [toml::Value::Array(Vec::new()), probe_datetime()]
                .into_iter()
                .find_map(|v| {
                    probe::<T>(&root, &path, Some(name), v).and_then(|p| kind_of_probe(&p))
                });
            if let Some(kind) = kind {
                explained = Explained::Missing {
                    name: name.clone(),
                    kind: Some(kind),
                };
            }
        }
        Explained::Other(m) | Explained::Expected { kind: m, .. } if is_choice_message(m) => {
            let probed = probe::<T>(&root, &path, None, toml::Value::String("\u{1}".into()));
            if let Some(Explained::NotOneOf { valid }) = probed {
                explained = Explained::NotOneOf { valid };
            } else {
                explained = Explained::Expected {
                    kind: "one of the documented values".into(),
                    unsigned: false,
                };
            }
        }
        _ => {}
    }
    Err(error_of(prefix, &root, &path, explained))
}

/// toml's words for a choice (an enum) given something else than text.
fn is_choice_message(m: &str) -> bool {
    matches!(
        m,
        "string only"
            | "wanted string or table"
            | "wanted exactly 1 element"
            | "one of the documented values"
    )
}

/// A value no setting takes as is (a date-time): what `T` says of it tells the kind.
fn probe_datetime() -> toml::Value {
    "1979-05-27T07:32:00Z"
        .parse::<toml::value::Datetime>()
        .map(toml::Value::Datetime)
        .unwrap_or_else(|_| toml::Value::Array(Vec::new()))
}

/// What the probe's error says the place takes.
fn kind_of_probe(p: &Explained) -> Option<String> {
    match p {
        Explained::Expected { kind, .. } => Some(kind.clone()),
        Explained::UnknownKey { name, .. } if name.starts_with("$__toml") => Some("a table".into()),
        Explained::Missing { .. } => Some("a table".into()),
        Explained::NotOneOf { valid } if !valid.is_empty() => {
            Some(format!("one of: {}", valid.join(", ")))
        }
        _ => None,
    }
}

/// Deserializes `T` again with `value` at `path` (or at key `name` of the table at `path`)
/// and reads the error there, if the failure is at that place.
fn probe<T: DeserializeOwned>(
    root: &toml::Value,
    path: &Path,
    name: Option<&str>,
    value: toml::Value,
) -> Option<Explained> {
    // A missing key is not in the path: `path` is its table.
    let segs: Vec<&Segment> = path.iter().collect();
    let mut r = root.clone();
    let mut target = &mut r;
    for seg in &segs {
        target = match seg {
            Segment::Map { key } => target.as_table_mut()?.get_mut(key.as_str())?,
            Segment::Seq { index } => target.as_array_mut()?.get_mut(*index)?,
            Segment::Enum { .. } => target,
            Segment::Unknown => return None,
        };
    }
    let mut want = key_of("", path);
    match name {
        Some(n) => {
            target.as_table_mut()?.insert(n.to_string(), value);
            if !want.ends_with(&toml_key(n)) {
                want = join(&want, &toml_key(n));
            }
        }
        None => *target = value,
    }
    let e = serde_path_to_error::deserialize::<_, T>(r).err()?;
    let at = key_of("", e.path());
    let e = explain(e.into_inner().message());
    let same_place = at.starts_with(&want)
        || matches!(&e, Explained::UnknownKey { name, .. } | Explained::Missing { name, .. }
            if join(&at, &toml_key(name)).starts_with(&want));
    same_place.then_some(e)
}

fn error_of(prefix: &str, root: &toml::Value, path: &Path, explained: Explained) -> Error {
    if let Explained::Worded(text) = explained {
        return Error::new(ErrorKind::Config, text);
    }
    let mut key = key_of(prefix, path);
    // serde names an unknown, missing or duplicate key in the message; the path stops at its
    // table.
    let named = match &explained {
        Explained::UnknownKey { name, .. }
        | Explained::Missing { name, .. }
        | Explained::Duplicate { name } => Some(name.clone()),
        _ => None,
    };
    let mut value = value_at(root, path);
    let mut table_key = key.clone();
    if let Some(name) = &named {
        // An unknown key is in the path (serde_path_to_error captured it); a missing one is not.
        let captured = matches!(path.iter().next_back(), Some(Segment::Map { key: k }) if k == name)
            && matches!(explained, Explained::UnknownKey { .. });
        if captured {
            let segs: Vec<&Segment> = path.iter().collect();
            table_key = key_of_segments(prefix, &segs[..segs.len() - 1]);
        } else {
            value = value
                .and_then(toml::Value::as_table)
                .and_then(|t| t.get(name.as_str()));
            key = join(&key, &toml_key(name));
        }
    }
    let problem = match &explained {
        Explained::UnknownKey { name, known } => {
            let section = if table_key.is_empty() {
                "the settings file".to_string()
            } else if table_key.contains('[') {
                format!("`{table_key}`")
            } else {
                format!("[{table_key}]")
            };
            let mut p = format!("is not a known key of {section}");
            let suggestion = closest(name, known);
            if let Some(s) = suggestion {
                let _ = write!(p, " (did you mean `{s}`?)");
                // A misspelt secret key still holds a secret.
                if is_secret_key(s) {
                    let masked = Error::config_value(&key, REDACTED, &p);
                    return with_known(masked, known);
                }
            }
            let e = match value {
                Some(v) => Error::config_value(&key, &show_value(&key, v), &p),
                None => Error::config(&key, &p),
            };
            return with_known(e, known);
        }
        other => problem_text(&key, other, value),
    };
    match (value, &explained) {
        (_, Explained::Missing { .. }) | (None, _) => Error::config(&key, problem),
        (Some(v), _) => Error::config_value(&key, &show_value(&key, v), problem),
    }
}

fn with_known(e: Error, known: &[String]) -> Error {
    if known.is_empty() {
        Error::new(
            ErrorKind::Config,
            format!("{}; this table takes no keys", e.message()),
        )
    } else {
        Error::new(
            ErrorKind::Config,
            format!("{}; the known keys are: {}", e.message(), known.join(", ")),
        )
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut start = offset;
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// The dotted key written on line `line` (1-based) of `text`, under the `[table]` header
/// above it: `storefront.access_token`. `None` when the line holds no `key =`.
fn key_on_line(text: &str, line: usize, prefix: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let this = lines.get(line.checked_sub(1)?)?.trim();
    let header_of = |l: &str| -> Option<String> {
        let l = l.trim();
        if !l.starts_with('[') {
            return None;
        }
        let inner = l.trim_start_matches('[');
        let end = inner.find(']')?;
        Some(inner[..end].trim().to_string())
    };
    if let Some(h) = header_of(this) {
        return Some(join(prefix, &h));
    }
    let (k, _) = this.split_once('=')?;
    let k = k.trim();
    if k.is_empty()
        || !k
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.\" ".contains(c))
    {
        return None;
    }
    let header = lines[..line - 1]
        .iter()
        .rev()
        .find_map(|l| header_of(l))
        .unwrap_or_default();
    Some(join(prefix, &join(&header, k)))
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}.{b}"),
    }
}

/// The error of a TOML syntax error in `text`: the line, the column, the key when the line
/// names one, and what is wrong — never the text of the line (it may hold a secret).
/// `prefix` is the section the text is the table of (empty for a whole file).
pub fn syntax_error(prefix: &str, text: &str, err: &toml::de::Error) -> Error {
    let span: Option<Range<usize>> = err.span();
    let (mut line, mut col) = span.map(|s| line_col(text, s.start)).unwrap_or((0, 0));
    // A multi-line string never closed fails at the end of the file: point at where it opens.
    if err.message().contains("multiline") && line > 0 {
        let opening = text
            .lines()
            .take(line)
            .enumerate()
            .filter(|(_, l)| l.contains("'''") || l.contains("\"\"\""))
            .last();
        if let Some((i, l)) = opening {
            line = i + 1;
            col = l
                .find(['\'', '"'])
                .map(|b| l[..b].chars().count() + 1)
                .unwrap_or(1);
        }
    }
    let key = if line > 0 {
        key_on_line(text, line, prefix)
    } else {
        None
    };
    let what = syntax_words(err.message(), text, line);
    let place = if line > 0 {
        format!("line {line}, column {col}")
    } else {
        "somewhere in the file".to_string()
    };
    let message = match key {
        Some(k) => format!("settings file, {place} (setting `{k}`): {what}"),
        None => format!("settings file, {place}: {what}"),
    };
    Error::new(ErrorKind::Config, message)
}

/// The parser's message, on one line, with anything from the offending line's value masked.
fn syntax_words(message: &str, text: &str, line: usize) -> String {
    let mut what = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    if line > 0 {
        if let Some(src) = text.lines().nth(line - 1) {
            let value = src.split_once('=').map(|(_, v)| v).unwrap_or(src);
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            if value.chars().count() >= 4 && what.contains(value) {
                what = what.replace(value, REDACTED);
            }
        }
    }
    let what = match what.as_str() {
        "invalid basic string" | "invalid literal string" => {
            "the text is not closed: a quote is missing".to_string()
        }
        _ => what,
    };
    scrub(&what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_phrases_become_words() {
        for (msg, words) in [
            (
                "invalid type: string \"150\", expected u32",
                "a whole number",
            ),
            ("invalid type: integer `5`, expected a string", "text"),
            (
                "invalid type: string \"yes\", expected a boolean",
                "true or false",
            ),
            ("invalid type: string \"a\", expected a sequence", "a list"),
            (
                "invalid type: integer `1`, expected struct OrderSettings",
                "a table",
            ),
            ("invalid type: integer `1`, expected a map", "a table"),
            ("invalid type: string \"x\", expected f64", "a number"),
        ] {
            match explain(msg) {
                Explained::Expected { kind, .. } => assert_eq!(kind, words, "{msg}"),
                other => panic!("{msg}: {other:?}"),
            }
        }
        assert_eq!(
            explain("unknown variant `invoce`, expected one of `invoice`, `sales_order`"),
            Explained::NotOneOf {
                valid: vec!["invoice".into(), "sales_order".into()]
            }
        );
        assert_eq!(
            explain("unknown variant `x`, expected `a` or `b`"),
            Explained::NotOneOf {
                valid: vec!["a".into(), "b".into()]
            }
        );
        assert_eq!(
            explain("missing field `realm_id`"),
            Explained::Missing {
                name: "realm_id".into(),
                kind: None
            }
        );
        assert_eq!(
            explain("size is u32"),
            Explained::Other("size is a whole number".into())
        );
        assert_eq!(
            explain("invalid value: integer `70000`, expected u16"),
            Explained::Expected {
                kind: "a whole number, at most 65535".into(),
                unsigned: true
            }
        );
        assert_eq!(
            explain("invalid value: integer `-200`, expected i8"),
            Explained::Expected {
                kind: "a whole number, at least -128".into(),
                unsigned: false
            }
        );
    }

    #[test]
    fn a_string_value_with_a_comma_expected_in_it_is_read_from_the_end() {
        assert_eq!(
            explain("invalid type: string \"a, expected b\", expected u64"),
            Explained::Expected {
                kind: "a whole number".into(),
                unsigned: true
            }
        );
    }

    #[test]
    fn secrets_are_masked_also_inside_tables() {
        let v: toml::Value = toml::from_str::<toml::Table>("a = 1\napi_key = \"canary\"")
            .map(toml::Value::Table)
            .unwrap();
        let shown = show_value("ledger", &v);
        assert!(!shown.contains("canary"), "{shown}");
        assert!(shown.contains("api_key = ******"), "{shown}");
        assert_eq!(
            show_value("ledger.client_secret", &toml::Value::Integer(5)),
            REDACTED
        );
    }

    #[test]
    fn typos_find_the_key_meant() {
        let known: Vec<String> = ["store_hash", "access_token", "requests_per_window"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("store_hsh", &known), Some("store_hash"));
        assert_eq!(closest("acess_token", &known), Some("access_token"));
        assert_eq!(closest("colour", &known), None);
    }

    #[test]
    fn line_and_column_count_from_one() {
        let t = "a = 1\nbé = \"x\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 9), (2, 3));
        assert_eq!(
            key_on_line("[ledger]\nx = 1\nclient_secret = \"abc", 3, ""),
            Some("ledger.client_secret".into())
        );
    }
}
