//! [`QboLedger`]: the [`bc_core::Ledger`] for QuickBooks Online.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bc_core::{
    Client, ClientKey, ClientRef, CreditKind, CreditMemo, Currency, Cursor, DocumentKind,
    DocumentStatus, Error, ErrorKind, ImportId, InventoryLevel, ItemKey, ItemRef, JournalEntry,
    Ledger, LedgerCapabilities, LedgerDocument, LedgerOrder, LedgerRef, LedgerShipment, NewItem,
    Page, ReceiptPosting, RefundId, Result, SalesDocument, Shipment, Sku, TaxModel,
};
use bc_http::HttpTransport;
use serde_json::Value;

use crate::api::QboApi;
use crate::config::{QboOptions, BATCH_SIZE};
use crate::fault::{
    clone_error, error_from_envelope, is_duplicate_doc_number, is_duplicate_name, is_stale,
    PLATFORM,
};
use crate::mapping::{
    self, account_item_name, credit_key, has_marker, journal_key, marker, receipt_key, RefKey,
    Refs, TaxCodeInfo, TaxStyle, MAX_DISPLAY_NAME,
};
use crate::query::{literal, select_contains, select_eq, select_in};
use crate::wire::{self, Entity, Envelope, Ref, SalesForm, Written};

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
    // One creation at a time of bcsync's own account items (two orders needing the same one).
    account_items: tokio::sync::Mutex<()>,
    // `Entity.Field`s QBO refused to search with LIKE: searched by scanning recent rows.
    no_like: Mutex<BTreeSet<String>>,
}

/// How far back a marker search scans when QBO refuses `LIKE` on the note field.
pub const SCAN_DAYS: i64 = 14;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

fn protocol(msg: String) -> Error {
    Error::protocol(msg).with_platform(PLATFORM)
}

