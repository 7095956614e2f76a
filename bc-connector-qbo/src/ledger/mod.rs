//! [`QboLedger`]: the [`bc_core::Ledger`] for QuickBooks Online, a thin layer over
//! [`crate::client::QboApi`] and the pure [`crate::mapping`]. One file per concern:
//!
//! - [`refs`]: names in documents → QBO ids (items, the chart of accounts, tax codes, classes…),
//!   the lists read once and every name a batch of documents uses in one `/batch` of queries;
//! - [`clients`]: customers by import id and e-mail (an index kept fresh by
//!   `MetaData.LastUpdatedTime`), created 30 per `/batch`;
//! - [`search`]: finding what bcsync wrote, the way QBO can answer it (`DocNumber`, else
//!   `CustomerRef` + `TxnDate`, then the `[bcsync:…]` marker on the candidates);
//! - [`documents`]: invoices and sales receipts (search first, 30 per `/batch`, totals checked);
//! - [`receipts`]: payments; [`credits`]: credit memos and refund receipts (applied to their
//!   invoice); [`journals`]: journals and deposits;
//! - [`feeds`]: shipments, availability and invoice statuses read back from QBO;
//! - [`catalog`]: the tax codes, accounts and payment methods settings name;
//! - [`coalesce`]: concurrent single writes (`create_item`) sent together, 30 per `/batch`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bc_core::{
    Client, ClientKey, ClientRef, CreditMemo, Currency, Cursor, DocumentKind, DocumentStatus,
    Error, ImportId, InventoryLevel, ItemKey, ItemRef, JournalEntry, JournalKey, Ledger,
    LedgerCapabilities, LedgerCatalog, LedgerDocument, LedgerRef, LedgerShipment, NewItem, Page,
    Receipt, RefundId, Result, SalesDocument, TaxModel,
};
use bc_http::HttpTransport;

use crate::client::QboApi;
use crate::config::{QboOptions, BATCH_SIZE};
use crate::error::PLATFORM;
use crate::mapping::{self, RefKey, TaxCodeInfo, TaxStyle, MAX_DISPLAY_NAME};
use crate::wire::{self, Entity, Envelope, Ref, Written};

pub mod catalog;
pub mod clients;
pub mod coalesce;
pub mod credits;
pub mod documents;
pub mod feeds;
pub mod items;
pub mod journals;
pub mod receipts;
pub mod refs;
pub mod search;

use clients::CustomerIndex;
use search::Probe;

/// What bcsync learned about the company when it connected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Company {
    /// Company name.
    pub name: String,
    /// Country (`US`, `GB`…).
    pub country: String,
    /// The tax model that follows from the country.
    pub style: TaxStyle,
    /// Home currency.
    pub home_currency: Currency,
    /// Multicurrency on.
    pub multicurrency: bool,
    /// Currencies the company has enabled (multicurrency companies).
    pub currencies: Vec<Currency>,
}

/// What [`QboLedger::connect`] reads, in one `/batch` request.
pub const CONNECT_QUERIES: [&str; 3] = [
    "SELECT * FROM CompanyInfo",
    "SELECT * FROM Preferences",
    "SELECT * FROM CompanyCurrency",
];

/// The QuickBooks Online ledger.
///
/// ```no_run
/// # async fn demo() -> bc_core::Result<()> {
/// use std::sync::Arc;
/// use bc_connector_qbo::{QboLedger, QboOptions};
/// use bc_core::Ledger;
/// let options = QboOptions::new("9130355377388166", "client-id", "secret".into(), "refresh".into());
/// let transport = Arc::new(bc_http::ReqwestTransport::new()?);
/// let ledger = QboLedger::connect(options, transport).await?;
/// println!("{:?}", ledger.capabilities());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct QboLedger {
    api: QboApi,
    company: Company,
    default_tax_code: Option<String>,
    refs: Mutex<HashMap<RefKey, Ref>>,
    tax_codes: Mutex<HashMap<String, TaxCodeInfo>>,
    // Optional references QBO does not have (payment methods): not asked again.
    absent: Mutex<std::collections::HashSet<RefKey>>,
    // One creation at a time of bcsync's own account items (two orders needing the same one).
    account_items: tokio::sync::Mutex<()>,
    // `create_item` calls made concurrently, sent together.
    item_writes: coalesce::Coalescer<NewItem, ItemRef>,
    // Tax codes, tax rates and payment methods, read once (with the chart of accounts).
    lists: tokio::sync::Mutex<Option<refs::Lists>>,
    // The chart of accounts, read once (`AcctNum` is not filterable: matched here).
    accounts: tokio::sync::Mutex<Option<Vec<wire::Account>>>,
    // Customers by import id and e-mail, refreshed by `MetaData.LastUpdatedTime`.
    customers: tokio::sync::Mutex<CustomerIndex>,
    // Refreshes of the index started so far (concurrent lookups share one).
    customer_refreshes: std::sync::atomic::AtomicU64,
    // How to find again what this process wrote (key → probe), for searches that only get
    // the key (`find_document(import_id)` after a lost response).
    hints: Mutex<Hints>,
}

