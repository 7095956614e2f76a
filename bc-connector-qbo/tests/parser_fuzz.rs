//! Robustness of the QBO answer parsers: at least 1,000,000 generated and mutated answers
//! (Intuit's documented bodies from `fixtures/`, mutated byte-wise and structurally, plus
//! generated JSON) fed to every parser bcsync runs on what QBO sends — the `Envelope` and
//! `BatchResponse` wire types, fault bodies (at a status cycling through 200–503), the written-entity reader and the
//! document reader — with zero panics. Deterministic: a fixed seed.

use std::panic::{catch_unwind, AssertUnwindSafe};

use bc_connector_qbo::error::error_from_response;
use bc_connector_qbo::mapping::ledger_document;
use bc_connector_qbo::wire::{BatchResponse, Entity, Envelope};
use bc_core::{Currency, DocumentKind, ImportId};

const CORPUS: &[&str] = &[
    include_str!("fixtures/invoice_create_response.json"),
    include_str!("fixtures/payment_create_response.json"),
    include_str!("fixtures/batch_response.json"),
    include_str!("fixtures/query_customer.json"),
    include_str!("fixtures/preferences.json"),
    include_str!("fixtures/fault_stale_5010.json"),
    include_str!("fixtures/fault_duplicate_doc_6140.json"),
    include_str!("fixtures/fault_required_2020.json"),
    include_str!("fixtures/fault_not_found_610.json"),
    include_str!("fixtures/fault_string_length_2050.json"),
    include_str!("fixtures/throttle_429.json"),
    include_str!("fixtures/auth_401.json"),
    r#"{"Fault":{"Error":[{"Message":"Invalid query","Detail":"QueryValidationError: property 'PrivateNote' is not queryable","code":"4001"}],"type":"ValidationFault"},"time":"2026-11-20T10:00:00.000-08:00"}"#,
    r#"{"QueryResponse":{"Invoice":[{"Id":"1","DocNumber":"BC-1","TotalAmt":10.5,"Balance":"10.50","PrivateNote":"[bcsync:BC11] (tenders -2.00) x","CurrencyRef":{"value":"USD"},"LinkedTxn":[{"TxnId":"3","TxnType":"Payment"}]}],"startPosition":1,"maxResults":1},"time":"x"}"#,
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
}

const TOKENS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e308",
    "-0.0",
    "123456789012345678901234567890",
    "0.00000000000000000000000001",
    "\"\"",
    "\"x\"",
    "[]",
    "{}",
    "[[[[",
    "}}}}",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"Fault\"",
    "\"Error\"",
    "{\"Fault\":{}}",
    "{\"Error\":[]}",
    "\"code\"",
    "\"TotalAmt\"",
    "\"Id\"",
    "\"bId\"",
    "\"QueryResponse\"",
    "\"BatchItemResponse\"",
    ",",
    ":",
    "\"1e5\"",
    "\"NaN\"",
    "-",
    "\u{00e9}",
    "\"2026-13-45\"",
    "99999999999999999999999999999999999999999999999999999999999999999999999999999999",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(8) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = (rng.next() & 0xff) as u8;
            }
            1 if !v.is_empty() => {
                let cut = rng.below(v.len());
                v.truncate(cut);
            }
            2 => {
                let i = rng.below(v.len() + 1);
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                v.splice(i..i, t.iter().copied());
            }
            3 if v.len() > 2 => {
                let a = rng.below(v.len());
                let b = (a + rng.below(64)).min(v.len());
                v.drain(a..b);
            }
            4 if v.len() > 2 => {
                // Duplicate a slice somewhere else.
                let a = rng.below(v.len());
                let b = (a + rng.below(128)).min(v.len());
                let piece: Vec<u8> = v[a..b].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, piece);
            }
            5 => {
                // Replace a number-looking byte run with a token.
                if let Some(pos) = v.iter().position(|c| c.is_ascii_digit()) {
                    let end = v[pos..]
                        .iter()
                        .position(|c| !c.is_ascii_digit() && *c != b'.')
                        .map_or(v.len(), |e| pos + e);
                    let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                    v.splice(pos..end, t.iter().copied());
                }
            }
            6 => {
                // Swap a quote for a bracket (structure breaks).
                if let Some(pos) = v.iter().rposition(|c| *c == b'"') {
                    v[pos] = [b'[', b'{', b']', b'}'][rng.below(4)];
                }
            }
            _ => {}
        }
    }
    v
}