fn ledger_ref(w: &Written) -> Result<LedgerRef> {
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

fn written(env: &Envelope, what: &str) -> Result<Written> {
    Entity::written(env)
        .ok_or_else(|| protocol(format!("QuickBooks answered {what} without the entity")))
}

impl QboLedger {
    /// Connects: reads the company's country and preferences (tax model, home currency,
    /// multicurrency), which decide [`Ledger::capabilities`].
    pub async fn connect(options: QboOptions, transport: Arc<dyn HttpTransport>) -> Result<Self> {
        let api = QboApi::new(&options, transport)?;
        let info = api
            .query("SELECT * FROM CompanyInfo")
            .await?
            .company_info
            .into_iter()
            .next()
            .ok_or_else(|| protocol("the company has no CompanyInfo".into()))?;
        let prefs = api
            .read("preferences", None)
            .await?
            .preferences
            .ok_or_else(|| protocol("the company has no Preferences".into()))?;
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
            match api.query("SELECT * FROM CompanyCurrency").await {
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
            account_items: tokio::sync::Mutex::new(()),
            no_like: Mutex::new(BTreeSet::new()),
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

    /// Resolves (and caches) every name the documents use, creating bcsync's account items
    /// where needed, so that a following [`Ledger::post_sales_documents`] costs one request
    /// per 30 documents.
    pub async fn prepare_documents(&self, docs: &[SalesDocument]) -> Result<()> {
        let mut keys: Vec<RefKey> = docs.iter().flat_map(mapping::sales_refs_needed).collect();
        keys.sort();
        keys.dedup();
        self.refs(&keys).await.map(|_| ())
    }

    /// Records a payout as a QBO `Deposit` into `bank_account` (when the payout is a bank
    /// deposit rather than a journal, Y1): see [`mapping::deposit`]. Exactly-once like
    /// journals: the `requestid`, then [`QboLedger::find_deposit`] by the payout's key.
    pub async fn post_deposit(
        &self,
        entry: &JournalEntry,
        bank_account: &str,
    ) -> Result<LedgerRef> {
        if let Some(at) = self.find_deposit(&entry.key).await? {
            return Ok(at);
        }
        let mut keys = mapping::journal_refs_needed(entry);
        keys.push(RefKey::Account(bank_account.to_string()));
        let refs = self.refs(&keys).await?;
        let d = mapping::deposit(entry, bank_account, &refs)?;
        let env = self
            .api
            .write(&Entity::Deposit(d), &journal_key(&entry.key), "create")
            .await?;
        ledger_ref(&written(&env, "the deposit creation")?)
    }

    async fn apply_credit(
        &self,
        memo: &CreditMemo,
        credit: &LedgerRef,
        invoice: &LedgerRef,
        key: &str,
    ) -> Result<()> {
        let inv = self.api.read("invoice", Some(&invoice.id)).await?;
        let open = inv
            .invoice
            .and_then(|f| f.balance)
            .unwrap_or(rust_decimal::Decimal::ZERO);
        let amount = open.min(memo.total);
        if amount <= rust_decimal::Decimal::ZERO {
            return Ok(());
        }
        let link = |id: &str, kind: &str| wire::Line {
            amount: Some(amount),
            linked_txn: vec![wire::LinkedTxn {
                txn_id: id.to_string(),
                txn_type: kind.to_string(),
            }],
            ..wire::Line::default()
        };
        let apply_key = format!("{key}#apply");
        let payment = wire::Payment {
            customer_ref: Some(Ref::id(memo.client.id.clone())),
            total_amt: Some(rust_decimal::Decimal::ZERO),
            txn_date: Some(memo.date.format("%Y-%m-%d").to_string()),
            private_note: Some(format!(
                "{} credit applied to the invoice",
                marker(&apply_key)
            )),
            line: vec![link(&invoice.id, "Invoice"), link(&credit.id, "CreditMemo")],
            ..wire::Payment::default()
        };
        self.api
            .write(&Entity::Payment(payment), &apply_key, "create")
            .await
            .map(|_| ())
    }

    /// Finds the payment recorded for a receipt (by the `[bcsync:<import id>#P<n>]` marker).
    pub async fn find_receipt(&self, receipt: &ReceiptPosting) -> Result<Option<LedgerRef>> {
        let key = receipt_key(receipt);
        let q = self.marked("Payment", "PrivateNote", &key).await?;
        Ok(payment_with_marker(q.payment, &key))
    }

    /// [`QboLedger::find_receipt`] for several receipts: one query each, 30 per `/batch`.
    pub async fn find_receipts(
        &self,
        receipts: &[ReceiptPosting],
    ) -> Vec<Result<Option<LedgerRef>>> {
        let mut out = Vec::with_capacity(receipts.len());
        if !lock(&self.no_like).is_empty() {
            for r in receipts {
                out.push(self.find_receipt(r).await);
            }
            return out;
        }
        for chunk in receipts.chunks(BATCH_SIZE) {
            let items: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(n, r)| {
                    serde_json::json!({
                        "bId": n.to_string(),
                        "Query": select_contains("Payment", "PrivateNote", &marker(&receipt_key(r))),
                    })
                })
                .collect();
            match self.api.batch(items).await {
                Ok(answers) => {
                    for (n, r) in chunk.iter().enumerate() {
                        let key = receipt_key(r);
                        out.push(match answers.get(&n.to_string()) {
                            Some(env) => match error_from_envelope(env, 200, "find payment") {
                                Some(e) if e.kind() == ErrorKind::Invalid => {
                                    self.find_receipt(r).await
                                }
                                Some(e) => Err(e),
                                None => Ok(payment_with_marker(
                                    env.query_response
                                        .as_ref()
                                        .map(|q| q.payment.clone())
                                        .unwrap_or_default(),
                                    &key,
                                )),
                            },
                            None => Err(protocol(format!("receipt {key}: no batch answer"))),
                        });
                    }
                }
                Err(e) => out.extend(chunk.iter().map(|_| Err(clone_error(&e)))),
            }
        }
        out
    }

    /// Finds the deposit made for a payout key.
    pub async fn find_deposit(&self, key: &str) -> Result<Option<LedgerRef>> {
        let k = journal_key(key);
        let q = self.marked("Deposit", "PrivateNote", &k).await?;
        Ok(q.deposit
            .into_iter()
            .find(|d| has_marker(d.private_note.as_deref(), &k))
            .and_then(|d| d.id.map(LedgerRef::new)))
    }

    /// The rows of `entity` whose `field` may carry the marker of `key` (callers check the
    /// marker exactly). A `LIKE` search; when QBO refuses it on that field (its XSD marks
    /// only some fields filterable), the rows created in the last [`SCAN_DAYS`] days instead.
    async fn marked(&self, entity: &str, field: &str, key: &str) -> Result<wire::QueryResponse> {
        let slot = format!("{entity}.{field}");
        if !lock(&self.no_like).contains(&slot) {
            match self
                .api
                .query(&select_contains(entity, field, &marker(key)))
                .await
            {
                Ok(q) => return Ok(q),
                Err(e) if e.kind() == ErrorKind::Invalid => {
                    tracing::warn!(entity, field, error = %e, "QuickBooks refused a LIKE search: scanning recent rows instead");
                    lock(&self.no_like).insert(slot);
                }
                Err(e) => return Err(e),
            }
        }
        self.scan_recent(entity).await
    }

    async fn scan_recent(&self, entity: &str) -> Result<wire::QueryResponse> {
        const PAGE: usize = 1000;
        const MAX_PAGES: usize = 50;
        let since = (chrono::Utc::now() - chrono::Duration::days(SCAN_DAYS))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut out = wire::QueryResponse::default();
        for page in 0..MAX_PAGES {
            let q = self
                .api
                .query(&format!(
                    "SELECT * FROM {entity} WHERE MetaData.CreateTime >= {} ORDERBY Id STARTPOSITION {} MAXRESULTS {PAGE}",
                    literal(&since),
                    page * PAGE + 1
                ))
                .await?;
            let n = q.rows();
            out.absorb(q);
            if n < PAGE {
                break;
            }
        }
        Ok(out)
    }

    // ----- references ---------------------------------------------------------------------

    /// Resolves every key (cached), creating bcsync's account items when missing, and returns
    /// the references for the mapping. A name that does not exist is left out: the mapping
    /// reports it with the document it belongs to.
    async fn refs(&self, keys: &[RefKey]) -> Result<Refs> {
        for key in keys {
            let cached = match key {
                RefKey::TaxCode(c) => lock(&self.tax_codes).contains_key(c),
                k => lock(&self.refs).contains_key(k),
            };
            if cached {
                continue;
            }
            self.resolve(key).await?;
        }
        let mut refs = Refs::new(self.company.style, self.company.home_currency);
        refs.multicurrency = self.company.multicurrency;
        refs.default_tax_code = self.default_tax_code.clone();
        if let Some(c) = &self.default_tax_code {
            if !lock(&self.tax_codes).contains_key(c) {
                self.resolve(&RefKey::TaxCode(c.clone())).await?;
            }
        }
        refs.ids = lock(&self.refs).clone();
        refs.tax_codes = lock(&self.tax_codes).clone();
        Ok(refs)
    }

    async fn resolve(&self, key: &RefKey) -> Result<()> {
        let found: Option<Ref> = match key {
            RefKey::Item(name) => {
                let q = self.api.query(&select_eq("Item", "Name", name)).await?;
                let mut item = q.item.into_iter().next();
                if item.is_none() {
                    item = self
                        .api
                        .query(&select_eq("Item", "Sku", name))
                        .await?
                        .item
                        .into_iter()
                        .next();
                }
                item.and_then(|i| {
                    i.id.map(|id| Ref {
                        value: id,
                        name: i.name,
                    })
                })
            }
            RefKey::Account(code) => self.find_account(code).await?,
            RefKey::AccountItem(label, account) => Some(self.account_item(label, account).await?),
            RefKey::TaxCode(code) => {
                if let Some(info) = self.find_tax_code(code).await? {
                    lock(&self.tax_codes).insert(code.clone(), info);
                }
                return Ok(());
            }
            RefKey::Class(name) => self.find_named("Class", name).await?,
            RefKey::Department(name) => self.find_named("Department", name).await?,
            // Optional on every form: a list QBO cannot answer leaves it out.
            RefKey::PaymentMethod(name) => match self.find_named("PaymentMethod", name).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(method = %name, error = %e, "payment method lookup failed; posting without it");
                    None
                }
            },
        };
        if let Some(r) = found {
            lock(&self.refs).insert(key.clone(), r);
        }
        Ok(())
    }

    async fn find_account(&self, code: &str) -> Result<Option<Ref>> {
        for field in ["AcctNum", "Name", "FullyQualifiedName", "Id"] {
            if field == "Id" && !code.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let q = self.api.query(&select_eq("Account", field, code)).await?;
            if let Some(a) = q.account.into_iter().next() {
                if let Some(id) = a.id {
                    return Ok(Some(Ref {
                        value: id,
                        name: a.name,
                    }));
                }
            }
        }
        Ok(None)
    }

    async fn find_named(&self, entity: &str, name: &str) -> Result<Option<Ref>> {
        let q = self.api.query(&select_eq(entity, "Name", name)).await?;
        let rows = match entity {
            "Class" => q.class,
            "Department" => q.department,
            _ => q.payment_method,
        };
        if let Some(r) = rows.into_iter().next() {
            return Ok(r.id.map(|id| Ref {
                value: id,
                name: r.name,
            }));
        }
        if name.chars().all(|c| c.is_ascii_digit()) {
            let q = self.api.query(&select_eq(entity, "Id", name)).await?;
            let rows = match entity {
                "Class" => q.class,
                "Department" => q.department,
                _ => q.payment_method,
            };
            return Ok(rows.into_iter().next().and_then(|r| {
                r.id.map(|id| Ref {
                    value: id,
                    name: r.name,
                })
            }));
        }
        Ok(None)
    }

    async fn find_tax_code(&self, code: &str) -> Result<Option<TaxCodeInfo>> {
        let mut q = self.api.query(&select_eq("TaxCode", "Name", code)).await?;
        if q.tax_code.is_empty() && code.chars().all(|c| c.is_ascii_digit()) {
            q = self.api.query(&select_eq("TaxCode", "Id", code)).await?;
        }
        let Some(tc) = q.tax_code.into_iter().next() else {
            return Ok(None);
        };
        let Some(id) = tc.id else { return Ok(None) };
        let rate_ids: Vec<String> = tc
            .sales_tax_rate_list
            .map(|l| {
                l.tax_rate_detail
                    .into_iter()
                    .filter_map(|d| d.tax_rate_ref.map(|r| r.value))
                    .collect()
            })
            .unwrap_or_default();
        let mut rates = Vec::new();
        if !rate_ids.is_empty() {
            let found = self
                .api
                .query(&select_in(
                    "TaxRate",
                    "Id",
                    rate_ids.iter().map(String::as_str),
                ))
                .await?
                .tax_rate;
            for rid in &rate_ids {
                if let Some(r) = found.iter().find(|r| r.id.as_deref() == Some(rid.as_str())) {
                    rates.push((rid.clone(), r.rate_value.unwrap_or_default()));
                }
            }
        }
        Ok(Some(TaxCodeInfo { id, rates }))
    }

    /// bcsync's service item that posts a line kind to `account` (QBO sales lines post through
    /// items): found by name, else created with the account as its income account. A gift
    /// certificate line posted this way credits the liability account, never revenue.
    async fn account_item(&self, label: &str, account: &str) -> Result<Ref> {
        let name = account_item_name(label, account);
        let _guard = self.account_items.lock().await;
        if let Some(r) = lock(&self.refs)
            .get(&RefKey::AccountItem(label.to_string(), account.to_string()))
            .cloned()
        {
            return Ok(r);
        }
        let q = self
            .api
            .query(&format!(
                "SELECT * FROM Item WHERE Name = {} AND Active IN (true, false)",
                literal(&name)
            ))
            .await?;
        if let Some(i) = q.item.into_iter().next() {
            if let Some(id) = i.id {
                return Ok(Ref {
                    value: id,
                    name: i.name,
                });
            }
        }
        let acct = self.find_account(account).await?.ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!("account `{account}` (for {label}) does not exist in QuickBooks"),
            )
            .with_platform(PLATFORM)
        })?;
        let item = wire::Item {
            name: Some(name.clone()),
            description: Some(format!("{label} posted by bcsync to account {account}")),
            item_type: Some("Service".into()),
            income_account_ref: Some(acct),
            active: Some(true),
            ..wire::Item::default()
        };
        let env = self
            .api
            .write(
                &Entity::Item(item),
                &format!("account-item:{name}"),
                "create",
            )
            .await?;
        let w = written(&env, "the item creation")?;
        let id =
            w.id.ok_or_else(|| protocol("QuickBooks created an item without an Id".into()))?;
        Ok(Ref {
            value: id,
            name: Some(name),
        })
    }

    // ----- documents ----------------------------------------------------------------------

    fn sales_entity(doc: &SalesDocument, form: SalesForm) -> Result<Entity> {
        match doc.kind {
            DocumentKind::Invoice => Ok(Entity::Invoice(form)),
            DocumentKind::SalesReceipt => Ok(Entity::SalesReceipt(form)),
            DocumentKind::SalesOrder => Err(Error::unsupported(PLATFORM, "sales orders")),
        }
    }

    fn check_total(doc: &SalesDocument, w: &Written) {
        if let Some(t) = w.total {
            if t != doc.total() {
                tracing::warn!(
                    order = %doc.order_id,
                    qbo_total = %t,
                    planned_total = %doc.total(),
                    "QuickBooks' total differs from the planned total"
                );
            }
        }
    }

    /// The queries that find the sales documents of `import_id` (one per kind).
    fn document_queries(import_id: &ImportId) -> [(DocumentKind, String); 2] {
        let m = marker(&import_id.to_string());
        [
            (
                DocumentKind::Invoice,
                select_contains("Invoice", "PrivateNote", &m),
            ),
            (
                DocumentKind::SalesReceipt,
                select_contains("SalesReceipt", "PrivateNote", &m),
            ),
        ]
    }

    fn pick_document(
        &self,
        import_id: &ImportId,
        found: Vec<(DocumentKind, SalesForm)>,
    ) -> Result<Option<LedgerDocument>> {
        let key = import_id.to_string();
        let mut ours: Vec<(DocumentKind, SalesForm)> = found
            .into_iter()
            .filter(|(_, f)| has_marker(f.private_note.as_deref(), &key))
            .collect();
        ours.sort_by_key(|(_, f)| {
            f.id.as_deref()
                .and_then(|i| i.parse::<u64>().ok())
                .unwrap_or(u64::MAX)
        });
        if ours.len() > 1 {
            tracing::warn!(import_id = %key, count = ours.len(), "several QuickBooks documents carry the same import id; using the first");
        }
        match ours.into_iter().next() {
            Some((kind, form)) => {
                mapping::ledger_document(&form, kind, import_id, self.company.home_currency)
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    async fn post_one_sales(&self, doc: &SalesDocument, refs: &Refs) -> Result<LedgerRef> {
        let form = mapping::sales_form(doc, &doc.client.id, refs)?;
        let entity = Self::sales_entity(doc, form)?;
        let key = doc.import_id.to_string();
        match self.api.write(&entity, &key, "create").await {
            Ok(env) => {
                let w = written(&env, "the document creation")?;
                Self::check_total(doc, &w);
                ledger_ref(&w)
            }
            Err(e) if is_duplicate_doc_number(&e) => self.adopt_after_duplicate(doc, e).await,
            Err(e) => Err(e.context(format!("order {}", doc.order_id))),
        }
    }

    /// A 6140 on our own number: the document may be ours from an earlier attempt whose
    /// `requestid` record expired. Adopt it if it carries our import id.
    async fn adopt_after_duplicate(&self, doc: &SalesDocument, e: Error) -> Result<LedgerRef> {
        match self.find_document(&doc.import_id).await? {
            Some(found) => {
                tracing::info!(order = %doc.order_id, at = %found.at, "document already in QuickBooks: adopted");
                Ok(found.at)
            }
            None => Err(e.context(format!("order {}", doc.order_id))),
        }
    }

    async fn write_update(
        &self,
        entity_name: &str,
        id: &str,
        build: impl Fn(&str) -> Result<Entity>,
        key: &str,
    ) -> Result<Envelope> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = self
                .api
                .read(&entity_name.to_ascii_lowercase(), Some(id))
                .await?;
            let sync = Entity::written(&current)
                .and_then(|w| w.sync_token)
                .ok_or_else(|| protocol(format!("{entity_name} {id} has no SyncToken")))?;
            let entity = build(&sync)?;
            match self.api.write(&entity, key, "update").await {
                Err(e) if is_stale(&e) && attempt < 2 => continue,
                other => return other,
            }
        }
    }
}

