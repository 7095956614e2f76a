//! The server over a real listener on 127.0.0.1:0, driven with reqwest.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use bc_server::{
    install_metrics, serve, webhook_channel, BigCommerceWebhooks, Deps, Job, LedgerOperation,
    OrderChange, ServerConfig, WebhookEvent, WebhookReceiver,
};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use sha2::Sha256;

const BC_SECRET: &str = "bc-canary-7f3a9e";
const QBO_TOKEN: &str = "qbo-canary-51c2d0";

// ---- log capture: every bc_server log line of the process, at trace level ----

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let c = Captured::default();
        let writer = c.clone();
        tracing_subscriber::fmt()
            .with_env_filter("bc_server=trace")
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        c
    })
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().0.lock().unwrap()).into_owned()
}

// ---- helpers ----

struct Running {
    server: bc_server::Server,
    rx: WebhookReceiver,
    base: String,
    http: reqwest::Client,
}

fn config() -> ServerConfig {
    ServerConfig {
        bigcommerce: Some(BigCommerceWebhooks::new(SecretString::from(BC_SECRET))),
        qbo_verifier_token: Some(SecretString::from(QBO_TOKEN)),
        dedupe_capacity: 100,
        max_body_bytes: 64 * 1024,
        ..ServerConfig::default()
    }
}

async fn start_with(cfg: ServerConfig, deps: impl FnOnce(Deps) -> Deps) -> Running {
    logs();
    let (tx, rx) = webhook_channel(64);
    let deps = deps(Deps::new(tx).with_metrics(install_metrics()));
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = serve(addr, cfg, deps).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    Running {
        server,
        rx,
        base,
        http: reqwest::Client::new(),
    }
}

async fn start() -> Running {
    start_with(config(), |d| d).await
}

fn order_body(id: u64, created_at: i64, marker: &str) -> String {
    format!(
        r#"{{"scope":"store/order/created","store_id":"1025646","data":{{"type":"order","id":{id},"note":"{marker}"}},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":{created_at},"producer":"stores/abc"}}"#
    )
}