/// The probes of the latest writes, oldest forgotten first (a long-running process must not
/// grow without bound; a key forgotten is still found, by a scan).
#[derive(Debug, Default)]
pub(crate) struct Hints {
    by_key: HashMap<String, Probe>,
    order: std::collections::VecDeque<String>,
}

/// How many write probes a process remembers.
pub const MAX_HINTS: usize = 100_000;

impl Hints {
    fn insert(&mut self, key: &str, probe: Probe) {
        if self.by_key.insert(key.to_string(), probe).is_none() {
            self.order.push_back(key.to_string());
        }
        while self.order.len() > MAX_HINTS {
            if let Some(old) = self.order.pop_front() {
                self.by_key.remove(&old);
            }
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

pub(crate) fn protocol(msg: String) -> Error {
    Error::protocol(msg).with_platform(PLATFORM)
}

pub(crate) fn ledger_ref(w: &Written) -> Result<LedgerRef> {
    let id = w.id.clone().ok_or_else(|| {
        protocol(format!(
            "QuickBooks answered the {} write without an Id",
            w.entity
        ))
    })?;
    let mut at = LedgerRef::new(id);
    if let Some(n) = &w.number {
        at = at.with_number(n.clone());
    }
    if let Some(v) = &w.sync_token {
        at = at.with_version(v.clone());
    }
    Ok(at)
}

pub(crate) fn written(env: &Envelope, what: &str) -> Result<Written> {
    Entity::written(env)
        .ok_or_else(|| protocol(format!("QuickBooks answered {what} without the entity")))
}

/// One result per input, in order, from results filled in by index.
pub(crate) fn collect<T>(out: Vec<Option<Result<T>>>) -> Vec<Result<T>> {
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(Error::new(bc_core::ErrorKind::Internal, "no result").with_platform(PLATFORM))
            })
        })
        .collect()
}

