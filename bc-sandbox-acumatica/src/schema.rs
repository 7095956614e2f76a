//! The entities of the Default endpoint 24.200.001 the sandbox serves: their key fields (PUT
//! upserts by them, `GET /{Entity}/{key1}/{key2}` reads by them), detail collections and
//! linked entities (returned only when named in `$expand`), and the fields `$filter` accepts.
//!
//! Names come from `shared/api/acumatica/Default_24.200.001.openapi.json` (components/schemas).
//! Acumatica evaluates `$filter` on any field of the top-level entity that maps to a DAC field;
//! the sandbox accepts only the fields listed here and refuses the rest with 400 — stricter
//! than the platform, so a connector cannot come to rely on a filter the sandbox never checked.

/// One entity of the endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `Customer` (AR303000).
    Customer,
    /// `StockItem` (IN202500).
    StockItem,
    /// `NonStockItem` (IN202000).
    NonStockItem,
    /// `SalesOrder` (SO301000).
    SalesOrder,
    /// `Shipment` (SO302000).
    Shipment,
    /// `SalesInvoice` (SO303000): invoices and credit memos (`Type`).
    SalesInvoice,
    /// `Payment` (AR302000).
    Payment,
    /// `JournalTransaction` (GL301000).
    JournalTransaction,
    /// `TaxZone` (TX206000).
    TaxZone,
    /// `Tax` (TX205000).
    Tax,
    /// `ShipVia` (CS207500).
    ShipVia,
    /// `PaymentMethod` (CA204000), with its `AllowedCashAccounts`.
    PaymentMethod,
    /// `Warehouse` (IN204000).
    Warehouse,
    /// `InventorySummaryInquiry` (IN401000): an inquiry, read with PUT.
    InventorySummaryInquiry,
}

impl Kind {
    /// Every entity.
    pub const ALL: [Kind; 14] = [
        Kind::Customer,
        Kind::StockItem,
        Kind::NonStockItem,
        Kind::SalesOrder,
        Kind::Shipment,
        Kind::SalesInvoice,
        Kind::Payment,
        Kind::JournalTransaction,
        Kind::TaxZone,
        Kind::Tax,
        Kind::ShipVia,
        Kind::PaymentMethod,
        Kind::Warehouse,
        Kind::InventorySummaryInquiry,
    ];