impl Running {
    async fn post_bc(&self, secret: Option<&str>, body: &str) -> reqwest::StatusCode {
        let mut req = self
            .http
            .post(format!("{}/webhooks/bigcommerce", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(s) = secret {
            req = req.header("x-bcsync-secret", s);
        }
        req.send().await.unwrap().status()
    }

    async fn post_qbo(&self, signature: Option<String>, body: &str) -> reqwest::StatusCode {
        let mut req = self
            .http
            .post(format!("{}/webhooks/qbo", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(s) = signature {
            req = req.header("intuit-signature", s);
        }
        req.send().await.unwrap().status()
    }

    async fn get(&self, path: &str) -> (reqwest::StatusCode, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Every event available now (the handler queues before answering).
    fn drain(&mut self) -> Vec<WebhookEvent> {
        let mut out = Vec::new();
        while let Some(e) = self.rx.try_recv() {
            out.push(e);
        }
        out
    }
}

fn sign(token: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

type Change = (String, String, LedgerOperation);

// ---- tests ----

#[tokio::test]
async fn wrong_or_missing_secret_is_refused_and_logged_without_body_or_secret() {
    let mut s = start().await;
    let marker = "BODY-MARKER-wrong-secret-1b7c";
    let body = order_body(1, 1_700_000_000, marker);
    assert_eq!(s.post_bc(None, &body).await, 401);
    assert_eq!(s.post_bc(Some("not-the-secret-x9"), &body).await, 401);
    // A prefix of the secret is wrong too.
    assert_eq!(s.post_bc(Some(&BC_SECRET[..5]), &body).await, 401);
    assert!(s.drain().is_empty(), "nothing is handed on");

    let qbo_marker = "QBO-MARKER-bad-sig-77ad";
    let qbo_body = format!(
        r#"{{"eventNotifications":[{{"realmId":"{qbo_marker}","dataChangeEvent":{{"entities":[]}}}}]}}"#
    );
    assert_eq!(s.post_qbo(None, &qbo_body).await, 401);
    assert_eq!(
        s.post_qbo(Some(sign("wrong-token", &qbo_body)), &qbo_body)
            .await,
        401
    );
    assert_eq!(
        s.post_qbo(Some("%%not base64%%".into()), &qbo_body).await,
        401
    );
    assert!(s.drain().is_empty());

    let logs = log_text();
    assert!(
        logs.contains("webhook delivery refused: the secret header is missing or wrong"),
        "{logs}"
    );
    assert!(
        logs.contains("intuit-signature does not match the body"),
        "{logs}"
    );
    for leaked in [
        marker,
        qbo_marker,
        BC_SECRET,
        QBO_TOKEN,
        "not-the-secret-x9",
        &BC_SECRET[..5],
    ] {
        assert!(!logs.contains(leaked), "`{leaked}` in the logs:\n{logs}");
    }
    s.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_replayed_delivery_yields_one_event() {
    let mut s = start().await;
    let body = order_body(250, 1_700_000_100, "replay");
    assert_eq!(s.post_bc(Some(BC_SECRET), &body).await, 200);
    assert_eq!(s.post_bc(Some(BC_SECRET), &body).await, 200);
    assert_eq!(s.post_bc(Some(BC_SECRET), &body).await, 200);
    let events = s.drain();
    assert_eq!(
        events,
        vec![WebhookEvent::Order {
            id: "250".into(),
            change: OrderChange::Created,
            scope: "store/order/created".into()
        }]
    );
    assert_eq!(events[0].jobs(), vec![Job::Orders, Job::Statuses]);
    // Same data and hash, a later event: a new delivery (an order updated twice).
    let later = order_body(250, 1_700_000_101, "replay");
    assert_eq!(s.post_bc(Some(BC_SECRET), &later).await, 200);
    assert_eq!(s.drain().len(), 1);

    // QuickBooks Online: a replay, and a redelivery overlapping the first.
    let one = r#"{"eventNotifications":[{"realmId":"9341","dataChangeEvent":{"entities":[{"name":"Invoice","id":"130","operation":"Update","lastUpdated":"2026-12-02T08:00:00.000Z"}]}}]}"#;
    let two = r#"{"eventNotifications":[{"realmId":"9341","dataChangeEvent":{"entities":[{"name":"Invoice","id":"130","operation":"Update","lastUpdated":"2026-12-02T08:00:00.000Z"},{"name":"Payment","id":"7","operation":"Create","lastUpdated":"2026-12-02T08:00:01.000Z"}]}},{"realmId":"555","dataChangeEvent":{"entities":[{"name":"CreditMemo","id":"9","operation":"Void","lastUpdated":"2026-12-02T08:00:02.000Z"}]}}]}"#;
    assert_eq!(s.post_qbo(Some(sign(QBO_TOKEN, one)), one).await, 200);
    assert_eq!(s.post_qbo(Some(sign(QBO_TOKEN, one)), one).await, 200);
    assert_eq!(s.post_qbo(Some(sign(QBO_TOKEN, two)), two).await, 200);
    let events = s.drain();
    let summary: Vec<(String, Vec<Change>)> = events
        .iter()
        .map(|e| match e {
            WebhookEvent::LedgerChange { realm, entities } => (
                realm.clone(),
                entities
                    .iter()
                    .map(|x| (x.name.clone(), x.id.clone(), x.operation.clone()))
                    .collect(),
            ),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "9341".to_string(),
                vec![("Invoice".into(), "130".into(), LedgerOperation::Update)]
            ),
            (
                "9341".to_string(),
                vec![("Payment".into(), "7".into(), LedgerOperation::Create)]
            ),
            (
                "555".to_string(),
                vec![("CreditMemo".into(), "9".into(), LedgerOperation::Void)]
            ),
        ]
    );
    s.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn malformed_payloads_are_400_and_unknown_scopes_200() {
    let mut s = start().await;
    for bad in [
        "{not json",
        "[]",
        r#"{"scope":"store/order/created"}"#,
        r#"{"scope":"store/order/created","data":{"type":"order"},"hash":"x"}"#,
    ] {
        assert_eq!(s.post_bc(Some(BC_SECRET), bad).await, 400, "{bad}");
    }
    let bad_qbo = r#"{"eventNotifications":"nope"}"#;
    assert_eq!(
        s.post_qbo(Some(sign(QBO_TOKEN, bad_qbo)), bad_qbo).await,
        400
    );
    assert_eq!(s.post_qbo(Some(sign(QBO_TOKEN, "{")), "{").await, 400);
    let cart = r#"{"scope":"store/cart/created","store_id":"1","data":{"type":"cart","id":"09346904"},"hash":"h","created_at":1561482670,"producer":"stores/a"}"#;
    assert_eq!(s.post_bc(Some(BC_SECRET), cart).await, 200);
    assert!(s.drain().is_empty());
    // Over the body limit.
    let huge = format!(
        r#"{{"scope":"store/order/created","data":{{"id":1,"pad":"{}"}}}}"#,
        "x".repeat(70 * 1024)
    );
    assert_eq!(s.post_bc(Some(BC_SECRET), &huge).await, 413);
    s.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unconfigured_receivers_do_not_exist_and_secrets_stay_out_of_debug() {
    let cfg = ServerConfig::default();
    let s = start_with(cfg, |d| d).await;
    assert_eq!(s.post_bc(Some(BC_SECRET), "{}").await, 404);
    assert_eq!(s.post_qbo(Some("x".into()), "{}").await, 404);
    assert_eq!(
        s.get("/healthz").await,
        (reqwest::StatusCode::OK, "ok".into())
    );
    s.server.shutdown().await.unwrap();
    let shown = format!("{:?}", config());
    assert!(
        !shown.contains(BC_SECRET) && !shown.contains(QBO_TOKEN),
        "{shown}"
    );
    assert!(shown.contains("x-bcsync-secret"), "{shown}");
}

#[tokio::test]
async fn readyz_follows_the_probe() {
    let ready = Arc::new(AtomicBool::new(true));
    let flag = ready.clone();
    let s = start_with(config(), move |d| {
        d.with_readiness(move || {
            let ok = flag.load(Ordering::SeqCst);
            async move {
                if ok {
                    Ok(())
                } else {
                    Err(vec![
                        "state store unreachable".to_string(),
                        "job orders overdue since 2026-12-02T08:00:00Z".to_string(),
                    ])
                }
            }
        })
    })
    .await;
    let (status, body) = s.get("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"ready": true})
    );
    ready.store(false, Ordering::SeqCst);
    let (status, body) = s.get("/readyz").await;
    assert_eq!(status, 503);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["ready"], false);
    assert_eq!(v["reasons"][0], "state store unreachable");
    assert_eq!(v["reasons"].as_array().map(Vec::len), Some(2));
    ready.store(true, Ordering::SeqCst);
    assert_eq!(s.get("/readyz").await.0, 200);
    s.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_hanging_probe_is_not_ready() {
    let cfg = ServerConfig {
        readiness_timeout: Duration::from_millis(50),
        ..config()
    };
    let s = start_with(cfg, |d| {
        d.with_readiness(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        })
    })
    .await;
    let (status, body) = s.get("/readyz").await;
    assert_eq!(status, 503);
    assert!(body.contains("timed out"), "{body}");
    s.server.shutdown().await.unwrap();
}

// ---- Prometheus text ----

#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(v: &str) -> Result<f64, String> {
    match v {
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => v.parse::<f64>().map_err(|_| format!("bad value `{v}`")),
    }
}

/// A strict parser of the text exposition format 0.0.4: every line is a comment (`# HELP`,
/// `# TYPE` with a known type, once per family, before its samples) or a sample
/// `name{label="value",...} value [timestamp]` whose family was typed.
fn parse_prometheus(text: &str) -> Result<Vec<Sample>, String> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let err = |m: String| format!("line {}: {m}: `{line}`", n + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("TYPE"), Some(name), Some(ty)) => {
                    if !is_name(name) {
                        return Err(err("bad metric name".into()));
                    }
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&ty) {
                        return Err(err(format!("unknown type {ty}")));
                    }
                    if types.insert(name.to_string(), ty.to_string()).is_some() {
                        return Err(err("family typed twice".into()));
                    }
                }
                (Some("HELP"), Some(name), _) if is_name(name) => {}
                _ => return Err(err("bad comment".into())),
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let name_end = line
            .find(['{', ' '])
            .ok_or_else(|| err("no value".into()))?;
        let name = &line[..name_end];
        if !is_name(name) {
            return Err(err("bad metric name".into()));
        }
        let mut labels = BTreeMap::new();
        let mut rest = &line[name_end..];
        if let Some(r) = rest.strip_prefix('{') {
            let mut r = r;
            loop {
                if let Some(after) = r.strip_prefix('}') {
                    r = after;
                    break;
                }
                let eq = r.find('=').ok_or_else(|| err("label without =".into()))?;
                let lname = &r[..eq];
                if !is_name(lname) || lname.contains(':') {
                    return Err(err(format!("bad label name `{lname}`")));
                }
                r = r[eq + 1..]
                    .strip_prefix('"')
                    .ok_or_else(|| err("label value not quoted".into()))?;
                let mut value = String::new();
                let mut chars = r.char_indices();
                let end = loop {
                    match chars.next() {
                        Some((i, '"')) => break i,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, 'n')) => value.push('\n'),
                            Some((_, '\\')) => value.push('\\'),
                            Some((_, '"')) => value.push('"'),
                            _ => return Err(err("bad escape".into())),
                        },
                        Some((_, c)) => value.push(c),
                        None => return Err(err("unterminated label value".into())),
                    }
                };
                if labels.insert(lname.to_string(), value).is_some() {
                    return Err(err("label repeated".into()));
                }
                r = &r[end + 1..];
                if let Some(after) = r.strip_prefix(',') {
                    r = after;
                } else if !r.starts_with('}') {
                    return Err(err("labels not separated by ,".into()));
                }
            }
            rest = r;
        }
        let rest = rest
            .strip_prefix(' ')
            .ok_or_else(|| err("no space before the value".into()))?;
        let mut fields = rest.split(' ');
        let value = parse_value(fields.next().unwrap_or_default()).map_err(err)?;
        if let Some(ts) = fields.next() {
            ts.parse::<i64>().map_err(|_| err("bad timestamp".into()))?;
        }
        if fields.next().is_some() {
            return Err(err("trailing fields".into()));
        }
        let family = types
            .keys()
            .filter(|f| {
                name == f.as_str()
                    || ["_bucket", "_sum", "_count"]
                        .iter()
                        .any(|s| name.strip_suffix(s) == Some(f.as_str()))
            })
            .max_by_key(|f| f.len())
            .ok_or_else(|| err("sample before its # TYPE".into()))?;
        if types[family] == "histogram" && name.ends_with("_bucket") && !labels.contains_key("le") {
            return Err(err("bucket without le".into()));
        }
        out.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    Ok(out)
}

fn value_of(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

#[test]
fn the_parser_is_strict() {
    assert!(parse_prometheus("# TYPE a counter\na 1\n").is_ok());
    assert!(parse_prometheus("a 1\n").is_err(), "untyped family");
    assert!(parse_prometheus("# TYPE a counter\na{x=\"1} 1\n").is_err());
    assert!(parse_prometheus("# TYPE a counter\na{x=1} 1\n").is_err());
    assert!(parse_prometheus("# TYPE a counter\na one\n").is_err());
    assert!(parse_prometheus("# TYPE a wat\na 1\n").is_err());
    let s = parse_prometheus(
        "# TYPE h histogram\nh_bucket{le=\"+Inf\",a=\"x\\\"y\"} 2\nh_sum 3\nh_count 2\n",
    )
    .unwrap();
    assert_eq!(s[0].labels["a"], "x\"y");
    assert!(parse_prometheus("# TYPE h histogram\nh_bucket{a=\"x\"} 2\n").is_err());
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_move_with_deliveries() {
    let mut s = start().await;
    // Metric families appear once something was recorded; make sure of one of each.
    let (status, before) = s.get("/metrics").await;
    assert_eq!(status, 200);
    let before = parse_prometheus(&before).unwrap_or_else(|e| panic!("{e}\n{before}"));
    let accepted = [("source", "bigcommerce"), ("outcome", "accepted")];
    let n0 = value_of(&before, "bcsync_webhook_deliveries_total", &accepted);
    let refused = [("source", "bigcommerce"), ("reason", "unauthenticated")];
    let r0 = value_of(&before, "bcsync_webhook_refused_total", &refused);

    let now = chrono::Utc::now().timestamp();
    let body = order_body(9001, now - 3, "metrics");
    assert_eq!(s.post_bc(Some(BC_SECRET), &body).await, 200);
    assert_eq!(s.post_bc(Some("nope"), &body).await, 401);
    assert_eq!(s.drain().len(), 1);

    let (status, text) = s.get("/metrics").await;
    assert_eq!(status, 200);
    let after = parse_prometheus(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(
        value_of(&after, "bcsync_webhook_deliveries_total", &accepted) >= n0 + 1.0,
        "{text}"
    );
    assert!(
        value_of(&after, "bcsync_webhook_refused_total", &refused) >= r0 + 1.0,
        "{text}"
    );
    // The lag histogram has the delivery (about 3 s) in a bucket of at least 2 s.
    let lag_count = value_of(
        &after,
        "bcsync_webhook_lag_seconds_count",
        &[("source", "bigcommerce")],
    );
    assert!(lag_count >= 1.0, "{text}");
    assert!(
        text.contains("# TYPE bcsync_webhook_lag_seconds histogram"),
        "{text}"
    );
    s.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn cloud_events_and_shutdown() {
    let mut s = start().await;
    let body = r#"[{"specversion":"1.0","id":"e-1","source":"intuit.x","type":"qbo.invoice.voided.v1","datacontenttype":"application/json","time":"2026-12-02T08:00:00Z","intuitentityid":"150","intuitaccountid":"9341","data":{}}]"#;
    assert_eq!(s.post_qbo(Some(sign(QBO_TOKEN, body)), body).await, 200);
    assert_eq!(s.post_qbo(Some(sign(QBO_TOKEN, body)), body).await, 200);
    let events = s.drain();
    assert_eq!(events.len(), 1, "{events:?}");
    match &events[0] {
        WebhookEvent::LedgerChange { realm, entities } => {
            assert_eq!(realm, "9341");
            assert_eq!(entities[0].name, "Invoice");
            assert_eq!(entities[0].operation, LedgerOperation::Void);
        }
        other => panic!("{other:?}"),
    }
    let base = s.base.clone();
    s.server.shutdown().await.unwrap();
    assert!(
        reqwest::Client::new()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn a_full_channel_still_answers_200_and_coalesces() {
    logs();
    let (tx, mut rx) = webhook_channel(1);
    let server = serve(
        "127.0.0.1:0".parse().unwrap(),
        config(),
        Deps::new(tx).with_metrics(install_metrics()),
    )
    .await
    .unwrap();
    let url = format!("http://{}/webhooks/bigcommerce", server.local_addr());
    let http = reqwest::Client::new();
    let refund = r#"{"scope":"store/order/refund/created","store_id":"1","data":{"type":"order","id":41,"refund":{"refund_id":3}},"hash":"r","created_at":1700000000,"producer":"stores/a"}"#;
    for body in [
        order_body(40, 1_700_000_000, "full"),
        order_body(41, 1_700_000_000, "full"),
        refund.to_string(),
    ] {
        let st = http
            .post(&url)
            .header("x-bcsync-secret", BC_SECRET)
            .body(body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(st, 200);
    }
    assert_eq!(
        rx.recv().await,
        Some(WebhookEvent::Coalesced {
            jobs: vec![Job::Orders, Job::Statuses, Job::Refunds]
        })
    );
    match rx.recv().await {
        Some(WebhookEvent::Order { id, .. }) => assert_eq!(id, "40"),
        other => panic!("{other:?}"),
    }
    assert_eq!(rx.try_recv(), None);
    let text = install_metrics().render();
    let samples = parse_prometheus(&text).unwrap();
    assert!(
        value_of(
            &samples,
            "bcsync_webhook_coalesced_total",
            &[("source", "bigcommerce")]
        ) >= 2.0,
        "{text}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_stopping_program_gets_a_503_and_the_delivery_can_come_again() {
    let (tx, rx) = webhook_channel(4);
    drop(rx);
    logs();
    let server = serve("127.0.0.1:0".parse().unwrap(), config(), Deps::new(tx))
        .await
        .unwrap();
    let url = format!("http://{}/webhooks/bigcommerce", server.local_addr());
    let body = order_body(5, 1_700_000_000, "closed");
    let http = reqwest::Client::new();
    for _ in 0..2 {
        let st = http
            .post(&url)
            .header("x-bcsync-secret", BC_SECRET)
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            st, 503,
            "not remembered as seen, so refused again rather than dropped"
        );
    }
    server.shutdown().await.unwrap();
}
