//! Writing sales documents and credit memos in `$batch`es, exactly once.
//!
//! For a list of mapped documents ([`Planned`]), stage by stage, each stage one `$batch`
//! for all of them (split at 100 operations):
//! 1. find what exists by `externalDocumentNumber` (`or`-joined filters, 20 keys per `GET`)
//!    and read the customers whose tax area the lines need; a customer the connector created
//!    or read itself earlier (its ETag remembered, see `Known`) and whose area must change
//!    is not read but patched in this same `$batch` (`If-Match` the remembered ETag: a
//!    customer changed since fails with a temporary 412 and is read next time);
//! 2. give the customers that were read the tax area (and `taxLiable` in a US company) with
//!    `PATCH` `If-Match` their ETag, then create the missing documents with their lines
//!    (deep insert) — the patches come first in the same `$batch`; a document whose customer
//!    could not be changed is deleted again and fails with that error;
//! 3. check Business Central's total against the storefront's; a difference within
//!    `rounding_tolerance` gets a rounding line, a larger one deletes the draft (never a
//!    half-posted order) and is a mapping error (one `$batch` when there are any);
//! 4. post (`Microsoft.NAV.post` / `shipAndInvoice`), then read the posted documents back
//!    (`or`-joined `GET`s after the posts, in the same `$batch`); a VAT posting setup / tax
//!    detail that does not exist deletes the draft and is a mapping error naming both the
//!    VAT business and product posting groups.
//!
//! A customer whose documents need two different tax areas has them written in separate
//! rounds (one area per customer per round). A document found posted is adopted; one found
//! as a draft (an earlier attempt whose response was lost) is checked and posted. A write
//! `$batch` whose answer was lost is `OutcomeUnknown` for each of its documents, and so is
//! a document whose post succeeded but whose read-back failed: the engine searches, finds
//! it and adopts it.

use std::collections::BTreeMap;

use bc_core::{Error, ErrorKind, IssueCode, LedgerRef, MappingIssue, OrderId, Result};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::Bc365Ledger;
use crate::client::{BatchAnswer, BatchOp, KeyQuery};
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

/// The sets a document of `set` may be found in (a sales order shipped and invoiced is
/// found as its posted invoice).
fn sets_of(set: &str) -> &'static [&'static str] {
    match set {
        "salesOrders" => &["salesInvoices", "salesOrders"],
        "salesCreditMemos" => &["salesCreditMemos"],
        _ => &["salesInvoices"],
    }
}

fn lost() -> Error {
    Error::protocol("$batch lost an answer").with_platform(crate::PLATFORM)
}

/// A round of writes: `customer id → tax area id`, and the jobs with their result index.
type Round = (BTreeMap<String, String>, Vec<(usize, Job)>);

/// A draft ready to post: result index, set, the draft, its job.
type Draft<'a> = (usize, &'static str, Document, &'a Job);