fn payment_with_marker(payments: Vec<wire::Payment>, key: &str) -> Option<LedgerRef> {
    payments
        .into_iter()
        .find(|p| has_marker(p.private_note.as_deref(), key))
        .and_then(|p| {
            let mut at = LedgerRef::new(p.id?);
            if let Some(v) = p.sync_token {
                at = at.with_version(v);
            }
            Some(at)
        })
}

fn envelope_forms(env: &Envelope) -> Vec<(DocumentKind, SalesForm)> {
    let mut out = Vec::new();
    if let Some(q) = &env.query_response {
        out.extend(
            q.invoice
                .iter()
                .cloned()
                .map(|f| (DocumentKind::Invoice, f)),
        );
        out.extend(
            q.sales_receipt
                .iter()
                .cloned()
                .map(|f| (DocumentKind::SalesReceipt, f)),
        );
    }
    out
}

#[async_trait]
impl Ledger for QboLedger {
    fn capabilities(&self) -> LedgerCapabilities {
        let mut caps = LedgerCapabilities::new(PLATFORM, self.company.home_currency);
        caps.document_kinds = vec![DocumentKind::Invoice, DocumentKind::SalesReceipt];
        caps.batch_size = BATCH_SIZE;
        caps.idempotency_keys = true;
        caps.max_doc_number_len = Some(mapping::MAX_DOC_NUMBER);
        caps.max_client_name_len = Some(MAX_DISPLAY_NAME);
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
        caps
    }

