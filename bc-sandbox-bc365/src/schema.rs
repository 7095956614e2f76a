//! The entity sets the sandbox serves: their fields (from `$metadata`, with `MaxLength`),
//! which fields a client may write, and their child collections.
//!
//! Source: `shared/api/bc365/api-v2.0-metadata.edmx.xml` (generated into `schema_gen.rs`)
//! and the v2.0 resource pages in `shared/api/bc365/v2.0-resources/`.

use crate::schema_gen as g;

/// The EDM type of a field, as far as the sandbox checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `Edm.Guid`.
    Guid,
    /// `Edm.String` (with `MaxLength` when the metadata gives one).
    Str,
    /// `Edm.Decimal`.
    Dec,
    /// `Edm.Date` (`yyyy-MM-dd`).
    Date,
    /// `Edm.DateTimeOffset`.
    DateTime,
    /// `Edm.Boolean`.
    Bool,
    /// `Edm.Int32`/`Edm.Int64`.
    Int,
    /// A `Microsoft.NAV.*` enum, written as its member name (`G_x002F_L_x0020_Account`).
    Enum,
}

/// One property of an entity type.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Property name.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// `MaxLength` from `$metadata`.
    pub max: Option<usize>,
}

/// An entity set.
#[derive(Clone, Copy, Debug)]
pub struct EntitySet {
    /// Entity set name in URLs (`salesInvoices`).
    pub name: &'static str,
    /// Entity type name (`salesInvoice`), as in error messages.
    pub type_name: &'static str,
    /// Its properties.
    pub fields: &'static [Field],
    /// Properties the API computes: writing them is refused (BC: "… is read-only").
    pub read_only: &'static [&'static str],
    /// Child collection (navigation property = entity set of the lines), if any.
    pub lines: Option<&'static str>,
    /// Whether clients may create / change / delete rows (setup tables are read-only here).
    pub writable: bool,
}

const DOC_RO: &[&str] = &[
    "id",
    "number",
    "customerName",
    "status",
    "lastModifiedDateTime",
    "totalAmountExcludingTax",
    "totalTaxAmount",
    "totalAmountIncludingTax",
    "remainingAmount",
    "discountAppliedBeforeTax",
    "currencyId",
    "fullyShipped",
    "orderId",
    "orderNumber",
    "invoiceNumber",
];
const LINE_RO: &[&str] = &[
    "id",
    "documentId",
    "sequence",
    "amountExcludingTax",
    "totalTaxAmount",
    "amountIncludingTax",
    "taxPercent",
    "netAmount",
    "netTaxAmount",
    "netAmountIncludingTax",
    "invoiceDiscountAllocation",
    "discountAppliedBeforeTax",
    "shippedQuantity",
    "invoicedQuantity",
];
const BASIC_RO: &[&str] = &["id", "lastModifiedDateTime"];

/// Every entity set of `api/v2.0` the sandbox serves.
pub const SETS: &[EntitySet] = &[
    EntitySet {
        name: "customers",
        type_name: "customer",
        fields: g::CUSTOMER,
        read_only: &[
            "id",
            "lastModifiedDateTime",
            "balanceDue",
            "taxAreaDisplayName",
            "currencyId",
        ],
        lines: None,
        writable: true,
    },
    EntitySet {
        name: "items",
        type_name: "item",
        fields: g::ITEM,
        read_only: &["id", "lastModifiedDateTime", "inventory"],
        lines: None,
        writable: true,
    },
    EntitySet {
        name: "salesOrders",
        type_name: "salesOrder",
        fields: g::SALESORDER,
        read_only: DOC_RO,
        lines: Some("salesOrderLines"),
        writable: true,
    },
    EntitySet {
        name: "salesOrderLines",
        type_name: "salesOrderLine",
        fields: g::SALESORDERLINE,
        read_only: LINE_RO,
        lines: None,
        writable: true,
    },
    EntitySet {
        name: "salesInvoices",
        type_name: "salesInvoice",
        fields: g::SALESINVOICE,
        read_only: DOC_RO,
        lines: Some("salesInvoiceLines"),
        writable: true,
    },
    EntitySet {
        name: "salesInvoiceLines",
        type_name: "salesInvoiceLine",
        fields: g::SALESINVOICELINE,
        read_only: LINE_RO,
        lines: None,
        writable: true,
    },
    EntitySet {
        name: "salesCreditMemos",
        type_name: "salesCreditMemo",
        fields: g::SALESCREDITMEMO,
        read_only: DOC_RO,
        lines: Some("salesCreditMemoLines"),
        writable: true,
    },
    EntitySet {
        name: "salesCreditMemoLines",
        type_name: "salesCreditMemoLine",
        fields: g::SALESCREDITMEMOLINE,
        read_only: LINE_RO,
        lines: None,
        writable: true,
    },
    EntitySet {
        name: "customerPaymentJournals",
        type_name: "customerPaymentJournal",
        fields: g::CUSTOMERPAYMENTJOURNAL,
        read_only: BASIC_RO,
        lines: Some("customerPayments"),
        writable: false,
    },
    EntitySet {
        name: "customerPayments",
        type_name: "customerPayment",
        fields: g::CUSTOMERPAYMENT,
        read_only: &[
            "id",
            "journalId",
            "lineNumber",
            "lastModifiedDateTime",
            "journalDisplayName",
        ],
        lines: None,
        writable: true,
    },
    EntitySet {
        name: "journals",
        type_name: "journal",
        fields: g::JOURNAL,
        read_only: BASIC_RO,
        lines: Some("journalLines"),
        writable: false,
    },
    EntitySet {
        name: "journalLines",
        type_name: "journalLine",
        fields: g::JOURNALLINE,
        read_only: &[
            "id",
            "journalId",
            "lineNumber",
            "lastModifiedDateTime",
            "journalDisplayName",
        ],
        lines: None,
        writable: true,
    },
    EntitySet {
        name: "taxAreas",
        type_name: "taxArea",
        fields: g::TAXAREA,
        read_only: BASIC_RO,
        lines: None,
        writable: false,
    },
    EntitySet {
        name: "taxGroups",
        type_name: "taxGroup",
        fields: g::TAXGROUP,
        read_only: BASIC_RO,
        lines: None,
        writable: false,
    },
    EntitySet {
        name: "currencies",
        type_name: "currency",
        fields: g::CURRENCY,
        read_only: BASIC_RO,
        lines: None,
        writable: false,
    },
    EntitySet {
        name: "currencyExchangeRates",
        type_name: "currencyExchangeRate",
        fields: g::CURRENCYEXCHANGERATE,
        read_only: BASIC_RO,
        lines: None,
        writable: false,
    },
    EntitySet {
        name: "shipmentMethods",
        type_name: "shipmentMethod",
        fields: g::SHIPMENTMETHOD,
        read_only: BASIC_RO,
        lines: None,
        writable: false,
    },
    EntitySet {
        name: "paymentMethods",
        type_name: "paymentMethod",
        fields: g::PAYMENTMETHOD,
        read_only: BASIC_RO,
        lines: None,
        writable: false,
    },
    EntitySet {
        name: "locations",
        type_name: "location",
        fields: g::LOCATION,
        read_only: BASIC_RO,
        lines: None,
        writable: false,
    },
    EntitySet {
        name: "salesShipments",
        type_name: "salesShipment",
        fields: g::SALESSHIPMENT,
        read_only: &[],
        lines: Some("salesShipmentLines"),
        writable: false,
    },
    EntitySet {
        name: "salesShipmentLines",
        type_name: "salesShipmentLine",
        fields: g::SALESSHIPMENTLINE,
        read_only: &[],
        lines: None,
        writable: false,
    },
    EntitySet {
        name: "accounts",
        type_name: "account",
        fields: g::ACCOUNT,
        read_only: BASIC_RO,
        lines: None,
        writable: false,
    },
    EntitySet {
        name: "generalLedgerEntries",
        type_name: "generalLedgerEntry",
        fields: g::GENERALLEDGERENTRY,
        read_only: &[],
        lines: None,
        writable: false,
    },
];