/// Random JSON of bounded depth, with QBO's keys likely.
fn generate(rng: &mut Rng, depth: u32, out: &mut String) {
    const KEYS: &[&str] = &[
        "Fault",
        "Error",
        "code",
        "Message",
        "Detail",
        "type",
        "QueryResponse",
        "Invoice",
        "Payment",
        "Customer",
        "BatchItemResponse",
        "bId",
        "Id",
        "TotalAmt",
        "Balance",
        "SyncToken",
        "DocNumber",
        "PrivateNote",
        "CurrencyRef",
        "value",
        "LinkedTxn",
        "Line",
        "Amount",
        "time",
        "maxResults",
        "startPosition",
        "SalesReceipt",
        "CreditMemo",
    ];
    match if depth > 4 {
        rng.below(4)
    } else {
        rng.below(7)
    } {
        0 => out.push_str(&format!("{}", rng.next() as i64)),
        1 => out.push_str(&format!(
            "\"{}\"",
            TOKENS[rng.below(TOKENS.len())].replace('"', "")
        )),
        2 => out.push_str(["true", "false", "null"][rng.below(3)]),
        3 => out.push_str(&format!("{}.{}", rng.below(100000), rng.below(10000))),
        4 | 5 => {
            out.push('{');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&format!("\"{}\":", KEYS[rng.below(KEYS.len())]));
                generate(rng, depth + 1, out);
            }
            out.push('}');
        }
        _ => {
            out.push('[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(',');
                }
                generate(rng, depth + 1, out);
            }
            out.push(']');
        }
    }
}

fn feed(bytes: &[u8], status: u16, import_id: &ImportId) {
    let e = error_from_response(status, bytes, "fuzz");
    let _ = e.to_string();
    if let Ok(env) = serde_json::from_slice::<Envelope>(bytes) {
        let _ = Entity::written(&env);
        let _ = bc_connector_qbo::error::error_from_envelope(&env, 200, "fuzz");
        if let Some(q) = &env.query_response {
            let _ = q.rows();
            for f in q.invoice.iter().chain(&q.sales_receipt) {
                let _ = ledger_document(f, DocumentKind::Invoice, import_id, Currency::USD);
            }
        }
    }
    if let Ok(b) = serde_json::from_slice::<BatchResponse>(bytes) {
        for item in &b.items {
            let _ = Entity::written(item);
        }
    }
}

#[test]
fn a_million_mutated_answers_and_no_panic() {
    const INPUTS: u64 = 1_000_000;
    let import_id: ImportId = "BC11".parse().expect("import id");
    let mut rng = Rng(0x5EED_0B0C_5A5D_B0C5);
    let mut panics = 0u64;
    let mut parsed = 0u64;
    let mut generated = String::new();
    for n in 0..INPUTS {
        let input = if n % 4 == 3 {
            generated.clear();
            generate(&mut rng, 0, &mut generated);
            generated.as_bytes().to_vec()
        } else {
            let base = CORPUS[rng.below(CORPUS.len())].as_bytes();
            mutate(&mut rng, base)
        };
        if serde_json::from_slice::<serde_json::Value>(&input).is_ok() {
            parsed += 1;
        }
        let status = [200u16, 400, 401, 403, 429, 500, 503][(n % 7) as usize];
        if catch_unwind(AssertUnwindSafe(|| feed(&input, status, &import_id))).is_err() {
            panics += 1;
        }
    }
    println!("{INPUTS} inputs, {parsed} valid JSON, {panics} panics");
    assert_eq!(panics, 0);
    assert!(
        parsed > INPUTS / 20,
        "the mutations keep enough inputs parseable ({parsed})"
    );
}
