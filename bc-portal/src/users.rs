//! Users, roles and permissions, sessions, sign-in throttling and the audit log.

use std::collections::BTreeSet;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use bc_core::{Error, ErrorKind, Result};
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::config::PasswordCost;
use crate::db::{col, db_err, now};
use crate::perm::{default_permissions, Permission, ROLES};
use crate::Portal;

/// Who a user is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserKind {
    /// Seller staff with a role.
    Seller {
        /// `sales`, `finance`, `admin`.
        role: String,
    },
    /// A buyer of a company.
    Buyer {
        /// The company.
        company_id: i64,
    },
}

/// A signed-in user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: i64,
    /// E-mail (the login).
    pub email: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: UserKind,
}

/// A live session.
#[derive(Clone, Debug)]
pub struct Session {
    /// The user.
    pub user: User,
    /// The CSRF token of the session's forms.
    pub csrf: String,
    /// The user's permissions (sellers).
    pub permissions: BTreeSet<Permission>,
}

impl Session {
    /// Whether the user may.
    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }

    /// The company of a buyer.
    pub fn company(&self) -> Option<i64> {
        match self.user.kind {
            UserKind::Buyer { company_id } => Some(company_id),
            UserKind::Seller { .. } => None,
        }
    }
}

/// 32 random bytes from the OS CSPRNG, as URL-safe base64.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash_id(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

fn argon(cost: PasswordCost) -> Result<Argon2<'static>> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|e| Error::new(ErrorKind::Config, format!("portal.password_cost: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password (Argon2id, random salt, PHC string).
pub fn hash_password(password: &SecretString, cost: PasswordCost) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon(cost)?
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::new(ErrorKind::Invalid, format!("cannot hash the password: {e}")))
}

fn verify_password(password: &SecretString, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        // The parameters come from the stored hash.
        Ok(h) => Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// The outcome of a sign-in.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the new session id (for the cookie) and the user.
    Ok(SecretString, User),
    /// Wrong e-mail or password.
    Refused,
    /// Too many failures recently.
    Throttled,
}

fn user_from(row: &sqlx::sqlite::SqliteRow) -> Result<User> {
    let kind: String = col(row, "kind")?;
    let kind = if kind == "buyer" {
        UserKind::Buyer {
            company_id: col::<Option<i64>>(row, "company_id")?.unwrap_or_default(),
        }
    } else {
        UserKind::Seller {
            role: col::<Option<String>>(row, "role")?.unwrap_or_default(),
        }
    };
    Ok(User {
        id: col(row, "id")?,
        email: col(row, "email")?,
        name: col(row, "name")?,
        kind,
    })
}

impl Portal {
    /// Seeds the built-in roles' default permissions (once).
    pub(crate) async fn seed_roles(&self) -> Result<()> {
        let _w = self.db().writer().await;
        for role in ROLES {
            let seeded = sqlx::query("SELECT 1 FROM role_permissions WHERE role = ?")
                .bind(role)
                .fetch_optional(&self.db().pool)
                .await
                .map_err(db_err("read roles"))?;
            if seeded.is_some() {
                continue;
            }
            for p in default_permissions(role) {
                sqlx::query("INSERT INTO role_permissions(role, permission) VALUES (?, ?)")
                    .bind(role)
                    .bind(p.as_str())
                    .execute(&self.db().pool)
                    .await
                    .map_err(db_err("seed roles"))?;
            }
        }
        Ok(())
    }

