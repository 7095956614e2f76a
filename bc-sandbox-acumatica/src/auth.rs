//! Signing in, as Acumatica does it.
//!
//! - `POST /entity/auth/login` with `{"name","password","company","branch","locale"}` answers
//!   204 and sets the session cookies `.ASPXAUTH` and `ASP.NET_SessionId` (plus `UserBranch`
//!   and `Locale`); `POST /entity/auth/logout` ends the session and answers 204
//!   (help.myob.com.au/advanced/Docs/Published/IntegrationDevelopmentGuide/IntegrationDev_RESTExample_Basic_Logout.html).
//! - `POST /identity/connect/token` (OAuth 2.0): the `password` (resource owner) and
//!   `client_credentials` grants, `scope=api`; an access token lives 3600 s and opens a session
//!   that counts like a cookie session (OAuthOIDC_GettingStarted_SignOut.html).
//! - License: the API user may hold at most `max_api_sessions` sessions; one more sign-in is
//!   refused with the "API Login Limit" exception. A session ends at sign-out or after
//!   `session_idle_secs` without a request (IS__con_License_Restrictions_API_Users.html).

use std::collections::BTreeMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::{Duration, Instant};

use crate::errors::AcuError;

#[derive(Clone, Debug)]
struct Session {
    last: Instant,
    expires: Option<Instant>,
    bearer: bool,
}

/// The sessions of the instance.
#[derive(Debug)]
pub struct Sessions {
    by_key: BTreeMap<String, Session>,
    rng: ChaCha8Rng,
    username: String,
    password: SecretString,
    tenant: String,
    client_id: String,
    client_secret: SecretString,
    /// License limit of API sessions.
    pub max: usize,
    idle: Duration,
    ttl: Duration,
    /// Sign-ins refused with "API Login Limit".
    pub login_limit_refusals: u64,
    /// Sign-ins made (cookie or token).
    pub sign_ins: u64,
    /// Sign-outs made.
    pub sign_outs: u64,
}

/// What a request is authenticated by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// `Cookie: .ASPXAUTH=…; ASP.NET_SessionId=…`.
    Cookie(String),
    /// `Authorization: Bearer …`.
    Bearer(String),
}

/// Reads the credential of a request.
pub fn credential(headers: &http::HeaderMap) -> Option<Credential> {
    if let Some(b) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(Credential::Bearer(b.trim().to_string()));
    }
    let mut auth = None;
    let mut session = None;
    for v in headers.get_all(http::header::COOKIE) {
        for part in v.to_str().unwrap_or_default().split(';') {
            let (k, val) = part.trim().split_once('=').unwrap_or((part.trim(), ""));
            match k {
                ".ASPXAUTH" => auth = Some(val.to_string()),
                "ASP.NET_SessionId" => session = Some(val.to_string()),
                _ => {}
            }
        }
    }
    match (auth, session) {
        (Some(a), Some(s)) if !a.is_empty() && !s.is_empty() => {
            Some(Credential::Cookie(format!("{a}|{s}")))
        }
        _ => None,
    }
}

impl Sessions {
    /// Sessions for `config`.
    pub fn new(config: &crate::AcumaticaSandboxConfig) -> Self {
        Sessions {
            by_key: BTreeMap::new(),
            rng: bc_sandbox::rng::seeded(config.seed, "acumatica-sessions"),
            username: config.username.clone(),
            password: config.password.clone(),
            tenant: config.tenant.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            max: config.max_api_sessions,
            idle: Duration::from_secs(config.session_idle_secs),
            ttl: Duration::from_secs(config.token_ttl_secs),
            login_limit_refusals: 0,
            sign_ins: 0,
            sign_outs: 0,
        }
    }

    fn purge(&mut self) {
        let now = Instant::now();
        let idle = self.idle;
        self.by_key.retain(|_, s| match s.expires {
            Some(e) => now < e,
            None => now.duration_since(s.last) < idle,
        });
    }

    /// Sessions open now.
    pub fn open(&mut self) -> usize {
        self.purge();
        self.by_key.len()
    }

    fn token(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789ABCDEF"[self.rng.gen_range(0..16)]))
            .collect()
    }

