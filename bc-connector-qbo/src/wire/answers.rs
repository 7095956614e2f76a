//! What QBO answers: faults, query responses, envelopes, batch answers, and the [`Entity`]
//! sent in a write.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::*;

/// One error of a `Fault`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultError {
    /// Short message.
    #[serde(rename = "Message", default)]
    pub message: String,
    /// Detail.
    #[serde(rename = "Detail", default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The QBO error code (`"6240"`).
    #[serde(default)]
    pub code: String,
    /// The element at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
}

/// `Fault`: `{"Error": [...], "type": "ValidationFault"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The errors.
    #[serde(rename = "Error", default)]
    pub errors: Vec<FaultError>,
    /// `ValidationFault`, `SystemFault`, `AuthenticationFault`, `AuthorizationFault`,
    /// `ServiceFault`, `ThrottleExceeded`…
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub fault_type: Option<String>,
}

/// The body of a non-JSON-envelope error: `{"fault": {"error": [...], "type": ...}}` — the
/// lowercase shape QBO's gateway uses for 401 and throttling.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayFault {
    /// The errors.
    #[serde(rename = "error", default)]
    pub errors: Vec<GatewayError>,
    /// Fault type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub fault_type: Option<String>,
}

/// One error of a [`GatewayFault`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayError {
    /// Message.
    #[serde(default)]
    pub message: String,
    /// Detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Code.
    #[serde(default)]
    pub code: String,
}

/// `QueryResponse`: one list per entity queried, and paging.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryResponse {
    /// Customers.
    #[serde(rename = "Customer", default)]
    pub customer: Vec<Customer>,
    /// Items.
    #[serde(rename = "Item", default)]
    pub item: Vec<Item>,
    /// Invoices.
    #[serde(rename = "Invoice", default)]
    pub invoice: Vec<SalesForm>,
    /// Sales receipts.
    #[serde(rename = "SalesReceipt", default)]
    pub sales_receipt: Vec<SalesForm>,
    /// Credit memos.
    #[serde(rename = "CreditMemo", default)]
    pub credit_memo: Vec<SalesForm>,
    /// Refund receipts.
    #[serde(rename = "RefundReceipt", default)]
    pub refund_receipt: Vec<SalesForm>,
    /// Payments.
    #[serde(rename = "Payment", default)]
    pub payment: Vec<Payment>,
    /// Journal entries.
    #[serde(rename = "JournalEntry", default)]
    pub journal_entry: Vec<JournalEntry>,
    /// Deposits.
    #[serde(rename = "Deposit", default)]
    pub deposit: Vec<Deposit>,
    /// Tax codes.
    #[serde(rename = "TaxCode", default)]
    pub tax_code: Vec<TaxCode>,
    /// Tax rates.
    #[serde(rename = "TaxRate", default)]
    pub tax_rate: Vec<TaxRate>,
    /// Accounts.
    #[serde(rename = "Account", default)]
    pub account: Vec<Account>,
    /// Classes.
    #[serde(rename = "Class", default)]
    pub class: Vec<Named>,
    /// Departments (locations).
    #[serde(rename = "Department", default)]
    pub department: Vec<Named>,
    /// Payment methods.
    #[serde(rename = "PaymentMethod", default)]
    pub payment_method: Vec<Named>,
    /// Company info.
    #[serde(rename = "CompanyInfo", default)]
    pub company_info: Vec<CompanyInfo>,
    /// Currencies enabled (multicurrency companies).
    #[serde(rename = "CompanyCurrency", default)]
    pub company_currency: Vec<CompanyCurrency>,
    /// Preferences.
    #[serde(rename = "Preferences", default)]
    pub preferences: Vec<Preferences>,
    /// First row (1-based).
    #[serde(
        rename = "startPosition",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub start_position: Option<u64>,
    /// Rows returned.
    #[serde(
        rename = "maxResults",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_results: Option<u64>,
    /// `COUNT(*)` answer.
    #[serde(
        rename = "totalCount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
}

