//! What the company has set up, read once in one `$batch`: tax areas and groups (and from
//! them VAT or US sales tax), currencies, locations, the payment and payout journals.

use std::collections::{BTreeMap, BTreeSet};

use bc_core::{Error, Result};

use crate::client::{lit, BatchAnswer, BatchOp, Bc365Client};
use crate::config::Bc365Config;
use crate::mapping::{Setup, TaxKind};
use crate::wire::{parse, Coded};

fn get(client: &Bc365Client, rest: &str, query: &[(&str, String)], what: &str) -> BatchOp {
    BatchOp {
        method: "GET",
        url: client.rel_query(rest, query),
        body: None,
        if_match: None,
        what: what.into(),
    }
}

/// The `GET`s that read the setup (for a read-only `$batch`, alone or with others).
pub fn ops(client: &Bc365Client, config: &Bc365Config) -> Vec<BatchOp> {
    let p = &config.posting;
    vec![
        get(client, "taxAreas", &[], "list tax areas"),
        get(client, "taxGroups", &[], "list tax groups"),
        get(client, "currencies", &[], "list currencies"),
        get(client, "locations", &[], "list locations"),
        get(
            client,
            "customerPaymentJournals",
            &[("$filter", format!("code eq {}", lit(&p.payment_journal)))],
            "find the payment journal",
        ),
        get(
            client,
            "journals",
            &[("$filter", format!("code eq {}", lit(&p.payout_journal)))],
            "find the payout journal",
        ),
    ]
}

/// Loads the setup: [`ops`] in one `$batch`.
pub async fn load(client: &Bc365Client, config: &Bc365Config) -> Result<Setup> {
    let answers = client.batch(ops(client, config), true).await?;
    from_answers(answers, config)
}

/// The setup from the answers to [`ops`], in order.
pub fn from_answers(answers: Vec<BatchAnswer>, config: &Bc365Config) -> Result<Setup> {
    let p = &config.posting;
    let mut answers = answers.into_iter();
    let mut next = |what: &str| -> Result<Vec<Coded>> {
        let v = answers
            .next()
            .ok_or_else(|| Error::protocol(format!("{what}: no answer")))?
            .into_result()?;
        let rows = v.get("value").cloned().unwrap_or_default();
        parse(rows, what)
    };
    let areas = next("tax areas")?;
    let groups = next("tax groups")?;
    let currencies = next("currencies")?;
    let locations = next("locations")?;
    let pay = next("payment journal")?;
    let payout = next("payout journal")?;
    let tax = if areas.iter().any(|a| a.tax_type.starts_with("Sales")) {
        TaxKind::SalesTax
    } else {
        TaxKind::Vat
    };
    let payment_journal = pay.first().map(|j| j.id.clone()).ok_or_else(|| {
        Error::config(
            "ledger.posting.payment_journal",
            format!(
                "customer payment journal `{}` does not exist in Business Central",
                p.payment_journal
            ),
        )
    })?;
    let payout_journal = payout.first().map(|j| j.id.clone()).ok_or_else(|| {
        Error::config(
            "ledger.posting.payout_journal",
            format!(
                "general journal batch `{}` does not exist in Business Central",
                p.payout_journal
            ),
        )
    })?;
    Ok(Setup {
        tax,
        areas: areas
            .into_iter()
            .map(|a| (a.code, a.id))
            .collect::<BTreeMap<_, _>>(),
        groups: groups.into_iter().map(|g| g.code).collect::<BTreeSet<_>>(),
        currencies: currencies.into_iter().map(|c| c.code).collect(),
        locations: locations.into_iter().map(|l| (l.code, l.id)).collect(),
        payment_journal,
        payout_journal,
    })
}
