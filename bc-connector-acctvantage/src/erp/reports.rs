//! What reconciliation and a person read from the ERP: sales orders, totals per import
//! source, duplicates, clients, the trial balance and the journals of a document.

use std::collections::BTreeMap;

use bc_core::{Currency, Decimal, ErrorKind, ImportId, LedgerRef, Result, SourceCode};
use chrono::NaiveDate;

use crate::db::orders::load_head;
use crate::db::Erp;
use crate::error::{db_err, err};
use crate::wire::{dec, get, head, Head, SalesOrderStatus, HEAD_COLS};

/// A sales order as the ERP lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesOrderSummary {
    /// Reference (id, number, version).
    pub at: LedgerRef,
    /// Import id, for orders from a storefront (or linked to one).
    pub import_id: Option<ImportId>,
    /// `storefront` (imported) or `erp` (entered in the ERP).
    pub origin: String,
    /// The storefront order an ERP order was created as.
    pub storefront_order: Option<String>,
    /// Status.
    pub status: SalesOrderStatus,
    /// Total including tax.
    pub total: Decimal,
    /// What remains to be paid by receipts (total less gift certificates and store credit).
    pub balance_due: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Whether it can still be changed.
    pub editable: bool,
}

/// Documents of one import source, for reconciliation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceTotals {
    /// Number of sales orders whose import id begins with the source code.
    pub documents: u64,
    /// Σ of their totals, per currency.
    pub totals: BTreeMap<Currency, Decimal>,
}

/// The half-open range of import ids that begin with `source`.
fn prefix_range(source: &SourceCode) -> (String, String) {
    let lo = source.as_str().to_string();
    let mut hi = lo.clone().into_bytes();
    if let Some(last) = hi.last_mut() {
        *last += 1; // ASCII letters and digits: never overflows
    }
    (lo, String::from_utf8_lossy(&hi).into_owned())
}

impl Erp {
    /// One sales order.
    pub async fn sales_order(&self, order: &LedgerRef) -> Result<SalesOrderSummary> {
        let mut c = self.read().await?;
        let h = load_head(&mut c, order).await?;
        Ok(summary(h))
    }

    /// Sales orders, oldest first; only those whose import id begins with `source` when given
    /// (AcctVantage's "begins with" Power Search on the import id).
    pub async fn sales_orders(
        &self,
        source: Option<&SourceCode>,
    ) -> Result<Vec<SalesOrderSummary>> {
        let mut c = self.read().await?;
        let rows = match source {
            Some(s) => {
                let (lo, hi) = prefix_range(s);
                sqlx::query(&format!(
                    "SELECT {HEAD_COLS} FROM sales_orders WHERE import_id >= ? AND import_id < ? ORDER BY id"
                ))
                .bind(lo)
                .bind(hi)
                .fetch_all(&mut *c)
                .await
            }
            None => {
                sqlx::query(&format!("SELECT {HEAD_COLS} FROM sales_orders ORDER BY id"))
                    .fetch_all(&mut *c)
                    .await
            }
        }
        .map_err(db_err("list sales orders"))?;
        rows.iter().map(|r| Ok(summary(head(r)?))).collect()
    }

    /// Count and Σ totals of the sales orders whose import id begins with `source`.
    pub async fn totals_by_source(&self, source: &SourceCode) -> Result<SourceTotals> {
        let mut c = self.read().await?;
        let (lo, hi) = prefix_range(source);
        let rows = sqlx::query(
            "SELECT currency, total FROM sales_orders WHERE import_id >= ? AND import_id < ?",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("total sales orders"))?;
        let mut out = SourceTotals::default();
        for r in &rows {
            out.documents += 1;
            let cur = Currency::new(&get::<String>(r, "currency")?)?;
            *out.totals.entry(cur).or_insert(Decimal::ZERO) += dec(r, "total")?;
        }
        Ok(out)
    }

    /// Import ids held by more than one document (sales orders, and credit memos per refund),
    /// with their count: empty in a healthy ERP.
    pub async fn duplicates(&self) -> Result<Vec<(String, u64)>> {
        let mut c = self.read().await?;
        let rows = sqlx::query(
            "SELECT import_id AS k, COUNT(*) AS n FROM sales_orders WHERE import_id IS NOT NULL
             GROUP BY import_id HAVING COUNT(*) > 1
             UNION ALL
             SELECT import_id || '/' || refund_id AS k, COUNT(*) AS n FROM credit_memos
             GROUP BY import_id, refund_id HAVING COUNT(*) > 1",
        )
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("check duplicates"))?;
        rows.iter()
            .map(|r| Ok((get(r, "k")?, get::<i64>(r, "n")?.max(0) as u64)))
            .collect()
    }

    /// The number of clients.
    pub async fn client_count(&self) -> Result<u64> {
        let mut c = self.read().await?;
        let row = sqlx::query("SELECT COUNT(*) AS n FROM clients")
            .fetch_one(&mut *c)
            .await
            .map_err(db_err("count clients"))?;
        Ok(get::<i64>(&row, "n")?.max(0) as u64)
    }
}

