//! `bcsync init`: writes the fully commented settings file; with `--from-sandbox URL`, one
//! whose storefront section points at that BigCommerce sandbox and whose maps (tax zones,
//! payment methods) are filled from what the store's waiting orders actually use and what the
//! ledger actually has, commented, ready for review (then `bcsync check --online`).

use std::collections::BTreeMap;
use std::path::Path;

use bc_core::{Decimal, OrderQuery, Settings, StatusId};

use super::exit::{CliError, CliResult, Exit};

/// The commented settings file (the same as `examples/bcsync.toml`).
pub const TEMPLATE: &str = include_str!("../../examples/bcsync.toml");

/// What `init` is asked for.
#[derive(Clone, Debug, clap::Args)]
pub struct InitArgs {
    /// Where to write it.
    #[arg(long, default_value = "bcsync.toml")]
    pub path: std::path::PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
    /// The storefront platform (bigcommerce, magento).
    #[arg(long, default_value = "bigcommerce")]
    pub storefront: String,
    /// The ledger platform (acctvantage, qbo, bc365, acumatica).
    #[arg(long, default_value = "acctvantage")]
    pub ledger: String,
    /// A BigCommerce sandbox (`bcsync sandbox bigcommerce` prints its URL): fill the storefront
    /// section and the maps from it.
    #[arg(long)]
    pub from_sandbox: Option<String>,
}

/// Writes the settings file.
pub async fn run(args: InitArgs, json: bool) -> CliResult {
    let path = &args.path;
    if path.exists() && !args.force {
        return Err(CliError::new(
            Exit::Usage,
            format!(
                "{} already exists; use --force to overwrite it",
                path.display()
            ),
        ));
    }
    let (text, filled) = match &args.from_sandbox {
        None => (template_for(&args.storefront, &args.ledger)?, None),
        Some(url) => {
            let (text, filled) = from_sandbox(&args, url).await?;
            (text, Some(filled))
        }
    };
    std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if json {
        return super::print_json(&serde_json::json!({ "written": path, "filled": filled }));
    }
    match filled {
        Some(f) => outln!(
            "wrote {}: {} tax zone(s) and {} payment method(s) mapped from {} waiting order(s); review it, then `bcsync check --online --config {}`",
            path.display(),
            f.tax_zones,
            f.payment_methods,
            f.orders,
            path.display()
        ),
        None => outln!(
            "wrote {}: fill in [storefront] and [ledger], then `bcsync check --config {}`",
            path.display(),
            path.display()
        ),
    }
    Ok(())
}

/// The template with `platform` set in both sections.
fn template_for(storefront: &str, ledger: &str) -> CliResult<String> {
    let registry = super::service::registry();
    for (what, p, known) in [
        ("--storefront", storefront, registry.storefront_platforms()),
        ("--ledger", ledger, registry.ledger_platforms()),
    ] {
        if !known.contains(&p) {
            return Err(CliError::new(
                Exit::Usage,
                format!("{what} {p}: not one of: {}", known.join(", ")),
            ));
        }
    }
    let mut text = TEMPLATE.replacen(
        "platform = \"bigcommerce\"                 # bigcommerce | magento",
        &format!("platform = \"{storefront}\"                 # bigcommerce | magento"),
        1,
    );
    text = text.replacen(
        "platform = \"acctvantage\"                 # acctvantage | qbo | bc365 | acumatica",
        &format!("platform = \"{ledger}\"                 # acctvantage | qbo | bc365 | acumatica"),
        1,
    );
    Ok(text)
}

/// What `--from-sandbox` filled.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Filled {
    /// Orders read.
    pub orders: usize,
    /// Tax zones mapped.
    pub tax_zones: usize,
    /// Payment methods mapped.
    pub payment_methods: usize,
}

/// A ledger code made from a storefront name: upper case, words joined by `-`, 12 characters
/// at most, unique among `taken`.
fn code_for(name: &str, taken: &mut Vec<String>) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let mut code: String = words.join("-").chars().take(12).collect();
    code = code.trim_end_matches(['-', '.']).to_string();
    if code.is_empty() {
        code = "CODE".into();
    }
    let mut unique = code.clone();
    let mut n = 2;
    while taken.contains(&unique) {
        unique = format!("{}{n}", code.chars().take(10).collect::<String>());
        n += 1;
    }
    taken.push(unique.clone());
    unique
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

