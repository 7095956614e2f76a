//! Writing sales documents and credit memos in `$batch`es, exactly once.
//!
//! For a list of mapped documents ([`Planned`]):
//! 1. find what exists by `externalDocumentNumber` (one read-only batch);
//! 2. give customers the tax area the lines need (one batch of reads, patches when needed);
//! 3. create the missing ones with their lines (deep insert, one batch);
//! 4. check Business Central's total against the storefront's; a difference within
//!    `rounding_tolerance` gets a rounding line, a larger one deletes the draft (never a
//!    half-posted order) and is a mapping error;
//! 5. post (`Microsoft.NAV.post` / `shipAndInvoice`) and read the posted document back (one
//!    batch); a VAT posting setup / tax detail that does not exist deletes the draft and is a
//!    mapping error naming both the VAT business and product posting groups.
//!
//! A document found posted is adopted; one found as a draft (an earlier attempt whose
//! response was lost) is checked and posted.

use std::collections::BTreeMap;

use bc_core::{Error, ErrorKind, IssueCode, LedgerRef, MappingIssue, OrderId, Result};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::Bc365Ledger;
use crate::client::{lit, BatchOp};
use crate::error::missing_tax_setup;
use crate::mapping::sales::Planned;
use crate::mapping::{num, TaxKind};
use crate::wire::{parse, Customer, Document};

/// A document to write, with the order it belongs to.
pub struct Job {
    /// The mapped document.
    pub plan: Planned,
    /// The order (for mapping issues).
    pub order: OrderId,
    /// The storefront tax zones (for VAT posting setup errors).
    pub zones: String,
}

fn get(url: String, what: String) -> BatchOp {
    BatchOp {
        method: "GET",
        url,
        body: None,
        if_match: None,
        what,
    }
}

fn lines_of(set: &str) -> &'static str {
    match set {
        "salesOrders" => "salesOrderLines",
        "salesCreditMemos" => "salesCreditMemoLines",
        _ => "salesInvoiceLines",
    }
}

/// A document's reference.
pub fn reference(d: &Document) -> LedgerRef {
    let mut r = LedgerRef::new(d.id.clone()).with_number(d.number.clone());
    if !d.etag.is_empty() {
        r = r.with_version(d.etag.clone());
    }
    r
}