    async fn find_client(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        let customers = match key {
            ClientKey::ImportId(id) => self
                .marked("Customer", "Notes", id)
                .await?
                .customer
                .into_iter()
                .filter(|c| has_marker(c.notes.as_deref(), id))
                .collect::<Vec<_>>(),
            ClientKey::Email(e) => self
                .api
                .query(&select_eq("Customer", "PrimaryEmailAddr", e.trim()))
                .await?
                .customer
                .into_iter()
                .filter(|c| {
                    c.primary_email_addr
                        .as_ref()
                        .and_then(|a| a.address.as_deref())
                        .is_some_and(|a| a.trim().eq_ignore_ascii_case(e.trim()))
                })
                .collect(),
            ClientKey::DisplayName(n) => {
                self.api
                    .query(&select_eq("Customer", "DisplayName", n))
                    .await?
                    .customer
            }
        };
        let mut customers = customers;
        customers.sort_by_key(|c| {
            c.id.as_deref()
                .and_then(|i| i.parse::<u64>().ok())
                .unwrap_or(u64::MAX)
        });
        Ok(customers.into_iter().next().and_then(|c| {
            let id = c.id?;
            let mut at = LedgerRef::new(id);
            if let Some(s) = c.sync_token {
                at = at.with_version(s);
            }
            Some(ClientRef {
                at,
                display_name: c.display_name.unwrap_or_default(),
            })
        }))
    }

