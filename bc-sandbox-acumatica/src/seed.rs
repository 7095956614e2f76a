//! The instance a sandbox starts with: chart of accounts, payment methods, customer classes,
//! order types, currencies, warehouses, ship vias, taxes and tax zones, the non-stock items
//! charges post through, a stock catalogue with quantities, a few ERP customers and —
//! when asked — ERP-originated sales orders in every qualification state (E1).

use rand::Rng;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::erp::{ErpLine, ErpOrder};
use crate::schema::Kind;
use crate::store::Store;

/// GL accounts: (Account ID, description).
pub const ACCOUNTS: [(&str, &str); 12] = [
    ("10100", "Checking"),
    ("10200", "Card clearing (undeposited funds)"),
    ("10300", "PayPal clearing"),
    ("11000", "Accounts receivable"),
    ("12100", "Inventory"),
    ("23100", "Sales tax payable"),
    ("24000", "Gift card liability"),
    ("24100", "Store credit liability"),
    ("40000", "Sales"),
    ("49000", "Sales discounts"),
    ("50000", "Cost of goods sold"),
    ("61000", "Merchant fees"),
];

/// Stock items: (InventoryID, description, price, on hand in MAIN, on hand in EAST).
pub const STOCK: [(&str, &str, i64, i64, i64); 8] = [
    ("WIDGET-RED", "Red widget", 1999, 120, 30),
    ("WIDGET-BLUE", "Blue widget", 2199, 80, 0),
    ("GADGET-PRO", "Gadget Pro", 14900, 25, 5),
    ("GADGET-MINI", "Gadget Mini", 4900, 60, 12),
    ("CABLE-USB-C", "USB-C cable 1 m", 899, 500, 200),
    ("CASE-LEATHER", "Leather case", 3450, 40, 0),
    ("CHARGER-65W", "65 W charger", 3999, 75, 20),
    ("STAND-ALU", "Aluminium stand", 5900, 18, 3),
];

fn put(store: &mut Store, kind: Kind, body: Value) {
    if let Err(e) = crate::documents::put(store, kind, &body, crate::documents::PutMode::Upsert) {
        tracing::error!(entity = kind.name(), error = ?e, "sandbox seed record refused");
    }
}

/// Fills a fresh store.
pub fn seed(store: &mut Store, seed: u64, erp_orders: usize) {
    store.accounts = ACCOUNTS.iter().map(|a| a.0.to_string()).collect();
    store.customer_classes = ["DEFAULT", "WEB", "RETAIL", "WHOLESALE", "INTERCO"]
        .map(String::from)
        .into();
    store.order_types = ["SO", "WO", "QT", "IN"].map(String::from).into();
    // Currencies: the configured ones (`AcumaticaSandboxConfig::currencies`), set before.
    let base = store.base_currency.clone();
    store.currencies.insert(base);
    for (w, d) in [("MAIN", "Main warehouse"), ("EAST", "East coast warehouse")] {
        put(
            store,
            Kind::Warehouse,
            json!({"WarehouseID": {"value": w}, "Description": {"value": d}, "Active": {"value": true}}),
        );
    }
    // Payment methods and the cash accounts each may deposit to (what a payment names).
    for (id, d, means, cash) in [
        (
            "CARD",
            "Credit card",
            "Credit Card",
            &["10200", "10100"][..],
        ),
        ("CHECK", "Check", "Check", &["10100", "10200"][..]),
        ("CASH", "Cash", "Cash/Check", &["10100", "10200"][..]),
        ("PAYPAL", "PayPal", "Cash/Check", &["10300", "10200"][..]),
        ("WIRE", "Wire transfer", "Cash/Check", &["10100"][..]),
        (
            "GIFTCARD",
            "Gift card / store credit",
            "Cash/Check",
            &["24000", "24100"][..],
        ),
    ] {
        let allowed: Vec<Value> = cash
            .iter()
            .map(|a| {
                let name = ACCOUNTS
                    .iter()
                    .find(|x| x.0 == *a)
                    .map(|x| x.1)
                    .unwrap_or(a);
                json!({"CashAccount": {"value": a}, "Description": {"value": name},
                       "UseInAR": {"value": true}, "UseInAP": {"value": false}})
            })
            .collect();
        put(
            store,
            Kind::PaymentMethod,
            json!({"PaymentMethodID": {"value": id}, "Description": {"value": d},
                   "MeansOfPayment": {"value": means}, "Active": {"value": true},
                   "UseInAR": {"value": true}, "UseInAP": {"value": false},
                   "AllowedCashAccounts": allowed}),
        );
    }
    for (id, d) in [
        ("UPSGROUND", "UPS Ground"),
        ("FEDEX2DAY", "FedEx 2Day"),
        ("USPSPRIORITY", "USPS Priority Mail"),
        ("PICKUP", "Customer pickup"),
        ("FREIGHT", "LTL freight"),
    ] {
        put(
            store,
            Kind::ShipVia,
            json!({"CarrierID": {"value": id}, "Description": {"value": d}, "CalculationMethod": {"value": "Manual"}}),
        );
    }
    for (id, d, rate) in [
        ("NYSTATE", "New York State", "4"),
        ("NYCITY", "New York City", "4.5"),
        ("CASTATE", "California", "7.25"),
        ("TXSTATE", "Texas", "6.25"),
        ("EUVAT", "EU VAT standard", "20"),
    ] {
        put(
            store,
            Kind::Tax,
            json!({"TaxID": {"value": id}, "Description": {"value": d}, "TaxType": {"value": "Sales"}, "CalculateOn": {"value": format!("{rate}% of the taxable amount")}}),
        );
    }
    for (zone, taxes) in [
        ("NY", vec!["NYSTATE", "NYCITY"]),
        ("CA", vec!["CASTATE"]),
        ("TX", vec!["TXSTATE"]),
        ("EU", vec!["EUVAT"]),
        ("EXEMPT", vec![]),
    ] {
        let applicable: Vec<Value> = taxes
            .iter()
            .map(|t| json!({"TaxID": {"value": t}}))
            .collect();
        put(
            store,
            Kind::TaxZone,
            json!({"TaxZoneID": {"value": zone}, "Description": {"value": format!("Tax zone {zone}")}, "ApplicableTaxes": applicable}),
        );
    }
    for (id, d) in [
        ("SHIPPING", "Shipping charged"),
        ("HANDLING", "Handling charged"),
        ("WRAPPING", "Gift wrapping"),
        ("ROUNDING", "Rounding difference"),
        ("MISC", "Miscellaneous charge"),
        ("DISCOUNT", "Discount"),
    ] {
        put(
            store,
            Kind::NonStockItem,
            json!({"InventoryID": {"value": id}, "Description": {"value": d}, "SalesAccount": {"value": "40000"}, "ExpenseAccount": {"value": "50000"}, "DefaultPrice": {"value": 0}}),
        );
    }
    for (id, d, price, main, east) in STOCK {
        add_stock_item(store, id, d, Decimal::new(price, 2), Decimal::from(main));
        store
            .on_hand
            .insert((id.to_string(), "EAST".to_string()), Decimal::from(east));
    }
    for (id, name, class, email) in [
        (
            "ERPC0001",
            "Northwind Traders",
            "WHOLESALE",
            "orders@northwind.example",
        ),
        (
            "ERPC0002",
            "Contoso Retail",
            "RETAIL",
            "buying@contoso.example",
        ),
        (
            "ERPC0003",
            "Fabrikam Web Shop",
            "WEB",
            "shop@fabrikam.example",
        ),
        (
            "ERPC0004",
            "Tailspin Interco",
            "INTERCO",
            "ap@tailspin.example",
        ),
    ] {
        put(
            store,
            Kind::Customer,
            json!({
                "CustomerID": {"value": id}, "CustomerName": {"value": name}, "CustomerClass": {"value": class},
                "Email": {"value": email},
                "MainContact": {"Email": {"value": email}, "Address": {"AddressLine1": {"value": "1 Commerce Way"}, "City": {"value": "Albany"}, "State": {"value": "NY"}, "PostalCode": {"value": "12207"}, "Country": {"value": "US"}}},
            }),
        );
    }
    if erp_orders > 0 {
        seed_erp_orders(store, seed, erp_orders);
    }
}

