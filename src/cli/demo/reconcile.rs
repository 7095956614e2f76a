//! The reconciliation of `bcsync demo --kills`: per entity kind, what is lost and what is
//! duplicated, read from the BigCommerce sandbox's and the ledger's own state (the ERP's
//! tables, the QuickBooks sandbox's entities), never from what the engine reports. The
//! engine's state store is read only for its exception queue (is a missing item there, with
//! an expected reason?). The rules are in the module docs of [`super`].

use std::collections::{BTreeMap, BTreeSet};

use bc_connector_acctvantage::Erp;
use bc_core::money::round_dp;
use bc_core::{
    Currency, ImportId, Ledger, LedgerRef, OrderId, Receipt, ReceiptState, RefundId, Settings,
    SourceCode,
};
use bc_engine::{EntityKind, ExceptionFilter, ExceptionReason, ExceptionRecord, StateStore};
use bc_sandbox_bigcommerce::BigCommerceSandbox;
use bc_sandbox_qbo::QboSandbox;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

/// The expected reasons an item may be in the exception queue for instead of posted.
pub const EXPECTED_REASONS: &[&str] = &[
    "unreadable (or a permanent `invalid` error): the order's payload cannot be parsed, and it is one the demo's proxy corrupted",
];

/// Counts of one entity kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindCount {
    /// Items the storefront or the ledger people made that should be synced.
    pub expected: usize,
    /// Of those, present on the other side at least once.
    pub posted: usize,
    /// Of those, absent but in the exception queue with an expected reason.
    pub excepted: usize,
    /// Absent and not excepted with an expected reason.
    pub lost: usize,
    /// Copies beyond the first.
    pub duplicated: usize,
    /// Set when the ledger offers no way to read this kind back (then the counts are 0 and
    /// say nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchecked: Option<String>,
    /// The first few items lost or duplicated, named (empty on a clean run).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// Of those, absent because the ledger cannot take them yet and the engine retries them
    /// each run (an Acumatica credit memo waits for its order's released invoice).
    #[serde(skip_serializing_if = "is_zero")]
    pub waiting: usize,
}

fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

impl KindCount {
    /// An item absent because it waits for the ledger (see [`KindCount::waiting`]).
    pub(super) fn count_waiting(&mut self) {
        self.expected += 1;
        self.waiting += 1;
    }

    pub(super) fn count(&mut self, copies: usize, excepted: bool) {
        self.count_named(copies, excepted, String::new);
    }

    /// [`KindCount::count`], naming the item (`name()`) among the examples when it is lost
    /// or duplicated.
    pub(super) fn count_named(
        &mut self,
        copies: usize,
        excepted: bool,
        name: impl FnOnce() -> String,
    ) {
        if ((copies == 0 && !excepted) || copies > 1) && self.examples.len() < 5 {
            let what = if copies == 0 {
                "lost".to_string()
            } else {
                format!("{copies} copies")
            };
            self.examples.push(format!("{}: {what}", name()));
        }
        self.expected += 1;
        match copies {
            0 if excepted => self.excepted += 1,
            0 => self.lost += 1,
            n => {
                self.posted += 1;
                self.duplicated += n - 1;
            }
        }
    }
}

/// What `--kills` adds to the summary.
#[derive(Debug, Serialize)]
pub struct KillSummary {
    /// Worker processes SIGKILLed.
    pub kills: u32,
    /// Of those, kills with at least one journal record in `Intent` state right after (a
    /// write between its intent and its done).
    pub kills_in_write_window: u32,
    /// Worker processes started (killed ones included).
    pub worker_runs: u32,
    /// Documents: one per importable order.
    pub documents: KindCount,
    /// Receipts: one per storefront payment of a posted order (not for open-A/R methods).
    pub receipts: KindCount,
    /// Credit memos: one per storefront refund of a posted order.
    pub credit_memos: KindCount,
    /// Shipments: one storefront shipment per tracking number shipped in the ledger.
    pub shipments: KindCount,
    /// The orders the proxy served malformed → their exception (or why not).
    pub malformed_orders: BTreeMap<String, String>,
    /// The documented list of expected exception reasons.
    pub expected_reasons: Vec<String>,
    /// State-store calls refused by the injected "database is busy" faults (all workers).
    pub state_faults: u64,
    /// Times the QuickBooks access tokens were expired under the workers.
    pub token_expiries: u32,
    /// Times the operator reconnected QuickBooks (`bcsync connect qbo`) because a worker was
    /// killed between the token endpoint's rotation of its refresh token and saving the new
    /// one, which leaves no working token (see `kills.rs`, `reconnect_qbo`).
    #[serde(skip_serializing_if = "is_zero")]
    pub reconnects: u32,
    /// Last lines of the workers that ran to the end.
    pub last_worker: Value,
}

