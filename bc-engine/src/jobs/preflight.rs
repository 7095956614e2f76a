//! The preflight (`bcsync check --online`, `sync orders --dry-run`): every order waiting in
//! the importable statuses planned as the orders job would plan it, and every mapped value
//! checked against what the ledger holds ([`bc_core::Ledger::catalog`]) — with nothing
//! written anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bc_core::plan::{plan_client, plan_receipts, plan_sales_document, Lookups};
use bc_core::{
    ErrorKind, IssueCode, ItemKey, LedgerCatalog, LedgerRef, MappingIssue, Order, OrderId,
    OrderQuery, Result, Settings,
};
use chrono::{NaiveTime, Utc};
use serde::Serialize;

use super::config::{self, codes, in_list, known, quoted};
use super::lookups::placeholder_client;
use crate::engine::{Engine, Run, Side};
use crate::report::{short_list, sort_order_ids, Job, ProblemGroup, Progress};

/// What a first run would meet: the orders waiting, how many would post cleanly, and every
/// missing or invalid mapping once per storefront value, with the orders it blocks and the
/// settings line that fixes it. Made by [`Engine::preflight`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Preflight {
    /// Orders waiting in the importable statuses (`orders.new_order_status`, since
    /// `sync.start_date`) that were planned.
    pub orders_planned: usize,
    /// Of those, the orders with no problem: a run would post them.
    pub orders_clean: usize,
    /// Whether mapped values were checked against the ledger's catalog (its tax codes,
    /// accounts, receipt types, ship vias); `false` when the ledger cannot list them.
    pub catalog_checked: bool,
    /// Remarks (a list the ledger cannot give, orders skipped as portal payments…).
    pub notes: Vec<String>,
    /// Every problem, once per (group, storefront value), in group order.
    pub problems: Vec<PreflightProblem>,
}

/// One missing or invalid mapping (or one kind of per-order problem), with every order it
/// blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PreflightProblem {
    /// What kind of setting.
    pub group: ProblemGroup,
    /// The storefront value (the tax zone `"Texas"`, the payment method `"offsite"`, the SKU,
    /// the currency).
    pub value: String,
    /// The full settings key to set (`tax_map."Texas"`).
    pub setting: String,
    /// What is wrong, for a finance person.
    pub message: String,
    /// The orders it blocks, sorted (all of them; an order with several problems is in each).
    pub orders: Vec<OrderId>,
    /// The settings line that fixes it, when a settings line can (not for a SKU the ledger
    /// lacks, nor a currency to enable in the ledger).
    pub fix: Option<SettingsFix>,
}

/// A line to add to the settings file, and the table it goes under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SettingsFix {
    /// The table, as written in its header without brackets (`tax_map`,
    /// `shipping.ship_via_map`, `posting`).
    pub section: String,
    /// The line (`"Texas" = "TX"`).
    pub line: String,
    /// How the value was chosen, when a person should check it (`same rate 6.25%`, `first tax
    /// code — check it`).
    pub note: Option<String>,
    /// Whether appending the line under its table fixes the problem as it is: `false` for a
    /// placeholder (`"<ledger tax code>"`) or a line that replaces an existing one.
    pub applies_as_is: bool,
}

impl Preflight {
    /// Whether a run would post every order it planned and every mapped value exists.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems of one group.
    pub fn group(&self, group: ProblemGroup) -> impl Iterator<Item = &PreflightProblem> {
        self.problems.iter().filter(move |p| p.group == group)
    }
}

