//! What a job run returns: [`RunReport`] (L4).

use std::fmt;
use std::str::FromStr;

use bc_core::{Error, ErrorKind, OrderId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::state::EntityKind;

/// The jobs of the engine (ARCHITECTURE §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Job {
    /// Storefront orders → ledger documents (O1–O15, P1–P3).
    Orders,
    /// Status sync in the chosen direction (T1, T2).
    Statuses,
    /// Ledger shipments → storefront shipments (S1–S3).
    Shipments,
    /// Ledger availability → storefront stock (I1–I3).
    Inventory,
    /// Storefront refunds → credit memos (R1, R2).
    Refunds,
    /// Payouts → journals (Y1).
    Payouts,
    /// Ledger-originated orders → storefront orders (E1, E2).
    ErpOrders,
    /// The monitoring sweep (Y2).
    Audit,
}

impl Job {
    /// Every job, orders first (the scheduler's priority order).
    pub const ALL: [Job; 8] = [
        Job::Orders,
        Job::Refunds,
        Job::Shipments,
        Job::Statuses,
        Job::Payouts,
        Job::ErpOrders,
        Job::Inventory,
        Job::Audit,
    ];

    /// The job's name (`"orders"`, `"erp-orders"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Job::Orders => "orders",
            Job::Statuses => "statuses",
            Job::Shipments => "shipments",
            Job::Inventory => "inventory",
            Job::Refunds => "refunds",
            Job::Payouts => "payouts",
            Job::ErpOrders => "erp-orders",
            Job::Audit => "audit",
        }
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Job {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Job::ALL
            .into_iter()
            .find(|j| j.as_str() == s || j.as_str().replace('-', "_") == s)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "unknown job `{s}` (jobs: {})",
                        Job::ALL.map(Job::as_str).join(", ")
                    ),
                )
            })
    }
}

/// Something a run could not sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Kind of entity.
    pub entity: EntityKind,
    /// Its key (order id…).
    pub key: String,
    /// Why, in words.
    pub reasons: Vec<String>,
    /// Whether the next run retries by itself (else it waits in the exception queue for a fix).
    pub temporary: bool,
}

/// Which kind of setting a configuration problem is about (preflight and held orders group
/// their problems by it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemGroup {
    /// Storefront tax zones (`tax_map`, `posting.non_taxable_code`).
    TaxZones,
    /// Storefront payment methods (`payment_map`).
    PaymentMethods,
    /// Shipping methods (`shipping.ship_via_map`, `shipping.default_ship_via`).
    ShipVias,
    /// Products (SKUs) the ledger does not have.
    Skus,
    /// GL accounts (`posting.*`, `payment_map.*.deposit_account`).
    Accounts,
    /// Order currencies the ledger does not accept.
    Currencies,
    /// Problems of one order's data that no setting fixes (a document number too long, an
    /// amount that makes no sense, rounding beyond the tolerance).
    Orders,
}

impl ProblemGroup {
    /// The group's name (`"tax_zones"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemGroup::TaxZones => "tax_zones",
            ProblemGroup::PaymentMethods => "payment_methods",
            ProblemGroup::ShipVias => "ship_vias",
            ProblemGroup::Skus => "skus",
            ProblemGroup::Accounts => "accounts",
            ProblemGroup::Currencies => "currencies",
            ProblemGroup::Orders => "orders",
        }
    }

    /// A heading for people (`"Tax zones"`).
    pub fn title(self) -> &'static str {
        match self {
            ProblemGroup::TaxZones => "Tax zones",
            ProblemGroup::PaymentMethods => "Payment methods",
            ProblemGroup::ShipVias => "Ship vias",
            ProblemGroup::Skus => "Products (SKUs)",
            ProblemGroup::Accounts => "Accounts",
            ProblemGroup::Currencies => "Currencies",
            ProblemGroup::Orders => "Order data",
        }
    }
}

impl fmt::Display for ProblemGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One configuration cause that held orders in a run of the orders job: a setting missing
/// for every order that needs it. The orders it holds get no exception and no
/// `import_error_status`; they stay where they are and the next run takes them again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigCause {
    /// What kind of setting.
    pub group: ProblemGroup,
    /// The storefront value concerned (the tax zone `"Texas"`, the payment method
    /// `"offsite"`, the currency `"JPY"`).
    pub value: String,
    /// The full settings key to set (`tax_map."Texas"`, `payment_map."offsite"`,
    /// `posting.discount_gl`).
    pub setting: String,
    /// What is wrong, for a finance person.
    pub message: String,
    /// How many orders it holds.
    pub blocked: usize,
    /// The orders it holds, sorted.
    pub orders: Vec<OrderId>,
}

/// Where a job run stands, for a progress bar: items finished so far and, when known, how
/// many there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The job (the orders job for a preflight).
    pub job: Job,
    /// Items finished (done, skipped, failed, deferred or held).
    pub done: u64,
    /// How many items there are, when known (a listing read page by page does not know).
    pub total: Option<u64>,
}

/// Sorts order ids numerically where they are numbers, then as text.
pub(crate) fn sort_order_ids(ids: &mut [OrderId]) {
    ids.sort_by(|a, b| {
        let k = |o: &OrderId| (o.as_str().parse::<u64>().ok(), o.as_str().to_string());
        match (k(a), k(b)) {
            ((Some(x), _), (Some(y), _)) => x.cmp(&y),
            ((Some(_), _), (None, _)) => std::cmp::Ordering::Less,
            ((None, _), (Some(_), _)) => std::cmp::Ordering::Greater,
            ((None, x), (None, y)) => x.cmp(&y),
        }
    });
}