    async fn create_client(&self, client: &Client) -> Result<ClientRef> {
        let refs = Refs {
            multicurrency: self.company.multicurrency,
            ..Refs::new(self.company.style, self.company.home_currency)
        };
        let key = client
            .import_id
            .clone()
            .or_else(|| client.email.clone())
            .unwrap_or_else(|| client.display_name.clone());
        let mut last = None;
        for name in mapping::display_name_variants(client) {
            let customer = mapping::customer(client, &name, &refs);
            match self
                .api
                .write(
                    &Entity::Customer(customer),
                    &format!("client:{key}"),
                    "create",
                )
                .await
            {
                Ok(env) => {
                    let w = written(&env, "the customer creation")?;
                    let at = ledger_ref(&w)?;
                    return Ok(ClientRef {
                        at: LedgerRef { number: None, ..at },
                        display_name: w.number.unwrap_or(name),
                    });
                }
                Err(e) if is_duplicate_name(&e) => {
                    // Ours from an earlier attempt? Adopt it; else try the next variant.
                    if let Some(import_id) = &client.import_id {
                        let q = self
                            .api
                            .query(&format!(
                                "SELECT * FROM Customer WHERE DisplayName = {} AND Active IN (true, false)",
                                literal(&name)
                            ))
                            .await?;
                        if let Some(c) = q
                            .customer
                            .into_iter()
                            .find(|c| has_marker(c.notes.as_deref(), import_id))
                        {
                            if let Some(id) = c.id {
                                return Ok(ClientRef {
                                    at: LedgerRef::new(id),
                                    display_name: c.display_name.unwrap_or(name),
                                });
                            }
                        }
                    }
                    tracing::info!(name = %name, "display name taken in QuickBooks (6240): trying a variant");
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last
            .unwrap_or_else(|| Error::new(ErrorKind::Conflict, "no display name available"))
            .context(format!(
                "client `{}`: every display name variant is taken",
                client.display_name
            )))
    }

    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        let mut by_sku: HashMap<String, ItemRef> = HashMap::new();
        let mut by_name: HashMap<String, ItemRef> = HashMap::new();
        let skus: BTreeSet<&str> = keys
            .iter()
            .filter_map(|k| match k {
                ItemKey::Sku(s) => Some(s.as_str()),
                ItemKey::Name(_) => None,
            })
            .collect();
        let names: BTreeSet<&str> = keys
            .iter()
            .filter_map(|k| match k {
                ItemKey::Name(n) => Some(n.as_str()),
                ItemKey::Sku(_) => None,
            })
            .collect();
        for (field, values, into) in [("Sku", skus, &mut by_sku), ("Name", names, &mut by_name)] {
            let values: Vec<&str> = values.into_iter().collect();
            for chunk in values.chunks(BATCH_SIZE) {
                let q = self
                    .api
                    .query(&select_in("Item", field, chunk.iter().copied()))
                    .await?;
                for i in q.item {
                    let Some(id) = i.id.clone() else { continue };
                    let r = ItemRef {
                        at: LedgerRef::new(id),
                        name: i.name.clone().unwrap_or_default(),
                        sku: i.sku.clone().map(Sku::new),
                        tracks_inventory: i.track_qty_on_hand.unwrap_or(false)
                            || i.item_type.as_deref() == Some("Inventory"),
                    };
                    let k = if field == "Sku" { i.sku } else { i.name };
                    if let Some(k) = k {
                        into.entry(k.to_lowercase()).or_insert(r);
                    }
                }
            }
        }
        Ok(keys
            .iter()
            .map(|k| match k {
                ItemKey::Sku(s) => by_sku.get(&s.as_str().to_lowercase()).cloned(),
                ItemKey::Name(n) => by_name.get(&n.to_lowercase()).cloned(),
            })
            .collect())
    }

    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        let mut out = self.create_items(std::slice::from_ref(item)).await;
        out.pop()
            .unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no result for the item")))
    }

    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        let key = import_id.to_string();
        let mut found = Vec::new();
        for (kind, entity) in [
            (DocumentKind::Invoice, "Invoice"),
            (DocumentKind::SalesReceipt, "SalesReceipt"),
        ] {
            let r = self.marked(entity, "PrivateNote", &key).await?;
            let forms = match kind {
                DocumentKind::Invoice => r.invoice,
                _ => r.sales_receipt,
            };
            found.extend(forms.into_iter().map(|f| (kind, f)));
        }
        self.pick_document(import_id, found)
    }

    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        let refs = self.refs(&mapping::sales_refs_needed(doc)).await?;
        self.post_one_sales(doc, &refs).await
    }

    async fn update_sales_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        let refs = self.refs(&mapping::sales_refs_needed(doc)).await?;
        let form = mapping::sales_form(doc, &doc.client.id, &refs)?;
        let name = match doc.kind {
            DocumentKind::Invoice => "Invoice",
            DocumentKind::SalesReceipt => "SalesReceipt",
            DocumentKind::SalesOrder => return Err(Error::unsupported(PLATFORM, "sales orders")),
        };
        let env = self
            .write_update(
                name,
                &at.id,
                |sync| {
                    let mut f = form.clone();
                    f.id = Some(at.id.clone());
                    f.sync_token = Some(sync.to_string());
                    f.sparse = Some(false);
                    Self::sales_entity(doc, f)
                },
                &doc.import_id.to_string(),
            )
            .await
            .map_err(|e| e.context(format!("order {}", doc.order_id)))?;
        let w = written(&env, "the document update")?;
        Self::check_total(doc, &w);
        ledger_ref(&w)
    }

    /// Searches first (a receipt has no search in the engine's protocol: the connector keeps
    /// it exactly-once even after Intuit forgets the `requestid`), then writes.
    async fn post_receipt(&self, receipt: &ReceiptPosting) -> Result<LedgerRef> {
        if let Some(at) = self.find_receipt(receipt).await? {
            return Ok(at);
        }
        let refs = self.refs(&mapping::receipt_refs_needed(receipt)).await?;
        let payment = mapping::payment(receipt, &refs)?;
        let env = self
            .api
            .write(&Entity::Payment(payment), &receipt_key(receipt), "create")
            .await?;
        ledger_ref(&written(&env, "the payment creation")?)
    }

    async fn post_credit_memo(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        let refs = self.refs(&mapping::credit_refs_needed(memo)).await?;
        let form = mapping::credit_form(memo, &refs)?;
        let entity = match memo.kind {
            CreditKind::CreditMemo => Entity::CreditMemo(form),
            CreditKind::RefundReceipt => Entity::RefundReceipt(form),
        };
        let key = credit_key(&memo.import_id, &memo.refund_id);
        match self.api.write(&entity, &key, "create").await {
            Ok(env) => {
                let at = ledger_ref(&written(&env, "the credit creation")?)?;
                if let (CreditKind::CreditMemo, Some(invoice)) = (memo.kind, &memo.invoice) {
                    // Linked to the invoice the QBO way: a zero payment applying the credit
                    // to what is still open. A paid invoice keeps the credit on the customer.
                    if let Err(e) = self.apply_credit(memo, &at, invoice, &key).await {
                        tracing::warn!(refund = %memo.refund_id, error = %e, "credit memo posted but not applied to its invoice");
                    }
                }
                Ok(at)
            }
            Err(e) if is_duplicate_doc_number(&e) => {
                match self
                    .find_credit_memo(&memo.import_id, &RefundId::new(memo.refund_id.clone()))
                    .await?
                {
                    Some(at) => Ok(at),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn post_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        let refs = self.refs(&mapping::journal_refs_needed(entry)).await?;
        let je = mapping::journal(entry, &refs)?;
        match self
            .api
            .write(
                &Entity::JournalEntry(je),
                &journal_key(&entry.key),
                "create",
            )
            .await
        {
            Ok(env) => ledger_ref(&written(&env, "the journal creation")?),
            Err(e) if is_duplicate_doc_number(&e) => match self.find_journal(&entry.key).await? {
                Some(at) => Ok(at),
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    async fn find_credit_memo(
        &self,
        import_id: &ImportId,
        refund_id: &RefundId,
    ) -> Result<Option<LedgerRef>> {
        let key = credit_key(import_id, refund_id.as_str());
        for entity in ["CreditMemo", "RefundReceipt"] {
            let q = self.marked(entity, "PrivateNote", &key).await?;
            let forms = if entity == "CreditMemo" {
                q.credit_memo
            } else {
                q.refund_receipt
            };
            if let Some(f) = forms
                .into_iter()
                .find(|f| has_marker(f.private_note.as_deref(), &key))
            {
                if let Some(id) = f.id {
                    let mut at = LedgerRef::new(id);
                    if let Some(n) = f.doc_number {
                        at = at.with_number(n);
                    }
                    return Ok(Some(at));
                }
            }
        }
        Ok(None)
    }

    async fn find_journal(&self, key: &str) -> Result<Option<LedgerRef>> {
        let k = journal_key(key);
        let q = self.marked("JournalEntry", "PrivateNote", &k).await?;
        Ok(q.journal_entry
            .into_iter()
            .find(|j| has_marker(j.private_note.as_deref(), &k))
            .and_then(|j| {
                let mut at = LedgerRef::new(j.id?);
                if let Some(n) = j.doc_number {
                    at = at.with_number(n);
                }
                Some(at)
            }))
    }

    /// Invoices updated since the cursor that carry a tracking number (QBO keeps one shipment
    /// per invoice: `ShipDate`, `TrackingNum`, `ShipMethodRef`). The cursor is the last
    /// `MetaData.LastUpdatedTime` seen.
    async fn shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        let (forms, next) = self.changed_invoices(since).await?;
        let mut items = Vec::new();
        for f in forms {
            let (Some(id), Some(tracking)) = (f.id.clone(), f.tracking_num.clone()) else {
                continue;
            };
            if tracking.trim().is_empty() {
                continue;
            }
            let import_id = f
                .private_note
                .as_deref()
                .and_then(import_id_from_note)
                .and_then(|s| s.parse::<ImportId>().ok());
            let shipped_at = f
                .ship_date
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc());
            let mut document = LedgerRef::new(id.clone());
            if let Some(n) = &f.doc_number {
                document = document.with_number(n.clone());
            }
            items.push(LedgerShipment {
                at: LedgerRef::new(format!("{id}:{tracking}")),
                document,
                import_id,
                shipment: Shipment {
                    tracking_number: Some(tracking),
                    carrier: None,
                    ship_via: f
                        .ship_method_ref
                        .as_ref()
                        .map(|r| r.name.clone().unwrap_or_else(|| r.value.clone())),
                    comments: None,
                    lines: Vec::new(),
                    shipped_at,
                },
            });
        }
        Ok(Page::new(items, next))
    }

    /// Quantities on hand of every inventory item (QBO has one stock location: `warehouse` is
    /// not used). The cursor is a 1-based start position.
    async fn availability(&self, _warehouse: &str, since: &Cursor) -> Result<Page<InventoryLevel>> {
        const PAGE: u64 = 500;
        let start: u64 = if since.is_start() {
            1
        } else {
            since.0.parse().map_err(|_| {
                Error::new(
                    ErrorKind::Invalid,
                    format!("`{}` is not a QBO availability cursor", since.0),
                )
            })?
        };
        let q = self
            .api
            .query(&format!(
                "SELECT * FROM Item WHERE Type = 'Inventory' ORDERBY Id STARTPOSITION {start} MAXRESULTS {PAGE}"
            ))
            .await?;
        let n = q.item.len() as u64;
        let items = q
            .item
            .into_iter()
            .filter_map(|i| {
                Some(InventoryLevel {
                    sku: Sku::new(i.sku.filter(|s| !s.trim().is_empty())?),
                    available: i.qty_on_hand.unwrap_or_default(),
                })
            })
            .collect();
        Ok(Page::new(
            items,
            (n == PAGE).then(|| Cursor((start + PAGE).to_string())),
        ))
    }

    /// Invoices updated since the cursor, with a status of `Open`, `Partially paid` or `Paid`.
    async fn document_statuses(&self, since: &Cursor) -> Result<Page<DocumentStatus>> {
        let (forms, next) = self.changed_invoices(since).await?;
        let mut items = Vec::new();
        for f in forms {
            let Some(import_id) = f
                .private_note
                .as_deref()
                .and_then(import_id_from_note)
                .and_then(|s| s.parse::<ImportId>().ok())
            else {
                continue;
            };
            let changed_at = f
                .meta_data
                .as_ref()
                .and_then(|m| m.last_updated_time.as_deref())
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&chrono::Utc));
            let (Some(changed_at), Ok(doc)) = (
                changed_at,
                mapping::ledger_document(
                    &f,
                    DocumentKind::Invoice,
                    &import_id,
                    self.company.home_currency,
                ),
            ) else {
                continue;
            };
            items.push(DocumentStatus {
                at: doc.at,
                import_id: Some(import_id),
                status: doc.status.unwrap_or_default(),
                changed_at,
            });
        }
        Ok(Page::new(items, next))
    }

    /// Unsupported: QBO invoices have no settable workflow status.
    async fn set_document_status(&self, _at: &LedgerRef, _status: &str) -> Result<()> {
        Err(Error::unsupported(PLATFORM, "setting a document status"))
    }

    /// Unsupported: bcsync does not import QBO-originated orders (QBO has no sales orders).
    async fn new_orders(&self, _since: &Cursor) -> Result<Page<LedgerOrder>> {
        Err(Error::unsupported(PLATFORM, "ledger-originated orders"))
    }

    /// Unsupported, as [`Ledger::new_orders`].
    /// Up to 30 documents per `/batch` request, one result per document. Documents that cannot
    /// be mapped fail alone; a 6140 on our own number adopts the document found by import id.
    async fn post_sales_documents(&self, docs: &[SalesDocument]) -> Vec<Result<LedgerRef>> {
        let mut keys: Vec<RefKey> = docs.iter().flat_map(mapping::sales_refs_needed).collect();
        keys.sort();
        keys.dedup();
        let refs = match self.refs(&keys).await {
            Ok(r) => r,
            Err(e) => return docs.iter().map(|_| Err(clone_error(&e))).collect(),
        };
        let mut out: Vec<Option<Result<LedgerRef>>> = docs.iter().map(|_| None).collect();
        let mut pending: Vec<(usize, Value)> = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            let item = mapping::sales_form(doc, &doc.client.id, &refs)
                .and_then(|f| Self::sales_entity(doc, f))
                .and_then(|e| {
                    e.batch_item(&i.to_string(), "create").map_err(|e| {
                        Error::new(
                            ErrorKind::Internal,
                            format!("cannot encode the document: {e}"),
                        )
                    })
                });
            match item {
                Ok(v) => pending.push((i, v)),
                Err(e) => out[i] = Some(Err(e.context(format!("order {}", doc.order_id)))),
            }
        }
        for chunk in pending.chunks(BATCH_SIZE) {
            let items: Vec<Value> = chunk.iter().map(|(_, v)| v.clone()).collect();
            match self.api.batch(items).await {
                Ok(answers) => {
                    for (i, _) in chunk {
                        let doc = &docs[*i];
                        let r = match answers.get(&i.to_string()) {
                            None => Err(protocol(format!(
                                "order {}: the batch answer has no item {i}",
                                doc.order_id
                            ))),
                            Some(env) => match error_from_envelope(env, 200, "create document") {
                                Some(e) if is_duplicate_doc_number(&e) => {
                                    self.adopt_after_duplicate(doc, e).await
                                }
                                Some(e) => Err(e.context(format!("order {}", doc.order_id))),
                                None => written(env, "the batch item").and_then(|w| {
                                    Self::check_total(doc, &w);
                                    ledger_ref(&w)
                                }),
                            },
                        };
                        out[*i] = Some(r);
                    }
                }
                Err(e) => {
                    for (i, _) in chunk {
                        out[*i] = Some(Err(clone_error(&e)));
                    }
                }
            }
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no result"))))
            .collect()
    }

    /// Two queries per import id (invoices and sales receipts), 15 ids per `/batch` request.
    async fn find_documents(&self, ids: &[ImportId]) -> Vec<Result<Option<LedgerDocument>>> {
        let mut out: Vec<Result<Option<LedgerDocument>>> = Vec::with_capacity(ids.len());
        if !lock(&self.no_like).is_empty() {
            // LIKE refused: each search scans (see `marked`).
            for id in ids {
                out.push(self.find_document(id).await);
            }
            return out;
        }
        for chunk in ids.chunks(BATCH_SIZE / 2) {
            let mut items = Vec::new();
            for (n, id) in chunk.iter().enumerate() {
                for (k, (_, q)) in Self::document_queries(id).into_iter().enumerate() {
                    items.push(serde_json::json!({ "bId": format!("{n}-{k}"), "Query": q }));
                }
            }
            match self.api.batch(items).await {
                Ok(answers) => {
                    for (n, id) in chunk.iter().enumerate() {
                        let mut found = Vec::new();
                        let mut failed = None;
                        for k in 0..2 {
                            match answers.get(&format!("{n}-{k}")) {
                                Some(env) => match error_from_envelope(env, 200, "find document") {
                                    Some(e) => failed = Some(e),
                                    None => found.extend(envelope_forms(env)),
                                },
                                None => {
                                    failed = Some(protocol(format!(
                                        "{id}: the batch answer has no item {n}-{k}"
                                    )))
                                }
                            }
                        }
                        out.push(match failed {
                            Some(e) if e.kind() == ErrorKind::Invalid => {
                                self.find_document(id).await
                            }
                            Some(e) => Err(e),
                            None => self.pick_document(id, found),
                        });
                    }
                }
                Err(e) => out.extend(chunk.iter().map(|_| Err(clone_error(&e)))),
            }
        }
        out
    }

    /// Up to 30 items per `/batch` request; an item whose name is taken (6240) is adopted when
    /// an item of that name exists.
    async fn create_items(&self, items: &[NewItem]) -> Vec<Result<ItemRef>> {
        let mut keys: Vec<RefKey> = items.iter().flat_map(mapping::item_refs_needed).collect();
        keys.sort();
        keys.dedup();
        let refs = match self.refs(&keys).await {
            Ok(r) => r,
            Err(e) => return items.iter().map(|_| Err(clone_error(&e))).collect(),
        };
        let today = chrono::Utc::now().date_naive();
        let mut out: Vec<Option<Result<ItemRef>>> = items.iter().map(|_| None).collect();
        let mut pending = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match mapping::new_item(item, &refs, today).and_then(|w| {
                Entity::Item(w)
                    .batch_item(&i.to_string(), "create")
                    .map_err(|e| {
                        Error::new(ErrorKind::Internal, format!("cannot encode the item: {e}"))
                    })
            }) {
                Ok(v) => pending.push((i, v)),
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        for chunk in pending.chunks(BATCH_SIZE) {
            let batch: Vec<Value> = chunk.iter().map(|(_, v)| v.clone()).collect();
            match self.api.batch(batch).await {
                Ok(answers) => {
                    for (i, _) in chunk {
                        let item = &items[*i];
                        let r = match answers.get(&i.to_string()) {
                            None => Err(protocol(format!("item {}: no batch answer", item.sku))),
                            Some(env) => match error_from_envelope(env, 200, "create item") {
                                Some(e) if is_duplicate_name(&e) => {
                                    match self
                                        .find_items(&[ItemKey::Name(mapping::clean_name(
                                            &item.name,
                                            mapping::MAX_ITEM_NAME,
                                        ))])
                                        .await
                                    {
                                        Ok(mut v) => match v.pop().flatten() {
                                            Some(found) => Ok(found),
                                            None => Err(e.context(format!("item {}", item.sku))),
                                        },
                                        Err(e2) => Err(e2),
                                    }
                                }
                                Some(e) => Err(e.context(format!("item {}", item.sku))),
                                None => match env.item.as_ref() {
                                    Some(i) => match &i.id {
                                        Some(id) => Ok(ItemRef {
                                            at: LedgerRef::new(id.clone()),
                                            name: i.name.clone().unwrap_or_default(),
                                            sku: i.sku.clone().map(Sku::new),
                                            tracks_inventory: i.track_qty_on_hand.unwrap_or(false),
                                        }),
                                        None => Err(protocol(format!(
                                            "item {}: created without an Id",
                                            item.sku
                                        ))),
                                    },
                                    None => Err(protocol(format!(
                                        "item {}: the answer has no Item",
                                        item.sku
                                    ))),
                                },
                            },
                        };
                        out[*i] = Some(r);
                    }
                }
                Err(e) => {
                    for (i, _) in chunk {
                        out[*i] = Some(Err(clone_error(&e)));
                    }
                }
            }
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no result"))))
            .collect()
    }

    /// Up to 30 payments per `/batch` request.
    async fn post_receipts(&self, receipts: &[ReceiptPosting]) -> Vec<Result<LedgerRef>> {
        let mut keys: Vec<RefKey> = receipts
            .iter()
            .flat_map(mapping::receipt_refs_needed)
            .collect();
        keys.sort();
        keys.dedup();
        let refs = match self.refs(&keys).await {
            Ok(r) => r,
            Err(e) => return receipts.iter().map(|_| Err(clone_error(&e))).collect(),
        };
        let mut out: Vec<Option<Result<LedgerRef>>> = receipts.iter().map(|_| None).collect();
        // Receipts already recorded are adopted, not posted again.
        for (i, found) in self.find_receipts(receipts).await.into_iter().enumerate() {
            match found {
                Ok(Some(at)) => out[i] = Some(Ok(at)),
                Ok(None) => {}
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        let mut pending = Vec::new();
        for (i, r) in receipts.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            match mapping::payment(r, &refs).and_then(|p| {
                Entity::Payment(p)
                    .batch_item(&i.to_string(), "create")
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::Internal,
                            format!("cannot encode the payment: {e}"),
                        )
                    })
            }) {
                Ok(v) => pending.push((i, v)),
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        for chunk in pending.chunks(BATCH_SIZE) {
            let batch: Vec<Value> = chunk.iter().map(|(_, v)| v.clone()).collect();
            match self.api.batch(batch).await {
                Ok(answers) => {
                    for (i, _) in chunk {
                        let r = match answers.get(&i.to_string()) {
                            None => Err(protocol(format!(
                                "receipt {}: no batch answer",
                                receipt_key(&receipts[*i])
                            ))),
                            Some(env) => match error_from_envelope(env, 200, "create payment") {
                                Some(e) => {
                                    Err(e
                                        .context(format!("receipt {}", receipt_key(&receipts[*i]))))
                                }
                                None => written(env, "the batch item").and_then(|w| ledger_ref(&w)),
                            },
                        };
                        out[*i] = Some(r);
                    }
                }
                Err(e) => {
                    for (i, _) in chunk {
                        out[*i] = Some(Err(clone_error(&e)));
                    }
                }
            }
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no result"))))
            .collect()
    }
}

impl QboLedger {
    async fn changed_invoices(&self, since: &Cursor) -> Result<(Vec<SalesForm>, Option<Cursor>)> {
        let mut q = String::from("SELECT * FROM Invoice");
        if !since.is_start() {
            q.push_str(&format!(
                " WHERE MetaData.LastUpdatedTime >= {}",
                literal(&since.0)
            ));
        }
        q.push_str(" ORDERBY MetaData.LastUpdatedTime MAXRESULTS 1000");
        let forms = self.api.query(&q).await?.invoice;
        let last = forms
            .iter()
            .filter_map(|f| f.meta_data.as_ref()?.last_updated_time.clone())
            .max();
        let next = match last {
            Some(t) => Some(Cursor(t)),
            None => Some(since.clone()),
        };
        Ok((forms, next))
    }
}

/// The import id in a note written by bcsync (`[bcsync:BC11001] …`), for sales documents.
fn import_id_from_note(note: &str) -> Option<&str> {
    let rest = note.strip_prefix("[bcsync:")?;
    let id = match rest.find("] ") {
        Some(end) => &rest[..end],
        None => rest.strip_suffix(']')?,
    };
    (!id.contains('#') && has_marker(Some(note), id)).then_some(id)
}