impl Bc365Ledger {
    /// Finds documents by `externalDocumentNumber` in `sets` (first set that has it wins),
    /// lines expanded.
    pub(crate) async fn find_by_keys(
        &self,
        keys: &[(&'static [&'static str], String)],
    ) -> Vec<Result<Option<(&'static str, Document)>>> {
        self.find_with(keys, &[], Vec::new()).await.0
    }

    /// [`Bc365Ledger::find_by_keys`] and the customers `customer_ids`, in one `$batch`
    /// (`or`-joined filters); a customer is `None` when it does not exist. `pre`: writes sent
    /// first in the same `$batch` (which is then not retried as a read: a lost answer is an
    /// unknown outcome for every operation); their answers come third.
    pub(crate) async fn find_with(
        &self,
        keys: &[(&'static [&'static str], String)],
        customer_ids: &[String],
        pre: Vec<BatchOp>,
    ) -> (
        Vec<Result<Option<(&'static str, Document)>>>,
        Vec<Result<Option<Customer>>>,
        Vec<Result<BatchAnswer>>,
    ) {
        const SETS: [&str; 3] = ["salesInvoices", "salesOrders", "salesCreditMemos"];
        let mut queries: Vec<KeyQuery> = SETS
            .iter()
            .map(|set| KeyQuery {
                rest: (*set).to_string(),
                field: "externalDocumentNumber",
                quoted: true,
                keys: Vec::new(),
                query: vec![("$expand", lines_of(set).to_string())],
                what: format!("find {set}"),
            })
            .collect();
        // Per key, per set: (query, key index).
        let mut at: Vec<Vec<(&'static str, usize, usize)>> = Vec::with_capacity(keys.len());
        for (sets, key) in keys {
            let mut mine = Vec::new();
            for set in sets.iter() {
                let q = SETS.iter().position(|s| s == set).unwrap_or(0);
                mine.push((*set, q, queries[q].keys.len()));
                queries[q].keys.push(key.clone());
            }
            at.push(mine);
        }
        queries.push(KeyQuery {
            rest: "customers".into(),
            field: "id",
            quoted: false,
            keys: customer_ids.to_vec(),
            query: Vec::new(),
            what: "read customers".into(),
        });
        let n_pre = pre.len();
        let mut ops = pre;
        let mut plan = Vec::new();
        for (qi, q) in queries.iter().enumerate() {
            for (op, idx) in self.client.key_ops(q) {
                ops.push(op);
                plan.push((qi, idx));
            }
        }
        let mut pre_answers = self.client.batch_each(ops, n_pre == 0).await;
        let reads = pre_answers.split_off(n_pre.min(pre_answers.len()));
        let answers = self.client.key_rows(&queries, plan, reads).await;
        let row = |q: usize, i: usize| -> Result<Option<Value>> {
            answers
                .get(q)
                .and_then(|a| a.get(i))
                .cloned()
                .unwrap_or_else(|| Err(lost()))
                .map(|rows| rows.into_iter().next())
        };
        let mut out = Vec::with_capacity(keys.len());
        for mine in at {
            let mut found: Result<Option<(&'static str, Document)>> = Ok(None);
            for (set, q, i) in mine {
                let got =
                    row(q, i).and_then(|v| v.map(|v| parse::<Document>(v, "document")).transpose());
                match (&found, got) {
                    (Ok(None), Ok(Some(d))) => found = Ok(Some((set, d))),
                    (Ok(None), Err(e)) => found = Err(e),
                    _ => {}
                }
            }
            out.push(found);
        }
        let customers: Vec<Result<Option<Customer>>> = (0..customer_ids.len())
            .map(|i| {
                row(SETS.len(), i)
                    .and_then(|v| v.map(|v| parse::<Customer>(v, "customer")).transpose())
            })
            .collect();
        {
            let mut known = self.known();
            for c in customers.iter().flatten().flatten() {
                known.customer(c);
            }
        }
        (out, customers, pre_answers)
    }

    /// The tax area id a job's customer needs, if any.
    fn wanted_area(&self, job: &Job) -> Option<(String, String)> {
        let setup = self.setup.get()?;
        let customer = job.plan.body["customerId"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let area = job
            .plan
            .tax_area
            .as_ref()
            .and_then(|a| setup.areas.get(a))?;
        Some((customer, area.clone()))
    }

    /// Writes `jobs` (see the module docs); one result per job, in order.
    pub(crate) async fn write_documents(&self, jobs: Vec<Result<Job>>) -> Vec<Result<LedgerRef>> {
        let mut results: Vec<Option<Result<LedgerRef>>> = jobs.iter().map(|_| None).collect();
        // Rounds: each customer with one tax area per round.
        let mut rounds: Vec<Round> = Vec::new();
        for (i, j) in jobs.into_iter().enumerate() {
            let job = match j {
                Ok(job) => job,
                Err(e) => {
                    results[i] = Some(Err(e));
                    continue;
                }
            };
            let want = self.wanted_area(&job);
            let fits = |areas: &BTreeMap<String, String>| match &want {
                Some((c, a)) => areas.get(c).is_none_or(|x| x == a),
                None => true,
            };
            let r = match rounds.iter().position(|(areas, _)| fits(areas)) {
                Some(r) => r,
                None => {
                    rounds.push((BTreeMap::new(), Vec::new()));
                    rounds.len() - 1
                }
            };
            if let Some((c, a)) = want {
                rounds[r].0.insert(c, a);
            }
            rounds[r].1.push((i, job));
        }
        for (want, live) in rounds {
            for (i, r) in self.write_round(&want, &live).await {
                results[i] = Some(r);
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "document not processed")))
            })
            .collect()
    }

    /// One round of [`Bc365Ledger::write_documents`]: `want` is `customer id → tax area id`.
    async fn write_round(
        &self,
        want: &BTreeMap<String, String>,
        live: &[(usize, Job)],
    ) -> Vec<(usize, Result<LedgerRef>)> {
        let mut results: Vec<(usize, Result<LedgerRef>)> = Vec::new();
        // 1. find the documents, read the customers
        let keys: Vec<(&'static [&'static str], String)> = live
            .iter()
            .map(|(_, j)| (sets_of(j.plan.set), j.plan.key.clone()))
            .collect();
        let liable = self.setup_kind() == Some(TaxKind::SalesTax);
        // A customer the connector knows (it created or read it, with its ETag) whose tax
        // area must change gets it in the same `$batch` as the search (`If-Match` that ETag:
        // a customer changed since fails with 412 rather than being overwritten). The others
        // are read with the search: one that seems to have the area already is read all the
        // same, since memory cannot prove that nobody changed it.
        let patch = |cid: &str, area: &str, cust: &Customer| -> Option<BatchOp> {
            if cust.tax_area_id.eq_ignore_ascii_case(area) && (!liable || cust.tax_liable) {
                return None;
            }
            let mut body = json!({"taxAreaId": area});
            if liable {
                body["taxLiable"] = json!(true);
            }
            Some(BatchOp {
                method: "PATCH",
                url: self.client.rel(&format!("customers({cid})")),
                body: Some(body),
                if_match: Some(cust.etag.clone()),
                what: format!("set the tax area of customer {}", cust.number),
            })
        };
        let mut early: Vec<(String, BatchOp)> = Vec::new();
        let mut customer_ids: Vec<String> = Vec::new();
        for (cid, area) in want {
            let cached = self.known().customer_of(cid);
            match cached.and_then(|cust| patch(cid, area, &cust)) {
                Some(op) => early.push((cid.clone(), op)),
                None => customer_ids.push(cid.clone()),
            }
        }
        let early_ids: Vec<String> = early.iter().map(|(c, _)| c.clone()).collect();
        let (found, customers, early_answers) = self
            .find_with(
                &keys,
                &customer_ids,
                early.into_iter().map(|(_, op)| op).collect(),
            )
            .await;
        let mut bad_customer: BTreeMap<String, Error> = BTreeMap::new();
        for (cid, a) in early_ids.into_iter().zip(early_answers) {
            self.customer_patched(&cid, a, true, &mut bad_customer);
        }
        let mut drafts: Vec<Draft<'_>> = Vec::new();
        let mut to_create: Vec<(usize, &Job)> = Vec::new();
        for ((i, job), f) in live.iter().zip(found) {
            match f {
                Err(e) => results.push((*i, Err(e))),
                Ok(Some((_, d))) if !d.is_draft() => results.push((*i, Ok(reference(&d)))),
                Ok(Some((set, d))) => drafts.push((*i, set, d, job)),
                Ok(None) => to_create.push((*i, job)),
            }
        }
        // 2. the other customers' tax areas, then the new documents, in one write batch
        let customer_of = |job: &Job| {
            job.plan.body["customerId"]
                .as_str()
                .unwrap_or("")
                .to_string()
        };
        let mut patches: Vec<(String, BatchOp)> = Vec::new();
        for (cid, r) in customer_ids.iter().zip(customers) {
            let Some(area) = want.get(cid) else { continue };
            let needed = to_create
                .iter()
                .map(|(_, j)| *j)
                .chain(drafts.iter().map(|d| d.3));
            if !needed.into_iter().any(|j| customer_of(j) == *cid) {
                continue;
            }
            match r {
                Err(e) => {
                    bad_customer.insert(cid.clone(), e);
                }
                // An unknown customer: the document's own create or post says so.
                Ok(None) => {}
                Ok(Some(cust)) => {
                    if let Some(op) = patch(cid, area, &cust) {
                        patches.push((cid.clone(), op));
                    }
                }
            }
        }
        let (blocked, ok): (Vec<_>, Vec<_>) = to_create
            .into_iter()
            .partition(|(_, j)| bad_customer.contains_key(&customer_of(j)));
        let to_create = ok;
        for (i, j) in blocked {
            if let Some(e) = bad_customer.get(&customer_of(j)) {
                results.push((i, Err(e.clone())));
            }
        }
        let n_patches = patches.len();
        let mut ops: Vec<BatchOp> = Vec::with_capacity(n_patches + to_create.len());
        let patched: Vec<String> = patches.iter().map(|(c, _)| c.clone()).collect();
        ops.extend(patches.into_iter().map(|(_, op)| op));
        ops.extend(to_create.iter().map(|(_, j)| BatchOp {
            method: "POST",
            url: self.client.rel(j.plan.set),
            body: Some(j.plan.body.clone()),
            if_match: None,
            what: format!("create {} {}", j.plan.set, j.plan.key),
        }));
        let mut undo: Vec<BatchOp> = Vec::new();
        // Invoices created in this round (draft ids): once posted, no payment is applied to
        // them yet (see `Known`).
        let mut created: std::collections::HashSet<String> = std::collections::HashSet::new();
        if !ops.is_empty() {
            let mut answers = self.client.batch_each(ops, false).await.into_iter();
            for cid in patched {
                let a = answers.next().unwrap_or_else(|| Err(lost()));
                self.customer_patched(&cid, a, false, &mut bad_customer);
            }
            for (i, job) in to_create {
                let r = answers
                    .next()
                    .unwrap_or_else(|| Err(lost()))
                    .and_then(|a| a.into_result())
                    .and_then(|v| parse::<Document>(v, "created document"));
                match (r, bad_customer.get(&customer_of(job))) {
                    (Ok(d), Some(e)) => {
                        // Created for a customer without the area it needs: removed again.
                        undo.push(self.delete_op(job.plan.set, &d));
                        results.push((i, Err(e.clone())));
                    }
                    (Ok(d), None) => {
                        created.insert(d.id.to_ascii_lowercase());
                        drafts.push((i, job.plan.set, d, job));
                    }
                    (Err(e), _) => results.push((i, Err(self.mapped(e, job)))),
                }
            }
        }
        let (blocked, ok): (Vec<_>, Vec<_>) = drafts
            .into_iter()
            .partition(|d| bad_customer.contains_key(&customer_of(d.3)));
        for (i, _, _, j) in blocked {
            if let Some(e) = bad_customer.get(&customer_of(j)) {
                results.push((i, Err(e.clone())));
            }
        }
        // 3. totals
        let ready = self.reconcile_totals(ok, &mut results).await;
        // 4. post and read back
        let post = |set: &str| match set {
            "salesOrders" => self.config.posting.ship_and_invoice_orders,
            _ => self.config.posting.post_documents,
        };
        let (to_post, keep): (Vec<_>, Vec<_>) =
            ready.into_iter().partition(|(_, set, _, _)| post(set));
        if !keep.is_empty() {
            results.extend(self.read_back(&keep, Vec::new(), false).await);
        }
        if !to_post.is_empty() {
            let posts: Vec<BatchOp> = to_post
                .iter()
                .map(|(_, set, d, job)| {
                    let action = if *set == "salesOrders" {
                        "Microsoft.NAV.shipAndInvoice"
                    } else {
                        "Microsoft.NAV.post"
                    };
                    BatchOp {
                        method: "POST",
                        url: self.client.rel(&format!("{set}({})/{action}", d.id)),
                        body: None,
                        if_match: None,
                        what: format!("post {set} {}", job.plan.key),
                    }
                })
                .collect();
            for (r, d) in self
                .read_back(&to_post, posts, true)
                .await
                .into_iter()
                .zip(&to_post)
            {
                match r {
                    (i, Err(e)) if !e.is_temporary() && e.kind() != ErrorKind::OutcomeUnknown => {
                        // A permanent posting failure deletes the draft (never a
                        // half-posted order).
                        undo.push(self.delete_op(d.1, &d.2));
                        results.push((i, Err(self.mapped(e, d.3))));
                    }
                    (i, Ok(r)) => {
                        if d.1 == "salesInvoices" && created.contains(&d.2.id.to_ascii_lowercase())
                        {
                            self.known().posted_here(&r.id);
                        }
                        results.push((i, Ok(r)));
                    }
                    other => results.push(other),
                }
            }
        }
        if !undo.is_empty() {
            // Best effort: a draft left behind is found and finished by the next attempt.
            let _ = self.client.batch_each(undo, false).await;
        }
        results
    }

    /// The answer to a customer's tax-area `PATCH`: the customer as it is now is remembered;
    /// a failure is forgotten (read again next time) and blocks the customer's documents.
    /// `remembered`: the `If-Match` ETag came from memory, not from a read in this call, so
    /// a `412` (someone changed the customer since) is temporary: the next attempt reads it.
    fn customer_patched(
        &self,
        cid: &str,
        a: Result<BatchAnswer>,
        remembered: bool,
        bad_customer: &mut BTreeMap<String, Error>,
    ) {
        match a.and_then(|a| a.into_result()) {
            // Business Central answers the customer as it is now; an answer without it
            // (`204`) is a success all the same, and the customer is read next time.
            Ok(v) => match parse::<Customer>(v, "customer") {
                Ok(c) if !c.id.is_empty() => self.known().customer(&c),
                _ => self.known().forget_customer(cid),
            },
            Err(e) => {
                self.known().forget_customer(cid);
                let e = if remembered && e.kind() == ErrorKind::Conflict {
                    e.with_temporary(true)
                } else {
                    e
                };
                bad_customer.insert(cid.to_string(), e);
            }
        }
    }

    fn delete_op(&self, set: &str, d: &Document) -> BatchOp {
        BatchOp {
            method: "DELETE",
            url: self.client.rel(&format!("{set}({})", d.id)),
            body: None,
            if_match: Some("*".into()),
            what: format!("delete draft {}", d.number),
        }
    }

    /// `posts` (one per draft, or none), then the documents read again (`or`-joined `GET`s by
    /// id; a shipped and invoiced sales order: its invoice by `externalDocumentNumber`), in
    /// one `$batch`. A post that failed is its error (kinds as bc-http gives them: a lost
    /// answer is `OutcomeUnknown`); a post that succeeded but whose document cannot be
    /// read back is `OutcomeUnknown` (it is there: the engine's search adopts it).
    async fn read_back(
        &self,
        drafts: &[Draft<'_>],
        posts: Vec<BatchOp>,
        posting: bool,
    ) -> Vec<(usize, Result<LedgerRef>)> {
        let n_posts = posts.len();
        let mut by_set: BTreeMap<(&'static str, &'static str), Vec<usize>> = BTreeMap::new();
        let mut queries: Vec<KeyQuery> = Vec::new();
        let mut at: Vec<(usize, usize)> = Vec::with_capacity(drafts.len());
        for (n, (_, set, d, job)) in drafts.iter().enumerate() {
            let (rest, field, quoted, key): (&'static str, &'static str, bool, String) =
                if posting && *set == "salesOrders" {
                    (
                        "salesInvoices",
                        "externalDocumentNumber",
                        true,
                        job.plan.key.clone(),
                    )
                } else {
                    (set, "id", false, d.id.clone())
                };
            let q = match by_set.get(&(rest, field)) {
                Some(v) => v[0],
                None => {
                    queries.push(KeyQuery {
                        rest: rest.to_string(),
                        field,
                        quoted,
                        keys: Vec::new(),
                        query: Vec::new(),
                        what: format!("read {rest} back"),
                    });
                    by_set.insert((rest, field), vec![queries.len() - 1]);
                    queries.len() - 1
                }
            };
            at.push((q, queries[q].keys.len()));
            queries[q].keys.push(key);
            let _ = n;
        }
        let mut ops = posts;
        let mut plan = Vec::new();
        for (qi, q) in queries.iter().enumerate() {
            for (op, idx) in self.client.key_ops(q) {
                ops.push(op);
                plan.push((qi, idx));
            }
        }
        let mut answers = self.client.batch_each(ops, !posting).await;
        let reads = answers.split_off(n_posts.min(answers.len()));
        let rows = self.client.key_rows(&queries, plan, reads).await;
        drafts
            .iter()
            .enumerate()
            .map(|(n, (i, set, _, job))| {
                if posting {
                    if let Some(Err(e)) = answers
                        .get(n)
                        .cloned()
                        .map(|a| a.and_then(|a| a.into_result()))
                    {
                        return (*i, Err(e));
                    }
                }
                let (q, k) = at[n];
                let read = rows
                    .get(q)
                    .and_then(|r| r.get(k))
                    .cloned()
                    .unwrap_or_else(|| Err(lost()))
                    .and_then(|rows| {
                        rows.into_iter().next().ok_or_else(|| {
                            Error::new(
                                ErrorKind::NotFound,
                                format!("{set} {} is not there after writing it", job.plan.key),
                            )
                        })
                    })
                    .and_then(|v| parse::<Document>(v, "document"))
                    .map(|d| reference(&d));
                let read = match read {
                    Err(e) if posting => Err(Error::new(
                        ErrorKind::OutcomeUnknown,
                        format!(
                            "{set} {} was posted but could not be read back ({e}); search for it",
                            job.plan.key
                        ),
                    )
                    .with_platform(crate::PLATFORM)),
                    r => r,
                };
                (*i, read)
            })
            .collect()
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

    /// Step 3: drafts whose total is the storefront's go on; a difference within
    /// `rounding_tolerance` gets a rounding line (one `$batch` for all), a larger one deletes
    /// the draft and is a mapping error.
    async fn reconcile_totals<'a>(
        &self,
        drafts: Vec<Draft<'a>>,
        results: &mut Vec<(usize, Result<LedgerRef>)>,
    ) -> Vec<Draft<'a>> {
        let p = &self.config.posting;
        let mut ready = Vec::with_capacity(drafts.len());
        let mut rounding: Vec<(BatchOp, Draft<'a>)> = Vec::new();
        let mut deletes = Vec::new();
        for (i, set, d, job) in drafts {
            let diff = job.plan.expected_total - d.total_amount_including_tax;
            if diff.is_zero() {
                ready.push((i, set, d, job));
                continue;
            }
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
                    let op = BatchOp {
                        method: "POST",
                        url: self
                            .client
                            .rel(&format!("{set}({})/{}", d.id, lines_of(set))),
                        body: Some(line),
                        if_match: None,
                        what: format!("rounding line of {}", job.plan.key),
                    };
                    rounding.push((op, (i, set, d, job)));
                }
                _ => {
                    deletes.push(self.delete_op(set, &d));
                    results.push((i, Err(Error::mapping(vec![MappingIssue::new(
                        Some(&job.order),
                        IssueCode::RoundingBeyondTolerance,
                        Some(if p.rounding_account.is_some() { "ledger.posting.rounding_tolerance" } else { "ledger.posting.rounding_account" }),
                        format!(
                            "Business Central computes {} (tax {}) but the storefront total is {}: check that tax_map sends each zone to the tax group with the storefront's rate",
                            d.total_amount_including_tax, d.total_tax_amount, job.plan.expected_total
                        ),
                    )])
                    .with_platform(crate::PLATFORM))));
                }
            }
        }
        let (mut ops, waiting): (Vec<BatchOp>, Vec<Draft<'a>>) = rounding.into_iter().unzip();
        // Rounding lines first, then the deletes, in one write batch.
        ops.extend(deletes);
        if !ops.is_empty() {
            let answers = self.client.batch_each(ops, false).await;
            for (a, (i, set, d, job)) in answers.into_iter().zip(waiting) {
                match a.and_then(|a| a.into_result()) {
                    Ok(_) => ready.push((i, set, d, job)),
                    Err(e) => results.push((i, Err(e))),
                }
            }
        }
        ready
    }
}
