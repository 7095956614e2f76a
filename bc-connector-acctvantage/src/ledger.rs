//! `bc_core::Ledger` for the ERP.

use bc_core::{
    async_trait, Address, Client, ClientKey, ClientRef, CreditMemo, Cursor, CustomerId, Decimal,
    DocumentKind, DocumentStatus, ErrorKind, ImportId, InventoryLevel, ItemKey, ItemRef, ItemType,
    JournalEntry, Ledger, LedgerCapabilities, LedgerDocument, LedgerOrder, LedgerRef,
    LedgerShipment, NewItem, NewOrder, NewOrderLine, OrderId, Page, ReceiptPosting, RefundId,
    Result, SalesDocument, Shipment, ShipmentLine, Sku, StatusId, TaxModel,
};

use crate::clients;
use crate::credit;
use crate::db::{cursor, db_err, dec, err, get, next, Conn, PAGE_SIZE, PLATFORM};
use crate::erp::{
    class_accounts, ensure_warehouse, insert_product, resolve_account, Erp, NewProduct,
};
use crate::gl;
use crate::sales::{self, find_by_import_id, head, load_head, row_import_id, HEAD_COLS};
use crate::schema::{accounts, DEFAULT_PRODUCT_CLASS};

/// A page of a change feed: `next` is the position after the last item while items come,
/// `None` once there is nothing new (the caller keeps the last `next` it saw).
fn feed<T>(items: Vec<T>, last: Option<i64>) -> Page<T> {
    Page::new(items, last.map(|s| Cursor(s.to_string())))
}

fn parse_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

async fn find_items(c: &mut Conn, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let (sql, v) = match k {
            ItemKey::Sku(s) => (
                "SELECT id, sku, name, tracks_inventory FROM products WHERE sku = ?",
                s.as_str(),
            ),
            ItemKey::Name(n) => (
                "SELECT id, sku, name, tracks_inventory FROM products WHERE name = ?",
                n.as_str(),
            ),
        };
        let row = sqlx::query(sql)
            .bind(v)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err("find item"))?;
        out.push(
            row.map(|r| {
                let id: i64 = get(&r, "id")?;
                let sku: String = get(&r, "sku")?;
                Ok(ItemRef {
                    at: LedgerRef::new(id.to_string()).with_number(sku.clone()),
                    name: get(&r, "name")?,
                    sku: Some(Sku::new(sku)),
                    tracks_inventory: get::<i64>(&r, "tracks_inventory")? != 0,
                })
            })
            .transpose()?,
        );
    }
    Ok(out)
}

/// The product class of a created item: the one named, else one with the same accounts,
/// else a new class named after its income account.
async fn class_for(c: &mut Conn, item: &NewItem) -> Result<String> {
    let income = resolve_account(c, &item.income_account).await?;
    let cogs = match &item.cogs_account {
        Some(a) => resolve_account(c, a).await?,
        None => accounts::COGS.to_string(),
    };
    let inv = match &item.asset_account {
        Some(a) => resolve_account(c, a).await?,
        None => accounts::INVENTORY.to_string(),
    };
    if let Some(class) = &item.product_class {
        if class_accounts(c, class).await.is_err() {
            sqlx::query(
                "INSERT INTO product_classes(code, income_account, cogs_account, inventory_account) VALUES (?, ?, ?, ?)",
            )
            .bind(class)
            .bind(&income)
            .bind(&cogs)
            .bind(&inv)
            .execute(&mut *c)
            .await
            .map_err(db_err("create product class"))?;
        }
        return Ok(class.clone());
    }
    let row = sqlx::query(
        "SELECT code FROM product_classes WHERE income_account = ? AND cogs_account = ? AND inventory_account = ?
         ORDER BY code = ? DESC, code LIMIT 1",
    )
    .bind(&income)
    .bind(&cogs)
    .bind(&inv)
    .bind(DEFAULT_PRODUCT_CLASS)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err("find product class"))?;
    if let Some(r) = row {
        return get(&r, "code");
    }
    let code = format!("AUTO-{income}-{cogs}-{inv}");
    sqlx::query(
        "INSERT INTO product_classes(code, income_account, cogs_account, inventory_account) VALUES (?, ?, ?, ?)",
    )
    .bind(&code)
    .bind(&income)
    .bind(&cogs)
    .bind(&inv)
    .execute(&mut *c)
    .await
    .map_err(db_err("create product class"))?;
    Ok(code)
}