impl fmt::Display for Preflight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let blocked = self.orders_planned.saturating_sub(self.orders_clean);
        writeln!(
            f,
            "{} order{} waiting to be imported: {} would post, {} blocked",
            self.orders_planned,
            if self.orders_planned == 1 { "" } else { "s" },
            self.orders_clean,
            blocked
        )?;
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        if self.problems.is_empty() {
            writeln!(f, "No problem found: a run would post every order.")?;
            return Ok(());
        }
        writeln!(
            f,
            "{} problem{} to fix:",
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "s" }
        )?;
        let mut current = None;
        for p in &self.problems {
            if current != Some(p.group) {
                writeln!(f)?;
                writeln!(f, "{}", p.group.title())?;
                current = Some(p.group);
            }
            writeln!(f, "  {} — {}", p.value, p.message)?;
            if p.orders.is_empty() {
                writeln!(f, "    blocks no waiting order yet")?;
            } else {
                writeln!(
                    f,
                    "    blocks {} order{}: {}",
                    p.orders.len(),
                    if p.orders.len() == 1 { "" } else { "s" },
                    short_list(&p.orders, 10)
                )?;
            }
            match &p.fix {
                Some(fix) => {
                    let verb = if fix.applies_as_is {
                        "add under"
                    } else {
                        "set under"
                    };
                    write!(f, "    {verb} [{}]:  {}", fix.section, fix.line)?;
                    if let Some(n) = &fix.note {
                        write!(f, "    ({n})")?;
                    }
                    writeln!(f)?;
                }
                None => writeln!(f, "    setting: {}", p.setting)?,
            }
        }
        Ok(())
    }
}

/// The problems being gathered, by (group, setting key).
#[derive(Default)]
struct Problems {
    by_key: BTreeMap<(ProblemGroup, String), PreflightProblem>,
}

impl Problems {
    fn add(
        &mut self,
        group: ProblemGroup,
        value: &str,
        setting: &str,
        message: String,
        order: Option<&OrderId>,
    ) {
        let p = self
            .by_key
            .entry((group, setting.to_string()))
            .or_insert_with(|| PreflightProblem {
                group,
                value: value.to_string(),
                setting: setting.to_string(),
                message,
                orders: Vec::new(),
                fix: None,
            });
        if let Some(o) = order {
            if !p.orders.contains(o) {
                p.orders.push(o.clone());
            }
        }
    }
}

