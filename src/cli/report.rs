//! `bcsync report --period 1d|7d|30d` (L4): per day, orders seen / posted / excepted; the
//! storefront total against the ledger total per currency for the orders posted in the
//! period; open exceptions by reason; refunds without credit memo and inventory drift (from
//! the audit). Rendered as plain text (for a console or an e-mail body), as JSON, or as one
//! self-contained HTML page with charts (inline SVG, no script, no outside file); e-mailed
//! through SMTP to `report.email_to` with `--email`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use askama::Template;
use bc_core::{Currency, Decimal, ImportId, OrderId};
use bc_engine::{
    EntityKind, ExceptionFilter, ExceptionReason, ExceptionStatus, Finding, LogQuery, Outcome,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::exit::{CliError, CliResult, Exit};
use super::service::{connect, load};

/// The report of one period.
#[derive(Clone, Debug, Serialize)]
pub struct PeriodReport {
    /// First day (UTC).
    pub from: NaiveDate,
    /// Last day (UTC), included.
    pub to: NaiveDate,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// One row per day, oldest first.
    pub days: Vec<DayRow>,
    /// Per currency, the orders posted in the period: storefront total against ledger total.
    pub totals: Vec<CurrencyTotals>,
    /// Open exceptions by reason, most first.
    pub exceptions_by_reason: Vec<(String, usize)>,
    /// Refunds with no credit memo and no exception (from the audit).
    pub refunds_without_credit_memo: Vec<String>,
    /// SKUs whose ledger availability differs from what was pushed (from the audit).
    pub inventory_drift: Vec<String>,
    /// Other gaps the audit found.
    pub other_findings: Vec<String>,
    /// Remarks (what could not be read).
    pub notes: Vec<String>,
}

/// One day of the period.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DayRow {
    /// The day (UTC).
    pub date: NaiveDate,
    /// Orders the orders job looked at.
    pub seen: usize,
    /// Orders posted (or found already posted) that day.
    pub posted: usize,
    /// Orders that went to the exception queue that day.
    pub excepted: usize,
}

/// Storefront against ledger, one currency.
#[derive(Clone, Debug, Serialize)]
pub struct CurrencyTotals {
    /// The currency.
    pub currency: String,
    /// Orders posted in the period in this currency.
    pub orders: usize,
    /// Σ storefront totals (tax included).
    pub storefront: Decimal,
    /// Σ ledger document totals.
    pub ledger: Decimal,
    /// ledger − storefront.
    pub difference: Decimal,
}