#[async_trait]
impl Ledger for Erp {
    fn capabilities(&self) -> LedgerCapabilities {
        let mut caps = LedgerCapabilities::new(PLATFORM, self.options.home_currency);
        caps.document_kinds = vec![
            DocumentKind::SalesOrder,
            DocumentKind::Invoice,
            DocumentKind::SalesReceipt,
        ];
        caps.batch_size = 500;
        caps.idempotency_keys = false;
        caps.max_doc_number_len = Some(30);
        caps.max_client_name_len = Some(clients::MAX_NAME);
        caps.currencies = self.options.currencies.clone();
        caps.tax_model = TaxModel::Document;
        caps.precision_override = None;
        caps.create_items = true;
        caps.credit_memos = true;
        caps.journals = true;
        caps.shipments = true;
        caps.availability = true;
        caps.document_statuses = true;
        caps.set_document_status = true;
        caps.new_orders = true;
        caps.find_receipts = true;
        caps
    }

    async fn find_client(&self, key: &ClientKey) -> Result<Option<ClientRef>> {
        let mut c = self.read().await?;
        clients::find_client(&mut c, key).await
    }

    async fn create_client(&self, client: &Client) -> Result<ClientRef> {
        let mut w = self.write().await?;
        let r = clients::create_client(w.conn(), client).await?;
        w.commit().await?;
        Ok(r)
    }

    async fn find_items(&self, keys: &[ItemKey]) -> Result<Vec<Option<ItemRef>>> {
        let mut c = self.read().await?;
        find_items(&mut c, keys).await
    }

    async fn create_item(&self, item: &NewItem) -> Result<ItemRef> {
        let mut w = self.write().await?;
        let class = class_for(w.conn(), item).await?;
        let r = insert_product(
            w.conn(),
            &NewProduct {
                sku: item.sku.to_string(),
                name: item.name.clone(),
                product_class: Some(class.clone()),
                tracks_inventory: item.item_type == ItemType::Inventory,
                unit_price: item.unit_price.unwrap_or(Decimal::ZERO),
                unit_cost: Decimal::ZERO,
            },
            &class,
        )
        .await?;
        w.commit().await?;
        Ok(r)
    }

    async fn find_document(&self, import_id: &ImportId) -> Result<Option<LedgerDocument>> {
        let mut c = self.read().await?;
        find_by_import_id(&mut c, &import_id.to_string())
            .await?
            .map(|h| h.document())
            .transpose()
    }