impl Bc365Ledger {
    /// Finds documents by `externalDocumentNumber` in `sets` (first set that has it wins),
    /// lines expanded.
    pub(crate) async fn find_by_keys(
        &self,
        keys: &[(&'static [&'static str], String)],
    ) -> Vec<Result<Option<(&'static str, Document)>>> {
        self.find_with(keys, Vec::new()).await.0
    }

    /// [`Bc365Ledger::find_by_keys`] with `extra` read operations in the same `$batch`; their
    /// answers come back second (an error for each when the batch failed).
    pub(crate) async fn find_with(
        &self,
        keys: &[(&'static [&'static str], String)],
        extra: Vec<BatchOp>,
    ) -> (
        Vec<Result<Option<(&'static str, Document)>>>,
        Vec<Result<Value>>,
    ) {
        let n_extra = extra.len();
        let mut ops = Vec::new();
        for (sets, key) in keys {
            for set in sets.iter() {
                let q = [
                    ("$filter", format!("externalDocumentNumber eq {}", lit(key))),
                    ("$expand", lines_of(set).to_string()),
                ];
                ops.push(get(
                    self.client.rel_query(set, &q),
                    format!("find {set} {key}"),
                ));
            }
        }
        ops.extend(extra);
        let answers = match self.client.batch(ops, true).await {
            Ok(a) => a,
            Err(e) => {
                return (
                    keys.iter().map(|_| Err(e.clone())).collect(),
                    (0..n_extra).map(|_| Err(e.clone())).collect(),
                )
            }
        };
        let mut it = answers.into_iter();
        let mut out = Vec::with_capacity(keys.len());
        for (sets, _) in keys {
            let mut found: Result<Option<(&'static str, Document)>> = Ok(None);
            for set in sets.iter() {
                let Some(a) = it.next() else {
                    found = Err(Error::protocol("$batch lost an answer"));
                    continue;
                };
                let got = a.into_result().and_then(|v| {
                    let rows: Vec<Document> =
                        parse(v.get("value").cloned().unwrap_or_default(), "documents")?;
                    Ok(rows.into_iter().next())
                });
                match (&found, got) {
                    (Ok(None), Ok(Some(d))) => found = Ok(Some((set, d))),
                    (Ok(None), Err(e)) => found = Err(e),
                    _ => {}
                }
            }
            out.push(found);
        }
        (out, it.map(|a| a.into_result()).collect())
    }

    /// The customers whose tax area the documents need (VAT business posting group / US tax
    /// area): `customer id → tax area id`.
    fn wanted_areas(&self, jobs: &[&Job]) -> BTreeMap<String, String> {
        let mut want = BTreeMap::new();
        let Some(setup) = self.setup.get() else {
            return want;
        };
        for j in jobs {
            let customer = j.plan.body["customerId"].as_str().unwrap_or("").to_string();
            if let Some(id) = j.plan.tax_area.as_ref().and_then(|a| setup.areas.get(a)) {
                want.insert(customer, id.clone());
            }
        }
        want
    }

    /// Gives each customer the tax area its documents need (and `taxLiable` in a US
    /// company), from the customers read in the find batch.
    async fn set_tax_areas(
        &self,
        want: &BTreeMap<String, String>,
        read: Vec<Result<Value>>,
    ) -> Result<()> {
        let liable = self.setup_kind() == Some(TaxKind::SalesTax);
        let mut patches = Vec::new();
        for (r, (cid, area)) in read.into_iter().zip(want) {
            let cust: Customer = parse(r?, "customer")?;
            if !cust.tax_area_id.eq_ignore_ascii_case(area) || (liable && !cust.tax_liable) {
                let mut body = json!({"taxAreaId": area});
                if liable {
                    body["taxLiable"] = json!(true);
                }
                patches.push(BatchOp {
                    method: "PATCH",
                    url: self.client.rel(&format!("customers({cid})")),
                    body: Some(body),
                    if_match: Some(cust.etag),
                    what: format!("set the tax area of customer {}", cust.number),
                });
            }
        }
        if !patches.is_empty() {
            for a in self.client.batch(patches, false).await? {
                a.into_result()?;
            }
        }
        Ok(())
    }

    /// Writes `jobs` (see the module docs); one result per job, in order.
    pub(crate) async fn write_documents(&self, jobs: Vec<Result<Job>>) -> Vec<Result<LedgerRef>> {
        let mut results: Vec<Option<Result<LedgerRef>>> = jobs.iter().map(|_| None).collect();
        let mut live: Vec<(usize, Job)> = Vec::new();
        for (i, j) in jobs.into_iter().enumerate() {
            match j {
                Ok(job) => live.push((i, job)),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        // 1. find
        let keys: Vec<(&'static [&'static str], String)> = live
            .iter()
            .map(|(_, j)| {
                let sets: &'static [&'static str] = match j.plan.set {
                    "salesOrders" => &["salesInvoices", "salesOrders"],
                    "salesCreditMemos" => &["salesCreditMemos"],
                    _ => &["salesInvoices"],
                };
                (sets, j.plan.key.clone())
            })
            .collect();
        let all: Vec<&Job> = live.iter().map(|(_, j)| j).collect();
        let want = self.wanted_areas(&all);
        let extra = want
            .keys()
            .map(|c| {
                get(
                    self.client.rel(&format!("customers({c})")),
                    format!("read customer {c}"),
                )
            })
            .collect();
        let (found, customers) = self.find_with(&keys, extra).await;
        let mut drafts: Vec<(usize, &'static str, Document, &Job)> = Vec::new();
        let mut to_create: Vec<(usize, &Job)> = Vec::new();
        for ((i, job), f) in live.iter().zip(found) {
            match f {
                Err(e) => results[*i] = Some(Err(e)),
                Ok(Some((_, d))) if !d.is_draft() => results[*i] = Some(Ok(reference(&d))),
                Ok(Some((set, d))) => drafts.push((*i, set, d, job)),
                Ok(None) => to_create.push((*i, job)),
            }
        }
        // 2. tax areas of the customers
        if !to_create.is_empty() {
            if let Err(e) = self.set_tax_areas(&want, customers).await {
                for (i, _) in &to_create {
                    results[*i] = Some(Err(e.clone()));
                }
                to_create.clear();
            }
        }
        // 3. create
        if !to_create.is_empty() {
            let ops = to_create
                .iter()
                .map(|(_, j)| BatchOp {
                    method: "POST",
                    url: self.client.rel(j.plan.set),
                    body: Some(j.plan.body.clone()),
                    if_match: None,
                    what: format!("create {} {}", j.plan.set, j.plan.key),
                })
                .collect();
            match self.client.batch(ops, false).await {
                Err(e) => {
                    for (i, _) in &to_create {
                        results[*i] = Some(Err(e.clone()));
                    }
                }
                Ok(answers) => {
                    for ((i, job), a) in to_create.iter().zip(answers) {
                        match a
                            .into_result()
                            .and_then(|v| parse::<Document>(v, "created document"))
                        {
                            Ok(d) => drafts.push((*i, job.plan.set, d, job)),
                            Err(e) => results[*i] = Some(Err(self.mapped(e, job))),
                        }
                    }
                }
            }
        }
        // 4. totals
        let mut ready: Vec<(usize, &'static str, Document, &Job)> = Vec::new();
        for (i, set, d, job) in drafts {
            match self.reconcile_total(set, &d, job).await {
                Ok(()) => ready.push((i, set, d, job)),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        // 5. post
        let post = |set: &str| match set {
            "salesOrders" => self.config.posting.ship_and_invoice_orders,
            _ => self.config.posting.post_documents,
        };
        let (to_post, keep): (Vec<_>, Vec<_>) =
            ready.into_iter().partition(|(_, set, _, _)| post(set));
        for (i, set, d, _) in keep {
            let fresh = self
                .client
                .get("document", &format!("{set}({})", d.id), &[])
                .await
                .and_then(|v| parse::<Document>(v, "document"));
            results[i] = Some(fresh.map(|d| reference(&d)));
        }
        if !to_post.is_empty() {
            let mut ops = Vec::new();
            for (_, set, d, job) in &to_post {
                let action = if *set == "salesOrders" {
                    "Microsoft.NAV.shipAndInvoice"
                } else {
                    "Microsoft.NAV.post"
                };
                ops.push(BatchOp {
                    method: "POST",
                    url: self.client.rel(&format!("{set}({})/{action}", d.id)),
                    body: None,
                    if_match: None,
                    what: format!("post {set} {}", job.plan.key),
                });
                let read = if *set == "salesOrders" {
                    self.client.rel_query(
                        "salesInvoices",
                        &[(
                            "$filter",
                            format!("externalDocumentNumber eq {}", lit(&job.plan.key)),
                        )],
                    )
                } else {
                    self.client.rel(&format!("{set}({})", d.id))
                };
                ops.push(get(read, format!("read posted {}", job.plan.key)));
            }
            match self.client.batch(ops, false).await {
                Err(e) => {
                    for (i, ..) in &to_post {
                        results[*i] = Some(Err(e.clone()));
                    }
                }
                Ok(answers) => {
                    let mut it = answers.into_iter();
                    for (i, set, d, job) in &to_post {
                        let (posted, read) = (it.next(), it.next());
                        let r = match posted.map(|a| a.into_result()) {
                            Some(Ok(_)) => read
                                .ok_or_else(|| Error::protocol("$batch lost an answer"))
                                .and_then(|a| a.into_result())
                                .and_then(|v| {
                                    let v = match v.get("value") {
                                        Some(Value::Array(rows)) => {
                                            rows.first().cloned().unwrap_or_default()
                                        }
                                        _ => v,
                                    };
                                    parse::<Document>(v, "posted document")
                                })
                                .map(|d| reference(&d)),
                            Some(Err(e)) => Err(self.discard(set, d, job, e).await),
                            None => Err(Error::protocol("$batch lost an answer")),
                        };
                        results[*i] = Some(r);
                    }
                }
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "document not processed")))
            })
            .collect()
    }

    /// A permanent posting failure deletes the draft (never a half-posted order); a VAT
    /// posting setup or tax detail that does not exist becomes a mapping issue.
    async fn discard(&self, set: &str, d: &Document, job: &Job, e: Error) -> Error {
        if e.is_temporary() || e.kind() == ErrorKind::OutcomeUnknown {
            return e;
        }
        let _ = self.client.delete(&format!("{set}({})", d.id), "*").await;
        self.mapped(e, job)
    }

    fn mapped(&self, e: Error, job: &Job) -> Error {
        match missing_tax_setup(&e) {
            Some((bus, prod)) => {
                let (a, b) = match self.setup_kind() {
                    Some(TaxKind::SalesTax) => ("tax area", "tax group"),
                    _ => ("VAT business posting group", "VAT product posting group"),
                };
                Error::mapping(vec![MappingIssue::new(
                    Some(&job.order),
                    IssueCode::UnmappedTaxZone,
                    Some("tax_map"),
                    format!(
                        "Business Central cannot post {a} `{bus}` with {b} `{prod}` (tax zone {}): {}",
                        job.zones,
                        e.platform_message().unwrap_or("no posting setup")
                    ),
                )])
                .with_platform(crate::PLATFORM)
            }
            None => e,
        }
    }

    async fn reconcile_total(&self, set: &str, d: &Document, job: &Job) -> Result<()> {
        let diff = job.plan.expected_total - d.total_amount_including_tax;
        if diff.is_zero() {
            return Ok(());
        }
        let p = &self.config.posting;
        match (&p.rounding_account, diff.abs() <= p.rounding_tolerance) {
            (Some(acc), true) => {
                let (qty, unit) = if diff > Decimal::ZERO {
                    (Decimal::ONE, diff)
                } else {
                    (-Decimal::ONE, -diff)
                };
                let mut line = json!({"lineType": "Account", "lineObjectNumber": acc, "description": "Rounding (storefront total)", "quantity": num(qty), "unitPrice": num(unit)});
                if let Some(code) = &p.untaxed_tax_code {
                    line["taxCode"] = json!(code);
                }
                self.client
                    .post(
                        "rounding line",
                        &format!("{set}({})/{}", d.id, lines_of(set)),
                        &line,
                    )
                    .await
                    .map(|_| ())
            }
            _ => {
                let _ = self.client.delete(&format!("{set}({})", d.id), "*").await;
                Err(Error::mapping(vec![MappingIssue::new(
                    Some(&job.order),
                    IssueCode::RoundingBeyondTolerance,
                    Some(if p.rounding_account.is_some() { "ledger.posting.rounding_tolerance" } else { "ledger.posting.rounding_account" }),
                    format!(
                        "Business Central computes {} (tax {}) but the storefront total is {}: check that tax_map sends each zone to the tax group with the storefront's rate",
                        d.total_amount_including_tax, d.total_tax_amount, job.plan.expected_total
                    ),
                )])
                .with_platform(crate::PLATFORM))
            }
        }
    }
}