/// Reads the period ending now from the state store, the storefront, the ledger and an
/// audit sweep.
pub async fn build(config: &Path, days: u32) -> CliResult<PeriodReport> {
    let settings = load(config)?;
    let engine = connect(config, &settings).await?;
    let now = Utc::now();
    let to = now.date_naive();
    let from = to - Duration::days(i64::from(days.max(1)) - 1);
    let since = from
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let mut notes = Vec::new();
    let log = engine
        .state()
        .search_log(&LogQuery {
            entity: Some(EntityKind::Order),
            since: Some(since),
            ..LogQuery::default()
        })
        .await
        .map_err(|e| CliError::core("the connector log", &e))?;
    let mut per_day: BTreeMap<NaiveDate, [BTreeSet<String>; 3]> = BTreeMap::new();
    let mut d = from;
    while d <= to {
        per_day.insert(d, Default::default());
        d += Duration::days(1);
    }
    let mut posted: BTreeSet<String> = BTreeSet::new();
    for e in &log {
        if let Some(sets) = per_day.get_mut(&e.at.date_naive()) {
            sets[0].insert(e.key.clone());
            match e.outcome {
                Outcome::Done | Outcome::Adopted => {
                    sets[1].insert(e.key.clone());
                    posted.insert(e.key.clone());
                }
                Outcome::Failed => {
                    sets[2].insert(e.key.clone());
                }
                Outcome::Skipped => {}
            }
        }
    }
    let days_rows = per_day
        .into_iter()
        .map(|(date, [seen, done, failed])| DayRow {
            date,
            seen: seen.len(),
            posted: done.len(),
            excepted: failed.len(),
        })
        .collect();

    // Storefront against ledger, per currency, for the orders posted in the period.
    let mut by_currency: BTreeMap<Currency, (usize, Decimal, Vec<ImportId>)> = BTreeMap::new();
    let code = settings.sync.import_source_code;
    let mut unread = 0usize;
    for key in &posted {
        let id = OrderId::new(key.clone());
        match engine.storefront().order(&id).await {
            Ok(order) => {
                let Ok(import_id) = ImportId::new(code, id) else {
                    unread += 1;
                    continue;
                };
                let entry = by_currency
                    .entry(order.currency)
                    .or_insert_with(|| (0, Decimal::ZERO, Vec::new()));
                entry.0 += 1;
                entry.1 += order.total_inc_tax;
                entry.2.push(import_id);
            }
            Err(_) => unread += 1,
        }
    }
    if unread > 0 {
        notes.push(format!(
            "{unread} posted order(s) could not be read from the storefront: left out of the totals"
        ));
    }
    let mut totals = Vec::new();
    for (currency, (orders, storefront, ids)) in by_currency {
        match engine.ledger().documents_total(&ids).await {
            Ok(ledger) => totals.push(CurrencyTotals {
                currency: currency.to_string(),
                orders,
                storefront: storefront.normalize(),
                ledger: ledger.normalize(),
                difference: (ledger - storefront).normalize(),
            }),
            Err(e) => notes.push(format!("the ledger's {currency} total cannot be read: {e}")),
        }
    }

    let open = engine
        .state()
        .exceptions(&ExceptionFilter {
            status: Some(ExceptionStatus::Open),
            ..ExceptionFilter::default()
        })
        .await
        .map_err(|e| CliError::core("the exception queue", &e))?;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for x in &open {
        let label = x
            .reasons
            .first()
            .map(reason_code)
            .unwrap_or_else(|| "unknown".into());
        *reasons.entry(label).or_default() += 1;
    }
    let mut exceptions_by_reason: Vec<(String, usize)> = reasons.into_iter().collect();
    exceptions_by_reason.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    let (mut refunds, mut drift, mut other) = (Vec::new(), Vec::new(), Vec::new());
    match engine.audit().await {
        Ok(audit) => {
            for f in &audit.findings {
                match f {
                    Finding::RefundWithoutCreditMemo { .. } => refunds.push(f.to_string()),
                    Finding::InventoryDrift { .. } => drift.push(f.to_string()),
                    _ => other.push(f.to_string()),
                }
            }
        }
        Err(e) => notes.push(format!("the audit could not run: {e}")),
    }
    Ok(PeriodReport {
        from,
        to,
        generated_at: now,
        days: days_rows,
        totals,
        exceptions_by_reason,
        refunds_without_credit_memo: refunds,
        inventory_drift: drift,
        other_findings: other,
        notes,
    })
}

/// The short code of an exception reason (`unmapped_tax_zone`, `unreadable`, `invalid`…).
pub fn reason_code(r: &ExceptionReason) -> String {
    r.label()
}

impl fmt::Display for PeriodReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "bcsync report {} – {}", self.from, self.to)?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<12} {:>6} {:>7} {:>9}",
            "day", "seen", "posted", "excepted"
        )?;
        for d in &self.days {
            writeln!(
                f,
                "{:<12} {:>6} {:>7} {:>9}",
                d.date, d.seen, d.posted, d.excepted
            )?;
        }
        writeln!(f)?;
        if self.totals.is_empty() {
            writeln!(f, "No order posted in the period.")?;
        }
        for t in &self.totals {
            writeln!(
                f,
                "{}: {} order(s), storefront {}, ledger {}, difference {}{}",
                t.currency,
                t.orders,
                t.storefront,
                t.ledger,
                t.difference,
                if t.difference.is_zero() {
                    " (matches to the cent)"
                } else {
                    " — CHECK"
                }
            )?;
        }
        writeln!(f)?;
        if self.exceptions_by_reason.is_empty() {
            writeln!(f, "No open exception.")?;
        } else {
            writeln!(f, "Open exceptions by reason:")?;
            for (r, n) in &self.exceptions_by_reason {
                writeln!(f, "  {r:<28} {n}")?;
            }
        }
        for (title, list) in [
            (
                "Refunds without credit memo",
                &self.refunds_without_credit_memo,
            ),
            ("Inventory drift", &self.inventory_drift),
            ("Other gaps", &self.other_findings),
        ] {
            writeln!(f, "{title}: {}", list.len())?;
            for x in list.iter().take(20) {
                writeln!(f, "  - {x}")?;
            }
            if list.len() > 20 {
                writeln!(f, "  … and {} more", list.len() - 20)?;
            }
        }
        for n in &self.notes {
            writeln!(f, "Note: {n}")?;
        }
        Ok(())
    }
}

