//! Clients and their contacts, matched by import id, e-mail or display name (O4).

use bc_core::{Client, ClientKey, ClientRef, ErrorKind, LedgerRef, Result};
use sqlx::sqlite::SqliteRow;

use crate::db::{next, number, Conn};
use crate::error::{db_err, err};
use crate::wire::get;

/// Longest display name.
pub(crate) const MAX_NAME: usize = 100;

fn client_ref(r: &SqliteRow) -> Result<ClientRef> {
    let id: i64 = get(r, "id")?;
    Ok(ClientRef {
        at: LedgerRef::new(id.to_string()).with_number(get::<String>(r, "code")?),
        display_name: get(r, "display_name")?,
    })
}

pub(crate) async fn find_client(c: &mut Conn, key: &ClientKey) -> Result<Option<ClientRef>> {
    let row = match key {
        ClientKey::ImportId(id) => {
            sqlx::query("SELECT id, code, display_name FROM clients WHERE import_id = ?")
                .bind(id)
                .fetch_optional(&mut *c)
                .await
        }
        ClientKey::Email(e) => {
            sqlx::query(
                "SELECT id, code, display_name FROM clients WHERE email_lower = ?1
                 UNION ALL
                 SELECT cl.id, cl.code, cl.display_name FROM contacts ct JOIN clients cl ON cl.id = ct.client_id
                 WHERE ct.email_lower = ?1
                 LIMIT 1",
            )
            .bind(e.trim().to_lowercase())
            .fetch_optional(&mut *c)
            .await
        }
        ClientKey::DisplayName(n) => {
            sqlx::query("SELECT id, code, display_name FROM clients WHERE display_name = ?")
                .bind(n)
                .fetch_optional(&mut *c)
                .await
        }
    }
    .map_err(db_err("find client"))?;
    row.as_ref().map(client_ref).transpose()
}

async fn name_taken(c: &mut Conn, name: &str) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM clients WHERE display_name = ?")
        .bind(name)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err("find client"))?
        .is_some())
}

/// A display name not yet used: the name itself, else a stable variant that names the
/// client's import id or e-mail, else a numbered one.
async fn unique_name(c: &mut Conn, client: &Client, name: &str) -> Result<String> {
    if !name_taken(c, name).await? {
        return Ok(name.to_string());
    }
    let mut candidates = Vec::new();
    if let Some(id) = client.import_id.as_deref().filter(|s| !s.trim().is_empty()) {
        candidates.push(format!("{name} ({})", id.trim()));
    }
    if let Some(e) = client.email.as_deref().filter(|s| !s.trim().is_empty()) {
        candidates.push(format!("{name} ({})", e.trim()));
    }
    for cand in candidates {
        if cand.chars().count() <= MAX_NAME && !name_taken(c, &cand).await? {
            return Ok(cand);
        }
    }
    for n in 2..10_000 {
        let cand = format!("{name} ({n})");
        if !name_taken(c, &cand).await? {
            return Ok(cand);
        }
    }
    Err(err(
        ErrorKind::Conflict,
        format!("no free variant of the client name `{name}`"),
    ))
}

pub(crate) async fn create_client(c: &mut Conn, client: &Client) -> Result<ClientRef> {
    let name = client.display_name.trim();
    if name.is_empty() {
        return Err(err(ErrorKind::Invalid, "a client needs a display name"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(err(
            ErrorKind::Invalid,
            format!("client name `{name}` is longer than {MAX_NAME} characters"),
        ));
    }
    if let Some(id) = &client.import_id {
        if let Some(existing) = find_client(c, &ClientKey::ImportId(id.clone())).await? {
            return Err(err(
                ErrorKind::Conflict,
                format!(
                    "client {} already has import id `{id}`; find it with ClientKey::ImportId",
                    existing.display_name
                ),
            ));
        }
    }
    let name = unique_name(c, client, name).await?;
    let code = number("C", next(c, "C").await?);
    let json = |a: &Option<bc_core::Address>| -> Result<Option<String>> {
        a.as_ref()
            .map(|a| {
                serde_json::to_string(a)
                    .map_err(|e| err(ErrorKind::Internal, format!("address: {e}")))
            })
            .transpose()
    };
    let row = sqlx::query(
        "INSERT INTO clients(code, display_name, company, email, email_lower, phone, import_id,
         storefront_customer, currency, billing, shipping)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&code)
    .bind(&name)
    .bind(&client.company)
    .bind(&client.email)
    .bind(client.email.as_ref().map(|e| e.trim().to_lowercase()))
    .bind(&client.phone)
    .bind(&client.import_id)
    .bind(client.storefront_customer.as_ref().map(|c| c.to_string()))
    .bind(client.currency.map(|c| c.code().to_string()))
    .bind(json(&client.billing)?)
    .bind(json(&client.shipping)?)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err("create client"))?;
    let id: i64 = get(&row, "id")?;
    if let Some(ct) = &client.contact {
        sqlx::query(
            "INSERT INTO contacts(client_id, first_name, last_name, email, email_lower, phone)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&ct.first_name)
        .bind(&ct.last_name)
        .bind(&ct.email)
        .bind(ct.email.as_ref().map(|e| e.trim().to_lowercase()))
        .bind(&ct.phone)
        .execute(&mut *c)
        .await
        .map_err(db_err("create contact"))?;
    }
    Ok(ClientRef {
        at: LedgerRef::new(id.to_string()).with_number(code),
        display_name: name,
    })
}