impl QboLedger {
    /// Connects: reads the company's country and preferences (tax model, home currency,
    /// multicurrency), which decide [`Ledger::capabilities`].
    pub async fn connect(options: QboOptions, transport: Arc<dyn HttpTransport>) -> Result<Self> {
        let api = QboApi::new(&options, transport)?;
        // The company, its preferences and its currencies in one request.
        let mut answers = api
            .batch(
                CONNECT_QUERIES
                    .iter()
                    .enumerate()
                    .map(|(n, q)| serde_json::json!({ "bId": format!("c{n}"), "Query": q }))
                    .collect(),
            )
            .await?;
        let mut answer = |n: usize| -> Result<wire::QueryResponse> {
            let env = answers
                .remove(&format!("c{n}"))
                .ok_or_else(|| protocol(format!("the batch answer has no item c{n}")))?;
            match crate::error::error_from_envelope(&env, 200, CONNECT_QUERIES[n]) {
                Some(e) => Err(e),
                None => Ok(env.query_response.unwrap_or_default()),
            }
        };
        let info = answer(0)?
            .company_info
            .into_iter()
            .next()
            .ok_or_else(|| protocol("the company has no CompanyInfo".into()))?;
        let prefs = answer(1)?
            .preferences
            .into_iter()
            .next()
            .ok_or_else(|| protocol("the company has no Preferences".into()))?;
        let company_currencies = answer(2);
        let country = info.country.clone().unwrap_or_else(|| "US".into());
        let style = if country.eq_ignore_ascii_case("US") {
            TaxStyle::Us
        } else {
            TaxStyle::NonUs
        };
        let cp = prefs.currency_prefs.clone().unwrap_or_default();
        let home_currency = match cp.home_currency.as_ref() {
            Some(r) => Currency::new(&r.value)
                .map_err(|e| e.context("Preferences.CurrencyPrefs.HomeCurrency"))?,
            None if style == TaxStyle::Us => Currency::USD,
            None => {
                return Err(protocol(
                    "Preferences.CurrencyPrefs.HomeCurrency is missing".into(),
                ))
            }
        };
        let multicurrency = cp.multi_currency_enabled.unwrap_or(false);
        let mut currencies = Vec::new();
        if multicurrency {
            currencies.extend(options.currencies.iter().copied());
            match company_currencies {
                Ok(q) => currencies.extend(
                    q.company_currency
                        .into_iter()
                        .filter(|c| c.active != Some(false))
                        .filter_map(|c| Currency::new(c.code.as_deref()?).ok()),
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list the company's currencies; using the configured ones")
                }
            }
            currencies.retain(|c| *c != home_currency);
            currencies.sort();
            currencies.dedup();
        }
        let company = Company {
            name: info.company_name.unwrap_or_default(),
            country,
            style,
            home_currency,
            multicurrency,
            currencies,
        };
        tracing::info!(
            realm = %options.realm_id,
            country = %company.country,
            home = %company.home_currency,
            multicurrency,
            "connected to QuickBooks Online"
        );
        Ok(QboLedger {
            api,
            company,
            default_tax_code: options.default_tax_code.clone(),
            refs: Mutex::new(HashMap::new()),
            tax_codes: Mutex::new(HashMap::new()),
            absent: Mutex::new(std::collections::HashSet::new()),
            account_items: tokio::sync::Mutex::new(()),
            accounts: tokio::sync::Mutex::new(None),
            lists: tokio::sync::Mutex::new(None),
            item_writes: coalesce::Coalescer::default(),
            customers: tokio::sync::Mutex::new(CustomerIndex::default()),
            customer_refreshes: std::sync::atomic::AtomicU64::new(0),
            hints: Mutex::new(Hints::default()),
        })
    }

    /// The API client.
    pub fn api(&self) -> &QboApi {
        &self.api
    }

    /// The company.
    pub fn company(&self) -> &Company {
        &self.company
    }

    pub(crate) fn remember(&self, key: &str, probe: Probe) {
        lock(&self.hints).insert(key, probe);
    }

    pub(crate) fn hint(&self, key: &str) -> Option<Probe> {
        lock(&self.hints).by_key.get(key).cloned()
    }
}

#[async_trait]
impl Ledger for QboLedger {
    fn capabilities(&self) -> LedgerCapabilities {
        let mut caps = LedgerCapabilities::default();
        caps.platform = PLATFORM.to_string();
        caps.document_kinds = vec![DocumentKind::Invoice, DocumentKind::SalesReceipt];
        caps.batch_size = BATCH_SIZE;
        caps.idempotency_keys = true;
        caps.max_doc_number_len = Some(mapping::MAX_DOC_NUMBER);
        caps.max_client_name_len = Some(MAX_DISPLAY_NAME);
        caps.home_currency = self.company.home_currency;
        caps.currencies = self.company.currencies.clone();
        caps.tax_model = match self.company.style {
            TaxStyle::Us => TaxModel::Document,
            TaxStyle::NonUs => TaxModel::PerLine,
        };
        caps.precision_override = None;
        caps.create_items = true;
        caps.credit_memos = true;
        caps.journals = true;
        caps.shipments = true;
        caps.availability = true;
        caps.document_statuses = true;
        caps.set_document_status = false;
        caps.new_orders = false;
        caps.find_receipts = true;
        caps
    }

    async fn find_client(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        let mut found = self.find_clients(std::slice::from_ref(key)).await?;
        Ok(found.pop().flatten())
    }

    async fn create_client(&self, client: &Client) -> Result<ClientRef> {
        let mut out = self.create_clients(std::slice::from_ref(client)).await;
        out.pop()
            .unwrap_or_else(|| Err(protocol("no result for the client".into())))
    }