fn summary(h: Head) -> SalesOrderSummary {
    SalesOrderSummary {
        at: h.at(),
        import_id: h.import_id(),
        editable: h.editable(),
        origin: h.origin,
        storefront_order: h.storefront_order,
        status: h.status,
        total: h.total,
        balance_due: h.balance_due,
        currency: h.currency,
    }
}

/// One account's line of the trial balance, in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialBalanceRow {
    /// Account code.
    pub account: String,
    /// Account name.
    pub name: String,
    /// Currency of the journals.
    pub currency: Currency,
    /// Σ debits.
    pub debit: Decimal,
    /// Σ credits.
    pub credit: Decimal,
}

impl TrialBalanceRow {
    /// Debit − credit.
    pub fn balance(&self) -> Decimal {
        self.debit - self.credit
    }
}

/// The trial balance: every account with postings, per currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrialBalance {
    /// Rows by account then currency.
    pub rows: Vec<TrialBalanceRow>,
}

impl TrialBalance {
    /// Σ debits − Σ credits per currency (all zero in a balanced ledger).
    pub fn differences(&self) -> BTreeMap<Currency, Decimal> {
        let mut out = BTreeMap::new();
        for r in &self.rows {
            *out.entry(r.currency).or_insert(Decimal::ZERO) += r.balance();
        }
        out
    }

    /// Whether debits equal credits in every currency.
    pub fn is_balanced(&self) -> bool {
        self.differences().values().all(|d| d.is_zero())
    }

    /// The balance (debit − credit) of `account` in `currency`.
    pub fn balance(&self, account: &str, currency: Currency) -> Decimal {
        self.rows
            .iter()
            .filter(|r| r.account == account && r.currency == currency)
            .map(|r| r.balance())
            .sum()
    }
}

/// A journal as the ledger holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journal {
    /// Number.
    pub number: String,
    /// What wrote it: `sales`, `receipt`, `shipment`, `credit_memo`, `manual`.
    pub source: String,
    /// Date.
    pub date: NaiveDate,
    /// Currency.
    pub currency: Currency,
    /// (account, debit, credit, description).
    pub lines: Vec<(String, Decimal, Decimal, String)>,
}

impl Erp {
    /// The trial balance computed from every journal line.
    pub async fn trial_balance(&self) -> Result<TrialBalance> {
        let mut c = self.read().await?;
        let rows = sqlx::query(
            "SELECT l.account, a.name, j.currency, l.debit, l.credit
             FROM journal_lines l JOIN journals j ON j.id = l.journal_id
             JOIN accounts a ON a.code = l.account",
        )
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("trial balance"))?;
        let mut acc: BTreeMap<(String, Currency), (String, Decimal, Decimal)> = BTreeMap::new();
        for r in &rows {
            let cur = Currency::new(&get::<String>(r, "currency")?)?;
            let e = acc
                .entry((get(r, "account")?, cur))
                .or_insert_with(|| (String::new(), Decimal::ZERO, Decimal::ZERO));
            e.0 = get(r, "name")?;
            e.1 += dec(r, "debit")?;
            e.2 += dec(r, "credit")?;
        }
        Ok(TrialBalance {
            rows: acc
                .into_iter()
                .map(
                    |((account, currency), (name, debit, credit))| TrialBalanceRow {
                        account,
                        name,
                        currency,
                        debit,
                        credit,
                    },
                )
                .collect(),
        })
    }

    /// The journals written for a document (`source` = `sales`, `receipt`, `shipment`,
    /// `credit_memo`, `manual`; `source_id` = its id).
    pub async fn journals_of(&self, source: &str, source_id: i64) -> Result<Vec<Journal>> {
        let mut c = self.read().await?;
        let heads = sqlx::query(
            "SELECT id, number, source, date, currency FROM journals WHERE source = ? AND source_id = ? ORDER BY id",
        )
        .bind(source)
        .bind(source_id)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("list journals"))?;
        let mut out = Vec::new();
        for h in &heads {
            let id: i64 = get(h, "id")?;
            let lines = sqlx::query(
                "SELECT account, debit, credit, description FROM journal_lines WHERE journal_id = ? ORDER BY line_no",
            )
            .bind(id)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err("list journal lines"))?;
            let date: String = get(h, "date")?;
            out.push(Journal {
                number: get(h, "number")?,
                source: get(h, "source")?,
                date: date.parse().map_err(|_| {
                    err(
                        ErrorKind::Internal,
                        format!("journal {id} has date `{date}`"),
                    )
                })?,
                currency: Currency::new(&get::<String>(h, "currency")?)?,
                lines: lines
                    .iter()
                    .map(|l| {
                        Ok((
                            get(l, "account")?,
                            dec(l, "debit")?,
                            dec(l, "credit")?,
                            get(l, "description")?,
                        ))
                    })
                    .collect::<Result<_>>()?,
            });
        }
        Ok(out)
    }
}
