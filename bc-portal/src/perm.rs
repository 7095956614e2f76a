//! Permissions and the built-in roles (B2): Sales, Finance, Admin; an Admin changes what each
//! role may do, and every check is made on the server for every request.

use std::collections::BTreeSet;

/// One thing a seller may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// See the order dashboard, sync orders.
    OrdersView,
    /// See invoices, export them.
    InvoicesView,
    /// Create invoices from orders, import the ledger's open invoices.
    InvoicesCreate,
    /// Edit invoices.
    InvoicesEdit,
    /// Delete invoices.
    InvoicesDelete,
    /// See payments.
    PaymentsView,
    /// Record manual (offline) payments; post receipts to the ledger.
    PaymentsManual,
    /// Add and remove users.
    UsersManage,
    /// Change the permissions of roles.
    RolesManage,
    /// Change settings; read the audit log.
    SettingsManage,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 10] = [
        Permission::OrdersView,
        Permission::InvoicesView,
        Permission::InvoicesCreate,
        Permission::InvoicesEdit,
        Permission::InvoicesDelete,
        Permission::PaymentsView,
        Permission::PaymentsManual,
        Permission::UsersManage,
        Permission::RolesManage,
        Permission::SettingsManage,
    ];

    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::OrdersView => "orders.view",
            Permission::InvoicesView => "invoices.view",
            Permission::InvoicesCreate => "invoices.create",
            Permission::InvoicesEdit => "invoices.edit",
            Permission::InvoicesDelete => "invoices.delete",
            Permission::PaymentsView => "payments.view",
            Permission::PaymentsManual => "payments.manual",
            Permission::UsersManage => "users.manage",
            Permission::RolesManage => "roles.manage",
            Permission::SettingsManage => "settings.manage",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The built-in roles.
pub const ROLES: [&str; 3] = ["sales", "finance", "admin"];

/// The default permissions of a built-in role (seed `004`: Sales view/edit/delete invoices;
/// Finance + manual payments; Admin + users, roles and settings).
pub fn default_permissions(role: &str) -> BTreeSet<Permission> {
    use Permission::*;
    let sales = [
        OrdersView,
        InvoicesView,
        InvoicesCreate,
        InvoicesEdit,
        InvoicesDelete,
    ];
    let mut set: BTreeSet<Permission> = BTreeSet::new();
    match role {
        "sales" => set.extend(sales),
        "finance" => {
            set.extend(sales);
            set.extend([PaymentsView, PaymentsManual]);
        }
        "admin" => set.extend(Permission::ALL),
        _ => {}
    }
    set
}
