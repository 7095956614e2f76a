//! A tiny HTTP/1.1 proxy in front of the BigCommerce sandbox that serves a few chosen orders
//! malformed: what the demo's workers see as "the platform" with `--faults`.
//!
//! The BigCommerce sandbox has no hook to corrupt an order body, so the demo puts this proxy
//! between it and the workers. For `GET /stores/{hash}/v2/orders` (the listing) and
//! `GET /stores/{hash}/v2/orders/{id}` answered 200, it rewrites the JSON of the chosen order
//! ids (their `total_inc_tax` and `date_created` become text no parser can read, their `id`
//! stays, so the engine can name them); every other request and response, and those answers
//! when no chosen order is in them, pass through byte for byte, keep-alive included. When the
//! sandbox resets a connection (an injected fault) the proxy drops the client's connection
//! too, so the worker sees the reset as it would from the platform.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The text a corrupted order's amount and date fields get.
pub const CORRUPTED: &str = "\u{fffd}corrupted\u{fffd}";

/// Longest request or response head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// A running proxy; dropping it stops accepting.
#[derive(Debug)]
pub struct CorruptingProxy {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    served: Arc<Mutex<BTreeMap<u64, u64>>>,
    task: JoinHandle<()>,
}

impl Drop for CorruptingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CorruptingProxy {
    /// Listens on a free loopback port and forwards to `upstream`, corrupting `orders`.
    pub async fn start(upstream: SocketAddr, orders: BTreeSet<u64>) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let served = Arc::new(Mutex::new(BTreeMap::new()));
        let orders = Arc::new(orders);
        let counts = served.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (orders, counts) = (orders.clone(), counts.clone());
                tokio::spawn(async move {
                    // Any I/O error ends both connections, which is what a reset looks like.
                    let _ = connection(client, upstream, &orders, &counts).await;
                });
            }
        });
        Ok(CorruptingProxy {
            base_url: format!("http://{addr}"),
            served,
            task,
        })
    }

    /// How many times each corrupted order was served malformed.
    pub fn served(&self) -> BTreeMap<u64, u64> {
        self.served.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// One head: the start line and the headers (names lowercased), and its raw bytes.
struct Head {
    raw: Vec<u8>,
    start: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    fn content_length(&self) -> io::Result<Option<usize>> {
        self.header("content-length")
            .map(|v| v.trim().parse::<usize>().map_err(|_| bad("content-length")))
            .transpose()
    }

    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("proxy: bad {what}"))
}

async fn read_head<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> io::Result<Option<Head>> {
    let mut raw = Vec::new();
    loop {
        let before = raw.len();
        let n = r.read_until(b'\n', &mut raw).await?;
        if n == 0 {
            return if raw.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        if raw.len() > MAX_HEAD {
            return Err(bad("head (too long)"));
        }
        let line = &raw[before..];
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let mut lines = text.lines();
    let start = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Some(Head {
        raw,
        start,
        headers,
    }))
}

/// Copies a chunked body from `r` to `w` as is (sizes, data, trailers); returns the decoded
/// data when `keep`.
async fn chunked<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    r: &mut BufReader<R>,
    mut w: Option<&mut W>,
    keep: bool,
) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if let Some(w) = w.as_deref_mut() {
            w.write_all(&line).await?;
        }
        let size_text = String::from_utf8_lossy(&line);
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| bad("chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut t = Vec::new();
                if r.read_until(b'\n', &mut t).await? == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                if let Some(w) = w.as_deref_mut() {
                    w.write_all(&t).await?;
                }
                if t == b"\r\n" || t == b"\n" {
                    return Ok(data);
                }
            }
        }
        let mut chunk = vec![0u8; size + 2];
        r.read_exact(&mut chunk).await?;
        if let Some(w) = w.as_deref_mut() {
            w.write_all(&chunk).await?;
        }
        if keep {
            data.extend_from_slice(&chunk[..size]);
        }
    }
}

/// Whether the request is an order read whose answer may carry a corrupted order.
fn order_read(start: &str) -> bool {
    let mut parts = start.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return false;
    };
    if method != "GET" {
        return false;
    }
    let path = target.split('?').next().unwrap_or("");
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["stores", _, "v2", "orders"] => true,
        ["stores", _, "v2", "orders", id] => id.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

/// Corrupts the chosen orders in a listing or single-order body; `None` when none is there.
fn corrupt(
    body: &[u8],
    orders: &BTreeSet<u64>,
    served: &Mutex<BTreeMap<u64, u64>>,
) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    let mut hit = Vec::new();
    let mut one = |o: &mut Value| {
        let id = o.get("id").and_then(|i| i.to_string().parse::<u64>().ok());
        if let (Some(id), Some(m)) = (id, o.as_object_mut()) {
            if orders.contains(&id) {
                m.insert("total_inc_tax".into(), Value::String(CORRUPTED.into()));
                m.insert("date_created".into(), Value::String(CORRUPTED.into()));
                hit.push(id);
            }
        }
    };
    match &mut v {
        Value::Array(items) => items.iter_mut().for_each(&mut one),
        o @ Value::Object(_) => one(o),
        _ => {}
    }
    if hit.is_empty() {
        return None;
    }
    if let Ok(mut m) = served.lock() {
        for id in hit {
            *m.entry(id).or_insert(0) += 1;
        }
    }
    serde_json::to_vec(&v).ok()
}

