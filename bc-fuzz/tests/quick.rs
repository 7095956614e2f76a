//! A quick pass of the fuzz bench, so that `cargo test` covers every parser cheaply:
//! 2,000 inputs per parser, no panic, and every parser both accepts and refuses some of them
//! (so the inputs reach past the syntax into the parser's own rules).

use bc_fuzz::engine::run;

#[test]
fn every_parser_survives_a_quick_pass() {
    let targets = bc_fuzz::targets::all().expect("every target finds its seeds");
    let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
    for expected in [
        "bigcommerce.order",
        "bigcommerce.order_json",
        "bigcommerce.refund",
        "bigcommerce.shipment",
        "bigcommerce.webhook",
        "settings",
        "acctvantage.status",
    ]
    .into_iter()
    .chain(
        if cfg!(feature = "qbo") {
            &["qbo.envelope", "qbo.batch", "qbo.fault"][..]
        } else {
            &[]
        }
        .iter()
        .copied(),
    ) {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let mut problems = Vec::new();
    for t in &targets {
        let r = run(t.as_ref(), 2_000, 20_240_601);
        assert_eq!(r.inputs, 2_000, "{}", r.name);
        assert_eq!(r.accepted + r.refused + r.panics, r.inputs, "{}", r.name);
        if r.panics > 0 {
            problems.push(format!(
                "{}: {} panics, first: {:?}",
                r.name,
                r.panics,
                r.first_panics.first()
            ));
        }
        if r.accepted == 0 || r.refused == 0 || r.reached < r.inputs / 3 {
            problems.push(format!(
                "{}: inputs do not reach the parser's rules: reached {}, accepted {}, refused {}",
                r.name, r.reached, r.accepted, r.refused
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_seeds_themselves_are_accepted() {
    // The examples every input starts from are valid documents: a bench whose seeds were
    // refused would fuzz only the first error path.
    let settings = bc_fuzz::targets::settings::SettingsFile::new().expect("settings seeds");
    for text in settings.seeds() {
        if let Err(e) = bc_core::Settings::from_toml_str(text) {
            panic!("a settings seed is refused: {e}");
        }
    }
}