    async fn post_sales_document(&self, doc: &SalesDocument) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let r = sales::insert_document(w.conn(), &self.options, &mut sales::Cache::default(), doc)
            .await?;
        w.commit().await?;
        Ok(r)
    }

    /// One transaction for the whole batch; each document in its own savepoint, so that one
    /// refused document does not undo the others.
    async fn post_sales_documents(&self, docs: &[SalesDocument]) -> Vec<Result<LedgerRef>> {
        let mut w = match self.write().await {
            Ok(w) => w,
            Err(e) => return unavailable_for_each(docs.len(), &e),
        };
        let mut out = Vec::with_capacity(docs.len());
        let mut cache = sales::Cache::default();
        for doc in docs {
            let c = w.conn();
            if let Err(e) = sqlx::query("SAVEPOINT doc").execute(&mut *c).await {
                out.push(Err(db_err("savepoint")(e)));
                continue;
            }
            let r = sales::insert_document(c, &self.options, &mut cache, doc).await;
            if r.is_err() {
                cache.clear();
                if let Err(e) = sqlx::query("ROLLBACK TO doc").execute(&mut *c).await {
                    out.push(Err(db_err("savepoint")(e)));
                    continue;
                }
            }
            if let Err(e) = sqlx::query("RELEASE doc").execute(&mut *c).await {
                out.push(Err(db_err("savepoint")(e)));
                continue;
            }
            out.push(r);
        }
        if let Err(e) = w.commit().await {
            let msg = e.to_string();
            return docs
                .iter()
                .map(|_| {
                    Err(err(
                        ErrorKind::OutcomeUnknown,
                        format!("the batch could not be committed: {msg}"),
                    ))
                })
                .collect();
        }
        out
    }

    async fn find_documents(&self, ids: &[ImportId]) -> Vec<Result<Option<LedgerDocument>>> {
        let mut c = match self.read().await {
            Ok(c) => c,
            Err(e) => return unavailable_for_each(ids.len(), &e),
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(
                find_by_import_id(&mut c, &id.to_string())
                    .await
                    .and_then(|h| h.map(|h| h.document()).transpose()),
            );
        }
        out
    }

    async fn update_sales_document(
        &self,
        at: &LedgerRef,
        doc: &SalesDocument,
    ) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let r = sales::update_document(
            w.conn(),
            &self.options,
            &mut sales::Cache::default(),
            at,
            doc,
        )
        .await?;
        w.commit().await?;
        Ok(r)
    }

    async fn post_receipt(&self, receipt: &ReceiptPosting) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let r = sales::post_receipt(w.conn(), &self.options, receipt).await?;
        w.commit().await?;
        Ok(r)
    }

    async fn find_receipt(&self, receipt: &ReceiptPosting) -> Result<Option<LedgerRef>> {
        let mut c = self.read().await?;
        sales::find_receipt(&mut c, receipt).await
    }

    async fn post_credit_memo(&self, memo: &CreditMemo) -> Result<LedgerRef> {
        let mut w = self.write().await?;
        let r = credit::post_credit_memo(w.conn(), &self.options, memo).await?;
        w.commit().await?;
        Ok(r)
    }

    async fn post_journal(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        self.post_journal_entry(entry).await
    }

    async fn find_credit_memo(
        &self,
        import_id: &ImportId,
        refund_id: &RefundId,
    ) -> Result<Option<LedgerRef>> {
        let mut c = self.read().await?;
        credit::find_credit_memo(&mut c, &import_id.to_string(), refund_id.as_str()).await
    }

    async fn find_journal(&self, key: &str) -> Result<Option<LedgerRef>> {
        let mut c = self.read().await?;
        gl::find_journal(&mut c, key).await
    }

    async fn shipments(&self, since: &Cursor) -> Result<Page<LedgerShipment>> {
        let from = cursor(since)?;
        let mut c = self.read().await?;
        let rows = sqlx::query(
            "SELECT s.id, s.number, s.tracking, s.carrier, s.ship_via, s.comments, s.shipped_at,
                    o.id AS order_id, o.number AS order_number, o.version, o.import_id
             FROM shipments s JOIN sales_orders o ON o.id = s.order_id
             WHERE s.id > ? ORDER BY s.id LIMIT ?",
        )
        .bind(from)
        .bind(PAGE_SIZE)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("list shipments"))?;
        let mut out = Vec::with_capacity(rows.len());
        let mut last = None;
        for r in &rows {
            let id: i64 = get(r, "id")?;
            last = Some(id);
            let lines = sqlx::query(
                "SELECT line_id, sku, quantity FROM shipment_lines WHERE shipment_id = ? ORDER BY line_no",
            )
            .bind(id)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err("list shipment lines"))?;
            let order_id: i64 = get(r, "order_id")?;
            let version: i64 = get(r, "version")?;
            out.push(LedgerShipment {
                at: LedgerRef::new(id.to_string()).with_number(get::<String>(r, "number")?),
                document: LedgerRef::new(order_id.to_string())
                    .with_number(get::<String>(r, "order_number")?)
                    .with_version(version.to_string()),
                import_id: row_import_id(r),
                shipment: Shipment {
                    tracking_number: get(r, "tracking")?,
                    carrier: get(r, "carrier")?,
                    ship_via: get(r, "ship_via")?,
                    comments: get(r, "comments")?,
                    lines: lines
                        .iter()
                        .map(|l| {
                            Ok(ShipmentLine {
                                line_id: get(l, "line_id")?,
                                sku: get::<Option<String>>(l, "sku")?.map(Sku::new),
                                quantity: dec(l, "quantity")?,
                            })
                        })
                        .collect::<Result<_>>()?,
                    shipped_at: parse_date(&get::<String>(r, "shipped_at")?),
                },
            });
        }
        Ok(feed(out, last))
    }

    /// Available = on hand − committed, never below zero, for tracked products whose stock
    /// changed in `warehouse` since the cursor.
    async fn availability(&self, warehouse: &str, since: &Cursor) -> Result<Page<InventoryLevel>> {
        let from = cursor(since)?;
        let mut c = self.read().await?;
        ensure_warehouse(&mut c, warehouse).await?;
        let rows = sqlx::query(
            "SELECT s.seq, p.sku, s.on_hand, s.committed FROM stock s JOIN products p ON p.id = s.product_id
             WHERE s.warehouse = ? AND s.seq > ? AND p.tracks_inventory = 1 ORDER BY s.seq LIMIT ?",
        )
        .bind(warehouse)
        .bind(from)
        .bind(PAGE_SIZE)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("list availability"))?;
        let mut out = Vec::with_capacity(rows.len());
        let mut last = None;
        for r in &rows {
            last = Some(get::<i64>(r, "seq")?);
            out.push(InventoryLevel {
                sku: Sku::new(get::<String>(r, "sku")?),
                available: (dec(r, "on_hand")? - dec(r, "committed")?).max(Decimal::ZERO),
            });
        }
        Ok(feed(out, last))
    }

    /// Status changes made after import (the status an order is imported with is not a
    /// change).
    async fn document_statuses(&self, since: &Cursor) -> Result<Page<DocumentStatus>> {
        let from = cursor(since)?;
        let mut c = self.read().await?;
        let rows = sqlx::query(&format!(
            "SELECT {HEAD_COLS}, status_seq, status_changed_at FROM sales_orders
             WHERE status_seq > ? ORDER BY status_seq LIMIT ?"
        ))
        .bind(from)
        .bind(PAGE_SIZE)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("list status changes"))?;
        let mut out = Vec::with_capacity(rows.len());
        let mut last = None;
        for r in &rows {
            last = Some(get::<i64>(r, "status_seq")?);
            let h = head(r)?;
            out.push(DocumentStatus {
                at: h.at(),
                import_id: h.import_id(),
                status: h.status.to_string(),
                changed_at: parse_date(&get::<String>(r, "status_changed_at")?)
                    .unwrap_or_else(chrono::Utc::now),
            });
        }
        Ok(feed(out, last))
    }

    /// Refuses `Posted`/`Completed` (posting happens only in the ERP, T2) and the shipped
    /// statuses (they follow from shipments).
    async fn set_document_status(&self, at: &LedgerRef, status: &str) -> Result<()> {
        let mut w = self.write().await?;
        sales::set_status(w.conn(), at, status, false).await?;
        w.commit().await
    }

    /// Orders entered in the ERP, not yet linked to a storefront order, changed since the
    /// cursor (a payment that clears the balance brings an order back).
    async fn new_orders(&self, since: &Cursor) -> Result<Page<LedgerOrder>> {
        let from = cursor(since)?;
        let mut c = self.read().await?;
        let rows = sqlx::query(&format!(
            "SELECT {HEAD_COLS}, seq, billing, shipping FROM sales_orders
             WHERE origin = 'erp' AND storefront_order IS NULL AND status != 'Cancelled' AND seq > ?
             ORDER BY seq LIMIT ?"
        ))
        .bind(from)
        .bind(PAGE_SIZE)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err("list ERP orders"))?;
        let mut out = Vec::with_capacity(rows.len());
        let mut last = None;
        for r in &rows {
            last = Some(get::<i64>(r, "seq")?);
            let h = head(r)?;
            let client = sqlx::query(
                "SELECT display_name, company, email, phone, import_id, storefront_customer, billing, shipping
                 FROM clients WHERE id = ?",
            )
            .bind(h.client_id)
            .fetch_one(&mut *c)
            .await
            .map_err(db_err("read client"))?;
            let addr = |json: Option<String>| -> Option<Address> {
                json.and_then(|j| serde_json::from_str(&j).ok())
            };
            let name: String = get(&client, "display_name")?;
            let fallback = Address {
                first_name: name.clone(),
                company: get(&client, "company")?,
                email: get(&client, "email")?,
                phone: get(&client, "phone")?,
                ..Address::default()
            };
            let billing = addr(get(r, "billing")?)
                .or_else(|| addr(get(&client, "billing").ok().flatten()))
                .unwrap_or(fallback);
            let shipping = addr(get(r, "shipping")?)
                .or_else(|| addr(get(&client, "shipping").ok().flatten()))
                .unwrap_or_else(|| billing.clone());
            let customer = get::<Option<String>>(&client, "storefront_customer")?
                .or(get::<Option<String>>(&client, "import_id")?)
                .map(CustomerId::new);
            let lines = sqlx::query(
                "SELECT kind, sku, description, quantity, unit_price, amount FROM sales_lines WHERE order_id = ? ORDER BY line_no",
            )
            .bind(h.id)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err("read sales lines"))?;
            let mut order_lines = Vec::new();
            let mut shipping_ex_tax = Decimal::ZERO;
            for l in &lines {
                match get::<String>(l, "kind")?.as_str() {
                    "item" => order_lines.push(NewOrderLine {
                        sku: Sku::new(get::<Option<String>>(l, "sku")?.unwrap_or_default()),
                        name: get(l, "description")?,
                        quantity: dec(l, "quantity")?,
                        unit_price_ex_tax: dec(l, "unit_price")?,
                    }),
                    "shipping" => shipping_ex_tax += dec(l, "amount")?,
                    _ => {}
                }
            }
            let paid = sales::captured_total(&mut c, h.id).await?;
            out.push(LedgerOrder {
                at: h.at(),
                order: NewOrder {
                    ledger_number: h.number.clone(),
                    customer_id: customer,
                    billing,
                    shipping,
                    shipping_method: h.ship_via.clone(),
                    lines: order_lines,
                    shipping_ex_tax,
                    status: StatusId::new(h.status.as_str()),
                    currency: h.currency,
                    staff_notes: Some(format!("AcctVantage sales order {}", h.number)),
                },
                unpaid_balance: (h.balance_due - paid).max(Decimal::ZERO),
                storefront_order: h.storefront_order.clone().map(OrderId::new),
            });
        }
        Ok(feed(out, last))
    }

    async fn link_storefront_order(
        &self,
        at: &LedgerRef,
        storefront_order: &OrderId,
    ) -> Result<()> {
        let storefront_order = storefront_order.as_str();
        let mut w = self.write().await?;
        let c = w.conn();
        let h = load_head(c, at).await?;
        if let Some(existing) = &h.storefront_order {
            if existing == storefront_order {
                return Ok(());
            }
            return Err(err(
                ErrorKind::Conflict,
                format!(
                    "sales order {} is already linked to storefront order {existing}",
                    h.number
                ),
            ));
        }
        let import_id = match (&h.import_id, self.options.import_source_code) {
            (None, Some(code)) => {
                let id = ImportId::new(code, OrderId::new(storefront_order))?.to_string();
                if let Some(other) = find_by_import_id(c, &id).await? {
                    return Err(err(
                        ErrorKind::Conflict,
                        format!("import id {id} is already on sales order {}", other.number),
                    ));
                }
                Some(id)
            }
            (existing, _) => existing.clone(),
        };
        let seq = next(c, "seq").await?;
        sqlx::query(
            "UPDATE sales_orders SET storefront_order = ?, import_id = ?, seq = ? WHERE id = ?",
        )
        .bind(storefront_order)
        .bind(import_id)
        .bind(seq)
        .bind(h.id)
        .execute(&mut *c)
        .await
        .map_err(db_err("link storefront order"))?;
        w.commit().await
    }

    async fn documents_total(&self, import_ids: &[ImportId]) -> Result<Decimal> {
        let mut c = self.read().await?;
        let mut total = Decimal::ZERO;
        for id in import_ids {
            let row = sqlx::query("SELECT total FROM sales_orders WHERE import_id = ?")
                .bind(id.to_string())
                .fetch_optional(&mut *c)
                .await
                .map_err(db_err("total documents"))?;
            if let Some(r) = row {
                total += dec(&r, "total")?;
            }
        }
        Ok(total)
    }
}

/// The same temporary "database unavailable" error for each of `n` batch items.
fn unavailable_for_each<T>(n: usize, e: &bc_core::Error) -> Vec<Result<T>> {
    let msg = e.to_string();
    (0..n)
        .map(|_| Err(err(ErrorKind::Unavailable, msg.clone()).with_temporary(true)))
        .collect()
}
