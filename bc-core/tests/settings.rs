//! Settings: the commented example loads; bad files fail naming the key.

use bc_core::fulfilment::OrderStatus;
use bc_core::settings::*;
use bc_core::{ErrorKind, Settings, StatusId};

const EXAMPLE: &str = include_str!("../../examples/bcsync.toml");

fn bc_statuses() -> Vec<OrderStatus> {
    [
        (0, "Incomplete"),
        (1, "Pending"),
        (2, "Shipped"),
        (3, "Partially Shipped"),
        (4, "Refunded"),
        (5, "Cancelled"),
        (6, "Declined"),
        (7, "Awaiting Payment"),
        (8, "Awaiting Pickup"),
        (9, "Awaiting Shipment"),
        (10, "Completed"),
        (11, "Awaiting Fulfillment"),
        (12, "Manual Verification Required"),
        (13, "Disputed"),
        (14, "Partially Refunded"),
    ]
    .into_iter()
    .map(|(id, name)| OrderStatus {
        id: StatusId::new(id.to_string()),
        name: name.into(),
        custom_label: None,
    })
    .collect()
}

#[test]
fn the_example_loads_and_names_valid_statuses() {
    let s = Settings::from_toml_str(EXAMPLE).expect("examples/bcsync.toml loads");
    assert_eq!(s.sync.import_source_code.as_str(), "BC1");
    assert_eq!(s.orders.client_mode, ClientMode::Original);
    assert_eq!(s.status.map.direction, StatusDirection::PushLedger);
    assert_eq!(s.sync.order_interval.0.as_secs(), 120);
    assert_eq!(
        s.tax_map.get("CA State Tax").map(|t| t.as_str()),
        Some("CA")
    );
    assert!(s.payment_map["purchase_order"].open_ar);
    s.check_statuses(&bc_statuses())
        .expect("every status in the example exists in BigCommerce");
}

#[test]
fn an_unknown_key_names_the_key() {
    let bad = EXAMPLE.replace(
        "match_client_by_email = true",
        "match_client_by_emial = true",
    );
    let e = Settings::from_toml_str(&bad).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("match_client_by_emial"), "{e}");
}

#[test]
fn a_status_map_naming_an_unknown_status_names_the_key() {
    let bad = EXAMPLE.replace("storefront = \"Shipped\"", "storefront = \"Shippd\"");
    let s = Settings::from_toml_str(&bad).unwrap();
    let e = s.check_statuses(&bc_statuses()).unwrap_err();
    assert!(e.to_string().contains("status.map[0].storefront"), "{e}");
    assert!(e.to_string().contains("Shippd"), "{e}");
}

/// The tax map's values are read as tax areas: an empty code, or a table with an unknown key,
/// is refused when the file is read, naming the entry.
#[test]
fn a_bad_tax_map_value_names_the_zone() {
    for bad in [
        "\"CA State Tax\" = \"\"",
        "\"CA State Tax\" = { area = \"US-CA\", code = \"CA\", rate = 7 }",
    ] {
        let text = EXAMPLE.replace("\"CA State Tax\" = \"CA\"", bad);
        assert_ne!(text, EXAMPLE);
        let e = Settings::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("tax_map"), "{bad}: {e}");
        assert!(e.contains("CA State Tax"), "{bad}: {e}");
    }
    let two = EXAMPLE.replace(
        "\"CA State Tax\" = \"CA\"",
        "\"CA State Tax\" = { area = \"US-CA\", code = \"CA\" }",
    );
    let s = Settings::from_toml_str(&two).unwrap();
    assert_eq!(
        s.tax_map["CA State Tax"].area_and_code(),
        (Some("US-CA"), "CA")
    );
}

#[test]
fn bad_values_name_the_key_and_value() {
    for (from, to, key) in [
        (
            "import_source_code = \"BC1\"",
            "import_source_code = \"BC\"",
            "import_source_code",
        ),
        (
            "order_interval = \"2m\"",
            "order_interval = \"2 weeks\"",
            "order_interval",
        ),
        (
            "rounding_tolerance = \"0.05\"",
            "rounding_tolerance = \"-1\"",
            "posting.rounding_tolerance",
        ),
        (
            "stock_buffer = \"2\"",
            "stock_buffer = \"-3\"",
            "inventory.stock_buffer",
        ),
        (
            "timezone = \"America/New_York\"",
            "timezone = \"Mars/Olympus\"",
            "timezone",
        ),
        (
            "client_mode = \"original\"",
            "client_mode = \"everyone\"",
            "client_mode",
        ),
        (
            "paypal = { receipt_type = \"PAYPAL\", deposit_account = \"1220\" }",
            "paypal = { receipt_type = \"PAYPAL\" }",
            "payment_map.paypal",
        ),
        (
            "downloaded_status = \"Awaiting Shipment\"",
            "downloaded_status = \"Awaiting Fulfillment\"",
            "orders.downloaded_status",
        ),
        (
            "url = \"sqlite://bcsync-state.sqlite\"",
            "url = \"mysql://x\"",
            "state.url",
        ),
    ] {
        assert!(EXAMPLE.contains(from), "example lacks {from}");
        let e = Settings::from_toml_str(&EXAMPLE.replace(from, to)).unwrap_err();
        assert!(e.to_string().contains(key), "{to}: {e}");
    }
}

