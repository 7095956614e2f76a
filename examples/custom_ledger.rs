//! A ledger of your own: every write appended to a CSV file, configured from the settings file
//! through the registry (`[ledger] platform = "csv"`, `dir = "…"`), passing the Ledger
//! conformance suite. Run with `cargo run --example custom_ledger`.
//!
//! It keeps its search indexes in memory (a real ledger searches its own store); every write
//! carries the import id (documents), the `(import id, sequence)` key (receipts), so that
//! `find_document` and `find_receipt` find it again after a lost answer.
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bcsync::core::document::{LedgerDocument, Receipt, SalesDocument};
use bcsync::core::settings::PlatformSettings;
use bcsync::core::{
    Client, ClientKey, ClientRef, Currency, Error, ImportId, ItemKey, ItemRef, Ledger,
    LedgerCapabilities, LedgerRef, NewItem, Result,
};
use serde::Deserialize;

/// The `[ledger]` keys of `platform = "csv"`; unknown keys are refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvConfig {
    /// The folder the CSV files are written to (relative: to the settings file's folder).
    pub dir: String,
    /// The books' currency (default USD).
    #[serde(default)]
    pub currency: Option<Currency>,
    /// Other currencies documents may be in.
    #[serde(default)]
    pub currencies: Vec<Currency>,
}

#[derive(Default)]
struct Books {
    clients: Vec<ClientRef>,
    client_keys: HashMap<String, usize>,
    items: Vec<ItemRef>,
    documents: HashMap<String, LedgerDocument>,
    receipts: HashMap<(String, u32), LedgerRef>,
}

