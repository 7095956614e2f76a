//! Bad settings, as a finance person would write them: `bcsync check` refuses each one with
//! an error that names the full key and the value as written, says what was expected in
//! words (never `u32`, `usize`, `struct` …), and never prints a secret.
//!
//! Every case starts from the demo's settings (read at test time) and changes or adds one
//! line. The storefront's access token of every case is a canary that must never appear in
//! the program's output.
#![cfg(feature = "cli")]

use std::path::Path;
use std::process::{Command, Output};

/// The secret of every case: it must never be printed.
const CANARY: &str = "shpat_canary_5f1e9a7c";

/// Words that name Rust types or serde's data model instead of saying what to write.
const RUST_WORDS: &[&str] = &[
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "struct",
    "enum",
    "sequence",
    "map",
    "Option",
    "String",
    "Vec",
    "Decimal",
    "bool",
    "str",
    "NaiveDate",
    "Tz",
];

/// The QuickBooks Online `[ledger]` of the QBO cases.
const QBO_LEDGER: &str = r#"[ledger]
platform = "qbo"
realm_id = "9130354973581234"
client_id = "ABcd1234"
client_secret = "qbo-client-secret-canary-2b7d"
refresh_token = "qbo-refresh-canary-91c4"
minor_version = 75
"#;

/// The demo's settings with the canary as the storefront's access token.
fn base() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli/demo_settings.toml");
    let text = std::fs::read_to_string(&path).expect("the demo settings");
    let from = "access_token = \"sandbox-access-token-0123456789abcdef\"";
    assert!(text.contains(from), "the demo settings changed: {from}");
    text.replace(from, &format!("access_token = \"{CANARY}\""))
}

/// The base with the acctvantage `[ledger]` replaced by QuickBooks Online's.
fn qbo_base() -> String {
    let text = base();
    let from = "[ledger]\nplatform = \"acctvantage\"\n";
    assert!(text.contains(from), "the demo settings changed: {from}");
    text.replace(from, QBO_LEDGER)
}

/// The 1-based number of the first line of `text` starting with `start`.
fn line_of(text: &str, start: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(start))
        .map(|i| i + 1)
        .expect("the line")
}

/// One bad settings file.
struct Case {
    /// What is wrong, for failure messages.
    what: &'static str,
    /// The file.
    text: String,
    /// The full key the error must name.
    key: &'static str,
    /// The value as written that the error must show (`None`: a missing key, or a secret).
    value: Option<&'static str>,
    /// More text the error must hold (the valid values, the expected kind …).
    also: &'static [&'static str],
    /// Secrets of the file besides the canary that must not be printed.
    secrets: &'static [&'static str],
}

/// `text` with `from` (which must be there) replaced by `to`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the settings lack {from:?}");
    text.replacen(from, to, 1)
}

/// `text` with `line` added after the header `[table]`.
fn add(text: &str, table: &str, line: &str) -> String {
    let header = format!("[{table}]\n");
    edit(text, &header, &format!("{header}{line}\n"))
}

