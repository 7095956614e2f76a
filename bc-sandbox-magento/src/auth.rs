//! Authentication: integration access tokens as Bearer, admin tokens, and the lockout after
//! failed admin logins.
//!
//! - Integration tokens as standalone Bearer tokens are refused unless the store allows them
//!   (Magento 2.4.4+; Adobe, "Token-based authentication", developer.adobe.com/commerce/webapi/
//!   get-started/authentication/gs-authentication-token/: "this behavior has been disabled by
//!   default … can be restored in the Admin by setting Stores > Configuration > Services >
//!   OAuth > Consumer Settings > Allow OAuth Access Tokens to be used as standalone Bearer
//!   tokens", config path `oauth/consumer/enable_integration_as_bearer`). The token is then
//!   not recognised, the caller is anonymous and every admin resource answers 401 "The
//!   consumer isn't authorized to access %resources."
//! - `POST /V1/integration/admin/token` with `{"username","password"}` answers the token as a
//!   JSON string, valid 4 hours (same page: "Admin: 4 hours"). After 6 failed attempts the
//!   user is locked for 1,800 s (Stores > Configuration > Services > OAuth > Authentication
//!   Locks: "Maximum Login Failures to Lockout Account" 6, "Lockout Time (seconds)" 1800);
//!   while locked even the right password is refused with the same message.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Duration;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::{wire, App};

/// The message of a failed or locked admin login.
pub const SIGN_IN_FAILED: &str = "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.";

/// The message of a request without a usable token.
pub const NOT_AUTHORIZED: &str = "The consumer isn't authorized to access %resources.";

/// Refuses the request unless its Bearer token may use `resource` (an ACL resource id such
/// as `Magento_Sales::actions_view`).
pub fn check(app: &App, headers: &HeaderMap, resource: &str) -> Result<(), Response> {
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or("");
    let refused = || wire::error_named(401, NOT_AUTHORIZED, json!({ "resources": resource }));
    if token.is_empty() {
        return Err(refused());
    }
    if token == app.config.integration_token.expose_secret() {
        return if app.config.bearer_tokens_allowed {
            Ok(())
        } else {
            Err(refused())
        };
    }
    let mut store = app.shared.lock();
    let now = store.now();
    match store.admin_tokens.get(token) {
        Some((_, expires)) if *expires > now => Ok(()),
        _ => Err(refused()),
    }
}

/// `POST /V1/integration/admin/token`.
pub async fn admin_token(State(app): State<App>, body: axum::body::Bytes) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            return wire::error(
                400,
                "Decoding error: the request body is not valid JSON.",
                &[],
            )
        }
    };
    let Some(username) = v.get("username").and_then(Value::as_str) else {
        return wire::required("username");
    };
    let Some(password) = v.get("password").and_then(Value::as_str) else {
        return wire::required("password");
    };
    let mut store = app.shared.lock();
    let now = store.now();
    let entry = store
        .login_failures
        .entry(username.to_string())
        .or_insert((0, None));
    if entry.1.is_some_and(|until| until > now) {
        return wire::error(401, SIGN_IN_FAILED, &[]);
    }
    let right = username == app.config.admin_username
        && password == app.config.admin_password.expose_secret();
    if !right {
        entry.0 += 1;
        if entry.0 >= app.config.max_login_failures {
            entry.1 = Some(now + Duration::seconds(app.config.lockout_seconds));
            entry.0 = 0;
        }
        return wire::error(401, SIGN_IN_FAILED, &[]);
    }
    *entry = (0, None);
    let n = store.next_id("admin_token");
    let token = format!(
        "{:016x}{:016x}",
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ app.config.token_salt,
        app.config.token_salt.rotate_left(17) ^ n
    );
    store.admin_tokens.insert(
        token.clone(),
        (username.to_string(), now + Duration::hours(4)),
    );
    wire::ok(Value::String(token))
}