impl QueryResponse {
    /// How many rows of any entity the answer holds.
    pub fn rows(&self) -> usize {
        self.customer.len()
            + self.item.len()
            + self.invoice.len()
            + self.sales_receipt.len()
            + self.credit_memo.len()
            + self.refund_receipt.len()
            + self.payment.len()
            + self.journal_entry.len()
            + self.deposit.len()
            + self.tax_code.len()
            + self.tax_rate.len()
            + self.account.len()
            + self.class.len()
            + self.department.len()
            + self.payment_method.len()
            + self.company_info.len()
            + self.company_currency.len()
            + self.preferences.len()
    }

    /// Appends the rows of `other` (pages of one query).
    pub fn absorb(&mut self, other: QueryResponse) {
        self.customer.extend(other.customer);
        self.item.extend(other.item);
        self.invoice.extend(other.invoice);
        self.sales_receipt.extend(other.sales_receipt);
        self.credit_memo.extend(other.credit_memo);
        self.refund_receipt.extend(other.refund_receipt);
        self.payment.extend(other.payment);
        self.journal_entry.extend(other.journal_entry);
        self.deposit.extend(other.deposit);
        self.tax_code.extend(other.tax_code);
        self.tax_rate.extend(other.tax_rate);
        self.account.extend(other.account);
        self.class.extend(other.class);
        self.department.extend(other.department);
        self.payment_method.extend(other.payment_method);
        self.company_info.extend(other.company_info);
        self.company_currency.extend(other.company_currency);
        self.preferences.extend(other.preferences);
    }
}

/// Every response body of the API, and every `BatchItemResponse`: at most one of the entity
/// fields, a `QueryResponse` or a `Fault`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The batch item id (batch responses only).
    #[serde(rename = "bId", default, skip_serializing_if = "Option::is_none")]
    pub bid: Option<String>,
    /// A fault.
    #[serde(rename = "Fault", default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// The gateway's lowercase fault (401, throttling).
    #[serde(rename = "fault", default, skip_serializing_if = "Option::is_none")]
    pub gateway_fault: Option<GatewayFault>,
    /// A query's answer.
    #[serde(
        rename = "QueryResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub query_response: Option<QueryResponse>,
    /// Customer.
    #[serde(rename = "Customer", default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Item.
    #[serde(rename = "Item", default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// Invoice.
    #[serde(rename = "Invoice", default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<SalesForm>,
    /// Sales receipt.
    #[serde(
        rename = "SalesReceipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sales_receipt: Option<SalesForm>,
    /// Credit memo.
    #[serde(
        rename = "CreditMemo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub credit_memo: Option<SalesForm>,
    /// Refund receipt.
    #[serde(
        rename = "RefundReceipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub refund_receipt: Option<SalesForm>,
    /// Payment.
    #[serde(rename = "Payment", default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    /// Journal entry.
    #[serde(
        rename = "JournalEntry",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub journal_entry: Option<JournalEntry>,
    /// Deposit.
    #[serde(rename = "Deposit", default, skip_serializing_if = "Option::is_none")]
    pub deposit: Option<Deposit>,
    /// Preferences.
    #[serde(
        rename = "Preferences",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub preferences: Option<Preferences>,
    /// Company info.
    #[serde(
        rename = "CompanyInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub company_info: Option<CompanyInfo>,
    /// Server time (a string on API bodies, epoch milliseconds on the gateway's 401).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<serde_json::Value>,
}

/// The body of a `/batch` response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchResponse {
    /// One answer per request item (matched by `bId`, not by position).
    #[serde(rename = "BatchItemResponse", default)]
    pub items: Vec<Envelope>,
    /// A fault for the batch as a whole.
    #[serde(rename = "Fault", default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// Server time (a string on API bodies, epoch milliseconds on the gateway's 401).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<serde_json::Value>,
}

/// An entity to write, tagged with its QBO name (the key of the request body and of a
/// `BatchItemRequest`).
#[derive(Clone, Debug, PartialEq)]
pub enum Entity {
    /// Customer.
    Customer(Customer),
    /// Item.
    Item(Item),
    /// Invoice.
    Invoice(SalesForm),
    /// Sales receipt.
    SalesReceipt(SalesForm),
    /// Credit memo.
    CreditMemo(SalesForm),
    /// Refund receipt.
    RefundReceipt(SalesForm),
    /// Payment.
    Payment(Payment),
    /// Journal entry.
    JournalEntry(JournalEntry),
    /// Deposit.
    Deposit(Deposit),
}