fn cases() -> Vec<Case> {
    let b = base();
    let q = qbo_base();
    let m = magento_base();
    let qbo_secrets: &'static [&'static str] =
        &["qbo-client-secret-canary-2b7d", "qbo-refresh-canary-91c4"];
    let case = |what, text, key, value, also| Case {
        what,
        text,
        key,
        value,
        also,
        secrets: &[],
    };
    vec![
        // ---- top-level keys: wrong types
        case(
            "text where true/false is expected",
            edit(
                &b,
                "match_client_by_email = true",
                "match_client_by_email = \"yes\"",
            ),
            "orders.match_client_by_email",
            Some("\"yes\""),
            &["true or false"],
        ),
        case(
            "text where a whole number is expected",
            edit(
                &b,
                "due_date_offset_days = 30",
                "due_date_offset_days = \"30\"",
            ),
            "posting.due_date_offset_days",
            Some("\"30\""),
            &["a whole number"],
        ),
        case(
            "a negative number of days",
            edit(&b, "due_date_offset_days = 30", "due_date_offset_days = -5"),
            "posting.due_date_offset_days",
            Some("-5"),
            &["a whole number", "zero or more"],
        ),
        case(
            "text where a list is expected",
            edit(
                &b,
                "new_order_status = [\"Awaiting Fulfillment\"]",
                "new_order_status = \"Awaiting Fulfillment\"",
            ),
            "orders.new_order_status",
            Some("\"Awaiting Fulfillment\""),
            &["a list of text"],
        ),
        case(
            "a number where text is expected, in a payment map entry named with spaces",
            edit(
                &b,
                "\"Credit Card\" = { receipt_type = \"CARD\", deposit_account = \"1050\" }",
                "\"Credit Card\" = { receipt_type = \"CARD\", deposit_account = 1050 }",
            ),
            "payment_map.\"Credit Card\".deposit_account",
            Some("1050"),
            &["expected text"],
        ),
        // ---- negative amounts
        case(
            "a negative rounding tolerance",
            edit(
                &b,
                "rounding_tolerance = \"0.05\"",
                "rounding_tolerance = \"-0.05\"",
            ),
            "posting.rounding_tolerance",
            Some("\"-0.05\""),
            &["zero or more"],
        ),
        case(
            "a negative stock buffer",
            edit(&b, "stock_buffer = \"2\"", "stock_buffer = -2"),
            "inventory.stock_buffer",
            Some("-2"),
            &["zero or more"],
        ),
        // ---- dates, intervals, time zones, codes
        case(
            "a date written day first",
            add(&b, "sync", "start_date = \"31/01/2026\""),
            "sync.start_date",
            Some("\"31/01/2026\""),
            &["a date like 2026-01-31"],
        ),
        case(
            "an interval in words",
            add(&b, "sync", "order_interval = \"2 weeks\""),
            "sync.order_interval",
            Some("\"2 weeks\""),
            &["an interval like 90s, 2m, 1h"],
        ),
        case(
            "an interval as a bare number",
            add(&b, "sync", "fulfilment_interval = 300"),
            "sync.fulfilment_interval",
            Some("300"),
            &["an interval like 90s, 2m, 1h"],
        ),
        case(
            "an unknown time zone",
            edit(
                &b,
                "timezone = \"America/Chicago\"",
                "timezone = \"Mars/Olympus\"",
            ),
            "sync.timezone",
            Some("\"Mars/Olympus\""),
            &["a time zone name"],
        ),
        case(
            "a source code of two letters",
            edit(
                &b,
                "import_source_code = \"BC1\"",
                "import_source_code = \"BC\"",
            ),
            "sync.import_source_code",
            Some("\"BC\""),
            &["3 letters or digits"],
        ),
        // ---- unknown values list the valid ones
        case(
            "a misspelt document kind",
            edit(
                &b,
                "document_kind = \"invoice\"",
                "document_kind = \"invoce\"",
            ),
            "orders.document_kind",
            Some("\"invoce\""),
            &["is not one of", "invoice", "sales_receipt", "sales_order"],
        ),
        case(
            "a status direction that does not exist",
            edit(&b, "direction = \"push_ledger\"", "direction = \"both\""),
            "status.direction",
            Some("\"both\""),
            &["push_ledger", "pull_storefront"],
        ),
        case(
            "a number where a choice is expected",
            edit(&b, "item_type = \"inventory\"", "item_type = 2"),
            "orders.new_items.item_type",
            Some("2"),
            &["is not one of", "non_inventory"],
        ),
        // ---- unknown keys list the known ones and suggest the one meant
        case(
            "a misspelt key",
            edit(
                &b,
                "match_client_by_email = true",
                "match_client_by_emial = true",
            ),
            "orders.match_client_by_emial",
            Some("true"),
            &[
                "not a known key",
                "did you mean `match_client_by_email`",
                "create_missing_items",
            ],
        ),
        case(
            "a misspelt key in a payment map entry",
            edit(
                &b,
                "offsite = { receipt_type = \"PAYPAL\", deposit_account = \"1050\" }",
                "offsite = { receipt_type = \"PAYPAL\", deposit_acount = \"1050\" }",
            ),
            "payment_map.offsite.deposit_acount",
            Some("\"1050\""),
            &["did you mean `deposit_account`"],
        ),
        // ---- missing required keys
        case(
            "no status set after import",
            edit(&b, "downloaded_status = \"Awaiting Shipment\"\n", ""),
            "orders.downloaded_status",
            None,
            &["is required", "text"],
        ),
        case(
            "a payment method with no deposit account",
            edit(
                &b,
                "credit_card = { receipt_type = \"CARD\", deposit_account = \"1050\" }",
                "credit_card = { receipt_type = \"CARD\" }",
            ),
            "payment_map.credit_card.deposit_account",
            None,
            &["is required", "open_ar"],
        ),
        // ---- [storefront] (bigcommerce)
        case(
            "a quota written as text",
            add(&b, "storefront", "requests_per_window = \"150\""),
            "storefront.requests_per_window",
            Some("\"150\""),
            &["expected a whole number"],
        ),
        case(
            "a negative quota",
            add(&b, "storefront", "requests_per_window = -150"),
            "storefront.requests_per_window",
            Some("-150"),
            &["a whole number", "zero or more"],
        ),
        case(
            "a misspelt storefront key",
            edit(&b, "store_hash = ", "store_hsh = "),
            "storefront.store_hsh",
            Some("\"sbx4k2q9zt\""),
            &["did you mean `store_hash`", "access_token"],
        ),
        case(
            "no store hash",
            edit(&b, "store_hash = \"sbx4k2q9zt\"\n", ""),
            "storefront.store_hash",
            None,
            &["is required"],
        ),
        // A misspelt secret key still holds the secret: masked.
        case(
            "a misspelt access token key",
            edit(&b, "access_token = ", "acess_token = "),
            "storefront.acess_token",
            Some("******"),
            &["did you mean `access_token`"],
        ),
        // ---- [ledger] (acctvantage)
        case(
            "a number where the ERP's path is expected",
            add(&b, "ledger", "path = 5"),
            "ledger.path",
            Some("5"),
            &["expected text"],
        ),
        case(
            "a misspelt ERP key",
            add(&b, "ledger", "pth = \"erp.sqlite\""),
            "ledger.pth",
            Some("\"erp.sqlite\""),
            &["did you mean `path`"],
        ),
        // ---- [ledger] (qbo)
        Case {
            what: "a QBO minor version written as text",
            text: edit(&q, "minor_version = 75", "minor_version = \"75\""),
            key: "ledger.minor_version",
            value: Some("\"75\""),
            also: &["expected a whole number"],
            secrets: qbo_secrets,
        },
        Case {
            what: "no QBO company id",
            text: edit(&q, "realm_id = \"9130354973581234\"\n", ""),
            key: "ledger.realm_id",
            value: None,
            also: &["is required"],
            secrets: qbo_secrets,
        },
        Case {
            what: "a QBO client secret of the wrong type is still masked",
            text: edit(
                &q,
                "client_secret = \"qbo-client-secret-canary-2b7d\"",
                "client_secret = 987654321",
            ),
            key: "ledger.client_secret",
            value: Some("******"),
            also: &["expected text"],
            secrets: &["987654321", "qbo-refresh-canary-91c4"],
        },
        // ---- TOML syntax errors on a secret line: line, column, key; never the text
        case(
            "a missing closing quote on the access token",
            edit(
                &b,
                &format!("access_token = \"{CANARY}\""),
                &format!("access_token = \"{CANARY}"),
            ),
            "storefront.access_token",
            None,
            Box::leak(Box::new([
                &*Box::leak(format!("line {},", line_of(&b, "access_token = ")).into_boxed_str()),
                "column",
            ])),
        ),
        Case {
            what: "an unquoted QBO client secret",
            text: edit(
                &q,
                "client_secret = \"qbo-client-secret-canary-2b7d\"",
                "client_secret = qbo-client-secret-canary-2b7d",
            ),
            key: "ledger.client_secret",
            value: None,
            also: &["line", "column"],
            secrets: qbo_secrets,
        },
        // ---- [storefront] (bigcommerce): the connector's own checks
        case(
            "a quota of zero",
            add(&b, "storefront", "requests_per_window = 0"),
            "storefront.requests_per_window",
            Some("0"),
            &["expected a whole number, 1 or more"],
        ),
        case(
            "an API host that is not an http(s) URL",
            add(&b, "storefront", "base_url = \"ftp://api.bigcommerce.com\""),
            "storefront.base_url",
            Some("\"ftp://api.bigcommerce.com\""),
            &["expected an http(s) URL"],
        ),
        case(
            "a store hash written as the API path",
            edit(
                &b,
                "store_hash = \"sbx4k2q9zt\"",
                "store_hash = \"stores/sbx4k2q9zt\"",
            ),
            "storefront.store_hash",
            Some("\"stores/sbx4k2q9zt\""),
            &["expected a store hash"],
        ),
        // ---- [storefront] (magento)
        case(
            "a Magento page size written as text",
            add(&m, "storefront", "page_size = \"100\""),
            "storefront.page_size",
            Some("\"100\""),
            &["expected a whole number"],
        ),
        case(
            "a Magento page size above Magento's largest",
            add(&m, "storefront", "page_size = 500"),
            "storefront.page_size",
            Some("500"),
            &["expected a whole number from 1 to 300"],
        ),
        case(
            "a misspelt Magento key",
            add(&m, "storefront", "store_cod = \"default\""),
            "storefront.store_cod",
            Some("\"default\""),
            &["did you mean `store_code`", "inventory_source"],
        ),
        case(
            "a Magento store URL without http(s)",
            edit(
                &m,
                "base_url = \"https://shop.example.com\"",
                "base_url = \"shop.example.com\"",
            ),
            "storefront.base_url",
            Some("\"shop.example.com\""),
            &["expected an http(s) URL"],
        ),
        Case {
            what: "a Magento admin password of the wrong kind is still masked",
            text: add(&m, "storefront", "admin_password = 73510042"),
            key: "storefront.admin_password",
            value: Some("******"),
            also: &["expected text"],
            secrets: &["73510042"],
        },
        case(
            "a missing closing quote on the Magento access token",
            edit(
                &m,
                &format!("access_token = \"{CANARY}\""),
                &format!("access_token = \"{CANARY}"),
            ),
            "storefront.access_token",
            None,
            Box::leak(Box::new([
                &*Box::leak(format!("line {},", line_of(&m, "access_token = ")).into_boxed_str()),
                "column",
            ])),
        ),
    ]
}

