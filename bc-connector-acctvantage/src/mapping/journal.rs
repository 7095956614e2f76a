//! Balanced journals: every posting writes one whose debits equal its credits (anything that
//! would unbalance the GL is refused), and journal entries (payouts) found again by key.

use bc_core::{Currency, Decimal, DocNumber, ErrorKind, JournalEntry, LedgerRef, Result};
use chrono::NaiveDate;
use sqlx::Row;

use crate::db::{next, number, Conn, Erp};
use crate::error::{db_err, err};
use crate::mapping::accounts::resolve_account;
use crate::wire::get;

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

impl Erp {
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