/// Where the ledger's own state is read.
pub enum LedgerView<'a> {
    /// The embedded ERP's database.
    Erp(&'a Erp),
    /// The QuickBooks Online sandbox's entities.
    Qbo(&'a QboSandbox),
}

/// The reconciliation of documents, with totals.
pub struct Reconciled {
    /// Per kind.
    pub documents: KindCount,
    /// Receipts.
    pub receipts: KindCount,
    /// Credit memos.
    pub credit_memos: KindCount,
    /// Shipments.
    pub shipments: KindCount,
    /// Σ storefront totals of posted orders per currency (in the ledger's precision).
    pub storefront_total: BTreeMap<Currency, Decimal>,
    /// Σ ledger totals of their documents.
    pub ledger_total: BTreeMap<Currency, Decimal>,
    /// Open order exceptions by reason group.
    pub exception_reasons: BTreeMap<String, usize>,
    /// Malformed orders → their exception.
    pub malformed: BTreeMap<String, String>,
}

/// A ledger document found for an order.
struct Found {
    copies: usize,
    at: Option<LedgerRef>,
    total: Decimal,
    currency: Currency,
}

/// The key a QuickBooks `PrivateNote` marker carries (`[bcsync:KEY] …` → `KEY`).
fn qbo_marker(note: Option<&str>) -> Option<&str> {
    note?.strip_prefix("[bcsync:")?.split(']').next()
}

fn qbo_notes(rows: Vec<Value>) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in rows {
        if let Some(k) = qbo_marker(r.get("PrivateNote").and_then(Value::as_str)) {
            out.entry(k.to_string()).or_default().push(r.clone());
        }
    }
    out
}

fn dec(v: Option<&Value>) -> Decimal {
    v.and_then(|x| x.to_string().trim_matches('"').parse().ok())
        .unwrap_or_default()
}

fn order_key(x: &ExceptionRecord, source: &SourceCode) -> Option<u64> {
    x.key.trim_start_matches(source.as_str()).parse().ok()
}

/// Whether the exception is the expected one of a malformed order.
fn malformed_reason(x: &ExceptionRecord) -> bool {
    !x.reasons.is_empty()
        && x.reasons.iter().all(|r| match r {
            ExceptionReason::Unreadable { .. } => true,
            ExceptionReason::Error {
                kind, temporary, ..
            } => !temporary && kind == "invalid",
            ExceptionReason::Mapping { .. } => false,
        })
}

fn docs_ref(docs: &BTreeMap<u64, Found>, id: u64) -> LedgerRef {
    docs.get(&id)
        .and_then(|f| f.at.clone())
        .unwrap_or_else(|| LedgerRef::new(String::new()))
}

/// The storefront payments of a BigCommerce order that become receipts: captured
/// transactions (`purchase`, or a `capture`), not failed, and not gift certificates or store
/// credit (those are tenders on the document, posted to their liability accounts, never a
/// receipt).
pub fn receipt_payments(storefront: &BigCommerceSandbox, id: u64) -> usize {
    let Some(bundle) = storefront.order_bundle_json(id) else {
        return 0;
    };
    bundle["transactions"]
        .as_array()
        .map(|txs| {
            txs.iter()
                .filter(|t| {
                    let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default();
                    matches!(s("event"), "purchase" | "capture")
                        && !matches!(s("method"), "gift_certificate" | "store_credit")
                        && !matches!(s("status"), "error" | "declined" | "failed")
                })
                .count()
        })
        .unwrap_or(0)
}

/// Copies of the storefront shipment of a ledger shipment with `tracking`. BigCommerce takes
/// one address per shipment, so a ledger shipment of an order with several shipping
/// addresses is one storefront shipment per address: the copies are the most shipments
/// with that tracking number on one address.
pub fn shipment_copies(storefront: &BigCommerceSandbox, id: u64, tracking: &str) -> usize {
    let mut per_address: BTreeMap<String, usize> = BTreeMap::new();
    for s in storefront.shipments(id) {
        if s.get("tracking_number").and_then(Value::as_str) == Some(tracking) {
            let address = s
                .get("order_address_id")
                .map(|v| v.to_string())
                .unwrap_or_default();
            *per_address.entry(address).or_insert(0) += 1;
        }
    }
    per_address.into_values().max().unwrap_or(0)
}

