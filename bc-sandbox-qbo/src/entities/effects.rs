//! Side effects of a transaction write, computed as "after minus before" so create, update,
//! void and delete share one rule:
//! - a payment's lines linked to invoices and credit memos set their `Balance` (and the invoice's
//!   `LinkedTxn`);
//! - a customer's `Balance` is open invoices − open credit memos − unapplied payments;
//! - an inventory item's `QtyOnHand` goes down with invoices and sales receipts, up with credit
//!   memos and refund receipts.

use std::collections::{BTreeSet, HashMap};

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::entities::touch;
use crate::json::{dec, id_text, num, obj_mut, ref_value};
use crate::state::{Books, EntityKind};

/// An entity by type and id.
pub(crate) type Key = (EntityKind, u64);

/// Receivable per customer and stock per item, as far as some documents contribute to them.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    ar: HashMap<u64, Decimal>,
    qty: HashMap<u64, Decimal>,
}

fn key_of(kind: EntityKind, row: &Value) -> Option<Key> {
    id_text(row.get("Id"))
        .and_then(|s| s.parse().ok())
        .map(|id| (kind, id))
}

/// The documents one write can change: itself, and for a payment the invoices and credit
/// memos its lines point at (before and after).
pub(crate) fn touched(kind: EntityKind, old: Option<&Value>, new: Option<&Value>) -> Vec<Key> {
    let mut keys = BTreeSet::new();
    for row in [old, new].into_iter().flatten() {
        if let Some(k) = key_of(kind, row) {
            keys.insert(k);
        }
        if kind == EntityKind::Payment {
            keys.extend(payment_links(row).into_iter().map(|(k, _)| k));
        }
    }
    keys.into_iter().collect()
}

/// A payment's `(linked document, amount)` pairs.
pub(crate) fn payment_links(payment: &Value) -> Vec<(Key, Decimal)> {
    let mut out = Vec::new();
    for line in payment
        .get("Line")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let amount = dec(line.get("Amount")).unwrap_or_default();
        for link in line
            .get("LinkedTxn")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = match link.get("TxnType").and_then(Value::as_str) {
                Some("Invoice") => EntityKind::Invoice,
                Some("CreditMemo") => EntityKind::CreditMemo,
                _ => continue,
            };
            if let Some(id) = id_text(link.get("TxnId")).and_then(|s| s.parse().ok()) {
                out.push(((kind, id), amount));
            }
        }
    }
    out
}

/// What the given documents contribute now.
pub(crate) fn snapshot(books: &Books, keys: &[Key]) -> Snapshot {
    let mut s = Snapshot::default();
    for &(kind, id) in keys {
        let Some(row) = books.get(kind, id) else {
            continue;
        };
        let customer = ref_value(row, "CustomerRef").and_then(|c| c.parse::<u64>().ok());
        let ar = match kind {
            EntityKind::Invoice => dec(row.get("Balance")),
            EntityKind::CreditMemo => dec(row.get("Balance")).map(|b| -b),
            EntityKind::Payment => dec(row.get("UnappliedAmt")).map(|u| -u),
            _ => None,
        };
        if let (Some(c), Some(a)) = (customer, ar) {
            *s.ar.entry(c).or_default() += a;
        }
        let sign = match kind {
            EntityKind::Invoice | EntityKind::SalesReceipt => Decimal::NEGATIVE_ONE,
            EntityKind::CreditMemo | EntityKind::RefundReceipt => Decimal::ONE,
            _ => continue,
        };
        for line in row
            .get("Line")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(detail) = line.get("SalesItemLineDetail") else {
                continue;
            };
            let Some(item_id) = ref_value(detail, "ItemRef").and_then(|i| i.parse::<u64>().ok())
            else {
                continue;
            };
            let tracked = books
                .get(EntityKind::Item, item_id)
                .map(|i| i.get("TrackQtyOnHand") == Some(&Value::Bool(true)))
                .unwrap_or(false);
            if tracked {
                let q = dec(detail.get("Qty")).unwrap_or(Decimal::ONE);
                *s.qty.entry(item_id).or_default() += sign * q;
            }
        }
    }
    s
}

