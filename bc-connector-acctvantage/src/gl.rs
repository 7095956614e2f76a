//! The general ledger: balanced journals, the trial balance, and manual journal entries.

use std::collections::BTreeMap;

use bc_core::{Currency, Decimal, DocNumber, ErrorKind, JournalEntry, LedgerRef, Result};
use chrono::NaiveDate;
use sqlx::Row;

use crate::db::{db_err, dec, err, get, next, number, Conn};
use crate::erp::{resolve_account, Erp};

/// A journal about to be written: signed amounts (positive = debit, negative = credit).
pub(crate) struct Draft<'a> {
    pub key: Option<&'a str>,
    pub number: Option<String>,
    pub source: &'static str,
    pub source_id: Option<i64>,
    pub date: NaiveDate,
    pub currency: Currency,
    pub memo: Option<String>,
    /// (account code, signed amount, description)
    pub lines: Vec<(String, Decimal, String)>,
}

/// Writes a journal after checking that it balances; a journal whose lines are all zero is
/// not written (`None`).
pub(crate) async fn write_journal(c: &mut Conn, d: Draft<'_>) -> Result<Option<i64>> {
    let debits: Decimal = d.lines.iter().map(|l| l.1.max(Decimal::ZERO)).sum();
    let credits: Decimal = d.lines.iter().map(|l| (-l.1).max(Decimal::ZERO)).sum();
    if debits != credits {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "refused: this {} journal would unbalance the general ledger (debits {debits} ≠ credits {credits} {})",
                d.source, d.currency
            ),
        ));
    }
    let lines: Vec<_> = d.lines.into_iter().filter(|l| !l.1.is_zero()).collect();
    if lines.is_empty() {
        return Ok(None);
    }
    let number = match d.number {
        Some(n) => n,
        None => number("JE", next(c, "JE").await?),
    };
    let row = sqlx::query(
        "INSERT INTO journals(key, number, source, source_id, date, currency, memo, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(d.key)
    .bind(&number)
    .bind(d.source)
    .bind(d.source_id)
    .bind(d.date.to_string())
    .bind(d.currency.code())
    .bind(&d.memo)
    .bind(crate::db::now())
    .fetch_one(&mut *c)
    .await
    .map_err(db_err("write journal"))?;
    let id: i64 = get(&row, "id")?;
    for (i, (account, amount, description)) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO journal_lines(journal_id, line_no, account, debit, credit, description)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(account)
        .bind((*amount).max(Decimal::ZERO).to_string())
        .bind((-*amount).max(Decimal::ZERO).to_string())
        .bind(description)
        .execute(&mut *c)
        .await
        .map_err(|e| {
            let unknown = matches!(&e, sqlx::Error::Database(d) if d.is_foreign_key_violation());
            if unknown {
                err(
                    ErrorKind::Invalid,
                    format!("GL account `{account}` is not in the chart of accounts"),
                )
            } else {
                db_err("write journal line")(e)
            }
        })?;
    }
    Ok(Some(id))
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

    pub(crate) async fn post_journal_entry(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        if entry.key.trim().is_empty() {
            return Err(err(ErrorKind::Invalid, "a journal entry needs a key"));
        }
        if entry.lines.is_empty() {
            return Err(err(
                ErrorKind::Invalid,
                format!("journal {} has no lines", entry.key),
            ));
        }
        for l in &entry.lines {
            if l.debit < Decimal::ZERO || l.credit < Decimal::ZERO {
                return Err(err(
                    ErrorKind::Invalid,
                    format!(
                        "journal {}: line on `{}` has a negative debit or credit",
                        entry.key, l.account
                    ),
                ));
            }
            if !l.debit.is_zero() && !l.credit.is_zero() {
                return Err(err(
                    ErrorKind::Invalid,
                    format!(
                        "journal {}: line on `{}` has both a debit and a credit",
                        entry.key, l.account
                    ),
                ));
            }
        }
        if !entry.is_balanced() {
            return Err(err(
                ErrorKind::Invalid,
                format!(
                    "refused: journal {} would unbalance the general ledger (debits {} ≠ credits {})",
                    entry.key,
                    entry.debits(),
                    entry.credits()
                ),
            ));
        }
        let mut w = self.write().await?;
        let c = w.conn();
        if let Some(existing) = find_journal(c, &entry.key).await? {
            return Err(err(
                ErrorKind::Conflict,
                format!(
                    "journal {} already exists as {existing}; find it with find_journal",
                    entry.key
                ),
            ));
        }
        let mut lines = Vec::with_capacity(entry.lines.len());
        for l in &entry.lines {
            let code = resolve_account(c, &l.account).await?;
            lines.push((code, l.debit - l.credit, l.description.clone()));
        }
        let number = match &entry.number {
            DocNumber::Fixed(n) => Some(n.clone()),
            DocNumber::Auto => None,
        };
        if let Some(n) = &number {
            let taken = sqlx::query("SELECT 1 FROM journals WHERE number = ?")
                .bind(n)
                .fetch_optional(&mut *c)
                .await
                .map_err(db_err("find journal"))?;
            if taken.is_some() {
                return Err(err(
                    ErrorKind::Conflict,
                    format!("journal number `{n}` is already used"),
                ));
            }
        }
        let id = write_journal(
            c,
            Draft {
                key: Some(&entry.key),
                number,
                source: "manual",
                source_id: None,
                date: entry.date,
                currency: entry.currency,
                memo: entry.memo.clone(),
                lines,
            },
        )
        .await?
        .ok_or_else(|| {
            err(
                ErrorKind::Invalid,
                format!("journal {} has only zero lines", entry.key),
            )
        })?;
        let r = journal_ref(c, id).await?;
        w.commit().await?;
        Ok(r)
    }
}

async fn journal_ref(c: &mut Conn, id: i64) -> Result<LedgerRef> {
    let row = sqlx::query("SELECT number FROM journals WHERE id = ?")
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err("read journal"))?;
    Ok(LedgerRef::new(id.to_string()).with_number(get::<String>(&row, "number")?))
}

pub(crate) async fn find_journal(c: &mut Conn, key: &str) -> Result<Option<LedgerRef>> {
    let row = sqlx::query("SELECT id, number FROM journals WHERE key = ?")
        .bind(key)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err("find journal"))?;
    row.map(|r| {
        let id: i64 = get(&r, "id")?;
        Ok(LedgerRef::new(id.to_string())
            .with_number(r.try_get::<String, _>("number").map_err(db_err("number"))?))
    })
    .transpose()
}
