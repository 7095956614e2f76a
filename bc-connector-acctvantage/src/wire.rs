//! Typed rows: what the ERP's tables hold, read into types — where an HTTP connector has
//! its typed JSON. Amounts are stored as decimal text and read back exactly ([`dec`]); the
//! sales order header ([`Head`]), its lines and taxes as posting needs them, the item lines
//! with what is still to ship, and the order statuses ([`SalesOrderStatus`]).

use std::fmt;
use std::str::FromStr;

use bc_core::{
    Currency, Decimal, DocumentKind, Error, ErrorKind, ImportId, LedgerDocument, LedgerRef, Result,
};
use chrono::NaiveDate;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::error::{db_err, err};

/// Reads a decimal stored as text.
pub(crate) fn dec(row: &SqliteRow, col: &str) -> Result<Decimal> {
    let text: String = row.try_get(col).map_err(db_err(col))?;
    Decimal::from_str(&text).map_err(|e| {
        err(
            ErrorKind::Internal,
            format!("column `{col}` holds `{text}`, which is not a decimal: {e}"),
        )
    })
}

/// Reads a column.
pub(crate) fn get<'r, T>(row: &'r SqliteRow, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(col).map_err(db_err(col))
}

/// A document line with its GL account resolved.
pub(crate) struct Line {
    pub kind: &'static str,
    pub code: Option<String>,
    pub line_id: Option<String>,
    pub product: Option<Product>,
    pub account: String,
    pub description: String,
    pub sku: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub amount: Decimal,
    pub tax_code: Option<String>,
}

/// A product as posting needs it.
#[derive(Clone)]
pub(crate) struct Product {
    pub id: i64,
    pub sku: String,
    pub tracks: bool,
    pub income: String,
    pub cogs: String,
    pub inventory: String,
    pub unit_cost: Decimal,
}

pub(crate) struct Tax {
    pub area: String,
    /// The tax area's GL account, resolved at import so that an unknown area is refused then.
    #[allow(dead_code)]
    pub account: String,
    pub zone: String,
    pub rate: Decimal,
    pub line: Option<usize>,
    pub taxable: Decimal,
    pub amount: Decimal,
}

/// The header of a stored sales order.
pub(crate) struct Head {
    pub id: i64,
    pub number: String,
    pub kind: DocumentKind,
    pub origin: String,
    pub import_id: Option<String>,
    pub storefront_order: Option<String>,
    pub client_id: i64,
    pub status: SalesOrderStatus,
    pub version: i64,
    pub has_shipments: bool,
    pub currency: Currency,
    pub date: NaiveDate,
    pub warehouse: String,
    pub ship_via: Option<String>,
    pub total: Decimal,
    pub balance_due: Decimal,
}

impl Head {
    pub fn editable(&self) -> bool {
        !self.status.is_posted()
            && self.status != SalesOrderStatus::Cancelled
            && !self.has_shipments
    }

    pub fn at(&self) -> LedgerRef {
        LedgerRef::new(self.id.to_string())
            .with_number(self.number.clone())
            .with_version(self.version.to_string())
    }

    pub fn import_id(&self) -> Option<ImportId> {
        self.import_id.as_deref().and_then(|s| s.parse().ok())
    }

    pub fn document(&self) -> Result<LedgerDocument> {
        let import_id = self.import_id().ok_or_else(|| {
            err(
                ErrorKind::Internal,
                format!("sales order {} has no import id", self.number),
            )
        })?;
        Ok(LedgerDocument {
            at: self.at(),
            kind: self.kind,
            import_id,
            total: self.total,
            currency: self.currency,
            editable: self.editable(),
            status: Some(self.status.to_string()),
        })
    }
}

pub(crate) fn kind_str(k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::Invoice => "invoice",
        DocumentKind::SalesReceipt => "sales_receipt",
        DocumentKind::SalesOrder => "sales_order",
    }
}

fn parse_kind(s: &str) -> DocumentKind {
    match s {
        "invoice" => DocumentKind::Invoice,
        "sales_receipt" => DocumentKind::SalesReceipt,
        _ => DocumentKind::SalesOrder,
    }
}

pub(crate) const HEAD_COLS: &str = "id, number, kind, origin, import_id, storefront_order, client_id, status, version, has_shipments, currency, date, warehouse, ship_via, total, balance_due";

