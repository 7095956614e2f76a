//! The layout, sign-in and sign-out.

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};
use secrecy::SecretString;

use super::{
    cookie, error_page, guard_post, session_of, set_cookie, Access, Form, LOGIN_COOKIE,
    SESSION_COOKIE,
};
use crate::perm::Permission;
use crate::users::{random_token, Session, SignIn};
use crate::Portal;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222}
nav{background:#1d3557;padding:.5rem 1rem}nav a,nav button{color:#fff;margin-right:1rem;background:none;border:0;font:inherit;cursor:pointer}
main{padding:1rem 2rem}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
.error{color:#b00020;font-weight:bold}.ok{color:#2e7d32;font-weight:bold}.flag{color:#b00020}
form.inline{display:inline}input[type=text],input[type=number]{width:8rem}";

/// The page frame; the navigation shows what the user may open.
pub fn layout(s: Option<&Session>, title: &str, body: Markup) -> axum::response::Html<String> {
    frame(title, nav(s), body)
}

/// The frame of an error page, which is answered before (or without) reading the session:
/// its navigation leads back to the portal (the home page sends a signed-in user to their
/// start page, anyone else to the sign-in form).
pub fn error_frame(title: &str, body: Markup) -> axum::response::Html<String> {
    frame(
        title,
        html! { a href="/" #home { "Back to the portal" } },
        body,
    )
}

fn frame(title: &str, nav: Markup, body: Markup) -> axum::response::Html<String> {
    axum::response::Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { (title) " — Invoice Portal" }
                    style { (STYLE) }
                }
                body {
                    nav { (nav) }
                    main { h1 { (title) } (body) }
                }
            }
        }
        .into_string(),
    )
}

fn nav(s: Option<&Session>) -> Markup {
    html! {
        @if let Some(s) = s {
            @if s.company().is_some() {
                a href="/buyer/invoices" { "My invoices" }
            } @else {
                @if s.can(Permission::OrdersView) { a href="/orders" { "Orders" } }
                @if s.can(Permission::InvoicesView) { a href="/invoices" { "Invoices" } }
                @if s.can(Permission::PaymentsView) { a href="/payments" { "Payments" } }
                @if s.can(Permission::UsersManage) { a href="/admin/users" { "Users" } }
                @if s.can(Permission::RolesManage) { a href="/admin/roles" { "Roles" } }
                @if s.can(Permission::SettingsManage) { a href="/admin/settings" { "Settings" } a href="/admin/audit" { "Audit log" } }
            }
            form.inline method="post" action="/logout" {
                input type="hidden" name="csrf" value=(s.csrf);
                button type="submit" id="logout" { "Sign out " (s.user.email) }
            }
        } @else {
            a href="/login" { "Sign in" }
        }
    }
}

/// `GET /login`.
pub async fn login_page(State(p): State<Portal>) -> Response {
    let token = random_token();
    let page = layout(None, "Sign in", login_form(&token, None));
    (
        [(
            header::SET_COOKIE,
            set_cookie(&p, LOGIN_COOKIE, &token, "/login", 3600),
        )],
        page,
    )
        .into_response()
}

fn login_form(token: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/login" {
            input type="hidden" name="csrf" value=(token);
            p { label { "E-mail " input type="email" name="email" id="email" required autocomplete="username"; } }
            p { label { "Password " input type="password" name="password" id="password" required autocomplete="current-password"; } }
            button type="submit" id="signin" { "Sign in" }
        }
    }
}

/// `POST /login`: double-submit CSRF check, throttling, a new session id.
pub async fn login(State(p): State<Portal>, req: Request) -> Response {
    let addr = super::client_addr(req.extensions());
    let headers = req.headers().clone();
    let Ok(body) = axum::body::to_bytes(req.into_body(), 64 * 1024).await else {
        return error_page(StatusCode::BAD_REQUEST, "The form is too large.");
    };
    let form = Form::parse(&body);
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    let given = form.get("csrf").unwrap_or("");
    use subtle::ConstantTimeEq;
    if expected.is_empty()
        || expected.len() != given.len()
        || !bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
    {
        return error_page(
            StatusCode::FORBIDDEN,
            "The sign-in form expired; reload the page and try again.",
        );
    }
    let email = form.get("email").unwrap_or("").to_string();
    let password = SecretString::from(form.get("password").unwrap_or("").to_string());
    // An old session cookie is ended: a sign-in always gets a fresh id (no fixation).
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        let _ = p.sign_out(&old).await;
    }
    match p.sign_in(&email, &password, &addr).await {
        Ok(SignIn::Ok(id, user)) => {
            use secrecy::ExposeSecret;
            let to = match user.kind {
                crate::users::UserKind::Buyer { .. } => "/buyer/invoices",
                crate::users::UserKind::Seller { .. } => "/",
            };
            let ttl = p.config().session_ttl_secs as i64;
            let mut resp = Redirect::to(to).into_response();
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&p, SESSION_COOKIE, id.expose_secret(), "/", ttl),
            );
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&p, LOGIN_COOKIE, "", "/login", 0),
            );
            resp
        }
        Ok(SignIn::Refused) => (
            StatusCode::UNAUTHORIZED,
            layout(
                None,
                "Sign in",
                login_form(&expected, Some("Wrong e-mail or password.")),
            ),
        )
            .into_response(),
        Ok(SignIn::Throttled) => (
            StatusCode::TOO_MANY_REQUESTS,
            layout(
                None,
                "Sign in",
                login_form(
                    &expected,
                    Some("Too many failed attempts. Try again in 15 minutes."),
                ),
            ),
        )
            .into_response(),
        Err(e) => super::core_error(&e),
    }
}

/// `POST /logout`.
pub async fn logout(State(p): State<Portal>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = guard_post(&p, &headers, Access::SignedIn, &body).await {
        return r;
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        let _ = p.sign_out(&id).await;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&p, SESSION_COOKIE, "", "/", 0),
    );
    resp
}

/// `GET /`.
pub async fn home(State(p): State<Portal>, headers: HeaderMap) -> Response {
    let Some(s) = session_of(&p, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    if s.company().is_some() {
        return Redirect::to("/buyer/invoices").into_response();
    }
    let role = match &s.user.kind {
        crate::users::UserKind::Seller { role } => role.clone(),
        _ => String::new(),
    };
    layout(
        Some(&s),
        "Invoice Portal",
        html! {
            p #welcome { "Signed in as " (s.user.name) " (" (role) ")." }
            ul { @for perm in &s.permissions { li { (perm.as_str()) } } }
        },
    )
    .into_response()
}
