//! The ERP's tables, applied at open, and the chart of accounts it starts with.
//!
//! Amounts are `TEXT` holding a `rust_decimal::Decimal` exactly as it arrived (never `REAL`);
//! dates are ISO 8601 `TEXT`. Every table that feeds a change feed carries a `seq` taken from
//! one monotonic counter, which is what the [`bc_core::Cursor`]s of this ledger hold.

/// Codes of the GL accounts the ERP seeds in a new database. Use them in the sync settings
/// (`posting.*_gl`, `payment_map.*.deposit_account`, `payouts.*`), or add your own with
/// [`crate::Erp::add_account`].
pub mod accounts {
    /// Checking (the bank account): where payouts are deposited.
    pub const BANK: &str = "1000";
    /// Undeposited Funds (payment clearing): receipts wait here for the payout.
    pub const CLEARING: &str = "1050";
    /// Accounts receivable.
    pub const AR: &str = "1100";
    /// Inventory asset.
    pub const INVENTORY: &str = "1200";
    /// Sales tax payable (default account of tax areas).
    pub const SALES_TAX_PAYABLE: &str = "2100";
    /// Gift card (gift certificate) liability.
    pub const GIFT_CARD_LIABILITY: &str = "2300";
    /// Store credit liability.
    pub const STORE_CREDIT_LIABILITY: &str = "2310";
    /// Opening balance equity.
    pub const EQUITY: &str = "3000";
    /// Sales revenue (product class `GOODS`).
    pub const SALES: &str = "4000";
    /// Shipping income (product class `SHIPPING`).
    pub const SHIPPING_INCOME: &str = "4100";
    /// Handling income.
    pub const HANDLING_INCOME: &str = "4110";
    /// Gift wrapping income.
    pub const WRAPPING_INCOME: &str = "4120";
    /// Discounts (contra revenue): the default discount GL code.
    pub const DISCOUNTS: &str = "4900";
    /// Cost of goods sold.
    pub const COGS: &str = "5000";
    /// Merchant / processor fees.
    pub const FEES: &str = "6100";
    /// Payout adjustments.
    pub const ADJUSTMENTS: &str = "6200";
    /// Rounding differences.
    pub const ROUNDING: &str = "6990";
}

/// The product class products get when none is named.
pub const DEFAULT_PRODUCT_CLASS: &str = "GOODS";
/// The product class of ship vias when none is named.
pub const SHIPPING_PRODUCT_CLASS: &str = "SHIPPING";
/// The warehouse every new database has.
pub const DEFAULT_WAREHOUSE: &str = "MAIN";

pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters(name, value) VALUES
    ('seq', 0), ('SO', 0), ('CM', 0), ('JE', 0), ('SH', 0), ('RC', 0), ('C', 0);

