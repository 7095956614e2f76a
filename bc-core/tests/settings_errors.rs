//! Settings errors in words: the full key, the value as written, the expected kind ("a whole
//! number", "true or false", "one of: …"), never a Rust type name, never a secret.

use bc_core::settings::{parse_table, parse_toml, LedgerSettings, PlatformSettings};
use bc_core::{ErrorKind, Settings};
use serde::Deserialize;

const EXAMPLE: &str = include_str!("../../examples/bcsync.toml");

/// Words that name Rust types or serde's data model.
const RUST_WORDS: &[&str] = &[
    "u8", "u16", "u32", "u64", "usize", "i32", "i64", "isize", "f64", "struct", "enum", "sequence",
    "map", "Option", "String", "Vec", "Decimal", "bool", "str",
];

/// The words of `text` outside `…` (key names such as `status.map` are not prose).
fn words_outside_backticks(text: &str) -> Vec<&str> {
    text.split('`')
        .step_by(2)
        .flat_map(|part| part.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The error of the example with `from` replaced by `to`.
fn error_of(from: &str, to: &str) -> String {
    assert!(EXAMPLE.contains(from), "the example lacks {from:?}");
    let e = Settings::from_toml_str(&EXAMPLE.replacen(from, to, 1))
        .expect_err(&format!("{to:?} must be refused"));
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    let text = e.to_string();
    for w in words_outside_backticks(&text) {
        assert!(!RUST_WORDS.contains(&w), "{to:?}: says {w:?}: {text}");
    }
    text
}

#[test]
fn wrong_types_name_the_key_the_value_and_the_kind_in_words() {
    for (from, to, message) in [
        (
            "match_client_by_email = true",
            "match_client_by_email = \"yes\"",
            "setting `orders.match_client_by_email` = \"yes\": expected true or false",
        ),
        (
            "due_date_offset_days = 30",
            "due_date_offset_days = \"30\"",
            "setting `posting.due_date_offset_days` = \"30\": expected a whole number",
        ),
        (
            "due_date_offset_days = 30",
            "due_date_offset_days = -5",
            "setting `posting.due_date_offset_days` = -5: expected a whole number, zero or more",
        ),
        (
            "new_order_status = [\"Awaiting Fulfillment\"]",
            "new_order_status = \"Awaiting Fulfillment\"",
            "setting `orders.new_order_status` = \"Awaiting Fulfillment\": expected a list of text, like [\"Awaiting Fulfillment\"]",
        ),
        (
            "new_order_status = [\"Awaiting Fulfillment\"]",
            "new_order_status = [\"Awaiting Fulfillment\", 11]",
            "setting `orders.new_order_status[2]` = 11: expected text",
        ),
        (
            "paypal = { receipt_type = \"PAYPAL\", deposit_account = \"1220\" }",
            "\"Pay Pal\" = { receipt_type = \"PAYPAL\", deposit_account = 1220 }",
            "setting `payment_map.\"Pay Pal\".deposit_account` = 1220: expected text",
        ),
        (
            "rounding_tolerance = \"0.05\"",
            "rounding_tolerance = -0.5",
            "setting `posting.rounding_tolerance` = -0.5: expected a number, zero or more, like \"0.05\"",
        ),
        (
            "stock_buffer = \"2\"",
            "stock_buffer = \"two\"",
            "setting `inventory.stock_buffer` = \"two\": expected a number, zero or more, like \"0.05\"",
        ),
        (
            "# start_date = \"2026-01-01\"",
            "start_date = \"31/01/2026\"",
            "setting `sync.start_date` = \"31/01/2026\": expected a date like 2026-01-31",
        ),
        (
            "order_interval = \"2m\"",
            "order_interval = \"2 weeks\"",
            "setting `sync.order_interval` = \"2 weeks\": expected an interval like 90s, 2m, 1h (longer than zero)",
        ),
        (
            "order_interval = \"2m\"",
            "order_interval = \"0s\"",
            "setting `sync.order_interval` = \"0s\": expected an interval like 90s, 2m, 1h (longer than zero)",
        ),
        (
            "timezone = \"America/New_York\"",
            "timezone = \"Mars/Olympus\"",
            "setting `sync.timezone` = \"Mars/Olympus\": expected a time zone name like America/New_York or UTC",
        ),
        (
            "import_source_code = \"BC1\"",
            "import_source_code = \"BC\"",
            "setting `sync.import_source_code` = \"BC\": expected 3 letters or digits, like BC1",
        ),
        (
            "enabled = false\nbank_account",
            "enabled = \"no\"\nbank_account",
            "setting `payouts.enabled` = \"no\": expected true or false",
        ),
    ] {
        assert_eq!(error_of(from, to), message, "{to}");
    }
}

#[test]
fn a_toml_date_is_a_date() {
    let s = Settings::from_toml_str(
        &EXAMPLE.replace("# start_date = \"2026-01-01\"", "start_date = 2026-01-31"),
    )
    .unwrap();
    assert_eq!(
        s.sync.start_date.map(|d| d.to_string()).as_deref(),
        Some("2026-01-31")
    );
}

#[test]
fn unknown_values_list_the_valid_ones() {
    for (from, to, message) in [
        (
            "document_kind = \"invoice\"",
            "document_kind = \"invoce\"",
            "setting `orders.document_kind` = \"invoce\": is not one of: invoice, sales_receipt, sales_order",
        ),
        (
            "client_mode = \"original\"",
            "client_mode = true",
            "setting `orders.client_mode` = true: is not one of: original, organisation, generic",
        ),
        (
            "document = \"credit_memo\"",
            "document = \"refund\"",
            "setting `refunds.document` = \"refund\": is not one of: credit_memo, refund_receipt",
        ),
    ] {
        assert_eq!(error_of(from, to), message, "{to}");
    }
}

#[test]
fn unknown_keys_list_the_known_ones_and_suggest_the_one_meant() {
    let e = error_of(
        "match_client_by_email = true",
        "match_client_by_emial = true",
    );
    assert!(
        e.starts_with("setting `orders.match_client_by_emial` = true: is not a known key of [orders] (did you mean `match_client_by_email`?); the known keys are: new_order_status, downloaded_status,"),
        "{e}"
    );
    let e = error_of("[shipping]\n", "[shiping]\n");
    assert!(e.starts_with("setting `shiping` = {"), "{e}");
    assert!(
        e.contains("(did you mean `shipping`?)") && e.contains("payment_map, payments"),
        "{e}"
    );
    let e = error_of("ledger = \"Shipped\"\n", "ledgr = \"Shipped\"\n");
    assert!(e.starts_with("setting `status.map[1].ledgr` = \"Shipped\": is not a known key of `status.map[1]` (did you mean `ledger`?)"), "{e}");
    // A key named like its table.
    let e = error_of("auto_number = false", "auto_number = false\norders = 1");
    assert!(
        e.starts_with("setting `orders.orders` = 1: is not a known key of [orders]"),
        "{e}"
    );
    // Nothing to suggest: the known keys only.
    let e = error_of(
        "stock_buffer = \"2\"",
        "stock_buffer = \"2\"\ncolour = \"red\"",
    );
    assert!(!e.contains("did you mean"), "{e}");
    assert!(
        e.contains("`inventory.colour` = \"red\"") && e.contains("inventory_interval"),
        "{e}"
    );
}

#[test]
fn missing_keys_say_what_they_take() {
    assert_eq!(
        error_of("downloaded_status = \"Awaiting Shipment\"", ""),
        "setting `orders.downloaded_status`: is required (text)"
    );
    assert_eq!(
        error_of("import_source_code = \"BC1\"", ""),
        "setting `sync.import_source_code`: is required (3 letters or digits, like BC1)"
    );
    assert_eq!(
        error_of("ledger = \"Shipped\"\n", ""),
        "setting `status.map[1].ledger`: is required (text)"
    );
    assert_eq!(
        error_of(
            "new_order_status = [\"Awaiting Fulfillment\"]   # O1: import from these statuses (name or id)\n",
            ""
        ),
        "setting `orders.new_order_status`: is required (a list of text, like [\"Awaiting Fulfillment\"])"
    );
    let e = error_of(
        "paypal = { receipt_type = \"PAYPAL\", deposit_account = \"1220\" }",
        "paypal = { receipt_type = \"PAYPAL\" }",
    );
    assert_eq!(
        e,
        "setting `payment_map.paypal.deposit_account`: is required (the ledger account the payment is deposited to), unless `payment_map.paypal.open_ar = true`"
    );
}

#[test]
fn every_problem_of_validation_names_the_key_and_value() {
    let e = error_of(
        "downloaded_status = \"Awaiting Shipment\"",
        "downloaded_status = \"Awaiting Fulfillment\"",
    );
    assert!(e.starts_with("setting `orders.downloaded_status` = \"Awaiting Fulfillment\": is also in `orders.new_order_status`"), "{e}");
    let e = error_of(
        "url = \"sqlite://bcsync-state.sqlite\"",
        "url = \"mysql://sync:hunter22@db/bcsync\"",
    );
    assert_eq!(
        e,
        "setting `state.url` = \"mysql://sync:******@db/bcsync\": expected `sqlite://path` or `postgres://…`"
    );
}

#[test]
fn syntax_errors_name_line_column_and_key_never_the_line() {
    let canary = "shpat_canary_0c1d2e";
    for (to, line) in [
        (format!("access_token = \"{canary}"), 13),
        (format!("access_token = {canary}"), 13),
        (format!("access_token = \"x\" \"{canary}\""), 13),
        (format!("access_token = '''{canary}"), 13),
    ] {
        let e = error_of("access_token = \"env:BIGCOMMERCE_TOKEN\"", &to);
        assert!(!e.contains(canary), "{to}: {e}");
        assert!(!e.contains("shpat"), "{to}: {e}");
        assert!(
            e.starts_with(&format!("settings file, line {line}, column "))
                && e.contains("(setting `storefront.access_token`)"),
            "{to}: {e}"
        );
    }
    let e = error_of("[sync]\n", "[sync]\nimport_source_code = \"BC2\"\n");
    assert!(
        e.contains("(setting `sync.import_source_code`)") && e.contains("duplicate key"),
        "{e}"
    );
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Shop {
    store_hash: String,
    access_token: bc_core::settings::Secret,
    #[serde(default)]
    requests_per_window: Option<u32>,
    #[serde(default)]
    api_key: Option<String>,
    #[serde(default)]
    currencies: Vec<String>,
    #[serde(default)]
    mode: Option<bc_core::settings::ClientMode>,
}

fn shop_error(text: &str) -> String {
    let e = parse_toml::<Shop>("storefront", text).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    e.to_string()
}

#[test]
fn a_platform_table_speaks_the_same_words() {
    const OK: &str = "store_hash = \"abc\"\naccess_token = \"canary-0001\"\n";
    assert_eq!(
        shop_error(&format!("{OK}requests_per_window = \"150\"")),
        "setting `storefront.requests_per_window` = \"150\": expected a whole number"
    );
    assert_eq!(
        shop_error(&format!("{OK}requests_per_window = -1")),
        "setting `storefront.requests_per_window` = -1: expected a whole number, zero or more"
    );
    assert_eq!(
        shop_error(&format!("{OK}requests_per_window = 99999999999")),
        "setting `storefront.requests_per_window` = 99999999999: expected a whole number, at most 4294967295"
    );
    assert_eq!(
        shop_error(&format!("{OK}currencies = \"CAD\"")),
        "setting `storefront.currencies` = \"CAD\": expected a list of text, like [\"CAD\", \"EUR\"]"
    );
    assert_eq!(
        shop_error(&format!("{OK}mode = \"all\"")),
        "setting `storefront.mode` = \"all\": is not one of: original, organisation, generic"
    );
    assert_eq!(
        shop_error("access_token = \"canary-0001\""),
        "setting `storefront.store_hash`: is required (text)"
    );
    // Secrets: by name, by a typo of a secret's name, inside a syntax error.
    let e = shop_error("store_hash = \"abc\"\naccess_token = 12345");
    assert_eq!(
        e,
        "setting `storefront.access_token` = ******: expected text"
    );
    let e = shop_error(&format!("{OK}api_key = 987654"));
    assert_eq!(e, "setting `storefront.api_key` = ******: expected text");
    let e = shop_error("store_hash = \"abc\"\naccess_tokn = \"canary-0001\"");
    assert!(!e.contains("canary-0001"), "{e}");
    assert!(e.starts_with("setting `storefront.access_tokn` = ******: is not a known key of [storefront] (did you mean `access_token`?)"), "{e}");
    let e = shop_error("store_hash = \"abc\"\naccess_token = \"canary-0001");
    assert!(!e.contains("canary-0001"), "{e}");
    assert!(e.starts_with("settings file, line 2, column"), "{e}");
    assert!(e.contains("(setting `storefront.access_token`)"), "{e}");
}

#[test]
fn the_platform_key_and_the_former_shapes_name_their_keys() {
    let e = PlatformSettings::from_toml_str("ledger", "platform = 7")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "setting `ledger.platform` = 7: expected the name of a platform, like \"bigcommerce\" or \"qbo\""
    );
    let s = PlatformSettings::from_toml_str("ledger", "platform = \"csv\"").unwrap();
    let e = s.expect_platform("qbo").unwrap_err().to_string();
    assert_eq!(
        e,
        "setting `ledger.platform` = \"csv\": expected \"qbo\" here"
    );
    let s = PlatformSettings::from_toml_str(
        "ledger",
        "platform = \"qbo\"\nrealm_id = \"1\"\nclient_id = \"c\"\nclient_secret = \"canary-77\"",
    )
    .unwrap();
    let e = LedgerSettings::from_platform(&s).unwrap_err().to_string();
    assert!(
        e.starts_with("setting `ledger.refresh_token`: is required"),
        "{e}"
    );
    assert!(!e.contains("canary-77"), "{e}");
    let table: toml::Table = toml::from_str("path = 5").unwrap();
    let e = parse_table::<std::collections::BTreeMap<String, String>>("ledger", table)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "setting `ledger.path` = 5: expected text");
}
