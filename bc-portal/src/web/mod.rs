//! Routes and pages. Every handler checks the session and the permission it needs on the
//! server ([`ROUTES`] lists them, and the role × route × method test walks that list); every
//! POST checks the session's CSRF token in constant time.

mod admin;
mod buyer;
mod pages;
mod seller;
mod sellpay;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use bc_core::ErrorKind;
use maud::{html, Markup};
use subtle::ConstantTimeEq;

use crate::perm::Permission;
use crate::users::Session;
use crate::Portal;

pub use pages::{error_frame, layout};

/// The session cookie.
pub const SESSION_COOKIE: &str = "portal_session";
/// The sign-in form's CSRF cookie (double submit, before there is a session).
pub const LOGIN_COOKIE: &str = "portal_login";

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// A seller with this permission.
    Seller(Permission),
    /// A buyer (only their company's data).
    Buyer,
    /// Any signed-in user.
    SignedIn,
}

/// One route: method, path template (`{order}`, `{invoice}`, `{user}`, `{checkout}`), access.
#[derive(Clone, Copy, Debug)]
pub struct RouteSpec {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Path template.
    pub path: &'static str,
    /// Who may.
    pub access: Access,
}

const fn r(method: &'static str, path: &'static str, access: Access) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
    }
}

use Permission as P;

/// Every route of the portal.
pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/login", Access::Public),
    r("POST", "/login", Access::Public),
    r("POST", "/logout", Access::SignedIn),
    r("GET", "/", Access::SignedIn),
    r("GET", "/orders", Access::Seller(P::OrdersView)),
    r("POST", "/orders/sync", Access::Seller(P::OrdersView)),
    r("GET", "/orders/{order}", Access::Seller(P::OrdersView)),
    r(
        "POST",
        "/orders/{order}/invoices",
        Access::Seller(P::InvoicesCreate),
    ),
    r("GET", "/invoices", Access::Seller(P::InvoicesView)),
    r("GET", "/invoices.csv", Access::Seller(P::InvoicesView)),
    r(
        "POST",
        "/invoices/import",
        Access::Seller(P::InvoicesCreate),
    ),
    r(
        "GET",
        "/invoices/{invoice}",
        Access::Seller(P::InvoicesView),
    ),
    r(
        "POST",
        "/invoices/{invoice}",
        Access::Seller(P::InvoicesEdit),
    ),
    r(
        "POST",
        "/invoices/{invoice}/delete",
        Access::Seller(P::InvoicesDelete),
    ),
    r("GET", "/payments", Access::Seller(P::PaymentsView)),
    r("GET", "/payments/new", Access::Seller(P::PaymentsManual)),
    r("POST", "/payments", Access::Seller(P::PaymentsManual)),
    r(
        "POST",
        "/payments/post-receipts",
        Access::Seller(P::PaymentsManual),
    ),
    r("GET", "/admin/users", Access::Seller(P::UsersManage)),
    r("POST", "/admin/users", Access::Seller(P::UsersManage)),
    r(
        "POST",
        "/admin/users/{user}/delete",
        Access::Seller(P::UsersManage),
    ),
    r("GET", "/admin/roles", Access::Seller(P::RolesManage)),
    r("POST", "/admin/roles", Access::Seller(P::RolesManage)),
    r("GET", "/admin/settings", Access::Seller(P::SettingsManage)),
    r("POST", "/admin/settings", Access::Seller(P::SettingsManage)),
    r("GET", "/admin/audit", Access::Seller(P::SettingsManage)),
    r("GET", "/buyer/invoices", Access::Buyer),
    r("GET", "/buyer/invoices.csv", Access::Buyer),
    r("GET", "/buyer/invoices/{invoice}", Access::Buyer),
    r("POST", "/buyer/checkout", Access::Buyer),
    r("GET", "/buyer/checkouts/{checkout}", Access::Buyer),
    r(
        "POST",
        "/buyer/checkouts/{checkout}/complete",
        Access::Buyer,
    ),
];