impl Engine {
    /// Plans every order waiting in the importable statuses (`orders.new_order_status`, every
    /// page, since `sync.start_date`) exactly as the orders job would — client search, item
    /// look-up, [`plan_sales_document`], [`plan_receipts`] — and checks every mapped value
    /// against the ledger's catalog ([`bc_core::Ledger::catalog`]; a ledger that cannot list
    /// it is noted and those checks skipped): `tax_map` values in its tax codes,
    /// `payment_map` deposit accounts and receipt types, `posting.*` accounts, ship vias.
    ///
    /// Read-only: no ledger or storefront write, and no state-store write at all (not even
    /// the connector log); only the engine's in-memory client and item caches fill.
    /// The progress hook ([`Engine::set_progress`]) is told of each order planned.
    pub async fn preflight(&self) -> Result<Preflight> {
        let run = Run::new(Job::Orders, None);
        let hook = self.progress_hook();
        let settings = self.settings();
        let settings: &Settings = &settings;
        let statuses = self.order_statuses(&run, settings).await?;
        let caps = self.ledger.capabilities();
        let mut notes = Vec::new();
        let catalog = match self
            .call(&run, Side::Ledger, || self.ledger.catalog())
            .await
        {
            Ok(c) => {
                if !c.unknown.is_empty() {
                    notes.push(format!(
                        "{} cannot list its {}: values mapped to those were not checked",
                        caps.platform,
                        c.unknown.join(", ")
                    ));
                }
                Some(c)
            }
            Err(e) if e.kind() == ErrorKind::Unsupported => {
                notes.push(format!(
                    "{} cannot list its tax codes, accounts and receipt types: mapped values were not checked against the ledger, and suggested lines hold placeholders",
                    caps.platform
                ));
                None
            }
            Err(e) => return Err(e),
        };
        let catalog = catalog.as_ref();

        let created_since = settings.sync.start_date.and_then(|d| {
            d.and_time(NaiveTime::MIN)
                .and_local_timezone(settings.sync.timezone)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        });
        let mut q = OrderQuery {
            statuses: statuses.importable.clone(),
            modified_since: None,
            created_since,
            cursor: None,
            limit: Some(self.options.page_size),
        };
        let mut problems = Problems::default();
        let mut planned = 0usize;
        let mut blocked: BTreeSet<OrderId> = BTreeSet::new();
        let mut portal = 0usize;
        // Orders that need items created (checked against `orders.new_items` accounts).
        let mut needing_items: BTreeSet<OrderId> = BTreeSet::new();
        // Every order, for the catalog checks below.
        let mut orders_seen: Vec<Order> = Vec::new();
        loop {
            let page = self
                .call(&run, Side::Storefront, || self.storefront.orders(&q))
                .await?;
            for f in &page.failures {
                let id = OrderId::new(f.key.clone());
                problems.add(
                    ProblemGroup::Orders,
                    "unreadable",
                    "unreadable",
                    "the storefront sent an order that cannot be read".to_string(),
                    Some(&id),
                );
                blocked.insert(id);
            }
            let (portals, orders): (Vec<Order>, Vec<Order>) =
                page.items.into_iter().partition(Order::is_portal_payment);
            portal += portals.len();
            for (order, issues, needs_items) in
                self.dry_plan(&run, settings, &caps, &orders).await?
            {
                if needs_items {
                    needing_items.insert(order.id.clone());
                }
                planned += 1;
                if !issues.is_empty() {
                    blocked.insert(order.id.clone());
                }
                add_issues(&mut problems, order, settings, &issues);
                if let Some(h) = &hook {
                    h(Progress {
                        job: Job::Orders,
                        done: u64::try_from(planned).unwrap_or(u64::MAX),
                        total: None,
                    });
                }
            }
            orders_seen.extend(orders);
            match page.next {
                Some(n) if Some(&n) != q.cursor.as_ref() => q.cursor = Some(n),
                _ => break,
            }
        }
        if portal > 0 {
            notes.push(format!(
                "{portal} B2B portal invoice payment{} not planned (the portal records them as receipts)",
                if portal == 1 { "" } else { "s" }
            ));
        }
        if let Some(cat) = catalog {
            for o in &orders_seen {
                let mut causes = config::catalog_causes(cat, o, settings, true);
                if needing_items.contains(&o.id) {
                    causes.extend(config::new_item_causes(cat, settings));
                }
                if !causes.is_empty() {
                    blocked.insert(o.id.clone());
                }
                for (group, value, setting, message) in causes {
                    problems.add(group, &value, &setting, message, Some(&o.id));
                }
            }
            check_catalog_settings(&mut problems, cat, settings);
            if settings.orders.create_missing_items {
                for (group, value, setting, message) in config::new_item_causes(cat, settings) {
                    problems.add(group, &value, &setting, message, None);
                }
            }
        }
        let mut problems: Vec<PreflightProblem> = problems.by_key.into_values().collect();
        for p in &mut problems {
            sort_order_ids(&mut p.orders);
            p.fix = suggest(p, settings, catalog, &orders_seen);
        }
        problems.sort_by(|a, b| (a.group, &a.setting).cmp(&(b.group, &b.setting)));
        Ok(Preflight {
            orders_planned: planned,
            orders_clean: planned.saturating_sub(
                blocked
                    .iter()
                    .filter(|id| orders_seen.iter().any(|o| &o.id == *id))
                    .count(),
            ),
            catalog_checked: catalog.is_some(),
            notes,
            problems,
        })
    }