    /// The entity name in URLs.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Customer => "Customer",
            Kind::StockItem => "StockItem",
            Kind::NonStockItem => "NonStockItem",
            Kind::SalesOrder => "SalesOrder",
            Kind::Shipment => "Shipment",
            Kind::SalesInvoice => "SalesInvoice",
            Kind::Payment => "Payment",
            Kind::JournalTransaction => "JournalTransaction",
            Kind::TaxZone => "TaxZone",
            Kind::Tax => "Tax",
            Kind::ShipVia => "ShipVia",
            Kind::PaymentMethod => "PaymentMethod",
            Kind::Warehouse => "Warehouse",
            Kind::InventorySummaryInquiry => "InventorySummaryInquiry",
        }
    }

    /// The entity named in a URL (case-sensitive, as the endpoint's routes are).
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Key fields, in URL order.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Customer => &["CustomerID"],
            Kind::StockItem | Kind::NonStockItem => &["InventoryID"],
            Kind::SalesOrder => &["OrderType", "OrderNbr"],
            Kind::Shipment => &["ShipmentNbr"],
            Kind::SalesInvoice | Kind::Payment => &["Type", "ReferenceNbr"],
            Kind::JournalTransaction => &["Module", "BatchNbr"],
            Kind::TaxZone => &["TaxZoneID"],
            Kind::Tax => &["TaxID"],
            Kind::ShipVia => &["CarrierID"],
            Kind::PaymentMethod => &["PaymentMethodID"],
            Kind::Warehouse => &["WarehouseID"],
            Kind::InventorySummaryInquiry => &[],
        }
    }

    /// Detail collections and linked entities: omitted from answers unless in `$expand`.
    pub fn expandable(self) -> &'static [&'static str] {
        match self {
            Kind::Customer => &["MainContact", "BillingContact", "ShippingContact"],
            Kind::StockItem => &["WarehouseDetails"],
            Kind::NonStockItem => &[],
            Kind::SalesOrder => &[
                "Details",
                "Shipments",
                "Payments",
                "TaxDetails",
                "Totals",
                "BillToAddress",
                "BillToContact",
                "ShipToAddress",
                "ShipToContact",
                "FinancialSettings",
            ],
            Kind::Shipment => &["Details", "Packages", "Orders"],
            Kind::SalesInvoice => &[
                "Details",
                "TaxDetails",
                "ApplicationsCreditMemo",
                "ApplicationsInvoice",
                "FinancialDetails",
                "BillToAddress",
            ],
            Kind::Payment => &["DocumentsToApply", "OrdersToApply", "ApplicationHistory"],
            Kind::JournalTransaction => &["Details"],
            Kind::TaxZone => &["ApplicableTaxes"],
            Kind::Tax => &[],
            Kind::ShipVia => &[],
            Kind::PaymentMethod => &["AllowedCashAccounts", "ProcessingCenters"],
            Kind::Warehouse => &[],
            Kind::InventorySummaryInquiry => &["Results"],
        }
    }

    /// Fields `$filter` may name.
    pub fn filterable(self) -> &'static [&'static str] {
        match self {
            Kind::Customer => &[
                "CustomerID",
                "CustomerName",
                "Email",
                "AccountRef",
                "CustomerClass",
                "Status",
                "LastModifiedDateTime",
            ],
            Kind::StockItem | Kind::NonStockItem => &[
                "InventoryID",
                "Description",
                "ItemStatus",
                "ItemClass",
                "LastModifiedDateTime",
            ],
            Kind::SalesOrder => &[
                "OrderType",
                "OrderNbr",
                "CustomerID",
                "CustomerOrder",
                "ExternalRef",
                "Status",
                "ShipVia",
                "Hold",
                "LastModified",
                "Date",
            ],
            Kind::Shipment => &[
                "ShipmentNbr",
                "CustomerID",
                "Status",
                "Type",
                "LastModifiedDateTime",
            ],
            Kind::SalesInvoice => &[
                "Type",
                "ReferenceNbr",
                "CustomerID",
                "CustomerOrder",
                "ExternalRef",
                "Status",
                "LastModifiedDateTime",
            ],
            Kind::Payment => &[
                "Type",
                "ReferenceNbr",
                "CustomerID",
                "PaymentRef",
                "ExternalRef",
                "Status",
                "LastModifiedDateTime",
            ],
            Kind::JournalTransaction => &[
                "Module",
                "BatchNbr",
                "Description",
                "Status",
                "LastModifiedDateTime",
            ],
            Kind::TaxZone => &["TaxZoneID"],
            Kind::Tax => &["TaxID"],
            Kind::ShipVia => &["CarrierID"],
            Kind::PaymentMethod => &["PaymentMethodID", "Active", "UseInAR"],
            Kind::Warehouse => &["WarehouseID", "Active"],
            Kind::InventorySummaryInquiry => &[],
        }
    }

    /// The field that holds the time of the last change.
    pub fn modified_field(self) -> &'static str {
        match self {
            Kind::SalesOrder => "LastModified",
            _ => "LastModifiedDateTime",
        }
    }

    /// Actions the sandbox runs for this entity (`POST /{Entity}/{Action}`).
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            Kind::SalesOrder => &["SalesOrderCreateShipment", "PrepareSalesInvoice"],
            Kind::Shipment => &["ConfirmShipment", "PrepareInvoice"],
            Kind::SalesInvoice => &["ReleaseSalesInvoice"],
            Kind::Payment => &["ReleasePayment"],
            Kind::JournalTransaction => &["ReleaseJournalTransaction"],
            _ => &[],
        }
    }
}