/// A receipt to search for: only its import id and sequence matter to `find_receipt`.
fn receipt_probe(import_id: &ImportId, sequence: usize, document: LedgerRef) -> Receipt {
    Receipt {
        import_id: import_id.clone(),
        sequence: u32::try_from(sequence).unwrap_or(u32::MAX),
        document,
        client: LedgerRef::new(String::new()),
        receipt_type: String::new(),
        deposit_account: String::new(),
        amount: Decimal::ZERO,
        currency: Currency::USD,
        state: ReceiptState::Captured,
        date: chrono::Utc::now().date_naive(),
        reference: None,
    }
}

/// Reconciles everything.
#[allow(clippy::too_many_arguments)]
pub async fn reconcile(
    view: &LedgerView<'_>,
    storefront: &BigCommerceSandbox,
    state: &dyn StateStore,
    settings: &Settings,
    seen: &BTreeMap<u64, Decimal>,
    malformed: &BTreeSet<u64>,
    shipped: &BTreeMap<u64, String>,
) -> Result<Reconciled, String> {
    let source = settings.sync.import_source_code;
    let e = |what: &'static str| move |err: bc_core::Error| format!("{what}: {err}");
    let open = state
        .exceptions(&ExceptionFilter::open(EntityKind::Order))
        .await
        .map_err(e("read the exception queue"))?;
    let excepted: BTreeMap<u64, &ExceptionRecord> = open
        .iter()
        .filter_map(|x| Some((order_key(x, &source)?, x)))
        .collect();

    // Documents.
    let mut docs: BTreeMap<u64, Found> = BTreeMap::new();
    let qbo_payments;
    let qbo_credits;
    match view {
        LedgerView::Erp(erp) => {
            for s in erp
                .sales_orders(Some(&source))
                .await
                .map_err(e("list the ERP's sales orders"))?
            {
                let Some(id) = s
                    .import_id
                    .as_ref()
                    .and_then(|i| i.order().as_str().parse::<u64>().ok())
                else {
                    continue;
                };
                let f = docs.entry(id).or_insert(Found {
                    copies: 0,
                    at: Some(s.at.clone()),
                    total: s.total,
                    currency: s.currency,
                });
                f.copies += 1;
            }
            qbo_payments = BTreeMap::new();
            qbo_credits = BTreeMap::new();
        }
        LedgerView::Qbo(q) => {
            let mut rows = q.invoices();
            rows.extend(q.sales_receipts());
            for (key, found) in qbo_notes(rows) {
                let Some(id) = key
                    .strip_prefix(source.as_str())
                    .and_then(|k| k.parse::<u64>().ok())
                else {
                    continue;
                };
                let first = &found[0];
                let currency = first
                    .pointer("/CurrencyRef/value")
                    .and_then(Value::as_str)
                    .and_then(|c| Currency::new(c).ok())
                    .unwrap_or(Currency::USD);
                docs.insert(
                    id,
                    Found {
                        copies: found.len(),
                        at: None,
                        total: dec(first.get("TotalAmt")),
                        currency,
                    },
                );
            }
            qbo_payments = qbo_notes(q.payments());
            let mut credits = q.credit_memos();
            credits.extend(q.refund_receipts());
            qbo_credits = qbo_notes(credits);
        }
    }
    let mut documents = KindCount::default();
    let mut storefront_total: BTreeMap<Currency, Decimal> = BTreeMap::new();
    let mut ledger_total: BTreeMap<Currency, Decimal> = BTreeMap::new();
    let mut exception_reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut malformed_out = BTreeMap::new();
    for (id, total) in seen {
        let found = docs.get(id);
        let x = excepted.get(id);
        let expected_exception = malformed.contains(id) && x.is_some_and(|x| malformed_reason(x));
        documents.count(found.map_or(0, |f| f.copies), expected_exception);
        if let Some(f) = found {
            let dp = f.currency.minor_units();
            *storefront_total.entry(f.currency).or_default() += round_dp(*total, dp);
            *ledger_total.entry(f.currency).or_default() += f.total;
        } else if let Some(x) = x {
            *exception_reasons
                .entry(super::reason_group(&x.reasons))
                .or_insert(0) += 1;
        }
        if malformed.contains(id) {
            let what = match (found, x) {
                (Some(_), _) => "posted (the corruption did not reach the engine)".to_string(),
                (None, Some(x)) => x
                    .reasons
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
                (None, None) => "NOT IN THE EXCEPTION QUEUE".to_string(),
            };
            malformed_out.insert(id.to_string(), what);
        }
    }

    // Receipts, credit memos and shipments of the posted orders.
    let ledger: Option<&dyn Ledger> = match view {
        LedgerView::Erp(erp) => Some(*erp as &dyn Ledger),
        LedgerView::Qbo(_) => None,
    };
    let mut receipts = KindCount::default();
    let mut credit_memos = KindCount::default();
    let mut shipments = KindCount::default();
    let erp_dups: BTreeMap<String, u64> = match view {
        LedgerView::Erp(erp) => erp
            .duplicates()
            .await
            .map_err(e("count duplicates in the ERP"))?
            .into_iter()
            .collect(),
        LedgerView::Qbo(_) => BTreeMap::new(),
    };
    for id in seen.keys().filter(|id| docs.contains_key(id)) {
        let import_id = ImportId::new(source, OrderId::new(id.to_string()))
            .map_err(|e| format!("order {id}: {e}"))?;
        // Receipts: one per storefront payment, unless the method leaves the invoice on A/R.
        let method = storefront
            .order_json(*id)
            .and_then(|o| {
                o.get("payment_method")
                    .and_then(Value::as_str)
                    .map(String::from)
            })
            .unwrap_or_default();
        let open_ar = settings.payment_map.get(&method).is_some_and(|m| m.open_ar);
        let payments = receipt_payments(storefront, *id);
        if !open_ar && payments > 0 {
            let copies: Vec<usize> = match view {
                LedgerView::Qbo(_) => {
                    let prefix = format!("{import_id}#P");
                    qbo_payments
                        .range(prefix.clone()..)
                        .take_while(|(k, _)| k.starts_with(&prefix))
                        .map(|(_, v)| v.len())
                        .collect()
                }
                LedgerView::Erp(erp) => {
                    let mut found = Vec::new();
                    for seq in 0..payments {
                        let probe = receipt_probe(&import_id, seq, docs_ref(&docs, *id));
                        match erp.find_receipt(&probe).await {
                            Ok(r) => found.push(usize::from(r.is_some())),
                            Err(e) if e.kind() == bc_core::ErrorKind::Unsupported => {
                                receipts.unchecked = Some(format!(
                                    "the embedded ERP cannot search receipts yet ({e}); its receipts table is UNIQUE(order, sequence), so duplicates cannot exist there"
                                ));
                                found.clear();
                                break;
                            }
                            Err(e) => return Err(format!("find a receipt in the ERP: {e}")),
                        }
                    }
                    found
                }
            };
            if receipts.unchecked.is_none() {
                for i in 0..payments.max(copies.len()) {
                    receipts.count(copies.get(i).copied().unwrap_or(0), false);
                }
            }
        }
        // Credit memos: one per storefront refund.
        for refund in storefront.refunds(*id) {
            let Some(rid) = refund.get("id").map(|v| v.to_string()) else {
                continue;
            };
            let n = match (view, ledger) {
                (LedgerView::Erp(_), Some(l)) => {
                    let found = l
                        .find_credit_memo(&import_id, &RefundId::new(rid.clone()))
                        .await
                        .map_err(e("find a credit memo in the ERP"))?;
                    let dup = erp_dups
                        .get(&format!("{import_id}/{rid}"))
                        .copied()
                        .unwrap_or(0);
                    usize::from(found.is_some()).max(dup as usize)
                }
                _ => qbo_credits
                    .get(&format!("{import_id}#R{rid}"))
                    .map_or(0, Vec::len),
            };
            credit_memos.count(n, false);
        }
        // Shipments: the tracking number shipped in the ledger, once on the storefront.
        if let Some(tracking) = shipped.get(id) {
            shipments.count(shipment_copies(storefront, *id, tracking), false);
        }
    }
    Ok(Reconciled {
        documents,
        receipts,
        credit_memos,
        shipments,
        storefront_total,
        ledger_total,
        exception_reasons,
        malformed: malformed_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_exactly() {
        assert_eq!(
            qbo_marker(Some("[bcsync:BC1100] Order 100")),
            Some("BC1100")
        );
        assert_eq!(qbo_marker(Some("[bcsync:BC1100#P0]")), Some("BC1100#P0"));
        assert_eq!(qbo_marker(Some("Order 100")), None);
        assert_eq!(qbo_marker(None), None);
    }

    #[test]
    fn counts_split_into_posted_excepted_lost_and_copies() {
        let mut k = KindCount::default();
        k.count(1, false);
        k.count(3, false);
        k.count(0, true);
        k.count(0, false);
        assert_eq!(
            k,
            KindCount {
                expected: 4,
                posted: 2,
                excepted: 1,
                lost: 1,
                duplicated: 2,
                unchecked: None,
                examples: vec![": 3 copies".to_string(), ": lost".to_string()],
                waiting: 0,
            }
        );
    }
}