    /// Adds a user. Sellers have a role, buyers a company.
    pub async fn add_user(
        &self,
        email: &str,
        name: &str,
        password: &SecretString,
        kind: &UserKind,
    ) -> Result<i64> {
        let email = email.trim().to_lowercase();
        if !email.contains('@') || email.len() > 254 {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("`{email}` is not an e-mail address"),
            ));
        }
        if password.expose_secret().chars().count() < 10 {
            return Err(Error::new(
                ErrorKind::Invalid,
                "a password needs at least 10 characters",
            ));
        }
        if let UserKind::Seller { role } = kind {
            if !ROLES.contains(&role.as_str()) {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("role `{role}` does not exist"),
                ));
            }
        }
        let hash = hash_password(password, self.config().password_cost)?;
        let (k, role, company) = match kind {
            UserKind::Seller { role } => ("seller", Some(role.clone()), None),
            UserKind::Buyer { company_id } => ("buyer", None, Some(*company_id)),
        };
        let _w = self.db().writer().await;
        let row = sqlx::query(
            "INSERT INTO users(email, name, password_hash, kind, role, company_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&email)
        .bind(name)
        .bind(hash)
        .bind(k)
        .bind(role)
        .bind(company)
        .bind(now())
        .fetch_one(&self.db().pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => Error::new(
                ErrorKind::Conflict,
                format!("a user with e-mail {email} exists"),
            ),
            e => db_err("add user")(e),
        })?;
        col(&row, "id")
    }

    /// Removes a user and their sessions.
    pub async fn delete_user(&self, id: i64) -> Result<bool> {
        let _w = self.db().writer().await;
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(id)
            .execute(&self.db().pool)
            .await
            .map_err(db_err("delete sessions"))?;
        let r = sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(id)
            .execute(&self.db().pool)
            .await
            .map_err(db_err("delete user"))?;
        Ok(r.rows_affected() == 1)
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY id")
            .fetch_all(&self.db().pool)
            .await
            .map_err(db_err("list users"))?;
        rows.iter().map(user_from).collect()
    }

    async fn failures(&self, key: &str) -> Result<i64> {
        let since = (chrono::Utc::now()
            - chrono::Duration::seconds(self.config().login_window_secs as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let row = sqlx::query("SELECT COUNT(*) AS n FROM login_failures WHERE key = ? AND at >= ?")
            .bind(key)
            .bind(since)
            .fetch_one(&self.db().pool)
            .await
            .map_err(db_err("count failures"))?;
        col(&row, "n")
    }

    /// Signs in: checks throttling (per e-mail and per client address), the password, and
    /// makes a new session (a fresh id every time: no session fixation).
    pub async fn sign_in(
        &self,
        email: &str,
        password: &SecretString,
        client: &str,
    ) -> Result<SignIn> {
        let email = email.trim().to_lowercase();
        let keys = [format!("email:{email}"), format!("addr:{client}")];
        let max = i64::from(self.config().login_max_failures);
        for k in &keys {
            if self.failures(k).await? >= max {
                self.audit("anonymous", "login.throttled", &email, client)
                    .await?;
                return Ok(SignIn::Throttled);
            }
        }
        let row = sqlx::query("SELECT * FROM users WHERE email = ?")
            .bind(&email)
            .fetch_optional(&self.db().pool)
            .await
            .map_err(db_err("find user"))?;
        // Hash even for an unknown e-mail, so timing does not tell which e-mails exist.
        let (user, ok) = match &row {
            Some(r) => {
                let phc: String = col(r, "password_hash")?;
                (Some(user_from(r)?), verify_password(password, &phc))
            }
            None => {
                let _ = hash_password(password, self.config().password_cost);
                (None, false)
            }
        };
        match (user, ok) {
            (Some(user), true) => {
                let id = random_token();
                let csrf = random_token();
                let expires = chrono::Utc::now()
                    + chrono::Duration::seconds(self.config().session_ttl_secs as i64);
                let _w = self.db().writer().await;
                sqlx::query(
                    "INSERT INTO sessions(id_hash, user_id, csrf, created_at, expires_at)
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(hash_id(&id))
                .bind(user.id)
                .bind(csrf)
                .bind(now())
                .bind(expires.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                .execute(&self.db().pool)
                .await
                .map_err(db_err("create session"))?;
                drop(_w);
                self.audit(&user.email, "login", &user.email, client)
                    .await?;
                Ok(SignIn::Ok(SecretString::from(id), user))
            }
            _ => {
                let _w = self.db().writer().await;
                for k in &keys {
                    sqlx::query("INSERT INTO login_failures(key, at) VALUES (?, ?)")
                        .bind(k)
                        .bind(now())
                        .execute(&self.db().pool)
                        .await
                        .map_err(db_err("record failure"))?;
                }
                drop(_w);
                self.audit("anonymous", "login.failed", &email, client)
                    .await?;
                Ok(SignIn::Refused)
            }
        }
    }

    /// The session of a cookie value, if live.
    pub async fn session(&self, id: &str) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT u.*, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ?",
        )
        .bind(hash_id(id))
        .fetch_optional(&self.db().pool)
        .await
        .map_err(db_err("read session"))?;
        let Some(row) = row else { return Ok(None) };
        let expires: String = col(&row, "expires_at")?;
        if expires < now() {
            return Ok(None);
        }
        let user = user_from(&row)?;
        let permissions = match &user.kind {
            UserKind::Seller { role } => self.role_permissions(role).await?,
            UserKind::Buyer { .. } => BTreeSet::new(),
        };
        Ok(Some(Session {
            user,
            csrf: col(&row, "csrf")?,
            permissions,
        }))
    }

    /// Ends a session.
    pub async fn sign_out(&self, id: &str) -> Result<()> {
        let _w = self.db().writer().await;
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(hash_id(id))
            .execute(&self.db().pool)
            .await
            .map_err(db_err("delete session"))?;
        Ok(())
    }

    /// A role's permissions.
    pub async fn role_permissions(&self, role: &str) -> Result<BTreeSet<Permission>> {
        let rows = sqlx::query("SELECT permission FROM role_permissions WHERE role = ?")
            .bind(role)
            .fetch_all(&self.db().pool)
            .await
            .map_err(db_err("read permissions"))?;
        Ok(rows
            .iter()
            .filter_map(|r| col::<String>(r, "permission").ok())
            .filter_map(|p| Permission::parse(&p))
            .collect())
    }

    /// Replaces a role's permissions (B2). The admin role always keeps roles.manage, so that
    /// nobody locks every admin out.
    pub async fn set_role_permissions(
        &self,
        role: &str,
        perms: &BTreeSet<Permission>,
    ) -> Result<()> {
        if !ROLES.contains(&role) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("role `{role}` does not exist"),
            ));
        }
        let mut perms = perms.clone();
        if role == "admin" {
            perms.insert(Permission::RolesManage);
        }
        let _w = self.db().writer().await;
        let mut tx = self.db().pool.begin().await.map_err(db_err("begin"))?;
        sqlx::query("DELETE FROM role_permissions WHERE role = ?")
            .bind(role)
            .execute(&mut *tx)
            .await
            .map_err(db_err("clear permissions"))?;
        for p in &perms {
            sqlx::query("INSERT INTO role_permissions(role, permission) VALUES (?, ?)")
                .bind(role)
                .bind(p.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err("set permission"))?;
        }
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(())
    }

    /// Appends to the audit log.
    pub async fn audit(&self, actor: &str, action: &str, target: &str, detail: &str) -> Result<()> {
        let _w = self.db().writer().await;
        sqlx::query(
            "INSERT INTO audit_log(at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(now())
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail)
        .execute(&self.db().pool)
        .await
        .map_err(db_err("audit"))?;
        Ok(())
    }

    /// The audit log, newest first: (at, actor, action, target, detail).
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<[String; 5]>> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?")
            .bind(limit)
            .fetch_all(&self.db().pool)
            .await
            .map_err(db_err("read audit"))?;
        rows.iter()
            .map(|r| {
                Ok([
                    col(r, "at")?,
                    col(r, "actor")?,
                    col(r, "action")?,
                    col(r, "target")?,
                    col(r, "detail")?,
                ])
            })
            .collect()
    }

    /// A setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.db().pool)
            .await
            .map_err(db_err("read setting"))?;
        row.map(|r| col(&r, "value")).transpose()
    }

    /// Sets a setting.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        let _w = self.db().writer().await;
        sqlx::query(
            "INSERT INTO settings(key, value) VALUES (?, ?)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.db().pool)
        .await
        .map_err(db_err("write setting"))?;
        Ok(())
    }
}