    /// Plans `orders` as the orders job's `prepare` does, without creating anything: one
    /// item search and one client search for all of them, then each order's document and
    /// receipts. Returns each order with its blocking issues (none: it would post) and whether
    /// it needs items created (`orders.create_missing_items`).
    async fn dry_plan<'o>(
        &self,
        run: &Run,
        settings: &Settings,
        caps: &bc_core::LedgerCapabilities,
        orders: &'o [Order],
    ) -> Result<Vec<(&'o Order, Vec<MappingIssue>, bool)>> {
        let keys: BTreeSet<ItemKey> = orders
            .iter()
            .flat_map(|o| Self::item_keys(o, settings))
            .collect();
        let found = self.find_item_keys(run, keys, None).await?;
        let plans: Vec<_> = orders.iter().map(|o| plan_client(o, settings)).collect();
        let new_client = self.prefetch_clients(run, &plans).await;
        let mut out = Vec::with_capacity(orders.len());
        for ((order, cplan), new) in orders.iter().zip(&plans).zip(new_client) {
            let client = if new {
                None
            } else {
                self.find_client(run, cplan).await?
            };
            let client = client.unwrap_or_else(|| placeholder_client(cplan));
            let lookups = Lookups {
                client: &client,
                items: &found,
                ledger: caps,
            };
            let mut issues: Vec<MappingIssue> = match plan_sales_document(order, settings, &lookups)
            {
                Ok(_) => Vec::new(),
                Err(issues) => issues
                    .into_iter()
                    .filter(|i| {
                        !(settings.orders.create_missing_items && i.code == IssueCode::UnknownItem)
                    })
                    .collect(),
            };
            let pending = LedgerRef::new("(to be posted)");
            if let Err(more) = plan_receipts(order, settings, caps, &pending, &client.at) {
                for i in more {
                    if !issues.contains(&i) {
                        issues.push(i);
                    }
                }
            }
            let needs_items = settings.orders.create_missing_items
                && Self::item_keys(order, settings)
                    .iter()
                    .any(|k| !found.contains_key(k));
            out.push((order, issues, needs_items));
        }
        Ok(out)
    }
}

/// Adds the planning issues of one order to the problems, grouped.
fn add_issues(
    problems: &mut Problems,
    order: &Order,
    settings: &Settings,
    issues: &[MappingIssue],
) {
    let (causes, _) = config::causes(order, settings, issues);
    for (group, value, setting, message) in causes {
        problems.add(group, &value, &setting, message, Some(&order.id));
    }
    for issue in issues.iter().filter(|i| !config::is_config(i.code)) {
        match issue.code {
            IssueCode::UnknownItem => {
                for line in &order.lines {
                    let Some(sku) = line.sku.as_ref().map(|s| s.as_str().to_string()) else {
                        continue;
                    };
                    // Only the lines whose item the plan did not find.
                    if !issue.message.contains(&format!("`{sku}`")) {
                        continue;
                    }
                    problems.add(
                        ProblemGroup::Skus,
                        &sku,
                        &format!("orders.create_missing_items ({sku})"),
                        format!(
                            "SKU `{sku}` ({}) is not an item in the ledger: create it there, or set `orders.create_missing_items = true`",
                            line.name
                        ),
                        Some(&order.id),
                    );
                }
            }
            IssueCode::MissingSku => problems.add(
                ProblemGroup::Skus,
                "(no SKU)",
                "orders.product_match",
                "order lines without a SKU cannot be matched to a ledger item: give the products SKUs in the storefront".to_string(),
                Some(&order.id),
            ),
            code => problems.add(
                ProblemGroup::Orders,
                code.as_str(),
                issue.setting.as_deref().unwrap_or(code.as_str()),
                match &issue.setting {
                    Some(s) => format!("{} (setting `{s}`; this order's case: {})", code_words(code), issue.message),
                    None => format!("{} (first order's case: {})", code_words(code), issue.message),
                },
                Some(&order.id),
            ),
        }
    }
}

