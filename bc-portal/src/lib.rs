//! # bc-portal — the B2B invoice portal (seed `004`, issue 17)
//!
//! A web app for a B2B seller's staff and its buyers, served by `bcsync portal`:
//! server-rendered HTML (maud, checked at compile time) that works without JavaScript, on axum
//! and sqlx (SQLite; the queries are portable, see [`db`]).
//!
//! - Sellers sign in with a role: Sales (orders, invoices), Finance (+ manual payments), Admin
//!   (+ users, roles, settings, audit); an Admin changes each role's permissions ([`perm`]).
//! - The order dashboard lists B2B orders synced from the storefront through
//!   [`bc_core::Storefront`]; invoices are created from them (several per order) or imported
//!   from the ledger ([`ledger::OpenInvoices`]); edits and deletes follow the rules of
//!   [`model::check_edit`] and [`model::check_delete`], on the server.
//! - Payments: manual offline payments and buyers' card payments through the storefront's
//!   payment gateway ([`gateway`]), applied exactly once ([`payments`]), then posted to the
//!   ledger as receipts from an outbox ([`ledger::post_receipts`]).
//! - Security: Argon2id passwords, sessions with 256-bit ids from the OS CSPRNG in `Secure;
//!   HttpOnly; SameSite=Strict` cookies (the database keeps only their SHA-256), a new id at
//!   every sign-in, a CSRF token on every form compared in constant time (`subtle`), sign-in
//!   throttling per e-mail and per client address, and an audit log of every action.
//!
//! Files: [`config`], [`db`], [`perm`], [`model`], [`users`], [`invoices`], [`payments`],
//! [`ledger`], [`gateway`], [`web`] (routes and pages), `demo` (feature `demo`).
//!
//! Tests: `tests/http.rs` (over loopback HTTP: the role × route × method matrix, buyers
//! confined to their company, CSRF, session fixation, sign-in throttling, the invoice rules,
//! payments exactly once, the "changed/cancelled after invoicing" flag, CSV export, role
//! permissions, security headers), `tests/load.rs` (200 buyers paying at once) and
//! `tests/browser.rs` (each flow in headless Chromium over WebDriver, a screenshot of every
//! page under `target/portal-screenshots/<test>/`; without Chromium and chromedriver the
//! tests print `SKIPPED`).
#![forbid(unsafe_code)]

pub mod config;
pub mod db;
#[cfg(feature = "demo")]
pub mod demo;
pub mod gateway;
pub mod invoices;
pub mod ledger;
pub mod model;
pub mod payments;
pub mod perm;
pub mod users;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use bc_core::{Ledger, Result, Storefront};

pub use config::{PasswordCost, PortalConfig};
pub use gateway::{BigCommerceGateway, CardDetails, GatewayConfig, PaymentGateway};
pub use ledger::{post_receipts, ErpOpenInvoices, LedgerInvoice, OpenInvoices, ReceiptRun};
pub use perm::Permission;
pub use users::{SignIn, User, UserKind};

/// The platform name in logs.
pub const PLATFORM: &str = "portal";

/// What the portal talks to.
#[derive(Clone, Default)]
pub struct Services {
    /// The storefront orders come from.
    pub storefront: Option<Arc<dyn Storefront>>,
    /// The ledger receipts go to.
    pub ledger: Option<Arc<dyn Ledger>>,
    /// The ledger's open invoices.
    pub open_invoices: Option<Arc<dyn OpenInvoices>>,
    /// The storefront's payment gateway.
    pub gateway: Option<Arc<dyn PaymentGateway>>,
}

struct Inner {
    db: db::Db,
    config: PortalConfig,
    services: Services,
}

/// The portal: its database, settings and services. Cheap to clone.
#[derive(Clone)]
pub struct Portal {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Portal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portal").finish_non_exhaustive()
    }
}

impl Portal {
    /// Opens the portal's database (applying the schema and the built-in roles).
    pub async fn open(config: PortalConfig, services: Services) -> Result<Portal> {
        config
            .validate()
            .map_err(|e| bc_core::Error::new(bc_core::ErrorKind::Config, e))?;
        let db = db::Db::open(&config.database_url).await?;
        let portal = Portal {
            inner: Arc::new(Inner {
                db,
                config,
                services,
            }),
        };
        portal.seed_roles().await?;
        Ok(portal)
    }

    /// The database.
    pub fn db(&self) -> &db::Db {
        &self.inner.db
    }

    /// The settings.
    pub fn config(&self) -> &PortalConfig {
        &self.inner.config
    }

    /// The storefront.
    pub fn storefront(&self) -> Option<&Arc<dyn Storefront>> {
        self.inner.services.storefront.as_ref()
    }

    /// The ledger.
    pub fn ledger(&self) -> Option<&Arc<dyn Ledger>> {
        self.inner.services.ledger.as_ref()
    }

    /// The ledger's open invoices.
    pub fn open_invoices(&self) -> Option<&Arc<dyn OpenInvoices>> {
        self.inner.services.open_invoices.as_ref()
    }

    /// The payment gateway.
    pub fn gateway(&self) -> Option<&Arc<dyn PaymentGateway>> {
        self.inner.services.gateway.as_ref()
    }

    /// The web app.
    pub fn router(&self) -> axum::Router {
        web::router(self.clone())
    }

    /// Posts pending receipts to the configured ledger (the hook for the engine).
    pub async fn post_receipts(&self) -> Result<ReceiptRun> {
        match self.ledger() {
            Some(l) => ledger::post_receipts(self, l.as_ref()).await,
            None => Err(bc_core::Error::new(
                bc_core::ErrorKind::Config,
                "the portal has no ledger configured",
            )),
        }
    }
}

/// A portal being served.
#[derive(Debug)]
pub struct Served {
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// The address.
    pub addr: SocketAddr,
    /// The server task.
    pub task: tokio::task::JoinHandle<()>,
}

/// Serves the portal on `addr` (port 0 = any) until the task is aborted.
pub async fn serve(portal: &Portal, addr: SocketAddr) -> std::io::Result<Served> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = portal
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "portal server stopped");
        }
    });
    Ok(Served {
        url: format!("http://{addr}"),
        addr,
        task,
    })
}