/// One bar pair of the chart.
struct Bar {
    date: String,
    x: u32,
    posted_h: u32,
    posted_y: u32,
    excepted_h: u32,
    excepted_y: u32,
    posted: usize,
    excepted: usize,
}

/// The HTML page (templates/report.html, checked at compile time).
#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    r: &'a PeriodReport,
    bars: Vec<Bar>,
    chart_width: u32,
    chart_height: u32,
    max: usize,
}

const CHART_HEIGHT: u32 = 160;

impl PeriodReport {
    /// The report as one self-contained HTML page (inline CSS and SVG, no script).
    pub fn html(&self) -> CliResult<String> {
        let max = self
            .days
            .iter()
            .map(|d| d.posted.max(d.excepted))
            .max()
            .unwrap_or(0)
            .max(1);
        let scale = |n: usize| -> u32 {
            u32::try_from(n * CHART_HEIGHT as usize / max).unwrap_or(CHART_HEIGHT)
        };
        let bars: Vec<Bar> = self
            .days
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let (ph, eh) = (scale(d.posted), scale(d.excepted));
                Bar {
                    date: d.date.format("%m-%d").to_string(),
                    x: 30 + u32::try_from(i).unwrap_or(0) * 28,
                    posted_h: ph,
                    posted_y: CHART_HEIGHT + 10 - ph,
                    excepted_h: eh,
                    excepted_y: CHART_HEIGHT + 10 - eh,
                    posted: d.posted,
                    excepted: d.excepted,
                }
            })
            .collect();
        let chart_width = 40 + u32::try_from(bars.len()).unwrap_or(0) * 28;
        Page {
            r: self,
            bars,
            chart_width,
            chart_height: CHART_HEIGHT + 40,
            max,
        }
        .render()
        .map_err(|e| CliError::from(format!("cannot render the report: {e}")))
    }
}

/// Parses `1d`, `7d`, `30d` (any whole number of days from 1 to 366).
pub fn parse_period(s: &str) -> Result<u32, String> {
    s.strip_suffix('d')
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=366).contains(n))
        .ok_or_else(|| {
            format!("`{s}` is not a period: write a number of days such as 1d, 7d or 30d")
        })
}

/// `bcsync report`: prints the text (or `--json`), writes `--html FILE`, and with `--email`
/// sends it to `report.email_to` through `--smtp` (an `smtp://host:port` URL).
pub async fn run(
    config: &Path,
    period: &str,
    html: Option<&Path>,
    email: Option<&Email>,
    json: bool,
) -> CliResult {
    let days = parse_period(period).map_err(|e| CliError::new(Exit::Usage, e))?;
    let report = build(config, days).await?;
    if let Some(path) = html {
        std::fs::write(path, report.html()?)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(email) = email {
        let settings = load(config)?;
        if settings.report.email_to.is_empty() {
            return Err(CliError::config(
                "`report.email_to` is empty: list the addresses the report goes to",
            ));
        }
        send(&report, email, &settings.report.email_to).await?;
    }
    if json {
        return super::print_json(&report);
    }
    outln!("{}", report.to_string().trim_end());
    Ok(())
}

/// Where and how to send the report.
#[derive(Clone, Debug)]
pub struct Email {
    /// `smtp://host:port` (plain, for a local relay) or `smtps://host:port` (TLS).
    pub smtp: String,
    /// The sender address.
    pub from: String,
}

/// Sends the report as a multipart e-mail (plain text + HTML).
async fn send(report: &PeriodReport, email: &Email, to: &[String]) -> CliResult {
    use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let bad = |what: &str, e: &dyn fmt::Display| CliError::config(format!("{what}: {e}"));
    let from: Mailbox = email.from.parse().map_err(|e| bad("--from", &e))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(format!("bcsync report {} – {}", report.from, report.to));
    for addr in to {
        let mb: Mailbox = addr
            .parse()
            .map_err(|e| bad(&format!("report.email_to = {addr:?}"), &e))?;
        builder = builder.to(mb);
    }
    let message = builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(report.to_string()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(report.html()?),
                ),
        )
        .map_err(|e| bad("the report e-mail", &e))?;
    let transport: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&email.smtp)
            .map_err(|e| bad("--smtp", &e))?
            .build();
    transport.send(message).await.map_err(|e| {
        CliError::new(
            Exit::Unavailable,
            format!("cannot send the report through {}: {e}", email.smtp),
        )
    })?;
    Ok(())
}