/// A short description of a per-order issue code.
fn code_words(code: IssueCode) -> &'static str {
    match code {
        IssueCode::DocNumberTooLong => "document numbers longer than the ledger allows",
        IssueCode::RoundingBeyondTolerance => "totals that differ beyond the rounding tolerance",
        IssueCode::InvalidAmount => "amounts or quantities that make no sense",
        IssueCode::BeforeStartDate => "orders placed before the start date",
        _ => "orders that cannot be planned",
    }
}

/// Checks the values the settings map to that no waiting order uses yet (they would fail
/// the first order that does): every `tax_map` value, every `payment_map` account and receipt type, the `posting.*` accounts.
fn check_catalog_settings(problems: &mut Problems, cat: &LedgerCatalog, settings: &Settings) {
    if let Some(list) = known(Some(cat), "tax_codes", |c| &c.tax_codes) {
        for (zone, code) in &settings.tax_map {
            if !in_list(list, code) {
                problems.add(
                    ProblemGroup::TaxZones,
                    zone,
                    &format!("tax_map.{}", quoted(zone)),
                    format!(
                        "`tax_map.{}` is `{code}`, which is not a tax code of the ledger (its tax codes: {})",
                        quoted(zone),
                        codes(list)
                    ),
                    None,
                );
            }
        }
    }
    for (m, pm) in &settings.payment_map {
        if pm.open_ar {
            continue;
        }
        if let (Some(list), Some(acct)) = (
            known(Some(cat), "accounts", |c| &c.accounts),
            pm.deposit_account.as_deref(),
        ) {
            if !in_list(list, acct) {
                problems.add(
                    ProblemGroup::Accounts,
                    m,
                    &format!("payment_map.{}.deposit_account", quoted(m)),
                    format!(
                        "the deposit account of payment method `{m}` is `{acct}`, which is not an account of the ledger"
                    ),
                    None,
                );
            }
        }
        if let (Some(list), Some(rt)) = (
            known(Some(cat), "receipt_types", |c| &c.receipt_types),
            pm.receipt_type.as_deref(),
        ) {
            if !in_list(list, rt) {
                problems.add(
                    ProblemGroup::PaymentMethods,
                    m,
                    &format!("payment_map.{}.receipt_type", quoted(m)),
                    format!(
                        "the receipt type of payment method `{m}` is `{rt}`, which the ledger does not have (its receipt types: {})",
                        codes(list)
                    ),
                    None,
                );
            }
        }
    }
    if let Some(list) = known(Some(cat), "accounts", |c| &c.accounts) {
        let p = &settings.posting;
        let gls = [
            ("discount_gl", &p.discount_gl),
            ("gift_card_liability_gl", &p.gift_card_liability_gl),
            ("store_credit_gl", &p.store_credit_gl),
            ("shipping_gl", &p.shipping_gl),
            ("handling_gl", &p.handling_gl),
            ("wrapping_gl", &p.wrapping_gl),
            ("rounding_gl", &p.rounding_gl),
        ];
        for (key, value) in gls {
            let Some(acct) = value else { continue };
            if !in_list(list, acct) {
                problems.add(
                    ProblemGroup::Accounts,
                    &format!("posting.{key}"),
                    &format!("posting.{key}"),
                    format!("`posting.{key}` is `{acct}`, which is not an account of the ledger"),
                    None,
                );
            }
        }
    }
}