impl Entity {
    /// The QBO entity name (`Invoice`), also the lowercase path segment.
    pub fn name(&self) -> &'static str {
        match self {
            Entity::Customer(_) => "Customer",
            Entity::Item(_) => "Item",
            Entity::Invoice(_) => "Invoice",
            Entity::SalesReceipt(_) => "SalesReceipt",
            Entity::CreditMemo(_) => "CreditMemo",
            Entity::RefundReceipt(_) => "RefundReceipt",
            Entity::Payment(_) => "Payment",
            Entity::JournalEntry(_) => "JournalEntry",
            Entity::Deposit(_) => "Deposit",
        }
    }

    /// The entity's JSON body.
    pub fn to_json(&self) -> serde_json::Result<serde_json::Value> {
        match self {
            Entity::Customer(v) => serde_json::to_value(v),
            Entity::Item(v) => serde_json::to_value(v),
            Entity::Invoice(v)
            | Entity::SalesReceipt(v)
            | Entity::CreditMemo(v)
            | Entity::RefundReceipt(v) => serde_json::to_value(v),
            Entity::Payment(v) => serde_json::to_value(v),
            Entity::JournalEntry(v) => serde_json::to_value(v),
            Entity::Deposit(v) => serde_json::to_value(v),
        }
    }

    /// One `BatchItemRequest`: `{"bId": …, "operation": "create", "Invoice": {…}}`.
    pub fn batch_item(&self, bid: &str, operation: &str) -> serde_json::Result<serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("bId".into(), serde_json::Value::String(bid.to_string()));
        m.insert(
            "operation".into(),
            serde_json::Value::String(operation.to_string()),
        );
        m.insert(self.name().to_string(), self.to_json()?);
        Ok(serde_json::Value::Object(m))
    }

    /// The written entity in a response envelope, as `(id, sync token, doc number)`.
    pub fn written(env: &Envelope) -> Option<Written> {
        let form = |f: &SalesForm, name: &'static str| Written {
            entity: name,
            id: f.id.clone(),
            sync_token: f.sync_token.clone(),
            number: f.doc_number.clone(),
            total: f.total_amt,
        };
        if let Some(f) = &env.invoice {
            return Some(form(f, "Invoice"));
        }
        if let Some(f) = &env.sales_receipt {
            return Some(form(f, "SalesReceipt"));
        }
        if let Some(f) = &env.credit_memo {
            return Some(form(f, "CreditMemo"));
        }
        if let Some(f) = &env.refund_receipt {
            return Some(form(f, "RefundReceipt"));
        }
        if let Some(c) = &env.customer {
            return Some(Written {
                entity: "Customer",
                id: c.id.clone(),
                sync_token: c.sync_token.clone(),
                number: c.display_name.clone(),
                total: None,
            });
        }
        if let Some(i) = &env.item {
            return Some(Written {
                entity: "Item",
                id: i.id.clone(),
                sync_token: i.sync_token.clone(),
                number: i.name.clone(),
                total: None,
            });
        }
        if let Some(p) = &env.payment {
            return Some(Written {
                entity: "Payment",
                id: p.id.clone(),
                sync_token: p.sync_token.clone(),
                number: p.payment_ref_num.clone(),
                total: p.total_amt,
            });
        }
        if let Some(j) = &env.journal_entry {
            return Some(Written {
                entity: "JournalEntry",
                id: j.id.clone(),
                sync_token: j.sync_token.clone(),
                number: j.doc_number.clone(),
                total: j.total_amt,
            });
        }
        if let Some(d) = &env.deposit {
            return Some(Written {
                entity: "Deposit",
                id: d.id.clone(),
                sync_token: d.sync_token.clone(),
                number: None,
                total: d.total_amt,
            });
        }
        None
    }
}

/// What a write answered: the entity's id, version and number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Entity name.
    pub entity: &'static str,
    /// Id.
    pub id: Option<String>,
    /// Sync token.
    pub sync_token: Option<String>,
    /// Document number (or display name / item name).
    pub number: Option<String>,
    /// Total, where the entity has one.
    pub total: Option<Decimal>,
}
