//! A receipt → recorded against its order: captured, Dr the deposit account and Cr A/R;
//! pre-authorised, recorded without a journal until it is captured in the ERP (P2).

use bc_core::{Currency, Decimal, ErrorKind, LedgerRef, Receipt, ReceiptState, Result};
use chrono::NaiveDate;

use crate::config::ErpOptions;
use crate::db::orders::load_head;
use crate::db::schema::accounts;
use crate::db::{id_of, next, number, Conn};
use crate::error::{db_err, err};
use crate::mapping::accounts::resolve_account;
use crate::mapping::journal::{write_journal, Draft};
use crate::wire::{dec, get, Head, SalesOrderStatus};

/// The receipt recorded for `(r.import_id, r.sequence)`, if any (exactly-once for receipts).
pub(crate) async fn find_receipt(c: &mut Conn, r: &Receipt) -> Result<Option<LedgerRef>> {
    let row = sqlx::query(
        "SELECT r.id, r.number FROM receipts r JOIN sales_orders o ON o.id = r.order_id
         WHERE o.import_id = ? AND r.sequence = ?",
    )
    .bind(r.import_id.to_string())
    .bind(i64::from(r.sequence))
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find receipt"))?;
    match row {
        None => Ok(None),
        Some(row) => {
            let id: i64 = get(&row, "id")?;
            let num: String = get(&row, "number")?;
            Ok(Some(LedgerRef::new(id.to_string()).with_number(num)))
        }
    }
}

/// Records a receipt against an order: captured → Dr deposit account, Cr A/R;
/// pre-authorised → recorded, no GL until captured in the ERP.
pub(crate) async fn post_receipt(
    c: &mut Conn,
    _opts: &ErpOptions,
    r: &Receipt,
) -> Result<LedgerRef> {
    let h = load_head(c, &r.document).await?;
    let import_id = r.import_id.to_string();
    if h.import_id.as_deref() != Some(import_id.as_str()) {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "receipt for import id {import_id} names sales order {}, which carries import id {}",
                h.number,
                h.import_id.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    insert_receipt(
        c,
        &h,
        r.sequence,
        &r.receipt_type,
        Some(&r.deposit_account),
        r.amount,
        r.currency,
        r.state,
        r.date,
        r.reference.as_deref(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_receipt(
    c: &mut Conn,
    h: &Head,
    sequence: u32,
    receipt_type: &str,
    deposit_account: Option<&str>,
    amount: Decimal,
    currency: Currency,
    state: ReceiptState,
    date: NaiveDate,
    reference: Option<&str>,
) -> Result<LedgerRef> {
    if currency != h.currency {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "receipt in {currency} for sales order {} in {}",
                h.number, h.currency
            ),
        ));
    }
    if amount <= Decimal::ZERO {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "receipt for sales order {}: amount {amount} must be positive",
                h.number
            ),
        ));
    }
    if h.status == SalesOrderStatus::Cancelled {
        return Err(err(
            ErrorKind::Invalid,
            format!("sales order {} is cancelled", h.number),
        ));
    }
    let state_s = match state {
        ReceiptState::PreAuthorized => "pre_authorized",
        ReceiptState::Captured => "captured",
    };
    let existing = sqlx::query(
        "SELECT id, number, amount, state FROM receipts WHERE order_id = ? AND sequence = ?",
    )
    .bind(h.id)
    .bind(i64::from(sequence))
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find receipt"))?;
    if let Some(e) = existing {
        let same = dec(&e, "amount")? == amount && get::<String>(&e, "state")? == state_s;
        let id: i64 = get(&e, "id")?;
        let num: String = get(&e, "number")?;
        if same {
            // The same receipt again (a retry after a lost response): the one recorded.
            return Ok(LedgerRef::new(id.to_string()).with_number(num));
        }
        return Err(err(
            ErrorKind::Conflict,
            format!(
                "receipt {sequence} of sales order {} is already recorded as {num} with another amount or state",
                h.number
            ),
        ));
    }
    let type_row = sqlx::query("SELECT gl_account FROM receipt_types WHERE code = ?")
        .bind(receipt_type)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err("find receipt type"))?;
    let deposit = match (deposit_account.filter(|s| !s.trim().is_empty()), type_row) {
        (Some(a), found) => {
            let a = resolve_account(c, a).await?;
            if found.is_none() {
                sqlx::query("INSERT INTO receipt_types(code, gl_account) VALUES (?, ?)")
                    .bind(receipt_type)
                    .bind(&a)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err("create receipt type"))?;
            }
            a
        }
        (None, Some(t)) => get(&t, "gl_account")?,
        (None, None) => {
            let msg = format!(
                "receipt type `{receipt_type}` does not exist: add it with Erp::add_receipt_type"
            );
            return Err(err(ErrorKind::Invalid, msg));
        }
    };
    let n = number("RC", next(c, "RC").await?);
    let row = sqlx::query(
        "INSERT INTO receipts(number, order_id, sequence, client_id, receipt_type, deposit_account,
         amount, currency, state, date, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&n)
    .bind(h.id)
    .bind(i64::from(sequence))
    .bind(h.client_id)
    .bind(receipt_type)
    .bind(&deposit)
    .bind(amount.to_string())
    .bind(currency.code())
    .bind(state_s)
    .bind(date.to_string())
    .bind(reference)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err("record receipt"))?;
    let id: i64 = get(&row, "id")?;
    if state == ReceiptState::Captured {
        receipt_journal(c, id, &n, &deposit, amount, currency, date, &h.number).await?;
    }
    let seq = next(c, "seq").await?;
    sqlx::query("UPDATE sales_orders SET seq = ? WHERE id = ?")
        .bind(seq)
        .bind(h.id)
        .execute(&mut *c)
        .await
        .map_err(db_err("record receipt"))?;
    Ok(LedgerRef::new(id.to_string()).with_number(n))
}