async fn connection(
    client: TcpStream,
    upstream: SocketAddr,
    orders: &BTreeSet<u64>,
    served: &Mutex<BTreeMap<u64, u64>>,
) -> io::Result<()> {
    client.set_nodelay(true)?;
    let server = TcpStream::connect(upstream).await?;
    server.set_nodelay(true)?;
    let (cr, mut cw) = client.into_split();
    let (sr, mut sw) = server.into_split();
    let (mut cr, mut sr) = (BufReader::new(cr), BufReader::new(sr));
    loop {
        // The request, forwarded as is.
        let Some(req) = read_head(&mut cr).await? else {
            return Ok(());
        };
        sw.write_all(&req.raw).await?;
        if req.chunked() {
            chunked(&mut cr, Some(&mut sw), false).await?;
        } else if let Some(n) = req.content_length()? {
            let mut body = vec![0u8; n];
            cr.read_exact(&mut body).await?;
            sw.write_all(&body).await?;
        }
        sw.flush().await?;
        let head_only = req.start.starts_with("HEAD ");
        let rewrite = !orders.is_empty() && order_read(&req.start);

        // The response.
        let Some(resp) = read_head(&mut sr).await? else {
            return Err(io::ErrorKind::UnexpectedEof.into());
        };
        let status: u16 = resp
            .start
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let no_body = head_only || status / 100 == 1 || status == 204 || status == 304;
        let close = resp.closes() || req.closes();
        if rewrite && status == 200 && !no_body {
            let body = if resp.chunked() {
                chunked::<_, tokio::net::tcp::OwnedWriteHalf>(&mut sr, None, true).await?
            } else if let Some(n) = resp.content_length()? {
                let mut b = vec![0u8; n];
                sr.read_exact(&mut b).await?;
                b
            } else {
                let mut b = Vec::new();
                sr.read_to_end(&mut b).await?;
                b
            };
            match corrupt(&body, orders, served) {
                Some(new) => {
                    let mut head = format!("{}\r\n", resp.start);
                    for (n, v) in &resp.headers {
                        if n != "content-length" && n != "transfer-encoding" {
                            head.push_str(&format!("{n}: {v}\r\n"));
                        }
                    }
                    head.push_str(&format!("content-length: {}\r\n\r\n", new.len()));
                    cw.write_all(head.as_bytes()).await?;
                    cw.write_all(&new).await?;
                }
                None => {
                    // Same body, same framing semantics: re-frame with a length.
                    let mut head = format!("{}\r\n", resp.start);
                    for (n, v) in &resp.headers {
                        if n != "content-length" && n != "transfer-encoding" {
                            head.push_str(&format!("{n}: {v}\r\n"));
                        }
                    }
                    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
                    cw.write_all(head.as_bytes()).await?;
                    cw.write_all(&body).await?;
                }
            }
        } else {
            cw.write_all(&resp.raw).await?;
            if !no_body {
                if resp.chunked() {
                    chunked(&mut sr, Some(&mut cw), false).await?;
                } else if let Some(n) = resp.content_length()? {
                    let mut left = n;
                    let mut buf = vec![0u8; 16 * 1024];
                    while left > 0 {
                        let want = left.min(buf.len());
                        let got = sr.read(&mut buf[..want]).await?;
                        if got == 0 {
                            return Err(io::ErrorKind::UnexpectedEof.into());
                        }
                        cw.write_all(&buf[..got]).await?;
                        left -= got;
                    }
                } else {
                    tokio::io::copy(&mut sr, &mut cw).await?;
                    cw.flush().await?;
                    return Ok(());
                }
            }
        }
        cw.flush().await?;
        if close {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_order_reads_are_rewritten() {
        assert!(order_read(
            "GET /stores/abc/v2/orders?status_id=11&page=2 HTTP/1.1"
        ));
        assert!(order_read("GET /stores/abc/v2/orders/100 HTTP/1.1"));
        assert!(!order_read(
            "GET /stores/abc/v2/orders/100/products HTTP/1.1"
        ));
        assert!(!order_read("PUT /stores/abc/v2/orders/100 HTTP/1.1"));
        assert!(!order_read("GET /stores/abc/v2/orders/count HTTP/1.1"));
    }

    #[test]
    fn chosen_orders_are_corrupted_and_counted_others_untouched() {
        let served = Mutex::new(BTreeMap::new());
        let chosen: BTreeSet<u64> = [7].into();
        let page = br#"[{"id":6,"total_inc_tax":"1.0000"},{"id":7,"total_inc_tax":"2.0000","date_created":"Tue, 01 Jul 2025 10:00:00 +0000"}]"#;
        let out = corrupt(page, &chosen, &served).expect("order 7 is in the page");
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["total_inc_tax"], "1.0000");
        assert_eq!(v[1]["total_inc_tax"], CORRUPTED);
        assert_eq!(v[1]["date_created"], CORRUPTED);
        assert_eq!(v[1]["id"], 7);
        assert!(corrupt(br#"[{"id":6}]"#, &chosen, &served).is_none());
        assert!(corrupt(br#"{"id":7}"#, &chosen, &served).is_some());
        assert_eq!(served.lock().unwrap().get(&7), Some(&2));
    }
}