pub(crate) fn head(r: &SqliteRow) -> Result<Head> {
    let status: String = get(r, "status")?;
    let date: String = get(r, "date")?;
    Ok(Head {
        id: get(r, "id")?,
        number: get(r, "number")?,
        kind: parse_kind(&get::<String>(r, "kind")?),
        origin: get(r, "origin")?,
        import_id: get(r, "import_id")?,
        storefront_order: get(r, "storefront_order")?,
        client_id: get(r, "client_id")?,
        status: SalesOrderStatus::from_str(&status)?,
        version: get(r, "version")?,
        has_shipments: get::<i64>(r, "has_shipments")? != 0,
        currency: Currency::new(&get::<String>(r, "currency")?)?,
        date: date
            .parse()
            .map_err(|_| err(ErrorKind::Internal, format!("order date `{date}`")))?,
        warehouse: get(r, "warehouse")?,
        ship_via: get(r, "ship_via")?,
        total: dec(r, "total")?,
        balance_due: dec(r, "balance_due")?,
    })
}

/// An item line as stored, with what is still to ship.
pub(crate) struct StoredItem {
    pub line_no: i64,
    pub line_id: Option<String>,
    pub sku: Option<String>,
    pub product_id: i64,
    pub tracks: bool,
    pub cogs: String,
    pub inventory: String,
    pub unit_cost: Decimal,
    pub quantity: Decimal,
    pub shipped: Decimal,
    pub released: Decimal,
}

impl StoredItem {
    pub fn outstanding(&self) -> Decimal {
        (self.quantity - self.shipped - self.released).max(Decimal::ZERO)
    }
}

pub(crate) fn row_import_id(r: &SqliteRow) -> Option<ImportId> {
    r.try_get::<Option<String>, _>("import_id")
        .ok()
        .flatten()
        .and_then(|s| s.parse().ok())
}

/// The status of a sales order in the ERP.
///
/// The workflow is `Open → Released → Picked → (Partially) Shipped → Posted → Completed`, with
/// `On Hold` and `Cancelled` on the side. `Posted` and `Completed` are *posting* statuses:
/// only the ERP itself reaches them ([`crate::Erp::post`]); the storefront never can (T2).
/// `Partially Shipped` and `Shipped` follow from [`crate::Erp::process_shipment`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SalesOrderStatus {
    /// Entered, editable.
    Open,
    /// Held: cannot be shipped or posted until released.
    OnHold,
    /// Released to the warehouse.
    Released,
    /// Picked in the warehouse.
    Picked,
    /// Some lines shipped.
    PartiallyShipped,
    /// Every line shipped.
    Shipped,
    /// Invoiced: the GL journal is written; no longer editable.
    Posted,
    /// Posted and closed.
    Completed,
    /// Cancelled: committed stock released.
    Cancelled,
}

impl SalesOrderStatus {
    /// Every status, in workflow order.
    pub const ALL: [SalesOrderStatus; 9] = [
        SalesOrderStatus::Open,
        SalesOrderStatus::OnHold,
        SalesOrderStatus::Released,
        SalesOrderStatus::Picked,
        SalesOrderStatus::PartiallyShipped,
        SalesOrderStatus::Shipped,
        SalesOrderStatus::Posted,
        SalesOrderStatus::Completed,
        SalesOrderStatus::Cancelled,
    ];

    /// The name the ERP shows (`"On Hold"`).
    pub fn as_str(self) -> &'static str {
        match self {
            SalesOrderStatus::Open => "Open",
            SalesOrderStatus::OnHold => "On Hold",
            SalesOrderStatus::Released => "Released",
            SalesOrderStatus::Picked => "Picked",
            SalesOrderStatus::PartiallyShipped => "Partially Shipped",
            SalesOrderStatus::Shipped => "Shipped",
            SalesOrderStatus::Posted => "Posted",
            SalesOrderStatus::Completed => "Completed",
            SalesOrderStatus::Cancelled => "Cancelled",
        }
    }

    /// Whether the order has been posted to the GL (`Posted`, `Completed`).
    pub fn is_posted(self) -> bool {
        matches!(self, SalesOrderStatus::Posted | SalesOrderStatus::Completed)
    }
}

impl fmt::Display for SalesOrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SalesOrderStatus {
    type Err = Error;

    /// Case, spaces, `_` and `-` are ignored (`"on hold"`, `"ON_HOLD"`); `"Invoiced"` is
    /// `Posted`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        if key == "invoiced" {
            return Ok(SalesOrderStatus::Posted);
        }
        SalesOrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str().replace(' ', "").to_lowercase() == key)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "`{s}` is not an AcctVantage sales order status (one of: {})",
                        SalesOrderStatus::ALL.map(|s| s.as_str()).join(", ")
                    ),
                )
                .with_platform(crate::PLATFORM)
            })
    }
}