    fn check_user(
        &self,
        name: &str,
        password: &str,
        company: Option<&str>,
    ) -> Result<(), AcuError> {
        let tenant_ok = company.is_none_or(|c| c.eq_ignore_ascii_case(&self.tenant));
        if name.eq_ignore_ascii_case(&self.username)
            && password == self.password.expose_secret()
            && tenant_ok
        {
            Ok(())
        } else {
            Err(AcuError::px("Invalid credentials. Please try again."))
        }
    }

    fn open_session(&mut self, bearer: bool) -> Result<(), AcuError> {
        self.purge();
        if self.by_key.len() >= self.max {
            self.login_limit_refusals += 1;
            return Err(AcuError::px("API Login Limit"));
        }
        let _ = bearer;
        Ok(())
    }

    /// Cookie sign-in: returns the `.ASPXAUTH` and `ASP.NET_SessionId` values.
    pub fn login(
        &mut self,
        name: &str,
        password: &str,
        company: Option<&str>,
    ) -> Result<(String, String), AcuError> {
        self.check_user(name, password, company)?;
        self.open_session(false)?;
        let auth = self.token(64);
        let sid = self.token(24).to_lowercase();
        self.by_key.insert(
            format!("{auth}|{sid}"),
            Session {
                last: Instant::now(),
                expires: None,
                bearer: false,
            },
        );
        self.sign_ins += 1;
        Ok((auth, sid))
    }

    /// OAuth token request; returns the access token and its lifetime in seconds.
    pub fn grant(
        &mut self,
        form: &BTreeMap<String, String>,
    ) -> Result<(String, u64), (u16, &'static str)> {
        let client_ok = form.get("client_id").is_some_and(|c| *c == self.client_id)
            && form
                .get("client_secret")
                .is_some_and(|s| s == self.client_secret.expose_secret());
        if !client_ok {
            return Err((400, "invalid_client"));
        }
        if form
            .get("scope")
            .is_some_and(|s| !s.split(' ').any(|x| x == "api"))
        {
            return Err((400, "invalid_scope"));
        }
        match form.get("grant_type").map(String::as_str) {
            Some("client_credentials") => {}
            Some("password") => {
                let name = form.get("username").cloned().unwrap_or_default();
                let pw = form.get("password").cloned().unwrap_or_default();
                if self.check_user(&name, &pw, None).is_err() {
                    return Err((400, "invalid_grant"));
                }
            }
            _ => return Err((400, "unsupported_grant_type")),
        }
        if self.open_session(true).is_err() {
            return Err((400, "invalid_grant"));
        }
        let token = self.token(48);
        self.by_key.insert(
            token.clone(),
            Session {
                last: Instant::now(),
                expires: Some(Instant::now() + self.ttl),
                bearer: true,
            },
        );
        self.sign_ins += 1;
        Ok((token, self.ttl.as_secs()))
    }

    /// Authenticates a request and marks its session active.
    pub fn authorize(&mut self, cred: Option<&Credential>) -> Result<(), AcuError> {
        self.purge();
        let key = match cred {
            Some(Credential::Cookie(k)) | Some(Credential::Bearer(k)) => k,
            None => return Err(AcuError::not_logged_in()),
        };
        match self.by_key.get_mut(key) {
            Some(s) => {
                s.last = Instant::now();
                Ok(())
            }
            None => Err(AcuError::not_logged_in()),
        }
    }

    /// Ends the session of `cred` (a no-op for an unknown one).
    pub fn logout(&mut self, cred: Option<&Credential>) {
        let key = match cred {
            Some(Credential::Cookie(k)) | Some(Credential::Bearer(k)) => k.clone(),
            None => return,
        };
        if self.by_key.remove(&key).is_some() {
            self.sign_outs += 1;
        }
    }

    /// Ends every session (an administrator restarting the application).
    pub fn clear(&mut self) {
        self.by_key.clear();
    }

    /// Whether any open session is a bearer-token session.
    pub fn has_bearer(&self) -> bool {
        self.by_key.values().any(|s| s.bearer)
    }
}