/// `1, 2, 3 … and 40 more`: at most `max` ids, then how many more.
pub(crate) fn short_list(ids: &[OrderId], max: usize) -> String {
    let shown: Vec<&str> = ids.iter().take(max).map(OrderId::as_str).collect();
    let mut s = shown.join(", ");
    if ids.len() > max {
        s.push_str(&format!(" … and {} more", ids.len() - max));
    }
    s
}

/// Requests made by a run, where the engine counted them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// Calls to the storefront connector.
    pub storefront: u64,
    /// Calls to the ledger connector (a batch call counts once).
    pub ledger: u64,
}

/// How [`RunReport::stopped`] begins when the run held orders for configuration.
pub(crate) const CONFIG_STOP: &str = "stopped for configuration";

/// What one run of a job did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// The job.
    pub job: Job,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: DateTime<Utc>,
    /// Entities looked at.
    pub seen: usize,
    /// Entities written.
    pub done: usize,
    /// Entities with nothing to do.
    pub skipped: usize,
    /// Entities whose earlier write of unknown outcome was found by a search and adopted
    /// (exactly once): counted in `done` too, one per entity (a connector log line
    /// `adopted`), however many of its writes (client, document, receipts) were adopted.
    pub adopted: usize,
    /// Entities that failed, with reasons.
    pub failed: Vec<Failure>,
    /// Connector calls made.
    pub requests: RequestCounts,
    /// Remarks for people (a job skipped because a platform cannot do it…).
    pub notes: Vec<String>,
    /// Items that failed temporarily (a rate limit, an outage, an unknown outcome): not in the
    /// exception queue, their storefront status untouched; the next run takes them again.
    #[serde(default)]
    pub deferred: usize,
    /// Why the run stopped early (an authentication failure, a platform that is down, a lost
    /// lease): one clear error for the whole run instead of one exception per item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Orders held for a configuration cause (an unmapped tax zone or payment method, a
    /// posting account not set, a currency the ledger does not accept): no exception, no
    /// storefront status; the next run takes them again. Each cause is in `config_causes`.
    #[serde(default)]
    pub held: usize,
    /// The configuration causes that held orders, once each, with the orders they hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_causes: Vec<ConfigCause>,
}

impl RunReport {
    /// An empty report of `job` starting now.
    pub fn new(job: Job) -> Self {
        let now = Utc::now();
        RunReport {
            job,
            started_at: now,
            finished_at: now,
            seen: 0,
            done: 0,
            skipped: 0,
            adopted: 0,
            failed: Vec::new(),
            requests: RequestCounts::default(),
            notes: Vec::new(),
            deferred: 0,
            stopped: None,
            held: 0,
            config_causes: Vec::new(),
        }
    }

    /// Records an order held by `causes` (each `(group, value, setting, message)`).
    pub(crate) fn hold(
        &mut self,
        order: &OrderId,
        causes: &[(ProblemGroup, String, String, String)],
    ) {
        self.held += 1;
        for (group, value, setting, message) in causes {
            match self
                .config_causes
                .iter_mut()
                .find(|c| c.group == *group && c.setting == *setting)
            {
                Some(c) => {
                    if !c.orders.contains(order) {
                        c.orders.push(order.clone());
                        c.blocked = c.orders.len();
                    }
                }
                None => self.config_causes.push(ConfigCause {
                    group: *group,
                    value: value.clone(),
                    setting: setting.clone(),
                    message: message.clone(),
                    blocked: 1,
                    orders: vec![order.clone()],
                }),
            }
        }
    }

    /// Whether every item seen is settled: done, or permanently in the exception queue
    /// (nothing deferred to the next run, the run not stopped).
    pub fn is_settled(&self) -> bool {
        self.failed.iter().all(|f| !f.temporary)
            && self.deferred == 0
            && self.held == 0
            && self.stopped.is_none()
    }

    /// Whether the run stopped only because orders were held for configuration
    /// ([`RunReport::config_causes`]): the other items are settled or deferred as usual.
    pub fn stopped_for_configuration(&self) -> bool {
        self.held > 0
            && self
                .stopped
                .as_deref()
                .is_some_and(|s| s.starts_with(CONFIG_STOP))
    }

    /// [`RunReport::is_settled`], except for orders held for configuration: every other item
    /// is done or permanently in the exception queue, and nothing else stopped the run.
    pub fn is_settled_except_held(&self) -> bool {
        self.failed.iter().all(|f| !f.temporary)
            && self.deferred == 0
            && (self.stopped.is_none() || self.stopped_for_configuration())
    }

    /// Whether nothing failed, nothing was deferred and the run was not stopped.
    pub fn is_clean(&self) -> bool {
        self.failed.is_empty() && self.deferred == 0 && self.held == 0 && self.stopped.is_none()
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: seen {}, done {}, skipped {}, adopted {}, failed {}, deferred {}{} ({} storefront / {} ledger requests)",
            self.job,
            self.seen,
            self.done,
            self.skipped,
            self.adopted,
            self.failed.len(),
            self.deferred,
            if self.held > 0 {
                format!(", held {}", self.held)
            } else {
                String::new()
            },
            self.requests.storefront,
            self.requests.ledger
        )?;
        if let Some(why) = &self.stopped {
            writeln!(f, "  stopped: {why}")?;
        }
        for c in &self.config_causes {
            writeln!(
                f,
                "  setting `{}`: {} — holds {} order{}: {}",
                c.setting,
                c.message,
                c.blocked,
                if c.blocked == 1 { "" } else { "s" },
                short_list(&c.orders, 10)
            )?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        for x in &self.failed {
            writeln!(
                f,
                "  {} {}{}: {}",
                x.entity,
                x.key,
                if x.temporary { " (will retry)" } else { "" },
                x.reasons.join("; ")
            )?;
        }
        Ok(())
    }
}