/// The router.
pub fn router(portal: Portal) -> Router {
    Router::new()
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/", get(pages::home))
        .route("/orders", get(seller::orders))
        .route("/orders/sync", post(seller::sync))
        .route("/orders/{order}", get(seller::order))
        .route("/orders/{order}/invoices", post(seller::create_invoice))
        .route("/invoices", get(seller::invoices))
        .route("/invoices.csv", get(seller::invoices_csv))
        .route("/invoices/import", post(seller::import))
        .route(
            "/invoices/{invoice}",
            get(seller::invoice).post(seller::edit_invoice),
        )
        .route("/invoices/{invoice}/delete", post(seller::delete_invoice))
        .route("/payments", get(sellpay::payments).post(sellpay::record))
        .route("/payments/new", get(sellpay::new_payment))
        .route("/payments/post-receipts", post(sellpay::post_receipts))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/{user}/delete", post(admin::delete_user))
        .route("/admin/roles", get(admin::roles).post(admin::set_roles))
        .route(
            "/admin/settings",
            get(admin::settings).post(admin::save_settings),
        )
        .route("/admin/audit", get(admin::audit))
        .route("/buyer/invoices", get(buyer::invoices))
        .route("/buyer/invoices.csv", get(buyer::invoices_csv))
        .route("/buyer/invoices/{invoice}", get(buyer::invoice))
        .route("/buyer/checkout", post(buyer::checkout))
        .route("/buyer/checkouts/{checkout}", get(buyer::checkout_page))
        .route(
            "/buyer/checkouts/{checkout}/complete",
            post(buyer::complete),
        )
        .fallback(|| async { error_page(StatusCode::NOT_FOUND, "Page not found.") })
        .layer(axum::middleware::map_response(security_headers))
        .with_state(portal)
}

async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// An error page.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    (
        status,
        error_frame("Error", html! { p.error role="alert" { (message) } }),
    )
        .into_response()
}

/// A `bc_core::Error` as a page with the right status (its message names what and why).
pub fn core_error(e: &bc_core::Error) -> Response {
    let status = match e.kind() {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Invalid | ErrorKind::Mapping => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_GATEWAY,
    };
    error_page(status, &e.to_string())
}

/// Reads a cookie.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value.
pub fn set_cookie(
    portal: &Portal,
    name: &str,
    value: &str,
    path: &str,
    max_age: i64,
) -> HeaderValue {
    let secure = if portal.config().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session of a request, if any.
pub async fn session_of(portal: &Portal, headers: &HeaderMap) -> Option<Session> {
    let id = cookie(headers, SESSION_COOKIE)?;
    portal.session(&id).await.ok().flatten()
}

/// Checks the access a route needs; the page to answer with when refused.
pub async fn guard(
    portal: &Portal,
    headers: &HeaderMap,
    access: Access,
) -> Result<Session, Response> {
    let Some(s) = session_of(portal, headers).await else {
        return Err(Redirect::to("/login").into_response());
    };
    let ok = match access {
        Access::Public | Access::SignedIn => true,
        Access::Seller(p) => s.company().is_none() && s.can(p),
        Access::Buyer => s.company().is_some(),
    };
    if ok {
        Ok(s)
    } else {
        Err(error_page(
            StatusCode::FORBIDDEN,
            "You do not have permission to do this.",
        ))
    }
}

/// A parsed form body.
#[derive(Clone, Debug, Default)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    /// Parses `application/x-www-form-urlencoded`.
    pub fn parse(body: &Bytes) -> Form {
        Form(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a field.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// As a map (last value wins).
    pub fn map(&self) -> BTreeMap<String, String> {
        self.0.iter().cloned().collect()
    }
}

/// Checks a form's CSRF token against the session's, in constant time.
pub fn csrf_ok(session: &Session, form: &Form) -> bool {
    let given = form.get("csrf").unwrap_or("");
    given.len() == session.csrf.len() && bool::from(given.as_bytes().ct_eq(session.csrf.as_bytes()))
}

/// Guard + CSRF for a POST.
pub async fn guard_post(
    portal: &Portal,
    headers: &HeaderMap,
    access: Access,
    body: &Bytes,
) -> Result<(Session, Form), Response> {
    let s = guard(portal, headers, access).await?;
    let form = Form::parse(body);
    if !csrf_ok(&s, &form) {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            "The form's security token is missing or wrong; reload the page and try again.",
        ));
    }
    Ok((s, form))
}

/// The client address (for sign-in throttling).
pub fn client_addr(ext: &axum::http::Extensions) -> String {
    ext.get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// A hidden CSRF field.
pub fn csrf_field(s: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(s.csrf); }
}

/// CSV of rows; a cell that a spreadsheet would read as a formula is prefixed with `'`.
pub fn csv(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                let numeric = c.parse::<rust_decimal::Decimal>().is_ok();
                let c = if !numeric && c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    format!("'{c}")
                } else {
                    c.clone()
                };
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A CSV download.
pub fn csv_response(name: &str, body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response()
}

/// Parses an amount typed by a person (`1,234.50` is refused: no thousands separators).
pub fn parse_amount(s: &str) -> Option<rust_decimal::Decimal> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    rust_decimal::Decimal::from_str_exact(s).ok()
}