/// The settings line that fixes a problem, with its value chosen from the catalog where it
/// can be (else a placeholder, `applies_as_is = false`).
fn suggest(
    p: &PreflightProblem,
    settings: &Settings,
    catalog: Option<&LedgerCatalog>,
    orders: &[Order],
) -> Option<SettingsFix> {
    let tax_codes = known(catalog, "tax_codes", |c| &c.tax_codes).filter(|l| !l.is_empty());
    let accounts = known(catalog, "accounts", |c| &c.accounts).filter(|l| !l.is_empty());
    let receipt_types =
        known(catalog, "receipt_types", |c| &c.receipt_types).filter(|l| !l.is_empty());
    let ship_vias = known(catalog, "ship_vias", |c| &c.ship_vias).filter(|l| !l.is_empty());
    match p.group {
        ProblemGroup::TaxZones if p.setting.starts_with("tax_map.") => {
            let exists = settings.tax_map.contains_key(&p.value);
            // The zone's rate on the orders it blocks (the first tax line of that zone).
            let rate = orders
                .iter()
                .filter(|o| p.orders.contains(&o.id))
                .flat_map(|o| o.taxes.iter())
                .find(|t| {
                    t.zone == p.value
                        || format!("{}/{}", t.zone, t.class.as_deref().unwrap_or_default())
                            == p.value
                })
                .map(|t| t.rate);
            let (code, note, sure) = match tax_codes {
                Some(list) => {
                    let same = rate.and_then(|r| {
                        list.iter()
                            .find(|e| e.rate.is_some_and(|x| x == r))
                            .map(|e| (e, r))
                    });
                    match same {
                        Some((e, r)) => (
                            e.code.clone(),
                            format!("same rate {}%", r.normalize()),
                            true,
                        ),
                        None if list.len() == 1 => (
                            list[0].code.clone(),
                            "the ledger's only tax code".to_string(),
                            true,
                        ),
                        None => (
                            list[0].code.clone(),
                            "first tax code — check it".to_string(),
                            true,
                        ),
                    }
                }
                None => (
                    "<ledger tax code>".to_string(),
                    "put the ledger's tax code here".to_string(),
                    false,
                ),
            };
            let mut note = note;
            if exists {
                note.push_str("; replaces the existing line");
            }
            Some(SettingsFix {
                section: "tax_map".into(),
                line: format!("{} = {}", quoted(&p.value), quoted(&code)),
                note: Some(note),
                applies_as_is: sure && !exists,
            })
        }
        ProblemGroup::Accounts if p.setting.ends_with(".deposit_account") => {
            let (acct, sure) = match accounts {
                Some(l) => (l[0].code.clone(), true),
                None => ("<ledger deposit account>".to_string(), false),
            };
            Some(SettingsFix {
                section: format!("payment_map.{}", quoted(&p.value)),
                line: format!("deposit_account = {}", quoted(&acct)),
                note: Some(format!(
                    "first account — check it; replaces the existing line{}",
                    if sure {
                        ""
                    } else {
                        " (put the ledger's account here)"
                    }
                )),
                applies_as_is: false,
            })
        }
        ProblemGroup::PaymentMethods if p.setting.ends_with(".receipt_type") => {
            let (rt, sure) = match receipt_types {
                Some(l) => (l[0].code.clone(), true),
                None => ("<ledger receipt type>".to_string(), false),
            };
            Some(SettingsFix {
                section: format!("payment_map.{}", quoted(&p.value)),
                line: format!("receipt_type = {}", quoted(&rt)),
                note: Some(format!(
                    "first receipt type — check it; replaces the existing line{}",
                    if sure {
                        ""
                    } else {
                        " (put the ledger's receipt type here)"
                    }
                )),
                applies_as_is: false,
            })
        }
        ProblemGroup::PaymentMethods | ProblemGroup::Accounts
            if p.setting.starts_with("payment_map.") =>
        {
            // Copy a working entry (not open A/R), else the catalog's first of each.
            let model = settings
                .payment_map
                .iter()
                .filter(|(m, pm)| {
                    !pm.open_ar
                        && **m != p.value
                        && pm.receipt_type.is_some()
                        && pm.deposit_account.is_some()
                })
                .find(|(_, pm)| {
                    receipt_types
                        .is_none_or(|l| in_list(l, pm.receipt_type.as_deref().unwrap_or_default()))
                        && accounts.is_none_or(|l| {
                            in_list(l, pm.deposit_account.as_deref().unwrap_or_default())
                        })
                });
            let (rt, acct, note, sure) = match model {
                Some((m, pm)) => (
                    pm.receipt_type.clone().unwrap_or_default(),
                    pm.deposit_account.clone().unwrap_or_default(),
                    format!("copied from payment_map.{} — check it", quoted(m)),
                    true,
                ),
                None => (
                    receipt_types
                        .map(|l| l[0].code.clone())
                        .unwrap_or_else(|| "<ledger receipt type>".into()),
                    accounts
                        .map(|l| l[0].code.clone())
                        .unwrap_or_else(|| "<ledger deposit account>".into()),
                    "the ledger's first receipt type and first account — check them".to_string(),
                    receipt_types.is_some() && accounts.is_some(),
                ),
            };
            let exists = settings.payment_map.contains_key(&p.value);
            let mut note = note;
            if exists {
                note.push_str(&format!(
                    "; replaces the existing `payment_map.{}`",
                    quoted(&p.value)
                ));
            }
            Some(SettingsFix {
                section: "payment_map".into(),
                line: format!(
                    "{} = {{ receipt_type = {}, deposit_account = {} }}",
                    quoted(&p.value),
                    quoted(&rt),
                    quoted(&acct)
                ),
                note: Some(note),
                applies_as_is: sure && !exists,
            })
        }
        ProblemGroup::Accounts if p.setting.starts_with("orders.new_items.") => {
            let key = p.setting.trim_start_matches("orders.new_items.");
            let acct = match accounts {
                Some(l) => l[0].code.clone(),
                None => "<ledger account>".to_string(),
            };
            Some(SettingsFix {
                section: "orders.new_items".into(),
                line: format!("{key} = {}", quoted(&acct)),
                note: Some("first account — check it; replaces the existing line".into()),
                applies_as_is: false,
            })
        }
        ProblemGroup::Accounts if p.setting.starts_with("posting.") => {
            let key = p.setting.trim_start_matches("posting.");
            let (acct, sure) = match accounts {
                Some(l) => (l[0].code.clone(), true),
                None => ("<ledger account>".to_string(), false),
            };
            let set = posting_value(settings, key).is_some();
            Some(SettingsFix {
                section: "posting".into(),
                line: format!("{key} = {}", quoted(&acct)),
                note: Some(if set {
                    "first account — check it; replaces the existing line".into()
                } else {
                    "first account — check it".into()
                }),
                applies_as_is: sure && !set,
            })
        }
        ProblemGroup::ShipVias => {
            let (via, sure) = match ship_vias {
                Some(l) => (l[0].code.clone(), true),
                None => ("<ledger ship via>".to_string(), false),
            };
            if p.setting == "shipping.default_ship_via" {
                return Some(SettingsFix {
                    section: "shipping".into(),
                    line: format!("default_ship_via = {}", quoted(&via)),
                    note: Some("first ship via — check it; replaces the existing line".into()),
                    applies_as_is: false,
                });
            }
            let exists = settings.shipping.ship_via_map.contains_key(&p.value);
            Some(SettingsFix {
                section: "shipping.ship_via_map".into(),
                line: format!("{} = {}", quoted(&p.value), quoted(&via)),
                note: Some(if exists {
                    "first ship via — check it; replaces the existing line".into()
                } else {
                    "first ship via — check it".into()
                }),
                applies_as_is: sure && !exists,
            })
        }
        _ => None,
    }
}

/// The value of `posting.<key>` when set.
fn posting_value<'s>(settings: &'s Settings, key: &str) -> Option<&'s String> {
    let p = &settings.posting;
    match key {
        "discount_gl" => p.discount_gl.as_ref(),
        "gift_card_liability_gl" => p.gift_card_liability_gl.as_ref(),
        "store_credit_gl" => p.store_credit_gl.as_ref(),
        "shipping_gl" => p.shipping_gl.as_ref(),
        "handling_gl" => p.handling_gl.as_ref(),
        "wrapping_gl" => p.wrapping_gl.as_ref(),
        "rounding_gl" => p.rounding_gl.as_ref(),
        _ => None,
    }
}