/// Runs `bcsync check --config <file>` in a fresh folder (the state store, if opened, lands
/// there).
fn check(dir: &Path, n: usize, text: &str) -> Output {
    let file = dir.join(format!("case-{n}.toml"));
    std::fs::write(&file, text).expect("write the case");
    Command::new(env!("CARGO_BIN_EXE_bcsync"))
        .arg("check")
        .arg("--config")
        .arg(&file)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .output()
        .expect("run bcsync")
}

/// The words of `text` outside `…` (key names such as `status.map` are not prose), split at
/// everything but letters, digits and `_`.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split('`')
        .step_by(2)
        .flat_map(|part| part.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .filter(|w| !w.is_empty())
}

#[test]
fn the_base_files_are_valid() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, text) in [("demo", base()), ("qbo", qbo_base())] {
        let out = check(dir.path(), 0, &text);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "the {name} base must pass `check` for the cases to test one thing each: {stderr}"
        );
    }
}

#[test]
fn every_bad_setting_names_the_key_and_the_value_in_words_and_no_secret() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let cases = cases();
    assert!(cases.len() >= 20, "at least 20 kinds of bad settings");
    let mut failures = Vec::new();
    for (n, c) in cases.iter().enumerate() {
        let out = check(dir.path(), n + 1, &c.text);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut wrong = Vec::new();
        if out.status.success() {
            wrong.push("exit code 0".to_string());
        }
        if !stderr.contains(&format!("`{}`", c.key)) {
            wrong.push(format!("does not name `{}`", c.key));
        }
        if let Some(v) = c.value {
            if !stderr.contains(&format!("= {v}")) {
                wrong.push(format!("does not show the value `= {v}`"));
            }
        }
        for a in c.also {
            if !stderr.contains(a) {
                wrong.push(format!("does not say {a:?}"));
            }
        }
        for w in words(&stderr) {
            if RUST_WORDS.contains(&w) {
                wrong.push(format!("says {w:?}"));
            }
        }
        for secret in std::iter::once(&CANARY).chain(c.secrets) {
            if stdout.contains(secret) || stderr.contains(secret) {
                wrong.push(format!("prints the secret {secret:?}"));
            }
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "case {} ({}): {}\n  stderr: {}",
                n + 1,
                c.what,
                wrong.join("; "),
                stderr.trim()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The base with the BigCommerce `[storefront]` replaced by a Magento store's (the canary is
/// its integration access token).
fn magento_base() -> String {
    let text = base();
    let from = "[storefront]\nplatform = \"bigcommerce\"\nstore_hash = \"sbx4k2q9zt\"\n";
    assert!(text.contains(from), "the demo settings changed: {from}");
    text.replace(
        from,
        "[storefront]\nplatform = \"magento\"\nbase_url = \"https://shop.example.com\"\n",
    )
}

#[test]
fn the_magento_base_file_is_valid() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = check(dir.path(), 0, &magento_base());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the magento base must pass `check` for its cases to test one thing each: {stderr}"
    );
}
