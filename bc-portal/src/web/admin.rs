//! Users, roles and settings (Admin, B2) and the audit log.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use secrecy::SecretString;

use super::{core_error, csrf_field, error_page, guard, guard_post, layout, Access};
use crate::perm::{Permission, ROLES};
use crate::users::UserKind;
use crate::Portal;

/// `GET /admin/users`.
pub async fn users(State(p): State<Portal>, headers: HeaderMap) -> Response {
    let s = match guard(&p, &headers, Access::Seller(Permission::UsersManage)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let list = match p.users().await {
        Ok(l) => l,
        Err(e) => return core_error(&e),
    };
    layout(Some(&s), "Users", html! {
        table #users {
            tr { th { "E-mail" } th { "Name" } th { "Role / company" } th {} }
            @for u in &list {
                tr { td { (u.email) } td { (u.name) }
                     td { @match &u.kind { UserKind::Seller { role } => { (role) }, UserKind::Buyer { company_id } => { "buyer of company " (company_id) } } }
                     td { @if u.id != s.user.id {
                        form.inline method="post" action={ "/admin/users/" (u.id) "/delete" } { (csrf_field(&s)) button type="submit" { "Delete" } }
                     } } }
            }
        }
        h2 { "Add a user" }
        form method="post" action="/admin/users" #add-user {
            (csrf_field(&s))
            label { "E-mail " input type="email" name="email" required; } " "
            label { "Name " input type="text" name="name" required; } " "
            label { "Password " input type="password" name="password" required minlength="10"; } " "
            label { "Role " select name="role" { @for r in ROLES { option value=(r) { (r) } } option value="buyer" { "buyer" } } } " "
            label { "Company id (buyers) " input type="text" name="company"; } " "
            button type="submit" { "Add" }
        }
    }).into_response()
}

/// `POST /admin/users`.
pub async fn add_user(State(p): State<Portal>, headers: HeaderMap, body: Bytes) -> Response {
    let (s, form) =
        match guard_post(&p, &headers, Access::Seller(Permission::UsersManage), &body).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let role = form.get("role").unwrap_or("");
    let kind = if role == "buyer" {
        match form
            .get("company")
            .and_then(|c| c.trim().parse::<i64>().ok())
        {
            Some(c) => UserKind::Buyer { company_id: c },
            None => {
                return error_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "A buyer needs a company id.",
                )
            }
        }
    } else {
        UserKind::Seller {
            role: role.to_string(),
        }
    };
    let email = form.get("email").unwrap_or("");
    let password = SecretString::from(form.get("password").unwrap_or("").to_string());
    match p
        .add_user(email, form.get("name").unwrap_or(""), &password, &kind)
        .await
    {
        Ok(_) => {
            let _ = p.audit(&s.user.email, "user.add", email, role).await;
            Redirect::to("/admin/users").into_response()
        }
        Err(e) => core_error(&e),
    }
}

/// `POST /admin/users/{id}/delete`.
pub async fn delete_user(
    State(p): State<Portal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let s = match guard_post(&p, &headers, Access::Seller(Permission::UsersManage), &body).await {
        Ok((s, _)) => s,
        Err(r) => return r,
    };
    if id == s.user.id {
        return error_page(StatusCode::CONFLICT, "You cannot delete yourself.");
    }
    match p.delete_user(id).await {
        Ok(true) => {
            let _ = p
                .audit(&s.user.email, "user.delete", &id.to_string(), "")
                .await;
            Redirect::to("/admin/users").into_response()
        }
        Ok(false) => error_page(StatusCode::NOT_FOUND, &format!("User {id} does not exist.")),
        Err(e) => core_error(&e),
    }
}