/// The custom API pages of the modelled bcsync extension
/// (`/api/bcsync/integration/v1.0/companies({id})/…`). API v2.0 `salesShipments` has no
/// package tracking number and `items` has no availability per location; a BC extension
/// publishes both as API pages (`APIPublisher = 'bcsync'`, `APIGroup = 'integration'`,
/// `APIVersion = 'v1.0'`) over table 110 `Sales Shipment Header` ("Package Tracking No."
/// Text[50], "Shipping Agent Code" Code[10], "Shipping Agent Service Code" Code[10]) and
/// table 27 `Item` with a location filter, the way Microsoft's Shopify connector reads
/// `"Package Tracking No."` from the posted shipment (BCApps `src/Apps/W1/Shopify`).
pub const CUSTOM_SETS: &[EntitySet] = &[
    EntitySet {
        name: "salesShipmentTracking",
        type_name: "salesShipmentTracking",
        fields: &[
            Field {
                name: "id",
                ty: Ty::Guid,
                max: None,
            },
            Field {
                name: "number",
                ty: Ty::Str,
                max: Some(20),
            },
            Field {
                name: "externalDocumentNumber",
                ty: Ty::Str,
                max: Some(35),
            },
            Field {
                name: "orderNumber",
                ty: Ty::Str,
                max: Some(20),
            },
            Field {
                name: "packageTrackingNo",
                ty: Ty::Str,
                max: Some(50),
            },
            Field {
                name: "shippingAgentCode",
                ty: Ty::Str,
                max: Some(10),
            },
            Field {
                name: "shippingAgentServiceCode",
                ty: Ty::Str,
                max: Some(10),
            },
            Field {
                name: "shipmentDate",
                ty: Ty::Date,
                max: None,
            },
            Field {
                name: "lastModifiedDateTime",
                ty: Ty::DateTime,
                max: None,
            },
        ],
        read_only: &[],
        lines: None,
        writable: false,
    },
    EntitySet {
        name: "itemAvailabilities",
        type_name: "itemAvailability",
        fields: &[
            Field {
                name: "id",
                ty: Ty::Guid,
                max: None,
            },
            Field {
                name: "itemNumber",
                ty: Ty::Str,
                max: Some(20),
            },
            Field {
                name: "locationCode",
                ty: Ty::Str,
                max: Some(10),
            },
            Field {
                name: "inventory",
                ty: Ty::Dec,
                max: None,
            },
            Field {
                name: "lastModifiedDateTime",
                ty: Ty::DateTime,
                max: None,
            },
        ],
        read_only: &[],
        lines: None,
        writable: false,
    },
];

/// The standard entity set `name`.
pub fn set(name: &str) -> Option<&'static EntitySet> {
    SETS.iter().find(|s| s.name == name)
}

/// The custom entity set `name`.
pub fn custom_set(name: &str) -> Option<&'static EntitySet> {
    CUSTOM_SETS.iter().find(|s| s.name == name)
}

impl EntitySet {
    /// The field `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}