/// Replaces the body of table `[name]` in `text` with `body`, keeping the comment block that
/// introduces the next table.
fn replace_table(text: &str, name: &str, body: &str) -> String {
    let header = format!("[{name}]\n");
    let Some(start) = text.find(&header) else {
        return format!("{text}\n{header}{body}");
    };
    let after = start + header.len();
    let end = text[after..]
        .find("\n[")
        .map(|i| after + i + 1)
        .unwrap_or(text.len());
    let old = &text[after..end];
    let lines: Vec<&str> = old.lines().collect();
    let keep_from = lines
        .iter()
        .rposition(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map_or(0, |i| i + 1);
    let trailing = lines[keep_from..].join("\n");
    format!(
        "{}{header}{}\n{}{}",
        &text[..start],
        body.trim_end(),
        if trailing.is_empty() {
            String::new()
        } else {
            format!("{trailing}\n")
        },
        &text[end..]
    )
}

async fn from_sandbox(args: &InitArgs, url: &str) -> CliResult<(String, Filled)> {
    if args.storefront != "bigcommerce" {
        return Err(CliError::new(
            Exit::Usage,
            "--from-sandbox reads a BigCommerce sandbox (`bcsync sandbox bigcommerce`): use --storefront bigcommerce",
        ));
    }
    if args.ledger != "acctvantage" {
        return Err(CliError::new(
            Exit::Usage,
            format!(
                "--from-sandbox --ledger {}: not supported; with --ledger acctvantage (the embedded ERP) init fills every map, \
                 for another ledger run `bcsync init --ledger {}`, fill [ledger], and `bcsync check --online` prints the lines to add",
                args.ledger, args.ledger
            ),
        ));
    }
    let base = url.trim_end_matches('/');
    let creds: serde_json::Value = reqwest::get(format!("{base}/__sandbox/credentials"))
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| {
            CliError::new(
                Exit::Unavailable,
                format!("cannot read the sandbox at {base}: {e}"),
            )
        })?
        .json()
        .await
        .map_err(|e| {
            CliError::new(
                Exit::Unavailable,
                format!("the sandbox at {base} answered no credentials: {e}"),
            )
        })?;
    let store_hash = creds["store_hash"].as_str().unwrap_or_default();
    let token = creds["access_token"].as_str().unwrap_or_default();
    let dir = args
        .path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let mut text = TEMPLATE.to_string();
    text = replace_table(
        &text,
        "storefront",
        &format!(
            "platform = \"bigcommerce\"\nstore_hash = {store_hash:?}\naccess_token = {token:?}   # the sandbox's token (for a real store: \"env:BIGCOMMERCE_TOKEN\")\nbase_url = {base:?}\n# webhook_secret = \"env:BIGCOMMERCE_WEBHOOK_SECRET\"   # for `bcsync run --listen`"
        ),
    );
    text = replace_table(
        &text,
        "ledger",
        &format!(
            "platform = \"acctvantage\"\npath = {:?}",
            dir.join("bcsync-erp.sqlite").to_string_lossy()
        ),
    );
    text = replace_table(
        &text,
        "state",
        &format!(
            "url = {:?}",
            format!(
                "sqlite://{}",
                dir.join("bcsync-state.sqlite").to_string_lossy()
            )
        ),
    );
    // The embedded ERP starts with no item: create the store's items as orders need them.
    text = text.replacen(
        "create_missing_items = false     # O7: create unknown items, or hold the order in the exception queue",
        "create_missing_items = true      # O7: the embedded ERP starts empty: create the store's items as orders need them",
        1,
    );
    // Read the store with empty maps first.
    let probe_text = replace_table(&replace_table(&text, "tax_map", ""), "payment_map", "");
    let settings = Settings::from_toml_str(&probe_text).map_err(|e| {
        CliError::from(format!("the settings init writes do not load (a bug): {e}"))
    })?;
    let registry = super::service::registry();
    let sf = registry
        .storefront(&settings.storefront, bcsync::ConnectContext::new())
        .await
        .map_err(|e| CliError::core("the sandbox store", &e))?;
    let statuses = sf
        .statuses()
        .await
        .map_err(|e| CliError::core("the sandbox store's statuses", &e))?;
    let wanted: Vec<StatusId> = statuses
        .iter()
        .filter(|s| {
            settings
                .orders
                .new_order_status
                .iter()
                .any(|n| s.matches(n))
        })
        .map(|s| s.id.clone())
        .collect();
    let mut zones: BTreeMap<String, (usize, Decimal)> = BTreeMap::new();
    let mut methods: BTreeMap<String, usize> = BTreeMap::new();
    let mut orders = 0usize;
    let mut query = OrderQuery {
        statuses: wanted,
        ..OrderQuery::default()
    };
    loop {
        let page = sf
            .orders(&query)
            .await
            .map_err(|e| CliError::core("the sandbox store's orders", &e))?;
        for o in &page.items {
            orders += 1;
            for t in &o.taxes {
                let e = zones.entry(t.zone.clone()).or_insert((0, t.rate));
                e.0 += 1;
            }
            for p in &o.payments {
                *methods.entry(p.method.clone()).or_default() += 1;
            }
        }
        match page.next {
            Some(next) if orders < 5_000 => query.cursor = Some(next),
            _ => break,
        }
    }
    let mut taken = Vec::new();
    let mut tax_body = String::from(
        "# Filled by `bcsync init --from-sandbox` from the store's waiting orders; the embedded ERP\n# creates each tax area named here. Review the codes.\n",
    );
    for (zone, (n, rate)) in &zones {
        tax_body.push_str(&format!(
            "{} = {:?}   # {n} order(s), rate {rate}%\n",
            toml_key(zone),
            code_for(zone, &mut taken)
        ));
    }
    let mut pay_body = String::from(
        "# Filled by `bcsync init --from-sandbox`: every payment method of the waiting orders. The\n# embedded ERP creates each receipt type; 1050 is its clearing (undeposited funds) account.\n",
    );
    let mut receipt_types = Vec::new();
    for (method, n) in &methods {
        let lower = method.to_ascii_lowercase();
        let line =
            if lower.contains("purchase order") || lower == "custom" || lower.contains("invoice") {
                "{ open_ar = true }".to_string()
            } else {
                format!(
                    "{{ receipt_type = {:?}, deposit_account = \"1050\" }}",
                    code_for(method, &mut receipt_types)
                )
            };
        pay_body.push_str(&format!("{} = {line}   # {n} order(s)\n", toml_key(method)));
    }
    text = replace_table(&text, "tax_map", &tax_body);
    text = replace_table(&text, "payment_map", &pay_body);
    Settings::from_toml_str(&text).map_err(|e| {
        CliError::from(format!("the settings init filled do not load (a bug): {e}"))
    })?;
    Ok((
        text,
        Filled {
            orders,
            tax_zones: zones.len(),
            payment_methods: methods.len(),
        },
    ))
}