/// A ledger writing `clients.csv`, `items.csv`, `documents.csv` and `receipts.csv`.
pub struct CsvLedger {
    dir: PathBuf,
    currency: Currency,
    currencies: Vec<Currency>,
    books: Mutex<Books>,
}

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl CsvLedger {
    /// Opens (creates) the folder.
    pub fn open(dir: impl Into<PathBuf>, currency: Currency) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::config("ledger.dir", format!("`{}`: {e}", dir.display())))?;
        Ok(CsvLedger {
            dir,
            currency,
            currencies: Vec::new(),
            books: Mutex::new(Books::default()),
        })
    }

    /// The registry's constructor: reads `CsvConfig` from the `[ledger]` section.
    pub fn from_section(section: &PlatformSettings, base: &std::path::Path) -> Result<Self> {
        section.expect_platform("csv")?;
        let c: CsvConfig = section.parse()?;
        let dir = PathBuf::from(&c.dir);
        let dir = if dir.is_absolute() {
            dir
        } else {
            base.join(dir)
        };
        let mut ledger = CsvLedger::open(dir, c.currency.unwrap_or(Currency::USD))?;
        ledger.currencies = c.currencies;
        Ok(ledger)
    }

    fn append(&self, file: &str, fields: &[&str]) -> Result<()> {
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(file))
            .map_err(|e| Error::new(bcsync::core::ErrorKind::Internal, format!("{file}: {e}")))?;
        writeln!(f, "{}", line.join(","))
            .map_err(|e| Error::new(bcsync::core::ErrorKind::Internal, format!("{file}: {e}")))
    }

    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn client_key(k: &ClientKey) -> Option<String> {
    match k {
        ClientKey::ImportId(s) => Some(format!("id:{s}")),
        ClientKey::Email(s) => Some(format!("email:{}", s.to_lowercase())),
        ClientKey::DisplayName(s) => Some(format!("name:{s}")),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

#[async_trait]
impl Ledger for CsvLedger {
    fn capabilities(&self) -> LedgerCapabilities {
        let mut caps = LedgerCapabilities::new("csv", self.currency);
        caps.create_items = true;
        caps.find_receipts = true;
        caps.currencies = self.currencies.clone();
        caps
    }

    async fn find_client(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        let b = self.books();
        Ok(client_key(key)
            .and_then(|k| b.client_keys.get(&k))
            .map(|&i| b.clients[i].clone()))
    }

    async fn create_client(&self, client: &Client) -> Result<ClientRef> {
        let mut b = self.books();
        let n = b.clients.len() + 1;
        // A second client with the same name gets a stable variant ("Name (2)").
        let mut name = client.display_name.clone();
        if b.client_keys.contains_key(&format!("name:{name}")) {
            name = format!("{name} ({n})");
        }
        let r = ClientRef {
            at: LedgerRef::new(format!("C{n}")),
            display_name: name.clone(),
        };
        let email = client.email.clone().unwrap_or_default();
        self.append(
            "clients.csv",
            &[
                &r.at.id,
                &name,
                &email,
                client.import_id.as_deref().unwrap_or(""),
            ],
        )?;
        b.clients.push(r.clone());
        let mut keys = vec![format!("name:{name}")];
        keys.extend(client.import_id.as_ref().map(|i| format!("id:{i}")));
        keys.extend(
            client
                .email
                .as_ref()
                .map(|e| format!("email:{}", e.to_lowercase())),
        );
        for k in keys {
            b.client_keys.entry(k).or_insert(n - 1);
        }
        Ok(r)
    }

    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        let b = self.books();
        Ok(keys
            .iter()
            .map(|k| {
                b.items
                    .iter()
                    .find(|i| match k {
                        ItemKey::Sku(s) => i.sku.as_ref() == Some(s),
                        ItemKey::Name(n) => &i.name == n,
                        #[allow(unreachable_patterns)]
                        _ => false,
                    })
                    .cloned()
            })
            .collect())
    }

    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        let mut b = self.books();
        let r = ItemRef {
            at: LedgerRef::new(format!("I{}", b.items.len() + 1)),
            name: item.name.clone(),
            sku: Some(item.sku.clone()),
            tracks_inventory: false,
        };
        self.append(
            "items.csv",
            &[
                &r.at.id,
                item.sku.as_str(),
                &item.name,
                &item.income_account,
            ],
        )?;
        b.items.push(r.clone());
        Ok(r)
    }

    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        Ok(self.books().documents.get(&import_id.to_string()).cloned())
    }

    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        let mut b = self.books();
        let key = doc.import_id.to_string();
        if b.documents.contains_key(&key) {
            return Err(Error::new(
                bcsync::core::ErrorKind::Conflict,
                format!("{key} is already posted"),
            ));
        }
        let at = LedgerRef::new(format!("D{}", b.documents.len() + 1));
        let total = doc.total();
        self.append(
            "documents.csv",
            &[
                &at.id,
                &key,
                &doc.client.id,
                &total.to_string(),
                doc.currency.code(),
            ],
        )?;
        b.documents.insert(
            key,
            LedgerDocument {
                at: at.clone(),
                kind: doc.kind,
                import_id: doc.import_id.clone(),
                total,
                currency: doc.currency,
                editable: false,
                status: None,
            },
        );
        Ok(at)
    }

    async fn post_receipt(&self, receipt: &Receipt) -> Result<LedgerRef> {
        let mut b = self.books();
        let key = (receipt.import_id.to_string(), receipt.sequence);
        if let Some(at) = b.receipts.get(&key) {
            return Ok(at.clone()); // the same receipt again: exactly once
        }
        let at = LedgerRef::new(format!("R{}", b.receipts.len() + 1));
        self.append(
            "receipts.csv",
            &[
                &at.id,
                &key.0,
                &key.1.to_string(),
                &receipt.document.id,
                &receipt.amount.to_string(),
            ],
        )?;
        b.receipts.insert(key, at.clone());
        Ok(at)
    }

    async fn find_receipt(&self, receipt: &Receipt) -> Result<Option<LedgerRef>> {
        let key = (receipt.import_id.to_string(), receipt.sequence);
        Ok(self.books().receipts.get(&key).cloned())
    }
}

/// Registers `platform = "csv"` in `registry`.
pub fn register(registry: &mut bcsync::Registry) {
    registry.register_ledger("csv", |section, ctx: bcsync::ConnectContext| async move {
        let ledger = CsvLedger::from_section(&section, &ctx.base_dir)?;
        Ok(Arc::new(ledger) as Arc<dyn Ledger>)
    });
}

#[tokio::main]
#[cfg_attr(test, allow(dead_code))]
async fn main() -> std::result::Result<(), String> {
    let dir = std::env::temp_dir().join(format!("bcsync-csv-{}", std::process::id()));
    let ledger = CsvLedger::open(&dir, Currency::USD).map_err(|e| e.to_string())?;
    let fixture = bcsync::core::testkit::ledger::LedgerFixture::default();
    bcsync::core::testkit::ledger::run_all(&ledger, &fixture).await?;
    println!(
        "the CSV ledger passes the conformance suite; files in {}",
        dir.display()
    );
    Ok(())
}

#[tokio::test]
async fn the_csv_ledger_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = CsvLedger::open(dir.path(), Currency::USD).unwrap();
    let fixture = bcsync::core::testkit::ledger::LedgerFixture::default();
    bcsync::core::testkit::ledger::run_all(&ledger, &fixture)
        .await
        .expect("conformance");
    let docs = std::fs::read_to_string(dir.path().join("documents.csv")).unwrap();
    assert!(docs.lines().count() >= 4, "{docs}");
}