    async fn find_clients(&self, keys: &[ClientKey]) -> Vec<Result<Option<ClientRef>>> {
        // One index refresh answers every key.
        match QboLedger::find_clients(self, keys).await {
            Ok(found) => found.into_iter().map(Ok).collect(),
            Err(e) => keys.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn create_clients(&self, clients: &[Client]) -> Vec<Result<ClientRef>> {
        // 30 per `/batch`.
        QboLedger::create_clients(self, clients).await
    }

    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        self.items_by_key(keys).await
    }

    /// Concurrent calls (the engine creates each order's missing items, every order of a
    /// chunk at once) share `/batch` requests: see [`coalesce`].
    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        self.item_writes
            .call(item.clone(), |items| async move {
                self.create_item_batch(&items).await
            })
            .await
    }

    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        let mut found = self.find_documents(std::slice::from_ref(import_id)).await;
        found.pop().unwrap_or(Ok(None))
    }

    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        let mut out = self.post_sales_documents(std::slice::from_ref(doc)).await;
        out.pop()
            .unwrap_or_else(|| Err(protocol("no result for the document".into())))
    }

    async fn update_sales_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        self.update_document(at, doc).await
    }

    /// Writes with a `requestid`; after an unknown outcome the engine searches with
    /// [`Ledger::find_receipt`] before writing again.
    async fn post_receipt(&self, receipt: &Receipt) -> Result<LedgerRef> {
        let mut out = self.post_receipts(std::slice::from_ref(receipt)).await;
        out.pop()
            .unwrap_or_else(|| Err(protocol("no result for the receipt".into())))
    }

    async fn post_credit_memo(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        self.post_credit(memo).await
    }

    async fn post_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        self.post_journal_entry(entry).await
    }

    async fn find_credit_memo(
        &self,
        import_id: &ImportId,
        refund_id: &RefundId,
    ) -> Result<Option<LedgerRef>> {
        self.find_credit_by_key(import_id, refund_id.as_str()).await
    }

    /// `CustomerRef` + `TxnDate`, then the `[bcsync:<import id>#P<n>]` marker.
    async fn find_receipt(&self, receipt: &Receipt) -> Result<Option<LedgerRef>> {
        QboLedger::find_receipt(self, receipt).await
    }

    async fn find_journal(&self, key: &JournalKey) -> Result<Option<LedgerRef>> {
        self.find_journal_by_key(key.as_str()).await
    }

    async fn shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        self.shipment_feed(since).await
    }

    async fn availability(&self, warehouse: &str, since: &Cursor) -> Result<Page<InventoryLevel>> {
        self.availability_feed(warehouse, since).await
    }

    async fn document_statuses(&self, since: &Cursor) -> Result<Page<DocumentStatus>> {
        self.status_feed(since).await
    }

    /// Searches first (one `DocNumber IN (…)` or `CustomerRef`+`TxnDate` query per 30
    /// documents), then creates the rest 30 per `/batch` request; one result per document.
    async fn post_sales_documents(&self, docs: &[SalesDocument]) -> Vec<Result<LedgerRef>> {
        self.post_documents(docs).await
    }

    /// By the probes this process recorded when it posted; otherwise a scan of every invoice
    /// and sales receipt (never a window that can miss one): see [`search`].
    async fn find_documents(&self, ids: &[ImportId]) -> Vec<Result<Option<LedgerDocument>>> {
        self.documents_by_import_id(ids).await
    }

    /// Up to 30 items per `/batch` request; an item whose name is taken (6240) is adopted when
    /// an item of that name exists.
    async fn create_items(&self, items: &[NewItem]) -> Vec<Result<ItemRef>> {
        self.create_item_batch(items).await
    }

    /// Tax codes (with their combined rate), accounts and payment methods by name, in one
    /// `/batch` of queries; `ship_vias` is unknown (QBO has no ship-via list). See [`catalog`].
    async fn catalog(&self) -> Result<LedgerCatalog> {
        self.read_catalog().await
    }

    /// Up to 30 payments per `/batch` request.
    async fn post_receipts(&self, receipts: &[Receipt]) -> Vec<Result<LedgerRef>> {
        self.post_receipt_batch(receipts).await
    }
}