#[test]
fn secrets_never_show_in_debug() {
    let s = Settings::from_toml_str(&EXAMPLE.replace("env:BIGCOMMERCE_TOKEN", "canary-secret-123"))
        .unwrap();
    let debug = format!("{s:?}");
    assert!(!debug.contains("canary-secret-123"));
    assert!(debug.contains("******"));
}

#[test]
fn status_map_never_posts_from_the_storefront() {
    let s = Settings::from_toml_str(EXAMPLE).unwrap();
    let statuses = bc_statuses();
    let shipped = statuses.iter().find(|s| s.name == "Shipped").unwrap();
    let completed = statuses.iter().find(|s| s.name == "Completed").unwrap();
    assert_eq!(s.status.map.to_ledger(shipped), Some("Shipped"));
    assert_eq!(
        s.status.map.to_ledger(completed),
        None,
        "T2: a storefront Completed never posts the ledger order"
    );
    assert_eq!(s.status.map.to_storefront("completed"), Some("Completed"));
}

#[test]
fn shipping_is_on_with_or_without_its_section() {
    let with = Settings::from_toml_str(EXAMPLE).unwrap();
    assert!(with.shipping.enabled);
    let start = EXAMPLE.find("[shipping]\n").unwrap();
    let end = EXAMPLE.find("# Order status sync").unwrap();
    let mut without = EXAMPLE.to_string();
    without.replace_range(start..end, "");
    let without = without.replace(
        "[inventory]\nenabled = true",
        "[inventory]\nenabled = false",
    );
    let s = Settings::from_toml_str(&without).unwrap();
    assert!(s.shipping.enabled, "S1 is on by default");
}

mod platform_sections {
    use bc_core::settings::{LedgerSettings, PlatformSettings};
    use bc_core::Settings;
    use serde::Deserialize;

    const EXAMPLE: &str = include_str!("../../examples/bcsync.toml");

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct CsvConfig {
        dir: String,
        #[serde(default)]
        batch: Option<u32>,
    }

    fn ledger(text: &str) -> PlatformSettings {
        PlatformSettings::from_toml_str("ledger", text).expect("a section")
    }

    #[test]
    fn the_example_keeps_platform_and_its_own_keys() {
        let s = Settings::from_toml_str(EXAMPLE).unwrap();
        assert_eq!(s.storefront.platform, "bigcommerce");
        assert_eq!(s.storefront.section, "storefront");
        assert_eq!(s.storefront.table["store_hash"].as_str(), Some("abc123"));
        assert!(!s.storefront.table.contains_key("platform"));
        assert_eq!(s.ledger.platform, "acctvantage");
        // The former closed shape still reads the same keys.
        match LedgerSettings::from_platform(&s.ledger).unwrap() {
            LedgerSettings::Acctvantage { path } => assert_eq!(path, "bcsync-erp.sqlite"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_full_key_and_the_value() {
        let e = ledger("platform = \"csv\"\ndri = \"out\"")
            .parse::<CsvConfig>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("ledger.dri"), "{e}");
        let e = ledger("platform = \"csv\"")
            .parse::<CsvConfig>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("ledger.dir") && e.contains("required"), "{e}");
        let e = ledger("platform = \"csv\"\ndir = \"out\"\nbatch = \"many\"")
            .parse::<CsvConfig>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("ledger.batch") && e.contains("many"), "{e}");
        let e = PlatformSettings::from_toml_str("ledger", "dir = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("ledger.platform"), "{e}");
        let e = LedgerSettings::from_platform(&ledger(
            "platform = \"qbo\"\nrealm_id = \"1\"\nclient_id = \"c\"\nclient_secret = \"s\"",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("ledger.refresh_token"), "{e}");
    }

    #[test]
    fn a_missing_platform_fails_the_whole_file_naming_it() {
        let bad = EXAMPLE.replace("platform = \"acctvantage\"", "");
        let e = Settings::from_toml_str(&bad).unwrap_err().to_string();
        assert!(e.contains("ledger.platform"), "{e}");
    }

    #[test]
    fn debug_shows_key_names_never_values() {
        let l = ledger("platform = \"csv\"\ndir = \"out\"\ntoken = \"canary-77\"");
        let d = format!("{l:?}");
        assert!(d.contains("token") && !d.contains("canary-77"), "{d}");
        l.expect_platform("csv").unwrap();
        let e = l.expect_platform("qbo").unwrap_err().to_string();
        assert!(e.contains("ledger.platform") && e.contains("csv"), "{e}");
    }
}