/// `GET /admin/roles`.
pub async fn roles(State(p): State<Portal>, headers: HeaderMap) -> Response {
    let s = match guard(&p, &headers, Access::Seller(Permission::RolesManage)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut sets = Vec::new();
    for r in ROLES {
        match p.role_permissions(r).await {
            Ok(x) => sets.push((r, x)),
            Err(e) => return core_error(&e),
        }
    }
    layout(Some(&s), "Roles and permissions", html! {
        @for (role, perms) in &sets {
            form method="post" action="/admin/roles" id={ "role-" (role) } {
                (csrf_field(&s))
                input type="hidden" name="role" value=(role);
                h2 { (role) }
                @for perm in Permission::ALL {
                    label { input type="checkbox" name="perm" value=(perm.as_str()) checked[perms.contains(&perm)]; " " (perm.as_str()) } br;
                }
                button type="submit" { "Save " (role) }
            }
        }
    }).into_response()
}

/// `POST /admin/roles`.
pub async fn set_roles(State(p): State<Portal>, headers: HeaderMap, body: Bytes) -> Response {
    let (s, form) =
        match guard_post(&p, &headers, Access::Seller(Permission::RolesManage), &body).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let role = form.get("role").unwrap_or("").to_string();
    let mut perms = BTreeSet::new();
    for v in form.all("perm") {
        match Permission::parse(v) {
            Some(x) => {
                perms.insert(x);
            }
            None => {
                return error_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("Unknown permission `{v}`."),
                )
            }
        }
    }
    match p.set_role_permissions(&role, &perms).await {
        Ok(()) => {
            let names: Vec<&str> = perms.iter().map(|x| x.as_str()).collect();
            let _ = p
                .audit(&s.user.email, "role.permissions", &role, &names.join(" "))
                .await;
            Redirect::to("/admin/roles").into_response()
        }
        Err(e) => core_error(&e),
    }
}

/// `GET /admin/settings`.
pub async fn settings(State(p): State<Portal>, headers: HeaderMap) -> Response {
    let s = match guard(&p, &headers, Access::Seller(Permission::SettingsManage)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let footer = p
        .setting("buyer_notice")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let c = p.config();
    layout(Some(&s), "Settings", html! {
        form method="post" action="/admin/settings" {
            (csrf_field(&s))
            label { "Notice shown to buyers " input type="text" name="buyer_notice" value=(footer); }
            " " button type="submit" { "Save" }
        }
        h2 { "From the configuration file" }
        ul {
            li { "Import source code: " (c.import_source_code) }
            li { "Receipt types: card " (c.card_receipt_type) ", offline " (c.offline_receipt_type) "; deposit account " (c.deposit_account) }
            li { "Sign-in throttling: " (c.login_max_failures) " failures per " (c.login_window_secs) " s" }
        }
    }).into_response()
}

/// `POST /admin/settings`.
pub async fn save_settings(State(p): State<Portal>, headers: HeaderMap, body: Bytes) -> Response {
    let (s, form) = match guard_post(
        &p,
        &headers,
        Access::Seller(Permission::SettingsManage),
        &body,
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let notice = form.get("buyer_notice").unwrap_or("").trim().to_string();
    if notice.len() > 500 {
        return error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "settings.buyer_notice: at most 500 characters.",
        );
    }
    match p.set_setting("buyer_notice", &notice).await {
        Ok(()) => {
            let _ = p
                .audit(&s.user.email, "settings.save", "buyer_notice", &notice)
                .await;
            Redirect::to("/admin/settings").into_response()
        }
        Err(e) => core_error(&e),
    }
}

/// `GET /admin/audit`.
pub async fn audit(State(p): State<Portal>, headers: HeaderMap) -> Response {
    let s = match guard(&p, &headers, Access::Seller(Permission::SettingsManage)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let rows = match p.audit_log(500).await {
        Ok(r) => r,
        Err(e) => return core_error(&e),
    };
    layout(Some(&s), "Audit log", html! {
        table #audit { tr { th { "When" } th { "Who" } th { "Action" } th { "Target" } th { "Detail" } }
            @for r in &rows { tr { @for c in r { td { (c) } } } } }
    }).into_response()
}