#[allow(clippy::too_many_arguments)]
async fn receipt_journal(
    c: &mut Conn,
    id: i64,
    number: &str,
    deposit: &str,
    amount: Decimal,
    currency: Currency,
    date: NaiveDate,
    order: &str,
) -> Result<()> {
    let jid = write_journal(
        c,
        Draft {
            key: None,
            number: None,
            source: "receipt",
            source_id: Some(id),
            date,
            currency,
            memo: Some(format!("Receipt {number} for sales order {order}")),
            lines: vec![
                (deposit.to_string(), amount, format!("Receipt {number}")),
                (
                    accounts::AR.to_string(),
                    -amount,
                    format!("Sales order {order}"),
                ),
            ],
        },
    )
    .await?;
    sqlx::query("UPDATE receipts SET journal_id = ?, state = 'captured' WHERE id = ?")
        .bind(jid)
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err("record receipt"))?;
    Ok(())
}

/// Captures a pre-authorised receipt (in the ERP), writing its journal.
pub(crate) async fn capture_receipt(c: &mut Conn, at: &LedgerRef) -> Result<()> {
    let id = id_of("receipt", &at.id)?;
    let r = sqlx::query(
        "SELECT r.number, r.deposit_account, r.amount, r.currency, r.state, r.order_id, o.number AS order_number
         FROM receipts r JOIN sales_orders o ON o.id = r.order_id WHERE r.id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find receipt"))?
    .ok_or_else(|| err(ErrorKind::NotFound, format!("receipt {at} does not exist")))?;
    if get::<String>(&r, "state")? == "captured" {
        return Err(err(
            ErrorKind::Conflict,
            format!(
                "receipt {} is already captured",
                get::<String>(&r, "number")?
            ),
        ));
    }
    let currency = Currency::new(&get::<String>(&r, "currency")?)?;
    receipt_journal(
        c,
        id,
        &get::<String>(&r, "number")?,
        &get::<String>(&r, "deposit_account")?,
        dec(&r, "amount")?,
        currency,
        chrono::Utc::now().date_naive(),
        &get::<String>(&r, "order_number")?,
    )
    .await?;
    let seq = next(c, "seq").await?;
    sqlx::query("UPDATE sales_orders SET seq = ? WHERE id = ?")
        .bind(seq)
        .bind(get::<i64>(&r, "order_id")?)
        .execute(&mut *c)
        .await
        .map_err(db_err("capture receipt"))?;
    Ok(())
}