CREATE TABLE IF NOT EXISTS accounts (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS accounts_name ON accounts(name COLLATE NOCASE);

CREATE TABLE IF NOT EXISTS product_classes (
    code              TEXT PRIMARY KEY,
    income_account    TEXT NOT NULL REFERENCES accounts(code),
    cogs_account      TEXT NOT NULL REFERENCES accounts(code),
    inventory_account TEXT NOT NULL REFERENCES accounts(code)
);

CREATE TABLE IF NOT EXISTS products (
    id               INTEGER PRIMARY KEY,
    sku              TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL UNIQUE,
    product_class    TEXT NOT NULL REFERENCES product_classes(code),
    tracks_inventory INTEGER NOT NULL,
    unit_price       TEXT NOT NULL,
    unit_cost        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS warehouses (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS stock (
    product_id INTEGER NOT NULL REFERENCES products(id),
    warehouse  TEXT NOT NULL REFERENCES warehouses(code),
    on_hand    TEXT NOT NULL,
    committed  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (product_id, warehouse)
);
CREATE INDEX IF NOT EXISTS stock_feed ON stock(warehouse, seq);

CREATE TABLE IF NOT EXISTS ship_vias (
    code          TEXT PRIMARY KEY,
    product_class TEXT NOT NULL REFERENCES product_classes(code),
    carrier       TEXT
);

CREATE TABLE IF NOT EXISTS tax_areas (
    code       TEXT PRIMARY KEY,
    gl_account TEXT NOT NULL REFERENCES accounts(code)
);

CREATE TABLE IF NOT EXISTS receipt_types (
    code       TEXT PRIMARY KEY,
    gl_account TEXT NOT NULL REFERENCES accounts(code)
);

CREATE TABLE IF NOT EXISTS clients (
    id                  INTEGER PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL UNIQUE,
    company             TEXT,
    email               TEXT,
    email_lower         TEXT,
    phone               TEXT,
    import_id           TEXT,
    storefront_customer TEXT,
    currency            TEXT,
    billing             TEXT,
    shipping            TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS clients_import_id ON clients(import_id) WHERE import_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS clients_email ON clients(email_lower);

CREATE TABLE IF NOT EXISTS contacts (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients(id),
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    email       TEXT,
    email_lower TEXT,
    phone       TEXT
);
CREATE INDEX IF NOT EXISTS contacts_email ON contacts(email_lower);

CREATE TABLE IF NOT EXISTS journals (
    id         INTEGER PRIMARY KEY,
    key        TEXT UNIQUE,
    number     TEXT NOT NULL UNIQUE,
    source     TEXT NOT NULL,
    source_id  INTEGER,
    date       TEXT NOT NULL,
    currency   TEXT NOT NULL,
    memo       TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journals_source ON journals(source, source_id);

CREATE TABLE IF NOT EXISTS journal_lines (
    journal_id  INTEGER NOT NULL REFERENCES journals(id),
    line_no     INTEGER NOT NULL,
    account     TEXT NOT NULL REFERENCES accounts(code),
    debit       TEXT NOT NULL,
    credit      TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (journal_id, line_no)
);
CREATE INDEX IF NOT EXISTS journal_lines_account ON journal_lines(account);

CREATE TABLE IF NOT EXISTS sales_orders (
    id                INTEGER PRIMARY KEY,
    number            TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL,
    origin            TEXT NOT NULL,
    import_id         TEXT UNIQUE,
    storefront_order  TEXT,
    client_id         INTEGER NOT NULL REFERENCES clients(id),
    status            TEXT NOT NULL,
    status_seq        INTEGER NOT NULL,
    status_changed_at TEXT NOT NULL,
    seq               INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    has_shipments     INTEGER NOT NULL DEFAULT 0,
    currency          TEXT NOT NULL,
    exchange_rate     TEXT NOT NULL,
    date              TEXT NOT NULL,
    due_date          TEXT,
    warehouse         TEXT NOT NULL REFERENCES warehouses(code),
    ship_via          TEXT REFERENCES ship_vias(code),
    total             TEXT NOT NULL,
    balance_due       TEXT NOT NULL,
    customer_memo     TEXT,
    notes             TEXT,
    class             TEXT,
    location          TEXT,
    billing           TEXT,
    shipping          TEXT,
    journal_id        INTEGER REFERENCES journals(id),
    created_at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sales_orders_status_feed ON sales_orders(status_seq);
CREATE INDEX IF NOT EXISTS sales_orders_erp_feed ON sales_orders(origin, seq);

CREATE TABLE IF NOT EXISTS sales_lines (
    order_id     INTEGER NOT NULL REFERENCES sales_orders(id),
    line_no      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    code         TEXT,
    line_id      TEXT,
    product_id   INTEGER REFERENCES products(id),
    account      TEXT NOT NULL REFERENCES accounts(code),
    description  TEXT NOT NULL,
    sku          TEXT,
    quantity     TEXT NOT NULL,
    unit_price   TEXT NOT NULL,
    amount       TEXT NOT NULL,
    tax_code     TEXT,
    qty_shipped  TEXT NOT NULL,
    qty_released TEXT NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE IF NOT EXISTS sales_taxes (
    order_id       INTEGER NOT NULL REFERENCES sales_orders(id),
    idx            INTEGER NOT NULL,
    tax_area       TEXT NOT NULL REFERENCES tax_areas(code),
    zone           TEXT NOT NULL,
    rate           TEXT NOT NULL,
    line_no        INTEGER,
    taxable_amount TEXT NOT NULL,
    amount         TEXT NOT NULL,
    PRIMARY KEY (order_id, idx)
);

CREATE TABLE IF NOT EXISTS receipts (
    id              INTEGER PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    order_id        INTEGER NOT NULL REFERENCES sales_orders(id),
    sequence        INTEGER NOT NULL,
    client_id       INTEGER NOT NULL REFERENCES clients(id),
    receipt_type    TEXT NOT NULL REFERENCES receipt_types(code),
    deposit_account TEXT NOT NULL REFERENCES accounts(code),
    amount          TEXT NOT NULL,
    currency        TEXT NOT NULL,
    state           TEXT NOT NULL,
    date            TEXT NOT NULL,
    reference       TEXT,
    journal_id      INTEGER REFERENCES journals(id),
    UNIQUE (order_id, sequence)
);

CREATE TABLE IF NOT EXISTS shipments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    number       TEXT NOT NULL UNIQUE,
    order_id     INTEGER NOT NULL REFERENCES sales_orders(id),
    tracking     TEXT,
    carrier      TEXT,
    ship_via     TEXT,
    comments     TEXT,
    shipped_at   TEXT NOT NULL,
    journal_id   INTEGER REFERENCES journals(id)
);

CREATE TABLE IF NOT EXISTS shipment_lines (
    shipment_id INTEGER NOT NULL REFERENCES shipments(id),
    line_no     INTEGER NOT NULL,
    order_line  INTEGER NOT NULL,
    line_id     TEXT,
    sku         TEXT,
    quantity    TEXT NOT NULL,
    PRIMARY KEY (shipment_id, line_no)
);

CREATE TABLE IF NOT EXISTS credit_memos (
    id         INTEGER PRIMARY KEY,
    number     TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    import_id  TEXT NOT NULL,
    refund_id  TEXT NOT NULL,
    order_id   INTEGER NOT NULL REFERENCES sales_orders(id),
    client_id  INTEGER NOT NULL REFERENCES clients(id),
    total      TEXT NOT NULL,
    tax        TEXT NOT NULL,
    currency   TEXT NOT NULL,
    date       TEXT NOT NULL,
    memo       TEXT,
    warehouse  TEXT,
    journal_id INTEGER REFERENCES journals(id),
    UNIQUE (import_id, refund_id)
);

CREATE TABLE IF NOT EXISTS credit_lines (
    memo_id     INTEGER NOT NULL REFERENCES credit_memos(id),
    line_no     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    product_id  INTEGER REFERENCES products(id),
    account     TEXT NOT NULL REFERENCES accounts(code),
    description TEXT NOT NULL,
    sku         TEXT,
    quantity    TEXT NOT NULL,
    unit_price  TEXT NOT NULL,
    amount      TEXT NOT NULL,
    tax_code    TEXT,
    restock     INTEGER NOT NULL,
    PRIMARY KEY (memo_id, line_no)
);
"#;

/// The seed data: chart of accounts, product classes, the main warehouse, receipt types.
pub(crate) const SEED: &str = r#"
INSERT OR IGNORE INTO accounts(code, name, kind) VALUES
    ('1000', 'Checking', 'asset'),
    ('1050', 'Undeposited Funds', 'asset'),
    ('1100', 'Accounts receivable', 'asset'),
    ('1200', 'Inventory', 'asset'),
    ('2100', 'Sales tax payable', 'liability'),
    ('2300', 'Gift card liability', 'liability'),
    ('2310', 'Store credit liability', 'liability'),
    ('3000', 'Opening balance equity', 'equity'),
    ('4000', 'Sales', 'income'),
    ('4100', 'Shipping income', 'income'),
    ('4110', 'Handling income', 'income'),
    ('4120', 'Gift wrapping income', 'income'),
    ('4900', 'Discounts', 'income'),
    ('5000', 'Cost of goods sold', 'expense'),
    ('6100', 'Merchant fees', 'expense'),
    ('6200', 'Payout adjustments', 'expense'),
    ('6990', 'Rounding differences', 'expense');
INSERT OR IGNORE INTO product_classes(code, income_account, cogs_account, inventory_account) VALUES
    ('GOODS', '4000', '5000', '1200'),
    ('SHIPPING', '4100', '5000', '1200');
INSERT OR IGNORE INTO warehouses(code, name) VALUES ('MAIN', 'Main warehouse');
INSERT OR IGNORE INTO receipt_types(code, gl_account) VALUES
    ('CREDIT CARD', '1050'),
    ('PAYPAL', '1050'),
    ('CHECK', '1050'),
    ('CASH', '1000');
"#;