/// Adds a stock item with `on_hand` in MAIN.
pub fn add_stock_item(
    store: &mut Store,
    id: &str,
    description: &str,
    price: Decimal,
    on_hand: Decimal,
) {
    put(
        store,
        Kind::StockItem,
        json!({
            "InventoryID": {"value": id}, "Description": {"value": description},
            "DefaultPrice": {"value": crate::values::num(price)}, "SalesAccount": {"value": "40000"},
            "COGSAccount": {"value": "50000"}, "InventoryAccount": {"value": "12100"}, "DefaultWarehouseID": {"value": "MAIN"},
        }),
    );
    store
        .on_hand
        .insert((id.to_string(), "MAIN".to_string()), on_hand);
}

/// ERP orders in every state: order types SO/WO/QT, all customer classes, mapped and
/// unmapped ship vias (`PICKUP`, `FREIGHT`), some paid in full by the ERP user, some not.
fn seed_erp_orders(store: &mut Store, seed: u64, n: usize) {
    let mut rng = bc_sandbox::rng::seeded(seed, "acumatica-erp-orders");
    let customers = ["ERPC0001", "ERPC0002", "ERPC0003", "ERPC0004"];
    let types = ["SO", "SO", "WO", "QT"];
    let vias = [
        "UPSGROUND",
        "FEDEX2DAY",
        "USPSPRIORITY",
        "PICKUP",
        "FREIGHT",
    ];
    for i in 0..n {
        let lines = (0..rng.gen_range(1..=3))
            .map(|_| {
                let (id, _, price, _, _) = STOCK[rng.gen_range(0..STOCK.len())];
                ErpLine {
                    inventory_id: id.to_string(),
                    quantity: Decimal::from(rng.gen_range(1..=4)),
                    unit_price: Decimal::new(price, 2),
                }
            })
            .collect();
        let order = ErpOrder {
            order_type: types[rng.gen_range(0..types.len())].to_string(),
            customer_id: customers[rng.gen_range(0..customers.len())].to_string(),
            customer_order: Some(format!("PO-{:05}", 1000 + i)),
            ship_via: Some(vias[rng.gen_range(0..vias.len())].to_string()),
            tax_zone: None,
            hold: false,
            flags: Default::default(),
            lines,
        };
        let paid = rng.gen_bool(0.6);
        match crate::erp::create_order(store, &order) {
            Ok(so) if paid => {
                let (t, nbr) = (
                    crate::values::text(&so, "OrderType").unwrap_or_default(),
                    crate::values::text(&so, "OrderNbr").unwrap_or_default(),
                );
                if let Err(e) = crate::erp::record_payment(store, &t, &nbr, None, None) {
                    tracing::error!(error = ?e, "sandbox seed payment refused");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, "sandbox seed order refused"),
        }
    }
}