/// Applies `after − before` to customers' balances and items' stock.
pub(crate) fn apply(books: &mut Books, before: &Snapshot, after: &Snapshot) {
    let customers: BTreeSet<u64> = before.ar.keys().chain(after.ar.keys()).copied().collect();
    for c in customers {
        let delta = after.ar.get(&c).copied().unwrap_or_default()
            - before.ar.get(&c).copied().unwrap_or_default();
        if delta.is_zero() {
            continue;
        }
        let found = match books.table_mut(EntityKind::Customer).rows.get_mut(&c) {
            Some(row) => {
                for field in ["Balance", "BalanceWithJobs"] {
                    let v = dec(row.get(field)).unwrap_or_default() + delta;
                    obj_mut(row).insert(field.into(), num(v));
                }
                true
            }
            None => false,
        };
        if found {
            touch(books, EntityKind::Customer, c, false);
        }
    }
    let items: BTreeSet<u64> = before.qty.keys().chain(after.qty.keys()).copied().collect();
    for i in items {
        let delta = after.qty.get(&i).copied().unwrap_or_default()
            - before.qty.get(&i).copied().unwrap_or_default();
        if delta.is_zero() {
            continue;
        }
        let found = match books.table_mut(EntityKind::Item).rows.get_mut(&i) {
            Some(row) => {
                let v = dec(row.get("QtyOnHand")).unwrap_or_default() + delta;
                obj_mut(row).insert("QtyOnHand".into(), num(v));
                true
            }
            None => false,
        };
        if found {
            touch(books, EntityKind::Item, i, false);
        }
    }
}

/// After a payment changed, recomputes the balance of every invoice and credit memo it pointed
/// at, before or after.
pub(crate) fn refresh_links(
    books: &mut Books,
    kind: EntityKind,
    old: Option<&Value>,
    new: Option<&Value>,
) {
    if kind != EntityKind::Payment {
        return;
    }
    let keys: BTreeSet<Key> = [old, new]
        .into_iter()
        .flatten()
        .flat_map(payment_links)
        .map(|(k, _)| k)
        .collect();
    for key in keys {
        recompute_balance(books, key);
    }
}

/// What stored payments apply to one invoice or credit memo, and the ids of those payments.
pub(crate) fn applied_to(books: &Books, (kind, id): Key) -> (Decimal, Vec<String>) {
    let mut applied = Decimal::ZERO;
    let mut payers = Vec::new();
    let payments = books.payments_of(kind, id);
    for p in payments
        .iter()
        .filter_map(|pid| books.get(EntityKind::Payment, *pid))
    {
        let mut linked = false;
        for ((k, target), amount) in payment_links(p) {
            if k == kind && target == id {
                applied += amount;
                linked = true;
            }
        }
        if linked {
            if let Some(pid) = id_text(p.get("Id")) {
                payers.push(pid);
            }
        }
    }
    (applied, payers)
}

/// Balance of an invoice or credit memo = total − deposit − what payments apply to it.
pub(crate) fn recompute_balance(books: &mut Books, (kind, id): Key) {
    let (applied, payers) = applied_to(books, (kind, id));
    let Some(row) = books.get(kind, id) else {
        return;
    };
    let total = dec(row.get("TotalAmt")).unwrap_or_default();
    let deposit = dec(row.get("Deposit")).unwrap_or_default();
    let balance = total - deposit - applied;
    let mut links: Vec<Value> = row
        .get("LinkedTxn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|l| l.get("TxnType").and_then(Value::as_str) != Some("Payment"))
        .cloned()
        .collect();
    links.extend(
        payers
            .iter()
            .map(|p| json!({ "TxnId": p, "TxnType": "Payment" })),
    );
    let old_balance = dec(row.get("Balance"));
    let old_links = row.get("LinkedTxn").cloned();
    let new_links = Value::Array(links);
    if old_balance == Some(balance) && old_links.as_ref() == Some(&new_links) {
        return;
    }
    if let Some(row) = books.table_mut(kind).rows.get_mut(&id) {
        let m = obj_mut(row);
        m.insert("Balance".into(), num(balance));
        if kind == EntityKind::CreditMemo {
            m.insert("RemainingCredit".into(), num(balance));
        } else {
            m.insert("LinkedTxn".into(), new_links);
        }
    }
    touch(books, kind, id, true);
}
